"""The portal: who sees what, answers that reach the decision log, and nothing else.

Django is configured once per test process (``configure``); each test points
it at its own workspace (GeoPackage, then PostGIS) and makes its own
accounts in the one accounts database.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM, workspace_state

from ductplanner.app.workflows.coordination import log_decision, read_decisions
from ductplanner.cli import main
from ductplanner.core._errors import InputError

PASSWORD = "a-long-test-passphrase"
FAST = ["django.contrib.auth.hashers.MD5PasswordHasher"]
"""Django's advice for tests that log in often: the real hasher (PBKDF2) is tested on its own."""
_names = itertools.count()


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Django configured for the tests' portal (an accounts file of the session)."""
    from ductplanner.app.portal.config import configure

    # Playwright's sync API keeps an event loop in this thread once a browser test has run;
    # Django would then take the test client's plain calls for async ones (Django's own switch).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    folder = tmp_path_factory.mktemp("portal")
    configure(
        folder / "first.gpkg",
        accounts=folder / "accounts.sqlite3",
        secret_key="test-only-key-" + "x" * 40,
        hosts=("testserver",),
        https=False,
    )


@pytest.fixture
def requested(tiny_workspace: Any, portal: None) -> Iterator[Any]:
    """The tiny town with NOV-1 (Novafos) and RAD-1 (Radius) requested, served by the portal."""
    from django.test import override_settings

    log_decision(tiny_workspace, "NOV-1", "proposed", date="2020-01-10")
    log_decision(tiny_workspace, "RAD-1", "proposed", date="2020-01-11")
    with override_settings(DUCTPLANNER_WORKSPACE=str(tiny_workspace), PASSWORD_HASHERS=FAST):
        yield tiny_workspace


@pytest.fixture
def requested_file(tiny_gpkg: Path, portal: None) -> Iterator[Path]:
    """As ``requested``, on a GeoPackage only: for rules of the portal, not of the storage."""
    from django.test import override_settings

    log_decision(tiny_gpkg, "NOV-1", "proposed", date="2020-01-10")
    log_decision(tiny_gpkg, "RAD-1", "proposed", date="2020-01-11")
    with override_settings(DUCTPLANNER_WORKSPACE=str(tiny_gpkg), PASSWORD_HASHERS=FAST):
        yield tiny_gpkg


def account(role: str, owner: str = "") -> str:
    """Make an account of ``role`` with a fresh name; return the name (password PASSWORD)."""
    from ductplanner.app.portal.accounts import add_account

    name = f"{role}{next(_names)}"
    add_account(name, PASSWORD, role, owner)
    return name


def client_for(role: str, owner: str = "", *, csrf: bool = False) -> Any:
    from django.test import Client

    client = Client(enforce_csrf_checks=csrf)
    assert client.login(username=account(role, owner), password=PASSWORD)
    return client


def statuses(ws: Any) -> dict[str, str]:
    log = read_decisions(ws)
    return log.groupby("dig_id")["status"].last().to_dict()


# --- who reaches which page ---------------------------------------------------------------------


