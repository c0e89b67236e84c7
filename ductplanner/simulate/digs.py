"""The digs of every simulated year: known plans (with their fates) and the renewal process."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..model.regrowth import Renewal
from ..model.scenarios import Confidence, Regrowth, Scenario
from .prices import Prices
from .projects import Partitions
from .town import SimulationInput
from .uncertain import RunParameters

__all__ = ["PlanFates", "YearDigs", "draw_digs", "first_digs", "known_parameters"]


@dataclass(frozen=True)
class PlanFates:
    """How known plans fare: cancelled or delayed when they miss their window.

    The defaults are the scenarios' (``[confidence]`` and ``[regrowth]``).
    """

    cancel_share: float = float(Confidence().cancel_share)
    slip_years: float = float(Confidence().slip_years)
    complete_years: float = Regrowth().plans_complete_years

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> PlanFates:
        """Return the plan fates of a scenario (a range's middle; see :class:`RunParameters`)."""
        return cls(
            cancel_share=float(scenario.confidence.cancel_share),
            slip_years=float(scenario.confidence.slip_years),
            complete_years=scenario.regrowth.plans_complete_years,
        )


@dataclass
class YearDigs:
    """One simulated year's digs, all runs.

    Attributes
    ----------
    open : ndarray of bool (R, E)
        Trenches open this year (all edges, with a duct or not).
    open_index : ndarray of int
        The same as sorted flat indices ``run * E + edge``.
    price : Prices
        DKK to co-lay a duct in each (the known dig's price where it has one).
    free : tuple of (runs, edges) arrays
        The fibre project's digs this year: their duct is laid regardless.
    """

    open: np.ndarray
    open_index: np.ndarray
    price: Prices
    free: tuple[np.ndarray, np.ndarray]


def known_parameters(renewal: Renewal, fates: PlanFates, runs: int) -> RunParameters:
    """Return ``renewal``'s mean cycle and ``fates``' slip and cancel share in every run."""
    return RunParameters.fixed(
        runs=runs,
        mean_cycle_years=renewal.mean,
        slip_years=fates.slip_years,
        cancel_share=fates.cancel_share,
    )


def draw_digs(
    inp: SimulationInput,
    renewal: Renewal,
    fates: PlanFates,
    years: Sequence[int],
    runs: int,
    rng: np.random.Generator,
    *,
    co_dig_per_m: float,
    params: RunParameters | None = None,
    projects: Partitions | None = None,
) -> Iterator[YearDigs]:
    """Yield each simulated year's digs for every run.

    Known plans first: each dig (all its rows together) opens on time with
    its probability; otherwise it is cancelled (``cancel_share``) or delayed
    by ``ceil(D)`` years, ``D`` exponential with mean ``slip_years``. An
    edge's realised known digs override the renewal process: its next renewal
    dig comes one gap after the last of them. Other edges start in
    equilibrium, or from their ``last_dug`` year.

    ``params`` gives each run its own mean cycle, slip and cancel share
    (default: ``renewal.mean`` and ``fates``' values in every run). A run's
    gaps are ``renewal``'s scaled to its mean: every gap distribution here
    scales with its mean.

    ``projects`` gives each edge's renewal project in each run
    (:mod:`.projects`): the process then runs per project, and an edge is
    dug with its project, unless it has a known dig or a known last dig of
    its own.
    """
    if params is None:
        params = known_parameters(renewal, fates, runs)
    e_count, y_count = inp.n_edges, len(years)
    scale = params.mean_cycle_years / renewal.mean  # (R,) each run's gaps to renewal's
    slip, cancel = params.slip_years[:, None], params.cancel_share[:, None]
    start = float(years[0])
    c = len(inp.dig_edge)
    # --- known plans
    n_groups = int(inp.dig_group.max()) + 1 if c else 0
    p_group = _group_probability(inp, params, runs, n_groups)
    u = rng.random((runs, n_groups))
    delay = np.ceil(rng.standard_exponential((runs, n_groups)) * slip)
    on_time = u < p_group
    missed = (u - p_group) / np.maximum(1.0 - p_group, 1e-12)
    cancelled = ~on_time & ((missed < cancel) | (slip <= 0))
    shift = np.where(on_time, 0.0, np.maximum(delay, 1.0))
    when = inp.dig_time[None, :] - start + shift[:, inp.dig_group]  # (R, C) years from start
    real = ~cancelled[:, inp.dig_group] & (when >= 0) & (when < y_count)
    k_r, k_c = np.nonzero(real)
    k_t = when[k_r, k_c]
    k_e = inp.dig_edge[k_c]
    # --- renewal: the next dig after the last realised known one, else from equilibrium
    last_known = np.full(runs * e_count, -np.inf)
    np.maximum.at(last_known, k_r * e_count + k_e, k_t)
    next_t = first_digs(inp, renewal, fates.complete_years, start, runs, rng, scale=scale)
    flat = next_t.reshape(-1)
    known = np.flatnonzero(last_known > -np.inf)
    flat[known] = last_known[known] + renewal.gaps(rng, len(known)) * scale[known // e_count]
    del last_known
    renewals = _Renewals(next_t, scale, renewal, rng)
    if projects is not None:
        # edges with a known dig or a known last dig keep their own process
        own = np.zeros(runs * e_count, dtype=bool)
        own[known] = True
        own |= np.tile(np.isfinite(inp.last_dug), runs)
        renewals.group(projects, own.reshape(runs, e_count), fates.complete_years)
    # --- known events by year
    k_year = np.floor(k_t).astype(np.int64)
    order = np.argsort(k_year, kind="stable")
    k_r, k_c, k_e, k_year = k_r[order], k_c[order], k_e[order], k_year[order]
    bounds = np.searchsorted(k_year, np.arange(y_count + 1))
    base_cost = inp.edge_length_m * co_dig_per_m
    for k in range(y_count):
        dug = renewals.due_before(k + 1)
        sl = slice(bounds[k], bounds[k + 1])
        r_k, c_k, e_k = k_r[sl], k_c[sl], k_e[sl]
        dug[r_k, e_k] = True
        idx = np.flatnonzero(dug)
        renewals.advance(idx, k + 1)
        free = inp.dig_free[c_k]
        priced = ~free
        # where a known dig opens the edge, its own price counts
        price = Prices(base_cost, r_k[priced], e_k[priced], inp.dig_cost_dkk[c_k[priced]])
        yield YearDigs(dug, idx, price, (r_k[free], e_k[free]))


def _group_probability(
    inp: SimulationInput, params: RunParameters, runs: int, n_groups: int
) -> np.ndarray:
    """Return each dig's chance to open on time: (G,), or (R, G) where a class is a range.

    A dig's chance is the largest of its rows'; a row of a class the run
    draws (``params.confidence``) takes the run's value.
    """
    ranged = [name for name in params.confidence if (inp.dig_confidence == name).any()]
    if not ranged:
        p_group = np.zeros(n_groups)
        np.maximum.at(p_group, inp.dig_group, inp.dig_probability)
        return p_group
    p_rows = np.tile(inp.dig_probability, (runs, 1))  # (R, C)
    for name in ranged:
        rows = inp.dig_confidence == name
        p_rows[:, rows] = params.confidence[name][:, None]
    by_group = np.zeros((n_groups, runs))
    np.maximum.at(by_group, inp.dig_group, p_rows.T)
    return by_group.T


class _Renewals:
    """When the renewal process next digs each (run, edge): per edge, or per project.

    ``next_t`` (R, E) holds each edge's own next dig (years from the start).
    After :meth:`group`, edges not marked ``own`` follow their project's
    process instead: a project is dug as a whole.
    """

    def __init__(
        self,
        next_t: np.ndarray,
        scale: np.ndarray,
        renewal: Renewal,
        rng: np.random.Generator,
    ) -> None:
        self.next_t, self.flat = next_t, next_t.reshape(-1)
        self.scale, self.renewal, self.rng = scale, renewal, rng
        self.e_count = next_t.shape[1]
        self.member: np.ndarray | None = None
        self.own = np.empty((0, 0), dtype=bool)
        self.project_t = np.empty(0)
        self.project_scale = np.empty(0)

    def group(self, projects: Partitions, own: np.ndarray, complete_years: float) -> None:
        """Let each edge not ``own`` (R, E) follow its project: their first digs drawn."""
        runs, n = len(projects.member), projects.n_projects
        per_draw = np.repeat(self.scale, n)
        first = self.renewal.first_after(self.rng, runs * n, complete_years / per_draw)
        self.member = projects.member + (np.arange(runs, dtype=np.int64) * n)[:, None]
        self.own = own
        self.project_t, self.project_scale = first * per_draw, per_draw

    def due_before(self, end: float) -> np.ndarray:
        """Return which (run, edge) the process digs before ``end`` (R, E, a new array)."""
        if self.member is None:
            return self.next_t < end
        return np.where(self.own, self.next_t, self.project_t[self.member]) < end

    def advance(self, dug: np.ndarray, end: float) -> None:
        """Move every process due before ``end`` one gap on (more for a short one).

        ``dug`` are the flat (run, edge) indices opened this year; an edge a
        known dig opened whose own renewal is not due does not move.
        """
        if self.member is not None:
            dug = dug[self.own.reshape(-1)[dug]]
            _step_past(self.project_t, self.project_scale, end, self.renewal, self.rng)
        t = self.flat[dug]
        _step_past(t, self.scale[dug // self.e_count], end, self.renewal, self.rng)
        self.flat[dug] = t


def _step_past(
    t: np.ndarray, scale: np.ndarray, end: float, renewal: Renewal, rng: np.random.Generator
) -> None:
    """Add a gap (scaled per entry) to every time before ``end``, until none is (in place)."""
    due = t < end
    t[due] += renewal.gaps(rng, int(np.count_nonzero(due))) * scale[due]
    # a gap shorter than the rest of the year: dug twice (few)
    again = np.flatnonzero(t < end)
    while len(again):
        t[again] += renewal.gaps(rng, len(again)) * scale[again]
        again = again[t[again] < end]


def first_digs(
    inp: SimulationInput,
    renewal: Renewal,
    complete_years: float,
    start: float,
    runs: int,
    rng: np.random.Generator,
    *,
    scale: np.ndarray | None = None,
) -> np.ndarray:
    """Years from the start to each edge's first renewal dig (R, E).

    ``scale`` (R,) stretches each run's gaps (its mean cycle over
    ``renewal.mean``); times are drawn in the run's own scale, so an age or a
    complete-plans window counts as a shorter share of a longer cycle.
    """
    e_count = inp.n_edges
    scale = np.ones(runs) if scale is None else scale
    per_draw = np.repeat(scale, e_count)
    out = renewal.first_after(rng, runs * e_count, complete_years / per_draw) * per_draw
    out = out.reshape(runs, e_count)
    known = np.flatnonzero(np.isfinite(inp.last_dug))
    if len(known):
        # dug in the middle of its last year, on average
        age = np.maximum(start - (inp.last_dug[known] + 0.5), 0.0) + complete_years
        per_known = np.repeat(scale, len(known))
        draw = renewal.residual(rng, np.tile(age, runs) / per_known) * per_known
        out[:, known] = complete_years + draw.reshape(runs, len(known))
    return out
