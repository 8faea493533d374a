"""Topics: fit topics over a scope, read a stored run (topics, quotes, nearest codes), promote a topic to a
code, merge topics, and see topic sizes and prevalence by an attribute. Thin: every number comes from
qualcode.topics.topic_runs (the same calls as `qualcode topics`, `topic-runs`, `topic-promote`, `topic-merge`,
`topic-prevalence`); the charts from qualcode.topics.topic_charts. Promotions and merges are written at once; the
run on screen is kept in the page address (`?topic_run=N`), so a refresh or a shared link shows the same run.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from qualcode.topics.context import Window
from qualcode.common.display import markdown_escape
from qualcode.common.errors import QualcodeError
from qualcode.export.tables import frame_csv_bytes
from qualcode.ingest.documents import document_names
from qualcode.store import find_project, last_change
from qualcode.topics.topic_charts import prevalence_heatmap, sizes_chart
from qualcode.topics.topic_runs import (TopicOptions, describe_run, list_runs, merge_topics, prevalence, promote_topic,
                                 run_topics, run_topics_table, scope_attributes, suggested_name, topic_quotes)
from qualcode.ui.state import WARN, attempt, flash, machine_owner, store, visible

RUN_KEY = "topic_run"        # the run picker's key, and the query parameter that keeps it across refreshes
NEW = "topics.new"


# ---- calls into qualcode/ ----

def _project() -> tuple[list[str], dict[str, list[str]]] | None:
    """Document names and attribute values of the project; None when there is no project."""
    with store().read() as session:
        if find_project(session) is None:
            return None
        return document_names(session), scope_attributes(session)


def _runs() -> list[dict]:
    with store().read() as session:
        return list_runs(session)


@st.cache_data(show_spinner=False, max_entries=16)
def _described(url: str, run_id: int, changes: int | None, coders: frozenset[str] | None) -> dict:
    """describe_run, again only after a change anywhere in the store (every change appends an Event)."""
    return describe_run(store(), run_id, coders=None if coders is None else set(coders))


def _describe(run_id: int) -> dict:
    with store().read() as session:
        changes = last_change(session)
    seen = visible()
    return _described(store().url, run_id, changes, None if seen is None else frozenset(seen))


def _promote(run_id: int, topic_id: int, key: str) -> None:
    """Callback: the code named in the text box, with the topic's segments as suggestions to review."""
    name = (st.session_state.get(key) or "").strip()
    if not name:
        flash("Name the code first", WARN)
        return
    result = attempt(promote_topic, store(), run_id, topic_id, name, machine_owner())
    if result:
        flash(f"Added the code '{result['code']}' with {result['suggestions']} suggestions to review on the "
              f"Code page (topic {topic_id} of run {run_id})")


def _merge(run_id: int, key: str) -> None:
    """Callback: the chosen topics become one in a new run, which the page then shows."""
    chosen = sorted(st.session_state.get(key) or [])
    report = attempt(merge_topics, store(), run_id, chosen)
    if report:
        st.session_state[RUN_KEY] = report["run"]
        flash(f"Merged topics {', '.join(map(str, chosen))} of run {run_id}: run {report['run']} has "
              f"{len(report['topics'])} topics (run {run_id} is kept unchanged)")


# ---- drawing ----

def _scope_summary(scope: dict) -> str:
    parts = []
    if scope.get("documents"):
        parts.append(f"{len(scope['documents'])} document(s)")
    if scope.get("attribute"):
        parts.append(scope["attribute"])
    if scope.get("uncoded_only"):
        parts.append("uncoded only")
    return ", ".join(parts) or "all participant segments"


def _run_label(run: dict) -> str:
    p = run["parameters"]
    merged = f", merged from run {p['merged']['run']}" if "merged" in p else ""
    return (f"run {run['run']} · {run['created_at'][:16].replace('T', ' ')} · {run['topics']} topics · "
            f"{run['segments']} segments · {_scope_summary(p.get('scope') or {})}{merged}")


