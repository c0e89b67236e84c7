"""A real season, today: the current year's digs, the decision log's answers, explicit time."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from ductplanner.app.demo import tiny_layers
from ductplanner.app.workflows.maps import read_forecasts
from ductplanner.app.workflows.plan import plan_workspace
from ductplanner.app.workflows.report import build_report, collect_report
from ductplanner.app.workflows.simulate import simulate_workspace, workspace_input
from ductplanner.cli import main
from ductplanner.core._errors import InputError
from ductplanner.io.workspace import read_layer, read_table, write_layers
from ductplanner.model.scenarios import load_scenario
from ductplanner.model.timeline import run_date

THIS_YEAR = dt.date.today().year


def _this_season(digs: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The tiny town's digs moved into this season: open all of this year and the next."""
    digs = digs.copy()
    digs["start"] = f"{THIS_YEAR}-01-15"
    digs["end"] = f"{THIS_YEAR + 1}-12-31"
    return digs


@pytest.fixture
def season(tmp_path: Path) -> Path:
    layers = tiny_layers()
    layers["digs"] = _this_season(layers["digs"])
    path = tmp_path / "season.gpkg"
    write_layers(path, layers, synthetic=True)
    return path


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_shipped_strategy_plans_this_year_without_a_scenario_file(season, capsys):
    found = cli(capsys, "opportunities", str(season))
    assert found["years"] == [THIS_YEAR, THIS_YEAR + 5]
    assert found["as_of"] == dt.date.today().isoformat() and found["first_year"] == THIS_YEAR
    assert found["candidates"] == 7 and found["warnings"] == []
    planned = cli(capsys, "plan", str(season), "--scenario", "revised-2019")
    assert planned["years"][0] == THIS_YEAR and planned["chosen"]
    assert all(c["year"] == THIS_YEAR for c in planned["chosen"])
    assert planned["spent_dkk"][0] <= planned["budget_dkk"][0]


def test_a_declined_dig_is_left_out_of_opportunities_plan_and_forecast(season, capsys):
    before = cli(capsys, "plan", str(season), "--scenario", "revised-2019")
    assert "NOV-1" in {c["dig_id"] for c in before["chosen"]}
    cli(capsys, "decide", str(season), "--dig", "NOV-1", "--status", "proposed")
    cli(capsys, "decide", str(season), "--dig", "NOV-1", "--status", "declined", "--reason", "full")

    found = cli(capsys, "opportunities", str(season))
    assert found["left_out"] == {"declined": {"digs": 1, "ids": ["NOV-1"]}}
    assert found["digs_declined"] == 1 and found["digs_left_out"] == 1
    assert (
        "NOV-1" not in found["by_owner"].get("Novafos", {}) and "Novafos" not in found["by_owner"]
    )
    after = cli(capsys, "plan", str(season), "--scenario", "revised-2019")
    assert "NOV-1" not in {c["dig_id"] for c in after["chosen"]}
    main(["opportunities", str(season)])
    assert "left out 1 dig: 1 declined by their owner (the decision log) (NOV-1)" in (
        capsys.readouterr().out
    )

    scenario = load_scenario("revised-2019")
    town = workspace_input(season, scenario, run_date())
    assert "NOV-1" not in set(town.dig_ids) and {"RAD-1", "FIB-1"} <= set(town.dig_ids)


def test_open_digs_outside_the_plan_years_are_a_warning_naming_the_years(season, capsys):
    layers = tiny_layers()
    digs = _this_season(layers["digs"])
    late = digs.iloc[[1]].assign(
        id="RAD-9", start=f"{THIS_YEAR + 8}-03-01", end=f"{THIS_YEAR + 8}-05-31"
    )
    write_layers(season, {"digs": pd.concat([digs, late], ignore_index=True)})
    found = cli(capsys, "opportunities", str(season))
    (warning,) = found["warnings"]
    assert "1 open dig" in warning and f"1 in {THIS_YEAR + 8}" in warning
    assert f"outside the plan years {THIS_YEAR}-{THIS_YEAR + 5}" in warning
    planned = cli(capsys, "plan", str(season), "--scenario", "revised-2019")
    assert planned["warnings"] == [warning]
    main(["plan", str(season), "--scenario", "revised-2019"])
    assert f"warning: {warning}" in capsys.readouterr().out


def test_digs_whose_window_closed_before_the_as_of_date_are_left_out(season, capsys):
    found = cli(capsys, "opportunities", str(season), "--as-of", f"{THIS_YEAR + 2}-01-10")
    assert found["left_out"]["closed"] == {"digs": 3, "ids": ["FIB-1", "NOV-1", "RAD-1"]}
    assert found["candidates"] == 0
    text = cli(
        capsys,
        "plan",
        str(season),
        "--scenario",
        "revised-2019",
        "--as-of",
        f"{THIS_YEAR + 2}-01-10",
    )["message"]
    assert text.startswith("nothing chosen: no candidate stretches to plan")
    assert "3 whose window closed before the as-of date (FIB-1, NOV-1, RAD-1)" in text


