"""Benchmark: finding the co-digging opportunities and building the planning instance.

Runs on the demo municipality and on larger cases made by tiling it
(``ductplanner.app.demo.generate_tiled``); each size runs in its own process, so
peak memory is that size's alone. Prints, per size: the inputs (street
edges, digs, addresses), the wall time and peak resident memory of
(1) building the street network (:func:`ductplanner.model.network.build_network`,
shared with coverage), (2) :func:`ductplanner.analysis.opportunities.find_opportunities`
on it (household assignment, overlay, conflicts), (3) :func:`planning_instance` from those
opportunities, and (4) the greedy plan on that instance (``--plan``), with
the numbers found (candidates, metres, conflicts).

Usage::

    python benchmarks/bench_opportunities.py                  # demo, 10 and 40 tiles
    python benchmarks/bench_opportunities.py --tiles 1 100 --plan
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any


def peak_mb() -> float:
    """Peak resident memory of this process so far, MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start, peak_mb()


def run_one(tiles: int, plan: bool) -> dict[str, Any]:
    from ductplanner.analysis.opportunities import find_opportunities
    from ductplanner.app.demo import generate_demo, generate_tiled
    from ductplanner.model.network import build_network
    from ductplanner.model.scenarios import load_scenario
    from ductplanner.optimize import planning_instance

    scenario = load_scenario("revised-2019")
    layers, gen_s, _ = timed(
        lambda: generate_demo(2019) if tiles == 1 else generate_tiled(tiles, 2019)
    )
    base_mb = peak_mb()
    network, net_s, net_mb = timed(
        lambda: build_network(layers["streets"], layers["ducts"], layers["backbone"])
    )
    report, opp_s, opp_mb = timed(lambda: find_opportunities(layers, scenario, network=network))
    (instance, _), inst_s, inst_mb = timed(
        lambda: planning_instance(layers, scenario, report=report)
    )
    summary = report.summary()
    out: dict[str, Any] = {
        "tiles": tiles,
        "edges": len(report.network.edges),
        "digs": len(layers["digs"]),
        "addresses": len(layers["addresses"]),
        "generate_s": round(gen_s, 1),
        "inputs_mb": round(base_mb),
        "network_s": round(net_s, 2),
        "network_peak_mb": round(net_mb),
        "opportunities_s": round(opp_s, 2),
        "opportunities_peak_mb": round(opp_mb),
        "instance_s": round(inst_s, 2),
        "instance_peak_mb": round(inst_mb),
        "candidates": summary["candidates"],
        "stretches": summary["stretches"],
        "metres": summary["metres"],
        "conflicts": summary["conflicts"],
    }
    if plan:
        from ductplanner.optimize import plan as run_plan

        result, plan_s, plan_mb = timed(lambda: run_plan(instance, "greedy"))
        out |= {
            "greedy_s": round(plan_s, 2),
            "greedy_peak_mb": round(plan_mb),
            "households_covered": result.households_covered,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, nargs="+", default=[1, 10, 40])
    parser.add_argument("--plan", action="store_true", help="also time the greedy plan")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.plan)))
        return
    header = (
        f"{'tiles':>5} {'edges':>9} {'digs':>6} {'addresses':>10} | {'network':>16} "
        f"| {'opportunities':>16} "
        f"| {'instance':>16} | {'candidates':>10} {'km':>7} {'conflicts':>9}"
    )
    if args.plan:
        header += f" | {'greedy':>16}"
    print(header)
    for tiles in args.tiles:
        command = [sys.executable, __file__, "--one", str(tiles)]
        command += ["--plan"] if args.plan else []
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        line = (
            f"{r['tiles']:>5} {r['edges']:>9,} {r['digs']:>6,} {r['addresses']:>10,} | "
            f"{r['network_s']:>6.2f} s {r['network_peak_mb']:>5} MB | "
            f"{r['opportunities_s']:>6.2f} s {r['opportunities_peak_mb']:>5} MB | "
            f"{r['instance_s']:>6.2f} s {r['instance_peak_mb']:>5} MB | "
            f"{r['candidates']:>10,} {r['metres'] / 1000:>7,.1f} {r['conflicts']:>9,}"
        )
        if args.plan:
            line += f" | {r['greedy_s']:>6.2f} s {r['greedy_peak_mb']:>5} MB"
        print(line, flush=True)
    print("peak MB: the process's resident high-water mark after the stage (inputs included)")


if __name__ == "__main__":
    main()
