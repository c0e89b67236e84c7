"""Forecast maps: coverage year by year for one scenario, and two scenarios side by side.

Rendering only, like :mod:`ductplanner.render.maps`: every figure comes from the
tables the simulation writes into the workspace (``ductplanner simulate``),
read back as :class:`~ductplanner.simulate.stored.StoredForecast` by the ``map``
workflow:

``forecast``
    scenario, scenario_name, district (``""`` = the whole municipality),
    year, households_total, p10, p50, p90, mean, p_reach_target.
``forecast_edges``
    scenario, edge_id, year, p_covered: the share of runs in which the street
    edge carries a duct connected to the backbone by that year.
``forecast_runs``
    scenario, runs, seed, horizon, distribution, mean_cycle_years,
    gamma_shape, created, version.

:func:`time_map` (the time view) draws one layer per year, with a year
switch that shows exactly one of them: the districts coloured by the median
share of households duct-covered, and the streets that carry a duct in at
least half (or nine in ten) of the runs, merged into one line per style.
:func:`side_by_side_map` puts two scenarios' maps of one year side by side,
with one legend and pan and zoom kept in step.

Street edges are drawn with the geometry of the street network the workflow
builds (:func:`~ductplanner.model.network.build_network` on the workspace's
streets, ducts and backbone), whose edge ids the simulation uses; it comes in,
with the layers drawn under the forecast, as a :class:`ForecastBase`.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..core._errors import WorkspaceError
from ..core._format import percent
from ..io.assets import ASSETS_DIR
from ..simulate.sources import SOURCE_WORDS, explained_shares
from ..simulate.stored import StoredForecast
from .leaflet import (
    LegendEntry,
    Overlay,
    StyleTable,
    bounds_of,
    district_style,
    esc,
    geojson_geometry,
    line_style,
    lonlat,
    popup_table,
)
from .map_words import map_lang, map_number, tr
from .maps import layer_overlays
from .page import (
    About,
    about_html,
    add_overlays,
    add_page_head,
    framed_map,
    legend_html,
    offline_note,
    provenance_row,
)
from .style import NO_SHARE_COLOUR, SHARE_BREAKS, SHARE_COLOURS, safe_json, share_class

if TYPE_CHECKING:
    import folium
    from branca.element import Element, Figure

__all__ = ["ForecastBase", "side_by_side_map", "time_map"]

_LINE_CLASSES = (
    (0.5, "duct in at least half of the runs", line_style("#4a9fd8", 3, opacity=0.9)),
    (0.9, "duct in at least 9 of 10 runs", line_style("#08306b", 3.5, opacity=0.95)),
)
"""(lowest p_covered, legend label, style) of the forecast's street classes."""

_NO_FORECAST = district_style(NO_SHARE_COLOUR)


@dataclass(frozen=True)
class ForecastBase:
    """What a forecast map draws under and around the forecast.

    Attributes
    ----------
    name : str
        The workspace's name, in the titles.
    layers : mapping of str to GeoDataFrame
        Those of ``streets``, ``ducts``, ``backbone`` and ``districts`` the
        workspace holds, in its CRS.
    edges : GeoDataFrame
        The street network's edges (their lines), indexed by the edge ids the
        forecast uses.
    sources : DataFrame
        The workspace's provenance table, for the About panel.
    notes : sequence of str
        Lines added to the About panel (where and when it was read).
    edges_by_scenario : mapping of str to GeoDataFrame
        The edges of a scenario whose network differs from ``edges`` (its
        paths beside roads counted otherwise), by scenario key.
    """

    name: str
    layers: Mapping[str, gpd.GeoDataFrame]
    edges: gpd.GeoDataFrame
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: Sequence[str] = ()
    edges_by_scenario: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict)

    def edges_of(self, forecast: StoredForecast) -> gpd.GeoDataFrame:
        """Return the edges whose ids ``forecast`` names."""
        return self.edges_by_scenario.get(forecast.scenario, self.edges)


# --- what the maps draw ----------------------------------------------------------------


