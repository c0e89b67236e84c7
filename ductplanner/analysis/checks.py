"""Refuse unusable inputs to the analyses: a bad drop distance, missing layers, bad geometry.

Each check raises an :class:`~ductplanner.core._errors.InputError` that lists every
problem found, with a hint on how to fix it; coverage and the co-digging overlay run
them before they read a layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np

from ..core._errors import InputError, Problem

__all__ = ["check_drop", "check_side_paths", "require_geometry", "require_layers"]

SIDE_PATHS_MAX_M = 50.0
"""The widest corridor a path beside a road may belong to (as a scenario's key allows)."""


def check_drop(drop: float) -> None:
    """Refuse a drop distance that is not a number of metres >= 0.

    Parameters
    ----------
    drop : float
        The drop distance, metres.

    Raises
    ------
    InputError
        ``drop`` is negative or NaN.
    """
    if not (drop >= 0):  # also refuses NaN
        raise InputError(
            [
                Problem(
                    "<arguments>",
                    "",
                    "",
                    "drop",
                    "range",
                    f"the drop distance is {drop} m; it must be 0 m or more",
                    "pass a distance in metres, e.g. --drop 30",
                )
            ],
            summary="Invalid drop distance",
        )


def check_side_paths(distance: float) -> None:
    """Refuse a side-path distance outside 0-50 m (``coverage --side-paths``).

    Raises
    ------
    InputError
        ``distance`` is negative, above :data:`SIDE_PATHS_MAX_M` or NaN.
    """
    if not (0 <= distance <= SIDE_PATHS_MAX_M):  # also refuses NaN
        raise InputError(
            [
                Problem(
                    "<arguments>",
                    "",
                    "",
                    "--side-paths",
                    "range",
                    f"the side-path distance is {distance} m; it must lie between 0 and "
                    f"{SIDE_PATHS_MAX_M:g} m",
                    "pass metres, e.g. --side-paths 12 (0 keeps every path as drawn)",
                )
            ],
            summary="Invalid side-path distance",
        )


def require_layers(layers: Mapping[str, Any], names: Sequence[str], source: str) -> None:
    """Refuse missing layers, naming every one and how to import it.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        The workspace layers read so far (a layer may be None).
    names : sequence of str
        The layers required.
    source : str
        Where the layers came from, for error messages.

    Raises
    ------
    InputError
        One problem per missing layer.
    """
    missing = [n for n in names if n not in layers or layers[n] is None]
    if missing:
        raise InputError(
            [
                Problem(
                    source,
                    n,
                    "",
                    "",
                    "layer-missing",
                    f"the {n} layer is missing",
                    f"import it with `ductplanner import WORKSPACE {n} FILE`",
                )
                for n in missing
            ]
        )


def require_geometry(gdf: gpd.GeoDataFrame, layer: str, types: Sequence[str], source: str) -> None:
    """Refuse features without a usable geometry of the expected type (all listed).

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer's features.
    layer : str
        The layer's name, for error messages.
    types : sequence of str
        The geometry types allowed (``"Point"``, ``"LineString"``...).
    source : str
        Where the layer came from, for error messages.

    Raises
    ------
    InputError
        One problem per feature without a geometry or with one of another type.
    """
    geoms = gdf.geometry.values
    missing = np.asarray(gdf.geometry.isna() | gdf.geometry.is_empty, dtype=bool)
    wrong = ~missing & ~np.isin(np.asarray(gdf.geometry.geom_type, dtype=object), list(types))
    if not (missing.any() or wrong.any()):
        return
    ids = (
        gdf["id"].astype(object).to_numpy()
        if "id" in gdf.columns
        else np.array([f"row {i + 1}" for i in range(len(gdf))], dtype=object)
    )
    problems = [
        Problem(
            source,
            layer,
            str(ids[i]),
            "geometry",
            "geometry-null",
            "has no geometry",
            "draw the feature or remove it",
        )
        for i in np.flatnonzero(missing)
    ] + [
        Problem(
            source,
            layer,
            str(ids[i]),
            "geometry",
            "geometry-type",
            f"geometry is a {geoms[i].geom_type}, expected {' or '.join(types)}",
            "fix the feature's geometry",
        )
        for i in np.flatnonzero(wrong)
    ]
    raise InputError(problems)
