"""The street network: noded street edges, the ducts on them, and what reaches the backbone.

:func:`build_network` turns the ``streets``, ``ducts`` and ``backbone`` layers
into a :class:`StreetNetwork`:

1. **Noding.** Street centre lines are split where they cross and where one
   ends on (or within ``snap`` metres of) another (a T-junction); line ends
   closer than ``snap`` are merged into one node. A line crossing itself is
   not split there (that is a ramp passing over itself, not a junction).
   Everything is vectorised (shapely 2 STRtree queries and numpy): a national
   network of ~1 million edges builds in about a minute on one core
   (``benchmarks/bench_coverage.py``).
2. **Ducts.** An edge *carries a duct* when at least ``duct_share`` of its
   length lies within ``duct_tolerance`` metres of a duct (ducts lie in the
   verge or pavement, beside the centre line). Stretches of duct farther than
   ``duct_tolerance`` from every street (across a park, into a school yard)
   become edges of their own (``kind == "duct"``), joined to the nearest
   street, so no duct is dropped.
3. **Backbone.** A point of presence touches its nearest edge(s) within
   ``backbone_distance``; a fibre line touches every edge within
   ``duct_tolerance``. A duct component is *connected* when it holds a duct
   edge the backbone touches.

The edges are a GeoDataFrame indexed by a stable string edge id: the street
id, a colon and the part number along the street (``"H0:1"``, ``"H0:2"``);
duct-only edges are ``"duct:<duct id>:<part>"``. Later steps work on numpy
arrays in edge order (``network.edges`` row order): a boolean ``has_duct``
array in, :meth:`StreetNetwork.connected_edges` out.

>>> from ductplanner.app.demo import tiny_layers
>>> layers = tiny_layers()
>>> net = build_network(layers["streets"], layers["ducts"], layers["backbone"])
>>> len(net.edges), len(net.nodes)
(21, 15)
>>> net.edges.index[:3].tolist()
['H0:1', 'H0:2', 'H0:3']
>>> net.edges.index[net.connected_edges()].tolist()
['H0:1', 'H0:2']
>>> net.islands()[["edges", "length_m"]].to_dict("records")
[{'edges': 1, 'length_m': 100.0}]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from ..core._errors import InputError, Problem

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "EDGE_COLUMNS",
    "StreetNetwork",
    "build_network",
    "graph_from_gdfs",
    "graph_to_gdfs",
    "merge_intervals",
    "stretches_inside",
]

EDGE_COLUMNS: tuple[str, ...] = (
    "u",
    "v",
    "length",
    "kind",
    "street_id",
    "name",
    "road_class",
    "last_dug",
    "duct_share",
    "has_duct",
    "duct_id",
    "backbone",
)
"""Attribute columns of :attr:`StreetNetwork.edges`, in order (then ``geometry``)."""

_STREET_ATTRIBUTES = ("name", "road_class", "last_dug")


# --- the public class --------------------------------------------------------------------


class StreetNetwork:
    """A noded street network with duct flags and backbone attachments.

    Build one with :func:`build_network` (from layers) or
    :meth:`from_graph` (from a networkx graph); the constructor takes the two
    GeoDataFrames :func:`graph_to_gdfs` returns.

    Parameters
    ----------
    nodes : GeoDataFrame
        Indexed by node id ``0 .. n-1`` (int), with columns ``x``, ``y``,
        ``backbone`` (bool: a backbone feature attaches here) and Point geometry.
    edges : GeoDataFrame
        Indexed by edge id (str), with the columns of :data:`EDGE_COLUMNS`
        and LineString geometry running from node ``u`` to node ``v``:

        ``u``, ``v`` (int)
            End nodes (positions in ``nodes``).
        ``length`` (float)
            Metres.
        ``kind`` (str)
            ``"street"``, or ``"duct"`` for a duct that follows no street.
        ``street_id``, ``name``, ``road_class``, ``last_dug``
            Copied from the street (``street_id`` is empty for duct edges).
        ``duct_share`` (float)
            Share of the edge's length within the duct tolerance of a duct.
        ``has_duct`` (bool)
            The edge carries a duct (``duct_share`` at least the threshold).
        ``duct_id`` (str)
            The duct covering most of the edge (empty when none).
        ``backbone`` (bool)
            A backbone feature touches the edge.

    Attributes
    ----------
    u, v : ndarray of int
        End nodes of each edge, in edge order.
    length : ndarray of float
        Edge lengths in metres.
    has_duct : ndarray of bool
        The duct flag of each edge as built.
    backbone_edge : ndarray of bool
        Edges a backbone feature touches.
    backbone_node : ndarray of bool
        Nodes a backbone feature attaches to.
    geometry : ndarray of LineString
        Edge geometries as a plain array (fast for shapely functions).
    problems : list of Problem
        Warnings found while building (a backbone feature near no street...).

    Examples
    --------
    Which duct edges would be connected if a duct were laid on ``H0:3`` and
    ``V3:1`` too (they join the island ``V3:2`` to the backbone):

    >>> from ductplanner.app.demo import tiny_layers
    >>> layers = tiny_layers()
    >>> net = build_network(layers["streets"], layers["ducts"], layers["backbone"])
    >>> more = net.has_duct | net.edges.index.isin(["H0:3", "V3:1"])
    >>> net.edges.index[net.connected_edges(more)].tolist()
    ['H0:1', 'H0:2', 'H0:3', 'V3:1', 'V3:2']
    """

    def __init__(
        self,
        nodes: gpd.GeoDataFrame,
        edges: gpd.GeoDataFrame,
        *,
        problems: Sequence[Problem] = (),
    ) -> None:
        self.nodes = nodes
        self.edges = edges
        self.problems = list(problems)
        self.u = edges["u"].to_numpy(dtype=np.int64)
        self.v = edges["v"].to_numpy(dtype=np.int64)
        self.length = edges["length"].to_numpy(dtype=float)
        self.has_duct = edges["has_duct"].to_numpy(dtype=bool)
        self.backbone_edge = edges["backbone"].to_numpy(dtype=bool)
        self.backbone_node = nodes["backbone"].to_numpy(dtype=bool)
        self.geometry = np.asarray(edges.geometry.values)

    def __repr__(self) -> str:
        return (
            f"<StreetNetwork: {len(self.nodes)} nodes, {len(self.edges)} edges, "
            f"{int(self.has_duct.sum())} with duct>"
        )

    @property
    def crs(self) -> Any:
        """The CRS of the geometries (metric)."""
        return self.edges.crs

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @cached_property
    def tree(self) -> shapely.STRtree:
        """A spatial index over the edge geometries, in edge order."""
        return shapely.STRtree(self.geometry)

    @cached_property
    def graph(self) -> nx.MultiGraph:
        """The network as an undirected networkx MultiGraph (built on first use).

        Nodes are the node ids with attributes ``x``, ``y`` and ``backbone``;
        edges are keyed by edge id and carry every edge column and the geometry.
        """
        return graph_from_gdfs(self.nodes, self.edges)

    @classmethod
    def from_graph(cls, graph: nx.MultiGraph) -> StreetNetwork:
        """Return the network held by a graph made by :func:`graph_from_gdfs`."""
        nodes, edges = graph_to_gdfs(graph)
        return cls(nodes, edges)

    def positions(self, edge_ids: Sequence[str] | pd.Index) -> np.ndarray:
        """Return the positions (row numbers) of edge ids; raise KeyError on unknown ids."""
        pos = self.edges.index.get_indexer(pd.Index(edge_ids))
        if (pos < 0).any():
            unknown = [e for e, p in zip(edge_ids, pos, strict=True) if p < 0][:5]
            raise KeyError(f"unknown edge ids: {unknown}")
        return pos

    def _mask(self, has_duct: np.ndarray | None) -> np.ndarray:
        if has_duct is None:
            return self.has_duct
        mask = np.asarray(has_duct, dtype=bool)
        if mask.shape != (len(self.edges),):
            raise ValueError(
                f"has_duct must be a boolean array of one value per edge "
                f"({len(self.edges)}), got shape {mask.shape}"
            )
        return mask

    def duct_components(self, has_duct: np.ndarray | None = None) -> np.ndarray:
        """Label the connected components of the duct edges.

        Parameters
        ----------
        has_duct : ndarray of bool, optional
            One value per edge (edge order); default: the ducts as built.

        Returns
        -------
        ndarray of int
            Per edge, its duct component (an arbitrary non-negative label shared
            by duct edges joined through ducts), or ``-1`` where it has no duct.
        """
        mask = self._mask(has_duct)
        labels = _node_components(self.n_nodes, self.u[mask], self.v[mask])
        out = np.full(len(mask), -1, dtype=np.int64)
        out[mask] = labels[self.u[mask]]
        return out

    def connected_edges(self, has_duct: np.ndarray | None = None) -> np.ndarray:
        """Return which duct edges are connected, through ducts, to the backbone.

        One sparse connected-components pass (scipy), linear in the number of
        edges: fast enough to call once per simulated year and run.

        Parameters
        ----------
        has_duct : ndarray of bool, optional
            One value per edge (edge order); default: the ducts as built.

        Returns
        -------
        ndarray of bool
            Per edge: it has a duct, and its duct component holds an edge a
            backbone feature touches.
        """
        mask = self._mask(has_duct)
        component = self.duct_components(mask)
        seeds = np.unique(component[mask & self.backbone_edge])
        return mask & np.isin(component, seeds)

    def islands(self, has_duct: np.ndarray | None = None) -> pd.DataFrame:
        """Return the duct components not connected to the backbone.

        Parameters
        ----------
        has_duct : ndarray of bool, optional
            One value per edge; default: the ducts as built.

        Returns
        -------
        DataFrame
            One row per island, longest first, indexed by ``island`` (1, 2, ...),
            with ``edges`` (count), ``length_m`` and ``edge_ids`` (list of str).
        """
        mask = self._mask(has_duct)
        component = self.duct_components(mask)
        loose = mask & ~self.connected_edges(mask)
        frame = pd.DataFrame(
            {
                "component": component[loose],
                "length": self.length[loose],
                "edge_id": self.edges.index[loose].astype(object),
            }
        )
        if frame.empty:
            return pd.DataFrame(
                {
                    "edges": pd.Series(dtype="int64"),
                    "length_m": pd.Series(dtype=float),
                    "edge_ids": pd.Series(dtype=object),
                },
                index=pd.RangeIndex(1, 1, name="island"),
            )
        grouped = frame.groupby("component", sort=True)
        table = pd.DataFrame(
            {
                "edges": grouped.size().astype("int64"),
                "length_m": grouped["length"].sum().round(1),
                "edge_ids": grouped["edge_id"].agg(list),
            }
        )
        table = table.sort_values(["length_m", "edges"], ascending=False, kind="stable")
        table.index = pd.RangeIndex(1, len(table) + 1, name="island")
        return table

    def component_of_edges(self, has_duct: np.ndarray | None = None) -> pd.Series:
        """Return the island number of each duct edge not connected (0 elsewhere).

        Numbers match :meth:`islands` for the same ``has_duct``.
        """
        table = self.islands(has_duct)
        out = pd.Series(0, index=self.edges.index, dtype="int64", name="island")
        for number, ids in zip(table.index, table["edge_ids"], strict=True):
            out.loc[ids] = number
        return out

    def distance_to_network(
        self, has_duct: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return, per node, the street distance to the nearest connected infrastructure.

        Sources are the end nodes of connected duct edges and the backbone's
        attachment nodes. One multi-source Dijkstra over all edges.

        Returns
        -------
        distance : ndarray of float
            Metres along streets; ``inf`` where unreachable (or no source exists).
        source : ndarray of int
            The source node each node is nearest to (``-1`` where unreachable).
        """
        connected = self.connected_edges(has_duct)
        sources = np.unique(
            np.concatenate(
                [self.u[connected], self.v[connected], np.flatnonzero(self.backbone_node)]
            )
        )
        if len(sources) == 0:
            return np.full(self.n_nodes, np.inf), np.full(self.n_nodes, -1, dtype=np.int64)
        dist, _, source = dijkstra(
            self._length_matrix,
            directed=False,
            indices=sources,
            min_only=True,
            return_predecessors=True,
        )
        return dist, source.astype(np.int64)

    @cached_property
    def _length_matrix(self) -> csr_matrix:
        """Node adjacency weighted by the shortest parallel edge (self-loops dropped)."""
        a, b = np.minimum(self.u, self.v), np.maximum(self.u, self.v)
        keep = a != b
        a, b, w = a[keep], b[keep], np.maximum(self.length[keep], 1e-9)
        order = np.lexsort((w, b, a))
        a, b, w = a[order], b[order], w[order]
        first = np.ones(len(a), dtype=bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        n = self.n_nodes
        return coo_matrix((w[first], (a[first], b[first])), shape=(n, n)).tocsr()


# --- building ----------------------------------------------------------------------------


def build_network(
    streets: gpd.GeoDataFrame,
    ducts: gpd.GeoDataFrame | None = None,
    backbone: gpd.GeoDataFrame | None = None,
    *,
    snap: float = 1.0,
    duct_tolerance: float = 10.0,
    duct_share: float = 0.5,
    backbone_distance: float = 50.0,
    id_column: str = "id",
) -> StreetNetwork:
    """Build the street network from the layers.

    Parameters
    ----------
    streets : GeoDataFrame
        Street centre lines (LineString or MultiLineString) in a metric CRS,
        not necessarily noded. Columns ``name``, ``road_class`` and
        ``last_dug`` are copied onto the edges when present.
    ducts : GeoDataFrame, optional
        Ducts (LineStrings). Pass only those that exist (``status ==
        "existing"``) to get today's network.
    backbone : GeoDataFrame, optional
        Points of presence (Points) and fibre lines (LineStrings).
    snap : float
        Metres: line ends (and a line end and another line) closer than this
        are joined into one node.
    duct_tolerance : float
        Metres between a duct and the centre line it runs along.
    duct_share : float
        Share of an edge's length (0–1] that must lie within
        ``duct_tolerance`` of a duct for the edge to carry a duct.
    backbone_distance : float
        Metres: a point of presence attaches to its nearest edge within this.
    id_column : str
        Id column of the three layers (the index is used where it is absent).

    Returns
    -------
    StreetNetwork

    Raises
    ------
    InputError
        When the CRS is geographic, ids repeat, or a parameter is out of range.
    """
    _check_parameters(snap, duct_tolerance, duct_share, backbone_distance)
    problems: list[Problem] = []
    crs = streets.crs
    _require_metric(crs)
    street_lines, street_src = _single_lines(np.asarray(streets.geometry.values))
    street_ids = _ids(streets, id_column, "streets")
    duct_lines, duct_src, duct_ids = _empty_lines(), np.empty(0, np.int64), np.empty(0, object)
    if ducts is not None and len(ducts):
        ducts = ducts.to_crs(crs) if ducts.crs is not None and ducts.crs != crs else ducts
        duct_lines, duct_src = _single_lines(np.asarray(ducts.geometry.values))
        duct_ids = _ids(ducts, id_column, "ducts")

    off_street, off_duct, off_start = _off_street_pieces(
        duct_lines, duct_src, street_lines, duct_tolerance
    )
    noded = _node_lines(np.concatenate([street_lines, off_street]), snap)
    # Per input line: which layer, which feature (row), where it starts along the feature.
    line_is_street = np.r_[np.ones(len(street_lines), bool), np.zeros(len(off_street), bool)]
    line_row = np.r_[street_src, off_duct]
    line_offset = np.r_[_line_offsets(street_lines, street_src), off_start]
    source = noded.source
    edges = _edge_table(
        streets,
        street_ids,
        duct_ids,
        noded,
        line_is_street[source],
        line_row[source],
        line_offset[source] + noded.start,
    )

    share, best = _duct_cover(np.asarray(edges.geometry.values), duct_lines, duct_tolerance)
    on_street = (edges["kind"] == "street").to_numpy()
    share = np.where(on_street, share, 1.0)
    edges["duct_share"] = share.round(4)
    edges["has_duct"] = share >= duct_share
    covering = np.full(len(edges), "", dtype=object)
    has_best = on_street & edges["has_duct"].to_numpy() & (best >= 0)
    covering[has_best] = duct_ids[duct_src[best[has_best]]]
    edges["duct_id"] = np.where(on_street, covering, edges["duct_id"].to_numpy(dtype=object))

    node_xy = _renumber_nodes(edges, noded.node_xy)
    backbone_edge = np.zeros(len(edges), dtype=bool)
    backbone_node = np.zeros(len(node_xy), dtype=bool)
    if backbone is not None and len(backbone):
        backbone = (
            backbone.to_crs(crs) if backbone.crs is not None and backbone.crs != crs else backbone
        )
        problems += _attach_backbone(
            backbone,
            _ids(backbone, id_column, "backbone"),
            edges,
            node_xy,
            backbone_edge,
            backbone_node,
            backbone_distance,
            duct_tolerance,
        )
    edges["backbone"] = backbone_edge
    edges = edges[[*EDGE_COLUMNS, "geometry"]]
    nodes = gpd.GeoDataFrame(
        {"x": node_xy[:, 0], "y": node_xy[:, 1], "backbone": backbone_node},
        geometry=shapely.points(node_xy),
        crs=crs,
        index=pd.RangeIndex(len(node_xy), name="node"),
    )
    return StreetNetwork(nodes, edges, problems=problems)


def _renumber_nodes(edges: gpd.GeoDataFrame, node_xy: np.ndarray) -> np.ndarray:
    """Renumber the nodes in the order the edges first use them; drop unused ones.

    Rewrites ``u`` and ``v`` of ``edges`` in place; returns the new coordinates.
    """
    ends = np.column_stack([edges["u"].to_numpy(), edges["v"].to_numpy()]).ravel()
    used, first = np.unique(ends, return_index=True)
    old_in_order = used[np.argsort(first, kind="stable")]
    new_of_old = np.full(len(node_xy), -1, dtype=np.int64)
    new_of_old[old_in_order] = np.arange(len(old_in_order))
    edges["u"] = new_of_old[edges["u"].to_numpy()]
    edges["v"] = new_of_old[edges["v"].to_numpy()]
    return node_xy[old_in_order]


def _check_parameters(
    snap: float, duct_tolerance: float, duct_share: float, backbone_distance: float
) -> None:
    problems = []
    for name, value, ok, expected in [
        ("snap", snap, snap >= 0, "at least 0 m"),
        ("duct_tolerance", duct_tolerance, duct_tolerance > 0, "more than 0 m"),
        ("duct_share", duct_share, 0 < duct_share <= 1, "more than 0 and at most 1"),
        ("backbone_distance", backbone_distance, backbone_distance >= 0, "at least 0 m"),
    ]:
        if not ok:
            problems.append(
                Problem(
                    "<arguments>", "", "", name, "range", f"{name} is {value}, expected {expected}"
                )
            )
    if problems:
        raise InputError(problems, summary="Invalid network parameters")


def _require_metric(crs: Any) -> None:
    from pyproj import CRS

    if crs is None or not CRS.from_user_input(crs).is_projected:
        raise InputError(
            [
                Problem(
                    "<memory>",
                    "streets",
                    "",
                    "geometry",
                    "crs",
                    f"the street network needs a metric (projected) CRS, got {crs}",
                    "reproject the layers to EPSG:25832 (the workspace does this on import)",
                )
            ]
        )


def _ids(gdf: gpd.GeoDataFrame, id_column: str, layer: str) -> np.ndarray:
    """Return the ids as strings; raise InputError naming every repeated id."""
    raw = gdf[id_column] if id_column in gdf.columns else pd.Series(gdf.index, index=gdf.index)
    ids = raw.astype(object).map(str).to_numpy(dtype=object)
    dup = pd.Series(ids).duplicated(keep="first").to_numpy()
    if dup.any():
        raise InputError(
            [
                Problem(
                    "<memory>",
                    layer,
                    str(i),
                    id_column,
                    "unique",
                    f"id {i!r} is used twice",
                    "give every feature its own id",
                )
                for i in ids[dup]
            ]
        )
    return ids


def _empty_lines() -> np.ndarray:
    return np.empty(0, dtype=object)


def _single_lines(geoms: Any) -> tuple[np.ndarray, np.ndarray]:
    """Explode into 2-D single LineStrings with a length; return them and their row."""
    values = np.asarray(geoms, dtype=object)
    parts, row = shapely.get_parts(values, return_index=True)
    parts = shapely.force_2d(parts)
    keep = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 0)
    return parts[keep], row[keep].astype(np.int64)


