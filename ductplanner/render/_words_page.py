"""Danish for the page around every map (legend, About panel, basemaps): English text → Danish.

Covers :mod:`.page` and the notes the map command adds.
"""

from __future__ import annotations

__all__ = ["PAGE_DANISH"]

PAGE_DANISH: dict[str, str] = {
    # the panels
    "Legend": "Signaturforklaring",
    "About this map": "Om kortet",
    "layer": "lag",
    "on the map": "på kortet",
    "source": "kilde",
    "updated": "opdateret",
    "real or synthetic": "rigtige eller syntetiske data",
    "features": "objekter",
    "note": "note",
    "unknown": "ukendt",
    "synthetic (demo)": "syntetiske (demo)",
    "real": "rigtige",
    "as above": "som ovenfor",
    (
        "A household counts as covered when its address's nearest street within the drop "
        "distance (30 m by default; see the coverage layer's note) carries a duct connected "
        "through ducts to the backbone; "
        "each percentage is a share of all households (dwelling units) in the area, "
        "including those at addresses beyond the drop distance."
    ): (
        "En husstand regnes som dækket, når den nærmeste vej inden for stikafstanden fra dens "
        "adresse (30 m som standard; se noten til dækningslaget) har et tomrør, der gennem "
        "tomrør er forbundet til backbone; "
        "hver procentdel er en andel af alle husstande (boligenheder) i området, "
        "også dem på adresser længere væk end stikafstanden."
    ),
    "Basemap tiles are loaded from the internet; everything else is inside this file.": (
        "Baggrundskortet hentes fra internettet; alt andet ligger i denne fil."
    ),
    (
        "This map loads Leaflet from cdn.jsdelivr.net; render it with "
        "--self-contained for a file that opens offline."
    ): (
        "Kortet henter Leaflet fra cdn.jsdelivr.net; tegn det med "
        "--self-contained for en fil, der kan åbnes uden internet."
    ),
    "Rendered {date} from {name}.": "Tegnet {date} ud fra {name}.",
    # basemaps
    "No basemap": "Intet baggrundskort",
    # an address's popup
    "Address": "Adresse",
    "household": "husstand",
    "households": "husstande",
    "already served by a fast line": "har allerede en hurtig forbindelse",
}