def _figures(row: Mapping[str, Any], year: int) -> str:
    """Return a one-line statement of a forecast row (escaped HTML)."""
    total = float(row["households_total"])
    line = tr(
        "{year}: median {p50} of {total} households duct-covered ({share}); "
        "in 8 of 10 runs between {p10} and {p90}",
        year=year,
        p50=map_number(row["p50"]),
        total=map_number(total),
        share=percent(row["p50"], total, lang=map_lang()),
        p10=map_number(row["p10"]),
        p90=map_number(row["p90"]),
    )
    if not pd.isna(row.get("p_reach_target")):
        reached = percent(row["p_reach_target"], 1, 0, lang=map_lang())
        line += tr("; target reached in {share} of runs", share=reached)
    return esc(line)


def _share_of_runs(row: Mapping[str, Any]) -> str | None:
    value = row.get("p_reach_target")
    return None if value is None or pd.isna(value) else percent(float(value), 1, 0, lang=map_lang())


def _band(row: Mapping[str, Any]) -> str:
    return f"{map_number(row['p10'])}–{map_number(row['p90'])}"


def _district_years(
    forecast: StoredForecast, districts: gpd.GeoDataFrame, years: Sequence[int], table: StyleTable
) -> tuple[list[dict[str, Any]], list[str]]:
    """Return district features with a style, tooltip and popup per year; unmatched names."""
    rows = forecast.districts.drop_duplicates(["district", "year"]).set_index(["district", "year"])
    names = set(forecast.districts["district"].astype(str))
    geoms = lonlat(districts)
    features = []
    for name, geom in zip(districts["name"].astype(str), geoms, strict=True):
        if geom is None or geom.is_empty:
            continue
        styles, tips, popups = [], [], []
        for year in years:
            if (name, year) not in rows.index:
                styles.append(table.index(_NO_FORECAST))
                tips.append(f"<b>{esc(name)}</b><br>{esc(tr('no forecast for {year}', year=year))}")
                none = [(tr("Forecast"), tr("none for {year}", year=year))]
                popups.append(popup_table(tr("District {name}", name=name), none))
                continue
            row = rows.loc[(name, year)]
            total = int(row["households_total"])
            level = share_class(int(row["p50"]), total)
            style = _NO_FORECAST if level is None else district_style(SHARE_COLOURS[level])
            styles.append(table.index(style))
            tips.append(f"<b>{esc(name)}</b><br>{_figures(row, year)}")
            popups.append(
                popup_table(
                    tr("District {name}, {year}", name=name, year=year),
                    [
                        (tr("Households"), total),
                        (tr("Duct-covered, median of the runs"), int(row["p50"])),
                        (tr("Median share"), percent(row["p50"], total, lang=map_lang())),
                        (tr("Mean"), row["mean"]),
                        (tr("10th–90th percentile"), _band(row)),
                        (tr("Runs reaching the target share"), _share_of_runs(row)),
                        (tr("Scenario"), forecast.name),
                    ],
                )
            )
        features.append(
            {
                "type": "Feature",
                "geometry": geojson_geometry(geom),
                "properties": {"s": styles, "t": tips, "p": popups},
            }
        )
    return features, sorted(names - set(districts["name"].astype(str)))


def _line_classes(forecast: StoredForecast, edge_ids: pd.Index, years: Sequence[int]) -> np.ndarray:
    """Return per edge (rows, in ``edge_ids`` order) and year the street class (0: none)."""
    edges = forecast.edges
    if edges.empty:
        return np.zeros((len(edge_ids), len(years)), dtype=np.int8)
    p = edges.pivot_table(index="edge_id", columns="year", values="p_covered", aggfunc="max")
    p = p.reindex(index=edge_ids, columns=list(years)).fillna(0.0).to_numpy()
    classes = np.zeros(p.shape, dtype=np.int8)
    for level, (lowest, _, _) in enumerate(_LINE_CLASSES, start=1):
        classes[p >= lowest] = level
    return classes


def _class_runs(classes: np.ndarray) -> dict[tuple[int, int, int], list[int]]:
    """Group edges by the runs of years they keep one class: (class, first, last) -> rows.

    Coverage only grows, so an edge usually has one run per class it reaches;
    the edges sharing a run are drawn as one line.

    >>> _class_runs(np.array([[0, 1, 1, 2], [0, 1, 1, 1]]))
    {(1, 1, 2): [0], (1, 1, 3): [1], (2, 3, 3): [0]}
    """
    runs: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    patterns, inverse = np.unique(classes, axis=0, return_inverse=True)
    members = pd.Series(np.arange(len(classes))).groupby(inverse.ravel()).agg(list)
    for number_, pattern in enumerate(patterns):
        start = 0
        for i in range(1, len(pattern) + 1):
            if i == len(pattern) or pattern[i] != pattern[start]:
                if pattern[start]:
                    runs[(int(pattern[start]), start, i - 1)].extend(members[number_])
                start = i
    return {key: sorted(rows) for key, rows in sorted(runs.items(), key=lambda kv: kv[0][1:])}