def _line_offsets(lines: np.ndarray, source: np.ndarray) -> np.ndarray:
    """Distance of each sub-line's start along its source feature (parts laid end to end)."""
    length = shapely.length(lines)
    cum = np.cumsum(length) - length
    first = np.ones(len(source), dtype=bool)
    first[1:] = source[1:] != source[:-1]
    return cum - np.maximum.accumulate(np.where(first, cum, 0.0))


def _edge_table(
    streets: gpd.GeoDataFrame,
    street_ids: np.ndarray,
    duct_ids: np.ndarray,
    noded: _Noded,
    is_street: np.ndarray,
    row: np.ndarray,
    offset: np.ndarray,
) -> gpd.GeoDataFrame:
    """Name the noded parts (``<street id>:<n>`` along the street) and copy street fields."""
    order = np.lexsort((offset, row, ~is_street))
    is_street, row = is_street[order], row[order]
    n = len(order)
    first = np.ones(n, dtype=bool)
    first[1:] = (row[1:] != row[:-1]) | (is_street[1:] != is_street[:-1])
    part = np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0)) + 1
    street_id = np.full(n, "", dtype=object)
    street_id[is_street] = street_ids[row[is_street]]
    duct_id = np.full(n, "", dtype=object)
    duct_id[~is_street] = duct_ids[row[~is_street]]
    base = np.where(is_street, street_id, "duct:" + duct_id.astype(str))
    edge_ids = pd.Index(base.astype(str) + ":" + part.astype(str), name="edge_id")
    street_row = np.where(is_street, row, 0)
    table: dict[str, Any] = {
        "u": noded.u[order],
        "v": noded.v[order],
        "length": shapely.length(noded.geometry[order]),
        "kind": np.where(is_street, "street", "duct").astype(object),
        "street_id": street_id,
    }
    for column, fill in (("name", ""), ("road_class", "")):
        values = (
            streets[column].astype(object).iloc[street_row].to_numpy()
            if column in streets.columns and len(streets)
            else np.full(n, None, dtype=object)
        )
        table[column] = pd.Series(np.where(is_street, values, None)).fillna(fill).to_numpy(object)
    table["road_class"] = np.where(is_street, table["road_class"], "duct").astype(object)
    last_dug = (
        pd.array(streets["last_dug"], dtype="Int64")[street_row]
        if "last_dug" in streets.columns and len(streets)
        else pd.array([pd.NA] * n, dtype="Int64")
    )
    last_dug[~is_street] = pd.NA
    table["last_dug"] = last_dug
    table["duct_id"] = duct_id
    return gpd.GeoDataFrame(table, geometry=noded.geometry[order], crs=streets.crs, index=edge_ids)


