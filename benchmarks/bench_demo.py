"""Benchmark: generating the demo municipality, writing it, and the tiled national case.

Each case runs in a fresh process, so its peak resident memory (``ru_maxrss``)
is that case's alone:

``generate``
    ``generate_demo(seed)`` at scale 1 (the Ballerup-sized municipality).
``write``
    ``write_demo_workspace`` at scale 1 (generate, validate and write the
    GeoPackage atomically).
``tiled``
    ``generate_tiled(n, seed)`` with enough tiles for ~2.5 million addresses
    (the national-scale case other benchmarks use).

Usage::

    python benchmarks/bench_demo.py                   # all three cases
    python benchmarks/bench_demo.py --addresses 250000
    python benchmarks/bench_demo.py --skip-tiled
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NATIONAL_ADDRESSES = 2_500_000


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _case(name: str, seed: int, addresses: int) -> dict:
    """Run one case in this process and return its figures."""
    from ductplanner.app.demo import generate_demo, generate_tiled, write_demo_workspace

    before = _peak_mb()
    if name == "generate":
        start = time.perf_counter()
        layers = generate_demo(seed)
        seconds = time.perf_counter() - start
        counts = {k: len(v) for k, v in layers.items()}
        streets = layers["streets"]
        extra = {
            "street_km": round(float(streets.length.sum()) / 1000, 1),
            "households": int(layers["addresses"].query("kind == 'home'")["units"].sum()),
        }
    elif name == "write":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "demo.gpkg"
            start = time.perf_counter()
            counts = write_demo_workspace(path, seed=seed)
            seconds = time.perf_counter() - start
            extra = {"file_mb": round(path.stat().st_size / 1e6, 1)}
    elif name == "tiled":
        per_tile = len(generate_demo(seed)["addresses"])
        tiles = max(1, math.ceil(addresses / per_tile))
        start = time.perf_counter()
        layers = generate_tiled(tiles, seed)
        seconds = time.perf_counter() - start
        counts = {k: len(v) for k, v in layers.items()}
        extra = {"tiles": tiles, "addresses_per_tile": per_tile}
    else:  # pragma: no cover
        raise ValueError(name)
    return {
        "case": name,
        "seconds": round(seconds, 2),
        "peak_mb": round(_peak_mb(), 0),
        "baseline_mb": round(before, 0),
        "counts": counts,
        **extra,
    }


def _in_fresh_process(name: str, seed: int, addresses: int) -> dict:
    here = str(Path(__file__).resolve().parent)
    code = (
        f"import json, sys; sys.path.insert(0, {here!r}); import bench_demo; "
        f"print(json.dumps(bench_demo._case({name!r}, {seed}, {addresses})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--addresses", type=int, default=NATIONAL_ADDRESSES)
    parser.add_argument("--skip-tiled", action="store_true")
    args = parser.parse_args(argv)
    cases = ["generate", "write"] + ([] if args.skip_tiled else ["tiled"])
    print(f"{'case':<10} {'seconds':>8} {'peak MB':>8}  details")
    for name in cases:
        r = _in_fresh_process(name, args.seed, args.addresses)
        counts = ", ".join(f"{n:,} {k}" for k, n in r["counts"].items())
        details = {
            k: v
            for k, v in r.items()
            if k not in {"case", "seconds", "peak_mb", "baseline_mb", "counts"}
        }
        print(f"{name:<10} {r['seconds']:>8.2f} {r['peak_mb']:>8.0f}  {details}")
        print(f"{'':<28}{counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
