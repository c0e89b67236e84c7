"""Validation of a layer against its schema.

:func:`validate_layer` checks a GeoDataFrame against its schema, collects
*every* problem (never stopping at the first), and returns the data
normalised: typed columns, defaults filled, multi-part geometries exploded
where the layer wants single parts.

>>> import geopandas as gpd
>>> from ductplanner.model.schemas import DEFAULT_WORKSPACE_CRS
>>> from shapely import LineString
>>> streets = gpd.GeoDataFrame(
...     {"id": ["s1"], "name": ["Hovedgaden"]},
...     geometry=[LineString([(710000, 6180000), (710100, 6180000)])],
...     crs=DEFAULT_WORKSPACE_CRS,
... )
>>> clean, problems = validate_layer(streets, "streets")
>>> problems
[]
>>> clean.loc[0, "road_class"]
'local'
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from ..core._errors import InputError, Problem
from .schemas import Field, LayerSchema, layer_schema

__all__ = [
    "DATE_ORDERS",
    "DateOrder",
    "check_crs",
    "explode_parts",
    "may_need_strip",
    "require_valid",
    "validate_layer",
]

DateOrder = Literal["auto", "dayfirst", "monthfirst"]
"""How to read dates written with numbers only, such as ``04-01-2026``."""
DATE_ORDERS: tuple[DateOrder, ...] = ("auto", "dayfirst", "monthfirst")

_TRUE = {"true", "t", "yes", "y", "1", "ja", "j", "sand"}
_FALSE = {"false", "f", "no", "n", "0", "nej", "falsk"}


@dataclass
class _Collector:
    """Collects the problems of one layer, with the feature ids to name."""

    source: str
    layer: str
    labels: pd.Series
    problems: list[Problem] = field(default_factory=list)

    def add(
        self, field_name: str, rule: str, message: str, hint: str = "", *, severity: str = "error"
    ) -> None:
        """Record a problem about the whole layer."""
        self.problems.append(
            Problem(self.source, self.layer, "", field_name, rule, message, hint, severity)
        )

    def add_rows(
        self,
        mask: np.ndarray | pd.Series,
        field_name: str,
        rule: str,
        message: Any,
        hint: str = "",
        *,
        severity: str = "error",
    ) -> None:
        """Record one problem per row where ``mask`` is true.

        ``message`` is a string, or a callable taking the row position and
        returning one (for messages that quote the bad value).
        """
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        for pos in positions:
            text = message(pos) if callable(message) else message
            self.problems.append(
                Problem(
                    self.source,
                    self.layer,
                    str(self.labels.iat[pos]),
                    field_name,
                    rule,
                    text,
                    hint,
                    severity,
                )
            )


def _feature_labels(frame: pd.DataFrame, id_field: str) -> pd.Series:
    """Return a label per row: its id where it has one, else ``row N`` (1-based)."""
    n = len(frame)
    if id_field not in frame.columns:
        return _row_labels(np.ones(n, dtype=bool))
    text = _coerce_str(frame[id_field].reset_index(drop=True), np.zeros(n, dtype=bool))[0]
    has_id = ~_is_missing(text)
    labels = text.where(has_id, None)
    if not has_id.all():
        labels[~has_id] = _row_labels(~has_id)[~has_id]
    return labels.astype("object")


def _row_labels(mask: np.ndarray) -> pd.Series:
    """Return ``row N`` (1-based) where ``mask`` is true, built without a Python loop."""
    numbers = pd.Series(np.arange(1, len(mask) + 1)).astype("string")
    return ("row " + numbers).astype("object").where(mask, None)


def _is_missing(values: pd.Series) -> np.ndarray:
    """Return where values are missing: NA/None/NaN, or text that is blank."""
    missing = values.isna().to_numpy(dtype=bool)
    if not (values.dtype == object or isinstance(values.dtype, pd.StringDtype)):
        return missing
    kind = _text_kind(values)
    if kind not in ("string", "mixed", "mixed-integer"):
        return missing  # no text at all, so nothing blank
    if kind == "string" and not may_need_strip(values, missing):
        return missing
    stripped = values.astype("object").str.strip()  # non-text values become NaN
    blank = (stripped == "").fillna(False).to_numpy(dtype=bool)
    return missing | blank


_WHITESPACE = re.compile(r"\s")


def may_need_strip(values: pd.Series, missing: np.ndarray) -> bool:
    """Whether any present text is empty or holds whitespace (so may need stripping).

    One C-level scan of the joined text instead of a Python call per value;
    the separator NUL is not whitespace, so a blank value shows as two NULs.
    """
    strings = values.to_numpy(dtype=object)[~missing]
    if len(strings) == 0:
        return False
    text = "\x00" + "\x00".join(strings) + "\x00"
    return "\x00\x00" in text or _WHITESPACE.search(text) is not None


def _text_kind(values: pd.Series) -> str:
    """Return pandas' inferred kind of the non-missing values (``string``, ``integer``...)."""
    return str(pd.api.types.infer_dtype(values, skipna=True))


