"""The town to simulate, built from data: workspace layers or a planning instance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from ..analysis.coverage import compute_coverage
from ..analysis.digs import is_fibre_project
from ..analysis.opportunities import find_opportunities
from ..analysis.overlay import WHOLE_EDGE_SHARE
from ..core._format import text_column
from ..model.network import StreetNetwork
from ..model.scenarios import Scenario
from ..optimize import PlanningInstance, planning_instance
from .town import SimulationInput

__all__ = ["as_input", "input_from_instance", "simulation_input"]


def simulation_input(
    layers: Mapping[str, gpd.GeoDataFrame],
    scenario: Scenario,
    *,
    network: StreetNetwork | None = None,
    decisions: pd.DataFrame | None = None,
    as_of: dt.date | None = None,
    source: str = "<memory>",
) -> SimulationInput:
    """Build the town to simulate from workspace layers.

    The street graph, households per edge, existing ducts and backbone roots
    come from :func:`ductplanner.analysis.opportunities.planning_instance`; the known
    digs from its opportunities (every stretch that gives an edge a duct,
    also those outside the plan years); districts from the coverage step's
    address assignment; ``last_dug`` from the streets.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        ``streets`` and ``addresses`` at least; ``ducts``, ``backbone``,
        ``digs`` and ``districts`` when present.
    scenario : Scenario
        Drop distance, costs and dig probabilities.
    network : StreetNetwork, optional
        A network built already from the same layers.
    decisions : DataFrame, optional
        The decision log: digs declined to us are no known plans to join.
    as_of : date, optional
        The run's day: digs whose window closed before it are no known
        plans; the input says it is the town as of that day.
    source : str
        Where the layers came from, for messages.
    """
    report = compute_coverage(
        layers,
        drop=scenario.coverage.drop_distance_m,
        side_paths=scenario.coverage.side_path_distance_m,
        network=network,
        source=source,
    )
    net = report.network
    found = find_opportunities(
        layers, scenario, decisions=decisions, as_of=as_of, network=net, source=source
    )
    instance, opp = planning_instance(layers, scenario, report=found)
    edge_ids = np.asarray(instance.edge_ids, dtype=object)
    rows = opp[opp["edge_share"].to_numpy(dtype=float) >= WHOLE_EDGE_SHARE]
    pos = pd.Index(edge_ids).get_indexer(rows["edge_id"].astype(str))
    rows = rows[pos >= 0]
    pos = pos[pos >= 0]
    start = pd.to_datetime(rows["start"])
    when = (start.dt.year + (start.dt.day_of_year - 1) / 365.25).to_numpy(dtype=float)
    groups, group_of = np.unique(rows["dig_id"].astype(str).to_numpy(), return_inverse=True)
    addresses = report.addresses
    assigned = addresses["edge_id"].notna().to_numpy()
    edge_pos = pd.Index(edge_ids).get_indexer(addresses["edge_id"][assigned].astype(str))
    units = addresses["units"].to_numpy(dtype=float)
    district = addresses["district_pos"].to_numpy(dtype=np.int64)
    names = (
        [str(n) for n in layers["districts"]["name"]]
        if "districts" in layers and layers["districts"] is not None
        else []
    )
    in_district = assigned.copy()
    in_district[assigned] = (district[assigned] >= 0) & (edge_pos >= 0)
    ok = (district[assigned] >= 0) & (edge_pos >= 0)
    matrix = sparse.csr_matrix(
        (units[assigned][ok], (edge_pos[ok], district[assigned][ok])),
        shape=(len(edge_ids), len(names)),
    )
    inside = district >= 0
    totals = np.bincount(district[inside], weights=units[inside], minlength=len(names))
    last = pd.to_numeric(net.edges["last_dug"], errors="coerce").to_numpy(dtype=float)
    return SimulationInput(
        **_street_fields(instance),
        edge_ids=edge_ids,
        last_dug=last,
        dig_edge=pos,
        dig_time=when,
        dig_group=group_of,
        dig_probability=rows["probability"].to_numpy(dtype=float),
        dig_confidence=_confidence_classes(rows, scenario),
        dig_cost_dkk=rows["cost_dkk"].to_numpy(dtype=float),
        dig_free=is_fibre_project(rows),
        dig_ids=groups.astype(object),
        district_names=names,
        edge_district_households=matrix,
        district_households=totals,
        households_total=float(units.sum()),
        as_of=as_of,
    )


def _street_fields(instance: PlanningInstance) -> dict[str, Any]:
    """Return the street graph, households, ducts and roots shared with the instance."""
    return {
        "n_nodes": instance.n_nodes,
        "edge_u": instance.edge_u,
        "edge_v": instance.edge_v,
        "edge_length_m": instance.edge_length_m,
        "edge_households": instance.edge_households,
        "has_duct": instance.has_duct,
        "root_nodes": instance.root_nodes,
    }


def input_from_instance(
    instance: PlanningInstance, *, fibre_project: Sequence[bool] | None = None
) -> SimulationInput:
    """Build the town to simulate from a planning instance (no districts, no ``last_dug``).

    Its co-dig candidates are the known digs, opening mid-year (or at
    ``cand_start``); ``fibre_project`` flags the fibre project's own digs per
    candidate (default: an owner naming a fibre project).
    """
    co = np.asarray(instance.cand_kind) == "co-dig"
    start = np.asarray(instance.cand_start)[co].astype("datetime64[D]")
    year = start.astype("datetime64[Y]")
    when = year.astype(np.int64) + 1970 + (start - year).astype(np.int64) / 365.25
    groups, group_of = np.unique(
        np.asarray(instance.cand_dig_id, dtype=str)[co], return_inverse=True
    )
    if fibre_project is None:
        free = is_fibre_project(pd.DataFrame({"owner": np.asarray(instance.cand_owner)[co]}))
    else:
        free = np.asarray(fibre_project, dtype=bool)[co]
    return SimulationInput(
        **_street_fields(instance),
        edge_ids=np.asarray(instance.edge_ids, dtype=object),
        dig_edge=np.asarray(instance.cand_edge)[co],
        dig_time=when,
        dig_group=group_of,
        dig_probability=np.asarray(instance.cand_probability)[co],
        dig_cost_dkk=np.asarray(instance.cand_cost_dkk)[co],
        dig_free=free,
        dig_ids=groups.astype(object),
    )


def _confidence_classes(rows: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """Return each candidate row's confidence class, as its probability came from.

    A confirmed dig or one with a permit counts as firm whatever its class
    (:func:`~ductplanner.analysis.digs.dig_probability`): its probability is
    the firm one's. A row whose probability is no class's keeps it (``""``).
    """
    confidence = scenario.confidence
    given = text_column(rows, "confidence").replace("", "indicative").to_numpy(dtype=object)
    p = rows["probability"].to_numpy(dtype=float)
    out = np.full(len(rows), "", dtype=object)
    for name in ("indicative", "budgeted", "firm"):
        value = float(getattr(confidence, name))
        out[(given == name) & np.isclose(p, value)] = name
    out[np.isclose(p, float(confidence.firm))] = "firm"
    return out


def as_input(town: Any, scenario: Scenario) -> SimulationInput:
    """Return the town to simulate from layers, a planning instance or a ready input.

    Parameters
    ----------
    town : mapping of str to GeoDataFrame, PlanningInstance or SimulationInput
        The town; a workspace is read by ``ductplanner.app.workflows.simulate``.
    scenario : Scenario
        Drop distance, costs and dig probabilities (for layers).

    Raises
    ------
    TypeError
        ``town`` is none of these.
    """
    if isinstance(town, SimulationInput):
        return town
    if isinstance(town, PlanningInstance):
        return input_from_instance(town)
    if isinstance(town, Mapping):
        return simulation_input(town, scenario)
    raise TypeError(
        "simulate() takes workspace layers, a PlanningInstance or a SimulationInput, "
        f"not {type(town).__name__} (read a workspace with "
        "ductplanner.app.workflows.simulate.workspace_input)"
    )
