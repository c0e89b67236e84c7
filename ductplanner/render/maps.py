"""Leaflet (folium) maps of a workspace, for the project manager, utilities and committee.

Rendering only: every figure on a map is read from a workspace layer. Derived
layers (``coverage``, ``district_coverage``, ``opportunities``, ``plan``) are
drawn when the workspace has them; when one is absent the map simply has no
such layer and its About panel says so.

One function per view. :func:`workspace_map` draws the workspace for one of
three audiences (``manager``: everything; ``committee``: coverage first;
``utility``: one owner's digs and what we ask of them). Each is a list of
:class:`Overlay`, turned into a map with a legend and an About panel by
:func:`assemble_map`. The forecast's time view and the side-by-side scenario
comparison are built from the same parts in :mod:`ductplanner.render.forecast_maps`.

Everything that came from an input file is HTML-escaped before it reaches the
page, and every piece of data is embedded as JSON that cannot close a
``<script>`` element.

Basemaps: OpenStreetMap (default), none, and the Danish Dataforsyningen
*skærmkort* (WMS) when a token is given, by argument or in the environment
variable ``DATAFORSYNINGEN_TOKEN``. The token is never stored anywhere except
in the rendered map's tile URL, where a browser needs it: share such a map only
with people allowed to use that token.

Self-contained maps (``self_contained=True``) embed Leaflet and its cluster
plugin (npm packages pinned in ``ductplanner/assets``; install them with
``npm ci --prefix ductplanner/assets``) and open with no internet; only the
basemap tiles need a connection.

>>> from ductplanner.app.demo import tiny_layers
>>> overlays = layer_overlays(tiny_layers())
>>> [o.name for o in overlays][:3]
['Districts', 'Streets', 'Third-party digs']
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..core._errors import WorkspaceError
from ..core._format import share
from ..io.assets import ASSETS_DIR, asset_tags
from .style import SHARE_BREAKS, SHARE_COLOURS, safe_json, share_class

if TYPE_CHECKING:
    import folium
    from branca.element import Figure


__all__ = [
    "AUDIENCES",
    "COVERAGE_DEFINITION",
    "HOW_TO_DERIVE",
    "TOKEN_ENV",
    "About",
    "Overlay",
    "Popup",
    "about_html",
    "add_overlays",
    "add_page_head",
    "assemble_map",
    "framed_map",
    "layer_overlays",
    "legend_html",
    "offline_note",
    "provenance_row",
    "safe_json",
    "save_map",
    "workspace_map",
]

AUDIENCES = ("manager", "committee", "utility")
"""The views of :func:`workspace_map`."""

TOKEN_ENV = "DATAFORSYNINGEN_TOKEN"
"""Environment variable holding a Dataforsyningen token for the skærmkort basemap."""

COORD_DECIMALS = 6
"""Decimals of longitude/latitude written to a map (about 0.1 m)."""

SIMPLIFY_M = 0.5
"""Lines and outlines are simplified to this tolerance (metres) before drawing."""

COVERAGE_DEFINITION = (
    "A household counts as covered when its address's nearest street within the drop "
    "distance (30 m by default; see the coverage layer's note) carries a duct connected "
    "through ducts to the backbone; "
    "each percentage is a share of all households (dwelling units) in the area, "
    "including those at addresses beyond the drop distance."
)

SKAERMKORT_URL = "https://api.dataforsyningen.dk/topo_skaermkort_DAF"
SKAERMKORT_LAYER = "dtk_skaermkort_daempet"

_DEFAULT_CENTRE = (55.7305, 12.3630)  # Ballerup, for an empty workspace
_LEGEND_WIDTH_PX = 300

_LAYER_ORDER = (
    "districts",
    "streets",
    "digs",
    "opportunities",
    "conflicts",
    "plan",
    "ducts",
    "backbone",
    "sites",
    "addresses",
)
"""Drawing order (bottom to top) and the order of the layer control."""

_EXTRA_LAYERS = ("opportunities", "conflicts", "plan")
"""Derived line layers of the digs: a popup shows whichever of their columns are present."""

_AUDIENCE_LAYERS: dict[str, dict[str, bool]] = {
    # workspace layer -> shown when the map opens (absent: not on this map at all)
    "manager": dict.fromkeys(_LAYER_ORDER, True),
    "committee": {
        "districts": True,
        "streets": True,
        "digs": False,
        "opportunities": False,
        "plan": True,
        "ducts": True,
        "backbone": True,
        "sites": False,
        "addresses": True,
    },
    "utility": {
        "streets": True,
        "digs": True,
        "opportunities": True,
        "conflicts": True,
        "plan": True,
        "ducts": True,
        "backbone": False,
    },
}

_OWNER_COLOURS = (  # Dark2 without its blue-violet and magenta (ducts, backbone, plan)
    "#d95f02",
    "#1b9e77",
    "#e6ab02",
    "#66a61e",
    "#a6761d",
    "#b2182b",
    "#01665e",
)
_OTHER_OWNERS = "#444444"
_YEAR_COLOURS = ("#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84")
_SITE_LETTERS = {"school": "S", "care-home": "C", "institution": "I", "admin": "A", "other": "O"}
_ADDRESS_STATES = (
    ("covered", "#1a9850"),
    ("not covered", "#d73027"),
    ("beyond the drop distance", "#9e9e9e"),
    ("coverage not computed", "#3b6fb6"),
)


# --- small formatting helpers ---------------------------------------------------------


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _esc(value: Any) -> str:
    """Return ``value`` as HTML-escaped text ('' when missing)."""
    return "" if _missing(value) else html.escape(_text(value), quote=True)


def _text(value: Any) -> str:
    """Return a readable text for one attribute value (unescaped)."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        number = float(value)
        return f"{number:,.0f}" if number.is_integer() or abs(number) >= 100 else f"{number:,.2f}"
    return str(value)


def _year(value: Any) -> str | None:
    """Return a year as plain digits (no thousands separator), None when missing."""
    return None if _missing(value) else str(int(value))


def _table(title: str, rows: Sequence[tuple[str, Any]]) -> str:
    """Return popup HTML: an escaped title and a two-column table, empty values left out."""
    cells = "".join(
        f"<tr><th>{_esc(label)}</th><td>{_esc(value)}</td></tr>"
        for label, value in rows
        if not _missing(value) and str(value) != ""
    )
    return f'<div class="dp-popup"><b>{_esc(title)}</b><table>{cells}</table></div>'


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
            (label, _text(value))
            for label, value in rows
            if not _missing(value) and str(value) != ""
        )
        return cls(_text(title), kept)

    def html(self) -> str:
        """Return the popup's HTML, every text escaped."""
        return _table(self.title, self.rows)


def _popup_data(popup: Popup, labels: dict[str, int]) -> list[Any]:
    """Return ``[title, label number, value, ...]`` (escaped), numbering new labels."""
    data: list[Any] = [_esc(popup.title)]
    for label, value in popup.rows:
        data += [labels.setdefault(_esc(label), len(labels)), _esc(value)]
    return data


# --- geometry: simplified, in EPSG:4326, rounded ---------------------------------------


