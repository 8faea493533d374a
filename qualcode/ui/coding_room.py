"""The coding room: the transcript page by page beside the segment being coded, in one fragment.

A decision reruns only this fragment: the callbacks write it to the store at
once (`qualcode.coding` / `qualcode.coding.review`), then the fragment reads the
document back, so what is shown is what is stored. The cursor (the segment
being coded) is kept in the URL too, so a refresh returns to it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qualcode.coding import decide, remove_coding, set_memo, undo_last
from qualcode.common.display import badge, format_time, markdown_escape
from qualcode.recording.editing import recording_of
from qualcode.coding.review import (Filters, Review, ReviewSegment, accept_all, after_decision, bulk_candidates,
                             code_next, code_segment, filter_segments, load_review, palette, place_cursor,
                             recent_codes, span_for_quote, step)
from qualcode.ui.state import INFO, UNDONE, attempt, coder_name, coding, flash, show_flash, store

CURSOR, ORDER, ADVANCE = "code.cursor", "code.order", "code.advance"
QUOTE, PALETTE, PAGE_SIZE = "code.quote", "code.palette", "code.page_size"
PAGE_SIZES = (10, 15, 25, 50)
CONTEXT = 1          # segments shown above the one being coded


# --- callbacks: each writes one decision, then the fragment reruns ------------------------------------

def _select(segment_id: int) -> None:
    st.session_state[CURSOR] = segment_id
    st.session_state[QUOTE] = ""


def _move(offset: int) -> None:
    _select(step(st.session_state.get(ORDER, []), st.session_state.get(CURSOR), offset))


def _span(review: Review, segment: ReviewSegment) -> tuple[int, int] | None:
    quote = st.session_state.get(QUOTE, "")
    return span_for_quote(review, segment, quote) if quote.strip() else None


def _decided() -> None:
    st.session_state[ADVANCE] = True
    st.session_state[QUOTE] = ""


def _as_coder(operation, *args):
    """One coding operation for the current coder, in its own write transaction (stored at once)."""
    with coding() as (session, project, coder):
        return operation(session, project, coder, *args)


def _decide(review: Review, segment: ReviewSegment, suggestion_id: int, accept: bool,
            code_id: int | None = None) -> None:
    def run() -> None:
        span = _span(review, segment) if accept else None
        _as_coder(decide, suggestion_id, accept, code_id, *(span or (None, None)))
        _decided()
    attempt(run)


def _apply(review: Review, segment: ReviewSegment, code_id: int) -> None:
    def run() -> None:
        _as_coder(code_segment, segment, code_id, _span(review, segment))
        _decided()
    attempt(run, done=f"Coded {review.codes[code_id].path}")


def _from_palette(review: Review, segment: ReviewSegment) -> None:
    code_id = st.session_state.get(PALETTE)
    st.session_state[PALETTE] = None
    if code_id is not None:
        _apply(review, segment, code_id)


def _accept_as(review: Review, segment: ReviewSegment, suggestion_id: int, key: str) -> None:
    code_id = st.session_state.get(key)
    st.session_state[key] = None
    if code_id is not None:
        _decide(review, segment, suggestion_id, True, code_id)


def _remove(coding_id: int) -> None:
    attempt(_as_coder, remove_coding, coding_id, done="Coding removed")


def _memo(coding_id: int, key: str) -> None:
    attempt(_as_coder, set_memo, coding_id, st.session_state.get(key, ""), done="Memo saved")


def _undo() -> None:
    def run() -> None:
        undone = _as_coder(undo_last)
        if undone is None:
            flash("Nothing to undo", INFO)
            return
        if undone["segment_id"] is not None:
            st.session_state[CURSOR] = undone["segment_id"]
        flash(f"Undid your last {undone['status']} coding", UNDONE)
    attempt(run)


def _bulk(ids: list[int]) -> None:
    def run() -> None:
        result = _as_coder(accept_all, ids)
        skipped = f"; {len(result['skipped'])} were decided meanwhile" if result["skipped"] else ""
        flash(f"Accepted {result['accepted']} suggestions{skipped}")
    attempt(run)


# --- drawing --------------------------------------------------------------------------------------

def _name(review: Review, code_id: int) -> str:
    return review.codes[code_id].path.rpartition("/")[2]


def _chips(review: Review, segment: ReviewSegment) -> str:
    """Codes as coloured chips, other coders' with their name, then open suggestions with their score."""
    chips = [badge(_name(review, c.code_id) + ("" if c.mine else f" · {c.coder}") + (" ✂" if c.partial else ""),
                   review.codes[c.code_id].color) for c in segment.chips]
    chips += [f":gray-badge[{markdown_escape(f'? {_name(review, p.code_id)} {p.score:.2f}')}]" for p in segment.pending]
    return " ".join(chips)


