"""A workspace's CRS is its own: chosen for the place on its first import, kept afterwards.

The tiny town is drawn again in Helsinki (zone 35N), metre for metre, and
imported from WGS 84 files: the workspace takes EPSG:25835, and coverage,
opportunities and the map give the figures the town gives in Ballerup.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from ductplanner.app.demo.tiny import TINY_ORIGIN, tiny_layers
from ductplanner.cli import main
from ductplanner.core._errors import InputError
from ductplanner.io.importer import load_file
from ductplanner.io.workspace import (
    copy_workspace,
    read_layer,
    stored_crs,
    workspace_crs,
    write_layers,
)
from ductplanner.model.zone import choose_workspace_crs

HELSINKI = (385_500.0, 6_672_500.0)
"""Where the tiny town's corner goes in Helsinki, EPSG:25835 (near the railway station)."""


def _moved(frame: gpd.GeoDataFrame, crs: str = "EPSG:25835") -> gpd.GeoDataFrame:
    """The frame moved from Ballerup to Helsinki, metre for metre, in ``crs`` (WGS 84 files)."""
    step = np.subtract(HELSINKI, TINY_ORIGIN)
    moved = frame.copy()
    moved.geometry = shapely.transform(frame.geometry.to_numpy(), lambda xy: xy + step)
    return moved.set_crs("EPSG:25835", allow_override=True).to_crs(crs)


def _write_files(folder: Path, crs: str = "EPSG:4326") -> dict[str, Path]:
    files = {}
    for name, frame in tiny_layers().items():
        files[name] = folder / f"{name}.geojson"
        _moved(frame, crs).to_file(files[name])
    return files


def _import_all(workspace: Path, files: dict[str, Path], *extra: str) -> None:
    for name, file in files.items():
        assert main(["import", str(workspace), name, str(file), "--quiet", *extra]) == 0


