"""What recording finished digs does to the layers: the ducts laid, the digs done, the log.

:func:`record_layers` turns finished digs into ``ducts`` features, marks the
digs ``done`` and logs ``laid`` rows: layers in, layers out. A dig's ducts
are its ``plan`` rows, or, given the as-built lines a contractor measured
in, those lines snapped onto the streets (:func:`snap_to_streets`), which
replace the planned stretches; :class:`AsBuiltDiff` says how the two differ.
The workflow (:func:`ductplanner.app.workflows.coordination.record_dig`)
reads and writes the workspace around it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from ..core._errors import InputError, Problem, WorkspaceError
from ..model.decisions import decision_row, next_decisions
from ..model.layers import DEFAULT_WORKSPACE_CRS, require_valid, validate_layer
from ..model.timeline import parse_day
from .requests import find_dig, one_scenario, stretch_figures

__all__ = [
    "AS_BUILT_TOLERANCE_M",
    "AsBuiltDiff",
    "DigLaid",
    "RecordOutcome",
    "Snapped",
    "record_layers",
    "snap_to_streets",
]

_MUNICIPALITY = "municipality"

AS_BUILT_TOLERANCE_M = 10.0
"""Metres between an as-built line and the street centre line it runs along
(the network's ``duct_tolerance``)."""

_PARALLEL = np.cos(np.radians(30.0))
"""A street piece follows the as-built when their directions differ by less than 30°."""


@dataclass(frozen=True)
class DigLaid:
    """One finished dig to record.

    Attributes
    ----------
    dig_id : str
    year : int, optional
        Year laid (default: that of ``date``, else the year the dig ended).
    date : date or str, optional
        The day the ducts were laid. It dates the log entry (default today)
        and the ducts' ``laid_on`` (default the dig's end).
    as_built : GeoSeries, optional
        The lines laid as measured in, in the workspace CRS; they replace the
        dig's planned stretches.
    as_built_source : str
        The as-built file, for messages.
    """

    dig_id: str
    year: int | None = None
    date: dt.date | str | None = None
    as_built: gpd.GeoSeries | None = None
    as_built_source: str = ""


@dataclass(frozen=True)
class Snapped:
    """As-built lines on the streets.

    Attributes
    ----------
    along : ndarray of LineString
        The pieces of street centre line the as-built runs along.
    off_street : ndarray of LineString
        The parts of the as-built farther than the tolerance from any street
        (kept as laid).
    """

    along: np.ndarray
    off_street: np.ndarray


def snap_to_streets(
    lines: np.ndarray, streets: np.ndarray, tolerance: float = AS_BUILT_TOLERANCE_M
) -> Snapped:
    """Replace as-built lines by the street centre lines they run along.

    A piece of street counts when it lies within ``tolerance`` of the
    as-built and runs the same way (a street the duct merely crosses does
    not); what lies farther than ``tolerance`` from every street is kept as
    laid. Pieces shorter than a metre are dropped.

    >>> from shapely import LineString
    >>> street = [LineString([(0, 0), (100, 0)]), LineString([(50, -50), (50, 50)])]
    >>> laid = [LineString([(10, 3), (90, 4)]), LineString([(90, 4), (90, 40)])]
    >>> out = snap_to_streets(np.array(laid), np.array(street))
    >>> [round(g.length) for g in out.along], [round(g.length) for g in out.off_street]
    ([80], [30])
    """
    lines = np.asarray(lines, dtype=object)
    streets = np.asarray(streets, dtype=object)
    laid = shapely.line_merge(shapely.union_all(lines))
    if laid.is_empty:
        return Snapped(np.array([], dtype=object), np.array([], dtype=object))
    corridor = shapely.buffer(laid, tolerance, cap_style="flat")
    near = streets[shapely.STRtree(streets).query(corridor, predicate="intersects")]
    pieces = _line_parts(shapely.intersection(near, corridor))
    followed = [_followed(p, laid, tolerance) for p in pieces]
    along = np.array([p for p in followed if p is not None and p.length >= 1.0], dtype=object)
    zone = shapely.union_all(shapely.buffer(near, tolerance)) if len(near) else None
    rest = laid if zone is None else shapely.difference(laid, zone)
    off = _line_parts(np.array([rest], dtype=object))
    return Snapped(
        _merged(along), np.array([g for g in off if g.length >= tolerance], dtype=object)
    )


def _line_parts(geoms: np.ndarray) -> list[Any]:
    parts = shapely.get_parts(np.asarray(geoms, dtype=object))
    lines = parts[shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING]
    return [g for g in lines if g.length >= 1.0]


def _direction(line: Any) -> np.ndarray:
    xy = shapely.get_coordinates(line)
    d = xy[-1] - xy[0]
    norm = float(np.hypot(*d))
    return d / norm if norm else d


def _followed(piece: Any, laid: Any, tolerance: float) -> Any:
    """Return the stretch of ``piece`` the as-built runs along (None: it only crosses it)."""
    beside = _line_parts(np.array([shapely.intersection(laid, piece.buffer(tolerance))]))
    along = _direction(piece)
    parallel = [g for g in beside if abs(float(np.dot(along, _direction(g)))) >= _PARALLEL]
    if not parallel:
        return None
    xy = np.concatenate([shapely.get_coordinates(g) for g in parallel])
    at = shapely.line_locate_point(piece, shapely.points(xy))
    return substring(piece, float(at.min()), float(at.max()))


def _merged(pieces: np.ndarray) -> np.ndarray:
    if not len(pieces):
        return pieces
    merged = shapely.line_merge(shapely.union_all(pieces))
    return np.array(_line_parts(np.array([merged], dtype=object)), dtype=object)


@dataclass(frozen=True)
class AsBuiltDiff:
    """How an as-built differs from the plan of its dig.

    Attributes
    ----------
    source : str
        The as-built file.
    planned_m, laid_m : float
        Metres the plan chose in the dig; metres laid (along streets and off them).
    stretches_planned : list of str
        The dig's plan rows (their ``id``).
    stretches_not_laid : list of str
        Planned stretches the as-built does not follow for at least half their length.
    beyond_plan_m : float
        Metres laid farther than the tolerance from every planned stretch.
    off_street_m : float
        Metres laid farther than the tolerance from every street.
    """

    source: str
    planned_m: float
    laid_m: float
    stretches_planned: list[str]
    stretches_not_laid: list[str]
    beyond_plan_m: float
    off_street_m: float

    def summary(self) -> dict[str, Any]:
        """Return the JSON-able summary."""
        return {
            "file": self.source,
            "metres_planned": round(self.planned_m, 1),
            "metres_laid": round(self.laid_m, 1),
            "stretches_planned": len(self.stretches_planned),
            "stretches_not_laid": list(self.stretches_not_laid),
            "metres_beyond_plan": round(self.beyond_plan_m, 1),
            "metres_off_street": round(self.off_street_m, 1),
        }

    def warnings(self) -> list[str]:
        """Return what the recorder should look at."""
        out = []
        if self.off_street_m >= 1:
            out.append(
                f"{self.off_street_m:,.0f} m of the as-built lie more than "
                f"{AS_BUILT_TOLERANCE_M:g} m from any street: kept as laid, but coverage "
                "counts ducts along streets only; check the file's CRS if this is unexpected"
            )
        if self.stretches_not_laid:
            out.append(
                f"{len(self.stretches_not_laid)} planned stretches were not laid: "
                + ", ".join(self.stretches_not_laid)
            )
        return out


def _as_built_diff(
    planned: gpd.GeoDataFrame, snapped: Snapped, laid: gpd.GeoDataFrame, source: str
) -> AsBuiltDiff:
    ducts = shapely.union_all(laid.geometry.to_numpy())  # empty when nothing was laid
    corridors = planned.geometry.buffer(AS_BUILT_TOLERANCE_M).to_numpy()
    followed = shapely.length(shapely.intersection(ducts, corridors))
    share = followed / np.maximum(planned.geometry.length.to_numpy(), 1e-9)
    not_laid = planned["id"].astype(str)[share < 0.5].tolist()
    beyond = shapely.difference(ducts, shapely.union_all(corridors)).length
    return AsBuiltDiff(
        source=source,
        planned_m=float(planned.geometry.length.sum()),
        laid_m=float(laid.geometry.length.sum()),
        stretches_planned=planned["id"].astype(str).tolist(),
        stretches_not_laid=not_laid,
        beyond_plan_m=float(beyond),
        off_street_m=float(sum(g.length for g in snapped.off_street)),
    )


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
    as_built : AsBuiltDiff or None
        How the as-built differed from the plan (None: the plan was laid).
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
    as_built: AsBuiltDiff | None = None

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
            "as_built": None if self.as_built is None else self.as_built.summary(),
            "warnings": [] if self.as_built is None else self.as_built.warnings(),
        }


