"""The report of the co-digging overlay: the opportunities, the conflicts and their summary.

:func:`ductplanner.analysis.opportunities.find_opportunities` builds an
:class:`OpportunityReport`; it sums the candidates up per owner and year, for the JSON
summary and for people.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..core._format import some_ids
from ..model.network import StreetNetwork
from ..model.scenarios import Scenario
from .conflicts import CONFLICT_YEARS
from .digs import LEFT_OUT_REASONS
from .reach import duct_reach

__all__ = ["OpportunityReport", "left_out_text"]


@dataclass
class OpportunityReport:
    """The co-digging opportunities of one workspace state, and the conflicts.

    Attributes
    ----------
    opportunities : GeoDataFrame
        The ``opportunities`` layer (columns
        :data:`~ductplanner.analysis.opportunities.OPPORTUNITY_COLUMNS`):
        candidates first, in the order :func:`~ductplanner.optimize.planning_instance` numbers them,
        then the stretches the planner cannot choose.
    conflicts : GeoDataFrame
        The ``conflicts`` layer (columns
        :data:`~ductplanner.analysis.conflicts.CONFLICT_COLUMNS`).
    network : StreetNetwork
        The street network the digs were overlaid on.
    edge_households : ndarray of int
        Households per edge (network edge order).
    scenario : Scenario
        Whose costs, years and probabilities were used.
    counts : dict
        What was left out and why (see :meth:`summary`).
    year : int or None
        Only digs open in this year were considered.
    conflict_years : float
        The protection period used.
    """

    opportunities: gpd.GeoDataFrame
    conflicts: gpd.GeoDataFrame
    network: StreetNetwork
    edge_households: np.ndarray
    scenario: Scenario
    counts: dict[str, Any] = field(default_factory=dict)
    year: int | None = None
    conflict_years: float = CONFLICT_YEARS

    @property
    def candidates(self) -> gpd.GeoDataFrame:
        """The stretches the planner may choose (whole edge, in a plan year)."""
        return self.opportunities[self.opportunities["candidate"].to_numpy(dtype=bool)]

    def summary(self) -> dict[str, Any]:
        """Return the JSON summary of ``ductplanner opportunities``.

        Returns
        -------
        dict
            Stable keys:

            ``scenario`` (name), ``years`` (plan years, first and last),
            ``year`` (the ``--year`` filter or None), ``digs_total``,
            ``digs_active`` (planned or confirmed), ``digs_done``,
            ``digs_cancelled``, ``digs_not_open_in_year`` (None without ``year``),
            ``digs_with_candidates``, ``digs_off_street`` (active digs near no
            street) and ``digs_off_street_ids`` (their ids), ``stretches`` (rows
            of the layer), ``candidates``, ``metres``, ``cost_dkk`` (of the
            candidates), ``households_now`` and ``households_potential``
            (candidates' households, each street edge and island counted once),
            ``touches`` (``network``, ``island``, ``none`` → candidates),
            ``partial`` and ``outside_years`` (``stretches``, ``metres``,
            ``digs``: listed, not candidates;
            ``outside_years`` also ``by_year``: digs per start year),
            ``digs_declined``, ``digs_closed``, ``digs_left_out`` and
            ``left_out`` (reason → ``digs``, ``ids``: digs that give no
            candidate, see :data:`~ductplanner.analysis.digs.LEFT_OUT_REASONS`),
            ``warnings`` (texts: open digs outside the plan years),
            ``along_duct`` (``stretches``, ``metres``, ``digs``: on streets
            with a duct, no stretch), ``fibre_project`` (``digs``,
            ``candidates``, ``metres``), ``by_owner`` and ``by_year`` (→
            ``candidates``, ``metres``, ``cost_dkk``, ``households_now``,
            ``households_potential``), ``conflicts``, ``conflict_pairs``
            (distinct pairs of digs), ``conflict_years``.
        """
        cand = self.candidates
        years = self.scenario.years
        out: dict[str, Any] = {
            "scenario": self.scenario.name,
            "years": [years[0], years[-1]],
            "year": self.year,
            **{k: v for k, v in self.counts.items() if k.startswith("digs_")},
            "stretches": len(self.opportunities),
            **self._totals(cand),
            "touches": {
                t: int((cand["touches"] == t).sum()) for t in ("network", "island", "none")
            },
            "partial": self.counts["partial"],
            "outside_years": self.counts["outside_years"],
            "left_out": self.counts.get("left_out", {}),
            "digs_left_out": sum(r["digs"] for r in self.counts.get("left_out", {}).values()),
            "along_duct": self.counts["along_duct"],
            "fibre_project": self.counts["fibre_project"],
            "by_owner": {
                str(owner): self._totals(rows)
                for owner, rows in cand.groupby(cand["owner"].astype(str), sort=True)
            },
            "by_year": {
                str(int(year)): self._totals(rows)
                for year, rows in cand.groupby(cand["year"].astype(int), sort=True)
            },
            "conflicts": len(self.conflicts),
            "conflict_pairs": int(self.conflicts[["dig_a", "dig_b"]].drop_duplicates().shape[0]),
            "conflict_years": self.conflict_years,
        }
        out["warnings"] = self.warnings()
        return out

    def warnings(self) -> list[str]:
        """Return what a planner must hear: open digs that no plan year can use."""
        o = self.counts["outside_years"]
        if not o["digs"]:
            return []
        where = ", ".join(f"{n:,} in {year}" for year, n in o["by_year"].items())
        first, last = self.scenario.years[0], self.scenario.years[-1]
        return [
            f"{_n(o['digs'], 'open dig')} ({_n(o['stretches'], 'stretch')}, "
            f"{o['metres']:,.0f} m) lie outside the plan years {first}-{last}: {where}; "
            f"plan from another year with --as-of DATE or --from YEAR, or set plan_years "
            "in the scenario"
        ]

    def _totals(self, rows: pd.DataFrame) -> dict[str, Any]:
        edges = self.network.positions(rows["edge_id"].astype(str).unique())
        now, potential = self._households(edges, rows)
        return {
            "candidates": len(rows),
            "metres": round(float(rows["metres"].sum()), 1),
            "cost_dkk": round(float(rows["cost_dkk"].sum()), 2),
            "households_now": now,
            "households_potential": potential,
        }

    def _households(self, edges: np.ndarray, rows: pd.DataFrame) -> tuple[int, int]:
        """Households of distinct edges plus the distinct islands they touch."""
        if len(edges) == 0:
            return 0, 0
        net = self.network
        h = self.edge_households
        reach = duct_reach(net, h)
        ends = np.unique(np.r_[net.u[edges], net.v[edges]])
        end_mask = np.zeros(net.n_nodes, dtype=bool)
        end_mask[ends] = True
        isl = reach.island_of_edge
        touching = (isl >= 0) & (end_mask[net.u] | end_mask[net.v])
        islands = np.unique(isl[touching])
        potential = int(h[edges].sum() + reach.island_households[islands].sum())
        linked = rows.drop_duplicates("edge_id")
        on = linked["touches"].to_numpy() == "network"
        now_edges = net.positions(linked["edge_id"].astype(str)[on])
        if len(now_edges) == 0:
            return 0, potential
        ends_now = np.zeros(net.n_nodes, dtype=bool)
        ends_now[net.u[now_edges]] = True
        ends_now[net.v[now_edges]] = True
        islands_now = np.unique(isl[(isl >= 0) & (ends_now[net.u] | ends_now[net.v])])
        now = int(h[now_edges].sum() + reach.island_households[islands_now].sum())
        return now, potential

    def text(self) -> str:
        """Return a short summary for people."""
        s = self.summary()
        lines = [
            f"{_n(s['candidates'], 'co-digging candidate')} from {s['digs_with_candidates']:,} "
            f"of {_n(s['digs_active'], 'open dig')}: {s['metres']:,.0f} m, "
            f"DKK {s['cost_dkk']:,.0f} ({self.scenario.name}); households "
            f"{s['households_now']:,} at once, {s['households_potential']:,} once connected",
            f"  touching the connected network: {s['touches']['network']:,}, an island: "
            f"{s['touches']['island']:,}, nothing: {s['touches']['none']:,}",
        ]
        if s["by_owner"]:
            lines.append("  by owner:")
            lines += [
                f"    {owner}: {_n(t['candidates'], 'stretch')}, {t['metres']:,.0f} m, "
                f"DKK {t['cost_dkk']:,.0f}, households {t['households_now']:,} / "
                f"{t['households_potential']:,}"
                for owner, t in s["by_owner"].items()
            ]
        if s["by_year"]:
            lines.append("  by year:")
            lines += [
                f"    {year}: {_n(t['candidates'], 'stretch')}, {t['metres']:,.0f} m, "
                f"DKK {t['cost_dkk']:,.0f}"
                for year, t in s["by_year"].items()
            ]
        left = []
        if s["along_duct"]["stretches"]:
            a = s["along_duct"]
            left.append(
                f"{_n(a['stretches'], 'stretch')} ({a['metres']:,.0f} m) of "
                f"{_n(a['digs'], 'dig')} along streets that have a duct already: no candidate"
            )
        if s["partial"]["stretches"]:
            p = s["partial"]
            left.append(
                f"{_n(p['stretches'], 'short partial stretch')} ({p['metres']:,.0f} m, under half "
                "their street edge): listed, not candidates"
            )
        if s["left_out"]:
            left.append(f"left out {_n(s['digs_left_out'], 'dig')}: " + left_out_text(s))
        if s.get("digs_not_open_in_year"):
            left.append(f"{s['digs_not_open_in_year']:,} digs not open in {s['year']}: left out")
        if s["digs_off_street"]:
            left.append(
                f"{_n(s['digs_off_street'], 'open dig')} near no street edge, so no stretch: "
                + some_ids(s["digs_off_street_ids"])
            )
        lines += [f"  {line}" for line in left]
        lines += [f"warning: {w}" for w in s["warnings"]]
        fib = s["fibre_project"]
        if fib["digs"]:
            lines.append(
                f"  the fibre project's {_n(fib['digs'], 'dig')}: "
                f"{_n(fib['candidates'], 'candidate')} ({fib['metres']:,.0f} m)"
            )
        lines.append(
            f"  conflicts: {_n(s['conflicts'], 'stretch')} "
            f"({_n(s['conflict_pairs'], 'pair')} of digs) opened by two parties within "
            f"{self.conflict_years:g} years"
        )
        return "\n".join(lines)

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Return the ``opportunities`` and ``conflicts`` layers to write."""
        return {"opportunities": self.opportunities, "conflicts": self.conflicts}


def left_out_text(s: Mapping[str, Any], listed: int = 5) -> str:
    """Return "3 done (the trench is closed), 1 declined by ... (NF-2026-011)"."""
    parts = []
    for reason, entry in s["left_out"].items():
        ids = entry["ids"]
        named = "" if reason in ("done", "cancelled") else some_ids(ids, listed)
        parts.append(
            f"{entry['digs']:,} {LEFT_OUT_REASONS[reason]}" + (f" ({named})" if named else "")
        )
    return "; ".join(parts)


def _n(count: int, noun: str) -> str:
    """Return ``"1 stretch"``, ``"2 stretches"``: a count with its noun."""
    plural = noun + ("es" if noun.endswith(("ch", "s")) else "s")
    return f"{count:,} {noun if count == 1 else plural}"
