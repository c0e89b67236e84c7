"""The workspace as it was on a past day: for runs that start in the past.

A forecast of the committee's 2019 strategy that starts in 2019 with every duct
laid since is a forecast of today. :func:`as_it_was` gives the layers and the
decision log as a run on ``as_of`` would have found them:

- **ducts** laid after it are not there: a duct with a ``laid_on`` date is there
  when that date is on or before ``as_of``; one with only ``year_laid`` when that
  year is before the as-of year, or is the as-of year and ``as_of`` is not its
  first day (``--from 2019`` is 1 January 2019: nothing of 2019 is laid yet); a
  duct with neither is there (what is in the ground and undated counts);
- **digs** finished after it were still announced: a ``done`` dig whose window
  ends on or after ``as_of`` is ``planned``; with ``known_ahead_months`` (the
  forecast uses :data:`KNOWN_AHEAD_MONTHS`: Danish road law obliges disclosure
  of works expected within six months), digs starting later than that after it
  were not known yet and are left out; ``cancelled`` digs stay cancelled (when
  that was decided is not kept);
- **streets** dug after it (``last_dug`` after the as-of year, by the same
  rule as ``year_laid``) had their last dig at an unknown time then;
- **decisions** logged after it had not been taken.

>>> import geopandas as gpd, pandas as pd
>>> from shapely.geometry import LineString
>>> line = LineString([(0, 0), (1, 0)])
>>> ducts = gpd.GeoDataFrame({"id": ["a", "b", "c"], "year_laid": [2018, 2019, None]},
...                          geometry=[line] * 3, crs="EPSG:25832")
>>> then, _ = as_it_was({"ducts": ducts}, None, dt.date(2019, 1, 1))
>>> then["ducts"]["id"].tolist()
['a', 'c']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from ..core._format import text_column

__all__ = ["KNOWN_AHEAD_MONTHS", "as_it_was"]

KNOWN_AHEAD_MONTHS = 6
"""How far ahead a past run knew the digs: the road law's disclosure horizon."""


def as_it_was(
    layers: Mapping[str, gpd.GeoDataFrame],
    decisions: pd.DataFrame | None,
    as_of: dt.date,
    known_ahead_months: int | None = None,
) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame | None]:
    """Return the layers and the decision log as they were on ``as_of``.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Workspace layers; ``ducts`` and ``digs`` are changed, the others kept.
    decisions : DataFrame, optional
        The decision log (rows with a ``date`` after ``as_of`` are dropped).
    as_of : date
    known_ahead_months : int, optional
        Leave out digs starting more than this many months after ``as_of``
        (default: keep every dig).

    Returns
    -------
    layers : dict of str to GeoDataFrame
    decisions : DataFrame or None
    """
    out = dict(layers)
    if out.get("streets") is not None and "last_dug" in out["streets"].columns:
        out["streets"] = _streets_then(out["streets"], as_of)
    if out.get("ducts") is not None:
        out["ducts"] = _ducts_then(out["ducts"], as_of)
    if out.get("digs") is not None:
        out["digs"] = _digs_then(out["digs"], as_of, known_ahead_months)
    if decisions is not None and "date" in decisions.columns:
        dates = pd.to_datetime(decisions["date"], errors="coerce")
        decisions = decisions[~(dates > pd.Timestamp(as_of)).to_numpy(dtype=bool)]
    return out, decisions


def _happened_by(year: pd.Series, as_of: dt.date) -> pd.Series:
    """Whether something of ``year`` had happened on ``as_of`` (its first day: not yet)."""
    return (year < as_of.year) | ((year == as_of.year) & (as_of > dt.date(as_of.year, 1, 1)))


def _streets_then(streets: gpd.GeoDataFrame, as_of: dt.date) -> gpd.GeoDataFrame:
    last = pd.to_numeric(streets["last_dug"], errors="coerce")
    later = (last.notna() & ~_happened_by(last, as_of)).to_numpy(dtype=bool)
    if not later.any():
        return streets
    streets = streets.copy()
    streets["last_dug"] = last.where(~later)
    return streets


def _ducts_then(ducts: gpd.GeoDataFrame, as_of: dt.date) -> gpd.GeoDataFrame:
    year = pd.to_numeric(_column(ducts, "year_laid"), errors="coerce")
    there = _happened_by(year, as_of) | year.isna()
    if "laid_on" in ducts.columns:
        laid_on = pd.to_datetime(ducts["laid_on"], errors="coerce")
        dated = laid_on.notna()
        there = there.where(~dated, laid_on <= pd.Timestamp(as_of))
    return ducts[there.to_numpy(dtype=bool)]


def _digs_then(
    digs: gpd.GeoDataFrame, as_of: dt.date, known_ahead_months: int | None
) -> gpd.GeoDataFrame:
    start = pd.to_datetime(_column(digs, "start"), errors="coerce")
    end = pd.to_datetime(_column(digs, "end"), errors="coerce")
    if known_ahead_months is not None:
        known_until = pd.Timestamp(as_of) + pd.DateOffset(months=known_ahead_months)
        digs = digs[~(start > known_until).to_numpy(dtype=bool)]
    digs = digs.copy()
    status = text_column(digs, "status").str.lower()
    reopened = (status == "done") & (end.loc[digs.index] >= pd.Timestamp(as_of))
    if reopened.any():
        digs.loc[reopened.to_numpy(dtype=bool), "status"] = "planned"
    return digs


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """Return a column, or missing values when the layer has none."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(None, index=frame.index, dtype=object)