# --- noding --------------------------------------------------------------------------------


@dataclass
class _Noded:
    """Lines split at their junctions."""

    geometry: np.ndarray  # LineString parts
    source: np.ndarray  # index of the input line each part comes from
    start: np.ndarray  # distance along the input line where the part starts
    u: np.ndarray
    v: np.ndarray
    node_xy: np.ndarray  # (n_nodes, 2)


def _node_lines(lines: np.ndarray, snap: float) -> _Noded:
    """Split lines at crossings and T-junctions; merge ends closer than ``snap``.

    Every point where a line must be split is found with STRtree queries:
    interior crossings and collinear overlaps (``crosses``/``overlaps``), and
    line ends within ``snap`` of another line's interior. All these points and
    all line ends are clustered (within ``snap``, transitively) into nodes; a
    split point on a line carries its cluster's coordinate, so the parts of a
    line meet their neighbours exactly. Lines are then cut with numpy on their
    coordinate arrays, never one by one.
    """
    n = len(lines)
    if n == 0:
        empty = np.empty(0, dtype=np.int64)
        return _Noded(_empty_lines(), empty, np.empty(0), empty, empty, np.empty((0, 2)))
    tree = shapely.STRtree(lines)
    split_line, split_xy = _crossings(lines, tree)
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    end_xy = shapely.get_coordinates(ends)
    t_line, t_xy = _near_ends(lines, tree, ends, end_xy, snap)
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


