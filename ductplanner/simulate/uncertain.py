r"""What each simulated future assumes: its own draw of the values a scenario gives as ranges.

A scenario may give the mean cycle, the slip and the cancel share of missed
plans as a :class:`~ductplanner.model.scenarios.Span` (``mean_cycle_years =
[5, 6]``): nobody knows them better. Each run then draws its own value,
uniformly within the span, and keeps it for its whole future, so the band
over the runs shows what the range does. The draws come from a stream of
their own, spawned from the run's seed, so the digs drawn stay the same
random numbers whatever is uncertain (common random numbers across
scenarios), and every value has its own uniform per run, so knowing one
moves none of the others.

>>> from ductplanner.model.scenarios import parse_scenario
>>> s = parse_scenario('[scenario]\nname = "x"\n[regrowth]\nmean_cycle_years = [5, 6]\n')
>>> p = RunParameters.draw(s, runs=4, seed=1)
>>> [round(float(x), 2) for x in p.mean_cycle_years]
[5.39, 5.42, 5.51, 5.36]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..model.scenarios import Scenario, Span, Uncertain

__all__ = ["CONFIDENCE_CLASSES", "PARAMETER_STREAM", "PROJECT_STREAM", "RunParameters", "stream"]

CONFIDENCE_CLASSES = ("firm", "budgeted", "indicative")
"""The confidence classes of announced digs (``[confidence]``), each possibly a range."""

PARAMETER_STREAM = 0x5EED_0F_7A
"""Spawn key of the parameters' random stream (apart from the digs' streams)."""
PROJECT_STREAM = 0x5EED_0F_7B
"""Spawn key of the stream that cuts the network into renewal projects."""


def stream(seed: int, key: int) -> np.random.Generator:
    """Return the random stream ``key`` of a run's ``seed``, apart from the digs' streams."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))


@dataclass(frozen=True)
class RunParameters:
    """Each run's own values of the scenario's uncertain parameters (one entry per run).

    Attributes
    ----------
    mean_cycle_years : ndarray (R,)
        Mean years between two digs of a street edge.
    slip_years : ndarray (R,)
        Mean delay of a known dig that misses its window.
    cancel_share : ndarray (R,)
        Share of the missed known digs that are cancelled, not delayed.
    confidence : dict of str to ndarray (R,)
        The probability of each confidence class (``firm``, ``budgeted``,
        ``indicative``) that a scenario gives as a range; a known class is
        left out (its digs keep their own probability).
    """

    mean_cycle_years: np.ndarray
    slip_years: np.ndarray
    cancel_share: np.ndarray
    confidence: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def draw(cls, scenario: Scenario, *, runs: int, seed: int) -> RunParameters:
        """Draw every run's values (a known value is the same in every run)."""
        c = scenario.confidence
        values = (scenario.regrowth.mean_cycle_years, c.slip_years, c.cancel_share)
        classes = {name: getattr(c, name) for name in CONFIDENCE_CLASSES}
        # one uniform per value and run, drawn whether the value is known or not: fixing
        # one value (what the band's sources do) leaves every other draw as it was
        u = stream(seed, PARAMETER_STREAM).random((len(values) + len(classes), runs))
        cycle, slip, cancel = (_scaled(v, share) for v, share in zip(values, u, strict=False))
        ranged = {
            name: _scaled(value, u[len(values) + k])
            for k, (name, value) in enumerate(classes.items())
            if not Span.of(value).fixed
        }
        return cls(cycle, slip, cancel, confidence=ranged)

    @classmethod
    def fixed(
        cls, *, runs: int, mean_cycle_years: float, slip_years: float, cancel_share: float
    ) -> RunParameters:
        """Return the same known values for every run."""
        return cls(
            np.full(runs, float(mean_cycle_years)),
            np.full(runs, float(slip_years)),
            np.full(runs, float(cancel_share)),
        )

    def batch(self, lo: int, hi: int) -> RunParameters:
        """Return the values of runs ``lo`` to ``hi - 1``."""
        return RunParameters(
            self.mean_cycle_years[lo:hi],
            self.slip_years[lo:hi],
            self.cancel_share[lo:hi],
            {name: p[lo:hi] for name, p in self.confidence.items()},
        )


def _scaled(value: Uncertain, share: np.ndarray) -> np.ndarray:
    """Return ``value`` at each uniform ``share`` of its span (its value when known)."""
    span = Span.of(value)
    if span.fixed:
        return np.full(len(share), span.low)
    return span.low + share * (span.high - span.low)
