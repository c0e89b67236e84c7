"""The demo municipality's sites, points of presence, backbone and existing ducts."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TypedDict

import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra
from shapely import Point

from .addresses import offset_points
from .plan import BACKBONE_LINKS, DISTRICTS, DUCT_YEARS, POPS, SITES, Layout
from .streets import TOWN, StreetNetwork

# --- sites, backbone, ducts and dig plans --------------------------------------------------


class Router:
    """Shortest paths over the road streets of a network."""

    def __init__(self, network: StreetNetwork) -> None:
        self.network = network
        self.graph = network.graph(network.road)
        self._street_of: dict[tuple[int, int], int] = {}
        road = np.flatnonzero(network.road)
        for e in road[np.argsort(-network.length[road], kind="stable")]:
            a, b = int(network.u[e]), int(network.v[e])
            self._street_of[(min(a, b), max(a, b))] = int(e)

    def from_nearest(self, sources: Sequence[int], target: int) -> list[int]:
        """Streets on the shortest path from the nearest of ``sources`` to ``target``."""
        _, pred, _ = dijkstra(
            self.graph, directed=False, indices=list(sources), min_only=True,
            return_predecessors=True,
        )  # fmt: skip
        return self._streets(pred, set(int(s) for s in sources), target)

    def distances(self, sources: Sequence[int]) -> np.ndarray:
        """Road distance from the nearest of ``sources`` to every node."""
        return dijkstra(self.graph, directed=False, indices=list(sources), min_only=True)

    def _streets(self, pred: np.ndarray, sources: set[int], target: int) -> list[int]:
        path = [target]
        while path[-1] not in sources and pred[path[-1]] >= 0:
            path.append(int(pred[path[-1]]))
        if path[-1] not in sources:
            return []
        return [self._street_of[(min(a, b), max(a, b))] for a, b in itertools.pairwise(path)]

    def merged(self, streets: Sequence[int]) -> shapely.Geometry:
        """One LineString along consecutive streets."""
        line = shapely.line_merge(shapely.multilinestrings(self.network.geometry[list(streets)]))
        if line.geom_type == "MultiLineString":
            line = max(line.geoms, key=lambda g: g.length)
        return line


def _nearest_node(network: StreetNetwork, candidates: np.ndarray, point: np.ndarray) -> int:
    distance = np.hypot(*(network.node_xy[candidates] - point).T)
    return int(candidates[distance.argmin()])


def _town_road_nodes(network: StreetNetwork) -> np.ndarray:
    town_road = (network.origin == TOWN) & network.road
    return np.unique(np.concatenate([network.u[town_road], network.v[town_road]]))


def choose_pops(layout: Layout, network: StreetNetwork) -> list[tuple[str, int]]:
    """Points of presence: the town road junction nearest each chosen district's core."""
    names = [d.name for d in DISTRICTS]
    candidates = _town_road_nodes(network)
    out: list[tuple[str, int]] = []
    for name, district in POPS:
        node = _nearest_node(network, candidates, layout.centres[names.index(district)])
        if node not in [n for _, n in out]:
            out.append((name, node))
    return out


