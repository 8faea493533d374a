"""The coding room's model: what a coder sees of a document, filters, the queue, bulk accept, the cursor."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qualcode.coding import apply_code, coder_named, decide, set_memo, undo_last
from qualcode.common.errors import QualcodeError
from qualcode.ingest.importer import ImportOptions, import_files
from qualcode.store.model import Coding, Event
from qualcode.coding.review import (Filters, accept_all, after_decision, blind_mode, bulk_candidates, code_next,
                             code_segment, document_progress, filter_options, filter_segments, load_review,
                             place_cursor, recent_codes, set_blind_mode, span_for_quote, step)
from qualcode.store import Store, get_project
from tests.review_fixture import BRIBE, DOCUMENT, HOSTILE, PORTAL, WAITING, review_project, write_suggestions


@pytest.fixture
def store(tmp_path):
    s = review_project(tmp_path)
    yield s
    s.close()


def view(store, coder="Alice", blind=None):
    with store.read() as session:
        return load_review(session, DOCUMENT, coder, blind)


def paths(review, segment):
    return [review.codes[p.code_id].path for p in segment.pending]


def code_id(review, path):
    return next(c.id for c in review.codes.values() if c.path == path)


def act(store, coder, operation, *args, **kwargs):
    with store.write() as session:
        project = get_project(session)
        return operation(session, project, coder_named(session, project, coder), *args, **kwargs)


def test_segments_carry_speaker_text_and_pending_suggestions_best_first(store):
    review = view(store)
    assert [s.speaker for s in review.segments] == ["Модератор", "Айгерим", "Ерлан", "Айгерим", "Ерлан", "Модератор"]
    assert [s.text for s in review.segments[1:5]] == [WAITING, PORTAL, HOSTILE, BRIBE]
    assert review.segments[0].role == "moderator"
    assert paths(review, review.segments[1]) == ["Waiting time", "Portal failures"]
    assert paths(review, review.segments[4]) == ["Informal payments", "Waiting time"]
    assert review.segments[1].pending[0].reason.startswith("matches")
    progress = review.progress()
    assert (progress.decided, progress.total, progress.pending, progress.coded) == (0, 6, 6, 0)
    assert review.speakers == ["Модератор", "Айгерим", "Ерлан"]


def test_accept_and_reject_leave_the_pending_list_and_count_as_decided(store):
    review = view(store)
    first, second = review.segments[1].pending
    act(store, "Alice", decide, first.id, True)
    review = view(store)
    segment = review.segments[1]
    assert [review.codes[c.code_id].path for c in segment.chips] == ["Waiting time"]
    assert segment.chips[0].mine and not segment.chips[0].partial
    assert paths(review, segment) == ["Portal failures"] and segment.status == "pending" and not segment.decided
    act(store, "Alice", decide, second.id, False)
    review = view(store)
    segment = review.segments[1]
    assert segment.pending == [] and segment.decided and segment.status == "coded"
    assert [review.codes[c].path for c in segment.rejected] == ["Portal failures"]
    assert review.progress().decided == 1
    # Bob has decided nothing: the same suggestions are still open for him
    assert paths(view(store, "Bob"), view(store, "Bob").segments[1]) == ["Waiting time", "Portal failures"]


def test_blind_mode_hides_other_coders_codings(store):
    review = view(store)
    act(store, "Bob", apply_code, review.segments[2].id, code_id(review, "Portal failures"))
    seen = view(store, "Alice", blind=False).segments[2].chips
    assert [(c.coder, c.mine) for c in seen] == [("Bob", False)]
    assert view(store, "Alice", blind=True).segments[2].chips == []
    with store.write() as session:
        set_blind_mode(session, get_project(session), True, "lead")
    with store.read() as session:
        assert blind_mode(get_project(session))
        assert session.scalars(select(Event).where(Event.action == "update", Event.target_kind == "project")).one()
    assert view(store, "Alice").blind and view(store, "Alice").segments[2].chips == []
    assert [c.coder for c in view(store, "Bob").segments[2].chips] == ["Bob"]


def test_filters_by_speaker_status_code_score_and_words(store):
    review = view(store)
    act(store, "Alice", decide, review.segments[2].pending[0].id, True)
    review = view(store)
    orders = lambda filters: [s.order for s in filter_segments(review, filters)]  # noqa: E731
    assert orders(Filters()) == [0, 1, 2, 3, 4, 5]
    assert orders(Filters(speakers={"Ерлан"})) == [2, 4]
    assert orders(Filters(status="pending")) == [1, 3, 4]
    assert orders(Filters(status="coded")) == [2]
    assert orders(Filters(status="decided")) == [2]
    assert orders(Filters(status="uncoded")) == [0, 5]
    assert orders(Filters(codes={code_id(review, "Informal payments")})) == [3, 4]
    assert orders(Filters(codes={code_id(review, "Portal failures")})) == [1, 2]   # suggested, and coded
    assert orders(Filters(min_score=0.9)) == [1, 4]
    assert orders(Filters(text="eGov  ЧАСТО")) == [2]
    assert orders(Filters(speakers={"Айгерим"}, min_score=0.9)) == [1]
    assert orders(Filters(hide_moderator=True)) == [1, 2, 3, 4]


def test_code_next_puts_the_most_uncertain_segment_first(store):
    review = view(store)
    queue = [s.order for s in code_next(review, review.segments)]
    # 0.55 (segment 1) and 0.51 (segment 4) sit nearest 0.5; moderator turns have nothing open
    assert queue[:2] == [4, 1] and set(queue) == {1, 2, 3, 4}
    assert code_next(review, [review.segments[0]]) == []


def test_bulk_accept_takes_exactly_the_previewed_suggestions(store):
    review = view(store)
    informal = code_id(review, "Informal payments")
    found = bulk_candidates(review, informal, 0.6)
    assert [(s.order, p.score) for s, p in found] == [(4, 0.95), (3, 0.62)]
    assert [s.order for s, _ in bulk_candidates(review, informal, 0.9)] == [4]
    ids = [p.id for _, p in found]
    act(store, "Alice", decide, ids[1], False)           # decided in another tab meanwhile
    result = act(store, "Alice", accept_all, ids)
    assert result == {"accepted": 1, "skipped": [ids[1]]}
    review = view(store)
    assert [review.codes[c.code_id].path for c in review.segments[4].chips] == ["Informal payments"]
    assert review.segments[3].chips == []


def test_code_segment_accepts_a_matching_suggestion_else_codes_by_hand(store):
    review = view(store)
    waiting, informal = code_id(review, "Waiting time"), code_id(review, "Informal payments")
    by_suggestion = act(store, "Alice", code_segment, review.segments[1], waiting)
    assert by_suggestion.status == "accepted" and by_suggestion.based_on_id == review.segments[1].pending[0].id
    manual = act(store, "Alice", code_segment, review.segments[2], informal)
    assert manual.status == "manual" and manual.based_on_id is None
    review = view(store)
    assert paths(review, review.segments[1]) == ["Portal failures"]


def test_a_quote_narrows_the_span_and_a_wider_one_stays_within_the_turn(tmp_path):
    store = review_project(tmp_path, "sentences.db")
    with store.read() as session:
        review = load_review(session, DOCUMENT, "Alice")
    segment = review.segments[1]
    start, end = span_for_quote(review, segment, "простояла в\n очереди")
    assert review.text[start:end] == "простояла в очереди" and segment.start < start < end < segment.end
    with pytest.raises(QualcodeError, match="not in this segment"):
        span_for_quote(review, segment, "Портал eGov")          # the next turn: not this one
    with pytest.raises(QualcodeError):
        span_for_quote(review, segment, "   ")
    accepted = act(store, "Alice", decide, segment.pending[0].id, True, None, start, end)
    with store.read() as session:
        chip = load_review(session, DOCUMENT, "Alice").segments[1].chips[0]
    assert (chip.start, chip.end, chip.partial) == (start, end, True) and accepted.status == "accepted"


def test_widening_reaches_the_rest_of_the_turn(tmp_path):
    source = tmp_path / DOCUMENT
    source.write_text("Айгерим: Первое предложение. Второе предложение про очередь.\nЕрлан: Да.\n"
                      "Айгерим: Всё.\nЕрлан: Нет.\n", encoding="utf-8")
    store = Store(str(tmp_path / "wide.db"))
    import_files(store, [source], ImportOptions(unit="sentence"))
    with store.read() as session:
        review = load_review(session, DOCUMENT, "Alice")
    first = review.segments[0]
    assert first.text == "Первое предложение."
    start, end = span_for_quote(review, first, "Первое предложение. Второе")
    assert start == first.start and end > first.end


def test_cursor_moves_on_after_a_decision_and_stays_on_shown_segments(store):
    review = view(store)
    order = [s.id for s in review.segments]
    ids = {s.order: s.id for s in review.segments}
    assert step(order, ids[1], 1) == ids[2] and step(order, ids[0], -1) == ids[0] and step(order, 999, 1) == ids[0]
    assert step([], None, 1) is None
    assert after_decision(review, order, ids[1]) == ids[1]            # still has open suggestions
    act(store, "Alice", decide, review.segments[2].pending[0].id, True)
    review = view(store)
    assert after_decision(review, order, ids[2]) == ids[3]            # next segment with something open
    assert after_decision(review, order, ids[5]) == ids[5]            # nothing further: stay
    pending_only = [s.id for s in filter_segments(review, Filters(status="pending"))]
    assert place_cursor(pending_only, order, ids[2]) == ids[3]        # filtered away: the next shown one
    assert place_cursor(pending_only, order, ids[1]) == ids[1]
    assert place_cursor([], order, ids[1]) is None
    assert place_cursor(pending_only, [], 12345) == pending_only[0]


def test_recent_codes_come_first_then_the_codebook_order(store):
    review = view(store)
    with store.read() as session:
        assert [review.codes[c].path for c in recent_codes(session, review)] == \
            ["Informal payments", "Portal failures", "Waiting time"]
    act(store, "Alice", apply_code, review.segments[2].id, code_id(review, "Waiting time"))
    with store.read() as session:
        assert [review.codes[c].path for c in recent_codes(session, review, limit=2)] == \
            ["Waiting time", "Informal payments"]


def test_filter_options_and_document_progress(store):
    review = view(store)
    act(store, "Alice", decide, review.segments[1].pending[0].id, True)
    act(store, "Alice", decide, review.segments[1].pending[1].id, False)
    with store.read() as session:
        speakers, codes = filter_options(session, DOCUMENT)
        progress = document_progress(session, get_project(session), "Alice")
    assert speakers == ["Модератор", "Айгерим", "Ерлан"]
    assert [c.path for c in codes] == ["Informal payments", "Portal failures", "Waiting time"]
    assert progress == {DOCUMENT: {"suggestions": 6, "decisions": 2, "coded segments": 1}}


def test_memo_and_undo_are_logged(store):
    review = view(store)
    accepted = act(store, "Alice", decide, review.segments[1].pending[0].id, True)
    act(store, "Alice", set_memo, accepted.id, "  queue at the centre ")
    assert view(store).segments[1].chips[0].memo == "queue at the centre"
    with pytest.raises(QualcodeError, match="not Bob's"):
        act(store, "Bob", set_memo, accepted.id, "mine now")
    undone = act(store, "Alice", undo_last)
    assert undone["status"] == "accepted" and undone["segment_id"] == review.segments[1].id
    assert paths(view(store), view(store).segments[1]) == ["Waiting time", "Portal failures"]
    with store.read() as session:
        actions = list(session.scalars(select(Event.action).where(Event.target_kind == "coding")))
    assert actions == ["accept", "memo", "remove"]


def test_a_rerun_of_the_machine_keeps_decided_suggestions_visible_as_decided(store):
    review = view(store)
    act(store, "Alice", decide, review.segments[4].pending[0].id, True)
    write_suggestions(store, DOCUMENT, [(4, "Informal payments", 0.97)])   # the machine suggests it again
    segment = view(store).segments[4]
    assert paths(view(store), segment) == ["Waiting time"]                  # already coded: not pending twice
    with store.read() as session:
        assert session.scalar(select(Coding.id).where(Coding.status == "accepted")) is not None
