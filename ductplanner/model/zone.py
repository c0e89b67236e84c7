"""How true the workspace CRS is where the data lies, and the UTM zone the data belongs to.

A workspace measures lengths in EPSG:25832 (UTM zone 32N), which is true to
0.04 % across Denmark west of Bornholm and to 0.14 % on Bornholm. Data far
outside the zone is drawn too long: in Helsinki, 16° east of the zone's
meridian, every length is 0.91 % too long. :func:`zone_fit` says how far
off a place is and which zone it belongs to.

>>> fit = zone_fit(24.94, 60.17)
>>> round(100 * fit.length_error, 2), fit.zone, fit.zone_crs
(0.91, '35N', 'EPSG:25835')
>>> zone_fit(12.57, 55.68).far
False
"""

from __future__ import annotations

import math
from functools import cache
from typing import NamedTuple

from pyproj import Proj

from .schemas import WORKSPACE_CRS

__all__ = ["FAR_LENGTH_ERROR", "ZoneFit", "zone_fit"]

FAR_LENGTH_ERROR = 0.0025
"""Lengths off by more than this share (0.25 %) make a place far from the workspace's zone."""


class ZoneFit(NamedTuple):
    """How the workspace CRS measures at one place.

    Attributes
    ----------
    length_error : float
        How much longer (or shorter) a length is drawn than it is, as a share.
    zone : str
        The UTM zone of the place (``"32N"``).
    zone_crs : str
        A CRS for that zone: ETRS89 (``EPSG:258zz``) in zones 28–38 north,
        else WGS 84 (``EPSG:326zz`` / ``EPSG:327zz``).
    far : bool
        ``length_error`` above :data:`FAR_LENGTH_ERROR`.
    """

    length_error: float
    zone: str
    zone_crs: str
    far: bool


@cache
def _workspace_projection() -> Proj:
    return Proj(WORKSPACE_CRS)


def zone_fit(lon: float, lat: float) -> ZoneFit:
    """Return how true the workspace CRS is at (``lon``, ``lat``), degrees."""
    scale = _workspace_projection().get_factors(lon, lat).meridional_scale
    error = abs(scale - 1.0)
    number = min(60, max(1, math.floor((lon + 180.0) / 6.0) + 1))
    north = lat >= 0
    if north and 28 <= number <= 38:
        crs = f"EPSG:{25800 + number}"
    else:
        crs = f"EPSG:{(32600 if north else 32700) + number}"
    return ZoneFit(error, f"{number}{'N' if north else 'S'}", crs, error > FAR_LENGTH_ERROR)
