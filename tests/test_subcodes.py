"""Sub-code suggestions within one expert-coded code of the shipped groups (Russian and Kazakh talk)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from analysis_fixture import copy_store, store_fixture
from sqlalchemy import select

from qualcode import cli
from qualcode.codebook.codes import CodeTree
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Coder, Coding
from qualcode.store import get_project
from qualcode.assistant.subcodes import accept_subcode, clusters, suggest_subcodes

PRIVACY = "Trust and integrity/Data protection and privacy"


store = store_fixture("subcodes")


def test_clusters_find_two_separate_groups_and_leave_strays_out():
    rng = np.random.default_rng(0)
    a, b, c = np.eye(8)[0], np.eye(8)[1], np.eye(8)[2]
    rows = np.vstack([a + rng.normal(0, 0.05, (6, 8)), b + rng.normal(0, 0.05, (5, 8)), c[None, :]])
    labels = clusters(rows / np.linalg.norm(rows, axis=1, keepdims=True))
    assert labels.tolist() == [0] * 6 + [1] * 5 + [-1]


def test_candidates_carry_keywords_a_drafted_name_and_participants_quotes(store):
    candidates = suggest_subcodes(store, PRIVACY)
    assert len(candidates) >= 2
    assert [c["segments"] for c in candidates] == sorted((c["segments"] for c in candidates), reverse=True)
    for c in candidates:
        assert c["keywords"] and c["name"] and len(c["segment_ids"]) == c["segments"]
        assert c["quotes"] and all(q["segment"] in c["segment_ids"] and q["speaker"] for q in c["quotes"])
    assert any(ch in q["text"] for c in candidates for q in c["quotes"] for ch in "әғқңөұүһі")
    with pytest.raises(QualcodeError, match="sub-codes need at least"):
        suggest_subcodes(store, PRIVACY, coders={"Dana"})


def test_accepting_makes_a_child_code_and_machine_suggestions(store, tmp_path, capsys):
    s = copy_store(store.engine.url.database, tmp_path / "w.db")
    candidate = suggest_subcodes(s, PRIVACY)[0]
    with pytest.raises(QualcodeError, match="without '/'"):
        accept_subcode(s, PRIVACY, candidate, "a/b")
    result = accept_subcode(s, PRIVACY, candidate, "Fraud by SMS code")
    assert result["code"] == f"{PRIVACY}/Fraud by SMS code" and result["suggestions"] == candidate["segments"]
    with s.read() as session:
        child = CodeTree(session, get_project(session)).find(result["code"])
        rows = session.execute(select(Coding.segment_id, Coding.status, Coding.reason, Coder.kind).join(Coder)
                               .where(Coding.code_id == child.id)).all()
    assert sorted(r.segment_id for r in rows) == sorted(candidate["segment_ids"])
    assert {(r.status, r.kind) for r in rows} == {("suggested", "machine")}
    assert all("sub-code candidate" in r.reason for r in rows)
    s.close()
    capsys.readouterr()
    assert cli.main(["--db", str(store.engine.url), "subcodes", PRIVACY, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) >= 2
