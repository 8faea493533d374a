"""The embedding model a project uses (measured defaults by language, the resolve order) and switching
it: `qualcode model show|set`, the background switch of the app, the Project page's section."""

from __future__ import annotations

import json
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from qualcode import cli
from qualcode.autocode import embed, model_choice
from qualcode.common.display import markdown_escape
from qualcode.autocode.embed import (MINILM_MODEL_ID, USE_MODEL_ID, default_model_for, embed_texts, load_embedder,
                            resolve_model)
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Embedding, Event, Project
from qualcode.autocode.model_choice import (cached_counts, model_status, project_model, project_texts, setting_for,
                                   start_switch, switch_model)
from qualcode.store import Store, find_project, get_project
from tests.test_autocode import autocode_store

OLD = "test-old-model"


class HashEmbedder:
    """The "old" model: bag-of-words hash vectors, no model to load."""

    model_id = OLD

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = [sum(np.random.default_rng(zlib.crc32(w.encode())).normal(size=16) for w in t.split()) for t in texts]
        return np.array([r / np.linalg.norm(r) for r in rows], dtype=np.float32)


@pytest.fixture(autouse=True)
def no_env_model(monkeypatch):
    monkeypatch.delenv("QUALCODE_EMBEDDING_MODEL", raising=False)


@pytest.fixture
def project(tmp_path) -> Store:
    """The auto-coding test group and codebook, every text embedded with the old model, which is the setting."""
    store = autocode_store(tmp_path / "switch.db")
    with store.write() as session:
        get_project(session).embedding_model = OLD
        texts = project_texts(session, find_project(session))
    embed_texts(store, HashEmbedder(), texts)
    yield store
    store.close()


def state(store: Store) -> tuple[str | None, int, dict[str, int]]:
    """(the setting, how many events, the project's texts cached per model)."""
    with store.read() as session:
        current = find_project(session)
        return (current.embedding_model, session.scalar(select(func.count(Event.id))),
                cached_counts(session, project_texts(session, current)))


