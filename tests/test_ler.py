"""The LER export: an answer to an enquiry, checked against the published LER schemas."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from lxml import etree
from shapely import LineString, box

from ductplanner.app.demo import tiny_layers
from ductplanner.app.workflows.coordination import record_command
from ductplanner.app.workflows.ler import ler_command
from ductplanner.core._errors import InputError
from ductplanner.io import ler
from ductplanner.io._ler_restrictions import after_cutoff
from ductplanner.io.workspace import write_layers

NS = {"ler": ler.LER_NAMESPACE, "gml": ler.GML_NAMESPACE}
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def ducts_with_a_recorded_one(*, measured: bool = True) -> gpd.GeoDataFrame:
    """The tiny town's ducts D1 (2017), D2 (2018), plus a co-dig duct laid 2024-05-31."""
    ducts = tiny_layers()["ducts"]
    extra = gpd.GeoDataFrame(
        {
            "id": ["NOV-9/H2:1", "PLANNED"],
            "year_laid": [2024, 2025],
            "status": ["existing", "planned"],
            "origin": ["co-dig", "co-dig"],
            "owner": ["municipality", "municipality"],
            "diameter_mm": [50 if measured else None, None],
            "depth_mm": [600 if measured else None, None],
            "tubes": [4, 1],
            "spare_tubes": [3, 1],
            "laid_on": ["2024-05-31", None],
        },
        geometry=[
            LineString([(710000, 6180200), (710100.125, 6180200)]),
            LineString([(710000, 6180000), (710000, 6180100)]),
        ],
        crs=ducts.crs,
    )
    return gpd.GeoDataFrame(pd.concat([ducts, extra], ignore_index=True), crs=ducts.crs)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "ws.gpkg"
    write_layers(path, {"ducts": ducts_with_a_recorded_one()})
    return path


def test_export_is_an_answer_to_an_enquiry_valid_under_ler_2_2(workspace: Path, tmp_path: Path):
    out = ler.export_ler(workspace, tmp_path / "ler.gml", owner="Ballerup Kommune", cvr="58271713")
    assert ler.validate_ler(out) == []
    root = etree.parse(str(out)).getroot()
    assert root.tag == f"{{{ler.LER_NAMESPACE}}}Graveforespoergselssvar"
    assert root.get("schemaVersion") == "2.2"
    assert uuid.UUID(root.findtext("ler:id", namespaces=NS))
    assert root.findtext("ler:type", namespaces=NS) == "ledningsoplysninger udleveret"
    described = root.findtext("gml:description", namespaces=NS)
    assert described == "Tomrør ejet af Ballerup Kommune, CVR 58271713"
    features = root.findall("ler:ledningMember/ler:Foeringsroer", namespaces=NS)
    assert [f.findtext("ler:id", namespaces=NS) for f in features] == ["D1", "D2", "NOV-9/H2:1"]
    d1, _, laid = features  # the planned duct is left out
    assert d1.findtext("ler:driftsstatus", namespaces=NS) == "i drift"
    assert d1.findtext("ler:etableringstidspunkt", namespaces=NS) == "2017"
    assert laid.findtext("ler:etableringstidspunkt", namespaces=NS) == "2024-05-31"
    assert d1.findtext("ler:noejagtighedsklasseVertikal", namespaces=NS) == "> 2.00 m"
    assert d1.findtext("ler:forsyningsart", namespaces=NS) == "telekommunikation"
    assert d1.findtext("ler:indeholderLedninger", namespaces=NS) == "false"
    diameter = d1.find("ler:udvendigDiameter", namespaces=NS)
    assert (diameter.text, diameter.get("uom")) == ("40", "mm")
    depth = laid.find("ler:vejledendeDybde", namespaces=NS)
    assert (depth.text, depth.get("uom")) == ("600", "mm")
    assert d1.find("ler:vejledendeDybde", namespaces=NS) is None  # not known, not required
    assert d1.findtext("ler:udnyttelsesgrad", namespaces=NS) == "0.50"  # 2 tubes, 1 spare
    assert laid.findtext("ler:udnyttelsesgrad", namespaces=NS) == "0.25"  # 4 tubes, 3 spare
    line = laid.find("ler:geometri/gml:LineString", namespaces=NS)
    assert line.get("srsName") == "http://www.opengis.net/def/crs/EPSG/0/7416"
    assert line.get("srsDimension") == "3"
    coords = line.findtext("gml:posList", namespaces=NS)
    assert coords == "710000 6180200 -99 710100.125 6180200 -99"


