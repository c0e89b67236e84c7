"""What a workspace's dig history says about the renewal cycle and the size of a project.

The forecast assumes a mean cycle (the scenario's 5-6 years) and a project
size (600 m). Where the workspace records digs, the record can check them:

**The mean cycle, from the streets' last digs.** In a renewal process that
has run for long, the time since a street's last dig (its *age*) is
exponential with the mean cycle as its mean, for exponential gaps (for other
gap shapes the mean age differs from the mean gap; the fit then is the
exponential one). Only digs since the first recorded year can be in the
record, so the ages are fitted as an exponential truncated at the record's
length ``A``, by maximum likelihood, with a 95 % interval from the
likelihood ratio (the cycles whose log-likelihood is within 1.92 of the
best). Streets without a recorded last dig are left out: unknown is not
"long ago". A record that only fits a cycle longer than ten times its own
length says so instead of giving a number.

**The project size, from the digs that were done.** The length of each done
dig (its trenches together), its mean with a 95 % interval (normal
approximation, at least five digs).

>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> ages = rng.exponential(5.5, 4000)
>>> fit = fit_cycle(ages[ages < 30], record_years=30)
>>> round(fit.cycle_years, 1), fit.low < 5.5 < fit.high, fit.bounded
(5.4, True, True)
>>> fit_cycle(rng.uniform(0, 30, 500), record_years=30).bounded  # no renewal shows
False
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import optimize

from ..core._format import text_column

__all__ = ["CycleFit", "DigHistory", "ProjectFit", "dig_history", "fit_cycle", "fit_project"]

_LR_95 = 1.920729  # half the 95 % quantile of chi-square with one degree of freedom
_MIN_DIGS = 5
"""Done digs needed for a project size with an interval."""


@dataclass(frozen=True)
class CycleFit:
    """The mean cycle the streets' last digs fit, with its 95 % interval (years).

    ``bounded`` is False when the record fits no cycle within ten times its
    length (ages spread evenly over the record: no renewal process shows).
    """

    cycle_years: float
    low: float
    high: float
    streets: int
    record_years: float
    bounded: bool = True


@dataclass(frozen=True)
class ProjectFit:
    """The mean length of a done dig (metres), with its 95 % interval."""

    length_m: float
    low: float
    high: float
    digs: int


@dataclass(frozen=True)
class DigHistory:
    """What a workspace's record of digs says: the cycle and the project size (None: no record)."""

    cycle: CycleFit | None
    project: ProjectFit | None
    streets_total: int

    def summary(self) -> dict[str, Any]:
        """Return the fit as plain data (``simulate --json``'s ``dig_history``)."""
        out: dict[str, Any] = {"streets_total": self.streets_total}
        if self.cycle is not None:
            c = self.cycle
            out["cycle"] = {
                "years": round(c.cycle_years, 2) if c.bounded else None,
                "low": round(c.low, 2),
                "high": round(c.high, 2) if c.bounded else None,
                "streets": c.streets,
                "record_years": round(c.record_years, 1),
            }
        if self.project is not None:
            p = self.project
            out["project"] = {
                "length_m": round(p.length_m),
                "low": round(p.low),
                "high": round(p.high),
                "digs": p.digs,
            }
        return out

    def text(self) -> str:
        """Say in one line what the record suggests."""
        parts = []
        if self.cycle is not None:
            c = self.cycle
            if c.bounded:
                parts.append(
                    f"a mean cycle of {c.cycle_years:.1f} years (95 %: {c.low:.1f}-{c.high:.1f}), "
                    f"from the last digs of {c.streets:,} of {self.streets_total:,} streets over "
                    f"{c.record_years:.0f} years"
                )
            else:
                parts.append(
                    f"no cycle: the last digs of {c.streets:,} streets spread evenly over "
                    f"{c.record_years:.0f} years (a cycle of at least {c.low:.0f} years, or a "
                    "record that is not a renewal process)"
                )
        if self.project is not None:
            p = self.project
            parts.append(
                f"projects of {p.length_m:,.0f} m (95 %: {p.low:,.0f}-{p.high:,.0f}) from "
                f"{p.digs} done digs"
            )
        if not parts:
            return "the workspace records no digs to check the cycle or the project size"
        return "the dig history suggests " + "; ".join(parts)


def fit_cycle(ages: np.ndarray, *, record_years: float) -> CycleFit | None:
    """Fit a mean cycle to ages (years since the last dig) seen within ``record_years``."""
    ages = np.asarray(ages, dtype=float)
    ages = ages[np.isfinite(ages) & (ages >= 0) & (ages <= record_years)]
    if len(ages) < 2 or record_years <= 0:
        return None
    top = 10 * record_years

    def loglik(mu: float) -> float:
        return float(
            -ages.sum() / mu
            - len(ages) * (math.log(mu) + math.log1p(-math.exp(-record_years / mu)))
        )

    best = optimize.minimize_scalar(lambda m: -loglik(m), bounds=(0.05, top), method="bounded")
    mu, peak = float(best.x), -float(best.fun)

    def within(m: float) -> float:
        return loglik(m) - (peak - _LR_95)

    low = optimize.brentq(within, 0.05, mu) if within(0.05) < 0 else 0.05
    if within(top) >= 0 or mu > 0.99 * top:
        return CycleFit(mu, low, math.inf, len(ages), record_years, bounded=False)
    high = optimize.brentq(within, mu, top)
    return CycleFit(mu, low, high, len(ages), record_years)


def fit_project(lengths_m: np.ndarray) -> ProjectFit | None:
    """Return the mean length of done digs with its 95 % interval (None: fewer than five)."""
    lengths = np.asarray(lengths_m, dtype=float)
    lengths = lengths[np.isfinite(lengths) & (lengths > 0)]
    if len(lengths) < _MIN_DIGS:
        return None
    mean = float(lengths.mean())
    half = 1.96 * float(lengths.std(ddof=1)) / math.sqrt(len(lengths))
    return ProjectFit(mean, max(mean - half, 0.0), mean + half, len(lengths))


def dig_history(
    streets: gpd.GeoDataFrame | None, digs: gpd.GeoDataFrame | None, as_of: dt.date
) -> DigHistory:
    """Return what the streets' ``last_dug`` years and the done digs say by ``as_of``.

    A street dug in a year is taken as dug in its middle (this year: in the
    middle of what has passed of it); the record starts with the first
    recorded year.
    """
    total = 0 if streets is None else len(streets)
    cycle = None
    if streets is not None and "last_dug" in streets.columns:
        years = pd.to_numeric(streets["last_dug"], errors="coerce").to_numpy(dtype=float)
        now = as_of.year + (as_of.timetuple().tm_yday - 1) / 365.25
        known = years[np.isfinite(years) & (years <= now)]
        if len(known):
            dug = (known + np.minimum(known + 1, now)) / 2  # the middle of its year so far
            cycle = fit_cycle(now - dug, record_years=float(now - known.min()))
    project = None
    if digs is not None and len(digs) and "status" in digs.columns:
        done = digs[(text_column(digs, "status") == "done").to_numpy()]
        if len(done):
            project = fit_project(done.geometry.length.to_numpy())
    return DigHistory(cycle, project, total)
