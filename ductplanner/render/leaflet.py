"""The parts every ductplanner map is built of: escaped popups, light geometry, overlays.

A map's data is written once and compactly: geometries simplified (in
metres), in EPSG:4326 and rounded to about 0.1 m; each distinct style once
per overlay (:class:`StyleTable`); each popup label once per overlay. Every
text is HTML-escaped here, before it reaches a page.

>>> Popup.of("Dig <7>", [("Owner", "A&B"), ("Permit", None)]).rows
(('Owner', 'A&B'),)
>>> line_style("#123456", 3)["weight"], bounds_of(gpd.GeoSeries([], crs=4326))
(3, None)
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..core._format import is_nan
from .map_words import map_number, tr

__all__ = [
    "ADDRESS_STATES",
    "COORD_DECIMALS",
    "SIMPLIFY_M",
    "LegendEntry",
    "Overlay",
    "Popup",
    "StyleTable",
    "bounds_of",
    "display_text",
    "district_style",
    "esc",
    "geojson_geometry",
    "geojson_overlay",
    "line_style",
    "lonlat",
    "merged_overlay",
    "popup_table",
    "year_text",
]

COORD_DECIMALS = 6
"""Decimals of longitude/latitude written to a map (about 0.1 m)."""

SIMPLIFY_M = 0.5
"""Lines and outlines are simplified to this tolerance (metres) before drawing."""

ADDRESS_STATES = (
    ("covered", "#1a9850"),
    ("not covered", "#d73027"),
    ("beyond the drop distance", "#9e9e9e"),
    ("coverage not computed", "#3b6fb6"),
)
"""(legend label, colour) of an address point, by its state number."""


def esc(value: Any) -> str:
    """Return ``value`` as HTML-escaped text ('' when missing)."""
    return "" if is_nan(value) else html.escape(display_text(value), quote=True)


def display_text(value: Any) -> str:
    """Return a readable text for one attribute value (unescaped)."""
    if isinstance(value, bool | np.bool_):
        return tr("yes") if value else tr("no")
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, int | np.integer):
        return map_number(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        return map_number(number, 0 if number.is_integer() or abs(number) >= 100 else 2)
    return str(value)


def year_text(value: Any) -> str | None:
    """Return a year as plain digits (no thousands separator), None when missing."""
    return None if is_nan(value) else str(int(value))


def popup_table(title: str, rows: Sequence[tuple[str, Any]]) -> str:
    """Return popup HTML: an escaped title and a two-column table, empty values left out."""
    cells = "".join(
        f"<tr><th>{esc(label)}</th><td>{esc(value)}</td></tr>"
        for label, value in rows
        if not is_nan(value) and str(value) != ""
    )
    return f'<div class="dp-popup"><b>{esc(title)}</b><table>{cells}</table></div>'


@dataclass(frozen=True)
class Popup:
    """A feature's popup: a title and rows of (label, value), empty values left out.

    Written into a map compactly (each label once per layer) and turned into
    HTML by the page; :meth:`html` gives the same HTML in Python.

    >>> Popup.of("<1>", [("Owner", "A&B"), ("Permit", None)]).html()[22:]
    '<b>&lt;1&gt;</b><table><tr><th>Owner</th><td>A&amp;B</td></tr></table></div>'
    """

    title: str
    rows: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, title: Any, rows: Sequence[tuple[str, Any]]) -> Popup:
        """Return the popup of ``rows``, values as text, missing and empty ones dropped."""
        kept = tuple(
            (label, display_text(value))
            for label, value in rows
            if not is_nan(value) and str(value) != ""
        )
        return cls(display_text(title), kept)

    def html(self) -> str:
        """Return the popup's HTML, every text escaped."""
        return popup_table(self.title, self.rows)


def _popup_data(popup: Popup, labels: dict[str, int]) -> list[Any]:
    """Return ``[title, label number, value, ...]`` (escaped), numbering new labels."""
    data: list[Any] = [esc(popup.title)]
    for label, value in popup.rows:
        data += [labels.setdefault(esc(label), len(labels)), esc(value)]
    return data


# --- geometry: simplified, in EPSG:4326, rounded ---------------------------------------