def test_the_answer_id_is_stable_or_the_enquirys_own(workspace: Path, tmp_path: Path):
    first_id = etree.parse(str(ler.export_ler(workspace, tmp_path / "a.gml"))).findtext(
        "ler:id", namespaces=NS
    )
    again = etree.parse(str(ler.export_ler(workspace, tmp_path / "b.gml"))).findtext(
        "ler:id", namespaces=NS
    )
    assert first_id == again
    assert (tmp_path / "a.gml").read_bytes() == (tmp_path / "b.gml").read_bytes()
    given = "3f2c8a4e-1b7d-4c9a-9e21-5d0f6b8a7c13"
    result = ler_command(workspace, out=tmp_path / "c.gml", enquiry_id=given)
    assert result.summary["enquiry_id"] == given and not result.summary["enquiry_id_made"]
    with pytest.raises(InputError, match="is not a UUID"):
        ler.export_ler(workspace, tmp_path / "d.gml", enquiry_id="=HYPERLINK(1)")
    assert not (tmp_path / "d.gml").exists()


def test_ler_2_1_export_has_no_2_2_elements_and_the_versions_do_not_mix(
    workspace: Path, tmp_path: Path
):
    old = ler.export_ler(workspace, tmp_path / "21.gml", version="2.1.0")
    new = ler.export_ler(workspace, tmp_path / "22.gml")
    assert ler.validate_ler(old) == []  # the file's schemaVersion says 2.1
    tree = etree.parse(str(old))
    assert tree.getroot().get("schemaVersion") == "2.1"
    assert not tree.xpath("//ler:noejagtighedsklasseVertikal", namespaces=NS)
    assert not tree.xpath("//ler:udnyttelsesgrad", namespaces=NS)
    assert any("noejagtighedsklasseVertikal" in e for e in ler.validate_ler(new, "2.1.0"))
    assert any("nøjagtighedsklasseVertikalBetingelse" in e for e in ler.validate_ler(old, "2.2.0"))
    with pytest.raises(ler.LerExportError, match=r"2\.0\.0"):
        ler.export_ler(workspace, tmp_path / "20.gml", version="2.0.0")


def test_origins_restrict_the_export(workspace: Path, tmp_path: Path):
    out = ler.export_ler(workspace, tmp_path / "co.gml", owner="Ballerup Kommune",
                         origins=("co-dig",))  # fmt: skip
    ids = etree.parse(str(out)).xpath("//ler:Foeringsroer/ler:id/text()", namespaces=NS)
    assert ids == ["D2", "NOV-9/H2:1"]


def test_dates_are_exact_by_year_or_unknown(tmp_path: Path):
    ducts = ducts_with_a_recorded_one()
    ducts.loc[ducts["id"] == "NOV-9/H2:1", "laid_on"] = None
    ducts.loc[ducts["id"] == "D2", "year_laid"] = None
    path = tmp_path / "ws.gpkg"
    write_layers(path, {"ducts": ducts})
    result = ler_command(str(path))
    assert result.summary["dated"] == {"exact": 0, "year": 2, "undated": 1}
    assert result.summary["dated_by_year"] == ["D1", "NOV-9/H2:1"]
    assert result.summary["undated"] == ["D2"]
    assert result.summary["owner"] == "municipality"
    assert result.summary["out"] == str(tmp_path / "ws-ler.gml")
    assert "2 ducts dated by year only, 1 without a year" in result.text
    tree = etree.parse(str(tmp_path / "ws-ler.gml"))
    dates = tree.xpath("//ler:etableringstidspunkt", namespaces=NS)
    assert [d.text for d in dates] == ["2017", None, "2024"]
    assert dates[1].get("indeterminatePosition") == "unknown"


