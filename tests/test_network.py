"""The street network: noding, duct flags, backbone components, graph round trip."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Point

from ductplanner import InputError
from ductplanner.model.network import (
    EDGE_COLUMNS,
    StreetNetwork,
    build_network,
    graph_from_gdfs,
    graph_to_gdfs,
)

CRS = "EPSG:25832"


def frame(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def streets(**lines: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return frame([{"id": k, "name": k, "geometry": LineString(v)} for k, v in lines.items()])


def ducts(**lines: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return frame([{"id": k, "geometry": LineString(v)} for k, v in lines.items()])


def pop(x: float, y: float, name: str = "POP") -> gpd.GeoDataFrame:
    return frame([{"id": name, "kind": "pop", "geometry": Point(x, y)}])


def ends_match_nodes(net: StreetNetwork) -> bool:
    xy = net.nodes[["x", "y"]].to_numpy()
    start = shapely.get_coordinates(shapely.get_point(net.edges.geometry.values, 0))
    end = shapely.get_coordinates(shapely.get_point(net.edges.geometry.values, -1))
    return bool(np.allclose(start, xy[net.u]) and np.allclose(end, xy[net.v]))


# --- toy networks, checked by hand -------------------------------------------------------


def test_a_cross_is_split_into_four_edges_around_one_node():
    net = build_network(streets(A=[(0, 0), (200, 0)], B=[(100, -100), (100, 100)]))
    assert sorted(net.edges.index) == ["A:1", "A:2", "B:1", "B:2"]
    assert len(net.nodes) == 5
    centre = net.nodes.index[(net.nodes["x"] == 100) & (net.nodes["y"] == 0)]
    assert len(centre) == 1
    degree = np.bincount(np.r_[net.u, net.v])
    assert degree[centre[0]] == 4
    assert net.edges["length"].tolist() == [100.0] * 4
    assert ends_match_nodes(net)


def test_a_t_junction_with_a_gap_inside_snap_is_joined_and_outside_is_not():
    lines = {"A": [(0, 0), (200, 0)], "T": [(50, 0.4), (50, 80)]}
    joined = build_network(streets(**lines), snap=1.0)
    assert sorted(joined.edges.index) == ["A:1", "A:2", "T:1"]
    assert joined.edges.loc["T:1", "geometry"].coords[0] == (50.0, 0.0)
    apart = build_network(streets(**lines), snap=0.2)
    assert sorted(apart.edges.index) == ["A:1", "T:1"]
    assert len(apart.nodes) == 4


def test_line_ends_closer_than_snap_become_one_node():
    net = build_network(streets(A=[(0, 0), (100, 0)], B=[(100.3, 0.2), (200, 0)]), snap=1.0)
    assert len(net.nodes) == 3
    assert net.v[0] == net.u[1]


def test_a_ring_attached_at_two_points_keeps_both_halves_as_parallel_edges():
    ring = [(0, 0), (50, 50), (100, 0), (50, -50), (0, 0)]
    net = build_network(streets(R=ring, W=[(-100, 0), (0, 0)], E=[(100, 0), (200, 0)]))
    assert sorted(net.edges.index) == ["E:1", "R:1", "R:2", "W:1"]
    r1, r2 = net.edges.loc["R:1"], net.edges.loc["R:2"]
    assert {r1.u, r1.v} == {r2.u, r2.v}
    assert net.graph.number_of_edges(r1.u, r1.v) == 2
    assert net.edges["length"].sum() == pytest.approx(200 + 4 * 50 * 2**0.5)


def test_a_ring_attached_at_one_point_is_a_self_loop():
    ring = [(0, 0), (50, 50), (100, 0), (50, -50), (0, 0)]
    net = build_network(streets(R=ring, W=[(-100, 0), (0, 0)]))
    assert net.edges.loc["R:1", "u"] == net.edges.loc["R:1", "v"]
    assert net.edges.loc["R:1", "length"] == pytest.approx(4 * 50 * 2**0.5)


def test_a_cul_de_sac_ends_in_a_node_of_degree_one():
    net = build_network(streets(A=[(0, 0), (200, 0)], C=[(100, 0), (100, 60)]))
    end = net.nodes.index[(net.nodes["x"] == 100) & (net.nodes["y"] == 60)][0]
    assert np.bincount(np.r_[net.u, net.v])[end] == 1


def test_multilinestrings_are_numbered_along_their_parts():
    gdf = frame(
        [
            {
                "id": "M",
                "geometry": shapely.MultiLineString([[(0, 0), (100, 0)], [(300, 0), (400, 0)]]),
            }
        ]
    )
    net = build_network(gdf)
    assert net.edges.index.tolist() == ["M:1", "M:2"]
    assert net.edges.loc["M:2", "geometry"].coords[0] == (300.0, 0.0)


# --- ducts ----------------------------------------------------------------------------------


def test_a_duct_beside_the_centre_line_marks_the_edges_it_runs_along():
    s = streets(A=[(0, 0), (200, 0)], B=[(100, -100), (100, 100)])
    d = ducts(D=[(0, 4), (100, 4)])  # in the verge, 4 m off the centre line
    net = build_network(s, d, duct_tolerance=10)
    assert net.edges.index[net.has_duct].tolist() == ["A:1"]
    assert net.edges.loc["A:1", "duct_id"] == "D"
    assert net.edges.loc["A:1", "duct_share"] == 1.0
    # The duct's 10 m corridor (y from -6 to 14) covers the ends of B: a share, not a duct.
    assert net.edges.loc["B:1", "duct_share"] == pytest.approx(0.06)
    assert net.edges.loc["B:2", "duct_share"] == pytest.approx(0.14)
    assert not net.edges.loc[["B:1", "B:2"], "has_duct"].any()


def test_the_share_threshold_decides_a_partly_covered_edge():
    s = streets(A=[(0, 0), (100, 0)])
    d = ducts(D=[(0, 0), (40, 0)])  # 40 m plus the 10 m buffer round the end: 50 %
    assert build_network(s, d, duct_share=0.5).has_duct.tolist() == [True]
    assert build_network(s, d, duct_share=0.6).has_duct.tolist() == [False]
    assert build_network(s, d, duct_tolerance=2, duct_share=0.5).has_duct.tolist() == [False]


def test_two_overlapping_ducts_are_not_counted_twice():
    s = streets(A=[(0, 0), (100, 0)])
    d = ducts(D1=[(0, 0), (30, 0)], D2=[(0, 2), (30, 2)])
    net = build_network(s, d, duct_tolerance=1.0, duct_share=0.1)
    assert net.edges.loc["A:1", "duct_share"] == pytest.approx(0.31, abs=0.005)


def test_a_duct_that_follows_no_street_becomes_its_own_edge_and_connects():
    s = streets(A=[(0, 0), (200, 0)])
    d = ducts(D1=[(0, 3), (100, 3)], D2=[(100, 3), (100, 150), (180, 150)])
    net = build_network(s, d, pop(0, 0), duct_tolerance=10)
    assert net.edges.loc["duct:D2:1", "kind"] == "duct"
    assert net.edges.loc["duct:D2:1", "has_duct"]
    assert net.edges.loc["duct:D2:1", "duct_id"] == "D2"
    # Extended from the corridor's edge (y=10) down to the street.
    assert net.edges.loc["duct:D2:1", "geometry"].coords[0] == (100.0, 0.0)
    assert net.edges.loc["duct:D2:1", "length"] == pytest.approx(150 + 80)
    assert net.edges.index[net.connected_edges()].tolist() == ["A:1", "duct:D2:1"]
    street_length = net.edges.loc[net.edges["kind"] == "street", "length"].sum()
    assert street_length == pytest.approx(200)


# --- backbone and components ----------------------------------------------------------------


def island_town() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A street of three 100 m blocks; ducts on the first and the last: an island."""
    s = streets(A=[(0, 0), (300, 0)], X1=[(100, 0), (100, 50)], X2=[(200, 0), (200, 50)])
    d = ducts(D1=[(0, 2), (100, 2)], D3=[(200, 2), (300, 2)])
    return s, d


