"""Field mappings: how a foreign file's fields and values fill a layer's schema.

A mapping renames a foreign schema's fields and translates its values onto a
layer; the TOML format is described in :mod:`ductplanner.io.importer`.
Built-in mappings live in ``ductplanner/mappings/*.toml`` (:func:`builtin_mappings`).
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from pyproj.exceptions import CRSError

from ..core._errors import InputError, MissingInputError, Problem
from ..model.layers import INPUT_LAYERS, SCHEMAS, LayerSchema, may_need_strip
from ..model.parallel import CARRIAGEWAY_DISTANCE_M

__all__ = [
    "FieldMapping",
    "FieldRule",
    "GeometryColumns",
    "as_text",
    "builtin_mappings",
    "column_lookup",
    "crs_or_none",
    "did_you_mean",
    "guess_mapping",
    "load_mapping",
    "make_problem",
    "normalise_names",
    "template_fields",
    "text_of",
]


def make_problem(
    source: str,
    layer: str,
    rule: str,
    message: str,
    hint: str = "",
    *,
    feature_id: str = "",
    field: str = "",
    severity: str = "error",
) -> Problem:
    """Return a :class:`Problem` found while reading ``source`` as ``layer``."""
    return Problem(source, layer, feature_id, field, rule, message, hint, severity)


_MAPPING_KEYS = {
    "name",
    "title",
    "description",
    "layer",
    "detect",
    "drivers",
    "source_layer",
    "keep",
    "crs",
    "extends",
    "fields",
    "filter",
    "geometry",
    "group",
    "merge_twins",
    "carriageway_distance_m",
}
_RULE_KEYS = {"source", "template", "value", "values", "default", "unmapped"}
_MAX_CARRIAGEWAY_M = 50.0  # wider apart, two lines are two roads
_DROPPED_IDS = 10  # ids named per reason a filter dropped features for
_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class FieldRule:
    """How one target field of a layer is filled from a foreign file.

    Parameters
    ----------
    target : str
        The layer's field.
    sources : tuple of str
        Foreign fields, tried in order per feature (case-insensitive names).
    template : str, optional
        Text built from foreign fields, e.g. ``"w{osm_id}"``.
    value : Any, optional
        One value for every feature.
    values : dict
        Foreign value (lower case) to layer value.
    patterns : tuple of (str, Any)
        Wildcard patterns (lower case, ``*`` and ``?``) to layer value, in order.
    default : Any, optional
        Used where every source is empty.
    unmapped : Any, optional
        Used where a value is not in ``values``/``patterns``; when ``None`` the
        foreign value is kept (and refused by validation if not allowed).
    """

    target: str
    sources: tuple[str, ...] = ()
    template: str | None = None
    value: Any = None
    values: Mapping[str, Any] = field(default_factory=dict)
    patterns: tuple[tuple[str, Any], ...] = ()
    default: Any = None
    unmapped: Any = None

    @property
    def translates(self) -> bool:
        """Whether the rule maps values (not only renames a field)."""
        return bool(self.values or self.patterns)


@dataclass(frozen=True)
class GeometryColumns:
    """Where a table (CSV) keeps its geometry: a WKT column or x and y columns."""

    x: str | None = None
    y: str | None = None
    wkt: str | None = None
    crs: str | None = None
    assumed: bool = False

    def columns(self) -> tuple[str, ...]:
        """Return the columns this geometry needs."""
        return (self.wkt,) if self.wkt else (str(self.x), str(self.y))


@dataclass(frozen=True)
class FieldMapping:
    """A foreign schema mapped onto one layer (see the module docstring).

    Build one with :func:`load_mapping`; apply it with :meth:`apply`.
    """

    name: str
    layer: str
    origin: str
    title: str = ""
    detect: tuple[str, ...] = ()
    drivers: tuple[str, ...] = ()
    source_layer: str | None = None
    keep: tuple[str, ...] = ()
    crs: str | None = None
    rules: tuple[FieldRule, ...] = ()
    require: tuple[str, ...] = ()
    exclude: Mapping[str, frozenset[str]] = field(default_factory=dict)
    geometry: tuple[GeometryColumns, ...] = ()
    group_by: str | None = None
    group_count: str | None = None
    merge_twins: bool = False
    carriageway_distance_m: float = CARRIAGEWAY_DISTANCE_M

    def matches(self, columns: Iterable[str], driver: str | None = None) -> int:
        """Return how strongly a file's fields (or driver) match; 0 for no match."""
        if driver and driver in self.drivers:
            return 100
        names = {str(c).lower() for c in columns}
        if self.detect and all(d.lower() in names for d in self.detect):
            return len(self.detect)
        return 0

    def apply(
        self, frame: gpd.GeoDataFrame, source: str = "<memory>"
    ) -> tuple[gpd.GeoDataFrame, list[Problem], int, list[str]]:
        """Map a foreign frame onto the layer's fields.

        Parameters
        ----------
        frame : GeoDataFrame
            Features as read from the foreign file.
        source : str
            File name for problems.

        Returns
        -------
        mapped : GeoDataFrame
            The layer's fields (those the mapping or the file provides), the
            kept foreign fields, the geometry; indexed like the surviving rows.
        problems : list of Problem
            Warnings about values the mapping does not list and fields it
            refers to that the file lacks.
        skipped : int
            Features dropped by ``[filter]`` or merged by ``[group]``.
        dropped : list of str
            What ``[filter]`` dropped, one line per reason with the count and
            the first ids (``3 with highway = proposed: w12, w40, w41``).
        """
        problems: list[Problem] = []
        n_in = len(frame)
        frame, dropped = self._filtered(frame, source, problems)
        frame = self._grouped(frame)
        skipped = n_in - len(frame)
        lookup = column_lookup(frame)
        columns: dict[str, pd.Series] = {}
        for rule in self.rules:
            values = self._apply_rule(rule, frame, lookup, source, problems)
            if values is not None:
                columns[rule.target] = values
        schema = SCHEMAS[self.layer]
        for name in schema.field_names:
            if name not in columns and name.lower() in lookup:
                columns[name] = frame[lookup[name.lower()]]
        for name in self.keep:
            if name not in columns and name.lower() in lookup:
                columns[name] = frame[lookup[name.lower()]]
        mapped = gpd.GeoDataFrame(
            pd.DataFrame(columns, index=frame.index),
            geometry=frame.geometry.values,
            crs=frame.crs,
        )
        mapped.index = frame.index
        return mapped, problems, skipped, dropped

    def _filtered(
        self, frame: gpd.GeoDataFrame, source: str, problems: list[Problem]
    ) -> tuple[gpd.GeoDataFrame, list[str]]:
        """Return the features ``[filter]`` keeps, and what it dropped for which reason."""
        lookup = column_lookup(frame)
        keep = np.ones(len(frame), dtype=bool)
        reasons: list[tuple[str, np.ndarray]] = []
        if self.require:
            present = [lookup[r.lower()] for r in self.require if r.lower() in lookup]
            if not present:
                problems.append(
                    make_problem(
                        source,
                        self.layer,
                        "mapping-field",
                        f"the file has none of the fields {', '.join(self.require)} that the "
                        f"{self.name} mapping needs to pick features",
                        "check that the file is in the format of the mapping, or choose "
                        "another mapping with --mapping",
                        field=self.require[0],
                    )
                )
            has_any = np.zeros(len(frame), dtype=bool)
            for col in present:
                has_any |= as_text(frame[col]).notna().to_numpy(dtype=bool)
            reasons.append((f"without {' or '.join(self.require)}", ~has_any))
            keep &= has_any
        for name, excluded in self.exclude.items():
            if name.lower() in lookup:
                text = as_text(frame[lookup[name.lower()]]).str.lower()
                out = text.isin(excluded).fillna(False).to_numpy(dtype=bool)
                for value in sorted(set(text[out & keep])):
                    reasons.append((f"with {name} = {value}", keep & (text == value).to_numpy()))
                keep &= ~out
        if keep.all():
            return frame, []
        return frame[keep], self._dropped_lines(frame, reasons, lookup)

    def _dropped_lines(
        self,
        frame: gpd.GeoDataFrame,
        reasons: Sequence[tuple[str, np.ndarray]],
        lookup: Mapping[str, str],
    ) -> list[str]:
        """Return one line per reason: the count and the first ids, as the layer will name them."""
        id_rule = next((r for r in self.rules if r.target == "id"), None)
        ids = None if id_rule is None else self._apply_rule(id_rule, frame, lookup, "", [])
        if ids is None:
            ids = pd.Series([f"row {i + 1}" for i in range(len(frame))], index=frame.index)
        lines = []
        for reason, mask in reasons:
            count = int(mask.sum())
            if count:
                named = ", ".join(text_of(v) for v in ids[mask].iloc[:_DROPPED_IDS])
                more = f" and {count - _DROPPED_IDS:,} more" if count > _DROPPED_IDS else ""
                lines.append(f"{count:,} {reason}: {named}{more}")
        return lines

    def _grouped(self, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        if not self.group_by or not self.group_count:
            return frame
        lookup = column_lookup(frame)
        if self.group_by.lower() not in lookup:
            return frame
        key = as_text(frame[lookup[self.group_by.lower()]])
        has_key = key.notna().to_numpy(dtype=bool)
        first = ~key.duplicated().to_numpy(dtype=bool) | ~has_key
        counts = key[has_key].value_counts()
        out = frame[first].copy()
        out[self.group_count] = key[first].map(counts).fillna(1).astype("int64").to_numpy()
        return out

    def _apply_rule(
        self,
        rule: FieldRule,
        frame: pd.DataFrame,
        lookup: Mapping[str, str],
        source: str,
        problems: list[Problem],
    ) -> pd.Series | None:
        if rule.value is not None:
            return pd.Series([rule.value] * len(frame), index=frame.index, dtype="object")
        if rule.template is not None:
            return self._apply_template(rule, frame, lookup, source, problems)
        present = [lookup[s.lower()] for s in rule.sources if s.lower() in lookup]
        if not present:
            if rule.default is None:
                return None
            return pd.Series([rule.default] * len(frame), index=frame.index, dtype="object")
        if not rule.translates:
            result = _coalesce([frame[c] for c in present])
        else:
            result = self._translate(rule, frame, present, source, problems)
        if rule.default is not None:
            result = result.astype("object").where(result.notna(), rule.default)
        return result

    def _apply_template(
        self,
        rule: FieldRule,
        frame: pd.DataFrame,
        lookup: Mapping[str, str],
        source: str,
        problems: list[Problem],
    ) -> pd.Series | None:
        template = str(rule.template)
        names = template_fields(template)
        missing = [n for n in names if n.lower() not in lookup]
        if missing:
            have = ", ".join(str(c) for c in frame.columns if c != "geometry") or "none"
            problems.append(
                make_problem(
                    source,
                    self.layer,
                    "mapping-field",
                    f"the {self.name} mapping builds {rule.target!r} from "
                    f"{', '.join(missing)}, which the file does not have (fields: {have})",
                    "check that the file is in the format of the mapping, or write a "
                    "mapping of your own and pass it with --mapping",
                    field=rule.target,
                )
            )
            return None
        result = pd.Series("", index=frame.index, dtype="string")
        for literal, name in zip(_TEMPLATE_FIELD.split(template)[::2], [*names, None], strict=True):
            result = result + literal
            if name is not None:
                result = result + as_text(frame[lookup[name.lower()]])
        return result.astype("object").where(result.notna(), None)

    def _translate(
        self,
        rule: FieldRule,
        frame: pd.DataFrame,
        present: list[str],
        source: str,
        problems: list[Problem],
    ) -> pd.Series:
        result = pd.Series(pd.NA, index=frame.index, dtype="object")
        first_raw = pd.Series(pd.NA, index=frame.index, dtype="object")
        first_field = pd.Series(pd.NA, index=frame.index, dtype="object")
        for column in present:
            text = as_text(frame[column])
            mapped = _lookup_values(text, rule)
            take = result.isna() & mapped.notna()
            result = result.where(~take, mapped)
            first = first_raw.isna() & text.notna()
            first_raw = first_raw.where(~first, text.astype("object"))
            first_field = first_field.where(~first, column)
        unresolved = result.isna() & first_raw.notna()
        if unresolved.any():
            if rule.unmapped is not None:
                result = result.where(~unresolved, rule.unmapped)
                unmapped = pd.DataFrame({"field": first_field, "value": first_raw})[unresolved]
                for (name, value), count in unmapped.value_counts(sort=False).items():
                    problems.append(
                        make_problem(
                            source,
                            self.layer,
                            "mapping-unmapped",
                            f"{count} feature(s) have {name} {value!r}, which the {self.name} "
                            f"mapping does not list; {rule.target} set to {rule.unmapped!r}",
                            f"add {value!r} under [fields.{rule.target}.values] in a mapping "
                            "file if another value fits better",
                            field=rule.target,
                            severity="warning",
                        )
                    )
            else:
                result = result.where(~unresolved, first_raw)
        return result.where(result.notna(), None)


def template_fields(template: str) -> list[str]:
    """Return the foreign fields a template names, in order.

    >>> template_fields("w{osm_id}-{name}")
    ['osm_id', 'name']
    """
    return list(_TEMPLATE_FIELD.findall(template))


def column_lookup(frame: pd.DataFrame) -> dict[str, str]:
    """Map lower-case column names to the frame's own (first wins)."""
    lookup: dict[str, str] = {}
    for column in frame.columns:
        lookup.setdefault(str(column).lower(), column)
    return lookup


def text_of(value: Any) -> str:
    """Return a value as text, whole floats without ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def as_text(values: pd.Series) -> pd.Series:
    """Return values as stripped text (string dtype), blanks as missing.

    Whole floats print without ``.0`` (``4613900.0`` -> ``"4613900"``).
    """
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        text = values.astype("string")
    elif pd.api.types.is_float_dtype(dtype):
        finite = values.dropna()
        whole = bool(((finite % 1) == 0).all()) and bool((finite.abs() < 2**53).all())
        text = values.astype("Int64").astype("string") if whole else values.astype("string")
    else:
        objects = values.astype("object")
        kind = pd.api.types.infer_dtype(objects, skipna=True)
        if kind in ("string", "empty"):
            text = objects.astype("string")
        else:
            text = objects.map(text_of, na_action="ignore").astype("string")
    if may_need_strip(text, text.isna().to_numpy(dtype=bool)):
        text = text.str.strip()
        return text.mask(text == "")
    return text


def _coalesce(columns: Sequence[pd.Series]) -> pd.Series:
    """Per row, the first non-empty value of the columns (in order)."""
    result = columns[0].astype("object")
    result = result.where(as_text(columns[0]).notna(), None)
    for column in columns[1:]:
        empty = result.isna()
        if not empty.any():
            break
        fill = column.astype("object").where(as_text(column).notna(), None)
        result = result.where(~empty, fill)
    return result


def _lookup_values(text: pd.Series, rule: FieldRule) -> pd.Series:
    """Translate text through a rule's exact values, then its patterns."""
    key = text.str.lower()
    mapped = key.map(rule.values).astype("object") if rule.values else key.astype("object")
    if not rule.values:
        mapped[:] = pd.NA
    mapped = mapped.where(pd.notna(mapped), pd.NA)
    for pattern, target in rule.patterns:
        todo = mapped.isna() & key.notna()
        if not todo.any():
            break
        regex = fnmatch.translate(pattern)
        hit = key[todo].str.fullmatch(regex).fillna(False).astype(bool)
        mapped.loc[hit[hit].index] = target
    return mapped


def _mapping_folder() -> Any:
    return resources.files("ductplanner").joinpath("mappings")


@cache
def _builtin_tables() -> dict[str, tuple[str, dict[str, Any]]]:
    tables = {}
    for entry in _mapping_folder().iterdir():
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            tables[str(data.get("name", entry.name[:-5]))] = (f"built-in:{entry.name}", data)
    return tables


def builtin_mappings() -> dict[str, FieldMapping]:
    """Return the built-in mappings by name (geodanmark, vejman, osm, dar, ...)."""
    return {
        name: _parse_mapping(data, origin) for name, (origin, data) in _builtin_tables().items()
    }


def load_mapping(spec: str | Path) -> FieldMapping:
    """Return a mapping: a built-in one by name, or one read from a TOML file.

    Parameters
    ----------
    spec : str or Path
        ``geodanmark``, ``vejman``, ``osm``, ``dar``, ... or a path to a TOML file.

    Raises
    ------
    MissingInputError
        When the TOML file does not exist.
    InputError
        When the name is unknown, or the file has unknown keys, fields the
        layer does not have, or values the layer does not allow.
    """
    text = str(spec)
    builtins = _builtin_tables()
    if text in builtins:
        origin, data = builtins[text]
        return _parse_mapping(data, origin)
    path = Path(text)
    if path.suffix.lower() != ".toml" and not path.exists():
        raise InputError(
            [
                make_problem(
                    text,
                    "",
                    "mapping-unknown",
                    f"there is no built-in mapping called {text!r}",
                    f"use one of {', '.join(sorted(builtins))}, or the path of a TOML mapping file",
                )
            ]
        )
    if not path.exists():
        raise MissingInputError(f"mapping file {path} does not exist{did_you_mean(path)}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            [
                make_problem(
                    str(path),
                    "",
                    "mapping-syntax",
                    f"the mapping file is not valid TOML: {exc}",
                    "fix the TOML syntax (quote keys that hold spaces or æ, ø, å)",
                )
            ]
        ) from exc
    base = data.get("extends")
    if isinstance(base, str):
        if base not in builtins:
            raise InputError(
                [
                    make_problem(
                        str(path),
                        "",
                        "mapping-unknown",
                        f"extends = {base!r}, which is not a built-in mapping",
                        f"use one of {', '.join(sorted(builtins))}",
                        field="extends",
                    )
                ]
            )
        data = _merged(builtins[base][1], {k: v for k, v in data.items() if k != "extends"})
    data.setdefault("name", path.stem)
    return _parse_mapping(data, str(path))


