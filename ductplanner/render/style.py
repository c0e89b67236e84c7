"""What every rendered page shares: the coverage share classes and JSON safe inside a script.

The maps, the forecast maps and the report colour a district by the share of
its households covered with one set of classes, so a committee reads the
same colour as the same share everywhere.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

__all__ = [
    "NO_SHARE_COLOUR",
    "SHARE_BREAKS",
    "SHARE_COLOURS",
    "safe_json",
    "share_class",
    "share_colour",
]

SHARE_COLOURS = ("#ffffcc", "#c2e699", "#78c679", "#31a354", "#006837")  # YlGn
"""Fill colours of the coverage share classes, lowest first."""

NO_SHARE_COLOUR = "#dddddd"
"""Fill colour of an area with nothing to share (no households)."""

SHARE_BREAKS = (10, 25, 50, 75)
"""Upper bounds (per cent) of the choropleth's classes but the last: low shares differ."""


def share_class(part: float, whole: float) -> int | None:
    """Return the share class (index into :data:`SHARE_COLOURS`) of ``part`` of ``whole``.

    ``None`` where there is nothing to share (``whole`` is zero).

    >>> share_class(5, 100), share_class(30, 100), share_class(100, 100), share_class(0, 0)
    (0, 2, 4, None)
    """
    if whole <= 0:
        return None
    return int(np.searchsorted(SHARE_BREAKS, 100 * part / whole, side="right"))


def share_colour(part: float, whole: float) -> str:
    """Return the fill colour of ``part`` of ``whole`` (:data:`NO_SHARE_COLOUR` for nothing).

    >>> share_colour(30, 100), share_colour(0, 0)
    ('#78c679', '#dddddd')
    """
    level = share_class(part, whole)
    return NO_SHARE_COLOUR if level is None else SHARE_COLOURS[level]


def safe_json(data: Any) -> str:
    r"""Return compact JSON that is safe inside an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as ``\\u`` escapes, so no string can
    close the script or open a comment, whatever a file contained.

    >>> safe_json({"owner": "</script>"})
    '{"owner":"\\u003c/script\\u003e"}'
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
