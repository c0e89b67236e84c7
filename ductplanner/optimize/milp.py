"""Exact co-digging plan: a mixed-integer model solved by HiGHS (highspy)."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components, maximum_flow

from ..core._errors import SolverError
from ._instance import PlanningInstance
from ._plan import Plan, build_plan
from ._prepare import Prepared, prepare
from .greedy import greedy_options, reduced_objective

__all__ = ["CoDigMILP"]

_FLOW_SCALE = 1_000_000
_OVERRUN_S = 2.0  # seconds past the time limit after which HiGHS is interrupted
_CUT_TOL = 1e-4


class CoDigMILP:
    r"""Co-digging plan as a time-indexed rooted-arborescence MILP.

    The model works on the reduced graph of :mod:`._prepare`: every existing
    duct and the backbone are contracted, node 0 is the backbone with the
    ducts linked to it, node :math:`k` carries the households :math:`p_k` of
    the duct island contracted into it, and edge :math:`j = \{u_j, v_j\}` is a
    street edge with :math:`h_j` households and at least one laying option
    :math:`o` (a candidate in a year :math:`y_o`, costing :math:`c_o` from
    budget line :math:`b_o`). Years :math:`t = 1..T`; :math:`N` is the number
    of nodes other than 0; :math:`A` holds both directions :math:`(u, v)` of
    every edge, except those into node 0.

    Variables

    - :math:`x_o \in \{0, 1\}`: option :math:`o` is laid.
    - :math:`a_{uv,t} \in \{0, 1\}`: arc :math:`(u, v)` is in the year-:math:`t`
      arborescence that links the covered ducts to the backbone.
    - :math:`r_{k,t} \in [0, 1]`: node :math:`k` is linked in year :math:`t`
      (:math:`r_{0,t} = 1`).
    - :math:`z_{j,t} \in [0, 1]`: edge :math:`j` is covered in year :math:`t`.
    - :math:`d_k \in [1, N]`: depth of node :math:`k` in the horizon arborescence.

    With :math:`L_{j,t} = \sum_{o \in j,\, y_o \le t} x_o` (edge :math:`j`
    carries a duct in year :math:`t`):

    .. math::

        \max\ & \sum_k p_k \Big(r_{k,T} + w \sum_t r_{k,t}\Big)
              + \sum_j h_j \Big(z_{j,T} + w \sum_t z_{j,t}\Big) \\
        \text{s.t.}\ & \textstyle\sum_{o \in c} x_o \le 1,\quad
              \sum_{o \in j} x_o \le 1 && \text{a candidate, an edge laid once} \\
        & \textstyle\sum_{o:\, y_o = t,\, b_o = b} c_o x_o \le B_{b,t}
              && \text{yearly budget per line} \\
        & a_{uv,t} + a_{vu,t} \le L_{j,t} && \text{arcs only on laid edges} \\
        & \textstyle\sum_{u} a_{uk,t} = r_{k,t}\quad (k \ne 0)
              && \text{a linked node has one parent} \\
        & a_{uv,t} \le r_{u,t}\quad (u \ne 0) && \text{a parent is linked itself} \\
        & a_{uv,t} \le a_{uv,t+1} && \text{the arborescence only grows} \\
        & z_{j,t} \le L_{j,t},\ z_{j,t} \le r_{u_j,t},\ z_{j,t} \le r_{v_j,t}
              && \text{covered: laid with linked ends} \\
        & d_v \ge d_u + 1 - N (1 - a_{uv,T})\quad (u, v \ne 0) && \text{no cycles (MTZ)} \\
        & \textstyle\sum_{(u, v) \in \delta^-(S)} a_{uv,t} \ge r_{k,t}\quad
              (S \not\ni 0,\ k \in S) && \text{directed cuts (separated)}

    Why no disconnected cycle can count: a covered edge needs both ends
    linked (:math:`r = 1`); a linked node other than the backbone has exactly
    one parent arc, whose tail is linked in the same year. Following parents
    from any linked node therefore never stops except at node 0, unless it
    runs round a directed cycle. The arborescences are nested
    (:math:`a_{\cdot,t} \le a_{\cdot,T}`), so a cycle in any year is a cycle
    in year :math:`T`, which the MTZ depths forbid (along a cycle the depth
    would have to grow forever). Hence every linked node has a path of laid
    edges, all laid by year :math:`t`, to the backbone — which is the
    definition of coverage. Conversely every real plan fits the model: grow a
    breadth-first arborescence year by year over the laid ducts (nested by
    construction) and set the depths from it; that is also how a greedy plan
    is handed to HiGHS as the starting solution.

    Strength: MTZ alone gives a weak LP bound, so before branching the LP
    relaxation is tightened by directed-cut rounds (the LP form of the
    multi-commodity flow formulation): for every year and linked node,
    a maximum flow from node 0 over the arc values finds a set :math:`S` whose
    in-arcs carry less than :math:`r_{k,t}`; that cut is added, for every
    year where it is violated. Nesting the arborescences over the years also
    tightens the model, and the secondary term :math:`w` (household-years)
    is small enough that it never outweighs one household at the horizon.

    Parameters
    ----------
    instance : PlanningInstance
        The problem.
    min_probability : float
        Leave out candidates less likely than this to open their trench.
    early_weight : float, optional
        Weight :math:`w` of household-years; default
        :meth:`PlanningInstance.default_early_weight`.

    Attributes
    ----------
    status : str
        ``"not solved"``, ``"optimal"``, ``"time limit"`` (stopped with the
        best plan found), ``"infeasible"``, ``"no candidates"``, or HiGHS's
        own status in lower case.
    objective : float or None
        Objective of the best plan found (households at the horizon plus
        :math:`w` times household-years).
    bound : float or None
        Best proven upper bound on the objective.
    gap : float or None
        ``(bound - objective) / bound``.
    root_bound : float or None
        The LP bound after the cut rounds, before branching.
    lp_bound : float or None
        The LP bound before any cut.
    cuts : int
        Directed cuts added.
    runtime_s : float
        Seconds spent in :meth:`solve`.

    Examples
    --------
    >>> from ductplanner.optimize import random_instance
    >>> model = CoDigMILP(random_instance(1, rows=4, cols=4)).solve(time_limit=20)
    >>> model.status, model.gap is not None and model.gap < 1e-3
    ('optimal', True)
    """

    def __init__(
        self,
        instance: PlanningInstance,
        *,
        min_probability: float = 0.0,
        early_weight: float | None = None,
    ) -> None:
        self.instance = instance
        self.prep: Prepared = prepare(
            instance, min_probability=min_probability, early_weight=early_weight
        )
        self.status = "not solved"
        self.objective: float | None = None
        self.bound: float | None = None
        self.gap: float | None = None
        self.root_bound: float | None = None
        self.lp_bound: float | None = None
        self.cuts = 0
        self.runtime_s = 0.0
        self.deadline = np.inf
        self.options = np.zeros(0, dtype=np.int64)
        self._layout()

    # -- model layout ----------------------------------------------------------------

    def _layout(self) -> None:
        """Index every variable and prepare the arc lists."""
        p = self.prep
        n_years = p.n_years
        k = p.n_nodes
        loop = p.edge_u == p.edge_v
        j = np.flatnonzero(~loop)
        tail = np.concatenate([p.edge_u[j], p.edge_v[j]])
        head = np.concatenate([p.edge_v[j], p.edge_u[j]])
        edge = np.concatenate([j, j])
        into_root = head == 0
        self.arc_tail, self.arc_head, self.arc_edge = (
            tail[~into_root],
            head[~into_root],
            edge[~into_root],
        )
        n_arcs = len(self.arc_tail)
        self.z_edges = np.flatnonzero(p.edge_households > 0)
        self.n_x = p.n_options
        self.base_a = self.n_x
        self.base_r = self.base_a + n_years * n_arcs
        self.base_z = self.base_r + n_years * (k - 1)
        self.base_d = self.base_z + n_years * len(self.z_edges)
        self.n_cols = self.base_d + (k - 1)
        self.n_arcs = n_arcs

    def _a(self, arcs: np.ndarray | int, t: np.ndarray | int) -> np.ndarray:
        return self.base_a + np.asarray(t) * self.n_arcs + np.asarray(arcs)

    def _r(self, nodes: np.ndarray | int, t: np.ndarray | int) -> np.ndarray:
        return self.base_r + np.asarray(t) * (self.prep.n_nodes - 1) + np.asarray(nodes) - 1

    def _z(self, idx: np.ndarray | int, t: np.ndarray | int) -> np.ndarray:
        return self.base_z + np.asarray(t) * len(self.z_edges) + np.asarray(idx)

    def _d(self, nodes: np.ndarray | int) -> np.ndarray:
        return self.base_d + np.asarray(nodes) - 1

    def _build(self) -> dict[str, Any]:
        """Return the model as column bounds, costs, integrality and COO rows."""
        rows = _Rows()
        self._add_choice_rows(rows)
        self._add_year_rows(rows)
        big = self._add_order_rows(rows)
        return self._columns(big) | {"rows": rows}

    def _add_choice_rows(self, rows: _Rows) -> None:
        """Add rows: a candidate and an edge laid at most once, each year's budget per line."""
        p = self.prep
        opt = np.arange(p.n_options)
        for key in (p.opt_cand, p.opt_edge):
            groups, counts = np.unique(key, return_counts=True)
            for g in groups[counts > 1]:
                members = opt[key == g]
                rows.add(members, np.ones(len(members)), -np.inf, 1.0)
        for line in (0, 1):
            for t in range(p.n_years):
                members = opt[(p.opt_own == bool(line)) & (p.opt_year == t)]
                if len(members):
                    rows.add(members, p.opt_cost[members], -np.inf, p.budgets[line, t])

    def _add_year_rows(self, rows: _Rows) -> None:
        """Add rows per year: arcs on laid edges, one arc into a reached node, arcs kept."""
        p = self.prep
        opt = np.arange(p.n_options)
        laid_by = [opt[p.opt_edge == j] for j in range(p.n_edges)]
        arcs_of: list[list[int]] = [[] for _ in range(p.n_edges)]
        for a, j in enumerate(self.arc_edge.tolist()):
            arcs_of[j].append(a)
        into: list[list[int]] = [[] for _ in range(p.n_nodes)]
        for a, v in enumerate(self.arc_head.tolist()):
            into[v].append(a)
        for t in range(p.n_years):
            for j in range(p.n_edges):
                opts = laid_by[j][p.opt_year[laid_by[j]] <= t]
                if arcs_of[j]:
                    cols = np.concatenate([self._a(np.asarray(arcs_of[j]), t), opts])
                    vals = np.concatenate([np.ones(len(arcs_of[j])), -np.ones(len(opts))])
                    rows.add(cols, vals, -np.inf, 0.0)
            for v in range(1, p.n_nodes):
                cols = np.concatenate(
                    [self._a(np.asarray(into[v], dtype=np.int64), t), [self._r(v, t)]]
                )
                vals = np.concatenate([np.ones(len(into[v])), [-1.0]])
                rows.add(cols, vals, 0.0, 0.0)
            tail = self.arc_tail
            inner = np.flatnonzero(tail != 0)
            rows.add_pairs(self._a(inner, t), self._r(tail[inner], t), -np.inf, 0.0)
            if t + 1 < p.n_years:
                all_arcs = np.arange(self.n_arcs)
                rows.add_pairs(self._a(all_arcs, t), self._a(all_arcs, t + 1), -np.inf, 0.0)
            self._add_served_edge_rows(rows, laid_by, t)

    def _add_served_edge_rows(self, rows: _Rows, laid_by: list[np.ndarray], t: int) -> None:
        """Add rows: an edge's households count in year ``t`` only when laid and reached."""
        p = self.prep
        for i, j in enumerate(self.z_edges.tolist()):
            z = int(self._z(i, t))
            for end in {int(p.edge_u[j]), int(p.edge_v[j])}:
                if end != 0:
                    rows.add(np.array([z, self._r(end, t)]), np.array([1.0, -1.0]), -np.inf, 0.0)
            opts = laid_by[j][p.opt_year[laid_by[j]] <= t]
            rows.add(
                np.concatenate([[z], opts]),
                np.concatenate([[1.0], -np.ones(len(opts))]),
                -np.inf,
                0.0,
            )

    def _add_order_rows(self, rows: _Rows) -> float:
        """Add MTZ on the horizon arborescence, d_v - d_u - N a_uv >= 1 - N; return N."""
        big = float(max(self.prep.n_nodes - 1, 1))
        last = self.prep.n_years - 1
        inner = np.flatnonzero(self.arc_tail != 0)
        for a in inner.tolist():
            u, v = int(self.arc_tail[a]), int(self.arc_head[a])
            rows.add(
                np.array([self._d(v), self._d(u), self._a(a, last)]),
                np.array([1.0, -1.0, -big]),
                1.0 - big,
                np.inf,
            )
        return big

    def _columns(self, big: float) -> dict[str, Any]:
        """Return the columns' costs (households reached, early years weighted), bounds, types."""
        p = self.prep
        n_years, k, w = p.n_years, p.n_nodes, p.early_weight
        cost = np.zeros(self.n_cols)
        weight = np.full(n_years, w)
        weight[-1] += 1.0
        for t in range(n_years):
            cost[self._r(np.arange(1, k), t)] = p.node_prize[1:] * weight[t]
            cost[self._z(np.arange(len(self.z_edges)), t)] = (
                p.edge_households[self.z_edges] * weight[t]
            )
        lower = np.zeros(self.n_cols)
        upper = np.ones(self.n_cols)
        lower[self.base_d :] = 1.0
        upper[self.base_d :] = big
        integrality = np.zeros(self.n_cols, dtype=np.int32)
        integrality[: self.base_r] = 1
        return {
            "cost": cost,
            "lower": lower,
            "upper": upper,
            "integrality": integrality,
            "offset": p.baseline * (1.0 + w * n_years),
        }

    # -- solving ---------------------------------------------------------------------

    def solve(
        self,
        time_limit: float = 60.0,
        *,
        mip_gap: float = 1e-3,
        warm_start: bool = True,
        cut_rounds: int = 20,
        verbose: bool = False,
    ) -> CoDigMILP:
        """Solve the model with HiGHS; return the model with its status set.

        Parameters
        ----------
        time_limit : float
            Seconds for the whole solve: up to a quarter for the cut rounds,
            the rest (but at least half a second) for branch and bound.
        mip_gap : float
            Relative gap at which HiGHS may stop and call the plan optimal.
        warm_start : bool
            Start from the greedy plan, so the MILP is never worse than it.
        cut_rounds : int
            At most this many rounds of directed cuts on the LP relaxation.
        verbose : bool
            Show the HiGHS log.

        Returns
        -------
        CoDigMILP
            ``self``, with ``status``, ``objective``, ``bound``, ``gap`` set.

        Raises
        ------
        SolverError
            When HiGHS fails to load or solve the model.
        """
        started = time.perf_counter()
        p = self.prep
        if p.n_options == 0:
            self.status = "no candidates"
            self.objective = self.bound = reduced_objective(p, self.options)
            self.gap = 0.0
            self.runtime_s = time.perf_counter() - started
            return self
        import highspy  # heavy; only when the MILP is used

        model = self._build()
        h = highspy.Highs()
        self._stop_late_runs(h)
        h.setOptionValue("output_flag", bool(verbose))
        h.setOptionValue("random_seed", 2019)
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        rows: _Rows = model["rows"]
        a_matrix = rows.matrix(self.n_cols)
        # highspy's stubs name list[float] where it takes any float array
        status = h.passModel(  # type: ignore[call-overload]
            self.n_cols,
            rows.count,
            a_matrix.nnz,
            2,  # row-wise
            highspy.ObjSense.kMaximize,
            model["offset"],
            model["cost"],
            model["lower"],
            model["upper"],
            np.asarray(rows.lower, dtype=float),
            np.asarray(rows.upper, dtype=float),
            a_matrix.indptr.astype(np.int32),
            a_matrix.indices.astype(np.int32),
            a_matrix.data.astype(float),
            model["integrality"],
        )
        if status == highspy.HighsStatus.kError:
            raise SolverError("HiGHS refused the co-digging model (a bug: please report it)")
        start_options = greedy_options(p) if warm_start else None
        self._cut_rounds(h, highspy, started, time_limit, cut_rounds)
        if start_options is not None:
            solution = self.solution_vector(start_options)
            h.setSolution(self.n_cols, np.arange(self.n_cols, dtype=np.int32), solution)
        h.setOptionValue("solve_relaxation", False)
        self._run_for(h, max(time_limit - (time.perf_counter() - started), 0.5))
        self._read(h, highspy, start_options)
        self.runtime_s = time.perf_counter() - started
        return self

    def _stop_late_runs(self, h: Any) -> None:
        """Interrupt HiGHS once the wall clock passes :attr:`deadline`.

        HiGHS checks its own ``time_limit`` only between some steps: on the
        demo's own-dig model one round of root separation ran 300 s past a
        120 s limit. Its simplex and MIP interrupt callbacks come often; each
        run sets the deadline to its time limit and a little more
        (:meth:`_run_for`).
        """

        def stop(event: Any) -> None:
            if time.perf_counter() > self.deadline:
                event.interrupt()

        h.cbSimplexInterrupt += stop
        h.cbMipInterrupt += stop

    def _run_for(self, h: Any, seconds: float) -> None:
        """Run HiGHS with a time limit of ``seconds``, interrupted soon after if it overruns."""
        h.setOptionValue("time_limit", float(seconds))
        self.deadline = time.perf_counter() + seconds + _OVERRUN_S
        h.run()

    def _cut_rounds(
        self, h: Any, highspy: Any, started: float, time_limit: float, rounds: int
    ) -> None:
        """Tighten the LP relaxation with directed cuts before branching.

        Stops after ``rounds`` rounds, when a round finds no violated cut or
        moves the bound by less than 0.01 %, or after a quarter of the time.
        """
        h.setOptionValue("solve_relaxation", True)
        deadline = started + 0.25 * time_limit
        for _ in range(rounds):
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            self._run_for(h, left)
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                break
            bound = float(h.getInfo().objective_function_value)
            if self.lp_bound is None:
                self.lp_bound = bound
            elif self.root_bound is not None and self.root_bound - bound < 1e-4 * abs(bound):
                self.root_bound = bound
                break
            self.root_bound = bound
            values = np.asarray(h.getSolution().col_value)
            cuts = self._separate(values, deadline)
            if not cuts.count:
                break
            m = cuts.matrix(self.n_cols)
            h.addRows(
                cuts.count,
                np.asarray(cuts.lower, dtype=float),
                np.asarray(cuts.upper, dtype=float),
                m.nnz,
                m.indptr[:-1].astype(np.int32),
                m.indices.astype(np.int32),
                m.data.astype(float),
            )
            self.cuts += cuts.count

    def _separate(self, values: np.ndarray, deadline: float) -> _Rows:
        """Directed cuts violated by an LP solution.

        First the cheap ones: parts of the arc support graph cut off from
        node 0 (nothing flows in). Then, per year and linked node, a maximum
        flow from node 0 over the arc values, while time allows.
        """
        p = self.prep
        k, n_years = p.n_nodes, p.n_years
        cuts = _Rows()
        seen: set[tuple[int, frozenset[int]]] = set()
        tail, head = self.arc_tail, self.arc_head

        def add(sink_side: np.ndarray) -> None:
            key = frozenset(np.flatnonzero(sink_side).tolist())
            for tt in range(n_years):
                if (tt, key) not in seen:
                    self._add_cut(cuts, values, sink_side, tt)
                    seen.add((tt, key))

        graphs = []
        for t in range(n_years):
            a_val = values[self._a(np.arange(self.n_arcs), t)]
            r_val = np.concatenate([[1.0], values[self._r(np.arange(1, k), t)]])
            support = a_val > 1e-9
            cap = np.round(a_val[support] * _FLOW_SCALE).astype(np.int32)
            graph = csr_matrix((cap, (tail[support], head[support])), shape=(k, k))
            graph.sum_duplicates()
            label = connected_components(graph, directed=False)[1]
            cut_off = (label != label[0]) & (r_val > _CUT_TOL)
            for part in np.unique(label[cut_off]).tolist():
                add(label == part)
            graphs.append((graph, r_val))
        if cuts.count:
            return cuts
        for graph, r_val in graphs:
            covered = np.zeros(k, dtype=bool)
            for v in np.argsort(-r_val).tolist():
                if r_val[v] <= _CUT_TOL or time.perf_counter() > deadline:
                    break
                if v == 0 or covered[v]:
                    continue
                flow = maximum_flow(graph, 0, v)
                if flow.flow_value / _FLOW_SCALE >= r_val[v] - _CUT_TOL:
                    continue
                sink_side = self._sink_side(graph, flow.flow, k)
                covered |= sink_side
                add(sink_side)
        return cuts

    def _sink_side(self, graph: csr_matrix, flow: csr_matrix, k: int) -> np.ndarray:
        residual = (graph - flow).tocsr()
        residual.data = np.where(residual.data > 0, residual.data, 0)
        residual.eliminate_zeros()
        reach = breadth_first_order(residual, 0, directed=True, return_predecessors=False)
        sink = np.ones(k, dtype=bool)
        sink[reach] = False
        return sink

    def _add_cut(self, cuts: _Rows, values: np.ndarray, sink: np.ndarray, t: int) -> None:
        """Add sum of a over arcs into ``sink`` >= r_{v,t} for its violated nodes (at most 3)."""
        entering = np.flatnonzero(~sink[self.arc_tail] & sink[self.arc_head])
        cols = self._a(entering, t)
        inflow = float(values[cols].sum())
        nodes = np.flatnonzero(sink)
        r_val = values[self._r(nodes, t)]
        violated = nodes[r_val > inflow + _CUT_TOL]
        for v in violated[np.argsort(-values[self._r(violated, t)])][:3].tolist():
            cuts.add(
                np.concatenate([cols, [self._r(v, t)]]),
                np.concatenate([np.ones(len(cols)), [-1.0]]),
                0.0,
                np.inf,
            )

    def _read(self, h: Any, highspy: Any, start_options: np.ndarray | None) -> None:
        status = h.getModelStatus()
        names = {
            highspy.HighsModelStatus.kOptimal: "optimal",
            highspy.HighsModelStatus.kTimeLimit: "time limit",
            highspy.HighsModelStatus.kInfeasible: "infeasible",
            highspy.HighsModelStatus.kInterrupt: "interrupted",
        }
        self.status = names.get(status, h.modelStatusToString(status).lower())
        if self.status == "interrupted" and time.perf_counter() > self.deadline:
            self.status = "time limit"  # stopped by our clock (_stop_late_runs), not a user
        info = h.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        if status == highspy.HighsModelStatus.kInfeasible:
            raise SolverError(
                "HiGHS calls the co-digging model infeasible, but laying nothing is always a "
                "plan: the instance or the model is inconsistent (please report it)"
            )
        bound = float(info.mip_dual_bound)
        self.bound = bound if np.isfinite(bound) else None
        if has_solution:
            values = np.asarray(h.getSolution().col_value)
            self.options = np.flatnonzero(values[: self.n_x] > 0.5)
            self.objective = reduced_objective(self.prep, self.options)
        if start_options is not None:  # the better of HiGHS's plan and the greedy start
            start = reduced_objective(self.prep, start_options)
            if self.objective is None or start > self.objective + 1e-9:
                self.options, self.objective = start_options, start
        if self.objective is not None and self.bound is not None:
            self.bound = max(self.bound, self.objective)
            self.gap = (self.bound - self.objective) / abs(self.bound) if self.bound else 0.0

    # -- greedy/known plans as model solutions ---------------------------------------

    def solution_vector(self, options: np.ndarray) -> np.ndarray:
        """Return the full column vector of the model for a set of options.

        The arborescence grows breadth-first year by year over the laid
        edges, so it is nested over the years as the model demands.

        Parameters
        ----------
        options : array of int
            Chosen option indices.

        Returns
        -------
        numpy.ndarray
            One value per model column (a feasible solution).
        """
        p = self.prep
        k, n_years = p.n_nodes, p.n_years
        values = np.zeros(self.n_cols)
        values[options] = 1.0
        first = np.full(p.n_edges, n_years, dtype=np.int64)
        np.minimum.at(first, p.opt_edge[options], p.opt_year[options])
        adjacency: list[list[tuple[int, int]]] = [[] for _ in range(k)]
        for a in range(self.n_arcs):
            adjacency[int(self.arc_tail[a])].append((int(self.arc_head[a]), a))
        reached = np.full(k, n_years, dtype=np.int64)
        reached[0] = 0
        depth = np.zeros(k)
        parent_arc = np.full(k, -1, dtype=np.int64)
        linked = [0]
        for t in range(n_years):
            queue = deque(linked)
            while queue:
                u = queue.popleft()
                for v, a in adjacency[u]:
                    if reached[v] == n_years and first[self.arc_edge[a]] <= t:
                        reached[v], parent_arc[v], depth[v] = t, a, depth[u] + 1
                        linked.append(v)
                        queue.append(v)
        for v in range(1, k):
            values[self._d(v)] = max(depth[v], 1.0)
            if parent_arc[v] >= 0:
                ts = np.arange(reached[v], n_years)
                values[self._a(parent_arc[v], ts)] = 1.0
                values[self._r(v, ts)] = 1.0
        r_all = np.vstack([np.arange(n_years) >= reached[v] for v in range(k)])
        for i, j in enumerate(self.z_edges.tolist()):
            u, v = int(p.edge_u[j]), int(p.edge_v[j])
            covered = (np.arange(n_years) >= first[j]) & r_all[u] & r_all[v]
            values[self._z(i, np.flatnonzero(covered))] = 1.0
        return values

    def to_plan(self) -> Plan:
        """Return the best plan found as a :class:`Plan`.

        Raises
        ------
        SolverError
            When the model has not been solved, or no plan was found in time.
        """
        if self.status == "not solved":
            raise SolverError("call solve() before to_plan()")
        if self.objective is None:
            raise SolverError(
                f"HiGHS found no plan ({self.status}); give it more time (time_limit) or "
                "start it from the greedy plan (warm_start=True)"
            )
        message = {
            "optimal": "proven optimal (within the MIP gap)",
            "time limit": "stopped by the time limit: the best plan found and its gap to the bound",
            "no candidates": "no candidate can be laid within the budgets: nothing to plan",
        }.get(self.status, "")
        return build_plan(
            self.instance,
            self.prep,
            self.prep.opt_cand[self.options],
            self.prep.opt_year[self.options],
            method="milp",
            status=self.status,
            bound=self.bound,
            runtime_s=self.runtime_s,
            message=message,
        )


