"""The planning instance: a street graph, candidate stretches and yearly budgets.

The optimizer works on plain numpy arrays, not GeoDataFrames, so it can be
tested and benchmarked on its own and fed by the opportunities step.

The model
---------
*Street graph.* ``n_nodes`` junctions and ``E`` street edges ``(edge_u[e],
edge_v[e])``. ``edge_households[e]`` households become duct-covered when edge
``e`` carries a duct that is connected to the backbone. ``has_duct[e]`` marks
existing ducts (they carry a duct in every year). ``root_nodes`` are the nodes
on the backbone (points of presence).

*Candidates.* A candidate is one stretch of one dig on one edge: laying it
makes its edge carry a duct from its year on. A ``"co-dig"`` candidate exists
only in ``cand_year`` (the year the trench is open; missing it means it is
gone). An ``"own-dig"`` candidate is a trench of our own: it can be laid in any
plan year from ``cand_year`` on (an earlier ``cand_year`` means "from the
first plan year"). Co-dig candidates spend ``budget_co_dig[year]``, own-dig
candidates ``budget_own_dig[year]``; unspent money does not carry over. An edge
is laid at most once (a second duct in the same street adds nothing).

*Coverage.* In year ``t`` an edge is covered when it carries a duct and a path
of duct-carrying edges links it to a root node in year ``t``. A stretch that is
not connected is worth nothing until something connects it, but ducts stay,
so it can be worth laying now because the connecting dig comes later.

*Objective.* Maximise the households covered in the last plan year (the
horizon); secondarily cover them earlier: ``early_weight`` times the
household-years summed over the plan years. By default the weight is so small
(``1 / (T * H + 1)`` for ``T`` years and ``H`` households in all) that the
secondary term can never outweigh one household at the horizon.

``cand_probability`` (that the trench opens in its window) does not enter the
objective: a plan says what to join *if* the digs happen; the simulate step
forecasts what happens when some do not. Use ``min_probability`` to leave out
unlikely digs.

Filling an instance from a workspace
------------------------------------
What the opportunities step puts in (one street edge = one edge of the
street graph; ids carried through so a plan can be joined back to geometry):

===================== ===============================================================
field                 from
===================== ===============================================================
``n_nodes``,          the street graph's junctions numbered ``0..n-1`` and its edges
``edge_u/v``
``edge_ids``          the edge id (joins ``Plan.chosen["edge_id"]`` to the geometry)
``edge_length_m``     the edge's length in EPSG:25832
``edge_households``   units of the addresses whose nearest edge within the drop
                      distance is this edge (the coverage step's assignment)
``edge_weight``       what those households count for in the objective (optional;
                      default ``edge_households``): households whose address asked
                      for a duct count ``1 + optimizer.interest_weight`` times. Plans
                      report ``edge_households``, never the weight
``has_duct``          the edge carries an existing duct (``ducts`` with status existing)
``root_nodes``        nodes at the backbone's points of presence (and on fibre lines)
``years``, budgets    :meth:`Scenario.budgets` of the scenario
``cand_*``            one row per (dig, edge) the dig opens: ``cand_dig_id`` and
                      ``cand_owner`` from the dig; ``cand_year`` the year its trench is
                      open (start year); ``cand_start`` its start date;
                      ``cand_metres`` the duct metres; ``cand_cost_dkk`` =
                      metres x ``costs.co_dig_per_m``; ``cand_probability`` =
                      ``confidence.probability(dig.confidence)``; kind ``"co-dig"``
own trenches          under the ``own-dig`` policy, one ``"own-dig"`` row per edge
                      without a duct: metres = edge length, cost = metres x
                      ``costs.own_dig_per_m``, year = first plan year, probability 1
===================== ===============================================================

Laying a candidate ducts its whole edge; where a dig opens only part of a
street, the opportunities step decides (split the edge at the dig's end, or
leave the candidate out).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core._errors import InputError, Problem

__all__ = [
    "KINDS",
    "PlanningInstance",
    "random_instance",
]

KINDS = ("co-dig", "own-dig")
"""Candidate kinds: in another party's trench, or in a trench of our own."""

_SOURCE = "planning instance"

_OWNERS = ("Novafos", "Radius", "Ballerup fibre project")
_CONFIDENCE_P = (0.95, 0.75, 0.40)


