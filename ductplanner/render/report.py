"""The committee's evaluation report: one self-contained HTML file, printable to PDF.

Rendering only. Every figure in the report comes from a public step: coverage
from :func:`~ductplanner.analysis.coverage.compute_coverage` (so the numbers equal
``ductplanner coverage --json``), the forecast, frontier and decision log from
the tables that ``simulate``, ``plan``, ``requests``, ``decide`` and
``record`` write into the workspace. A section whose input is missing says
which command computes it instead of failing.

The page makes no request of its own: charts are inline SVG (matplotlib),
styles are inline, and every number the page shows is also embedded as JSON
(``<script type="application/json" id="report-data">``) for scripts and tests.
Every text that came from an input file is HTML-escaped.

Two steps, so a report in two languages reads the workspace once::

    data = collect_report(workspace)          # read and compute
    html = render_report(data, lang="da")     # render (en or da)

>>> import tempfile, pathlib
>>> from ductplanner.app.demo import tiny_layers
>>> from ductplanner.io.workspace import write_layers
>>> ws = pathlib.Path(tempfile.mkdtemp()) / "town.gpkg"
>>> write_layers(ws, tiny_layers(), synthetic=True)
>>> page = build_report(ws)
>>> page.startswith("<!DOCTYPE html>"), "synthetic demo data" in page
(True, True)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import io
import itertools
import json
import math
import os
import platform
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import __version__
from ..analysis.addresses import DEFAULT_DROP_M
from ..analysis.coverage import compute_coverage
from ..core._errors import ScenarioError
from ..core._format import Lang, metres, number, percent, share
from ..core.result import Result
from ..io.workspace import list_layers, read_layer, read_sources, read_table
from ..model.scenarios import Scenario, load_scenario, shipped_scenarios
from .style import SHARE_BREAKS, SHARE_COLOURS, safe_json, share_class

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


__all__ = [
    "ReportData",
    "build_report",
    "collect_report",
    "render_report",
    "report_command",
    "write_report",
]

_INPUT_LAYERS = ("streets", "addresses", "ducts", "backbone", "sites", "districts")
_DERIVED = ("opportunities", "plan")
_TABLES = ("decisions", "forecast", "frontier", "forecast_runs")
_SCENARIO_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
_ORIGINS = ("co-dig", "own-dig", "fibre-project", "unknown")


# --- words: English and Danish ---------------------------------------------------------------

_WORDS: dict[str, tuple[str, str]] = {
    "title": ("Broadband ducts: evaluation report", "Tomrør til bredbånd: evalueringsrapport"),
    "made": ("Made {date} from the workspace {ws}.", "Lavet {date} ud fra arbejdsfilen {ws}."),
    "synthetic": (
        "synthetic demo data: every figure in this report is made up.",
        "syntetiske demodata: alle tal i rapporten er opdigtede.",
    ),
    "contents": ("Contents", "Indhold"),
    "not_computed": ("Not computed yet: run", "Ikke beregnet endnu: kør"),
    "in_short": ("In short", "Kort fortalt"),
    "key": ("Key figures", "Nøgletal"),
    "figure": ("Figure", "Tal"),
    "value": ("Value", "Værdi"),
    "hh_served": (
        "Households with modern broadband now",
        "Husstande med moderne bredbånd nu",
    ),
    "ad_served": ("Addresses with modern broadband now", "Adresser med moderne bredbånd nu"),
    "hh_duct": ("Households our ducts reach", "Husstande vores tomrør når"),
    "ad_duct": ("Addresses our ducts reach", "Adresser vores tomrør når"),
    "ad_beyond": (
        "Addresses farther than the drop distance from every street",
        "Adresser længere end stikafstanden fra enhver vej",
    ),
    "sites": ("Municipal sites connected", "Kommunale institutioner tilsluttet"),
    "duct_len": ("Ducts in the ground", "Tomrør i jorden"),
    "duct_conn": ("of which connected to the backbone", "heraf forbundet til backbone"),
    "served_means": (
        "Modern broadband means at least {down} Mbit/s down and {up} Mbit/s up. An address "
        "counts as served when our ducts reach it or when it has such a line already. "
        "Our ducts reach an address when its street, within {drop} m, carries a duct that "
        "is connected through ducts to the backbone.",
        "Moderne bredbånd betyder mindst {down} Mbit/s ned og {up} Mbit/s op. En adresse "
        "tæller som dækket, når vores tomrør når den, eller når den allerede har en sådan "
        "forbindelse. Vores tomrør når en adresse, når dens vej inden for {drop} m har et "
        "tomrør, der gennem tomrør er forbundet til backbone.",
    ),
    "laid": ("Ducts laid per year", "Tomrør lagt pr. år"),
    "laid_text": (
        "Metres of duct in the ground by the year they were laid and by who dug the trench.",
        "Meter tomrør i jorden efter år og efter hvem der gravede.",
    ),
    "year": ("Year", "År"),
    "total": ("Total", "I alt"),
    "year_unknown": ("year unknown", "år ukendt"),
    "co-dig": ("co-digging", "samgravning"),
    "own-dig": ("own digging", "egen gravning"),
    "fibre-project": ("fibre project", "fiberprojekt"),
    "unknown": ("unknown", "ukendt"),
    "money": ("Money: spent and budget", "Penge: brugt og budget"),
    "money_text": (
        "DKK per year. The budget is what buys ducts in scenario “{name}” (co-digging and "
        "materials{own}). Agreed means a utility said yes; spent means the duct is laid.",
        "Kroner pr. år. Budgettet er det, der køber tomrør i scenariet “{name}” "
        "(samgravning og materialer{own}). Aftalt betyder, at et forsyningsselskab har sagt "
        "ja; brugt betyder, at røret er lagt.",
    ),
    "own_line": (" and own digging", " og egen gravning"),
    "budget": ("Budget", "Budget"),
    "planned_dkk": ("Planned", "Planlagt"),
    "agreed_dkk": ("Agreed", "Aftalt"),
    "spent": ("Spent", "Brugt"),
    "left": ("Left", "Tilbage"),
    "no_budget": (
        "No budget known: the workspace has no plan. Run",
        "Intet budget kendt: arbejdsfilen har ingen plan. Kør",
    ),
    "pvr": ("Planned and realised, year by year", "Planlagt og realiseret, år for år"),
    "pvr_text": (
        "What we found, planned, agreed and laid each year, and what it gave. Coverage "
        "gained counts every duct laid that year, whoever paid for it; cost per household "
        "is the DKK spent divided by the households gained.",
        "Hvad vi fandt, planlagde, aftalte og lagde hvert år, og hvad det gav. Dækning "
        "vundet tæller alle tomrør lagt det år, uanset hvem der betalte; pris pr. husstand "
        "er de brugte kroner delt med de vundne husstande.",
    ),
    "opps": ("Opportunities found", "Muligheder fundet"),
    "opp_digs": ("{n} digs", "{n} gravninger"),
    "plan_m": ("Planned (m)", "Planlagt (m)"),
    "agreed": ("Requests agreed", "Anmodninger aftalt"),
    "laid_m": ("Ducts laid (m)", "Tomrør lagt (m)"),
    "spent_dkk": ("DKK spent", "Kr. brugt"),
    "cost_hh": ("DKK per household reached", "Kr. pr. husstand nået"),
    "gained": ("Coverage gained (households)", "Dækning vundet (husstande)"),
    "districts": ("Coverage per district", "Dækning pr. bydel"),
    "district": ("District", "Bydel"),
    "households": ("Households", "Husstande"),
    "covered": ("Reached by our ducts", "Nået af vores tomrør"),
    "served": ("Modern broadband now", "Moderne bredbånd nu"),
    "addresses": ("Addresses", "Adresser"),
    "outside": ("outside every district", "uden for alle bydele"),
    "map_caption": (
        "Share of households our ducts reach, per district; lines are the ducts in the ground.",
        "Andel af husstande vores tomrør når, pr. bydel; stregerne er tomrørene i jorden.",
    ),
    "no_households": ("no households", "ingen husstande"),
    "forecast": ("Forecast per scenario", "Prognose pr. scenarie"),
    "forecast_text": (
        "Nobody knows where streets will be dug more than a few months ahead, so the "
        "forecast simulates many possible futures. The line is the middle outcome (P50); "
        "the band holds eight futures in ten (P10 to P90).",
        "Ingen ved, hvor der graves om mere end få måneder, så prognosen simulerer mange "
        "mulige fremtider. Linjen er det midterste udfald (P50); båndet rummer otte ud af "
        "ti fremtider (P10 til P90).",
    ),
    "hh_reached": ("households reached by our ducts", "husstande nået af vores tomrør"),
    "all_hh": ("all households", "alle husstande"),
    "target": ("target", "mål"),
    "p_target": ("Chance of target", "Chance for mål"),
    "share_hh": ("Share (P50)", "Andel (P50)"),
    "scenario": ("Scenario", "Scenarie"),
    "runs_line": (
        "{runs} simulated futures, seed {seed}, up to {horizon}.",
        "{runs} simulerede fremtider, frø {seed}, frem til {horizon}.",
    ),
    "target_title": (
        "Chance that a district reaches its target",
        "Chance for at en bydel når sit mål",
    ),
    "target_text": (
        "The chance, by each year, that a district has at least {share} of its households "
        "reached by our ducts.",
        "Chancen, for hvert år, for at en bydel har mindst {share} af sine husstande nået "
        "af vores tomrør.",
    ),
    "frontier": ("Budget frontier", "Budgetkurve"),
    "frontier_text": (
        "What more or less money a year would give: households reached (P50, with the "
        "P10–P90 band) against the yearly budget.",
        "Hvad flere eller færre penge om året ville give: husstande nået (P50, med "
        "P10–P90-båndet) mod det årlige budget.",
    ),
    "budget_axis": ("budget, million DKK per year", "budget, mio. kr. pr. år"),
    "in_year": ("in {year}", "i {year}"),
    "assumptions": ("Assumptions", "Forudsætninger"),
    "assume_costs": (
        "Laying a duct in another party's open trench costs {co} DKK per metre, the duct "
        "material {mat} DKK per metre, and digging our own trench {own} DKK per metre.",
        "At lægge et tomrør i en andens åbne rende koster {co} kr. pr. meter, "
        "rørmaterialet {mat} kr. pr. meter, og at grave sin egen rende {own} kr. pr. meter.",
    ),
    "assume_budget": (
        "The budget is {total} DKK a year: co-digging {co}, materials {mat}, communication "
        "{com}, project management {pm}, own digging {own}.",
        "Budgettet er {total} kr. om året: samgravning {co}, materialer {mat}, "
        "kommunikation {com}, projektledelse {pm}, egen gravning {own}.",
    ),
    "assume_cycle": (
        "Every street is dug up again on average every {cycle} years; the time between two "
        "digs follows {dist}.",
        "Hver vej graves op igen i gennemsnit hvert {cycle} år; tiden mellem to gravninger "
        "følger {dist}.",
    ),
    "dist_exponential": ("an exponential distribution", "en eksponentialfordeling"),
    "dist_gamma": ("a gamma distribution with shape {k}", "en gammafordeling med form {k}"),
    "dist_uniform": (
        "a uniform distribution within ±{spread} of the mean",
        "en ligefordeling inden for ±{spread} af gennemsnittet",
    ),
    "dist_cycle": (
        "a strict cycle (the same number of years every time)",
        "en fast cyklus (samme antal år hver gang)",
    ),
    "assume_drop": (
        "A house counts as reachable when it is at most {drop} m from a street with a "
        "connected duct (the drop distance).",
        "Et hus tæller som nåbart, når det højst ligger {drop} m fra en vej med et "
        "forbundet tomrør (stikafstanden).",
    ),
    "assume_target": (
        "A district reaches its target when {share} of its households are reached.",
        "En bydel når sit mål, når {share} af dens husstande er nået.",
    ),
    "assume_conf": (
        "A planned dig really opens its trench with a chance of {firm} when firm (permit "
        "given), {budgeted} when in the owner's budget and {indicative} when only "
        "announced. Of the digs that miss their window, {cancel} are cancelled; the others "
        "come on average {slip} years late.",
        "En planlagt gravning åbner faktisk renden med en chance på {firm}, når den er fast "
        "(tilladelse givet), {budgeted}, når den er i ejerens budget, og {indicative}, når "
        "den kun er annonceret. Af de gravninger, der ikke holder tiden, aflyses {cancel}; "
        "de øvrige kommer i gennemsnit {slip} år for sent.",
    ),
    "assume_within": (
        "So a street with no known history is dug within 5 years with a chance of {p}.",
        "En vej uden kendt historik graves altså op inden for 5 år med en chance på {p}.",
    ),
    "assume_sim": (
        "The forecast simulates {runs} futures with seed {seed} up to {horizon}.",
        "Prognosen simulerer {runs} fremtider med frø {seed} frem til {horizon}.",
    ),
    "no_scenario": (
        "No scenario has been used on this workspace yet. Run",
        "Intet scenarie er brugt på arbejdsfilen endnu. Kør",
    ),
    "sources": ("Data sources", "Datakilder"),
    "layer": ("Layer", "Lag"),
    "source": ("Source", "Kilde"),
    "updated": ("Updated", "Opdateret"),
    "kind": ("Kind", "Art"),
    "features": ("Features", "Objekter"),
    "real": ("real", "rigtige"),
    "synthetic_word": ("synthetic (demo)", "syntetiske (demo)"),
    "no_sources": (
        "The workspace records no sources.",
        "Arbejdsfilen har ingen registrerede kilder.",
    ),
    "manifest": ("Run manifest", "Kørselsoplysninger"),
    "manifest_text": (
        "Everything needed to reproduce each figure: the input files with their SHA-256 "
        "hashes, the scenario parameters, the seeds and the program version.",
        "Alt der skal til for at genskabe hvert tal: inputfilerne med deres SHA-256-"
        "kontrolsummer, scenariets parametre, frøene og programversionen.",
    ),
    "file": ("File", "Fil"),
    "role": ("Role", "Rolle"),
    "bytes": ("Bytes", "Bytes"),
    "reproduce": ("To reproduce", "Sådan genskabes tallene"),
    "parameters": ("Scenario parameters", "Scenariets parametre"),
    "sentence_cov": (
        "Today our ducts reach {covered}.",
        "I dag når vores tomrør {covered}.",
    ),
    "sentence_served": (
        "Counting those with a fast line already, {served} have modern broadband.",
        "Medregnet dem, der allerede har en hurtig forbindelse, har {served} moderne bredbånd.",
    ),
    "sentence_forecast": (
        "Under “{name}”, the middle forecast for {year} is {p50} households reached "
        "(eight futures in ten: {p10} to {p90}).",
        "Under “{name}” er den midterste prognose for {year} {p50} husstande nået "
        "(otte ud af ti fremtider: {p10} til {p90}).",
    ),
    "sentence_spent": (
        "So far {spent} DKK has been spent on the {m} of duct laid as agreed with the utilities.",
        "Indtil nu er der brugt {spent} kr. på de {m} tomrør, der er lagt efter aftale med "
        "forsyningsselskaberne.",
    ),
    "footer": (
        "Made by ductplanner {version}. Open source; figures reproducible from the manifest.",
        "Lavet med ductplanner {version}. Åben kildekode; tallene kan genskabes ud fra "
        "kørselsoplysningerne.",
    ),
}


def _w(key: str, lang: Lang, **values: Any) -> str:
    """Return the words for ``key`` in ``lang``, with ``values`` filled in (unescaped)."""
    text = _WORDS[key][0 if lang == "en" else 1]
    return text.format(**values) if values else text


def _e(value: Any) -> str:
    """HTML-escape any value's text ('' for a missing value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def _n(value: Any, lang: Lang, decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return number(float(value), decimals, lang=lang)


