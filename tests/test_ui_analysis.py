"""The Analyse page through AppTest on the three expert-coded shipped groups: a Kazakh search lists
participants' words with speaker and document, selected hits are coded as the person in the sidebar,
and the summaries and contrasts tabs show quotes, never HTML."""

from __future__ import annotations

import pytest
from analysis_fixture import analysis_store, copy_store
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from qualcode.store.model import Code, Coder, Coding

TIMEOUT = 120


def _page() -> None:
    from qualcode.ui import analysis_page
    from qualcode.ui.pages import framed

    framed(analysis_page.render)()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    s = analysis_store(tmp_path_factory, "ui_analysis")
    yield s
    s.close()


@pytest.fixture
def project(built, tmp_path, monkeypatch):
    copy_store(built.engine.url.database, tmp_path / "w.db").close()
    monkeypatch.setenv("QUALCODE_DB", str(tmp_path / "w.db"))
    return tmp_path / "w.db"


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_search_code_hits_summaries_and_contrasts(project):
    from qualcode.store import Store

    at = AppTest.from_function(_page, default_timeout=TIMEOUT)
    at.query_params["coder"] = "Aruzhan"
    ok(at.run())
    assert "Nothing on this page is generated" in at.caption[0].value
    at.text_input(key="ask.query").input("кезек")
    at.radio(key="ask.mode").set_value("words")
    ok(at.run())
    quotes = [m.value for m in at.markdown if m.value.startswith("> ")]
    assert quotes and any("кезек" in q.casefold() for q in quotes)
    boxes = [c for c in at.checkbox if c.key.startswith("ask.pick.")]
    boxes[0].check()
    ok(at.run())
    at.selectbox(key="ask.apply_code").set_value("Service quality/Waiting time and queues")
    at.button(key="ask.apply").click()
    ok(at.run())
    segment = int(boxes[0].key.rsplit(".", 1)[1])
    store = Store(str(project))
    with store.read() as session:
        rows = session.execute(select(Coding.segment_id, Coding.status).join(Coder)
                               .where(Coder.name == "Aruzhan")).all()
    store.close()
    assert [(r.segment_id, r.status) for r in rows] == [(segment, "manual")]
    at.selectbox(key="summary.code").set_value("Groups at risk/Elderly")
    at.selectbox(key="summary.by").set_value("language")
    at.selectbox(key="contrast.key").set_value("participant:type")
    ok(at.run())
    headers = [h.value for h in at.subheader]
    assert "language\\: kk" in headers and "participant\\:type\\: civil servant" in headers   # escaped: text is data
    assert any("Provider side/IT systems" in e.label for e in at.expander)
    at.selectbox(key="sub.code").set_value("Trust and integrity/Data protection and privacy")
    at.toggle(key="sub.on").set_value(True)
    ok(at.run())
    at.text_input(key="sub.name.0").input("Fraud by SMS code")
    at.button(key="sub.accept.0").click()
    ok(at.run())
    store = Store(str(project))
    with store.read() as session:
        kinds = session.execute(select(Coding.status, Coder.kind).join(Coder).join(Code)
                                .where(Code.name == "Fraud by SMS code")).all()
    store.close()
    assert kinds and set(kinds) == {("suggested", "machine")}
    assert [t.label for t in at.tabs][-1] == "Coders"      # a single-user install: the person is the lead
    assert any("no codings by" in m.value for m in at.info)   # no consensus yet: one line, no traceback