def _coerce_str(values: pd.Series, missing: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    def text(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()

    kind = _text_kind(values)
    if kind == "string":
        objects = values.astype("object")
        absent = values.isna().to_numpy(dtype=bool)
        out = objects.str.strip() if may_need_strip(objects, absent) else objects.copy()
    elif kind in ("integer", "boolean"):
        out = values.astype("object").map(str, na_action="ignore")
    else:
        out = values.astype("object").map(text)
    out = out.astype("object")
    out[missing] = None
    return out, np.zeros(len(values), dtype=bool)


_INT64_LIMIT = 2.0**63


def _coerce_number(
    values: pd.Series, missing: np.ndarray, kind: str
) -> tuple[pd.Series, np.ndarray]:
    raw = values.astype("object")
    numbers = pd.to_numeric(raw, errors="coerce").astype("float64")  # C parser, strips spaces
    retry = numbers.isna().to_numpy(dtype=bool) & ~missing
    if retry.any():  # decimal commas ("2,5"), and text the parser refused
        text = raw[retry].map(lambda v: v.strip().replace(",", ".") if isinstance(v, str) else v)
        numbers[retry] = pd.to_numeric(text, errors="coerce").astype("float64")
    numbers[~np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))] = np.nan
    bad = numbers.isna().to_numpy(dtype=bool) & ~missing
    if kind == "int":
        unstorable = numbers.notna() & ((numbers % 1 != 0) | (numbers.abs() >= _INT64_LIMIT))
        bad |= unstorable.to_numpy(dtype=bool)
        numbers = numbers.where(~unstorable)
        return numbers.round().astype("Int64"), bad
    return numbers.astype("Float64"), bad


def _coerce_bool(values: pd.Series, missing: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    def parse(v: Any) -> Any:
        if isinstance(v, bool | np.bool_):
            return bool(v)
        if isinstance(v, int | float | np.integer | np.floating) and v in (0, 1):
            return bool(v)
        if isinstance(v, str):
            s = v.strip().lower()
            if s in _TRUE:
                return True
            if s in _FALSE:
                return False
        return pd.NA

    if _text_kind(values) == "string":
        words = values.astype("object").str.strip().str.lower()
        parsed = pd.Series(pd.NA, index=values.index, dtype="object")
        parsed[words.isin(_TRUE).to_numpy(dtype=bool)] = True
        parsed[words.isin(_FALSE).to_numpy(dtype=bool)] = False
    else:
        parsed = values.astype("object").map(parse)
    parsed[missing] = pd.NA
    bad = parsed.isna().to_numpy(dtype=bool) & ~missing
    return parsed.astype("boolean"), bad


_YEAR_FIRST = re.compile(r"^\d{4}(?:\D|\d{4}$)")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T]\S.*)?$")
_FLAGS = {"dayfirst": "--dayfirst", "monthfirst": "--monthfirst"}
_FORMS = {"dayfirst": "DD-MM-YYYY", "monthfirst": "MM/DD/YYYY"}


