"""Reading foreign files into workspace layers; validating files and workspaces.

:func:`load_file` reads a GeoPackage, Shapefile, GeoJSON, GML (GeoDanmark,
Vejman), OpenStreetMap extract (``.osm.pbf``) or CSV (a WKT column or x/y
columns), maps its fields onto a layer's schema, validates it and reprojects
it to the workspace CRS, collecting every problem on the way.
:func:`import_file` and :func:`validate_path` are the ``ductplanner import``
and ``ductplanner validate`` commands.

Bulk reads use pyogrio; when a bulk read fails on one broken record, the file
is read again feature by feature with fiona to name exactly which one
(:mod:`~ductplanner.io.vector_reader`); CSV is read by
:mod:`~ductplanner.io.table_reader`. :func:`guess_layer`
(:mod:`~ductplanner.io.layer_guess`) tells which layer a file is meant for.

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

    merge_twins = true              # streets: merge roads drawn side by side
                                    # into one centre line (import --merge-twins)
    carriageway_distance_m = 20.0   # how far apart a road's carriageways of one
                                    # name may lie (default 8; OSM's dual roads)

A short form ``name = "CPR_VEJNAVN"`` (or a list of fields) under
``[fields]`` is a plain rename.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from ..core._errors import InputError, Problem
from ..core._format import text_column
from ..model.layers import (
    DEFAULT_WORKSPACE_CRS,
    INPUT_LAYERS,
    SCHEMAS,
    DateOrder,
    explode_parts,
    require_valid,
    validate_layer,
)
from ..model.network import street_levels
from ..model.parallel import CARRIAGEWAY_DISTANCE_M, TWIN_DISTANCE_M
from ..model.parallel import merge_twins as merge_twin_lines
from ..model.zone import (
    CrsChoice,
    choose_workspace_crs,
    crs_code,
    frame_crs_choice,
    lonlat_extent,
    metric_crs_problem,
    worst_fit,
)
from .layer_guess import guess_layer
from .mappings import (
    FieldMapping,
    FieldRule,
    GeometryColumns,
    builtin_mappings,
    crs_or_none,
    guess_mapping,
    load_mapping,
    make_problem,
    normalise_names,
)
from .raw_file import RawFile, is_table, require_file
from .table_reader import read_tabular
from .vector_reader import read_vector

__all__ = [
    "AREA_LAYER",
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
    "read_as_built",
    "read_enquiry_area",
    "read_file",
    "require_file",
]
"""The importer's public names; the field-mapping names come from
:mod:`~ductplanner.io.mappings`, :func:`guess_layer` from
:mod:`~ductplanner.io.layer_guess` and :func:`require_file` from
:mod:`~ductplanner.io.raw_file`, re-exported here."""

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
    dropped : list of str
        What the mapping's filter skipped, a line per reason with the count
        and the first ids (``2 without highway: w31, w44``).
    notes : list of str
        What was guessed or assumed, for the user.
    twins_merged : dict of str to str
        Streets merged into the twin line beside them: id -> the kept line's id
        (see :func:`~ductplanner.model.parallel.merge_twins`).
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
    dropped: list[str] = field(default_factory=list)
    twins_merged: dict[str, str] = field(default_factory=dict)

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
                    f"--crs {text[:80]!r} is not a coordinate reference system",
                    "write it as an EPSG code, e.g. --crs EPSG:25832 or --crs EPSG:4326",
                    field="geometry",
                )
            ]
        )
    return crs


def _parse_workspace_crs(text: str | None, source: str, layer: str) -> str | None:
    """Return ``text`` as ``EPSG:code``; raise naming the flag when it cannot hold a workspace."""
    if text is None:
        return None
    problem = metric_crs_problem(text)
    if problem is not None:
        raise InputError(
            [
                make_problem(
                    source, layer, "crs-workspace",
                    f"--workspace-crs: {problem}; a workspace measures lengths in metres",
                    "name a projected CRS in metres, such as the UTM zone of the place "
                    "(EPSG:25832 in Denmark), or leave the flag out to have one chosen",
                    field="geometry",
                )
            ]
        )  # fmt: skip
    return crs_code(text)


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
    date_order: DateOrder = "auto",
    fields: Mapping[str, str] | None = None,
    merge_twins: bool | None = None,
    workspace_crs: str | None = None,
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
    date_order : {"auto", "dayfirst", "monthfirst"}
        How to read dates written with numbers only, such as ``4/1/2026``
        (see :func:`~ductplanner.model.validation.validate_layer`).
    fields : mapping of str to str, optional
        One-off renames, layer field -> the file's column (``import --field
        id=sagsnr``): that field is read from that column, over what the
        mapping (given or guessed) says.
    merge_twins : bool, optional
        Streets only: merge a road drawn as two lines side by side into one
        centre line (:func:`~ductplanner.model.parallel.merge_twins`; listed
        in :attr:`LoadedFile.twins_merged`). Default: as the mapping says.
    workspace_crs : str, optional
        The CRS of the workspace the file goes into (projected, in metres);
        the features are reprojected to it, with a warning where it draws
        their lengths 0.25 % off or more. Default: the CRS a new workspace
        would take for this data (EPSG:25832 in Denmark, else the data's own
        projected CRS where it is as true, else the UTM zone of the data).

    Returns
    -------
    LoadedFile
        Check :attr:`LoadedFile.errors` before using the frame.

    Raises
    ------
    MissingInputError
        When the file does not exist.
    InputError
        When ``layer``, ``crs``, ``mapping`` or a ``fields`` target are themselves wrong.
    """
    path = Path(path)
    source = str(path)
    _check_layer_name(layer, source)
    _check_field_targets(fields or {}, layer)
    require_file(path)
    user_crs = _parse_crs(crs, source, layer)
    target_crs = _parse_workspace_crs(workspace_crs, source, layer)
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
        read_tabular(path, layer, chosen)
        if is_table(path)
        else read_vector(path, layer, source_layer, chosen)
    )
    if raw.frame is None:
        empty.problems.extend(raw.problems)
        empty.source_layer = raw.source_layer
        return empty
    return _finish(
        path, layer, raw, chosen or raw.mapping, user_crs, repair, date_order, fields, merge_twins,
        target_crs,
    )  # fmt: skip


