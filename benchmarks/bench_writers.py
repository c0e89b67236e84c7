"""Benchmark: several writers on one workspace at once, and what became of their writes.

A GIS team works on one workspace: each of ``--writers`` processes runs
``--ops`` operations against the same GeoPackage as fast as it can, cycling
through what people do in a season: append a utility's dig (``import
--append``), log its request (``decide``), record its as-built (``record
--as-built``, coverage not recomputed). Every operation is the library call
the command makes, in its own process, started at the same moment.

Afterwards the workspace is read back and every operation that reported
success is looked for. Prints operations landed, refused with a clear
message (``workspace busy`` and the like), lost (reported done but missing:
must be 0), the p50/p95 latency per kind, the workspace's size, and the
peak memory of a writer.

``--backend`` chooses the workspace: a GeoPackage (``gpkg``), a schema of
the PostGIS database ``--database`` (``postgis``; the demo is copied there
with ``ductplanner copy``), or ``both``, one after the other.

With ``--decide-tiles N`` it also times one ``ductplanner decide`` (the
command, as a process) on the demo and on the demo tiled N times (185 tiles:
national scale, 2.5 million addresses), interleaved, and prints the ratio: a
GeoPackage write copies the whole file, so a one-row answer costs what the
file weighs; a PostGIS write replaces only the tables it changes.

Usage::

    python benchmarks/bench_writers.py                  # 8 writers x 50 operations
    python benchmarks/bench_writers.py --writers 4 --ops 20 --scale 0.1
    python benchmarks/bench_writers.py --writers 0 --decide-tiles 185
    python benchmarks/bench_writers.py --backend postgis --database postgresql:///gis
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

KINDS = ("append", "decide", "record")


def _dig_file(folder: Path, dig_id: str, x: float, y: float) -> Path:
    import geopandas as gpd
    from shapely import LineString

    path = folder / f"{dig_id}.geojson"
    frame = gpd.GeoDataFrame(
        {"id": [dig_id], "owner": ["Bench"], "start": ["2020-01-01"], "end": ["2020-02-01"]},
        geometry=[LineString([(x, y), (x + 40, y)])],
        crs="EPSG:25832",
    )
    frame.to_file(path)
    return path


def _writer(args: tuple[int, str, int, float, float, Any]) -> list[dict[str, Any]]:
    """Run one writer's operations; return one row per operation."""
    from ductplanner.app.workflows.coordination import log_decision, record_dig
    from ductplanner.app.workflows.layers import import_file
    from ductplanner.core._errors import DuctPlannerError

    writer, workspace, ops, x0, y0, start = args
    folder = Path(tempfile.mkdtemp(prefix=f"writer{writer}-"))
    start.wait()
    rows = []
    for i in range(ops):
        kind = KINDS[i % len(KINDS)]
        dig = f"W{writer}-{i // len(KINDS)}"
        x, y = x0 + 60 * (i // len(KINDS)), y0 + 25 * writer
        began = time.perf_counter()
        try:
            if kind == "append":
                import_file(workspace, "digs", _dig_file(folder, dig, x, y), append=True)
            elif kind == "decide":
                log_decision(workspace, dig, "proposed", date="2020-01-02")
            else:
                as_built = _dig_file(folder, f"{dig}-as-built", x, y + 1)
                record_dig(
                    workspace, dig, date="2020-02-01", as_built=as_built, refresh_coverage=False
                )
            outcome, message = "done", ""
        except DuctPlannerError as exc:
            outcome, message = "refused", str(exc).splitlines()[0]
        rows.append(
            {
                "kind": kind,
                "dig": dig,
                "outcome": outcome,
                "message": message,
                "seconds": time.perf_counter() - began,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    return rows


def _landed(workspace: str, row: dict[str, Any]) -> bool:
    from ductplanner.io.workspace import read_layer, read_table

    if row["kind"] == "append":
        return row["dig"] in set(read_layer(workspace, "digs")["id"].astype(str))
    log = read_table(workspace, "decisions")
    status = "proposed" if row["kind"] == "decide" else "laid"
    mine = log[(log["dig_id"] == row["dig"]) & (log["status"] == status)]
    if row["kind"] == "record":
        ducts = read_layer(workspace, "ducts")
        return len(mine) == 1 and (ducts["id"].astype(str).str.startswith(row["dig"] + "/")).any()
    return len(mine) == 1


def _percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if values else float("nan")


def _timed_decide(workspace: str, dig: str) -> float:
    began = time.perf_counter()
    argv = ["decide", str(workspace), "--dig", dig, "--status", "proposed", "--quiet"]
    subprocess.run([sys.executable, "-m", "ductplanner", *argv], check=True)
    return time.perf_counter() - began


def _place(backend: str, database: str, name: str) -> str:
    """Return where a benchmark workspace goes: a new GeoPackage, or a new schema."""
    if backend == "gpkg":
        return str(Path(tempfile.mkdtemp(prefix=f"bench-{name}-")) / f"{name}.gpkg")
    joiner = "&" if "?" in database else "?"
    return f"{database}{joiner}schema=bench_{name}_{int(time.time() * 1000) % 10**9}"


def _size(workspace: str) -> str:
    from ductplanner.io.workspace import Database, as_workspace

    ws = as_workspace(workspace)
    return "PostGIS schema" if isinstance(ws, Database) else f"{ws.stat().st_size / 1e6:.1f} MB"


def compare_decide(tiles: int, backend: str, database: str, rounds: int = 3) -> None:
    """Time ``decide`` on the demo and on ``tiles`` demos side by side, interleaved."""
    import pandas as pd

    from ductplanner.app.demo import generate_tiled, write_demo_workspace
    from ductplanner.io.workspace import copy_workspace, read_layer, write_layers

    folder = Path(tempfile.mkdtemp(prefix="bench-decide-"))
    write_demo_workspace(folder / "demo.gpkg")
    write_layers(folder / "tiled.gpkg", generate_tiled(tiles), synthetic=True)
    demo, big = str(folder / "demo.gpkg"), str(folder / "tiled.gpkg")
    if backend == "postgis":
        demo, big = _place(backend, database, "demo"), _place(backend, database, "tiled")
        copy_workspace(folder / "demo.gpkg", demo)
        copy_workspace(folder / "tiled.gpkg", big)
    digs = {p: read_layer(p, "digs")["id"].astype(str).tolist() for p in (demo, big)}
    times: dict[str, list[float]] = {demo: [], big: []}
    for k in range(rounds):
        for path in (demo, big):
            times[path].append(_timed_decide(path, digs[path][k]))
    addresses = {p: len(read_layer(p, "addresses")) for p in (demo, big)}
    row = {
        name: f"{pd.Series(times[p]).median():.2f} s ({addresses[p]:,} addresses, {_size(p)})"
        for name, p in (("demo", demo), ("tiled", big))
    }
    ratio = pd.Series(times[big]).median() / pd.Series(times[demo]).median()
    print(f"decide on {backend}, median of {rounds}: {row}; tiled / demo = {ratio:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--ops", type=int, default=50)
    parser.add_argument("--scale", type=float, default=0.05, help="demo scale (1: Ballerup)")
    parser.add_argument("--decide-tiles", type=int, default=0, help="also time decide at N tiles")
    parser.add_argument("--backend", choices=["gpkg", "postgis", "both"], default="both")
    parser.add_argument(
        "--database",
        default="postgresql:///ductplanner",
        help="PostGIS database for --backend postgis (a schema per run is made in it)",
    )
    args = parser.parse_args()
    backends = ["gpkg", "postgis"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if args.decide_tiles:
            compare_decide(args.decide_tiles, backend, args.database)
        if args.writers:
            run_writers(args, backend)


def run_writers(args: argparse.Namespace, backend: str) -> None:
    """Run the writers at once and count what became of their operations."""

    from ductplanner.app.demo import write_demo_workspace
    from ductplanner.io.workspace import copy_workspace, read_layer

    demo = Path(tempfile.mkdtemp(prefix="bench-writers-")) / "team.gpkg"
    write_demo_workspace(demo, seed=2019, scale=args.scale)
    workspace = str(demo)
    if backend == "postgis":
        workspace = _place(backend, args.database, "team")
        copy_workspace(demo, workspace)
    x0, y0, _, _ = read_layer(workspace, "streets").total_bounds
    ctx = mp.get_context("spawn")
    start = ctx.Manager().Event()
    jobs = [(w, str(workspace), args.ops, x0, y0, start) for w in range(args.writers)]
    with ctx.Pool(args.writers) as pool:
        pending = pool.map_async(_writer, jobs)
        time.sleep(3)  # every writer imported and waiting
        began = time.perf_counter()
        start.set()
        results = [row for rows in pending.get() for row in rows]
    wall = time.perf_counter() - began

    done = [r for r in results if r["outcome"] == "done"]
    refused = [r for r in results if r["outcome"] == "refused"]
    lost = [r for r in done if not _landed(workspace, r)]
    print(
        f"{args.writers} writers x {args.ops} operations on one {backend} workspace "
        f"(demo scale {args.scale:g}, {_size(workspace)}) in {wall:.1f} s"
    )
    print(f"  landed {len(done) - len(lost)}, refused {len(refused)}, lost {len(lost)}")
    for kind in KINDS:
        seconds = [r["seconds"] for r in results if r["kind"] == kind]
        p50, p95 = _percentile(seconds, 50), _percentile(seconds, 95)
        print(f"  {kind:<7} p50 {p50:.2f} s  p95 {p95:.2f} s")
    reasons = sorted({r["message"] for r in refused})
    for reason in reasons[:5]:
        print(f"  refused: {reason}")
    print(f"  peak memory of a writer: {max(r['peak_mb'] for r in results):.0f} MB")
    if lost:
        raise SystemExit(f"{len(lost)} operations reported done were lost: {lost[:3]}")


if __name__ == "__main__":
    main()
