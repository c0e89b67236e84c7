"""Scenarios: a strategy's budgets, costs and model parameters, read from TOML.

A scenario file has one table per concern. Every key is optional except
``scenario.name``; what is left out takes the documented default (the
assumptions listed in the README). Unknown keys, wrong types and
out-of-range values are errors that name the file, the key and (for syntax
errors) the line; all problems of a file are reported together.

>>> s = parse_scenario('''
... [scenario]
... name = "Co-digging only"
... [budget]
... co_digging = 400_000
... materials = 100_000
... ''')
>>> s.budget.duct_dkk
500000.0
>>> s.regrowth.mean_cycle_years  # "5-6 years": each simulated future draws its own
Span(low=5.0, high=6.0)
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from ..core._errors import Problem, ScenarioError
from .parallel import SIDE_PATH_DISTANCE_M

__all__ = [
    "DEFAULT_SCENARIO",
    "Budget",
    "Confidence",
    "CoverageParams",
    "OptimizerParams",
    "Regrowth",
    "Scenario",
    "SimulationParams",
    "Span",
    "Uncertain",
    "UnitCosts",
    "as_scenario",
    "load_scenario",
    "parse_scenario",
    "scenario_key",
    "shipped_scenarios",
]


def _spec(default: Any, *, lo: float | None = None, hi: float | None = None, doc: str = "") -> Any:
    """Declare a scenario field with its default, inclusive range and meaning."""
    return field(default=default, metadata={"min": lo, "max": hi, "doc": doc})


@dataclass(frozen=True)
class Span:
    """A value nobody knows exactly, only that it lies between ``low`` and ``high``.

    A scenario writes it as ``[low, high]`` (``mean_cycle_years = [5, 6]``);
    each simulated future draws its own value, uniformly between the two,
    so the forecast's band carries what is not known. Wherever one number
    is needed (a plan's expected digs), the middle stands for it.

    >>> Span(5, 6).mid, str(Span(5, 6)), Span.of(5.5), float(Span(0.4, 0.6))
    (5.5, '5-6', Span(low=5.5, high=5.5), 0.5)
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"a span's low end {self.low} is above its high end {self.high}")

    @classmethod
    def of(cls, value: float | Span) -> Span:
        """Return ``value`` as a span (a known number is a span of width 0)."""
        return value if isinstance(value, Span) else cls(float(value), float(value))

    @property
    def mid(self) -> float:
        """The middle of the span."""
        return (self.low + self.high) / 2

    @property
    def fixed(self) -> bool:
        """Whether the value is known (low and high the same)."""
        return self.low == self.high

    def __float__(self) -> float:
        return self.mid

    def __str__(self) -> str:
        return f"{self.low:g}" if self.fixed else f"{self.low:g}-{self.high:g}"


Uncertain = float | Span
"""A scenario value given as a number or, where nobody knows it, as a :class:`Span`."""


@dataclass(frozen=True)
class Budget:
    """Yearly budget lines in DKK.

    Only ``co_digging``, ``materials`` and ``own_digging`` buy ducts.
    """

    co_digging: float = _spec(400_000, lo=0, doc="paying utilities for co-laying in their trench")
    materials: float = _spec(100_000, lo=0, doc="duct material")
    communication: float = _spec(50_000, lo=0, doc="communication (buys no duct)")
    project_management: float = _spec(450_000, lo=0, doc="project management (buys no duct)")
    own_digging: float = _spec(0, lo=0, doc="digging our own trenches (the 2016 plan)")

    @property
    def duct_dkk(self) -> float:
        """DKK per year that buys ducts laid in others' trenches (co-digging + materials)."""
        return float(self.co_digging + self.materials)

    @property
    def total_dkk(self) -> float:
        """All budget lines together, DKK per year."""
        return float(
            self.co_digging
            + self.materials
            + self.communication
            + self.project_management
            + self.own_digging
        )


@dataclass(frozen=True)
class UnitCosts:
    """Costs per metre of duct in DKK (assumptions; see the README)."""

    co_laying: float = _spec(150, lo=0, doc="laying a duct in another party's open trench")
    material: float = _spec(30, lo=0, doc="duct material")
    own_trench: float = _spec(1000, lo=0, doc="digging, laying and restoring our own trench")

    @property
    def co_dig_per_m(self) -> float:
        """DKK per metre when co-digging: co-laying plus material."""
        return float(self.co_laying + self.material)

    @property
    def own_dig_per_m(self) -> float:
        """DKK per metre when digging our own trench: trench plus material."""
        return float(self.own_trench + self.material)


