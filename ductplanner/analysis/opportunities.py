"""Co-digging opportunities: the street stretches other parties' digs open.

:func:`find_opportunities` overlays the ``digs`` layer on the street network
and the ducts and returns an :class:`OpportunityReport`: one *stretch* per
(dig, street edge) the dig opens, with its metres, cost, probability and the
households it would cover, and the *conflicts* where two parties open one
stretch within the road authority's protection period.
:func:`planning_instance` turns the candidates into the optimizer's
:class:`~ductplanner.optimize.PlanningInstance`.

This module runs the overlay (:func:`find_opportunities`) and builds the
stretches' rows; its parts live by concern in :mod:`~ductplanner.analysis.digs`
(fibre project, probability, dates), :mod:`~ductplanner.analysis.overlay` (what
a dig opens), :mod:`~ductplanner.analysis.reach` (what a stretch reaches),
:mod:`~ductplanner.analysis.conflicts` and
:mod:`~ductplanner.analysis.opportunity_report`. Their public names used
elsewhere are importable from here too.

Overlay rules
-------------
*Which digs.* Digs with status ``planned`` or ``confirmed`` give stretches;
``done`` and ``cancelled`` digs give none (a finished trench is closed; it is
recorded with ``ductplanner record``), nor does a dig whose latest decision in
the decision log is ``declined``, nor (given the run's ``as_of`` date) one
whose window ended before it. The summary's ``left_out`` says how many digs
were left out for each reason, and which. Digs of the municipality's own fibre
project (purpose ``fibre``, or an owner naming a fibre project) are
opportunities like any other: ducts for citizens go into the same trench.

*What a dig opens.* A line dig opens the part of every street edge within
:data:`LINE_TOLERANCE_M` (10 m, the duct tolerance of the network) of it,
between its two ends (a trench stops where it stops); a polygon dig (an
area, a junction box) the part of every edge inside it, give or take
:data:`AREA_TOLERANCE_M` (1 m) — so a polygon over a junction opens a piece
of every street meeting there. Pieces of one dig on one edge are merged;
the stretch's ``metres`` are their length. A line dig crossing a street (or
ending at a junction) touches the cross street for no more than about the
tolerance: pieces of a line dig no longer than twice the tolerance are not
stretches, unless they are at least half of their edge.

*Partial stretches.* The optimizer ducts whole street edges. A stretch that
opens at least :data:`WHOLE_EDGE_SHARE` (half) of its edge counts as the whole
edge: once its duct is laid the network's own rule (an edge carries a duct
when half its length has one) says the edge carries a duct. Its ``metres``
and ``cost_dkk`` are those of the opened part. A shorter stretch is listed
(``edge_share`` below one half, ``candidate`` false, no households) but is no
candidate: alone it gives no edge a duct.

*Streets with a duct already.* A dig along an edge that carries a duct gives
no stretch for that edge; the summary counts these (``along_duct``).

*Years.* A stretch's ``year`` is the year its dig starts. The planner can
choose it when that year is a plan year of the scenario; a dig that starts
before the first plan year but is still open in it counts for the first plan
year. Stretches of digs outside the plan years are listed (``candidate``
false) and counted in the summary (``outside_years``).

Probability
-----------
``probability`` is the chance that the trench opens in its window:
``scenario.confidence.probability(dig.confidence)`` — by default firm 0.95,
budgeted 0.75, indicative 0.40 — raised to at least the ``firm`` value when
the dig is ``confirmed`` or has a permit date. Override the values in the
scenario's ``[confidence]`` table.

Households
----------
``households_potential`` are the households on the stretch's edge plus those
of the duct islands it touches: covered once the stretch is connected to the
backbone. ``households_now`` are the same households when the stretch touches
the connected duct network or a backbone node (laid alone, it covers them at
once), else 0. ``touches`` says ``network``, ``island`` or ``none``.

Conflicts
---------
Two digs of different owners (compared ignoring case) that open the same stretch (at least
:data:`MIN_CONFLICT_M` metres of one edge in common) with at most
``conflict_years`` (default 2, the road authority's protection period)
between the end of the first and the start of the second: the road
authority can ask them to dig once. ``done`` digs count (the street was just
restored); ``cancelled`` ones do not.

>>> from ductplanner.app.demo import tiny_layers
>>> report = find_opportunities(tiny_layers())
>>> report.candidates[["dig_id", "edge_id", "metres", "touches"]].tail(3)
  dig_id edge_id  metres  touches
4  FIB-1    C1:1    80.0   island
5  RAD-1    V2:1   100.0  network
6  RAD-1    V2:2   100.0     none
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..core._errors import InputError, Problem
from ..core._format import text_column
from ..core.progress import OnStep, no_step
from ..model.layers import DEFAULT_WORKSPACE_CRS, SCHEMAS
from ..model.network import StreetNetwork, build_network
from ..model.scenarios import DEFAULT_SCENARIO, Scenario, as_scenario
from .addresses import address_coverage, edge_demand
from .checks import require_geometry, require_layers
from .conflicts import CONFLICT_COLUMNS, CONFLICT_YEARS, MIN_CONFLICT_M, find_conflicts
from .digs import (
    ACTIVE_STATUSES,
    LEFT_OUT_REASONS,
    dig_dates,
    dig_probability,
    is_fibre_project,
    left_out_digs,
)
from .opportunity_report import OpportunityReport
from .overlay import (
    AREA_TOLERANCE_M,
    LINE_TOLERANCE_M,
    WHOLE_EDGE_SHARE,
    dig_stretches,
    edge_substrings,
)
from .reach import duct_reach, households_touched, root_nodes

__all__ = [
    "ACTIVE_STATUSES",
    "AREA_TOLERANCE_M",
    "CONFLICT_COLUMNS",
    "CONFLICT_YEARS",
    "DEFAULT_SCENARIO",
    "LINE_TOLERANCE_M",
    "MIN_CONFLICT_M",
    "OPPORTUNITY_COLUMNS",
    "OPPORTUNITY_STEPS",
    "WHOLE_EDGE_SHARE",
    "OpportunityReport",
    "dig_probability",
    "find_opportunities",
    "is_fibre_project",
    "opportunities",
    "plan_year",
    "root_nodes",
]

OPPORTUNITY_STEPS = ("households per street", "digs over the streets", "candidates and counts")
"""The phases :func:`find_opportunities` reports to ``on_step`` after those of the network
(:data:`~ductplanner.model.network.NETWORK_STEPS`, when it builds one)."""


OPPORTUNITY_COLUMNS: tuple[str, ...] = tuple(SCHEMAS["opportunities"].field_names)
"""Columns of the ``opportunities`` layer, in order (then ``geometry``)."""

_SOURCE = "<memory>"


def find_opportunities(
    layers: Mapping[str, gpd.GeoDataFrame],
    scenario: Scenario | None = None,
    *,
    year: int | None = None,
    decisions: pd.DataFrame | None = None,
    as_of: dt.date | None = None,
    conflict_years: float = CONFLICT_YEARS,
    network: StreetNetwork | None = None,
    line_tolerance: float = LINE_TOLERANCE_M,
    area_tolerance: float = AREA_TOLERANCE_M,
    source: str = _SOURCE,
    on_step: OnStep | None = None,
) -> OpportunityReport:
    """Overlay the digs on the streets and ducts (see the module docstring for the rules).

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        ``streets`` and ``addresses`` are required; ``ducts`` (those with
        status existing count), ``backbone`` and ``digs`` are used when present.
    scenario : Scenario, optional
        Costs, plan years, drop distance and probabilities; default the
        shipped ``revised-2019``.
    year : int, optional
        Only digs whose trench is open in this year (start year <= year <=
        end year); conflicts where either dig is.
    decisions : DataFrame, optional
        The decision log: digs whose latest decision is ``declined`` give no
        candidates (:func:`~ductplanner.analysis.digs.left_out_digs`).
    as_of : date, optional
        The run's date: digs whose window ended before it give no candidates.
    conflict_years : float
        Protection period: two digs of one stretch at most this many years
        apart conflict.
    network : StreetNetwork, optional
        A network built already from the same layers.
    line_tolerance, area_tolerance : float
        Metres, see :data:`LINE_TOLERANCE_M` and :data:`AREA_TOLERANCE_M`.
    source : str
        Where the layers came from, for error messages.
    on_step : callable, optional
        Called with the name of each phase as it begins (the network's, then
        :data:`OPPORTUNITY_STEPS`), e.g. a progress bar's ``step``.

    Returns
    -------
    OpportunityReport

    Raises
    ------
    InputError
        A required layer is missing, a dig has no usable dates, or an option
        is out of range.
    """
    scenario = scenario or as_scenario()
    step = on_step or no_step
    _check_options(conflict_years, line_tolerance, area_tolerance, source)
    require_layers(layers, ("streets", "addresses"), source)
    if network is None:
        network = _existing_network(layers, source, scenario, on_step)
    crs = network.crs or DEFAULT_WORKSPACE_CRS
    step(OPPORTUNITY_STEPS[0])
    households = _edge_households(layers["addresses"], network, scenario)
    step(OPPORTUNITY_STEPS[1])
    digs = _overlay_digs(layers.get("digs"), network, crs, source)
    start, end = dig_dates(digs, source) if len(digs) else (pd.Series(dtype="datetime64[ns]"),) * 2
    status = text_column(digs, "status").replace("", "planned")
    left_out = left_out_digs(digs, decisions, as_of, end)
    open_in_year = np.ones(len(digs), dtype=bool)
    if year is not None:
        open_in_year = ((start.dt.year <= year) & (end.dt.year >= year)).to_numpy(dtype=bool)
    stretches = dig_stretches(digs, network, line_tolerance, area_tolerance)
    conflicts = find_conflicts(
        digs, stretches, network, start, end, status, conflict_years, open_in_year
    )
    step(OPPORTUNITY_STEPS[2])
    counts, considered = _dig_counts(status, left_out, open_in_year, year)
    counts["left_out"] = _left_out_counts(left_out, text_column(digs, "id"))
    on_street = np.zeros(len(digs), dtype=bool)
    on_street[stretches["dig"].to_numpy(dtype=np.int64)] = True
    off_street = considered & ~on_street
    counts["digs_off_street"] = int(off_street.sum())
    counts["digs_off_street_ids"] = text_column(digs, "id")[off_street].tolist()
    rows = stretches[considered[stretches["dig"].to_numpy(dtype=np.int64)]]
    along = network.has_duct[rows["edge"].to_numpy(dtype=np.int64)]
    counts["along_duct"] = _count(rows[along])
    rows = rows[~along]
    opportunities = _opportunity_rows(
        rows, digs, network, households, scenario, start, end, status, crs
    )
    opportunities = _mark_candidates(opportunities, scenario, counts)
    counts["digs_with_candidates"] = int(
        opportunities.loc[opportunities["candidate"], "dig_id"].nunique()
    )
    counts["fibre_project"] = _fibre_project_counts(digs, considered, opportunities)
    return OpportunityReport(
        opportunities=opportunities,
        conflicts=conflicts,
        network=network,
        edge_households=households,
        scenario=scenario,
        counts=counts,
        year=year,
        conflict_years=conflict_years,
    )


def _dig_counts(
    status: pd.Series, left_out: pd.Series, open_in_year: np.ndarray, year: int | None
) -> tuple[dict[str, Any], np.ndarray]:
    """Return the digs' counts by status, and which digs are considered (usable, open)."""
    active = status.isin(ACTIVE_STATUSES).to_numpy(dtype=bool) & (left_out == "").to_numpy()
    counts: dict[str, Any] = {
        "digs_total": len(status),
        "digs_active": int(active.sum()),
        "digs_done": int((status == "done").sum()),
        "digs_cancelled": int((status == "cancelled").sum()),
        "digs_declined": int((left_out == "declined").sum()),
        "digs_closed": int((left_out == "closed").sum()),
    }
    counts["digs_not_open_in_year"] = None if year is None else int((active & ~open_in_year).sum())
    return counts, active & open_in_year


