"""The demo pipeline: build the demo municipality, then run each command's workflow on it.

A step is a function of the :class:`DemoContext` that calls one command's
workflow (:mod:`ductplanner.app`) as the project manager would, and says in one
line what came of it (a :class:`StepOutcome`). :data:`STEPS` lists them in the
order of the data flow.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .app.demo import DEMO_PLANNING_DATE, write_demo_workspace
from .app.demo_history import EVALUATION_DATE, play_demo_history
from .app.workflows.coverage import coverage_workspace
from .app.workflows.maps import comparison_map, forecast_map, save_map, workspace_map
from .app.workflows.opportunities import opportunities_workspace
from .app.workflows.plan import plan_workspace
from .app.workflows.report import collect_report, report_summary, write_report
from .app.workflows.simulate import workspace_input, write_forecast
from .core._format import Lang, metres, percent, slug
from .core.result import Result
from .io.assets import assets_installed, install_command
from .io.workspace import read_layer, read_table
from .model.decisions import DECISION_STATUSES, decision_counts, decision_status
from .model.scenarios import (
    DEFAULT_SCENARIO,
    Scenario,
    load_scenario,
    scenario_key,
    shipped_scenarios,
)
from .model.timeline import run_date
from .simulate import SimulationInput, budget_frontier, simulate

__all__ = ["STEPS", "DemoContext", "Step", "StepOutcome", "run_demo", "shipped_scenarios"]

DEMO_TIME_LIMIT_S = 30.0
"""Seconds the demo gives the MILP (the scenario's 60 s prove little more on the demo)."""


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
    lang : {"en", "da"}
        The maps' language (the report is written in both).
    """

    workspace: Path
    out: Path
    seed: int
    scenarios: Path
    results: dict[str, Any] = field(default_factory=dict)
    label: str = "Synthetic demo municipality: made-up data placed at Ballerup"
    lang: Lang = "en"


@dataclass
class StepOutcome:
    """What a step did: files written, a one-line summary, a JSON-able summary."""

    written: list[Path] = field(default_factory=list)
    line: str = ""
    summary: dict[str, Any] = field(default_factory=dict)


Step = Callable[[DemoContext], StepOutcome]
"""A demo step: runs one workflow on the demo workspace."""


# --- the steps, in the order of the data flow ---------------------------------------------------


def coverage_step(ctx: DemoContext) -> StepOutcome:
    """Compute the demo workspace's coverage and write its layers."""
    report = coverage_workspace(ctx.workspace)
    return StepOutcome(written=[], line=report.headline(), summary=report.summary())


def opportunities_step(ctx: DemoContext) -> StepOutcome:
    """Find the demo workspace's co-digging opportunities and conflicts."""
    scenario = load_scenario(Path(ctx.scenarios) / f"{DEFAULT_SCENARIO}.toml")
    report = opportunities_workspace(ctx.workspace, scenario)
    s = report.summary()
    line = (
        f"{s['candidates']:,} candidates from {s['digs_with_candidates']:,} digs, "
        f"{s['metres']:,.0f} m, DKK {s['cost_dkk']:,.0f}; households {s['households_now']:,} "
        f"at once, {s['households_potential']:,} once connected; {s['conflicts']:,} conflicts"
    )
    return StepOutcome(written=[], line=line, summary=s)


def plan_step(ctx: DemoContext) -> StepOutcome:
    """Plan the revised 2019 scenario on the demo workspace (the MILP from the greedy plan)."""
    scenario = load_scenario(Path(ctx.scenarios) / f"{DEFAULT_SCENARIO}.toml")
    result, layer = plan_workspace(ctx.workspace, scenario, time_limit=DEMO_TIME_LIMIT_S)
    summary = {"scenario": scenario.name, **result.summary(), "stretches": len(layer)}
    line = (
        f"{result.method} ({result.gap_text()}): {len(layer):,} stretches, "
        f"{result.metres:,.0f} m, DKK "
        f"{sum(result.spent_dkk):,.0f} of {sum(result.budget_dkk):,.0f}; "
        f"{result.households_covered:,.0f} households covered in {result.years[-1]} "
        f"({result.households_baseline:,.0f} before)"
    )
    return StepOutcome(written=[], line=line, summary=summary)


def requests_step(ctx: DemoContext) -> StepOutcome:
    """Send the requests, and play the utilities' answers and the finished digs.

    Writes ``requests/<owner>/`` for every owner with chosen stretches, logs
    the requests the plan's digs would have had by
    :data:`~ductplanner.app.demo_history.EVALUATION_DATE` (a seeded share
    agreed, the rest declined with a reason), records agreed digs that ended
    before that date as ducts, and recomputes the coverage layers.
    """
    history = play_demo_history(ctx.workspace, ctx.out / "requests", seed=ctx.seed, label=ctx.label)
    if history is None:
        line = "skipped: the workspace has no plan layer (the plan step did not run)"
        return StepOutcome(line=line, summary={"skipped": True, "reason": line})
    report = coverage_workspace(ctx.workspace)
    log, recorded = history.log, history.recorded
    counts = decision_counts(log)
    status = decision_status(log)["status"].value_counts()
    summary = {
        "scenario": history.scenario,
        "evaluation_date": EVALUATION_DATE.isoformat(),
        "owners": [r.owner for r in history.requests],
        "requested": len(decision_status(log)),
        "status": {s: int(status.get(s, 0)) for s in DECISION_STATUSES},
        "per_year": {int(y): {k: int(v) for k, v in row.items()} for y, row in counts.iterrows()},
        "recorded_digs": [o.dig_id for o in recorded],
        "recorded_metres": round(sum(o.metres for o in recorded), 1),
        "recorded_cost_dkk": round(sum(o.cost_dkk for o in recorded), 0),
        "households_duct_covered": report.summary()["households_duct_covered"],
    }
    line = (
        f"{summary['requested']} digs requested from {len(history.requests)} utilities by "
        f"{EVALUATION_DATE}: {summary['status']['agreed']} agreed, "
        f"{summary['status']['declined']} declined, {len(recorded)} laid "
        f"({metres(summary['recorded_metres'])}); {report.headline()}"
    )
    return StepOutcome(written=history.written, line=line, summary=summary)


DEMO_RUNS = 200
"""Runs per scenario in ``ductplanner demo`` (the scenarios say 1,000; fewer keep it quick)."""
DEMO_FRONTIER_BUDGETS = (0, 250_000, 500_000, 1_000_000, 2_000_000)
"""Yearly duct budgets (DKK) of the demo's frontier for the revised scenario."""
DEMO_FRONTIER_RUNS = 100
"""Runs per budget of the demo's frontier."""


def simulate_step(ctx: DemoContext) -> StepOutcome:
    """Forecast every shipped scenario on the demo workspace, and the revised plan's frontier.

    The forecasts start on :data:`~ductplanner.app.demo.DEMO_PLANNING_DATE`
    from the network as it was then, not with the ducts the history laid
    since: the committee's 2019 question, comparable with what came to pass.
    """
    run = run_date(DEMO_PLANNING_DATE)
    scenarios = [run.scenario(load_scenario(f)) for f in sorted(Path(ctx.scenarios).glob("*.toml"))]
    if not scenarios:
        return StepOutcome(line="no scenarios found")
    # the town as each scenario reads it (drop and side paths, costs, confidence); the shipped
    # scenarios share one reading, which is then made once
    towns: dict[tuple[object, ...], SimulationInput] = {}

    def town_of(s: Scenario) -> SimulationInput:
        key = (s.coverage, s.costs, s.confidence)
        if key not in towns:
            towns[key] = workspace_input(ctx.workspace, s, run)
        return towns[key]

    # what the band is made of: for the plan the committee adopted (the others cost as much again)
    forecasts = [
        simulate(
            town_of(s),
            s,
            runs=min(DEMO_RUNS, s.simulation.runs),
            seed=ctx.seed,
            sources=scenario_key(s) == DEFAULT_SCENARIO,
        )
        for s in scenarios
    ]
    frontiers = []
    revised = [s for s in scenarios if scenario_key(s) == "revised-2019"]
    if revised:
        frontiers.append(
            budget_frontier(
                town_of(revised[0]),
                revised[0],
                budgets=DEMO_FRONTIER_BUDGETS,
                runs=min(DEMO_FRONTIER_RUNS, revised[0].simulation.runs),
                seed=ctx.seed,
            )
        )
        ctx.results["frontier"] = frontiers[0].to_dict("records")
    write_forecast(ctx.workspace, forecasts, frontiers)
    horizon = forecasts[0].years[-1]
    total = forecasts[0].households_total
    parts = [f"{f.key} {percent(f.summary()['p50'][-1], total, 0)}" for f in forecasts]
    line = (
        f"P50 duct-covered by {horizon}: "
        + ", ".join(parts)
        + f" from the network of {run.as_of} ({forecasts[0].runs} runs each, fewer than "
        f"the scenarios' {scenarios[0].simulation.runs:,} to keep the demo quick)"
    )
    return StepOutcome(line=line, summary={f.key: f.summary() for f in forecasts})


def maps_step(ctx: DemoContext) -> StepOutcome:
    """Render the maps of every audience."""
    self_contained = assets_installed()
    written = [
        save_map(
            workspace_map(ctx.workspace, self_contained=self_contained, lang=ctx.lang),
            ctx.out / "workspace.html",
        ),
        save_map(
            workspace_map(
                ctx.workspace, audience="committee", self_contained=self_contained, lang=ctx.lang
            ),
            ctx.out / "committee.html",
        ),
    ]
    owners = sorted(set(read_layer(ctx.workspace, "digs", required=False)["owner"].dropna()))
    for owner in owners:
        m = workspace_map(
            ctx.workspace,
            audience="utility",
            owner=owner,
            self_contained=self_contained,
            lang=ctx.lang,
        )
        written.append(save_map(m, ctx.out / f"utility-{slug(owner)}.html"))
    forecast_maps, forecast_line = write_demo_forecast_maps(ctx, self_contained)
    written += forecast_maps
    line = f"{len(written)} maps"
    if self_contained:
        line += " (self-contained)"
    else:
        line += (
            " linking Leaflet from the CDN; warning: the map assets are not installed, "
            f"so the maps need the internet (install them: {install_command()})"
        )
    line += f"; {forecast_line}"
    summary = {
        "maps": [str(p) for p in written],
        "self_contained": self_contained,
        "bytes": sum(p.stat().st_size for p in written),
    }
    return StepOutcome(written=written, line=line, summary=summary)


DEMO_TIME_SCENARIO = "revised-2019"
DEMO_COMPARED = ("shutdown", "original-2016")
"""The demo compares the revised plan with the first of these that was simulated."""


def write_demo_forecast_maps(ctx: DemoContext, self_contained: bool) -> tuple[list[Path], str]:
    """Write the demo's time and comparison maps when the forecast exists; say what was done."""
    forecast = read_table(ctx.workspace, "forecast", required=False)
    if forecast.empty or "scenario" not in forecast.columns:
        return [], "no forecast (the simulate step did not run), so no time or comparison map"
    present = sorted(set(forecast["scenario"].astype(str)))
    first = DEMO_TIME_SCENARIO if DEMO_TIME_SCENARIO in present else present[0]
    written = [
        save_map(
            forecast_map(ctx.workspace, first, self_contained=self_contained, lang=ctx.lang),
            ctx.out / "forecast-time.html",
        )
    ]
    others = [s for s in DEMO_COMPARED if s in present] or [s for s in present if s != first]
    if not others:
        return written, f"time map of {first}; only one scenario simulated, so no comparison"
    compared = comparison_map(
        ctx.workspace, [first, others[0]], self_contained=self_contained, lang=ctx.lang
    )
    written.append(save_map(compared, ctx.out / "compare.html"))
    return written, f"time map of {first}, comparison of {first} and {others[0]}"


def report_step(ctx: DemoContext) -> StepOutcome:
    """Write the committee's report."""
    data = collect_report(ctx.workspace)
    written = [
        write_report(ctx.workspace, ctx.out / "report.html", label=ctx.label, data=data),
        write_report(
            ctx.workspace, ctx.out / "report-da.html", lang="da", label=ctx.label, data=data
        ),
    ]
    missing = f"; not computed yet: {', '.join(data.missing)}" if data.missing else ""
    line = f"report.html and report-da.html ({len(data.forecast_summary())} forecasts{missing})"
    return StepOutcome(written=written, line=line, summary=report_summary(data, written[0], "en"))


STEPS: tuple[tuple[str, Step], ...] = (
    ("coverage", coverage_step),
    ("opportunities", opportunities_step),
    ("plan", plan_step),
    ("requests", requests_step),
    ("simulate", simulate_step),
    ("maps", maps_step),
    ("report", report_step),
)
"""(step name, step) in the order the demo runs them."""


# --- running them --------------------------------------------------------------------------------


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, file=sys.stderr, flush=True)


