"""The street network as the data draws it: levels, shared nodes, sidewalks.

A real OpenStreetMap extract (``tests/data``, ODbL) checks that the network's
junctions and components are those of a graph built independently from the
ways' shared nodes; a small OSM file written here, read through GDAL's OSM
driver like any extract, checks bridges, tunnels and an underpass; the demo
town with sidewalks drawn beside its streets checks that they change neither
the network nor coverage.
"""

from __future__ import annotations

import bz2
import itertools
import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from conftest import with_sidewalks
from pyproj import Transformer

from ductplanner.analysis.coverage import compute_coverage
from ductplanner.app.demo.town import generate_demo
from ductplanner.cli import main
from ductplanner.io.workspace import read_layer
from ductplanner.model.network import StreetNetwork, build_network

DATA = Path(__file__).parent / "data"


def _import_osm(osm: Path, workspace: Path, *extra: str) -> gpd.GeoDataFrame:
    argv = ["import", str(workspace), "streets", str(osm), "--mapping", "osm", *extra]
    assert main(argv) == 0
    return read_layer(workspace, "streets")


def _junctions(net: StreetNetwork) -> np.ndarray:
    """Coordinates of the network's nodes that are not plain bends (degree other than 2)."""
    degree = np.bincount(np.r_[net.u, net.v], minlength=net.n_nodes)
    return net.nodes[["x", "y"]].to_numpy()[degree != 2]


# --- a real extract ----------------------------------------------------------------------


def _shared_node_graph(osm: Path, way_ids: set[str], crs: object) -> nx.MultiGraph:
    """The graph OSM itself draws: ways cut at their ends and at nodes other ways share."""
    root = ET.parse(osm).getroot()
    to_crs = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    where = {
        n.get("id"): to_crs.transform(float(n.get("lon")), float(n.get("lat")))
        for n in root.iter("node")
    }
    ways = [
        [ref for nd in w.iter("nd") if (ref := nd.get("ref")) in where]
        for w in root.iter("way")
        if w.get("id") in way_ids
    ]
    uses: dict[str, int] = {}
    for refs in ways:
        for ref in {*refs, refs[0], refs[-1]}:
            uses[ref] = uses.get(ref, 0) + 1
    graph = nx.MultiGraph()
    for refs in ways:
        cuts = [i for i, ref in enumerate(refs) if i in (0, len(refs) - 1) or uses[ref] > 1]
        for a, b in itertools.pairwise(cuts):
            graph.add_edge(where[refs[a]], where[refs[b]])
    return graph


@pytest.fixture(scope="module")
def oakland(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, gpd.GeoDataFrame]:
    folder = tmp_path_factory.mktemp("oakland")
    osm = folder / "west-oakland.osm"
    osm.write_bytes(bz2.decompress((DATA / "west-oakland.osm.bz2").read_bytes()))
    return osm, _import_osm(osm, folder / "oakland.gpkg", "--no-merge-twins")  # as OSM has it


def _components(net: StreetNetwork) -> int:
    return nx.number_connected_components(nx.Graph(list(zip(net.u, net.v, strict=True))))


def test_a_real_extract_is_joined_exactly_at_its_shared_nodes(oakland):
    osm, streets = oakland
    assert streets.crs == "EPSG:32610"  # the workspace takes the place's UTM zone, 10N
    expected = _shared_node_graph(osm, set(streets["id"].str.removeprefix("w")), streets.crs)
    net = build_network(streets, side_paths=0)  # every way as drawn, sidewalks too
    mine = _junctions(net)
    theirs = np.array([n for n in expected if expected.degree(n) != 2])
    assert len(mine) == len(theirs) > 40
    nearest = shapely.STRtree(shapely.points(theirs)).query_nearest(
        shapely.points(mine), return_distance=True
    )[1]
    assert nearest.max() < 0.01
    assert len(net.edges) == expected.number_of_edges()
    assert _components(net) == nx.number_connected_components(expected)


def test_a_real_dual_carriageway_becomes_one_corridor(oakland, tmp_path):
    osm, as_drawn = oakland
    merged = _import_osm(osm, tmp_path / "merged.gpkg")  # the osm mapping merges twins
    seventh = {  # 7th Street: two one-way carriageways, 11 m apart
        name: frame[frame["name"] == "7th Street"] for name, frame in (("as_drawn", as_drawn),
                                                                        ("merged", merged))
    }  # fmt: skip
    assert len(merged) == len(as_drawn) - 1
    assert set(seventh["as_drawn"]["id"]) - set(seventh["merged"]["id"]) == {"w202459252"}
    corridor = seventh["merged"].set_index("id").loc["w202455449", "geometry"]
    carriageways = seventh["as_drawn"].set_index("id").geometry
    middle = corridor.interpolate(0.5, normalized=True)
    gaps = [middle.distance(carriageways[w]) for w in ("w202455449", "w202459252")]
    assert min(gaps) > 4 and abs(gaps[0] - gaps[1]) < 0.5  # moved to the road's middle
    assert _components(build_network(merged, side_paths=0)) == _components(
        build_network(as_drawn, side_paths=0)
    )


