"""Reading foreign files into workspace layers; validating files and workspaces.

:func:`load_file` reads a GeoPackage, Shapefile, GeoJSON, GML (GeoDanmark,
Vejman), OpenStreetMap extract (``.osm.pbf``) or CSV (a WKT column or x/y
columns), maps its fields onto a layer's schema, validates it and reprojects
it to the workspace CRS, collecting every problem on the way.
:func:`import_file` and :func:`validate_path` are the ``ductplanner import``
and ``ductplanner validate`` commands.

Bulk reads use pyogrio; when a bulk read fails on one broken record, the file
is read again feature by feature with fiona to name exactly which one.

Field mappings
--------------
A mapping renames a foreign schema's fields and translates its values onto a
layer. Built-in mappings live in ``ductplanner/mappings/*.toml``
(:func:`builtin_mappings`); a user passes their own TOML file with
``--mapping FILE``. Without one, a built-in mapping is guessed from the
file's fields (:func:`guess_mapping`); a file already in ductplanner's schema
needs none (field names are matched case-insensitively, and the 10-character
names of shapefiles are recognised). The format::

    name = "vejman"                 # how --mapping refers to it
    layer = "streets"               # the layer it maps onto
    detect = ["CPR_VEJNAVN"]        # fields that identify the format
    drivers = ["OSM"]               # or GDAL drivers that identify it
    source_layer = "lines"          # layer to read from a multi-layer file
    keep = ["ADMVEJNR"]             # foreign fields kept as they are
    crs = "EPSG:25832"              # CRS when the file declares none
    extends = "vejman"              # start from another mapping (user files)

    [fields.name]                   # one table per target field:
    source = ["CPR_VEJNAVN"]        #   first non-empty source field wins, or
    # template = "w{osm_id}"        #   a text built from fields, or
    # value = "Novafos"             #   one value for every feature
    default = ""                    #   when every source is empty
    unmapped = "other"              #   when a value is not listed in values

    [fields.road_class.values]      # source value -> layer value; case does not
    "Lokalvej*" = "local"           # matter; * and ? are wildcards

    [filter]
    require = ["highway"]           # skip features where these are all empty
    exclude = {highway = ["proposed"]}

    [[geometry]]                    # for CSV: where the geometry is
    x = "etrs89koordinat_øst"
    y = "etrs89koordinat_nord"
    crs = "EPSG:25832"

    [group]                         # collapse rows sharing a key into one
    by = "adgangsadresseid"         # feature, counting them into a field
    count = "units"

A short form ``name = "CPR_VEJNAVN"`` (or a list of fields) under
``[fields]`` is a plain rename.
"""

from __future__ import annotations

import contextlib
import io as _stdio
import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from ..core._errors import InputError, MissingInputError, Problem
from ..model.layers import (
    INPUT_LAYERS,
    SCHEMAS,
    WORKSPACE_CRS,
    require_valid,
    validate_layer,
)
from .mappings import (
    FieldMapping,
    FieldRule,
    GeometryColumns,
    as_text,
    builtin_mappings,
    column_lookup,
    crs_or_none,
    did_you_mean,
    guess_mapping,
    load_mapping,
    make_problem,
    normalise_names,
    text_of,
)

__all__ = [
    "FieldMapping",
    "FieldRule",
    "GeometryColumns",
    "LoadedFile",
    "builtin_mappings",
    "crs_name",
    "guess_layer",
    "guess_mapping",
    "load_file",
    "load_mapping",
    "read_file",
    "require_file",
]

_TABLE_SUFFIXES = (".csv", ".tsv", ".txt")




# ---------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------


@dataclass
class _Raw:
    """A file as read: features with their own fields, in the file's CRS."""

    frame: gpd.GeoDataFrame | None
    problems: list[Problem]
    driver: str = ""
    source_layer: str | None = None
    mapping: FieldMapping | None = None
    notes: list[str] = field(default_factory=list)
    # feature labels whose geometry was already reported as unreadable
    broken: set[str] = field(default_factory=set)


def require_file(path: Path) -> None:
    """Raise :class:`MissingInputError` when ``path`` does not exist."""
    if not path.exists():
        raise MissingInputError(f"{path} does not exist{did_you_mean(path)}")


def _is_table(path: Path) -> bool:
    return path.suffix.lower() in _TABLE_SUFFIXES