def _lonlat(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Return the geometries simplified (in metres), in EPSG:4326, rounded to ~0.1 m."""
    geoms = gdf.geometry
    if geoms.crs is not None and geoms.crs.is_projected:
        geoms = geoms.simplify(SIMPLIFY_M, preserve_topology=True)
    geoms = geoms.to_crs(4326)
    rounded = shapely.transform(geoms.values, lambda xy: np.round(xy, COORD_DECIMALS))
    return gpd.GeoSeries(rounded, index=gdf.index, crs=4326)


def _geojson_geometry(geom: Any) -> dict[str, Any]:
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


class _StyleTable:
    """Distinct styles, numbered in order of first use."""

    def __init__(self) -> None:
        self.styles: list[dict[str, Any]] = []
        self._index: dict[str, int] = {}

    def index(self, style: dict[str, Any]) -> int:
        key = json.dumps(style, sort_keys=True)
        if key not in self._index:
            self._index[key] = len(self.styles)
            self.styles.append(style)
        return self._index[key]


def _geojson_overlay(
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
    table = _StyleTable()
    labels: dict[str, int] = {}
    numbers = [table.index(dict(s)) for s in styles]
    geoms = _lonlat(gdf)
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
            {"type": "Feature", "geometry": _geojson_geometry(geom), "properties": props}
        )
    return Overlay(
        name,
        source,
        "geojson",
        features,
        table.styles,
        legend,
        bounds=_bounds(geoms),
        labels=list(labels),
    )


def _merged_overlay(
    name: str, source: str, gdf: gpd.GeoDataFrame, keys: pd.Series, styles: dict[Any, dict]
) -> Overlay:
    """Return an overlay with one multi-line feature per style (no popups: small files)."""
    geoms = _lonlat(gdf)
    table = _StyleTable()
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
                "geometry": _geojson_geometry(merged),
                "properties": {"s": table.index(style)},
            }
        )
    legend = [LegendEntry(str(k), s, "line") for k, s in styles.items() if (keys == k).any()]
    return Overlay(name, source, "geojson", features, table.styles, legend, bounds=_bounds(geoms))


def _bounds(geoms: gpd.GeoSeries) -> tuple[float, float, float, float] | None:
    valid = geoms[~(geoms.isna() | geoms.is_empty)]
    if valid.empty:
        return None
    west, south, east, north = valid.total_bounds
    return float(south), float(west), float(north), float(east)


def _line(colour: str, weight: float, **extra: Any) -> dict[str, Any]:
    return {"color": colour, "weight": weight, "opacity": 0.9, **extra}


def _column(gdf: pd.DataFrame, *candidates: str) -> str | None:
    """Return the first of ``candidates`` that is a column of ``gdf``."""
    return next((c for c in candidates if c in gdf.columns), None)


# --- one function per workspace layer --------------------------------------------------


def _streets(gdf: gpd.GeoDataFrame) -> Overlay:
    is_path = gdf["road_class"].astype("object").eq("path")
    keys = pd.Series(np.where(is_path, "Paths", "Streets"), index=gdf.index)
    styles = {
        "Streets": _line("#6b6b6b", 1.2, opacity=0.55),
        "Paths": _line("#6b6b6b", 1.0, opacity=0.45, dashArray="3 4"),
    }
    return _merged_overlay("Streets", "streets", gdf, keys, styles)


def _year_classes(years: pd.Series) -> tuple[pd.Series, list[tuple[str, str]]]:
    """Return a class label per duct and (label, colour) per class, oldest first."""
    known = years.dropna().astype(int)
    labels = pd.Series("year unknown", index=years.index, dtype="object")
    if known.empty:
        return labels, [("year unknown", "#555555")]
    distinct = sorted(known.unique())
    if len(distinct) <= len(_YEAR_COLOURS):
        classes = [(y, y) for y in distinct]
    else:
        edges = np.linspace(distinct[0], distinct[-1] + 1, len(_YEAR_COLOURS) + 1)
        bounds = [(int(np.ceil(a)), int(np.ceil(b)) - 1) for a, b in itertools.pairwise(edges)]
        classes = [(lo, hi) for lo, hi in bounds if lo <= hi]
    colours = _YEAR_COLOURS[-len(classes) :]
    legend = []
    for (lo, hi), colour in zip(classes, colours, strict=True):
        label = f"laid {lo}" if lo == hi else f"laid {lo}–{hi}"
        inside = years.notna() & years.fillna(0).astype(int).between(lo, hi)
        labels[inside.to_numpy()] = label
        legend.append((label, colour))
    if years.isna().any():
        legend.append(("year unknown", "#555555"))
    return labels, legend


def _ducts(gdf: gpd.GeoDataFrame) -> Overlay:
    year_label, year_legend = _year_classes(gdf["year_laid"])
    colour_of = dict(year_legend)
    has_connected = "connected" in gdf.columns
    connected = (
        gdf["connected"].astype("boolean").fillna(False).to_numpy()
        if has_connected
        else np.ones(len(gdf), dtype=bool)
    )
    planned = gdf["status"].astype("object").eq("planned").to_numpy()
    styles, popups = [], []
    for i, row in enumerate(gdf.itertuples(index=False)):
        style = _line(colour_of[year_label.iat[i]], 4)
        if planned[i]:
            style["dashArray"] = "8 6"
        elif not connected[i]:
            style.update(dashArray="1 7", lineCap="round", weight=5)
        styles.append(style)
        state = "planned" if planned[i] else "existing"
        if has_connected:
            state += ", connected" if connected[i] else ", island (not connected to the backbone)"
        popups.append(
            Popup.of(
                f"Duct {row.id}",
                [
                    ("Laid", _year(row.year_laid)),
                    ("Status", state),
                    ("Origin", row.origin),
                    ("Owner", row.owner),
                    ("Diameter (mm)", row.diameter_mm),
                    ("Tubes", row.tubes),
                    ("Spare tubes", row.spare_tubes),
                    ("Length (m)", round(row.geometry.length)),
                ],
            )
        )
    legend = [LegendEntry(label, _line(colour, 4), "line") for label, colour in year_legend]
    if planned.any():
        legend.append(LegendEntry("planned", _line("#555555", 4, dashArray="8 6"), "line"))
    if has_connected:
        island = _line("#555555", 5, dashArray="1 7", lineCap="round")
        legend.append(LegendEntry("island (not connected to the backbone)", island, "line"))
    return _geojson_overlay("Ducts", "ducts", gdf, styles, legend, popups=popups)


def _backbone(gdf: gpd.GeoDataFrame) -> Overlay:
    pop = {"radius": 7, "color": "#222222", "weight": 2, "fillColor": "#3f007d", "fillOpacity": 1}
    fibre = _line("#3f007d", 5, opacity=0.8)
    is_point = gdf.geometry.geom_type.eq("Point").to_numpy()
    styles = [pop if p else fibre for p in is_point]
    popups = [
        Popup.of(
            f"{'Point of presence' if row.kind == 'pop' else 'Fibre'} {row.id}",
            [("Name", row.name), ("Kind", row.kind)],
        )
        for row in gdf.itertuples(index=False)
    ]
    legend = []
    if (~is_point).any():
        legend.append(LegendEntry("fibre backbone", fibre, "line"))
    if is_point.any():
        legend.append(LegendEntry("point of presence (POP)", pop, "point"))
    return _geojson_overlay("Backbone", "backbone", gdf, styles, legend, popups=popups)


def _site_icon(kind: str, connected: bool) -> dict[str, Any]:
    letter = _SITE_LETTERS.get(kind, "O")
    fill, text = ("#1b7837", "#ffffff") if connected else ("#ffffff", "#1b7837")
    return {
        "icon": (f'<div class="dp-site" style="background:{fill};color:{text}">{letter}</div>'),
        "size": 20,
    }


def _sites(gdf: gpd.GeoDataFrame) -> Overlay:
    connected = gdf["connected"].astype("boolean").fillna(False).to_numpy()
    kinds = gdf["kind"].astype("object").fillna("other").to_numpy()
    styles = [_site_icon(k, c) for k, c in zip(kinds, connected, strict=True)]
    popups = [
        Popup.of(
            str(row.name),
            [
                ("Site", row.id),
                ("Kind", row.kind),
                ("Priority (1 = first)", row.priority),
                ("Connected to fibre", bool(c)),
            ],
        )
        for row, c in zip(gdf.itertuples(index=False), connected, strict=True)
    ]
    legend = [
        LegendEntry(f"{kind} ({letter})", _site_icon(kind, False), "icon")
        for kind, letter in _SITE_LETTERS.items()
        if kind in set(kinds)
    ]
    legend.append(LegendEntry("filled: connected to fibre", _site_icon("other", True), "icon"))
    return _geojson_overlay("Municipal sites", "sites", gdf, styles, legend, popups=popups)


def _owner_colours(owners: pd.Series) -> dict[str, str]:
    """Return a colour per owner: most digs first; past ten, one colour for the rest."""
    counts = owners.value_counts()
    ranked = sorted(counts.index, key=lambda o: (-counts[o], str(o)))
    return {
        owner: _OWNER_COLOURS[i] if i < len(_OWNER_COLOURS) else _OTHER_OWNERS
        for i, owner in enumerate(ranked)
    }


def _dig_style(colour: str, status: str) -> dict[str, Any]:
    style = _line(colour, 5, opacity=0.85, fillColor=colour, fillOpacity=0.25)
    if status == "planned":
        style["dashArray"] = "10 7"
    elif status == "cancelled":
        style.update(dashArray="2 6", opacity=0.4, weight=3)
    return style


@dataclass
class _DigFigures:
    """What the opportunities and the plan say about one dig."""

    stretches: int = 0
    metres: float | None = None
    cost_dkk: float | None = None
    households: float | None = None
    households_potential: float | None = None
    plan_years: list[str] = field(default_factory=list)


def _dig_figures(
    digs: gpd.GeoDataFrame, opportunities: pd.DataFrame | None, plan: pd.DataFrame | None
) -> dict[str, _DigFigures]:
    """Collect the opportunities' and the plan's figures per dig id, for the popups."""
    figures = {str(i): _DigFigures() for i in digs["id"]}
    if opportunities is not None and (key := _column(opportunities, "dig_id", "dig")):
        columns = {
            "metres": _column(opportunities, "metres", "length_m", "meters"),
            "cost_dkk": _column(opportunities, "cost_dkk", "cost"),
            "households": _column(
                opportunities, "households_now", "households", "households_gained"
            ),
            "households_potential": _column(opportunities, "households_potential"),
        }
        for dig_id, rows in opportunities.groupby(opportunities[key].astype(str)):
            if dig_id not in figures:
                continue
            fig = figures[dig_id]
            fig.stretches = len(rows)
            for attr, column in columns.items():
                if column is not None:
                    setattr(fig, attr, float(pd.to_numeric(rows[column], errors="coerce").sum()))
    if plan is not None and (key := _column(plan, "dig_id", "dig")):
        year = _column(plan, "year")
        for dig_id, rows in plan.groupby(plan[key].astype(str)):
            if dig_id in figures:
                years = sorted({_year(y) or "" for y in rows[year]}) if year else ["yes"]
                figures[dig_id].plan_years = years
    return figures


def _dig_popup(row: Any, figures: _DigFigures, have_opportunities: bool) -> Popup:
    geom = row.geometry
    size = (
        ("Area (m²)", round(geom.area))
        if geom.geom_type == "Polygon"
        else ("Metres", round(geom.length))
    )
    rows: list[tuple[str, Any]] = [
        ("Owner", row.owner),
        ("Purpose", row.purpose),
        ("Dates", f"{_text(row.start)} – {_text(row.end)}"),
        ("Status", row.status),
        ("Confidence", row.confidence),
        ("Permit date", row.permit_date),
        ("Contact", row.contact),
        size,
    ]
    if figures.stretches:
        rows += [
            ("Co-digging stretches", figures.stretches),
            ("Duct metres", figures.metres),
            ("Cost (DKK)", figures.cost_dkk),
            ("Households gained (covered at once)", figures.households),
            ("Households gained once connected", figures.households_potential),
        ]
    elif have_opportunities:
        rows.append(("Co-digging", "no candidate stretch"))
    else:
        rows.append(("Cost, households gained", "not computed (run `ductplanner opportunities`)"))
    if figures.plan_years:
        rows.append(("Chosen in the plan", ", ".join(figures.plan_years)))
    return Popup.of(f"Dig {row.id}", rows)


def _digs(
    gdf: gpd.GeoDataFrame,
    opportunities: pd.DataFrame | None = None,
    plan: pd.DataFrame | None = None,
) -> Overlay:
    colours = _owner_colours(gdf["owner"].astype("object"))
    statuses = gdf["status"].astype("object").fillna("planned").to_numpy()
    owners = gdf["owner"].astype("object").to_numpy()
    styles = [_dig_style(colours[o], s) for o, s in zip(owners, statuses, strict=True)]
    figures = _dig_figures(gdf, opportunities, plan)
    popups = [
        _dig_popup(row, figures[str(row.id)], opportunities is not None)
        for row in gdf.itertuples(index=False)
    ]
    tooltips = [f"{_esc(row.owner)}: {_esc(row.id)}" for row in gdf.itertuples(index=False)]
    legend = [
        LegendEntry(str(owner), _dig_style(colour, "confirmed"), "line")
        for owner, colour in colours.items()
        if colour != _OTHER_OWNERS
    ]
    if _OTHER_OWNERS in colours.values():
        legend.append(LegendEntry("other owners", _dig_style(_OTHER_OWNERS, "confirmed"), "line"))
    if "planned" in set(statuses):
        legend.append(LegendEntry("dashed: only planned", _dig_style("#555555", "planned"), "line"))
    if "cancelled" in set(statuses):
        legend.append(LegendEntry("dotted: cancelled", _dig_style("#555555", "cancelled"), "line"))
    return _geojson_overlay(
        "Third-party digs", "digs", gdf, styles, legend, popups=popups, tooltips=tooltips
    )


def _get(row: Any, column: str) -> Any:
    """Return a row's value of ``column``, None when the layer lacks that column."""
    return getattr(row, column, None)


def _window(start: Any, end: Any) -> str | None:
    """Return ``start – end`` as dates, None when both are missing."""
    if _missing(start) and _missing(end):
        return None
    first, last = ("?" if _missing(v) else _text(v) for v in (start, end))
    return f"{first} – {last}"


def _probability(value: Any) -> str | None:
    return None if _missing(value) else f"{100 * float(value):.0f} %"


_TOUCHES = {
    "network": "the connected duct network",
    "island": "an island (ducts not yet connected to the backbone)",
    "none": "no duct",
}


def _opportunity_popup(row: Any) -> Popup:
    touches = _get(row, "touches")
    return Popup.of(
        f"Candidate {_get(row, 'id')}",
        [
            ("Dig", _get(row, "dig_id")),
            ("Owner", _get(row, "owner")),
            ("Purpose", _get(row, "purpose")),
            ("Year", _year(_get(row, "year"))),
            ("Dates", _window(_get(row, "start"), _get(row, "end"))),
            ("Dig status", _get(row, "dig_status")),
            ("Confidence", _get(row, "confidence")),
            ("Probability the trench opens", _probability(_get(row, "probability"))),
            ("Street edge", _get(row, "edge_id")),
            ("Metres", _get(row, "metres")),
            ("Cost (DKK)", _get(row, "cost_dkk")),
            ("Households gained if laid (covered at once)", _get(row, "households_now")),
            ("Households gained once connected", _get(row, "households_potential")),
            ("Touches", _TOUCHES.get(str(touches), touches)),
            ("Share of the street edge opened", _probability(_get(row, "edge_share"))),
            ("In the plan years", _get(row, "candidate")),
        ],
    )


def _conflict_popup(row: Any) -> Popup:
    return Popup.of(
        f"Street opened twice: {_get(row, 'edge_id')}",
        [
            ("First dig", f"{_text(_get(row, 'dig_a'))} ({_text(_get(row, 'owner_a'))})"),
            ("starts", _get(row, "start_a")),
            ("Second dig", f"{_text(_get(row, 'dig_b'))} ({_text(_get(row, 'owner_b'))})"),
            ("starts", _get(row, "start_b")),
            ("Years between", _get(row, "gap_years")),
            ("Metres in common", _get(row, "metres")),
            ("Conflict", _get(row, "id")),
        ],
    )


def _plan_popup(row: Any) -> Popup:
    return Popup.of(
        f"Chosen {_get(row, 'id')}: lay ducts in {_year(_get(row, 'year')) or 'the plan'}",
        [
            ("How", _get(row, "kind")),
            ("Dig", _get(row, "dig_id")),
            ("Owner", _get(row, "owner")),
            ("Street edge", _get(row, "edge_id")),
            ("Metres", _get(row, "metres")),
            ("Cost (DKK)", _get(row, "cost_dkk")),
            ("Households gained", _get(row, "households")),
            ("Why", _get(row, "why")),
            ("Candidate", _get(row, "opportunity_id")),
            ("Chosen by", _get(row, "method")),
            ("Scenario", _get(row, "scenario")),
        ],
    )


def _derived_overlay(
    gdf: gpd.GeoDataFrame,
    name: str,
    source: str,
    legend: Sequence[tuple[str, dict[str, Any]]],
    style_of: Callable[[Any], str],
    popup: Callable[[Any], Popup],
) -> Overlay:
    """Draw a derived layer: a style (by legend label) and a popup per row."""
    colours = dict(legend)
    rows = list(gdf.itertuples(index=False))
    is_point = gdf.geometry.geom_type.isin(["Point", "MultiPoint"]).to_numpy()
    styles = []
    for row, point in zip(rows, is_point, strict=True):
        style = colours[style_of(row)]
        if point:
            style = {
                "radius": 6,
                "color": style["color"],
                "fillColor": style["color"],
                "fillOpacity": 0.8,
            }
        styles.append(style)
    used = {style_of(row) for row in rows}
    entries = [LegendEntry(label, style, "line") for label, style in legend if label in used]
    return _geojson_overlay(name, source, gdf, styles, entries, popups=[popup(row) for row in rows])


def _opportunities(gdf: gpd.GeoDataFrame) -> Overlay:
    likely, unsure = "likely to open", "less likely (< 50 %) to open"
    outside = "outside the plan years"

    def style_of(row: Any) -> str:
        if _get(row, "candidate") is False or _get(row, "candidate") is np.False_:
            return outside
        p = _get(row, "probability")
        return unsure if not _missing(p) and p < 0.5 else likely

    legend = [
        (likely, _line("#ffd92f", 12, opacity=0.75)),
        (unsure, _line("#ffd92f", 12, opacity=0.45, dashArray="12 8")),
        (outside, _line("#c9b458", 6, opacity=0.4)),
    ]
    return _derived_overlay(
        gdf, "Co-digging opportunities", "opportunities", legend, style_of, _opportunity_popup
    )


def _conflicts(gdf: gpd.GeoDataFrame) -> Overlay:
    style = _line("#b2182b", 7, opacity=0.9, dashArray="2 9", lineCap="round")
    label = "opened by two parties a short time apart"
    return _derived_overlay(
        gdf,
        "Digs in the same street",
        "conflicts",
        [(label, style)],
        lambda _: label,
        _conflict_popup,
    )


def _plan(gdf: gpd.GeoDataFrame) -> Overlay:
    co_dig = _line("#e7298a", 9, opacity=0.95)
    own = _line("#7a0177", 9, opacity=0.95, dashArray="10 5")

    def style_of(row: Any) -> str:
        kind = str(_get(row, "kind") or "")
        return "own trench" if "own" in kind else "co-dig (in another party's trench)"

    legend = [("co-dig (in another party's trench)", co_dig), ("own trench", own)]
    return _derived_overlay(gdf, "Chosen plan", "plan", legend, style_of, _plan_popup)


def _point_style(colour: str) -> dict[str, Any]:
    return {"radius": 4, "color": "#ffffff", "weight": 1, "fillColor": colour, "fillOpacity": 0.9}


def _addresses(gdf: gpd.GeoDataFrame, source: str) -> Overlay:
    """Clustered address points coloured by coverage (``coverage`` layer when present)."""
    geoms = _lonlat(gdf)
    units = pd.to_numeric(gdf["units"], errors="coerce").fillna(0).astype(int).to_numpy()
    if source == "coverage":
        covered = gdf["duct_covered"].astype("boolean").fillna(False).to_numpy()
        beyond = gdf["beyond_drop"].astype("boolean").fillna(False).to_numpy()
        served = gdf["served"].astype("boolean").fillna(False).to_numpy()
        served = (served & ~covered).astype(int)  # served without our ducts: a fast line
        state = np.where(beyond, 2, np.where(covered, 0, 1))
        used = [0, 1, 2]
    else:
        state = np.full(len(gdf), 3)
        served = np.zeros(len(gdf), dtype=int)
        used = [3]
    ids = [_esc(i) for i in gdf["id"]]
    rows = [
        [round(g.y, COORD_DECIMALS), round(g.x, COORD_DECIMALS), int(u), int(s), i, int(v)]
        for g, u, s, i, v in zip(geoms, units, state, ids, served, strict=True)
        if g is not None and not g.is_empty
    ]
    styles = [_point_style(colour) for _, colour in _ADDRESS_STATES]
    legend = [LegendEntry(_ADDRESS_STATES[k][0], styles[k], "point") for k in used]
    legend.append(
        LegendEntry("cluster: households, pie of covered share", styles[used[0]], "cluster")
    )
    return Overlay("Addresses", source, "points", rows, styles, legend, bounds=_bounds(geoms))


def _district_style(colour: str) -> dict[str, Any]:
    return {
        "color": "#3d3d3d",
        "weight": 1.5,
        "opacity": 0.9,
        "fillColor": colour,
        "fillOpacity": 0.5,
    }


def _districts(gdf: gpd.GeoDataFrame, source: str) -> Overlay:
    """Draw districts as a choropleth of duct coverage, or as outlines without coverage."""
    if source != "district_coverage":
        style = {"color": "#3d3d3d", "weight": 1.5, "opacity": 0.9, "fill": False}
        tips = [f"<b>{_esc(n)}</b><br>coverage not computed" for n in gdf["name"]]
        popups = [
            Popup.of(f"District {n}", [("District", i)])
            for n, i in zip(gdf["name"], gdf["id"], strict=True)
        ]
        legend = [LegendEntry("district (coverage not computed)", style, "area")]
        return _geojson_overlay(
            "Districts", source, gdf, [style] * len(gdf), legend, popups=popups, tooltips=tips
        )
    no_households = _district_style("#dddddd")
    styles, tips, popups = [], [], []
    for row in gdf.itertuples(index=False):
        total, covered = int(row.households_total or 0), int(row.households_duct_covered or 0)
        level = share_class(covered, total)
        styles.append(no_households if level is None else _district_style(SHARE_COLOURS[level]))
        stated = share(covered, total, "households")
        tips.append(f"<b>{_esc(row.name)}</b><br>{_esc(stated)}")
        popups.append(
            Popup.of(
                f"District {row.name}",
                [
                    ("Duct-covered", stated),
                    ("Households", total),
                    ("Households duct-covered", covered),
                    ("Households served (duct-covered or a fast line)", row.households_served),
                    ("Addresses", row.addresses_total),
                    ("Addresses duct-covered", row.addresses_duct_covered),
                    ("Addresses beyond the drop distance", row.addresses_beyond_drop),
                ],
            )
        )
    edges = (0, *SHARE_BREAKS, 100)
    legend = [
        LegendEntry(f"{lo}–{hi} % of households covered", _district_style(colour), "area")
        for (lo, hi), colour in zip(itertools.pairwise(edges), SHARE_COLOURS, strict=True)
    ]
    legend.append(LegendEntry("no households", no_households, "area"))
    return _geojson_overlay("Districts", source, gdf, styles, legend, popups=popups, tooltips=tips)


def layer_overlays(
    layers: Mapping[str, gpd.GeoDataFrame], *, audience: str = "manager"
) -> list[Overlay]:
    """Return the overlays of a map drawing ``layers`` for one audience, bottom first.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Workspace layers by name, in the workspace CRS; absent ones are not drawn.
        ``coverage`` replaces ``addresses`` and ``district_coverage``
        replaces ``districts`` when present.
    audience : {"manager", "committee", "utility"}
        Which layers the map has, and which are shown when it opens.
    """
    shown = _AUDIENCE_LAYERS[_check_audience(audience)]
    present = {name: gdf for name, gdf in layers.items() if gdf is not None and not gdf.empty}
    builders: dict[str, Callable[[], Overlay]] = {
        "districts": lambda: (
            _districts(present["district_coverage"], "district_coverage")
            if "district_coverage" in present
            else _districts(present["districts"], "districts")
        ),
        "streets": lambda: _streets(present["streets"]),
        "digs": lambda: _digs(present["digs"], present.get("opportunities"), present.get("plan")),
        "opportunities": lambda: _opportunities(present["opportunities"]),
        "conflicts": lambda: _conflicts(present["conflicts"]),
        "plan": lambda: _plan(present["plan"]),
        "ducts": lambda: _ducts(present["ducts"]),
        "backbone": lambda: _backbone(present["backbone"]),
        "sites": lambda: _sites(present["sites"]),
        "addresses": lambda: (
            _addresses(present["coverage"], "coverage")
            if "coverage" in present
            else _addresses(present["addresses"], "addresses")
        ),
    }
    alternatives = {"districts": "district_coverage", "addresses": "coverage"}
    overlays = []
    for name in _LAYER_ORDER:
        if name not in shown:
            continue
        if name not in present and alternatives.get(name) not in present:
            continue
        overlay = builders[name]()
        overlay.show = shown[name]
        overlays.append(overlay)
    return overlays


def _check_audience(audience: str) -> str:
    if audience not in AUDIENCES:
        raise WorkspaceError(f"unknown map audience {audience!r}; use one of {AUDIENCES}")
    return audience


# --- the page: legend, About panel, basemaps, assembling -------------------------------

_CSS = """
.leaflet-container { background: #f2efe9; font: 13px/1.4 system-ui, sans-serif; }
.dp-panel { background: rgba(255,255,255,.95); padding: 6px 10px; border-radius: 5px;
  box-shadow: 0 1px 5px rgba(0,0,0,.4); max-height: 45vh; overflow: auto; max-width: 300px; }
.dp-panel summary { font-weight: 600; cursor: pointer; }
.dp-legend h4 { margin: 6px 0 2px; font-size: 13px; }
.dp-legend .dp-row { display: flex; align-items: center; gap: 6px; }
.dp-panel.dp-about { max-width: min(600px, 75vw); max-height: 75vh; }
.dp-about table { border-collapse: collapse; font-size: 12px; }
.dp-about td, .dp-about th { border-bottom: 1px solid #ddd; padding: 1px 4px; text-align: left;
  vertical-align: top; }
.dp-popup table { border-collapse: collapse; }
.dp-popup th { text-align: left; padding-right: 8px; font-weight: 500; color: #555; }
.dp-site { width: 16px; height: 16px; border: 2px solid #1b7837; border-radius: 4px;
  font: bold 11px/16px sans-serif; text-align: center; box-sizing: content-box; }
.dp-icon { background: none; border: none; }
.dp-swatch { width: 30px; height: 30px; flex: none; }
.dp-cluster div { width: 100%; height: 100%; border-radius: 50%; display: flex;
  align-items: center; justify-content: center; box-shadow: 0 0 0 2px #fff, 0 1px 4px #0008; }
.dp-cluster span { background: #fff; border-radius: 9px; padding: 0 4px;
  font: bold 11px/15px sans-serif; }
"""

_JS = """
window.ductplanner = {map: null, maps: [], layers: {}, mapLayers: []};
function dpMapIndex(map) {
  var d = window.ductplanner, i = d.maps.indexOf(map);
  if (i < 0) { i = d.maps.push(map) - 1; d.mapLayers.push({}); }
  return i;
}
function dpRegister(map, name, layer) {
  var i = dpMapIndex(map);
  window.ductplanner.mapLayers[i][name] = layer;
  if (i === 0) { window.ductplanner.layers[name] = layer; }
}
function dpReady(map) {
  dpMapIndex(map);
  if (!window.ductplanner.map) { window.ductplanner.map = map; }
}
function dpPopup(p, labels) {
  var rows = "";
  for (var k = 1; k < p.length; k += 2) {
    rows += "<tr><th>" + labels[p[k]] + "</th><td>" + p[k + 1] + "</td></tr>";
  }
  return '<div class="dp-popup"><b>' + p[0] + "</b><table>" + rows + "</table></div>";
}
function dpGeoJson(data, styles, labels) {
  return L.geoJSON(data, {
    style: function (f) { return styles[f.properties.s]; },
    pointToLayer: function (f, latlng) {
      var s = styles[f.properties.s];
      if (s.icon) {
        return L.marker(latlng, {icon: L.divIcon(
          {html: s.icon, className: "dp-icon", iconSize: [s.size, s.size]})});
      }
      return L.circleMarker(latlng, s);
    },
    onEachFeature: function (f, layer) {
      var p = f.properties.p;
      if (p) {
        layer.bindPopup(typeof p === "string" ? p : function () { return dpPopup(p, labels); },
                        {maxWidth: 360});
      }
      if (f.properties.t) { layer.bindTooltip(f.properties.t, {sticky: true}); }
    }
  });
}
function dpAddresses(rows, styles, labels) {
  var group = L.markerClusterGroup({
    chunkedLoading: true, showCoverageOnHover: false, spiderfyOnMaxZoom: false,
    disableClusteringAtZoom: 16, maxClusterRadius: 45,
    iconCreateFunction: function (cluster) {
      var sums = [0, 0, 0, 0], total = 0;
      cluster.getAllChildMarkers().forEach(function (m) {
        sums[m.options.state] += m.options.units; total += m.options.units;
      });
      var stops = [], at = 0;
      for (var k = 0; k < sums.length; k++) {
        if (!sums[k]) { continue; }
        var end = at + 100 * sums[k] / (total || 1);
        stops.push(styles[k].fillColor + " " + at.toFixed(1) + "% " + end.toFixed(1) + "%");
        at = end;
      }
      var bg = stops.length ? "conic-gradient(" + stops.join(",") + ")" : "#bbb";
      var size = total < 100 ? 34 : total < 1000 ? 42 : 50;
      return L.divIcon({html: '<div style="background:' + bg + '"><span>' + total +
        "</span></div>", className: "dp-cluster", iconSize: [size, size]});
    }
  });
  var markers = rows.map(function (r) {
    var m = L.circleMarker([r[0], r[1]], Object.assign({units: r[2], state: r[3]}, styles[r[3]]));
    m.bindPopup(function () {
      return '<div class="dp-popup"><b>Address ' + r[4] + "</b><br>" + r[2] +
        " household" + (r[2] === 1 ? "" : "s") + ", " + labels[r[3]] +
        (r[5] ? "<br>already served by a fast line" : "") + "</div>";
    });
    return m;
  });
  group.addLayers(markers);
  return group;
}
function dpPanel(map, position, className, content) {
  var Panel = L.Control.extend({onAdd: function () {
    var div = L.DomUtil.create("div", "dp-panel " + className);
    div.innerHTML = content;
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  }});
  return new Panel({position: position}).addTo(map);
}
"""


@cache
def _element_classes() -> tuple[type, type, type]:
    """Build the folium element classes (folium is imported only when drawing)."""
    import folium
    from branca.element import MacroElement
    from folium.map import Layer
    from jinja2 import Template

    class OverlayLayer(Layer):
        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = {{ this.factory }};
            dpRegister({{ this._parent.get_name() }}, {{ this.layer_name|tojson }},
                       {{ this.get_name() }});
            {% endmacro %}
            """
        )

        def __init__(self, overlay: Overlay) -> None:
            super().__init__(name=overlay.name, overlay=True, show=overlay.show)
            self._name = "DuctplannerOverlay"
            styles = safe_json(overlay.styles)
            if overlay.kind == "points":
                labels = safe_json([_esc(label) for label, _ in _ADDRESS_STATES])
                self.factory = f"dpAddresses({safe_json(overlay.data)}, {styles}, {labels})"
            else:
                data = {"type": "FeatureCollection", "features": overlay.data}
                labels = safe_json(overlay.labels)
                self.factory = f"dpGeoJson({safe_json(data)}, {styles}, {labels})"

    class Panels(MacroElement):
        _template = Template(
            """
            {% macro script(this, kwargs) %}
            {% for position, cls, content in this.panels %}
            dpPanel({{ this._parent.get_name() }}, {{ position|tojson }}, {{ cls|tojson }},
                    {{ content }});
            {% endfor %}
            dpReady({{ this._parent.get_name() }});
            {% endmacro %}
            """
        )

        def __init__(self, panels: list[tuple[str, str, str]]) -> None:
            super().__init__()
            self._name = "DuctplannerPanels"
            self.panels = [(p, c, safe_json(html_text)) for p, c, html_text in panels]

    class Map(folium.Map):
        default_js: list[tuple[str, str]] = []  # noqa: RUF012 (folium's own attribute)
        default_css: list[tuple[str, str]] = []  # noqa: RUF012

    return OverlayLayer, Panels, Map


def _swatch(entry: LegendEntry) -> str:
    s = entry.style
    if entry.shape == "icon":
        return s["icon"]
    colour = s.get("color", "#333")
    if entry.shape == "line":
        dash = f' stroke-dasharray="{s["dashArray"]}"' if "dashArray" in s else ""
        cap = ' stroke-linecap="round"' if s.get("lineCap") == "round" else ""
        width = min(float(s.get("weight", 3)), 8)
        return (
            f'<svg width="30" height="12"><line x1="1" y1="6" x2="29" y2="6" '
            f'stroke="{colour}" stroke-width="{width}" stroke-opacity="{s.get("opacity", 1)}"'
            f"{dash}{cap}/></svg>"
        )
    fill = s.get("fillColor", colour) if s.get("fill", True) else "none"
    if entry.shape == "area":
        return (
            f'<svg width="30" height="14"><rect x="1" y="1" width="28" height="12" '
            f'fill="{fill}" fill-opacity="{s.get("fillOpacity", 0.5)}" stroke="{colour}"/></svg>'
        )
    if entry.shape == "cluster":
        covered, uncovered = _ADDRESS_STATES[0][1], _ADDRESS_STATES[1][1]
        pie = f"conic-gradient({covered} 0 30%,{uncovered} 30% 100%)"
        return (
            f'<div class="dp-cluster dp-swatch"><div style="background:{pie}">'
            "<span>12</span></div></div>"
        )
    radius = min(float(s.get("radius", 5)), 7)
    return (
        f'<svg width="30" height="20"><circle cx="15" cy="10" r="{radius}" fill="{fill}" '
        f'stroke="{colour}" stroke-width="{s.get("weight", 1)}"/></svg>'
    )


def legend_html(overlays: Sequence[Overlay]) -> str:
    """Return the legend panel's HTML: per overlay (top first) its entries."""
    parts = ["<details open><summary>Legend</summary>"]
    for overlay in reversed(overlays):  # top layer first, as in the map
        parts.append(f'<div class="dp-legend-layer" data-layer="{_esc(overlay.name)}">')
        parts.append(f"<h4>{_esc(overlay.name)}</h4>")
        parts += [
            f'<div class="dp-row">{_swatch(e)}<span>{_esc(e.label)}</span></div>'
            for e in overlay.legend
        ]
        parts.append("</div>")
    parts.append("</details>")
    return "".join(parts)


@dataclass
class About:
    """What the About panel says: title, provenance rows, notes."""

    title: str
    rows: list[tuple[str, ...]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


_DRAWN_AS = {
    "streets": "Streets",
    "ducts": "Ducts",
    "backbone": "Backbone",
    "sites": "Municipal sites",
    "digs": "Third-party digs",
    "addresses": "Addresses",
    "districts": "Districts",
    "coverage": "Addresses (colours)",
    "district_coverage": "Districts (colours, figures)",
    "opportunities": "Co-digging opportunities",
    "conflicts": "Digs in the same street",
    "plan": "Chosen plan",
}

_DRAWN_VIA = {"coverage": "addresses", "district_coverage": "districts"}
"""A derived layer drawn in place of the input layer it colours."""

HOW_TO_DERIVE = {
    "coverage": "not computed yet: run `ductplanner coverage WORKSPACE`",
    "district_coverage": "not computed yet: run `ductplanner coverage WORKSPACE`",
    "opportunities": "not computed yet: run `ductplanner opportunities WORKSPACE`",
    "conflicts": "not computed yet: run `ductplanner opportunities WORKSPACE`",
    "plan": "not computed yet: run `ductplanner plan WORKSPACE --scenario FILE`",
}


def _synthetic_text(value: Any) -> str:
    if _missing(value):
        return "unknown"
    if isinstance(value, str):
        value = value.strip().lower() in {"1", "true", "yes"}
    return "synthetic (demo)" if bool(value) else "real"


def workspace_about(
    title: str, sources: pd.DataFrame, present: Sequence[str], overlays: Sequence[Overlay]
) -> About:
    """Return the About panel's content for a workspace map.

    One row per layer of the data model: the map layer drawing it, its source
    file, last update, real or synthetic, feature count and note (the
    coverage layers note their drop distance); absent derived layers say how
    to compute them.
    """
    by_layer = {str(r["layer"]): r for _, r in sources.iterrows()} if len(sources) else {}
    drawn = {o.source for o in overlays}
    drawn |= {_DRAWN_VIA[name] for name in drawn if name in _DRAWN_VIA}
    rows = []
    notes_seen: set[str] = set()
    for layer in _DRAWN_AS:
        if layer not in present:
            if layer in HOW_TO_DERIVE:
                rows.append((layer, "—", HOW_TO_DERIVE[layer], "", "", "", ""))
            continue
        shown_as = _DRAWN_AS[layer] if layer in drawn else "not on this map"
        rows.append(provenance_row(layer, shown_as, by_layer.get(layer), notes_seen))
    return About(title, rows)


def provenance_row(
    layer: str, shown_as: str, info: Mapping[str, Any] | None, notes_seen: set[str]
) -> tuple[str, ...]:
    """Return one About row: layer, map layer, source, updated, real or synthetic, count, note.

    ``info`` is the layer's row of the provenance table (None: unknown);
    a note already in ``notes_seen`` is written "as above" (and is added).
    """
    if info is None:
        return (layer, shown_as, "unknown", "", "unknown", "", "")
    note = "" if _missing(info.get("note")) else str(info["note"])
    row = (
        layer,
        shown_as,
        "" if _missing(info.get("source")) else str(info["source"]),
        "" if _missing(info.get("updated")) else str(info["updated"])[:10],
        _synthetic_text(info.get("synthetic")),
        "" if _missing(info.get("features")) else _text(int(info["features"])),
        "as above" if note and note in notes_seen else note,
    )
    notes_seen.add(note)
    return row


def about_html(about: About) -> str:
    """Return the About panel's HTML: title, coverage definition, provenance rows, notes."""
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "layer",
            "on the map",
            "source",
            "updated",
            "real or synthetic",
            "features",
            "note",
        )
    )
    body = "".join(
        "<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in about.rows
    )
    notes = "".join(f"<p>{_esc(n)}</p>" for n in about.notes)
    return (
        f"<details><summary>About this map</summary><p><b>{_esc(about.title)}</b></p>"
        f'<p class="dp-coverage-definition">{_esc(COVERAGE_DEFINITION)}</p>'
        f"<table><tr>{head}</tr>{body}</table>{notes}</details>"
    )


