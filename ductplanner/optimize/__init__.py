"""Choose which co-digging stretches to lay, year by year, within the budgets.

One public function, several methods (networkx-style)::

    plan(instance)                    # "milp": the greedy plan, improved by HiGHS; its gap
    plan(instance, method="greedy")   # fast, connectivity-aware heuristic, no bound
    plan(instance, method="fcfs")     # baseline: join digs as they come

The problem lives in a :class:`PlanningInstance` of plain arrays (street
graph, candidate stretches, yearly budgets; see :mod:`._instance` for the
model); the opportunities step builds one from the workspace, and
:func:`random_instance` makes grid towns for tests and benchmarks.
:func:`ductplanner.app.workflows.plan.plan_workspace` plans a workspace and
writes its ``plan`` layer (``ductplanner plan``).

>>> inst = random_instance(7, rows=5, cols=5)
>>> p = plan(inst, method="greedy")
>>> sorted(p.summary())[:4]
['bound', 'budget_dkk', 'chosen', 'digs_left_out']
>>> all(s <= b for s, b in zip(p.spent_dkk, p.budget_dkk))
True
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..core._errors import InputError, Problem
from ._from_opportunities import PLAN_COLUMNS, plan_layer, planning_instance
from ._instance import KINDS, PlanningInstance, random_instance
from ._plan import CHOSEN_COLUMNS, Plan, build_plan, gap_kind
from ._prepare import prepare
from ._why import why_nothing_chosen
from .fcfs import fcfs_candidates
from .greedy import greedy_options

__all__ = [
    "CHOSEN_COLUMNS",
    "KINDS",
    "METHODS",
    "PLAN_COLUMNS",
    "CoDigMILP",
    "Plan",
    "PlanningInstance",
    "gap_kind",
    "plan",
    "plan_layer",
    "planning_instance",
    "random_instance",
]

METHODS = ("milp", "greedy", "fcfs")
"""The planning methods :func:`plan` offers."""


def __getattr__(name: str) -> Any:
    if name == "CoDigMILP":  # keeps highspy out of imports that never solve a MILP
        from .milp import CoDigMILP

        return CoDigMILP
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def plan(
    instance: PlanningInstance,
    method: str = "milp",
    *,
    min_probability: float = 0.0,
    early_weight: float | None = None,
    time_limit: float = 60.0,
    mip_gap: float = 1e-3,
    warm_start: bool = True,
    price_rounds: int = 4,
    improve: int = 40,
) -> Plan:
    """Choose the stretches to lay in each plan year.

    Parameters
    ----------
    instance : PlanningInstance
        Street graph, candidates and yearly budgets.
    method : {"milp", "greedy", "fcfs"}
        ``milp`` (default): the greedy plan first, then the exact model of
        :class:`CoDigMILP` solved by HiGHS from it until it is proven within
        ``mip_gap`` or ``time_limit`` stops it; the better of the two plans,
        with the proven gap to the best possible. ``greedy``: grows the duct
        tree by households per DKK, seeing which later digs will link a
        stretch (fast; no bound). ``fcfs``: joins digs in the order they start
        while the money lasts (the manual baseline).
    min_probability : float
        Leave out candidates less likely than this to open their trench.
    early_weight : float, optional
        Weight of household-years (covering earlier) in the objective;
        default so small that it never outweighs one household at the horizon.
    time_limit : float
        MILP only: seconds for the solve.
    mip_gap : float
        MILP only: relative gap at which the plan counts as optimal.
    warm_start : bool
        MILP only: start from the greedy plan.
    price_rounds : int
        Greedy only: at most this many runs, re-pricing the money each run
        left unspent.
    improve : int
        Greedy only: at most this many ruin-and-recreate tries (0: none).

    Returns
    -------
    Plan
        With status ``"no candidates"`` (and nothing chosen) when no candidate
        can be laid within the budgets.

    Raises
    ------
    InputError
        Unknown method, or options out of range.
    SolverError
        The MILP found no plan.
    """
    _check_options(method, min_probability, early_weight, time_limit, mip_gap)
    if price_rounds < 1 or improve < 0:
        raise InputError(
            [
                Problem(
                    "plan()",
                    "",
                    "",
                    "price_rounds" if price_rounds < 1 else "improve",
                    "range",
                    f"price_rounds={price_rounds}, improve={improve}: need price_rounds >= 1 "
                    "and improve >= 0",
                )
            ],
            summary="invalid plan() options",
        )
    started = time.perf_counter()
    if method == "milp":
        from .milp import CoDigMILP

        model = CoDigMILP(instance, min_probability=min_probability, early_weight=early_weight)
        solved = model.solve(time_limit=time_limit, mip_gap=mip_gap, warm_start=warm_start)
        result = solved.to_plan()
        if len(result.chosen) == 0:
            result.message = why_nothing_chosen(instance, min_probability)
        return result
    prep = prepare(instance, min_probability=min_probability, early_weight=early_weight)
    if method == "fcfs":
        cand, year = fcfs_candidates(instance, min_probability=min_probability)
        status, prune, message = "baseline", False, "digs joined first come, first served"
    else:
        options = greedy_options(prep, price_rounds=price_rounds, improve=improve)
        cand, year = prep.opt_cand[options], prep.opt_year[options]
        status, prune, message = "heuristic", True, "greedy: no optimality guarantee"
    if len(cand) == 0:
        message = why_nothing_chosen(instance, min_probability)
        status = "no candidates" if prep.n_options == 0 else status
    return build_plan(
        instance,
        prep,
        cand,
        year,
        method=method,
        status=status,
        prune=prune,
        runtime_s=time.perf_counter() - started,
        message=message,
    )


def _check_options(
    method: str,
    min_probability: float,
    early_weight: float | None,
    time_limit: float,
    mip_gap: float,
) -> None:
    problems = []

    def bad(name: str, message: str, hint: str) -> None:
        problems.append(Problem("plan()", "", "", name, "allowed", message, hint))

    if method not in METHODS:
        bad("method", f"{method!r} is not a planning method", f"use one of: {', '.join(METHODS)}")
    if not 0.0 <= min_probability <= 1.0:
        bad("min_probability", f"{min_probability} is not in [0, 1]", "give a probability")
    if early_weight is not None and not (np.isfinite(early_weight) and early_weight >= 0):
        bad("early_weight", f"{early_weight} is negative or not a number", "give a weight >= 0")
    if not time_limit > 0:
        bad("time_limit", f"{time_limit} is not a positive number of seconds", "e.g. 60")
    if not 0.0 <= mip_gap < 1.0:
        bad("mip_gap", f"{mip_gap} is not in [0, 1)", "e.g. 0.001")
    if problems:
        raise InputError(problems, summary="invalid plan() options")
