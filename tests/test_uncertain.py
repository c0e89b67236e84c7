"""What nobody knows is drawn per simulated future: the mean cycle, slip and cancel share.

The engine against formulas: with a mean cycle uniform in [4, 7] the share of
street edges dug by year t is the forward-recurrence distribution averaged
over the range; a known value draws nothing, so its futures are the ones a
scenario without ranges gives, byte for byte; and a range widens the band.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from test_simulate import _scenario, _star

from ductplanner.model.scenarios import Span, parse_scenario
from ductplanner.simulate import Renewal, SimulationInput, simulate
from ductplanner.simulate.uncertain import RunParameters


@pytest.mark.parametrize("distribution", ["exponential", "gamma", "uniform"])
def test_share_dug_is_the_recurrence_cdf_averaged_over_the_range(distribution: str) -> None:
    scenario = _scenario("fibre-only", mean_cycle_years=[4, 7], distribution=distribution)
    fc = simulate(_star(), scenario, runs=400, seed=3)
    t = np.arange(1, len(fc.years) + 1)
    means = 4 + (np.arange(200) + 0.5) * 3 / 200
    expected = np.mean([Renewal(m, distribution).cdf_first(t) for m in means], axis=0)
    # runs share their mean, so the share varies as over 400 runs, not over 80,000 edges
    tolerance = 5 * np.sqrt(expected * (1 - expected) / fc.runs) + 1e-3
    assert np.all(np.abs(fc.raw.dug_share - expected) <= tolerance)
    fixed = Renewal(5.5, distribution).cdf_first(t)
    if distribution == "uniform":  # a strict cycle: the range is visible in the mean share
        assert np.max(np.abs(expected - fixed)) > 0.02


def test_each_run_keeps_its_own_draw_and_a_known_value_draws_nothing() -> None:
    ranged = _scenario(mean_cycle_years=[4, 7])
    p = RunParameters.draw(ranged, runs=1000, seed=9)
    assert 4 <= p.mean_cycle_years.min() < 4.1 and 6.9 < p.mean_cycle_years.max() <= 7
    assert np.array_equal(
        p.mean_cycle_years, RunParameters.draw(ranged, runs=1000, seed=9).mean_cycle_years
    )
    assert np.array_equal(p.slip_years, np.ones(1000)) and np.array_equal(
        p.cancel_share, np.full(1000, 0.5)
    )
    # a batch's runs are the first runs of a longer forecast: the draw does not depend on run count
    assert np.array_equal(
        RunParameters.draw(ranged, runs=10, seed=9).mean_cycle_years, p.mean_cycle_years[:10]
    )
    known = _scenario(mean_cycle_years=5.5)
    assert np.array_equal(
        RunParameters.draw(known, runs=5, seed=9).mean_cycle_years, np.full(5, 5.5)
    )


def _golden_town() -> SimulationInput:
    """A 10 x 10 grid with known last digs, dig plans of three confidences, ducts."""
    node = np.arange(121).reshape(11, 11)
    uv = np.r_[
        np.c_[node[:, :-1].ravel(), node[:, 1:].ravel()],
        np.c_[node[:-1, :].ravel(), node[1:, :].ravel()],
    ]
    n = len(uv)
    rng = np.random.default_rng(5)
    last = np.where(rng.random(n) < 0.3, rng.integers(2010, 2019, n).astype(float), np.nan)
    dig_edge = rng.choice(n, 40, replace=False)
    return SimulationInput(
        n_nodes=node.size,
        edge_u=uv[:, 0],
        edge_v=uv[:, 1],
        edge_length_m=rng.uniform(40, 120, n),
        edge_households=rng.integers(1, 9, n).astype(float),
        has_duct=rng.random(n) < 0.1,
        root_nodes=[0],
        last_dug=last,
        dig_edge=dig_edge,
        dig_time=2019 + rng.random(40) * 4,
        dig_group=np.arange(40) // 4,
        dig_probability=np.repeat([0.4, 0.75, 0.95, 0.4, 0.75, 0.95, 0.4, 0.75, 0.95, 0.95], 4),
    )


# the futures the engine drew before ranges and projects existed (ductplanner 6f7a1bf)
GOLDEN = {
    "exponential": "61f434c018d4b68d",
    "gamma": "773d8788902e7129",
    "uniform": "21b1998ffba279f4",
}


@pytest.mark.parametrize("distribution", sorted(GOLDEN))
def test_known_values_street_by_street_give_the_futures_drawn_before(distribution: str) -> None:
    scenario = parse_scenario(
        '[scenario]\nname = "golden"\n[regrowth]\nmean_cycle_years = 5.5\n'
        f'distribution = "{distribution}"\nuniform_spread = 0.3\nplans_complete_years = 1\n'
        "project_length_m = 0\n"
    )
    fc = simulate(_golden_town(), scenario, runs=150, seed=11)
    digest = hashlib.sha256(fc.raw.covered.tobytes() + fc.raw.edge_p_covered.tobytes())
    assert digest.hexdigest()[:16] == GOLDEN[distribution]


def test_a_range_widens_the_band_and_the_forecast_says_so() -> None:
    inp = _star(400)
    widths = {}
    for label, cycle in (("known", 5.5), ("range", [3.0, 9.0])):
        fc = simulate(inp, _scenario(mean_cycle_years=cycle), runs=300, seed=2, budget_co_dig=1e12)
        s = fc.summary()
        widths[label] = s["p90"][-5] - s["p10"][-5]
        assert s["mean_cycle_range_years"] == ([5.5, 5.5] if label == "known" else [3.0, 9.0])
    assert widths["range"] > 2 * widths["known"]
    text = simulate(inp, _scenario(mean_cycle_years=[5, 6]), runs=20, seed=1).text()
    assert "mean 5-6 years (each run its own)" in text


def test_a_slip_range_is_drawn_per_run() -> None:
    s = parse_scenario(
        '[scenario]\nname = "x"\n[confidence]\nslip_years = [0.5, 3]\ncancel_share = [0, 1]\n'
    )
    p = RunParameters.draw(s, runs=500, seed=1)
    assert p.slip_years.min() >= 0.5 and p.slip_years.max() <= 3 and p.slip_years.std() > 0.5
    assert p.cancel_share.min() >= 0 and p.cancel_share.max() <= 1 and p.cancel_share.std() > 0.2
    assert Span.of(s.confidence.slip_years) == Span(0.5, 3.0)


def test_knowing_one_value_leaves_the_other_draws_as_they_were() -> None:
    both = parse_scenario(
        '[scenario]\nname = "x"\n[regrowth]\nmean_cycle_years = [5, 6]\n'
        "[confidence]\nslip_years = [0.5, 2]\n"
    )
    known_cycle = parse_scenario(
        '[scenario]\nname = "x"\n[regrowth]\nmean_cycle_years = 5.5\n'
        "[confidence]\nslip_years = [0.5, 2]\n"
    )
    a = RunParameters.draw(both, runs=50, seed=3)
    b = RunParameters.draw(known_cycle, runs=50, seed=3)
    assert np.array_equal(a.slip_years, b.slip_years)
    assert not np.array_equal(a.mean_cycle_years, b.mean_cycle_years)


def _planned_star(n: int = 60) -> SimulationInput:
    """A star whose every edge has one announced, indicative dig early in the first year."""
    star = _star(n)
    return SimulationInput(
        n_nodes=star.n_nodes,
        edge_u=star.edge_u,
        edge_v=star.edge_v,
        edge_length_m=star.edge_length_m,
        edge_households=star.edge_households,
        has_duct=star.has_duct,
        root_nodes=[0],
        dig_edge=np.arange(n),
        dig_time=np.full(n, 2019.1),
        dig_probability=np.full(n, 0.4),
        dig_confidence=np.full(n, "indicative", dtype=object),
    )


def test_a_confidence_range_is_drawn_per_run_for_the_digs_of_its_class() -> None:
    from ductplanner.simulate.digs import PlanFates, draw_digs

    inp = _planned_star()
    shares = {}
    for label, value in (("known", "0.4"), ("range", "[0.1, 0.7]")):
        scenario = parse_scenario(
            f'[scenario]\nname = "x"\n[regrowth]\nmean_cycle_years = 100\n'
            f"project_length_m = 0\n[confidence]\nindicative = {value}\ncancel_share = 1\n"
        )
        params = RunParameters.draw(scenario, runs=400, seed=5)
        assert ("indicative" in params.confidence) == (label == "range")
        first = next(
            draw_digs(
                inp,
                Renewal(100.0),
                PlanFates(cancel_share=1.0),
                [2019, 2020],
                400,
                np.random.default_rng(1),
                co_dig_per_m=180.0,
                params=params,
            )
        )
        shares[label] = first.open.mean(axis=1)  # per run: the share of plans that opened
    assert abs(shares["known"].mean() - 0.4) < 0.02 and abs(shares["range"].mean() - 0.4) < 0.03
    assert shares["range"].std() > 2 * shares["known"].std()  # futures differ as a whole


def test_the_workspace_s_digs_keep_their_confidence_class(tiny) -> None:
    from ductplanner.simulate import simulation_input

    inp = simulation_input(tiny, parse_scenario('[scenario]\nname = "x"\n'))
    assert set(inp.dig_confidence) <= {"firm", "budgeted", "indicative", ""}
    assert len(inp.dig_confidence) == len(inp.dig_edge) and (inp.dig_confidence != "").any()
