"""HTML-level tests of the forecast maps: the time view and the scenario comparison.

The simulation's tables (``forecast``, ``forecast_edges``, ``forecast_runs``,
``frontier``) are written by hand into the tiny town, with exactly the
columns the simulation writes, so these tests do not depend on it.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_maps import embedded, overlay_names, panel, write_map_workspace

from ductplanner import WorkspaceError
from ductplanner.app.workflows.maps import (
    comparison_map,
    forecast_map,
    map_command,
    read_forecasts,
    save_map,
)
from ductplanner.cli import main
from ductplanner.io.workspace import write_layers
from ductplanner.pipeline import maps_step
from ductplanner.render.page import TOKEN_ENV

EVIL_NAME = "<script>alert(5)</script> plan"
YEARS = (2020, 2021, 2022)

# Median households duct-covered per district and year; Vest has 16 households, Øst 24.
MEDIANS = {
    "revised-2019": {"Vest": (4, 8, 12), "Øst": (2, 6, 20)},
    "shutdown": {"Vest": (4, 4, 4), "Øst": (2, 2, 2)},
}
HOUSEHOLDS = {"Vest": 16, "Øst": 24}
# p_covered per street edge and year; the rest are 0. GONE:1 is not in the network.
P_COVERED = {
    "revised-2019": {
        "H0:1": (1.0, 1.0, 1.0),
        "H0:2": (1.0, 1.0, 1.0),
        "V2:1": (0.3, 0.6, 0.95),
        "V2:2": (0.0, 0.0, 0.7),
        "GONE:1": (0.5, 0.5, 0.5),
    },
    "shutdown": {"H0:1": (1.0, 1.0, 1.0), "H0:2": (1.0, 1.0, 1.0)},
}
NAMES = {"revised-2019": "Revised plan 2019: co-digging only", "shutdown": "Shutdown"}


def forecast_tables(names: dict[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """Return the simulation's four tables for the tiny town, as the simulation writes them."""
    names = names or NAMES
    rows, edges, frontier, runs = [], [], [], []
    for key, medians in MEDIANS.items():
        for i, year in enumerate(YEARS):
            for district in ("", "Vest", "Øst"):
                if district:
                    total, p50 = HOUSEHOLDS[district], medians[district][i]
                else:
                    total, p50 = 40, sum(m[i] for m in medians.values())
                rows.append(
                    {
                        "scenario": key,
                        "scenario_name": names[key],
                        "district": district,
                        "year": year,
                        "households_total": total,
                        "p10": max(p50 - 1, 0),
                        "p50": p50,
                        "p90": min(p50 + 2, total),
                        "mean": p50 + 0.25,
                        "p_reach_target": 0.1 * i,
                    }
                )
            frontier.append(
                {
                    "scenario": key,
                    "budget_dkk": 500_000,
                    "year": year,
                    "p10": 1,
                    "p50": 2,
                    "p90": 3,
                    "households_total": 40,
                }
            )
        for edge, ps in P_COVERED[key].items():
            edges += [
                {"scenario": key, "edge_id": edge, "year": y, "p_covered": p}
                for y, p in zip(YEARS, ps, strict=True)
            ]
        runs.append(
            {
                "scenario": key,
                "runs": 200,
                "seed": 2019,
                "horizon": YEARS[-1],
                "distribution": "gamma",
                "mean_cycle_years": 5.5,
                "gamma_shape": 2.0,
                "created": "2026-11-30T01:00:00Z",
                "version": "0.1.0",
            }
        )
    return {
        "forecast": pd.DataFrame(rows),
        "forecast_edges": pd.DataFrame(edges),
        "frontier": pd.DataFrame(frontier),
        "forecast_runs": pd.DataFrame(runs),
    }


def write_forecast_workspace(path: Path, names: dict[str, str] | None = None) -> Path:
    """Write the tiny town with derived layers and a hand-written forecast of two scenarios."""
    write_map_workspace(path)
    write_layers(path, forecast_tables(names))
    return path


@pytest.fixture(scope="module")
def forecast_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_forecast_workspace(tmp_path_factory.mktemp("views") / "town.gpkg")