def _as_array(value: Any, dtype: Any) -> np.ndarray:
    return np.asarray(value if value is not None else [], dtype=dtype)


@dataclass(frozen=True, eq=False)
class PlanningInstance:
    """A co-digging planning problem on plain arrays.

    Parameters
    ----------
    n_nodes : int
        Number of junctions; nodes are ``0 .. n_nodes - 1``.
    edge_u, edge_v : array of int, length E
        End nodes of each street edge.
    edge_length_m : array of float, length E
        Street edge lengths in metres.
    edge_households : array of float, length E
        Households covered by a connected duct on the edge.
    edge_weight : array of float, length E, optional
        What covering the edge is worth in the objective (default: its households).
    root_nodes : array of int
        Nodes on the backbone (points of presence).
    years : sequence of int
        The plan years, strictly increasing; the last one is the horizon.
    cand_edge : array of int, length C
        The edge each candidate lays a duct on.
    cand_year : array of int, length C
        Co-dig: the year the trench is open. Own-dig: the first year it may be
        dug.
    cand_cost_dkk : array of float, length C
        What laying the candidate costs.
    budget_co_dig, budget_own_dig : sequence or mapping year -> float
        DKK available per plan year for co-digging and for own trenches.
    edge_ids : array of str, optional
        Street edge ids (default ``"e0", "e1", ...``).
    has_duct : array of bool, optional
        Edges with an existing duct (default none).
    cand_id, cand_dig_id, cand_owner : array of str, optional
        Candidate id (default ``"c0", ...``), the dig it belongs to (default:
        the candidate id) and the dig's owner (default ``""``).
    cand_metres : array of float, optional
        Metres of duct laid (default: the edge length).
    cand_probability : array of float, optional
        Probability that the trench opens in its window (default 1).
    cand_kind : array of str, optional
        ``"co-dig"`` (default) or ``"own-dig"``.
    cand_start : array of datetime64[D], optional
        When the dig starts (orders the first-come-first-served baseline);
        default 1 January of ``cand_year``.

    Raises
    ------
    InputError
        Listing every problem: arrays of the wrong length, nodes or edges out
        of range, negative lengths, households, costs or budgets, unknown
        kinds, co-dig years outside the plan, duplicate ids.

    Examples
    --------
    Two edges in a row from the root ``0``; the far edge has 10 households:

    >>> inst = PlanningInstance(
    ...     n_nodes=3, edge_u=[0, 1], edge_v=[1, 2], edge_length_m=[100, 100],
    ...     edge_households=[0, 10], root_nodes=[0], years=[2019, 2020],
    ...     cand_edge=[1, 0], cand_year=[2019, 2020], cand_cost_dkk=[18_000, 18_000],
    ...     budget_co_dig=[20_000, 20_000], budget_own_dig=[0, 0])
    >>> inst.n_edges, inst.n_candidates
    (2, 2)
    """

    # The constructor takes anything array-like (lists, Series); __post_init__ turns every
    # field into a NumPy array of its dtype (None: the documented default), so code that
    # reads an instance sees arrays: that is what the annotations say.
    n_nodes: int
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_households: np.ndarray
    root_nodes: np.ndarray
    years: Sequence[int]
    cand_edge: np.ndarray
    cand_year: np.ndarray
    cand_cost_dkk: np.ndarray
    budget_co_dig: np.ndarray
    budget_own_dig: np.ndarray = field(default=())  # type: ignore[arg-type]
    edge_ids: np.ndarray = None  # type: ignore[assignment]
    has_duct: np.ndarray = None  # type: ignore[assignment]
    cand_id: np.ndarray = None  # type: ignore[assignment]
    cand_dig_id: np.ndarray = None  # type: ignore[assignment]
    cand_owner: np.ndarray = None  # type: ignore[assignment]
    cand_metres: np.ndarray = None  # type: ignore[assignment]
    cand_probability: np.ndarray = None  # type: ignore[assignment]
    cand_kind: np.ndarray = None  # type: ignore[assignment]
    cand_start: np.ndarray = None  # type: ignore[assignment]
    edge_weight: np.ndarray = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        years = [int(y) for y in self.years]
        n_e = len(np.atleast_1d(_as_array(self.edge_u, np.int64)))
        n_c = len(np.atleast_1d(_as_array(self.cand_edge, np.int64)))
        put = object.__setattr__
        put(self, "n_nodes", int(self.n_nodes))
        put(self, "years", years)
        put(self, "edge_u", _as_array(self.edge_u, np.int64))
        put(self, "edge_v", _as_array(self.edge_v, np.int64))
        put(self, "edge_length_m", _as_array(self.edge_length_m, np.float64))
        put(self, "edge_households", _as_array(self.edge_households, np.float64))
        weight = self.edge_households if self.edge_weight is None else self.edge_weight
        put(self, "edge_weight", _as_array(weight, np.float64))
        put(self, "root_nodes", np.unique(_as_array(self.root_nodes, np.int64)))
        put(self, "cand_edge", _as_array(self.cand_edge, np.int64))
        put(self, "cand_year", _as_array(self.cand_year, np.int64))
        put(self, "cand_cost_dkk", _as_array(self.cand_cost_dkk, np.float64))
        defaults: dict[str, tuple[Any, Any]] = {
            "edge_ids": (np.array([f"e{i}" for i in range(n_e)], dtype=object), object),
            "has_duct": (np.zeros(n_e, dtype=bool), bool),
            "cand_id": (np.array([f"c{i}" for i in range(n_c)], dtype=object), object),
            "cand_owner": (np.full(n_c, "", dtype=object), object),
            "cand_probability": (np.ones(n_c), np.float64),
            "cand_kind": (np.full(n_c, "co-dig", dtype=object), object),
        }
        for name, (default, dtype) in defaults.items():
            value = getattr(self, name)
            put(self, name, default if value is None else _as_array(value, dtype))
        if self.cand_dig_id is None:
            put(self, "cand_dig_id", self.cand_id.copy())
        else:
            put(self, "cand_dig_id", _as_array(self.cand_dig_id, object))
        if self.cand_metres is None:
            edges = self.cand_edge
            inside = (edges >= 0) & (edges < len(self.edge_length_m))
            metres = np.zeros(len(edges))
            metres[inside] = self.edge_length_m[edges[inside]]
            put(self, "cand_metres", metres)
        else:
            put(self, "cand_metres", _as_array(self.cand_metres, np.float64))
        if self.cand_start is None:
            put(self, "cand_start", _year_starts(self.cand_year))
        else:
            put(self, "cand_start", _as_array(self.cand_start, "datetime64[D]"))
        for name in ("budget_co_dig", "budget_own_dig"):
            put(self, name, _budget_array(getattr(self, name), years, name, problems))
        _check_years(years, problems)
        _check_edges(self, problems)
        _check_candidates(self, problems)
        _check_budgets(self, problems)
        if problems:
            raise InputError(
                problems, summary=f"{len(problems)} problem(s) in the planning instance"
            )

    @property
    def n_edges(self) -> int:
        """Number of street edges."""
        return len(self.edge_u)

    @property
    def n_candidates(self) -> int:
        """Number of candidate stretches."""
        return len(self.cand_edge)

    @property
    def n_years(self) -> int:
        """Number of plan years."""
        return len(self.years)

    @property
    def cand_own(self) -> np.ndarray:
        """True for own-dig candidates."""
        return np.asarray(self.cand_kind == "own-dig", dtype=bool)

    def default_early_weight(self) -> float:
        """Return the weight of household-years that never outweighs one household.

        Returns
        -------
        float
            ``1 / (T * H + 1)`` with ``T`` plan years and ``H`` households in all
            (weighted as the objective weighs them).
        """
        total = float(self.edge_weight.sum())
        return 1.0 / (self.n_years * total + 1.0)

    def describe(self) -> str:
        """Return a one-line description (sizes, budgets)."""
        own = int(self.cand_own.sum())
        return (
            f"{self.n_edges} street edges, {int(self.has_duct.sum())} with a duct, "
            f"{len(self.root_nodes)} root node(s), {self.n_candidates} candidates "
            f"({own} own-dig), years {self.years[0]}-{self.years[-1]}, "
            f"DKK {self.budget_co_dig.sum():,.0f} co-dig and "
            f"{self.budget_own_dig.sum():,.0f} own-dig budget"
        )


