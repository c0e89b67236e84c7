"""What a command reports: a JSON-able summary and a short text for people."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Result"]


@dataclass
class Result:
    """What a command reports: a summary for ``--json`` and text for people.

    The summary's keys are a public interface (scripts and dashboards read
    them); the text is what the command line prints without ``--json``.
    """

    summary: dict[str, Any] = field(default_factory=dict)
    text: str = ""
