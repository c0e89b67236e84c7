"""Renewal projects: the connected groups of streets a utility opens together in one season.

Utilities do not renew one street at a time: one water-main project opens a
neighbourhood's streets in one season. With ``[regrowth] project_length_m``
above 0, the renewal process runs per *project*, and every street edge of a
project is dug when its project is. A project is a connected piece of the
street network of about that many metres: the network is cut into Voronoi
cells around seed edges drawn at random (weighted by length), each edge
going to the seed nearest along the streets. A forecast draws a pool of
:data:`PARTITIONS` such cuts and each run takes one, so which streets go
together differs from future to future as much as it needs to, at a cost
that does not grow with the number of runs.

The marginal process of every edge is unchanged (a project is dug as an
edge would be), so each edge's chance of being dug by a year is the same;
what changes is that neighbouring edges are dug together, so a district's
coverage moves by whole projects and its band widens.

>>> import numpy as np
>>> from ductplanner.simulate.town import SimulationInput
>>> line = SimulationInput(n_nodes=7, edge_u=np.arange(6), edge_v=np.arange(1, 7),
...     edge_length_m=np.full(6, 100.0), edge_households=np.ones(6),
...     has_duct=np.zeros(6, bool), root_nodes=[0])
>>> cut = project_partitions(line, 300.0, count=1, rng=np.random.default_rng(1))
>>> cut.n_projects, cut.member[0].tolist()
(2, [0, 0, 0, 0, 1, 1])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from .town import SimulationInput

__all__ = ["PARTITIONS", "Partitions", "project_partitions"]

PARTITIONS = 16
"""How many different cuts of the network into projects a forecast draws (runs share them)."""


@dataclass(frozen=True)
class Partitions:
    """Cuts of the street network into renewal projects.

    Attributes
    ----------
    member : ndarray of int32 (P, E)
        Per cut, each edge's project (``0 .. n_projects - 1``).
    n_projects : int
        Projects per cut (some may hold no edge: two seeds drawn on one node).
    """

    member: np.ndarray
    n_projects: int

    def for_runs(self, lo: int, hi: int) -> Partitions:
        """Return the cuts of runs ``lo`` to ``hi - 1``: run ``r`` takes cut ``r mod P``."""
        return Partitions(self.member[np.arange(lo, hi) % len(self.member)], self.n_projects)


def project_partitions(
    inp: SimulationInput, length_m: float, *, count: int, rng: np.random.Generator
) -> Partitions:
    """Return ``count`` cuts of the network into connected projects of about ``length_m``.

    Each component of the network gets seeds in proportion to its length (at
    least one), so no edge is left without a project.
    """
    lengths = np.asarray(inp.edge_length_m, dtype=float)
    graph = sparse.coo_matrix(
        (np.maximum(lengths, 1e-6), (inp.edge_u, inp.edge_v)), shape=(inp.n_nodes, inp.n_nodes)
    ).tocsr()
    _, node_part = csgraph.connected_components(graph, directed=False)
    edge_part = node_part[inp.edge_u]
    seeds_per_part = _seeds_per_component(lengths, edge_part, length_m)
    n_projects = int(seeds_per_part.sum())
    member = np.stack(
        [_one_cut(inp, graph, lengths, edge_part, seeds_per_part, rng) for _ in range(count)]
    )
    return Partitions(member.astype(np.int32), n_projects)


def _seeds_per_component(lengths: np.ndarray, edge_part: np.ndarray, length_m: float) -> np.ndarray:
    """Return how many projects each component of the network is cut into.

    A component without edges (a junction no street uses) gets none; one
    with edges at least one, and never more than it has edges.
    """
    metres = np.bincount(edge_part, weights=lengths)
    edges = np.bincount(edge_part)
    wanted = np.maximum(np.rint(metres / length_m), 1).astype(np.int64)
    return np.where(edges > 0, np.minimum(wanted, edges), 0)


def _one_cut(
    inp: SimulationInput,
    graph: sparse.csr_matrix,
    lengths: np.ndarray,
    edge_part: np.ndarray,
    seeds_per_part: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Return each edge's project in one random cut (the seed nearest along the streets)."""
    seeds = []
    for part, n in enumerate(seeds_per_part):
        if n == 0:
            continue
        candidates = np.flatnonzero(edge_part == part)
        weight = np.maximum(lengths[candidates], 1e-6)  # a zero-length edge may seed too
        weight /= weight.sum()
        seeds.append(rng.choice(candidates, size=int(n), replace=False, p=weight))
    seed_edges = np.concatenate(seeds)
    # a seed edge's own end nodes start its cell; the cell grows along the streets
    seed_nodes = inp.edge_u[seed_edges]
    project_of_node = np.full(inp.n_nodes, -1, dtype=np.int64)
    dist, _, sources = csgraph.dijkstra(
        graph, directed=False, indices=seed_nodes, min_only=True, return_predecessors=True
    )
    # two seeds on one node: the first of them holds the cell, the other stays empty
    seed_of_node = np.full(inp.n_nodes, -1, dtype=np.int64)
    seed_of_node[seed_nodes[::-1]] = np.arange(len(seed_nodes))[::-1]
    reached = sources >= 0
    project_of_node[reached] = seed_of_node[sources[reached]]
    nearer_u = dist[inp.edge_u] <= dist[inp.edge_v]
    return np.where(nearer_u, project_of_node[inp.edge_u], project_of_node[inp.edge_v])
