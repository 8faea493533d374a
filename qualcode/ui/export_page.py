"""Export: the Word report, CSV/XLSX tables, REFI-QDA files, and frequency/crosstab/co-occurrence analysis.

Thin: every number and every file comes from qualcode.export.analysis / qualcode.export, as in `qualcode export`
and `qualcode analyse`. Files are built only when their button is pressed, and kept in the session keyed
on the options that made them, so changing an option never leaves a stale download on screen.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from qualcode.export import analysis
from qualcode.store.access import Viewer, visible_coders
from qualcode.coding import human_coder_names
from qualcode.codebook.codes import code_rows, to_codebook
from qualcode.common.errors import QualcodeError
from qualcode.export.quotes import ACCEPTED, CONSENSUS, QuoteSet, coded_quotes
from qualcode.store import find_project, get_project
from qualcode.ui.state import WARN, store, viewer

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_ROWS = 10
_BUILT = "export.built"


# ---- calls into qualcode/ (also what the tests call) ----

def coder_choices(who: Viewer) -> list[str]:
    """'accepted', 'consensus' when it exists, then every human coder by name — under blind coding, a
    coder's own name only."""
    with store().read() as session:
        project = find_project(session)
        if project is None:
            return [ACCEPTED]
        if (visible := visible_coders(project, who)) is not None:
            return sorted(visible)
        names = human_coder_names(session, project)
    return [ACCEPTED] + ([CONSENSUS] if CONSENSUS in names else []) + [n for n in names if n != CONSENSUS]


def code_paths() -> list[str]:
    with store().read() as session:
        project = find_project(session)
        return [row["path"] for row in code_rows(session, project)] if project else []


def quotes(coder: str, codes: tuple[str, ...] = (), anonymise: bool = False) -> QuoteSet:
    with store().read() as session:
        return coded_quotes(session, coder, list(codes) or None, anonymise)


def report_bytes(coder: str, codes: tuple[str, ...] = (), group_by: str = "code", max_quotes: int | None = None,
                 language: str = "en", anonymise: bool = False) -> tuple[bytes, QuoteSet]:
    """The .docx bytes, as `qualcode export docx` builds them."""
    from qualcode.export.docx import ReportOptions, build_report
    options = ReportOptions(group_by=group_by, max_quotes=max_quotes, language=language)
    with store().read() as session:
        return build_report(session, coder, list(codes) or None, anonymise, options)


def csv_bytes(coder: str, codes: tuple[str, ...], anonymise: bool, by: str | None) -> dict[str, bytes]:
    from qualcode.export import tables
    quoteset = quotes(coder, codes, anonymise)
    if by:
        quoteset.check_key(by)
    return tables.csv_tables(quoteset, by)


def xlsx_bytes(coder: str, codes: tuple[str, ...], anonymise: bool) -> bytes:
    from qualcode.export import tables
    return tables.xlsx_bytes(quotes(coder, codes, anonymise))


def qdpx_bytes(suggestions: bool = False) -> tuple[bytes, dict]:
    from qualcode.refi.qdpx_export import build_qdpx
    with store().read() as session:
        return build_qdpx(session, get_project(session, create=False), suggestions)


def qdc_bytes() -> bytes:
    from qualcode.refi.qdc import to_qdc
    with store().read() as session:
        return to_qdc(to_codebook(session, get_project(session, create=False)))


# ---- drawing ----

def _built(key: tuple):
    """The bytes built for exactly these options, if any."""
    stored = st.session_state.get(_BUILT, {}).get(key[0])
    return stored[1] if stored and stored[0] == key else None


def _keep(key: tuple, value) -> None:
    st.session_state.setdefault(_BUILT, {})[key[0]] = (key, value)


def _build(key: tuple, action, *args, **kwargs) -> None:
    """Build on a button press; a QualcodeError is shown as a warning, not a traceback."""
    try:
        _keep(key, action(*args, **kwargs))
    except QualcodeError as err:
        st.warning(str(err), icon=WARN)


def _selection(prefix: str, coders: list[str], paths: list[str]) -> tuple[str, tuple[str, ...], bool]:
    cols = st.columns([1, 2, 1])
    coder = cols[0].selectbox("Coder", coders, key=f"{prefix}.coder",
                              help="'accepted': every human coder's manual codings and accepted suggestions")
    codes = tuple(cols[1].multiselect("Codes (each with the codes under it; none = all)", paths,
                                      key=f"{prefix}.codes"))
    anonymise = cols[2].checkbox("Anonymise", key=f"{prefix}.anonymise",
                                 help="pseudonyms where set, else 'Participant N'")
    return coder, codes, anonymise


def _grouping_keys(quoteset: QuoteSet) -> list[str]:
    return ["document", "role", *quoteset.attributes()]


def _report_tab(coders: list[str], paths: list[str]) -> None:
    coder, codes, anonymise = _selection("export.report", coders, paths)
    try:
        quoteset = quotes(coder, codes, anonymise)
    except QualcodeError as err:
        st.warning(str(err), icon=WARN)
        return
    cols = st.columns(3)
    group_by = cols[0].selectbox("Group by", ["code", *_grouping_keys(quoteset)], key="export.report.group_by")
    limit = cols[1].number_input("Max quotes per code (0 = all)", min_value=0, value=0, step=1,
                                 key="export.report.max_quotes")
    language = cols[2].selectbox("Heading language", ["en", "ru"], key="export.report.language")
    st.caption(f"{len(quoteset.quotes)} quotes · {len({q.document_id for q in quoteset.quotes})} documents")
    if quoteset.quotes:
        st.dataframe(pd.DataFrame([{"code": q.code, "document": q.document, "participant": q.participant,
                                    "text": q.text} for q in quoteset.quotes[:PREVIEW_ROWS]]),
                     hide_index=True, width="stretch")
    key = ("docx", coder, codes, anonymise, group_by, int(limit) or None, language)
    if st.button("Build Word report", type="primary", key="export.report.build"):
        _build(key, lambda: report_bytes(coder, codes, group_by, int(limit) or None, language, anonymise)[0])
    data = _built(key)
    if data is not None:
        st.download_button("Download report.docx", data, file_name="report.docx", mime=DOCX,
                           key="export.report.download", icon=":material/download:")


