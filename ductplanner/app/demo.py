"""The embedded default municipality.

Two towns live here. :func:`generate_demo` builds a synthetic, Ballerup-like
municipality (about 49,000 inhabitants in 23,000 households, 2,000–3,000
businesses, 300–400 km of streets and paths) at Ballerup's real location in
EPSG:25832, so a basemap under it shows the right place. It is *synthetic*:
the layout, the streets, the addresses, the ducts and the dig plans are made
up, and every workspace written by :func:`write_demo_workspace` says so in its
provenance table. The same seed always gives the same layers.

:func:`tiny_layers` is a hand-made, hand-checkable town of nine blocks used by
doctests and fast tests. Every figure in it can be worked out on paper:

::

      y=200  +---------+----:----+---------+        Parkvej (H2)
             |         |    :    |         |
      y=100  +---------+----+----+---------+----    Skolevej (H1) + Blindgyden
             |         |         |         |
      y=0    P=========+=========+---------+        Centervej (H0)
            x=0      x=100     x=200     x=300

``P`` is the point of presence; ``===`` the existing connected duct D1 along
Centervej (x 0–200); a duct island D2 runs along Østvej (x=300, y 100–200);
``:`` is a footpath. Coordinates are offsets from (710 000, 6 180 000) in
EPSG:25832, in the middle of Ballerup.

>>> layers = tiny_layers()
>>> sorted(layers)
['addresses', 'backbone', 'digs', 'districts', 'ducts', 'sites', 'streets']
>>> int(layers["addresses"]["units"].sum())
40

How the demo municipality is built
----------------------------------
Fourteen districts named after real parts of Ballerup Kommune sit on a fixed
plan (towns Ballerup, Skovlunde and Måløv, the business park Lautrupgård, the
villages Kildedal, Jonstrup and Pederstrup, with fields between them). Each
town is a warped lattice of blocks; a district's *pattern* decides which
lattice edges become streets and which become paths (villa areas get
collector roads with cul-de-sacs joined by footpaths, housing estates large
blocks criss-crossed by paths, the business park large blocks). Rural through
roads join the towns, lanes lead to farms, and recreational paths cross the
green space. The network is noded (streets meet at shared end points, crossings
are split) and every street runs junction to junction. Addresses sit 8–25 m
beside their street, farms farther away. The seed moves everything that is
not the plan: the warp, the block patterns, street names, addresses, sites,
backbone, ducts and dig plans.

>>> demo = generate_demo(seed=7, scale=0.05)
>>> sorted(demo) == sorted(tiny_layers())
True
>>> bool(demo["addresses"].geometry.x.between(704_000, 716_000).all())
True
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import LineString, Point, Polygon, box

from ..model.layers import WORKSPACE_CRS, require_valid, validate_layer

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

__all__ = [
    "DEMO_BOUNDS",
    "DEMO_HOUSEHOLDS",
    "DEMO_PLANNING_DATE",
    "SYNTHETIC_NOTE",
    "TINY_ORIGIN",
    "generate_demo",
    "generate_tiled",
    "tiny_layers",
    "write_demo_workspace",
]

TINY_ORIGIN = (710_000.0, 6_180_000.0)
"""Lower-left corner of the tiny town, EPSG:25832."""


def _at(x: float, y: float) -> tuple[float, float]:
    return TINY_ORIGIN[0] + x, TINY_ORIGIN[1] + y


def _line(*points: tuple[float, float]) -> LineString:
    return LineString([_at(*p) for p in points])


def _frame(rows: list[dict[str, object]], layer: str) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=WORKSPACE_CRS)
    clean, problems = validate_layer(gdf, layer, source="tiny demo")
    require_valid(problems)
    return clean


def tiny_layers() -> dict[str, gpd.GeoDataFrame]:
    """Return the seven input layers of the tiny hand-checkable town.

    Returns
    -------
    dict of str to GeoDataFrame
        ``streets`` (9 centre lines, unnoded: they cross), ``ducts`` (a
        connected one and an island), ``backbone`` (one point of presence),
        ``sites`` (a school and a care home), ``digs`` (Novafos, Radius and the
        fibre project), ``addresses`` (16 addresses, 40 households, one beyond
        the drop distance) and ``districts`` (Vest and Øst).
    """
    streets = _frame(
        [
            {
                "id": "H0",
                "name": "Centervej",
                "road_class": "distributor",
                "geometry": _line((0, 0), (300, 0)),
            },
            {
                "id": "H1",
                "name": "Skolevej",
                "road_class": "local",
                "geometry": _line((0, 100), (300, 100)),
            },
            {
                "id": "H2",
                "name": "Parkvej",
                "road_class": "local",
                "geometry": _line((0, 200), (300, 200)),
            },
            {
                "id": "V0",
                "name": "Vestvej",
                "road_class": "local",
                "geometry": _line((0, 0), (0, 200)),
            },
            {
                "id": "V1",
                "name": "Kirkevej",
                "road_class": "local",
                "geometry": _line((100, 0), (100, 200)),
            },
            {
                "id": "V2",
                "name": "Møllevej",
                "road_class": "local",
                "last_dug": 2015,
                "geometry": _line((200, 0), (200, 200)),
            },
            {
                "id": "V3",
                "name": "Østvej",
                "road_class": "local",
                "geometry": _line((300, 0), (300, 200)),
            },
            {
                "id": "C1",
                "name": "Blindgyden",
                "road_class": "local",
                "geometry": _line((300, 100), (380, 100)),
            },
            {
                "id": "P1",
                "name": "Stien",
                "road_class": "path",
                "geometry": _line((150, 100), (150, 200)),
            },
        ],
        "streets",
    )
    ducts = _frame(
        [
            {
                "id": "D1",
                "year_laid": 2017,
                "status": "existing",
                "origin": "own-dig",
                "tubes": 2,
                "spare_tubes": 1,
                "diameter_mm": 40,
                "geometry": _line((0, 0), (200, 0)),
            },
            {
                "id": "D2",
                "year_laid": 2018,
                "status": "existing",
                "origin": "co-dig",
                "tubes": 1,
                "spare_tubes": 1,
                "diameter_mm": 40,
                "geometry": _line((300, 100), (300, 200)),
            },
        ],
        "ducts",
    )
    backbone = _frame(
        [{"id": "POP1", "kind": "pop", "name": "Rådhuset POP", "geometry": Point(_at(0, 0))}],
        "backbone",
    )
    sites = _frame(
        [
            {
                "id": "SITE1",
                "name": "Skolen",
                "kind": "school",
                "priority": 1,
                "connected": False,
                "geometry": Point(_at(50, 110)),
            },
            {
                "id": "SITE2",
                "name": "Plejehjemmet",
                "kind": "care-home",
                "priority": 2,
                "connected": True,
                "geometry": Point(_at(150, 10)),
            },
        ],
        "sites",
    )
    digs = _frame(
        [
            {
                "id": "NOV-1",
                "owner": "Novafos",
                "purpose": "water",
                "start": "2020-04-01",
                "end": "2020-06-30",
                "status": "confirmed",
                "confidence": "firm",
                "contact": "ledningsejer@novafos.example",
                "geometry": _line((0, 100), (300, 100)),
            },
            {
                "id": "RAD-1",
                "owner": "Radius",
                "purpose": "power",
                "start": "2021-03-01",
                "end": "2021-05-31",
                "status": "planned",
                "confidence": "budgeted",
                "geometry": _line((200, 0), (200, 200)),
            },
            {
                "id": "FIB-1",
                "owner": "Ballerup Kommune",
                "purpose": "fibre",
                "start": "2020-08-01",
                "end": "2020-09-30",
                "status": "planned",
                "confidence": "firm",
                "geometry": Polygon([_at(290, 90), _at(390, 90), _at(390, 110), _at(290, 110)]),
            },
        ],
        "digs",
    )
    # (x, y, units, kind, speed down, speed up): 16 addresses, 40 households.
    spec = [
        (50, 10, 4, "home", None, None),  # Centervej, duct D1
        (150, -10, 2, "home", None, None),  # Centervej, duct D1
        (250, 10, 3, "business", None, None),  # Centervej x>200: no duct
        (50, 90, 2, "home", None, None),  # Skolevej
        (130, 110, 6, "home", None, None),  # Skolevej
        (250, 90, 2, "home", 1000.0, 1000.0),  # Skolevej, already served
        (50, 210, 1, "home", None, None),  # Parkvej
        (250, 190, 3, "home", None, None),  # Parkvej
        (-10, 150, 2, "home", None, None),  # Vestvej
        (110, 50, 1, "home", 50.0, 10.0),  # Kirkevej, slow line: not served
        (210, 150, 4, "home", None, None),  # Møllevej
        (310, 150, 2, "home", None, None),  # Østvej, island duct D2
        (290, 50, 1, "home", None, None),  # Østvej, no duct
        (340, 110, 3, "home", None, None),  # Blindgyden
        (380, 120, 1, "business", None, None),  # Blindgyden, end
        (150, 260, 3, "home", None, None),  # 60 m north of Parkvej: beyond drop
    ]
    addresses = _frame(
        [
            {
                "id": f"A{i + 1:02d}",
                "units": u,
                "kind": k,
                "speed_down_mbps": d,
                "speed_up_mbps": up,
                "geometry": Point(_at(x, y)),
            }
            for i, (x, y, u, k, d, up) in enumerate(spec)
        ],
        "addresses",
    )
    districts = _frame(
        [
            {"id": "DIS1", "name": "Vest", "geometry": box(*_at(-50, -50), *_at(150, 300))},
            {"id": "DIS2", "name": "Øst", "geometry": box(*_at(150, -50), *_at(450, 300))},
        ],
        "districts",
    )
    return {
        "streets": streets,
        "ducts": ducts,
        "backbone": backbone,
        "sites": sites,
        "digs": digs,
        "addresses": addresses,
        "districts": districts,
    }


# --- the demo municipality: its fixed plan -------------------------------------------

DEMO_BOUNDS = (704_800.0, 6_177_600.0, 715_200.0, 6_184_700.0)
"""(minx, miny, maxx, maxy) of the demo municipality at scale 1, EPSG:25832."""

DEMO_HOUSEHOLDS = 23_000
"""Households (units of home addresses) at scale 1."""

DEMO_PLANNING_DATE = dt.date(2019, 4, 1)
"""The demo's "today": digs that ended before it are done, near ones are confirmed."""

SYNTHETIC_NOTE = (
    "SYNTHETIC demo municipality placed at Ballerup (EPSG:25832): made-up streets, "
    "addresses, ducts and dig plans; not real data"
)
"""Label written with every demo layer."""

_CENTRE = (710_000.0, 6_181_150.0)
"""Point the plan is scaled about."""

_OUTLINE_KM = (
    (704.85, 6183.10), (705.90, 6183.70), (707.40, 6183.95), (708.60, 6184.30),
    (709.40, 6184.65), (710.60, 6184.60), (711.10, 6183.85), (712.00, 6183.05),
    (713.50, 6182.80), (714.55, 6182.10), (715.15, 6181.30), (715.00, 6180.25),
    (714.30, 6179.75), (713.20, 6179.70), (712.20, 6179.55), (711.50, 6178.50),
    (711.10, 6177.65), (710.60, 6177.70), (710.10, 6178.70), (709.30, 6179.30),
    (708.30, 6179.50), (708.05, 6180.60), (707.40, 6181.95), (706.10, 6182.45),
    (705.00, 6182.55),
)  # fmt: skip
"""The municipal boundary (km, EPSG:25832): ~35 km², long from north-west to south-east."""


