"""Readers, field mappings and every kind of bad input, with what the messages say."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer
from shapely import LineString, MultiLineString, Point, Polygon

from ductplanner.core._errors import InputError, MissingInputError
from ductplanner.io.importer import guess_layer, load_file, read_file
from ductplanner.io.mappings import builtin_mappings, guess_mapping, load_mapping
from ductplanner.model.layers import DEFAULT_WORKSPACE_CRS, ROAD_CLASSES

X0, Y0 = 710_000.0, 6_180_000.0
TO_UTM = Transformer.from_crs("EPSG:4326", DEFAULT_WORKSPACE_CRS, always_xy=True)


def utm_line(x: float = 0, length: float = 100) -> LineString:
    return LineString([(X0 + x, Y0), (X0 + x + length, Y0)])


def digs_frame(n: int = 3, crs: str | None = DEFAULT_WORKSPACE_CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": [f"d{i}" for i in range(n)],
            "owner": ["Novafos"] * n,
            "start": ["2024-03-01"] * n,
            "end": ["2024-06-30"] * n,
        },
        geometry=[utm_line(200 * i) for i in range(n)],
        crs=crs,
    )


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def rules(loaded) -> list[str]:
    return [p.rule for p in loaded.problems]


def the(loaded, rule: str):
    found = [p for p in loaded.problems if p.rule == rule]
    assert len(found) == 1, loaded.problems
    return found[0]


# --- GeoPackage ---------------------------------------------------------------------------


def test_geopackage_reads_as_layer(tmp_path):
    path = tmp_path / "plan.gpkg"
    digs_frame().to_file(path, layer="digs")
    loaded = load_file(path, "digs")
    assert loaded.problems == []
    assert loaded.frame["id"].tolist() == ["d0", "d1", "d2"]
    assert loaded.frame.crs == DEFAULT_WORKSPACE_CRS
    assert loaded.frame.loc[0, "start"] == pd.Timestamp("2024-03-01")
    assert loaded.source_layer == "digs"


def test_geopackage_with_several_layers_picks_the_one_named_like_the_target(tmp_path):
    path = tmp_path / "many.gpkg"
    digs_frame().to_file(path, layer="other")
    digs_frame(2).to_file(path, layer="digs")
    assert len(load_file(path, "digs").frame) == 2
    assert len(load_file(path, "digs", source_layer="other").frame) == 3


def test_several_layers_none_matching_lists_them(tmp_path):
    path = tmp_path / "many.gpkg"
    digs_frame().to_file(path, layer="novafos_2024")
    digs_frame().to_file(path, layer="radius_2024")
    problem = the(load_file(path, "digs"), "layer-choice")
    assert "novafos_2024" in problem.message and "radius_2024" in problem.message
    assert "--source-layer" in problem.hint
    assert problem.source == str(path)


def test_unknown_source_layer_lists_the_layers(tmp_path):
    path = tmp_path / "one.gpkg"
    digs_frame().to_file(path, layer="digs")
    problem = the(load_file(path, "digs", source_layer="dig"), "layer-choice")
    assert "'dig'" in problem.message and "digs" in problem.message


# --- Shapefile ----------------------------------------------------------------------------


def streets_frame(name: str = "Måløv Hovedgade") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["s1"], "name": [name]}, geometry=[utm_line()], crs=DEFAULT_WORKSPACE_CRS
    ).astype({"id": "object", "name": "object"})


def test_shapefile_in_latin1_with_cpg_keeps_danish_letters(tmp_path):
    path = tmp_path / "veje.shp"
    streets_frame().to_file(path, encoding="ISO-8859-1")
    assert path.with_suffix(".cpg").read_text().strip() == "ISO-8859-1"
    assert "Måløv".encode("latin-1") in path.with_suffix(".dbf").read_bytes()
    loaded = load_file(path, "streets")
    assert loaded.problems == []
    assert loaded.frame.loc[0, "name"] == "Måløv Hovedgade"


@pytest.mark.parametrize("cpg", ["1252", "LATIN1"])
def test_shapefile_cpg_code_page_names_are_understood(tmp_path, cpg):
    path = tmp_path / "veje.shp"
    streets_frame().to_file(path, encoding="ISO-8859-1")
    path.with_suffix(".cpg").write_text(cpg)
    assert load_file(path, "streets").frame.loc[0, "name"] == "Måløv Hovedgade"


def test_shapefile_in_latin1_without_cpg_keeps_danish_letters(tmp_path):
    path = tmp_path / "veje.shp"
    streets_frame().to_file(path, encoding="ISO-8859-1")
    path.with_suffix(".cpg").unlink()
    loaded = load_file(path, "streets")
    assert loaded.frame.loc[0, "name"] == "Måløv Hovedgade"
    assert loaded.problems == []


def test_shapefile_in_utf8_without_cpg_is_detected_and_read_as_utf8(tmp_path):
    path = tmp_path / "veje.shp"
    streets_frame().to_file(path, encoding="UTF-8")
    path.with_suffix(".cpg").unlink()
    loaded = load_file(path, "streets")
    assert loaded.frame.loc[0, "name"] == "Måløv Hovedgade"
    problem = the(loaded, "encoding")
    assert problem.severity == "warning" and ".cpg" in problem.hint


@pytest.mark.filterwarnings("ignore:Column names longer", "ignore:Normalized/laundered")
def test_shapefile_ten_character_and_upper_case_names_are_recognised(tmp_path):
    path = tmp_path / "adr.shp"
    gdf = gpd.GeoDataFrame(
        {"ID": ["a1"], "UNITS": [4], "speed_down_mbps": [100.0], "speed_up_mbps": [20.0]},
        geometry=[Point(X0, Y0)],
        crs=DEFAULT_WORKSPACE_CRS,
    ).astype({"ID": "object"})
    gdf.to_file(path)  # the driver cuts names to 10 characters
    loaded = load_file(path, "addresses")
    assert loaded.problems == []
    row = loaded.frame.iloc[0]
    assert (row["id"], row["units"], row["speed_down_mbps"], row["speed_up_mbps"]) == (
        "a1",
        4,
        100.0,
        20.0,
    )


def test_shapefile_without_prj_needs_crs(tmp_path):
    path = tmp_path / "veje.shp"
    streets_frame().to_file(path)
    path.with_suffix(".prj").unlink()
    problem = the(load_file(path, "streets"), "crs-missing")
    assert problem.source == str(path) and problem.layer == "streets"
    assert "--crs EPSG:25832" in problem.hint
    fixed = load_file(path, "streets", crs="EPSG:25832")
    assert fixed.problems == [] and fixed.frame.crs == DEFAULT_WORKSPACE_CRS


# --- GeoJSON ------------------------------------------------------------------------------


def feature(fid: str, geometry: dict | None, **properties) -> dict:
    return {"type": "Feature", "properties": {"id": fid, **properties}, "geometry": geometry}


def geojson(path: Path, features: list[dict]) -> Path:
    return write_text(path, json.dumps({"type": "FeatureCollection", "features": features}))


DIG = {"owner": "Radius", "start": "2024-03-01", "end": "2024-04-01"}
LONLAT_LINE = {"type": "LineString", "coordinates": [[12.36, 55.73], [12.37, 55.73]]}


def test_geojson_in_wgs84_is_reprojected(tmp_path):
    path = geojson(tmp_path / "digs.geojson", [feature("r1", LONLAT_LINE, **DIG)])
    loaded = load_file(path, "digs")
    assert loaded.problems == []
    assert loaded.frame.crs == DEFAULT_WORKSPACE_CRS
    x, y = TO_UTM.transform(12.36, 55.73)
    start = loaded.frame.geometry.iloc[0].coords[0]
    assert start == pytest.approx((x, y), abs=0.01)
    assert loaded.crs == "EPSG:4326"
    assert any("reprojected from EPSG:4326" in n for n in loaded.notes)


def test_geojson_with_utm_coordinates_is_caught_and_fixed_with_crs(tmp_path):
    utm = {"type": "LineString", "coordinates": [[X0, Y0], [X0 + 50, Y0]]}
    path = geojson(tmp_path / "digs.geojson", [feature("r1", utm, **DIG)])
    problem = the(load_file(path, "digs"), "crs-mismatch")
    assert "cannot be degrees" in problem.message and "--crs" in problem.hint
    fixed = load_file(path, "digs", crs="EPSG:25832")
    assert [p.rule for p in fixed.errors] == []
    assert the(fixed, "crs-override").severity == "warning"
    assert fixed.frame.geometry.iloc[0].coords[0] == (X0, Y0)


def test_unreadable_json_names_the_position(tmp_path):
    path = write_text(tmp_path / "digs.geojson", '{"type": "FeatureCollection", "features": [')
    loaded = load_file(path, "digs")
    problem = the(loaded, "unreadable")
    assert problem.source == str(path)
    assert "cannot read the file" in problem.message
    assert "line 1" in problem.message.lower()
    assert "JSON" in problem.hint
    assert loaded.frame.empty


def test_broken_record_is_found_feature_by_feature(tmp_path):
    one_point = {"type": "LineString", "coordinates": [[12.36, 55.73]]}
    path = geojson(
        tmp_path / "digs.geojson",
        [feature("ok1", LONLAT_LINE, **DIG), feature("bad7", one_point, **DIG)],
    )
    loaded = load_file(path, "digs")
    problem = the(loaded, "geometry-unreadable")
    assert (problem.feature_id, problem.field) == ("bad7", "geometry")
    assert "cannot be read" in problem.message
    assert "geometry-null" not in rules(loaded)  # not reported twice
    assert len(loaded.frame) == 2


def test_null_and_empty_geometries_are_named(tmp_path):
    empty_line = {"type": "LineString", "coordinates": []}
    path = geojson(
        tmp_path / "digs.geojson",
        [
            feature("n1", None, **DIG),
            feature("e1", empty_line, **DIG),
            feature("ok", LONLAT_LINE, **DIG),
        ],
    )
    loaded = load_file(path, "digs")
    found = {(p.feature_id, p.rule) for p in loaded.errors}
    assert ("n1", "geometry-null") in found
    assert ("e1", "geometry-empty") in found or ("e1", "geometry-null") in found


def test_empty_feature_collection_has_no_features(tmp_path):
    path = geojson(tmp_path / "digs.geojson", [])
    loaded = load_file(path, "digs")
    assert rules(loaded) == ["empty"]  # once, not once per missing field
    assert "has no features" in loaded.problems[0].message


def test_geometry_gdal_cannot_parse_is_named_not_called_absent(tmp_path):
    no_y = {"type": "LineString", "coordinates": [[12.36], [12.37]]}
    path = geojson(
        tmp_path / "digs.geojson",
        [
            feature("ok1", LONLAT_LINE, **DIG),
            feature("d2", no_y, **DIG),
            feature("d4", None, **DIG),
        ],
    )
    loaded = load_file(path, "digs")
    unreadable = the(loaded, "geometry-unreadable")
    assert unreadable.feature_id == "d2" and "[[12.36], [12.37]]" in unreadable.message
    assert the(loaded, "geometry-null").feature_id == "d4"
    assert "gdal" not in rules(loaded)


# --- CSV ----------------------------------------------------------------------------------

DIGS_CSV_HEADER = "id;owner;start;end;wkt\n"


def test_csv_with_wkt_and_semicolons(tmp_path):
    path = write_text(
        tmp_path / "digs.csv",
        DIGS_CSV_HEADER
        + f"d1;Novafos;2024-03-01;2024-06-30;LINESTRING ({X0} {Y0}, {X0 + 80} {Y0})\n",
    )
    loaded = load_file(path, "digs", crs="EPSG:25832")
    assert loaded.problems == []
    assert loaded.frame.length.iloc[0] == pytest.approx(80.0)


def test_csv_ewkt_srid_gives_the_crs(tmp_path):
    path = write_text(
        tmp_path / "digs.csv",
        "id,owner,start,end,geometry\n"
        'd1,Novafos,2024-03-01,2024-06-30,"SRID=4326;LINESTRING (12.36 55.73, 12.37 55.73)"\n',
    )
    loaded = load_file(path, "digs")
    assert loaded.problems == []
    assert loaded.crs == "EPSG:4326"


def test_csv_without_crs_says_how_to_pass_one(tmp_path):
    path = write_text(
        tmp_path / "digs.csv",
        DIGS_CSV_HEADER + f"d1;Novafos;2024-03-01;2024-06-30;POINT ({X0} {Y0})\n",
    )
    problem = the(load_file(path, "digs"), "crs-missing")
    assert "--crs" in problem.hint


def test_malformed_wkt_row_is_named(tmp_path):
    path = write_text(
        tmp_path / "digs.csv",
        DIGS_CSV_HEADER
        + f"d1;Novafos;2024-03-01;2024-06-30;LINESTRING ({X0} {Y0}, {X0 + 80} {Y0})\n"
        + "d2;Radius;2024-03-01;2024-06-30;LINESTRING (710000 6180000, 710080\n",
    )
    loaded = load_file(path, "digs", crs="EPSG:25832")
    problem = the(loaded, "wkt")
    assert (problem.feature_id, problem.field, problem.source) == ("d2", "wkt", str(path))
    assert "row 2 (line 3)" in problem.message
    assert "LINESTRING (710000 6180000, 710080" in problem.message
    assert "geometry-null" not in rules(loaded)


def test_csv_with_xy_columns_and_decimal_commas(tmp_path):
    path = write_text(
        tmp_path / "adresser.csv",
        "id;units;x;y\na1;3;710000,5;6180000,25\na2;1;710010;6180010\n",
    )
    loaded = load_file(path, "addresses", crs="EPSG:25832")
    assert loaded.problems == []
    assert loaded.frame.geometry.iloc[0].coords[0] == (710000.5, 6180000.25)
    assert loaded.frame["units"].tolist() == [3, 1]


def test_csv_coordinates_that_are_not_numbers_are_named(tmp_path):
    path = write_text(tmp_path / "adr.csv", "id,x,y\na1,710000,6180000\na2,abc,6180000\na3,,\n")
    loaded = load_file(path, "addresses", crs="EPSG:25832")
    found = {(p.feature_id, p.field, p.rule) for p in loaded.errors}
    assert ("a2", "x", "coordinate") in found
    assert ("a3", "x/y", "coordinate") in found
    assert "'abc'" in next(p.message for p in loaded.errors if p.feature_id == "a2")


def test_csv_lon_lat_columns_are_taken_as_wgs84(tmp_path):
    path = write_text(tmp_path / "sites.csv", "id,name,lon,lat\ns1,Måløv Skole,12.32,55.75\n")
    loaded = load_file(path, "sites")
    assert loaded.problems == []
    assert any("EPSG:4326" in n for n in loaded.notes)
    assert loaded.frame.geometry.iloc[0].x == pytest.approx(TO_UTM.transform(12.32, 55.75)[0])


@pytest.mark.parametrize(
    ("header", "lon", "lat"),
    [("Længdegrad;Breddegrad", "12,32", "55,75"), ("laengdegrad;breddegrad", "12.32", "55.75")],
)
def test_csv_danish_degree_columns_are_taken_as_wgs84(tmp_path, header, lon, lat):
    # what Danish Excel writes: semicolons, decimal commas, Danish headers
    text = f"id;name;{header}\ns1;Måløv Skole;{lon};{lat}\n"
    loaded = load_file(write_text(tmp_path / "sites.csv", text), "sites")
    assert loaded.problems == []
    assert any("EPSG:4326" in n for n in loaded.notes)
    assert loaded.frame.geometry.iloc[0].x == pytest.approx(TO_UTM.transform(12.32, 55.75)[0])


def test_csv_danish_x_y_koordinat_columns_are_read(tmp_path):
    text = "id;X_koordinat;Y_koordinat\na1;710000,5;6180000\n"
    loaded = load_file(write_text(tmp_path / "adr.csv", text), "addresses", crs="EPSG:25832")
    assert [p for p in loaded.problems if p.rule == "no-geometry"] == []
    assert loaded.frame.geometry.iloc[0].x == pytest.approx(710000.5)


def test_csv_in_windows_1252_keeps_danish_letters(tmp_path):
    path = write_text(
        tmp_path / "sites.csv", "id;name;x;y\ns1;Måløv Skole;710000;6180000\n", "cp1252"
    )
    loaded = load_file(path, "sites", crs="EPSG:25832")
    assert loaded.frame.loc[0, "name"] == "Måløv Skole"


def test_csv_without_geometry_is_not_geospatial(tmp_path):
    path = write_text(
        tmp_path / "digs.csv", "id,owner,start,end\nd1,Novafos,2024-03-01,2024-06-30\n"
    )
    problem = the(load_file(path, "digs"), "no-geometry")
    assert "id, owner, start, end" in problem.message
    assert "wkt" in problem.hint and "x and y" in problem.hint


def test_csv_with_a_ragged_line_names_it(tmp_path):
    path = write_text(tmp_path / "adr.csv", "id,x,y\na1,1,2\na2,1,2,3,4\n")
    problem = the(load_file(path, "addresses"), "csv-malformed")
    assert "line 3" in problem.message


# --- bad input: every kind named with file, feature id and field --------------------------


def test_missing_file_suggests_a_close_name(tmp_path):
    (tmp_path / "digs.geojson").write_text("{}")
    with pytest.raises(MissingInputError, match=r"dig\.geojson does not exist; did you mean digs"):
        load_file(tmp_path / "dig.geojson", "digs")


def test_empty_file(tmp_path):
    path = tmp_path / "digs.gpkg"
    path.touch()
    problem = the(load_file(path, "digs"), "empty-file")
    assert problem.source == str(path) and "empty" in problem.message


def test_file_that_is_not_geospatial(tmp_path):
    path = write_text(tmp_path / "notes.geojson", "just some words")
    problem = the(load_file(path, "digs"), "unreadable")
    assert str(path) == problem.source


def test_geopackage_table_without_geometry(tmp_path):
    path = tmp_path / "t.gpkg"
    import pyogrio

    pyogrio.write_dataframe(pd.DataFrame({"id": ["d1"], "owner": ["x"]}), path, layer="digs")
    problem = the(load_file(path, "digs"), "no-geometry")
    assert "'digs'" in problem.message and "id, owner" in problem.message


def test_required_field_missing(tmp_path):
    path = tmp_path / "digs.gpkg"
    digs_frame().drop(columns=["owner"]).to_file(path, layer="digs")
    problem = the(load_file(path, "digs"), "required")
    assert (problem.source, problem.layer, problem.field) == (str(path), "digs", "owner")


def test_dates_that_do_not_parse_or_end_before_start(tmp_path):
    path = write_text(
        tmp_path / "digs.csv",
        "id,owner,start,end,wkt\n"
        f'd1,Novafos,sometime,2024-06-30,"LINESTRING ({X0} {Y0}, {X0 + 5} {Y0})"\n'
        f'd2,Novafos,2024-06-30,2024-03-01,"LINESTRING ({X0} {Y0}, {X0 + 5} {Y0})"\n',
    )
    loaded = load_file(path, "digs", crs="EPSG:25832")
    bad_date = the(loaded, "type")
    assert (bad_date.feature_id, bad_date.field) == ("d1", "start")
    assert "'sometime'" in bad_date.message
    backwards = the(loaded, "date-order")
    assert (backwards.feature_id, backwards.field) == ("d2", "end")


def test_wrong_geometry_type(tmp_path):
    path = tmp_path / "streets.gpkg"
    gpd.GeoDataFrame({"id": ["p1"]}, geometry=[Point(X0, Y0)], crs=DEFAULT_WORKSPACE_CRS).to_file(
        path
    )
    problem = the(load_file(path, "streets"), "geometry-type")
    assert (problem.feature_id, problem.field) == ("p1", "geometry")
    assert "Point" in problem.message and "LineString" in problem.message


def test_degenerate_geometry(tmp_path):
    path = tmp_path / "streets.gpkg"
    zero = LineString([(X0, Y0), (X0, Y0)])
    gpd.GeoDataFrame({"id": ["z"]}, geometry=[zero], crs=DEFAULT_WORKSPACE_CRS).to_file(path)
    problem = the(load_file(path, "streets"), "geometry-degenerate")
    assert problem.feature_id == "z"


BOWTIE = Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10), (X0, Y0)])


def test_invalid_geometry_is_an_error_and_repair_fixes_it(tmp_path):
    path = tmp_path / "digs.gpkg"
    gdf = digs_frame(1)
    gdf.geometry = [BOWTIE]
    gdf.to_file(path, layer="digs")
    problem = the(load_file(path, "digs"), "geometry-invalid")
    assert (problem.feature_id, problem.severity) == ("d0", "error")
    assert "--repair" in problem.hint
    repaired = load_file(path, "digs", repair=True)
    assert repaired.errors == []
    assert the(repaired, "geometry-invalid").severity == "repaired"
    assert repaired.frame.geometry.is_valid.all()


def test_duplicate_ids(tmp_path):
    path = tmp_path / "digs.gpkg"
    gdf = digs_frame(3)
    gdf["id"] = ["d1", "d2", "d1"]
    gdf.to_file(path, layer="digs")
    problem = the(load_file(path, "digs"), "unique")
    assert (problem.feature_id, problem.field) == ("d1", "id")


def test_values_outside_allowed_set_and_range(tmp_path):
    path = tmp_path / "adr.gpkg"
    gpd.GeoDataFrame(
        {"id": ["a1", "a2"], "units": [-3, 2], "kind": ["home", "shop"]},
        geometry=[Point(X0, Y0), Point(X0 + 1, Y0)],
        crs=DEFAULT_WORKSPACE_CRS,
    ).to_file(path)
    loaded = load_file(path, "addresses")
    negative = the(loaded, "range")
    assert (negative.feature_id, negative.field) == ("a1", "units") and "-3" in negative.message
    shop = the(loaded, "allowed")
    assert (shop.feature_id, shop.field) == ("a2", "kind") and "home, business" in shop.hint


def test_degrees_labelled_as_utm(tmp_path):
    path = tmp_path / "digs.shp"
    gdf = digs_frame(1)
    gdf.geometry = [LineString([(12.36, 55.73), (12.37, 55.73)])]
    gdf.to_file(path)
    loaded = load_file(path, "digs")
    problem = the(loaded, "crs-mismatch")
    assert "look like degrees" in problem.message and "--crs EPSG:4326" in problem.hint
    assert loaded.frame.crs == DEFAULT_WORKSPACE_CRS  # not reprojected: the numbers are wrong
    fixed = load_file(path, "digs", crs="EPSG:4326")
    assert fixed.errors == []
    assert fixed.frame.total_bounds[0] > 600_000


def test_invalid_crs_argument():
    with pytest.raises(InputError, match="not a coordinate reference system"):
        load_file(Path(__file__), "digs", crs="EPSG:99999999")


def test_all_problems_of_a_file_are_collected(tmp_path):
    path = write_text(
        tmp_path / "digs.csv",
        "id,owner,start,end,purpose,wkt\n"
        f'd1,,2024-03-01,2024-06-30,water,"LINESTRING ({X0} {Y0}, {X0 + 5} {Y0})"\n'
        f'd2,Radius,2024-13-45,2024-06-30,telecom,"POINT ({X0} {Y0})"\n'
        "d2,Radius,2024-03-01,2024-02-01,power,LINESTRING (1 2\n",
    )
    with pytest.raises(InputError) as info:
        read_file(path, "digs", crs="EPSG:25832")
    found = {(p.feature_id, p.rule) for p in info.value.problems}
    assert {
        ("d1", "required"),
        ("d2", "type"),
        ("d2", "allowed"),
        ("d2", "geometry-type"),
        ("d2", "unique"),
        ("d2", "date-order"),
        ("d2", "wkt"),
    } <= found
    assert str(path) in str(info.value)


def test_unknown_or_derived_target_layer():
    with pytest.raises(InputError, match="'roads' is not a layer"):
        load_file(Path(__file__), "roads")
    with pytest.raises(InputError, match="derives"):
        load_file(Path(__file__), "coverage")


# --- multi-part features ------------------------------------------------------------------


def test_multi_part_lines_are_split_with_lengths_kept(tmp_path):
    path = tmp_path / "streets.gpkg"
    multi = MultiLineString([utm_line().coords, utm_line(300, 50).coords])
    gpd.GeoDataFrame({"id": ["m"]}, geometry=[multi], crs=DEFAULT_WORKSPACE_CRS).to_file(path)
    loaded = load_file(path, "streets")
    assert loaded.frame["id"].tolist() == ["m/1", "m/2"]
    assert loaded.frame.length.sum() == pytest.approx(150.0)


# --- mappings -----------------------------------------------------------------------------


def test_builtin_mappings_are_installed_and_valid():
    mappings = builtin_mappings()
    assert {"geodanmark", "vejman", "osm", "dar"} <= set(mappings)
    for mapping in mappings.values():
        for rule in mapping.rules:
            if rule.target == "road_class":
                targets = set(rule.values.values()) | {v for _, v in rule.patterns}
                assert targets <= set(ROAD_CLASSES), mapping.name


def test_guess_mapping_from_fields():
    assert guess_mapping(["vejmidtetype", "vejkategori", "status"]).name == "geodanmark"
    assert guess_mapping(["osm_id", "highway", "name"]).name == "osm"
    assert guess_mapping([], driver="OSM", layer="streets").name == "osm"
    assert guess_mapping(["id", "vejnavn", "husnr", "postnr"]).name == "dar"
    assert guess_mapping(["vejnavn", "husnr", "postnr"], layer="streets") is None


def test_user_mapping_renames_translates_and_sets_values(tmp_path):
    mapping = write_text(
        tmp_path / "novafos.toml",
        """
