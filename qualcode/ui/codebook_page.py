"""Codebook: the code tree with its counts; edit, add, rename, move, merge, archive; load and export."""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from qualcode.codebook import PATH_SEPARATOR, fields_from_form, to_yaml
from qualcode.refi.codebook_files import read_codebook_bytes
from qualcode.codebook.codes import (add_code, archive_code, code_rows, load_codebook, merge_codes, move_code, rename_code,
                            to_codebook, update_code, usage_by_path)
from qualcode.common.display import markdown_escape
from qualcode.common.errors import QualcodeError
from qualcode.refi.qdc import to_qdc
from qualcode.store import find_project, get_project
from qualcode.autocode.suggest import machine_name
from qualcode.ui.state import WARN, attempt, flash, store, visible, write_project

TOP = "(top level)"


def _write(operation, *args, done: str, **kwargs) -> bool:
    """One codebook change in its own transaction; its error becomes a toast. True when it worked."""
    return write_project(operation, *args, done=done, **kwargs) is not None


def _tree_table(rows: list[dict], usage: dict) -> pd.DataFrame:
    return pd.DataFrame([{
        "code": "\u2003" * r["path"].count(PATH_SEPARATOR) + r["name"],
        "coded": usage.get(r["path"], {}).get("accepted", 0) + usage.get(r["path"], {}).get("manual", 0),
        "suggested": usage.get(r["path"], {}).get("suggested", 0),
        "rejected": usage.get(r["path"], {}).get("rejected", 0),
        "colour": r["color"] or "", "tags": ", ".join(r["tags"]), "definition": r["definition"],
        "archived": r["archived"]} for r in rows])


def _join(parent: str | None, name: str) -> str:
    return name if parent in (None, "", TOP) else f"{parent}{PATH_SEPARATOR}{name}"


def _save(path: str, key: str) -> None:
    values = {name: st.session_state[f"{key}.{name}"] for name in
              ("definition", "include", "exclude", "examples", "counter_examples", "color", "tags")}
    try:
        fields = fields_from_form(**values)
    except QualcodeError as err:
        flash(str(err), WARN)
        return
    _write(update_code, path, done=f"Saved {path}", **fields)


def _edit(row: dict) -> None:
    key = f"codebook.edit.{row['guid']}"
    with st.form(key):
        st.text_area("Definition", row["definition"], key=f"{key}.definition")
        left, right = st.columns(2)
        left.text_area("Include when", row["include"], key=f"{key}.include")
        right.text_area("Exclude when", row["exclude"], key=f"{key}.exclude")
        left.text_area("Examples (one per line)", "\n".join(row["examples"]), key=f"{key}.examples")
        right.text_area("Counter-examples (one per line)", "\n".join(row["counter_examples"]),
                        key=f"{key}.counter_examples")
        left.color_picker("Colour", row["color"] or "#7F7F7F", key=f"{key}.color")
        right.text_input("Tags (comma-separated, e.g. SWOT:weakness, PEST:political)", ", ".join(row["tags"]),
                         key=f"{key}.tags")
        st.form_submit_button("Save", type="primary", icon=":material/save:", on_click=_save, args=(row["path"], key))


def _rename(path: str, key: str) -> None:
    name = st.session_state[key].strip()
    if _write(rename_code, path, name, done=f"Renamed {path} to {name}"):
        st.session_state["codebook.selected"] = _join(path.rpartition(PATH_SEPARATOR)[0], name)


def _move(path: str, key: str) -> None:
    parent = st.session_state[key]
    if _write(move_code, path, None if parent == TOP else parent, done=f"Moved {path} under {parent}"):
        st.session_state["codebook.selected"] = _join(parent, path.rpartition(PATH_SEPARATOR)[2])


def _merge(path: str, key: str) -> None:
    target = st.session_state[key]
    if target and _write(merge_codes, path, target, done=f"Merged {path} into {target}"):
        st.session_state["codebook.selected"] = target


def _archive(path: str) -> None:
    if _write(archive_code, path, done=f"Archived {path}"):
        st.session_state["codebook.selected"] = None


def _restructure(row: dict, paths: list[str]) -> None:
    path, key = row["path"], f"codebook.{row['guid']}"
    others = [p for p in paths if p != path and not p.startswith(path + PATH_SEPARATOR)]
    rename_tab, move_tab, merge_tab, archive_tab = st.tabs(["Rename", "Move", "Merge", "Archive"])
    with rename_tab, st.form(f"{key}.rename.form", border=False):
        st.text_input("New name", row["name"], key=f"{key}.rename")
        st.form_submit_button("Rename", on_click=_rename, args=(path, f"{key}.rename"))
    with move_tab, st.form(f"{key}.move.form", border=False):
        st.selectbox("New parent", [TOP] + others, key=f"{key}.move")
        st.form_submit_button("Move", on_click=_move, args=(path, f"{key}.move"))
    with merge_tab, st.form(f"{key}.merge.form", border=False):
        st.selectbox("Merge into", others, index=None, placeholder="Type a code…", key=f"{key}.merge")
        st.caption("Its codings move to the target, its children too; this code is archived.")
        st.form_submit_button("Merge", on_click=_merge, args=(path, f"{key}.merge"))
    with archive_tab:
        st.caption("Archived codes leave the palette and auto-coding; their codings stay.")
        st.button("Archive this code", key=f"{key}.archive", icon=":material/archive:", on_click=_archive,
                  args=(path,))


