"""Frequencies, crosstabs and co-occurrence on known codings (see export_fixture), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from export_fixture import BROKER, KAZAKH_QUOTE, OUTAGE_RU, VILLAGE, C, build_project

from qualcode import cli
from qualcode.export import analysis
from qualcode.codebook.codes import CodeTree
from qualcode.coding import apply_code, coder_named
from qualcode.common.errors import QualcodeError
from qualcode.export.quotes import coded_quotes
from qualcode.store import get_project


@pytest.fixture
def coded(store, tmp_path):
    segments = build_project(store, tmp_path)
    return store, segments


def quotes(store, coder="accepted", codes=None, anonymise=False):
    with store.read() as session:
        return coded_quotes(session, coder, codes, anonymise)


def test_quotes_carry_people_times_coders_and_cooccurring_codes(coded):
    store, _ = coded
    qs = quotes(store)
    assert len(qs.quotes) == 11 and qs.documents == 2 and qs.coder_kind == "accepted"
    assert [c.path for c in qs.codes][:3] == ["Channels and access", "Channels and access/Public service centres (TsON)",
                                              "Channels and access/eGov portal"]
    by = {(q.code, q.text): q for q in qs.quotes}
    outage = by[(C["outages"], OUTAGE_RU)]
    assert (outage.participant, outage.role, outage.time, outage.coders) == ("Ерлан", "participant", 140.0,
                                                                            ("Aigerim", "Bolat"))
    assert outage.pseudonym == "Е. (предприниматель)"
    assert outage.value("type") == "recipient" and outage.value("document:site") == "Almaty"
    assert outage.value("group") == "recipients" and outage.value("document") == "fg_almaty.txt"
    assert outage.cooccurring == (C["waiting"],)
    kazakh = by[(C["kazakh"], VILLAGE)]
    assert (kazakh.statuses, kazakh.score, kazakh.coders) == (("accepted",), 0.77, ("Aigerim",))
    assert kazakh.cooccurring == (C["divide"], C["rural"], C["elderly"])
    assert C["usability"] not in {q.code for q in qs.quotes}  # suggested, then rejected: not applied
    assert by[(C["portal"], KAZAKH_QUOTE)].text == KAZAKH_QUOTE


def test_coder_choices_and_code_filter(coded):
    store, segments = coded
    assert len(quotes(store, "Aigerim").quotes) == 9  # 8 manual codings and 1 accepted suggestion
    assert {(q.code, q.score) for q in quotes(store, "machine").quotes} == {(C["kazakh"], 0.77), (C["usability"], 0.55)}
    only = quotes(store, codes=["Trust and integrity"])
    assert [c.path for c in only.codes] == ["Trust and integrity", "Trust and integrity/Informal payments and corruption",
                                            "Trust and integrity/Informal payments and corruption/Requests and payments to officials",
                                            C["brokers"], "Trust and integrity/Data protection and privacy",
                                            "Trust and integrity/Trust in the state"]
    assert [c.depth for c in only.codes] == [0, 1, 2, 2, 1, 1]
    assert [q.text for q in only.quotes] == [BROKER]
    with pytest.raises(QualcodeError, match="no consensus coder yet"):
        quotes(store, "consensus")
    with pytest.raises(QualcodeError, match='no code "Nope"'):
        quotes(store, codes=["Nope"])
    with store.write() as session:
        project = get_project(session)
        consensus = coder_named(session, project, "consensus")
        apply_code(session, project, consensus, segments[OUTAGE_RU], CodeTree(session, project).find(C["outages"]).id)
    assert [(q.code, q.coder) for q in quotes(store, "consensus").quotes] == [(C["outages"], "consensus")]
    assert len(quotes(store).quotes) == 11  # "accepted" leaves the consensus coder out


def test_anonymised_names(coded):
    store, _ = coded
    names = {q.text: q.participant for q in quotes(store, anonymise=True).quotes}
    assert names[OUTAGE_RU] == "Е. (предприниматель)"  # the pseudonym
    assert names[BROKER] == "Participant 1" and names[VILLAGE] == "Participant 4"  # numbered per role over the project


def test_frequencies(coded):
    store, _ = coded
    freq = analysis.frequencies(quotes(store))
    assert list(freq.columns) == ["segments", "participants", "documents", "quotes"]
    assert freq.loc[C["outages"]].tolist() == [2, 2, 2, 2]
    assert freq.loc["Groups at risk/Rural residents"].tolist() == [1, 1, 1, 1]
    assert freq.loc["Channels and access"].tolist() == [0, 0, 0, 0]
    assert len(freq) == 44 and len(analysis.nonzero(freq)) == 10
    assert int(freq["segments"].sum()) == 11


def test_crosstabs_by_participant_and_document_attributes(coded):
    store, _ = coded
    qs = quotes(store)
    by_type = analysis.crosstab(qs, "type")
    assert list(by_type.columns) == ["provider", "recipient"]
    assert by_type.loc[C["outages"]].tolist() == [1, 1]
    assert by_type.loc[C["brokers"]].tolist() == [0, 1]
    assert by_type.sum().tolist() == [7, 4]
    by_site = analysis.crosstab(qs, "document:site", measure="participants")
    assert list(by_site.columns) == ["Almaty", "Shymkent"]
    assert by_site.loc[C["outages"]].tolist() == [1, 1]
    by_gender = analysis.crosstab(qs, "gender", measure="documents")
    assert by_gender.loc[C["outages"]].tolist() == [1, 1]
    assert analysis.crosstab(qs, "document").loc[C["divide"]].tolist() == [0, 1]
    with pytest.raises(QualcodeError, match="no quote has an attribute 'region' .*known: .*gender"):
        analysis.crosstab(qs, "region")


def test_cooccurrence_matrix(coded):
    store, _ = coded
    matrix = analysis.cooccurrence(quotes(store))
    assert matrix.loc[C["outages"], C["outages"]] == 2
    assert matrix.loc[C["outages"], C["waiting"]] == matrix.loc[C["waiting"], C["outages"]] == 1
    assert matrix.loc[C["outages"], C["training"]] == 1
    assert matrix.loc[C["rural"], C["kazakh"]] == 1 and matrix.loc[C["divide"], C["elderly"]] == 1
    assert matrix.loc[C["brokers"]].sum() == 1
    assert (matrix.to_numpy() == matrix.to_numpy().T).all()
    aigerim = analysis.cooccurrence(quotes(store, "Aigerim"))
    assert aigerim.loc[C["outages"], C["training"]] == 0  # Training was Bolat's code


def test_charts_build_and_the_module_does_not_import_streamlit(coded):
    store, _ = coded
    qs = quotes(store)
    bar = analysis.bar_chart(analysis.nonzero(analysis.frequencies(qs))).to_dict()
    assert bar["mark"]["type"] == "bar"
    heat = analysis.heatmap(analysis.nonzero(analysis.cooccurrence(qs))).to_dict()
    assert len(heat["layer"]) == 2
    code = "import sys, qualcode.export.analysis, qualcode.export.docx, qualcode.export.tables; print('streamlit' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_cli_analyse(coded, capsys, monkeypatch):
    store, _ = coded
    assert cli.main(["--db", store.url, "analyse", "crosstab", "--by", "type", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["by"] == "type" and result["measure"] == "segments"
    assert {"code": C["outages"], "provider": 1, "recipient": 1} in result["rows"] and len(result["rows"]) == 10
    assert cli.main(["--db", store.url, "analyse", "frequencies", "--coder", "Bolat"]) == 0
    out = capsys.readouterr().out
    assert C["training"] in out and C["brokers"] not in out
    assert cli.main(["--db", store.url, "analyse", "cooccurrence", "--json", "--all"]) == 0
    assert len(json.loads(capsys.readouterr().out)["rows"]) == 44
    assert cli.main(["--db", store.url, "analyse", "crosstab"]) == 1
    assert "crosstab needs --by ATTRIBUTE" in capsys.readouterr().err