_MERGE_ROUNDS = 3
"""Rounds of twin merging at most (the second rarely finds more than a few)."""


def _merge_twin_streets(loaded: LoadedFile, carriageways: float) -> None:
    """Merge the streets drawn twice, side by side, into one centre line (in place).

    First the sides of a road drawn 2 m apart (whatever their names), then
    the carriageways of a road lying up to ``carriageways`` metres apart,
    or beside its centre line, of the same name; again while a round merges
    something (a line beside a merged line only is merged in the next round),
    at most :data:`_MERGE_ROUNDS` rounds. Only lines of one level are merged:
    a road never merges with the bridge or tunnel of another.
    """
    frame = loaded.frame.reset_index(drop=True)
    remainders = 0
    for _ in range(_MERGE_ROUNDS):
        before = len(loaded.twins_merged)
        for distance, by_name in ((TWIN_DISTANCE_M, False), (carriageways, True)):
            merge = merge_twin_lines(
                np.asarray(frame.geometry.values, dtype=object),
                distance=distance,
                names=_road_keys(frame, by_name),
            )
            ids = frame["id"].to_numpy(dtype=object)
            loaded.twins_merged.update(
                zip(ids[merge.merged], ids[merge.into[merge.merged]], strict=True)
            )
            left = np.array([g is not None for g in merge.geometry], dtype=bool)
            remainders += int((merge.merged & left).sum())
            frame = frame.loc[left].copy()
            frame.geometry = list(merge.geometry[left])
            frame = explode_parts(frame.reset_index(drop=True), SCHEMAS["streets"])
        if len(loaded.twins_merged) == before:
            break
    if not loaded.twins_merged:
        loaded.notes.append("no street runs beside another: no twins to merge")
        return
    loaded.frame = frame
    loaded.notes.append(
        f"{len(loaded.twins_merged):,} street lines merged into the line beside them (one "
        f"centre line per road; {remainders:,} kept the stretch where they run on alone)"
    )


