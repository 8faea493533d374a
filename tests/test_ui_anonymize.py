"""The Anonymise page through Streamlit's AppTest: detect, review, apply, preview, over a real store."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from qualcode.ingest.importer import ImportOptions, import_files
from qualcode.store.model import Document
from qualcode.store import Store
from tests.test_anonymize import GROUP, SECOND, SIDECAR

TIMEOUT = 120


def _page() -> None:
    from qualcode.ui import anonymize_page
    from qualcode.ui.pages import framed

    framed(anonymize_page.render)()


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "fg07.txt").write_text(GROUP, encoding="utf-8")
    (tmp_path / "fg07.attributes.yaml").write_text(SIDECAR, encoding="utf-8")
    (tmp_path / "fg08.txt").write_text(SECOND, encoding="utf-8")
    s = Store(f"sqlite:///{tmp_path / 'anon.db'}")
    results = import_files(s, [tmp_path / "fg07.txt"], ImportOptions(attributes=tmp_path / "fg07.attributes.yaml"))
    results += import_files(s, [tmp_path / "fg08.txt"], ImportOptions())
    assert [r.status for r in results] == ["imported", "imported"]
    monkeypatch.setenv("QUALCODE_DB", str(tmp_path / "anon.db"))
    yield s
    s.close()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def review_table(at: AppTest):
    return next(d.value for d in at.dataframe if "confidence" in d.value.columns)


def detected(project) -> AppTest:
    at = AppTest.from_function(_page, default_timeout=TIMEOUT)
    at.query_params["coder"] = "Alice"
    ok(at.run())
    assert "Nothing detected yet: press Detect." in [c.value for c in at.caption]
    ok(at.button(key="anonymise.detect").click().run())
    return at


def test_detect_shows_the_proposals_for_review(project):
    at = detected(project)
    table = review_table(at)
    assert list(table.columns) == ["document", "text", "type", "confidence", "note", "status"]
    assert {"+7 701 555 12 34", "aigerim.s@mail.kz", "Марат Сапаров"} <= set(table["text"])
    assert set(table["status"]) == {"proposed"}
    at.multiselect(key="anonymise.types").set_value(["PHONE"])
    ok(at.run())
    assert list(review_table(at)["text"]) == ["+7 701 555 12 34"]


def test_accept_and_apply_change_the_preview_not_the_stored_text(project):
    at = detected(project)
    with project.read() as session:
        stored = session.scalars(select(Document).where(Document.name == "fg07.txt")).one().text
    at.multiselect(key="anonymise.types").set_value(["PHONE"])
    ok(at.run())
    key = next(k for k in at.session_state if str(k).startswith("anonymise.review."))
    at.session_state[key] = {"selection": {"rows": [0], "columns": []}}
    ok(at.run())
    ok(at.button(key="anonymise.accept").click().run())
    assert list(review_table(at)["status"]) == ["accepted"]
    ok(at.button(key="anonymise.apply").click().run())
    at.selectbox(key="anonymise.preview").set_value("fg07.txt")
    ok(at.run())
    preview = at.text[-1].value
    assert "+7 701 555 12 34" not in preview and "Айгерим:" not in preview
    assert "Participant" in preview
    with project.read() as session:
        assert session.scalars(select(Document).where(Document.name == "fg07.txt")).one().text == stored
    assert at.get("download_button")
