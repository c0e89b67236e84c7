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

__all__ = [
    "ARCHIVE_LIMITS",
    "TABLE_SUFFIXES",
    "RawFile",
    "archive_problems",
    "gdal_reason",
    "is_table",
    "require_file",
]

TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".txt")
"""File name endings read as tables (CSV) rather than with GDAL."""


@dataclass(frozen=True)
class ArchiveLimits:
    """What a zip archive (a zipped Shapefile) may hold before it is refused unread."""

    members: int = 64
    unpacked_bytes: int = 512 * 1024 * 1024
    ratio: float = 200.0  # unpacked / packed: far beyond what GIS files compress to


ARCHIVE_LIMITS = ArchiveLimits()


def archive_problems(
    path: Path, layer: str, limits: ArchiveLimits = ARCHIVE_LIMITS
) -> list[Problem]:
    """Return why a zip archive must not be read (a zip bomb, paths out of it); else ``[]``.

    GDAL reads a zipped Shapefile in place, never unpacking it to disk, but
    an archive that would unpack to far more than it weighs, holds very many
    members, or names paths outside itself is refused before GDAL sees it.
    """
    import zipfile

    source = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        hint = "zip the Shapefile's files (.shp, .shx, .dbf, .prj) again"
        return [Problem(source, layer, "", "", "unreadable", f"not a zip archive: {exc}", hint)]
    unpacked = sum(m.file_size for m in members)
    packed = max(1, sum(m.compress_size for m in members))
    found = []
    escaping = [
        m.filename
        for m in members
        if m.filename.startswith(("/", "\\")) or ".." in Path(m.filename).parts
    ]
    if escaping:
        found.append(f"it names paths outside itself ({escaping[0][:80]!r})")
    if len(members) > limits.members:
        found.append(f"it holds {len(members):,} files (at most {limits.members})")
    if unpacked > limits.unpacked_bytes or unpacked / packed > limits.ratio:
        found.append(f"it would unpack to {unpacked:,} bytes from {packed:,}")
    hint = "send the Shapefile's own files zipped, nothing else"
    refused = "the zip archive is refused"
    return [Problem(source, layer, "", "", "archive", f"{refused}: {why}", hint) for why in found]


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
    dropped : list of str
        What the file holds that was left out before any mapping, a line per
        reason with the count and the first ids (OSM's highway areas).
    """

    frame: gpd.GeoDataFrame | None
    problems: list[Problem]
    driver: str = ""
    source_layer: str | None = None
    mapping: FieldMapping | None = None
    notes: list[str] = field(default_factory=list)
    # feature labels whose geometry was already reported as unreadable
    broken: set[str] = field(default_factory=set)
    dropped: list[str] = field(default_factory=list)


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
