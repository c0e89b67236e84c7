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
from ..model.schemas import (
    BACKBONE_KINDS,
    DIG_CONFIDENCES,
    DIG_PURPOSES,
    DIG_STATUSES,
    DUCT_ORIGINS,
    DUCT_STATUSES,
    SITE_KINDS,
)
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
from .map_words import map_lang, tr
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
_CODES = frozenset(
    (
        *DUCT_STATUSES,
        *DUCT_ORIGINS,
        *BACKBONE_KINDS,
        *SITE_KINDS,
        *DIG_PURPOSES,
        *DIG_STATUSES,
        *DIG_CONFIDENCES,
        "own-dig",
    )
)
"""The schema's own words (statuses, kinds, purposes), shown in the map's language."""


def _code(value: Any) -> Any:
    """Return one of the schema's own words in the map's language; any other value as it is."""
    return tr(value) if isinstance(value, str) and value in _CODES else value


# --- one function per workspace layer --------------------------------------------------


def _streets(gdf: gpd.GeoDataFrame) -> Overlay:
    is_path = gdf["road_class"].astype("object").eq("path")
    streets, paths = tr("Streets"), tr("Paths")
    keys = pd.Series(np.where(is_path, paths, streets), index=gdf.index)
    styles = {
        streets: line_style("#6b6b6b", 1.2, opacity=0.55),
        paths: line_style("#6b6b6b", 1.0, opacity=0.45, dashArray="3 4"),
    }
    return merged_overlay(tr("Streets"), "streets", gdf, keys, styles)


def _year_classes(years: pd.Series) -> tuple[pd.Series, list[tuple[str, str]]]:
    """Return a class label per duct and (label, colour) per class, oldest first."""
    known = years.dropna().astype(int)
    unknown = tr("year unknown")
    labels = pd.Series(unknown, index=years.index, dtype="object")
    if known.empty:
        return labels, [(unknown, "#555555")]
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
        label = (
            tr("laid {year}", year=lo) if lo == hi else tr("laid {first}–{last}", first=lo, last=hi)
        )
        inside = years.notna() & years.fillna(0).astype(int).between(lo, hi)
        labels[inside.to_numpy()] = label
        legend.append((label, colour))
    if years.isna().any():
        legend.append((unknown, "#555555"))
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
        state = tr("planned") if planned[i] else tr("existing")
        if has_connected:
            state = (
                tr("{state}, connected", state=state)
                if connected[i]
                else tr("{state}, island (not connected to the backbone)", state=state)
            )
        popups.append(
            Popup.of(
                tr("Duct {id}", id=row.id),
                [
                    (tr("Laid"), year_text(row.year_laid)),
                    (tr("Status"), state),
                    (tr("Origin"), _code(row.origin)),
                    (tr("Owner"), row.owner),
                    (tr("Diameter (mm)"), row.diameter_mm),
                    (tr("Tubes"), row.tubes),
                    (tr("Spare tubes"), row.spare_tubes),
                    (tr("Length (m)"), round(row.geometry.length)),
                ],
            )
        )
    legend = [LegendEntry(label, line_style(colour, 4), "line") for label, colour in year_legend]
    if planned.any():
        dashed = line_style("#555555", 4, dashArray="8 6")
        legend.append(LegendEntry(tr("planned"), dashed, "line"))
    if has_connected:
        island = line_style("#555555", 5, dashArray="1 7", lineCap="round")
        legend.append(LegendEntry(tr("island (not connected to the backbone)"), island, "line"))
    return geojson_overlay(tr("Ducts"), "ducts", gdf, styles, legend, popups=popups)