def _add_basemaps(m: folium.Map, basemap: str, token: str | None) -> None:
    import folium

    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", show=basemap == "osm").add_to(m)
    if token:
        from urllib.parse import quote

        folium.WmsTileLayer(
            f"{SKAERMKORT_URL}?token={quote(token, safe='')}",
            layers=SKAERMKORT_LAYER,
            fmt="image/png",
            version="1.1.1",
            attr="Skærmkort © Styrelsen for Dataforsyning og Infrastruktur",
            name="Skærmkort (Dataforsyningen)",
            overlay=False,
            show=basemap == "skaermkort",
        ).add_to(m)
    folium.FeatureGroup(name="No basemap", overlay=False, show=basemap == "none").add_to(m)


def _check_basemap(basemap: str, token: str | None) -> None:
    if basemap not in ("osm", "none", "skaermkort"):
        raise WorkspaceError(f"unknown basemap {basemap!r}; use osm, none or skaermkort")
    if basemap == "skaermkort" and not token:
        raise WorkspaceError(
            f"the skærmkort basemap needs a Dataforsyningen token: set {TOKEN_ENV} "
            "(a free token from dataforsyningen.dk) or choose another basemap"
        )


def add_page_head(
    root: Any, *, self_contained: bool = False, assets_dir: Path = ASSETS_DIR
) -> None:
    """Add the asset tags and the maps' own CSS and JavaScript to a page's head, once.

    Parameters
    ----------
    root : branca.element.Figure
        The page (``m.get_root()``); a page of several maps gets them once.
    self_contained : bool
        Embed Leaflet and its plugin instead of linking the CDN.
    assets_dir : Path
        Folder of the pinned asset packages.
    """
    import folium

    tags = asset_tags(self_contained=self_contained, assets_dir=assets_dir)
    root.header.add_child(folium.Element(tags), name="dp_assets")
    root.header.add_child(
        folium.Element(f"<style>{_CSS}</style>\n<script>{_JS}</script>"), name="dp_page"
    )


