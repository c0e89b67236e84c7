"""The optimizer's planning instance, built from the co-digging opportunities of a workspace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..analysis.opportunities import find_opportunities, plan_year
from ..analysis.opportunity_report import OpportunityReport
from ..analysis.reach import root_nodes
from ..model.layers import DEFAULT_WORKSPACE_CRS, SCHEMAS
from ..model.network import StreetNetwork
from ..model.scenarios import Scenario
from ._instance import PlanningInstance
from ._plan import Plan

__all__ = ["PLAN_COLUMNS", "plan_layer", "planning_instance"]

PLAN_COLUMNS: tuple[str, ...] = tuple(SCHEMAS["plan"].field_names)
"""Columns of the ``plan`` layer, in order (then ``geometry``)."""


def planning_instance(
    layers: Mapping[str, gpd.GeoDataFrame],
    scenario: Scenario,
    *,
    network: StreetNetwork | None = None,
    report: OpportunityReport | None = None,
    edge_weight: np.ndarray | None = None,
) -> tuple[PlanningInstance, gpd.GeoDataFrame]:
    """Return the optimizer's planning instance and the opportunities it was built from.

    Street graph and households from the network and the coverage step's
    assignment (drop distance from the scenario); roots from the backbone
    (:func:`root_nodes`); one co-dig candidate per candidate stretch (see the
    module docstring); under the ``own-dig`` policy one own-dig candidate per
    street edge without a duct (id ``own@<edge id>``, dig ``own:<edge id>``,
    owner ``own trench``, metres the edge's length at
    ``costs.own_dig_per_m``, from the first plan year, probability 1).

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        The workspace layers (see :func:`find_opportunities`).
    scenario : Scenario
        Years, budgets, costs, drop distance, probabilities.
    network : StreetNetwork, optional
        A network built already from the same layers.
    report : OpportunityReport, optional
        Opportunities found already (then ``layers`` and ``network`` are not
        read again).
    edge_weight : array, optional
        What covering each street edge is worth in the objective (default its
        households; see :func:`ductplanner.analysis.citizens.interest_weights`).

    Returns
    -------
    instance : PlanningInstance
    opportunities : GeoDataFrame
        The ``opportunities`` layer; its first ``k`` rows are the co-dig
        candidates in instance order (``opportunities["id"][:k]`` equals
        ``instance.cand_id[:k]``); the rows after them are no candidates.
        Own-dig candidates follow the co-dig ones in the instance and have
        no row.

    Raises
    ------
    InputError
        Missing layers, unusable dig dates, or an instance the optimizer
        refuses (no street edges; no backbone: no root nodes).

    Examples
    --------
    >>> from ductplanner.app.demo import tiny_layers
    >>> from ductplanner.model.scenarios import load_scenario
    >>> inst, opp = planning_instance(tiny_layers(), load_scenario("revised-2019"))
    >>> inst.n_candidates, list(inst.cand_id[:2])
    (7, ['NOV-1@H1:1', 'NOV-1@H1:2'])
    >>> bool((opp["id"][: inst.n_candidates] == inst.cand_id).all())
    True
    """
    if report is None:
        report = find_opportunities(layers, scenario, network=network)
    net = report.network
    opp = report.opportunities
    cand = opp[opp["candidate"].to_numpy(dtype=bool)]
    k = len(cand)
    cand_edge = net.positions(cand["edge_id"].astype(str))
    cand_year = plan_year(cand, scenario)
    fields: dict[str, list[Any]] = {
        "edge": [cand_edge],
        "year": [cand_year],
        "cost": [cand["cost_dkk"].to_numpy(dtype=float)],
        "id": [cand["id"].to_numpy(dtype=object)],
        "dig": [cand["dig_id"].to_numpy(dtype=object)],
        "owner": [cand["owner"].to_numpy(dtype=object)],
        "metres": [cand["metres"].to_numpy(dtype=float)],
        "p": [cand["probability"].to_numpy(dtype=float)],
        "kind": [np.full(k, "co-dig", dtype=object)],
        "start": [pd.to_datetime(cand["start"]).to_numpy(dtype="datetime64[D]")],
    }
    if scenario.policy == "own-dig":
        own = np.flatnonzero(~net.has_duct & (net.edges["kind"].to_numpy() == "street"))
        ids = net.edges.index.to_numpy(dtype=object)[own]
        first = scenario.years[0]
        fields["edge"].append(own)
        fields["year"].append(np.full(len(own), first))
        fields["cost"].append(np.round(net.length[own] * scenario.costs.own_dig_per_m, 2))
        fields["id"].append(np.array([f"own@{e}" for e in ids], dtype=object))
        fields["dig"].append(np.array([f"own:{e}" for e in ids], dtype=object))
        fields["owner"].append(np.full(len(own), "own trench", dtype=object))
        fields["metres"].append(np.round(net.length[own], 1))
        fields["p"].append(np.ones(len(own)))
        fields["kind"].append(np.full(len(own), "own-dig", dtype=object))
        fields["start"].append(np.full(len(own), np.datetime64(f"{first:04d}-01-01", "D")))
    joined = {name: np.concatenate(parts) for name, parts in fields.items()}
    instance = PlanningInstance(
        n_nodes=net.n_nodes,
        edge_u=net.u,
        edge_v=net.v,
        edge_length_m=net.length,
        edge_households=report.edge_households.astype(float),
        edge_weight=report.edge_households.astype(float) if edge_weight is None else edge_weight,
        root_nodes=root_nodes(net),
        **scenario.budgets(),
        cand_edge=joined["edge"],
        cand_year=joined["year"],
        cand_cost_dkk=joined["cost"],
        edge_ids=net.edges.index.to_numpy(dtype=object),
        has_duct=net.has_duct,
        cand_id=joined["id"],
        cand_dig_id=joined["dig"],
        cand_owner=joined["owner"],
        cand_metres=joined["metres"],
        cand_probability=joined["p"],
        cand_kind=joined["kind"],
        cand_start=joined["start"],
    )
    return instance, opp


def plan_layer(
    result: Plan,
    opportunities: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    scenario_name: str = "",
) -> gpd.GeoDataFrame:
    """Return the ``plan`` layer of a plan: one LineString per chosen stretch.

    Parameters
    ----------
    result : Plan
        The plan; ``result.chosen["cand_id"]`` are opportunity ids (co-dig)
        or own-trench ids.
    opportunities : GeoDataFrame
        The ``opportunities`` layer the plan was made from (geometry of the
        co-dig stretches).
    edges : GeoDataFrame
        The street network's edges indexed by edge id (geometry of own trenches).
    scenario_name : str
        Recorded in every row.
    """
    chosen = result.chosen
    crs = opportunities.crs or edges.crs or DEFAULT_WORKSPACE_CRS
    by_id = pd.Series(opportunities.geometry.values, index=opportunities["id"].astype(str))
    own = chosen["kind"].to_numpy() == "own-dig"
    cand = chosen["cand_id"].astype(str)
    geometry = np.empty(len(chosen), dtype=object)
    if (~own).any():
        geometry[~own] = by_id.reindex(cand[~own]).to_numpy()
    if own.any():
        geometry[own] = edges.geometry.reindex(chosen["edge_id"].astype(str)[own]).to_numpy()
    frame = pd.DataFrame(
        {
            "id": cand.to_numpy(dtype=object),
            "opportunity_id": np.where(own, "", cand.to_numpy(dtype=object)),
            "dig_id": chosen["dig_id"].astype(str).to_numpy(dtype=object),
            "owner": chosen["owner"].astype(str).to_numpy(dtype=object),
            "edge_id": chosen["edge_id"].astype(str).to_numpy(dtype=object),
            "street": _street_names(chosen["edge_id"].astype(str), edges),
            "year": chosen["year"].to_numpy(dtype=np.int64),
            "kind": chosen["kind"].astype(str).to_numpy(dtype=object),
            "metres": np.round(chosen["metres"].to_numpy(dtype=float), 1),
            "cost_dkk": np.round(chosen["cost_dkk"].to_numpy(dtype=float), 2),
            "households": np.round(chosen["households"].to_numpy(dtype=float)).astype(np.int64),
            "why": chosen["reason"].astype(str).to_numpy(dtype=object),
            "method": result.method,
            "optimality_gap": np.nan if result.optimality_gap is None else result.optimality_gap,
            "scenario": scenario_name,
        },
        columns=list(PLAN_COLUMNS),
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=crs).values, crs=crs)


def _street_names(edge_ids: pd.Series, edges: gpd.GeoDataFrame) -> np.ndarray:
    """Return the name of each edge's street ("" where the edge or its name is unknown)."""
    if "name" not in edges:
        return np.full(len(edge_ids), "", dtype=object)
    names = edges["name"].reindex(edge_ids.to_numpy()).fillna("").astype(str)
    return names.to_numpy(dtype=object)
