"""The street network: noded street edges, the ducts on them, and what reaches the backbone.

:func:`build_network` turns the ``streets``, ``ducts`` and ``backbone`` layers
into a :class:`StreetNetwork`:

1. **Noding.** Street centre lines are split where they cross and where one
   ends on (or within ``snap`` metres of) another (a T-junction); line ends
   closer than ``snap`` are merged into one node. A line crossing itself is
   not split there (that is a ramp passing over itself, not a junction).
   Streets of different levels (``level``, ``bridge``, ``tunnel``) meet only
   where they share a point. A path drawn beside a road (a sidewalk, a cycle
   track, within ``side_paths`` metres) belongs to the road's corridor: only
   its stretches away from every road become edges.
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

Each step has its own module: :mod:`~ductplanner.model.noding`,
:mod:`~ductplanner.model.duct_cover` and :mod:`~ductplanner.model.backbone`;
:mod:`~ductplanner.model.network_graph` converts to and from networkx. This
module holds :class:`StreetNetwork` and :func:`build_network`, which ties the
steps together.

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
from functools import cached_property
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from ..core._errors import InputError, Problem
from ..core.progress import OnStep, no_step
from .backbone import attach_backbone
from .duct_cover import duct_cover, merge_intervals, off_street_pieces, stretches_inside
from .network_graph import graph_from_gdfs, graph_to_gdfs
from .noding import Noded, empty_lines, node_lines
from .parallel import SIDE_PATH_DISTANCE_M, side_path_pieces

__all__ = [
    "DUCT_TOLERANCE_M",
    "EDGE_COLUMNS",
    "NETWORK_STEPS",
    "StreetNetwork",
    "build_network",
    "graph_from_gdfs",
    "graph_to_gdfs",
    "merge_intervals",
    "street_levels",
    "stretches_inside",
]
"""The network's public names; ``graph_from_gdfs``, ``graph_to_gdfs``
(:mod:`.network_graph`), ``merge_intervals`` and ``stretches_inside``
(:mod:`.duct_cover`) live in their own modules and are re-exported here."""

DUCT_TOLERANCE_M = 10.0
"""Metres between a duct and the centre line it runs along (default of :func:`build_network`)."""
NETWORK_STEPS = ("noding the streets", "street edges", "ducts on the edges", "backbone")
"""The phases of :func:`build_network`, as it reports them to ``on_step``."""

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

    def street_components(self) -> np.ndarray:
        """Label the connected components of the whole network (streets and duct lines).

        Returns
        -------
        ndarray of int
            Per edge, its component (an arbitrary non-negative label shared by
            edges joined through any edges).
        """
        return _node_components(self.n_nodes, self.u, self.v)[self.u]

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
    duct_tolerance: float = DUCT_TOLERANCE_M,
    duct_share: float = 0.5,
    backbone_distance: float = 50.0,
    side_paths: float = SIDE_PATH_DISTANCE_M,
    id_column: str = "id",
    on_step: OnStep | None = None,
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
    side_paths : float
        Metres: a path (``road_class == "path"``: a sidewalk, a cycle track)
        this close to a road of its level belongs to the road's corridor and
        is no edge of its own; only its stretches away from every road are
        (:func:`~ductplanner.model.parallel.side_path_pieces`). 0 keeps every
        path as drawn.
    id_column : str
        Id column of the three layers (the index is used where it is absent).
    on_step : callable, optional
        Called with the name of each of :data:`NETWORK_STEPS` as it begins
        (a progress bar's ``step``).

    Returns
    -------
    StreetNetwork

    Raises
    ------
    InputError
        When the CRS is geographic, ids repeat, or a parameter is out of range.
    """
    _check_parameters(snap, duct_tolerance, duct_share, backbone_distance, side_paths)
    problems: list[Problem] = []
    crs = streets.crs
    _require_metric(crs)
    street_lines, street_src = _single_lines(np.asarray(streets.geometry.values))
    street_offset = _line_offsets(street_lines, street_src)
    street_level = street_levels(streets)[street_src]
    if side_paths > 0:
        kept, of_line, start = side_path_pieces(
            street_lines, _is_path(streets)[street_src], street_level, distance=side_paths
        )
        street_lines, street_src = kept, street_src[of_line]
        street_offset, street_level = street_offset[of_line] + start, street_level[of_line]
    street_ids = _ids(streets, id_column, "streets")
    duct_lines, duct_src, duct_ids = empty_lines(), np.empty(0, np.int64), np.empty(0, object)
    if ducts is not None and len(ducts):
        ducts = ducts.to_crs(crs) if ducts.crs is not None and ducts.crs != crs else ducts
        duct_lines, duct_src = _single_lines(np.asarray(ducts.geometry.values))
        duct_ids = _ids(ducts, id_column, "ducts")

    step = on_step or no_step
    step(NETWORK_STEPS[0])
    off_street, off_duct, off_start = off_street_pieces(
        duct_lines, duct_src, street_lines, duct_tolerance
    )
    line_level = np.r_[street_level, np.zeros(len(off_street), np.int64)]
    noded = node_lines(np.concatenate([street_lines, off_street]), snap, line_level)
    # Per input line: which layer, which feature (row), where it starts along the feature.
    line_is_street = np.r_[np.ones(len(street_lines), bool), np.zeros(len(off_street), bool)]
    line_row = np.r_[street_src, off_duct]
    line_offset = np.r_[street_offset, off_start]
    source = noded.source
    step(NETWORK_STEPS[1])
    edges = _edge_table(
        streets,
        street_ids,
        duct_ids,
        noded,
        line_is_street[source],
        line_row[source],
        line_offset[source] + noded.start,
    )

    step(NETWORK_STEPS[2])
    _mark_ducts(edges, duct_lines, duct_src, duct_ids, duct_tolerance, duct_share)

    node_xy = _renumber_nodes(edges, noded.node_xy)
    backbone_edge = np.zeros(len(edges), dtype=bool)
    backbone_node = np.zeros(len(node_xy), dtype=bool)
    step(NETWORK_STEPS[3])
    if backbone is not None and len(backbone):
        backbone = (
            backbone.to_crs(crs) if backbone.crs is not None and backbone.crs != crs else backbone
        )
        problems += attach_backbone(
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


def _is_path(streets: gpd.GeoDataFrame) -> np.ndarray:
    if "road_class" not in streets.columns:
        return np.zeros(len(streets), dtype=bool)
    return (streets["road_class"].astype(object) == "path").to_numpy(dtype=bool)


def street_levels(streets: gpd.GeoDataFrame) -> np.ndarray:
    """Return each street's level: its ``level``, else 1 on a bridge, -1 in a tunnel, else 0.

    Streets of different levels meet only where they share a point
    (:func:`~ductplanner.model.noding.node_lines`).

    >>> s = gpd.GeoDataFrame({"level": [2, None, None, None], "bridge": [True, True, False, None],
    ...                       "tunnel": [False, False, True, None]}, geometry=[None] * 4)
    >>> street_levels(s).tolist()
    [2, 1, -1, 0]
    """
    n = len(streets)

    def flag(column: str) -> np.ndarray:
        if column not in streets.columns:
            return np.zeros(n, dtype=bool)
        return streets[column].astype("boolean").fillna(False).to_numpy(dtype=bool)

    implied = np.where(flag("bridge"), 1, np.where(flag("tunnel"), -1, 0))
    if "level" not in streets.columns:
        return implied.astype(np.int64)
    given = pd.to_numeric(streets["level"], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isnan(given), implied, given).astype(np.int64)


def _mark_ducts(
    edges: gpd.GeoDataFrame,
    duct_lines: np.ndarray,
    duct_src: np.ndarray,
    duct_ids: np.ndarray,
    tolerance: float,
    min_share: float,
) -> None:
    """Set ``duct_share``, ``has_duct`` and ``duct_id`` of the street edges (in place)."""
    share, best = duct_cover(np.asarray(edges.geometry.values), duct_lines, tolerance)
    on_street = (edges["kind"] == "street").to_numpy()
    share = np.where(on_street, share, 1.0)
    edges["duct_share"] = share.round(4)
    edges["has_duct"] = share >= min_share
    covering = np.full(len(edges), "", dtype=object)
    has_best = on_street & edges["has_duct"].to_numpy() & (best >= 0)
    covering[has_best] = duct_ids[duct_src[best[has_best]]]
    edges["duct_id"] = np.where(on_street, covering, edges["duct_id"].to_numpy(dtype=object))


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
    snap: float,
    duct_tolerance: float,
    duct_share: float,
    backbone_distance: float,
    side_paths: float,
) -> None:
    problems = []
    for name, value, ok, expected in [
        ("snap", snap, snap >= 0, "at least 0 m"),
        ("duct_tolerance", duct_tolerance, duct_tolerance > 0, "more than 0 m"),
        ("duct_share", duct_share, 0 < duct_share <= 1, "more than 0 and at most 1"),
        ("backbone_distance", backbone_distance, backbone_distance >= 0, "at least 0 m"),
        ("side_paths", side_paths, side_paths >= 0, "at least 0 m"),
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
                    "reproject the layers to a projected CRS in metres, such as the UTM zone of "
                    "the place (import does this: the workspace has one)",
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
    noded: Noded,
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
        kept = np.where(is_street, values, np.full(n, None, dtype=object))
        table[column] = pd.Series(kept).fillna(fill).to_numpy(object)
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


# --- components -------------------------------------------------------------------------------


def _node_components(n_nodes: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Connected-component label of every node, over the given edges."""
    graph = coo_matrix((np.ones(len(u), dtype=np.int8), (u, v)), shape=(n_nodes, n_nodes))
    _, labels = connected_components(graph, directed=False)
    return labels
