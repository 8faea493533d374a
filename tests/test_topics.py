"""Topic discovery: the CLI contract on shipped transcripts with the packaged model, scopes, runs,
promotion to a code, merging, prevalence, context windows and the refusals.

The shipped groups are imported and embedded once per session (the slow part: `shipped_db` in
conftest.py, shared with the topics page's tests); tests that write work on a copy (`shipped`).
Synthetic corpora use a bag-of-words hash embedder: no model, same code path.
"""

from __future__ import annotations

import argparse
import json
import random
import zlib
from pathlib import Path

import numpy as np
import pytest
from alembic import command
from sqlalchemy import func, inspect, select

from qualcode import topics
from qualcode.cli import topics as cli_topics
from qualcode.codebook.codes import CodeTree
from qualcode.coding import apply_code, coder_named, decide
from qualcode.topics.context import Layout, Window, context_vectors
from qualcode.common.errors import QualcodeError
from qualcode.ingest.importer import ImportOptions, import_files
from qualcode.store.model import (Code, Coder, Coding, Document, Event, Participant, Segment, Topic, TopicAssignment,
                            TopicRun, Turn)
from qualcode.store import Store, get_project
from qualcode.autocode.suggest import pending_suggestions
from qualcode.topics.topic_charts import prevalence_heatmap, sizes_chart
from qualcode.topics.topic_runs import (TopicOptions, describe_run, list_runs, merge_topics, prevalence, promote_topic,
                                 run_topics, run_topics_table, scope_attributes, suggested_name, topic_quotes)

ROOT = Path(__file__).resolve().parent.parent


class HashEmbedder:
    """Bag of words → a sum of fixed random vectors: texts sharing words are close."""

    model_id = "test-hash-embedder"

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            v = sum(np.random.default_rng(zlib.crc32(w.encode())).normal(size=32) for w in text.lower().split())
            rows.append(v / np.linalg.norm(v))
        return np.array(rows, dtype=np.float32)


def qualcode(*argv: str) -> int:
    """`qualcode …` with the topic commands, in this process (the model stays loaded)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db")
    common.add_argument("--json", action="store_true")
    parser = argparse.ArgumentParser(prog="qualcode")
    cli_topics.add_commands(parser.add_subparsers(required=True), common)
    args = parser.parse_args(argv)
    return args.func(args)


def synthetic(tmp_path: Path, turns: dict[str, int], extra: list[str] = (), url: str | None = None) -> Store:
    """A moderated group: a question per topic, then turns drawn from that topic's vocabulary."""
    rng = random.Random(3)
    lines = []
    for topic, n in turns.items():
        vocabulary = [topic + suffix for suffix in "abcdefghijkl"]
        lines.append(f"Moderator: Tell me about {topic}?")
        lines += [f"P{i % 5 + 1}: " + " ".join(rng.sample(vocabulary, 6)) for i in range(n)]
    lines += [f"P1: {text}" for text in extra]
    (tmp_path / "group.txt").write_text("\n".join(lines), encoding="utf-8")
    store = Store(url or str(tmp_path / "synthetic.db"))
    import_files(store, [tmp_path / "group.txt"], ImportOptions(unit="turn", moderator="Moderator"))
    return store


