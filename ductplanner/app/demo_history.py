"""The demo's history of co-digging: requests, the utilities' seeded answers, the digs laid.

:func:`play_demo_history` writes requests to each utility for the demo plan,
logs the answers a seeded :data:`DEMO_AGREE_SHARE` of them would have had by
:data:`EVALUATION_DATE` (the rest declined with one of
:data:`DEMO_DECLINE_REASONS`), and records the agreed digs that ended before
that date as ducts.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..analysis.as_built import DigLaid, RecordOutcome, record_layers
from ..analysis.requests import RequestSet, build_requests, one_scenario, owner_slug
from ..io.workspace import list_layers, read_layer, write_layers
from ..model.decisions import (
    DECISIONS_TABLE,
    decision_row,
    decision_status,
    empty_decisions,
    next_decisions,
)
from .demo import DEMO_PLANNING_DATE
from .workflows.coordination import write_requests

__all__ = [
    "DEMO_AGREE_SHARE",
    "DEMO_DECLINE_REASONS",
    "EVALUATION_DATE",
    "DemoHistory",
    "demo_history",
    "demo_scenario",
    "play_demo_history",
]

EVALUATION_DATE = dt.date(2021, 6, 30)
"""The demo's evaluation day: its decision history runs up to this date."""

DEMO_AGREE_SHARE = 0.75
"""Share of the demo's requests the utilities agree to (the rest are declined)."""

DEMO_DECLINE_REASONS = (
    "the trench is too narrow for another duct beside our pipe",
    "the work is tendered already; the contractor cannot take the extra duct in time",
    "the pipe is relined from inside: no open trench after all",
    "safety distance to a high-voltage cable in the same trench",
)
"""Reasons the demo's utilities give when they decline."""


def demo_history(
    requests: Sequence[RequestSet],
    digs: gpd.GeoDataFrame,
    seed: int,
    planning_date: dt.date,
) -> tuple[list[dict[str, Any]], list[tuple[str, dt.date]]]:
    """Seeded request/answer rows up to :data:`EVALUATION_DATE`, and the digs to record."""
    rng = np.random.default_rng([seed, 5])
    info = digs.set_index(digs["id"].astype(str))
    events: list[tuple[dt.date, int, dict[str, Any]]] = []
    to_record: list[tuple[str, dt.date]] = []
    for request in requests:
        for r in request.digs.itertuples(index=False):
            dig = str(r.dig_id)
            start = pd.Timestamp(info.loc[dig, "start"]).date()
            end = pd.Timestamp(info.loc[dig, "end"]).date()
            asked = max(start - dt.timedelta(days=int(rng.integers(60, 150))), planning_date)
            # a utility answers before its trench opens (at once, when it is open already)
            answered = asked + dt.timedelta(days=int(rng.integers(10, 45)))
            answered = max(min(answered, start - dt.timedelta(days=1)), asked)
            agree = rng.random() < DEMO_AGREE_SHARE
            reason = DEMO_DECLINE_REASONS[int(rng.integers(len(DEMO_DECLINE_REASONS)))]
            if asked > EVALUATION_DATE:
                continue
            proposed = decision_row(
                dig,
                "proposed",
                date=asked,
                owner=request.owner,
                year=int(r.year),
                metres=round(float(r.metres), 1),
                cost_dkk=round(float(r.cost_dkk), 0),
                households=float(r.households),
                opportunity_ids=str(r.opportunity_ids),
            )
            events.append((asked, 0, proposed))
            if answered > EVALUATION_DATE:
                continue
            if agree:
                events.append((answered, 1, decision_row(dig, "agreed", date=answered)))
                if end < EVALUATION_DATE:
                    to_record.append((dig, max(end, answered)))
            else:
                row = decision_row(dig, "declined", date=answered, reason=reason)
                events.append((answered, 1, row))
    events.sort(key=lambda e: (e[0], e[1], e[2]["dig_id"]))
    to_record.sort(key=lambda d: (d[1], d[0]))
    return [e[2] for e in events], to_record


def demo_scenario(plan: gpd.GeoDataFrame) -> str | None:
    """Return the plan's scenario the demo requests from: the revised one, else the first."""
    if "scenario" not in plan.columns:
        return None
    names = list(pd.unique(plan["scenario"].astype(str)))
    preferred = [n for n in names if "revised" in n.lower()]
    return (preferred or names or [None])[0]


@dataclass
class DemoHistory:
    """What :func:`play_demo_history` wrote.

    Attributes
    ----------
    scenario : str or None
        The plan's scenario requested from.
    requests : list of RequestSet
        One per utility with chosen stretches.
    log : DataFrame
        The decision log written.
    recorded : list of RecordOutcome
        The digs recorded as laid.
    written : list of Path
        The request files.
    """

    scenario: str | None
    requests: list[RequestSet]
    log: pd.DataFrame
    recorded: list[RecordOutcome]
    written: list[Path] = field(default_factory=list)


def play_demo_history(
    workspace: str | os.PathLike[str],
    requests_folder: str | os.PathLike[str],
    *,
    seed: int,
    label: str,
) -> DemoHistory | None:
    """Write requests, a seeded decision history and the as-built ducts into the demo workspace.

    Parameters
    ----------
    workspace : path-like
        The demo workspace (with a ``plan`` layer).
    requests_folder : path-like
        Folder of the requests, one sub-folder per owner.
    seed : int
        Seed of the utilities' answers.
    label : str
        The banner of every request letter (synthetic data).

    Returns
    -------
    DemoHistory or None
        None when the workspace has no plan layer (nothing written).
    """
    path = Path(workspace)
    present = list_layers(path)
    if "plan" not in present:
        return None
    names = ("digs", "plan", "ducts", "streets")
    layers: dict[str, gpd.GeoDataFrame] = {n: read_layer(path, n) for n in names if n in present}
    scenario = demo_scenario(layers["plan"])
    plan = one_scenario(layers["plan"], scenario, str(path))
    layers["plan"] = plan
    co_dig = plan[plan["kind"].astype(str) == "co-dig"] if "kind" in plan.columns else plan
    owners = sorted(pd.unique(co_dig["owner"].astype(str)))
    requests = [build_requests(layers, o, scenario=scenario, source=str(path)) for o in owners]
    requests = [r for r in requests if len(r.digs)]
    history, to_record = demo_history(requests, layers["digs"], seed, DEMO_PLANNING_DATE)
    log = next_decisions(empty_decisions(), history, source=str(path))  # the demo starts afresh
    changed, log, recorded = record_layers(
        layers,
        log,
        [DigLaid(dig, date=end) for dig, end in to_record],
        scenario=scenario,
        source=str(path),
    )
    layers.update(changed)
    out: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {DECISIONS_TABLE: log}
    if recorded:
        out.update(ducts=layers["ducts"], digs=layers["digs"])
    write_layers(path, out, synthetic=True, note="demo decision history up to the evaluation")
    written: list[Path] = []
    current = decision_status(log).set_index("dig_id")["status"]
    for request in requests:
        for frame in (request.digs, request.stretches):
            frame["status"] = frame["dig_id"].map(current).fillna("not yet asked")
        folder = Path(requests_folder) / owner_slug(request.owner)
        written += write_requests(request, folder, label=label)
    return DemoHistory(scenario, requests, log, recorded, written)
