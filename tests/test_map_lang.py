"""The maps in Danish: every word from the catalogue, numbers with a decimal comma, lang="da"."""

from __future__ import annotations

import ast
import html
import itertools
import json
import re
import string
from pathlib import Path

import pytest
from test_maps import overlay_names, panel, popups, write_map_workspace

from ductplanner.app.workflows.maps import comparison_map, forecast_map, map_html, workspace_map
from ductplanner.cli import main
from ductplanner.render import map_words
from ductplanner.render._words_forecast import FORECAST_DANISH
from ductplanner.render._words_layers import LAYERS_DANISH
from ductplanner.render._words_page import PAGE_DANISH
from ductplanner.render.map_words import DANISH, map_language, tr
from ductplanner.render.maps import layer_overlays

SOURCES = [
    *(Path(map_words.__file__).parent.glob("*.py")),
    Path(map_words.__file__).parents[1] / "app" / "workflows" / "maps.py",
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_map_workspace(tmp_path_factory.mktemp("da") / "town.gpkg")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _string_literals() -> set[str]:
    found: set[str] = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def test_every_danish_text_has_the_fields_of_its_english_one():
    for english, danish in DANISH.items():
        assert _fields(english) == _fields(danish), (english, danish)
        assert danish.strip(), english


def test_the_catalogues_agree_where_they_share_a_text():
    catalogues = (LAYERS_DANISH, FORECAST_DANISH, PAGE_DANISH)
    for one, other in itertools.combinations(catalogues, 2):
        for english in one.keys() & other.keys():
            assert one[english] == other[english], english


def test_every_catalogue_entry_is_a_text_the_maps_use():
    used = _string_literals()
    unused = sorted(set(DANISH) - used)
    assert unused == [], f"catalogue entries no map code uses: {unused}"


def test_the_danish_map_names_its_layers_and_popups_in_danish(workspace: Path):
    layers = _layers(workspace)
    english = [o.name for o in layer_overlays(layers)]
    with map_language("da"):
        danish = [o.name for o in layer_overlays(layers)]
        digs = next(o for o in layer_overlays(layers) if o.source == "digs")
        (first, *_) = popups(digs)
    assert danish == [tr_da(e) for e in english]
    assert sum(d != e for d, e in zip(danish, english, strict=True)) >= len(english) - 1
    assert tr_da("Owner") in first and ">Owner<" not in first


def test_the_danish_page_has_lang_da_and_danish_panels(workspace: Path):
    page = map_html(workspace_map(workspace, lang="da"))
    assert '<html lang="da">' in page
    names = overlay_names(page)
    assert names and names == [tr_da(n) for n in overlay_names(_english(workspace))]
    about = panel(page, "dp-about")
    legend = panel(page, "dp-legend")
    with map_language("da"):
        rendered = tr("Rendered {date} from {name}.", date="X", name="Y").split("X")[0]
    assert rendered and rendered in about
    assert "Rendered " not in about
    assert legend and legend != panel(_english(workspace), "dp-legend")


def test_numbers_in_a_danish_popup_use_a_decimal_comma(workspace: Path):
    with map_language("da"):
        texts = [
            o.popup_html(f)
            for o in layer_overlays(_layers(workspace))
            if o.kind != "points"
            for f in o.data
            if "p" in f["properties"]
        ]
    shares = [t for t in texts if "%" in t]
    assert shares and not any(re.search(r"\d\.\d %", t) for t in shares)
    assert any(re.search(r"\d,\d %", t) for t in shares)


def test_cli_map_lang_da(workspace: Path, tmp_path: Path, capsys):
    out = tmp_path / "da.html"
    assert main(["map", str(workspace), "--lang", "da", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["lang"] == "da"
    assert '<html lang="da">' in out.read_text(encoding="utf-8")
    assert summary["layers"] == overlay_names(out.read_text(encoding="utf-8"))


def tr_da(text: str) -> str:
    with map_language("da"):
        return tr(text)


def _english(workspace: Path) -> str:
    return map_html(workspace_map(workspace))


def _layers(workspace: Path) -> dict:
    from ductplanner.io.workspace import list_layers, read_layer

    return {n: read_layer(workspace, n) for n in list_layers(workspace) if n != "layer_sources"}


# --- the forecast maps -----------------------------------------------------------------


@pytest.fixture(scope="module")
def forecast_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from test_map_views import write_forecast_workspace

    return write_forecast_workspace(tmp_path_factory.mktemp("da") / "forecast.gpkg")


def test_the_danish_time_view_speaks_danish(forecast_workspace: Path):
    from test_map_views import years_data

    page = map_html(forecast_map(forecast_workspace, "revised-2019", lang="da"))
    data, _ = years_data(page)
    vest = data["areas"]["features"][0]
    assert '<html lang="da">' in page
    assert "median 12 af 16 husstande dækket med tomrør (75,0 %)" in vest["properties"]["t"][2]
    assert "Bydel Vest, 2022" in html.unescape(vest["properties"]["p"][2])
    assert 'aria-label="næste år"' in data["html"]
    about = panel(page, "dp-about")
    assert tr_da("district outlines") in about and "district outlines" not in about
    assert "Districts are coloured" not in about and "Bydelene er farvet" in about
    assert "households" not in " ".join(data["figures"])


def test_the_danish_comparison_names_both_scenarios_in_danish(forecast_workspace: Path):
    page = map_html(comparison_map(forecast_workspace, ["revised-2019", "shutdown"], lang="da"))
    assert '<html lang="da">' in page
    assert "revised-2019 og shutdown i " in page
    names = overlay_names(page)
    assert "Gader med tomrør" in names and "Streets with a duct" not in names
