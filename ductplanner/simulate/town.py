"""The town to simulate, on plain arrays: streets, households, ducts, roots, digs, districts."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from ..model.scenarios import UnitCosts

__all__ = ["SimulationInput"]

DEFAULT_CO_DIG_PER_M = UnitCosts().co_dig_per_m
"""DKK per metre of a known dig given without a price (the scenarios' default co-digging cost)."""


def _array(value: object, dtype: object) -> np.ndarray:
    return np.asarray(value if value is not None else [], dtype=dtype)


@dataclass(frozen=True, eq=False)
class SimulationInput:
    """A town to simulate, on plain arrays (from a planning instance or a workspace).

    Parameters
    ----------
    n_nodes : int
        Junctions ``0 .. n_nodes - 1``.
    edge_u, edge_v : array of int, length E
        End nodes of the street edges.
    edge_length_m : array of float
        Edge lengths (a trench of our own costs metres x the own-trench price).
    edge_households : array of float
        Households duct-covered when the edge carries a linked duct.
    has_duct : array of bool
        Existing ducts.
    root_nodes : array of int
        Nodes on the backbone.
    edge_ids : array of str, optional
        Edge ids (default ``"e0", ...``).
    last_dug : array of float, optional
        Year each edge was last dug (NaN: unknown; the process is then in
        equilibrium).
    dig_edge, dig_time, dig_group, dig_probability, dig_cost_dkk, dig_free : arrays
        The known dig plans, one row per (dig, edge): the edge, when the
        trench opens (a fractional calendar year, e.g. 2019.7), which dig
        it belongs to (all rows of a dig share its fate), the probability
        it opens in its window, what co-laying a duct costs, and whether it
        is the fibre project's own dig (its duct is laid in every policy, at
        no cost to the budget).
    dig_ids : array of str, optional
        Name of each dig group (index = ``dig_group``).
    district_names : sequence of str
        Reporting districts.
    edge_district_households : sparse matrix (E x D), optional
        Households of each edge in each district.
    district_households : array of float, length D
        All households of each district (also those no edge can cover).
    households_total : float, optional
        All households (default: the sum over the edges).
    """

    n_nodes: int
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_households: np.ndarray
    has_duct: np.ndarray
    root_nodes: np.ndarray
    edge_ids: np.ndarray | None = None
    last_dug: np.ndarray | None = None
    dig_edge: np.ndarray | None = None
    dig_time: np.ndarray | None = None
    dig_group: np.ndarray | None = None
    dig_probability: np.ndarray | None = None
    dig_cost_dkk: np.ndarray | None = None
    dig_free: np.ndarray | None = None
    dig_ids: np.ndarray | None = None
    district_names: Sequence[str] = ()
    edge_district_households: sparse.csr_matrix | None = None
    district_households: np.ndarray | None = None
    households_total: float | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "edge_u", _array(self.edge_u, np.int64))
        put(self, "edge_v", _array(self.edge_v, np.int64))
        e = len(self.edge_u)
        put(self, "edge_length_m", _array(self.edge_length_m, float))
        put(self, "edge_households", _array(self.edge_households, float))
        put(self, "has_duct", _array(self.has_duct, bool))
        put(self, "root_nodes", np.unique(_array(self.root_nodes, np.int64)))
        if self.edge_ids is None:
            put(self, "edge_ids", np.array([f"e{i}" for i in range(e)], dtype=object))
        put(self, "edge_ids", np.asarray(self.edge_ids, dtype=object))
        last = np.full(e, np.nan) if self.last_dug is None else _array(self.last_dug, float)
        put(self, "last_dug", last)
        put(self, "dig_edge", _array(self.dig_edge, np.int64))
        c = len(self.dig_edge)
        put(self, "dig_time", _array(self.dig_time, float))
        group = np.arange(c) if self.dig_group is None else _array(self.dig_group, np.int64)
        put(self, "dig_group", group)
        p = np.ones(c) if self.dig_probability is None else _array(self.dig_probability, float)
        put(self, "dig_probability", p)
        cost = (
            self.edge_length_m[self.dig_edge] * DEFAULT_CO_DIG_PER_M
            if self.dig_cost_dkk is None
            else _array(self.dig_cost_dkk, float)
        )
        put(self, "dig_cost_dkk", cost)
        free = np.zeros(c, bool) if self.dig_free is None else _array(self.dig_free, bool)
        put(self, "dig_free", free)
        n_groups = int(group.max()) + 1 if c else 0
        if self.dig_ids is None:
            put(self, "dig_ids", np.array([f"d{i}" for i in range(n_groups)], dtype=object))
        put(self, "district_names", tuple(str(d) for d in self.district_names))
        d = len(self.district_names)
        if self.edge_district_households is None:
            put(self, "edge_district_households", sparse.csr_matrix((e, d)))
        put(self, "edge_district_households", sparse.csr_matrix(self.edge_district_households))
        if self.district_households is None:
            totals = np.asarray(self.edge_district_households.sum(axis=0)).ravel()
            put(self, "district_households", totals)
        put(self, "district_households", _array(self.district_households, float))
        if self.households_total is None:
            put(self, "households_total", float(self.edge_households.sum()))
        lengths = {
            len(getattr(self, n))
            for n in (
                "edge_v",
                "edge_length_m",
                "edge_households",
                "has_duct",
                "edge_ids",
                "last_dug",
            )
        }
        if lengths != {e}:
            raise ValueError("every edge array must have one value per edge")
        dig_lengths = {
            len(getattr(self, n))
            for n in (
                "dig_time",
                "dig_group",
                "dig_probability",
                "dig_cost_dkk",
                "dig_free",
            )
        }
        if c and dig_lengths != {c}:
            raise ValueError("every dig array must have one value per (dig, edge) row")
        if self.edge_district_households.shape != (e, d) or len(self.district_households) != d:
            raise ValueError("district arrays must be E x D and D long")

    @property
    def n_edges(self) -> int:
        """Number of street edges."""
        return len(self.edge_u)

    @property
    def n_districts(self) -> int:
        """Number of districts."""
        return len(self.district_names)

    def without_plans(self) -> SimulationInput:
        """Return the same town with no known dig plans."""
        return dataclasses.replace(
            self,
            dig_edge=None,
            dig_time=None,
            dig_group=None,
            dig_probability=None,
            dig_cost_dkk=None,
            dig_free=None,
            dig_ids=None,
        )