def test_ducts_laid_after_the_cutoff_need_their_diameter_and_depth(tmp_path: Path):
    path = tmp_path / "ws.gpkg"
    write_layers(path, {"ducts": ducts_with_a_recorded_one(measured=False)})
    out = tmp_path / "ler.gml"
    with pytest.raises(InputError) as caught:
        ler.export_ler(path, out)
    problems = {(p.feature_id, p.field) for p in caught.value.problems}
    assert problems == {("NOV-9/H2:1", "diameter_mm"), ("NOV-9/H2:1", "depth_mm")}
    assert "after 1 July 2023" in str(caught.value) and "--depth-mm" in str(caught.value)
    assert not out.exists()
    ler.export_ler(path, out, depth_mm=500, diameter_mm=40)
    _, d2, laid = etree.parse(str(out)).xpath("//ler:Foeringsroer", namespaces=NS)
    assert laid.findtext("ler:vejledendeDybde", namespaces=NS) == "500"
    assert laid.findtext("ler:udvendigDiameter", namespaces=NS) == "40"
    assert d2.find("ler:vejledendeDybde", namespaces=NS) is None  # laid 2018: not made up
    with pytest.raises(InputError, match="depth_mm -1"):
        ler.export_ler(path, out, depth_mm=-1, diameter_mm=40)


def test_an_area_keeps_the_ducts_touching_it(workspace: Path, tmp_path: Path):
    area = tmp_path / "area.geojson"
    frame = gpd.GeoDataFrame(geometry=[box(709990, 6180190, 710010, 6180210)], crs=25832)
    frame.to_file(area, driver="GeoJSON")
    result = ler_command(workspace, out=tmp_path / "a.gml", area=area)
    assert result.summary["features"] == 1
    tree = etree.parse(str(tmp_path / "a.gml"))
    assert tree.xpath("//ler:Foeringsroer/ler:id/text()", namespaces=NS) == ["NOV-9/H2:1"]
    far = ler.export_ler(workspace, tmp_path / "none.gml", area=box(0, 0, 1, 1))
    assert ler.validate_ler(far) == []
    answer = etree.parse(str(far)).findtext("ler:type", namespaces=NS)
    assert answer == "ingen ledninger i graveområde"


def test_an_area_file_of_lines_is_refused_by_row(workspace: Path, tmp_path: Path):
    lines = tmp_path / "lines.geojson"
    gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1, 1)])], crs=25832).to_file(lines)
    with pytest.raises(InputError, match="feature 1 is a LineString, not a polygon") as caught:
        ler.export_ler(workspace, tmp_path / "x.gml", area=lines)
    assert caught.value.problems[0].source == str(lines)


def test_a_long_or_hostile_id_and_owner_stay_text(tmp_path: Path):
    ducts = ducts_with_a_recorded_one()
    ducts.loc[0, "id"] = "<script>alert(1)</script>" + "x" * 60
    path = tmp_path / "ws.gpkg"
    write_layers(path, {"ducts": ducts})
    out = ler.export_ler(path, tmp_path / "ler.gml", owner='=cmd|" /C calc"!A0 <b>')
    assert ler.validate_ler(out) == []
    tree = etree.parse(str(out))
    first_id = tree.xpath("//ler:Foeringsroer/ler:id/text()", namespaces=NS)[0]
    assert len(first_id) == 36 and first_id.startswith("<script>alert(1)</script>xx")
    assert tree.findtext("gml:description", namespaces=NS).endswith('=cmd|" /C calc"!A0 <b>')
    assert b"<script>" not in out.read_bytes() and b"<b>" not in out.read_bytes()


def valid_tree(version: str = ler.DEFAULT_LER_VERSION) -> etree._ElementTree:
    ducts = ler.ler_ducts(ducts_with_a_recorded_one())
    tree, _ = ler.build_ler_document(ducts, owner="Kommune", version=version)
    assert ler.validate_ler(tree) == []
    return tree


def first(tree: etree._ElementTree, path: str) -> etree._Element:
    return tree.xpath(path, namespaces=NS)[0]