@dataclass(frozen=True)
class CoverageParams:
    """What counts as covered, and which street lines are edges of the network.

    ``side_path_distance_m`` decides how sidewalks and cycle tracks mapped as
    their own lines count: a path (``road_class == "path"``) this close to a
    road belongs to the road's corridor, so an address beside it reaches the
    road and a duct in the road serves it; only its stretches away from every
    road (a footpath across a park) are edges of their own. 0 keeps every
    path as drawn, each its own edge.
    """

    drop_distance_m: float = _spec(30.0, lo=0, hi=500, doc="address to street edge, metres")
    side_path_distance_m: float = _spec(
        SIDE_PATH_DISTANCE_M,
        lo=0,
        hi=50,
        doc="a path this close to a road is part of its corridor, metres (0: every path its own)",
    )
    target_share: float = _spec(0.9, lo=0, hi=1, doc="share of households a district aims for")
    speed_down_mbps: float = _spec(100.0, lo=0, doc="modern broadband: download at least")
    speed_up_mbps: float = _spec(30.0, lo=0, doc="modern broadband: upload at least")


@dataclass(frozen=True)
class Regrowth:
    """The renewal process of future digging on every street edge.

    The gap between two digs of one street edge has mean ``mean_cycle_years``
    and is ``exponential`` (no memory: digs come at random), ``gamma`` with
    shape ``gamma_shape`` (4: moderately regular) or ``uniform`` within
    ``mean x (1 +- uniform_spread)`` (spread 0: a strict cycle). The shape
    matters as much as the mean: with a mean of 5.5 years a street with no
    known history is dug within 5 years with probability 0.60 (exponential),
    0.76 (gamma, shape 4) or 0.91 (strict cycle); see
    :func:`ductplanner.model.regrowth.p_dug_within`.

    Digging comes in projects: a utility renews a connected group of
    streets of about ``project_length_m`` metres in one season (the demo's
    dig plans average 630 m per dig), so the process runs per project, not
    per street; 0 makes every street edge a process of its own.
    """

    mean_cycle_years: Uncertain = _spec(
        Span(5.0, 6.0),
        lo=0.5,
        hi=100,
        doc="mean years between two digs; [low, high]: nobody knows it better (each run "
        "draws its own)",
    )
    distribution: Literal["exponential", "gamma", "uniform"] = _spec(
        "exponential", doc="shape of the gap between two digs"
    )
    gamma_shape: float = _spec(4.0, lo=0.1, hi=1000, doc="gamma shape k (larger: more regular)")
    uniform_spread: float = _spec(
        0.0,
        lo=0,
        hi=1,
        doc="uniform gaps lie within mean x (1 +- spread); 0 is a strict cycle",
    )
    plans_complete_years: float = _spec(
        0.0,
        lo=0,
        hi=10,
        doc="the dig plans list every dig starting this many years ahead (0: not complete)",
    )
    project_length_m: float = _spec(
        600.0,
        lo=0,
        hi=100_000,
        doc="metres of connected streets one renewal project opens in one season "
        "(0: every street edge on its own)",
    )


@dataclass(frozen=True)
class Confidence:
    """Probability that a planned dig opens its trench inside its window.

    A dig that misses its window is cancelled (``cancel_share`` of them) or
    delayed into a later year by ``ceil(D)`` years, ``D`` exponential with mean
    ``slip_years`` (with ``slip_years = 0`` every miss is a cancellation).
    """

    firm: Uncertain = _spec(0.95, lo=0, hi=1, doc="confirmed, with a permit (or [low, high])")
    budgeted: Uncertain = _spec(0.75, lo=0, hi=1, doc="in the owner's budget (or [low, high])")
    indicative: Uncertain = _spec(0.40, lo=0, hi=1, doc="announced, not decided (or [low, high])")
    slip_years: Uncertain = _spec(
        1.0, lo=0, hi=10, doc="mean delay of a dig that slips, years (or [low, high])"
    )
    cancel_share: Uncertain = _spec(
        0.5,
        lo=0,
        hi=1,
        doc="of the digs that miss their window, the share cancelled, not delayed (or [low, high])",
    )

    def probability(self, confidence: str) -> float:
        """Return the probability for a dig's confidence class."""
        return float(getattr(self, confidence))


