"""The upload preview: what import would store, computed without storing; speaker fixes before import."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from qualcode.ingest.importer import ImportOptions, import_one
from qualcode.ingest.preview import FIRST_TURNS, preview_file
from qualcode.store.model import Document, Participant
from qualcode.store import Store

TEXT = """Фокус-группа №3, Шымкент
[00:00:05] Модератор: Добрый день. Расскажите о ЦОНах.
[00:00:40] Айгерим: Очередь была огромная.
[00:01:10] Айгерм: Я ждала три часа.
[00:01:30] Модератор: А портал?
[00:02:00] Ерлан: Портал зависает.
[00:02:30] Ерлан: И приложение тоже.
"""


@pytest.fixture
def transcript(tmp_path):
    path = tmp_path / "fg03.txt"
    path.write_bytes(TEXT.encode("cp1251"))
    return path


def test_preview_reports_what_import_would_store_and_stores_nothing(tmp_path, transcript):
    store = Store(str(tmp_path / "p.db"))
    with store.read() as session:
        preview = preview_file(transcript, transcript.read_bytes(), ImportOptions(), session)
        assert session.scalar(select(func.count(Document.id))) == 0
    assert preview.ok and (preview.format, preview.encoding, preview.language) == ("txt", "cp1251", "ru")
    # the transcriber's typo "Айгерм" is a speaker of its own until the researcher fixes it
    assert preview.speakers == {"Модератор": 2, "Айгерим": 1, "Айгерм": 1, "Ерлан": 2}
    assert preview.moderator == "Модератор"
    assert preview.roles == {"Модератор": "moderator", "Айгерим": "participant", "Айгерм": "participant",
                             "Ерлан": "participant"}
    assert preview.turns == 6 and preview.words > 10
    assert preview.first_turns[0] == {"speaker": "Модератор", "start_time": 5.0,
                                      "text": "Добрый день. Расскажите о ЦОНах."}
    assert len(preview.first_turns) <= FIRST_TURNS and preview.duplicate_of is None


def test_renaming_merges_speakers_and_the_moderator_can_be_chosen(tmp_path, transcript):
    fixed = preview_file(transcript, transcript.read_bytes(), ImportOptions(rename={"Айгерм": "Айгерим"}))
    assert fixed.speakers == {"Модератор": 2, "Айгерим": 2, "Ерлан": 2}
    options = ImportOptions(rename={"Ерлан": "Erlan", "Айгерим": "Erlan", "Айгерм": "Erlan"}, moderator="Erlan")
    preview = preview_file(transcript, transcript.read_bytes(), options)
    assert preview.speakers == {"Модератор": 2, "Erlan": 4}
    assert preview.moderator == "Erlan" and preview.roles["Erlan"] == "moderator"
    store = Store(str(tmp_path / "p.db"))
    result = import_one(store, transcript, options, source_name="upload:fg03.txt")
    assert result.status == "imported" and result.speakers == {"Модератор": 2, "Erlan": 4}
    with store.read() as session:
        doc = session.scalars(select(Document)).one()
        assert doc.source_name == "upload:fg03.txt"
        roles = dict(session.execute(select(Participant.label, Participant.role)).all())
        assert roles == {"Модератор": "moderator", "Erlan": "moderator"}
        again = preview_file(transcript, transcript.read_bytes(), session=session)
    assert again.duplicate_of == "fg03.txt"


def test_problems_are_reported_not_raised(tmp_path, transcript):
    assert "not a speaker" in preview_file(transcript, transcript.read_bytes(),
                                           ImportOptions(moderator="Nobody")).error
    assert "does not look like a speaker" in preview_file(
        transcript, transcript.read_bytes(), ImportOptions(rename={"Ерлан": "Ерлан said: hello."})).error
    sidecar = tmp_path / "fg03.attributes.yaml"
    sidecar.write_text("document: {group: recipients}\n", encoding="utf-8")
    assert "sidecar" in preview_file(sidecar, sidecar.read_bytes()).error
    assert preview_file(transcript, transcript.read_bytes()).sidecar == "fg03.attributes.yaml"
    assert preview_file(transcript, transcript.read_bytes()).document_attributes == {"group": "recipients"}
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"   ")
    assert not preview_file(empty, b"   ").ok


def test_renaming_carries_sidecar_attributes_to_the_new_label(tmp_path, transcript):
    (tmp_path / "fg03.attributes.yaml").write_text(
        "document: {moderator: Модератор}\nparticipants:\n  Ерлан: {gender: male}\n", encoding="utf-8")
    store = Store(str(tmp_path / "p.db"))
    import_one(store, transcript, ImportOptions(rename={"Ерлан": "Erlan", "Модератор": "Moderator"}))
    with store.read() as session:
        people = {p.label: (p.role, p.attributes) for p in session.scalars(select(Participant))}
    assert people["Erlan"] == ("participant", {"gender": "male"})
    assert people["Moderator"][0] == "moderator"


def test_preview_says_what_import_is_unsure_of(tmp_path):
    path = tmp_path / "fg07.txt"
    path.write_text("Модератор: Сәлеметсіздер ме! Кім бастайды?\nМарина: Я начну, у нас в селе нет ЦОНа.\n"
                    "Нұрлан: Мен Нұрланмын, Қызылорда облысынан келдім.\nМодератор: Рақмет.\n"
                    "Марина: Итог: очередь на полдня.\n", encoding="utf-8")
    preview = preview_file(path, path.read_bytes())
    assert preview.speakers == {"Модератор": 2, "Марина": 2, "Нұрлан": 1}
    assert preview.language == "kk" and preview.languages == ["kk", "ru"]
    assert [w[:len("fg07.txt: line 3: 'Нұрлан' speaks once: a speaker?")] for w in preview.warnings] == [
        "fg07.txt: line 3: 'Нұрлан' speaks once: a speaker?"]
    declared = preview_file(path, path.read_bytes(), ImportOptions(rename={"Нұрлан": "Nurlan"}))
    assert declared.speakers["Nurlan"] == 1
