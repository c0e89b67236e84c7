"""The LER feature catalogue's restrictions for an answer holding ``Foeringsroer``.

An XML schema checks structure and code lists; what it cannot say, LER's
feature catalogue (annex 1 of the executive order on the register,
"Restriktioner") states as restrictions: a horizontal accuracy class exactly
when there is a geometry, a guiding depth for a telecommunication duct laid
after 1 July 2023 whose heights are unknown, every geometry in EPSG:7416, and
so on. :func:`restriction_violations` checks those that apply to a
``Graveforespoergselssvar`` and the ``Foeringsroer`` in it, for LER 2.1.0 or
2.2.0, and names each broken one as the catalogue names it.

"Laid after the cut-off" reads ``etableringstidspunkt`` as the catalogue
does: a date after 2023-07-01, a month after 2023-07 or a year after 2023;
anything else (a year of 2023 or before, an indeterminate position) is not.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from lxml import etree

__all__ = ["RESTRICTIONS", "Restriction", "Violation", "after_cutoff", "restriction_violations"]

LER = "http://data.gov.dk/schemas/LER/2/gml"
GML = "http://www.opengis.net/gml/3.2"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XLINK = "http://www.w3.org/1999/xlink"
SRS_7416 = "http://www.opengis.net/def/crs/EPSG/0/7416"
CUTOFF = dt.date(2023, 7, 1)
UNKNOWN_HEIGHT = "-99"
ELECTRIC_OR_TELECOM = ("el", "telekommunikation")
OWN = "ejet af udleverende ledningsejer"
BEING_BUILT = "under etablering"
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def after_cutoff(text: str) -> bool:
    """Return whether an ``etableringstidspunkt`` lies after LER's cut-off, 1 July 2023."""
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value) > CUTOFF
        except ValueError:
            return False
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return value > f"{CUTOFF.year}-{CUTOFF.month:02d}"
    if re.fullmatch(r"\d{4}", value):
        return int(value) > CUTOFF.year
    return False


class _Feature:
    """One ``Foeringsroer`` (or the answer itself), with the facts the restrictions read."""

    def __init__(self, element: etree._Element) -> None:
        self.element = element

    def child(self, name: str) -> etree._Element | None:
        return self.element.find(f"{{{LER}}}{name}")

    def has(self, name: str) -> bool:
        return self.child(name) is not None

    def nil(self, name: str) -> bool:
        child = self.child(name)
        return child is not None and child.get(f"{{{XSI}}}nil") == "true"

    def given(self, name: str) -> bool:
        """Present, not nil and not empty."""
        child = self.child(name)
        return child is not None and not self.nil(name) and bool((child.text or "").strip())

    def text(self, name: str) -> str:
        child = self.child(name)
        return " ".join((child.text or "").split()) if child is not None else ""

    def in_mm(self, name: str) -> bool:
        child = self.child(name)
        return child is None or child.get("uom") == "mm"

    @property
    def after_cutoff(self) -> bool:
        return after_cutoff(self.text("etableringstidspunkt"))

    @property
    def own(self) -> bool:
        return not self.has("ejerskabsforhold") or self.text("ejerskabsforhold") == OWN

    @property
    def in_service(self) -> bool:
        return self.text("driftsstatus") != BEING_BUILT

    @property
    def circular(self) -> bool:
        return self.text("tvaersnitsform") == "cirkulær"

    @property
    def electric_or_telecom(self) -> bool:
        first = self.element.find(f"{{{LER}}}forsyningsart")
        return first is not None and " ".join((first.text or "").split()) in ELECTRIC_OR_TELECOM

    @property
    def heights_unknown(self) -> bool:
        heights: list[str] = []
        for pos_list in self.element.iterfind(f"{{{LER}}}geometri//{{{GML}}}posList"):
            dimension = _dimension(pos_list)
            heights += (
                (pos_list.text or "").split()[dimension - 1 :: dimension] if dimension == 3 else []
            )
        return bool(heights) and all(h == UNKNOWN_HEIGHT for h in heights)

    def geometry(self) -> etree._Element | None:
        holder = self.child("geometri")
        return None if holder is None or len(holder) == 0 else holder[0]


def _dimension(element: etree._Element) -> int:
    node: etree._Element | None = element
    while node is not None:
        if node.get("srsDimension"):
            return int(node.get("srsDimension", "2"))
        node = node.getparent()
    return 2


def _linear_geometry(f: _Feature) -> bool:
    geometry = f.geometry()
    if geometry is None:
        return True
    if geometry.tag == f"{{{GML}}}LineString":
        return True
    if geometry.tag != f"{{{GML}}}Curve":
        return False
    segments = geometry.find(f"{{{GML}}}segments")
    return segments is not None and all(s.tag == f"{{{GML}}}LineStringSegment" for s in segments)


