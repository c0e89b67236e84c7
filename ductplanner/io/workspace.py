"""The workspace: every layer in one GeoPackage or PostGIS schema, one writer at a time.

A workspace is a GeoPackage file (the default) or a schema of a PostGIS
database, given as a ``postgresql://`` URL (:mod:`ductplanner.io.postgis`)
wherever a path is accepted: :func:`as_workspace` tells them apart, and
every function here takes either. The rest of this note is about files.

Every write goes to a temporary copy beside the workspace, which replaces the
original with :func:`os.replace` only once everything is written. A command
that fails therefore leaves the workspace byte-for-byte as it was.

Writers take the workspace's lock (:func:`locked`, an ``flock`` on the hidden
file ``.<name>.lock`` beside it, released by the system when a process
dies), so they follow one another; a command that reads, changes and writes
back (``import --append``, ``decide``, ``record``, ``requests``) holds it
from its read to its write, so nothing another writer landed meanwhile is
lost. A writer that cannot get the lock within :func:`lock_timeout` seconds
fails with "workspace busy". Readers need no lock: they see the workspace
before or after a write, never during one. Under the lock, copies left
behind by killed writers are removed.

>>> import tempfile, pathlib
>>> from ductplanner.app.demo import tiny_layers
>>> path = pathlib.Path(tempfile.mkdtemp()) / "ws.gpkg"
>>> write_layers(path, tiny_layers())
>>> sorted(list_layers(path))[:3]
['addresses', 'backbone', 'digs']
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from ..core._atomic import replacing
from ..core._clock import timestamp
from ..core._errors import MissingInputError, WorkspaceError
from ..model.layers import DEFAULT_WORKSPACE_CRS, SCHEMAS, empty_layer, validate_layer
from ..model.zone import crs_code, frame_crs_choice, metric_crs_problem
from . import postgis
from .postgis import Database

Workspace = Path | Database
"""A workspace: a GeoPackage file or a PostGIS schema (see :func:`as_workspace`)."""

WorkspaceLike = str | os.PathLike[str] | Database
"""What names a workspace: a path, a ``postgresql://`` URL, or a :class:`Workspace`."""

__all__ = [
    "ATTRIBUTE_TABLES",
    "LOCK_TIMEOUT_ENV",
    "PLANNING_LAYERS",
    "SOURCES_TABLE",
    "Database",
    "Workspace",
    "WorkspaceLike",
    "as_workspace",
    "content_digests",
    "copy_workspace",
    "editing",
    "list_layers",
    "lock_timeout",
    "locked",
    "read_layer",
    "read_layers",
    "read_planning_layers",
    "read_raw_layer",
    "read_sources",
    "read_table",
    "workspace_crs",
    "write_layers",
]

SOURCES_TABLE = "layer_sources"
"""Attribute-only table recording, per layer, where it came from and when."""

ATTRIBUTE_TABLES: tuple[str, ...] = (
    SOURCES_TABLE,
    "decisions",  # ductplanner.model.decisions: the log of co-digging requests
    "interest",  # ductplanner.model.interest: citizens who asked for a duct
    "forecast",  # ductplanner.simulate: coverage bands per year and district
    "forecast_edges",
    "frontier",
    "forecast_runs",
    "forecast_sources",
)
"""The attribute-only tables ductplanner writes beside the layers (no schema to validate)."""

_GPKG_OPTIONS: dict[str, Any] = {"dataset_options": {"VERSION": "1.2"}}
"""GeoPackage 1.2: what the GDAL of older QGIS installs reads without a warning."""

_SOURCE_COLUMNS = ["layer", "source", "updated", "synthetic", "features", "note"]


LOCK_TIMEOUT_ENV = "DUCTPLANNER_LOCK_TIMEOUT"
"""Environment variable: seconds a writer waits for the workspace's lock (default 30)."""

_DEFAULT_LOCK_TIMEOUT_S = 30.0
_held = threading.local()  # the workspaces this thread holds the lock of, with its depth


