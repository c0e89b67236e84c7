"""The demo municipality's street network.

Town lattices, through roads, lanes to farms and green paths, noded so every
street runs junction to junction.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from shapely import Point

from .plan import DISTRICTS, GREEN_PATHS, PATTERNS, ROADS, RURAL, TOWNS, Layout, NamePool

# --- the street network --------------------------------------------------------------------

_CLASS_CODES = ("through", "distributor", "local", "path")
THROUGH, DISTRIBUTOR, LOCAL, PATH = range(4)
_ORIGINS = ("town", "rural", "lane", "green")
TOWN, RURAL_ROAD, LANE, GREEN = range(4)


@dataclass
class _Edges:
    """Network edges under construction: node pairs and attributes, as arrays."""

    u: np.ndarray
    v: np.ndarray
    cls: np.ndarray  # class code
    name: np.ndarray  # object array of str
    origin: np.ndarray  # origin code

    @classmethod
    def empty(cls) -> _Edges:
        """Return no edges."""
        i = np.zeros(0, dtype=np.int64)
        return cls(i, i.copy(), i.copy(), np.zeros(0, dtype=object), i.copy())

    def extend(self, other: _Edges) -> _Edges:
        """Return these edges followed by ``other``."""
        return _Edges(
            *(np.concatenate([a, b]) for a, b in zip(self.arrays(), other.arrays(), strict=True))
        )

    def arrays(self) -> tuple[np.ndarray, ...]:
        """Return the attribute arrays in field order."""
        return self.u, self.v, self.cls, self.name, self.origin

    def take(self, index: np.ndarray) -> _Edges:
        """Return the edges at ``index`` (an integer or boolean array)."""
        return _Edges(*(a[index] for a in self.arrays()))

    def __len__(self) -> int:
        return len(self.u)


class _Nodes:
    """A growing array of node coordinates."""

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []
        self.count = 0

    def add(self, xy: np.ndarray) -> np.ndarray:
        """Append points; return their node ids."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        ids = np.arange(self.count, self.count + len(xy))
        self._parts.append(xy)
        self.count += len(xy)
        return ids

    @property
    def xy(self) -> np.ndarray:
        """All node coordinates, (n, 2)."""
        if len(self._parts) > 1:
            self._parts = [np.vstack(self._parts)]
        return self._parts[0] if self._parts else np.zeros((0, 2))


