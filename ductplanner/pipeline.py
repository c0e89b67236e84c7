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

from .core.result import Result
from .model.scenarios import shipped_scenarios

__all__ = ["STEPS", "DemoContext", "StepOutcome", "run_demo", "shipped_scenarios"]

STEPS: tuple[tuple[str, str], ...] = (
    ("coverage", "ductplanner.analysis.coverage"),
    ("opportunities", "ductplanner.analysis.opportunities"),
    ("plan", "ductplanner.optimize"),
    ("requests", "ductplanner.app.coordination"),
    ("simulate", "ductplanner.simulate"),
    ("maps", "ductplanner.render.maps"),
    ("report", "ductplanner.render.report"),
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
    label : str
        The words every demo output shows so that nobody takes the made-up
        municipality for real data (a map caption, a report banner).
    """

    workspace: Path
    out: Path
    seed: int
    scenarios: Path
    results: dict[str, Any] = field(default_factory=dict)
    label: str = "Synthetic demo municipality: made-up data placed at Ballerup"


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


def _size(path: Path) -> str:
    try:
        n = path.stat().st_size
    except OSError:
        return "missing"
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


def run_demo(out: Path, *, seed: int = 2019, scale: float = 1.0, progress: bool = True) -> Result:
    """Build the demo workspace in ``out`` and run every available step on it.

    Parameters
    ----------
    out : Path
        Output folder; ``out/demo.gpkg`` is the workspace (replaced as a whole).
    seed : int
        Seed of the generator and of every random step.
    scale : float
        Size of the demo municipality (1.0: Ballerup-sized; smaller for a
        quick look), see :func:`ductplanner.app.demo.generate_demo`.
    progress : bool
        Print progress lines on standard error.

    Returns
    -------
    Result
        ``summary`` has ``workspace``, ``seed``, ``scale``, ``synthetic``
        (always true), ``steps`` (name → status, seconds and the step's
        summary) and ``written`` (every file); ``text`` is the closing summary.

    Raises
    ------
    Exception
        Whatever a step raises, with a note naming the step.
    """
    from .app.demo import write_demo_workspace

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    label = f"Synthetic demo municipality (seed {seed}): made-up data placed at Ballerup"
    ctx = DemoContext(out / "demo.gpkg", out, seed, shipped_scenarios(), label=label)
    total = len(STEPS) + 1
    started = time.perf_counter()
    _say(progress, f"[1/{total}] workspace: building the demo municipality (seed {seed})")
    counts = write_demo_workspace(ctx.workspace, seed=seed, scale=scale)
    seconds = time.perf_counter() - started
    features = ", ".join(f"{n:,} {k}" for k, n in counts.items())
    _say(progress, f"      done in {seconds:.1f} s: {features}")
    written = [ctx.workspace]
    steps: dict[str, Any] = {
        "workspace": {"status": "done", "seconds": round(seconds, 2), "line": features, **counts}
    }
    lines = [label, "", f"{'workspace':<13} {features}"]
    for number, (name, module_name) in enumerate(STEPS, start=2):
        step = _find_step(module_name)
        if step is None:
            _say(progress, f"[{number}/{total}] {name}: not built yet, skipped")
            steps[name] = {"status": "skipped", "line": "not built yet"}
            lines.append(f"{name:<13} skipped (not built yet)")
            continue
        _say(progress, f"[{number}/{total}] {name}")
        step_started = time.perf_counter()
        try:
            outcome = step(ctx)
        except Exception as exc:
            exc.add_note(f"while running the demo step {name!r} ({module_name}.demo_step)")
            raise
        seconds = time.perf_counter() - step_started
        _say(progress, f"      done in {seconds:.1f} s: {outcome.line}")
        ctx.results[name] = outcome.summary
        written += [Path(p) for p in outcome.written if Path(p) not in written]
        steps[name] = {
            "status": "done",
            "seconds": round(seconds, 2),
            "line": outcome.line,
            **outcome.summary,
        }
        lines.append(f"{name:<13} {outcome.line}")
    elapsed = time.perf_counter() - started
    lines.append("")
    lines.append(f"written ({len(written)} files, {elapsed:.1f} s):")
    lines += [f"  {p}  ({_size(p)})" for p in written]
    summary = {
        "workspace": str(ctx.workspace),
        "seed": seed,
        "scale": scale,
        "synthetic": True,
        "label": label,
        "seconds": round(elapsed, 2),
        "steps": steps,
        "written": [str(p) for p in written],
    }
    return Result(summary=summary, text="\n".join(lines))