def _coverage(capsys: pytest.CaptureFixture[str], workspace: object) -> dict:
    capsys.readouterr()
    assert main(["coverage", str(workspace), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _opportunities(capsys: pytest.CaptureFixture[str], workspace: object) -> dict:
    capsys.readouterr()
    argv = ["opportunities", str(workspace), "--as-of", "2020-01-01", "--json", "--quiet"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    keys = ("candidates", "metres", "cost_dkk", "households_potential", "touches")
    return {k: summary[k] for k in keys}


@pytest.fixture
def helsinki(tmp_path: Path) -> Path:
    workspace = tmp_path / "helsinki.gpkg"
    _import_all(workspace, _write_files(tmp_path))
    return workspace


def test_a_new_workspace_takes_the_utm_zone_of_its_data(helsinki, tmp_path, capsys):
    assert workspace_crs(helsinki) == "EPSG:25835"
    assert set(stored_crs(helsinki).values()) == {"EPSG:25835"}
    streets = read_layer(helsinki, "streets")
    geod = Geod(ellps="GRS80")
    true = sum(geod.geometry_length(g) for g in streets.to_crs("EPSG:4326").geometry)
    assert streets.length.sum() == pytest.approx(true, rel=5e-4)  # was 0.91 % off in 32N
    files = _write_files(tmp_path / ".", "EPSG:4326")
    capsys.readouterr()
    assert main(["import", str(tmp_path / "new.gpkg"), "streets", str(files["streets"])]) == 0
    out = capsys.readouterr().out
    assert "new workspace is stored in EPSG:25835: the UTM zone of the data (35N)" in out


def test_coverage_in_helsinki_is_the_tiny_towns(helsinki, tmp_path, capsys):
    ballerup = tmp_path / "ballerup.gpkg"
    write_layers(ballerup, tiny_layers())
    here, there = _coverage(capsys, helsinki), _coverage(capsys, ballerup)
    figures = ("households_total", "households_duct_covered", "households_served")
    assert [here[k] for k in figures] == [there[k] for k in figures] == [40, 6, 8]
    # two addresses lie on the line between the districts: WGS 84 files move them a nanometre
    for k in figures:
        assert sum(d[k] for d in here["districts"].values()) == there[k]
    assert read_layer(helsinki, "coverage").crs == "EPSG:25835"
    chances = [_opportunities(capsys, w) for w in (helsinki, ballerup)]
    assert chances[0] == chances[1]
    assert chances[0]["candidates"] == 7 and chances[0]["touches"]["island"] == 2
    out = tmp_path / "helsinki.html"
    assert main(["map", str(helsinki), "--out", str(out), "--self-contained", "--quiet"]) == 0
    page = out.read_text(encoding="utf-8")
    assert "[60.1" in page and "24.9" in page  # drawn where the town is: lat 60.1, lon 24.9


def test_the_workspace_keeps_its_crs_for_later_imports(helsinki, tmp_path, capsys):
    danish = tmp_path / "danish.geojson"
    tiny_layers()["streets"].to_file(danish)  # the tiny town where it is, in Ballerup
    capsys.readouterr()
    assert main(["import", str(helsinki), "streets", str(danish), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["workspace_crs"] == "EPSG:25835"
    (warning,) = [p for p in summary["problems"] if p["rule"] == "crs-far-from-zone"]
    assert "the workspace's EPSG:25835 draws lengths up to" in warning["message"]
    assert "a new workspace, which takes EPSG:25832" in warning["hint"]
    assert read_layer(helsinki, "streets").crs == "EPSG:25835"


def test_a_workspace_crs_named_for_another_is_refused(helsinki, tmp_path, capsys):
    before = helsinki.read_bytes()
    capsys.readouterr()
    streets = tmp_path / "streets.geojson"
    _moved(tiny_layers()["streets"], "EPSG:4326").to_file(streets)
    argv = ["import", str(helsinki), "streets", str(streets), "--workspace-crs", "EPSG:25832"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "is stored in EPSG:25835, and a workspace keeps the CRS it was made in" in err
    assert "leave --workspace-crs out" in err
    assert helsinki.read_bytes() == before


@pytest.mark.parametrize(
    ("crs", "says"),
    [
        ("EPSG:4326", "is not projected (its coordinates are degrees, not metres)"),
        ("EPSG:2263", "measures in US survey foot, not metres"),  # New York, in feet
        ("no such crs", "is not a coordinate reference system"),
        ("<script>alert(1)</script>", "'<script>alert(1)</script>' is not a coordinate"),
        ('=HYPERLINK("http://x")', "is not a coordinate reference system"),
        ("../../etc/passwd", "'../../etc/passwd' is not a coordinate reference system"),
        ("EPSG:" + "9" * 10_000, "'EPSG:" + "9" * 75 + "' is not a coordinate"),  # cut at 80
    ],
)
def test_a_workspace_crs_must_be_projected_in_metres(tmp_path, capsys, crs, says):
    streets = tmp_path / "streets.geojson"
    _moved(tiny_layers()["streets"], "EPSG:4326").to_file(streets)
    workspace = tmp_path / "ws.gpkg"
    capsys.readouterr()
    argv = ["import", str(workspace), "streets", str(streets), "--workspace-crs", crs]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert says in err and "--workspace-crs" in err
    assert not workspace.exists()


def test_a_named_workspace_crs_is_taken_and_warned_about_where_it_is_off(tmp_path, capsys):
    files = _write_files(tmp_path)
    finnish, danish = tmp_path / "fi.gpkg", tmp_path / "dk.gpkg"
    _import_all(finnish, {"streets": files["streets"]}, "--workspace-crs", "EPSG:3067")
    assert workspace_crs(finnish) == "EPSG:3067"  # ETRS-TM35FIN, as Helsinki's GIS uses
    capsys.readouterr()
    argv = ["import", str(danish), "streets", str(files["streets"]), "--json"]
    assert main([*argv, "--workspace-crs", "EPSG:25832"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["workspace_crs"] == "EPSG:25832"
    assert [p["rule"] for p in summary["problems"]] == ["crs-far-from-zone"]
    assert "0.91 % off" in summary["problems"][0]["message"]


def test_the_choice_keeps_the_default_in_denmark_and_a_true_own_crs_elsewhere(tmp_path):
    bornholm = [(14.7, 55.0), (15.2, 55.3), (14.9, 55.1)]
    assert choose_workspace_crs(bornholm, "EPSG:25833").crs == "EPSG:25832"
    helsinki = [(24.9, 60.1), (25.0, 60.2), (24.95, 60.15)]
    assert choose_workspace_crs(helsinki, "EPSG:3067").reason.startswith("the data's own CRS")
    assert choose_workspace_crs(helsinki, "EPSG:3857").crs == "EPSG:25835"  # 100 % off there
    streets = tmp_path / "streets.gpkg"
    _moved(tiny_layers()["streets"], "EPSG:3067").to_file(streets)
    assert load_file(streets, "streets").frame.crs == "EPSG:3067"


def test_empty_layers_and_copies_keep_the_workspace_crs(helsinki, new_workspace):
    write_layers(helsinki, {"plan": read_layer(helsinki, "digs").iloc[:0]})
    assert stored_crs(helsinki)["plan"] == "EPSG:25835"
    copy = new_workspace("copy")
    copy_workspace(helsinki, copy)
    assert workspace_crs(copy) == "EPSG:25835"
    assert set(stored_crs(copy).values()) == {"EPSG:25835"}
    assert read_layer(copy, "streets").crs == "EPSG:25835"


def test_a_new_postgis_workspace_takes_the_place_s_crs(new_workspace, tmp_path, capsys):
    workspace = new_workspace("fi")
    files = _write_files(tmp_path)
    _import_all(workspace, {"streets": files["streets"], "addresses": files["addresses"]})
    assert workspace_crs(workspace) == "EPSG:25835"
    assert read_layer(workspace, "addresses").crs == "EPSG:25835"


def test_validate_names_a_layer_stored_in_another_crs(helsinki, capsys):
    sites = read_layer(helsinki, "sites").to_crs("EPSG:4326")
    sites.to_file(helsinki, layer="sites", driver="GPKG")  # edited by hand in QGIS, say
    capsys.readouterr()
    assert main(["validate", str(helsinki), "--json"]) == 1
    problems = json.loads(capsys.readouterr().out)["problems"]
    (problem,) = [p for p in problems if p["rule"] == "crs-workspace"]
    assert problem["layer"] == "sites"
    assert "not the workspace CRS EPSG:25835" in problem["message"]


def test_load_file_refuses_a_workspace_crs_in_degrees(tmp_path):
    streets = tmp_path / "streets.geojson"
    _moved(tiny_layers()["streets"], "EPSG:4326").to_file(streets)
    with pytest.raises(InputError, match="not projected"):
        load_file(streets, "streets", workspace_crs="EPSG:4326")


def test_a_write_takes_the_crs_the_workspace_has_when_it_writes(helsinki):
    # Two first imports at once: the one that writes second finds the workspace made, and
    # its layer (chosen for Ballerup before it held the lock) goes into the workspace's CRS.
    write_layers(helsinki, {"sites": tiny_layers()["sites"]})
    assert stored_crs(helsinki)["sites"] == "EPSG:25835"
    assert read_layer(helsinki, "sites").crs == "EPSG:25835"