@dataclass(frozen=True)
class _DistrictPlan:
    """One district: where its built-up core lies and what is built there."""

    name: str
    town: str
    centre: tuple[float, float]  # km
    axes: tuple[float, float]  # semi-axes of the built-up core, m
    angle: float  # degrees
    pattern: str  # centre, mixed, villa, rowhouse, apartment, business, village
    households: int  # relative weight, normalised to DEMO_HOUSEHOLDS
    businesses: int


_DISTRICTS = tuple(
    _DistrictPlan(*row)
    for row in (
        ("Ballerup Centrum", "Ballerup", (710.85, 6181.15), (620, 520), 20, "centre", 2700, 450),
        ("Ballerup Nord", "Ballerup", (711.45, 6181.95), (650, 480), -20, "villa", 2100, 120),
        ("Egebjerg", "Ballerup", (710.30, 6182.20), (680, 500), 10, "villa", 2200, 110),
        ("Ballerup Øst", "Ballerup", (711.90, 6180.85), (600, 520), 0, "apartment", 2300, 150),
        ("Ballerup Vest", "Ballerup", (709.75, 6181.15), (650, 600), 30, "villa", 2100, 110),
        ("Hedegården", "Ballerup", (710.75, 6180.20), (650, 450), 15, "apartment", 2600, 100),
        ("Lautrupgård", "Lautrupgård", (713.05, 6182.20), (650, 420), 30, "business", 120, 380),
        ("Skovlunde", "Skovlunde", (713.55, 6180.35), (620, 480), -10, "mixed", 2500, 300),
        ("Skovlunde Nord", "Skovlunde", (714.05, 6181.05), (480, 400), 40, "rowhouse", 1600, 90),
        ("Måløv", "Måløv", (708.35, 6182.70), (620, 500), -25, "mixed", 2500, 250),
        ("Måløv Byvej", "Måløv", (708.55, 6183.45), (520, 360), -10, "villa", 1300, 90),
        ("Kildedal", "Kildedal", (706.75, 6183.05), (460, 330), 0, "rowhouse", 850, 60),
        ("Jonstrup", "Jonstrup", (710.05, 6184.10), (280, 220), 0, "village", 220, 30),
        ("Pederstrup", "Pederstrup", (708.90, 6179.90), (240, 200), 0, "village", 160, 25),
    )
)  # fmt: skip


@dataclass(frozen=True)
class _TownPlan:
    """The lattice of blocks a town's streets are cut from."""

    name: str
    origin: tuple[float, float]  # km; also the town's centre for through roads
    angle: float  # degrees
    spacing: tuple[float, float]  # block size along and across, m


_TOWNS = (
    _TownPlan("Ballerup", (710.85, 6181.15), 12, (58, 52)),
    _TownPlan("Lautrupgård", (713.05, 6182.20), 30, (60, 55)),
    _TownPlan("Skovlunde", (713.55, 6180.35), -8, (57, 52)),
    _TownPlan("Måløv", (708.40, 6183.00), -20, (57, 52)),
    _TownPlan("Kildedal", (706.75, 6183.05), 5, (58, 52)),
    _TownPlan("Jonstrup", (710.05, 6184.10), 0, (70, 60)),
    _TownPlan("Pederstrup", (708.90, 6179.90), 45, (70, 60)),
)

_ROADS: tuple[tuple[str, str | tuple[float, float], str], ...] = (
    ("Ballerup", "Måløv", "Ballerup Byvej"),
    ("Måløv", "Kildedal", "Kildedalsvej"),
    ("Kildedal", (704.95, 6183.05), "Frederikssundsvej"),
    ("Måløv", "Jonstrup", "Søndersøvej"),
    ("Ballerup", "Jonstrup", "Jonstrupvej"),
    ("Jonstrup", (710.55, 6184.60), "Værløsevej"),
    ("Ballerup", "Lautrupgård", "Ballerup Boulevard"),
    ("Ballerup", "Skovlunde", "Malmmosevej"),
    ("Lautrupgård", "Skovlunde", "Lautrupvang"),
    ("Lautrupgård", (714.45, 6182.15), "Klausdalsbrovej"),
    ("Skovlunde", (715.10, 6180.85), "Skovlunde Byvej"),
    ("Skovlunde", (713.90, 6179.72), "Ejbydalsvej"),
    ("Ballerup", (711.05, 6177.75), "Hold-an Vej"),
    ("Ballerup", "Pederstrup", "Pederstrupvej"),
    ("Pederstrup", (708.25, 6179.55), "Ågerupvej"),
)
"""Rural through roads: (from town, to town or exit point in km, name)."""

_GREEN_PATHS = (
    ("Ballerup", "Lautrupgård"),
    ("Ballerup", "Måløv"),
    ("Skovlunde", "Lautrupgård"),
    ("Måløv", "Kildedal"),
    ("Ballerup", "Skovlunde"),
    ("Ballerup", "Pederstrup"),
)
"""Recreational paths across the green space between towns."""

_SITES = (
    ("Ballerup Rådhus", "admin", 1, "Ballerup Centrum"),
    ("Måløv Bibliotek", "institution", 3, "Måløv"),
    ("Skovlunde Bibliotek", "institution", 3, "Skovlunde"),
    ("Baltorpskolen", "school", 1, "Ballerup Vest"),
    ("Hedegårdsskolen", "school", 1, "Hedegården"),
    ("Måløvhøj Skole", "school", 1, "Måløv"),
    ("Skovlunde Skole", "school", 1, "Skovlunde"),
    ("Plejecenter Kirstinelund", "care-home", 2, "Ballerup Centrum"),
    ("Lundegårdsskolen", "school", 1, "Ballerup Øst"),
    ("Skovvejens Skole", "school", 1, "Ballerup Nord"),
    ("Grantofteskolen", "school", 1, "Egebjerg"),
    ("Østerhøjskolen", "school", 1, "Måløv Byvej"),
    ("Rugvængets Skole", "school", 1, "Skovlunde Nord"),
    ("Kildedalsskolen", "school", 1, "Kildedal"),
    ("Parkskolen", "school", 1, "Ballerup Centrum"),
    ("Plejecenter Lindehaven", "care-home", 2, "Egebjerg"),
    ("Plejecenter Rosenhaven", "care-home", 2, "Skovlunde"),
    ("Plejecenter Mølleholm", "care-home", 2, "Måløv"),
    ("Plejecenter Sønderhaven", "care-home", 2, "Hedegården"),
    ("Plejecenter Toftehaven", "care-home", 2, "Ballerup Vest"),
    ("Plejecenter Nordhaven", "care-home", 2, "Skovlunde Nord"),
    ("Plejecenter Kildehaven", "care-home", 2, "Kildedal"),
    ("Ballerup Bibliotek", "institution", 3, "Ballerup Centrum"),
    ("Jobcenter Ballerup", "admin", 2, "Ballerup Centrum"),
    ("Materielgården", "admin", 3, "Lautrupgård"),
    ("Ballerup Idrætsby", "institution", 4, "Hedegården"),
    ("Ballerup Svømmehal", "institution", 4, "Ballerup Øst"),
    ("Måløv Idrætsanlæg", "institution", 4, "Måløv Byvej"),
    ("Musikskolen", "institution", 3, "Ballerup Centrum"),
    ("Børnehuset Egebjerg", "institution", 3, "Egebjerg"),
    ("Børnehuset Skovlunde Nord", "institution", 3, "Skovlunde Nord"),
    ("Vuggestuen Kildedal", "institution", 3, "Kildedal"),
    ("Ballerup Museum, Pederstrup", "institution", 4, "Pederstrup"),
    ("Jonstrup Forsamlingshus", "institution", 5, "Jonstrup"),
    ("Tandplejen Hedegården", "institution", 3, "Hedegården"),
    ("Ungdomsskolen Ballerup Nord", "institution", 3, "Ballerup Nord"),
)
"""Municipal sites: (name, kind, priority, district), most important first."""

_POPS = (
    ("Rådhuset POP", "Ballerup Centrum"),
    ("Lautrupgård POP", "Lautrupgård"),
    ("Skovlunde POP", "Skovlunde"),
    ("Måløv POP", "Måløv"),
)
"""Points of presence of the fibre backbone, at the core of these districts."""

_BACKBONE_LINKS = ((0, 1), (1, 2), (2, 0), (0, 3))
"""Backbone fibre between points of presence (indices into _POPS): a ring and a spur."""


@dataclass(frozen=True)
class _DigPlan:
    """Who digs, what for, how often a year and how long their digs are."""

    owner: str
    purpose: str
    prefix: str
    per_year: int
    median_m: float
    contact: str
    town_only: bool = False


_DIG_PLANS = (
    _DigPlan("Novafos", "water", "NOV", 6, 500, "ledningsejer@novafos.example"),
    _DigPlan("Novafos", "wastewater", "NOV", 5, 600, "ledningsejer@novafos.example"),
    _DigPlan("Radius", "power", "RAD", 8, 800, "gravetilladelser@radius.example"),
    _DigPlan("HOFOR", "district-heating", "HOF", 3, 700, "fjernvarme@hofor.example", True),
    _DigPlan("Evida", "gas", "EVI", 2, 400, "gravning@evida.example", True),
    _DigPlan("Ballerup Kommune", "road", "BKV", 2, 300, "vejogpark@ballerup.example", True),
)
"""Third-party diggers; the municipality's fibre project is added to reach its sites."""

_FIBRE_OWNER = ("Ballerup Kommune", "BKF", "fiberprojekt@ballerup.example")
_DIG_YEARS = (2019, 2020, 2021, 2022)
_DUCT_YEARS = (2016, 2017, 2018)

_PATTERNS = ("centre", "mixed", "villa", "rowhouse", "apartment", "business", "village")
_RURAL = len(_PATTERNS)
"""Pattern code of everything outside a town's lattice."""

_SLOT_SPACING = np.array([16.0, 16.0, 19.0, 8.0, 28.0, 28.0, 30.0, 60.0])
"""Metres between address slots along a street side, per pattern (last: rural)."""

_SLOT_OFFSET = np.array(
    [[8, 14], [9, 18], [10, 18], [8, 14], [14, 25], [15, 25], [10, 22], [12, 25]], dtype=float
)
"""Range of an address's distance from its street, per pattern (m)."""

_SERVED_SHARE = np.array([0.30, 0.15, 0.12, 0.20, 0.35, 0.45, 0.03, 0.0])
"""Share of streets with modern broadband (>= 100/30 Mbit/s) per pattern."""

_SERVED_LINES = ((1000.0, 1000.0), (500.0, 500.0), (300.0, 300.0), (1000.0, 50.0))
_SERVED_P = (0.35, 0.2, 0.2, 0.25)
_SLOW_LINES = ((100.0, 10.0), (50.0, 10.0), (20.0, 2.0), (10.0, 1.0), (30.0, 5.0))
_SLOW_P = (0.2, 0.35, 0.25, 0.12, 0.08)
_SLOW_UNKNOWN = 0.15
"""Share of addresses without modern broadband whose speed is not known."""

# --- street names ----------------------------------------------------------------------