def test_a_duct_not_reaching_the_backbone_is_an_island():
    s, d = island_town()
    net = build_network(s, d, pop(-20, 0))
    assert net.edges.index[net.connected_edges()].tolist() == ["A:1"]
    islands = net.islands()
    assert islands["edge_ids"].tolist() == [["A:3"]]
    assert islands["length_m"].tolist() == [100.0]
    assert net.component_of_edges()["A:3"] == 1


def test_closing_the_gap_connects_the_island():
    s, d = island_town()
    net = build_network(s, d, pop(-20, 0))
    mask = net.has_duct | net.edges.index.isin(["A:2"])
    assert net.connected_edges(mask).sum() == 3
    assert net.islands(mask).empty


def test_a_pop_too_far_from_every_street_is_a_warning_and_connects_nothing():
    s, d = island_town()
    net = build_network(s, d, pop(-500, 0), backbone_distance=50)
    assert not net.connected_edges().any()
    assert [p.rule for p in net.problems] == ["backbone-loose"]
    assert net.problems[0].feature_id == "POP"


def test_a_fibre_line_connects_the_ducts_it_passes():
    s, d = island_town()
    fibre = frame([{"id": "F", "kind": "fibre", "geometry": LineString([(250, 50), (250, -50)])}])
    net = build_network(s, d, fibre)
    assert net.edges.index[net.connected_edges()].tolist() == ["A:3"]


