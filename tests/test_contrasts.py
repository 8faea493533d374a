"""Group contrasts on the three expert-coded shipped groups: civil servants (English) against recipients
(Russian, Kazakh–Russian), and women against men within each language."""

from __future__ import annotations

import json

import pytest
from analysis_fixture import store_fixture

from qualcode import cli
from qualcode.assistant.contrasts import benjamini_hochberg, contrast
from qualcode.common.errors import QualcodeError
from qualcode.assistant.words import stems

store = store_fixture("contrasts")


def test_benjamini_hochberg_matches_the_textbook_example():
    assert [round(q, 3) for q in benjamini_hochberg([0.01, 0.04, 0.03, 0.005])] == [0.02, 0.04, 0.04, 0.02]


def test_civil_servants_raise_the_provider_side_with_the_quotes_behind_it(store):
    result = contrast(store, "type")
    assert "Fisher's exact test" in result["test"]
    groups = {g["value"]: g for g in result["groups"]}
    servants, recipients = groups["civil servant"], groups["recipient"]
    it = next(r for r in servants["codes"] if r["code"] == "Provider side/IT systems")
    assert it["direction"] == "more" and it["in"] > 10 and it["out"] <= 2 and it["q"] < 0.01
    assert it["participants"] >= 3 and 1 <= len(it["quotes"]) <= 3
    assert {q["document"] for q in it["quotes"]} == {"fg05_en_teams.vtt"}
    assert len({q["speaker"] for q in it["quotes"]}) == len(it["quotes"])
    tson = next(r for r in recipients["codes"] if r["code"] == "Channels and access/Public service centres (TsON)")
    assert tson["direction"] == "more" and tson["out"] == 0
    # the groups spoke different languages: no word is compared across them
    assert servants["words"] == [] and recipients["words"] == []


def test_words_are_compared_within_a_language_and_shown_as_said(store):
    result = contrast(store, "gender")
    words = [w for g in result["groups"] for w in g["words"]]
    assert words and {w["language"] for w in words} <= {"ru", "kk", "en"}
    for w in words:
        assert w["word"].startswith(w["stem"].rstrip("s")) or w["word"].rstrip("s") == w["stem"]
        assert all(w["stem"] in stems(q["text"], q["language"]) for q in w["quotes"])
        assert w["word"] not in ("это", "мен", "the", "and")


def test_blind_mode_counts_only_a_coders_own_codings(store):
    dana = contrast(store, "type", coders={"Dana"})
    rows = [r for g in dana["groups"] for r in g["codes"]]
    assert rows and all(r["in"] + r["out"] <= 10 for r in rows)
    assert all(q["document"] == "fg05_en_teams.vtt" for r in rows if r["direction"] == "more" for q in r["quotes"])


def test_refusal_and_cli(store, capsys):
    with pytest.raises(QualcodeError, match="no segment has an attribute 'colour'"):
        contrast(store, "colour")
    assert cli.main(["--db", str(store.engine.url), "contrast", "type", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {g["value"] for g in data["groups"]} == {"civil servant", "recipient"}
    assert cli.main(["--db", str(store.engine.url), "contrast", "colour"]) == 1
    assert capsys.readouterr().err.strip().startswith("qualcode: error: no segment has an attribute")