def _gdal_reason(exc: Exception) -> str:
    text = str(exc).split("; It might help to specify the correct driver")[0]
    text = text.strip().rstrip(".").replace(".;", ";")
    return text or type(exc).__name__


def _list_source_layers(path: Path, source: str, layer: str) -> tuple[list[str], list[Problem]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            listed = pyogrio.list_layers(path)
    except Exception as exc:
        return [], [_unreadable(path, source, layer, exc)]
    return [str(name) for name, _ in listed], []


def _unreadable(path: Path, source: str, layer: str, exc: Exception) -> Problem:
    reason = _gdal_reason(exc)
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        hint = "the file is not valid (Geo)JSON; fix it near the position named, or export it again"
    elif "not recognized as" in reason or "not a supported file format" in reason:
        hint = (
            "export the data as GeoPackage, Shapefile, GeoJSON, GML, or CSV with a WKT "
            "column or x/y columns"
        )
    elif suffix == ".shp":
        hint = "a shapefile is several files (.shp, .shx, .dbf, .prj, .cpg); copy them all"
    else:
        hint = "check that the file is complete and opens in QGIS; export it again if not"
    return make_problem(source, layer, "unreadable", f"cannot read the file: {reason}", hint)


def _choose_source_layer(
    names: list[str],
    layer: str,
    requested: str | None,
    mapping: FieldMapping | None,
    source: str,
) -> tuple[str | None, Problem | None]:
    listed = ", ".join(names) or "none"
    if requested is not None:
        if requested in names:
            return requested, None
        return None, make_problem(
            source,
            layer,
            "layer-choice",
            f"the file has no layer {requested!r} (it has: {listed})",
            "pass one of its layers with --source-layer",
        )
    if len(names) == 1:
        return names[0], None
    by_lower = {n.lower(): n for n in names}
    for wanted in (layer, mapping.source_layer if mapping else None):
        if wanted and wanted.lower() in by_lower:
            return by_lower[wanted.lower()], None
    if not names:
        return None, make_problem(
            source, layer, "empty-file", "the file holds no layers", "export the data again"
        )
    return None, make_problem(
        source,
        layer,
        "layer-choice",
        f"the file has {len(names)} layers ({listed}) and none is called {layer!r}",
        "choose the one to import with --source-layer NAME",
    )


def _read_vector(
    path: Path, layer: str, source_layer: str | None, mapping: FieldMapping | None
) -> _Raw:
    source = str(path)
    names, problems = _list_source_layers(path, source, layer)
    if problems:
        return _Raw(None, problems)
    driver = _driver(path, names[0] if names else None)
    if mapping is None:
        mapping = guess_mapping([], layer=layer, driver=driver) if driver else None
    chosen, problem = _choose_source_layer(names, layer, source_layer, mapping, source)
    if problem is not None:
        return _Raw(None, [problem], driver)
    info = _read_info(path, chosen)
    if info is not None and info.get("geometry_type") is None:
        fields = ", ".join(str(f) for f in info.get("fields", [])) or "none"
        return _Raw(
            None,
            [
                make_problem(
                    source,
                    layer,
                    "no-geometry",
                    f"layer {chosen!r} of the file has no geometry (fields: {fields})",
                    "export a layer with geometry; for a table of coordinates, save it as "
                    "CSV with a WKT column or x/y columns",
                )
            ],
            driver,
            chosen,
        )
    frame, problems, broken = _read_frame(path, chosen, layer)
    raw = _Raw(frame, problems, driver, chosen, mapping, broken=broken)
    if frame is not None and path.suffix.lower() == ".shp":
        _fix_shapefile_encoding(path, chosen, layer, raw)
    return raw


def _driver(path: Path, first_layer: str | None) -> str:
    with contextlib.suppress(Exception), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return str(pyogrio.read_info(path, layer=first_layer).get("driver") or "")
    return ""


def _read_info(path: Path, layer: str | None) -> dict[str, Any] | None:
    with contextlib.suppress(Exception), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dict(pyogrio.read_info(path, layer=layer))
    return None


def _read_frame(
    path: Path, source_layer: str | None, layer: str, encoding: str | None = None
) -> tuple[gpd.GeoDataFrame | None, list[Problem], set[str]]:
    """Read a layer in bulk with pyogrio; fall back to fiona to find broken records."""
    source = str(path)
    problems: list[Problem] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = gpd.read_file(path, layer=source_layer, engine="pyogrio", encoding=encoding)
        except pyogrio.errors.DataSourceError as exc:
            return None, [_unreadable(path, source, layer, exc)], set()
        except Exception:
            return _read_one_by_one(path, source_layer, layer)
    for message in dict.fromkeys(str(w.message) for w in caught if _is_gdal_warning(w)):
        problems.append(
            make_problem(
                source,
                layer,
                "gdal",
                f"GDAL reported while reading: {message}",
                "a feature with a broken geometry is read without one; look for features "
                "without geometry below",
                severity="warning",
            )
        )
    if not isinstance(frame, gpd.GeoDataFrame):
        return None, [make_problem(source, layer, "no-geometry", "the file has no geometry")], set()
    unreadable, broken = _geojson_unreadable(path, frame, layer)
    if unreadable:  # they explain GDAL's warnings feature by feature
        problems = [p for p in problems if p.rule != "gdal"] + unreadable
    return frame, problems, broken


def _geojson_unreadable(
    path: Path, frame: gpd.GeoDataFrame, layer: str
) -> tuple[list[Problem], set[str]]:
    """Name the GeoJSON features that have a geometry GDAL could not read.

    GDAL reads such a feature without a geometry (and only warns); comparing
    with the JSON itself tells a broken geometry from one that is absent.
    """
    missing = frame.geometry.isna().to_numpy(dtype=bool)
    if path.suffix.lower() not in (".geojson", ".json") or not missing.any():
        return [], set()
    if path.stat().st_size > 256 * 2**20:
        return [], set()
    try:
        features = json.loads(path.read_text(encoding="utf-8")).get("features", [])
    except (ValueError, UnicodeDecodeError, AttributeError):
        return [], set()
    if len(features) != len(frame):
        return [], set()
    problems, broken = [], set()
    for i in np.flatnonzero(missing):
        geometry = features[i].get("geometry") if isinstance(features[i], dict) else None
        if not geometry:
            continue
        label = _feature_label(features[i].get("properties") or {}, int(i))
        text = json.dumps(geometry, ensure_ascii=False)
        snippet = text if len(text) <= 80 else text[:77] + "..."
        broken.add(label)
        problems.append(
            make_problem(
                str(path),
                layer,
                "geometry-unreadable",
                f"the geometry {snippet} cannot be read (a coordinate needs x and y; "
                "a line at least two points; a ring at least four)",
                "fix the coordinates of this feature in the file, or redraw it",
                feature_id=label,
                field="geometry",
            )
        )
    return problems, broken


def _is_gdal_warning(w: warnings.WarningMessage) -> bool:
    return issubclass(w.category, RuntimeWarning) and "pyogrio" in str(w.filename)


def _feature_label(properties: Mapping[str, Any], position: int) -> str:
    for key, value in properties.items():
        if str(key).lower() == "id" and value is not None and str(value).strip():
            return text_of(value).strip()
    return f"row {position + 1}"


def _read_one_by_one(
    path: Path, source_layer: str | None, layer: str
) -> tuple[gpd.GeoDataFrame | None, list[Problem], set[str]]:
    """Read a layer feature by feature with fiona, naming each record that is broken."""
    import fiona
    from shapely.geometry import shape

    source = str(path)
    problems: list[Problem] = []
    broken: set[str] = set()
    records: list[dict[str, Any]] = []
    geometries: list[Any] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with fiona.open(path, layer=source_layer) as src:
                crs = src.crs_wkt or None
                features = iter(src)
                position = 0
                while True:
                    try:
                        feature = next(features)
                    except StopIteration:
                        break
                    except Exception as exc:
                        problems.append(
                            make_problem(
                                source,
                                layer,
                                "unreadable",
                                f"reading stopped at feature {position + 1}: {_gdal_reason(exc)}",
                                "fix or remove that feature and export the file again",
                                feature_id=f"row {position + 1}",
                            )
                        )
                        break
                    properties = dict(feature.properties or {})
                    label = _feature_label(properties, position)
                    geometry = None
                    if feature.geometry is not None:
                        try:
                            geometry = shape(feature.geometry)
                        except Exception as exc:
                            broken.add(label)
                            problems.append(
                                make_problem(
                                    source,
                                    layer,
                                    "geometry-unreadable",
                                    f"the geometry cannot be read ({_gdal_reason(exc)})",
                                    "redraw the feature, or fix its coordinates in the file",
                                    feature_id=label,
                                    field="geometry",
                                )
                            )
                    records.append(properties)
                    geometries.append(geometry)
                    position += 1
    except Exception as exc:
        return None, [_unreadable(path, source, layer, exc)], set()
    frame = gpd.GeoDataFrame(
        pd.DataFrame.from_records(records) if records else pd.DataFrame(),
        geometry=gpd.GeoSeries(geometries, crs=crs),
        crs=crs,
    )
    unreadable, more = _geojson_unreadable(path, frame, layer)
    unreadable = [p for p in unreadable if p.feature_id not in broken]
    return frame, problems + unreadable, broken | more


_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf]")


