"""PostGIS workspaces: one schema of a PostgreSQL database, written in transactions.

A workspace given as a libpq URL, ``postgresql://[user@]host[:port]/database``,
lives in the schema named by its ``schema`` parameter (default
``ductplanner``): ``postgresql://gis@db.ballerup.dk/gis?schema=codig``. Every
other parameter is libpq's, so ``postgresql:///?service=ballerup&schema=codig``
takes host, database and user from a ``pg_service.conf`` entry and a password
from ``~/.pgpass``, as QGIS does.

Each layer is a table with an ``fid bigserial`` primary key and a ``geom``
column typed by its geometry and registered with the SRID of the
workspace CRS (25832 unless the workspace was made in another), with a
GiST index: QGIS lists and edits them as they are.
An attribute table is a table without ``geom``. A write replaces its tables
in one transaction, so a reader sees every table of the write or none; a
replaced table keeps the grants it had (a colleague's read access stays).
Writers hold a session advisory lock on the schema, which the server lets
go when the writer's connection ends, also when its process is killed.

Only :mod:`ductplanner.io.workspace` calls this module; psycopg is imported
when a database workspace is first used.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..core._errors import MissingInputError, WorkspaceError

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "DEFAULT_SCHEMA",
    "Database",
    "connection_params",
    "holding_lock",
    "is_database",
    "list_tables",
    "make_schema",
    "parse_database",
    "read_frame",
    "require_schema",
    "write_tables",
]

DEFAULT_SCHEMA = "ductplanner"
"""The schema of a workspace URL without a ``schema`` parameter."""

_SCHEMES = ("postgresql://", "postgres://")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_GEOMETRY = "geom"
_KEY = "fid"
_LOCK_CLASS = 0x44504C4E  # 'DPLN': ductplanner's first key of pg_advisory_lock(int, int)
_SWAP_CLASS = 0x44505357  # 'DPSW': readers share it, a write's transaction holds it alone
_CONNECT_TIMEOUT_S = 10


@dataclass(frozen=True)
class Database:
    """A workspace in a PostGIS database: where to connect, and the schema.

    ``name`` and ``stem`` are the schema, ``parent`` the current folder:
    the names and the folder of the files a command writes by default, as
    for a GeoPackage workspace.

    Attributes
    ----------
    conninfo : str
        The libpq URL without the ``schema`` parameter.
    schema : str
        The schema holding the workspace's tables.
    shown : str
        The URL as messages show it: without a password.
    """

    conninfo: str
    schema: str
    shown: str

    @property
    def name(self) -> str:
        """The schema: what names the workspace in messages and output files."""
        return self.schema

    @property
    def stem(self) -> str:
        """The schema, as for a file's stem."""
        return self.schema

    @property
    def parent(self) -> Path:
        """The folder default outputs go to: the current one."""
        return Path.cwd()

    def exists(self) -> bool:
        """Return whether the database holds the workspace's schema."""
        with _connection(self) as conn:
            return _schema_exists(conn, self.schema)

    def __str__(self) -> str:
        return self.shown


def is_database(value: object) -> bool:
    """Return whether a workspace argument names a PostGIS database (a ``postgresql://`` URL)."""
    if isinstance(value, Database):
        return True
    return isinstance(value, str) and value.strip().lower().startswith(_SCHEMES)


def parse_database(url: str) -> Database:
    """Return the :class:`Database` a ``postgresql://`` URL names.

    Raises
    ------
    WorkspaceError
        When the ``schema`` parameter is not a plain SQL name.
    """
    parts = urllib.parse.urlsplit(url.strip())
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    schemas = [value for key, value in query if key == "schema"]
    schema = schemas[-1] if schemas else DEFAULT_SCHEMA
    if not _IDENTIFIER.fullmatch(schema):
        raise WorkspaceError(
            f"workspace URL {_shown(parts, [])}: schema {schema[:80]!r} is not a plain SQL name; "
            "use letters, digits and _ (at most 63, not first a digit), e.g. schema=ballerup"
        )
    rest = [(key, value) for key, value in query if key != "schema"]
    conninfo = _unsplit(parts, parts.netloc, rest)
    return Database(conninfo, schema, _shown(parts, rest, schema))


