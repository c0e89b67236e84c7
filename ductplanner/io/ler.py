"""Export the municipality's ducts for the Danish utility register LER 2.0.

Once it owns empty ducts the municipality is a *ledningsejer* in the
Ledningsejerregistret (LER) and must answer excavators' inquiries with its
ducts in the LER 2.0 GML exchange model. :func:`export_ler` writes the ducts
as LER 2.0 features of type ``Foeringsroer`` (namespace
``http://data.gov.dk/schemas/LER/2/gml``), geometry as ``gml:LineString``
in EPSG:25832, inside a small container naming the owner, and validates the
file against the XSD shipped in ``ductplanner/schemas/`` before it is
written (atomically).

Which ducts
-----------
Every duct of the ``ducts`` layer with status ``existing``: the duty to
register covers all of the municipality's ducts, not only those laid by
co-digging (``origins=("co-dig",)`` exports only those). Planned ducts are
not in the ground and are left out.

The fields
----------
Filled, in the order of the LER 2.x schema:

=============================== ==================================================================
field                           value
=============================== ==================================================================
``gml:id``                      ``foeringsroer.N`` (position in the file)
``driftsstatus``                ``i drift`` (the duct exists)
``ejerskabsforhold``            ``ejet af udleverende ledningsejer`` (the municipality owns it)
``etableringstidspunkt``        the date laid: ``laid_on`` (the dig's end, set by
                                ``ductplanner record``); without it, for a duct laid before
                                2023 the text LER accepts, ``Etableret før 1. juli 2023``;
                                from 2023 on 1 January of ``year_laid`` (flagged in the
                                summary as guessed); no year at all: the text as well
                                (flagged as undated)
``fareklasse``                  ``ikke farlig`` (an empty duct carries nothing dangerous)
``id``                          the duct's id in the workspace
``indtegningsmetode``           ``skematisk``: the line is the street's centre line, not a
                                surveyed position
``noejagtighedsklasse``         ``> 2.00 m`` for the same reason
``geometri``                    ``gml:LineString``, ``srsName`` EPSG:25832, 2D ``gml:posList``
``niveau``                      ``under terræn``
``indeholderLedninger``         ``false`` (empty ducts, *tomrør*)
``ledningsetableringsmetode``   ``nedgravning`` (laid in an open trench)
``udvendigDiameter``            ``diameter_mm`` (``uom="mm"``), where known
``tvaersnitsform``              ``cirkulær``
``udnyttelsesgrad``             ``1 - spare_tubes / tubes``, where both are known (LER uses it
                                to show spare capacity for shared use)
``forsyningsart``               ``telekommunikation``
=============================== ==================================================================

The owner is named once, in the container (``ledningsejer``, and ``cvr``
when given); LER itself knows the owner from the account the data are
delivered under.

Not filled (all optional in LER 2.x): ``noejagtighedsklasseVertikal``,
``registreringFra``, ``sikkerhedshensyn``, ``vejledendeDybde`` (no depth is
recorded; LER 2.x wants it, or 3D coordinates, for ducts laid after 1 July
2023), ``liggerILedning``, ``udvendigFarve``, ``udvendigMateriale``,
``udvendigBredde``, ``udvendigHoejde``, and the GML ``description``,
``name`` and ``boundedBy``. LER 2.x delivers geometry in 3D (EPSG:7416,
heights in DVR90, ``-99`` for unknown); this export is 2D EPSG:25832 as the
workspace stores it. Survey the ducts and fill these before registering
them for answers to excavators; the export is the register's starting point,
not a surveyed as-built.

The XSD (``ler-foeringsroer.xsd``, importing ``ler-2-foeringsroer.xsd`` and
``gml-3.2-subset.xsd``) describes exactly the structure written here, with
LER's code lists as enumerations; :func:`validate_ler` checks a file or
document against it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
from lxml import etree

from ..core._atomic import replacing
from ..core._errors import DuctPlannerError, InputError, Problem
from ..model.layers import WORKSPACE_CRS
from .workspace import WorkspaceLike, as_workspace, read_layer

__all__ = [
    "BEFORE_CUTOFF",
    "EXPORT_NAMESPACE",
    "GML_NAMESPACE",
    "LER_NAMESPACE",
    "SCHEMA_PATH",
    "SRS_NAME",
    "LerExport",
    "LerExportError",
    "build_ler_document",
    "export_ler",
    "ler_ducts",
    "validate_ler",
    "write_ler_export",
]

LER_NAMESPACE = "http://data.gov.dk/schemas/LER/2/gml"
"""Namespace of the LER 2.x GML application schema."""

GML_NAMESPACE = "http://www.opengis.net/gml/3.2"
"""Namespace of GML 3.2."""

EXPORT_NAMESPACE = "urn:ductplanner:ler-export:1"
"""Namespace of ductplanner's container around the LER features."""

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "ler-foeringsroer.xsd"
"""The XSD an export validates against."""