def _parse_date(v: Any, dayfirst: bool = True) -> Any:
    """Parse one date: ISO and year-first forms as such, others day first (01-03-2024)."""
    stamp: Any = pd.NaT
    if isinstance(v, pd.Timestamp | dt.datetime | dt.date | np.datetime64):
        stamp = pd.Timestamp(v)
    elif isinstance(v, str):
        s = v.strip()
        orders = (False, True) if _YEAR_FIRST.match(s) else (dayfirst, not dayfirst)
        for order in orders:
            try:
                stamp = pd.to_datetime(s, dayfirst=order, format="mixed")
            except (ValueError, OverflowError):
                continue
            if not pd.isna(stamp):
                break
    if not pd.isna(stamp) and stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp


def _iso_dates(text: pd.Series) -> pd.Series:
    """Parse ISO 8601 text in one go; NaT where it is not ISO (or offsets are mixed)."""
    try:
        stamps = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except (ValueError, OverflowError):
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    return stamps


@dataclass(frozen=True)
class _NumericDates:
    """The dates of a column written with numbers only (``4/1/2026``), both ways."""

    rows: np.ndarray  # positions of the numeric dates in the column
    first: np.ndarray  # the number written first, second, and the full year
    second: np.ndarray
    year: np.ndarray

    @classmethod
    def of(cls, text: pd.Series, candidates: np.ndarray) -> _NumericDates:
        parts = text[candidates].str.extract(_NUMERIC_DATE)
        found = parts[0].notna().to_numpy(dtype=bool)
        rows = np.flatnonzero(candidates)[found]
        parts = parts[found]
        year = parts[3].astype(int).to_numpy()
        year = np.where(parts[3].str.len().to_numpy() == 2, 2000 + year, year)
        return cls(rows, parts[0].astype(int).to_numpy(), parts[2].astype(int).to_numpy(), year)

    def only(self, order: str) -> np.ndarray:
        """Which dates only ``order`` can read (the other way a month would pass 12)."""
        day, month = (self.first, self.second) if order == "dayfirst" else (self.second, self.first)
        return (day > 12) & (month <= 12)

    def ambiguous(self) -> np.ndarray:
        """Which dates read as two different days."""
        return (self.first <= 12) & (self.second <= 12) & (self.first != self.second)

    def read(self, order: str) -> pd.Series:
        """Read the dates ``order``; NaT where that reading is no date."""
        day, month = (self.first, self.second) if order == "dayfirst" else (self.second, self.first)
        parts = pd.DataFrame({"year": self.year, "month": month, "day": day})
        return pd.Series(pd.to_datetime(parts, errors="coerce").to_numpy(), index=self.rows)


def _numeric_text(values: pd.Series, missing: np.ndarray) -> pd.Series:
    """Return the stripped text of the values that are neither missing nor ISO dates."""
    objects = values.astype("object")
    if _text_kind(objects) != "string":
        return pd.Series([], dtype="object")
    text = objects.str.strip()
    keep = ~missing & _iso_dates(text.where(~missing)).isna().to_numpy(dtype=bool)
    return text[keep]


def _layer_date_order(
    frame: pd.DataFrame, fields: Iterable[Field], order: DateOrder, col: _Collector
) -> str:
    """Choose how the layer's numeric dates read: one way for all its date columns.

    One export wrote them all, so a date that reads only one way in any
    column tells the reading of the others. Under ``auto``, a warning names
    the reading when some dates read two ways, and an error when the dates
    do not agree on one.
    """
    if order != "auto":
        return order
    present = [f.name for f in fields if f.type == "date" and f.name in frame.columns]
    texts = [_numeric_text(frame[n].reset_index(drop=True), _is_missing(frame[n])) for n in present]
    names = [n for n, t in zip(present, texts, strict=True) for _ in range(len(t))]
    text = pd.concat(texts, ignore_index=True) if texts else pd.Series([], dtype="object")
    dates = _NumericDates.of(text, np.ones(len(text), dtype=bool))
    day_only, month_only = dates.only("dayfirst"), dates.only("monthfirst")
    ambiguous = dates.ambiguous()
    where = ", ".join(sorted(set(names), key=present.index)) or ""

    def example(mask: np.ndarray) -> str:
        row = int(dates.rows[np.flatnonzero(mask)[0]])
        value = repr(text.iat[row])
        return f"{value} ({names[row]})" if len(present) > 1 else value

    if day_only.any() and month_only.any():
        col.add(
            where,
            "date-reading",
            f"the dates are written both day first ({example(day_only)}) and month first "
            f"({example(month_only)}); they cannot be read one way",
            "write the dates as YYYY-MM-DD, or choose the reading with --dayfirst or "
            "--monthfirst and correct the dates that do not fit it",
        )
        return "dayfirst"
    chosen = "monthfirst" if month_only.any() else "dayfirst"
    if ambiguous.any():
        col.add(
            where,
            "date-reading",
            _reading_message(dates, ambiguous, day_only | month_only, chosen, example),
            f"pass {_FLAGS[_OTHER[chosen]]} if the dates are written {_FORMS[_OTHER[chosen]]}, "
            f"or {_FLAGS[chosen]} to confirm",
            severity="warning",
        )
    return chosen