def _unique_ids(bases: Sequence[str], taken: set[str]) -> list[str]:
    """Return ``bases`` made unique against ``taken`` (``-2``, ``-3`` ... appended), taking them."""
    ids = []
    for base in bases:
        new, k = base, 1
        while new in taken:
            k += 1
            new = f"{base}-{k}"
        taken.add(new)
        ids.append(new)
    return ids


def _duct_features(
    dig_id: str,
    ids: list[str],
    geometry: Sequence[Any],
    year: int,
    laid_on: str,
    crs: Any,
    **extra: Any,
) -> gpd.GeoDataFrame:
    """Duct features (not yet validated) laid in one finished dig: ours, co-dug, existing."""
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
            **extra,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=list(geometry), crs=crs)


def _laid_ducts(
    dig_id: str, rows: gpd.GeoDataFrame, year: int, laid_on: str, taken: set[str]
) -> gpd.GeoDataFrame:
    """Duct features (not yet validated) for the plan rows of one finished dig."""
    ids = _unique_ids([f"{dig_id}/{edge}" for edge in rows["edge_id"].astype(str)], taken)
    plan_ids = rows["id"].astype(str).to_numpy() if "id" in rows else ""
    crs = rows.crs or DEFAULT_WORKSPACE_CRS
    return _duct_features(dig_id, ids, rows.geometry, year, laid_on, crs, plan_id=plan_ids)


