"""The Topics page through AppTest, on two shipped groups with the packaged model (`shipped` in conftest.py):
a run from the page is stored and shown, promoting writes a code and suggestions, merging makes a run with one
topic fewer, a scope too small is an error message, and the run on screen is kept in the page address."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from qualcode.store.model import Code, Coder, Coding, Topic, TopicRun
from qualcode.topics.topic_runs import suggested_name

TIMEOUT = 120


def _page() -> None:
    from qualcode.ui import topics_page
    from qualcode.ui.pages import framed

    framed(topics_page.render)()


@pytest.fixture
def project(shipped, monkeypatch):
    """A copy of the shipped groups with topic run 1 (min topic size 8) already stored."""
    monkeypatch.setenv("QUALCODE_DB", shipped.url)
    return shipped


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def page(**params) -> AppTest:
    at = AppTest.from_function(_page, default_timeout=TIMEOUT)
    at.query_params["coder"] = "Aigerim"
    for key, value in params.items():
        at.query_params[key] = value
    return ok(at.run())


def frame(at: AppTest, column: str):
    value = next(d.value for d in at.dataframe if column in getattr(d.value, "columns", []))
    return getattr(value, "data", value)


def stored_topics(store, run_id: int) -> list[Topic]:
    with store.read() as session:
        return session.scalars(select(Topic).where(Topic.run_id == run_id).order_by(Topic.topic_id)).all()


def test_a_stored_run_shows_topics_quotes_and_charts(project):
    at = page()
    assert at.selectbox(key="topic_run").value == 1
    topics = stored_topics(project, 1)
    table = frame(at, "nearest code")
    assert list(table["topic"]) == [t.topic_id for t in topics] and list(table["size"]) == [t.size for t in topics]
    assert table["nearest code"].all() and (table["covers"] == 0).all()   # nobody has coded yet
    assert at.selectbox(key="topics.topic.1").value == topics[0].topic_id
    assert len(at.text) == len(topics[0].representative)                 # the quotes, as plain text
    assert any("·" in c.value and "fg0" in c.value for c in at.caption)  # speaker · document
    assert at.text_input(key=f"topics.name.1.{topics[0].topic_id}").value == \
        suggested_name(topics[0].topic_id, topics[0].keywords)
    shares = frame(at, "recipients")
    assert {"civil servants", "recipients"} <= set(shares.columns)
    assert shares["recipients"].sum() == pytest.approx(1.0, abs=0.01)
    assert len(at.get("vega_lite_chart")) == 2                     # sizes and the heatmap
    assert not at.get("html")


def test_running_topics_from_the_page_stores_and_shows_the_run(project):
    at = page()
    at.multiselect(key="topics.new.documents").set_value(["fg05_en_teams.vtt"])
    at.number_input(key="topics.new.size").set_value(6)
    at.number_input(key="topics.new.seed").set_value(7)
    at.checkbox(key="topics.new.outliers").check()
    at.button(key="topics.new.start").click()
    ok(at.run())
    with project.read() as session:
        run = session.scalars(select(TopicRun).order_by(TopicRun.id.desc())).first()
    assert run.id == 2 and run.parameters["seed"] == 7 and run.parameters["min_topic_size"] == 6
    assert run.parameters["scope"]["documents"] == ["fg05_en_teams.vtt"] and run.parameters["reduce_outliers"]
    assert at.success and at.success[0].value.startswith("Run 2: ")
    assert at.selectbox(key="topic_run").value == 2                       # the new run is on screen
    assert list(frame(at, "nearest code")["topic"]) == [t.topic_id for t in stored_topics(project, 2)]


def test_a_scope_too_small_is_an_error_message(project):
    at = page()
    at.selectbox(key="topics.new.attribute").set_value(("occupation", "student"))
    at.button(key="topics.new.start").click()
    ok(at.run())
    assert "too few segments for topics" in at.error[0].value
    with project.read() as session:
        assert session.scalar(select(func.count()).select_from(TopicRun)) == 1


def test_promote_writes_a_code_and_machine_suggestions(project):
    topic = stored_topics(project, 1)[1]
    at = page()
    at.selectbox(key="topics.topic.1").set_value(topic.topic_id)
    ok(at.run())
    at.text_input(key=f"topics.name.1.{topic.topic_id}").input("Emergent theme")
    at.button(key=f"topics.promote.1.{topic.topic_id}").click()
    ok(at.run())
    assert f"{topic.size} suggestions" in at.toast[0].value
    with project.read() as session:
        code = session.scalars(select(Code).where(Code.name == "Emergent theme")).one()
        rows = session.execute(select(Coding.status, Coder.kind).join(Coder).where(Coding.code_id == code.id)).all()
    assert len(rows) == topic.size and set(rows) == {("suggested", "machine")}
    assert frame(at, "nearest code").set_index("topic").loc[topic.topic_id, "code"] == "Emergent theme"
    at.button(key=f"topics.promote.1.{topic.topic_id}").click()            # the same name again: refused, no crash
    ok(at.run())
    assert at.toast[0].icon == ":material/warning:"


def test_merge_makes_a_run_with_one_topic_fewer_and_the_address_keeps_the_run(project):
    before = stored_topics(project, 1)
    at = page()
    at.multiselect(key="topics.merge.1").set_value([before[0].topic_id, before[1].topic_id])
    ok(at.run())
    at.button(key="topics.merge.go").click()
    ok(at.run())
    assert at.selectbox(key="topic_run").value == 2
    after = stored_topics(project, 2)
    assert len(after) == len(before) - 1 and after[0].size == before[0].size + before[1].size
    assert len(frame(at, "nearest code")) == len(after)
    assert "run 2 has" in at.toast[0].value and at.query_params["topic_run"] == "2"
    again = page(topic_run="1")                                          # a refresh or shared link of run 1
    assert again.selectbox(key="topic_run").value == 1 and len(frame(again, "nearest code")) == len(before)