def _new_run(names: list[str], attributes: dict[str, list[str]], first: bool) -> int | None:
    """The form for a new run; the id of the run it stored, if it ran and worked."""
    values = [None] + [(key, value) for key, found in attributes.items() for value in found]
    with st.expander("Find topics (a new run)", expanded=first, icon=":material/bubble_chart:"):
        with st.form(NEW):
            left, right = st.columns(2)
            documents = left.multiselect("Documents", names, placeholder="All documents", key=f"{NEW}.documents")
            attribute = right.selectbox("Only speakers with", values, key=f"{NEW}.attribute",
                                        format_func=lambda v: "any attribute" if v is None else f"{v[0]} = {v[1]}",
                                        help="the participant's attribute, else the document's (group=providers)")
            uncoded = left.checkbox("Only segments no code covers yet", key=f"{NEW}.uncoded",
                                    help="leaves out segments a person has coded (manually or by accepting a "
                                         "suggestion): what the codebook does not catch yet")
            guided = right.checkbox("Guided by the codebook", key=f"{NEW}.guided",
                                    help="seed topics from the codes' definitions and examples")
            size = left.number_input("Smallest topic (segments)", min_value=2, value=None, step=1,
                                     placeholder="scaled to the corpus", key=f"{NEW}.size")
            seed = right.number_input("Seed", min_value=0, value=42, step=1, key=f"{NEW}.seed",
                                      help="the same seed and scope give the same topics")
            context = left.checkbox("Read each segment with the turns around it", value=True, key=f"{NEW}.context",
                                    help="a short reply ('yes, the same') takes the topic of the talk around it")
            outliers = right.checkbox("Give outliers their nearest topic", key=f"{NEW}.outliers",
                                      help="otherwise segments that fit no topic stay outliers (-1)")
            started = st.form_submit_button("Find topics", type="primary", icon=":material/bubble_chart:",
                                            key=f"{NEW}.start")
    if not started:
        return None
    st.caption("The moderator's turns are never in scope; they still give context.")
    options = TopicOptions(documents=documents, attribute=attribute, uncoded_only=uncoded,
                           min_topic_size=int(size) if size else None, seed=int(seed),
                           window=Window() if context else None, reduce_outliers=outliers, guided=guided,
                           coders=visible())
    bar = st.progress(0.0, text="Embedding segments (the model loads on first use)…")

    def advance(done: int, total: int) -> None:
        bar.progress(done / total if total else 1.0, text=f"Embedding segments: {done} of {total} new texts")
    try:
        with st.spinner("Finding topics…", show_time=True):
            report = run_topics(store(), options, progress=advance)
    except QualcodeError as err:
        bar.empty()
        st.error(markdown_escape(str(err)), icon=WARN)
        return None
    bar.empty()
    st.success(f"Run {report['run']}: {len(report['topics'])} topics in {len(report['assignments'])} segments, "
               f"{report['outliers']} outliers, {report['seconds']} s")
    return report["run"]


def _parameters(run: dict) -> None:
    p = run["parameters"]
    context = f"context ±{p['context']['turns']} turns" if p.get("context") else "no context"
    st.caption(markdown_escape(
        f"Scope: {_scope_summary(p.get('scope') or {})} · min topic size {p.get('min_topic_size')} · "
        f"seed {p.get('seed')} · {context} · outliers {'reduced' if p.get('reduce_outliers') else 'kept'} · "
        f"{'guided' if p.get('guided') else 'unguided'} · model {p.get('model')} · {run['seconds']} s"))
    with st.expander("All parameters (to cite the run)", icon=":material/description:"):
        st.json(p, expanded=True)


def _nearest(codes: list[dict]) -> str:
    return "; ".join(f"{c['code']} ({c['similarity']:.2f}, covers {c['covers']})" for c in codes)


def _topics_table(described: dict) -> None:
    rows = [{"topic": t["id"], "size": t["size"], "code": t["label"] or "", "keywords": ", ".join(t["keywords"]),
             "nearest code": t["nearest_codes"][0]["code"] if t["nearest_codes"] else "",
             "similarity": t["nearest_codes"][0]["similarity"] if t["nearest_codes"] else None,
             "covers": t["nearest_codes"][0]["covers"] if t["nearest_codes"] else None,
             "next nearest": _nearest(t["nearest_codes"][1:])} for t in described["topics"]]
    st.caption(f"{len(rows)} topics over {described['segments']} segments; {described['outliers']} outliers "
               "(segments in no topic). Nearest codes by similarity to today's codebook; *covers*: how many of the "
               "topic's segments a person has already coded with that code.")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={"similarity": st.column_config.NumberColumn(format="%.2f")})


