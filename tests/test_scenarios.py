from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ductplanner import ScenarioError
from ductplanner.model.scenarios import (
    Scenario,
    Span,
    load_scenario,
    parse_scenario,
    scenario_key,
)

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
    assert (
        s.regrowth.mean_cycle_years == Span(5.0, 6.0) and s.regrowth.distribution == "exponential"
    )
    assert s.confidence.slip_years == 1.0 and s.confidence.cancel_share == 0.5
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
    with pytest.raises(ScenarioError, match=r"plan_years.*0 is outside the range \[1, 50\]"):
        parse_scenario('[scenario]\nname = "x"\nplan_years = 0\n')


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


def test_years_belong_to_a_run_not_to_a_strategy() -> None:
    shipped = load_scenario("revised-2019")
    assert (shipped.plan_years, shipped.simulation.forecast_years) == (6, 12)
    run = shipped.starting(2026)
    assert run.years == [2026, 2027, 2028, 2029, 2030, 2031]
    assert run.horizon == 2037
    assert run.budget == shipped.budget and run.name == shipped.name


def test_an_older_file_with_years_is_told_what_to_write_instead() -> None:
    text = (
        '[scenario]\nname = "x"\nstart_year = 2019\nend_year = 2024\n[simulation]\nhorizon = 2030\n'
    )
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text)
    message = str(caught.value)
    assert "scenario.start_year (line 3)" in message and "plan_years = 6" in message
    assert "simulation.horizon (line 6)" in message and "forecast_years = 12" in message
    assert "--as-of" in message and "--from YEAR" in message


def test_a_scenario_extends_a_shipped_one_and_overrides_only_what_differs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "two-million.toml"
    path.write_text('[scenario]\nextends = "revised-2019"\n[budget]\nco_digging = 1_900_000\n')
    mine = load_scenario(path)
    base = load_scenario("revised-2019")
    assert mine.budget.co_digging == 1_900_000
    assert mine.budget.materials == base.budget.materials
    assert (mine.costs, mine.regrowth, mine.plan_years) == (base.costs, base.regrowth, 6)
    assert mine.name == f"{base.name}, as in two-million" and mine.extends == "revised-2019"
    assert scenario_key(mine) == "two-million"


def test_extends_a_file_beside_it_and_refuses_a_loop(tmp_path: Path) -> None:
    (tmp_path / "base.toml").write_text(
        '[scenario]\nname = "Base"\nplan_years = 2\n[costs]\nco_laying = 99\n'
    )
    (tmp_path / "child.toml").write_text(
        '[scenario]\nname = "Child"\nextends = "base.toml"\n[costs]\nmaterial = 1\n'
    )
    child = load_scenario(tmp_path / "child.toml")
    assert (child.name, child.plan_years, child.costs.co_laying, child.costs.material) == (
        "Child",
        2,
        99,
        1,
    )
    (tmp_path / "a.toml").write_text('[scenario]\nname = "A"\nextends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('[scenario]\nname = "B"\nextends = "a.toml"\n')
    with pytest.raises(ScenarioError, match="loop"):
        load_scenario(tmp_path / "a.toml")
    (tmp_path / "c.toml").write_text('[scenario]\nname = "C"\nextends = "nowhere"\n')
    with pytest.raises(ScenarioError, match=r"nowhere.*does not exist.*revised-2019\.toml"):
        load_scenario(tmp_path / "c.toml")


def test_what_nobody_knows_is_a_range_and_a_bad_range_says_how_to_write_it() -> None:
    s = parse_scenario(
        '[scenario]\nname = "x"\n[regrowth]\nmean_cycle_years = [4, 7]\n'
        "[confidence]\nslip_years = [0.5, 2]\ncancel_share = 0.25\n"
    )
    assert s.regrowth.mean_cycle_years == Span(4.0, 7.0)
    assert (s.confidence.slip_years, s.confidence.cancel_share) == (Span(0.5, 2.0), 0.25)
    with pytest.raises(ScenarioError) as err:
        parse_scenario(
            '[scenario]\nname = "x"\n[regrowth]\nmean_cycle_years = [7, 4]\n'
            '[confidence]\nslip_years = [0.5, 20]\ncancel_share = "=1+1"\n'
            "[coverage]\ndrop_distance_m = [10, 20]\n"
        )
    message = str(err.value)
    assert (
        "regrowth.mean_cycle_years (line 4): [7, 4] must give its low end first: [4, 7]" in message
    )
    assert "confidence.slip_years (line 6): 20 is outside the range [0, 10]" in message
    assert "confidence.cancel_share (line 7): '=1+1' is not a number or a range" in message
    assert "coverage.drop_distance_m (line 9): [10, 20] is not a number" in message
