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
   of the optimizer's greedy; see :mod:`ductplanner.simulate._engine`.
3. *Coverage.* At the end of each year: households duct-covered (on an edge
   with a duct linked to the backbone through ducts), in all and per district.

All runs advance together as numpy arrays (runs x edges), with sparse
connectivity (scipy.sparse.csgraph); same inputs and seed give identical
results, and the digs drawn do not depend on the policy, so scenarios with
the same seed see the same futures.

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
:func:`simulate_workspace` (and ``ductplanner simulate``) write four
attribute-only tables to the workspace (read them with :func:`read_forecast`
or :func:`ductplanner.io.workspace.read_table`). Several scenarios coexist,
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
    ``created`` (UTC), ``version`` (of ductplanner).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from ..core._errors import InputError, Problem
from ..core._format import number, percent
from ..model.regrowth import DISTRIBUTIONS, Renewal, p_dug_within
from ..model.scenarios import Scenario, load_scenario
from ._engine import PlanFates, Policy, RawForecast, SimulationInput, run_engine

if TYPE_CHECKING:
    from ..core.result import Result
    from ..model.network import StreetNetwork
    from ..optimize import PlanningInstance
    from ..pipeline import DemoContext, StepOutcome

__all__ = [
    "DEMO_FRONTIER_BUDGETS",
    "DEMO_RUNS",
    "TABLES",
    "Forecast",
    "Renewal",
    "SimulationInput",
    "budget_frontier",
    "demo_step",
    "p_dug_within",
    "read_forecast",
    "simulate",
    "simulate_command",
    "simulate_workspace",
    "simulation_input",
]

TABLES = ("forecast", "forecast_edges", "frontier", "forecast_runs")
"""The attribute-only workspace tables the forecast writes."""

FORECAST_COLUMNS = (
    "scenario",
    "scenario_name",
    "district",
    "year",
    "households_total",
    "p10",
    "p50",
    "p90",
    "mean",
    "p_reach_target",
)
EDGE_COLUMNS = ("scenario", "edge_id", "year", "p_covered")
FRONTIER_COLUMNS = ("scenario", "budget_dkk", "year", "p10", "p50", "p90", "households_total")
RUN_COLUMNS = (
    "scenario",
    "runs",
    "seed",
    "horizon",
    "distribution",
    "mean_cycle_years",
    "gamma_shape",
    "created",
    "version",
)

DEMO_RUNS = 200
"""Runs per scenario in ``ductplanner demo`` (the scenarios say 1,000; fewer keep it quick)."""
DEMO_FRONTIER_BUDGETS = (0, 250_000, 500_000, 1_000_000, 2_000_000)
"""Yearly duct budgets (DKK) of the demo's frontier for the revised scenario."""
DEMO_FRONTIER_RUNS = 100
"""Runs per budget of the demo's frontier."""

_QUANTILE_METHOD = "inverted_cdf"  # a value some run had: whole households


# --- the renewal shape, in words ----------------------------------------------------------------


def _renewal_sentence(renewal: Renewal, years: float = 5.0) -> str:
    p = p_dug_within(years, renewal)
    others = [
        f"{renewal.with_distribution(name).label()} would give {p[name]:.2f}"
        for name in DISTRIBUTIONS
        if name != renewal.distribution
    ]
    return (
        f"assumed gaps between digs: {renewal.label()}, mean {renewal.mean:g} years, so "
        f"P(street dug within {years:g} years) = {p[renewal.distribution]:.2f}; "
        + "; ".join(others)
    )


# --- the result ---------------------------------------------------------------------------------


