"""What a planning run reads: the planning layers and the decision log, as of the run's date."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from ...analysis.history import as_it_was
from ...io.workspace import WorkspaceLike, read_planning_layers, read_table
from ...model.decisions import DECISIONS_TABLE, typed_decisions
from ...model.scenarios import Scenario
from ...model.timeline import RunDate

__all__ = ["read_planning_state", "run_scenario"]


def read_planning_state(
    path: WorkspaceLike, run: RunDate | None, known_ahead_months: int | None = None
) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame]:
    """Read the planning layers and the decision log; as they were, for a run in the past.

    ``known_ahead_months``: see :func:`~ductplanner.analysis.history.as_it_was`.
    """
    layers = read_planning_layers(path)
    decisions = typed_decisions(read_table(path, DECISIONS_TABLE, required=False))
    if run is not None and run.is_past():
        layers, then = as_it_was(layers, decisions, run.as_of, known_ahead_months)
        decisions = typed_decisions(then if then is not None else decisions)
    return layers, decisions


def run_scenario(scenario: Scenario, run: RunDate | None) -> Scenario:
    """Return the scenario with the run's years (as it is without a run date)."""
    return scenario if run is None else run.scenario(scenario)
