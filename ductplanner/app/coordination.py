"""Working with the utilities: requests, the decision log, and recording what was laid.

Co-digging only happens when the utility that opens the street agrees. This
module closes that loop:

1. :func:`build_requests` / ``ductplanner requests WORKSPACE --owner NAME``:
   for one utility, the digs the plan wants to join (the ``plan`` layer; the
   ``opportunities`` layer where there is no plan yet), each stretch with its
   street, metres, window, households and DKK, written as a GeoPackage, a CSV
   and a short HTML letter the utility can act on. Each requested dig is
   logged ``proposed`` (once).
2. :func:`log_decision` / ``ductplanner decide WORKSPACE --dig ID --status S``:
   the utility's answer, ``agreed`` or ``declined`` (with a reason).
3. :func:`record_dig` / ``ductplanner record WORKSPACE --dig ID``: after a
   joined dig is finished its chosen stretches become ``ducts`` (status
   ``existing``, origin ``co-dig``, owner ``municipality``), the dig's status
   becomes ``done`` and a ``laid`` row is logged, in one atomic write.
   Recording twice changes nothing.

The decision log and its rules live in :mod:`ductplanner.model.decisions`.

"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..core._errors import InputError, Problem, WorkspaceError
from ..core._format import is_nan, metres, number, slug
from ..model.decisions import (
    DECISION_COLUMNS,
    DECISION_STATUSES,
    DECISIONS_TABLE,
    decision_counts,
    decision_row,
    decision_status,
    empty_decisions,
    next_decisions,
    typed_decisions,
)
from ..model.layers import WORKSPACE_CRS

if TYPE_CHECKING:
    import argparse

    from ..analysis.coverage import CoverageReport
    from ..core.result import Result
    from ..pipeline import DemoContext, StepOutcome

__all__ = [
    "DECISIONS_TABLE",
    "DECISION_COLUMNS",
    "DECISION_STATUSES",
    "EVALUATION_DATE",
    "REQUEST_COLUMNS",
    "RecordOutcome",
    "RequestSet",
    "build_requests",
    "decide_command",
    "decision_counts",
    "decision_row",
    "decision_status",
    "demo_step",
    "empty_decisions",
    "log_decision",
    "next_decisions",
    "owner_slug",
    "read_decisions",
    "record_command",
    "record_dig",
    "requests_command",
    "resolve_owner",
    "write_requests",
]

EVALUATION_DATE = dt.date(2021, 6, 30)
"""The demo's evaluation day: its decision history runs up to this date."""

DEMO_AGREE_SHARE = 0.75
"""Share of the demo's requests the utilities agree to (the rest are declined)."""

DEMO_DECLINE_REASONS = (
    "the trench is too narrow for another duct beside our pipe",
    "the work is tendered already; the contractor cannot take the extra duct in time",
    "the pipe is relined from inside: no open trench after all",
    "safety distance to a high-voltage cable in the same trench",
)
"""Reasons the demo's utilities give when they decline."""

REQUEST_COLUMNS = (
    "dig_id",
    "owner",
    "purpose",
    "start",
    "end",
    "year",
    "street",
    "edge_id",
    "metres",
    "cost_dkk",
    "households",
    "status",
    "contact",
    "stretch_id",
    "opportunity_id",
)
"""Columns of a request's stretches (GeoPackage layer ``requests`` and CSV)."""

_CLOSED_DIGS = ("cancelled", "done")
_MUNICIPALITY = "municipality"


# --- the decision log -------------------------------------------------------------------


