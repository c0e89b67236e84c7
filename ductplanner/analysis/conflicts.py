"""Conflicts: two parties opening one street stretch within the protection period.

See "Conflicts" in :mod:`ductplanner.analysis.opportunities` for the rule;
:func:`find_conflicts` gives the ``conflicts`` layer.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ..core._format import text_column
from ..model.layers import DEFAULT_WORKSPACE_CRS, SCHEMAS
from ..model.network import StreetNetwork
from .overlay import edge_substrings

__all__ = ["CONFLICT_COLUMNS", "CONFLICT_YEARS", "MIN_CONFLICT_M", "find_conflicts"]

CONFLICT_YEARS = 2
"""Default protection period, years between two digs of one stretch."""
MIN_CONFLICT_M = 5.0
"""Metres two digs must share on one edge to conflict."""

CONFLICT_COLUMNS: tuple[str, ...] = tuple(SCHEMAS["conflicts"].field_names)
"""Columns of the ``conflicts`` layer, in order (then ``geometry``)."""

_DAYS_PER_YEAR = 365.25


def find_conflicts(
    digs: gpd.GeoDataFrame,
    stretches: pd.DataFrame,
    network: StreetNetwork,
    start: pd.Series,
    end: pd.Series,
    status: pd.Series,
    years: float,
    open_in_year: np.ndarray,
) -> gpd.GeoDataFrame:
    """Return the pairs of digs of different owners opening one stretch within ``years``.

    Parameters
    ----------
    digs : GeoDataFrame
        The ``digs`` layer, positionally indexed.
    stretches : DataFrame
        From :func:`~ductplanner.analysis.overlay.dig_stretches` on ``digs``.
    network : StreetNetwork
    start, end : Series of datetime64
        Per dig, from :func:`~ductplanner.analysis.digs.dig_dates`.
    status : Series of str
        Per dig; ``cancelled`` digs never conflict.
    years : float
        The protection period, years from the end of the first dig to the
        start of the second.
    open_in_year : ndarray of bool
        Per dig; a pair conflicts only when either dig is open.

    Returns
    -------
    GeoDataFrame
        The ``conflicts`` layer (:data:`CONFLICT_COLUMNS` and the shared part
        of the edge), sorted by ``start_a``, ``dig_a``, ``dig_b``, ``edge_id``.
    """
    crs = network.crs or DEFAULT_WORKSPACE_CRS
    counted = ~status.eq("cancelled").to_numpy(dtype=bool)
    rows = stretches[counted[stretches["dig"].to_numpy(dtype=np.int64)]]
    pairs = rows.merge(rows, on="edge", suffixes=("_x", "_y"))
    pairs = pairs[pairs["dig_x"] != pairs["dig_y"]]
    owner = text_column(digs, "owner").str.strip().str.lower().to_numpy(dtype=object)
    s = start.to_numpy(dtype="datetime64[ns]")
    e = end.to_numpy(dtype="datetime64[ns]")
    dx, dy = pairs["dig_x"].to_numpy(dtype=np.int64), pairs["dig_y"].to_numpy(dtype=np.int64)
    ids = text_column(digs, "id").to_numpy(dtype=object)
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
    raw_owner = text_column(digs, "owner").to_numpy(dtype=object)
    frame = pd.DataFrame(
        {
            "id": [f"{a}+{b}@{x}" for a, b, x in zip(ids[dx], ids[dy], edge_ids, strict=True)],
            "edge_id": edge_ids,
            "street": network.edges["name"].to_numpy(dtype=object)[edge],
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
    geometry = edge_substrings(network, edge, lo, hi)
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=crs).values, crs=crs)
    return out.sort_values(["start_a", "dig_a", "dig_b", "edge_id"], kind="stable").reset_index(
        drop=True
    )