def test_connected_edges_checks_the_mask_shape():
    s, d = island_town()
    net = build_network(s, d, pop(0, 0))
    with pytest.raises(ValueError, match="one value per edge"):
        net.connected_edges(np.ones(2, dtype=bool))


def test_distance_to_network_runs_along_the_streets():
    s, d = island_town()
    net = build_network(s, d, pop(0, 0))
    dist, source = net.distance_to_network()
    top_of_x2 = net.nodes.index[(net.nodes["x"] == 200) & (net.nodes["y"] == 50)][0]
    assert dist[top_of_x2] == pytest.approx(100 + 50)  # from the duct's end at x=100
    assert net.nodes.loc[source[top_of_x2], "x"] == 100


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.booleans(), min_size=9, max_size=9),
    st.lists(st.booleans(), min_size=9, max_size=9),
)
def test_connectivity_is_monotone_in_the_ducts(first, extra):
    net = _grid_network()
    a = np.array(first)
    b = a | np.array(extra)
    ca, cb = net.connected_edges(a), net.connected_edges(b)
    assert not (ca & ~a).any()  # only duct edges are connected
    assert not (ca & ~cb).any()  # adding ducts never disconnects one
    loose = sum(len(ids) for ids in net.islands(a)["edge_ids"])
    assert ca.sum() + loose == a.sum()


_GRID: list[StreetNetwork] = []


def _grid_network() -> StreetNetwork:
    """Two blocks side by side, a stub east and one north: 9 edges, POP at a corner."""
    if not _GRID:
        s = streets(
            H0=[(0, 0), (200, 0)],
            H1=[(0, 100), (200, 100)],
            V0=[(0, 0), (0, 100)],
            V1=[(100, 0), (100, 100)],
            V2=[(200, 0), (200, 100)],
            C=[(200, 100), (260, 100)],
            K=[(100, 100), (100, 150)],
        )
        _GRID.append(build_network(s, None, pop(0, 0)))
    assert len(_GRID[0].edges) == 9
    return _GRID[0]


# --- noding properties ------------------------------------------------------------------------