def read_decisions(workspace: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a workspace's decision log (an empty log when it has none)."""
    from ..io.workspace import read_table

    return typed_decisions(read_table(workspace, DECISIONS_TABLE, required=False))


def log_decision(
    workspace: str | os.PathLike[str],
    dig_id: str,
    status: str,
    *,
    reason: str = "",
    date: dt.date | str | None = None,
) -> dict[str, Any]:
    """Log a utility's answer (or a request) for one dig in the workspace.

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage.
    dig_id : str
        The dig, as in the ``digs`` layer.
    status : {"proposed", "agreed", "declined"}
        ``laid`` is logged by :func:`record_dig` only.
    reason : str
        Why; required when ``declined``.
    date : date or str, optional
        When (default today).

    Returns
    -------
    dict
        The row logged.

    Raises
    ------
    InputError
        Unknown dig (with the nearest ids), ``laid`` asked for, a transition
        that is not allowed, or ``declined`` without a reason.
    """
    from ..io.workspace import list_layers, read_layer, write_layers

    path = Path(workspace)
    source = str(path)
    if status == "laid":
        raise InputError(
            [
                Problem(
                    source,
                    DECISIONS_TABLE,
                    str(dig_id),
                    "status",
                    "allowed",
                    "'laid' is logged when the ducts are recorded, not by hand",
                    f"once the trench is closed run `ductplanner record {path} --dig {dig_id}`",
                )
            ],
            summary="decision not logged",
        )
    digs = read_layer(path, "digs")
    dig = _find_dig(digs, dig_id, source)
    log = read_decisions(path)
    row = decision_row(dig_id, status, owner=str(dig["owner"]), reason=reason, date=date)
    if dig_id not in set(log["dig_id"]):
        row.update(_dig_figures(path, list_layers(path), dig))
    log = next_decisions(log, [row], source=source)
    write_layers(path, {DECISIONS_TABLE: log}, note="decision log")
    return log.iloc[-1].to_dict()


def _dig_figures(path: Path, present: Sequence[str], dig: pd.Series) -> dict[str, Any]:
    """Year, metres, cost, households and stretches of a dig from the plan (or opportunities)."""
    from ..io.workspace import read_layer

    dig_id = str(dig["id"])
    figures: dict[str, Any] = {"year": int(pd.Timestamp(dig["start"]).year)}
    for name in ("plan", "opportunities"):
        if name not in present:
            continue
        layer = read_layer(path, name)
        if "dig_id" not in layer.columns:
            continue
        rows = layer[layer["dig_id"].astype(str) == dig_id]
        if len(rows):
            figures.update(_stretch_figures(rows, "plan" if name == "plan" else "opportunities"))
            break
    return figures


def _stretch_figures(rows: pd.DataFrame, kind: str) -> dict[str, Any]:
    households = "households" if kind == "plan" else "households_potential"
    ids = rows["opportunity_id"] if kind == "plan" and "opportunity_id" in rows else rows["id"]
    return {
        "year": int(pd.to_numeric(rows["year"]).min()) if "year" in rows else None,
        "metres": round(float(pd.to_numeric(rows["metres"]).sum()), 1),
        "cost_dkk": round(float(pd.to_numeric(rows["cost_dkk"]).sum()), 0),
        "households": float(pd.to_numeric(rows.get(households, 0)).fillna(0).sum()),
        "opportunity_ids": ",".join(ids.astype(str)),
    }


def _find_dig(digs: gpd.GeoDataFrame, dig_id: str, source: str) -> pd.Series:
    hit = digs[digs["id"].astype(str) == str(dig_id)]
    if len(hit):
        return hit.iloc[0]
    ids = digs["id"].astype(str).tolist()
    close = difflib.get_close_matches(str(dig_id), ids, n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}?" if close else "use an id from the digs layer"
    raise InputError(
        [
            Problem(
                source,
                "digs",
                str(dig_id),
                "id",
                "unknown",
                f"there is no dig {dig_id!r} in the digs layer ({len(ids)} digs)",
                hint,
            )
        ],
        summary="unknown dig",
    )


# --- requests to one utility ----------------------------------------------------------------


owner_slug = slug
"""Return a file-name-safe form of an owner's name (the utility maps use the same)."""


def resolve_owner(name: str, owners: Iterable[str], *, source: str = "<memory>") -> str:
    """Return the owner called ``name`` (case and spacing ignored), or explain the choices.

    Raises
    ------
    InputError
        No such owner; lists the owners present and the nearest names.
    """
    present = sorted({str(o) for o in owners if str(o)})

    def norm(text: str) -> str:
        return " ".join(text.lower().split())

    for owner in present:
        if norm(owner) == norm(name):
            return owner
    by_norm = {norm(o): o for o in present}
    close = [by_norm[c] for c in difflib.get_close_matches(norm(name), list(by_norm), n=3)]
    hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    raise InputError(
        [
            Problem(
                source,
                "digs",
                "",
                "owner",
                "unknown",
                f"no dig in the digs layer belongs to {name!r}",
                f"{hint}owners present: {', '.join(present) or 'none'}",
            )
        ],
        summary="unknown owner",
    )


@dataclass
class RequestSet:
    """What to ask one utility for.

    Attributes
    ----------
    owner : str
        The utility, as named in the ``digs`` layer.
    stretches : GeoDataFrame
        One row per stretch to lay, columns :data:`REQUEST_COLUMNS`.
    digs : DataFrame
        One row per requested dig: ``dig_id``, ``purpose``, ``start``,
        ``end``, ``year``, ``streets``, ``stretches``, ``metres``,
        ``cost_dkk``, ``households``, ``status``, ``contact``,
        ``opportunity_ids``.
    source_layer : str
        ``"plan"`` or ``"opportunities"``: where the stretches came from.
    skipped : dict
        Dig id → why it is not requested (closed, declined, laid).
    """

    owner: str
    stretches: gpd.GeoDataFrame
    digs: pd.DataFrame
    source_layer: str
    skipped: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Return the JSON-able summary of the request."""
        return {
            "owner": self.owner,
            "source_layer": self.source_layer,
            "digs_total": len(self.digs),
            "stretches": len(self.stretches),
            "metres": round(float(self.digs["metres"].sum()), 1),
            "cost_dkk": round(float(self.digs["cost_dkk"].sum()), 0),
            "households": float(self.digs["households"].sum()),
            "digs": [
                {
                    "dig_id": str(r.dig_id),
                    "start": str(r.start),
                    "end": str(r.end),
                    "year": int(r.year),
                    "metres": round(float(r.metres), 1),
                    "cost_dkk": round(float(r.cost_dkk), 0),
                    "households": float(r.households),
                    "status": str(r.status),
                }
                for r in self.digs.itertuples(index=False)
            ],
            "skipped": dict(self.skipped),
        }


def build_requests(
    layers: Mapping[str, gpd.GeoDataFrame],
    owner: str,
    *,
    decisions: pd.DataFrame | None = None,
    scenario: str | None = None,
    source: str = "<memory>",
) -> RequestSet:
    """Collect what to ask one utility for.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        ``digs`` and ``plan`` (or, without a plan, ``opportunities``);
        ``streets`` is used for street names when present.
    owner : str
        The utility (matched ignoring case and spacing).
    decisions : DataFrame, optional
        The decision log: declined and laid digs are not asked again.
    scenario : str, optional
        The plan's scenario to use when the ``plan`` layer holds several.
    source : str
        Where the layers came from, for messages.

    Returns
    -------
    RequestSet

    Raises
    ------
    InputError
        Unknown owner, or a plan with several scenarios and none chosen.
    WorkspaceError
        Neither a ``plan`` nor an ``opportunities`` layer.
    """
    digs = layers.get("digs")
    if digs is None:
        raise WorkspaceError(f"{source} has no digs layer; import the utilities' dig plans first")
    owner = resolve_owner(owner, digs["owner"], source=source)
    stretches, kind = _candidate_stretches(layers, scenario, source)
    stretches = stretches[stretches["owner"].astype(str) == owner]
    status = _current_status(decisions)
    dig_info = digs.set_index(digs["id"].astype(str))
    skipped: dict[str, str] = {}
    keep = np.ones(len(stretches), dtype=bool)
    for i, dig in enumerate(stretches["dig_id"].astype(str)):
        why = _skip_reason(dig, dig_info, status)
        if why:
            skipped[dig] = why
            keep[i] = False
    stretches = stretches[keep]
    rows = _request_rows(stretches, kind, dig_info, status, layers.get("streets"))
    return RequestSet(owner, rows, _per_dig(rows), kind, skipped)


def _candidate_stretches(
    layers: Mapping[str, gpd.GeoDataFrame], scenario: str | None, source: str
) -> tuple[gpd.GeoDataFrame, str]:
    plan = layers.get("plan")
    if plan is not None and len(plan.columns) > 1:
        plan = _one_scenario(plan, scenario, source)
        if "kind" in plan.columns:
            plan = plan[plan["kind"].astype(str) == "co-dig"]
        return plan, "plan"
    opportunities = layers.get("opportunities")
    if opportunities is not None:
        if "candidate" in opportunities.columns:  # pieces too short to duct an edge are no ask
            opportunities = opportunities[opportunities["candidate"].fillna(False).astype(bool)]
        return opportunities, "opportunities"
    raise WorkspaceError(
        f"{source} has neither a plan nor an opportunities layer, so there is nothing to request; "
        f"run `ductplanner opportunities {source}` and `ductplanner plan {source} --scenario "
        "revised-2019` first"
    )


def _one_scenario(plan: gpd.GeoDataFrame, scenario: str | None, source: str) -> gpd.GeoDataFrame:
    if "scenario" not in plan.columns:
        return plan
    names = list(pd.unique(plan["scenario"].astype(str)))
    if scenario is None:
        if len(names) <= 1:
            return plan
        raise InputError(
            [
                Problem(
                    source,
                    "plan",
                    "",
                    "scenario",
                    "ambiguous",
                    f"the plan layer holds plans of {len(names)} scenarios: {', '.join(names)}",
                    "choose one (scenario=...)",
                )
            ],
            summary="which plan?",
        )
    chosen = [n for n in names if n == scenario or Path(n).stem == Path(scenario).stem]
    if not chosen:
        raise InputError(
            [
                Problem(
                    source,
                    "plan",
                    "",
                    "scenario",
                    "unknown",
                    f"the plan layer has no plan for scenario {scenario!r}",
                    f"scenarios planned: {', '.join(names)}",
                )
            ],
            summary="unknown scenario",
        )
    return plan[plan["scenario"].astype(str) == chosen[0]]


def _current_status(decisions: pd.DataFrame | None) -> dict[str, Any]:
    if decisions is None or not len(decisions):
        return {}
    return {r.dig_id: r for r in decision_status(decisions).itertuples(index=False)}


def _skip_reason(dig: str, dig_info: pd.DataFrame, status: Mapping[str, Any]) -> str:
    state = status.get(dig)
    if state is not None and state.status == "declined":
        return f"declined on {state.date}: {state.reason}"
    if state is not None and state.status == "laid":
        return f"laid, recorded on {state.date}"
    if dig not in dig_info.index:
        return "not in the digs layer any more"
    dig_status = str(dig_info.loc[dig, "status"])
    if dig_status in _CLOSED_DIGS and (state is None or state.status == "proposed"):
        return f"the dig is {dig_status}"
    return ""


def _request_rows(
    stretches: gpd.GeoDataFrame,
    kind: str,
    dig_info: pd.DataFrame,
    status: Mapping[str, Any],
    streets: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    n = len(stretches)
    digs = stretches["dig_id"].astype(str).to_numpy()
    info = dig_info.reindex(digs)

    def column(name: str, default: Any = "") -> np.ndarray:
        if name in stretches.columns:
            return stretches[name].to_numpy()
        return np.full(n, default, dtype=object)

    households = column("households" if kind == "plan" else "households_potential", 0.0)
    opportunity = column("opportunity_id") if kind == "plan" else column("id")
    frame = pd.DataFrame(
        {
            "dig_id": digs,
            "owner": stretches["owner"].astype(str).to_numpy(),
            "purpose": info["purpose"].astype(str).to_numpy(),
            "start": _iso(info["start"]),
            "end": _iso(info["end"]),
            "year": pd.to_numeric(pd.Series(column("year", 0)), errors="coerce")
            .fillna(0)
            .astype(int)
            .to_numpy(),
            "street": _street_names(stretches, streets),
            "edge_id": column("edge_id").astype(str),
            "metres": pd.to_numeric(pd.Series(column("metres", 0.0))).round(1).to_numpy(),
            "cost_dkk": pd.to_numeric(pd.Series(column("cost_dkk", 0.0))).round(0).to_numpy(),
            "households": pd.to_numeric(pd.Series(households)).fillna(0).to_numpy(),
            "status": [status[d].status if d in status else "" for d in digs],
            "contact": info["contact"].fillna("").astype(str).to_numpy(),
            "stretch_id": column("id").astype(str),
            "opportunity_id": np.asarray(opportunity).astype(str),
        }
    )
    crs = stretches.crs or WORKSPACE_CRS
    rows = gpd.GeoDataFrame(frame, geometry=stretches.geometry.to_numpy(), crs=crs)
    return rows.sort_values(["start", "dig_id", "edge_id"], kind="stable").reset_index(drop=True)


def _iso(values: pd.Series) -> np.ndarray:
    dates = pd.to_datetime(values, errors="coerce")
    return np.asarray(dates.dt.strftime("%Y-%m-%d").fillna(""), dtype=object)


def _street_names(stretches: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None) -> np.ndarray:
    """Name each stretch after the street nearest its midpoint."""
    if streets is None or not len(streets) or not len(stretches) or "name" not in streets:
        return np.full(len(stretches), "", dtype=object)
    mids = stretches.geometry.interpolate(0.5, normalized=True)
    points = gpd.GeoDataFrame(geometry=mids.to_numpy(), crs=stretches.crs)
    near = gpd.sjoin_nearest(points, streets[["name", "geometry"]].to_crs(stretches.crs))
    near = near[~near.index.duplicated(keep="first")]
    return near["name"].reindex(points.index).fillna("").astype(str).to_numpy()


def _per_dig(rows: gpd.GeoDataFrame) -> pd.DataFrame:
    if not len(rows):
        columns = ["dig_id", "purpose", "start", "end", "year", "streets", "stretches", "metres"]
        columns += ["cost_dkk", "households", "status", "contact", "opportunity_ids"]
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        for c in ("metres", "cost_dkk", "households"):
            frame[c] = frame[c].astype(float)
        return frame
    groups = rows.groupby("dig_id", sort=False)
    per_dig = groups.agg(
        purpose=("purpose", "first"),
        start=("start", "first"),
        end=("end", "first"),
        year=("year", "min"),
        streets=("street", lambda s: ", ".join(dict.fromkeys(n for n in s if n))),
        stretches=("edge_id", "size"),
        metres=("metres", "sum"),
        cost_dkk=("cost_dkk", "sum"),
        households=("households", "sum"),
        status=("status", "first"),
        contact=("contact", "first"),
        opportunity_ids=("opportunity_id", ",".join),
    )
    return per_dig.reset_index()


def write_requests(
    request: RequestSet,
    out: str | os.PathLike[str],
    *,
    requester: str = "The municipality",
    label: str = "",
) -> list[Path]:
    """Write a request as GeoPackage, CSV and HTML into ``out``, each file atomically.

    Files: ``requests-<owner>.gpkg`` (layer ``requests``, one line per
    stretch), ``requests-<owner>.csv`` (the same rows, geometry as WKT) and
    ``requests-<owner>.html`` (a short letter with one table row per dig).
    Every file is written beside its target under a temporary name and
    renamed into place only once all three are written.

    Returns
    -------
    list of Path
        The three files.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"requests-{owner_slug(request.owner)}"
    targets = [out / f"{stem}.gpkg", out / f"{stem}.csv", out / f"{stem}.html"]
    temps: list[Path] = []
    try:
        for target in targets:
            fd, name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=out)
            os.close(fd)
            temps.append(Path(name))
        Path(temps[0]).unlink()  # the GeoPackage driver wants to create the file itself
        request.stretches.to_file(temps[0], layer="requests", driver="GPKG", engine="pyogrio")
        table = pd.DataFrame(request.stretches.drop(columns="geometry"))
        table["wkt"] = request.stretches.geometry.to_wkt().to_numpy()
        table.to_csv(temps[1], index=False, encoding="utf-8")
        temps[2].write_text(_request_html(request, requester, label), encoding="utf-8")
        for temp, target in zip(temps, targets, strict=True):
            os.replace(temp, target)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
    return targets


