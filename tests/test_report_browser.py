"""The evaluation report in a real headless Chromium: no errors, no requests, prints to PDF.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright, which never
downloads a browser of its own. Every request other than the page itself is
recorded and refused, so a report that needs anything from outside fails here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_report import EVIL, SHIPPED, add_step_outputs

from ductplanner.app.demo import tiny_layers
from ductplanner.app.workflows.report import collect_report, write_report
from ductplanner.io.workspace import write_layers

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """English and Danish reports of a town with every step's output and a hostile name."""
    folder = tmp_path_factory.mktemp("browser-report")
    layers = tiny_layers()
    layers["districts"].loc[1, "name"] = EVIL
    workspace = folder / "town.gpkg"
    write_layers(workspace, layers, synthetic=True)
    add_step_outputs(workspace, tuple(SHIPPED), owner=EVIL)
    data = collect_report(workspace)
    return {
        lang: write_report(workspace, folder / f"report-{lang}.html", lang=lang, data=data)
        for lang in ("en", "da")
    }


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    """Open a page; return it with its console errors and its requests beyond the file."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))

    def route(r: Any) -> None:
        if r.request.url == path.as_uri():
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda r: outside.append(f"failed: {r.url}"))
    page.goto(path.as_uri(), wait_until="load")
    return page, errors, outside


@pytest.mark.parametrize("lang", ["en", "da"])
def test_report_loads_without_errors_or_requests(
    browser: Any, reports: dict[str, Path], lang: str
) -> None:
    page, errors, outside = _open(browser, reports[lang])
    try:
        assert errors == []
        assert outside == []
        assert page.evaluate("document.documentElement.lang") == lang
        charts = page.locator("svg.chart")
        assert charts.count() == 3
        for i in range(charts.count()):
            box = charts.nth(i).bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 150
        # the hostile district name is shown as text, never run
        assert page.locator("table.districts").inner_text().count(EVIL) == 1
        assert page.evaluate("typeof window.alert") == "function"
        data = page.evaluate("JSON.parse(document.getElementById('report-data').textContent)")
        assert data["lang"] == lang and sorted(data["forecast"]) == SHIPPED
        assert page.locator(".banner").is_visible()
    finally:
        page.close()


def test_report_prints_to_pdf(browser: Any, reports: dict[str, Path]) -> None:
    page, errors, _ = _open(browser, reports["en"])
    try:
        page.emulate_media(media="print")
        assert not page.locator("nav").is_visible()
        assert page.locator(".banner").is_visible()
        pdf = page.pdf(format="A4")
    finally:
        page.close()
    assert pdf.startswith(b"%PDF")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages >= 5, "chapters start on new pages"
    assert errors == []
