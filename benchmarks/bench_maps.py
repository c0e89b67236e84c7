"""Map size and render time for a full municipality.

Builds a municipality the size of Ballerup with the demo generator when it
exists (``--scale``), else (or with ``--synthetic``) one made here (25,000
addresses, ~357 km of streets, ~30 km of ducts, 300 digs); computes coverage
when the coverage step exists; then renders the project manager's and the
committee's maps, the forecast's time view and the comparison of two
scenarios, and prints file sizes and times. With ``--browser`` it also opens
each self-contained map in headless Chromium and prints how long it takes
until the map is drawn.

The forecast maps read the simulation's tables. A workspace given with
``--workspace`` (e.g. ``out/demo.gpkg`` of ``ductplanner demo``) is used as
it is, forecast included; otherwise this script writes tables of the
simulation's shape for three scenarios and 12 years, in which every street
edge's chance of a duct rises year by year (a worst case for the map's size:
every street is drawn in both classes at some time).

    python benchmarks/bench_maps.py [--scale S | --synthetic --addresses N | --workspace GPKG]
                                    [--seed K] [--browser] [--keep DIR]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import LineString, Point, box

from ductplanner.app.workflows.maps import save_map, workspace_map
from ductplanner.io.assets import assets_installed
from ductplanner.io.workspace import write_layers
from ductplanner.model.layers import DEFAULT_WORKSPACE_CRS, require_valid, validate_layer

ORIGIN = (716_000.0, 6_174_000.0)  # south-west corner, near Ballerup
OWNERS = ("Novafos", "Radius", "Ballerup Kommune", "HOFOR", "TDC NET", "Norlys", "Vestforbrænding")


def _valid(rows: list[dict] | pd.DataFrame, layer: str) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=DEFAULT_WORKSPACE_CRS)
    clean, problems = validate_layer(gdf, layer)
    require_valid(problems)
    return clean


def _wiggly(a: tuple[float, float], b: tuple[float, float], rng: np.random.Generator) -> LineString:
    """A street between two nodes with a vertex every ~11 m and a gentle bend (like GeoDanmark)."""
    length = float(np.hypot(b[0] - a[0], b[1] - a[1]))
    n = max(2, int(length / 11))
    t = np.linspace(0, 1, n)
    bend = rng.uniform(-4, 4) * np.sin(np.pi * t)
    nx, ny = -(b[1] - a[1]) / length, (b[0] - a[0]) / length
    return LineString(
        np.column_stack(
            [a[0] + t * (b[0] - a[0]) + bend * nx, a[1] + t * (b[1] - a[1]) + bend * ny]
        )
    )


def synthetic_municipality(addresses: int, seed: int) -> dict[str, gpd.GeoDataFrame]:
    """Return the seven input layers of a municipality-sized synthetic town."""
    rng = np.random.default_rng(seed)
    spacing, cells = 205.0, 29  # 2 * 30 * 29 segments of 205 m ~ 357 km
    node = lambda i, j: (ORIGIN[0] + i * spacing, ORIGIN[1] + j * spacing)  # noqa: E731
    segments = [((i, j), (i + 1, j)) for i in range(cells) for j in range(cells + 1)]
    segments += [((i, j), (i, j + 1)) for i in range(cells + 1) for j in range(cells)]
    streets = _valid(
        [
            {
                "id": f"S{k}",
                "name": f"Vej {k // 40}",
                "road_class": "path" if k % 17 == 0 else "local",
                "geometry": _wiggly(node(*a), node(*b), rng),
            }
            for k, (a, b) in enumerate(segments)
        ],
        "streets",
    )
    # ducts: the ~150 segments nearest the POP in the middle, and a few islands
    centre = np.array(node(cells // 2, cells // 2))
    mids = np.array([[(a[0] + b[0]) / 2, (a[1] + b[1]) / 2] for a, b in segments]) * spacing
    mids += np.array(ORIGIN)
    near = np.argsort(np.hypot(*(mids - centre).T))[:140]
    islands = rng.choice(len(segments), 10, replace=False)
    ducts = _valid(
        [
            {
                "id": f"D{k}",
                "year_laid": int(rng.integers(2010, 2020)),
                "status": "existing",
                "origin": "co-dig",
                "geometry": streets.geometry.iloc[k],
            }
            for k in dict.fromkeys([*near, *islands])
        ],
        "ducts",
    )
    backbone = _valid(
        [{"id": "POP1", "kind": "pop", "name": "Rådhuset", "geometry": Point(centre)}],
        "backbone",
    )
    kinds = ("school", "care-home", "institution", "admin")
    sites = _valid(
        [
            {
                "id": f"SITE{k}",
                "name": f"Site {k}",
                "kind": kinds[k % 4],
                "connected": bool(k % 3 == 0),
                "geometry": Point(rng.uniform(0, cells * spacing, 2) + ORIGIN),
            }
            for k in range(60)
        ],
        "sites",
    )
    dig_rows = []
    for k in range(300):
        start = pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(rng.integers(0, 900)))
        first = int(rng.integers(0, len(segments)))
        run = streets.geometry.iloc[first : first + int(rng.integers(1, 4))]
        dig_rows.append(
            {
                "id": f"DIG{k}",
                "owner": OWNERS[k % len(OWNERS)],
                "purpose": "water",
                "start": start,
                "end": start + pd.Timedelta(days=60),
                "status": ("planned", "confirmed", "done")[k % 3],
                "geometry": max(run, key=lambda g: g.length),
            }
        )
    digs = _valid(dig_rows, "digs")
    which = rng.integers(0, len(streets), addresses)
    along = rng.uniform(0, 1, addresses)
    offset = rng.uniform(6, 28, addresses) * rng.choice([-1, 1], addresses)
    beyond = rng.random(addresses) < 0.01
    offset[beyond] = 80
    points = []
    for w, t, o in zip(which, along, offset, strict=True):
        line = streets.geometry.iloc[w]
        p, q = (
            line.interpolate(t, normalized=True),
            line.interpolate(min(t + 0.01, 1), normalized=True),
        )
        dx, dy = q.x - p.x, q.y - p.y
        norm = np.hypot(dx, dy) or 1
        points.append(Point(p.x - dy / norm * o, p.y + dx / norm * o))
    address_layer = _valid(
        pd.DataFrame(
            {
                "id": [f"ADR{k:06d}" for k in range(addresses)],
                "units": rng.choice([1, 1, 1, 2, 4, 12], addresses),
                "geometry": points,
            }
        ),
        "addresses",
    )
    side = cells * spacing / 3
    districts = _valid(
        [
            {
                "id": f"DIS{i}{j}",
                "name": f"District {i}{j}",
                "geometry": box(
                    ORIGIN[0] + i * side - 60,
                    ORIGIN[1] + j * side - 60,
                    ORIGIN[0] + (i + 1) * side + 60 * (i == 2),
                    ORIGIN[1] + (j + 1) * side + 60 * (j == 2),
                ),
            }
            for i in range(3)
            for j in range(3)
        ],
        "districts",
    )
    return {
        "streets": streets,
        "ducts": ducts,
        "backbone": backbone,
        "sites": sites,
        "digs": digs,
        "addresses": address_layer,
        "districts": districts,
    }


def build_workspace(path: Path, args: argparse.Namespace) -> str:
    """Write the municipality (the demo generator's, else this script's); say which."""
    try:
        from ductplanner.app.demo import generate_demo
    except ImportError:
        generate_demo = None
    if generate_demo is not None and not args.synthetic:
        layers = generate_demo(args.seed, scale=args.scale)
        origin = f"generate_demo(seed={args.seed}, scale={args.scale:g})"
    else:
        layers = synthetic_municipality(args.addresses, args.seed)
        origin = "synthetic (this script)"
    write_layers(path, layers, synthetic=True)
    km = layers["streets"].length.sum() / 1000
    origin += (
        f": {len(layers['addresses']):,} addresses, {km:.0f} km of streets, "
        f"{layers['ducts'].length.sum() / 1000:.0f} km of ducts, {len(layers['digs'])} digs"
    )
    try:
        from ductplanner.app.workflows.coverage import coverage_workspace
    except ImportError:
        return origin + "; coverage step absent"
    started = time.perf_counter()
    coverage_workspace(path)
    origin += f"; coverage computed in {time.perf_counter() - started:.1f} s"
    try:
        from ductplanner.app.workflows.opportunities import opportunities_workspace
    except ImportError:
        return origin + "; opportunities step absent"
    report = opportunities_workspace(path, None)
    return origin + f"; {len(report.candidates):,} co-digging stretches"


def made_up_forecast(workspace: Path, seed: int) -> dict[str, pd.DataFrame]:
    """Return forecast tables of the simulation's shape: 3 scenarios, 12 years, every edge."""
    from ductplanner.io.workspace import read_layers
    from ductplanner.model.network import build_network

    layers = read_layers(workspace)
    edges = build_network(layers["streets"], layers["ducts"], layers["backbone"]).edges.index
    districts = layers["districts"]["name"].astype(str).tolist()
    years = np.arange(2020, 2032)
    rng = np.random.default_rng(seed)
    rows, edge_rows, runs = [], [], []
    for k, (key, pace) in enumerate(
        {"revised-2019": 5.5, "original-2016": 3.0, "shutdown": 40.0}.items()
    ):
        # each edge's chance of a duct by year y: 1 - exp(-(y - start) / pace), rounded
        start = rng.uniform(2018, 2026, len(edges))
        p = np.clip(1 - np.exp(-(years[None, :] - start[:, None]) / pace), 0, 1).round(3)
        edge_rows.append(
            pd.DataFrame(
                {
                    "scenario": key,
                    "edge_id": np.repeat(edges.to_numpy(), len(years)),
                    "year": np.tile(years, len(edges)),
                    "p_covered": p.ravel(),
                }
            )
        )
        for district in ["", *districts]:
            total = 23_000 if not district else 1_600
            share = 1 - np.exp(-(years - 2019) / pace)
            p50 = (total * share).round()
            rows.append(
                pd.DataFrame(
                    {
                        "scenario": key,
                        "scenario_name": f"Scenario {k}",
                        "district": district,
                        "year": years,
                        "households_total": total,
                        "p10": (p50 * 0.9).round(),
                        "p50": p50,
                        "p90": np.minimum(p50 * 1.1, total).round(),
                        "mean": p50,
                        "p_reach_target": np.clip(share - 0.5, 0, 1),
                    }
                )
            )
        runs.append(
            {
                "scenario": key,
                "runs": 1000,
                "seed": seed,
                "horizon": int(years[-1]),
                "distribution": "exponential",
                "mean_cycle_years": pace,
                "gamma_shape": np.nan,
                "created": "made up by bench_maps.py",
                "version": "-",
            }
        )
    return {
        "forecast": pd.concat(rows, ignore_index=True),
        "forecast_edges": pd.concat(edge_rows, ignore_index=True),
        "forecast_runs": pd.DataFrame(runs),
    }


