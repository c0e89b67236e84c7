"""Municipal sites: which are connected, and how much duct each of the others lacks.

See :func:`site_coverage`; :mod:`ductplanner.analysis.coverage` reports the sites
with the addresses.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..model.network import StreetNetwork
from .addresses import DEFAULT_DROP_M, assign_addresses

__all__ = ["PRIORITY_LEVELS", "site_coverage", "site_weights"]


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


PRIORITY_LEVELS = 5
"""Site priorities run from 1 (first) to this."""


def site_weights(
    sites: gpd.GeoDataFrame,
    network: StreetNetwork,
    weight: float,
    *,
    drop: float = DEFAULT_DROP_M,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Return what connecting the municipal sites adds to each street edge's worth.

    A site not connected yet counts on its nearest street edge (however far:
    the site's own connection is not co-dug) as ``weight`` households at
    priority 1, falling by a fifth per level to ``weight / 5`` at priority 5.

    Parameters
    ----------
    sites : GeoDataFrame
        The ``sites`` layer (``priority`` 1-5, default 3).
    network : StreetNetwork
    weight : float
        The scenario's ``optimizer.site_weight``.
    drop : float
        Drop distance in metres (a site within it of a connected duct is connected).

    Returns
    -------
    extra : array
        Per street edge (network order), the households its sites count for.
    weighted : DataFrame
        The sites that count: ``id``, ``name``, ``priority``, ``edge_id``, ``households``.

    Examples
    --------
    >>> from ductplanner.app.demo import tiny_layers
    >>> from ductplanner.model.network import build_network
    >>> layers = tiny_layers()
    >>> network = build_network(layers["streets"], layers["ducts"], layers["backbone"])
    >>> extra, weighted = site_weights(layers["sites"], network, 50)
    >>> weighted[["name", "priority", "households"]].to_dict("records")
    [{'name': 'Skolen', 'priority': 1, 'households': 50.0}]
    >>> float(extra.sum())
    50.0
    """
    extra = np.zeros(len(network.edges))
    columns = ["id", "name", "priority", "edge_id", "households"]
    if weight <= 0 or sites is None or sites.empty:
        return extra, pd.DataFrame(columns=columns)
    status = site_coverage(sites, network, drop=drop)
    priority = (
        pd.to_numeric(sites["priority"], errors="coerce") if "priority" in sites.columns else None
    )
    level = (
        np.full(len(sites), 3)
        if priority is None
        else priority.fillna(3).clip(1, PRIORITY_LEVELS).to_numpy(dtype=int)
    )
    households = weight * (PRIORITY_LEVELS + 1 - level) / PRIORITY_LEVELS
    waiting = ~status["connected"].to_numpy(dtype=bool) & status["edge_id"].astype(bool).to_numpy()
    edge_ids = status["edge_id"].to_numpy(dtype=object)[waiting]
    np.add.at(extra, network.positions(list(edge_ids)), households[waiting])
    weighted = pd.DataFrame(
        {
            "id": status["id"].to_numpy(dtype=object)[waiting],
            "name": status["name"].to_numpy(dtype=object)[waiting],
            "priority": level[waiting],
            "edge_id": edge_ids,
            "households": households[waiting],
        },
        columns=columns,
    )
    return extra, weighted
