"""The run: every simulated future advanced year by year, in batches; what they cover recorded.

The runs advance together, in batches of :data:`RUNS_PER_BATCH`. Each year
the digs are drawn (:mod:`.digs`), the fibre project's ducts and the
policy's ducts laid (:mod:`.policy`) on the ducts of every run
(:mod:`.ducts`), and the households the newly linked ducts cover added up.
What is computed afresh each year is how that year's open trenches
cluster: one :func:`scipy.sparse.csgraph.connected_components` call for
every run at once, on a graph built without a sort
(:func:`ductplanner.simulate.policy.trench_clusters`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from ..core.progress import progress_bar
from ..model.regrowth import Renewal
from .digs import PlanFates, draw_digs, known_parameters
from .ducts import DuctState
from .policy import Policy, lay_year
from .prices import Prices
from .projects import Partitions
from .town import SimulationInput
from .uncertain import RunParameters

__all__ = ["RUNS_PER_BATCH", "RawForecast", "run_engine"]

RUNS_PER_BATCH = 128
"""Runs simulated together (fixed, so that a seed gives the same futures on any machine)."""


@dataclass
class RawForecast:
    """What the engine records, per run and simulated year (end of year).

    Attributes
    ----------
    years : list of int
    covered : ndarray (R, Y)
        Households duct-covered.
    district_covered : ndarray (R, Y, D)
    edge_p_covered : ndarray (Y, E)
        Share of runs in which each edge is duct-covered.
    dug_share : ndarray (Y,)
        Share of (run, edge) pairs dug at least once so far.
    spent_co_dig, spent_own_dig : ndarray (Y,)
        Mean DKK spent per year.
    covered_now : float
        Households duct-covered before the first simulated year.
    """

    years: list[int]
    covered: np.ndarray
    district_covered: np.ndarray
    edge_p_covered: np.ndarray
    dug_share: np.ndarray
    spent_co_dig: np.ndarray
    spent_own_dig: np.ndarray
    covered_now: float


def run_engine(
    inp: SimulationInput,
    *,
    renewal: Renewal,
    policy: Policy,
    fates: PlanFates,
    years: Sequence[int],
    runs: int,
    seed: int,
    params: RunParameters | None = None,
    projects: Partitions | None = None,
    progress: bool = False,
    description: str = "simulate",
) -> RawForecast:
    """Simulate ``runs`` futures year by year; return what they cover.

    Same inputs and seed give identical results; the digs drawn do not
    depend on the policy or budget, so scenarios with the same seed and
    regrowth see the same futures (common random numbers). ``params`` gives
    each run its own mean cycle, slip and cancel share (default: those of
    ``renewal`` and ``fates`` in every run). ``projects`` makes digging come
    in renewal projects (:mod:`.projects`; default: every edge on its own). The runs are
    simulated in batches of :data:`RUNS_PER_BATCH` (arrays that stay in the
    processor's cache are much faster to index at random); the first batch
    draws from ``seed`` itself, the others from streams spawned from it.
    """
    years = list(years)
    y_count = len(years)
    if params is None:
        params = known_parameters(renewal, fates, runs)
    batches = [
        (lo, min(lo + RUNS_PER_BATCH, runs)) for lo in range(0, max(runs, 1), RUNS_PER_BATCH)
    ]
    seeds = np.random.SeedSequence(seed).spawn(len(batches) - 1)
    rngs = [np.random.default_rng(seed), *(np.random.default_rng(s) for s in seeds)]
    covered = np.zeros((runs, y_count))
    district_covered = np.zeros((runs, y_count, inp.n_districts))
    edge_runs = np.zeros((y_count, inp.n_edges))
    dug = np.zeros(y_count)
    spent = np.zeros((2, y_count))
    # households per edge in all and per district, one column each
    weights = sparse.hstack(
        [sparse.csr_matrix(inp.edge_households[:, None]), inp.edge_district_households]
    ).tocsr()
    on_today = DuctState(inp, 1).linked_edges()[0]
    today = weights.T @ on_today.astype(float)
    with progress_bar(len(batches) * y_count, show=progress, desc=description, unit="year") as bar:
        for (lo, hi), rng in zip(batches, rngs, strict=True):
            batch = _simulate_batch(
                inp,
                renewal,
                policy,
                fates,
                params.batch(lo, hi),
                None if projects is None else projects.for_runs(lo, hi),
                years,
                rng,
                weights,
                today,
                bar,
            )
            covered[lo:hi] = batch.sums[:, :, 0]
            district_covered[lo:hi] = batch.sums[:, :, 1:]
            edge_runs += batch.edge_runs
            dug += batch.dug
            spent += batch.spent
    return RawForecast(
        years=years,
        covered=covered,
        district_covered=district_covered,
        edge_p_covered=edge_runs / max(runs, 1),
        dug_share=dug / max(runs * inp.n_edges, 1),
        spent_co_dig=spent[0] / max(runs, 1),
        spent_own_dig=spent[1] / max(runs, 1),
        covered_now=float(today[0]),
    )


@dataclass
class _Batch:
    sums: np.ndarray  # (R, Y, 1 + D) households covered in all and per district
    edge_runs: np.ndarray  # (Y, E) runs in which each edge is covered
    dug: np.ndarray  # (Y,) (run, edge) pairs dug so far
    spent: np.ndarray  # (2, Y) DKK spent on co-digging and own digging, all runs


def _simulate_batch(
    inp: SimulationInput,
    renewal: Renewal,
    policy: Policy,
    fates: PlanFates,
    params: RunParameters,
    projects: Partitions | None,
    years: list[int],
    rng: np.random.Generator,
    weights: sparse.csr_matrix,
    today: np.ndarray,
    bar: Any,
) -> _Batch:
    runs = len(params.mean_cycle_years)
    y_count = len(years)
    state = DuctState(inp, runs)
    dug_ever = np.zeros((runs, inp.n_edges), dtype=bool)
    out = _Batch(
        np.zeros((runs, y_count, weights.shape[1])),
        np.zeros((y_count, inp.n_edges)),
        np.zeros(y_count),
        np.zeros((2, y_count)),
    )
    own_price = Prices(inp.edge_length_m * policy.own_dig_per_m)
    # ducts only ever link up, so the sums are kept by adding what each year links
    sums = np.tile(today, (runs, 1))
    edge_runs = runs * state.on[0].astype(np.int64) if runs else np.zeros(inp.n_edges, int)
    state.take_newly_linked()
    dug_count = 0
    digs = draw_digs(
        inp,
        renewal,
        fates,
        years,
        runs,
        rng,
        co_dig_per_m=policy.co_dig_per_m,
        params=params,
        projects=projects,
    )
    for k, year in enumerate(digs):
        dug_count += _mark_dug(dug_ever, year.open_index)
        state.lay_anywhere(*year.free)
        out.spent[:, k] = lay_year(state, policy, year.open_index, year.price, own_price)
        r, e = np.divmod(state.take_newly_linked(), inp.n_edges)
        if len(r):
            fresh = sparse.csr_matrix((np.ones(len(r)), (r, e)), shape=(runs, inp.n_edges))
            sums += (fresh @ weights).toarray()
            edge_runs += np.bincount(e, minlength=inp.n_edges)
        out.sums[:, k] = sums
        out.edge_runs[k] = edge_runs
        out.dug[k] = dug_count
        bar.update()
    return out


def _mark_dug(dug_ever: np.ndarray, flat: np.ndarray) -> int:
    """Mark the (run, edge) pairs ``flat`` as dug; return how many were not before."""
    ever = dug_ever.reshape(-1)
    first = flat[~ever[flat]]
    ever[first] = True
    return len(first)