def _warp(rng: np.random.Generator, f: float) -> Callable[[np.ndarray, np.ndarray], tuple]:
    """Return a smooth random displacement field (x, y) -> (dx, dy), a few tens of metres."""
    modes = 3
    direction = rng.uniform(0, 2 * math.pi, (2, modes))
    wavelength = rng.uniform(500, 1300, (2, modes))
    phase = rng.uniform(0, 2 * math.pi, (2, modes))
    amplitude = rng.uniform(6, 15, (2, modes)) * min(1.0, 0.5 + f)

    def field(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = []
        for k in range(2):
            total = np.zeros_like(x)
            for m in range(modes):
                along = x * math.cos(direction[k, m]) + y * math.sin(direction[k, m])
                total += amplitude[k, m] * np.sin(
                    2 * math.pi * along / wavelength[k, m] + phase[k, m]
                )
            out.append(total)
        return out[0], out[1]

    return field


def _edge_roles(
    pattern: np.ndarray, o: np.ndarray, line: np.ndarray, pos: np.ndarray, r: np.ndarray
) -> np.ndarray:
    """Decide what each lattice edge becomes: 0 nothing, 1 path, 2 road.

    ``o`` is the edge's direction after the district's transposition (0: along
    collector roads, 1: across), ``line`` the lattice line it lies on and
    ``pos`` its place along that line.
    """
    centre, mixed, villa, rowhouse, apartment, business, village = range(7)
    road_or = lambda keep, p_path: np.where(keep, 2, np.where(r < p_path, 1, 0))  # noqa: E731
    roles = np.zeros(len(pattern), dtype=np.int8)

    def put(code: int, values: np.ndarray) -> None:
        m = pattern == code
        roles[m] = values[m]

    put(centre, np.where(r < 0.06, 1, np.where(r < 0.09, 0, 2)))
    put(mixed, np.where(line % 2 == 0, 2, np.where(r < 0.55, 2, np.where(r < 0.75, 1, 0))))
    stub = np.isin(pos % 3, (0, 2))
    villa_across = np.where(
        stub, np.where(r < 0.08, 0, 2), np.where(r < 0.25, 2, np.where(r < 0.8, 1, 0))
    )
    put(villa, np.where(o == 0, road_or(line % 3 == 0, 0.04), villa_across))
    row_stub = np.isin(pos % 4, (0, 3))
    row_across = np.where(row_stub, 2, np.where(r < 0.6, 1, 0))
    put(rowhouse, np.where(o == 0, road_or(line % 4 == 0, 0.5), row_across))
    big_block = np.where(o == 0, line % 2 == 0, line % 3 == 0)
    put(apartment, road_or(big_block, 0.55))
    put(business, np.where(big_block & (r >= 0.1), 2, np.where(r < 0.08, 1, 0)))
    put(village, np.where(line % 2 == 0, np.where(r < 0.85, 2, 0), np.where(r < 0.3, 2, 0)))
    return roles


@dataclass
class _Lattice:
    """One town's streets, cut from its warped lattice."""

    town: int
    nodes: np.ndarray  # global node ids of the lattice, by lattice index
    edges: _Edges
    centre: int  # node nearest the town's origin (through roads meet there)


def _town_lattice(
    t: int, layout: Layout, nodes: _Nodes, pool: NamePool, rng: np.random.Generator
) -> _Lattice | None:
    town = TOWNS[t]
    mine = layout.town_of == t
    origin = layout.place(town.origin)
    theta = math.radians(town.angle)
    c, s = math.cos(theta), math.sin(theta)
    su, sv = town.spacing
    # Lattice index range covering the town's cores, in the lattice frame.
    rel = layout.centres[mine] - origin
    reach = layout.axes[mine].max(axis=1, keepdims=True) * 1.25
    lu = rel[:, :1] * c + rel[:, 1:] * s
    lv = -rel[:, :1] * s + rel[:, 1:] * c
    i0, i1 = math.floor(((lu - reach).min()) / su), math.ceil(((lu + reach).max()) / su)
    j0, j1 = math.floor(((lv - reach).min()) / sv), math.ceil(((lv + reach).max()) / sv)
    ii, jj = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j0, j1 + 1), indexing="ij")
    ni, nj = ii.shape
    u, v = ii.ravel() * su, jj.ravel() * sv
    x = origin[0] + u * c - v * s
    y = origin[1] + u * s + v * c
    dx, dy = _warp(rng, layout.f)(x, y)
    x = x + dx + rng.normal(0, 3.0, x.size)
    y = y + dy + rng.normal(0, 3.0, y.size)
    inside = layout.in_cores(x, y, mine) | shapely.contains_xy(_town_hull(layout, mine), x, y)
    inside &= shapely.contains_xy(layout.inner, x, y)
    district = layout.district_of(x, y)
    inside &= district >= 0
    if inside.sum() < 2:
        return None

    index = np.arange(ni * nj).reshape(ni, nj)
    # Edges along u (o=0: line j, position i) and along v (o=1: line i, position j).
    a = np.concatenate([index[:-1, :].ravel(), index[:, :-1].ravel()])
    b = np.concatenate([index[1:, :].ravel(), index[:, 1:].ravel()])
    o = np.concatenate([np.zeros((ni - 1) * nj, int), np.ones(ni * (nj - 1), int)])
    line = np.where(o == 0, jj.ravel()[a], ii.ravel()[a])
    pos = np.where(o == 0, ii.ravel()[a], jj.ravel()[a])
    keep = inside[a] & inside[b]
    a, b, o, line, pos = a[keep], b[keep], o[keep], line[keep], pos[keep]
    d = district[a]
    transposed = rng.integers(0, 2, len(DISTRICTS))
    o_local = o ^ transposed[d]
    r = rng.random(len(a))
    roles = _edge_roles(layout.pattern[d], o_local, line, pos, r)
    offset = rng.integers(0, 8, 2)
    distributor = (line - offset[o]) % 8 == 0
    village = layout.pattern[d] == PATTERNS.index("village")
    roles[distributor & ~village] = 2
    cls = np.where(roles == 2, np.where(distributor & ~village, DISTRIBUTOR, LOCAL), PATH)
    a, b, o, line, pos, d, cls = (arr[roles > 0] for arr in (a, b, o, line, pos, d, cls))

    a, b, cls, o, line, pos, d = _main_component(ni * nj, a, b, cls, o, line, pos, d)
    if len(a) == 0:
        return None
    names = _lattice_names(layout, pool, o, line, pos, d, cls)
    ids = nodes.add(np.column_stack([x, y]))
    road_nodes = np.unique(np.concatenate([a[cls != PATH], b[cls != PATH]]))
    near = np.hypot(x[road_nodes] - origin[0], y[road_nodes] - origin[1]).argmin()
    edges = _Edges(ids[a], ids[b], cls, names, np.full(len(a), TOWN))
    return _Lattice(t, ids, edges, int(ids[road_nodes[near]]))