def qualcode(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_measured_default_is_use_for_every_language_we_serve():
    for languages in (["ru"], ["kk"], ["en"], ["ru", "kk", "en"], ["ru-RU"], ["EN"]):
        assert default_model_for(languages) == USE_MODEL_ID
    assert default_model_for([]) == default_model_for(None) == USE_MODEL_ID   # nothing known: multilingual
    assert default_model_for(["de"]) == USE_MODEL_ID                           # unmeasured: multilingual


def test_a_mix_the_table_splits_falls_back_to_the_multilingual_model(monkeypatch):
    monkeypatch.setitem(embed.MEASURED_DEFAULTS, "en", MINILM_MODEL_ID)
    assert default_model_for(["en"]) == MINILM_MODEL_ID
    assert default_model_for(["en", "ru"]) == USE_MODEL_ID


def test_setting_beats_environment_beats_default(monkeypatch):
    assert resolve_model(None, ["en"]) == USE_MODEL_ID and embed.model_source(None) == "default"
    monkeypatch.setenv("QUALCODE_EMBEDDING_MODEL", "models/labse")
    assert resolve_model(None, ["en"]) == "models/labse" and embed.model_source(None) == "environment"
    assert resolve_model("default", ["en"]) == "models/labse"               # "default" names no model
    assert resolve_model(MINILM_MODEL_ID, ["en"]) == MINILM_MODEL_ID and embed.model_source("x") == "project"
    monkeypatch.setenv("QUALCODE_EMBEDDING_MODEL", "default")
    assert resolve_model(None, ["ru"]) == USE_MODEL_ID
    assert embed.LazyEmbedder(None, ["kk"]).model_id == USE_MODEL_ID


def test_project_model_is_the_setting_or_its_documents_default(project):
    with project.write() as session:
        current = find_project(session)
        assert project_model(session, current) == OLD
        current.embedding_model = None
        assert model_choice.project_languages(session, current) == ["ru"]
        assert project_model(session, current) == USE_MODEL_ID
        current.embedding_model = "all-MiniLM-L6-v2"
        assert project_model(session, current) == MINILM_MODEL_ID


def test_setting_for_names():
    assert setting_for("default") is None and setting_for(" Default ") is None
    assert setting_for("minilm") == MINILM_MODEL_ID and setting_for("use") == USE_MODEL_ID
    assert setting_for(".") == str(Path(".").resolve())            # a local folder: absolute


def test_switch_encodes_everything_first_and_keeps_the_old_vectors(project):
    setting, events, cached = state(project)
    texts = cached[OLD]
    seen: list[str | None] = []
    report = switch_model(project, "use-multilingual-v3", progress=lambda done, total: seen.append(state(project)[0]))
    assert seen and set(seen) == {OLD}                 # while encoding, the project stays on the old model
    assert report == {**report, "model": USE_MODEL_ID, "previous": OLD, "setting": USE_MODEL_ID, "source": "project",
                      "texts": texts, "encoded": texts}
    setting, after, cached = state(project)
    assert setting == USE_MODEL_ID and after == events + 1 and cached == {OLD: texts, USE_MODEL_ID: texts}
    with project.read() as session:
        event = session.scalars(select(Event).order_by(Event.id.desc())).first()
    assert (event.action, event.before, event.after["embedding_model"]) == ("set-model", {"embedding_model": OLD},
                                                                            USE_MODEL_ID)
    use = load_embedder(USE_MODEL_ID)
    with project.read() as session:
        text = project_texts(session, find_project(session))[0]
    stored, new = embed_texts(project, use, [text])
    assert new == 0 and np.allclose(stored[0], use.encode([text])[0], atol=1e-5)
    again = switch_model(project, "default")           # the languages' default is USE: nothing to encode
    assert (again["setting"], again["source"], again["encoded"]) == (None, "default", 0)
    assert state(project)[:2] == (None, events + 2)


def test_an_interrupted_switch_leaves_the_old_model_and_resumes(project, monkeypatch):
    monkeypatch.setattr(embed, "ENCODE_CHUNK", 8)

    def interrupt(done: int, total: int) -> None:
        if done:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        switch_model(project, USE_MODEL_ID, progress=interrupt)
    setting, events, cached = state(project)
    assert setting == OLD and cached[USE_MODEL_ID] == 8
    report = switch_model(project, USE_MODEL_ID)
    assert report["encoded"] == cached[OLD] - 8 and state(project)[0] == USE_MODEL_ID


def test_a_model_that_cannot_load_changes_nothing(project, capsys):
    before = state(project)
    with pytest.raises(QualcodeError, match="cannot be loaded offline"):
        switch_model(project, "no-such-org/no-such-model")
    assert state(project) == before
    code, out, err = qualcode(capsys, "--db", project.url, "model", "set", "no-such-org/no-such-model", "--json")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("qualcode: error: embedding model 'no-such-org/no-such-model' cannot be loaded offline")
    assert state(project) == before


def test_cli_json_shapes(project, capsys):
    code, out, _ = qualcode(capsys, "--db", project.url, "model", "show", "--json")
    shown = json.loads(out)
    assert code == 0 and shown == {"model": OLD, "source": "project", "languages": ["ru"],
                                   "cached": {OLD: shown["texts"]}, "texts": shown["texts"]}
    code, out, _ = qualcode(capsys, "model", "set", "default", "--db", project.url, "--json")
    report = json.loads(out)
    assert code == 0 and set(report) == {"model", "previous", "setting", "source", "texts", "encoded", "seconds"}
    assert (report["model"], report["previous"], report["setting"], report["source"]) == (
        USE_MODEL_ID, OLD, None, "default")
    code, out, _ = qualcode(capsys, "--db", project.url, "model", "show")
    assert code == 0 and out.startswith(f"{USE_MODEL_ID}  (the default for its languages; languages: ru)")
    assert f"cached  {OLD}: {shown['texts']} of {shown['texts']} texts" in out


def test_show_on_an_empty_database(tmp_path):
    store = Store(str(tmp_path / "empty.db"))
    with store.read() as session:
        assert model_status(session) == {"model": USE_MODEL_ID, "source": "default", "languages": [], "cached": {},
                                         "texts": 0}
    with pytest.raises(QualcodeError, match="import transcripts first"):
        switch_model(store, USE_MODEL_ID)


def test_background_switch_reports_progress_and_refuses_a_second(project, monkeypatch):
    release = threading.Event()

    def slow(store, name, progress=None, actor=None):
        progress(0, 3)
        release.wait(30)
        return {"model": name}
    monkeypatch.setattr(model_choice, "switch_model", slow)
    switch = start_switch(project, "x")
    with pytest.raises(QualcodeError, match="a switch to x is still running"):
        start_switch(project, "y")
    assert model_choice.current_switch(project) is switch
    release.set()
    switch.thread.join(30)
    assert switch.finished and switch.report == {"model": "x"} and switch.fraction == 1.0
    monkeypatch.undo()
    failed = start_switch(project, "no-such-org/no-such-model")
    failed.thread.join(120)
    assert failed.finished and "cannot be loaded offline" in failed.error and state(project)[0] == OLD


def _project_page() -> None:
    from qualcode.ui.pages import framed
    from qualcode.ui.project_page import render

    framed(render)()


def test_project_page_switches_the_model_in_the_background(project, monkeypatch):
    monkeypatch.setenv("QUALCODE_DB", project.url)
    at = AppTest.from_function(_project_page, default_timeout=60)
    at.query_params["coder"] = "Alice"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    captions = [c.value for c in at.caption]
    assert any(markdown_escape(f"In use: {OLD} — set for this project") in c for c in captions)
    at.selectbox(key="project.model.choice").set_value(USE_MODEL_ID)
    next(b for b in at.button if b.label == "Switch").click()
    at.run()
    switch = model_choice.current_switch(project)
    switch.thread.join(60)
    assert switch.error is None and state(project)[0] == USE_MODEL_ID
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    captions = [c.value for c in at.caption]
    assert any(markdown_escape(f"In use: {USE_MODEL_ID} — set for this project") in c for c in captions)
    assert any(markdown_escape(f"Switched to {USE_MODEL_ID}") in s.value for s in at.success)
    with project.read() as session:
        assert session.scalar(select(Event.actor).order_by(Event.id.desc()).limit(1)) == "Alice"
        assert session.scalar(select(Project.embedding_model)) == USE_MODEL_ID
        assert session.scalar(select(func.count(Embedding.id)).where(Embedding.model_id == OLD)) > 0


def test_project_page_shows_a_running_switch_and_keeps_the_old_model(project, monkeypatch):
    release = threading.Event()

    def slow(store, name, progress=None, actor=None):
        progress(1, 3)
        release.wait(30)
        raise QualcodeError("stopped by the test")
    monkeypatch.setattr(model_choice, "switch_model", slow)
    monkeypatch.setenv("QUALCODE_DB", project.url)
    at = AppTest.from_function(_project_page, default_timeout=60)
    at.run()
    at.text_input(key="project.model.folder").set_value("/models/labse")
    next(b for b in at.button if b.label == "Switch").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    bars = at.get("progress")
    assert len(bars) == 1 and "1 of 3 texts" in bars[0].proto.text and bars[0].proto.value == 33
    assert next(b for b in at.button if b.label == "Switch").disabled
    assert any(markdown_escape(f"In use: {OLD}") in c.value for c in at.caption)
    release.set()
    model_choice.current_switch(project).thread.join(30)
    at.run()
    assert any(markdown_escape("nothing changed: stopped by the test") in e.value for e in at.error)
    assert not next(b for b in at.button if b.label == "Switch").disabled and state(project)[0] == OLD
