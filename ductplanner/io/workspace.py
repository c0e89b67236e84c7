"""The workspace: one GeoPackage holding every layer, written atomically.

Every write goes to a temporary copy beside the workspace, which replaces the
original with :func:`os.replace` only once everything is written. A command
that fails therefore leaves the workspace byte-for-byte as it was.

>>> import tempfile, pathlib
>>> from ductplanner.app.demo import tiny_layers
>>> path = pathlib.Path(tempfile.mkdtemp()) / "ws.gpkg"
>>> write_layers(path, tiny_layers())
>>> sorted(list_layers(path))[:3]
['addresses', 'backbone', 'digs']
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from ..core._atomic import replacing
from ..core._errors import MissingInputError, WorkspaceError
from ..model.layers import SCHEMAS, WORKSPACE_CRS, empty_layer, validate_layer

__all__ = [
    "ATTRIBUTE_TABLES",
    "PLANNING_LAYERS",
    "SOURCES_TABLE",
    "editing",
    "list_layers",
    "read_layer",
    "read_layers",
    "read_planning_layers",
    "read_sources",
    "read_table",
    "write_layers",
]

SOURCES_TABLE = "layer_sources"
"""Attribute-only table recording, per layer, where it came from and when."""

ATTRIBUTE_TABLES: tuple[str, ...] = (
    SOURCES_TABLE,
    "decisions",  # ductplanner.model.decisions: the log of co-digging requests
    "forecast",  # ductplanner.simulate: coverage bands per year and district
    "forecast_edges",
    "frontier",
    "forecast_runs",
)
"""The attribute-only tables ductplanner writes beside the layers (no schema to validate)."""

_GPKG_OPTIONS: dict[str, Any] = {"dataset_options": {"VERSION": "1.2"}}
"""GeoPackage 1.2: what the GDAL of older QGIS installs reads without a warning."""

_SOURCE_COLUMNS = ["layer", "source", "updated", "synthetic", "features", "note"]


def _require_workspace(path: Path) -> None:
    if not path.exists():
        raise MissingInputError(
            f"workspace {path} does not exist; create it with "
            f"`ductplanner import {path} streets FILE` or `ductplanner demo`"
        )
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise WorkspaceError(
                f"{path} is not a GeoPackage workspace (not an SQLite file); "
                "a workspace is a .gpkg file written by ductplanner or QGIS"
            )


def list_layers(path: str | os.PathLike[str]) -> list[str]:
    """Return the names of the tables in a workspace (spatial and not)."""
    path = Path(path)
    _require_workspace(path)
    return [str(name) for name, _ in pyogrio.list_layers(path)]


def read_layer(
    path: str | os.PathLike[str], layer: str, *, required: bool = True
) -> gpd.GeoDataFrame:
    """Read one layer of a workspace, typed by its schema.

    Parameters
    ----------
    path : path-like
        The workspace GeoPackage.
    layer : str
        Layer name.
    required : bool
        Raise when the layer is absent; otherwise return an empty layer.

    Raises
    ------
    WorkspaceError
        When ``required`` and the workspace has no such layer.
    """
    path = Path(path)
    present = list_layers(path)
    if layer not in present:
        if required:
            have = ", ".join(present) or "none"
            raise WorkspaceError(
                f"workspace {path} has no layer {layer!r} (it has: {have}); "
                f"import one with `ductplanner import {path} {layer} FILE`"
            )
        return empty_layer(layer)
    gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    if layer in SCHEMAS:
        gdf, _ = validate_layer(gdf, layer, source=str(path))
    return gdf


def read_layers(
    path: str | os.PathLike[str], layers: Iterable[str] | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Read several layers (by default every schema layer present)."""
    present = list_layers(path)
    names = [n for n in SCHEMAS if n in present] if layers is None else list(layers)
    return {name: read_layer(path, name) for name in names}


def read_table(path: str | os.PathLike[str], name: str, *, required: bool = True) -> pd.DataFrame:
    """Read an attribute-only table of a workspace (a forecast, a decision log).

    Parameters
    ----------
    path : path-like
        The workspace GeoPackage.
    name : str
        Table name.
    required : bool
        Raise when the table is absent; otherwise return an empty frame.

    Raises
    ------
    WorkspaceError
        When ``required`` and the workspace has no such table.
    """
    path = Path(path)
    present = list_layers(path)
    if name not in present:
        if required:
            raise WorkspaceError(
                f"workspace {path} has no table {name!r} (it has: {', '.join(present) or 'none'})"
            )
        return pd.DataFrame()
    table = pyogrio.read_dataframe(path, layer=name, read_geometry=False)
    return pd.DataFrame(table)


