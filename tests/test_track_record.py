"""What a person can trust about the machine's suggestions, on a real SQLite store: each code's track record (the
latest decided suggestions, accepted or not), the last run's calibration and group lines, the target precision, and
the exclusive groups recomputed with their parents — with Kazakh code names. Runs use a hash embedder (no model)."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import select

from qualcode.refi.codebook_files import read_codebook_file
from qualcode.codebook.codes import add_code, load_codebook, set_exclusive
from qualcode.coding import apply_code, decide, undo_last
from qualcode.common.errors import QualcodeError
from qualcode.ingest.importer import ImportOptions, import_files
from qualcode.store.model import Event, Project
from qualcode.coding.review import load_review
from qualcode.store import Store, get_project
from qualcode.autocode.suggest import machine_coder, run_autocode, target_precision
from qualcode.autocode.track_record import (Trust, calibration_of, code_table, code_trust, exclusive_groups,
                                   exclusive_groups_report, set_target_precision, track_record)
from tests.review_fixture import DOCUMENT, review_project, write_suggestions
from tests.test_model_choice import HashEmbedder
from tests.test_review import act, code_id, view

KAZAKH = "Кезек күту"          # "waiting in a queue"
GROUPED_DOCUMENT = "топ.txt"
PARENT, QUEUE, PORTAL = "Қызметтер", "Қызметтер/Кезек күту", "Қызметтер/Портал ақаулары"
GROUPED_BOOK = f"""name: Мемлекеттік қызметтер
codes:
  - name: {PARENT}
    children:
      - name: Кезек күту
        definition: ХҚКО-дағы ұзақ кезек және күту.
      - name: Портал ақаулары
        definition: eGov порталы немесе қосымшасы жұмыс істемейді.
  - name: Басқа
    definition: Басқа тақырыптар.
  - name: Other
    definition: Anything else.
