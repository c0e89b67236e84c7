"""A real season, today: the current year's digs, the decision log's answers, explicit time."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from conftest import workspace_state
from shapely.geometry import LineString

from ductplanner.app.demo import tiny_layers
from ductplanner.app.workflows.maps import read_forecasts
from ductplanner.app.workflows.plan import plan_workspace
from ductplanner.app.workflows.report import build_report, collect_report
from ductplanner.app.workflows.simulate import simulate_workspace, workspace_input
from ductplanner.cli import main
from ductplanner.core._errors import InputError
from ductplanner.io.workspace import read_layer, read_table, write_layers
from ductplanner.model.decisions import decision_counts
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
def season(new_workspace) -> Path:
    layers = tiny_layers()
    layers["digs"] = _this_season(layers["digs"])
    path = new_workspace("season")
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


# --- the utilities' answers, as they happened ------------------------------------------------


TODAY = dt.date.today()


def _agreed(season: Path, capsys: pytest.CaptureFixture[str], days_ago: int = 0) -> None:
    """Plan NOV-1, request it and log Novafos' yes ``days_ago``."""
    on = (TODAY - dt.timedelta(days=days_ago)).isoformat()
    cli(capsys, "plan", str(season), "--scenario", "revised-2019")
    out = str(season.parent / "r")
    cli(capsys, "requests", str(season), "--owner", "Novafos", "--out", out, "--as-of", on)
    cli(capsys, "decide", str(season), "--dig", "NOV-1", "--status", "agreed", "--date", on)


def test_decide_takes_the_day_the_answer_came_but_not_a_future_or_out_of_order_one(season, capsys):
    cli(capsys, "plan", str(season), "--scenario", "revised-2019")
    asked = (TODAY - dt.timedelta(days=20)).isoformat()
    cli(capsys, "requests", str(season), "--owner", "Novafos", "--as-of", asked)
    before = workspace_state(season)
    for date, message in [
        ((TODAY + dt.timedelta(days=1)).isoformat(), "after today"),
        ((TODAY - dt.timedelta(days=21)).isoformat(), f"last entry (proposed on {asked})"),
        ("1/4/2026", "'--date': '1/4/2026' is not a date"),
    ]:  # fmt: skip
        argv = ["decide", str(season), "--dig", "NOV-1", "--status", "agreed", "--date", date]
        assert main(argv) == 1
        assert message in capsys.readouterr().err
    assert workspace_state(season) == before
    answered = (TODAY - dt.timedelta(days=5)).isoformat()
    argv = ["decide", str(season), "--dig", "NOV-1", "--status", "agreed", "--date", answered]
    row = cli(capsys, *argv)
    assert row["date"] == answered and row["status"] == "agreed"
    log = read_table(season, "decisions")
    assert log["date"].tolist() == [asked, answered]


def test_record_date_dates_the_ducts_and_the_log(season, capsys):
    _agreed(season, capsys, days_ago=5)
    early = (TODAY - dt.timedelta(days=6)).isoformat()
    assert main(["record", str(season), "--dig", "NOV-1", "--date", early]) == 1
    assert "before the dig's last entry (agreed on" in capsys.readouterr().err
    laid = TODAY - dt.timedelta(days=2)
    out = cli(capsys, "record", str(season), "--dig", "NOV-1", "--date", laid.isoformat())
    assert out["year_laid"] == laid.year
    laid = laid.isoformat()
    ducts = read_layer(season, "ducts")
    assert set(ducts.loc[ducts["dig_id"] == "NOV-1", "laid_on"]) == {laid}
    assert read_table(season, "decisions")["date"].iloc[-1] == laid


