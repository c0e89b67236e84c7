"""Numbers for people: every share stated with its numerator and denominator.

A coverage figure never stands alone: "78.7 %" leaves the reader guessing
what it is a share of, "18,204 of 23,117 households, 78.7 %" does not. Use
:func:`share` wherever a share is shown (CLI text, maps, report).

>>> share(18204, 23117, "households")
'18,204 of 23,117 households, 78.7 %'
>>> share(18204, 23117, "households", lang="da")
'18.204 af 23.117 husstande, 78,7 %'
>>> share(0, 0, "addresses")
'0 of 0 addresses, no addresses to count'
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "Lang",
    "is_nan",
    "metres",
    "number",
    "percent",
    "share",
    "slug",
    "some_ids",
    "spreadsheet_safe",
    "street_label",
]

Lang = Literal["en", "da"]

_UNITS_DA = {
    "households": "husstande",
    "household": "husstand",
    "addresses": "adresser",
    "address": "adresse",
    "sites": "institutioner",
    "site": "institution",
    "edges": "vejstykker",
    "metres": "meter",
    "runs": "kørsler",
}
_OF = {"en": "of", "da": "af"}
_NOTHING = {"en": "no {unit} to count", "da": "ingen {unit} at tælle"}


def _check_lang(lang: str) -> None:
    if lang not in _OF:
        raise ValueError(f"lang must be 'en' or 'da', got {lang!r}")


def number(value: float, decimals: int = 0, *, lang: Lang = "en") -> str:
    """Format a number with thousands separators (``1,234.5``; Danish ``1.234,5``).

    >>> number(1234567)
    '1,234,567'
    >>> number(1234.56, 1, lang="da")
    '1.234,6'
    """
    _check_lang(lang)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    if lang == "da":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def percent(part: float, total: float, decimals: int = 1, *, lang: Lang = "en") -> str:
    """Format ``part / total`` as a percentage (``78.7 %``); ``–`` when ``total`` is 0.

    >>> percent(1, 3)
    '33.3 %'
    >>> percent(1, 0)
    '–'
    """
    if not total:
        return "–"
    return f"{number(100.0 * part / total, decimals, lang=lang)} %"


def share(part: float, total: float, unit: str, *, decimals: int = 1, lang: Lang = "en") -> str:
    """State a share with its numerator, denominator and unit.

    Parameters
    ----------
    part, total : float
        Numerator and denominator (counts, or metres).
    unit : str
        What is counted, in the plural (``"households"``); translated when
        ``lang="da"`` and known, else used as given.
    decimals : int
        Decimals of the percentage.
    lang : {"en", "da"}
        English or Danish number formatting and words.

    Returns
    -------
    str
        ``"18,204 of 23,117 households, 78.7 %"``; when ``total`` is zero the
        percentage is replaced by a note that there is nothing to count.
    """
    _check_lang(lang)
    word = _UNITS_DA.get(unit, unit) if lang == "da" else unit
    whole = float(part).is_integer() and float(total).is_integer()
    places = 0 if whole else 1
    counted = (
        f"{number(part, places, lang=lang)} {_OF[lang]} {number(total, places, lang=lang)} {word}"
    )
    if not total:
        return f"{counted}, {_NOTHING[lang].format(unit=word)}"
    return f"{counted}, {percent(part, total, decimals, lang=lang)}"


def metres(value: float, *, lang: Lang = "en") -> str:
    """Format a length: metres below 10 km (``850 m``), else kilometres (``12.4 km``).

    >>> metres(849.6), metres(12_400), metres(12_400, lang="da")
    ('850 m', '12.4 km', '12,4 km')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value) >= 10_000:
        return f"{number(value / 1000, 1, lang=lang)} km"
    return f"{number(value, 0, lang=lang)} m"


