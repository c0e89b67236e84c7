"""Plan a workspace: opportunities in, the ``plan`` layer out (``ductplanner plan``).

:func:`plan_workspace` reads the layers, finds the opportunities with the
scenario's costs, years and probabilities
(:func:`ductplanner.analysis.opportunities.planning_instance`), runs :func:`plan` and
turns the chosen stretches into the ``plan`` layer: one LineString per
stretch (the opened part of the street edge; the whole edge for an own
trench) with ``id``, ``opportunity_id``, ``dig_id``, ``owner``, ``edge_id``,
``year``, ``kind``, ``metres``, ``cost_dkk``, ``households`` (on the stretch's
street edge, covered within the plan years), ``why`` (households, DKK per
household, what it links and when), ``method`` and ``scenario``.

The scenario's ``[optimizer]`` table gives the defaults: ``method``,
``time_limit_s`` and ``mip_gap`` for the MILP, ``discount``, the weight of
covering households earlier (household-years; 0 keeps the tie-break weight
that never outweighs one household at the horizon), and ``interest_weight``:
a household whose address asked for a duct on the citizens' page (the
``interest`` table) counts ``1 + interest_weight`` times in the objective,
while the plan reports households as they are.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ...analysis.citizens import interest_weights
from ...analysis.opportunities import OPPORTUNITY_STEPS, find_opportunities
from ...analysis.opportunity_report import OpportunityReport, left_out_text
from ...analysis.reach import root_nodes
from ...analysis.sites import site_weights
from ...core._errors import InputError, Problem
from ...core._format import street_label
from ...core.progress import OnStep, no_step, step_bar
from ...core.result import Result
from ...io.workspace import Workspace, WorkspaceLike, as_workspace, read_layer, write_layers
from ...model.network import NETWORK_STEPS
from ...model.scenarios import Scenario, as_scenario
from ...model.timeline import RunDate
from ...optimize import Plan, plan_layer, planning_instance
from ...optimize import plan as run_plan
from ._planning import read_planning_state, run_scenario
from .citizens import read_interest

__all__ = ["STEPS", "plan_command", "plan_workspace"]

STEPS = (
    "reading the workspace",
    *NETWORK_STEPS,
    *OPPORTUNITY_STEPS,
    "planning instance",
    "choosing the stretches",
    "writing the plan layer",
)
"""The phases of the ``plan`` command, as its progress bar names them."""

_LISTED = 20


def plan_workspace(
    workspace: WorkspaceLike,
    scenario: Scenario | str | os.PathLike[str],
    method: str | None = None,
    time_limit: float | None = None,
    *,
    run: RunDate | None = None,
    write: bool = True,
    on_step: OnStep | None = None,
) -> tuple[Plan, gpd.GeoDataFrame]:
    """Plan which stretches to lay, year by year, and write the ``plan`` layer.

    Everything is computed before anything is written, and the layer is
    written atomically: a failure leaves the workspace byte-for-byte as it was.

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage (``streets``, ``addresses`` and ``backbone``
        needed; ``ducts`` and ``digs`` used when present).
    scenario : Scenario, or path or shipped name
        Years, budgets, costs, probabilities and optimizer settings.
    method : {"greedy", "milp", "fcfs"}, optional
        Default: the scenario's ``optimizer.method``.
    time_limit : float, optional
        MILP seconds; default the scenario's ``optimizer.time_limit_s``.
    run : RunDate, optional
        The run's as-of date and first year: the plan years start there,
        digs whose window closed before it give no candidates, and a run in
        the past sees the workspace as it was. Default: the scenario's years.
        Either way, digs the decision log says were declined are left out.
    write : bool
        Write the ``plan`` layer (otherwise only compute).
    on_step : callable, optional
        Called with the name of each of :data:`STEPS` as it begins.

    Returns
    -------
    plan : Plan
    layer : GeoDataFrame
        The ``plan`` layer (columns :data:`PLAN_COLUMNS`).

    Raises
    ------
    InputError
        Missing or unusable layers (no backbone near a street), or options
        out of range.
    ScenarioError
        The scenario file is missing or invalid.
    SolverError
        The MILP found no plan.
    """
    path = as_workspace(workspace)
    scenario = run_scenario(as_scenario(scenario), run)
    step = on_step or no_step
    step(STEPS[0])
    layers, decisions = read_planning_state(path, run)
    report = find_opportunities(
        layers,
        scenario,
        decisions=decisions,
        as_of=None if run is None else run.as_of,
        source=str(path),
        on_step=on_step,
    )
    _require_roots(report.network, str(path))
    step(STEPS[-3])
    weight, note = _interest_weight(path, layers, report, scenario)
    weight, sites = _site_weight(path, weight, report, scenario)
    instance, opportunities = planning_instance(layers, scenario, report=report, edge_weight=weight)
    options = scenario.optimizer
    step(STEPS[-2])
    result = run_plan(
        instance,
        method or options.method,
        time_limit=options.time_limit_s if time_limit is None else time_limit,
        mip_gap=options.mip_gap,
        early_weight=options.discount or None,
    )
    result.warnings = report.warnings()
    result.left_out = report.summary()["left_out"]
    if instance.n_candidates == 0:
        result.message = _why_no_candidates(result.message, report)
    layer = plan_layer(result, opportunities, report.network.edges, scenario.name)
    site_note = _name_the_sites(layer, sites, scenario.optimizer.site_weight)
    result.message = "\n".join(part for part in (result.message, note, site_note) if part)
    if write:
        step(STEPS[-1])
        provenance = f"scenario {scenario.name}, {result.method}: {result.gap_text()}"
        write_layers(path, {"plan": layer}, note=provenance)
    return result, layer


def _interest_weight(
    path: Workspace,
    layers: dict[str, gpd.GeoDataFrame],
    report: OpportunityReport,
    scenario: Scenario,
) -> tuple[np.ndarray | None, str]:
    """Return the objective's worth per edge with citizens' interest, and a line saying so.

    ``(None, "")`` when the scenario gives interest no weight or nobody asked.
    """
    weight = scenario.optimizer.interest_weight
    if weight == 0:
        return None, ""
    asked_ids = set(read_interest(path)["address_id"])
    addresses = layers["addresses"]
    asked = addresses[addresses["id"].astype(str).isin(asked_ids)]
    if asked.empty:
        return None, ""
    values, households = interest_weights(
        report.edge_households,
        asked,
        report.network,
        weight,
        drop=scenario.coverage.drop_distance_m,
    )
    note = (
        f"citizens' interest: {households:,} households at {len(asked):,} addresses that asked "
        f"for a duct count {1 + weight:g} times in the objective"
    )
    return values, note


def _site_weight(
    path: Workspace,
    weight: np.ndarray | None,
    report: OpportunityReport,
    scenario: Scenario,
) -> tuple[np.ndarray | None, pd.DataFrame]:
    """Add the municipal sites' priority to the objective's worth per edge.

    Returns the worth (``weight`` unchanged when the scenario gives sites no
    weight) and the sites that count (see :func:`site_weights`).
    """
    site_weight = scenario.optimizer.site_weight
    extra, sites = site_weights(
        read_layer(path, "sites", required=False) if site_weight else gpd.GeoDataFrame(),
        report.network,
        site_weight,
        drop=scenario.coverage.drop_distance_m,
    )
    if sites.empty:
        return weight, sites
    base = np.asarray(report.edge_households, dtype=float) if weight is None else weight
    return base + extra, sites


def _name_the_sites(layer: gpd.GeoDataFrame, sites: pd.DataFrame, weight: float) -> str:
    """Say in each stretch's ``why`` which site it connects; return a line naming them all."""
    if sites.empty:
        return ""
    laid = sites[sites["edge_id"].isin(set(layer["edge_id"]))]
    label = laid["name"].astype(str) + " (priority " + laid["priority"].astype(str) + ")"
    for edge_id, names in label.groupby(laid["edge_id"], sort=False):
        rows = (layer["edge_id"] == edge_id).to_numpy()
        layer.loc[rows, "why"] = layer.loc[rows, "why"] + f"; connects {', '.join(names)}"
    named = ", ".join(label) or "none"
    return (
        f"municipal sites: {len(sites):,} not yet connected count {weight:g} households at "
        f"priority 1 (a fifth less per level); the plan connects {named}"
    )


