"""The ``report`` command: read a workspace, compute the committee's figures, write the HTML.

Two steps, so a report in two languages reads the workspace once::

    data = collect_report(workspace)                 # read and compute
    write_report(workspace, out, lang="da", data=data)

>>> import tempfile, pathlib
>>> from ductplanner.app.demo import tiny_layers
>>> from ductplanner.io.workspace import write_layers
>>> ws = pathlib.Path(tempfile.mkdtemp()) / "town.gpkg"
>>> write_layers(ws, tiny_layers(), synthetic=True)
>>> page = build_report(ws)
>>> page.startswith("<!DOCTYPE html>"), "synthetic demo data" in page
(True, True)
"""

from __future__ import annotations

import hashlib
import os
import platform
import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ... import __version__
from ...analysis.addresses import DEFAULT_DROP_M
from ...analysis.evaluation import (
    DERIVED_LAYERS,
    INPUT_LAYERS,
    TABLES,
    ReportData,
    ScenarioFile,
    WorkspaceContents,
    evaluate,
    scenario_labels,
)
from ...core._atomic import write_text_atomic
from ...core._clock import timestamp
from ...core._errors import ScenarioError
from ...core._format import Lang, plain, plain_tree, share, text_column
from ...core.result import Result
from ...io.workspace import (
    Workspace,
    WorkspaceLike,
    as_workspace,
    content_digests,
    list_layers,
    read_layer,
    read_sources,
    read_table,
)
from ...model.scenarios import load_scenario, shipped_scenarios
from ...render.report import render_report

__all__ = [
    "build_report",
    "collect_report",
    "read_contents",
    "report_command",
    "report_summary",
    "write_report",
]


def read_contents(workspace: WorkspaceLike) -> WorkspaceContents:
    """Read the layers and tables a report shows (absent derived ones as empty frames).

    Raises
    ------
    MissingInputError, WorkspaceError
        When the workspace does not exist or is not a GeoPackage.
    """
    path = as_workspace(workspace)
    present = frozenset(list_layers(path))
    layers = {name: read_layer(path, name) for name in INPUT_LAYERS if name in present}
    if "ducts" not in layers:
        layers["ducts"] = read_layer(path, "ducts", required=False)
    for name in DERIVED_LAYERS:
        layers[name] = read_layer(path, name, required=False)
    if "digs" in present:  # the record of done digs (what the dig history says)
        layers["digs"] = read_layer(path, "digs")
    return WorkspaceContents(
        workspace=path,
        present=present,
        layers=layers,
        tables={name: read_table(path, name, required=False) for name in TABLES},
        sources=read_sources(path),
    )


def _scenario_files(forecast: pd.DataFrame) -> dict[str, Path]:
    """Map every name a table may store for a scenario to its file.

    The forecast tables store the file stem (``revised-2019``), the plan layer
    the scenario's name (``Revised plan 2019: co-digging only``): both are
    keys, for the shipped scenarios and for the stems the forecast names.
    """
    files: dict[str, Path] = {}
    for path in sorted(shipped_scenarios().glob("*.toml")):
        files[path.stem] = path
        try:
            files.setdefault(load_scenario(path).name, path)
        except ScenarioError:
            continue
    if len(forecast):
        pairs = zip(
            text_column(forecast, "scenario"), text_column(forecast, "scenario_name"), strict=True
        )
        for stem, name in dict.fromkeys(pairs):
            if stem in files:
                files.setdefault(name, files[stem])
            elif Path(stem).is_file():
                files[stem] = files.setdefault(name, Path(stem))
    return files


def _load_scenarios(labels: Iterable[str], forecast: pd.DataFrame) -> dict[str, ScenarioFile]:
    """Resolve scenario labels (stems or names) to their scenarios; unreadable ones are left out."""
    known = _scenario_files(forecast)
    loaded: dict[Path, ScenarioFile | None] = {}
    out: dict[str, ScenarioFile] = {}
    for label in labels:
        path = known.get(label)
        if path is None:
            continue
        if path not in loaded:
            try:
                loaded[path] = ScenarioFile(path.stem, load_scenario(path), path)
            except ScenarioError:
                loaded[path] = None
        entry = loaded[path]
        if entry is not None:
            out[label] = entry
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_entry(role: str, path: Path, name: str) -> dict[str, Any]:
    return {"role": role, "file": name, "sha256": _sha256(path), "bytes": path.stat().st_size}


def _workspace_entry(ws: Workspace) -> dict[str, Any]:
    """Return the workspace's manifest entry: a digest of its content, not of its bytes."""
    layers = content_digests(ws)
    whole = hashlib.sha256("".join(f"{k}={v};" for k, v in layers.items()).encode()).hexdigest()
    return {
        "role": "workspace",
        "file": ws.name if isinstance(ws, Path) else str(ws),  # a database: its URL
        "sha256": whole,
        "bytes": ws.stat().st_size if isinstance(ws, Path) else None,
        "content": "sha256 of the layers' and tables' content (see layers)",
        "layers": layers,
    }


