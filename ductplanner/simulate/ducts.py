"""The ducts of every run, and which of them reach the backbone, kept up to date as ducts are laid.

Per-run state is an ``(R, E)`` array (runs x street edges) on the block
graph of ``R`` copies of the street graph (node ``r * n + x`` is node ``x``
in run ``r``). Ducts only ever grow, so which nodes and edges reach the
backbone, and the households they cover, are updated in place
(:class:`DuctState`), never recomputed.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from .town import SimulationInput

__all__ = ["DuctState", "components"]


def components(a: np.ndarray, b: np.ndarray, n_total: int) -> np.ndarray:
    """Label the connected components of the undirected graph with edges ``a - b``.

    The CSR matrix is built directly (rows sorted by a stable counting sort)
    rather than through scipy's COO conversion, which dominates otherwise.
    """
    order = np.argsort(a, kind="stable")
    indptr = np.zeros(n_total + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=n_total), out=indptr[1:])
    graph = sparse.csr_matrix(
        (np.ones(len(a)), b[order].astype(indptr.dtype), indptr), shape=(n_total, n_total)
    )
    return connected_components(graph, directed=False)[1]


class DuctState:
    """The ducts of all runs and which of them reach the backbone.

    Block node ``r * n + x`` is node ``x`` in run ``r``. Nodes carry a
    component ``label`` of the duct graph; ``linked_label`` says which
    components hold a root node, ``label_hh`` the households on each
    component's duct edges (what an island brings when it is joined). Ducts
    only ever grow, so everything is kept up to date in place, touching only
    what changes: the policy only lays ducts that touch the linked network
    (their components become linked), and the fibre project's digs (laid
    anywhere) merge components on a small graph of the labels they touch.
    The nodes and edges a component spans are found through the few duct
    edges not linked (the islands), never by a pass over every node.
    """

    def __init__(self, inp: SimulationInput, runs: int) -> None:
        self.n = inp.n_nodes
        self.runs = runs
        self.u = inp.edge_u
        self.v = inp.edge_v
        self.hh = inp.edge_households
        self.duct = np.broadcast_to(inp.has_duct, (runs, inp.n_edges)).copy()
        # every run starts alike: label one run, then offset the labels per run
        e = np.flatnonzero(inp.has_duct)
        one = components(self.u[e], self.v[e], self.n) if self.n else np.zeros(0, np.int64)
        n_lab = int(one.max()) + 1 if len(one) else 0
        self.label = (one[None, :] + n_lab * np.arange(runs)[:, None]).ravel()
        linked = np.zeros(n_lab, dtype=bool)
        linked[one[inp.root_nodes]] = True
        self.linked_label = np.tile(linked, runs)
        self.node_linked = np.tile(linked[one], runs)
        self.on = np.broadcast_to(inp.has_duct & linked[one[self.u]], self.duct.shape).copy()
        self._fresh: list[np.ndarray] = []
        hh = np.bincount(one[self.u[e]], weights=self.hh[e], minlength=n_lab)
        self.label_hh = np.tile(hh, runs)
        # the duct edges not linked (islands), as (run, edge) pairs: few, kept up to date
        loose = e[~linked[one[self.u[e]]]]
        self.island_run = np.repeat(np.arange(runs), len(loose))
        self.island_edge = np.tile(loose, runs)
        # the block nodes at the ends of each (run, edge), by flat index run * E + edge
        dtype = np.int32 if runs * self.n < 2**31 else np.int64
        first_node = (np.arange(runs, dtype=dtype) * self.n)[:, None]
        self.end_u = (first_node + self.u.astype(dtype)).reshape(-1)
        self.end_v = (first_node + self.v.astype(dtype)).reshape(-1)

    # --- reading --------------------------------------------------------------------------

    def linked_nodes(self) -> np.ndarray:
        """Per run and node (R, n): on a duct component holding a root."""
        return self.node_linked.reshape(self.runs, self.n)

    def linked_edges(self) -> np.ndarray:
        """Per run and edge (R, E): carries a duct linked to the backbone."""
        return self.on.copy()

    def islands(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the (run, edge) pairs of duct edges not linked to the backbone."""
        return self.island_run, self.island_edge

    def take_newly_linked(self) -> np.ndarray:
        """Return the (run, edge) pairs linked since the last call, as flat ``run * E + edge``."""
        fresh = np.concatenate(self._fresh) if self._fresh else np.zeros(0, np.int64)
        self._fresh = []
        return fresh

    # --- writing --------------------------------------------------------------------------

    def _now_linked(self, run: np.ndarray, edge: np.ndarray) -> None:
        """Mark distinct duct edges as linked, with their end nodes (their components' nodes)."""
        flat_on = self.on.reshape(-1)
        keys = run * self.on.shape[1] + edge
        keys = keys[~flat_on[keys]]
        if len(keys) == 0:
            return
        flat_on[keys] = True
        self._fresh.append(keys)
        run, edge = np.divmod(keys, self.on.shape[1])
        self.node_linked[run * self.n + self.u[edge]] = True
        self.node_linked[run * self.n + self.v[edge]] = True

    def _drop_linked_islands(self) -> None:
        r, e = self.island_run, self.island_edge
        loose = ~self.linked_label[self.label[r * self.n + self.u[e]]]
        self._now_linked(r[~loose], e[~loose])
        self.island_run, self.island_edge = r[loose], e[loose]

    def link(self, run: np.ndarray, edge: np.ndarray) -> None:
        """Lay ducts that touch the linked network: everything they reach becomes linked."""
        if len(run) == 0:
            return
        self.duct[run, edge] = True
        ends = np.concatenate([run * self.n + self.u[edge], run * self.n + self.v[edge]])
        self.linked_label[self.label[ends]] = True
        self._now_linked(run, edge)
        self._drop_linked_islands()

    def lay_anywhere(self, run: np.ndarray, edge: np.ndarray) -> None:
        """Lay ducts wherever they are (the fibre project's digs), merging components."""
        new = ~self.duct[run, edge]
        keys = np.unique(run[new] * self.duct.shape[1] + edge[new])
        run, edge = keys // self.duct.shape[1], keys % self.duct.shape[1]
        if len(run) == 0:
            return
        self.duct[run, edge] = True
        la = self.label[run * self.n + self.u[edge]]
        lb = self.label[run * self.n + self.v[edge]]
        touched, inverse = np.unique(np.concatenate([la, lb]), return_inverse=True)
        k = len(la)
        comp = components(inverse[:k], inverse[k:], len(touched))
        # one representative label per merged group: its smallest label
        rep = np.full(comp.max() + 1, np.iinfo(np.int64).max)
        np.minimum.at(rep, comp, touched)
        linked = np.zeros(len(rep), dtype=bool)
        np.logical_or.at(linked, comp, self.linked_label[touched])
        hh = np.bincount(comp, weights=self.label_hh[touched], minlength=len(rep))
        hh += np.bincount(comp[inverse[:k]], weights=self.hh[edge], minlength=len(rep))
        self.linked_label[touched] = linked[comp]
        self.label_hh[touched] = hh[comp]
        self.island_run = np.concatenate([self.island_run, run])
        self.island_edge = np.concatenate([self.island_edge, edge])
        # the nodes of a component not linked are ends of its island edges (the new ones are
        # islands now too); the nodes of a linked one may keep their label, as it is linked
        r, e = self.island_run, self.island_edge
        nodes = np.concatenate([r * self.n + self.u[e], r * self.n + self.v[e]])
        at = np.minimum(np.searchsorted(touched, self.label[nodes]), len(touched) - 1)
        hit = touched[at] == self.label[nodes]
        self.label[nodes[hit]] = rep[comp[at[hit]]]
        self._drop_linked_islands()