_NAME_STEMS = (
    "Birke", "Ege", "Bøge", "Hassel", "Ahorn", "Kastanie", "Pile", "Elme", "Linde",
    "Rønne", "Hylde", "Syrene", "Rose", "Tjørne", "Gran", "Fyrre", "Æble", "Pære",
    "Kirsebær", "Blomme", "Valnødde", "Poppel", "Aske", "Ene", "Takse", "Kløver",
    "Valmue", "Anemone", "Tulipan", "Nellike", "Lavendel", "Hybe", "Lyng", "Bregne",
    "Siv", "Rug", "Havre", "Byg", "Hvede", "Hør", "Humle", "Solsorte", "Stære", "Vibe",
    "Mejse", "Drossel", "Spurve", "Svale", "Fasan", "Agerhøne", "Falke", "Høge", "Ugle",
    "Krage", "Skade", "Due", "Svane", "Stork", "Hejre", "Ørne", "Glente", "Gøge",
    "Nattergale", "Lærke", "Hjorte", "Ræve", "Grævlinge", "Egerns", "Hare", "Mølle",
    "Kirke", "Skole", "Præste", "Smede", "Bager", "Bonde", "Kilde", "Bække", "Å", "Sø",
    "Enge", "Mose", "Bakke", "Dal", "Skov", "Mark", "Ager", "Tofte", "Vange", "Gårds",
    "Lunde", "Sand", "Stene", "Grus", "Tørve", "Sol", "Måne", "Stjerne", "Nord", "Syd",
    "Øster", "Vester", "Lang", "Bred", "Fælled", "Hede", "Grantofte", "Egebjerg",
    "Pederstrup", "Lautrup", "Kildedal", "Jonstrup", "Harrestrup", "Magle", "Østerhøj",
    "Baltorp", "Sønder", "Malm", "Lund", "Torne", "Kong", "Dronning", "Prins", "Ridder",
    "Præstø", "Tranehave", "Rådmands", "Frydens", "Hvidkløver", "Ellekilde", "Hyrde",
    "Fiskers", "Møllers", "Skytte", "Jægers", "Kærs", "Vænge", "Rævehøj", "Gyvel",
    "Æreprise", "Kornblomst", "Forår", "Sommer", "Høst", "Vinter", "Morgen", "Aften",
    "Løvs", "Frø", "Rosen", "Mynte", "Timian", "Salvie", "Løvstikke", "Kamille",
)  # fmt: skip

_SUFFIXES = {
    "centre": ("gade", "vej", "stræde", "allé"),
    "mixed": ("vej", "gade", "allé", "vænget", "parken"),
    "villa": ("vej", "vænget", "toften", "høj", "lunden", "bakken", "haven", "engen", "krogen"),
    "rowhouse": ("parken", "vænget", "haven", "gården", "lunden", "toften"),
    "apartment": ("parken", "gården", "vej", "haven"),
    "business": ("vang", "bjerg", "vej", "buen"),
    "village": ("vej", "gade", "bakken", "stræde"),
    "distributor": ("vej", "allé"),
    "lane": ("gårdsvej", "vej", "mosevej", "dalsvej"),
    "path": ("stien", "gangen"),
}
_QUALIFIERS = ("Nørre", "Søndre", "Øster", "Vester", "Lille", "Store", "Gl.", "Ny")
"""Prefixed to a used name when a kind of name runs out (at large scales)."""


class _NamePool:
    """Hands out Danish street names, each only once."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def take(self, kind: str, n: int) -> list[str]:
        """Return ``n`` unused names of a kind (its suffixes), in random order."""
        base = [
            stem + suffix
            for suffix in _SUFFIXES[kind]
            for stem in _NAME_STEMS
            if suffix[:3] not in stem.lower()
        ]
        chosen: list[str] = []
        for qualifier in ("", *_QUALIFIERS):
            if len(chosen) >= n:
                break
            fresh = [f"{qualifier} {name}".lstrip() for name in base]
            fresh = [name for name in fresh if name not in self._used]
            chosen += [fresh[i] for i in self._rng.permutation(len(fresh))[: n - len(chosen)]]
        number = 2
        while len(chosen) < n:  # only at absurd scales
            name = f"{base[len(chosen) % len(base)]} {number}"
            number += 1
            if name not in self._used:
                chosen.append(name)
        self._used.update(chosen)
        return chosen


# --- layout: the plan at a scale ---------------------------------------------------------


@dataclass
class _Layout:
    """The plan placed at a scale, with the seed's wobbles and district polygons."""

    f: float  # linear scale factor (sqrt of the area scale)
    scale: float
    outline: Polygon
    inner: Polygon  # outline shrunk, where lattices may grow
    centres: np.ndarray  # (districts, 2) m
    axes: np.ndarray  # (districts, 2) m
    angles: np.ndarray  # radians
    wobble: np.ndarray  # (districts, 4): amplitude and phase of 3- and 5-fold boundary waves
    pattern: np.ndarray  # pattern code per district
    town_of: np.ndarray  # town index per district
    polygons: list[shapely.Geometry]

    def place(self, point_km: tuple[float, float]) -> np.ndarray:
        """Return a plan point (km) at this scale, in metres."""
        return np.asarray(_place(point_km, self.f))

    def in_cores(
        self, x: np.ndarray, y: np.ndarray, which: np.ndarray, margin: float = 1.0
    ) -> np.ndarray:
        """Return whether points lie in the built-up core of any district in ``which``."""
        inside = np.zeros(x.shape, dtype=bool)
        for d in np.flatnonzero(which):
            dx, dy = x - self.centres[d, 0], y - self.centres[d, 1]
            c, s = math.cos(self.angles[d]), math.sin(self.angles[d])
            lx = (dx * c + dy * s) / self.axes[d, 0]
            ly = (-dx * s + dy * c) / self.axes[d, 1]
            theta = np.arctan2(ly, lx)
            a3, p3, a5, p5 = self.wobble[d]
            limit = margin * (1 + a3 * np.sin(3 * theta + p3) + a5 * np.sin(5 * theta + p5))
            inside |= np.hypot(lx, ly) <= limit
        return inside

    def district_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Return the index of the district polygon holding each point (-1: outside)."""
        out = np.full(np.shape(x), -1, dtype=np.int64)
        for d, poly in enumerate(self.polygons):
            out[(out < 0) & shapely.contains_xy(poly, x, y)] = d
        return out


def _layout(scale: float, rng: np.random.Generator) -> _Layout:
    f = math.sqrt(scale)
    outline = Polygon([_place(p, f) for p in _OUTLINE_KM])
    inner = outline.buffer(-40.0 * min(1.0, f))
    centres = np.array([_place(d.centre, f) for d in _DISTRICTS])
    axes = np.array([d.axes for d in _DISTRICTS], dtype=float) * f
    angles = np.radians([d.angle for d in _DISTRICTS])
    n = len(_DISTRICTS)
    wobble = np.column_stack(
        [
            rng.uniform(0.04, 0.10, n),
            rng.uniform(0, 2 * math.pi, n),
            rng.uniform(0.02, 0.05, n),
            rng.uniform(0, 2 * math.pi, n),
        ]
    )
    town_names = [t.name for t in _TOWNS]
    layout = _Layout(
        f=f,
        scale=scale,
        outline=outline,
        inner=inner,
        centres=centres,
        axes=axes,
        angles=angles,
        wobble=wobble,
        pattern=np.array([_PATTERNS.index(d.pattern) for d in _DISTRICTS]),
        town_of=np.array([town_names.index(d.town) for d in _DISTRICTS]),
        polygons=[],
    )
    layout.polygons = _district_polygons(layout, rng)
    return layout


def _place(point_km: Sequence[float], f: float) -> tuple[float, float]:
    x, y = point_km[0] * 1000.0, point_km[1] * 1000.0
    return _CENTRE[0] + f * (x - _CENTRE[0]), _CENTRE[1] + f * (y - _CENTRE[1])


def _district_polygons(layout: _Layout, rng: np.random.Generator) -> list[shapely.Geometry]:
    """Split the municipality among the districts: nearest core wins.

    Seeds scattered over every district's core make a Voronoi diagram whose
    cells, dissolved per district, follow the cores' shapes; the green space
    between towns goes to the nearest core.
    """
    per = 40
    points, labels = [], []
    for d in range(len(_DISTRICTS)):
        r = np.sqrt(rng.random(per)) * 0.9
        t = rng.uniform(0, 2 * math.pi, per)
        lx, ly = r * np.cos(t) * layout.axes[d, 0], r * np.sin(t) * layout.axes[d, 1]
        c, s = math.cos(layout.angles[d]), math.sin(layout.angles[d])
        points.append(np.column_stack([lx * c - ly * s, lx * s + ly * c]) + layout.centres[d])
        labels.append(np.full(per, d))
    seeds = shapely.multipoints(np.vstack(points))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(seeds, extend_to=layout.outline, ordered=True)
    )
    label = np.concatenate(labels)
    polygons = []
    for d in range(len(_DISTRICTS)):
        poly = shapely.intersection(shapely.union_all(cells[label == d]), layout.outline)
        poly = shapely.make_valid(shapely.set_precision(poly, 0.01))
        if poly.geom_type == "GeometryCollection":
            poly = shapely.union_all([g for g in poly.geoms if g.geom_type.endswith("Polygon")])
        shapely.prepare(poly)
        polygons.append(poly)
    return polygons


# --- the street network --------------------------------------------------------------------

_CLASS_CODES = ("through", "distributor", "local", "path")
_THROUGH, _DISTRIBUTOR, _LOCAL, _PATH = range(4)
_ORIGINS = ("town", "rural", "lane", "green")
_TOWN, _RURAL_ROAD, _LANE, _GREEN = range(4)


@dataclass
class _Edges:
    """Network edges under construction: node pairs and attributes, as arrays."""

    u: np.ndarray
    v: np.ndarray
    cls: np.ndarray  # class code
    name: np.ndarray  # object array of str
    origin: np.ndarray  # origin code

    @classmethod
    def empty(cls) -> _Edges:
        """Return no edges."""
        i = np.zeros(0, dtype=np.int64)
        return cls(i, i.copy(), i.copy(), np.zeros(0, dtype=object), i.copy())

    def extend(self, other: _Edges) -> _Edges:
        """Return these edges followed by ``other``."""
        return _Edges(
            *(np.concatenate([a, b]) for a, b in zip(self.arrays(), other.arrays(), strict=True))
        )

    def arrays(self) -> tuple[np.ndarray, ...]:
        """Return the attribute arrays in field order."""
        return self.u, self.v, self.cls, self.name, self.origin

    def take(self, index: np.ndarray) -> _Edges:
        """Return the edges at ``index`` (an integer or boolean array)."""
        return _Edges(*(a[index] for a in self.arrays()))

    def __len__(self) -> int:
        return len(self.u)


class _Nodes:
    """A growing array of node coordinates."""

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []
        self.count = 0

    def add(self, xy: np.ndarray) -> np.ndarray:
        """Append points; return their node ids."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        ids = np.arange(self.count, self.count + len(xy))
        self._parts.append(xy)
        self.count += len(xy)
        return ids

    @property
    def xy(self) -> np.ndarray:
        """All node coordinates, (n, 2)."""
        if len(self._parts) > 1:
            self._parts = [np.vstack(self._parts)]
        return self._parts[0] if self._parts else np.zeros((0, 2))