def _tables_tab(coders: list[str], paths: list[str]) -> None:
    coder, codes, anonymise = _selection("export.tables", coders, paths)
    try:
        keys = _grouping_keys(quotes(coder, codes, anonymise))[1:]  # code × document is always written
    except QualcodeError as err:
        st.warning(str(err), icon=WARN)
        return
    by = st.selectbox("Also a code × attribute CSV matrix by", ["(none)", *keys], key="export.tables.by")
    by = None if by == "(none)" else by
    left, right = st.columns(2)
    csv_key = ("csv", coder, codes, anonymise, by)
    if left.button("Build CSV tables", key="export.tables.csv"):
        _build(csv_key, csv_bytes, coder, codes, anonymise, by)
    for name, data in (_built(csv_key) or {}).items():
        left.download_button(f"Download {name}.csv", data, file_name=f"{name}.csv", mime="text/csv",
                             key=f"export.tables.csv.{name}")
    xlsx_key = ("xlsx", coder, codes, anonymise)
    if right.button("Build XLSX workbook", key="export.tables.xlsx"):
        _build(xlsx_key, xlsx_bytes, coder, codes, anonymise)
    data = _built(xlsx_key)
    if data is not None:
        right.download_button("Download quotes.xlsx", data, file_name="quotes.xlsx", mime=XLSX,
                              key="export.tables.xlsx.download")


def _refi_tab() -> None:
    st.caption("REFI-QDA opens in ATLAS.ti, MAXQDA, NVivo and QDA Miner.")
    left, right = st.columns(2)
    suggestions = left.checkbox("Include pending machine suggestions", key="export.refi.suggestions")
    qdpx_key = ("qdpx", suggestions)
    if left.button("Build project (.qdpx)", key="export.refi.qdpx"):
        _build(qdpx_key, qdpx_bytes, suggestions)
    built = _built(qdpx_key)
    if built is not None:
        data, summary = built
        left.caption(f"{summary['documents']} documents · {summary['codings']} codings · "
                     f"skipped {summary['skipped_codings']}")
        left.download_button("Download project.qdpx", data, file_name="project.qdpx",
                             mime="application/zip", key="export.refi.qdpx.download")
    qdc_key = ("qdc",)
    if right.button("Build codebook (.qdc)", key="export.refi.qdc"):
        _build(qdc_key, qdc_bytes)
    data = _built(qdc_key)
    if data is not None:
        right.download_button("Download codebook.qdc", data, file_name="codebook.qdc",
                              mime="application/xml", key="export.refi.qdc.download")


def _analysis_tab(coders: list[str], paths: list[str]) -> None:
    cols = st.columns([1, 2, 1])
    coder = cols[0].selectbox("Coder", coders, key="export.analysis.coder")
    codes = tuple(cols[1].multiselect("Codes (none = all)", paths, key="export.analysis.codes"))
    show_all = cols[2].checkbox("Codes without quotes too", key="export.analysis.all")
    try:
        quoteset = quotes(coder, codes)
    except QualcodeError as err:
        st.warning(str(err), icon=WARN)
        return
    shown = (lambda frame: frame) if show_all else analysis.nonzero

    st.subheader("Code frequencies")
    freq = shown(analysis.frequencies(quoteset))
    measure = st.selectbox("Chart measure", list(analysis.MEASURES), index=1, key="export.analysis.measure")
    st.dataframe(freq, width="stretch")
    if not freq.empty:
        st.altair_chart(analysis.bar_chart(freq, measure), width="stretch")

    st.subheader("Crosstab")
    cols = st.columns(2)
    by = cols[0].selectbox("By attribute", _grouping_keys(quoteset), key="export.analysis.by")
    cross_measure = cols[1].selectbox("Counting", list(analysis.MEASURES), key="export.analysis.cross_measure")
    try:
        cross = shown(analysis.crosstab(quoteset, by, cross_measure))
    except QualcodeError as err:
        st.warning(str(err), icon=WARN)
    else:
        st.dataframe(cross, width="stretch")
        if not cross.empty and len(cross.columns):
            st.altair_chart(analysis.heatmap(cross, cross_measure), width="stretch")

    st.subheader("Co-occurrence (segments carrying both codes)")
    co = shown(analysis.cooccurrence(quoteset))
    st.dataframe(co, width="stretch")
    if not co.empty:
        st.altair_chart(analysis.heatmap(co), width="stretch")


def render() -> None:
    st.header("Export")
    who = viewer()
    coders, paths = coder_choices(who), code_paths()
    if not coders:
        st.info("Blind coding is on: your exports hold your own codings, and you have none yet.")
        return
    with store().read() as session:
        everyone = visible_coders(get_project(session, create=False), who) is None
    names = ["Word report", "Tables", *(["REFI-QDA"] if everyone else []), "Analysis"]  # a project holds all
    tabs = dict(zip(names, st.tabs(names)))
    with tabs["Word report"]:
        _report_tab(coders, paths)
    with tabs["Tables"]:
        _tables_tab(coders, paths)
    with tabs["Analysis"]:
        _analysis_tab(coders, paths)
    if everyone:
        with tabs["REFI-QDA"]:
            _refi_tab()