def place_sites(
    layout: Layout, network: StreetNetwork, town_hall_node: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Municipal sites beside a town street of their district; returns x, y and node."""
    names = [d.name for d in DISTRICTS]
    n = max(4, round(len(SITES) * layout.scale))
    town_road = (network.origin == TOWN) & network.road
    incident_to_hall = np.flatnonzero(
        town_road & ((network.u == town_hall_node) | (network.v == town_hall_node))
    )
    rows = []
    for i in range(n):
        name, kind, priority, district = SITES[i % len(SITES)]
        if i >= len(SITES):
            name = f"{name} {i // len(SITES) + 1}"
        d = names.index(district)
        if i == 0 and len(incident_to_hall):
            street = int(incident_to_hall[0])
        else:
            candidates = np.flatnonzero(town_road & (network.district == d))
            if not len(candidates):
                candidates = np.flatnonzero(town_road)
                middle = shapely.line_interpolate_point(
                    network.geometry[candidates], 0.5, normalized=True
                )
                gap = shapely.distance(middle, Point(layout.centres[d]))
                candidates = candidates[[gap.argmin()]]
            street = int(rng.choice(candidates))
        along = network.length[street] * rng.uniform(0.3, 0.7)
        offset = rng.uniform(12, 25) * rng.choice([-1.0, 1.0])
        x, y = offset_points(network.geometry[[street]], np.array([along]), np.array([offset]))
        a, b = int(network.u[street]), int(network.v[street])
        node = a if along < network.length[street] / 2 else b
        if i == 0 and len(incident_to_hall):
            node = town_hall_node
        rows.append(
            {"name": name, "kind": kind, "priority": priority, "x": x[0], "y": y[0], "node": node}
        )
    return pd.DataFrame(rows)


def make_backbone(
    network: StreetNetwork,
    router: Router,
    pops: list[tuple[str, int]],
    sites: pd.DataFrame,
    rng: np.random.Generator,
) -> tuple[list[dict[str, object]], list[int], np.ndarray]:
    """Backbone: points of presence, fibre between them and spurs to some sites.

    Returns the backbone rows, the nodes the backbone passes and which sites
    are connected.
    """
    rows: list[dict[str, object]] = [
        {"id": f"POP{k + 1}", "kind": "pop", "name": name, "geometry": Point(network.node_xy[node])}
        for k, (name, node) in enumerate(pops)
    ]
    on_backbone: dict[int, None] = {node: None for _, node in pops}
    fibres = 0

    def add_fibre(streets: list[int], name: str) -> None:
        nonlocal fibres
        if not streets:
            return
        fibres += 1
        rows.append(
            {
                "id": f"BB{fibres:02d}",
                "kind": "fibre",
                "name": name,
                "geometry": router.merged(streets),
            }
        )
        for e in streets:
            on_backbone[int(network.u[e])] = None
            on_backbone[int(network.v[e])] = None

    for i, j in BACKBONE_LINKS:
        if i < len(pops) and j < len(pops):
            short = (pops[i][0].removesuffix(" POP"), pops[j][0].removesuffix(" POP"))
            add_fibre(
                router.from_nearest([pops[i][1]], pops[j][1]), f"Backbone {short[0]}–{short[1]}"
            )
    p_connect = np.where(sites["priority"] == 1, 0.6, np.where(sites["priority"] == 2, 0.3, 0.15))
    connect = rng.random(len(sites)) < p_connect
    connect[0] = True  # the town hall
    for k in np.flatnonzero(connect):
        node = int(sites["node"].iat[k])
        if node not in on_backbone:
            add_fibre(
                router.from_nearest(list(on_backbone), node), f"Fibre to {sites['name'].iat[k]}"
            )
    connected = np.array([int(n) in on_backbone for n in sites["node"]]) & connect
    return rows, list(on_backbone), connected


def _grow(
    start: int,
    target_m: float,
    network: StreetNetwork,
    incident: list[list[int]],
    allowed: np.ndarray,
    blocked: np.ndarray,
    rng: np.random.Generator,
) -> list[int]:
    """Grow a connected set of streets from ``start`` until it is ``target_m`` long."""
    chosen: list[int] = []
    total = 0.0
    frontier = [start]
    while total < target_m and frontier:
        k = len(frontier) - 1 if rng.random() < 0.7 else int(rng.integers(len(frontier)))
        node = frontier[k]
        options = [
            e
            for e in incident[node]
            if allowed[e] and not blocked[network.u[e] if network.v[e] == node else network.v[e]]
        ]
        if not options:
            frontier.pop(k)
            continue
        e = options[int(rng.integers(len(options)))]
        allowed[e] = False
        chosen.append(e)
        total += network.length[e]
        frontier.append(int(network.u[e] if network.v[e] == node else network.v[e]))
    return chosen


def make_ducts(
    layout: Layout,
    network: StreetNetwork,
    router: Router,
    backbone_nodes: list[int],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Ducts laid 2016–2018: projects grown from the backbone, and islands elsewhere."""
    incident = network.incident()
    town_road = (network.origin == TOWN) & network.road
    allowed = town_road.copy()
    blocked = np.zeros(len(network.node_xy), dtype=bool)
    starts_ok = np.zeros(len(network.node_xy), dtype=bool)
    starts_ok[_town_road_nodes(network)] = True
    rows: list[_DuctRow] = []
    connected_starts = [n for n in backbone_nodes if starts_ok[n]]
    for _ in range(max(1, round(7 * layout.scale))):
        if not connected_starts:
            break
        start = connected_starts[int(rng.integers(len(connected_starts)))]
        year = int(rng.choice(DUCT_YEARS))
        origin = "own-dig" if rng.random() < 0.7 else "fibre-project"
        streets = _grow(start, rng.uniform(1500, 3500), network, incident, allowed, blocked, rng)
        rows += _duct_rows(streets, year, origin, rng)
    blocked[backbone_nodes] = True
    for r in rows:
        blocked[[network.u[r["street"]], network.v[r["street"]]]] = True
    distance = router.distances(backbone_nodes) if backbone_nodes else np.full(len(blocked), np.inf)
    far = np.flatnonzero(starts_ok & ~blocked & (distance > 600 * min(1.0, layout.f * 2)))
    if not len(far):
        far = np.flatnonzero(starts_ok & ~blocked)
    for _ in range(max(1, round(9 * layout.scale))):
        far = far[~blocked[far]]
        if not len(far):
            break
        start = int(rng.choice(far))
        year = int(rng.choice(DUCT_YEARS[1:]))
        streets = _grow(start, rng.uniform(500, 2000), network, incident, allowed, blocked, rng)
        island = _duct_rows(streets, year, "co-dig", rng)
        for r in island:
            blocked[[network.u[r["street"]], network.v[r["street"]]]] = True
        rows += island
    return pd.DataFrame(
        rows, columns=["street", "year_laid", "origin", "diameter_mm", "tubes", "spare_tubes"]
    )


class _DuctRow(TypedDict):
    """One street's duct, a row of the ducts table."""

    street: int
    year_laid: int
    origin: str
    diameter_mm: int
    tubes: int
    spare_tubes: int


def _duct_rows(
    streets: list[int], year: int, origin: str, rng: np.random.Generator
) -> list[_DuctRow]:
    tubes = int(rng.integers(1, 5))
    diameter = int(rng.choice([40, 50]))
    spare = tubes - int(rng.integers(0, 2)) if tubes > 1 else 1
    return [
        {
            "street": e,
            "year_laid": year,
            "origin": origin,
            "diameter_mm": diameter,
            "tubes": tubes,
            "spare_tubes": spare,
        }
        for e in streets
    ]


def random_walk(
    start: int,
    target_m: float,
    network: StreetNetwork,
    incident: list[list[int]],
    allowed: np.ndarray,
    rng: np.random.Generator,
) -> list[int]:
    """Walk a simple path along streets from ``start``, keeping to one street name if it can."""
    streets = [start]
    seen = {int(network.u[start]), int(network.v[start])}
    ends = [int(network.u[start]), int(network.v[start])]
    last = [start, start]
    total = float(network.length[start])
    while total < target_m:
        grown = False
        first = int(rng.integers(2))
        for k in (first, 1 - first):
            node = ends[k]
            options = []
            for e in incident[node]:
                other = int(network.u[e] if network.v[e] == node else network.v[e])
                if allowed[e] and other not in seen:
                    options.append((e, other))
            if not options:
                continue
            same = [o for o in options if network.name[o[0]] == network.name[last[k]]]
            pool = same if same and rng.random() < 0.8 else options
            e, other = pool[int(rng.integers(len(pool)))]
            streets.append(e)
            seen.add(other)
            ends[k], last[k] = other, e
            total += float(network.length[e])
            grown = True
            break
        if not grown:
            break
    return streets