@dataclass(frozen=True)
class OptimizerParams:
    """How the plan is chosen."""

    method: Literal["greedy", "milp", "fcfs"] = _spec(
        "milp", doc="optimizer method: milp (greedy, then the MILP from it; with its gap)"
    )
    time_limit_s: float = _spec(60.0, lo=1, hi=86_400, doc="MILP time limit, seconds")
    mip_gap: float = _spec(0.001, lo=0, hi=1, doc="MILP relative gap to stop at")
    discount: float = _spec(0.0, lo=0, hi=1, doc="weight of covering earlier (household-years)")
    interest_weight: float = _spec(
        0.0,
        lo=0,
        hi=10,
        doc="extra weight of a household whose address asked for a duct (citizens' interest)",
    )
    site_weight: float = _spec(
        0.0,
        lo=0,
        hi=100_000,
        doc="households a municipal site of priority 1 counts for (priority 5: a fifth of it)",
    )


@dataclass(frozen=True)
class SimulationParams:
    """The Monte Carlo forecast."""

    runs: int = _spec(1000, lo=1, hi=1_000_000, doc="number of simulated futures")
    seed: int = _spec(2019, lo=0, doc="random seed")
    forecast_years: int = _spec(
        12, lo=1, hi=100, doc="years a run forecasts, its first year included"
    )


