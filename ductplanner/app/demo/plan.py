"""The demo municipality's fixed plan, its street names, and its layout at a scale.

The plan: districts, towns, roads, green paths, sites, points of presence, dig
plans. The layout places the plan at a scale and draws the district polygons.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import Polygon

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


DISTRICTS = tuple(
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


TOWNS = (
    _TownPlan("Ballerup", (710.85, 6181.15), 12, (58, 52)),
    _TownPlan("Lautrupgård", (713.05, 6182.20), 30, (60, 55)),
    _TownPlan("Skovlunde", (713.55, 6180.35), -8, (57, 52)),
    _TownPlan("Måløv", (708.40, 6183.00), -20, (57, 52)),
    _TownPlan("Kildedal", (706.75, 6183.05), 5, (58, 52)),
    _TownPlan("Jonstrup", (710.05, 6184.10), 0, (70, 60)),
    _TownPlan("Pederstrup", (708.90, 6179.90), 45, (70, 60)),
)

ROADS: tuple[tuple[str, str | tuple[float, float], str], ...] = (
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

GREEN_PATHS = (
    ("Ballerup", "Lautrupgård"),
    ("Ballerup", "Måløv"),
    ("Skovlunde", "Lautrupgård"),
    ("Måløv", "Kildedal"),
    ("Ballerup", "Skovlunde"),
    ("Ballerup", "Pederstrup"),
)
"""Recreational paths across the green space between towns."""

SITES = (
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

POPS = (
    ("Rådhuset POP", "Ballerup Centrum"),
    ("Lautrupgård POP", "Lautrupgård"),
    ("Skovlunde POP", "Skovlunde"),
    ("Måløv POP", "Måløv"),
)
"""Points of presence of the fibre backbone, at the core of these districts."""

BACKBONE_LINKS = ((0, 1), (1, 2), (2, 0), (0, 3))
"""Backbone fibre between points of presence (indices into POPS): a ring and a spur."""


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


DIG_PLANS = (
    _DigPlan("Novafos", "water", "NOV", 6, 500, "ledningsejer@novafos.example"),
    _DigPlan("Novafos", "wastewater", "NOV", 5, 600, "ledningsejer@novafos.example"),
    _DigPlan("Radius", "power", "RAD", 8, 800, "gravetilladelser@radius.example"),
    _DigPlan("HOFOR", "district-heating", "HOF", 3, 700, "fjernvarme@hofor.example", True),
    _DigPlan("Evida", "gas", "EVI", 2, 400, "gravning@evida.example", True),
    _DigPlan("Ballerup Kommune", "road", "BKV", 2, 300, "vejogpark@ballerup.example", True),
)
"""Third-party diggers; the municipality's fibre project is added to reach its sites."""

FIBRE_OWNER = ("Ballerup Kommune", "BKF", "fiberprojekt@ballerup.example")
DIG_YEARS = (2019, 2020, 2021, 2022)
DUCT_YEARS = (2016, 2017, 2018)

PATTERNS = ("centre", "mixed", "villa", "rowhouse", "apartment", "business", "village")
RURAL = len(PATTERNS)
"""Pattern code of everything outside a town's lattice."""

SLOT_SPACING = np.array([16.0, 16.0, 19.0, 8.0, 28.0, 28.0, 30.0, 60.0])
"""Metres between address slots along a street side, per pattern (last: rural)."""

SLOT_OFFSET = np.array(
    [[8, 14], [9, 18], [10, 18], [8, 14], [14, 25], [15, 25], [10, 22], [12, 25]], dtype=float
)
"""Range of an address's distance from its street, per pattern (m)."""

SERVED_SHARE = np.array([0.30, 0.15, 0.12, 0.20, 0.35, 0.45, 0.03, 0.0])
"""Share of streets with modern broadband (>= 100/30 Mbit/s) per pattern."""

SERVED_LINES = ((1000.0, 1000.0), (500.0, 500.0), (300.0, 300.0), (1000.0, 50.0))
SERVED_P = (0.35, 0.2, 0.2, 0.25)
SLOW_LINES = ((100.0, 10.0), (50.0, 10.0), (20.0, 2.0), (10.0, 1.0), (30.0, 5.0))
SLOW_P = (0.2, 0.35, 0.25, 0.12, 0.08)
SLOW_UNKNOWN = 0.15
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


class NamePool:
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
class Layout:
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


def make_layout(scale: float, rng: np.random.Generator) -> Layout:
    """Place the fixed plan at ``scale`` (a share of the full municipality's households)."""
    f = math.sqrt(scale)
    outline = Polygon([_place(p, f) for p in _OUTLINE_KM])
    inner = outline.buffer(-40.0 * min(1.0, f))
    centres = np.array([_place(d.centre, f) for d in DISTRICTS])
    axes = np.array([d.axes for d in DISTRICTS], dtype=float) * f
    angles = np.radians([d.angle for d in DISTRICTS])
    n = len(DISTRICTS)
    wobble = np.column_stack(
        [
            rng.uniform(0.04, 0.10, n),
            rng.uniform(0, 2 * math.pi, n),
            rng.uniform(0.02, 0.05, n),
            rng.uniform(0, 2 * math.pi, n),
        ]
    )
    town_names = [t.name for t in TOWNS]
    layout = Layout(
        f=f,
        scale=scale,
        outline=outline,
        inner=inner,
        centres=centres,
        axes=axes,
        angles=angles,
        wobble=wobble,
        pattern=np.array([PATTERNS.index(d.pattern) for d in DISTRICTS]),
        town_of=np.array([town_names.index(d.town) for d in DISTRICTS]),
        polygons=[],
    )
    layout.polygons = _district_polygons(layout, rng)
    return layout


def _place(point_km: Sequence[float], f: float) -> tuple[float, float]:
    x, y = point_km[0] * 1000.0, point_km[1] * 1000.0
    return _CENTRE[0] + f * (x - _CENTRE[0]), _CENTRE[1] + f * (y - _CENTRE[1])


def _district_polygons(layout: Layout, rng: np.random.Generator) -> list[shapely.Geometry]:
    """Split the municipality among the districts: nearest core wins.

    Seeds scattered over every district's core make a Voronoi diagram whose
    cells, dissolved per district, follow the cores' shapes; the green space
    between towns goes to the nearest core.
    """
    per = 40
    points, labels = [], []
    for d in range(len(DISTRICTS)):
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
    for d in range(len(DISTRICTS)):
        poly = shapely.intersection(shapely.union_all(cells[label == d]), layout.outline)
        poly = shapely.make_valid(shapely.set_precision(poly, 0.01))
        if poly.geom_type == "GeometryCollection":
            poly = shapely.union_all([g for g in poly.geoms if g.geom_type.endswith("Polygon")])
        shapely.prepare(poly)
        polygons.append(poly)
    return polygons