def _merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if key in out and isinstance(out[key], Mapping) and isinstance(value, Mapping):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _parse_mapping(data: Mapping[str, Any], origin: str) -> FieldMapping:
    """Check a mapping's TOML table and build it, collecting every problem."""
    problems: list[Problem] = []
    layer = str(data.get("layer", ""))

    def bad(key: str, message: str, hint: str) -> None:
        problems.append(make_problem(origin, layer, "mapping", message, hint, field=key))

    for key in sorted(set(data) - _MAPPING_KEYS):
        bad(key, f"unknown key {key!r}", f"use only: {', '.join(sorted(_MAPPING_KEYS))}")
    if layer not in INPUT_LAYERS:
        bad(
            "layer",
            f"layer = {layer!r} is not a layer that can be imported",
            f"set layer to one of: {', '.join(INPUT_LAYERS)}",
        )
        raise InputError(problems)
    schema = SCHEMAS[layer]
    rules = [_parse_rule(target, spec, schema, bad) for target, spec in _fields(data, bad)]
    filters = data.get("filter", {})
    exclude = {
        str(k): frozenset(str(v).lower() for v in _as_tuple(vs))
        for k, vs in dict(filters.get("exclude", {})).items()
    }
    geometry = []
    for spec in data.get("geometry", []):
        if not (spec.get("wkt") or (spec.get("x") and spec.get("y"))):
            bad("geometry", "a [[geometry]] entry needs wkt, or x and y", 'e.g. x = "east"')
            continue
        geometry.append(
            GeometryColumns(
                x=spec.get("x"), y=spec.get("y"), wkt=spec.get("wkt"), crs=spec.get("crs")
            )
        )
    group = dict(data.get("group", {}))
    if group and group.get("count") not in schema.field_names:
        bad("group", "[group] count must name a field of the layer", 'e.g. count = "units"')
    for key, value in (("crs", data.get("crs")), *(("geometry.crs", g.crs) for g in geometry)):
        if value is not None and crs_or_none(str(value)) is None:
            bad(key, f"{value!r} is not a coordinate reference system", 'write e.g. "EPSG:25832"')
    merge_twins = data.get("merge_twins", False)
    if not isinstance(merge_twins, bool) or (merge_twins and layer != "streets"):
        bad(
            "merge_twins",
            f"merge_twins = {merge_twins!r}: it is true or false, and true only for streets",
            "write merge_twins = true in a streets mapping whose roads are drawn side by side",
        )
    carriageways = data.get("carriageway_distance_m", CARRIAGEWAY_DISTANCE_M)
    if (
        isinstance(carriageways, bool)
        or not isinstance(carriageways, int | float)
        or not 1 <= carriageways <= _MAX_CARRIAGEWAY_M
        or (carriageways != CARRIAGEWAY_DISTANCE_M and not merge_twins)
    ):
        bad(
            "carriageway_distance_m",
            f"carriageway_distance_m = {carriageways!r}: it is metres, 1 to "
            f"{_MAX_CARRIAGEWAY_M:.0f}, and only beside merge_twins = true",
            "write e.g. carriageway_distance_m = 20.0 (a dual road's carriageways, OSM) "
            "under merge_twins = true",
        )
    if problems:
        raise InputError(problems, summary=f"the field mapping {origin} is wrong")
    return FieldMapping(
        name=str(data.get("name", Path(origin).stem)),
        layer=layer,
        origin=origin,
        title=str(data.get("title", "")),
        detect=_as_tuple(data.get("detect")),
        drivers=_as_tuple(data.get("drivers")),
        source_layer=data.get("source_layer"),
        keep=_as_tuple(data.get("keep")),
        crs=data.get("crs"),
        rules=tuple(r for r in rules if r is not None),
        require=_as_tuple(filters.get("require")),
        exclude=exclude,
        geometry=tuple(geometry),
        group_by=group.get("by"),
        group_count=group.get("count"),
        merge_twins=bool(merge_twins),
        carriageway_distance_m=float(carriageways),
    )


