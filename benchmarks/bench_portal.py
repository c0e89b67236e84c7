"""Benchmark: utilities using the portal at once, and what became of what they sent.

Starts ``ductplanner serve`` (the command, as a process) on a demo workspace
to which ``--sessions`` utilities have been added, each with digs the
municipality has asked to join. Each utility logs in over loopback and, all
at once, uploads ``--uploads`` dig plans (one new dig each, GeoJSON) and
answers each of its requests (agree). Afterwards the workspace is read back:
every upload and answer that the portal confirmed must be there.

Prints operations landed, refused (with the portal's reason), lost (confirmed
but missing: must be 0), p50/p95 latency per kind, and the server's peak
memory, per backend (GeoPackage, PostGIS schema, or both).

Usage::

    python benchmarks/bench_portal.py                       # 20 sessions, both backends
    python benchmarks/bench_portal.py --sessions 5 --backend gpkg
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REQUESTS_EACH = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(backend: str, database: str, sessions: int) -> tuple[str, dict[str, list[str]]]:
    """Write the demo with ``sessions`` extra utilities, each asked to join its digs."""
    import geopandas as gpd
    import pandas as pd
    from shapely import LineString

    from ductplanner.app.demo import write_demo_workspace
    from ductplanner.app.workflows.coordination import log_decision
    from ductplanner.io.workspace import copy_workspace, read_layer, write_layers

    folder = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    demo = folder / "portal.gpkg"
    write_demo_workspace(demo, scale=0.05)
    workspace = str(demo)
    if backend == "postgis":
        joiner = "&" if "?" in database else "?"
        workspace = f"{database}{joiner}schema=bench_portal_{int(time.time() * 1000) % 10**9}"
        copy_workspace(demo, workspace)
    digs = read_layer(workspace, "digs")
    x0, y0, _, _ = read_layer(workspace, "streets").total_bounds
    rows, asked = [], {}
    for k in range(sessions):
        owner = f"Bench Utility {k}"
        ids = [f"B{k}-{i}" for i in range(REQUESTS_EACH)]
        asked[owner] = ids
        for i, dig in enumerate(ids):
            x, y = x0 + 60 * i, y0 + 25 * k
            rows.append(
                {"id": dig, "owner": owner, "start": pd.Timestamp("2031-04-01"),
                 "end": pd.Timestamp("2031-06-30"), "geometry": LineString([(x, y), (x + 40, y)])}
            )  # fmt: skip
    extra = gpd.GeoDataFrame(rows, geometry="geometry", crs=digs.crs)
    write_layers(workspace, {"digs": pd.concat([digs, extra], ignore_index=True)})
    for ids in asked.values():
        for dig in ids:
            log_decision(workspace, dig, "proposed", date="2026-01-05")
    return workspace, asked


def _serve(workspace: str, folder: Path) -> tuple[subprocess.Popen[str], str, dict[str, str]]:
    port = _free_port()
    argv = [sys.executable, "-m", "ductplanner", "serve", workspace, "--port", str(port)]
    argv += ["--demo-accounts", "--accounts", str(folder / "accounts.sqlite3")]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert server.stdout is not None
    lines = [server.stdout.readline()]
    while lines[-1] and not lines[-1].startswith("serving"):
        lines.append(server.stdout.readline())
    passwords = dict(line.split() for line in lines if line.startswith("  "))
    url = f"http://127.0.0.1:{port}"
    import requests

    for _ in range(100):
        try:
            requests.get(url, timeout=2)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    return server, url, passwords


def _token(session: Any, url: str) -> str:
    page = session.get(url, timeout=60).text
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    return found.group(1) if found else ""


def _utility(job: tuple[str, str, str, str, list[str], int, Any]) -> list[dict[str, Any]]:
    """One utility's session: log in, upload plans, answer requests; one row per operation."""
    import requests

    url, username, password, owner, asked, uploads, start = job
    session = requests.Session()
    token = _token(session, f"{url}/login/")
    session.post(
        f"{url}/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{url}/login/"},
        timeout=60,
    )
    start.wait()
    rows = []
    operations = [("upload", f"{username}-new-{i}") for i in range(uploads)]
    operations += [("answer", dig) for dig in asked]
    for kind, dig in operations:
        token = _token(session, f"{url}/requests/")
        began = time.perf_counter()
        headers = {"Referer": f"{url}/requests/"}
        if kind == "upload":
            plan = {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"id": dig, "owner": owner, "start": "2032-04-01",
                                       "end": "2032-05-01"},
                        "geometry": {"type": "LineString",
                                     "coordinates": [[720000, 6170000], [720030, 6170000]]},
                    }
                ],
            }  # fmt: skip
            response = session.post(
                f"{url}/digs/upload/",
                data={"csrfmiddlewaretoken": token},
                files={"file": (f"{dig}.geojson", json.dumps(plan), "application/geo+json")},
                headers=headers,
                timeout=120,
            )
        else:
            response = session.post(
                f"{url}/requests/answer/",
                data={"csrfmiddlewaretoken": token, "dig": dig, "answer": "agreed"},
                headers=headers,
                timeout=120,
            )
        seconds = time.perf_counter() - began
        page = response.text
        confirmed = response.ok and (f"{dig}: agreed" in page or "dig added" in page)
        refused = re.search(r'<li class="error">([^<]*)', page)
        rows.append(
            {
                "kind": kind,
                "dig": dig,
                "owner": owner,
                "outcome": "done" if confirmed else "refused",
                "message": refused.group(1) if refused else f"HTTP {response.status_code}",
                "seconds": seconds,
            }
        )
    return rows