def lock_timeout() -> float:
    """Return the seconds a writer waits for a workspace's lock (``DUCTPLANNER_LOCK_TIMEOUT``).

    Raises
    ------
    WorkspaceError
        When the variable is set to anything but a number of seconds >= 0.
    """
    text = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    if not text:
        return _DEFAULT_LOCK_TIMEOUT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise WorkspaceError(
            f"{LOCK_TIMEOUT_ENV}={text!r} is not a number of seconds; "
            "set it to e.g. 30, or unset it"
        )
    return seconds


def as_workspace(value: WorkspaceLike) -> Workspace:
    """Return the workspace a command-line argument or a path names.

    A ``postgresql://`` (or ``postgres://``) URL is a PostGIS workspace
    (:func:`ductplanner.io.postgis.parse_database`); anything else is a
    GeoPackage path.

    >>> as_workspace("town.gpkg")
    PosixPath('town.gpkg')
    >>> str(as_workspace("postgresql://gis:secret@db/gis?schema=ballerup"))
    'postgresql://gis@db/gis?schema=ballerup'
    """
    if isinstance(value, Database):
        return value
    if postgis.is_database(value):
        return postgis.parse_database(str(value))
    return Path(value)


@contextlib.contextmanager
def locked(path: WorkspaceLike, timeout: float | None = None) -> Iterator[None]:
    """Hold the workspace's writer lock for the block (re-entrant within a thread).

    Parameters
    ----------
    path : path-like or Database
        The workspace (it need not exist yet).
    timeout : float, optional
        Seconds to wait for another writer to finish (default :func:`lock_timeout`).

    Raises
    ------
    WorkspaceError
        When another writer still holds the lock after ``timeout`` seconds
        ("workspace busy"), or the lock cannot be taken in the folder.
    """
    ws = as_workspace(path)
    key = ws if isinstance(ws, Database) else ws.absolute()
    depth: dict[Workspace, int] = _held.__dict__.setdefault("depth", {})
    if depth.get(key):
        depth[key] += 1
        try:
            yield
        finally:
            depth[key] -= 1
        return
    wait = lock_timeout() if timeout is None else timeout
    with _holding(key, wait):
        depth[key] = 1
        try:
            yield
        finally:
            depth.pop(key, None)


@contextlib.contextmanager
def _holding(ws: Workspace, wait: float) -> Iterator[None]:
    if isinstance(ws, Database):
        with postgis.holding_lock(ws, wait, busy=lambda: _busy(ws, wait)):
            yield
        return
    fd = _acquire(ws, wait)
    try:
        _remove_stale_copies(ws)
        yield
    finally:
        with contextlib.suppress(OSError):
            _lock_file(ws).unlink()  # before unlocking: a waiter then sees a stale file
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _busy(ws: Workspace, wait: float) -> WorkspaceError:
    return WorkspaceError(
        f"workspace busy: another ductplanner command has been writing {ws} for "
        f"{wait:g} s; nothing was changed. Run this again when it has finished "
        f"(or wait longer: set {LOCK_TIMEOUT_ENV} to more seconds)"
    )


