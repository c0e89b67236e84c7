"""How true a workspace CRS is where the data lies, and which CRS a new workspace takes.

A workspace measures lengths in its own CRS. The default, EPSG:25832 (UTM
zone 32N), is true to 0.04 % across Denmark west of Bornholm and to 0.14 %
on Bornholm. Data far outside a CRS's zone is drawn too long: in Helsinki,
16° east of zone 32N's meridian, every length is 0.91 % too long.
:func:`zone_fit` says how far off a place is in a CRS and which UTM zone the
place belongs to; :func:`choose_workspace_crs` picks the CRS a new workspace
is stored in.

>>> fit = zone_fit(24.94, 60.17)
>>> round(100 * fit.length_error, 2), fit.zone, fit.zone_crs
(0.91, '35N', 'EPSG:25835')
>>> zone_fit(12.57, 55.68).far
False
>>> zone_fit(24.94, 60.17, "EPSG:25835").far
False
>>> choose_workspace_crs([(24.94, 60.17), (24.96, 60.18)], "EPSG:4326").crs
'EPSG:25835'
>>> choose_workspace_crs([(12.57, 55.68)], "EPSG:25833").crs
'EPSG:25832'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
from pyproj import CRS, Proj

from .schemas import DEFAULT_WORKSPACE_CRS

__all__ = [
    "FAR_LENGTH_ERROR",
    "CrsChoice",
    "ZoneFit",
    "choose_workspace_crs",
    "crs_code",
    "frame_crs_choice",
    "lonlat_extent",
    "metric_crs_problem",
    "worst_fit",
    "zone_fit",
]

FAR_LENGTH_ERROR = 0.0025
"""Lengths off by more than this share (0.25 %) make a place far from a CRS's zone."""


class ZoneFit(NamedTuple):
    """How a CRS measures at one place.

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


class CrsChoice(NamedTuple):
    """The CRS a new workspace is stored in, and why.

    Attributes
    ----------
    crs : str
        ``EPSG:code`` (or the CRS's own text when it has no code).
    reason : str
        Why, in words: ``"the default, true to 0.04 % here"``.
    """

    crs: str
    reason: str


def crs_code(crs: Any) -> str:
    """Return a CRS as ``EPSG:code``, or its own text when it has no EPSG code."""
    parsed = CRS.from_user_input(crs)
    code = parsed.to_epsg()
    return f"EPSG:{code}" if code else parsed.to_string()


def metric_crs_problem(crs: Any) -> str | None:
    """Say why ``crs`` cannot hold a workspace (not projected, not in metres), or ``None``."""
    try:
        parsed = CRS.from_user_input(crs)
    except Exception:  # pyproj raises CRSError and, for some input, plain errors
        return f"{str(crs)[:80]!r} is not a coordinate reference system"
    if not parsed.is_projected:
        return f"{crs_code(parsed)} is not projected (its coordinates are degrees, not metres)"
    units = {axis.unit_name for axis in parsed.axis_info}
    if units != {"metre"}:
        return f"{crs_code(parsed)} measures in {', '.join(sorted(units))}, not metres"
    return None


@cache
def _projection(crs: str) -> Proj:
    return Proj(crs)


def zone_fit(lon: float, lat: float, crs: str = DEFAULT_WORKSPACE_CRS) -> ZoneFit:
    """Return how true ``crs`` is at (``lon``, ``lat``), degrees (default: the default CRS)."""
    factors = _projection(crs).get_factors(lon, lat)
    error = max(abs(factors.meridional_scale - 1.0), abs(factors.parallel_scale - 1.0))
    number = min(60, max(1, math.floor((lon + 180.0) / 6.0) + 1))
    north = lat >= 0
    if north and 28 <= number <= 38:
        zone_crs = f"EPSG:{25800 + number}"
    else:
        zone_crs = f"EPSG:{(32600 if north else 32700) + number}"
    return ZoneFit(error, f"{number}{'N' if north else 'S'}", zone_crs, error > FAR_LENGTH_ERROR)


def worst_fit(points: Sequence[tuple[float, float]], crs: str) -> ZoneFit:
    """Return the fit of ``crs`` at the point of ``points`` (lon, lat) where it is worst."""
    return max((zone_fit(lon, lat, crs) for lon, lat in points), key=lambda f: f.length_error)


def choose_workspace_crs(points: Sequence[tuple[float, float]], own: Any = None) -> CrsChoice:
    """Return the CRS a new workspace takes for data spanning ``points`` (lon, lat, degrees).

    In order: the default CRS (EPSG:25832) where it is true to
    :data:`FAR_LENGTH_ERROR` at every point, as across Denmark; else the
    data's own CRS ``own`` where it is projected in metres and as true;
    else the UTM zone of the last point (give the centre last).
    """
    default = worst_fit(points, DEFAULT_WORKSPACE_CRS)
    if not default.far:
        return CrsChoice(
            DEFAULT_WORKSPACE_CRS, f"the default, true to {_share(default.length_error)} here"
        )
    if own is not None and metric_crs_problem(own) is None:
        code = crs_code(own)
        fit = worst_fit(points, code)
        if not fit.far:
            return CrsChoice(code, f"the data's own CRS, true to {_share(fit.length_error)} here")
    centre = zone_fit(*points[-1])
    fit = worst_fit(points, centre.zone_crs)
    return CrsChoice(
        centre.zone_crs,
        f"the UTM zone of the data ({centre.zone}), true to {_share(fit.length_error)} here",
    )


def _share(error: float) -> str:
    return f"{100 * error:.2f} %"


def lonlat_extent(frame: gpd.GeoDataFrame) -> list[tuple[float, float]]:
    """Return the corners and the centre of a frame's extent in degrees (centre last).

    Empty when the frame has no geometry, no CRS, or coordinates the CRS
    cannot place on the globe.
    """
    geometry = frame.geometry[~(frame.geometry.isna() | frame.geometry.is_empty)]
    if geometry.empty or frame.crs is None:
        return []
    west, south, east, north = geometry.total_bounds
    xs = [west, east, west, east, (west + east) / 2]
    ys = [south, south, north, north, (south + north) / 2]
    points = gpd.GeoSeries.from_xy(xs, ys, crs=frame.crs).to_crs("EPSG:4326")
    lon, lat = points.x.to_numpy(), points.y.to_numpy()
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        return []
    return [(float(x), float(y)) for x, y in zip(lon, lat, strict=True)]


def frame_crs_choice(frame: gpd.GeoDataFrame) -> CrsChoice | None:
    """Return :func:`choose_workspace_crs` for where ``frame`` lies (``None``: it lies nowhere)."""
    points = lonlat_extent(frame)
    return choose_workspace_crs(points, frame.crs) if points else None
