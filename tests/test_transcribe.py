"""A recording to a coded transcript, on real speech: espeak-ng speaks a Russian and an English
dialogue (two voices taking turns, known silences between them), the packaged Whisper model
transcribes them, and the draft is checked, corrected, confirmed, coded and exported."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import docx
import pytest

from qualcode import cli
from qualcode.coding import apply_code, coder_named
from qualcode.codebook.codes import add_code
from qualcode.ingest.documents import get_document
from qualcode.common.errors import QualcodeError
from qualcode.export.docx import ReportOptions, build_report
from qualcode.common.files import sha256_of
from qualcode.store.model import Event
from qualcode.recording import audio, editing, transcribe, voices, whisper_files
from qualcode.recording.draft import confirm, pieces_of
from qualcode.store import Store, get_project

sys.path.insert(0, str(Path(__file__).parent))
from speech_fixture import EN, RU, draft_project, synthesise  # noqa: E402


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(list(argv))
    return code, out.getvalue()


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recordings")
    truth = {"ru.wav": synthesise(RU, folder / "ru.wav"), "en.wav": synthesise(EN, folder / "en.wav")}
    db = str(folder / "project.db")
    code, out = run("--db", db, "import", str(folder / "ru.wav"), str(folder / "en.wav"), "--speakers", "2", "--json")
    assert code == 0, out
    entries = {Path(e["file"]).name: e for e in json.loads(out)}
    store = Store(db)
    yield folder, db, store, truth, entries
    store.close()


def test_import_gives_a_draft_with_duration_languages_and_two_voices(project):
    _folder, _db, _store, truth, entries = project
    for name, language in (("ru.wav", "ru"), ("en.wav", "en")):
        entry = entries[name]
        # the majority language; a short synthetic turn may be heard as another one
        assert (entry["status"], entry["format"], entry["languages"][0]) == ("draft", "audio", language)
        assert entry["duration"] == pytest.approx(truth[name][-1].end + 1.2, abs=0.1)
        assert entry["seconds"] > 0 and entry["turns"] == 4 and entry["segments"] == 0
        assert entry["speakers"] == {"Voice 1": 2, "Voice 2": 2}
        assert Path(entry["recording"]).is_file() and Path(entry["recording"]).parent.name == "recordings"


def test_turn_times_fall_within_a_second_of_the_spoken_turns(project):
    _folder, db, _store, truth, _entries = project
    for name in ("ru.wav", "en.wav"):
        code, out = run("--db", db, "show", name, "--json")
        shown = json.loads(out)
        assert code == 0 and shown["status"] == "draft"
        assert len(shown["turns"]) == len(truth[name])
        for turn, spoken in zip(shown["turns"], truth[name]):
            assert abs(turn["start_time"] - spoken.start) < 1 and abs(turn["end_time"] - spoken.end) < 1
            assert 0 < turn["confidence"] <= 1
        # the grouping follows the voices: the male voice speaks turns 1 and 3
        assert [t["speaker"] for t in shown["turns"]] == ["Voice 1", "Voice 2", "Voice 1", "Voice 2"]


def test_the_words_are_heard(project):
    _folder, _db, store, _truth, _entries = project
    with store.read() as session:
        english = get_document(session, "en.wav").text.lower()
        russian = get_document(session, "ru.wav").text.lower()
    assert all(word in english for word in ("afternoon", "clinic", "family", "mother"))
    assert "пожалуйста" in russian and "медицинскую" in russian


def test_draft_is_corrected_turn_by_turn_with_events(project):
    _folder, _db, store, _truth, _entries = project
    with store.write() as session:
        doc = get_document(session, "ru.wav")
        editing.rename_voice(session, doc, "Voice 1", "Модератор")
        editing.edit_text(session, get_document(session, "ru.wav"), 1, "Қазақша жауап: емхана алыс.")
        editing.split(session, get_document(session, "ru.wav"), 1, len("Қазақша жауап:"))
        editing.set_speaker(session, get_document(session, "ru.wav"), 2, "Айгүл")
    with store.read() as session:
        doc = get_document(session, "ru.wav")
        pieces = pieces_of(doc)
        assert [p.speaker for p in pieces] == ["Модератор", "Voice 2", "Айгүл", "Модератор", "Voice 2"]
        assert [doc.text[t.start:t.end] for t in doc.turns][1:3] == ["Қазақша жауап:", "емхана алыс."]
        assert doc.text.startswith("Модератор: ") and not doc.turns[1].words
        assert pieces[1].start_time < pieces[2].start_time == pieces[1].end_time < pieces[2].end_time
        assert {p.role for p in doc.participants if p.label == "Модератор"} == {"moderator"}
        actions = [e.action for e in session.query(Event).order_by(Event.id)][-4:]
        assert actions == ["rename-speaker", "edit-turn", "split-turn", "set-speaker"]
    with store.write() as session:
        editing.merge(session, get_document(session, "ru.wav"), 1)
        editing.set_speaker(session, get_document(session, "ru.wav"), 1, "Voice 2")
    with store.read() as session:
        doc = get_document(session, "ru.wav")
        assert doc.text[doc.turns[1].start:doc.turns[1].end] == "Қазақша жауап: емхана алыс."
        assert len(doc.turns) == 4 and not doc.segments


def test_confirm_then_code_a_turn_and_export_it_with_its_time(project):
    _folder, db, store, truth, _entries = project
    code, out = run("--db", db, "transcript", "confirm", "en.wav", "--json")
    confirmed = json.loads(out)
    assert code == 0 and confirmed["status"] == "confirmed" and len(confirmed["segments"]) >= 4
    assert run("--db", db, "transcript", "confirm", "en.wav")[0] == 1
    with store.write() as session:
        project = get_project(session)
        doc = get_document(session, "en.wav")
        travel = add_code(session, project, "Travel")
        segment = next(s for s in doc.segments if s.turn_id == doc.turns[1].id)
        apply_code(session, project, coder_named(session, project, "Aigerim"), segment.id, travel.id)
        with pytest.raises(QualcodeError, match="confirmed"):
            editing.edit_text(session, doc, 0, "changed")
    with store.read() as session:
        data, quotes = build_report(session, "Aigerim", None, False, ReportOptions())
    report = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    spoken = int(truth["en.wav"][1].start)
    assert "i take" in report.lower()
    assert f"0:00:{spoken:02d}" in report or f"0:00:{spoken - 1:02d}" in report


def test_a_file_that_is_not_audio_is_one_line_naming_it(tmp_path):
    bad = tmp_path / "interview.mp3"
    bad.write_bytes(b"not sound at all" * 100)
    code, out = run("--db", str(tmp_path / "p.db"), "import", str(bad), "--json")
    entry = json.loads(out)[0]
    assert code == 1 and entry["status"] == "error"
    assert entry["error"].startswith(f"{bad}: cannot be decoded as audio") and "\n" not in entry["error"]
    assert run("--db", str(tmp_path / "p.db"), "documents", "--json")[1].strip() == "[]"


def test_voices_are_counted_when_not_given(project):
    folder, _db, _store, truth, _entries = project
    samples = audio.decode(folder / "en.wav")
    pieces = [samples[int(s.start * audio.RATE):int(s.end * audio.RATE)] for s in truth["en.wav"]]
    assert voices.group([voices.features(p) for p in pieces]) == [0, 1, 0, 1]


def test_model_is_joined_outside_site_packages_and_checked():
    folder = whisper_files.model_dir()
    assert "site-packages" not in str(folder)
    assert sha256_of(folder / "model.bin") == whisper_files.MODEL_SHA256


def test_split_merge_and_confirm_on_each_database(tmp_path, store_url):
    store = draft_project(tmp_path, store_url)
    with store.write() as session:
        editing.split(session, get_document(session, "group.wav"), 0, len("Good afternoon."))
    with store.read() as session:
        doc = get_document(session, "group.wav")
        assert [doc.text[t.start:t.end] for t in doc.turns][:2] == ["Good afternoon.", "How do you usually get to the clinic?"]
        assert doc.turns[1].start_time == 1.4            # the time the unsure word "afternoon." ended
        assert doc.turns[1].words is None and doc.turns[0].words == [[0, 4, 0.9, 0.5, 0.8], [5, 15, 0.3, 0.8, 1.4]]
    with store.write() as session:
        editing.merge(session, get_document(session, "group.wav"), 0)
        confirm(session, get_document(session, "group.wav"))
    with store.read() as session:
        doc = get_document(session, "group.wav")
        assert doc.status == "confirmed" and len(doc.turns) == 2
        assert all(doc.text[s.start:s.end].strip() for s in doc.segments)
    store.close()


def test_a_piece_leaves_the_main_language_only_when_clearly_another():
    scores = [{"ru": 0.28, "kk": 0.0, "en": 0.01}, {"ru": 0.018, "kk": 0.0, "en": 0.048},
              {"ru": 0.02, "kk": 0.01, "en": 0.91}, {"ru": 0.24, "kk": 0.05, "en": 0.03},
              {"ru": 0.6, "kk": 0.2, "en": 0.01}]
    assert transcribe.choose_languages(scores) == ["ru", "ru", "en", "ru", "ru"]