def _plan_rows_of(
    layers: Mapping[str, gpd.GeoDataFrame], dig_id: str, scenario: str | None, source: str
) -> gpd.GeoDataFrame:
    plan = layers.get("plan")
    if plan is None:
        raise WorkspaceError(
            f"{source} has no plan layer, so it is not known which stretches of dig {dig_id} "
            f"were laid; run `ductplanner plan {source} --scenario SCENARIO` first"
        )
    plan = one_scenario(plan, scenario, source)
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


def record_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    log: pd.DataFrame,
    digs_laid: Sequence[DigLaid],
    *,
    scenario: str | None,
    source: str,
    today: dt.date | None = None,
) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame, list[RecordOutcome]]:
    """Return the new ducts and digs layers and log after recording finished digs (pure).

    A dig's ducts are its ``plan`` rows or, with an as-built, the as-built
    snapped to the ``streets`` (its ``plan`` rows then only measure the
    difference, and need not exist). Digs recorded before are reported, not
    recorded again.

    Raises
    ------
    InputError
        An unknown dig, no plan rows and no as-built, a date before the dig
        started or after ``today``, a dig whose request was declined.
    """
    digs, ducts = layers["digs"], layers.get("ducts")
    taken = set() if ducts is None else set(ducts["id"].astype(str))
    outcomes: list[RecordOutcome] = []
    new_parts: list[gpd.GeoDataFrame] = []
    rows_logged: list[dict[str, Any]] = []
    replaced: set[str] = set()
    for laid in digs_laid:
        dig = find_dig(digs, laid.dig_id, source)
        dig_id = str(dig["id"])
        if any(o.dig_id == dig_id for o in outcomes):
            continue  # named twice
        before = _already_recorded(ducts, log, dig_id)
        if before is not None and (laid.as_built is None or _has_as_built(ducts, dig_id)):
            outcomes.append(before)
            continue
        if before is not None:  # recorded from the plan: the as-built takes its place
            replaced.add(dig_id)
            laid = dataclasses.replace(laid, year=laid.year or before.year)
        day = _day_laid(dig, laid.date, source)
        on = day or _default_day(dig, today)
        year = _year_laid(dig, on.year if laid.year is None else laid.year, source)
        laid_on = on.isoformat() if year == on.year else f"{year}-12-31"
        if laid.as_built is None:
            rows = _plan_rows_of(layers, dig_id, scenario, source)
            part = _laid_ducts(dig_id, rows, year, laid_on, taken)
            figures = stretch_figures(rows, "plan")
            diff = None
            reason = f"recorded: {len(rows)} stretches laid in {year}"
        else:
            rows = _planned_rows(layers, dig_id, scenario, source)
            part, diff = _as_built_ducts(laid, rows, layers.get("streets"), year, laid_on, taken)
            figures = _as_built_figures(rows, diff)
            figures.setdefault("year", year)
            reason = f"recorded as built ({laid.as_built_source}): {diff.laid_m:,.0f} m in {year}"
        new_parts.append(part)
        if dig_id not in replaced:
            rows_logged.append(
                decision_row(
                    dig_id,
                    "laid",
                    owner=str(dig["owner"]),
                    date=day or dt.date.today(),
                    reason=reason,
                    **figures,
                )
            )
        outcomes.append(
            RecordOutcome(
                dig_id,
                True,
                part,
                year,
                float(figures["metres"]),
                float(figures["cost_dkk"]),
                float(figures["households"]),
                as_built=diff,
            )
        )
    if not new_parts:
        return {}, log, outcomes
    log = next_decisions(log, rows_logged, source=source, today=today)
    new = gpd.GeoDataFrame(pd.concat(new_parts, ignore_index=True), crs=new_parts[0].crs)
    new, problems = validate_layer(new, "ducts", source=source)
    require_valid(problems)
    if ducts is not None and replaced and "dig_id" in ducts.columns:
        ducts = ducts[~ducts["dig_id"].astype(str).isin(replaced).to_numpy()]
    all_ducts = new if ducts is None or not len(ducts) else _concat(ducts, new)
    recorded = {o.dig_id for o in outcomes if o.recorded}
    digs = digs.copy()
    digs.loc[digs["id"].astype(str).isin(recorded).to_numpy(), "status"] = "done"
    for outcome in outcomes:
        if outcome.recorded:
            outcome.ducts = new[new["dig_id"] == outcome.dig_id]
    return {"ducts": all_ducts, "digs": digs}, log, outcomes


