"""Outputs nobody can abuse: formulas in CSV cells, colliding or long file names, a closed pipe."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from ductplanner.app.demo import tiny_layers
from ductplanner.app.workflows import coordination as co
from ductplanner.app.workflows.plan import plan_workspace
from ductplanner.core._format import slug, spreadsheet_safe
from ductplanner.io.workspace import write_layers

SEASON = dt.date(2020, 3, 1)  # before the tiny town's digs open
FORMULA = '=HYPERLINK("http://evil.example","klik")'


def _town(tmp_path: Path, owners: dict[str, str], contact: str = "") -> Path:
    layers = tiny_layers()
    digs = layers["digs"]
    digs["owner"] = digs["id"].map(owners).fillna(digs["owner"])
    if contact:
        digs["contact"] = contact
    path = tmp_path / "town.gpkg"
    write_layers(path, layers, synthetic=True)
    plan_workspace(path, "revised-2019", run=None)
    return path


def test_a_formula_in_a_utilitys_text_reaches_the_csv_as_text(tmp_path: Path) -> None:
    town = _town(tmp_path, {"NOV-1": "Novafos"}, contact=FORMULA)
    result = co.requests_command(town, "Novafos", as_of=SEASON)
    csv_file = next(Path(f) for f in result.summary["files"] if f.endswith(".csv"))
    with open(csv_file, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["contact"] == "'" + FORMULA for r in rows)
    cells = [v for r in rows for v in r.values()]
    assert not any(v.startswith(("=", "@", "+")) for v in cells)


def test_owners_differing_in_danish_letters_get_their_own_files(tmp_path: Path) -> None:
    town = _town(tmp_path, {"NOV-1": "Åby Vand", "RAD-1": "Øby Vand"})
    first = co.requests_command(town, "Åby Vand", as_of=SEASON, out=tmp_path / "out")
    second = co.requests_command(town, "Øby Vand", as_of=SEASON, out=tmp_path / "out")
    names = [Path(f).name for f in (*first.summary["files"], *second.summary["files"])]
    assert "requests-aaby-vand.html" in names and "requests-oeby-vand.html" in names
    assert len(set(names)) == 6


def test_a_very_long_owner_gives_a_short_file_name(tmp_path: Path) -> None:
    owner = "Vand " * 60
    town = _town(tmp_path, {"NOV-1": owner})
    result = co.requests_command(town, owner.strip(), as_of=SEASON)
    assert all(len(Path(f).name) < 100 for f in result.summary["files"])


@pytest.mark.parametrize(
    ("value", "safe"),
    [("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("+45 1234", "'+45 1234"), ("-2.5", "-2.5"),
     ("\tx", "'\tx"), ("Novafos", "Novafos"), ("-", "-")],
)  # fmt: skip
def test_spreadsheet_safe_follows_the_owasp_rule(value: str, safe: str) -> None:
    assert spreadsheet_safe(value) == safe


def test_names_that_differ_never_share_a_file_name() -> None:
    # owners are matched ignoring case and spacing, so "A B" and "a-b" are one owner
    names = ["A/B", "A B", "A.B", "Åby", "Øby", "<b>x</b>", "x", "", "Ø" * 200, "Ø" * 201]
    assert len({slug(n) for n in names}) == len(names)
    assert slug("A B") == slug("a-b") == slug("A_B") == "a-b"
    assert all(len(slug(n)) <= 60 for n in names)


def test_a_closed_pipe_ends_the_command_quietly(tiny_workspace: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "ductplanner", "coverage", str(tiny_workspace), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head` that has read enough before the command writes
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_a_danish_utility_gets_a_danish_letter_and_a_csv_excel_opens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ductplanner.cli import main

    town = _town(tmp_path, {"NOV-1": "Novafos"})
    argv = ["requests", str(town), "--owner", "Novafos", "--as-of", "2020-03-01", "--lang", "da"]
    assert main([*argv, "--out", str(tmp_path / "da")]) == 0
    letter = (tmp_path / "da" / "requests-novafos.html").read_text(encoding="utf-8")
    assert '<html lang="da">' in letter and "Anmodning om samgravning til Novafos" in letter
    assert "<td>vand</td>" in letter and "01-04-2020 – 30-06-2020" in letter
    raw = (tmp_path / "da" / "requests-novafos.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs for UTF-8
    header, first = raw.decode("utf-8-sig").splitlines()[:2]
    assert header.split(";")[:2] == ["dig_id", "owner"] and "," not in header
    row = dict(zip(header.split(";"), first.split(";"), strict=True))
    assert (row["metres"], row["cost_dkk"]) == ("100,0", "18000,0")  # decimal commas
    capsys.readouterr()
    assert main([*argv, "--csv", "plain", "--out", str(tmp_path / "plain")]) == 0
    plain = (tmp_path / "plain" / "requests-novafos.csv").read_bytes()
    assert not plain.startswith(b"\xef\xbb\xbf") and plain.decode().startswith("dig_id,owner,")


def test_the_letter_shows_the_utilitys_own_word_beside_the_normalised_purpose(
    tmp_path: Path,
) -> None:
    import geopandas as gpd

    from ductplanner.io.importer import load_file

    layers = tiny_layers()
    digs = layers["digs"]
    plan = gpd.GeoDataFrame(
        {
            "sagsnr": digs["id"],
            "ledningsejer": ["Novafos", "Novafos", "Ballerup Kommune"],
            "formål": ["Spildevand", "Kloakfornyelse", "Fiber"],
            "startdato": digs["start"].dt.strftime("%d-%m-%Y"),
            "slutdato": digs["end"].dt.strftime("%d-%m-%Y"),
        },
        geometry=digs.geometry,
        crs=digs.crs,
    )
    plan.to_file(tmp_path / "graveplan.gpkg")
    loaded = load_file(tmp_path / "graveplan.gpkg", "digs", mapping="graveplan")
    assert loaded.errors == []
    assert loaded.frame["purpose"].tolist() == ["wastewater", "wastewater", "fibre"]
    assert loaded.frame["purpose_text"].tolist() == ["Spildevand", "Kloakfornyelse", "Fiber"]
    layers["digs"] = loaded.frame
    town = tmp_path / "town.gpkg"
    write_layers(town, layers, synthetic=True)
    plan_workspace(town, "revised-2019", run=None)
    english = co.requests_command(town, "Novafos", as_of=SEASON, out=tmp_path / "en")
    letter = next(Path(f) for f in english.summary["files"] if f.endswith(".html")).read_text()
    assert "<td>Spildevand (wastewater)</td>" in letter
    danish = co.requests_command(town, "Novafos", as_of=SEASON, out=tmp_path / "da", lang="da")
    letter = next(Path(f) for f in danish.summary["files"] if f.endswith(".html")).read_text()
    assert "<td>Spildevand</td>" in letter  # the same word twice is said once
    csv_file = next(Path(f) for f in danish.summary["files"] if f.endswith(".csv"))
    header = csv_file.read_text(encoding="utf-8-sig").splitlines()[0].split(";")
    assert header[:4] == ["dig_id", "owner", "purpose", "purpose_text"]