def _road_keys(frame: gpd.GeoDataFrame, by_name: bool) -> np.ndarray:
    """Per street, what a twin must share: its level, and with ``by_name`` its name.

    A street without a name gets an empty key with ``by_name``: it is nobody's twin.
    """
    keys = pd.Series(street_levels(frame), index=frame.index).map("level {}".format)
    if by_name:
        names = text_column(frame, "name").str.strip().str.lower()
        keys = (names + " | " + keys).where(names != "", "")
    return keys.to_numpy(dtype=object)


def _check_field_targets(fields: Mapping[str, str], layer: str) -> None:
    """Refuse renames onto fields the layer does not have, naming every one."""
    known = SCHEMAS[layer].field_names
    wrong = [target for target in fields if target not in known]
    if wrong:
        raise InputError(
            [
                make_problem(
                    "--field",
                    layer,
                    "field-target",
                    f"--field {target}={fields[target]}: {target!r} is not a field of the "
                    f"{layer} layer",
                    f"write --field FIELD=COLUMN with FIELD one of: {', '.join(known)}",
                    field=target,
                )
                for target in wrong
            ],
            summary=f"cannot read the file as {layer}",
        )


def _with_fields(
    mapping: FieldMapping | None,
    fields: Mapping[str, str],
    columns: Iterable[Any],
    layer: str,
    source: str,
) -> tuple[FieldMapping | None, list[Problem]]:
    """Return the mapping with the one-off renames as its rules, and the missing columns."""
    if not fields:
        return mapping, []
    present = [str(c) for c in columns if c != "geometry"]
    lower = {c.lower() for c in present}
    problems = [
        make_problem(
            source,
            layer,
            "field-source",
            f"--field {target}={column}: the file has no column {column!r} "
            f"(its columns: {', '.join(present) or 'none'})",
            "name one of the file's columns after the '='",
            field=target,
        )
        for target, column in fields.items()
        if column.lower() not in lower
    ]
    rules = tuple(FieldRule(target=t, sources=(c,)) for t, c in fields.items())
    if mapping is None:
        adhoc = FieldMapping(name="--field", layer=layer, origin="command line", rules=rules)
        return adhoc, problems
    kept = tuple(r for r in mapping.rules if r.target not in fields)
    return replace(mapping, rules=kept + rules), problems


def _empty_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        geometry=gpd.GeoSeries([], crs=DEFAULT_WORKSPACE_CRS), crs=DEFAULT_WORKSPACE_CRS
    )


