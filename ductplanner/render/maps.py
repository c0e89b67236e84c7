"""Leaflet (folium) maps of a workspace, for the project manager, utilities and committee.

Rendering only: the layers come in as GeoDataFrames (the ``map`` workflow,
:mod:`ductplanner.app.workflows.maps`, reads them from the workspace) and a
folium map comes out. Derived layers (``coverage``, ``district_coverage``,
``opportunities``, ``plan``) are drawn when given; when one is absent the map
simply has no such layer and its About panel says how to compute it.

:func:`layers_map` draws the layers for one of three audiences (``manager``:
everything; ``committee``: coverage first; ``utility``: one owner's digs and
what we ask of them). Each is a list of
:class:`~ductplanner.render.leaflet.Overlay`, one function per workspace
layer (:func:`layer_overlays`), turned into a page with a legend and an About
panel by :func:`~ductplanner.render.page.assemble_map`. The forecast's time
view and the side-by-side comparison are built from the same parts in
:mod:`ductplanner.render.forecast_maps`.

Everything that came from an input file is HTML-escaped before it reaches the
page, and every piece of data is embedded as JSON that cannot close a
``<script>`` element.

>>> from ductplanner.app.demo import tiny_layers
>>> overlays = layer_overlays(tiny_layers())
>>> [o.name for o in overlays][:3]
['Districts', 'Streets', 'Third-party digs']
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..analysis.per_dig import DigFigures, dig_figures
from ..core._errors import WorkspaceError
from ..core._format import is_nan, share, street_label
from ..io.assets import ASSETS_DIR
from .leaflet import (
    ADDRESS_STATES,
    COORD_DECIMALS,
    LegendEntry,
    Overlay,
    Popup,
    bounds_of,
    display_text,
    district_style,
    esc,
    geojson_overlay,
    line_style,
    lonlat,
    merged_overlay,
    year_text,
)
from .page import About, assemble_map, provenance_row
from .style import NO_SHARE_COLOUR, SHARE_BREAKS, SHARE_COLOURS, share_class

if TYPE_CHECKING:
    import folium

__all__ = [
    "AUDIENCES",
    "DRAWN_AS",
    "HOW_TO_DERIVE",
    "layer_overlays",
    "layers_map",
    "workspace_about",
]

AUDIENCES = ("manager", "committee", "utility")
"""The views of :func:`workspace_map`."""

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


# --- one function per workspace layer --------------------------------------------------


def _streets(gdf: gpd.GeoDataFrame) -> Overlay:
    is_path = gdf["road_class"].astype("object").eq("path")
    keys = pd.Series(np.where(is_path, "Paths", "Streets"), index=gdf.index)
    styles = {
        "Streets": line_style("#6b6b6b", 1.2, opacity=0.55),
        "Paths": line_style("#6b6b6b", 1.0, opacity=0.45, dashArray="3 4"),
    }
    return merged_overlay("Streets", "streets", gdf, keys, styles)


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
        style = line_style(colour_of[year_label.iat[i]], 4)
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
                    ("Laid", year_text(row.year_laid)),
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
    legend = [LegendEntry(label, line_style(colour, 4), "line") for label, colour in year_legend]
    if planned.any():
        legend.append(LegendEntry("planned", line_style("#555555", 4, dashArray="8 6"), "line"))
    if has_connected:
        island = line_style("#555555", 5, dashArray="1 7", lineCap="round")
        legend.append(LegendEntry("island (not connected to the backbone)", island, "line"))
    return geojson_overlay("Ducts", "ducts", gdf, styles, legend, popups=popups)


def _backbone(gdf: gpd.GeoDataFrame) -> Overlay:
    pop = {"radius": 7, "color": "#222222", "weight": 2, "fillColor": "#3f007d", "fillOpacity": 1}
    fibre = line_style("#3f007d", 5, opacity=0.8)
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
    return geojson_overlay("Backbone", "backbone", gdf, styles, legend, popups=popups)


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
    return geojson_overlay("Municipal sites", "sites", gdf, styles, legend, popups=popups)


def _owner_colours(owners: pd.Series) -> dict[str, str]:
    """Return a colour per owner: most digs first; past ten, one colour for the rest."""
    counts = owners.value_counts()
    ranked = sorted(counts.index, key=lambda o: (-counts[o], str(o)))
    return {
        owner: _OWNER_COLOURS[i] if i < len(_OWNER_COLOURS) else _OTHER_OWNERS
        for i, owner in enumerate(ranked)
    }


def _dig_style(colour: str, status: str) -> dict[str, Any]:
    style = line_style(colour, 5, opacity=0.85, fillColor=colour, fillOpacity=0.25)
    if status == "planned":
        style["dashArray"] = "10 7"
    elif status == "cancelled":
        style.update(dashArray="2 6", opacity=0.4, weight=3)
    return style


def _dig_popup(row: Any, figures: DigFigures, have_opportunities: bool) -> Popup:
    geom = row.geometry
    size = (
        ("Area (m²)", round(geom.area))
        if geom.geom_type == "Polygon"
        else ("Metres", round(geom.length))
    )
    rows: list[tuple[str, Any]] = [
        ("Owner", row.owner),
        ("Purpose", row.purpose),
        ("Dates", f"{display_text(row.start)} – {display_text(row.end)}"),
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
    figures = dig_figures(gdf, opportunities, plan)
    popups = [
        _dig_popup(row, figures[str(row.id)], opportunities is not None)
        for row in gdf.itertuples(index=False)
    ]
    tooltips = [f"{esc(row.owner)}: {esc(row.id)}" for row in gdf.itertuples(index=False)]
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
    return geojson_overlay(
        "Third-party digs", "digs", gdf, styles, legend, popups=popups, tooltips=tooltips
    )


def _get(row: Any, column: str) -> Any:
    """Return a row's value of ``column``, None when the layer lacks that column."""
    return getattr(row, column, None)


