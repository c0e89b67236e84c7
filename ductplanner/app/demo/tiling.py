"""The demo municipality tiled side by side: a national-scale case."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .plan import DEMO_BOUNDS
from .town import generate_demo


def generate_tiled(
    n_tiles: int, seed: int = 2019, *, scale: float = 1.0
) -> dict[str, gpd.GeoDataFrame]:
    """Tile the demo municipality ``n_tiles`` times side by side: a national-scale case.

    Tile ``k`` is the municipality of ``seed`` moved west and south by whole
    municipality widths and heights, with ids prefixed ``T<k>-`` and district
    names suffixed `` (tile k)``, so every id stays unique. About 185 tiles
    make 2.5 million addresses.

    Parameters
    ----------
    n_tiles : int
        Number of copies (at least 1).
    seed : int
        Seed of the municipality that is tiled.
    scale : float
        Scale of each tile (see :func:`generate_demo`).

    Examples
    --------
    >>> tiled = generate_tiled(2, scale=0.05)
    >>> tiled["districts"]["id"].iloc[[0, -1]].tolist()
    ['T0000-DIS01', 'T0001-DIS14']
    """
    if n_tiles < 1:
        raise ValueError(f"n_tiles must be at least 1, got {n_tiles}")
    base = generate_demo(seed, scale=scale)
    f = math.sqrt(scale)
    width = (DEMO_BOUNDS[2] - DEMO_BOUNDS[0]) * f
    height = (DEMO_BOUNDS[3] - DEMO_BOUNDS[1]) * f
    columns = math.ceil(math.sqrt(n_tiles))
    tile = np.arange(n_tiles)
    shifts = np.column_stack([-(tile % columns) * width, -(tile // columns) * height])
    prefixes = np.array([f"T{k:04d}-" for k in tile], dtype=object)
    return {name: _tile_layer(gdf, shifts, prefixes, name) for name, gdf in base.items()}


def _tile_layer(
    gdf: gpd.GeoDataFrame, shifts: np.ndarray, prefixes: np.ndarray, layer: str
) -> gpd.GeoDataFrame:
    """Repeat a layer once per shift, moving each copy and prefixing its ids."""
    n_tiles, n = len(shifts), len(gdf)
    rows = np.tile(np.arange(n), n_tiles)
    which = np.repeat(np.arange(n_tiles), n)
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).iloc[rows].reset_index(drop=True)
    frame["id"] = prefixes[which] + frame["id"].to_numpy(dtype=object)
    if layer == "districts":
        suffixes = np.array([f" (tile {k})" for k in range(n_tiles)], dtype=object)
        frame["name"] = frame["name"].to_numpy(dtype=object) + suffixes[which]
    geometry = gdf.geometry.to_numpy()
    per_copy = shapely.get_num_coordinates(geometry)
    offsets = np.repeat(shifts, int(per_copy.sum()), axis=0)
    moved = shapely.transform(np.tile(geometry, n_tiles), lambda coords: coords + offsets)
    return gpd.GeoDataFrame(frame, geometry=moved, crs=gdf.crs)