def _backbone(gdf: gpd.GeoDataFrame) -> Overlay:
    pop = {"radius": 7, "color": "#222222", "weight": 2, "fillColor": "#3f007d", "fillOpacity": 1}
    fibre = line_style("#3f007d", 5, opacity=0.8)
    is_point = gdf.geometry.geom_type.eq("Point").to_numpy()
    styles = [pop if p else fibre for p in is_point]
    popups = [
        Popup.of(
            tr("Point of presence {id}", id=row.id)
            if row.kind == "pop"
            else tr("Fibre {id}", id=row.id),
            [(tr("Name"), row.name), (tr("Kind"), _code(row.kind))],
        )
        for row in gdf.itertuples(index=False)
    ]
    legend = []
    if (~is_point).any():
        legend.append(LegendEntry(tr("fibre backbone"), fibre, "line"))
    if is_point.any():
        legend.append(LegendEntry(tr("point of presence (POP)"), pop, "point"))
    return geojson_overlay(tr("Backbone"), "backbone", gdf, styles, legend, popups=popups)


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
                (tr("Site"), row.id),
                (tr("Kind"), _code(row.kind)),
                (tr("Priority (1 = first)"), row.priority),
                (tr("Connected to fibre"), bool(c)),
            ],
        )
        for row, c in zip(gdf.itertuples(index=False), connected, strict=True)
    ]
    legend = [
        LegendEntry(f"{_code(kind)} ({letter})", _site_icon(kind, False), "icon")
        for kind, letter in _SITE_LETTERS.items()
        if kind in set(kinds)
    ]
    filled = _site_icon("other", True)
    legend.append(LegendEntry(tr("filled: connected to fibre"), filled, "icon"))
    return geojson_overlay(tr("Municipal sites"), "sites", gdf, styles, legend, popups=popups)


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
        (tr("Area (m²)"), round(geom.area))
        if geom.geom_type == "Polygon"
        else (tr("Metres"), round(geom.length))
    )
    rows: list[tuple[str, Any]] = [
        (tr("Owner"), row.owner),
        (tr("Purpose"), _code(row.purpose)),
        (tr("Dates"), f"{display_text(row.start)} – {display_text(row.end)}"),
        (tr("Status"), _code(row.status)),
        (tr("Confidence"), _code(row.confidence)),
        (tr("Permit date"), row.permit_date),
        (tr("Contact"), row.contact),
        size,
    ]
    if figures.stretches:
        rows += [
            (tr("Co-digging stretches"), figures.stretches),
            (tr("Duct metres"), figures.metres),
            (tr("Cost (DKK)"), figures.cost_dkk),
            (tr("Households gained (covered at once)"), figures.households),
            (tr("Households gained once connected"), figures.households_potential),
        ]
    elif have_opportunities:
        rows.append((tr("Co-digging"), tr("no candidate stretch")))
    else:
        rows.append(
            (
                tr("Cost, households gained"),
                tr("not computed (run `ductplanner opportunities`)"),
            )
        )
    if figures.plan_years:
        rows.append((tr("Chosen in the plan"), ", ".join(figures.plan_years)))
    return Popup.of(tr("Dig {id}", id=row.id), rows)


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
        others = _dig_style(_OTHER_OWNERS, "confirmed")
        legend.append(LegendEntry(tr("other owners"), others, "line"))
    if "planned" in set(statuses):
        dashed = _dig_style("#555555", "planned")
        legend.append(LegendEntry(tr("dashed: only planned"), dashed, "line"))
    if "cancelled" in set(statuses):
        dotted = _dig_style("#555555", "cancelled")
        legend.append(LegendEntry(tr("dotted: cancelled"), dotted, "line"))
    return geojson_overlay(
        tr("Third-party digs"), "digs", gdf, styles, legend, popups=popups, tooltips=tooltips
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
    touched = tr(_TOUCHES[str(touches)]) if str(touches) in _TOUCHES else touches
    return Popup.of(
        tr("Candidate {id}", id=_get(row, "id")),
        [
            (tr("Dig"), _get(row, "dig_id")),
            (tr("Owner"), _get(row, "owner")),
            (tr("Purpose"), _code(_get(row, "purpose"))),
            (tr("Year"), year_text(_get(row, "year"))),
            (tr("Dates"), _window(_get(row, "start"), _get(row, "end"))),
            (tr("Dig status"), _code(_get(row, "dig_status"))),
            (tr("Confidence"), _code(_get(row, "confidence"))),
            (tr("Probability the trench opens"), _probability(_get(row, "probability"))),
            (tr("Street"), _street(row)),
            (tr("Metres"), _get(row, "metres")),
            (tr("Cost (DKK)"), _get(row, "cost_dkk")),
            (tr("Households gained if laid (covered at once)"), _get(row, "households_now")),
            (tr("Households gained once connected"), _get(row, "households_potential")),
            (tr("Touches"), touched),
            (tr("Share of the street edge opened"), _probability(_get(row, "edge_share"))),
            (tr("In the plan years"), _get(row, "candidate")),
        ],
    )


def _street(row: Any) -> str:
    return street_label(_get(row, "street"), _get(row, "edge_id"))


def _dig_and_owner(row: Any, side: str) -> str:
    return f"{display_text(_get(row, f'dig_{side}'))} ({display_text(_get(row, f'owner_{side}'))})"


def _conflict_popup(row: Any) -> Popup:
    return Popup.of(
        tr("Street opened twice: {street}", street=_street(row)),
        [
            (tr("First dig"), _dig_and_owner(row, "a")),
            (tr("starts"), _get(row, "start_a")),
            (tr("Second dig"), _dig_and_owner(row, "b")),
            (tr("starts"), _get(row, "start_b")),
            (tr("Years between"), _get(row, "gap_years")),
            (tr("Metres in common"), _get(row, "metres")),
            (tr("Conflict"), _get(row, "id")),
        ],
    )


def _plan_popup(row: Any) -> Popup:
    year = year_text(_get(row, "year"))
    title = (
        tr("Chosen {id}: lay ducts in {year}", id=_get(row, "id"), year=year)
        if year
        else tr("Chosen {id}: lay ducts in the plan", id=_get(row, "id"))
    )
    return Popup.of(
        title,
        [
            (tr("How"), _code(_get(row, "kind"))),
            (tr("Dig"), _get(row, "dig_id")),
            (tr("Owner"), _get(row, "owner")),
            (tr("Street"), _street(row)),
            (tr("Metres"), _get(row, "metres")),
            (tr("Cost (DKK)"), _get(row, "cost_dkk")),
            (tr("Households gained"), _get(row, "households")),
            (tr("Why"), _get(row, "why")),
            (tr("Candidate"), _get(row, "opportunity_id")),
            (tr("Chosen by"), _get(row, "method")),
            (tr("Scenario"), _get(row, "scenario")),
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
    likely, unsure = tr("likely to open"), tr("less likely (< 50 %) to open")
    outside = tr("outside the plan years")

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
        gdf, tr("Co-digging opportunities"), "opportunities", legend, style_of, _opportunity_popup
    )


def _conflicts(gdf: gpd.GeoDataFrame) -> Overlay:
    style = line_style("#b2182b", 7, opacity=0.9, dashArray="2 9", lineCap="round")
    label = tr("opened by two parties a short time apart")
    return _derived_overlay(
        gdf,
        tr("Digs in the same street"),
        "conflicts",
        [(label, style)],
        lambda _: label,
        _conflict_popup,
    )


def _plan(gdf: gpd.GeoDataFrame) -> Overlay:
    co_dig = line_style("#e7298a", 9, opacity=0.95)
    own = line_style("#7a0177", 9, opacity=0.95, dashArray="10 5")

    own_label, co_dig_label = tr("own trench"), tr("co-dig (in another party's trench)")

    def style_of(row: Any) -> str:
        kind = str(_get(row, "kind") or "")
        return own_label if "own" in kind else co_dig_label

    legend = [(co_dig_label, co_dig), (own_label, own)]
    return _derived_overlay(gdf, tr("Chosen plan"), "plan", legend, style_of, _plan_popup)


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
    legend = [LegendEntry(tr(ADDRESS_STATES[k][0]), styles[k], "point") for k in used]
    legend.append(
        LegendEntry(tr("cluster: households, pie of covered share"), styles[used[0]], "cluster")
    )
    return Overlay(tr("Addresses"), source, "points", rows, styles, legend, bounds=bounds_of(geoms))


def _districts(gdf: gpd.GeoDataFrame, source: str) -> Overlay:
    """Draw districts as a choropleth of duct coverage, or as outlines without coverage."""
    if source != "district_coverage":
        style = {"color": "#3d3d3d", "weight": 1.5, "opacity": 0.9, "fill": False}
        not_computed = esc(tr("coverage not computed"))
        tips = [f"<b>{esc(n)}</b><br>{not_computed}" for n in gdf["name"]]
        popups = [
            Popup.of(tr("District {name}", name=n), [(tr("District"), i)])
            for n, i in zip(gdf["name"], gdf["id"], strict=True)
        ]
        legend = [LegendEntry(tr("district (coverage not computed)"), style, "area")]
        return geojson_overlay(
            tr("Districts"), source, gdf, [style] * len(gdf), legend, popups=popups, tooltips=tips
        )
    no_households = district_style(NO_SHARE_COLOUR)
    styles, tips, popups = [], [], []
    for row in gdf.itertuples(index=False):
        total, covered = int(row.households_total or 0), int(row.households_duct_covered or 0)
        level = share_class(covered, total)
        styles.append(no_households if level is None else district_style(SHARE_COLOURS[level]))
        stated = share(covered, total, "households", lang=map_lang())
        tips.append(f"<b>{esc(row.name)}</b><br>{esc(stated)}")
        popups.append(
            Popup.of(
                tr("District {name}", name=row.name),
                [
                    (tr("Duct-covered"), stated),
                    (tr("Households"), total),
                    (tr("Households duct-covered"), covered),
                    (
                        tr("Households served (duct-covered or a fast line)"),
                        row.households_served,
                    ),
                    (tr("Addresses"), row.addresses_total),
                    (tr("Addresses duct-covered"), row.addresses_duct_covered),
                    (tr("Addresses beyond the drop distance"), row.addresses_beyond_drop),
                ],
            )
        )
    edges = (0, *SHARE_BREAKS, 100)
    legend = [
        LegendEntry(
            tr("{low}–{high} % of households covered", low=lo, high=hi),
            district_style(colour),
            "area",
        )
        for (lo, hi), colour in zip(itertools.pairwise(edges), SHARE_COLOURS, strict=True)
    ]
    legend.append(LegendEntry(tr("no households"), no_households, "area"))
    return geojson_overlay(
        tr("Districts"), source, gdf, styles, legend, popups=popups, tooltips=tips
    )


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
                rows.append((layer, "—", tr(HOW_TO_DERIVE[layer]), "", "", "", ""))
            continue
        shown_as = tr(DRAWN_AS[layer]) if layer in drawn else tr("not on this map")
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
    title = f"{name}: {tr(_AUDIENCE_TITLES[audience])}"
    if audience == "utility":
        if not owner:
            raise WorkspaceError("a utility map needs the utility's name (a dig owner)")
        title = tr(
            "{name}: digs of {owner} and the ducts we ask to lay in them", name=name, owner=owner
        )
    overlays = layer_overlays(layers, audience=audience)
    held = list(layers) if present is None else list(present)
    about = workspace_about(title, pd.DataFrame() if sources is None else sources, held, overlays)
    about.notes.extend(notes)
    if audience == "utility":
        about.notes.append(tr("Only the digs of {owner} are drawn.", owner=owner))
    return assemble_map(
        overlays,
        about,
        basemap=basemap,
        token=token,
        self_contained=self_contained,
        assets_dir=assets_dir,
    )