def _manifest(data: ReportData, drop: float) -> dict[str, Any]:
    """Input files with hashes, parameters, seeds, versions and date: how to make it again."""
    ws = data.workspace
    files = [_workspace_entry(ws)]
    for stem, path in data.scenario_files.items():
        shipped = path.resolve().parent == shipped_scenarios().resolve()
        name = f"scenarios/{path.name}" if shipped else path.name
        files.append(_file_entry(f"scenario {stem}", path, name))
    runs = [
        {str(k): plain(v) for k, v in row.items()}
        for row in data.forecast_runs.to_dict(orient="records")
    ]
    named = shlex.quote(ws.name if isinstance(ws, Path) else str(ws))
    commands = [f"ductplanner coverage {named} --json"]
    for run in runs:
        scenario, seed, count = run.get("scenario"), run.get("seed"), run.get("runs")
        commands.append(
            f"ductplanner simulate {named} --scenario {scenario} --runs {count} --seed {seed}"
        )
    return {
        "created": timestamp(),
        "ductplanner": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "geopandas": gpd.__version__,
        "shapely": shapely.__version__,
        "drop_m": drop,
        "files": files,
        "forecast_runs": runs,
        "scenarios": {stem: plain_tree(s.to_dict()) for stem, s in data.scenarios.items()},
        "commands": commands,
    }


def collect_report(workspace: WorkspaceLike, *, drop: float = DEFAULT_DROP_M) -> ReportData:
    """Read a workspace and compute what its report shows.

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage.
    drop : float
        Drop distance for the coverage figures (default: that of
        ``ductplanner coverage``).

    Returns
    -------
    ReportData
        The figures of :func:`~ductplanner.analysis.evaluation.evaluate` with
        the manifest of the files read.

    Raises
    ------
    MissingInputError, WorkspaceError
        When the workspace does not exist or is not a GeoPackage.
    """
    contents = read_contents(workspace)
    scenarios = _load_scenarios(scenario_labels(contents), contents.tables["forecast"])
    data = evaluate(contents, scenarios, drop=drop)
    data.manifest = _manifest(data, drop)
    return data


def build_report(workspace: WorkspaceLike, *, lang: Lang = "en", label: str | None = None) -> str:
    """Return the evaluation report of a workspace as one HTML page.

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage.
    lang : {"en", "da"}
        Language and number formats.
    label : str, optional
        Banner text (e.g. the demo's synthetic-data caption).

    Returns
    -------
    str
        Self-contained HTML: inline styles, inline SVG charts, no requests.
    """
    return render_report(collect_report(workspace), lang=lang, label=label)


def write_report(
    workspace: WorkspaceLike,
    out: str | os.PathLike[str],
    *,
    lang: Lang = "en",
    label: str | None = None,
    data: ReportData | None = None,
) -> Path:
    """Write the report to ``out`` atomically (a temporary file, then a rename).

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage (read unless ``data`` is given).
    out : path-like
        The HTML file to write; an existing file is replaced only once the
        new one is complete.
    lang : {"en", "da"}
    label : str, optional
        Banner text.
    data : ReportData, optional
        Already collected data (to write several languages from one read).

    Returns
    -------
    Path
        ``out``.
    """
    data = collect_report(workspace) if data is None else data
    return write_text_atomic(out, render_report(data, lang=lang, label=label))


def report_summary(data: ReportData, out: Path, lang: Lang) -> dict[str, Any]:
    """Return the ``report --json`` summary of a written report."""
    sections = ("coverage", "opportunities", "plan", "decisions", "forecast", "frontier")
    c = data.coverage or {}
    return {
        "workspace": str(data.workspace),
        "out": str(out),
        "bytes": out.stat().st_size,
        "lang": lang,
        "synthetic": data.synthetic,
        "computed": [s for s in sections if s not in data.missing],
        "not_computed": data.missing,
        **{
            k: c[k]
            for k in ("households_total", "households_duct_covered", "households_served")
            if k in c
        },
        "scenarios": list(data.forecast_summary()),
        "budget_scenario": data.budget_scenario,
        "files": data.manifest["files"],
    }


def report_command(
    workspace: WorkspaceLike,
    *,
    out: str | os.PathLike[str] | None = None,
    lang: Lang = "en",
) -> Result:
    """Run ``ductplanner report WORKSPACE [--out FILE] [--lang en|da] [--json]``."""
    workspace = as_workspace(workspace)
    out = Path(out) if out else Path("maps") / f"{workspace.stem}-report.html"
    data = collect_report(workspace)
    write_report(workspace, out, lang=lang, data=data)
    summary = report_summary(data, out, lang)
    lines = [f"wrote {out} ({summary['bytes'] / 1e3:.0f} kB, {lang})"]
    if data.coverage is not None:
        c = data.coverage
        lines.append(
            "duct-covered: "
            + share(c["households_duct_covered"], c["households_total"], "households")
        )
    for section, command in data.missing.items():
        lines.append(f"not computed yet: {section} (run `{command}`)")
    return Result(summary=summary, text="\n".join(lines))
