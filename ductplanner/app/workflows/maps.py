"""The ``map`` command: render a workspace's layers or its forecast as one HTML file."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...core._errors import WorkspaceError
from ...core._format import slug
from ...core.result import Result
from ...io.workspace import list_layers
from ...model.scenarios import scenario_key
from ...render.forecast_maps import (
    comparison_map,
    forecast_map,
    forecast_scenarios,
    read_forecasts,
)
from ...render.maps import HOW_TO_DERIVE, save_map, workspace_map

if TYPE_CHECKING:
    import folium
    from branca.element import Figure

__all__ = ["VIEWS", "map_command"]

VIEWS = ("layers", "time", "compare")
"""The views of ``ductplanner map --view``."""


def _default_out(
    workspace: Path, view: str, audience: str, owner: str | None, keys: list[str]
) -> Path:
    if view == "time":
        name = f"{workspace.stem}-time-{keys[0]}"
    elif view == "compare":
        name = f"{workspace.stem}-compare-{'-'.join(keys)}"
    elif audience == "utility":
        name = f"{workspace.stem}-utility-{slug(owner or '')}"
    elif audience == "committee":
        name = f"{workspace.stem}-committee"
    else:
        name = workspace.stem
    return Path("maps") / f"{name}.html"


def _chosen_scenarios(workspace: Path, view: str, scenarios: Sequence[str] | None) -> list[str]:
    """Return the scenario keys a forecast view draws: as given, or all when they fit."""
    wanted = 1 if view == "time" else 2
    present = forecast_scenarios(workspace)
    keys = [scenario_key(s) for s in scenarios or []]
    if not keys and len(present) == wanted:
        keys = present
    if len(keys) != wanted:
        option = "--scenario NAME" if wanted == 1 else "--scenario NAME --scenario NAME"
        raise WorkspaceError(
            f"the {view} view shows {'one scenario' if wanted == 1 else 'two scenarios'}; "
            f"choose with {option} (forecasts in {workspace.name}: {', '.join(present)})"
        )
    return keys


def map_command(
    workspace: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    self_contained: bool = False,
    audience: str = "manager",
    owner: str | None = None,
    basemap: str = "osm",
    view: str = "layers",
    scenarios: Sequence[str] | None = None,
) -> Result:
    """Render a map of a workspace (``ductplanner map``).

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage.
    out : path-like, optional
        The HTML file (default: ``maps/<workspace>[-<view or audience>].html``).
    self_contained : bool
        Embed every asset so the file opens offline.
    audience : {"manager", "committee", "utility"}
        Whose map (``view="layers"`` only); see :func:`~ductplanner.render.maps.workspace_map`.
    owner : str, optional
        The utility of ``audience="utility"``.
    basemap : {"osm", "none", "skaermkort"}
        The basemap shown when the map opens.
    view : {"layers", "time", "compare"}
        ``layers``: the workspace's layers. ``time``: one scenario's forecast
        year by year. ``compare``: two scenarios' forecasts side by side.
    scenarios : list of str, optional
        The scenario (time) or two scenarios (compare), as simulated; may be
        omitted when the workspace has forecasts of just that many.

    Returns
    -------
    Result
        ``summary`` has ``out``, ``bytes``, ``self_contained``, ``view``,
        ``layers`` (map layer names) and ``not_computed`` (derived layers
        absent); forecast views add ``scenarios`` and ``years``.
    """
    workspace = Path(workspace)
    if view not in VIEWS:
        raise WorkspaceError(f"unknown map view {view!r}; use one of {', '.join(VIEWS)}")
    if view != "layers" and (audience != "manager" or owner):
        raise WorkspaceError("--audience and --owner choose layers: use them with --view layers")
    if view == "layers" and scenarios:
        raise WorkspaceError("--scenario picks a forecast: use it with --view time or compare")
    keys = [] if view == "layers" else _chosen_scenarios(workspace, view, scenarios)
    out_path = Path(out) if out else _default_out(workspace, view, audience, owner, keys)
    summary: dict[str, Any] = {"view": view}
    m: folium.Map | Figure
    if view == "time":
        m = forecast_map(workspace, keys[0], basemap=basemap, self_contained=self_contained)
        summary |= {"scenarios": keys, "years": list(read_forecasts(workspace, keys)[0].years)}
    elif view == "compare":
        m = comparison_map(workspace, keys, basemap=basemap, self_contained=self_contained)
        summary["scenarios"] = keys
    else:
        m = workspace_map(
            workspace,
            audience=audience,
            owner=owner,
            basemap=basemap,
            self_contained=self_contained,
        )
    save_map(m, out_path)
    present = set(list_layers(workspace))
    names = list(dict.fromkeys(_overlay_names(m.get_root())))
    missing = [n for n in HOW_TO_DERIVE if n not in present] if view == "layers" else []
    size = out_path.stat().st_size
    summary |= {
        "out": str(out_path),
        "bytes": size,
        "self_contained": self_contained,
        "layers": names,
        "not_computed": missing,
    }
    kind = "self-contained" if self_contained else "loads Leaflet from the CDN"
    what = {
        "layers": "layers",
        "time": f"{keys[0] if keys else ''} year by year",
        "compare": " vs ".join(keys),
    }[view]
    text = f"wrote {out_path} ({size / 1e6:.1f} MB, {kind}); {what}; layers: {', '.join(names)}"
    if missing:
        text += f"\nnot computed yet, so not on the map: {', '.join(missing)}"
    return Result(summary=summary, text=text)


def _overlay_names(element: Any) -> Iterator[str]:
    """Yield the names of the overlays of a map or of every map on a page."""
    for child in element._children.values():
        if _is_overlay(child):
            yield child.layer_name
        else:
            yield from _overlay_names(child)


def _is_overlay(element: Any) -> bool:
    return getattr(element, "_name", "") == "DuctplannerOverlay"