def _finish(
    path: Path,
    layer: str,
    raw: RawFile,
    mapping: FieldMapping | None,
    user_crs: CRS | None,
    repair: bool,
    date_order: DateOrder,
    fields: Mapping[str, str] | None = None,
    merge_twins: bool | None = None,
    workspace_crs: str | None = None,
) -> LoadedFile:
    source = str(path)
    frame = raw.frame
    assert frame is not None
    problems = list(raw.problems)
    notes = list(raw.notes)
    features_read = len(frame)
    if mapping is None:
        mapping = guess_mapping(frame.columns, layer=layer, driver=raw.driver)
    fields = fields or {}
    mapping, field_problems = _with_fields(mapping, fields, frame.columns, layer, source)
    problems += field_problems
    if fields:
        notes.append(
            "fields renamed on the command line: "
            + ", ".join(f"{t} from {c}" for t, c in fields.items())
        )
    skipped: int = 0
    dropped: list[str] = list(raw.dropped)
    if mapping is not None:
        frame, mapping_problems, skipped, filtered = mapping.apply(frame, source)
        dropped = filtered + dropped
        problems += mapping_problems
        notes.append(f"fields mapped with the {mapping.name} mapping ({mapping.origin})")
    else:
        frame = normalise_names(frame, SCHEMAS[layer])
    frame, crs_problems = _set_crs(frame, user_crs, mapping, source, layer, notes)
    problems += crs_problems
    if frame.empty:  # say so once, not once per missing field
        problems.append(_no_features(source, layer, raw.source_layer, mapping, skipped, dropped))
        return LoadedFile(
            path, layer, _empty_frame(), problems, raw.source_layer,
            mapping.name if mapping else None, crs_name(frame.crs), features_read, skipped, notes,
            dropped,
        )  # fmt: skip
    clean, found = validate_layer(frame, layer, source=source, repair=repair, date_order=date_order)
    problems += [p for p in found if not (p.rule == "geometry-null" and p.feature_id in raw.broken)]
    crs_wrong = any(p.rule.startswith("crs-") and p.severity == "error" for p in problems)
    file_crs = crs_name(clean.crs)
    if clean.crs is not None and not crs_wrong:
        choice = _target_crs(clean, workspace_crs)
        if choice.reason:
            notes.append(f"a new workspace is stored in {choice.crs}: {choice.reason}")
        if not clean.crs.equals(choice.crs):
            clean = clean.to_crs(choice.crs)
            notes.append(f"reprojected from {file_crs} to {choice.crs}")
        problems += _far_from_zone(clean, source, layer)
    loaded = LoadedFile(
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
        dropped=dropped,
    )
    if merge_twins is None:
        merge_twins = bool(mapping and mapping.merge_twins)
    if merge_twins and layer == "streets" and not loaded.errors:
        carriageways = mapping.carriageway_distance_m if mapping else CARRIAGEWAY_DISTANCE_M
        _merge_twin_streets(loaded, carriageways)
    return loaded


def _no_features(
    source: str,
    layer: str,
    source_layer: str | None,
    mapping: FieldMapping | None,
    skipped: int,
    dropped: Sequence[str] = (),
) -> Problem:
    named = source_layer and source_layer != Path(source).stem
    where = f"layer {source_layer!r} of the file" if named else "the file"
    message = f"{where} has no features"
    if skipped and mapping is not None:
        message += f" left once the {mapping.name} mapping skipped {skipped}"
    if dropped:
        message += " (" + "; ".join(dropped) + ")"
    return make_problem(
        source,
        layer,
        "empty",
        message,
        "check that this is the right file (and layer: --source-layer) for " + layer,
    )


def _target_crs(frame: gpd.GeoDataFrame, workspace_crs: str | None) -> CrsChoice:
    """Return the CRS the features go into; the reason is empty unless it was chosen here."""
    if workspace_crs is not None:
        return CrsChoice(workspace_crs, "")
    choice = frame_crs_choice(frame)
    if choice is None or choice.crs == DEFAULT_WORKSPACE_CRS:
        return CrsChoice(DEFAULT_WORKSPACE_CRS, "")
    return choice


def _far_from_zone(frame: gpd.GeoDataFrame, source: str, layer: str) -> list[Problem]:
    """Warn when the data lies where its (the workspace's) CRS draws lengths too long or short."""
    points = lonlat_extent(frame)
    if not points:
        return []
    code = crs_code(frame.crs)
    worst = worst_fit(points, code)
    if not worst.far:
        return []
    (lon, lat), own = points[-1], choose_workspace_crs(points, frame.crs)
    if own.crs != code:
        fix = f"import it into a new workspace, which takes {own.crs} for this place, or read "
    else:  # the data spans more than one zone can hold
        fix = "import each part of the data into a workspace of its own, or read "
    return [
        make_problem(
            source, layer, "crs-far-from-zone",
            f"the data lies around {abs(lon):.2f}°{'E' if lon >= 0 else 'W'}, "
            f"{abs(lat):.2f}°{'N' if lat >= 0 else 'S'}, where the workspace's {code} draws "
            f"lengths up to {100 * worst.length_error:.2f} % off, and so are metres, costs "
            "and the drop distance",
            fix + "its figures with that in mind",
            field="geometry", severity="warning",
        )
    ]  # fmt: skip


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
    date_order: DateOrder = "auto",
) -> gpd.GeoDataFrame:
    """Read a file as a validated layer in the workspace CRS, or raise.

    Takes the parameters of :func:`load_file`.

    Raises
    ------
    InputError
        Carrying every problem, when the file has any error.
    """
    loaded = load_file(
        path,
        layer,
        crs=crs,
        source_layer=source_layer,
        mapping=mapping,
        repair=repair,
        date_order=date_order,
    )
    require_valid(loaded.problems)
    return loaded.frame