_OTHER = {"dayfirst": "monthfirst", "monthfirst": "dayfirst"}


def _reading_message(
    dates: _NumericDates,
    ambiguous: np.ndarray,
    telling: np.ndarray,
    chosen: str,
    example: Callable[[np.ndarray], str],
) -> str:
    first = int(np.flatnonzero(ambiguous)[0])
    read = dates.read(chosen).iat[first]
    why = (
        f"as {example(telling)} can only be read so"
        if telling.any()
        else "the Danish way, as no date shows which way they are written"
    )
    n = int(ambiguous.sum())
    which = "1 date reads" if n == 1 else f"{n} dates read"
    way = "month" if chosen == "monthfirst" else "day"
    return f"{which} two ways; read {way} first, {why}: {example(ambiguous)} is {read:%Y-%m-%d}"


def _coerce_date(
    values: pd.Series, missing: np.ndarray, order: str = "dayfirst"
) -> tuple[pd.Series, np.ndarray]:
    """Parse a date column, reading numeric day/month dates ``order``.

    ISO 8601 is read as such, dates written with numbers only (``4/1/2026``)
    one way (``dayfirst`` or ``monthfirst``), anything else as pandas can.
    """
    objects = values.astype("object")
    if _text_kind(objects) == "string":
        text = objects.str.strip()
        text[missing] = None
        stamps = _iso_dates(text).astype("object")
        rest = stamps.isna().to_numpy(dtype=bool) & ~missing
        if rest.any():
            numeric = _NumericDates.of(text, rest)
            if len(numeric.rows):
                stamps.iloc[numeric.rows] = numeric.read(order).astype("object").to_numpy()
                rest[numeric.rows] = False
            dayfirst = order == "dayfirst"
            stamps[rest] = text[rest].map(lambda v: _parse_date(v, dayfirst))
    else:
        stamps = objects.map(_parse_date)
    stamps[missing] = pd.NaT
    stamps = pd.to_datetime(stamps, errors="coerce")
    bad = stamps.isna().to_numpy(dtype=bool) & ~missing
    return stamps.dt.normalize().astype("datetime64[ms]"), bad


_COERCE = {
    "str": _coerce_str,
    "int": lambda v, m: _coerce_number(v, m, "int"),
    "float": lambda v, m: _coerce_number(v, m, "float"),
    "bool": _coerce_bool,
}
"""How to coerce each type but dates, which are read in the layer's order (:func:`_coerce_date`)."""

_ALIASES = {
    "id": ("objectid", "fid", "gml_id", "id_lokalid", "sagsnr", "sagsnummer", "løbenr", "nr"),
    "name": ("navn", "betegnelse", "skolenavn", "institution"),
    "owner": ("ejer", "selskab", "ledningsejer", "forsyning", "bygherre", "company"),
    "start": ("startdato", "start_dato", "fra", "fra_dato", "opstart", "from"),
    "end": ("slutdato", "slut_dato", "slut", "til", "til_dato", "to"),
    "purpose": ("formål", "formaal", "arbejde", "type"),
    "kind": ("type", "art", "kategori"),
    "units": ("husstande", "enheder", "boliger", "households"),
    "district": ("distrikt", "område", "omraade", "sogn"),
}
"""Column names, Danish ones among them, that often hold a layer field."""