# --- what the report reads ---------------------------------------------------------------------


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
    missing : dict of str to str
        Section → the command that computes its input.
    manifest : dict
        Input files with hashes, parameters, seeds, version, date.
    """

    workspace: Path
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
    missing: dict[str, str] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def synthetic(self) -> bool:
        """Whether any layer of the workspace is marked synthetic (the demo)."""
        return bool(len(self.sources) and self.sources["synthetic"].any())

    def forecast_summary(self) -> dict[str, dict[str, Any]]:
        """Return, per scenario, the forecast as ``simulate --json`` states it.

        Keys per scenario: ``name``, ``years``, ``households_total``, ``p10``,
        ``p50``, ``p90``, ``p_reach_target`` (whole municipality) and
        ``districts`` (name → ``years``, ``p10``, ``p50``, ``p90``,
        ``p_reach_target``).
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
    for key in ("p10", "p50", "p90", "p_reach_target"):
        if key in rows.columns:
            out[key] = [_plain(v) for v in rows[key]]
    return out


def _plain(value: Any) -> Any:
    """Return a JSON-able plain Python value (None for missing)."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else value
    return value


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _scenario_files(forecast: pd.DataFrame) -> dict[str, Path]:
    """Map every name a table may store for a scenario to its file.

    The forecast tables store the file stem (``revised-2019``), the plan layer
    the scenario's name (``Revised plan 2019: co-digging only``): both are
    keys, for the shipped scenarios and for the stems the forecast names.
    """
    files: dict[str, Path] = {}
    for path in sorted(shipped_scenarios().glob("*.toml")):
        files[path.stem] = path
        try:
            files.setdefault(load_scenario(path).name, path)
        except ScenarioError:
            continue
    if len(forecast):
        for stem, name in (
            forecast[["scenario", "scenario_name"]].drop_duplicates().itertuples(index=False)
        ):
            if stem in files:
                files.setdefault(name, files[stem])
            elif Path(stem).is_file():
                files[stem] = files.setdefault(name, Path(stem))
    return files


def _load_scenarios(
    labels: Iterable[str], forecast: pd.DataFrame
) -> tuple[dict[str, str], dict[str, Scenario], dict[str, Path]]:
    """Resolve scenario labels (stems or names) to scenarios keyed by file stem.

    Returns
    -------
    tuple
        label → stem, stem → Scenario, stem → file (for the labels resolved).
    """
    known = _scenario_files(forecast)
    stem_of: dict[str, str] = {}
    scenarios: dict[str, Scenario] = {}
    files: dict[str, Path] = {}
    for label in dict.fromkeys(x for x in labels if x):
        path = known.get(label)
        if path is None:
            continue
        stem = path.stem
        if stem not in scenarios:
            try:
                scenarios[stem] = load_scenario(path)
            except ScenarioError:
                continue
            files[stem] = path
        stem_of[label] = stem
    return stem_of, scenarios, files


def _plan_of_decisions(plan: pd.DataFrame, current: pd.DataFrame) -> str:
    """Return the plan scenario the decision log follows (most digs in common; else the first)."""
    labels = list(dict.fromkeys(_text_column(plan, "scenario")))
    if len(labels) <= 1:
        return labels[0] if labels else ""
    logged = set(_text_column(current, "dig_id"))
    digs = _text_column(plan, "dig_id")
    scenario = _text_column(plan, "scenario")
    shared = [len(logged & set(digs[scenario == label])) for label in labels]
    return labels[int(np.argmax(shared))]


def _text_column(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].astype(object).where(frame[column].notna(), "").map(str)


def _number_column(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def _current_decisions(decisions: pd.DataFrame) -> pd.DataFrame:
    """Return the current status per dig (its latest row) and whether it was ever agreed."""
    from ..model.decisions import decision_status

    if decisions.empty or "dig_id" not in decisions.columns:
        return pd.DataFrame(columns=["dig_id", "status", "year", "cost_dkk", "ever_agreed"])
    return decision_status(decisions)


def _laid_metres(ducts: gpd.GeoDataFrame) -> pd.DataFrame:
    """Metres of existing duct by year laid and origin (a long table)."""
    if ducts.empty:
        return pd.DataFrame({"year": [], "origin": [], "metres": []})
    frame = pd.DataFrame(
        {
            "year": _number_column(ducts, "year_laid").to_numpy(),
            "origin": _text_column(ducts, "origin").replace("", "unknown").to_numpy(),
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
    laid = _number_column(ducts, "year_laid")
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
    opp_year = _number_column(opportunities, "year")
    plan_year = _number_column(plan, "year")
    dec_year = _number_column(current, "year")
    years |= {int(y) for y in opp_year.dropna()}
    years |= {int(y) for y in plan_year.dropna()}
    years |= {int(y) for y in dec_year.dropna()}
    years |= {int(y) for y in laid["year"] if y >= 0}
    status = _text_column(current, "status")
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
        spent = float(_number_column(done, "cost_dkk").sum())
        rows.append(
            {
                "year": year,
                "opportunities": len(opp),
                "opportunity_digs": int(_text_column(opp, "dig_id").nunique()),
                "planned_m": float(_number_column(planned, "metres").sum()),
                "planned_dkk": float(_number_column(planned, "cost_dkk").sum()),
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
    """Per year: the budget that buys ducts, planned, agreed and spent DKK."""
    budget: dict[int, float] = {}
    if scenario is not None:
        b = scenario.budgets()
        for year, co, own in zip(b["years"], b["budget_co_dig"], b["budget_own_dig"], strict=True):
            budget[int(year)] = float(co) + float(own)
    plan_year = _number_column(plan, "year")
    dec_year = _number_column(current, "year")
    status = _text_column(current, "status")
    cost = _number_column(current, "cost_dkk")
    laid_m = _number_column(current, "metres")
    years = set(budget) | {int(y) for y in plan_year.dropna()} | {int(y) for y in dec_year.dropna()}
    rows = []
    for year in sorted(years):
        this = (dec_year == year).to_numpy()
        rows.append(
            {
                "year": year,
                "budget_dkk": budget.get(year),
                "planned_dkk": float(_number_column(plan, "cost_dkk")[plan_year == year].sum()),
                "agreed_dkk": float(cost[this & (status == "agreed").to_numpy()].sum()),
                "spent_dkk": float(cost[this & (status == "laid").to_numpy()].sum()),
                "laid_m": float(laid_m[this & (status == "laid").to_numpy()].sum()),
            }
        )
    columns = ["year", "budget_dkk", "planned_dkk", "agreed_dkk", "spent_dkk", "laid_m"]
    return pd.DataFrame(rows, columns=columns)


def _forecast_table(table: pd.DataFrame) -> pd.DataFrame:
    if table.empty:
        return table
    table = table.copy()
    for column in ("scenario", "scenario_name", "district"):
        table[column] = _text_column(table, column)
    table["year"] = _number_column(table, "year").astype(int)
    return table


def collect_report(
    workspace: str | os.PathLike[str], *, drop: float = DEFAULT_DROP_M
) -> ReportData:
    """Read a workspace and compute what its report shows.

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage.
    drop : float
        Drop distance for the coverage figures (default: that of
        ``ductplanner coverage``).

    Returns
    -------
    ReportData

    Raises
    ------
    MissingInputError, WorkspaceError
        When the workspace does not exist or is not a GeoPackage.
    """
    path = Path(workspace)
    present = set(list_layers(path))
    ws = str(path)
    missing: dict[str, str] = {}
    layers = {name: read_layer(path, name) for name in _INPUT_LAYERS if name in present}
    coverage: dict[str, Any] | None = None
    districts = None
    if {"streets", "addresses"} <= present:
        report = compute_coverage(layers, drop=drop, source=ws)
        coverage = report.summary()
        districts = report.districts
    else:
        missing["coverage"] = f"ductplanner import {ws} streets FILE (and addresses)"
    ducts = layers.get("ducts", read_layer(path, "ducts", required=False))
    if "status" in ducts.columns:
        ducts = ducts[_text_column(ducts, "status").isin(["existing", ""]).to_numpy()]
    derived = {name: read_layer(path, name, required=False) for name in _DERIVED}
    tables = {name: read_table(path, name, required=False) for name in _TABLES}
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

    runs = tables["forecast_runs"]
    forecast = _forecast_table(tables["forecast"])
    frontier = _forecast_table(tables["frontier"]) if len(tables["frontier"]) else pd.DataFrame()
    current = _current_decisions(tables["decisions"])
    plan = derived["plan"]
    followed = _plan_of_decisions(plan, current)
    if followed:
        plan = plan[(_text_column(plan, "scenario") == followed).to_numpy()]
    labels = [followed, *_text_column(runs, "scenario"), *_text_column(forecast, "scenario")]
    stem_of, scenarios, files = _load_scenarios(labels, forecast)
    budget_stem = stem_of.get(followed) or next(iter(scenarios), "")

    laid = _laid_metres(ducts)
    years = sorted({int(y) for y in laid["year"] if y >= 0})
    covered = (
        _coverage_by_year({k: v for k, v in layers.items()} | {"ducts": ducts}, years, drop, ws)
        if coverage is not None
        else {}
    )
    yearly = _yearly(derived["opportunities"], plan, current, laid, covered)
    money = _money(scenarios.get(budget_stem), plan, current)
    sources = read_sources(path)
    data = ReportData(
        workspace=path,
        coverage=coverage,
        districts=districts,
        ducts=ducts,
        laid=laid,
        yearly=yearly,
        money=money,
        budget_scenario=budget_stem,
        forecast=forecast,
        frontier=frontier,
        forecast_runs=runs,
        scenarios=scenarios,
        scenario_files=files,
        sources=sources,
        missing=missing,
    )
    data.manifest = _manifest(data, drop)
    return data


def _manifest(data: ReportData, drop: float) -> dict[str, Any]:
    import geopandas
    import shapely

    ws = data.workspace
    files = [
        {
            "role": "workspace",
            "file": ws.name,
            "sha256": _sha256(ws),
            "bytes": ws.stat().st_size,
        }
    ]
    for stem, path in data.scenario_files.items():
        shipped = path.resolve().parent == shipped_scenarios().resolve()
        files.append(
            {
                "role": f"scenario {stem}",
                "file": f"scenarios/{path.name}" if shipped else path.name,
                "sha256": _sha256(path),
                "bytes": path.stat().st_size,
            }
        )
    runs = [
        {str(k): _plain(v) for k, v in row.items()}
        for row in data.forecast_runs.to_dict(orient="records")
    ]
    commands = [f"ductplanner coverage {ws.name} --json"]
    for run in runs:
        scenario, seed, count = run.get("scenario"), run.get("seed"), run.get("runs")
        commands.append(
            f"ductplanner simulate {ws.name} --scenario {scenario} --runs {count} --seed {seed}"
        )
    return {
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ductplanner": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "geopandas": geopandas.__version__,
        "shapely": shapely.__version__,
        "drop_m": drop,
        "files": files,
        "forecast_runs": runs,
        "scenarios": {stem: _plain_dict(s.to_dict()) for stem, s in data.scenarios.items()},
        "commands": commands,
    }


def _plain_dict(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain_dict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_dict(v) for v in value]
    return _plain(value)


# --- charts: matplotlib figures as inline SVG ----------------------------------------------------


def _figure(width: float = 7.5, height: float = 3.6) -> Figure:
    from matplotlib.figure import Figure

    # fixed margins: a constrained layout would draw every chart twice
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=0.12, right=0.98, bottom=0.13, top=0.96)
    return fig


def _svg(fig: Figure, prefix: str) -> str:
    """Return a figure as inline SVG whose ids cannot clash with another chart's."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": prefix}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'id="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', text)
    return re.sub(r"<svg ", f'<svg role="img" class="chart" data-chart="{prefix}" ', text, count=1)