def _crossings(lines: np.ndarray, tree: shapely.STRtree) -> tuple[np.ndarray, np.ndarray]:
    """Points where two lines cross, or where a shared stretch begins and ends.

    Candidate pairs come from one (prepared, fast) ``intersects`` query of the
    lines trimmed by a hair at both ends: lines that merely share an end, by
    far the most common pair in a noded network, then do not meet at all.
    """
    a, b = tree.query(_trimmed(lines, 1e-4), predicate="intersects")
    keep = a < b  # a crossing or an overlap is found from both sides
    a, b = a[keep], b[keep]
    if len(a) == 0:
        return np.empty(0, dtype=np.int64), np.empty((0, 2))
    inter = shapely.intersection(lines[a], lines[b])
    xy, which = shapely.get_coordinates(inter, return_index=True)
    return np.concatenate([a[which], b[which]]), np.concatenate([xy, xy])


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
    lines: np.ndarray, tree: shapely.STRtree, ends: np.ndarray, end_xy: np.ndarray, snap: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points on a line's interior where another line ends (T-junctions), projected."""
    n = len(lines)
    e, j = tree.query(ends, predicate="dwithin", distance=snap)
    keep = (e % n) != j
    e, j = e[keep], j[keep]
    # A line end near the other line's own end is a plain node, not a T.
    near_start = np.hypot(*(end_xy[e] - end_xy[j]).T) <= snap
    near_end = np.hypot(*(end_xy[e] - end_xy[j + n]).T) <= snap
    keep = ~(near_start | near_end)
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
) -> _Noded:
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
    return _Noded(geoms[good], source[good], start[good], u[good], v[good], node_xy)


