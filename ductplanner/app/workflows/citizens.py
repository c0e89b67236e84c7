"""The citizen page's questions, answered from a workspace: find, outlook, interest.

:func:`find_addresses` finds an address from what a person types,
:func:`address_outlook_of` tells whether a duct reaches it and the forecast's
chance by year that one will, :func:`register_interest` appends a registration
to the workspace's ``interest`` table (under the writers' lock, so no
registration is lost beside other writers), and :func:`interest_summary`
counts them per district for the project manager.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ...analysis.citizens import (
    AddressOutlook,
    address_outlook,
    interest_by_district,
    search_addresses,
)
from ...core._clock import now
from ...core._errors import InputError, Problem, WorkspaceError
from ...io.workspace import (
    WorkspaceLike,
    as_workspace,
    list_layers,
    locked,
    read_layer,
    read_table,
    write_layers,
)
from ...model.interest import INTEREST_TABLE, typed_interest
from ...model.scenarios import DEFAULT_SCENARIO, scenario_key

__all__ = [
    "address_outlook_of",
    "citizen_scenario",
    "find_addresses",
    "interest_summary",
    "read_interest",
    "register_interest",
]


def find_addresses(
    workspace: WorkspaceLike, query: str, *, limit: int = 10
) -> list[dict[str, str]]:
    """Return up to ``limit`` addresses (``id``, ``address``) matching what a person typed."""
    addresses = read_layer(workspace, "addresses")
    found = search_addresses(pd.DataFrame(addresses[["id", "address"]]), query, limit=limit)
    return [{"id": str(r["id"]), "address": str(r["address"])} for r in found.to_dict("records")]


def citizen_scenario(workspace: WorkspaceLike, wanted: str | None = None) -> str:
    """Return the forecast citizens see: ``wanted``, else the default scenario, else the first.

    Returns ``""`` when the workspace holds no forecast.

    Raises
    ------
    WorkspaceError
        When ``wanted`` was not simulated (the message lists what was).
    """
    runs = read_table(workspace, "forecast_runs", required=False)
    stored = sorted(set(runs["scenario"].astype(str))) if "scenario" in runs else []
    if wanted:
        key = scenario_key(wanted)
        if key not in stored:
            have = ", ".join(stored) or "none"
            raise WorkspaceError(
                f"workspace {as_workspace(workspace)} has no forecast of {key!r} "
                f"(forecasts: {have}); run `ductplanner simulate` with it first"
            )
        return key
    if DEFAULT_SCENARIO in stored:
        return DEFAULT_SCENARIO
    return stored[0] if stored else ""


def address_outlook_of(
    workspace: WorkspaceLike, address_id: str, *, scenario: str = ""
) -> AddressOutlook:
    """Return whether a duct reaches ``address_id`` now, and the chance by year that one will.

    Parameters
    ----------
    workspace : path-like or URL
        A workspace whose coverage was computed (``ductplanner coverage``).
    address_id : str
        An id of the ``addresses`` layer.
    scenario : str
        The forecast to read the chances from (``""``: no chances).

    Raises
    ------
    InputError
        When no address has that id.
    WorkspaceError
        When the workspace has no coverage layer yet.
    """
    ws = as_workspace(workspace)
    address = _address_row(ws, address_id)
    if "coverage" not in list_layers(ws):
        raise WorkspaceError(f"workspace {ws} has no coverage yet; run `ductplanner coverage {ws}`")
    row = read_layer(ws, "coverage", where={"id": str(address_id)})
    if row.empty:
        raise WorkspaceError(
            f"the coverage of {ws} does not include address {address_id}; "
            f"run `ductplanner coverage {ws}` again"
        )
    cover = row.iloc[0]
    edges, years = _edge_forecast(ws, scenario, str(cover.get("edge_id") or ""))
    return address_outlook(address, cover, edges, years, scenario=scenario)


def _address_row(ws: Any, address_id: str) -> pd.Series:
    hit = read_layer(ws, "addresses", where={"id": str(address_id)})
    if hit.empty:
        raise InputError(
            [
                Problem(
                    str(ws),
                    "addresses",
                    str(address_id)[:40],
                    "id",
                    "exists",
                    "no address has this id",
                    "search for the address by street and number",
                )
            ],
            summary="address not found",
        )
    return hit.iloc[0]


def _edge_forecast(ws: Any, scenario: str, edge_id: str) -> tuple[pd.DataFrame, list[int]]:
    """Return one street edge's forecast rows (``year``, ``p_covered``) and the forecast's years."""
    empty = pd.DataFrame({"year": [], "p_covered": []})
    if not scenario or not edge_id:
        return empty, []
    totals = read_table(ws, "forecast", required=False, where={"scenario": scenario})
    if totals.empty:
        return empty, []
    years = sorted(set(totals["year"].astype(int)))
    where = {"scenario": scenario, "edge_id": edge_id}
    mine = read_table(ws, "forecast_edges", required=False, where=where)
    if mine.empty:
        return empty, years
    return pd.DataFrame(mine[["year", "p_covered"]]), years


def read_interest(workspace: WorkspaceLike) -> pd.DataFrame:
    """Read the registrations of interest (an empty table when there are none)."""
    return typed_interest(read_table(workspace, INTEREST_TABLE, required=False))


def register_interest(
    workspace: WorkspaceLike, address_id: str, *, date: dt.date | None = None
) -> dict[str, str]:
    """Append one registration of interest for ``address_id``; return the row written.

    The district is the one the coverage assigned the address to (``""`` before
    coverage was computed). Nothing personal is written.

    Raises
    ------
    InputError
        When no address has that id.
    """
    ws = as_workspace(workspace)
    with locked(ws):
        _address_row(ws, address_id)
        hit = read_layer(ws, "coverage", required=False, where={"id": str(address_id)})
        district = ""
        if len(hit) and pd.notna(hit["district"].iloc[0]):
            district = str(hit["district"].iloc[0])
        table = read_interest(ws)
        row = {
            "id": f"I{len(table) + 1:06d}",
            "address_id": str(address_id),
            "district": district,
            "date": (date or now().date()).isoformat(),
        }
        table = typed_interest(pd.concat([table, pd.DataFrame([row])], ignore_index=True))
        write_layers(ws, {INTEREST_TABLE: table}, note="citizens' interest")
    return row


def interest_summary(workspace: WorkspaceLike) -> pd.DataFrame:
    """Count the addresses that asked for a duct, per district (:func:`interest_by_district`)."""
    interest = read_interest(workspace)
    coverage = read_layer(workspace, "coverage", required=False)
    if coverage.empty:
        coverage = pd.DataFrame(columns=["id", "units", "district", "duct_covered"])
    return interest_by_district(
        interest, pd.DataFrame(coverage.drop(columns="geometry", errors="ignore"))
    )
