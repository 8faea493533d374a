"""Analyse: search the data, quote summaries per code, group contrasts and sub-code suggestions. Thin:
every rule is in qualcode.assistant.search, summaries, contrasts and subcodes (the same calls as `qualcode search`,
`summary`, `contrast`, `subcodes`); a lead also sees the coder report (`qualcode coder-report`).
Every line shown is a participant's own words with speaker, document and time; a coder in blind mode
sees only their own codings in the code filters, summaries, contrasts and sub-codes."""

from __future__ import annotations

import streamlit as st

from qualcode.store.access import can_lead
from qualcode.assistant.coder_report import coder_report
from qualcode.codebook.codes import code_rows
from qualcode.assistant.contrasts import contrast
from qualcode.common.display import format_time, markdown_escape
from qualcode.common.errors import QualcodeError
from qualcode.assistant.passages import load_passages
from qualcode.assistant.search import MODES, Filters, code_hits, search
from qualcode.store import find_project
from qualcode.assistant.subcodes import accept_subcode, suggest_subcodes
from qualcode.assistant.summaries import code_summary
from qualcode.ui.state import attempt, coder_name, machine_owner, store, viewer, visible

NOTHING_GENERATED = ("Nothing on this page is generated: every line is a participant's own words, ranked, "
                     "grouped or selected, with who said it, where and when.")


def _choices() -> tuple[list[str], dict[str, list[str]]] | None:
    """Code paths and attribute values of the project; None when there is none yet."""
    with store().read() as session:
        project = find_project(session)
        if project is None:
            return None
        return [r["path"] for r in code_rows(session, project)], load_passages(session).values()


def _shown(analysis, *args):
    """The analysis's result, or None after showing its one-line refusal (too few segments, no such key)."""
    try:
        return analysis(*args)
    except QualcodeError as err:
        st.info(markdown_escape(str(err)))
        return None


def _cite(q: dict) -> None:
    st.markdown(f"> {markdown_escape(q['text'])}")
    when = format_time(q.get("time"))
    st.caption(markdown_escape(" · ".join(x for x in (q.get("speaker") or "unknown speaker", q["document"], when) if x)))


def _search_tab(codes: list[str], values: dict[str, list[str]]) -> None:
    query = st.text_input("Search (a question, a phrase or a code's definition; Russian, Kazakh or English)",
                          key="ask.query")
    left, middle, right = st.columns(3)
    documents = left.multiselect("Documents", values.get("document", []), key="ask.documents")
    chosen_codes = middle.multiselect("Coded with", codes, key="ask.codes")
    mode = right.radio("Ranking", MODES, horizontal=True, key="ask.mode",
                       format_func={"blend": "meaning + words", "meaning": "meaning", "words": "words"}.get)
    key = left.selectbox("Speaker or document attribute", ["(any)", *values], key="ask.key")
    value = middle.selectbox("Value", values.get(key, []), key="ask.value") if key != "(any)" else None
    limit = right.number_input("Hits", 1, 200, 20, key="ask.limit")
    if not query.strip():
        return
    where = {key: value} if key != "(any)" and value else {}
    hits = attempt(search, store(), query, Filters(documents, chosen_codes, where), int(limit), mode, visible())
    if hits is None:
        st.error("The search could not run; see the message above.")
        return
    if not hits:
        st.info("No segment in scope.")
        return
    for h in hits:
        st.checkbox(f"#{h['segment']} · score {h['score']:.3f}", key=f"ask.pick.{h['segment']}")
        _cite(h)
        with st.expander("Context"):
            for c in h["context"]:
                _cite(c)
    picked = [h["segment"] for h in hits if st.session_state.get(f"ask.pick.{h['segment']}")]
    code = st.selectbox("Apply a code to the selected hits", codes, key="ask.apply_code")
    who = coder_name()
    if st.button(f"Apply to {len(picked)} selected", disabled=not picked or not who, key="ask.apply"):
        done = attempt(code_hits, store(), who, code, picked, done=f"Coded {len(picked)} segments")
        if done:
            st.success(f"{markdown_escape(code)} applied to {done} segments as {markdown_escape(who)}.")
    if not who:
        st.caption("Pick who is coding in the sidebar to code hits.")