def _left_out_counts(left_out: pd.Series, ids: pd.Series) -> dict[str, dict[str, Any]]:
    """Return, per reason of :data:`LEFT_OUT_REASONS` that holds, the digs and their ids."""
    out = {}
    for reason in LEFT_OUT_REASONS:
        mask = (left_out == reason).to_numpy(dtype=bool)
        if mask.any():
            out[reason] = {"digs": int(mask.sum()), "ids": sorted(map(str, ids[mask]))}
    return out


def _existing_network(
    layers: Mapping[str, gpd.GeoDataFrame],
    source: str,
    scenario: Scenario,
    on_step: OnStep | None = None,
) -> StreetNetwork:
    """Build the street network with the ducts that exist (planned ones do not count).

    Paths beside roads count as the scenario says
    (``coverage.side_path_distance_m``).
    """
    streets = layers["streets"]
    require_geometry(streets, "streets", ("LineString", "MultiLineString"), source)
    ducts = layers.get("ducts")
    if ducts is not None and "status" in ducts.columns:
        ducts = ducts[ducts["status"].astype(object).eq("existing").to_numpy(dtype=bool)]
    side_paths = scenario.coverage.side_path_distance_m
    return build_network(
        streets, ducts, layers.get("backbone"), side_paths=side_paths, on_step=on_step
    )


