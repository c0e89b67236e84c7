"""Co-digging opportunities: the street stretches other parties' digs open.

:func:`find_opportunities` overlays the ``digs`` layer on the street network
and the ducts and returns an :class:`OpportunityReport`: one *stretch* per
(dig, street edge) the dig opens, with its metres, cost, probability and the
households it would cover, and the *conflicts* where two parties open one
stretch within the road authority's protection period.
:func:`planning_instance` turns the candidates into the optimizer's
:class:`~ductplanner.optimize.PlanningInstance`.

Overlay rules
-------------
*Which digs.* Digs with status ``planned`` or ``confirmed`` give stretches;
``done`` and ``cancelled`` digs give none (a finished trench is closed; it is
recorded with ``ductplanner record``). Digs of the municipality's own fibre
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

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from ..core._errors import InputError, Problem
from ..model.layers import SCHEMAS, WORKSPACE_CRS
from ..model.network import StreetNetwork, build_network, merge_intervals, stretches_inside
from ..model.scenarios import DEFAULT_SCENARIO, Scenario, as_scenario
from .addresses import address_coverage, edge_demand
from .checks import require_geometry, require_layers

if TYPE_CHECKING:
    pass

__all__ = [
    "ACTIVE_STATUSES",
    "AREA_TOLERANCE_M",
    "CONFLICT_COLUMNS",
    "CONFLICT_YEARS",
    "DEFAULT_SCENARIO",
    "LINE_TOLERANCE_M",
    "MIN_CONFLICT_M",
    "OPPORTUNITY_COLUMNS",
    "WHOLE_EDGE_SHARE",
    "OpportunityReport",
    "dig_probability",
    "find_opportunities",
    "is_fibre_project",
    "opportunities",
    "plan_year",
    "root_nodes",
]

LINE_TOLERANCE_M = 10.0
"""Metres between a line dig and the street centre line it opens."""
AREA_TOLERANCE_M = 1.0
"""Metres around a polygon dig that still count as inside it."""
WHOLE_EDGE_SHARE = 0.5
"""Share of a street edge a stretch must open to count as the whole edge."""
CONFLICT_YEARS = 2
"""Default protection period, years between two digs of one stretch."""
MIN_CONFLICT_M = 5.0
"""Metres two digs must share on one edge to conflict."""
ACTIVE_STATUSES = ("planned", "confirmed")
"""Dig statuses that give stretches."""

OPPORTUNITY_COLUMNS: tuple[str, ...] = tuple(SCHEMAS["opportunities"].field_names)
"""Columns of the ``opportunities`` layer, in order (then ``geometry``)."""
CONFLICT_COLUMNS: tuple[str, ...] = tuple(SCHEMAS["conflicts"].field_names)
"""Columns of the ``conflicts`` layer, in order (then ``geometry``)."""

_FIBRE_OWNER = re.compile(r"fib(?:re|er)", re.IGNORECASE)
_SOURCE = "<memory>"
_DAYS_PER_YEAR = 365.25


# --- digs ----------------------------------------------------------------------------------------


def is_fibre_project(digs: pd.DataFrame) -> np.ndarray:
    """Return which digs belong to the municipality's fibre project.

    A dig does when its purpose is ``fibre`` or its owner names a fibre
    project (``"Fiberprojektet"``, ``"Ballerup fibre project"``).

    >>> frame = pd.DataFrame({"owner": ["Novafos", "Fiberprojektet", "Kommune"],
    ...                       "purpose": ["water", "other", "fibre"]})
    >>> is_fibre_project(frame).tolist()
    [False, True, True]
    """
    purpose = _text(digs, "purpose").str.strip().str.lower() == "fibre"
    owner = _text(digs, "owner").str.contains(_FIBRE_OWNER, regex=True)
    return (purpose | owner).to_numpy(dtype=bool)


def dig_probability(digs: pd.DataFrame, scenario: Scenario | None = None) -> np.ndarray:
    """Return the probability that each dig opens its trench in its window.

    ``scenario.confidence.probability(confidence)``, at least the ``firm``
    value for a ``confirmed`` dig or one with a permit date. A missing
    confidence counts as ``indicative``.

    >>> frame = pd.DataFrame({"confidence": ["firm", "indicative", "indicative"],
    ...                       "status": ["planned", "planned", "confirmed"]})
    >>> dig_probability(frame).tolist()
    [0.95, 0.4, 0.95]
    """
    confidence = (scenario or as_scenario()).confidence
    classes = _text(digs, "confidence").replace("", "indicative")
    p = np.array([confidence.probability(c) for c in classes], dtype=float)
    firm = _text(digs, "status").eq("confirmed").to_numpy(dtype=bool, copy=True)
    if "permit_date" in digs.columns:
        firm |= pd.notna(digs["permit_date"]).to_numpy(dtype=bool)
    return np.where(firm, np.maximum(p, confidence.firm), p)


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].astype(object).where(frame[column].notna(), "").astype(str)


def _dates(digs: gpd.GeoDataFrame, source: str) -> tuple[pd.Series, pd.Series]:
    """Return start and end as timestamps; refuse digs without a usable start or end."""
    problems = []
    out = []
    ids = _text(digs, "id")
    for column in ("start", "end"):
        values = pd.to_datetime(
            digs[column] if column in digs.columns else pd.Series(pd.NaT, index=digs.index),
            errors="coerce",
        )
        for i in np.flatnonzero(values.isna().to_numpy()):
            problems.append(
                Problem(
                    source,
                    "digs",
                    str(ids.iat[i]),
                    column,
                    "required",
                    f"the dig has no usable {column} date",
                    f"fill in {column} as YYYY-MM-DD",
                )
            )
        out.append(values.dt.normalize())
    if problems:
        raise InputError(problems)
    return out[0], out[1]


# --- the overlay ---------------------------------------------------------------------------------


def _line_pieces(lines: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split lines into their segments and inner vertices, each with its line's row.

    Segments buffered with flat caps plus inner vertices buffered to discs
    make the zone around the line with flat ends (a trench stops where it
    stops) and round bends; many small zones intersect far faster than one
    long line's zone.
    """
    xy, line = shapely.get_coordinates(lines, return_index=True)
    same = line[:-1] == line[1:]
    starts, ends = xy[:-1][same], xy[1:][same]
    moves = np.any(starts != ends, axis=1)
    segments = shapely.linestrings(
        np.stack([starts[moves], ends[moves]], axis=1).reshape(-1, 2),
        indices=np.repeat(np.arange(int(moves.sum())), 2),
    )
    seg_line = line[:-1][same][moves]
    inner = np.flatnonzero(same[1:] & same[:-1]) + 1 if len(same) > 1 else np.empty(0, int)
    points = shapely.points(xy[inner])
    pieces = np.concatenate([segments, points]) if len(points) else segments
    return pieces, row[np.concatenate([seg_line, line[inner]]).astype(np.int64)]