def _window(start: Any, end: Any) -> str | None:
    """Return ``start – end`` as dates, None when both are missing."""
    if is_nan(start) and is_nan(end):
        return None
    first, last = ("?" if is_nan(v) else display_text(v) for v in (start, end))
    return f"{first} – {last}"


def _probability(value: Any) -> str | None:
    return None if is_nan(value) else f"{100 * float(value):.0f} %"


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
            ("Year", year_text(_get(row, "year"))),
            ("Dates", _window(_get(row, "start"), _get(row, "end"))),
            ("Dig status", _get(row, "dig_status")),
            ("Confidence", _get(row, "confidence")),
            ("Probability the trench opens", _probability(_get(row, "probability"))),
            ("Street", _street(row)),
            ("Metres", _get(row, "metres")),
            ("Cost (DKK)", _get(row, "cost_dkk")),
            ("Households gained if laid (covered at once)", _get(row, "households_now")),
            ("Households gained once connected", _get(row, "households_potential")),
            ("Touches", _TOUCHES.get(str(touches), touches)),
            ("Share of the street edge opened", _probability(_get(row, "edge_share"))),
            ("In the plan years", _get(row, "candidate")),
        ],
    )


def _street(row: Any) -> str:
    return street_label(_get(row, "street"), _get(row, "edge_id"))


def _dig_and_owner(row: Any, side: str) -> str:
    return f"{display_text(_get(row, f'dig_{side}'))} ({display_text(_get(row, f'owner_{side}'))})"


def _conflict_popup(row: Any) -> Popup:
    return Popup.of(
        f"Street opened twice: {_street(row)}",
        [
            ("First dig", _dig_and_owner(row, "a")),
            ("starts", _get(row, "start_a")),
            ("Second dig", _dig_and_owner(row, "b")),
            ("starts", _get(row, "start_b")),
            ("Years between", _get(row, "gap_years")),
            ("Metres in common", _get(row, "metres")),
            ("Conflict", _get(row, "id")),
        ],
    )


