"""Why a plan chooses nothing: the one reason that holds, with the number behind it."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from ._instance import PlanningInstance

__all__ = ["why_nothing_chosen"]


def why_nothing_chosen(instance: PlanningInstance, min_probability: float = 0.0) -> str:
    """Return the first reason, in the order a planner checks them, that no stretch is chosen.

    No candidates; all too unlikely; all on streets with a duct; none within
    its year's budget (the cheapest, and the budget it meets); none that
    reaches the duct network or the backbone within budget (the cheapest that
    does); none that covers a household.

    >>> inst = PlanningInstance(
    ...     n_nodes=2, edge_u=[0], edge_v=[1], edge_length_m=[340], edge_households=[12],
    ...     root_nodes=[0], years=[2026], cand_edge=[0], cand_year=[2026],
    ...     cand_cost_dkk=[61_200], budget_co_dig=[50_000], cand_dig_id=["NOV-1"])
    >>> for part in why_nothing_chosen(inst).split("; "):
    ...     print(part)
    nothing chosen: the cheapest stretch costs DKK 61,200 (NOV-1, 2026)
    the 2026 budget is DKK 50,000
    """
    if instance.n_candidates == 0:
        return "nothing chosen: no candidate stretches to plan"
    p = instance.cand_probability
    if (p < min_probability).all():
        return (
            f"nothing chosen: every candidate is less likely than {min_probability:g} to open its "
            f"trench (the likeliest: {p.max():.2f})"
        )
    if instance.has_duct[instance.cand_edge].all():
        return "nothing chosen: every candidate lies on a street that has a duct already"
    budget = _budget_of(instance)
    affordable = instance.cand_cost_dkk <= budget + 1e-9
    if not affordable.any():
        everyone = np.ones(instance.n_candidates, dtype=bool)
        return "nothing chosen: " + _cheapest(instance, everyone, budget)
    linked = _touches_network(instance)
    if not (affordable & linked).any() and linked.any():
        return "nothing chosen: " + _cheapest(instance, linked, budget, "that reaches the network ")
    households = instance.edge_households[instance.cand_edge]
    if households[affordable].sum() == 0:
        return (
            "nothing chosen: the stretches within budget cover no households (no address within "
            "the drop distance of their streets, no duct island they would link)"
        )
    return (
        "nothing chosen: no stretch within its year's budget links households to the backbone "
        "(see the opportunities layer's touches and households columns)"
    )


def _budget_of(instance: PlanningInstance) -> np.ndarray:
    """Return each candidate's budget: its year's co-dig, or the best own-dig from its year."""
    years = np.asarray(instance.years)
    index = np.clip(np.searchsorted(years, instance.cand_year), 0, len(years) - 1)
    own_best = np.maximum.accumulate(instance.budget_own_dig[::-1])[::-1]
    own = instance.cand_kind == "own-dig"
    return np.where(own, own_best[index], instance.budget_co_dig[index])


def _cheapest(
    instance: PlanningInstance, among: np.ndarray, budget: np.ndarray, which: str = ""
) -> str:
    i = int(np.flatnonzero(among)[np.argmin(instance.cand_cost_dkk[among])])
    year = int(instance.cand_year[i])
    return (
        f"the cheapest stretch {which}costs DKK {instance.cand_cost_dkk[i]:,.0f} "
        f"({instance.cand_dig_id[i]}, {year}); the {year} budget is DKK {budget[i]:,.0f}"
    )


def _touches_network(instance: PlanningInstance) -> np.ndarray:
    """Return which candidates end at the backbone or at a duct connected to it."""
    n = instance.n_nodes
    ducts = np.flatnonzero(instance.has_duct)
    graph = sparse.coo_matrix(
        (np.ones(len(ducts)), (instance.edge_u[ducts], instance.edge_v[ducts])), shape=(n, n)
    )
    _, label = csgraph.connected_components(graph, directed=False)
    on_network = np.isin(label, label[instance.root_nodes])
    edge = instance.cand_edge
    return on_network[instance.edge_u[edge]] | on_network[instance.edge_v[edge]]
