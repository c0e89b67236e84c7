"""The workspace's layers: their schemas and their validation, in one place to import.

The schemas live in :mod:`ductplanner.model.schemas` and the validation in
:mod:`ductplanner.model.validation`; this module gathers both so that
``from ductplanner.model.layers import SCHEMAS, validate_layer`` keeps working.
"""

from __future__ import annotations

from .schemas import (
    ADDRESS_KINDS,
    BACKBONE_KINDS,
    DEFAULT_WORKSPACE_CRS,
    DERIVED_LAYERS,
    DIG_CONFIDENCES,
    DIG_PURPOSES,
    DIG_STATUSES,
    DUCT_ORIGINS,
    DUCT_STATUSES,
    INPUT_LAYERS,
    ROAD_CLASSES,
    SCHEMAS,
    SITE_KINDS,
    Field,
    FieldType,
    LayerSchema,
    empty_layer,
    layer_schema,
    layer_summary,
)
from .validation import (
    DATE_ORDERS,
    DateOrder,
    check_crs,
    explode_parts,
    may_need_strip,
    require_valid,
    validate_layer,
)

__all__ = [
    "ADDRESS_KINDS",
    "BACKBONE_KINDS",
    "DATE_ORDERS",
    "DEFAULT_WORKSPACE_CRS",
    "DERIVED_LAYERS",
    "DIG_CONFIDENCES",
    "DIG_PURPOSES",
    "DIG_STATUSES",
    "DUCT_ORIGINS",
    "DUCT_STATUSES",
    "INPUT_LAYERS",
    "ROAD_CLASSES",
    "SCHEMAS",
    "SITE_KINDS",
    "DateOrder",
    "Field",
    "FieldType",
    "LayerSchema",
    "check_crs",
    "empty_layer",
    "explode_parts",
    "layer_schema",
    "layer_summary",
    "may_need_strip",
    "require_valid",
    "validate_layer",
]