def looks_like(name: str, columns: Iterable[str]) -> list[str]:
    """Return the columns that look like the field ``name``: a known alias, or nearly its name.

    >>> looks_like("owner", ["sagsnr", "Ejer", "start"])
    ['Ejer']
    >>> looks_like("units", ["unit", "navn"])
    ['unit']
    """
    columns = [str(c) for c in columns]
    aliases = set(_ALIASES.get(name, ()))
    found = [c for c in columns if c.lower() in aliases]
    by_lower = {c.lower(): c for c in columns}
    close = difflib.get_close_matches(name, list(by_lower), n=3, cutoff=0.75)
    found += [by_lower[c] for c in close if by_lower[c] not in found]
    return found


_TYPE_WORDS = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "date": "a date (YYYY-MM-DD)",
}


def _check_field(
    frame: pd.DataFrame,
    f: Field,
    col: _Collector,
    date_order: str = "dayfirst",
    asked: bool = False,
) -> pd.Series:
    """Coerce one column to its type and check it; return the normalised column."""
    n = len(frame)
    if f.name not in frame.columns:
        if f.required:
            columns = [str(c) for c in frame.columns if c != "geometry"]
            alike = looks_like(f.name, columns)
            like = f"; {', '.join(alike)} looks like it" if alike else ""
            hint = (
                f"read it from your column with --field {f.name}={alike[0]} (or a field "
                f"mapping), or add a column {f.name!r}"
                if alike
                else f"add a column {f.name!r}, or map your column onto it with a field mapping"
            )
            col.add(
                f.name,
                "required",
                f"required field {f.name!r} is missing (fields present: "
                f"{', '.join(columns) or 'none'}{like})",
                hint,
            )
        values = pd.Series([f.default] * n, index=frame.index, dtype="object")
        missing = _is_missing(values)
    else:
        values = frame[f.name]
        missing = _is_missing(values)
        if f.required:
            col.add_rows(
                missing,
                f.name,
                "required",
                f"required field {f.name!r} is empty",
                f"fill in {f.name!r} for this feature",
            )
        elif f.default is not None and missing.any():
            values = values.astype("object").where(~missing, f.default)
            missing = _is_missing(values)

    raw = values.astype("object").reset_index(drop=True)
    if f.type == "date":
        coerced, bad = _coerce_date(raw, missing, date_order)
    else:
        coerced, bad = _COERCE[f.type](raw, missing)
    words = _TYPE_WORDS[f.type]
    if f.type == "date" and asked:
        words = f"a date {_FORMS[date_order]} (as {_FLAGS[date_order]} asks) or YYYY-MM-DD"
    col.add_rows(
        bad,
        f.name,
        "type",
        lambda i: f"{raw.iat[i]!r} is not {words}",
        f"write {f.name!r} as {words}",
    )
    ok = ~bad & ~missing
    if f.allowed is not None:
        outside = ok & ~coerced.isin(f.allowed).to_numpy(dtype=bool)
        col.add_rows(
            outside,
            f.name,
            "allowed",
            lambda i: f"{coerced.iat[i]!r} is not an allowed value",
            f"use one of: {', '.join(f.allowed)}",
        )
    if f.min is not None or f.max is not None:
        lo = -np.inf if f.min is None else f.min
        hi = np.inf if f.max is None else f.max
        numbers = coerced.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        out = ok & ((numbers < lo) | (numbers > hi))
        col.add_rows(
            out,
            f.name,
            "range",
            lambda i: f"{coerced.iat[i]} is outside the range {_range_text(f)}",
            f"give a value in {_range_text(f)}",
        )
    coerced.index = frame.index
    return coerced


def _range_text(f: Field) -> str:
    lo = "-∞" if f.min is None else f"{f.min:g}"
    hi = "∞" if f.max is None else f"{f.max:g}"
    return f"[{lo}, {hi}]"


def _check_ids(ids: pd.Series, col: _Collector, id_field: str) -> None:
    present = ids.notna()
    dup = ids.duplicated(keep=False) & present
    if dup.any():
        counts = ids[dup].value_counts()
        col.add_rows(
            dup.to_numpy(dtype=bool) & ~ids.duplicated(keep="first").to_numpy(dtype=bool),
            id_field,
            "unique",
            lambda i: f"id {ids.iat[i]!r} is used by {counts[ids.iat[i]]} features",
            "give every feature its own id",
        )