def nil_with_reason(tree: etree._ElementTree) -> None:
    depth = first(tree, "//ler:vejledendeDybde")
    depth.text = None
    depth.set(XSI_NIL, "true")
    depth.set("nilReason", "withheld")


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda t: setattr(first(t, "//ler:driftsstatus"), "text", "running"), "driftsstatus"),
        (lambda t: first(t, "//ler:Foeringsroer").remove(first(t, "//ler:geometri")),
         "geometriBetingelse"),
        (lambda t: setattr(first(t, "//gml:posList"), "text", "east north"), "posList"),
        (lambda t: setattr(first(t, "//ler:udnyttelsesgrad"), "text", "1.5"), "udnyttelses"),
        (lambda t: first(t, "//gml:LineString").set("srsName", "EPSG:25832"),
         "indholdGM_ObjectSRIDrestriktion"),
        (lambda t: first(t, "//ler:udvendigDiameter").set("uom", "m"),
         "udvendigDiameterMåleenhedsrestriktion"),
        (lambda t: setattr(first(t, "/ler:Graveforespoergselssvar/ler:id"), "text", "42"),
         "idRestriktion"),
        (lambda t: first(t, "//ler:Foeringsroer").remove(
            first(t, "//ler:noejagtighedsklasseVertikal")), "nøjagtighedsklasseVertikalBetingelse"),
        (nil_with_reason, "indholdNilReasonRestriktion"),
        (lambda t: first(t, "(//ler:Foeringsroer)[3]").remove(
            first(t, "(//ler:Foeringsroer)[3]/ler:vejledendeDybde")), "vejledendeDybdeBetingelse"),
        (lambda t: setattr(first(t, "//ler:tvaersnitsform"), "text", "rektangulær"),
         "udvendigDiameterBetingelse"),
    ],
)  # fmt: skip
def test_a_broken_document_does_not_validate(breakage, message):
    tree = copy.deepcopy(valid_tree())
    breakage(tree)
    errors = ler.validate_ler(tree)
    assert errors and any(message in e for e in errors), errors


def test_the_old_invented_container_is_not_ler():
    root = etree.fromstring(
        '<dp:LerExport xmlns:dp="urn:ductplanner:ler-export:1"><dp:count>0</dp:count>'
        "</dp:LerExport>"
    )
    errors = ler.validate_ler(root)
    assert any("No matching global declaration" in e for e in errors), errors


def test_features_out_of_schema_order_do_not_validate():
    tree = copy.deepcopy(valid_tree())
    feature = first(tree, "//ler:Foeringsroer")
    feature.append(first(tree, "//ler:driftsstatus"))  # moved to the end
    assert any("driftsstatus" in e for e in ler.validate_ler(tree))


def test_a_file_that_is_not_xml_is_reported(tmp_path: Path):
    bad = tmp_path / "bad.gml"
    bad.write_text("<Graveforespoergselssvar>", encoding="utf-8")
    assert ler.validate_ler(bad)[0].startswith("not well-formed XML")


@pytest.mark.parametrize(
    ("text", "after"),
    [("2023-07-01", False), ("2023-07-02", True), ("2023-07", False), ("2023-08", True),
     ("2023", False), ("2024", True), ("", False), ("2024-02-30", False)],
)  # fmt: skip
def test_the_cutoff_is_read_as_the_catalogue_reads_it(text: str, after: bool):
    assert after_cutoff(text) is after


def test_bad_cvr_or_owner_is_refused_and_nothing_written(workspace: Path, tmp_path: Path):
    out = tmp_path / "ler.gml"
    with pytest.raises(ler.InputError, match="CVR number '123' is not 8 digits"):
        ler.export_ler(workspace, out, owner="Ballerup Kommune", cvr="123")
    with pytest.raises(ler.InputError, match="the owner's name is empty"):
        ler.export_ler(workspace, out, owner="  ")
    assert not out.exists()