def framed_map(
    bounds: Sequence[tuple[float, float, float, float]],
    *,
    basemap: str = "osm",
    token: str | None = None,
    legend_room: bool = True,
    **size: str,
) -> folium.Map:
    """Return an empty map framing ``bounds``, with the basemaps.

    Parameters
    ----------
    bounds : sequence of (south, west, north, east)
        Everything the map should show when it opens (degrees).
    basemap : {"osm", "none", "skaermkort"}
        The basemap shown when the map opens (the others stay selectable).
    token : str, optional
        Dataforsyningen token; adds the skærmkort basemap.
    legend_room : bool
        Keep the data clear of a legend in the bottom right corner.
    **size
        ``width``, ``left``, ``position`` ... of the map's element (folium.Map).
    """
    _check_basemap(basemap, token)
    map_class = _element_classes()[2]
    # With bounds, the view starts at zoom 1 and jumps to them unanimated, so no tile
    # is requested for a provisional view (an animated zoom would load, then drop, some).
    m = map_class(
        location=None if bounds else _DEFAULT_CENTRE,
        zoom_start=1 if bounds else 13,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        **size,
    )
    if bounds:
        south, west, north, east = np.array(bounds).T
        m.fit_bounds(
            [[float(south.min()), float(west.min())], [float(north.max()), float(east.max())]],
            padding_bottom_right=(_LEGEND_WIDTH_PX if legend_room else 0, 0),
        )
    _add_basemaps(m, basemap, token)
    return m