def _check_dates(frame: pd.DataFrame, col: _Collector) -> None:
    if not {"start", "end"} <= set(frame.columns):
        return
    start, end = frame["start"], frame["end"]
    backwards = (start.notna() & end.notna() & (end < start)).to_numpy(dtype=bool)
    col.add_rows(
        backwards,
        "end",
        "date-order",
        lambda i: f"ends {end.iat[i]:%Y-%m-%d}, before it starts {start.iat[i]:%Y-%m-%d}",
        "check the two dates; swap them if they are reversed",
    )


def _check_spare_tubes(frame: pd.DataFrame, col: _Collector) -> None:
    if not {"tubes", "spare_tubes"} <= set(frame.columns):
        return
    over = (frame["spare_tubes"] > frame["tubes"]).fillna(False).to_numpy(dtype=bool)
    col.add_rows(
        over,
        "spare_tubes",
        "range",
        lambda i: (
            f"{frame['spare_tubes'].iat[i]} spare tubes but only {frame['tubes'].iat[i]} tubes"
        ),
        "spare_tubes cannot exceed tubes",
    )


def _check_geometry(
    geoms: gpd.GeoSeries, schema: LayerSchema, col: _Collector, repair: bool
) -> gpd.GeoSeries:
    """Check null, empty, type, degenerate and invalid geometries; return them repaired."""
    values = geoms.to_numpy()
    null = pd.isna(values)
    col.add_rows(null, "geometry", "geometry-null", "has no geometry", "draw the feature")
    present = ~null
    empty = present & shapely.is_empty(np.where(present, values, None))
    col.add_rows(empty, "geometry", "geometry-empty", "geometry is empty", "draw the feature")
    usable = present & ~empty

    types = np.asarray(shapely.get_type_id(np.where(usable, values, None)))
    allowed_ids = {_TYPE_IDS[t] for t in schema.geometry_types}
    allowed_ids |= {_TYPE_IDS["Multi" + t] for t in schema.geometry_types}
    wrong = usable & ~np.isin(types, list(allowed_ids))
    expected = " or ".join(schema.geometry_types)
    col.add_rows(
        wrong,
        "geometry",
        "geometry-type",
        lambda i: f"geometry is a {values[i].geom_type}, expected {expected}",
        f"a {schema.name} feature must be a {expected}",
    )
    usable &= ~wrong

    degenerate = usable & _is_degenerate(values, usable)
    col.add_rows(
        degenerate,
        "geometry",
        "geometry-degenerate",
        "geometry is degenerate (zero length or zero area)",
        "remove the feature or redraw it with distinct vertices",
    )
    usable &= ~degenerate

    invalid = usable & ~shapely.is_valid(np.where(usable, values, None))
    fixed = values.copy()
    if invalid.any():
        reasons = shapely.is_valid_reason(values[invalid])
        reason_at = dict(zip(np.flatnonzero(invalid), reasons, strict=True))
        if repair:
            fixed[invalid] = [_repair(g, schema) for g in values[invalid]]
        col.add_rows(
            invalid,
            "geometry",
            "geometry-invalid",
            lambda i: (
                f"invalid geometry ({reason_at[i]})"
                + (", repaired with make_valid" if repair else "")
            ),
            "" if repair else "fix it in a GIS, or import with --repair to apply make_valid",
            severity="repaired" if repair else "error",
        )
        if repair:
            still_bad = invalid & (
                shapely.is_empty(np.where(invalid, fixed, None))
                | ~np.isin(shapely.get_type_id(np.where(invalid, fixed, None)), list(allowed_ids))
            )
            col.add_rows(
                still_bad,
                "geometry",
                "geometry-invalid",
                f"make_valid could not turn this geometry into a valid {expected}",
                "redraw the feature",
            )
            usable &= ~still_bad
        else:
            usable &= ~invalid
    return gpd.GeoSeries(fixed, index=geoms.index, crs=geoms.crs)


