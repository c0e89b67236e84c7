"""HTML-level tests of the maps: layers, popups, escaping, size, rounding, About panel.

The derived layers (``coverage``, ``district_coverage``, ``opportunities``,
``plan``) are written by hand into the tiny town, following their schemas, so
these tests do not depend on the steps that compute them.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import LineString, Point

from ductplanner import MissingInputError, WorkspaceError
from ductplanner.app.demo import TINY_ORIGIN, tiny_layers
from ductplanner.app.workflows.coverage import coverage_workspace
from ductplanner.app.workflows.maps import save_map, workspace_map
from ductplanner.cli import main
from ductplanner.io.assets import ASSETS_DIR, asset_tags, assets_installed
from ductplanner.io.workspace import write_layers
from ductplanner.model.layers import DEFAULT_WORKSPACE_CRS, require_valid, validate_layer
from ductplanner.pipeline import maps_step
from ductplanner.render.leaflet import Overlay
from ductplanner.render.maps import layer_overlays
from ductplanner.render.page import COVERAGE_DEFINITION, TOKEN_ENV

EVIL_OWNER = "<script>alert(1)</script>"
EVIL_CONTACT = '"><img src=x onerror=alert(2)>'
EVIL_ID = "</script><script>alert(3)</script>"
EVIL_SOURCE = "<img src=x onerror=alert(4)>.csv"

# Hand-written coverage of the tiny town: A01 and A02 lie on the connected duct D1,
# A16 is beyond the drop distance, A06 already has a fast line. Vest is x < 150.
COVERED = {"A01", "A02"}
BEYOND = {"A16"}
SERVED = {"A06"}
DISTRICT_FIGURES = {
    # name: households total, duct-covered, served; addresses total, covered, beyond drop
    "Vest": (16, 4, 0, 6, 1, 0),
    "Øst": (24, 2, 2, 10, 1, 1),
}


def _at(x: float, y: float) -> tuple[float, float]:
    return TINY_ORIGIN[0] + x, TINY_ORIGIN[1] + y


def _valid(gdf: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    clean, problems = validate_layer(gdf, layer)
    require_valid(problems)
    return clean


def coverage_layers(tiny: dict[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    """Return hand-written ``coverage`` and ``district_coverage`` layers of the tiny town."""
    addresses = tiny["addresses"]
    vest = addresses.geometry.x < TINY_ORIGIN[0] + 150
    coverage = gpd.GeoDataFrame(
        {
            "id": addresses["id"],
            "units": addresses["units"],
            "district": np.where(vest, "Vest", "Øst"),
            "beyond_drop": addresses["id"].isin(BEYOND),
            "duct_covered": addresses["id"].isin(COVERED),
            "served": addresses["id"].isin(SERVED),
        },
        geometry=addresses.geometry,
        crs=DEFAULT_WORKSPACE_CRS,
    )
    districts = tiny["districts"].set_index("name")
    rows = [
        {
            "id": districts.loc[name, "id"],
            "name": name,
            "households_total": f[0],
            "households_duct_covered": f[1],
            "households_served": f[2],
            "addresses_total": f[3],
            "addresses_duct_covered": f[4],
            "addresses_beyond_drop": f[5],
            "geometry": districts.loc[name, "geometry"],
        }
        for name, f in DISTRICT_FIGURES.items()
    ]
    district_coverage = gpd.GeoDataFrame(rows, geometry="geometry", crs=DEFAULT_WORKSPACE_CRS)
    return {
        "coverage": _valid(coverage, "coverage"),
        "district_coverage": _valid(district_coverage, "district_coverage"),
    }


def _lines(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=DEFAULT_WORKSPACE_CRS)


def planning_layers() -> dict[str, gpd.GeoDataFrame]:
    """Return hand-written ``opportunities``, ``conflicts`` and ``plan``, with their columns.

    Radius's dig on Møllevej is a candidate and chosen; Novafos and the fibre
    project open Skolevej's east end four months apart.
    """
    row = {"dig_id": "RAD-1", "owner": "Radius", "year": 2021, "metres": 200.0}
    row |= {"cost_dkk": 36000.0, "geometry": LineString([_at(200, 0), _at(200, 200)])}
    opportunities = _lines(
        [
            {
                "id": "OPP-1",
                **row,
                "purpose": "power",
                "edge_id": "V2:1",
                "start": pd.Timestamp("2021-03-01"),
                "end": pd.Timestamp("2021-05-31"),
                "probability": 0.7,
                "confidence": "budgeted",
                "dig_status": "planned",
                "households_now": 7,
                "households_potential": 9,
                "touches": "network",
                "candidate": True,
            }
        ]
    )
    conflicts = _lines(
        [
            {
                "id": "CON-1",
                "edge_id": "H1:4",
                "dig_a": "NOV-1",
                "owner_a": "Novafos",
                "start_a": pd.Timestamp("2020-04-01"),
                "dig_b": "FIB-1",
                "owner_b": "Ballerup Kommune",
                "start_b": pd.Timestamp("2020-08-01"),
                "gap_years": 0.33,
                "metres": 10.0,
                "geometry": LineString([_at(290, 100), _at(300, 100)]),
            }
        ]
    )
    plan = _lines(
        [
            {
                "id": "PLAN-1",
                "opportunity_id": "OPP-1",
                **row,
                "edge_id": "V2:1",
                "kind": "co-dig",
                "households": 7,
                "why": "7 households for DKK 36,000",
                "method": "greedy",
                "scenario": "revised-2019",
            }
        ]
    )
    return {"opportunities": opportunities, "conflicts": conflicts, "plan": plan}


def evil_dig() -> gpd.GeoDataFrame:
    """Return a dig whose owner, id and contact are markup (along Parkvej)."""
    dig = gpd.GeoDataFrame(
        [
            {
                "id": EVIL_ID,
                "owner": EVIL_OWNER,
                "purpose": "power",
                "start": "2021-06-01",
                "end": "2021-07-01",
                "status": "confirmed",
                "confidence": "firm",
                "contact": EVIL_CONTACT,
                "geometry": LineString([_at(0, 200), _at(300, 200)]),
            }
        ],
        geometry="geometry",
        crs=DEFAULT_WORKSPACE_CRS,
    )
    return _valid(dig, "digs")


def write_map_workspace(path: Path, *, derived: bool = True, evil: bool = False) -> Path:
    """Write the tiny town, with hand-written derived layers and a hostile dig if asked."""
    layers = tiny_layers()
    if evil:
        layers["digs"] = pd.concat([layers["digs"], evil_dig()], ignore_index=True)
    write_layers(path, layers, synthetic=True, sources={"digs": EVIL_SOURCE} if evil else None)
    if derived:
        write_layers(path, {**coverage_layers(tiny_layers()), **planning_layers()})
    return path


@pytest.fixture(scope="module")
def map_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny town with hand-written derived layers (read only: shared by the module)."""
    return write_map_workspace(tmp_path_factory.mktemp("maps") / "town.gpkg")


