"""Back-test of the forecast bands against futures the forecast's own model did not draw.

The true futures come from an independent generator (pure Python, a few
dozen lines here plus the per-edge loop of ``bench_simulate.py``), not from
the engine: digging comes in projects grown street by street from a random
edge until they hold about ``--project-m`` metres (a breadth-first cut, not
the engine's Voronoi cells), each project renewed on its own with a mean
cycle that each true future draws uniformly in ``--cycle`` (the
municipality's "5-6 years"). The forecast sees only what the municipality
knows (dig plans with their confidence, last dig years, the scenario).

Two forecasts are scored on the same truths, in one run:

* **ranged, in projects**: the scenario as shipped (cycle 5-6 years, digging
  in projects of 600 m);
* **fixed, street by street**: the model before (cycle fixed at 5.5 years,
  every street edge on its own).

For each, the share of true values inside the P10-P90 band, for the whole
town and per district-year (target 75-85 %), and the band's mean width.

    python benchmarks/bench_backtest.py                      # 200 truths, 400 forecast runs
    python benchmarks/bench_backtest.py --truths 60 --runs 200 --scale 0.05
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import deque
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_simulate import reference_run, street_by_street

from ductplanner.app.demo import generate_demo
from ductplanner.model.scenarios import Scenario, load_scenario
from ductplanner.simulate import SimulationInput, simulate, simulation_input


def grown_projects(inp: SimulationInput, length_m: float, rnd: random.Random) -> list[list[int]]:
    """Cut the streets into connected projects: grow each from a random edge, breadth first."""
    at_node: list[list[int]] = [[] for _ in range(inp.n_nodes)]
    for e, (u, v) in enumerate(zip(inp.edge_u.tolist(), inp.edge_v.tolist(), strict=True)):
        at_node[u].append(e)
        at_node[v].append(e)
    ends = list(zip(inp.edge_u.tolist(), inp.edge_v.tolist(), strict=True))
    length = inp.edge_length_m.tolist()
    order = list(range(inp.n_edges))
    rnd.shuffle(order)
    taken = [False] * inp.n_edges
    projects = []
    for first in order:
        if taken[first]:
            continue
        taken[first] = True
        project, metres, queue = [first], length[first], deque([first])
        while queue and metres < length_m:
            e = queue.popleft()
            for node in ends[e]:
                for nxt in at_node[node]:
                    if not taken[nxt] and metres < length_m:
                        taken[nxt] = True
                        project.append(nxt)
                        metres += length[nxt]
                        queue.append(nxt)
        projects.append(project)
    return projects


def true_future(
    inp: SimulationInput,
    scenario: Scenario,
    rnd: random.Random,
    cycle: tuple[float, float],
    project_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One true future: its own mean cycle, its own projects; households covered by year."""
    mean = rnd.uniform(*cycle)
    groups = grown_projects(inp, project_m, rnd) if project_m > 0 else None
    covered, by_district = reference_run(inp, scenario, rnd, mean_cycle=mean, groups=groups)
    return np.asarray(covered), np.asarray(by_district)


def _score(
    bands: tuple[np.ndarray, np.ndarray],
    truths: list[tuple[np.ndarray, np.ndarray]],
    districts: np.ndarray,
    total: float,
) -> dict[str, float]:
    (q, qd) = bands
    town = np.array([(q[0] <= t) & (t <= q[1]) for t, _ in truths])
    per = np.array([((qd[0] <= d) & (d <= qd[1]))[:, districts] for _, d in truths])
    real = np.broadcast_to((qd[1] > qd[0])[:, districts], per.shape)
    return {
        "town": float(town.mean()),
        "town_later": float(town[:, 1:].mean()),
        "districts": float(per.mean()),
        "districts_real": float(per[real].mean()) if real.any() else float("nan"),
        "width": float(((q[1] - q[0]) / total).mean()),
    }


def _bands(inp: SimulationInput, scenario: Scenario, runs: int) -> tuple[np.ndarray, np.ndarray]:
    fc = simulate(inp, scenario, runs=runs, seed=1)
    q = np.quantile(fc.raw.covered, [0.1, 0.9], axis=0, method="inverted_cdf")
    qd = np.quantile(fc.raw.district_covered, [0.1, 0.9], axis=0, method="inverted_cdf")
    return q, qd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truths", type=int, default=200)
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--scenario", default="revised-2019")
    parser.add_argument("--cycle", type=float, nargs=2, default=(5.0, 6.0), metavar=("LOW", "HIGH"))
    parser.add_argument("--project-m", type=float, default=600.0)
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    layers = generate_demo(2019, scale=args.scale)
    inp = simulation_input(layers, scenario)
    districts = inp.district_households > 0
    print(
        f"demo (scale {args.scale:g}): {inp.n_edges:,} edges, {inp.households_total:,.0f} "
        f"households, {int(districts.sum())} districts; scenario {args.scenario}"
    )
    print(
        f"truths: {args.truths}, each with its own mean cycle in {args.cycle[0]:g}-"
        f"{args.cycle[1]:g} years and projects of about {args.project_m:,.0f} m "
        "(an independent pure-Python generator)"
    )
    started = time.perf_counter()
    truths = [
        true_future(inp, scenario, random.Random(20_000 + i), tuple(args.cycle), args.project_m)
        for i in range(args.truths)
    ]
    print(f"  drawn in {time.perf_counter() - started:.1f} s")
    models = {
        "ranged, in projects (as shipped)": scenario,
        "fixed 5.5 y, street by street (before)": street_by_street(scenario),
    }
    print(
        f"{'forecast':<40} {'town':>7} {'town 2nd+ yr':>13} {'districts':>10} "
        f"{'real bands':>11} {'band width':>11} {'seconds':>8}"
    )
    for name, model in models.items():
        started = time.perf_counter()
        bands = _bands(inp, model, args.runs)
        seconds = time.perf_counter() - started
        s = _score(bands, truths, districts, inp.households_total)
        print(
            f"{name:<40} {s['town']:>7.1%} {s['town_later']:>13.1%} {s['districts']:>10.1%} "
            f"{s['districts_real']:>11.1%} {s['width']:>11.1%} {seconds:>8.1f}"
        )
    print("share of true values inside P10-P90; target 75-85 % (an honest 80 % band)")


if __name__ == "__main__":
    main()