def _along_lines(
    edges: np.ndarray, length: np.ndarray, lines: np.ndarray, row: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (row, edge, a, b): the pieces of edges line digs open.

    An edge a line runs along from end to end (the common case) is
    recognised by sampling and opened whole; only the other edges near a line
    are intersected exactly with the zones of :func:`_line_pieces`.
    """
    tree = shapely.STRtree(lines)
    e, c = tree.query(edges, predicate="dwithin", distance=tolerance)
    whole = _wholly_along(edges[e], lines[c], tolerance)
    exact = np.unique(e[~whole])
    pieces, owner = _line_pieces(lines, row)
    ee, cc, a, b = _opened_intervals(edges[exact], pieces, tolerance)
    return (
        np.concatenate([row[c[whole]], owner[cc]]),
        np.concatenate([e[whole], exact[ee]]),
        np.concatenate([np.zeros(int(whole.sum())), a]),
        np.concatenate([length[e[whole]], b]),
    )


def _wholly_along(edges: np.ndarray, lines: np.ndarray, tolerance: float) -> np.ndarray:
    """Return, per (edge, line) pair, whether the line opens the whole edge.

    Samples at most ``tolerance / 2`` apart along the edge must lie within
    ``0.75 * tolerance`` of the line (so every point lies within the
    tolerance), and an edge end that lies off the line's end point would
    reach past the trench's flat end, so that pair is left to the exact test.
    """
    if len(edges) == 0:
        return np.zeros(0, dtype=bool)
    count = np.ceil(shapely.length(edges) / (tolerance / 2)).astype(np.int64) + 1
    pair = np.repeat(np.arange(len(edges)), count)
    starts = np.r_[0, np.cumsum(count)[:-1]]
    fraction = (np.arange(len(pair)) - np.repeat(starts, count)) / np.repeat(count - 1, count)
    samples = shapely.line_interpolate_point(edges[pair], fraction, normalized=True)
    near = np.logical_and.reduceat(shapely.dwithin(samples, lines[pair], 0.75 * tolerance), starts)
    ends = np.concatenate([shapely.get_point(edges, 0), shapely.get_point(edges, -1)])
    host = np.tile(lines, 2)
    along = shapely.line_locate_point(host, ends)
    at_end = (along <= 1e-6) | (along >= shapely.length(host) - 1e-6)
    off_end = at_end & ~shapely.dwithin(ends, shapely.line_interpolate_point(host, along), 1.0)
    return near & ~off_end.reshape(2, -1).any(axis=0)


def _opened_intervals(
    edges: np.ndarray, covers: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (edge, cover, a, b): each piece of an edge within ``tolerance`` of a cover.

    ``a`` and ``b`` are distances along the edge; every (edge, cover) pair is
    kept (two digs on one edge are two stretches). Lines are buffered with
    flat caps, points to discs (see :func:`_line_pieces`).
    """
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), np.empty(0))
    if len(edges) == 0 or len(covers) == 0:
        return empty
    tree = shapely.STRtree(covers)
    e, c = tree.query(edges, predicate="dwithin", distance=tolerance)
    if len(e) == 0:
        return empty
    used, local = np.unique(c, return_inverse=True)
    zones = covers[used].copy()
    point = shapely.get_type_id(zones) == 0
    zones[point] = shapely.buffer(zones[point], tolerance, quad_segs=4)
    zones[~point] = shapely.buffer(zones[~point], tolerance, quad_segs=4, cap_style="flat")
    which, a, b = stretches_inside(edges[e], zones[local])
    return e[which], c[which], a, b


