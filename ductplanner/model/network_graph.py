"""The street network as a networkx graph, and back: an exact round trip.

:func:`graph_from_gdfs` turns the nodes and edges GeoDataFrames of a
:class:`~ductplanner.model.network.StreetNetwork` into an undirected
MultiGraph keyed by edge id; :func:`graph_to_gdfs` gives back equal frames.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

__all__ = ["graph_from_gdfs", "graph_to_gdfs"]


def graph_from_gdfs(nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame) -> nx.MultiGraph:
    """Return the network as an undirected networkx MultiGraph.

    The exact inverse of :func:`graph_to_gdfs`:
    ``graph_to_gdfs(graph_from_gdfs(nodes, edges))`` gives back equal frames
    (values, dtypes, index and column order, CRS).

    Parameters
    ----------
    nodes : GeoDataFrame
        Indexed by node id, with ``x`` and ``y`` (and any other columns).
    edges : GeoDataFrame
        Indexed by edge id, with ``u``, ``v`` and any other columns; the
        geometry runs from ``u`` to ``v``.

    Returns
    -------
    networkx.MultiGraph
        Nodes carry the node columns (not the geometry); edges are keyed by
        edge id and carry every edge column except ``u`` and ``v``, plus
        ``geometry``. ``graph.graph`` holds the CRS and the column layout.
    """
    graph = nx.MultiGraph(
        crs=edges.crs,
        node_columns=_layout(nodes),
        edge_columns=_layout(edges),
        node_index=nodes.index.name,
        edge_index=edges.index.name,
        edge_order=edges.index.tolist(),
    )
    node_attrs = nodes.drop(columns=nodes.geometry.name)
    graph.add_nodes_from(zip(nodes.index.tolist(), node_attrs.to_dict("records"), strict=True))
    attrs = edges.drop(columns=["u", "v"])
    records = attrs.drop(columns=edges.geometry.name).to_dict("records")
    geometry = edges.geometry.values
    for rec, g in zip(records, geometry, strict=True):
        rec["geometry"] = g
    graph.add_edges_from(
        zip(edges["u"].tolist(), edges["v"].tolist(), edges.index.tolist(), records, strict=True)
    )
    return graph


def _layout(frame: gpd.GeoDataFrame) -> list[tuple[str, str]]:
    return [(str(c), str(frame[c].dtype)) for c in frame.columns if c != frame.geometry.name]


def graph_to_gdfs(graph: nx.MultiGraph) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return the nodes and edges GeoDataFrames of a graph from :func:`graph_from_gdfs`.

    Edges come in the order they were built in (edges added later follow),
    oriented from ``u`` to ``v`` as their geometry runs.

    Parameters
    ----------
    graph : networkx.MultiGraph
        Nodes with ``x`` and ``y``; edges keyed by edge id with a ``geometry``.

    Returns
    -------
    nodes, edges : GeoDataFrame
    """
    crs = graph.graph.get("crs")
    node_layout = graph.graph.get("node_columns") or [("x", "float64"), ("y", "float64")]
    edge_layout = graph.graph.get("edge_columns") or [("u", "int64"), ("v", "int64")]
    node_ids = list(graph.nodes)
    node_data = pd.DataFrame.from_records(
        [graph.nodes[n] for n in node_ids], index=node_ids, columns=[c for c, _ in node_layout]
    )
    nodes = gpd.GeoDataFrame(
        _typed(node_data, node_layout),
        geometry=shapely.points(node_data["x"].to_numpy(float), node_data["y"].to_numpy(float)),
        crs=crs,
    )
    nodes.index.name = graph.graph.get("node_index")

    triples = list(graph.edges(keys=True, data=True))
    keys = [k for _, _, k, _ in triples]
    a = np.array([t[0] for t in triples], dtype=object)
    b = np.array([t[1] for t in triples], dtype=object)
    geoms = np.array([d.get("geometry") for _, _, _, d in triples], dtype=object)
    # Orient each edge the way its geometry runs.
    if len(triples):
        xy = {n: (d["x"], d["y"]) for n, d in graph.nodes(data=True)}
        start = shapely.get_coordinates(shapely.get_point(geoms, 0))
        axy = np.array([xy[n] for n in a], dtype=float)
        bxy = np.array([xy[n] for n in b], dtype=float)
        flip = np.hypot(*(start - bxy).T) < np.hypot(*(start - axy).T)
        a, b = np.where(flip, b, a), np.where(flip, a, b)
    columns = [c for c, _ in edge_layout]
    data = pd.DataFrame.from_records(
        [{k: val for k, val in d.items() if k != "geometry"} for _, _, _, d in triples],
        index=keys,
        columns=[c for c in columns if c not in ("u", "v")],
    )
    data.insert(0, "v", list(b))
    data.insert(0, "u", list(a))
    data = data[columns]
    edges = gpd.GeoDataFrame(
        _typed(data, edge_layout), geometry=gpd.GeoSeries(geoms, index=keys).values, crs=crs
    )
    order = graph.graph.get("edge_order")
    if order is not None:
        known = pd.Index(order)
        present = known[known.isin(edges.index)]
        extra = edges.index[~edges.index.isin(known)]
        edges = edges.loc[present.append(extra)]
    edges.index.name = graph.graph.get("edge_index")
    return nodes, edges


def _typed(frame: pd.DataFrame, layout: list[tuple[str, str]]) -> pd.DataFrame:
    out = frame.copy()
    for column, dtype in layout:
        if column in out.columns:
            out[column] = out[column].astype(dtype)
    return out
