"""Mutually exclusive codes: `exclusive` true/false/not said survives YAML, .qdc, the store and .qdpx."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from qualcode.codebook import CodebookError, parse_yaml, to_yaml
from qualcode.refi.codebook_files import read_codebook_file
from qualcode.codebook.codes import BOOK_EXCLUSIVE, CodeTree, add_code, archive_code, load_codebook, set_exclusive, to_codebook
from qualcode.common.errors import QualcodeError
from qualcode.refi.qdc import describe, parse_qdc, read_description, to_qdc, validate_qdc
from qualcode.refi.qdpx_import import import_qdpx
from qualcode.refi.qdpx_export import export_qdpx
from qualcode.store.model import Event
from qualcode.store import Store, get_project

ROOT = Path(__file__).resolve().parents[1]
STATES = [True, False, None]


def swot(book_flag: bool | None, cell_flag: bool | None) -> str:
    """A two-level SWOT codebook in Kazakh; None leaves the key out."""
    def line(indent: str, flag: bool | None) -> str:
        return "" if flag is None else f"{indent}exclusive: {str(flag).lower()}\n"
    return (f"name: SWOT талдауы\n{line('', book_flag)}codes:\n"
            f"  - name: Күшті жақтары\n{line('    ', cell_flag)}    children:\n"
            "      - name: Ыңғайлылық\n      - name: Жылдамдық\n"
            "  - name: Әлсіз жақтары\n  - name: Мүмкіндіктер\n  - name: Қауіптер\n")


def flags(book) -> tuple:
    return book.exclusive, {path: code.exclusive for path, code in book.walk()}


def load(store, yaml_text: str):
    book, warnings = parse_yaml(yaml_text, "swot.yaml")
    with store.write() as session:
        load_codebook(session, get_project(session), book, warnings)
    return book


# ---------------------------------------------------------------- YAML

@pytest.mark.parametrize("state", STATES)
def test_yaml_round_trip_keeps_every_state(state):
    book, _ = parse_yaml(swot(state, state), "swot.yaml")
    assert flags(book) == (state, {"Күшті жақтары": state, "Күшті жақтары/Ыңғайлылық": None,
                                   "Күшті жақтары/Жылдамдық": None, "Әлсіз жақтары": None,
                                   "Мүмкіндіктер": None, "Қауіптер": None})
    dumped = to_yaml(book)
    assert ("exclusive" in dumped) == (state is not None)
    assert flags(parse_yaml(dumped, "again.yaml")[0]) == flags(book)


def test_yaml_spellings_and_an_empty_value():
    book, _ = parse_yaml("exclusive: yes\ncodes:\n  - name: a\n    exclusive:\n    children: [{name: b}]\n", "b.yaml")
    assert (book.exclusive, book.codes[0].exclusive) == (True, None)


def test_exclusive_must_be_a_boolean():
    bad = ("exclusive: [a]\ncodes:\n  - name: Күшті жақтары\n    exclusive: maybe\n    children: [{name: b}]\n"
           "  - name: c\n    exclusive: 'true'\n")
    with pytest.raises(CodebookError) as caught:
        parse_yaml(bad, "bad.yaml")
    assert caught.value.errors == ["bad.yaml:1: 'exclusive' must be true or false, not a list",
                                   "bad.yaml:4: code \"Күшті жақтары\": 'exclusive' must be true or false, not 'maybe'",
                                   "bad.yaml:7: code \"c\": 'exclusive' must be true or false, not 'true'"]


def test_exclusive_on_a_code_without_children_warns():
    book, warnings = parse_yaml("codes:\n  - name: a\n    definition: x\n    examples: [y]\n    exclusive: false\n",
                                "w.yaml")
    assert book.codes[0].exclusive is False
    assert warnings == ["w.yaml:5: code \"a\": 'exclusive' has no effect on a code without children"]


# ---------------------------------------------------------------- .qdc

@pytest.mark.parametrize("state", STATES)
def test_qdc_round_trip_keeps_every_state_and_stays_valid(state):
    book, _ = parse_yaml(swot(state, state), "swot.yaml")
    data = to_qdc(book)
    assert validate_qdc(data) == []
    assert flags(parse_qdc(data, "swot.qdc")) == flags(book)
    assert ("Exclusive:" in data.decode()) == (state is not None)


def test_flag_is_a_labelled_description_line():
    book, _ = parse_yaml("codes:\n  - name: Күшті жақтары\n    definition: Жақсы жұмыс істейтін нәрселер.\n"
                         "    include: Мақтау.\n    exclusive: true\n    children: [{name: b}, {name: c}]\n", "s.yaml")
    assert describe(book.codes[0]) == "Жақсы жұмыс істейтін нәрселер.\n\nInclude: Мақтау.\nExclusive: yes"
    assert read_description("Exclusive: no") == {"definition": "", "exclusive": False, "examples": [],
                                                 "counter_examples": [], "translations": {}}


def test_a_foreign_exclusive_line_stays_in_the_definition():
    assert read_description("Codes below.\n\nExclusive: sometimes") == {
        "definition": "Codes below.\n\nExclusive: sometimes"}


# ---------------------------------------------------------------- the store

@pytest.mark.parametrize("state", STATES)
def test_load_then_export_keeps_every_state(store, state):
    book = load(store, swot(state, state))
    with store.read() as session:
        project = get_project(session)
        assert (BOOK_EXCLUSIVE in project.settings) == (state is not None)
        again = to_codebook(session, project)
    assert flags(again) == flags(book)
    assert flags(parse_yaml(to_yaml(again), "out.yaml")[0]) == flags(book)


def test_reload_without_the_key_clears_the_flags(store):
    load(store, swot(True, False))
    load(store, swot(None, None))
    with store.read() as session:
        project = get_project(session)
        assert BOOK_EXCLUSIVE not in project.settings
        assert flags(to_codebook(session, project)) == flags(parse_yaml(swot(None, None), "s.yaml")[0])


def test_set_exclusive_records_an_event(store):
    load(store, swot(None, None))
    with store.write() as session:
        project = get_project(session)
        code = set_exclusive(session, project, "Күшті жақтары", True)
        assert set_exclusive(session, project, None, False) is None
        set_exclusive(session, project, "Күшті жақтары", True)  # no change, no event
    with store.read() as session:
        project = get_project(session)
        assert project.settings[BOOK_EXCLUSIVE] is False
        assert flags(to_codebook(session, project))[1]["Күшті жақтары"] is True
        events = session.scalars(select(Event).where(Event.action == "exclusive").order_by(Event.id)).all()
    assert [(e.target_kind, e.target_id, e.before["exclusive" if e.target_kind == "code" else BOOK_EXCLUSIVE],
             e.after["exclusive" if e.target_kind == "code" else BOOK_EXCLUSIVE]) for e in events] == [
        ("code", code.id, None, True), ("project", project.id, None, False)]
    with store.write() as session, pytest.raises(QualcodeError, match="no code"):
        set_exclusive(session, get_project(session), "Жоқ", True)
    with store.write() as session:
        set_exclusive(session, get_project(session), None, None)
    with store.read() as session:
        assert BOOK_EXCLUSIVE not in get_project(session).settings


def test_exclusive_groups(store):
    load(store, swot(True, False))
    with store.write() as session:
        project = get_project(session)
        for path in ("Күшті жақтары/Ескі", "Мүмкіндіктер/Цифр", "Мүмкіндіктер/Заң"):
            add_code(session, project, path)
        for path in ("Қауіптер", "Күшті жақтары/Ескі", "Мүмкіндіктер"):  # an archived parent hides its group
            archive_code(session, project, path)
    with store.read() as session:
        groups = CodeTree(session, get_project(session)).exclusive_groups()
        named = [(parent.name if parent else None, [c.name for c in children], declared)
                 for parent, children, declared in groups]
    assert named == [(None, ["Күшті жақтары", "Әлсіз жақтары"], True),
                     ("Күшті жақтары", ["Ыңғайлылық", "Жылдамдық"], False)]


def test_qdpx_round_trip_keeps_the_flags(store, tmp_path):
    source = Store(str(tmp_path / "source.db"))
    book = load(source, swot(False, True))
    export_qdpx(source, tmp_path / "p.qdpx")
    source.close()
    import_qdpx(store, tmp_path / "p.qdpx")
    with store.read() as session:
        project = get_project(session)
        assert project.settings[BOOK_EXCLUSIVE] is False
        assert flags(to_codebook(session, project)) == flags(book)


def test_migration_adds_a_nullable_column(tmp_path):
    """A code stored before 0005 comes out of the upgrade as "not said"."""
    store = Store(str(tmp_path / "old.db"))
    load(store, swot(None, True))
    cfg = Store._alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
        assert "exclusive" not in {row[1] for row in conn.execute(text("PRAGMA table_info(codes)"))}
        command.upgrade(cfg, "head")
        assert {row[0] for row in conn.execute(text("SELECT exclusive FROM codes"))} == {None}
    store.close()


@pytest.mark.parametrize("name,declared", [("swot.yaml", True), ("mi_therapist.yaml", True), ("pest.yaml", None)])
def test_shipped_codebooks_declare_what_their_frameworks_say(name, declared):
    book, warnings = read_codebook_file(ROOT / "codebooks" / name)
    assert book.exclusive is declared
    assert all(code.exclusive is None for _, code in book.walk())
    assert not any("exclusive" in w for w in warnings)