@pytest.fixture(scope="module")
def no_forecast(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny town without a forecast (read only: shared by the module)."""
    return write_map_workspace(tmp_path_factory.mktemp("views") / "plain.gpkg", derived=False)


def with_forecast(source: Path, path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Copy a workspace and write (replace) forecast tables in the copy."""
    shutil.copy(source, path)
    write_layers(path, tables)
    return path


@pytest.fixture(scope="module")
def time_page(forecast_workspace: Path) -> str:
    return forecast_map(forecast_workspace, "revised-2019").get_root().render()


@pytest.fixture(scope="module")
def compare_page(forecast_workspace: Path) -> str:
    return comparison_map(forecast_workspace, ["revised-2019", "shutdown"]).get_root().render()


def years_data(page: str) -> tuple[dict, list[dict]]:
    """Return the time view's data and styles (the arguments of ``dpForecastYears``)."""
    match = re.search(r"dpForecastYears\(\w+, (.*)\);\n", page)
    decoder = json.JSONDecoder()
    data, end = decoder.raw_decode(match.group(1))
    styles, _ = decoder.raw_decode(match.group(1)[end + 2 :])
    return data, styles


def _fill(styles: list[dict], feature: dict, year_index: int | None = None) -> str:
    s = feature["properties"]["s"]
    return styles[s if year_index is None else s[year_index]]["fillColor"]


# --- reading the forecast --------------------------------------------------------------


def test_forecast_is_read_per_scenario(forecast_workspace: Path) -> None:
    revised, shutdown = read_forecasts(
        forecast_workspace, ["scenarios/revised-2019.toml", "shutdown"]
    )
    assert revised.scenario == "revised-2019" and revised.years == YEARS
    assert revised.totals.loc[2022, "p50"] == 32 and len(revised.districts) == 6
    assert shutdown.runs["seed"] == 2019 and set(shutdown.edges["edge_id"]) == {"H0:1", "H0:2"}


def test_unknown_scenario_lists_those_simulated(forecast_workspace: Path) -> None:
    with pytest.raises(WorkspaceError, match=r"'original-2016'.*revised-2019, shutdown"):
        forecast_map(forecast_workspace, "original-2016")


def test_missing_forecast_says_to_simulate(no_forecast: Path) -> None:
    with pytest.raises(WorkspaceError, match=r"ductplanner simulate .* --scenario"):
        forecast_map(no_forecast, "revised-2019")


def test_forecast_with_missing_columns_is_refused(no_forecast: Path, tmp_path: Path) -> None:
    old = forecast_tables()["forecast"].drop(columns=["p90"])
    path = with_forecast(no_forecast, tmp_path / "old.gpkg", {"forecast": old})
    with pytest.raises(WorkspaceError, match="lacks the columns p90"):
        forecast_map(path, "revised-2019")


# --- the time view ---------------------------------------------------------------------


def test_time_view_has_one_layer_per_year_with_the_median_share(time_page: str) -> None:
    data, styles = years_data(time_page)
    assert data["years"] == list(YEARS) and data["start"] == 0
    vest, ost = data["areas"]["features"]
    assert [_fill(styles, vest, i) for i in range(3)] == ["#78c679", "#31a354", "#006837"]
    # Vest: 4/16 = 25 % (class 25–50), 50 %, 75 %; Øst: 2/24 = 8 %, 6/24 = 25 %, 20/24 = 83 %
    assert [_fill(styles, ost, i) for i in range(3)] == ["#ffffcc", "#78c679", "#006837"]
    assert "median 12 of 16 households duct-covered (75.0 %)" in vest["properties"]["t"][2]
    assert "2022: median 32 of 40 households" in data["figures"][2]


def test_time_view_streets_are_merged_by_class_and_years(time_page: str) -> None:
    data, styles = years_data(time_page)
    runs = sorted(
        (
            styles[f["properties"]["s"]]["color"],
            f["properties"]["a"],
            f["properties"]["b"],
            len(f["geometry"]["coordinates"]),
        )
        for f in data["lines"]["features"]
    )
    dark, light = "#08306b", "#4a9fd8"
    # H0:1, H0:2 dark in every year (one line, two parts); V2:1 light in 2021, dark in 2022;
    # V2:2 light in 2022; the unknown edge is left out
    assert runs == [(dark, 0, 2, 2), (dark, 2, 2, 1), (light, 1, 1, 1), (light, 2, 2, 1)]
    assert "1 street edges of the forecast are not in the street network" in panel(
        time_page, "dp-about"
    )


def test_time_view_about_states_scenario_runs_seed_and_distribution(time_page: str) -> None:
    about = panel(time_page, "dp-about")
    text = html.unescape(about)
    assert "Scenario revised-2019 (Revised plan 2019: co-digging only): 200 runs" in text
    assert "seed 2019" in text and "gamma, mean cycle 5.5 years, shape 2.0" in text
    for table in ("forecast", "forecast_edges", "forecast_runs", "districts", "streets"):
        assert f"<td>{table}</td>" in about
    assert overlay_names(time_page) == ["Streets", "Backbone"]
    legend = panel(time_page, "dp-legend")
    assert "duct in at least 9 of 10 runs" in legend and "no forecast" in legend


def test_time_view_opens_at_a_chosen_year(forecast_workspace: Path) -> None:
    page = forecast_map(forecast_workspace, "revised-2019", year=2021).get_root().render()
    assert years_data(page)[0]["start"] == 1
    with pytest.raises(WorkspaceError, match="no year 2040; it runs 2020–2022"):
        forecast_map(forecast_workspace, "revised-2019", year=2040)


def test_forecast_text_is_escaped(forecast_workspace: Path, tmp_path: Path) -> None:
    evil = forecast_tables({**NAMES, "revised-2019": EVIL_NAME})
    path = with_forecast(forecast_workspace, tmp_path / "evil.gpkg", {"forecast": evil["forecast"]})
    pages = [
        forecast_map(path, "revised-2019").get_root().render(),
        comparison_map(path, ["revised-2019", "shutdown"]).get_root().render(),
    ]
    for page in pages:
        assert "alert(5)</" not in page and "<script>alert" not in page
        assert page.count("<script") == page.count("</script>")
        assert "\\u0026lt;script\\u0026gt;alert(5)\\u0026lt;/script\\u0026gt; plan" in page


# --- the comparison view ---------------------------------------------------------------


def test_comparison_has_two_synced_maps_of_the_horizon(compare_page: str) -> None:
    maps = re.findall(r"var (map_\w+) = L\.map\(", compare_page)
    assert len(maps) == 2
    assert f"dpSync({maps[0]}, {maps[1]});" in compare_page
    assert compare_page.count('class="dp-panel dp-legend') == 0  # built by script
    legends = re.findall(r'"dp-legend",', compare_page)
    assert len(legends) == 1  # one legend for both
    titles = [
        html.unescape(json.loads(t))
        for t in re.findall(r'"dp-title-panel",\s*("(?:[^"\\]|\\.)*")\)', compare_page)
    ]
    assert "revised-2019" in titles[0] and "2022: median 32 of 40" in titles[0]
    assert "shutdown" in titles[1] and "2022: median 6 of 40" in titles[1]


def test_comparison_colours_each_scenario_by_its_own_forecast(compare_page: str) -> None:
    districts = [d for d in embedded(compare_page, "dpGeoJson") if "District Vest" in json.dumps(d)]
    assert len(districts) == 2
    fills = [[f["properties"]["t"].split("<br>")[1][:30] for f in d["features"]] for d in districts]
    assert fills[0] == ["2022: median 12 of 16 househol", "2022: median 20 of 24 househol"]
    assert fills[1] == ["2022: median 4 of 16 household", "2022: median 2 of 24 household"]


def test_comparison_needs_two_scenarios_with_a_common_year(forecast_workspace: Path) -> None:
    with pytest.raises(WorkspaceError, match="needs two scenarios"):
        comparison_map(forecast_workspace, ["revised-2019"])
    page = comparison_map(forecast_workspace, ["shutdown", "revised-2019"], year=2020)
    assert "2020: median 6 of 40" in page.render()


# --- basemaps --------------------------------------------------------------------------


def test_forecast_maps_offer_the_basemaps_and_keep_the_token_to_the_tile_url(
    forecast_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    page = forecast_map(forecast_workspace, "revised-2019", basemap="none").get_root().render()
    assert '"No basemap"' in page and "dataforsyningen" not in page
    monkeypatch.setenv(TOKEN_ENV, "tok-987")
    page = comparison_map(forecast_workspace, ["revised-2019", "shutdown"]).render()
    assert page.count("tok-987") == 2  # one tile URL per map, nowhere else
    assert "topo_skaermkort_DAF?token=tok-987" in page


# --- command line and demo step --------------------------------------------------------


def test_cli_time_and_compare_views(
    forecast_workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "time.html"
    args = ["map", str(forecast_workspace), "--view", "time", "--scenario", "revised-2019"]
    assert main([*args, "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["view"] == "time" and summary["years"] == list(YEARS)
    assert summary["bytes"] == out.stat().st_size
    out = tmp_path / "compare.html"
    assert main(["map", str(forecast_workspace), "--view", "compare", "--out", str(out)]) == 0
    assert "revised-2019 vs shutdown" in capsys.readouterr().out  # both, as the only two
    assert out.read_text().count("L.map(") == 2


def test_cli_forecast_errors_are_clear(
    forecast_workspace: Path,
    no_forecast: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = str(tmp_path / "x.html")
    assert main(["map", str(forecast_workspace), "--view", "time", "--out", out]) == 1
    assert "choose with --scenario NAME" in capsys.readouterr().err
    args = ["map", str(forecast_workspace), "--view", "time", "--scenario", "nope", "--out", out]
    assert main(args) == 1
    assert "it has forecasts for: revised-2019, shutdown" in capsys.readouterr().err
    assert main(["map", str(no_forecast), "--view", "compare", "--out", out]) == 1
    assert "ductplanner simulate" in capsys.readouterr().err
    assert not Path(out).exists()


def test_map_command_passes_audience_owner_and_basemap(
    forecast_workspace: Path, tmp_path: Path
) -> None:
    result = map_command(
        forecast_workspace,
        out=tmp_path / "u.html",
        audience="utility",
        owner="Radius",
        basemap="none",
    )
    assert "Addresses" not in result.summary["layers"]
    with pytest.raises(WorkspaceError, match="--view layers"):
        map_command(forecast_workspace, out=tmp_path / "v.html", view="time", owner="Radius")


@pytest.mark.slow
def test_demo_step_writes_the_forecast_maps(forecast_workspace: Path, tmp_path: Path) -> None:
    from ductplanner.pipeline import DemoContext

    ctx = DemoContext(forecast_workspace, tmp_path / "out", 2019, tmp_path)
    outcome = maps_step(ctx)
    names = {p.name for p in outcome.written}
    assert {"forecast-time.html", "compare.html"} <= names
    assert "comparison of revised-2019 and shutdown" in outcome.line


def test_demo_without_a_forecast_skips_the_forecast_maps_and_says_so(
    no_forecast: Path, tmp_path: Path
) -> None:
    from ductplanner.pipeline import DemoContext, write_demo_forecast_maps

    written, line = write_demo_forecast_maps(
        DemoContext(no_forecast, tmp_path / "out", 2019, tmp_path), self_contained=False
    )
    assert written == [] and "no forecast" in line


# --- size at demo scale ----------------------------------------------------------------


def worst_case_forecast(workspace: Path, years: range) -> dict[str, pd.DataFrame]:
    """Return forecast tables in which every street edge's chance of a duct rises over the years.

    Every edge reaches both street classes at some year and the three scenarios
    differ, so each is drawn as often as a real forecast could make it.
    """
    import numpy as np

    from ductplanner.io.workspace import read_layers
    from ductplanner.model.network import build_network

    layers = read_layers(workspace)
    edges = build_network(layers["streets"], layers["ducts"], layers["backbone"]).edges.index
    names = ["", *layers["districts"]["name"].astype(str)]
    rng = np.random.default_rng(1)
    year = np.array(years)
    tables: dict[str, list[pd.DataFrame]] = {
        "forecast": [],
        "forecast_edges": [],
        "forecast_runs": [],
    }
    for key in ("revised-2019", "original-2016", "shutdown"):
        start = rng.uniform(year[0] - 2, year[-1], len(edges))
        p = np.clip((year[None, :] - start[:, None]) / 4, 0, 1)
        tables["forecast_edges"].append(
            pd.DataFrame(
                {
                    "scenario": key,
                    "edge_id": np.repeat(edges.to_numpy(), len(year)),
                    "year": np.tile(year, len(edges)),
                    "p_covered": p.ravel(),
                }
            )
        )
        share = np.linspace(0.1, 0.9, len(year))
        tables["forecast"] += [
            pd.DataFrame(
                {
                    "scenario": key,
                    "scenario_name": key,
                    "district": name,
                    "year": year,
                    "households_total": 1000,
                    "p10": 900 * share,
                    "p50": 1000 * share,
                    "p90": 1000 * share + 50,
                    "mean": 1000 * share,
                    "p_reach_target": share,
                }
            )
            for name in names
        ]
        row = {"scenario": key, "runs": 1000, "seed": 1, "horizon": year[-1]}
        row |= {"distribution": "exponential", "mean_cycle_years": 5.5, "gamma_shape": None}
        row |= {"created": "2026-11-30", "version": "test"}
        tables["forecast_runs"].append(pd.DataFrame([row]))
    return {name: pd.concat(frames, ignore_index=True) for name, frames in tables.items()}


@pytest.mark.slow
def test_demo_maps_stay_under_10_mb(tmp_path: Path) -> None:
    from ductplanner.app.demo import write_demo_workspace
    from ductplanner.app.workflows.coverage import coverage_workspace
    from ductplanner.app.workflows.maps import workspace_map
    from ductplanner.app.workflows.opportunities import opportunities_workspace

    workspace = tmp_path / "demo.gpkg"
    write_demo_workspace(workspace)
    coverage_workspace(workspace)
    opportunities_workspace(workspace, None)
    write_layers(workspace, worst_case_forecast(workspace, range(2019, 2031)))
    pages = {
        "workspace": workspace_map(workspace),
        "time": forecast_map(workspace, "revised-2019"),
        "compare": comparison_map(workspace, ["revised-2019", "shutdown"]),
    }
    for name, m in pages.items():
        size = save_map(m, tmp_path / f"{name}.html").stat().st_size
        assert 100_000 < size <= 10_000_000, name
