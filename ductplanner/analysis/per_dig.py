"""What each third-party dig means for the municipality, and one utility's share of the layers.

:func:`dig_figures` sums, per dig, what the co-digging opportunities and the
chosen plan say about it (the figures a dig's popup shows);
:func:`for_owner` keeps one utility's digs and the rows of the derived layers
that concern them (the utility's map).

>>> import geopandas as gpd, pandas as pd
>>> digs = gpd.GeoDataFrame({"id": ["D1", "D2"], "owner": ["Novafos", "Radius"]})
>>> opportunities = pd.DataFrame({"dig_id": ["D1", "D1"], "metres": [40.0, 60.0]})
>>> figures = dig_figures(digs, opportunities, None)
>>> figures["D1"].stretches, figures["D1"].metres, figures["D2"].stretches
(2, 100.0, 0)
>>> sorted(for_owner({"digs": digs}, "Radius", source="town.gpkg")["digs"]["id"])
['D2']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from ..core._errors import WorkspaceError
from ..core._format import first_column, is_nan

__all__ = ["DIG_LAYERS", "DigFigures", "dig_figures", "for_owner"]

DIG_LAYERS = ("opportunities", "conflicts", "plan")
"""Derived line layers of the digs: rows that name a dig (or, for conflicts, its owners)."""


@dataclass
class DigFigures:
    """What the opportunities and the plan say about one dig.

    Attributes
    ----------
    stretches : int
        Co-digging stretches (opportunity rows) in the dig.
    metres, cost_dkk, households, households_potential : float or None
        Their sums (None: the opportunities lack that column).
    plan_years : list of str
        Years the plan chose the dig (``["yes"]`` when the plan has no year).
    """

    stretches: int = 0
    metres: float | None = None
    cost_dkk: float | None = None
    households: float | None = None
    households_potential: float | None = None
    plan_years: list[str] = field(default_factory=list)


def dig_figures(
    digs: pd.DataFrame, opportunities: pd.DataFrame | None, plan: pd.DataFrame | None
) -> dict[str, DigFigures]:
    """Return the opportunities' and the plan's figures per dig id (every dig has an entry).

    Parameters
    ----------
    digs : DataFrame
        The digs layer (``id``).
    opportunities, plan : DataFrame, optional
        The derived layers, when computed; their ``dig_id`` names the dig.

    Returns
    -------
    dict of str to DigFigures
    """
    figures = {str(i): DigFigures() for i in digs["id"]}
    if opportunities is not None and (key := first_column(opportunities, "dig_id", "dig")):
        columns = {
            "metres": first_column(opportunities, "metres", "length_m", "meters"),
            "cost_dkk": first_column(opportunities, "cost_dkk", "cost"),
            "households": first_column(
                opportunities, "households_now", "households", "households_gained"
            ),
            "households_potential": first_column(opportunities, "households_potential"),
        }
        for dig_id, rows in opportunities.groupby(opportunities[key].astype(str)):
            if dig_id not in figures:
                continue
            fig = figures[dig_id]
            fig.stretches = len(rows)
            for attr, column in columns.items():
                if column is not None:
                    setattr(fig, attr, float(pd.to_numeric(rows[column], errors="coerce").sum()))
    if plan is not None and (key := first_column(plan, "dig_id", "dig")):
        year = first_column(plan, "year")
        for dig_id, rows in plan.groupby(plan[key].astype(str)):
            if dig_id in figures:
                years = {"" if is_nan(y) else str(int(y)) for y in rows[year]} if year else {"yes"}
                figures[dig_id].plan_years = sorted(years)
    return figures


def for_owner(
    layers: Mapping[str, gpd.GeoDataFrame], owner: str, *, source: str
) -> dict[str, gpd.GeoDataFrame]:
    """Return ``layers`` with only ``owner``'s digs, their opportunities and plan, its conflicts.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Workspace layers by name (``digs`` needed).
    owner : str
        The utility: a dig owner.
    source : str
        The workspace, named in the error.

    Raises
    ------
    WorkspaceError
        When no dig belongs to ``owner`` (the message lists the owners).
    """
    out = dict(layers)
    digs = layers.get("digs")
    owners = sorted(set(digs["owner"].dropna().astype(str))) if digs is not None else []
    if digs is None or owner not in owners:
        raise WorkspaceError(
            f"no dig in {source} belongs to {owner!r}; owners with digs: "
            f"{', '.join(owners) or 'none'}"
        )
    out["digs"] = digs[digs["owner"].astype(str) == owner]
    ids = set(out["digs"]["id"].astype(str))
    for name in DIG_LAYERS:
        gdf = layers.get(name)
        if gdf is None:
            continue
        if name == "conflicts":
            parties = [c for c in ("owner_a", "owner_b") if c in gdf.columns]
            involved = gdf[parties].astype(str).eq(owner).any(axis=1) if parties else False
            out[name] = gdf[involved]
        elif key := first_column(gdf, "dig_id", "dig"):
            out[name] = gdf[gdf[key].astype(str).isin(ids)]
    return out
