"""Paths beside roads count as the scenario says (``coverage.side_path_distance_m``).

The tiny town with a sidewalk drawn on either side of every road, 6 m off: by
default the sidewalks belong to their road's corridor (6 of its 40 households
covered, as without them); with the option at 0 every sidewalk is an edge of
its own, addresses reach the duct-less sidewalk first, and 4 are covered.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from conftest import with_sidewalks

from ductplanner.analysis.coverage import compute_coverage
from ductplanner.analysis.opportunities import find_opportunities
from ductplanner.app.demo import tiny_layers
from ductplanner.app.workflows.maps import comparison_map, forecast_map
from ductplanner.app.workflows.report import build_report
from ductplanner.app.workflows.simulate import read_forecast
from ductplanner.cli import main
from ductplanner.core._errors import ScenarioError
from ductplanner.io.workspace import read_layer, write_layers
from ductplanner.model.scenarios import load_scenario, parse_scenario

UNKNOWN_EDGES = "are not in the street network"


@pytest.fixture
def walked() -> dict[str, gpd.GeoDataFrame]:
    town = tiny_layers()
    return {**town, "streets": with_sidewalks(town["streets"], 6.0)}


@pytest.fixture
def as_drawn(tmp_path: Path) -> Path:
    """A scenario that keeps every path as drawn."""
    path = tmp_path / "as-drawn.toml"
    path.write_text(
        '[scenario]\nextends = "revised-2019"\nname = "Every path its own edge"\n'
        "[coverage]\nside_path_distance_m = 0\n",
        encoding="utf-8",
    )
    return path


def _covered(summary: dict) -> int:
    return int(summary["households_duct_covered"])


def test_the_key_defaults_to_the_corridor_and_is_checked() -> None:
    assert parse_scenario('[scenario]\nname = "x"\n').coverage.side_path_distance_m == 12
    for bad in ("-1", "51", '"wide"'):
        with pytest.raises(ScenarioError, match=r"coverage\.side_path_distance_m"):
            parse_scenario(f'[scenario]\nname = "x"\n[coverage]\nside_path_distance_m = {bad}\n')


def test_coverage_counts_sidewalks_as_the_option_says(walked, tmp_path, capsys) -> None:
    assert _covered(compute_coverage(tiny_layers()).summary()) == 6
    ws = tmp_path / "walked.gpkg"
    write_layers(ws, walked)
    assert main(["coverage", str(ws), "--json"]) == 0
    assert _covered(json.loads(capsys.readouterr().out)) == 6
    assert main(["coverage", str(ws), "--side-paths", "0", "--json"]) == 0
    assert _covered(json.loads(capsys.readouterr().out)) == 4
    layer = read_layer(ws, "coverage")
    assert int(layer.loc[layer["duct_covered"].astype(bool), "units"].sum()) == 4
    for bad in ("-1", "51", "nan"):
        assert main(["coverage", str(ws), "--side-paths", bad]) == 1
        assert "--side-paths" in capsys.readouterr().err


def test_opportunities_build_the_scenario_s_network(walked, as_drawn) -> None:
    def street_ids(scenario: object) -> set[str]:
        report = find_opportunities(walked, scenario)
        return set(report.network.edges["street_id"].astype(str))

    folded, drawn = street_ids(load_scenario("revised-2019")), street_ids(load_scenario(as_drawn))
    assert not any(s.endswith(("-left", "-right")) for s in folded)
    roads = walked["streets"].query("road_class != 'path'")["id"]
    assert {s for s in drawn if s.endswith("-left")} == {f"{s}-left" for s in roads}


def test_each_forecast_map_draws_the_network_its_scenario_was_simulated_on(
    walked, as_drawn, tmp_path
) -> None:
    ws = tmp_path / "walked.gpkg"
    write_layers(ws, walked)
    for scenario in ("revised-2019", str(as_drawn)):
        assert main(["simulate", str(ws), "--scenario", scenario, "--runs", "5"]) == 0
    runs = read_forecast(ws)["forecast_runs"].set_index("scenario")
    assert runs["side_path_distance_m"].to_dict() == {"revised-2019": 12.0, "as-drawn": 0.0}
    edges = read_forecast(ws, "as-drawn")["forecast_edges"]["edge_id"].astype(str)
    assert edges.str.contains("-left:").any()  # ids only the as-drawn network has
    assert UNKNOWN_EDGES not in forecast_map(ws, "as-drawn").get_root().render()
    assert UNKNOWN_EDGES not in comparison_map(ws, ["revised-2019", "as-drawn"]).render()
    assert "mapped as its own line within 12 m of a road is part of that road" in build_report(ws)
