"""The regrowth forecast: what coverage each strategy reaches, and when, with what uncertainty.

A Monte Carlo simulation of the coming years. In every run:

1. *Digging.* Beyond the known dig plans, each street edge's next excavation
   comes from a renewal process with the scenario's mean cycle
   (``[regrowth]``: exponential, gamma or uniform gaps; see
   :class:`Renewal`). An edge whose last dig year is known (``last_dug``)
   starts from there; the others start in equilibrium (the forward
   recurrence time). Known plans (the ``digs`` layer, as the opportunities
   step reads them) override the process on their edges: each dig opens on
   time with its probability, or is cancelled or delayed a year or more
   (``[confidence]``), and the edge's next renewal dig comes one gap after it.
2. *Laying.* Each year the scenario's policy chooses, within that year's
   budget, which of the year's open trenches get a duct (``co-dig``), and
   under ``own-dig`` which own trenches to dig; ``fibre-only`` lays nothing
   but the fibre project's own digs, which lay their duct in every policy
   at no cost to the citizen budget. The rule is a myopic, vectorised form
   of the optimizer's greedy; see :mod:`ductplanner.simulate.policy`.
3. *Coverage.* At the end of each year: households duct-covered (on an edge
   with a duct linked to the backbone through ducts), in all and per district.

All runs advance together as numpy arrays (runs x edges), with sparse
connectivity (scipy.sparse.csgraph); same inputs and seed give identical
results, and the digs drawn do not depend on the policy, so scenarios with
the same seed see the same futures.

The modules: :mod:`.town` (the town on arrays), :mod:`.inputs` (built from
layers or a planning instance), :mod:`.digs` (each year's digs),
:mod:`.ducts` (the ducts of every run and what they link), :mod:`.prices`,
:mod:`.policy` (what a year's money buys), :mod:`.run` (the runs, year by
year) and :mod:`.forecast` (the bands, summary and tables of a scenario).

>>> from ductplanner.optimize import random_instance
>>> from ductplanner.model.scenarios import load_scenario
>>> fc = simulate(random_instance(1), load_scenario("revised-2019"), runs=20, seed=1)
>>> s = fc.summary()
>>> s["years"][0], s["runs"], len(s["p50"]) == len(s["years"])
(2019, 20, True)
>>> all(a <= b <= c for a, b, c in zip(s["p10"], s["p50"], s["p90"]))
True

Workspace tables
----------------
:func:`ductplanner.app.workflows.simulate.simulate_workspace` (and
``ductplanner simulate``) write four attribute-only tables to the workspace
(read them with :func:`ductplanner.app.workflows.simulate.read_forecast` or
:func:`ductplanner.io.workspace.read_table`). Several scenarios coexist,
keyed by ``scenario`` (the scenario file's stem, e.g. ``revised-2019``);
writing one scenario replaces only its rows.

``forecast``
    One row per scenario, district and year: ``scenario``,
    ``scenario_name``, ``district`` (``""`` for the whole municipality),
    ``year`` (coverage at the end of that year), ``households_total``,
    ``p10``, ``p50``, ``p90`` and ``mean`` (households duct-covered over the
    runs) and ``p_reach_target`` (share of runs in which the district has at
    least ``coverage.target_share`` of its households duct-covered).
``forecast_edges``
    ``scenario``, ``edge_id``, ``year``, ``p_covered``: the probability that
    the street edge is duct-covered by the end of that year (the map's time
    view). Rows with ``p_covered == 0`` are left out.
``frontier``
    ``scenario``, ``budget_dkk`` (yearly duct budget: co-digging and
    materials), ``year`` (the horizon), ``p10``, ``p50``, ``p90`` (households
    duct-covered at the horizon) and ``households_total``.
``forecast_runs``
    One row per scenario, the manifest: ``scenario``, ``runs``, ``seed``,
    ``horizon``, ``distribution``, ``mean_cycle_years``, ``gamma_shape``,
    ``as_of`` (ISO date of the network the forecast started from; empty: the
    workspace as it was when simulated), ``created`` (UTC), ``version`` (of
    ductplanner).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..core._errors import InputError, Problem
from ..model.regrowth import Renewal, p_dug_within
from ..model.scenarios import Scenario, as_scenario, scenario_key
from .digs import PlanFates
from .forecast import (
    EDGE_COLUMNS,
    FORECAST_COLUMNS,
    FRONTIER_COLUMNS,
    RUN_COLUMNS,
    TABLES,
    Forecast,
)
from .inputs import as_input, input_from_instance, simulation_input
from .policy import Policy
from .projects import PARTITIONS, Partitions, project_partitions
from .run import run_engine
from .sources import SOURCE_COLUMNS, band_sources, source_variants
from .town import SimulationInput
from .uncertain import PROJECT_STREAM, RunParameters, stream

__all__ = [
    "EDGE_COLUMNS",
    "FORECAST_COLUMNS",
    "FRONTIER_COLUMNS",
    "RUN_COLUMNS",
    "SOURCE_COLUMNS",
    "TABLES",
    "Forecast",
    "Renewal",
    "SimulationInput",
    "as_scenario",
    "budget_frontier",
    "input_from_instance",
    "p_dug_within",
    "scenario_key",
    "simulate",
    "simulated_years",
    "simulation_input",
]


def simulated_years(scenario: Scenario) -> list[int]:
    """Return the years a scenario simulates: its start year to its horizon."""
    return list(range(scenario.start_year, scenario.horizon + 1))


def _check_runs(runs: int, seed: int) -> None:
    problems = []
    if not (isinstance(runs, int | np.integer) and runs >= 1):
        problems.append(
            Problem("simulate()", "", "", "runs", "range", f"runs={runs!r}: need 1 or more")
        )
    if not (isinstance(seed, int | np.integer) and seed >= 0):
        problems.append(
            Problem("simulate()", "", "", "seed", "range", f"seed={seed!r}: need 0 or more")
        )
    if problems:
        raise InputError(problems, summary="invalid simulation options")


# --- the forecast -------------------------------------------------------------------------------


def simulate(
    layers_or_workspace: Any,
    scenario: Scenario | str | os.PathLike[str],
    *,
    runs: int | None = None,
    seed: int | None = None,
    progress: bool = False,
    budget_co_dig: float | None = None,
    sources: bool = False,
) -> Forecast:
    """Forecast a scenario's coverage, year by year, over ``runs`` simulated futures.

    Parameters
    ----------
    layers_or_workspace : mapping, PlanningInstance or SimulationInput
        The workspace layers, a planning instance, or the town on arrays (a
        workspace is read by :mod:`ductplanner.app.workflows.simulate`).
    scenario : Scenario, or path or shipped name
        Policy, budgets, costs, regrowth, dig confidence, runs, seed, horizon.
    runs, seed : int, optional
        Default: the scenario's ``[simulation]`` values.
    progress : bool
        Show a progress bar on standard error (only when it is a terminal).
    budget_co_dig : float, optional
        Yearly co-digging duct budget instead of the scenario's (the frontier).
    sources : bool
        Also forecast with each source of uncertainty known in turn, to say
        what the band is made of (:mod:`.sources`; a few forecasts more).

    Returns
    -------
    Forecast

    Raises
    ------
    ScenarioError
        The scenario file is invalid.
    InputError
        Missing layers, or ``runs``/``seed`` out of range.
    """
    scenario = as_scenario(scenario)
    runs = scenario.simulation.runs if runs is None else runs
    seed = scenario.simulation.seed if seed is None else seed
    _check_runs(runs, seed)
    inp = as_input(layers_or_workspace, scenario)
    renewal = Renewal.from_scenario(scenario)
    params = RunParameters.draw(scenario, runs=int(runs), seed=int(seed))
    projects = renewal_projects(inp, scenario, runs=int(runs), seed=int(seed))
    started = time.perf_counter()
    raw = run_engine(
        inp,
        renewal=renewal,
        policy=Policy.from_scenario(scenario, budget_co_dig=budget_co_dig),
        fates=PlanFates.from_scenario(scenario),
        years=simulated_years(scenario),
        runs=int(runs),
        seed=int(seed),
        params=params,
        projects=projects,
        progress=progress,
        description=scenario_key(scenario),
    )
    key = scenario_key(scenario)
    table = None
    if sources:

        def covered(town: SimulationInput, variant: Scenario) -> np.ndarray:
            fc = simulate(town, variant, runs=runs, seed=seed, budget_co_dig=budget_co_dig)
            return fc.raw.covered

        variants = source_variants(inp, scenario)
        table = band_sources(key, list(raw.years), raw.covered, variants, covered)
    return Forecast(
        scenario=scenario,
        key=key,
        runs=int(runs),
        seed=int(seed),
        raw=raw,
        inp=inp,
        renewal=renewal,
        seconds=time.perf_counter() - started,
        params=params,
        sources=table,
    )


def renewal_projects(
    inp: SimulationInput, scenario: Scenario, *, runs: int, seed: int
) -> Partitions | None:
    """Return the cuts of the network into renewal projects (None: every edge on its own)."""
    length = scenario.regrowth.project_length_m
    if length <= 0 or inp.n_edges == 0:
        return None
    count = min(PARTITIONS, max(runs, 1))
    return project_partitions(inp, length, count=count, rng=stream(seed, PROJECT_STREAM))


def budget_frontier(
    layers_or_workspace: Any,
    scenario: Scenario | str | os.PathLike[str],
    *,
    budgets: Sequence[float],
    runs: int | None = None,
    seed: int | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Return households duct-covered at the horizon for a range of yearly duct budgets.

    Each budget replaces the scenario's co-digging duct budget (co-digging
    plus materials); everything else, including the seed and so the futures
    drawn, stays the same, so the frontier is not blurred by chance. Under
    the ``fibre-only`` policy no budget is spent, so the frontier is flat.

    Returns
    -------
    DataFrame
        The ``frontier`` table's columns: ``scenario``, ``budget_dkk``,
        ``year`` (the horizon), ``p10``, ``p50``, ``p90``, ``households_total``.
    """
    scenario = as_scenario(scenario)
    inp = as_input(layers_or_workspace, scenario)
    rows = []
    for budget in budgets:
        if not (np.isfinite(budget) and budget >= 0):
            raise InputError(
                [Problem("budget_frontier()", "", "", "budgets", "range", f"{budget} is not >= 0")],
                summary="invalid frontier budgets",
            )
        fc = simulate(
            inp, scenario, runs=runs, seed=seed, progress=progress, budget_co_dig=float(budget)
        )
        s = fc.summary()
        rows.append(
            {
                "scenario": fc.key,
                "budget_dkk": float(budget),
                "year": s["horizon"],
                "p10": float(s["p10"][-1]),
                "p50": float(s["p50"][-1]),
                "p90": float(s["p90"][-1]),
                "households_total": s["households_total"],
            }
        )
    return pd.DataFrame(rows, columns=list(FRONTIER_COLUMNS))