def _fields(data: Mapping[str, Any], bad: Any) -> list[tuple[str, Any]]:
    fields = data.get("fields", {})
    if not isinstance(fields, Mapping):
        bad("fields", "[fields] must be a table", 'e.g. [fields]\nname = "vejnavn"')
        return []
    return list(fields.items())


def _parse_rule(target: str, spec: Any, schema: LayerSchema, bad: Any) -> FieldRule | None:
    key = f"fields.{target}"
    if target not in schema.field_names:
        bad(
            key,
            f"the mapping fills {target!r}, which layer {schema.name} does not have",
            f"map onto one of: {', '.join(schema.field_names)}",
        )
        return None
    if isinstance(spec, str | list):
        spec = {"source": spec}
    if not isinstance(spec, Mapping):
        bad(key, f"{key} must be a field name, a list of names or a table", 'e.g. source = "navn"')
        return None
    for extra in sorted(set(spec) - _RULE_KEYS):
        bad(
            f"{key}.{extra}", f"unknown key {extra!r}", f"use only: {', '.join(sorted(_RULE_KEYS))}"
        )
    if not any(k in spec for k in ("source", "template", "value")):
        bad(key, f"{key} needs source, template or value", 'e.g. source = ["navn", "name"]')
        return None
    values: dict[str, Any] = {}
    patterns: list[tuple[str, Any]] = []
    for raw, target_value in dict(spec.get("values", {})).items():
        text = str(raw).strip().lower()
        if any(ch in text for ch in "*?["):
            patterns.append((text, target_value))
        else:
            values[text] = target_value
    allowed = schema.field(target).allowed
    if allowed is not None:
        listed = [*values.values(), *(v for _, v in patterns)]
        listed += [spec[k] for k in ("default", "unmapped", "value") if k in spec]
        for value in sorted({str(v) for v in listed} - set(allowed)):
            bad(
                key,
                f"the mapping turns values into {value!r}, which {schema.name}.{target} "
                "does not allow",
                f"use one of: {', '.join(allowed)}",
            )
    return FieldRule(
        target=target,
        sources=_as_tuple(spec.get("source")),
        template=spec.get("template"),
        value=spec.get("value"),
        values=values,
        patterns=tuple(patterns),
        default=spec.get("default"),
        unmapped=spec.get("unmapped"),
    )


