"""What the record of digs says: the cycle from the streets' last digs, the size of a project.

The cycle fit against ages drawn from a renewal process with a known mean:
its 95 % interval holds the mean about 95 % of the time; ages spread evenly
over the record fit no cycle and say so; the project size is the done digs'
mean length; and ``simulate`` and the report say it beside the scenario.
"""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from ductplanner.analysis.dig_history import dig_history, fit_cycle, fit_project
from ductplanner.app.demo import tiny_layers
from ductplanner.app.workflows.report import build_report
from ductplanner.cli import main
from ductplanner.io.workspace import write_layers


@pytest.mark.parametrize("mean", [3.0, 5.5, 9.0])
def test_the_cycle_interval_holds_the_true_mean_about_95_percent_of_the_time(mean):
    held = 0
    for seed in range(60):
        ages = np.random.default_rng(seed).exponential(mean, 400)
        fit = fit_cycle(ages[ages <= 25], record_years=25)
        assert fit is not None and fit.bounded and fit.low < fit.cycle_years < fit.high
        held += fit.low <= mean <= fit.high
    assert 51 <= held <= 60  # 95 % of 60 is 57; binomial spread


def test_ages_spread_evenly_fit_no_cycle_and_too_few_fit_nothing():
    even = fit_cycle(np.random.default_rng(2).uniform(0, 29, 1500), record_years=29)
    assert even is not None and not even.bounded and even.low > 29
    assert fit_cycle(np.array([1.0]), record_years=10) is None


def test_the_project_size_is_the_mean_length_of_done_digs():
    fit = fit_project(np.array([400.0, 500, 600, 700, 800]))
    assert fit.length_m == 600 and fit.low < 600 < fit.high and fit.digs == 5
    assert fit_project(np.array([400.0, 500])) is None  # fewer than five


def _recorded(tmp_path):
    """The tiny town with last digs of a 4-year cycle and six done digs of 300 m."""
    town = tiny_layers()
    rng = np.random.default_rng(7)
    streets = town["streets"]
    many = gpd.GeoDataFrame(
        {
            "id": [f"S{i}" for i in range(600)],
            "name": "Vej",
            "road_class": "local",
            # dug a 4-year exponential age before 1 June 2026, recorded by its year
            "last_dug": np.floor(2026 + 151 / 365.25 - rng.exponential(4.0, 600)).clip(1997),
        },
        geometry=[shapely.LineString([(i * 10, 0), (i * 10, 9)]) for i in range(600)],
        crs=streets.crs,
    )
    one = town["digs"].iloc[:1]
    digs = gpd.GeoDataFrame(pd.concat([one] * 6, ignore_index=True), crs=one.crs)
    digs["id"] = [f"D{i}" for i in range(6)]
    digs["status"] = "done"
    digs["geometry"] = [shapely.LineString([(0, i * 5), (300, i * 5)]) for i in range(6)]
    path = tmp_path / "recorded.gpkg"
    write_layers(path, {**town, "streets": many, "digs": digs})
    return path, many, digs


def test_simulate_and_the_report_say_what_the_record_suggests(tmp_path, capsys):
    path, streets, digs = _recorded(tmp_path)
    history = dig_history(streets, digs, dt.date(2026, 6, 1))
    assert history.cycle.low < 4.0 < history.cycle.high
    assert history.project.length_m == pytest.approx(300)
    argv = ["simulate", str(path), "--scenario", "revised-2019", "--runs", "10", "--no-sources"]
    assert main([*argv, "--as-of", "2026-06-01"]) == 0
    text = capsys.readouterr().out
    assert "the dig history suggests a mean cycle of" in text
    assert "(the scenario assumes 5-6 years and 600 m)" in text
    assert main([*argv, "--as-of", "2026-06-01", "--json"]) == 0
    said = json.loads(capsys.readouterr().out)["dig_history"]
    assert said["cycle"]["low"] < 4.0 < said["cycle"]["high"] and said["project"]["digs"] == 6
    page = build_report(path)
    assert "What the record of digs says" in page
    assert "The 6 done digs average 300 m each" in page