def _covered_lines(
    forecast: StoredForecast, lines: gpd.GeoSeries, years: Sequence[int], table: StyleTable
) -> tuple[list[dict[str, Any]], int]:
    """Return merged street features (style, first and last year index); unknown edges."""
    known = forecast.edges["edge_id"].astype(str) if not forecast.edges.empty else pd.Series()
    unknown = len(set(known) - set(lines.index))
    classes = _line_classes(forecast, lines.index, years)
    features: list[dict[str, Any]] = []
    values = lines.to_numpy()
    for (level, first, last), rows in _class_runs(classes).items():
        parts = [ln for g in values[rows] if g is not None for ln in getattr(g, "geoms", [g])]
        features.append(
            {
                "type": "Feature",
                "geometry": geojson_geometry(shapely.MultiLineString(parts)),
                "properties": {
                    "s": table.index(_LINE_CLASSES[level - 1][2]),
                    "a": first,
                    "b": last,
                },
            }
        )
    # the darker class on top
    features.sort(key=lambda f: table.styles[f["properties"]["s"]]["weight"])
    return features, unknown


def _legend(table: StyleTable) -> list[Overlay]:
    """Return legend-only overlays: the districts' classes and the streets' classes."""
    edges = (0, *SHARE_BREAKS, 100)
    areas = [
        LegendEntry(f"{lo}–{hi} %", district_style(c), "area")
        for (lo, hi), c in zip(itertools.pairwise(edges), SHARE_COLOURS, strict=True)
    ]
    areas.append(LegendEntry(tr("no forecast"), _NO_FORECAST, "area"))
    streets = [LegendEntry(tr(label), style, "line") for _, label, style in reversed(_LINE_CLASSES)]
    return [
        Overlay(
            tr("Districts: median share of households duct-covered"),
            "forecast",
            "legend",
            [],
            [],
            areas,
        ),
        Overlay(
            tr("Streets: chance of a connected duct"), "forecast_edges", "legend", [], [], streets
        ),
    ]


def _cycle_years(runs: Mapping[str, Any]) -> str:
    """Return the mean cycle the forecast ran with: ``5.5``, or its range ``5–6``."""
    low, high = pd.to_numeric(
        pd.Series([runs.get("mean_cycle_low"), runs.get("mean_cycle_high")]), errors="coerce"
    )
    if pd.isna(low) or pd.isna(high) or low == high:
        return map_number(runs["mean_cycle_years"], 1)
    return f"{_cycle_number(float(low))}–{_cycle_number(float(high))}"


def _sources_note(forecast: StoredForecast) -> str:
    """Say what the band at the horizon is made of, and the median under each cycle end."""
    table = forecast.sources
    if table.empty:
        return ""
    year = int(pd.to_numeric(table["year"]).max())
    shares = explained_shares(table.assign(year=pd.to_numeric(table["year"])), year)
    parts = [
        tr("{share} from " + SOURCE_WORDS[s], share=f"{map_number(100 * v)} %")
        for s, v in shares.items()
        if v >= 0.01
    ]
    text = tr("{scenario}: the band of {year}", scenario=forecast.scenario, year=year)
    text += ": " + "; ".join(parts) + tr("; the rest is chance") if parts else tr(": all chance")
    at = table[pd.to_numeric(table["year"]) == year].set_index("source")
    ends = [
        tr(
            "median {p50} households with a mean cycle of {cycle} years",
            p50=map_number(float(at.loc[s, "p50"])),
            cycle=_run_cycle_end(forecast.runs, s),
        )
        for s in ("cycle_low", "cycle_high")
        if s in at.index
    ]
    return text + (" (" + ", ".join(ends) + ")." if ends else ".")


def _run_cycle_end(runs: Mapping[str, Any], source: str) -> str:
    value = runs.get("mean_cycle_low" if source == "cycle_low" else "mean_cycle_high")
    years = pd.to_numeric(pd.Series([value]), errors="coerce").iat[0]
    return "–" if pd.isna(years) else _cycle_number(float(years))