def _lock_file(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


def _open_lock_file(path: Path) -> int:
    if not path.parent.is_dir():
        _require_workspace(path)  # says it does not exist, and how to make one
    try:
        return os.open(_lock_file(path), os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise WorkspaceError(
            f"cannot write the workspace {path}: {_os_cause(exc, path.parent)}; nothing was changed"
        ) from exc


def _acquire(path: Path, wait: float) -> int:
    """Return an open descriptor of the lock file, locked, once no other writer holds it.

    The holder removes the file as it lets go, so a lock taken on a file
    that is no longer the one at the path is let go and taken again.
    """
    deadline = time.monotonic() + wait
    while True:
        fd = _open_lock_file(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() >= deadline:
                raise _busy(path, wait) from None
            time.sleep(0.05)
            continue
        if _same_file(fd, _lock_file(path)):
            return fd
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False


def _copy_prefix(path: Path) -> str:
    """Return the name prefix of the temporary copies a write makes (see :func:`editing`)."""
    return f".{path.stem}-"


def _remove_stale_copies(path: Path) -> None:
    """Remove temporary copies of killed writers (called under the lock: no writer is live)."""
    for stale in path.parent.glob(f"{_copy_prefix(path)}*{path.suffix or '.gpkg'}"):
        with contextlib.suppress(OSError):
            stale.unlink()


def _os_cause(exc: OSError, where: Path) -> str:
    """Say in words why the file system refused a write."""
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        return f"the disk holding {where} is full (or the quota reached)"
    if exc.errno == errno.EROFS:
        return f"{where} is on a read-only file system"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"no permission to write in {where}"
    return exc.strerror or str(exc)


def _require_workspace(path: Workspace) -> None:
    if isinstance(path, Database):
        postgis.require_schema(path)
        return
    if not path.exists():
        raise MissingInputError(
            f"workspace {path} does not exist; create it with "
            f"`ductplanner import {path} streets FILE` or `ductplanner demo`"
        )
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise WorkspaceError(
                f"{path} is not a GeoPackage workspace (not an SQLite file); "
                "a workspace is a .gpkg file written by ductplanner or QGIS"
            )


def list_layers(path: WorkspaceLike) -> list[str]:
    """Return the names of the tables in a workspace (spatial and not)."""
    ws = as_workspace(path)
    if isinstance(ws, Database):
        return postgis.list_tables(ws)
    _require_workspace(ws)
    return list(_CACHE.get(ws, ("layers",), lambda: [str(n) for n, _ in pyogrio.list_layers(ws)]))


class _ReadCache:
    """What a process read of each GeoPackage last, kept while the file stays as it was.

    A command reads the same layers many times (the demo's seven maps each
    read every layer); each read after the first costs a copy instead of a
    read and a validation. A file counts as changed when its inode, size or
    time changes, or its write-ahead log's: ductplanner's own writes replace
    the file, and another program's (QGIS) changes one of them (its change
    time at least, which no program can set back). Databases are
    not cached (another writer leaves no trace to compare). The last
    :data:`READ_CACHE_SIZE` reads are kept, of at most :data:`READ_CACHE_ROWS`
    rows together: a national layer is read each time rather than held twice.
    """

    def __init__(self, size: int, rows: int) -> None:
        self.size, self.rows = size, rows
        self._entries: OrderedDict[tuple[str, tuple[str, ...]], tuple[object, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, ws: Path, key: tuple[str, ...], read: Callable[[], Any]) -> Any:
        """Return what ``read()`` gives for ``key`` of ``ws``: kept, or read now (a copy)."""
        version = _file_version(ws)
        entry_key = (str(ws.resolve()), key)
        with self._lock:
            kept = self._entries.get(entry_key)
            if kept is not None and kept[0] == version:
                self._entries.move_to_end(entry_key)
                return _copy_of(kept[1])
        value = read()
        if version is not None and _rows_of(value) <= self.rows:
            with self._lock:
                self._entries[entry_key] = (version, _copy_of(value))
                while len(self._entries) > self.size or self._held_rows() > self.rows:
                    self._entries.popitem(last=False)
        return value

    def _held_rows(self) -> int:
        return sum(_rows_of(value) for _, value in self._entries.values())

    def clear(self) -> None:
        """Forget everything kept."""
        with self._lock:
            self._entries.clear()


def _rows_of(value: Any) -> int:
    return len(value) if isinstance(value, pd.DataFrame) else 0


def _copy_of(value: Any) -> Any:
    return value.copy() if isinstance(value, pd.DataFrame | list) else value


def _file_version(path: Path) -> object | None:
    """Return what identifies a GeoPackage file's content now (None: it cannot be told)."""
    try:
        st = path.stat()
    except OSError:
        return None
    try:
        wal = path.with_name(path.name + "-wal").stat()
        wal_key: tuple[int, int, int] | None = (wal.st_mtime_ns, wal.st_ctime_ns, wal.st_size)
    except OSError:
        wal_key = None
    # the change time too: no program can set it back, as one can the modification time
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, wal_key)


READ_CACHE_SIZE = 48
"""Reads a process keeps (layers, tables and layer lists of its GeoPackages)."""
READ_CACHE_ROWS = 250_000
"""Rows the kept reads may hold together (a city's layers; not a nation's)."""
_CACHE = _ReadCache(READ_CACHE_SIZE, READ_CACHE_ROWS)


def stored_crs(path: WorkspaceLike) -> dict[str, str]:
    """Return the CRS (``EPSG:code``) each geometry layer of a workspace is stored in."""
    ws = as_workspace(path)
    if isinstance(ws, Database):
        return {name: f"EPSG:{srid}" for name, srid in postgis.stored_srids(ws).items()}
    if not ws.exists():
        return {}
    _require_workspace(ws)
    layers = [str(name) for name, kind in pyogrio.list_layers(ws) if kind is not None]
    found = {name: pyogrio.read_info(ws, layer=name)["crs"] for name in layers}
    return {name: crs_code(crs) for name, crs in found.items() if crs}


def workspace_crs(path: WorkspaceLike) -> str | None:
    """Return the CRS a workspace's layers are stored in (``None`` before its first layer).

    A workspace takes its CRS with its first geometry layer (see
    :func:`write_layers`) and keeps it: every later write is reprojected to
    it. Where layers disagree (a file edited by hand), the streets' CRS is
    the workspace's and ``validate`` names the others.
    """
    ws = as_workspace(path)
    if isinstance(ws, Path) and ws.exists():
        _require_workspace(ws)
        if "streets" in {str(name) for name, _ in pyogrio.list_layers(ws)}:
            crs = pyogrio.read_info(ws, layer="streets")["crs"]  # one layer, not every layer
            if crs:
                return crs_code(crs)
    stored = stored_crs(ws)
    if not stored:
        return None
    if "streets" in stored:
        return stored["streets"]
    return max(sorted(set(stored.values())), key=list(stored.values()).count)


def _read(
    ws: Workspace, name: str, *, geometry: bool = True, where: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Read one stored table as it is (a GeoDataFrame when it has geometries and ``geometry``).

    ``where`` keeps the rows whose columns equal the given texts; the values
    are quoted as SQL literals, so any text (a URL's id) is only compared.
    """
    if where and any("\x00" in str(v) for v in where.values()):
        where = {"": ""}  # no stored text holds NUL: ask for a column no table has, no row
    if isinstance(ws, Database):
        return postgis.read_frame(ws, name, geometry=geometry, where=where)
    clause = _sqlite_where(ws, name, where) if where else None
    if geometry:
        frame = gpd.read_file(ws, layer=name, engine="pyogrio", where=clause, use_arrow=True)
    else:
        frame = pd.DataFrame(
            pyogrio.read_dataframe(
                ws, layer=name, read_geometry=False, where=clause, use_arrow=True
            )
        )
    return _objects_where_empty(frame)


def _objects_where_empty(frame: pd.DataFrame) -> pd.DataFrame:
    """Return text columns without a value as objects (None), as a read without Arrow gives.

    Arrow types a text column with no value at all as text (NaN); the
    readers of the layers know such a column as objects.
    """
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.StringDtype) and not values.notna().any():
            frame[column] = pd.Series([None] * len(values), index=values.index, dtype=object)
    return frame


def _sqlite_where(path: Path, name: str, where: Mapping[str, str]) -> str:
    """Return a GeoPackage attribute filter: ``"col" = 'value' AND …``, every text quoted."""
    fields = set(pyogrio.read_info(path, layer=name)["fields"])
    terms = [
        "\"{}\" = '{}'".format(column.replace('"', '""'), str(value).replace("'", "''"))
        if column in fields
        else "0"
        for column, value in where.items()
    ]
    return " AND ".join(terms)


def read_layer(
    path: WorkspaceLike,
    layer: str,
    *,
    required: bool = True,
    where: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read one layer of a workspace, typed by its schema.

    Parameters
    ----------
    path : path-like or Database
        The workspace.
    layer : str
        Layer name.
    required : bool
        Raise when the layer is absent; otherwise return an empty layer.
    where : mapping of str to str, optional
        Read only the features whose fields equal these texts (e.g. one
        address by ``{"id": "A000004"}``); the database does the filtering.

    Raises
    ------
    WorkspaceError
        When ``required`` and the workspace has no such layer.
    """
    ws = as_workspace(path)
    present = list_layers(ws)
    if layer not in present:
        if required:
            have = ", ".join(present) or "none"
            raise WorkspaceError(
                f"workspace {ws} has no layer {layer!r} (it has: {have}); "
                f"import one with `ductplanner import {ws} {layer} FILE`"
            )
        return empty_layer(layer, workspace_crs(ws) or DEFAULT_WORKSPACE_CRS)

    def read_valid() -> gpd.GeoDataFrame:
        gdf = _read(ws, layer, where=where)
        if layer in SCHEMAS:
            gdf, _ = validate_layer(gdf, layer, source=str(ws))
        return gdf

    if isinstance(ws, Database) or where:
        return read_valid()
    return cast("gpd.GeoDataFrame", _CACHE.get(ws, ("layer", layer), read_valid))


def read_raw_layer(path: WorkspaceLike, layer: str) -> gpd.GeoDataFrame:
    """Read one layer as stored, untyped and unvalidated (what ``validate`` checks)."""
    ws = as_workspace(path)
    _require_workspace(ws)
    return _read(ws, layer)


def read_layers(
    path: WorkspaceLike, layers: Iterable[str] | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Read several layers (by default every schema layer present)."""
    ws = as_workspace(path)
    present = list_layers(ws)
    names = [n for n in SCHEMAS if n in present] if layers is None else list(layers)
    return {name: read_layer(ws, name) for name in names}


def read_table(
    path: WorkspaceLike,
    name: str,
    *,
    required: bool = True,
    where: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read an attribute-only table of a workspace (a forecast, a decision log).

    Parameters
    ----------
    path : path-like or Database
        The workspace.
    name : str
        Table name.
    required : bool
        Raise when the table is absent; otherwise return an empty frame.
    where : mapping of str to str, optional
        Read only the rows whose columns equal these texts.

    Raises
    ------
    WorkspaceError
        When ``required`` and the workspace has no such table.
    """
    ws = as_workspace(path)
    present = list_layers(ws)
    if name not in present:
        if required:
            raise WorkspaceError(
                f"workspace {ws} has no table {name!r} (it has: {', '.join(present) or 'none'})"
            )
        return pd.DataFrame()
    if isinstance(ws, Database) or where:
        return _read(ws, name, geometry=False, where=where)

    def read() -> pd.DataFrame:
        return _read(ws, name, geometry=False)

    return cast("pd.DataFrame", _CACHE.get(ws, ("table", name), read))


def read_sources(path: WorkspaceLike) -> pd.DataFrame:
    """Return the provenance table: one row per layer (source, updated, synthetic).

    ``features`` is an integer and ``synthetic`` a boolean column (also for
    workspaces written when the table stored them as text).
    """
    ws = as_workspace(path)
    if SOURCES_TABLE not in list_layers(ws):
        return _typed_sources(pd.DataFrame(columns=_SOURCE_COLUMNS))
    return _typed_sources(_read(ws, SOURCES_TABLE, geometry=False))


def _typed_sources(table: pd.DataFrame) -> pd.DataFrame:
    table = table.reindex(columns=_SOURCE_COLUMNS).copy()
    table["features"] = pd.to_numeric(table["features"], errors="coerce").fillna(0)
    table["features"] = table["features"].astype("int64")
    flags = table["synthetic"].astype("object")
    table["synthetic"] = flags.map(
        lambda v: v if isinstance(v, bool) else str(v).strip().lower() in {"1", "true"}
    ).astype(bool)
    for column in ("layer", "source", "updated", "note"):
        table[column] = table[column].astype("object").where(table[column].notna(), "")
    return table


@contextlib.contextmanager
def editing(path: str | os.PathLike[str], *, fresh: bool = False) -> Iterator[Path]:
    """Yield a temporary copy of the workspace; it replaces the original on success.

    The copy lives in the same folder and replaces the original in one rename
    (:func:`ductplanner.core._atomic.replacing`), under the workspace's lock.
    On any exception the copy is deleted and the original is left untouched;
    a fault of the file system (full disk, read-only storage) is a
    :class:`WorkspaceError` saying so. With ``fresh`` the copy starts empty:
    the workspace is replaced as a whole.
    """
    path = Path(path)
    _make_folder(path)
    with locked(path):
        if path.exists():
            _require_workspace(path)
            _require_writable(path)
        try:
            with replacing(path, suffix=".gpkg") as tmp:
                if path.exists() and not fresh:
                    shutil.copyfile(path, tmp)
                yield tmp
        except OSError as exc:
            raise WorkspaceError(
                f"cannot write the workspace {path}: {_os_cause(exc, path.parent)}; it is unchanged"
            ) from exc
        except pyogrio.errors.DataSourceError as exc:  # GDAL's word for the same faults
            free = shutil.disk_usage(path.parent).free
            cause = f"the disk holding {path.parent} is full" if free < _LOW_SPACE else str(exc)
            raise WorkspaceError(
                f"cannot write the workspace {path}: {cause}; it is unchanged"
            ) from exc


def _make_folder(path: Path) -> None:
    """Create the folder a new workspace file goes in."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(
            f"cannot create the workspace {path}: {_os_cause(exc, path.parent)}"
        ) from exc


_LOW_SPACE = 1 << 20
"""Bytes free below which a failed GeoPackage write is put down to a full disk."""


def _require_writable(path: Path) -> None:
    mode_bits = path.stat().st_mode & 0o777
    if not os.access(path, os.W_OK) or not mode_bits & 0o222:  # root may write anything
        mode = oct(mode_bits)
        raise WorkspaceError(
            f"workspace {path} is read-only (mode {mode[2:]}); it is unchanged. Make it "
            f"writable (chmod u+w {path}) or write to a copy"
        )
    if not os.access(path.parent, os.W_OK):
        raise WorkspaceError(
            f"cannot write the workspace {path}: no permission to write in {path.parent} "
            "(a write replaces the file there); it is unchanged"
        )


def write_layers(
    path: WorkspaceLike,
    layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame],
    *,
    sources: Mapping[str, str] | None = None,
    synthetic: bool = False,
    note: str = "",
    fresh: bool = False,
) -> None:
    """Write (replace) layers in a workspace, all or nothing, under its lock.

    Parameters
    ----------
    path : path-like or Database
        The workspace; created when absent.
    layers : mapping of str to GeoDataFrame or DataFrame
        Layers to write; each replaces the layer of that name. Geometries are
        reprojected to the workspace CRS if they are in another. A new
        workspace (or a ``fresh`` write) takes the CRS of the first layer in
        a projected CRS in metres, else the CRS
        :func:`~ductplanner.model.zone.choose_workspace_crs` picks for the
        first layer's place (EPSG:25832 in Denmark). A plain
        DataFrame (no geometry) is written as an attribute-only table; read
        it back with :func:`read_table`.
    sources : mapping of str to str, optional
        Per layer, the file it came from, recorded in :data:`SOURCES_TABLE`.
    synthetic : bool
        Mark the layers as synthetic (the demo) in the provenance table.
    note : str
        Free text stored with the provenance.
    fresh : bool
        Replace the whole workspace: afterwards it holds only ``layers``.

    Raises
    ------
    WorkspaceError
        The workspace is busy, read-only, not a workspace, or the file
        system or database refused the write; the workspace is unchanged.
    """
    ws = as_workspace(path)
    sources = dict(sources or {})
    rows = [
        {
            "layer": name,
            "source": sources.get(name, "ductplanner"),
            "updated": timestamp(),
            "synthetic": synthetic,
            "features": len(gdf),
            "note": note,
        }
        for name, gdf in layers.items()
    ]
    with _writing(ws):
        stored = None if fresh or not ws.exists() else workspace_crs(ws)
        crs = stored or _new_workspace_crs(layers.values())
        frames = {name: _prepared(name, gdf, crs) for name, gdf in layers.items()}
        kept = _typed_sources(pd.DataFrame(columns=_SOURCE_COLUMNS))
        if not fresh and ws.exists():
            kept = read_sources(ws)
        if rows:
            frames[SOURCES_TABLE] = _sources_with(kept, rows)
        _write_frames(ws, frames, fresh=fresh)


@contextlib.contextmanager
def _writing(ws: Workspace) -> Iterator[None]:
    """Hold the lock of a workspace about to be written (making a new file's folder first)."""
    if isinstance(ws, Path):
        _make_folder(ws)
    with locked(ws):
        yield


def _write_frames(ws: Workspace, frames: Mapping[str, pd.DataFrame], *, fresh: bool) -> None:
    """Replace the workspace's tables with ``frames`` (already prepared), all or nothing."""
    if isinstance(ws, Database):
        multi = {name for name in frames if name in SCHEMAS and SCHEMAS[name].keep_multi}
        postgis.write_tables(ws, frames, srid=_srid_of(ws, frames), multi=multi, fresh=fresh)
        return
    with editing(ws, fresh=fresh) as tmp:
        for name, frame in frames.items():
            _write_one(tmp, name, frame)


def _new_workspace_crs(layers: Iterable[gpd.GeoDataFrame | pd.DataFrame]) -> str:
    """Return the CRS a new workspace takes for its first ``layers`` (see :func:`write_layers`)."""
    placed = [
        gdf
        for gdf in layers
        if isinstance(gdf, gpd.GeoDataFrame) and gdf.crs is not None and not gdf.empty
    ]
    for gdf in placed:
        if metric_crs_problem(gdf.crs) is None:
            return crs_code(gdf.crs)
    for gdf in placed:
        choice = frame_crs_choice(gdf)
        if choice is not None:
            return choice.crs
    return DEFAULT_WORKSPACE_CRS


def _srid_of(db: Database, frames: Mapping[str, pd.DataFrame]) -> int:
    """Return the SRID of the frames' CRS (all prepared in one), for a PostGIS workspace."""
    crs = next(
        (f.crs for f in frames.values() if isinstance(f, gpd.GeoDataFrame) and f.crs is not None),
        None,
    )
    code = CRS.from_user_input(crs or DEFAULT_WORKSPACE_CRS).to_epsg()
    if not code:
        raise WorkspaceError(
            f"cannot write the PostGIS workspace {db}: its layers' CRS ({crs_code(crs)}) has "
            "no EPSG code, which PostGIS needs; import the data with --workspace-crs EPSG:code"
        )
    return int(code)


def _prepared(name: str, gdf: gpd.GeoDataFrame | pd.DataFrame, crs: str) -> pd.DataFrame:
    """Return the frame as the workspace stores it: in its CRS ``crs``, text as objects."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        return _plain_text(pd.DataFrame(gdf))
    if gdf.crs is None:
        raise WorkspaceError(f"layer {name!r} has no CRS; cannot write it to the workspace")
    if gdf.empty:
        gdf = gdf.set_crs(crs, allow_override=True)
    elif not gdf.crs.equals(crs):
        gdf = gdf.to_crs(crs)
    return _plain_text(gdf)


def _write_one(path: Path, name: str, frame: pd.DataFrame) -> None:
    """Write one table or layer in bulk, through Arrow (about twice as fast for a big layer)."""
    if not isinstance(frame, gpd.GeoDataFrame):
        pyogrio.write_dataframe(
            frame, path, layer=name, driver="GPKG", use_arrow=True, **_GPKG_OPTIONS
        )
        return
    kwargs = {}
    if name in SCHEMAS and SCHEMAS[name].keep_multi:
        kwargs["promote_to_multi"] = True
    frame.to_file(
        path, layer=name, driver="GPKG", engine="pyogrio", use_arrow=True, **_GPKG_OPTIONS, **kwargs
    )


def _plain_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy with pandas string columns as object (what the GPKG writer takes)."""
    frame = frame.copy()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.StringDtype):
            frame[column] = frame[column].astype("object")
    return frame


def _sources_with(old: pd.DataFrame, rows: list[dict[str, object]]) -> pd.DataFrame:
    """Return the provenance table ``old`` with the layers of ``rows`` replaced by them."""
    new = pd.DataFrame(rows, columns=_SOURCE_COLUMNS)
    table = pd.concat([old[~old["layer"].isin(new["layer"])], new], ignore_index=True)
    return _plain_text(_typed_sources(table))


def copy_workspace(source: WorkspaceLike, target: WorkspaceLike) -> dict[str, int]:
    """Copy every layer and table of one workspace into another, replacing what it held.

    The two may be of either backend (a GeoPackage and a PostGIS schema);
    the provenance table is copied as it is. The copy is checked: each
    table's :func:`content_digests` entry must equal the source's.

    Returns
    -------
    dict of str to int
        Per table copied, its number of rows.

    Raises
    ------
    WorkspaceError
        When the source cannot be read, the target not written (it is then
        unchanged), or the copy differs from the source.
    """
    src, dst = as_workspace(source), as_workspace(target)
    names = list_layers(src)
    frames = {name: _read(src, name) for name in names}
    with _writing(dst):
        _write_frames(dst, frames, fresh=True)
    before = {name: _frame_digest(f) for name, f in frames.items() if name != SOURCES_TABLE}
    after = content_digests(dst)
    differ = sorted(name for name in before if before[name] != after.get(name))
    if differ:
        raise WorkspaceError(
            f"the copy of {src} in {dst} differs from it in {', '.join(differ)}; "
            "please report this with both workspaces"
        )
    return {name: len(frame) for name, frame in frames.items()}


PLANNING_LAYERS = ("streets", "addresses", "ducts", "backbone", "digs")
"""The layers opportunities, the plan and the forecast read (the first two required)."""


def read_planning_layers(path: WorkspaceLike) -> dict[str, gpd.GeoDataFrame]:
    """Read the layers the opportunities and the plan need (optional ones when present)."""
    ws = as_workspace(path)
    present = set(list_layers(ws))
    return {
        name: read_layer(ws, name)
        for name in PLANNING_LAYERS
        if name in present or name in ("streets", "addresses")
    }


_VOLATILE_COLUMNS = ("created", "updated")
"""Columns that say when a table was written, not what it holds."""


def content_digests(path: WorkspaceLike) -> dict[str, str]:
    """Return a SHA-256 of the content of each layer and table (provenance left out).

    Unlike a hash of the file's bytes, which change with every write's
    timestamps, these are equal whenever two workspaces hold the same
    features and rows: a report can say its figures came from this content.
    Columns that only date the write (``created``, ``updated``) are left out.
    """
    ws = as_workspace(path)
    out = {}
    for name in sorted(list_layers(ws)):
        if name == SOURCES_TABLE:
            continue
        out[name] = _frame_digest(_read(ws, name))
    return out


def _frame_digest(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    geometry = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else None
    columns = [c for c in frame.columns if c not in _VOLATILE_COLUMNS and c != "geometry"]
    for column in columns:
        digest.update(f"{column}\0".encode())
        values = pd.util.hash_pandas_object(frame[column], index=False)
        digest.update(values.to_numpy().tobytes())
    if geometry is not None:
        for wkb in shapely.to_wkb(geometry.to_numpy(), output_dimension=2):
            digest.update(b"" if wkb is None else wkb)
            digest.update(b"\0")
    return digest.hexdigest()
