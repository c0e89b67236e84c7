"""The vectorised Monte Carlo engine: digs drawn, ducts laid, coverage counted, year by year.

The runs advance together, in batches of :data:`RUNS_PER_BATCH`. Per-run
state is an ``(R, E)`` array (runs x street edges) on the block graph of
``R`` copies of the street graph (node ``r * n + x`` is node ``x`` in run
``r``). Ducts only ever grow, so which nodes and edges reach the backbone,
and the households they cover, are kept up to date as ducts are laid
(:class:`DuctState`), never recomputed. What is computed afresh each year is
how that year's open trenches cluster: one
:func:`scipy.sparse.csgraph.connected_components` call for every run at
once, on a graph built without a sort (:func:`trench_clusters`).

The policy (what a year's money buys)
-------------------------------------
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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ..model.regrowth import Renewal

__all__ = [
    "POLICIES",
    "DuctState",
    "PlanFates",
    "Policy",
    "Prices",
    "RawForecast",
    "SimulationInput",
    "YearDigs",
    "draw_digs",
    "greedy_pick",
    "lay_year",
    "run_engine",
]

POLICIES = ("co-dig", "own-dig", "fibre-only")
"""The policies a scenario may follow."""

_PRUNE_ROUNDS = 40
_PICK_PASSES = 30
_FRONTIER_ROUNDS = 30


def _array(value: object, dtype: object) -> np.ndarray:
    return np.asarray(value if value is not None else [], dtype=dtype)


@dataclass(frozen=True, eq=False)
class SimulationInput:
    """A town to simulate, on plain arrays (from a planning instance or a workspace).

    Parameters
    ----------
    n_nodes : int
        Junctions ``0 .. n_nodes - 1``.
    edge_u, edge_v : array of int, length E
        End nodes of the street edges.
    edge_length_m : array of float
        Edge lengths (a trench of our own costs metres x the own-trench price).
    edge_households : array of float
        Households duct-covered when the edge carries a linked duct.
    has_duct : array of bool
        Existing ducts.
    root_nodes : array of int
        Nodes on the backbone.
    edge_ids : array of str, optional
        Edge ids (default ``"e0", ...``).
    last_dug : array of float, optional
        Year each edge was last dug (NaN: unknown; the process is then in
        equilibrium).
    dig_edge, dig_time, dig_group, dig_probability, dig_cost_dkk, dig_free : arrays
        The known dig plans, one row per (dig, edge): the edge, when the
        trench opens (a fractional calendar year, e.g. 2019.7), which dig
        it belongs to (all rows of a dig share its fate), the probability
        it opens in its window, what co-laying a duct costs, and whether it
        is the fibre project's own dig (its duct is laid in every policy, at
        no cost to the budget).
    dig_ids : array of str, optional
        Name of each dig group (index = ``dig_group``).
    district_names : sequence of str
        Reporting districts.
    edge_district_households : sparse matrix (E x D), optional
        Households of each edge in each district.
    district_households : array of float, length D
        All households of each district (also those no edge can cover).
    households_total : float, optional
        All households (default: the sum over the edges).
    """

    n_nodes: int
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_households: np.ndarray
    has_duct: np.ndarray
    root_nodes: np.ndarray
    edge_ids: np.ndarray | None = None
    last_dug: np.ndarray | None = None
    dig_edge: np.ndarray | None = None
    dig_time: np.ndarray | None = None
    dig_group: np.ndarray | None = None
    dig_probability: np.ndarray | None = None
    dig_cost_dkk: np.ndarray | None = None
    dig_free: np.ndarray | None = None
    dig_ids: np.ndarray | None = None
    district_names: Sequence[str] = ()
    edge_district_households: sparse.csr_matrix | None = None
    district_households: np.ndarray | None = None
    households_total: float | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "edge_u", _array(self.edge_u, np.int64))
        put(self, "edge_v", _array(self.edge_v, np.int64))
        e = len(self.edge_u)
        put(self, "edge_length_m", _array(self.edge_length_m, float))
        put(self, "edge_households", _array(self.edge_households, float))
        put(self, "has_duct", _array(self.has_duct, bool))
        put(self, "root_nodes", np.unique(_array(self.root_nodes, np.int64)))
        if self.edge_ids is None:
            put(self, "edge_ids", np.array([f"e{i}" for i in range(e)], dtype=object))
        put(self, "edge_ids", np.asarray(self.edge_ids, dtype=object))
        last = np.full(e, np.nan) if self.last_dug is None else _array(self.last_dug, float)
        put(self, "last_dug", last)
        put(self, "dig_edge", _array(self.dig_edge, np.int64))
        c = len(self.dig_edge)
        put(self, "dig_time", _array(self.dig_time, float))
        group = np.arange(c) if self.dig_group is None else _array(self.dig_group, np.int64)
        put(self, "dig_group", group)
        p = np.ones(c) if self.dig_probability is None else _array(self.dig_probability, float)
        put(self, "dig_probability", p)
        cost = (
            self.edge_length_m[self.dig_edge] * 180.0
            if self.dig_cost_dkk is None
            else _array(self.dig_cost_dkk, float)
        )
        put(self, "dig_cost_dkk", cost)
        free = np.zeros(c, bool) if self.dig_free is None else _array(self.dig_free, bool)
        put(self, "dig_free", free)
        n_groups = int(group.max()) + 1 if c else 0
        if self.dig_ids is None:
            put(self, "dig_ids", np.array([f"d{i}" for i in range(n_groups)], dtype=object))
        put(self, "district_names", tuple(str(d) for d in self.district_names))
        d = len(self.district_names)
        if self.edge_district_households is None:
            put(self, "edge_district_households", sparse.csr_matrix((e, d)))
        put(self, "edge_district_households", sparse.csr_matrix(self.edge_district_households))
        if self.district_households is None:
            totals = np.asarray(self.edge_district_households.sum(axis=0)).ravel()
            put(self, "district_households", totals)
        put(self, "district_households", _array(self.district_households, float))
        if self.households_total is None:
            put(self, "households_total", float(self.edge_households.sum()))
        lengths = {
            len(getattr(self, n))
            for n in (
                "edge_v",
                "edge_length_m",
                "edge_households",
                "has_duct",
                "edge_ids",
                "last_dug",
            )
        }
        if lengths != {e}:
            raise ValueError("every edge array must have one value per edge")
        dig_lengths = {
            len(getattr(self, n))
            for n in (
                "dig_time",
                "dig_group",
                "dig_probability",
                "dig_cost_dkk",
                "dig_free",
            )
        }
        if c and dig_lengths != {c}:
            raise ValueError("every dig array must have one value per (dig, edge) row")
        if self.edge_district_households.shape != (e, d) or len(self.district_households) != d:
            raise ValueError("district arrays must be E x D and D long")

    @property
    def n_edges(self) -> int:
        """Number of street edges."""
        return len(self.edge_u)

    @property
    def n_districts(self) -> int:
        """Number of districts."""
        return len(self.district_names)

    def without_plans(self) -> SimulationInput:
        """Return the same town with no known dig plans."""
        import dataclasses

        return dataclasses.replace(
            self,
            dig_edge=None,
            dig_time=None,
            dig_group=None,
            dig_probability=None,
            dig_cost_dkk=None,
            dig_free=None,
            dig_ids=None,
        )


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

    kind: str = "co-dig"
    budget_co_dig: float = 500_000.0
    budget_own_dig: float = 0.0
    co_dig_per_m: float = 180.0
    own_dig_per_m: float = 1030.0

    @classmethod
    def from_scenario(cls, scenario: object, *, budget_co_dig: float | None = None) -> Policy:
        """Return the policy of a scenario (its yearly budgets: see ``Scenario.budgets``)."""
        money = scenario.budgets()  # type: ignore[attr-defined]
        co = money["budget_co_dig"][0] if budget_co_dig is None else float(budget_co_dig)
        return cls(
            kind=str(scenario.policy),  # type: ignore[attr-defined]
            budget_co_dig=float(co),
            budget_own_dig=float(money["budget_own_dig"][0]),
            co_dig_per_m=float(scenario.costs.co_dig_per_m),  # type: ignore[attr-defined]
            own_dig_per_m=float(scenario.costs.own_dig_per_m),  # type: ignore[attr-defined]
        )


@dataclass(frozen=True)
class PlanFates:
    """How known plans fare: cancelled or delayed when they miss their window."""

    cancel_share: float = 0.5
    slip_years: float = 1.0
    complete_years: float = 0.0


@dataclass
class RawForecast:
    """What the engine records, per run and simulated year (end of year).

    Attributes
    ----------
    years : list of int
    covered : ndarray (R, Y)
        Households duct-covered.
    district_covered : ndarray (R, Y, D)
    edge_p_covered : ndarray (Y, E)
        Share of runs in which each edge is duct-covered.
    dug_share : ndarray (Y,)
        Share of (run, edge) pairs dug at least once so far.
    spent_co_dig, spent_own_dig : ndarray (Y,)
        Mean DKK spent per year.
    covered_now : float
        Households duct-covered before the first simulated year.
    """

    years: list[int]
    covered: np.ndarray
    district_covered: np.ndarray
    edge_p_covered: np.ndarray
    dug_share: np.ndarray
    spent_co_dig: np.ndarray
    spent_own_dig: np.ndarray
    covered_now: float


# --- the ducts of every run ------------------------------------------------------------------


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


# --- prices ---------------------------------------------------------------------------------


class Prices:
    """What laying a duct on (run, edge) costs: a price per edge, overridden per (run, edge)."""

    def __init__(
        self,
        per_edge: np.ndarray,
        run: np.ndarray | None = None,
        edge: np.ndarray | None = None,
        cost: np.ndarray | None = None,
    ) -> None:
        self.per_edge = per_edge
        e_count = len(per_edge)
        if run is None or len(run) == 0:
            self.keys = np.zeros(0, np.int64)
            self.cost = np.zeros(0)
            return
        keys = run * e_count + edge
        order = np.lexsort((cost, keys))  # the cheapest price of a (run, edge) first
        keys, cost = keys[order], cost[order]
        first = np.r_[True, keys[1:] != keys[:-1]]
        self.keys, self.cost = keys[first], cost[first]

    @property
    def cheapest(self) -> float:
        """The lowest price of any (run, edge)."""
        prices = np.concatenate([self.per_edge, self.cost])
        return float(prices.min()) if len(prices) else 0.0

    def __call__(self, run: np.ndarray, edge: np.ndarray) -> np.ndarray:
        """Return the price of each (run, edge)."""
        out = self.per_edge[edge].astype(float)
        if len(self.keys):
            keys = run * len(self.per_edge) + edge
            i = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
            hit = self.keys[i] == keys
            out[hit] = self.cost[i[hit]]
        return out


# --- the policy -------------------------------------------------------------------------------


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
        lay_frontier(state, reachable, price, left, rounds=_FRONTIER_ROUNDS)
        spent_co = float(co * runs - left.sum())
    if policy.kind == "own-dig" and policy.budget_own_dig > 0:
        left = np.full(runs, float(policy.budget_own_dig))
        lay_frontier(state, None, own_price, left, rounds=_FRONTIER_ROUNDS)
        spent_own = float(policy.budget_own_dig * runs - left.sum())
    return spent_co, spent_own


# --- the dig draws ----------------------------------------------------------------------------


@dataclass
class YearDigs:
    """One simulated year's digs, all runs.

    Attributes
    ----------
    open : ndarray of bool (R, E)
        Trenches open this year (all edges, with a duct or not).
    open_index : ndarray of int
        The same as sorted flat indices ``run * E + edge``.
    price : Prices
        DKK to co-lay a duct in each (the known dig's price where it has one).
    free : tuple of (runs, edges) arrays
        The fibre project's digs this year: their duct is laid regardless.
    """

    open: np.ndarray
    open_index: np.ndarray
    price: Prices
    free: tuple[np.ndarray, np.ndarray]


def draw_digs(
    inp: SimulationInput,
    renewal: Renewal,
    fates: PlanFates,
    years: Sequence[int],
    runs: int,
    rng: np.random.Generator,
    *,
    co_dig_per_m: float,
) -> Iterator[YearDigs]:
    """Yield each simulated year's digs for every run.

    Known plans first: each dig (all its rows together) opens on time with
    its probability; otherwise it is cancelled (``fates.cancel_share``) or
    delayed by ``ceil(D)`` years, ``D`` exponential with mean
    ``fates.slip_years``. An edge's realised known digs override the renewal
    process: its next renewal dig comes one gap after the last of them.
    Other edges start in equilibrium, or from their ``last_dug`` year.
    """
    e_count, y_count = inp.n_edges, len(years)
    start = float(years[0])
    c = len(inp.dig_edge)
    # --- known plans
    n_groups = int(inp.dig_group.max()) + 1 if c else 0
    p_group = np.zeros(n_groups)
    np.maximum.at(p_group, inp.dig_group, inp.dig_probability)
    u = rng.random((runs, n_groups))
    delay = np.ceil(rng.standard_exponential((runs, n_groups)) * fates.slip_years)
    on_time = u < p_group
    missed = (u - p_group) / np.maximum(1.0 - p_group, 1e-12)
    cancelled = ~on_time & ((missed < fates.cancel_share) | (fates.slip_years <= 0))
    shift = np.where(on_time, 0.0, np.maximum(delay, 1.0))
    when = inp.dig_time[None, :] - start + shift[:, inp.dig_group]  # (R, C) years from start
    real = ~cancelled[:, inp.dig_group] & (when >= 0) & (when < y_count)
    k_r, k_c = np.nonzero(real)
    k_t = when[k_r, k_c]
    k_e = inp.dig_edge[k_c]
    # --- renewal: the next dig after the last realised known one, else from equilibrium
    last_known = np.full(runs * e_count, -np.inf)
    np.maximum.at(last_known, k_r * e_count + k_e, k_t)
    next_t = _first_digs(inp, renewal, fates.complete_years, start, runs, rng)
    flat = next_t.reshape(-1)
    known = np.flatnonzero(last_known > -np.inf)
    flat[known] = last_known[known] + renewal.gaps(rng, len(known))
    del last_known
    # --- known events by year
    k_year = np.floor(k_t).astype(np.int64)
    order = np.argsort(k_year, kind="stable")
    k_r, k_c, k_e, k_year = k_r[order], k_c[order], k_e[order], k_year[order]
    bounds = np.searchsorted(k_year, np.arange(y_count + 1))
    base_cost = inp.edge_length_m * co_dig_per_m
    for k in range(y_count):
        dug = next_t < k + 1
        sl = slice(bounds[k], bounds[k + 1])
        r_k, c_k, e_k = k_r[sl], k_c[sl], k_e[sl]
        dug[r_k, e_k] = True
        idx = np.flatnonzero(dug)
        # the renewal digs of this year (known ones are not due yet: they do not move)
        t = flat[idx]
        due = t < k + 1
        t[due] += renewal.gaps(rng, int(np.count_nonzero(due)))
        # a gap shorter than the rest of the year: dug twice (few)
        again = np.flatnonzero(t < k + 1)
        while len(again):
            t[again] += renewal.gaps(rng, len(again))
            again = again[t[again] < k + 1]
        flat[idx] = t
        free = inp.dig_free[c_k]
        priced = ~free
        # where a known dig opens the edge, its own price counts
        price = Prices(base_cost, r_k[priced], e_k[priced], inp.dig_cost_dkk[c_k[priced]])
        yield YearDigs(dug, idx, price, (r_k[free], e_k[free]))


def _first_digs(
    inp: SimulationInput,
    renewal: Renewal,
    complete_years: float,
    start: float,
    runs: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Years from the start to each edge's first renewal dig (R, E)."""
    e_count = inp.n_edges
    out = renewal.first_after(rng, runs * e_count, complete_years).reshape(runs, e_count)
    known = np.flatnonzero(np.isfinite(inp.last_dug))
    if len(known):
        # dug in the middle of its last year, on average
        age = np.maximum(start - (inp.last_dug[known] + 0.5), 0.0) + complete_years
        draw = renewal.residual(rng, np.tile(age, runs)).reshape(runs, len(known))
        out[:, known] = complete_years + draw
    return out


# --- the run ----------------------------------------------------------------------------------


def run_engine(
    inp: SimulationInput,
    *,
    renewal: Renewal,
    policy: Policy,
    fates: PlanFates,
    years: Sequence[int],
    runs: int,
    seed: int,
    progress: bool = False,
    description: str = "simulate",
) -> RawForecast:
    """Simulate ``runs`` futures year by year; return what they cover.

    Same inputs and seed give identical results; the digs drawn do not
    depend on the policy or budget, so scenarios with the same seed and
    regrowth see the same futures (common random numbers). The runs are
    simulated in batches of :data:`RUNS_PER_BATCH` (arrays that stay in the
    processor's cache are much faster to index at random); the first batch
    draws from ``seed`` itself, the others from streams spawned from it.
    """
    years = list(years)
    y_count = len(years)
    batches = [
        (lo, min(lo + RUNS_PER_BATCH, runs)) for lo in range(0, max(runs, 1), RUNS_PER_BATCH)
    ]
    seeds = np.random.SeedSequence(seed).spawn(len(batches) - 1)
    rngs = [np.random.default_rng(seed), *(np.random.default_rng(s) for s in seeds)]
    covered = np.zeros((runs, y_count))
    district_covered = np.zeros((runs, y_count, inp.n_districts))
    edge_runs = np.zeros((y_count, inp.n_edges))
    dug = np.zeros(y_count)
    spent = np.zeros((2, y_count))
    # households per edge in all and per district, one column each
    weights = sparse.hstack(
        [sparse.csr_matrix(inp.edge_households[:, None]), inp.edge_district_households]
    ).tocsr()
    on_today = DuctState(inp, 1).linked_edges()[0]
    today = weights.T @ on_today.astype(float)
    bar = _progress_bar(len(batches) * y_count, progress, description)
    for (lo, hi), rng in zip(batches, rngs, strict=True):
        batch = _simulate_batch(
            inp, renewal, policy, fates, years, hi - lo, rng, weights, today, bar
        )
        covered[lo:hi] = batch.sums[:, :, 0]
        district_covered[lo:hi] = batch.sums[:, :, 1:]
        edge_runs += batch.edge_runs
        dug += batch.dug
        spent += batch.spent
    if bar is not None:
        bar.close()
    return RawForecast(
        years=years,
        covered=covered,
        district_covered=district_covered,
        edge_p_covered=edge_runs / max(runs, 1),
        dug_share=dug / max(runs * inp.n_edges, 1),
        spent_co_dig=spent[0] / max(runs, 1),
        spent_own_dig=spent[1] / max(runs, 1),
        covered_now=float(today[0]),
    )


RUNS_PER_BATCH = 128
"""Runs simulated together (fixed, so that a seed gives the same futures on any machine)."""


@dataclass
class _Batch:
    sums: np.ndarray  # (R, Y, 1 + D) households covered in all and per district
    edge_runs: np.ndarray  # (Y, E) runs in which each edge is covered
    dug: np.ndarray  # (Y,) (run, edge) pairs dug so far
    spent: np.ndarray  # (2, Y) DKK spent on co-digging and own digging, all runs


def _simulate_batch(
    inp: SimulationInput,
    renewal: Renewal,
    policy: Policy,
    fates: PlanFates,
    years: list[int],
    runs: int,
    rng: np.random.Generator,
    weights: sparse.csr_matrix,
    today: np.ndarray,
    bar: Any,
) -> _Batch:
    y_count = len(years)
    state = DuctState(inp, runs)
    dug_ever = np.zeros((runs, inp.n_edges), dtype=bool)
    out = _Batch(
        np.zeros((runs, y_count, weights.shape[1])),
        np.zeros((y_count, inp.n_edges)),
        np.zeros(y_count),
        np.zeros((2, y_count)),
    )
    own_price = Prices(inp.edge_length_m * policy.own_dig_per_m)
    # ducts only ever link up, so the sums are kept by adding what each year links
    sums = np.tile(today, (runs, 1))
    edge_runs = runs * state.on[0].astype(np.int64) if runs else np.zeros(inp.n_edges, int)
    state.take_newly_linked()
    dug_count = 0
    digs = draw_digs(inp, renewal, fates, years, runs, rng, co_dig_per_m=policy.co_dig_per_m)
    for k, year in enumerate(digs):
        dug_count += _mark_dug(dug_ever, year.open_index)
        state.lay_anywhere(*year.free)
        out.spent[:, k] = lay_year(state, policy, year.open_index, year.price, own_price)
        r, e = np.divmod(state.take_newly_linked(), inp.n_edges)
        if len(r):
            fresh = sparse.csr_matrix((np.ones(len(r)), (r, e)), shape=(runs, inp.n_edges))
            sums += (fresh @ weights).toarray()
            edge_runs += np.bincount(e, minlength=inp.n_edges)
        out.sums[:, k] = sums
        out.edge_runs[k] = edge_runs
        out.dug[k] = dug_count
        if bar is not None:
            bar.update()
    return out


def _mark_dug(dug_ever: np.ndarray, flat: np.ndarray) -> int:
    """Mark the (run, edge) pairs ``flat`` as dug; return how many were not before."""
    ever = dug_ever.reshape(-1)
    first = flat[~ever[flat]]
    ever[first] = True
    return len(first)


def _progress_bar(total: int, show: bool, description: str) -> Any:
    import sys

    if not show or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="year", file=sys.stderr, leave=False)