def add_overlays(
    m: folium.Map,
    overlays: Sequence[Overlay],
    panels: Sequence[tuple[str, str, str]],
    extras: Sequence[Any] = (),
    *,
    collapsed: bool = False,
) -> None:
    """Add overlays, other elements, the layer control and panels to a map.

    Parameters
    ----------
    m : folium.Map
    overlays : sequence of Overlay
        Bottom first; each in the layer control.
    panels : sequence of (position, CSS class, HTML)
        Leaflet controls holding HTML (legend, About, titles); the HTML must
        be escaped already.
    extras : sequence of folium elements
        Added after the overlays (e.g. a year switch).
    collapsed : bool
        Fold the layer control into a button (for small maps).
    """
    import folium

    overlay_layer, panel_class, _ = _element_classes()
    for overlay in overlays:
        overlay_layer(overlay).add_to(m)
    for element in extras:
        element.add_to(m)
    folium.LayerControl(collapsed=collapsed, position="topright").add_to(m)
    panel_class(list(panels)).add_to(m)


def offline_note(self_contained: bool) -> str:
    """Return the About panel's sentence on what the page loads from the internet."""
    if self_contained:
        return "Basemap tiles are loaded from the internet; everything else is inside this file."
    return (
        "This map loads Leaflet from cdn.jsdelivr.net; render it with "
        "--self-contained for a file that opens offline."
    )


