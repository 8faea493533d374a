"""Auto-code: run the machine coder over a scope, with live progress; it writes suggestions only."""

from __future__ import annotations

import streamlit as st

from qualcode import autocode
from qualcode.documents import document_names
from qualcode.display import markdown_escape
from qualcode.errors import QualcodeError
from qualcode.review import document_progress
from qualcode.store import find_project
from qualcode.suggest import Scope, run_autocode
from qualcode.ui.state import coder_name, store

ENGINE_HELP = {"auto": "zero-shot from the codebook, blended with what human decisions taught it",
               "zero-shot": "from the codebook only: definitions, criteria and examples",
               "learned": "only from human decisions (needs some accepted, rejected or coded segments)"}


def _run(engine: str, scope: Scope, min_score: float) -> None:
    with st.status("Auto-coding…", expanded=True) as status:
        bar = st.progress(0.0, text="Embedding segments (the model loads on first use)…")

        def advance(done: int, total: int) -> None:
            bar.progress(done / total if total else 1.0, text=f"Embedding segments: {done} of {total} new texts")
        try:
            report = run_autocode(store(), engine, scope, min_score, progress=advance)
        except QualcodeError as err:
            status.update(label="Auto-coding failed", state="error")
            st.error(markdown_escape(str(err)))
            return
        bar.progress(1.0, text="Scored and stored")
        for warning in report["warnings"]:
            st.caption(markdown_escape(warning))
        status.update(label=f"{report['suggestions']} suggestions for {report['segments']} segments in "
                            f"{report['seconds']} s ({report['engine']}, {markdown_escape(report['model'])})",
                      state="complete", expanded=False)


def render() -> None:
    st.title("Auto-code")
    with store().read() as session:
        current = find_project(session)
        names = document_names(session)
        progress = document_progress(session, current, coder_name()) if current else {}
    if not names:
        st.info("No documents yet: import transcripts on the Project page.")
        return
    st.caption("The machine writes suggestions that a person then accepts or rejects on the Code page; it never "
               "changes a human's coding. A new run replaces only the suggestions nobody has decided on yet.")
    with st.form("autocode.run"):
        left, right = st.columns(2)
        engine = left.selectbox("Engine", autocode.ENGINES, index=autocode.ENGINES.index("auto"),
                                format_func=lambda e: f"{e} — {ENGINE_HELP[e]}")
        documents = right.multiselect("Documents", names, placeholder="All documents")
        min_score = left.slider("Keep suggestions scoring at least", 0.0, 1.0, autocode.MIN_SCORE, 0.05)
        moderator = right.checkbox("Include the moderator's turns")
        started = st.form_submit_button("Start auto-coding", type="primary", icon=":material/auto_awesome:")
    if started:
        _run(engine, Scope(documents=documents, include_moderator=moderator), min_score)
        with store().read() as session:
            progress = document_progress(session, current, coder_name())
    st.dataframe([{"document": name, "suggestions": progress.get(name, {}).get("suggestions", 0),
                   "your decisions": progress.get(name, {}).get("decisions", 0)} for name in names],
                 hide_index=True, width="stretch")
