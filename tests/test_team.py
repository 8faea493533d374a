"""Team coding on a real project: agreement from the store and from a CSV, imports, reconciliation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from team_fixture import build_team

from qualcode.team.agreement import agreement_report
from qualcode.coding import apply_code, coder_named
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Code, Coder, Coding, Event, Segment
from qualcode.store import get_project
from qualcode.team import (
    assign_documents,
    import_codings,
    project_ratings,
    reconciliation_queue,
    resolve,
)

DATA = Path(__file__).parent / "data"


@pytest.fixture
def team(store):
    segs, codes = build_team(store)
    return store, segs, codes


def test_project_agreement_on_segments(team):
    store, segs, _ = team
    with store.read() as session:
        ratings = project_ratings(session, get_project(session), ["Aigerim", "Bolat"])
    assert ratings.coders == ["Aigerim", "Bolat"] and len(ratings.units) == 14
    report = agreement_report(ratings, bootstrap=0)
    waiting = report["per_code"]["Waiting time"]
    # 14 units: both present on 2, B only on 1, neither on 11 → table [[2, 0], [1, 11]]
    assert waiting["table"] == [[2, 0], [1, 11]]
    assert waiting["percent_agreement"] == pytest.approx(13 / 14)
    po, pe = 13 / 14, (2 / 14) * (3 / 14) + (12 / 14) * (11 / 14)
    assert waiting["cohen_kappa"] == pytest.approx((po - pe) / (1 - pe))


def test_turn_and_document_units(team):
    store, _, _ = team
    with store.read() as session:
        by_doc = project_ratings(session, get_project(session), ["Aigerim", "Bolat"], "document")
    assert len(by_doc.units) == 1
    (unit,) = by_doc.units
    assert by_doc.assigned[(unit, "Aigerim")] == {"Waiting time", "Portal failures", "Informal payments"}


def test_reconciliation_writes_a_consensus_coder_with_events(team):
    store, segs, _ = team
    with store.read() as session:
        queue = reconciliation_queue(session, get_project(session), ["Aigerim", "Bolat"])
    assert [(q["unit"], q["differ"]) for q in queue] == [(segs[4], ["Waiting time"]), (segs[8], ["Informal payments"])]
    assert queue[0]["text"].startswith("Портал eGov часто зависает") and not queue[0]["resolved"]
    with store.write() as session:
        project = get_project(session)
        assert resolve(session, project, segs[4], ["Aigerim", "Bolat"], "a") == ["Portal failures"]
        assert resolve(session, project, segs[8], ["Aigerim", "Bolat"], "edit", ["Informal payments"]) == \
            ["Informal payments"]
        # changing one's mind replaces the consensus on that segment
        assert resolve(session, project, segs[4], ["Aigerim", "Bolat"], "both") == ["Portal failures", "Waiting time"]
    with store.read() as session:
        consensus = session.scalars(select(Coder).where(Coder.name == "consensus")).one()
        codings = session.scalars(select(Coding).where(Coding.coder_id == consensus.id)).all()
        assert sorted((c.segment_id, c.code_id) for c in codings) == sorted(
            [(segs[4], c) for c in session.scalars(select(Code.id).where(Code.name.in_(["Portal failures",
                                                                                         "Waiting time"])))]
            + [(segs[8], session.scalars(select(Code.id).where(Code.name == "Informal payments")).one())])
        assert [e.action for e in session.scalars(select(Event).where(Event.action == "resolve"))] == ["resolve"] * 3
        queue = reconciliation_queue(session, get_project(session), ["Aigerim", "Bolat"])
    assert all(q["resolved"] for q in queue)


def test_import_codings_from_csv(team, tmp_path):
    store, segs, _ = team
    good = tmp_path / "c.csv"
    good.write_text(f"segment,code\n{segs[1]},Waiting time\n{segs[4]},Portal failures\n{segs[4]},Portal failures\n",
                    encoding="utf-8")
    with store.write() as session:
        report = import_codings(session, get_project(session), good, "Dana")
    assert report == {"coder": "Dana", "rows": 3, "added": 2}
    bad = tmp_path / "bad.csv"
    bad.write_text("document,start,end,code\nautocode_group.txt,0,5,Nope\nmissing.txt,0,5,Waiting time\n",
                   encoding="utf-8")
    with store.write() as session:
        with pytest.raises(QualcodeError) as caught:
            import_codings(session, get_project(session), bad, "Erlan")
    assert str(caught.value) == (f"{bad}:2: unknown code 'Nope'; {bad}:3: no document named 'missing.txt'")
    with store.read() as session:
        assert session.scalars(select(Coder).where(Coder.name == "Erlan")).first() is None  # nothing half-done


def test_assignments_define_what_a_coder_saw(team):
    store, _, _ = team
    with store.write() as session:
        project = get_project(session)
        assert assign_documents(session, project, "Dana", ["autocode_group.txt"]) == ["autocode_group.txt"]
        with pytest.raises(QualcodeError, match="no document named nope.txt"):
            assign_documents(session, project, "Dana", ["nope.txt"])
    with store.read() as session:
        ratings = project_ratings(session, get_project(session), ["Aigerim", "Dana"])
    assert all(ratings.assigned[(u, "Dana")] == frozenset() for u in ratings.units)


def test_agreement_cli_from_csv(tmp_path):
    data = tmp_path / "codings.csv"
    data.write_text("unit,coder,code\n1,A,x\n1,B,x\n2,A,\n2,B,y\n3,A,y\n3,B,y\n4,A,x\n4,B,\n4,B,\n",
                    encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "qualcode.cli", "agreement", "--data", str(data), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["coders"] == ["A", "B"] and out["units"] == 4
    x = out["per_code"]["x"]
    assert {"percent_agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "brennan_prediger",
            "prevalence", "n_units"} <= set(x)
    assert x["percent_agreement"] == pytest.approx(0.75) and x["cohen_kappa"] == pytest.approx(0.5)
    assert out["overall"]["krippendorff_alpha_nominal"] is not None
    assert any("duplicate" in n for n in out["notes"])
    one = tmp_path / "one.csv"
    one.write_text("unit,coder,code\n1,A,x\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "qualcode.cli", "agreement", "--data", str(one), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "at least two coders" in proc.stderr


def test_span_units_match_overlapping_codings(team):
    store, segs, codes = team
    with store.write() as session:
        project = get_project(session)
        a, b = coder_named(session, project, "Aigerim"), coder_named(session, project, "Bolat")
        seg = session.get(Segment, segs[10])
        apply_code(session, project, a, seg.id, codes["Waiting time"], seg.start, seg.end)
        apply_code(session, project, b, seg.id, codes["Waiting time"], seg.start + 1, seg.end)   # ≥ 90 % overlap
        apply_code(session, project, b, seg.id, codes["Portal failures"], seg.start, seg.start + 10)  # B only
    with store.read() as session:
        ratings = project_ratings(session, get_project(session), ["Aigerim", "Bolat"], "span")
    report = agreement_report(ratings, bootstrap=0)
    waiting = report["per_code"]["Waiting time"]
    # Waiting time: turns 1 and 2 (both), turn 4 (B only), turn 10 (both, overlapping spans) → 3 agreed of 4
    assert waiting["table"] == [[3, 0], [1, 0]]  # no "neither" cell: only Waiting-time spans count
    assert waiting["percent_agreement"] == pytest.approx(3 / 4)
    assert len(ratings.units) == 7  # one unit per distinct coded span; uncoded text is no unit