def _edge_households(
    addresses: gpd.GeoDataFrame, network: StreetNetwork, scenario: Scenario
) -> np.ndarray:
    """Return the households per edge (edge order) within the scenario's drop distance."""
    if addresses.crs is not None and network.crs is not None and addresses.crs != network.crs:
        addresses = addresses.to_crs(network.crs)
    demand = edge_demand(
        address_coverage(addresses, network, drop=scenario.coverage.drop_distance_m), network
    )
    return demand["households"].to_numpy(dtype=np.int64)


def _overlay_digs(
    digs: gpd.GeoDataFrame | None, network: StreetNetwork, crs: Any, source: str
) -> gpd.GeoDataFrame:
    """Return the digs in the network's CRS, positionally indexed; refuse bad geometries."""
    if digs is None or digs.empty:
        digs = gpd.GeoDataFrame(
            {"id": pd.Series(dtype=object)}, geometry=gpd.GeoSeries([], crs=crs), crs=crs
        )
    elif digs.crs is not None and network.crs is not None and digs.crs != network.crs:
        digs = digs.to_crs(network.crs)
    digs = digs.reset_index(drop=True)
    require_geometry(
        digs, "digs", ("LineString", "Polygon", "MultiLineString", "MultiPolygon"), source
    )
    return digs