def _plan_popup(row: Any) -> Popup:
    return Popup.of(
        f"Chosen {_get(row, 'id')}: lay ducts in {year_text(_get(row, 'year')) or 'the plan'}",
        [
            ("How", _get(row, "kind")),
            ("Dig", _get(row, "dig_id")),
            ("Owner", _get(row, "owner")),
            ("Street", _street(row)),
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
    return geojson_overlay(name, source, gdf, styles, entries, popups=[popup(row) for row in rows])


def _opportunities(gdf: gpd.GeoDataFrame) -> Overlay:
    likely, unsure = "likely to open", "less likely (< 50 %) to open"
    outside = "outside the plan years"

    def style_of(row: Any) -> str:
        if _get(row, "candidate") is False or _get(row, "candidate") is np.False_:
            return outside
        p = _get(row, "probability")
        return unsure if not is_nan(p) and p < 0.5 else likely

    legend = [
        (likely, line_style("#ffd92f", 12, opacity=0.75)),
        (unsure, line_style("#ffd92f", 12, opacity=0.45, dashArray="12 8")),
        (outside, line_style("#c9b458", 6, opacity=0.4)),
    ]
    return _derived_overlay(
        gdf, "Co-digging opportunities", "opportunities", legend, style_of, _opportunity_popup
    )


def _conflicts(gdf: gpd.GeoDataFrame) -> Overlay:
    style = line_style("#b2182b", 7, opacity=0.9, dashArray="2 9", lineCap="round")
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
    co_dig = line_style("#e7298a", 9, opacity=0.95)
    own = line_style("#7a0177", 9, opacity=0.95, dashArray="10 5")

    def style_of(row: Any) -> str:
        kind = str(_get(row, "kind") or "")
        return "own trench" if "own" in kind else "co-dig (in another party's trench)"

    legend = [("co-dig (in another party's trench)", co_dig), ("own trench", own)]
    return _derived_overlay(gdf, "Chosen plan", "plan", legend, style_of, _plan_popup)


def _point_style(colour: str) -> dict[str, Any]:
    return {"radius": 4, "color": "#ffffff", "weight": 1, "fillColor": colour, "fillOpacity": 0.9}


def _addresses(gdf: gpd.GeoDataFrame, source: str) -> Overlay:
    """Clustered address points coloured by coverage (``coverage`` layer when present)."""
    geoms = lonlat(gdf)
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
    ids = [esc(i) for i in gdf["id"]]
    rows = [
        [round(g.y, COORD_DECIMALS), round(g.x, COORD_DECIMALS), int(u), int(s), i, int(v)]
        for g, u, s, i, v in zip(geoms, units, state, ids, served, strict=True)
        if g is not None and not g.is_empty
    ]
    styles = [_point_style(colour) for _, colour in ADDRESS_STATES]
    legend = [LegendEntry(ADDRESS_STATES[k][0], styles[k], "point") for k in used]
    legend.append(
        LegendEntry("cluster: households, pie of covered share", styles[used[0]], "cluster")
    )
    return Overlay("Addresses", source, "points", rows, styles, legend, bounds=bounds_of(geoms))


def _districts(gdf: gpd.GeoDataFrame, source: str) -> Overlay:
    """Draw districts as a choropleth of duct coverage, or as outlines without coverage."""
    if source != "district_coverage":
        style = {"color": "#3d3d3d", "weight": 1.5, "opacity": 0.9, "fill": False}
        tips = [f"<b>{esc(n)}</b><br>coverage not computed" for n in gdf["name"]]
        popups = [
            Popup.of(f"District {n}", [("District", i)])
            for n, i in zip(gdf["name"], gdf["id"], strict=True)
        ]
        legend = [LegendEntry("district (coverage not computed)", style, "area")]
        return geojson_overlay(
            "Districts", source, gdf, [style] * len(gdf), legend, popups=popups, tooltips=tips
        )
    no_households = district_style(NO_SHARE_COLOUR)
    styles, tips, popups = [], [], []
    for row in gdf.itertuples(index=False):
        total, covered = int(row.households_total or 0), int(row.households_duct_covered or 0)
        level = share_class(covered, total)
        styles.append(no_households if level is None else district_style(SHARE_COLOURS[level]))
        stated = share(covered, total, "households")
        tips.append(f"<b>{esc(row.name)}</b><br>{esc(stated)}")
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
        LegendEntry(f"{lo}–{hi} % of households covered", district_style(colour), "area")
        for (lo, hi), colour in zip(itertools.pairwise(edges), SHARE_COLOURS, strict=True)
    ]
    legend.append(LegendEntry("no households", no_households, "area"))
    return geojson_overlay("Districts", source, gdf, styles, legend, popups=popups, tooltips=tips)


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


DRAWN_AS = {
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
"""Workspace layer → the map layer drawing it, for every layer a workspace map reads."""

_DRAWN_VIA = {"coverage": "addresses", "district_coverage": "districts"}
"""A derived layer drawn in place of the input layer it colours."""

HOW_TO_DERIVE = {
    "coverage": "not computed yet: run `ductplanner coverage WORKSPACE`",
    "district_coverage": "not computed yet: run `ductplanner coverage WORKSPACE`",
    "opportunities": "not computed yet: run `ductplanner opportunities WORKSPACE`",
    "conflicts": "not computed yet: run `ductplanner opportunities WORKSPACE`",
    "plan": "not computed yet: run `ductplanner plan WORKSPACE --scenario FILE`",
}


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
    rows: list[tuple[str, ...]] = []
    notes_seen: set[str] = set()
    for layer in DRAWN_AS:
        if layer not in present:
            if layer in HOW_TO_DERIVE:
                rows.append((layer, "—", HOW_TO_DERIVE[layer], "", "", "", ""))
            continue
        shown_as = DRAWN_AS[layer] if layer in drawn else "not on this map"
        rows.append(provenance_row(layer, shown_as, by_layer.get(layer), notes_seen))
    return About(title, rows)


# --- views -----------------------------------------------------------------------------


_AUDIENCE_TITLES = {
    "manager": "ducts, digs and coverage",
    "committee": "broadband duct coverage",
    "utility": "digs",
}


def layers_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    name: str,
    sources: pd.DataFrame | None = None,
    present: Sequence[str] | None = None,
    audience: str = "manager",
    owner: str | None = None,
    basemap: str = "osm",
    token: str | None = None,
    self_contained: bool = False,
    assets_dir: Path = ASSETS_DIR,
    notes: Sequence[str] = (),
) -> folium.Map:
    """Return a Leaflet map of a workspace's layers for one audience.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Workspace layers by name, in the workspace CRS (for ``utility``,
        already narrowed to the owner's digs:
        :func:`~ductplanner.analysis.per_dig.for_owner`).
    name : str
        The workspace's name, in the title.
    sources : DataFrame, optional
        The workspace's provenance table, for the About panel.
    present : sequence of str, optional
        Every layer the workspace holds (default: those in ``layers``), so the
        About panel can say which are not computed yet.
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
        Dataforsyningen token for the skærmkort basemap. It ends up in the
        map's tile URL (and nowhere else).
    self_contained : bool
        Embed every JavaScript/CSS file so the map opens offline.
    assets_dir : Path
        Folder of the pinned asset packages.
    notes : sequence of str
        Lines added to the About panel (where and when it was read).

    Returns
    -------
    folium.Map

    Raises
    ------
    WorkspaceError
        Unknown audience, or a utility map without an owner.
    MissingInputError
        When ``self_contained`` and the assets are not installed.
    """
    _check_audience(audience)
    title = f"{name}: {_AUDIENCE_TITLES[audience]}"
    if audience == "utility":
        if not owner:
            raise WorkspaceError("a utility map needs the utility's name (a dig owner)")
        title = f"{name}: digs of {owner} and the ducts we ask to lay in them"
    overlays = layer_overlays(layers, audience=audience)
    held = list(layers) if present is None else list(present)
    about = workspace_about(title, pd.DataFrame() if sources is None else sources, held, overlays)
    about.notes.extend(notes)
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
