"""Calibration of the forecast: how often does the P10-P90 band hold the true future?

Synthetic "true" futures are drawn from the model by an independent
implementation (the per-edge Python loop of ``bench_simulate.py``): which
announced digs happen, slip or are cancelled, every unannounced dig of
every street, and what the policy lays. The forecast sees only the known
part (the dig plans with their confidence, the streets' last dig years) and
gives its P10-P90 band per year and district; we count how often the truth
lies inside. An honest 80 % band holds the truth about 80 % of the time
(target 75-85 %); more means the band is too wide, less too narrow.

Both sides run the model the loop draws: every value known (a range's
middle) and every street renewed on its own. ``bench_backtest.py`` scores
the shipped scenario (ranges, projects) on futures it did not draw.

    python benchmarks/bench_calibration.py                  # 200 truths, 400 forecast runs
    python benchmarks/bench_calibration.py --truths 50 --scale 0.05
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_simulate import reference_run, street_by_street

from ductplanner.app.demo import generate_demo
from ductplanner.model.scenarios import load_scenario
from ductplanner.simulate import simulate, simulation_input


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truths", type=int, default=200)
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--scenario", default="revised-2019")
    args = parser.parse_args()
    scenario = street_by_street(load_scenario(args.scenario))  # futures of the model itself
    layers = generate_demo(2019, scale=args.scale)
    inp = simulation_input(layers, scenario)
    print(
        f"demo (scale {args.scale:g}): {inp.n_edges:,} edges, {inp.households_total:,.0f} "
        f"households, {inp.n_districts} districts; scenario {args.scenario}"
    )
    started = time.perf_counter()
    fc = simulate(inp, scenario, runs=args.runs, seed=1)
    q = np.quantile(fc.raw.covered, [0.1, 0.9], axis=0, method="inverted_cdf")
    qd = np.quantile(fc.raw.district_covered, [0.1, 0.9], axis=0, method="inverted_cdf")
    t_forecast = time.perf_counter() - started
    started = time.perf_counter()
    inside, inside_d, width = [], [], []
    districts = inp.district_households > 0
    for i in range(args.truths):
        truth, truth_d = reference_run(inp, scenario, random.Random(10_000 + i))
        truth, truth_d = np.asarray(truth), np.asarray(truth_d)
        inside.append((q[0] <= truth) & (truth <= q[1]))
        inside_d.append(((qd[0] <= truth_d) & (truth_d <= qd[1]))[:, districts])
    t_truths = time.perf_counter() - started
    inside, inside_d = np.array(inside), np.array(inside_d)
    width = (q[1] - q[0]) / inp.households_total
    print(
        f"forecast: {args.runs} runs in {t_forecast:.1f} s; {args.truths} true futures "
        f"in {t_truths:.1f} s"
    )
    print("year   band (households)      truth inside")
    for k, year in enumerate(fc.years):
        print(
            f"{year}   {q[0][k]:>7,.0f} - {q[1][k]:>7,.0f}  "
            f"({width[k]:5.1%} wide)   {inside[:, k].mean():6.1%}"
        )
    later = slice(1, None)
    print(f"whole municipality, all years: {inside.mean():.1%} of the true values in P10-P90")
    print(f"whole municipality, from the second year: {inside[:, later].mean():.1%}")
    print(
        f"per district ({int(districts.sum())} districts), all years: {inside_d.mean():.1%} "
        "(target 75-85 %)"
    )
    # a band of one value (P10 = P90: a small district nobody reaches, or one covered
    # already) holds the truth whenever the truth is that value; count the real bands apart
    real = np.broadcast_to((qd[1] > qd[0])[:, districts], inside_d.shape)
    print(
        f"per district, bands wider than one value ({real[0].mean():.0%} of district-years): "
        f"{inside_d[real].mean():.1%}"
    )


if __name__ == "__main__":
    main()
