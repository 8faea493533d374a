"""The transcript editor in Debian's Chromium: a turn's play button plays the kept recording from
that turn's time (a real <audio> element that the browser loads and plays)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.speech_fixture import draft_project
from tests.test_app_browser import _serve, browser, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def draft_url(tmp_path_factory):
    store = draft_project(tmp_path_factory.mktemp("editor"))
    yield from _serve(store.url)
    store.close()


def test_a_turn_plays_from_its_time(draft_url, page):  # noqa: F811
    page.goto(f"{draft_url}/transcripts")
    page.get_by_text("Turns 1–2 of 2", exact=False).wait_for(timeout=60_000)
    page.get_by_role("button", name="0:00:05").click()      # turn 2 starts about five seconds in
    audio = page.locator("audio")
    expect(audio).to_have_count(1, timeout=30_000)
    page.wait_for_function("() => document.querySelector('audio').readyState >= 2", timeout=30_000)
    position = page.evaluate("() => { const a = document.querySelector('audio'); a.muted = true; "
                             "return a.play().then(() => new Promise(r => setTimeout(() => r(a.currentTime), 500))) }")
    assert 5 <= position < 9
    assert not page.evaluate("() => document.querySelector('audio').paused")