@pytest.mark.parametrize("page", ["/requests/", "/log/"])
def test_an_anonymous_visitor_is_sent_to_log_in(requested, page) -> None:
    from django.test import Client

    response = Client().get(page)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_anonymous_answer_is_not_logged(requested) -> None:
    from django.test import Client

    before = workspace_state(requested)
    response = Client().post("/requests/answer/", {"dig": "NOV-1", "answer": "agreed"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert workspace_state(requested) == before


@pytest.mark.parametrize(
    ("role", "owner", "page", "code"),
    [
        ("committee", "", "/requests/", 403),
        ("committee", "", "/log/", 403),
        ("utility", "Novafos", "/log/", 403),
        ("utility", "Novafos", "/requests/", 200),
        ("manager", "", "/requests/", 200),
        ("manager", "", "/log/", 200),
        ("committee", "", "/committee/", 200),
        ("manager", "", "/committee/", 200),
        ("utility", "Novafos", "/committee/", 403),
    ],
)
def test_each_role_reaches_only_its_pages(requested, role, owner, page, code) -> None:
    assert client_for(role, owner).get(page).status_code == code


def test_an_account_without_a_role_reaches_no_page(requested) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    get_user_model().objects.create_user("nobody-" + str(next(_names)), password=PASSWORD)
    client = Client()
    client.force_login(get_user_model().objects.latest("id"))
    assert client.get("/requests/").status_code == 403
    assert "has no role" in client.get("/").content.decode()


def test_a_utility_sees_only_its_own_digs_and_requests(requested) -> None:
    page = client_for("utility", "Novafos").get("/requests/").content.decode()
    assert 'data-dig="NOV-1"' in page and "RAD-1" not in page and "FIB-1" not in page
    everything = client_for("manager").get("/requests/").content.decode()
    assert 'data-dig="NOV-1"' in everything and 'data-dig="RAD-1"' in everything


# --- answers ------------------------------------------------------------------------------------


def test_a_utility_agrees_and_the_log_says_so_as_decide_would(requested) -> None:
    client = client_for("utility", "Novafos")
    response = client.post("/requests/answer/", {"dig": "NOV-1", "answer": "agreed"})
    assert response.status_code == 302
    assert statuses(requested) == {"NOV-1": "agreed", "RAD-1": "proposed"}
    assert "NOV-1: agreed" in client.get("/requests/").content.decode()


def test_a_utility_cannot_answer_another_utilitys_request(requested) -> None:
    before = workspace_state(requested)
    client = client_for("utility", "Novafos")
    for dig in ("RAD-1", "FIB-1", "NO-SUCH-DIG", "' OR 1=1 --"):
        response = client.post("/requests/answer/", {"dig": dig, "answer": "agreed"})
        assert response.status_code == 404, dig
    assert workspace_state(requested) == before


def test_an_answer_without_the_csrf_token_is_refused(requested) -> None:
    before = workspace_state(requested)
    client = client_for("utility", "Novafos", csrf=True)
    response = client.post("/requests/answer/", {"dig": "NOV-1", "answer": "agreed"})
    assert response.status_code == 403
    assert workspace_state(requested) == before


@pytest.mark.parametrize(
    ("role", "owner", "answer"),
    [
        ("manager", "", "laid"),
        ("manager", "", ""),
        ("manager", "", "agreed; DROP TABLE decisions"),
        ("utility", "Novafos", "proposed"),  # only the municipality asks
        ("utility", "Novafos", "laid"),
    ],
)
def test_only_the_answers_of_a_role_are_taken(requested, role, owner, answer) -> None:
    before = workspace_state(requested)
    client = client_for(role, owner)
    response = client.post("/requests/answer/", {"dig": "NOV-1", "answer": answer})
    assert response.status_code == 400
    assert workspace_state(requested) == before


def test_a_utility_proposes_another_window_and_the_manager_asks_again(requested) -> None:
    import datetime as dt

    year = dt.date.today().year + 1
    window = {"window_start": f"{year}-08-01", "window_end": f"{year}-09-15"}
    utility = client_for("utility", "Novafos")
    answer = {"dig": "NOV-1", "answer": "countered", **window}
    assert utility.post("/requests/answer/", answer).status_code == 302
    last = read_decisions(requested).iloc[-1]
    assert [last["status"], last["window_start"], last["window_end"]] == [
        "countered",
        *window.values(),
    ]
    manager = client_for("manager")
    page = manager.get("/requests/").content.decode()
    row = re.search(r'<tr data-dig="NOV-1">.*?</tr>', page, re.S)
    assert row and f"another window proposed ({year}-08-01 – {year}-09-15)" in row.group(0)
    assert 'value="proposed"' in row.group(0)  # ask again for this window
    assert (
        manager.post("/requests/answer/", {"dig": "NOV-1", "answer": "proposed"}).status_code == 302
    )
    assert (
        utility.post("/requests/answer/", {"dig": "NOV-1", "answer": "agreed"}).status_code == 302
    )
    history = read_decisions(requested)
    assert history[history["dig_id"] == "NOV-1"]["status"].tolist() == [
        "proposed", "countered", "proposed", "agreed",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("window", "says"),
    [
        ({}, "another window needs its start day"),
        ({"window_start": "2031-09-01", "window_end": "2031-08-01"}, "before it starts"),
        ({"window_start": "<b>x</b>", "window_end": "2031-08-01"}, "is not a date"),
    ],
)
def test_a_window_that_is_no_window_is_refused_and_said(requested, window, says) -> None:
    before = workspace_state(requested)
    client = client_for("utility", "Novafos")
    client.post("/requests/answer/", {"dig": "NOV-1", "answer": "countered", **window})
    assert workspace_state(requested) == before
    page = client.get("/requests/").content.decode()
    assert says in page and "<b>x</b>" not in page


def test_a_decline_needs_a_reason_and_the_page_says_so(requested) -> None:
    before = workspace_state(requested)
    client = client_for("utility", "Radius")
    client.post("/requests/answer/", {"dig": "RAD-1", "answer": "declined", "reason": " "})
    assert workspace_state(requested) == before
    assert "a declined request needs a reason" in client.get("/requests/").content.decode()


def test_a_hostile_reason_is_stored_as_given_and_shown_as_text(requested) -> None:
    reason = '<script>alert("x")</script>=cmd|"/c calc"!A1'
    client_for("utility", "Radius").post(
        "/requests/answer/", {"dig": "RAD-1", "answer": "declined", "reason": reason}
    )
    log = read_decisions(requested)
    assert log["reason"].iloc[-1] == reason
    page = client_for("manager").get("/log/").content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(&quot;x&quot;)" in page


def test_a_once_answered_request_offers_no_second_answer(requested) -> None:
    client = client_for("utility", "Novafos")
    client.post("/requests/answer/", {"dig": "NOV-1", "answer": "agreed"})
    page = client.get("/requests/").content.decode()
    row = re.search(r'<tr data-dig="NOV-1">.*?</tr>', page, re.S)
    assert row and 'value="agreed"' not in row.group(0) and 'value="declined"' not in row.group(0)


# --- accounts ------------------------------------------------------------------------------------


def test_a_weak_password_or_a_utility_without_owner_is_refused(portal) -> None:
    from ductplanner.app.portal.accounts import add_account

    with pytest.raises(InputError) as caught:
        add_account("weak", "12345678", "utility")
    messages = " ".join(p.message for p in caught.value.problems)
    assert "too short" in messages and "needs --owner" in messages


def test_passwords_are_stored_hashed_by_the_framework(portal) -> None:
    from django.contrib.auth import get_user_model

    name = account("manager")
    stored = get_user_model().objects.get(username=name).password
    assert PASSWORD not in stored and stored.startswith("pbkdf2_sha256$")


def test_the_account_command_takes_the_password_from_the_environment(
    tmp_path: Path, tiny_gpkg: Path
) -> None:
    accounts = tmp_path / "accounts.sqlite3"
    env = {**os.environ, "DUCTPLANNER_PASSWORD": PASSWORD}
    argv = [sys.executable, "-m", "ductplanner", "account", str(tiny_gpkg), "novafos"]
    argv += ["--role", "utility", "--owner", "Novafos", "--accounts", str(accounts)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "account novafos (utility: Novafos) saved" in done.stdout
    assert PASSWORD.encode() not in accounts.read_bytes()


def test_a_postgis_workspace_keeps_its_accounts_in_its_own_database(postgres: str) -> None:
    """Two processes (two portal servers, say) see the same accounts: the schema NAME_portal."""
    import psycopg

    from ductplanner.app.demo import tiny_layers
    from ductplanner.io.workspace import write_layers

    schema = f"accounts_{os.getpid()}_{next(_names)}"
    url = f"{postgres}{'&' if '?' in postgres else '?'}schema={schema}"
    write_layers(url, tiny_layers())
    env = {**os.environ, "DUCTPLANNER_PASSWORD": PASSWORD}
    for name, role in (("novafos", "utility"), ("manager", "manager")):
        argv = [sys.executable, "-m", "ductplanner", "account", url, name, "--role", role]
        argv += ["--owner", "Novafos"] if role == "utility" else []
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert f"schema={schema}_portal" in done.stdout and PASSWORD not in done.stdout
    with psycopg.connect(postgres) as conn:
        users = conn.execute(
            f"SELECT username, password FROM {schema}_portal.auth_user ORDER BY username"
        ).fetchall()
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
        conn.execute(f"DROP SCHEMA {schema}_portal CASCADE")
    assert [u for u, _ in users] == ["manager", "novafos"]
    assert all(p.startswith("pbkdf2_sha256$") for _, p in users)  # hashed by Django


def test_serve_refuses_a_missing_workspace(tmp_path: Path, capsys) -> None:
    assert main(["serve", str(tmp_path / "nope.gpkg")]) == 1
    assert "does not exist" in capsys.readouterr().err


# --- in a browser -------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(ws: Path, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """``ductplanner serve`` on ``ws``, as a process: its address and demo accounts."""
    import time
    import urllib.request

    port = _free_port()
    argv = [sys.executable, "-m", "ductplanner", "serve", str(ws), "--port", str(port)]
    argv += ["--demo-accounts", "--accounts", str(tmp_path / "accounts.sqlite3")]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines = [process.stdout.readline()]  # the address, one line per account, then "serving"
    while lines[-1] and not lines[-1].startswith("serving"):
        lines.append(process.stdout.readline())
    passwords = dict(line.split() for line in lines if line.startswith("  "))
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", passwords
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def served(tiny_gpkg: Path, tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    """The portal on the tiny town, planned from 2020, NOV-1 requested, RAD-1 in conflict."""
    assert main(["plan", str(tiny_gpkg), "--scenario", "revised-2019", "--from", "2020"]) == 0
    write_conflict(tiny_gpkg)
    log_decision(tiny_gpkg, "NOV-1", "proposed", date="2020-01-10")
    with serving(tiny_gpkg, tmp_path) as (url, passwords):
        yield url, passwords, tiny_gpkg


@pytest.mark.browser
def test_a_utility_logs_in_and_answers_in_chromium(browser, served) -> None:
    if not CHROMIUM.exists():
        pytest.skip("no Chromium")
    url, passwords, ws = served
    assert set(passwords) >= {"manager", "committee", "novafos", "radius"}
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{url}/requests/")
    assert "/login/" in page.url
    page.fill("input[name=username]", "novafos")
    page.fill("input[name=password]", passwords["novafos"])
    page.click("main button[type=submit]")
    row = page.locator('tr[data-dig="NOV-1"]')
    assert row.count() == 1 and page.locator('tr[data-dig="RAD-1"]').count() == 0
    folder = ws.parent
    bad = folder / "bad.csv"
    bad.write_text("id,owner,start,end,wkt\nNOV-9,Radius,2031-05-01,2031-06-01,POINT (1\n")
    page.set_input_files("#upload input[name=file]", str(bad))
    page.click("#upload button[type=submit]")
    assert "bad.csv was not stored" in page.inner_text("h1")
    assert page.locator("#problems tbody tr").count() >= 2  # every problem, by feature and field
    page.go_back()
    good = plan_file(folder, "spring.geojson", ["NOV-7"])
    page.set_input_files("#upload input[name=file]", str(good))
    page.click("#upload button[type=submit]")
    assert "spring.geojson: 1 dig added" in page.inner_text(".messages")
    row = page.locator('tr[data-dig="NOV-1"]')
    row.locator("input[name=reason]").fill('<img src=x onerror="alert(1)">')
    row.locator("button[value=declined]").click()
    assert "NOV-1: declined" in page.inner_text(".messages")
    assert '<img src=x onerror="alert(1)">' in page.inner_text('tr[data-dig="NOV-1"]')
    assert dialogs == []  # the hostile reason is text, not markup
    assert statuses(ws) == {"NOV-1": "declined"}
    assert "RAD-1" in page.inner_text("#conflicts")  # the other party's dig in the same street
    page.click("header button:has-text('Log out')")
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", passwords["manager"])
    page.click("main button[type=submit]")
    assert "2020" in page.inner_text("#plan") and "Novafos" in page.inner_text("#plan")
    page.click("a:has-text('The whole decision log')")
    assert '<img src=x onerror="alert(1)">' in page.inner_text("main")
    assert dialogs == []
    page.close()


# --- uploads ------------------------------------------------------------------------------------


def plan_file(
    folder: Path, name: str, ids: list[str], owner: str = "Novafos", **extra: Any
) -> Path:
    import geopandas as gpd
    from shapely import LineString

    frame = gpd.GeoDataFrame(
        {"id": ids, "owner": owner, "start": "2031-04-01", "end": "2031-06-30", **extra},
        geometry=[
            LineString([(710_000 + 9 * i, 6_180_010), (710_005 + 9 * i, 6_180_010)])
            for i in range(len(ids))
        ],
        crs="EPSG:25832",
    )
    path = folder / name
    frame.to_file(path)
    return path


def send(client: Any, path: Path, name: str | None = None) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name or path.name, path.read_bytes())
    return client.post("/digs/upload/", {"file": upload})


def test_a_good_plan_is_added_and_shown(requested, tmp_path: Path) -> None:
    client = client_for("utility", "Novafos")
    response = send(client, plan_file(tmp_path, "spring.geojson", ["NOV-7", "NOV-8"]))
    assert response.status_code == 302
    digs = read_layer_ids(requested)
    assert {"NOV-7", "NOV-8"} <= digs and len(digs) == 5
    page = client.get("/requests/").content.decode()
    assert "spring.geojson: 2 digs added" in page and "NOV-8" in page


def read_layer_ids(ws: Any) -> set[str]:
    from ductplanner.io.workspace import read_layer

    return set(read_layer(ws, "digs")["id"].astype(str))


def test_a_bad_plan_lists_every_problem_and_stores_nothing(requested, tmp_path: Path) -> None:
    before = workspace_state(requested)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,owner,start,end,wkt\n"
        'NOV-9,Novafos,2031-05-01,2031-04-01,"LINESTRING (710000 6180000, 710010 6180000)"\n'
        'NOV-10,Novafos,someday,2031-04-01,"LINESTRING (710000 6180000, 710010 6180000)"\n',
        encoding="utf-8",
    )
    response = send(client_for("utility", "Novafos"), bad)
    page = response.content.decode()
    assert response.status_code == 400 and "bad.csv was not stored" in page
    assert "NOV-9" in page and "NOV-10" in page and "start" in page
    assert workspace_state(requested) == before


def test_a_utility_cannot_upload_another_utilitys_digs(requested, tmp_path: Path) -> None:
    before = workspace_state(requested)
    path = plan_file(tmp_path, "theirs.geojson", ["RAD-7"], owner="Radius")
    response = send(client_for("utility", "Novafos"), path)
    page = response.content.decode()
    assert response.status_code == 400 and "this account sends features of" in page
    assert workspace_state(requested) == before


@pytest.mark.parametrize(
    ("name", "words"),
    [("plan.exe", "not .exe"), ("<script>alert(1)</script>.kml", "not .kml")],
)
def test_a_file_of_another_kind_is_refused_and_its_name_is_text(
    requested, tmp_path: Path, name: str, words: str
) -> None:
    path = plan_file(tmp_path, "p.geojson", ["NOV-7"])
    page = send(client_for("utility", "Novafos"), path, name=name).content.decode()
    assert words in page and "<script>alert(1)" not in page


def test_a_plan_with_too_many_digs_is_refused(requested, tmp_path: Path, monkeypatch) -> None:
    from ductplanner.app.portal import views

    monkeypatch.setattr(views, "UPLOAD_MAX_FEATURES", 2)
    path = plan_file(tmp_path, "many.geojson", ["NOV-7", "NOV-8", "NOV-9"])
    page = send(client_for("utility", "Novafos"), path).content.decode()
    assert "holds 3 features, more than the 2 an upload may" in page


def _zipped(path: Path, members: dict[str, bytes]) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return path


@pytest.mark.parametrize(
    ("members", "words"),
    [
        ({"digs.shp": b"\0" * (40 * 1024 * 1024)}, "would unpack to"),
        ({"../../etc/digs.shp": b"x", "digs.dbf": b"y"}, "names paths outside itself"),
        ({f"f{i}.txt": b"x" for i in range(100)}, "holds 100 files"),
    ],
)
def test_a_hostile_zip_is_refused_unread(requested, tmp_path: Path, members, words) -> None:
    before = workspace_state(requested)
    page = send(client_for("utility", "Novafos"), _zipped(tmp_path / "p.zip", members))
    assert page.status_code == 400 and words in page.content.decode()
    assert workspace_state(requested) == before


def test_a_zipped_shapefile_is_read(requested, tmp_path: Path) -> None:
    import geopandas as gpd

    shp = plan_file(tmp_path, "spring.geojson", ["NOV-7"])
    gpd.read_file(shp).to_file(tmp_path / "spring.shp")
    members = {p.name: p.read_bytes() for p in tmp_path.glob("spring.*") if p.suffix != ".geojson"}
    response = send(client_for("utility", "Novafos"), _zipped(tmp_path / "spring.zip", members))
    assert response.status_code == 302 and "NOV-7" in read_layer_ids(requested)


def write_conflict(ws: Any) -> None:
    """Write a conflicts layer: Novafos's NOV-1 and Radius's RAD-1 dig one stretch in turn."""
    import geopandas as gpd
    from shapely import LineString

    from ductplanner.io.workspace import write_layers

    conflict = gpd.GeoDataFrame(
        {
            "edge_id": ["e1"], "dig_a": ["NOV-1"], "owner_a": ["Novafos"],
            "start_a": ["2020-04-01"], "dig_b": ["RAD-1"], "owner_b": ["Radius"],
            "start_b": ["2021-03-01"], "gap_days": [334], "metres": [120.0],
        },
        geometry=[LineString([(710_000, 6_180_000), (710_120, 6_180_000)])],
        crs="EPSG:25832",
    )  # fmt: skip
    write_layers(ws, {"conflicts": conflict})


def test_a_conflict_is_seen_by_both_parties_and_nobody_else(requested) -> None:
    write_conflict(requested)
    for owner, sees in (("Novafos", True), ("Radius", True), ("Ballerup Kommune", False)):
        page = client_for("utility", owner).get("/requests/").content.decode()
        table = re.search(r'<table id="conflicts">.*?</table>', page, re.S)
        assert table is not None and ("RAD-1" in table.group(0)) is sees, owner


def test_a_utility_map_draws_its_own_digs_inline_and_only_in_the_portal(requested) -> None:
    response = client_for("utility", "Novafos").get("/map/")
    assert response.status_code == 200 and response["X-Frame-Options"] == "SAMEORIGIN"
    html = response.content.decode()
    assert "NOV-1" in html and "RAD-1" not in html  # another utility's dig is not drawn
    assert "leaflet" in html.lower()
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', html)  # no CDN
    page = client_for("utility", "Novafos").get("/requests/")
    assert page["X-Frame-Options"] == "DENY" and 'id="map" src="/map/"' in page.content.decode()


# --- the manager sends requests -----------------------------------------------------------------


def test_the_manager_sends_requests_that_the_utility_then_sees(new_workspace, portal) -> None:
    import datetime as dt

    from django.test import override_settings

    from ductplanner.app.demo import tiny_layers
    from ductplanner.io.workspace import write_layers

    layers = tiny_layers()
    year = dt.date.today().year
    layers["digs"]["start"], layers["digs"]["end"] = f"{year}-01-15", f"{year + 1}-12-31"
    ws = new_workspace("season")
    write_layers(ws, layers)
    assert main(["plan", str(ws), "--scenario", "revised-2019", "--quiet"]) == 0
    with override_settings(DUCTPLANNER_WORKSPACE=str(ws), PASSWORD_HASHERS=FAST):
        manager = client_for("manager")
        assert manager.post("/requests/send/", {"owner": "Nobody"}).status_code == 400
        utility = client_for("utility", "Novafos")
        assert utility.post("/requests/send/", {"owner": "Novafos"}).status_code == 403
        assert manager.post("/requests/send/", {"owner": "Novafos"}).status_code == 302
        assert statuses(ws) == {"NOV-1": "proposed"}
        page = utility.get("/requests/").content.decode()
        row = re.search(r'<tr data-dig="NOV-1">.*?</tr>', page, re.S)
        assert row and "<form" in row.group(0)


def test_the_committee_sees_coverage_and_the_forecast_bands(requested) -> None:
    client = client_for("committee")
    assert "Coverage has not been computed yet" in client.get("/committee/").content.decode()
    assert main(["coverage", str(requested), "--quiet"]) == 0
    argv = ["simulate", str(requested), "--scenario", "revised-2019", "--runs", "20", "--quiet"]
    assert main(argv) == 0
    page = client.get("/committee/").content.decode()
    districts = re.search(r'<table id="districts">.*?</table>', page, re.S)
    forecast = re.search(r'<table id="forecast">.*?</table>', page, re.S)
    assert districts and districts.group(0).count("<tr>") == 3  # a header and two districts
    assert forecast and "Revised" in forecast.group(0) and " %</td>" in forecast.group(0)
    assert client.get("/").status_code == 302  # the committee's front page is this one


# --- a dig reported done ------------------------------------------------------------------------


def as_built(folder: Path) -> Path:
    """Skolevej laid from x 0 to 150, as the contractor drew it (in longitude/latitude)."""
    import geopandas as gpd
    from shapely import LineString

    x0, y0 = 710_000, 6_180_100
    frame = gpd.GeoDataFrame(
        {"note": ["laid"]}, geometry=[LineString([(x0, y0 + 3), (x0 + 150, y0 + 3)])],
        crs="EPSG:25832",
    )  # fmt: skip
    path = folder / "as-built.geojson"
    frame.to_crs("EPSG:4326").to_file(path)
    return path


def test_a_utility_reports_its_agreed_dig_done_with_the_as_built(requested, tmp_path) -> None:
    from ductplanner.io.workspace import read_layer

    client = client_for("utility", "Novafos")
    client.post("/requests/answer/", {"dig": "NOV-1", "answer": "agreed"})
    page = client.get("/requests/").content.decode()
    assert 'action="/digs/done/"' in re.search(r'<tr data-dig="NOV-1">.*?</tr>', page, re.S)[0]
    response = send_done(client, "NOV-1", as_built(tmp_path))
    assert response.status_code == 302
    assert statuses(requested)["NOV-1"] == "laid"
    ducts = read_layer(requested, "ducts")
    assert ducts["dig_id"].eq("NOV-1").sum() >= 1
    assert (
        "NOV-1: recorded as done, 150 m of duct laid" in client.get("/requests/").content.decode()
    )


def send_done(client: Any, dig: str, path: Path) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(path.name, path.read_bytes())
    return client.post("/digs/done/", {"dig": dig, "file": upload})


def test_a_utility_cannot_report_another_utilitys_dig_done(requested, tmp_path) -> None:
    before = workspace_state(requested)
    response = send_done(client_for("utility", "Novafos"), "RAD-1", as_built(tmp_path))
    assert response.status_code == 404 and workspace_state(requested) == before


# --- Danish ------------------------------------------------------------------------------------


def test_a_danish_browser_gets_danish_pages_and_messages(requested) -> None:
    client = client_for("utility", "Novafos")
    page = client.get("/requests/", HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert '<html lang="da">' in page and "Anmodninger til Novafos" in page and "Sig ja" in page
    client.post(
        "/requests/answer/", {"dig": "NOV-1", "answer": "agreed"}, HTTP_ACCEPT_LANGUAGE="da"
    )
    assert "NOV-1: sagt ja" in client.get("/requests/", HTTP_ACCEPT_LANGUAGE="da").content.decode()


def test_the_language_button_switches_to_danish_and_back(requested) -> None:
    client = client_for("committee")
    client.post("/i18n/setlang/", {"language": "da", "next": "/committee/"})
    assert "Dækning og prognose" in client.get("/committee/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/committee/"})
    assert "Coverage and forecast" in client.get("/committee/").content.decode()


def test_every_danish_text_is_translated_and_compiled() -> None:
    """The .po has a Danish text for every message, and the .mo the pages use holds the same."""
    import ast
    import gettext

    folder = Path(__file__).parents[1] / "ductplanner/app/portal/locale/da/LC_MESSAGES"
    po = (folder / "django.po").read_text(encoding="utf-8")
    compiled = gettext.GNUTranslations((folder / "django.mo").open("rb"))
    pairs = re.findall(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', po, re.M)
    assert len(pairs) > 50

    def text(lines: str) -> str:
        return "".join(ast.literal_eval(x) for x in re.findall(r'".*"', lines))

    catalog = {text(msgid) for msgid, _ in pairs}
    for msgid, msgstr in pairs:
        source, danish = text(msgid), text(msgstr)
        if source:
            assert danish, f"no Danish for {source!r}"
            assert compiled.gettext(source) == danish, f"compile the .po again: {source!r}"
    templates = Path(__file__).parents[1] / "ductplanner/app/portal/templates/portal"
    for page in templates.glob("*.html"):
        for message in re.findall(r'{% translate "([^"]+)" %}', page.read_text(encoding="utf-8")):
            assert message in catalog, f"{page.name}: {message!r} is not in the .po (makemessages)"


# --- every endpoint has a stated audience -------------------------------------------------------

ACCESS = {
    "": "anyone",
    "login/": "anyone",
    "logout/": "anyone",
    "requests/": "utility manager",
    "requests/answer/": "utility manager",
    "digs/upload/": "utility manager",
    "digs/done/": "utility manager",
    "requests/send/": "manager",
    "log/": "manager",
    "committee/": "committee manager",
    "map/": "utility manager committee",
    "interest/": "manager",
    "address/": "anyone",
    "address/<str:address_id>/": "anyone",
    "i18n/": "anyone",
}
"""Who may call each of the portal's addresses; the tests below hold every one to it."""


def test_every_endpoint_is_in_the_access_table(portal) -> None:
    from ductplanner.app.portal.urls import urlpatterns

    assert {str(p.pattern) for p in urlpatterns} == set(ACCESS)


@pytest.mark.parametrize(
    ("page", "audience"),
    [(p, a) for p, a in ACCESS.items() if a != "anyone" and "<" not in p],
)
@pytest.mark.parametrize(
    ("role", "owner"), [("utility", "Novafos"), ("manager", ""), ("committee", "")]
)
def test_each_role_reaches_exactly_the_endpoints_of_its_audience(
    requested_file, page, audience, role, owner
) -> None:
    from django.test import Client

    client = client_for(role, owner)
    call = (
        client.get
        if page.endswith(("requests/", "log/", "committee/", "interest/", "map/"))
        else client.post
    )
    code = call("/" + page).status_code
    if role in audience.split():
        assert code != 403, (role, page)
    else:
        assert code == 403, (role, page)
    anonymous = Client().get("/" + page) if call == client.get else Client().post("/" + page)
    assert anonymous.status_code in (302, 405) and "/login/" in anonymous.get("Location", "/login/")


# --- citizens -----------------------------------------------------------------------------------

_AS_OF = "2026-06-01"


@pytest.fixture(scope="session")
def citizen_town(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny town with coverage and a forecast from mid-2026 (made once; tests copy it)."""
    from ductplanner.app.demo import tiny_layers
    from ductplanner.io.workspace import write_layers

    path = tmp_path_factory.mktemp("citizens") / "tiny.gpkg"
    write_layers(path, tiny_layers(), synthetic=True)
    assert main(["coverage", str(path), "--quiet"]) == 0
    argv = ["simulate", str(path), "--scenario", "revised-2019", "--runs", "100"]
    assert main([*argv, "--seed", "1", "--as-of", _AS_OF, "--quiet"]) == 0
    return path


@pytest.fixture
def citizens(citizen_town: Path, portal: None, tmp_path: Path, monkeypatch) -> Iterator[Path]:
    """A copy of the citizens' town, served; today mid-2026; rate limits fresh.

    The citizen pages read and write through the same storage layer on both
    backends (the registrations' concurrency is tested on both below); their
    own rules are tested on a GeoPackage. The rate limits' clock stands
    still, so no window ends in the middle of a test.
    """
    import calendar
    import datetime as dt
    import shutil
    import types

    import django_ratelimit.core
    from django.core.cache import cache
    from django.test import override_settings

    ws = Path(shutil.copy(citizen_town, tmp_path / "tiny.gpkg"))
    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: 1.78e9))
    day = dt.date.fromisoformat(_AS_OF)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(calendar.timegm(day.timetuple())))
    cache.clear()
    with override_settings(DUCTPLANNER_WORKSPACE=str(ws), PASSWORD_HASHERS=FAST):
        yield ws
    cache.clear()


def public() -> Any:
    from django.test import Client

    return Client()


def test_a_citizen_finds_an_address_by_street_and_number(citizens) -> None:
    client = public()
    response = client.get("/address/", {"q": "skolevej 4"})
    assert response.status_code == 302 and response["Location"] == "/address/A05/"
    page = client.get("/address/", {"q": "Parkvej"}).content.decode()
    found = re.search(r'<ul id="found">.*?</ul>', page, re.S)
    assert found and found.group(0).count("<li>") == 3  # Parkvej 2, 11 and 12
    assert 'id="none"' in client.get("/address/", {"q": "Nowhere 99"}).content.decode()


def test_a_hostile_search_is_shown_as_text(citizens) -> None:
    hostile = '<script>alert("x")</script>=HYPERLINK("http://evil")'
    page = public().get("/address/", {"q": hostile}).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_a_covered_address_says_so(citizens) -> None:
    page = public().get("/address/A01/").content.decode()
    assert "a broadband duct runs in your street today" in page
    assert 'id="interest"' not in page  # nothing to ask for


def test_an_address_beyond_the_drop_is_told_why(citizens) -> None:
    page = public().get("/address/A16/").content.decode()
    assert "too far from the street" in page and 'id="chances"' not in page


def test_an_uncovered_address_gets_the_chance_by_year_from_this_year(citizens) -> None:
    from ductplanner.app.workflows.citizens import address_outlook_of

    outlook = address_outlook_of(citizens, "A04", scenario="revised-2019")
    page = public().get("/address/A04/").content.decode()
    table = re.search(r'<table id="chances">.*?</table>', page, re.S)
    assert table is not None
    years = [int(y) for y in re.findall(r"<tr><td>(\d{4})</td>", table.group(0))]
    assert years[0] == 2026 and years == [y for y, _ in outlook.chances if y >= 2026]
    chances = dict(outlook.chances)
    assert chances[2026] < chances[years[-1]]  # a chance by year only grows
    likely = outlook.year_likely()
    assert likely is not None and f"more likely than not by the end of {likely}" in page


def test_the_citizen_page_speaks_plain_danish(citizens) -> None:
    page = public().get("/address/A04/", HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert "Ikke endnu: der ligger ikke et tomrør i din gade i dag." in page
    assert "Chancen for, at der ligger et i din gade inden udgangen af 2026" in page
    assert "omkring" in page or "under 5 %" in page


@pytest.mark.parametrize("address", ["A99", "../../etc/passwd", "x" * 300, "A01' OR '1'='1"])
def test_an_unknown_address_is_not_found(citizens, address) -> None:
    assert public().get(f"/address/{address}/").status_code == 404


def test_interest_is_registered_with_the_address_and_nothing_personal(citizens) -> None:
    from ductplanner.app.portal.models import InterestContact
    from ductplanner.app.workflows.citizens import read_interest

    response = public().post("/address/A04/", {})
    assert response.status_code == 200 and "reference I000001" in response.content.decode()
    table = read_interest(citizens)
    assert table.to_dict("records") == [
        {"id": "I000001", "address_id": "A04", "district": "Vest", "date": _AS_OF}
    ]
    assert list(table.columns) == ["id", "address_id", "district", "date"]
    assert not InterestContact.objects.filter(registration="I000001", address_id="A04").exists()


def test_contact_details_need_consent_and_are_kept_outside_the_workspace(citizens) -> None:
    from ductplanner.app.portal.models import InterestContact

    before = workspace_state(citizens)
    refused = public().post("/address/A05/", {"email": "ane@example.dk"})
    assert refused.status_code == 400 and "need your consent" in refused.content.decode()
    assert workspace_state(citizens) == before
    hostile = '<img src=x onerror="alert(1)">'
    kept = public().post(
        "/address/A05/", {"name": hostile, "email": "ane@example.dk", "consent": "on"}
    )
    assert kept.status_code == 200
    contact = InterestContact.objects.filter(address_id="A05").latest("id")
    assert contact.name == hostile and contact.email == "ane@example.dk"
    assert contact.registration.startswith("I0")
    assert "keeps the name and e-mail" in contact.consent
    assert b"ane@example.dk" not in _workspace_bytes(citizens)


def _workspace_bytes(ws: Any) -> bytes:
    from ductplanner.io.workspace import list_layers, read_table

    return b"".join(read_table(ws, n).to_csv().encode() for n in list_layers(ws))


def test_a_refused_write_keeps_no_contact_and_changes_nothing(citizens, fail_writing) -> None:
    from ductplanner.app.portal.models import InterestContact

    before = workspace_state(citizens)
    fail_writing("interest")
    response = public().post(
        "/address/A12/", {"name": "Bo", "email": "bo@example.dk", "consent": "on"}
    )
    assert response.status_code == 400 and "could not be registered" in response.content.decode()
    assert workspace_state(citizens) == before
    assert not InterestContact.objects.filter(address_id="A12").exists()


def test_registrations_at_once_are_all_kept(tiny_workspace) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from ductplanner.app.workflows.citizens import read_interest, register_interest

    ids = ["A02", "A03", "A04", "A05", "A06", "A07", "A08", "A09"]
    with ThreadPoolExecutor(4) as pool:
        rows = list(pool.map(lambda a: register_interest(tiny_workspace, a), ids))
    table = read_interest(tiny_workspace)
    assert sorted(table["address_id"]) == sorted(ids) and len(set(table["id"])) == len(ids)
    assert {r["id"] for r in rows} == set(table["id"])


def test_the_manager_sees_interest_per_district(citizens) -> None:
    for address in ("A04", "A04", "A05", "A12"):
        assert public().post(f"/address/{address}/", {}).status_code == 200
    page = client_for("manager").get("/interest/").content.decode()
    table = re.search(r'<table id="interest">.*?</table>', page, re.S)
    assert table is not None
    rows = re.findall(r"<tr><td>(.*?)</td><td>(\d+)</td><td>(\d+)</td>", table.group(0))
    assert rows == [("Vest", "2", "8"), ("Øst", "1", "2")]  # A04 counted once: 2 + 6 households


def test_lookups_and_registrations_are_rate_limited(citizens) -> None:
    from ductplanner.app.portal.limits import INTEREST_RATE, LOOKUP_RATE

    client = public()
    per_minute = int(LOOKUP_RATE.split("/")[0])
    codes = [client.get("/address/", {"q": "Skolevej"}).status_code for _ in range(per_minute)]
    assert codes == [200] * per_minute  # searches and address pages count together
    refused = client.get("/address/A04/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "too often" in refused.content.decode()
    other = public().get("/address/", {"q": "Skolevej"}, REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 200  # another client is not held back
    per_hour = int(INTEREST_RATE.split("/")[0])
    neighbour = {"REMOTE_ADDR": "192.0.2.8"}
    codes = [client.post("/address/A04/", {}, **neighbour).status_code for _ in range(per_hour + 1)]
    assert codes == [200] * per_hour + [429]


def test_guessing_a_password_is_rate_limited(citizens) -> None:
    from ductplanner.app.portal.limits import LOGIN_RATE_PER_NAME

    name = account("utility", "Novafos")
    client = public()
    tries = int(LOGIN_RATE_PER_NAME.split("/")[0])
    codes = [
        client.post("/login/", {"username": name, "password": f"guess-{i}"}).status_code
        for i in range(tries + 1)
    ]
    assert codes == [200] * tries + [429]
    right = client.post("/login/", {"username": name, "password": PASSWORD})
    assert right.status_code == 429  # not even the right password, until the window passes


@pytest.mark.browser
def test_a_citizen_looks_up_an_address_and_registers_interest_in_chromium(
    browser, tiny_gpkg: Path, tmp_path: Path
) -> None:
    import datetime as dt

    from ductplanner.app.workflows.citizens import read_interest

    if not CHROMIUM.exists():
        pytest.skip("no Chromium")
    assert main(["coverage", str(tiny_gpkg), "--quiet"]) == 0
    today = dt.date.today().isoformat()
    argv = ["simulate", str(tiny_gpkg), "--scenario", "revised-2019", "--runs", "50"]
    assert main([*argv, "--as-of", today, "--quiet"]) == 0
    with serving(tiny_gpkg, tmp_path) as (url, _):
        page = browser.new_page(locale="da-DK")
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{url}/")
        page.click("#citizen-link a")
        page.fill("#search input[name=q]", "skolevej")
        page.click("#search button[type=submit]")
        assert page.locator("#found li").count() == 3
        page.click("#found a:has-text('Skolevej 4')")
        assert page.inner_text("#address") == "Skolevej 4, 2750 Ballerup"
        assert "Ikke endnu" in page.inner_text("#answer")
        years = page.locator("#chances tbody tr td:first-child").all_inner_texts()
        assert years and int(years[0]) == dt.date.today().year
        page.fill("#interest input[name=name]", '<img src=x onerror="alert(1)">')
        page.fill("#interest input[name=email]", "ane@example.dk")
        page.click("#interest button[type=submit]")
        assert "samtykke" in page.inner_text("#interest")  # contact without consent: refused
        page.check("#interest input[name=consent]")
        page.click("#interest button[type=submit]")
        assert "er registreret (reference I000001)" in page.inner_text("#thanks")
        assert dialogs == []
        page.close()
    assert read_interest(tiny_gpkg)["address_id"].tolist() == ["A05"]