@pytest.fixture(scope="module")
def evil_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_map_workspace(tmp_path_factory.mktemp("maps") / "evil.gpkg", evil=True)


@pytest.fixture(scope="module")
def page(map_workspace: Path) -> str:
    """The project manager's map of ``map_workspace``, as HTML."""
    return render(map_workspace)


def render(workspace: Path, **kwargs: object) -> str:
    return workspace_map(workspace, **kwargs).get_root().render()


def embedded(page: str, call: str) -> list:
    """Return the JSON arguments of every ``call(...)`` of the page's data (first argument)."""
    found = []
    for match in re.finditer(re.escape(call) + r"\((.*)\);\n", page):
        decoder = json.JSONDecoder()
        data, _ = decoder.raw_decode(match.group(1))
        found.append(data)
    return found


def panel(page: str, name: str) -> str:
    """Return the HTML of the legend or About panel (``dp-legend``, ``dp-about``)."""
    match = re.search(rf'"{name}",\s*("(?:[^"\\]|\\.)*")\)', page)
    return json.loads(match.group(1))


def overlay_names(page: str) -> list[str]:
    pattern = r'dpRegister\(\w+, ("(?:[^"\\]|\\.)*"),'
    return [json.loads(name) for name in re.findall(pattern, page)]


# --- what is on the map --------------------------------------------------------------


def test_every_layer_is_drawn_in_order_with_derived_layers(page: str) -> None:
    assert overlay_names(page) == [
        "Districts",
        "Streets",
        "Third-party digs",
        "Co-digging opportunities",
        "Digs in the same street",
        "Chosen plan",
        "Ducts",
        "Backbone",
        "Municipal sites",
        "Addresses",
    ]


