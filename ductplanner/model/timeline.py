"""When a run happens: the date it knows the world as of, and the first year it plans.

Years belong to a run, not to a strategy. Every command that depends on the
date takes ``--as-of DATE`` (default today) and may start in a past year with
``--from YEAR`` (the committee's historical evaluation): :func:`run_date`
turns the two into a :class:`RunDate`, and :meth:`RunDate.scenario` gives the
scenario its run's years.

>>> run = run_date("2026-12-02")
>>> run.first_year, run.is_past(today=dt.date(2026, 12, 2))
(2026, False)
>>> run = run_date(first_year=2019)
>>> run.as_of, run.is_past(today=dt.date(2026, 12, 2))
(datetime.date(2019, 1, 1), True)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..core._errors import InputError, Problem
from .scenarios import Scenario

__all__ = ["RunDate", "parse_day", "run_date"]

_FIRST, _LAST = 1900, 2200


@dataclass(frozen=True)
class RunDate:
    """The as-of date of a run and its first plan (and forecast) year.

    Attributes
    ----------
    as_of : date
        What the run knows: digs whose window ended before it are history; a
        run in the past sees the workspace as it was on that day.
    first_year : int
        The first plan year (the forecast's first year).
    """

    as_of: dt.date
    first_year: int

    def scenario(self, scenario: Scenario) -> Scenario:
        """Return ``scenario`` with this run's years (see :meth:`Scenario.starting`)."""
        return scenario.starting(self.first_year)

    def is_past(self, today: dt.date | None = None) -> bool:
        """Whether the run looks at the workspace as it was before ``today``."""
        return self.as_of < (today or dt.date.today())

    def summary(self) -> dict[str, object]:
        """Return the JSON-able ``as_of`` (ISO date) and ``first_year``."""
        return {"as_of": self.as_of.isoformat(), "first_year": self.first_year}


def run_date(
    as_of: dt.date | str | None = None,
    first_year: int | None = None,
    *,
    source: str = "command line",
) -> RunDate:
    """Return the run's date from ``--as-of`` and ``--from``.

    Parameters
    ----------
    as_of : date or str, optional
        ``YYYY-MM-DD``; default today, or 1 January of ``first_year`` when
        that is given.
    first_year : int, optional
        Default: the year of ``as_of``. It may not lie after it.
    source : str
        Where the values came from, for error messages.

    Raises
    ------
    InputError
        A date that is not ``YYYY-MM-DD``, a year out of range, or a first
        year after the as-of date; every problem is listed.
    """
    problems: list[Problem] = []
    day = _as_date(as_of, source, problems)
    if first_year is not None and not _FIRST <= first_year <= _LAST:
        problems.append(
            _problem(
                source,
                "--from",
                f"{first_year} is not a year between {_FIRST} and {_LAST}",
                "write the year with four digits, e.g. --from 2019",
            )
        )
        first_year = None
    if day is None:
        day = dt.date(first_year, 1, 1) if first_year is not None else dt.date.today()
    year = day.year if first_year is None else first_year
    if year > day.year:
        problems.append(
            _problem(
                source,
                "--from",
                f"the run cannot start in {year}, after its as-of date {day.isoformat()}",
                "leave --from out to plan from the as-of year, or give a later --as-of",
            )
        )
    if problems:
        raise InputError(problems, summary="invalid run date")
    return RunDate(as_of=day, first_year=year)


def parse_day(
    value: dt.date | str | None, option: str = "--as-of", *, source: str = "command line"
) -> dt.date | None:
    """Return the date ``option`` gives (None when not given).

    >>> parse_day("2026-04-01", "--date")
    datetime.date(2026, 4, 1)

    Raises
    ------
    InputError
        Not a ``YYYY-MM-DD`` date, or a year outside 1900–2200 (naming ``option``).
    """
    problems: list[Problem] = []
    day = _as_date(value, source, problems, option)
    if problems:
        raise InputError(problems)
    return day


def _as_date(
    value: dt.date | str | None, source: str, problems: list[Problem], option: str = "--as-of"
) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        day = dt.date.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(_problem(source, option, f"{value!r} is not a date"))
        return None
    if not _FIRST <= day.year <= _LAST:
        problems.append(_problem(source, option, f"{value!r} is not between 1900 and 2200"))
        return None
    return day


def _problem(source: str, option: str, message: str, hint: str = "") -> Problem:
    return Problem(
        source, "", "", option, "run-date", message, hint or "write the date as YYYY-MM-DD"
    )