def _thousands(lang: Lang) -> Callable[[float, Any], str]:
    return lambda value, _pos: number(value, 0, lang=lang)


def _style_axes(ax: Axes, lang: Lang) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.yaxis.set_major_formatter(FuncFormatter(_thousands(lang)))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _forecast_chart(data: ReportData, lang: Lang) -> str:
    fig = _figure()
    ax = fig.add_subplot()
    summary = data.forecast_summary()
    total = None
    for colour, (stem, entry) in zip(itertools.cycle(_SCENARIO_COLOURS), summary.items()):
        years = entry["years"]
        if not years:
            continue
        p10, p50, p90 = (np.asarray(entry[k], dtype=float) for k in ("p10", "p50", "p90"))
        ax.fill_between(years, p10, p90, color=colour, alpha=0.2, linewidth=0)
        ax.plot(years, p50, color=colour, linewidth=2, label=entry["name"])
        total = entry["households_total"] or total
        scenario = data.scenarios.get(stem)
        if scenario is not None and entry["households_total"]:
            share_ = scenario.coverage.target_share
            label = f"{_w('target', lang)} {percent(share_, 1, 0, lang=lang)}"
            ax.axhline(
                share_ * entry["households_total"],
                color=colour,
                linestyle=":",
                linewidth=1,
                label=label if label not in ax.get_legend_handles_labels()[1] else None,
            )
    if total:
        ax.axhline(total, color="#555555", linestyle="--", linewidth=1, label=_w("all_hh", lang))
    ax.set_ylabel(_w("hh_reached", lang))
    ax.set_ylim(bottom=0)
    _style_axes(ax, lang)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return _svg(fig, "forecast")


