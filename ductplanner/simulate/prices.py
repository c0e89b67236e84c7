"""What laying a duct on a (run, edge) costs: a price per edge, overridden per (run, edge)."""

from __future__ import annotations

import numpy as np

__all__ = ["Prices"]


class Prices:
    """What laying a duct on (run, edge) costs: a price per edge, overridden per (run, edge)."""

    def __init__(
        self,
        per_edge: np.ndarray,
        run: np.ndarray | None = None,
        edge: np.ndarray | None = None,
        cost: np.ndarray | None = None,
    ) -> None:
        self.per_edge = per_edge
        e_count = len(per_edge)
        if run is None or len(run) == 0:
            self.keys = np.zeros(0, np.int64)
            self.cost = np.zeros(0)
            return
        if edge is None or cost is None:
            raise ValueError("prices per (run, edge) need the edge and the cost of each run")
        keys = run * e_count + edge
        order = np.lexsort((cost, keys))  # the cheapest price of a (run, edge) first
        keys, cost = keys[order], cost[order]
        first = np.r_[True, keys[1:] != keys[:-1]]
        self.keys, self.cost = keys[first], cost[first]

    @property
    def cheapest(self) -> float:
        """The lowest price of any (run, edge)."""
        prices = np.concatenate([self.per_edge, self.cost])
        return float(prices.min()) if len(prices) else 0.0

    def __call__(self, run: np.ndarray, edge: np.ndarray) -> np.ndarray:
        """Return the price of each (run, edge)."""
        out = self.per_edge[edge].astype(float)
        if len(self.keys):
            keys = run * len(self.per_edge) + edge
            i = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
            hit = self.keys[i] == keys
            out[hit] = self.cost[i[hit]]
        return out