def guess_mapping(
    columns: Iterable[str], *, layer: str | None = None, driver: str | None = None
) -> FieldMapping | None:
    """Return the built-in mapping a file's fields (or GDAL driver) point to.

    Parameters
    ----------
    columns : iterable of str
        The file's field names.
    layer : str, optional
        Only consider mappings onto this layer.
    driver : str, optional
        The GDAL driver that reads the file (``"OSM"``...).

    Returns
    -------
    FieldMapping or None
        The best match, or ``None`` when no mapping fits.

    Examples
    --------
    >>> guess_mapping(["CPR_VEJNAVN", "VEJSTIKLASSE", "ADMVEJNR"]).name
    'vejman'
    >>> guess_mapping(["id", "owner", "start", "end"]) is None
    True
    """
    columns = list(columns)
    best: tuple[int, FieldMapping] | None = None
    for mapping in builtin_mappings().values():
        if layer is not None and mapping.layer != layer:
            continue
        score = mapping.matches(columns, driver)
        if score and (best is None or score > best[0]):
            best = (score, mapping)
    return None if best is None else best[1]


def normalise_names(frame: gpd.GeoDataFrame, schema: LayerSchema) -> gpd.GeoDataFrame:
    """Rename columns onto the schema's names: any case, or cut to 10 characters."""
    present = set(frame.columns)
    renames = {}
    for name in schema.field_names:
        if name in present:
            continue
        candidates = [
            c
            for c in frame.columns
            if isinstance(c, str) and c.lower() in {name, name[:10]} and c not in renames
        ]
        if len(candidates) == 1:
            renames[candidates[0]] = name
    return frame.rename(columns=renames) if renames else frame


def did_you_mean(path: Path) -> str:
    """Return a hint naming files close to a missing ``path`` (or ``""``)."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return f" (nor does the folder {parent})"
    names = [p.name for p in parent.iterdir() if not p.name.startswith(".")]
    close = difflib.get_close_matches(path.name, names, n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(close)}?" if close else ""


def crs_or_none(text: str) -> CRS | None:
    """Return the CRS ``text`` names, or ``None`` when it names none."""
    try:
        return CRS.from_user_input(text)
    except CRSError:
        return None
