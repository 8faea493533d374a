"""The transcript editor through AppTest, on a draft over real espeak-ng speech (the draft's turns
are the synthesised ones, so the page is tested without waiting for the speech model)."""

from __future__ import annotations

import pytest

from qualcode.ingest.documents import get_document
from qualcode.store import Store
from tests.speech_fixture import draft_project
from tests.test_ui_apptest import ok, page


@pytest.fixture
def store(tmp_path, monkeypatch):
    s = draft_project(tmp_path)
    monkeypatch.setenv("QUALCODE_DB", str(tmp_path / "draft.db"))
    yield s
    s.close()


def test_play_edit_rename_and_confirm(store):
    at = ok(page("transcript_page", coder=None))
    assert not at.get("audio")
    assert any(":orange-background[afternoon" in m.value for m in at.markdown)   # the unsure word
    at.button(key="transcript.play.1").click()
    ok(at.run())
    assert len(at.get("audio")) == 1 and any("Playing turn 2" in c.value for c in at.caption)
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


def test_a_timed_transcript_with_its_recording_plays_on_the_code_page(tmp_path, monkeypatch):
    from tests.speech_fixture import EN, synthesise

    spoken = synthesise(EN[:2], tmp_path / "call.wav")
    vtt = tmp_path / "call.vtt"
    cues = "".join(f"{i + 1}\n00:00:{s.start:06.3f} --> 00:00:{s.end:06.3f}\n<v Спикер {i % 2 + 1}>{s.text}\n\n"
                   for i, s in enumerate(spoken))
    vtt.write_text("WEBVTT\n\n" + cues, encoding="utf-8")
    db = str(tmp_path / "code.db")
    from qualcode import cli
    assert cli.main(["--db", db, "import", str(vtt)]) == 0
    assert cli.main(["--db", db, "transcript", "attach", "call.vtt", str(tmp_path / "call.wav")]) == 0
    monkeypatch.setenv("QUALCODE_DB", db)
    with Store(db).read() as session:
        second = get_document(session, "call.vtt").segments[-1].id
    at = ok(page("code_page", doc="call.vtt", seg=str(second)))
    assert len(at.get("audio")) == 1


def test_an_upload_that_is_not_sound_names_the_upload(tmp_path):
    from qualcode.ingest.importer import ImportOptions
    from qualcode.recording.importing import import_upload

    store = Store(str(tmp_path / "p.db"))
    result = import_upload(store, "Группа Шымкент.m4a", b"\x00" * 4000, ImportOptions())
    assert result["status"] == "error" and result["error"].startswith("Группа Шымкент.m4a: cannot be decoded")
    store.close()
