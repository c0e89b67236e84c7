"""Writing the demo municipality as a fresh workspace GeoPackage."""

from __future__ import annotations

import os
from pathlib import Path

from ...io.workspace import write_layers
from .plan import SYNTHETIC_NOTE
from .town import generate_demo


def write_demo_workspace(
    path: str | os.PathLike[str], seed: int = 2019, *, scale: float = 1.0
) -> dict[str, int]:
    """Write the demo municipality as a fresh workspace GeoPackage.

    The seven layers are written to a new file beside ``path`` that replaces
    ``path`` only once complete, so a previous demo workspace (with derived
    layers of an older run) is replaced as a whole. Every layer is recorded as
    synthetic in the workspace's provenance table.

    Parameters
    ----------
    path : path-like
        The workspace to (re)create.
    seed : int
        Seed of the generator.
    scale : float
        See :func:`generate_demo`.

    Returns
    -------
    dict of str to int
        Feature count per layer.
    """
    layers = generate_demo(seed, scale=scale)
    path = Path(path)
    source = (
        f"synthetic demo (seed {seed})"
        if scale == 1
        else (f"synthetic demo (seed {seed}, scale {scale:g})")
    )
    write_layers(
        path,
        layers,
        sources=dict.fromkeys(layers, source),
        synthetic=True,
        note=SYNTHETIC_NOTE,
        fresh=True,
    )
    return {name: len(gdf) for name, gdf in layers.items()}