_TYPE_IDS = {
    "Point": 0,
    "LineString": 1,
    "Polygon": 3,
    "MultiPoint": 4,
    "MultiLineString": 5,
    "MultiPolygon": 6,
}


def _is_degenerate(values: np.ndarray, usable: np.ndarray) -> np.ndarray:
    geoms = np.where(usable, values, np.full(len(values), None, dtype=object))
    dims = np.asarray(shapely.get_dimensions(geoms))
    length = np.asarray(shapely.length(geoms))
    area = np.asarray(shapely.area(geoms))
    flat = (dims == 2) & (area <= 0)
    if flat.any():
        # A self-intersecting "bowtie" has zero signed area but is invalid, not
        # degenerate: make_valid recovers its area, so --repair can fix it.
        where = np.flatnonzero(flat)
        flat[where] = shapely.area(shapely.make_valid(geoms[where])) <= 0
    return ((dims == 1) & (length <= 0)) | flat


def _repair(geom: Any, schema: LayerSchema) -> Any:
    """Make a geometry valid and keep only the parts of the layer's dimension."""
    made = shapely.make_valid(geom)
    wanted = {"Point": 0, "LineString": 1, "Polygon": 2}[schema.geometry_types[0]]
    if made.geom_type == "GeometryCollection":
        parts = [g for g in made.geoms if g.dim == wanted]
        made = shapely.union_all(parts) if parts else shapely.GeometryCollection()
    if wanted == 1 and made.geom_type == "MultiLineString":
        made = shapely.line_merge(made)
    return made


