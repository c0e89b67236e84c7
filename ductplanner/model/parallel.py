"""Parallel twins: two lines drawn for one road, a few metres apart.

Road registers such as Vejman draw each side of a road as its own line about
2 m from the other; a dig along the road then opens both and counts twice.
:func:`parallel_twins` finds such pairs: a line that lies, for most of its
length, within a few metres of another line. Lines that merely meet (a
junction, the next part of the same road) or cross share only a few metres and
are not twins; identical lines are duplicates, not twins.

>>> import shapely
>>> lines = np.array([
...     shapely.LineString([(0, 0), (100, 0)]),
...     shapely.LineString([(0, 2), (100, 2)]),      # the other side, 2 m away
...     shapely.LineString([(100, 0), (200, 0)]),    # the next part of the road
...     shapely.LineString([(50, -50), (50, 50)]),   # a crossing street
... ], dtype=object)
>>> twins = parallel_twins(lines)
>>> twins[["line", "twin"]].to_numpy().tolist()
[[0, 1], [1, 0]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .duct_cover import covered_intervals, merge_intervals, nearest_foot, off_street_pieces

__all__ = [
    "CARRIAGEWAY_DISTANCE_M",
    "SIDE_PATH_DISTANCE_M",
    "TWIN_DISTANCE_M",
    "TWIN_SHARE",
    "TwinMerge",
    "merge_twins",
    "parallel_twins",
    "side_path_pieces",
]

TWIN_DISTANCE_M = 3.0
"""Metres: the sides of one road drawn as two lines lie closer than this (Vejman: 2 m)."""
CARRIAGEWAY_DISTANCE_M = 8.0
"""Metres: the carriageways of one road, drawn beside its centre line, lie closer than this."""
SIDE_PATH_DISTANCE_M = 12.0
"""Metres: a sidewalk or cycle track mapped on its own lies closer than this to its road's line."""
SIDE_PATH_RUN_M = 30.0
"""Metres: a path runs beside a road (not across it, not into it) for at least this long."""
TWIN_SHARE = 0.8
"""Share of a line's length within :data:`TWIN_DISTANCE_M` of another for a twin."""
_JUNCTION_M = 1.0
"""Metres: a line end this close to another line meets it (the network's snap)."""
_STRAIGHT_M = 0.05
"""Metres off the straight line a vertex of a centred line may be and still be dropped."""


def parallel_twins(
    lines: np.ndarray,
    *,
    distance: float = TWIN_DISTANCE_M,
    min_share: float = TWIN_SHARE,
    names: np.ndarray | None = None,
) -> pd.DataFrame:
    """Return the lines that run beside another line for most of their length.

    Parameters
    ----------
    lines : ndarray of LineString
        Single lines in a metric CRS.
    distance : float
        Metres: how close the twin must run.
    min_share : float
        Share (0–1] of the line's length that must lie within ``distance`` of
        the twin. Lines shorter than ``distance / (1 - min_share)`` are never
        twins (a line that ends on another shares ``distance`` metres with it).
    names : ndarray of str, optional
        Per line, the road it belongs to (a street name): then only lines of
        the same, non-empty name are twins.

    Returns
    -------
    DataFrame
        One row per (line, twin) pair, sorted: ``line`` and ``twin`` (positions
        in ``lines``) and ``share`` (of the line's length beside the twin). A
        pair of twins gives two rows when each runs beside the other.
    """
    lines = np.asarray(lines, dtype=object)
    empty = pd.DataFrame(
        {"line": np.empty(0, np.int64), "twin": np.empty(0, np.int64), "share": np.empty(0)}
    )
    if len(lines) < 2:
        return empty
    tree = shapely.STRtree(lines)
    i, j = tree.query(lines, predicate="dwithin", distance=distance)
    length = shapely.length(lines)
    long_enough = length[i] > distance / max(1.0 - min_share, 1e-9)
    keep = (i != j) & long_enough & ~_same_lines(lines[i], lines[j])
    if names is not None:
        names = np.asarray(names, dtype=object)
        keep &= (names[i] == names[j]) & (names[i] != "")
    i, j = i[keep], j[keep]
    if not len(i):
        return empty
    beside = shapely.intersection(lines[i], shapely.buffer(lines[j], distance, quad_segs=4))
    share = shapely.length(beside) / length[i]
    twin = share >= min_share
    frame = pd.DataFrame({"line": i[twin], "twin": j[twin], "share": share[twin]})
    return frame.sort_values(["line", "twin"], kind="stable").reset_index(drop=True)


