"""The ``coverage`` command: read the workspace, compute who is covered, write it back."""

from __future__ import annotations

from typing import Any

from ...analysis.addresses import DEFAULT_DROP_M
from ...analysis.checks import check_drop, check_side_paths
from ...analysis.coverage import COVERAGE_STEPS, CoverageReport, compute_coverage
from ...core.progress import OnStep, no_step, step_bar
from ...core.result import Result
from ...io.workspace import WorkspaceLike, as_workspace, list_layers, read_layer, write_layers
from ...model.network import NETWORK_STEPS
from ...model.parallel import SIDE_PATH_DISTANCE_M

__all__ = ["STEPS", "coverage_command", "coverage_workspace"]

_OPTIONAL = ("ducts", "backbone", "sites", "districts")

STEPS = ("reading the workspace", *NETWORK_STEPS, *COVERAGE_STEPS, "writing the layers")
"""The phases of the ``coverage`` command, as its progress bar names them."""


def coverage_workspace(
    path: WorkspaceLike,
    *,
    drop: float = DEFAULT_DROP_M,
    side_paths: float = SIDE_PATH_DISTANCE_M,
    write: bool = True,
    on_step: OnStep | None = None,
    **options: Any,
) -> CoverageReport:
    """Compute a workspace's coverage and write the ``coverage`` and ``district_coverage`` layers.

    Everything is computed before anything is written, and the two layers are
    written in one atomic step, so a failure leaves the workspace unchanged.

    Parameters
    ----------
    path : path-like
        The workspace GeoPackage.
    drop : float
        Drop distance in metres.
    side_paths : float
        Metres: a path this close to a road is part of the road's corridor
        (the scenario's ``coverage.side_path_distance_m``; 0 keeps every path
        as drawn).
    write : bool
        Write the two layers back (otherwise only compute).
    on_step : callable, optional
        Called with the name of each of :data:`STEPS`' phases as it begins.
    **options
        Passed to :func:`~ductplanner.analysis.coverage.compute_coverage`.

    Returns
    -------
    CoverageReport
    """
    check_drop(drop)
    check_side_paths(side_paths)
    step = on_step or no_step
    step(STEPS[0])
    path = as_workspace(path)
    present = set(list_layers(path))
    layers = {name: read_layer(path, name) for name in ("streets", "addresses")}
    for name in _OPTIONAL:
        if name in present:
            layers[name] = read_layer(path, name)
    report = compute_coverage(
        layers, drop=drop, source=str(path), on_step=on_step, side_paths=side_paths, **options
    )
    if write:
        step(STEPS[-1])
        note = f"drop distance {drop:g} m, side paths within {side_paths:g} m of a road"
        write_layers(path, report.layers(), note=note)
    return report


def coverage_command(
    workspace: WorkspaceLike,
    *,
    drop: float | None = None,
    side_paths: float | None = None,
    progress: bool = False,
) -> Result:
    """Run ``ductplanner coverage WORKSPACE [--drop M] [--side-paths M]``: compute, write, say so.

    The ``--json`` summary has the public ``coverage`` keys (see
    :meth:`CoverageReport.summary`) and ``workspace``. With ``progress``, the
    steps show on standard error (only when it is a terminal).
    """
    drop = DEFAULT_DROP_M if drop is None else drop
    side_paths = SIDE_PATH_DISTANCE_M if side_paths is None else side_paths
    with step_bar(len(STEPS), show=progress, desc="coverage") as step:
        report = coverage_workspace(workspace, drop=drop, side_paths=side_paths, on_step=step)
    written = ", ".join(f"{name} ({len(gdf)} features)" for name, gdf in report.layers().items())
    summary = {"workspace": str(workspace), **report.summary()}
    return Result(summary=summary, text=f"{report.text()}\nwrote {written} to {workspace}")
