"""The demo municipality: proportions of Ballerup, valid layers, determinism, files GDAL reads."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from ductplanner.app.demo import (
    DEMO_BOUNDS,
    DEMO_HOUSEHOLDS,
    generate_demo,
    generate_tiled,
    write_demo_workspace,
)
from ductplanner.io.workspace import list_layers, read_layers, read_sources, write_layers
from ductplanner.model.layers import DEFAULT_WORKSPACE_CRS, INPUT_LAYERS, validate_layer

ROAD_SUFFIXES = re.compile(
    r"(?i)(vej|gade|allé|parken|vænget|toften|høj|lunden|bakken|haven|engen|krogen|gården"
    r"|vang|bjerg|buen|stræde|boulevard)( \d+)?$"
)
PATH_SUFFIXES = re.compile(r"(stien|gangen)$")


@pytest.fixture(scope="module")
def demo() -> dict[str, gpd.GeoDataFrame]:
    return generate_demo(2019)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    return path, write_demo_workspace(path, seed=2019)


def _nearest_street_distance(demo: dict[str, gpd.GeoDataFrame], points: np.ndarray) -> np.ndarray:
    tree = shapely.STRtree(demo["streets"].geometry.values)
    (which, _), distance = tree.query_nearest(points, return_distance=True)
    out = np.full(len(points), np.inf)
    np.minimum.at(out, which, distance)
    return out


def _endpoint_graph(lines: gpd.GeoSeries) -> nx.MultiGraph:
    graph = nx.MultiGraph()
    for i, line in enumerate(lines):
        coords = shapely.get_coordinates(line)
        graph.add_edge(tuple(coords[0]), tuple(coords[-1]), key=i)
    return graph


# --- the layers are valid and in place -----------------------------------------------------


def test_the_seven_input_layers_in_the_workspace_crs(demo):
    assert sorted(demo) == sorted(INPUT_LAYERS)
    for gdf in demo.values():
        assert gdf.crs.equals(DEFAULT_WORKSPACE_CRS)
        assert len(gdf) > 0


@pytest.mark.parametrize("layer", INPUT_LAYERS)
def test_every_layer_passes_validation_without_a_single_problem(demo, layer):
    clean, problems = validate_layer(demo[layer], layer)
    assert problems == []
    assert len(clean) == len(demo[layer])  # nothing exploded: single parts where wanted


def test_placed_at_ballerup_on_about_34_square_kilometres(demo):
    minx, miny, maxx, maxy = DEMO_BOUNDS
    for gdf in demo.values():
        x0, y0, x1, y1 = gdf.total_bounds
        assert minx - 100 <= x0 and x1 <= maxx + 100
        assert miny - 100 <= y0 and y1 <= maxy + 100
    area_km2 = demo["districts"].area.sum() / 1e6
    assert 30 <= area_km2 <= 38
    # Districts tile the municipality: no overlaps.
    assert shapely.union_all(demo["districts"].geometry.values).area / 1e6 == pytest.approx(
        area_km2, rel=1e-6
    )


# --- proportions of Ballerup -----------------------------------------------------------------


def test_households_and_businesses_in_ballerup_proportions(demo):
    addresses = demo["addresses"]
    homes = addresses[addresses["kind"] == "home"]
    businesses = addresses[addresses["kind"] == "business"]
    assert abs(int(homes["units"].sum()) - DEMO_HOUSEHOLDS) <= 0.03 * DEMO_HOUSEHOLDS
    assert 2_000 <= len(businesses) <= 3_000
    assert (businesses["units"] == 1).all()
    # Houses, terraces and blocks of flats: most addresses hold one household, some many.
    assert (homes["units"] == 1).mean() > 0.7
    assert homes["units"].max() >= 10


def test_street_network_length_and_road_hierarchy(demo):
    streets = demo["streets"]
    km = streets.length.groupby(streets["road_class"]).sum() / 1000
    assert 300 <= km.sum() <= 400
    assert set(km.index) == {"through", "distributor", "local", "path"}
    assert km["local"] > km["distributor"] > 0
    assert km["local"] > km["through"] > 0
    assert km["path"] > 20


def test_residential_streets_include_cul_de_sacs(demo):
    streets = demo["streets"]
    roads = _endpoint_graph(streets.geometry[streets["road_class"] != "path"])
    dead_ends = sum(1 for node in roads if roads.degree(node) == 1)
    assert dead_ends > 200


def test_street_names_are_danish_and_paths_are_stier(demo):
    streets = demo["streets"]
    roads = streets[streets["road_class"] != "path"]
    paths = streets[streets["road_class"] == "path"]
    assert roads["name"].map(lambda n: bool(ROAD_SUFFIXES.search(n))).all()
    assert paths["name"].map(lambda n: bool(PATH_SUFFIXES.search(n))).all()
    assert streets["name"].nunique() > 500
    assert {"Ballerup Byvej", "Ballerup Boulevard", "Jonstrupvej"} <= set(roads["name"])


def test_streets_are_noded_for_a_graph(demo):
    lines = demo["streets"].geometry.values
    tree = shapely.STRtree(lines)
    first, second = tree.query(lines, predicate="crosses")
    assert not (first != second).any(), "streets cross without a junction"
    # No street ends in the middle of another one: ends touch only ends.
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    point, line = tree.query(ends, predicate="dwithin", distance=0.01)
    to_start = shapely.distance(ends[point], shapely.get_point(lines[line], 0))
    to_end = shapely.distance(ends[point], shapely.get_point(lines[line], -1))
    assert (np.minimum(to_start, to_end) < 0.01).all()
    graph = _endpoint_graph(demo["streets"].geometry)
    assert nx.number_connected_components(graph) == 1
    assert nx.number_of_selfloops(graph) == 0


def test_addresses_sit_8_to_25_m_beside_streets_and_a_few_farms_farther(demo):
    distance = _nearest_street_distance(demo, demo["addresses"].geometry.values)
    beside = (distance >= 8 - 1e-6) & (distance <= 25 + 1e-6)
    far = distance > 30
    assert (beside | far).all()
    assert 10 <= far.sum() <= 200
    assert beside.mean() > 0.98


def test_some_addresses_already_have_modern_broadband_most_do_not(demo):
    addresses = demo["addresses"]
    served = (addresses["speed_down_mbps"] >= 100) & (addresses["speed_up_mbps"] >= 30)
    share = served.fillna(False).mean()
    assert 0.05 <= share <= 0.4
    assert addresses["speed_down_mbps"].isna().any()  # speed unknown for some
    fast_down_slow_up = (addresses["speed_down_mbps"] >= 100) & (addresses["speed_up_mbps"] < 30)
    assert fast_down_slow_up.fillna(False).any()  # old coax: fast down, too slow up


def test_districts_are_named_after_real_parts_of_ballerup(demo):
    districts = demo["districts"]
    names = set(districts["name"])
    assert 10 <= len(names) <= 14
    assert {"Ballerup Centrum", "Skovlunde", "Måløv", "Lautrupgård", "Hedegården"} <= names
    joined = gpd.sjoin(demo["addresses"], districts[["name", "geometry"]], predicate="within")
    assert len(joined) == len(demo["addresses"])  # every address in exactly one district
    per_district = joined.groupby("name")["units"].sum()
    assert per_district["Lautrupgård"] < per_district["Ballerup Centrum"]  # the business park


def test_towns_have_green_space_between_them(demo):
    streets = demo["streets"]
    town = streets[streets["road_class"].isin(["local", "distributor"])]
    built = shapely.union_all(town.buffer(60).geometry.values)
    parts = sorted(shapely.get_parts(built), key=lambda g: -g.area)
    assert len(parts) >= 5  # Ballerup, Skovlunde, Måløv, Lautrupgård, Kildedal and villages
    assert parts[0].area / demo["districts"].area.sum() < 0.4
    assert built.area / demo["districts"].area.sum() < 0.6


def test_municipal_sites_and_backbone(demo):
    sites, backbone = demo["sites"], demo["backbone"]
    assert 30 <= len(sites) <= 40
    assert {"school", "care-home", "institution", "admin"} <= set(sites["kind"])
    assert "Ballerup Rådhus" in set(sites["name"])
    pops = backbone[backbone["kind"] == "pop"]
    fibre = backbone[backbone["kind"] == "fibre"]
    assert len(pops) >= 3 and len(fibre) >= len(pops)
    assert (fibre.geom_type == "LineString").all()
    connected = sites[sites["connected"].astype(bool)]
    assert 0 < len(connected) < len(sites)
    near_fibre = connected.geometry.distance(shapely.union_all(fibre.geometry.values))
    assert (near_fibre < 80).all()


def test_ducts_laid_2016_to_2018_some_connected_some_islands(demo):
    ducts, backbone = demo["ducts"], demo["backbone"]
    assert set(ducts["year_laid"]) == {2016, 2017, 2018}
    assert (ducts["status"] == "existing").all()
    assert 10 <= ducts.length.sum() / 1000 < 100
    street_lines = set(demo["streets"].geometry.to_wkb())
    assert set(ducts.geometry.to_wkb()) <= street_lines  # ducts lie in streets
    graph = _endpoint_graph(ducts.geometry)
    backbone_points = {tuple(c) for c in shapely.get_coordinates(backbone.geometry.values)}
    components = list(nx.connected_components(graph))
    touching = [c for c in components if c & backbone_points]
    assert touching and len(touching) < len(components)


def test_dig_plans_2019_to_2022_by_owner_and_purpose(demo):
    digs = demo["digs"]
    assert {"Novafos", "Radius", "Ballerup Kommune"} <= set(digs["owner"])
    assert {"HOFOR", "Evida"} & set(digs["owner"])
    assert {"water", "wastewater", "power", "fibre", "district-heating", "gas"} <= set(
        digs["purpose"]
    )
    assert set(digs["start"].dt.year) == {2019, 2020, 2021, 2022}
    assert (digs["end"] > digs["start"]).all()
    assert {"planned", "confirmed"} <= set(digs["status"])
    assert set(digs["confidence"]) == {"firm", "budgeted", "indicative"}
    assert digs["id"].str.match(r"^[A-Z]{3}-20(19|2[0-2])-\d{3}$").all()
    lines = digs[digs.geom_type == "LineString"]
    polygons = digs[digs.geom_type == "Polygon"]
    assert len(polygons) > 0 and len(lines) > 0.8 * len(digs)
    assert 200 <= lines.length.median() <= 1500
    assert lines.length.max() <= 4000
    assert (lines.length > 100).mean() > 0.9
    vertices = shapely.points(shapely.get_coordinates(lines.geometry.values))
    assert (_nearest_street_distance(demo, vertices) < 1e-6).all()  # digs run along streets


# --- determinism -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_twice() -> tuple[dict[str, gpd.GeoDataFrame], ...]:
    return generate_demo(7, scale=0.1), generate_demo(7, scale=0.1), generate_demo(8, scale=0.1)


@pytest.mark.parametrize("layer", INPUT_LAYERS)
def test_same_seed_gives_identical_layers(small_twice, layer):
    first, again, _ = small_twice
    assert_geodataframe_equal(first[layer], again[layer])
    assert first[layer].geometry.to_wkb().equals(again[layer].geometry.to_wkb())


def test_another_seed_gives_another_municipality(small_twice):
    first, _, other = small_twice
    for layer in ("streets", "addresses", "digs", "ducts"):
        a, b = first[layer], other[layer]
        assert len(a) != len(b) or not a.geometry.geom_equals_exact(b.geometry, 0).all()
    assert list(first["districts"]["name"]) == list(other["districts"]["name"])  # same plan


def _table_rows(path: Path, layer: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(f'SELECT * FROM "{layer}" ORDER BY fid').fetchall()


def test_same_seed_writes_identical_layer_data(tmp_path):
    first, second = tmp_path / "a" / "demo.gpkg", tmp_path / "b" / "demo.gpkg"
    assert write_demo_workspace(first, seed=3, scale=0.05) == write_demo_workspace(
        second, seed=3, scale=0.05
    )
    for layer in INPUT_LAYERS:
        rows = _table_rows(first, layer)
        assert rows and rows == _table_rows(second, layer)


# --- the workspace file -------------------------------------------------------------------


def test_workspace_reads_back_valid_and_labelled_synthetic(workspace):
    path, counts = workspace
    assert set(INPUT_LAYERS) <= set(list_layers(path))
    layers = read_layers(path, INPUT_LAYERS)
    for name, gdf in layers.items():
        assert len(gdf) == counts[name]
        _, problems = validate_layer(gdf, name, source=str(path))
        assert [p for p in problems if p.severity == "error"] == []
    sources = read_sources(path).set_index("layer")
    assert set(INPUT_LAYERS) <= set(sources.index)
    assert sources.loc[list(INPUT_LAYERS), "synthetic"].astype(bool).all()
    assert sources.loc[list(INPUT_LAYERS), "source"].eq("synthetic demo (seed 2019)").all()
    assert sources.loc[list(INPUT_LAYERS), "note"].str.contains("SYNTHETIC").all()


def test_geopandas_reads_every_layer_of_the_workspace(workspace):
    path, counts = workspace
    for layer, n in counts.items():
        assert len(gpd.read_file(path, layer=layer)) == n


def test_gdal_ogrinfo_reads_the_workspace(workspace):
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        pytest.skip("GDAL's ogrinfo is not installed (Debian: apt-get install gdal-bin)")
    path, counts = workspace
    done = subprocess.run(
        [ogrinfo, "-ro", "-so", "-al", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    found = dict(re.findall(r"Layer name: (\w+).*?Feature Count: (\d+)", done.stdout, re.S))
    for layer, n in counts.items():
        assert int(found[layer]) == n


def test_a_new_demo_replaces_the_old_workspace_as_a_whole(tmp_path, tiny):
    path = tmp_path / "demo.gpkg"
    write_layers(path, {"streets": tiny["streets"], "coverage_old": tiny["addresses"]})
    write_demo_workspace(path, seed=1, scale=0.02)
    assert "coverage_old" not in list_layers(path)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_a_failed_demo_leaves_the_old_workspace_untouched(tmp_path, tiny):
    path = tmp_path / "demo.gpkg"
    write_layers(path, tiny)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="scale"):
        write_demo_workspace(path, seed=1, scale=0)
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]


# --- scale and tiles -------------------------------------------------------------------------


def test_scale_shrinks_the_municipality_to_a_small_town():
    small = generate_demo(2019, scale=0.05)
    for layer in INPUT_LAYERS:
        assert validate_layer(small[layer], layer)[1] == []
    homes = small["addresses"][small["addresses"]["kind"] == "home"]
    assert abs(homes["units"].sum() - 0.05 * DEMO_HOUSEHOLDS) < 0.1 * 0.05 * DEMO_HOUSEHOLDS
    assert 10 <= small["streets"].length.sum() / 1000 <= 25


@pytest.mark.parametrize("scale", [0, -1, 0.001, 100, float("nan")])
def test_an_impossible_scale_is_refused(scale):
    with pytest.raises(ValueError, match="scale"):
        generate_demo(scale=scale)


def test_tiles_repeat_the_municipality_with_distinct_ids():
    base = generate_demo(2019, scale=0.05)
    tiled = generate_tiled(3, 2019, scale=0.05)
    width = (DEMO_BOUNDS[2] - DEMO_BOUNDS[0]) * np.sqrt(0.05)
    for layer, gdf in tiled.items():
        n = len(base[layer])
        assert len(gdf) == 3 * n
        assert gdf["id"].is_unique
        assert gdf["id"].iloc[n].startswith("T0001-")
        shifted = gdf.geometry.iloc[n : 2 * n].translate(xoff=width).reset_index(drop=True)
        assert shifted.geom_equals_exact(base[layer].geometry, 1e-6).all()
    assert tiled["districts"]["name"].is_unique
    assert pd.api.types.is_datetime64_any_dtype(tiled["digs"]["start"])
    with pytest.raises(ValueError, match="n_tiles"):
        generate_tiled(0)
