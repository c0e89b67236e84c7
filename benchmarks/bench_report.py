"""Benchmark: the evaluation report of the demo municipality.

Builds the demo workspace (``--scale``, default 1: Ballerup-sized), runs the
demo steps the report reads (coverage, opportunities, plan, requests and
as-built, and the simulation where it exists), then times, in this process:

1. ``collect_report``: reading the workspace, coverage now, and coverage with
   the ducts laid up to each year (one coverage run per year with new ducts);
2. ``render_report`` in English and in Danish (the matplotlib charts);

and prints wall time, the process's peak resident memory so far, the page size and the number
of charts. Usage::

    python benchmarks/bench_report.py
    python benchmarks/bench_report.py --scale 0.2
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from ductplanner.app.demo import write_demo_workspace
from ductplanner.app.workflows.report import collect_report
from ductplanner.model.scenarios import shipped_scenarios
from ductplanner.pipeline import STEPS, DemoContext
from ductplanner.render.report import render_report


def _prepare(folder: Path, scale: float, seed: int) -> DemoContext:
    ctx = DemoContext(folder / "demo.gpkg", folder, seed, shipped_scenarios())
    write_demo_workspace(ctx.workspace, seed=seed, scale=scale)
    for name, step in STEPS:
        if name in ("maps", "report"):
            continue
        started = time.perf_counter()
        outcome = step(ctx)
        print(f"  step {name}: {time.perf_counter() - started:.1f} s  {outcome.line[:70]}")
    return ctx


def _timed(label: str, func, *args, **kwargs):
    started = time.perf_counter()
    result = func(*args, **kwargs)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(f"{label:<22} {seconds:6.2f} s   peak resident memory so far {peak:6.0f} MB")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2019)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"demo municipality, scale {args.scale:g}, seed {args.seed}")
        ctx = _prepare(Path(tmp), args.scale, args.seed)
        _timed("import matplotlib", __import__, "matplotlib.figure")
        data = _timed("collect_report", collect_report, ctx.workspace)
        years = len({y for y in data.laid["year"] if y >= 0})
        print(f"  years with ducts laid: {years}; forecasts: {len(data.forecast_summary())}")
        for lang in ("en", "da"):
            page = _timed(f"render_report ({lang})", render_report, data, lang=lang)
            print(f"  {len(page.encode()) / 1e3:.0f} kB, {page.count('<svg')} charts")


if __name__ == "__main__":
    main()
