"""Opportunities: what each dig opens, households now and once connected, conflicts, the CLI.

The toy cases use the tiny town (``ductplanner.app.demo.tiny_layers``): a 300 x 200 m
grid from the point of presence at (0, 0); duct D1 on Centervej (y = 0) from
x = 0 to 200 is connected, duct D2 on Østvej (x = 300) from y = 100 to 200 is
an island; Skolevej runs along y = 100 and is split at x = 100, 150 and 200.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import LineString, Polygon

from ductplanner.analysis.opportunities import (
    CONFLICT_COLUMNS,
    OPPORTUNITY_COLUMNS,
    dig_probability,
    find_opportunities,
    is_fibre_project,
    opportunities,
)
from ductplanner.app.demo import TINY_ORIGIN, tiny_layers
from ductplanner.cli import main
from ductplanner.io.workspace import list_layers, read_layer, write_layers
from ductplanner.model.layers import DEFAULT_WORKSPACE_CRS, validate_layer
from ductplanner.model.scenarios import load_scenario, parse_scenario
from ductplanner.optimize import planning_instance

REVISED = load_scenario("revised-2019")


def at(x: float, y: float) -> tuple[float, float]:
    return (TINY_ORIGIN[0] + x, TINY_ORIGIN[1] + y)


def line(*points: tuple[float, float]) -> LineString:
    return LineString([at(*p) for p in points])


def dig(
    dig_id: str,
    geometry,
    *,
    owner: str = "Novafos",
    start: str = "2020-04-01",
    end: str = "2020-06-30",
    status: str = "planned",
    confidence: str = "budgeted",
    purpose: str = "water",
    permit_date: str | None = None,
) -> dict:
    return {
        "id": dig_id,
        "owner": owner,
        "purpose": purpose,
        "start": start,
        "end": end,
        "status": status,
        "confidence": confidence,
        "permit_date": permit_date,
        "geometry": geometry,
    }


def town_with(*digs: dict) -> dict[str, gpd.GeoDataFrame]:
    layers = tiny_layers()
    frame = gpd.GeoDataFrame(
        pd.DataFrame(list(digs)), geometry="geometry", crs=DEFAULT_WORKSPACE_CRS
    )
    layers["digs"] = validate_layer(frame, "digs")[0]
    return layers


def rows_by_edge(report) -> dict[str, pd.Series]:
    return {r.edge_id: r for r in report.opportunities.itertuples(index=False)}


# --- what a dig opens ----------------------------------------------------------------------------


def test_a_line_dig_opens_every_edge_it_runs_along_in_metres_and_dkk():
    report = find_opportunities(town_with(dig("N", line((0, 100), (300, 100)))), REVISED)
    rows = rows_by_edge(report)
    assert sorted(rows) == ["H1:1", "H1:2", "H1:3", "H1:4"]  # no stray bits of the cross streets
    assert [rows[e].metres for e in sorted(rows)] == [100.0, 50.0, 50.0, 100.0]
    assert all(r.cost_dkk == r.metres * 180 for r in rows.values())  # 150 laying + 30 material
    assert all(r.candidate and r.edge_share == 1.0 for r in rows.values())
    assert list(report.opportunities.columns) == [*OPPORTUNITY_COLUMNS, "geometry"]
    assert (report.opportunities.geometry.geom_type == "LineString").all()


def test_a_dig_over_most_of_an_edge_counts_as_the_edge_a_short_stretch_is_only_listed():
    report = find_opportunities(
        town_with(
            dig("MOST", line((0, 200), (70, 200))),  # 70 of Parkvej's first 100 m edge
            dig("SHORT", line((0, 130), (0, 160)), owner="Radius"),  # 30 m of Vestvej's 100 m
        ),
        REVISED,
    )
    most = report.opportunities.set_index("dig_id").loc["MOST"]
    short = report.opportunities.set_index("dig_id").loc["SHORT"]
    assert (most.edge_id, most.metres, most.edge_share, most.candidate) == ("H2:1", 70, 0.7, True)
    assert most.cost_dkk == 70 * 180
    assert most.households_potential == 1  # the household on Parkvej's first edge
    assert (short.edge_id, short.metres, bool(short.candidate)) == ("V0:2", 30.0, False)
    assert short.households_now == short.households_potential == 0  # alone it ducts no edge
    inst, _ = planning_instance(town_with(dig("MOST", line((0, 200), (70, 200)))), REVISED)
    assert list(inst.cand_id) == ["MOST@H2:1"]
    summary = report.summary()
    assert summary["partial"] == {"stretches": 1, "metres": 30.0, "digs": 1}
    assert summary["candidates"] == 1


def test_a_dig_along_a_street_with_a_duct_gives_no_candidate_there_but_is_counted():
    report = find_opportunities(town_with(dig("C", line((0, 0), (300, 0)))), REVISED)
    assert report.opportunities["edge_id"].tolist() == ["H0:3"]  # H0:1, H0:2 carry D1
    assert report.summary()["along_duct"] == {"stretches": 2, "metres": 200.0, "digs": 1}
    assert "along streets that have a duct already" in report.text()


def test_a_polygon_dig_over_a_junction_opens_a_piece_of_every_street_meeting_there():
    box = Polygon([at(80, 80), at(120, 80), at(120, 120), at(80, 120)])
    report = find_opportunities(town_with(dig("BOX", box)), REVISED)
    rows = rows_by_edge(report)
    assert sorted(rows) == ["H1:1", "H1:2", "V1:1", "V1:2"]  # the four arms of (100, 100)
    for row in rows.values():
        assert row.metres == pytest.approx(21.0)  # 20 m inside plus the 1 m area tolerance
        assert not row.candidate
    assert report.summary()["partial"]["stretches"] == 4


def test_digs_outside_the_plan_years_are_listed_not_candidates_and_straddlers_count():
    layers = town_with(
        dig("LATE", line((0, 200), (100, 200)), start="2030-05-01", end="2030-06-01"),
        dig("EARLY", line((100, 200), (200, 200)), start="2018-11-01", end="2019-02-28"),
        dig("GONE", line((200, 200), (300, 200)), start="2016-05-01", end="2016-06-01"),
    )
    report = find_opportunities(layers, REVISED)
    frame = report.opportunities.set_index("dig_id")
    assert not frame.loc["LATE", "candidate"] and not frame.loc["GONE", "candidate"]
    assert frame.loc["EARLY", "candidate"].all() and (frame.loc["EARLY", "year"] == 2018).all()
    assert report.summary()["outside_years"] == {
        "stretches": 2,
        "metres": 200.0,
        "digs": 2,
        "by_year": {"2016": 1, "2030": 1},
    }
    assert "outside the plan years 2019-2024" in report.text()
    inst, _ = planning_instance(layers, REVISED)
    assert list(inst.cand_dig_id) == ["EARLY", "EARLY"]  # Parkvej's two middle edges
    assert list(inst.cand_year) == [2019, 2019]  # still open in the first plan year


def test_done_and_cancelled_digs_give_no_candidates():
    report = find_opportunities(
        town_with(
            dig("DONE", line((0, 200), (300, 200)), status="done"),
            dig("OFF", line((0, 100), (300, 100)), status="cancelled"),
            dig("ON", line((300, 0), (300, 100))),
        ),
        REVISED,
    )
    assert set(report.opportunities["dig_id"]) == {"ON"}
    summary = report.summary()
    assert (summary["digs_done"], summary["digs_cancelled"], summary["digs_active"]) == (1, 1, 1)


def test_year_filter_keeps_only_digs_open_in_that_year():
    report = find_opportunities(tiny_layers(), REVISED, year=2021)
    assert set(report.opportunities["dig_id"]) == {"RAD-1"}
    assert report.summary()["digs_not_open_in_year"] == 2


# --- households and what a stretch touches ------------------------------------------------------


def test_households_now_and_once_connected_follow_what_the_stretch_touches():
    report = find_opportunities(tiny_layers(), REVISED)
    rows = {r.id: r for r in report.opportunities.itertuples(index=False)}
    radius = rows["RAD-1@V2:1"]  # meets D1 at (200, 0): on the network, nobody lives there
    assert (radius.touches, radius.households_now, radius.households_potential) == ("network", 0, 0)
    skolevej = rows["NOV-1@H1:4"]  # meets island D2 at (300, 100): 2 on it + 2 on the island
    assert (skolevej.touches, skolevej.households_now, skolevej.households_potential) == (
        "island",
        0,
        4,
    )
    alone = rows["NOV-1@H1:2"]  # touches nothing: 6 households once something links it
    assert (alone.touches, alone.households_now, alone.households_potential) == ("none", 0, 6)
    on_network = find_opportunities(town_with(dig("C", line((200, 0), (300, 0)))), REVISED)
    row = on_network.opportunities.iloc[0]
    assert (row.touches, row.households_now, row.households_potential) == ("network", 3, 3)


def test_summary_counts_each_edge_and_island_once():
    layers = town_with(
        dig("A", line((200, 100), (300, 100))),
        dig(
            "B", line((200, 100), (300, 100)), owner="Radius", start="2021-04-01", end="2021-05-01"
        ),
    )
    summary = find_opportunities(layers, REVISED).summary()
    assert summary["candidates"] == 2  # one stretch per dig
    assert summary["households_potential"] == 4  # the same edge and island, once
    assert set(summary["by_owner"]) == {"Novafos", "Radius"}
    assert set(summary["by_year"]) == {"2020", "2021"}


# --- probability, fibre project --------------------------------------------------------------


def test_probability_from_confidence_raised_by_confirmation_or_permit_and_overridable():
    frame = pd.DataFrame(
        {
            "confidence": ["firm", "budgeted", "indicative", "indicative", "indicative"],
            "status": ["planned", "planned", "planned", "confirmed", "planned"],
            "permit_date": [None, None, None, None, pd.Timestamp("2020-01-01")],
        }
    )
    assert dig_probability(frame, REVISED).tolist() == [0.95, 0.75, 0.40, 0.95, 0.95]
    cautious = parse_scenario('[scenario]\nname = "x"\n[confidence]\nindicative = 0.1\nfirm = 0.9')
    assert dig_probability(frame, cautious).tolist() == [0.9, 0.75, 0.1, 0.9, 0.9]
    report = find_opportunities(tiny_layers(), cautious)
    p = report.opportunities.set_index("dig_id")["probability"]
    assert p.loc["RAD-1"].tolist() == [0.75, 0.75]


def test_the_fibre_project_is_an_opportunity_by_purpose_or_by_owner():
    frame = pd.DataFrame(
        {
            "owner": ["Novafos", "Fiberprojektet", "Ballerup Kommune", "Ballerup Kommune"],
            "purpose": ["water", "other", "fibre", "road"],
        }
    )
    assert is_fibre_project(frame).tolist() == [False, True, True, False]
    summary = find_opportunities(tiny_layers(), REVISED).summary()
    assert summary["fibre_project"] == {"digs": 1, "candidates": 1, "metres": 80.0}


# --- conflicts -----------------------------------------------------------------------------------


def test_conflicts_two_parties_on_one_stretch_within_the_protection_period():
    layers = town_with(
        dig("NOV", line((0, 200), (300, 200)), start="2020-04-01", end="2020-06-30"),
        dig(
            "RAD",
            line((100, 200), (200, 200)),
            owner="Radius",
            start="2021-09-01",
            end="2021-10-01",
        ),
        dig("HOF", line((0, 200), (100, 200)), owner="HOFOR", start="2024-01-01", end="2024-02-01"),
        dig("NOV2", line((200, 200), (300, 200)), start="2021-01-01", end="2021-02-01"),
    )
    conflicts = find_opportunities(layers, REVISED).conflicts
    assert list(conflicts.columns) == [*CONFLICT_COLUMNS, "geometry"]
    # RAD shares Parkvej's middle with NOV 14 months after; HOFOR comes 3.5 years after NOV;
    # NOV2 is the same owner as NOV.
    assert conflicts[["dig_a", "dig_b", "edge_id"]].values.tolist() == [
        ["NOV", "RAD", "H2:2"],
        ["NOV", "RAD", "H2:3"],
    ]
    first = conflicts.iloc[0]
    assert first.owner_a == "Novafos" and first.owner_b == "Radius"
    assert first.gap_years == pytest.approx(428 / 365.25, abs=0.01)
    assert first.metres == 50.0
    longer = find_opportunities(layers, REVISED, conflict_years=4).conflicts
    assert {"HOF"} <= set(longer["dig_b"])


def test_cancelled_digs_cause_no_conflict_but_done_ones_do():
    layers = town_with(
        dig("OLD", line((0, 200), (100, 200)), status="done", start="2019-01-01", end="2019-02-01"),
        dig(
            "NEW", line((0, 200), (100, 200)), owner="Radius", start="2020-01-01", end="2020-02-01"
        ),
        dig("NOT", line((0, 200), (100, 200)), owner="HOFOR", status="cancelled"),
    )
    conflicts = find_opportunities(layers, REVISED).conflicts
    assert conflicts[["dig_a", "dig_b"]].values.tolist() == [["OLD", "NEW"]]


# --- the planning instance --------------------------------------------------------------------


def test_planning_instance_aligns_with_the_layer_and_matches_coverage():
    inst, opp = planning_instance(tiny_layers(), REVISED)
    k = inst.n_candidates
    assert (opp["id"].to_numpy()[:k] == inst.cand_id).all()
    assert not opp["candidate"].iloc[k:].any()
    assert inst.years == REVISED.years
    assert inst.edge_households.sum() == 37  # 40 households, 3 beyond the drop distance
    from ductplanner.optimize import plan

    baseline = plan(inst).households_baseline
    assert baseline == 6  # what `ductplanner coverage` says for the tiny town


def test_own_dig_policy_adds_one_own_trench_per_street_without_a_duct():
    original = load_scenario("original-2016")
    inst, opp = planning_instance(tiny_layers(), original)
    own = inst.cand_kind == "own-dig"
    assert own.sum() == 21 - 3  # every edge but the three with a duct
    assert inst.cand_cost_dkk[own] == pytest.approx(inst.cand_metres[own] * 1030)
    assert (inst.cand_year[own] == original.years[0]).all()
    assert not opp["id"].isin(inst.cand_id[own]).any()


def test_opportunities_function_returns_the_layer(tiny):
    layer = opportunities(tiny)
    assert len(layer) == 9 and layer.crs == DEFAULT_WORKSPACE_CRS
    _, problems = validate_layer(layer, "opportunities")
    assert [p for p in problems if p.severity == "error"] == []


# --- the command --------------------------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["opportunities", *argv, "--from", "2019", "--json"])
    return code, json.loads(capsys.readouterr().out)


KEYS = {
    "workspace",
    "scenario",
    "years",
    "year",
    "digs_total",
    "digs_active",
    "digs_done",
    "digs_cancelled",
    "digs_not_open_in_year",
    "digs_with_candidates",
    "digs_off_street",
    "stretches",
    "candidates",
    "metres",
    "cost_dkk",
    "households_now",
    "households_potential",
    "touches",
    "partial",
    "outside_years",
    "along_duct",
    "fibre_project",
    "by_owner",
    "by_year",
    "conflicts",
    "conflict_pairs",
    "conflict_years",
    "written",
}


def test_command_writes_both_layers_and_prints_the_json_keys(tiny_workspace, capsys):
    code, summary = run(capsys, str(tiny_workspace))
    assert code == 0
    assert summary.keys() >= KEYS
    assert (summary["candidates"], summary["stretches"], summary["conflicts"]) == (7, 9, 1)
    assert summary["cost_dkk"] == 580 * 180
    assert {"opportunities", "conflicts"} <= set(list_layers(tiny_workspace))
    layer = read_layer(tiny_workspace, "opportunities")
    assert len(layer) == 9 and list(layer.columns) == [*OPPORTUNITY_COLUMNS, "geometry"]
    assert layer["year"].dtype == "Int64" and layer["candidate"].sum() == 7
    assert read_layer(tiny_workspace, "conflicts")["dig_b"].tolist() == ["FIB-1"]


def test_command_text_and_options(tiny_workspace, capsys):
    assert (
        main(["opportunities", str(tiny_workspace), "--from", "2019", "--conflict-years", "0"]) == 0
    )
    text = capsys.readouterr().out
    assert "7 co-digging candidates" in text and "by owner" in text and "conflicts: 0" in text
    code, summary = run(capsys, str(tiny_workspace), "--year", "2030")
    assert code == 0 and summary["candidates"] == 0 and summary["year"] == 2030


def test_command_on_a_missing_workspace_exits_1(tmp_path, capsys):
    code, summary = run(capsys, str(tmp_path / "nothing.gpkg"))
    assert code == 1 and "does not exist" in summary["error"]


def test_bad_dig_dates_fail_and_leave_the_workspace_byte_identical(tmp_path, capsys):
    layers = tiny_layers()
    digs = layers["digs"].astype({"start": object})
    digs.loc[1, "start"] = None
    layers["digs"] = digs
    path = tmp_path / "ws.gpkg"
    write_layers(path, layers)
    before = path.read_bytes()
    code, summary = run(capsys, str(path))
    assert code == 1
    assert "RAD-1" in summary["error"] and "start" in summary["error"]
    assert path.read_bytes() == before


def test_a_failed_write_leaves_the_workspace_as_it_was(
    tiny_workspace, capsys, fail_writing, state_of
):
    fail_writing("conflicts")
    before = state_of(tiny_workspace)
    assert main(["opportunities", str(tiny_workspace)]) == 1
    assert "disk full" in capsys.readouterr().err
    assert state_of(tiny_workspace) == before
    assert "opportunities" not in list_layers(tiny_workspace)


def test_a_workspace_without_digs_has_no_candidates(tmp_path, capsys):
    layers = tiny_layers()
    del layers["digs"]
    path = tmp_path / "ws.gpkg"
    write_layers(path, layers)
    code, summary = run(capsys, str(path))
    assert code == 0 and summary["candidates"] == 0 and summary["digs_total"] == 0
    assert read_layer(path, "opportunities").empty


def test_demo_scale_opportunities_are_plausible(small_demo):
    report = find_opportunities(small_demo, REVISED)
    opp = report.opportunities
    assert report.summary()["candidates"] > 20
    assert opp["id"].is_unique
    assert (opp["metres"] > 0).all()
    on_duct = report.network.has_duct[report.network.positions(opp["edge_id"])]
    assert not on_duct.any()
    assert set(opp["touches"]) <= {"network", "island", "none"}
    assert (opp["households_now"] <= opp["households_potential"]).all()
    assert np.isin(opp["dig_status"], ["planned", "confirmed"]).all()


@pytest.fixture(scope="module")
def small_demo() -> dict[str, gpd.GeoDataFrame]:
    from ductplanner.app.demo import generate_demo

    return generate_demo(2019, scale=0.2)


def test_candidates_and_conflicts_carry_their_streets_name():
    layers = town_with(
        dig("NOV", line((0, 200), (300, 200)), start="2020-04-01", end="2020-06-30"),
        dig("RAD", line((100, 200), (200, 200)), owner="Radius", start="2021-09-01",
            end="2021-10-01"),
    )  # fmt: skip
    report = find_opportunities(layers, REVISED)
    assert set(report.opportunities["street"]) == {"Parkvej"}
    assert set(report.conflicts["street"]) == {"Parkvej"}