def check_crs(gdf: gpd.GeoDataFrame, layer: str, source: str = "<memory>") -> list[Problem]:
    """Check that ``gdf`` has a CRS and that its coordinates can be in it.

    Catches the two classic mistakes: no CRS at all, and coordinates in
    degrees labelled with a projected CRS (or metres labelled as degrees).

    Returns
    -------
    list of Problem
        Empty when the CRS is plausible.
    """
    if gdf.crs is None:
        return [
            Problem(
                source,
                layer,
                "",
                "geometry",
                "crs-missing",
                "the file has no coordinate reference system (CRS)",
                "pass the CRS the coordinates are in, e.g. `--crs EPSG:25832` "
                "(ETRS89 / UTM 32N) or `--crs EPSG:4326` (longitude/latitude)",
            )
        ]
    geoms = gdf.geometry[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    if geoms.empty:
        return []
    minx, miny, maxx, maxy = geoms.total_bounds
    crs = CRS.from_user_input(gdf.crs)
    name = crs.to_string()
    looks_like_degrees = minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90
    if crs.is_projected and looks_like_degrees:
        return [
            Problem(
                source,
                layer,
                "",
                "geometry",
                "crs-mismatch",
                f"the coordinates ({minx:.4f}, {miny:.4f}) … ({maxx:.4f}, {maxy:.4f}) look "
                f"like degrees, but the file says they are in {name}, which is in metres",
                "declare the real CRS with `--crs EPSG:4326` (or fix the .prj)",
            )
        ]
    if crs.is_geographic and not looks_like_degrees:
        return [
            Problem(
                source,
                layer,
                "",
                "geometry",
                "crs-mismatch",
                f"the coordinates ({minx:.0f}, {miny:.0f}) … ({maxx:.0f}, {maxy:.0f}) cannot "
                f"be degrees, but the file says they are in {name}",
                "declare the real CRS, e.g. `--crs EPSG:25832`",
            )
        ]
    bounds = _plausible_bounds(crs)
    if bounds is not None:
        bx0, by0, bx1, by1 = bounds
        if maxx < bx0 or minx > bx1 or maxy < by0 or miny > by1:
            return [
                Problem(
                    source,
                    layer,
                    "",
                    "geometry",
                    "crs-mismatch",
                    f"the coordinates ({minx:.0f}, {miny:.0f}) … ({maxx:.0f}, {maxy:.0f}) lie "
                    f"far outside the area where {name} is used",
                    "check the CRS the data was exported in and pass it with --crs",
                )
            ]
    return []


def _plausible_bounds(crs: CRS) -> tuple[float, float, float, float] | None:
    """Return the CRS's area of use in its own units, widened; None if unknown."""
    area = crs.area_of_use
    if area is None or not crs.is_projected:
        return None
    to_crs = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x0, y0, x1, y1 = to_crs.transform_bounds(area.west, area.south, area.east, area.north)
    margin = max(x1 - x0, y1 - y0)
    return x0 - margin, y0 - margin, x1 + margin, y1 + margin


def explode_parts(gdf: gpd.GeoDataFrame, schema: LayerSchema) -> gpd.GeoDataFrame:
    """Explode multi-part geometries; parts get ids ``<id>/1``, ``<id>/2``...

    A layer whose schema keeps multi-parts is returned as it is.
    """
    if schema.keep_multi:
        return gdf
    multi = gdf.geometry.geom_type.isin(["MultiPoint", "MultiLineString", "MultiPolygon"])
    if not multi.any():
        return gdf
    exploded = gdf.explode(index_parts=True)
    parts = exploded.index.get_level_values(-1)
    counts = exploded.groupby(level=0).size()
    several = exploded.index.get_level_values(0).map(counts).to_numpy() > 1
    ids = exploded[schema.id_field].astype("object")
    exploded[schema.id_field] = [
        f"{i}/{p + 1}" if s and i is not None else i
        for i, p, s in zip(ids, parts, several, strict=True)
    ]
    return exploded.reset_index(drop=True)


def validate_layer(
    gdf: gpd.GeoDataFrame,
    layer: str,
    *,
    source: str = "<memory>",
    repair: bool = False,
    keep_extra: bool = True,
    date_order: DateOrder = "auto",
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Check a GeoDataFrame against its layer's schema, collecting every problem.

    Parameters
    ----------
    gdf : GeoDataFrame
        Candidate features for ``layer``, with fields already mapped onto the
        schema's names. Its CRS is checked, not changed.
    layer : str
        One of :data:`SCHEMAS`.
    source : str
        File name to name in problems.
    repair : bool
        Repair invalid geometries with ``make_valid`` (reported with severity
        ``"repaired"``) instead of refusing them.
    keep_extra : bool
        Keep columns the schema does not know (after the schema's columns).
    date_order : {"auto", "dayfirst", "monthfirst"}
        How to read dates written with numbers only (``4/1/2026``): one way
        for all the layer's date columns. ``auto`` reads month first when
        some date only reads so (``6/30/2026``), else day first, and warns
        when dates read two ways; an error when some dates only read day
        first and others only month first.

    Returns
    -------
    clean : GeoDataFrame
        The features with typed columns and defaults filled, multi-parts
        exploded where the layer wants single parts, and a fresh RangeIndex.
        Rows with errors are still present; use :func:`require_valid` to refuse them.
    problems : list of Problem
        Every problem found (errors, and repairs under ``repair``).
    """
    schema = layer_schema(layer)
    frame = gdf.reset_index(drop=True)
    col = _Collector(source, layer, _feature_labels(frame, schema.id_field))
    if frame.empty:
        col.add("", "empty", "the layer has no features", "check the file and layer name")
    col.problems.extend(check_crs(frame, layer, source))

    order = _layer_date_order(frame, schema.fields, date_order, col)
    asked = date_order != "auto"
    columns = {f.name: _check_field(frame, f, col, order, asked) for f in schema.fields}
    typed = pd.DataFrame(columns, index=frame.index)
    _check_ids(typed[schema.id_field], col, schema.id_field)
    _check_dates(typed, col)
    _check_spare_tubes(typed, col)
    geometry = _check_geometry(frame.geometry, schema, col, repair)

    if keep_extra:
        extra = [c for c in frame.columns if c not in typed.columns and c != frame.geometry.name]
        for name in extra:
            typed[name] = frame[name]
    clean = gpd.GeoDataFrame(typed, geometry=geometry.values, crs=frame.crs)
    clean = explode_parts(clean, schema)
    return clean, col.problems


def require_valid(problems: Iterable[Problem]) -> None:
    """Raise :class:`InputError` if any problem is an error.

    Raises
    ------
    InputError
        Carrying all problems (errors first in the message).
    """
    problems = list(problems)
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