SRS_NAME = "http://www.opengis.net/def/crs/EPSG/0/25832"
"""The geometry's CRS: ETRS89 / UTM zone 32N."""

CUTOFF = dt.date(2023, 7, 1)
"""LER 2.x's cut-off date: stricter accuracy rules for what is laid after it."""

BEFORE_CUTOFF = "Etableret før 1. juli 2023"
"""The establishment 'date' LER accepts for what was laid before :data:`CUTOFF`."""

_NSMAP = {"dp": EXPORT_NAMESPACE, "ler": LER_NAMESPACE, "gml": GML_NAMESPACE}
_FIXED = (
    ("driftsstatus", "i drift"),
    ("ejerskabsforhold", "ejet af udleverende ledningsejer"),
)
_DRAWN = (
    ("indtegningsmetode", "skematisk"),
    ("noejagtighedsklasse", "> 2.00 m"),
)
_LAID = (
    ("niveau", "under terræn"),
    ("indeholderLedninger", "false"),
    ("ledningsetableringsmetode", "nedgravning"),
)


class LerExportError(DuctPlannerError, ValueError):
    """The export does not match its schema (the list of schema errors says where)."""


def _ler(name: str) -> str:
    return f"{{{LER_NAMESPACE}}}{name}"


def _gml(name: str) -> str:
    return f"{{{GML_NAMESPACE}}}{name}"


def _dp(name: str) -> str:
    return f"{{{EXPORT_NAMESPACE}}}{name}"


