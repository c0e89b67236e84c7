"""Which stretches of a line lie near other lines: duct cover and duct-only pieces.

:func:`duct_cover` tells, per street edge, the share of its length within the
duct tolerance of a duct and the duct near most of it; :func:`off_street_pieces`
finds the stretches of duct far from every street (they become edges of their
own). Both rest on :func:`covered_intervals`, :func:`stretches_inside` and
:func:`merge_intervals`, which the opportunity analysis uses too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
import shapely.ops

from .noding import empty_lines

__all__ = [
    "covered_intervals",
    "duct_cover",
    "merge_intervals",
    "nearest_foot",
    "off_street_pieces",
    "stretches_inside",
]


def covered_intervals(targets: np.ndarray, covers: np.ndarray, tolerance: float) -> pd.DataFrame:
    """Stretches of each target line within ``tolerance`` of any cover line.

    Targets that lie wholly within the tolerance (the common case: an edge
    a duct runs along) are recognised by sampling and get one full-length
    stretch; only the others are intersected exactly with the covers' buffers.

    Parameters
    ----------
    targets, covers : ndarray of LineString
        The lines measured, and the lines they may lie near.
    tolerance : float
        Metres.

    Returns
    -------
    DataFrame
        Columns ``target``, ``cover``, ``a``, ``b``: one row per stretch, as
        distances along the target (overlapping stretches not merged). A
        wholly covered target names the cover nearest its middle.
    """
    columns = {
        "target": np.empty(0, np.int64),
        "cover": np.empty(0, np.int64),
        "a": np.empty(0),
        "b": np.empty(0),
    }
    if len(targets) == 0 or len(covers) == 0:
        return pd.DataFrame(columns)
    tree = shapely.STRtree(covers)
    t, c = tree.query(targets, predicate="dwithin", distance=tolerance)
    if len(t) == 0:
        return pd.DataFrame(columns)
    candidates = np.unique(t)
    whole = np.zeros(len(targets), dtype=bool)
    whole[candidates] = _wholly_near(targets[candidates], tree, tolerance)
    full = np.flatnonzero(whole)
    middle = shapely.line_interpolate_point(targets[full], 0.5, normalized=True)
    full_rows = pd.DataFrame(
        {
            "target": full,
            "cover": tree.query_nearest(middle, all_matches=False)[1],
            "a": np.zeros(len(full)),
            "b": shapely.length(targets[full]),
        }
    )
    t, c = t[~whole[t]], c[~whole[t]]
    used, c_local = np.unique(c, return_inverse=True)
    buffers = shapely.buffer(covers[used], tolerance, quad_segs=4)
    which, a, b = stretches_inside(targets[t], buffers[c_local])
    exact_rows = pd.DataFrame({"target": t[which], "cover": c[which], "a": a, "b": b})
    return pd.concat([full_rows, exact_rows], ignore_index=True)


def stretches_inside(
    hosts: np.ndarray, zones: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the stretches of each host line that lie inside its zone (pairwise).

    For every (host, zone) pair, each line piece of their intersection gives
    the pair's index and its start and end in metres along the host
    (``start <= end``); points and empty pieces are dropped.

    Parameters
    ----------
    hosts : ndarray of LineString
        The lines measured along.
    zones : ndarray of Geometry
        One area per host (same length).

    Returns
    -------
    which : ndarray of int
        The pair (position in ``hosts``) of each stretch.
    start, end : ndarray of float
        Metres along the host.
    """
    pieces = shapely.intersection(hosts, zones)
    parts, which = shapely.get_parts(pieces, return_index=True)
    is_line = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 0)
    parts, which = parts[is_line], which[is_line]
    host = hosts[which]
    a = shapely.line_locate_point(host, shapely.get_point(parts, 0))
    b = shapely.line_locate_point(host, shapely.get_point(parts, -1))
    return which, np.minimum(a, b), np.maximum(a, b)


