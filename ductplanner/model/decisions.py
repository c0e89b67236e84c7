"""The decision log: where each co-digging request stands, and which steps it may take.

The decision log
----------------
An attribute-only workspace table named ``decisions`` (read it with
:func:`read_decisions`; QGIS shows it as a table). One row per event, oldest
first; nothing is ever overwritten, so the history of every request stays.
The *current* status of a dig is its last row (:func:`decision_status`).

=================== =================================================================
column              meaning
=================== =================================================================
``dig_id``          the dig (``digs`` layer id)
``owner``           who digs (the utility asked)
``status``          ``proposed`` (we asked), ``agreed``, ``declined`` (with a
                    reason), ``countered`` (the utility proposes another window),
                    ``laid`` (ducts recorded in the finished trench)
``reason``          why (required for ``declined``; free text otherwise)
``date``            ISO date (``YYYY-MM-DD``) of the event
``year``            the plan year of the dig's stretches (the year the trench is
                    open); count per evaluation year by this column
``metres``          metres of duct asked for (``laid``: metres recorded)
``cost_dkk``        what laying them costs us, DKK
``households``      households on the stretches' own street edges
``opportunity_ids`` the stretches concerned, comma-separated (``plan`` layer
                    ``opportunity_id``, else ``opportunities`` layer ``id``)
``window_start``    ``countered``: the first day the utility could let us lay
``window_end``      ``countered``: the last such day (both ISO dates; else ``""``)
=================== =================================================================

For the evaluation: *requested* = digs with a ``proposed`` row, *agreed* =
digs whose history holds ``agreed``, *declined* = current status
``declined``, *laid* = current status ``laid`` (*found* is the number of
digs in the ``opportunities`` layer). :func:`decision_counts` counts them
per year.

Allowed transitions (anything else is refused with a message saying what to
do instead)::

    (none)    -> proposed, laid
    proposed  -> agreed, declined, countered, laid
    countered -> proposed (we accept the window: asked again), agreed, declined, laid
    agreed    -> declined, laid
    declined  -> proposed, agreed
    laid      -> (final)

``laid`` is only logged by :func:`record_dig`, which also refuses a dig whose
current status is ``declined``.

>>> log = empty_decisions()
>>> log = next_decisions(log, [decision_row("NOV-1", "proposed", owner="Novafos", year=2020)])
>>> log = next_decisions(log, [decision_row("NOV-1", "agreed", owner="Novafos")])
>>> decision_status(log)[["dig_id", "status"]].to_dict("records")
[{'dig_id': 'NOV-1', 'status': 'agreed'}]
>>> log = empty_decisions()
>>> log = next_decisions(log, [decision_row("NOV-1", "proposed", owner="Novafos", year=2020)])
>>> log = next_decisions(log, [decision_row("NOV-1", "agreed", owner="Novafos")])
>>> decision_status(log)[["dig_id", "status"]].to_dict("records")
[{'dig_id': 'NOV-1', 'status': 'agreed'}]
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from ..core._errors import InputError, Problem
from ..core._format import is_nan

__all__ = [
    "DECISIONS_TABLE",
    "DECISION_COLUMNS",
    "DECISION_STATUSES",
    "decision_counts",
    "decision_row",
    "decision_status",
    "empty_decisions",
    "next_decisions",
    "typed_decisions",
]

DECISIONS_TABLE = "decisions"
"""Name of the attribute-only workspace table holding the decision log."""

DECISION_COLUMNS = (
    "dig_id",
    "owner",
    "status",
    "reason",
    "date",
    "year",
    "metres",
    "cost_dkk",
    "households",
    "opportunity_ids",
    "window_start",
    "window_end",
)
"""Columns of the decision log, in order (see the module docstring)."""

DECISION_STATUSES = ("proposed", "agreed", "declined", "countered", "laid")
"""Where a request can stand."""

_ALLOWED: dict[str | None, tuple[str, ...]] = {
    None: ("proposed", "laid"),
    "proposed": ("agreed", "declined", "countered", "laid"),
    "countered": ("proposed", "agreed", "declined", "laid"),
    "agreed": ("declined", "laid"),
    "declined": ("proposed", "agreed"),
    "laid": (),
}


def empty_decisions() -> pd.DataFrame:
    """Return an empty decision log with its columns and dtypes.

    >>> empty_decisions().columns.tolist()[:3]
    ['dig_id', 'owner', 'status']
    """
    return typed_decisions(pd.DataFrame(columns=list(DECISION_COLUMNS)))


def typed_decisions(table: pd.DataFrame) -> pd.DataFrame:
    """Return the table with the decision log's columns, in order, and their dtypes."""
    table = table.reindex(columns=list(DECISION_COLUMNS)).reset_index(drop=True)
    text_columns = ("dig_id", "owner", "status", "reason", "date", "opportunity_ids")
    for column in (*text_columns, "window_start", "window_end"):
        values = table[column].astype("object")
        table[column] = values.where(values.notna(), "").map(str)
    table["year"] = pd.to_numeric(table["year"], errors="coerce").astype("Int64")
    for column in ("metres", "cost_dkk", "households"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("float64")
    return table


def decision_row(
    dig_id: str,
    status: str,
    *,
    owner: str = "",
    reason: str = "",
    date: dt.date | str | None = None,
    year: int | None = None,
    metres: float | None = None,
    cost_dkk: float | None = None,
    households: float | None = None,
    opportunity_ids: Iterable[str] | str = (),
    window: tuple[dt.date | str, dt.date | str] | None = None,
) -> dict[str, Any]:
    """Return one decision-log row (a dict with :data:`DECISION_COLUMNS`).

    ``date`` defaults to today; ``opportunity_ids`` may be a list or a
    comma-separated string; ``window`` is the (first, last) day a
    ``countered`` answer offers.
    """
    if date is None:
        date = dt.date.today()
    ids = (
        opportunity_ids if isinstance(opportunity_ids, str) else ",".join(map(str, opportunity_ids))
    )
    return {
        "dig_id": str(dig_id),
        "owner": owner,
        "status": status,
        "reason": reason.strip(),
        "date": date.isoformat() if isinstance(date, dt.date) else str(date),
        "year": year,
        "metres": metres,
        "cost_dkk": cost_dkk,
        "households": households,
        "opportunity_ids": ids,
        "window_start": _iso(window[0]) if window else "",
        "window_end": _iso(window[1]) if window else "",
    }


def _iso(day: dt.date | str) -> str:
    return day.isoformat() if isinstance(day, dt.date) else str(day).strip()


def decision_status(log: pd.DataFrame) -> pd.DataFrame:
    """Return the current status of every dig in the log: its last row.

    Parameters
    ----------
    log : DataFrame
        A decision log (:func:`ductplanner.app.workflows.coordination.read_decisions`
        reads a workspace's).

    Returns
    -------
    DataFrame
        One row per dig (in order of first appearance) with the columns of
        :data:`DECISION_COLUMNS` taken from its latest event, plus
        ``requested`` (the date of its first ``proposed`` row, ``""`` if none)
        and ``ever_agreed`` (whether its history holds ``agreed``).
    """
    log = typed_decisions(log)
    current = log.groupby("dig_id", sort=False).tail(1)
    order = pd.unique(log["dig_id"])
    current = current.set_index("dig_id").reindex(order).reset_index()
    proposed = log[log["status"] == "proposed"].groupby("dig_id")["date"].first()
    agreed = log[log["status"] == "agreed"].groupby("dig_id").size()
    requested = current["dig_id"].map(proposed).astype(object)
    current["requested"] = requested.where(requested.notna(), "").astype(str)
    current["ever_agreed"] = current["dig_id"].isin(agreed.index)
    return current.reset_index(drop=True)


def decision_counts(log: pd.DataFrame) -> pd.DataFrame:
    """Count requested, agreed, declined and laid digs per plan year.

    >>> log = next_decisions(empty_decisions(), [
    ...     decision_row("A", "proposed", year=2020), decision_row("B", "proposed", year=2020)])
    >>> log = next_decisions(log, [decision_row("A", "agreed"), decision_row("B", "declined",
    ...     reason="no room")])
    >>> decision_counts(log).loc[2020].to_dict()
    {'requested': 2, 'agreed': 1, 'declined': 1, 'laid': 0}
    """
    current = decision_status(log)
    years = current["year"].astype("Int64")
    frame = pd.DataFrame(
        {
            "year": years,
            "requested": current["requested"] != "",
            "agreed": current["ever_agreed"] | (current["status"] == "laid"),
            "declined": current["status"] == "declined",
            "laid": current["status"] == "laid",
        }
    )
    counts = frame.dropna(subset=["year"]).groupby("year").sum().astype(int)
    counts.index = counts.index.astype(int)
    return counts


def next_decisions(
    log: pd.DataFrame,
    rows: Sequence[Mapping[str, Any]],
    *,
    source: str = "<memory>",
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Return the log with ``rows`` appended, after checking every transition.

    A row's empty fields (owner, year, metres, cost, households, stretches)
    are carried over from the dig's previous row, so each row stands alone.
    A row is dated the day the answer came: not after ``today`` (default:
    the real today) and not before the dig's previous row, so each dig's
    history stays in the order it happened.

    Raises
    ------
    InputError
        A transition that is not allowed, an unknown status, ``declined``
        without a reason, or a date that is no date, in the future or before
        the dig's previous row; every problem of ``rows`` is listed and
        nothing is appended.
    """
    today = today or dt.date.today()
    log = typed_decisions(log)
    current = {r.dig_id: r for r in decision_status(log).itertuples(index=False)}
    problems: list[Problem] = []
    new_rows: list[dict[str, Any]] = []
    for row in rows:
        row = dict(row)
        dig = str(row["dig_id"])
        before = current.get(dig)
        problem = (
            _date_problem(before, row, source, today)
            or _transition_problem(before, row, source)
            or _window_problem(row, source, today)
        )
        if problem is not None:
            problems.append(problem)
            continue
        if before is not None:
            for key in ("owner", "year", "metres", "cost_dkk", "households", "opportunity_ids"):
                if row.get(key) in (None, "") or is_nan(row.get(key)):
                    row[key] = getattr(before, key)
        new_rows.append(row)
        current[dig] = types.SimpleNamespace(**row)
    if problems:
        noun = "decision" if len(problems) == 1 else "decisions"
        raise InputError(problems, summary=f"{len(problems)} {noun} not logged")
    if not new_rows:
        return log
    added = typed_decisions(pd.DataFrame(new_rows))
    return typed_decisions(pd.concat([log, added], ignore_index=True) if len(log) else added)


def _date_problem(
    before: Any, row: Mapping[str, Any], source: str, today: dt.date
) -> Problem | None:
    dig, text = str(row["dig_id"]), str(row.get("date") or "")

    def problem(message: str, hint: str) -> Problem:
        return Problem(source, DECISIONS_TABLE, dig, "date", "date", message, hint)

    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return problem(f"{text!r} is not a date", "write the date as YYYY-MM-DD, e.g. 2026-04-01")
    if day > today:
        return problem(
            f"dated {day}, after today ({today}): the log records what has happened",
            "give the day the answer came, today or before",
        )
    previous = "" if before is None else str(before.date)
    if previous and day.isoformat() < previous:
        return problem(
            f"dated {day}, before the dig's last entry ({before.status} on {previous})",
            f"give {previous} or later: each dig's history is kept in the order it happened",
        )
    return None


WINDOW_MAX_DAYS = 5 * 366
"""How far ahead a counter-proposed window may end (a regrowth cycle)."""


def _window_problem(row: Mapping[str, Any], source: str, today: dt.date) -> Problem | None:
    """Check a ``countered`` row's window: two dates, in order, from today, within a cycle."""
    dig = str(row["dig_id"])
    if str(row["status"]) != "countered":
        if row.get("window_start") or row.get("window_end"):
            return Problem(
                source, DECISIONS_TABLE, dig, "window_start", "window",
                "a window is given only with the answer countered (another window)",
                "leave the window out, or log --status countered",
            )  # fmt: skip
        return None

    def problem(message: str, field: str = "window_start") -> Problem:
        hint = "give the first and last day the trench could take our ducts, YYYY-MM-DD"
        return Problem(source, DECISIONS_TABLE, dig, field, "window", message, hint)

    days = []
    for field in ("window_start", "window_end"):
        text = str(row.get(field) or "").strip()
        try:
            days.append(dt.date.fromisoformat(text))
        except ValueError:
            what = f"{text!r} is not a date" if text else "is missing"
            return problem(f"another window needs its {field.split('_')[1]} day: {what}", field)
    start, end = days
    if end < start:
        return problem(f"the window ends ({end}) before it starts ({start})", "window_end")
    if end < today:
        return problem(f"the window ends on {end}, before today ({today})", "window_end")
    if (end - today).days > WINDOW_MAX_DAYS:
        return problem(f"the window ends on {end}, more than five years ahead", "window_end")
    return None


def _transition_problem(before: Any, row: Mapping[str, Any], source: str) -> Problem | None:
    dig, status = str(row["dig_id"]), str(row["status"])
    old = None if before is None else str(before.status)
    since = "" if before is None else f" since {before.date}"

    def problem(message: str, hint: str, rule: str = "transition") -> Problem:
        return Problem(source, DECISIONS_TABLE, dig, "status", rule, message, hint)

    if status not in DECISION_STATUSES:
        return problem(
            f"{status!r} is not a decision status",
            f"use one of: {', '.join(DECISION_STATUSES)}",
            "allowed",
        )
    if status == "declined" and not str(row.get("reason") or "").strip():
        return problem(
            "a declined request needs a reason",
            "say why the utility declined, e.g. --reason 'trench too narrow'",
            "required",
        )
    if status in _ALLOWED[old]:
        return None
    if old == status:
        extra = {
            "proposed": "it was requested once; wait for the utility's answer",
            "laid": "its ducts are recorded already",
        }.get(status, "nothing to change")
        return problem(f"dig {dig} is already {status}{since}", extra, "duplicate")
    if old == "laid":
        return problem(
            f"dig {dig} is laid{since}: its ducts are in the ground, the log of it is final",
            "nothing to decide any more",
        )
    if old is None:
        return problem(
            f"dig {dig} has no request logged, so it cannot be {status}",
            f"log the request first: `ductplanner requests WORKSPACE --owner OWNER` or "
            f"`ductplanner decide WORKSPACE --dig {dig} --status proposed`",
        )
    if old == "agreed" and status == "proposed":
        return problem(
            f"dig {dig} is agreed{since}; it cannot go back to proposed",
            "if the utility withdrew, log --status declined with its reason",
        )
    if old == "declined" and status == "laid":
        return problem(
            f"dig {dig} was declined{since} ({before.reason}), so no ducts were laid in it",
            f"if it was joined after all, log `ductplanner decide WORKSPACE --dig {dig} "
            "--status agreed` first, then record it",
        )
    return problem(
        f"dig {dig} cannot go from {old} to {status}",
        f"from {old} it can become: {', '.join(_ALLOWED[old]) or 'nothing'}",
    )