def _as_built_file(path: Path) -> Path:
    """A contractor's as-built that differs from the plan, in longitude/latitude.

    Skolevej laid only from x 0 to 150 (the plan has 0 to 300), a branch up
    Kirkevej the plan did not have, and 50 m across the block, off every street.
    """
    x0, y0 = 710_000, 6_180_100
    lines = [
        LineString([(x0, y0 + 3), (x0 + 150, y0 + 3)]),
        LineString([(x0 + 100, y0 + 3), (x0 + 102, y0 + 60)]),
        LineString([(x0 + 160, y0 - 3), (x0 + 160, y0 - 60)]),
    ]
    frame = gpd.GeoDataFrame({"note": ["<b>a</b>", "b", "c"]}, geometry=lines, crs="EPSG:25832")
    frame.to_crs("EPSG:4326").to_file(path)
    return path


def test_an_as_built_that_differs_from_the_plan_replaces_its_stretches(season, capsys):
    _agreed(season, capsys)
    as_built = _as_built_file(season.parent / "as-built.geojson")
    out = cli(capsys, "record", str(season), "--dig", "NOV-1", "--as-built", str(as_built))
    diff = out["as_built"]
    assert diff["metres_planned"] == 300 and diff["stretches_planned"] == 4
    assert diff["metres_laid"] == pytest.approx(257, abs=2)
    assert diff["stretches_not_laid"] == ["NOV-1@H1:3", "NOV-1@H1:4"]
    assert diff["metres_beyond_plan"] == pytest.approx(100, abs=5)
    assert diff["metres_off_street"] == pytest.approx(50, abs=2)
    off_street = "50 m of the as-built lie more than 10 m from any street"
    assert any(off_street in w for w in out["warnings"])

    ducts = read_layer(season, "ducts")
    mine = ducts[ducts["dig_id"] == "NOV-1"]
    assert mine["id"].tolist() == ["NOV-1/as-built-1", "NOV-1/as-built-2", "NOV-1/as-built-3"]
    skolevej = mine.geometry.iloc[0]
    snapped = LineString([(710_000, 6_180_100), (710_150, 6_180_100)])
    assert skolevej.equals_exact(snapped, tolerance=0.01)
    assert set(mine["as_built"]) == {"as-built.geojson"} and set(mine["origin"]) == {"co-dig"}
    log = read_table(season, "decisions")
    assert log["status"].iloc[-1] == "laid" and "as built" in log["reason"].iloc[-1]
    assert log["metres"].iloc[-1] == pytest.approx(257, abs=2)

    main(["record", str(season), "--dig", "NOV-1", "--as-built", str(as_built)])
    assert "was recorded before" in capsys.readouterr().out


def test_an_as_built_replaces_the_ducts_recorded_from_the_plan(season, capsys):
    _agreed(season, capsys)
    cli(capsys, "record", str(season), "--dig", "NOV-1")
    planned = read_layer(season, "ducts")
    assert (planned["dig_id"] == "NOV-1").sum() == 4
    as_built = _as_built_file(season.parent / "as-built.geojson")
    out = cli(capsys, "record", str(season), "--dig", "NOV-1", "--as-built", str(as_built))
    assert out["recorded"] and len(out["ducts"]) == 3
    ducts = read_layer(season, "ducts")
    assert ducts.loc[ducts["dig_id"] == "NOV-1", "id"].str.contains("as-built").all()
    assert len(ducts) == len(planned) - 4 + 3
    assert (read_table(season, "decisions")["status"] == "laid").sum() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
         '"geometry": {"type": "Point", "coordinates": [12.36, 55.73]}}]}', "Point"),
        ("not json at all", "as-built.geojson"),
    ],
)  # fmt: skip
def test_a_bad_as_built_file_is_refused_and_changes_nothing(season, capsys, content, message):
    _agreed(season, capsys)
    bad = season.parent / "as-built.geojson"
    bad.write_text(content, encoding="utf-8")
    before = workspace_state(season)
    assert main(["record", str(season), "--dig", "NOV-1", "--as-built", str(bad)]) == 1
    err = capsys.readouterr().err
    assert message in err and str(bad) in err
    assert workspace_state(season) == before


