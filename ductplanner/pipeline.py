"""The demo pipeline: build the demo municipality, then run every step that exists.

Each step of the data flow lives in its own module and offers a
``demo_step(ctx)`` function there. The pipeline imports them by name, in the
order of :data:`STEPS`, so a step that is not built yet is skipped (and said
to be skipped) instead of breaking ``ductplanner demo``.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cli import Result

__all__ = ["STEPS", "DemoContext", "StepOutcome", "run_demo"]

STEPS: tuple[tuple[str, str], ...] = (
    ("coverage", "ductplanner.coverage"),
    ("opportunities", "ductplanner.opportunities"),
    ("plan", "ductplanner.optimize"),
    ("simulate", "ductplanner.simulate"),
    ("maps", "ductplanner.maps"),
    ("report", "ductplanner.report"),
)
"""(step name, module offering ``demo_step(ctx: DemoContext) -> StepOutcome``)."""


@dataclass
class DemoContext:
    """What the demo steps share.

    Attributes
    ----------
    workspace : Path
        The demo workspace GeoPackage (``out/demo.gpkg``).
    out : Path
        Folder for every output (maps, report, exports).
    seed : int
        Seed for every random step.
    scenarios : Path
        Folder of shipped scenario TOML files.
    results : dict
        Step name → whatever that step wants later steps to see (summaries).
    """

    workspace: Path
    out: Path
    seed: int
    scenarios: Path
    results: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepOutcome:
    """What a step did: files written, a one-line summary, a JSON-able summary."""

    written: list[Path] = field(default_factory=list)
    line: str = ""
    summary: dict[str, Any] = field(default_factory=dict)


def _find_step(module_name: str) -> Callable[[DemoContext], StepOutcome] | None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    return getattr(module, "demo_step", None)


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, file=sys.stderr, flush=True)


def shipped_scenarios() -> Path:
    """Return the folder of scenario files shipped beside the package."""
    return Path(__file__).resolve().parent.parent / "scenarios"


def run_demo(out: Path, *, seed: int = 2019, progress: bool = True) -> Result:
    """Build the demo workspace in ``out`` and run every available step on it.

    Parameters
    ----------
    out : Path
        Output folder; ``out/demo.gpkg`` is the workspace.
    seed : int
        Seed of the generator and of every random step.
    progress : bool
        Print progress lines on standard error.

    Returns
    -------
    Result
        ``summary`` has ``workspace``, ``seed``, ``steps`` (name → status and
        summary) and ``written`` (every file); ``text`` is the closing summary.
    """
    from .demo import write_demo_workspace

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(out / "demo.gpkg", out, seed, shipped_scenarios())
    started = time.perf_counter()
    _say(progress, f"[1/{len(STEPS) + 1}] building the demo municipality (seed {seed})")
    counts = write_demo_workspace(ctx.workspace, seed=seed)
    written = [ctx.workspace]
    steps: dict[str, Any] = {
        "workspace": {"status": "done", "line": f"{sum(counts.values())} features", **counts}
    }
    lines = [f"workspace  {ctx.workspace}  ({', '.join(f'{n} {k}' for k, n in counts.items())})"]
    for number, (name, module_name) in enumerate(STEPS, start=2):
        step = _find_step(module_name)
        if step is None:
            _say(progress, f"[{number}/{len(STEPS) + 1}] {name}: not built yet, skipped")
            steps[name] = {"status": "skipped", "line": "not built yet"}
            continue
        _say(progress, f"[{number}/{len(STEPS) + 1}] {name}")
        outcome = step(ctx)
        ctx.results[name] = outcome.summary
        written += outcome.written
        steps[name] = {"status": "done", "line": outcome.line, **outcome.summary}
        lines.append(f"{name:<10} {outcome.line}")
    elapsed = time.perf_counter() - started
    lines.append(f"written ({len(written)} files, {elapsed:.1f} s):")
    lines += [f"  {p}" for p in written]
    lines.append("The demo municipality is synthetic: a made-up town placed at Ballerup.")
    summary = {
        "workspace": str(ctx.workspace),
        "seed": seed,
        "steps": steps,
        "written": [str(p) for p in written],
    }
    return Result(summary=summary, text="\n".join(lines))