def lonlat(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Return the geometries simplified (in metres), in EPSG:4326, rounded to ~0.1 m."""
    geoms = gdf.geometry
    if geoms.crs is not None and geoms.crs.is_projected:
        geoms = geoms.simplify(SIMPLIFY_M, preserve_topology=True)
    geoms = geoms.to_crs(4326)
    rounded = shapely.transform(geoms.values, lambda xy: np.round(xy, COORD_DECIMALS))
    return gpd.GeoSeries(rounded, index=gdf.index, crs=4326)


def geojson_geometry(geom: Any) -> dict[str, Any]:
    """Return a shapely geometry as a GeoJSON mapping."""
    return shapely.geometry.mapping(geom)


# --- overlays ---------------------------------------------------------------------------


@dataclass
class LegendEntry:
    """One line of the legend: a label and the style it shows."""

    label: str
    style: dict[str, Any]
    shape: str  # "line", "area", "point" or "icon"


@dataclass
class Overlay:
    """One toggleable layer of a map, with its legend.

    Attributes
    ----------
    name : str
        Name in the layer control and the legend.
    source : str
        The workspace layer it draws.
    kind : {"geojson", "points"}
        ``geojson``: features with a style index, popup and tooltip in their
        properties. ``points``: clustered address points, rows of
        ``[lat, lon, households, state, id, served]``.
    data : list
        GeoJSON features, or rows for ``points``.
    styles : list of dict
        Leaflet path options (``icon`` adds a ``divIcon`` HTML for points).
    legend : list of LegendEntry
    show : bool
        Shown when the map opens.
    bounds : tuple of float, optional
        ``(south, west, north, east)`` in degrees, to frame the map.
    labels : list of str
        Row labels of the features' compact popups (escaped HTML); a popup
        is HTML, or ``[title, label number, value, ...]``.
    """

    name: str
    source: str
    kind: str
    data: list[Any]
    styles: list[dict[str, Any]]
    legend: list[LegendEntry]
    show: bool = True
    bounds: tuple[float, float, float, float] | None = None
    labels: list[str] = field(default_factory=list)

    def popup_html(self, feature: Mapping[str, Any]) -> str:
        """Return the HTML popup of one of :attr:`data`'s features, as the page shows it."""
        p = feature["properties"]["p"]
        if isinstance(p, str):
            return p
        cells = "".join(
            f"<tr><th>{self.labels[p[k]]}</th><td>{p[k + 1]}</td></tr>" for k in range(1, len(p), 2)
        )
        return f'<div class="dp-popup"><b>{p[0]}</b><table>{cells}</table></div>'


class StyleTable:
    """Distinct styles, numbered in order of first use."""

    def __init__(self) -> None:
        self.styles: list[dict[str, Any]] = []
        self._index: dict[str, int] = {}

    def index(self, style: dict[str, Any]) -> int:
        """Return the number of ``style``, numbering it when it is new."""
        key = json.dumps(style, sort_keys=True)
        if key not in self._index:
            self._index[key] = len(self.styles)
            self.styles.append(style)
        return self._index[key]


def geojson_overlay(
    name: str,
    source: str,
    gdf: gpd.GeoDataFrame,
    styles: Sequence[dict[str, Any]],
    legend: list[LegendEntry],
    *,
    popups: Sequence[str | Popup] | None = None,
    tooltips: Sequence[str] | None = None,
) -> Overlay:
    """Return an overlay of one feature per row, each with its style, popup and tooltip."""
    table = StyleTable()
    labels: dict[str, int] = {}
    numbers = [table.index(dict(s)) for s in styles]
    geoms = lonlat(gdf)
    features = []
    for i, geom in enumerate(geoms):
        if geom is None or geom.is_empty:
            continue
        props: dict[str, Any] = {"s": numbers[i]}
        if popups is not None:
            popup = popups[i]
            props["p"] = popup if isinstance(popup, str) else _popup_data(popup, labels)
        if tooltips is not None:
            props["t"] = tooltips[i]
        features.append(
            {"type": "Feature", "geometry": geojson_geometry(geom), "properties": props}
        )
    return Overlay(
        name,
        source,
        "geojson",
        features,
        table.styles,
        legend,
        bounds=bounds_of(geoms),
        labels=list(labels),
    )


def merged_overlay(
    name: str, source: str, gdf: gpd.GeoDataFrame, keys: pd.Series, styles: dict[Any, dict]
) -> Overlay:
    """Return an overlay with one multi-line feature per style (no popups: small files)."""
    geoms = lonlat(gdf)
    table = StyleTable()
    features = []
    for key, style in styles.items():
        parts = [g for g in geoms[(keys == key).to_numpy()] if g is not None and not g.is_empty]
        if not parts:
            continue
        lines = [ln for g in parts for ln in getattr(g, "geoms", [g])]
        merged = shapely.MultiLineString(lines)
        features.append(
            {
                "type": "Feature",
                "geometry": geojson_geometry(merged),
                "properties": {"s": table.index(style)},
            }
        )
    legend = [LegendEntry(str(k), s, "line") for k, s in styles.items() if (keys == k).any()]
    return Overlay(name, source, "geojson", features, table.styles, legend, bounds=bounds_of(geoms))


def bounds_of(geoms: gpd.GeoSeries) -> tuple[float, float, float, float] | None:
    """Return ``(south, west, north, east)`` of the non-empty geometries (None: none)."""
    valid = geoms[~(geoms.isna() | geoms.is_empty)]
    if valid.empty:
        return None
    west, south, east, north = valid.total_bounds
    return float(south), float(west), float(north), float(east)


def line_style(colour: str, weight: float, **extra: Any) -> dict[str, Any]:
    """Return Leaflet path options of a line."""
    return {"color": colour, "weight": weight, "opacity": 0.9, **extra}


def district_style(colour: str) -> dict[str, Any]:
    """Return Leaflet path options of a district filled with ``colour``."""
    return {
        "color": "#3d3d3d",
        "weight": 1.5,
        "opacity": 0.9,
        "fillColor": colour,
        "fillOpacity": 0.5,
    }