def _stretches(
    digs: gpd.GeoDataFrame, network: StreetNetwork, line_tolerance: float, area_tolerance: float
) -> pd.DataFrame:
    """Return one row per (dig, edge) the dig opens: ``dig``, ``edge``, ``a``, ``b``, ``metres``.

    ``dig`` and ``edge`` are positions in ``digs`` and ``network.edges``;
    ``a``/``b`` the first and last metre opened along the edge.
    """
    geoms = np.asarray(digs.geometry.values)
    parts, row = shapely.get_parts(geoms, return_index=True)
    kind = shapely.get_type_id(parts)
    edges = network.geometry
    length = network.length
    frames = []
    for is_area, tolerance in ((False, line_tolerance), (True, area_tolerance)):
        mask = (kind == 3) if is_area else np.isin(kind, (1, 2))
        if not mask.any():
            continue
        if is_area:
            e, c, a, b = _opened_intervals(edges, parts[mask], tolerance)
            rows = row[mask][c]
        else:
            rows, e, a, b = _along_lines(edges, length, parts[mask], row[mask], tolerance)
        merged = _merge_per_pair(rows, e, a, b, len(edges))
        if not is_area:
            short = merged["metres"] <= 2 * tolerance
            small_share = merged["metres"] < WHOLE_EDGE_SHARE * length[merged["edge"]]
            merged = merged[~(short & small_share)]
        frames.append(merged)
    if not frames:
        return pd.DataFrame(
            {
                "dig": np.empty(0, np.int64),
                "edge": np.empty(0, np.int64),
                "a": np.empty(0),
                "b": np.empty(0),
                "metres": np.empty(0),
            }
        )
    combined = pd.concat(frames, ignore_index=True)
    if len(frames) > 1:  # a dig of lines and areas: merge its pieces once more
        combined = _merge_per_pair(
            combined["dig"].to_numpy(),
            combined["edge"].to_numpy(),
            combined["a"].to_numpy(),
            combined["b"].to_numpy(),
            len(edges),
        )
    return combined.sort_values(["dig", "edge"], kind="stable").reset_index(drop=True)


def _merge_per_pair(
    dig: np.ndarray, edge: np.ndarray, a: np.ndarray, b: np.ndarray, n_edges: int
) -> pd.DataFrame:
    """Merge overlapping pieces per (dig, edge); metres = length of their union."""
    key = dig.astype(np.int64) * max(n_edges, 1) + edge.astype(np.int64)
    merged = merge_intervals(pd.DataFrame({"target": key, "a": a, "b": b}))
    merged = merged.assign(m=merged["b"] - merged["a"])
    grouped = merged.groupby("target", sort=True)
    keys = grouped.size().index.to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            "dig": keys // max(n_edges, 1),
            "edge": keys % max(n_edges, 1),
            "a": grouped["a"].min().to_numpy(),
            "b": grouped["b"].max().to_numpy(),
            "metres": grouped["m"].sum().to_numpy(),
        }
    )


