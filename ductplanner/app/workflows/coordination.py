"""The co-digging commands: requests to a utility, its answers, and the ducts laid.

Co-digging only happens when the utility that opens the street agrees. These
workflows close that loop on a workspace:

1. :func:`requests_command` (``ductplanner requests WORKSPACE --owner NAME``):
   for one utility, the digs the plan wants to join (the ``plan`` layer; the
   ``opportunities`` layer where there is no plan yet), written by
   :func:`write_requests` as a GeoPackage, a CSV and a short HTML letter. Each
   requested dig is logged ``proposed`` (once).
2. :func:`log_decision` / :func:`decide_command` (``ductplanner decide``): the
   utility's answer, ``agreed`` or ``declined`` (with a reason).
3. :func:`record_dig` / :func:`record_command` (``ductplanner record``): after
   a joined dig is finished its chosen stretches become ``ducts``, the dig's
   status becomes ``done`` and a ``laid`` row is logged, in one atomic write.
   Recording twice changes nothing.

What to request is computed in :mod:`ductplanner.analysis.requests`, the
ducts laid in :mod:`ductplanner.analysis.as_built`, the letter in
:mod:`ductplanner.render.letters`; the decision log's rules live in
:mod:`ductplanner.model.decisions`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ...analysis.addresses import DEFAULT_DROP_M
from ...analysis.as_built import AsBuiltDiff, DigLaid, RecordOutcome, record_layers
from ...analysis.coverage import CoverageReport, compute_coverage
from ...analysis.requests import (
    RequestSet,
    build_requests,
    find_dig,
    owner_slug,
    proposal_rows,
    stretch_figures,
)
from ...core._atomic import replacing_all
from ...core._errors import InputError, Problem
from ...core._format import Lang, is_nan, metres, number, spreadsheet_safe
from ...core.result import Result
from ...io.importer import read_as_built
from ...io.ler import export_ler
from ...io.workspace import (
    Workspace,
    WorkspaceLike,
    as_workspace,
    list_layers,
    locked,
    read_layer,
    read_sources,
    read_table,
    write_layers,
)
from ...model.decisions import DECISIONS_TABLE, decision_row, next_decisions, typed_decisions
from ...render.letters import request_letter

__all__ = [
    "CSV_DIALECTS",
    "RecordOutcome",
    "decide_command",
    "log_decision",
    "read_decisions",
    "record_command",
    "record_dig",
    "requests_command",
    "write_requests",
]


def read_decisions(workspace: WorkspaceLike) -> pd.DataFrame:
    """Read a workspace's decision log (an empty log when it has none)."""
    return typed_decisions(read_table(workspace, DECISIONS_TABLE, required=False))