@dataclass
class Forecast:
    """The simulated coverage of one scenario: per run, year and district.

    Attributes
    ----------
    scenario : Scenario
    key : str
        The scenario's key in the workspace tables (its file stem).
    runs, seed : int
    raw : RawForecast
        Per-run results (``covered`` (runs x years), ``district_covered``
        (runs x years x districts), ``edge_p_covered`` (years x edges), ...).
    inp : SimulationInput
        The town simulated.
    renewal : Renewal
    seconds : float
        Wall-clock time of the simulation.
    """

    scenario: Scenario
    key: str
    runs: int
    seed: int
    raw: RawForecast
    inp: SimulationInput
    renewal: Renewal
    seconds: float = 0.0

    @property
    def years(self) -> list[int]:
        """The simulated years (coverage at the end of each)."""
        return list(self.raw.years)

    @property
    def households_total(self) -> int:
        """All households of the municipality."""
        return round(float(self.inp.households_total))

    def _bands(self, values: np.ndarray, total: float) -> dict[str, list[float]]:
        """P10, P50, P90, mean and P(reach target) over the runs (axis 0)."""
        q = np.quantile(values, [0.1, 0.5, 0.9], axis=0, method=_QUANTILE_METHOD)
        target = self.scenario.coverage.target_share * total
        reach = (values >= target - 1e-9).mean(axis=0) if total > 0 else np.zeros(values.shape[1])
        return {
            "p10": [round(float(x)) for x in q[0]],
            "p50": [round(float(x)) for x in q[1]],
            "p90": [round(float(x)) for x in q[2]],
            "mean": [round(float(x), 1) for x in values.mean(axis=0)],
            "p_reach_target": [round(float(x), 4) for x in reach],
        }

    def summary(self) -> dict[str, Any]:
        """Return the JSON summary (the public keys of ``ductplanner simulate --json``)."""
        s = self.scenario
        total = float(self.inp.households_total)
        out: dict[str, Any] = {
            "scenario": self.key,
            "scenario_name": s.name,
            "policy": s.policy,
            "years": self.years,
            "horizon": self.years[-1],
            "runs": self.runs,
            "seed": self.seed,
            "households_total": self.households_total,
            "households_now": round(self.raw.covered_now),
            **self._bands(self.raw.covered, total),
            "target_share": s.coverage.target_share,
            "distribution": self.renewal.distribution,
            "mean_cycle_years": self.renewal.mean,
            "gamma_shape": self.renewal.gamma_shape,
            "uniform_spread": self.renewal.uniform_spread,
            "p_dug_within_5_years": {
                k: round(v, 3) for k, v in p_dug_within(5.0, self.renewal).items()
            },
            "budget_co_dig_dkk": Policy.from_scenario(s).budget_co_dig,
            "budget_own_dig_dkk": Policy.from_scenario(s).budget_own_dig,
            "spent_co_dig_dkk": [round(float(x)) for x in self.raw.spent_co_dig],
            "spent_own_dig_dkk": [round(float(x)) for x in self.raw.spent_own_dig],
            "share_of_streets_dug": [round(float(x), 4) for x in self.raw.dug_share],
            "seconds": round(self.seconds, 2),
        }
        districts = {}
        for j, name in enumerate(self.inp.district_names):
            d_total = float(self.inp.district_households[j])
            districts[name] = {
                "households_total": round(d_total),
                **self._bands(self.raw.district_covered[:, :, j], d_total),
            }
        out["districts"] = districts
        return out

    def districts_reaching_target(self, *, at_least: float = 0.5) -> list[str]:
        """Districts that reach the target share by the horizon in at least this share of runs."""
        summary = self.summary()["districts"]
        return [
            name
            for name, d in summary.items()
            if d["households_total"] > 0 and d["p_reach_target"][-1] >= at_least
        ]

    def text(self) -> str:
        """Return the human summary."""
        s = self.summary()
        total, horizon = s["households_total"], s["horizon"]
        reaching = self.districts_reaching_target()
        names = ", ".join(reaching[:8]) + (" ..." if len(reaching) > 8 else "")
        n_districts = sum(1 for d in s["districts"].values() if d["households_total"] > 0)
        lines = [
            f"Forecast: {s['scenario_name']} ({s['scenario']}), {number(s['runs'])} runs, "
            f"seed {s['seed']}, {s['years'][0]}-{horizon}",
            f"  duct-covered now   {number(s['households_now'])} of {number(total)} households"
            f" ({percent(s['households_now'], total)})",
            f"  by the end of {horizon}: P10 {number(s['p10'][-1])}, P50 {number(s['p50'][-1])}, "
            f"P90 {number(s['p90'][-1])} of {number(total)} households "
            f"(median {percent(s['p50'][-1], total)})",
            f"  districts reaching {s['target_share']:.0%} by {horizon} in at least half the "
            f"runs: {len(reaching)} of {n_districts}" + (f" ({names})" if reaching else ""),
            f"  {_renewal_sentence(self.renewal)}",
        ]
        return "\n".join(lines)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return this scenario's rows of ``forecast``, ``forecast_edges``, ``forecast_runs``."""
        from .. import __version__

        s = self.summary()
        rows = []
        parts = [("", s["households_total"], s)] + [
            (name, d["households_total"], d) for name, d in s["districts"].items()
        ]
        for district, total, bands in parts:
            for k, year in enumerate(s["years"]):
                rows.append(
                    {
                        "scenario": self.key,
                        "scenario_name": self.scenario.name,
                        "district": district,
                        "year": year,
                        "households_total": int(total),
                        "p10": float(bands["p10"][k]),
                        "p50": float(bands["p50"][k]),
                        "p90": float(bands["p90"][k]),
                        "mean": float(bands["mean"][k]),
                        "p_reach_target": float(bands["p_reach_target"][k]),
                    }
                )
        forecast = pd.DataFrame(rows, columns=list(FORECAST_COLUMNS))
        p = self.raw.edge_p_covered
        y_idx, e_idx = np.nonzero(p > 0)
        edges = pd.DataFrame(
            {
                "scenario": self.key,
                "edge_id": self.inp.edge_ids[e_idx].astype(str),
                "year": np.asarray(self.years, dtype=np.int64)[y_idx],
                "p_covered": np.round(p[y_idx, e_idx], 4),
            },
            columns=list(EDGE_COLUMNS),
        )
        manifest = pd.DataFrame(
            [
                {
                    "scenario": self.key,
                    "runs": self.runs,
                    "seed": self.seed,
                    "horizon": s["horizon"],
                    "distribution": self.renewal.distribution,
                    "mean_cycle_years": self.renewal.mean,
                    "gamma_shape": self.renewal.gamma_shape,
                    "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "version": __version__,
                }
            ],
            columns=list(RUN_COLUMNS),
        )
        return {"forecast": forecast, "forecast_edges": edges, "forecast_runs": manifest}