def _frontier_chart(data: ReportData, lang: Lang) -> str:
    """One panel per scenario: households reached against the yearly budget, a line per year."""
    from matplotlib.ticker import FuncFormatter

    frontier = data.frontier
    groups = list(frontier.groupby("scenario", sort=False))
    fig = _figure(7.5, 3.2 if len(groups) < 3 else 2.9)
    axes = fig.subplots(1, len(groups), sharey=True, squeeze=False)[0]
    fig.subplots_adjust(left=0.1, right=0.99, bottom=0.2, top=0.88, wspace=0.08)
    for ax, (stem, rows) in zip(axes, groups, strict=True):
        years = sorted({int(y) for y in rows["year"]})
        if len(years) > 3:
            years = [years[0], years[len(years) // 2], years[-1]]
        for colour, in_year in zip(_SCENARIO_COLOURS, years, strict=False):
            part = rows[rows["year"] == in_year].sort_values("budget_dkk")
            x = part["budget_dkk"].to_numpy(dtype=float)
            low, high = part["p10"].to_numpy(float), part["p90"].to_numpy(float)
            ax.fill_between(x, low, high, color=colour, alpha=0.18, linewidth=0)
            ax.plot(x, part["p50"].to_numpy(float), marker="o", color=colour, label=str(in_year))
        name = data.scenarios[stem].name if stem in data.scenarios else stem
        ax.set_title(name, fontsize=8)
        _style_axes(ax, lang)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: number(v / 1e6, 2, lang=lang)))
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0)
    axes[0].set_ylabel(_w("hh_reached", lang), fontsize=8)
    axes[0].legend(loc="lower right", fontsize=7, frameon=False)
    fig.supxlabel(_w("budget_axis", lang), fontsize=8)
    return _svg(fig, "frontier")


