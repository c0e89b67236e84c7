"""Requests to utilities, the decision log and recording as-built ducts, on the tiny town.

The tiny town's digs (see :mod:`ductplanner.app.demo`): NOV-1 (Novafos) opens all
of Skolevej (H1, 300 m, 2020), RAD-1 (Radius) all of Møllevej (V2, 200 m,
2021), FIB-1 (the fibre project, a polygon) Blindgyden (C1, 80 m, 2020).
Coverage by hand: the connected duct D1 on Centervej x 0-200 covers A01 (4)
and A02 (2): 6 households. Skolevej alone is not linked to the backbone (only
to the island D2), so recording NOV-1 adds nothing; Møllevej links it at
(200, 0): then Skolevej (A04 2 + A05 6 + A06 2), Møllevej's upper half (A11 4)
and Østvej's island D2 (A12 2) are covered: +16, 22 in all.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from conftest import workspace_state

from ductplanner.analysis import requests as rq
from ductplanner.analysis.coverage import compute_coverage
from ductplanner.analysis.opportunities import opportunities
from ductplanner.app.demo import tiny_layers
from ductplanner.app.workflows import coordination as co
from ductplanner.cli import main
from ductplanner.core._errors import InputError, WorkspaceError
from ductplanner.core._format import slug
from ductplanner.io.workspace import (
    copy_workspace,
    list_layers,
    read_layer,
    read_layers,
    read_table,
    write_layers,
)
from ductplanner.model import decisions as dec
from ductplanner.model.layers import SCHEMAS
from ductplanner.pipeline import requests_step

PLAN_COLUMNS = SCHEMAS["plan"].field_names
TINY_SEASON = dt.date(2020, 3, 1)  # before the tiny town's digs open: every request goes out


def plan_layer(layers: dict[str, gpd.GeoDataFrame], digs: tuple[str, ...]) -> gpd.GeoDataFrame:
    """A plan choosing every candidate stretch of ``digs`` (columns of the plan layer)."""
    opp = opportunities(layers)
    opp = opp[opp["candidate"].astype(bool) & opp["dig_id"].isin(digs)].reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "id": [f"P{i + 1}" for i in range(len(opp))],
            "opportunity_id": opp["id"],
            "dig_id": opp["dig_id"],
            "owner": opp["owner"],
            "edge_id": opp["edge_id"],
            "street": opp["street"],
            "year": opp["year"],
            "kind": "co-dig",
            "metres": opp["metres"],
            "cost_dkk": opp["cost_dkk"],
            "households": opp["households_potential"],
            "why": "test plan",
            "method": "greedy",
            "optimality_gap": float("nan"),
            "scenario": "revised-2019",
        }
    )
    return gpd.GeoDataFrame(frame[PLAN_COLUMNS], geometry=opp.geometry.values, crs=opp.crs)


@pytest.fixture(scope="module")
def planned_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    layers = tiny_layers()
    path = tmp_path_factory.mktemp("planned") / "tiny.gpkg"
    write_layers(path, {**layers, "plan": plan_layer(layers, ("NOV-1", "RAD-1"))})
    return path.read_bytes()


@pytest.fixture
def planned(new_workspace, planned_bytes: bytes) -> Path:
    """The tiny town with a plan joining NOV-1 and RAD-1 (not FIB-1), in either backend."""
    ws = new_workspace("tiny")
    if isinstance(ws, Path):
        ws.write_bytes(planned_bytes)
    else:
        copy_workspace(_written(planned_bytes), ws)
    return ws


@pytest.fixture
def planned_gpkg(tmp_path: Path, planned_bytes: bytes) -> Path:
    """:func:`planned` as a GeoPackage (for what only a file has)."""
    path = tmp_path / "tiny.gpkg"
    path.write_bytes(planned_bytes)
    return path


def _written(data: bytes) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "planned.gpkg"
    path.write_bytes(data)
    return path


def rows(*specs: tuple) -> list[dict]:
    return [dec.decision_row(dig, status, **kw) for dig, status, kw in specs]


# --- the decision log ------------------------------------------------------------------


def test_a_request_goes_proposed_agreed_declined_agreed_laid_and_keeps_its_history():
    log = dec.empty_decisions()
    for status, kw in [
        ("proposed", {"owner": "Novafos", "year": 2020, "metres": 300.0}),
        ("agreed", {}),
        ("declined", {"reason": "work tendered already"}),
        ("agreed", {}),
        ("laid", {}),
    ]:
        log = dec.next_decisions(log, rows(("NOV-1", status, kw)))
    assert log["status"].tolist() == ["proposed", "agreed", "declined", "agreed", "laid"]
    current = dec.decision_status(log)
    assert current[["dig_id", "status", "owner", "year"]].to_dict("records") == [
        {"dig_id": "NOV-1", "status": "laid", "owner": "Novafos", "year": 2020}
    ]
    # figures of the request are carried into every later row
    assert log["metres"].tolist() == [300.0] * 5
    assert bool(current.loc[0, "ever_agreed"])


@pytest.mark.parametrize(
    ("history", "status", "kw", "expected"),
    [
        ([], "agreed", {}, "dig NOV-1 has no request logged, so it cannot be agreed"),
        ([], "declined", {"reason": "x"}, "has no request logged, so it cannot be declined"),
        (["proposed"], "proposed", {}, "dig NOV-1 is already proposed since 2020-01-01"),
        (["proposed"], "declined", {}, "a declined request needs a reason"),
        (["proposed"], "declined", {"reason": "   "}, "a declined request needs a reason"),
        (["proposed", "agreed"], "proposed", {}, "it cannot go back to proposed"),
        (["proposed", "agreed"], "agreed", {}, "dig NOV-1 is already agreed"),
        (["proposed", "laid"], "agreed", {}, "its ducts are in the ground"),
        (["proposed", "laid"], "laid", {}, "dig NOV-1 is already laid"),
        (["proposed", "declined"], "laid", {}, "was declined since 2020-01-01 (no room)"),
        ([], "maybe", {}, "'maybe' is not a decision status"),
    ],
)
def test_illegal_transitions_are_refused_with_what_to_do(history, status, kw, expected):
    log = dec.empty_decisions()
    for old in history:
        reason = "no room" if old == "declined" else ""
        earlier = rows(("NOV-1", old, {"reason": reason, "date": "2020-01-01"}))
        log = dec.next_decisions(log, earlier)
    with pytest.raises(InputError) as err:
        dec.next_decisions(log, rows(("NOV-1", status, kw)))
    assert expected in str(err.value)
    assert "feature NOV-1, field 'status'" in str(err.value)


def test_every_refused_row_is_listed_and_none_is_appended():
    log = dec.next_decisions(dec.empty_decisions(), rows(("A", "proposed", {})))
    with pytest.raises(InputError) as err:
        dec.next_decisions(
            log, rows(("A", "agreed", {}), ("B", "agreed", {}), ("C", "declined", {}))
        )
    assert str(err.value).startswith("2 decisions not logged:")
    assert "feature B" in str(err.value) and "feature C" in str(err.value)


def test_decision_counts_per_plan_year():
    log = dec.next_decisions(
        dec.empty_decisions(),
        rows(
            ("A", "proposed", {"year": 2020}),
            ("B", "proposed", {"year": 2020}),
            ("C", "proposed", {"year": 2021}),
            ("A", "agreed", {}),
            ("B", "declined", {"reason": "too narrow"}),
            ("A", "laid", {}),
            ("C", "agreed", {}),
        ),
    )
    counts = dec.decision_counts(log)
    assert counts.loc[2020].to_dict() == {"requested": 2, "agreed": 1, "declined": 1, "laid": 1}
    assert counts.loc[2021].to_dict() == {"requested": 1, "agreed": 1, "declined": 0, "laid": 0}


def test_decide_logs_answers_in_the_workspace(planned: Path):
    assert main(["decide", str(planned), "--dig", "NOV-1", "--status", "proposed"]) == 0
    assert main(["decide", str(planned), "--dig", "NOV-1", "--status", "agreed"]) == 0
    table = read_table(planned, dec.DECISIONS_TABLE)
    assert table["status"].tolist() == ["proposed", "agreed"]
    first = co.read_decisions(planned).iloc[0]
    # a request logged by hand takes its figures from the plan: Skolevej, 300 m
    assert (first["owner"], first["year"], first["metres"]) == ("Novafos", 2020, 300.0)
    assert first["opportunity_ids"] == "NOV-1@H1:1,NOV-1@H1:2,NOV-1@H1:3,NOV-1@H1:4"


def test_decide_refuses_with_a_clear_message_and_leaves_the_workspace(planned: Path, capsys):
    before = workspace_state(planned)
    assert main(["decide", str(planned), "--dig", "NOV-1", "--status", "agreed"]) == 1
    err = capsys.readouterr().err
    assert "dig NOV-1 has no request logged, so it cannot be agreed" in err
    assert "`ductplanner decide WORKSPACE --dig NOV-1 --status proposed`" in err
    assert main(["decide", str(planned), "--dig", "NOV-1", "--status", "declined"]) == 1
    assert "a declined request needs a reason" in capsys.readouterr().err
    assert main(["decide", str(planned), "--dig", "NOV1", "--status", "proposed"]) == 1
    assert "there is no dig 'NOV1' in the digs layer (3 digs). Fix: did you mean NOV-1?" in (
        capsys.readouterr().err
    )
    assert workspace_state(planned) == before


def test_a_utility_proposes_another_window_and_we_ask_again_for_it():
    today = dt.date(2026, 6, 1)
    first = {"year": 2027, "date": "2026-05-01"}
    log = dec.next_decisions(dec.empty_decisions(), rows(("NOV-1", "proposed", first)))
    countered = {"window": ("2027-08-01", "2027-09-15"), "date": "2026-05-02"}
    log = dec.next_decisions(log, rows(("NOV-1", "countered", countered)), today=today)
    log = dec.next_decisions(log, rows(("NOV-1", "proposed", {"date": "2026-05-03"})), today=today)
    log = dec.next_decisions(log, rows(("NOV-1", "agreed", {"date": "2026-05-04"})), today=today)
    assert log["status"].tolist() == ["proposed", "countered", "proposed", "agreed"]
    assert log.loc[1, ["window_start", "window_end"]].tolist() == ["2027-08-01", "2027-09-15"]
    assert log.loc[3, "window_start"] == ""  # a window belongs to the answer that gave it
    counts = dec.decision_counts(log).loc[2027].to_dict()
    assert counts == {"requested": 1, "agreed": 1, "declined": 0, "laid": 0}


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (None, "another window needs its start day: is missing"),
        (("2027-13-01", "2027-14-01"), "'2027-13-01' is not a date"),
        (("2027-09-01", "2027-08-01"), "the window ends (2027-08-01) before it starts"),
        (("2026-01-01", "2026-02-01"), "the window ends on 2026-02-01, before today"),
        (("2027-01-01", "2033-01-01"), "more than five years ahead"),
    ],
)
def test_another_window_must_be_two_dates_in_order_ahead(window, expected):
    asked = rows(("NOV-1", "proposed", {"date": "2026-04-01"}))
    log = dec.next_decisions(dec.empty_decisions(), asked)
    answer = rows(("NOV-1", "countered", {"window": window, "date": "2026-05-01"}))
    with pytest.raises(InputError) as err:
        dec.next_decisions(log, answer, today=dt.date(2026, 6, 1))
    assert expected in str(err.value) and "feature NOV-1, field 'window_" in str(err.value)


def test_a_window_goes_with_countered_only():
    log = dec.next_decisions(dec.empty_decisions(), rows(("NOV-1", "proposed", {})))
    with pytest.raises(InputError, match="a window is given only with the answer countered"):
        dec.next_decisions(log, rows(("NOV-1", "agreed", {"window": ("2027-01-01", "2027-02-01")})))


def test_decide_logs_another_window(planned: Path, capsys):
    year = dt.date.today().year + 1
    window = [f"{year}-08-01", f"{year}-09-15"]
    assert main(["decide", str(planned), "--dig", "NOV-1", "--status", "proposed"]) == 0
    argv = ["decide", str(planned), "--dig", "NOV-1", "--status", "countered", "--window"]
    assert main([*argv, *window]) == 0
    assert f"another window {window[0]} – {window[1]}" in capsys.readouterr().out
    last = co.read_decisions(planned).iloc[-1]
    assert [last["status"], last["window_start"], last["window_end"]] == ["countered", *window]


def test_laid_is_only_logged_by_record(planned: Path):
    with pytest.raises(InputError, match="'laid' is logged when the ducts are recorded"):
        co.log_decision(planned, "NOV-1", "laid")


def test_decide_json_summary(planned: Path, capsys):
    main(["decide", str(planned), "--dig", "RAD-1", "--status", "proposed", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert summary["dig_id"] == "RAD-1" and summary["status"] == "proposed"
    assert summary["owner"] == "Radius" and summary["year"] == 2021


# --- requests ------------------------------------------------------------------------


def test_requests_write_gpkg_csv_and_html_and_log_the_request_once(planned: Path):
    result = co.requests_command(str(planned), "novafos", as_of=TINY_SEASON)
    out = planned.parent / "requests-novafos"
    files = [out / f"requests-novafos.{ext}" for ext in ("gpkg", "csv", "html")]
    assert result.summary["files"] == [str(f) for f in files]
    assert all(f.is_file() for f in files)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left
    layer = gpd.read_file(files[0], layer="requests")
    assert layer["edge_id"].tolist() == ["H1:1", "H1:2", "H1:3", "H1:4"]
    assert list(layer.columns[:-1]) == list(rq.REQUEST_COLUMNS)
    with open(files[1], encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert [r["edge_id"] for r in table] == ["H1:1", "H1:2", "H1:3", "H1:4"]
    assert {r["street"] for r in table} == {"Skolevej"}
    assert sum(float(r["metres"]) for r in table) == 300.0
    assert {(r["start"], r["end"], r["status"]) for r in table} == {
        ("2020-04-01", "2020-06-30", "proposed")
    }
    assert table[0]["wkt"].startswith("LINESTRING (710000 6180100")
    text = files[2].read_text(encoding="utf-8")
    assert "Co-digging request to Novafos" in text and "NOV-1" in text and "300 m" in text
    assert result.summary["proposed"] == ["NOV-1"]
    assert result.summary["metres"] == 300.0 and result.summary["cost_dkk"] == 54_000
    again = co.requests_command(str(planned), "Novafos", as_of=TINY_SEASON)
    assert again.summary["proposed"] == []
    assert "requested before: NOV-1" in again.text
    log = co.read_decisions(planned)
    assert log[["dig_id", "status", "year", "metres"]].to_dict("records") == [
        {"dig_id": "NOV-1", "status": "proposed", "year": 2020, "metres": 300.0}
    ]


def test_request_summary_escapes_every_input_string(tmp_path: Path):
    layers = tiny_layers()
    evil = "<script>alert(1)</script> Vand & Co"
    layers["digs"].loc[layers["digs"]["id"] == "NOV-1", "owner"] = evil
    layers["streets"].loc[layers["streets"]["id"] == "H1", "name"] = "<b>Skolevej</b>"
    path = tmp_path / "evil.gpkg"
    write_layers(path, {**layers, "plan": plan_layer(layers, ("NOV-1",))})
    result = co.requests_command(str(path), evil, out=str(tmp_path / "o"), as_of=TINY_SEASON)
    html_file = Path(result.summary["files"][2])
    assert html_file.name == f"requests-{slug(evil)}.html"  # hostile name: hashed, no collision
    assert html_file.name.startswith("requests-script-alert-1-script-vand-co-")
    text = html_file.read_text(encoding="utf-8")
    assert "<script>" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Vand &amp; Co" in text
    assert "&lt;b&gt;Skolevej&lt;/b&gt;" in text


def test_unknown_owner_lists_the_owners_present(planned: Path, capsys):
    before = workspace_state(planned)
    assert main(["requests", str(planned), "--owner", "Radious"]) == 1
    err = capsys.readouterr().err
    assert "no dig in the digs layer belongs to 'Radious'" in err
    assert "did you mean 'Radius'? owners present: Ballerup Kommune, Novafos, Radius" in err
    assert workspace_state(planned) == before
    assert not (planned.parent / "requests-radious").exists()


def test_requests_without_a_plan_use_the_opportunity_candidates(tmp_path: Path):
    layers = tiny_layers()
    path = tmp_path / "opp.gpkg"
    write_layers(path, {**layers, "opportunities": opportunities(layers)})
    request = rq.build_requests(
        read_layers(path, ["digs", "opportunities", "streets"]), "ballerup kommune"
    )
    assert request.source_layer == "opportunities"
    # FIB-1's two 11 m touches of Skolevej and Østvej duct no edge: not asked for
    assert request.stretches["edge_id"].tolist() == ["C1:1"]
    assert request.digs[["dig_id", "metres", "households"]].to_dict("records") == [
        {"dig_id": "FIB-1", "metres": 80.0, "households": 6.0}
    ]


def test_an_owner_without_chosen_stretches_gets_no_files(planned: Path):
    result = co.requests_command(str(planned), "Ballerup Kommune", as_of=TINY_SEASON)
    assert result.summary["files"] == [] and result.summary["digs_total"] == 0
    assert "nothing to request from Ballerup Kommune" in result.text
    assert not (planned.parent / "requests-ballerup-kommune").exists()


def test_declined_and_laid_digs_are_not_asked_again(planned: Path):
    co.log_decision(planned, "NOV-1", "proposed")
    co.log_decision(planned, "NOV-1", "declined", reason="trench too narrow")
    result = co.requests_command(str(planned), "Novafos", as_of=TINY_SEASON)
    assert result.summary["digs_total"] == 0
    assert result.summary["skipped"]["NOV-1"].endswith("trench too narrow")


def test_a_failed_request_leaves_no_files_and_logs_nothing(planned: Path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    before = workspace_state(planned)
    out = planned.parent / "out"
    with pytest.raises(OSError, match="disk full"):
        co.requests_command(str(planned), "Novafos", out=str(out), as_of=TINY_SEASON)
    assert list(out.iterdir()) == []
    assert workspace_state(planned) == before


def test_requests_json_keys(planned: Path, capsys):
    assert (
        main(["requests", str(planned), "--owner", "Radius", "--as-of", "2020-03-01", "--json"])
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["owner"] == "Radius" and summary["proposed"] == ["RAD-1"]
    assert summary["digs"] == [
        {
            "dig_id": "RAD-1",
            "start": "2021-03-01",
            "end": "2021-05-31",
            "year": 2021,
            "metres": 200.0,
            "cost_dkk": 36000.0,
            "households": 4.0,
            "status": "proposed",
        }
    ]


# --- recording what was laid -------------------------------------------------------------


def households_covered(path: Path) -> int:
    return compute_coverage(read_layers(path)).summary()["households_duct_covered"]


def test_as_built_loop_raises_coverage_by_the_hand_computed_households(planned: Path):
    from ductplanner.app.workflows.coverage import coverage_workspace

    coverage_workspace(planned)
    first = co.record_dig(planned, "NOV-1")
    assert (first.households_before, first.households_after) == (6, 6)  # an island so far
    second = co.record_dig(planned, "RAD-1")
    assert (second.households_before, second.households_after) == (6, 22)
    assert households_covered(planned) == 22
    # the workspace's coverage layers were refreshed in the same writes
    coverage = read_layer(planned, "coverage")
    assert int(coverage.loc[coverage["duct_covered"].astype(bool), "units"].sum()) == 22


def test_record_turns_the_plan_rows_into_ducts_and_closes_the_dig(planned: Path):
    co.log_decision(planned, "NOV-1", "proposed", date="2020-01-15")
    co.log_decision(planned, "NOV-1", "agreed", date="2020-02-01")
    result = co.record_command(str(planned), "NOV-1")
    ducts = read_layer(planned, "ducts")
    new = ducts[ducts["dig_id"] == "NOV-1"]
    assert new["id"].tolist() == ["NOV-1/H1:1", "NOV-1/H1:2", "NOV-1/H1:3", "NOV-1/H1:4"]
    assert set(new["status"]) == {"existing"} and set(new["origin"]) == {"co-dig"}
    assert set(new["owner"]) == {"municipality"} and set(new["year_laid"]) == {2020}
    assert set(new["laid_on"]) == {"2020-06-30"}
    assert new.geometry.length.sum() == pytest.approx(300.0)
    digs = read_layer(planned, "digs").set_index("id")
    assert digs.loc["NOV-1", "status"] == "done"
    last = co.read_decisions(planned).iloc[-1]
    assert (last["status"], last["metres"], last["cost_dkk"]) == ("laid", 300.0, 54_000.0)
    assert result.summary["ducts"] == new["id"].tolist()
    assert "recorded dig NOV-1: 4 ducts, 300 m, laid 2020" in result.text


def test_record_twice_adds_nothing_and_says_so(planned: Path):
    co.record_dig(planned, "RAD-1", year=2021)
    before = workspace_state(planned)
    result = co.record_command(str(planned), "RAD-1")
    assert result.summary["already_recorded"] is True
    assert "dig RAD-1 was recorded before (2 ducts, laid 2021); nothing changed" in result.text
    assert workspace_state(planned) == before
    ducts = read_layer(planned, "ducts")
    assert ducts["id"].is_unique and (ducts["dig_id"] == "RAD-1").sum() == 2


def test_record_is_atomic(planned: Path, fail_writing):
    fail_writing(dec.DECISIONS_TABLE)  # the ducts are written before the log
    before = workspace_state(planned)
    with pytest.raises(WorkspaceError, match="disk full"):
        co.record_dig(planned, "NOV-1")
    assert workspace_state(planned) == before
    if isinstance(planned, Path):
        assert sorted(p.name for p in planned.parent.iterdir()) == ["tiny.gpkg"]


def test_record_refuses_a_dig_the_plan_does_not_join(planned: Path, capsys):
    assert main(["record", str(planned), "--dig", "FIB-1"]) == 1
    err = capsys.readouterr().err
    assert "the plan chose no stretch in dig FIB-1, so there is nothing to record" in err
    assert "re-run `ductplanner plan`" in err and "--append" in err


def test_record_refuses_a_declined_dig_and_a_year_before_the_dig(planned: Path):
    co.log_decision(planned, "NOV-1", "proposed")
    co.log_decision(planned, "NOV-1", "declined", reason="no room")
    with pytest.raises(InputError, match=r"was declined since .* \(no room\)"):
        co.record_dig(planned, "NOV-1")
    with pytest.raises(InputError, match="year 2019 is before dig RAD-1 started"):
        co.record_dig(planned, "RAD-1", year=2019)


def test_record_without_a_plan_layer_says_how_to_fix(tiny_workspace: Path):
    with pytest.raises(WorkspaceError, match="run `ductplanner plan"):
        co.record_dig(tiny_workspace, "NOV-1")


# --- the demo step -----------------------------------------------------------------------


def demo_context(path: Path, seed: int = 3):
    from ductplanner.pipeline import DemoContext, shipped_scenarios

    return DemoContext(path, path.parent / "out", seed, shipped_scenarios(), label="made up")


def test_demo_step_skips_without_a_plan(tiny_gpkg: Path):
    outcome = requests_step(demo_context(tiny_gpkg))
    assert outcome.summary["skipped"] is True and "no plan layer" in outcome.line


@pytest.mark.slow
def test_demo_step_writes_requests_and_a_consistent_seeded_history(planned_gpkg: Path, tmp_path):
    planned = planned_gpkg
    copy = tmp_path / "copy" / "tiny.gpkg"
    copy.parent.mkdir()
    copy.write_bytes(planned.read_bytes())
    outcome = requests_step(demo_context(planned))
    again = requests_step(demo_context(copy))
    log = co.read_decisions(planned)
    pd.testing.assert_frame_equal(log, co.read_decisions(copy))  # same seed, same history
    assert outcome.summary == again.summary
    assert set(log["dig_id"]) == {"NOV-1", "RAD-1"}  # both asked before mid-2021
    ducts = read_layer(planned, "ducts")
    for dig in dec.decision_status(log).itertuples():
        history = log.loc[log["dig_id"] == dig.dig_id, "status"].tolist()
        assert history[0] == "proposed"
        laid = (ducts.get("dig_id") == dig.dig_id).sum() if "dig_id" in ducts else 0
        assert (dig.status == "laid") == (laid > 0)
        if dig.status == "laid":
            assert history[-2] == "agreed"
    assert sorted(p.name for p in (planned.parent / "out" / "requests").iterdir()) == [
        "novafos",
        "radius",
    ]
    assert "coverage" in list_layers(planned)
    assert outcome.summary["households_duct_covered"] == households_covered(planned)


def test_decisions_table_is_plain_attributes(planned: Path):
    co.log_decision(planned, "NOV-1", "proposed")
    table = read_table(planned, dec.DECISIONS_TABLE)
    assert not isinstance(table, gpd.GeoDataFrame)
    assert list(table.columns) == list(dec.DECISION_COLUMNS)
    if isinstance(planned, Path):
        info = pyogrio.read_info(planned, layer=dec.DECISIONS_TABLE)
        assert info["geometry_type"] is None


@pytest.mark.slow
def test_recording_every_dig_of_the_real_plan_covers_26_households(tiny_workspace: Path):
    from ductplanner.app.workflows.plan import plan_workspace

    _, layer = plan_workspace(tiny_workspace, "revised-2019", method="greedy")
    assert sorted(set(layer["dig_id"])) == ["FIB-1", "NOV-1", "RAD-1"]
    for dig in ("FIB-1", "NOV-1"):
        co.record_dig(tiny_workspace, dig, refresh_coverage=False)
    last = co.record_dig(tiny_workspace, "RAD-1")
    # 22 as above, plus Blindgyden (A14 3, A15 1) linked through Østvej's island
    assert (last.households_before, last.households_after) == (6, 26)