def _browser_load_seconds(path: Path) -> float:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.route(
            "**/*",
            lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort(),
        )
        started = time.perf_counter()
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_function("window.ductplanner && window.ductplanner.map !== null")
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        seconds = time.perf_counter() - started
        browser.close()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="demo generator scale")
    parser.add_argument(
        "--synthetic", action="store_true", help="use this script's town, not the demo's"
    )
    parser.add_argument("--addresses", type=int, default=25_000, help="with --synthetic")
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--workspace", type=Path, help="benchmark this workspace as it is")
    parser.add_argument("--browser", action="store_true", help="time loading in Chromium")
    parser.add_argument("--keep", type=Path, help="write workspace and maps into this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-maps-"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.workspace:
        workspace = args.workspace
        print(f"workspace: {workspace}, as it is")
    else:
        workspace = folder / "municipality.gpkg"
        workspace.unlink(missing_ok=True)
        started = time.perf_counter()
        origin = build_workspace(workspace, args)
        print(f"workspace: {origin}; built in {time.perf_counter() - started:.1f} s")
        write_layers(workspace, made_up_forecast(workspace, args.seed))
        print("forecast: made up by this script (3 scenarios, 12 years, every street edge)")
    embed = assets_installed()
    if not embed:
        print("map assets not installed (npm ci --prefix ductplanner/assets): CDN maps only")
    from ductplanner.app.workflows.maps import comparison_map, forecast_map
    from ductplanner.io.workspace import read_table

    views = {
        "manager": lambda: workspace_map(workspace, self_contained=embed),
        "committee": lambda: workspace_map(workspace, audience="committee", self_contained=embed),
    }
    scenarios = sorted(set(read_table(workspace, "forecast", required=False).get("scenario", [])))
    if scenarios:
        first = "revised-2019" if "revised-2019" in scenarios else scenarios[0]
        other = next((s for s in ("shutdown", "original-2016", *scenarios) if s != first), None)
        views["time"] = lambda: forecast_map(workspace, first, self_contained=embed)
        if other:
            views["compare"] = lambda: comparison_map(
                workspace, [first, other], self_contained=embed
            )
    else:
        print("no forecast in the workspace: no time or comparison map")
    for view, render in views.items():
        started = time.perf_counter()
        out = save_map(render(), folder / f"{view}.html")
        seconds = time.perf_counter() - started
        size = out.stat().st_size
        print(
            f"{view:<10} map: {size / 1e6:5.2f} MB ({'self-contained' if embed else 'CDN'}), "
            f"rendered in {seconds:.1f} s -> {out}"
        )
        if args.browser and embed and Path("/usr/bin/chromium").exists():
            print(
                f"{view:<10} map: drawn in Chromium "
                f"{_browser_load_seconds(out):.1f} s after opening"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