def _substrings(network: StreetNetwork, edge: np.ndarray, a: np.ndarray, b: np.ndarray) -> list:
    """Return the part of each edge between ``a`` and ``b`` metres (whole edge: itself)."""
    geoms = network.geometry
    length = network.length
    out = []
    for e, lo, hi in zip(edge.tolist(), a.tolist(), b.tolist(), strict=True):
        if lo <= 1e-6 and hi >= length[e] - 1e-6:
            out.append(geoms[e])
        else:
            out.append(shapely.ops.substring(geoms[e], lo, hi))
    return out


# --- the network seen from one stretch -----------------------------------------------------------


def root_nodes(network: StreetNetwork) -> np.ndarray:
    """Return the nodes a duct reaches the backbone at.

    The backbone's attachment nodes (the point of presence's junction, the
    junctions along a fibre line), and both ends of any edge the backbone
    touches without touching either of its ends (a fibre line crossing a
    street), so that a duct on any edge the backbone touches is connected, as
    in :meth:`~ductplanner.model.network.StreetNetwork.connected_edges`.
    """
    nodes = network.backbone_node.copy()
    touched = network.backbone_edge & ~(nodes[network.u] | nodes[network.v])
    nodes[network.u[touched]] = True
    nodes[network.v[touched]] = True
    return np.flatnonzero(nodes)


@dataclass
class _Reach:
    """Which junctions reach the backbone today, and the duct islands with their households."""

    linked_node: np.ndarray  # per node: on the connected duct network or a root
    island_of_edge: np.ndarray  # per edge: island label (-1: not an island duct)
    island_households: np.ndarray  # per island label


def _reach(network: StreetNetwork, households: np.ndarray) -> _Reach:
    connected = network.connected_edges()
    linked = np.zeros(network.n_nodes, dtype=bool)
    linked[root_nodes(network)] = True
    linked[network.u[connected]] = True
    linked[network.v[connected]] = True
    component = network.duct_components()
    island = np.where(network.has_duct & ~connected, component, -1)
    n_labels = int(component.max()) + 1 if len(component) else 0
    inside = island >= 0
    island_hh = np.bincount(island[inside], weights=households[inside], minlength=n_labels)
    return _Reach(linked, island, island_hh)


