"""The committee's evaluation report: one self-contained HTML page, printable to PDF.

Rendering only: :func:`render_report` takes the figures of
:func:`~ductplanner.analysis.evaluation.evaluate` (a :class:`ReportData`) and
returns HTML; the ``report`` workflow (:mod:`ductplanner.app.workflows.report`)
reads the workspace and writes the file. A section whose input is missing says
which command computes it instead of failing.

The page makes no request of its own: charts are inline SVG
(:mod:`~ductplanner.render.report_charts`), styles are inline, and every number
the page shows is also embedded as JSON (``<script type="application/json"
id="report-data">``) for scripts and tests. Every text that came from an input
file is HTML-escaped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np

from .. import __version__
from ..analysis.evaluation import ReportData
from ..core._format import Lang, is_nan, metres, percent, plain, plain_tree, share
from ..model.scenarios import Span
from ..optimize import gap_kind
from ..simulate.sources import explained_shares
from .report_charts import district_map, forecast_chart, frontier_chart

# the page is mostly words, escaped text and figures: short local names keep it readable
from .report_words import WORDS
from .report_words import escaped as _e
from .report_words import figure as _n
from .report_words import words as _w
from .style import safe_json, share_colour

__all__ = ["ReportData", "render_report"]

_ORIGINS = ("co-dig", "own-dig", "fibre-project", "unknown")


_PLAN_HINT = "ductplanner plan WORKSPACE --scenario revised-2019"
_SIMULATE_HINT = "ductplanner simulate WORKSPACE --scenario revised-2019"


def _note(lang: Lang, command: str, *, key: str = "not_computed") -> str:
    """Say that a section's input is missing and which command computes it."""
    return f'<p class="note not-computed">{_e(_w(key, lang))} <code>{_e(command)}</code></p>'


