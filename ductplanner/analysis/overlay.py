"""The overlay of digs on street edges: which part of which edge each dig opens.

:func:`dig_stretches` applies the rules of :mod:`ductplanner.analysis.opportunities`
("What a dig opens"): a line dig opens the edges within :data:`LINE_TOLERANCE_M` of it
between its ends, a polygon dig the edges inside it (give or take
:data:`AREA_TOLERANCE_M`), and the pieces of one dig on one edge are merged.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from ..model.network import StreetNetwork, merge_intervals, stretches_inside

__all__ = [
    "AREA_TOLERANCE_M",
    "LINE_TOLERANCE_M",
    "WHOLE_EDGE_SHARE",
    "dig_stretches",
    "edge_substrings",
]

LINE_TOLERANCE_M = 10.0
"""Metres between a line dig and the street centre line it opens."""
AREA_TOLERANCE_M = 1.0
"""Metres around a polygon dig that still count as inside it."""
WHOLE_EDGE_SHARE = 0.5
"""Share of a street edge a stretch must open to count as the whole edge."""


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


def dig_stretches(
    digs: gpd.GeoDataFrame, network: StreetNetwork, line_tolerance: float, area_tolerance: float
) -> pd.DataFrame:
    """Return one row per (dig, edge) the dig opens.

    Pieces of a line dig no longer than twice ``line_tolerance`` are dropped
    unless they are at least :data:`WHOLE_EDGE_SHARE` of their edge (a dig
    crossing a street); the pieces of one dig on one edge are merged.

    Parameters
    ----------
    digs : GeoDataFrame
        The digs (lines, polygons or their multi-parts), in the network's CRS.
    network : StreetNetwork
    line_tolerance : float
        Metres between a line dig and the edges it opens.
    area_tolerance : float
        Metres around a polygon dig that still count as inside it.

    Returns
    -------
    DataFrame
        ``dig`` and ``edge`` (positions in ``digs`` and ``network.edges``),
        ``a`` and ``b`` (the first and last metre opened along the edge) and
        ``metres`` (the length opened), sorted by dig and edge.
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


def edge_substrings(
    network: StreetNetwork, edge: np.ndarray, a: np.ndarray, b: np.ndarray
) -> list[shapely.Geometry]:
    """Return the part of each edge between ``a`` and ``b`` metres (whole edge: itself).

    Parameters
    ----------
    network : StreetNetwork
    edge : ndarray of int
        Positions in ``network.edges``.
    a, b : ndarray of float
        Metres along each edge where its part starts and ends.

    Returns
    -------
    list of LineString
        One per entry of ``edge``.
    """
    geoms = network.geometry
    length = network.length
    out = []
    for e, lo, hi in zip(edge.tolist(), a.tolist(), b.tolist(), strict=True):
        if lo <= 1e-6 and hi >= length[e] - 1e-6:
            out.append(geoms[e])
        else:
            out.append(shapely.ops.substring(geoms[e], lo, hi))
    return out
