"""What a file reader hands the loader, and the checks every reader shares.

The readers (:mod:`~ductplanner.io.vector_reader` for GIS files,
:mod:`~ductplanner.io.table_reader` for CSV) return a :class:`RawFile`: the
features with the file's own fields, in the file's CRS, and the problems met
while reading. :func:`~ductplanner.io.importer.load_file` then maps,
validates and reprojects it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from ..core._errors import MissingInputError, Problem
from .mappings import FieldMapping, did_you_mean

__all__ = ["TABLE_SUFFIXES", "RawFile", "gdal_reason", "is_table", "require_file"]

TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".txt")
"""File name endings read as tables (CSV) rather than with GDAL."""


@dataclass
class RawFile:
    """A file as read: features with their own fields, in the file's CRS.

    Attributes
    ----------
    frame : GeoDataFrame or None
        The features; ``None`` when nothing could be read.
    problems : list of Problem
        What was found while reading.
    driver : str
        The GDAL driver (``"CSV"`` for tables).
    source_layer : str or None
        The layer read from a multi-layer file.
    mapping : FieldMapping or None
        The mapping chosen or guessed while reading.
    notes : list of str
        What was assumed, for the user.
    broken : set of str
        Labels of features whose geometry was already reported as unreadable.
    """

    frame: gpd.GeoDataFrame | None
    problems: list[Problem]
    driver: str = ""
    source_layer: str | None = None
    mapping: FieldMapping | None = None
    notes: list[str] = field(default_factory=list)
    # feature labels whose geometry was already reported as unreadable
    broken: set[str] = field(default_factory=set)


def require_file(path: Path) -> None:
    """Raise :class:`MissingInputError` when ``path`` does not exist."""
    if not path.exists():
        raise MissingInputError(f"{path} does not exist{did_you_mean(path)}")


def is_table(path: Path) -> bool:
    """Return whether ``path`` is read as a table (its name ends in ``.csv``, ``.tsv``, ``.txt``).

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    bool
    """
    return path.suffix.lower() in TABLE_SUFFIXES


def gdal_reason(exc: Exception) -> str:
    """Return the reason a read failed, from GDAL's (or a parser's) exception, for the user.

    Parameters
    ----------
    exc : Exception
        What the read raised.

    Returns
    -------
    str
        Its message without GDAL's advice to name a driver (the type's name
        when there is no message).
    """
    text = str(exc).split("; It might help to specify the correct driver")[0]
    text = text.strip().rstrip(".").replace(".;", ";")
    return text or type(exc).__name__
