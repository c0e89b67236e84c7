"""The evaluation report: its numbers equal the steps', charts, escaping, Danish, atomic write."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from test_cli_coverage import PUBLIC_KEYS

from ductplanner.analysis.evaluation import ReportData
from ductplanner.app.demo import tiny_layers
from ductplanner.app.workflows import report as report_workflow
from ductplanner.app.workflows.report import build_report, collect_report, write_report
from ductplanner.app.workflows.simulate import read_forecast
from ductplanner.cli import main
from ductplanner.core import _atomic
from ductplanner.io.workspace import content_digests, read_layer, read_table, write_layers
from ductplanner.model.scenarios import load_scenario, shipped_scenarios
from ductplanner.pipeline import report_step
from ductplanner.render.report import render_report

SHIPPED = sorted(p.stem for p in shipped_scenarios().glob("*.toml"))
EVIL = "<script>alert('x')</script>"
YEARS = list(range(2019, 2031))


# --- fixtures: the tables the other steps write ------------------------------------------------


def _forecast_rows(stem: str, name: str, districts: dict[str, int], seed: int) -> pd.DataFrame:
    """Made-up but consistent forecast rows: P10 <= P50 <= P90 <= households, rising."""
    rng = np.random.default_rng(seed)
    rows = []
    total = sum(districts.values())
    for district, households in [("", total), *districts.items()]:
        start = rng.uniform(0.05, 0.2)
        for i, year in enumerate(YEARS):
            mid = min(1.0, start + 0.07 * i)
            p50 = round(households * mid)
            p10 = max(0, round(households * (mid - 0.08)))
            p90 = min(households, round(households * (mid + 0.08)))
            rows.append(
                {
                    "scenario": stem,
                    "scenario_name": name,
                    "district": district,
                    "year": year,
                    "households_total": households,
                    "p10": float(p10),
                    "p50": float(p50),
                    "p90": float(p90),
                    "mean": float(p50) + 0.25,
                    "p_reach_target": round(min(1.0, max(0.0, (mid - 0.5) * 2)), 3),
                }
            )
    return pd.DataFrame(rows)


def add_step_outputs(
    workspace: Path,
    scenarios: tuple[str, ...] = ("revised-2019",),
    *,
    forecast: bool = True,
    owner: str = "Novafos",
    laid_year: int = 2020,
) -> None:
    """Write what opportunities, plan, requests/decide/record and simulate leave behind."""
    streets = read_layer(workspace, "streets")
    districts = read_layer(workspace, "districts")
    edges = streets.iloc[[3, 5]]  # Vestvej starts at the POP: laying it covers houses
    opportunities = gpd.GeoDataFrame(
        {
            "id": ["OPP-1", "OPP-2"],
            "dig_id": ["NOV-1", "RAD-1"],
            "owner": [owner, "Radius"],
            "purpose": ["water", "power"],
            "edge_id": edges["id"].tolist(),
            "year": [2020, 2021],
            "start": ["2020-04-01", "2021-03-01"],
            "end": ["2020-06-30", "2021-05-31"],
            "metres": [300.0, 250.0],
            "cost_dkk": [54_000.0, 45_000.0],
            "probability": [0.95, 0.4],
            "confidence": ["firm", "indicative"],
            "dig_status": ["confirmed", "planned"],
            "households_now": [0, 0],
            "households_potential": [8, 6],
            "touches": ["", ""],
        },
        geometry=edges.geometry.values,
        crs=streets.crs,
    )
    plan = gpd.GeoDataFrame(
        {
            "id": ["PLAN-1", "PLAN-2"],
            "opportunity_id": ["OPP-1", "OPP-2"],
            "dig_id": ["NOV-1", "RAD-1"],
            "owner": [owner, "Radius"],
            "edge_id": edges["id"].tolist(),
            "year": [2020, 2021],
            "kind": ["co-dig", "co-dig"],
            "metres": [300.0, 250.0],
            "cost_dkk": [54_000.0, 45_000.0],
            "households": [8, 6],
            "why": ["connects 8 households", "connects 6 households"],
            "method": ["greedy", "greedy"],
            "optimality_gap": [float("nan")] * 2,  # a greedy plan has no bound
            "scenario": [load_scenario(scenarios[0]).name] * 2,  # the plan stores the name
        },
        geometry=edges.geometry.values,
        crs=streets.crs,
    )
    decisions = pd.DataFrame(
        {
            "dig_id": ["NOV-1", "NOV-1", "NOV-1", "RAD-1"],
            "owner": [owner, owner, owner, "Radius"],
            "status": ["proposed", "agreed", "laid", "agreed"],
            "reason": ["", "", "", ""],
            "date": ["2020-02-01", "2020-03-01", "2020-07-01", "2021-01-15"],
            "year": [2020, 2020, 2020, 2021],
            "metres": [300.0, 300.0, 300.0, 250.0],
            "cost_dkk": [54_000.0, 54_000.0, 54_000.0, 45_000.0],
            "households": [8, 8, 8, 6],
            "opportunity_ids": ["OPP-1", "OPP-1", "OPP-1", "OPP-2"],
        }
    )
    ducts = read_layer(workspace, "ducts")
    laid = gpd.GeoDataFrame(
        {
            "id": ["CD-NOV-1"],
            "year_laid": [laid_year],
            "status": ["existing"],
            "origin": ["co-dig"],
            "owner": ["municipality"],
        },
        geometry=[edges.geometry.iloc[0]],
        crs=streets.crs,
    )
    layers: dict[str, Any] = {
        "opportunities": opportunities,
        "plan": plan,
        "decisions": decisions,
        "ducts": pd.concat([ducts, laid], ignore_index=True),
    }
    if forecast:
        counts = {str(n): 20 for n in districts["name"]}
        parts, frontier, runs = [], [], []
        for k, stem in enumerate(scenarios):
            scenario = load_scenario(stem)
            parts.append(_forecast_rows(stem, scenario.name, counts, seed=k))
            for budget in (250_000.0, 500_000.0, 1_000_000.0):
                for year in (2021, 2025, 2030):
                    p50 = min(40.0, 10 + budget / 50_000 + (year - 2021))
                    frontier.append(
                        {
                            "scenario": stem,
                            "budget_dkk": budget,
                            "year": year,
                            "p10": p50 - 3,
                            "p50": p50,
                            "p90": min(40.0, p50 + 3),
                            "households_total": 40,
                        }
                    )
            runs.append(
                {
                    "scenario": stem,
                    "runs": 200,
                    "seed": 2019 + k,
                    "horizon": 2030,
                    "distribution": scenario.regrowth.distribution,
                    "mean_cycle_years": float(scenario.regrowth.mean_cycle_years),
                    "gamma_shape": scenario.regrowth.gamma_shape,
                    "created": "2021-01-01T00:00:00Z",
                    "version": "0.1.0",
                }
            )
        layers["forecast"] = pd.concat(parts, ignore_index=True)
        layers["frontier"] = pd.DataFrame(frontier)
        layers["forecast_runs"] = pd.DataFrame(runs)
    write_layers(workspace, layers)


def embedded(page: str) -> dict[str, Any]:
    """Return the JSON block the report embeds."""
    match = re.search(
        r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S
    )
    assert match, "the report embeds its numbers as JSON"
    return json.loads(match.group(1))


class _Tags(HTMLParser):
    """Collect start tags and their attributes (fails on nothing; counts what is there)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


