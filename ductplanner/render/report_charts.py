"""The report's charts: matplotlib figures as inline SVG, so the page makes no request.

Each chart's element ids carry its own prefix, so several charts on one page
cannot clash; the SVG has no date, so the same data draws the same bytes.
matplotlib is imported when a chart is drawn, not when ductplanner is.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..analysis.evaluation import ReportData
from ..core._format import Lang, number, percent
from .report_words import words
from .style import NO_SHARE_COLOUR, SHARE_BREAKS, SHARE_COLOURS, share_colour

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["district_map", "forecast_chart", "frontier_chart"]

_SCENARIO_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def _figure(width: float = 7.5, height: float = 3.6) -> Figure:
    from matplotlib.figure import Figure

    # fixed margins: a constrained layout would draw every chart twice
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=0.12, right=0.98, bottom=0.13, top=0.96)
    return fig


def _svg(fig: Figure, prefix: str) -> str:
    """Return a figure as inline SVG whose ids cannot clash with another chart's."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": prefix}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'id="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', text)
    return re.sub(r"<svg ", f'<svg role="img" class="chart" data-chart="{prefix}" ', text, count=1)


def _thousands(lang: Lang) -> Callable[[float, Any], str]:
    return lambda value, _pos: number(value, 0, lang=lang)


def _style_axes(ax: Axes, lang: Lang) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.yaxis.set_major_formatter(FuncFormatter(_thousands(lang)))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def forecast_chart(data: ReportData, lang: Lang) -> str:
    """Draw the households reached per year: P10–P90 band, median and target per scenario."""
    fig = _figure()
    ax = fig.add_subplot()
    summary = data.forecast_summary()
    total = None
    for colour, (stem, entry) in zip(itertools.cycle(_SCENARIO_COLOURS), summary.items()):
        years = entry["years"]
        if not years:
            continue
        p10, p50, p90 = (np.asarray(entry[k], dtype=float) for k in ("p10", "p50", "p90"))
        ax.fill_between(years, p10, p90, color=colour, alpha=0.2, linewidth=0)
        ax.plot(years, p50, color=colour, linewidth=2, label=entry["name"])
        total = entry["households_total"] or total
        scenario = data.scenarios.get(stem)
        if scenario is not None and entry["households_total"]:
            share_ = scenario.coverage.target_share
            label = f"{words('target', lang)} {percent(share_, 1, 0, lang=lang)}"
            ax.axhline(
                share_ * entry["households_total"],
                color=colour,
                linestyle=":",
                linewidth=1,
                label=label if label not in ax.get_legend_handles_labels()[1] else None,
            )
    if total:
        ax.axhline(total, color="#555555", linestyle="--", linewidth=1, label=words("all_hh", lang))
    ax.set_ylabel(words("hh_reached", lang))
    ax.set_ylim(bottom=0)
    _style_axes(ax, lang)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return _svg(fig, "forecast")


def frontier_chart(data: ReportData, lang: Lang) -> str:
    """Draw one panel per scenario: households reached by yearly budget, a line per year."""
    from matplotlib.ticker import FuncFormatter

    frontier = data.frontier
    groups = list(frontier.groupby("scenario", sort=False))
    fig = _figure(7.5, 3.2 if len(groups) < 3 else 2.9)
    axes = fig.subplots(1, len(groups), sharey=True, squeeze=False)[0]
    fig.subplots_adjust(left=0.1, right=0.99, bottom=0.2, top=0.88, wspace=0.08)
    for ax, (stem, rows) in zip(axes, groups, strict=True):
        years = sorted({int(y) for y in rows["year"]})
        if len(years) > 3:
            years = [years[0], years[len(years) // 2], years[-1]]
        for colour, in_year in zip(_SCENARIO_COLOURS, years, strict=False):
            part = rows[rows["year"] == in_year].sort_values("budget_dkk")
            x = part["budget_dkk"].to_numpy(dtype=float)
            low, high = part["p10"].to_numpy(float), part["p90"].to_numpy(float)
            ax.fill_between(x, low, high, color=colour, alpha=0.18, linewidth=0)
            ax.plot(x, part["p50"].to_numpy(float), marker="o", color=colour, label=str(in_year))
        name = data.scenarios[stem].name if stem in data.scenarios else stem
        ax.set_title(name, fontsize=8)
        _style_axes(ax, lang)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: number(v / 1e6, 2, lang=lang)))
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0)
    axes[0].set_ylabel(words("hh_reached", lang), fontsize=8)
    axes[0].legend(loc="lower right", fontsize=7, frameon=False)
    fig.supxlabel(words("budget_axis", lang), fontsize=8)
    return _svg(fig, "frontier")


def district_map(data: ReportData, lang: Lang) -> str:
    """Draw the districts coloured by their duct-covered share, with the ducts over them."""
    from matplotlib.patches import Patch

    districts = data.districts
    if districts is None:
        return ""
    fig = _figure(6.5, 5.2)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    ax = fig.add_subplot()
    colours = [
        share_colour(float(r.households_duct_covered), float(r.households_total))
        for r in districts.itertuples()
    ]
    districts.plot(ax=ax, color=colours, edgecolor="#3d3d3d", linewidth=0.8)
    if len(data.ducts):
        data.ducts.to_crs(districts.crs).plot(ax=ax, color="#222222", linewidth=0.9)
    for row in districts.itertuples():
        if row.geometry is None or row.geometry.is_empty:
            continue
        point = row.geometry.representative_point()
        ax.annotate(str(row.name), (point.x, point.y), ha="center", fontsize=6.5, color="#222")
    ax.set_axis_off()
    ax.set_aspect("equal")
    edges = (0, *SHARE_BREAKS, 100)
    handles = [
        Patch(facecolor=c, edgecolor="#3d3d3d", label=f"{lo}–{hi} %")
        for (lo, hi), c in zip(itertools.pairwise(edges), SHARE_COLOURS, strict=True)
    ]
    nothing = words("no_households", lang)
    handles.append(Patch(facecolor=NO_SHARE_COLOUR, edgecolor="#3d3d3d", label=nothing))
    ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=True, title=None)
    return _svg(fig, "districtmap")


# --- HTML pieces -------------------------------------------------------------------------------
