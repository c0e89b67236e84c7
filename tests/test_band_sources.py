"""What a band is made of: the forecast again with each source of uncertainty known.

On a 20 x 20 grid with an unlimited budget (coverage follows digging), a
wide cycle range [3, 9] must make most of the band and order the forecasts
under its two ends; on the tiny town the workspace keeps the table, a
forecast again replaces its rows, and the report and the time map say it.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_projects import _grid

from ductplanner.app.demo import tiny_layers
from ductplanner.app.workflows.maps import forecast_map
from ductplanner.app.workflows.report import build_report
from ductplanner.app.workflows.simulate import read_forecast, write_forecast
from ductplanner.cli import main
from ductplanner.io.workspace import write_layers
from ductplanner.model.scenarios import parse_scenario
from ductplanner.simulate import simulate
from ductplanner.simulate.sources import explained_shares


def _scenario(cycle: object, project_length_m: float) -> object:
    return parse_scenario(
        f'[scenario]\nname = "x"\n[regrowth]\nmean_cycle_years = {json.dumps(cycle)}\n'
        f"project_length_m = {project_length_m}\n"
    )


def test_a_wide_cycle_range_makes_most_of_the_band_and_orders_its_ends() -> None:
    fc = simulate(_grid(), _scenario([3, 9], 0), runs=200, seed=4, budget_co_dig=1e12, sources=True)
    s = fc.summary()
    assert set(fc.sources["source"]) == {"all", "cycle_low", "cycle_high", "cycle_known"}
    assert len(fc.sources) == 4 * len(fc.years)
    assert s["band_sources"]["cycle_known"] > 0.5
    under = s["under_cycle"]
    assert list(under) == ["3", "9"] and under["3"]["p50"][-1] > under["9"]["p50"][-1]
    all_rows = fc.sources[fc.sources["source"] == "all"]
    assert all_rows["p50"].tolist() == s["p50"]  # the forecast itself, not a rerun
    assert "from not knowing the mean cycle" in fc.text()


def test_a_known_cycle_and_no_projects_leave_chance_alone() -> None:
    fc = simulate(_grid(), _scenario(5.5, 0), runs=50, seed=4, budget_co_dig=1e12, sources=True)
    assert set(fc.sources["source"]) == {"all"}
    assert explained_shares(fc.sources) == {}
    assert "all chance" in fc.text()


def test_explained_shares_are_how_much_the_spread_shrinks() -> None:
    import pandas as pd

    table = pd.DataFrame(
        {
            "source": ["all", "cycle_known", "street_by_street", "all", "cycle_known"],
            "year": [2030, 2030, 2030, 2029, 2029],
            "sd": [10.0, 6.0, 12.0, 5.0, 5.0],
        }
    )
    assert explained_shares(table) == {"cycle_known": 0.64, "street_by_street": 0.0}
    assert explained_shares(table, 2029) == {"cycle_known": 0.0}


def test_the_workspace_keeps_the_sources_and_the_report_and_map_say_them(tmp_path, capsys):
    ws = tmp_path / "tiny.gpkg"
    write_layers(ws, tiny_layers())
    args = ["simulate", str(ws), "--scenario", "revised-2019", "--runs", "40"]
    assert main(args) == 0
    assert "forecast_sources" in capsys.readouterr().out
    sources = read_forecast(ws)["forecast_sources"]
    assert {"all", "cycle_low", "cycle_high", "cycle_known"} <= set(sources["source"])
    assert main([*args, "--seed", "7"]) == 0
    capsys.readouterr()
    again = read_forecast(ws)["forecast_sources"]
    assert len(again) == len(sources)  # replaced, not added
    page = build_report(ws)
    assert "What the band of 2037 is made of" in page and "mean cycle 5 years" in page
    about = forecast_map(ws, "revised-2019").get_root().render()
    assert "revised-2019: the band of 2037" in about
    assert "with a mean cycle of 5 years" in about and "with a mean cycle of 6 years" in about
    assert main([*args, "--no-sources"]) == 0
    assert "forecast_sources" not in capsys.readouterr().out
    assert read_forecast(ws)["forecast_sources"].empty
    assert main(args) == 0
    # a forecast written without its sources takes the older ones away
    write_forecast(ws, [simulate(tiny_layers(), "revised-2019", runs=10, seed=1)])
    assert read_forecast(ws)["forecast_sources"].empty


@pytest.mark.parametrize("length", [0.0, 600.0])
def test_sources_follow_the_common_random_numbers(length: float) -> None:
    a = simulate(_grid(), _scenario([5, 6], length), runs=30, seed=2, sources=True)
    b = simulate(_grid(), _scenario([5, 6], length), runs=30, seed=2, sources=True)
    assert a.sources.equals(b.sources)
    assert ("street_by_street" in set(a.sources["source"])) == (length > 0)
    assert np.isfinite(a.sources["sd"]).all()