def _geometry_or_contained(f: _Feature) -> bool:
    if f.has("geometri") and not f.nil("geometri"):
        return True
    own_ref = "#" + f.element.get(f"{{{GML}}}id", "")
    refs = f.element.getroottree().iterfind(f".//{{{LER}}}indeholdtLedning")
    return any(r.get(f"{{{XLINK}}}href") == own_ref for r in refs)


def _all_srs_7416(f: _Feature) -> bool:
    return all(e.get("srsName") == SRS_7416 for e in f.element.iterfind(".//*[@srsName]"))


def _nil_reason_unknown(f: _Feature) -> bool:
    for element in f.element.iter():
        if element.get(f"{{{XSI}}}nil") == "true" and element.get("nilReason") not in (
            None,
            "unknown",
        ):
            return False
    return True


def _void(name: str, *, service: bool = False) -> Callable[[_Feature], bool]:
    """Owned and laid after the cut-off (and in service, when asked): ``name`` is not nil."""

    def holds(f: _Feature) -> bool:
        applies = f.after_cutoff and f.own and (f.in_service or not service)
        return not applies or not f.nil(name)

    return holds


def _with_geometry(name: str) -> Callable[[_Feature], bool]:
    return lambda f: f.has("geometri") == f.has(name)


def _size_by_shape(name: str, *, circular: bool) -> Callable[[_Feature], bool]:
    """Given when laid after the cut-off and the shape calls for it; absent otherwise."""

    def holds(f: _Feature) -> bool:
        wanted = f.circular == circular
        if f.after_cutoff and wanted and not f.given(name):
            return False
        return wanted or not f.has(name)

    return holds


def _depth_when_heights_unknown(f: _Feature) -> bool:
    applies = f.after_cutoff and f.heights_unknown and f.electric_or_telecom
    return not applies or f.given("vejledendeDybde")


def _depth_not_nil(f: _Feature) -> bool:
    applies = (
        f.after_cutoff and f.own and f.in_service and f.heights_unknown and f.electric_or_telecom
    )
    return not applies or not f.nil("vejledendeDybde")


def _heights_known_unless_cable(f: _Feature) -> bool:
    applies = f.after_cutoff and f.own and f.in_service and not f.electric_or_telecom
    return not applies or not f.heights_unknown


def _answer_type(f: _Feature) -> bool:
    return f.text("type") != "ledningsoplysninger udleveres ikke" or f.has("typeSupplerendeInfo")


def _expected_delivery(f: _Feature) -> bool:
    return not f.has("forventetAfleveringstidspunkt") or (
        f.text("type") == "udtaget til manuel behandling"
    )


@dataclass(frozen=True)
class Restriction:
    """One restriction of the feature catalogue.

    Attributes
    ----------
    name : str
        As the catalogue names it (e.g. ``vejledendeDybdeBetingelse``).
    on : str
        ``answer`` (the ``Graveforespoergselssvar``) or ``duct`` (each ``Foeringsroer``).
    holds : callable
        Whether a feature keeps it.
    says : str
        What it asks, in words.
    versions : tuple of str
        The LER versions it belongs to.
    """

    name: str
    on: str
    holds: Callable[[_Feature], bool]
    says: str
    versions: tuple[str, ...] = ("2.1.0", "2.2.0")