def _touching(
    network: StreetNetwork, reach: _Reach, edges: np.ndarray, households: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per edge laid alone: households now, households once connected, and what it touches."""
    u, v = network.u[edges], network.v[edges]
    on_network = reach.linked_node[u] | reach.linked_node[v]
    # islands meeting each end node of the stretch
    duct = np.flatnonzero(reach.island_of_edge >= 0)
    node_island = pd.DataFrame(
        {
            "node": np.concatenate([network.u[duct], network.v[duct]]),
            "island": np.tile(reach.island_of_edge[duct], 2),
        }
    ).drop_duplicates()
    ends = pd.DataFrame({"row": np.tile(np.arange(len(edges)), 2), "node": np.r_[u, v]})
    touched = ends.merge(node_island, on="node").drop_duplicates(["row", "island"])
    extra = np.bincount(
        touched["row"].to_numpy(dtype=np.int64),
        weights=reach.island_households[touched["island"].to_numpy(dtype=np.int64)],
        minlength=len(edges),
    )
    on_island = np.zeros(len(edges), dtype=bool)
    on_island[touched["row"].to_numpy(dtype=np.int64)] = True
    potential = np.round(households[edges] + extra).astype(np.int64)
    now = np.where(on_network, potential, 0)
    touches = np.where(on_network, "network", np.where(on_island, "island", "none"))
    return now, potential, touches.astype(object)


# --- the report ----------------------------------------------------------------------------------


@dataclass
class OpportunityReport:
    """The co-digging opportunities of one workspace state, and the conflicts.

    Attributes
    ----------
    opportunities : GeoDataFrame
        The ``opportunities`` layer (columns :data:`OPPORTUNITY_COLUMNS`):
        candidates first, in the order :func:`planning_instance` numbers them,
        then the stretches the planner cannot choose.
    conflicts : GeoDataFrame
        The ``conflicts`` layer (columns :data:`CONFLICT_COLUMNS`).
    network : StreetNetwork
        The street network the digs were overlaid on.
    edge_households : ndarray of int
        Households per edge (network edge order).
    scenario : Scenario
        Whose costs, years and probabilities were used.
    counts : dict
        What was left out and why (see :meth:`summary`).
    year : int or None
        Only digs open in this year were considered.
    conflict_years : float
        The protection period used.
    """

    opportunities: gpd.GeoDataFrame
    conflicts: gpd.GeoDataFrame
    network: StreetNetwork
    edge_households: np.ndarray
    scenario: Scenario
    counts: dict[str, Any] = field(default_factory=dict)
    year: int | None = None
    conflict_years: float = CONFLICT_YEARS

    @property
    def candidates(self) -> gpd.GeoDataFrame:
        """The stretches the planner may choose (whole edge, in a plan year)."""
        return self.opportunities[self.opportunities["candidate"].to_numpy(dtype=bool)]

    def summary(self) -> dict[str, Any]:
        """Return the JSON summary of ``ductplanner opportunities``.

        Returns
        -------
        dict
            Stable keys:

            ``scenario`` (name), ``years`` (plan years, first and last),
            ``year`` (the ``--year`` filter or None), ``digs_total``,
            ``digs_active`` (planned or confirmed), ``digs_done``,
            ``digs_cancelled``, ``digs_not_open_in_year`` (None without ``year``),
            ``digs_with_candidates``, ``digs_off_street`` (active digs near no
            street), ``stretches`` (rows of the layer), ``candidates``,
            ``metres``, ``cost_dkk`` (of the candidates), ``households_now``
            and ``households_potential`` (candidates' households, each street
            edge and island counted once), ``touches`` (``network``, ``island``,
            ``none`` → candidates), ``partial`` and ``outside_years``
            (``stretches``, ``metres``, ``digs``: listed, not candidates),
            ``along_duct`` (``stretches``, ``metres``, ``digs``: on streets
            with a duct, no stretch), ``fibre_project`` (``digs``,
            ``candidates``, ``metres``), ``by_owner`` and ``by_year`` (→
            ``candidates``, ``metres``, ``cost_dkk``, ``households_now``,
            ``households_potential``), ``conflicts``, ``conflict_pairs``
            (distinct pairs of digs), ``conflict_years``.
        """
        cand = self.candidates
        years = self.scenario.years
        out: dict[str, Any] = {
            "scenario": self.scenario.name,
            "years": [years[0], years[-1]],
            "year": self.year,
            **{k: v for k, v in self.counts.items() if k.startswith("digs_")},
            "stretches": len(self.opportunities),
            **self._totals(cand),
            "touches": {
                t: int((cand["touches"] == t).sum()) for t in ("network", "island", "none")
            },
            "partial": self.counts["partial"],
            "outside_years": self.counts["outside_years"],
            "along_duct": self.counts["along_duct"],
            "fibre_project": self.counts["fibre_project"],
            "by_owner": {
                str(owner): self._totals(rows)
                for owner, rows in cand.groupby(cand["owner"].astype(str), sort=True)
            },
            "by_year": {
                str(int(year)): self._totals(rows)
                for year, rows in cand.groupby(cand["year"].astype(int), sort=True)
            },
            "conflicts": len(self.conflicts),
            "conflict_pairs": int(self.conflicts[["dig_a", "dig_b"]].drop_duplicates().shape[0]),
            "conflict_years": self.conflict_years,
        }
        return out

    def _totals(self, rows: pd.DataFrame) -> dict[str, Any]:
        edges = self.network.positions(rows["edge_id"].astype(str).unique())
        now, potential = self._households(edges, rows)
        return {
            "candidates": len(rows),
            "metres": round(float(rows["metres"].sum()), 1),
            "cost_dkk": round(float(rows["cost_dkk"].sum()), 2),
            "households_now": now,
            "households_potential": potential,
        }

    def _households(self, edges: np.ndarray, rows: pd.DataFrame) -> tuple[int, int]:
        """Households of distinct edges plus the distinct islands they touch."""
        if len(edges) == 0:
            return 0, 0
        net = self.network
        h = self.edge_households
        reach = _reach(net, h)
        ends = np.unique(np.r_[net.u[edges], net.v[edges]])
        end_mask = np.zeros(net.n_nodes, dtype=bool)
        end_mask[ends] = True
        isl = reach.island_of_edge
        touching = (isl >= 0) & (end_mask[net.u] | end_mask[net.v])
        islands = np.unique(isl[touching])
        potential = int(h[edges].sum() + reach.island_households[islands].sum())
        linked = rows.drop_duplicates("edge_id")
        on = linked["touches"].to_numpy() == "network"
        now_edges = net.positions(linked["edge_id"].astype(str)[on])
        if len(now_edges) == 0:
            return 0, potential
        ends_now = np.zeros(net.n_nodes, dtype=bool)
        ends_now[net.u[now_edges]] = True
        ends_now[net.v[now_edges]] = True
        islands_now = np.unique(isl[(isl >= 0) & (ends_now[net.u] | ends_now[net.v])])
        now = int(h[now_edges].sum() + reach.island_households[islands_now].sum())
        return now, potential

    def text(self) -> str:
        """Return a short summary for people."""
        s = self.summary()
        lines = [
            f"{_n(s['candidates'], 'co-digging candidate')} from {s['digs_with_candidates']:,} "
            f"of {_n(s['digs_active'], 'open dig')}: {s['metres']:,.0f} m, "
            f"DKK {s['cost_dkk']:,.0f} ({self.scenario.name}); households "
            f"{s['households_now']:,} at once, {s['households_potential']:,} once connected",
            f"  touching the connected network: {s['touches']['network']:,}, an island: "
            f"{s['touches']['island']:,}, nothing: {s['touches']['none']:,}",
        ]
        if s["by_owner"]:
            lines.append("  by owner:")
            lines += [
                f"    {owner}: {_n(t['candidates'], 'stretch')}, {t['metres']:,.0f} m, "
                f"DKK {t['cost_dkk']:,.0f}, households {t['households_now']:,} / "
                f"{t['households_potential']:,}"
                for owner, t in s["by_owner"].items()
            ]
        if s["by_year"]:
            lines.append("  by year:")
            lines += [
                f"    {year}: {_n(t['candidates'], 'stretch')}, {t['metres']:,.0f} m, "
                f"DKK {t['cost_dkk']:,.0f}"
                for year, t in s["by_year"].items()
            ]
        left = []
        if s["along_duct"]["stretches"]:
            a = s["along_duct"]
            left.append(
                f"{_n(a['stretches'], 'stretch')} ({a['metres']:,.0f} m) of "
                f"{_n(a['digs'], 'dig')} along streets that have a duct already: no candidate"
            )
        if s["partial"]["stretches"]:
            p = s["partial"]
            left.append(
                f"{_n(p['stretches'], 'short partial stretch')} ({p['metres']:,.0f} m, under half "
                "their street edge): listed, not candidates"
            )
        if s["outside_years"]["stretches"]:
            o = s["outside_years"]
            left.append(
                f"{_n(o['stretches'], 'stretch')} of {_n(o['digs'], 'dig')} outside the plan years "
                f"{s['years'][0]}-{s['years'][1]}: listed, not candidates"
            )
        if s["digs_done"] or s["digs_cancelled"]:
            left.append(
                f"{s['digs_done']:,} done and {s['digs_cancelled']:,} cancelled digs: no candidates"
            )
        if s.get("digs_not_open_in_year"):
            left.append(f"{s['digs_not_open_in_year']:,} digs not open in {s['year']}: left out")
        if s["digs_off_street"]:
            left.append(f"{s['digs_off_street']:,} open digs lie near no street edge")
        lines += [f"  {line}" for line in left]
        fib = s["fibre_project"]
        if fib["digs"]:
            lines.append(
                f"  the fibre project's {_n(fib['digs'], 'dig')}: "
                f"{_n(fib['candidates'], 'candidate')} ({fib['metres']:,.0f} m)"
            )
        lines.append(
            f"  conflicts: {_n(s['conflicts'], 'stretch')} "
            f"({_n(s['conflict_pairs'], 'pair')} of digs) opened by two parties within "
            f"{self.conflict_years:g} years"
        )
        return "\n".join(lines)

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Return the ``opportunities`` and ``conflicts`` layers to write."""
        return {"opportunities": self.opportunities, "conflicts": self.conflicts}


def _n(count: int, noun: str) -> str:
    """Return ``"1 stretch"``, ``"2 stretches"``: a count with its noun."""
    plural = noun + ("es" if noun.endswith(("ch", "s")) else "s")
    return f"{count:,} {noun if count == 1 else plural}"


def find_opportunities(
    layers: Mapping[str, gpd.GeoDataFrame],
    scenario: Scenario | None = None,
    *,
    year: int | None = None,
    conflict_years: float = CONFLICT_YEARS,
    network: StreetNetwork | None = None,
    line_tolerance: float = LINE_TOLERANCE_M,
    area_tolerance: float = AREA_TOLERANCE_M,
    source: str = _SOURCE,
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
    conflict_years : float
        Protection period: two digs of one stretch at most this many years
        apart conflict.
    network : StreetNetwork, optional
        A network built already from the same layers.
    line_tolerance, area_tolerance : float
        Metres, see :data:`LINE_TOLERANCE_M` and :data:`AREA_TOLERANCE_M`.
    source : str
        Where the layers came from, for error messages.

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
    _check_options(conflict_years, line_tolerance, area_tolerance, source)
    require_layers(layers, ("streets", "addresses"), source)
    if network is None:
        streets = layers["streets"]
        require_geometry(streets, "streets", ("LineString", "MultiLineString"), source)
        ducts = layers.get("ducts")
        if ducts is not None and "status" in ducts.columns:
            ducts = ducts[ducts["status"].astype(object).eq("existing").to_numpy(dtype=bool)]
        network = build_network(streets, ducts, layers.get("backbone"))
    crs = network.crs or WORKSPACE_CRS
    addresses = layers["addresses"]
    if addresses.crs is not None and network.crs is not None and addresses.crs != network.crs:
        addresses = addresses.to_crs(network.crs)
    demand = edge_demand(
        address_coverage(addresses, network, drop=scenario.coverage.drop_distance_m), network
    )
    households = demand["households"].to_numpy(dtype=np.int64)
    digs = layers.get("digs")
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
    start, end = _dates(digs, source) if len(digs) else (pd.Series(dtype="datetime64[ns]"),) * 2
    status = _text(digs, "status").replace("", "planned")
    open_in_year = np.ones(len(digs), dtype=bool)
    if year is not None:
        open_in_year = ((start.dt.year <= year) & (end.dt.year >= year)).to_numpy(dtype=bool)
    stretches = _stretches(digs, network, line_tolerance, area_tolerance)
    conflicts = _conflicts(
        digs, stretches, network, start, end, status, conflict_years, open_in_year
    )
    active = status.isin(ACTIVE_STATUSES).to_numpy(dtype=bool)
    counts: dict[str, Any] = {
        "digs_total": len(digs),
        "digs_active": int(active.sum()),
        "digs_done": int((status == "done").sum()),
        "digs_cancelled": int((status == "cancelled").sum()),
    }
    counts["digs_not_open_in_year"] = None if year is None else int((active & ~open_in_year).sum())
    considered = active & open_in_year
    on_street = np.zeros(len(digs), dtype=bool)
    on_street[stretches["dig"].to_numpy(dtype=np.int64)] = True
    counts["digs_off_street"] = int((considered & ~on_street).sum())
    rows = stretches[considered[stretches["dig"].to_numpy(dtype=np.int64)]]
    along = network.has_duct[rows["edge"].to_numpy(dtype=np.int64)]
    counts["along_duct"] = _count(rows[along])
    rows = rows[~along]
    opportunities = _opportunity_rows(
        rows, digs, network, households, scenario, start, end, status, crs
    )
    share = opportunities["edge_share"].to_numpy(dtype=float)
    in_years = plan_year(opportunities, scenario) >= 0
    partial = share < WHOLE_EDGE_SHARE
    counts["partial"] = _count(opportunities[partial], dig_column="dig_id")
    counts["outside_years"] = _count(opportunities[~partial & ~in_years], dig_column="dig_id")
    candidate = ~partial & in_years
    opportunities["candidate"] = candidate
    no_cover = ~candidate & partial
    opportunities.loc[no_cover, ["households_now", "households_potential"]] = 0
    opportunities = _ordered(opportunities)
    counts["digs_with_candidates"] = int(
        opportunities.loc[opportunities["candidate"], "dig_id"].nunique()
    )
    fibre = is_fibre_project(digs)
    fibre_ids = set(_text(digs, "id")[fibre & considered])
    fibre_rows = opportunities[
        opportunities["candidate"] & opportunities["dig_id"].isin(fibre_ids).to_numpy()
    ]
    counts["fibre_project"] = {
        "digs": len(fibre_ids),
        "candidates": len(fibre_rows),
        "metres": round(float(fibre_rows["metres"].sum()), 1),
    }
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
    dig_ids = _text(digs, "id").to_numpy(dtype=object)[dig]
    edge_ids = network.edges.index.to_numpy(dtype=object)[edge]
    now, potential, touches = _touching(network, _reach(network, households), edge, households)
    probability = dig_probability(digs, scenario)[dig] if len(digs) else np.empty(0)
    length = network.length[edge]
    frame = pd.DataFrame(
        {
            "id": [f"{d}@{e}" for d, e in zip(dig_ids, edge_ids, strict=True)],
            "dig_id": dig_ids,
            "owner": _text(digs, "owner").to_numpy(dtype=object)[dig],
            "purpose": _text(digs, "purpose").replace("", "other").to_numpy(dtype=object)[dig],
            "edge_id": edge_ids,
            "year": start.dt.year.to_numpy(dtype=np.int64)[dig],
            "start": start.to_numpy()[dig],
            "end": end.to_numpy()[dig],
            "metres": np.round(metres, 1),
            "cost_dkk": np.round(metres * scenario.costs.co_dig_per_m, 2),
            "probability": probability,
            "confidence": _text(digs, "confidence")
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
    geometry = _substrings(network, edge, rows["a"].to_numpy(), rows["b"].to_numpy())
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


# --- conflicts -----------------------------------------------------------------------------------


def _conflicts(
    digs: gpd.GeoDataFrame,
    stretches: pd.DataFrame,
    network: StreetNetwork,
    start: pd.Series,
    end: pd.Series,
    status: pd.Series,
    years: float,
    open_in_year: np.ndarray,
) -> gpd.GeoDataFrame:
    """Pairs of digs of different owners opening one stretch within ``years`` of each other."""
    crs = network.crs or WORKSPACE_CRS
    counted = ~status.eq("cancelled").to_numpy(dtype=bool)
    rows = stretches[counted[stretches["dig"].to_numpy(dtype=np.int64)]]
    pairs = rows.merge(rows, on="edge", suffixes=("_x", "_y"))
    pairs = pairs[pairs["dig_x"] != pairs["dig_y"]]
    owner = _text(digs, "owner").str.strip().str.lower().to_numpy(dtype=object)
    s = start.to_numpy(dtype="datetime64[ns]")
    e = end.to_numpy(dtype="datetime64[ns]")
    dx, dy = pairs["dig_x"].to_numpy(dtype=np.int64), pairs["dig_y"].to_numpy(dtype=np.int64)
    ids = _text(digs, "id").to_numpy(dtype=object)
    first = (s[dx] < s[dy]) | ((s[dx] == s[dy]) & (ids[dx].astype(str) < ids[dy].astype(str)))
    lo = np.maximum(pairs["a_x"].to_numpy(), pairs["a_y"].to_numpy())
    hi = np.minimum(pairs["b_x"].to_numpy(), pairs["b_y"].to_numpy())
    gap_days = (s[dy] - e[dx]).astype("timedelta64[D]").astype(np.int64)
    gap = np.maximum(gap_days, 0) / _DAYS_PER_YEAR
    keep = (
        first
        & (owner[dx] != owner[dy])
        & (hi - lo >= MIN_CONFLICT_M)
        & (gap <= years)
        & (open_in_year[dx] | open_in_year[dy])
    )
    pairs, lo, hi, gap = pairs[keep], lo[keep], hi[keep], gap[keep]
    dx, dy = dx[keep], dy[keep]
    edge = pairs["edge"].to_numpy(dtype=np.int64)
    edge_ids = network.edges.index.to_numpy(dtype=object)[edge]
    raw_owner = _text(digs, "owner").to_numpy(dtype=object)
    frame = pd.DataFrame(
        {
            "id": [f"{a}+{b}@{x}" for a, b, x in zip(ids[dx], ids[dy], edge_ids, strict=True)],
            "edge_id": edge_ids,
            "dig_a": ids[dx],
            "owner_a": raw_owner[dx],
            "start_a": start.to_numpy()[dx],
            "dig_b": ids[dy],
            "owner_b": raw_owner[dy],
            "start_b": start.to_numpy()[dy],
            "gap_years": np.round(gap, 2),
            "metres": np.round(hi - lo, 1),
        },
        columns=list(CONFLICT_COLUMNS),
    )
    geometry = _substrings(network, edge, lo, hi)
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=crs).values, crs=crs)
    return out.sort_values(["start_a", "dig_a", "dig_b", "edge_id"], kind="stable").reset_index(
        drop=True
    )


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