def _has_as_built(ducts: gpd.GeoDataFrame | None, dig_id: str) -> bool:
    if ducts is None or "as_built" not in ducts.columns or "dig_id" not in ducts.columns:
        return False
    mine = ducts.loc[ducts["dig_id"].astype(str) == dig_id, "as_built"]
    return bool(mine.fillna("").astype(str).str.len().gt(0).any())


def _default_day(dig: pd.Series, today: dt.date | None) -> dt.date:
    """Return the day a dig recorded without a date was laid: its end, unless still ahead."""
    today = today or dt.date.today()
    end = pd.Timestamp(dig["end"])
    return today if pd.isna(end) else min(end.date(), today)


def _day_laid(dig: pd.Series, date: dt.date | str | None, source: str) -> dt.date | None:
    """Return the day the ducts were laid, refusing one that is no date or before the dig."""
    if date is None:
        return None
    day = parse_day(date, "date", source=source)
    assert day is not None
    start = pd.Timestamp(dig["start"])
    if not pd.isna(start) and day < start.date():
        raise InputError(
            [
                Problem(
                    source, "decisions", str(dig["id"]), "date", "range",
                    f"laid on {day}, before dig {dig['id']} started ({start.date()})",
                    f"give the day the trench was closed, {start.date()} or later",
                )
            ],
            summary="impossible date",
        )  # fmt: skip
    return day


