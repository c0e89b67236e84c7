"""The ``export-ler`` command: the municipality's ducts as a LER 2.0 file, with a summary."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ...core.result import Result
from ...io.ler import SCHEMA_PATH, write_ler_export
from ...io.workspace import WorkspaceLike, as_workspace

__all__ = ["ler_command"]


def ler_command(
    workspace: WorkspaceLike,
    *,
    out: str | os.PathLike[str] | None = None,
    owner: str | None = None,
    cvr: str | None = None,
    origins: Sequence[str] | None = None,
) -> Result:
    """``ductplanner export-ler WORKSPACE [--out FILE] [--owner NAME] [--cvr N] [--origin O]``.

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage.
    out : path-like, optional
        The GML file (default ``<workspace>-ler.gml`` beside the workspace).
    owner : str, optional
        The duct owner as registered in LER (default: the ducts' owner).
    cvr : str, optional
        The owner's CVR number (eight digits).
    origins : sequence of str, optional
        Only ducts of these origins; default all.

    Returns
    -------
    Result
        The file written, its features and metres, and how the ducts are dated.
    """
    path = as_workspace(workspace)
    target = out or path.parent / f"{path.stem}-ler.gml"
    written, ducts, owner, dating = write_ler_export(
        path, target, owner=owner, cvr=cvr, origins=origins or None, created=None
    )
    metres_total = round(float(ducts.geometry.length.sum()), 1)
    summary: dict[str, Any] = {
        "workspace": str(path),
        "out": str(written),
        "features": len(ducts),
        "metres": metres_total,
        "owner": owner,
        "cvr": cvr,
        "dated": {k: len(v) for k, v in dating.items()},
        "guessed_dates": dating["guessed"],
        "undated": dating["undated"],
    }
    text = (
        f"wrote {written}: {len(ducts)} Foeringsroer features ({metres_total:,.0f} m of duct), "
        f"valid against {SCHEMA_PATH.name}"
    )
    if dating["guessed"] or dating["undated"]:
        text += (
            f"\n{len(dating['guessed'])} establishment dates guessed (1 January of the year laid), "
            f"{len(dating['undated'])} ducts without a year: fix them before registering"
        )
    return Result(summary=summary, text=text)
