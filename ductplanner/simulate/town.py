"""The town to simulate, on plain arrays: streets, households, ducts, roots, digs, districts."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from ..model.scenarios import UnitCosts

__all__ = ["SimulationInput"]

DEFAULT_CO_DIG_PER_M = UnitCosts().co_dig_per_m
"""DKK per metre of a known dig given without a price (the scenarios' default co-digging cost)."""


def _array(value: npt.ArrayLike | None, dtype: npt.DTypeLike) -> np.ndarray:
    return np.asarray(value if value is not None else [], dtype=dtype)


@dataclass(frozen=True, eq=False, init=False)
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
    dig_confidence : array of str, optional
        Each (dig, edge) row's confidence class (``firm``, ``budgeted``,
        ``indicative``), where its probability is that class's: a scenario
        that gives the class a range then draws its probability per run
        ("": the row keeps ``dig_probability``; the default).
    district_names : sequence of str
        Reporting districts.
    edge_district_households : sparse matrix (E x D), optional
        Households of each edge in each district.
    district_households : array of float, length D
        All households of each district (also those no edge can cover).
    households_total : float, optional
        All households (default: the sum over the edges).
    as_of : date, optional
        The day the town is as of: a run that starts in the past simulates
        the network as it was then (None: as the workspace is now).
    """

    # The constructor takes anything array-like, and None for the documented defaults;
    # it turns every field into a NumPy array of its dtype (the district table into a CSR
    # matrix, the total into a float), so code that reads an input sees what the
    # annotations say.
    n_nodes: int
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_households: np.ndarray
    has_duct: np.ndarray
    root_nodes: np.ndarray
    edge_ids: np.ndarray
    last_dug: np.ndarray
    dig_edge: np.ndarray
    dig_time: np.ndarray
    dig_group: np.ndarray
    dig_probability: np.ndarray
    dig_cost_dkk: np.ndarray
    dig_free: np.ndarray
    dig_ids: np.ndarray
    dig_confidence: np.ndarray
    district_names: tuple[str, ...]
    edge_district_households: sparse.csr_matrix
    district_households: np.ndarray
    households_total: float
    notes: list[str]
    as_of: dt.date | None

    def __init__(
        self,
        n_nodes: int,
        edge_u: npt.ArrayLike,
        edge_v: npt.ArrayLike,
        edge_length_m: npt.ArrayLike,
        edge_households: npt.ArrayLike,
        has_duct: npt.ArrayLike,
        root_nodes: npt.ArrayLike,
        edge_ids: npt.ArrayLike | None = None,
        last_dug: npt.ArrayLike | None = None,
        dig_edge: npt.ArrayLike | None = None,
        dig_time: npt.ArrayLike | None = None,
        dig_group: npt.ArrayLike | None = None,
        dig_probability: npt.ArrayLike | None = None,
        dig_cost_dkk: npt.ArrayLike | None = None,
        dig_free: npt.ArrayLike | None = None,
        dig_ids: npt.ArrayLike | None = None,
        dig_confidence: npt.ArrayLike | None = None,
        district_names: Sequence[str] = (),
        edge_district_households: object | None = None,
        district_households: npt.ArrayLike | None = None,
        households_total: float | None = None,
        notes: list[str] | None = None,
        as_of: dt.date | None = None,
    ) -> None:
        put = object.__setattr__
        put(self, "n_nodes", n_nodes)
        put(self, "edge_u", _array(edge_u, np.int64))
        put(self, "edge_v", _array(edge_v, np.int64))
        e = len(self.edge_u)
        put(self, "edge_length_m", _array(edge_length_m, float))
        put(self, "edge_households", _array(edge_households, float))
        put(self, "has_duct", _array(has_duct, bool))
        put(self, "root_nodes", np.unique(_array(root_nodes, np.int64)))
        if edge_ids is None:
            edge_ids = np.array([f"e{i}" for i in range(e)], dtype=object)
        put(self, "edge_ids", np.asarray(edge_ids, dtype=object))
        last = np.full(e, np.nan) if last_dug is None else _array(last_dug, float)
        put(self, "last_dug", last)
        put(self, "dig_edge", _array(dig_edge, np.int64))
        c = len(self.dig_edge)
        put(self, "dig_time", _array(dig_time, float))
        group = np.arange(c) if dig_group is None else _array(dig_group, np.int64)
        put(self, "dig_group", group)
        p = np.ones(c) if dig_probability is None else _array(dig_probability, float)
        put(self, "dig_probability", p)
        cost = (
            self.edge_length_m[self.dig_edge] * DEFAULT_CO_DIG_PER_M
            if dig_cost_dkk is None
            else _array(dig_cost_dkk, float)
        )
        put(self, "dig_cost_dkk", cost)
        free = np.zeros(c, bool) if dig_free is None else _array(dig_free, bool)
        put(self, "dig_free", free)
        n_groups = int(group.max()) + 1 if c else 0
        if dig_ids is None:
            dig_ids = np.array([f"d{i}" for i in range(n_groups)], dtype=object)
        put(self, "dig_ids", np.asarray(dig_ids))
        classes = np.full(c, "", dtype=object) if dig_confidence is None else dig_confidence
        put(self, "dig_confidence", np.asarray(classes, dtype=object))
        put(self, "district_names", tuple(str(d) for d in district_names))
        d = len(self.district_names)
        if edge_district_households is None:
            edge_district_households = sparse.csr_matrix((e, d))
        put(self, "edge_district_households", sparse.csr_matrix(edge_district_households))
        if district_households is None:
            totals = np.asarray(self.edge_district_households.sum(axis=0)).ravel()
            district_households = totals
        put(self, "district_households", _array(district_households, float))
        if households_total is None:
            households_total = float(self.edge_households.sum())
        put(self, "households_total", households_total)
        put(self, "notes", [] if notes is None else notes)
        put(self, "as_of", as_of)
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
                "dig_confidence",
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
        return SimulationInput(
            self.n_nodes,
            self.edge_u,
            self.edge_v,
            self.edge_length_m,
            self.edge_households,
            self.has_duct,
            self.root_nodes,
            edge_ids=self.edge_ids,
            last_dug=self.last_dug,
            district_names=self.district_names,
            edge_district_households=self.edge_district_households,
            district_households=self.district_households,
            households_total=self.households_total,
            notes=self.notes,
        )

    def with_sure_plans(self) -> SimulationInput:
        """Return the same town with every known dig plan sure to open on time."""
        sure = copy.copy(self)
        object.__setattr__(sure, "dig_probability", np.ones(len(self.dig_edge)))
        object.__setattr__(sure, "dig_confidence", np.full(len(self.dig_edge), "", dtype=object))
        return sure
