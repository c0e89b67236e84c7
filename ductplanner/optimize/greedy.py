"""Greedy co-digging planner: grow the duct tree by the best households per DKK.

The heuristic is a budgeted prize-collecting Steiner-tree greedy on the
reduced graph (see :mod:`._prepare`):

1. The duct tree starts as the backbone with every duct already linked to
   it. Each unchosen street edge costs its cheapest option that its year's
   budget line can still pay (after moving earlier choices to other years
   where they have another option).
2. Multi-source Dijkstra from the tree (scipy.sparse.csgraph) gives every
   node a cheapest path of stretches to the tree -- once by DKK, and once by
   DKK less the households on the way (so a route through houses beats an
   empty one of the same price). A *target* is such a path plus one more
   edge, or plus every stretch of one dig (a dig opens a connected run of
   streets in one year, which is often worth taking whole). Its gain is every
   household it covers: on its street edges and on the duct islands it
   reaches; its cost the DKK of its stretches.
3. The target with most households per DKK whose stretches fit their years'
   budgets is laid, and the tree grows; repeat until nothing affordable adds
   a household.

A path may mix years: a stretch in this year's open trench that a known dig
links up in a later year gets the credit of the households it will cover
(the look-ahead). Each household on a path counts for what covering it from
the path's latest year is worth in the objective: the horizon, plus the early
weight for every plan year it is covered.

Where covering early counts (a real early weight, the scenario's
``discount``), a second run goes year by year: first only the first year's
options, then the first two years', and so on, never moving a chosen stretch
to a later year to free money. The better of the two runs is kept.

DKK are weighed by *prices* per budget line and year: at first a line's
DKK weigh as its share of all the money (own trenches are dear per metre
but paid from their own line), and the greedy is rerun with the money a run
left unspent made cheaper, so it learns to spend it on stretches that pay
off later. The best run is then improved by ruin and recreate: drop one
stretch (and whatever only it linked), refill without it, refill freely,
keep the change if it raises the objective. On small instances the greedy
then restarts a few times, each run with seeded random weights on its
targets' ratios (so it grows another tree), improved the same way; the best
plan of all is kept. Last, where money is left over, stretches move to
earlier options so households are covered sooner.

There is no approximation guarantee: with connectivity the objective is not
submodular, so the ``1 - 1/e`` bound of budgeted coverage does not apply.
``benchmarks/bench_optimize.py`` measures the greedy against the MILP optimum.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from ._prepare import Prepared

__all__ = ["greedy_options", "reduced_objective"]

_EPS = 1e-9
_MIN_COST = 1e-6
_TRIES = 96  # targets tried per step before giving up
_UNUSABLE = 1e30  # weight of arcs that cannot be laid now
_SHAKE = 0.5  # spread (log scale) of a restart's random weights on the ratios
_RESTARTS = 8  # restarts on small instances
_RESTART_WORK = 4_000  # restarts x options at most
_RESTART_IMPROVE = 10  # ruin-and-recreate tries on each restart
_EARLY_MATTERS = 1e-3  # early weight x years above which the year-by-year run is tried too


class _Structure:
    """What does not change during a run: arcs, options per edge, dig end nodes."""

    def __init__(self, prep: Prepared) -> None:
        self.prep = prep
        k = prep.n_nodes
        j = np.flatnonzero(prep.edge_u != prep.edge_v)
        src = np.concatenate([prep.edge_u[j], prep.edge_v[j]])
        dst = np.concatenate([prep.edge_v[j], prep.edge_u[j]])
        edge = np.concatenate([j, j])
        order = np.lexsort((dst, src))
        self.src, self.dst, self.arc_edge = src[order], dst[order], edge[order]
        key = self.src.astype(np.int64) * k + self.dst
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        self.pair_start = np.flatnonzero(first)  # parallel arcs share one graph entry
        self.pair_key = key[first]
        self.pair_src, self.pair_dst = self.src[first], self.dst[first]
        self.indptr = np.searchsorted(self.pair_src, np.arange(k + 1)).astype(np.int32)
        self.graph = csr_matrix(
            (np.ones(len(self.pair_dst)), self.pair_dst.copy(), self.indptr.copy()), shape=(k, k)
        )
        self.by_edge = np.argsort(prep.opt_edge, kind="stable")
        self.edge_start = np.searchsorted(prep.opt_edge[self.by_edge], np.arange(prep.n_edges + 1))
        self.own = prep.opt_own.astype(np.int64)
        # per edge, its options as Python tuples (option, line, year, cost): fast small loops
        self.option_tuples = [
            [
                (int(o), int(self.own[o]), int(prep.opt_year[o]), float(prep.opt_cost[o]))
                for o in self.options_of(e)
            ]
            for e in range(prep.n_edges)
        ]
        grouped = np.flatnonzero(prep.opt_group >= 0)
        ends = np.concatenate(
            [prep.edge_u[prep.opt_edge[grouped]], prep.edge_v[prep.opt_edge[grouped]]]
        )
        groups = np.concatenate([prep.opt_group[grouped], prep.opt_group[grouped]])
        pairs = np.unique(groups * k + ends)
        self.group_of_end, self.end_node = pairs // k, pairs % k
        self.n_groups = int(prep.opt_group.max()) + 1 if len(grouped) else 0
        households = float(prep.edge_households.sum() + prep.node_prize[1:].sum())
        self.dkk_per_household = float(prep.budgets.sum()) / max(households, 1.0)

    def options_of(self, e: int) -> np.ndarray:
        return self.by_edge[self.edge_start[e] : self.edge_start[e + 1]]


class _Greedy:
    """One greedy run: the tree, the money left and the chosen options."""

    def __init__(
        self,
        s: _Structure,
        year_price: np.ndarray,
        *,
        yearly: bool = False,
        shake: np.random.Generator | None = None,
    ) -> None:
        self.s = s
        self.prep = prep = s.prep
        self.year_price = year_price
        # a restart weighs each street's and each dig's ratio by a random factor, so it
        # grows another tree than the plain run (seeded: the same instance, the same plan)
        self.shake: tuple[np.ndarray, np.ndarray] | None = None
        if shake is not None:
            self.shake = (
                np.exp(shake.normal(0.0, _SHAKE, prep.n_edges)),
                np.exp(shake.normal(0.0, _SHAKE, max(s.n_groups, 1))),
            )
        self.chosen = np.full(prep.n_edges, -1, dtype=np.int64)
        self.reach_year = np.full(prep.n_nodes, prep.n_years, dtype=np.int64)
        self.reach_year[0] = 0
        self.reached = self.reach_year < prep.n_years
        # a year-by-year run never moves a chosen stretch to a later year: that frees money
        # now but covers the stretch's street later
        self.yearly = yearly
        # what covering from year index c is worth per household: the horizon, plus the
        # early weight for each plan year from c on (the objective of the module docstring)
        self.worth = 1.0 + prep.early_weight * (prep.n_years - np.arange(prep.n_years + 1))
        self.worth[-1] = 0.0
        self.left = prep.budgets.astype(float).copy()
        self.prize = prep.node_prize.astype(float).copy()
        self.prize[0] = 0.0
        self.tabu = np.zeros(prep.n_edges, dtype=bool)
        self.until = prep.n_years - 1  # options of later years are not laid now

    # -- prices ----------------------------------------------------------------------

    def _option_price(self) -> np.ndarray:
        """Price of every option laid now (inf when it cannot be paid)."""
        p, own = self.prep, self.s.own
        self.movable = self._movable()
        self.freeable: dict[tuple[int, int], float] = {}
        room = self.left[own, p.opt_year] + self.movable[own, p.opt_year]
        ok = (p.opt_cost <= room + _EPS) & (self.chosen[p.opt_edge] < 0) & ~self.tabu[p.opt_edge]
        ok &= p.opt_year <= self.until
        return np.where(ok, p.opt_cost * self.year_price[own, p.opt_year], np.inf)

    def _movable(self) -> np.ndarray:
        """DKK per (line, year) held by chosen stretches that another year could take."""
        p, own = self.prep, self.s.own
        current = self.chosen[p.opt_edge]
        alt = (current >= 0) & (current != np.arange(p.n_options))
        alt &= p.opt_cost <= self.left[own, p.opt_year] + _EPS
        movable = np.zeros_like(self.left)
        if alt.any():
            held = self.chosen[np.unique(p.opt_edge[alt])]
            np.add.at(movable, (own[held], p.opt_year[held]), p.opt_cost[held])
        return movable

    def _edge_cost(self, price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return each edge's cheapest price now and the earliest year at that price."""
        p, s = self.prep, self.s
        if p.n_options == 0:
            return np.full(p.n_edges, np.inf), np.full(p.n_edges, p.n_years)
        by_edge = s.by_edge
        cost = np.minimum.reduceat(price[by_edge], s.edge_start[:-1])
        cheapest = price[by_edge] <= cost[p.opt_edge[by_edge]] * (1 + 1e-12)
        year = np.where(cheapest, p.opt_year[by_edge], p.n_years)
        return np.maximum(cost, _MIN_COST), np.minimum.reduceat(year, s.edge_start[:-1])

    # -- paths -----------------------------------------------------------------------

    def _tree(
        self, cost: np.ndarray, edge_year: np.ndarray, weight: np.ndarray
    ) -> tuple[np.ndarray, ...]:
        """Dijkstra by ``weight`` from the tree; return pred edge, path DKK, gain, cover year.

        A node's cover year is the latest year on its path: of the stretches
        laid on it and of the tree node it starts from. The gain weighs each
        household on the path by what covering it from that year is worth.
        """
        s, p = self.s, self.prep
        k = p.n_nodes
        arc_weight = weight[s.arc_edge]
        best = np.minimum.reduceat(arc_weight, s.pair_start) if len(arc_weight) else arc_weight
        graph = s.graph
        graph.data = np.where(np.isfinite(best), best, _UNUSABLE)
        sources = np.flatnonzero(self.reached)
        far, pred = dijkstra(graph, indices=sources, min_only=True, return_predecessors=True)[:2]
        pred = np.where(far < _UNUSABLE / 2, pred, -1)
        has_pred = (pred >= 0) & ~self.reached
        child = np.flatnonzero(has_pred)
        pair = np.searchsorted(s.pair_key, pred[child].astype(np.int64) * k + child)
        # among parallel arcs of a pair, the one of least weight
        arcs = s.pair_start[pair]
        ends = np.append(s.pair_start[1:], len(s.arc_edge))[pair]
        pred_edge = np.full(k, -1, dtype=np.int64)
        for i in np.flatnonzero(ends - arcs > 1):
            span = s.arc_edge[arcs[i] : ends[i]]
            arcs[i] = arcs[i] + int(np.argmin(weight[span]))
        pred_edge[child] = s.arc_edge[arcs]
        parent = np.arange(k)
        parent[child] = pred[child]
        year = np.where(self.reached, self.reach_year, 0)
        year[child] = edge_year[pred_edge[child]]
        # cover[v]: the latest year from v up to, not including, jump[v]; at the end jump[v]
        # is the tree node the path starts from, whose reach year counts too
        cover, jump = year, parent
        while (jump[jump] != jump).any():
            cover = np.maximum(cover, cover[jump])
            jump = jump[jump]
        cover = np.maximum(cover, cover[jump])
        own = np.zeros((2, k))
        own[0, child] = cost[pred_edge[child]]
        own[1, child] = (p.edge_households[pred_edge[child]] + self.prize[child]) * self.worth[
            cover[child]
        ]
        # total[:, v] sums own[:, .] from v up to, not including, jump[v]
        total, jump = own, parent
        while (jump[jump] != jump).any():
            total = total + total[:, jump]
            jump = jump[jump]
        dist = np.where(has_pred | self.reached, total[0], np.inf)
        return pred_edge, dist, total[1], cover

    def _path_to(self, node: int, pred_edge: np.ndarray) -> list[int]:
        p = self.prep
        path = []
        while not self.reached[node]:
            e = int(pred_edge[node])
            path.append(e)
            node = int(p.edge_u[e]) if p.edge_v[e] == node else int(p.edge_v[e])
        return path

    # -- targets ---------------------------------------------------------------------

    def _edge_targets(
        self,
        cost: np.ndarray,
        edge_year: np.ndarray,
        dist: np.ndarray,
        gain: np.ndarray,
        cover: np.ndarray,
    ) -> tuple:
        """Path to one end of an edge, plus the edge: (edge, node, ratio)."""
        p = self.prep
        j = np.flatnonzero(np.isfinite(cost))
        edge = np.concatenate([j, j])
        a = np.concatenate([p.edge_u[j], p.edge_v[j]])
        b = np.concatenate([p.edge_v[j], p.edge_u[j]])
        ok = np.isfinite(dist[a])
        edge, a, b = edge[ok], a[ok], b[ok]
        households = p.edge_households[edge]
        households += np.where((a != b) & ~self.reached[b], self.prize[b], 0.0)
        value = gain[a] + households * self.worth[np.maximum(cover[a], edge_year[edge])]
        ratio = value / (dist[a] + cost[edge])
        worth = value > 0
        return edge[worth], a[worth], ratio[worth]

    def _dig_targets(
        self, price: np.ndarray, dist: np.ndarray, gain: np.ndarray, cover: np.ndarray
    ) -> tuple:
        """Path to a dig, plus all of its affordable stretches: (group, node, ratio)."""
        s, p = self.s, self.prep
        if not s.n_groups:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0)
        o = np.flatnonzero((p.opt_group >= 0) & np.isfinite(price))
        group = p.opt_group[o]
        g_cost = np.bincount(group, weights=price[o], minlength=s.n_groups)
        g_size = np.bincount(group, minlength=s.n_groups)
        g_gain = np.bincount(group, weights=p.edge_households[p.opt_edge[o]], minlength=s.n_groups)
        g_year = np.zeros(s.n_groups, dtype=np.int64)
        g_year[group] = p.opt_year[o]  # a group is one dig in one year
        pg, pn = s.group_of_end, s.end_node
        live = g_size[pg] > 1
        pg, pn = pg[live], pn[live]
        unreached = ~self.reached[pn]
        g_gain += np.bincount(
            pg[unreached], weights=self.prize[pn[unreached]], minlength=s.n_groups
        )
        attach = np.isfinite(dist[pn])
        pg, pn, unreached = pg[attach], pn[attach], unreached[attach]
        households = g_gain[pg] - np.where(unreached, self.prize[pn], 0.0)
        value = gain[pn] + households * self.worth[np.maximum(cover[pn], g_year[pg])]
        ratio = value / (dist[pn] + g_cost[pg])
        worth = value > 0
        return pg[worth], pn[worth], ratio[worth]

    # -- laying ----------------------------------------------------------------------

    def _linked(self, edges: list[int]) -> tuple[list[int], float]:
        """Return the edges that would be linked to the tree, and the households they add.

        The edges come out in breadth-first order from the tree, so the
        stretches nearest the backbone get the earliest options.
        """
        p = self.prep
        adjacency: dict[int, list[tuple[int, int]]] = {}
        for e in sorted(set(edges)):
            u, v = int(p.edge_u[e]), int(p.edge_v[e])
            adjacency.setdefault(u, []).append((v, e))
            adjacency.setdefault(v, []).append((u, e))
        queue = deque(sorted(n for n in adjacency if self.reached[n]))
        seen = set(queue)
        linked: dict[int, None] = {}
        while queue:
            for m, e in adjacency[queue.popleft()]:
                linked[e] = None
                if m not in seen:
                    seen.add(m)
                    queue.append(m)
        new_nodes = [n for n in seen if not self.reached[n]]
        ordered = list(linked)
        return ordered, float(p.edge_households[ordered].sum() + self.prize[new_nodes].sum())

    def _assign(
        self, edges: list[int], price: np.ndarray, fixed: dict[int, int]
    ) -> dict[int, int] | None:
        """Pick an affordable option for every edge, or None.

        When a stretch's year has too little money left, stretches chosen
        earlier that could as well be laid in another year are moved there.
        The result maps edges (the new ones, and moved ones) to their option.
        """
        p = self.prep
        left = self.left.copy()
        picks: dict[int, int] = {}
        for e in edges:
            opts = self.s.options_of(e)
            opts = opts[np.isfinite(price[opts])]
            opts = opts[np.lexsort((p.opt_year[opts], price[opts]))]
            if e in fixed:
                opts = np.concatenate([[fixed[e]], opts[opts != fixed[e]]])
            fits = p.opt_cost[opts] <= left[self.s.own[opts], p.opt_year[opts]] + _EPS
            if e not in fixed or fits[0]:
                opts = np.concatenate([opts[fits], opts[~fits]])  # moving others: last resort
            for o in opts.tolist():
                line, year = self.s.own[o], p.opt_year[o]
                need = p.opt_cost[o] - left[line, year]
                if need > _EPS and not self._make_room(line, year, need, left, picks, edges):
                    continue
                left[line, year] -= p.opt_cost[o]
                picks[e] = o
                break
            else:
                return None
        return picks

    def _make_room(
        self,
        line: int,
        year: int,
        need: float,
        left: np.ndarray,
        picks: dict[int, int],
        edges: list[int],
    ) -> bool:
        """Move chosen stretches out of (line, year) until ``need`` DKK are free."""
        if (line, year) not in self.freeable:  # an upper bound, once per step
            _, trial = self._moves(line, year, np.inf, self.left, self.chosen, [])
            self.freeable[line, year] = trial[line, year] - self.left[line, year]
        if need > self.freeable[line, year] + _EPS:
            return False
        current_of = self.chosen.copy()
        for e, o in picks.items():
            current_of[e] = o
        moves, trial = self._moves(line, year, need, left, current_of, edges)
        if trial[line, year] - left[line, year] + _EPS < need:
            return False
        left[:] = trial
        picks.update(moves)
        return True

    def _moves(
        self,
        line: int,
        year: int,
        need: float,
        left: np.ndarray,
        current_of: np.ndarray,
        edges: list[int],
    ) -> tuple[dict[int, int], np.ndarray]:
        """Move the dearest stretches of (line, year) elsewhere until ``need`` is free."""
        p, own = self.prep, self.s.own
        held_edges = np.flatnonzero(current_of >= 0)
        cur = current_of[held_edges]
        mask = (own[cur] == line) & (p.opt_year[cur] == year)
        if edges:
            mask &= ~np.isin(held_edges, edges)
        held = held_edges[mask][np.argsort(-p.opt_cost[cur[mask]], kind="stable")].tolist()
        room = left.tolist()
        start = room[line][year]
        moves: dict[int, int] = {}
        for e in held:
            best = None
            for o, o_line, o_year, o_cost in self.s.option_tuples[e]:
                if (o_line, o_year) == (line, year) or o_cost > room[o_line][o_year] + _EPS:
                    continue
                if o_year > self.until or (o_year > year and self.yearly):
                    continue
                if best is None or (o_cost, o_year) < (best[3], best[2]):
                    best = (o, o_line, o_year, o_cost)
            if best is None:
                continue
            room[best[1]][best[2]] -= best[3]
            room[line][year] += float(p.opt_cost[current_of[e]])
            moves[e] = best[0]
            if room[line][year] - start + _EPS >= need:
                break
        return moves, np.asarray(room)

    def _commit(self, picks: dict[int, int]) -> None:
        p, own = self.prep, self.s.own
        for e in picks:
            o = self.chosen[e]
            if o >= 0:
                self.left[own[o], p.opt_year[o]] += p.opt_cost[o]
        for e, o in picks.items():
            self.chosen[e] = o
            self.left[own[o], p.opt_year[o]] -= p.opt_cost[o]
        self._update_reach()

    def _update_reach(self) -> None:
        """Set each node's reach year (the first year a path of laid stretches links it)."""
        p = self.prep
        laid = np.flatnonzero(self.chosen >= 0)
        laid_year = p.opt_year[self.chosen[laid]]
        reach = np.full(p.n_nodes, p.n_years, dtype=np.int64)
        reach[0] = 0
        for t in np.unique(laid_year).tolist():
            now = laid[laid_year <= t]
            graph = coo_matrix(
                (np.ones(len(now)), (p.edge_u[now], p.edge_v[now])), shape=(p.n_nodes, p.n_nodes)
            )
            label = connected_components(graph, directed=False)[1]
            reach = np.where((label == label[0]) & (reach == p.n_years), t, reach)
        self.reach_year = reach
        self.reached = reach < p.n_years

    def step(self) -> bool:
        """Lay the best affordable target; return False when none adds a household."""
        p = self.prep
        price = self._option_price()
        cost, edge_year = self._edge_cost(price)
        if not np.isfinite(cost).any():
            return False
        discounted = np.maximum(cost - self.s.dkk_per_household * p.edge_households, 0.1 * cost)
        found = []
        rows = []  # (ratio, variant, kind: 0 edge / 1 dig, key, node)
        for variant, weight in enumerate((cost, discounted)):
            pred_edge, dist, gain, cover = self._tree(cost, edge_year, weight)
            found.append(pred_edge)
            kinds = (
                self._edge_targets(cost, edge_year, dist, gain, cover),
                self._dig_targets(price, dist, gain, cover),
            )
            for kind, (key, node, ratio) in enumerate(kinds):
                rows.append(
                    np.column_stack(
                        [ratio, np.full(len(key), variant), np.full(len(key), kind), key, node]
                    )
                )
        table = np.vstack(rows)
        if not len(table):
            return False
        if self.shake is not None:
            key, edge_rows = table[:, 3].astype(np.int64), table[:, 2] == 0
            table[edge_rows, 0] *= self.shake[0][key[edge_rows]]
            table[~edge_rows, 0] *= self.shake[1][key[~edge_rows]]
        order = np.lexsort((table[:, 4], table[:, 3], table[:, 2], table[:, 1], -table[:, 0]))
        tried: set[tuple[int, int, int]] = set()
        for i in order[:_TRIES]:
            variant, kind, key, node = (int(x) for x in table[i, 1:])
            if (kind, key, node) in tried:
                continue
            tried.add((kind, key, node))
            pred_edge = found[variant]
            fixed: dict[int, int] = {}
            if kind == 1:
                members = np.flatnonzero((p.opt_group == key) & np.isfinite(price))
                fixed = {int(p.opt_edge[o]): int(o) for o in members}
                wanted = self._path_to(node, pred_edge) + list(fixed)
            else:
                wanted = [key, *self._path_to(node, pred_edge)]
            edges, exact = self._linked(wanted)
            if exact <= 0:
                continue
            picks = self._assign(edges, price, fixed)
            if picks is None:
                continue
            self._commit(picks)
            return True
        return False

    def run(self) -> np.ndarray:
        """Grow the tree until nothing more fits; return the chosen options.

        A year-by-year run first lays the options of the first year only, then
        of the first two, and so on: what is covered now comes first.
        """
        for until in range(self.prep.n_years if self.yearly else 0):
            self.until = until
            while self.step():
                pass
        self.until = self.prep.n_years - 1
        while self.step():
            pass
        return np.sort(self.chosen[self.chosen >= 0])

    def options(self) -> np.ndarray:
        """Return the chosen options."""
        return np.sort(self.chosen[self.chosen >= 0])

    def _state(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.chosen.copy(), self.left.copy(), self.reach_year.copy()

    def _restore(self, state: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        self.chosen, self.left, self.reach_year = (a.copy() for a in state)
        self.reached = self.reach_year < self.prep.n_years

    def _drop(self, edge: int) -> np.ndarray:
        """Take out a stretch and all it alone linked; return the edges taken out."""
        p, own = self.prep, self.s.own
        before = self.chosen >= 0
        o = self.chosen[edge]
        self.left[own[o], p.opt_year[o]] += p.opt_cost[o]
        self.chosen[edge] = -1
        kept = np.flatnonzero(self.chosen >= 0)
        graph = coo_matrix(
            (np.ones(len(kept)), (p.edge_u[kept], p.edge_v[kept])), shape=(p.n_nodes, p.n_nodes)
        )
        label = connected_components(graph, directed=False)[1]
        lost = kept[label[p.edge_u[kept]] != label[0]]
        for e in lost.tolist():
            o = self.chosen[e]
            self.left[own[o], p.opt_year[o]] += p.opt_cost[o]
            self.chosen[e] = -1
        self._update_reach()
        return np.flatnonzero(before & (self.chosen < 0))

    def improve(self, max_tries: int) -> None:
        """Ruin and recreate: drop a stretch (and what hangs on it), refill without it.

        Stretches are tried from the least households per DKK up; a change is
        kept when it raises the objective (households at the horizon, and the
        early weight's household-years).
        """
        p = self.prep
        tries = 0
        value = reduced_objective(p, self.options())
        improved = True
        while improved and tries < max_tries:
            improved = False
            chosen = np.flatnonzero(self.chosen >= 0)
            density = p.edge_households[chosen] / np.maximum(p.opt_cost[self.chosen[chosen]], 1.0)
            for e in chosen[np.argsort(density, kind="stable")].tolist():
                if tries >= max_tries:
                    break
                tries += 1
                state = self._state()
                self._drop(e)
                self.tabu[e] = True
                while self.step():
                    pass
                self.tabu[:] = False
                while self.step():
                    pass
                new_value = reduced_objective(p, self.options())
                if new_value > value + 1e-12 * max(abs(value), 1.0):
                    value, improved = new_value, True
                    break
                self._restore(state)

    def move_earlier(self) -> np.ndarray:
        """Move chosen stretches to an earlier option where its year's money allows."""
        p, own = self.prep, self.s.own
        for e in np.argsort(-p.edge_households, kind="stable"):
            o = self.chosen[e]
            if o < 0:
                continue
            opts = self.s.options_of(e)
            earlier = opts[p.opt_year[opts] < p.opt_year[o]]
            for alt in earlier[np.argsort(p.opt_year[earlier], kind="stable")]:
                if p.opt_cost[alt] <= self.left[own[alt], p.opt_year[alt]] + _EPS:
                    self.left[own[o], p.opt_year[o]] += p.opt_cost[o]
                    self.left[own[alt], p.opt_year[alt]] -= p.opt_cost[alt]
                    self.chosen[e] = alt
                    break
        return np.sort(self.chosen[self.chosen >= 0])


def greedy_options(
    prep: Prepared, *, price_rounds: int = 4, improve: int = 40, restarts: int | None = None
) -> np.ndarray:
    """Run the greedy with year pricing; return the options of the best plan.

    Parameters
    ----------
    prep : Prepared
        The options and reduced graph.
    price_rounds : int
        At most this many runs: after each, money of a year (and budget line)
        that was left over is made cheaper in the next.
    improve : int
        At most this many ruin-and-recreate tries on the best run (and on each restart).
    restarts : int, optional
        Runs more, each with its own seeded random weights on the targets'
        ratios, improved in turn; the best plan of all is kept. Default: up to
        8, fewer on larger instances (none above 4,000 options), so the
        greedy stays the fast path.

    Returns
    -------
    numpy.ndarray of int
        Indices of the chosen options.
    """
    if prep.n_options == 0:
        return np.zeros(0, dtype=np.int64)
    structure = _Structure(prep)
    # where covering early counts, the look-ahead run and the year-by-year one each win on
    # some towns (by up to 15 % on grid towns): try both, keep the better
    modes = [False, True] if prep.early_weight * prep.n_years > _EARLY_MATTERS else [False]
    runs = [_priced_runs(structure, price_rounds, yearly=yearly) for yearly in modes]
    best = max(runs, key=lambda run: reduced_objective(prep, run.options()))
    if improve:
        best.improve(improve)
    best_value = reduced_objective(prep, best.options())
    if restarts is None:
        restarts = min(_RESTARTS, _RESTART_WORK // max(prep.n_options, 1))
    for k in range(restarts):
        run = _Greedy(
            structure, best.year_price, yearly=best.yearly, shake=np.random.default_rng(k)
        )
        run.run()
        run.shake = None  # the improvement judges by the plain ratios
        if improve:
            run.improve(min(improve, _RESTART_IMPROVE))
        value = reduced_objective(prep, run.options())
        if value > best_value + 1e-12 * max(abs(best_value), 1.0):
            best, best_value = run, value
    return best.move_earlier()


def _priced_runs(structure: _Structure, rounds: int, *, yearly: bool) -> _Greedy:
    """Run the greedy up to ``rounds`` times, re-pricing unspent money; return the best run."""
    prep = structure.prep
    budgets = prep.budgets
    year_price = _line_prices(budgets)
    best: _Greedy | None = None
    best_value = -np.inf
    for _ in range(max(rounds, 1)):
        run = _Greedy(structure, year_price, yearly=yearly)
        value = reduced_objective(prep, run.run())
        if value > best_value + 1e-12:
            best, best_value = run, value
        left_share = np.where(budgets > 0, run.left / np.maximum(budgets, _EPS), 0.0)
        if (left_share < 0.02).all():
            break
        year_price = year_price * np.clip(1.0 - 2.0 * left_share, 0.05, 1.0)
        year_price = year_price / year_price.max()
    assert best is not None
    return best


def _line_prices(budgets: np.ndarray) -> np.ndarray:
    """Start prices: a DKK of a budget line weighs as its share of that line's money.

    Own trenches cost several times co-digging per metre, but they are paid
    from their own line: comparing raw DKK would make them look hopeless.
    """
    per_line = budgets.sum(axis=1, keepdims=True)
    used = per_line[:, 0] > 0
    price = np.ones_like(budgets, dtype=float)
    if used.all():
        price *= per_line.mean() / per_line
    return price / price.max()


def reduced_objective(prep: Prepared, options: np.ndarray) -> float:
    """Objective of a set of options, evaluated on the reduced graph.

    Parameters
    ----------
    prep : Prepared
        The options and reduced graph.
    options : array of int
        Chosen option indices.

    Returns
    -------
    float
        Households covered at the horizon plus ``early_weight`` times the
        household-years (what :func:`._plan.plan_objective` gives on the full graph).
    """
    k, n_years = prep.n_nodes, prep.n_years
    first = np.full(prep.n_edges, n_years, dtype=np.int64)
    np.minimum.at(first, prep.opt_edge[options], prep.opt_year[options])
    by_year = []
    for t in range(n_years):
        laid = np.flatnonzero(first <= t)
        graph = coo_matrix(
            (np.ones(len(laid)), (prep.edge_u[laid], prep.edge_v[laid])), shape=(k, k)
        )
        label = connected_components(graph, directed=False)[1]
        linked = label == label[0]
        on_laid = prep.edge_households[laid[linked[prep.edge_u[laid]]]].sum()
        by_year.append(float(prep.node_prize[linked].sum() + on_laid))
    return by_year[-1] + prep.early_weight * sum(by_year)
