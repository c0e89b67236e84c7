"""Exceptions and the problem record shared by every validator.

Every error a user can cause subclasses :class:`DuctPlannerError` *and* the
built-in exception a Python programmer would expect (``ValueError``,
``FileNotFoundError``), so ``except ValueError`` keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

__all__ = [
    "DuctPlannerError",
    "InputError",
    "MissingInputError",
    "Problem",
    "ScenarioError",
    "SolverError",
    "WorkspaceError",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one feature (or with a whole file or layer).

    Attributes
    ----------
    source : str
        The file the problem was found in (or ``"<memory>"``).
    layer : str
        The workspace layer the data was meant for (``streets``, ``digs``...).
    feature_id : str
        The feature's id, or ``"row N"`` when it has none, or ``""`` for
        problems with the whole file or layer.
    field : str
        The field (column) concerned; ``"geometry"`` for geometries; ``""``
        when not about one field.
    rule : str
        A short machine-readable rule name (``required``, ``allowed``,
        ``range``, ``date``, ``geometry-type`` ...).
    message : str
        What is wrong and what was expected.
    hint : str
        How to fix it.
    severity : str
        ``"error"`` (the input is refused), ``"warning"`` (accepted, worth a
        look) or ``"repaired"`` (fixed under ``--repair``).
    """

    source: str
    layer: str
    feature_id: str
    field: str
    rule: str
    message: str
    hint: str = ""
    severity: str = "error"

    def as_dict(self) -> dict[str, str]:
        """Return the problem as a flat dict (one audit-report row)."""
        return asdict(self)

    def __str__(self) -> str:
        where = [self.source]
        if self.layer:
            where.append(f"layer {self.layer}")
        if self.feature_id:
            where.append(f"feature {self.feature_id}")
        if self.field:
            where.append(f"field {self.field!r}")
        text = f"{', '.join(where)}: {self.message}"
        if self.hint:
            text += f"{'' if text.endswith(('.', '!', '?')) else '.'} Fix: {self.hint}"
        return text


def _errors_only(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


class DuctPlannerError(Exception):
    """Base class of every error ductplanner raises on purpose."""


class InputError(DuctPlannerError, ValueError):
    """The user's input is wrong; carries every problem found, not just the first.

    Parameters
    ----------
    problems : sequence of Problem
        All problems found (warnings and repairs are kept for the audit report
        but do not make the error).
    summary : str, optional
        A first line; by default it counts the problems and names the file.
    """

    max_listed = 25

    def __init__(self, problems: Sequence[Problem], summary: str | None = None) -> None:
        self.problems = list(problems)
        errors = _errors_only(self.problems) or self.problems
        if summary is None:
            sources = sorted({p.source for p in errors})
            noun = "problem" if len(errors) == 1 else "problems"
            summary = f"{len(errors)} {noun} in {', '.join(sources)}"
        lines = [summary + ":"]
        lines += [f"  - {p}" for p in errors[: self.max_listed]]
        if len(errors) > self.max_listed:
            lines.append(
                f"  ... and {len(errors) - self.max_listed} more "
                "(write them all with `ductplanner validate --report FILE`)"
            )
        super().__init__("\n".join(lines))

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity ``error``."""
        return _errors_only(self.problems)


class MissingInputError(DuctPlannerError, FileNotFoundError):
    """An input file, layer or workspace does not exist."""


class WorkspaceError(DuctPlannerError, ValueError):
    """The workspace is missing a layer a step needs, or is not a GeoPackage."""


class ScenarioError(DuctPlannerError, ValueError):
    """A scenario file has unknown keys, wrong types or out-of-range values."""


class SolverError(DuctPlannerError, RuntimeError):
    """The optimizer could not produce a plan (infeasible, no solver, ...)."""
