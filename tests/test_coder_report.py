"""The lead's coder report on the expert-coded shipped groups: the expert's work as the consensus, a second
coder who coded ten turns, and a machine whose suggestions match the consensus on the Kazakh group."""

from __future__ import annotations

import json

import pytest
from analysis_fixture import copy_store, store_fixture
from sqlalchemy import select

from qualcode import cli
from qualcode.assistant.coder_report import coder_report
from qualcode.coding import apply_code, coder_named
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Coder, Coding, Document
from qualcode.store import get_project

built = store_fixture("coder_report")


@pytest.fixture(scope="module")
def store(built, tmp_path_factory):
    s = copy_store(built.engine.url.database, tmp_path_factory.mktemp("coders") / "c.db")
    with pytest.raises(QualcodeError, match="no codings by 'consensus'"), s.read() as session:
        coder_report(session)
    with s.write() as session:
        project = get_project(session)
        consensus = coder_named(session, project, "consensus")
        machine = Coder(project_id=project.id, name="machine", kind="machine", engine="test", settings={})
        session.add(machine)
        kazakh = session.scalars(select(Document.id).where(Document.name == "fg04_shymkent_kk_ru.srt")).one()
        for c in session.scalars(select(Coding).join(Coder).where(Coder.name == "Gold")).all():
            apply_code(session, project, consensus, c.segment_id, c.code_id)
            if c.document_id == kazakh:
                session.add(Coding(coder_id=machine.id, code_id=c.code_id, document_id=c.document_id,
                                   segment_id=c.segment_id, start=c.start, end=c.end, status="suggested", score=0.9))
    yield s
    s.close()


def test_each_coder_against_the_consensus_with_the_machine_as_one_more(store):
    with store.read() as session:
        report = coder_report(session)
    coders = {c["coder"]: c for c in report["coders"]}
    assert set(coders) == {"Dana", "Gold", "machine"} and coders["machine"]["kind"] == "machine"
    assert coders["Gold"]["macro_kappa"] == 1.0 and coders["machine"]["macro_kappa"] == 1.0
    assert [d["document"] for d in coders["machine"]["by_document"]] == ["fg04_shymkent_kk_ru.srt"]
    assert coders["Dana"]["macro_kappa"] < 0.5 and coders["Dana"]["percent_agreement"] < 1
    assert coders["Gold"]["by_document"][0]["document"] == "fg01_recipients_almaty.txt"   # coded first
    lowest = report["lowest"]
    assert lowest and lowest[0]["mean_kappa"] <= lowest[-1]["mean_kappa"]
    for row in lowest:
        for d in row["disagreements"]:
            assert {d["applied_by"], d["not_by"]} == {"Dana", "consensus"} and d["speaker"] and d["text"]


def test_cli(store, capsys):
    assert cli.main(["--db", str(store.engine.url), "coder-report", "--json"]) == 0
    assert {c["coder"] for c in json.loads(capsys.readouterr().out)["coders"]} == {"Dana", "Gold", "machine"}
