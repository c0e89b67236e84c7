"""The command line's fixed choices agree with the schemas and modules they stand for."""

from __future__ import annotations

import argparse

from ductplanner.cli import HANDLERS, build_parser, main
from ductplanner.model import layers
from ductplanner.optimize import METHODS


def _choices(command: str, dest: str) -> list[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    action = next(a for a in sub.choices[command]._actions if a.dest == dest)
    return list(action.choices)


def test_every_subcommand_has_a_handler():
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == set(HANDLERS)


def test_export_ler_origins_are_the_duct_origins():
    assert _choices("export-ler", "origin") == list(layers.DUCT_ORIGINS)


def test_plan_methods_are_the_optimizer_methods():
    assert _choices("plan", "method") == list(METHODS)


def test_unknown_subcommand_is_a_usage_error(capsys):
    assert main(["no-such-command"]) == 2
    assert "invalid choice" in capsys.readouterr().err