def assemble_map(
    overlays: Sequence[Overlay],
    about: About,
    *,
    basemap: str = "osm",
    token: str | None = None,
    self_contained: bool = False,
    assets_dir: Path = ASSETS_DIR,
) -> folium.Map:
    """Return a folium map of ``overlays`` with basemaps, layer control, legend and About.

    Parameters
    ----------
    overlays : sequence of Overlay
        Bottom first.
    about : About
        Content of the About panel.
    basemap : {"osm", "none", "skaermkort"}
        The basemap shown when the map opens (the others stay selectable).
    token : str, optional
        Dataforsyningen token; adds the skærmkort basemap.
    self_contained : bool
        Embed Leaflet and its plugin instead of linking the CDN.
    assets_dir : Path
        Folder of the pinned asset packages.

    Raises
    ------
    MissingInputError
        When ``self_contained`` and the asset packages are not installed.
    """
    bounds = [o.bounds for o in overlays if o.bounds is not None]
    m = framed_map(bounds, basemap=basemap, token=token)
    add_page_head(m.get_root(), self_contained=self_contained, assets_dir=assets_dir)
    page_about = About(about.title, about.rows, [*about.notes, offline_note(self_contained)])
    add_overlays(
        m,
        overlays,
        [
            ("bottomright", "dp-legend", legend_html(overlays)),
            ("topleft", "dp-about", about_html(page_about)),
        ],
    )
    return m