def test_requests_skip_a_closed_window_and_warn_of_one_closing_soon(season, capsys):
    digs = read_layer(season, "digs")
    digs.loc[digs["id"] == "NOV-1", "end"] = pd.Timestamp(TODAY - dt.timedelta(days=1))
    digs.loc[digs["id"] == "RAD-1", "end"] = pd.Timestamp(TODAY + dt.timedelta(days=9))
    write_layers(season, {"digs": digs})
    month_ago = (TODAY - dt.timedelta(days=30)).isoformat()
    cli(capsys, "plan", str(season), "--scenario", "revised-2019", "--as-of", month_ago)
    closed = cli(capsys, "requests", str(season), "--owner", "Novafos")
    closing = (TODAY - dt.timedelta(days=1)).isoformat()
    assert closed["files"] == [] and closed["skipped"] == {"NOV-1": f"window closed on {closing}"}
    assert closed["warnings"] == [f"NOV-1: not requested, its window closed on {closing}"]
    soon = cli(capsys, "requests", str(season), "--owner", "Radius")
    assert soon["proposed"] == ["RAD-1"]
    assert soon["warnings"] == [
        f"RAD-1: the window closes in 9 days ({TODAY + dt.timedelta(days=9)}); ask at once"
    ]
    earlier = cli(capsys, "requests", str(season), "--owner", "Novafos", "--as-of", month_ago)
    assert earlier["proposed"] == ["NOV-1"] and earlier["warnings"] == []


def test_a_season_this_year_ends_in_a_report_whose_tables_agree(season, capsys):
    """The issue's whole season: shipped strategy, this year's digs, real answers, an as-built."""
    found = cli(capsys, "opportunities", str(season))
    assert found["candidates"] == 7
    _agreed(season, capsys, days_ago=10)
    cli(
        capsys,
        "requests",
        str(season),
        "--owner",
        "Ballerup Kommune",
        "--as-of",
        str(TODAY - dt.timedelta(days=10)),
    )
    cli(capsys, "decide", str(season), "--dig", "FIB-1", "--status", "declined",
        "--reason", "trench too narrow", "--date", str(TODAY - dt.timedelta(days=9)))  # fmt: skip
    replanned = cli(capsys, "plan", str(season), "--scenario", "revised-2019")
    assert replanned["left_out"]["declined"]["ids"] == ["FIB-1"]
    assert "FIB-1" not in {c["dig_id"] for c in replanned["chosen"]}
    assert all(s <= b for s, b in zip(replanned["spent_dkk"], replanned["budget_dkk"], strict=True))
    as_built = _as_built_file(season.parent / "as-built.geojson")
    laid = cli(capsys, "record", str(season), "--dig", "NOV-1", "--as-built", str(as_built),
               "--date", str(TODAY - dt.timedelta(days=1)))  # fmt: skip
    assert laid["as_built"]["stretches_not_laid"]  # it differs from the plan

    data = collect_report(season)
    money = data.money.set_index("year").loc[TODAY.year]
    yearly = data.yearly.set_index("year").loc[TODAY.year]
    counts = decision_counts(read_table(season, "decisions")).loc[TODAY.year]
    assert money["budget_dkk"] == 500_000 and data.budget_scenario == "revised-2019"
    assert money["spent_dkk"] == yearly["spent_dkk"] == laid["cost_dkk"] > 0
    assert money["laid_m"] == pytest.approx(laid["metres"]) == pytest.approx(257, abs=2)
    assert money["agreed_dkk"] == laid["cost_dkk"]  # NOV-1 was agreed, then laid
    assert yearly["requests_agreed"] == counts["agreed"] == 1
    assert (counts["requested"], counts["declined"], counts["laid"]) == (2, 1, 1)
    page = build_report(season)
    assert f"<td>{TODAY.year}</td>" in page and "500,000" in page
