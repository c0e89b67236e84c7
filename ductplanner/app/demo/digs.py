"""The demo municipality's dig plans: utility digs and the fibre project's digs."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import shapely
from shapely import Point

from .ducts import Router, random_walk
from .plan import DEMO_PLANNING_DATE, DIG_PLANS, DIG_YEARS, FIBRE_OWNER, Layout
from .streets import TOWN, StreetNetwork


def _dig_status(
    start: dt.date, end: dt.date, year: int, rng: np.random.Generator
) -> tuple[str, str, dt.date | None]:
    """Status, confidence and permit date as seen on the demo's planning date."""
    today = DEMO_PLANNING_DATE
    if end < today:
        status, confidence = "done", "firm"
    elif start < today + dt.timedelta(days=183):
        status, confidence = (
            ("confirmed", "firm") if rng.random() < 0.75 else ("planned", "budgeted")
        )
    elif year <= 2020:
        status, confidence = "planned", ("budgeted" if rng.random() < 0.6 else "indicative")
    else:
        status, confidence = "planned", ("indicative" if rng.random() < 0.85 else "budgeted")
    if rng.random() < 0.03:
        status = "cancelled"
    permit = None
    if status in ("done", "confirmed"):
        permit = start - dt.timedelta(days=int(rng.integers(10, 61)))
    return status, confidence, permit


def _dig_dates(year: int, length_m: float, rng: np.random.Generator) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(40, 320)))
    days = int(np.clip(length_m / 20.0 * rng.uniform(0.7, 1.4), 7, 180))
    return start, start + dt.timedelta(days=days)


def _dig_row(
    owner: str,
    purpose: str,
    contact: str,
    year: int,
    geometry: shapely.Geometry,
    rng: np.random.Generator,
) -> dict[str, object]:
    start, end = _dig_dates(year, geometry.length, rng)
    status, confidence, permit = _dig_status(start, end, year, rng)
    return {
        "owner": owner,
        "purpose": purpose,
        "start": start,
        "end": end,
        "status": status,
        "confidence": confidence,
        "permit_date": permit,
        "contact": contact,
        "geometry": geometry,
    }


def make_digs(
    layout: Layout,
    network: StreetNetwork,
    router: Router,
    backbone_nodes: list[int],
    sites: pd.DataFrame,
    connected: np.ndarray,
    rng: np.random.Generator,
) -> list[dict[str, object]]:
    """Dig plans 2019–2022 of the utilities and of the municipality's fibre project.

    Ids read ``<owner prefix>-<year>-<number>``, e.g. ``NOV-2020-004``.
    """
    planned = _utility_digs(layout, network, router, rng)
    planned += _fibre_project_digs(layout, router, backbone_nodes, sites, connected, rng)
    numbers: dict[tuple[str, int], int] = {}
    rows = []
    for prefix, year, row in planned:
        numbers[(prefix, year)] = numbers.get((prefix, year), 0) + 1
        rows.append({"id": f"{prefix}-{year}-{numbers[(prefix, year)]:03d}", **row})
    return rows


def _utility_digs(
    layout: Layout, network: StreetNetwork, router: Router, rng: np.random.Generator
) -> list[tuple[str, int, dict[str, object]]]:
    """Return (id prefix, year, row) of each utility dig: walks along streets, some areas."""
    incident = network.incident()
    town = network.origin == TOWN
    out = []
    for year in DIG_YEARS:
        for plan in DIG_PLANS:
            allowed = network.road & town if plan.town_only else network.road.copy()
            candidates = np.flatnonzero(allowed)
            if not len(candidates):
                continue
            weight = network.length[candidates] / network.length[candidates].sum()
            for _ in range(max(1, round(plan.per_year * layout.scale))):
                target = float(np.clip(rng.lognormal(math.log(plan.median_m), 0.6), 120, 3500))
                start = int(rng.choice(candidates, p=weight))
                walk = random_walk(start, target, network, incident, allowed, rng)
                geometry = router.merged(walk)
                shape = rng.random()
                if shape < 0.06:  # a junction box
                    corner = Point(shapely.get_coordinates(geometry)[0])
                    geometry = corner.buffer(rng.uniform(12, 30), quad_segs=4)
                elif shape < 0.12:  # an area: the streets and their verges
                    geometry = geometry.buffer(rng.uniform(6, 10), quad_segs=4)
                row = _dig_row(plan.owner, plan.purpose, plan.contact, year, geometry, rng)
                out.append((plan.prefix, year, row))
    return out


def _fibre_project_digs(
    layout: Layout,
    router: Router,
    backbone_nodes: list[int],
    sites: pd.DataFrame,
    connected: np.ndarray,
    rng: np.random.Generator,
) -> list[tuple[str, int, dict[str, object]]]:
    """Return the fibre project's digs: from the backbone to unconnected sites, by priority."""
    owner, prefix, contact = FIBRE_OWNER
    waiting = sites[~connected].sort_values("priority", kind="stable")
    wanted = min(len(waiting), max(1, round(10 * layout.scale)))
    out = []
    for k in range(wanted):
        streets = router.from_nearest(backbone_nodes, int(waiting["node"].iat[k]))
        if not streets:
            continue
        year = DIG_YEARS[k * len(DIG_YEARS) // wanted]
        row = _dig_row(owner, "fibre", contact, year, router.merged(streets), rng)
        if row["confidence"] == "indicative":
            row["confidence"] = "budgeted"  # the municipality knows its own project
        out.append((prefix, year, row))
    return out