def _share_colour(part: float, whole: float) -> str:
    level = share_class(part, whole)
    return "#dddddd" if level is None else SHARE_COLOURS[level]


def _district_map(data: ReportData, lang: Lang) -> str:
    from matplotlib.patches import Patch

    districts = data.districts
    fig = _figure(6.5, 5.2)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    ax = fig.add_subplot()
    colours = [
        _share_colour(float(r.households_duct_covered), float(r.households_total))
        for r in districts.itertuples()
    ]
    districts.plot(ax=ax, color=colours, edgecolor="#3d3d3d", linewidth=0.8)
    if len(data.ducts):
        data.ducts.to_crs(districts.crs).plot(ax=ax, color="#222222", linewidth=0.9)
    for row in districts.itertuples():
        if row.geometry is None or row.geometry.is_empty:
            continue
        point = row.geometry.representative_point()
        ax.annotate(str(row.name), (point.x, point.y), ha="center", fontsize=6.5, color="#222")
    ax.set_axis_off()
    ax.set_aspect("equal")
    edges = (0, *SHARE_BREAKS, 100)
    handles = [
        Patch(facecolor=c, edgecolor="#3d3d3d", label=f"{lo}–{hi} %")
        for (lo, hi), c in zip(itertools.pairwise(edges), SHARE_COLOURS, strict=True)
    ]
    handles.append(Patch(facecolor="#dddddd", edgecolor="#3d3d3d", label=_w("no_households", lang)))
    ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=True, title=None)
    return _svg(fig, "districtmap")


# --- HTML pieces -------------------------------------------------------------------------------


_PLAN_HINT = "ductplanner plan WORKSPACE --scenario revised-2019"
_SIMULATE_HINT = "ductplanner simulate WORKSPACE --scenario revised-2019"


def _note(lang: Lang, command: str, *, key: str = "not_computed") -> str:
    """Say that a section's input is missing and which command computes it."""
    return f'<p class="note not-computed">{_e(_w(key, lang))} <code>{_e(command)}</code></p>'


