"""The demo municipality's addresses.

Homes and businesses beside their town streets, farms out in the fields, and
the line speeds of each address.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from .plan import (
    DEMO_HOUSEHOLDS,
    DISTRICTS,
    PATTERNS,
    SERVED_LINES,
    SERVED_P,
    SERVED_SHARE,
    SLOT_OFFSET,
    SLOT_SPACING,
    SLOW_LINES,
    SLOW_P,
    SLOW_UNKNOWN,
    Layout,
)
from .streets import DISTRIBUTOR, THROUGH, TOWN, StreetNetwork

# --- addresses -----------------------------------------------------------------------------


def _home_units(pattern: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw households per home address for a district pattern."""
    name = PATTERNS[pattern] if pattern < len(PATTERNS) else "village"
    r = rng.random(n)
    ones = np.ones(n, dtype=np.int64)
    if name == "villa":
        return np.where(r < 0.06, 2, np.where(r < 0.07, rng.integers(3, 7, n), ones))
    if name == "rowhouse":
        return np.where(r < 0.05, 2, ones)
    if name == "apartment":
        return np.where(r < 0.1, ones, rng.integers(6, 25, n))
    if name == "centre":
        return np.where(r < 0.6, rng.integers(4, 17, n), rng.integers(1, 3, n))
    if name == "mixed":
        return np.where(r < 0.4, rng.integers(4, 13, n), ones)
    if name == "business":
        return rng.integers(1, 3, n)
    return ones


_MEAN_UNITS = {
    "villa": 1.1,
    "rowhouse": 1.05,
    "apartment": 13.9,
    "centre": 6.8,
    "mixed": 3.8,
    "business": 1.5,
    "village": 1.0,
}


def _address_slots(
    network: StreetNetwork, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate address points along both sides of every town street.

    Returns the slot points' x and y and the index of their street.
    """
    pick = np.flatnonzero((network.origin == TOWN) & network.road & (network.district >= 0))
    pattern = network.pattern[pick]
    spacing = SLOT_SPACING[pattern]
    length = network.length[pick]
    per_side = np.where(length >= 24, np.floor((length - 20) / spacing) + 1, 0).astype(np.int64)
    counts = 2 * per_side
    street = np.repeat(pick, counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    side = np.where(within % 2 == 0, 1.0, -1.0)
    step = np.repeat(spacing, counts)
    along = 10 + (within // 2) * step + rng.uniform(-0.2, 0.2, len(street)) * step
    along = np.clip(along, 8, network.length[street] - 8)
    lo, hi = SLOT_OFFSET[network.pattern[street]].T
    offset = rng.uniform(lo, hi)
    x, y = offset_points(network.geometry[street], along, side * offset)
    return x, y, street


def offset_points(
    lines: np.ndarray, along: np.ndarray, offset: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Points ``along`` metres into each line, moved ``offset`` metres to its left."""
    here = shapely.get_coordinates(shapely.line_interpolate_point(lines, along))
    length = shapely.length(lines)
    ahead_at = np.where(along + 1 <= length, along + 1, along - 1)
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(lines, ahead_at))
    direction = (ahead - here) * np.where(along + 1 <= length, 1.0, -1.0)[:, None]
    direction /= np.maximum(np.hypot(*direction.T), 1e-9)[:, None]
    normal = np.column_stack([-direction[:, 1], direction[:, 0]])
    point = here + normal * offset[:, None]
    return point[:, 0], point[:, 1]


