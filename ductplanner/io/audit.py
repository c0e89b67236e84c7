"""Audit reports: every validation problem as one row, in HTML, JSON or CSV.

A utility that sent a dig plan gets back exactly what to fix: one row per
problem with the file, layer, feature id, field, rule, message, hint and
severity. The format follows the report file's extension:

``.html`` / ``.htm``
    A self-contained page (inline style and script, nothing fetched) with
    counts per severity and per layer and a filterable table. Everything that
    came from the input is HTML-escaped.
``.json``
    ``{"title", "generated", "summary", "counts", "problems": [row, ...]}``.
``.csv``
    UTF-8 with a byte-order mark (so spreadsheet programs show æ, ø, å), one
    header line, one row per problem. Cells that a spreadsheet would run as a
    formula are prefixed with an apostrophe.

>>> from ductplanner.core._errors import Problem
>>> rows = problem_rows([Problem("digs.csv", "digs", "d7", "end", "date", "bad date")])
>>> rows[0]["file"], rows[0]["feature_id"], rows[0]["severity"]
('digs.csv', 'd7', 'error')
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..core._atomic import write_text_atomic
from ..core._clock import now
from ..core._errors import InputError, Problem
from ..core._format import some_ids, spreadsheet_safe

__all__ = [
    "REPORT_COLUMNS",
    "REPORT_FORMATS",
    "finding_groups",
    "finding_lines",
    "problem_rows",
    "problems_frame",
    "render_csv",
    "render_html",
    "render_json",
    "report_format",
    "severity_counts",
    "write_report",
]

REPORT_COLUMNS: tuple[str, ...] = (
    "file",
    "layer",
    "feature_id",
    "field",
    "rule",
    "message",
    "hint",
    "severity",
)
"""The columns of a report row, in order."""

REPORT_FORMATS: dict[str, str] = {".html": "html", ".htm": "html", ".json": "json", ".csv": "csv"}
"""Report file extension to format."""

_SEVERITY_ORDER = {"error": 0, "repaired": 1, "warning": 2}


def problem_rows(problems: Iterable[Problem]) -> list[dict[str, str]]:
    """Return one flat dict per problem with the keys of :data:`REPORT_COLUMNS`.

    Rows keep the order of ``problems``.
    """
    rows = []
    for p in problems:
        row = p.as_dict()
        row["file"] = row.pop("source")
        rows.append({key: str(row[key]) for key in REPORT_COLUMNS})
    return rows


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    """Return the problems as a DataFrame with the columns of :data:`REPORT_COLUMNS`."""
    return pd.DataFrame(problem_rows(problems), columns=list(REPORT_COLUMNS), dtype="object")


def severity_counts(problems: Iterable[Problem]) -> dict[str, int]:
    """Return the number of problems per severity (``error``, ``repaired``, ``warning``)."""
    counts = Counter(p.severity for p in problems)
    return {s: counts.get(s, 0) for s in _SEVERITY_ORDER} | {
        s: n for s, n in counts.items() if s not in _SEVERITY_ORDER
    }


def finding_groups(problems: Iterable[Problem]) -> list[dict[str, Any]]:
    """Return the warnings and repairs grouped by severity, layer and rule.

    Returns
    -------
    list of dict
        In the order each group first appears: ``severity``, ``layer``,
        ``rule``, ``count``, ``feature_ids`` (every one, in order), and the
        first finding's ``message`` and ``hint``.
    """
    return [
        {
            "severity": group[0].severity,
            "layer": group[0].layer,
            "rule": group[0].rule,
            "count": len(group),
            "feature_ids": [p.feature_id for p in group if p.feature_id],
            "message": group[0].message,
            "hint": group[0].hint,
        }
        for group in _by_rule(problems)
    ]


def _by_rule(problems: Iterable[Problem]) -> list[list[Problem]]:
    """Group the warnings and repairs by severity, layer and rule, in first-seen order."""
    groups: dict[tuple[str, str, str], list[Problem]] = {}
    for p in problems:
        if p.severity != "error":
            groups.setdefault((p.severity, p.layer, p.rule), []).append(p)
    return list(groups.values())


def finding_lines(
    problems: Iterable[Problem],
    titles: Mapping[str, str],
    *,
    limit: int = 10,
    ids_shown: int = 5,
) -> list[str]:
    """Return lines for the warnings and repairs, a rule's many findings in one line.

    Parameters
    ----------
    problems : iterable of Problem
        Errors among them are left out (the error message lists them).
    titles : mapping of str to str
        Rule -> what its findings are, in a few words ("addresses with 0
        units"): a rule with a title and several findings in a layer gets one
        line with the count, the first ids and the fix; the others one line each.
    limit : int
        Lines at most; a last line says how many more there are.
    ids_shown : int
        Feature ids named in a summary line.

    >>> found = [Problem("a.csv", "addresses", f"A{i}", "units", "units-zero", "0 units",
    ...                  "set units", severity="warning") for i in range(7)]
    >>> finding_lines(found, {"units-zero": "addresses with 0 units"})
    ['warning: addresses: 7 addresses with 0 units (A0, A1, A2, A3, A4, +2 more); fix: set units']
    """
    lines: list[str] = []
    for group in _by_rule(problems):
        first = group[0]
        title = titles.get(first.rule)
        if title is None or len(group) == 1:
            lines += [f"{p.severity}: {p}" for p in group]
            continue
        named = some_ids([p.feature_id for p in group if p.feature_id], ids_shown)
        lines.append(
            f"{first.severity}: {first.layer}: {len(group):,} {title}"
            + (f" ({named})" if named else "")
            + (f"; fix: {first.hint}" if first.hint else "")
        )
    if len(lines) > limit:
        lines = [*lines[:limit], f"... and {len(lines) - limit:,} more (see --json or --report)"]
    return lines


def report_format(path: str | os.PathLike[str]) -> str:
    """Return ``"html"``, ``"json"`` or ``"csv"`` for a report path.

    Raises
    ------
    InputError
        When the extension is none of ``.html``, ``.htm``, ``.json``, ``.csv``.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in REPORT_FORMATS:
        raise InputError(
            [
                Problem(
                    str(path),
                    "",
                    "",
                    "",
                    "report-format",
                    f"cannot tell the report format from the extension {suffix or '(none)'!r}",
                    "name the report file .html, .json or .csv",
                )
            ]
        )
    return REPORT_FORMATS[suffix]


def _sorted(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(
        problems,
        key=lambda p: (_SEVERITY_ORDER.get(p.severity, 9), p.source, p.layer),
    )


def render_json(
    problems: Iterable[Problem],
    *,
    title: str = "Validation report",
    summary: Mapping[str, Any] | None = None,
    generated: str | None = None,
) -> str:
    """Return the report as a JSON document (a string)."""
    problems = list(problems)
    document = {
        "title": title,
        "generated": generated or _now(),
        "summary": dict(summary or {}),
        "counts": severity_counts(problems),
        "problems": problem_rows(problems),
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n"


def render_csv(problems: Iterable[Problem]) -> str:
    """Return the report as CSV text (without the byte-order mark)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(REPORT_COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    for row in problem_rows(problems):
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return buffer.getvalue()


_STYLE = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em;color:#1d232a}
h1{font-size:1.4em;margin:0 0 .2em}
.meta{color:#5b6570;margin:0 0 1em}
.counts span{display:inline-block;margin-right:1em;padding:.2em .6em;border-radius:3px}
table{border-collapse:collapse;width:100%;margin-top:.6em}
th,td{border-bottom:1px solid #d6dbe0;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f0f3f6;position:sticky;top:0}
td.msg{min-width:18em}
tr.error td.sev,.counts .error{background:#fde2e1;color:#8a1c16}
tr.warning td.sev,.counts .warning{background:#fff3cd;color:#6b4f00}
tr.repaired td.sev,.counts .repaired{background:#dff3e4;color:#1e5b2d}
input{font:inherit;padding:.3em;width:24em;margin-top:.5em}
.ok{padding:.6em;background:#dff3e4;color:#1e5b2d}
table.layers{width:auto}
"""

_SCRIPT = """
document.getElementById('filter').addEventListener('input', function (e) {
  var q = e.target.value.toLowerCase();
  document.querySelectorAll('#problems tbody tr').forEach(function (tr) {
    tr.style.display = tr.textContent.toLowerCase().indexOf(q) >= 0 ? '' : 'none';
  });
});
"""


def render_html(
    problems: Iterable[Problem],
    *,
    title: str = "Validation report",
    summary: Mapping[str, Any] | None = None,
    generated: str | None = None,
) -> str:
    """Return the report as one self-contained HTML page.

    Every value taken from the input (ids, field names, messages, file names)
    is escaped, so a feature id like ``<script>`` is shown, never run.
    """
    problems = _sorted(problems)
    e = _escape
    counts = severity_counts(problems)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f'<p class="meta">Generated {e(generated or _now())} by ductplanner</p>',
    ]
    if summary:
        items = "".join(
            f"<dt>{e(k)}</dt><dd>{e(_flat(v))}</dd>" for k, v in summary.items() if v is not None
        )
        parts.append(f"<dl>{items}</dl>")
    parts.append(
        '<p class="counts">'
        + "".join(f'<span class="{e(s)}">{n} {e(s)}</span>' for s, n in counts.items())
        + "</p>"
    )
    if not problems:
        parts.append('<p class="ok">No problems found.</p>')
    else:
        parts.append(_layer_table(problems))
        parts.append(
            '<input id="filter" type="search" placeholder="Filter rows (id, field, text...)">'
        )
        head = "".join(f"<th>{e(c.replace('_', ' '))}</th>" for c in REPORT_COLUMNS)
        body = []
        for row in problem_rows(problems):
            cells = []
            for column in REPORT_COLUMNS:
                css = {"message": ' class="msg"', "severity": ' class="sev"'}.get(column, "")
                cells.append(f"<td{css}>{e(row[column])}</td>")
            body.append(f'<tr class="{e(row["severity"])}">{"".join(cells)}</tr>')
        parts.append(
            f'<table id="problems"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>"
        )
        parts.append(f"<script>{_SCRIPT}</script>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _layer_table(problems: list[Problem]) -> str:
    """Return a small table: problems per file and layer and severity."""
    counts = Counter((p.source, p.layer, p.severity) for p in problems)
    keys = sorted({(f, layer) for f, layer, _ in counts})
    e = _escape
    rows = "".join(
        f"<tr><td>{e(f)}</td><td>{e(layer)}</td>"
        + "".join(f"<td>{counts.get((f, layer, s), 0)}</td>" for s in _SEVERITY_ORDER)
        + "</tr>"
        for f, layer in keys
    )
    head = "".join(f"<th>{s}</th>" for s in _SEVERITY_ORDER)
    return (
        f'<table class="layers"><thead><tr><th>file</th><th>layer</th>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _flat(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_flat(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_flat(v) for v in value)
    return str(value)


def _now() -> str:
    return now().strftime("%Y-%m-%d %H:%M UTC")


def write_report(
    problems: Iterable[Problem],
    path: str | os.PathLike[str],
    *,
    title: str = "Validation report",
    summary: Mapping[str, Any] | None = None,
) -> Path:
    """Write the problems to ``path`` as HTML, JSON or CSV (by its extension).

    The file is written to a temporary file beside it and moved into place, so
    a reader never sees half a report.

    Parameters
    ----------
    problems : iterable of Problem
        Every finding (errors, warnings and repairs).
    path : path-like
        Report file; its extension chooses the format.
    title : str
        Heading of the HTML page and ``title`` of the JSON document.
    summary : mapping, optional
        Run facts shown above the table (file, layer, counts...).

    Returns
    -------
    Path
        The report path.

    Raises
    ------
    InputError
        When the extension is not one of ``.html``, ``.htm``, ``.json``, ``.csv``.
    """
    path = Path(path)
    kind = report_format(path)
    problems = list(problems)
    if kind == "html":
        text, encoding = render_html(problems, title=title, summary=summary), "utf-8"
    elif kind == "json":
        text, encoding = render_json(problems, title=title, summary=summary), "utf-8"
    else:
        text, encoding = render_csv(problems), "utf-8-sig"
    return write_text_atomic(path, text, encoding=encoding, newline="")