def _shown(
    parts: urllib.parse.SplitResult, query: list[tuple[str, str]], schema: str | None = None
) -> str:
    netloc = parts.netloc.rpartition("@")
    user = netloc[0].partition(":")[0]
    host = f"{user}@{netloc[2]}" if user else netloc[2]
    kept = [(k, v) for k, v in query if k != "password"]
    if schema is not None:
        kept.append(("schema", schema))
    return _unsplit(parts, host, kept)


def _unsplit(parts: urllib.parse.SplitResult, netloc: str, query: list[tuple[str, str]]) -> str:
    """Join a URL again, keeping ``//`` when the host is empty (``postgresql:///gis``)."""
    text = f"{parts.scheme}://{netloc}{parts.path}"
    encoded = urllib.parse.urlencode(query, quote_via=urllib.parse.quote)  # libpq: %20, not +
    return text + (f"?{encoded}" if query else "")


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - a dependency of ductplanner
        raise WorkspaceError(
            "a PostGIS workspace needs psycopg: pip install 'psycopg[binary]'"
        ) from exc
    return psycopg


_open = threading.local()  # per thread, the connection of each database, by process


@contextlib.contextmanager
def _connection(
    db: Database, *, writing: bool = False, own: bool = False
) -> Iterator[psycopg.Connection[Any]]:
    """Yield an autocommit connection; turn the server's refusals into clear messages.

    The thread's connection to the database is reused (a command reads many
    tables); ``own`` opens one of the block's own, closed after it (the
    writers' lock lives in one). A connection that failed is closed.
    """
    psycopg = _psycopg()
    conns: dict[tuple[str, int], Any] = _open.__dict__.setdefault("conns", {})
    key = (db.conninfo, os.getpid())
    conn = None if own else conns.get(key)
    if conn is None or conn.closed or conn.broken:
        conn = _connect(db, writing)
        if not own:
            conns[key] = conn
    try:
        yield conn
    except psycopg.Error as exc:
        conns.pop(key, None)
        conn.close()
        raise _fault(db, exc, writing) from exc
    finally:
        if own:
            conn.close()


def _connect(db: Database, writing: bool) -> psycopg.Connection[Any]:
    psycopg = _psycopg()
    try:
        params = psycopg.conninfo.conninfo_to_dict(db.conninfo)
        params["options"] = f"{params.get('options') or ''} -c TimeZone=UTC".strip()
        params.setdefault("connect_timeout", _CONNECT_TIMEOUT_S)
        params.setdefault("application_name", "ductplanner")
        return psycopg.connect(**params, autocommit=True)
    except psycopg.Error as exc:
        raise WorkspaceError(
            f"cannot reach the workspace {db}: {_first_line(exc)}; check that the PostgreSQL "
            "server runs and that the URL (host, port, database, user) is right"
            + ("; nothing was changed" if writing else "")
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_CAUSES = {
    "42501": "the database user has no permission for this",
    "25006": "the database is read-only (a standby, or default_transaction_read_only)",
    "53100": "the database server's disk is full",
    "53200": "the database server ran out of memory",
    "57014": "the statement was cancelled (statement_timeout)",
}


def _fault(db: Database, exc: Exception, writing: bool) -> WorkspaceError:
    state = getattr(exc, "sqlstate", None) or ""
    cause = _CAUSES.get(state) or _first_line(exc)
    if state.startswith("08") or state.startswith("57P"):
        cause = f"the connection to the server was lost ({_first_line(exc)})"
    verb = "write" if writing else "read"
    tail = "; it is unchanged" if writing else ""
    return WorkspaceError(f"cannot {verb} the workspace {db}: {cause}{tail}")


def _schema_exists(conn: psycopg.Connection[Any], schema: str) -> bool:
    row = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    return row is not None


def make_schema(db: Database) -> None:
    """Create the schema of ``db`` when it does not exist (e.g. for the portal's accounts)."""
    from psycopg import sql

    with _connection(db, writing=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(db.schema)))


def connection_params(db: Database) -> dict[str, str]:
    """Return the libpq parameters of ``db``'s URL (host, dbname, user, service, …)."""
    from psycopg.conninfo import conninfo_to_dict

    return {key: str(value) for key, value in conninfo_to_dict(db.conninfo).items()}


def require_schema(db: Database) -> None:
    """Raise :class:`MissingInputError` when the workspace's schema does not exist."""
    if not db.exists():
        raise MissingInputError(
            f"workspace {db} does not exist (the database has no schema {db.schema}); create it "
            f"with `ductplanner copy WORKSPACE.gpkg '{db}'` or `ductplanner import '{db}' "
            "streets FILE`"
        )


