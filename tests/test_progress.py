"""Progress bars: on a terminal when asked for, never in a pipe, never with --quiet."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from ductplanner.cli import build_parser, main
from ductplanner.core.progress import progress_bar, step_bar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_is_drawn_on_a_terminal() -> None:
    terminal = _Terminal()
    with progress_bar(4, show=True, desc="forecast", unit="year", file=terminal) as bar:
        bar.update(4)
    assert "forecast" in terminal.getvalue()


def test_no_bar_when_the_caller_asks_for_none() -> None:
    terminal = _Terminal()
    with progress_bar(4, show=False, desc="forecast", file=terminal) as bar:
        bar.update(4)
    assert terminal.getvalue() == ""


def test_no_bar_in_a_pipe() -> None:
    pipe = io.StringIO()
    with progress_bar(4, show=True, desc="forecast", file=pipe) as bar:
        bar.update(4)
    assert pipe.getvalue() == ""


def test_every_subcommand_takes_quiet_and_json() -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, sub in commands.items():
        options = sub._option_string_actions
        assert "--quiet" in options and "--json" in options, name


def test_a_step_bar_names_the_step_running() -> None:
    terminal = _Terminal()
    with step_bar(2, show=True, desc="coverage", file=terminal) as step:
        step("street network")
        step("addresses")
        step("one more than announced")  # keeps the bar full, does not fail
    drawn = terminal.getvalue()
    assert "coverage" in drawn and "street network" in drawn and "addresses" in drawn


def test_a_step_bar_stays_silent_in_a_pipe() -> None:
    pipe = io.StringIO()
    with step_bar(2, show=True, desc="coverage", file=pipe) as step:
        step("street network")
    assert pipe.getvalue() == ""


@pytest.mark.parametrize(
    ("command", "first", "inner"),
    [
        (["coverage"], "coverage", "addresses to streets"),
        (["opportunities"], "opportunities", "digs over the streets"),
        (["plan", "--scenario", "revised-2019"], "plan", "choosing the stretches"),
    ],
)
def test_long_commands_name_their_steps_on_a_terminal(
    tiny_workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    first: str,
    inner: str,
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    name, *options = command
    assert main([name, str(tiny_workspace), *options]) == 0
    drawn = terminal.getvalue()
    assert first in drawn and "street edges" in drawn and inner in drawn


@pytest.mark.parametrize("flag", ["--quiet", "--json"])
def test_quiet_and_json_draw_no_bar_even_on_a_terminal(
    tiny_workspace: Path, monkeypatch: pytest.MonkeyPatch, flag: str
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["coverage", str(tiny_workspace), flag]) == 0
    assert "street edges" not in terminal.getvalue()


def test_map_names_its_steps_on_a_terminal(
    tiny_workspace: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    out = tmp_path / "tiny.html"
    assert main(["map", str(tiny_workspace), "--out", str(out)]) == 0
    drawn = terminal.getvalue()
    assert "map" in drawn and "reading the workspace" in drawn and "writing the file" in drawn
