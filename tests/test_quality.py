"""Data-quality warnings: valid but doubtful data, named feature by feature, never blocking."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point

from ductplanner.analysis.quality import QUALITY_RULES, quality_warnings
from ductplanner.app.demo import tiny_layers
from ductplanner.cli import main
from ductplanner.io.workspace import write_layers
from ductplanner.model.parallel import parallel_twins

X0, Y0 = 710000, 6180000


def _with_rows(frame: gpd.GeoDataFrame, rows: list[dict]) -> gpd.GeoDataFrame:
    extra = gpd.GeoDataFrame(rows, geometry="geometry", crs=frame.crs)
    joined = pd.concat([frame, extra], ignore_index=True)
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=frame.crs)


def _found(layers, rule):
    return [p.feature_id for p in quality_warnings(layers) if p.rule == rule]


@pytest.fixture
def layers():
    return tiny_layers()


def test_the_tiny_town_has_one_doubtful_feature_only(layers):
    found = quality_warnings(layers)
    assert [(p.feature_id, p.rule, p.severity) for p in found] == [
        ("A16", "beyond-drop", "warning")
    ]
    assert "beyond the drop distance of 30 m" in found[0].message and found[0].hint


def test_addresses_with_zero_units_are_named(layers):
    layers["addresses"].loc[layers["addresses"]["id"].isin(["A03", "A07"]), "units"] = 0
    assert _found(layers, "units-zero") == ["A03", "A07"]


def test_addresses_and_sites_beyond_the_drop_distance(layers):
    far = Point(X0 + 50, Y0 + 50)  # the middle of a block: 50 m from every street
    layers["addresses"] = _with_rows(
        layers["addresses"], [{"id": "FAR", "units": 1, "geometry": far}]
    )
    layers["sites"] = _with_rows(
        layers["sites"], [{"id": "S-FAR", "name": "Skolen", "geometry": far}]
    )
    assert _found(layers, "beyond-drop") == ["A16", "FAR"]
    [site] = [p for p in quality_warnings(layers) if p.rule == "site-beyond-drop"]
    assert site.feature_id == "S-FAR" and "50 m from the nearest street" in site.message
    # A wider drop distance takes them in.
    assert not [p for p in quality_warnings(layers, drop=60) if "beyond" in p.rule]


def test_a_dig_on_no_street_is_named(layers):
    away = LineString([(X0 + 20, Y0 + 50), (X0 + 80, Y0 + 50)])  # inside a block
    across = LineString([(X0 + 50, Y0 + 80), (X0 + 50, Y0 + 120)])  # crosses H1
    area = shapely.box(X0 + 30, Y0 + 30, X0 + 70, Y0 + 70)
    rows = [
        {"id": "AWAY", "owner": "Novafos", "geometry": away},
        {"id": "ACROSS", "owner": "Novafos", "geometry": across},
        {"id": "AREA", "owner": "Radius", "geometry": area},
    ]
    layers["digs"] = _with_rows(layers["digs"], rows)
    assert _found(layers, "dig-off-street") == ["AWAY", "AREA"]


def test_twin_street_lines_are_named_once_a_pair(layers):
    twin = LineString([(X0, Y0 + 2), (X0 + 300, Y0 + 2)])  # H0's other side, 2 m away
    beside_part = LineString([(X0 + 20, Y0 + 103), (X0 + 80, Y0 + 103)])  # beside part of H1
    layers["streets"] = _with_rows(
        layers["streets"],
        [{"id": "H0-side", "geometry": twin}, {"id": "H1-bit", "geometry": beside_part}],
    )
    found = [p for p in quality_warnings(layers) if p.rule == "street-twin"]
    assert [p.feature_id for p in found] == ["H0", "H1-bit"]
    assert "beside street H0-side for 100% of its 300 m" in found[0].message


def test_a_crossing_or_following_street_is_no_twin():
    lines = np.array(
        [
            LineString([(0, 0), (100, 0)]),
            LineString([(100, 0), (200, 1)]),  # the next part, a little bend
            LineString([(50, -50), (50, 50)]),  # a crossing
            LineString([(0, 4), (20, 4)]),  # short: 20 m beside, under 25 m
            LineString([(0, 0), (100, 0)]),  # the same line: a duplicate, not a twin
        ],
        dtype=object,
    )
    assert parallel_twins(lines).empty


def test_duplicate_geometries_in_any_layer(layers):
    h2 = layers["streets"].set_index("id").geometry["H2"]
    reversed_h2 = LineString(list(h2.coords)[::-1])
    layers["streets"] = _with_rows(layers["streets"], [{"id": "H2-again", "geometry": reversed_h2}])
    a05 = layers["addresses"].set_index("id").geometry["A05"]
    layers["addresses"] = _with_rows(
        layers["addresses"], [{"id": "A05-copy", "units": 1, "geometry": a05}]
    )
    found = [p for p in quality_warnings(layers) if p.rule == "duplicate-geometry"]
    assert [(p.layer, p.feature_id) for p in found] == [
        ("streets", "H2-again"),
        ("addresses", "A05-copy"),
    ]
    assert "same geometry as H2" in found[0].message


def test_a_street_island_is_named_with_its_streets(layers):
    island = [
        {"id": "FAR1", "geometry": LineString([(X0 + 1000, Y0), (X0 + 1100, Y0)])},
        {"id": "FAR2", "geometry": LineString([(X0 + 1100, Y0), (X0 + 1100, Y0 + 80)])},
    ]
    layers["streets"] = _with_rows(layers["streets"], island)
    [found] = [p for p in quality_warnings(layers) if p.rule == "street-island"]
    assert found.feature_id == "FAR1"
    assert "2 streets (180 m: FAR1, FAR2) join no other street" in found.message


def test_a_duct_that_leaves_the_streets(layers):
    across_block = LineString([(X0 + 100, Y0 + 100), (X0 + 150, Y0 + 150), (X0 + 200, Y0 + 100)])
    layers["ducts"] = _with_rows(
        layers["ducts"], [{"id": "PARK", "status": "existing", "geometry": across_block}]
    )
    [found] = [p for p in quality_warnings(layers) if p.rule == "duct-off-street"]
    assert found.feature_id == "PARK" and "farther than 10 m from every street" in found.message


def test_only_chosen_rules_run(layers):
    layers["addresses"].loc[0, "units"] = 0
    found = quality_warnings(layers, rules={"units-zero"})
    assert [p.rule for p in found] == ["units-zero"]
    assert set(QUALITY_RULES) >= {p.rule for p in quality_warnings(layers)}


# --- in the commands ---------------------------------------------------------------------------


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_lists_doubtful_data_by_id_in_every_report_format(tmp_path, capsys):
    frame = tiny_layers()["addresses"]
    frame.loc[frame["id"].isin(["A02", "A04", "A06"]), "units"] = 0
    source = tmp_path / "addresses.gpkg"
    frame.to_file(source, layer="addresses")
    for suffix in (".json", ".csv", ".html"):
        report = tmp_path / f"audit{suffix}"
        code, out, _ = run(capsys, "validate", source, "--layer", "addresses", "--report", report)
        assert code == 0, out
        assert "warning: addresses: 3 addresses with 0 units (households) (A02, A04, A06)" in out
        text = report.read_text(encoding="utf-8-sig")
        assert all(i in text for i in ("A02", "A04", "A06")) and "units-zero" in text
    rows = json.loads((tmp_path / "audit.json").read_text())["problems"]
    assert [r["feature_id"] for r in rows if r["rule"] == "units-zero"] == ["A02", "A04", "A06"]


def test_validate_json_groups_the_findings(tiny_workspace, capsys):
    code, out, _ = run(capsys, "validate", tiny_workspace, "--json")
    summary = json.loads(out)
    assert code == 0 and summary["valid"] and summary["warnings"] == 1
    [group] = summary["findings"]
    assert group["rule"] == "beyond-drop" and group["feature_ids"] == ["A16"]
    assert summary["layers"]["addresses"]["warnings"] == 1


def test_a_doubtful_file_is_still_imported(tmp_path, capsys):
    frame = tiny_layers()["addresses"]
    frame.loc[frame["id"] == "A09", "units"] = 0
    source = tmp_path / "addresses.gpkg"
    frame.to_file(source, layer="addresses")
    workspace = tmp_path / "ws.gpkg"
    code, out, _ = run(capsys, "import", workspace, "addresses", source, "--json")
    summary = json.loads(out)
    assert code == 0 and summary["features_imported"] == 16
    assert [g["feature_ids"] for g in summary["findings"] if g["rule"] == "units-zero"] == [["A09"]]


def test_validate_names_the_twin_road_sides_of_real_vejman_data(shared_data, capsys):
    roads = shared_data / "odense-vejman-roads.gml"
    argv = ("validate", roads, "--mapping", "vejman", "--layer", "streets", "--json")
    code, out, _ = run(capsys, *argv, "--no-merge-twins")
    summary = json.loads(out)
    assert code == 0
    twins = next(g for g in summary["findings"] if g["rule"] == "street-twin")
    # Each road of the speed-limit layer is drawn as its two sides: about half the parts
    # (one warning a pair) run beside another.
    assert 500 <= twins["count"] <= 620
    assert "4613900-17-0+0/1" in twins["feature_ids"]
    assert "4613900-17-0+0/2" not in twins["feature_ids"]
    # As imported (merged), no twin is left.
    code, out, _ = run(capsys, *argv)
    assert not [g for g in json.loads(out)["findings"] if g["rule"] == "street-twin"]


def test_opportunities_names_the_digs_near_no_street(tmp_path, capsys):
    layers = tiny_layers()
    away = layers["digs"].iloc[[0]].copy()
    away["id"] = "AWAY"
    away["start"], away["end"] = pd.Timestamp("2027-04-01"), pd.Timestamp("2027-06-30")
    away.geometry = [LineString([(X0 + 20, Y0 + 50), (X0 + 80, Y0 + 50)])]
    layers["digs"] = gpd.GeoDataFrame(
        pd.concat([layers["digs"], away], ignore_index=True), crs=layers["digs"].crs
    )
    workspace = tmp_path / "ws.gpkg"
    write_layers(workspace, layers, synthetic=True)
    code, out, _ = run(capsys, "opportunities", workspace)
    assert code == 0 and "1 open dig near no street edge, so no stretch: AWAY" in out