def _table(header: Sequence[tuple[str, bool]], rows: Iterable[Sequence[str]], css: str = "") -> str:
    """Return a table; ``header`` is (escaped label, numeric?); cells come escaped."""
    head = "".join(f'<th class="num">{h}</th>' if num else f"<th>{h}</th>" for h, num in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{c}</td>' if num else f"<td>{c}</td>"
            for c, (_, num) in zip(row, header, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    cls = f' class="{css}"' if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _section(anchor: str, title: str, body: str, *, first: bool = False) -> str:
    cls = "chapter first" if first else "chapter"
    return f'<section class="{cls}" id="{anchor}"><h2>{_e(title)}</h2>{body}</section>'


def _in_short(data: ReportData, lang: Lang) -> str:
    sentences = []
    c = data.coverage
    if c is not None:
        hh = c["households_total"]
        covered = share(c["households_duct_covered"], hh, "households", lang=lang)
        served = share(c["households_served"], hh, "households", lang=lang)
        sentences.append(_w("sentence_cov", lang, covered=covered))
        sentences.append(_w("sentence_served", lang, served=served))
    spent = float(data.money["spent_dkk"].sum()) if len(data.money) else 0.0
    co_dig = float(data.money["laid_m"].sum()) if len(data.money) else 0.0
    if spent:
        sentences.append(
            _w("sentence_spent", lang, spent=_n(spent, lang), m=metres(float(co_dig), lang=lang))
        )
    for stem, entry in data.forecast_summary().items():
        if not entry["years"]:
            continue
        sentences.append(
            _w(
                "sentence_forecast",
                lang,
                name=entry["name"] or stem,
                year=entry["years"][-1],
                p50=_n(entry["p50"][-1], lang),
                p10=_n(entry["p10"][-1], lang),
                p90=_n(entry["p90"][-1], lang),
            )
        )
    body = "".join(f"<p class='lead'>{_e(s)}</p>" for s in sentences)
    return body or _note(lang, data.missing.get("coverage", ""))


def _key_figures(data: ReportData, lang: Lang) -> str:
    c = data.coverage
    if c is None:
        return _note(lang, data.missing["coverage"])
    hh, ad = c["households_total"], c["addresses_total"]

    def row(key: str, part_key: str, total: int, unit: str) -> tuple[str, str]:
        part = c[part_key]
        cell = (
            f'<span data-key="{part_key}" data-value="{int(part)}">'
            f"{_e(share(part, total, unit, lang=lang))}</span>"
        )
        return (_e(_w(key, lang)), cell)

    rows = [
        row("hh_served", "households_served", hh, "households"),
        row("ad_served", "addresses_served", ad, "addresses"),
        row("hh_duct", "households_duct_covered", hh, "households"),
        row("ad_duct", "addresses_duct_covered", ad, "addresses"),
        row("ad_beyond", "addresses_beyond_drop", ad, "addresses"),
        row("sites", "sites_connected", c["sites_total"], "sites"),
        (
            _e(_w("duct_len", lang)),
            f'<span data-key="duct_m" data-value="{c["duct_m"]}">'
            f"{_e(metres(c['duct_m'], lang=lang))}</span>",
        ),
        (
            _e(_w("duct_conn", lang)),
            f'<span data-key="duct_connected_m" data-value="{c["duct_connected_m"]}">'
            f"{_e(metres(c['duct_connected_m'], lang=lang))}</span>",
        ),
    ]
    table = _table(
        [(_e(_w("figure", lang)), False), (_e(_w("value", lang)), True)], rows, "keyfigures"
    )
    means = _w(
        "served_means",
        lang,
        down=_n(100, lang),
        up=_n(30, lang),
        drop=_n(c["drop_m"], lang),
    )
    return table + f"<p>{_e(means)}</p>"


def _laid_table(data: ReportData, lang: Lang) -> str:
    laid = data.laid
    if laid.empty:
        return f"<p>{_e(_w('laid_text', lang))}</p>" + "<p>–</p>"
    origins = [o for o in _ORIGINS if o in set(laid["origin"])]
    origins += sorted(set(laid["origin"]) - set(origins))
    pivot = laid.pivot_table(index="year", columns="origin", values="metres", aggfunc="sum")
    pivot = pivot.reindex(columns=origins).fillna(0.0)
    header = [(_e(_w("year", lang)), False)]
    header += [(_e(_w(o, lang) if o in _WORDS else o), True) for o in origins]
    header.append((_e(_w("total", lang)), True))
    rows = []
    for year, values in pivot.iterrows():
        label = _w("year_unknown", lang) if year < 0 else str(year)
        cells = [_e(label)] + [_e(_n(v, lang)) for v in values]
        cells.append(_e(_n(values.sum(), lang)))
        rows.append(cells)
    totals = [f"<b>{_e(_w('total', lang))}</b>"]
    totals += [f"<b>{_e(_n(v, lang))}</b>" for v in pivot.sum()]
    totals.append(f"<b>{_e(_n(pivot.to_numpy().sum(), lang))}</b>")
    rows.append(totals)
    return f"<p>{_e(_w('laid_text', lang))} (m)</p>" + _table(header, rows)


def _money_table(data: ReportData, lang: Lang) -> str:
    money = data.money
    parts = []
    scenario = data.scenarios.get(data.budget_scenario)
    if scenario is None:
        parts.append(_note(lang, data.missing.get("plan", _PLAN_HINT), key="no_budget"))
    else:
        own = _w("own_line", lang) if scenario.policy == "own-dig" else ""
        parts.append(f"<p>{_e(_w('money_text', lang, name=scenario.name, own=own))}</p>")
    if "decisions" in data.missing:
        parts.append(_note(lang, data.missing["decisions"]))
    if money.empty:
        return "".join(parts)
    header = [
        (_e(_w("year", lang)), False),
        (_e(_w("budget", lang)), True),
        (_e(_w("planned_dkk", lang)), True),
        (_e(_w("agreed_dkk", lang)), True),
        (_e(_w("spent", lang)), True),
        (_e(_w("left", lang)), True),
    ]
    rows = []
    for r in money.itertuples():
        budget = None if r.budget_dkk is None or pd.isna(r.budget_dkk) else float(r.budget_dkk)
        left = None if budget is None else budget - r.agreed_dkk - r.spent_dkk
        rows.append(
            [
                str(r.year),
                _e(_n(budget, lang)),
                _e(_n(r.planned_dkk, lang)),
                _e(_n(r.agreed_dkk, lang)),
                _e(_n(r.spent_dkk, lang)),
                _e(_n(left, lang)),
            ]
        )
    return "".join(parts) + _table(header, rows)


def _planned_realised(data: ReportData, lang: Lang) -> str:
    parts = [f"<p>{_e(_w('pvr_text', lang))}</p>"]
    for key in ("opportunities", "plan", "decisions"):
        if key in data.missing:
            parts.append(_note(lang, data.missing[key]))
    yearly = data.yearly
    if yearly.empty:
        return "".join(parts)
    header = [
        (_e(_w("year", lang)), False),
        (_e(_w("opps", lang)), True),
        (_e(_w("plan_m", lang)), True),
        (_e(_w("agreed", lang)), True),
        (_e(_w("laid_m", lang)), True),
        (_e(_w("spent_dkk", lang)), True),
        (_e(_w("gained", lang)), True),
        (_e(_w("cost_hh", lang)), True),
    ]
    rows = []
    for r in yearly.itertuples():
        found = _n(r.opportunities, lang)
        if r.opportunities:
            found += f" ({_w('opp_digs', lang, n=_n(r.opportunity_digs, lang))})"
        gained = (
            None
            if r.households_gained is None or pd.isna(r.households_gained)
            else r.households_gained
        )
        per = (
            None
            if r.dkk_per_household is None or pd.isna(r.dkk_per_household)
            else r.dkk_per_household
        )
        rows.append(
            [
                str(r.year),
                _e(found),
                _e(_n(r.planned_m, lang)),
                _e(_n(r.requests_agreed, lang)),
                _e(_n(r.laid_m, lang)),
                _e(_n(r.spent_dkk, lang)),
                _e(_n(gained, lang)),
                _e(_n(per, lang)),
            ]
        )
    return "".join(parts) + _table(header, rows, "pvr")


def _district_section(data: ReportData, lang: Lang) -> str:
    c = data.coverage
    if c is None:
        return _note(lang, data.missing["coverage"])
    header = [
        (_e(_w("district", lang)), False),
        (_e(_w("households", lang)), True),
        (_e(_w("covered", lang)), True),
        (_e(_w("served", lang)), True),
        (_e(_w("addresses", lang)), True),
    ]
    rows = []
    for name, n in c["districts"].items():
        total = n["households_total"]
        rows.append(
            [
                f'<span class="swatch" style="background:'
                f'{_share_colour(n["households_duct_covered"], total)}"></span> {_e(name)}',
                _e(_n(total, lang)),
                _e(share(n["households_duct_covered"], total, "households", lang=lang)),
                _e(share(n["households_served"], total, "households", lang=lang)),
                _e(_n(n["addresses_total"], lang)),
            ]
        )
    out = c.get("addresses_outside_districts", 0)
    parts = [_table(header, rows, "districts")]
    if out:
        parts.append(
            f"<p>{_e(share(out, c['addresses_total'], 'addresses', lang=lang))} "
            f"{_e(_w('outside', lang))}</p>"
        )
    if data.districts is not None and len(data.districts):
        parts.append(
            f"<figure>{_district_map(data, lang)}"
            f"<figcaption>{_e(_w('map_caption', lang))}</figcaption></figure>"
        )
    return "".join(parts)


def _forecast_section(data: ReportData, lang: Lang) -> str:
    if data.forecast.empty:
        return _note(lang, data.missing.get("forecast", "ductplanner simulate WORKSPACE"))
    parts = [f"<p>{_e(_w('forecast_text', lang))}</p>"]
    parts.append(f"<figure>{_forecast_chart(data, lang)}</figure>")
    runs = {str(r["scenario"]): r for r in data.forecast_runs.to_dict(orient="records")}
    for stem, entry in data.forecast_summary().items():
        parts.append(f"<h3>{_e(entry['name'])}</h3>")
        run = runs.get(stem)
        if run is not None:
            line = _w(
                "runs_line",
                lang,
                runs=_n(run.get("runs"), lang),
                seed=_plain(run.get("seed")),
                horizon=_plain(run.get("horizon")),
            )
            parts.append(f"<p>{_e(line)}</p>")
        total = entry["households_total"] or 0
        header = [
            (_e(_w("year", lang)), False),
            ("P10", True),
            ("P50", True),
            ("P90", True),
            (_e(_w("share_hh", lang)), True),
            (_e(_w("p_target", lang)), True),
        ]
        reach = entry.get("p_reach_target") or [None] * len(entry["years"])
        rows = []
        for i, year in enumerate(entry["years"]):
            p10, p50, p90 = entry["p10"][i], entry["p50"][i], entry["p90"][i]
            rows.append(
                [
                    str(year),
                    f'<span data-p="p10">{_e(_n(p10, lang))}</span>',
                    f'<span data-p="p50">{_e(_n(p50, lang))}</span>',
                    f'<span data-p="p90">{_e(_n(p90, lang))}</span>',
                    _e(percent(p50 or 0, total, lang=lang)),
                    _e("–" if reach[i] is None else percent(reach[i], 1, 0, lang=lang)),
                ]
            )
        parts.append(
            f'<div class="forecast" data-scenario="{_e(stem)}">{_table(header, rows)}</div>'
        )
    return "".join(parts)


def _heat(p: float | None) -> str:
    if p is None or math.isnan(p):
        return "#ffffff"
    low, high = np.array([247, 252, 245]), np.array([35, 139, 69])
    r, g, b = (low + (high - low) * max(0.0, min(1.0, p))).round().astype(int)
    return f"#{r:02x}{g:02x}{b:02x}"


def _target_section(data: ReportData, lang: Lang) -> str:
    if data.forecast.empty:
        return _note(lang, data.missing.get("forecast", "ductplanner simulate WORKSPACE"))
    parts = []
    for stem, entry in data.forecast_summary().items():
        districts = entry["districts"]
        if not districts:
            continue
        scenario = data.scenarios.get(stem)
        target = scenario.coverage.target_share if scenario else None
        parts.append(f"<h3>{_e(entry['name'])}</h3>")
        if target is not None:
            parts.append(
                f"<p>{_e(_w('target_text', lang, share=percent(target, 1, 0, lang=lang)))}</p>"
            )
        years = sorted({y for d in districts.values() for y in d["years"]})
        header = [(_e(_w("district", lang)), False)] + [(str(y), True) for y in years]
        rows = []
        for name, d in districts.items():
            by_year = dict(zip(d["years"], d.get("p_reach_target", []), strict=False))
            cells = [_e(name)]
            for y in years:
                p = by_year.get(y)
                text = "–" if p is None else percent(p, 1, 0, lang=lang)
                ink = "#ffffff" if p is not None and p > 0.6 else "#1f2328"
                style = f"display:block;background:{_heat(p)};color:{ink}"
                cells.append(f'<span style="{style}">{_e(text)}</span>')
            rows.append(cells)
        parts.append(
            f'<div class="target" data-scenario="{_e(stem)}">{_table(header, rows, "heat")}</div>'
        )
    return "".join(parts) or _note(lang, data.missing.get("forecast", "ductplanner simulate"))


def _frontier_section(data: ReportData, lang: Lang) -> str:
    if data.frontier.empty:
        return _note(lang, data.missing.get("frontier", "ductplanner simulate WORKSPACE"))
    return f"<p>{_e(_w('frontier_text', lang))}</p><figure>{_frontier_chart(data, lang)}</figure>"


def _distribution(regrowth: Any, lang: Lang) -> str:
    kind = str(regrowth.distribution)
    if kind == "gamma":
        return _w("dist_gamma", lang, k=_n(regrowth.gamma_shape, lang, 1))
    if kind == "uniform":
        spread = float(getattr(regrowth, "uniform_spread", 0.0))
        if not spread:
            return _w("dist_cycle", lang)
        return _w("dist_uniform", lang, spread=percent(spread, 1, 0, lang=lang))
    key = f"dist_{kind}"
    return _w(key, lang) if key in _WORDS else kind


def _dug_within_5(scenario: Scenario, lang: Lang) -> str:
    """Return the regrowth assumption as one chance (where the simulation offers it)."""
    try:
        from ..model.regrowth import p_dug_within
    except ImportError:  # pragma: no cover - a version without the simulation
        return ""
    chance = p_dug_within(5, scenario)[scenario.regrowth.distribution]
    return _w("assume_within", lang, p=percent(chance, 1, 0, lang=lang))


def _assumptions(data: ReportData, lang: Lang) -> str:
    if not data.scenarios:
        return _note(lang, data.missing.get("forecast", _SIMULATE_HINT), key="no_scenario")
    runs = {str(r["scenario"]): r for r in data.forecast_runs.to_dict(orient="records")}
    parts = []
    for stem, s in data.scenarios.items():
        run = runs.get(stem, {})
        regrowth = s.regrowth
        if run.get("distribution"):  # what the forecast ran with
            regrowth = dataclasses.replace(
                regrowth,
                mean_cycle_years=float(_plain(run.get("mean_cycle_years")) or 5.5),
                distribution=str(run["distribution"]),
                gamma_shape=float(_plain(run.get("gamma_shape")) or regrowth.gamma_shape),
            )
            s = dataclasses.replace(s, regrowth=regrowth)
        b, c = s.budget, s.costs
        items = [
            _w(
                "assume_costs",
                lang,
                co=_n(c.co_laying, lang),
                mat=_n(c.material, lang),
                own=_n(c.own_trench, lang),
            ),
            _w(
                "assume_budget",
                lang,
                total=_n(b.total_dkk, lang),
                co=_n(b.co_digging, lang),
                mat=_n(b.materials, lang),
                com=_n(b.communication, lang),
                pm=_n(b.project_management, lang),
                own=_n(b.own_digging, lang),
            ),
            _w(
                "assume_cycle",
                lang,
                cycle=_n(regrowth.mean_cycle_years, lang, 1),
                dist=_distribution(regrowth, lang),
            )
            + (" " + _dug_within_5(s, lang)).rstrip(),
            _w("assume_drop", lang, drop=_n(s.coverage.drop_distance_m, lang)),
            _w(
                "assume_target",
                lang,
                share=percent(s.coverage.target_share, 1, 0, lang=lang),
            ),
            _w(
                "assume_conf",
                lang,
                firm=percent(s.confidence.firm, 1, 0, lang=lang),
                budgeted=percent(s.confidence.budgeted, 1, 0, lang=lang),
                indicative=percent(s.confidence.indicative, 1, 0, lang=lang),
                slip=_n(s.confidence.slip_years, lang, 1),
                cancel=percent(getattr(s.confidence, "cancel_share", 1.0), 1, 0, lang=lang),
            ),
            _w(
                "assume_sim",
                lang,
                runs=_n(_plain(run.get("runs")) or s.simulation.runs, lang),
                seed=_plain(run.get("seed")) if run.get("seed") is not None else s.simulation.seed,
                horizon=_plain(run.get("horizon")) or s.simulation.horizon,
            ),
        ]
        description = f"<p>{_e(s.description)}</p>" if s.description else ""
        parts.append(
            f"<h3>{_e(s.name)}</h3>{description}<ul>"
            + "".join(f"<li>{_e(i)}</li>" for i in items)
            + "</ul>"
        )
    return "".join(parts)


def _sources_section(data: ReportData, lang: Lang) -> str:
    sources = data.sources
    if sources.empty:
        return f"<p>{_e(_w('no_sources', lang))}</p>"
    header = [
        (_e(_w("layer", lang)), False),
        (_e(_w("source", lang)), False),
        (_e(_w("updated", lang)), False),
        (_e(_w("kind", lang)), False),
        (_e(_w("features", lang)), True),
    ]
    rows = [
        [
            _e(r.layer),
            _e(r.source),
            _e(r.updated),
            _e(_w("synthetic_word" if r.synthetic else "real", lang)),
            _e(_n(r.features, lang)),
        ]
        for r in sources.itertuples()
    ]
    notes = sorted({str(n) for n in sources["note"] if str(n)})
    return _table(header, rows) + "".join(f"<p class='note'>{_e(n)}</p>" for n in notes)


def _manifest_section(data: ReportData, lang: Lang) -> str:
    m = data.manifest
    header = [
        (_e(_w("role", lang)), False),
        (_e(_w("file", lang)), False),
        ("SHA-256", False),
        (_e(_w("bytes", lang)), True),
    ]
    rows = [
        [_e(f["role"]), _e(f["file"]), f"<code>{_e(f['sha256'])}</code>", _e(_n(f["bytes"], lang))]
        for f in m["files"]
    ]
    versions = ", ".join(
        f"{k} {m[k]}" for k in ("ductplanner", "python", "numpy", "pandas", "geopandas", "shapely")
    )
    commands = "\n".join(m["commands"])
    parameters = json.dumps(
        {"forecast_runs": m["forecast_runs"], "scenarios": m["scenarios"]},
        ensure_ascii=False,
        indent=1,
        default=str,
    )
    return (
        f"<p>{_e(_w('manifest_text', lang))}</p>"
        + _table(header, rows, "manifest")
        + f"<p>{_e(versions)}; {_e(m['created'])}</p>"
        + f"<h3>{_e(_w('reproduce', lang))}</h3><pre>{_e(commands)}</pre>"
        + f"<details><summary>{_e(_w('parameters', lang))}</summary>"
        + f"<pre>{_e(parameters)}</pre></details>"
    )


def _embedded(data: ReportData, lang: Lang) -> dict[str, Any]:
    """Every number the page states, for scripts and tests."""
    coverage = None
    if data.coverage is not None:
        coverage = {
            k: v for k, v in data.coverage.items() if k not in ("islands", "sites", "warnings")
        }
    return _plain_dict(
        {
            "lang": lang,
            "synthetic": data.synthetic,
            "coverage": coverage,
            "forecast": data.forecast_summary(),
            "frontier": data.frontier.to_dict(orient="records") if len(data.frontier) else [],
            "laid": data.laid.to_dict(orient="records"),
            "yearly": data.yearly.to_dict(orient="records"),
            "money": data.money.to_dict(orient="records"),
            "budget_scenario": data.budget_scenario,
            "not_computed": data.missing,
            "manifest": data.manifest,
        }
    )


def _css() -> str:
    return resources.files("ductplanner").joinpath("templates/report.css").read_text("utf-8")


def render_report(data: ReportData, *, lang: Lang = "en", label: str | None = None) -> str:
    """Render collected report data as one self-contained HTML page.

    Parameters
    ----------
    data : ReportData
        From :func:`collect_report`.
    lang : {"en", "da"}
        Language of the words and of the number formats.
    label : str, optional
        A banner line (the demo's "synthetic data" caption). A workspace with
        synthetic layers always gets a banner.

    Returns
    -------
    str
        The HTML page.
    """
    if lang not in ("en", "da"):
        raise ValueError(f"lang must be 'en' or 'da', got {lang!r}")
    banners = []
    if data.synthetic or label:
        banners.append(_w("synthetic", lang))
    if label:
        banners.append(label)
    banner = (
        f'<div class="banner" role="alert">{" ".join(_e(b) for b in banners)}</div>'
        if banners
        else ""
    )
    sections = [
        ("in-short", _w("in_short", lang), _in_short(data, lang)),
        ("key-figures", _w("key", lang), _key_figures(data, lang)),
        ("laid", _w("laid", lang), _laid_table(data, lang)),
        ("money", _w("money", lang), _money_table(data, lang)),
        ("planned-realised", _w("pvr", lang), _planned_realised(data, lang)),
        ("districts", _w("districts", lang), _district_section(data, lang)),
        ("forecast", _w("forecast", lang), _forecast_section(data, lang)),
        ("target", _w("target_title", lang), _target_section(data, lang)),
        ("frontier", _w("frontier", lang), _frontier_section(data, lang)),
        ("assumptions", _w("assumptions", lang), _assumptions(data, lang)),
        ("sources", _w("sources", lang), _sources_section(data, lang)),
        ("manifest", _w("manifest", lang), _manifest_section(data, lang)),
    ]
    # a new printed page for the big chapters; small ones follow on the same page
    new_page = {"key-figures", "districts", "forecast", "assumptions", "manifest"}
    body = []
    for anchor, title, content in sections:
        body.append(_section(anchor, title, content, first=anchor not in new_page))
    toc = "".join(f'<li><a href="#{a}">{_e(t)}</a></li>' for a, t, _ in sections)
    created = data.manifest.get("created", "")[:10]
    title = _w("title", lang)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}: {_e(data.workspace.stem)}</title>"
        f"<style>{_css()}</style></head><body>"
        f"<header><h1>{_e(title)}</h1>"
        f'<p class="subtitle">{_e(_w("made", lang, date=created, ws=data.workspace.name))}</p>'
        f"{banner}</header>"
        f"<nav><b>{_e(_w('contents', lang))}</b><ol>{toc}</ol></nav>"
        f"<main>{''.join(body)}</main>"
        f"<footer>{_e(_w('footer', lang, version=__version__))}</footer>"
        f'<script type="application/json" id="report-data">{safe_json(_embedded(data, lang))}'
        "</script></body></html>\n"
    )


