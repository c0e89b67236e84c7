"""One atomic write: all or nothing, no sibling left behind, permissions kept."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ductplanner.core._atomic import replacing, write_text_atomic


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_failure_leaves_the_target_and_no_sibling(tmp_path: Path) -> None:
    target = tmp_path / "ws.gpkg"
    target.write_bytes(b"old")
    with pytest.raises(OSError, match="disk full"), replacing(target) as sibling:
        sibling.write_bytes(b"half")
        raise OSError("disk full")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["ws.gpkg"]


def test_a_group_shared_file_stays_group_shared(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")
    os.chmod(target, 0o664)
    write_text_atomic(target, "new")
    assert target.read_text() == "new" and _mode(target) == 0o664


def test_a_new_file_gets_the_default_permissions_not_0600(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        path = write_text_atomic(tmp_path / "sub" / "map.html", "<p>")
    finally:
        os.umask(umask)
    assert _mode(path) == 0o644