def _fix_shapefile_encoding(path: Path, source_layer: str | None, layer: str, raw: _Raw) -> None:
    """Re-read a shapefile without .cpg as UTF-8 when its text is UTF-8 read as latin-1."""
    if path.with_suffix(".cpg").exists() or path.with_suffix(".CPG").exists():
        return
    frame = raw.frame
    assert frame is not None
    text_columns = [c for c in frame.columns if c != frame.geometry.name]
    garbled = False
    for column in text_columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
            continue
        sample = values.dropna().astype("object").drop_duplicates().head(5000)
        sample = sample[sample.map(lambda v: isinstance(v, str))]
        if sample.astype("string").str.contains(_MOJIBAKE).any():
            garbled = True
            break
    if not garbled:
        return
    reread, problems, broken = _read_frame(path, source_layer, layer, "UTF-8")
    if reread is None:
        return
    raw.frame, raw.problems, raw.broken = reread, problems, broken
    raw.problems.append(
        make_problem(
            str(path),
            layer,
            "encoding",
            "the shapefile has no .cpg file and its text is UTF-8 (read as latin-1 it "
            "shows 'Ã¸' for 'ø'); read it as UTF-8",
            "add a file with the same name ending in .cpg containing UTF-8",
            severity="warning",
        )
    )