def _warp(rng: np.random.Generator, f: float) -> Callable[[np.ndarray, np.ndarray], tuple]:
    """Return a smooth random displacement field (x, y) -> (dx, dy), a few tens of metres."""
    modes = 3
    direction = rng.uniform(0, 2 * math.pi, (2, modes))
    wavelength = rng.uniform(500, 1300, (2, modes))
    phase = rng.uniform(0, 2 * math.pi, (2, modes))
    amplitude = rng.uniform(6, 15, (2, modes)) * min(1.0, 0.5 + f)

    def field(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = []
        for k in range(2):
            total = np.zeros_like(x)
            for m in range(modes):
                along = x * math.cos(direction[k, m]) + y * math.sin(direction[k, m])
                total += amplitude[k, m] * np.sin(
                    2 * math.pi * along / wavelength[k, m] + phase[k, m]
                )
            out.append(total)
        return out[0], out[1]

    return field


def _edge_roles(
    pattern: np.ndarray, o: np.ndarray, line: np.ndarray, pos: np.ndarray, r: np.ndarray
) -> np.ndarray:
    """Decide what each lattice edge becomes: 0 nothing, 1 path, 2 road.

    ``o`` is the edge's direction after the district's transposition (0: along
    collector roads, 1: across), ``line`` the lattice line it lies on and
    ``pos`` its place along that line.
    """
    centre, mixed, villa, rowhouse, apartment, business, village = range(7)
    road_or = lambda keep, p_path: np.where(keep, 2, np.where(r < p_path, 1, 0))  # noqa: E731
    roles = np.zeros(len(pattern), dtype=np.int8)

    def put(code: int, values: np.ndarray) -> None:
        m = pattern == code
        roles[m] = values[m]

    put(centre, np.where(r < 0.06, 1, np.where(r < 0.09, 0, 2)))
    put(mixed, np.where(line % 2 == 0, 2, np.where(r < 0.55, 2, np.where(r < 0.75, 1, 0))))
    stub = np.isin(pos % 3, (0, 2))
    villa_across = np.where(
        stub, np.where(r < 0.08, 0, 2), np.where(r < 0.25, 2, np.where(r < 0.8, 1, 0))
    )
    put(villa, np.where(o == 0, road_or(line % 3 == 0, 0.04), villa_across))
    row_stub = np.isin(pos % 4, (0, 3))
    row_across = np.where(row_stub, 2, np.where(r < 0.6, 1, 0))
    put(rowhouse, np.where(o == 0, road_or(line % 4 == 0, 0.5), row_across))
    big_block = np.where(o == 0, line % 2 == 0, line % 3 == 0)
    put(apartment, road_or(big_block, 0.55))
    put(business, np.where(big_block & (r >= 0.1), 2, np.where(r < 0.08, 1, 0)))
    put(village, np.where(line % 2 == 0, np.where(r < 0.85, 2, 0), np.where(r < 0.3, 2, 0)))
    return roles


@dataclass
class _Lattice:
    """One town's streets, cut from its warped lattice."""

    town: int
    nodes: np.ndarray  # global node ids of the lattice, by lattice index
    edges: _Edges
    centre: int  # node nearest the town's origin (through roads meet there)


def _town_lattice(
    t: int, layout: _Layout, nodes: _Nodes, pool: _NamePool, rng: np.random.Generator
) -> _Lattice | None:
    town = _TOWNS[t]
    mine = layout.town_of == t
    origin = layout.place(town.origin)
    theta = math.radians(town.angle)
    c, s = math.cos(theta), math.sin(theta)
    su, sv = town.spacing
    # Lattice index range covering the town's cores, in the lattice frame.
    rel = layout.centres[mine] - origin
    reach = layout.axes[mine].max(axis=1, keepdims=True) * 1.25
    lu = rel[:, :1] * c + rel[:, 1:] * s
    lv = -rel[:, :1] * s + rel[:, 1:] * c
    i0, i1 = math.floor(((lu - reach).min()) / su), math.ceil(((lu + reach).max()) / su)
    j0, j1 = math.floor(((lv - reach).min()) / sv), math.ceil(((lv + reach).max()) / sv)
    ii, jj = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j0, j1 + 1), indexing="ij")
    ni, nj = ii.shape
    u, v = ii.ravel() * su, jj.ravel() * sv
    x = origin[0] + u * c - v * s
    y = origin[1] + u * s + v * c
    dx, dy = _warp(rng, layout.f)(x, y)
    x = x + dx + rng.normal(0, 3.0, x.size)
    y = y + dy + rng.normal(0, 3.0, y.size)
    inside = layout.in_cores(x, y, mine) | shapely.contains_xy(_town_hull(layout, mine), x, y)
    inside &= shapely.contains_xy(layout.inner, x, y)
    district = layout.district_of(x, y)
    inside &= district >= 0
    if inside.sum() < 2:
        return None

    index = np.arange(ni * nj).reshape(ni, nj)
    # Edges along u (o=0: line j, position i) and along v (o=1: line i, position j).
    a = np.concatenate([index[:-1, :].ravel(), index[:, :-1].ravel()])
    b = np.concatenate([index[1:, :].ravel(), index[:, 1:].ravel()])
    o = np.concatenate([np.zeros((ni - 1) * nj, int), np.ones(ni * (nj - 1), int)])
    line = np.where(o == 0, jj.ravel()[a], ii.ravel()[a])
    pos = np.where(o == 0, ii.ravel()[a], jj.ravel()[a])
    keep = inside[a] & inside[b]
    a, b, o, line, pos = a[keep], b[keep], o[keep], line[keep], pos[keep]
    d = district[a]
    transposed = rng.integers(0, 2, len(_DISTRICTS))
    o_local = o ^ transposed[d]
    r = rng.random(len(a))
    roles = _edge_roles(layout.pattern[d], o_local, line, pos, r)
    offset = rng.integers(0, 8, 2)
    distributor = (line - offset[o]) % 8 == 0
    village = layout.pattern[d] == _PATTERNS.index("village")
    roles[distributor & ~village] = 2
    cls = np.where(roles == 2, np.where(distributor & ~village, _DISTRIBUTOR, _LOCAL), _PATH)
    a, b, o, line, pos, d, cls = (arr[roles > 0] for arr in (a, b, o, line, pos, d, cls))

    a, b, cls, o, line, pos, d = _main_component(ni * nj, a, b, cls, o, line, pos, d)
    if len(a) == 0:
        return None
    names = _lattice_names(layout, pool, o, line, pos, d, cls)
    ids = nodes.add(np.column_stack([x, y]))
    road_nodes = np.unique(np.concatenate([a[cls != _PATH], b[cls != _PATH]]))
    near = np.hypot(x[road_nodes] - origin[0], y[road_nodes] - origin[1]).argmin()
    edges = _Edges(ids[a], ids[b], cls, names, np.full(len(a), _TOWN))
    return _Lattice(t, ids, edges, int(ids[road_nodes[near]]))


def _town_hull(layout: _Layout, mine: np.ndarray) -> shapely.Geometry:
    """Return the ground between a town's district cores, which is built up too."""
    reach = 0.8 * layout.axes[mine].min(axis=1).mean()
    return shapely.convex_hull(shapely.multipoints(layout.centres[mine])).buffer(reach)


def _main_component(
    n: int, a: np.ndarray, b: np.ndarray, cls: np.ndarray, *rest: np.ndarray
) -> Iterator[np.ndarray]:
    """Keep the largest connected road network and the paths that reach it."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    road = cls != _PATH
    if not road.any():
        return (arr[:0] for arr in (a, b, cls, *rest))
    graph = coo_matrix((np.ones(road.sum()), (a[road], b[road])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    used = np.zeros(n, dtype=bool)
    used[a[road]] = used[b[road]] = True
    counts = np.bincount(label[used], minlength=label.max() + 1)
    main = counts.argmax()
    keep_road = road & (label[a] == main)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))  # roads and paths together
    _, label_all = connected_components(graph, directed=False)
    main_all = label_all[a[keep_road][0]]
    keep = keep_road | (~road & (label_all[a] == main_all))
    return (arr[keep] for arr in (a, b, cls, *rest))


def _lattice_names(
    layout: _Layout,
    pool: _NamePool,
    o: np.ndarray,
    line: np.ndarray,
    pos: np.ndarray,
    d: np.ndarray,
    cls: np.ndarray,
) -> np.ndarray:
    """Name lattice edges: a distributor per lattice line, local streets per stretch."""
    names = np.empty(len(o), dtype=object)
    chunk = pos // 8
    groups = {
        _DISTRIBUTOR: (np.column_stack([o, line]), lambda keys: ["distributor"] * len(keys)),
        _LOCAL: (
            np.column_stack([d, o, line, chunk]),
            lambda keys: [_PATTERNS[layout.pattern[k[0]]] for k in keys],
        ),
        _PATH: (np.column_stack([d, line // 4, pos // 8]), lambda keys: ["path"] * len(keys)),
    }
    for code, (key, kinds_of) in groups.items():
        m = cls == code
        if not m.any():
            continue
        keys, inverse = np.unique(key[m], axis=0, return_inverse=True)
        kinds = kinds_of(keys)
        group_names = np.empty(len(keys), dtype=object)
        for kind in dict.fromkeys(kinds):
            where = [i for i, k in enumerate(kinds) if k == kind]
            for i, name in zip(where, pool.take(kind, len(where)), strict=True):
                group_names[i] = name
        names[m] = group_names[inverse.ravel()]
    return names


def _through_routes(
    lattices: dict[int, _Lattice],
    layout: _Layout,
    nodes: _Nodes,
    edges: _Edges,
    rng: np.random.Generator,
) -> tuple[_Edges, _Edges]:
    """Join the towns by rural through roads that run on to each town's centre.

    Returns the lattice edges (with the through routes re-classed and renamed)
    and the new rural road edges.
    """
    xy = nodes.xy
    town_names = [t.name for t in _TOWNS]
    road = edges.cls != _PATH
    rural = _Edges.empty()
    for start, end, name in _ROADS:
        a_town = lattices.get(town_names.index(start))
        if a_town is None:
            continue
        if isinstance(end, str):
            b_town = lattices.get(town_names.index(end))
            if b_town is None:
                continue
            target = xy[b_town.centre]
        else:
            b_town, target = None, layout.place(end)
        gate_a = _nearest_road_node(edges, road, a_town, xy, target)
        if b_town is not None:
            gate_b = _nearest_road_node(edges, road, b_town, xy, xy[gate_a])
            end_point = xy[gate_b]
        else:
            gate_b, end_point = None, target
        for lattice, gate in ((a_town, gate_a), (b_town, gate_b)):
            if lattice is not None:
                route = _route_edges(edges, road, xy, gate, lattice.centre)
                fresh = route[edges.cls[route] != _THROUGH]
                edges.cls[fresh] = _THROUGH
                edges.name[fresh] = name
        line = _bent_line(xy[gate_a], end_point, rng, step=120.0)
        inner_ids = nodes.add(line[1:-1])
        last = gate_b if gate_b is not None else int(nodes.add(line[-1:])[0])
        chain = np.concatenate([[gate_a], inner_ids, [last]])
        xy = nodes.xy
        rural = rural.extend(_chain_edges(chain, _THROUGH, name, _RURAL_ROAD))
    return edges, rural


def _nearest_road_node(
    edges: _Edges, road: np.ndarray, lattice: _Lattice, xy: np.ndarray, target: np.ndarray
) -> int:
    mine = road & np.isin(edges.u, lattice.nodes)
    candidates = np.unique(np.concatenate([edges.u[mine], edges.v[mine]]))
    distance = np.hypot(*(xy[candidates] - target).T)
    return int(candidates[distance.argmin()])


def _route_edges(
    edges: _Edges, road: np.ndarray, xy: np.ndarray, source: int, target: int
) -> np.ndarray:
    """Return the indices of the road edges on a shortest path between two nodes."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    index = np.flatnonzero(road)
    u, v = edges.u[index], edges.v[index]
    length = np.hypot(*(xy[u] - xy[v]).T)
    n = len(xy)
    graph = coo_matrix((length, (u, v)), shape=(n, n)).tocsr()
    _, pred = dijkstra(graph, directed=False, indices=source, return_predecessors=True)
    path = [target]
    while path[-1] != source and pred[path[-1]] >= 0:
        path.append(int(pred[path[-1]]))
    if path[-1] != source:
        return np.zeros(0, dtype=np.int64)
    pairs = np.sort(np.column_stack([path[:-1], path[1:]]), axis=1)
    key = np.minimum(u, v) * n + np.maximum(u, v)
    order = np.argsort(key)
    found = np.searchsorted(key, pairs[:, 0] * n + pairs[:, 1], sorter=order)
    return index[order[found]]


