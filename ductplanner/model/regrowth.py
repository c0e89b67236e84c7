"""The renewal process of digging on one street edge: gaps, first digs, their probabilities.

Time is in years. A street edge is dug again and again; the gaps between
two digs are independent draws from one distribution with mean ``mu``:

``exponential``
    No memory: a dig is as likely next month as in five years.
``gamma``
    Shape ``k`` (scale ``mu / k``); the larger ``k``, the more regular.
``uniform``
    Uniform within ``mu x (1 +- s)``; ``s = 0`` is a strict cycle.

Where the last dig of an edge is unknown, the process is taken to be in
equilibrium: the time to its next dig is the *forward recurrence time*, whose
distribution function is ``F_e(t) = (1 / mu) * integral_0^t S(x) dx`` with
``S`` the survival function of a gap. It is drawn as ``U * L`` with ``U``
uniform on (0, 1) and ``L`` a *size-biased* gap (density ``x f(x) / mu``):
gamma(k + 1, mu / k) for gamma gaps, ``sqrt(lo^2 + V (hi^2 - lo^2))`` for
uniform ones; for exponential gaps it is exponential itself (no memory).
Where the last dig is known, ``age`` years ago, the next dig comes after the
*residual* gap ``X - age`` given ``X > age``.

>>> r = Renewal(5.5, "exponential")
>>> round(float(r.cdf_first(5.0)), 2), round(float(Renewal(5.5, "gamma", 4).cdf_first(5.0)), 2)
(0.6, 0.76)
>>> round(float(Renewal(5.5, "uniform").cdf_first(5.0)), 2)
0.91
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from .scenarios import Span

__all__ = ["DISTRIBUTIONS", "Renewal", "p_dug_within"]

DISTRIBUTIONS = ("exponential", "gamma", "uniform")
"""The gap distributions a scenario may choose."""


@dataclass(frozen=True)
class Renewal:
    """The gap distribution of one street edge's digs.

    Parameters
    ----------
    mean : float
        Mean years between two digs.
    distribution : {"exponential", "gamma", "uniform"}
        Shape of the gap.
    gamma_shape : float
        Shape ``k`` of gamma gaps.
    uniform_spread : float
        Uniform gaps lie within ``mean x (1 +- uniform_spread)``.
    """

    mean: float
    distribution: str = "exponential"
    gamma_shape: float = 4.0
    uniform_spread: float = 0.0

    def __post_init__(self) -> None:
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(
                f"distribution {self.distribution!r} is not one of {', '.join(DISTRIBUTIONS)}"
            )
        if not self.mean > 0 or not self.gamma_shape > 0 or not 0 <= self.uniform_spread <= 1:
            raise ValueError("mean and gamma_shape must be > 0, uniform_spread in [0, 1]")

    @classmethod
    def from_scenario(cls, scenario: Any) -> Renewal:
        """Return the renewal process of a scenario's ``[regrowth]`` table."""
        g = scenario.regrowth
        return cls(
            float(g.mean_cycle_years),
            str(g.distribution),
            float(g.gamma_shape),
            float(g.uniform_spread),
        )

    def with_distribution(self, distribution: str) -> Renewal:
        """Return the same mean (and shape parameters) with another gap distribution."""
        return Renewal(self.mean, distribution, self.gamma_shape, self.uniform_spread)

    def label(self) -> str:
        """Describe the distribution in a few words, e.g. ``gamma (shape 4)``."""
        if self.distribution == "gamma":
            return f"gamma (shape {self.gamma_shape:g})"
        if self.distribution == "uniform":
            if self.uniform_spread == 0:
                return "uniform (strict cycle)"
            return f"uniform (mean ± {self.uniform_spread:.0%})"
        return "exponential"

    # --- bounds of uniform gaps ------------------------------------------------------

    @property
    def _low_high(self) -> tuple[float, float]:
        return self.mean * (1 - self.uniform_spread), self.mean * (1 + self.uniform_spread)

    # --- distribution functions --------------------------------------------------------

    def survival(self, x: np.ndarray | float) -> np.ndarray:
        """Return ``P(gap > x)``."""
        x = np.maximum(np.asarray(x, dtype=float), 0.0)
        if self.distribution == "exponential":
            return np.exp(-x / self.mean)
        if self.distribution == "gamma":
            k = self.gamma_shape
            return special.gammaincc(k, x * k / self.mean)
        lo, hi = self._low_high
        if hi == lo:
            return np.less(x, lo).astype(float)
        return np.clip((hi - x) / (hi - lo), 0.0, 1.0)

    def cdf_first(self, t: np.ndarray | float) -> np.ndarray:
        """Return ``P(first dig within t years)`` for an edge in equilibrium.

        The forward-recurrence distribution ``F_e(t) = (1/mu) int_0^t S(x) dx``.
        """
        t = np.maximum(np.asarray(t, dtype=float), 0.0)
        mu = self.mean
        if self.distribution == "exponential":
            return 1.0 - np.exp(-t / mu)
        if self.distribution == "gamma":
            k = self.gamma_shape
            z = t * k / mu
            # int_0^t S = t S_k(t) + mu F_{k+1}(t)
            return (t * special.gammaincc(k, z) + mu * special.gammainc(k + 1, z)) / mu
        lo, hi = self._low_high
        if hi == lo:
            return np.minimum(t, mu) / mu
        inside = lo + ((hi - lo) ** 2 - (hi - np.clip(t, lo, hi)) ** 2) / (2 * (hi - lo))
        return np.where(t <= lo, t, inside) / mu

    # --- draws ---------------------------------------------------------------------------

    def gaps(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` gaps between two digs."""
        if self.distribution == "exponential":
            return rng.exponential(self.mean, n)
        if self.distribution == "gamma":
            k = self.gamma_shape
            return rng.gamma(k, self.mean / k, n)
        lo, hi = self._low_high
        return rng.uniform(lo, hi, n) if hi > lo else np.full(n, lo)

    def first(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` times to the next dig of edges in equilibrium (forward recurrence)."""
        if self.distribution == "exponential":
            return rng.exponential(self.mean, n)  # no memory: as a gap
        u = rng.random(n)
        if self.distribution == "gamma":
            k = self.gamma_shape
            return u * rng.gamma(k + 1.0, self.mean / k, n)
        lo, hi = self._low_high
        size_biased = np.sqrt(lo**2 + rng.random(n) * (hi**2 - lo**2))
        return u * size_biased

    def residual(self, rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
        """Draw the time to the next dig of edges last dug ``age`` years ago.

        ``X - age`` given ``X > age``; an edge already past the longest
        possible gap (a strict cycle overdue) is dug within the coming year.
        """
        age = np.maximum(np.asarray(age, dtype=float), 0.0)
        n = len(age)
        if self.distribution == "exponential":
            return rng.exponential(self.mean, n)
        u = rng.random(n)
        if self.distribution == "gamma":
            k = self.gamma_shape
            scale = self.mean / k
            tail = special.gammaincc(k, age / scale) * (1.0 - u)
            x = special.gammainccinv(k, np.maximum(tail, 1e-300)) * scale
            return np.maximum(x - age, 0.0)
        lo, hi = self._low_high
        start = np.maximum(age, lo)
        out = start + u * np.maximum(hi - start, 0.0) - age
        overdue = age >= hi
        out[overdue] = u[overdue]
        return out

    def first_after(
        self,
        rng: np.random.Generator,
        n: int,
        after: float | np.ndarray,
        *,
        tries: int = 60,
    ) -> np.ndarray:
        """Draw forward-recurrence times given that they are at least ``after`` years.

        For edges with no announced dig while the plans are complete: by
        rejection (the accepted share is ``1 - F_e(after)``, high for the
        windows used). ``after`` is one number or one per draw.
        """
        out = self.first(rng, n)
        if np.all(np.asarray(after) <= 0):
            return out
        after = np.broadcast_to(np.asarray(after, dtype=float), (n,))
        for _ in range(tries):
            low = np.flatnonzero(out < after)
            if len(low) == 0:
                break
            out[low] = self.first(rng, len(low))
        short = np.flatnonzero(out < after)
        # still short after many tries (a very long window): past it, a residual from there
        out[short] = after[short] + self.residual(rng, after[short])
        return out


def p_dug_within(years: float, scenario: Any) -> dict[str, float]:
    r"""Return, per gap distribution, the chance a street is dug within ``years``.

    For a street with no known history (the process in equilibrium), with
    the mean cycle and shape parameters of ``scenario`` (a
    :class:`~ductplanner.model.scenarios.Scenario` or a :class:`Renewal`).
    A scenario's mean cycle given as a range is averaged over it, as the
    simulated futures draw it (uniformly).

    >>> from ductplanner.model.scenarios import parse_scenario
    >>> known = parse_scenario('[scenario]\nname = "x"\n[regrowth]\nmean_cycle_years = 5.5')
    >>> {k: round(v, 2) for k, v in p_dug_within(5, known).items()}
    {'exponential': 0.6, 'gamma': 0.76, 'uniform': 0.91}
    >>> ranged = parse_scenario('[scenario]\nname = "x"\n')  # 5-6 years
    >>> {k: round(v, 3) for k, v in p_dug_within(5, ranged).items()}
    {'exponential': 0.598, 'gamma': 0.762, 'uniform': 0.912}
    """
    base = scenario if isinstance(scenario, Renewal) else Renewal.from_scenario(scenario)
    means = [base.mean]
    if not isinstance(scenario, Renewal):
        span = Span.of(scenario.regrowth.mean_cycle_years)
        if not span.fixed:  # the midpoint rule over the range
            means = list(
                span.low + (np.arange(_SPAN_POINTS) + 0.5) * (span.high - span.low) / _SPAN_POINTS
            )
    t = float(years)
    return {
        name: float(
            np.mean(
                [
                    Renewal(m, name, base.gamma_shape, base.uniform_spread).cdf_first(t)
                    for m in means
                ]
            )
        )
        for name in DISTRIBUTIONS
    }


_SPAN_POINTS = 64
"""Points of the midpoint rule that averages a probability over a range of mean cycles."""
