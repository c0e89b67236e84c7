"""Every schema rule of layers.py: what it accepts, what it refuses, what it says."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, MultiLineString, MultiPolygon, Point, Polygon, box

from ductplanner.core._errors import InputError, Problem
from ductplanner.model.layers import (
    DEFAULT_WORKSPACE_CRS,
    DERIVED_LAYERS,
    INPUT_LAYERS,
    SCHEMAS,
    check_crs,
    empty_layer,
    require_valid,
    validate_layer,
)

X0, Y0 = 710_000.0, 6_180_000.0


def line(x: float = 0, length: float = 100) -> LineString:
    return LineString([(X0 + x, Y0), (X0 + x + length, Y0)])


def frame(rows: list[dict], crs: str | None = DEFAULT_WORKSPACE_CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=crs)


def digs(**overrides) -> gpd.GeoDataFrame:
    row = {
        "id": "d1",
        "owner": "Novafos",
        "start": "2024-03-01",
        "end": "2024-06-30",
        "geometry": line(),
    }
    row.update(overrides)
    return frame([row])


def addresses(units: list, **columns) -> gpd.GeoDataFrame:
    n = len(units)
    data = {"id": [f"a{i}" for i in range(n)], "units": units, **columns}
    points = [Point(X0 + i, Y0) for i in range(n)]
    return gpd.GeoDataFrame(data, geometry=points, crs=DEFAULT_WORKSPACE_CRS)


def only(problems: list[Problem], rule: str) -> list[Problem]:
    return [p for p in problems if p.rule == rule]


# --- the shipped layers are valid ---------------------------------------------------------


@pytest.mark.parametrize("layer", INPUT_LAYERS)
def test_tiny_town_layers_validate_without_problems(tiny, layer):
    clean, problems = validate_layer(tiny[layer], layer, source="tiny")
    assert problems == []
    assert len(clean) == len(tiny[layer])
    assert list(clean.columns[: len(SCHEMAS[layer].fields)]) == SCHEMAS[layer].field_names


def test_every_layer_has_an_id_first_and_a_geometry_type():
    for name, schema in SCHEMAS.items():
        assert schema.fields[0].name == schema.id_field == "id", name
        assert schema.geometry_types, name
    assert set(INPUT_LAYERS) | set(DERIVED_LAYERS) == set(SCHEMAS)


@pytest.mark.parametrize("layer", list(SCHEMAS))
def test_empty_layer_has_schema_columns_and_dtypes(layer):
    empty = empty_layer(layer)
    assert list(empty.columns[:-1]) == SCHEMAS[layer].field_names
    assert empty.crs == DEFAULT_WORKSPACE_CRS
    types = {f.name: f.type for f in SCHEMAS[layer].fields}
    for name, kind in types.items():
        dtype = str(empty[name].dtype)
        expected = {"int": "Int64", "float": "Float64", "bool": "boolean"}.get(kind)
        if expected:
            assert dtype == expected, (layer, name)


# --- required fields ----------------------------------------------------------------------


def test_missing_required_column_names_field_and_lists_present_fields():
    gdf = digs().drop(columns=["owner"])
    _, problems = validate_layer(gdf, "digs", source="plan.gpkg")
    [p] = only(problems, "required")
    assert (p.source, p.layer, p.field, p.feature_id) == ("plan.gpkg", "digs", "owner", "")
    assert "fields present: id, start, end" in p.message
    assert "mapping" in p.hint


@pytest.mark.parametrize("empty", [None, "", "   ", np.nan])
def test_empty_required_value_is_reported_per_feature(empty):
    _, problems = validate_layer(digs(owner=empty), "digs", source="plan.gpkg")
    [p] = only(problems, "required")
    assert (p.feature_id, p.field) == ("d1", "owner")
    assert "empty" in p.message


def test_feature_without_id_is_named_by_row_number():
    gdf = frame([{"id": "a", "geometry": line()}, {"id": "", "geometry": line(200)}])
    _, problems = validate_layer(gdf, "streets")
    [p] = only(problems, "required")
    assert p.feature_id == "row 2"


# --- types --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "word"),
    [
        ("units", "many", "a whole number"),
        ("units", "2.5", "a whole number"),
        ("speed_down_mbps", "fast", "a number"),
    ],
)
def test_value_of_wrong_type_is_named_with_value_and_expected_type(field, value, word):
    gdf = addresses([1])
    gdf[field] = [value]
    _, problems = validate_layer(gdf, "addresses", source="adr.csv")
    [p] = only(problems, "type")
    assert (p.feature_id, p.field) == ("a0", field)
    assert repr(value) in p.message and word in p.message


def test_numbers_accept_decimal_comma_and_whitespace():
    gdf = addresses([" 3 ", "4"], speed_down_mbps=["100,5", " 30 "])
    clean, problems = validate_layer(gdf, "addresses")
    assert problems == []
    assert clean["units"].tolist() == [3, 4]
    assert clean["speed_down_mbps"].tolist() == [100.5, 30.0]
    assert str(clean["units"].dtype) == "Int64"


def test_whole_floats_are_whole_numbers_and_text():
    streets = frame([{"id": 7.0, "name": 12.0, "last_dug": 2015.0, "geometry": line()}])
    clean, problems = validate_layer(streets, "streets")
    assert problems == []
    assert clean.loc[0, "id"] == "7"
    assert clean.loc[0, "name"] == "12"
    assert clean.loc[0, "last_dug"] == 2015


def test_text_is_stripped():
    clean, _ = validate_layer(
        frame([{"id": " s1 ", "name": " Vej ", "geometry": line()}]), "streets"
    )
    assert (clean.loc[0, "id"], clean.loc[0, "name"]) == ("s1", "Vej")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("ja", True), ("Nej", False), ("true", True), ("0", False), (1, True), (False, False)],
)
def test_booleans_accept_danish_and_english_words(raw, expected):
    sites = frame([{"id": "s", "name": "Skolen", "connected": raw, "geometry": Point(X0, Y0)}])
    clean, problems = validate_layer(sites, "sites")
    assert problems == []
    assert bool(clean.loc[0, "connected"]) is expected


def test_boolean_that_is_not_one_is_a_type_problem():
    sites = frame([{"id": "s", "name": "Skolen", "connected": "maybe", "geometry": Point(X0, Y0)}])
    _, problems = validate_layer(sites, "sites")
    [p] = only(problems, "type")
    assert p.field == "connected" and "'maybe'" in p.message


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "day"),
    [
        ("2024-03-01", "2024-03-01"),
        ("2024-03-01T10:30:00", "2024-03-01"),
        ("2024-03-01 08:00", "2024-03-01"),
        ("1 March 2024", "2024-03-01"),
        ("13.3.2024", "2024-03-13"),
        ("3/13/2024", "2024-03-13"),
    ],
)
def test_dates_that_read_one_way_parse_without_a_word(start, day):
    clean, problems = validate_layer(digs(start=start), "digs")
    assert problems == []
    assert clean.loc[0, "start"] == pd.Timestamp(day)


@pytest.mark.parametrize("start", ["01-03-2024", "1/3/2024", "01.03.24"])
def test_dates_that_read_two_ways_are_read_day_first_with_a_warning(start):
    clean, problems = validate_layer(digs(start=start), "digs", source="plan.csv")
    assert clean.loc[0, "start"] == pd.Timestamp("2024-03-01")
    [p] = problems
    assert (p.rule, p.severity, p.layer, p.field) == ("date-reading", "warning", "digs", "start")
    assert "read day first, the Danish way" in p.message and "is 2024-03-01" in p.message
    assert "--monthfirst" in p.hint


def test_one_date_that_only_reads_month_first_decides_the_whole_layer():
    layer = frame(
        [
            {"id": "NF-1", "owner": "Novafos", "start": "4/1/2026", "end": "6/30/2026",
             "geometry": line()},
            {"id": "NF-2", "owner": "Novafos", "start": "5/2/2026", "end": "7/3/2026",
             "geometry": line(200)},
        ]
    )  # fmt: skip
    clean, problems = validate_layer(layer, "digs")
    assert clean["start"].dt.strftime("%Y-%m-%d").tolist() == ["2026-04-01", "2026-05-02"]
    assert clean["end"].dt.strftime("%Y-%m-%d").tolist() == ["2026-06-30", "2026-07-03"]
    [p] = problems
    assert (p.rule, p.severity, p.field) == ("date-reading", "warning", "start, end")
    assert p.message.startswith("3 dates read two ways; read month first")
    assert "'6/30/2026' (end) can only be read so" in p.message
    assert "'4/1/2026' (start) is 2026-04-01" in p.message and "--dayfirst" in p.hint


def test_dates_that_only_read_day_first_beside_month_first_ones_are_an_error():
    _, problems = validate_layer(digs(start="30-06-2026", end="12/31/2026"), "digs")
    [p] = only(problems, "date-reading")
    assert p.severity == "error" and p.field == "start, end"
    assert "'30-06-2026' (start)" in p.message and "'12/31/2026' (end)" in p.message
    assert "--dayfirst or --monthfirst" in p.hint


def test_the_users_reading_is_kept_and_dates_that_do_not_fit_it_are_named():
    clean, problems = validate_layer(digs(start="4/1/2026", end="6/30/2026"), "digs",
                                     date_order="monthfirst")  # fmt: skip
    assert problems == [] and clean.loc[0, "start"] == pd.Timestamp("2026-04-01")
    clean, problems = validate_layer(digs(start="4/1/2026", end="6/30/2026"), "digs",
                                     date_order="dayfirst")  # fmt: skip
    assert clean.loc[0, "start"] == pd.Timestamp("2026-01-04")
    [p] = problems
    assert (p.rule, p.feature_id, p.field) == ("type", "d1", "end")
    assert "'6/30/2026' is not a date DD-MM-YYYY (as --dayfirst asks)" in p.message


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31)),
       st.sampled_from(["dayfirst", "monthfirst"]), st.sampled_from(["-", "/", "."]))  # fmt: skip
def test_a_date_written_one_way_reads_back_that_way(day, order, sep):
    a, b = (day.day, day.month) if order == "dayfirst" else (day.month, day.day)
    written = f"{a}{sep}{b}{sep}{day.year}"
    clean, problems = validate_layer(digs(start=written, end="2100-01-01"), "digs",
                                     date_order=order)  # fmt: skip
    assert problems == [] and clean.loc[0, "start"] == pd.Timestamp(day)


def test_date_values_may_be_timestamps():
    clean, problems = validate_layer(digs(start=pd.Timestamp("2024-03-01 12:00")), "digs")
    assert problems == []
    assert clean.loc[0, "start"] == pd.Timestamp("2024-03-01")
    assert str(clean["start"].dtype) == "datetime64[ms]"


def test_date_that_does_not_parse_is_named():
    _, problems = validate_layer(digs(end="next spring"), "digs", source="plan.csv")
    [p] = only(problems, "type")
    assert (p.feature_id, p.field) == ("d1", "end")
    assert "'next spring'" in p.message and "YYYY-MM-DD" in p.message


def test_dig_that_ends_before_it_starts():
    _, problems = validate_layer(digs(start="2024-06-30", end="2024-03-01"), "digs")
    [p] = only(problems, "date-order")
    assert (p.feature_id, p.field) == ("d1", "end")
    assert "2024-03-01" in p.message and "2024-06-30" in p.message


# --- allowed values and ranges ------------------------------------------------------------


def test_value_outside_allowed_set_lists_the_allowed_values():
    _, problems = validate_layer(digs(purpose="telecom"), "digs")
    [p] = only(problems, "allowed")
    assert (p.feature_id, p.field) == ("d1", "purpose")
    assert "'telecom'" in p.message
    assert "water" in p.hint and "fibre" in p.hint


def test_negative_units_are_out_of_range():
    _, problems = validate_layer(addresses([3, -2]), "addresses", source="adr.gpkg")
    [p] = only(problems, "range")
    assert (p.feature_id, p.field) == ("a1", "units")
    assert "-2" in p.message and "[0, 10000]" in p.message


@pytest.mark.parametrize(
    ("year", "bad"), [(1899, True), (1900, False), (2100, False), (2101, True)]
)
def test_years_are_inclusive_range(year, bad):
    _, problems = validate_layer(
        frame([{"id": "s", "last_dug": year, "geometry": line()}]), "streets"
    )
    assert bool(only(problems, "range")) is bad


def test_spare_tubes_cannot_exceed_tubes():
    ducts = frame([{"id": "k", "tubes": 2, "spare_tubes": 3, "geometry": line()}])
    _, problems = validate_layer(ducts, "ducts")
    [p] = only(problems, "range")
    assert (p.field, p.feature_id) == ("spare_tubes", "k")


def test_defaults_fill_missing_optional_fields():
    clean, problems = validate_layer(digs(), "digs")
    assert problems == []
    row = clean.iloc[0]
    assert (row["purpose"], row["status"], row["confidence"]) == ("other", "planned", "indicative")
    assert pd.isna(row["permit_date"])


# --- ids ----------------------------------------------------------------------------------


def test_duplicate_ids_are_reported_once_with_their_count():
    gdf = addresses([1, 1, 1])
    gdf["id"] = ["a", "b", "a"]
    _, problems = validate_layer(gdf, "addresses", source="adr.csv")
    [p] = only(problems, "unique")
    assert (p.feature_id, p.field) == ("a", "id")
    assert "2 features" in p.message


# --- geometry -----------------------------------------------------------------------------


def geometry_problems(geometry, layer="streets", **kwargs) -> list[Problem]:
    gdf = frame([{"id": "g1", "geometry": geometry}])
    if layer == "districts":
        gdf["name"] = "Vest"
    _, problems = validate_layer(gdf, layer, **kwargs)
    return [p for p in problems if p.field == "geometry"]


@pytest.mark.parametrize(
    ("geometry", "rule"),
    [
        (None, "geometry-null"),
        (LineString(), "geometry-empty"),
        (Point(X0, Y0), "geometry-type"),
        (LineString([(X0, Y0), (X0, Y0)]), "geometry-degenerate"),
    ],
)
def test_bad_street_geometries(geometry, rule):
    [p] = geometry_problems(geometry)
    assert (p.rule, p.feature_id, p.severity) == (rule, "g1", "error")


def test_wrong_geometry_type_says_what_was_expected():
    [p] = geometry_problems(Point(X0, Y0))
    assert "Point" in p.message and "LineString" in p.message


def test_zero_area_polygon_is_degenerate():
    flat = Polygon([(X0, Y0), (X0 + 10, Y0), (X0 + 20, Y0), (X0, Y0)])
    [p] = geometry_problems(flat, "districts")
    assert p.rule in {"geometry-degenerate", "geometry-invalid"}


BOWTIE = Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10), (X0, Y0)])


def test_invalid_geometry_is_an_error_that_suggests_repair():
    [p] = geometry_problems(BOWTIE, "districts")
    assert (p.rule, p.severity) == ("geometry-invalid", "error")
    assert "Self-intersection" in p.message
    assert "--repair" in p.hint


def test_repair_makes_invalid_geometry_valid_and_reports_it():
    gdf = frame([{"id": "v", "name": "Vest", "geometry": BOWTIE}])
    clean, problems = validate_layer(gdf, "districts", repair=True)
    [p] = problems
    assert (p.rule, p.severity) == ("geometry-invalid", "repaired")
    assert "make_valid" in p.message
    assert clean.geometry.is_valid.all()
    assert clean.geometry.area.iloc[0] == pytest.approx(50.0)
    require_valid(problems)  # repairs are not errors


def test_multi_part_lines_are_exploded_with_part_ids():
    multi = MultiLineString([line().coords, line(500).coords])
    gdf = frame([{"id": "s1", "geometry": multi}, {"id": "s2", "geometry": line(900)}])
    clean, problems = validate_layer(gdf, "streets")
    assert problems == []
    assert clean["id"].tolist() == ["s1/1", "s1/2", "s2"]
    assert set(clean.geom_type) == {"LineString"}
    assert clean.length.sum() == pytest.approx(300.0)
    assert list(clean.index) == [0, 1, 2]


def test_districts_keep_multi_polygons():
    multi = MultiPolygon([box(X0, Y0, X0 + 10, Y0 + 10), box(X0 + 20, Y0, X0 + 30, Y0 + 10)])
    clean, problems = validate_layer(
        frame([{"id": "d", "name": "Øst", "geometry": multi}]), "districts"
    )
    assert problems == []
    assert clean.geom_type.tolist() == ["MultiPolygon"]


# --- CRS ----------------------------------------------------------------------------------


def test_missing_crs_says_how_to_pass_one():
    [p] = check_crs(frame([{"id": "s", "geometry": line()}], crs=None), "streets", "s.shp")
    assert (p.rule, p.source, p.field) == ("crs-missing", "s.shp", "geometry")
    assert "--crs EPSG:25832" in p.hint


def test_degrees_labelled_as_utm_are_caught():
    gdf = frame([{"id": "s", "geometry": LineString([(12.36, 55.73), (12.37, 55.73)])}])
    [p] = check_crs(gdf, "streets", "s.shp")
    assert p.rule == "crs-mismatch"
    assert "degrees" in p.message and "EPSG:25832" in p.message
    assert "--crs EPSG:4326" in p.hint


def test_metres_labelled_as_degrees_are_caught():
    [p] = check_crs(frame([{"id": "s", "geometry": line()}], crs="EPSG:4326"), "streets")
    assert p.rule == "crs-mismatch" and "cannot be degrees" in p.message


def test_coordinates_far_outside_the_crs_area_are_caught():
    far = LineString([(9e7, 9e7), (9e7 + 10, 9e7)])
    [p] = check_crs(frame([{"id": "s", "geometry": far}]), "streets")
    assert p.rule == "crs-mismatch" and "far outside" in p.message


def test_validate_layer_reports_crs_problems():
    _, problems = validate_layer(frame([{"id": "s", "geometry": line()}], crs=None), "streets")
    assert [p.rule for p in problems] == ["crs-missing"]


# --- the layer as a whole -----------------------------------------------------------------


def test_empty_layer_is_a_problem():
    _, problems = validate_layer(empty_layer("digs"), "digs", source="plan.gpkg")
    assert [p.rule for p in problems] == ["empty"]


def test_unknown_layer_lists_the_layers():
    with pytest.raises(InputError, match="unknown layer 'roads'") as info:
        validate_layer(digs(), "roads")
    assert "streets" in info.value.problems[0].hint


def test_all_problems_are_collected_not_just_the_first():
    gdf = frame(
        [
            {"id": "d1", "owner": "", "start": "x", "end": "2024-01-01", "geometry": None},
            {"id": "d1", "owner": "Radius", "start": "2024-05-01", "end": "2024-01-01",
             "purpose": "telecom", "geometry": Point(X0, Y0)},
        ]
    )  # fmt: skip
    _, problems = validate_layer(gdf, "digs")
    rules = sorted(p.rule for p in problems)
    assert rules == sorted(
        ["required", "type", "allowed", "unique", "date-order", "geometry-null", "geometry-type"]
    )


def test_extra_columns_are_kept_or_dropped():
    gdf = digs()
    gdf["note"] = "call first"
    kept, _ = validate_layer(gdf, "digs")
    dropped, _ = validate_layer(gdf, "digs", keep_extra=False)
    assert kept.loc[0, "note"] == "call first"
    assert "note" not in dropped.columns


def test_index_is_reset():
    gdf = addresses([1, 2])
    gdf.index = [10, 20]
    clean, _ = validate_layer(gdf, "addresses")
    assert list(clean.index) == [0, 1]


def test_derived_layers_validate_too():
    coverage = gpd.GeoDataFrame(
        {"id": ["a1"], "units": [2], "distance_m": [-1.0]},
        geometry=[Point(X0, Y0)],
        crs=DEFAULT_WORKSPACE_CRS,
    )
    clean, problems = validate_layer(coverage, "coverage")
    assert [p.field for p in problems] == ["distance_m"]
    assert not bool(clean.loc[0, "duct_covered"])


def test_require_valid_raises_only_on_errors():
    warning = Problem("f", "digs", "", "", "x", "just so you know", severity="warning")
    require_valid([warning])
    error = Problem("f.csv", "digs", "d1", "end", "date", "bad date")
    with pytest.raises(InputError) as info:
        require_valid([warning, error])
    text = str(info.value)
    assert "f.csv" in text and "feature d1" in text and "field 'end'" in text
    assert isinstance(info.value, ValueError)


# --- vectorised coercion keeps the per-value semantics ------------------------------------

values = st.one_of(
    st.none(),
    st.integers(-5, 20_000),
    st.floats(allow_nan=True, allow_infinity=False, width=32),
    st.text(alphabet=" 0123456789.,-abæ", max_size=6),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(values, min_size=1, max_size=8))
def test_units_accept_exactly_whole_numbers_in_range(raw):
    gdf = addresses(raw)
    clean, problems = validate_layer(gdf, "addresses")
    flagged = {p.feature_id for p in problems if p.field == "units"}
    for i, value in enumerate(raw):
        text = value.strip().replace(",", ".") if isinstance(value, str) else value
        if text is None or text == "" or (isinstance(text, float) and np.isnan(text)):
            expected_ok, expected = True, 1  # the default
        else:
            try:
                number = float(text)
            except ValueError:
                number = None
            expected_ok = number is not None and number.is_integer() and 0 <= number <= 10000
            expected = int(number) if expected_ok else None
        assert (f"a{i}" not in flagged) is expected_ok, (value, problems)
        if expected_ok:
            assert clean.loc[i, "units"] == expected


def test_geometry_column_may_hold_none_and_nan():
    gdf = gpd.GeoDataFrame(
        {"id": ["a", "b"]}, geometry=gpd.GeoSeries([None, Point(X0, Y0)]), crs=DEFAULT_WORKSPACE_CRS
    )
    _, problems = validate_layer(gdf, "addresses")
    assert [(p.feature_id, p.rule) for p in problems] == [("a", "geometry-null")]
    assert shapely.is_missing(gdf.geometry.values[0])
