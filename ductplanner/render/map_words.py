"""The words of the maps, in English and Danish, for the map being drawn.

A map is drawn in one language: :func:`map_language` sets it for the
drawing under way, and :func:`tr` gives a text in it. The English text is
the key (as with gettext), so code reads as the English map does; the
Danish texts live in :mod:`._words_layers` (the workspace maps),
:mod:`._words_forecast` (the forecast maps) and :mod:`._words_page` (the
page around every map).
A text without a Danish entry stays English. Numbers follow the language
through :func:`map_number`.

>>> with map_language("da"):
...     tr("Owner"), tr("Candidate {id}", id="N-1@V2:1"), map_number(1234.5, 1)
('Ejer', 'Kandidat N-1@V2:1', '1.234,5')
>>> tr("Owner")
'Owner'
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from ..core._format import Lang, number
from ._words_forecast import FORECAST_DANISH
from ._words_layers import LAYERS_DANISH
from ._words_page import PAGE_DANISH

__all__ = ["DANISH", "map_lang", "map_language", "map_number", "tr"]

DANISH: dict[str, str] = {**LAYERS_DANISH, **FORECAST_DANISH, **PAGE_DANISH}
"""English text → Danish text, for every map."""

_LANG: ContextVar[Lang] = ContextVar("ductplanner_map_lang", default="en")


@contextmanager
def map_language(lang: Lang) -> Iterator[None]:
    """Draw the maps made inside the ``with`` block in ``lang`` (``en`` or ``da``)."""
    if lang not in ("en", "da"):
        raise ValueError(f"lang must be 'en' or 'da', got {lang!r}")
    token = _LANG.set(lang)
    try:
        yield
    finally:
        _LANG.reset(token)


def map_lang() -> Lang:
    """Return the language of the map being drawn."""
    return _LANG.get()


def tr(text: str, /, **values: Any) -> str:
    """Return ``text`` in the map's language, its ``{name}`` fields filled from ``values``."""
    template = DANISH.get(text, text) if _LANG.get() == "da" else text
    return template.format(**values) if values else template


def map_number(value: float, decimals: int = 0) -> str:
    """Format a number for the map's language (``1,234.5``; Danish ``1.234,5``)."""
    return number(value, decimals, lang=_LANG.get())
