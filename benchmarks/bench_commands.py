"""Benchmark the commands a user runs, as processes, next to their floor.

For each size (the demo municipality tiled ``n`` times side by side), a
workspace is written once; then, interleaved in one run, ``--repeat`` times
each:

``coverage``
    ``ductplanner coverage WORKSPACE`` (read, network, coverage, write);
``floor``
    a process that only reads the same layers (streets, addresses, ducts,
    backbone, sites, districts) with pyogrio and Arrow: what no coverage
    command can go below.

Printed per size: the median wall time of each, their ratio (goal: at most
3x), the peak resident memory of each process (from the kernel's own
accounting of the child), and the households covered (the same every run).

    python benchmarks/bench_commands.py                 # 1 and 16 tiles, 3 repeats
    python benchmarks/bench_commands.py --tiles 1 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LAYERS = ("streets", "addresses", "ducts", "backbone", "sites", "districts")

FLOOR = """
import sys, pyogrio
for layer in {layers!r}:
    pyogrio.read_dataframe(sys.argv[1], layer=layer, use_arrow=True)
"""


def _write(path: Path, tiles: int) -> int:
    """Write the demo tiled ``tiles`` times as a workspace; return its addresses."""
    code = (
        "import sys\n"
        "from ductplanner.app.demo import generate_tiled\n"
        "from ductplanner.io.workspace import write_layers\n"
        f"layers = generate_tiled({tiles})\n"
        "write_layers(sys.argv[1], layers, synthetic=True)\n"
        "print(len(layers['addresses']))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True)
    return int(out.stdout.decode().split()[-1])


def _timed(argv: list[str]) -> tuple[float, str]:
    """Run a process; return its wall seconds and standard output."""
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"{argv[:4]} failed: {proc.stderr.decode()[-400:]}")
    return seconds, proc.stdout.decode()


def _peak_of(argv: list[str]) -> float:
    """Return the peak resident MB of a process (kernel accounting, ``/usr/bin/time`` style)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execv(argv[0], argv)
    _, status, usage = os.wait4(pid, 0)
    if status:
        raise SystemExit(f"{argv[:4]} failed with status {status}")
    return usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    coverage = [sys.executable, "-m", "ductplanner", "coverage"]
    floor = [sys.executable, "-c", FLOOR.format(layers=LAYERS)]
    print(
        f"{'tiles':>5} {'addresses':>10} {'coverage s':>11} {'floor s':>8} {'ratio':>6} "
        f"{'coverage MB':>12} {'floor MB':>9}  households covered"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for tiles in args.tiles:
            ws = Path(tmp) / f"tiled-{tiles}.gpkg"
            addresses = _write(ws, tiles)
            times: dict[str, list[float]] = {"coverage": [], "floor": []}
            covered = set()
            for _ in range(args.repeat):  # interleaved: the machine's mood hits both alike
                seconds, out = _timed([*coverage, str(ws), "--json", "--quiet"])
                times["coverage"].append(seconds)
                covered.add(json.loads(out)["households_duct_covered"])
                times["floor"].append(_timed([*floor, str(ws)])[0])
            peaks = {
                "coverage": _peak_of([*coverage, str(ws), "--quiet"]),
                "floor": _peak_of([*floor, str(ws)]),
            }
            med = {k: statistics.median(v) for k, v in times.items()}
            print(
                f"{tiles:>5} {addresses:>10,} {med['coverage']:>11.2f} {med['floor']:>8.2f} "
                f"{med['coverage'] / med['floor']:>6.1f} {peaks['coverage']:>12.0f} "
                f"{peaks['floor']:>9.0f}  {', '.join(f'{c:,}' for c in sorted(covered))}"
            )
    print("ratio: coverage over reading its layers with pyogrio + Arrow (goal: at most 3x)")


if __name__ == "__main__":
    main()