def test_absent_derived_layers_are_not_drawn_and_the_about_panel_says_so(
    tiny_workspace: Path,
) -> None:
    page = render(tiny_workspace)
    names = overlay_names(page)
    assert "Co-digging opportunities" not in names
    assert "Chosen plan" not in names
    assert "not computed yet: run `ductplanner coverage WORKSPACE`" in page
    assert "not computed yet: run `ductplanner opportunities WORKSPACE`" in page
    assert "coverage not computed" in page  # addresses and districts say it too


def test_district_tooltips_state_households_and_share(page: str) -> None:
    assert "4 of 16 households, 25.0 %" in page
    assert "2 of 24 households, 8.3 %" in page


def test_addresses_are_coloured_by_the_coverage_layer(page: str) -> None:
    (rows,) = embedded(page, "dpAddresses")
    state = {r[4]: r[3] for r in rows}
    assert len(rows) == 16
    assert {i for i, s in state.items() if s == 0} == COVERED
    assert {i for i, s in state.items() if s == 2} == BEYOND
    assert sum(r[2] for r in rows) == 40
    assert {r[4] for r in rows if r[5]} == SERVED


def popups(overlay: Overlay) -> list[str]:
    """Return the HTML popups of an overlay's features, as the page shows them."""
    return [overlay.popup_html(f) for f in overlay.data]


def test_dig_popup_has_owner_dates_metres_cost_and_households(map_workspace: Path) -> None:
    digs = next(o for o in layer_overlays(_read(map_workspace)) if o.source == "digs")
    popup = next(p for p in popups(digs) if "Dig RAD-1" in p)
    for fact in ("Radius", "2021-03-01 – 2021-05-31", "200", "36,000"):
        assert fact in popup
    assert "Households gained (covered at once)</th><td>7<" in popup
    assert "Households gained once connected</th><td>9<" in popup
    assert "Chosen in the plan</th><td>2021" in popup


def test_map_of_coverage_computed_by_the_coverage_step(tmp_path: Path) -> None:
    path = tmp_path / "computed.gpkg"
    write_layers(path, tiny_layers(), synthetic=True)
    coverage_workspace(path)
    page = render(path)
    (rows,) = embedded(page, "dpAddresses")
    assert sum(r[2] for r in rows if r[3] == 0) == 6  # the step's 6 of 40 households
    assert "drop distance 30 m" in panel(page, "dp-about")


def test_dig_popup_without_opportunities_says_they_are_not_computed(tiny_workspace: Path) -> None:
    page = render(tiny_workspace)
    assert "not computed (run `ductplanner opportunities`)" in page


def _cells(popup: str) -> dict[str, str]:
    return dict(re.findall(r"<tr><th>([^<]*)</th><td>([^<]*)</td></tr>", popup))


def test_opportunity_popup_has_owner_dates_metres_cost_and_households(map_workspace: Path) -> None:
    overlays = {o.name: o for o in layer_overlays(_read(map_workspace))}
    (popup,) = popups(overlays["Co-digging opportunities"])
    assert "Candidate OPP-1" in popup
    assert _cells(popup) == {
        "Dig": "RAD-1",
        "Owner": "Radius",
        "Purpose": "power",
        "Year": "2021",
        "Dates": "2021-03-01 – 2021-05-31",
        "Dig status": "planned",
        "Confidence": "budgeted",
        "Probability the trench opens": "70 %",
        "Street": "V2:1",
        "Metres": "200",
        "Cost (DKK)": "36,000",
        "Households gained if laid (covered at once)": "7",
        "Households gained once connected": "9",
        "Touches": "the connected duct network",
        "In the plan years": "yes",
    }


def test_plan_is_highlighted_and_its_popup_says_why(map_workspace: Path) -> None:
    overlays = {o.name: o for o in layer_overlays(_read(map_workspace))}
    plan, opportunities = overlays["Chosen plan"], overlays["Co-digging opportunities"]
    (popup,) = popups(plan)
    assert "Chosen PLAN-1: lay ducts in 2021" in popup
    cells = _cells(popup)
    assert cells["Owner"] == "Radius" and cells["Households gained"] == "7"
    assert cells["Why"] == "7 households for DKK 36,000" and cells["Scenario"] == "revised-2019"
    # drawn above the candidates, in a strong colour, as wide as a highlight
    names = [o.name for o in layer_overlays(_read(map_workspace))]
    assert names.index("Chosen plan") > names.index("Co-digging opportunities")
    assert plan.styles[0]["opacity"] > opportunities.styles[0]["opacity"]
    assert plan.styles[0]["weight"] >= 8