# --- ducts ----------------------------------------------------------------------------------


def _covered_intervals(targets: np.ndarray, covers: np.ndarray, tolerance: float) -> pd.DataFrame:
    """Stretches of each target line within ``tolerance`` of any cover line.

    Targets that lie wholly within the tolerance (the common case: an edge
    a duct runs along) are recognised by sampling and get one full-length
    stretch; only the others are intersected exactly with the covers' buffers.

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
    """Merge overlapping stretches per target; columns ``target``, ``a``, ``b``."""
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


def _duct_cover(
    edges: np.ndarray, ducts: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per edge: the share of its length near a duct, and the duct near most of it."""
    share = np.zeros(len(edges))
    best = np.full(len(edges), -1, dtype=np.int64)
    stretches = _covered_intervals(edges, ducts, tolerance)
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


def _off_street_pieces(
    ducts: np.ndarray, duct_src: np.ndarray, streets: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stretches of duct farther than ``tolerance`` from every street, joined to the street.

    A stretch that leaves a street's corridor starts at the corridor's edge;
    it is extended to the nearest point of that street, so the noding joins it.

    Returns
    -------
    pieces : ndarray of LineString
    duct_row : ndarray of int
        The duct feature (row) of each piece.
    start : ndarray of float
        Where the piece starts along its duct line (for numbering parts).
    """
    empty = (_empty_lines(), np.empty(0, np.int64), np.empty(0))
    if len(ducts) == 0:
        return empty
    merged = merge_intervals(_covered_intervals(ducts, streets, tolerance))
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
            coords.insert(0, _foot(street_tree, streets, coords[0], 2 * tolerance))
        if street_tree is not None and hi < length[d]:
            coords.append(_foot(street_tree, streets, coords[-1], 2 * tolerance))
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


def _foot(tree: shapely.STRtree, streets: np.ndarray, xy: tuple, reach: float) -> tuple:
    """Return the nearest point on the nearest street within ``reach`` (or ``xy`` itself)."""
    point = shapely.Point(xy)
    hit = tree.query_nearest(point, max_distance=reach)
    if len(hit) == 0:
        return xy
    foot = shapely.shortest_line(point, streets[hit[0]]).coords[-1]
    return foot


# --- backbone -------------------------------------------------------------------------------


def _attach_backbone(
    backbone: gpd.GeoDataFrame,
    ids: np.ndarray,
    edges: gpd.GeoDataFrame,
    node_xy: np.ndarray,
    backbone_edge: np.ndarray,
    backbone_node: np.ndarray,
    distance: float,
    tolerance: float,
) -> list[Problem]:
    """Mark the edges and nodes each backbone feature touches; warn about loose ones."""
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


# --- components -------------------------------------------------------------------------------


def _node_components(n_nodes: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Connected-component label of every node, over the given edges."""
    graph = coo_matrix((np.ones(len(u), dtype=np.int8), (u, v)), shape=(n_nodes, n_nodes))
    _, labels = connected_components(graph, directed=False)
    return labels


# --- graph <-> GeoDataFrames -----------------------------------------------------------------


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
    import networkx as nx

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
