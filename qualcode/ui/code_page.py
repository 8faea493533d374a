"""Code: the main room. Pick a document and filters here; the room itself (`coding_room`) is a fragment."""

from __future__ import annotations

import streamlit as st

from qualcode.common.display import markdown_escape
from qualcode.ingest.documents import document_names
from qualcode.coding.review import STATUSES, Filters, filter_options
from qualcode.ui import audit_queue, coding_room
from qualcode.ui.state import coder_name, store

ORDERS = ("Transcript", "Code next")
KEYS = "**A** accept · **X** reject · **J**/**K** next/previous · **1–9** recent codes · **Z** undo"


def _documents() -> list[str]:
    with store().read() as session:
        return document_names(session)


def _filters(document: str) -> tuple[Filters, bool]:
    """The filter panel (in the sidebar); returns the filters and whether to order by active learning."""
    with store().read() as session:
        speakers, codes = filter_options(session, document)
    paths = {c.id: c.path for c in codes}
    st.divider()
    order = st.segmented_control("Order", ORDERS, default=ORDERS[0], key="code.f.order",
                                 help="Code next: segments whose decision teaches the auto-coder most come first")
    status = st.segmented_control("Status", STATUSES, key="code.f.status",
                                  help="pending: open suggestions · coded: carries your codes · uncoded: neither · "
                                       "decided: you decided and nothing is open")
    chosen_speakers = st.multiselect("Speaker", speakers, key="code.f.speakers", placeholder="All speakers")
    chosen_codes = st.multiselect("Code", list(paths), format_func=paths.__getitem__, key="code.f.codes",
                                  placeholder="Any code (applied or suggested)")
    min_score = st.slider("Open suggestion scoring at least", 0.0, 1.0, 0.0, 0.05, key="code.f.score")
    text = st.text_input("Words", key="code.f.text", placeholder="Segments containing…")
    hide_moderator = st.toggle("Hide the moderator's turns", key="code.f.moderator")
    return (Filters(codes=set(chosen_codes), speakers=set(chosen_speakers), status=status, min_score=min_score,
                    text=text, hide_moderator=hide_moderator), order == ORDERS[1])


def render() -> None:
    names = _documents()
    coder = coder_name()
    if not names or not coder:
        st.title("Code")
        st.info("No documents yet: import transcripts on the Project page." if not names else
                "Pick who is coding in the sidebar (or type a new name): every decision is stored under it.")
        return
    pick, keys = st.columns([2, 3], vertical_alignment="bottom")
    document = pick.selectbox("Document", names, key="doc", bind="query-params")
    keys.caption(KEYS + f" · coding as **{markdown_escape(coder)}**")
    with st.sidebar:
        filters, by_learning = _filters(document)
    coding_room.room(document, filters, by_learning)
    audit_queue.render(coder)
