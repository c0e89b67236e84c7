"""PostGIS workspaces: what only a database has (tables QGIS opens, grants, a server away).

The behaviour every workspace shares runs on both backends through the
``tiny_workspace`` and ``new_workspace`` fixtures; these tests need the server.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import LineString, Point

from ductplanner.app.demo import tiny_layers
from ductplanner.cli import main
from ductplanner.core._errors import MissingInputError, WorkspaceError
from ductplanner.io.workspace import (
    as_workspace,
    content_digests,
    list_layers,
    locked,
    read_layer,
    read_sources,
    read_table,
    write_layers,
)


@pytest.fixture
def database(postgres: str) -> Iterator[Callable[[str], str]]:
    """Make URLs of fresh schemas in the test database; drop them afterwards."""
    import uuid

    import psycopg

    made: list[str] = []

    def make(name: str = "ws") -> str:
        schema = f"t_{name}_{uuid.uuid4().hex[:10]}"
        made.append(schema)
        return f"{postgres}{'&' if '?' in postgres else '?'}schema={schema}"

    yield make
    with psycopg.connect(postgres, autocommit=True) as conn:
        for schema in made:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def sql(postgres: str, query: str, *params: object) -> list[tuple]:
    import psycopg

    with psycopg.connect(postgres, autocommit=True) as conn:
        cursor = conn.execute(query, params or None)
        return cursor.fetchall() if cursor.description else []


def schema_of(url: str) -> str:
    return as_workspace(url).schema  # type: ignore[union-attr]


# --- the URL ------------------------------------------------------------------------------


def test_a_url_names_the_schema_and_messages_never_show_the_password() -> None:
    ws = as_workspace("postgresql://gis:s3cret@db.example:5433/gis?schema=ballerup&sslmode=require")
    assert ws.schema == "ballerup" and ws.name == "ballerup"  # type: ignore[union-attr]
    assert "s3cret" not in str(ws) and "gis@db.example:5433/gis" in str(ws)
    assert "schema" not in ws.conninfo and "sslmode=require" in ws.conninfo  # type: ignore[union-attr]
    assert as_workspace("postgresql:///gis").schema == "ductplanner"  # type: ignore[union-attr]


@pytest.mark.parametrize("schema", ['x";DROP SCHEMA public;--', "1abc", "a" * 64, ""])
def test_a_schema_that_is_not_a_plain_name_is_refused(schema: str, capsys) -> None:
    url = f"postgresql:///gis?schema={schema}"
    assert main(["coverage", url]) == 1
    err = capsys.readouterr().err
    assert "is not a plain SQL name" in err and "Traceback" not in err


def test_an_unreachable_server_is_said_plainly(capsys) -> None:
    url = "postgresql://nobody:pw@127.0.0.1:1/gis?schema=x"
    assert main(["coverage", url]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the workspace postgresql://nobody@127.0.0.1:1/gis?schema=x" in err
    assert "server runs" in err and "pw@" not in err and "Traceback" not in err


def test_a_missing_schema_says_how_to_make_the_workspace(database) -> None:
    url = database("absent")
    with pytest.raises(MissingInputError, match=r"does not exist.*ductplanner copy"):
        list_layers(url)


# --- tables as QGIS opens them --------------------------------------------------------------


def test_layers_are_registered_typed_indexed_and_keyed(database, postgres) -> None:
    url = database()
    write_layers(url, tiny_layers())
    schema = schema_of(url)
    columns = dict(
        sql(
            postgres,
            "SELECT f_table_name, type || ' ' || srid FROM geometry_columns "
            "WHERE f_table_schema = %s",
            schema,
        )
    )
    assert columns["streets"] == "LINESTRING 25832"
    assert columns["addresses"] == "POINT 25832"
    assert columns["districts"].endswith(" 25832")
    indexed = {
        table
        for (table,) in sql(
            postgres,
            "SELECT tablename FROM pg_indexes WHERE schemaname = %s AND indexdef LIKE '%%gist%%'",
            schema,
        )
    }
    assert set(columns) <= indexed
    keys = sql(
        postgres,
        "SELECT tc.table_name FROM information_schema.table_constraints tc "
        "WHERE tc.table_schema = %s AND tc.constraint_type = 'PRIMARY KEY'",
        schema,
    )
    assert {"streets", "addresses", "layer_sources"} <= {t for (t,) in keys}


def test_a_write_keeps_the_grants_a_table_had(database, postgres) -> None:
    url = database()
    write_layers(url, tiny_layers())
    schema = schema_of(url)
    sql(postgres, f'GRANT SELECT ON "{schema}".streets TO PUBLIC')
    write_layers(url, {"streets": tiny_layers()["streets"]})
    grants = sql(
        postgres,
        "SELECT grantee, privilege_type FROM information_schema.role_table_grants "
        "WHERE table_schema = %s AND table_name = 'streets' AND grantee = 'PUBLIC'",
        schema,
    )
    assert grants == [("PUBLIC", "SELECT")]


def test_text_a_utility_supplies_arrives_as_it_was(database) -> None:
    url = database()
    hostile = [
        '=HYPERLINK("http://x")',
        "<script>alert(1)</script>",
        'quote " and \\ backslash, comma',
        "line\nbreak\ttab",
        "",
        None,
        "\\N",
        "Ærø Å " + "x" * 5000,
    ]
    frame = gpd.GeoDataFrame(
        {"name": hostile, "n": range(len(hostile))},
        geometry=[Point(710_000 + i, 6_180_000) for i in range(len(hostile))],
        crs="EPSG:25832",
    )
    write_layers(url, {"odd": frame})
    back = read_layer(url, "odd")
    assert back["name"].tolist()[:5] == hostile[:5]
    assert pd.isna(back["name"].iloc[5]) and back["name"].tolist()[6:] == hostile[6:]


def test_a_nul_character_is_refused_with_the_row_named(database) -> None:
    url = database()
    frame = pd.DataFrame({"reason": ["fine", "bad\x00byte"]})
    with pytest.raises(WorkspaceError, match=r"table 'notes', column 'reason', row 2"):
        write_layers(url, {"notes": frame})


def test_a_name_postgresql_would_cut_is_refused(database) -> None:
    url = database()
    frame = pd.DataFrame({"x" * 70: [1]})
    with pytest.raises(WorkspaceError, match="at most 63 bytes"):
        write_layers(url, {"notes": frame})


# --- copy between the backends ----------------------------------------------------------------


def test_copy_to_postgis_and_back_is_lossless(tmp_path: Path, database, capsys) -> None:
    source = tmp_path / "town.gpkg"
    layers = tiny_layers()
    write_layers(source, layers, synthetic=True, sources={"digs": "novafos.csv"})
    log = pd.DataFrame({"dig_id": ["NOV-1"], "status": ["proposed"], "n": [1.5]})
    write_layers(source, {"decisions": log})
    url = database()
    assert main(["copy", str(source), url, "--json"]) == 0
    back = tmp_path / "back.gpkg"
    assert main(["copy", url, str(back)]) == 0
    assert content_digests(source) == content_digests(url) == content_digests(back)
    assert read_sources(back).equals(read_sources(source))
    assert read_table(url, "decisions").equals(read_table(source, "decisions"))
    streets = read_layer(url, "streets")
    assert streets.crs == "EPSG:25832" and streets.geom_equals(layers["streets"].geometry).all()


def test_copy_refuses_to_overwrite_without_replace(tmp_path: Path, database, capsys) -> None:
    source = tmp_path / "town.gpkg"
    write_layers(source, tiny_layers())
    url = database()
    assert main(["copy", str(source), url]) == 0
    capsys.readouterr()
    assert main(["copy", str(source), url]) == 1
    assert "already holds a workspace" in capsys.readouterr().err
    write_layers(source, {"digs": tiny_layers()["digs"].iloc[:1]})
    assert main(["copy", str(source), url, "--replace"]) == 0
    assert len(read_layer(url, "digs")) == 1


# --- writers ----------------------------------------------------------------------------------


def test_a_killed_writer_leaves_the_workspace_unchanged_and_its_lock_free(database) -> None:
    url = database()
    write_layers(url, tiny_layers())
    before = content_digests(url)
    script = textwrap.dedent(
        f"""
        import os, signal
        from ductplanner.io import postgis, workspace
        real = postgis._replace_table
        def die_halfway(conn, db, name, *args, **kwargs):
            real(conn, db, name, *args, **kwargs)
            if name == "streets":
                os.kill(os.getpid(), signal.SIGKILL)
        postgis._replace_table = die_halfway
        layers = __import__("ductplanner.app.demo", fromlist=["x"]).tiny_layers()
        workspace.write_layers({url!r}, {{"ducts": layers["ducts"], "streets": layers["streets"]
            .iloc[:2], "sites": layers["sites"]}})
        """
    )
    killed = subprocess.run([sys.executable, "-c", script], check=False)
    assert killed.returncode == -signal.SIGKILL
    assert content_digests(url) == before
    with locked(url, timeout=5):  # the server let the dead writer's lock go
        write_layers(url, {"ducts": tiny_layers()["ducts"].iloc[:1]})
    assert len(read_layer(url, "ducts")) == 1


def test_a_user_without_write_permission_is_told_and_nothing_changes(
    database, postgres, capsys
) -> None:
    url = database()
    write_layers(url, tiny_layers())
    schema = schema_of(url)
    role = f"reader_{schema}"
    sql(postgres, f'CREATE ROLE "{role}"')
    try:
        sql(postgres, f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        sql(postgres, f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
        as_reader = f"{url}&options=-c%20role%3D{role}"  # the session acts as the reader
        before = content_digests(url)
        assert main(["coverage", as_reader]) == 1
        err = capsys.readouterr().err
        assert "no permission" in err and "it is unchanged" in err and "Traceback" not in err
        assert content_digests(url) == before
    finally:
        sql(postgres, f'DROP OWNED BY "{role}"')
        sql(postgres, f'DROP ROLE "{role}"')


def test_the_lock_waits_for_another_session_then_says_busy(database) -> None:
    url = database()
    write_layers(url, tiny_layers())
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from ductplanner.io.workspace import locked\nimport sys, time\n"
            f"with locked({url!r}):\n    print('held', flush=True)\n    time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(WorkspaceError, match="workspace busy"), locked(url, timeout=0.3):
            pass
    finally:
        holder.kill()
        holder.wait()
    with locked(url, timeout=5):
        pass


def test_lines_are_stored_multi_where_the_schema_keeps_multi(database) -> None:
    url = database()
    layers = tiny_layers()
    write_layers(url, layers)
    from ductplanner.model.schemas import SCHEMAS

    multi = [name for name, schema in SCHEMAS.items() if schema.keep_multi and name in layers]
    assert multi, "the tiny town has a layer kept multi-part"
    for name in multi:
        types = set(read_layer(url, name).geom_type)
        assert types <= {"MultiLineString", "MultiPolygon", "MultiPoint"}, (name, types)


def test_a_line_with_heights_keeps_them(database) -> None:
    url = database()
    frame = gpd.GeoDataFrame(
        {"id": ["a"]}, geometry=[LineString([(0, 0, 5), (1, 1, 6)])], crs="EPSG:25832"
    )
    write_layers(url, {"lines3d": frame})
    assert read_layer(url, "lines3d").geometry.iloc[0].has_z


def test_a_read_only_database_is_refused_and_unchanged(database, capsys) -> None:
    url = database()
    write_layers(url, tiny_layers())
    before = content_digests(url)
    read_only = f"{url}&options=-c%20default_transaction_read_only%3Don"  # as on a standby
    assert main(["decide", read_only, "--dig", "NOV-1", "--status", "proposed"]) == 1
    err = capsys.readouterr().err
    assert "the database is read-only" in err and "it is unchanged" in err
    assert "Traceback" not in err and content_digests(url) == before


def test_a_full_disk_on_the_server_is_said_and_nothing_changes(database, monkeypatch) -> None:
    import psycopg

    from ductplanner.io import postgis

    url = database()
    write_layers(url, tiny_layers())
    before = content_digests(url)
    real = postgis._replace_table

    def full(conn, db, name, *args, **kwargs):
        real(conn, db, name, *args, **kwargs)
        if name == "sites":
            raise psycopg.errors.DiskFull("could not extend file: No space left on device")

    monkeypatch.setattr(postgis, "_replace_table", full)
    layers = tiny_layers()
    with pytest.raises(WorkspaceError, match="server's disk is full; it is unchanged"):
        write_layers(url, {"ducts": layers["ducts"].iloc[:1], "sites": layers["sites"]})
    monkeypatch.undo()
    assert content_digests(url) == before


def test_a_reader_never_sees_a_table_half_replaced(database) -> None:
    """Readers during another process's writes see the old rows or the new, never none."""
    import threading

    url = database()
    layers = tiny_layers()
    write_layers(url, layers)
    writes = textwrap.dedent(
        f"""
        from ductplanner.app.demo import tiny_layers
        from ductplanner.io.workspace import write_layers
        digs = tiny_layers()["digs"]
        for _ in range(25):
            write_layers({url!r}, {{"digs": digs}})
        """
    )
    seen: list[int] = []
    writing = subprocess.Popen([sys.executable, "-c", writes])

    def read() -> None:
        while writing.poll() is None:
            seen.append(len(read_layer(url, "digs", required=False)))

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert writing.returncode == 0 and len(seen) > 10
    assert set(seen) == {len(layers["digs"])}