def _distance_to_streets(network: StreetNetwork, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    tree = shapely.STRtree(network.geometry)
    (which, _), distance = tree.query_nearest(shapely.points(x, y), return_distance=True)
    out = np.full(len(x), np.inf)
    np.minimum.at(out, which, distance)
    return out


def make_addresses(
    layout: Layout, network: StreetNetwork, farms: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Addresses beside town streets, per district, plus the farms out in the fields."""
    x, y, street = _address_slots(network, rng)
    district = layout.district_of(x, y)
    ok = (district >= 0) & (_distance_to_streets(network, x, y) >= 8.0)
    x, y, street, district = x[ok], y[ok], street[ok], district[ok]

    weights = np.array([d.households for d in DISTRICTS], dtype=float)
    targets = np.round(weights / weights.sum() * DEMO_HOUSEHOLDS * layout.scale).astype(int)
    frames = []
    for d, plan in enumerate(DISTRICTS):
        slots = np.flatnonzero(district == d)
        if not len(slots):
            continue
        pattern = int(layout.pattern[d])
        n_business = round(plan.businesses * layout.scale)
        n_home = max(1, round(targets[d] / _MEAN_UNITS[plan.pattern]))
        n = min(len(slots), n_home + n_business)
        n_business = round(n_business * n / (n_home + n_business))
        n_home = n - n_business
        chosen = np.sort(rng.choice(slots, n, replace=False))
        main = np.isin(network.cls[street[chosen]], (THROUGH, DISTRIBUTOR))
        weight = np.where(main, 4.0, 1.0)
        business = np.zeros(n, dtype=bool)
        if n_business:
            business[rng.choice(n, n_business, replace=False, p=weight / weight.sum())] = True
        units = np.ones(n, dtype=np.int64)
        units[~business] = _fit_units(_home_units(pattern, n_home, rng), int(targets[d]), rng)
        frames.append(
            pd.DataFrame(
                {
                    "x": x[chosen],
                    "y": y[chosen],
                    "street": street[chosen],
                    "units": units,
                    "kind": np.where(business, "business", "home"),
                }
            )
        )
    frames.append(_farm_addresses(layout, network, farms, rng))
    table = pd.concat(frames, ignore_index=True)
    down, up = _speeds(network, table, rng)
    table["speed_down_mbps"] = down
    table["speed_up_mbps"] = up
    return table


POSTAL_TOWNS = {
    "Ballerup": "2750 Ballerup",
    "Lautrupgård": "2750 Ballerup",
    "Pederstrup": "2750 Ballerup",
    "Skovlunde": "2740 Skovlunde",
    "Måløv": "2760 Måløv",
    "Kildedal": "2760 Måløv",
    "Jonstrup": "2760 Måløv",
}
"""Postcode and postal town of each demo town (as the real ones are)."""


def address_labels(layout: Layout, network: StreetNetwork, table: pd.DataFrame) -> np.ndarray:
    """Write each address as a person would: street, house number, postcode and town.

    Numbers run along each named street, odd on one side and even on the other,
    as Danish house numbers do; the postal town is that of the nearest district.
    """
    street = table["street"].to_numpy()
    points = shapely.points(table["x"].to_numpy(), table["y"].to_numpy())
    lines = network.geometry[street]
    along = shapely.line_locate_point(lines, points)
    ahead = shapely.line_interpolate_point(lines, along + 1.0)
    behind = shapely.line_interpolate_point(lines, np.maximum(along - 1.0, 0.0))
    dx = shapely.get_x(ahead) - shapely.get_x(behind)
    dy = shapely.get_y(ahead) - shapely.get_y(behind)
    left = (
        dx * (table["y"].to_numpy() - shapely.get_y(behind))
        - dy * (table["x"].to_numpy() - shapely.get_x(behind))
        > 0
    )
    frame = pd.DataFrame(
        {
            "name": network.name[street],
            "left": left,
            "order": table["x"].to_numpy() + table["y"].to_numpy(),
        }
    )
    rank = frame.groupby(["name", "left"])["order"].rank(method="first").astype(int)
    number = np.where(left, 2 * rank - 1, 2 * rank)
    centres = layout.centres
    district = layout.district_of(table["x"].to_numpy(), table["y"].to_numpy())
    nearest = np.argmin(
        np.hypot(
            table["x"].to_numpy()[:, None] - centres[None, :, 0],
            table["y"].to_numpy()[:, None] - centres[None, :, 1],
        ),
        axis=1,
    )
    district = np.where(district >= 0, district, nearest)
    towns = np.array([POSTAL_TOWNS[DISTRICTS[d].town] for d in range(len(DISTRICTS))], dtype=object)
    return np.array(
        [f"{n} {h}, {t}" for n, h, t in zip(frame["name"], number, towns[district], strict=True)],
        dtype=object,
    )


def _fit_units(units: np.ndarray, target: int, rng: np.random.Generator) -> np.ndarray:
    """Nudge drawn households per address so that they add up to ``target``."""
    units = units.copy()
    if not len(units):
        return units
    deficit = target - int(units.sum())
    if deficit > 0:
        np.add.at(units, rng.integers(0, len(units), deficit), 1)
    while deficit < 0:
        several = np.flatnonzero(units > 1)
        if not len(several):
            break
        take = rng.choice(several, min(-deficit, len(several)), replace=False)
        units[take] -= 1
        deficit += len(take)
    return units


def _farm_addresses(
    layout: Layout, network: StreetNetwork, farms: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Farms at lane ends and houses along rural roads; many beyond the drop distance."""
    rural = np.flatnonzero((network.origin != TOWN) & network.road)
    wanted = max(2, round(40 * layout.scale))
    if len(rural):
        street = rng.choice(rural, wanted, p=network.length[rural] / network.length[rural].sum())
        along = rng.uniform(0.2, 0.8, wanted) * network.length[street]
        far = rng.random(wanted) < 0.5
        offset = np.where(far, rng.uniform(45, 150, wanted), rng.uniform(12, 25, wanted))
        x, y = offset_points(network.geometry[street], along, offset * rng.choice([-1, 1], wanted))
        points = np.vstack([np.column_stack([x, y]), farms])
    else:
        points = farms
    x, y = points[:, 0], points[:, 1]
    inside = shapely.contains_xy(layout.inner, x, y)
    in_town = layout.in_cores(x, y, np.ones(len(DISTRICTS), dtype=bool), margin=1.15)
    distance = _distance_to_streets(network, x, y)
    ok = inside & ~in_town & (((distance >= 8) & (distance <= 25)) | (distance > 32))
    x, y = x[ok], y[ok]
    nearest = shapely.STRtree(network.geometry).query_nearest(shapely.points(x, y))
    street = np.zeros(len(x), dtype=np.int64)
    street[nearest[0]] = nearest[1]
    n = len(x)
    return pd.DataFrame(
        {
            "x": x,
            "y": y,
            "street": street,
            "units": np.ones(n, dtype=np.int64),
            "kind": np.where(rng.random(n) < 0.25, "business", "home"),
        }
    )


def _speeds(
    network: StreetNetwork, table: pd.DataFrame, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw current broadband: whole streets (by name) got fibre or modern coax, most not."""
    names = network.name[table["street"].to_numpy()]
    codes, uniques = pd.factorize(pd.Series(names, dtype=object))
    pattern = network.pattern[table["street"].to_numpy()]
    share = np.zeros(len(uniques))
    np.maximum.at(share, codes, SERVED_SHARE[pattern])
    street_served = rng.random(len(uniques)) < share
    n = len(table)
    served = street_served[codes] & (rng.random(n) < 0.92)
    fast = np.array(SERVED_LINES)[rng.choice(len(SERVED_LINES), n, p=SERVED_P)]
    slow = np.array(SLOW_LINES)[rng.choice(len(SLOW_LINES), n, p=SLOW_P)]
    lines = np.where(served[:, None], fast, slow)
    unknown = ~served & (rng.random(n) < SLOW_UNKNOWN)
    lines[unknown] = np.nan
    return lines[:, 0], lines[:, 1]
