"""Coverage: which households our connected ducts reach, and which are served already.

An address is assigned to its nearest street edge within the *drop distance*
(default 30 m: the stretch a fibre provider digs from the street to the
house). It is **duct-covered** when that edge carries a duct connected,
through ducts, to the backbone; it is **served** when it is duct-covered or
already has modern broadband (at least 100 Mbit/s down and 30 Mbit/s up,
the Danish target). Addresses farther than the drop distance from every
street are reported (``beyond_drop``), never dropped.

Municipal sites are required targets: a site is connected when its
``connected`` flag says so or its nearest edge within the drop distance
carries a connected duct; for the others the report gives the metres of duct
missing along the streets and where they would start from.

Every figure is a count with its denominator (see :func:`ductplanner.core._format.share`).

>>> from ductplanner.app.demo import tiny_layers
>>> report = compute_coverage(tiny_layers())
>>> s = report.summary()
>>> s["households_duct_covered"], s["households_served"], s["households_total"]
(6, 8, 40)
>>> print(report.headline())
duct-covered: 6 of 40 households, 15.0 %
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..core._errors import InputError, Problem
from ..core._format import metres, share
from ..model.layers import SCHEMAS
from ..model.network import StreetNetwork, build_network
from ..model.scenarios import CoverageParams

if TYPE_CHECKING:
    pass

__all__ = [
    "DEFAULT_DROP_M",
    "TARGET_DOWN_MBPS",
    "TARGET_UP_MBPS",
    "CoverageReport",
    "address_coverage",
    "assign_addresses",
    "check_drop",
    "compute_coverage",
    "district_coverage",
    "edge_demand",
    "island_table",
    "require_geometry",
    "require_layers",
    "site_coverage",
]

DEFAULT_DROP_M = CoverageParams().drop_distance_m
"""Default drop distance, metres from the street edge to the address point (the scenarios')."""
TARGET_DOWN_MBPS = CoverageParams().speed_down_mbps
"""The Danish broadband target, download (Mbit/s)."""
TARGET_UP_MBPS = CoverageParams().speed_up_mbps
"""The Danish broadband target, upload (Mbit/s)."""

_COUNT_KEYS = (
    "households_total",
    "households_duct_covered",
    "households_served",
    "addresses_total",
    "addresses_duct_covered",
    "addresses_beyond_drop",
)


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


def _counts(frame: pd.DataFrame) -> dict[str, int]:
    """Count the public keys (and two more) over some coverage rows."""
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
    """Return :func:`_counts` for each group ``0 .. n_groups-1`` at once (rows with -1 left out)."""
    inside = group >= 0
    g = group[inside]
    units = frame["units"].to_numpy(dtype=np.int64)[inside].astype(float)
    covered = frame["duct_covered"].to_numpy(dtype=bool)[inside]
    served = frame["served"].to_numpy(dtype=bool)[inside]
    beyond = frame["beyond_drop"].to_numpy(dtype=bool)[inside]

    def total(weights: np.ndarray | None, mask: np.ndarray) -> np.ndarray:
        w = None if weights is None else weights[mask]
        return np.bincount(g[mask], weights=w, minlength=n_groups).round().astype(np.int64)

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


# --- sites ------------------------------------------------------------------------------------


def site_coverage(
    sites: gpd.GeoDataFrame,
    network: StreetNetwork,
    *,
    drop: float = DEFAULT_DROP_M,
    has_duct: np.ndarray | None = None,
    backbone: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Report each municipal site as connected or not, and what is missing.

    A site is connected when its ``connected`` flag says so (``via ==
    "flag"``) or its nearest edge within the drop distance carries a
    connected duct (``via == "duct"``). For the others, ``missing_m`` is the
    duct still to lay: along the streets from the nearest connected duct or
    backbone attachment to the point of the site's street nearest the site,
    plus whatever of the site's own connection exceeds the drop distance.

    Parameters
    ----------
    sites : GeoDataFrame
        The ``sites`` layer.
    network : StreetNetwork
    drop : float
        Drop distance in metres.
    has_duct : ndarray of bool, optional
        Duct flag per edge to evaluate instead of the built one.
    backbone : GeoDataFrame, optional
        The ``backbone`` layer, to name the backbone feature a path starts from.

    Returns
    -------
    GeoDataFrame
        Indexed like ``sites``: ``id``, ``name``, ``kind``, ``edge_id``
        (nearest edge, however far), ``distance_m``, ``connected``, ``via``
        (``"flag"``, ``"duct"`` or ``""``), ``from_kind`` (``"duct"`` or
        ``"backbone"``), ``from_id`` (an edge id or a backbone id) and
        ``missing_m`` (0 when connected; NaN when nothing is reachable).
    """
    n = len(sites)
    assigned = assign_addresses(sites, network, drop=max(drop, 0.0))
    nearest = assign_addresses(sites, network, drop=np.inf)
    connected_edge = network.connected_edges(has_duct)
    edge = assigned["edge"].to_numpy()
    by_duct = (edge >= 0) & connected_edge[np.maximum(edge, 0)]
    flagged = (
        sites["connected"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        if "connected" in sites.columns
        else np.zeros(n, dtype=bool)
    )
    connected = flagged | by_duct
    missing, from_kind, from_id = _missing(
        sites, network, nearest, connected_edge, drop, backbone, has_duct
    )
    missing = np.where(connected, 0.0, missing)
    text = {
        c: sites[c].astype(object).fillna("").to_numpy()
        if c in sites.columns
        else np.full(n, "", object)
        for c in ("id", "name", "kind")
    }
    return gpd.GeoDataFrame(
        {
            **text,
            "edge_id": nearest["edge_id"].to_numpy(dtype=object),
            "distance_m": nearest["distance_m"].round(2).to_numpy(),
            "connected": connected,
            "via": np.where(flagged, "flag", np.where(by_duct, "duct", "")).astype(object),
            "from_kind": np.where(connected, "", from_kind).astype(object),
            "from_id": np.where(connected, "", from_id).astype(object),
            "missing_m": np.round(missing, 1),
        },
        geometry=sites.geometry.values,
        crs=sites.crs,
        index=sites.index,
    )


def _missing(
    sites: gpd.GeoDataFrame,
    network: StreetNetwork,
    nearest: pd.DataFrame,
    connected_edge: np.ndarray,
    drop: float,
    backbone: gpd.GeoDataFrame | None,
    has_duct: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Metres of duct missing per site, and the duct edge or backbone they start from."""
    n = len(sites)
    missing = np.full(n, np.nan)
    from_kind = np.full(n, "", dtype=object)
    from_id = np.full(n, "", dtype=object)
    edge = nearest["edge"].to_numpy()
    ok = edge >= 0
    if not ok.any():
        return missing, from_kind, from_id
    node_dist, node_source = network.distance_to_network(has_duct)
    e = edge[ok]
    along = shapely.line_locate_point(network.geometry[e], np.asarray(sites.geometry.values)[ok])
    length = network.length[e]
    via_u = node_dist[network.u[e]] + along
    via_v = node_dist[network.v[e]] + (length - along)
    # A connected duct on the site's own edge: nothing to lay along the street.
    on_edge = connected_edge[e]
    street_m = np.where(on_edge, 0.0, np.minimum(via_u, via_v))
    source = np.where(via_u <= via_v, node_source[network.u[e]], node_source[network.v[e]])
    excess = np.maximum(nearest["distance_m"].to_numpy()[ok] - drop, 0.0)
    missing[ok] = np.where(np.isfinite(street_m), street_m + excess, np.nan)

    labels_kind, labels_id = _source_labels(network, connected_edge, backbone)
    edge_ids = network.edges.index.to_numpy(dtype=object)
    kind = np.where(on_edge, "duct", np.where(source >= 0, labels_kind[np.maximum(source, 0)], ""))
    ident = np.where(
        on_edge, edge_ids[e], np.where(source >= 0, labels_id[np.maximum(source, 0)], "")
    )
    from_kind[ok], from_id[ok] = kind, ident
    return missing, from_kind, from_id


def _source_labels(
    network: StreetNetwork, connected_edge: np.ndarray, backbone: gpd.GeoDataFrame | None
) -> tuple[np.ndarray, np.ndarray]:
    """Name each node as a source: a connected duct edge ending there, else the backbone."""
    kind = np.full(network.n_nodes, "", dtype=object)
    ident = np.full(network.n_nodes, "", dtype=object)
    attach = np.flatnonzero(network.backbone_node)
    if len(attach):
        kind[attach] = "backbone"
        ident[attach] = _backbone_names(network, attach, backbone)
    edge_ids = network.edges.index.to_numpy(dtype=object)
    pos = np.flatnonzero(connected_edge)[::-1]  # the first edge listed wins
    for ends in (network.v[pos], network.u[pos]):
        kind[ends] = "duct"
        ident[ends] = edge_ids[pos]
    return kind, ident


def _backbone_names(
    network: StreetNetwork, nodes: np.ndarray, backbone: gpd.GeoDataFrame | None
) -> np.ndarray:
    """Return the id of the backbone feature nearest each attachment node."""
    if backbone is None or backbone.empty:
        return np.full(len(nodes), "backbone", dtype=object)
    ids = (
        backbone["id"].astype(object).to_numpy()
        if "id" in backbone.columns
        else backbone.index.astype(str).to_numpy(dtype=object)
    )
    geoms = np.asarray(backbone.geometry.values)
    if backbone.crs is not None and network.crs is not None and backbone.crs != network.crs:
        geoms = np.asarray(backbone.geometry.to_crs(network.crs).values)
    near = shapely.STRtree(geoms).nearest(np.asarray(network.nodes.geometry.values)[nodes])
    return ids[near]


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
        w = None if weights is None else weights[mask]
        return np.bincount(pos[mask], weights=w, minlength=n).round().astype(np.int64)

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


def island_table(
    network: StreetNetwork, coverage: pd.DataFrame, has_duct: np.ndarray | None = None
) -> pd.DataFrame:
    """Return the duct islands with the households they would serve once connected.

    Returns
    -------
    DataFrame
        :meth:`StreetNetwork.islands` plus ``households`` and ``addresses``
        (assigned to the island's edges; those at the target speed already
        included).
    """
    table = network.islands(has_duct).copy()
    demand = edge_demand(coverage, network)
    island = np.zeros(len(network.edges), dtype=np.int64)
    for number, ids in zip(table.index, table["edge_ids"], strict=True):
        island[network.positions(ids)] = number
    for column in ("households", "addresses"):
        sums = np.bincount(island, weights=demand[column].to_numpy(), minlength=len(table) + 1)
        table[column] = sums[1:].round().astype(np.int64)
    return table


# --- the whole report ---------------------------------------------------------------------------


@dataclass
class CoverageReport:
    """Coverage of one workspace state, with everything needed to explain it.

    Attributes
    ----------
    addresses : GeoDataFrame
        Per address, from :func:`address_coverage`.
    districts : GeoDataFrame
        Per district, from :func:`district_coverage` (empty without districts).
    sites : GeoDataFrame
        Per site, from :func:`site_coverage`.
    islands : DataFrame
        From :func:`island_table`.
    network : StreetNetwork
    drop : float
        Drop distance used, metres.
    problems : list of Problem
        Warnings (loose backbone features, no backbone...).
    """

    addresses: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    islands: pd.DataFrame
    network: StreetNetwork
    drop: float
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Return the JSON summary (the public keys of ``ductplanner coverage --json``)."""
        out: dict[str, Any] = {"drop_m": self.drop}
        out.update(_counts(self.addresses))
        out["sites_total"] = len(self.sites)
        out["sites_connected"] = int(self.sites["connected"].sum())
        out["districts"] = self._district_counts()
        out["addresses_outside_districts"] = int((self.addresses["district_pos"] < 0).sum())
        connected = self.network.connected_edges()
        out["duct_m"] = round(float(self.network.length[self.network.has_duct].sum()), 1)
        out["duct_connected_m"] = round(float(self.network.length[connected].sum()), 1)
        out["edges"] = len(self.network.edges)
        out["nodes"] = self.network.n_nodes
        out["islands_total"] = len(self.islands)
        out["islands"] = [
            {
                "island": int(i),
                "edges": int(r.edges),
                "length_m": float(r.length_m),
                "households": int(r.households),
                "addresses": int(r.addresses),
                "edge_ids": list(r.edge_ids),
            }
            for i, r in self.islands.iterrows()
        ]
        out["sites"] = [
            {
                "id": str(r.id),
                "name": str(r.name),
                "kind": str(r.kind),
                "connected": bool(r.connected),
                "via": str(r.via),
                "from_kind": str(r.from_kind),
                "from_id": str(r.from_id),
                "missing_m": None if pd.isna(r.missing_m) else float(r.missing_m),
            }
            for r in self.sites.itertuples()
        ]
        out["warnings"] = [str(p) for p in self.problems]
        return out

    def _district_counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        keys = [*_COUNT_KEYS, "addresses_served", "households_beyond_drop"]
        for row in self.districts.itertuples():
            entry = out.setdefault(str(row.name), dict.fromkeys(keys, 0))
            for key in keys:
                entry[key] += int(getattr(row, key))
        return out

    def headline(self) -> str:
        """Return one line: the households duct-covered, with numerator and denominator."""
        c = _counts(self.addresses)
        return f"duct-covered: {_hh(c['households_duct_covered'], c['households_total'])}"

    def text(self) -> str:
        """Return the human summary: totals, beyond-drop, sites, islands and districts."""
        c = _counts(self.addresses)
        hh, ad = c["households_total"], c["addresses_total"]
        d = f"{self.drop:g}"
        lines = [
            f"Coverage (drop distance {d} m; existing ducts connected to the backbone)",
            f"  duct-covered  {_hh(c['households_duct_covered'], hh)}"
            f"  ({share(c['addresses_duct_covered'], ad, 'addresses')})",
            f"  served        {_hh(c['households_served'], hh)}"
            f"  ({share(c['addresses_served'], ad, 'addresses')}):"
            f" duct-covered, or {TARGET_DOWN_MBPS:g}/{TARGET_UP_MBPS:g} Mbit/s already",
            f"  beyond drop   {share(c['addresses_beyond_drop'], ad, 'addresses')}"
            f" ({c['households_beyond_drop']} households): farther than {d} m from every"
            " street; listed in the coverage layer (beyond_drop)",
        ]
        connected = int(self.sites["connected"].sum())
        lines.append(f"  sites         {share(connected, len(self.sites), 'sites')} connected")
        loose = self.sites[~self.sites["connected"]].sort_values("missing_m", kind="stable")
        for r in loose.head(_LISTED).itertuples():
            lines.append(f"                not connected: {r.name} ({r.kind}): {_need(r)}")
        if len(loose) > _LISTED:
            lines.append(f"                ... and {len(loose) - _LISTED} more (see --json)")
        if len(self.islands):
            lines.append(
                f"  islands       {len(self.islands)} duct island(s) not connected to the"
                f" backbone: {metres(float(self.islands['length_m'].sum()))} of duct,"
                f" {int(self.islands['households'].sum())} households on them"
            )
        districts = self._district_counts()
        width = max([13, *(len(name) for name in list(districts)[:_LISTED])])
        for name, n in list(districts.items())[:_LISTED]:
            total = n["households_total"]
            lines.append(
                f"  {name:<{width}} duct-covered {_hh(n['households_duct_covered'], total)};"
                f" served {_hh(n['households_served'], total)}"
            )
        if len(districts) > _LISTED:
            lines.append(
                f"  ... and {len(districts) - _LISTED} more districts (district_coverage layer)"
            )
        outside = int((self.addresses["district_pos"] < 0).sum())
        if len(self.districts) and outside:
            lines.append(f"  {share(outside, ad, 'addresses')} lie in no district")
        lines += [f"  warning: {p}" for p in self.problems]
        return "\n".join(lines)

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Return the ``coverage`` and ``district_coverage`` layers, typed by their schemas."""
        return {
            "coverage": _typed_layer(self.addresses, "coverage"),
            "district_coverage": _typed_layer(self.districts, "district_coverage"),
        }


_LISTED = 30
"""How many sites and districts the text lists before summing up the rest."""


def _hh(part: int, total: int) -> str:
    return share(part, total, "households")


def _need(site: Any) -> str:
    if pd.isna(site.missing_m):
        return "no duct or backbone reachable along the streets"
    return f"{metres(site.missing_m)} of duct missing, from {site.from_kind} {site.from_id}"


_DTYPE = {"str": "object", "int": "Int64", "float": "Float64", "bool": "boolean"}


def _typed_layer(frame: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    schema = SCHEMAS[layer]
    data = {
        f.name: pd.array(frame[f.name].to_numpy(), dtype=_DTYPE[f.type])
        if f.type != "str"
        else frame[f.name].astype(object).where(frame[f.name].notna(), None).to_numpy()
        for f in schema.fields
    }
    return gpd.GeoDataFrame(
        pd.DataFrame(data), geometry=frame.geometry.values, crs=frame.crs
    ).reset_index(drop=True)


def compute_coverage(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    drop: float = DEFAULT_DROP_M,
    speed_down_mbps: float = TARGET_DOWN_MBPS,
    speed_up_mbps: float = TARGET_UP_MBPS,
    duct_statuses: Sequence[str] = ("existing",),
    network: StreetNetwork | None = None,
    source: str = "<memory>",
    **network_options: Any,
) -> CoverageReport:
    """Compute coverage from the workspace layers.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        ``streets`` and ``addresses`` are required; ``ducts``, ``backbone``,
        ``sites`` and ``districts`` are used when present.
    drop : float
        Drop distance in metres.
    speed_down_mbps, speed_up_mbps : float
        The speed at which an address counts as served already.
    duct_statuses : sequence of str
        Which ducts count (default: only those that exist, not planned ones).
    network : StreetNetwork, optional
        A network built already (then ``streets``, ``ducts`` and
        ``backbone`` are not read again).
    source : str
        Where the layers came from, for error messages.
    **network_options
        Passed to :func:`~ductplanner.model.network.build_network`.

    Returns
    -------
    CoverageReport

    Raises
    ------
    InputError
        A required layer is missing, or a feature has no usable geometry.
    """
    check_drop(drop)
    require_layers(layers, ("streets", "addresses"), source)
    addresses = layers["addresses"]
    require_geometry(addresses, "addresses", ("Point",), source)
    sites = layers.get("sites")
    districts = layers.get("districts")
    backbone = layers.get("backbone")
    problems: list[Problem] = []
    if network is None:
        streets = layers["streets"]
        require_geometry(streets, "streets", ("LineString", "MultiLineString"), source)
        ducts = layers.get("ducts")
        if ducts is not None and "status" in ducts.columns:
            ducts = ducts[ducts["status"].isin(list(duct_statuses)).to_numpy(dtype=bool)]
        network = build_network(streets, ducts, backbone, **network_options)
    problems += network.problems
    if backbone is None or backbone.empty:
        problems.append(
            Problem(
                source,
                "backbone",
                "",
                "",
                "backbone-missing",
                "there is no backbone, so no duct can be connected",
                "import the points of presence and fibre lines into the backbone layer",
                severity="warning",
            )
        )
    crs = network.crs
    addresses = _to_crs(addresses, crs)
    districts = _to_crs(districts, crs) if districts is not None and len(districts) else None
    covered = address_coverage(
        addresses,
        network,
        drop=drop,
        districts=districts,
        speed_down_mbps=speed_down_mbps,
        speed_up_mbps=speed_up_mbps,
    )
    if districts is not None:
        per_district = district_coverage(covered, districts)
    else:
        per_district = _empty_districts(crs)
    if sites is not None and len(sites):
        require_geometry(sites, "sites", ("Point",), source)
        site_table = site_coverage(_to_crs(sites, crs), network, drop=drop, backbone=backbone)
    else:
        site_table = site_coverage(_empty_sites(crs), network, drop=drop)
    islands = island_table(network, covered)
    return CoverageReport(covered, per_district, site_table, islands, network, drop, problems)


def _to_crs(gdf: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    if gdf.crs is not None and crs is not None and gdf.crs != crs and len(gdf):
        return gdf.to_crs(crs)
    return gdf


def _empty_districts(crs: Any) -> gpd.GeoDataFrame:
    columns = ["id", "name", *_COUNT_KEYS, "addresses_served", "households_beyond_drop"]
    frame = pd.DataFrame(
        {c: pd.Series(dtype="int64" if c not in ("id", "name") else object) for c in columns}
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs).values, crs=crs)


def _empty_sites(crs: Any) -> gpd.GeoDataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in ("id", "name", "kind")})
    frame["connected"] = pd.Series(dtype=bool)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs).values, crs=crs)


