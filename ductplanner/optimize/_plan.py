"""The plan every method returns, and how a plan explains itself."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._instance import PlanningInstance
from ._prepare import Prepared, coverage_from

__all__ = ["CHOSEN_COLUMNS", "Plan", "build_plan", "gap_kind", "plan_objective"]

PROVEN_BEST_GAP = 5e-5
"""A proven gap below this (0.005 %, less than one household in 20,000) is "the best possible"."""


def gap_kind(gap: float | None) -> Literal["unknown", "best", "within"]:
    """Say what a plan's proven gap means: none known, the best possible, or within it.

    >>> gap_kind(None), gap_kind(0.0), gap_kind(0.002)
    ('unknown', 'best', 'within')
    """
    if gap is None:
        return "unknown"
    return "best" if gap < PROVEN_BEST_GAP else "within"


CHOSEN_COLUMNS = (
    "cand_id",
    "dig_id",
    "owner",
    "kind",
    "edge_id",
    "year",
    "metres",
    "cost_dkk",
    "probability",
    "households",
    "links_households",
    "covered_from",
    "reason",
)
"""Columns of :attr:`Plan.chosen`, one row per chosen stretch."""


@dataclass
class Plan:
    """Which stretches to lay in which year, what it costs and what it covers.

    Attributes
    ----------
    method : str
        ``"greedy"``, ``"milp"`` or ``"fcfs"``.
    status : str
        ``"optimal"``, ``"time limit"`` (MILP stopped with a feasible plan),
        ``"heuristic"`` (greedy), ``"baseline"`` (fcfs), or ``"no candidates"``
        when nothing could be laid.
    years : list of int
        The plan years.
    budget_dkk, spent_dkk : list of float
        Per plan year, co-dig plus own-dig budget and what the plan spends.
    budget_co_dig_dkk, budget_own_dig_dkk, spent_co_dig_dkk, spent_own_dig_dkk : list of float
        The same, per budget line.
    metres : float
        Metres of duct laid.
    households_covered : float
        Households covered in the last plan year (the horizon), including
        those covered before the plan.
    households_by_year : list of float
        Households covered in each plan year.
    households_baseline : float
        Households covered by the existing ducts alone.
    optimality_gap : float or None
        ``(bound - objective) / bound`` where a MILP bound is known, else None.
    objective : float
        ``households_covered + early_weight * sum(households_by_year)``.
    bound : float or None
        The MILP's best bound on the objective, where it ran.
    early_weight : float
        Weight of household-years in the objective.
    chosen : pandas.DataFrame
        One row per chosen stretch: the columns of :data:`CHOSEN_COLUMNS`.
        ``households`` are those on the stretch's own street edge;
        ``links_households`` those beyond it whose link to the backbone runs
        through it; ``reason`` says why it is in the plan.
    runtime_s : float
        Seconds the method took.
    message : str
        What the status means for this plan.
    warnings : list of str
        What the planner must hear about its input.
    left_out : dict
        Digs that were no candidates, by cause (``declined``, ``done``, ...):
        ``{"digs": n, "ids": [...]}``.
    """

    method: str
    status: str
    years: list[int]
    budget_dkk: list[float]
    spent_dkk: list[float]
    metres: float
    households_covered: float
    households_by_year: list[float]
    households_baseline: float
    optimality_gap: float | None
    objective: float
    chosen: pd.DataFrame
    budget_co_dig_dkk: list[float] = field(default_factory=list)
    budget_own_dig_dkk: list[float] = field(default_factory=list)
    spent_co_dig_dkk: list[float] = field(default_factory=list)
    spent_own_dig_dkk: list[float] = field(default_factory=list)
    bound: float | None = None
    early_weight: float = 0.0
    runtime_s: float = 0.0
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    left_out: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Return the JSON summary (the public ``plan`` keys of the design, and more).

        Returns
        -------
        dict
            ``method``, ``status``, ``years``, ``budget_dkk``, ``spent_dkk``
            (lists aligned with ``years``), ``metres``, ``households_covered``,
            ``optimality_gap`` (None when unknown), ``chosen`` (a list of
            ``dig_id``, ``year``, ``metres``, ``cost_dkk``, ``households`` and
            more), plus ``households_by_year``, ``households_baseline``,
            ``objective``, ``bound``, ``runtime_s``, ``message``,
            ``warnings`` (texts: what the planner must hear about its input),
            ``left_out`` (cause -> ``digs``, ``ids``: digs that were no
            candidates, e.g. declined) and ``digs_left_out``.
        """
        chosen = [
            {
                "dig_id": str(r.dig_id),
                "year": int(r.year),
                "metres": round(float(r.metres), 1),
                "cost_dkk": round(float(r.cost_dkk), 2),
                "households": float(r.households),
                "cand_id": str(r.cand_id),
                "edge_id": str(r.edge_id),
                "owner": str(r.owner),
                "kind": str(r.kind),
                "links_households": float(r.links_households),
                "reason": str(r.reason),
            }
            for r in self.chosen.itertuples(index=False)
        ]
        return {
            "method": self.method,
            "status": self.status,
            "years": [int(y) for y in self.years],
            "budget_dkk": _floats(self.budget_dkk),
            "spent_dkk": _floats(self.spent_dkk),
            "metres": round(float(self.metres), 1),
            "households_covered": float(self.households_covered),
            "optimality_gap": None if self.optimality_gap is None else float(self.optimality_gap),
            "chosen": chosen,
            "households_by_year": _floats(self.households_by_year),
            "households_baseline": float(self.households_baseline),
            "objective": float(self.objective),
            "bound": None if self.bound is None else float(self.bound),
            "runtime_s": round(float(self.runtime_s), 3),
            "message": self.message,
            "warnings": list(self.warnings),
            "left_out": dict(self.left_out),
            "digs_left_out": sum(int(e.get("digs", 0)) for e in self.left_out.values()),
        }

    def gap_text(self) -> str:
        """Say how far the plan is from the best possible: its proven gap, or that none is known.

        >>> from ductplanner.optimize import plan, random_instance
        >>> plan(random_instance(7, rows=4, cols=4), method="greedy").gap_text()
        'no proven gap: greedy is a heuristic without a bound'
        """
        if self.optimality_gap is None:
            return f"no proven gap: {self.method} is a heuristic without a bound"
        if gap_kind(self.optimality_gap) == "best":
            return "proven the best possible"
        return f"proven within {100 * self.optimality_gap:.2f} % of the best possible"

    def describe(self) -> str:
        """Return a short text for people: totals per year, then every stretch and why."""
        lines = [
            f"{self.method} plan ({self.status}; {self.gap_text()}): {len(self.chosen)} stretches, "
            f"{self.metres:,.0f} m, {self.households_covered:g} households covered in "
            f"{self.years[-1]} ({self.households_baseline:g} before the plan)"
        ]
        for i, year in enumerate(self.years):
            lines.append(
                f"  {year}: spend DKK {self.spent_dkk[i]:,.0f} of {self.budget_dkk[i]:,.0f}, "
                f"{self.households_by_year[i]:g} households covered"
            )
        for r in self.chosen.itertuples(index=False):
            lines.append(f"  - {r.year} {r.dig_id} ({r.owner}) on {r.edge_id}: {r.reason}")
        if self.message:
            lines.append(self.message)
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _floats(values: Any) -> list[float]:
    return [float(v) for v in values]