def _cycle_number(years: float) -> str:
    """Return years of a cycle as the map writes them: ``5``, ``5.5``."""
    return map_number(years, 0 if float(years).is_integer() else 1)


def _runs_note(forecast: StoredForecast) -> str:
    runs = forecast.runs
    if not runs:
        return tr(
            "{scenario} ({name}): how it was simulated is not recorded.",
            scenario=forecast.scenario,
            name=forecast.name,
        )
    regrowth = tr(
        "{distribution}, mean cycle {years} years",
        distribution=tr(str(runs["distribution"])),
        years=_cycle_years(runs),
    )
    if str(runs["distribution"]) == "gamma" and not pd.isna(runs.get("gamma_shape")):
        regrowth += tr(", shape {shape}", shape=map_number(runs["gamma_shape"], 1))
    length = pd.to_numeric(pd.Series([runs.get("project_length_m")]), errors="coerce").iat[0]
    if not pd.isna(length) and length > 0:
        regrowth += tr(", in projects of about {length} m of streets", length=map_number(length))
    return tr(
        "Scenario {scenario} ({name}): {runs} runs, seed {seed}, future digging {regrowth}, "
        "horizon {horizon}; simulated {date} by ductplanner {version}.",
        scenario=forecast.scenario,
        name=forecast.name,
        runs=map_number(runs["runs"]),
        seed=runs["seed"],
        regrowth=regrowth,
        horizon=runs["horizon"],
        date=str(runs["created"])[:10],
        version=runs["version"],
    )


_METHOD_NOTE = (
    "Districts are coloured by the median over the runs of households duct-covered, as a share "
    "of the district's households; popups give the 10th–90th percentile band. Streets are "
    "coloured where at least half (dark: nine in ten) of the runs have a duct on them "
    "connected to the backbone by that year."
)


def _about(
    title: str, base: ForecastBase, forecasts: Sequence[StoredForecast], notes: Sequence[str]
) -> About:
    sources = base.sources
    by_layer = {str(r["layer"]): r for _, r in sources.iterrows()} if len(sources) else {}
    seen: set[str] = set()
    drawn = {
        "districts": "district outlines",
        "streets": "street lines",
        "forecast": "district colours and figures",
        "forecast_edges": "street colours",
        "forecast_runs": "how it was simulated (below)",
    }
    rows = [provenance_row(n, tr(shown), by_layer.get(n), seen) for n, shown in drawn.items()]
    notes_of = [_runs_note(f) for f in forecasts]
    notes_of += [n for n in (_sources_note(f) for f in forecasts) if n]
    about = About(title, rows, notes_of)
    about.notes += [tr(_METHOD_NOTE), *notes, *base.notes]
    return about


def _context_overlays(layers: Mapping[str, gpd.GeoDataFrame]) -> list[Overlay]:
    shown = {n: layers[n] for n in ("streets", "backbone") if n in layers}
    return layer_overlays(shown)


def _notes(unmatched: Sequence[str], unknown_edges: int) -> list[str]:
    notes = []
    if unmatched:
        notes.append(
            tr(
                "Forecast districts not in the districts layer (not drawn): {names}",
                names=", ".join(unmatched),
            )
        )
    if unknown_edges:
        notes.append(
            tr(
                "{count} street edges of the forecast are not in the street network "
                "(not drawn): the streets changed since the simulation; simulate again.",
                count=map_number(unknown_edges),
            )
        )
    return notes


# --- the time view ---------------------------------------------------------------------


def _switch_html(forecast: StoredForecast) -> str:
    last = len(forecast.years) - 1
    return (
        f'<div class="dp-years-title"><b>{esc(forecast.scenario)}</b>: '
        f"{esc(forecast.name)}</div>"
        '<div class="dp-years-row"><button type="button" class="dp-prev" '
        f'aria-label="{esc(tr("previous year"))}">◀</button>'
        f'<input type="range" min="0" max="{last}" step="1" value="0" '
        f'aria-label="{esc(tr("year"))}">'
        '<button type="button" class="dp-next" '
        f'aria-label="{esc(tr("next year"))}">▶</button>'
        '<b class="dp-year"></b></div><div class="dp-year-figures"></div>'
    )


