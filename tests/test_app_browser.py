"""The Streamlit app in Debian's Chromium, driven by Playwright: it starts on a project and shows it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from qualcode.ingest.importer import ImportOptions, import_files
from qualcode.store import Store

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    db = tmp_path_factory.mktemp("app") / "app.db"
    store = Store(str(db))
    import_files(store, [ROOT / "tests" / "data" / "autocode_group.txt"], ImportOptions())
    store.close()
    port = _free_port()
    env = {**os.environ, "QUALCODE_DB": str(db), "HF_HUB_OFFLINE": "1"}
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


def test_documents_page_lists_the_import(app_url, browser):
    page = browser.new_page()
    page.goto(app_url)
    page.get_by_role("tab", name="Transcript").click(timeout=60_000)
    page.get_by_text("В ЦОН я простояла в очереди почти три часа.", exact=False).first.wait_for(timeout=30_000)
    assert page.get_by_text("Traceback").count() == 0
    page.screenshot(path=str(Path(os.environ.get("QUALCODE_SCREENSHOTS", "/tmp")) / "documents.png"), full_page=True)
    page.close()