def test_an_invalid_export_leaves_the_old_file(workspace: Path, tmp_path: Path, monkeypatch):
    out = tmp_path / "ler.gml"
    out.write_text("old", encoding="utf-8")
    monkeypatch.setattr(ler, "validate_ler", lambda tree, version: ["line 3: made-up error"])
    with pytest.raises(ler.LerExportError, match="made-up error"):
        ler.export_ler(workspace, out, owner="Kommune")
    assert out.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ler.gml", "ws.gpkg"]


def test_the_published_schemas_are_shipped_and_load_offline():
    root = ler.SCHEMA_DIR.parent
    assert (root / "README.md").read_text(encoding="utf-8").count("ler.dk") >= 1
    xs = "{http://www.w3.org/2001/XMLSchema}"
    for path in root.rglob("*.xsd"):
        tree = etree.parse(str(path))
        for ref in [*tree.iter(f"{xs}import"), *tree.iter(f"{xs}include")]:
            location = ref.get("schemaLocation", "")
            assert location and not location.startswith(("http:", "https:")), (path, location)
            assert (path.parent / location).resolve().is_file(), (path, location)
    for version in ler.LER_VERSIONS:
        parser = etree.XMLParser(no_network=True)
        schema = etree.XMLSchema(etree.parse(str(ler.schema_path(version)), parser))
        assert schema is not None


def test_record_writes_the_ler_export_when_asked(tmp_path: Path):
    path = tmp_path / "tiny.gpkg"
    layers = tiny_layers()
    plan = gpd.GeoDataFrame(
        {"id": ["P1"], "opportunity_id": ["O1"], "dig_id": ["RAD-1"], "owner": ["Radius"],
         "edge_id": ["V2:1"], "year": [2021], "kind": ["co-dig"], "metres": [100.0],
         "cost_dkk": [18000.0], "households": [0.0], "why": [""], "method": ["greedy"],
         "scenario": ["revised-2019"]},
        geometry=[LineString([(710200, 6180000), (710200, 6180100)])],
        crs=layers["ducts"].crs,
    )  # fmt: skip
    write_layers(path, {"digs": layers["digs"], "ducts": layers["ducts"], "plan": plan})
    result = record_command(str(path), "RAD-1", ler=str(tmp_path / "l.gml"))
    assert result.summary["ler"] == str(tmp_path / "l.gml")
    tree = etree.parse(str(tmp_path / "l.gml"))
    ids = tree.xpath("//ler:Foeringsroer/ler:id/text()", namespaces=NS)
    assert ids == ["D1", "D2", "RAD-1/V2:1"]
    assert tree.xpath("//ler:etableringstidspunkt/text()", namespaces=NS)[-1] == "2021-05-31"


def test_the_summary_is_json(workspace: Path, tmp_path: Path):
    result = ler_command(workspace, out=tmp_path / "s.gml", version="2.1.0")
    assert json.loads(json.dumps(result.summary))["ler_version"] == "2.1.0"


def test_record_after_the_cutoff_keeps_the_recording_when_ler_asks_for_more(tmp_path: Path):
    path = tmp_path / "tiny.gpkg"
    layers = tiny_layers()
    plan = gpd.GeoDataFrame(
        {"id": ["P1"], "opportunity_id": ["O1"], "dig_id": ["RAD-1"], "owner": ["Radius"],
         "edge_id": ["V2:1"], "year": [2021], "kind": ["co-dig"], "metres": [100.0],
         "cost_dkk": [18000.0], "households": [0.0], "why": [""], "method": ["greedy"],
         "scenario": ["revised-2019"]},
        geometry=[LineString([(710200, 6180000), (710200, 6180100)])],
        crs=layers["ducts"].crs,
    )  # fmt: skip
    write_layers(path, {"digs": layers["digs"], "ducts": layers["ducts"], "plan": plan})
    out = tmp_path / "l.gml"
    result = record_command(str(path), "RAD-1", date="2024-09-02", ler=str(out))
    assert result.summary["recorded"] and not out.exists()
    assert {p["field"] for p in result.summary["ler_problems"]} == {"diameter_mm", "depth_mm"}
    assert "recorded, but the LER export was not written" in result.text
    again = ler_command(str(path), out=out, depth_mm=600, diameter_mm=40)
    assert again.summary["features"] == 3 and ler.validate_ler(out) == []
