"""The ``simulate`` workflow: read a workspace, forecast a scenario, write the forecast tables.

The forecast itself computes on data (:mod:`ductplanner.simulate`); this
module reads the town from the workspace, writes the ``forecast``,
``forecast_edges``, ``frontier`` and ``forecast_runs`` tables (each
scenario's rows replacing only its own), and reads them back.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import pandas as pd

from ...analysis.dig_history import DigHistory, dig_history
from ...analysis.history import KNOWN_AHEAD_MONTHS
from ...core._clock import now
from ...core.result import Result
from ...io.workspace import (
    Workspace,
    WorkspaceLike,
    as_workspace,
    list_layers,
    read_layer,
    read_table,
    write_layers,
)
from ...model.scenarios import Scenario
from ...model.timeline import RunDate
from ...simulate import (
    EDGE_COLUMNS,
    FORECAST_COLUMNS,
    FRONTIER_COLUMNS,
    RUN_COLUMNS,
    SOURCE_COLUMNS,
    Forecast,
    SimulationInput,
    as_scenario,
    budget_frontier,
    simulate,
    simulation_input,
)
from ._planning import read_planning_state, run_scenario

__all__ = [
    "read_forecast",
    "simulate_command",
    "simulate_workspace",
    "workspace_input",
    "write_forecast",
]


def workspace_input(
    path: WorkspaceLike, scenario: Scenario, run: RunDate | None = None
) -> SimulationInput:
    """Read the town to simulate from a workspace: its planning layers and districts.

    Parameters
    ----------
    path : path-like
        The workspace GeoPackage.
    scenario : Scenario
        Drop distance, costs and dig probabilities.
    run : RunDate, optional
        A run in the past starts from the workspace as it was on its as-of
        date (:func:`~ductplanner.analysis.history.as_it_was`): the ducts laid
        by then, the digs known then (those starting within
        :data:`~ductplanner.analysis.history.KNOWN_AHEAD_MONTHS` months).
        Digs declined to us, done or cancelled are never known plans to
        join, nor (with ``run``) those closed before its as-of date.

    Returns
    -------
    SimulationInput
    """
    layers, decisions = read_planning_state(path, run, KNOWN_AHEAD_MONTHS)
    if "districts" in list_layers(path):
        layers["districts"] = read_layer(path, "districts")
    return simulation_input(
        layers,
        scenario,
        decisions=decisions,
        as_of=None if run is None else run.as_of,
        source=str(path),
    )


def _replace_rows(
    path: Workspace, name: str, rows: pd.DataFrame, scenarios: Sequence[str], columns: Sequence[str]
) -> pd.DataFrame:
    old = read_table(path, name, required=False)
    if len(old) and "scenario" in old.columns:
        old = old[~old["scenario"].astype(str).isin(list(scenarios))]
        old = old.reindex(columns=list(columns))
        return pd.concat([old, rows], ignore_index=True) if len(old) else rows
    return rows


def write_forecast(
    path: WorkspaceLike,
    forecasts: Sequence[Forecast] = (),
    frontiers: Sequence[pd.DataFrame] = (),
) -> None:
    """Write forecasts and frontiers to a workspace in one atomic step.

    Each scenario's rows replace only that scenario's earlier rows.
    """
    path = as_workspace(path)
    tables: dict[str, pd.DataFrame] = {}
    if forecasts:
        keys = [f.key for f in forecasts]
        parts = [f.tables() for f in forecasts]
        for name, columns in (
            ("forecast", FORECAST_COLUMNS),
            ("forecast_edges", EDGE_COLUMNS),
            ("forecast_runs", RUN_COLUMNS),
            ("forecast_sources", SOURCE_COLUMNS),
        ):
            # a forecast without its sources still replaces the scenario's older ones
            given = [p[name] for p in parts if name in p]
            new = pd.concat(given, ignore_index=True) if given else pd.DataFrame(columns=columns)
            tables[name] = _replace_rows(path, name, new, keys, columns)
    if frontiers:
        new = pd.concat(list(frontiers), ignore_index=True)
        keys = sorted(set(new["scenario"].astype(str)))
        tables["frontier"] = _replace_rows(path, "frontier", new, keys, FRONTIER_COLUMNS)
    if tables:
        write_layers(path, tables, note="regrowth forecast")


def simulate_workspace(
    path: WorkspaceLike,
    scenario: Scenario | str | os.PathLike[str],
    *,
    runs: int | None = None,
    seed: int | None = None,
    frontier: Sequence[float] | None = None,
    run: RunDate | None = None,
    progress: bool = False,
    write: bool = True,
    sources: bool = True,
) -> tuple[Forecast, pd.DataFrame | None]:
    """Forecast a workspace's scenario and write the forecast tables.

    The tables are described in :mod:`ductplanner.simulate`. With
    ``sources``, the forecast is run again with each source of uncertainty
    known (what the band is made of: ``forecast_sources``).

    Everything is computed before anything is written, in one atomic step,
    so a failure leaves the workspace byte-for-byte as it was. With
    ``run``, the forecast starts in its first year (from the workspace as it
    was then, for a year in the past); without, in the scenario's.
    """
    path = as_workspace(path)
    scenario = run_scenario(as_scenario(scenario), run)
    inp = workspace_input(path, scenario, run)
    fc = simulate(inp, scenario, runs=runs, seed=seed, progress=progress, sources=sources)
    table = None
    if frontier:
        table = budget_frontier(inp, scenario, budgets=frontier, runs=runs, seed=seed)
    if write:
        write_forecast(path, [fc], [table] if table is not None else [])
    return fc, table


def read_forecast(workspace: WorkspaceLike, scenario: str | None = None) -> dict[str, pd.DataFrame]:
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
    columns = {
        "forecast": FORECAST_COLUMNS,
        "forecast_edges": EDGE_COLUMNS,
        "frontier": FRONTIER_COLUMNS,
        "forecast_runs": RUN_COLUMNS,
        "forecast_sources": SOURCE_COLUMNS,
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


def simulate_command(
    workspace: WorkspaceLike,
    scenario: Scenario | str | os.PathLike[str],
    *,
    runs: int | None = None,
    seed: int | None = None,
    frontier: Sequence[float] | None = None,
    run: RunDate | None = None,
    progress: bool = False,
    sources: bool = True,
) -> Result:
    """Run ``ductplanner simulate WORKSPACE --scenario FILE [--runs N] [--seed K] [--json]``.

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage.
    scenario : Scenario, or path or shipped name
        The scenario to forecast.
    runs, seed : int, optional
        Default: the scenario's ``[simulation]`` values.
    frontier : sequence of float, optional
        Also forecast the horizon for these yearly duct budgets (DKK).
    progress : bool
        Show a progress bar on standard error (only when it is a terminal).
    sources : bool
        Also say what the band is made of (``--no-sources``: skip it, a
        forecast of its own per source of uncertainty).

    Returns
    -------
    Result
        The forecast summary (``workspace`` and :meth:`Forecast.summary`, and
        ``frontier`` when asked for) and its text.
    """
    path = as_workspace(workspace)
    fc, table = simulate_workspace(
        path,
        scenario,
        runs=runs,
        seed=seed,
        frontier=frontier,
        run=run,
        progress=progress,
        sources=sources,
    )
    summary = {"workspace": str(path), **({} if run is None else run.summary()), **fc.summary()}
    history = workspace_dig_history(path, run)
    summary["dig_history"] = history.summary()
    written = ["forecast", "forecast_edges", "forecast_runs"]
    written += ["forecast_sources"] if sources else []
    if table is not None:
        summary["frontier"] = table.drop(columns="scenario").to_dict("records")
        written.append("frontier")
    assumed = (
        f"the scenario assumes {fc.scenario.regrowth.mean_cycle_years} years and "
        f"{fc.scenario.regrowth.project_length_m:,.0f} m"
    )
    text = fc.text() + f"\n  {history.text()} ({assumed})"
    text += f"\nwrote {', '.join(written)} (scenario {fc.key}) to {path}"
    return Result(summary=summary, text=text)


def workspace_dig_history(path: WorkspaceLike, run: RunDate | None = None) -> DigHistory:
    """Return what the workspace's record of digs says, as known on the run's day (or today).

    See :func:`~ductplanner.analysis.dig_history.dig_history`: the streets'
    last digs and the done digs, as they were on that day.
    """
    layers, _ = read_planning_state(as_workspace(path), run, KNOWN_AHEAD_MONTHS)
    as_of = run.as_of if run is not None else now().date()
    return dig_history(layers.get("streets"), layers.get("digs"), as_of)
