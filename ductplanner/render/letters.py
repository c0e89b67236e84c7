"""The co-digging request letter to a utility: a request in, HTML out."""

from __future__ import annotations

import html

from ..analysis.requests import RequestSet
from ..core._format import metres, number

__all__ = ["request_letter"]


def request_letter(
    request: RequestSet, *, requester: str = "The municipality", label: str = ""
) -> str:
    """Return the HTML letter asking one utility for its digs (one table row per dig).

    Parameters
    ----------
    request : RequestSet
        What to ask for.
    requester : str
        Who asks (the letter's first words).
    label : str
        A banner shown above the letter (e.g. that the data are made up); none when empty.

    Returns
    -------
    str
        The whole HTML document; every value from the data is escaped.
    """
    esc = html.escape
    digs = request.digs
    total_m, total_dkk = float(digs["metres"].sum()), float(digs["cost_dkk"].sum())
    rows = "\n".join(
        "<tr>"
        f"<td>{esc(str(r.dig_id))}</td><td>{esc(str(r.purpose))}</td>"
        f"<td>{esc(str(r.start))} – {esc(str(r.end))}</td><td>{esc(str(r.streets))}</td>"
        f"<td class=n>{r.stretches}</td><td class=n>{esc(metres(float(r.metres)))}</td>"
        f"<td class=n>{esc(number(float(r.households)))}</td>"
        f"<td class=n>{esc(number(float(r.cost_dkk)))}</td>"
        f"<td>{esc(str(r.status) or 'new')}</td>"
        "</tr>"
        for r in digs.itertuples(index=False)
    )
    banner = f'<p class="label">{esc(label)}</p>' if label else ""
    owner = esc(request.owner)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Co-digging request to {owner}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #ccc; padding: .3em .5em; text-align: left; }}
td.n, th.n {{ text-align: right; }}
.label {{ background: #fff3cd; padding: .5em; border: 1px solid #e0c060; }}
</style></head><body>
{banner}
<h1>Co-digging request to {owner}</h1>
<p>{esc(requester)} asks to lay empty broadband ducts in the trenches of the
{len(digs)} digs below while they are open: {esc(metres(total_m))} of duct in all.
We supply the ducts and pay the co-laying, DKK {esc(number(total_dkk))} in all;
the ducts bring broadband within reach of the households listed.</p>
<p>Please answer per dig (agreed, or declined with the reason) before its window opens.
The stretches are in the GeoPackage and the CSV beside this letter (one line per stretch,
with its street, metres and cost).</p>
<table>
<thead><tr><th>dig</th><th>purpose</th><th>window</th><th>streets</th>
<th class=n>stretches</th><th class=n>metres</th><th class=n>households</th>
<th class=n>DKK</th><th>status</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""


