"""Shared fixtures: the tiny town, temporary workspaces, the real GeoDanmark files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest

from ductplanner.app.demo import tiny_layers
from ductplanner.io.workspace import write_layers

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


@pytest.fixture
def tiny() -> dict[str, gpd.GeoDataFrame]:
    """The seven layers of the hand-checkable tiny town (fresh copies)."""
    return tiny_layers()


@pytest.fixture
def tiny_workspace(tmp_path: Path) -> Path:
    """A workspace GeoPackage holding the tiny town."""
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