def _same_lines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which pairs are the same line (in either direction, to the centimetre)."""
    return shapely.equals_exact(
        shapely.normalize(shapely.set_precision(a, 0.01)),
        shapely.normalize(shapely.set_precision(b, 0.01)),
        tolerance=0.0,
    )


@dataclass
class TwinMerge:
    """Twin lines merged: per input line, what is left of it.

    Attributes
    ----------
    geometry : ndarray of Geometry
        Per input line: a kept line, moved to the middle between it and the
        twins merged into it; for a merged line, the stretches of it beside no
        kept line (a LineString or MultiLineString, each joined to the kept
        line), or None when nothing is left.
    into : ndarray of int
        Per input line: the kept line it was merged into, -1 for a kept line.
    """

    geometry: np.ndarray
    into: np.ndarray

    @property
    def merged(self) -> np.ndarray:
        """Which input lines were merged into another."""
        return self.into >= 0


def merge_twins(
    lines: np.ndarray,
    *,
    distance: float = TWIN_DISTANCE_M,
    min_share: float = TWIN_SHARE,
    names: np.ndarray | None = None,
) -> TwinMerge:
    """Merge each line that runs beside a longer one into it: one centre line per road.

    Lines are taken longest first; a line is merged into a line kept before it
    when either lies, for ``min_share`` of its length, within ``distance`` of
    the other (:func:`parallel_twins`). A line beside a merged line only is kept: a
    second call merges what the first left side by side. The kept line moves halfway towards the
    lines merged into it, to the road's middle; what of a merged line lies
    beside no kept line (it runs on past the kept line's end) stays, joined
    to the kept line.

    Parameters
    ----------
    lines : ndarray of LineString
        Single lines in a metric CRS.
    distance, min_share : float
        As for :func:`parallel_twins`.
    names : ndarray of str, optional
        As for :func:`parallel_twins`: merge only lines of the same road.

    Returns
    -------
    TwinMerge

    Examples
    --------
    >>> lines = np.array([
    ...     shapely.LineString([(0, 0), (100, 0)]),
    ...     shapely.LineString([(0, 2), (120, 2)]),   # the other side, and 20 m on
    ... ], dtype=object)
    >>> merge = merge_twins(lines)
    >>> merge.into.tolist()
    [1, -1]
    >>> merge.geometry[1].wkt
    'LINESTRING (0 1, 101 1, 105 2, 120 2)'
    """
    lines = np.asarray(lines, dtype=object)
    n = len(lines)
    into = np.full(n, -1, dtype=np.int64)
    twins = parallel_twins(lines, distance=distance, min_share=min_share, names=names)
    if twins.empty:
        return TwinMerge(lines.copy(), into)
    # Either runs beside the other: a short line's long twin is its partner too.
    pairs = pd.DataFrame(
        {
            "line": np.r_[twins["line"], twins["twin"]],
            "twin": np.r_[twins["twin"], twins["line"]],
        }
    ).drop_duplicates()
    beside = pairs.groupby("line")["twin"].agg(list).to_dict()
    # The line with most partners first (a centre line between two carriageways),
    # then the longest.
    partners = np.bincount(pairs["line"].to_numpy(dtype=np.int64), minlength=n)
    order = np.lexsort((-shapely.length(lines), -partners))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    for line in order:
        for twin in beside.get(line, ()):
            if rank[twin] < rank[line] and into[twin] < 0:
                into[line] = twin
                break
    geometry = lines.copy()
    kept = into < 0
    for host, group in pd.Series(np.flatnonzero(~kept)).groupby(into[~kept]):
        geometry[host] = _middle(lines[host], lines[group.to_numpy()], distance)
    geometry[~kept] = None
    merged = np.flatnonzero(~kept)
    pieces, piece_of, _ = off_street_pieces(
        lines[merged], np.arange(len(merged)), geometry[kept], distance
    )
    for local, group in pd.Series(pieces).groupby(piece_of):
        parts = group.to_list()
        geometry[merged[local]] = parts[0] if len(parts) == 1 else shapely.MultiLineString(parts)
    _rejoin(geometry, lines, into)
    return TwinMerge(geometry, into)


def _rejoin(geometry: np.ndarray, lines: np.ndarray, into: np.ndarray) -> None:
    """Extend a kept line that ended on a merged or moved line to where that road is now.

    A side street that met the road's other side (or a carriageway moved to
    the road's middle) would otherwise end metres short of the road's new
    centre line, joined to nothing. A street that still meets a kept line
    running on through its end stays as it is.
    """
    kept = np.flatnonzero(into < 0)
    merged = np.flatnonzero(into >= 0)
    if not len(merged):
        return
    sources = np.r_[merged, np.unique(into[merged])]  # the merged lines and the lines they moved
    host_of = np.where(into >= 0, into, np.arange(len(into)))
    tree = shapely.STRtree(lines[sources])
    hosts = shapely.STRtree(geometry[kept])
    for end in (0, -1):
        points = shapely.get_point(geometry[kept], end)
        on_source, hit = tree.query(points, predicate="dwithin", distance=_JUNCTION_M)
        own = host_of[sources[hit]] == kept[on_source]  # its own twin, or itself before it moved
        on_source, hit = on_source[~own], hit[~own]
        first = np.unique(on_source, return_index=True)[1]
        on_source, hit = on_source[first], hit[first]
        joined = _runs_through(points[on_source], on_source, hosts, geometry[kept])
        for k, m in zip(on_source[~joined], hit[~joined], strict=True):
            line = kept[k]
            host = geometry[host_of[sources[m]]]
            if shapely.distance(points[k], host) <= _JUNCTION_M:
                continue
            foot = shapely.get_coordinates(shapely.shortest_line(points[k], host))[1]
            xy = shapely.get_coordinates(geometry[line])
            xy = np.vstack([foot, xy]) if end == 0 else np.vstack([xy, foot])
            geometry[line] = shapely.LineString(xy)


def _runs_through(
    points: np.ndarray, owners: np.ndarray, tree: shapely.STRtree, lines: np.ndarray
) -> np.ndarray:
    """Which ``points`` (line ends; ``owners`` index ``lines``) meet a line passing through.

    A line that only ends there too does not count: the two may be the two
    halves of a side street that both met the road, and both need rejoining.
    """
    at, near = tree.query(points, predicate="dwithin", distance=_JUNCTION_M)
    other = near != owners[at]
    at, near = at[other], near[other]
    ends = np.minimum(
        shapely.distance(points[at], shapely.get_point(lines[near], 0)),
        shapely.distance(points[at], shapely.get_point(lines[near], -1)),
    )
    through = np.zeros(len(points), dtype=bool)
    through[at[ends > _JUNCTION_M]] = True
    return through


def _middle(line: shapely.LineString, twins: np.ndarray, distance: float) -> Any:
    """Move ``line`` to the middle of itself and the ``twins`` beside it.

    Each vertex moves by the mean of the steps towards the twins within
    ``distance`` of it, counting itself as a twin that stays: halfway to a
    lone twin, not at all between two twins on either side. The line gets a
    vertex every ``distance`` metres first, so that it bends only where a twin
    begins or ends; straight runs are simplified again.
    """
    xy = shapely.get_coordinates(shapely.segmentize(line, distance))
    points = shapely.points(xy)
    steps = np.zeros_like(xy)
    count = np.ones(len(xy))
    for twin in twins:
        near = shapely.distance(points, twin) <= distance
        if near.any():
            foot = shapely.get_coordinates(shapely.shortest_line(points[near], twin))[1::2]
            steps[near] += foot - xy[near]
            count[near] += 1
    if (count == 1).all():
        return line
    return shapely.simplify(shapely.LineString(xy + steps / count[:, None]), _STRAIGHT_M)


def side_path_pieces(
    lines: np.ndarray,
    is_path: np.ndarray,
    level: np.ndarray,
    *,
    distance: float = SIDE_PATH_DISTANCE_M,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the lines with paths beside a road folded into the road's corridor.

    A sidewalk or cycle track mapped as its own line belongs to the road it
    runs beside: of a path, the stretches that run within ``distance`` of a
    road of its level for :data:`SIDE_PATH_RUN_M` or more are left out, and
    the rest is kept, joined to the road where it leaves it (as a duct that
    leaves the streets is, :func:`~.duct_cover.off_street_pieces`). A path
    wholly beside a road is left out; a path across a park, or one that
    crosses a road or ends on it, stays whole. Roads, and paths on another
    level than any road near them, are kept as they are.

    Parameters
    ----------
    lines : ndarray of LineString
        Single lines in a metric CRS.
    is_path : ndarray of bool
        Which lines are paths (foot and cycle paths, sidewalks).
    level : ndarray of int
        Each line's level (:func:`~.network.street_levels`).
    distance : float
        Metres from a road's line within which a path is part of its corridor.

    Returns
    -------
    lines : ndarray of LineString
        The roads, the paths beside no road, and the kept stretches of the others.
    line : ndarray of int
        The input line each comes from.
    start : ndarray of float
        Where it starts along that line (metres).

    Examples
    --------
    >>> lines = np.array([
    ...     shapely.LineString([(0, 0), (100, 0)]),       # a road
    ...     shapely.LineString([(0, 6), (100, 6)]),       # its sidewalk
    ...     shapely.LineString([(50, 6), (50, 80)]),      # a path leaving it
    ... ], dtype=object)
    >>> kept, line, start = side_path_pieces(lines, np.array([False, True, True]), np.zeros(3))
    >>> line.tolist(), [g.wkt for g in kept[1:]], start.tolist()
    ([0, 2], ['LINESTRING (50 0, 50 6, 50 80)'], [0.0, 0.0])
    """
    lines = np.asarray(lines, dtype=object)
    is_path = np.asarray(is_path, dtype=bool)
    level = np.asarray(level)
    whole = np.flatnonzero(~is_path)
    parts = [(lines[whole], whole, np.zeros(len(whole)))]
    for at in np.unique(level[is_path]):
        paths = np.flatnonzero(is_path & (level == at))
        roads = lines[~is_path & (level == at)]
        if not len(roads):
            parts.append((lines[paths], paths, np.zeros(len(paths))))
            continue
        near = _may_run_beside(lines[paths], roads, distance)
        kept, of_path, start, folded = _fold_paths(lines, paths[near], roads, distance)
        kept = np.concatenate([lines[paths[~near]], kept])
        if len(folded):
            kept = _joined_to_roads(kept, folded, roads, distance)
        parts.append(
            (kept, np.r_[paths[~near], of_path], np.r_[np.zeros(int((~near).sum())), start])
        )
    kept = np.concatenate([p[0] for p in parts]) if parts else lines[:0]
    line = np.concatenate([p[1] for p in parts]).astype(np.int64)
    start = np.concatenate([p[2] for p in parts]).astype(float)
    order = np.lexsort((start, line))
    return kept[order], line[order], start[order]


def _fold_paths(
    lines: np.ndarray, paths: np.ndarray, roads: np.ndarray, distance: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fold the paths near a road into its corridor.

    Returns the kept lines, the path and start of each, and the paths folded
    (wholly or in part).
    """
    if not len(paths):
        nothing = lines[:0]
        return nothing, np.empty(0, np.int64), np.empty(0), nothing
    runs = merge_intervals(covered_intervals(lines[paths], roads, distance))
    inside, longest = _runs(runs, len(paths), shapely.length(lines[paths]))
    cut = ~inside & (longest >= SIDE_PATH_RUN_M)
    whole = ~inside & ~cut
    kept, of_path, start = lines[paths[whole]], paths[whole], np.zeros(int(whole.sum()))
    if cut.any():
        pieces, piece_of, piece_start = off_street_pieces(
            lines[paths[cut]], paths[cut], roads, distance, min_beside=SIDE_PATH_RUN_M
        )
        pieces_runs = merge_intervals(covered_intervals(pieces, roads, distance))
        outside = ~_runs(pieces_runs, len(pieces), shapely.length(pieces))[0]
        kept = np.concatenate([kept, pieces[outside]])
        of_path = np.concatenate([of_path, piece_of[outside]])
        start = np.concatenate([start, piece_start[outside]])
    return kept, of_path, start, lines[paths[inside | cut]]


def _may_run_beside(paths: np.ndarray, roads: np.ndarray, distance: float) -> np.ndarray:
    """Mask: a point inside the path (its middle, and every 15 m) lies near a road.

    A path that runs beside a road for :data:`SIDE_PATH_RUN_M`, or lies wholly
    near one, has such a point; a path that only ends on a road or crosses it
    has none farther than 15 m from where it meets the road, so most of
    those are never measured exactly.
    """
    length = shapely.length(paths)
    step = SIDE_PATH_RUN_M / 2
    count = np.floor(length / step).astype(np.int64)
    line = np.repeat(np.arange(len(paths)), count)
    at = (np.arange(len(line)) - np.repeat(np.cumsum(count) - count, count) + 1) * step
    line, at = np.r_[line, np.arange(len(paths))], np.r_[at, length / 2]
    points = shapely.line_interpolate_point(paths[line], at)
    hit = shapely.STRtree(roads).query(points, "dwithin", distance=distance)[0]
    near = np.zeros(len(paths), dtype=bool)
    near[line[hit]] = True
    return near


def _runs(runs: pd.DataFrame, n: int, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per line: whether its runs cover it wholly, and its longest run (metres)."""
    target = runs["target"].to_numpy(dtype=np.int64)
    size = (runs["b"] - runs["a"]).to_numpy(dtype=float)
    covered = np.bincount(target, weights=size, minlength=n)
    longest = np.zeros(n)
    np.maximum.at(longest, target, size)
    return covered >= length - _STRAIGHT_M, longest


def _joined_to_roads(
    lines: np.ndarray, folded: np.ndarray, roads: np.ndarray, distance: float
) -> np.ndarray:
    """Extend a line end that met a folded path, and meets nothing now, to the nearest road.

    An end on a path folded into a road's corridor (within the noding's snap
    of it), near no other line and not on the road, is left loose; it gets a
    last segment to the nearest point of the road within ``distance``, so the
    path stays joined.
    """
    lines = lines.copy()
    if not len(lines):
        return lines
    road_tree = shapely.STRtree(roads)
    folded_tree = shapely.STRtree(folded)
    tree = shapely.STRtree(np.concatenate([roads, lines]))
    for end in (0, -1):
        points = shapely.get_point(lines, end)
        on_folded = folded_tree.query(points, "dwithin", distance=_JUNCTION_M)[0]
        touching, other = tree.query(points, "dwithin", distance=_JUNCTION_M)
        meets = touching[other != len(roads) + touching]  # a road, or another line than itself
        loose = np.setdiff1d(np.unique(on_folded), meets)
        for k in loose:
            xy = shapely.get_coordinates(lines[k])
            foot = nearest_foot(road_tree, roads, tuple(xy[end]), distance)
            if foot == tuple(xy[end]):
                continue  # no road near: it stays a dead end
            lines[k] = shapely.LineString(
                np.vstack([foot, xy]) if end == 0 else np.vstack([xy, foot])
            )
    return lines
