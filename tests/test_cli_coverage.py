"""`ductplanner coverage`: exit codes, --json keys, layers written, failures change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import workspace_state

from ductplanner.app.demo import tiny_layers
from ductplanner.cli import main
from ductplanner.io import workspace
from ductplanner.io.workspace import Database, list_layers, read_layer, write_layers

PUBLIC_KEYS = {
    "households_total",
    "households_duct_covered",
    "households_served",
    "addresses_total",
    "addresses_duct_covered",
    "addresses_beyond_drop",
    "sites_total",
    "sites_connected",
    "districts",
}
DISTRICT_KEYS = {
    "households_total",
    "households_duct_covered",
    "households_served",
    "addresses_total",
    "addresses_duct_covered",
    "addresses_beyond_drop",
}


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(["coverage", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_coverage_prints_the_public_json_keys(tiny_workspace, capsys):
    code, summary = run_json(capsys, str(tiny_workspace))
    assert code == 0
    assert summary.keys() >= PUBLIC_KEYS
    assert summary["households_total"] == 40
    assert summary["households_duct_covered"] == 6
    assert summary["households_served"] == 8
    assert summary["addresses_total"] == 16
    assert summary["addresses_duct_covered"] == 2
    assert summary["addresses_beyond_drop"] == 1
    assert (summary["sites_total"], summary["sites_connected"]) == (2, 1)
    assert set(summary["districts"]) == {"Vest", "Øst"}
    for counts in summary["districts"].values():
        assert counts.keys() >= DISTRICT_KEYS
    assert summary["islands_total"] == 1


def test_coverage_adds_both_layers_to_the_workspace(tiny_workspace, capsys):
    before = set(list_layers(tiny_workspace))
    assert main(["coverage", str(tiny_workspace)]) == 0
    text = capsys.readouterr().out
    assert "6 of 40 households, 15.0 %" in text
    assert "wrote coverage (16 features), district_coverage (2 features)" in text
    assert set(list_layers(tiny_workspace)) - before == {"coverage", "district_coverage"}
    districts = read_layer(tiny_workspace, "district_coverage").set_index("name")
    assert districts.loc["Vest", "households_duct_covered"] == 6
    sources = workspace.read_sources(tiny_workspace).set_index("layer")
    assert sources.loc["coverage", "note"] == "drop distance 30 m, side paths within 12 m of a road"


def test_a_longer_drop_distance_reaches_the_far_address(tiny_workspace, capsys):
    code, summary = run_json(capsys, str(tiny_workspace), "--drop", "70")
    assert code == 0
    assert summary["addresses_beyond_drop"] == 0
    assert summary["drop_m"] == 70.0


def test_running_twice_replaces_the_layers(tiny_workspace, capsys):
    assert main(["coverage", str(tiny_workspace), "--drop", "70"]) == 0
    assert main(["coverage", str(tiny_workspace)]) == 0
    capsys.readouterr()
    assert int(read_layer(tiny_workspace, "coverage")["beyond_drop"].sum()) == 1


def unchanged_after(path: Path | Database, argv: list[str]) -> tuple[int, bool]:
    before = workspace_state(path)
    code = main(argv)
    return code, workspace_state(path) == before


def test_a_negative_drop_fails_and_leaves_the_workspace_as_it_was(tiny_workspace, capsys):
    code, same = unchanged_after(tiny_workspace, ["coverage", str(tiny_workspace), "--drop=-5"])
    assert (code, same) == (1, True)
    assert "drop distance is -5.0 m" in capsys.readouterr().err


def test_a_missing_layer_fails_and_leaves_the_workspace_as_it_was(tmp_path, capsys):
    path = tmp_path / "no-addresses.gpkg"
    layers = tiny_layers()
    del layers["addresses"]
    write_layers(path, layers)
    code, same = unchanged_after(path, ["coverage", str(path)])
    assert (code, same) == (1, True)
    err = capsys.readouterr().err
    assert "no layer 'addresses'" in err
    assert "Traceback" not in err


def test_a_failed_write_leaves_the_workspace_as_it_was(tiny_workspace, fail_writing, capsys):
    fail_writing("district_coverage")
    code, same = unchanged_after(tiny_workspace, ["coverage", str(tiny_workspace)])
    assert (code, same) == (1, True)
    assert "disk full" in capsys.readouterr().err
    assert "coverage" not in list_layers(tiny_workspace)


def test_json_errors_are_json_too(tmp_path, capsys):
    code, summary = run_json(capsys, str(tmp_path / "absent.gpkg"))
    assert code == 1
    assert summary["type"] == "MissingInputError"


def test_usage_errors_exit_2(capsys):
    assert main(["coverage"]) == 2
    assert main(["coverage", "ws.gpkg", "--drop", "far"]) == 2