def _year_starts(years: np.ndarray) -> np.ndarray:
    return np.array([f"{int(y):04d}-01-01" for y in years], dtype="datetime64[D]")


def _budget_array(
    value: Sequence[float] | Mapping[int, float],
    years: list[int],
    name: str,
    problems: list[Problem],
) -> np.ndarray:
    if isinstance(value, Mapping):
        return np.array([float(value.get(y, 0.0)) for y in years])
    arr = np.asarray(value, dtype=np.float64).ravel()
    if arr.size == 0:
        return np.zeros(len(years))
    if arr.size != len(years):
        problems.append(
            _problem(
                "",
                name,
                "length",
                f"has {arr.size} values but there are {len(years)} plan years {years}",
                "give one budget per plan year, or a mapping year -> DKK",
            )
        )
        return np.zeros(len(years))
    return arr


def _problem(feature: str, field_name: str, rule: str, message: str, hint: str = "") -> Problem:
    return Problem(_SOURCE, "", feature, field_name, rule, message, hint)


def _check_years(years: list[int], problems: list[Problem]) -> None:
    if not years:
        problems.append(_problem("", "years", "required", "no plan years", "give years=[...]"))
    elif any(b <= a for a, b in itertools.pairwise(years)):
        problems.append(
            _problem("", "years", "order", f"{years} are not strictly increasing", "sort them")
        )