def log_decision(
    workspace: WorkspaceLike,
    dig_id: str,
    status: str,
    *,
    reason: str = "",
    date: dt.date | str | None = None,
    window: tuple[dt.date | str, dt.date | str] | None = None,
) -> dict[str, Any]:
    """Log a utility's answer (or a request) for one dig in the workspace.

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage.
    dig_id : str
        The dig, as in the ``digs`` layer.
    status : {"proposed", "agreed", "declined", "countered"}
        ``laid`` is logged by :func:`record_dig` only; ``countered`` is the
        utility proposing another window.
    reason : str
        Why; required when ``declined``.
    date : date or str, optional
        The day the answer came (default today): not in the future, and not
        before the dig's previous entry in the log.
    window : (date, date), optional
        With ``countered``: the first and last day the utility could let the
        municipality lay (not over, not more than five years ahead).

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
    path = as_workspace(workspace)
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
    with locked(path):  # the log as the last writer left it
        digs = read_layer(path, "digs")
        dig = find_dig(digs, dig_id, source)
        log = read_decisions(path)
        row = decision_row(
            dig_id, status, owner=str(dig["owner"]), reason=reason, date=date, window=window
        )
        if dig_id not in set(log["dig_id"]):
            row.update(_dig_figures(path, list_layers(path), dig))
        log = next_decisions(log, [row], source=source)
        write_layers(path, {DECISIONS_TABLE: log}, note="decision log")
    return log.iloc[-1].to_dict()


def _dig_figures(path: Workspace, present: Sequence[str], dig: pd.Series) -> dict[str, Any]:
    """Year, metres, cost, households and stretches of a dig from the plan (or opportunities)."""
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
            figures.update(stretch_figures(rows, "plan" if name == "plan" else "opportunities"))
            break
    return figures


CSV_DIALECTS = ("plain", "excel-da")
"""``plain``: commas, decimal points, UTF-8. ``excel-da``: what Danish Excel opens as columns
(semicolons, decimal commas, UTF-8 with a byte-order mark)."""


def write_requests(
    request: RequestSet,
    out: str | os.PathLike[str],
    *,
    requester: str | None = None,
    label: str = "",
    lang: Lang = "en",
    csv_dialect: str | None = None,
) -> list[Path]:
    """Write a request as GeoPackage, CSV and HTML into ``out``, each file atomically.

    Files: ``requests-<owner>.gpkg`` (layer ``requests``, one line per
    stretch), ``requests-<owner>.csv`` (the same rows, geometry as WKT, text
    that a spreadsheet would run as a formula neutralised) and
    ``requests-<owner>.html`` (a short letter in ``lang`` with one table row
    per dig). Every file is written beside its target under a temporary name
    and renamed into place only once all three are written. ``csv_dialect``
    is one of :data:`CSV_DIALECTS` (default ``excel-da`` for a Danish letter,
    else ``plain``).

    Returns
    -------
    list of Path
        The three files.
    """
    dialect = csv_dialect or ("excel-da" if lang == "da" else "plain")
    if dialect not in CSV_DIALECTS:
        raise InputError(
            [
                Problem(
                    "command line", "", "", "--csv", "allowed",
                    f"{dialect!r} is not a CSV dialect", f"use one of: {', '.join(CSV_DIALECTS)}",
                )
            ]
        )  # fmt: skip
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"requests-{owner_slug(request.owner)}"
    targets = [out / f"{stem}.gpkg", out / f"{stem}.csv", out / f"{stem}.html"]
    with replacing_all(targets) as (gpkg, csv, letter):
        request.stretches.to_file(gpkg, layer="requests", driver="GPKG", engine="pyogrio")
        table = pd.DataFrame(request.stretches.drop(columns="geometry"))
        table["wkt"] = request.stretches.geometry.to_wkt().to_numpy()
        table = table.map(spreadsheet_safe)  # a utility's own texts may be formulas
        if dialect == "excel-da":
            table.to_csv(csv, index=False, sep=";", decimal=",", encoding="utf-8-sig")
        else:
            table.to_csv(csv, index=False, encoding="utf-8")
        page = request_letter(request, requester=requester, label=label, lang=lang)
        letter.write_text(page, "utf-8")
    return targets


def _read_for_requests(path: Workspace) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame]:
    present = list_layers(path)
    layers = {"digs": read_layer(path, "digs")}
    for name in ("plan", "opportunities", "streets"):
        if name in present:
            layers[name] = read_layer(path, name)
    return layers, read_decisions(path)


def requests_command(
    workspace: WorkspaceLike,
    owner: str,
    *,
    out: str | os.PathLike[str] | None = None,
    scenario: str | None = None,
    as_of: dt.date | None = None,
    lang: Lang = "en",
    csv_dialect: str | None = None,
) -> Result:
    """``ductplanner requests WORKSPACE --owner NAME [--out DIR] [--as-of DATE] [--lang da]``.

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage.
    owner : str
        The utility, as named in the ``digs`` layer (case and spacing ignored).
    out : path-like, optional
        Folder for the files (default ``requests-<owner>`` beside the workspace).
    scenario : str, optional
        The plan's scenario, when the ``plan`` layer holds several.
    as_of : date, optional
        The day the requests go out (default today): digs whose window
        closed before it are not requested, those closing within two weeks
        are named, and the requests are logged on this day.
    lang, csv_dialect
        The letter's language and the CSV's dialect (see :func:`write_requests`).

    Returns
    -------
    Result
        The request's summary (with ``warnings``), the files written and the
        digs logged ``proposed``.
    """
    path = as_workspace(workspace)
    as_of = as_of or dt.date.today()
    with locked(path):  # the log as the last writer left it; one request at a time
        layers, log = _read_for_requests(path)
        request = build_requests(
            layers,
            owner,
            decisions=log,
            scenario=scenario,
            as_of=as_of,
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
            text += "".join(f"\nwarning: {w}" for w in request.warnings)
            return Result(summary=summary, text=text)
        folder = Path(out) if out else path.parent / f"requests-{owner_slug(request.owner)}"
        sources = read_sources(path)
        synthetic = bool(sources.loc[sources["layer"] == "digs", "synthetic"].any())
        label = "Synthetic demo data: made-up digs, not a real request" if synthetic else ""
        proposals = proposal_rows(request, log, as_of)
        request.digs.loc[request.digs["status"] == "", "status"] = "proposed"
        request.stretches.loc[request.stretches["status"] == "", "status"] = "proposed"
        summary = {"workspace": str(path), **request.summary()}
        files = write_requests(request, folder, label=label, lang=lang, csv_dialect=csv_dialect)
        if proposals:  # after the files: a request is logged only once it is written
            log = next_decisions(log, proposals, source=str(path))
            write_layers(path, {DECISIONS_TABLE: log}, note="decision log")
        proposed = [r["dig_id"] for r in proposals]
        summary.update(files=[str(f) for f in files], proposed=proposed)
        return Result(summary=summary, text=_request_text(request, summary, proposed, files))


def _request_text(
    request: RequestSet, summary: Mapping[str, Any], proposed: Sequence[str], files: Sequence[Path]
) -> str:
    """Return the ``requests`` text: the request per dig, what was logged, what was skipped."""
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
    lines += [f"warning: {w}" for w in request.warnings]
    return "\n".join(lines)


def decide_command(
    workspace: WorkspaceLike,
    dig: str,
    status: str,
    *,
    reason: str = "",
    date: dt.date | str | None = None,
    window: tuple[dt.date | str, dt.date | str] | None = None,
) -> Result:
    """``ductplanner decide WORKSPACE --dig ID --status STATUS [--window A B] [--date D]``.

    See :func:`log_decision` for the parameters; returns the row logged.
    """
    row = log_decision(
        as_workspace(workspace), dig, status, reason=reason or "", date=date, window=window
    )
    summary = {"workspace": str(workspace), **_jsonable(row)}
    why = f" ({row['reason']})" if row["reason"] else ""
    if row["window_start"]:
        why += f", another window {row['window_start']} – {row['window_end']}"
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


def _coverage_drop(path: Workspace) -> float:
    """Return the drop distance the workspace's coverage layers were computed with."""
    sources = read_sources(path)
    notes = sources.loc[sources["layer"] == "coverage", "note"].astype(str)
    for note in notes:
        found = re.search(r"drop distance ([0-9.]+) m", note)
        if found:
            return float(found.group(1))
    return DEFAULT_DROP_M