@dataclass(frozen=True)
class Scenario:
    """A strategy: who digs, with what money, under which assumptions.

    Attributes
    ----------
    name, description : str
        Shown in maps and the report.
    policy : {"co-dig", "own-dig", "fibre-only"}
        ``co-dig`` lays ducts only in others' trenches; ``own-dig`` may also dig
        its own trenches with the ``own_digging`` budget; ``fibre-only`` lays
        no citizen ducts (only the fibre project's own digs happen).
    plan_years : int
        How many years a run plans, its first year included.
    start_year : int
        The first year of a run. Years belong to a run, not to a strategy: a
        file gives ``plan_years`` and ``simulation.forecast_years``, and a
        command sets the first year from its ``--as-of`` date (today) or
        ``--from`` year with :meth:`starting`. The default, 2019, is the year
        the committee adopted the revised plan.
    extends : str
        The scenario this one was read on top of ("" for none).
    source : str
        The file it was read from.
    """

    name: str
    description: str = ""
    policy: Literal["co-dig", "own-dig", "fibre-only"] = "co-dig"
    plan_years: int = _spec(3, lo=1, hi=50, doc="years a run plans, its first year included")
    start_year: int = _spec(2019, lo=1900, hi=2200, doc="first year of the run")
    budget: Budget = field(default_factory=Budget)
    costs: UnitCosts = field(default_factory=UnitCosts)
    coverage: CoverageParams = field(default_factory=CoverageParams)
    regrowth: Regrowth = field(default_factory=Regrowth)
    confidence: Confidence = field(default_factory=Confidence)
    optimizer: OptimizerParams = field(default_factory=OptimizerParams)
    simulation: SimulationParams = field(default_factory=SimulationParams)
    extends: str = ""
    source: str = "<memory>"

    @property
    def end_year(self) -> int:
        """The last planned year of the run."""
        return self.start_year + self.plan_years - 1

    @property
    def horizon(self) -> int:
        """The last forecast year of the run."""
        return self.start_year + self.simulation.forecast_years - 1

    @property
    def years(self) -> list[int]:
        """The planned years, first to last."""
        return list(range(self.start_year, self.end_year + 1))

    def starting(self, year: int) -> Scenario:
        """Return the same strategy for a run whose first year is ``year``.

        >>> s = Scenario(name="x", plan_years=6).starting(2026)
        >>> s.years[0], s.end_year, s.horizon
        (2026, 2031, 2037)
        """
        return dataclasses.replace(self, start_year=int(year))

    def budgets(self) -> dict[str, Any]:
        """Return the plan years and the yearly budgets this scenario gives the planner.

        Co-dig candidates spend the co-digging and materials lines
        (:attr:`Budget.duct_dkk`); own-dig candidates the own-digging line, only
        under the ``own-dig`` policy. ``fibre-only`` lays no citizen ducts, so
        both budgets are zero.

        Returns
        -------
        dict
            ``years``, ``budget_co_dig`` and ``budget_own_dig`` (lists), ready to
            pass to :class:`ductplanner.optimize.PlanningInstance`.
        """
        years = self.years
        co = self.budget.duct_dkk if self.policy != "fibre-only" else 0.0
        own = self.budget.own_digging if self.policy == "own-dig" else 0.0
        return {
            "years": years,
            "budget_co_dig": [float(co)] * len(years),
            "budget_own_dig": [float(own)] * len(years),
        }

    def to_dict(self) -> dict[str, Any]:
        """Return every parameter as plain data (for run manifests and JSON)."""
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> Scenario:
        """Return a copy with top-level fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


_SECTIONS: dict[str, type] = {
    "budget": Budget,
    "costs": UnitCosts,
    "coverage": CoverageParams,
    "regrowth": Regrowth,
    "confidence": Confidence,
    "optimizer": OptimizerParams,
    "simulation": SimulationParams,
}
_TOP_KEYS = ("name", "description", "policy", "plan_years", "extends")


DEFAULT_SCENARIO = "revised-2019"
"""The shipped scenario a command uses when none is named."""


def shipped_scenarios() -> Path:
    """Return the folder of the scenario files shipped beside the package."""
    return Path(__file__).resolve().parents[2] / "scenarios"


def as_scenario(scenario: Scenario | str | os.PathLike[str] | None = None) -> Scenario:
    """Return ``scenario`` itself, or the scenario a path or shipped name names.

    ``None`` is the default scenario (:data:`DEFAULT_SCENARIO`).
    """
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(DEFAULT_SCENARIO if scenario is None else scenario)


def scenario_key(scenario: Scenario | str | os.PathLike[str]) -> str:
    """Return a scenario's key in the workspace tables (the forecast's ``scenario`` column).

    A scenario read from a file is keyed by the file's stem, one made in
    memory by a slug of its name; a text (what a user types) is a shipped
    name or a TOML path.

    >>> scenario_key("scenarios/revised-2019.toml"), scenario_key("shutdown")
    ('revised-2019', 'shutdown')
    >>> scenario_key(Scenario(name="Co-dig, 2 mio."))
    'co-dig-2-mio'
    """
    if isinstance(scenario, Scenario):
        if scenario.source and scenario.source != "<memory>":
            return Path(scenario.source).stem
        return re.sub(r"[^a-z0-9]+", "-", scenario.name.lower()).strip("-") or "scenario"
    text = os.fspath(scenario)
    return Path(text).stem if text.lower().endswith(".toml") else text


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario TOML file.

    A bare name (``revised-2019`` or ``revised-2019.toml``) that is not a file
    in the current folder names a shipped scenario. A file whose
    ``[scenario]`` table says ``extends = "revised-2019"`` (a shipped name, or
    a file relative to this one) is read on top of that scenario: it gives
    only what differs.

    Raises
    ------
    ScenarioError
        Listing every problem: syntax (with its line), unknown keys (with the
        nearest known key), wrong types, values out of range, a scenario it
        extends that is missing, invalid or extends it back.
    """
    path = _scenario_path(path)
    return parse_scenario(path.read_text(encoding="utf-8"), source=str(path))


def _scenario_path(name: str | os.PathLike[str], relative_to: Path | None = None) -> Path:
    """Return the file a scenario name means: a path, else a shipped scenario."""
    path = Path(name)
    if relative_to is not None and not path.is_absolute() and (relative_to / path).is_file():
        path = relative_to / path
    if not path.is_file() and path.parent == Path("."):
        shipped = shipped_scenarios() / path.with_suffix(".toml").name
        path = shipped if shipped.is_file() else path
    if not path.is_file():
        known = ", ".join(sorted(f.name for f in shipped_scenarios().glob("*.toml")))
        raise ScenarioError(
            f"scenario file {path} does not exist; the shipped ones are in scenarios/ ({known})"
        )
    return path


def parse_scenario(text: str, source: str = "<memory>") -> Scenario:
    """Parse scenario TOML text; see :func:`load_scenario`."""
    return _parse(text, source, frozenset())


