"""The ``export-ler`` command: the ducts as a checked LER 2.x answer, with a summary."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ...core.result import Result
from ...io.ler import DEFAULT_LER_VERSION, write_ler_export
from ...io.workspace import WorkspaceLike, as_workspace

__all__ = ["ler_command"]


def ler_command(
    workspace: WorkspaceLike,
    *,
    out: str | os.PathLike[str] | None = None,
    owner: str | None = None,
    cvr: str | None = None,
    origins: Sequence[str] | None = None,
    version: str = DEFAULT_LER_VERSION,
    enquiry_id: str | None = None,
    area: str | os.PathLike[str] | None = None,
    depth_mm: float | None = None,
    diameter_mm: float | None = None,
) -> Result:
    """``ductplanner export-ler WORKSPACE [--out FILE] [--ler-version V] [--area FILE] ...``.

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
    version : str
        The LER version (``2.2.0``, the default, or ``2.1.0``).
    enquiry_id : str, optional
        The enquiry's UUID in LER (default: a stable one made from the ducts).
    area : path-like, optional
        The enquiry area, a file of polygons: only the ducts touching it.
    depth_mm, diameter_mm : float, optional
        For ducts without a guiding depth or an outer diameter.

    Returns
    -------
    Result
        The file written, its features and metres, how the ducts are dated.
    """
    path = as_workspace(workspace)
    target = out or path.parent / f"{path.stem}-ler.gml"
    export = write_ler_export(
        path, target, owner=owner, cvr=cvr, origins=origins or None, version=version,
        enquiry_id=enquiry_id, area=area, depth_mm=depth_mm, diameter_mm=diameter_mm,
    )  # fmt: skip
    ducts, dating = export.ducts, export.dating
    metres_total = round(float(ducts.geometry.length.sum()), 1)
    summary: dict[str, Any] = {
        "workspace": str(path),
        "out": str(export.path),
        "ler_version": export.version,
        "enquiry_id": export.enquiry_id,
        "enquiry_id_made": export.enquiry_id_made,
        "area": None if area is None else str(area),
        "features": len(ducts),
        "metres": metres_total,
        "owner": export.owner,
        "cvr": cvr,
        "dated": {k: len(v) for k, v in dating.items()},
        "dated_by_year": dating["year"],
        "undated": dating["undated"],
    }
    text = (
        f"wrote {export.path}: a LER {export.version} answer (Graveforespoergselssvar) with "
        f"{len(ducts)} Foeringsroer ({metres_total:,.0f} m of duct), valid against the "
        f"published LER {export.version} schema and the feature catalogue's restrictions"
    )
    if export.enquiry_id_made:
        text += (
            f"\nanswer id {export.enquiry_id} made from the ducts: give --enquiry-id to answer "
            "one enquiry"
        )
    if dating["year"] or dating["undated"]:
        text += (
            f"\n{len(dating['year'])} ducts dated by year only, {len(dating['undated'])} without "
            "a year (written as unknown): fill laid_on or year_laid before registering"
        )
    return Result(summary=summary, text=text)
