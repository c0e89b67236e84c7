"""The forecast of one scenario: its bands over the runs, its summary, and its workspace tables.

The table schemas (:data:`TABLES` and the column tuples) are documented in
:mod:`ductplanner.simulate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from .. import __version__
from ..core._clock import timestamp
from ..core._format import number, percent
from ..model.regrowth import DISTRIBUTIONS, Renewal, p_dug_within
from ..model.scenarios import Scenario, Span
from .policy import Policy
from .run import RawForecast
from .sources import SOURCE_WORDS, explained_shares
from .town import SimulationInput
from .uncertain import RunParameters

__all__ = [
    "EDGE_COLUMNS",
    "FORECAST_COLUMNS",
    "FRONTIER_COLUMNS",
    "REACH_COLUMNS",
    "REACH_SHARES",
    "RUN_COLUMNS",
    "TABLES",
    "Forecast",
    "project_sentence",
    "renewal_sentence",
]

TABLES = ("forecast", "forecast_edges", "frontier", "forecast_runs", "forecast_sources")
"""The attribute-only workspace tables the forecast writes."""

FORECAST_COLUMNS = (
    "scenario",
    "scenario_name",
    "district",
    "year",
    "households_total",
    "p10",
    "p50",
    "p90",
    "mean",
    "p_reach_target",
    "p_reach_25",
    "p_reach_50",
    "p_reach_75",
    "p_reach_90",
)
REACH_SHARES = (0.25, 0.5, 0.75, 0.9)
"""Shares of a district's households whose chance of being reached the forecast gives."""
REACH_COLUMNS = tuple(f"p_reach_{round(s * 100)}" for s in REACH_SHARES)
"""The ``forecast`` columns of those chances (an older forecast lacks them)."""
EDGE_COLUMNS = ("scenario", "edge_id", "year", "p_covered")
FRONTIER_COLUMNS = ("scenario", "budget_dkk", "year", "p10", "p50", "p90", "households_total")
RUN_COLUMNS = (
    "scenario",
    "runs",
    "seed",
    "horizon",
    "distribution",
    "mean_cycle_years",
    "mean_cycle_low",
    "mean_cycle_high",
    "project_length_m",
    "gamma_shape",
    "as_of",
    "side_path_distance_m",
    "created",
    "version",
)

_QUANTILE_METHOD: Final = "inverted_cdf"  # a value some run had: whole households


# --- the renewal shape, in words ----------------------------------------------------------------


def renewal_sentence(renewal: Renewal, years: float = 5.0, scenario: Scenario | None = None) -> str:
    """Return the renewal shape in words: its P(dug within ``years``), and the other shapes'.

    With ``scenario``, a mean cycle it gives as a range is named as one and
    the chances are averaged over it.
    """
    p = p_dug_within(years, renewal if scenario is None else scenario)
    span = Span.of(renewal.mean if scenario is None else scenario.regrowth.mean_cycle_years)
    mean = f"mean {span.low:g} years" if span.fixed else f"mean {span} years (each run its own)"
    others = [
        f"{renewal.with_distribution(name).label()} would give {p[name]:.2f}"
        for name in DISTRIBUTIONS
        if name != renewal.distribution
    ]
    return (
        f"assumed gaps between digs: {renewal.label()}, {mean}, so "
        f"P(street dug within {years:g} years) = {p[renewal.distribution]:.2f}; "
        + "; ".join(others)
    )


def project_sentence(length_m: float) -> str:
    """Return how digging comes, in words: in projects of a length, or street by street."""
    if length_m <= 0:
        return "digging comes street by street: every street edge is renewed on its own"
    return (
        f"digging comes in projects: about {length_m:,.0f} m of connected streets opened in "
        "one season, so whole neighbourhoods are dug (and missed) together"
    )


# --- the result ---------------------------------------------------------------------------------