def _wholly_near(lines: np.ndarray, tree: shapely.STRtree, tolerance: float) -> np.ndarray:
    """Return which lines lie wholly within ``tolerance`` of the tree's geometries.

    Sample points at most ``tolerance / 2`` apart must each lie within
    ``0.75 * tolerance``: every point of the line is then within a quarter
    tolerance of a sample, so within the tolerance (a sufficient test; lines
    it misses are handled exactly).
    """
    if len(lines) == 0:
        return np.zeros(0, dtype=bool)
    count = np.ceil(shapely.length(lines) / (tolerance / 2)).astype(np.int64) + 1
    owner = np.repeat(np.arange(len(lines)), count)
    starts = np.r_[0, np.cumsum(count)[:-1]]
    step = np.arange(len(owner)) - np.repeat(starts, count)
    fraction = step / np.repeat(count - 1, count)
    samples = shapely.line_interpolate_point(lines[owner], fraction, normalized=True)
    near = np.zeros(len(samples), dtype=bool)
    near[tree.query(samples, predicate="dwithin", distance=0.75 * tolerance)[0]] = True
    return np.logical_and.reduceat(near, starts)


def merge_intervals(stretches: pd.DataFrame) -> pd.DataFrame:
    """Merge overlapping stretches per target.

    Parameters
    ----------
    stretches : DataFrame
        Columns ``target``, ``a`` and ``b`` (start and end along the target);
        other columns are ignored.

    Returns
    -------
    DataFrame
        Columns ``target``, ``a``, ``b``: the merged stretches, sorted by
        target and start.
    """
    if stretches.empty:
        return stretches[["target", "a", "b"]]
    s = stretches.sort_values(["target", "a"], kind="stable")
    target, a, b = s["target"].to_numpy(), s["a"].to_numpy(), s["b"].to_numpy()
    prev_end = pd.Series(b).groupby(target).cummax().groupby(target).shift(1).to_numpy()
    new_run = np.isnan(prev_end) | (a > prev_end)
    run = np.cumsum(new_run)
    merged = pd.DataFrame({"target": target, "a": a, "b": b, "run": run}).groupby("run")
    return pd.DataFrame(
        {"target": merged["target"].first(), "a": merged["a"].min(), "b": merged["b"].max()}
    ).reset_index(drop=True)