def _parse(text: str, source: str, seen: frozenset[Path]) -> Scenario:
    """Parse scenario text, reading the scenarios it extends (``seen`` so far) beneath it."""
    data = _tables(text, source, seen)
    problems: list[Problem] = []
    say = _Reporter(source, problems, _key_lines(text))

    top = data.get("scenario", {})
    if not isinstance(top, Mapping):
        say("scenario", 'must be a table: write [scenario] with name = "..."')
        top = {}
    known = {"scenario", *_SECTIONS}
    for key in data:
        if key not in known:
            say(key, f"unknown table [{key}]{_did_you_mean(key, known)}", rule="unknown-key")
    _say_run_keys(data, say)
    values = _read_section(
        {k: v for k, v in top.items() if k not in _RUN_KEYS["scenario"]},
        "scenario",
        _TOP_KEYS,
        Scenario,
        say,
    )
    if "name" not in top:
        say("scenario.name", "is required: give the scenario a name", rule="required")
        values["name"] = Path(source).stem
    sections = {}
    for name, cls in _SECTIONS.items():
        table = data.get(name, {})
        if not isinstance(table, Mapping):
            say(name, f"must be a table [{name}]", rule="type")
            table = {}
        table = {k: v for k, v in table.items() if k not in _RUN_KEYS.get(name, ())}
        names = tuple(f.name for f in dataclasses.fields(cls))
        sections[name] = cls(**_read_section(table, name, names, cls, say))
    if problems:
        raise ScenarioError(_describe(problems, source))
    return Scenario(**values, **sections, source=source)


_RUN_KEYS = {"scenario": ("start_year", "end_year"), "simulation": ("horizon",)}
"""Keys older scenario files had: years now belong to a run (``--as-of``, ``--from``)."""


def _say_run_keys(data: Mapping[str, Any], say: _Reporter) -> None:
    """Report the year keys of an older file with what to write instead."""
    top = data.get("scenario", {})
    sim = data.get("simulation", {})
    if not isinstance(top, Mapping) or not isinstance(sim, Mapping):
        return
    first, last, horizon = top.get("start_year"), top.get("end_year"), sim.get("horizon")
    run = "years belong to a run now: it plans from its --as-of year (default this year)"
    if first is not None or last is not None:
        n = _count_of(first, last)
        for key in ("start_year", "end_year"):
            if key in top:
                say(
                    f"scenario.{key}",
                    f"{run}, or from --from YEAR; remove start_year and end_year and write "
                    f"plan_years = {n}",
                    rule="retired-key",
                )
    if horizon is not None:
        n = _count_of(first, horizon)
        say(
            "simulation.horizon",
            f"{run}; remove horizon and write forecast_years = {n} (years forecast, the "
            "first included)",
            rule="retired-key",
        )


def _count_of(first: Any, last: Any) -> int | str:
    """Return how many years ``first`` to ``last`` are (``"N"`` when that says nothing)."""
    if isinstance(first, int) and isinstance(last, int) and last >= first:
        return last - first + 1
    return "N"


def _tables(text: str, source: str, seen: frozenset[Path]) -> dict[str, Any]:
    """Return the TOML tables of a scenario, on top of those of the one it extends."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        where = f" at line {line.group(1)}" if line else ""
        raise ScenarioError(f"{source}{where}: not valid TOML ({exc})") from None
    top = data.get("scenario")
    if not isinstance(top, Mapping) or "extends" not in top:
        return data
    extends = top["extends"]
    if not isinstance(extends, str) or not extends.strip():
        raise ScenarioError(
            f"{source}: scenario.extends is {extends!r}; give a shipped scenario's name "
            '(extends = "revised-2019") or a TOML file'
        )
    here = Path(source).parent if source != "<memory>" else None
    base_path = _scenario_path(extends.strip(), relative_to=here).resolve()
    if base_path in seen or (source != "<memory>" and base_path == Path(source).resolve()):
        raise ScenarioError(f"{source}: scenario.extends = {extends!r} extends itself in a loop")
    base_text = base_path.read_text(encoding="utf-8")
    base = _parse(base_text, str(base_path), seen | {base_path})
    base_data = _tables(base_text, str(base_path), seen | {base_path})
    merged = _merged(base_data, data)
    if "name" not in top:
        merged["scenario"]["name"] = f"{base.name}, as in {Path(source).stem}"
    return merged


def _merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` with the tables and keys of ``over`` put over it."""
    out = {key: dict(value) if isinstance(value, Mapping) else value for key, value in base.items()}
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


