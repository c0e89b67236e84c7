"""The ``opportunities`` command: read the workspace, find what open digs offer, write it back."""

from __future__ import annotations

import os

from ...analysis.conflicts import CONFLICT_YEARS
from ...analysis.opportunities import OPPORTUNITY_STEPS, find_opportunities
from ...analysis.opportunity_report import OpportunityReport
from ...core.progress import OnStep, no_step, step_bar
from ...core.result import Result
from ...io.workspace import WorkspaceLike, as_workspace, write_layers
from ...model.network import NETWORK_STEPS
from ...model.scenarios import Scenario, as_scenario
from ...model.timeline import RunDate
from ._planning import read_planning_state, run_scenario

__all__ = ["STEPS", "opportunities_command", "opportunities_workspace"]

STEPS = ("reading the workspace", *NETWORK_STEPS, *OPPORTUNITY_STEPS, "writing the layers")
"""The phases of the ``opportunities`` command, as its progress bar names them."""


def opportunities_workspace(
    path: WorkspaceLike,
    scenario: Scenario | str | os.PathLike[str] | None = None,
    *,
    year: int | None = None,
    run: RunDate | None = None,
    conflict_years: float = CONFLICT_YEARS,
    write: bool = True,
    on_step: OnStep | None = None,
) -> OpportunityReport:
    """Find a workspace's opportunities and write the ``opportunities`` and ``conflicts`` layers.

    Everything is computed before anything is written; both layers are
    written in one atomic step, so a failure leaves the workspace unchanged.
    ``on_step`` is called with the name of each of :data:`STEPS` as it begins.
    The decision log's declined digs give no candidates. With ``run``, the
    plan years start at its first year, digs whose window closed before its
    as-of date give none, and a run in the past sees the workspace as it was
    (:func:`~ductplanner.analysis.history.as_it_was`); without, the
    scenario's own years hold.
    """
    path = as_workspace(path)
    scenario = run_scenario(as_scenario(scenario), run)
    step = on_step or no_step
    step(STEPS[0])
    layers, decisions = read_planning_state(path, run)
    report = find_opportunities(
        layers,
        scenario,
        year=year,
        decisions=decisions,
        as_of=None if run is None else run.as_of,
        conflict_years=conflict_years,
        source=str(path),
        on_step=on_step,
    )
    if write:
        step(STEPS[-1])
        note = f"scenario {scenario.name}" + (f", year {year}" if year is not None else "")
        write_layers(path, report.layers(), note=note)
    return report


def opportunities_command(
    workspace: WorkspaceLike,
    scenario: Scenario | str | os.PathLike[str] | None = None,
    *,
    year: int | None = None,
    run: RunDate | None = None,
    conflict_years: float = CONFLICT_YEARS,
    progress: bool = False,
) -> Result:
    """Run ``ductplanner opportunities WORKSPACE [--year Y] [--as-of DATE] [--from YEAR] [--json]``.

    With ``progress``, the steps show on standard error (only when it is a terminal).
    """
    with step_bar(len(STEPS), show=progress, desc="opportunities") as step:
        report = opportunities_workspace(
            workspace, scenario, year=year, run=run, conflict_years=conflict_years, on_step=step
        )
    summary = {
        "workspace": str(workspace),
        **({} if run is None else run.summary()),
        **report.summary(),
        "written": ["opportunities", "conflicts"],
    }
    when = "" if run is None else f"as of {run.as_of.isoformat()}, "
    years = report.scenario.years
    text = (
        f"{when}plan years {years[0]}-{years[-1]}\n"
        f"{report.text()}\nwrote opportunities ({len(report.opportunities)} features), "
        f"conflicts ({len(report.conflicts)} features) to {workspace}"
    )
    return Result(summary=summary, text=text)
