"""`ductplanner demo`: the workspace, then every step that exists, in order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ductplanner import pipeline
from ductplanner.cli import main
from ductplanner.io.workspace import read_layers, read_sources
from ductplanner.model.layers import INPUT_LAYERS, validate_layer
from ductplanner.pipeline import DemoContext, StepOutcome, run_demo


@pytest.fixture
def fake_steps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Two working steps; returns the call log."""
    calls: list[str] = []

    def first(ctx: DemoContext) -> StepOutcome:
        calls.append("first")
        assert ctx.workspace.exists()
        note = ctx.out / "first.txt"
        note.write_text(ctx.label, encoding="utf-8")
        return StepOutcome(written=[note], line="first done", summary={"answer": 42})

    def second(ctx: DemoContext) -> StepOutcome:
        calls.append("second")
        assert ctx.results["first"] == {"answer": 42}  # earlier steps' summaries are shared
        return StepOutcome(line="second done", summary={"seen": ctx.results["first"]["answer"]})

    monkeypatch.setattr(pipeline, "STEPS", (("first", first), ("second", second)))
    return calls


def test_demo_command_end_to_end_builds_the_workspace(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(pipeline, "STEPS", ())
    out = tmp_path / "maps"
    assert main(["demo", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    workspace = out / "demo.gpkg"
    assert summary["workspace"] == str(workspace)
    assert summary["seed"] == 2019 and summary["synthetic"] is True
    assert summary["steps"]["workspace"]["status"] == "done"
    assert summary["steps"]["workspace"]["addresses"] > 10_000
    assert list(summary["steps"]) == ["workspace"]
    assert summary["written"] == [str(workspace)]
    layers = read_layers(workspace, INPUT_LAYERS)
    for name, gdf in layers.items():
        assert validate_layer(gdf, name)[1] == []
    assert read_sources(workspace)["synthetic"].astype(bool).all()


def test_steps_run_in_order_and_share_their_summaries(tmp_path, fake_steps, capsys):
    result = run_demo(tmp_path, seed=5, scale=0.02)
    assert fake_steps == ["first", "second"]
    steps = result.summary["steps"]
    assert list(steps) == ["workspace", "first", "second"]
    assert steps["first"]["status"] == "done" and steps["first"]["answer"] == 42
    assert steps["second"]["seen"] == 42
    assert result.summary["written"] == [str(tmp_path / "demo.gpkg"), str(tmp_path / "first.txt")]
    assert "synthetic" in (tmp_path / "first.txt").read_text(encoding="utf-8").lower()
    progress = capsys.readouterr().err
    for line in ("[1/3] workspace", "[2/3] first", "[3/3] second"):
        assert line in progress
    assert "first done" in result.text and "second done" in result.text
    assert str(tmp_path / "first.txt") in result.text
    assert result.text.startswith("Synthetic demo municipality (seed 5)")


def test_no_progress_lines_when_asked_for_none(tmp_path, fake_steps, capsys):
    run_demo(tmp_path, scale=0.02, progress=False)
    assert capsys.readouterr().err == ""


def test_a_failing_step_is_named_and_stops_the_demo(tmp_path, fake_steps, monkeypatch):
    def broken(ctx: DemoContext) -> StepOutcome:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(pipeline, "STEPS", (("first", broken), *pipeline.STEPS[1:]))
    with pytest.raises(ZeroDivisionError) as info:
        run_demo(tmp_path, scale=0.02, progress=False)
    assert any("'first'" in note for note in info.value.__notes__)
    assert fake_steps == []  # the second step did not run


def test_the_steps_follow_the_data_flow():
    assert [name for name, _ in pipeline.STEPS] == [
        "coverage", "opportunities", "plan", "requests", "simulate", "maps", "report"
    ]


def test_shipped_scenarios_folder_exists():
    folder = pipeline.shipped_scenarios()
    assert folder.is_dir() and any(folder.glob("*.toml"))


@pytest.mark.slow
def test_full_demo_runs_every_built_step(tmp_path, capsys):
    out = tmp_path / "maps"
    assert main(["demo", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "Synthetic demo municipality" in captured.out
    assert "[1/" in captured.err
    assert (out / "demo.gpkg").exists()
    written = [line.split("  (")[0].strip() for line in captured.out.splitlines() if "  (" in line]
    assert all(Path(p).exists() for p in written if p.startswith(str(out)))
