"""`ductplanner plan`: a workspace in, the plan layer out; JSON keys, failures, the demo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_optimize import PUBLIC_KEYS

from ductplanner import pipeline
from ductplanner.app.demo import tiny_layers, write_demo_workspace
from ductplanner.app.workflows.plan import plan_workspace
from ductplanner.cli import main
from ductplanner.io.workspace import list_layers, read_layer, read_table, write_layers
from ductplanner.model.layers import validate_layer
from ductplanner.optimize import PLAN_COLUMNS
from ductplanner.pipeline import DemoContext, plan_step, shipped_scenarios

CHOSEN_KEYS = {"dig_id", "year", "metres", "cost_dkk", "households"}


THE_TINY_YEARS = ("--from", "2019")
"""The tiny town's digs open in 2020-21: plan them from 2019, as the committee did."""


def run(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["plan", *argv, *THE_TINY_YEARS, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_plan_prints_the_public_keys_and_writes_the_plan_layer(tiny_workspace, capsys):
    code, summary = run(capsys, str(tiny_workspace), "--scenario", "revised-2019")
    assert code == 0
    assert summary.keys() >= PUBLIC_KEYS | {"workspace", "scenario", "stretches", "written"}
    assert all(c.keys() >= CHOSEN_KEYS for c in summary["chosen"])
    # the default plan: the MILP from the greedy plan, proven the best possible on the tiny town
    assert summary["method"] == "milp" and summary["status"] == "optimal"
    assert summary["optimality_gap"] is not None and summary["bound"] is not None
    # Novafos's Skolevej (2020) and the fibre project's Blindgyden wait for Radius's Møllevej
    # (2021), which links them: everything but the empty bit of Skolevej is worth laying.
    assert summary["households_covered"] == 26
    assert all(s <= b for s, b in zip(summary["spent_dkk"], summary["budget_dkk"], strict=True))
    layer = read_layer(tiny_workspace, "plan")
    assert list(layer.columns) == [*PLAN_COLUMNS, "geometry"]
    assert len(layer) == summary["stretches"] == len(summary["chosen"])
    assert validate_layer(layer, "plan")[1] == []
    assert set(layer["method"]) == {"milp"}
    assert (layer["optimality_gap"] == summary["optimality_gap"]).all()
    note = read_table(tiny_workspace, "layer_sources").set_index("layer").loc["plan", "note"]
    assert note == "scenario Revised plan 2019: co-digging only, milp: proven the best possible"
    assert set(layer["scenario"]) == {"Revised plan 2019: co-digging only"}
    radius = layer.set_index("id").loc["RAD-1@V2:1"]
    assert radius.year == 2021 and radius.opportunity_id == "RAD-1@V2:1"
    assert "links" in radius.why and "DKK" in radius.why
    opportunities = read_layer(tiny_workspace, "opportunities", required=False)
    assert opportunities.empty  # plan writes the plan only


def test_plan_text_names_the_totals_and_every_year(tiny_workspace, capsys):
    assert main(["plan", str(tiny_workspace), "--scenario", "revised-2019", *THE_TINY_YEARS]) == 0
    text = capsys.readouterr().out
    assert "milp plan for Revised plan 2019" in text
    assert "(optimal; proven the best possible)" in text
    assert all(f"  {year}: DKK" in text for year in range(2019, 2025))
    assert "wrote plan (7 features)" in text
    layer = read_layer(tiny_workspace, "plan").set_index("id")
    street = layer.loc["RAD-1@V2:1", "street"]
    assert street == "Møllevej"  # the stretch is named by its street, not only its edge id
    assert "RAD-1 (Radius) on Møllevej (V2:1): " in text


def test_milp_and_fcfs_from_the_command_line(tiny_workspace, capsys):
    code, milp = run(capsys, str(tiny_workspace), "--scenario", "revised-2019", "--method", "milp")
    assert code == 0 and milp["status"] == "optimal" and milp["optimality_gap"] is not None
    code, fcfs = run(capsys, str(tiny_workspace), "--scenario", "revised-2019", "--method", "fcfs")
    assert code == 0 and fcfs["method"] == "fcfs"
    assert fcfs["households_covered"] <= milp["households_covered"]
    assert set(read_layer(tiny_workspace, "plan")["method"]) == {"fcfs"}


MILP_JSON = ("--scenario", "revised-2019", "--from", "2019", "--method", "milp", "--json")


@pytest.mark.slow
def test_milp_json_on_standard_output_is_clean(tiny_workspace):
    out = subprocess.run(
        [sys.executable, "-m", "ductplanner", "plan", str(tiny_workspace), *MILP_JSON],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["status"] == "optimal"  # the solver's banner went elsewhere


def test_own_digging_plans_whole_edges_in_our_own_trench(tiny_workspace):
    plan, layer = plan_workspace(tiny_workspace, "original-2016", method="greedy")
    own = layer[layer["kind"] == "own-dig"]
    assert len(own) > 0
    assert (own["opportunity_id"] == "").all() and own["dig_id"].str.startswith("own:").all()
    assert (own.geometry.length.round(1) == own["metres"]).all()
    assert plan.households_covered >= 26


def test_a_scenario_without_money_plans_nothing_and_says_why(tiny_workspace, capsys):
    code, summary = run(capsys, str(tiny_workspace), "--scenario", "shutdown")
    assert code == 0 and summary["status"] == "no candidates" and summary["chosen"] == []
    assert "the cheapest stretch costs DKK 9,000 (NOV-1, 2020)" in summary["message"]
    assert "the 2020 budget is DKK 0" in summary["message"]
    assert read_layer(tiny_workspace, "plan").empty


def test_a_workspace_without_digs_plans_nothing(tmp_path, capsys):
    layers = tiny_layers()
    del layers["digs"]
    path = tmp_path / "ws.gpkg"
    write_layers(path, layers)
    code, summary = run(capsys, str(path), "--scenario", "revised-2019")
    assert code == 0 and summary["status"] == "no candidates"
    assert summary["message"].startswith("nothing chosen: no candidate stretches to plan")


def test_no_backbone_is_the_users_input_exit_1_workspace_unchanged(tmp_path, capsys):
    layers = tiny_layers()
    del layers["backbone"]
    path = tmp_path / "ws.gpkg"
    write_layers(path, layers)
    before = path.read_bytes()
    code, summary = run(capsys, str(path), "--scenario", "revised-2019")
    assert code == 1 and "backbone" in summary["error"]
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--scenario", "no-such-scenario"], "does not exist"),
        (["--scenario", "revised-2019", "--method", "milp", "--time-limit", "0"], "time_limit"),
    ],
)
def test_bad_options_exit_1_and_change_nothing(tiny_workspace, capsys, argv, words, state_of):
    before = state_of(tiny_workspace)
    code, summary = run(capsys, str(tiny_workspace), *argv)
    assert code == 1 and words in summary["error"]
    assert state_of(tiny_workspace) == before
    assert "plan" not in list_layers(tiny_workspace)


def test_an_unknown_method_is_a_usage_error(tiny_workspace):
    assert main(["plan", str(tiny_workspace), "--scenario", "revised-2019", "-m", "x"]) == 2


# --- the demo workspace -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    write_demo_workspace(path, seed=2019, scale=0.2)
    return path


@pytest.mark.slow
def test_demo_plan_stays_within_budget_and_joins_back_to_the_opportunities(demo_workspace):
    from ductplanner.app.workflows.opportunities import opportunities_workspace

    report = opportunities_workspace(demo_workspace, "revised-2019")
    plan, layer = plan_workspace(demo_workspace, "revised-2019", method="greedy")
    assert len(layer) > 5
    spent, budget = np.array(plan.spent_dkk), np.array(plan.budget_dkk)
    assert (spent <= budget + 1e-6).all()
    for year, rows in layer.groupby("year"):
        assert rows["cost_dkk"].sum() <= budget[plan.years.index(year)] + 1e-6
    opportunities = report.opportunities.set_index("id")
    assert layer["opportunity_id"].isin(opportunities.index).all()
    joined = opportunities.loc[layer["opportunity_id"]]
    assert (joined["dig_id"].to_numpy() == layer["dig_id"].to_numpy()).all()
    assert np.allclose(layer.geometry.length, joined.geometry.length, atol=0.2)
    assert layer["metres"].sum() == pytest.approx(plan.metres, abs=0.5)
    assert plan.households_covered > plan.households_baseline


def test_demo_step_plans_the_revised_scenario(demo_workspace, tmp_path, monkeypatch):
    ctx = DemoContext(demo_workspace, tmp_path, 2019, shipped_scenarios())
    monkeypatch.setattr(pipeline, "DEMO_TIME_LIMIT_S", 3.0)
    outcome = plan_step(ctx)
    assert outcome.summary.keys() >= PUBLIC_KEYS
    assert outcome.summary["method"] == "milp" and outcome.summary["optimality_gap"] is not None
    assert "of the best possible" in outcome.line
    assert "households covered" in outcome.line
    assert len(read_layer(demo_workspace, "plan")) == outcome.summary["stretches"]


# --- citizens' interest -------------------------------------------------------------------------


def _tight(folder: Path, interest_weight: float, site_weight: float = 0) -> Path:
    """A scenario whose DKK 40,000 a year cannot join every stretch of the tiny town."""
    path = folder / f"tight-{interest_weight:g}-{site_weight:g}.toml"
    path.write_text(
        '[scenario]\nextends = "revised-2019"\nname = "Tight"\n'
        "[budget]\nco_digging = 40_000\nmaterials = 0\n"
        f"[optimizer]\ninterest_weight = {interest_weight}\nsite_weight = {site_weight}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("method", ["greedy", "milp"])
def test_citizens_interest_weighs_in_the_plan_but_households_are_reported_as_they_are(
    tiny_workspace, tmp_path, method, capsys
):
    from ductplanner.app.workflows.citizens import register_interest

    assert main(["coverage", str(tiny_workspace), "--quiet"]) == 0
    capsys.readouterr()
    register_interest(tiny_workspace, "A04")  # Skolevej 1, 2 households, on edge H1:1
    plain = plan_json(capsys, tiny_workspace, _tight(tmp_path, 0), method)
    weighed = plan_json(capsys, tiny_workspace, _tight(tmp_path, 10), method)
    assert "H1:1" not in {c["edge_id"] for c in plain["chosen"]}
    assert "H1:1" in {c["edge_id"] for c in weighed["chosen"]}  # the street that asked
    layer = read_layer(tiny_workspace, "plan")
    assert int(layer["households"].sum()) == sum(c["households"] for c in weighed["chosen"])
    assert weighed["households_covered"] <= plain["households_covered"]  # counted as they are


def test_interest_without_weight_changes_nothing(tiny_workspace, tmp_path, capsys):
    from ductplanner.app.workflows.citizens import register_interest

    assert main(["coverage", str(tiny_workspace), "--quiet"]) == 0
    capsys.readouterr()
    before = plan_json(capsys, tiny_workspace, _tight(tmp_path, 0), "milp")
    register_interest(tiny_workspace, "A04")
    after = plan_json(capsys, tiny_workspace, _tight(tmp_path, 0), "milp")
    assert before["chosen"] == after["chosen"] and before["objective"] == after["objective"]



# --- municipal sites' priority ------------------------------------------------------------------


@pytest.mark.parametrize("method", ["greedy", "milp"])
def test_site_priority_weighs_in_the_plan_and_the_plan_names_the_sites(
    tiny_workspace, tmp_path, method, capsys
):
    # Skolen (priority 1, not connected) is on H1:1, which the tight budget leaves out for
    # H1:4's 2 households at the end of the street; weighed as 10 households, it is laid
    plain = plan_json(capsys, tiny_workspace, _tight(tmp_path, 0), method)
    weighed = plan_json(capsys, tiny_workspace, _tight(tmp_path, 0, site_weight=10), method)
    assert "H1:1" not in {c["edge_id"] for c in plain["chosen"]}
    assert "Skolen" not in plain["message"]
    assert "H1:1" in {c["edge_id"] for c in weighed["chosen"]}
    assert "the plan connects Skolen (priority 1)" in weighed["message"]
    layer = read_layer(tiny_workspace, "plan").set_index("edge_id")
    assert layer.loc["H1:1", "why"].endswith("; connects Skolen (priority 1)")
    assert not layer.drop(index="H1:1")["why"].str.contains("Skolen").any()
    assert weighed["households_covered"] == plain["households_covered"] - 2  # as they are


def test_site_weight_falls_a_fifth_per_priority_level_and_skips_connected_sites():
    from ductplanner.analysis.sites import site_weights
    from ductplanner.model.network import build_network

    layers = tiny_layers()
    network = build_network(layers["streets"], layers["ducts"], layers["backbone"])
    sites = layers["sites"].copy()
    sites["priority"] = [5, 1]  # Skolen last; Plejehjemmet first but already connected
    extra, weighted = site_weights(sites, network, 50)
    assert weighted[["name", "priority", "households"]].to_dict("records") == [
        {"name": "Skolen", "priority": 5, "households": 10.0}
    ]
    assert extra[network.positions(["H1:1"])[0]] == 10.0 and extra.sum() == 10.0
    assert site_weights(sites, network, 0)[1].empty

def plan_json(capsys, ws, scenario: Path, method: str) -> dict:
    argv = ["plan", str(ws), "--scenario", str(scenario), "--method", method, *THE_TINY_YEARS]
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)