"""


@pytest.fixture
def store(tmp_path):
    """The coding-room project plus a Kazakh code with four suggestions (ids 7–10, on segments 1–4)."""
    s = review_project(tmp_path)
    with s.write() as session:
        add_code(session, get_project(session), KAZAKH, definition="ХҚКО-дағы ұзақ кезек.")
    write_suggestions(s, DOCUMENT, [(1, KAZAKH, 0.9), (2, KAZAKH, 0.7), (3, KAZAKH, 0.6), (4, KAZAKH, 0.55)])
    yield from opened(s)


def on_project(store: Store, operation, *args, **kwargs):
    with store.write() as session:
        return operation(session, get_project(session), *args, **kwargs)


def read(store: Store, operation, *args, **kwargs):
    with store.read() as session:
        return operation(session, session.scalars(select(Project)).one(), *args, **kwargs)


def suggestion_ids(store: Store, path: str) -> list[int]:
    review = view(store)
    wanted = code_id(review, path)
    return [p.id for s in review.segments for p in s.pending if p.code_id == wanted]


def test_track_record_counts_each_decided_suggestion_once_by_its_latest_decision(store):
    review = view(store)
    kazakh, waiting, informal = (code_id(review, p) for p in (KAZAKH, "Waiting time", "Informal payments"))
    first, second, third, _ = suggestion_ids(store, KAZAKH)
    act(store, "Bob", decide, first, False)              # Bob rejects, Alice later accepts: hers counts
    act(store, "Alice", decide, first, True)
    act(store, "Alice", decide, second, False)
    act(store, "Alice", decide, third, True, informal)   # accepted as another code: against the suggested one
    act(store, "Alice", decide, suggestion_ids(store, "Waiting time")[0], True)
    act(store, "Alice", apply_code, review.segments[2].id, kazakh)   # a manual coding is no suggestion
    records = read(store, track_record)
    assert records[kazakh] == {"accepted": 1, "rejected": 2, "decided": 3, "precision": 1 / 3}
    assert records[waiting] == {"accepted": 1, "rejected": 0, "decided": 1, "precision": 1.0}
    assert set(records) == {kazakh, waiting}            # nothing decided on the others yet
    # only the machine's latest decided suggestions: the third and second
    assert read(store, track_record, last_n=2)[kazakh] == {"accepted": 0, "rejected": 2, "decided": 2,
                                                           "precision": 0.0}
    act(store, "Alice", undo_last)                      # undoing the manual coding changes nothing
    act(store, "Alice", undo_last)                      # undoing the Waiting time decision drops it
    assert waiting not in read(store, track_record)
    assert view(store).trust_of(kazakh).summary() == "1 of 3 accepted"


def test_no_machine_no_record(tmp_path):
    store = Store(str(tmp_path / "empty.db"))
    with store.write() as session:
        get_project(session)
    assert read(store, track_record) == {} and read(store, calibration_of) == {}
    assert read(store, exclusive_groups_report) == [] and read(store, code_table) == []
    store.close()


def test_trust_lines():
    assert Trust().summary() == "no decisions yet"
    assert Trust(precision=0.8, accepted=12, rejected=3).summary() == "est. precision 0.80 · 12 of 15 accepted"
    assert Trust(precision=0.9, learning=True).summary() == "still learning · no decisions yet"
    assert Trust(accepted=3, rejected=1).observed == 0.75 and Trust().observed is None


def test_a_run_leaves_its_calibration_groups_and_target_for_the_pages(store):
    act(store, "Alice", decide, suggestion_ids(store, KAZAKH)[0], True)
    on_project(store, set_target_precision, 0.9, actor="Alice")
    report = run_autocode(store, "zero-shot", embedder=HashEmbedder())
    review = view(store)
    kazakh = code_id(review, KAZAKH)
    calibrations = read(store, calibration_of)
    assert set(calibrations) == {c.id for c in review.codes.values()} and report["target_precision"] == 0.9
    assert calibrations[kazakh]["engine"] == "zero-shot" and calibrations[kazakh]["learning"]
    assert read(store, exclusive_groups_report) == report["groups"] == [g.line for g in read(store, exclusive_groups)]
    with store.read() as session:
        assert machine_coder(session, get_project(session).id, "zero-shot").settings["target_precision"] == 0.9
    trust = read(store, code_trust)[kazakh]
    assert (trust.accepted, trust.threshold) == (1, calibrations[kazakh]["threshold"])
    assert review.trust_of(kazakh).summary() == "still learning · 1 of 1 accepted"
    rows = {r["code"]: r for r in read(store, code_table)}
    assert rows[KAZAKH]["track record"] == "1 of 1 accepted" and rows[KAZAKH]["observed precision"] == 1.0
    assert rows["Portal failures"]["track record"] == "no decisions yet" and rows[KAZAKH]["learning"]


def test_target_precision_is_checked_and_logged(store):
    assert read(store, lambda session, project: target_precision(project)) == 0.8
    for wrong in (0.4, 1.0, 1.2, math.nan, True, "0.9"):
        with pytest.raises(QualcodeError, match="target precision"):
            on_project(store, set_target_precision, wrong)
    assert on_project(store, set_target_precision, 0.5, actor="Alice") == 0.5
    on_project(store, set_target_precision, 0.85)
    assert read(store, lambda session, project: target_precision(project)) == 0.85
    with store.read() as session:
        events = session.scalars(select(Event).where(Event.action == "update", Event.target_kind == "project")
                                 .order_by(Event.id)).all()
    assert [(e.before, e.after) for e in events] == [({"target_precision": None}, {"target_precision": 0.5}),
                                                     ({"target_precision": 0.5}, {"target_precision": 0.85})]
    assert events[0].actor == "Alice"


def grouped_project(folder) -> Store:
    """24 participant turns, a Kazakh codebook with one parent of two codes, each turn coded with one of them."""
    source = folder / GROUPED_DOCUMENT
    source.write_text("Модератор: Қандай қиындықтар болды?\n" + "".join(
        f"{'Айгерим' if i % 2 else 'Ерлан'}: {i}-ші жауап, кезек пен портал туралы.\n" for i in range(24)),
        encoding="utf-8")
    book_file = folder / "book.yaml"
    book_file.write_text(GROUPED_BOOK, encoding="utf-8")
    store = Store(str(folder / "grouped.db"))
    import_files(store, [source], ImportOptions(unit="turn"))
    book, warnings = read_codebook_file(book_file)
    on_project(store, load_codebook, book, warnings)
    review = view_of(store)
    codes = [code_id(review, QUEUE), code_id(review, PORTAL)]
    for i, segment in enumerate(review.segments[1:]):
        act(store, "Alice", apply_code, segment.id, codes[i % 2])
    return store


def view_of(store):
    with store.read() as session:
        return load_review(session, GROUPED_DOCUMENT, "Alice")


def opened(store: Store):
    """A fixture's store, closed after the test."""
    yield store
    store.close()


@pytest.fixture
def grouped(tmp_path):
    yield from opened(grouped_project(tmp_path))


def test_exclusive_groups_name_their_parent_and_follow_what_a_researcher_says(grouped):
    top, services = read(grouped, exclusive_groups)
    assert (top.parent, top.where, top.members, top.exclusive) == (None, "top level", ["Басқа", "Other"], False)
    assert top.line == "not exclusive (too few coded segments to tell): Басқа, Other"
    assert (services.parent, services.members, services.declared) == (PARENT, [QUEUE, PORTAL], None)
    assert services.inferred and services.line.startswith("exclusive (inferred from 24 coded segments")
    # the recomputed lines are the ones the run reports, in the same order
    report = run_autocode(grouped, "zero-shot", embedder=HashEmbedder())
    assert report["groups"] == [top.line, services.line] == read(grouped, exclusive_groups_report)
    on_project(grouped, set_exclusive, services.parent, False)
    overruled = read(grouped, exclusive_groups)[1]
    assert (overruled.declared, overruled.exclusive, overruled.inferred) == (False, False, False)
    assert overruled.line == f"not exclusive (the codebook says so): {QUEUE}, {PORTAL}"
    on_project(grouped, set_exclusive, top.parent, True)
    assert read(grouped, exclusive_groups)[0].line == "exclusive (declared): Басқа, Other"
    on_project(grouped, set_exclusive, services.parent, None)
    assert read(grouped, exclusive_groups)[1].inferred
    review = view_of(grouped)
    act(grouped, "Alice", apply_code, review.segments[1].id, code_id(review, PORTAL))   # both on one segment
    together = read(grouped, exclusive_groups)[1]
    assert not together.inferred and "coders applied two together" in together.line
