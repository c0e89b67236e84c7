"""Coverage: addresses, districts, sites and islands, on hand-checkable towns."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Point

from ductplanner import InputError
from ductplanner.analysis.coverage import (
    address_coverage,
    assign_addresses,
    compute_coverage,
    edge_demand,
)
from ductplanner.app.demo import TINY_ORIGIN, tiny_layers
from ductplanner.app.workflows.coverage import coverage_workspace
from ductplanner.core._format import metres, number, percent, share
from ductplanner.model.layers import validate_layer
from ductplanner.model.network import build_network
from ductplanner.pipeline import coverage_step

CRS = "EPSG:25832"


def frame(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def homes(*spec: tuple[float, float, int]) -> gpd.GeoDataFrame:
    return frame(
        [{"id": f"A{i}", "units": u, "geometry": Point(x, y)} for i, (x, y, u) in enumerate(spec)]
    )


# --- a toy town: a street, a cul-de-sac, an island --------------------------------------------


def toy_layers() -> dict[str, gpd.GeoDataFrame]:
    """Main street 0-300 (x), a cul-de-sac north at x=100 and one south at x=200.

    The main street is split at x=100 and x=200 (M:1, M:2, M:3). POP at (0, 0).
    Ducts: on M:1 (connected) and on M:3 (an island). Homes: 5 at x=50 (duct),
    3 on the northern cul-de-sac (no duct), 2 at x=250 (island), 1 at
    (300, 250), 250 m from the street's end (beyond the drop distance).
    """
    streets = frame(
        [
            {"id": "M", "name": "Main", "geometry": LineString([(0, 0), (300, 0)])},
            {"id": "C", "name": "Cul", "geometry": LineString([(100, 0), (100, 80)])},
            {"id": "S", "name": "South", "geometry": LineString([(200, 0), (200, -80)])},
        ]
    )
    ducts = frame(
        [
            {"id": "D1", "status": "existing", "geometry": LineString([(0, 3), (100, 3)])},
            {"id": "D2", "status": "existing", "geometry": LineString([(200, 3), (300, 3)])},
        ]
    )
    backbone = frame([{"id": "POP", "kind": "pop", "geometry": Point(0, 0)}])
    addresses = homes((50, 12, 5), (110, 60, 3), (250, -15, 2), (300, 250, 1))
    return {"streets": streets, "ducts": ducts, "backbone": backbone, "addresses": addresses}


def test_toy_town_coverage_by_hand():
    report = compute_coverage(toy_layers())
    a = report.addresses
    assert a["edge_id"].tolist()[:3] == ["M:1", "C:1", "M:3"]
    assert pd.isna(a["edge_id"].iloc[3])
    assert a["duct_covered"].tolist() == [True, False, False, False]
    assert a["distance_m"].tolist() == [12.0, 10.0, 15.0, 250.0]
    s = report.summary()
    assert (s["households_total"], s["households_duct_covered"], s["households_served"]) == (
        11,
        5,
        5,
    )
    assert (s["addresses_total"], s["addresses_duct_covered"], s["addresses_beyond_drop"]) == (
        4,
        1,
        1,
    )
    # The island (M:3, 100 m) would serve the 2 households at x=250.
    assert s["islands"] == [
        {
            "island": 1,
            "edges": 1,
            "length_m": 100.0,
            "households": 2,
            "addresses": 1,
            "edge_ids": ["M:3"],
        }
    ]


def test_addresses_beyond_the_drop_distance_are_reported_not_dropped():
    report = compute_coverage(toy_layers(), drop=20)
    a = report.addresses
    assert len(a) == 4
    assert a.loc[a["beyond_drop"], "id"].tolist() == ["A3"]
    assert a.loc[3, "distance_m"] == 250.0
    assert pd.isna(a.loc[3, "edge_id"])


def test_planned_ducts_do_not_cover():
    layers = toy_layers()
    layers["ducts"].loc[0, "status"] = "planned"
    assert compute_coverage(layers).summary()["households_duct_covered"] == 0
    with_planned = compute_coverage(layers, duct_statuses=("existing", "planned"))
    assert with_planned.summary()["households_duct_covered"] == 5


def test_no_backbone_connects_nothing_and_says_so():
    layers = toy_layers()
    del layers["backbone"]
    report = compute_coverage(layers)
    assert report.summary()["households_duct_covered"] == 0
    assert [p.rule for p in report.problems] == ["backbone-missing"]
    assert "warning" in report.text()


def test_ties_go_to_the_first_edge_whatever_the_drop():
    layers = toy_layers()
    net = build_network(layers["streets"], layers["ducts"], layers["backbone"])
    # (100, -20) is 20 m from M:1 and M:2 (they meet at x=100): M:1 is listed first.
    corner = gpd.GeoSeries([Point(100, -20)], crs=CRS)
    for drop in (20, 25, 1000):
        assert assign_addresses(corner, net, drop=drop)["edge_id"].tolist() == ["M:1"]


def test_a_fast_line_counts_as_served_without_a_duct():
    layers = toy_layers()
    layers["addresses"]["speed_down_mbps"] = [None, 150.0, 100.0, 1000.0]
    layers["addresses"]["speed_up_mbps"] = [None, 50.0, 29.0, 1000.0]
    a = compute_coverage(layers).addresses
    # A1 meets the target (150/50); A2 misses the upload (29 < 30); A3 is beyond the drop
    # distance but fast, so served.
    assert a["served"].tolist() == [True, True, False, True]
    assert a["fast_already"].tolist() == [False, True, False, True]


# --- the tiny town, by hand from its docstring ------------------------------------------------


def test_tiny_town_coverage_by_hand(tiny):
    report = compute_coverage(tiny)
    a = report.addresses.set_index("id")
    # Only Centervej x 0-200 (edges H0:1, H0:2) has a duct connected to the POP at (0, 0).
    # A01 (50, 10, 4 households) and A02 (150, -10, 2) lie 10 m from it: duct-covered.
    assert a.index[a["duct_covered"]].tolist() == ["A01", "A02"]
    # A06 (2 households) has 1000/1000 Mbit/s: served without a duct. A10 has 50/10: not.
    assert a.index[a["served"]].tolist() == ["A01", "A02", "A06"]
    # A16 lies 60 m north of Parkvej: beyond the 30 m drop distance.
    assert a.index[a["beyond_drop"]].tolist() == ["A16"]
    assert a.loc["A16", "distance_m"] == 60.0
    # A05 (130, 110) is 10 m from Skolevej x 100-150, 20 m from the path, 30 m from Kirkevej.
    assert a.loc["A05", "edge_id"] == "H1:2"
    # A12 (310, 150) is on Østvej's duct island (V3:2): not covered.
    assert a.loc["A12", "edge_id"] == "V3:2"
    assert not a.loc["A12", "duct_covered"]

    s = report.summary()
    assert s["households_total"] == 40  # as the demo docstring says
    assert s["households_duct_covered"] == 4 + 2
    assert s["households_served"] == 4 + 2 + 2
    assert s["addresses_total"] == 16
    assert s["addresses_duct_covered"] == 2
    assert s["addresses_beyond_drop"] == 1
    # Vest is x -50..150, Øst x 150..450: A02 (x=150) and A16 (x=150) lie on the shared
    # border and go to the district listed first, Vest.
    assert s["districts"]["Vest"] == {
        "households_total": 4 + 2 + 2 + 6 + 1 + 2 + 1 + 3,
        "households_duct_covered": 6,
        "households_served": 6,
        "addresses_total": 8,
        "addresses_duct_covered": 2,
        "addresses_beyond_drop": 1,
        "addresses_served": 2,
        "households_beyond_drop": 3,
    }
    assert s["districts"]["Øst"]["households_total"] == 3 + 2 + 3 + 4 + 2 + 1 + 3 + 1
    assert s["districts"]["Øst"]["households_served"] == 2  # A06, fast already
    assert s["districts"]["Øst"]["households_duct_covered"] == 0


def test_tiny_town_sites_by_hand(tiny):
    sites = compute_coverage(tiny).sites.set_index("id")
    # The care home is flagged as connected (and also lies 10 m from the connected duct).
    assert sites.loc["SITE2", "connected"]
    assert sites.loc["SITE2", "via"] == "flag"
    # The school (50, 110) lies 10 m from Skolevej; the nearest connected point is 150 m
    # away along the streets: up Vestvej (or Kirkevej) 100 m, then 50 m along Skolevej.
    assert not sites.loc["SITE1", "connected"]
    assert sites.loc["SITE1", "missing_m"] == 150.0
    assert sites.loc["SITE1", "from_kind"] in {"duct", "backbone"}
    assert sites.loc["SITE1", "from_id"] in {"H0:1", "H0:2", "POP1"}


def test_a_site_is_connected_by_a_connected_duct_on_its_edge(tiny):
    tiny["sites"]["connected"] = False
    sites = compute_coverage(tiny).sites.set_index("id")
    assert sites.loc["SITE2", "connected"]
    assert sites.loc["SITE2", "via"] == "duct"
    assert sites.loc["SITE2", "missing_m"] == 0.0


def test_tiny_town_island_and_its_households(tiny):
    islands = compute_coverage(tiny).islands
    # D2 along Østvej y 100-200 reaches no POP; A12 (2 households) lies on it.
    assert islands[["edges", "length_m", "households", "addresses"]].to_dict("records") == [
        {"edges": 1, "length_m": 100.0, "households": 2, "addresses": 1}
    ]


def test_the_text_gives_every_share_with_its_denominator(tiny):
    text = compute_coverage(tiny).text()
    assert "duct-covered  6 of 40 households, 15.0 %  (2 of 16 addresses, 12.5 %)" in text
    assert "served        8 of 40 households, 20.0 %" in text
    assert "1 of 2 sites, 50.0 % connected" in text
    assert "Skolen (school): 150 m of duct missing" in text
    percentages = list(re.finditer(r"[\d.]+ %", text))
    assert len(percentages) >= 8
    for found in percentages:  # every percentage follows "N of M unit, "
        assert re.search(r"\d+ of \d+ [a-z]+, $", text[: found.start()]), found


def test_the_layers_conform_to_their_schemas(tiny):
    layers = compute_coverage(tiny).layers()
    for name, gdf in layers.items():
        clean, problems = validate_layer(gdf, name)
        assert [p for p in problems if p.severity == "error"] == []
        assert list(clean.columns[:-1]) == [c for c in gdf.columns if c != "geometry"]
    assert layers["coverage"]["served"].sum() == 3
    assert layers["district_coverage"]["households_total"].tolist() == [21, 19]


def test_edge_demand_adds_up_and_evaluates_any_duct_set(tiny):
    report = compute_coverage(tiny)
    net = report.network
    demand = edge_demand(report.addresses, net)
    assert demand["households"].sum() == 40 - 3  # all but A16, beyond the drop distance
    assert demand.loc["H1:2", "households"] == 6
    households = demand["households"].to_numpy()
    # Joining the island through H0:3 and V3:1 adds A03 (3), A13 (1) and A12 (2).
    more = net.has_duct | net.edges.index.isin(["H0:3", "V3:1"])
    assert households[net.connected_edges(more)].sum() == 6 + 3 + 1 + 2


# --- properties ------------------------------------------------------------------------------

_NET = build_network(*(tiny_layers()[k] for k in ("streets", "ducts", "backbone")))
_ADDRESSES = tiny_layers()["addresses"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.booleans(), min_size=21, max_size=21), st.integers(0, 20))
def test_adding_a_connected_duct_never_lowers_coverage(mask, extra):
    has_duct = np.array(mask)
    before = address_coverage(_ADDRESSES, _NET, has_duct=has_duct)
    more = has_duct.copy()
    more[extra] = True
    after = address_coverage(_ADDRESSES, _NET, has_duct=more)
    assert not (before["duct_covered"] & ~after["duct_covered"]).any()
    assert after["units"][after["served"]].sum() >= before["units"][before["served"]].sum()


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-80, 460), st.floats(-80, 300)), min_size=1, max_size=30),
    st.floats(0, 100),
    st.floats(0, 100),
)
def test_coverage_is_monotone_in_the_drop_distance(points, d1, d2):
    small, large = sorted((d1, d2))
    x0, y0 = TINY_ORIGIN
    pts = gpd.GeoDataFrame(
        {"id": [f"P{i}" for i in range(len(points))], "units": 1},
        geometry=[Point(x0 + x, y0 + y) for x, y in points],
        crs=CRS,
    )
    a = address_coverage(pts, _NET, drop=small)
    b = address_coverage(pts, _NET, drop=large)
    assert not (a["duct_covered"] & ~b["duct_covered"]).any()
    assert not (~a["beyond_drop"] & b["beyond_drop"]).any()
    # Within both distances, the edge is the same one.
    both = ~a["beyond_drop"]
    assert (a.loc[both, "edge_id"] == b.loc[both, "edge_id"]).all()


# --- refused inputs ---------------------------------------------------------------------------


def test_missing_addresses_layer_is_refused():
    layers = toy_layers()
    del layers["addresses"]
    with pytest.raises(InputError, match="addresses layer is missing"):
        compute_coverage(layers)


def test_addresses_without_geometry_are_refused_naming_each():
    layers = toy_layers()
    layers["addresses"].loc[1, "geometry"] = None
    layers["addresses"].loc[2, "geometry"] = LineString([(0, 0), (1, 1)])
    with pytest.raises(InputError) as err:
        compute_coverage(layers)
    assert [(p.feature_id, p.rule) for p in err.value.problems] == [
        ("A1", "geometry-null"),
        ("A2", "geometry-type"),
    ]


@pytest.mark.parametrize("drop", [-1.0, float("nan")])
def test_a_negative_drop_distance_is_refused(drop):
    with pytest.raises(InputError, match="drop distance"):
        compute_coverage(toy_layers(), drop=drop)


# --- workspace and demo step -------------------------------------------------------------------


def test_coverage_workspace_writes_both_layers(tiny_workspace):
    from ductplanner.io.workspace import list_layers, read_layer

    coverage_workspace(tiny_workspace)
    assert {"coverage", "district_coverage"} <= set(list_layers(tiny_workspace))
    cov = read_layer(tiny_workspace, "coverage")
    assert int(cov.loc[cov["served"].astype(bool), "units"].sum()) == 8


def test_demo_step_reports_a_line_and_the_summary(tiny_workspace, tmp_path):
    from ductplanner.pipeline import DemoContext

    ctx = DemoContext(tiny_workspace, tmp_path, 2019, tmp_path)
    outcome = coverage_step(ctx)
    assert outcome.line == "duct-covered: 6 of 40 households, 15.0 %"
    assert outcome.summary["households_served"] == 8


# --- formatting -------------------------------------------------------------------------------


def test_share_states_numerator_and_denominator():
    assert share(18204, 23117, "households") == "18,204 of 23,117 households, 78.7 %"
    assert share(18204, 23117, "households", lang="da") == "18.204 af 23.117 husstande, 78,7 %"
    assert share(0, 0, "sites") == "0 of 0 sites, no sites to count"
    assert share(1.5, 3, "km") == "1.5 of 3.0 km, 50.0 %"
    assert number(1234567.891, 2, lang="da") == "1.234.567,89"
    assert percent(2, 3, 0) == "67 %"
    assert metres(12_345.0) == "12.3 km"
    with pytest.raises(ValueError, match="lang"):
        share(1, 2, "households", lang="de")  # type: ignore[arg-type]
