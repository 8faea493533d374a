"""The Export page through AppTest, over the coded project of tests/export_fixture.py."""

from __future__ import annotations

import io
import zipfile

import pytest
from streamlit.testing.v1 import AppTest

from qualcode.store import Store
from tests.export_fixture import PROACTIVE, C, build_project

TIMEOUT = 60


def _page() -> None:
    from qualcode.ui.export_page import render
    from qualcode.ui.pages import framed

    framed(render)()


@pytest.fixture
def store(tmp_path, monkeypatch):
    db = tmp_path / "export.db"
    s = Store(str(db))
    build_project(s, tmp_path)
    monkeypatch.setenv("QUALCODE_DB", str(db))
    yield s
    s.close()


def page() -> AppTest:
    at = AppTest.from_function(_page, default_timeout=TIMEOUT)
    at.query_params["coder"] = "Aigerim"
    return at.run()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_analysis_tab_shows_frequencies(store):
    at = ok(page())
    assert [t.label for t in at.tabs] == ["Word report", "Tables", "REFI-QDA", "Analysis"]
    freq = next(d.value for d in at.dataframe if "participants" in d.value.columns)
    # accepted: Aigerim and Bolat both coded Outages on two turns
    assert freq.loc[C["outages"], "segments"] == 2
    assert freq.loc[C["proactive"], "quotes"] == 1
    preview = next(d.value for d in at.dataframe if "text" in d.value.columns)
    assert PROACTIVE in list(preview["text"])


def test_report_button_builds_a_docx_download(store):
    at = ok(page())
    assert not at.get("download_button")
    at.button(key="export.report.build").click()
    ok(at.run())
    assert len(at.get("download_button")) == 1
    from qualcode.ui.export_page import report_bytes
    data, quoteset = report_bytes("Aigerim", (C["outages"],), "document", 1, "ru", True)
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()  # a real .docx (zip) package
    assert quoteset.quotes and all(q.code == C["outages"] for q in quoteset.quotes)


def test_crosstab_by_attribute_and_refi_downloads(store):
    at = ok(page())
    at.selectbox(key="export.analysis.by").set_value("document:site")
    ok(at.run())
    cross = next(d.value for d in at.dataframe if "Almaty" in d.value.columns)
    assert cross.loc[C["outages"], "Almaty"] == 1 and cross.loc[C["outages"], "Shymkent"] == 1
    at.button(key="export.refi.qdc").click()
    ok(at.run())
    at.button(key="export.refi.qdpx").click()
    ok(at.run())
    assert len(at.get("download_button")) == 2