# --- tables: CSV with WKT or x/y --------------------------------------------------------

_WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "wkt_geom", "shape", "geometri")
_XY_NAMES = (
    ("x", "y", None),
    ("easting", "northing", None),
    ("east", "north", None),
    ("øst", "nord", None),
    ("oest", "nord", None),
    ("etrs89koordinat_øst", "etrs89koordinat_nord", "EPSG:25832"),
    ("lon", "lat", "EPSG:4326"),
    ("lng", "lat", "EPSG:4326"),
    ("long", "lat", "EPSG:4326"),
    ("longitude", "latitude", "EPSG:4326"),
    ("wgs84koordinat_længde", "wgs84koordinat_bredde", "EPSG:4326"),
)


def _generic_geometry_columns() -> list[GeometryColumns]:
    specs = [GeometryColumns(wkt=name) for name in _WKT_NAMES]
    specs += [
        GeometryColumns(x=x, y=y, crs=crs, assumed=crs is not None) for x, y, crs in _XY_NAMES
    ]
    return specs


def _decode(raw: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _sniff_separator(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (";", ",", "\t", "|")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def _read_table(path: Path, layer: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    source = str(path)
    text, _ = _decode(path.read_bytes())
    if not text.strip():
        return None, [
            make_problem(source, layer, "empty-file", "the file is empty", "export the data again")
        ]
    separator = _sniff_separator(text.splitlines()[0])
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
                f"cannot read the CSV: {_gdal_reason(exc)}",
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
            reason = _gdal_reason(exc)
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


def _read_tabular(path: Path, layer: str, mapping: FieldMapping | None) -> _Raw:
    table, problems = _read_table(path, layer)
    if table is None:
        return _Raw(None, problems, "CSV")
    if mapping is None:
        mapping = guess_mapping(table.columns, layer=layer)
    frame, geometry_problems, broken, notes = _table_geometry(table, mapping, str(path), layer)
    return _Raw(frame, problems + geometry_problems, "CSV", None, mapping, notes, broken)


# ---------------------------------------------------------------------------------------
# Loading: read, map, set the CRS, validate, reproject
# ---------------------------------------------------------------------------------------


@dataclass
class LoadedFile:
    """A foreign file read, mapped onto a layer, validated and reprojected.

    Attributes
    ----------
    path : Path
        The file.
    layer : str
        The layer it was read for.
    frame : GeoDataFrame
        The validated features (typed, defaults filled, multi-parts exploded),
        in the workspace CRS unless the CRS itself is wrong.
    problems : list of Problem
        Everything found: errors, warnings and repairs.
    source_layer : str or None
        The layer read from a multi-layer file.
    mapping : str or None
        The name of the field mapping applied.
    crs : str or None
        The CRS the file's coordinates were taken to be in.
    features_read : int
        Features in the file (before filters and exploding).
    features_skipped : int
        Features skipped by the mapping's filter or merged by its grouping.
    notes : list of str
        What was guessed or assumed, for the user.
    """

    path: Path
    layer: str
    frame: gpd.GeoDataFrame
    problems: list[Problem]
    source_layer: str | None = None
    mapping: str | None = None
    crs: str | None = None
    features_read: int = 0
    features_skipped: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity ``error``."""
        return [p for p in self.problems if p.severity == "error"]


def _check_layer_name(layer: str, source: str) -> None:
    if layer not in INPUT_LAYERS:
        what = "a layer ductplanner derives" if layer in SCHEMAS else "not a layer"
        raise InputError(
            [
                make_problem(
                    source,
                    layer,
                    "layer-unknown",
                    f"{layer!r} is {what}, so it cannot be read from a file",
                    f"use one of: {', '.join(INPUT_LAYERS)}",
                )
            ]
        )



def _parse_crs(text: str | None, source: str, layer: str) -> CRS | None:
    if text is None:
        return None
    crs = crs_or_none(text)
    if crs is None:
        raise InputError(
            [
                make_problem(
                    source,
                    layer,
                    "crs-invalid",
                    f"--crs {text!r} is not a coordinate reference system",
                    "write it as an EPSG code, e.g. --crs EPSG:25832 or --crs EPSG:4326",
                    field="geometry",
                )
            ]
        )
    return crs


def crs_name(crs: Any) -> str | None:
    """Return a CRS as ``EPSG:code`` (or its description), ``None`` for none."""
    if crs is None:
        return None
    crs = CRS.from_user_input(crs)
    code = crs.to_epsg()
    return f"EPSG:{code}" if code else crs.to_string()


def load_file(
    path: str | Path,
    layer: str,
    *,
    crs: str | None = None,
    source_layer: str | None = None,
    mapping: str | Path | FieldMapping | None = None,
    repair: bool = False,
) -> LoadedFile:
    """Read a file as ``layer``: map, validate and reproject it, collecting every problem.

    Parameters
    ----------
    path : path-like
        GeoPackage, Shapefile, GeoJSON, GML, ``.osm.pbf``, or CSV with a WKT
        column or x/y columns.
    layer : str
        The layer the file is meant for (one of ``INPUT_LAYERS``).
    crs : str, optional
        The CRS the coordinates are in; overrides what the file declares.
    source_layer : str, optional
        Which layer to read from a file holding several.
    mapping : str, Path or FieldMapping, optional
        A built-in mapping name, a TOML file, or a mapping; guessed from the
        file's fields when absent.
    repair : bool
        Repair invalid geometries with ``make_valid`` (reported as ``repaired``).

    Returns
    -------
    LoadedFile
        Check :attr:`LoadedFile.errors` before using the frame.

    Raises
    ------
    MissingInputError
        When the file does not exist.
    InputError
        When ``layer``, ``crs`` or ``mapping`` are themselves wrong.
    """
    path = Path(path)
    source = str(path)
    _check_layer_name(layer, source)
    require_file(path)
    user_crs = _parse_crs(crs, source, layer)
    chosen = load_mapping(mapping) if isinstance(mapping, str | Path) else mapping
    if chosen is not None and chosen.layer != layer:
        raise InputError(
            [
                make_problem(
                    chosen.origin,
                    layer,
                    "mapping-layer",
                    f"the {chosen.name} mapping is for layer {chosen.layer!r}, not {layer!r}",
                    f"import into {chosen.layer}, or use a mapping written for {layer}",
                )
            ]
        )
    empty = LoadedFile(path, layer, _empty_frame(), [])
    if path.is_file() and path.stat().st_size == 0:
        empty.problems.append(
            make_problem(
                source, layer, "empty-file", "the file is empty (0 bytes)", "export it again"
            )
        )
        return empty
    raw = (
        _read_tabular(path, layer, chosen)
        if _is_table(path)
        else _read_vector(path, layer, source_layer, chosen)
    )
    if raw.frame is None:
        empty.problems.extend(raw.problems)
        empty.source_layer = raw.source_layer
        return empty
    return _finish(path, layer, raw, chosen or raw.mapping, user_crs, repair)


def _empty_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=WORKSPACE_CRS), crs=WORKSPACE_CRS)


def _finish(
    path: Path,
    layer: str,
    raw: _Raw,
    mapping: FieldMapping | None,
    user_crs: CRS | None,
    repair: bool,
) -> LoadedFile:
    source = str(path)
    frame = raw.frame
    assert frame is not None
    problems = list(raw.problems)
    notes = list(raw.notes)
    features_read = len(frame)
    if mapping is None:
        mapping = guess_mapping(frame.columns, layer=layer, driver=raw.driver)
    skipped = 0
    if mapping is not None:
        frame, mapping_problems, skipped = mapping.apply(frame, source)
        problems += mapping_problems
        notes.append(f"fields mapped with the {mapping.name} mapping ({mapping.origin})")
    else:
        frame = normalise_names(frame, SCHEMAS[layer])
    frame, crs_problems = _set_crs(frame, user_crs, mapping, source, layer, notes)
    problems += crs_problems
    if frame.empty:  # say so once, not once per missing field
        problems.append(_no_features(source, layer, raw.source_layer, mapping, skipped))
        return LoadedFile(
            path, layer, _empty_frame(), problems, raw.source_layer,
            mapping.name if mapping else None, crs_name(frame.crs), features_read, skipped, notes,
        )  # fmt: skip
    clean, found = validate_layer(frame, layer, source=source, repair=repair)
    problems += [p for p in found if not (p.rule == "geometry-null" and p.feature_id in raw.broken)]
    crs_wrong = any(p.rule.startswith("crs-") and p.severity == "error" for p in problems)
    file_crs = crs_name(clean.crs)
    if clean.crs is not None and not crs_wrong and not clean.crs.equals(WORKSPACE_CRS):
        clean = clean.to_crs(WORKSPACE_CRS)
        notes.append(f"reprojected from {file_crs} to {WORKSPACE_CRS}")
    return LoadedFile(
        path=path,
        layer=layer,
        frame=clean,
        problems=problems,
        source_layer=raw.source_layer,
        mapping=mapping.name if mapping else None,
        crs=file_crs,
        features_read=features_read,
        features_skipped=skipped,
        notes=notes,
    )


def _no_features(
    source: str, layer: str, source_layer: str | None, mapping: FieldMapping | None, skipped: int
) -> Problem:
    named = source_layer and source_layer != Path(source).stem
    where = f"layer {source_layer!r} of the file" if named else "the file"
    message = f"{where} has no features"
    if skipped and mapping is not None:
        message += f" left once the {mapping.name} mapping skipped {skipped}"
    return make_problem(
        source,
        layer,
        "empty",
        message,
        "check that this is the right file (and layer: --source-layer) for " + layer,
    )


def _set_crs(
    frame: gpd.GeoDataFrame,
    user_crs: CRS | None,
    mapping: FieldMapping | None,
    source: str,
    layer: str,
    notes: list[str],
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    problems = []
    if user_crs is not None:
        if frame.crs is not None and not frame.crs.equals(user_crs):
            problems.append(
                make_problem(
                    source,
                    layer,
                    "crs-override",
                    f"the file declares {crs_name(frame.crs)}; its coordinates were taken "
                    f"as {crs_name(user_crs)} as --crs says",
                    "fix the CRS in the file (the .prj of a shapefile) to stop this warning",
                    field="geometry",
                    severity="warning",
                )
            )
        return frame.set_crs(user_crs, allow_override=True), problems
    if frame.crs is None and mapping is not None and mapping.crs:
        notes.append(f"coordinates taken as {mapping.crs}, as the {mapping.name} mapping says")
        return frame.set_crs(mapping.crs), problems
    return frame, problems


def read_file(
    path: str | Path,
    layer: str,
    *,
    crs: str | None = None,
    source_layer: str | None = None,
    mapping: str | Path | FieldMapping | None = None,
    repair: bool = False,
) -> gpd.GeoDataFrame:
    """Read a file as a validated layer in the workspace CRS, or raise.

    Takes the parameters of :func:`load_file`.

    Raises
    ------
    InputError
        Carrying every problem, when the file has any error.
    """
    loaded = load_file(
        path, layer, crs=crs, source_layer=source_layer, mapping=mapping, repair=repair
    )
    require_valid(loaded.problems)
    return loaded.frame


# ---------------------------------------------------------------------------------------
# Guessing the layer a file is meant for
# ---------------------------------------------------------------------------------------

_LAYER_WORDS: dict[str, tuple[str, ...]] = {
    "streets": ("street", "streets", "road", "roads", "vej", "veje", "vejmidte", "vejnet",
                "vejmidter", "highway", "highways", "centerline", "centreline"),
    "ducts": ("duct", "ducts", "tomror", "tomrør", "tomroer", "tomrørsanlæg"),
    "backbone": ("backbone", "pop", "pops"),
    "sites": ("site", "sites", "institution", "institutioner", "skole", "skoler"),
    "digs": ("dig", "digs", "graveplan", "graveplaner", "gravearbejde", "gravearbejder",
             "excavation", "excavations", "works"),
    "addresses": ("address", "addresses", "adresse", "adresser", "adgangsadresser"),
    "districts": ("district", "districts", "distrikt", "distrikter", "skoledistrikter"),
}  # fmt: skip


def _name_words(text: str) -> set[str]:
    return {w for w in re.split(r"[^\w]+|_", text.lower()) if w}


def guess_layer(
    path: str | Path,
    *,
    mapping: str | Path | None = None,
    source_layer: str | None = None,
) -> tuple[str, str]:
    """Return the layer a file is most likely meant for, and why.

    Tried in order: the mapping's layer; a built-in mapping detected from the
    fields; words in the file or layer name (``digs``, ``graveplaner``,
    ``adresser``...); the layer whose schema fields the file has most of.

    Returns
    -------
    layer : str
    reason : str
        A sentence for the user, e.g. ``"guessed from the file name"``.

    Raises
    ------
    InputError
        When nothing points to one layer.
    """
    path = Path(path)
    require_file(path)
    if mapping is not None:
        chosen = load_mapping(mapping)
        return chosen.layer, f"the layer of the {chosen.name} mapping"
    names, columns, driver = _peek(path, source_layer)
    detected = guess_mapping(columns, driver=driver)
    if detected is not None:
        return (
            detected.layer,
            f"guessed from the fields: they look like {detected.title or detected.name}",
        )
    for text, what in ((path.name.split(".")[0], "file name"), *((n, "layer name") for n in names)):
        words = _name_words(text)
        hits = [layer for layer, known in _LAYER_WORDS.items() if words & set(known)]
        if len(hits) == 1:
            return hits[0], f"guessed from the {what} {text!r}"
    lower = {c.lower() for c in columns}
    scores = {
        layer: sum(f.name in lower for f in SCHEMAS[layer].fields[1:]) for layer in INPUT_LAYERS
    }
    best = max(scores.values())
    winners = [layer for layer, score in scores.items() if score == best]
    if best > 0 and len(winners) == 1:
        matched = [f.name for f in SCHEMAS[winners[0]].fields[1:] if f.name in lower]
        return winners[0], f"guessed from the fields {', '.join(matched)}"
    raise InputError(
        [
            make_problem(
                str(path),
                "",
                "layer-unknown",
                "cannot tell which layer the file is meant for: neither its name nor its "
                f"fields ({', '.join(columns) or 'none'}) point to one",
                f"pass --layer, one of: {', '.join(INPUT_LAYERS)}",
            )
        ]
    )


def _peek(path: Path, source_layer: str | None) -> tuple[list[str], list[str], str | None]:
    """Return a file's layer names, the fields of the layer to read, and its driver."""
    if _is_table(path):
        with contextlib.suppress(Exception):
            text, _ = _decode(path.read_bytes()[:65536])
            header = text.splitlines()[0] if text.strip() else ""
            separator = _sniff_separator(header)
            return [], [c.strip().strip('"') for c in header.split(separator)], "CSV"
        return [], [], "CSV"
    names, problems = _list_source_layers(path, str(path), "")
    if problems:
        raise InputError(problems)
    chosen = source_layer if source_layer in names else (names[0] if len(names) == 1 else None)
    driver = _driver(path, names[0] if names else None)
    if chosen is None:
        by_schema = [n for n in names if n in INPUT_LAYERS]
        chosen = by_schema[0] if len(by_schema) == 1 else None
    info = _read_info(path, chosen) if chosen else None
    columns = [str(f) for f in info.get("fields", [])] if info else []
    return ([chosen] if chosen else names), columns, driver