def _request_html(request: RequestSet, requester: str, label: str) -> str:
    esc = html.escape
    digs = request.digs
    total_m, total_dkk = float(digs["metres"].sum()), float(digs["cost_dkk"].sum())
    rows = "\n".join(
        "<tr>"
        f"<td>{esc(str(r.dig_id))}</td><td>{esc(str(r.purpose))}</td>"
        f"<td>{esc(str(r.start))} – {esc(str(r.end))}</td><td>{esc(str(r.streets))}</td>"
        f"<td class=n>{r.stretches}</td><td class=n>{esc(metres(float(r.metres)))}</td>"
        f"<td class=n>{esc(number(float(r.households)))}</td>"
        f"<td class=n>{esc(number(float(r.cost_dkk)))}</td>"
        f"<td>{esc(str(r.status) or 'new')}</td>"
        "</tr>"
        for r in digs.itertuples(index=False)
    )
    banner = f'<p class="label">{esc(label)}</p>' if label else ""
    owner = esc(request.owner)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Co-digging request to {owner}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #ccc; padding: .3em .5em; text-align: left; }}
td.n, th.n {{ text-align: right; }}
.label {{ background: #fff3cd; padding: .5em; border: 1px solid #e0c060; }}
</style></head><body>
{banner}
<h1>Co-digging request to {owner}</h1>
<p>{esc(requester)} asks to lay empty broadband ducts in the trenches of the
{len(digs)} digs below while they are open: {esc(metres(total_m))} of duct in all.
We supply the ducts and pay the co-laying, DKK {esc(number(total_dkk))} in all;
the ducts bring broadband within reach of the households listed.</p>
<p>Please answer per dig (agreed, or declined with the reason) before its window opens.
The stretches are in the GeoPackage and the CSV beside this letter (one line per stretch,
with its street, metres and cost).</p>
<table>
<thead><tr><th>dig</th><th>purpose</th><th>window</th><th>streets</th>
<th class=n>stretches</th><th class=n>metres</th><th class=n>households</th>
<th class=n>DKK</th><th>status</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""


def _read_for_requests(path: Path) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame]:
    from ..io.workspace import list_layers, read_layer

    present = list_layers(path)
    layers = {"digs": read_layer(path, "digs")}
    for name in ("plan", "opportunities", "streets"):
        if name in present:
            layers[name] = read_layer(path, name)
    return layers, read_decisions(path)


def _proposals(
    request: RequestSet, log: pd.DataFrame, date: dt.date | str | None
) -> list[dict[str, Any]]:
    """Rows logging ``proposed`` for requested digs that have no decision yet."""
    logged = set(log["dig_id"])
    return [
        decision_row(
            str(r.dig_id),
            "proposed",
            owner=request.owner,
            date=date,
            year=int(r.year),
            metres=round(float(r.metres), 1),
            cost_dkk=round(float(r.cost_dkk), 0),
            households=float(r.households),
            opportunity_ids=str(r.opportunity_ids),
        )
        for r in request.digs.itertuples(index=False)
        if str(r.dig_id) not in logged
    ]


def requests_command(args: argparse.Namespace) -> Result:
    """``ductplanner requests WORKSPACE --owner NAME [--out DIR]``."""
    from ..core.result import Result
    from ..io.workspace import read_sources, write_layers

    path = Path(args.workspace)
    layers, log = _read_for_requests(path)
    request = build_requests(
        layers,
        args.owner,
        decisions=log,
        scenario=getattr(args, "scenario", None),
        source=str(path),
    )
    if not len(request.digs):
        summary: dict[str, Any] = {"workspace": str(path), **request.summary()}
        skipped = "".join(f"\n  {d}: {why}" for d, why in request.skipped.items())
        summary.update(files=[], proposed=[])
        text = (
            f"nothing to request from {request.owner}: the {request.source_layer} layer "
            f"joins none of its open digs; no files written{skipped}"
        )
        return Result(summary=summary, text=text)
    out = Path(args.out) if args.out else path.parent / f"requests-{owner_slug(request.owner)}"
    sources = read_sources(path)
    synthetic = bool(sources.loc[sources["layer"] == "digs", "synthetic"].any())
    label = "Synthetic demo data: made-up digs, not a real request" if synthetic else ""
    proposals = _proposals(request, log, None)
    request.digs.loc[request.digs["status"] == "", "status"] = "proposed"
    request.stretches.loc[request.stretches["status"] == "", "status"] = "proposed"
    summary = {"workspace": str(path), **request.summary()}
    files = write_requests(request, out, label=label)
    if proposals:  # after the files: a request is logged only once it is written
        log = next_decisions(log, proposals, source=str(path))
        write_layers(path, {DECISIONS_TABLE: log}, note="decision log")
    proposed = [r["dig_id"] for r in proposals]
    summary.update(files=[str(f) for f in files], proposed=proposed)
    already = [d for d in request.digs["dig_id"] if d not in proposed]
    lines = [
        f"Request to {request.owner}: {len(request.digs)} digs, "
        f"{len(request.stretches)} stretches, "
        f"{metres(summary['metres'])} of duct, DKK {number(summary['cost_dkk'])}, "
        f"{number(summary['households'])} households (from the {request.source_layer} layer)",
    ]
    for r in request.digs.itertuples(index=False):
        lines.append(
            f"  {r.dig_id}  {r.start} – {r.end}  {metres(float(r.metres))}"
            f"  DKK {number(float(r.cost_dkk))}  {r.streets}  [{r.status}]"
        )
    lines.append(f"logged as proposed: {', '.join(proposed) or 'none (all requested before)'}")
    if already:
        lines.append(f"requested before: {', '.join(already)}")
    for dig, why in request.skipped.items():
        lines.append(f"not requested: {dig} ({why})")
    lines.append("wrote " + ", ".join(str(f) for f in files))
    return Result(summary=summary, text="\n".join(lines))


def decide_command(args: argparse.Namespace) -> Result:
    """``ductplanner decide WORKSPACE --dig ID --status agreed|declined|proposed``."""
    from ..core.result import Result

    row = log_decision(Path(args.workspace), args.dig, args.status, reason=args.reason or "")
    summary = {"workspace": str(args.workspace), **_jsonable(row)}
    why = f" ({row['reason']})" if row["reason"] else ""
    text = f"logged: dig {row['dig_id']} ({row['owner']}) {row['status']} on {row['date']}{why}"
    return Result(summary=summary, text=text)


def _jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if is_nan(value):
            out[key] = None
        elif isinstance(value, np.generic):
            out[key] = value.item()
        else:
            out[key] = value
    return out


# --- recording what was laid ------------------------------------------------------------------


@dataclass
class RecordOutcome:
    """What recording one dig did.

    Attributes
    ----------
    dig_id : str
    recorded : bool
        False when the dig had been recorded before (nothing written).
    ducts : GeoDataFrame
        The duct features of this dig (new, or found from before).
    year : int
        Year laid.
    metres, cost_dkk, households : float
    households_before, households_after : int or None
        Households duct-covered before and after (None when not computed).
    """

    dig_id: str
    recorded: bool
    ducts: gpd.GeoDataFrame
    year: int
    metres: float
    cost_dkk: float
    households: float
    households_before: int | None = None
    households_after: int | None = None

    def summary(self) -> dict[str, Any]:
        """Return the JSON-able summary."""
        return {
            "dig_id": self.dig_id,
            "recorded": self.recorded,
            "already_recorded": not self.recorded,
            "ducts": self.ducts["id"].astype(str).tolist(),
            "year_laid": self.year,
            "metres": round(self.metres, 1),
            "cost_dkk": round(self.cost_dkk, 0),
            "households": self.households,
            "households_duct_covered_before": self.households_before,
            "households_duct_covered_after": self.households_after,
        }


def _laid_ducts(
    dig_id: str, rows: gpd.GeoDataFrame, year: int, laid_on: str, taken: set[str]
) -> gpd.GeoDataFrame:
    """Duct features (not yet validated) for the plan rows of one finished dig."""
    ids = []
    for edge in rows["edge_id"].astype(str):
        new = base = f"{dig_id}/{edge}"
        k = 1
        while new in taken:
            k += 1
            new = f"{base}-{k}"
        taken.add(new)
        ids.append(new)
    frame = pd.DataFrame(
        {
            "id": ids,
            "year_laid": year,
            "status": "existing",
            "origin": "co-dig",
            "owner": _MUNICIPALITY,
            "tubes": 1,
            "dig_id": dig_id,
            "laid_on": laid_on,
            "plan_id": rows["id"].astype(str).to_numpy() if "id" in rows else "",
        }
    )
    crs = rows.crs or WORKSPACE_CRS
    return gpd.GeoDataFrame(frame, geometry=rows.geometry.to_numpy(), crs=crs)


def _plan_rows_of(
    layers: Mapping[str, gpd.GeoDataFrame], dig_id: str, scenario: str | None, source: str
) -> gpd.GeoDataFrame:
    plan = layers.get("plan")
    if plan is None:
        raise WorkspaceError(
            f"{source} has no plan layer, so it is not known which stretches of dig {dig_id} "
            f"were laid; run `ductplanner plan {source} --scenario SCENARIO` first"
        )
    plan = _one_scenario(plan, scenario, source)
    rows = plan[plan["dig_id"].astype(str) == str(dig_id)]
    if not len(rows):
        raise InputError(
            [
                Problem(
                    source,
                    "plan",
                    str(dig_id),
                    "dig_id",
                    "not-planned",
                    f"the plan chose no stretch in dig {dig_id}, so there is nothing to record",
                    "if ducts were laid there after all, re-run `ductplanner plan` so the plan "
                    "holds the dig, or import the as-built lines with `ductplanner import "
                    f"{source} ducts FILE --append`",
                )
            ],
            summary="nothing to record",
        )
    return rows


def _record_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    log: pd.DataFrame,
    digs_laid: Sequence[tuple[str, int | None, dt.date | str | None]],
    *,
    scenario: str | None,
    source: str,
) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame, list[RecordOutcome]]:
    """Return the new ducts and digs layers and log after recording finished digs (pure).

    ``digs_laid`` holds (dig id, year laid or None, date of the log entry or
    None) per dig. Digs recorded before are reported, not recorded again.
    """
    from ..model.layers import require_valid, validate_layer

    digs, ducts = layers["digs"], layers.get("ducts")
    taken = set() if ducts is None else set(ducts["id"].astype(str))
    outcomes: list[RecordOutcome] = []
    new_parts: list[gpd.GeoDataFrame] = []
    rows_logged: list[dict[str, Any]] = []
    for dig_id, year, date in digs_laid:
        dig = _find_dig(digs, dig_id, source)
        dig_id = str(dig["id"])
        if any(o.dig_id == dig_id for o in outcomes):
            continue  # named twice
        before = _already_recorded(ducts, log, dig_id)
        if before is not None:
            outcomes.append(before)
            continue
        rows = _plan_rows_of(layers, dig_id, scenario, source)
        year = _year_laid(dig, year, source)
        end = pd.Timestamp(dig["end"])
        laid_on = end.date().isoformat() if year == end.year else f"{year}-12-31"
        new_parts.append(_laid_ducts(dig_id, rows, year, laid_on, taken))
        figures = _stretch_figures(rows, "plan")
        rows_logged.append(
            decision_row(
                dig_id,
                "laid",
                owner=str(dig["owner"]),
                date=date or dt.date.today(),
                reason=f"recorded: {len(rows)} stretches laid in {year}",
                **figures,
            )
        )
        outcomes.append(
            RecordOutcome(
                dig_id,
                True,
                new_parts[-1],
                year,
                float(figures["metres"]),
                float(figures["cost_dkk"]),
                float(figures["households"]),
            )
        )
    if not new_parts:
        return {}, log, outcomes
    log = next_decisions(log, rows_logged, source=source)
    new = gpd.GeoDataFrame(pd.concat(new_parts, ignore_index=True), crs=new_parts[0].crs)
    new, problems = validate_layer(new, "ducts", source=source)
    require_valid(problems)
    all_ducts = new if ducts is None or not len(ducts) else _concat(ducts, new)
    recorded = {o.dig_id for o in outcomes if o.recorded}
    digs = digs.copy()
    digs.loc[digs["id"].astype(str).isin(recorded).to_numpy(), "status"] = "done"
    for outcome in outcomes:
        if outcome.recorded:
            outcome.ducts = new[new["dig_id"] == outcome.dig_id]
    return {"ducts": all_ducts, "digs": digs}, log, outcomes


