"""Several people (and the auto-coder) on one project at once, on SQLite and PostgreSQL: an auto-coding
run that scored before a person decided or a code was archived or removed writes only what is still
open; two attribute editors keep each other's keys; reconciliation refuses a segment not in the project.

The interleavings are made deterministic by calling the run's two phases (`score_autocode`,
`write_scored`) with the other person's transaction in between."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from qualcode.coding.attributes import changed_cells, participant_table, set_document_attributes, update_participant
from qualcode.cli import main
from qualcode.refi.codebook_files import read_codebook_file
from qualcode.codebook.codes import archive_code, load_codebook
from qualcode.coding import apply_code, coder_named, decide
from qualcode.autocode.embed import MINILM_MODEL_ID, load_embedder
from qualcode.common.errors import QualcodeError
from qualcode.ingest.importer import ImportOptions, import_files
from qualcode.store.model import Code, Coder, Coding, Document, Participant, Project, Segment, Turn
from qualcode.coding.review import set_blind_mode
from qualcode.store import get_project
from qualcode.autocode.suggest import Scope, machine_name, run_autocode, score_autocode, write_scored
from qualcode.team import resolve
from tests.team_fixture import build_team

DATA = Path(__file__).parent / "data"
CODEBOOK = DATA / "autocode_codebook.yaml"


@pytest.fixture(scope="module")
def embedder():
    return load_embedder(MINILM_MODEL_ID)


def _load_book(store) -> None:
    book, warnings = read_codebook_file(CODEBOOK)
    with store.write() as session:
        load_codebook(session, get_project(session), book, warnings)


def _codes(store) -> dict[str, int]:
    with store.read() as session:
        return {c.name: c.id for c in session.scalars(select(Code))}


def _machine_rows(store) -> list[Coding]:
    with store.read() as session:
        return list(session.scalars(select(Coding).join(Coder).where(Coder.name == machine_name(),
                                                                    Coding.status == "suggested")))


def _group(store) -> dict[str, int]:
    import_files(store, [DATA / "autocode_group.txt"], ImportOptions(unit="turn"))
    _load_book(store)
    return _codes(store)


def test_a_run_skips_what_people_decided_and_codes_archived_after_it_scored(store, embedder):
    codes = _group(store)
    run_autocode(store, "zero-shot", embedder=embedder)
    first = {(s.segment_id, s.code_id): s for s in _machine_rows(store)}
    scored = score_autocode(store, "zero-shot", embedder=embedder)
    pairs = sorted((s, c) for s, c, _, _ in scored.rows)
    accepted = first[next(p for p in pairs if p[1] == codes["Waiting time"])]
    manual = next(p for p in pairs if p[1] == codes["Portal failures"])
    assert codes["Informal payments"] in {c for _, c in pairs}

    with store.write() as session:   # meanwhile, in another transaction: people decide, a code is archived
        project = get_project(session)
        aigerim = coder_named(session, project, "Aigerim")
        decide(session, project, aigerim, accepted.id, accept=True)
        apply_code(session, project, aigerim, *manual)
        archive_code(session, project, "Informal payments")
    result = write_scored(store, scored)

    after = _machine_rows(store)
    def on(pair):
        return [s.id for s in after if (s.segment_id, s.code_id) == pair]
    assert on((accepted.segment_id, accepted.code_id)) == [accepted.id]   # the decided one, no fresh one
    assert on(manual) == []
    assert not [s for s in after if s.code_id == codes["Informal payments"]]
    assert result["suggestions"] == len(after) - 1 == len(pairs) - 3
    again = {(s.segment_id, s.code_id): s.id for s in after if (s.segment_id, s.code_id) in first}
    assert again and all(first[pair].id == i for pair, i in again.items())   # suggested again: the same row


def test_a_run_skips_a_code_removed_after_it_scored(store, embedder):
    codes = _group(store)
    scored = score_autocode(store, "zero-shot", embedder=embedder)
    assert codes["Informal payments"] in {c for _, c, _, _ in scored.rows}
    book, warnings = read_codebook_file(CODEBOOK)
    book.codes = [c for c in book.codes if c.name != "Informal payments"]
    with store.write() as session:   # a reload without the code removes it (nobody has coded it)
        report = load_codebook(session, get_project(session), book, warnings)
    assert report.removed == ["Informal payments"]
    result = write_scored(store, scored)   # no foreign-key error
    after = _machine_rows(store)
    assert after and result["suggestions"] == len(after) == len(scored.rows) - 1
    assert codes["Informal payments"] not in {s.code_id for s in after}


def test_a_run_under_blind_coding_skips_only_its_owners_decisions(store, embedder):
    _group(store)
    with store.write() as session:
        set_blind_mode(session, get_project(session), True)
    scored = score_autocode(store, "zero-shot", Scope(coder="Aigerim"), embedder=embedder)
    mine, theirs = sorted({(s, c) for s, c, _, _ in scored.rows})[:2]
    with store.write() as session:
        project = get_project(session)
        apply_code(session, project, coder_named(session, project, "Aigerim"), *mine)
        apply_code(session, project, coder_named(session, project, "Bolat"), *theirs)
    write_scored(store, scored)
    with store.read() as session:
        written = {(c.segment_id, c.code_id) for c in session.scalars(
            select(Coding).join(Coder).where(Coder.name == machine_name("Aigerim"), Coding.status == "suggested"))}
    assert mine not in written and theirs in written


def _document_editor(store) -> dict:
    with store.read() as session:
        return dict(session.scalar(select(Document)).attributes)


def _save_document(store, seen: dict, wanted: dict) -> None:
    with store.write() as session:
        project = get_project(session)
        set_document_attributes(session, project, session.scalar(select(Document.id)), wanted, "x", seen=seen)


def test_two_editors_of_document_attributes_keep_each_others_keys(store):
    build_team(store)
    _save_document(store, {}, {"group": "recipients", "site": "Almaty", "date": "2026"})
    first, second = _document_editor(store), _document_editor(store)   # both open the same table
    _save_document(store, first, {**first, "site": "Astana", "moderator": "Dana"})
    renamed = {"cohort" if k == "group" else k: v for k, v in second.items() if k != "date"}
    _save_document(store, second, renamed)   # renames group to cohort, drops date
    assert _document_editor(store) == {"site": "Astana", "moderator": "Dana", "cohort": "recipients"}
    with pytest.raises(QualcodeError, match="needs a name"):
        _save_document(store, first, {"": "x"})


def test_two_editors_of_participants_keep_each_others_cells(store):
    build_team(store)
    with store.read() as session:
        doc = session.scalar(select(Document))
        rows, doc_id = participant_table(doc), doc.id
    index = next(i for i, r in enumerate(rows) if r["role"] == "participant")
    label = rows[index]["label"]
    for edits in ({"edited_rows": {index: {"region": "Almaty"}}},
                  {"edited_rows": {index: {"gender": "f", "role": "participant"}}}):   # both from the same rows
        with store.write() as session:
            for i, cells in changed_cells(rows, edits).items():
                update_participant(session, get_project(session), doc_id, rows[i]["label"], cells, "x")
    with store.read() as session:
        person = session.scalar(select(Participant).where(Participant.document_id == doc_id,
                                                          Participant.label == label))
        assert person.attributes == {"region": "Almaty", "gender": "f"}


def test_resolve_refuses_a_segment_that_is_not_in_the_project(store, capsys):
    segs, _ = build_team(store)
    with store.write() as session:
        other = Project(name="other", languages=[], settings={})
        session.add(other)
        session.flush()
        doc = Document(project_id=other.id, name="elsewhere", source_name="x", format="txt", sha256="0" * 64,
                       text="Someone: elsewhere.", language="en", unit="turn", attributes={})
        session.add(doc)
        session.flush()
        turn = Turn(document_id=doc.id, order=0, start=0, end=len(doc.text), language="en")
        session.add(turn)
        session.flush()
        foreign = Segment(document_id=doc.id, turn_id=turn.id, order=0, start=0, end=len(doc.text), unit="turn")
        session.add(foreign)
        session.flush()
        foreign_id = foreign.id
    for segment_id in (foreign_id, max(segs + [foreign_id]) + 1000):   # another project's, and none at all
        with pytest.raises(QualcodeError, match=rf"^no segment {segment_id} in project 'default'$"), \
                store.write() as session:
            resolve(session, get_project(session), segment_id, ["Aigerim", "Bolat"], "a")
    assert main(["resolve", "--db", store.url, str(foreign_id), "--coders", "Aigerim", "Bolat", "--take", "a"]) == 1
    assert capsys.readouterr().err == f"qualcode: error: no segment {foreign_id} in project 'default'\n"
    with store.write() as session:   # a segment of the project still resolves
        assert resolve(session, get_project(session), segs[4], ["Aigerim", "Bolat"], "both") == \
            ["Portal failures", "Waiting time"]
