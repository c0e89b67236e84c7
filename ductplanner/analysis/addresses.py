"""Which street edge, district and duct each address is assigned to.

An address belongs to its nearest street edge within the drop distance (see
:func:`assign_addresses`); it is duct-covered when that edge carries a duct
connected to the backbone, and served when it is duct-covered or has the target
speed already. This module gives the per-address table, its counts per district
and the households per street edge the optimizer and the simulation weigh ducts by.
:mod:`ductplanner.analysis.coverage` puts them together into a report.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..model.network import StreetNetwork
from ..model.scenarios import CoverageParams
from .checks import check_drop

__all__ = [
    "DEFAULT_DROP_M",
    "TARGET_DOWN_MBPS",
    "TARGET_UP_MBPS",
    "address_coverage",
    "assign_addresses",
    "coverage_counts",
    "district_coverage",
    "edge_demand",
]

DEFAULT_DROP_M = CoverageParams().drop_distance_m
"""Default drop distance, metres from the street edge to the address point (the scenarios')."""
TARGET_DOWN_MBPS = CoverageParams().speed_down_mbps
"""The Danish broadband target, download (Mbit/s)."""
TARGET_UP_MBPS = CoverageParams().speed_up_mbps
"""The Danish broadband target, upload (Mbit/s)."""


# --- assignment ------------------------------------------------------------------------------


def assign_addresses(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    network: StreetNetwork,
    *,
    drop: float = DEFAULT_DROP_M,
) -> pd.DataFrame:
    """Assign each point to its nearest street edge within the drop distance.

    One STRtree nearest-neighbour query for all points. Ties (a point exactly
    as far from two edges, e.g. at a junction) go to the edge listed first in
    ``network.edges``, so the assignment never depends on ``drop``.

    Parameters
    ----------
    points : GeoDataFrame or GeoSeries
        Points, in the network's CRS.
    network : StreetNetwork
    drop : float
        Drop distance in metres (at least 0).

    Returns
    -------
    DataFrame
        Indexed like ``points``: ``edge`` (position in ``network.edges``, -1
        when beyond the drop distance), ``edge_id`` (None when beyond),
        ``distance_m`` (to the nearest edge, however far; NaN when the network
        is empty) and ``beyond_drop`` (bool).
    """
    check_drop(drop)
    geoms = np.asarray(points.geometry.values if hasattr(points, "geometry") else points)
    n = len(geoms)
    edge = np.full(n, -1, dtype=np.int64)
    distance = np.full(n, np.nan)
    if n and len(network.edges):
        edge, distance = _nearest_edges(network, geoms, drop)
    edge_ids = network.edges.index.to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "edge": edge,
            "edge_id": np.where(edge >= 0, edge_ids[np.maximum(edge, 0)], None),
            "distance_m": distance,
            "beyond_drop": edge < 0,
        },
        index=points.index,
    )


