"""The ``map`` command: read a workspace's layers or its forecast, render them, write one HTML file.

The renderers (:mod:`ductplanner.render.maps`, :mod:`ductplanner.render.forecast_maps`)
take data; the functions here take a workspace path, read what a view draws,
and hand it over: :func:`workspace_map`, :func:`forecast_map` and
:func:`comparison_map` return a folium map, :func:`save_map` writes it
atomically.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from ...analysis.per_dig import DIG_LAYERS, for_owner
from ...core._atomic import write_text_atomic
from ...core._errors import WorkspaceError
from ...core._format import Lang, slug
from ...core.progress import OnStep, step_bar
from ...core.result import Result
from ...io.assets import ASSETS_DIR
from ...io.workspace import (
    Workspace,
    WorkspaceLike,
    as_workspace,
    list_layers,
    read_layer,
    read_sources,
    read_table,
)
from ...model.network import NETWORK_STEPS, build_network
from ...model.parallel import SIDE_PATH_DISTANCE_M
from ...model.scenarios import scenario_key
from ...render.forecast_maps import ForecastBase, side_by_side_map, time_map
from ...render.map_words import map_lang, map_language, tr
from ...render.maps import DRAWN_AS, HOW_TO_DERIVE, layers_map
from ...render.page import TOKEN_ENV, seed_element_ids
from ...simulate.stored import FORECAST_TABLES, StoredForecast, stored_forecasts, stored_scenarios

if TYPE_CHECKING:
    import folium
    from branca.element import Figure

__all__ = [
    "VIEWS",
    "comparison_map",
    "forecast_map",
    "forecast_scenarios",
    "map_command",
    "map_html",
    "read_forecasts",
    "save_map",
    "workspace_map",
]

VIEWS = ("layers", "time", "compare")
"""The views of ``ductplanner map --view``."""


def _token(token: str | None) -> str | None:
    """Return the basemap token given, else the one in the environment (:data:`TOKEN_ENV`)."""
    return token if token is not None else os.environ.get(TOKEN_ENV) or None


def _rendered_note(workspace: Workspace) -> str:
    return tr("Rendered {date} from {name}.", date=dt.date.today().isoformat(), name=workspace.name)


def _read_map_layers(workspace: Workspace) -> dict[str, gpd.GeoDataFrame]:
    """Return the layers a workspace map draws."""
    present = list_layers(workspace)
    layers = {name: read_layer(workspace, name) for name in DRAWN_AS if name in present}
    for name in DIG_LAYERS:
        if name in layers and layers[name].crs is None:
            raise WorkspaceError(f"layer {name!r} of {workspace} has no CRS")
    return layers


def workspace_map(
    workspace: WorkspaceLike,
    *,
    audience: str = "manager",
    owner: str | None = None,
    basemap: str = "osm",
    token: str | None = None,
    self_contained: bool = False,
    assets_dir: Path = ASSETS_DIR,
    lang: Lang = "en",
) -> folium.Map:
    """Return a Leaflet map of a workspace for one audience.

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage.
    audience, owner, basemap, self_contained, assets_dir
        As for :func:`~ductplanner.render.maps.layers_map`; a utility map
        draws only ``owner``'s digs and what concerns them.
    token : str, optional
        Dataforsyningen token for the skærmkort basemap; by default read from
        the environment variable :data:`~ductplanner.render.page.TOKEN_ENV`.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map`.

    Raises
    ------
    WorkspaceError
        Unknown audience, unknown owner, or a utility map without an owner.
    MissingInputError
        When the workspace is missing, or ``self_contained`` and the assets
        are not installed.
    """
    workspace = as_workspace(workspace)
    layers = _read_map_layers(workspace)
    if audience == "utility" and owner:
        layers = for_owner(layers, owner, source=str(workspace))
    with map_language(lang):
        return _layers_map(
            layers, workspace, audience, owner, basemap, token, self_contained, assets_dir
        )


def _layers_map(
    layers: dict[str, gpd.GeoDataFrame],
    workspace: Workspace,
    audience: str,
    owner: str | None,
    basemap: str,
    token: str | None,
    self_contained: bool,
    assets_dir: Path,
) -> folium.Map:
    sources = read_sources(workspace)
    present = list_layers(workspace)
    return layers_map(
        layers,
        name=workspace.stem,
        sources=sources,
        present=present,
        audience=audience,
        owner=owner,
        basemap=basemap,
        token=_token(token),
        self_contained=self_contained,
        assets_dir=assets_dir,
        notes=[_rendered_note(workspace)],
    )


def _forecast_tables(workspace: Workspace) -> dict[str, pd.DataFrame]:
    return {name: read_table(workspace, name, required=False) for name in FORECAST_TABLES}


def forecast_scenarios(workspace: WorkspaceLike) -> list[str]:
    """Return the keys of the scenarios a workspace has a forecast for (sorted).

    Raises
    ------
    WorkspaceError
        When the workspace has no forecast (the message says how to make one).
    """
    workspace = as_workspace(workspace)
    return stored_scenarios(_forecast_tables(workspace), source=str(workspace))


def read_forecasts(workspace: WorkspaceLike, scenarios: Sequence[str]) -> list[StoredForecast]:
    """Read the forecasts of ``scenarios`` (keys or TOML file names) from a workspace.

    Raises
    ------
    WorkspaceError
        No forecast in the workspace, missing columns, or a scenario that was
        not simulated (the message lists those that were).
    """
    workspace = as_workspace(workspace)
    return stored_forecasts(_forecast_tables(workspace), scenarios, source=str(workspace))


def _forecast_base(
    workspace: Workspace, forecasts: Sequence[StoredForecast], on_step: OnStep | None = None
) -> ForecastBase:
    """Read the layers drawn with the forecasts and build the street networks their ids name.

    A scenario that counts paths beside roads otherwise than the first
    (``coverage.side_path_distance_m``) gets its own network's edges.
    """
    present = list_layers(workspace)
    drawn: tuple[str, ...] = ("streets", "ducts", "backbone", "districts")
    layers = {n: read_layer(workspace, n) for n in drawn if n in present}
    distances = {f.scenario: f.side_path_distance_m for f in forecasts}
    first = next(iter(distances.values()), SIDE_PATH_DISTANCE_M)
    edges = _forecast_edges(layers, first, on_step)
    others = {d: _forecast_edges(layers, d) for d in set(distances.values()) - {first}}
    return ForecastBase(
        name=workspace.stem,
        layers=layers,
        edges=edges,
        sources=read_sources(workspace),
        notes=[_rendered_note(workspace)],
        edges_by_scenario={key: others[d] for key, d in distances.items() if d != first},
    )


def _forecast_edges(
    layers: Mapping[str, gpd.GeoDataFrame], side_paths: float, on_step: OnStep | None = None
) -> gpd.GeoDataFrame:
    """Return the edges of the street network a forecast was simulated on."""
    if "streets" not in layers or layers["streets"].empty:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=4326))
    network = build_network(
        layers["streets"],
        layers.get("ducts"),
        layers.get("backbone"),
        side_paths=side_paths,
        on_step=on_step,
    )
    return network.edges


def forecast_map(
    workspace: WorkspaceLike,
    scenario: str,
    *,
    year: int | None = None,
    basemap: str = "osm",
    token: str | None = None,
    self_contained: bool = False,
    assets_dir: Path = ASSETS_DIR,
    lang: Lang = "en",
) -> folium.Map:
    """Return the time view of a workspace: one scenario's forecast coverage year by year.

    Parameters
    ----------
    workspace : path-like
        A workspace with the simulation's forecast tables.
    scenario : str
        The scenario key (``revised-2019``) or its TOML file.
    year, basemap, self_contained, assets_dir
        As for :func:`~ductplanner.render.forecast_maps.time_map`.
    token : str, optional
        As for :func:`workspace_map`.

    Raises
    ------
    WorkspaceError
        No forecast, an unknown scenario, or a year outside the forecast.
    """
    workspace = as_workspace(workspace)
    (forecast,) = read_forecasts(workspace, [scenario])
    base = _forecast_base(workspace, [forecast])
    with map_language(lang):
        return time_map(
            forecast,
            base,
            year=year,
            basemap=basemap,
            token=_token(token),
            self_contained=self_contained,
            assets_dir=assets_dir,
        )


def comparison_map(
    workspace: WorkspaceLike,
    scenarios: Sequence[str],
    *,
    year: int | None = None,
    basemap: str = "osm",
    token: str | None = None,
    self_contained: bool = False,
    assets_dir: Path = ASSETS_DIR,
    lang: Lang = "en",
) -> Figure:
    """Return two scenarios' forecast coverage of one year side by side, in step.

    Parameters
    ----------
    workspace : path-like
        A workspace with the simulation's forecast tables.
    scenarios : sequence of two str
        Scenario keys (or TOML files): left, right.
    year, basemap, self_contained, assets_dir
        As for :func:`~ductplanner.render.forecast_maps.side_by_side_map`.
    token : str, optional
        As for :func:`workspace_map`.

    Returns
    -------
    branca.element.Figure
        One page holding both maps; save it with :func:`save_map`.

    Raises
    ------
    WorkspaceError
        Not two scenarios, no forecast, an unknown scenario, or no common year.
    """
    workspace = as_workspace(workspace)
    if len(scenarios) != 2:
        raise WorkspaceError(f"a comparison needs two scenarios, not {len(scenarios)}")
    forecasts = read_forecasts(workspace, scenarios)
    base = _forecast_base(workspace, forecasts)
    with map_language(lang):
        return side_by_side_map(
            forecasts,
            base,
            year=year,
            basemap=basemap,
            token=_token(token),
            self_contained=self_contained,
            assets_dir=assets_dir,
        )


def map_html(m: folium.Map | Figure) -> str:
    """Return a map (or a page of maps) as one HTML page.

    The page's element ids are fixed (:func:`seed_element_ids`), so the same
    map gives the same text.
    """
    root = m.get_root()
    seed_element_ids(root)
    lang = getattr(root, "dp_lang", map_lang())
    return str(root.render()).replace("<html>", f'<html lang="{lang}">', 1)


def save_map(m: folium.Map | Figure, path: str | os.PathLike[str]) -> Path:
    """Write a map (or a page of maps) as one HTML file, atomically; return its path."""
    return write_text_atomic(path, map_html(m))


def _default_out(
    workspace: Workspace, view: str, audience: str, owner: str | None, keys: list[str]
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


def _chosen_scenarios(
    workspace: Workspace, view: str, scenarios: Sequence[str] | None
) -> list[str]:
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
    workspace: WorkspaceLike,
    *,
    out: str | os.PathLike[str] | None = None,
    self_contained: bool = False,
    audience: str = "manager",
    owner: str | None = None,
    basemap: str = "osm",
    view: str = "layers",
    scenarios: Sequence[str] | None = None,
    progress: bool = False,
    lang: Lang = "en",
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
        Whose map (``view="layers"`` only); see :func:`workspace_map`.
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
    progress : bool
        Show the steps on standard error (only when it is a terminal).
    lang : {"en", "da"}
        The map's language: its words, numbers and the page's ``lang``.

    Returns
    -------
    Result
        ``summary`` has ``lang``, ``out``, ``bytes``, ``self_contained``, ``view``,
        ``layers`` (map layer names) and ``not_computed`` (derived layers
        absent); forecast views add ``scenarios`` and ``years``.
    """
    workspace = as_workspace(workspace)
    if view not in VIEWS:
        raise WorkspaceError(f"unknown map view {view!r}; use one of {', '.join(VIEWS)}")
    if view != "layers" and (audience != "manager" or owner):
        raise WorkspaceError("--audience and --owner choose layers: use them with --view layers")
    if view == "layers" and scenarios:
        raise WorkspaceError("--scenario picks a forecast: use it with --view time or compare")
    keys = [] if view == "layers" else _chosen_scenarios(workspace, view, scenarios)
    out_path = Path(out) if out else _default_out(workspace, view, audience, owner, keys)
    summary: dict[str, Any] = {"view": view, "lang": lang}
    forecast_view = view != "layers"
    steps = 3 + len(NETWORK_STEPS) if forecast_view else 3
    with step_bar(steps, show=progress, desc="map") as step, map_language(lang):
        step("reading the workspace")
        m: folium.Map | Figure
        if forecast_view:
            forecasts = read_forecasts(workspace, keys)
            base = _forecast_base(workspace, forecasts, on_step=step)
            step("drawing the map")
            token = _token(None)
            summary["scenarios"] = keys
            if view == "time":
                m = time_map(
                    forecasts[0], base, basemap=basemap, token=token, self_contained=self_contained
                )
                summary["years"] = list(forecasts[0].years)
            else:
                m = side_by_side_map(
                    forecasts, base, basemap=basemap, token=token, self_contained=self_contained
                )
        else:
            m = workspace_map(
                workspace,
                audience=audience,
                owner=owner,
                basemap=basemap,
                self_contained=self_contained,
                lang=lang,
            )
        step("writing the file")
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