# --- bridges, tunnels, an underpass --------------------------------------------------------

NODES = {  # metres east and north of a point in Ballerup
    "a1": (0, 0), "a2": (100, 0), "a3": (200, 0),
    "b1": (100, -100), "b3": (100, -50), "b2": (100, 100),
    "t1": (30, -40), "t2": (70, 40),
    "q1": (40, 70), "k1": (80, 70), "k2": (120, 70), "q2": (180, 70),
    "u1": (160, -50),
    "p1": (300, 200), "p2": (340, 200), "p3": (340, 240),
}  # fmt: skip
WAYS = {
    "1": (["a1", "a2", "a3"], {"highway": "residential", "name": "Alfa"}),
    "2": (["b1", "b3", "a2", "b2"], {"highway": "residential", "name": "Bravo"}),
    "3": (["t1", "t2"], {"highway": "service", "tunnel": "yes", "layer": "-1"}),
    "4": (["q1", "k1"], {"highway": "residential", "name": "Rampe"}),
    "5": (["k1", "k2"], {"highway": "residential", "name": "Rampe", "bridge": "yes"}),
    "6": (["k2", "q2"], {"highway": "residential", "name": "Rampe"}),
    "7": (["u1", "b3"], {"highway": "footway", "tunnel": "yes"}),
    "8": (["a3", "q2"], {"highway": "proposed"}),
    "9": (["a1", "q1"], {"railway": "rail"}),
    "10": (["q1", "t1"], {"highway": "construction"}),
    "11": (["p1", "p2", "p3", "p1"], {"highway": "pedestrian", "area": "yes", "name": "Torvet"}),
}


def _write_osm(
    path: Path,
    nodes: dict[str, tuple[float, float]] = NODES,
    ways: dict[str, tuple[list[str], dict[str, str]]] = WAYS,
) -> Path:
    lon0, lat0 = 12.36, 55.73
    per_lon = 111_320 * math.cos(math.radians(lat0))
    root = ET.Element("osm", version="0.6", generator="ductplanner tests")
    ids = {name: str(1000 + i) for i, name in enumerate(nodes)}
    for name, (x, y) in nodes.items():
        ET.SubElement(
            root, "node", id=ids[name], version="1", lat=f"{lat0 + y / 111_320:.8f}",
            lon=f"{lon0 + x / per_lon:.8f}",
        )  # fmt: skip
    for way_id, (refs, tags) in ways.items():
        way = ET.SubElement(root, "way", id=way_id, version="1")
        for ref in refs:
            ET.SubElement(way, "nd", ref=ids[ref])
        for key, value in tags.items():
            ET.SubElement(way, "tag", k=key, v=value)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


@pytest.fixture(scope="module")
def levels(tmp_path_factory: pytest.TempPathFactory) -> gpd.GeoDataFrame:
    folder = tmp_path_factory.mktemp("levels")
    return _import_osm(_write_osm(folder / "levels.osm"), folder / "levels.gpkg")


def _edges_of(net: StreetNetwork, way: str) -> gpd.GeoDataFrame:
    return net.edges[net.edges["street_id"] == f"w{way}"]


def test_import_keeps_the_level_bridge_and_tunnel_of_osm(levels):
    by_id = levels.set_index("id")
    assert by_id.loc["w3", ["level", "bridge", "tunnel"]].tolist() == [-1, False, True]
    assert by_id.loc["w5", ["bridge", "tunnel"]].tolist() == [True, False]
    assert by_id.loc["w7", "tunnel"] and by_id["level"].isna().sum() == 6
    assert not by_id.loc["w1", ["bridge", "tunnel"]].any()


def test_streets_on_other_levels_cross_without_a_junction(levels):
    net = build_network(levels)
    assert len(_edges_of(net, "3")) == 1  # the tunnel under Alfa
    assert len(_edges_of(net, "1")) == 2  # Alfa: cut only where Bravo shares its node
    assert len(_edges_of(net, "5")) == 1  # the bridge over Bravo


