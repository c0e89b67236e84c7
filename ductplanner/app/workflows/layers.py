"""The ``import`` and ``validate`` commands: read a file, validate it, write the workspace.

:func:`import_file` and :func:`validate_path` are the workflows behind
``ductplanner import`` and ``ductplanner validate``; the reading, mapping and
checking they rely on live in :mod:`ductplanner.io.importer`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ...analysis.quality import OWN_LAYER_RULES, QUALITY_RULES, quality_warnings
from ...core._errors import InputError, MissingInputError, Problem, WorkspaceError
from ...core.result import Result
from ...io.audit import (
    finding_groups,
    finding_lines,
    problem_rows,
    report_format,
    severity_counts,
    write_report,
)
from ...io.importer import LoadedFile, crs_name, load_file
from ...io.layer_guess import guess_layer
from ...io.mappings import make_problem
from ...io.raw_file import require_file
from ...io.workspace import (
    ATTRIBUTE_TABLES,
    SOURCES_TABLE,
    Database,
    Workspace,
    WorkspaceLike,
    as_workspace,
    list_layers,
    locked,
    read_layer,
    read_raw_layer,
    read_sources,
    write_layers,
)
from ...io.workspace import workspace_crs as stored_workspace_crs
from ...model.layers import (
    INPUT_LAYERS,
    SCHEMAS,
    DateOrder,
    require_valid,
    validate_layer,
)
from ...model.zone import crs_code, metric_crs_problem

__all__ = ["import_file", "validate_path"]


def _id_clashes(
    existing: gpd.GeoDataFrame, new: gpd.GeoDataFrame, layer: str, workspace: Workspace, source: str
) -> list[Problem]:
    id_field = SCHEMAS[layer].id_field
    old_ids = set(existing[id_field].dropna().astype(str))
    clashes = new[id_field].dropna().astype(str)
    clashes = clashes[clashes.isin(old_ids)]
    return [
        make_problem(
            source,
            layer,
            "unique",
            f"id {value!r} is already used by feature {value!r} of layer {layer} in the "
            f"workspace {workspace}",
            "give the new feature another id, or import without --append to replace the layer",
            feature_id=value,
            field=id_field,
        )
        for value in dict.fromkeys(clashes)
    ]


def _not_owned(frame: gpd.GeoDataFrame, owner: str, layer: str, source: str) -> list[Problem]:
    """Return a problem for each feature whose ``owner`` is not ``owner``."""
    owners = frame["owner"].astype(object).where(frame["owner"].notna(), "").astype(str)
    id_field = SCHEMAS[layer].id_field
    others = frame[owners != owner]
    return [
        make_problem(
            source,
            layer,
            "owner",
            f"the feature's owner is {value!r}; this account sends features of {owner!r} only",
            f"write {owner!r} as the owner of each of your digs",
            feature_id=str(fid),
            field="owner",
        )
        for fid, value in zip(others[id_field], owners[others.index], strict=True)
    ]


def _previous_source(workspace: Workspace, layer: str) -> str | None:
    sources = read_sources(workspace)
    rows = sources[sources["layer"] == layer]
    return None if rows.empty else str(rows["source"].iloc[-1])


def import_file(
    workspace: WorkspaceLike,
    layer: str,
    path: str | Path,
    *,
    crs: str | None = None,
    append: bool = False,
    repair: bool = False,
    source_layer: str | None = None,
    mapping: str | Path | None = None,
    date_order: DateOrder = "auto",
    fields: Mapping[str, str] | None = None,
    merge_twins: bool | None = None,
    owner: str | None = None,
    max_features: int | None = None,
    label: str | None = None,
    workspace_crs: str | None = None,
) -> Result:
    """Import a file into a workspace layer (``ductplanner import``).

    The file is read, mapped, validated and reprojected with :func:`load_file`;
    with any error nothing is written and :class:`InputError` carries every
    problem. Otherwise the layer is replaced, or with ``append`` extended (the
    new ids must not clash with the layer's), in one atomic write.

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage; created when absent.
    layer : str
        The target layer.
    path : path-like
        The file to import.
    crs, source_layer, mapping, repair, date_order, fields, merge_twins
        As for :func:`load_file`.
    append : bool
        Add the features to the layer instead of replacing it.
    owner : str, optional
        Accept only features of this ``owner`` (a utility's upload in the
        portal): a feature of another owner is an error.
    max_features : int, optional
        Refuse a file with more features than this.
    label : str, optional
        What names the file in provenance and problems (default its path:
        the portal stores an upload under a name of its own).
    workspace_crs : str, optional
        The CRS a new workspace is stored in (projected, in metres); by
        default it is chosen for the data (EPSG:25832 in Denmark, else the
        data's UTM zone). A workspace keeps its CRS: naming another for an
        existing one is an error.

    Returns
    -------
    Result
        ``summary`` keys: ``workspace``, ``layer``, ``source``, ``source_layer``,
        ``mapping``, ``crs``, ``workspace_crs``, ``features_read``, ``features_skipped``,
        ``dropped`` (what the mapping's filter skipped, a line per reason with
        the first ids), ``features_imported``, ``features_before``, ``features_total``,
        ``appended``, ``repaired``, ``warnings``, ``problems`` (warnings and
        repairs, as audit rows), ``findings`` (the same, grouped by rule),
        ``notes``, ``twins_merged`` (count) and ``twins_merged_into``
        (street id -> the twin it was merged into).

    Raises
    ------
    InputError, MissingInputError, WorkspaceError
        With nothing written.
    """
    workspace, path = as_workspace(workspace), Path(path)
    # list_layers refuses a file that is not a workspace, before any reading
    present = list_layers(workspace) if workspace.exists() else []
    target_crs = _workspace_crs_for(workspace, workspace_crs, layer, label or str(path))
    loaded = load_file(
        path,
        layer,
        crs=crs,
        source_layer=source_layer,
        mapping=mapping,
        repair=repair,
        date_order=date_order,
        fields=fields,
        merge_twins=merge_twins,
        workspace_crs=target_crs,
    )
    named = label or str(path)
    if label:
        loaded.problems[:] = [replace(p, source=label) for p in loaded.problems]
    require_valid(loaded.problems)
    frame = loaded.frame
    if owner is not None:
        require_valid(_not_owned(frame, owner, layer, named))
    if max_features is not None and len(frame) > max_features:
        require_valid(
            [
                make_problem(
                    named,
                    layer,
                    "limit",
                    f"the file holds {len(frame):,} features, more than the "
                    f"{max_features:,} an upload may",
                    "split it into smaller files",
                )
            ]
        )
    loaded.problems += quality_warnings({layer: frame}, source=named, rules=OWN_LAYER_RULES)
    before = 0
    provenance = named + (f" (layer {loaded.source_layer})" if loaded.source_layer else "")
    with locked(workspace):  # an append re-reads the layer as the last writer left it
        present = list_layers(workspace) if workspace.exists() else []
        if append and layer in present:
            existing = read_layer(workspace, layer)
            before = len(existing)
            require_valid(_id_clashes(existing, frame, layer, workspace, named))
            frame = _appended(existing, frame)
            previous = _previous_source(workspace, layer)
            if previous:
                provenance = f"{previous}; {provenance}"
        note = "; ".join(loaded.notes)
        write_layers(workspace, {layer: frame}, sources={layer: provenance}, note=note)
    counts = severity_counts(loaded.problems)
    summary = {
        "workspace": str(workspace),
        "layer": layer,
        "source": str(path),
        "source_layer": loaded.source_layer,
        "mapping": loaded.mapping,
        "crs": loaded.crs,
        "workspace_crs": stored_workspace_crs(workspace),
        "features_read": loaded.features_read,
        "features_skipped": loaded.features_skipped,
        "dropped": loaded.dropped,
        "features_imported": len(loaded.frame),
        "features_before": before,
        "features_total": len(frame),
        "appended": bool(append and layer in present),
        "repaired": counts.get("repaired", 0),
        "warnings": counts.get("warning", 0),
        "problems": problem_rows(loaded.problems),
        "findings": finding_groups(loaded.problems),
        "notes": loaded.notes,
        "twins_merged": len(loaded.twins_merged),
        "twins_merged_into": loaded.twins_merged,
    }
    return Result(summary, _import_text(summary, loaded))


def _workspace_crs_for(
    workspace: Workspace, asked: str | None, layer: str, source: str
) -> str | None:
    """Return the CRS an import goes into: the workspace's own, else what was asked for.

    Raises
    ------
    InputError
        When ``asked`` differs from the CRS the workspace already has.
    """
    stored = stored_workspace_crs(workspace) if workspace.exists() else None
    if asked is None or stored is None or metric_crs_problem(asked):
        return asked or stored  # load_file says what is wrong with a CRS that is no CRS
    if crs_code(asked) != stored:
        raise InputError(
            [
                make_problem(
                    source, layer, "crs-workspace",
                    f"--workspace-crs {asked[:80]}: the workspace {workspace} is stored in "
                    f"{stored}, and a workspace keeps the CRS it was made in",
                    "leave --workspace-crs out to import into its CRS, or import into a new "
                    "workspace",
                    field="geometry",
                )
            ]
        )  # fmt: skip
    return stored


def _appended(existing: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    combined = pd.concat(
        [existing, new.to_crs(existing.crs) if existing.crs else new], ignore_index=True
    )
    return gpd.GeoDataFrame(combined, geometry=combined.geometry.name, crs=existing.crs or new.crs)


def _import_text(summary: Mapping[str, Any], loaded: LoadedFile) -> str:
    verb = "Appended" if summary["appended"] else "Imported"
    n = summary["features_imported"]
    lines = [
        f"{verb} {n} feature{'s' if n != 1 else ''} from {summary['source']} into layer "
        f"{summary['layer']} of {summary['workspace']}"
        + (f" (now {summary['features_total']})" if summary["appended"] else "")
        + "."
    ]
    if summary["features_read"] != n:
        lines.append(
            f"  {summary['features_read']} read, {summary['features_skipped']} skipped or merged "
            "by the mapping; multi-part features split into single parts."
        )
    lines += [f"  Skipped: {line}." for line in summary["dropped"]]
    lines += [f"  {note[0].upper()}{note[1:]}." for note in loaded.notes]
    lines += [f"  {line}" for line in finding_lines(loaded.problems, QUALITY_RULES)]
    return "\n".join(lines)


def _is_workspace(path: Workspace) -> bool:
    if isinstance(path, Database):
        return True
    if path.suffix.lower() != ".gpkg":
        return False
    try:
        names = set(list_layers(path))
    except (WorkspaceError, MissingInputError):
        return False
    # Written by ductplanner (it records provenance), or put together by hand in
    # QGIS from several layers named as ours. A lone "digs" layer is a file.
    return SOURCES_TABLE in names or (len(names) >= 2 and names <= set(SCHEMAS))


def validate_path(
    path: WorkspaceLike,
    *,
    layer: str | None = None,
    crs: str | None = None,
    source_layer: str | None = None,
    mapping: str | Path | None = None,
    report: str | Path | None = None,
    date_order: DateOrder = "auto",
    fields: Mapping[str, str] | None = None,
    merge_twins: bool | None = None,
) -> Result:
    """Check a workspace or a file, listing every problem (``ductplanner validate``).

    A workspace (a GeoPackage written by ductplanner) has each layer present
    checked against its schema (or only ``layer``). Any other file is read as
    :func:`load_file` would import it, as ``layer`` or as the layer
    :func:`guess_layer` finds (the result says so).

    Parameters
    ----------
    path : path-like
        A workspace or an input file.
    layer : str, optional
        The layer to check, or the layer a file is meant for.
    crs, source_layer, mapping, date_order, fields, merge_twins
        As for :func:`load_file` (files only).
    report : path-like, optional
        Write every finding to this ``.html``, ``.json`` or ``.csv`` file
        (also when there are errors).

    Returns
    -------
    Result
        ``summary`` keys: ``path``, ``kind`` (``workspace`` or ``file``),
        ``layers`` (name -> ``features``, ``errors``, ``warnings``,
        ``repaired``), ``errors``, ``warnings``, ``valid``, ``guessed_layer``,
        ``mapping``, ``report``, ``problems`` (audit rows), ``findings``
        (warnings grouped by rule).

    Raises
    ------
    InputError
        When any error is found (after writing the report).
    """
    path = as_workspace(path)
    if isinstance(path, Path):
        require_file(path)
    if report is not None:
        report_format(report)
    guessed: str | None = None
    used_mapping: str | None = None
    notes: list[str] = []
    plain = (
        mapping is None
        and source_layer is None
        and crs is None
        and not fields
        and merge_twins is None
    )
    if isinstance(path, Database) or (_is_workspace(path) and plain):
        kind = "workspace"
        problems, layers = _validate_workspace(path, layer)
    else:
        kind = "file"
        if layer is None:
            layer, guessed = guess_layer(path, mapping=mapping, source_layer=source_layer)
        loaded = load_file(
            path,
            layer,
            crs=crs,
            source_layer=source_layer,
            mapping=mapping,
            date_order=date_order,
            fields=fields,
            merge_twins=merge_twins,
        )
        problems = loaded.problems
        if not any(p.severity == "error" for p in problems):
            problems += quality_warnings({layer: loaded.frame}, source=str(path))
        used_mapping = loaded.mapping
        notes = loaded.notes
        layers = {layer: _layer_counts(len(loaded.frame), problems)}
    counts = severity_counts(problems)
    summary: dict[str, Any] = {
        "path": str(path),
        "kind": kind,
        "layers": layers,
        "errors": counts.get("error", 0),
        "warnings": counts.get("warning", 0),
        "valid": counts.get("error", 0) == 0,
        "guessed_layer": {"layer": layer, "reason": guessed} if guessed else None,
        "mapping": used_mapping,
        "notes": notes,
        "report": str(report) if report is not None else None,
        "problems": problem_rows(problems),
        "findings": finding_groups(problems),
    }
    if report is not None:
        facts = {k: summary[k] for k in ("path", "kind", "errors", "warnings", "mapping")}
        facts["layers"] = {n: f"{c['features']} features" for n, c in layers.items()}
        if guessed:
            facts["layer"] = f"{layer} ({guessed})"
        write_report(problems, report, title=f"Validation of {path.name}", summary=facts)
    text = _validate_text(summary, problems)
    if not summary["valid"]:
        first = text.splitlines()[0]
        raise InputError(problems, summary=first)
    return Result(summary, text)


def _layer_counts(features: int, problems: Sequence[Problem]) -> dict[str, int]:
    counts = severity_counts(problems)
    return {
        "features": features,
        "errors": counts.get("error", 0),
        "warnings": counts.get("warning", 0),
        "repaired": counts.get("repaired", 0),
    }


def _validate_workspace(
    path: Workspace, layer: str | None
) -> tuple[list[Problem], dict[str, dict[str, int]]]:
    present = list_layers(path)
    if layer is not None:
        if layer not in SCHEMAS:
            raise InputError(
                [
                    make_problem(
                        str(path),
                        layer,
                        "layer-unknown",
                        f"{layer!r} is not a ductplanner layer",
                        f"use one of: {', '.join(SCHEMAS)}",
                    )
                ]
            )
        if layer not in present:
            raise WorkspaceError(
                f"workspace {path} has no layer {layer!r} (it has: {', '.join(present) or 'none'})"
            )
        names = [layer]
    else:
        names = [n for n in SCHEMAS if n in present]
    found: dict[str, list[Problem]] = {}
    features: dict[str, int] = {}
    clean: dict[str, gpd.GeoDataFrame] = {}
    crs = stored_workspace_crs(path)
    for name in names:
        features[name], frame, found[name] = _validate_workspace_layer(path, name, crs)
        if not any(p.severity == "error" for p in found[name]):
            clean[name] = frame
    # Doubtful data is looked for in the input layers without errors (errors come first).
    inputs = {name: frame for name, frame in clean.items() if name in INPUT_LAYERS}
    for warning in quality_warnings(inputs, source=str(path)):
        found[warning.layer].append(warning)
    problems = [p for name in names for p in found[name]]
    layers = {name: _layer_counts(features[name], found[name]) for name in names}
    if layer is None:
        for other in present:
            if other not in SCHEMAS and other not in ATTRIBUTE_TABLES:
                problems.append(
                    make_problem(
                        str(path),
                        other,
                        "layer-unknown",
                        f"layer {other!r} is not a ductplanner layer; it was not checked",
                        "rename it to one of the layer names if it is one",
                        severity="warning",
                    )
                )
    if not names:
        problems.append(
            make_problem(
                str(path),
                "",
                "empty",
                f"the workspace holds none of the layers {', '.join(INPUT_LAYERS)}",
                "import layers with `ductplanner import WORKSPACE LAYER FILE`",
            )
        )
    return problems, layers


def _validate_workspace_layer(
    path: Workspace, name: str, crs: str | None
) -> tuple[int, gpd.GeoDataFrame, list[Problem]]:
    """Return the layer's feature count, the layer as validated (typed) and its problems.

    ``crs`` is the workspace's (:func:`~ductplanner.io.workspace.workspace_crs`).
    """
    source = str(path)
    frame = read_raw_layer(path, name)
    clean, problems = validate_layer(frame, name, source=source)
    # An empty layer is a fact in a workspace (no ducts laid yet), not an error.
    problems = [
        replace(p, severity="warning", hint="import features into it when there are some")
        if p.rule == "empty"
        else p
        for p in problems
    ]
    if crs and frame.crs is not None and not frame.crs.equals(crs) and not frame.empty:
        problems.append(
            make_problem(
                source,
                name,
                "crs-workspace",
                f"layer {name} is stored in {crs_name(frame.crs)}, not the workspace CRS {crs}",
                f"re-import it with `ductplanner import {path} {name} FILE`",
                field="geometry",
            )
        )
    return len(frame), clean, problems


def _validate_text(summary: Mapping[str, Any], problems: Sequence[Problem]) -> str:
    errors, warnings_ = summary["errors"], summary["warnings"]
    head = (
        f"{summary['path']}: {errors} error{'s' if errors != 1 else ''}, "
        f"{warnings_} warning{'s' if warnings_ != 1 else ''}"
    )
    if summary["report"]:
        head += f"; every finding written to {summary['report']}"
    lines = [head]
    if summary["guessed_layer"]:
        guess = summary["guessed_layer"]
        lines.append(
            f"  Checked as layer {guess['layer']} ({guess['reason']}); pass --layer to choose."
        )
    for name, c in summary["layers"].items():
        state = (
            "ok"
            if not c["errors"] and not c["warnings"]
            else (f"{c['errors']} errors, {c['warnings']} warnings")
        )
        lines.append(f"  {name:<12} {c['features']:>8} features  {state}")
    lines += [f"  {line}" for line in finding_lines(problems, QUALITY_RULES)]
    return "\n".join(lines)