def _summary_tab(codes: list[str], values: dict[str, list[str]]) -> None:
    code = st.selectbox("Code", codes, key="summary.code")
    by = st.selectbox("One summary per", ["(whole code)", *values], key="summary.by")
    if not code:
        return
    result = _shown(code_summary, store(), code, None if by == "(whole code)" else by, visible())
    if result is None:
        return
    if not result["groups"]:
        st.info("No quotes coded with this code yet.")
    for g in result["groups"]:
        if g["group"] is not None:
            st.subheader(markdown_escape(f"{by}: {g['group']}"))
        st.caption(f"{g['segments']} segments · {g['participants']} participants · {g['documents']} documents")
        for q in g["quotes"]:
            _cite(q)
            st.caption(f"stands for {q['stands_for']} of the {g['segments']} segments")


def _contrast_tab(values: dict[str, list[str]]) -> None:
    attribute = st.selectbox("Compare the values of", [k for k, v in values.items() if len(v) > 1],
                             key="contrast.key")
    if not attribute:
        return
    result = _shown(contrast, store(), attribute, visible())
    if result is None:
        return
    st.caption(markdown_escape(result["test"]))
    for g in result["groups"]:
        st.subheader(markdown_escape(f"{attribute}: {g['value']}"))
        st.caption(f"{g['segments']} segments · {g['participants']} participants")
        for kind, field in (("codes", "code"), ("words", "word")):
            for row in g[kind]:
                label = (f"{row['direction']}: {row[field]} — {row['in']} segments ({row['in_share']:.0%}) against "
                         f"{row['out']} ({row['out_share']:.0%}) elsewhere; {row['participants']} participants; "
                         f"p = {row['p']}, q = {row['q']}")
                with st.expander(markdown_escape(label)):
                    for q in row["quotes"]:
                        _cite(q)
        if not g["codes"] and not g["words"]:
            st.caption("No code or word differs at p < 0.05.")


def _accept(code: str, candidate: dict, key: str) -> None:
    """Callback: the child code named in the text box, with the group's segments as suggestions to review."""
    name = (st.session_state.get(key) or "").strip()
    attempt(accept_subcode, store(), code, candidate, name, machine_owner(),
            done=f"Added {code}/{name}: its segments are suggestions to review on the Code page")


def _subcode_tab(codes: list[str]) -> None:
    code = st.selectbox("Code to split", codes, key="sub.code")
    if not code or not st.toggle("Look for sub-codes", key="sub.on"):
        return
    candidates = _shown(suggest_subcodes, store(), code, visible())
    if candidates is None:
        return
    if not candidates:
        st.info("No group stands out within this code.")
    for c in candidates:
        st.subheader(markdown_escape(f"{c['name']} ({c['segments']} segments)"))
        st.caption(markdown_escape("Keywords: " + ", ".join(c["keywords"])))
        for q in c["quotes"]:
            _cite(q)
        key = f"sub.name.{c['candidate']}"
        st.text_input("Name of the sub-code", value=c["name"], key=key)
        st.button("Create it (its segments become suggestions)", key=f"sub.accept.{c['candidate']}",
                  on_click=_accept, args=(code, c, key))


def _report() -> dict:
    with store().read() as session:
        return coder_report(session)


def _coders_tab() -> None:
    """A lead's: each coder and the machine against the consensus, and where they disagree most."""
    report = _shown(_report)
    if report is None:
        return
    st.caption(markdown_escape(f"Against {report['reference']}: {report['statistic']}; unit: {report['unit']}."))
    st.dataframe([{"coder": c["coder"], "kind": c["kind"], "macro κ": c["macro_kappa"],
                   "agreement": c["percent_agreement"], "codes": c["codes"],
                   "κ by document, in coding order": ", ".join(f"{d['document']}: {d['kappa']}"
                                                              for d in c["by_document"])}
                  for c in report["coders"]])
    for row in report["lowest"]:
        with st.expander(markdown_escape(f"{row['code']}: mean κ {row['mean_kappa']}")):
            for d in row["disagreements"]:
                st.caption(markdown_escape(f"{d['applied_by']} applied it; {d['not_by']} did not"))
                _cite(d)


def render() -> None:
    st.title("Analyse")
    st.caption(NOTHING_GENERATED)
    choices = _choices()
    if choices is None:
        st.info("Import transcripts first (Project page).")
        return
    codes, values = choices
    lead = can_lead(viewer())
    ask, summary, contrasts, subcodes, *coders = st.tabs(["Search", "Summaries", "Contrasts", "Sub-codes"]
                                                        + (["Coders"] if lead else []))
    with ask:
        _search_tab(codes, values)
    with summary:
        _summary_tab(codes, values)
    with contrasts:
        _contrast_tab(values)
    with subcodes:
        _subcode_tab(codes)
    if coders:
        with coders[0]:
            _coders_tab()
