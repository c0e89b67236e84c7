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

import numpy as np
import pandas as pd
import shapely

__all__ = ["TWIN_DISTANCE_M", "TWIN_SHARE", "parallel_twins"]

TWIN_DISTANCE_M = 5.0
"""Metres: the sides of one road drawn as two lines lie closer than this."""
TWIN_SHARE = 0.8
"""Share of a line's length within :data:`TWIN_DISTANCE_M` of another for a twin."""


def parallel_twins(
    lines: np.ndarray,
    *,
    distance: float = TWIN_DISTANCE_M,
    min_share: float = TWIN_SHARE,
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