def _coverage(layers: Mapping[str, gpd.GeoDataFrame], drop: float) -> CoverageReport | None:
    if "streets" not in layers or "addresses" not in layers:
        return None
    return compute_coverage(layers, drop=drop)


def record_dig(
    workspace: WorkspaceLike,
    dig_id: str,
    *,
    year: int | None = None,
    date: dt.date | str | None = None,
    as_built: str | os.PathLike[str] | None = None,
    crs: str | None = None,
    scenario: str | None = None,
    refresh_coverage: bool = True,
) -> RecordOutcome:
    """Record the ducts laid in a finished dig, all in one atomic workspace write.

    The dig's stretches in the ``plan`` layer become ``ducts`` features (id
    ``<dig>/<edge>``, status ``existing``, origin ``co-dig``, owner
    ``municipality``, ``year_laid``; extra columns ``dig_id``, ``laid_on``
    (ISO date: the day laid, default the dig's end) and ``plan_id``), the
    dig's status becomes ``done``, and a ``laid`` row (metres, cost,
    households) is logged. With ``as_built``, the lines of that file, snapped
    onto the streets, are the ducts instead (ids ``<dig>/as-built-<n>``,
    extra column ``as_built``: the file); they also replace the ducts of a dig
    recorded from its plan before. When the workspace has coverage layers
    they are recomputed in the same write.

    Parameters
    ----------
    workspace : path-like
    dig_id : str
    year : int, optional
        Year laid (default: the year of ``date``, else the year the dig ended).
    date : date or str, optional
        The day the ducts were laid: the log entry's date (default today)
        and the ducts' ``laid_on``.
    as_built : path-like, optional
        The lines laid as measured in (any file ``import`` reads).
    crs : str, optional
        The CRS of the as-built's coordinates, when the file declares none.
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
        Unknown dig, no plan rows for it (and no as-built), a year or date
        before the dig, a date in the future, a bad as-built file, or a dig
        whose request was declined; nothing is written.
    """
    path = as_workspace(workspace)
    with locked(path):  # the layers and log as the last writer left them
        present = list_layers(path)
        lines = None if as_built is None else read_as_built(Path(as_built), crs=crs).geometry
        edited: tuple[str, ...] = ("digs", "plan", "ducts", "streets")
        layers = {n: read_layer(path, n) for n in edited if n in present}
        log = read_decisions(path)
        laid = DigLaid(dig_id, year, date, lines, "" if as_built is None else Path(as_built).name)
        changed, log, (outcome,) = record_layers(
            layers, log, [laid], scenario=scenario, source=str(path)
        )
        if not outcome.recorded:
            return outcome
        out: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {**changed, DECISIONS_TABLE: log}
        if refresh_coverage:
            for name in ("addresses", "backbone", "sites", "districts"):
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


