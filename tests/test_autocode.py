"""The auto-coder with the packaged MiniLM (by name; the default is USE, tests/test_model_choice.py): suggestions,
reasons, the cache, learning, and refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from qualcode import autocode
from qualcode.autocode import embed
from qualcode.refi.codebook_files import read_codebook_file
from qualcode.codebook.codes import load_codebook
from qualcode.coding import apply_code, coder_named, decide
from qualcode.autocode.embed import MINILM_MODEL_ID, USE_MODEL_ID, LazyEmbedder, embed_texts, load_embedder
from qualcode.common.errors import QualcodeError
from qualcode.ingest.importer import ImportOptions, import_files
from qualcode.store.model import Code, Coding, Embedding, Segment
from qualcode.store import Store, get_project
from qualcode.autocode.suggest import Scope, next_to_code, pending_suggestions, run_autocode

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def embedder():
    return load_embedder(MINILM_MODEL_ID)


def autocode_store(path: Path) -> Store:
    """The auto-coding test group, one segment per turn, with its codebook loaded."""
    store = Store(str(path))
    import_files(store, [DATA / "autocode_group.txt"], ImportOptions(unit="turn"))
    book, warnings = read_codebook_file(DATA / "autocode_codebook.yaml")
    with store.write() as session:
        load_codebook(session, get_project(session), book, warnings)
    return store


@pytest.fixture
def project(tmp_path) -> Store:
    return autocode_store(tmp_path / "auto.db")


def suggested(store) -> dict[str, set[str]]:
    with store.read() as session:
        rows = pending_suggestions(session)
    found: dict[str, set[str]] = {}
    for r in rows:
        found.setdefault(r["text"], set()).add(r["code"])
    return found


def test_embedder_is_the_packaged_model_and_normalises(embedder):
    vectors = embedder.encode(["Очередь в ЦОН", "a", "The eGov portal crashed again today"])
    assert embedder.model_id == MINILM_MODEL_ID
    assert vectors.dtype == np.float32 and vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # sorting by length inside encode must not change which row belongs to which text
    assert np.allclose(vectors[2], embedder.encode(["The eGov portal crashed again today"])[0], atol=1e-5)


def test_cache_encodes_only_new_texts(tmp_path, embedder):
    store = Store(str(tmp_path / "cache.db"))
    first, new = embed_texts(store, embedder, ["Кезек үлкен болды", "Portal down", "Кезек үлкен болды"])
    assert new == 2 and first.shape == (3, 384) and np.allclose(first[0], first[2])
    again, new = embed_texts(store, embedder, ["Portal down", "Совсем новый текст"])
    assert new == 1 and np.allclose(again[0], first[1])
    with store.read() as session:
        assert session.scalar(select(func.count(Embedding.id))) == 3


def test_zero_shot_suggests_the_right_codes_with_reasons(project, embedder):
    report = run_autocode(project, "zero-shot", embedder=embedder)
    assert report["model"] == MINILM_MODEL_ID and report["segments"] == 10  # participants only
    found = suggested(project)
    assert "Informal payments" in found["Someone asked me for a bribe to speed things up."]
    assert "Portal failures" in found["The eGov website crashed again and I could not submit the form."]
    assert "Waiting time" in found["I waited in the queue for three hours at the service centre."]
    assert not any(text.startswith(("Расскажите", "А портал", "Спасибо")) for text in found)  # moderator skipped
    with project.read() as session:
        rows = pending_suggestions(session)
    assert all(0 <= r["score"] <= 1 and r["reason"].startswith(("matches the", "like coded")) for r in rows)


def test_learning_from_decisions_never_touches_human_codings(project, embedder):
    run_autocode(project, "zero-shot", embedder=embedder)
    with project.write() as session:
        proj = get_project(session)
        human = coder_named(session, proj, "aigerim")
        codes = {c.name: c.id for c in session.scalars(select(Code))}
        pending = pending_suggestions(session)
        decide(session, proj, human, next(r["id"] for r in pending if r["code"] == "Informal payments"), accept=True)
        decide(session, proj, human, next(r["id"] for r in pending if r["code"] != "Informal payments"), accept=False)
        queue_turn = session.scalars(select(Segment).order_by(Segment.order)).all()[2]  # Ерлан on the queue
        apply_code(session, proj, human, queue_turn.id, codes["Waiting time"])
        human_before = [c.id for c in session.scalars(select(Coding).where(Coding.coder_id == human.id))]
        human_id = human.id
    assert len(human_before) == 3
    report = run_autocode(project, "auto", embedder=embedder)
    assert report["suggestions"] > 0
    with project.read() as session:
        human_after = session.scalars(select(Coding).where(Coding.coder_id == human_id)).all()
        assert [c.id for c in human_after] == human_before
        decided = {(c.segment_id, c.code_id) for c in human_after}
        fresh = pending_suggestions(session)
        assert not any((r["segment"], codes[r["code"]]) in decided for r in fresh)
        assert any(r["reason"].startswith("like coded segment") for r in fresh)


def test_refusals(tmp_path, project, embedder):
    empty = Store(str(tmp_path / "empty.db"))
    with pytest.raises(QualcodeError, match="import transcripts first"):
        run_autocode(empty, embedder=embedder)
    no_codes = Store(str(tmp_path / "nocodes.db"))
    import_files(no_codes, [DATA / "autocode_group.txt"], ImportOptions())
    with pytest.raises(QualcodeError, match="the codebook is empty"):
        run_autocode(no_codes, embedder=embedder)
    with pytest.raises(QualcodeError, match="needs human decisions"):
        run_autocode(project, "learned", embedder=embedder)
    with pytest.raises(QualcodeError, match="no document named x.txt"):
        run_autocode(project, scope=Scope(documents=["x.txt"]), embedder=embedder)
    with pytest.raises(QualcodeError, match="cannot be loaded offline.*packaged default"):
        load_embedder("no-such-org/no-such-model")


def test_a_warm_run_never_loads_the_model(project, monkeypatch):
    monkeypatch.delenv("QUALCODE_EMBEDDING_MODEL", raising=False)
    run_autocode(project, "zero-shot")  # the project's default model: every text and prototype is now cached
    monkeypatch.setattr(embed, "_loaded", {})
    report = run_autocode(project, "zero-shot")
    assert embed._loaded == {} and report["model"] == USE_MODEL_ID and report["suggestions"] > 0


def test_a_project_model_that_cannot_load_is_refused_when_needed(project):
    with pytest.raises(QualcodeError, match="cannot be loaded offline.*packaged default"):
        embed_texts(project, LazyEmbedder("no-such-org/no-such-model"), ["a text nobody has encoded"])
    with project.read() as session:
        assert session.scalar(select(func.count()).select_from(Embedding)) == 0


def test_uncertainty_prefers_undecided_rare_codes():
    probability = np.array([[0.5, 0.9], [0.95, 0.1], [0.1, 0.5]])
    order = np.argsort(-autocode.uncertainty(probability, np.array([10, 0])))
    assert order[0] == 2  # p = 0.5 on the code with no examples beats p = 0.5 on a well-known code


def test_evaluate_cli(tmp_path):
    items = tmp_path / "items.csv"
    rows = ["id,text,codes"]
    lines = (DATA / "autocode_group.txt").read_text(encoding="utf-8").splitlines()
    labels = {"очеред": "Waiting time", "queue": "Waiting time", "eGov": "Portal failures",
              "сбой": "Portal failures", "взятк": "Informal payments", "деньги": "Informal payments",
              "bribe": "Informal payments", "заплатить": "Informal payments"}
    for i, line in enumerate(lines):
        text = line.split(": ", 1)[1]
        codes = sorted({code for key, code in labels.items() if key in text})
        rows.append(f'{i},"{text}",{";".join(codes)}')
    items.write_text("\n".join(rows), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "qualcode.cli", "evaluate", "--data", str(items), "--codebook",
                           str(DATA / "autocode_codebook.yaml"), "--train-fraction", "0.3", "--seed", "1", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) >= {"per_code", "macro", "micro", "n_train", "n_test", "seconds", "engine", "model"}
    assert out["n_train"] + out["n_test"] == len(lines) and out["n_train"] > 0
    assert out["engine"] == "auto" and out["model"] == USE_MODEL_ID  # what the app uses by default
    assert set(out["per_code"]) == {"Waiting time", "Portal failures", "Informal payments"}
    for metrics in out["per_code"].values():
        assert set(metrics) >= {"precision", "recall", "f1", "kappa", "support", "threshold", "estimated_precision"}
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text,codes\n1,hello,Nope\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "qualcode.cli", "evaluate", "--data", str(bad), "--codebook",
                           str(DATA / "autocode_codebook.yaml"), "--json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "qualcode: error: items use codes that are not in the codebook: Nope"


def test_code_next_queue_drops_decided_segments(project, embedder):
    run_autocode(project, "zero-shot", embedder=embedder)
    with project.read() as session:
        queue = next_to_code(session, limit=50)
    assert queue and all(q["uncertainty"] >= 0 and q["text"] for q in queue)
    assert [q["uncertainty"] for q in queue] == sorted((q["uncertainty"] for q in queue), reverse=True)
    with project.write() as session:
        proj = get_project(session)
        code_id = session.scalars(select(Code.id)).first()
        apply_code(session, proj, coder_named(session, proj, "lead"), queue[0]["segment"], code_id)
    with project.read() as session:
        assert queue[0]["segment"] not in [q["segment"] for q in next_to_code(session, limit=50)]


def test_multilingual_option_places_russian_paraphrases_together():
    use = load_embedder("use-multilingual-v3")
    queue_a, queue_b, portal = use.encode(["Очередь в ЦОН была огромной.", "Стояла в очереди три часа.",
                                           "Портал eGov завис."])
    assert use.model_id == "use-multilingual-v3"
    assert float(queue_a @ queue_b) > float(queue_a @ portal) + 0.05
