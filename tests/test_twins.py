"""Roads drawn twice (each side, each carriageway) merged into one centre line on import."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point
from shapely.ops import substring

from ductplanner.cli import main
from ductplanner.io.importer import load_file
from ductplanner.io.workspace import read_layer
from ductplanner.model.layers import DEFAULT_WORKSPACE_CRS
from ductplanner.model.network import build_network
from ductplanner.model.parallel import merge_twins


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def lines(*coords):
    return np.array([LineString(c) for c in coords], dtype=object)


def test_two_sides_become_one_centre_line():
    merge = merge_twins(lines([(0, 0), (100, 0)], [(100, 2), (0, 2)]))
    assert merge.into.tolist() in ([1, -1], [-1, 0])
    kept = merge.geometry[merge.into < 0][0]
    assert kept.length == pytest.approx(100) and kept.distance(Point(50, 1)) < 1e-9
    assert [g for g in merge.geometry[merge.merged]] == [None]


def test_a_centre_line_between_two_carriageways_stays_where_it_is():
    road = lines([(0, 6), (200, 6)], [(0, 0), (200, 0)], [(0, 12), (200, 12)])
    names = np.array(["Niels Bohrs Allé"] * 3, dtype=object)
    merge = merge_twins(road, distance=8.0, names=names)
    assert merge.into.tolist() == [-1, 0, 0]
    assert merge.geometry[0].equals(road[0])


def test_carriageways_of_other_roads_stay():
    road = lines([(0, 6), (200, 6)], [(0, 0), (200, 0)])
    merge = merge_twins(road, distance=8.0, names=np.array(["A-vej", "B-vej"], dtype=object))
    assert not merge.merged.any()


def test_what_runs_on_past_the_twin_stays_joined_to_the_centre_line():
    merge = merge_twins(lines([(0, 0), (200, 0)], [(0, 2), (100, 2)]))
    assert merge.into.tolist() == [-1, 0]
    merge = merge_twins(lines([(0, 0), (100, 0)], [(0, 2), (200, 2)]))
    rest = merge.geometry[0]
    assert rest is None or rest.length < 5
    merge = merge_twins(lines([(0, 0), (150, 0)], [(0, 2), (100, 2), (100, 20)]))
    # The bend to the north is no twin of anything: it stays, joined to the kept line.
    rest = merge.geometry[merge.merged][0]
    assert rest is not None and rest.length == pytest.approx(19, abs=2)
    assert rest.distance(merge.geometry[merge.into < 0][0]) < 1e-6


def test_a_side_street_that_met_the_other_side_meets_the_centre_line():
    # The side street ends on the north side (y = 2), which is merged away.
    streets = lines([(0, 0), (200, 0)], [(0, 2), (200, 2)], [(100, 2), (100, 80)])
    merge = merge_twins(streets)
    kept = merge.geometry[merge.into < 0]
    frame = gpd.GeoDataFrame(
        {"id": [f"s{i}" for i in range(len(kept))]}, geometry=list(kept), crs=DEFAULT_WORKSPACE_CRS
    )
    network = build_network(frame)
    assert len(np.unique(network.street_components())) == 1


@pytest.fixture
def odense(shared_data):
    return shared_data / "odense-vejman-roads.gml"


def test_vejman_roads_are_one_line_per_road(odense):
    raw = load_file(odense, "streets", mapping="vejman", merge_twins=False)
    merged = load_file(odense, "streets", mapping="vejman")
    assert len(raw.frame) == 1200 and shapely.length(raw.frame.geometry).sum() > 330_000
    km = merged.frame.length.sum() / 1000
    assert 140 < km < 175, km  # about half: each road was drawn as its two sides
    bohr = merged.frame[merged.frame["name"] == "Niels Bohrs Alle"]
    longest = bohr.length.max()
    assert longest == pytest.approx(3540, abs=10)
    # Six lines for the main road (two carriageways and the centre, each drawn twice): one.
    assert (bohr.length > 1000).sum() == 1
    assert len(merged.twins_merged) > 550
    assert any("merged into the line beside them" in n for n in merged.notes)
    # Junctions hold: fewer street islands than before, not more.
    islands = [
        len(np.unique(build_network(f).street_components())) for f in (raw.frame, merged.frame)
    ]
    assert islands[1] <= islands[0]


def test_a_dig_along_a_vejman_road_costs_its_own_length(odense, tmp_path, capsys):
    workspace = tmp_path / "odense.gpkg"
    assert run(capsys, "import", workspace, "streets", odense)[0] == 0
    streets = read_layer(workspace, "streets")
    bohr = streets[streets["name"] == "Niels Bohrs Alle"]
    road = bohr.geometry.iloc[int(np.argmax(bohr.length.to_numpy()))]
    dig_line = substring(road, 1000, 1300).offset_curve(1.5)  # as the utility drew it
    digs = gpd.GeoDataFrame(
        {
            "id": ["NOV-1"],
            "owner": ["Novafos"],
            "start": ["2027-05-01"],
            "end": ["2027-06-30"],
        },
        geometry=[dig_line],
        crs=DEFAULT_WORKSPACE_CRS,
    )
    homes = [road.interpolate(d) for d in range(1010, 1300, 40)]
    addresses = gpd.GeoDataFrame(
        {"id": [f"A{i}" for i in range(len(homes))], "units": 1},
        geometry=[Point(p.x + 15, p.y) for p in homes],
        crs=DEFAULT_WORKSPACE_CRS,
    )
    digs.to_file(tmp_path / "digs.gpkg")
    addresses.to_file(tmp_path / "addresses.gpkg")
    for layer in ("digs", "addresses"):
        assert run(capsys, "import", workspace, layer, tmp_path / f"{layer}.gpkg")[0] == 0
    code, out, _ = run(capsys, "opportunities", workspace, "--as-of", "2027-01-01", "--json")
    assert code == 0
    metres = json.loads(out)["metres"]
    assert 270 <= metres <= 330, metres  # was 1,232 m for a 300 m dig with the twins


def test_merge_twins_can_be_turned_off_and_on(odense, tmp_path, capsys):
    code, out, _ = run(
        capsys, "import", tmp_path / "a.gpkg", "streets", odense, "--no-merge-twins", "--json"
    )
    assert code == 0 and json.loads(out)["twins_merged"] == 0
    assert json.loads(out)["features_imported"] == 1200
    gml = tmp_path / "plain.gpkg"
    load_file(odense, "streets", merge_twins=False).frame.to_file(gml)  # no mapping now
    code, out, _ = run(capsys, "import", tmp_path / "b.gpkg", "streets", gml, "--json")
    assert json.loads(out)["twins_merged"] == 0
    code, out, _ = run(
        capsys, "import", tmp_path / "c.gpkg", "streets", gml, "--merge-twins", "--json"
    )
    summary = json.loads(out)
    assert summary["twins_merged"] > 550
    assert summary["twins_merged_into"]["4613900-17-0+0/2"] == "4613900-17-0+0/1"


def test_a_mapping_says_merge_twins_for_streets_only(tmp_path):
    from ductplanner.core._errors import InputError
    from ductplanner.io.importer import load_mapping

    wrong = tmp_path / "digs.toml"
    wrong.write_text('name = "x"\nlayer = "digs"\nmerge_twins = true\n')
    with pytest.raises(InputError, match="true only for streets"):
        load_mapping(wrong)
    also = tmp_path / "streets.toml"
    also.write_text('name = "x"\nlayer = "streets"\nmerge_twins = "yes"\n')
    with pytest.raises(InputError, match="merge_twins"):
        load_mapping(also)


@pytest.mark.parametrize("value", ["200.0", "0.5", '"wide"', "true", "20.0"])
def test_a_mapping_s_carriageway_distance_is_metres_beside_merge_twins(tmp_path, value):
    from ductplanner.core._errors import InputError
    from ductplanner.io.importer import load_mapping

    merge = "" if value == "20.0" else "merge_twins = true\n"  # 20 m, but merging is off
    path = tmp_path / "streets.toml"
    path.write_text(f'name = "x"\nlayer = "streets"\n{merge}carriageway_distance_m = {value}\n')
    with pytest.raises(InputError, match=r"carriageway_distance_m = .*: it is metres, 1 to 50"):
        load_mapping(path)
    path.write_text(
        'name = "x"\nlayer = "streets"\nmerge_twins = true\ncarriageway_distance_m = 20\n'
    )
    assert load_mapping(path).carriageway_distance_m == 20.0
    assert load_mapping("osm").carriageway_distance_m == 20.0
    assert load_mapping("vejman").carriageway_distance_m == 8.0