# --- views -----------------------------------------------------------------------------


def _read_workspace(workspace: Path) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame, list[str]]:
    from ..io.workspace import list_layers, read_layer, read_sources

    present = list_layers(workspace)
    wanted = [n for n in _DRAWN_AS if n in present]
    layers = {name: read_layer(workspace, name) for name in wanted}
    for name in _EXTRA_LAYERS:
        if name in layers and layers[name].crs is None:
            raise WorkspaceError(f"layer {name!r} of {workspace} has no CRS")
    return layers, read_sources(workspace), present


def _for_owner(layers: dict[str, gpd.GeoDataFrame], owner: str, workspace: Path) -> None:
    """Keep ``owner``'s digs, their opportunities and plan rows, and its conflicts."""
    digs = layers.get("digs")
    owners = sorted(set(digs["owner"].dropna().astype(str))) if digs is not None else []
    if owner not in owners:
        raise WorkspaceError(
            f"no dig in {workspace} belongs to {owner!r}; owners with digs: "
            f"{', '.join(owners) or 'none'}"
        )
    layers["digs"] = digs[digs["owner"].astype(str) == owner]
    ids = set(layers["digs"]["id"].astype(str))
    for name in _EXTRA_LAYERS:
        gdf = layers.get(name)
        if gdf is None:
            continue
        if name == "conflicts":
            parties = [c for c in ("owner_a", "owner_b") if c in gdf.columns]
            involved = gdf[parties].astype(str).eq(owner).any(axis=1) if parties else False
            layers[name] = gdf[involved]
        elif key := _column(gdf, "dig_id", "dig"):
            layers[name] = gdf[gdf[key].astype(str).isin(ids)]


