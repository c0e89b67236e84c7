"""The tiny town: a hand-made, hand-checkable town of nine blocks for doctests and fast tests."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely import LineString, Point, Polygon, box

from ...model.layers import DEFAULT_WORKSPACE_CRS, require_valid, validate_layer

TINY_ORIGIN = (710_000.0, 6_180_000.0)
"""Lower-left corner of the tiny town, EPSG:25832."""


def _at(x: float, y: float) -> tuple[float, float]:
    return TINY_ORIGIN[0] + x, TINY_ORIGIN[1] + y


def _line(*points: tuple[float, float]) -> LineString:
    return LineString([_at(*p) for p in points])


def _frame(rows: list[dict[str, object]], layer: str) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=DEFAULT_WORKSPACE_CRS)
    clean, problems = validate_layer(gdf, layer, source="tiny demo")
    require_valid(problems)
    return clean


def _tiny_streets() -> gpd.GeoDataFrame:
    return _frame(
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


def _tiny_ducts() -> gpd.GeoDataFrame:
    return _frame(
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


def _tiny_sites() -> gpd.GeoDataFrame:
    return _frame(
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


def _tiny_digs() -> gpd.GeoDataFrame:
    return _frame(
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


_TINY_ADDRESS_NAMES = (
    ("Centervej", 2),
    ("Centervej", 5),
    ("Centervej", 10),
    ("Skolevej", 1),
    ("Skolevej", 4),
    ("Skolevej", 9),
    ("Parkvej", 2),
    ("Parkvej", 11),
    ("Vestvej", 6),
    ("Kirkevej", 3),
    ("Møllevej", 7),
    ("Østvej", 8),
    ("Østvej", 3),
    ("Blindgyden", 1),
    ("Blindgyden", 4),
    ("Parkvej", 12),
)
"""The tiny town's addresses as written (street, house number), in the order of the spec."""


def _tiny_addresses() -> gpd.GeoDataFrame:
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
    return _frame(
        [
            {
                "id": f"A{i + 1:02d}",
                "units": u,
                "kind": k,
                "speed_down_mbps": d,
                "speed_up_mbps": up,
                "address": f"{street} {number}, 2750 Ballerup",
                "geometry": Point(_at(x, y)),
            }
            for i, ((x, y, u, k, d, up), (street, number)) in enumerate(
                zip(spec, _TINY_ADDRESS_NAMES, strict=True)
            )
        ],
        "addresses",
    )


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
    streets = _tiny_streets()
    ducts = _tiny_ducts()
    backbone = _frame(
        [{"id": "POP1", "kind": "pop", "name": "Rådhuset POP", "geometry": Point(_at(0, 0))}],
        "backbone",
    )
    sites = _tiny_sites()
    digs = _tiny_digs()
    addresses = _tiny_addresses()
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
