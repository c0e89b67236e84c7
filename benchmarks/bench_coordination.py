"""Benchmark: requests, recording a dig and the LER 2.0 export on the demo municipality.

Builds the demo workspace at each scale (coverage, opportunities and the greedy
plan first, untimed), then times:

1. the ``requests`` demo step: a request per utility (GeoPackage, CSV, HTML),
   the seeded decision history to mid-2021 and the recording of every agreed
   dig that ended before it, in one workspace write, then coverage;
2. ``record_dig`` of one further planned dig, with coverage before and after
   (what ``ductplanner record`` does);
3. ``export_ler`` of every existing duct, validated against the XSD.

Prints wall time and peak resident memory of each, and what they produced.
Each scale runs in its own process.

Usage::

    python benchmarks/bench_coordination.py              # scales 0.2 and 1
    python benchmarks/bench_coordination.py --scales 1
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_scale(scale: float, seed: int) -> dict[str, Any]:
    from ductplanner.app.demo import write_demo_workspace
    from ductplanner.app.workflows import coordination
    from ductplanner.io.ler import export_ler
    from ductplanner.io.workspace import read_layer
    from ductplanner.pipeline import (
        DemoContext,
        coverage_step,
        opportunities_step,
        plan_step,
        requests_step,
        shipped_scenarios,
    )

    out = Path(tempfile.mkdtemp(prefix="bench-coordination-"))
    ctx = DemoContext(out / "demo.gpkg", out, seed, shipped_scenarios())
    write_demo_workspace(ctx.workspace, seed=seed, scale=scale)
    for step in (coverage_step, opportunities_step, plan_step):
        step(ctx)
    result: dict[str, Any] = {"scale": scale}

    started = time.perf_counter()
    outcome = requests_step(ctx)
    result["requests_step_s"] = round(time.perf_counter() - started, 2)
    result["requests_step_peak_mb"] = round(peak_mb())
    result["requested"] = outcome.summary.get("requested")
    result["recorded_digs"] = len(outcome.summary.get("recorded_digs", []))

    plan = read_layer(ctx.workspace, "plan")
    log = coordination.read_decisions(ctx.workspace)
    done = set(log["dig_id"][log["status"].isin(["laid", "declined"])])
    open_digs = [d for d in plan["dig_id"].astype(str) if d and d not in done]
    if open_digs:
        started = time.perf_counter()
        recorded = coordination.record_dig(ctx.workspace, open_digs[0])
        result["record_s"] = round(time.perf_counter() - started, 2)
        result["record_households"] = [recorded.households_before, recorded.households_after]
        result["record_peak_mb"] = round(peak_mb())

    started = time.perf_counter()
    path = export_ler(ctx.workspace, out / "ler.gml", owner="Ballerup Kommune")
    result["ler_s"] = round(time.perf_counter() - started, 2)
    result["ler_features"] = len(read_layer(ctx.workspace, "ducts"))
    result["ler_mb"] = round(path.stat().st_size / 1e6, 2)
    result["ler_peak_mb"] = round(peak_mb())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.2, 1.0])
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_scale(args.one, args.seed)))
        return
    for scale in args.scales:
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(scale), "--seed", str(args.seed)],
            capture_output=True,
            text=True,
            check=True,
        )
        print(json.dumps(json.loads(done.stdout.strip().splitlines()[-1])))


if __name__ == "__main__":
    main()
