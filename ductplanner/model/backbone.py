"""Attaching the backbone (points of presence, fibre lines) to the network's edges and nodes.

A point of presence touches its nearest edge(s) within ``backbone_distance``
and attaches at the nearer end of the first; a fibre line touches every edge
and node within the duct tolerance. A feature near no street is reported.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from ..core._errors import Problem

__all__ = ["attach_backbone"]


def attach_backbone(
    backbone: gpd.GeoDataFrame,
    ids: np.ndarray,
    edges: gpd.GeoDataFrame,
    node_xy: np.ndarray,
    backbone_edge: np.ndarray,
    backbone_node: np.ndarray,
    distance: float,
    tolerance: float,
) -> list[Problem]:
    """Mark the edges and nodes each backbone feature touches; warn about loose ones.

    Parameters
    ----------
    backbone : GeoDataFrame
        Points of presence (Points) and fibre lines, in the edges' CRS.
    ids : ndarray of str
        The id of each backbone feature (for the warnings).
    edges : GeoDataFrame
        The network's edges, with ``u`` and ``v``.
    node_xy : ndarray of float, shape (n_nodes, 2)
        Node coordinates.
    backbone_edge, backbone_node : ndarray of bool
        Per edge and per node; set to ``True`` in place where a feature attaches.
    distance : float
        Metres: a point attaches to its nearest edge(s) within this.
    tolerance : float
        Metres: a line touches every edge and node within this.

    Returns
    -------
    list of Problem
        A ``backbone-loose`` warning for each feature that attaches nowhere.
    """
    geoms = np.asarray(backbone.geometry.values)
    edge_geoms = np.asarray(edges.geometry.values)
    tree = shapely.STRtree(edge_geoms)
    node_tree = shapely.STRtree(shapely.points(node_xy))
    kind = shapely.get_type_id(geoms)
    attached = np.zeros(len(geoms), dtype=bool)

    points = np.flatnonzero(kind == 0)
    if len(points):
        (p, e), _ = tree.query_nearest(
            geoms[points], max_distance=distance, return_distance=True, all_matches=True
        )
        backbone_edge[e] = True
        attached[points[p]] = True
        # The point attaches at the nearer end of its (first) nearest edge.
        first = np.unique(p, return_index=True)[1]
        e1, p1 = e[first], points[p[first]]
        u, v = edges["u"].to_numpy()[e1], edges["v"].to_numpy()[e1]
        xy = shapely.get_coordinates(geoms[p1])
        nearer_u = np.hypot(*(node_xy[u] - xy).T) <= np.hypot(*(node_xy[v] - xy).T)
        backbone_node[np.where(nearer_u, u, v)] = True

    lines = np.flatnonzero(kind != 0)
    if len(lines):
        b, e = tree.query(geoms[lines], predicate="dwithin", distance=tolerance)
        backbone_edge[e] = True
        attached[lines[b]] = True
        _, n = node_tree.query(geoms[lines], predicate="dwithin", distance=tolerance)
        backbone_node[n] = True

    return [
        Problem(
            "<memory>",
            "backbone",
            str(ids[i]),
            "geometry",
            "backbone-loose",
            f"the backbone feature is farther than {distance:g} m from every street, "
            "so no duct can connect to it",
            "move it onto the street it is reached from, or add that street",
            severity="warning",
        )
        for i in np.flatnonzero(~attached)
    ]