def read_as_built(
    path: str | Path,
    *,
    crs: str | None = None,
    source_layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read an as-built file (the lines a contractor measured in) as ducts, or raise.

    Any format :func:`load_file` reads; the lines need no ``id`` (they are
    numbered ``as-built-1``, ...) and no other field: the recording gives the
    dig, the year and the owner.

    Raises
    ------
    InputError
        Carrying every problem (no lines, not lines, no CRS, ...), naming the file.
    MissingInputError
        When the file does not exist.
    """
    path = Path(path)
    source = str(path)
    require_file(path)
    user_crs = _parse_crs(crs, source, "ducts")
    if path.stat().st_size == 0:
        raise InputError(
            [
                make_problem(
                    source, "ducts", "empty-file", "the file is empty (0 bytes)", "export it again"
                )
            ]
        )
    raw = (
        read_tabular(path, "ducts", None)
        if is_table(path)
        else read_vector(path, "ducts", source_layer, None)
    )
    if raw.frame is None:
        raise InputError(raw.problems or [_no_features(source, "ducts", source_layer, None, 0)])
    frame = raw.frame
    if "id" not in {str(c).lower() for c in frame.columns}:
        frame = frame.assign(id=[f"as-built-{i + 1}" for i in range(len(frame))])
    loaded = _finish(path, "ducts", replace(raw, frame=frame), raw.mapping, user_crs, False, "auto")
    require_valid(loaded.problems)
    return loaded.frame


AREA_LAYER = "area"
"""The name problems with an enquiry-area file are reported under."""


def read_enquiry_area(
    path: str | Path,
    *,
    crs: str | None = None,
    source_layer: str | None = None,
) -> BaseGeometry:
    """Read an enquiry area (a LER *graveområde*): the union of a file's polygons, or raise.

    Any format :func:`load_file` reads; the polygons need no field. The
    result is in EPSG:25832, the CRS of LER.

    Raises
    ------
    InputError
        Naming the file: nothing to read, no CRS, or features that are not
        polygons (by id or row).
    MissingInputError
        When the file does not exist.
    """
    path = Path(path)
    source = str(path)
    require_file(path)
    user_crs = _parse_crs(crs, source, AREA_LAYER)
    raw = (
        read_tabular(path, AREA_LAYER, None)
        if is_table(path)
        else read_vector(path, AREA_LAYER, source_layer, None)
    )
    if raw.frame is None or raw.frame.empty:
        raise InputError(raw.problems or [_no_features(source, AREA_LAYER, source_layer, None, 0)])
    frame, problems = _set_crs(raw.frame, user_crs, None, source, AREA_LAYER, [])
    problems = [p for p in problems if p.severity == "error"]
    if frame.crs is None:
        problems.append(make_problem(
            source, AREA_LAYER, "crs-missing", "the file declares no coordinate reference system",
            "save the file with its CRS (for a shapefile, its .prj)", field="geometry",
        ))  # fmt: skip
    kinds = frame.geometry.geom_type.to_numpy()
    for row in np.flatnonzero(~np.isin(kinds, ["Polygon", "MultiPolygon"])):
        problems.append(make_problem(
            source, AREA_LAYER, "geometry-type",
            f"feature {row + 1} is a {kinds[row] or 'missing geometry'}, not a polygon",
            "draw the enquiry area as polygons", field="geometry", feature_id=f"row {row + 1}",
        ))  # fmt: skip
    if problems:
        raise InputError(problems)
    return frame.to_crs(DEFAULT_WORKSPACE_CRS).geometry.union_all()
