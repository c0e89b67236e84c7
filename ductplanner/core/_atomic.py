"""The one way ductplanner replaces a file: write a sibling, then rename it over the target.

A reader sees the old file or the new one, never half of either; a failure
(an exception, a full disk) deletes the sibling and leaves the target as it
was. The new file gets the permissions, and as far as the user may give
them the group and owner, the old one had (a group-shared workspace stays
shared), or the user's default ones for a new file.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_text_atomic(folder / "note.txt", "hello").read_text()
'hello'
>>> sorted(p.name for p in folder.iterdir())
['note.txt']
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = ["replacing", "replacing_all", "write_text_atomic"]


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str], *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a new, absent sibling path; on success it replaces ``path`` in one rename.

    Parameters
    ----------
    path : path-like
        The file to write (its folder is created when missing).
    suffix : str, optional
        The sibling's suffix (default: ``path``'s), for writers that choose
        their format by it (GDAL).

    Yields
    ------
    Path
        Where to write. It does not exist yet; write it completely. Nothing
        has happened to ``path`` until the block ends without an exception.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{target.stem}-",
        suffix=target.suffix if suffix is None else suffix,
        dir=target.parent,
    )
    os.close(fd)
    sibling = Path(name)
    sibling.unlink()
    try:
        yield sibling
        _keep_owner(target, sibling)
        os.chmod(sibling, _mode_for(target))
        os.replace(sibling, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            sibling.unlink()


@contextlib.contextmanager
def replacing_all(paths: Sequence[str | os.PathLike[str]]) -> Iterator[list[Path]]:
    """Yield a new sibling per path; they replace their targets only once all are written.

    A failure while writing any of them leaves every target as it was.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with replacing_all([folder / "a.txt", folder / "b.txt"]) as (a, b):
    ...     _ = a.write_text("1"), b.write_text("2")
    >>> sorted(p.name for p in folder.iterdir())
    ['a.txt', 'b.txt']
    """
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(replacing(path)) for path in paths]


def write_text_atomic(
    path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8", newline: str | None = None
) -> Path:
    """Write ``text`` to ``path`` through :func:`replacing`; return the path."""
    with replacing(path) as sibling, open(sibling, "w", encoding=encoding, newline=newline) as fh:
        fh.write(text)
    return Path(path)


def _keep_owner(target: Path, sibling: Path) -> None:
    """Give the new file the old one's group (and owner, for root), where allowed."""
    try:
        old = target.stat()
    except FileNotFoundError:
        return
    with contextlib.suppress(PermissionError):
        os.chown(sibling, -1, old.st_gid)
    if os.geteuid() == 0:
        os.chown(sibling, old.st_uid, old.st_gid)


def _mode_for(target: Path) -> int:
    """Return the permission bits of the file being replaced, else those of a new file."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
