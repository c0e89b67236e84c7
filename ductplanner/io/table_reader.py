"""Reading tables (CSV with a WKT column or x/y columns) as features.

:func:`read_tabular` decodes the file (UTF-8, else Windows-1252), sniffs the
separator, and builds the geometry from the columns a mapping's
``[[geometry]]`` entries name, or else from common names (``wkt``,
``geometry``, ``x``/``y``, ``lon``/``lat``, the Danish ``Øst``/``Nord``,
``X_koordinat``/``Y_koordinat`` and ``Længdegrad``/``Breddegrad``, the Danish
address register's coordinate columns), naming every row whose geometry
cannot be read.
"""

from __future__ import annotations

import io as _stdio
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..core._errors import Problem
from .mappings import (
    FieldMapping,
    GeometryColumns,
    as_text,
    column_lookup,
    guess_mapping,
    make_problem,
)
from .raw_file import RawFile, gdal_reason

__all__ = ["decode", "read_tabular", "sniff_separator"]

# --- tables: CSV with WKT or x/y --------------------------------------------------------

_WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "wkt_geom", "shape", "geometri")
_XY_NAMES = (
    ("x", "y", None),
    ("easting", "northing", None),
    ("east", "north", None),
    ("øst", "nord", None),
    ("oest", "nord", None),
    ("x_koordinat", "y_koordinat", None),
    ("x-koordinat", "y-koordinat", None),
    ("etrs89koordinat_øst", "etrs89koordinat_nord", "EPSG:25832"),
    ("lon", "lat", "EPSG:4326"),
    ("lng", "lat", "EPSG:4326"),
    ("long", "lat", "EPSG:4326"),
    ("longitude", "latitude", "EPSG:4326"),
    ("længdegrad", "breddegrad", "EPSG:4326"),
    ("laengdegrad", "breddegrad", "EPSG:4326"),
    ("længde", "bredde", "EPSG:4326"),
    ("laengde", "bredde", "EPSG:4326"),
    ("wgs84koordinat_længde", "wgs84koordinat_bredde", "EPSG:4326"),
)


def _generic_geometry_columns() -> list[GeometryColumns]:
    specs = [GeometryColumns(wkt=name) for name in _WKT_NAMES]
    specs += [
        GeometryColumns(x=x, y=y, crs=crs, assumed=crs is not None) for x, y, crs in _XY_NAMES
    ]
    return specs