def _size(path: Path) -> str:
    try:
        n = float(path.stat().st_size)
    except OSError:
        return "missing"
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


def run_demo(
    out: Path,
    *,
    seed: int = 2019,
    scale: float = 1.0,
    progress: bool = True,
    steps: Sequence[tuple[str, Step]] | None = None,
    lang: Lang = "en",
) -> Result:
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
    steps : sequence of (name, step), optional
        The steps to run after building the workspace (default :data:`STEPS`).
    lang : {"en", "da"}
        The maps' language.

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
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    label = f"Synthetic demo municipality (seed {seed}): made-up data placed at Ballerup"
    ctx = DemoContext(out / "demo.gpkg", out, seed, shipped_scenarios(), label=label, lang=lang)
    steps_to_run = STEPS if steps is None else tuple(steps)
    total = len(steps_to_run) + 1
    started = time.perf_counter()
    _say(progress, f"[1/{total}] workspace: building the demo municipality (seed {seed})")
    counts = write_demo_workspace(ctx.workspace, seed=seed, scale=scale)
    seconds = time.perf_counter() - started
    features = ", ".join(f"{n:,} {k}" for k, n in counts.items())
    _say(progress, f"      done in {seconds:.1f} s: {features}")
    written = [ctx.workspace]
    done: dict[str, Any] = {
        "workspace": {"status": "done", "seconds": round(seconds, 2), "line": features, **counts}
    }
    lines = [label, "", f"{'workspace':<13} {features}"]
    for number, (name, step) in enumerate(steps_to_run, start=2):
        _say(progress, f"[{number}/{total}] {name}")
        step_started = time.perf_counter()
        try:
            outcome = step(ctx)
        except Exception as exc:
            exc.add_note(f"while running the demo step {name!r}")
            raise
        seconds = time.perf_counter() - step_started
        _say(progress, f"      done in {seconds:.1f} s: {outcome.line}")
        ctx.results[name] = outcome.summary
        written += [Path(p) for p in outcome.written if Path(p) not in written]
        done[name] = {
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
        "steps": done,
        "written": [str(p) for p in written],
    }
    return Result(summary=summary, text="\n".join(lines))
