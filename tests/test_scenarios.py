from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ductplanner import ScenarioError
from ductplanner.model.scenarios import Scenario, load_scenario, parse_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.mark.parametrize("name", ["revised-2019", "original-2016", "shutdown"])
def test_shipped_scenarios_load(name: str) -> None:
    scenario = load_scenario(SCENARIOS / f"{name}.toml")
    assert scenario.name
    assert scenario.source.endswith(f"{name}.toml")
    assert scenario.years[0] == 2019


def test_shipped_budgets_match_the_2019_decision() -> None:
    revised = load_scenario(SCENARIOS / "revised-2019.toml")
    original = load_scenario(SCENARIOS / "original-2016.toml")
    shutdown = load_scenario(SCENARIOS / "shutdown.toml")
    assert revised.budget.total_dkk == 1_000_000
    assert revised.budget.duct_dkk == 500_000
    assert revised.policy == "co-dig" and revised.budget.own_digging == 0
    assert original.budget.total_dkk == 2_180_000
    assert original.policy == "own-dig" and original.budget.own_digging > 0
    assert shutdown.policy == "fibre-only" and shutdown.budget.total_dkk == 0


def test_defaults_are_the_documented_assumptions() -> None:
    s = parse_scenario('[scenario]\nname = "x"\n')
    assert s.costs.co_laying == 150 and s.costs.material == 30 and s.costs.own_trench == 1000
    assert s.costs.co_dig_per_m == 180
    assert s.coverage.drop_distance_m == 30
    assert (s.coverage.speed_down_mbps, s.coverage.speed_up_mbps) == (100, 30)
    assert s.regrowth.mean_cycle_years == 5.5 and s.regrowth.distribution == "exponential"
    assert s.simulation.runs == 1000


def test_scenario_is_frozen() -> None:
    s = parse_scenario('[scenario]\nname = "x"\n')
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.name = "y"  # type: ignore[misc]
    assert s.replace(name="y").name == "y"
    assert isinstance(s.to_dict()["budget"], dict)


def test_every_problem_is_reported_with_key_and_line() -> None:
    text = (
        "[scenario]\n"
        "name = 1\n"
        'policy = "dig-everything"\n'
        "[budgt]\n"
        "[regrowth]\n"
        "mean_cycle = 3\n"
        "[simulation]\n"
        "runs = 0\n"
    )
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source="bad.toml")
    message = str(info.value)
    assert "5 problems in scenario bad.toml" in message
    assert "scenario.name (line 2): 1 is not text" in message
    assert "scenario.policy (line 3): 'dig-everything' is not one of" in message
    assert "budgt (line 4): unknown table [budgt] (did you mean 'budget'?)" in message
    assert "regrowth.mean_cycle (line 6): unknown key (did you mean 'mean_cycle_years'?)" in message
    assert "simulation.runs (line 8): 0 is outside the range" in message


def test_wrong_type_and_range() -> None:
    with pytest.raises(ScenarioError, match=r"budget.co_digging.*'lots' is not a number"):
        parse_scenario('[scenario]\nname = "x"\n[budget]\nco_digging = "lots"\n')
    with pytest.raises(ScenarioError, match=r"coverage.target_share.*1.5 is outside"):
        parse_scenario('[scenario]\nname = "x"\n[coverage]\ntarget_share = 1.5\n')
    with pytest.raises(ScenarioError, match=r"end_year.*2018 is before start_year 2019"):
        parse_scenario('[scenario]\nname = "x"\nstart_year = 2019\nend_year = 2018\n')


def test_missing_name_and_syntax_error() -> None:
    with pytest.raises(ScenarioError, match=r"scenario.name: is required"):
        parse_scenario("[budget]\nmaterials = 1\n")
    with pytest.raises(ScenarioError, match=r"syn.toml at line 2: not valid TOML"):
        parse_scenario('[scenario]\nname = "x\n', source="syn.toml")


def test_missing_file_names_the_shipped_ones(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"revised-2019\.toml"):
        load_scenario(tmp_path / "nope.toml")
    with pytest.raises(ValueError):  # a ScenarioError is a ValueError too
        load_scenario(tmp_path / "nope.toml")


def test_scenario_type_is_importable() -> None:
    assert Scenario(name="x").budget.duct_dkk == 500_000