def duct_cover(
    edges: np.ndarray, ducts: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per edge: the share of its length near a duct, and the duct near most of it.

    Parameters
    ----------
    edges, ducts : ndarray of LineString
        Edge geometries and single duct lines.
    tolerance : float
        Metres between a duct and the centre line it runs along.

    Returns
    -------
    share : ndarray of float
        Per edge, the share (0–1) of its length within ``tolerance`` of a duct.
    best : ndarray of int
        Per edge, the duct line near most of it (``-1`` where none is near).
    """
    share = np.zeros(len(edges))
    best = np.full(len(edges), -1, dtype=np.int64)
    stretches = covered_intervals(edges, ducts, tolerance)
    if stretches.empty:
        return share, best
    merged = merge_intervals(stretches)
    covered = np.bincount(merged["target"], weights=merged["b"] - merged["a"], minlength=len(edges))
    length = shapely.length(edges)
    share = np.clip(np.divide(covered, length, out=np.zeros(len(edges)), where=length > 0), 0, 1)
    per_duct = (
        stretches.assign(m=stretches["b"] - stretches["a"])
        .groupby(["target", "cover"], sort=True)["m"]
        .sum()
        .reset_index()
        .sort_values(["target", "m"], ascending=[True, False], kind="stable")
        .drop_duplicates("target")
    )
    best[per_duct["target"].to_numpy()] = per_duct["cover"].to_numpy()
    return share, best


def off_street_pieces(
    ducts: np.ndarray,
    duct_src: np.ndarray,
    streets: np.ndarray,
    tolerance: float,
    *,
    min_beside: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stretches of duct farther than ``tolerance`` from every street, joined to the street.

    A stretch that leaves a street's corridor starts at the corridor's edge;
    it is extended to the nearest point of that street, so the noding joins it.
    With ``min_beside``, a stretch inside a corridor shorter than that (a line
    crossing a street, or ending on it) does not count as inside.

    Parameters
    ----------
    ducts : ndarray of LineString
        Single duct lines.
    duct_src : ndarray of int
        The duct feature (row) of each line.
    streets : ndarray of LineString
        Single street lines.
    tolerance : float
        Metres between a duct and the centre line it runs along; shorter
        stretches off the streets are ignored.
    min_beside : float
        Metres: the shortest stretch inside a street's corridor that counts.

    Returns
    -------
    pieces : ndarray of LineString
    duct_row : ndarray of int
        The duct feature (row) of each piece.
    start : ndarray of float
        Where the piece starts along its duct line (for numbering parts).
    """
    empty = (empty_lines(), np.empty(0, np.int64), np.empty(0))
    if len(ducts) == 0:
        return empty
    merged = merge_intervals(covered_intervals(ducts, streets, tolerance))
    if min_beside > 0:
        merged = merged[merged["b"] - merged["a"] >= min_beside]
    length = shapely.length(ducts)
    gaps = _gaps(merged, length)
    gaps = gaps[gaps["b"] - gaps["a"] > tolerance]
    if gaps.empty:
        return empty
    line = gaps["target"].to_numpy()
    a, b = gaps["a"].to_numpy(), gaps["b"].to_numpy()
    street_tree = shapely.STRtree(streets) if len(streets) else None
    pieces = []
    for d, lo, hi in zip(line, a, b, strict=True):
        piece = shapely.ops.substring(ducts[d], lo, hi)
        coords = list(piece.coords)
        if street_tree is not None and lo > 0:
            coords.insert(0, nearest_foot(street_tree, streets, coords[0], 2 * tolerance))
        if street_tree is not None and hi < length[d]:
            coords.append(nearest_foot(street_tree, streets, coords[-1], 2 * tolerance))
        coords = [c for i, c in enumerate(coords) if i == 0 or c != coords[i - 1]]
        pieces.append(shapely.LineString(coords))
    return np.asarray(pieces, dtype=object), duct_src[line], a


def _gaps(merged: pd.DataFrame, length: np.ndarray) -> pd.DataFrame:
    """Return the complement of merged, sorted intervals on each line ``[0, length]``."""
    target = merged["target"].to_numpy(dtype=np.int64)
    a, b = merged["a"].to_numpy(dtype=float), merged["b"].to_numpy(dtype=float)
    first = np.r_[True, target[1:] != target[:-1]] if len(target) else np.empty(0, bool)
    last = np.r_[target[1:] != target[:-1], True] if len(target) else np.empty(0, bool)
    prev_end = np.where(first, 0.0, np.roll(b, 1))
    bare = np.setdiff1d(np.arange(len(length)), target)
    gaps = pd.DataFrame(
        {
            "target": np.r_[target, target[last], bare],
            "a": np.r_[prev_end, b[last], np.zeros(len(bare))],
            "b": np.r_[a, length[target[last]], length[bare]],
        }
    )
    gaps = gaps[gaps["b"] > gaps["a"]]
    return gaps.sort_values(["target", "a"], kind="stable").reset_index(drop=True)


def nearest_foot(tree: shapely.STRtree, streets: np.ndarray, xy: tuple, reach: float) -> tuple:
    """Return the nearest point on the nearest street within ``reach`` (or ``xy`` itself)."""
    point = shapely.Point(xy)
    hit = tree.query_nearest(point, max_distance=reach)
    if len(hit) == 0:
        return xy
    foot = shapely.shortest_line(point, streets[hit[0]]).coords[-1]
    return foot