def _why_no_candidates(message: str, report: OpportunityReport) -> str:
    """Add what the opportunities left out, the cause of a plan without candidates."""
    s = report.summary()
    causes = list(s["warnings"])
    if s["left_out"]:
        causes.append(f"left out {s['digs_left_out']:,} digs: {left_out_text(s)}")
    if not s["digs_total"]:
        causes.append("the workspace has no digs: import the utilities' dig plans")
    return "; ".join([message, *causes])


def _require_roots(network: Any, source: str) -> None:
    if len(root_nodes(network)):
        return
    raise InputError(
        [
            Problem(
                source,
                "backbone",
                "",
                "geometry",
                "backbone-missing",
                "no backbone feature lies near a street, so no duct can reach the backbone "
                "and no plan can cover anyone",
                "import the points of presence and fibre lines into the backbone layer "
                "(within 50 m of a street)",
            )
        ],
        summary=f"cannot plan {source}",
    )


def _text(result: Plan, workspace: str, scenario: str, layer: gpd.GeoDataFrame) -> str:
    lines = [
        f"{result.method} plan for {scenario} ({result.status}; {result.gap_text()}): "
        f"{len(layer):,} stretches, "
        f"{result.metres:,.0f} m, DKK {sum(result.spent_dkk):,.0f} of "
        f"{sum(result.budget_dkk):,.0f}; {result.households_covered:,.0f} households covered "
        f"in {result.years[-1]} ({result.households_baseline:,.0f} before the plan)"
    ]
    for i, year in enumerate(result.years):
        lines.append(
            f"  {year}: DKK {result.spent_dkk[i]:,.0f} of {result.budget_dkk[i]:,.0f}, "
            f"{result.households_by_year[i]:,.0f} households covered"
        )
    for row in layer.head(_LISTED).itertuples(index=False):
        on = street_label(getattr(row, "street", ""), row.edge_id)
        lines.append(f"  - {row.year} {row.dig_id} ({row.owner}) on {on}: {row.why}")
    if len(layer) > _LISTED:
        lines.append(f"  ... and {len(layer) - _LISTED:,} more stretches (see the plan layer)")
    if result.message:
        lines.append(result.message)
    lines += [f"warning: {w}" for w in result.warnings]
    if result.left_out:
        lines.append(f"left out: {left_out_text(result.summary())}")
    lines.append(f"wrote plan ({len(layer):,} features) to {workspace}")
    return "\n".join(lines)


