"""The co-digging request letter to a utility: a request in, HTML out, in English or Danish."""

from __future__ import annotations

import html

import pandas as pd

from ..analysis.requests import RequestSet
from ..core._format import Lang, metres, number

__all__ = ["LETTER_WORDS", "PURPOSE_WORDS", "request_letter"]

LETTER_WORDS: dict[str, tuple[str, str]] = {
    "title": ("Co-digging request to {owner}", "Anmodning om samgravning til {owner}"),
    "requester": ("The municipality", "Kommunen"),
    "ask": (
        "{requester} asks to lay empty broadband ducts in the trenches of the {digs} digs "
        "below while they are open: {metres} of duct in all. We supply the ducts and pay the "
        "co-laying, DKK {dkk} in all; the ducts bring broadband within reach of the "
        "households listed.",
        "{requester} ønsker at lægge tomrør til bredbånd i tracéerne på de {digs} gravearbejder "
        "nedenfor, mens de står åbne: {metres} tomrør i alt. Vi leverer rørene og betaler for "
        "samlægningen, i alt {dkk} kr.; rørene bringer bredbånd inden for rækkevidde af de "
        "nævnte husstande.",
    ),
    "answer": (
        "Please answer per dig (agreed, or declined with the reason) before its window opens. "
        "The stretches are in the GeoPackage and the CSV beside this letter (one line per "
        "stretch, with its street, metres and cost).",
        "Svar venligst for hvert gravearbejde (ja, eller nej med begrundelse), før det "
        "begynder. Strækningerne står i GeoPackage- og CSV-filen ved siden af dette brev (én "
        "linje pr. strækning med vej, meter og pris).",
    ),
    "dig": ("dig", "gravearbejde"),
    "purpose": ("purpose", "formål"),
    "window": ("window", "periode"),
    "streets": ("streets", "veje"),
    "stretches": ("stretches", "strækninger"),
    "metres": ("metres", "meter"),
    "households": ("households", "husstande"),
    "dkk": ("DKK", "kr."),
    "status": ("status", "status"),
    "new": ("new", "ny"),
    "proposed": ("proposed", "anmodet"),
    "agreed": ("agreed", "accepteret"),
    "declined": ("declined", "afslået"),
    "countered": ("another window proposed", "andet tidsrum foreslået"),
    "laid": ("laid", "lagt"),
}
"""The letter's words: (English, Danish)."""

PURPOSE_WORDS: dict[str, str] = {
    "water": "vand",
    "wastewater": "spildevand",
    "power": "el",
    "district-heating": "fjernvarme",
    "gas": "gas",
    "fibre": "fiber",
    "road": "vej",
    "other": "andet",
}
"""The dig purposes in Danish."""


def _w(key: str, lang: Lang, **values: object) -> str:
    text = LETTER_WORDS[key][0 if lang == "en" else 1]
    return text.format(**values) if values else text


def _day(value: object, lang: Lang) -> str:
    """Return a date as the reader writes it: 2026-04-01, or 01-04-2026 in Danish."""
    stamp = pd.Timestamp(str(value)) if str(value) else pd.NaT
    if pd.isna(stamp):
        return str(value)
    return stamp.strftime("%Y-%m-%d" if lang == "en" else "%d-%m-%Y")


def request_letter(
    request: RequestSet, *, requester: str | None = None, label: str = "", lang: Lang = "en"
) -> str:
    """Return the HTML letter asking one utility for its digs (one table row per dig).

    Parameters
    ----------
    request : RequestSet
        What to ask for.
    requester : str, optional
        Who asks (the letter's first words; default "The municipality" / "Kommunen").
    label : str
        A banner shown above the letter (e.g. that the data are made up); none when empty.
    lang : {"en", "da"}
        The letter's language, numbers and dates.

    Returns
    -------
    str
        The whole HTML document; every value from the data is escaped.
    """
    esc = html.escape
    digs = request.digs
    total_m, total_dkk = float(digs["metres"].sum()), float(digs["cost_dkk"].sum())

    def purpose(value: object, own: object) -> str:
        text = str(value)
        normal = PURPOSE_WORDS.get(text, text) if lang == "da" else text
        own_words = str(own or "").strip()
        if not own_words:
            return normal
        if own_words.casefold() == normal.casefold():
            return own_words
        return f"{own_words} ({normal})"  # the utility's word first: its own letter

    def status(value: object) -> str:
        text = str(value) or "new"
        return _w(text, lang) if text in LETTER_WORDS else text

    rows = "\n".join(
        "<tr>"
        f"<td>{esc(str(r.dig_id))}</td><td>{esc(purpose(r.purpose, r.purpose_text))}</td>"
        f"<td>{esc(_day(r.start, lang))} – {esc(_day(r.end, lang))}</td>"
        f"<td>{esc(str(r.streets))}</td>"
        f"<td class=n>{r.stretches}</td><td class=n>{esc(metres(float(r.metres), lang=lang))}</td>"
        f"<td class=n>{esc(number(float(r.households), lang=lang))}</td>"
        f"<td class=n>{esc(number(float(r.cost_dkk), lang=lang))}</td>"
        f"<td>{esc(status(r.status))}</td>"
        "</tr>"
        for r in digs.itertuples(index=False)
    )
    banner = f'<p class="label">{esc(label)}</p>' if label else ""
    title = esc(_w("title", lang, owner=request.owner))
    ask = _w(
        "ask",
        lang,
        requester=requester or _w("requester", lang),
        digs=len(digs),
        metres=metres(total_m, lang=lang),
        dkk=number(total_dkk, lang=lang),
    )
    heads = "".join(
        f"<th class=n>{esc(_w(k, lang))}</th>"
        if k in ("stretches", "metres", "households", "dkk")
        else f"<th>{esc(_w(k, lang))}</th>"
        for k in ("dig", "purpose", "window", "streets", "stretches", "metres", "households",
                  "dkk", "status")
    )  # fmt: skip
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #ccc; padding: .3em .5em; text-align: left; }}
td.n, th.n {{ text-align: right; }}
.label {{ background: #fff3cd; padding: .5em; border: 1px solid #e0c060; }}
</style></head><body>
{banner}
<h1>{title}</h1>
<p>{esc(ask)}</p>
<p>{esc(_w("answer", lang))}</p>
<table>
<thead><tr>{heads}</tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""
