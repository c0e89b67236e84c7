"""Export the municipality's ducts for the Danish utility register LER 2.x.

Once it owns empty ducts the municipality is a *ledningsejer* in the
Ledningsejerregistret (LER) and must answer excavators' enquiries with its
ducts in LER's GML exchange model. :func:`export_ler` writes the answer to
one enquiry, a ``ler:Graveforespoergselssvar`` (namespace
``http://data.gov.dk/schemas/LER/2/gml``) whose members are the ducts as
``Foeringsroer`` features, for LER 2.2.0 (the newest, the default) or 2.1.0.
Before the file is written (atomically) it is checked against the published
GML application schema of that version and the feature catalogue's
restrictions (both shipped, with their sources, in ``ductplanner/schemas/``).

Which ducts
-----------
Every duct of the ``ducts`` layer with status ``existing``: the duty to
register covers all of the municipality's ducts, not only those laid by
co-digging (``origins=("co-dig",)`` exports only those). Planned ducts are
not in the ground and are left out. With an enquiry area (the
*graveområde*), only the ducts that touch it, whole; an area that touches
none gives the answer ``ingen ledninger i graveområde``.

The answer
----------
``id`` is the enquiry's id (a UUID from LER); without one the export makes a
stable UUID from the owner and the ducts, for a delivery that answers no
particular enquiry (the summary says so). ``type`` is ``ledningsoplysninger
udleveret``. The owner is named in the ``gml:description`` (LER itself knows
the owner from the account the answer is delivered under).

The fields of each duct
-----------------------
In the order of the schema:

=============================== ==================================================================
field                           value
=============================== ==================================================================
``gml:id``                      ``foeringsroer.N`` (position in the file)
``driftsstatus``                ``i drift`` (the duct exists)
``ejerskabsforhold``            ``ejet af udleverende ledningsejer`` (the municipality owns it)
``etableringstidspunkt``        the day laid, ``laid_on`` (set by ``ductplanner record``);
                                without it the year, ``year_laid`` (a ``gYear``); without
                                a year ``indeterminatePosition="unknown"``
``fareklasse``                  ``ikke farlig`` (an empty duct carries nothing dangerous)
``id``                          the duct's id in the workspace (LER allows 36 characters;
                                a longer id is shortened with a stable hash)
``indtegningsmetode``           ``skematisk``: the line is the street's centre line, not a
                                surveyed position
``noejagtighedsklasse``         ``> 2.00 m`` for the same reason
``noejagtighedsklasseVertikal`` ``> 2.00 m``: no height is known (LER 2.2.0 only)
``vejledendeDybde``             ``depth_mm`` (``uom="mm"``), where known (for a duct laid
                                after 1 July 2023, else the export's ``depth_mm``)
``geometri``                    ``gml:LineString`` in EPSG:7416 (ETRS89 / UTM 32N + DVR90),
                                3D, the height ``-99`` (unknown) as LER asks
``niveau``                      ``under terræn``
``indeholderLedninger``         ``false`` (empty ducts, *tomrør*)
``ledningsetableringsmetode``   ``nedgravning`` (laid in an open trench)
``udvendigDiameter``            ``diameter_mm`` (``uom="mm"``), where known (for a duct laid
                                after 1 July 2023, else the export's ``diameter_mm``)
``tvaersnitsform``              ``cirkulær``
``udnyttelsesgrad``             ``1 - spare_tubes / tubes``, where both are known (LER 2.2.0
                                only; it shows spare capacity for shared use)
``forsyningsart``               ``telekommunikation``
=============================== ==================================================================

A duct laid after 1 July 2023 must carry its outer diameter and, as its
heights are unknown, a guiding depth: the export refuses (naming every such
duct) when the ducts layer and the export's defaults give neither. Survey the
ducts and fill their depths before registering them for answers to
excavators; the export is the register's starting point, not a surveyed
as-built.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
from lxml import etree
from shapely.geometry.base import BaseGeometry

from ..core._atomic import replacing
from ..core._errors import DuctPlannerError, InputError, Problem
from ..model.layers import DEFAULT_WORKSPACE_CRS
from ._ler_restrictions import after_cutoff, restriction_violations
from .workspace import WorkspaceLike, as_workspace, read_layer

__all__ = [
    "DEFAULT_LER_VERSION",
    "GML_NAMESPACE",
    "LER_NAMESPACE",
    "LER_VERSIONS",
    "SCHEMA_DIR",
    "SRS_NAME",
    "LerExport",
    "LerExportError",
    "build_ler_document",
    "export_ler",
    "ler_ducts",
    "schema_path",
    "validate_ler",
    "write_ler_export",
]

LER_NAMESPACE = "http://data.gov.dk/schemas/LER/2/gml"
"""Namespace of the LER 2.x GML application schema."""

GML_NAMESPACE = "http://www.opengis.net/gml/3.2"
"""Namespace of GML 3.2."""

XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"

LER_VERSIONS = ("2.1.0", "2.2.0")
"""The LER versions an export can be written for (their schemas are shipped)."""

DEFAULT_LER_VERSION = "2.2.0"
"""The newest LER version, written unless another is asked for."""

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas" / "ler"
"""Where the published LER GML application schemas are, one folder per version."""

SRS_NAME = "http://www.opengis.net/def/crs/EPSG/0/7416"
"""The CRS LER asks for: ETRS89 / UTM zone 32N + DVR90 height (3D)."""

UNKNOWN_HEIGHT = "-99"
"""LER's height for a position whose height is not known."""