def _transcript(review: Review, segments: list[ReviewSegment], cursor: int) -> None:
    size = st.session_state.get(PAGE_SIZE, PAGE_SIZES[1])
    index = next(i for i, s in enumerate(segments) if s.id == cursor)
    first = max(0, min(index - CONTEXT, len(segments) - size))     # the page follows the cursor
    shown = segments[first:first + size]
    with st.container(height=640, border=False):
        previous_turn = None
        for segment in shown:
            if segment.turn_start != previous_turn:
                who = markdown_escape(segment.speaker or "—")
                role = " · moderator" if segment.role == "moderator" else ""
                st.markdown(f"**{who}** :gray[{markdown_escape(format_time(segment.time))}{role}]")
                previous_turn = segment.turn_start
            pick, body = st.columns([1, 14], gap="small")
            current = segment.id == cursor
            pick.button("", key=f"code.pick.{segment.id}", icon=":material/edit:" if current else
                        ":material/chevron_right:", type="primary" if current else "tertiary",
                        on_click=_select, args=(segment.id,), help=f"Code segment {segment.order + 1}")
            with body:
                st.text(segment.text)
                chips = _chips(review, segment)
                if chips:
                    st.markdown(chips)
    back, where, forward, size_box = st.columns([1, 4, 1, 3], vertical_alignment="center")
    back.button("", icon=":material/arrow_back:", key="code.page.back", disabled=first == 0, help="Previous page",
                on_click=_select, args=(segments[max(first - size + CONTEXT, 0)].id,))
    where.caption(f"Segments {first + 1}–{first + len(shown)} of {len(segments)} shown")
    forward.button("", icon=":material/arrow_forward:", key="code.page.next", disabled=first + size >= len(segments),
                   help="Next page", on_click=_select, args=(segments[min(first + size, len(segments) - 1)].id,))
    size_box.selectbox("Per page", PAGE_SIZES, index=PAGE_SIZES.index(size), key=PAGE_SIZE,
                       format_func=lambda n: f"{n} per page", label_visibility="collapsed")


def _actions(review: Review, segment: ReviewSegment) -> None:
    top = segment.pending[0] if segment.pending else None
    label = f" {markdown_escape(_name(review, top.code_id))}" if top else ""
    decide_row = st.columns(2)
    decide_row[0].button(f"Accept{label}", key="code.accept", shortcut="a", type="primary", disabled=top is None,
                         icon=":material/check:", width="stretch",
                         on_click=_decide, args=(review, segment, top.id if top else 0, True))
    decide_row[1].button(f"Reject{label}", key="code.reject", shortcut="x", disabled=top is None,
                         icon=":material/close:", width="stretch",
                         on_click=_decide, args=(review, segment, top.id if top else 0, False))
    move_row = st.columns(3)
    move_row[0].button("Previous", key="code.prev", shortcut="k", icon=":material/arrow_upward:", on_click=_move,
                       args=(-1,), width="stretch")
    move_row[1].button("Next", key="code.next", shortcut="j", icon=":material/arrow_downward:", on_click=_move,
                       args=(1,), width="stretch")
    move_row[2].button("Undo", key="code.undo", shortcut="z", icon=":material/undo:", on_click=_undo,
                       help="Take back your last decision", width="stretch")


def _suggestions(review: Review, segment: ReviewSegment) -> None:
    if not segment.pending:
        return
    st.markdown("**Suggestions**")
    codes = {c.id: c.path for c in palette(review)}
    for suggestion in segment.pending:
        with st.container(border=True):
            text, yes, no, other = st.columns([7, 1, 1, 1], vertical_alignment="center")
            trust = review.trust_of(suggestion.code_id).summary()
            text.markdown(f"{badge(review.codes[suggestion.code_id].path, review.codes[suggestion.code_id].color)} "
                          f"**{suggestion.score:.2f}** :gray[· {markdown_escape(trust)}]")
            text.caption(markdown_escape(suggestion.reason))
            yes.button("", key=f"code.yes.{suggestion.id}", icon=":material/check:", help="Accept",
                       on_click=_decide, args=(review, segment, suggestion.id, True))
            no.button("", key=f"code.no.{suggestion.id}", icon=":material/close:", help="Reject",
                      on_click=_decide, args=(review, segment, suggestion.id, False))
            with other.popover("", icon=":material/swap_horiz:", help="Accept as another code"):
                key = f"code.as.{suggestion.id}"
                st.selectbox("Accept as", list(codes), format_func=codes.__getitem__, index=None, key=key,
                             placeholder="Type to find a code…", on_change=_accept_as,
                             args=(review, segment, suggestion.id, key))


def _codes(review: Review, segment: ReviewSegment) -> None:
    if not segment.chips:
        return
    st.markdown("**Codes**")
    for chip in segment.chips:
        info = review.codes[chip.code_id]
        line, memo, remove = st.columns([8, 1, 1], vertical_alignment="center")
        who = "" if chip.mine else f" · {chip.coder}"
        line.markdown(badge(info.path + who, info.color))
        if chip.partial:
            line.caption(markdown_escape(f"«{review.text[chip.start:chip.end]}»"))
        if chip.memo:
            line.caption(markdown_escape(f"Memo: {chip.memo}"))
        if not chip.mine:
            continue
        with memo.popover("", icon=":material/sticky_note_2:", help="Memo"):
            key = f"code.memo.{chip.coding_id}"
            st.text_area("Memo", chip.memo or "", key=key)
            st.button("Save memo", key=f"{key}.save", on_click=_memo, args=(chip.coding_id, key))
        remove.button("", key=f"code.remove.{chip.coding_id}", icon=":material/delete:", help="Remove this coding",
                      on_click=_remove, args=(chip.coding_id,))


