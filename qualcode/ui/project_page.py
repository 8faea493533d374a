"""Project: the database's project, importing transcripts, documents with their figures, and the
attributes of documents and participants."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qualcode.store.access import can_lead
from qualcode.coding.attributes import (ROLES, add_participant_attribute, apply_edits, changed_cells, participant_table,
                                 set_document_attributes, update_participant)
from qualcode.codebook.codes import active_code_count
from qualcode.common.display import markdown_escape
from qualcode.ingest.documents import get_document, list_documents
from qualcode.autocode.embed import PACKAGED_MODELS, default_model_for
from qualcode.autocode.model_choice import current_switch, model_status, start_switch
from qualcode.coding.review import blind_mode, document_progress, set_blind_mode
from qualcode.store import display_url, find_project, get_project, resolve_url
from qualcode.ui import upload
from qualcode.ui.editing import table_editor
from qualcode.ui.state import WARN, attempt, coder_name, flash, store, viewer, write_project

LANGUAGES = ("ru", "kk", "en")
MODEL_SOURCES = {"project": "set for this project", "environment": "set by $QUALCODE_EMBEDDING_MODEL",
                 "default": "the measured default for the project's languages"}
DEFAULT_CHOICE = "default"


def _create_project(name: str, languages: list[str]) -> None:
    with store().write() as session:
        created = get_project(session, name.strip() or "default")
        created.languages = list(languages)
    flash(f"Project {name} created")


def _create_form() -> None:
    st.info("This database has no project yet. Create one, or simply import transcripts below.")
    with st.form("project.create"):
        name = st.text_input("Project name", placeholder="Public services focus groups 2026")
        languages = st.multiselect("Languages", LANGUAGES, default=["ru"])
        if st.form_submit_button("Create project", type="primary"):
            _create_project(name, languages)
            st.rerun()


def _documents_table(coder: str | None) -> list[dict]:
    with store().read() as session:
        docs = list_documents(session)
        current = find_project(session)
        progress = document_progress(session, current, coder) if current else {}
    return [{"document": d["name"], "format": d["format"], "language": d["language"], "turns": d["turns"],
             "segments": d["segments"], "speakers": len(d["speakers"]), "moderator": d["moderator"] or "",
             "suggestions": progress.get(d["name"], {}).get("suggestions", 0),
             "your decisions": progress.get(d["name"], {}).get("decisions", 0),
             "coded by you": progress.get(d["name"], {}).get("coded segments", 0),
             **{k: str(v) for k, v in d["attributes"].items()}} for d in docs]


def _document_attributes(doc_id: int, name: str, attributes: dict) -> None:
    rows = [{"attribute": k, "value": str(v)} for k, v in attributes.items()]

    def apply(edits: dict) -> None:
        new = {row.get("attribute"): row.get("value") for row in apply_edits(rows, edits) if row.get("attribute")}
        with store().write() as session:
            set_document_attributes(session, get_project(session, create=False), doc_id, new, coder_name(),
                                    seen=attributes)
    st.markdown(f"**Attributes of {markdown_escape(name)}** — group, date, site …")
    table_editor(f"docattrs.{doc_id}", rows, apply, num_rows="dynamic", width="stretch",
                 column_config={"attribute": st.column_config.TextColumn(required=True)})


def _participants(doc_id: int, rows: list[dict]) -> None:
    def apply(edits: dict) -> None:
        with store().write() as session:
            current = get_project(session, create=False)
            for index, cells in changed_cells(rows, edits).items():
                update_participant(session, current, doc_id, rows[index]["label"], cells, coder_name())
    st.markdown("**Participants** — role, pseudonym and attributes (gender, age band, region …)")
    table_editor(f"participants.{doc_id}", rows, apply, disabled=["label"], width="stretch",
                 column_config={"role": st.column_config.SelectboxColumn(options=ROLES, required=True)})
    with st.form(f"participants.{doc_id}.add", border=False, enter_to_submit=True):
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        key = left.text_input("New attribute", placeholder="e.g. region", key=f"participants.{doc_id}.new")
        if right.form_submit_button("Add column", icon=":material/add:"):
            with store().write() as session:
                attempt(add_participant_attribute, session, get_project(session, create=False), doc_id, key,
                        coder_name())
            st.rerun()


def _details(names: list[str]) -> None:
    name = st.selectbox("Document", names, key="project.document")
    with store().read() as session:
        doc = get_document(session, name)
        rows, attributes, doc_id = participant_table(doc), dict(doc.attributes), doc.id
    left, right = st.columns([1, 2])
    with left:
        _document_attributes(doc_id, name, attributes)
    with right:
        _participants(doc_id, rows)


def _settings(blind: bool) -> None:
    lead = can_lead(viewer())

    def toggle() -> None:
        if not can_lead(viewer()):                   # the widget is disabled too; this is the rule
            flash("Only a lead switches blind coding", WARN)
            return
        write_project(set_blind_mode, st.session_state["project.blind"], coder_name())
    st.toggle("Blind coding", value=blind, key="project.blind", on_change=toggle, disabled=not lead,
              help="Each coder sees only their own codings (and their own machine's suggestions): for "
                   "independent double coding before agreement is measured." +
                   ("" if lead else " Only a lead switches it."))


@st.fragment(run_every=1.0)
def _switch_progress() -> None:
    """Polls the background switch; when it has finished, the whole page redraws with the new model."""
    switch = current_switch(store())
    if switch is None or switch.finished:
        st.rerun()
    text = (f"Encoding with {switch.model}: {switch.done} of {switch.total} texts" if switch.total
            else f"Loading {switch.model} and reading the cache …")
    st.progress(switch.fraction, text=markdown_escape(text))
    st.caption("The project keeps its current model until every text is encoded; leaving the page does not stop it.")


def _switch_outcome(switch) -> None:
    if switch.error:
        st.error(markdown_escape(f"Switching to {switch.model} failed; nothing changed: {switch.error}"))
    elif switch.report:
        r = switch.report
        st.success(markdown_escape(f"Switched to {r['model']}: {r['texts']} texts, {r['encoded']} newly encoded in "
                                   f"{r['seconds']} s; the vectors of {r['previous']} stay cached."))


def _embedding_model() -> None:
    st.markdown("**Embedding model** — what auto-coding and topics compare texts with")
    with store().read() as session:
        status = model_status(session)
    languages = status["languages"]
    st.caption(markdown_escape(f"In use: {status['model']} — {MODEL_SOURCES[status['source']]} "
                               f"(languages: {', '.join(languages) or 'none yet'})"))
    if status["cached"]:
        st.caption(markdown_escape("Vectors cached: " + " · ".join(
            f"{model} {n} of {status['texts']}" for model, n in status["cached"].items())))
    switch = current_switch(store())
    running = switch is not None and not switch.finished
    if running:
        _switch_progress()
    elif switch is not None:
        _switch_outcome(switch)
    with st.form("project.model", border=False):
        left, right = st.columns(2)
        choice = left.selectbox("Packaged model", [DEFAULT_CHOICE, *PACKAGED_MODELS], key="project.model.choice",
                                format_func=lambda m: f"default for the languages ({default_model_for(languages)})"
                                if m == DEFAULT_CHOICE else m)
        folder = right.text_input("or a local sentence-transformers folder", key="project.model.folder",
                                  placeholder="/models/labse")
        if st.form_submit_button("Switch", icon=":material/swap_horiz:", disabled=running,
                                 help="Encodes every segment and code text with the new model in the background, "
                                      "then makes it the project's model; the old model's vectors stay cached."):
            attempt(start_switch, store(), folder.strip() or choice, actor=coder_name())
            st.rerun()


def render() -> None:
    with store().read() as session:
        current = find_project(session)
        codes = active_code_count(session, current) if current else 0
    if current is None:
        st.title("Project")
        st.caption(markdown_escape(f"Database: {display_url(resolve_url())}"))
        _create_form()
        st.subheader("Import transcripts")
        upload.render()
        return
    st.title(markdown_escape(current.name))
    st.caption(markdown_escape(f"Database: {display_url(resolve_url())} · "
                               f"languages: {', '.join(current.languages) or '—'}"))
    rows = _documents_table(coder_name())
    figures = st.columns(5)
    for column, (label, value) in zip(figures, [
            ("Documents", len(rows)), ("Segments", sum(r["segments"] for r in rows)), ("Codes", codes),
            ("Suggestions", sum(r["suggestions"] for r in rows)),
            ("Your decisions", sum(r["your decisions"] for r in rows))]):
        column.metric(label, value, border=True)
    documents_tab, import_tab, people_tab, settings_tab = st.tabs(
        [":material/description: Documents", ":material/upload: Import", ":material/groups: Attributes",
         ":material/settings: Settings"])
    with documents_tab:
        if rows:
            st.dataframe(pd.DataFrame(rows).fillna(""), hide_index=True, width="stretch")
        else:
            st.info("No documents yet: import transcripts in the Import tab.")
    with import_tab:
        upload.render()
    with people_tab:
        if rows:
            _details([r["document"] for r in rows])
    with settings_tab:
        _settings(blind_mode(current))
        st.divider()
        _embedding_model()