class _Reporter:
    """Collects scenario problems as Problems naming the key (and its line)."""

    def __init__(self, source: str, problems: list[Problem], lines: dict[str, int]) -> None:
        self.source = source
        self.problems = problems
        self.lines = lines

    def __call__(self, key: str, message: str, *, rule: str = "type") -> None:
        line = self.lines.get(key)
        where = f"line {line}" if line else ""
        self.problems.append(Problem(self.source, "scenario", where, key, rule, message))


def _key_lines(text: str) -> dict[str, int]:
    """Map ``table.key`` (and ``table``) to the line it is written on."""
    lines: dict[str, int] = {}
    table = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        header = re.fullmatch(r"\[\s*([^\]]+?)\s*\]", line)
        if header:
            table = header.group(1)
            lines.setdefault(table, number)
            continue
        key = re.match(r"([A-Za-z0-9_\-]+)\s*=", line)
        if key:
            lines.setdefault(f"{table}.{key.group(1)}" if table else key.group(1), number)
    return lines


def _describe(problems: list[Problem], source: str) -> str:
    noun = "problem" if len(problems) == 1 else "problems"
    lines = [f"{len(problems)} {noun} in scenario {source}:"]
    lines += [
        f"  - {p.field}" + (f" ({p.feature_id})" if p.feature_id else "") + f": {p.message}"
        for p in problems
    ]
    return "\n".join(lines)


def _did_you_mean(key: str, known: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(known))})"


def _read_section(
    table: Mapping[str, Any],
    section: str,
    names: tuple[str, ...],
    cls: type,
    say: _Reporter,
) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    out: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{section}.{key}"
        if key not in names:
            say(dotted, f"unknown key{_did_you_mean(key, names)}", rule="unknown-key")
            continue
        converted = _convert(value, hints[key], dotted, say)
        if converted is _INVALID:
            continue
        meta = fields[key].metadata
        lo, hi = meta.get("min"), meta.get("max")
        ends = (converted.low, converted.high) if isinstance(converted, Span) else (converted,)
        outside = [
            x
            for x in dict.fromkeys(ends)
            if _is_number(x) and ((lo is not None and x < lo) or (hi is not None and x > hi))
        ]
        if outside:
            rng = f"[{'-∞' if lo is None else lo}, {'∞' if hi is None else hi}]"
            shown = " and ".join(f"{x:g}" if isinstance(x, float) else str(x) for x in outside)
            verb = "are" if len(outside) > 1 else "is"
            say(dotted, f"{shown} {verb} outside the range {rng}", rule="range")
            continue
        out[key] = converted
    return out


_INVALID = object()


def _convert(value: Any, hint: Any, key: str, say: _Reporter) -> Any:
    origin = get_origin(hint)
    if origin is Literal:
        choices = get_args(hint)
        if value in choices:
            return value
        say(key, f"{value!r} is not one of: {', '.join(map(str, choices))}", rule="allowed")
        return _INVALID
    if origin in (types.UnionType, typing.Union) and Span in get_args(hint):
        return _uncertain(value, key, say)
    if origin in (types.UnionType, typing.Union):  # pragma: no cover - no optional fields yet
        hint = next(a for a in get_args(hint) if a is not type(None))
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is str and isinstance(value, str):
        return value
    if hint is bool and isinstance(value, bool):
        return value
    words = {float: "a number", int: "a whole number", str: "text", bool: "true or false"}
    say(key, f"{value!r} is not {words.get(hint, hint)}", rule="type")
    return _INVALID


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _uncertain(value: Any, key: str, say: _Reporter) -> Any:
    """Return a number, or a :class:`Span` for ``[low, high]``; say what is wrong otherwise."""
    if _is_number(value):
        return float(value)
    if isinstance(value, list) and len(value) == 2 and all(map(_is_number, value)):
        low, high = (float(x) for x in value)
        if low <= high:
            return Span(low, high)
        say(
            key,
            f"[{low:g}, {high:g}] must give its low end first: [{high:g}, {low:g}]",
            rule="range",
        )
        return _INVALID
    shown = repr(value) if len(repr(value)) <= 80 else f"{repr(value)[:80]}…"
    say(key, f"{shown} is not a number or a range [low, high] of two numbers", rule="type")
    return _INVALID


def describe_parameters() -> list[tuple[str, Any, str]]:
    """Return (key, default, meaning) for every scenario parameter (for docs)."""
    rows = []
    for section, cls in _SECTIONS.items():
        for f in dataclasses.fields(cls):
            rows.append((f"{section}.{f.name}", f.default, f.metadata.get("doc", "")))
    return rows
