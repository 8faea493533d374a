"""Every page's main flows through Streamlit's AppTest: the real pages over a real store, no browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from qualcode.codebook.codes import code_rows
from qualcode.coding import apply_code, coder_named
from qualcode.ingest.documents import get_document
from qualcode.store.model import Coding, Document, Event
from qualcode.coding.review import load_review
from qualcode.store import Store, get_project
from tests.review_fixture import BRIBE, DOCUMENT, HOSTILE, PORTAL, TRANSCRIPT, review_project

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60


def _page(module: str) -> None:
    """An AppTest script that draws one page as the app does (sidebar, toasts, page)."""
    import importlib

    from qualcode.ui.pages import framed

    framed(importlib.import_module(f"qualcode.ui.{module}").render)()


def page(module: str, coder: str | None = "Alice", **params) -> AppTest:
    at = AppTest.from_function(_page, args=(module,), default_timeout=TIMEOUT)
    if coder:
        at.query_params["coder"] = coder
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


@pytest.fixture
def store(tmp_path, monkeypatch):
    s = review_project(tmp_path)
    monkeypatch.setenv("QUALCODE_DB", str(tmp_path / "review.db"))
    yield s
    s.close()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def codings(store, coder="Alice") -> list[tuple[str, str]]:
    with store.read() as session:
        review = load_review(session, DOCUMENT, coder)
        rows = session.scalars(select(Coding).where(Coding.status != "suggested").order_by(Coding.id)).all()
        return [(c.status, review.codes[c.code_id].path) for c in rows]


def table(at: AppTest, column: str):
    """The (read-only) table that has this column."""
    return next(d.value for d in at.dataframe if d.editing_mode == "read_only" and column in d.value.columns)


def texts(at: AppTest) -> list[str]:
    return [t.value for t in at.text]


def markdown(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown] + [c.value for c in at.caption]


def test_the_app_opens_on_the_project_page(store, monkeypatch):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["coder"] = "Alice"
    ok(at.run())
    assert at.title[0].value == "default"
    assert at.sidebar.selectbox(key="coder").value == "Alice"
    documents = table(at, "document")
    assert list(documents["document"]) == [DOCUMENT] and list(documents["suggestions"]) == [6]


def test_import_shows_a_preview_and_stores_only_on_confirm(tmp_path, monkeypatch):
    monkeypatch.setenv("QUALCODE_DB", str(tmp_path / "empty.db"))
    at = ok(page("project_page"))
    assert "no project yet" in at.info[0].value
    name = "upload.txt"
    at.file_uploader(key="upload.files").upload(name, TRANSCRIPT.encode("utf-8"))
    ok(at.run())
    assert list(at.data_editor[0].value["speaker as found"]) == ["Модератор", "Айгерим", "Ерлан"]
    assert {m.label: m.value for m in at.metric}["Turns"] == "6"
    assert at.selectbox(key=f"upload.{name}.moderator").value == "Модератор"
    assert HOSTILE in list(table(at, "text")["text"])
    store = Store(str(tmp_path / "empty.db"))
    with store.read() as session:
        assert session.scalar(select(Document.id)) is None
    # the researcher renames a speaker (what the speakers table's on_change stores) and picks the moderator
    at.session_state[f"upload.{name}.rename"] = {"Айгерим": "Aigerim"}
    at.selectbox(key=f"upload.{name}.moderator").set_value("Модератор")
    ok(at.run())
    assert "Aigerim (participant)" in " ".join(markdown(at)).replace("\\", "")
    at.button(key=f"upload.{name}.import").click()
    ok(at.run())
    with store.read() as session:
        doc = get_document(session, name)
        assert {p.label: p.role for p in doc.participants} == {"Модератор": "moderator", "Aigerim": "participant",
                                                               "Ерлан": "participant"}
        assert doc.source_name == f"upload:{name}"
    assert any("Already in the project" in i.value for i in at.info)


def test_attribute_editors_show_the_participants_and_take_a_new_column(store):
    at = ok(page("project_page"))
    keys = [e.key for e in at.data_editor]
    assert keys == ["docattrs.1.0", "participants.1.0"]
    assert list(at.data_editor[1].value["label"]) == ["Модератор", "Айгерим", "Ерлан"]
    at.text_input(key="participants.1.new").set_value("region")
    at.form_submit_button[0].click()
    ok(at.run())
    assert "region" in at.data_editor[1].value.columns


def test_a_code_is_edited_renamed_added_and_archived(store):
    at = ok(page("codebook_page"))
    codes = table(at, "code")
    assert list(codes["code"]) == ["Waiting time", "Portal failures", "Informal payments"]
    assert list(codes["suggested"]) == [2, 2, 2]
    at.selectbox(key="codebook.selected").set_value("Waiting time")
    ok(at.run())
    guid = next(k for k in at.session_state if str(k).startswith("codebook.edit.")).split(".")[2]
    at.text_area(key=f"codebook.edit.{guid}.definition").set_value("Queues <b>and</b> waiting")
    at.text_area(key=f"codebook.edit.{guid}.examples").set_value("one\ntwo")
    at.text_input(key=f"codebook.edit.{guid}.tags").set_value("SWOT:weakness")
    at.form_submit_button[0].click()
    ok(at.run())
    at.text_input(key=f"codebook.{guid}.rename").set_value("Queues")
    next(b for b in at.form_submit_button if b.label == "Rename").click()
    ok(at.run())
    assert at.selectbox(key="codebook.selected").value == "Queues"
    at.selectbox(key="codebook.add.parent").set_value("Queues")
    at.text_input(key="codebook.add.name").set_value("Electronic queue")
    next(b for b in at.form_submit_button if b.label == "Add code").click()
    ok(at.run())
    at.selectbox(key="codebook.selected").set_value("Portal failures")
    ok(at.run())
    at.button(key=next(k for k in (b.key for b in at.button) if k and k.endswith(".archive"))).click()
    ok(at.run())
    with store.read() as session:
        rows = {r["path"]: r for r in code_rows(session, get_project(session), include_archived=True)}
    assert rows["Queues"]["definition"] == "Queues <b>and</b> waiting"
    assert rows["Queues"]["examples"] == ["one", "two"] and rows["Queues"]["tags"] == ["SWOT:weakness"]
    assert "Queues/Electronic queue" in rows and rows["Portal failures"]["archived"]
    assert list(table(at, "code")["code"]) == ["Queues", "\u2003Electronic queue", "Informal payments"]


def test_accept_reject_and_undo_in_the_coding_room(store):
    at = ok(page("code_page", doc=DOCUMENT))
    # the first segments are the moderator's; J moves on to the first with suggestions
    at.button(key="code.next").click()
    ok(at.run())
    assert "Waiting time" in at.button(key="code.accept").label
    at.button(key="code.accept").click()
    ok(at.run())
    assert codings(store) == [("accepted", "Waiting time")]
    assert "Portal failures" in at.button(key="code.reject").label     # same segment: one suggestion left
    at.button(key="code.reject").click()
    ok(at.run())
    assert codings(store) == [("accepted", "Waiting time"), ("rejected", "Portal failures")]
    assert "Portal failures" in at.button(key="code.accept").label      # moved on to the next segment
    at.button(key="code.undo").click()
    ok(at.run())
    assert codings(store) == [("accepted", "Waiting time")]
    assert "Portal failures" in at.button(key="code.reject").label and at.session_state["code.cursor"] == 2
    assert "1 coded by you" in at.get("progress")[0].proto.text


def test_palette_narrow_span_memo_and_number_keys(store):
    at = ok(page("code_page", doc=DOCUMENT, seg="3"))
    at.text_input(key="code.quote").set_value("Портал eGov")
    with store.read() as session:
        review = load_review(session, DOCUMENT, "Alice")
    informal = next(c.id for c in review.codes.values() if c.path == "Informal payments")
    at.selectbox(key="code.palette").set_value(informal)
    ok(at.run())
    with store.read() as session:
        coding = session.scalars(select(Coding).where(Coding.status == "manual")).one()
        text = load_review(session, DOCUMENT, "Alice").text
    assert text[coding.start:coding.end] == "Портал eGov" and at.session_state["code.quote"] == ""
    at.text_area(key=f"code.memo.{coding.id}").set_value("about the portal")
    at.button(key=f"code.memo.{coding.id}.save").click()
    ok(at.run())
    at.button(key="code.recent.1").click()        # 1 = the most recently used code, here on the next segment
    ok(at.run())
    with store.read() as session:
        rows = session.scalars(select(Coding).where(Coding.status != "suggested").order_by(Coding.id)).all()
    assert rows[0].memo == "about the portal" and [r.code_id for r in rows] == [informal, informal]


def test_bulk_accept_previews_then_accepts_those_shown(store):
    at = page("code_page", doc=DOCUMENT)
    at.session_state["code.bulk.open"] = True
    ok(at.run())
    with store.read() as session:
        review = load_review(session, DOCUMENT, "Alice")
    informal = next(c.id for c in review.codes.values() if c.path == "Informal payments")
    at.selectbox(key="code.bulk.code").set_value(informal)
    at.slider(key="code.bulk.score").set_value(0.6)
    ok(at.run())
    preview = table(at, "segment")
    assert list(preview["score"]) == [0.95, 0.62] and HOSTILE in list(preview["segment"])
    at.button(key="code.bulk.accept").click()
    ok(at.run())
    assert codings(store) == [("accepted", "Informal payments"), ("accepted", "Informal payments")]


def test_blind_mode_hides_another_coders_chips(store):
    with store.write() as session:
        project = get_project(session)
        review = load_review(session, DOCUMENT, "Bob")
        apply_code(session, project, coder_named(session, project, "Bob"), review.segments[2].id,
                   next(c.id for c in review.codes.values() if c.path == "Portal failures"))
    at = ok(page("code_page", doc=DOCUMENT, seg=str(review.segments[2].id)))
    assert any("Bob" in m for m in markdown(at))
    settings = ok(page("project_page"))
    settings.toggle(key="project.blind").set_value(True)
    ok(settings.run())
    at = ok(page("code_page", doc=DOCUMENT, seg=str(review.segments[2].id)))
    assert not any("Bob" in m for m in markdown(at))
    assert any("Blind coding" in m for m in markdown(at))


def test_transcript_markup_is_shown_as_text(store):
    with store.read() as session:
        hostile = next(s for s in load_review(session, DOCUMENT, "Alice").segments if s.text == HOSTILE)
    at = ok(page("code_page", doc=DOCUMENT, seg=str(hostile.id)))
    assert texts(at).count(HOSTILE) == 2          # in the transcript and in the segment being coded
    for body in markdown(at) + [b.label for b in at.button]:
        for raw in ("<script>", "[link](", "![img]", "$x$"):
            assert raw not in body, body
    assert not at.get("html")


def test_filters_narrow_the_transcript(store):
    at = ok(page("code_page", doc=DOCUMENT))
    at.multiselect(key="code.f.speakers").set_value(["Ерлан"])
    ok(at.run())
    assert texts(at) == [PORTAL, BRIBE, PORTAL]       # Ерлан's turns, then the one being coded
    at.segmented_control(key="code.f.order").set_value("Code next")
    ok(at.run())
    assert texts(at)[:2] == [BRIBE, PORTAL]            # 0.51 is nearer 0.5 than 0.88


def test_autocode_page_runs_the_engine_with_progress(store):
    at = ok(page("autocode_page"))
    at.form_submit_button[0].click()
    ok(at.run(timeout=180))
    [status] = [node for node in at.main.children.values() if type(node).__name__ == "Status"]
    assert "suggestions for 4 segments" in status.label and status.icon == ":material/check:"
    with store.read() as session:
        run = session.scalars(select(Event).where(Event.action == "autocode")).one()
    assert run.after["engine"] == "auto" and run.after["segments"] == 4


def test_with_oidc_configured_the_logged_in_user_codes(store):
    at = AppTest.from_function(_page, args=("code_page",), default_timeout=TIMEOUT)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x"}
    at.user = {"is_logged_in": False}
    ok(at.run())
    assert at.sidebar.button[0].label == "Log in" and "Pick who is coding" in at.info[0].value
    at.user = {"is_logged_in": True, "name": "Dana", "email": "dana@example.org"}
    at.query_params["doc"] = DOCUMENT
    ok(at.run())
    at.button(key="code.next").click()
    ok(at.run())
    at.button(key="code.accept").click()
    ok(at.run())
    assert codings(store, "Dana") == [("accepted", "Waiting time")]
    with store.read() as session:
        assert session.scalar(select(Event.actor).where(Event.action == "accept")) == "Dana"
