"""The workspace's layers: their schemas, in one place.

Each input layer of the data model (``streets``, ``ducts``, ``backbone``,
``sites``, ``digs``, ``addresses``, ``districts``) and each derived layer has a
:class:`LayerSchema`: its geometry types and its fields with type, required or
default, allowed values and range. Their validation is in
:mod:`ductplanner.model.validation`.

>>> SCHEMAS["streets"].geometry_types
('LineString',)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import pandas as pd

from ..core._errors import InputError, Problem

__all__ = [
    "DEFAULT_WORKSPACE_CRS",
    "DERIVED_LAYERS",
    "INPUT_LAYERS",
    "SCHEMAS",
    "Field",
    "LayerSchema",
    "empty_layer",
    "layer_schema",
    "layer_summary",
]

DEFAULT_WORKSPACE_CRS = "EPSG:25832"
"""Default metric CRS of a workspace (ETRS89 / UTM zone 32N)."""

FieldType = Literal["str", "int", "float", "bool", "date"]


@dataclass(frozen=True)
class Field:
    """One attribute of a layer.

    Parameters
    ----------
    name : str
        Column name in the workspace.
    type : {"str", "int", "float", "bool", "date"}
        Value type; ``date`` values are stored as timestamps at midnight.
    required : bool
        A missing column or an empty value is an error.
    default : Any
        Value filled in where the field is optional and missing.
    allowed : tuple, optional
        The only values accepted (for ``str`` fields).
    min, max : float, optional
        Inclusive range for numbers (and years).
    description : str
        What the field means, for docs, maps and the audit report.
    """

    name: str
    type: FieldType
    required: bool = False
    default: Any = None
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    description: str = ""


@dataclass(frozen=True)
class LayerSchema:
    """The schema of one workspace layer.

    Parameters
    ----------
    name : str
        Layer name in the workspace GeoPackage.
    geometry_types : tuple of str
        Accepted single-part geometry types (``"LineString"``, ``"Point"``,
        ``"Polygon"``). Multi-part inputs are exploded into these unless
        ``keep_multi`` is true.
    fields : tuple of Field
        Attribute fields, the id field first.
    description : str
        What the layer holds.
    keep_multi : bool
        Keep multi-part geometries as they are (districts may be MultiPolygons).
    derived : bool
        Written by ductplanner, not imported.
    """

    name: str
    geometry_types: tuple[str, ...]
    fields: tuple[Field, ...]
    description: str = ""
    keep_multi: bool = False
    derived: bool = False
    id_field: str = "id"

    @property
    def field_names(self) -> list[str]:
        """The attribute column names, in schema order."""
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        """Return the field called ``name``."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"layer {self.name!r} has no field {name!r}")


_ID = Field("id", "str", required=True, description="unique feature id")
_STREET = Field("street", "str", default="", description="name of the street the edge is part of")
_YEAR_MIN, _YEAR_MAX = 1900, 2100

ROAD_CLASSES = ("motorway", "through", "distributor", "local", "path", "other")
DUCT_STATUSES = ("existing", "planned")
DUCT_ORIGINS = ("co-dig", "own-dig", "fibre-project", "unknown")
BACKBONE_KINDS = ("pop", "fibre")
SITE_KINDS = ("school", "care-home", "institution", "admin", "other")
DIG_STATUSES = ("planned", "confirmed", "done", "cancelled")
DIG_CONFIDENCES = ("firm", "budgeted", "indicative")
DIG_PURPOSES = (
    "water",
    "wastewater",
    "power",
    "district-heating",
    "gas",
    "fibre",
    "road",
    "other",
)
ADDRESS_KINDS = ("home", "business")