def test_conflict_popup_names_both_digs(map_workspace: Path) -> None:
    overlays = {o.name: o for o in layer_overlays(_read(map_workspace))}
    (popup,) = popups(overlays["Digs in the same street"])
    cells = _cells(popup)
    assert (
        cells["First dig"] == "NOV-1 (Novafos)"
        and cells["Second dig"] == "FIB-1 (Ballerup Kommune)"
    )
    assert cells["Years between"] == "0.33" and cells["Metres in common"] == "10"
    utility = layer_overlays(_read(map_workspace), audience="utility")
    assert "Digs in the same street" in [o.name for o in utility]


def _read(workspace: Path) -> dict[str, gpd.GeoDataFrame]:
    from ductplanner.io.workspace import list_layers, read_layer

    return {
        name: read_layer(workspace, name)
        for name in list_layers(workspace)
        if name != "layer_sources"
    }


def test_ducts_use_a_connected_column_when_there_is_one(tiny: dict) -> None:
    ducts = tiny["ducts"].assign(connected=[True, False])
    (overlay,) = layer_overlays({"ducts": ducts})
    styles = [overlay.styles[f["properties"]["s"]] for f in overlay.data]
    assert "dashArray" not in styles[0] and styles[1]["dashArray"] == "1 7"
    assert any("island" in e.label for e in overlay.legend)
    (plain,) = layer_overlays({"ducts": tiny["ducts"]})
    assert not any("island" in e.label for e in plain.legend)


def test_digs_are_coloured_by_owner_and_dashed_only_when_planned(tiny: dict) -> None:
    (overlay,) = layer_overlays({"digs": tiny["digs"]})
    styles = {
        re.search(r"Dig ([^<]+)<", overlay.popup_html(f)).group(1): overlay.styles[
            f["properties"]["s"]
        ]
        for f in overlay.data
    }
    assert len({s["color"] for s in styles.values()}) == 3
    assert "dashArray" not in styles["NOV-1"]  # confirmed
    assert styles["RAD-1"]["dashArray"] == styles["FIB-1"]["dashArray"]  # planned


def test_streets_are_merged_into_one_feature_per_style(tiny: dict) -> None:
    (overlay,) = layer_overlays({"streets": tiny["streets"]})
    assert len(overlay.data) == 2  # streets and paths
    assert [e.label for e in overlay.legend] == ["Streets", "Paths"]


def test_audiences_choose_layers(map_workspace: Path) -> None:
    committee = render(map_workspace, audience="committee")
    assert "Addresses" in overlay_names(committee)
    utility = render(map_workspace, audience="utility", owner="Radius")
    assert "Addresses" not in overlay_names(utility)
    (digs,) = [d for d in embedded(utility, "dpGeoJson") if '["Dig ' in json.dumps(d)]
    assert len(digs["features"]) == 1 and digs["features"][0]["properties"]["p"][0] == "Dig RAD-1"
    with pytest.raises(WorkspaceError, match="owners with digs: Ballerup Kommune, Novafos"):
        workspace_map(map_workspace, audience="utility", owner="Nobody")
    with pytest.raises(WorkspaceError, match="unknown map audience"):
        workspace_map(map_workspace, audience="public")


# --- escaping --------------------------------------------------------------------------


def test_hostile_text_from_input_files_is_escaped(evil_workspace: Path) -> None:
    page = render(evil_workspace)
    for raw in (EVIL_OWNER, EVIL_CONTACT, EVIL_ID, EVIL_SOURCE, "<img", "alert(1)</"):
        assert raw not in page
    # the text is there, as text: escaped once in the HTML, written as \u003c in the JSON
    assert "\\u0026lt;script\\u0026gt;alert(1)\\u0026lt;/script\\u0026gt;" in page
    assert "&lt;img src=x onerror=alert(4)&gt;.csv" in panel(page, "dp-about")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in panel(page, "dp-legend")
    # the only <script> elements are the page's own
    assert page.count("<script") == page.count("</script>")


