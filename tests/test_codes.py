"""Codes in the store: reload in place, archive instead of dropping codings, edit operations."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from qualcode.codebook import CodebookError, parse_yaml
from qualcode.codebook.codes import (add_code, archive_code, code_rows, load_codebook, merge_codes, move_code,
                            rename_code, to_codebook)
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Code, Coder, Coding, Document, Event
from qualcode.store import get_project

BOOK = """\
name: Услуги
codes:
  - name: Доступ
    definition: Как граждане получают услуги
    children:
      - name: Очереди
        definition: Ожидание в ЦОН
        examples: ["Кезек үлкен болды.", "Три часа в очереди."]
      - name: Портал
        definition: eGov
        examples: ["Портал завис.", "eGov-та өтініш бердім."]
  - name: Доверие
    definition: Trust in the state
    examples: ["Мемлекетке сенемін.", "Не верю."]
"""


def load(store, text):
    book, warnings = parse_yaml(text, "book.yaml")
    with store.write() as session:
        return load_codebook(session, get_project(session), book, warnings)


def code_at(session, path):
    return next(r for r in code_rows(session, get_project(session), include_archived=True) if r["path"] == path)


def add_codings(store, path, spans):
    """Codings by one human coder on a one-document project, at the given spans."""
    with store.write() as session:
        project = get_project(session)
        doc = session.scalars(select(Document)).first()
        if doc is None:
            doc = Document(project_id=project.id, name="d.txt", source_name="d.txt", format="txt", encoding="utf-8",
                           sha256="0" * 64, text="Айгерим: Кезек үлкен болды. Портал завис.", language="kk",
                           unit="sentence", attributes={})
            session.add(doc)
        coder = session.scalars(select(Coder)).first() or Coder(project_id=project.id, name="aigerim", kind="human")
        session.add(coder)
        session.flush()
        code_id = session.scalars(select(Code.id).where(Code.guid == code_at(session, path)["guid"])).one()
        for start, end in spans:
            session.add(Coding(coder_id=coder.id, code_id=code_id, document_id=doc.id, start=start, end=end,
                               status="manual"))


def total_codings(store):
    with store.read() as session:
        return session.scalar(select(func.count(Coding.id)))


def test_load_then_reload_updates_in_place(store):
    first = load(store, BOOK)
    assert first.codes == 4 and len(first.added) == 4
    with store.read() as session:
        guid = code_at(session, "Доступ/Очереди")["guid"]
    second = load(store, BOOK.replace("Ожидание в ЦОН", "Ожидание в ЦОН и акимате"))
    assert second.added == [] and second.updated == ["Доступ/Очереди"]
    with store.read() as session:
        row = code_at(session, "Доступ/Очереди")
    assert row["guid"] == guid and row["definition"] == "Ожидание в ЦОН и акимате"


def test_reload_matches_by_guid_across_a_rename(store):
    load(store, BOOK)
    with store.read() as session:
        guid = code_at(session, "Доступ/Очереди")["guid"]
    renamed = BOOK.replace("      - name: Очереди\n", f"      - name: Кезек\n        guid: {guid}\n")
    report = load(store, renamed)
    assert report.updated == ["Доступ/Кезек"] and report.added == [] and report.removed == []
    with store.read() as session:
        assert code_at(session, "Доступ/Кезек")["guid"] == guid


def test_code_with_codings_is_archived_not_dropped(store):
    load(store, BOOK)
    add_codings(store, "Доступ/Портал", [(32, 45)])
    without_portal = BOOK.split("      - name: Портал")[0] + BOOK.split('eGov-та өтініш бердім."]\n')[1]
    report = load(store, without_portal)
    assert report.archived == ["Доступ/Портал (1 codings)"]
    assert total_codings(store) == 1
    with store.read() as session:
        assert code_at(session, "Доступ/Портал")["archived"] is True
    restored = load(store, BOOK)  # the code comes back, with its coding
    assert restored.added == [] and "Доступ/Портал" in restored.updated


def test_code_without_codings_is_removed_and_logged(store):
    load(store, BOOK)
    report = load(store, BOOK.split("  - name: Доверие")[0])
    assert report.removed == ["Доверие"]
    with store.read() as session:
        assert session.scalar(select(func.count(Event.id)).where(Event.action == "delete")) == 1


def test_name_clash_on_reload_changes_nothing(store):
    load(store, BOOK)
    add_codings(store, "Доступ/Портал", [(32, 45)])
    with store.read() as session:
        guid = code_at(session, "Доступ/Очереди")["guid"]
    # the queue code (by guid) takes the name of the portal code, which has codings and left the file
    clash = BOOK.split("      - name: Портал")[0].replace(
        "      - name: Очереди\n", f"      - name: Портал\n        guid: {guid}\n") + "  - name: Доверие\n"
    with pytest.raises(CodebookError, match="clashes with another code of the same name"):
        load(store, clash)
    with store.read() as session:
        assert code_at(session, "Доступ/Очереди")["guid"] == guid
        assert code_at(session, "Доступ/Портал")["archived"] is False


def test_merge_makes_the_union_of_codings(store):
    load(store, BOOK)
    add_codings(store, "Доступ/Очереди", [(9, 27), (28, 41)])
    add_codings(store, "Доступ/Портал", [(28, 41), (0, 5)])
    with store.write() as session:
        result = merge_codes(session, get_project(session), "Доступ/Портал", "Доступ/Очереди")
    assert result == {"source": "Доступ/Портал", "target": "Доступ/Очереди", "moved": 1, "duplicates": 1}
    with store.read() as session:
        target = code_at(session, "Доступ/Очереди")
        spans = sorted((c.start, c.end) for c in session.scalars(
            select(Coding).join(Code).where(Code.guid == target["guid"])))
        assert spans == [(0, 5), (9, 27), (28, 41)]
        assert code_at(session, "Доступ/Портал")["archived"] is True
        assert "Портал завис." in target["examples"]


def test_rename_move_add_archive_keep_codings_and_log_events(store):
    load(store, BOOK)
    add_codings(store, "Доступ/Очереди", [(9, 27)])
    with store.write() as session:
        project = get_project(session)
        rename_code(session, project, "Доступ/Очереди", "Кезек")
        move_code(session, project, "Доступ/Кезек", "Доверие")
        add_code(session, project, "Доверие/Кезек/Электронная", definition="Онлайн-запись")
        archive_code(session, project, "Доступ/Портал")
    with store.read() as session:
        paths = [r["path"] for r in code_rows(session, get_project(session))]
        actions = [e.action for e in session.scalars(select(Event).order_by(Event.id))][-4:]
        assert code_at(session, "Доверие/Кезек")["codings"] == 1
    assert paths == ["Доступ", "Доверие", "Доверие/Кезек", "Доверие/Кезек/Электронная"]
    assert actions == ["rename", "move", "add", "archive"]
    assert total_codings(store) == 1


def test_invalid_edits_are_refused(store):
    load(store, BOOK)
    with store.write() as session:
        project = get_project(session)
        with pytest.raises(QualcodeError, match="clashes"):
            rename_code(session, project, "Доступ/Очереди", "портал")
    with store.write() as session:
        project = get_project(session)
        with pytest.raises(QualcodeError, match="own descendant"):
            move_code(session, project, "Доступ", "Доступ/Очереди")
        with pytest.raises(QualcodeError, match='no code "Нет"'):
            archive_code(session, project, "Нет")


def test_to_codebook_reflects_the_store(store):
    load(store, BOOK)
    with store.read() as session:
        book = to_codebook(session, get_project(session))
    assert book.name == "Услуги"
    assert [p for p, _ in book.walk()] == ["Доступ", "Доступ/Очереди", "Доступ/Портал", "Доверие"]