def test_other_levels_join_where_they_share_a_node(levels):
    net = build_network(levels)
    bravo = _edges_of(net, "2")
    assert (
        len(bravo) == 3
    )  # at the underpass's end (a shared node) and at Alfa, not under the bridge
    bridge = _edges_of(net, "5").iloc[0]
    ramps = set(_edges_of(net, "4")[["u", "v"]].to_numpy().ravel()) | set(
        _edges_of(net, "6")[["u", "v"]].to_numpy().ravel()
    )
    assert {bridge["u"], bridge["v"]} <= ramps
    underpass = _edges_of(net, "7").iloc[0]
    assert {underpass["u"], underpass["v"]} & set(bravo[["u", "v"]].to_numpy().ravel())


def test_a_duct_in_a_tunnel_stays_an_island(levels):
    by_id = levels.set_index("id")
    ducts = gpd.GeoDataFrame(
        {"id": ["D-ALFA", "D-TUNNEL"], "status": "existing"},
        geometry=[by_id.loc["w1", "geometry"], by_id.loc["w3", "geometry"]],
        crs=levels.crs,
    )
    pop = gpd.GeoDataFrame(
        {"id": ["POP"], "kind": ["pop"]},
        geometry=[shapely.get_point(by_id.loc["w1", "geometry"], 0)],
        crs=levels.crs,
    )
    net = build_network(levels, ducts, pop)
    connected = dict(zip(net.edges.index, net.connected_edges(), strict=True))
    assert all(connected[e] for e in _edges_of(net, "1").index)
    assert not any(connected[e] for e in _edges_of(net, "3").index)