# --- coordinates and size --------------------------------------------------------------


def _positions(value: object) -> list[list[float]]:
    """Return the [x, y] positions of GeoJSON coordinates, however nested."""
    if isinstance(value, list) and value and isinstance(value[0], float):
        return [value]
    return [p for item in value for p in _positions(item)] if isinstance(value, list) else []


def test_coordinates_are_lonlat_rounded_to_six_decimals(page: str) -> None:
    lonlat = [
        p
        for data in embedded(page, "dpGeoJson")
        for feature in data["features"]
        for p in _positions(feature["geometry"]["coordinates"])
    ]
    latlon = [row[:2] for row in embedded(page, "dpAddresses")[0]]
    numbers = [n for p in lonlat + latlon for n in p]
    assert numbers and all(round(n, 6) == n for n in numbers)
    # the tiny town lies in Ballerup, about 12.35 E, 55.72 N
    assert all(12.3 < lon < 12.4 and 55.7 < lat < 55.8 for lon, lat in lonlat)
    assert all(12.3 < lon < 12.4 and 55.7 < lat < 55.8 for lat, lon in latlon)
    assert not re.search(r"\d\.\d{7,}", page)  # nothing else with needless digits either


def test_map_of_the_tiny_town_is_small(page: str) -> None:
    assert len(page.encode()) < 60_000


