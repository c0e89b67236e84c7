"""Reading GIS files (GeoPackage, Shapefile, GeoJSON, GML, OpenStreetMap) with GDAL.

:func:`read_vector` reads one layer of a file in bulk with pyogrio; when the
bulk read fails on one broken record, the file is read again feature by
feature with fiona to name exactly which one. It also names GeoJSON features
whose geometry GDAL could not read, and re-reads a shapefile without a
``.cpg`` as UTF-8 when its text is UTF-8 read as latin-1.
"""

from __future__ import annotations

import contextlib
import json
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import fiona
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from shapely.geometry import shape

from ..core._errors import Problem
from .mappings import FieldMapping, guess_mapping, make_problem, template_fields, text_of
from .raw_file import RawFile, archive_problems, gdal_reason

__all__ = ["list_source_layers", "osm_tag_columns", "read_driver", "read_info", "read_vector"]

_OSM_TAG = r'(?:^|,)"{key}"=>"((?:[^"\\]|\\.)*)"'
"""One tag of GDAL's ``other_tags`` (``"k"=>"v","k2"=>"v2"``, quotes escaped by backslashes)."""


def list_source_layers(path: Path, source: str, layer: str) -> tuple[list[str], list[Problem]]:
    """Return the names of the layers in a GIS file, or the problem that stops reading it.

    Parameters
    ----------
    path : Path
        The file.
    source, layer : str
        Named in the problem.

    Returns
    -------
    names : list of str
        Empty when the file cannot be read.
    problems : list of Problem
        One ``unreadable`` problem when the file cannot be read, else empty.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            listed = pyogrio.list_layers(path)
    except Exception as exc:
        return [], [_unreadable(path, source, layer, exc)]
    return [str(name) for name, _ in listed], []


def _unreadable(path: Path, source: str, layer: str, exc: Exception) -> Problem:
    reason = gdal_reason(exc)
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


def read_vector(
    path: Path, layer: str, source_layer: str | None, mapping: FieldMapping | None
) -> RawFile:
    """Read one layer of a GIS file with its own fields, in its own CRS.

    Parameters
    ----------
    path : Path
        GeoPackage, Shapefile, GeoJSON, GML, ``.osm.pbf``...
    layer : str
        The workspace layer it is read for (picks the source layer of a
        multi-layer file when ``source_layer`` is not given).
    source_layer : str, optional
        The layer of the file to read.
    mapping : FieldMapping, optional
        Guessed from the GDAL driver when absent (for OpenStreetMap).

    Returns
    -------
    RawFile
        With ``frame`` ``None`` when nothing can be read; every broken feature
        found is a problem.
    """
    source = str(path)
    if path.suffix.lower() == ".zip":
        refused = archive_problems(path, layer)
        if refused:
            return RawFile(None, refused)
    names, problems = list_source_layers(path, source, layer)
    if problems:
        return RawFile(None, problems)
    driver = read_driver(path, names[0] if names else None)
    if mapping is None:
        mapping = guess_mapping([], layer=layer, driver=driver) if driver else None
    chosen, problem = _choose_source_layer(names, layer, source_layer, mapping, source)
    if problem is not None:
        return RawFile(None, [problem], driver)
    info = read_info(path, chosen)
    if info is not None and info.get("geometry_type") is None:
        fields = ", ".join(str(f) for f in info.get("fields", [])) or "none"
        return RawFile(
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
    dropped: list[str] = []
    if frame is not None and driver == "OSM" and mapping is not None:
        frame = osm_tag_columns(frame, _mapping_sources(mapping))
        if chosen == "lines":
            dropped = _osm_areas(path, mapping.require)
    raw = RawFile(frame, problems, driver, chosen, mapping, broken=broken, dropped=dropped)
    if frame is not None and path.suffix.lower() == ".shp":
        _fix_shapefile_encoding(path, chosen, layer, raw)
    return raw


def read_driver(path: Path, first_layer: str | None) -> str:
    """Return the name of the GDAL driver that reads a file (``""`` when none does).

    Parameters
    ----------
    path : Path
        The file.
    first_layer : str, optional
        A layer of the file to ask about.

    Returns
    -------
    str
        E.g. ``"GPKG"``, ``"OSM"``.
    """
    with contextlib.suppress(Exception), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return str(pyogrio.read_info(path, layer=first_layer).get("driver") or "")
    return ""


def read_info(path: Path, layer: str | None) -> dict[str, Any] | None:
    """Return pyogrio's description of a file's layer, or ``None`` when it cannot be read.

    Parameters
    ----------
    path : Path
        The file.
    layer : str, optional
        The layer (the first when ``None``).

    Returns
    -------
    dict or None
        With ``fields``, ``geometry_type``, ``driver``... as
        :func:`pyogrio.read_info` gives them.
    """
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
                                f"reading stopped at feature {position + 1}: {gdal_reason(exc)}",
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
                                    f"the geometry cannot be read ({gdal_reason(exc)})",
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


def _fix_shapefile_encoding(path: Path, source_layer: str | None, layer: str, raw: RawFile) -> None:
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


_AREA_IDS = 10  # ids named in the line that says which areas were left out


def _osm_areas(path: Path, keys: Sequence[str]) -> list[str]:
    """Say which OSM areas carry one of ``keys`` (``highway``): GDAL reads them as polygons.

    A closed way tagged ``area=yes`` (a square, a parking lot) is an area in
    GDAL's ``multipolygons`` layer, not a line: it is no street centre line,
    but the import says so with its ids rather than lose it without a word.
    """
    if not keys:
        return []
    tests = " OR ".join(
        "other_tags LIKE '%\"{}\"=>%'".format(key.replace("'", "''").replace('"', ""))
        for key in keys
    )
    try:
        areas = pyogrio.read_dataframe(
            path, layer="multipolygons", columns=["osm_id", "osm_way_id"], read_geometry=False,
            where=tests,
        )  # fmt: skip
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
        return []
    if areas.empty:
        return []
    way = areas["osm_way_id"].astype("string")
    ids = ("w" + way).where(way.notna(), "r" + areas["osm_id"].astype("string"))
    named = ", ".join(ids.iloc[:_AREA_IDS])
    more = f" and {len(ids) - _AREA_IDS:,} more" if len(ids) > _AREA_IDS else ""
    what = " or ".join(keys)
    return [f"{len(ids):,} {what} areas (not lines, e.g. area=yes): {named}{more}"]


def _mapping_sources(mapping: FieldMapping) -> list[str]:
    """Return every foreign field a mapping reads (rules, templates, filter, kept fields)."""
    names = [s for rule in mapping.rules for s in rule.sources]
    names += [n for rule in mapping.rules if rule.template for n in template_fields(rule.template)]
    return list(dict.fromkeys([*names, *mapping.require, *mapping.exclude, *mapping.keep]))


def osm_tag_columns(frame: gpd.GeoDataFrame, keys: list[str]) -> gpd.GeoDataFrame:
    """Return the frame with the OSM tags ``keys`` taken out of ``other_tags`` as columns.

    GDAL's OSM driver gives a few tags as fields and packs the rest into
    ``other_tags``; a mapping names tags like any field. Keys the frame already
    has as a column are left alone; a key no feature has becomes an empty column.

    >>> import shapely
    >>> f = gpd.GeoDataFrame({"other_tags": ['"layer"=>"-1","tunnel"=>"yes"', None]},
    ...                      geometry=[shapely.Point(0, 0)] * 2)
    >>> osm_tag_columns(f, ["layer", "bridge"])[["layer", "bridge"]].values.tolist()
    [['-1', None], [None, None]]
    """
    if "other_tags" not in frame.columns:
        return frame
    have = {str(c).lower() for c in frame.columns}
    tags = frame["other_tags"].astype("string")
    added = {
        key: tags.str.extract(_OSM_TAG.format(key=re.escape(key)), expand=False)
        .str.replace(r"\\(.)", r"\1", regex=True)
        .astype(object)
        .where(lambda s: s.notna(), None)
        for key in keys
        if key.lower() not in have
    }
    return frame.assign(**added) if added else frame