def _year_laid(dig: pd.Series, year: int | None, source: str) -> int:
    start, end = pd.Timestamp(dig["start"]), pd.Timestamp(dig["end"])
    year = int(end.year) if year is None else int(year)
    if year < start.year:
        raise InputError(
            [
                Problem(
                    source,
                    "ducts",
                    str(dig["id"]),
                    "year_laid",
                    "range",
                    f"year {year} is before dig {dig['id']} started ({start.date()})",
                    f"give the year the trench was open, {start.year} or later",
                )
            ],
            summary="impossible year",
        )
    return year


def _concat(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    new = new.to_crs(old.crs) if old.crs is not None and new.crs != old.crs else new
    frame = pd.concat([old, new], ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry=old.geometry.name, crs=old.crs)


def _already_recorded(
    ducts: gpd.GeoDataFrame | None, log: pd.DataFrame, dig_id: str
) -> RecordOutcome | None:
    """Return the outcome of an earlier recording of the dig (None if never recorded)."""
    has_column = ducts is not None and "dig_id" in ducts.columns
    mine = ducts[ducts["dig_id"].astype(str) == dig_id] if has_column else None
    laid = log[(log["dig_id"] == dig_id) & (log["status"] == "laid")]
    if (mine is None or not len(mine)) and not len(laid):
        return None
    if mine is None:
        mine = gpd.GeoDataFrame({"id": pd.Series(dtype=object)}, geometry=[], crs=WORKSPACE_CRS)
    last = laid.iloc[-1] if len(laid) else pd.Series(dtype=object)
    year = int(mine["year_laid"].max()) if len(mine) else int(last.get("year") or 0)
    return RecordOutcome(
        dig_id,
        False,
        mine,
        year,
        float(last.get("metres", mine.geometry.length.sum())),
        float(last.get("cost_dkk", float("nan"))),
        float(last.get("households", float("nan"))),
    )


def _coverage_drop(path: Path) -> float:
    """Return the drop distance the workspace's coverage layers were computed with."""
    from ..analysis.coverage import DEFAULT_DROP_M
    from ..io.workspace import read_sources

    sources = read_sources(path)
    notes = sources.loc[sources["layer"] == "coverage", "note"].astype(str)
    for note in notes:
        found = re.search(r"drop distance ([0-9.]+) m", note)
        if found:
            return float(found.group(1))
    return DEFAULT_DROP_M


def _coverage(layers: Mapping[str, gpd.GeoDataFrame], drop: float) -> CoverageReport | None:
    from ..analysis.coverage import compute_coverage

    if "streets" not in layers or "addresses" not in layers:
        return None
    return compute_coverage(layers, drop=drop)


def record_dig(
    workspace: str | os.PathLike[str],
    dig_id: str,
    *,
    year: int | None = None,
    date: dt.date | str | None = None,
    scenario: str | None = None,
    refresh_coverage: bool = True,
) -> RecordOutcome:
    """Record the ducts laid in a finished dig, all in one atomic workspace write.

    The dig's stretches in the ``plan`` layer become ``ducts`` features (id
    ``<dig>/<edge>``, status ``existing``, origin ``co-dig``, owner
    ``municipality``, ``year_laid``; extra columns ``dig_id``, ``laid_on``
    (ISO date: the dig's end) and ``plan_id``), the dig's status becomes
    ``done``, and a ``laid`` row (metres, cost, households) is logged. When
    the workspace has coverage layers they are recomputed in the same write.

    Parameters
    ----------
    workspace : path-like
    dig_id : str
    year : int, optional
        Year laid (default: the year the dig ended).
    date : date or str, optional
        Date of the log entry (default today).
    scenario : str, optional
        The plan's scenario, when the ``plan`` layer holds several.
    refresh_coverage : bool
        Compute coverage before and after (and rewrite the coverage layers
        when the workspace has them).

    Returns
    -------
    RecordOutcome
        ``recorded`` is False (and nothing is written) when the dig was
        recorded before.

    Raises
    ------
    InputError
        Unknown dig, no plan rows for it, a year before the dig, or a dig
        whose request was declined.
    """
    from ..io.workspace import list_layers, read_layer, write_layers

    path = Path(workspace)
    present = list_layers(path)
    layers = {n: read_layer(path, n) for n in ("digs", "plan", "ducts") if n in present}
    log = read_decisions(path)
    changed, log, (outcome,) = _record_layers(
        layers, log, [(dig_id, year, date)], scenario=scenario, source=str(path)
    )
    if not outcome.recorded:
        return outcome
    out: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {**changed, DECISIONS_TABLE: log}
    if refresh_coverage:
        for name in ("streets", "addresses", "backbone", "sites", "districts"):
            if name in present:
                layers[name] = read_layer(path, name)
        drop = _coverage_drop(path)
        before = _coverage(layers, drop)
        after = _coverage({**layers, **changed}, drop)
        if before is not None and after is not None:
            outcome.households_before = before.summary()["households_duct_covered"]
            outcome.households_after = after.summary()["households_duct_covered"]
            if "coverage" in present:
                out.update(after.layers())
    write_layers(path, out, note=f"as-built: dig {outcome.dig_id} recorded")
    return outcome


def record_command(args: argparse.Namespace) -> Result:
    """``ductplanner record WORKSPACE --dig ID [--year Y]``."""
    from ..core.result import Result

    path = Path(args.workspace)
    outcome = record_dig(path, args.dig, year=args.year, scenario=getattr(args, "scenario", None))
    summary = {"workspace": str(path), **outcome.summary()}
    ler = getattr(args, "ler", None)
    if not outcome.recorded:
        text = (
            f"dig {outcome.dig_id} was recorded before ({len(outcome.ducts)} ducts, laid "
            f"{outcome.year}); nothing changed"
        )
    else:
        text = (
            f"recorded dig {outcome.dig_id}: {len(outcome.ducts)} ducts, "
            f"{metres(outcome.metres)}, laid {outcome.year}, DKK {number(outcome.cost_dkk)}; "
            f"the dig is done"
        )
        if outcome.households_before is not None:
            gain = int(outcome.households_after or 0) - int(outcome.households_before)
            text += (
                f"\nhouseholds duct-covered: {number(outcome.households_before)} -> "
                f"{number(outcome.households_after or 0)} ({gain:+d})"
            )
    if ler:
        from ..io.ler import export_ler

        written = export_ler(path, Path(ler), owner=getattr(args, "owner", None))
        summary["ler"] = str(written)
        text += f"\nwrote the LER 2.0 export {written}"
    return Result(summary=summary, text=text)


# --- the demo ---------------------------------------------------------------------------


def _demo_history(
    requests: Sequence[RequestSet],
    digs: gpd.GeoDataFrame,
    seed: int,
    planning_date: dt.date,
) -> tuple[list[dict[str, Any]], list[tuple[str, dt.date]]]:
    """Seeded request/answer rows up to :data:`EVALUATION_DATE`, and the digs to record."""
    rng = np.random.default_rng([seed, 5])
    info = digs.set_index(digs["id"].astype(str))
    events: list[tuple[dt.date, int, dict[str, Any]]] = []
    to_record: list[tuple[str, dt.date]] = []
    for request in requests:
        for r in request.digs.itertuples(index=False):
            dig = str(r.dig_id)
            start = pd.Timestamp(info.loc[dig, "start"]).date()
            end = pd.Timestamp(info.loc[dig, "end"]).date()
            asked = max(start - dt.timedelta(days=int(rng.integers(60, 150))), planning_date)
            answered = asked + dt.timedelta(days=int(rng.integers(10, 45)))
            agree = rng.random() < DEMO_AGREE_SHARE
            reason = DEMO_DECLINE_REASONS[int(rng.integers(len(DEMO_DECLINE_REASONS)))]
            if asked > EVALUATION_DATE:
                continue
            figures = {
                "owner": request.owner,
                "year": int(r.year),
                "metres": round(float(r.metres), 1),
                "cost_dkk": round(float(r.cost_dkk), 0),
                "households": float(r.households),
                "opportunity_ids": str(r.opportunity_ids),
            }
            events.append((asked, 0, decision_row(dig, "proposed", date=asked, **figures)))
            if answered > EVALUATION_DATE:
                continue
            if agree:
                events.append((answered, 1, decision_row(dig, "agreed", date=answered)))
                if end < EVALUATION_DATE:
                    to_record.append((dig, end))
            else:
                row = decision_row(dig, "declined", date=answered, reason=reason)
                events.append((answered, 1, row))
    events.sort(key=lambda e: (e[0], e[1], e[2]["dig_id"]))
    to_record.sort(key=lambda d: (d[1], d[0]))
    return [e[2] for e in events], to_record


def _demo_scenario(plan: gpd.GeoDataFrame) -> str | None:
    if "scenario" not in plan.columns:
        return None
    names = list(pd.unique(plan["scenario"].astype(str)))
    preferred = [n for n in names if "revised" in n.lower()]
    return (preferred or names or [None])[0]


def demo_step(ctx: DemoContext) -> StepOutcome:
    """Write requests to each utility, a seeded decision history and the as-built ducts.

    Writes ``requests/<owner>/`` for every owner with chosen stretches, logs
    the requests the plan's digs would have had by :data:`EVALUATION_DATE`
    (a seeded :data:`DEMO_AGREE_SHARE` agreed, the rest declined with a
    reason), records agreed digs that ended before that date as ducts, and
    recomputes the coverage layers.
    """
    from ..analysis.coverage import coverage_workspace
    from ..io.workspace import list_layers, read_layer, write_layers
    from ..pipeline import StepOutcome
    from .demo import DEMO_PLANNING_DATE

    path = ctx.workspace
    present = list_layers(path)
    if "plan" not in present:
        line = "skipped: the workspace has no plan layer (the plan step did not run)"
        return StepOutcome(line=line, summary={"skipped": True, "reason": line})
    layers = {n: read_layer(path, n) for n in ("digs", "plan", "ducts", "streets") if n in present}
    scenario = _demo_scenario(layers["plan"])
    plan = _one_scenario(layers["plan"], scenario, str(path))
    layers["plan"] = plan
    co_dig = plan[plan["kind"].astype(str) == "co-dig"] if "kind" in plan.columns else plan
    owners = sorted(pd.unique(co_dig["owner"].astype(str)))
    requests = [build_requests(layers, o, scenario=scenario, source=str(path)) for o in owners]
    requests = [r for r in requests if len(r.digs)]
    history, to_record = _demo_history(requests, layers["digs"], ctx.seed, DEMO_PLANNING_DATE)
    log = next_decisions(empty_decisions(), history, source=str(path))  # the demo starts afresh
    changed, log, recorded = _record_layers(
        layers,
        log,
        [(dig, None, end) for dig, end in to_record],
        scenario=scenario,
        source=str(path),
    )
    layers.update(changed)
    out: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {DECISIONS_TABLE: log}
    if recorded:
        out.update(ducts=layers["ducts"], digs=layers["digs"])
    write_layers(path, out, synthetic=True, note="demo decision history up to the evaluation")
    written: list[Path] = []
    current = decision_status(log).set_index("dig_id")["status"]
    for request in requests:
        for frame in (request.digs, request.stretches):
            frame["status"] = frame["dig_id"].map(current).fillna("not yet asked")
        folder = ctx.out / "requests" / owner_slug(request.owner)
        written += write_requests(request, folder, label=ctx.label)
    report = coverage_workspace(path)
    counts = decision_counts(log)
    status = decision_status(log)["status"].value_counts()
    summary = {
        "scenario": scenario,
        "evaluation_date": EVALUATION_DATE.isoformat(),
        "owners": [r.owner for r in requests],
        "requested": len(decision_status(log)),
        "status": {s: int(status.get(s, 0)) for s in DECISION_STATUSES},
        "per_year": {int(y): {k: int(v) for k, v in row.items()} for y, row in counts.iterrows()},
        "recorded_digs": [o.dig_id for o in recorded],
        "recorded_metres": round(sum(o.metres for o in recorded), 1),
        "recorded_cost_dkk": round(sum(o.cost_dkk for o in recorded), 0),
        "households_duct_covered": report.summary()["households_duct_covered"],
    }
    line = (
        f"{summary['requested']} digs requested from {len(requests)} utilities by "
        f"{EVALUATION_DATE}: {summary['status']['agreed']} agreed, "
        f"{summary['status']['declined']} declined, {len(recorded)} laid "
        f"({metres(summary['recorded_metres'])}); {report.headline()}"
    )
    return StepOutcome(written=written, line=line, summary=summary)