@dataclass
class Forecast:
    """The simulated coverage of one scenario: per run, year and district.

    Attributes
    ----------
    scenario : Scenario
    key : str
        The scenario's key in the workspace tables (its file stem).
    runs, seed : int
    raw : RawForecast
        Per-run results (``covered`` (runs x years), ``district_covered``
        (runs x years x districts), ``edge_p_covered`` (years x edges), ...).
    inp : SimulationInput
        The town simulated.
    renewal : Renewal
        The gap distribution; its mean is the middle of the scenario's range.
    seconds : float
        Wall-clock time of the simulation.
    params : RunParameters, optional
        Each run's own mean cycle, slip and cancel share.
    sources : DataFrame, optional
        The ``forecast_sources`` rows: the band with each source of
        uncertainty known in turn (:mod:`.sources`).
    """

    scenario: Scenario
    key: str
    runs: int
    seed: int
    raw: RawForecast
    inp: SimulationInput
    renewal: Renewal
    seconds: float = 0.0
    params: RunParameters | None = None
    sources: pd.DataFrame | None = None

    @property
    def _cycle_range(self) -> tuple[float, float]:
        """The scenario's range of the mean cycle (low = high when it is known)."""
        span = Span.of(self.scenario.regrowth.mean_cycle_years)
        return span.low, span.high

    @property
    def years(self) -> list[int]:
        """The simulated years (coverage at the end of each)."""
        return list(self.raw.years)

    @property
    def households_total(self) -> int:
        """All households of the municipality."""
        return round(float(self.inp.households_total))

    def _bands(self, values: np.ndarray, total: float) -> dict[str, list[float]]:
        """P10, P50, P90, mean and P(reach a share) over the runs (axis 0).

        ``p_reach_target`` is the chance of reaching the scenario's target
        share, ``p_reach_25`` ... ``p_reach_90`` that of each of
        :data:`REACH_SHARES`.
        """
        q = np.quantile(values, [0.1, 0.5, 0.9], axis=0, method=_QUANTILE_METHOD)

        def reach(share: float) -> list[float]:
            if total <= 0:
                return [0.0] * values.shape[1]
            return [round(float(x), 4) for x in (values >= share * total - 1e-9).mean(axis=0)]

        return {
            "p10": [round(float(x)) for x in q[0]],
            "p50": [round(float(x)) for x in q[1]],
            "p90": [round(float(x)) for x in q[2]],
            "mean": [round(float(x), 1) for x in values.mean(axis=0)],
            "p_reach_target": reach(self.scenario.coverage.target_share),
            **{f"p_reach_{round(share * 100)}": reach(share) for share in REACH_SHARES},
        }

    def summary(self) -> dict[str, Any]:
        """Return the JSON summary (the public keys of ``ductplanner simulate --json``)."""
        s = self.scenario
        total = float(self.inp.households_total)
        out: dict[str, Any] = {
            "scenario": self.key,
            "scenario_name": s.name,
            "policy": s.policy,
            "years": self.years,
            "horizon": self.years[-1],
            "runs": self.runs,
            "seed": self.seed,
            "households_total": self.households_total,
            "households_now": round(self.raw.covered_now),
            **self._bands(self.raw.covered, total),
            "target_share": s.coverage.target_share,
            "distribution": self.renewal.distribution,
            "mean_cycle_years": self.renewal.mean,
            "gamma_shape": self.renewal.gamma_shape,
            "uniform_spread": self.renewal.uniform_spread,
            "mean_cycle_range_years": list(self._cycle_range),
            "project_length_m": self.scenario.regrowth.project_length_m,
            "p_dug_within_5_years": {
                k: round(v, 3) for k, v in p_dug_within(5.0, self.scenario).items()
            },
            "budget_co_dig_dkk": Policy.from_scenario(s).budget_co_dig,
            "budget_own_dig_dkk": Policy.from_scenario(s).budget_own_dig,
            "spent_co_dig_dkk": [round(float(x)) for x in self.raw.spent_co_dig],
            "spent_own_dig_dkk": [round(float(x)) for x in self.raw.spent_own_dig],
            "share_of_streets_dug": [round(float(x), 4) for x in self.raw.dug_share],
            "seconds": round(self.seconds, 2),
            **self._sources_summary(),
        }
        districts = {}
        for j, name in enumerate(self.inp.district_names):
            d_total = float(self.inp.district_households[j])
            districts[name] = {
                "households_total": round(d_total),
                **self._bands(self.raw.district_covered[:, :, j], d_total),
            }
        out["districts"] = districts
        return out

    def districts_reaching_target(self, *, at_least: float = 0.5) -> list[str]:
        """Districts that reach the target share by the horizon in at least this share of runs."""
        summary = self.summary()["districts"]
        return [
            name
            for name, d in summary.items()
            if d["households_total"] > 0 and d["p_reach_target"][-1] >= at_least
        ]

    def _sources_summary(self) -> dict[str, Any]:
        """``band_sources`` (each source's share of the band) and ``under_cycle``."""
        if self.sources is None:
            return {}
        table = self.sources
        ends = {}
        for end in ("cycle_low", "cycle_high"):
            rows = table[table["source"] == end].sort_values("year")
            if len(rows):
                span = Span.of(self.scenario.regrowth.mean_cycle_years)
                ends[f"{span.low if end == 'cycle_low' else span.high:g}"] = {
                    key: [round(float(x)) for x in rows[key]] for key in ("p10", "p50", "p90")
                }
        return {"band_sources": explained_shares(table), "under_cycle": ends}

    def text(self) -> str:
        """Return the human summary."""
        s = self.summary()
        total, horizon = s["households_total"], s["horizon"]
        reaching = self.districts_reaching_target()
        names = ", ".join(reaching[:8]) + (" ..." if len(reaching) > 8 else "")
        n_districts = sum(1 for d in s["districts"].values() if d["households_total"] > 0)
        lines = [
            f"Forecast: {s['scenario_name']} ({s['scenario']}), {number(s['runs'])} runs, "
            f"seed {s['seed']}, {s['years'][0]}-{horizon}",
            f"  duct-covered now   {number(s['households_now'])} of {number(total)} households"
            f" ({percent(s['households_now'], total)})",
            f"  by the end of {horizon}: P10 {number(s['p10'][-1])}, P50 {number(s['p50'][-1])}, "
            f"P90 {number(s['p90'][-1])} of {number(total)} households "
            f"(median {percent(s['p50'][-1], total)})",
            f"  districts reaching {s['target_share']:.0%} by {horizon} in at least half the "
            f"runs: {len(reaching)} of {n_districts}" + (f" ({names})" if reaching else ""),
            f"  {renewal_sentence(self.renewal, scenario=self.scenario)}",
            f"  {project_sentence(self.scenario.regrowth.project_length_m)}",
        ]
        if "band_sources" in s:
            lines.append(f"  {self._sources_sentence(s)}")
        return "\n".join(lines)

    def _sources_sentence(self, s: dict[str, Any]) -> str:
        """Say what the band at the horizon is made of, and the forecast under each cycle end."""
        horizon, total = s["horizon"], s["households_total"]
        shares = s["band_sources"].items()
        parts = [f"{share:.0%} from {SOURCE_WORDS[k]}" for k, share in shares if share >= 0.01]
        text = f"the band of {horizon} (P10-P90 {number(s['p10'][-1])}-{number(s['p90'][-1])})"
        text += ": " + ", ".join(parts) + ", the rest is chance" if parts else ": all chance"
        ends = [
            f"with a {cycle}-year cycle the median is {percent(e['p50'][-1], total)}"
            for cycle, e in s["under_cycle"].items()
        ]
        return text + ("; " + ", ".join(ends) if ends else "")

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return this scenario's rows of ``forecast``, ``forecast_edges``, ``forecast_runs``."""
        s = self.summary()
        rows = []
        parts = [("", s["households_total"], s)] + [
            (name, d["households_total"], d) for name, d in s["districts"].items()
        ]
        for district, total, bands in parts:
            for k, year in enumerate(s["years"]):
                rows.append(
                    {
                        "scenario": self.key,
                        "scenario_name": self.scenario.name,
                        "district": district,
                        "year": year,
                        "households_total": int(total),
                        "p10": float(bands["p10"][k]),
                        "p50": float(bands["p50"][k]),
                        "p90": float(bands["p90"][k]),
                        "mean": float(bands["mean"][k]),
                        "p_reach_target": float(bands["p_reach_target"][k]),
                        **{c: float(bands[c][k]) for c in REACH_COLUMNS},
                    }
                )
        forecast = pd.DataFrame(rows, columns=list(FORECAST_COLUMNS))
        p = self.raw.edge_p_covered
        y_idx, e_idx = np.nonzero(p > 0)
        edges = pd.DataFrame(
            {
                "scenario": self.key,
                "edge_id": self.inp.edge_ids[e_idx].astype(str),
                "year": np.asarray(self.years, dtype=np.int64)[y_idx],
                "p_covered": np.round(p[y_idx, e_idx], 4),
            },
            columns=list(EDGE_COLUMNS),
        )
        manifest = pd.DataFrame(
            [
                {
                    "scenario": self.key,
                    "runs": self.runs,
                    "seed": self.seed,
                    "horizon": s["horizon"],
                    "distribution": self.renewal.distribution,
                    "mean_cycle_years": self.renewal.mean,
                    "mean_cycle_low": self._cycle_range[0],
                    "mean_cycle_high": self._cycle_range[1],
                    "project_length_m": self.scenario.regrowth.project_length_m,
                    "gamma_shape": self.renewal.gamma_shape,
                    "as_of": "" if self.inp.as_of is None else self.inp.as_of.isoformat(),
                    "side_path_distance_m": self.scenario.coverage.side_path_distance_m,
                    "created": timestamp(),
                    "version": __version__,
                }
            ],
            columns=list(RUN_COLUMNS),
        )
        out = {"forecast": forecast, "forecast_edges": edges, "forecast_runs": manifest}
        if self.sources is not None:
            out["forecast_sources"] = self.sources
        return out