def _mark_candidates(
    opportunities: gpd.GeoDataFrame, scenario: Scenario, counts: dict[str, Any]
) -> gpd.GeoDataFrame:
    """Flag the candidates (whole edge, in a plan year), count the others, and order the rows.

    Adds ``partial`` and ``outside_years`` to ``counts``; short partial
    stretches cover no households.
    """
    share = opportunities["edge_share"].to_numpy(dtype=float)
    in_years = plan_year(opportunities, scenario) >= 0
    partial = share < WHOLE_EDGE_SHARE
    counts["partial"] = _count(opportunities[partial], dig_column="dig_id")
    outside = opportunities[~partial & ~in_years]
    counts["outside_years"] = {
        **_count(outside, dig_column="dig_id"),
        "by_year": {
            str(int(y)): int(rows["dig_id"].nunique())
            for y, rows in outside.groupby(outside["year"].astype(int), sort=True)
        },
    }
    candidate = ~partial & in_years
    opportunities["candidate"] = candidate
    no_cover = ~candidate & partial
    opportunities.loc[no_cover, ["households_now", "households_potential"]] = 0
    return _ordered(opportunities)


def _fibre_project_counts(
    digs: gpd.GeoDataFrame, considered: np.ndarray, opportunities: gpd.GeoDataFrame
) -> dict[str, Any]:
    """Count the fibre project's digs considered, their candidates and those metres."""
    fibre = is_fibre_project(digs)
    fibre_ids = set(text_column(digs, "id")[fibre & considered])
    fibre_rows = opportunities[
        opportunities["candidate"] & opportunities["dig_id"].isin(fibre_ids).to_numpy()
    ]
    return {
        "digs": len(fibre_ids),
        "candidates": len(fibre_rows),
        "metres": round(float(fibre_rows["metres"].sum()), 1),
    }


def _check_options(conflict_years: float, line: float, area: float, source: str) -> None:
    problems = []
    for name, value in (
        ("conflict_years", conflict_years),
        ("line_tolerance", line),
        ("area_tolerance", area),
    ):
        if not (np.isfinite(value) and value >= 0) or (name != "conflict_years" and value <= 0):
            problems.append(
                Problem(
                    source,
                    "",
                    "",
                    name,
                    "range",
                    f"{name} is {value}; it must be a positive number",
                    "e.g. --conflict-years 2",
                )
            )
    if problems:
        raise InputError(problems, summary="invalid opportunities options")