_AUDIENCE_TITLES = {
    "manager": "ducts, digs and coverage",
    "committee": "broadband duct coverage",
    "utility": "digs",
}


def workspace_map(
    workspace: str | os.PathLike[str],
    *,
    audience: str = "manager",
    owner: str | None = None,
    basemap: str = "osm",
    token: str | None = None,
    self_contained: bool = False,
    assets_dir: Path = ASSETS_DIR,
) -> folium.Map:
    """Return a Leaflet map of a workspace for one audience.

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage.
    audience : {"manager", "committee", "utility"}
        ``manager``: every layer, all shown. ``committee``: coverage first
        (district choropleth and addresses shown; digs, opportunities and
        sites in the layer control, hidden). ``utility``: the digs of
        ``owner``, the candidate stretches and chosen plan on them, our ducts.
    owner : str, optional
        The utility (a dig owner); required for ``audience="utility"``.
    basemap : {"osm", "none", "skaermkort"}
        Basemap shown when the map opens.
    token : str, optional
        Dataforsyningen token for the skærmkort basemap; by default read from
        the environment variable :data:`TOKEN_ENV`. It ends up in the map's
        tile URL (and nowhere else).
    self_contained : bool
        Embed every JavaScript/CSS file so the map opens offline.
    assets_dir : Path
        Folder of the pinned asset packages.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map`.

    Raises
    ------
    WorkspaceError
        Unknown audience, unknown owner, or a utility map without an owner.
    MissingInputError
        When ``self_contained`` and the assets are not installed.
    """
    workspace = Path(workspace)
    _check_audience(audience)
    if token is None:
        token = os.environ.get(TOKEN_ENV) or None
    layers, sources, present = _read_workspace(workspace)
    title = f"{workspace.stem}: {_AUDIENCE_TITLES[audience]}"
    if audience == "utility":
        if not owner:
            raise WorkspaceError("a utility map needs the utility's name (a dig owner)")
        _for_owner(layers, owner, workspace)
        title = f"{workspace.stem}: digs of {owner} and the ducts we ask to lay in them"
    overlays = layer_overlays(layers, audience=audience)
    about = workspace_about(title, sources, present, overlays)
    about.notes.append(f"Rendered {dt.date.today().isoformat()} from {workspace.name}.")
    if audience == "utility":
        about.notes.append(f"Only the digs of {owner} are drawn.")
    return assemble_map(
        overlays,
        about,
        basemap=basemap,
        token=token,
        self_contained=self_contained,
        assets_dir=assets_dir,
    )


def save_map(m: folium.Map | Figure, path: str | os.PathLike[str]) -> Path:
    """Write a map (or a page of maps) as one HTML file, atomically; return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(m.get_root().render(), encoding="utf-8")
    os.replace(tmp, path)
    return path