segment = st.tuples(st.integers(0, 6), st.integers(0, 6), st.booleans(), st.integers(1, 6)).map(
    lambda t: [
        (t[0] * 10, t[1] * 10),
        (t[0] * 10 + t[3] * 10 * t[2], t[1] * 10 + t[3] * 10 * (not t[2])),
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(segment, min_size=1, max_size=12, unique_by=lambda s: tuple(s)))
def test_noding_keeps_the_length_and_leaves_no_crossing(lines):
    s = frame([{"id": f"S{i}", "geometry": LineString(c)} for i, c in enumerate(lines)])
    net = build_network(s, snap=0.0)
    assert net.edges["length"].sum() == pytest.approx(s.length.sum())
    geoms = net.edges.geometry.values
    crossing, _ = shapely.STRtree(geoms).query(geoms, predicate="crosses")
    assert len(crossing) == 0
    assert ends_match_nodes(net)
    # Every edge meets the others only at its ends (nodes): no T left unsplit.
    points = shapely.points(net.nodes[["x", "y"]].to_numpy())
    i, e = shapely.STRtree(geoms).query(points, predicate="intersects")
    at_end = (net.u[e] == i) | (net.v[e] == i)
    assert at_end.all()


# --- the tiny town ---------------------------------------------------------------------------


def test_tiny_town_network_matches_its_picture(tiny):
    net = build_network(tiny["streets"], tiny["ducts"], tiny["backbone"])
    # 9 streets: Centervej split at x=100, 200 (3); Skolevej and Parkvej at 100, 150, 200
    # (4 each); the four north-south streets at y=100 (2 each); Blindgyden and Stien (1 each).
    assert len(net.edges) == 3 + 4 + 4 + 2 * 4 + 1 + 1
    assert len(net.nodes) == 12 + 2 + 1  # the 4x3 grid, Stien's two ends, Blindgyden's end
    assert net.edges["length"].sum() == pytest.approx(tiny["streets"].length.sum())
    assert net.edges.index[net.has_duct].tolist() == ["H0:1", "H0:2", "V3:2"]
    assert net.edges.index[net.connected_edges()].tolist() == ["H0:1", "H0:2"]
    assert net.edges.index[net.backbone_edge].tolist() == ["H0:1", "V0:1"]
    assert net.islands()["edge_ids"].tolist() == [["V3:2"]]
    assert net.edges.loc["V2:1", "last_dug"] == 2015
    assert net.edges.loc["P1:1", "road_class"] == "path"
    assert list(net.edges.columns) == [*EDGE_COLUMNS, "geometry"]
    assert ends_match_nodes(net)


# --- real GeoDanmark centre lines --------------------------------------------------------------


@pytest.mark.parametrize("snap", [0.0, 1.0])
def test_real_geodanmark_centre_lines_keep_their_total_length(shared_data, snap):
    s = gpd.read_file(shared_data / "odense-vejmidte-sample.gml")
    assert s.crs.to_epsg() == 25832
    net = build_network(s, id_column="id.lokalId", snap=snap)
    assert net.edges["length"].sum() == pytest.approx(s.length.sum(), rel=1e-9)
    assert len(net.edges) > len(s)  # split at junctions
    assert ends_match_nodes(net)
    assert net.edges["street_id"].isin(s["id.lokalId"].astype(str)).all()


def test_real_vejman_roads_node_with_length_kept(shared_data):
    s = gpd.read_file(shared_data / "odense-vejman-roads.gml")
    exact = build_network(s, id_column="gml_id", snap=0.0)
    assert exact.edges["length"].sum() == pytest.approx(s.length.sum(), rel=1e-9)
    # Snapping moves line ends by up to about a metre: the length changes by far less
    # than a metre per node.
    snapped = build_network(s, id_column="gml_id", snap=1.0)
    change = abs(snapped.edges["length"].sum() - s.length.sum())
    assert change < 0.05 * len(snapped.nodes)
    assert len(snapped.nodes) < len(exact.nodes)
    # Edges meet at nodes; where two still cross, it is beside a node they share, within
    # the snap tolerance (lines that wiggle across each other near a junction). A street
    # crossing itself (a ramp over itself) is not split.
    geoms = snapped.edges.geometry.values
    a, b = shapely.STRtree(geoms).query(geoms, predicate="crosses")
    street = snapped.edges["street_id"].to_numpy()
    a, b = a[street[a] != street[b]], b[street[a] != street[b]]
    assert len(a) > 0
    crossings = shapely.get_parts(shapely.intersection(geoms[a], geoms[b]))
    nodes = shapely.STRtree(snapped.nodes.geometry.values)
    _, gap = nodes.query_nearest(crossings, return_distance=True)
    assert (gap <= 2 * 1.0).all()


# --- graph round trip -----------------------------------------------------------------------


def test_graph_round_trip_is_exact(tiny):
    net = build_network(tiny["streets"], tiny["ducts"], tiny["backbone"])
    graph = graph_from_gdfs(net.nodes, net.edges)
    assert isinstance(graph, nx.MultiGraph)
    assert graph.number_of_edges() == len(net.edges)
    assert graph.edges[net.u[0], net.v[0], "H0:1"]["has_duct"]
    nodes, edges = graph_to_gdfs(graph)
    assert_geodataframe_equal(nodes, net.nodes)
    assert_geodataframe_equal(edges, net.edges)
    assert nx.utils.graphs_equal(graph, graph_from_gdfs(nodes, edges))


def test_graph_round_trip_orients_edges_by_their_geometry():
    net = build_network(streets(A=[(0, 0), (100, 0)], B=[(200, 0), (100, 0)]))
    graph = net.graph
    again = StreetNetwork.from_graph(graph)
    assert_geodataframe_equal(again.edges, net.edges)
    graph.remove_edge(net.u[0], net.v[0], "A:1")
    _, edges = graph_to_gdfs(graph)
    assert edges.index.tolist() == ["B:1"]


# --- refused inputs -----------------------------------------------------------------------------


def test_geographic_crs_is_refused():
    s = streets(A=[(0, 0), (100, 0)]).set_crs("EPSG:4326", allow_override=True)
    with pytest.raises(InputError, match="metric"):
        build_network(s)


def test_repeated_street_ids_are_refused_naming_them():
    s = frame(
        [
            {"id": "A", "geometry": LineString([(0, 0), (1, 0)])},
            {"id": "A", "geometry": LineString([(0, 5), (1, 5)])},
        ]
    )
    with pytest.raises(InputError) as err:
        build_network(s)
    assert err.value.problems[0].feature_id == "A"


def test_bad_parameters_are_all_reported():
    with pytest.raises(InputError) as err:
        build_network(streets(A=[(0, 0), (1, 0)]), snap=-1, duct_share=0)
    assert [p.field for p in err.value.problems] == ["snap", "duct_share"]