def read_sources(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Return the provenance table: one row per layer (source, updated, synthetic).

    ``features`` is an integer and ``synthetic`` a boolean column (also for
    workspaces written when the table stored them as text).
    """
    if SOURCES_TABLE not in list_layers(path):
        return _typed_sources(pd.DataFrame(columns=_SOURCE_COLUMNS))
    table = pyogrio.read_dataframe(path, layer=SOURCES_TABLE, read_geometry=False)
    return _typed_sources(table)


def _typed_sources(table: pd.DataFrame) -> pd.DataFrame:
    table = table.reindex(columns=_SOURCE_COLUMNS).copy()
    table["features"] = pd.to_numeric(table["features"], errors="coerce").fillna(0)
    table["features"] = table["features"].astype("int64")
    flags = table["synthetic"].astype("object")
    table["synthetic"] = flags.map(
        lambda v: v if isinstance(v, bool) else str(v).strip().lower() in {"1", "true"}
    ).astype(bool)
    for column in ("layer", "source", "updated", "note"):
        table[column] = table[column].astype("object").where(table[column].notna(), "")
    return table


@contextlib.contextmanager
def editing(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary copy of the workspace; it replaces the original on success.

    The copy lives in the same folder and replaces the original in one rename
    (:func:`ductplanner.core._atomic.replacing`). On any exception the copy is
    deleted and the original is left untouched.
    """
    path = Path(path)
    if path.exists():
        _require_workspace(path)
    with replacing(path, suffix=".gpkg") as tmp:
        if path.exists():
            shutil.copyfile(path, tmp)
        yield tmp


def write_layers(
    path: str | os.PathLike[str],
    layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame],
    *,
    sources: Mapping[str, str] | None = None,
    synthetic: bool = False,
    note: str = "",
) -> None:
    """Write (replace) layers in a workspace, all or nothing.

    Parameters
    ----------
    path : path-like
        The workspace; created when absent.
    layers : mapping of str to GeoDataFrame or DataFrame
        Layers to write; each replaces the layer of that name. Geometries are
        reprojected to the workspace CRS if they are in another. A plain
        DataFrame (no geometry) is written as an attribute-only table; read
        it back with :func:`read_table`.
    sources : mapping of str to str, optional
        Per layer, the file it came from, recorded in :data:`SOURCES_TABLE`.
    synthetic : bool
        Mark the layers as synthetic (the demo) in the provenance table.
    note : str
        Free text stored with the provenance.
    """
    sources = dict(sources or {})
    with editing(path) as tmp:
        for name, gdf in layers.items():
            _write_one(tmp, name, gdf)
        rows = [
            {
                "layer": name,
                "source": sources.get(name, "ductplanner"),
                "updated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "synthetic": synthetic,
                "features": len(gdf),
                "note": note,
            }
            for name, gdf in layers.items()
        ]
        _update_sources(tmp, rows)


def _write_one(path: Path, name: str, gdf: gpd.GeoDataFrame | pd.DataFrame) -> None:
    if not isinstance(gdf, gpd.GeoDataFrame):
        pyogrio.write_dataframe(
            _plain_text(pd.DataFrame(gdf)), path, layer=name, driver="GPKG", **_GPKG_OPTIONS
        )
        return
    if gdf.crs is None:
        raise WorkspaceError(f"layer {name!r} has no CRS; cannot write it to the workspace")
    if not gdf.crs.equals(WORKSPACE_CRS) and not gdf.empty:
        gdf = gdf.to_crs(WORKSPACE_CRS)
    frame = _plain_text(gdf)
    kwargs = {}
    if name in SCHEMAS and SCHEMAS[name].keep_multi:
        kwargs["promote_to_multi"] = True
    frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio", **_GPKG_OPTIONS, **kwargs)


def _plain_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy with pandas string columns as object (what the GPKG writer takes)."""
    frame = frame.copy()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.StringDtype):
            frame[column] = frame[column].astype("object")
    return frame


def _update_sources(path: Path, rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    old = read_sources(path) if path.exists() else pd.DataFrame(columns=_SOURCE_COLUMNS)
    new = pd.DataFrame(rows, columns=_SOURCE_COLUMNS)
    table = pd.concat([old[~old["layer"].isin(new["layer"])], new], ignore_index=True)
    table = _typed_sources(table)
    pyogrio.write_dataframe(table, path, layer=SOURCES_TABLE, driver="GPKG", **_GPKG_OPTIONS)


PLANNING_LAYERS = ("streets", "addresses", "ducts", "backbone", "digs")
"""The layers opportunities, the plan and the forecast read (the first two required)."""


def read_planning_layers(path: str | os.PathLike[str]) -> dict[str, gpd.GeoDataFrame]:
    """Read the layers the opportunities and the plan need (optional ones when present)."""
    present = set(list_layers(path))
    return {
        name: read_layer(path, name)
        for name in PLANNING_LAYERS
        if name in present or name in ("streets", "addresses")
    }
