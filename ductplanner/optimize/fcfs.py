"""First come, first served: the plan a project manager makes by hand.

Digs are joined in the order they start (then by dig id), each in its own
year, as long as that year's co-digging money lasts: a dig that fits is
joined whole; one that does not is joined stretch by stretch (in candidate
order) while the money lasts, and the manager goes on to the next dig.
Stretches on streets that already have a duct, or that an earlier dig
already gave one, are skipped. Nobody checks whether a stretch will ever be
linked to the backbone, and no own trenches are dug: that is what the
optimizer adds, and what this baseline measures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._instance import PlanningInstance

__all__ = ["fcfs_candidates"]


def fcfs_candidates(
    inst: PlanningInstance, *, min_probability: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Return the candidates joined first come, first served, and their year indices.

    Parameters
    ----------
    inst : PlanningInstance
        The problem.
    min_probability : float
        Leave out digs less likely than this to open their trench.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Chosen candidate indices, in the order they were joined, and the plan
        year index each is laid in.
    """
    usable = (
        ~inst.cand_own & ~inst.has_duct[inst.cand_edge] & (inst.cand_probability >= min_probability)
    )
    index = np.flatnonzero(usable)
    frame = pd.DataFrame(
        {
            "cand": index,
            "dig": inst.cand_dig_id[index].astype(str),
            "year": np.searchsorted(np.asarray(inst.years), inst.cand_year[index]),
            "start": inst.cand_start[index],
        }
    )
    frame["dig_start"] = frame.groupby(["dig", "year"])["start"].transform("min")
    frame = frame.sort_values(["dig_start", "dig", "year", "cand"], kind="stable")
    left = inst.budget_co_dig.astype(float).copy()
    laid = np.zeros(inst.n_edges, dtype=bool)
    chosen: list[int] = []
    years: list[int] = []
    for (_, _, year), group in frame.groupby(["dig_start", "dig", "year"], sort=False):
        cands = [c for c in group["cand"].tolist() if not laid[inst.cand_edge[c]]]
        cands = list(dict.fromkeys(cands))
        edges = inst.cand_edge[cands]
        _, first = np.unique(edges, return_index=True)
        cands = [cands[i] for i in sorted(first)]
        if inst.cand_cost_dkk[cands].sum() > left[year] + 1e-9:
            affordable = []
            money = left[year]
            for c in cands:
                if inst.cand_cost_dkk[c] <= money + 1e-9:
                    affordable.append(c)
                    money -= inst.cand_cost_dkk[c]
            cands = affordable
        for c in cands:
            left[year] -= inst.cand_cost_dkk[c]
            laid[inst.cand_edge[c]] = True
            chosen.append(c)
            years.append(int(year))
    return np.asarray(chosen, dtype=np.int64), np.asarray(years, dtype=np.int64)