def _nearest_edges(
    network: StreetNetwork, geoms: np.ndarray, drop: float
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest edge within ``drop`` (-1 if none) and the distance to the nearest edge.

    A ``dwithin`` query with vectorised distances is several times faster than
    a nearest-neighbour search; the search runs only for the points left over.
    """
    n = len(geoms)
    edge = np.full(n, -1, dtype=np.int64)
    distance = np.full(n, np.nan)
    tree = network.tree
    if np.isfinite(drop):
        i, e = tree.query(geoms, predicate="dwithin", distance=drop)
        d = shapely.distance(geoms[i], network.geometry[e])
        order = np.lexsort((e, d, i))  # per point: nearest first, then the first edge
        i, e, d = i[order], e[order], d[order]
        first = np.r_[True, i[1:] != i[:-1]] if len(i) else np.empty(0, bool)
        edge[i[first]], distance[i[first]] = e[first], d[first]
    rest = np.flatnonzero(edge < 0)
    if len(rest):
        (i, e), d = tree.query_nearest(geoms[rest], return_distance=True, all_matches=True)
        order = np.lexsort((e, i))
        i, e, d = i[order], e[order], d[order]
        first = np.r_[True, i[1:] != i[:-1]]
        distance[rest[i[first]]] = d[first]
        if not np.isfinite(drop):
            edge[rest[i[first]]] = e[first]
    return edge, distance


def _district_of(points: gpd.GeoSeries, districts: gpd.GeoDataFrame | None) -> np.ndarray:
    """Position of the district holding each point (-1: none).

    A point on a shared border (or in overlapping districts) goes to the
    district listed first.
    """
    out = np.full(len(points), -1, dtype=np.int64)
    if districts is None or districts.empty or len(points) == 0:
        return out
    polygons = np.asarray(districts.geometry.values)
    if districts.crs is not None and points.crs is not None and districts.crs != points.crs:
        polygons = np.asarray(districts.geometry.to_crs(points.crs).values)
    d, p = shapely.STRtree(np.asarray(points.values)).query(polygons, predicate="intersects")
    order = np.lexsort((d, p))
    d, p = d[order], p[order]
    first = np.r_[True, p[1:] != p[:-1]] if len(p) else np.empty(0, bool)
    out[p[first]] = d[first]
    return out


# --- addresses and districts -------------------------------------------------------------------


def address_coverage(
    addresses: gpd.GeoDataFrame,
    network: StreetNetwork,
    *,
    drop: float = DEFAULT_DROP_M,
    districts: gpd.GeoDataFrame | None = None,
    has_duct: np.ndarray | None = None,
    speed_down_mbps: float = TARGET_DOWN_MBPS,
    speed_up_mbps: float = TARGET_UP_MBPS,
) -> gpd.GeoDataFrame:
    """Return, per address, whether our connected ducts reach it and whether it is served.

    Parameters
    ----------
    addresses : GeoDataFrame
        The ``addresses`` layer (Points; ``units`` households, optional
        ``speed_down_mbps`` and ``speed_up_mbps``).
    network : StreetNetwork
    drop : float
        Drop distance in metres.
    districts : GeoDataFrame, optional
        The ``districts`` layer; fills the ``district`` column with its name.
    has_duct : ndarray of bool, optional
        Duct flag per edge (edge order) to evaluate instead of the built one.
    speed_down_mbps, speed_up_mbps : float
        An address at or above both speeds counts as served already.

    Returns
    -------
    GeoDataFrame
        Indexed like ``addresses``: the fields of the ``coverage`` layer
        (``id``, ``units``, ``district``, ``edge_id``, ``distance_m``,
        ``beyond_drop``, ``duct_covered``, ``served``), ``fast_already``,
        ``district_pos`` (position in ``districts``, -1 for none) and the geometry.
    """
    assigned = assign_addresses(addresses, network, drop=drop)
    connected = network.connected_edges(has_duct)
    edge = assigned["edge"].to_numpy()
    covered = (edge >= 0) & connected[np.maximum(edge, 0)]
    fast = _fast(addresses, speed_down_mbps, speed_up_mbps)
    district = _district_of(addresses.geometry, districts)
    names = (
        districts["name"].astype(object).fillna("").to_numpy()
        if districts is not None and len(districts)
        else np.empty(0, dtype=object)
    )
    ids = (
        addresses["id"].astype(object).to_numpy()
        if "id" in addresses.columns
        else addresses.index.astype(str).to_numpy(dtype=object)
    )
    return gpd.GeoDataFrame(
        {
            "id": ids,
            "units": _units(addresses),
            "district": np.where(
                district >= 0, names[np.maximum(district, 0)] if len(names) else "", ""
            ),
            "edge_id": assigned["edge_id"].to_numpy(dtype=object),
            "distance_m": assigned["distance_m"].round(2).to_numpy(),
            "beyond_drop": assigned["beyond_drop"].to_numpy(),
            "duct_covered": covered,
            "served": covered | fast,
            "fast_already": fast,
            "district_pos": district,
        },
        geometry=addresses.geometry.values,
        crs=addresses.crs,
        index=addresses.index,
    )


def _units(addresses: gpd.GeoDataFrame) -> np.ndarray:
    if "units" not in addresses.columns:
        return np.ones(len(addresses), dtype=np.int64)
    units = pd.to_numeric(addresses["units"], errors="coerce").astype("Float64").fillna(1)
    return units.to_numpy(dtype=float).round().astype(np.int64)


def _fast(addresses: gpd.GeoDataFrame, down: float, up: float) -> np.ndarray:
    if not {"speed_down_mbps", "speed_up_mbps"} <= set(addresses.columns):
        return np.zeros(len(addresses), dtype=bool)
    d = pd.to_numeric(addresses["speed_down_mbps"], errors="coerce").astype("Float64")
    u = pd.to_numeric(addresses["speed_up_mbps"], errors="coerce").astype("Float64")
    return ((d >= down) & (u >= up)).fillna(False).to_numpy(dtype=bool)


def coverage_counts(frame: pd.DataFrame) -> dict[str, int]:
    """Count households and addresses over some coverage rows.

    Parameters
    ----------
    frame : DataFrame
        Rows of :func:`address_coverage` (``units``, ``duct_covered``, ``served``,
        ``beyond_drop``).

    Returns
    -------
    dict of str to int
        The six public counts of the coverage summary (``households_total``,
        ``households_duct_covered``, ``households_served``, ``addresses_total``,
        ``addresses_duct_covered``, ``addresses_beyond_drop``) and two more,
        ``addresses_served`` and ``households_beyond_drop``.
    """
    units = frame["units"].to_numpy(dtype=np.int64)
    covered = frame["duct_covered"].to_numpy(dtype=bool)
    served = frame["served"].to_numpy(dtype=bool)
    beyond = frame["beyond_drop"].to_numpy(dtype=bool)
    return {
        "households_total": int(units.sum()),
        "households_duct_covered": int(units[covered].sum()),
        "households_served": int(units[served].sum()),
        "addresses_total": len(frame),
        "addresses_duct_covered": int(covered.sum()),
        "addresses_beyond_drop": int(beyond.sum()),
        "addresses_served": int(served.sum()),
        "households_beyond_drop": int(units[beyond].sum()),
    }


def _counts_by(frame: pd.DataFrame, group: np.ndarray, n_groups: int) -> pd.DataFrame:
    """Return :func:`coverage_counts` for each group ``0 .. n_groups-1`` at once.

    Rows with group -1 are left out.
    """
    inside = group >= 0
    g = group[inside]
    units = frame["units"].to_numpy(dtype=np.int64)[inside].astype(float)
    covered = frame["duct_covered"].to_numpy(dtype=bool)[inside]
    served = frame["served"].to_numpy(dtype=bool)[inside]
    beyond = frame["beyond_drop"].to_numpy(dtype=bool)[inside]

    def total(weights: np.ndarray | None, mask: np.ndarray) -> np.ndarray:
        return _group_counts(g, n_groups, weights, mask)

    every = np.ones(len(g), dtype=bool)
    return pd.DataFrame(
        {
            "households_total": total(units, every),
            "households_duct_covered": total(units, covered),
            "households_served": total(units, served),
            "addresses_total": total(None, every),
            "addresses_duct_covered": total(None, covered),
            "addresses_beyond_drop": total(None, beyond),
            "addresses_served": total(None, served),
            "households_beyond_drop": total(units, beyond),
        }
    )


def district_coverage(coverage: pd.DataFrame, districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Aggregate address coverage per district.

    Parameters
    ----------
    coverage : DataFrame
        From :func:`address_coverage` (with ``district_pos``) for ``districts``.
    districts : GeoDataFrame
        The ``districts`` layer.

    Returns
    -------
    GeoDataFrame
        Indexed like ``districts``: ``id``, ``name``, the six counts of the
        ``district_coverage`` layer, ``addresses_served``,
        ``households_beyond_drop`` and the district's geometry.
    """
    counts = _counts_by(coverage, coverage["district_pos"].to_numpy(), len(districts))
    ids = (
        districts["id"].astype(object).to_numpy()
        if "id" in districts.columns
        else districts.index.astype(str).to_numpy(dtype=object)
    )
    frame = pd.DataFrame(
        {"id": ids, "name": districts["name"].astype(object).fillna("").to_numpy()}
    )
    frame = pd.concat([frame, counts], axis=1)
    frame.index = districts.index
    return gpd.GeoDataFrame(frame, geometry=districts.geometry.values, crs=districts.crs)


# --- per edge and islands ------------------------------------------------------------------------


def edge_demand(coverage: pd.DataFrame, network: StreetNetwork) -> pd.DataFrame:
    """Count the households and addresses assigned to each edge.

    The optimizer and the simulation evaluate coverage for any duct set as
    ``demand["households"].to_numpy()[network.connected_edges(mask)].sum()``.

    Parameters
    ----------
    coverage : DataFrame
        From :func:`address_coverage` on ``network``.
    network : StreetNetwork

    Returns
    -------
    DataFrame
        Indexed like ``network.edges`` (all edges): ``households``,
        ``addresses``, ``households_fast`` and ``addresses_fast`` (those
        already at the target speed), all int64.
    """
    assigned = coverage["edge_id"].notna().to_numpy()
    pos = network.positions(coverage["edge_id"][assigned].astype(str))
    units = coverage["units"].to_numpy(dtype=np.int64)[assigned]
    fast = coverage["fast_already"].to_numpy(dtype=bool)[assigned]
    n = len(network.edges)

    def count(weights: np.ndarray | None, mask: np.ndarray) -> np.ndarray:
        return _group_counts(pos, n, weights, mask)

    everyone = np.ones(len(pos), dtype=bool)
    return pd.DataFrame(
        {
            "households": count(units, everyone),
            "addresses": count(None, everyone),
            "households_fast": count(units, fast),
            "addresses_fast": count(None, fast),
        },
        index=network.edges.index,
    )


def _group_counts(
    groups: np.ndarray, n_groups: int, weights: np.ndarray | None, mask: np.ndarray
) -> np.ndarray:
    """Return per group the (weighted) count of the masked rows, as whole numbers."""
    w = None if weights is None else weights[mask]
    return np.bincount(groups[mask], weights=w, minlength=n_groups).round().astype(np.int64)