def _as_built_text(diff: AsBuiltDiff) -> str:
    not_laid = len(diff.stretches_not_laid)
    lines = [
        f"as built ({diff.source}): {metres(diff.laid_m)} laid against {metres(diff.planned_m)} "
        f"planned; {len(diff.stretches_planned) - not_laid} of {len(diff.stretches_planned)} "
        f"planned stretches laid, {metres(diff.beyond_plan_m)} beyond the plan"
    ]
    lines += [f"warning: {w}" for w in diff.warnings()]
    return "\n".join(lines)


def record_command(
    workspace: WorkspaceLike,
    dig: str,
    *,
    year: int | None = None,
    date: dt.date | str | None = None,
    as_built: str | os.PathLike[str] | None = None,
    crs: str | None = None,
    scenario: str | None = None,
    ler: str | os.PathLike[str] | None = None,
    owner: str | None = None,
    depth_mm: float | None = None,
    diameter_mm: float | None = None,
) -> Result:
    """``ductplanner record WORKSPACE --dig ID [--date D] [--as-built FILE] [--ler FILE]``.

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage.
    dig : str
        The finished dig.
    year, date, as_built, crs
        As for :func:`record_dig`.
    scenario : str, optional
        The plan's scenario, when the ``plan`` layer holds several.
    ler : path-like, optional
        Also write the LER export (LER 2.2.0) of all ducts to this file.
    owner : str, optional
        With ``ler``: the duct owner as registered in LER.
    depth_mm, diameter_mm : float, optional
        With ``ler``: guiding depth and outer diameter for ducts without them
        (LER requires both for ducts laid after 1 July 2023).

    Returns
    -------
    Result
        :meth:`RecordOutcome.summary` (and ``ler``, the export written, or
        ``ler_problems`` when it could not be: the recording stands).
    """
    path = as_workspace(workspace)
    outcome = record_dig(
        path, dig, year=year, date=date, as_built=as_built, crs=crs, scenario=scenario
    )
    summary = {"workspace": str(path), **outcome.summary()}
    if not outcome.recorded:
        text = (
            f"dig {outcome.dig_id} was recorded before ({len(outcome.ducts)} ducts, laid "
            f"{outcome.year}); nothing changed"
        )
    else:
        cost = "cost unknown" if is_nan(outcome.cost_dkk) else f"DKK {number(outcome.cost_dkk)}"
        text = (
            f"recorded dig {outcome.dig_id}: {len(outcome.ducts)} ducts, "
            f"{metres(outcome.metres)}, laid {outcome.year}, {cost}; the dig is done"
        )
        if outcome.as_built is not None:
            text += "\n" + _as_built_text(outcome.as_built)
        if outcome.households_before is not None:
            gain = int(outcome.households_after or 0) - int(outcome.households_before)
            text += (
                f"\nhouseholds duct-covered: {number(outcome.households_before)} -> "
                f"{number(outcome.households_after or 0)} ({gain:+d})"
            )
    if ler:
        try:
            written = export_ler(
                path, Path(ler), owner=owner, depth_mm=depth_mm, diameter_mm=diameter_mm
            )
        except InputError as exc:
            summary["ler_problems"] = [p.as_dict() for p in exc.problems]
            text += (
                f"\nrecorded, but the LER export was not written:\n{exc}\n"
                "write it with ductplanner export-ler once the ducts have what LER asks"
            )
        else:
            summary["ler"] = str(written)
            text += f"\nwrote the LER 2.2.0 export {written}"
    return Result(summary=summary, text=text)
