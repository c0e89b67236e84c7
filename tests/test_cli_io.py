"""`ductplanner import` and `ductplanner validate` through the command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import pytest
from conftest import workspace_state
from shapely import LineString, Point

from ductplanner.cli import main
from ductplanner.io.postgis import Database
from ductplanner.io.workspace import read_layer
from ductplanner.model.layers import DEFAULT_WORKSPACE_CRS

X0, Y0 = 710_000.0, 6_180_000.0


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def ws(new_workspace):
    """A new, empty workspace: a GeoPackage, then a PostGIS schema."""
    return new_workspace()


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code, out, _ = run(capsys, *argv, "--json")
    return code, json.loads(out)


def digest(path: Path | Database) -> object:
    return workspace_state(path)


def digs_file(path: Path, ids: list[str], **overrides) -> Path:
    rows = {
        "id": ids,
        "owner": ["Novafos"] * len(ids),
        "start": ["2025-04-01"] * len(ids),
        "end": ["2025-06-30"] * len(ids),
    }
    rows.update(overrides)
    geometry = [LineString([(X0 + 50 * i, Y0), (X0 + 50 * i + 40, Y0)]) for i in range(len(ids))]
    gpd.GeoDataFrame(rows, geometry=geometry, crs=DEFAULT_WORKSPACE_CRS).to_file(path)
    return path


BAD_DIGS_CSV = (
    "id,owner,start,end,wkt\n"
    f'd1,,2025-01-01,2025-02-01,"LINESTRING ({X0} {Y0}, {X0 + 5} {Y0})"\n'
    "<script>alert(1)</script>,Radius,2025-05-01,2025-02-01,"
    f'"LINESTRING ({X0} {Y0}, {X0 + 5} {Y0})"\n'
    "d3,Radius,2025-05-01,2025-06-01,LINESTRING (1 2\n"
)


@pytest.fixture
def bad_digs(tmp_path) -> Path:
    path = tmp_path / "novafos_digs.csv"
    path.write_text(BAD_DIGS_CSV, encoding="utf-8")
    return path


# --- import -------------------------------------------------------------------------------


def test_import_creates_workspace_and_reports_json(tmp_path, capsys, ws):
    source = digs_file(tmp_path / "novafos.gpkg", ["n1", "n2"])
    workspace = ws
    code, summary = run_json(capsys, "import", workspace, "digs", source)
    assert code == 0
    assert summary["layer"] == "digs" and summary["features_imported"] == 2
    assert summary["features_total"] == 2 and summary["appended"] is False
    assert summary["source"] == str(source) and summary["crs"] == "EPSG:25832"
    assert summary["problems"] == [] and summary["warnings"] == 0
    assert read_layer(workspace, "digs")["id"].tolist() == ["n1", "n2"]


def test_import_prints_a_human_summary(tmp_path, capsys, ws):
    source = digs_file(tmp_path / "novafos.gpkg", ["n1"])
    code, out, err = run(capsys, "import", ws, "digs", source)
    assert code == 0 and err == ""
    assert "Imported 1 feature from" in out and "layer digs" in out


def test_import_without_append_replaces_the_layer(tiny_workspace, tmp_path, capsys):
    source = digs_file(tmp_path / "new.gpkg", ["x1"])
    assert run(capsys, "import", tiny_workspace, "digs", source)[0] == 0
    assert read_layer(tiny_workspace, "digs")["id"].tolist() == ["x1"]
    assert len(read_layer(tiny_workspace, "streets")) == 9  # other layers untouched


def test_append_adds_without_losing_what_is_there(tiny_workspace, tmp_path, capsys):
    before = read_layer(tiny_workspace, "digs")["id"].tolist()
    source = digs_file(tmp_path / "radius.gpkg", ["R-7", "R-8"])
    code, summary = run_json(capsys, "import", tiny_workspace, "digs", source, "--append")
    assert code == 0
    assert summary["appended"] is True
    assert (
        summary["features_before"] == len(before) and summary["features_total"] == len(before) + 2
    )
    assert read_layer(tiny_workspace, "digs")["id"].tolist() == [*before, "R-7", "R-8"]


def test_append_with_an_existing_id_names_both_and_changes_nothing(
    tiny_workspace, tmp_path, capsys
):
    before = digest(tiny_workspace)
    source = digs_file(tmp_path / "radius.gpkg", ["R-9", "NOV-1"])
    code, out, err = run(capsys, "import", tiny_workspace, "digs", source, "--append")
    assert code == 1 and out == ""
    assert "Traceback" not in err
    assert str(source) in err and "feature NOV-1" in err and "field 'id'" in err
    assert f"in the workspace {tiny_workspace}" in err
    assert digest(tiny_workspace) == before


def test_failed_import_exits_1_lists_every_problem_and_leaves_workspace(
    tiny_workspace, bad_digs, capsys
):
    before = digest(tiny_workspace)
    code, out, err = run(capsys, "import", tiny_workspace, "digs", bad_digs, "--crs", "EPSG:25832")
    assert code == 1 and out == ""
    assert "Traceback" not in err
    assert err.startswith("error: ")
    assert str(bad_digs) in err
    assert "feature d1, field 'owner'" in err
    assert "feature <script>alert(1)</script>, field 'end'" in err
    assert "feature d3, field 'wkt'" in err
    assert digest(tiny_workspace) == before


def test_failed_import_with_json_prints_an_error_object(tiny_workspace, bad_digs, capsys):
    code, out, _ = run(capsys, "import", tiny_workspace, "digs", bad_digs, "--json")
    assert code == 1
    payload = json.loads(out)
    assert payload["type"] == "InputError" and str(bad_digs) in payload["error"]
    owner = next(p for p in payload["problems"] if p["feature_id"] == "d1")
    assert (owner["field"], owner["layer"], owner["severity"]) == ("owner", "digs", "error")


def test_import_missing_file(tmp_path, capsys, ws):
    code, _, err = run(capsys, "import", ws, "digs", tmp_path / "nope.gpkg")
    assert code == 1 and "nope.gpkg does not exist" in err
    assert not (ws).exists()


def test_import_into_unknown_layer(tmp_path, capsys, ws):
    source = digs_file(tmp_path / "a.gpkg", ["a"])
    code, _, err = run(capsys, "import", ws, "roads", source)
    assert code == 1 and "'roads' is not a layer" in err and "streets" in err


def test_import_into_a_file_that_is_not_a_workspace(tmp_path, capsys):
    fake = tmp_path / "ws.gpkg"
    fake.write_text("hello")
    source = digs_file(tmp_path / "a.gpkg", ["a"])
    code, _, err = run(capsys, "import", fake, "digs", source)
    assert code == 1 and "not a GeoPackage" in err
    assert fake.read_text() == "hello"


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_import_with_crs_repair_and_source_layer(tmp_path, capsys, ws):
    source = tmp_path / "mixed.gpkg"
    bowtie = [(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10), (X0, Y0)]
    from shapely import Polygon

    gpd.GeoDataFrame(
        {"id": ["b"], "owner": ["Radius"], "start": ["2025-01-01"], "end": ["2025-02-01"]},
        geometry=[Polygon(bowtie)],
    ).to_file(source, layer="radius")
    digs_file(tmp_path / "other.gpkg", ["o"])
    gpd.read_file(tmp_path / "other.gpkg").to_file(source, layer="other")
    workspace = ws
    args = ("import", workspace, "digs", source, "--source-layer", "radius")
    code, _, err = run(capsys, *args)
    assert code == 1 and "--crs" in err  # the layer has no CRS
    code, _, err = run(capsys, *args, "--crs", "EPSG:25832")
    assert code == 1 and "--repair" in err
    code, summary = run_json(capsys, *args, "--crs", "EPSG:25832", "--repair")
    assert code == 0
    assert summary["repaired"] == 1 and summary["source_layer"] == "radius"
    assert summary["problems"][0]["rule"] == "geometry-invalid"
    assert read_layer(workspace, "digs").geometry.is_valid.all()


def test_import_with_a_user_mapping(tmp_path, capsys, ws):
    mapping = tmp_path / "radius.toml"
    mapping.write_text(
        'layer = "digs"\n[fields]\nid = "sag"\nstart = "fra"\nend = "til"\n'
        '[fields.owner]\nvalue = "Radius"\n[fields.purpose]\nvalue = "power"\n',
        encoding="utf-8",
    )
    source = tmp_path / "radius.csv"
    source.write_text(f"sag;fra;til;x;y\nR1;01-04-2025;30-06-2025;{X0};{Y0}\n", encoding="utf-8")
    args = ("import", ws, "digs", source, "--crs", "EPSG:25832")
    code, _, err = run(capsys, *args, "--mapping", mapping)
    assert code == 1 and "Point, expected LineString or Polygon" in err
    source.write_text(
        f'sag;fra;til;wkt\nR1;01-04-2025;30-06-2025;"LINESTRING ({X0} {Y0}, {X0 + 9} {Y0})"\n',
        encoding="utf-8",
    )
    code, summary = run_json(capsys, *args, "--mapping", mapping)
    assert code == 0 and summary["mapping"] == "radius"
    dig = read_layer(ws, "digs").iloc[0]
    assert (dig["id"], dig["owner"], dig["purpose"]) == ("R1", "Radius", "power")


def test_import_osm_extract_as_streets(tmp_path, capsys, ws):
    osmium = pytest.importorskip("osmium")
    source = tmp_path / "area.osm.pbf"
    meta = {"version": 1, "timestamp": "2024-01-01T00:00:00Z", "changeset": 1, "uid": 1}
    writer = osmium.SimpleWriter(str(source))
    for nid, lon in ((1, 12.36), (2, 12.37), (3, 12.38)):
        writer.add_node(osmium.osm.mutable.Node(id=nid, location=(lon, 55.73), **meta))
    for wid, refs, tags in (
        (10, [1, 2], {"highway": "service"}),
        (11, [2, 3], {"railway": "rail"}),
    ):
        writer.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags, **meta))
    writer.close()
    code, summary = run_json(capsys, "import", ws, "streets", source)
    assert code == 0
    assert summary["mapping"] == "osm" and summary["source_layer"] == "lines"
    assert (summary["features_read"], summary["features_skipped"]) == (2, 1)
    street = read_layer(ws, "streets").iloc[0]
    assert (street["id"], street["road_class"]) == ("w10", "local")


def test_a_utilitys_month_first_csv_is_read_as_the_user_says(tmp_path, capsys, ws):
    source = tmp_path / "gravearbejder.csv"
    wkt = f'"LINESTRING ({X0} {Y0}, {X0 + 9} {Y0})"'
    source.write_bytes(
        f"id;owner;start;end;wkt\nNF-011;Novafos Vandværk;4/1/2026;5/2/2026;{wkt}\n".encode(
            "latin-1"
        )
    )
    args = ("import", ws, "digs", source, "--crs", "EPSG:25832")
    code, summary = run_json(capsys, *args)
    assert code == 0 and summary["warnings"] == 1
    [warning] = summary["problems"]
    assert warning["rule"] == "date-reading" and "read day first" in warning["message"]
    assert read_layer(ws, "digs").loc[0, "start"].month == 1

    code, summary = run_json(capsys, *args, "--monthfirst")
    assert code == 0 and summary["warnings"] == 0
    dig = read_layer(ws, "digs").iloc[0]
    assert (dig["start"].month, dig["start"].day, dig["owner"]) == (4, 1, "Novafos Vandværk")
    code, out, err = run(capsys, "validate", source, "--layer", "digs", "--crs", "EPSG:25832")
    assert code == 0 and "pass --monthfirst if the dates are written MM/DD/YYYY" in out
    code, _, err = run(capsys, *args, "--monthfirst", "--dayfirst")
    assert code == 2 and "not allowed with argument" in err


def test_field_renames_a_column_for_one_import(tmp_path, capsys, ws):
    # a utility's own headers, without writing a mapping file
    source = tmp_path / "graveplan.csv"
    wkt = f'"LINESTRING ({X0} {Y0}, {X0 + 9} {Y0})"'
    source.write_text(
        f"sagsnr;selskab;start;end;wkt\nNF-1;Novafos;2025-04-01;2025-06-30;{wkt}\n",
        encoding="utf-8",
    )
    args = ("import", ws, "digs", source, "--crs", "EPSG:25832")
    code, _, err = run(capsys, *args)
    assert code == 1 and "'id'" in err  # the layer's id and owner are missing
    code, summary = run_json(capsys, *args, "--field", "id=sagsnr", "--field", "owner=SELSKAB")
    assert code == 0 and summary["mapping"] == "--field"
    assert (
        "fields renamed on the command line: id from sagsnr, owner from SELSKAB"
        in (summary["notes"])
    )
    dig = read_layer(ws, "digs").iloc[0]
    assert (dig["id"], dig["owner"]) == ("NF-1", "Novafos")


def test_field_overrides_the_mapping_and_validate_takes_it_too(tmp_path, capsys):
    mapping = tmp_path / "radius.toml"
    mapping.write_text(
        'layer = "digs"\n[fields]\nid = "sag"\nstart = "fra"\nend = "til"\n'
        '[fields.owner]\nvalue = "Radius"\n',
        encoding="utf-8",
    )
    source = tmp_path / "radius.csv"
    wkt = f'"LINESTRING ({X0} {Y0}, {X0 + 9} {Y0})"'
    source.write_text(
        f"sag;løbenr;fra;til;wkt\nR;R-77;01-04-2025;30-06-2025;{wkt}\n", encoding="utf-8"
    )
    argv = ("validate", source, "--layer", "digs", "--crs", "EPSG:25832", "--mapping", mapping)
    code, summary = run_json(capsys, *argv, "--field", "id=løbenr")
    assert code == 0 and summary["errors"] == 0
    ws = tmp_path / "ws.gpkg"
    args = ("import", ws, "digs", source, "--crs", "EPSG:25832", "--mapping", mapping)
    assert run(capsys, *args, "--field", "id=løbenr")[0] == 0
    assert read_layer(ws, "digs").loc[0, "id"] == "R-77"  # not the mapping's sag


def test_field_errors_name_the_columns_and_fields_and_change_nothing(tmp_path, capsys, ws):
    source = tmp_path / "sites.csv"
    source.write_text("id;navn;x;y\ns1;Måløv Skole;710000;6180000\n", encoding="utf-8")
    args = ("import", ws, "sites", source, "--crs", "EPSG:25832")
    assert run(capsys, *args, "--field", "name=navn")[0] == 0
    before = digest(ws)
    code, _, err = run(capsys, *args, "--field", "name=skolenavn")
    assert code == 1
    assert "the file has no column 'skolenavn' (its columns: id, navn)" in err
    code, _, err = run(capsys, *args, "--field", "navn=name")
    assert code == 1 and "'navn' is not a field of the sites layer" in err
    assert "id, name, kind, priority" in err
    code, _, err = run(capsys, *args, "--field", "name")
    assert code == 2 and "write FIELD=COLUMN" in err
    assert digest(ws) == before


def test_a_missing_field_names_the_column_that_looks_like_it(tmp_path, capsys):
    source = tmp_path / "graveplan.csv"
    wkt = f'"LINESTRING ({X0} {Y0}, {X0 + 9} {Y0})"'
    source.write_text(
        f"sagsnr;Ejer;start;slut;wkt\nNF-1;Novafos;2025-04-01;2025-06-30;{wkt}\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "validate", source, "--layer", "digs", "--crs", "EPSG:25832")
    assert code == 1
    assert "(fields present: sagsnr, Ejer, start, slut; sagsnr looks like it)" in err
    for hint in ("--field id=sagsnr", "--field owner=Ejer", "--field end=slut"):
        assert f"read it from your column with {hint}" in err
    argv = ("--field", "id=sagsnr", "--field", "owner=Ejer", "--field", "end=slut")
    assert run(capsys, "validate", source, "--layer", "digs", "--crs", "EPSG:25832", *argv)[0] == 0


def test_usage_error_exits_2(capsys):
    assert run(capsys, "import", "ws.gpkg")[0] == 2


# --- validate -----------------------------------------------------------------------------


def test_validate_clean_workspace(tiny_workspace, capsys):
    code, summary = run_json(capsys, "validate", tiny_workspace)
    assert code == 0
    assert summary["kind"] == "workspace" and summary["valid"] is True
    assert summary["errors"] == 0
    assert summary["layers"]["addresses"]["features"] == 16
    assert set(summary["layers"]) >= {"streets", "digs", "addresses"}


def test_validate_one_layer_of_a_workspace(tiny_workspace, capsys):
    code, summary = run_json(capsys, "validate", tiny_workspace, "--layer", "digs")
    assert code == 0 and list(summary["layers"]) == ["digs"]
    code, _, err = run(capsys, "validate", tiny_workspace, "--layer", "coverage")
    assert code == 1 and "no layer 'coverage'" in err
    code, _, err = run(capsys, "validate", tiny_workspace, "--layer", "roads")
    assert code == 1 and "'roads' is not a ductplanner layer" in err


def test_validate_workspace_finds_problems_edited_in_by_hand(tiny, tmp_path, capsys, ws):
    from ductplanner.io.workspace import write_layers

    workspace = ws
    write_layers(workspace, tiny)
    edited = tiny["addresses"].copy()
    edited.loc[edited["id"] == "A01", "units"] = -4
    if isinstance(workspace, Path):
        edited.to_file(workspace, layer="addresses")  # as if edited in QGIS
    else:
        write_layers(workspace, {"addresses": edited})  # as if edited in QGIS's PostGIS table
    code, _, err = run(capsys, "validate", workspace)
    assert code == 1
    assert "layer addresses, feature A01, field 'units'" in err and "-4" in err


def test_validate_good_file_guesses_the_layer_and_says_so(tmp_path, capsys):
    source = digs_file(tmp_path / "export.gpkg", ["n1"])
    code, out, _ = run(capsys, "validate", source)
    assert code == 0
    assert "Checked as layer digs (guessed from the fields" in out
    assert "pass --layer" in out
    code, summary = run_json(capsys, "validate", source)
    assert summary["guessed_layer"]["layer"] == "digs" and summary["kind"] == "file"


def test_validate_bad_file_exits_1_naming_everything(bad_digs, capsys):
    code, out, err = run(capsys, "validate", bad_digs, "--crs", "EPSG:25832")
    assert code == 1 and out == ""
    assert "Traceback" not in err
    assert "feature d1, field 'owner'" in err
    assert "feature d3, field 'wkt'" in err and "row 3 (line 4)" in err


@pytest.mark.parametrize("suffix", [".html", ".json", ".csv"])
def test_validate_writes_the_audit_report_even_when_it_fails(bad_digs, tmp_path, capsys, suffix):
    report = tmp_path / f"audit{suffix}"
    code, _, err = run(capsys, "validate", bad_digs, "--layer", "digs", "--crs", "EPSG:25832",
                       "--report", report)  # fmt: skip
    assert code == 1
    assert f"written to {report}" in err
    text = report.read_text(encoding="utf-8-sig")
    if suffix == ".json":
        rows = json.loads(text)["problems"]
    elif suffix == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
    else:
        rows = None
    if rows is not None:
        assert list(rows[0]) == [
            "file", "layer", "feature_id", "field", "rule", "message", "hint", "severity"
        ]  # fmt: skip
        owner = next(r for r in rows if r["feature_id"] == "d1" and r["field"] == "owner")
        assert owner["file"] == str(bad_digs) and owner["rule"] == "required"
        assert owner["severity"] == "error" and owner["hint"]
        assert {r["feature_id"] for r in rows} >= {"d1", "d3", "<script>alert(1)</script>"}
    else:
        assert "<script>alert(1)</script>" not in text.replace("<script>\n", "")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "http" not in text.split("<body>")[0]  # nothing fetched
        assert "d3" in text and "owner" in text


def test_validate_report_of_a_workspace_with_only_a_doubtful_address(
    tiny_workspace, tmp_path, capsys
):
    # The tiny town's A16 lies beyond the drop distance: a warning, not an error.
    report = tmp_path / "report.html"
    code, out, _ = run(capsys, "validate", tiny_workspace, "--report", report)
    text = report.read_text()
    assert code == 0 and "No problems found" not in text
    assert "A16" in text and "beyond-drop" in text
    assert f"written to {report}" in out and "0 errors, 1 warning;" in out


def test_validate_report_with_unknown_extension(tiny_workspace, tmp_path, capsys):
    code, _, err = run(capsys, "validate", tiny_workspace, "--report", tmp_path / "r.pdf")
    assert code == 1 and ".html, .json or .csv" in err


def test_validate_file_that_fits_no_layer(tmp_path, capsys):
    source = tmp_path / "export.gpkg"
    gpd.GeoDataFrame({"foo": [1]}, geometry=[Point(X0, Y0)], crs=DEFAULT_WORKSPACE_CRS).to_file(
        source
    )
    code, _, err = run(capsys, "validate", source)
    assert code == 1 and "pass --layer" in err


def test_validate_real_geodanmark_file(shared_data, capsys):
    code, summary = run_json(capsys, "validate", shared_data / "odense-vejmidte-sample.gml")
    assert code == 0
    assert summary["mapping"] == "geodanmark" and summary["layers"]["streets"]["features"] == 50


def test_import_both_real_files_as_streets(shared_data, tmp_path, capsys):
    workspace = tmp_path / "odense.gpkg"
    vejmidte = shared_data / "odense-vejmidte-sample.gml"
    vejman = shared_data / "odense-vejman-roads.gml"
    assert run(capsys, "import", workspace, "streets", vejmidte)[0] == 0
    code, summary = run_json(
        capsys, "import", workspace, "streets", vejman, "--append", "--no-merge-twins"
    )
    assert code == 0 and summary["mapping"] == "vejman"
    streets = read_layer(workspace, "streets")
    expected = gpd.read_file(vejmidte).length.sum() + gpd.read_file(vejman).length.sum()
    assert streets.length.sum() == pytest.approx(expected, rel=1e-9)
    assert streets["id"].is_unique


def test_empty_layer_in_a_workspace_is_a_warning(tiny, tmp_path, capsys, ws):
    from ductplanner.io.workspace import write_layers
    from ductplanner.model.layers import empty_layer

    workspace = ws
    write_layers(workspace, {**tiny, "ducts": empty_layer("ducts")})
    code, summary = run_json(capsys, "validate", workspace)
    assert code == 0
    assert summary["layers"]["ducts"] == {"features": 0, "errors": 0, "warnings": 1, "repaired": 0}


def test_a_utility_geopackage_is_validated_as_a_file_not_a_workspace(tmp_path, capsys):
    source = tmp_path / "radius.gpkg"
    digs_file(tmp_path / "tmp.gpkg", ["r1"])
    gpd.read_file(tmp_path / "tmp.gpkg").to_crs("EPSG:4326").to_file(source, layer="digs")
    code, summary = run_json(capsys, "validate", source)
    assert code == 0
    assert summary["kind"] == "file" and summary["layers"]["digs"]["features"] == 1
    assert "layer name 'digs'" in summary["guessed_layer"]["reason"]