# --- inputs -------------------------------------------------------------------------------------


def scenario_key(scenario: Scenario) -> str:
    """Return a scenario's key in the workspace tables: its file stem (or a slug of its name)."""
    if scenario.source and scenario.source != "<memory>":
        return Path(scenario.source).stem
    return re.sub(r"[^a-z0-9]+", "-", scenario.name.lower()).strip("-") or "scenario"


def _as_scenario(scenario: Scenario | str | os.PathLike[str]) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def simulation_input(
    layers: Mapping[str, gpd.GeoDataFrame],
    scenario: Scenario,
    *,
    network: StreetNetwork | None = None,
    source: str = "<memory>",
) -> SimulationInput:
    """Build the town to simulate from workspace layers.

    The street graph, households per edge, existing ducts and backbone roots
    come from :func:`ductplanner.analysis.opportunities.planning_instance`; the known
    digs from its opportunities (every stretch that gives an edge a duct,
    also those outside the plan years); districts from the coverage step's
    address assignment; ``last_dug`` from the streets.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        ``streets`` and ``addresses`` at least; ``ducts``, ``backbone``,
        ``digs`` and ``districts`` when present.
    scenario : Scenario
        Drop distance, costs and dig probabilities.
    network : StreetNetwork, optional
        A network built already from the same layers.
    source : str
        Where the layers came from, for messages.
    """
    from ..analysis.coverage import compute_coverage
    from ..analysis.opportunities import WHOLE_EDGE_SHARE, is_fibre_project
    from ..optimize import planning_instance

    report = compute_coverage(
        layers, drop=scenario.coverage.drop_distance_m, network=network, source=source
    )
    net = report.network
    instance, opp = planning_instance(layers, scenario, network=net)
    edge_ids = np.asarray(instance.edge_ids, dtype=object)
    rows = opp[opp["edge_share"].to_numpy(dtype=float) >= WHOLE_EDGE_SHARE]
    pos = pd.Index(edge_ids).get_indexer(rows["edge_id"].astype(str))
    rows = rows[pos >= 0]
    pos = pos[pos >= 0]
    start = pd.to_datetime(rows["start"])
    when = (start.dt.year + (start.dt.day_of_year - 1) / 365.25).to_numpy(dtype=float)
    groups, group_of = np.unique(rows["dig_id"].astype(str).to_numpy(), return_inverse=True)
    addresses = report.addresses
    assigned = addresses["edge_id"].notna().to_numpy()
    edge_pos = pd.Index(edge_ids).get_indexer(addresses["edge_id"][assigned].astype(str))
    units = addresses["units"].to_numpy(dtype=float)
    district = addresses["district_pos"].to_numpy(dtype=np.int64)
    names = (
        [str(n) for n in layers["districts"]["name"]]
        if "districts" in layers and layers["districts"] is not None
        else []
    )
    in_district = assigned.copy()
    in_district[assigned] = (district[assigned] >= 0) & (edge_pos >= 0)
    ok = (district[assigned] >= 0) & (edge_pos >= 0)
    matrix = sparse.csr_matrix(
        (units[assigned][ok], (edge_pos[ok], district[assigned][ok])),
        shape=(len(edge_ids), len(names)),
    )
    inside = district >= 0
    totals = np.bincount(district[inside], weights=units[inside], minlength=len(names))
    last = pd.to_numeric(net.edges["last_dug"], errors="coerce").to_numpy(dtype=float)
    return SimulationInput(
        **_street_fields(instance),
        edge_ids=edge_ids,
        last_dug=last,
        dig_edge=pos,
        dig_time=when,
        dig_group=group_of,
        dig_probability=rows["probability"].to_numpy(dtype=float),
        dig_cost_dkk=rows["cost_dkk"].to_numpy(dtype=float),
        dig_free=is_fibre_project(rows),
        dig_ids=groups.astype(object),
        district_names=names,
        edge_district_households=matrix,
        district_households=totals,
        households_total=float(units.sum()),
    )