@pytest.fixture(scope="module")
def full_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny town with every step's output, for all three shipped scenarios (read only)."""
    path = tmp_path_factory.mktemp("report") / "town.gpkg"
    write_layers(path, tiny_layers(), synthetic=True)
    add_step_outputs(path, tuple(SHIPPED))
    return path


@pytest.fixture(scope="module")
def full_data(full_workspace: Path) -> ReportData:
    return collect_report(full_workspace)


# --- tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_forecast", [True, False])
@pytest.mark.parametrize(
    "stem",
    [s if s == "revised-2019" else pytest.param(s, marks=pytest.mark.slow) for s in SHIPPED],
)
def test_report_renders_for_every_shipped_scenario(
    tiny_workspace: Path, stem: str, with_forecast: bool
) -> None:
    add_step_outputs(tiny_workspace, (stem,), forecast=with_forecast)
    page = build_report(tiny_workspace)
    data = embedded(page)
    name = load_scenario(stem).name
    assert data["budget_scenario"] == stem
    assert page.count("<svg") == (3 if with_forecast else 1)  # map (+ forecast, frontier)
    if with_forecast:
        assert list(data["forecast"]) == [stem]
        assert "forecast" not in data["not_computed"]
        assert f"<h3>{name}</h3>" in page.replace("&#x27;", "'")
    else:
        assert data["forecast"] == {}
        assert "ductplanner simulate" in data["not_computed"]["forecast"]
        assert "not-computed" in page


