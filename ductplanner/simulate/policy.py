"""The policy: what a simulated year's money buys, in every run at once.

Each simulated year the runs see that year's open trenches (known digs that
happen this year, and the renewal process's digs) and choose, within the
year's co-digging budget, which to lay a duct in. The rule is a myopic,
vectorised form of the optimizer's greedy (:func:`ductplanner.optimize.plan`
with ``method="greedy"``): the same objective (households per DKK, counting
what a stretch connects), no look-ahead (a run does not know its future
digs, just as the municipality does not):

1. *Trench clusters.* The open trenches and the duct islands (ducts not
   linked to the backbone) form clusters: pieces that touch each other but
   not the linked duct network (a node of that network splits them). A
   cluster touching the linked network is worth the households on its open
   edges and on the islands it joins; dead ends without households are cut
   off first. Clusters are bought best households-per-DKK first, skipping
   those that no longer fit (exactly the sequential greedy, done in passes).
2. *Frontier.* Money left over buys single open edges next to the linked
   network (worth their households and the island behind them), in rounds,
   so part of a cluster too dear as a whole is still laid.
3. Under ``own-dig`` the own-digging budget then buys own trenches, edge by
   edge from the linked network by the same frontier rule, at the own-trench
   price.

The fibre project's own digs lay their duct in every policy, at no cost to
the budget (the project pays for itself); under ``fibre-only`` they are the
only new ducts.

Compared with the full greedy of the optimizer, a run does not lay stretches
that are linked only by a later dig (it cannot know them), and it buys whole
clusters rather than re-pricing after every stretch. ``tests/test_simulate.py``
checks on single years that it is not far below ``plan(method="greedy")``
given the same year's digs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ..model.scenarios import Budget, Scenario, UnitCosts
from .ducts import DuctState
from .prices import Prices

__all__ = [
    "FRONTIER_ROUNDS",
    "POLICIES",
    "Policy",
    "greedy_pick",
    "lay_clusters",
    "lay_frontier",
    "lay_year",
    "trench_clusters",
]

POLICIES = ("co-dig", "own-dig", "fibre-only")
"""The policies a scenario may follow."""

FRONTIER_ROUNDS = 30
"""Rounds of :func:`lay_frontier` per year and budget."""
_PRUNE_ROUNDS = 40
_PICK_PASSES = 30

_COSTS = UnitCosts()
_BUDGET = Budget()


@dataclass(frozen=True)
class Policy:
    """What the municipality lays each simulated year, and with what money.

    Parameters
    ----------
    kind : {"co-dig", "own-dig", "fibre-only"}
        The scenario's policy.
    budget_co_dig, budget_own_dig : float
        DKK per year for co-laying in open trenches and for own trenches.
    co_dig_per_m, own_dig_per_m : float
        DKK per metre.
    """

    kind: str = Scenario.policy
    budget_co_dig: float = _BUDGET.duct_dkk
    budget_own_dig: float = float(_BUDGET.own_digging)
    co_dig_per_m: float = _COSTS.co_dig_per_m
    own_dig_per_m: float = _COSTS.own_dig_per_m

    @classmethod
    def from_scenario(cls, scenario: Scenario, *, budget_co_dig: float | None = None) -> Policy:
        """Return the policy of a scenario (its yearly budgets: see ``Scenario.budgets``)."""
        money = scenario.budgets()
        co = money["budget_co_dig"][0] if budget_co_dig is None else float(budget_co_dig)
        return cls(
            kind=str(scenario.policy),
            budget_co_dig=float(co),
            budget_own_dig=float(money["budget_own_dig"][0]),
            co_dig_per_m=float(scenario.costs.co_dig_per_m),
            own_dig_per_m=float(scenario.costs.own_dig_per_m),
        )


# --- choosing within a budget ---------------------------------------------------------------


def greedy_pick(
    run: np.ndarray, ratio: np.ndarray, cost: np.ndarray, left: np.ndarray
) -> np.ndarray:
    """Pick items best ratio first within each run's budget, skipping those that do not fit.

    The sequential greedy (walk the items by ratio, take one if it fits what
    is left) done in vectorised passes: each pass takes, per run, the longest
    prefix of the items that still fit; the next pass drops the items dearer
    than what is left. Modifies ``left``.

    >>> left = np.array([10.0])
    >>> greedy_pick(np.zeros(3, int), np.array([3.0, 2.0, 1.0]), np.array([6.0, 5.0, 4.0]), left)
    array([ True, False,  True])
    >>> left
    array([0.])
    """
    chosen = np.zeros(len(run), dtype=bool)
    if len(run) == 0:
        return chosen
    order = _by_run_then_ratio(run, ratio, len(left))
    run_s, cost_s = run[order], cost[order]
    # what is left only shrinks: an item too dear once is too dear for good
    idx = np.arange(len(run))
    for _ in range(_PICK_PASSES):
        idx = idx[cost_s[idx] <= left[run_s[idx]] + 1e-9]
        if len(idx) == 0:
            break
        r, c = run_s[idx], cost_s[idx]
        total = np.cumsum(c)
        first = np.r_[True, r[1:] != r[:-1]]
        group_start = np.maximum.accumulate(np.where(first, np.arange(len(r)), 0))
        before = total[group_start] - c[group_start]
        take = total - before <= left[r] + 1e-9
        chosen[order[idx[take]]] = True
        left -= np.bincount(r[take], weights=c[take], minlength=len(left))
        if take.all():
            break
        idx = idx[~take]
    return chosen


def _by_run_then_ratio(run: np.ndarray, ratio: np.ndarray, runs: int) -> np.ndarray:
    """Return the order of ``np.lexsort((-ratio, run))``, by two stable sorts.

    Sorting the run numbers on their own, as small integers, is a radix sort.
    """
    by_ratio = np.argsort(-ratio, kind="stable")
    small = np.int16 if runs <= np.iinfo(np.int16).max else run.dtype
    return by_ratio[np.argsort(run[by_ratio].astype(small), kind="stable")]


# --- laying ---------------------------------------------------------------------------------


def lay_clusters(
    state: DuctState, open_: np.ndarray, price: Prices, left: np.ndarray
) -> np.ndarray:
    """Lay whole trench clusters that link to the network, best households per DKK first.

    ``open_`` are the year's open trenches as sorted flat indices ``run * E +
    edge``. Modifies ``state`` and ``left``. Returns the open trenches of the
    clusters touching the linked network that were not laid: the only ones a
    duct from the linked network can reach this year.
    """
    n, runs = state.n, state.runs
    linked = state.node_linked
    e_count = state.duct.shape[1]
    opened = open_[~state.duct.reshape(-1)[open_]]
    if len(opened) == 0:
        return opened
    i_r, i_e = state.islands()
    flat = np.concatenate([opened, i_r * e_count + i_e])
    a, b = state.end_u[flat], state.end_v[flat]
    anchor_a, anchor_b = linked[a], linked[b]
    lab, a2, b2 = trench_clusters(a, b, ~anchor_a, ~anchor_b, runs * n)
    anchored = np.zeros(int(lab.max()) + 1, bool)
    anchored[lab[anchor_a | anchor_b]] = True
    # only clusters touching the linked network can be laid (usually a small part)
    near = np.flatnonzero(anchored[lab])
    # number those clusters 0, 1, ...
    number = np.zeros(len(anchored), np.int64)
    number[anchored] = np.arange(int(anchored.sum()))
    lab = number[lab[near]]
    r, e = np.divmod(flat[near], e_count)
    a2, b2 = a2[near], b2[near]
    is_open = near < len(opened)
    hh = state.hh[e]
    # cutting dead ends off never splits a cluster, so the labels stay valid
    keep = _prune_dead_ends(a2, b2, is_open & (hh <= 0))
    near_open = flat[near[is_open]]
    r, e, hh, is_open, lab = r[keep], e[keep], hh[keep], is_open[keep], lab[keep]
    edge_cost = np.zeros(len(r))
    edge_cost[is_open] = price(r[is_open], e[is_open])
    n_lab = len(number) and int(anchored.sum())
    value = np.bincount(lab, weights=hh, minlength=n_lab)
    cost = np.bincount(lab, weights=edge_cost, minlength=n_lab)
    owner = np.zeros(n_lab, dtype=np.int64)
    owner[lab] = r
    items = np.flatnonzero(value > 0)
    if len(items) == 0:
        return near_open
    ratio = value[items] / np.maximum(cost[items], 1e-9)
    chosen = np.zeros(n_lab, bool)
    chosen[items[greedy_pick(owner[items], ratio, cost[items], left)]] = True
    taken = chosen[lab]
    # laying the open edges links them and the islands of the cluster
    state.link(r[taken], e[taken])
    return near_open[~state.duct.reshape(-1)[near_open]]


def trench_clusters(
    a: np.ndarray, b: np.ndarray, free_a: np.ndarray, free_b: np.ndarray, n_nodes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Label edges ``a - b`` by cluster: edges are in one cluster when they share a free node.

    An end that is not free (a node of the linked network) joins nothing.
    The graph handed to :func:`connected_components` has a node per edge,
    linked to its free end nodes (numbered ``1 ..`` over the nodes used):
    built in order, with no sort. Returns the cluster of each edge and the
    numbers of its ends (0 where not free).

    >>> lab, _, _ = trench_clusters(
    ...     np.array([0, 1, 5]), np.array([1, 2, 6]), np.array([True, True, True]),
    ...     np.array([True, False, True]), 10)
    >>> bool(lab[0] == lab[1]), bool(lab[0] == lab[2])
    (True, False)
    """
    m = len(a)
    used = np.zeros(n_nodes, dtype=bool)
    used[a[free_a]] = True
    used[b[free_b]] = True
    number = np.cumsum(used, dtype=np.int64 if n_nodes >= 2**31 else np.int32)
    n_used = int(number[-1]) if n_nodes else 0
    a2 = np.where(free_a, number[a], 0)
    b2 = np.where(free_b, number[b], 0)
    free = np.empty((m, 2), dtype=bool)
    free[:, 0], free[:, 1] = free_a, free_b
    ends = np.empty((m, 2), dtype=number.dtype)
    ends[:, 0], ends[:, 1] = a2, b2
    indices = ends[free]
    indices += m - 1
    indptr = np.empty(m + n_used + 1, dtype=number.dtype)
    indptr[0] = 0
    np.cumsum(free_a.astype(number.dtype) + free_b, out=indptr[1 : m + 1])
    indptr[m + 1 :] = indptr[m]
    size = m + n_used
    graph = sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(size, size))
    return connected_components(graph, directed=False)[1][:m], a2, b2