ANSWER_DELIVERED = "ledningsoplysninger udleveret"
ANSWER_NONE_IN_AREA = "ingen ledninger i graveområde"
_ID_LENGTH = 36
_NSMAP = {"ler": LER_NAMESPACE, "gml": GML_NAMESPACE, "xsi": XSI_NAMESPACE}
_FIXED = (
    ("driftsstatus", "i drift"),
    ("ejerskabsforhold", "ejet af udleverende ledningsejer"),
)
_LAID = (
    ("niveau", "under terræn"),
    ("indeholderLedninger", "false"),
    ("ledningsetableringsmetode", "nedgravning"),
)
_SCHEMATIC = "> 2.00 m"


class LerExportError(DuctPlannerError, ValueError):
    """The export does not match its schema or LER's restrictions (the list says where)."""


def _ler(name: str) -> str:
    return f"{{{LER_NAMESPACE}}}{name}"


def _gml(name: str) -> str:
    return f"{{{GML_NAMESPACE}}}{name}"


def schema_path(version: str = DEFAULT_LER_VERSION) -> Path:
    """Return the published XSD of a LER version (``2.1.0`` or ``2.2.0``)."""
    if version not in LER_VERSIONS:
        raise LerExportError(
            f"LER version {version!r} is not one this export writes: {', '.join(LER_VERSIONS)}"
        )
    return SCHEMA_DIR / version / f"{version.rsplit('.', 1)[0]}_ler.xsd"