def build_report(
    workspace: str | os.PathLike[str], *, lang: Lang = "en", label: str | None = None
) -> str:
    """Return the evaluation report of a workspace as one HTML page.

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage.
    lang : {"en", "da"}
        Language and number formats.
    label : str, optional
        Banner text (e.g. the demo's synthetic-data caption).

    Returns
    -------
    str
        Self-contained HTML: inline styles, inline SVG charts, no requests.
    """
    return render_report(collect_report(workspace), lang=lang, label=label)


def _write_atomic(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def write_report(
    workspace: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    lang: Lang = "en",
    label: str | None = None,
    data: ReportData | None = None,
) -> Path:
    """Write the report to ``out`` atomically (a temporary file, then a rename).

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage (read unless ``data`` is given).
    out : path-like
        The HTML file to write; an existing file is replaced only once the
        new one is complete.
    lang : {"en", "da"}
    label : str, optional
        Banner text.
    data : ReportData, optional
        Already collected data (to write several languages from one read).

    Returns
    -------
    Path
        ``out``.
    """
    data = collect_report(workspace) if data is None else data
    return _write_atomic(Path(out), render_report(data, lang=lang, label=label))


def report_summary(data: ReportData, out: Path, lang: Lang) -> dict[str, Any]:
    sections = ("coverage", "opportunities", "plan", "decisions", "forecast", "frontier")
    c = data.coverage or {}
    return {
        "workspace": str(data.workspace),
        "out": str(out),
        "bytes": out.stat().st_size,
        "lang": lang,
        "synthetic": data.synthetic,
        "computed": [s for s in sections if s not in data.missing],
        "not_computed": data.missing,
        **{
            k: c[k]
            for k in ("households_total", "households_duct_covered", "households_served")
            if k in c
        },
        "scenarios": list(data.forecast_summary()),
        "budget_scenario": data.budget_scenario,
        "files": data.manifest["files"],
    }


def report_command(
    workspace: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    lang: Lang = "en",
) -> Result:
    """Run ``ductplanner report WORKSPACE [--out FILE] [--lang en|da] [--json]``."""
    workspace = Path(workspace)
    out = Path(out) if out else Path("maps") / f"{workspace.stem}-report.html"
    data = collect_report(workspace)
    write_report(workspace, out, lang=lang, data=data)
    summary = report_summary(data, out, lang)
    lines = [f"wrote {out} ({summary['bytes'] / 1e3:.0f} kB, {lang})"]
    if data.coverage is not None:
        c = data.coverage
        lines.append(
            "duct-covered: "
            + share(c["households_duct_covered"], c["households_total"], "households")
        )
    for section, command in data.missing.items():
        lines.append(f"not computed yet: {section} (run `{command}`)")
    return Result(summary=summary, text="\n".join(lines))


