"""The digs layer read as opportunities: whose digs they are, how sure, and when.

Helpers of the co-digging overlay (:mod:`ductplanner.analysis.opportunities`): which
digs belong to the municipality's fibre project, the probability that a dig opens its
trench, and its start and end dates.
"""

from __future__ import annotations

import datetime as dt
import re

import geopandas as gpd
import numpy as np
import pandas as pd

from ..core._errors import InputError, Problem
from ..core._format import text_column
from ..model.decisions import decision_status
from ..model.scenarios import Scenario, as_scenario

__all__ = [
    "ACTIVE_STATUSES",
    "LEFT_OUT_REASONS",
    "dig_dates",
    "dig_probability",
    "is_fibre_project",
    "left_out_digs",
]

ACTIVE_STATUSES = ("planned", "confirmed")
"""Dig statuses that give stretches."""

LEFT_OUT_REASONS: dict[str, str] = {
    "done": "done (the trench is closed)",
    "cancelled": "cancelled",
    "declined": "declined by their owner (the decision log)",
    "closed": "whose window closed before the as-of date",
}
"""Why a dig gives no candidate, in the order a summary names them."""

_FIBRE_OWNER = re.compile(r"fib(?:re|er)", re.IGNORECASE)


def is_fibre_project(digs: pd.DataFrame) -> np.ndarray:
    """Return which digs belong to the municipality's fibre project.

    A dig does when its purpose is ``fibre`` or its owner names a fibre
    project (``"Fiberprojektet"``, ``"Ballerup fibre project"``).

    >>> frame = pd.DataFrame({"owner": ["Novafos", "Fiberprojektet", "Kommune"],
    ...                       "purpose": ["water", "other", "fibre"]})
    >>> is_fibre_project(frame).tolist()
    [False, True, True]
    """
    purpose = text_column(digs, "purpose").str.strip().str.lower() == "fibre"
    owner = text_column(digs, "owner").str.contains(_FIBRE_OWNER, regex=True)
    return (purpose | owner).to_numpy(dtype=bool)


def dig_probability(digs: pd.DataFrame, scenario: Scenario | None = None) -> np.ndarray:
    """Return the probability that each dig opens its trench in its window.

    ``scenario.confidence.probability(confidence)``, at least the ``firm``
    value for a ``confirmed`` dig or one with a permit date. A missing
    confidence counts as ``indicative``.

    >>> frame = pd.DataFrame({"confidence": ["firm", "indicative", "indicative"],
    ...                       "status": ["planned", "planned", "confirmed"]})
    >>> dig_probability(frame).tolist()
    [0.95, 0.4, 0.95]
    """
    confidence = (scenario or as_scenario()).confidence
    classes = text_column(digs, "confidence").replace("", "indicative")
    p = np.array([confidence.probability(c) for c in classes], dtype=float)
    firm = text_column(digs, "status").eq("confirmed").to_numpy(dtype=bool, copy=True)
    if "permit_date" in digs.columns:
        firm |= pd.notna(digs["permit_date"]).to_numpy(dtype=bool)
    return np.where(firm, np.maximum(p, float(confidence.firm)), p)


def dig_dates(digs: gpd.GeoDataFrame, source: str) -> tuple[pd.Series, pd.Series]:
    """Return the digs' start and end dates; refuse digs without a usable start or end.

    Parameters
    ----------
    digs : GeoDataFrame
        The ``digs`` layer (``start`` and ``end`` as dates or ``YYYY-MM-DD`` text).
    source : str
        Where the layer came from, for error messages.

    Returns
    -------
    start, end : Series of datetime64
        Indexed like ``digs``, normalised to midnight.

    Raises
    ------
    InputError
        One problem per missing or unreadable date.
    """
    problems = []
    out = []
    ids = text_column(digs, "id")
    for column in ("start", "end"):
        values = pd.to_datetime(
            digs[column] if column in digs.columns else pd.Series(pd.NaT, index=digs.index),
            errors="coerce",
        )
        for i in np.flatnonzero(values.isna().to_numpy()):
            problems.append(
                Problem(
                    source,
                    "digs",
                    str(ids.iat[i]),
                    column,
                    "required",
                    f"the dig has no usable {column} date",
                    f"fill in {column} as YYYY-MM-DD",
                )
            )
        out.append(values.dt.normalize())
    if problems:
        raise InputError(problems)
    return out[0], out[1]


def left_out_digs(
    digs: pd.DataFrame,
    decisions: pd.DataFrame | None = None,
    as_of: dt.date | None = None,
    end: pd.Series | None = None,
) -> pd.Series:
    """Return why each dig can give no co-digging candidate ("" when it can).

    The decision log is the truth about a dig: one whose latest decision is
    ``declined`` is left out like a ``done`` or ``cancelled`` one (its owner
    still digs, so it still conflicts; only we cannot join it). With
    ``as_of``, a dig whose window ``end`` lies before that date is left out
    too. Reasons are the keys of :data:`LEFT_OUT_REASONS`.

    >>> frame = pd.DataFrame({"id": ["A", "B", "C", "D"],
    ...                       "status": ["planned", "done", "confirmed", "planned"]})
    >>> log = pd.DataFrame({"dig_id": ["C"], "status": ["declined"], "reason": ["full"]})
    >>> ends = pd.to_datetime(pd.Series(["2026-12-31", "2026-05-01", "2026-12-31", "2026-03-01"]))
    >>> left_out_digs(frame, log, dt.date(2026, 6, 1), ends).tolist()
    ['', 'done', 'declined', 'closed']
    """
    status = text_column(digs, "status").replace("", "planned").str.lower()
    reason = pd.Series("", index=digs.index, dtype=object)
    if as_of is not None and end is not None:
        closed = (end < pd.Timestamp(as_of)).to_numpy(dtype=bool)
        reason[closed] = "closed"
    if decisions is not None and len(decisions):
        current = decision_status(decisions)
        declined = set(current.loc[current["status"] == "declined", "dig_id"].astype(str))
        reason[text_column(digs, "id").isin(declined).to_numpy(dtype=bool)] = "declined"
    for word in ("cancelled", "done"):
        reason[(status == word).to_numpy(dtype=bool)] = word
    return reason