def _pick(paths: list[str | None]) -> None:
    """A click on a row of the tree selects that code for editing (archived ones are not editable)."""
    rows = st.session_state["codebook.table"].selection.rows
    if rows and paths[rows[0]]:
        st.session_state["codebook.selected"] = paths[rows[0]]


def _add_code() -> None:
    parent, name = st.session_state["codebook.add.parent"], st.session_state["codebook.add.name"].strip()
    if not name:
        flash("A code needs a name", WARN)
        return
    path = _join(parent, name)
    if _write(add_code, path, done=f"Added {path}", definition=st.session_state["codebook.add.definition"].strip()):
        st.session_state["codebook.selected"] = path


def _add(paths: list[str]) -> None:
    with st.form("codebook.add", clear_on_submit=True):
        left, right = st.columns(2)
        left.selectbox("Parent", [TOP] + paths, key="codebook.add.parent")
        right.text_input("Name", key="codebook.add.name")
        st.text_area("Definition", height=80, key="codebook.add.definition")
        st.form_submit_button("Add code", icon=":material/add:", on_click=_add_code)


def _load_book(book, warnings: list[str]) -> None:
    with store().write() as session:
        report = attempt(load_codebook, session, get_project(session), book, warnings)
    if report:
        flash(f"Codebook loaded: {report.codes} codes ({len(report.added)} added, {len(report.updated)} updated, "
              f"{len(report.archived)} archived, {len(report.removed)} removed)")


def _load() -> None:
    upload = st.file_uploader("Codebook (.yaml or REFI-QDA .qdc)", type=["yaml", "yml", "qdc"], key="codebook.file")
    if upload is None:
        return
    try:
        book, warnings = read_codebook_bytes(upload.getvalue(), upload.name)
    except QualcodeError as err:
        st.error(markdown_escape(str(err)))
        return
    st.write(markdown_escape(f"{book.name or upload.name}: {sum(1 for _ in book.walk())} codes"))
    for warning in warnings:
        st.caption(markdown_escape(warning))
    st.caption("Codes are matched by GUID, else by path: existing codes are updated in place; codes missing from "
               "the file are archived when they hold codings and removed otherwise.")
    st.button("Load into the project", type="primary", icon=":material/upload:", on_click=_load_book,
              args=(book, warnings))


def render() -> None:
    st.title("Codebook")
    seen = visible()      # blind coding: a coder counts their own codings and their own machine's suggestions
    coders = None if seen is None else seen | {machine_name(name) for name in seen}
    with store().read() as session:
        current = find_project(session)
        rows = code_rows(session, current, include_archived=True, coders=coders) if current else []
        usage = usage_by_path(session, current, coders) if current else {}
        book = to_codebook(session, current) if current and rows else None
    active = [r for r in rows if not r["archived"]]
    tree_tab, add_tab, load_tab = st.tabs([":material/account_tree: Codes", ":material/add: Add a code",
                                           ":material/upload_file: Load / export"])
    with load_tab:
        _load()
        if book is not None:
            left, right = st.columns(2)
            left.download_button("Export YAML", to_yaml(book), file_name="codebook.yaml", mime="application/yaml",
                                 icon=":material/download:")
            right.download_button("Export REFI-QDA .qdc", to_qdc(book), file_name="codebook.qdc",
                                  mime="application/xml", icon=":material/download:")
    with add_tab:
        _add([r["path"] for r in active])
    with tree_tab:
        if not rows:
            st.info("No codes yet: load a codebook (Load / export) or add codes.")
            return
        show_archived = st.toggle("Show archived codes", key="codebook.archived")
        shown = rows if show_archived else active
        st.dataframe(_tree_table(shown, usage), hide_index=True, width="stretch", height=360, key="codebook.table",
                     on_select=functools.partial(_pick, [None if r["archived"] else r["path"] for r in shown]), selection_mode="single-row",
                     column_config={"definition": st.column_config.TextColumn(width="large"),
                                    "coded": st.column_config.NumberColumn(help="accepted or applied by a human"),
                                    "suggested": st.column_config.NumberColumn(help="machine suggestions")})
        path = st.selectbox("Code to edit", [r["path"] for r in active], index=None, key="codebook.selected",
                            placeholder="Type to find a code…")
        if path:
            row = next(r for r in active if r["path"] == path)
            edit, restructure = st.columns([3, 2])
            with edit:
                _edit(row)
            with restructure:
                _restructure(row, [r["path"] for r in active])