def check_drop(drop: float) -> None:
    """Refuse a drop distance that is not a number of metres >= 0 (an InputError)."""
    if not (drop >= 0):  # also refuses NaN
        raise InputError(
            [
                Problem(
                    "<arguments>",
                    "",
                    "",
                    "drop",
                    "range",
                    f"the drop distance is {drop} m; it must be 0 m or more",
                    "pass a distance in metres, e.g. --drop 30",
                )
            ],
            summary="Invalid drop distance",
        )


def require_layers(layers: Mapping[str, Any], names: Sequence[str], source: str) -> None:
    """Refuse missing layers, naming every one and how to import it."""
    missing = [n for n in names if n not in layers or layers[n] is None]
    if missing:
        raise InputError(
            [
                Problem(
                    source,
                    n,
                    "",
                    "",
                    "layer-missing",
                    f"the {n} layer is missing",
                    f"import it with `ductplanner import WORKSPACE {n} FILE`",
                )
                for n in missing
            ]
        )


def require_geometry(gdf: gpd.GeoDataFrame, layer: str, types: Sequence[str], source: str) -> None:
    """Refuse features without a usable geometry of the expected type (all listed)."""
    geoms = gdf.geometry.values
    missing = np.asarray(gdf.geometry.isna() | gdf.geometry.is_empty, dtype=bool)
    wrong = ~missing & ~np.isin(np.asarray(gdf.geometry.geom_type, dtype=object), list(types))
    if not (missing.any() or wrong.any()):
        return
    ids = (
        gdf["id"].astype(object).to_numpy()
        if "id" in gdf.columns
        else np.array([f"row {i + 1}" for i in range(len(gdf))], dtype=object)
    )
    problems = [
        Problem(
            source,
            layer,
            str(ids[i]),
            "geometry",
            "geometry-null",
            "has no geometry",
            "draw the feature or remove it",
        )
        for i in np.flatnonzero(missing)
    ] + [
        Problem(
            source,
            layer,
            str(ids[i]),
            "geometry",
            "geometry-type",
            f"geometry is a {geoms[i].geom_type}, expected {' or '.join(types)}",
            "fix the feature's geometry",
        )
        for i in np.flatnonzero(wrong)
    ]
    raise InputError(problems)