def _bent_line(p: np.ndarray, q: np.ndarray, rng: np.random.Generator, step: float) -> np.ndarray:
    """Return a gently curving polyline from ``p`` to ``q`` with a vertex every ``step`` m."""
    delta = np.asarray(q, float) - np.asarray(p, float)
    length = float(np.hypot(*delta))
    n = max(2, math.ceil(length / step))
    t = np.linspace(0.0, 1.0, n + 1)
    normal = np.array([-delta[1], delta[0]]) / max(length, 1e-9)
    wiggle = np.cumsum(rng.normal(0, 4.0, n + 1))
    wiggle -= wiggle[0] + (wiggle[-1] - wiggle[0]) * t
    bend = rng.uniform(-0.07, 0.07) * length * np.sin(math.pi * t) + wiggle
    return np.asarray(p, float) + t[:, None] * delta + bend[:, None] * normal


def _chain_edges(chain: np.ndarray, cls: int, name: str, origin: int) -> _Edges:
    n = len(chain) - 1
    return _Edges(
        np.asarray(chain[:-1], dtype=np.int64),
        np.asarray(chain[1:], dtype=np.int64),
        np.full(n, cls),
        np.array([name] * n, dtype=object),
        np.full(n, origin),
    )


def _lanes_and_farms(
    layout: _Layout,
    nodes: _Nodes,
    rural: _Edges,
    pool: _NamePool,
    rng: np.random.Generator,
) -> tuple[_Edges, np.ndarray]:
    """Add dead-end lanes to farms off the rural roads; return them and farm points."""
    xy = nodes.xy
    all_cores = np.ones(len(_DISTRICTS), dtype=bool)
    # Interior vertices of rural roads: nodes that are the start of one rural
    # edge and the end of another.
    interior = np.intersect1d(rural.u, rural.v)
    interior = interior[~layout.in_cores(*xy[interior].T, all_cores, margin=1.6)]
    lanes = _Edges.empty()
    farms = []
    wanted = max(1, round(20 * layout.scale))
    if len(interior):
        starts = rng.permutation(interior)[: wanted * 3]
        names = iter(pool.take("lane", len(starts)))
        made = 0
        for start in starts:
            if made >= wanted:
                break
            name = next(names)
            out = rural.v[rural.u == start]
            into = rural.u[rural.v == start]
            if not len(out) or not len(into):
                continue
            direction = xy[out[0]] - xy[into[0]]
            normal = np.array([-direction[1], direction[0]]) / np.hypot(*direction)
            normal *= rng.choice([-1, 1])
            end = xy[start] + normal * rng.uniform(250, 700) * min(1.0, 0.3 + layout.f)
            if (
                not layout.inner.contains(Point(end))
                or layout.in_cores(np.array([end[0]]), np.array([end[1]]), all_cores, margin=1.5)[0]
            ):
                continue
            line = _bent_line(xy[start], end, rng, step=110.0)
            ids = nodes.add(line[1:])
            lanes = lanes.extend(_chain_edges(np.concatenate([[start], ids]), _LOCAL, name, _LANE))
            for _ in range(int(rng.integers(1, 3))):
                angle = rng.uniform(0, 2 * math.pi)
                farms.append(
                    end + rng.uniform(45, 110) * np.array([math.cos(angle), math.sin(angle)])
                )
            made += 1
    return lanes, np.array(farms, dtype=float).reshape(-1, 2)


def _green_paths(
    lattices: dict[int, _Lattice],
    layout: _Layout,
    nodes: _Nodes,
    edges: _Edges,
    pool: _NamePool,
    rng: np.random.Generator,
) -> _Edges:
    """Recreational paths across the green space between towns."""
    town_names = [t.name for t in _TOWNS]
    paths = _Edges.empty()
    everything = np.ones(len(edges), dtype=bool)
    names = iter(pool.take("path", len(_GREEN_PATHS)))
    for start, end in _GREEN_PATHS:
        name = next(names)
        a, b = lattices.get(town_names.index(start)), lattices.get(town_names.index(end))
        if a is None or b is None:
            continue
        xy = nodes.xy
        side = np.array([[0, -1], [1, 0]]) @ (xy[b.centre] - xy[a.centre])
        side *= rng.choice([-1, 1]) * 0.15
        gate_a = _nearest_road_node(edges, everything, a, xy, xy[b.centre] + side)
        gate_b = _nearest_road_node(edges, everything, b, xy, xy[gate_a])
        line = _bent_line(xy[gate_a], xy[gate_b], rng, step=100.0)
        ids = nodes.add(line[1:-1])
        chain = np.concatenate([[gate_a], ids, [gate_b]])
        paths = paths.extend(_chain_edges(chain, _PATH, name, _GREEN))
    return paths


def _node_crossings(nodes: _Nodes, edges: _Edges) -> _Edges:
    """Split edges where they cross, so every crossing is a junction."""
    xy = nodes.xy
    lines = shapely.linestrings(np.stack([xy[edges.u], xy[edges.v]], axis=1))
    first, second = shapely.STRtree(lines).query(lines, predicate="crosses")
    pair = first < second
    first, second = first[pair], second[pair]
    if not len(first):
        return edges
    points = shapely.intersection(lines[first], lines[second])
    is_point = shapely.get_type_id(points) == 0
    first, second, points = first[is_point], second[is_point], points[is_point]
    ids = nodes.add(shapely.get_coordinates(points))
    cuts: dict[int, list[tuple[float, int]]] = {}
    for e, node, point in zip(
        np.concatenate([first, second]),
        np.concatenate([ids, ids]),
        np.concatenate([points, points]),
        strict=True,
    ):
        cuts.setdefault(int(e), []).append(
            (float(shapely.line_locate_point(lines[e], point)), int(node))
        )
    keep = np.ones(len(edges), dtype=bool)
    pieces = []
    for e in sorted(cuts):
        keep[e] = False
        chain = [int(edges.u[e])] + [n for _, n in sorted(cuts[e])] + [int(edges.v[e])]
        piece = _chain_edges(
            np.array(chain), int(edges.cls[e]), edges.name[e], int(edges.origin[e])
        )
        pieces.append(piece)
    out = edges.take(keep)
    for piece in pieces:
        out = out.extend(piece)
    return out


