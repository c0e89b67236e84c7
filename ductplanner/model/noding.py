"""Noding: splitting street lines at their junctions into network edges.

:func:`node_lines` splits lines where they cross, where one ends on (or within
``snap`` metres of) another (a T-junction), and merges line ends closer than
``snap`` into one node. Lines on different levels (a bridge over a street, a
tunnel under it) are joined only where they share a point: a line end, or a
vertex of both, as OpenStreetMap ways share a node. Everything is vectorised
(shapely 2 STRtree queries and numpy on the coordinate arrays).
:func:`~ductplanner.model.network.build_network` uses it to turn the streets (and the
ducts that follow no street) into edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["Noded", "empty_lines", "node_lines"]

_SHARED = 1e-6  # metres: one point read twice from the same node


def empty_lines() -> np.ndarray:
    """Return an empty array of line geometries (dtype ``object``).

    Returns
    -------
    ndarray of object
        Of length 0, to concatenate with arrays of LineStrings.
    """
    return np.empty(0, dtype=object)


@dataclass
class Noded:
    """Lines split at their junctions: the parts, where they come from, their end nodes.

    Attributes
    ----------
    geometry : ndarray of LineString
        The parts, each running from node ``u`` to node ``v``.
    source : ndarray of int
        The input line each part comes from.
    start : ndarray of float
        Where the part starts along its input line (metres).
    u, v : ndarray of int
        End nodes of each part (rows of ``node_xy``).
    node_xy : ndarray of float, shape (n_nodes, 2)
        Node coordinates.
    """

    geometry: np.ndarray  # LineString parts
    source: np.ndarray  # index of the input line each part comes from
    start: np.ndarray  # distance along the input line where the part starts
    u: np.ndarray
    v: np.ndarray
    node_xy: np.ndarray  # (n_nodes, 2)


def node_lines(lines: np.ndarray, snap: float, level: np.ndarray | None = None) -> Noded:
    """Split lines at crossings and T-junctions; merge ends closer than ``snap``.

    Every point where a line must be split is found with STRtree queries:
    interior crossings and collinear overlaps (``crosses``/``overlaps``), and
    line ends within ``snap`` of another line's interior. All these points and
    all line ends are clustered (within ``snap``, transitively) into nodes; a
    split point on a line carries its cluster's coordinate, so the parts of a
    line meet their neighbours exactly. Lines are then cut with numpy on their
    coordinate arrays, never one by one.

    Two lines on different levels cross without a junction, and a line ending
    on one of another level is no T-junction, unless the point is a vertex of
    both lines (a shared node). Line ends meet across levels as on one: a
    bridge's ends are where it meets the street.

    Parameters
    ----------
    lines : ndarray of LineString
        Single 2-D lines with a length, in a metric CRS.
    snap : float
        Metres: points closer than this become one node.
    level : ndarray of int, optional
        Each line's level (0 on the ground); all 0 when not given.

    Returns
    -------
    Noded
        The parts, in no particular order; nodes numbered in order of first use
        by the split points and line ends (some may end up unused).
    """
    n = len(lines)
    if n == 0:
        empty = np.empty(0, dtype=np.int64)
        return Noded(empty_lines(), empty, np.empty(0), empty, empty, np.empty((0, 2)))
    level = np.zeros(n, dtype=np.int64) if level is None else np.asarray(level, dtype=np.int64)
    tree = shapely.STRtree(lines)
    split_line, split_xy = _crossings(lines, tree, level)
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    end_xy = shapely.get_coordinates(ends)
    t_line, t_xy = _near_ends(lines, tree, ends, end_xy, snap, level)
    split_line = np.concatenate([split_line, t_line])
    split_xy = np.concatenate([split_xy, t_xy])

    cluster, node_xy = _cluster(np.concatenate([split_xy, end_xy]), snap)
    n_split = len(split_line)
    split_cluster = cluster[:n_split]
    start_cluster, end_cluster = cluster[n_split : n_split + n], cluster[n_split + n :]
    split_dist = shapely.line_locate_point(lines[split_line], shapely.points(split_xy))
    keep = _useful_splits(split_line, split_dist, split_cluster, start_cluster, end_cluster)
    return _cut(
        lines,
        split_line[keep],
        split_dist[keep],
        split_cluster[keep],
        start_cluster,
        end_cluster,
        node_xy,
        snap,
    )


def _crossings(
    lines: np.ndarray, tree: shapely.STRtree, level: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Points where two lines cross, or where a shared stretch begins and ends.

    Candidate pairs come from one (prepared, fast) ``intersects`` query of the
    lines trimmed by a hair at both ends: lines that merely share an end, by
    far the most common pair in a noded network, then do not meet at all.
    Lines on different levels cross only at a vertex of both.
    """
    a, b = tree.query(_trimmed(lines, 1e-4), predicate="intersects")
    keep = a < b  # a crossing or an overlap is found from both sides
    a, b = a[keep], b[keep]
    if len(a) == 0:
        return np.empty(0, dtype=np.int64), np.empty((0, 2))
    inter = shapely.intersection(lines[a], lines[b])
    xy, which = shapely.get_coordinates(inter, return_index=True)
    a, b = a[which], b[which]
    other = level[a] != level[b]
    if other.any():
        point = shapely.points(xy[other])
        shared = _is_vertex(lines, a[other], point) & _is_vertex(lines, b[other], point)
        keep = ~other
        keep[np.flatnonzero(other)[shared]] = True
        a, b, xy = a[keep], b[keep], xy[keep]
    return np.concatenate([a, b]), np.concatenate([xy, xy])