name = "novafos"
layer = "digs"
keep = ["sagsnr"]

[fields]
id = "sagsnr"
start = ["startdato", "start"]
end = "slutdato"

[fields.owner]
value = "Novafos"

[fields.purpose]
source = "ledningstype"
unmapped = "other"
[fields.purpose.values]
"Vand" = "water"
"Spildevand*" = "wastewater"
""",
    )
    data = write_text(
        tmp_path / "graveplan.csv",
        "sagsnr;startdato;slutdato;ledningstype;wkt\n"
        f"N-1;01-03-2024;30-06-2024;vand;LINESTRING ({X0} {Y0}, {X0 + 10} {Y0})\n"
        f"N-2;01-03-2024;30-06-2024;Spildevand, separat;LINESTRING ({X0} {Y0}, {X0 + 9} {Y0})\n"
        f"N-3;01-03-2024;30-06-2024;Gas;LINESTRING ({X0} {Y0}, {X0 + 8} {Y0})\n",
    )
    loaded = load_file(data, "digs", mapping=mapping, crs="EPSG:25832")
    assert loaded.errors == []
    frame = loaded.frame
    assert frame["id"].tolist() == ["N-1", "N-2", "N-3"]
    assert frame["owner"].unique().tolist() == ["Novafos"]
    assert frame["purpose"].tolist() == ["water", "wastewater", "other"]
    assert frame.loc[0, "start"] == pd.Timestamp("2024-03-01")
    assert frame["sagsnr"].tolist() == ["N-1", "N-2", "N-3"]
    warning = the(loaded, "mapping-unmapped")
    assert "'Gas'" in warning.message and "ledningstype" in warning.message
    assert warning.severity == "warning"
    assert loaded.mapping == "novafos"


def test_user_mapping_can_extend_a_builtin(tmp_path):
    mapping = write_text(
        tmp_path / "vejman-local.toml",
        'extends = "vejman"\n[fields.road_class.values]\n"P-anlæg" = "local"\n',
    )
    loaded = load_mapping(mapping)
    assert loaded.layer == "streets"
    rule = next(r for r in loaded.rules if r.target == "road_class")
    assert rule.values["p-anlæg"] == "local"
    assert rule.patterns  # the built-in patterns are still there


def test_mapping_with_mistakes_lists_them_all(tmp_path):
    mapping = write_text(
        tmp_path / "bad.toml",
        'layer = "streets"\ncolour = "red"\n[fields]\nroadclass = "type"\n'
        '[fields.road_class]\nsource = "type"\nvalues = {A = "highway"}\n',
    )
    with pytest.raises(InputError) as info:
        load_mapping(mapping)
    messages = " | ".join(p.message for p in info.value.problems)
    assert "unknown key 'colour'" in messages
    assert "'roadclass'" in messages
    assert "'highway'" in messages
    assert all(p.source == str(mapping) for p in info.value.problems)


def test_mapping_that_is_not_toml(tmp_path):
    mapping = write_text(tmp_path / "bad.toml", "layer = streets\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_mapping(mapping)


def test_unknown_builtin_mapping_lists_the_builtins():
    with pytest.raises(InputError) as info:
        load_mapping("geodenmark")
    assert "geodanmark" in info.value.problems[0].hint


def test_mapping_for_another_layer_is_refused(tmp_path):
    path = tmp_path / "x.gpkg"
    digs_frame().to_file(path, layer="digs")
    with pytest.raises(InputError, match="osm mapping is for layer 'streets', not 'digs'"):
        load_file(path, "digs", mapping="osm")


def test_mapping_template_field_missing_is_named(tmp_path):
    path = tmp_path / "roads.gpkg"
    gpd.GeoDataFrame(
        {"CPR_VEJNAVN": ["Vej"], "VEJSTIKLASSE": ["Lokalvej, primær by"]},
        geometry=[utm_line()],
        crs=DEFAULT_WORKSPACE_CRS,
    ).to_file(path)
    loaded = load_file(path, "streets")
    problem = the(loaded, "mapping-field")
    assert "ADMVEJNR" in problem.message and problem.field == "id"


# --- guessing the layer -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "layer"),
    [
        ("novafos_digs_2024.gpkg", "digs"),
        ("graveplaner.gpkg", "digs"),
        ("adresser.gpkg", "addresses"),
    ],
)
def test_guess_layer_from_the_file_name(tmp_path, name, layer):
    path = tmp_path / name
    gpd.GeoDataFrame({"x": [1]}, geometry=[Point(X0, Y0)], crs=DEFAULT_WORKSPACE_CRS).to_file(path)
    guessed, reason = guess_layer(path)
    assert guessed == layer and "file name" in reason


def test_guess_layer_from_fields(tmp_path):
    path = tmp_path / "export.gpkg"
    digs_frame().to_file(path)
    guessed, reason = guess_layer(path)
    assert guessed == "digs" and "owner" in reason


def test_guess_layer_fails_with_a_hint(tmp_path):
    path = tmp_path / "export.gpkg"
    gpd.GeoDataFrame({"foo": [1]}, geometry=[Point(X0, Y0)], crs=DEFAULT_WORKSPACE_CRS).to_file(
        path
    )
    with pytest.raises(InputError) as info:
        guess_layer(path)
    assert "--layer" in info.value.problems[0].hint


# --- DAR address CSV ----------------------------------------------------------------------


def test_dar_address_csv_groups_units_per_entrance(tmp_path):
    path = write_text(
        tmp_path / "adresser.csv",
        "id,vejnavn,husnr,etage,dør,postnr,postnrnavn,adgangsadresseid,"
        "etrs89koordinat_øst,etrs89koordinat_nord\n"
        "u1,Måløv Byvej,12,st,tv,2760,Måløv,A1,710000.5,6180000.5\n"
        "u2,Måløv Byvej,12,1,tv,2760,Måløv,A1,710000.5,6180000.5\n"
        "u3,Måløv Byvej,12,1,th,2760,Måløv,A1,710000.5,6180000.5\n"
        "u4,Ballerup Byvej,3,,,2750,Ballerup,A2,710100,6180100\n",
    )
    loaded = load_file(path, "addresses")
    assert loaded.errors == []
    frame = loaded.frame
    assert loaded.mapping == "dar"
    assert frame["id"].tolist() == ["A1", "A2"]
    assert frame["units"].tolist() == [3, 1]
    assert frame.loc[0, "postnrnavn"] == "Måløv"
    assert frame["address"].tolist() == [
        "Måløv Byvej 12, 2760 Måløv",
        "Ballerup Byvej 3, 2750 Ballerup",
    ]
    assert frame.geometry.iloc[0].coords[0] == (710000.5, 6180000.5)
    assert loaded.features_read == 4 and loaded.features_skipped == 2


# --- OpenStreetMap ------------------------------------------------------------------------


def write_osm(path: Path) -> Path:
    osmium = pytest.importorskip("osmium")
    meta = {"version": 1, "timestamp": "2024-01-01T00:00:00Z", "changeset": 1, "uid": 1}
    nodes = {1: (12.360, 55.730), 2: (12.370, 55.730), 3: (12.380, 55.735), 4: (12.390, 55.740)}
    writer = osmium.SimpleWriter(str(path))
    try:
        for nid, location in nodes.items():
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=location, **meta))
        ways = [
            (10, [1, 2], {"highway": "residential", "name": "Måløv Hovedgade"}),
            (11, [2, 3, 4], {"highway": "cycleway"}),
            (12, [3, 4], {"waterway": "stream", "name": "Måløv Å"}),
            (13, [1, 3], {"highway": "primary", "name": "Ballerupvej"}),
            (14, [2, 4], {"highway": "proposed"}),
            (15, [1, 4], {"highway": "bus_guideway"}),
        ]
        for wid, refs, tags in ways:
            writer.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags, **meta))
    finally:
        writer.close()
    return path


def test_osm_pbf_highways_become_streets(tmp_path):
    path = write_osm(tmp_path / "ballerup.osm.pbf")
    loaded = load_file(path, "streets")
    assert loaded.mapping == "osm" and loaded.source_layer == "lines"
    frame = loaded.frame.set_index("id")
    assert sorted(frame.index) == ["w10", "w11", "w13", "w15"]
    assert frame.loc["w10", "name"] == "Måløv Hovedgade"
    assert frame.loc["w10", "road_class"] == "local"
    assert frame.loc["w11", "road_class"] == "path"
    assert frame.loc["w13", "road_class"] == "through"
    assert frame.loc["w15", "road_class"] == "other"
    assert loaded.features_read == 6 and loaded.features_skipped == 2
    assert frame.crs == DEFAULT_WORKSPACE_CRS
    x, y = TO_UTM.transform(12.36, 55.73)
    assert frame.loc["w10"].geometry.coords[0] == pytest.approx((x, y), abs=0.01)
    warning = the(loaded, "mapping-unmapped")
    assert "'bus_guideway'" in warning.message


# --- the real GeoDanmark and Vejman files -------------------------------------------------


def test_geodanmark_vejmidte_imports_as_streets(shared_data):
    path = shared_data / "odense-vejmidte-sample.gml"
    raw = gpd.read_file(path)
    loaded = load_file(path, "streets")
    assert loaded.errors == []
    assert loaded.mapping == "geodanmark"
    frame = loaded.frame
    assert len(frame) == 50
    assert frame.length.sum() == pytest.approx(raw.length.sum(), rel=1e-9)
    assert frame["id"].is_unique
    by_type = dict(zip(raw["id.lokalId"].astype(str), raw["vejmidtetype"], strict=True))
    paths = frame[frame["id"].map(by_type) == "Sti"]
    assert len(paths) == 20 and set(paths["road_class"]) == {"path"}
    roads = frame[frame["id"].map(by_type) == "Vej"]
    by_category = dict(zip(raw["id.lokalId"].astype(str), raw["vejkategori"], strict=True))
    expected = {"Fordelingsrute": "distributor", "Lille vej": "local", "Adgangsvej": "local"}
    for _, row in roads.iterrows():
        assert row["road_class"] == expected[by_category[row["id"]]]
    assert {"kommunekode", "vejkode"} <= set(frame.columns)


def test_vejman_roads_import_as_streets(shared_data):
    path = shared_data / "odense-vejman-roads.gml"
    raw = gpd.read_file(path)
    # The fields as mapped, part by part (the twin merge, on by default, is test_twins's).
    loaded = load_file(path, "streets", merge_twins=False)
    assert loaded.errors == []
    assert loaded.mapping == "vejman"
    frame = loaded.frame
    assert set(frame.geom_type) == {"LineString"}
    assert len(frame) == int(raw.geometry.count_geometries().sum())
    assert frame.length.sum() == pytest.approx(raw.length.sum(), rel=1e-9)
    assert frame["id"].is_unique
    assert set(frame["road_class"]) <= set(ROAD_CLASSES)
    assert set(frame["name"].dropna()) == set(raw["CPR_VEJNAVN"].dropna())
    expected = {
        "Trafikvej, primær by": "distributor",
        "Trafikvej, gennemfart land": "through",
        "Lokalvej, tertiær by": "local",
        "P-anlæg": "other",
    }
    raw_id = (
        raw["ADMVEJNR"].astype(str)
        + "-"
        + raw["ADMVEJDEL"].astype(str)
        + "-"
        + raw["FRAKM"].astype(str)
        + "+"
        + raw["FRAM"].astype(str)
    )
    classes = dict(zip(raw_id, raw["VEJSTIKLASSE"], strict=True))
    base = frame["id"].str.split("/").str[0]
    for klass_name, road_class in expected.items():
        chosen = frame[base.map(classes) == klass_name]
        assert not chosen.empty, klass_name
        assert set(chosen["road_class"]) == {road_class}, klass_name
    unclassified = frame[base.map(classes).isna()]
    assert set(unclassified["road_class"]) == {"local"}  # the layer default


def test_geodanmark_file_guesses_layer(shared_data):
    layer, reason = guess_layer(shared_data / "odense-vejmidte-sample.gml")
    assert layer == "streets" and "GeoDanmark" in reason


def test_danish_dig_plan_is_recognised_and_translated(tmp_path):
    path = write_text(
        tmp_path / "forsyning.csv",
        "sagsnr;ledningsejer;ledningstype;startdato;slutdato;status;sikkerhed;wkt\n"
        f"F-1;Novafos;Spildevand;01-04-2025;30-09-2025;Godkendt;Budgetteret;"
        f"LINESTRING ({X0} {Y0}, {X0 + 60} {Y0})\n"
        "F-2;Radius;Elkabel;2025-05-01;2025-05-20;Planlagt;;"
        f"LINESTRING ({X0} {Y0}, {X0} {Y0 + 30})\n",
    )
    loaded = load_file(path, "digs", crs="EPSG:25832")
    assert loaded.errors == [] and loaded.mapping == "graveplan"
    frame = loaded.frame.set_index("id")
    assert frame.loc["F-1", ["owner", "purpose", "status", "confidence"]].tolist() == [
        "Novafos",
        "wastewater",
        "confirmed",
        "budgeted",
    ]
    assert frame.loc["F-2", ["purpose", "status", "confidence"]].tolist() == [
        "power",
        "planned",
        "indicative",
    ]
    assert frame.loc["F-1", "end"] == pd.Timestamp("2025-09-30")


# --- audit reports ------------------------------------------------------------------------


def audit_problems():
    from ductplanner.core._errors import Problem

    return [
        Problem("plan.csv", "digs", "d1", "owner", "required", "owner is empty", "fill it in"),
        Problem("plan.csv", "digs", '<img src=x onerror="alert(1)">', "id", "unique", "dup"),
        Problem("plan.csv", "digs", "=HYPERLINK(1)", "end", "type", "-2 is odd", "", "warning"),
    ]


def test_audit_html_escapes_everything_from_the_input(tmp_path):
    from ductplanner.io.audit import write_report

    path = write_report(audit_problems(), tmp_path / "r.html", summary={"file": "<b>x</b>"})
    text = path.read_text(encoding="utf-8")
    assert '<img src=x onerror="alert(1)">' not in text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in text
    assert "&lt;b&gt;x&lt;/b&gt;" in text
    assert "<link" not in text and "src=" not in text.replace("src=x", "")
    assert text.index("owner is empty") < text.index("-2 is odd")  # errors first


def test_audit_csv_rows_and_formula_guard(tmp_path):
    import csv as csv_module

    from ductplanner.io.audit import REPORT_COLUMNS, write_report

    path = write_report(audit_problems(), tmp_path / "r.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # spreadsheet programs then show æ, ø, å
    rows = list(csv_module.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert tuple(rows[0]) == REPORT_COLUMNS
    ids = [r["feature_id"] for r in rows]
    assert ids == ["d1", '<img src=x onerror="alert(1)">', "'=HYPERLINK(1)"]
    assert rows[2]["message"] == "'-2 is odd" and rows[2]["severity"] == "warning"


def test_audit_json_counts_and_rows(tmp_path):
    from ductplanner.io.audit import write_report

    path = write_report(audit_problems(), tmp_path / "r.json", title="Novafos 2025")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["title"] == "Novafos 2025"
    assert document["counts"]["error"] == 2 and document["counts"]["warning"] == 1
    assert document["problems"][0] == {
        "file": "plan.csv",
        "layer": "digs",
        "feature_id": "d1",
        "field": "owner",
        "rule": "required",
        "message": "owner is empty",
        "hint": "fill it in",
        "severity": "error",
    }


def test_audit_refuses_unknown_extension(tmp_path):
    from ductplanner.io.audit import write_report

    with pytest.raises(InputError, match=r"\.html, \.json or \.csv"):
        write_report(audit_problems(), tmp_path / "r.xlsx")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("lon", "lat", "far"),
    [(24.94, 60.17, True), (12.57, 55.68, False), (14.9, 55.1, False), (-3.7, 40.4, True)],
)  # Helsinki, Copenhagen, Bornholm, Madrid
def test_data_far_from_the_workspace_zone_is_warned_about(tmp_path, lon, lat, far):
    path = tmp_path / "streets.geojson"
    line = LineString([(lon, lat), (lon + 0.002, lat + 0.001)])
    gpd.GeoDataFrame({"id": ["s1"]}, geometry=[line], crs="EPSG:4326").to_file(path)
    loaded = load_file(path, "streets", workspace_crs="EPSG:25832")  # a Danish workspace's
    warned = [p for p in loaded.problems if p.rule == "crs-far-from-zone"]
    assert bool(warned) is far
    assert not loaded.errors  # a warning never blocks the import
    if lon > 20:
        (warning,) = warned
        assert warning.severity == "warning"
        assert "EPSG:25832 draws lengths up to 0.91 % off" in warning.message
        assert "a new workspace, which takes EPSG:25835" in warning.hint