def ler_ducts(ducts: gpd.GeoDataFrame, *, origins: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """Return the ducts an export holds: status ``existing`` (and ``origins``, when given).

    Multi-part lines are split into their parts; the result is in EPSG:25832.
    """
    keep = ducts["status"].astype(str).eq("existing").to_numpy(dtype=bool, copy=True)
    if origins is not None:
        keep &= ducts["origin"].astype(str).isin(list(origins)).to_numpy(dtype=bool)
    chosen = ducts[keep]
    if chosen.crs is not None and len(chosen) and not chosen.crs.equals(WORKSPACE_CRS):
        chosen = chosen.to_crs(WORKSPACE_CRS)
    chosen = chosen[~(chosen.geometry.isna() | chosen.geometry.is_empty)]
    return chosen.explode(index_parts=False).reset_index(drop=True)


def _establishment(duct: pd.Series) -> tuple[str, str]:
    """Return (etableringstidspunkt, how it was found: exact, before-cutoff, guessed, undated)."""
    laid_on = duct.get("laid_on")
    if isinstance(laid_on, str) and laid_on:
        try:
            return dt.date.fromisoformat(laid_on[:10]).isoformat(), "exact"
        except ValueError:
            pass
    year = duct.get("year_laid")
    if year is None or pd.isna(year):
        return BEFORE_CUTOFF, "undated"
    if int(year) < CUTOFF.year:
        return BEFORE_CUTOFF, "before-cutoff"
    return dt.date(int(year), 1, 1).isoformat(), "guessed"


def _number(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _utilisation(duct: pd.Series) -> str | None:
    tubes, spare = duct.get("tubes"), duct.get("spare_tubes")
    if tubes is None or spare is None or pd.isna(tubes) or pd.isna(spare) or int(tubes) <= 0:
        return None
    used = float(np.clip(1.0 - int(spare) / int(tubes), 0.0, 1.0))
    return f"{round(used, 2):.2f}"


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _feature(duct: pd.Series, n: int) -> tuple[etree._Element, str]:
    feature = etree.Element(_ler("Foeringsroer"), nsmap=_NSMAP)
    feature.set(_gml("id"), f"foeringsroer.{n}")
    for name, value in _FIXED:
        _sub(feature, _ler(name), value)
    established, how = _establishment(duct)
    _sub(feature, _ler("etableringstidspunkt"), established)
    _sub(feature, _ler("fareklasse"), "ikke farlig")
    _sub(feature, _ler("id"), str(duct["id"]))
    for name, value in _DRAWN:
        _sub(feature, _ler(name), value)
    line = _sub(_sub(feature, _ler("geometri")), _gml("LineString"))
    line.set(_gml("id"), f"foeringsroer.{n}.geometri")
    line.set("srsName", SRS_NAME)
    line.set("srsDimension", "2")
    coords = np.asarray(duct.geometry.coords)[:, :2]
    _sub(line, _gml("posList"), " ".join(_number(v) for v in coords.ravel()))
    for name, value in _LAID:
        _sub(feature, _ler(name), value)
    diameter = duct.get("diameter_mm")
    if diameter is not None and not pd.isna(diameter) and float(diameter) > 0:
        _sub(feature, _ler("udvendigDiameter"), _number(float(diameter))).set("uom", "mm")
    _sub(feature, _ler("tvaersnitsform"), "cirkulær")
    used = _utilisation(duct)
    if used is not None:
        _sub(feature, _ler("udnyttelsesgrad"), used)
    _sub(feature, _ler("forsyningsart"), "telekommunikation")
    return feature, how


def build_ler_document(
    ducts: gpd.GeoDataFrame,
    *,
    owner: str,
    cvr: str | None = None,
    created: dt.date | None = None,
) -> tuple[etree._ElementTree, dict[str, list[str]]]:
    """Build the export document for ducts already chosen (see :func:`ler_ducts`).

    Returns
    -------
    tree : lxml ElementTree
    dating : dict
        How each duct's establishment date was found: ``exact``,
        ``before-cutoff``, ``guessed``, ``undated`` → duct ids.
    """
    root = etree.Element(_dp("LerExport"), nsmap=_NSMAP)
    _sub(root, _dp("ledningsejer"), owner)
    if cvr:
        _sub(root, _dp("cvr"), str(cvr).strip())
    _sub(root, _dp("created"), (created or dt.date.today()).isoformat())
    _sub(root, _dp("srsName"), SRS_NAME)
    _sub(root, _dp("count"), str(len(ducts)))
    dating: dict[str, list[str]] = {"exact": [], "before-cutoff": [], "guessed": [], "undated": []}
    for n, (_, duct) in enumerate(ducts.iterrows(), start=1):
        feature, how = _feature(duct, n)
        _sub(root, _dp("ledningMember")).append(feature)
        dating[how].append(str(duct["id"]))
    return etree.ElementTree(root), dating


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def validate_ler(
    document: etree._ElementTree | etree._Element | str | os.PathLike[str],
) -> list[str]:
    """Return the schema errors of an export (an empty list when it is valid).

    Parameters
    ----------
    document : lxml tree or element, or path-like
        The export, in memory or as a file.
    """
    if isinstance(document, str | os.PathLike):
        try:
            document = etree.parse(str(document))
        except etree.XMLSyntaxError as exc:
            return [f"not well-formed XML: {exc}"]
    schema = _schema()
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def export_ler(
    workspace: WorkspaceLike,
    out: str | os.PathLike[str],
    *,
    owner: str | None = None,
    cvr: str | None = None,
    origins: Sequence[str] | None = None,
    created: dt.date | None = None,
) -> Path:
    """Write the workspace's ducts as a LER 2.0 ``Foeringsroer`` export, validated.

    Parameters
    ----------
    workspace : path-like
        The workspace GeoPackage.
    out : path-like
        The GML file to write (replaced atomically).
    owner : str, optional
        The duct owner's name as registered in LER (default: the ducts'
        ``owner`` value that is most common, ``municipality`` by default).
    cvr : str, optional
        The owner's CVR number (eight digits).
    origins : sequence of str, optional
        Only ducts of these origins (e.g. ``("co-dig",)``); default all.
    created : date, optional
        Date written into the file (default today).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    InputError
        A CVR number that is not eight digits, or an empty owner name.
    LerExportError
        The document does not match the schema (names every error).
    """
    return write_ler_export(
        workspace, out, owner=owner, cvr=cvr, origins=origins, created=created
    ).path


class LerExport(NamedTuple):
    """What :func:`write_ler_export` wrote.

    Attributes
    ----------
    path : Path
        The GML file.
    ducts : GeoDataFrame
        The ducts exported.
    owner : str
        The owner named in the file.
    dating : dict of str to list of str
        How each duct's establishment date was found: ``exact``,
        ``before-cutoff``, ``guessed`` or ``undated`` → duct ids.
    """

    path: Path
    ducts: gpd.GeoDataFrame
    owner: str
    dating: dict[str, list[str]]


def write_ler_export(
    workspace: WorkspaceLike,
    out: str | os.PathLike[str],
    *,
    owner: str | None = None,
    cvr: str | None = None,
    origins: Sequence[str] | None = None,
    created: dt.date | None = None,
) -> LerExport:
    """Write the LER 2.0 export like :func:`export_ler`, and say what it holds.

    Parameters are those of :func:`export_ler`.

    Returns
    -------
    LerExport
        The file, the ducts in it, the owner named and how the ducts are dated.
    """
    path = as_workspace(workspace)
    ducts = ler_ducts(read_layer(path, "ducts", required=False), origins=origins)
    owner = owner or _usual_owner(ducts)
    _check_owner(owner, cvr, str(path))
    tree, dating = build_ler_document(ducts, owner=owner, cvr=cvr, created=created)
    errors = validate_ler(tree)
    if errors:
        raise LerExportError(
            f"the LER export of {path} does not match {SCHEMA_PATH.name}:\n  "
            + "\n  ".join(errors[:25])
        )
    return LerExport(_write_atomically(tree, Path(out)), ducts, owner, dating)


def _usual_owner(ducts: gpd.GeoDataFrame) -> str:
    owners = ducts["owner"].dropna().astype(str) if "owner" in ducts else pd.Series(dtype=str)
    owners = owners[owners.str.strip() != ""]
    return str(owners.mode().iloc[0]) if len(owners) else "municipality"


def _check_owner(owner: str, cvr: str | None, source: str) -> None:
    problems = []
    if not owner.strip():
        problems.append(
            Problem(source, "ducts", "", "owner", "required", "the owner's name is empty",
                    "give the name the municipality is registered under in LER")
        )  # fmt: skip
    if cvr is not None and not (len(str(cvr).strip()) == 8 and str(cvr).strip().isdigit()):
        problems.append(
            Problem(source, "ducts", "", "cvr", "format", f"CVR number {cvr!r} is not 8 digits",
                    "give the municipality's CVR number, e.g. 58271713")
        )  # fmt: skip
    if problems:
        raise InputError(problems, summary="cannot write the LER export")


def _write_atomically(tree: etree._ElementTree, out: Path) -> Path:
    with replacing(out, suffix=out.suffix or ".gml") as tmp:
        tree.write(str(tmp), xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return out
