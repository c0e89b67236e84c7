"""What every method shares: the laying options and the contracted street graph.

An *option* is one way to lay one candidate: a co-dig candidate has one (its
year), an own-dig candidate one per plan year from its first year on. Options
that can never pay off are dropped up front: on an edge that already has a
duct, below ``min_probability``, dearer than the whole budget of their year,
or on an edge that no combination of ducts can link to the backbone.

The *reduced graph* contracts every existing duct, and all root nodes, into
single nodes: node 0 is the backbone together with every duct already
connected to it; another node is a duct island (or a bare junction) whose
households count once it is reached. Its edges are the street edges that have
at least one option, restricted to the part of the graph that options can
link to the backbone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ._instance import PlanningInstance

__all__ = ["Prepared", "coverage_from", "prepare"]


@dataclass(frozen=True, eq=False)
class Prepared:
    """The options and the reduced graph of one instance (see the module docstring).

    Attributes
    ----------
    opt_cand, opt_year, opt_edge, opt_own, opt_cost : arrays, length O
        Candidate, year index, reduced edge, own-dig flag and cost of each option.
    opt_group : array, length O
        The dig (and year) a co-dig option belongs to, numbered from 0; -1 for
        own-dig options.
    budgets : array (2, T)
        Row 0 the co-dig budget, row 1 the own-dig budget per year index.
    n_nodes : int
        Number of reduced nodes (0 is the backbone).
    edge_u, edge_v : arrays, length J
        Reduced end nodes of each reduced edge.
    edge_orig : array, length J
        The street edge each reduced edge is.
    edge_households : array, length J
        What covering each reduced edge is worth: its households, weighted
        (the instance's ``edge_weight``).
    node_prize : array, length K
        The same worth of the existing ducts contracted into each node (node 0:
        what is covered before anything is laid).
    node_of : array, length n_nodes of the instance
        Reduced node of every junction, -1 where no option can reach it.
    early_weight : float
        Weight of household-years in the objective.
    """

    opt_cand: np.ndarray
    opt_year: np.ndarray
    opt_edge: np.ndarray
    opt_own: np.ndarray
    opt_cost: np.ndarray
    opt_group: np.ndarray
    budgets: np.ndarray
    n_nodes: int
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_orig: np.ndarray
    edge_households: np.ndarray
    node_prize: np.ndarray
    node_of: np.ndarray
    early_weight: float

    @property
    def n_options(self) -> int:
        """Number of options."""
        return len(self.opt_cand)

    @property
    def n_edges(self) -> int:
        """Number of reduced edges."""
        return len(self.edge_u)

    @property
    def n_years(self) -> int:
        """Number of plan years."""
        return self.budgets.shape[1]

    @property
    def baseline(self) -> float:
        """Households covered before anything is laid."""
        return float(self.node_prize[0])


def _options(inst: PlanningInstance, min_probability: float) -> tuple[np.ndarray, ...]:
    """Expand candidates into (candidate, year index) options, dropping hopeless ones."""
    years = np.asarray(inst.years)
    n_years = len(years)
    usable = ~inst.has_duct[inst.cand_edge] & (inst.cand_probability >= min_probability)
    own = inst.cand_own
    first = np.searchsorted(years, inst.cand_year)  # own-dig: first allowed year index
    cands, year_idx = [], []
    co = np.flatnonzero(usable & ~own)
    cands.append(co)
    year_idx.append(first[co])
    for t in range(n_years):
        own_t = np.flatnonzero(usable & own & (first <= t))
        cands.append(own_t)
        year_idx.append(np.full(len(own_t), t))
    cand = np.concatenate(cands).astype(np.int64)
    year = np.concatenate(year_idx).astype(np.int64)
    order = np.lexsort((year, cand))
    cand, year = cand[order], year[order]
    is_own = own[cand]
    cost = inst.cand_cost_dkk[cand]
    budgets = np.vstack([inst.budget_co_dig, inst.budget_own_dig])
    affordable = cost <= budgets[is_own.astype(int), year] + 1e-9
    return cand[affordable], year[affordable], is_own[affordable], cost[affordable], budgets


def _components(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def prepare(
    inst: PlanningInstance, *, min_probability: float = 0.0, early_weight: float | None = None
) -> Prepared:
    """Build the options and the reduced graph of an instance.

    Parameters
    ----------
    inst : PlanningInstance
        The problem.
    min_probability : float
        Leave out candidates less likely than this to open their trench.
    early_weight : float, optional
        Weight of household-years; default :meth:`PlanningInstance.default_early_weight`.

    Returns
    -------
    Prepared
    """
    cand, year, is_own, cost, budgets = _options(inst, min_probability)
    n = inst.n_nodes
    super_root = n
    ducts = np.flatnonzero(inst.has_duct)
    label = _components(
        n + 1,
        np.concatenate([inst.edge_u[ducts], np.full(len(inst.root_nodes), super_root)]),
        np.concatenate([inst.edge_v[ducts], inst.root_nodes]),
    )
    cand_edges = np.unique(inst.cand_edge[cand])
    lu, lv = label[inst.edge_u[cand_edges]], label[inst.edge_v[cand_edges]]
    n_labels = int(label.max()) + 1
    reach = _components(n_labels, lu, lv)
    keep_label = reach == reach[label[super_root]]
    keep_edge = keep_label[lu]
    new_id = np.full(n_labels, -1, dtype=np.int64)
    kept_labels = np.flatnonzero(keep_label)
    root_label = label[super_root]
    kept_labels = np.concatenate([[root_label], kept_labels[kept_labels != root_label]])
    new_id[kept_labels] = np.arange(len(kept_labels))
    edges = cand_edges[keep_edge]
    edge_pos = np.full(inst.n_edges, -1, dtype=np.int64)
    edge_pos[edges] = np.arange(len(edges))
    opt_edge = edge_pos[inst.cand_edge[cand]]
    keep_opt = opt_edge >= 0
    node_of = new_id[label[:n]]
    prize = np.zeros(len(kept_labels))
    duct_node = node_of[inst.edge_u[ducts]]
    on = duct_node >= 0
    np.add.at(prize, duct_node[on], inst.edge_weight[ducts][on])
    dig_year = np.char.add(inst.cand_dig_id[cand].astype(str), np.char.add("@", year.astype(str)))
    group = np.unique(dig_year, return_inverse=True)[1].astype(np.int64)
    group[is_own] = -1
    weight = inst.default_early_weight() if early_weight is None else float(early_weight)
    return Prepared(
        opt_cand=cand[keep_opt],
        opt_year=year[keep_opt],
        opt_edge=opt_edge[keep_opt],
        opt_own=is_own[keep_opt],
        opt_cost=cost[keep_opt],
        opt_group=_renumber(group[keep_opt]),
        budgets=budgets,
        n_nodes=len(kept_labels),
        edge_u=new_id[lu[keep_edge]],
        edge_v=new_id[lv[keep_edge]],
        edge_orig=edges,
        edge_households=inst.edge_weight[edges],  # what the solvers maximise
        node_prize=prize,
        node_of=node_of,
        early_weight=weight,
    )


def _renumber(group: np.ndarray) -> np.ndarray:
    """Renumber the groups 0, 1, ... in order, keeping -1 (no group)."""
    out = np.full(len(group), -1, dtype=np.int64)
    inside = group >= 0
    out[inside] = np.unique(group[inside], return_inverse=True)[1]
    return out


def coverage_from(
    inst: PlanningInstance, laid_edge: np.ndarray, laid_year: np.ndarray
) -> np.ndarray:
    """Return, per street edge, the first year index it is covered (T: never).

    Parameters
    ----------
    inst : PlanningInstance
        The problem.
    laid_edge, laid_year : arrays of int
        Street edges laid and the year index each is laid in.

    Returns
    -------
    numpy.ndarray of int
        Per street edge, the first plan year index in which it carries a duct
        linked to a root node; ``T`` (the number of years) when never.
    """
    n, n_years = inst.n_nodes, inst.n_years
    first_laid = np.full(inst.n_edges, n_years, dtype=np.int64)
    first_laid[inst.has_duct] = 0
    np.minimum.at(first_laid, np.asarray(laid_edge, dtype=np.int64), laid_year)
    covered = np.full(inst.n_edges, n_years, dtype=np.int64)
    roots = inst.root_nodes
    for t in range(n_years):
        laid = np.flatnonzero(first_laid <= t)
        label = _components(
            n + 1,
            np.concatenate([inst.edge_u[laid], np.full(len(roots), n)]),
            np.concatenate([inst.edge_v[laid], roots]),
        )
        linked = laid[label[inst.edge_u[laid]] == label[n]]
        covered[linked] = np.minimum(covered[linked], t)
    return covered