def test_cli_contract_on_shipped_groups(shipped, capsys):
    assert qualcode("topics", "--db", shipped.url, "--min-topic-size", "8", "--seed", "3", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert {"topics", "assignments", "outliers", "seconds", "parameters"} <= set(report)
    with shipped.read() as session:
        roles = dict(session.execute(select(Segment.id, Participant.role).join(Turn, Turn.id == Segment.turn_id)
                                     .join(Participant, Participant.id == Turn.participant_id)).all())
    assigned = {int(s): t for s, t in report["assignments"].items()}
    assert set(assigned) == {s for s, role in roles.items() if role != "moderator"}  # the moderator is left out
    assert len(report["topics"]) >= 4
    ids = {t["id"] for t in report["topics"]}
    assert set(assigned.values()) <= ids | {-1} and report["outliers"] == sum(t == -1 for t in assigned.values())
    assert sum(t["size"] for t in report["topics"]) + report["outliers"] == len(assigned)
    stop = set(topics.stop_words())
    for t in report["topics"]:
        assert set(t) == {"id", "size", "keywords", "representative", "nearest_codes"}
        assert t["keywords"] and not any(word in stop for word in t["keywords"])
        assert t["representative"] and all(assigned[s] == t["id"] for s in t["representative"])
        assert len(t["nearest_codes"]) == 3
        assert all({"code", "similarity", "covers"} == set(c) for c in t["nearest_codes"])
    p = report["parameters"]
    assert p["seed"] == 3 and p["min_topic_size"] == 8 and p["context"]["turns"] == 5
    assert p["scope"]["uncoded_only"] is False
    assert qualcode("topics", "--db", shipped.url, "--document", "fg05_en_teams.vtt", "--min-topic-size", "8") == 0
    human = capsys.readouterr().out
    assert human.startswith("run 3: ") and "covers" in human


def test_same_seed_same_topics(shipped):
    options = TopicOptions(documents=["fg06_en_recipients.xlsx"], min_topic_size=6, seed=11)
    first, second = run_topics(shipped, options), run_topics(shipped, options)
    assert first["assignments"] == second["assignments"]
    assert [t["keywords"] for t in first["topics"]] == [t["keywords"] for t in second["topics"]]


def test_runs_are_stored_with_parameters(shipped):
    report = run_topics(shipped, TopicOptions(min_topic_size=8, window=None, reduce_outliers=True))
    assert report["outliers"] == 0
    with shipped.read() as session:
        run = session.get(TopicRun, report["run"])
        assert run.n_segments == len(report["assignments"]) and run.parameters == report["parameters"]
        assert run.parameters["context"] is None and run.parameters["reduce_outliers"] is True
        assert session.scalar(select(func.count()).where(TopicAssignment.run_id == run.id)) == run.n_segments
        stored = session.scalars(select(Topic).where(Topic.run_id == run.id).order_by(Topic.topic_id)).all()
        assert [(t.topic_id, t.size, t.keywords) for t in stored] == [(t["id"], t["size"], t["keywords"])
                                                                     for t in report["topics"]]
        assert [r["run"] for r in list_runs(session)] == [report["run"], 1]
        assert session.scalars(select(Event).where(Event.action == "topics")).all()


def test_uncoded_only_leaves_out_what_a_human_coded(shipped):
    options = TopicOptions(min_topic_size=8)
    first = run_topics(shipped, options)
    topic = first["topics"][0]
    members = [s for s, t in first["assignments"].items() if t == topic["id"]]
    manual, accepted, pending = members[:5], members[5], members[6]
    with shipped.write() as session:
        project = get_project(session)
        human = coder_named(session, project, "aigerim")
        code = CodeTree(session, project).find(topic["nearest_codes"][0]["code"])
        machine = Coder(project_id=project.id, name="machine", kind="machine", settings={})
        session.add(machine)
        session.flush()
        for segment_id in manual:
            apply_code(session, project, human, segment_id, code.id)
        suggestions = [Coding(coder_id=machine.id, code_id=code.id, document_id=seg.document_id, segment_id=seg.id,
                              start=seg.start, end=seg.end, status="suggested")
                       for seg in (session.get(Segment, accepted), session.get(Segment, pending))]
        session.add_all(suggestions)
        session.flush()
        decide(session, project, human, suggestions[0].id, accept=True)
    uncoded = run_topics(shipped, TopicOptions(min_topic_size=8, uncoded_only=True))
    assert set(uncoded["assignments"]) == set(first["assignments"]) - set(manual) - {accepted}
    assert pending in uncoded["assignments"]  # a suggestion nobody accepted does not cover a segment
    assert uncoded["parameters"]["scope"]["uncoded_only"] is True
    again = run_topics(shipped, options)  # same seed and scope: same topics, now partly covered
    assert again["assignments"] == first["assignments"]
    assert again["topics"][0]["nearest_codes"][0] == {**topic["nearest_codes"][0], "covers": 6}


def test_promote_writes_a_code_and_suggestions_never_codings(shipped, capsys):
    with shipped.read() as session:
        topic = session.scalars(select(Topic).where(Topic.run_id == 1, Topic.topic_id == 0)).one()
        size, words = topic.size, topic.keywords
    assert qualcode("topic-promote", "--db", shipped.url, "1", "0", "--name", "Service quality/Emergent theme",
                    "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["suggestions"] == size
    with shipped.read() as session:
        code = session.scalars(select(Code).where(Code.name == "Emergent theme")).one()
        assert words[0] in code.definition and code.definition.startswith("Draft") and code.examples
        rows = session.execute(select(Coding, Coder).join(Coder).where(Coding.code_id == code.id)).all()
        assert len(rows) == size and all(c.status == "suggested" and who.kind == "machine" for c, who in rows)
        assert not session.scalar(select(func.count()).select_from(Coding).join(Coder).where(Coder.kind == "human"))
        assert session.scalars(select(Topic).where(Topic.run_id == 1, Topic.topic_id == 0)).one().label == \
            "Service quality/Emergent theme"
        assert sum(r["code"] == "Service quality/Emergent theme" for r in pending_suggestions(session)) == size
    with pytest.raises(QualcodeError, match="run 1 has no topic 999"):
        promote_topic(shipped, 1, 999, "Other")


def test_merge_makes_a_new_run_and_keeps_the_old(shipped):
    with shipped.read() as session:
        before = run_topics_table(session, 1)
    merged = merge_topics(shipped, 1, [0, 2])
    sizes = {t["id"]: t["size"] for t in merged["topics"]}
    old = dict(zip(before["topic"], before["size"]))
    assert sizes[0] == old[0] + old[2] and 2 not in sizes and sizes[1] == old[1]
    assert merged["parameters"]["merged"] == {"run": 1, "topics": [0, 2]}
    with shipped.read() as session:
        assert run_topics_table(session, 1).equals(before)  # the cited run is unchanged
    with pytest.raises(QualcodeError, match="two or more topics"):
        merge_topics(shipped, 1, [0])


def test_prevalence_by_group_and_charts(shipped, capsys):
    with shipped.read() as session:
        frame = prevalence(session, 1, "group")
        table = run_topics_table(session, 1)
        with pytest.raises(QualcodeError, match="no segment of run 1 has an attribute 'shoe size'"):
            prevalence(session, 1, "shoe size")
    assert set(frame["group"]) == {"civil servants", "recipients"}
    assert np.allclose(frame.groupby("group")["share"].sum(), 1.0, atol=0.01)
    assert sizes_chart(table).to_dict()["mark"]["type"] == "bar"
    assert prevalence_heatmap(frame, "group").to_dict()["mark"]["type"] == "rect"
    assert qualcode("topic-prevalence", "--db", shipped.url, "1", "--by", "type") == 0
    assert "civil servant" in capsys.readouterr().out


def test_a_stored_run_reads_back_as_it_was_reported(shipped):
    report = run_topics(shipped, TopicOptions(min_topic_size=8, seed=5))
    described = describe_run(shipped, report["run"])
    assert described["run"] == report["run"] and described["parameters"] == report["parameters"]
    assert described["outliers"] == report["outliers"] and described["segments"] == len(report["assignments"])
    assert [{k: t[k] for k in ("id", "size", "keywords", "representative", "nearest_codes")}
            for t in described["topics"]] == report["topics"]
    topic = report["topics"][0]
    members = [s for s, t in report["assignments"].items() if t == topic["id"]][:3]
    with shipped.write() as session:
        project = get_project(session)
        code = CodeTree(session, project).find(topic["nearest_codes"][0]["code"])
        for segment_id in members:
            apply_code(session, project, coder_named(session, project, "aigerim"), segment_id, code.id)
    again = describe_run(shipped, report["run"])["topics"][0]["nearest_codes"][0]  # today's codings count
    assert again == {**topic["nearest_codes"][0], "covers": topic["nearest_codes"][0]["covers"] + 3}
    with shipped.read() as session:
        quotes = topic_quotes(session, report["run"], topic["id"])
        text, doc = session.execute(select(Document.text, Document.name).join(Segment)
                                    .where(Segment.id == topic["representative"][0])).one()
        seg = session.get(Segment, topic["representative"][0])
    assert [q["segment"] for q in quotes] == topic["representative"]
    assert quotes[0]["text"] == text[seg.start:seg.end] and quotes[0]["document"] == doc
    assert all(q["speaker"] and q["speaker"] != "Moderator" for q in quotes)
    with pytest.raises(QualcodeError, match="no topic run 999"):
        describe_run(shipped, 999)


def test_scope_attributes_and_suggested_names(shipped):
    with shipped.read() as session:
        found = scope_attributes(session)
    assert found["group"] == ["civil servants", "recipients"] and "civil servant" in found["type"]
    assert "moderator" not in found.get("role", [])
    report = run_topics(shipped, TopicOptions(attribute=("group", "recipients"), min_topic_size=6))
    with shipped.read() as session:
        groups = set(prevalence(session, report["run"], "group")["group"])
    assert groups == {"recipients"}
    assert suggested_name(3, ["queue", "ticket", "long", "wait"]) == "Queue, ticket, long"
    assert suggested_name(4, ["a/b"]) == "A b" and suggested_name(5, []) == "Topic 5"


def test_guided_by_the_codebook(shipped):
    report = run_topics(shipped, TopicOptions(documents=["fg05_en_teams.vtt"], min_topic_size=6, guided=True))
    assert report["parameters"]["guided"] is True and report["topics"]


def test_too_small_and_identical_corpora_say_so(tmp_path):
    small = synthetic(tmp_path, {"queue": 12})
    with pytest.raises(QualcodeError, match=r"12 distinct segment\(s\) in scope, at least 40 needed"):
        run_topics(small, embedder=HashEmbedder())
    same = tmp_path / "same"
    same.mkdir()
    lines = ["Moderator: What about the queue?"] + ["P1: The queue was long.", "P2: The queue was long."] * 40
    (same / "same.txt").write_text("\n".join(lines), encoding="utf-8")
    store = Store(str(same / "same.db"))
    import_files(store, [same / "same.txt"], ImportOptions(unit="turn", moderator="Moderator"))
    with pytest.raises(QualcodeError, match=r"1 distinct segment\(s\)"):
        run_topics(store, TopicOptions(window=None), embedder=HashEmbedder())
    with pytest.raises(QualcodeError, match="must be at least 2"):
        run_topics(store, TopicOptions(min_topic_size=1), embedder=HashEmbedder())


def test_duplicates_share_a_topic_and_other_languages_get_keywords(tmp_path, store_url):
    thanks = "Muy bien, gracias por todo."
    store = synthetic(tmp_path, {"cola": 30, "fila": 30, "papel": 30}, extra=[thanks] * 25, url=store_url)
    report = run_topics(store, TopicOptions(min_topic_size=5, window=None), embedder=HashEmbedder())
    with store.read() as session:
        text = session.scalars(select(Document.text)).one()
        spans = session.execute(select(Segment.id, Segment.start, Segment.end)).all()
    copies = [s for s, start, end in spans if text[start:end] == thanks]
    assert len(copies) == 25 and len({report["assignments"][s] for s in copies}) == 1
    assert len(report["topics"]) >= 3 and all(t["keywords"] for t in report["topics"])
    promoted = promote_topic(store, report["run"], 1, "Queues")  # the same writes on SQLite and PostgreSQL
    merged = merge_topics(store, report["run"], [1, 2], embedder=HashEmbedder())
    with store.read() as session:
        assert len(pending_suggestions(session)) == promoted["suggestions"] == report["topics"][1]["size"]
        assert prevalence(session, merged["run"], "document")["share"].sum() == pytest.approx(1.0, abs=0.01)
    store.close()


def test_a_one_speaker_document_gets_topics(tmp_path):
    rng = random.Random(5)
    words = {topic: [topic + suffix for suffix in "abcdefgh"] for topic in ("queue", "portal", "stamp")}
    sentences = [" ".join(rng.sample(words[topic], 5)).capitalize() + "." for topic in words for _ in range(25)]
    (tmp_path / "monologue.txt").write_text("Speaker: " + " ".join(sentences), encoding="utf-8")
    store = Store(str(tmp_path / "monologue.db"))
    import_files(store, [tmp_path / "monologue.txt"], ImportOptions())
    report = run_topics(store, TopicOptions(min_topic_size=5), embedder=HashEmbedder())
    assert len(report["assignments"]) == 75 and report["topics"]


def test_context_windows_follow_the_conversation():
    e = np.eye(4, dtype=np.float32)
    # turns: moderator asks A; P1 on A; "yes" back-channel; P2 on A; moderator asks B; P1 on B
    vectors = np.array([e[0], e[0], e[3], e[0], e[1], e[1]])
    layout = Layout(document=np.zeros(6, dtype=int), turn=np.arange(6), speaker=np.array([0, 1, 2, 3, 0, 1]),
                    moderator=np.array([True, False, False, False, True, False]),
                    words=np.array([12, 9, 1, 9, 12, 9]))
    ctx = context_vectors(vectors, layout, Window())
    assert ctx[2] @ e[0] > ctx[2] @ e[3]          # the back-channel takes its neighbours' topic
    assert ctx[3] @ e[0] > ctx[3] @ e[1]          # the next question pulls less than the last answers
    assert ctx[5] @ e[1] > 0.9                     # a new question is a boundary behind it
    survey = Layout(document=np.zeros(6, dtype=int), turn=np.arange(6), speaker=np.arange(6),
                    moderator=np.zeros(6, dtype=bool), words=np.full(6, 9))
    assert np.allclose(context_vectors(vectors, survey, Window()), vectors)  # one answer each: no mixing
    monologue = Layout(document=np.zeros(6, dtype=int), turn=np.zeros(6, dtype=int), speaker=np.zeros(6, dtype=int),
                       moderator=np.zeros(6, dtype=bool), words=np.full(6, 9))
    blocks = context_vectors(vectors, monologue, Window(block=3))
    assert blocks[0] @ e[0] > blocks[0] @ e[1] and blocks[5] @ e[1] > blocks[5] @ e[3]


def test_stop_words_cover_three_languages():
    words = set(topics.stop_words())
    assert {"және", "мен", "бұл", "үшін", "сияқты", "это", "что", "the", "and"} <= words
    kk = [w for w in (ROOT / "qualcode" / "data" / "stopwords_kk.txt").read_text(encoding="utf-8").splitlines()
          if w and not w.startswith("#")]
    assert len(kk) >= 150 and len(kk) == len(set(kk))
    found = topics.keywords(["Біз ЦОН-ға бардық (смех), кезек [laughter] ұзын", "Портал eGov не работает"],
                            np.array([0, 1]))[0]
    assert "кезек" in found and not {"смех", "laughter", "ға", "біз"} & set(found)


def test_a_0001_database_is_migrated(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = Store(url, migrate=False)
    cfg = Store._alembic_config()
    with old.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    assert "topic_runs" not in inspect(old.engine).get_table_names()
    old.close()
    store = Store(url)
    assert {"topic_runs", "topics", "topic_assignments"} <= set(inspect(store.engine).get_table_names())