def test_numbers_equal_the_coverage_command(
    full_data: ReportData, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = render_report(full_data)
    copy = tmp_path / "copy.gpkg"  # the command writes coverage layers; keep the shared one
    shutil.copyfile(full_data.workspace, copy)
    assert main(["coverage", str(copy), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    shown = embedded(page)["coverage"]
    assert {k: shown[k] for k in PUBLIC_KEYS} == {k: printed[k] for k in PUBLIC_KEYS}
    # the key figures table states the same numbers
    values = {a["data-key"]: a["data-value"] for t, a in tags(page) if "data-key" in a}
    assert int(values["households_duct_covered"]) == printed["households_duct_covered"]
    assert int(values["households_served"]) == printed["households_served"]
    assert printed["households_duct_covered"] > 0


def test_forecast_numbers_equal_the_forecast_table(full_data: ReportData) -> None:
    page = render_report(full_data)
    forecast = read_table(full_data.workspace, "forecast")
    shown = embedded(page)["forecast"]
    assert sorted(shown) == SHIPPED
    for stem, entry in shown.items():
        whole = forecast[(forecast["scenario"] == stem) & (forecast["district"] == "")]
        whole = whole.sort_values("year")
        assert entry["years"] == whole["year"].tolist()
        for key in ("p10", "p50", "p90"):
            assert entry[key] == whole[key].tolist()
        one = forecast[(forecast["scenario"] == stem) & (forecast["district"] == "Vest")]
        assert entry["districts"]["Vest"]["p_reach_target"] == one["p_reach_target"].tolist()
    # the visible forecast tables hold the same P50 figures, formatted
    block = re.search(r'data-scenario="revised-2019">(.*?)</table>', page, re.S).group(1)
    p50 = re.findall(r'<span data-p="p50">([^<]*)</span>', block)
    assert p50 == [f"{v:,.0f}" for v in shown["revised-2019"]["p50"]]


def test_charts_and_sections_present(full_data: ReportData) -> None:
    page = render_report(full_data)
    charts = {a.get("data-chart") for t, a in tags(page) if t == "svg"}
    assert charts == {"districtmap", "forecast", "frontier"}
    ids = [a["id"] for _, a in tags(page) if "id" in a]
    assert len(ids) == len(set(ids)), "ids of the inline charts do not clash"
    for anchor in (
        "key-figures",
        "laid",
        "money",
        "planned-realised",
        "districts",
        "forecast",
        "target",
        "frontier",
        "assumptions",
        "sources",
        "manifest",
    ):
        assert f'id="{anchor}"' in page
    assert "not-computed" not in page
    assert "synthetic demo data" in page
    assert "@media print" in page
    # nothing is fetched: no external URLs in src/href
    for _, attrs in tags(page):
        for key in ("src", "href"):
            assert not (attrs.get(key) or "#").startswith(("http", "//")), attrs


def test_planned_vs_realised_and_money(full_data: ReportData) -> None:
    data = embedded(render_report(full_data))
    yearly = {row["year"]: row for row in data["yearly"]}
    assert yearly[2020]["opportunities"] == 1
    assert yearly[2020]["requests_agreed"] == 1
    assert yearly[2020]["spent_dkk"] == 54_000
    vestvej = read_layer(full_data.workspace, "streets").geometry.iloc[3].length
    assert yearly[2020]["laid_m"] == pytest.approx(vestvej)
    gained = yearly[2020]["households_gained"]
    assert gained > 0
    assert yearly[2020]["dkk_per_household"] == pytest.approx(54_000 / gained)
    assert yearly[2021]["requests_agreed"] == 1 and yearly[2021]["spent_dkk"] == 0
    money = {row["year"]: row for row in data["money"]}
    budget = load_scenario(data["budget_scenario"])
    expected = 0.0 if budget.policy == "fibre-only" else budget.budget.duct_dkk
    if budget.policy == "own-dig":
        expected += budget.budget.own_digging
    first = min(money)  # the followed plan's run starts with its first year
    assert first == 2020 and money[first]["budget_dkk"] == expected
    assert len([y for y in money if money[y]["budget_dkk"]]) == budget.plan_years
    assert money[2021]["agreed_dkk"] == 45_000
    # the laid dig was agreed: money and planned-vs-realised count the same digs
    assert money[2020]["agreed_dkk"] == money[2020]["spent_dkk"] == yearly[2020]["spent_dkk"]
    laid = {(r["year"], r["origin"]): r["metres"] for r in data["laid"]}
    assert laid[(2020, "co-dig")] == pytest.approx(vestvej)


def test_the_report_says_how_far_the_plan_is_from_the_best_possible(full_data: ReportData) -> None:
    assert full_data.plan_method == "greedy" and full_data.plan_gap is None
    page = render_report(full_data)
    assert (
        "The plan (greedy) is a heuristic&#x27;s: how far it is from the best possible is not"
        in page
    )
    proven = dataclasses.replace(full_data, plan_method="milp", plan_gap=0.0021)
    assert "The plan (milp) is within 0.21 % of the best possible" in render_report(proven)
    assert "Planen (milp) ligger højst 0,21 % fra den bedst mulige" in render_report(
        proven, lang="da"
    )
    best = dataclasses.replace(full_data, plan_method="milp", plan_gap=0.0)
    assert "The plan (milp) is proven the best possible within its budgets." in render_report(best)


def test_manifest_names_inputs_with_hashes(full_data: ReportData) -> None:
    import hashlib

    manifest = embedded(render_report(full_data))["manifest"]
    files = {f["role"]: f for f in manifest["files"]}
    ws = full_data.workspace
    assert files["workspace"]["layers"] == content_digests(ws)
    assert set(files["workspace"]["layers"]) >= {"streets", "ducts", "decisions", "forecast"}
    assert files["workspace"]["sha256"] != hashlib.sha256(ws.read_bytes()).hexdigest()
    for stem in SHIPPED:
        path = shipped_scenarios() / f"{stem}.toml"
        assert files[f"scenario {stem}"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert (
            manifest["scenarios"][stem]["simulation"]["seed"] == load_scenario(stem).simulation.seed
        )
    assert manifest["ductplanner"]
    assert [r["seed"] for r in manifest["forecast_runs"]] == [2019, 2020, 2021]
    assert any("--seed 2019" in c for c in manifest["commands"])


def test_missing_inputs_say_which_command_computes_them(tiny_workspace: Path) -> None:
    page = build_report(tiny_workspace)
    data = embedded(page)
    assert set(data["not_computed"]) == {
        "opportunities",
        "plan",
        "decisions",
        "forecast",
        "frontier",
    }
    assert page.count('class="note not-computed"') >= 5
    assert "ductplanner simulate" in page and "ductplanner opportunities" in page
    assert data["coverage"]["households_total"] == 40


def test_a_workspace_without_streets_still_renders(tmp_path: Path) -> None:
    path = tmp_path / "bare.gpkg"
    write_layers(path, {"districts": tiny_layers()["districts"]})
    page = build_report(path)
    data = embedded(page)
    assert data["coverage"] is None
    assert "ductplanner import" in data["not_computed"]["coverage"]
    assert "synthetic demo data" not in page


def test_every_input_string_is_escaped(tmp_path: Path) -> None:
    layers = tiny_layers()
    layers["districts"].loc[0, "name"] = EVIL
    path = tmp_path / "evil.gpkg"
    write_layers(path, layers, sources={"streets": EVIL}, note=EVIL)
    add_step_outputs(path, ("revised-2019",), owner=EVIL)
    page = build_report(path, label=EVIL)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page
    scripts = [a for t, a in tags(page) if t == "script"]
    assert scripts == [{"type": "application/json", "id": "report-data"}]
    assert EVIL in embedded(page)["coverage"]["districts"]


def test_danish_words_and_number_formats(full_data: ReportData) -> None:
    page = render_report(full_data, lang="da")
    english = render_report(full_data, lang="en")
    assert '<html lang="da">' in page
    assert "Nøgletal" in page and "husstande" in page
    assert "400.000" in page and "400,000" not in page  # the co-digging budget line
    assert "400,000" in english
    cover = full_data.coverage
    assert f"{cover['households_duct_covered']} af {cover['households_total']} husstande" in page
    assert embedded(page)["coverage"] == embedded(english)["coverage"]


def test_cli_writes_the_report(
    full_workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "report.html"
    assert main(["report", str(full_workspace), "--out", str(out), "--lang", "da", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["out"] == str(out) and summary["lang"] == "da"
    assert summary["bytes"] == out.stat().st_size
    assert summary["not_computed"] == {}
    assert sorted(summary["scenarios"]) == SHIPPED
    assert '<html lang="da">' in out.read_text(encoding="utf-8")
    assert main(["report", str(tmp_path / "absent.gpkg")]) == 1


def test_write_is_atomic(
    full_data: ReportData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report.html"
    write_report(full_data.workspace, out, data=full_data)
    before = out.read_bytes()

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("rendering failed")

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(report_workflow, "render_report", broken)
        with pytest.raises(RuntimeError):
            write_report(full_data.workspace, out, data=full_data)
    assert out.read_bytes() == before
    with monkeypatch.context() as patch:
        patch.setattr(_atomic.os, "replace", failing_replace)
        with pytest.raises(OSError, match="disk full"):
            write_report(full_data.workspace, out, data=full_data, lang="da")
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"], "no temporary file is left"
    write_report(full_data.workspace, out, data=full_data, lang="da")
    assert '<html lang="da">' in out.read_text(encoding="utf-8")


def test_demo_step_writes_both_languages(full_workspace: Path, tmp_path: Path) -> None:
    from ductplanner.pipeline import DemoContext

    ctx = DemoContext(full_workspace, tmp_path / "maps", 2019, shipped_scenarios(), label="LABEL")
    outcome = report_step(ctx)
    assert [p.name for p in outcome.written] == ["report.html", "report-da.html"]
    assert "LABEL" in outcome.written[0].read_text(encoding="utf-8")
    assert '<html lang="da">' in outcome.written[1].read_text(encoding="utf-8")
    assert outcome.summary["out"].endswith("report.html")


def test_forecast_numbers_equal_the_simulate_command(
    tiny_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["simulate", str(tiny_workspace), "--scenario", "revised-2019", "--runs", "20"]
    assert main([*args, "--seed", "7", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    page = build_report(tiny_workspace, lang="da")
    shown = embedded(page)["forecast"]["revised-2019"]
    for key in ("years", "households_total", "p10", "p50", "p90"):
        assert shown[key] == printed[key], key
    for name, district in printed["districts"].items():
        assert shown["districts"][name]["p50"] == district["p50"]
        assert shown["districts"][name]["p_reach_target"] == district["p_reach_target"]
    assert embedded(page)["manifest"]["forecast_runs"][0]["seed"] == 7
    assert "--runs 20 --seed 7" in page


def test_the_same_inputs_and_seed_give_the_same_report_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764720000")
    pages, digests = [], []
    for run in ("first", "again"):
        path = tmp_path / run / "town.gpkg"
        write_layers(path, tiny_layers(), synthetic=True)
        add_step_outputs(path, ("revised-2019",))
        pages.append(build_report(path))
        digests.append(content_digests(path))
    assert pages[0] == pages[1] and "2025-12-03T00:00:00Z" in pages[0]
    assert digests[0] == digests[1]
    layers = read_layer(path, "ducts")
    write_layers(path, {"ducts": layers.iloc[:1]})
    assert content_digests(path)["ducts"] != digests[0]["ducts"]


def test_each_district_says_when_it_is_reached_and_how_sure_that_is(tmp_path: Path) -> None:
    path = tmp_path / "town.gpkg"
    write_layers(path, tiny_layers())
    assert main(["simulate", str(path), "--scenario", "revised-2019", "--runs", "100"]) == 0
    page = build_report(path)
    section = re.search(r'id="target">(.*?)</section>', page, re.S).group(1)
    assert "When each district is reached" in section
    assert "Chance of three quarters by 2037" in section
    words = re.findall(r"<li>(.*?)</li>", section)
    districts = set(tiny_layers()["districts"]["name"])
    assert {w.split(":")[0] for w in words} == districts
    assert all(("median future" in w and "the chance of reaching" in w) for w in words)
    forecast = read_forecast(path)["forecast"]
    chances = forecast[forecast["district"] != ""][["p_reach_25", "p_reach_50", "p_reach_75"]]
    assert ((chances > 0) & (chances < 1)).to_numpy().any()  # not 0 % in every cell
    assert (chances.diff(axis=1).iloc[:, 1:] <= 0).to_numpy().all()  # more is less likely
    da = build_report(path, lang="da")
    assert "Hvornår hver bydel nås" in da and "den mediane fremtid" in da


def test_a_forecast_from_before_projects_is_described_street_by_street(full_data) -> None:
    # the fixture's forecast_runs have no project_length_m, as an older ductplanner wrote them
    page = render_report(full_data)
    assert "Every street is dug on its own, independently of its neighbours." in page
    assert "Digging comes in projects" not in page