def _is_vertex(lines: np.ndarray, line: np.ndarray, point: np.ndarray) -> np.ndarray:
    """Mask: ``point[i]`` is a vertex of ``lines[line[i]]`` (to a micrometre)."""
    xy, row = shapely.get_coordinates(lines[line], return_index=True)
    vertices = shapely.multipoints(xy, indices=row)
    return np.asarray(shapely.dwithin(vertices, point, _SHARED), dtype=bool)


def _trimmed(lines: np.ndarray, hair: float) -> np.ndarray:
    """Return the lines with both ends moved ``hair`` metres inwards (vectorised)."""
    xy, line = shapely.get_coordinates(lines, return_index=True)
    first = np.r_[True, line[1:] != line[:-1]]
    last = np.r_[line[1:] != line[:-1], True]
    xy = xy.copy()
    for end, inner in ((first, np.flatnonzero(first) + 1), (last, np.flatnonzero(last) - 1)):
        at = np.flatnonzero(end)
        step = xy[inner] - xy[at]
        size = np.hypot(*step.T)
        movable = size > 2 * hair  # a segment shorter than two hairs stays as it is
        xy[at[movable]] += step[movable] * (hair / size[movable])[:, None]
    return shapely.linestrings(xy, indices=line)


def _near_ends(
    lines: np.ndarray,
    tree: shapely.STRtree,
    ends: np.ndarray,
    end_xy: np.ndarray,
    snap: float,
    level: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Points on a line's interior where another line ends (T-junctions), projected.

    A line ending on one of another level makes a T-junction only at a vertex
    of that line (a shared node).
    """
    n = len(lines)
    e, j = tree.query(ends, predicate="dwithin", distance=snap)
    keep = (e % n) != j
    e, j = e[keep], j[keep]
    # A line end near the other line's own end is a plain node, not a T.
    near_start = np.hypot(*(end_xy[e] - end_xy[j]).T) <= snap
    near_end = np.hypot(*(end_xy[e] - end_xy[j + n]).T) <= snap
    keep = ~(near_start | near_end)
    e, j = e[keep], j[keep]
    other = level[e % n] != level[j]
    if other.any():
        keep = ~other
        keep[np.flatnonzero(other)] = _is_vertex(lines, j[other], ends[e[other]])
        e, j = e[keep], j[keep]
    if len(e) == 0:
        return np.empty(0, dtype=np.int64), np.empty((0, 2))
    dist = shapely.line_locate_point(lines[j], ends[e])
    xy = shapely.get_coordinates(shapely.line_interpolate_point(lines[j], dist))
    return j, xy


def _cluster(xy: np.ndarray, snap: float) -> tuple[np.ndarray, np.ndarray]:
    """Cluster points within ``snap`` (transitively); the first point of a cluster names it.

    Returns the cluster of each point and each cluster's coordinate. Points
    listed first win: callers put split points (which lie on a line) before
    line ends (which may be a little off).
    """
    unique, inverse = np.unique(xy, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    m = len(unique)
    if snap > 0 and m > 1:
        pts = shapely.points(unique)
        i, j = shapely.STRtree(pts).query(pts, predicate="dwithin", distance=snap)
        graph = coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(m, m))
        _, label = connected_components(graph, directed=False)
    else:
        label = np.arange(m)
    # Name each cluster by its earliest point; number clusters in order of first appearance.
    point_label = label[inverse]
    by_label = np.argsort(point_label, kind="stable")
    sorted_label = point_label[by_label]
    starts = np.flatnonzero(np.r_[True, sorted_label[1:] != sorted_label[:-1]])
    earliest = by_label[starts]  # earliest point of label 0, 1, 2, ...
    by_appearance = np.argsort(earliest, kind="stable")
    node_of_label = np.empty(len(earliest), dtype=np.int64)
    node_of_label[by_appearance] = np.arange(len(earliest))
    return node_of_label[point_label], xy[earliest[by_appearance]]


def _useful_splits(
    line: np.ndarray,
    dist: np.ndarray,
    cluster: np.ndarray,
    start_cluster: np.ndarray,
    end_cluster: np.ndarray,
) -> np.ndarray:
    """Mask of split points that make a part between two different nodes.

    Along each line (start, splits by distance, end), a split in the same node
    as the point before it, or as the line's end right after it, would cut off
    a sliver shorter than the snap distance; it is dropped.
    """
    order = np.lexsort((dist, line))
    ln, cl = line[order], cluster[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = ln[1:] != ln[:-1]
    prev = np.where(first, start_cluster[ln], np.roll(cl, 1))
    keep = cl != prev
    # Second pass on the survivors: the last split of a line must differ from its end.
    idx = np.flatnonzero(keep)
    ln2 = ln[idx]
    last = np.ones(len(idx), dtype=bool)
    last[:-1] = ln2[:-1] != ln2[1:]
    keep[idx[last & (cl[idx] == end_cluster[ln2])]] = False
    mask = np.zeros(len(order), dtype=bool)
    mask[order] = keep
    return mask


def _cut(
    lines: np.ndarray,
    split_line: np.ndarray,
    split_dist: np.ndarray,
    split_cluster: np.ndarray,
    start_cluster: np.ndarray,
    end_cluster: np.ndarray,
    node_xy: np.ndarray,
    snap: float,
) -> Noded:
    """Cut lines at the split points with numpy; ends move onto their node."""
    xy, line = shapely.get_coordinates(lines, return_index=True)
    seg = np.hypot(*np.diff(xy, axis=0).T)
    first_vertex = np.ones(len(line), dtype=bool)
    first_vertex[1:] = line[1:] != line[:-1]
    last_vertex = np.roll(first_vertex, -1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    dist = cum - np.maximum.accumulate(np.where(first_vertex, cum, 0.0))
    vertex_cluster = np.full(len(line), -1, dtype=np.int64)
    vertex_cluster[first_vertex] = start_cluster
    vertex_cluster[last_vertex] = end_cluster
    snapped = vertex_cluster >= 0
    xy = xy.copy()
    xy[snapped] = node_xy[vertex_cluster[snapped]]

    k = len(split_line)
    # Each split point ends one part (kind 1) and starts the next (kind 2);
    # vertices (kind 0) at the same distance come first.
    rows_line = np.concatenate([line, split_line, split_line])
    rows_dist = np.concatenate([dist, split_dist, split_dist])
    rows_kind = np.concatenate(
        [np.zeros(len(line), np.int8), np.ones(k, np.int8), np.full(k, 2, np.int8)]
    )
    rows_xy = np.concatenate([xy, node_xy[split_cluster], node_xy[split_cluster]])
    rows_cluster = np.concatenate([vertex_cluster, split_cluster, split_cluster])
    # The last vertex of a line sorts after any split at the same distance.
    rows_dist = np.where(np.concatenate([last_vertex, np.zeros(2 * k, bool)]), np.inf, rows_dist)
    order = np.lexsort((rows_kind, rows_dist, rows_line))
    rows_line, rows_kind, rows_xy = rows_line[order], rows_kind[order], rows_xy[order]
    rows_cluster, rows_dist = rows_cluster[order], rows_dist[order]

    new_line = np.ones(len(order), dtype=bool)
    new_line[1:] = rows_line[1:] != rows_line[:-1]
    part = np.cumsum(new_line | (rows_kind == 2)) - 1
    # Collapse each run of repeated coordinates within a part into one row that
    # keeps the node (a split point often repeats a vertex).
    same = np.zeros(len(order), dtype=bool)
    same[1:] = (part[1:] == part[:-1]) & (rows_xy[1:] == rows_xy[:-1]).all(axis=1)
    run_first = np.flatnonzero(~same)
    run_last = np.r_[run_first[1:] - 1, len(order) - 1]
    rows_cluster = np.maximum.reduceat(rows_cluster, run_first)
    new_line, rows_dist = new_line[run_first], rows_dist[run_first]
    part, rows_xy, rows_line = part[run_last], rows_xy[run_last], rows_line[run_last]

    n_parts = part[-1] + 1
    counts = np.bincount(part, minlength=n_parts)
    part_first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    part_last = part_first + counts - 1
    u, v = rows_cluster[part_first], rows_cluster[part_last]
    start = np.where(new_line[part_first], 0.0, rows_dist[part_first])
    source = rows_line[part_first]
    good = counts >= 2
    geoms = np.empty(n_parts, dtype=object)
    row_good = good[part]
    compact = np.cumsum(good) - 1
    geoms[good] = shapely.linestrings(rows_xy[row_good], indices=compact[part[row_good]])
    length = np.zeros(n_parts)
    length[good] = shapely.length(geoms[good])
    # Drop slivers: parts with both ends on one node, shorter than the snap distance.
    good &= (length > 0) & ~((u == v) & (length <= snap))
    return Noded(geoms[good], source[good], start[good], u[good], v[good], node_xy)
