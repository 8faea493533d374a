"""Agreement: inter-coder statistics per code, the 2×2 table of one code, the methods paragraph, downloads,
and the reconciliation queue of two coders. Thin: every number comes from qualcode.team.agreement / qualcode.team."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qualcode.team.agreement import STATISTICS, agreement_report, methods_paragraph
from qualcode.coding import coders_with_kind
from qualcode.common.display import markdown_escape
from qualcode.common.errors import QualcodeError
from qualcode.export.tables import frame_csv_bytes, frame_xlsx_bytes
from qualcode.store import find_project, get_project
from qualcode.team import (
    CONSENSUS,
    UNITS,
    project_ratings,
    reconciliation_queue,
    resolve,
)
from qualcode.ui.state import attempt, store

UNIT_NAMES = {"segment": "segments", "turn": "turns", "document": "documents"}
CHOICES = (("a", "take A"), ("b", "take B"), ("both", "both"), ("neither", "neither"))


def _coders() -> list[tuple[str, str]]:
    with store().read() as session:
        current = find_project(session)
        if current is None:
            return []
        return coders_with_kind(session, current)


def _report(names: list[str], unit: str) -> dict:
    with store().read() as session:
        ratings = project_ratings(session, get_project(session, create=False), names, unit)
    return agreement_report(ratings)


def _table(report: dict) -> pd.DataFrame:
    kappa = "cohen_kappa" if len(report["coders"]) == 2 else "fleiss_kappa"
    keys = ["percent_agreement", kappa, "krippendorff_alpha", "brennan_prediger", "prevalence"]
    rows = []
    for code, stats in report["per_code"].items():
        ci = stats["alpha_ci"] or [None, None]
        row = {"code": code, **{STATISTICS[k]: stats[k] for k in keys}}
        row["α 95% CI low"], row["α 95% CI high"] = ci[0], ci[1]
        row["n"] = stats["n_units"]
        rows.append(row)
    return pd.DataFrame(rows)


def _shade(value) -> str:
    """Red (≤ 0) through yellow to green (1) for an agreement value; nothing for an undefined one."""
    if value is None or pd.isna(value):
        return ""
    v = min(max(float(value), 0.0), 1.0)
    red, green = (255, int(255 * 2 * v)) if v < 0.5 else (int(255 * 2 * (1 - v)), 200)
    return f"background-color: rgba({red}, {green}, 80, 0.35)"


def _styled(frame: pd.DataFrame):
    numeric = [c for c in frame.columns if c not in ("code", "n", STATISTICS["prevalence"])]
    return frame.style.map(_shade, subset=numeric).format(precision=3, na_rep="undefined")


def _statistics(names: list[str], unit: str) -> None:
    try:
        report = _report(names, unit)
    except QualcodeError as err:
        st.warning(markdown_escape(str(err)))
        return
    unit_name = UNIT_NAMES[unit]
    kappa = "Cohen's κ" if len(names) == 2 else "Fleiss' κ"
    st.caption(f"Unit: {unit_name} — {report['units_compared']} of {report['units']} seen by two or more coders. "
               f"Statistics per code (applied or not): percent agreement, {kappa}, Krippendorff's α (nominal) "
               f"with its 95% bootstrap CI, Brennan–Prediger κ_n, prevalence, n = {unit_name} compared.")
    frame = _table(report)
    st.dataframe(_styled(frame), hide_index=True, width="stretch")
    left, right = st.columns(2)
    left.download_button("Download CSV", frame_csv_bytes(frame), "agreement.csv", "text/csv",
                         icon=":material/download:")
    right.download_button("Download XLSX", frame_xlsx_bytes(frame, "agreement"), "agreement.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          icon=":material/download:")

    codes = list(report["per_code"])
    if codes:
        code = st.selectbox("2×2 table of code", codes, key="agreement.code")
        stats = report["per_code"][code]
        if stats["table_kind"] == "contingency":
            first, second = report["coders"]
            st.caption(f"Contingency table of {unit_name}: rows {first}, columns {second}.")
            index = [f"{first}: applied", f"{first}: not applied"]
            columns = [f"{second}: applied", f"{second}: not applied"]
        else:
            st.caption("Coincidence matrix (pairable values) over all coders.")
            index, columns = ["applied", "not applied"], ["applied", "not applied"]
        st.dataframe(pd.DataFrame(stats["table"], index=index, columns=columns))

    if report["notes"]:
        st.markdown("**Notes**")
        for note in report["notes"]:
            st.text(note)
    st.markdown("**Methods paragraph**")
    st.code(methods_paragraph(report, unit_name), language=None, wrap_lines=True)


def _resolve(segment_id: int, names: list[str], take: str) -> None:
    with store().write() as session:
        resolve(session, get_project(session, create=False), segment_id, names, take)


def _queue(names: list[str]) -> None:
    st.subheader("Reconciliation")
    if len(names) != 2:
        st.info("Reconciliation compares exactly two coders: pick two above.")
        return
    try:
        with store().read() as session:
            queue = reconciliation_queue(session, get_project(session, create=False), names)
    except QualcodeError as err:
        st.warning(markdown_escape(str(err)))
        return
    if not queue:
        st.success("No disagreements between these two coders.")
        return
    done = sum(item["resolved"] for item in queue)
    st.progress(done / len(queue), text=f"{done} of {len(queue)} disagreements resolved")
    first, second = names
    st.caption(f"A = {markdown_escape(first)}, B = {markdown_escape(second)}; the result is the coder "
               f"'{CONSENSUS}'.")
    for item in queue:
        segment = item["unit"]
        with st.container(border=True):
            st.text(f"{item['document']} · segment {segment}" + (" · resolved" if item["resolved"] else ""))
            st.text(item["text"])
            st.text(f"A ({first}): {', '.join(item['codes'][first] or []) or '—'}")
            st.text(f"B ({second}): {', '.join(item['codes'][second] or []) or '—'}")
            for column, (take, label) in zip(st.columns(len(CHOICES)), CHOICES):
                column.button(label, key=f"agreement.resolve.{segment}.{take}", on_click=attempt,
                              args=(_resolve, segment, names, take), kwargs={"done": f"Segment {segment}: {label}"})


def render() -> None:
    st.title("Agreement")
    coders = _coders()
    candidates = [name for name, _ in coders]
    if len(candidates) < 2:
        st.info("Agreement needs at least two coders who have coded in this project.")
        return
    kinds = dict(coders)
    default = [n for n in candidates if n != CONSENSUS][:2]
    left, right = st.columns([3, 1])
    names = left.multiselect("Coders", candidates, default=default, key="agreement.coders",
                             format_func=lambda n: f"{n} ({kinds[n]})")
    unit = right.selectbox("Unit", UNITS, key="agreement.unit")
    if len(names) < 2:
        st.info("Pick at least two coders.")
        return
    _statistics(names, unit)
    _queue(names)