def _street_fields(instance: PlanningInstance) -> dict[str, Any]:
    """Return the street graph, households, ducts and roots shared with the instance."""
    return {
        "n_nodes": instance.n_nodes,
        "edge_u": instance.edge_u,
        "edge_v": instance.edge_v,
        "edge_length_m": instance.edge_length_m,
        "edge_households": instance.edge_households,
        "has_duct": instance.has_duct,
        "root_nodes": instance.root_nodes,
    }


def input_from_instance(
    instance: PlanningInstance, *, fibre_project: Sequence[bool] | None = None
) -> SimulationInput:
    """Build the town to simulate from a planning instance (no districts, no ``last_dug``).

    Its co-dig candidates are the known digs, opening mid-year (or at
    ``cand_start``); ``fibre_project`` flags the fibre project's own digs per
    candidate (default: an owner naming a fibre project).
    """
    from ..analysis.opportunities import is_fibre_project

    co = np.asarray(instance.cand_kind) == "co-dig"
    start = np.asarray(instance.cand_start)[co].astype("datetime64[D]")
    year = start.astype("datetime64[Y]")
    when = year.astype(np.int64) + 1970 + (start - year).astype(np.int64) / 365.25
    groups, group_of = np.unique(
        np.asarray(instance.cand_dig_id, dtype=str)[co], return_inverse=True
    )
    if fibre_project is None:
        free = is_fibre_project(pd.DataFrame({"owner": np.asarray(instance.cand_owner)[co]}))
    else:
        free = np.asarray(fibre_project, dtype=bool)[co]
    return SimulationInput(
        **_street_fields(instance),
        edge_ids=np.asarray(instance.edge_ids, dtype=object),
        dig_edge=np.asarray(instance.cand_edge)[co],
        dig_time=when,
        dig_group=group_of,
        dig_probability=np.asarray(instance.cand_probability)[co],
        dig_cost_dkk=np.asarray(instance.cand_cost_dkk)[co],
        dig_free=free,
        dig_ids=groups.astype(object),
    )


def _as_input(town: Any, scenario: Scenario) -> SimulationInput:
    from ..optimize import PlanningInstance

    if isinstance(town, SimulationInput):
        return town
    if isinstance(town, PlanningInstance):
        return input_from_instance(town)
    if isinstance(town, str | os.PathLike):
        from ..io.workspace import list_layers, read_layer, read_planning_layers

        layers = read_planning_layers(town)
        if "districts" in list_layers(town):
            layers["districts"] = read_layer(town, "districts")
        return simulation_input(layers, scenario, source=str(town))
    if isinstance(town, Mapping):
        return simulation_input(town, scenario)
    raise TypeError(
        "simulate() takes workspace layers, a workspace path, a PlanningInstance or a "
        f"SimulationInput, not {type(town).__name__}"
    )


def _years(scenario: Scenario) -> list[int]:
    return list(range(scenario.start_year, scenario.simulation.horizon + 1))