def _prune_dead_ends(a: np.ndarray, b: np.ndarray, prunable: np.ndarray) -> np.ndarray:
    """Drop prunable edges that end in a dead end (repeatedly); return the kept mask.

    ``a`` and ``b`` number the end nodes ``1 ..``; 0 is an end on the linked
    network, never a dead end.
    """
    keep = np.ones(len(a), dtype=bool)
    degree = np.bincount(np.concatenate([a, b]), minlength=1)
    degree[0] = 2
    candidates = np.flatnonzero(prunable)
    for _ in range(_PRUNE_ROUNDS):
        ca, cb = a[candidates], b[candidates]
        leaf = (degree[ca] == 1) | (degree[cb] == 1)
        if not leaf.any():
            break
        gone = candidates[leaf]
        keep[gone] = False
        np.subtract.at(degree, a[gone], 1)
        np.subtract.at(degree, b[gone], 1)
        degree[0] = 2
        candidates = candidates[~leaf]
    return keep


def lay_frontier(
    state: DuctState,
    avail: np.ndarray | None,
    price: Prices,
    left: np.ndarray,
    *,
    rounds: int,
) -> None:
    """Lay single edges next to the linked network, in rounds.

    An edge is worth its households and those of the duct island at its far
    end (one edge per island and run per round, so no island counts twice).
    ``avail`` (sorted flat indices ``run * E + edge``) limits the edges
    (None: every edge, own trenches). Modifies ``state`` and ``left``.
    """
    n = state.n
    e_count = state.duct.shape[1]
    cheapest = price.cheapest
    runs = np.arange(state.runs)
    for _ in range(rounds):
        # only the runs with money left and something to lay (fewer every round)
        runs = runs[left[runs] >= cheapest - 1e-9]
        if len(runs) == 0:
            break
        if avail is None:
            node = state.linked_nodes()[runs]
            attached = ~state.duct[runs] & (node[:, state.u] | node[:, state.v])
            i, e = np.nonzero(attached)
            r = runs[i]
        else:
            active = np.zeros(state.runs, dtype=bool)
            active[runs] = True
            avail = avail[active[avail // e_count] & ~state.duct.ravel()[avail]]
            r, e = np.divmod(avail, e_count)
        linked = state.node_linked
        ca, cb = linked[r * n + state.u[e]], linked[r * n + state.v[e]]
        touching = ca | cb
        r, e, ca, cb = r[touching], e[touching], ca[touching], cb[touching]
        if len(r) == 0:
            break
        c = price(r, e)
        a_in = ca
        both = a_in & cb
        far = np.where(a_in, r * n + state.v[e], r * n + state.u[e])
        far_label = state.label[far]
        behind = np.where(both | state.linked_label[far_label], 0.0, state.label_hh[far_label])
        value = state.hh[e] + behind
        useful = (value > 0) & (c <= left[r] + 1e-9)
        r, e, c, value, behind, far_label = (x[useful] for x in (r, e, c, value, behind, far_label))
        if len(r) == 0:
            break
        ratio = value / np.maximum(c, 1e-9)
        # the best edge into each island only, this round (labels are unique across runs)
        order = np.lexsort((-ratio, far_label))
        first = np.r_[True, far_label[order][1:] != far_label[order][:-1]]
        keep = np.ones(len(r), bool)
        keep[order[~first & (behind[order] > 0)]] = False
        r, e, c, ratio = r[keep], e[keep], c[keep], ratio[keep]
        chosen = greedy_pick(r, ratio, c, left)
        if not chosen.any():
            break
        state.link(r[chosen], e[chosen])
        runs = np.unique(r[chosen])  # a run that laid nothing will not lay more


def lay_year(
    state: DuctState,
    policy: Policy,
    open_: np.ndarray,
    price: Prices,
    own_price: Prices,
    *,
    budget_co_dig: float | None = None,
) -> tuple[float, float]:
    """Apply one year's policy to every run: co-dig, then own trenches; return DKK spent.

    ``open_`` are the year's open trenches (sorted flat indices ``run * E +
    edge``), ``price`` what co-laying in each costs, ``own_price`` what an own
    trench costs.
    """
    if policy.kind == "fibre-only":
        return 0.0, 0.0
    runs = state.runs
    co = policy.budget_co_dig if budget_co_dig is None else budget_co_dig
    spent_co = spent_own = 0.0
    if co > 0:
        left = np.full(runs, float(co))
        reachable = lay_clusters(state, open_, price, left)
        lay_frontier(state, reachable, price, left, rounds=FRONTIER_ROUNDS)
        spent_co = float(co * runs - left.sum())
    if policy.kind == "own-dig" and policy.budget_own_dig > 0:
        left = np.full(runs, float(policy.budget_own_dig))
        lay_frontier(state, None, own_price, left, rounds=FRONTIER_ROUNDS)
        spent_own = float(policy.budget_own_dig * runs - left.sum())
    return spent_co, spent_own
