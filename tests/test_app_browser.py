"""The Streamlit app in Debian's Chromium, driven by Playwright, against `streamlit run` on a free port:
import through the upload preview, accept a machine suggestion with the keyboard, reload, see it kept;
on a team server, log in, reload, stay logged in, log out."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from qualcode.refi.codebook_files import read_codebook_file
from qualcode.codebook.codes import load_codebook
from qualcode.ingest.importer import ImportOptions, import_files
from qualcode.team.members import add_member
from qualcode.store.model import Coding, Document
from qualcode.coding.review import load_review
from qualcode.store import Store, get_project
from qualcode.autocode.suggest import run_autocode
from tests.review_fixture import DATA, DOCUMENT, HOSTILE, TRANSCRIPT
from tests.review_fixture import PORTAL as PORTAL_TEXT

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("QUALCODE_SCREENSHOTS", "/tmp"))
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Store:
    """One focus group with the test codebook and the auto-coder's suggestions (computed here, once)."""
    folder = tmp_path_factory.mktemp("app")
    (folder / DOCUMENT).write_text(TRANSCRIPT, encoding="utf-8")
    store = Store(str(folder / "app.db"))
    import_files(store, [folder / DOCUMENT], ImportOptions(unit="turn"))
    book, warnings = read_codebook_file(DATA / "autocode_codebook.yaml")
    with store.write() as session:
        load_codebook(session, get_project(session), book, warnings)
    assert run_autocode(store, "zero-shot", min_score=0.0)["suggestions"] > 0
    yield store
    store.close()


@pytest.fixture(scope="module")
def app_url(project):
    yield from _serve(project.url)


def _serve(db_url: str):
    """`streamlit run app.py` on a free port over this database, until the generator is closed."""
    port = _free_port()
    env = {**os.environ, "QUALCODE_DB": db_url, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                             "--server.port", str(port), "--server.headless", "true",
                             "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed (apt-get install chromium)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    yield page
    assert page.get_by_text("Traceback").count() == 0
    page.close()


def _segment_with_suggestions(store: Store) -> int:
    with store.read() as session:
        return next(s.id for s in load_review(session, DOCUMENT, "Alice").segments if s.pending)


def test_upload_is_previewed_then_imported_on_confirm(app_url, page, project):
    page.goto(f"{app_url}/?coder=Alice")
    page.get_by_role("tab", name="Import").click(timeout=60_000)
    page.locator("input[type=file]").set_input_files(str(DATA / "autocode_group.txt"))
    page.get_by_text("First turns").wait_for(timeout=30_000)
    with project.read() as session:
        assert session.scalar(select(Document.id).where(Document.name == "autocode_group.txt")) is None
    page.get_by_role("button", name="Import autocode_group.txt").click()
    page.get_by_text("Imported autocode_group.txt").wait_for(timeout=30_000)
    with project.read() as session:
        assert session.scalar(select(Document.source_name).where(Document.name == "autocode_group.txt")) == \
            "upload:autocode_group.txt"
    page.screenshot(path=str(SHOTS / "import.png"), full_page=True)


def test_accept_with_the_keyboard_survives_a_reload(app_url, page, project):
    segment = _segment_with_suggestions(project)
    page.goto(f"{app_url}/code?coder=Alice&doc={DOCUMENT}&seg={segment}")
    accept = page.get_by_role("button", name="Accept", exact=False).first
    expect(accept).to_be_enabled(timeout=60_000)
    code = accept.inner_text().split("\n")[0].removeprefix("Accept").strip()
    page.locator("body").press("a")
    expect(page.get_by_text("1 coded by you", exact=False)).to_be_visible(timeout=30_000)
    with project.read() as session:
        decided = session.scalars(select(Coding).where(Coding.status == "accepted")).one()
        assert decided.segment_id == segment
    page.reload()
    expect(page.get_by_text("1 coded by you", exact=False)).to_be_visible(timeout=60_000)
    assert "coder=Alice" in page.url           # who is coding survives the refresh
    expect(page.get_by_text(code, exact=False).first).to_be_visible()
    page.screenshot(path=str(SHOTS / "code.png"), full_page=True)


def test_transcript_markup_is_shown_literally(app_url, page, project):
    with project.read() as session:
        hostile = next(s.id for s in load_review(session, DOCUMENT, "Alice").segments if s.text == HOSTILE)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{app_url}/code?coder=Alice&doc={DOCUMENT}&seg={hostile}")
    expect(page.get_by_text(HOSTILE, exact=True).first).to_be_visible(timeout=60_000)
    assert page.locator("script", has_text="alert(1)").count() == 0 and dialogs == []
    assert page.locator("img[src='x.png']").count() == 0
    assert page.locator("a[href='http://x']").count() == 0
    assert page.locator(".katex").count() == 0
    page.screenshot(path=str(SHOTS / "markup.png"), full_page=True)


@pytest.fixture(scope="module")
def team_url(tmp_path_factory):
    """A team server: the review group with a lead and a coder, blind coding on."""
    from tests.review_fixture import review_project
    store = review_project(tmp_path_factory.mktemp("team"))
    with store.write() as session:
        project = get_project(session)
        add_member(session, project, "Lena", "lead", "lead-pass-1")
        add_member(session, project, "Әсел", "coder", "әсел-құпия-1")
        project.settings = {**project.settings, "blind": True}
    yield from _serve(store.url)
    store.close()


def test_a_team_server_asks_for_a_login_and_a_reload_keeps_it(team_url, page):
    page.goto(f"{team_url}/code?coder=Lena")
    name = page.get_by_role("textbox", name="Name")
    expect(name).to_be_visible(timeout=60_000)
    assert page.get_by_role("link", name="Code").count() == 0          # no navigation before a login
    assert page.get_by_text(PORTAL_TEXT).count() == 0
    name.fill("Әсел")
    page.get_by_role("textbox", name="Password").fill("әсел-құпия-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Logged in as Әсел", exact=False)).to_be_visible(timeout=60_000)
    page.wait_for_function("document.cookie.includes('login_token=')", timeout=30_000)  # set by the page's script
    token = next(c for c in page.context.cookies() if c["name"] == "login_token")
    assert token["sameSite"] == "Strict" and "Әсел" not in token["value"]
    page.reload()
    expect(page.get_by_text("Logged in as Әсел", exact=False)).to_be_visible(timeout=60_000)
    assert page.get_by_role("link", name="Agreement").count() == 0     # a lead's page
    page.screenshot(path=str(SHOTS / "team.png"), full_page=True)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("textbox", name="Password")).to_be_visible(timeout=30_000)
    page.reload()
    expect(page.get_by_role("textbox", name="Password")).to_be_visible(timeout=60_000)   # the cookie went with the logout
    assert page.get_by_text("Logged in as", exact=False).count() == 0
