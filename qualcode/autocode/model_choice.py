"""Which embedding model a project uses, and switching it without losing the old vectors.

A project embeds with its setting (`Project.embedding_model`), else $QUALCODE_EMBEDDING_MODEL, else the
measured default for its documents' languages (`embed.default_model_for`). Switching encodes every
segment text and code prototype text with the new model into the embedding cache first — the cache
is keyed by model id, so the old model's vectors stay — and only then, in one transaction with an
Event, changes the setting. Until then the project keeps using the old model; an interrupted switch
leaves the new vectors it finished in the cache, and running it again encodes only the rest.

`start_switch` runs a switch in a background thread for the app, with its progress in a module-level
dict keyed by database URL, so that a page rerun neither stops it nor loses sight of it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qualcode.autocode import CodeText
from qualcode.autocode.embed import (DEFAULT_SETTING, LOOKUP_CHUNK, canonical_model_id, embed_texts, load_embedder,
                            model_source, resolve_model, text_hash)
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Code, Document, Embedding, Project, Segment
from qualcode.store import Store, find_project, record


def project_languages(session: Session, project: Project) -> list[str]:
    """The languages of the project's documents (detected or given at import); before the first import,
    the languages the project was created with."""
    found = session.scalars(select(Document.language).where(Document.project_id == project.id).distinct())
    return sorted({lang for lang in found if lang}) or list(project.languages or [])


def project_model(session: Session, project: Project) -> str:
    """The model id the project's texts are embedded with: its setting, else $QUALCODE_EMBEDDING_MODEL,
    else the measured default for its documents' languages."""
    return canonical_model_id(resolve_model(project.embedding_model, project_languages(session, project)))


def project_texts(session: Session, project: Project) -> list[str]:
    """Every distinct text the project embeds: its segments, then its active codes' prototype texts
    (name and definition, inclusion criterion, examples, exclusion criterion, counter-examples)."""
    docs = dict(session.execute(select(Document.id, Document.text).where(Document.project_id == project.id)).all())
    spans = session.execute(select(Segment.document_id, Segment.start, Segment.end)
                            .where(Segment.document_id.in_(docs)).order_by(Segment.document_id, Segment.order))
    texts = [docs[d][start:end] for d, start, end in spans]
    for c in session.scalars(select(Code).where(Code.project_id == project.id, Code.archived.is_(False))
                             .order_by(Code.id)):
        prototype = CodeText.from_fields("", c.name, c.definition, c.include, c.examples or [], c.exclude,
                                         c.counter_examples or [])
        texts += prototype.positives + prototype.negatives
    return list(dict.fromkeys(texts))


def cached_counts(session: Session, texts: list[str]) -> dict[str, int]:
    """How many of these texts have a vector cached, per model id (most first). One indexed lookup per model
    and chunk of hashes: the cache's key is (model id, text hash)."""
    hashes = list(dict.fromkeys(text_hash(t) for t in texts))
    counts: dict[str, int] = {}
    for model_id in session.scalars(select(Embedding.model_id).distinct()):
        n = sum(session.scalar(select(func.count()).where(Embedding.model_id == model_id,
                                                          Embedding.text_hash.in_(hashes[i:i + LOOKUP_CHUNK])))
                for i in range(0, len(hashes), LOOKUP_CHUNK))
        if n:
            counts[model_id] = n
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def model_status(session: Session) -> dict:
    """`qualcode model show`: the model in use, where it comes from ("project", "environment" or
    "default": the languages' default), the languages, and per model how many of the project's
    `texts` (segments and code prototypes) it has vectors for."""
    project = find_project(session)
    if project is None:
        return {"model": canonical_model_id(resolve_model()), "source": model_source(), "languages": [],
                "cached": {}, "texts": 0}
    texts = project_texts(session, project)
    return {"model": project_model(session, project), "source": model_source(project.embedding_model),
            "languages": project_languages(session, project), "cached": cached_counts(session, texts),
            "texts": len(texts)}


def setting_for(name: str) -> str | None:
    """What `model set NAME` stores: None for "default" (the setting is cleared), the absolute path of a
    local folder (the app and the CLI may run from different folders), else the canonical model id."""
    name = name.strip()
    if not name or name.lower() == DEFAULT_SETTING:
        return None
    folder = Path(name).expanduser()
    if folder.is_dir():
        return str(folder.resolve())
    return canonical_model_id(name)


def switch_model(store: Store, name: str, progress=None, actor: str | None = None) -> dict:
    """Encode the project's texts with model NAME ("default": the model the project gets with no setting)
    into the cache, then set it as the project's model in one transaction with an Event. A model that
    cannot load raises QualcodeError before anything is written."""
    started = time.perf_counter()
    setting = setting_for(name)
    with store.read() as session:
        project = find_project(session)
        if project is None:
            raise QualcodeError("the project is empty: import transcripts first")
        project_id = project.id
        previous = project_model(session, project)
        target = canonical_model_id(resolve_model(setting, project_languages(session, project)))
        texts = project_texts(session, project)
    embedder = load_embedder(target)
    _, encoded = embed_texts(store, embedder, texts, progress)
    with store.write() as session:
        project = session.get(Project, project_id)
        before = project.embedding_model
        if before != setting:
            project.embedding_model = setting
            record(session, project_id, "set-model", "project", project_id, before={"embedding_model": before},
                   after={"embedding_model": setting, "model": target, "texts": len(texts)}, actor=actor)
    return {"model": target, "previous": previous, "setting": setting, "source": model_source(setting),
            "texts": len(texts), "encoded": encoded, "seconds": round(time.perf_counter() - started, 2)}


# --- the app's background switch ---------------------------------------------------------------------

@dataclass
class SwitchProgress:
    """A switch running (or finished) in a background thread; its fields are written by that thread."""

    model: str
    done: int = 0
    total: int = 0            # texts to encode: known once the cache was read (0: loading, or all cached)
    finished: bool = False
    error: str | None = None
    report: dict | None = None
    thread: threading.Thread | None = field(default=None, repr=False)

    def advance(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    @property
    def fraction(self) -> float:
        return 1.0 if self.finished else (self.done / self.total if self.total else 0.0)


_switches: dict[str, SwitchProgress] = {}
_switches_lock = threading.Lock()


def current_switch(store: Store) -> SwitchProgress | None:
    """The switch last started on this database in this process, running or finished."""
    return _switches.get(store.url)


def start_switch(store: Store, name: str, actor: str | None = None) -> SwitchProgress:
    """Run `switch_model` in a background thread; refused while another switch on this database runs."""
    with _switches_lock:
        running = _switches.get(store.url)
        if running is not None and not running.finished:
            raise QualcodeError(f"a switch to {running.model} is still running")
        switch = _switches[store.url] = SwitchProgress(model=name)

    def work() -> None:
        try:
            switch.report = switch_model(store, name, switch.advance, actor)
        except QualcodeError as err:
            switch.error = str(err)
        except Exception as err:  # the thread must always finish, with a line the page can show
            switch.error = f"{type(err).__name__}: {(str(err).splitlines() or [''])[0][:200]}"
        finally:
            switch.finished = True
    switch.thread = threading.Thread(target=work, name="qualcode-model-switch", daemon=True)
    switch.thread.start()
    return switch