@contextlib.contextmanager
def _solver_chatter_to_stderr() -> Iterator[None]:
    """Send what native code prints to standard output to standard error meanwhile.

    HiGHS prints its banner on standard output from C++ when a model is made,
    which would break ``--json``; the summary itself is printed afterwards.
    """
    try:
        out, err = sys.stdout.fileno(), sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real file descriptors
        yield
        return
    try:
        libc: Any = ctypes.CDLL(None)
    except OSError:  # no C library to flush (Windows): its stdio is unbuffered enough
        libc = None
    sys.stdout.flush()
    saved = os.dup(out)
    try:
        os.dup2(err, out)
        yield
    finally:
        if libc is not None:
            libc.fflush(None)
        sys.stdout.flush()
        os.dup2(saved, out)
        os.close(saved)


def plan_command(
    workspace: WorkspaceLike,
    scenario: Scenario | str | os.PathLike[str],
    *,
    method: str | None = None,
    time_limit: float | None = None,
    run: RunDate | None = None,
    progress: bool = False,
) -> Result:
    """Run ``ductplanner plan WORKSPACE --scenario FILE [--method M] [--time-limit S] [--json]``.

    The ``--json`` summary has the public ``plan`` keys (``method``,
    ``status``, ``years``, ``budget_dkk``, ``spent_dkk``, ``metres``,
    ``households_covered``, ``optimality_gap``, ``chosen``) and
    :meth:`Plan.summary`'s others, plus ``workspace``, ``scenario`` (its
    name), ``stretches`` and ``written``. With ``progress``, the steps show on
    standard error (only when it is a terminal).
    """
    scenario = run_scenario(as_scenario(scenario), run)
    bar = step_bar(len(STEPS), show=progress, desc="plan")
    with _solver_chatter_to_stderr(), bar as step:
        result, layer = plan_workspace(
            workspace, scenario, method=method, time_limit=time_limit, run=run, on_step=step
        )
    summary = {
        "workspace": str(workspace),
        **({} if run is None else run.summary()),
        "scenario": scenario.name,
        **result.summary(),
        "stretches": len(layer),
        "written": ["plan"],
    }
    text = _text(result, str(workspace), scenario.name, layer)
    if run is not None:
        text = f"as of {run.as_of.isoformat()}: " + text
    return Result(summary=summary, text=text)
