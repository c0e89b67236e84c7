"""Benchmark: building the street network and computing coverage at national scale.

The national case is the demo municipality tiled side by side
(``ductplanner.app.demo.generate_tiled``): about 192 tiles make 2.5 million
addresses. Where that generator is absent, a synthetic grid town of the same
size is generated here (``--source grid``: ~600,000 street edges, 2.5 million
addresses). Each size runs in its own process, so peak memory is that size's
alone.

Prints, per share of the national size: the inputs, wall time and peak
resident memory of (1) building the network (noding, ducts, backbone), next
to building it with every path kept as drawn (``side_paths=0``: no corridor
step, its floor),
(2) coverage (addresses, districts, sites, islands), (3) one
``connected_edges`` call (what the simulation repeats), and (4) converting
to a networkx graph (only up to ``--graph-max`` edges; it is optional).

Usage::

    python benchmarks/bench_coverage.py                 # 1 %, 10 %, 100 %
    python benchmarks/bench_coverage.py --sizes 0.01 0.1 --source grid
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

NATIONAL_ADDRESSES = 2_500_000
NATIONAL_EDGES = 600_000
CRS = "EPSG:25832"


# --- memory ------------------------------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakMemory:
    """Sample the resident set size every 10 ms while a stage runs."""

    def __init__(self) -> None:
        self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_bytes())

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


def measure(fn: Callable[[], Any]) -> tuple[Any, float, int]:
    with PeakMemory() as mem:
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
    return result, seconds, mem.peak


# --- inputs ------------------------------------------------------------------------------------


def demo_layers(share: float, seed: int) -> dict:
    from ductplanner.app.demo import generate_demo, generate_tiled

    per_tile = len(generate_demo(seed)["addresses"])
    tiles = max(1, round(share * NATIONAL_ADDRESSES / per_tile))
    return generate_tiled(tiles, seed)


def grid_layers(share: float, seed: int) -> dict:
    """A grid town: 100 m blocks, streets junction to junction, some long unnoded roads.

    Edges ~ ``share`` x 600,000, addresses ~ ``share`` x 2.5 million (about 4 per
    edge, 8-25 m beside it); ducts beside 15 % of the edges; a POP every 2 km;
    5 km districts; a school every 400 blocks.
    """
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    k = max(4, int(np.sqrt(share * NATIONAL_EDGES / 2)))
    x0, y0, step = 440_000.0, 6_050_000.0, 100.0
    i, j = (a.ravel() for a in np.meshgrid(np.arange(k), np.arange(k + 1), indexing="ij"))
    along, across = x0 + i * step, j * step
    horizontal = np.stack([along, y0 + across, along + step, y0 + across], axis=1)
    vertical = np.stack([x0 + across, y0 + i * step, x0 + across, y0 + (i + 1) * step], axis=1)
    seg = np.concatenate([horizontal, vertical])
    lines = shapely.linestrings(seg.reshape(-1, 2, 2))
    # Long roads across the blocks (unnoded: they cross the lattice), every 25 blocks.
    long_y = y0 + (np.arange(0, k, 25) + 0.5) * step
    long_roads = shapely.linestrings([[(x0, y), (x0 + k * step, y + 30.0)] for y in long_y])
    lines = np.concatenate([lines, long_roads])
    n = len(lines)
    streets = gpd.GeoDataFrame(
        {"id": [f"S{q}" for q in range(n)], "name": "Vej", "road_class": "local"},
        geometry=lines,
        crs=CRS,
    )
    # Addresses: ~4 per edge, beside a random point of it.
    per_edge = share * NATIONAL_ADDRESSES / n
    counts = rng.poisson(per_edge, n)
    host = np.repeat(np.arange(n), counts)
    at = shapely.line_interpolate_point(
        lines[host], rng.uniform(0.05, 0.95, len(host)), normalized=True
    )
    xy = shapely.get_coordinates(at)
    a, b = (
        shapely.get_coordinates(shapely.get_point(lines[host], 0)),
        shapely.get_coordinates(shapely.get_point(lines[host], -1)),
    )
    d = (b - a) / np.linalg.norm(b - a, axis=1, keepdims=True)
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1)
    xy += normal * rng.uniform(8, 25, (len(host), 1)) * rng.choice([-1, 1], (len(host), 1))
    fast = rng.random(len(host)) < 0.15
    addresses = gpd.GeoDataFrame(
        {
            "id": [f"A{q}" for q in range(len(host))],
            "units": rng.choice([1, 1, 1, 2, 6], len(host)),
            "kind": "home",
            "speed_down_mbps": np.where(fast, 1000.0, 20.0),
            "speed_up_mbps": np.where(fast, 1000.0, 5.0),
        },
        geometry=shapely.points(xy),
        crs=CRS,
    )
    # Ducts 3 m beside every 5th row and every 7th column, with 20 % of the blocks
    # missing: connected runs and islands.
    on_row = np.r_[(j % 5 == 0), (j % 7 == 0)] & (rng.random(len(seg)) > 0.2)
    chosen = np.flatnonzero(on_row)
    duct_lines = shapely.offset_curve(lines[chosen], 3.0)
    ducts = gpd.GeoDataFrame(
        {"id": [f"D{q}" for q in range(len(chosen))], "status": "existing"},
        geometry=duct_lines,
        crs=CRS,
    )
    pops = np.arange(0, k, 20)
    px, py = np.meshgrid(x0 + pops * step, y0 + pops * step)
    backbone = gpd.GeoDataFrame(
        {"id": [f"P{q}" for q in range(px.size)], "kind": "pop"},
        geometry=shapely.points(px.ravel(), py.ravel()),
        crs=CRS,
    )
    dist = np.arange(0, k * step, 5000.0)
    dx, dy = np.meshgrid(dist, dist)
    districts = gpd.GeoDataFrame(
        {
            "id": [f"DI{q}" for q in range(dx.size)],
            "name": [f"District {q}" for q in range(dx.size)],
        },
        geometry=shapely.box(
            x0 + dx.ravel(), y0 + dy.ravel(), x0 + dx.ravel() + 5000, y0 + dy.ravel() + 5000
        ),
        crs=CRS,
    )
    schools = np.arange(0, k, 20)
    sx, sy = np.meshgrid(x0 + schools * step + 50, y0 + schools * step + 15)
    sites = gpd.GeoDataFrame(
        {
            "id": [f"SI{q}" for q in range(sx.size)],
            "name": "Skole",
            "kind": "school",
            "connected": False,
        },
        geometry=shapely.points(sx.ravel(), sy.ravel()),
        crs=CRS,
    )
    return {
        "streets": streets,
        "ducts": ducts,
        "backbone": backbone,
        "sites": sites,
        "addresses": addresses,
        "districts": districts,
    }


# --- one size ------------------------------------------------------------------------------------


def run_one(share: float, source: str, seed: int, graph_max: int) -> dict[str, Any]:
    from ductplanner.analysis.coverage import compute_coverage
    from ductplanner.model.network import build_network

    make = demo_layers if source == "demo" else grid_layers
    layers, gen_s, _ = measure(lambda: make(share, seed))
    base = rss_bytes()
    ducts = layers["ducts"]
    ducts = ducts[ducts["status"] == "existing"]
    _, as_drawn_s, _ = measure(
        lambda: build_network(layers["streets"], ducts, layers["backbone"], side_paths=0)
    )
    net, build_s, build_peak = measure(
        lambda: build_network(layers["streets"], ducts, layers["backbone"])
    )
    report, cov_s, cov_peak = measure(lambda: compute_coverage(layers, network=net))
    mask = net.has_duct.copy()
    _, cc_s, _ = measure(lambda: net.connected_edges(mask))
    graph_s = None
    if len(net.edges) <= graph_max:
        _, graph_s, _ = measure(lambda: net.graph)
    s = report.summary()
    return {
        "share": share,
        "source": source,
        "street_features": len(layers["streets"]),
        "edges": len(net.edges),
        "nodes": net.n_nodes,
        "addresses": len(layers["addresses"]),
        "ducts": len(ducts),
        "generate_s": gen_s,
        "data_rss_gib": base / 2**30,
        "build_s": build_s,
        "as_drawn_s": as_drawn_s,
        "build_peak_gib": build_peak / 2**30,
        "coverage_s": cov_s,
        "coverage_peak_gib": cov_peak / 2**30,
        "connected_edges_ms": cc_s * 1000,
        "graph_s": graph_s,
        "households_duct_covered": s["households_duct_covered"],
        "households_total": s["households_total"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.01, 0.1, 1.0])
    parser.add_argument("--source", choices=["demo", "grid"], default=None)
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--graph-max", type=int, default=100_000, help="networkx up to N edges")
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    source = args.source
    if source is None:
        try:
            from ductplanner.app.demo import generate_tiled  # noqa: F401

            source = "demo"
        except ImportError:
            source = "grid"
    if args.one is not None:
        print(json.dumps(run_one(args.one, source, args.seed, args.graph_max)))
        return 0

    print(f"source: {source} (seed {args.seed}); each size in its own process")
    header = (
        f"{'size':>6} {'edges':>9} {'addresses':>10} {'build s':>8} {'drawn s':>8} "
        f"{'build GiB':>9} {'cover s':>8} {'cover GiB':>9} {'cc ms':>7} {'nx s':>6}  covered"
    )
    print(header)
    rows = []
    for share in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(share), "--source", source,
               "--seed", str(args.seed), "--graph-max", str(args.graph_max)]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(f"{share:>6.1%} failed:\n{out.stderr[-2000:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(r)
        graph = "-" if r["graph_s"] is None else f"{r['graph_s']:.1f}"
        print(
            f"{share:>6.1%} {r['edges']:>9,} {r['addresses']:>10,} {r['build_s']:>8.1f} "
            f"{r['as_drawn_s']:>8.1f} "
            f"{r['build_peak_gib']:>9.2f} {r['coverage_s']:>8.1f} {r['coverage_peak_gib']:>9.2f} "
            f"{r['connected_edges_ms']:>7.1f} {graph:>6}  "
            f"{r['households_duct_covered']:,} of {r['households_total']:,} households",
            flush=True,
        )
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        grow = last["edges"] / first["edges"]
        print(
            f"growth {first['share']:.0%} -> {last['share']:.0%}: edges x{grow:.0f}, "
            f"build time x{last['build_s'] / first['build_s']:.0f}, "
            f"coverage time x{last['coverage_s'] / first['coverage_s']:.0f}"
        )
    print("peak GiB: whole-process resident memory during the stage (inputs included)")
    print("drawn s: the network with every path as drawn (side_paths=0), without the corridor step")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
