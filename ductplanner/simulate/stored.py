"""The forecast tables as a workspace holds them, read back one scenario at a time.

``simulate`` writes three tables (schemas in :mod:`ductplanner.simulate`):
``forecast`` (per scenario, district and year), ``forecast_edges`` (per
street edge and year) and ``forecast_runs`` (how it was simulated).
:func:`stored_forecasts` checks them and returns one :class:`StoredForecast`
per scenario asked for, which the forecast maps draw.

>>> import pandas as pd
>>> tables = {
...     "forecast": pd.DataFrame({
...         "scenario": ["a", "a"], "scenario_name": ["A"] * 2, "district": ["", ""],
...         "year": [2021, 2020], "households_total": [10, 10], "p10": [1, 0],
...         "p50": [2, 1], "p90": [3, 2], "mean": [2.0, 1.0], "p_reach_target": [0.1, 0.0],
...     }),
...     "forecast_edges": pd.DataFrame(),
...     "forecast_runs": pd.DataFrame(),
... }
>>> stored_scenarios(tables, source="town.gpkg")
['a']
>>> [f.years for f in stored_forecasts(tables, ["a"], source="town.gpkg")]
[(2020, 2021)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..core._errors import WorkspaceError
from ..model.parallel import SIDE_PATH_DISTANCE_M
from ..model.scenarios import scenario_key
from .forecast import EDGE_COLUMNS, FORECAST_COLUMNS, REACH_COLUMNS, RUN_COLUMNS
from .sources import SOURCE_COLUMNS

__all__ = [
    "FORECAST_TABLES",
    "StoredForecast",
    "stored_forecasts",
    "stored_scenarios",
]

OPTIONAL_RUN_COLUMNS = (
    "as_of",
    "side_path_distance_m",
    "mean_cycle_low",
    "mean_cycle_high",
    "project_length_m",
)
"""Manifest columns an older ductplanner did not write; read as empty."""

FORECAST_TABLES: dict[str, tuple[str, ...]] = {
    "forecast": tuple(c for c in FORECAST_COLUMNS if c not in REACH_COLUMNS),
    "forecast_edges": EDGE_COLUMNS,
    "forecast_runs": tuple(c for c in RUN_COLUMNS if c not in OPTIONAL_RUN_COLUMNS),
    "forecast_sources": SOURCE_COLUMNS,
}
"""The simulation's tables the forecast maps read, with the columns they need."""


@dataclass(frozen=True)
class StoredForecast:
    """One scenario's forecast, as the simulation wrote it.

    Attributes
    ----------
    scenario : str
        Its key (the scenario file's stem, e.g. ``revised-2019``).
    name : str
        Its readable name.
    years : tuple of int
        Years of the forecast, ascending.
    totals : DataFrame
        The whole municipality's ``forecast`` rows, indexed by year.
    districts : DataFrame
        The districts' ``forecast`` rows.
    edges : DataFrame
        ``edge_id``, ``year``, ``p_covered``.
    runs : dict
        Its ``forecast_runs`` row (empty when absent).
    sources : DataFrame
        Its ``forecast_sources`` rows: the band with each source of
        uncertainty known (empty when not computed).
    """

    scenario: str
    name: str
    years: tuple[int, ...]
    totals: pd.DataFrame
    districts: pd.DataFrame
    edges: pd.DataFrame
    runs: Mapping[str, Any] = field(default_factory=dict)
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def side_path_distance_m(self) -> float:
        """Metres within which paths beside roads were part of the road's corridor.

        The network the forecast's edge ids name is built with it; a forecast
        written before the scenario had the key was built with the default.
        """
        value = pd.to_numeric(pd.Series([self.runs.get("side_path_distance_m")]), errors="coerce")
        return SIDE_PATH_DISTANCE_M if pd.isna(value.iat[0]) else float(value.iat[0])


def _simulate_hint(source: str) -> str:
    return (
        f"run `ductplanner simulate {source} --scenario SCENARIO` first "
        "(SCENARIO: a shipped name such as revised-2019, or a TOML file)"
    )


def _check_tables(tables: Mapping[str, pd.DataFrame], source: str) -> None:
    """Raise when there is no forecast, or a table lacks columns (an older ductplanner)."""
    if tables["forecast"].empty:
        raise WorkspaceError(f"workspace {source} has no forecast yet; {_simulate_hint(source)}")
    for name, columns in FORECAST_TABLES.items():
        table = tables.get(name, pd.DataFrame())
        missing = [c for c in columns if c not in table.columns]
        if name != "forecast" and table.empty:
            continue  # no edges or runs: the map says so
        if missing:
            raise WorkspaceError(
                f"table {name!r} of {source} lacks the columns {', '.join(missing)}; "
                f"it was written by an older ductplanner: {_simulate_hint(source)}"
            )


def stored_scenarios(tables: Mapping[str, pd.DataFrame], *, source: str) -> list[str]:
    """Return the keys of the scenarios the tables hold a forecast for (sorted).

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Each of :data:`FORECAST_TABLES` (empty when the workspace lacks it).
    source : str
        The workspace, named in errors.

    Raises
    ------
    WorkspaceError
        When there is no forecast (the message says how to make one), or a
        table lacks columns.
    """
    _check_tables(tables, source)
    return sorted(set(tables["forecast"]["scenario"].astype(str)))


def stored_forecasts(
    tables: Mapping[str, pd.DataFrame], scenarios: Sequence[str], *, source: str
) -> list[StoredForecast]:
    """Return the forecasts of ``scenarios`` (keys or TOML file names), in their order.

    Raises
    ------
    WorkspaceError
        No forecast, missing columns, or a scenario that was not simulated
        (the message lists those that were).
    """
    present = stored_scenarios(tables, source=source)
    keys = [scenario_key(s) for s in scenarios]
    unknown = [k for k in keys if k not in present]
    if unknown:
        raise WorkspaceError(
            f"no forecast for scenario {', '.join(map(repr, unknown))} in {source}; "
            f"it has forecasts for: {', '.join(present)}. Simulate it with "
            f"`ductplanner simulate {source} --scenario {unknown[0]}`"
        )
    return [_forecast(tables, key) for key in keys]


def _rows_of(table: pd.DataFrame, key: str) -> pd.DataFrame:
    if table.empty:
        return table
    return table[table["scenario"].astype(str) == key]


def _forecast(tables: Mapping[str, pd.DataFrame], key: str) -> StoredForecast:
    rows = _rows_of(tables["forecast"], key).copy()
    rows["year"] = pd.to_numeric(rows["year"]).astype(int)
    district = rows["district"].fillna("").astype(str)
    totals = rows[district == ""].drop_duplicates("year").set_index("year").sort_index()
    edges = _rows_of(tables["forecast_edges"], key)
    if not edges.empty:
        edges = edges.assign(year=pd.to_numeric(edges["year"]).astype(int))
    runs = _rows_of(tables["forecast_runs"], key)
    names = rows["scenario_name"].dropna().astype(str)
    return StoredForecast(
        scenario=key,
        name=names.iat[0] if len(names) else key,
        years=tuple(sorted(set(rows["year"]))),
        totals=totals,
        districts=rows[district != ""],
        edges=edges,
        runs=_manifest(runs),
        sources=_rows_of(tables.get("forecast_sources", pd.DataFrame()), key),
    )


def _manifest(runs: pd.DataFrame) -> dict[str, Any]:
    """Return the scenario's manifest row, with the optional columns an older run lacks."""
    if runs.empty:
        return {}
    return {c: "" for c in OPTIONAL_RUN_COLUMNS} | runs.iloc[0].to_dict()
