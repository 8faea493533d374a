"""The consistency audit's review queue on the Code page. Thin: the queue and every decision are
qualcode.assistant.audit's (`run_audit`, `decide_item`); nothing changes until the person decides."""

from __future__ import annotations

import streamlit as st

from qualcode.assistant.audit import decide_item, run_audit
from qualcode.common.display import format_time, markdown_escape
from qualcode.ui.state import attempt, store, visible

ITEMS = "audit.items"
SHOWN = 20


def _run() -> None:
    st.session_state[ITEMS] = attempt(run_audit, store(), visible(), limit=200) or []


def _decide(coder: str, item: dict, action: str) -> None:
    """Callback: the decision, then the item leaves the queue on screen."""
    if attempt(decide_item, store(), coder, item["segment"], item["code_id"], action, done="Saved"):
        st.session_state[ITEMS] = [i for i in st.session_state.get(ITEMS, [])
                                   if (i["segment"], i["code_id"]) != (item["segment"], item["code_id"])]


def render(coder: str) -> None:
    with st.expander("Consistency audit: codings unlike their code, uncoded turns like it"):
        st.caption("A model trained on the other codings of each code scores every segment it did not see; "
                   "items far from their code's norm are listed, farthest first. Nothing changes until you decide.")
        st.button("Run the audit", key="audit.run", on_click=_run)
        items = st.session_state.get(ITEMS)
        if items is None:
            return
        if not items:
            st.info("Nothing to review: every coding sits near its code's norm.")
        for item in items[:SHOWN]:
            key = f"{item['segment']}.{item['code_id']}"
            st.markdown(f"**{markdown_escape(item['kind'])}: {markdown_escape(item['code'])}**")
            st.markdown(f"> {markdown_escape(item['text'])}")
            st.caption(markdown_escape(" · ".join(x for x in (item["speaker"] or "unknown speaker", item["document"],
                                                                 format_time(item["time"])) if x)))
            st.caption(markdown_escape(item["reason"]))
            keep, change = st.columns(2)
            keep.button("Keep as it is", key=f"audit.keep.{key}", on_click=_decide, args=(coder, item, "keep"))
            action, label = ("remove", "Remove my coding") if item["coded"] else ("apply", "Apply the code")
            change.button(label, key=f"audit.{action}.{key}", on_click=_decide, args=(coder, item, action))