def _peak_mb(pid: int) -> float:
    """Return a process's peak resident memory (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(backend: str, database: str, sessions: int, uploads: int) -> None:
    """Serve one workspace and let ``sessions`` utilities use it at once."""
    import numpy as np

    from ductplanner.analysis.requests import owner_slug
    from ductplanner.app.workflows.coordination import read_decisions
    from ductplanner.io.workspace import read_layer

    workspace, asked = _prepare(backend, database, sessions)
    folder = Path(tempfile.mkdtemp(prefix="bench-portal-accounts-"))
    server, url, passwords = _serve(workspace, folder)
    names = {owner: owner_slug(owner) for owner in asked}  # the demo accounts' names
    ctx = mp.get_context("spawn")
    start = ctx.Manager().Event()
    jobs = [
        (url, names[owner], passwords[names[owner]], owner, ids, uploads, start)
        for owner, ids in asked.items()
    ]
    peak = 0.0
    try:
        with ctx.Pool(sessions) as pool:
            pending = pool.map_async(_utility, jobs)
            time.sleep(3)
            began = time.perf_counter()
            start.set()
            results = [row for rows in pending.get() for row in rows]
        wall = time.perf_counter() - began
        peak = _peak_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=20)
    digs = set(read_layer(workspace, "digs")["id"].astype(str))
    log = read_decisions(workspace)
    agreed = set(log.loc[log["status"] == "agreed", "dig_id"])
    done = [r for r in results if r["outcome"] == "done"]
    lost = [r for r in done if r["dig"] not in (digs if r["kind"] == "upload" else agreed)]
    refused = [r for r in results if r["outcome"] == "refused"]
    print(
        f"{sessions} utility sessions x ({uploads} uploads + {REQUESTS_EACH} answers) on one "
        f"{backend} workspace through the portal, in {wall:.1f} s"
    )
    print(f"  landed {len(done) - len(lost)}, refused {len(refused)}, lost {len(lost)}")
    for kind in ("upload", "answer"):
        seconds = [r["seconds"] for r in results if r["kind"] == kind]
        p50, p95 = np.percentile(seconds, 50), np.percentile(seconds, 95)
        print(f"  {kind:<7} p50 {p50:.2f} s  p95 {p95:.2f} s")
    for reason in sorted({r["message"] for r in refused})[:5]:
        print(f"  refused: {reason}")
    print(f"  peak memory of the server: {peak:.0f} MB")
    if lost:
        raise SystemExit(f"{len(lost)} confirmed operations were lost: {lost[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--uploads", type=int, default=3, help="dig plans each utility sends")
    parser.add_argument("--backend", choices=["gpkg", "postgis", "both"], default="both")
    parser.add_argument("--database", default="postgresql:///ductplanner")
    args = parser.parse_args()
    for backend in ["gpkg", "postgis"] if args.backend == "both" else [args.backend]:
        run(backend, args.database, args.sessions, args.uploads)


if __name__ == "__main__":
    main()
