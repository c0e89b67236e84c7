"""A map page: legend, About panel, basemaps, and the overlays assembled into one folium map.

:func:`assemble_map` turns a list of :class:`~ductplanner.render.leaflet.Overlay`
into a map with a layer control, a legend and an About panel; the forecast
views use the finer steps (:func:`framed_map`, :func:`add_page_head`,
:func:`add_overlays`). folium is imported when a map is drawn.

Basemaps: OpenStreetMap (default), none, and the Danish Dataforsyningen
*skærmkort* (WMS) when a token is given. The token is never stored anywhere
except in the rendered map's tile URL, where a browser needs it: share such a
map only with people allowed to use that token.

Self-contained maps (``self_contained=True``) embed Leaflet and its cluster
plugin (npm packages pinned in ``ductplanner/assets``; install them with
``npm ci --prefix ductplanner/assets``) and open with no internet; only the
basemap tiles need a connection.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import numpy as np

from ..core._errors import WorkspaceError
from ..core._format import is_nan
from ..io.assets import ASSETS_DIR, asset_tags
from .leaflet import ADDRESS_STATES, LegendEntry, Overlay, display_text, esc
from .map_words import map_lang, tr
from .style import safe_json

if TYPE_CHECKING:
    import folium
    from branca.element import Element

__all__ = [
    "COVERAGE_DEFINITION",
    "SKAERMKORT_LAYER",
    "SKAERMKORT_URL",
    "TOKEN_ENV",
    "About",
    "about_html",
    "add_overlays",
    "add_page_head",
    "assemble_map",
    "framed_map",
    "legend_html",
    "offline_note",
    "provenance_row",
    "seed_element_ids",
]

TOKEN_ENV = "DATAFORSYNINGEN_TOKEN"
"""Environment variable holding a Dataforsyningen token for the skærmkort basemap."""

COVERAGE_DEFINITION = (
    "A household counts as covered when its address's nearest street within the drop "
    "distance (30 m by default; see the coverage layer's note) carries a duct connected "
    "through ducts to the backbone; "
    "each percentage is a share of all households (dwelling units) in the area, "
    "including those at addresses beyond the drop distance."
)

SKAERMKORT_URL = "https://api.dataforsyningen.dk/topo_skaermkort_DAF"
SKAERMKORT_LAYER = "dtk_skaermkort_daempet"

_DEFAULT_CENTRE = (55.7305, 12.3630)  # Ballerup, for an empty workspace
_LEGEND_WIDTH_PX = 300


_CSS = """
.leaflet-container { background: #f2efe9; font: 13px/1.4 system-ui, sans-serif; }
.dp-panel { background: rgba(255,255,255,.95); padding: 6px 10px; border-radius: 5px;
  box-shadow: 0 1px 5px rgba(0,0,0,.4); max-height: 45vh; overflow: auto; max-width: 300px; }
.dp-panel summary { font-weight: 600; cursor: pointer; }
.dp-legend h4 { margin: 6px 0 2px; font-size: 13px; }
.dp-legend .dp-row { display: flex; align-items: center; gap: 6px; }
.dp-panel.dp-about { max-width: min(600px, 75vw); max-height: 75vh; }
.dp-about table { border-collapse: collapse; font-size: 12px; }
.dp-about td, .dp-about th { border-bottom: 1px solid #ddd; padding: 1px 4px; text-align: left;
  vertical-align: top; }
.dp-popup table { border-collapse: collapse; }
.dp-popup th { text-align: left; padding-right: 8px; font-weight: 500; color: #555; }
.dp-site { width: 16px; height: 16px; border: 2px solid #1b7837; border-radius: 4px;
  font: bold 11px/16px sans-serif; text-align: center; box-sizing: content-box; }
.dp-icon { background: none; border: none; }
.dp-swatch { width: 30px; height: 30px; flex: none; }
.dp-cluster div { width: 100%; height: 100%; border-radius: 50%; display: flex;
  align-items: center; justify-content: center; box-shadow: 0 0 0 2px #fff, 0 1px 4px #0008; }
.dp-cluster span { background: #fff; border-radius: 9px; padding: 0 4px;
  font: bold 11px/15px sans-serif; }
"""

_JS = """
window.ductplanner = {map: null, maps: [], layers: {}, mapLayers: []};
function dpMapIndex(map) {
  var d = window.ductplanner, i = d.maps.indexOf(map);
  if (i < 0) { i = d.maps.push(map) - 1; d.mapLayers.push({}); }
  return i;
}
function dpRegister(map, name, layer) {
  var i = dpMapIndex(map);
  window.ductplanner.mapLayers[i][name] = layer;
  if (i === 0) { window.ductplanner.layers[name] = layer; }
}
function dpReady(map) {
  dpMapIndex(map);
  if (!window.ductplanner.map) { window.ductplanner.map = map; }
}
function dpPopup(p, labels) {
  var rows = "";
  for (var k = 1; k < p.length; k += 2) {
    rows += "<tr><th>" + labels[p[k]] + "</th><td>" + p[k + 1] + "</td></tr>";
  }
  return '<div class="dp-popup"><b>' + p[0] + "</b><table>" + rows + "</table></div>";
}
function dpGeoJson(data, styles, labels) {
  return L.geoJSON(data, {
    style: function (f) { return styles[f.properties.s]; },
    pointToLayer: function (f, latlng) {
      var s = styles[f.properties.s];
      if (s.icon) {
        return L.marker(latlng, {icon: L.divIcon(
          {html: s.icon, className: "dp-icon", iconSize: [s.size, s.size]})});
      }
      return L.circleMarker(latlng, s);
    },
    onEachFeature: function (f, layer) {
      var p = f.properties.p;
      if (p) {
        layer.bindPopup(typeof p === "string" ? p : function () { return dpPopup(p, labels); },
                        {maxWidth: 360});
      }
      if (f.properties.t) { layer.bindTooltip(f.properties.t, {sticky: true}); }
    }
  });
}
function dpAddresses(rows, styles, labels, words) {
  var group = L.markerClusterGroup({
    chunkedLoading: true, showCoverageOnHover: false, spiderfyOnMaxZoom: false,
    disableClusteringAtZoom: 16, maxClusterRadius: 45,
    iconCreateFunction: function (cluster) {
      var sums = [0, 0, 0, 0], total = 0;
      cluster.getAllChildMarkers().forEach(function (m) {
        sums[m.options.state] += m.options.units; total += m.options.units;
      });
      var stops = [], at = 0;
      for (var k = 0; k < sums.length; k++) {
        if (!sums[k]) { continue; }
        var end = at + 100 * sums[k] / (total || 1);
        stops.push(styles[k].fillColor + " " + at.toFixed(1) + "% " + end.toFixed(1) + "%");
        at = end;
      }
      var bg = stops.length ? "conic-gradient(" + stops.join(",") + ")" : "#bbb";
      var size = total < 100 ? 34 : total < 1000 ? 42 : 50;
      return L.divIcon({html: '<div style="background:' + bg + '"><span>' + total +
        "</span></div>", className: "dp-cluster", iconSize: [size, size]});
    }
  });
  var markers = rows.map(function (r) {
    var m = L.circleMarker([r[0], r[1]], Object.assign({units: r[2], state: r[3]}, styles[r[3]]));
    m.bindPopup(function () {
      return '<div class="dp-popup"><b>' + words.address + " " + r[4] + "</b><br>" + r[2] +
        " " + (r[2] === 1 ? words.household : words.households) + ", " + labels[r[3]] +
        (r[5] ? "<br>" + words.fast : "") + "</div>";
    });
    return m;
  });
  group.addLayers(markers);
  return group;
}
function dpPanel(map, position, className, content) {
  var Panel = L.Control.extend({onAdd: function () {
    var div = L.DomUtil.create("div", "dp-panel " + className);
    div.innerHTML = content;
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  }});
  return new Panel({position: position}).addTo(map);
}
"""


@cache
def _element_classes() -> tuple[type, type, type]:
    """Build the folium element classes (folium is imported only when drawing)."""
    import folium
    from branca.element import MacroElement
    from folium.map import Layer
    from jinja2 import Template

    class OverlayLayer(Layer):
        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = {{ this.factory }};
            dpRegister({{ this._parent.get_name() }}, {{ this.layer_name|tojson }},
                       {{ this.get_name() }});
            {% endmacro %}
            """
        )

        def __init__(self, overlay: Overlay) -> None:
            super().__init__(name=overlay.name, overlay=True, show=overlay.show)
            self._name = "DuctplannerOverlay"
            styles = safe_json(overlay.styles)
            if overlay.kind == "points":
                labels = safe_json([esc(tr(label)) for label, _ in ADDRESS_STATES])
                words = safe_json({k: esc(v) for k, v in _address_words().items()})
                self.factory = (
                    f"dpAddresses({safe_json(overlay.data)}, {styles}, {labels}, {words})"
                )
            else:
                data = {"type": "FeatureCollection", "features": overlay.data}
                labels = safe_json(overlay.labels)
                self.factory = f"dpGeoJson({safe_json(data)}, {styles}, {labels})"

    class Panels(MacroElement):
        _template = Template(
            """
            {% macro script(this, kwargs) %}
            {% for position, cls, content in this.panels %}
            dpPanel({{ this._parent.get_name() }}, {{ position|tojson }}, {{ cls|tojson }},
                    {{ content }});
            {% endfor %}
            dpReady({{ this._parent.get_name() }});
            {% endmacro %}
            """
        )

        def __init__(self, panels: list[tuple[str, str, str]]) -> None:
            super().__init__()
            self._name = "DuctplannerPanels"
            self.panels = [(p, c, safe_json(html_text)) for p, c, html_text in panels]

    class Map(folium.Map):
        default_js: list[tuple[str, str]] = []  # noqa: RUF012 (folium's own attribute)
        default_css: list[tuple[str, str]] = []  # noqa: RUF012

    return OverlayLayer, Panels, Map


def _address_words() -> dict[str, str]:
    """Return the words of an address popup, in the map's language."""
    return {
        "address": tr("Address"),
        "household": tr("household"),
        "households": tr("households"),
        "fast": tr("already served by a fast line"),
    }


def _swatch(entry: LegendEntry) -> str:
    s = entry.style
    if entry.shape == "icon":
        return s["icon"]
    colour = s.get("color", "#333")
    if entry.shape == "line":
        dash = f' stroke-dasharray="{s["dashArray"]}"' if "dashArray" in s else ""
        cap = ' stroke-linecap="round"' if s.get("lineCap") == "round" else ""
        width = min(float(s.get("weight", 3)), 8)
        return (
            f'<svg width="30" height="12"><line x1="1" y1="6" x2="29" y2="6" '
            f'stroke="{colour}" stroke-width="{width}" stroke-opacity="{s.get("opacity", 1)}"'
            f"{dash}{cap}/></svg>"
        )
    fill = s.get("fillColor", colour) if s.get("fill", True) else "none"
    if entry.shape == "area":
        return (
            f'<svg width="30" height="14"><rect x="1" y="1" width="28" height="12" '
            f'fill="{fill}" fill-opacity="{s.get("fillOpacity", 0.5)}" stroke="{colour}"/></svg>'
        )
    if entry.shape == "cluster":
        covered, uncovered = ADDRESS_STATES[0][1], ADDRESS_STATES[1][1]
        pie = f"conic-gradient({covered} 0 30%,{uncovered} 30% 100%)"
        return (
            f'<div class="dp-cluster dp-swatch"><div style="background:{pie}">'
            "<span>12</span></div></div>"
        )
    radius = min(float(s.get("radius", 5)), 7)
    return (
        f'<svg width="30" height="20"><circle cx="15" cy="10" r="{radius}" fill="{fill}" '
        f'stroke="{colour}" stroke-width="{s.get("weight", 1)}"/></svg>'
    )


def legend_html(overlays: Sequence[Overlay]) -> str:
    """Return the legend panel's HTML: per overlay (top first) its entries."""
    parts = [f"<details open><summary>{esc(tr('Legend'))}</summary>"]
    for overlay in reversed(overlays):  # top layer first, as in the map
        parts.append(f'<div class="dp-legend-layer" data-layer="{esc(overlay.name)}">')
        parts.append(f"<h4>{esc(overlay.name)}</h4>")
        parts += [
            f'<div class="dp-row">{_swatch(e)}<span>{esc(e.label)}</span></div>'
            for e in overlay.legend
        ]
        parts.append("</div>")
    parts.append("</details>")
    return "".join(parts)


@dataclass
class About:
    """What the About panel says: title, provenance rows, notes."""

    title: str
    rows: list[tuple[str, ...]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _synthetic_text(value: Any) -> str:
    if is_nan(value):
        return tr("unknown")
    if isinstance(value, str):
        value = value.strip().lower() in {"1", "true", "yes"}
    return tr("synthetic (demo)") if bool(value) else tr("real")


def provenance_row(
    layer: str, shown_as: str, info: Mapping[str, Any] | None, notes_seen: set[str]
) -> tuple[str, ...]:
    """Return one About row: layer, map layer, source, updated, real or synthetic, count, note.

    ``info`` is the layer's row of the provenance table (None: unknown);
    a note already in ``notes_seen`` is written "as above" (and is added).
    """
    if info is None:
        return (layer, shown_as, tr("unknown"), "", tr("unknown"), "", "")
    note = "" if is_nan(info.get("note")) else str(info["note"])
    row = (
        layer,
        shown_as,
        "" if is_nan(info.get("source")) else str(info["source"]),
        "" if is_nan(info.get("updated")) else str(info["updated"])[:10],
        _synthetic_text(info.get("synthetic")),
        "" if is_nan(info.get("features")) else display_text(int(info["features"])),
        tr("as above") if note and note in notes_seen else note,
    )
    notes_seen.add(note)
    return row


def about_html(about: About) -> str:
    """Return the About panel's HTML: title, coverage definition, provenance rows, notes."""
    head = "".join(
        f"<th>{esc(tr(h))}</th>"
        for h in (
            "layer",
            "on the map",
            "source",
            "updated",
            "real or synthetic",
            "features",
            "note",
        )
    )
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in about.rows
    )
    notes = "".join(f"<p>{esc(n)}</p>" for n in about.notes)
    return (
        f"<details><summary>{esc(tr('About this map'))}</summary><p><b>{esc(about.title)}</b></p>"
        f'<p class="dp-coverage-definition">{esc(tr(COVERAGE_DEFINITION))}</p>'
        f"<table><tr>{head}</tr>{body}</table>{notes}</details>"
    )


def _add_basemaps(m: folium.Map, basemap: str, token: str | None) -> None:
    import folium

    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", show=basemap == "osm").add_to(m)
    if token:
        folium.WmsTileLayer(
            f"{SKAERMKORT_URL}?token={quote(token, safe='')}",
            layers=SKAERMKORT_LAYER,
            fmt="image/png",
            version="1.1.1",
            attr="Skærmkort © Styrelsen for Dataforsyning og Infrastruktur",
            name="Skærmkort (Dataforsyningen)",
            overlay=False,
            show=basemap == "skaermkort",
        ).add_to(m)
    folium.FeatureGroup(name=tr("No basemap"), overlay=False, show=basemap == "none").add_to(m)


def _check_basemap(basemap: str, token: str | None) -> None:
    if basemap not in ("osm", "none", "skaermkort"):
        raise WorkspaceError(f"unknown basemap {basemap!r}; use osm, none or skaermkort")
    if basemap == "skaermkort" and not token:
        raise WorkspaceError(
            f"the skærmkort basemap needs a Dataforsyningen token: set {TOKEN_ENV} "
            "(a free token from dataforsyningen.dk) or choose another basemap"
        )


def add_page_head(
    root: Any, *, self_contained: bool = False, assets_dir: Path = ASSETS_DIR
) -> None:
    """Add the asset tags and the maps' own CSS and JavaScript to a page's head, once.

    Parameters
    ----------
    root : branca.element.Figure
        The page (``m.get_root()``); a page of several maps gets them once.
    self_contained : bool
        Embed Leaflet and its plugin instead of linking the CDN.
    assets_dir : Path
        Folder of the pinned asset packages.
    """
    import folium

    root.dp_lang = map_lang()  # the page's lang attribute, for map_html
    tags = asset_tags(self_contained=self_contained, assets_dir=assets_dir)
    root.header.add_child(folium.Element(tags), name="dp_assets")
    root.header.add_child(
        folium.Element(f"<style>{_CSS}</style>\n<script>{_JS}</script>"), name="dp_page"
    )


def framed_map(
    bounds: Sequence[tuple[float, float, float, float]],
    *,
    basemap: str = "osm",
    token: str | None = None,
    legend_room: bool = True,
    **size: str,
) -> folium.Map:
    """Return an empty map framing ``bounds``, with the basemaps.

    Parameters
    ----------
    bounds : sequence of (south, west, north, east)
        Everything the map should show when it opens (degrees).
    basemap : {"osm", "none", "skaermkort"}
        The basemap shown when the map opens (the others stay selectable).
    token : str, optional
        Dataforsyningen token; adds the skærmkort basemap.
    legend_room : bool
        Keep the data clear of a legend in the bottom right corner.
    **size
        ``width``, ``left``, ``position`` ... of the map's element (folium.Map).
    """
    _check_basemap(basemap, token)
    map_class = _element_classes()[2]
    # With bounds, the view starts at zoom 1 and jumps to them unanimated, so no tile
    # is requested for a provisional view (an animated zoom would load, then drop, some).
    m = map_class(
        location=None if bounds else _DEFAULT_CENTRE,
        zoom_start=1 if bounds else 13,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        **size,
    )
    if bounds:
        south, west, north, east = np.array(bounds).T
        m.fit_bounds(
            [[float(south.min()), float(west.min())], [float(north.max()), float(east.max())]],
            padding_bottom_right=(_LEGEND_WIDTH_PX if legend_room else 0, 0),
        )
    _add_basemaps(m, basemap, token)
    return m


def add_overlays(
    m: folium.Map,
    overlays: Sequence[Overlay],
    panels: Sequence[tuple[str, str, str]],
    extras: Sequence[Any] = (),
    *,
    collapsed: bool = False,
) -> None:
    """Add overlays, other elements, the layer control and panels to a map.

    Parameters
    ----------
    m : folium.Map
    overlays : sequence of Overlay
        Bottom first; each in the layer control.
    panels : sequence of (position, CSS class, HTML)
        Leaflet controls holding HTML (legend, About, titles); the HTML must
        be escaped already.
    extras : sequence of folium elements
        Added after the overlays (e.g. a year switch).
    collapsed : bool
        Fold the layer control into a button (for small maps).
    """
    import folium

    overlay_layer, panel_class, _ = _element_classes()
    for overlay in overlays:
        overlay_layer(overlay).add_to(m)
    for element in extras:
        element.add_to(m)
    folium.LayerControl(collapsed=collapsed, position="topright").add_to(m)
    panel_class(list(panels)).add_to(m)


def offline_note(self_contained: bool) -> str:
    """Return the About panel's sentence on what the page loads from the internet."""
    if self_contained:
        return tr(
            "Basemap tiles are loaded from the internet; everything else is inside this file."
        )
    return tr(
        "This map loads Leaflet from cdn.jsdelivr.net; render it with "
        "--self-contained for a file that opens offline."
    )


def assemble_map(
    overlays: Sequence[Overlay],
    about: About,
    *,
    basemap: str = "osm",
    token: str | None = None,
    self_contained: bool = False,
    assets_dir: Path = ASSETS_DIR,
) -> folium.Map:
    """Return a folium map of ``overlays`` with basemaps, layer control, legend and About.

    Parameters
    ----------
    overlays : sequence of Overlay
        Bottom first.
    about : About
        Content of the About panel.
    basemap : {"osm", "none", "skaermkort"}
        The basemap shown when the map opens (the others stay selectable).
    token : str, optional
        Dataforsyningen token; adds the skærmkort basemap.
    self_contained : bool
        Embed Leaflet and its plugin instead of linking the CDN.
    assets_dir : Path
        Folder of the pinned asset packages.

    Raises
    ------
    MissingInputError
        When ``self_contained`` and the asset packages are not installed.
    """
    bounds = [o.bounds for o in overlays if o.bounds is not None]
    m = framed_map(bounds, basemap=basemap, token=token)
    add_page_head(m.get_root(), self_contained=self_contained, assets_dir=assets_dir)
    page_about = About(about.title, about.rows, [*about.notes, offline_note(self_contained)])
    add_overlays(
        m,
        overlays,
        [
            ("bottomright", "dp-legend", legend_html(overlays)),
            ("topleft", "dp-about", about_html(page_about)),
        ],
    )
    return m


def seed_element_ids(root: Element, seed: str = "ductplanner") -> None:
    """Give every element of a page an id drawn from ``seed`` and its place in the page.

    folium names its elements with random ids; with these, the same map
    renders to the same bytes. Call it once the page is complete, before
    rendering it.
    """
    counter = 0

    def visit(element: Element) -> None:
        nonlocal counter
        renamed = OrderedDict()
        for key, child in element._children.items():
            old = child.get_name()
            counter += 1
            child._id = hashlib.sha256(f"{seed}:{counter}".encode()).hexdigest()[:32]
            renamed[child.get_name() if key == old else key] = child
            visit(child)
        element._children = renamed

    root._id = hashlib.sha256(f"{seed}:0".encode()).hexdigest()[:32]
    visit(root)