def _count(rows: pd.DataFrame, dig_column: str = "dig") -> dict[str, Any]:
    return {
        "stretches": len(rows),
        "metres": round(float(rows["metres"].sum()), 1) if len(rows) else 0.0,
        "digs": int(rows[dig_column].nunique()) if len(rows) else 0,
    }


def _opportunity_rows(
    rows: pd.DataFrame,
    digs: gpd.GeoDataFrame,
    network: StreetNetwork,
    households: np.ndarray,
    scenario: Scenario,
    start: pd.Series,
    end: pd.Series,
    status: pd.Series,
    crs: Any,
) -> gpd.GeoDataFrame:
    dig = rows["dig"].to_numpy(dtype=np.int64)
    edge = rows["edge"].to_numpy(dtype=np.int64)
    metres = rows["metres"].to_numpy(dtype=float)
    dig_ids = text_column(digs, "id").to_numpy(dtype=object)[dig]
    edge_ids = network.edges.index.to_numpy(dtype=object)[edge]
    now, potential, touches = households_touched(
        network, duct_reach(network, households), edge, households
    )
    probability = dig_probability(digs, scenario)[dig] if len(digs) else np.empty(0)
    length = network.length[edge]
    frame = pd.DataFrame(
        {
            "id": [f"{d}@{e}" for d, e in zip(dig_ids, edge_ids, strict=True)],
            "dig_id": dig_ids,
            "owner": text_column(digs, "owner").to_numpy(dtype=object)[dig],
            "purpose": text_column(digs, "purpose")
            .replace("", "other")
            .to_numpy(dtype=object)[dig],
            "edge_id": edge_ids,
            "street": network.edges["name"].to_numpy(dtype=object)[edge],
            "year": start.dt.year.to_numpy(dtype=np.int64)[dig],
            "start": start.to_numpy()[dig],
            "end": end.to_numpy()[dig],
            "metres": np.round(metres, 1),
            "cost_dkk": np.round(metres * scenario.costs.co_dig_per_m, 2),
            "probability": probability,
            "confidence": text_column(digs, "confidence")
            .replace("", "indicative")
            .to_numpy(dtype=object)[dig],
            "dig_status": status.to_numpy(dtype=object)[dig],
            "households_now": now,
            "households_potential": potential,
            "touches": touches,
            "edge_share": np.round(np.clip(metres / np.maximum(length, 1e-9), 0, 1), 4),
            "candidate": np.zeros(len(rows), dtype=bool),
        },
        columns=list(OPPORTUNITY_COLUMNS),
    )
    geometry = edge_substrings(network, edge, rows["a"].to_numpy(), rows["b"].to_numpy())
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=crs).values, crs=crs)


def plan_year(opportunities: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """Return the plan year each stretch can be laid in (-1: outside the plan years).

    The start year when it is a plan year; the first plan year for a dig that
    starts earlier and is still open then.
    """
    years = scenario.years
    start = opportunities["year"].to_numpy(dtype=np.int64)
    end = pd.to_datetime(opportunities["end"]).dt.year.to_numpy(dtype=np.int64)
    inside = (start >= years[0]) & (start <= years[-1])
    straddles = (start < years[0]) & (end >= years[0])
    return np.where(inside, start, np.where(straddles, years[0], -1))


def _ordered(opportunities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Candidates first, then by start, dig and edge: the planning instance's order."""
    key = opportunities.assign(_not=~opportunities["candidate"].to_numpy(dtype=bool))
    order = key.sort_values(["_not", "start", "dig_id", "edge_id"], kind="stable").index
    out = opportunities.loc[order].reset_index(drop=True)
    for column, dtype in (("households_now", "int64"), ("households_potential", "int64")):
        out[column] = out[column].astype(dtype)
    return out


def opportunities(
    layers: Mapping[str, gpd.GeoDataFrame],
    scenario: Scenario | None = None,
    *,
    year: int | None = None,
) -> gpd.GeoDataFrame:
    """Return the ``opportunities`` layer of the workspace layers.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        See :func:`find_opportunities`.
    scenario : Scenario, optional
        Costs, plan years and probabilities; default ``revised-2019``.
    year : int, optional
        Only digs whose trench is open in this year.

    Returns
    -------
    GeoDataFrame
        LineStrings in the network's CRS with :data:`OPPORTUNITY_COLUMNS`.
    """
    return find_opportunities(layers, scenario, year=year).opportunities
