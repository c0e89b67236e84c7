"""What a forecast's band is made of: the same forecast with one source of uncertainty known.

A band mixes what nobody knows (the mean cycle, given as a range), how
digging comes (in projects, which moves neighbourhoods together), whether
announced digs happen on time (their confidence, slip and cancellation) and
plain chance (which streets are dug when). Each is taken out in turn, the
forecast run again with the same seed (so the same futures, but for that
source), and the spread of households covered at each year compared:

``cycle_low``, ``cycle_high``
    The mean cycle fixed at either end of its range (the forecast under 5
    and under 6 years, side by side).
``cycle_known``
    The mean cycle fixed at the middle of its range.
``street_by_street``
    Every street edge renewed on its own (no projects).
``plans_sure``
    Every announced dig opens in its window.

The share of the band a source makes is ``1 - var(without it) / var(all)``
over the runs at the horizon, clipped to 0-1: how much the spread shrinks
once it is known. The shares need not add up to one (the sources interact),
and what none of them explains is chance.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..model.scenarios import Scenario, Span
from .town import SimulationInput

__all__ = [
    "EXPLAINING",
    "SOURCE_COLUMNS",
    "SOURCE_WORDS",
    "band_sources",
    "explained_shares",
    "source_variants",
]

SOURCE_COLUMNS = ("scenario", "source", "year", "p10", "p50", "p90", "sd")
"""Columns of the ``forecast_sources`` table (households covered, per source and year)."""

EXPLAINING = ("cycle_known", "street_by_street", "plans_sure")
"""The variants whose shrinking of the band is a source's share of it."""
SOURCE_WORDS = {
    "cycle_known": "not knowing the mean cycle",
    "street_by_street": "digging coming in projects",
    "plans_sure": "announced digs that slip or are cancelled",
}
"""Each explaining variant's source of uncertainty, in words."""

Variant = tuple[SimulationInput, Scenario]


def _regrowth(scenario: Scenario, **changes: Any) -> Scenario:
    return dataclasses.replace(scenario, regrowth=dataclasses.replace(scenario.regrowth, **changes))


def source_variants(inp: SimulationInput, scenario: Scenario) -> dict[str, Variant]:
    """Return the forecasts to run with one source known, for the sources this one has."""
    out: dict[str, Variant] = {}
    cycle = Span.of(scenario.regrowth.mean_cycle_years)
    if not cycle.fixed:
        out["cycle_low"] = (inp, _regrowth(scenario, mean_cycle_years=cycle.low))
        out["cycle_high"] = (inp, _regrowth(scenario, mean_cycle_years=cycle.high))
        out["cycle_known"] = (inp, _regrowth(scenario, mean_cycle_years=cycle.mid))
    if scenario.regrowth.project_length_m > 0:
        out["street_by_street"] = (inp, _regrowth(scenario, project_length_m=0.0))
    if len(inp.dig_probability) and (inp.dig_probability < 1).any():
        out["plans_sure"] = (inp.with_sure_plans(), scenario)
    return out


def band_sources(
    key: str,
    years: list[int],
    covered: np.ndarray,
    variants: dict[str, Variant],
    forecast: Callable[[SimulationInput, Scenario], np.ndarray],
) -> pd.DataFrame:
    """Return the ``forecast_sources`` rows: the forecast (``all``) and each variant.

    ``covered`` is the forecast's households covered (runs x years);
    ``forecast`` runs a variant and returns the same array for it.
    """
    rows = [_rows(key, "all", years, covered)]
    rows += [_rows(key, name, years, forecast(*variant)) for name, variant in variants.items()]
    return pd.concat(rows, ignore_index=True)


def _rows(key: str, source: str, years: list[int], covered: np.ndarray) -> pd.DataFrame:
    q = np.quantile(covered, [0.1, 0.5, 0.9], axis=0, method="inverted_cdf")
    return pd.DataFrame(
        {
            "scenario": key,
            "source": source,
            "year": years,
            "p10": q[0].round(),
            "p50": q[1].round(),
            "p90": q[2].round(),
            "sd": covered.std(axis=0).round(2),
        },
        columns=list(SOURCE_COLUMNS),
    )


def explained_shares(table: pd.DataFrame, year: int | None = None) -> dict[str, float]:
    """Return the share of the band each source makes, in ``year`` (default: the last).

    >>> t = pd.DataFrame({"source": ["all", "cycle_known"], "year": [2030, 2030],
    ...                   "sd": [10.0, 8.0]})
    >>> explained_shares(t)
    {'cycle_known': 0.36}
    """
    if table.empty:
        return {}
    year = int(table["year"].max()) if year is None else year
    at = table[table["year"] == year].set_index("source")["sd"].astype(float)
    if "all" not in at.index or at["all"] <= 0:
        return {}
    base = at["all"] ** 2
    known = [s for s in EXPLAINING if s in at.index]
    return {s: round(float(np.clip(1 - at[s] ** 2 / base, 0, 1)), 4) for s in known}