def _planned_rows(
    layers: Mapping[str, gpd.GeoDataFrame], dig_id: str, scenario: str | None, source: str
) -> gpd.GeoDataFrame:
    """Return the dig's plan rows (none when there is no plan, or it chose none there)."""
    plan = layers.get("plan")
    if plan is None or not len(plan):
        return _no_rows()
    plan = one_scenario(plan, scenario, source)
    return plan[plan["dig_id"].astype(str) == str(dig_id)]


def _as_built_ducts(
    laid: DigLaid,
    planned: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame | None,
    year: int,
    laid_on: str,
    taken: set[str],
) -> tuple[gpd.GeoDataFrame, AsBuiltDiff]:
    assert laid.as_built is not None
    crs = laid.as_built.crs or DEFAULT_WORKSPACE_CRS
    if streets is not None and streets.crs is not None:
        crs = streets.crs  # the workspace's: the lines are snapped to its streets
    lines = (laid.as_built.to_crs(crs) if laid.as_built.crs else laid.as_built).to_numpy()
    if streets is None or not len(streets):
        snapped = Snapped(np.array([], dtype=object), np.asarray(_line_parts(lines), dtype=object))
    else:
        snapped = snap_to_streets(lines, streets.geometry.to_numpy())
    geoms = [*snapped.along, *snapped.off_street]
    ids = _unique_ids([f"{laid.dig_id}/as-built-{k + 1}" for k in range(len(geoms))], taken)
    ducts = _duct_features(
        laid.dig_id, ids, geoms, year, laid_on, crs, plan_id="", as_built=laid.as_built_source
    )
    return ducts, _as_built_diff(planned, snapped, ducts, laid.as_built_source)


def _as_built_figures(planned: gpd.GeoDataFrame, diff: AsBuiltDiff) -> dict[str, Any]:
    """Return the log figures of an as-built: metres laid, the plan's cost and households.

    Cost and households scale with the metres of the planned stretches that
    were laid (the as-built tells where, not what it cost); without a plan
    they are unknown (NaN) and the recomputed coverage tells the households.
    """
    if not len(planned):
        return {
            "metres": round(diff.laid_m, 1),
            "cost_dkk": float("nan"),
            "households": float("nan"),
        }
    figures = stretch_figures(planned, "plan")
    laid_rows = planned[~planned["id"].astype(str).isin(diff.stretches_not_laid)]
    per_metre = figures["cost_dkk"] / max(figures["metres"], 1e-9)
    figures["metres"] = round(diff.laid_m, 1)
    figures["cost_dkk"] = round(per_metre * diff.laid_m, 0)
    figures["households"] = (
        stretch_figures(laid_rows, "plan")["households"] if len(laid_rows) else 0.0
    )
    return figures


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
    mine = None
    if ducts is not None and "dig_id" in ducts.columns:
        mine = ducts[ducts["dig_id"].astype(str) == dig_id]
    laid = log[(log["dig_id"] == dig_id) & (log["status"] == "laid")]
    if (mine is None or not len(mine)) and not len(laid):
        return None
    if mine is None:
        mine = _no_rows()
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


def _no_rows() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": pd.Series(dtype=object)}, geometry=[], crs=DEFAULT_WORKSPACE_CRS)