def list_tables(db: Database) -> list[str]:
    """Return the names of the workspace's tables, spatial and not (sorted)."""
    require_schema(db)
    with _connection(db) as conn:
        return sorted(_tables(conn, db))


# --- reading ---------------------------------------------------------------------------------

_TEXT_TYPES = {"text", "varchar", "bpchar", "name", "uuid", "json", "jsonb", "date", "time"}
_INTEGER_TYPES = {"int2", "int4", "int8"}
_FLOAT_TYPES = {"float4", "float8", "numeric"}


@dataclass(frozen=True)
class _Column:
    name: str
    kind: str  # the type's name in pg_type (text, int8, geometry...)


def _columns(conn: psycopg.Connection[Any], db: Database, table: str) -> list[_Column]:
    rows = conn.execute(
        "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "WHERE a.attrelid = to_regclass(format('%%I.%%I', %s::text, %s::text)) "
        "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        (db.schema, table),
    ).fetchall()
    return [_Column(str(name), str(kind)) for name, kind in rows]


def stored_srids(db: Database) -> dict[str, int]:
    """Return the SRID of each geometry table of the workspace (none when it has no schema)."""
    with _connection(db) as conn:
        if not _schema_exists(conn, db.schema):
            return {}
        rows = conn.execute(
            "SELECT f_table_name, srid FROM geometry_columns "
            "WHERE f_table_schema = %s AND f_geometry_column = %s",
            (db.schema, _GEOMETRY),
        ).fetchall()
    return {str(name): int(srid) for name, srid in rows if srid}


def _srid(conn: psycopg.Connection[Any], db: Database, table: str) -> int:
    row = conn.execute(
        "SELECT srid FROM geometry_columns WHERE f_table_schema = %s AND f_table_name = %s "
        "AND f_geometry_column = %s",
        (db.schema, table, _GEOMETRY),
    ).fetchone()
    return int(row[0]) if row and row[0] else 0