def time_map(
    forecast: StoredForecast,
    base: ForecastBase,
    *,
    year: int | None = None,
    basemap: str = "osm",
    token: str | None = None,
    self_contained: bool = False,
    assets_dir: Path = ASSETS_DIR,
) -> folium.Map:
    """Return the time view: one scenario's forecast coverage, one layer per year.

    A year switch (slider and buttons) shows exactly one year's layer: the
    districts coloured by the median share of households duct-covered, and
    the streets with a connected duct in at least half of the runs.

    Parameters
    ----------
    forecast : StoredForecast
        The scenario's forecast, as the simulation wrote it.
    base : ForecastBase
        The workspace's layers and street network drawn with it.
    year : int, optional
        The year shown when the map opens (default: the first).
    basemap, token, self_contained, assets_dir
        As for :func:`ductplanner.render.maps.layers_map`.

    Raises
    ------
    WorkspaceError
        A year outside the forecast.
    """
    years = list(forecast.years)
    start = _check_year(year, years, forecast)
    layers, lines = base.layers, lonlat(base.edges_of(forecast))
    table = StyleTable()
    areas: list[dict[str, Any]] = []
    unmatched: list[str] = []
    if "districts" in layers:
        areas, unmatched = _district_years(forecast, layers["districts"], years, table)
    covered, unknown = _covered_lines(forecast, lines, years, table)
    figures = [
        _figures(forecast.totals.loc[y], y) if y in forecast.totals.index else "" for y in years
    ]
    data = {
        "years": years,
        "start": years.index(start),
        "areas": {"type": "FeatureCollection", "features": areas},
        "lines": {"type": "FeatureCollection", "features": covered},
        "figures": figures,
        "html": _switch_html(forecast),
    }
    context = _context_overlays(layers)
    bounds = [o.bounds for o in context if o.bounds is not None]
    if "districts" in layers and (b := bounds_of(lonlat(layers["districts"]))):
        bounds.append(b)
    m = framed_map(bounds, basemap=basemap, token=token)
    add_page_head(m.get_root(), self_contained=self_contained, assets_dir=assets_dir)
    title = tr(
        "{name}: forecast coverage year by year, {scenario}",
        name=base.name,
        scenario=forecast.scenario,
    )
    about = _about(title, base, [forecast], _notes(unmatched, unknown))
    about.notes.append(offline_note(self_contained))
    years_element = _view_elements()[0](data, table.styles)
    legend = [*context, *_legend(table)]
    add_overlays(
        m,
        context,
        [
            ("bottomright", "dp-legend", legend_html(legend)),
            ("topleft", "dp-about", about_html(about)),
        ],
        extras=[years_element],
    )
    return m


def _check_year(year: int | None, years: Sequence[int], forecast: StoredForecast) -> int:
    if not years:
        raise WorkspaceError(f"the forecast of {forecast.scenario} has no years")
    if year is None:
        return years[0]
    if year not in years:
        raise WorkspaceError(
            f"the forecast of {forecast.scenario} has no year {year}; "
            f"it runs {years[0]}–{years[-1]}"
        )
    return year


# --- the comparison view ---------------------------------------------------------------