def _town_hull(layout: Layout, mine: np.ndarray) -> shapely.Geometry:
    """Return the ground between a town's district cores, which is built up too."""
    reach = 0.8 * layout.axes[mine].min(axis=1).mean()
    return shapely.convex_hull(shapely.multipoints(layout.centres[mine])).buffer(reach)


def _main_component(
    n: int, a: np.ndarray, b: np.ndarray, cls: np.ndarray, *rest: np.ndarray
) -> Iterator[np.ndarray]:
    """Keep the largest connected road network and the paths that reach it."""
    road = cls != PATH
    if not road.any():
        return (arr[:0] for arr in (a, b, cls, *rest))
    graph = coo_matrix((np.ones(road.sum()), (a[road], b[road])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    used = np.zeros(n, dtype=bool)
    used[a[road]] = used[b[road]] = True
    counts = np.bincount(label[used], minlength=label.max() + 1)
    main = counts.argmax()
    keep_road = road & (label[a] == main)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))  # roads and paths together
    _, label_all = connected_components(graph, directed=False)
    main_all = label_all[a[keep_road][0]]
    keep = keep_road | (~road & (label_all[a] == main_all))
    return (arr[keep] for arr in (a, b, cls, *rest))


def _lattice_names(
    layout: Layout,
    pool: NamePool,
    o: np.ndarray,
    line: np.ndarray,
    pos: np.ndarray,
    d: np.ndarray,
    cls: np.ndarray,
) -> np.ndarray:
    """Name lattice edges: a distributor per lattice line, local streets per stretch."""
    names = np.empty(len(o), dtype=object)
    chunk = pos // 8
    groups = {
        DISTRIBUTOR: (np.column_stack([o, line]), lambda keys: ["distributor"] * len(keys)),
        LOCAL: (
            np.column_stack([d, o, line, chunk]),
            lambda keys: [PATTERNS[layout.pattern[k[0]]] for k in keys],
        ),
        PATH: (np.column_stack([d, line // 4, pos // 8]), lambda keys: ["path"] * len(keys)),
    }
    for code, (key, kinds_of) in groups.items():
        m = cls == code
        if not m.any():
            continue
        keys, inverse = np.unique(key[m], axis=0, return_inverse=True)
        kinds = kinds_of(keys)
        group_names = np.empty(len(keys), dtype=object)
        for kind in dict.fromkeys(kinds):
            where = [i for i, k in enumerate(kinds) if k == kind]
            for i, name in zip(where, pool.take(kind, len(where)), strict=True):
                group_names[i] = name
        names[m] = group_names[inverse.ravel()]
    return names


def _through_routes(
    lattices: dict[int, _Lattice],
    layout: Layout,
    nodes: _Nodes,
    edges: _Edges,
    rng: np.random.Generator,
) -> tuple[_Edges, _Edges]:
    """Join the towns by rural through roads that run on to each town's centre.

    Returns the lattice edges (with the through routes re-classed and renamed)
    and the new rural road edges.
    """
    xy = nodes.xy
    town_names = [t.name for t in TOWNS]
    road = edges.cls != PATH
    rural = _Edges.empty()
    for start, end, name in ROADS:
        a_town = lattices.get(town_names.index(start))
        if a_town is None:
            continue
        if isinstance(end, str):
            b_town = lattices.get(town_names.index(end))
            if b_town is None:
                continue
            target = xy[b_town.centre]
        else:
            b_town, target = None, layout.place(end)
        gate_a = _nearest_road_node(edges, road, a_town, xy, target)
        gates = [(a_town, gate_a)]
        gate_b: int | None = None
        if b_town is not None:
            gate_b = _nearest_road_node(edges, road, b_town, xy, xy[gate_a])
            end_point = xy[gate_b]
            gates.append((b_town, gate_b))
        else:
            end_point = target
        for lattice, gate in gates:
            route = _route_edges(edges, road, xy, gate, lattice.centre)
            fresh = route[edges.cls[route] != THROUGH]
            edges.cls[fresh] = THROUGH
            edges.name[fresh] = name
        line = _bent_line(xy[gate_a], end_point, rng, step=120.0)
        inner_ids = nodes.add(line[1:-1])
        last = gate_b if gate_b is not None else int(nodes.add(line[-1:])[0])
        chain = np.concatenate([[gate_a], inner_ids, [last]])
        xy = nodes.xy
        rural = rural.extend(_chain_edges(chain, THROUGH, name, RURAL_ROAD))
    return edges, rural


def _nearest_road_node(
    edges: _Edges, road: np.ndarray, lattice: _Lattice, xy: np.ndarray, target: np.ndarray
) -> int:
    mine = road & np.isin(edges.u, lattice.nodes)
    candidates = np.unique(np.concatenate([edges.u[mine], edges.v[mine]]))
    distance = np.hypot(*(xy[candidates] - target).T)
    return int(candidates[distance.argmin()])


def _route_edges(
    edges: _Edges, road: np.ndarray, xy: np.ndarray, source: int, target: int
) -> np.ndarray:
    """Return the indices of the road edges on a shortest path between two nodes."""
    index = np.flatnonzero(road)
    u, v = edges.u[index], edges.v[index]
    length = np.hypot(*(xy[u] - xy[v]).T)
    n = len(xy)
    graph = coo_matrix((length, (u, v)), shape=(n, n)).tocsr()
    _, pred = dijkstra(graph, directed=False, indices=source, return_predecessors=True)
    path = [target]
    while path[-1] != source and pred[path[-1]] >= 0:
        path.append(int(pred[path[-1]]))
    if path[-1] != source:
        return np.zeros(0, dtype=np.int64)
    pairs = np.sort(np.column_stack([path[:-1], path[1:]]), axis=1)
    key = np.minimum(u, v) * n + np.maximum(u, v)
    order = np.argsort(key)
    found = np.searchsorted(key, pairs[:, 0] * n + pairs[:, 1], sorter=order)
    return index[order[found]]


def _bent_line(p: np.ndarray, q: np.ndarray, rng: np.random.Generator, step: float) -> np.ndarray:
    """Return a gently curving polyline from ``p`` to ``q`` with a vertex every ``step`` m."""
    delta = np.asarray(q, float) - np.asarray(p, float)
    length = float(np.hypot(*delta))
    n = max(2, math.ceil(length / step))
    t = np.linspace(0.0, 1.0, n + 1)
    normal = np.array([-delta[1], delta[0]]) / max(length, 1e-9)
    wiggle = np.cumsum(rng.normal(0, 4.0, n + 1))
    wiggle -= wiggle[0] + (wiggle[-1] - wiggle[0]) * t
    bend = rng.uniform(-0.07, 0.07) * length * np.sin(math.pi * t) + wiggle
    return np.asarray(p, float) + t[:, None] * delta + bend[:, None] * normal


def _chain_edges(chain: np.ndarray, cls: int, name: str, origin: int) -> _Edges:
    n = len(chain) - 1
    return _Edges(
        np.asarray(chain[:-1], dtype=np.int64),
        np.asarray(chain[1:], dtype=np.int64),
        np.full(n, cls),
        np.array([name] * n, dtype=object),
        np.full(n, origin),
    )


def _lanes_and_farms(
    layout: Layout,
    nodes: _Nodes,
    rural: _Edges,
    pool: NamePool,
    rng: np.random.Generator,
) -> tuple[_Edges, np.ndarray]:
    """Add dead-end lanes to farms off the rural roads; return them and farm points."""
    xy = nodes.xy
    all_cores = np.ones(len(DISTRICTS), dtype=bool)
    # Interior vertices of rural roads: nodes that are the start of one rural
    # edge and the end of another.
    interior = np.intersect1d(rural.u, rural.v)
    interior = interior[~layout.in_cores(xy[interior, 0], xy[interior, 1], all_cores, margin=1.6)]
    lanes = _Edges.empty()
    farms = []
    wanted = max(1, round(20 * layout.scale))
    if len(interior):
        starts = rng.permutation(interior)[: wanted * 3]
        names = iter(pool.take("lane", len(starts)))
        made = 0
        for start in starts:
            if made >= wanted:
                break
            name = next(names)
            out = rural.v[rural.u == start]
            into = rural.u[rural.v == start]
            if not len(out) or not len(into):
                continue
            direction = xy[out[0]] - xy[into[0]]
            normal = np.array([-direction[1], direction[0]]) / np.hypot(*direction)
            normal *= rng.choice([-1, 1])
            end = xy[start] + normal * rng.uniform(250, 700) * min(1.0, 0.3 + layout.f)
            if (
                not layout.inner.contains(Point(end))
                or layout.in_cores(np.array([end[0]]), np.array([end[1]]), all_cores, margin=1.5)[0]
            ):
                continue
            line = _bent_line(xy[start], end, rng, step=110.0)
            ids = nodes.add(line[1:])
            lanes = lanes.extend(_chain_edges(np.concatenate([[start], ids]), LOCAL, name, LANE))
            for _ in range(int(rng.integers(1, 3))):
                angle = rng.uniform(0, 2 * math.pi)
                farms.append(
                    end + rng.uniform(45, 110) * np.array([math.cos(angle), math.sin(angle)])
                )
            made += 1
    return lanes, np.array(farms, dtype=float).reshape(-1, 2)


def _green_paths(
    lattices: dict[int, _Lattice],
    layout: Layout,
    nodes: _Nodes,
    edges: _Edges,
    pool: NamePool,
    rng: np.random.Generator,
) -> _Edges:
    """Recreational paths across the green space between towns."""
    town_names = [t.name for t in TOWNS]
    paths = _Edges.empty()
    everything = np.ones(len(edges), dtype=bool)
    names = iter(pool.take("path", len(GREEN_PATHS)))
    for start, end in GREEN_PATHS:
        name = next(names)
        a, b = lattices.get(town_names.index(start)), lattices.get(town_names.index(end))
        if a is None or b is None:
            continue
        xy = nodes.xy
        side = np.array([[0, -1], [1, 0]]) @ (xy[b.centre] - xy[a.centre])
        side *= rng.choice([-1, 1]) * 0.15
        gate_a = _nearest_road_node(edges, everything, a, xy, xy[b.centre] + side)
        gate_b = _nearest_road_node(edges, everything, b, xy, xy[gate_a])
        line = _bent_line(xy[gate_a], xy[gate_b], rng, step=100.0)
        ids = nodes.add(line[1:-1])
        chain = np.concatenate([[gate_a], ids, [gate_b]])
        paths = paths.extend(_chain_edges(chain, PATH, name, GREEN))
    return paths


def _node_crossings(nodes: _Nodes, edges: _Edges) -> _Edges:
    """Split edges where they cross, so every crossing is a junction."""
    xy = nodes.xy
    lines = shapely.linestrings(np.stack([xy[edges.u], xy[edges.v]], axis=1))
    first, second = shapely.STRtree(lines).query(lines, predicate="crosses")
    pair = first < second
    first, second = first[pair], second[pair]
    if not len(first):
        return edges
    points = shapely.intersection(lines[first], lines[second])
    is_point = shapely.get_type_id(points) == 0
    first, second, points = first[is_point], second[is_point], points[is_point]
    ids = nodes.add(shapely.get_coordinates(points))
    cuts: dict[int, list[tuple[float, int]]] = {}
    for e, node, point in zip(
        np.concatenate([first, second]),
        np.concatenate([ids, ids]),
        np.concatenate([points, points]),
        strict=True,
    ):
        cuts.setdefault(int(e), []).append(
            (float(shapely.line_locate_point(lines[e], point)), int(node))
        )
    keep = np.ones(len(edges), dtype=bool)
    pieces = []
    for e in sorted(cuts):
        keep[e] = False
        chain = [int(edges.u[e])] + [n for _, n in sorted(cuts[e])] + [int(edges.v[e])]
        piece = _chain_edges(
            np.array(chain), int(edges.cls[e]), edges.name[e], int(edges.origin[e])
        )
        pieces.append(piece)
    out = edges.take(keep)
    for piece in pieces:
        out = out.extend(piece)
    return out


def _merge_chains(n_nodes: int, edges: _Edges) -> tuple[list[list[int]], np.ndarray]:
    """Merge runs of edges through plain bends into junction-to-junction streets.

    A node is a junction when it does not have exactly two edges or when its
    two edges differ in class, name or origin. Closed loops are cut in two.

    Returns
    -------
    chains : list of list of int
        Node ids along each street.
    first_edge : ndarray
        For each street, one of its edges (whose attributes it carries).
    """
    incident: list[list[int]] = [[] for _ in range(n_nodes)]
    for e, (a, b) in enumerate(zip(edges.u.tolist(), edges.v.tolist(), strict=True)):
        incident[a].append(e)
        incident[b].append(e)
    key = list(zip(edges.cls.tolist(), edges.name.tolist(), edges.origin.tolist(), strict=True))
    u, v = edges.u.tolist(), edges.v.tolist()

    def is_junction(n: int) -> bool:
        inc = incident[n]
        return len(inc) != 2 or key[inc[0]] != key[inc[1]]

    visited = [False] * len(edges)
    chains: list[list[int]] = []
    first: list[int] = []

    def walk(start: int, e: int) -> None:
        chain, node = [start], start
        first.append(e)
        while True:
            visited[e] = True
            node = v[e] if u[e] == node else u[e]
            chain.append(node)
            if node == start or is_junction(node):
                break
            nxt = incident[node][0] if incident[node][1] == e else incident[node][1]
            if visited[nxt]:
                break
            e = nxt
        chains.append(chain)

    for n in range(n_nodes):
        if incident[n] and is_junction(n):
            for e in incident[n]:
                if not visited[e]:
                    walk(n, e)
    for e in range(len(edges)):  # loops with no junction on them
        if not visited[e]:
            walk(u[e], e)
    out_chains, out_first = [], []
    for chain, e in zip(chains, first, strict=True):
        if chain[0] == chain[-1]:
            half = max(1, (len(chain) - 1) // 2)
            parts = [chain[: half + 1], chain[half:]]
        else:
            parts = [chain]
        for part in parts:
            out_chains.append(part)
            out_first.append(e)
    return out_chains, np.array(out_first, dtype=np.int64)


@dataclass
class StreetNetwork:
    """The finished street network: one row per street (junction to junction)."""

    geometry: np.ndarray  # LineStrings
    u: np.ndarray  # end node ids (compact, 0..n_nodes-1)
    v: np.ndarray
    cls: np.ndarray
    name: np.ndarray
    origin: np.ndarray
    length: np.ndarray
    district: np.ndarray  # district of the street's middle point (-1 outside)
    pattern: np.ndarray  # pattern code of that district, RURAL outside towns
    node_xy: np.ndarray

    @property
    def road(self) -> np.ndarray:
        """Streets that are roads (not paths)."""
        return self.cls != PATH

    def graph(self, mask: np.ndarray | None = None) -> csr_matrix:
        """Return a sparse undirected length-weighted graph of the chosen streets."""
        mask = np.ones(len(self.u), dtype=bool) if mask is None else mask
        n = len(self.node_xy)
        # Parallel streets between the same two junctions: keep the shortest.
        u, v, w = self.u[mask], self.v[mask], self.length[mask]
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        order = np.lexsort((w, hi, lo))
        first = np.ones(len(order), dtype=bool)
        first[1:] = (lo[order][1:] != lo[order][:-1]) | (hi[order][1:] != hi[order][:-1])
        sel = order[first]
        return coo_matrix((w[sel], (lo[sel], hi[sel])), shape=(n, n)).tocsr()

    def incident(self) -> list[list[int]]:
        """Street indices at each node."""
        inc: list[list[int]] = [[] for _ in range(len(self.node_xy))]
        for e, (a, b) in enumerate(zip(self.u.tolist(), self.v.tolist(), strict=True)):
            inc[a].append(e)
            inc[b].append(e)
        return inc


def build_network(
    layout: Layout, pool: NamePool, rng: np.random.Generator
) -> tuple[StreetNetwork, np.ndarray]:
    """Build the noded street network and the farm points beside it."""
    nodes = _Nodes()
    lattices: dict[int, _Lattice] = {}
    edges = _Edges.empty()
    for t in range(len(TOWNS)):
        lattice = _town_lattice(t, layout, nodes, pool, rng)
        if lattice is not None:
            lattices[t] = lattice
            edges = edges.extend(lattice.edges)
    if not lattices:
        raise ValueError("the demo municipality is too small to hold a street; raise scale")
    edges, rural = _through_routes(lattices, layout, nodes, edges, rng)
    lanes, farms = _lanes_and_farms(layout, nodes, rural, pool, rng)
    green = _green_paths(lattices, layout, nodes, edges, pool, rng)
    edges = edges.extend(rural).extend(lanes).extend(green)
    edges = _node_crossings(nodes, edges)

    chains, first = _merge_chains(nodes.count, edges)
    xy = nodes.xy
    used, compact = np.unique(np.concatenate(chains), return_inverse=True)
    sizes = np.array([len(c) for c in chains])
    geometry = shapely.linestrings(
        xy[np.concatenate(chains)], indices=np.repeat(np.arange(len(chains)), sizes)
    )
    ends = np.cumsum(sizes)
    u = compact[ends - sizes]
    v = compact[ends - 1]
    middle = shapely.line_interpolate_point(geometry, 0.5, normalized=True)
    district = layout.district_of(shapely.get_x(middle), shapely.get_y(middle))
    origin = edges.origin[first]
    pattern = np.where(
        (origin == TOWN) & (district >= 0), layout.pattern[np.maximum(district, 0)], RURAL
    )
    network = StreetNetwork(
        geometry=geometry,
        u=u,
        v=v,
        cls=edges.cls[first],
        name=edges.name[first],
        origin=origin,
        length=shapely.length(geometry),
        district=district,
        pattern=pattern,
        node_xy=xy[used],
    )
    return network, farms
