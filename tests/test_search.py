"""Ask the data on three shipped groups (Russian, Kazakh–Russian, English) coded by an expert."""

from __future__ import annotations

import json

import pytest
from analysis_fixture import copy_store, store_fixture
from sqlalchemy import select

from qualcode import cli
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Coder, Coding
from qualcode.assistant.search import Filters, code_hits, search
from qualcode.assistant.words import stems

store = store_fixture("search")


def test_stems_treat_russian_kazakh_and_english_alike():
    assert stems("Очереди в ЦОНе, очередь!", "ru") == ["очере", "цоне", "очере"]
    assert stems("Кезекте тұрдық, кезек ұзын", "kk") == ["кезек", "тұрды", "кезек", "ұзын"]
    assert stems("Long queues and a queue", "en") == ["long", "queue", "and", "queue"]


@pytest.mark.parametrize("query,document,expected", [
    ("очередь в ЦОНе", "fg01_recipients_almaty.txt", "очеред"),
    ("кезек", "fg04_shymkent_kk_ru.srt", "кезек"),
    ("queues at the service centre", "fg05_en_teams.vtt", "queue"),
])
def test_hits_are_participants_words_with_speaker_document_time_and_context(store, query, document, expected):
    hits = search(store, query, Filters(documents=[document]), limit=5)
    assert 0 < len(hits) <= 5 and [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert any(expected in h["text"].casefold() for h in hits)
    for h in hits:
        assert h["document"] == document and h["speaker"] and h["time"] is not None
        assert h["speaker"] not in ("Moderator", "Модератор", "Жүргізуші")
        assert h["context"] and all(c["document"] == document for c in h["context"])


def test_words_only_needs_a_shared_word_and_meaning_finds_paraphrase(store):
    words = search(store, "bribe", mode="words", limit=50)
    assert all("bribe" in h["text"].casefold() for h in words)
    meaning = search(store, "paying officials under the table to speed things up", mode="meaning", limit=10)
    assert len(meaning) == 10


def test_filters_by_code_attribute_and_blind_coder(store):
    path = "Service quality/Waiting time and queues"
    hits = search(store, "waiting", Filters(codes=["Service quality"]), limit=200)
    assert hits and len(hits) < 200
    women = search(store, "waiting", Filters(where={"gender": "female"}), limit=1000)
    kazakh_women = search(store, "waiting", Filters(["fg04_shymkent_kk_ru.srt"], where={"gender": "female"}),
                          limit=1000)
    assert {h["speaker"] for h in kazakh_women} == {"Әсел", "Гүлнар", "Жанар"}
    assert len(women) < len(search(store, "waiting", limit=1000))
    only_dana = search(store, "waiting", Filters(codes=[path]), coders={"Dana"}, limit=200)
    everyone = search(store, "waiting", Filters(codes=[path]), limit=200)
    assert len(only_dana) < len(everyone)
    assert all(h["document"] == "fg05_en_teams.vtt" for h in only_dana)


def test_refusals_are_one_clear_line(store):
    with pytest.raises(QualcodeError, match="type something"):
        search(store, "   ")
    with pytest.raises(QualcodeError, match="no document named nope"):
        search(store, "x", Filters(documents=["nope"]))
    with pytest.raises(QualcodeError, match="no segment has an attribute 'colour'"):
        search(store, "x", Filters(where={"colour": "red"}))
    with pytest.raises(QualcodeError, match='no code "Nope"'):
        search(store, "x", Filters(codes=["Nope"]))


def test_coding_the_selected_hits_writes_a_persons_codings(store, tmp_path):
    s = copy_store(store.engine.url.database, tmp_path / "w.db")
    hits = search(s, "кезек", Filters(documents=["fg04_shymkent_kk_ru.srt"]), mode="words", limit=3)
    assert len(hits) == 2 and all("кезек" in h["text"].casefold() for h in hits)
    assert code_hits(s, "Aruzhan", "Service quality/Waiting time and queues", [h["segment"] for h in hits]) == 2
    with s.read() as session:
        rows = session.execute(select(Coding.segment_id, Coding.status).join(Coder)
                               .where(Coder.name == "Aruzhan")).all()
    assert sorted(r.segment_id for r in rows) == sorted(h["segment"] for h in hits)
    assert {r.status for r in rows} == {"manual"}
    s.close()


def test_cli_json_contract(store, capsys):
    url = str(store.engine.url)
    assert cli.main(["--db", url, "search", "очередь", "--document", "fg01_recipients_almaty.txt", "--limit", "3",
                     "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 3
    for h in hits:
        assert {"segment", "document", "speaker", "text", "score"} <= set(h)
        assert h["document"] == "fg01_recipients_almaty.txt"
    assert cli.main(["--db", url, "search", "x", "--code", "Nope"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("qualcode: error: no code")


def test_search_and_coding_hits_on_sqlite_and_postgresql(store_url, tmp_path):
    """The small Russian–Kazakh project of export_fixture, on each backend: words and meaning, then a coding."""
    from export_fixture import OUTAGE_KK, build_project

    from qualcode.store import Store

    s = Store(store_url)
    build_project(s, tmp_path)
    hits = search(s, "жүйе құлап", limit=2)
    assert hits[0]["text"] == OUTAGE_KK and hits[0]["speaker"] == "Әсел"
    assert code_hits(s, "Aruzhan", "Digital experience/Outages and technical failures", [hits[0]["segment"]]) == 1
    only = search(s, "жүйе", Filters(codes=["Digital experience/Outages and technical failures"]), coders={"Aruzhan"})
    assert [h["segment"] for h in only] == [hits[0]["segment"]]
    s.close()
