"""The LER 2.0 export: Foeringsroer features, validated against the shipped XSD."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from lxml import etree
from shapely import LineString

from ductplanner.app.demo import tiny_layers
from ductplanner.app.workflows.coordination import record_command
from ductplanner.app.workflows.ler import ler_command
from ductplanner.io import ler
from ductplanner.io.workspace import write_layers

NS = {"dp": ler.EXPORT_NAMESPACE, "ler": ler.LER_NAMESPACE, "gml": ler.GML_NAMESPACE}
DAY = dt.date(2021, 6, 30)


def ducts_with_a_recorded_one() -> gpd.GeoDataFrame:
    """The tiny town's ducts D1 (2017), D2 (2018), plus a co-dig duct laid 2024-05-31."""
    ducts = tiny_layers()["ducts"]
    extra = gpd.GeoDataFrame(
        {
            "id": ["NOV-9/H2:1", "PLANNED"],
            "year_laid": [2024, 2025],
            "status": ["existing", "planned"],
            "origin": ["co-dig", "co-dig"],
            "owner": ["municipality", "municipality"],
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


def test_export_holds_one_valid_foeringsroer_per_existing_duct(workspace: Path, tmp_path: Path):
    out = ler.export_ler(workspace, tmp_path / "ler.gml", owner="Ballerup Kommune", cvr="58271713",
                         created=DAY)  # fmt: skip
    assert ler.validate_ler(out) == []
    tree = etree.parse(str(out))
    root = tree.getroot()
    assert root.tag == f"{{{ler.EXPORT_NAMESPACE}}}LerExport"
    assert root.findtext("dp:ledningsejer", namespaces=NS) == "Ballerup Kommune"
    assert root.findtext("dp:cvr", namespaces=NS) == "58271713"
    assert root.findtext("dp:created", namespaces=NS) == "2021-06-30"
    features = root.findall("dp:ledningMember/ler:Foeringsroer", namespaces=NS)
    assert [f.findtext("ler:id", namespaces=NS) for f in features] == ["D1", "D2", "NOV-9/H2:1"]
    assert root.findtext("dp:count", namespaces=NS) == "3"  # the planned duct is left out
    d1, _, laid = features
    assert d1.findtext("ler:driftsstatus", namespaces=NS) == "i drift"
    assert d1.findtext("ler:etableringstidspunkt", namespaces=NS) == ler.BEFORE_CUTOFF
    assert laid.findtext("ler:etableringstidspunkt", namespaces=NS) == "2024-05-31"
    assert d1.findtext("ler:forsyningsart", namespaces=NS) == "telekommunikation"
    assert d1.findtext("ler:indeholderLedninger", namespaces=NS) == "false"
    diameter = d1.find("ler:udvendigDiameter", namespaces=NS)
    assert (diameter.text, diameter.get("uom")) == ("40", "mm")
    assert laid.find("ler:udvendigDiameter", namespaces=NS) is None  # not known
    assert d1.findtext("ler:udnyttelsesgrad", namespaces=NS) == "0.50"  # 2 tubes, 1 spare
    assert laid.findtext("ler:udnyttelsesgrad", namespaces=NS) == "0.25"  # 4 tubes, 3 spare
    line = laid.find("ler:geometri/gml:LineString", namespaces=NS)
    assert line.get("srsName") == "http://www.opengis.net/def/crs/EPSG/0/25832"
    assert line.get("srsDimension") == "2"
    coords = line.findtext("gml:posList", namespaces=NS)
    assert coords == "710000 6180200 710100.125 6180200"


def test_origins_restrict_the_export(workspace: Path, tmp_path: Path):
    out = ler.export_ler(workspace, tmp_path / "co.gml", owner="Ballerup Kommune",
                         origins=("co-dig",))  # fmt: skip
    ids = etree.parse(str(out)).xpath("//ler:Foeringsroer/ler:id/text()", namespaces=NS)
    assert ids == ["D2", "NOV-9/H2:1"]


def test_dates_are_exact_before_the_cutoff_guessed_or_undated(tmp_path: Path):
    ducts = ducts_with_a_recorded_one()
    ducts.loc[ducts["id"] == "NOV-9/H2:1", "laid_on"] = None
    ducts.loc[ducts["id"] == "D2", "year_laid"] = None
    path = tmp_path / "ws.gpkg"
    write_layers(path, {"ducts": ducts})
    result = ler_command(str(path))
    assert result.summary["dated"] == {"exact": 0, "before-cutoff": 1, "guessed": 1, "undated": 1}
    assert result.summary["guessed_dates"] == ["NOV-9/H2:1"]
    assert result.summary["undated"] == ["D2"]
    assert result.summary["owner"] == "municipality"
    assert result.summary["out"] == str(tmp_path / "ws-ler.gml")
    assert "1 establishment dates guessed" in result.text
    tree = etree.parse(str(tmp_path / "ws-ler.gml"))
    dates = tree.xpath("//ler:etableringstidspunkt/text()", namespaces=NS)
    assert dates == [ler.BEFORE_CUTOFF, ler.BEFORE_CUTOFF, "2024-01-01"]


def valid_tree() -> etree._ElementTree:
    tree, _ = ler.build_ler_document(ler.ler_ducts(ducts_with_a_recorded_one()), owner="Kommune")
    assert ler.validate_ler(tree) == []
    return tree


def first(tree: etree._ElementTree, path: str) -> etree._Element:
    return tree.xpath(path, namespaces=NS)[0]


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda t: setattr(first(t, "//ler:driftsstatus"), "text", "running"), "driftsstatus"),
        (lambda t: first(t, "//ler:Foeringsroer").remove(first(t, "//ler:geometri")), "geometri"),
        (lambda t: setattr(first(t, "//gml:posList"), "text", "710000 6180000"), "posList"),
        (lambda t: setattr(first(t, "//ler:etableringstidspunkt"), "text", "2020"), "etabl"),
        (lambda t: setattr(first(t, "//ler:udnyttelsesgrad"), "text", "1.5"), "udnyttelses"),
        (lambda t: first(t, "//gml:LineString").attrib.pop("srsName"), "srsName"),
        (lambda t: first(t, "//ler:udvendigDiameter").set("uom", "m"), "uom"),
        (lambda t: setattr(first(t, "//dp:count"), "text", "-1"), "count"),
    ],
)
def test_a_broken_document_does_not_validate(breakage, message):
    tree = copy.deepcopy(valid_tree())
    breakage(tree)
    errors = ler.validate_ler(tree)
    assert errors and any(message in e for e in errors)


