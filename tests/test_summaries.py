"""Quote summaries on the three expert-coded shipped groups (ru, kk–ru, en), and the Word report's Summary block."""

from __future__ import annotations

import docx
import numpy as np
import pytest
from analysis_fixture import store_fixture

from qualcode import cli
from qualcode.common.errors import QualcodeError
from qualcode.export.quotes import coded_quotes
from qualcode.assistant.summaries import code_summary, coverage, pick, quote_count

ELDERLY = "Groups at risk/Elderly"


store = store_fixture("summaries")


def test_mmr_takes_the_centre_then_what_is_different():
    rng = np.random.default_rng(0)
    a, b = np.eye(4)[0], np.eye(4)[1]
    rows = np.array([a] * 5 + [b] * 2 + [0.9 * a + 0.1 * b], dtype=float) + rng.normal(0, 0.01, (8, 4))
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    chosen = pick(rows, 2)
    assert chosen[0] in range(8) and {int(rows[chosen[1]].argmax()), int(rows[chosen[0]].argmax())} == {0, 1}
    assert coverage(rows, chosen) > coverage(rows, [0, 1])
    assert [quote_count(n) for n in (1, 2, 4, 9, 16, 30, 200)] == [1, 2, 3, 3, 4, 5, 7]


def test_summary_quotes_are_participants_words_in_three_languages(store):
    result = code_summary(store, ELDERLY, by="document")
    groups = {g["group"]: g for g in result["groups"]}
    assert set(groups) == {"fg01_recipients_almaty.txt", "fg04_shymkent_kk_ru.srt", "fg05_en_teams.vtt"}
    with store.read() as session:
        said = {(q.document, q.text) for q in coded_quotes(session, "Gold", [ELDERLY]).quotes}
    for g in groups.values():
        assert 3 <= len(g["quotes"]) <= 7 and g["participants"] >= 2
        assert sum(q["stands_for"] for q in g["quotes"]) == g["segments"]
        for q in g["quotes"]:
            assert (q["document"], q["text"]) in said and q["speaker"] and q["time"] is not None
    assert any(ch in "".join(q["text"] for q in groups["fg04_shymkent_kk_ru.srt"]["quotes"]) for ch in "әғқңөұүһі")


def test_a_parent_code_summarises_its_subtree_and_blind_mode_keeps_a_coders_own(store):
    whole = code_summary(store, "Groups at risk")["groups"][0]
    assert whole["segments"] > 80 and len(whole["quotes"]) == 7 and whole["documents"] == 3
    dana = code_summary(store, "Groups at risk", coders={"Dana"})
    assert all(q["document"] == "fg05_en_teams.vtt" for g in dana["groups"] for q in g["quotes"])
    with pytest.raises(QualcodeError, match="no quote has an attribute 'colour'"):
        code_summary(store, ELDERLY, by="colour")
    with pytest.raises(QualcodeError, match='no code "Nope"'):
        code_summary(store, "Nope")


def test_word_report_summary_block(store, tmp_path, capsys):
    out = tmp_path / "report.docx"
    url = str(store.engine.url)
    assert cli.main(["--db", url, "export", "docx", str(out), "--codes", ELDERLY, "--summaries"]) == 0
    paragraphs = [p for p in docx.Document(str(out)).paragraphs]
    heading = next(i for i, p in enumerate(paragraphs) if p.text == "Summary")
    assert paragraphs[heading].style.name.startswith("Heading")
    chosen = [p.text.split("\n")[0] for p in paragraphs[heading + 2:heading + 9] if p.style.name == "Quote"]
    summary = code_summary(store, ELDERLY)["groups"][0]
    assert chosen == [q["text"].strip() for q in summary["quotes"]]
    plain = tmp_path / "plain.docx"
    assert cli.main(["--db", url, "export", "docx", str(plain), "--codes", ELDERLY]) == 0
    assert "Summary" not in [p.text for p in docx.Document(str(plain)).paragraphs]
    capsys.readouterr()
    assert cli.main(["--db", url, "summary", ELDERLY, "--by", "language", "--json"]) == 0
    assert '"group": "kk"' in capsys.readouterr().out
