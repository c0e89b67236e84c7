"""Shared fixtures: the tiny town, temporary workspaces, the real GeoDanmark files.

A test that takes ``tiny_workspace`` or ``new_workspace`` runs twice: on a
GeoPackage and on a PostGIS schema. The PostGIS runs need a server: the
database at ``DUCTPLANNER_TEST_POSTGRES`` (default
``postgresql:///ductplanner_test``), in which each test gets a schema of its
own. Without one they are skipped, unless ``DUCTPLANNER_TEST_POSTGRES_REQUIRED``
is set (CI sets it): then they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from ductplanner.app.demo import tiny_layers
from ductplanner.io.workspace import Database, as_workspace, write_layers

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium; Playwright drives it and never downloads a browser of its own."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
]


def with_sidewalks(streets: gpd.GeoDataFrame, offset: float) -> gpd.GeoDataFrame:
    """The streets plus a sidewalk ``offset`` metres off either side of every local and
    distributor road (ids ``<road>-left`` and ``<road>-right``, ``road_class`` ``path``)."""
    roads = streets[streets["road_class"].isin(["local", "distributor"])]
    walks = [
        gpd.GeoDataFrame(
            {"id": roads["id"] + side, "name": "", "road_class": "path"},
            geometry=shapely.offset_curve(np.asarray(roads.geometry.values), sign * offset),
            crs=streets.crs,
        )
        for side, sign in (("-left", 1), ("-right", -1))
    ]
    return gpd.GeoDataFrame(pd.concat([streets, *walks], ignore_index=True), crs=streets.crs)


@pytest.fixture
def tiny() -> dict[str, gpd.GeoDataFrame]:
    """The seven layers of the hand-checkable tiny town (fresh copies)."""
    return tiny_layers()


POSTGRES_ENV = "DUCTPLANNER_TEST_POSTGRES"
POSTGRES_REQUIRED_ENV = "DUCTPLANNER_TEST_POSTGRES_REQUIRED"

Workspace = Path | Database
"""What the workspace fixtures give: a GeoPackage path, or a PostGIS schema.

A :class:`Database`'s ``parent`` is the current folder, which the fixture
makes the test's ``tmp_path``: ``ws.parent / "out"`` means the same on both.
"""


@pytest.fixture(scope="session")
def postgres() -> str:
    """The URL of a PostGIS database the tests may make schemas in; skips (or fails) without."""
    import psycopg

    url = os.environ.get(POSTGRES_ENV, "postgresql:///ductplanner_test")
    try:
        with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except psycopg.Error as exc:
        reason = f"no PostGIS database at {url} ({str(exc).strip().splitlines()[0]})"
        if os.environ.get(POSTGRES_REQUIRED_ENV):
            pytest.fail(f"{reason}, and {POSTGRES_REQUIRED_ENV} is set")
        pytest.skip(f"{reason}; set {POSTGRES_ENV} to run the PostGIS tests")
    return url


@pytest.fixture(params=["gpkg", "postgis"])
def new_workspace(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Workspace]]:
    """Make new, empty workspaces: GeoPackage paths, or PostGIS schemas (one each)."""
    schemas: list[str] = []

    def make(name: str = "ws") -> Workspace:
        if request.param == "gpkg":
            return tmp_path / f"{name}.gpkg"
        url = request.getfixturevalue("postgres")
        monkeypatch.chdir(tmp_path)  # where a database workspace's outputs go by default
        schema = f"t_{name}_{uuid.uuid4().hex[:10]}"
        schemas.append(schema)
        return as_workspace(f"{url}{'&' if '?' in url else '?'}schema={schema}")

    yield make
    if schemas:
        import psycopg

        with psycopg.connect(request.getfixturevalue("postgres"), autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def tiny_workspace(new_workspace: Callable[..., Workspace]) -> Workspace:
    """A workspace holding the tiny town: a GeoPackage, then a PostGIS schema."""
    ws = new_workspace("tiny")
    write_layers(ws, tiny_layers(), synthetic=True)
    return ws


def workspace_state(ws: Workspace) -> object:
    """What "unchanged" compares: a file's bytes; a schema's content and provenance."""
    if isinstance(ws, Path):
        return ws.read_bytes()
    from ductplanner.io.workspace import content_digests, read_sources

    return content_digests(ws), read_sources(ws).to_dict(orient="records")


@pytest.fixture
def state_of() -> Callable[[Workspace], object]:
    """:func:`workspace_state`, for tests that check a failed command changed nothing."""
    return workspace_state


@pytest.fixture
def fail_writing(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Arm a fault: every write fails as it reaches table ``name``, on either backend.

    The tables before it in the same write are written first (into the
    GeoPackage's copy, or inside the PostGIS transaction), so the test sees
    that a write half done leaves nothing behind.
    """
    from ductplanner.core._errors import WorkspaceError
    from ductplanner.io import postgis, workspace

    def arm(name: str, error: Exception | None = None) -> None:
        fault = error or WorkspaceError("disk full")
        write_gpkg, write_pg = workspace._write_one, postgis._replace_table

        def gpkg(path: Path, table: str, frame: object) -> None:
            if table == name:
                raise fault
            write_gpkg(path, table, frame)

        def pg(conn: object, db: object, table: str, *args: object, **kwargs: object) -> None:
            if table == name:
                raise fault
            write_pg(conn, db, table, *args, **kwargs)

        monkeypatch.setattr(workspace, "_write_one", gpkg)
        monkeypatch.setattr(postgis, "_replace_table", pg)

    return arm


@pytest.fixture
def tiny_gpkg(tmp_path: Path) -> Path:
    """A workspace GeoPackage holding the tiny town (for what only a file has: bytes, modes)."""
    path = tmp_path / "tiny.gpkg"
    write_layers(path, tiny_layers(), synthetic=True)
    return path


@pytest.fixture
def shared_data() -> Path:
    """The folder of real public GeoDanmark files; skips where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (CI has it beside the repo)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium for the browser tests; skips where Chromium is absent."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (CI installs Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