def test_features_out_of_schema_order_do_not_validate():
    tree = copy.deepcopy(valid_tree())
    feature = first(tree, "//ler:Foeringsroer")
    feature.append(first(tree, "//ler:driftsstatus"))  # moved to the end
    assert any("driftsstatus" in e for e in ler.validate_ler(tree))


def test_a_file_that_is_not_xml_is_reported(tmp_path: Path):
    bad = tmp_path / "bad.gml"
    bad.write_text("<LerExport>", encoding="utf-8")
    assert ler.validate_ler(bad)[0].startswith("not well-formed XML")


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
    monkeypatch.setattr(ler, "validate_ler", lambda tree: ["line 3: made-up error"])
    with pytest.raises(ler.LerExportError, match="made-up error"):
        ler.export_ler(workspace, out, owner="Kommune")
    assert out.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ler.gml", "ws.gpkg"]


def test_the_shipped_schemas_are_package_data():
    folder = ler.SCHEMA_PATH.parent
    names = sorted(p.name for p in folder.glob("*.xsd"))
    assert names == ["gml-3.2-subset.xsd", "ler-2-foeringsroer.xsd", "ler-foeringsroer.xsd"]
    for path in folder.glob("*.xsd"):
        etree.XMLSchema(etree.parse(str(path)))  # each one is a valid schema


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
    assert tree.xpath("//ler:id/text()", namespaces=NS) == ["D1", "D2", "RAD-1/V2:1"]
    assert tree.xpath("//ler:etableringstidspunkt/text()", namespaces=NS)[-1] == "2021-05-31"
