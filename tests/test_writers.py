"""Several writers, one GeoPackage workspace: nothing lost, nothing half-done, faults said plainly.

Writers are real processes running the command line at the same time, as
colleagues in a GIS team would; faults of the file system are made real where
the test can (modes, groups, killed processes) and simulated where it cannot
(a full disk).
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import geopandas as gpd
import pytest
from conftest import workspace_state
from shapely import LineString

from ductplanner.cli import main
from ductplanner.core._errors import WorkspaceError
from ductplanner.io import workspace as ws_module
from ductplanner.io.postgis import Database
from ductplanner.io.workspace import LOCK_TIMEOUT_ENV, locked, read_layer, read_table, write_layers

X0, Y0 = 710_000.0, 6_180_000.0


def digest(path: Path | Database) -> object:
    return workspace_state(path)


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def left_behind(ws: Path | Database) -> list[str]:
    """Hidden files a writer left beside a GeoPackage (a database leaves no files)."""
    return hidden(ws.parent) if isinstance(ws, Path) else []


def digs_file(path: Path, prefix: str, n: int) -> Path:
    ids = [f"{prefix}-{i}" for i in range(n)]
    lines = [LineString([(X0 + 7 * i, Y0 + 3), (X0 + 7 * i + 5, Y0 + 3)]) for i in range(n)]
    frame = gpd.GeoDataFrame(
        {"id": ids, "owner": prefix, "start": "2030-04-01", "end": "2030-06-30"},
        geometry=lines,
        crs="EPSG:25832",
    )
    frame.to_file(path)
    return path


def command(*argv: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ductplanner", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def finished(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


# --- several writers at once ----------------------------------------------------------------


@pytest.mark.slow
def test_appends_at_the_same_time_all_land(tiny_workspace: Path, tmp_path: Path) -> None:
    original = read_layer(tiny_workspace, "digs")
    files = [digs_file(tmp_path / f"u{k}.geojson", f"U{k}", 5) for k in range(4)]
    for _ in range(2):  # unlocked, about two rounds in three lost an update
        running = [
            command("import", str(tiny_workspace), "digs", str(f), "--append") for f in files
        ]
        results = [finished(p) for p in running]
        assert [code for code, _, _ in results] == [0, 0, 0, 0], results
        digs = read_layer(tiny_workspace, "digs")
        assert len(digs) == len(original) + 20
        assert {f"U{k}-{i}" for k in range(4) for i in range(5)} <= set(digs["id"])
        write_layers(tiny_workspace, {"digs": original})  # the next round starts afresh
    assert left_behind(tiny_workspace) == []


@pytest.mark.slow
def test_decisions_at_the_same_time_are_all_logged(tiny_workspace: Path) -> None:
    running = [
        command("decide", str(tiny_workspace), "--dig", dig, "--status", "proposed", "--date", day)
        for dig, day in (("NOV-1", "2020-01-10"), ("RAD-1", "2020-01-11"), ("FIB-1", "2020-01-12"))
    ]
    assert [finished(p)[0] for p in running] == [0, 0, 0]
    log = read_table(tiny_workspace, "decisions")
    assert sorted(log["dig_id"]) == ["FIB-1", "NOV-1", "RAD-1"]


def test_a_writer_that_waits_too_long_is_told_the_workspace_is_busy(tiny_workspace: Path) -> None:
    before = digest(tiny_workspace)
    with locked(tiny_workspace):  # a colleague's long write
        code, _, err = finished(
            command(
                "decide", str(tiny_workspace), "--dig", "NOV-1", "--status", "proposed",
                env={LOCK_TIMEOUT_ENV: "0.3"},
            )
        )  # fmt: skip
    assert code == 1 and "Traceback" not in err
    assert "workspace busy: another ductplanner command has been writing" in err
    assert "nothing was changed" in err and LOCK_TIMEOUT_ENV in err
    assert digest(tiny_workspace) == before


def test_a_writer_waits_for_the_one_before_and_lands_on_top(tiny_workspace: Path) -> None:
    with locked(tiny_workspace):
        waiting = command("decide", str(tiny_workspace), "--dig", "NOV-1", "--status", "proposed")
        with pytest.raises(subprocess.TimeoutExpired):
            waiting.wait(timeout=3)  # it cannot write while the lock is held
        log = read_table(tiny_workspace, "decisions", required=False)
        assert log.empty
    assert finished(waiting)[0] == 0
    assert read_table(tiny_workspace, "decisions")["dig_id"].tolist() == ["NOV-1"]


def test_the_lock_is_taken_again_by_the_same_thread(tiny_workspace: Path, tiny) -> None:
    with locked(tiny_workspace), locked(tiny_workspace):
        write_layers(tiny_workspace, {"ducts": tiny["ducts"]})
    assert left_behind(tiny_workspace) == []


@pytest.mark.parametrize("value", ["soon", "-1"])
def test_a_bad_lock_timeout_is_named(tiny_workspace: Path, monkeypatch, capsys, value) -> None:
    monkeypatch.setenv(LOCK_TIMEOUT_ENV, value)
    assert main(["decide", str(tiny_workspace), "--dig", "NOV-1", "--status", "proposed"]) == 1
    assert f"{LOCK_TIMEOUT_ENV}={value!r} is not a number of seconds" in capsys.readouterr().err


# --- files as the file system keeps them ----------------------------------------------------


def test_a_write_keeps_the_files_mode_and_group(tiny_gpkg: Path, tiny) -> None:
    tiny_gpkg.chmod(0o664)
    groups = [g for g in os.getgroups() if g != os.getegid()] or [os.getegid()]
    try:
        os.chown(tiny_gpkg, -1, groups[0])
    except PermissionError:
        pytest.skip("this user may not change the workspace's group")
    write_layers(tiny_gpkg, {"ducts": tiny["ducts"]})
    info = tiny_gpkg.stat()
    assert stat.S_IMODE(info.st_mode) == 0o664 and info.st_gid == groups[0]


def test_a_read_only_workspace_is_refused_and_unchanged(tiny_gpkg: Path, capsys) -> None:
    tiny_gpkg.chmod(0o444)
    before = digest(tiny_gpkg)
    assert main(["decide", str(tiny_gpkg), "--dig", "NOV-1", "--status", "proposed"]) == 1
    err = capsys.readouterr().err
    assert f"workspace {tiny_gpkg} is read-only (mode 444); it is unchanged" in err
    assert digest(tiny_gpkg) == before and stat.S_IMODE(tiny_gpkg.stat().st_mode) == 0o444


def test_the_copy_a_killed_writer_left_is_removed_by_the_next(tiny_gpkg: Path, tiny) -> None:
    script = textwrap.dedent(
        f"""
        import os, shutil, signal
        from ductplanner.io.workspace import editing
        with editing({str(tiny_gpkg)!r}) as tmp:
            shutil.copyfile({str(tiny_gpkg)!r}, tmp)
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    killed = subprocess.run([sys.executable, "-c", script], check=False)
    assert killed.returncode == -signal.SIGKILL
    left = [n for n in hidden(tiny_gpkg.parent) if n.endswith(".gpkg")]
    assert len(left) == 1  # the killed writer's copy
    write_layers(tiny_gpkg, {"ducts": tiny["ducts"]})  # its lock died with it
    assert left_behind(tiny_gpkg) == []


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "is full"),
        (OSError(errno.EROFS, "Read-only file system"), "is on a read-only file system"),
        (OSError(errno.EACCES, "Permission denied"), "no permission to write in"),
    ],
)
def test_a_fault_of_the_file_system_is_said_without_a_traceback(
    tiny_gpkg: Path, monkeypatch, capsys, error: OSError, cause: str
) -> None:
    before = digest(tiny_gpkg)
    real = ws_module._write_one

    def failing(path, name, frame):
        real(path, name, frame)
        raise error

    monkeypatch.setattr(ws_module, "_write_one", failing)
    assert main(["decide", str(tiny_gpkg), "--dig", "NOV-1", "--status", "proposed"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and cause in err and "it is unchanged" in err
    assert digest(tiny_gpkg) == before and hidden(tiny_gpkg.parent) == []


def test_a_workspace_in_a_missing_folder_is_not_made_by_a_read(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nowhere" / "ws.gpkg"
    assert main(["decide", str(missing), "--dig", "NOV-1", "--status", "proposed"]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert not missing.parent.exists()


def test_write_errors_are_workspace_errors(tiny_gpkg: Path, monkeypatch, tiny) -> None:
    def no_room(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ws_module.shutil, "copyfile", no_room)
    with pytest.raises(WorkspaceError, match="is full"):
        write_layers(tiny_gpkg, {"ducts": tiny["ducts"]})