SCHEMAS: dict[str, LayerSchema] = {
    s.name: s
    for s in [
        LayerSchema(
            "streets",
            ("LineString",),
            (
                _ID,
                Field("name", "str", default="", description="street name"),
                Field(
                    "road_class",
                    "str",
                    default="local",
                    allowed=ROAD_CLASSES,
                    description="road hierarchy; 'path' for foot and cycle paths",
                ),
                Field(
                    "last_dug",
                    "int",
                    description="year last excavated",
                    min=_YEAR_MIN,
                    max=_YEAR_MAX,
                ),
                Field(
                    "level",
                    "int",
                    description="vertical order, as OSM's layer: 0 on the ground, 1 above, "
                    "-1 below; empty: 1 on a bridge, -1 in a tunnel, else 0",
                    min=-9,
                    max=9,
                ),
                Field("bridge", "bool", default=False, description="on a bridge"),
                Field("tunnel", "bool", default=False, description="in a tunnel or underpass"),
            ),
            "street centre lines: where ducts can go; the graph's edges",
        ),
        LayerSchema(
            "ducts",
            ("LineString",),
            (
                _ID,
                Field("year_laid", "int", description="year laid", min=_YEAR_MIN, max=_YEAR_MAX),
                Field("status", "str", default="existing", allowed=DUCT_STATUSES),
                Field("origin", "str", default="unknown", allowed=DUCT_ORIGINS),
                Field("owner", "str", default="municipality"),
                Field("diameter_mm", "int", min=1, max=2000),
                Field(
                    "depth_mm",
                    "int",
                    description="guiding depth below the surface (LER's vejledendeDybde)",
                    min=1,
                    max=10000,
                ),
                Field("tubes", "int", default=1, min=1, max=1000),
                Field("spare_tubes", "int", min=0, max=1000),
            ),
            "the municipality's empty ducts (tomrør)",
        ),
        LayerSchema(
            "backbone",
            ("Point", "LineString"),
            (
                _ID,
                Field("kind", "str", required=True, allowed=BACKBONE_KINDS),
                Field("name", "str", default=""),
            ),
            "points of presence and fibre lines a duct network must connect to",
        ),
        LayerSchema(
            "sites",
            ("Point",),
            (
                _ID,
                Field("name", "str", required=True),
                Field("kind", "str", default="other", allowed=SITE_KINDS),
                Field("priority", "int", default=3, min=1, max=5),
                Field("connected", "bool", default=False),
            ),
            "municipal sites: required targets of the fibre project",
        ),
        LayerSchema(
            "digs",
            ("LineString", "Polygon"),
            (
                _ID,
                Field("owner", "str", required=True, description="who digs"),
                Field("purpose", "str", default="other", allowed=DIG_PURPOSES),
                Field(
                    "purpose_text",
                    "str",
                    default="",
                    description="the purpose in the utility's own words (Spildevand)",
                ),
                Field("start", "date", required=True),
                Field("end", "date", required=True),
                Field("status", "str", default="planned", allowed=DIG_STATUSES),
                Field("confidence", "str", default="indicative", allowed=DIG_CONFIDENCES),
                Field("permit_date", "date"),
                Field("contact", "str", default=""),
            ),
            "third-party excavation plans (EU Gigabit Infrastructure Act art. 6)",
        ),
        LayerSchema(
            "addresses",
            ("Point",),
            (
                _ID,
                Field("units", "int", default=1, min=0, max=10000, description="households"),
                Field("kind", "str", default="home", allowed=ADDRESS_KINDS),
                Field("speed_down_mbps", "float", min=0, max=100000),
                Field("speed_up_mbps", "float", min=0, max=100000),
                Field(
                    "address",
                    "str",
                    default="",
                    description="as a person writes it: street, number, postcode and town",
                ),
            ),
            "demand: one point per address, units = households",
        ),
        LayerSchema(
            "districts",
            ("Polygon",),
            (_ID, Field("name", "str", required=True)),
            "reporting areas",
            keep_multi=True,
        ),
        # Derived layers, written by ductplanner.
        LayerSchema(
            "coverage",
            ("Point",),
            (
                _ID,
                Field("units", "int", default=1, min=0),
                Field("district", "str", default=""),
                Field("edge_id", "str", description="nearest street edge within drop"),
                Field("distance_m", "float", min=0),
                Field("beyond_drop", "bool", default=False),
                Field("duct_covered", "bool", default=False),
                Field("served", "bool", default=False),
            ),
            "per address: duct-covered and served",
            derived=True,
        ),
        LayerSchema(
            "district_coverage",
            ("Polygon",),
            (
                _ID,
                Field("name", "str", required=True),
                Field("households_total", "int", default=0, min=0),
                Field("households_duct_covered", "int", default=0, min=0),
                Field("households_served", "int", default=0, min=0),
                Field("addresses_total", "int", default=0, min=0),
                Field("addresses_duct_covered", "int", default=0, min=0),
                Field("addresses_beyond_drop", "int", default=0, min=0),
            ),
            "coverage per district",
            keep_multi=True,
            derived=True,
        ),
        LayerSchema(
            "opportunities",
            ("LineString",),
            (
                _ID,
                Field("dig_id", "str", required=True, description="the dig that opens it"),
                Field("owner", "str", default="", description="who digs"),
                Field("purpose", "str", default="other"),
                Field("edge_id", "str", required=True, description="street edge it lies on"),
                _STREET,
                Field(
                    "year",
                    "int",
                    description="year the trench opens (start year)",
                    min=_YEAR_MIN,
                    max=_YEAR_MAX,
                ),
                Field("start", "date"),
                Field("end", "date"),
                Field("metres", "float", default=0.0, min=0, description="duct metres"),
                Field("cost_dkk", "float", default=0.0, min=0, description="co-laying cost"),
                Field("probability", "float", min=0, max=1, description="trench opens in time"),
                Field("confidence", "str", default="indicative", allowed=DIG_CONFIDENCES),
                Field("dig_status", "str", default="planned", allowed=DIG_STATUSES),
                Field("households_now", "int", default=0, min=0, description="covered if laid"),
                Field(
                    "households_potential",
                    "int",
                    default=0,
                    min=0,
                    description="covered once connected to the backbone",
                ),
                Field(
                    "touches",
                    "str",
                    default="none",
                    allowed=("network", "island", "none"),
                    description="what the stretch touches: connected ducts, an island, nothing",
                ),
                Field("edge_share", "float", min=0, max=1, description="share of the edge opened"),
                Field("candidate", "bool", default=False, description="the planner may choose it"),
            ),
            "co-digging candidates: the stretch of a street edge a dig opens",
            derived=True,
        ),
        LayerSchema(
            "conflicts",
            ("LineString",),
            (
                _ID,
                Field("edge_id", "str", required=True),
                _STREET,
                Field("dig_a", "str", required=True, description="the earlier dig"),
                Field("owner_a", "str", default=""),
                Field("start_a", "date"),
                Field("dig_b", "str", required=True, description="the later dig"),
                Field("owner_b", "str", default=""),
                Field("start_b", "date"),
                Field(
                    "gap_years", "float", min=0, description="from the end of a to the start of b"
                ),
                Field("metres", "float", min=0, description="length of the shared stretch"),
            ),
            "one street stretch opened by two parties within the protection period",
            derived=True,
        ),
        LayerSchema(
            "plan",
            ("LineString",),
            (
                _ID,
                Field("opportunity_id", "str", default="", description="the opportunity laid"),
                Field("dig_id", "str", required=True),
                Field("owner", "str", default=""),
                Field("edge_id", "str", required=True),
                _STREET,
                Field(
                    "year", "int", description="year the duct is laid", min=_YEAR_MIN, max=_YEAR_MAX
                ),
                Field("kind", "str", default="co-dig", allowed=("co-dig", "own-dig")),
                Field("metres", "float", default=0.0, min=0),
                Field("cost_dkk", "float", default=0.0, min=0),
                Field("households", "int", default=0, min=0, description="on this street edge"),
                Field("why", "str", default="", description="why the stretch is in the plan"),
                Field("method", "str", default="", description="greedy, milp or fcfs"),
                Field(
                    "optimality_gap",
                    "float",
                    min=0,
                    description="the plan's proven gap to the best possible (empty: none known)",
                ),
                Field("scenario", "str", default="", description="the scenario planned for"),
            ),
            "the chosen stretches, year by year, within the budget",
            derived=True,
        ),
    ]
}

