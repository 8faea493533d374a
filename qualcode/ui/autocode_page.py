"""Auto-code: run the machine coder over a scope, with live progress; it writes suggestions only. Below: what
the machine learned — each code's threshold, estimated precision and track record, the target precision they
are calibrated to, and the code groups it treats as exclusive, which a researcher can overrule."""

from __future__ import annotations

import streamlit as st

from qualcode import autocode
from qualcode.codebook.codes import set_exclusive
from qualcode.ingest.documents import document_names
from qualcode.common.display import markdown_escape
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Project
from qualcode.coding.review import document_progress
from qualcode.store import find_project
from qualcode.autocode.suggest import Scope, run_autocode, target_precision
from qualcode.autocode.track_record import (LAST_N, TARGET_RANGE, GroupState, code_table, exclusive_groups,
                                   exclusive_groups_report, set_target_precision)
from qualcode.ui.state import coder_name, machine_owner, store, write_project

ENGINE_HELP = {"auto": "zero-shot from the codebook, blended with what human decisions taught it",
               "zero-shot": "from the codebook only: definitions, criteria and examples",
               "learned": "only from human decisions (needs some accepted, rejected or coded segments)"}
TARGET = "autocode.target"


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


def _set_target() -> None:
    value = st.session_state[TARGET]
    write_project(set_target_precision, value, actor=coder_name(),
                  done=f"Target precision {value:.2f}: the next run calibrates every code to it")


def _set_exclusive(group: GroupState, value: bool | None) -> None:
    said = {False: "not exclusive", None: "not said (the machine infers it)"}[value]
    write_project(set_exclusive, group.parent, value, done=f"{group.where}: {said}; the next run uses it")


def _groups(groups: list[GroupState], last_run: list[str]) -> None:
    st.markdown("**What the machine inferred** — sibling codes it treats as mutually exclusive, or not")
    for group in groups:
        line, action = st.columns([5, 1], vertical_alignment="center")
        line.markdown(f"**{markdown_escape(group.where)}** — {markdown_escape(group.line)}")
        key = f"autocode.group.{group.parent_id or 'top'}"
        if group.inferred:
            action.button("Not exclusive", key=key, on_click=_set_exclusive, args=(group, False),
                          help="These codes can apply together: stop treating them as exclusive")
        elif group.declared is not None:
            action.button("Not said", key=key, on_click=_set_exclusive, args=(group, None),
                          help="Forget the declaration: let the machine infer it from the coders' decisions")
    if last_run and last_run != [g.line for g in groups]:
        st.caption("At the last run: " + markdown_escape("; ".join(last_run)))


def _learned(current: Project) -> None:
    """Per code: threshold, estimated and observed precision; the target; the exclusive groups."""
    with store().read() as session:
        owner = machine_owner()
        rows = code_table(session, current, owner=owner)
        groups = exclusive_groups(session, current, owner)
        last_run = exclusive_groups_report(session, current, owner)
    st.subheader("What the machine learned")
    low, high = TARGET_RANGE
    target, _ = st.columns([1, 3])
    target.number_input("Target precision", min_value=low, max_value=high - 0.01, value=target_precision(current),
                        step=0.05, format="%.2f", key=TARGET, on_change=_set_target,
                        help="Each code's threshold is the lowest score at which this share of its suggestions was "
                             "right on decisions the model did not train on; higher: fewer, surer suggestions")
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch", column_config={
            "threshold": st.column_config.NumberColumn(format="%.2f"),
            "estimated precision": st.column_config.NumberColumn(format="%.2f"),
            "observed precision": st.column_config.NumberColumn(format="%.2f"),
            "track record": st.column_config.TextColumn(help=f"Of the machine's last {LAST_N} suggestions of "
                                                             "the code that a person decided")})
    else:
        st.caption("No run yet: thresholds and estimates appear after the first auto-coding.")
    if groups:
        _groups(groups, last_run)


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
        _run(engine, Scope(documents=documents, include_moderator=moderator, coder=coder_name()), min_score)
        with store().read() as session:
            progress = document_progress(session, current, coder_name())
    st.dataframe([{"document": name, "suggestions": progress.get(name, {}).get("suggestions", 0),
                   "your decisions": progress.get(name, {}).get("decisions", 0)} for name in names],
                 hide_index=True, width="stretch")
    _learned(current)
