"""Benchmark: importing and validating an addresses layer of 10k, 100k and 1M points.

For each size a deterministic addresses file is generated (a GeoPackage by
default, or a CSV with x/y columns), then each step runs in a fresh process
so its peak resident memory (``ru_maxrss``) is that step's alone:

``import``
    ``ductplanner.app.workflows.layers.import_file`` into a new workspace (read, map, validate,
    reproject, atomic write).
``validate-workspace``
    ``ductplanner.app.workflows.layers.validate_path`` on that workspace.
``validate-file``
    ``ductplanner.app.workflows.layers.validate_path`` on the input file (``--layer addresses``).
``validate-layer``
    ``ductplanner.model.layers.validate_layer`` alone on the frame in memory (the
    part of every read of a workspace layer).

Prints, per size and step: wall seconds, peak RSS, and the peak above the
process's RSS just before the step (what the step itself needed).

Usage::

    python benchmarks/bench_io.py                       # 10k, 100k, 1M, GeoPackage
    python benchmarks/bench_io.py --sizes 10000 100000 --format csv
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

import numpy as np

STEPS = ("import", "validate-workspace", "validate-file", "validate-layer")
BALLERUP = (700_000.0, 6_170_000.0, 712_000.0, 6_182_000.0)  # EPSG:25832 bounds


def generate(path: Path, n: int, seed: int, fmt: str) -> Path:
    """Write ``n`` address points (ids, units, kind, speeds) to a GeoPackage or CSV."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = BALLERUP
    x = np.round(rng.uniform(x0, x1, n), 2)
    y = np.round(rng.uniform(y0, y1, n), 2)
    table = pd.DataFrame(
        {
            "id": np.char.add("adr-", np.arange(n).astype(str)).astype(object),
            "units": rng.choice([1, 1, 1, 2, 4, 12, 40], n),
            "kind": np.where(rng.random(n) < 0.93, "home", "business").astype(object),
            "speed_down_mbps": np.round(rng.choice([10.0, 30.0, 100.0, 1000.0], n), 1),
        }
    )
    if fmt == "csv":
        table["x"], table["y"] = x, y
        table.to_csv(path, index=False)
    else:
        gdf = gpd.GeoDataFrame(table, geometry=shapely.points(x, y), crs="EPSG:25832")
        gdf.to_file(path, layer="addresses", engine="pyogrio")
    return path


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def current_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def child(step: str, source: Path, workspace: Path, crs: str | None) -> None:
    """Run one step in this (fresh) process and print its figures as JSON."""
    import geopandas as gpd

    from ductplanner.app.workflows.layers import import_file, validate_path
    from ductplanner.core._errors import InputError
    from ductplanner.model.layers import validate_layer

    frame = None
    if step == "validate-layer":
        frame = gpd.read_file(workspace, layer="addresses", engine="pyogrio")
    before = current_mb()
    started = time.perf_counter()
    problems = None
    try:
        if step == "import":
            result = import_file(workspace, "addresses", source, crs=crs)
            problems = len(result.summary["problems"])
        elif step == "validate-workspace":
            problems = validate_path(workspace).summary["errors"]
        elif step == "validate-file":
            problems = validate_path(source, layer="addresses", crs=crs).summary["errors"]
        else:
            problems = len(validate_layer(frame, "addresses")[1])
    except InputError as exc:
        problems = len(exc.problems)
    seconds = time.perf_counter() - started
    figures = {"seconds": seconds, "peak_mb": peak_mb(), "before_mb": before, "problems": problems}
    print(json.dumps(figures))


def run_step(step: str, source: Path, workspace: Path, crs: str | None) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", step, str(source), str(workspace)]
    if crs:
        cmd += ["--crs", crs]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--format", choices=["gpkg", "csv"], default="gpkg")
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--child", nargs=3, metavar=("STEP", "SOURCE", "WORKSPACE"))
    parser.add_argument("--crs")
    args = parser.parse_args()
    if args.child:
        step, source, workspace = args.child
        child(step, Path(source), Path(workspace), args.crs)
        return
    crs = "EPSG:25832" if args.format == "csv" else None
    print(f"format {args.format}, seed {args.seed}")
    print(
        f"{'points':>9} {'step':<19} {'seconds':>8} {'peak MB':>8} {'step MB':>8} {'µs/point':>9}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-io-") as folder:
        for n in args.sizes:
            source = generate(
                Path(folder) / f"addresses_{n}.{args.format}", n, args.seed, args.format
            )
            workspace = Path(folder) / f"ws_{n}.gpkg"
            for step in STEPS:
                f = run_step(step, source, workspace, crs)
                print(
                    f"{n:>9,} {step:<19} {f['seconds']:>8.2f} {f['peak_mb']:>8.0f} "
                    f"{f['peak_mb'] - f['before_mb']:>8.0f} {1e6 * f['seconds'] / n:>9.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