RESTRICTIONS: tuple[Restriction, ...] = (
    Restriction("idRestriktion", "answer", lambda f: bool(_UUID.fullmatch(f.text("id"))),
                "the answer's id is the enquiry's UUID"),
    Restriction("indholdGM_ObjectSRIDrestriktion", "answer", _all_srs_7416,
                f"every geometry is in {SRS_7416} (ETRS89 / UTM 32N + DVR90)"),
    Restriction("indholdNilReasonRestriktion", "answer", _nil_reason_unknown,
                "a nil value's nilReason is 'unknown'"),
    Restriction("typeSupplerendeInfoBetingelse", "answer", _answer_type,
                "an answer that delivers nothing says why (typeSupplerendeInfo)"),
    Restriction("forventetAfleveringstidspunktBetingelse", "answer", _expected_delivery,
                "an expected delivery time only when taken for manual handling"),
    Restriction("driftsstatusVoidrestriktion", "duct", _void("driftsstatus"),
                "driftsstatus is not nil for what was laid after 1 July 2023"),
    Restriction("fareklasseVoidrestriktion", "duct", _void("fareklasse"),
                "fareklasse is not nil for what was laid after 1 July 2023"),
    Restriction("geometriBetingelse", "duct", _geometry_or_contained,
                "a geometry, unless another feature contains this one"),
    Restriction("geometriDatatyperestriktion", "duct", _linear_geometry,
                "the geometry is a LineString or a Curve of LineStringSegments"),
    Restriction("nøjagtighedsklasseBetingelse", "duct", _with_geometry("noejagtighedsklasse"),
                "a horizontal accuracy class exactly when there is a geometry"),
    Restriction("nøjagtighedsklasseVertikalBetingelse", "duct",
                _with_geometry("noejagtighedsklasseVertikal"),
                "a vertical accuracy class exactly when there is a geometry", ("2.2.0",)),
    Restriction("nøjagtighedsklasseVoidrestriktion", "duct", _void("noejagtighedsklasse"),
                "the horizontal accuracy class of an own duct laid after 1 July 2023 is not nil"),
    Restriction("nøjagtighedsklasseVertikalVoidrestriktion", "duct",
                _void("noejagtighedsklasseVertikal"),
                "the vertical accuracy class of an own duct laid after 1 July 2023 is not nil",
                ("2.2.0",)),
    Restriction("udvendigDiameterMåleenhedsrestriktion", "duct",
                lambda f: f.in_mm("udvendigDiameter"), "udvendigDiameter in mm"),
    Restriction("udvendigDiameterVoidrestriktion", "duct", _void("udvendigDiameter", service=True),
                "the outer diameter of an own duct laid after 1 July 2023 is not nil"),
    Restriction("vejledendeDybdeMåleenhedsrestriktion", "duct",
                lambda f: f.in_mm("vejledendeDybde"), "vejledendeDybde in mm"),
    Restriction("udvendigDiameterBetingelse", "duct",
                _size_by_shape("udvendigDiameter", circular=True),
                "an outer diameter for a round duct laid after 1 July 2023; none if not round"),
    Restriction("udvendigBreddeBetingelse", "duct",
                _size_by_shape("udvendigBredde", circular=False),
                "an outer width for a duct not round, laid after 1 July 2023; none when round"),
    Restriction("udvendigHøjdeBetingelse", "duct",
                _size_by_shape("udvendigHoejde", circular=False),
                "an outer height for a duct not round, laid after 1 July 2023; none when round"),
    Restriction("udvendigBreddeMåleenhedsrestriktion", "duct",
                lambda f: f.in_mm("udvendigBredde"), "udvendigBredde in mm"),
    Restriction("udvendigHøjdeMåleenhedsrestriktion", "duct",
                lambda f: f.in_mm("udvendigHoejde"), "udvendigHoejde in mm"),
    Restriction("udvendigBreddeVoidrestriktion", "duct", _void("udvendigBredde", service=True),
                "the outer width of an own duct laid after 1 July 2023 is not nil"),
    Restriction("udvendigHøjdeVoidrestriktion", "duct", _void("udvendigHoejde", service=True),
                "the outer height of an own duct laid after 1 July 2023 is not nil"),
    Restriction("geometriVertikaleKoordinaterRestriktion", "duct", _heights_known_unless_cable,
                "heights, not -99, for a duct laid after 1 July 2023 that carries neither power "
                "nor telecommunication"),
    Restriction("vejledendeDybdeBetingelse", "duct", _depth_when_heights_unknown,
                "a guiding depth (vejledendeDybde) for a power or telecommunication duct laid "
                "after 1 July 2023 whose heights are unknown (-99)"),
    Restriction("vejledendeDybdeVoidrestriktion", "duct", _depth_not_nil,
                "that guiding depth is not nil"),
)  # fmt: skip


class Violation(NamedTuple):
    """A restriction a feature breaks: which, where (``gml:id``, LER ``id``), what it asks."""

    restriction: str
    gml_id: str
    feature_id: str
    says: str

    def __str__(self) -> str:
        where = self.gml_id + (f" (id {self.feature_id})" if self.feature_id else "")
        return f"{where}: {self.restriction}: {self.says}"


def restriction_violations(root: etree._Element, version: str) -> list[Violation]:
    """Return every restriction of ``version`` that the answer or one of its ducts breaks.

    Parameters
    ----------
    root : lxml element
        The ``Graveforespoergselssvar``.
    version : str
        ``2.1.0`` or ``2.2.0``.
    """
    rules = [r for r in RESTRICTIONS if version in r.versions]
    found: list[Violation] = []
    targets = [("answer", root)] if root.tag == f"{{{LER}}}Graveforespoergselssvar" else []
    targets += [("duct", e) for e in root.iter(f"{{{LER}}}Foeringsroer")]
    for on, element in targets:
        feature = _Feature(element)
        gml_id = element.get(f"{{{GML}}}id", "")
        for rule in rules:
            if rule.on == on and not rule.holds(feature):
                found.append(Violation(rule.name, gml_id, feature.text("id"), rule.says))
    return found
