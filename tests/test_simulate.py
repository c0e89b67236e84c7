from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ductplanner import ScenarioError
from ductplanner.app.demo import generate_demo
from ductplanner.app.workflows.simulate import read_forecast
from ductplanner.cli import main
from ductplanner.model.scenarios import load_scenario, parse_scenario
from ductplanner.optimize import plan, random_instance
from ductplanner.pipeline import DemoContext, simulate_step
from ductplanner.simulate import (
    Forecast,
    Renewal,
    SimulationInput,
    budget_frontier,
    input_from_instance,
    p_dug_within,
    simulate,
    simulation_input,
)
from ductplanner.simulate.ducts import DuctState
from ductplanner.simulate.policy import Policy, lay_year
from ductplanner.simulate.prices import Prices
from ductplanner.simulate.run import RUNS_PER_BATCH


def _scenario(policy: str = "co-dig", **regrowth: object) -> object:
    regrowth = {"project_length_m": 0, **regrowth}  # every edge on its own unless told
    lines = ['[scenario]\nname = "test"', f'policy = "{policy}"', "[regrowth]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in regrowth.items()]
    lines += ["[simulation]", "forecast_years = 12"]
    return parse_scenario("\n".join(lines) + "\n")


def _star(n_edges: int = 200) -> SimulationInput:
    """Every edge touches the root node 0: a laid duct covers its household at once."""
    return SimulationInput(
        n_nodes=n_edges + 1,
        edge_u=np.zeros(n_edges, dtype=int),
        edge_v=np.arange(1, n_edges + 1),
        edge_length_m=np.full(n_edges, 100.0),
        edge_households=np.ones(n_edges),
        has_duct=np.zeros(n_edges, dtype=bool),
        root_nodes=[0],
    )


# --- the renewal process against its formulas ---------------------------------------------------


@pytest.mark.parametrize(
    "regrowth",
    [
        {"distribution": "exponential"},
        {"distribution": "gamma", "gamma_shape": 4.0},
        {"distribution": "uniform"},
        {"distribution": "uniform", "uniform_spread": 0.5},
    ],
)
def test_share_dug_by_year_t_is_the_forward_recurrence_cdf(regrowth: dict) -> None:
    scenario = _scenario("fibre-only", mean_cycle_years=5.5, **regrowth)
    fc = simulate(_star(), scenario, runs=150, seed=3)
    t = np.arange(1, len(fc.years) + 1)
    expected = Renewal.from_scenario(scenario).cdf_first(t)
    n = fc.runs * fc.inp.n_edges
    tolerance = 5 * np.sqrt(expected * (1 - expected) / n) + 1e-3
    assert np.all(np.abs(fc.raw.dug_share - expected) <= tolerance)
    if regrowth["distribution"] == "exponential":
        assert np.allclose(expected, 1 - np.exp(-t / 5.5))


def test_no_budget_limit_covers_every_dug_edge() -> None:
    scenario = _scenario("co-dig", mean_cycle_years=4.0)
    fc = simulate(_star(), scenario, runs=100, seed=5, budget_co_dig=1e12)
    covered_share = fc.raw.covered.mean(axis=0) / 200
    assert np.allclose(covered_share, fc.raw.dug_share)
    t = np.arange(1, len(fc.years) + 1)
    assert np.all(np.abs(covered_share - (1 - np.exp(-t / 4.0))) < 0.02)


def test_p_dug_within_five_years_matches_the_issue() -> None:
    p = p_dug_within(5, _scenario(mean_cycle_years=5.5))
    assert p == pytest.approx({"exponential": 0.597, "gamma": 0.762, "uniform": 0.909}, abs=1e-3)
    # the shipped 5-6 years, averaged over the range
    p = p_dug_within(5, load_scenario("revised-2019"))
    assert p == pytest.approx({"exponential": 0.598, "gamma": 0.762, "uniform": 0.912}, abs=1e-3)


def test_last_dug_of_a_strict_cycle_fixes_the_next_dig() -> None:
    star = _star(10)
    inp = SimulationInput(**{**_fields(star), "last_dug": np.full(10, 2017.0)})
    scenario = _scenario("fibre-only", mean_cycle_years=4.0, distribution="uniform")
    fc = simulate(inp, scenario, runs=5, seed=1)
    # dug mid-2017, next dig 4 years later: mid-2021, the third simulated year
    assert fc.raw.dug_share.tolist()[:4] == [0.0, 0.0, 1.0, 1.0]


def _fields(inp: SimulationInput) -> dict:
    names = ("n_nodes", "edge_u", "edge_v", "edge_length_m", "edge_households", "has_duct")
    return {n: getattr(inp, n) for n in names} | {"root_nodes": inp.root_nodes}


# --- known plans ------------------------------------------------------------------------------


def _with_plan(probability: float) -> SimulationInput:
    star = _star(20)
    return SimulationInput(
        **_fields(star),
        dig_edge=np.arange(20),
        dig_time=np.full(20, 2020.5),
        dig_group=np.zeros(20, dtype=int),
        dig_probability=np.full(20, probability),
        dig_cost_dkk=np.full(20, 1.0),
    )


def test_a_sure_plan_opens_its_edges_in_its_year_and_overrides_the_process() -> None:
    scenario = _scenario("co-dig", mean_cycle_years=50.0)
    fc = simulate(_with_plan(1.0), scenario, runs=30, seed=2)
    # before the plan the plan's edges are not dug; in 2020 all are, and all covered
    assert fc.raw.dug_share[0] == 0.0
    assert fc.raw.dug_share[1] == 1.0
    assert (fc.raw.covered[:, 1] == 20).all()


def test_a_plan_that_misses_its_window_is_cancelled_or_delayed() -> None:
    delayed = _scenario("co-dig", mean_cycle_years=100.0).replace(
        confidence=load_scenario("revised-2019").confidence.__class__(cancel_share=0.0)
    )
    fc = simulate(_with_plan(0.0), delayed, runs=40, seed=2)
    assert fc.raw.covered[:, 1].max() < 20  # never on time
    assert fc.raw.covered[:, -1].mean() > 15  # but (nearly) always later
    cancelled = delayed.replace(confidence=delayed.confidence.__class__(cancel_share=1.0))
    fc = simulate(_with_plan(0.0), cancelled, runs=40, seed=2)
    assert fc.raw.covered[:, -1].mean() < 5  # only the rare renewal digs


# --- determinism, order of scenarios, bands ---------------------------------------------------


@pytest.fixture(scope="module")
def demo_input() -> SimulationInput:
    layers = generate_demo(2019, scale=0.1)
    return simulation_input(layers, load_scenario("revised-2019"))


def test_same_seed_same_tables_other_seed_other_tables(demo_input: SimulationInput) -> None:
    a = simulate(demo_input, "revised-2019", runs=20, seed=7).tables()
    b = simulate(demo_input, "revised-2019", runs=20, seed=7).tables()
    c = simulate(demo_input, "revised-2019", runs=20, seed=8).tables()
    for name in ("forecast", "forecast_edges"):
        assert a[name].equals(b[name])
    assert not a["forecast"].equals(c["forecast"])


def test_shutdown_revised_original_in_order(demo_input: SimulationInput) -> None:
    p50 = {}
    mean = {}
    for name in ("shutdown", "revised-2019", "original-2016"):
        fc = simulate(demo_input, name, runs=30, seed=11)
        p50[name] = np.asarray(fc.summary()["p50"])
        mean[name] = fc.raw.covered.mean(axis=0)
    assert (p50["shutdown"] <= p50["revised-2019"]).all()
    assert (p50["revised-2019"] <= p50["original-2016"]).all()
    assert (mean["shutdown"] < mean["revised-2019"]).any()
    assert (mean["revised-2019"] < mean["original-2016"]).any()


def test_bands_are_ordered_everywhere_and_counts_add_up(demo_input: SimulationInput) -> None:
    s = simulate(demo_input, "revised-2019", runs=25, seed=1).summary()
    for key in ("years", "runs", "seed", "households_total", "p10", "p50", "p90", "districts"):
        assert key in s
    assert s["distribution"] == "exponential" and s["mean_cycle_years"] == 5.5
    parts = [s, *s["districts"].values()]
    for part in parts:
        assert all(
            a <= b <= c for a, b, c in zip(part["p10"], part["p50"], part["p90"], strict=True)
        )
        assert all(0 <= p <= 1 for p in part["p_reach_target"])
        assert part["p90"][-1] <= part["households_total"]
    # coverage never goes down: ducts stay
    assert s["p50"] == sorted(s["p50"])
    assert sum(d["households_total"] for d in s["districts"].values()) <= s["households_total"]


def test_today_is_the_coverage_step_s_figure(demo_input: SimulationInput) -> None:
    from ductplanner.analysis.coverage import compute_coverage

    layers = generate_demo(2019, scale=0.1)
    now = compute_coverage(layers).summary()["households_duct_covered"]
    assert simulate(demo_input, "shutdown", runs=2, seed=1).summary()["households_now"] == now


def test_budget_zero_keeps_today_s_coverage() -> None:
    inst = random_instance(4, rows=8, cols=8, years=2)
    inp = input_from_instance(inst, fibre_project=np.zeros(inst.n_candidates, dtype=bool))
    fc = simulate(inp, "revised-2019", runs=20, seed=3, budget_co_dig=0.0)
    now = fc.raw.covered_now
    assert (fc.raw.covered == now).all()
    frontier = budget_frontier(inp, "revised-2019", budgets=[0, 1e6], runs=20, seed=3)
    assert frontier["p90"].iloc[0] == now
    assert frontier["p50"].iloc[1] > now
    assert list(frontier.columns) == [
        "scenario",
        "budget_dkk",
        "year",
        "p10",
        "p50",
        "p90",
        "households_total",
    ]


def test_one_year_policy_is_not_far_below_the_optimizer_s_greedy() -> None:
    ratios = []
    for seed in range(6):
        inst = random_instance(seed, rows=12, cols=12, years=1, n_digs=60)
        inp = input_from_instance(inst, fibre_project=np.zeros(inst.n_candidates, dtype=bool))
        state = DuctState(inp, 1)
        opened = np.unique(inp.dig_edge)  # run 0: flat index = edge
        price = Prices(
            np.full(inp.n_edges, np.inf), 0 * inp.dig_edge, inp.dig_edge, inp.dig_cost_dkk
        )
        policy = Policy("co-dig", float(inst.budget_co_dig[0]))
        lay_year(state, policy, opened, price, Prices(np.full(inp.n_edges, np.inf)))
        ours = float(state.linked_edges()[0] @ inp.edge_households)
        ratios.append(ours / plan(inst, method="greedy").households_covered)
    assert np.mean(ratios) >= 0.75


# --- scenarios, command line, workspace -------------------------------------------------------


def test_a_bad_scenario_names_key_and_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\nname = "x"\n[regrowth]\ndistribution = "weibull"\n')
    with pytest.raises(ScenarioError, match=r"bad\.toml.*\n.*regrowth\.distribution \(line 4\)"):
        simulate(random_instance(1), bad, runs=2)
    with pytest.raises(ScenarioError, match=r"simulation\.forecast_years.*0 is outside"):
        parse_scenario('[scenario]\nname = "x"\n[simulation]\nforecast_years = 0\n')


def test_cli_writes_the_tables_and_json_has_the_design_keys(
    tiny_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["simulate", str(tiny_workspace), "--scenario", "revised-2019", "--runs", "20"]
    assert main([*args, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    for key in ("years", "runs", "seed", "households_total", "p10", "p50", "p90", "districts"):
        assert key in summary
    assert summary["runs"] == 20 and summary["seed"] == 2019
    for district in summary["districts"].values():
        assert {"p10", "p50", "p90", "p_reach_target", "households_total"} <= set(district)
    assert main(["simulate", str(tiny_workspace), "--scenario", "shutdown", "--runs", "5"]) == 0
    text = capsys.readouterr().out
    assert "exponential" in text and "would give 0.76" in text and "would give 0.91" in text
    tables = read_forecast(tiny_workspace)
    assert set(tables["forecast"]["scenario"]) == {"revised-2019", "shutdown"}
    assert tables["forecast_runs"]["scenario"].tolist() == ["revised-2019", "shutdown"]
    revised = read_forecast(tiny_workspace, "revised-2019")
    whole = revised["forecast"][revised["forecast"]["district"] == ""]
    assert whole["year"].tolist() == summary["years"]
    assert whole["p50"].tolist() == summary["p50"]
    assert (revised["forecast_edges"]["p_covered"] > 0).all()
    # writing a scenario again replaces only its rows
    assert main([*args, "--seed", "5"]) == 0
    again = read_forecast(tiny_workspace)
    assert again["forecast_runs"]["seed"].tolist() == [2019, 5] or sorted(
        again["forecast_runs"]["seed"].tolist()
    ) == [5, 2019]
    assert len(again["forecast"]) == len(tables["forecast"])


def test_a_failing_run_leaves_the_workspace_byte_identical(
    tiny_workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state_of: Callable
) -> None:
    before = state_of(tiny_workspace)
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\nname = "x"\n[simulation]\nruns = -1\n')
    assert main(["simulate", str(tiny_workspace), "--scenario", str(bad)]) == 1
    assert main(["simulate", str(tiny_workspace), "--scenario", "shutdown", "--runs", "0"]) == 1

    def broken(self: object) -> dict:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Forecast, "tables", broken)
    with pytest.raises(RuntimeError):
        main(["simulate", str(tiny_workspace), "--scenario", "shutdown", "--runs", "3"])
    assert state_of(tiny_workspace) == before


def test_read_forecast_of_a_workspace_without_one(tiny_workspace: Path) -> None:
    tables = read_forecast(tiny_workspace)
    assert set(tables) == {
        "forecast",
        "forecast_edges",
        "frontier",
        "forecast_runs",
        "forecast_sources",
    }
    assert all(t.empty for t in tables.values())
    assert "p_reach_target" in tables["forecast"].columns


def test_batches_of_runs_draw_different_futures() -> None:
    scenario = _scenario("fibre-only", mean_cycle_years=5.5)
    runs = 2 * RUNS_PER_BATCH
    a = simulate(_star(30), scenario, runs=runs, seed=4)
    b = simulate(_star(30), scenario, runs=runs, seed=4)
    assert np.array_equal(a.raw.edge_p_covered, b.raw.edge_p_covered)
    assert np.array_equal(a.raw.dug_share, b.raw.dug_share)
    # the second batch is not the first one again
    first, second = a.raw.dug_share, simulate(_star(30), scenario, runs=RUNS_PER_BATCH, seed=4)
    assert not np.array_equal(first, second.raw.dug_share)
    t = np.arange(1, len(a.years) + 1)
    expected = Renewal.from_scenario(scenario).cdf_first(t)
    assert np.all(np.abs(a.raw.dug_share - expected) <= 5 * np.sqrt(expected / (runs * 30)))


def test_the_demo_step_forecasts_every_shipped_scenario(
    tiny_workspace: Path, tmp_path: Path
) -> None:
    scenarios = Path(__file__).resolve().parents[1] / "scenarios"
    ctx = DemoContext(tiny_workspace, tmp_path, 2019, scenarios)
    outcome = simulate_step(ctx)
    assert outcome.line.startswith("P50 duct-covered by 2030: original-2016 ")
    assert "(200 runs each, fewer than the scenarios' 1,000" in outcome.line
    assert set(outcome.summary) == {"original-2016", "revised-2019", "shutdown"}
    assert [row["budget_dkk"] for row in ctx.results["frontier"]][:2] == [0.0, 250_000.0]
    tables = read_forecast(tiny_workspace)
    assert set(tables["forecast_runs"]["scenario"]) == set(outcome.summary)
    assert len(tables["frontier"]) == 5


def test_the_demo_step_reads_the_town_as_each_scenario_does(tmp_path: Path) -> None:
    from conftest import with_sidewalks

    from ductplanner.app.demo import tiny_layers
    from ductplanner.app.workflows.maps import forecast_map
    from ductplanner.io.workspace import write_layers

    town = tiny_layers()
    ws = tmp_path / "walked.gpkg"
    write_layers(ws, {**town, "streets": with_sidewalks(town["streets"], 6.0)})
    folder = tmp_path / "scenarios"
    folder.mkdir()
    shipped = Path(__file__).resolve().parents[1] / "scenarios" / "revised-2019.toml"
    (folder / "revised-2019.toml").write_text(shipped.read_text(encoding="utf-8"))
    (folder / "as-drawn.toml").write_text(
        '[scenario]\nextends = "revised-2019"\nname = "Every path its own edge"\n'
        "[coverage]\nside_path_distance_m = 0\n",
        encoding="utf-8",
    )
    simulate_step(DemoContext(ws, tmp_path, 2019, folder))
    runs = read_forecast(ws)["forecast_runs"].set_index("scenario")["side_path_distance_m"]
    assert runs.to_dict() == {"as-drawn": 0.0, "revised-2019": 12.0}
    edges = read_forecast(ws, "as-drawn")["forecast_edges"]["edge_id"].astype(str)
    assert edges.str.contains("-left:").any()  # simulated on its own network, as drawn
    for key in ("as-drawn", "revised-2019"):  # each on the network its edge ids name
        assert "are not in the street network" not in forecast_map(ws, key).get_root().render()
