"""The ``opportunities`` command: read the workspace, find what open digs offer, write it back."""

from __future__ import annotations

import os
from pathlib import Path

from ...analysis.conflicts import CONFLICT_YEARS
from ...analysis.opportunities import find_opportunities
from ...analysis.opportunity_report import OpportunityReport
from ...core.result import Result
from ...io.workspace import read_planning_layers, write_layers
from ...model.scenarios import Scenario, as_scenario

__all__ = ["opportunities_command", "opportunities_workspace"]


def opportunities_workspace(
    path: str | os.PathLike[str],
    scenario: Scenario | str | os.PathLike[str] | None = None,
    *,
    year: int | None = None,
    conflict_years: float = CONFLICT_YEARS,
    write: bool = True,
) -> OpportunityReport:
    """Find a workspace's opportunities and write the ``opportunities`` and ``conflicts`` layers.

    Everything is computed before anything is written; both layers are
    written in one atomic step, so a failure leaves the workspace unchanged.
    """
    path = Path(path)
    scenario = as_scenario(scenario)
    report = find_opportunities(
        read_planning_layers(path),
        scenario,
        year=year,
        conflict_years=conflict_years,
        source=str(path),
    )
    if write:
        note = f"scenario {scenario.name}" + (f", year {year}" if year is not None else "")
        write_layers(path, report.layers(), note=note)
    return report


def opportunities_command(
    workspace: str | os.PathLike[str],
    scenario: Scenario | str | os.PathLike[str] | None = None,
    *,
    year: int | None = None,
    conflict_years: float = CONFLICT_YEARS,
) -> Result:
    """Run ``ductplanner opportunities WORKSPACE [--year Y] [--conflict-years N] [--json]``."""
    report = opportunities_workspace(workspace, scenario, year=year, conflict_years=conflict_years)
    summary = {
        "workspace": str(workspace),
        **report.summary(),
        "written": ["opportunities", "conflicts"],
    }
    text = (
        f"{report.text()}\nwrote opportunities ({len(report.opportunities)} features), "
        f"conflicts ({len(report.conflicts)} features) to {workspace}"
    )
    return Result(summary=summary, text=text)