def _table(header: Sequence[tuple[str, bool]], rows: Iterable[Sequence[str]], css: str = "") -> str:
    """Return a table; ``header`` is (escaped label, numeric?); cells come escaped."""
    head = "".join(f'<th class="num">{h}</th>' if num else f"<th>{h}</th>" for h, num in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{c}</td>' if num else f"<td>{c}</td>"
            for c, (_, num) in zip(row, header, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    cls = f' class="{css}"' if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _section(anchor: str, title: str, body: str, *, first: bool = False) -> str:
    cls = "chapter first" if first else "chapter"
    return f'<section class="{cls}" id="{anchor}"><h2>{_e(title)}</h2>{body}</section>'


def _in_short(data: ReportData, lang: Lang) -> str:
    sentences = []
    c = data.coverage
    if c is not None:
        hh = c["households_total"]
        covered = share(c["households_duct_covered"], hh, "households", lang=lang)
        served = share(c["households_served"], hh, "households", lang=lang)
        sentences.append(_w("sentence_cov", lang, covered=covered))
        sentences.append(_w("sentence_served", lang, served=served))
    spent = float(data.money["spent_dkk"].sum()) if len(data.money) else 0.0
    co_dig = float(data.money["laid_m"].sum()) if len(data.money) else 0.0
    if spent:
        sentences.append(
            _w("sentence_spent", lang, spent=_n(spent, lang), m=metres(float(co_dig), lang=lang))
        )
    for stem, entry in data.forecast_summary().items():
        if not entry["years"]:
            continue
        sentences.append(
            _w(
                "sentence_forecast",
                lang,
                name=entry["name"] or stem,
                year=entry["years"][-1],
                p50=_n(entry["p50"][-1], lang),
                p10=_n(entry["p10"][-1], lang),
                p90=_n(entry["p90"][-1], lang),
            )
        )
    body = "".join(f"<p class='lead'>{_e(s)}</p>" for s in sentences)
    return body or _note(lang, data.missing.get("coverage", ""))


def _key_figures(data: ReportData, lang: Lang) -> str:
    c = data.coverage
    if c is None:
        return _note(lang, data.missing["coverage"])
    hh, ad = c["households_total"], c["addresses_total"]

    def row(key: str, part_key: str, total: int, unit: str) -> tuple[str, str]:
        part = c[part_key]
        cell = (
            f'<span data-key="{part_key}" data-value="{int(part)}">'
            f"{_e(share(part, total, unit, lang=lang))}</span>"
        )
        return (_e(_w(key, lang)), cell)

    rows = [
        row("hh_served", "households_served", hh, "households"),
        row("ad_served", "addresses_served", ad, "addresses"),
        row("hh_duct", "households_duct_covered", hh, "households"),
        row("ad_duct", "addresses_duct_covered", ad, "addresses"),
        row("ad_beyond", "addresses_beyond_drop", ad, "addresses"),
        row("sites", "sites_connected", c["sites_total"], "sites"),
        (
            _e(_w("duct_len", lang)),
            f'<span data-key="duct_m" data-value="{c["duct_m"]}">'
            f"{_e(metres(c['duct_m'], lang=lang))}</span>",
        ),
        (
            _e(_w("duct_conn", lang)),
            f'<span data-key="duct_connected_m" data-value="{c["duct_connected_m"]}">'
            f"{_e(metres(c['duct_connected_m'], lang=lang))}</span>",
        ),
    ]
    table = _table(
        [(_e(_w("figure", lang)), False), (_e(_w("value", lang)), True)], rows, "keyfigures"
    )
    means = _w(
        "served_means",
        lang,
        down=_n(100, lang),
        up=_n(30, lang),
        drop=_n(c["drop_m"], lang),
    )
    return table + f"<p>{_e(means)}</p>"


def _laid_table(data: ReportData, lang: Lang) -> str:
    laid = data.laid
    if laid.empty:
        return f"<p>{_e(_w('laid_text', lang))}</p>" + "<p>–</p>"
    origins = [o for o in _ORIGINS if o in set(laid["origin"])]
    origins += sorted(set(laid["origin"]) - set(origins))
    pivot = laid.pivot_table(index="year", columns="origin", values="metres", aggfunc="sum")
    pivot = pivot.reindex(columns=origins).fillna(0.0)
    header = [(_e(_w("year", lang)), False)]
    header += [(_e(_w(o, lang) if o in WORDS else o), True) for o in origins]
    header.append((_e(_w("total", lang)), True))
    rows = []
    for year, values in pivot.iterrows():
        label = _w("year_unknown", lang) if year < 0 else str(year)
        cells = [_e(label)] + [_e(_n(v, lang)) for v in values]
        cells.append(_e(_n(values.sum(), lang)))
        rows.append(cells)
    totals = [f"<b>{_e(_w('total', lang))}</b>"]
    totals += [f"<b>{_e(_n(v, lang))}</b>" for v in pivot.sum()]
    totals.append(f"<b>{_e(_n(pivot.to_numpy().sum(), lang))}</b>")
    rows.append(totals)
    return f"<p>{_e(_w('laid_text', lang))} (m)</p>" + _table(header, rows)


def _money_table(data: ReportData, lang: Lang) -> str:
    money = data.money
    parts = []
    scenario = data.scenarios.get(data.budget_scenario)
    if scenario is None:
        parts.append(_note(lang, data.missing.get("plan", _PLAN_HINT), key="no_budget"))
    else:
        own = _w("own_line", lang) if scenario.policy == "own-dig" else ""
        parts.append(f"<p>{_e(_w('money_text', lang, name=scenario.name, own=own))}</p>")
    if data.plan_method:
        parts.append(f"<p>{_e(_plan_gap_text(data, lang))}</p>")
    if "decisions" in data.missing:
        parts.append(_note(lang, data.missing["decisions"]))
    if money.empty:
        return "".join(parts)
    header = [
        (_e(_w("year", lang)), False),
        (_e(_w("budget", lang)), True),
        (_e(_w("planned_dkk", lang)), True),
        (_e(_w("agreed_dkk", lang)), True),
        (_e(_w("spent", lang)), True),
        (_e(_w("left", lang)), True),
    ]
    rows = []
    for r in money.itertuples():
        budget = None if is_nan(r.budget_dkk) else float(r.budget_dkk)
        left = None if budget is None else budget - r.agreed_dkk
        rows.append(
            [
                str(r.year),
                _e(_n(budget, lang)),
                _e(_n(r.planned_dkk, lang)),
                _e(_n(r.agreed_dkk, lang)),
                _e(_n(r.spent_dkk, lang)),
                _e(_n(left, lang)),
            ]
        )
    return "".join(parts) + _table(header, rows)


def _plan_gap_text(data: ReportData, lang: Lang) -> str:
    """Say how far the plan is from the best possible, or that nobody knows."""
    gap = "" if data.plan_gap is None else percent(data.plan_gap, 1, 2, lang=lang)
    return _w(f"plan_{gap_kind(data.plan_gap)}", lang, method=data.plan_method, gap=gap)


def _planned_realised(data: ReportData, lang: Lang) -> str:
    parts = [f"<p>{_e(_w('pvr_text', lang))}</p>"]
    for key in ("opportunities", "plan", "decisions"):
        if key in data.missing:
            parts.append(_note(lang, data.missing[key]))
    yearly = data.yearly
    if yearly.empty:
        return "".join(parts)
    header = [
        (_e(_w("year", lang)), False),
        (_e(_w("opps", lang)), True),
        (_e(_w("plan_m", lang)), True),
        (_e(_w("agreed", lang)), True),
        (_e(_w("laid_m", lang)), True),
        (_e(_w("spent_dkk", lang)), True),
        (_e(_w("gained", lang)), True),
        (_e(_w("cost_hh", lang)), True),
    ]
    rows = []
    for r in yearly.itertuples():
        found = _n(r.opportunities, lang)
        if r.opportunities:
            found += f" ({_w('opp_digs', lang, n=_n(r.opportunity_digs, lang))})"
        gained = None if is_nan(r.households_gained) else r.households_gained
        per = None if is_nan(r.dkk_per_household) else r.dkk_per_household
        rows.append(
            [
                str(r.year),
                _e(found),
                _e(_n(r.planned_m, lang)),
                _e(_n(r.requests_agreed, lang)),
                _e(_n(r.laid_m, lang)),
                _e(_n(r.spent_dkk, lang)),
                _e(_n(gained, lang)),
                _e(_n(per, lang)),
            ]
        )
    return "".join(parts) + _table(header, rows, "pvr")


def _district_section(data: ReportData, lang: Lang) -> str:
    c = data.coverage
    if c is None:
        return _note(lang, data.missing["coverage"])
    header = [
        (_e(_w("district", lang)), False),
        (_e(_w("households", lang)), True),
        (_e(_w("covered", lang)), True),
        (_e(_w("served", lang)), True),
        (_e(_w("addresses", lang)), True),
    ]
    rows = []
    for name, n in c["districts"].items():
        total = n["households_total"]
        rows.append(
            [
                f'<span class="swatch" style="background:'
                f'{share_colour(n["households_duct_covered"], total)}"></span> {_e(name)}',
                _e(_n(total, lang)),
                _e(share(n["households_duct_covered"], total, "households", lang=lang)),
                _e(share(n["households_served"], total, "households", lang=lang)),
                _e(_n(n["addresses_total"], lang)),
            ]
        )
    out = c.get("addresses_outside_districts", 0)
    parts = [_table(header, rows, "districts")]
    if out:
        parts.append(
            f"<p>{_e(share(out, c['addresses_total'], 'addresses', lang=lang))} "
            f"{_e(_w('outside', lang))}</p>"
        )
    if data.districts is not None and len(data.districts):
        parts.append(
            f"<figure>{district_map(data, lang)}"
            f"<figcaption>{_e(_w('map_caption', lang))}</figcaption></figure>"
        )
    return "".join(parts)


def _forecast_section(data: ReportData, lang: Lang) -> str:
    if data.forecast.empty:
        return _note(lang, data.missing.get("forecast", "ductplanner simulate WORKSPACE"))
    parts = [f"<p>{_e(_w('forecast_text', lang))}</p>"]
    parts.append(f"<figure>{forecast_chart(data, lang)}</figure>")
    runs = {str(r["scenario"]): r for r in data.forecast_runs.to_dict(orient="records")}
    for stem, entry in data.forecast_summary().items():
        parts.append(f"<h3>{_e(entry['name'])}</h3>")
        run = runs.get(stem) or {}
        if run:
            line = _w(
                "runs_line",
                lang,
                runs=_n(run.get("runs"), lang),
                seed=plain(run.get("seed")),
                horizon=plain(run.get("horizon")),
            )
            parts.append(f"<p>{_e(line)}</p>")
        started = "" if is_nan(run.get("as_of")) else str(run.get("as_of") or "")
        realised = data.realised if started else {}
        if started:
            parts.append(f"<p>{_e(_w('started_line', lang, date=started))}</p>")
        parts.append(_forecast_table(stem, entry, realised, lang))
        parts.append(_sources_block(stem, data, lang))
        if realised:
            note = _w("realised_note", lang, year=max(realised))
            parts.append(f'<p class="note">{_e(note)}</p>')
    return "".join(parts)


_SHARE_SAID = 0.01
"""A source's share of the band the sentence names (the table shows every one)."""
_SOURCE_ORDER = ("all", "cycle_low", "cycle_high", "cycle_known", "street_by_street", "plans_sure")


def _sources_block(stem: str, data: ReportData, lang: Lang) -> str:
    """Return what one scenario's band is made of: the band with each source known, its share."""
    table = data.forecast_sources
    if table.empty:
        return ""
    rows = table[table["scenario"] == stem]
    if rows.empty:
        return ""
    horizon = int(rows["year"].max())
    at = rows[rows["year"] == horizon].set_index("source")
    shares = explained_shares(rows, horizon)
    scenario = data.assumed.get(stem) or data.scenarios.get(stem)
    cycle = Span.of(scenario.regrowth.mean_cycle_years) if scenario else None
    header = [
        (_e(_w("src_assumption", lang)), False),
        (_e(_w("src_band", lang, year=horizon)), True),
        (_e(_w("src_median", lang)), True),
        (_e(_w("src_share", lang)), True),
    ]
    body = []
    for source in (s for s in _SOURCE_ORDER if s in at.index):
        row = at.loc[source]
        label = _w(f"src_{source}", lang, **_cycle_values(cycle, lang))
        share_text = percent(shares[source], 1, 0, lang=lang) if source in shares else "–"
        body.append(
            [
                _e(label),
                _e(f"{_n(row['p10'], lang)}–{_n(row['p90'], lang)}"),
                _e(_n(row["p50"], lang)),
                _e(share_text),
            ]
        )
    made_of = [
        _w(f"src_from_{s}", lang, share=percent(v, 1, 0, lang=lang))
        for s, v in shares.items()
        if v >= _SHARE_SAID
    ]
    sentence = (
        _w("src_sentence", lang, year=horizon, parts=_w("src_join", lang).join(made_of))
        if made_of
        else _w("src_chance_only", lang, year=horizon)
    )
    return (
        f'<div class="sources" data-scenario="{_e(stem)}"><h4>'
        f"{_e(_w('src_title', lang, year=horizon))}</h4>{_table(header, body)}"
        f"<p>{_e(sentence)}</p></div>"
    )


def _cycle_values(cycle: Span | None, lang: Lang) -> dict[str, str]:
    if cycle is None:
        return {"low": "–", "high": "–", "mid": "–"}
    values = {k: float(getattr(cycle, k)) for k in ("low", "high", "mid")}
    return {k: _n(v, lang, 0 if v.is_integer() else 1) for k, v in values.items()}


def _band_position(value: float, low: float | None, high: float | None, lang: Lang) -> str:
    if low is not None and value < low:
        return _w("band_below", lang)
    if high is not None and value > high:
        return _w("band_above", lang)
    return _w("band_within", lang)


def _forecast_table(stem: str, entry: dict[str, Any], realised: dict[int, int], lang: Lang) -> str:
    """One scenario's P10/P50/P90 per year, with what came to pass beside it when known."""
    total = entry["households_total"] or 0
    header = [
        (_e(_w("year", lang)), False),
        ("P10", True),
        ("P50", True),
        ("P90", True),
        (_e(_w("share_hh", lang)), True),
        (_e(_w("p_target", lang)), True),
    ]
    if realised:
        header.append((_e(_w("realised", lang)), True))
    reach = entry.get("p_reach_target") or [None] * len(entry["years"])
    rows = []
    for i, year in enumerate(entry["years"]):
        p10, p50, p90 = entry["p10"][i], entry["p50"][i], entry["p90"][i]
        row = [
            str(year),
            f'<span data-p="p10">{_e(_n(p10, lang))}</span>',
            f'<span data-p="p50">{_e(_n(p50, lang))}</span>',
            f'<span data-p="p90">{_e(_n(p90, lang))}</span>',
            _e(percent(p50 or 0, total, lang=lang)),
            _e("–" if reach[i] is None else percent(reach[i], 1, 0, lang=lang)),
        ]
        if realised:
            value = realised.get(int(year))
            row.append(
                "–"
                if value is None
                else f'<span data-p="realised">{_e(_n(value, lang))}</span> '
                f"({_e(_band_position(value, p10, p90, lang))})"
            )
        rows.append(row)
    return f'<div class="forecast" data-scenario="{_e(stem)}">{_table(header, rows)}</div>'


def _heat(p: float | None) -> str:
    if p is None or math.isnan(p):
        return "#ffffff"
    low, high = np.array([247, 252, 245]), np.array([35, 139, 69])
    r, g, b = (low + (high - low) * max(0.0, min(1.0, p))).round().astype(int)
    return f"#{r:02x}{g:02x}{b:02x}"


def _target_section(data: ReportData, lang: Lang) -> str:
    """Per district: when the median future reaches a share, and the chances by the horizon."""
    if data.forecast.empty:
        return _note(lang, data.missing.get("forecast", "ductplanner simulate WORKSPACE"))
    parts = []
    for stem, entry in data.forecast_summary().items():
        districts = entry["districts"]
        if not districts:
            continue
        horizon = max(y for d in districts.values() for y in d["years"])
        parts.append(f"<h3>{_e(entry['name'])}</h3>")
        parts.append(f"<p>{_e(_w('target_text', lang, horizon=horizon))}</p>")
        header = [(_e(_w("district", lang)), False), (_e(_w("households", lang)), True)]
        header += [
            (_e(_w("median_reaches", lang, share=_share_words(s, lang))), True)
            for s in _YEAR_SHARES
        ]
        chances = [s for s in _CHANCE_SHARES if f"p_reach_{s}" in next(iter(districts.values()))]
        header += [
            (_e(_w("chance_by", lang, share=_share_words(s, lang), year=horizon)), True)
            for s in chances
        ]
        rows, sentences = [], []
        for name, d in districts.items():
            households = _district_households(data, stem, name)
            years = {s: _median_year(d, households, s) for s in _YEAR_SHARES}
            cells = [_e(name), _e(_n(households, lang))]
            cells += [
                _e(str(years[s]) if years[s] else _w("after", lang, year=horizon))
                for s in _YEAR_SHARES
            ]
            cells += [_chance_cell(d[f"p_reach_{s}"][-1], lang) for s in chances]
            rows.append(cells)
            sentences.append(_district_sentence(name, d, households, years, horizon, lang))
        parts.append(
            f'<div class="target" data-scenario="{_e(stem)}">{_table(header, rows, "heat")}</div>'
        )
        parts.append('<ul class="district-words">' + "".join(sentences) + "</ul>")
    return "".join(parts) or _note(lang, data.missing.get("forecast", "ductplanner simulate"))


_YEAR_SHARES = (50, 75, 90)
"""Shares (in %) of a district's households whose year the median future reaches is shown."""
_CHANCE_SHARES = (25, 50, 75, 90)
"""Shares (in %) whose chance of being reached by the horizon is shown (``p_reach_<share>``)."""


def _share_words(share: int, lang: Lang) -> str:
    return _w(f"share_{share}", lang)


def _district_households(data: ReportData, stem: str, district: str) -> int:
    rows = data.forecast[
        (data.forecast["scenario"] == stem) & (data.forecast["district"] == district)
    ]
    return int(rows["households_total"].max()) if len(rows) else 0


def _median_year(entry: Mapping[str, Any], households: int, share: int) -> int | None:
    """Return the first year the median future reaches ``share`` % of the households."""
    if households <= 0:
        return None
    for year, p50 in zip(entry["years"], entry["p50"], strict=True):
        if p50 is not None and p50 >= share / 100 * households - 1e-9:
            return int(year)
    return None


def _chance_cell(p: float | None, lang: Lang) -> str:
    text = "–" if p is None else percent(p, 1, 0, lang=lang)
    ink = "#ffffff" if p is not None and p > 0.6 else "#1f2328"
    return f'<span style="display:block;background:{_heat(p)};color:{ink}">{_e(text)}</span>'


def _district_sentence(
    name: str,
    entry: Mapping[str, Any],
    households: int,
    years: Mapping[int, int | None],
    horizon: int,
    lang: Lang,
) -> str:
    """Say in words when a district is reached, and how sure that is."""
    hh = _n(households, lang)
    if years[50]:
        text = _w("d_half_by", lang, name=name, hh=hh, year=years[50])
        if years[75]:
            text += _w("d_three_quarters", lang, year=years[75])
            if years[90]:
                text += _w("d_nine_tenths", lang, year=years[90])
    else:
        share_now = percent(entry["p50"][-1] or 0, households, 0, lang=lang)
        text = _w("d_median_share", lang, name=name, hh=hh, share=share_now, horizon=horizon)
    # the chance of the next share the median future does not reach (else of nine in ten)
    p50 = entry["p50"][-1] or 0
    above = [s for s in _CHANCE_SHARES if p50 < s / 100 * households - 1e-9]
    share = above[0] if above else _CHANCE_SHARES[-1]
    chance = (entry.get(f"p_reach_{share}") or [None])[-1]
    if chance is not None:
        text += _w(
            "d_chance",
            lang,
            share=_share_words(share, lang),
            horizon=horizon,
            p=percent(chance, 1, 0, lang=lang),
        )
    return f"<li>{_e(text + '.')}</li>"


def _frontier_section(data: ReportData, lang: Lang) -> str:
    if data.frontier.empty:
        return _note(lang, data.missing.get("frontier", "ductplanner simulate WORKSPACE"))
    return f"<p>{_e(_w('frontier_text', lang))}</p><figure>{frontier_chart(data, lang)}</figure>"


def _distribution(regrowth: Any, lang: Lang) -> str:
    kind = str(regrowth.distribution)
    if kind == "gamma":
        return _w("dist_gamma", lang, k=_n(regrowth.gamma_shape, lang, 1))
    if kind == "uniform":
        spread = float(getattr(regrowth, "uniform_spread", 0.0))
        if not spread:
            return _w("dist_cycle", lang)
        return _w("dist_uniform", lang, spread=percent(spread, 1, 0, lang=lang))
    key = f"dist_{kind}"
    return _w(key, lang) if key in WORDS else kind


def _share_text(value: float | Span, lang: Lang) -> str:
    """Return a share as a percentage, or a range's two ends (``40–60 %``)."""
    span = Span.of(value)
    if span.fixed:
        return percent(span.low, 1, 0, lang=lang)
    low = percent(span.low, 1, 0, lang=lang).removesuffix(" %")
    return f"{low}–{percent(span.high, 1, 0, lang=lang)}"


def _projects_assumption(length_m: float, lang: Lang) -> str:
    if length_m <= 0:
        return _w("assume_projects_none", lang)
    return _w("assume_projects", lang, length=_n(length_m, lang))


def _side_paths_assumption(distance: float, lang: Lang) -> str:
    if not distance:
        return _w("assume_side_paths_none", lang)
    return _w("assume_side_paths", lang, side=_n(distance, lang))


def _assumptions(data: ReportData, lang: Lang) -> str:
    if not data.scenarios:
        return _note(lang, data.missing.get("forecast", _SIMULATE_HINT), key="no_scenario")
    runs = {str(r["scenario"]): r for r in data.forecast_runs.to_dict(orient="records")}
    parts = []
    for stem, s in data.assumed.items():
        run = runs.get(stem, {})
        regrowth = s.regrowth
        within = _w("assume_within", lang, p=percent(data.dug_within[stem], 1, 0, lang=lang))
        b, c = s.budget, s.costs
        items = [
            _w(
                "assume_costs",
                lang,
                co=_n(c.co_laying, lang),
                mat=_n(c.material, lang),
                own=_n(c.own_trench, lang),
            ),
            _w(
                "assume_budget",
                lang,
                total=_n(b.total_dkk, lang),
                co=_n(b.co_digging, lang),
                mat=_n(b.materials, lang),
                com=_n(b.communication, lang),
                pm=_n(b.project_management, lang),
                own=_n(b.own_digging, lang),
            ),
            _w(
                "assume_cycle",
                lang,
                cycle=_n(regrowth.mean_cycle_years, lang, 1),
                dist=_distribution(regrowth, lang),
            )
            + " "
            + within,
            _projects_assumption(regrowth.project_length_m, lang),
            _w("assume_drop", lang, drop=_n(s.coverage.drop_distance_m, lang)),
            _side_paths_assumption(s.coverage.side_path_distance_m, lang),
            _w(
                "assume_target",
                lang,
                share=percent(s.coverage.target_share, 1, 0, lang=lang),
            ),
            _w(
                "assume_conf",
                lang,
                firm=_share_text(s.confidence.firm, lang),
                budgeted=_share_text(s.confidence.budgeted, lang),
                indicative=_share_text(s.confidence.indicative, lang),
                slip=_n(s.confidence.slip_years, lang, 1),
                cancel=_share_text(s.confidence.cancel_share, lang),
            ),
            _w(
                "assume_sim",
                lang,
                runs=_n(plain(run.get("runs")) or s.simulation.runs, lang),
                seed=plain(run.get("seed")) if run.get("seed") is not None else s.simulation.seed,
                horizon=plain(run.get("horizon")) or s.horizon,
            ),
        ]
        description = f"<p>{_e(s.description)}</p>" if s.description else ""
        parts.append(
            f"<h3>{_e(s.name)}</h3>{description}<ul>"
            + "".join(f"<li>{_e(i)}</li>" for i in items)
            + "</ul>"
        )
    parts.append(_history_paragraph(data, lang))
    return "".join(parts)


def _history_paragraph(data: ReportData, lang: Lang) -> str:
    """Say what the workspace's record of digs suggests, beside what the scenarios assume."""
    history = data.dig_history
    if history is None:
        return ""
    said = []
    c, p = history.cycle, history.project
    if c is not None and c.bounded:
        said.append(
            _w(
                "history_cycle",
                lang,
                cycle=_n(c.cycle_years, lang, 1),
                low=_n(c.low, lang, 1),
                high=_n(c.high, lang, 1),
                streets=_n(c.streets, lang),
                total=_n(history.streets_total, lang),
                years=_n(c.record_years, lang),
            )
        )
    elif c is not None:
        said.append(
            _w(
                "history_no_cycle",
                lang,
                streets=_n(c.streets, lang),
                years=_n(c.record_years, lang),
                low=_n(c.low, lang),
            )
        )
    if p is not None:
        said.append(
            _w(
                "history_project",
                lang,
                length=_n(p.length_m, lang),
                low=_n(p.low, lang),
                high=_n(p.high, lang),
                digs=_n(p.digs, lang),
            )
        )
    text = " ".join(said) if said else _w("history_none", lang)
    return f'<h3>{_e(_w("history_title", lang))}</h3><p class="dig-history">{_e(text)}</p>'


def _sources_section(data: ReportData, lang: Lang) -> str:
    sources = data.sources
    if sources.empty:
        return f"<p>{_e(_w('no_sources', lang))}</p>"
    header = [
        (_e(_w("layer", lang)), False),
        (_e(_w("source", lang)), False),
        (_e(_w("updated", lang)), False),
        (_e(_w("kind", lang)), False),
        (_e(_w("features", lang)), True),
    ]
    rows = [
        [
            _e(r.layer),
            _e(r.source),
            _e(r.updated),
            _e(_w("synthetic_word" if r.synthetic else "real", lang)),
            _e(_n(r.features, lang)),
        ]
        for r in sources.itertuples()
    ]
    notes = sorted({str(n) for n in sources["note"] if str(n)})
    return _table(header, rows) + "".join(f"<p class='note'>{_e(n)}</p>" for n in notes)


def _manifest_section(data: ReportData, lang: Lang) -> str:
    m = data.manifest
    header = [
        (_e(_w("role", lang)), False),
        (_e(_w("file", lang)), False),
        ("SHA-256", False),
        (_e(_w("bytes", lang)), True),
    ]
    rows = [
        [_e(f["role"]), _e(f["file"]), f"<code>{_e(f['sha256'])}</code>", _e(_n(f["bytes"], lang))]
        for f in m["files"]
    ]
    versions = ", ".join(
        f"{k} {m[k]}" for k in ("ductplanner", "python", "numpy", "pandas", "geopandas", "shapely")
    )
    commands = "\n".join(m["commands"])
    parameters = json.dumps(
        {"forecast_runs": m["forecast_runs"], "scenarios": m["scenarios"]},
        ensure_ascii=False,
        indent=1,
        default=str,
    )
    return (
        f"<p>{_e(_w('manifest_text', lang))}</p>"
        + _table(header, rows, "manifest")
        + f"<p>{_e(versions)}; {_e(m['created'])}</p>"
        + f"<h3>{_e(_w('reproduce', lang))}</h3><pre>{_e(commands)}</pre>"
        + f"<details><summary>{_e(_w('parameters', lang))}</summary>"
        + f"<pre>{_e(parameters)}</pre></details>"
    )


def _embedded(data: ReportData, lang: Lang) -> dict[str, Any]:
    """Every number the page states, for scripts and tests."""
    coverage = None
    if data.coverage is not None:
        coverage = {
            k: v for k, v in data.coverage.items() if k not in ("islands", "sites", "warnings")
        }
    return plain_tree(
        {
            "lang": lang,
            "synthetic": data.synthetic,
            "coverage": coverage,
            "forecast": data.forecast_summary(),
            "frontier": data.frontier.to_dict(orient="records") if len(data.frontier) else [],
            "laid": data.laid.to_dict(orient="records"),
            "yearly": data.yearly.to_dict(orient="records"),
            "money": data.money.to_dict(orient="records"),
            "budget_scenario": data.budget_scenario,
            "not_computed": data.missing,
            "manifest": data.manifest,
        }
    )


def _css() -> str:
    return resources.files("ductplanner").joinpath("templates/report.css").read_text("utf-8")


def render_report(data: ReportData, *, lang: Lang = "en", label: str | None = None) -> str:
    """Render collected report data as one self-contained HTML page.

    Parameters
    ----------
    data : ReportData
        From :func:`~ductplanner.app.workflows.report.collect_report`
        (or :func:`~ductplanner.analysis.evaluation.evaluate`).
    lang : {"en", "da"}
        Language of the words and of the number formats.
    label : str, optional
        A banner line (the demo's "synthetic data" caption). A workspace with
        synthetic layers always gets a banner.

    Returns
    -------
    str
        The HTML page.
    """
    if lang not in ("en", "da"):
        raise ValueError(f"lang must be 'en' or 'da', got {lang!r}")
    banners = []
    if data.synthetic or label:
        banners.append(_w("synthetic", lang))
    if label:
        banners.append(label)
    banner = (
        f'<div class="banner" role="alert">{" ".join(_e(b) for b in banners)}</div>'
        if banners
        else ""
    )
    sections = [
        ("in-short", _w("in_short", lang), _in_short(data, lang)),
        ("key-figures", _w("key", lang), _key_figures(data, lang)),
        ("laid", _w("laid", lang), _laid_table(data, lang)),
        ("money", _w("money", lang), _money_table(data, lang)),
        ("planned-realised", _w("pvr", lang), _planned_realised(data, lang)),
        ("districts", _w("districts", lang), _district_section(data, lang)),
        ("forecast", _w("forecast", lang), _forecast_section(data, lang)),
        ("target", _w("target_title", lang), _target_section(data, lang)),
        ("frontier", _w("frontier", lang), _frontier_section(data, lang)),
        ("assumptions", _w("assumptions", lang), _assumptions(data, lang)),
        ("sources", _w("sources", lang), _sources_section(data, lang)),
        ("manifest", _w("manifest", lang), _manifest_section(data, lang)),
    ]
    # a new printed page for the big chapters; small ones follow on the same page
    new_page = {"key-figures", "districts", "forecast", "assumptions", "manifest"}
    body = []
    for anchor, title, content in sections:
        body.append(_section(anchor, title, content, first=anchor not in new_page))
    toc = "".join(f'<li><a href="#{a}">{_e(t)}</a></li>' for a, t, _ in sections)
    created = data.manifest.get("created", "")[:10]
    title = _w("title", lang)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}: {_e(data.workspace.stem)}</title>"
        f"<style>{_css()}</style></head><body>"
        f"<header><h1>{_e(title)}</h1>"
        f'<p class="subtitle">{_e(_w("made", lang, date=created, ws=data.workspace.name))}</p>'
        f"{banner}</header>"
        f"<nav><b>{_e(_w('contents', lang))}</b><ol>{toc}</ol></nav>"
        f"<main>{''.join(body)}</main>"
        f"<footer>{_e(_w('footer', lang, version=__version__))}</footer>"
        f'<script type="application/json" id="report-data">{safe_json(_embedded(data, lang))}'
        "</script></body></html>\n"
    )