def read_frame(
    db: Database, table: str, *, geometry: bool = True, where: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Read one table in row order: a GeoDataFrame when it has ``geom`` and ``geometry``.

    Column types follow what GDAL gives for the same GeoPackage layer:
    integers as ``int64`` (``float64`` when some are null), reals as
    ``float64``, text as ``str``, booleans as ``bool``, timestamps as
    ``datetime64[ms]``; the geometry column is ``geometry``. ``where`` keeps
    the rows whose columns equal the given texts (values quoted as literals).
    """
    from psycopg import sql

    with _connection(db) as conn, _reading(conn, db):
        every = _columns(conn, db, table)
        columns = [c for c in every if c.name != _KEY]
        spatial = any(c.kind == "geometry" and c.name == _GEOMETRY for c in columns)
        attributes = [c for c in columns if c.kind != "geometry"]
        wanted = spatial and geometry
        selected: list[Any] = []
        for column in attributes:
            ident = sql.Identifier(column.name)
            if column.kind in _TEXT_TYPES:
                selected += [sql.SQL("coalesce({}::text, '')").format(ident)]
                selected += [sql.SQL("({} IS NULL)").format(ident)]
            else:
                selected.append(ident)
        if wanted:
            selected.append(
                sql.SQL("encode(ST_AsBinary({}), 'hex')").format(sql.Identifier(_GEOMETRY))
            )
        keyed = len(every) > len(columns)
        order = sql.SQL(" ORDER BY {}").format(sql.Identifier(_KEY)) if keyed else sql.SQL("")
        query = sql.SQL("COPY (SELECT {} FROM {}.{}{}{}) TO STDOUT (FORMAT csv)").format(
            sql.SQL(", ").join(selected) if selected else sql.SQL("1"),
            sql.Identifier(db.schema),
            sql.Identifier(table),
            _where(where or {}, {c.name for c in columns}),
            order,
        )
        buffer = io.BytesIO()
        with conn.cursor() as cur, cur.copy(query) as copy:
            for chunk in copy:
                buffer.write(chunk)
        srid = _srid(conn, db, table) if wanted else 0
    buffer.seek(0)
    frame = _parse_csv(buffer, attributes, wanted)
    if not wanted:
        return frame
    hexes = frame.pop(_GEOMETRY)
    geoms = shapely.from_wkb(hexes.where(hexes.notna(), None).to_numpy(dtype=object))
    crs = f"EPSG:{srid}" if srid else None
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)


def _where(where: Mapping[str, str], present: set[str]) -> Any:
    """Return ``WHERE col::text = 'value' AND …`` (a column the table lacks matches nothing)."""
    from psycopg import sql

    if not where:
        return sql.SQL("")
    terms = [
        sql.SQL("{}::text = {}").format(sql.Identifier(name), sql.Literal(str(value)))
        if name in present
        else sql.SQL("false")
        for name, value in where.items()
    ]
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(terms)


@contextlib.contextmanager
def _reading(conn: psycopg.Connection[Any], db: Database) -> Iterator[None]:
    """Hold the schema's shared swap lock while reading a table.

    A write replaces a table (drop, create, fill) in one transaction. A
    reader whose statement began before that commit would wait for it and
    then read the new table with its old snapshot: no rows at all. Readers
    therefore share a lock that each write's transaction takes alone before
    it touches a table, so every read statement starts before a write or
    after its commit.
    """
    key = (_SWAP_CLASS, db.schema)
    conn.execute("SELECT pg_advisory_lock_shared(%s, hashtext(%s))", key)
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock_shared(%s, hashtext(%s))", key)


def _parse_csv(buffer: io.BytesIO, attributes: list[_Column], geometry: bool) -> pd.DataFrame:
    names: list[str] = []
    dtypes: dict[str, Any] = {}
    missing: dict[str, list[str]] = {}
    for i, column in enumerate(attributes):
        key = f"c{i}"
        names.append(key)
        if column.kind in _TEXT_TYPES:
            dtypes[key] = str
            names.append(f"{key}_null")
            dtypes[f"{key}_null"] = str
        elif column.kind in _FLOAT_TYPES:
            dtypes[key] = "float64"
            missing[key] = [""]
        elif column.kind in _INTEGER_TYPES:
            missing[key] = [""]
        else:  # booleans and timestamps are parsed below
            dtypes[key] = str
            missing[key] = [""]
    if geometry:
        names.append(_GEOMETRY)
        dtypes[_GEOMETRY] = str
        missing[_GEOMETRY] = [""]
    if buffer.getbuffer().nbytes:
        raw = pd.read_csv(
            buffer,
            header=None,
            names=names or None,
            dtype=dtypes,
            keep_default_na=False,
            na_values=missing,
        )
    else:
        raw = pd.DataFrame({name: pd.Series([], dtype=dtypes.get(name, "int64")) for name in names})
    out: dict[str, Any] = {}
    for i, column in enumerate(attributes):
        out[column.name] = _typed(raw, f"c{i}", column.kind)
    if geometry:
        out[_GEOMETRY] = raw[_GEOMETRY]
    return pd.DataFrame(out, index=pd.RangeIndex(len(raw)))


def _typed(raw: pd.DataFrame, key: str, kind: str) -> pd.Series:
    values = raw[key]
    if kind in _TEXT_TYPES:
        return values.where(raw[f"{key}_null"] != "t", None)
    if kind == "bool":
        flags = values.map({"t": True, "f": False})
        return flags.astype(bool) if flags.notna().all() else flags.astype(object)
    if kind in ("timestamp", "timestamptz"):
        stamps = pd.to_datetime(values, utc=kind == "timestamptz", format="ISO8601")
        return stamps.astype("datetime64[ms, UTC]" if kind == "timestamptz" else "datetime64[ms]")
    if kind in _INTEGER_TYPES and values.isna().sum() == 0:
        return values.astype("int64")
    return values


# --- writing ---------------------------------------------------------------------------------


def _column_type(series: pd.Series) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "timestamptz"
    if pd.api.types.is_datetime64_dtype(dtype):
        return "timestamp"
    return "text"


_AS_PYTHON: dict[str, Callable[[Any], Any]] = {
    "bigint": int,
    "double precision": float,
    "text": lambda v: v if isinstance(v, str) else str(v),
}
"""Per column type, what COPY is given for a value (other types pass as they are)."""


def _cells(series: pd.Series, kind: str) -> list[Any]:
    """Return the column's values as Python objects, ``None`` where missing."""
    missing = series.isna().to_numpy()
    timestamps = kind in ("timestamp", "timestamptz")
    values = series.dt.to_pydatetime() if timestamps else series.astype(object)
    convert = _AS_PYTHON.get(kind, lambda v: v)
    return [None if m else convert(v) for v, m in zip(values, missing, strict=True)]


def _geometry_type(geoms: np.ndarray) -> tuple[str, bool]:
    present = geoms[~shapely.is_missing(geoms)]
    has_z = bool(shapely.has_z(present).any()) if len(present) else False
    kinds = set(shapely.get_type_id(present).tolist())
    names = {
        0: "Point",
        1: "LineString",
        3: "Polygon",
        4: "MultiPoint",
        5: "MultiLineString",
        6: "MultiPolygon",
        7: "GeometryCollection",
    }
    kind = names.get(kinds.pop(), "Geometry") if len(kinds) == 1 else "Geometry"
    return kind + ("Z" if has_z else ""), has_z


_MULTI_OF = {0: shapely.multipoints, 1: shapely.multilinestrings, 3: shapely.multipolygons}


def _as_multi(geoms: np.ndarray) -> np.ndarray:
    """Return the geometries with each single point, line or polygon made a multi-part one."""
    out = np.array(geoms, dtype=object)
    types = shapely.get_type_id(out)
    for single, make in _MULTI_OF.items():
        for i in np.flatnonzero(types == single):
            out[i] = make([out[i]])
    return out


def _grants(conn: psycopg.Connection[Any], db: Database, table: str) -> list[tuple[str, str]]:
    rows = conn.execute(
        "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, "
        "a.privilege_type FROM pg_class c, aclexplode(c.relacl) a "
        "WHERE c.oid = to_regclass(format('%%I.%%I', %s::text, %s::text)) "
        "AND a.grantee <> c.relowner",
        (db.schema, table),
    ).fetchall()
    return [(str(role), str(privilege)) for role, privilege in rows]


def _require_postgis(conn: psycopg.Connection[Any], db: Database) -> None:
    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone():
        return
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except _psycopg().Error as exc:
        raise WorkspaceError(
            f"cannot write the workspace {db}: the database has no PostGIS and this user may "
            f"not add it ({_first_line(exc)}); ask its owner to run CREATE EXTENSION postgis; "
            "nothing was changed"
        ) from exc


def write_tables(
    db: Database,
    frames: Mapping[str, pd.DataFrame],
    *,
    srid: int,
    multi: Collection[str] = (),
    fresh: bool = False,
) -> None:
    """Replace tables of the workspace with ``frames``, all in one transaction.

    Parameters
    ----------
    db : Database
        The workspace (its schema is created when absent).
    frames : mapping of str to DataFrame
        Per table, its rows; a GeoDataFrame's geometry becomes ``geom``
        (already in the CRS of ``srid``).
    srid : int
        The SRID of the geometry columns.
    multi : collection of str
        Tables whose single geometries are stored as multi-part ones (as
        GDAL's ``promote_to_multi`` does for a GeoPackage).
    fresh : bool
        Drop every other table of the schema too.
    """
    from psycopg import sql

    for name, frame in frames.items():
        _require_names(db, name, frame)
    with _connection(db, writing=True) as conn:
        _require_postgis(conn, db)
        with conn.transaction():
            # First, before any table is touched: wait for readers, keep new ones out until commit.
            conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_SWAP_CLASS, db.schema))
            conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(db.schema))
            )
            if fresh:
                for table in _tables(conn, db):
                    if table not in frames:
                        conn.execute(
                            sql.SQL("DROP TABLE {}.{} CASCADE").format(
                                sql.Identifier(db.schema), sql.Identifier(table)
                            )
                        )
            for name, frame in frames.items():
                _replace_table(conn, db, name, frame, srid, multi=name in multi)


