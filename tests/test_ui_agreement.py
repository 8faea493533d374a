"""The agreement page through AppTest: the code × statistic table over a real two-coder project, and reconciliation."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest
from team_fixture import build_team

from qualcode.coding import apply_code, coder_named
from qualcode.store.model import Coder, Coding
from qualcode.store import Store, get_project

DATA = Path(__file__).parent / "data"
TIMEOUT = 60


def _page() -> None:
    from qualcode.ui import agreement_page
    from qualcode.ui.pages import framed

    framed(agreement_page.render)()


@pytest.fixture
def team(tmp_path, monkeypatch):
    """Two coders on the turns of one focus group, as in tests/test_team.py."""
    store = Store(str(tmp_path / "team.db"))
    segs, codes = build_team(store)
    monkeypatch.setenv("QUALCODE_DB", str(tmp_path / "team.db"))
    yield store, segs, codes
    store.close()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def run() -> AppTest:
    at = AppTest.from_function(_page, default_timeout=TIMEOUT)
    at.query_params["coder"] = "Aigerim"
    return ok(at.run())


def test_the_table_states_unit_and_statistics(team):
    at = run()
    assert at.multiselect(key="agreement.coders").value == ["Aigerim", "Bolat"]
    frame = next(d.value for d in at.dataframe if "code" in getattr(d.value, "columns", []))
    frame = getattr(frame, "data", frame)
    assert {"percent agreement", "Cohen's κ", "Krippendorff's α", "Brennan–Prediger κ_n", "prevalence", "n"} \
        <= set(frame.columns)
    waiting = frame[frame["code"] == "Waiting time"].iloc[0]
    assert waiting["percent agreement"] == pytest.approx(13 / 14) and waiting["n"] == 14
    assert any("Unit: segments" in c.value for c in at.caption)
    assert "Agreement was assessed on 14 segments" in at.code[0].value
    assert at.progress[0].value == 0


def test_turn_unit_and_three_coders_use_fleiss(team):
    store, segs, codes = team
    with store.write() as session:
        project = get_project(session)
        apply_code(session, project, coder_named(session, project, "Chingiz"), segs[1], codes["Waiting time"])
    at = run()
    at.selectbox(key="agreement.unit").set_value("turn")
    at.multiselect(key="agreement.coders").set_value(["Aigerim", "Bolat", "Chingiz"])
    ok(at.run())
    assert any("Unit: turns" in c.value for c in at.caption)
    assert any("Fleiss' κ" in c.value for c in at.caption)
    assert not at.progress and any("exactly two coders" in i.value for i in at.info)


def test_take_a_writes_a_consensus_coding(team):
    store, segs, codes = team
    at = run()
    texts = [t.value for t in at.text]
    assert any(t.startswith("Портал eGov часто зависает") for t in texts)
    ok(at.button(key=f"agreement.resolve.{segs[4]}.a").click().run())
    with store.read() as session:
        consensus = session.scalars(select(Coder).where(Coder.name == "consensus")).one()
        rows = session.scalars(select(Coding).where(Coding.coder_id == consensus.id)).all()
    assert [(c.segment_id, c.code_id) for c in rows] == [(segs[4], codes["Portal failures"])]
    assert at.progress[0].value == 50  # AppTest reports percent