def test_many_addresses_cost_under_60_bytes_each(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 5000
    x = rng.uniform(700_000, 710_000, n)
    y = rng.uniform(6_170_000, 6_180_000, n)
    addresses = gpd.GeoDataFrame(
        {"id": [f"ADR{i:06d}" for i in range(n)], "units": rng.integers(1, 4, n)},
        geometry=gpd.points_from_xy(x, y),
        crs=DEFAULT_WORKSPACE_CRS,
    )
    path = tmp_path / "many.gpkg"
    write_layers(path, {"addresses": _valid(addresses, "addresses")})
    small = tmp_path / "one.gpkg"
    write_layers(small, {"addresses": _valid(addresses.head(1), "addresses")})
    extra = len(render(path).encode()) - len(render(small).encode())
    assert extra / (n - 1) < 60


# --- About panel -----------------------------------------------------------------------


def test_about_panel_lists_sources_dates_and_synthetic_flag(page: str) -> None:
    about = panel(page, "dp-about")
    assert html.escape(COVERAGE_DEFINITION) in about
    for layer in (
        "streets",
        "digs",
        "coverage",
        "district_coverage",
        "opportunities",
        "conflicts",
        "plan",
    ):
        assert f"<td>{layer}</td>" in about
    today = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d")
    assert today in about
    assert "synthetic (demo)" in about
    assert "<td>ductplanner</td>" in about  # the source recorded for hand-made layers


def test_about_panel_says_how_far_the_plan_is_from_the_best_possible(tmp_path: Path) -> None:
    path = tmp_path / "planned.gpkg"
    write_layers(path, tiny_layers(), synthetic=True)
    from_2019 = ["--scenario", "revised-2019", "--from", "2019", "--quiet"]
    assert main(["plan", str(path), *from_2019]) == 0
    about = panel(render(path), "dp-about")
    assert "co-digging only, milp: proven the best possible</td>" in about
    assert main(["plan", str(path), *from_2019, "--method", "greedy"]) == 0
    about = panel(render(path), "dp-about")
    assert "greedy: no proven gap: greedy is a heuristic without a bound</td>" in about


def test_about_panel_says_real_for_real_data(tmp_path: Path) -> None:
    path = tmp_path / "real.gpkg"
    write_layers(path, {"streets": tiny_layers()["streets"]}, sources={"streets": "vejmidte.gml"})
    about = panel(render(path), "dp-about")
    assert "<td>vejmidte.gml</td>" in about and "<td>real</td>" in about


# --- basemaps --------------------------------------------------------------------------


def test_skaermkort_basemap_only_with_a_token(
    map_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    page = render(map_workspace)
    assert "dataforsyningen" not in page
    assert '"No basemap"' in page and '"OpenStreetMap"' in page
    with pytest.raises(WorkspaceError, match=TOKEN_ENV):
        workspace_map(map_workspace, basemap="skaermkort")
    monkeypatch.setenv(TOKEN_ENV, "abc123")
    page = render(map_workspace)
    assert "https://api.dataforsyningen.dk/topo_skaermkort_DAF?token=abc123" in page


# --- self-contained --------------------------------------------------------------------


needs_assets = pytest.mark.skipif(
    not assets_installed(),
    reason="map assets not installed: run `npm ci --prefix ductplanner/assets`",
)


@needs_assets
def test_self_contained_map_references_nothing_outside(map_workspace: Path) -> None:
    page = render(map_workspace, self_contained=True)
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", page)
    assert "sourceMappingURL" not in page
    urls = set(re.findall(r"url\(([^)]*)\)", page))
    assert urls and all(u.startswith(('"data:', "#")) for u in urls)
    assert "window.L=" in page.replace(" ", "") or "window.L =" in page


def test_self_contained_without_assets_names_the_package_and_the_command(
    map_workspace: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "assets"
    empty.mkdir()
    shutil.copy(ASSETS_DIR / "package.json", empty)
    with pytest.raises(MissingInputError, match=r"'leaflet'.*npm ci --prefix"):
        workspace_map(map_workspace, self_contained=True, assets_dir=empty)
    with pytest.raises(MissingInputError, match=r"npm ci --prefix"):
        asset_tags(self_contained=True, assets_dir=tmp_path / "nowhere")


def test_cdn_map_links_the_pinned_versions(map_workspace: Path) -> None:
    pinned = json.loads((ASSETS_DIR / "package.json").read_text())["dependencies"]
    page = render(map_workspace)
    assert f"https://cdn.jsdelivr.net/npm/leaflet@{pinned['leaflet']}/dist/leaflet.js" in page
    assert "jquery" not in page and "bootstrap" not in page  # folium's extras are dropped


# --- command line and demo step --------------------------------------------------------


def test_cli_map_writes_the_file_and_reports_it(
    map_workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "town.html"
    assert main(["map", str(map_workspace), "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["out"] == str(out) and summary["bytes"] == out.stat().st_size
    assert summary["layers"][0] == "Districts" and summary["not_computed"] == []
    assert '<html lang="en">' in out.read_text()


def test_cli_map_of_a_missing_workspace_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["map", str(tmp_path / "none.gpkg"), "--out", str(tmp_path / "x.html")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


@pytest.mark.slow
def test_demo_step_writes_a_map_per_audience_and_utility(
    map_workspace: Path, tmp_path: Path
) -> None:
    from ductplanner.pipeline import DemoContext

    ctx = DemoContext(map_workspace, tmp_path / "out", 2019, tmp_path)
    outcome = maps_step(ctx)
    names = sorted(p.name for p in outcome.written)
    assert names == [
        "committee.html",
        "utility-ballerup-kommune.html",
        "utility-novafos.html",
        "utility-radius.html",
        "workspace.html",
    ]
    assert all(p.stat().st_size > 0 for p in outcome.written)
    assert outcome.summary["self_contained"] == assets_installed()


def test_save_map_replaces_the_file_atomically(map_workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.html"
    out.write_text("old")
    save_map(workspace_map(map_workspace), out)
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert list(tmp_path.glob(".m.html*")) == []


def test_point_geometries_in_derived_layers_are_drawn(tiny: dict) -> None:
    points = gpd.GeoDataFrame(
        {"id": ["X1"], "dig_id": ["NOV-1"]},
        geometry=[Point(_at(10, 100))],
        crs=DEFAULT_WORKSPACE_CRS,
    )
    (overlay,) = layer_overlays({"opportunities": points})
    assert overlay.data[0]["geometry"]["type"] == "Point"
    assert "radius" in overlay.styles[overlay.data[0]["properties"]["s"]]


def test_the_same_workspace_draws_the_same_bytes(map_workspace: Path, tmp_path: Path) -> None:
    paths = [save_map(workspace_map(map_workspace), tmp_path / f"{k}.html") for k in "ab"]
    first, again = (p.read_text(encoding="utf-8") for p in paths)
    assert first == again
    ids = re.findall(r'id="(map_[0-9a-f]{32})"', first)
    assert len(ids) == 1 and f"var {ids[0]} = L.map" in first  # the seeded id names the map