def _check_lengths(inst: PlanningInstance, names: tuple[str, ...], problems: list[Problem]) -> bool:
    ref = names[0]
    n = len(getattr(inst, ref))
    ok = True
    for name in names[1:]:
        m = len(getattr(inst, name))
        if m != n:
            ok = False
            problems.append(
                _problem("", name, "length", f"has {m} values but {ref} has {n}", "align arrays")
            )
    return ok


def _first_bad(ids: np.ndarray, bad: np.ndarray) -> str:
    """Name the first few offending features."""
    idx = np.flatnonzero(bad)
    shown = ", ".join(str(ids[i]) for i in idx[:5])
    more = f" and {len(idx) - 5} more" if len(idx) > 5 else ""
    return shown + more


def _check_edges(inst: PlanningInstance, problems: list[Problem]) -> None:
    if inst.n_nodes <= 0 or inst.n_edges == 0:
        problems.append(
            _problem(
                "",
                "edge_u",
                "required",
                "the street graph is empty",
                "build the instance from a streets layer with at least one edge",
            )
        )
        return
    names = (
        "edge_u", "edge_v", "edge_length_m", "edge_households", "edge_weight", "edge_ids",
        "has_duct",
    )  # fmt: skip
    if not _check_lengths(inst, names, problems):
        return
    ids = inst.edge_ids
    if len(set(ids.tolist())) != len(ids):
        problems.append(_problem("", "edge_ids", "unique", "edge ids are not unique"))
    for name in ("edge_u", "edge_v"):
        nodes = getattr(inst, name)
        bad = (nodes < 0) | (nodes >= inst.n_nodes)
        if bad.any():
            problems.append(
                _problem(
                    _first_bad(ids, bad),
                    name,
                    "range",
                    f"node numbers must be in 0..{inst.n_nodes - 1}",
                )
            )
    for name in ("edge_length_m", "edge_households", "edge_weight"):
        values = getattr(inst, name)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            problems.append(
                _problem(_first_bad(ids, bad), name, "range", "must be finite and >= 0")
            )
    roots = inst.root_nodes
    if roots.size == 0:
        problems.append(
            _problem(
                "",
                "root_nodes",
                "required",
                "no root nodes: nothing can be connected to the backbone",
                "add the points of presence of the backbone layer as root nodes",
            )
        )
    elif ((roots < 0) | (roots >= inst.n_nodes)).any():
        problems.append(
            _problem("", "root_nodes", "range", f"node numbers must be in 0..{inst.n_nodes - 1}")
        )