def test_a_run_from_a_past_year_plans_those_years(tiny_workspace, capsys):
    found = cli(capsys, "opportunities", str(tiny_workspace), "--from", "2019")
    assert found["years"] == [2019, 2024] and found["as_of"] == "2019-01-01"
    assert found["candidates"] == 7


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--as-of", "2026-13-01"], "'--as-of': '2026-13-01' is not a date"),
        (["--from", "2030", "--as-of", "2026-01-01"], "cannot start in 2030, after"),
        (["--from", "20"], "'--from': 20 is not a year"),
    ],
)
def test_a_bad_run_date_is_the_users_input(season, capsys, argv, message):
    assert main(["plan", str(season), "--scenario", "revised-2019", *argv]) == 1
    assert message in capsys.readouterr().err


def test_a_forecast_from_a_past_year_starts_from_the_network_as_it_was(tiny_workspace):
    scenario = load_scenario("revised-2019")
    today = workspace_input(tiny_workspace, scenario, None)
    then = workspace_input(tiny_workspace, scenario, run_date(first_year=2018))
    assert today.has_duct.sum() > then.has_duct.sum() > 0  # the 2018 island was not laid yet
    forecast, _ = simulate_workspace(
        tiny_workspace, scenario, runs=20, seed=1, run=run_date(first_year=2018), write=False
    )
    assert forecast.years[0] == 2018 and forecast.years[-1] == 2029


def test_the_season_plan_without_candidates_names_its_cause(season):
    with pytest.raises(InputError):
        run_date("yesterday")
    result, layer = plan_workspace(
        season, "shutdown", run=run_date(f"{THIS_YEAR}-03-01"), write=False
    )
    assert layer.empty
    assert result.message.startswith("nothing chosen: the cheapest stretch costs DKK")
    assert f"the {THIS_YEAR} budget is DKK 0" in result.message


def test_as_it_was_keeps_undated_ducts_and_reopens_digs_done_later():
    from ductplanner.analysis.history import as_it_was

    line = LineString([(0, 0), (1, 0)])
    digs = gpd.GeoDataFrame(
        {
            "id": ["A", "B", "C"],
            "status": ["done", "done", "cancelled"],
            "start": ["2018-03-01", "2019-03-01", "2019-04-01"],
            "end": ["2018-04-01", "2019-05-01", "2019-05-01"],
        },
        geometry=[line] * 3,
        crs="EPSG:25832",
    )
    log = pd.DataFrame(
        {
            "dig_id": ["B", "B"],
            "status": ["proposed", "agreed"],
            "date": ["2018-12-01", "2019-02-01"],
        }
    )
    layers, decisions = as_it_was({"digs": digs}, log, dt.date(2019, 1, 1))
    assert layers["digs"]["status"].tolist() == ["done", "planned", "cancelled"]
    assert decisions["status"].tolist() == ["proposed"]
    layers, _ = as_it_was({"digs": digs}, None, dt.date(2018, 1, 1), known_ahead_months=6)
    assert layers["digs"]["id"].tolist() == ["A"]


def test_a_forecast_from_the_past_is_held_against_what_was_laid(tmp_path):
    path = tmp_path / "town.gpkg"
    write_layers(path, tiny_layers(), synthetic=True)
    simulate_workspace(path, "revised-2019", runs=20, seed=1, run=run_date(first_year=2018))
    simulate_workspace(path, "shutdown", runs=20, seed=1)
    runs = read_table(path, "forecast_runs").set_index("scenario")["as_of"]
    assert runs.to_dict() == {"revised-2019": "2018-01-01", "shutdown": ""}

    data = collect_report(path)
    laid = set(read_layer(path, "ducts")["year_laid"].dropna().astype(int))
    assert data.realised and set(data.realised) == set(range(2018, max(laid) + 1))
    assert all(0 < n <= data.coverage["households_total"] for n in data.realised.values())
    page = build_report(path)
    assert "Started from the network as it was on 2018-01-01" in page
    assert page.count('<th class="num">Realised</th>') == 1  # only the forecast from the past


def test_a_manifest_of_an_older_ductplanner_reads_without_a_run_date(tmp_path):
    path = tmp_path / "town.gpkg"
    write_layers(path, tiny_layers(), synthetic=True)
    simulate_workspace(path, "revised-2019", runs=20, seed=1)
    runs = read_table(path, "forecast_runs").drop(columns="as_of")
    write_layers(path, {"forecast_runs": runs})
    (stored,) = read_forecasts(path, ["revised-2019"])
    assert stored.runs["as_of"] == "" and stored.runs["seed"] == 1


def test_streets_dug_after_the_as_of_day_have_an_unknown_last_dig():
    from ductplanner.analysis.history import as_it_was

    line = LineString([(0, 0), (1, 0)])
    streets = gpd.GeoDataFrame(
        {"last_dug": [2015, 2019, 2021, None]}, geometry=[line] * 4, crs="EPSG:25832"
    )
    layers, _ = as_it_was({"streets": streets}, None, dt.date(2019, 6, 1))
    assert layers["streets"]["last_dug"].tolist()[:2] == [2015, 2019]
    assert layers["streets"]["last_dug"].iloc[2:].isna().all()
    layers, _ = as_it_was({"streets": streets}, None, dt.date(2019, 1, 1))
    assert layers["streets"]["last_dug"].iloc[0] == 2015
    assert layers["streets"]["last_dug"].iloc[1:].isna().all()