def _add(review: Review, segment: ReviewSegment) -> None:
    codes = {c.id: c.path for c in palette(review)}
    st.selectbox("Add a code", list(codes), format_func=codes.__getitem__, index=None, key=PALETTE,
                 placeholder="Type to find a code…", on_change=_from_palette, args=(review, segment))
    st.text_input("Only these words", key=QUOTE, placeholder="Paste words from the segment (or its turn) to "
                  "narrow or widen the span; empty = whole segment")
    with store().read() as session:
        recent = recent_codes(session, review)
    grid = st.columns(3)
    for number, code_id in enumerate(recent, start=1):
        grid[(number - 1) % 3].button(markdown_escape(_name(review, code_id)), key=f"code.recent.{number}",
                                      shortcut=str(number), width="stretch", on_click=_apply,
                                      args=(review, segment, code_id), help=review.codes[code_id].path)


def _listen(review: Review, segment: ReviewSegment) -> None:
    """A turn with a time plays from that time, when the document's recording is beside the project."""
    if segment.time is None:
        return
    with store().read() as session:
        recording = recording_of(session, review.document)
    if recording:
        st.audio(recording, start_time=int(segment.time))


def _inspector(review: Review, segment: ReviewSegment, position: int, total: int) -> None:
    with st.container(border=True):
        who = markdown_escape(segment.speaker or "—")
        st.markdown(f"**{who}** :gray[{markdown_escape(format_time(segment.time))} · segment {segment.order + 1}"
                    f" · {position + 1} of {total} shown]")
        st.text(segment.text)
        _listen(review, segment)
        if segment.rejected:
            st.caption("You rejected: " + markdown_escape(", ".join(_name(review, c) for c in segment.rejected)))
    _actions(review, segment)
    _suggestions(review, segment)
    _codes(review, segment)
    _add(review, segment)


def _bulk_panel(review: Review) -> None:
    counts: dict[int, int] = {}
    for s in review.segments:
        for p in s.pending:
            counts[p.code_id] = counts.get(p.code_id, 0) + 1
    if not counts:
        return
    panel = st.expander("Bulk accept one code's suggestions", icon=":material/done_all:", key="code.bulk.open",
                        on_change="rerun")
    if not panel.open:                      # drawn only when opened: it reads every open suggestion
        return
    with panel:
        pick, score = st.columns([3, 2])
        code_id = pick.selectbox("Code", sorted(counts, key=lambda c: review.codes[c].path),
                                 format_func=lambda c: f"{review.codes[c].path} ({counts[c]})", key="code.bulk.code")
        threshold = score.slider("Score at least", 0.0, 1.0, 0.8, 0.01, key="code.bulk.score")
        found = bulk_candidates(review, code_id, threshold)
        st.dataframe(pd.DataFrame([{"score": p.score, "speaker": s.speaker or "", "segment": s.text,
                                    "reason": p.reason} for s, p in found],
                                  columns=["score", "speaker", "segment", "reason"]),
                     hide_index=True, width="stretch", height=220)
        st.button(f"Accept these {len(found)}", key="code.bulk.accept", disabled=not found, type="primary",
                  on_click=_bulk, args=([p.id for _, p in found],))


def _place(review: Review, order: list[int]) -> int | None:
    """The cursor for this run: after a decision it moves on; it always points at a shown segment."""
    cursor = st.session_state.get(CURSOR)
    if cursor is None and st.query_params.get("seg", "").isdigit():
        cursor = int(st.query_params["seg"])
    previous = st.session_state.get(ORDER, order)
    if st.session_state.pop(ADVANCE, False) and cursor in review:
        cursor = after_decision(review, previous, cursor)
    cursor = place_cursor(order, previous, cursor)
    st.session_state[CURSOR], st.session_state[ORDER] = cursor, order
    if cursor is not None:
        st.query_params["seg"] = str(cursor)
    return cursor


@st.fragment
def room(document: str, filters: Filters, by_learning: bool) -> None:
    """Everything a decision changes: progress, the transcript page, the segment being coded."""
    show_flash()
    with store().read() as session:
        review = load_review(session, document, coder_name())
    segments = filter_segments(review, filters)
    if by_learning:
        segments = code_next(review, segments)
    order = [s.id for s in segments]
    cursor = _place(review, order)
    progress = review.progress()
    st.progress(progress.fraction, text=f"{progress.decided} of {progress.total} segments decided · "
                                         f"{progress.coded} coded by you · {progress.pending} suggestions open")
    if cursor is None:
        st.info("No segment matches these filters.")
        return
    left, right = st.columns([6, 5], gap="medium")
    with left:
        _bulk_panel(review)
        _transcript(review, segments, cursor)
    with right:
        _inspector(review, review.segment(cursor), order.index(cursor), len(order))
