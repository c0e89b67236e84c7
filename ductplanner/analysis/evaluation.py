"""The figures of the committee's evaluation report, computed from a workspace's contents.

Coverage comes from :func:`~ductplanner.analysis.coverage.compute_coverage`
(so the report's numbers equal ``ductplanner coverage --json``); the laid
metres, planned vs realised, money and decision status are computed here
from the layers and tables that ``import``, ``opportunities``, ``plan``,
``requests``, ``decide``, ``record`` and ``simulate`` write. A figure whose
input is missing is named in :attr:`ReportData.missing` with the command that
computes it. Nothing here reads a file: the workflow reads the workspace into a
:class:`WorkspaceContents` and resolves the scenarios; the renderer only
formats :class:`ReportData`.

>>> import geopandas as gpd, pandas as pd
>>> from pathlib import Path
>>> from ductplanner.app.demo import tiny_layers
>>> layers = tiny_layers()
>>> contents = WorkspaceContents(
...     workspace=Path("town.gpkg"),
...     present=frozenset(layers),
...     layers=dict(layers, opportunities=gpd.GeoDataFrame(), plan=gpd.GeoDataFrame()),
...     tables={name: pd.DataFrame() for name in TABLES},
...     sources=pd.DataFrame(columns=["layer", "synthetic"]),
... )
>>> data = evaluate(contents, {})
>>> data.coverage["households_total"] > 0, sorted(data.missing)
(True, ['decisions', 'forecast', 'frontier', 'opportunities', 'plan'])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from ..core._clock import now
from ..core._format import number_column, plain, text_column
from ..io.workspace import Workspace
from ..model.decisions import decision_status
from ..model.regrowth import p_dug_within
from ..model.scenarios import Scenario, Span
from .addresses import DEFAULT_DROP_M
from .coverage import compute_coverage
from .dig_history import DigHistory, dig_history

__all__ = [
    "DERIVED_LAYERS",
    "INPUT_LAYERS",
    "TABLES",
    "WITHIN_YEARS",
    "ReportData",
    "ScenarioFile",
    "WorkspaceContents",
    "evaluate",
    "scenario_labels",
]

#: The layers a report reads when present, those the commands derive, and its tables.
INPUT_LAYERS = ("streets", "addresses", "ducts", "backbone", "sites", "districts")
DERIVED_LAYERS = ("opportunities", "plan")
TABLES = ("decisions", "forecast", "frontier", "forecast_runs", "forecast_sources")

Distribution = Literal["exponential", "gamma", "uniform"]

#: The horizon of the report's "dug within" chance (the words say five years).
WITHIN_YEARS = 5


@dataclass(frozen=True)
class ScenarioFile:
    """A scenario resolved from a label a table stores, with the file it was read from."""

    stem: str
    scenario: Scenario
    path: Path


@dataclass
class WorkspaceContents:
    """What the report reads of a workspace.

    Attributes
    ----------
    workspace : Workspace
        The workspace (named in the report, not read here).
    present : frozenset of str
        Names of the layers and tables the workspace holds.
    layers : dict of str to GeoDataFrame
        Every present layer of :data:`INPUT_LAYERS`, and each of
        :data:`DERIVED_LAYERS` (empty when absent).
    tables : dict of str to DataFrame
        Each of :data:`TABLES` (empty when absent).
    sources : DataFrame
        The provenance table.
    """

    workspace: Workspace
    present: frozenset[str]
    layers: dict[str, gpd.GeoDataFrame]
    tables: dict[str, pd.DataFrame]
    sources: pd.DataFrame


@dataclass
class ReportData:
    """Everything a report shows, read and computed once, rendered in any language.

    Attributes
    ----------
    workspace : Path
        The workspace GeoPackage.
    coverage : dict or None
        ``CoverageReport.summary()`` (the keys of ``ductplanner coverage --json``);
        None when the workspace lacks streets or addresses.
    districts : GeoDataFrame or None
        Coverage per district with the district polygons.
    ducts : GeoDataFrame
        The existing ducts (for the map and the metres per year).
    laid : DataFrame
        Metres of duct by ``year`` (None: unknown) and ``origin``.
    yearly : DataFrame
        Planned vs realised, one row per year.
    money : DataFrame
        Per year: ``budget_dkk``, ``planned_dkk``, ``agreed_dkk``, ``spent_dkk``.
    budget_scenario : str
        The scenario whose budget ``money`` shows ('' when none).
    forecast, frontier, forecast_runs : DataFrame
        The simulation's tables (empty when not computed).
    scenarios : dict of str to Scenario
        Scenario (file stem) → its parameters, for every scenario the
        workspace was planned or simulated with and whose file was found.
    scenario_files : dict of str to Path
        Scenario (file stem) → the file read.
    sources : DataFrame
        The workspace's provenance table.
    assumed : dict of str to Scenario
        Scenario (file stem) → its parameters with the regrowth the forecast
        ran with (the scenario's own where no forecast ran).
    dug_within : dict of str to float
        Scenario (file stem) → the chance a street with no known history is
        dug within :data:`WITHIN_YEARS` years, under its assumed regrowth.
    realised : dict of int to int
        Year → households duct-covered by the ducts laid up to its end, for
        the years of a forecast that started in the past (``as_of`` in
        ``forecast_runs``) up to the last year anything was laid or decided:
        what came to pass, beside what was forecast.
    missing : dict of str to str
        Section → the command that computes its input.
    manifest : dict
        Input files with hashes, parameters, seeds, version, date.
    plan_method : str
        The method of the plan the report follows ('' when there is none).
    plan_gap : float or None
        That plan's proven gap to the best possible (None: none known).
    forecast_sources : DataFrame
        The band with each source of uncertainty known in turn (empty when
        not computed; :mod:`ductplanner.simulate.sources`).
    dig_history : DigHistory or None
        What the streets' last digs and the done digs say about the cycle and
        the project size, today (:mod:`ductplanner.analysis.dig_history`).
    """

    workspace: Workspace
    coverage: dict[str, Any] | None
    districts: gpd.GeoDataFrame | None
    ducts: gpd.GeoDataFrame
    laid: pd.DataFrame
    yearly: pd.DataFrame
    money: pd.DataFrame
    budget_scenario: str
    forecast: pd.DataFrame
    frontier: pd.DataFrame
    forecast_runs: pd.DataFrame
    scenarios: dict[str, Scenario]
    scenario_files: dict[str, Path]
    sources: pd.DataFrame
    assumed: dict[str, Scenario] = field(default_factory=dict)
    dug_within: dict[str, float] = field(default_factory=dict)
    realised: dict[int, int] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    plan_method: str = ""
    plan_gap: float | None = None
    forecast_sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    dig_history: DigHistory | None = None

    @property
    def synthetic(self) -> bool:
        """Whether any layer of the workspace is marked synthetic (the demo)."""
        return bool(len(self.sources) and self.sources["synthetic"].any())

    def forecast_summary(self) -> dict[str, dict[str, Any]]:
        """Return, per scenario, the forecast as ``simulate --json`` states it.

        Keys per scenario: ``name``, ``years``, ``households_total``, ``p10``,
        ``p50``, ``p90``, ``p_reach_target`` (whole municipality) and
        ``districts`` (name → ``years``, ``p10``, ``p50``, ``p90``,
        ``p_reach_target``); the chances of reaching a share, ``p_reach_25``
        ... ``p_reach_90``, where the forecast has them.
        """
        out: dict[str, dict[str, Any]] = {}
        if self.forecast.empty:
            return out
        for scenario, rows in self.forecast.groupby("scenario", sort=False):
            whole = rows[rows["district"] == ""].sort_values("year")
            entry = _series(whole)
            names = rows["scenario_name"].dropna()
            entry["name"] = str(names.iloc[0]) if len(names) else str(scenario)
            entry["households_total"] = (
                int(whole["households_total"].iloc[-1]) if len(whole) else None
            )
            entry["districts"] = {
                str(name): _series(part.sort_values("year"))
                for name, part in rows[rows["district"] != ""].groupby("district", sort=False)
            }
            out[str(scenario)] = entry
        return out


def _series(rows: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {"years": [int(y) for y in rows["year"]]}
    reach = [c for c in rows.columns if str(c).startswith("p_reach_")]  # target and shares
    for key in ("p10", "p50", "p90", *reach):
        if key in rows.columns:
            out[key] = [plain(v) for v in rows[key]]
    return out


def _plan_of_decisions(plan: pd.DataFrame, current: pd.DataFrame) -> str:
    """Return the plan scenario the decision log follows (most digs in common; else the first)."""
    labels = list(dict.fromkeys(text_column(plan, "scenario")))
    if len(labels) <= 1:
        return labels[0] if labels else ""
    logged = set(text_column(current, "dig_id"))
    digs = text_column(plan, "dig_id")
    scenario = text_column(plan, "scenario")
    shared = [len(logged & set(digs[scenario == label])) for label in labels]
    return labels[int(np.argmax(shared))]


def _current_decisions(decisions: pd.DataFrame) -> pd.DataFrame:
    """Return the current status per dig (its latest row) and whether it was ever agreed."""
    if decisions.empty or "dig_id" not in decisions.columns:
        return pd.DataFrame(columns=["dig_id", "status", "year", "cost_dkk", "ever_agreed"])
    return decision_status(decisions)


def _laid_metres(ducts: gpd.GeoDataFrame) -> pd.DataFrame:
    """Metres of existing duct by year laid and origin (a long table)."""
    if ducts.empty:
        return pd.DataFrame({"year": [], "origin": [], "metres": []})
    frame = pd.DataFrame(
        {
            "year": number_column(ducts, "year_laid").to_numpy(),
            "origin": text_column(ducts, "origin").replace("", "unknown").to_numpy(),
            "metres": ducts.geometry.length.to_numpy(),
        }
    )
    frame["year"] = frame["year"].fillna(-1).astype(int)
    table = frame.groupby(["year", "origin"], as_index=False)["metres"].sum()
    return table.sort_values(["year", "origin"], ignore_index=True)


def _coverage_by_year(
    layers: Mapping[str, gpd.GeoDataFrame], years: Sequence[int], drop: float, source: str
) -> dict[int, int]:
    """Households duct-covered with the ducts laid up to each year (unknown years count)."""
    ducts = layers.get("ducts")
    if ducts is None or ducts.empty or not years:
        return {}
    laid = number_column(ducts, "year_laid")
    cheap = {k: v for k, v in layers.items() if k != "sites"}  # sites do not count households
    out: dict[int, int] = {}
    last_count, last_value = -1, 0
    for year in sorted(years):
        keep = (laid.isna() | (laid <= year)).to_numpy()
        if int(keep.sum()) != last_count:
            subset = dict(cheap, ducts=ducts[keep])
            report = compute_coverage(subset, drop=drop, source=source)
            last_value = int(report.summary()["households_duct_covered"])
            last_count = int(keep.sum())
        out[year] = last_value
    return out


def _yearly(
    opportunities: pd.DataFrame,
    plan: pd.DataFrame,
    current: pd.DataFrame,
    laid: pd.DataFrame,
    covered_by_year: Mapping[int, int],
) -> pd.DataFrame:
    """Planned vs realised per year: found, planned, agreed, laid, spent, gained, DKK/household."""
    years: set[int] = set()
    opp_year = number_column(opportunities, "year")
    plan_year = number_column(plan, "year")
    dec_year = number_column(current, "year")
    years |= {int(y) for y in opp_year.dropna()}
    years |= {int(y) for y in plan_year.dropna()}
    years |= {int(y) for y in dec_year.dropna()}
    years |= {int(y) for y in laid["year"] if y >= 0}
    status = text_column(current, "status")
    rows = []
    before = None
    for year in sorted(years):
        opp = opportunities[(opp_year == year).to_numpy()]
        planned = plan[(plan_year == year).to_numpy()]
        this = (dec_year == year).to_numpy()
        ever = current["ever_agreed"].astype(bool) | (status == "laid")
        agreed = current[this & ever.to_numpy()]
        done = current[this & (status == "laid").to_numpy()]
        covered = covered_by_year.get(year)
        if before is None:
            earlier = [y for y in covered_by_year if y < year]
            before = covered_by_year[max(earlier)] if earlier else None
        gained = None if covered is None or before is None else covered - before
        if covered is None and covered_by_year and before is not None:
            gained = 0
        spent = float(number_column(done, "cost_dkk").sum())
        rows.append(
            {
                "year": year,
                "opportunities": len(opp),
                "opportunity_digs": int(text_column(opp, "dig_id").nunique()),
                "planned_m": float(number_column(planned, "metres").sum()),
                "planned_dkk": float(number_column(planned, "cost_dkk").sum()),
                "requests_agreed": len(agreed),
                "laid_m": float(laid.loc[laid["year"] == year, "metres"].sum()),
                "spent_dkk": spent,
                "households_gained": gained,
                "dkk_per_household": spent / gained if gained and spent else None,
            }
        )
        if covered is not None:
            before = covered
    return pd.DataFrame(rows)


def _money(scenario: Scenario | None, plan: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Per year: the budget that buys ducts, planned, agreed and spent DKK.

    The budget is the followed plan's scenario for the years that plan ran
    (its run starts in the first year of the plan or of the decision log:
    years belong to a run). ``agreed_dkk`` counts the digs the yearly table
    counts as agreed (agreed at some point, or laid), so the two agree;
    ``spent_dkk`` the laid ones.
    """
    plan_year = number_column(plan, "year")
    dec_year = number_column(current, "year")
    budget: dict[int, float] = {}
    if scenario is not None:
        first = [int(y) for y in (*plan_year.dropna(), *dec_year.dropna())]
        b = scenario.starting(min(first) if first else scenario.start_year).budgets()
        for year, co, own in zip(b["years"], b["budget_co_dig"], b["budget_own_dig"], strict=True):
            budget[int(year)] = float(co) + float(own)
    status = text_column(current, "status")
    laid = (status == "laid").to_numpy()
    ever = (current["ever_agreed"].astype(bool).to_numpy() if len(current) else laid) | laid
    cost = number_column(current, "cost_dkk")
    laid_m = number_column(current, "metres")
    years = set(budget) | {int(y) for y in plan_year.dropna()} | {int(y) for y in dec_year.dropna()}
    rows = []
    for year in sorted(years):
        this = (dec_year == year).to_numpy()
        rows.append(
            {
                "year": year,
                "budget_dkk": budget.get(year),
                "planned_dkk": float(number_column(plan, "cost_dkk")[plan_year == year].sum()),
                "agreed_dkk": float(cost[this & ever].sum()),
                "spent_dkk": float(cost[this & laid].sum()),
                "laid_m": float(laid_m[this & laid].sum()),
            }
        )
    columns = ["year", "budget_dkk", "planned_dkk", "agreed_dkk", "spent_dkk", "laid_m"]
    return pd.DataFrame(rows, columns=columns)


def _realised_years(
    forecast: pd.DataFrame, runs: pd.DataFrame, laid: pd.DataFrame, decisions: pd.DataFrame
) -> list[int]:
    """Forecast years that have passed, for forecasts started from the network as it was.

    A year has passed when something was laid or decided in it or later: the
    decision log and the ducts are what the workspace knows of the past.
    """
    started = text_column(runs, "as_of")
    stems = set(text_column(runs, "scenario")[started != ""])
    if forecast.empty or not stems:
        return []
    ran = forecast[text_column(forecast, "scenario").isin(stems).to_numpy()]
    dates = pd.to_datetime(decisions.get("date", pd.Series(dtype=object)), errors="coerce")
    known = [int(y) for y in laid["year"] if y >= 0] + [int(d.year) for d in dates.dropna()]
    if not known:
        return []
    return sorted({int(y) for y in ran["year"] if int(y) <= max(known)})


def _forecast_table(table: pd.DataFrame) -> pd.DataFrame:
    if table.empty:
        return table
    table = table.copy()
    for column in ("scenario", "scenario_name", "district"):
        table[column] = text_column(table, column)
    table["year"] = number_column(table, "year").astype(int)
    return table


def _cycle_ran(run: Mapping[str, Any], own: float | Span) -> float | Span:
    """Return the mean cycle a forecast ran with: its range, its number, or the scenario's."""
    low, high = plain(run.get("mean_cycle_low")), plain(run.get("mean_cycle_high"))
    if isinstance(low, int | float) and isinstance(high, int | float) and low < high:
        return Span(float(low), float(high))
    mean = plain(run.get("mean_cycle_years"))
    return float(mean) if isinstance(mean, int | float) else own


def _as_forecast_ran(scenarios: Mapping[str, Scenario], runs: pd.DataFrame) -> dict[str, Scenario]:
    """Return each scenario with the regrowth and side paths its forecast ran with."""
    by_stem = {str(r["scenario"]): r for r in runs.to_dict(orient="records")}
    out: dict[str, Scenario] = {}
    for stem, scenario in scenarios.items():
        run = by_stem.get(stem, {})
        if run.get("distribution"):
            own = scenario.regrowth
            regrowth = dataclasses.replace(
                own,
                mean_cycle_years=_cycle_ran(run, own.mean_cycle_years),
                distribution=cast(Distribution, str(run["distribution"])),
                gamma_shape=float(plain(run.get("gamma_shape")) or own.gamma_shape),
            )
            scenario = dataclasses.replace(scenario, regrowth=regrowth)
        length = plain(run.get("project_length_m"))
        if run.get("distribution") and not isinstance(length, int | float):
            length = 0.0  # simulated before digging came in projects: street by street
        if isinstance(length, int | float):
            ran = dataclasses.replace(scenario.regrowth, project_length_m=float(length))
            scenario = dataclasses.replace(scenario, regrowth=ran)
        side_paths = plain(run.get("side_path_distance_m"))
        if side_paths not in (None, ""):
            kept = dataclasses.replace(scenario.coverage, side_path_distance_m=float(side_paths))
            scenario = dataclasses.replace(scenario, coverage=kept)
        out[stem] = scenario
    return out


def scenario_labels(contents: WorkspaceContents) -> list[str]:
    """Return every scenario label (file stem or name) the plan and forecast tables store.

    The workflow resolves these to files before :func:`evaluate`.
    """
    labels = [
        *text_column(contents.layers.get("plan", pd.DataFrame()), "scenario"),
        *text_column(contents.tables.get("forecast_runs", pd.DataFrame()), "scenario"),
        *text_column(contents.tables.get("forecast", pd.DataFrame()), "scenario"),
    ]
    return list(dict.fromkeys(x for x in labels if x))


def _missing(contents: WorkspaceContents) -> dict[str, str]:
    """Section → the command that computes its input, for every input the workspace lacks."""
    present, ws = contents.present, str(contents.workspace)
    missing: dict[str, str] = {}
    if not {"streets", "addresses"} <= present:
        missing["coverage"] = f"ductplanner import {ws} streets FILE (and addresses)"
    if "opportunities" not in present:
        missing["opportunities"] = f"ductplanner opportunities {ws}"
    if "plan" not in present:
        missing["plan"] = f"ductplanner plan {ws} --scenario revised-2019"
    if "decisions" not in present:
        missing["decisions"] = (
            f"ductplanner requests {ws} --owner NAME, then ductplanner decide and "
            "ductplanner record"
        )
    if "forecast" not in present:
        missing["forecast"] = f"ductplanner simulate {ws} --scenario revised-2019"
    if "frontier" not in present:
        missing["frontier"] = (
            f"ductplanner simulate {ws} --scenario revised-2019 --frontier 0 500000 1000000"
        )
    return missing


def _resolve(
    labels: Sequence[str], catalogue: Mapping[str, ScenarioFile]
) -> tuple[dict[str, str], dict[str, Scenario], dict[str, Path]]:
    """Return label → stem, stem → Scenario and stem → file for the labels the catalogue knows."""
    stem_of: dict[str, str] = {}
    scenarios: dict[str, Scenario] = {}
    files: dict[str, Path] = {}
    for label in dict.fromkeys(x for x in labels if x):
        entry = catalogue.get(label)
        if entry is None:
            continue
        scenarios.setdefault(entry.stem, entry.scenario)
        files.setdefault(entry.stem, entry.path)
        stem_of[label] = entry.stem
    return stem_of, scenarios, files


def evaluate(
    contents: WorkspaceContents,
    scenarios: Mapping[str, ScenarioFile],
    *,
    drop: float = DEFAULT_DROP_M,
) -> ReportData:
    """Compute every figure the report shows.

    Parameters
    ----------
    contents : WorkspaceContents
        The workspace's layers and tables.
    scenarios : mapping of str to ScenarioFile
        Scenario label (a stem or a name, as the tables store it) → the
        scenario; labels missing here are left out of the report.
    drop : float
        Drop distance for the coverage figures (default: that of
        ``ductplanner coverage``).

    Returns
    -------
    ReportData
        With an empty ``manifest`` (the workflow adds it: it hashes files).
    """
    ws = str(contents.workspace)
    present = contents.present & contents.layers.keys()
    layers = {name: contents.layers[name] for name in INPUT_LAYERS if name in present}
    coverage: dict[str, Any] | None = None
    districts = None
    if {"streets", "addresses"} <= contents.present:
        report = compute_coverage(layers, drop=drop, source=ws)
        coverage = report.summary()
        districts = report.districts
    ducts = contents.layers.get("ducts", gpd.GeoDataFrame())
    if "status" in ducts.columns:
        ducts = ducts[text_column(ducts, "status").isin(["existing", ""]).to_numpy()]
    tables = contents.tables
    runs = tables["forecast_runs"]
    forecast = _forecast_table(tables["forecast"])
    frontier = _forecast_table(tables["frontier"]) if len(tables["frontier"]) else pd.DataFrame()
    current = _current_decisions(tables["decisions"])
    plan = contents.layers["plan"]
    followed = _plan_of_decisions(plan, current)
    if followed:
        plan = plan[(text_column(plan, "scenario") == followed).to_numpy()]
    labels = [followed, *text_column(runs, "scenario"), *text_column(forecast, "scenario")]
    stem_of, resolved, files = _resolve(labels, scenarios)
    budget_stem = stem_of.get(followed) or next(iter(resolved), "")

    laid = _laid_metres(ducts)
    years = sorted({int(y) for y in laid["year"] if y >= 0})
    realised_years = _realised_years(forecast, runs, laid, tables["decisions"])
    covered: dict[int, int] = {}
    if coverage is not None:
        every = sorted(set(years) | set(realised_years))
        covered = _coverage_by_year(layers | {"ducts": ducts}, every, drop, ws)
    realised = {y: covered[y] for y in realised_years if y in covered}
    covered = {y: covered[y] for y in years if y in covered}
    assumed = _as_forecast_ran(resolved, runs)
    return ReportData(
        workspace=contents.workspace,
        coverage=coverage,
        districts=districts,
        ducts=ducts,
        laid=laid,
        yearly=_yearly(contents.layers["opportunities"], plan, current, laid, covered),
        money=_money(resolved.get(budget_stem), plan, current),
        budget_scenario=budget_stem,
        forecast=forecast,
        frontier=frontier,
        forecast_runs=runs,
        scenarios=resolved,
        scenario_files=files,
        sources=contents.sources,
        assumed=assumed,
        dug_within={
            stem: p_dug_within(WITHIN_YEARS, s)[s.regrowth.distribution]
            for stem, s in assumed.items()
        },
        realised=realised,
        missing=_missing(contents),
        plan_method=next(iter(text_column(plan, "method")), ""),
        plan_gap=_proven_gap(plan),
        forecast_sources=_forecast_table(tables.get("forecast_sources", pd.DataFrame())),
        dig_history=dig_history(
            contents.layers.get("streets"), contents.layers.get("digs"), now().date()
        ),
    )


def _proven_gap(plan: pd.DataFrame) -> float | None:
    """Return the plan layer's proven gap (None when no row has one, as for a greedy plan)."""
    gaps = number_column(plan, "optimality_gap").dropna()
    return float(gaps.iloc[0]) if len(gaps) else None