def _tables(conn: psycopg.Connection[Any], db: Database) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p')",
        (db.schema,),
    ).fetchall()
    return [str(name) for (name,) in rows]


def _require_names(db: Database, table: str, frame: pd.DataFrame) -> None:
    names = [table, *[str(c) for c in frame.columns]]
    long = [n for n in names if len(n.encode()) > 63]
    if long:
        raise WorkspaceError(
            f"cannot write the workspace {db}: PostgreSQL names are at most 63 bytes, and "
            f"{', '.join(repr(n[:80]) for n in long)} in table {table[:80]!r} are longer; "
            "rename them (import --field), nothing was changed"
        )
    reserved = {_KEY, _GEOMETRY} & {str(c) for c in frame.columns if c != _geometry_name(frame)}
    if reserved:
        raise WorkspaceError(
            f"cannot write the workspace {db}: table {table!r} has a column named "
            f"{sorted(reserved)[0]!r}, which a PostGIS workspace keeps for the feature id and "
            "geometry; rename it, nothing was changed"
        )


def _require_no_nul(db: Database, table: str, column: object, values: pd.Series) -> None:
    """PostgreSQL text cannot hold the NUL character: name the first row that has one."""
    text = values.astype(object)
    bad = text.map(lambda v: isinstance(v, str) and "\x00" in v).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise WorkspaceError(
            f"cannot write the workspace {db}: table {table!r}, column {column!r}, row {row} "
            "holds a NUL character (\\x00), which PostgreSQL text cannot store; remove it from "
            "the source file; nothing was changed"
        )


