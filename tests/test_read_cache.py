"""A command reads each layer once: later reads of an unchanged GeoPackage are copies.

Whatever changes the file - ductplanner's own write, another program's
SQL, a new table - the next read sees it; a database is read each time;
and what a caller does to what it got never reaches the next caller.
"""

from __future__ import annotations

import sqlite3

import pytest

from ductplanner.io import workspace
from ductplanner.io.workspace import list_layers, read_layer, read_table, write_layers


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The layers actually read from storage, in order."""
    seen: list[str] = []
    real = workspace._read

    def counting(ws, name, **kwargs):
        seen.append(name)
        return real(ws, name, **kwargs)

    monkeypatch.setattr(workspace, "_read", counting)
    return seen


def test_an_unchanged_layer_is_read_once_and_handed_out_as_copies(tiny_workspace, reads):
    first = read_layer(tiny_workspace, "streets")
    first.loc[first.index[0], "name"] = "<changed by a caller>"
    second = read_layer(tiny_workspace, "streets")
    expected = 1 if not isinstance(tiny_workspace, workspace.Database) else 2
    assert reads.count("streets") == expected
    assert "<changed by a caller>" not in set(second["name"])
    assert second.crs == first.crs and list(second.columns) == list(first.columns)


def test_a_write_is_seen_by_the_next_read(tiny_workspace, reads):
    streets = read_layer(tiny_workspace, "streets")
    renamed = streets.assign(name="Ny Vej")
    write_layers(tiny_workspace, {"streets": renamed})
    assert set(read_layer(tiny_workspace, "streets")["name"]) == {"Ny Vej"}
    write_layers(tiny_workspace, {"decisions_extra": streets.drop(columns="geometry")})
    assert "decisions_extra" in list_layers(tiny_workspace)
    assert len(read_table(tiny_workspace, "decisions_extra")) == len(streets)


def test_another_program_s_edit_is_seen_by_the_next_read(tiny_gpkg, reads):
    table = "layer_sources"  # no geometry: plain SQLite may edit it (rtree triggers need GDAL)
    assert "edited" not in set(read_table(tiny_gpkg, table)["note"].astype(str))
    with sqlite3.connect(tiny_gpkg) as conn:  # in place, as another program would
        conn.execute(f"UPDATE {table} SET note = 'edited' WHERE layer = 'streets'")
    assert "edited" in set(read_table(tiny_gpkg, table)["note"].astype(str))
    assert reads.count(table) == 2
    conn = sqlite3.connect(tiny_gpkg)
    try:  # through the write-ahead log, the file itself untouched until a checkpoint
        conn.execute("PRAGMA journal_mode=WAL")
        assert "in the log" not in set(read_table(tiny_gpkg, table)["note"].astype(str))
        conn.execute(f"UPDATE {table} SET note = 'in the log' WHERE layer = 'streets'")
        conn.commit()
        assert "in the log" in set(read_table(tiny_gpkg, table)["note"].astype(str))
    finally:
        conn.close()


def test_a_filtered_read_is_not_kept(tiny_gpkg, reads):
    one = read_layer(tiny_gpkg, "addresses", where={"id": "A04"})
    assert len(one) == 1
    assert len(read_layer(tiny_gpkg, "addresses")) > 1
    assert reads.count("addresses") == 2


def test_a_layer_beyond_the_row_budget_is_read_each_time(tiny_gpkg, reads, monkeypatch):
    monkeypatch.setattr(workspace._CACHE, "rows", 12)  # more than the streets, fewer than addresses
    workspace._CACHE.clear()
    for _ in range(2):
        read_layer(tiny_gpkg, "streets")
        read_layer(tiny_gpkg, "addresses")
    assert (reads.count("streets"), reads.count("addresses")) == (1, 2)