def ler_ducts(ducts: gpd.GeoDataFrame, *, origins: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """Return the ducts an export holds: status ``existing`` (and ``origins``, when given).

    Multi-part lines are split into their parts; the result is in EPSG:25832.
    """
    keep = ducts["status"].astype(str).eq("existing").to_numpy(dtype=bool, copy=True)
    if origins is not None:
        keep &= ducts["origin"].astype(str).isin(list(origins)).to_numpy(dtype=bool)
    chosen = ducts[keep]
    if chosen.crs is not None and len(chosen) and not chosen.crs.equals(DEFAULT_WORKSPACE_CRS):
        chosen = chosen.to_crs(DEFAULT_WORKSPACE_CRS)
    chosen = chosen[~(chosen.geometry.isna() | chosen.geometry.is_empty)]
    return chosen.explode(index_parts=False).reset_index(drop=True)


def _establishment(duct: pd.Series) -> tuple[str, str]:
    """Return (etableringstidspunkt, how it is known: ``exact``, ``year`` or ``undated``)."""
    laid_on = duct.get("laid_on")
    if isinstance(laid_on, str) and laid_on:
        try:
            return dt.date.fromisoformat(laid_on[:10]).isoformat(), "exact"
        except ValueError:
            pass
    year = duct.get("year_laid")
    if year is None or pd.isna(year):
        return "", "undated"
    return f"{int(year):04d}", "year"


def _number(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _known(duct: pd.Series, column: str, default: float | None) -> float | None:
    value = duct.get(column)
    if value is not None and not pd.isna(value) and float(value) > 0:
        return float(value)
    return default


def _utilisation(duct: pd.Series) -> str | None:
    tubes, spare = duct.get("tubes"), duct.get("spare_tubes")
    if tubes is None or spare is None or pd.isna(tubes) or pd.isna(spare) or int(tubes) <= 0:
        return None
    used = float(np.clip(1.0 - int(spare) / int(tubes), 0.0, 1.0))
    return f"{round(used, 2):.2f}"


def _ler_id(duct_id: str) -> str:
    """Return the duct's id within LER's 36 characters (a longer one: head + stable hash)."""
    if len(duct_id) <= _ID_LENGTH:
        return duct_id
    digest = hashlib.sha1(duct_id.encode("utf-8")).hexdigest()[:8]
    return f"{duct_id[: _ID_LENGTH - 9]}-{digest}"


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _measure(parent: etree._Element, name: str, value: float | None) -> None:
    if value is not None:
        _sub(parent, _ler(name), _number(value)).set("uom", "mm")


def _geometry(feature: etree._Element, duct: pd.Series, n: int) -> None:
    line = _sub(_sub(feature, _ler("geometri")), _gml("LineString"))
    line.set(_gml("id"), f"foeringsroer.{n}.geometri")
    line.set("srsName", SRS_NAME)
    line.set("srsDimension", "3")
    coords = np.asarray(duct.geometry.coords)[:, :2]
    _sub(line, _gml("posList"), " ".join(
        f"{_number(x)} {_number(y)} {UNKNOWN_HEIGHT}" for x, y in coords
    ))  # fmt: skip


def _feature(
    duct: pd.Series,
    n: int,
    version: str,
    depth_mm: float | None,
    diameter_mm: float | None,
) -> tuple[etree._Element, str]:
    feature = etree.Element(_ler("Foeringsroer"), nsmap=_NSMAP)
    feature.set(_gml("id"), f"foeringsroer.{n}")
    for name, value in _FIXED:
        _sub(feature, _ler(name), value)
    established, how = _establishment(duct)
    if not after_cutoff(established):  # the defaults fill only what LER requires
        depth_mm = diameter_mm = None
    when = _sub(feature, _ler("etableringstidspunkt"), established)
    if how == "undated":
        when.set("indeterminatePosition", "unknown")
    _sub(feature, _ler("fareklasse"), "ikke farlig")
    _sub(feature, _ler("id"), _ler_id(str(duct["id"])))
    _sub(feature, _ler("indtegningsmetode"), "skematisk")
    _sub(feature, _ler("noejagtighedsklasse"), _SCHEMATIC)
    if version != "2.1.0":
        _sub(feature, _ler("noejagtighedsklasseVertikal"), _SCHEMATIC)
    _measure(feature, "vejledendeDybde", _known(duct, "depth_mm", depth_mm))
    _geometry(feature, duct, n)
    for name, value in _LAID:
        _sub(feature, _ler(name), value)
    _measure(feature, "udvendigDiameter", _known(duct, "diameter_mm", diameter_mm))
    _sub(feature, _ler("tvaersnitsform"), "cirkulær")
    used = _utilisation(duct)
    if used is not None and version != "2.1.0":
        _sub(feature, _ler("udnyttelsesgrad"), used)
    _sub(feature, _ler("forsyningsart"), "telekommunikation")
    return feature, how


def stable_enquiry_id(owner: str, ducts: gpd.GeoDataFrame) -> str:
    """Return a UUID made from the owner and the ducts' ids: same ducts, same id."""
    ids = ",".join(sorted(ducts["id"].astype(str)))
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:ductplanner:ler:{owner}:{ids}"))


def build_ler_document(
    ducts: gpd.GeoDataFrame,
    *,
    owner: str,
    cvr: str | None = None,
    version: str = DEFAULT_LER_VERSION,
    enquiry_id: str | None = None,
    depth_mm: float | None = None,
    diameter_mm: float | None = None,
) -> tuple[etree._ElementTree, dict[str, list[str]]]:
    """Build the answer for ducts already chosen (see :func:`ler_ducts`).

    Parameters
    ----------
    ducts : GeoDataFrame
        The ducts, in EPSG:25832.
    owner : str
        The owner named in the answer's description.
    cvr : str, optional
        The owner's CVR number.
    version : str
        ``2.2.0`` (default) or ``2.1.0``.
    enquiry_id : str, optional
        The enquiry's UUID (default :func:`stable_enquiry_id`).
    depth_mm, diameter_mm : float, optional
        For ducts laid after 1 July 2023 whose ``depth_mm`` or
        ``diameter_mm`` is empty.

    Returns
    -------
    tree : lxml ElementTree
    dating : dict
        How each duct's establishment is known: ``exact``, ``year`` or
        ``undated`` → duct ids.
    """
    schema_path(version)
    root = etree.Element(_ler("Graveforespoergselssvar"), nsmap=_NSMAP)
    root.set(_gml("id"), "graveforespoergselssvar.1")
    root.set("schemaVersion", version.rsplit(".", 1)[0])
    described = f"Tomrør ejet af {owner}" + (f", CVR {str(cvr).strip()}" if cvr else "")
    _sub(root, _gml("description"), described)
    _sub(root, _ler("id"), enquiry_id or stable_enquiry_id(owner, ducts))
    _sub(root, _ler("type"), ANSWER_DELIVERED if len(ducts) else ANSWER_NONE_IN_AREA)
    dating: dict[str, list[str]] = {"exact": [], "year": [], "undated": []}
    for n, (_, duct) in enumerate(ducts.iterrows(), start=1):
        feature, how = _feature(duct, n, version, depth_mm, diameter_mm)
        _sub(root, _ler("ledningMember")).append(feature)
        dating[how].append(str(duct["id"]))
    return etree.ElementTree(root), dating


@cache
def _schema(version: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.parse(str(schema_path(version)), parser))


def _version_of(root: etree._Element) -> str | None:
    stated = root.get("schemaVersion")
    if not stated:
        return None
    full = stated if stated.count(".") == 2 else f"{stated}.0"
    return full if full in LER_VERSIONS else None


def validate_ler(
    document: etree._ElementTree | etree._Element | str | os.PathLike[str],
    version: str | None = None,
) -> list[str]:
    """Return what keeps a LER answer from being accepted (an empty list when nothing does).

    Checked against the published XSD of the version and the feature
    catalogue's restrictions for ``Foeringsroer``.

    Parameters
    ----------
    document : lxml tree or element, or path-like
        The answer, in memory or as a file.
    version : str, optional
        ``2.1.0`` or ``2.2.0``; by default the document's ``schemaVersion``,
        else :data:`DEFAULT_LER_VERSION`.
    """
    if isinstance(document, str | os.PathLike):
        try:
            document = etree.parse(str(document), etree.XMLParser(no_network=True))
        except (etree.XMLSyntaxError, OSError) as exc:
            return [f"not well-formed XML: {exc}"]
    root = document.getroot() if isinstance(document, etree._ElementTree) else document
    version = version or _version_of(root) or DEFAULT_LER_VERSION
    schema = _schema(version)
    errors = [] if schema.validate(root) else [
        f"line {e.line}: {e.message}" for e in schema.error_log
    ]  # fmt: skip
    return errors + [str(v) for v in restriction_violations(root, version)]


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
        How each duct's establishment is known: ``exact``, ``year`` or
        ``undated`` → duct ids.
    version : str
        The LER version written.
    enquiry_id : str
        The answer's id.
    enquiry_id_made : bool
        True when no enquiry id was given and the export made one.
    """

    path: Path
    ducts: gpd.GeoDataFrame
    owner: str
    dating: dict[str, list[str]]
    version: str = DEFAULT_LER_VERSION
    enquiry_id: str = ""
    enquiry_id_made: bool = True


def export_ler(
    workspace: WorkspaceLike,
    out: str | os.PathLike[str],
    **options: object,
) -> Path:
    """Write the workspace's ducts as a checked LER answer; return the file.

    Keyword options are those of :func:`write_ler_export`.
    """
    return write_ler_export(workspace, out, **options).path  # type: ignore[arg-type]


def write_ler_export(
    workspace: WorkspaceLike,
    out: str | os.PathLike[str],
    *,
    owner: str | None = None,
    cvr: str | None = None,
    origins: Sequence[str] | None = None,
    version: str = DEFAULT_LER_VERSION,
    enquiry_id: str | None = None,
    area: BaseGeometry | str | os.PathLike[str] | None = None,
    depth_mm: float | None = None,
    diameter_mm: float | None = None,
) -> LerExport:
    """Write the ducts as a checked LER ``Graveforespoergselssvar``; say what it holds.

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
    version : str
        The LER version: ``2.2.0`` (default) or ``2.1.0``.
    enquiry_id : str, optional
        The enquiry's id in LER (a UUID); default a stable one made from the
        owner and the ducts.
    area : geometry or path-like, optional
        The enquiry area (graveområde), in EPSG:25832, or a file of polygons
        (any format ``import`` reads): only the ducts touching it.
    depth_mm, diameter_mm : float, optional
        Guiding depth and outer diameter for the ducts laid after 1 July 2023
        whose ``depth_mm`` or ``diameter_mm`` is empty (LER requires both for
        those; older ducts are left as they are).

    Returns
    -------
    LerExport

    Raises
    ------
    InputError
        An empty owner, a CVR that is not eight digits, an enquiry id that
        is not a UUID, or ducts laid after 1 July 2023 without the diameter
        or depth LER requires (each named).
    LerExportError
        The document breaks the schema or a restriction (names every one).
    """
    path = as_workspace(workspace)
    schema_path(version)
    ducts = ler_ducts(read_layer(path, "ducts", required=False), origins=origins)
    if area is not None:
        ducts = _in_area(ducts, area)
    owner = owner or _usual_owner(ducts)
    source = str(path)
    problems = _argument_problems(owner, cvr, enquiry_id, depth_mm, diameter_mm, source)
    problems += _missing_after_cutoff(ducts, depth_mm, diameter_mm, source)
    if problems:
        raise InputError(problems, summary="cannot write the LER export")
    made = enquiry_id is None
    enquiry_id = enquiry_id or stable_enquiry_id(owner, ducts)
    tree, dating = build_ler_document(
        ducts, owner=owner, cvr=cvr, version=version, enquiry_id=enquiry_id,
        depth_mm=depth_mm, diameter_mm=diameter_mm,
    )  # fmt: skip
    errors = validate_ler(tree, version)
    if errors:
        raise LerExportError(
            f"the LER {version} export of {path} is not one LER accepts:\n  "
            + "\n  ".join(errors[:25])
        )
    written = _write_atomically(tree, Path(out))
    return LerExport(written, ducts, owner, dating, version, enquiry_id, made)


def _in_area(
    ducts: gpd.GeoDataFrame, area: BaseGeometry | str | os.PathLike[str]
) -> gpd.GeoDataFrame:
    if not isinstance(area, BaseGeometry):
        from .importer import read_enquiry_area

        area = read_enquiry_area(Path(area))
    return ducts[ducts.geometry.intersects(area)].reset_index(drop=True)


def _usual_owner(ducts: gpd.GeoDataFrame) -> str:
    owners = ducts["owner"].dropna().astype(str) if "owner" in ducts else pd.Series(dtype=str)
    owners = owners[owners.str.strip() != ""]
    return str(owners.mode().iloc[0]) if len(owners) else "municipality"


def _problem(source: str, feature: str, field: str, rule: str, message: str, fix: str) -> Problem:
    return Problem(source, "ducts", feature, field, rule, message, fix)


def _argument_problems(
    owner: str,
    cvr: str | None,
    enquiry_id: str | None,
    depth_mm: float | None,
    diameter_mm: float | None,
    source: str,
) -> list[Problem]:
    problems = []
    if not owner.strip():
        problems.append(
            _problem(
                source,
                "",
                "owner",
                "required",
                "the owner's name is empty",
                "give the name the municipality is registered under in LER",
            )
        )
    if cvr is not None and not (len(str(cvr).strip()) == 8 and str(cvr).strip().isdigit()):
        problems.append(
            _problem(
                source,
                "",
                "cvr",
                "format",
                f"CVR number {cvr!r} is not 8 digits",
                "give the municipality's CVR number, e.g. 58271713",
            )
        )
    if enquiry_id is not None and not _is_uuid(enquiry_id):
        problems.append(
            _problem(
                source,
                "",
                "enquiry_id",
                "format",
                f"enquiry id {enquiry_id[:80]!r} is not a UUID",
                "copy the enquiry's id from LER, e.g. 3f2c8a4e-1b7d-4c9a-9e21-5d0f6b8a7c13",
            )
        )
    for name, value in (("depth_mm", depth_mm), ("diameter_mm", diameter_mm)):
        if value is not None and not value > 0:
            problems.append(
                _problem(
                    source,
                    "",
                    name,
                    "range",
                    f"{name} {value!r} is not above 0",
                    "give millimetres, e.g. 600 for the depth, 40 for the diameter",
                )
            )
    return problems  # fmt: skip


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


def _missing_after_cutoff(
    ducts: gpd.GeoDataFrame, depth_mm: float | None, diameter_mm: float | None, source: str
) -> list[Problem]:
    """Ducts laid after 1 July 2023 without the outer diameter or guiding depth LER requires."""
    problems = []
    for _, duct in ducts.iterrows():
        established, _how = _establishment(duct)
        if not after_cutoff(established):
            continue
        for column, default, word, option in (
            ("diameter_mm", diameter_mm, "outer diameter", "--diameter-mm"),
            ("depth_mm", depth_mm, "guiding depth", "--depth-mm"),
        ):
            if _known(duct, column, default) is None:
                problems.append(_problem(
                    source, str(duct["id"]), column, "ler-required",
                    f"laid {established}, after 1 July 2023: LER requires its {word} "
                    f"and the duct has none",
                    f"fill {column} in the ducts layer, or give {option} for the ducts "
                    "that have none",
                ))  # fmt: skip
    return problems


def _write_atomically(tree: etree._ElementTree, out: Path) -> Path:
    with replacing(out, suffix=out.suffix or ".gml") as tmp:
        tree.write(str(tmp), xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return out
