"""Shared fixtures: the tiny town, temporary workspaces, the real GeoDanmark files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest

from ductplanner.demo import tiny_layers
from ductplanner.workspace import write_layers

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


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