class _Rows:
    """Constraint rows collected as COO triplets."""

    def __init__(self) -> None:
        self.row: list[np.ndarray] = []
        self.col: list[np.ndarray] = []
        self.val: list[np.ndarray] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.count = 0

    def add(self, cols: np.ndarray, vals: np.ndarray, lower: float, upper: float) -> None:
        cols = np.asarray(cols, dtype=np.int64).ravel()
        self.row.append(np.full(len(cols), self.count, dtype=np.int64))
        self.col.append(cols)
        self.val.append(np.asarray(vals, dtype=float).ravel())
        self.lower.append(lower)
        self.upper.append(upper)
        self.count += 1

    def add_pairs(self, first: np.ndarray, second: np.ndarray, lower: float, upper: float) -> None:
        """Add the rows ``first[i] - second[i]`` in [lower, upper]."""
        n = len(first)
        rows = np.arange(self.count, self.count + n, dtype=np.int64)
        self.row += [rows, rows]
        self.col += [np.asarray(first, dtype=np.int64), np.asarray(second, dtype=np.int64)]
        self.val += [np.ones(n), -np.ones(n)]
        self.lower += [lower] * n
        self.upper += [upper] * n
        self.count += n

    def matrix(self, n_cols: int) -> csr_matrix:
        if not self.row:
            return csr_matrix((0, n_cols))
        row = np.concatenate(self.row)
        col = np.concatenate(self.col)
        val = np.concatenate(self.val)
        return csr_matrix((val, (row, col)), shape=(self.count, n_cols))