def test_import_says_what_the_mapping_skipped_and_which(tmp_path, capsys):
    osm = _write_osm(tmp_path / "levels.osm")
    workspace = tmp_path / "skipped.gpkg"
    assert main(["import", str(workspace), "streets", str(osm), "--mapping", "osm", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["features_skipped"] == 3
    assert summary["dropped"] == [
        "1 without highway: w9",
        "1 with highway = construction: w10",
        "1 with highway = proposed: w8",
        "1 highway areas (not lines, e.g. area=yes): w11",
    ]
    assert main(["import", str(workspace), "streets", str(osm), "--mapping", "osm"]) == 0
    out = capsys.readouterr().out
    assert "Skipped: 1 with highway = proposed: w8." in out
    assert "1 highway areas (not lines, e.g. area=yes): w11." in out


def test_a_file_of_nothing_but_skipped_ways_says_what_was_skipped(tmp_path, capsys):
    ways = {k: WAYS[k] for k in ("9", "11")}  # a railway and a square
    osm = _write_osm(tmp_path / "rail.osm", NODES, ways)
    assert main(["import", str(tmp_path / "ws.gpkg"), "streets", str(osm), "--mapping", "osm"]) == 1
    err = capsys.readouterr().err
    assert "left once the osm mapping skipped 1 (1 without highway: w9; 1 highway areas" in err


# --- sidewalks and cycle tracks drawn beside their road -----------------------------------


@pytest.fixture(scope="module")
def town() -> dict[str, gpd.GeoDataFrame]:
    return generate_demo(2019, scale=0.3)


@pytest.mark.parametrize("offset", [5.0, 9.0])
def test_sidewalks_drawn_beside_the_streets_change_neither_network_nor_coverage(town, offset):
    ducts = town["ducts"][town["ducts"]["status"] == "existing"]
    walked = with_sidewalks(town["streets"], offset)
    plain = build_network(town["streets"], ducts, town["backbone"])
    folded = build_network(walked, ducts, town["backbone"])
    as_drawn = build_network(walked, ducts, town["backbone"], side_paths=0)

    def duct_metres(net: StreetNetwork) -> float:
        return float(net.edges.length[net.edges["has_duct"]].sum())

    assert len(walked) > 1.5 * len(town["streets"])
    assert len(folded.edges) == len(plain.edges)
    assert duct_metres(folded) == pytest.approx(duct_metres(plain), rel=0.01)
    assert duct_metres(as_drawn) > 2 * duct_metres(plain)  # what corridors are for
    before = compute_coverage(town).summary()
    after = compute_coverage({**town, "streets": walked}).summary()
    total = before["households_total"]
    assert abs(after["households_duct_covered"] - before["households_duct_covered"]) <= 0.02 * total


def test_a_path_that_leaves_a_folded_sidewalk_stays_joined_to_the_road():
    lines = {
        "road": ((0, 0), (200, 0)),
        "walk": ((0, 6), (200, 6)),  # the sidewalk
        "cross": ((100, 0), (100, 6)),  # the footway onto it
        "park": ((100, 6), (100, 120)),  # a path leaving it into a park
        "far": ((300, 50), (300, 150)),  # a path nowhere near a road
    }
    streets = gpd.GeoDataFrame(
        {
            "id": list(lines),
            "road_class": ["local", "path", "path", "path", "path"],
        },
        geometry=[shapely.LineString(xy) for xy in lines.values()],
        crs="EPSG:25832",
    )
    net = build_network(streets)
    assert sorted(set(net.edges["street_id"])) == ["far", "park", "road"]
    park = net.edges[net.edges["street_id"] == "park"].iloc[0]
    road_nodes = set(net.edges.loc[net.edges["street_id"] == "road", ["u", "v"]].to_numpy().ravel())
    assert {park["u"], park["v"]} & road_nodes  # joined to the road, not left 6 m off it
    assert net.edges.loc[net.edges["street_id"] == "far", "length"].sum() == pytest.approx(100)


# --- a dual carriageway --------------------------------------------------------------------

ROAD = {"highway": "primary", "name": "Ringvej", "oneway": "yes"}
SIDE = {"highway": "residential", "name": "Sidevej"}
DUAL = {  # Ringvej as two one-way carriageways 16 m apart; side streets meet the near one
    "nodes": {
        "n1": (0, 8), "n2": (150, 8), "n3": (300, 8),
        "s1": (300, -8), "s2": (150, -8), "s3": (0, -8),
        "nn": (150, 120), "ss": (150, -120),
    },
    "ways": {
        "1": (["n1", "n2", "n3"], ROAD), "2": (["s1", "s2", "s3"], ROAD),
        "3": (["n2", "nn"], SIDE), "4": (["s2", "ss"], SIDE),
    },
}  # fmt: skip
SINGLE = {  # the same town with Ringvej drawn once, on its middle
    "nodes": {"c1": (0, 0), "c2": (150, 0), "c3": (300, 0), "nn": (150, 120), "ss": (150, -120)},
    "ways": {
        "1": (["c1", "c2", "c3"], {**ROAD, "oneway": "no"}),
        "3": (["c2", "nn"], SIDE), "4": (["c2", "ss"], SIDE),
    },
}  # fmt: skip
HOUSES = [(50, 25), (250, 25), (50, -25), (250, -25), (170, 80), (130, -80)]


def _dual_town(tmp_path: Path, drawn: dict, *extra: str) -> dict[str, gpd.GeoDataFrame]:
    osm = _write_osm(tmp_path / "town.osm", drawn["nodes"], drawn["ways"])
    streets = _import_osm(osm, tmp_path / f"town{len(list(tmp_path.iterdir()))}.gpkg", *extra)
    to_utm = Transformer.from_crs("EPSG:4326", streets.crs, always_xy=True)
    lon0, lat0 = 12.36, 55.73
    per_lon = 111_320 * math.cos(math.radians(lat0))

    def at(x: float, y: float) -> tuple[float, float]:
        return to_utm.transform(lon0 + x / per_lon, lat0 + y / 111_320)

    duct = shapely.LineString([at(0, 8), at(300, 8)])  # laid in the north carriageway
    return {
        "streets": streets,
        "ducts": gpd.GeoDataFrame(
            {"id": ["D1"], "status": ["existing"]}, geometry=[duct], crs=streets.crs
        ),
        "backbone": gpd.GeoDataFrame(
            {"id": ["POP"], "kind": ["pop"]}, geometry=[shapely.Point(at(0, 8))], crs=streets.crs
        ),
        "addresses": gpd.GeoDataFrame(
            {"id": [f"A{i}" for i in range(len(HOUSES))], "units": 1},
            geometry=[shapely.Point(at(*xy)) for xy in HOUSES],
            crs=streets.crs,
        ),
    }


def test_a_dual_carriageway_is_one_corridor_for_its_ducts_and_houses(tmp_path):
    merged = _dual_town(tmp_path, DUAL)
    names = merged["streets"]["name"].tolist()
    assert sorted(names) == ["Ringvej", "Sidevej", "Sidevej"]  # one Ringvej, in the middle
    single = _dual_town(tmp_path, SINGLE)
    as_drawn = _dual_town(tmp_path, DUAL, "--no-merge-twins")

    def covered(layers: dict) -> int:
        return compute_coverage(layers).summary()["households_duct_covered"]

    assert covered(merged) == covered(single) == 4  # both sides of Ringvej
    assert covered(as_drawn) == 2  # only the houses beside the north carriageway
    net = build_network(merged["streets"])
    assert nx.is_connected(nx.Graph(list(zip(net.u, net.v, strict=True))))