def _check_candidates(inst: PlanningInstance, problems: list[Problem]) -> None:
    names = (
        "cand_edge",
        "cand_year",
        "cand_cost_dkk",
        "cand_id",
        "cand_dig_id",
        "cand_owner",
        "cand_metres",
        "cand_probability",
        "cand_kind",
        "cand_start",
    )
    if not _check_lengths(inst, names, problems) or inst.n_candidates == 0:
        return
    ids = inst.cand_id
    if len(set(ids.tolist())) != len(ids):
        problems.append(_problem("", "cand_id", "unique", "candidate ids are not unique"))
    bad = (inst.cand_edge < 0) | (inst.cand_edge >= max(inst.n_edges, 0))
    if bad.any():
        problems.append(
            _problem(
                _first_bad(ids, bad),
                "cand_edge",
                "range",
                f"edge numbers must be in 0..{inst.n_edges - 1}",
            )
        )
    for name in ("cand_cost_dkk", "cand_metres"):
        values = getattr(inst, name)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            problems.append(
                _problem(_first_bad(ids, bad), name, "range", "must be finite and >= 0")
            )
    p = inst.cand_probability
    bad = ~np.isfinite(p) | (p < 0) | (p > 1)
    if bad.any():
        problems.append(
            _problem(_first_bad(ids, bad), "cand_probability", "range", "must be in [0, 1]")
        )
    bad = ~np.isin(inst.cand_kind, KINDS)
    if bad.any():
        problems.append(
            _problem(
                _first_bad(ids, bad),
                "cand_kind",
                "allowed",
                f"must be one of: {', '.join(KINDS)}",
            )
        )
    if inst.years:
        own = inst.cand_kind == "own-dig"
        bad = ~own & ~np.isin(inst.cand_year, inst.years)
        if bad.any():
            problems.append(
                _problem(
                    _first_bad(ids, bad),
                    "cand_year",
                    "range",
                    f"a co-dig candidate's year must be one of the plan years {inst.years}",
                    "leave out digs outside the plan, or widen the plan years",
                )
            )
        bad = own & (inst.cand_year > inst.years[-1])
        if bad.any():
            problems.append(
                _problem(
                    _first_bad(ids, bad),
                    "cand_year",
                    "range",
                    "an own-dig candidate's first year is after the last plan year "
                    f"{inst.years[-1]}",
                )
            )


def _check_budgets(inst: PlanningInstance, problems: list[Problem]) -> None:
    for name in ("budget_co_dig", "budget_own_dig"):
        values = getattr(inst, name)
        for year, value in zip(inst.years, values.tolist(), strict=False):
            if not (np.isfinite(value) and value >= 0):
                problems.append(
                    _problem(
                        str(year),
                        name,
                        "range",
                        f"budget DKK {value} for {year} is negative or not a number",
                        "give a budget >= 0 for every plan year",
                    )
                )


