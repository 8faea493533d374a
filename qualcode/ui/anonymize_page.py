"""Anonymise: detect identifiers, review the proposals, pseudonyms, apply, preview, and the key.

A thin page: every rule lives in `qualcode.deid.anonymize`. Transcript text is shown
only through tables and `st.text`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from qualcode.deid import anonymize
from qualcode.deid.candidate import TYPES
from qualcode.common.display import markdown_escape
from qualcode.ingest.documents import get_document, list_documents
from qualcode.common.errors import QualcodeError
from qualcode.store import find_project
from qualcode.ui.editing import table_editor
from qualcode.ui.state import WARN, flash, store, write_project

TABLE = "anonymise.review"
REVIEW_COLUMNS = ["document", "text", "type", "confidence", "note", "status"]


def _table_key() -> str:
    return f"{TABLE}.{st.session_state.get(f'_{TABLE}.version', 0)}"


# --- detect ---------------------------------------------------------------------------------

def _detect() -> None:
    with st.status("Detecting identifiers…", expanded=False) as status:
        bar = st.progress(0.0)

        def progress(done: int, total: int) -> None:
            bar.progress(done / max(total, 1), text=f"{done} of {total} documents")
        try:
            rows = anonymize.detect(store(), progress=progress)
        except QualcodeError as err:
            status.update(label="Detection failed", state="error")
            st.error(markdown_escape(str(err)))
            return
        proposed = sum(r["status"] == "proposed" for r in rows)
        status.update(label=f"{len(rows)} identifiers found, {proposed} to review", state="complete")


# --- review ---------------------------------------------------------------------------------

def _decide(ids: list[int], status: str) -> None:
    """Accept or reject the selected rows (`ids`: the shown rows' detection ids, in order)."""
    selection = st.session_state.get(_table_key())
    rows = list(selection["selection"]["rows"]) if selection else []
    chosen = [ids[i] for i in rows if i < len(ids)]
    if not chosen:
        flash("Select rows in the table first", WARN)
        return
    write_project(anonymize.decide, chosen, status, done=f"{len(chosen)} {status}")
    st.session_state[f"_{TABLE}.version"] = st.session_state.get(f"_{TABLE}.version", 0) + 1


def _review(rows: list[dict]) -> None:
    st.subheader("Review")
    left, middle, right = st.columns(3)
    kinds = left.multiselect("Type", TYPES, key="anonymise.types", placeholder="All types")
    statuses = middle.multiselect("Status", anonymize.STATUSES, key="anonymise.statuses", placeholder="All")
    minimum = right.slider("Minimum confidence", 0.0, 1.0, 0.0, 0.05, key="anonymise.min_confidence")
    shown = [r for r in rows if (not kinds or r["type"] in kinds) and (not statuses or r["status"] in statuses)
             and r["confidence"] >= minimum]
    if not shown:
        st.caption("No identifiers match." if rows else "Nothing detected yet: press Detect.")
        return
    st.dataframe(pd.DataFrame(shown)[REVIEW_COLUMNS], key=_table_key(), on_select="rerun",
                 selection_mode="multi-row", hide_index=True, width="stretch")
    ids = [r["id"] for r in shown]
    left, right, _ = st.columns([1, 1, 4])
    left.button("Accept selected", key="anonymise.accept", icon=":material/check:", on_click=_decide,
                args=(ids, "accepted"))
    right.button("Reject selected", key="anonymise.reject", icon=":material/close:", on_click=_decide,
                 args=(ids, "rejected"))


# --- pseudonyms -----------------------------------------------------------------------------

def _pseudonyms(rows: list[dict]) -> None:
    st.subheader("Pseudonyms")
    shown = [{"document": r["document"], "label": r["label"], "role": r["role"],
              "attributes": ", ".join(f"{k}: {v}" for k, v in r["attributes"].items()),
              "pseudonym": r["pseudonym"] or ""} for r in rows]

    def apply_edits(edits: dict) -> None:
        for index, cells in edits.get("edited_rows", {}).items():
            if "pseudonym" in cells:
                row = shown[int(index)]
                write_project(anonymize.set_pseudonym, row["label"], cells["pseudonym"], row["document"],
                              done=f"Pseudonym of {row['label']} set")
    if shown:
        table_editor("anonymise.pseudonyms", shown, apply_edits, width="stretch",
                     disabled=["document", "label", "role", "attributes"])
    else:
        st.caption("No participants yet.")
    with st.form("anonymise.generate", border=False):
        left, middle, right = st.columns([3, 1, 1], vertical_alignment="bottom")
        keys = left.text_input("Generate from attributes", ", ".join(anonymize.PSEUDONYM_ATTRIBUTES),
                               key="anonymise.generate.keys")
        overwrite = middle.checkbox("Overwrite", key="anonymise.generate.overwrite")
        if right.form_submit_button("Generate", icon=":material/badge:"):
            made = write_project(anonymize.generate_pseudonyms, [k.strip() for k in keys.split(",") if k.strip()],
                                 overwrite)
            if made is not None:
                flash(f"{len(made)} pseudonyms generated")
            st.rerun()


# --- apply, preview, key --------------------------------------------------------------------

def _apply() -> None:
    report = write_project(anonymize.apply)
    if report is not None:
        note = f", {report['undecided']} still undecided (shown as written)" if report["undecided"] else ""
        flash(f"{report['accepted']} accepted identifiers replaced ({report['propagated']} more occurrences)"
              + note, WARN if report["undecided"] else ":material/check_circle:")


def _preview(names: list[str]) -> None:
    st.subheader("Preview")
    name = st.selectbox("Document", names, key="anonymise.preview")
    if not name:
        return
    with store().read() as session:
        try:
            view = anonymize.deidentified_text(get_document(session, name))
        except QualcodeError as err:
            st.warning(markdown_escape(str(err)))
            return
    if view.undecided:
        st.caption(f"{view.undecided} proposals are undecided: their text is shown as written.")
    st.text(view.text)


def _key() -> None:
    st.subheader("Key")
    with store().read() as session:
        data = anonymize.key_file_bytes(anonymize.key_rows(session, find_project(session)), Path("key.csv"))
    st.warning("The key links pseudonyms to real names. Store it apart from every export and never share it "
               "with the de-identified data.", icon=":material/key:")
    st.download_button("Download key (CSV)", data, file_name="pseudonym_key.csv", mime="text/csv",
                       key="anonymise.key", icon=":material/download:")


def render() -> None:
    st.title("Anonymise")
    with store().read() as session:
        current = find_project(session)
        if current is None:
            st.info("This database has no project yet: import transcripts on the Project page first.")
            return
        detections = anonymize.detection_rows(session, current)
        pseudonyms = anonymize.pseudonym_rows(session, current)
        names = [d["name"] for d in list_documents(session)]
    if st.button("Detect", key="anonymise.detect", type="primary", icon=":material/search:"):
        _detect()
        with store().read() as session:
            detections = anonymize.detection_rows(session, find_project(session))
    _review(detections)
    _pseudonyms(pseudonyms)
    st.button("Apply", key="anonymise.apply", type="primary", icon=":material/published_with_changes:",
              on_click=_apply, help="Give every accepted identifier its replacement and every participant a pseudonym")
    _preview(names)
    _key()