def _topic_detail(run_id: int, described: dict) -> None:
    by_id = {t["id"]: t for t in described["topics"]}
    topic_id = st.selectbox("Topic", list(by_id), key=f"topics.topic.{run_id}",
                            format_func=lambda t: f"{t}: {by_id[t]['label'] or ', '.join(by_id[t]['keywords'][:4])} "
                                                  f"({by_id[t]['size']} segments)")
    topic = by_id[topic_id]
    st.caption("Keywords: " + markdown_escape(", ".join(topic["keywords"]) or "none"))
    with store().read() as session:
        quotes = topic_quotes(session, run_id, topic_id)
    for quote in quotes:
        with st.container(border=True):
            st.caption(markdown_escape(f"{quote['speaker'] or 'unknown speaker'} · {quote['document']}"))
            st.text(quote["text"])

    if topic["label"]:
        st.caption(f"Already promoted to the code {markdown_escape(topic['label'])}.")
    key = f"topics.name.{run_id}.{topic_id}"
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.text_input("Code name (a path: Parent/Child)", suggested_name(topic_id, topic["keywords"]), key=key,
                    help="A new code with a draft definition from the keywords and these quotes as examples; "
                         "the topic's segments become the machine's suggestions, which you accept or reject "
                         "on the Code page.")
    right.button("Promote to code", key=f"topics.promote.{run_id}.{topic_id}", icon=":material/add_circle:",
                 on_click=_promote, args=(run_id, topic_id, key))


def _merge_form(run_id: int, described: dict) -> None:
    by_id = {t["id"]: t for t in described["topics"]}
    key = f"topics.merge.{run_id}"
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    chosen = left.multiselect("Merge topics", list(by_id), key=key, placeholder="Two or more topics",
                              format_func=lambda t: f"{t}: {by_id[t]['label'] or ', '.join(by_id[t]['keywords'][:3])}")
    right.button("Merge (a new run)", key="topics.merge.go", icon=":material/merge:", disabled=len(chosen) < 2,
                 on_click=_merge, args=(run_id, key),
                 help="The chosen topics become one; the run is stored anew and this run stays as it is.")


def _charts(run_id: int, attributes: dict[str, list[str]]) -> None:
    with store().read() as session:
        table = run_topics_table(session, run_id)
    if not table.empty:
        st.altair_chart(sizes_chart(table), width="stretch")
    keys = ["document", *attributes]
    by = st.selectbox("Prevalence by", keys, index=keys.index("group") if "group" in keys else 0, key="topics.by",
                      help="the participant's attribute, else the document's; 'document': the document itself")
    try:
        with store().read() as session:
            frame = prevalence(session, run_id, by)
    except QualcodeError as err:
        st.info(markdown_escape(str(err)))
        return
    st.altair_chart(prevalence_heatmap(frame, by), width="stretch")
    st.caption(f"Share of each {markdown_escape(by)} value's segments in each topic (columns add up to 100%).")
    shares = frame.pivot_table(index=["topic", "keywords"], columns=by, values="share", fill_value=0).reset_index()
    shares.columns = [str(c) for c in shares.columns]
    st.dataframe(shares, hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="percent") for c in shares.columns[2:]})
    st.download_button("Download prevalence CSV", frame_csv_bytes(frame),
                       f"topic_run_{run_id}_prevalence_by_{by}.csv", "text/csv", icon=":material/download:")


def render() -> None:
    st.title("Topics")
    found = _project()
    if not found or not found[0]:
        st.info("No documents yet: import transcripts on the Project page.")
        return
    names, attributes = found
    st.caption("Topics are found in participants' segments, never the moderator's. They are a lead, not a "
               "result: promoting a topic only drafts a code and suggests it; a person decides on every segment.")
    runs = _runs()
    new = _new_run(names, attributes, first=not runs)
    if new is not None:
        runs = _runs()
        st.session_state[RUN_KEY] = new
    if not runs:
        st.info("No topic runs yet: find topics above.")
        return
    by_run = {r["run"]: r for r in runs}
    if RUN_KEY not in st.session_state:                # a new session (a refresh): the URL says which run
        wanted = st.query_params.get(RUN_KEY, "")
        st.session_state[RUN_KEY] = int(wanted) if wanted.isdigit() and int(wanted) in by_run else runs[0]["run"]
    elif st.session_state[RUN_KEY] not in by_run:      # a run of another project or database
        st.session_state[RUN_KEY] = runs[0]["run"]
    run_id = st.selectbox("Run", list(by_run), key=RUN_KEY, format_func=lambda r: _run_label(by_run[r]),
                          help="Newest first. The run on screen is kept in the page address.")
    st.query_params[RUN_KEY] = str(run_id)
    _parameters(by_run[run_id])
    try:
        described = _describe(run_id)
    except QualcodeError as err:
        st.error(markdown_escape(str(err)), icon=WARN)
        return

    topics_tab, charts_tab = st.tabs(["Topics", "Sizes and prevalence"])
    with topics_tab:
        if not described["topics"]:
            st.info("No topics in this run: every segment is an outlier. Try a smaller minimum topic size.")
        else:
            _topics_table(described)
            st.subheader("A topic")
            _topic_detail(run_id, described)
            st.subheader("Merge")
            _merge_form(run_id, described)
    with charts_tab:
        _charts(run_id, attributes)