def _single_year(features: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    """Return one year's features of :func:`_district_years` or :func:`_covered_lines`."""
    chosen = []
    for feature in features:
        props = feature["properties"]
        if "a" in props:
            if props["a"] <= index <= props["b"]:
                chosen.append({**feature, "properties": {"s": props["s"]}})
        else:
            p = {"s": props["s"][index], "t": props["t"][index], "p": props["p"][index]}
            chosen.append({**feature, "properties": p})
    return chosen


def _scenario_overlays(
    forecast: StoredForecast,
    year: int,
    layers: Mapping[str, gpd.GeoDataFrame],
    lines: gpd.GeoSeries,
    context: Sequence[Overlay],
    table: StyleTable,
) -> tuple[list[Overlay], list[str]]:
    """Return the overlays of one scenario's map of ``year`` (bottom first) and notes."""
    streets = [o for o in context if o.source == "streets"]
    overlays: list[Overlay] = []
    unmatched: list[str] = []
    if "districts" in layers:
        areas, unmatched = _district_years(forecast, layers["districts"], [year], table)
        bounds = bounds_of(lonlat(layers["districts"]))
        overlays.append(
            Overlay(
                tr("Districts"),
                "forecast",
                "geojson",
                _single_year(areas, 0),
                table.styles,
                [],
                bounds=bounds,
            )
        )
    covered, unknown = _covered_lines(forecast, lines, [year], table)
    overlays += streets
    overlays.append(
        Overlay(
            tr("Streets with a duct"),
            "forecast_edges",
            "geojson",
            _single_year(covered, 0),
            table.styles,
            [],
        )
    )
    overlays += [o for o in context if o.source != "streets"]
    return overlays, _notes(unmatched, unknown)


def _title_html(forecast: StoredForecast, year: int) -> str:
    figures = (
        _figures(forecast.totals.loc[year], year)
        if year in forecast.totals.index
        else esc(tr("{year}: no municipality total in the forecast", year=year))
    )
    return (
        f'<div class="dp-title"><b>{esc(forecast.scenario)}</b>: {esc(forecast.name)}'
        f"<br>{figures}</div>"
    )


def side_by_side_map(
    forecasts: Sequence[StoredForecast],
    base: ForecastBase,
    *,
    year: int | None = None,
    basemap: str = "osm",
    token: str | None = None,
    self_contained: bool = False,
    assets_dir: Path = ASSETS_DIR,
) -> Figure:
    """Return two scenarios' forecast coverage of one year side by side, in step.

    Parameters
    ----------
    forecasts : sequence of two StoredForecast
        Left, right.
    base : ForecastBase
        The workspace's layers and street network drawn with them.
    year : int, optional
        The year compared (default: the last year both forecasts have, the
        horizon).
    basemap, token, self_contained, assets_dir
        As for :func:`ductplanner.render.maps.layers_map`.

    Returns
    -------
    branca.element.Figure
        One page holding both maps.

    Raises
    ------
    WorkspaceError
        Not two forecasts, or no common year.
    """
    if len(forecasts) != 2:
        raise WorkspaceError(f"a comparison needs two scenarios, not {len(forecasts)}")
    common = sorted(set(forecasts[0].years) & set(forecasts[1].years))
    if not common:
        raise WorkspaceError(
            f"the forecasts of {forecasts[0].scenario} and {forecasts[1].scenario} "
            "share no year; simulate them over the same years"
        )
    year = common[-1] if year is None else _check_year(year, common, forecasts[0])
    layers = base.layers
    table = StyleTable()
    context = _context_overlays(layers)
    built = [
        _scenario_overlays(f, year, layers, lonlat(base.edges_of(f)), context, table)
        for f in forecasts
    ]
    bounds = [o.bounds for overlays, _ in built for o in overlays if o.bounds is not None]
    maps = [
        framed_map(
            bounds,
            basemap=basemap,
            token=token,
            legend_room=False,
            position="absolute",
            width="50%",
            left=left,
        )
        for left in ("0%", "50%")
    ]
    page = cast("Figure", maps[0].get_root())
    page.add_child(maps[1])
    add_page_head(page, self_contained=self_contained, assets_dir=assets_dir)
    page.header.add_child(_divider(maps[1]), name="dp_compare")
    notes = [n for _, ns in built for n in dict.fromkeys(ns)]
    title = tr(
        "{name}: {left} and {right} in {year}",
        name=base.name,
        left=forecasts[0].scenario,
        right=forecasts[1].scenario,
        year=year,
    )
    about = _about(title, base, forecasts, notes)
    about.notes.append(offline_note(self_contained))
    legend = legend_html([*context, *_legend(table)])
    for i, (m, (overlays, _), forecast) in enumerate(zip(maps, built, forecasts, strict=True)):
        panels = [("topleft", "dp-title-panel", _title_html(forecast, year))]
        panels.append(
            ("topleft", "dp-about", about_html(about))
            if i == 0
            else ("bottomright", "dp-legend", legend)
        )
        extras = [_view_elements()[1](maps[0])] if i == 1 else []
        add_overlays(m, overlays, panels, extras=extras, collapsed=True)
    return page


# --- page elements ---------------------------------------------------------------------

_VIEW_CSS = """
.dp-years { min-width: 280px; max-width: 420px; }
.dp-years-row { display: flex; align-items: center; gap: 6px; margin: 4px 0; }
.dp-years-row input { flex: 1; }
.dp-years-row button { cursor: pointer; }
.dp-year { font-size: 16px; min-width: 3em; text-align: right; }
.dp-year-figures, .dp-title { font-size: 12px; }
.dp-title-panel { max-width: min(420px, 40vw); }
"""

_VIEW_JS = """
function dpForecastYears(map, data, styles) {
  var d = window.ductplanner, built = {};
  map.createPane("dpYearAreas").style.zIndex = 350;
  map.createPane("dpYearLines").style.zIndex = 450;
  d.forecastYears = data.years;
  function layerOf(i) {
    if (built[i]) { return built[i]; }
    var areas = L.geoJSON(data.areas, {
      pane: "dpYearAreas",
      style: function (f) { return styles[f.properties.s[i]]; },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(f.properties.t[i], {sticky: true});
        layer.bindPopup(f.properties.p[i], {maxWidth: 360});
      }
    });
    var lines = L.geoJSON(data.lines, {
      pane: "dpYearLines", interactive: false,
      filter: function (f) { return f.properties.a <= i && i <= f.properties.b; },
      style: function (f) { return styles[f.properties.s]; }
    });
    built[i] = L.layerGroup([areas, lines]);
    d.years[data.years[i]] = built[i];
    return built[i];
  }
  d.years = {};
  var Switch = L.Control.extend({onAdd: function () {
    var div = L.DomUtil.create("div", "dp-panel dp-years");
    div.innerHTML = data.html;
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  }});
  var box = new Switch({position: "bottomleft"}).addTo(map).getContainer();
  var slider = box.querySelector("input");
  d.showYear = function (year) {
    var i = data.years.indexOf(year);
    if (i < 0) { return; }
    Object.keys(built).forEach(function (k) {
      if (+k !== i) { map.removeLayer(built[k]); }
    });
    map.addLayer(layerOf(i));
    d.year = year;
    slider.value = i;
    box.querySelector(".dp-year").textContent = year;
    box.querySelector(".dp-year-figures").innerHTML = data.figures[i];
  };
  function step(by) {
    var i = Math.min(Math.max(+slider.value + by, 0), data.years.length - 1);
    d.showYear(data.years[i]);
  }
  slider.addEventListener("input", function () { d.showYear(data.years[+slider.value]); });
  box.querySelector(".dp-prev").addEventListener("click", function () { step(-1); });
  box.querySelector(".dp-next").addEventListener("click", function () { step(1); });
  d.showYear(data.years[data.start]);
}
function dpSync(a, b) {
  var busy = false;
  function follow(source, target) {
    source.on("move", function () {
      if (busy) { return; }
      busy = true;
      target.setView(source.getCenter(), source.getZoom(), {animate: false});
      busy = false;
    });
  }
  follow(a, b);
  follow(b, a);
}
"""


@cache
def _view_elements() -> tuple[type, type]:
    """Build the year switch and map sync elements (folium is imported only when drawing)."""
    from branca.element import MacroElement
    from jinja2 import Template

    class YearSwitch(MacroElement):
        _template = Template(
            """
            {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style><script>{{ this.js }}</script>
            {% endmacro %}
            {% macro script(this, kwargs) %}
            dpForecastYears({{ this._parent.get_name() }}, {{ this.data }}, {{ this.styles }});
            {% endmacro %}
            """
        )

        def __init__(self, data: dict[str, Any], styles: list[dict[str, Any]]) -> None:
            super().__init__()
            self._name = "DuctplannerYears"
            self.data, self.styles = safe_json(data), safe_json(styles)
            self.css, self.js = _VIEW_CSS, _VIEW_JS

    class Sync(MacroElement):
        _template = Template(
            """
            {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style><script>{{ this.js }}</script>
            {% endmacro %}
            {% macro script(this, kwargs) %}
            dpSync({{ this.other.get_name() }}, {{ this._parent.get_name() }});
            {% endmacro %}
            """
        )

        def __init__(self, other: Element) -> None:
            super().__init__()
            self._name = "DuctplannerSync"
            self.other = other
            self.css, self.js = _VIEW_CSS, _VIEW_JS

    return YearSwitch, Sync


def _divider(right: folium.Map) -> Element:
    """Return the line between two maps side by side, naming the right one as the page renders."""
    from branca.element import Element

    class Divider(Element):
        def __init__(self) -> None:
            super().__init__(
                "<style>#{{ this.right.get_name() }} { border-left: 3px solid #333; }</style>"
            )
            self.right = right

    return Divider()