def _existing_ducts(
    rng: np.random.Generator,
    adjacency: list[list[tuple[int, int]]],
    roots: np.ndarray,
    n_edges: int,
    n_existing: int,
    rows: int,
) -> np.ndarray:
    """Return which edges have a duct: half a trunk grown from the roots, half isolated pieces."""
    has_duct = np.zeros(n_edges, dtype=bool)
    if n_existing:
        trunk = _grow_trunk(rng, adjacency, roots, max(1, n_existing // 2), max(12, rows))
        has_duct[trunk] = True
        spare = np.flatnonzero(~has_duct)
        isolated = rng.choice(spare, size=min(len(spare), n_existing - len(trunk)), replace=False)
        has_duct[isolated] = True
    return has_duct


def _dig_candidates(
    rng: np.random.Generator,
    adjacency: list[list[tuple[int, int]]],
    linked_nodes: np.ndarray,
    has_duct: np.ndarray,
    *,
    n_digs: int,
    dig_edges: tuple[int, int],
    years: Sequence[int],
) -> dict[str, list[Any]]:
    """Return the co-dig candidates of random-walk digs: every (dig, edge) without a duct."""
    n_nodes = len(adjacency)
    cand: dict[str, list[Any]] = {k: [] for k in ("edge", "year", "dig", "owner", "p")}
    for d in range(n_digs):
        # a quarter of the digs start on the backbone's duct network (the fibre project)
        start = rng.choice(linked_nodes) if rng.random() < 0.25 else rng.integers(n_nodes)
        walk = _random_walk(
            rng, adjacency, int(start), int(rng.integers(*dig_edges, endpoint=True))
        )
        year = int(rng.choice(years))
        owner = _OWNERS[int(rng.integers(len(_OWNERS)))]
        p = _CONFIDENCE_P[int(rng.integers(len(_CONFIDENCE_P)))]
        for e in walk:
            if not has_duct[e]:
                cand["edge"].append(e)
                cand["year"].append(year)
                cand["dig"].append(f"D{d}")
                cand["owner"].append(owner)
                cand["p"].append(p)
    return cand


def random_instance(
    seed: int,
    *,
    rows: int = 7,
    cols: int = 7,
    years: int | Sequence[int] = 3,
    start_year: int = 2019,
    n_digs: int | None = None,
    dig_edges: tuple[int, int] = (1, 6),
    mean_households: float = 8.0,
    edge_drop: float = 0.1,
    existing_share: float = 0.05,
    n_roots: int = 1,
    budget_share: float = 0.35,
    own_dig: bool = False,
    own_budget_share: float = 0.1,
    co_dig_dkk_per_m: float = 180.0,
    own_dig_dkk_per_m: float = 1030.0,
) -> PlanningInstance:
    """Generate a random grid-town planning instance (for tests and benchmarks).

    The town is a ``rows x cols`` grid of junctions with a share of the
    street edges removed; edge lengths 60-200 m; households per edge Poisson
    around ``mean_households`` (a fifth of the edges, main roads and paths,
    have none). The backbone has ``n_roots`` points of presence. Existing
    ducts: half a network grown from the roots by walks of up to ``max(12,
    rows)`` edges (the fibre project's trunk lines), half isolated pieces. Digs
    are random walks of ``dig_edges`` edges by Novafos, Radius or the fibre
    project (a quarter start on the ducts linked to the backbone), each in
    a random plan year with a random confidence; every (dig, edge) is a
    candidate costing ``co_dig_dkk_per_m``. With
    ``own_dig`` every edge without a duct also has an own-dig candidate.

    Parameters
    ----------
    seed : int
        Seed of every random choice: the same seed gives the same instance.
    rows, cols : int
        Grid size in junctions.
    years : int or sequence of int
        Number of plan years from ``start_year``, or the years themselves.
    start_year : int
        First plan year when ``years`` is a number.
    n_digs : int, optional
        Number of digs; default about one per three edges.
    dig_edges : (int, int)
        Fewest and most edges of one dig.
    mean_households : float
        Mean households of an edge that has any.
    edge_drop : float
        Share of grid edges removed (the graph stays connected).
    existing_share : float
        Share of edges with an existing duct.
    n_roots : int
        Number of points of presence.
    budget_share : float
        Yearly co-dig budget as a share of one year's co-dig candidate costs.
    own_dig : bool
        Add own-dig candidates on every edge without a duct.
    own_budget_share : float
        Yearly own-dig budget as a share of all own-dig costs spread over the years.
    co_dig_dkk_per_m, own_dig_dkk_per_m : float
        Unit costs.

    Returns
    -------
    PlanningInstance

    Examples
    --------
    >>> a, b = random_instance(3), random_instance(3)
    >>> bool((a.cand_edge == b.cand_edge).all()) and a.n_edges > 60
    True
    """
    rng = np.random.default_rng(seed)
    year_list = (
        list(range(start_year, start_year + int(years)))
        if isinstance(years, int | np.integer)
        else [int(y) for y in years]
    )
    n_nodes = rows * cols
    u, v = _grid_edges(rows, cols)
    keep = _drop_edges(rng, n_nodes, u, v, edge_drop)
    u, v = u[keep], v[keep]
    n_e = len(u)
    length = np.round(60.0 + rng.gamma(3.0, 25.0, n_e).clip(0, 140), 1)
    households = rng.poisson(mean_households, n_e).astype(float)
    households[rng.random(n_e) < 0.2] = 0.0
    roots = rng.choice(n_nodes, size=min(n_roots, n_nodes), replace=False)
    adjacency = _adjacency(n_nodes, u, v)
    has_duct = _existing_ducts(rng, adjacency, roots, n_e, round(existing_share * n_e), rows)
    if n_digs is None:
        n_digs = max(1, n_e // 3)
    linked_nodes = np.unique(np.concatenate([roots, u[has_duct], v[has_duct]]))
    cand = _dig_candidates(
        rng, adjacency, linked_nodes, has_duct, n_digs=n_digs, dig_edges=dig_edges, years=year_list
    )
    n_co = len(cand["edge"])
    kind = ["co-dig"] * n_co
    cost = [float(length[e]) * co_dig_dkk_per_m for e in cand["edge"]]
    co_total = float(np.sum(cost)) if cost else 0.0
    budget_co = [round(budget_share * co_total / len(year_list), -3)] * len(year_list)
    budget_own = [0.0] * len(year_list)
    if own_dig:
        own_edges = np.flatnonzero(~has_duct)
        own_cost = length[own_edges] * own_dig_dkk_per_m
        cand["edge"] += own_edges.tolist()
        cand["year"] += [year_list[0]] * len(own_edges)
        cand["dig"] += [f"own-{e}" for e in own_edges]
        cand["owner"] += ["municipality"] * len(own_edges)
        cand["p"] += [1.0] * len(own_edges)
        kind += ["own-dig"] * len(own_edges)
        cost += own_cost.tolist()
        per_year = own_budget_share * float(own_cost.sum()) / len(year_list)
        budget_own = [round(per_year, -3)] * len(year_list)
    edges = np.asarray(cand["edge"], dtype=np.int64)
    return PlanningInstance(
        n_nodes=n_nodes,
        edge_u=u,
        edge_v=v,
        edge_length_m=length,
        edge_households=households,
        root_nodes=roots,
        years=year_list,
        cand_edge=edges,
        cand_year=np.asarray(cand["year"], dtype=np.int64),
        cand_cost_dkk=np.round(np.asarray(cost, dtype=float), 0),
        budget_co_dig=np.asarray(budget_co, dtype=float),
        budget_own_dig=np.asarray(budget_own, dtype=float),
        has_duct=has_duct,
        cand_id=np.array([f"c{i}" for i in range(len(edges))], dtype=object),
        cand_dig_id=np.asarray(cand["dig"], dtype=object),
        cand_owner=np.asarray(cand["owner"], dtype=object),
        cand_metres=length[edges] if len(edges) else np.zeros(0),
        cand_probability=np.asarray(cand["p"], dtype=float),
        cand_kind=np.asarray(kind, dtype=object),
    )


def _grid_edges(rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    node = np.arange(rows * cols).reshape(rows, cols)
    horizontal = (node[:, :-1].ravel(), node[:, 1:].ravel())
    vertical = (node[:-1, :].ravel(), node[1:, :].ravel())
    return (
        np.concatenate([horizontal[0], vertical[0]]).astype(np.int64),
        np.concatenate([horizontal[1], vertical[1]]).astype(np.int64),
    )


def _drop_edges(
    rng: np.random.Generator, n_nodes: int, u: np.ndarray, v: np.ndarray, share: float
) -> np.ndarray:
    """Keep a random spanning tree plus all but ``share`` of the other edges."""
    order = rng.permutation(len(u))
    parent = np.arange(n_nodes)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    in_tree = np.zeros(len(u), dtype=bool)
    for e in order:
        ra, rb = find(int(u[e])), find(int(v[e]))
        if ra != rb:
            parent[ra] = rb
            in_tree[e] = True
    keep = in_tree | (rng.random(len(u)) >= share * len(u) / max(1, (~in_tree).sum()))
    return keep


def _adjacency(n_nodes: int, u: np.ndarray, v: np.ndarray) -> list[list[tuple[int, int]]]:
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(n_nodes)]
    for e, (a, b) in enumerate(zip(u.tolist(), v.tolist(), strict=True)):
        adjacency[a].append((b, e))
        adjacency[b].append((a, e))
    return adjacency


def _grow_trunk(
    rng: np.random.Generator,
    adjacency: list[list[tuple[int, int]]],
    roots: np.ndarray,
    n_edges: int,
    longest: int,
) -> list[int]:
    """Grow a duct network from the roots by walks of 3 to ``longest`` edges from linked nodes."""
    edges: list[int] = []
    nodes = [int(r) for r in roots]
    linked = set(nodes)
    for _ in range(4 * n_edges):
        if len(edges) >= n_edges:
            break
        node = nodes[int(rng.integers(len(nodes)))]
        for _step in range(int(rng.integers(3, longest + 1))):
            options = [(b, e) for b, e in adjacency[node] if e not in edges]
            if not options or len(edges) >= n_edges:
                break
            node, e = options[int(rng.integers(len(options)))]
            edges.append(e)
            if node not in linked:
                linked.add(node)
                nodes.append(node)
    return edges


def _random_walk(
    rng: np.random.Generator, adjacency: list[list[tuple[int, int]]], start: int, steps: int
) -> list[int]:
    """Return the distinct edges of a non-backtracking random walk."""
    edges: list[int] = []
    node, previous = start, -1
    for _ in range(steps):
        options = [(b, e) for b, e in adjacency[node] if e != previous and e not in edges]
        if not options:
            break
        b, e = options[int(rng.integers(len(options)))]
        edges.append(e)
        node, previous = b, e
    return edges
