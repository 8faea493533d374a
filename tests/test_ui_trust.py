"""Suggestions a person can trust, through AppTest: the coding room shows each open suggestion's estimated precision
and its code's track record beside the score; the Auto-code page shows per-code thresholds and records, sets the
target precision and overrules an inferred exclusive group (Kazakh codes)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qualcode.codebook.codes import CodeTree
from qualcode.store.model import Code, Event
from qualcode.coding.review import load_review
from qualcode.store import Store, get_project
from qualcode.autocode.suggest import machine_coder, run_autocode
from qualcode.autocode.track_record import exclusive_groups
from tests.review_fixture import DOCUMENT, review_project
from tests.test_model_choice import HashEmbedder
from tests.test_track_record import PARENT, QUEUE, grouped_project, opened
from tests.test_ui_apptest import markdown, ok, page, table


def served(store: Store, monkeypatch):
    """The store the app opens in this test."""
    monkeypatch.setenv("QUALCODE_DB", store.url)
    yield from opened(store)


@pytest.fixture
def review_store(tmp_path, monkeypatch):
    yield from served(review_project(tmp_path), monkeypatch)


@pytest.fixture
def grouped(tmp_path, monkeypatch):
    yield from served(grouped_project(tmp_path), monkeypatch)


def plain(at) -> str:
    return " ".join(markdown(at)).replace("\\", "")


def test_the_coding_room_shows_estimated_precision_and_track_record_beside_each_score(review_store):
    with review_store.write() as session:
        project = get_project(session)
        tree = CodeTree(session, project)
        ids = {path: tree.find(path).id for path in ("Waiting time", "Informal payments", "Portal failures")}
        machine_coder(session, project.id, "auto").settings = {"calibration": {
            str(ids["Waiting time"]): {"threshold": 0.5, "precision": 0.8, "learning": False, "decisions": 9,
                                       "engine": "learned"},
            str(ids["Informal payments"]): {"threshold": 0.6, "precision": 0.7, "learning": True, "decisions": 2,
                                            "engine": "learned"}}}
        segments = load_review(session, DOCUMENT, "Alice").segments
    at = ok(page("code_page", doc=DOCUMENT, seg=str(segments[1].id)))
    shown = plain(at)
    assert "**0.91** :gray[· est. precision 0.80 · no decisions yet]" in shown
    assert "**0.55** :gray[· no decisions yet]" in shown            # Portal failures: no estimate
    at.button(key="code.accept").click()                            # Waiting time, accepted
    ok(at.run())
    at = ok(page("code_page", doc=DOCUMENT, seg=str(segments[4].id)))
    shown = plain(at)
    assert "**0.95** :gray[· still learning · no decisions yet]" in shown       # Informal payments
    assert "**0.51** :gray[· est. precision 0.80 · 1 of 1 accepted]" in shown   # Waiting time, now with a record
    assert not at.get("html")


def test_the_autocode_page_shows_what_the_machine_learned_and_takes_a_researchers_word(grouped):
    run_autocode(grouped, "zero-shot", embedder=HashEmbedder())
    with grouped.read() as session:
        parent_id = next(g.parent_id for g in exclusive_groups(session, get_project(session)) if g.parent == PARENT)
    at = ok(page("autocode_page"))
    rows = table(at, "track record")
    assert QUEUE in list(rows["code"]) and set(rows["track record"]) == {"no decisions yet"}
    assert list(rows.columns) == ["code", "threshold", "estimated precision", "learning", "decisions", "engine",
                                  "track record", "observed precision"]
    assert "exclusive (inferred from 24 coded segments" in plain(at) and PARENT in plain(at)
    button = at.button(key=f"autocode.group.{parent_id}")
    assert button.label == "Not exclusive" and at.number_input(key="autocode.target").value == 0.8
    button.click()
    ok(at.run())
    with grouped.read() as session:
        assert session.scalar(select(Code.exclusive).where(Code.name == PARENT)) is False
    assert "the codebook says so" in plain(at) and "At the last run:" in plain(at)
    at.button(key=f"autocode.group.{parent_id}").click()         # now "Not said": back to inferring
    ok(at.run())
    with grouped.read() as session:
        assert session.scalar(select(Code.exclusive).where(Code.name == PARENT)) is None
    at.number_input(key="autocode.target").set_value(0.9)
    ok(at.run())
    with grouped.read() as session:
        assert get_project(session).settings["target_precision"] == 0.9
        event = session.scalars(select(Event).where(Event.action == "update", Event.target_kind == "project")).one()
    assert event.after == {"target_precision": 0.9} and event.actor == "Alice"