def _geometry_name(frame: pd.DataFrame) -> str | None:
    return frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None


def _replace_table(
    conn: psycopg.Connection[Any],
    db: Database,
    name: str,
    frame: pd.DataFrame,
    srid: int,
    *,
    multi: bool,
) -> None:
    from psycopg import sql

    table = sql.SQL("{}.{}").format(sql.Identifier(db.schema), sql.Identifier(name))
    grants = _grants(conn, db, name)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(table))
    geometry_column = _geometry_name(frame)
    attributes = [c for c in frame.columns if c != geometry_column]
    kinds = [_column_type(frame[c]) for c in attributes]
    definitions = [sql.SQL("{} bigserial PRIMARY KEY").format(sql.Identifier(_KEY))]
    definitions += [
        sql.SQL("{} {}").format(sql.Identifier(str(c)), sql.SQL(kind))
        for c, kind in zip(attributes, kinds, strict=True)
    ]
    for column, kind in zip(attributes, kinds, strict=True):
        if kind == "text":
            _require_no_nul(db, name, column, frame[column])
    cells = [_cells(frame[c], kind) for c, kind in zip(attributes, kinds, strict=True)]
    names = [sql.Identifier(str(c)) for c in attributes]
    if geometry_column is not None:
        geoms = frame.geometry.to_numpy()
        geoms = _as_multi(geoms) if multi else geoms
        kind, has_z = _geometry_type(geoms)
        definitions.append(
            sql.SQL("{} geometry({}, {})").format(
                sql.Identifier(_GEOMETRY), sql.SQL(kind), sql.Literal(srid)
            )
        )
        ewkb = shapely.to_wkb(
            shapely.set_srid(geoms, srid),
            hex=True,
            include_srid=True,
            output_dimension=3 if has_z else 2,
        )
        cells.append(list(ewkb))
        names.append(sql.Identifier(_GEOMETRY))
    conn.execute(sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(", ").join(definitions)))
    if names and len(frame):
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(table, sql.SQL(", ").join(names))
        with conn.cursor() as cur, cur.copy(copy_sql) as copy:
            for row in zip(*cells, strict=True):
                copy.write_row(row)
    elif len(frame):  # rows without columns
        conn.execute(
            sql.SQL("INSERT INTO {} SELECT FROM generate_series(1, %s)").format(table),
            (len(frame),),
        )
    if geometry_column is not None:
        conn.execute(
            sql.SQL("CREATE INDEX ON {} USING gist ({})").format(table, sql.Identifier(_GEOMETRY))
        )
    for role, privilege in grants:
        grantee = sql.SQL("PUBLIC") if role == "PUBLIC" else sql.Identifier(role)
        conn.execute(sql.SQL("GRANT {} ON {} TO {}").format(sql.SQL(privilege), table, grantee))


# --- the writers' lock -----------------------------------------------------------------------


@contextlib.contextmanager
def holding_lock(db: Database, wait: float, busy: Callable[[], Exception]) -> Iterator[None]:
    """Hold the workspace's advisory lock for the block, waiting at most ``wait`` seconds.

    ``busy()`` is raised when another session still holds it after ``wait``.
    The lock lives in its own connection, so the server lets it go when the
    process ends in any way.
    """
    key = (_LOCK_CLASS, db.schema)
    with _connection(db, writing=True, own=True) as conn:
        deadline = time.monotonic() + wait
        while True:
            row = conn.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", key).fetchone()
            if row and row[0]:
                break
            if time.monotonic() >= deadline:
                raise busy()
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())) or 0.01)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", key)
