"""The transcript editor through AppTest, on a draft over real espeak-ng speech (the draft's turns
are the synthesised ones, so the page is tested without waiting for the speech model)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from qualcode.documents import get_document
from tests.speech_fixture import draft_project

TIMEOUT = 60


def _page() -> None:
    from qualcode.ui.pages import framed
    from qualcode.ui.transcript_page import render

    framed(render)()


@pytest.fixture
def store(tmp_path, monkeypatch):
    s = draft_project(tmp_path)
    monkeypatch.setenv("QUALCODE_DB", str(tmp_path / "draft.db"))
    yield s
    s.close()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_play_edit_rename_and_confirm(store):
    at = ok(AppTest.from_function(_page, default_timeout=TIMEOUT).run())
    assert not at.get("audio")
    assert any(":orange-background[afternoon" in m.value for m in at.markdown)   # the unsure word
    at.button(key="transcript.play.1").click()
    ok(at.run())
    assert len(at.get("audio")) == 1 and "turn 2" in at.caption[0].value
    key = next(t.key for t in at.text_area if t.key.startswith("transcript.text.group.wav.1."))
    at.text_area(key=key).set_value("Я езжу на автобусе, Қазақстан.")
    ok(at.run())
    at.selectbox(key="transcript.voice").set_value("Voice 1")
    at.text_input(key="transcript.voice_name").set_value("Модератор")
    at.button(key="transcript.rename").click()
    ok(at.run())
    with store.read() as session:
        doc = get_document(session, "group.wav")
        assert doc.text.endswith("Voice 2: Я езжу на автобусе, Қазақстан.") and doc.text.startswith("Модератор: ")
    at.button(key="transcript.confirm").click()
    ok(at.run())
    with store.read() as session:
        doc = get_document(session, "group.wav")
        assert doc.status == "confirmed" and doc.segments
