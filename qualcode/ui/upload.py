"""Upload transcripts: see what import found and what it is unsure of, fix speakers and the moderator, then confirm.

Uploads are staged in a folder of this browser session (with any attribute
sidecars uploaded beside them) and previewed with `qualcode.ingest.preview`;
nothing reaches the store before the researcher presses Import.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from qualcode.common.display import format_time, markdown_escape
from qualcode.ingest.formats import EXTENSIONS, FORMATS
from qualcode.ingest.importer import ImportOptions, import_one
from qualcode.ingest.preview import Preview, preview_file
from qualcode.ingest.sidecar import SUFFIXES, is_sidecar
from qualcode.ingest.staging import UploadStaging
from qualcode.ui.editing import table_editor
from qualcode.ui.state import DONE, WARN, flash, store

UNITS = ("sentence", "turn", "window:3")
MAX_WARNINGS = 10
_STAGE = "_upload.staging"


def _staging() -> UploadStaging:
    """This browser session's staged uploads (removed with the session, or once imported or taken off the list)."""
    if _STAGE not in st.session_state:
        st.session_state[_STAGE] = UploadStaging()
    return st.session_state[_STAGE]


def _options(path: Path, renamed: bool = True) -> ImportOptions:
    key = f"upload.{path.name}"
    return ImportOptions(unit=st.session_state.get(f"{key}.unit", UNITS[0]),
                         moderator=st.session_state.get(f"{key}.moderator") if renamed else None,
                         rename=st.session_state.get(f"{key}.rename", {}) if renamed else {})


def _preview(path: Path, options: ImportOptions) -> Preview:
    with store().read() as session:
        return preview_file(path, path.read_bytes(), options, session)


def _import(*paths: Path) -> None:
    """Import the staged files with the options confirmed on their cards; one toast says how each went."""
    lines, icon = [], DONE
    for path in paths:
        result = import_one(store(), path, _options(path), source_name=f"upload:{path.name}")
        if result.status != "error":
            _staging().done(path, result.document)
        if result.status == "error":
            lines.append(result.error.replace(str(path), path.name))
            icon = WARN
        elif result.status == "unchanged":
            lines.append(f"{path.name} was already imported as {result.document}: nothing changed")
        else:
            lines.append(f"Imported {result.document}: {result.turns} turns, {result.segments} segments")
    flash("\n".join(lines), icon)


def _speakers(path: Path, found: Preview) -> None:
    """The labels as found, with the name each gets on import (merging two is giving them one name)."""
    key = f"upload.{path.name}"
    rename = st.session_state.get(f"{key}.rename", {})
    rows = [{"speaker as found": label, "turns": n, "import as": rename.get(label, label)}
            for label, n in found.speakers.items()]

    def apply(edits: dict) -> None:
        updated = dict(rename)
        for index, cells in edits.get("edited_rows", {}).items():
            if "import as" in cells:
                updated[rows[int(index)]["speaker as found"]] = str(cells["import as"] or "").strip()
        st.session_state[f"{key}.rename"] = {old: new for old, new in updated.items() if new and new != old}
    table_editor(f"{key}.speakers", rows, apply, disabled=["speaker as found", "turns"], width="stretch")


def _warnings(path: Path, preview: Preview) -> None:
    """What import is unsure of (a label that speaks once, a rejoined row): said before the researcher confirms."""
    if not preview.warnings:
        return
    lines = [warning.removeprefix(f"{path.name}: ") for warning in preview.warnings]
    shown = lines[:MAX_WARNINGS] + ([f"… and {len(lines) - MAX_WARNINGS} more"] if len(lines) > MAX_WARNINGS else [])
    st.warning("\n\n".join(markdown_escape(line) for line in shown), icon=":material/help:")


def _card(path: Path) -> None:
    key = f"upload.{path.name}"
    found = _preview(path, _options(path, renamed=False))
    with st.container(border=True):
        st.markdown(f"#### :material/description: {markdown_escape(path.name)}")
        if not found.ok:
            st.error(markdown_escape(found.error))
            return
        labels_after = list(dict.fromkeys(st.session_state.get(f"{key}.rename", {}).get(label, label)
                                          for label in found.speakers))
        if st.session_state.get(f"{key}.moderator") not in labels_after:
            st.session_state.pop(f"{key}.moderator", None)
        preview = _preview(path, _options(path))
        if not preview.ok:
            st.error(markdown_escape(preview.error))
            return
        figures = st.columns(5)
        languages = " + ".join(preview.languages) or preview.language
        for column, (label, value) in zip(figures, [("Format", preview.format), ("Encoding", preview.encoding or "—"),
                                                   ("Language", languages), ("Turns", preview.turns),
                                                   ("Words", preview.words)]):
            column.metric(label, value)
        _warnings(path, preview)
        if preview.duplicate_of:
            st.info(f"Already in the project as {markdown_escape(preview.duplicate_of)}: importing it again "
                    "changes nothing.", icon=":material/content_copy:")
        left, right = st.columns([3, 2])
        with left:
            st.markdown("**Speakers** — rename a label, or give two labels one name to merge them")
            _speakers(path, found)
        with right:
            st.selectbox("Moderator", labels_after, key=f"{key}.moderator",
                         index=labels_after.index(preview.moderator) if preview.moderator in labels_after else None,
                         placeholder="No moderator", help="Moderator turns are left out of auto-coding.")
            st.selectbox("Coding unit", UNITS, key=f"{key}.unit", help="What one segment is: a sentence, a whole "
                         "turn, or a window of sentences within a turn.")
            roles = ", ".join(f"{label} ({role})" for label, role in preview.roles.items())
            st.caption(markdown_escape(f"Roles on import: {roles}"))
            if preview.sidecar:
                st.caption(markdown_escape(f"Attributes from {preview.sidecar}: "
                                           + ", ".join(f"{k}={v}" for k, v in preview.document_attributes.items())))
        st.markdown("**First turns**")
        st.dataframe(pd.DataFrame([{"speaker": t["speaker"] or "", "time": format_time(t["start_time"]),
                                    "text": t["text"]} for t in preview.first_turns]),
                     hide_index=True, width="stretch")
        st.button(f"Import {markdown_escape(path.name)}", key=f"{key}.import", type="primary",
                  icon=":material/download_done:", on_click=_import, args=(path,))


def render() -> None:
    kinds = [e.lstrip(".") for e in EXTENSIONS] + [s.rsplit(".", 1)[-1] for s in SUFFIXES]
    files = st.file_uploader("Transcripts, with optional `<name>.attributes.yaml` or `.csv` sidecars",
                             type=sorted(set(kinds)), accept_multiple_files=True, key="upload.files")
    staging = _staging()
    transcripts = [p for p in staging.sync({f.name: f.getvalue() for f in files or []}) if not is_sidecar(p)]
    if not files:
        st.caption("Formats: " + ", ".join(FORMATS) + ". Nothing is stored until you confirm each file.")
        return
    for name, document in staging.imported.items():
        st.info(markdown_escape(f"Already in the project as {document}: imported from {name}, and the uploaded "
                                "copy is deleted from the server."), icon=":material/done:")
    for path in transcripts:
        _card(path)
    if len(transcripts) > 1:
        st.button(f"Import all {len(transcripts)} files", icon=":material/done_all:",
                  on_click=_import, args=tuple(transcripts))