_DANISH = str.maketrans(
    {"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}
)
_SLUG_MAX = 60


def slug(text: str) -> str:
    """Return a file-name-safe form of a name (an owner's, a scenario's) that no other name shares.

    Danish letters are spelt out (æ→ae, ø→oe, å→aa); a name that loses more
    than its spacing, or is very long, gets a short stable hash of itself,
    so two different names never give one file name.

    >>> slug("Ballerup Kommune"), slug("Åby Vand"), slug("Øby Vand")
    ('ballerup-kommune', 'aaby-vand', 'oeby-vand')
    >>> slug("<script>"), slug("A/B") != slug("A B"), len(slug("x" * 300)), slug("")
    ('script-5b63e5', True, 60, 'owner')
    """
    spelt = unicodedata.normalize("NFKC", str(text)).lower().translate(_DANISH)
    clean = re.sub(r"[^a-z0-9]+", "-", spelt).strip("-") or "owner"
    lossless = re.sub(r"[ _-]+", "-", spelt.strip()) in (clean, "")
    if lossless and len(clean) <= _SLUG_MAX:
        return clean
    digest = hashlib.sha256(str(text).encode()).hexdigest()[:6]
    return f"{clean[: _SLUG_MAX - 7].rstrip('-')}-{digest}"


_FORMULA_START = ("=", "@", "+", "-", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """Keep a spreadsheet from running a text cell as a formula (CSV injection, OWASP).

    A text starting with ``=``, ``@``, ``+``, ``-``, a tab or a carriage
    return gets a leading apostrophe, except a plain signed number.

    >>> spreadsheet_safe("=HYPERLINK(1)"), spreadsheet_safe("-12.5"), spreadsheet_safe(3)
    ("'=HYPERLINK(1)", '-12.5', 3)
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if value[0] in "+-":
        if len(value) == 1:
            return value
        try:
            float(value)
            return value
        except ValueError:
            pass
    return "'" + value


def is_nan(value: Any) -> bool:
    """Whether one value is missing (None, NaN, NaT or NA); False for anything not a scalar.

    >>> is_nan(float("nan")), is_nan(None), is_nan("x"), is_nan([1])
    (True, True, False, False)
    """
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def plain(value: Any) -> Any:
    """Return one value as plain, JSON-able Python (None for a missing one).

    >>> plain(np.float64(3.0)), plain(float("nan")), plain(np.int64(2)), plain(2.5)
    (3, None, 2, 2.5)
    """
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else value
    return value


def plain_tree(value: Any) -> Any:
    """Return nested mappings and sequences with every leaf made :func:`plain`.

    >>> plain_tree({"a": (np.float64(1.0), float("nan")), 2: {"b": np.int64(3)}})
    {'a': [1, None], '2': {'b': 3}}
    """
    if isinstance(value, Mapping):
        return {str(k): plain_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_tree(v) for v in value]
    return plain(value)


def text_column(frame: pd.DataFrame, column: str) -> pd.Series:
    """Return a column as text ('' where missing or where the frame lacks the column).

    >>> text_column(pd.DataFrame({"a": ["x", None]}), "a").tolist()
    ['x', '']
    >>> text_column(pd.DataFrame(index=[0]), "b").tolist()
    ['']
    """
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].astype(object).where(frame[column].notna(), "").map(str)


def number_column(frame: pd.DataFrame, column: str) -> pd.Series:
    """Return a column as floats (NaN where not a number or where the frame lacks the column).

    >>> number_column(pd.DataFrame({"a": ["2", "x"]}), "a").tolist()
    [2.0, nan]
    """
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def first_column(frame: pd.DataFrame, *candidates: str) -> str | None:
    """Return the first of ``candidates`` that is a column of ``frame`` (None: none is).

    >>> first_column(pd.DataFrame(columns=["dig", "year"]), "dig_id", "dig")
    'dig'
    """
    return next((c for c in candidates if c in frame.columns), None)


def some_ids(ids: Sequence[str], shown: int = 5) -> str:
    """Return the first ``shown`` ids and how many more: ``"a, b, +3 more"``.

    >>> some_ids(["d1", "d2", "d3"], shown=2)
    'd1, d2, +1 more'
    >>> some_ids(["d1"])
    'd1'
    """
    named = ", ".join(str(i) for i in ids[:shown])
    return named + (f", +{len(ids) - shown:,} more" if len(ids) > shown else "")


def street_label(name: Any, edge_id: Any) -> str:
    """Name a street edge for people: its street's name with the edge id, or the id alone.

    >>> street_label("Ballerupvej", "s709:1")
    'Ballerupvej (s709:1)'
    >>> street_label(None, "s709:1")
    's709:1'
    """
    text = "" if is_nan(name) else " ".join(str(name).split())
    return f"{text} ({edge_id})" if text else str(edge_id)