INPUT_LAYERS: tuple[str, ...] = tuple(n for n, s in SCHEMAS.items() if not s.derived)
DERIVED_LAYERS: tuple[str, ...] = tuple(n for n, s in SCHEMAS.items() if s.derived)

_PANDAS_DTYPE = {
    "str": "object",
    "int": "Int64",
    "float": "Float64",
    "bool": "boolean",
    "date": "datetime64[ms]",
}


def empty_layer(layer: str, crs: str = DEFAULT_WORKSPACE_CRS) -> gpd.GeoDataFrame:
    """Return an empty GeoDataFrame with the columns and dtypes of ``layer``.

    >>> empty_layer("digs").columns.tolist()[:3]
    ['id', 'owner', 'purpose']
    """
    schema = layer_schema(layer)
    data = {f.name: pd.Series(dtype=_PANDAS_DTYPE[f.type]) for f in schema.fields}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def layer_schema(layer: str) -> LayerSchema:
    """Return the schema of ``layer``.

    Raises
    ------
    InputError
        If ``layer`` is not one of :data:`SCHEMAS`.
    """
    try:
        return SCHEMAS[layer]
    except KeyError:
        raise InputError(
            [
                Problem(
                    "<arguments>",
                    layer,
                    "",
                    "",
                    "layer",
                    f"unknown layer {layer!r}",
                    f"use one of: {', '.join(SCHEMAS)}",
                )
            ],
            summary="Unknown layer",
        ) from None


def layer_summary(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, int]:
    """Return the feature count of each layer present."""
    return {name: len(gdf) for name, gdf in layers.items()}