def _merge_chains(n_nodes: int, edges: _Edges) -> tuple[list[list[int]], np.ndarray]:
    """Merge runs of edges through plain bends into junction-to-junction streets.

    A node is a junction when it does not have exactly two edges or when its
    two edges differ in class, name or origin. Closed loops are cut in two.

    Returns
    -------
    chains : list of list of int
        Node ids along each street.
    first_edge : ndarray
        For each street, one of its edges (whose attributes it carries).
    """
    incident: list[list[int]] = [[] for _ in range(n_nodes)]
    for e, (a, b) in enumerate(zip(edges.u.tolist(), edges.v.tolist(), strict=True)):
        incident[a].append(e)
        incident[b].append(e)
    key = list(zip(edges.cls.tolist(), edges.name.tolist(), edges.origin.tolist(), strict=True))
    u, v = edges.u.tolist(), edges.v.tolist()

    def is_junction(n: int) -> bool:
        inc = incident[n]
        return len(inc) != 2 or key[inc[0]] != key[inc[1]]

    visited = [False] * len(edges)
    chains: list[list[int]] = []
    first: list[int] = []

    def walk(start: int, e: int) -> None:
        chain, node = [start], start
        first.append(e)
        while True:
            visited[e] = True
            node = v[e] if u[e] == node else u[e]
            chain.append(node)
            if node == start or is_junction(node):
                break
            nxt = incident[node][0] if incident[node][1] == e else incident[node][1]
            if visited[nxt]:
                break
            e = nxt
        chains.append(chain)

    for n in range(n_nodes):
        if incident[n] and is_junction(n):
            for e in incident[n]:
                if not visited[e]:
                    walk(n, e)
    for e in range(len(edges)):  # loops with no junction on them
        if not visited[e]:
            walk(u[e], e)
    out_chains, out_first = [], []
    for chain, e in zip(chains, first, strict=True):
        if chain[0] == chain[-1]:
            half = max(1, (len(chain) - 1) // 2)
            parts = [chain[: half + 1], chain[half:]]
        else:
            parts = [chain]
        for part in parts:
            out_chains.append(part)
            out_first.append(e)
    return out_chains, np.array(out_first, dtype=np.int64)


@dataclass
class _Network:
    """The finished street network: one row per street (junction to junction)."""

    geometry: np.ndarray  # LineStrings
    u: np.ndarray  # end node ids (compact, 0..n_nodes-1)
    v: np.ndarray
    cls: np.ndarray
    name: np.ndarray
    origin: np.ndarray
    length: np.ndarray
    district: np.ndarray  # district of the street's middle point (-1 outside)
    pattern: np.ndarray  # pattern code of that district, _RURAL outside towns
    node_xy: np.ndarray

    @property
    def road(self) -> np.ndarray:
        """Streets that are roads (not paths)."""
        return self.cls != _PATH

    def graph(self, mask: np.ndarray | None = None) -> csr_matrix:
        """Return a sparse undirected length-weighted graph of the chosen streets."""
        from scipy.sparse import coo_matrix

        mask = np.ones(len(self.u), dtype=bool) if mask is None else mask
        n = len(self.node_xy)
        # Parallel streets between the same two junctions: keep the shortest.
        u, v, w = self.u[mask], self.v[mask], self.length[mask]
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        order = np.lexsort((w, hi, lo))
        first = np.ones(len(order), dtype=bool)
        first[1:] = (lo[order][1:] != lo[order][:-1]) | (hi[order][1:] != hi[order][:-1])
        sel = order[first]
        return coo_matrix((w[sel], (lo[sel], hi[sel])), shape=(n, n)).tocsr()

    def incident(self) -> list[list[int]]:
        """Street indices at each node."""
        inc: list[list[int]] = [[] for _ in range(len(self.node_xy))]
        for e, (a, b) in enumerate(zip(self.u.tolist(), self.v.tolist(), strict=True)):
            inc[a].append(e)
            inc[b].append(e)
        return inc


def _build_network(
    layout: _Layout, pool: _NamePool, rng: np.random.Generator
) -> tuple[_Network, np.ndarray]:
    """Build the noded street network and the farm points beside it."""
    nodes = _Nodes()
    lattices: dict[int, _Lattice] = {}
    edges = _Edges.empty()
    for t in range(len(_TOWNS)):
        lattice = _town_lattice(t, layout, nodes, pool, rng)
        if lattice is not None:
            lattices[t] = lattice
            edges = edges.extend(lattice.edges)
    if not lattices:
        raise ValueError("the demo municipality is too small to hold a street; raise scale")
    edges, rural = _through_routes(lattices, layout, nodes, edges, rng)
    lanes, farms = _lanes_and_farms(layout, nodes, rural, pool, rng)
    green = _green_paths(lattices, layout, nodes, edges, pool, rng)
    edges = edges.extend(rural).extend(lanes).extend(green)
    edges = _node_crossings(nodes, edges)

    chains, first = _merge_chains(nodes.count, edges)
    xy = nodes.xy
    used, compact = np.unique(np.concatenate(chains), return_inverse=True)
    sizes = np.array([len(c) for c in chains])
    geometry = shapely.linestrings(
        xy[np.concatenate(chains)], indices=np.repeat(np.arange(len(chains)), sizes)
    )
    ends = np.cumsum(sizes)
    u = compact[ends - sizes]
    v = compact[ends - 1]
    middle = shapely.line_interpolate_point(geometry, 0.5, normalized=True)
    district = layout.district_of(shapely.get_x(middle), shapely.get_y(middle))
    origin = edges.origin[first]
    pattern = np.where(
        (origin == _TOWN) & (district >= 0), layout.pattern[np.maximum(district, 0)], _RURAL
    )
    network = _Network(
        geometry=geometry,
        u=u,
        v=v,
        cls=edges.cls[first],
        name=edges.name[first],
        origin=origin,
        length=shapely.length(geometry),
        district=district,
        pattern=pattern,
        node_xy=xy[used],
    )
    return network, farms


# --- addresses -----------------------------------------------------------------------------


def _home_units(pattern: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw households per home address for a district pattern."""
    name = _PATTERNS[pattern] if pattern < len(_PATTERNS) else "village"
    r = rng.random(n)
    ones = np.ones(n, dtype=np.int64)
    if name == "villa":
        return np.where(r < 0.06, 2, np.where(r < 0.07, rng.integers(3, 7, n), ones))
    if name == "rowhouse":
        return np.where(r < 0.05, 2, ones)
    if name == "apartment":
        return np.where(r < 0.1, ones, rng.integers(6, 25, n))
    if name == "centre":
        return np.where(r < 0.6, rng.integers(4, 17, n), rng.integers(1, 3, n))
    if name == "mixed":
        return np.where(r < 0.4, rng.integers(4, 13, n), ones)
    if name == "business":
        return rng.integers(1, 3, n)
    return ones


_MEAN_UNITS = {
    "villa": 1.1,
    "rowhouse": 1.05,
    "apartment": 13.9,
    "centre": 6.8,
    "mixed": 3.8,
    "business": 1.5,
    "village": 1.0,
}


def _address_slots(
    network: _Network, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate address points along both sides of every town street.

    Returns the slot points' x and y and the index of their street.
    """
    pick = np.flatnonzero((network.origin == _TOWN) & network.road & (network.district >= 0))
    pattern = network.pattern[pick]
    spacing = _SLOT_SPACING[pattern]
    length = network.length[pick]
    per_side = np.where(length >= 24, np.floor((length - 20) / spacing) + 1, 0).astype(np.int64)
    counts = 2 * per_side
    street = np.repeat(pick, counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    side = np.where(within % 2 == 0, 1.0, -1.0)
    step = np.repeat(spacing, counts)
    along = 10 + (within // 2) * step + rng.uniform(-0.2, 0.2, len(street)) * step
    along = np.clip(along, 8, network.length[street] - 8)
    lo, hi = _SLOT_OFFSET[network.pattern[street]].T
    offset = rng.uniform(lo, hi)
    x, y = _offset_points(network.geometry[street], along, side * offset)
    return x, y, street


def _offset_points(
    lines: np.ndarray, along: np.ndarray, offset: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Points ``along`` metres into each line, moved ``offset`` metres to its left."""
    here = shapely.get_coordinates(shapely.line_interpolate_point(lines, along))
    length = shapely.length(lines)
    ahead_at = np.where(along + 1 <= length, along + 1, along - 1)
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(lines, ahead_at))
    direction = (ahead - here) * np.where(along + 1 <= length, 1.0, -1.0)[:, None]
    direction /= np.maximum(np.hypot(*direction.T), 1e-9)[:, None]
    normal = np.column_stack([-direction[:, 1], direction[:, 0]])
    point = here + normal * offset[:, None]
    return point[:, 0], point[:, 1]


def _distance_to_streets(network: _Network, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    tree = shapely.STRtree(network.geometry)
    (which, _), distance = tree.query_nearest(shapely.points(x, y), return_distance=True)
    out = np.full(len(x), np.inf)
    np.minimum.at(out, which, distance)
    return out


def _addresses(
    layout: _Layout, network: _Network, farms: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Addresses beside town streets, per district, plus the farms out in the fields."""
    x, y, street = _address_slots(network, rng)
    district = layout.district_of(x, y)
    ok = (district >= 0) & (_distance_to_streets(network, x, y) >= 8.0)
    x, y, street, district = x[ok], y[ok], street[ok], district[ok]

    weights = np.array([d.households for d in _DISTRICTS], dtype=float)
    targets = np.round(weights / weights.sum() * DEMO_HOUSEHOLDS * layout.scale).astype(int)
    frames = []
    for d, plan in enumerate(_DISTRICTS):
        slots = np.flatnonzero(district == d)
        if not len(slots):
            continue
        pattern = int(layout.pattern[d])
        n_business = round(plan.businesses * layout.scale)
        n_home = max(1, round(targets[d] / _MEAN_UNITS[plan.pattern]))
        n = min(len(slots), n_home + n_business)
        n_business = round(n_business * n / (n_home + n_business))
        n_home = n - n_business
        chosen = np.sort(rng.choice(slots, n, replace=False))
        main = np.isin(network.cls[street[chosen]], (_THROUGH, _DISTRIBUTOR))
        weight = np.where(main, 4.0, 1.0)
        business = np.zeros(n, dtype=bool)
        if n_business:
            business[rng.choice(n, n_business, replace=False, p=weight / weight.sum())] = True
        units = np.ones(n, dtype=np.int64)
        units[~business] = _fit_units(_home_units(pattern, n_home, rng), int(targets[d]), rng)
        frames.append(
            pd.DataFrame(
                {
                    "x": x[chosen],
                    "y": y[chosen],
                    "street": street[chosen],
                    "units": units,
                    "kind": np.where(business, "business", "home"),
                }
            )
        )
    frames.append(_farm_addresses(layout, network, farms, rng))
    table = pd.concat(frames, ignore_index=True)
    down, up = _speeds(network, table, rng)
    table["speed_down_mbps"] = down
    table["speed_up_mbps"] = up
    return table


def _fit_units(units: np.ndarray, target: int, rng: np.random.Generator) -> np.ndarray:
    """Nudge drawn households per address so that they add up to ``target``."""
    units = units.copy()
    if not len(units):
        return units
    deficit = target - int(units.sum())
    if deficit > 0:
        np.add.at(units, rng.integers(0, len(units), deficit), 1)
    while deficit < 0:
        several = np.flatnonzero(units > 1)
        if not len(several):
            break
        take = rng.choice(several, min(-deficit, len(several)), replace=False)
        units[take] -= 1
        deficit += len(take)
    return units


def _farm_addresses(
    layout: _Layout, network: _Network, farms: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Farms at lane ends and houses along rural roads; many beyond the drop distance."""
    rural = np.flatnonzero((network.origin != _TOWN) & network.road)
    wanted = max(2, round(40 * layout.scale))
    if len(rural):
        street = rng.choice(rural, wanted, p=network.length[rural] / network.length[rural].sum())
        along = rng.uniform(0.2, 0.8, wanted) * network.length[street]
        far = rng.random(wanted) < 0.5
        offset = np.where(far, rng.uniform(45, 150, wanted), rng.uniform(12, 25, wanted))
        x, y = _offset_points(network.geometry[street], along, offset * rng.choice([-1, 1], wanted))
        points = np.vstack([np.column_stack([x, y]), farms])
    else:
        points = farms
    x, y = points[:, 0], points[:, 1]
    inside = shapely.contains_xy(layout.inner, x, y)
    in_town = layout.in_cores(x, y, np.ones(len(_DISTRICTS), dtype=bool), margin=1.15)
    distance = _distance_to_streets(network, x, y)
    ok = inside & ~in_town & (((distance >= 8) & (distance <= 25)) | (distance > 32))
    x, y = x[ok], y[ok]
    nearest = shapely.STRtree(network.geometry).query_nearest(shapely.points(x, y))
    street = np.zeros(len(x), dtype=np.int64)
    street[nearest[0]] = nearest[1]
    n = len(x)
    return pd.DataFrame(
        {
            "x": x,
            "y": y,
            "street": street,
            "units": np.ones(n, dtype=np.int64),
            "kind": np.where(rng.random(n) < 0.25, "business", "home"),
        }
    )


def _speeds(
    network: _Network, table: pd.DataFrame, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw current broadband: whole streets (by name) got fibre or modern coax, most not."""
    names = network.name[table["street"].to_numpy()]
    codes, uniques = pd.factorize(pd.Series(names, dtype=object))
    pattern = network.pattern[table["street"].to_numpy()]
    share = np.zeros(len(uniques))
    np.maximum.at(share, codes, _SERVED_SHARE[pattern])
    street_served = rng.random(len(uniques)) < share
    n = len(table)
    served = street_served[codes] & (rng.random(n) < 0.92)
    fast = np.array(_SERVED_LINES)[rng.choice(len(_SERVED_LINES), n, p=_SERVED_P)]
    slow = np.array(_SLOW_LINES)[rng.choice(len(_SLOW_LINES), n, p=_SLOW_P)]
    lines = np.where(served[:, None], fast, slow)
    unknown = ~served & (rng.random(n) < _SLOW_UNKNOWN)
    lines[unknown] = np.nan
    return lines[:, 0], lines[:, 1]


# --- sites, backbone, ducts and dig plans --------------------------------------------------


class _Router:
    """Shortest paths over the road streets of a network."""

    def __init__(self, network: _Network) -> None:
        self.network = network
        self.graph = network.graph(network.road)
        self._street_of: dict[tuple[int, int], int] = {}
        road = np.flatnonzero(network.road)
        for e in road[np.argsort(-network.length[road], kind="stable")]:
            a, b = int(network.u[e]), int(network.v[e])
            self._street_of[(min(a, b), max(a, b))] = int(e)

    def from_nearest(self, sources: Sequence[int], target: int) -> list[int]:
        """Streets on the shortest path from the nearest of ``sources`` to ``target``."""
        from scipy.sparse.csgraph import dijkstra

        _, pred, _ = dijkstra(
            self.graph, directed=False, indices=list(sources), min_only=True,
            return_predecessors=True,
        )  # fmt: skip
        return self._streets(pred, set(int(s) for s in sources), target)

    def distances(self, sources: Sequence[int]) -> np.ndarray:
        """Road distance from the nearest of ``sources`` to every node."""
        from scipy.sparse.csgraph import dijkstra

        return dijkstra(self.graph, directed=False, indices=list(sources), min_only=True)

    def _streets(self, pred: np.ndarray, sources: set[int], target: int) -> list[int]:
        path = [target]
        while path[-1] not in sources and pred[path[-1]] >= 0:
            path.append(int(pred[path[-1]]))
        if path[-1] not in sources:
            return []
        return [self._street_of[(min(a, b), max(a, b))] for a, b in itertools.pairwise(path)]

    def merged(self, streets: Sequence[int]) -> shapely.Geometry:
        """One LineString along consecutive streets."""
        line = shapely.line_merge(shapely.multilinestrings(self.network.geometry[list(streets)]))
        if line.geom_type == "MultiLineString":
            line = max(line.geoms, key=lambda g: g.length)
        return line


def _nearest_node(network: _Network, candidates: np.ndarray, point: np.ndarray) -> int:
    distance = np.hypot(*(network.node_xy[candidates] - point).T)
    return int(candidates[distance.argmin()])


def _town_road_nodes(network: _Network) -> np.ndarray:
    town_road = (network.origin == _TOWN) & network.road
    return np.unique(np.concatenate([network.u[town_road], network.v[town_road]]))


def _pops(layout: _Layout, network: _Network) -> list[tuple[str, int]]:
    """Points of presence: the town road junction nearest each chosen district's core."""
    names = [d.name for d in _DISTRICTS]
    candidates = _town_road_nodes(network)
    out: list[tuple[str, int]] = []
    for name, district in _POPS:
        node = _nearest_node(network, candidates, layout.centres[names.index(district)])
        if node not in [n for _, n in out]:
            out.append((name, node))
    return out


def _sites(
    layout: _Layout, network: _Network, town_hall_node: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Municipal sites beside a town street of their district; returns x, y and node."""
    names = [d.name for d in _DISTRICTS]
    n = max(4, round(len(_SITES) * layout.scale))
    town_road = (network.origin == _TOWN) & network.road
    incident_to_hall = np.flatnonzero(
        town_road & ((network.u == town_hall_node) | (network.v == town_hall_node))
    )
    rows = []
    for i in range(n):
        name, kind, priority, district = _SITES[i % len(_SITES)]
        if i >= len(_SITES):
            name = f"{name} {i // len(_SITES) + 1}"
        d = names.index(district)
        if i == 0 and len(incident_to_hall):
            street = int(incident_to_hall[0])
        else:
            candidates = np.flatnonzero(town_road & (network.district == d))
            if not len(candidates):
                candidates = np.flatnonzero(town_road)
                middle = shapely.line_interpolate_point(
                    network.geometry[candidates], 0.5, normalized=True
                )
                gap = shapely.distance(middle, Point(layout.centres[d]))
                candidates = candidates[[gap.argmin()]]
            street = int(rng.choice(candidates))
        along = network.length[street] * rng.uniform(0.3, 0.7)
        offset = rng.uniform(12, 25) * rng.choice([-1.0, 1.0])
        x, y = _offset_points(network.geometry[[street]], np.array([along]), np.array([offset]))
        a, b = int(network.u[street]), int(network.v[street])
        node = a if along < network.length[street] / 2 else b
        if i == 0 and len(incident_to_hall):
            node = town_hall_node
        rows.append(
            {"name": name, "kind": kind, "priority": priority, "x": x[0], "y": y[0], "node": node}
        )
    return pd.DataFrame(rows)


def _backbone(
    network: _Network,
    router: _Router,
    pops: list[tuple[str, int]],
    sites: pd.DataFrame,
    rng: np.random.Generator,
) -> tuple[list[dict[str, object]], list[int], np.ndarray]:
    """Backbone: points of presence, fibre between them and spurs to some sites.

    Returns the backbone rows, the nodes the backbone passes and which sites
    are connected.
    """
    rows: list[dict[str, object]] = [
        {"id": f"POP{k + 1}", "kind": "pop", "name": name, "geometry": Point(network.node_xy[node])}
        for k, (name, node) in enumerate(pops)
    ]
    on_backbone: dict[int, None] = {node: None for _, node in pops}
    fibres = 0

    def add_fibre(streets: list[int], name: str) -> None:
        nonlocal fibres
        if not streets:
            return
        fibres += 1
        rows.append(
            {
                "id": f"BB{fibres:02d}",
                "kind": "fibre",
                "name": name,
                "geometry": router.merged(streets),
            }
        )
        for e in streets:
            on_backbone[int(network.u[e])] = None
            on_backbone[int(network.v[e])] = None

    for i, j in _BACKBONE_LINKS:
        if i < len(pops) and j < len(pops):
            short = (pops[i][0].removesuffix(" POP"), pops[j][0].removesuffix(" POP"))
            add_fibre(
                router.from_nearest([pops[i][1]], pops[j][1]), f"Backbone {short[0]}–{short[1]}"
            )
    p_connect = np.where(sites["priority"] == 1, 0.6, np.where(sites["priority"] == 2, 0.3, 0.15))
    connect = rng.random(len(sites)) < p_connect
    connect[0] = True  # the town hall
    for k in np.flatnonzero(connect):
        node = int(sites["node"].iat[k])
        if node not in on_backbone:
            add_fibre(
                router.from_nearest(list(on_backbone), node), f"Fibre to {sites['name'].iat[k]}"
            )
    connected = np.array([int(n) in on_backbone for n in sites["node"]]) & connect
    return rows, list(on_backbone), connected


def _grow(
    start: int,
    target_m: float,
    network: _Network,
    incident: list[list[int]],
    allowed: np.ndarray,
    blocked: np.ndarray,
    rng: np.random.Generator,
) -> list[int]:
    """Grow a connected set of streets from ``start`` until it is ``target_m`` long."""
    chosen: list[int] = []
    total = 0.0
    frontier = [start]
    while total < target_m and frontier:
        k = len(frontier) - 1 if rng.random() < 0.7 else int(rng.integers(len(frontier)))
        node = frontier[k]
        options = [
            e
            for e in incident[node]
            if allowed[e] and not blocked[network.u[e] if network.v[e] == node else network.v[e]]
        ]
        if not options:
            frontier.pop(k)
            continue
        e = options[int(rng.integers(len(options)))]
        allowed[e] = False
        chosen.append(e)
        total += network.length[e]
        frontier.append(int(network.u[e] if network.v[e] == node else network.v[e]))
    return chosen


def _ducts(
    layout: _Layout,
    network: _Network,
    router: _Router,
    backbone_nodes: list[int],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Ducts laid 2016–2018: projects grown from the backbone, and islands elsewhere."""
    incident = network.incident()
    town_road = (network.origin == _TOWN) & network.road
    allowed = town_road.copy()
    blocked = np.zeros(len(network.node_xy), dtype=bool)
    starts_ok = np.zeros(len(network.node_xy), dtype=bool)
    starts_ok[_town_road_nodes(network)] = True
    rows = []
    connected_starts = [n for n in backbone_nodes if starts_ok[n]]
    for _ in range(max(1, round(7 * layout.scale))):
        if not connected_starts:
            break
        start = connected_starts[int(rng.integers(len(connected_starts)))]
        year = int(rng.choice(_DUCT_YEARS))
        origin = "own-dig" if rng.random() < 0.7 else "fibre-project"
        streets = _grow(start, rng.uniform(1500, 3500), network, incident, allowed, blocked, rng)
        rows += _duct_rows(streets, year, origin, rng)
    blocked[backbone_nodes] = True
    for r in rows:
        blocked[[network.u[r["street"]], network.v[r["street"]]]] = True
    distance = router.distances(backbone_nodes) if backbone_nodes else np.full(len(blocked), np.inf)
    far = np.flatnonzero(starts_ok & ~blocked & (distance > 600 * min(1.0, layout.f * 2)))
    if not len(far):
        far = np.flatnonzero(starts_ok & ~blocked)
    for _ in range(max(1, round(9 * layout.scale))):
        far = far[~blocked[far]]
        if not len(far):
            break
        start = int(rng.choice(far))
        year = int(rng.choice(_DUCT_YEARS[1:]))
        streets = _grow(start, rng.uniform(500, 2000), network, incident, allowed, blocked, rng)
        island = _duct_rows(streets, year, "co-dig", rng)
        for r in island:
            blocked[[network.u[r["street"]], network.v[r["street"]]]] = True
        rows += island
    return pd.DataFrame(
        rows, columns=["street", "year_laid", "origin", "diameter_mm", "tubes", "spare_tubes"]
    )


def _duct_rows(
    streets: list[int], year: int, origin: str, rng: np.random.Generator
) -> list[dict[str, object]]:
    tubes = int(rng.integers(1, 5))
    diameter = int(rng.choice([40, 50]))
    spare = tubes - int(rng.integers(0, 2)) if tubes > 1 else 1
    return [
        {
            "street": e,
            "year_laid": year,
            "origin": origin,
            "diameter_mm": diameter,
            "tubes": tubes,
            "spare_tubes": spare,
        }
        for e in streets
    ]


def _walk(
    start: int,
    target_m: float,
    network: _Network,
    incident: list[list[int]],
    allowed: np.ndarray,
    rng: np.random.Generator,
) -> list[int]:
    """Walk a simple path along streets from ``start``, keeping to one street name if it can."""
    streets = [start]
    seen = {int(network.u[start]), int(network.v[start])}
    ends = [int(network.u[start]), int(network.v[start])]
    last = [start, start]
    total = float(network.length[start])
    while total < target_m:
        grown = False
        first = int(rng.integers(2))
        for k in (first, 1 - first):
            node = ends[k]
            options = []
            for e in incident[node]:
                other = int(network.u[e] if network.v[e] == node else network.v[e])
                if allowed[e] and other not in seen:
                    options.append((e, other))
            if not options:
                continue
            same = [o for o in options if network.name[o[0]] == network.name[last[k]]]
            pool = same if same and rng.random() < 0.8 else options
            e, other = pool[int(rng.integers(len(pool)))]
            streets.append(e)
            seen.add(other)
            ends[k], last[k] = other, e
            total += float(network.length[e])
            grown = True
            break
        if not grown:
            break
    return streets


def _dig_status(
    start: dt.date, end: dt.date, year: int, rng: np.random.Generator
) -> tuple[str, str, dt.date | None]:
    """Status, confidence and permit date as seen on the demo's planning date."""
    today = DEMO_PLANNING_DATE
    if end < today:
        status, confidence = "done", "firm"
    elif start < today + dt.timedelta(days=183):
        status, confidence = (
            ("confirmed", "firm") if rng.random() < 0.75 else ("planned", "budgeted")
        )
    elif year <= 2020:
        status, confidence = "planned", ("budgeted" if rng.random() < 0.6 else "indicative")
    else:
        status, confidence = "planned", ("indicative" if rng.random() < 0.85 else "budgeted")
    if rng.random() < 0.03:
        status = "cancelled"
    permit = None
    if status in ("done", "confirmed"):
        permit = start - dt.timedelta(days=int(rng.integers(10, 61)))
    return status, confidence, permit


def _dig_dates(year: int, length_m: float, rng: np.random.Generator) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(40, 320)))
    days = int(np.clip(length_m / 20.0 * rng.uniform(0.7, 1.4), 7, 180))
    return start, start + dt.timedelta(days=days)


def _dig_row(
    owner: str,
    purpose: str,
    contact: str,
    year: int,
    geometry: shapely.Geometry,
    rng: np.random.Generator,
) -> dict[str, object]:
    start, end = _dig_dates(year, geometry.length, rng)
    status, confidence, permit = _dig_status(start, end, year, rng)
    return {
        "owner": owner,
        "purpose": purpose,
        "start": start,
        "end": end,
        "status": status,
        "confidence": confidence,
        "permit_date": permit,
        "contact": contact,
        "geometry": geometry,
    }


def _digs(
    layout: _Layout,
    network: _Network,
    router: _Router,
    backbone_nodes: list[int],
    sites: pd.DataFrame,
    connected: np.ndarray,
    rng: np.random.Generator,
) -> list[dict[str, object]]:
    """Dig plans 2019–2022 of the utilities and of the municipality's fibre project.

    Ids read ``<owner prefix>-<year>-<number>``, e.g. ``NOV-2020-004``.
    """
    planned = _utility_digs(layout, network, router, rng)
    planned += _fibre_project_digs(layout, router, backbone_nodes, sites, connected, rng)
    numbers: dict[tuple[str, int], int] = {}
    rows = []
    for prefix, year, row in planned:
        numbers[(prefix, year)] = numbers.get((prefix, year), 0) + 1
        rows.append({"id": f"{prefix}-{year}-{numbers[(prefix, year)]:03d}", **row})
    return rows


def _utility_digs(
    layout: _Layout, network: _Network, router: _Router, rng: np.random.Generator
) -> list[tuple[str, int, dict[str, object]]]:
    """Return (id prefix, year, row) of each utility dig: walks along streets, some areas."""
    incident = network.incident()
    town = network.origin == _TOWN
    out = []
    for year in _DIG_YEARS:
        for plan in _DIG_PLANS:
            allowed = network.road & town if plan.town_only else network.road.copy()
            candidates = np.flatnonzero(allowed)
            if not len(candidates):
                continue
            weight = network.length[candidates] / network.length[candidates].sum()
            for _ in range(max(1, round(plan.per_year * layout.scale))):
                target = float(np.clip(rng.lognormal(math.log(plan.median_m), 0.6), 120, 3500))
                start = int(rng.choice(candidates, p=weight))
                geometry = router.merged(_walk(start, target, network, incident, allowed, rng))
                shape = rng.random()
                if shape < 0.06:  # a junction box
                    corner = Point(shapely.get_coordinates(geometry)[0])
                    geometry = corner.buffer(rng.uniform(12, 30), quad_segs=4)
                elif shape < 0.12:  # an area: the streets and their verges
                    geometry = geometry.buffer(rng.uniform(6, 10), quad_segs=4)
                row = _dig_row(plan.owner, plan.purpose, plan.contact, year, geometry, rng)
                out.append((plan.prefix, year, row))
    return out


def _fibre_project_digs(
    layout: _Layout,
    router: _Router,
    backbone_nodes: list[int],
    sites: pd.DataFrame,
    connected: np.ndarray,
    rng: np.random.Generator,
) -> list[tuple[str, int, dict[str, object]]]:
    """Return the fibre project's digs: from the backbone to unconnected sites, by priority."""
    owner, prefix, contact = _FIBRE_OWNER
    waiting = sites[~connected].sort_values("priority", kind="stable")
    wanted = min(len(waiting), max(1, round(10 * layout.scale)))
    out = []
    for k in range(wanted):
        streets = router.from_nearest(backbone_nodes, int(waiting["node"].iat[k]))
        if not streets:
            continue
        year = _DIG_YEARS[k * len(_DIG_YEARS) // wanted]
        row = _dig_row(owner, "fibre", contact, year, router.merged(streets), rng)
        if row["confidence"] == "indicative":
            row["confidence"] = "budgeted"  # the municipality knows its own project
        out.append((prefix, year, row))
    return out


# --- assembling the layers -----------------------------------------------------------------


def _validated(frame: pd.DataFrame, layer: str) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(frame, geometry="geometry", crs=WORKSPACE_CRS)
    clean, problems = validate_layer(gdf, layer, source="synthetic demo")
    require_valid(problems)
    return clean


def _numbered(prefix: str, n: int, width: int) -> list[str]:
    return [f"{prefix}{i + 1:0{width}d}" for i in range(n)]


def _streets_layer(
    network: _Network, ducts: pd.DataFrame, digs: list[dict[str, object]], rng: np.random.Generator
) -> gpd.GeoDataFrame:
    n = len(network.u)
    last_dug = np.where(rng.random(n) < 0.25, rng.integers(1990, 2019, n), -1)
    if len(ducts):
        last_dug[ducts["street"].to_numpy()] = ducts["year_laid"].to_numpy()
    done = [d["geometry"] for d in digs if d["status"] == "done"]
    if done:
        tree = shapely.STRtree(network.geometry)
        hits = tree.query(shapely.buffer(np.array(done), 1.0), predicate="contains")[1]
        last_dug[hits] = 2019
    classes = np.array(["through", "distributor", "local", "path"], dtype=object)
    frame = pd.DataFrame(
        {
            "id": _numbered("S", n, 5),
            "name": network.name,
            "road_class": classes[network.cls],
            "last_dug": pd.array(np.where(last_dug > 0, last_dug, None), dtype="Int64"),
            "geometry": network.geometry,
        }
    )
    return _validated(frame, "streets")


def generate_demo(seed: int = 2019, *, scale: float = 1.0) -> dict[str, gpd.GeoDataFrame]:
    """Generate the synthetic Ballerup-like demo municipality.

    Parameters
    ----------
    seed : int
        Seed of every random choice; the same seed gives identical layers.
    scale : float
        Area and population relative to the municipality (1.0: about 23,000
        households on 35 km²; 0.05: a small town). The plan is shrunk or
        grown about the middle of Ballerup; block sizes stay real.

    Returns
    -------
    dict of str to GeoDataFrame
        The seven input layers (``streets``, ``ducts``, ``backbone``,
        ``sites``, ``digs``, ``addresses``, ``districts``) in EPSG:25832, each
        valid against its schema.

    Raises
    ------
    ValueError
        If ``scale`` is outside [0.01, 50].

    Examples
    --------
    >>> layers = generate_demo(scale=0.05)
    >>> sorted(layers["digs"]["owner"].unique())[:2]
    ['Ballerup Kommune', 'Evida']
    """
    if not 0.01 <= float(scale) <= 50:
        raise ValueError(f"scale must lie in [0.01, 50], got {scale!r}")
    rng = np.random.default_rng(seed)
    layout = _layout(float(scale), rng)
    pool = _NamePool(rng)
    network, farms = _build_network(layout, pool, rng)
    addresses = _addresses(layout, network, farms, rng)
    router = _Router(network)
    pops = _pops(layout, network)
    sites = _sites(layout, network, pops[0][1], rng)
    backbone, backbone_nodes, connected = _backbone(network, router, pops, sites, rng)
    ducts = _ducts(layout, network, router, backbone_nodes, rng)
    digs = _digs(layout, network, router, backbone_nodes, sites, connected, rng)
    return {
        "streets": _streets_layer(network, ducts, digs, rng),
        "ducts": _validated(
            pd.DataFrame(
                {
                    "id": _numbered("D", len(ducts), 4),
                    "year_laid": ducts["year_laid"],
                    "status": "existing",
                    "origin": ducts["origin"],
                    "owner": "Ballerup Kommune",
                    "diameter_mm": ducts["diameter_mm"],
                    "tubes": ducts["tubes"],
                    "spare_tubes": ducts["spare_tubes"],
                    "geometry": network.geometry[ducts["street"].to_numpy(dtype=np.int64)],
                }
            ),
            "ducts",
        ),
        "backbone": _validated(pd.DataFrame(backbone), "backbone"),
        "sites": _validated(
            pd.DataFrame(
                {
                    "id": _numbered("SITE", len(sites), 2),
                    "name": sites["name"],
                    "kind": sites["kind"],
                    "priority": sites["priority"],
                    "connected": connected,
                    "geometry": shapely.points(sites["x"], sites["y"]),
                }
            ),
            "sites",
        ),
        "digs": _validated(pd.DataFrame(digs), "digs"),
        "addresses": _validated(
            pd.DataFrame(
                {
                    "id": _numbered("A", len(addresses), 6),
                    "units": addresses["units"],
                    "kind": addresses["kind"],
                    "speed_down_mbps": addresses["speed_down_mbps"],
                    "speed_up_mbps": addresses["speed_up_mbps"],
                    "geometry": shapely.points(addresses["x"], addresses["y"]),
                }
            ),
            "addresses",
        ),
        "districts": _validated(
            pd.DataFrame(
                {
                    "id": _numbered("DIS", len(_DISTRICTS), 2),
                    "name": [d.name for d in _DISTRICTS],
                    "geometry": layout.polygons,
                }
            ),
            "districts",
        ),
    }


def generate_tiled(
    n_tiles: int, seed: int = 2019, *, scale: float = 1.0
) -> dict[str, gpd.GeoDataFrame]:
    """Tile the demo municipality ``n_tiles`` times side by side: a national-scale case.

    Tile ``k`` is the municipality of ``seed`` moved west and south by whole
    municipality widths and heights, with ids prefixed ``T<k>-`` and district
    names suffixed `` (tile k)``, so every id stays unique. About 185 tiles
    make 2.5 million addresses.

    Parameters
    ----------
    n_tiles : int
        Number of copies (at least 1).
    seed : int
        Seed of the municipality that is tiled.
    scale : float
        Scale of each tile (see :func:`generate_demo`).

    Examples
    --------
    >>> tiled = generate_tiled(2, scale=0.05)
    >>> tiled["districts"]["id"].iloc[[0, -1]].tolist()
    ['T0000-DIS01', 'T0001-DIS14']
    """
    if n_tiles < 1:
        raise ValueError(f"n_tiles must be at least 1, got {n_tiles}")
    base = generate_demo(seed, scale=scale)
    f = math.sqrt(scale)
    width = (DEMO_BOUNDS[2] - DEMO_BOUNDS[0]) * f
    height = (DEMO_BOUNDS[3] - DEMO_BOUNDS[1]) * f
    columns = math.ceil(math.sqrt(n_tiles))
    tile = np.arange(n_tiles)
    shifts = np.column_stack([-(tile % columns) * width, -(tile // columns) * height])
    prefixes = np.array([f"T{k:04d}-" for k in tile], dtype=object)
    return {name: _tile_layer(gdf, shifts, prefixes, name) for name, gdf in base.items()}


def _tile_layer(
    gdf: gpd.GeoDataFrame, shifts: np.ndarray, prefixes: np.ndarray, layer: str
) -> gpd.GeoDataFrame:
    """Repeat a layer once per shift, moving each copy and prefixing its ids."""
    n_tiles, n = len(shifts), len(gdf)
    rows = np.tile(np.arange(n), n_tiles)
    which = np.repeat(np.arange(n_tiles), n)
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).iloc[rows].reset_index(drop=True)
    frame["id"] = prefixes[which] + frame["id"].to_numpy(dtype=object)
    if layer == "districts":
        suffixes = np.array([f" (tile {k})" for k in range(n_tiles)], dtype=object)
        frame["name"] = frame["name"].to_numpy(dtype=object) + suffixes[which]
    geometry = gdf.geometry.to_numpy()
    per_copy = shapely.get_num_coordinates(geometry)
    offsets = np.repeat(shifts, int(per_copy.sum()), axis=0)
    moved = shapely.transform(np.tile(geometry, n_tiles), lambda coords: coords + offsets)
    return gpd.GeoDataFrame(frame, geometry=moved, crs=gdf.crs)


def write_demo_workspace(
    path: str | os.PathLike[str], seed: int = 2019, *, scale: float = 1.0
) -> dict[str, int]:
    """Write the demo municipality as a fresh workspace GeoPackage.

    The seven layers are written to a new file beside ``path`` that replaces
    ``path`` only once complete, so a previous demo workspace (with derived
    layers of an older run) is replaced as a whole. Every layer is recorded as
    synthetic in the workspace's provenance table.

    Parameters
    ----------
    path : path-like
        The workspace to (re)create.
    seed : int
        Seed of the generator.
    scale : float
        See :func:`generate_demo`.

    Returns
    -------
    dict of str to int
        Feature count per layer.
    """
    from ..io.workspace import write_layers

    layers = generate_demo(seed, scale=scale)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    source = (
        f"synthetic demo (seed {seed})"
        if scale == 1
        else (f"synthetic demo (seed {seed}, scale {scale:g})")
    )
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}-new-", suffix=".gpkg", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        write_layers(
            tmp,
            layers,
            sources=dict.fromkeys(layers, source),
            synthetic=True,
            note=SYNTHETIC_NOTE,
        )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return {name: len(gdf) for name, gdf in layers.items()}
