"""The workspace GeoPackage: round trips, provenance, and all-or-nothing writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from conftest import workspace_state
from shapely import MultiPolygon, Point, box

from ductplanner.app.workflows.layers import import_file
from ductplanner.core._errors import InputError, MissingInputError, WorkspaceError
from ductplanner.io.postgis import Database
from ductplanner.io.workspace import (
    SOURCES_TABLE,
    editing,
    list_layers,
    read_layer,
    read_layers,
    read_sources,
    write_layers,
)
from ductplanner.model.layers import DEFAULT_WORKSPACE_CRS, INPUT_LAYERS, SCHEMAS


def digest(path: Path | Database) -> object:
    return workspace_state(path)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def leftovers_of(ws: Path | Database) -> list[str]:
    """Hidden files left beside a GeoPackage workspace (a database leaves no files)."""
    return leftovers(ws.parent) if isinstance(ws, Path) else []


# --- round trips --------------------------------------------------------------------------


def test_every_layer_round_trips(tiny, tiny_workspace):
    back = read_layers(tiny_workspace)
    assert sorted(back) == sorted(INPUT_LAYERS)
    for name, original in tiny.items():
        again = back[name]
        assert again.crs == DEFAULT_WORKSPACE_CRS
        assert list(again.columns) == list(original.columns), name
        for field in SCHEMAS[name].fields:
            left, right = original[field.name], again[field.name]
            assert str(left.dtype) == str(right.dtype), (name, field.name)
            pd.testing.assert_series_equal(left, right, check_names=False, obj=f"{name}.{field}")
        assert again.geometry.geom_equals(original.geometry).all(), name


def test_danish_text_dates_and_missing_numbers_survive(tiny, tmp_path):
    path = tmp_path / "ws.gpkg"
    digs = tiny["digs"].copy()
    digs.loc[0, "owner"] = "Måløv Vandværk «Ø»"
    write_layers(path, {"digs": digs})
    back = read_layer(path, "digs")
    assert back.loc[0, "owner"] == "Måløv Vandværk «Ø»"
    assert back.loc[0, "start"] == pd.Timestamp("2020-04-01")
    assert back["permit_date"].isna().all()
    streets = read_layers(tmp_path / "ws.gpkg", ["digs"])
    assert list(streets) == ["digs"]


def test_districts_stay_multi_polygons(tmp_path):
    path = tmp_path / "ws.gpkg"
    x, y = 710_000, 6_180_000
    multi = MultiPolygon([box(x, y, x + 10, y + 10), box(x + 20, y, x + 30, y + 10)])
    districts = gpd.GeoDataFrame(
        {"id": ["d1", "d2"], "name": ["Vest", "Øst"]},
        geometry=[multi, box(x, y + 50, x + 10, y + 60)],
        crs=DEFAULT_WORKSPACE_CRS,
    )
    write_layers(path, {"districts": districts})
    back = read_layer(path, "districts")
    assert back.geometry.iloc[0].equals(multi)
    assert back.geometry.area.tolist() == pytest.approx([200.0, 100.0])


def test_layers_in_another_crs_are_reprojected_on_write(tiny, tmp_path):
    path = tmp_path / "ws.gpkg"
    write_layers(path, {"backbone": tiny["backbone"].to_crs("EPSG:4326")})
    back = read_layer(path, "backbone")
    assert back.crs == DEFAULT_WORKSPACE_CRS
    assert back.geometry.iloc[0].distance(tiny["backbone"].geometry.iloc[0]) < 0.01


def test_imported_layer_reads_back_as_loaded(tmp_path, tiny):
    source = tmp_path / "sites.geojson"
    tiny["sites"].to_crs("EPSG:4326").to_file(source)
    workspace = tmp_path / "ws.gpkg"
    import_file(workspace, "sites", source)
    back = read_layer(workspace, "sites")
    assert back["id"].tolist() == tiny["sites"]["id"].tolist()
    assert back["connected"].tolist() == tiny["sites"]["connected"].tolist()
    distances = back.geometry.distance(tiny["sites"].geometry)
    assert (distances < 0.01).all()


# --- provenance ---------------------------------------------------------------------------


def test_provenance_records_source_and_counts(tiny, tmp_path):
    path = tmp_path / "ws.gpkg"
    write_layers(path, {"digs": tiny["digs"]}, sources={"digs": "novafos.csv"}, note="spring")
    sources = read_sources(path).set_index("layer")
    assert sources.loc["digs", "source"] == "novafos.csv"
    assert sources.loc["digs", "features"] == len(tiny["digs"])
    assert sources.loc["digs", "note"] == "spring"
    assert sources["synthetic"].dtype == bool and not sources.loc["digs", "synthetic"]
    write_layers(path, {"sites": tiny["sites"]}, synthetic=True)
    sources = read_sources(path).set_index("layer")
    assert sources.loc["sites", "synthetic"] and not sources.loc["digs", "synthetic"]
    assert sources["features"].tolist() == [len(tiny["digs"]), len(tiny["sites"])]
    assert SOURCES_TABLE in list_layers(path)


def test_append_keeps_both_sources(tmp_path, tiny):
    first, second = tmp_path / "novafos.geojson", tmp_path / "radius.geojson"
    tiny["digs"].iloc[:1].to_file(first)
    tiny["digs"].iloc[1:].to_file(second)
    workspace = tmp_path / "ws.gpkg"
    import_file(workspace, "digs", first)
    import_file(workspace, "digs", second, append=True)
    source = read_sources(workspace).set_index("layer").loc["digs", "source"]
    assert "novafos.geojson" in source and "radius.geojson" in source
    assert read_layer(workspace, "digs")["id"].tolist() == tiny["digs"]["id"].tolist()


# --- all or nothing -----------------------------------------------------------------------


def test_failed_write_leaves_workspace_byte_for_byte(tiny, tiny_workspace):
    before = digest(tiny_workspace)
    no_crs = tiny["streets"].set_crs(None, allow_override=True)
    with pytest.raises(WorkspaceError, match="no CRS"):
        write_layers(tiny_workspace, {"ducts": tiny["ducts"], "streets": no_crs})
    assert digest(tiny_workspace) == before
    assert leftovers_of(tiny_workspace) == []


def test_failed_import_leaves_workspace_byte_for_byte(tiny_workspace, tmp_path):
    before = digest(tiny_workspace)
    bad = tmp_path / "digs.csv"
    bad.write_text("id,owner,start,end,wkt\nd9,,2024-01-01,2023-01-01,POINT (1 2\n")
    with pytest.raises(InputError):
        import_file(tiny_workspace, "digs", bad, crs="EPSG:25832")
    assert digest(tiny_workspace) == before


def test_failed_append_with_clashing_ids_leaves_workspace_byte_for_byte(
    tiny, tiny_workspace, tmp_path
):
    before = digest(tiny_workspace)
    clash = tmp_path / "more.gpkg"
    tiny["digs"].iloc[:1].to_file(clash, layer="digs")
    with pytest.raises(InputError, match="already used"):
        import_file(tiny_workspace, "digs", clash, append=True)
    assert digest(tiny_workspace) == before


def test_editing_discards_the_copy_on_error(tiny_gpkg):
    before = digest(tiny_gpkg)
    with pytest.raises(RuntimeError), editing(tiny_gpkg) as copy:
        with sqlite3.connect(copy) as db:
            db.execute("DROP TABLE streets")
        raise RuntimeError("power cut")
    assert digest(tiny_gpkg) == before
    assert "streets" in list_layers(tiny_gpkg)
    assert leftovers_of(tiny_gpkg) == []


def test_editing_replaces_the_workspace_on_success(tiny, tiny_gpkg):
    with editing(tiny_gpkg) as copy:
        tiny["addresses"].iloc[:3].to_file(copy, layer="addresses")
    assert len(read_layer(tiny_gpkg, "addresses")) == 3


def test_new_workspace_is_not_created_when_the_first_write_fails(tmp_path, tiny):
    path = tmp_path / "new.gpkg"
    with pytest.raises(WorkspaceError):
        write_layers(path, {"streets": tiny["streets"].set_crs(None, allow_override=True)})
    assert not path.exists()
    assert leftovers(tmp_path) == []


# --- bad workspaces -----------------------------------------------------------------------


def test_missing_workspace_says_how_to_create_one(tmp_path):
    with pytest.raises(MissingInputError, match="ductplanner import"):
        list_layers(tmp_path / "nope.gpkg")


def test_file_that_is_not_a_geopackage(tmp_path):
    path = tmp_path / "ws.gpkg"
    path.write_text("id,x,y\n")
    with pytest.raises(WorkspaceError, match="not an SQLite file"):
        read_layer(path, "streets")


def test_absent_layer_is_an_error_or_empty(new_workspace, tiny):
    tiny_workspace = new_workspace()
    del tiny["sites"]
    write_layers(tiny_workspace, tiny)
    with pytest.raises(WorkspaceError, match="import one with"):
        read_layer(tiny_workspace, "sites")
    empty = read_layer(tiny_workspace, "sites", required=False)
    assert empty.empty and list(empty.columns[:-1]) == SCHEMAS["sites"].field_names


def test_point_layer_round_trips_many_rows(tmp_path):
    n = 2000
    points = gpd.GeoDataFrame(
        {"id": [f"a{i}" for i in range(n)], "units": [i % 7 for i in range(n)]},
        geometry=[Point(710_000 + i, 6_180_000) for i in range(n)],
        crs=DEFAULT_WORKSPACE_CRS,
    )
    path = tmp_path / "ws.gpkg"
    write_layers(path, {"addresses": points})
    back = read_layer(path, "addresses")
    assert back["units"].sum() == points["units"].sum()
    assert back["id"].tolist() == points["id"].tolist()


def test_every_table_ductplanner_writes_is_known_to_the_workspace():
    from ductplanner.io.workspace import ATTRIBUTE_TABLES, SOURCES_TABLE
    from ductplanner.model.decisions import DECISIONS_TABLE
    from ductplanner.model.interest import INTEREST_TABLE
    from ductplanner.simulate import TABLES

    assert {SOURCES_TABLE, DECISIONS_TABLE, INTEREST_TABLE, *TABLES} == set(ATTRIBUTE_TABLES)


def test_validate_does_not_warn_about_ductplanner_tables(tiny_workspace):
    from ductplanner.app.workflows.layers import validate_path

    write_layers(tiny_workspace, {"forecast": pd.DataFrame({"scenario": ["x"], "year": [2020]})})
    write_layers(tiny_workspace, {"mystery": pd.DataFrame({"a": [1]})})
    text = validate_path(tiny_workspace).text
    assert "'mystery' is not a ductplanner layer" in text
    assert "'forecast'" not in text


def test_workspace_is_a_geopackage_1_2_that_older_gdal_reads_without_warning(tiny_gpkg):
    write_layers(tiny_gpkg, {"forecast": pd.DataFrame({"scenario": ["x"]})})
    with sqlite3.connect(tiny_gpkg) as db:
        application_id, user_version = db.execute(
            "SELECT * FROM pragma_application_id, pragma_user_version"
        ).fetchone()
    assert application_id == 0x47504B47  # "GPKG"
    assert user_version == 10200


# --- filtered reads -----------------------------------------------------------------------------


def test_a_filtered_read_returns_only_the_rows_that_match(tiny_workspace):
    one = read_layer(tiny_workspace, "addresses", where={"id": "A05"})
    assert one["id"].tolist() == ["A05"] and one.crs == DEFAULT_WORKSPACE_CRS
    assert one["address"].tolist() == ["Skolevej 4, 2750 Ballerup"]
    both = read_layer(tiny_workspace, "digs", where={"owner": "Novafos", "id": "NOV-1"})
    assert both["id"].tolist() == ["NOV-1"]
    assert read_layer(tiny_workspace, "addresses", where={"no_such_field": "A05"}).empty


@pytest.mark.parametrize(
    "value",
    ["A05' OR '1'='1", 'A05" OR 1=1 --', "A05\x00", "'; DROP TABLE addresses; --", "%", "A0_"],
)
def test_a_filtered_read_compares_any_text_and_never_runs_it(tiny_workspace, value, state_of):
    before = state_of(tiny_workspace)
    assert read_layer(tiny_workspace, "addresses", where={"id": value}).empty
    assert state_of(tiny_workspace) == before and len(read_layer(tiny_workspace, "addresses")) == 16
