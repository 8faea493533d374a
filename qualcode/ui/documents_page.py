"""Documents: what was imported, who spoke, and the units that get coded."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qualcode.display import format_time, markdown_escape
from qualcode.documents import document_detail, get_document, list_documents
from qualcode.ui.state import store


def render() -> None:
    st.title("Documents")
    with store().read() as session:
        docs = list_documents(session)
    if not docs:
        st.info("No documents yet. Import transcripts with `qualcode import FILE…`.")
        return
    table = pd.DataFrame([{"document": d["name"], "format": d["format"], "language": d["language"],
                           "turns": d["turns"], "segments": d["segments"], "speakers": len(d["speakers"]),
                           "moderator": d["moderator"] or "", **{k: str(v) for k, v in d["attributes"].items()}}
                          for d in docs])
    st.dataframe(table, hide_index=True, width="stretch")
    name = st.selectbox("Document", [d["name"] for d in docs], key="documents.selected")
    with store().read() as session:
        detail = document_detail(get_document(session, name))
    speakers_tab, transcript_tab, segments_tab = st.tabs(["Speakers", "Transcript", "Segments"])
    with speakers_tab:
        st.dataframe(pd.DataFrame([{"speaker": label, "role": info["role"], "turns": info["turns"],
                                    **{k: str(v) for k, v in info["attributes"].items()}}
                                   for label, info in detail["speakers"].items()]),
                     hide_index=True, width="stretch")
    with transcript_tab:
        text = detail["text"]
        for turn in detail["turns"][:400]:
            who = markdown_escape(turn["speaker"] or "—")
            when = format_time(turn["start_time"])
            st.markdown(f"**{who}** {markdown_escape(when)}")
            st.text(text[turn["start"]:turn["end"]])
        if len(detail["turns"]) > 400:
            st.caption(f"First 400 of {len(detail['turns'])} turns shown.")
    with segments_tab:
        st.dataframe(pd.DataFrame(detail["segments"])[["id", "turn", "start", "end", "unit", "text"]],
                     hide_index=True, width="stretch")