def _fates(scenario: Scenario) -> PlanFates:
    return PlanFates(
        cancel_share=scenario.confidence.cancel_share,
        slip_years=scenario.confidence.slip_years,
        complete_years=scenario.regrowth.plans_complete_years,
    )


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
) -> Forecast:
    """Forecast a scenario's coverage, year by year, over ``runs`` simulated futures.

    Parameters
    ----------
    layers_or_workspace : mapping, path, PlanningInstance or SimulationInput
        The workspace layers, a workspace GeoPackage, or the town on arrays.
    scenario : Scenario, or path or shipped name
        Policy, budgets, costs, regrowth, dig confidence, runs, seed, horizon.
    runs, seed : int, optional
        Default: the scenario's ``[simulation]`` values.
    progress : bool
        Show a progress bar on standard error (only when it is a terminal).
    budget_co_dig : float, optional
        Yearly co-digging duct budget instead of the scenario's (the frontier).

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
    scenario = _as_scenario(scenario)
    runs = scenario.simulation.runs if runs is None else runs
    seed = scenario.simulation.seed if seed is None else seed
    _check_runs(runs, seed)
    inp = _as_input(layers_or_workspace, scenario)
    renewal = Renewal.from_scenario(scenario)
    started = time.perf_counter()
    raw = run_engine(
        inp,
        renewal=renewal,
        policy=Policy.from_scenario(scenario, budget_co_dig=budget_co_dig),
        fates=_fates(scenario),
        years=_years(scenario),
        runs=int(runs),
        seed=int(seed),
        progress=progress,
        description=scenario_key(scenario),
    )
    return Forecast(
        scenario=scenario,
        key=scenario_key(scenario),
        runs=int(runs),
        seed=int(seed),
        raw=raw,
        inp=inp,
        renewal=renewal,
        seconds=time.perf_counter() - started,
    )


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
    scenario = _as_scenario(scenario)
    inp = _as_input(layers_or_workspace, scenario)
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


# --- the workspace ------------------------------------------------------------------------------


def _replace_rows(
    path: Path, name: str, rows: pd.DataFrame, scenarios: Sequence[str], columns: Sequence[str]
) -> pd.DataFrame:
    from ..io.workspace import read_table

    old = read_table(path, name, required=False)
    if len(old) and "scenario" in old.columns:
        old = old[~old["scenario"].astype(str).isin(list(scenarios))]
        old = old.reindex(columns=list(columns))
        return pd.concat([old, rows], ignore_index=True) if len(old) else rows
    return rows


def write_forecast(
    path: str | os.PathLike[str],
    forecasts: Sequence[Forecast] = (),
    frontiers: Sequence[pd.DataFrame] = (),
) -> None:
    """Write forecasts and frontiers to a workspace in one atomic step.

    Each scenario's rows replace only that scenario's earlier rows.
    """
    from ..io.workspace import write_layers

    path = Path(path)
    tables: dict[str, pd.DataFrame] = {}
    if forecasts:
        keys = [f.key for f in forecasts]
        parts = [f.tables() for f in forecasts]
        for name, columns in (
            ("forecast", FORECAST_COLUMNS),
            ("forecast_edges", EDGE_COLUMNS),
            ("forecast_runs", RUN_COLUMNS),
        ):
            new = pd.concat([p[name] for p in parts], ignore_index=True)
            tables[name] = _replace_rows(path, name, new, keys, columns)
    if frontiers:
        new = pd.concat(list(frontiers), ignore_index=True)
        keys = sorted(set(new["scenario"].astype(str)))
        tables["frontier"] = _replace_rows(path, "frontier", new, keys, FRONTIER_COLUMNS)
    if tables:
        write_layers(path, tables, note="regrowth forecast")


def simulate_workspace(
    path: str | os.PathLike[str],
    scenario: Scenario | str | os.PathLike[str],
    *,
    runs: int | None = None,
    seed: int | None = None,
    frontier: Sequence[float] | None = None,
    progress: bool = False,
    write: bool = True,
) -> tuple[Forecast, pd.DataFrame | None]:
    """Forecast a workspace's scenario and write the forecast tables (see the module docstring).

    Everything is computed before anything is written, in one atomic step,
    so a failure leaves the workspace byte-for-byte as it was.
    """
    path = Path(path)
    scenario = _as_scenario(scenario)
    inp = _as_input(path, scenario)
    fc = simulate(inp, scenario, runs=runs, seed=seed, progress=progress)
    table = None
    if frontier:
        table = budget_frontier(inp, scenario, budgets=frontier, runs=runs, seed=seed)
    if write:
        write_forecast(path, [fc], [table] if table is not None else [])
    return fc, table


def read_forecast(
    workspace: str | os.PathLike[str], scenario: str | None = None
) -> dict[str, pd.DataFrame]:
    """Read the forecast tables of a workspace (empty frames where none was written).

    Parameters
    ----------
    workspace : path-like
    scenario : str, optional
        Only this scenario's rows (its key, e.g. ``"revised-2019"``).

    Returns
    -------
    dict of str to DataFrame
        ``forecast``, ``forecast_edges``, ``frontier``, ``forecast_runs``,
        with their documented columns and types.
    """
    from ..io.workspace import read_table

    columns = {
        "forecast": FORECAST_COLUMNS,
        "forecast_edges": EDGE_COLUMNS,
        "frontier": FRONTIER_COLUMNS,
        "forecast_runs": RUN_COLUMNS,
    }
    out = {}
    for name, cols in columns.items():
        table = read_table(workspace, name, required=False).reindex(columns=list(cols))
        if scenario is not None:
            table = table[table["scenario"].astype(str) == scenario]
        for col in ("district", "scenario", "scenario_name", "edge_id"):
            if col in table.columns:
                table[col] = table[col].astype(object).where(table[col].notna(), "").astype(str)
        out[name] = table.reset_index(drop=True)
    return out


# --- command line and demo ----------------------------------------------------------------------


def simulate_command(args: argparse.Namespace) -> Result:
    """Run ``ductplanner simulate WORKSPACE --scenario FILE [--runs N] [--seed K] [--json]``."""
    from ..core.result import Result

    path = Path(args.workspace)
    frontier = getattr(args, "frontier", None)
    fc, table = simulate_workspace(
        path,
        args.scenario,
        runs=getattr(args, "runs", None),
        seed=getattr(args, "seed", None),
        frontier=frontier,
        progress=not getattr(args, "json", False),
    )
    summary = {"workspace": str(path), **fc.summary()}
    written = ["forecast", "forecast_edges", "forecast_runs"]
    if table is not None:
        summary["frontier"] = table.drop(columns="scenario").to_dict("records")
        written.append("frontier")
    text = fc.text() + f"\nwrote {', '.join(written)} (scenario {fc.key}) to {path}"
    return Result(summary=summary, text=text)


def demo_step(ctx: DemoContext) -> StepOutcome:
    """Forecast every shipped scenario on the demo workspace, and the revised plan's frontier."""
    from ..pipeline import StepOutcome

    files = sorted(Path(ctx.scenarios).glob("*.toml"))
    scenarios = [load_scenario(f) for f in files]
    if not scenarios:
        return StepOutcome(line="no scenarios found")
    inp = _as_input(ctx.workspace, scenarios[0])
    forecasts = []
    for scenario in scenarios:
        runs = min(DEMO_RUNS, scenario.simulation.runs)
        forecasts.append(simulate(inp, scenario, runs=runs, seed=ctx.seed))
    frontiers = []
    revised = [s for s in scenarios if scenario_key(s) == "revised-2019"]
    if revised:
        frontiers.append(
            budget_frontier(
                inp,
                revised[0],
                budgets=DEMO_FRONTIER_BUDGETS,
                runs=min(DEMO_FRONTIER_RUNS, revised[0].simulation.runs),
                seed=ctx.seed,
            )
        )
        ctx.results["frontier"] = frontiers[0].to_dict("records")
    write_forecast(ctx.workspace, forecasts, frontiers)
    horizon = forecasts[0].years[-1]
    total = forecasts[0].households_total
    parts = [f"{f.key} {percent(f.summary()['p50'][-1], total, 0)}" for f in forecasts]
    line = (
        f"P50 duct-covered by {horizon}: "
        + ", ".join(parts)
        + f" ({forecasts[0].runs} runs each, fewer than the scenarios' "
        f"{scenarios[0].simulation.runs:,} to keep the demo quick)"
    )
    return StepOutcome(line=line, summary={f.key: f.summary() for f in forecasts})
