"""The consistency audit on the three expert-coded shipped groups, with codings moved on purpose."""

from __future__ import annotations

import json

import numpy as np
import pytest
from analysis_fixture import copy_store, store_fixture
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from qualcode import cli
from qualcode.assistant.audit import audit_matrix, decide_item, distances, run_audit
from qualcode.codebook.codes import CodeTree
from qualcode.coding import apply_code, coder_named
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Coder, Coding, Document, Segment
from qualcode.store import Store, get_project

PRIVACY = "Trust and integrity/Data protection and privacy"
GREETING = "Good morning everyone, thanks for having us."   # fg05: a greeting, coded nothing by the expert


store = store_fixture("audit")


def test_distances_measure_each_side_from_its_own_norm():
    scores = np.array([0.9, 0.8, 0.1, 0.1, 0.2, 0.95])
    labels = np.array([True, True, True, False, False, False])
    far, coded, uncoded = distances(scores, labels)
    assert (coded, uncoded) == (0.8, 0.2)
    assert far.round(3).tolist() == [-0.125, 0.0, 0.875, -0.125, 0.0, 0.938]


def _segment(session, text: str) -> Segment:
    docs = {d.id: d.text for d in session.scalars(select(Document))}
    return next(sg for sg in session.scalars(select(Segment)) if docs[sg.document_id][sg.start:sg.end] == text)


def test_a_code_put_on_the_wrong_turn_comes_to_the_top(store, tmp_path):
    s = copy_store(store.engine.url.database, tmp_path / "w.db")
    with s.write() as session:
        project = get_project(session)
        wrong = _segment(session, GREETING)
        code = CodeTree(session, project).find(PRIVACY)
        apply_code(session, project, coder_named(session, project, "Gold"), wrong.id, code.id)
        wrong_id = wrong.id
    queue = run_audit(s, codes=[PRIVACY, "Groups at risk"])
    assert queue and [q["distance"] for q in queue] == sorted((q["distance"] for q in queue), reverse=True)
    planted = next(q for q in queue if q["segment"] == wrong_id and q["coded"])
    assert queue.index(planted) < 10 and "Data protection" in planted["reason"]
    assert planted["speaker"] and planted["document"] and planted["time"] is not None
    assert {q["kind"] for q in queue} <= {"coded, unlike the code", "uncoded, like the code"}
    assert any(ch in q["text"] for q in queue for ch in "әғқңөұүһі")      # the Kazakh group is audited too
    with s.read() as session:
        before = session.scalar(select(Coding.id).order_by(Coding.id.desc()))
    decide_item(s, "Gold", wrong_id, planted["code_id"], "keep")
    assert all(not (q["segment"] == wrong_id and q["code"] == planted["code"]) for q in run_audit(s, codes=[PRIVACY]))
    with s.read() as session:
        assert session.scalar(select(Coding.id).order_by(Coding.id.desc())) == before   # nothing written
    with pytest.raises(QualcodeError, match="only the coder who applied it"):
        decide_item(s, "Dana", wrong_id, planted["code_id"], "remove")
    decide_item(s, "Gold", wrong_id, planted["code_id"], "remove")
    with s.read() as session:
        assert not session.scalars(select(Coding).where(Coding.segment_id == wrong_id)).all()
    s.close()


def test_blind_mode_audits_a_coders_own_codings(store, capsys):
    assert run_audit(store, coders={"Dana"}) == []     # ten codings: no code reaches the minimum
    assert cli.main(["--db", str(store.engine.url), "audit", "--code", PRIVACY, "--limit", "5", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert 1 <= len(items) <= 5 and all({"segment", "code", "reason", "score", "speaker"} <= set(i) for i in items)
    assert {i["code"] for i in items} == {PRIVACY}


def test_engine_finds_a_planted_outlier():
    rng = np.random.default_rng(0)
    centre = rng.normal(size=16)
    features = rng.normal(size=(60, 16))
    labels = np.zeros((60, 1), dtype=bool)
    features[:15] += 3 * centre
    labels[:15, 0] = True
    labels[40, 0] = True      # coded, but nothing like the others
    far = audit_matrix(features, labels)
    assert int(np.argmax(far[:, 0])) == 40


def _queue_page() -> None:
    from qualcode.ui import audit_queue

    audit_queue.render("Gold")


def test_the_code_pages_queue_lists_items_and_a_decision_takes_one_off(store, tmp_path, monkeypatch):
    copy_store(store.engine.url.database, tmp_path / "q.db").close()
    monkeypatch.setenv("QUALCODE_DB", str(tmp_path / "q.db"))
    at = AppTest.from_function(_queue_page, default_timeout=120).run()
    at.button(key="audit.run").click()
    at.run()
    assert not at.exception
    reasons = [c.value for c in at.caption if "a model trained on" in c.value]
    assert reasons and all("<" not in r for r in reasons)
    keep = [b for b in at.button if b.key.startswith("audit.keep.")]
    first = keep[0].key
    keep[0].click()
    at.run()
    assert not at.exception and first not in [b.key for b in at.button]
    segment, code = (int(x) for x in first.split(".")[2:4])
    s = Store(str(tmp_path / "q.db"))
    with s.read() as session:
        settings = session.scalars(select(Coder.settings).where(Coder.name == "Gold")).one()
    s.close()
    assert [segment, code] in settings["audit_dismissed"]