def plan_objective(
    inst: PlanningInstance, covered: np.ndarray, early_weight: float
) -> tuple[float, list[float], float]:
    """Return (households at the horizon, households per year, objective).

    The households are counted as they are; the objective weighs them as the
    instance's ``edge_weight`` says (the solvers' bound is in the same units).

    Parameters
    ----------
    inst : PlanningInstance
        The problem.
    covered : array of int
        Per street edge the first covered year index (see :func:`coverage_from`).
    early_weight : float
        Weight of household-years.
    """
    h, w = inst.edge_households, inst.edge_weight
    by_year = [float(h[covered <= t].sum()) for t in range(inst.n_years)]
    worth = [float(w[covered <= t].sum()) for t in range(inst.n_years)]
    return by_year[-1], by_year, worth[-1] + early_weight * float(sum(worth))


def _prune(
    inst: PlanningInstance, opt_edge: np.ndarray, opt_year: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return a mask of options worth keeping, and the coverage they give.

    Drops stretches never linked to the backbone and, repeatedly, stretches
    without households that hang off the duct network at a dead end: neither
    covers nor links anything, so leaving them out loses nothing.
    """
    keep = np.ones(len(opt_edge), dtype=bool)
    roots = np.zeros(inst.n_nodes, dtype=bool)
    roots[inst.root_nodes] = True
    while True:
        covered = coverage_from(inst, opt_edge[keep], opt_year[keep])
        useless = keep & (covered[opt_edge] >= inst.n_years)
        laid = inst.has_duct.copy()
        laid[opt_edge[keep]] = True
        degree = np.bincount(inst.edge_u[laid], minlength=inst.n_nodes) + np.bincount(
            inst.edge_v[laid], minlength=inst.n_nodes
        )
        u, v = inst.edge_u[opt_edge], inst.edge_v[opt_edge]
        dead_end = ((degree[u] == 1) & ~roots[u]) | ((degree[v] == 1) & ~roots[v])
        useless |= keep & dead_end & (inst.edge_households[opt_edge] == 0)
        if not useless.any():
            return keep, covered
        keep &= ~useless


@dataclass
class _Tree:
    """A nested-by-year spanning forest of the covered duct network."""

    parent_edge: np.ndarray  # per node, the tree edge towards the backbone (-1: none)
    parent_node: np.ndarray
    order: np.ndarray  # per node, the position in which it was reached (-1: root)
    links: np.ndarray  # per edge: households beyond it (tree edges only)


def _duct_tree(inst: PlanningInstance, first_laid: np.ndarray) -> _Tree:
    n, n_years = inst.n_nodes, inst.n_years
    laid = np.flatnonzero(first_laid < n_years)
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for e in laid.tolist():
        a, b = int(inst.edge_u[e]), int(inst.edge_v[e])
        adjacency[a].append((b, e))
        adjacency[b].append((a, e))
    parent_edge = np.full(n, -1, dtype=np.int64)
    parent_node = np.full(n, -1, dtype=np.int64)
    order = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    order[inst.root_nodes] = -1
    reached_list: list[int] = [int(r) for r in inst.root_nodes]
    position = 0
    for t in range(n_years):
        queue = deque(reached_list)
        while queue:
            a = queue.popleft()
            for b, e in adjacency[a]:
                if first_laid[e] <= t and order[b] == np.iinfo(np.int64).max:
                    order[b] = position
                    position += 1
                    parent_edge[b], parent_node[b] = e, a
                    reached_list.append(b)
                    queue.append(b)
    covered_edges = laid[
        np.maximum(order[inst.edge_u[laid]], order[inst.edge_v[laid]]) < np.iinfo(np.int64).max
    ]
    owner = np.where(
        order[inst.edge_u[covered_edges]] > order[inst.edge_v[covered_edges]],
        inst.edge_u[covered_edges],
        inst.edge_v[covered_edges],
    )
    below = np.zeros(n)
    np.add.at(below, owner, inst.edge_households[covered_edges])
    for node in sorted(reached_list, key=lambda x: -order[x]):
        if parent_node[node] >= 0:
            below[parent_node[node]] += below[node]
    links = np.zeros(inst.n_edges)
    children = np.flatnonzero(parent_edge >= 0)
    links[parent_edge[children]] = below[children] - inst.edge_households[parent_edge[children]]
    return _Tree(parent_edge, parent_node, order, links)


def _connector(
    inst: PlanningInstance, tree: _Tree, edge: int, first_laid: np.ndarray, when: int
) -> int:
    """Return the edge laid in year index ``when`` that links ``edge`` to the backbone."""
    u, v = int(inst.edge_u[edge]), int(inst.edge_v[edge])
    node = u if tree.parent_edge[v] == edge else v
    if tree.parent_edge[v] != edge and tree.parent_edge[u] != edge:
        node = u if tree.order[u] < tree.order[v] else v
    while node >= 0 and tree.parent_edge[node] >= 0:
        e = int(tree.parent_edge[node])
        if first_laid[e] == when:
            return e
        node = int(tree.parent_node[node])
    return -1


def _dig_name(inst: PlanningInstance, c: int) -> str:
    owner = str(inst.cand_owner[c])
    return f"dig {inst.cand_dig_id[c]}" + (f" ({owner})" if owner else "")


def _reasons(
    inst: PlanningInstance,
    cand: np.ndarray,
    opt_year: np.ndarray,
    covered: np.ndarray,
    first_laid: np.ndarray,
    tree: _Tree,
) -> tuple[list[str], np.ndarray]:
    """Say for every chosen stretch what it covers, what it links, and when."""
    n_years = inst.n_years
    edges = inst.cand_edge[cand]
    laid_by = {int(e): int(c) for e, c in zip(edges, cand, strict=True)}
    on_tree = (tree.parent_edge[inst.edge_u[edges]] == edges) | (
        tree.parent_edge[inst.edge_v[edges]] == edges
    )
    links = np.where(on_tree & (covered[edges] < n_years), tree.links[edges], 0.0)
    reasons: list[str] = []
    for i, (c, e, t) in enumerate(
        zip(cand.tolist(), edges.tolist(), opt_year.tolist(), strict=True)
    ):
        h, cost, when = (
            float(inst.edge_households[e]),
            float(inst.cand_cost_dkk[c]),
            int(covered[e]),
        )
        if when >= n_years:
            reasons.append(
                f"not linked to the backbone by {inst.years[-1]}: covers nothing within the plan"
            )
            continue
        if h > 0:
            parts = [f"covers {h:g} households from {inst.years[when]} (DKK {cost / h:,.0f} each)"]
        else:
            parts = ["no households on this street"]
        if links[i] > 0:
            per = f" (DKK {cost / links[i]:,.0f} per household linked)" if h == 0 else ""
            parts.append(f"links {links[i]:g} more households beyond it{per}")
        elif h == 0:
            parts.append("links nothing beyond it")
        if when > t:
            via = _connector(inst, tree, e, first_laid, when)
            by = _dig_name(inst, laid_by[via]) if via in laid_by else "a later stretch"
            owner = str(inst.cand_owner[c])
            trench = f"while {owner}'s trench is open" if owner else "while the trench is open"
            if inst.cand_own[c]:
                trench = "in our own trench"
            parts.append(
                f"laid in {inst.years[t]} {trench}, linked to the backbone in "
                f"{inst.years[when]} by {by}"
            )
        reasons.append("; ".join(parts))
    return reasons, links


def build_plan(
    inst: PlanningInstance,
    prep: Prepared,
    cand: np.ndarray,
    year: np.ndarray,
    *,
    method: str,
    status: str,
    prune: bool = True,
    bound: float | None = None,
    runtime_s: float = 0.0,
    message: str = "",
) -> Plan:
    """Evaluate chosen options exactly and return the explained :class:`Plan`.

    Parameters
    ----------
    inst : PlanningInstance
        The problem.
    prep : Prepared
        Its options (for the objective weight and the baseline).
    cand, year : arrays of int
        The chosen candidates and the year index each is laid in.
    method, status : str
        Recorded in the plan.
    prune : bool
        Leave out stretches that cover and link nothing (see :func:`_prune`).
    bound : float, optional
        A proven upper bound on the objective (MILP).
    runtime_s : float
        Seconds the method took.
    message : str
        Explains the status.

    Returns
    -------
    Plan
    """
    cand = np.asarray(cand, dtype=np.int64)
    year = np.asarray(year, dtype=np.int64)
    edge = inst.cand_edge[cand]
    if prune and len(cand):
        keep, covered = _prune(inst, edge, year)
        cand, year, edge = cand[keep], year[keep], edge[keep]
    else:
        covered = coverage_from(inst, edge, year)
    order = np.lexsort((inst.cand_id[cand].astype(str), inst.cand_dig_id[cand].astype(str), year))
    cand, year, edge = cand[order], year[order], edge[order]
    first_laid = np.full(inst.n_edges, inst.n_years, dtype=np.int64)
    first_laid[inst.has_duct] = 0
    first_laid[edge] = year
    tree = _duct_tree(inst, first_laid)
    reasons, links = _reasons(inst, cand, year, covered, first_laid, tree)
    households = np.where(covered[edge] < inst.n_years, inst.edge_households[edge], 0.0)
    chosen = pd.DataFrame(
        {
            "cand_id": inst.cand_id[cand].astype(str),
            "dig_id": inst.cand_dig_id[cand].astype(str),
            "owner": inst.cand_owner[cand].astype(str),
            "kind": inst.cand_kind[cand].astype(str),
            "edge_id": inst.edge_ids[edge].astype(str),
            "year": np.asarray(inst.years, dtype=np.int64)[year],
            "metres": inst.cand_metres[cand],
            "cost_dkk": inst.cand_cost_dkk[cand],
            "probability": inst.cand_probability[cand],
            "households": households,
            "links_households": links,
            "covered_from": [
                int(inst.years[c]) if c < inst.n_years else pd.NA for c in covered[edge]
            ],
            "reason": reasons,
        },
        columns=list(CHOSEN_COLUMNS),
    )
    chosen["covered_from"] = chosen["covered_from"].astype("Int64")
    horizon, by_year, objective = plan_objective(inst, covered, prep.early_weight)
    own = inst.cand_own[cand]
    cost = inst.cand_cost_dkk[cand]
    spent_co = np.bincount(year[~own], weights=cost[~own], minlength=inst.n_years)
    spent_own = np.bincount(year[own], weights=cost[own], minlength=inst.n_years)
    gap = None
    if bound is not None:
        gap = max(0.0, (bound - objective) / abs(bound)) if bound else 0.0
    return Plan(
        method=method,
        status=status,
        years=list(inst.years),
        budget_dkk=_floats(inst.budget_co_dig + inst.budget_own_dig),
        spent_dkk=_floats(spent_co + spent_own),
        metres=float(inst.cand_metres[cand].sum()),
        households_covered=horizon,
        households_by_year=by_year,
        households_baseline=prep.baseline,
        optimality_gap=gap,
        objective=objective,
        chosen=chosen,
        budget_co_dig_dkk=_floats(inst.budget_co_dig),
        budget_own_dig_dkk=_floats(inst.budget_own_dig),
        spent_co_dig_dkk=_floats(spent_co),
        spent_own_dig_dkk=_floats(spent_own),
        bound=bound,
        early_weight=prep.early_weight,
        runtime_s=runtime_s,
        message=message,
    )
