"""The maps in a real headless Chromium: offline loading, layer toggles, popups, escaping.

Chromium is Debian's (/usr/bin/chromium); Playwright drives it and never
downloads a browser of its own. Every request that is not ``file:`` or
``data:`` is recorded; basemap tiles are answered with a blank tile, anything
else is refused, so a map that needs the internet for anything but its
basemap fails here. Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pyproj import Transformer
from test_maps import EVIL_CONTACT, EVIL_OWNER, write_map_workspace

from ductplanner.app.demo import TINY_ORIGIN
from ductplanner.app.workflows.maps import save_map, workspace_map

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TILE_HOSTS = ("tile.openstreetmap.org",)


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """Return a plain-colour PNG (a stand-in basemap tile)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


BLANK_TILE = _png(256, 256, (236, 236, 232))
TO_LONLAT = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True)


@pytest.fixture(scope="module")
def maps_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Self-contained maps of the tiny town with derived layers and a hostile dig."""
    folder = tmp_path_factory.mktemp("browser-maps")
    workspace = write_map_workspace(folder / "town.gpkg", evil=True)
    for audience, owner in (("manager", None), ("committee", None), ("utility", "Radius")):
        m = workspace_map(workspace, audience=audience, owner=owner, self_contained=True)
        save_map(m, folder / f"{audience}.html")
    return folder


@dataclass
class Visit:
    """An open page and what happened while it loaded."""

    page: Any
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    tiles: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def _open(browser: Any, path: Path) -> Visit:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    visit = Visit(page)

    def route(route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        elif any(f"//{host}/" in url for host in TILE_HOSTS):
            visit.tiles.append(url)
            route.fulfill(status=200, content_type="image/png", body=BLANK_TILE)
        else:
            visit.refused.append(url)
            route.abort()

    def on_dialog(dialog: Any) -> None:
        visit.dialogs.append(dialog.message)
        dialog.dismiss()

    page.route("**/*", route)
    page.on("console", lambda m: visit.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: visit.errors.append(str(e)))
    page.on("requestfailed", lambda r: visit.failed.append(r.url))
    page.on("dialog", on_dialog)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("window.ductplanner && window.ductplanner.map !== null")
    page.wait_for_timeout(300)  # let chunked cluster loading and tiles settle
    return visit


@pytest.fixture
def manager(browser: Any, maps_dir: Path) -> Iterator[Visit]:
    visit = _open(browser, maps_dir / "manager.html")
    yield visit
    visit.page.close()


def _click_at(visit: Visit, x: float, y: float) -> None:
    """Click the map where the tiny town's offset (x, y) metres lies."""
    lon, lat = TO_LONLAT.transform(TINY_ORIGIN[0] + x, TINY_ORIGIN[1] + y)
    point = visit.page.evaluate(
        """([lat, lon]) => {
            const m = window.ductplanner.map;
            const p = m.latLngToContainerPoint([lat, lon]);
            const box = m.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        [lat, lon],
    )
    visit.page.mouse.click(*point)


def _popup_text(visit: Visit, screenshot: str | None = None) -> str:
    """Return the text of the open popup (screenshot it if asked), then close it."""
    popup = visit.page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=3000)
    text = popup.inner_text()
    if screenshot:
        ARTIFACTS.mkdir(exist_ok=True)
        visit.page.screenshot(path=str(ARTIFACTS / screenshot))
    visit.page.evaluate("() => { window.ductplanner.map.closePopup(); }")
    popup.wait_for(state="detached", timeout=3000)
    return text


def test_self_contained_map_loads_offline_without_errors(manager: Visit) -> None:
    page = manager.page
    assert page.evaluate("typeof window.L") == "object"
    assert page.evaluate("window.L.version") == "1.9.4"
    assert page.evaluate("typeof window.L.markerClusterGroup") == "function"
    assert manager.errors == []
    assert manager.refused == []
    assert manager.failed == []
    assert manager.tiles, "the OpenStreetMap basemap should ask for tiles"
    assert (
        page.locator(".leaflet-marker-pane .dp-site").count() == 2
    )  # the school and the care home
    assert page.locator(".dp-cluster, .leaflet-interactive").count() > 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-manager.png"))


def test_every_legend_layer_exists_and_toggles_in_the_layer_control(manager: Visit) -> None:
    page = manager.page
    legend = page.eval_on_selector_all(".dp-legend-layer", "els => els.map(e => e.dataset.layer)")
    control = page.eval_on_selector_all(
        ".leaflet-control-layers-overlays label", "els => els.map(e => e.innerText.trim())"
    )
    assert sorted(legend) == sorted(control)
    assert {"Districts", "Third-party digs", "Chosen plan", "Addresses", "Ducts"} <= set(legend)
    has_layer = "name => window.ductplanner.map.hasLayer(window.ductplanner.layers[name])"
    for name in legend:
        box = page.locator(".leaflet-control-layers-overlays label", has_text=name).locator("input")
        assert page.evaluate(has_layer, name) is True, name
        box.click()
        assert page.evaluate(has_layer, name) is False, name
        box.click()
        assert page.evaluate(has_layer, name) is True, name
    assert manager.errors == []


def test_base_layers_switch_to_no_basemap(manager: Visit) -> None:
    page = manager.page
    bases = page.eval_on_selector_all(
        ".leaflet-control-layers-base label", "els => els.map(e => e.innerText.trim())"
    )
    assert bases == ["OpenStreetMap", "No basemap"]
    page.locator(".leaflet-control-layers-base label", has_text="No basemap").click()
    assert page.locator(".leaflet-tile-pane img").count() == 0


def test_popups_open_on_click(manager: Visit) -> None:
    page = manager.page
    page.locator(".leaflet-marker-pane .dp-site", has_text="S").click()
    assert "Skolen" in _popup_text(manager)
    _click_at(manager, 60, 100)  # Skolevej, under Novafos's dig
    text = _popup_text(manager, screenshot="map-popup.png")
    assert "Dig NOV-1" in text and "Novafos" in text and "2020-04-01 – 2020-06-30" in text
    _click_at(manager, 60, 150)  # inside district Vest, away from every line
    assert "4 of 16 households, 25.0 %" in _popup_text(manager)


def test_hostile_text_shows_as_text_and_runs_nothing(manager: Visit) -> None:
    _click_at(manager, 60, 200)  # Parkvej, under the hostile dig
    text = _popup_text(manager, screenshot="map-hostile-popup.png")
    assert EVIL_OWNER in text and EVIL_CONTACT in text
    manager.page.locator(".dp-about summary").click()
    assert "<img src=x onerror=alert(4)>.csv" in manager.page.locator(".dp-about").inner_text()
    manager.page.wait_for_timeout(300)
    assert manager.dialogs == []
    assert manager.page.locator(".dp-popup img, .dp-panel img").count() == 0
    assert manager.errors == []


def test_addresses_cluster_into_household_counts_and_open_to_coloured_points(
    manager: Visit,
) -> None:
    page = manager.page
    page.evaluate("() => { window.ductplanner.map.setZoom(12, {animate: false}); }")
    cluster = page.locator(".leaflet-marker-pane .dp-cluster")
    cluster.first.wait_for(timeout=3000)
    assert cluster.count() == 1 and cluster.inner_text().strip() == "40"  # all 40 households
    assert "conic-gradient" in cluster.locator("div").get_attribute("style")
    page.evaluate("() => { window.ductplanner.map.setZoom(17, {animate: false}); }")
    cluster.first.wait_for(state="detached", timeout=3000)
    colours = page.evaluate(
        """() => {
            const found = [];
            window.ductplanner.layers["Addresses"].eachLayer(m => found.push(m.options.fillColor));
            return found;
        }"""
    )
    assert len(colours) == 16 and len(set(colours)) == 3  # covered, not covered, beyond drop
    assert manager.errors == []


@pytest.mark.parametrize("audience", ["committee", "utility"])
def test_other_audiences_load_offline_without_errors(
    browser: Any, maps_dir: Path, audience: str
) -> None:
    visit = _open(browser, maps_dir / f"{audience}.html")
    try:
        assert visit.errors == [] and visit.refused == [] and visit.failed == []
        ARTIFACTS.mkdir(exist_ok=True)
        visit.page.screenshot(path=str(ARTIFACTS / f"map-{audience}.png"))
    finally:
        visit.page.close()


# --- the forecast's time view and the scenario comparison ------------------------------


@pytest.fixture(scope="module")
def views_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Self-contained time and comparison maps of the tiny town's hand-written forecast."""
    from test_map_views import write_forecast_workspace

    from ductplanner.app.workflows.maps import comparison_map, forecast_map

    folder = tmp_path_factory.mktemp("browser-views")
    workspace = write_forecast_workspace(folder / "town.gpkg")
    save_map(forecast_map(workspace, "revised-2019", self_contained=True), folder / "time.html")
    compared = comparison_map(workspace, ["revised-2019", "shutdown"], self_contained=True)
    save_map(compared, folder / "compare.html")
    return folder


SHOWN_YEARS = """() => {
    const d = window.ductplanner;
    return Object.keys(d.years).filter(y => d.map.hasLayer(d.years[y])).map(Number);
}"""
YEAR_FIGURES = """() => {
    const d = window.ductplanner, group = d.years[d.year].getLayers();
    const vest = group[0].getLayers().find(l => l.feature.properties.t[0].includes("Vest"));
    return {lines: group[1].getLayers().length, vest: vest.options.fillColor};
}"""


def test_time_view_loads_offline_with_exactly_one_year_shown(browser: Any, views_dir: Path) -> None:
    visit = _open(browser, views_dir / "time.html")
    try:
        page = visit.page
        assert visit.errors == [] and visit.refused == [] and visit.failed == []
        assert page.evaluate(SHOWN_YEARS) == [2020]
        assert page.locator(".dp-years .dp-year").inner_text() == "2020"
        assert page.evaluate(YEAR_FIGURES) == {"lines": 1, "vest": "#78c679"}
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map-time-2020.png"))
    finally:
        visit.page.close()


def test_year_switch_changes_the_year_shown(browser: Any, views_dir: Path) -> None:
    visit = _open(browser, views_dir / "time.html")
    try:
        page = visit.page
        page.locator(".dp-years .dp-next").click()
        assert page.evaluate(SHOWN_YEARS) == [2021]
        assert "2021: median 14 of 40 households" in page.locator(".dp-year-figures").inner_text()
        assert page.evaluate(YEAR_FIGURES) == {"lines": 2, "vest": "#31a354"}
        slider = page.locator(".dp-years input[type=range]")
        slider.fill("2")  # the slider's position of 2022
        assert page.evaluate(SHOWN_YEARS) == [2022]
        assert page.locator(".dp-years .dp-year").inner_text() == "2022"
        assert page.evaluate(YEAR_FIGURES) == {"lines": 3, "vest": "#006837"}
        page.locator(".dp-years .dp-prev").click()
        assert page.evaluate(SHOWN_YEARS) == [2021]
        assert visit.errors == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map-time-2021.png"))
    finally:
        visit.page.close()


CENTRES = """() => window.ductplanner.maps.map(m => {
    const c = m.getCenter();
    return [c.lat, c.lng, m.getZoom()];
})"""
SUB_PIXEL_DEGREES = 1e-6  # about 0.1 m; one pixel at zoom 16 is about 1e-5 degrees


def _centres_at_rest(page: Any) -> list[list[float]]:
    """Map centres once a drag's inertia has stopped moving them."""
    previous = page.evaluate(CENTRES)
    for _ in range(40):
        page.wait_for_timeout(100)
        current = page.evaluate(CENTRES)
        if current == previous:
            return list(current)
        previous = current
    raise AssertionError(f"the maps kept moving after the drag: {previous}")


def test_comparison_has_two_maps_that_stay_in_sync(browser: Any, views_dir: Path) -> None:
    visit = _open(browser, views_dir / "compare.html")
    try:
        page = visit.page
        assert visit.errors == [] and visit.refused == [] and visit.failed == []
        assert page.locator(".leaflet-container").count() == 2
        assert page.locator(".dp-legend").count() == 1
        titles = page.locator(".dp-title").all_inner_texts()
        assert "revised-2019" in titles[0] and "shutdown" in titles[1]
        before = page.evaluate(CENTRES)
        assert before[0] == before[1]
        page.mouse.move(420, 420)  # drag the left map
        page.mouse.down()
        page.mouse.move(560, 500, steps=8)
        page.mouse.up()
        left, right = _centres_at_rest(page)
        assert left != before[0] and left == pytest.approx(right, abs=SUB_PIXEL_DEGREES)
        page.evaluate("() => { window.ductplanner.maps[1].zoomIn(1, {animate: false}); }")
        left, right = page.evaluate(CENTRES)
        assert left[2] == right[2] == before[0][2] + 1
        assert left == pytest.approx(right, abs=SUB_PIXEL_DEGREES)
        assert visit.errors == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map-compare.png"))
    finally:
        visit.page.close()


@pytest.fixture(scope="module")
def danish_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser-maps-da")
    workspace = write_map_workspace(folder / "town.gpkg")
    return save_map(workspace_map(workspace, self_contained=True, lang="da"), folder / "da.html")


def test_a_danish_map_works_in_danish(browser: Any, danish_map: Path) -> None:
    from ductplanner.render.map_words import map_language, tr

    visit = _open(browser, danish_map)
    page = visit.page
    with map_language("da"):
        no_basemap, dig, digs_layer = (
            tr("No basemap"),
            tr("Dig {id}", id="NOV-1"),
            tr("Third-party digs"),
        )
    assert page.evaluate("document.documentElement.lang") == "da"
    legend = page.eval_on_selector_all(".dp-legend-layer", "els => els.map(e => e.dataset.layer)")
    control = page.eval_on_selector_all(
        ".leaflet-control-layers-overlays label", "els => els.map(e => e.innerText.trim())"
    )
    assert sorted(legend) == sorted(control) and digs_layer in control
    assert "Third-party digs" not in control
    has_layer = "name => window.ductplanner.map.hasLayer(window.ductplanner.layers[name])"
    box = page.locator(".leaflet-control-layers-overlays label", has_text=digs_layer).locator(
        "input"
    )
    box.click()
    assert page.evaluate(has_layer, digs_layer) is False
    box.click()
    bases = page.eval_on_selector_all(
        ".leaflet-control-layers-base label", "els => els.map(e => e.innerText.trim())"
    )
    assert bases == ["OpenStreetMap", no_basemap] and no_basemap != "No basemap"
    _click_at(visit, 60, 100)  # Skolevej, under Novafos's dig
    text = _popup_text(visit, screenshot="map-popup-da.png")
    assert dig in text and dig != "Dig NOV-1" and "Novafos" in text
    assert visit.errors == [] and visit.refused == []
    page.close()