def decode(raw: bytes) -> tuple[str, str]:
    """Decode a table's bytes: UTF-8 (with or without BOM), else Windows-1252, else latin-1.

    Parameters
    ----------
    raw : bytes
        The file's contents (or its start).

    Returns
    -------
    text : str
    encoding : str
        The encoding that worked.
    """
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def sniff_separator(header: str) -> str:
    """Return the separator a CSV header line uses most: ``;``, ``,``, tab or ``|``.

    Parameters
    ----------
    header : str
        The first line of the table.

    Returns
    -------
    str
        The separator; ``,`` when the line holds none (a single column).
    """
    counts = {sep: header.count(sep) for sep in (";", ",", "\t", "|")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def _read_table(path: Path, layer: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    source = str(path)
    text, _ = decode(path.read_bytes())
    if not text.strip():
        return None, [
            make_problem(source, layer, "empty-file", "the file is empty", "export the data again")
        ]
    separator = sniff_separator(text.splitlines()[0])
    try:
        table = pd.read_csv(
            _stdio.StringIO(text),
            sep=separator,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
        )
    except pd.errors.ParserError as exc:
        return None, [
            make_problem(
                source,
                layer,
                "csv-malformed",
                f"cannot read the CSV: {gdal_reason(exc)}",
                f"check the separators ({separator!r}) and quotes on that line",
            )
        ]
    table.columns = [str(c).strip() for c in table.columns]
    return table, []


def _table_labels(table: pd.DataFrame) -> pd.Series:
    rows = pd.Series(np.arange(1, len(table) + 1), index=table.index).astype("string")
    rows = "row " + rows
    lookup = column_lookup(table)
    if "id" not in lookup:
        return rows
    ids = as_text(table[lookup["id"]])
    return ids.where(ids.notna(), rows)


def _table_geometry(
    table: pd.DataFrame, mapping: FieldMapping | None, source: str, layer: str
) -> tuple[gpd.GeoDataFrame | None, list[Problem], set[str], list[str]]:
    """Build the geometry of a table from a WKT column or x/y columns."""
    lookup = column_lookup(table)
    specs = [*(mapping.geometry if mapping else ()), *_generic_geometry_columns()]
    for spec in specs:
        if all(c.lower() in lookup for c in spec.columns()):
            break
    else:
        columns = ", ".join(table.columns) or "none"
        return (
            None,
            [
                make_problem(
                    source,
                    layer,
                    "no-geometry",
                    f"found no geometry in the table (columns: {columns})",
                    "add a WKT column named wkt (or geometry), or coordinate columns named "
                    "x and y (or lon and lat); or give a mapping with a [[geometry]] entry",
                )
            ],
            set(),
            [],
        )
    labels = _table_labels(table)
    if spec.wkt:
        geometry, problems, crs = _wkt_geometry(
            table[lookup[spec.wkt.lower()]], labels, source, layer
        )
    else:
        geometry, problems = _xy_geometry(
            table[lookup[str(spec.x).lower()]],
            table[lookup[str(spec.y).lower()]],
            labels,
            source,
            layer,
        )
        crs = None
    crs = crs or spec.crs
    notes = []
    if crs is not None and spec.assumed:
        notes.append(f"coordinates in {', '.join(spec.columns())} taken as {crs}")
    attributes = table.drop(columns=[lookup[c.lower()] for c in spec.columns()])
    frame = gpd.GeoDataFrame(
        attributes, geometry=gpd.GeoSeries(geometry, index=table.index), crs=crs
    )
    broken = {p.feature_id for p in problems}
    return frame, problems, broken, notes


_SRID = re.compile(r"^\s*SRID=(\d+);", re.IGNORECASE)


def _wkt_geometry(
    text: pd.Series, labels: pd.Series, source: str, layer: str
) -> tuple[np.ndarray, list[Problem], str | None]:
    clean = as_text(text)
    srid = clean.str.extract(_SRID, expand=False)
    crs = None
    codes = srid.dropna().unique()
    if len(codes) == 1:
        crs = f"EPSG:{codes[0]}"
    clean = clean.str.replace(_SRID, "", regex=True)
    values = clean.astype("object").where(clean.notna(), None).to_numpy()
    geometry = shapely.from_wkt(values, on_invalid="ignore")
    malformed = np.flatnonzero(clean.notna().to_numpy(dtype=bool) & shapely.is_missing(geometry))
    problems = []
    for i in malformed:
        value = str(values[i])
        try:
            shapely.from_wkt(value)
            reason = "not a geometry"
        except Exception as exc:  # GEOS explains what it expected
            reason = gdal_reason(exc)
        snippet = value if len(value) <= 60 else value[:57] + "..."
        problems.append(
            make_problem(
                source,
                layer,
                "wkt",
                f"row {i + 1} (line {i + 2}) has malformed WKT {snippet!r}: {reason}",
                "write the geometry as WKT, e.g. POINT (712345 6178901) or "
                "LINESTRING (712300 6178900, 712400 6178950)",
                feature_id=str(labels.iat[i]),
                field=str(text.name),
            )
        )
    if len(codes) > 1:
        problems.append(
            make_problem(
                source,
                layer,
                "crs-mixed",
                f"the WKT mixes SRIDs {', '.join(sorted(codes))}",
                "export every row in the same CRS",
                field=str(text.name),
            )
        )
    return geometry, problems, crs


def _numbers(text: pd.Series) -> pd.Series:
    """Parse numbers in one go; retry the few that fail with a decimal comma."""
    numbers = pd.to_numeric(text.astype("object"), errors="coerce").astype("float64")
    retry = (numbers.isna() & text.notna()).to_numpy(dtype=bool)
    if retry.any():
        commas = text[retry].str.replace(",", ".", regex=False).astype("object")
        numbers[retry] = pd.to_numeric(commas, errors="coerce").astype("float64")
    return numbers


def _xy_geometry(
    x: pd.Series, y: pd.Series, labels: pd.Series, source: str, layer: str
) -> tuple[np.ndarray, list[Problem]]:
    problems = []
    x_text, y_text = as_text(x), as_text(y)
    xs, ys = _numbers(x_text), _numbers(y_text)
    geometry = np.full(len(x), None, dtype=object)
    ok = (xs.notna() & ys.notna()).to_numpy(dtype=bool)
    geometry[ok] = shapely.points(xs[ok].to_numpy(float), ys[ok].to_numpy(float))
    for column, raw, number in ((x, x_text, xs), (y, y_text, ys)):
        bad = np.flatnonzero((raw.notna() & number.isna()).to_numpy(dtype=bool))
        for i in bad:
            problems.append(
                make_problem(
                    source,
                    layer,
                    "coordinate",
                    f"row {i + 1} (line {i + 2}): {column.name} = {raw.iat[i]!r} is not a number",
                    f"write {column.name} as a number, e.g. 712345.6",
                    feature_id=str(labels.iat[i]),
                    field=str(column.name),
                )
            )
    empty = np.flatnonzero((x_text.isna() & y_text.isna()).to_numpy(dtype=bool))
    for i in empty:
        problems.append(
            make_problem(
                source,
                layer,
                "coordinate",
                f"row {i + 1} (line {i + 2}) has no coordinates ({x.name} and {y.name} are empty)",
                f"fill in {x.name} and {y.name}",
                feature_id=str(labels.iat[i]),
                field=f"{x.name}/{y.name}",
            )
        )
    return geometry, problems


def read_tabular(path: Path, layer: str, mapping: FieldMapping | None) -> RawFile:
    """Read a CSV table as features, its geometry from a WKT column or x/y columns.

    Parameters
    ----------
    path : Path
        The table.
    layer : str
        The layer it is read for (named in problems; picks a guessed mapping).
    mapping : FieldMapping, optional
        Its ``[[geometry]]`` entries are tried first; guessed from the columns
        when absent.

    Returns
    -------
    RawFile
        With ``frame`` ``None`` when the table cannot be read or holds no
        geometry columns; each row whose geometry cannot be built is a problem.
    """
    table, problems = _read_table(path, layer)
    if table is None:
        return RawFile(None, problems, "CSV")
    if mapping is None:
        mapping = guess_mapping(table.columns, layer=layer)
    frame, geometry_problems, broken, notes = _table_geometry(table, mapping, str(path), layer)
    return RawFile(frame, problems + geometry_problems, "CSV", None, mapping, notes, broken)
