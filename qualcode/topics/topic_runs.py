"""Topics in a project: pick the segments in scope, fit, store the run, and meet the codebook.

A run covers participants' segments (never the moderator's), optionally only documents named,
one attribute value (`group=providers`, `region=…`) and only segments that no code covers
yet (no human coding: manual, or a suggestion a human accepted). The moderator's turns and the
out-of-scope segments of those documents still give context. Each run is stored with its
parameters; merging topics writes a new run. Promoting a topic creates a code and writes the
topic's segments as the machine coder's suggestions, for a human to decide on: never codings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from importlib.metadata import version

import numpy as np
import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, aliased

from qualcode import topics
from qualcode.export.analysis import NOT_SET
from qualcode.autocode import CodeText
from qualcode.codebook import PATH_SEPARATOR
from qualcode.codebook.codes import CodeTree, add_code
from qualcode.topics.context import Layout, Window, context_vectors
from qualcode.autocode.embed import Embedder, LazyEmbedder, embed_texts
from qualcode.common.errors import QualcodeError
from qualcode.store.model import (Code, Coder, Coding, Document, Participant, Segment, Topic, TopicAssignment, TopicRun,
                            Turn)
from qualcode.autocode.model_choice import project_model
from qualcode.store import Store, find_project, get_project, record
from qualcode.autocode.suggest import POSITIVE, machine_coder

ENGINE = "topics"
PROMOTE_EXAMPLES = 3


@dataclass
class TopicOptions:
    documents: list[str] = field(default_factory=list)   # names; empty = all
    attribute: tuple[str, str] | None = None             # (key, value): participant's first, then document's
    uncoded_only: bool = False
    min_topic_size: int | None = None                    # None: scaled to the corpus
    seed: int = 42
    window: Window | None = field(default_factory=Window)  # None: each segment on its own
    reduce_outliers: bool = False
    guided: bool = False
    coders: set[str] | None = None    # whose codings count as "coded" (blind coding: one's own); None: all

    def scope(self) -> dict:
        return {"documents": sorted(self.documents), "uncoded_only": self.uncoded_only,
                "attribute": "=".join(self.attribute) if self.attribute else None}


@dataclass
class Corpus:
    """Segments of the documents touched by the scope, in document order."""

    segment_ids: list[int]
    texts: list[str]
    layout: Layout
    in_scope: np.ndarray
    codes_on: dict[int, set[int]]     # segment id → codes a human applied to it


def parse_attribute(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise QualcodeError(f"'{text}' is not KEY=VALUE (e.g. group=providers)")
    return key.strip(), value.strip()


def attribute_value(key: str, document: dict, participant: dict) -> str | None:
    """As in the analysis tables: `document:K`, `participant:K`, or K (participant's first)."""
    scope, sep, name = key.partition(":")
    if sep and scope == "document":
        value = document.get(name)
    elif sep and scope == "participant":
        value = participant.get(name)
    else:
        value = participant.get(key, document.get(key))
    return None if value is None or value == "" else str(value)


def _human_codes(session: Session, project_id: int, rows: list, coders: set[str] | None = None
                 ) -> dict[int, set[int]]:
    """Segment id → codes of human codings (manual or accepted) whose span overlaps it; only the codings
    of `coders` when given (blind coding: a coder's own)."""
    human = aliased(Coder)
    whose = human.kind == "human" if coders is None else human.name.in_(coders)
    spans: dict[int, list[tuple[int, int, int]]] = {}
    for doc, start, end, code in session.execute(
            select(Coding.document_id, Coding.start, Coding.end, Coding.code_id)
            .join(human, human.id == Coding.coder_id)
            .where(human.project_id == project_id, whose, Coding.status.in_(POSITIVE))):
        spans.setdefault(doc, []).append((start, end, code))
    return {r.id: {code for start, end, code in spans.get(r.document_id, ()) if start < r.end and r.start < end}
            for r in rows if r.document_id in spans}


def load_corpus(session: Session, project_id: int, options: TopicOptions) -> Corpus:
    docs = {d.id: d for d in session.scalars(select(Document).where(Document.project_id == project_id))}
    unknown = set(options.documents) - {d.name for d in docs.values()}
    if unknown:
        raise QualcodeError(f"no document named {', '.join(sorted(unknown))}")
    people = dict(session.execute(select(Participant.id, Participant.attributes)
                                  .join(Document).where(Document.project_id == project_id)).all())
    rows = session.execute(select(Segment.id, Segment.document_id, Segment.start, Segment.end, Segment.turn_id,
                                  Turn.participant_id, Participant.role)
                           .join(Turn, Turn.id == Segment.turn_id)
                           .outerjoin(Participant, Participant.id == Turn.participant_id)
                           .where(Segment.document_id.in_(docs))
                           .order_by(Segment.document_id, Segment.order)).all()
    codes_on = _human_codes(session, project_id, rows, options.coders)

    def wanted(r) -> bool:
        if r.role == "moderator" or (options.documents and docs[r.document_id].name not in options.documents):
            return False
        if options.attribute and attribute_value(options.attribute[0], docs[r.document_id].attributes,
                                                 people.get(r.participant_id) or {}) != options.attribute[1]:
            return False
        return not (options.uncoded_only and codes_on.get(r.id))

    scope = np.array([wanted(r) for r in rows], dtype=bool)
    touched = {r.document_id for r, inside in zip(rows, scope) if inside}
    keep = [i for i, r in enumerate(rows) if r.document_id in touched]
    rows = [rows[i] for i in keep]
    texts = [docs[r.document_id].text[r.start:r.end] for r in rows]
    layout = Layout(document=np.array([r.document_id for r in rows], dtype=np.int64),
                    turn=np.array([r.turn_id for r in rows], dtype=np.int64),
                    speaker=np.array([r.participant_id if r.participant_id is not None else -1 for r in rows],
                                     dtype=np.int64),
                    moderator=np.array([r.role == "moderator" for r in rows], dtype=bool),
                    words=np.array([len(t.split()) for t in texts], dtype=np.int64))
    return Corpus([r.id for r in rows], texts, layout, scope[keep], codes_on)


def _code_prototypes(store: Store, embedder: Embedder, session: Session, project) -> tuple[list, np.ndarray]:
    """The codes that coders apply (leaves) with one unit vector each (mean of name+definition,
    include criterion and examples, all from the embedding cache)."""
    tree = CodeTree(session, project)
    active = [c for c in tree.codes if not c.archived]
    parents = {c.parent_id for c in active}
    leaves = [c for c in active if c.id not in parents]
    if not leaves:
        return [], np.zeros((0, 0), dtype=np.float32)
    texts = [CodeText.from_fields(tree.path(c), c.name, c.definition, c.include, c.examples) for c in leaves]
    vectors, _ = embed_texts(store, embedder, [t for ct in texts for t in ct.positives])
    prototypes, offset = [], 0
    for ct in texts:
        mean = vectors[offset:offset + len(ct.positives)].mean(axis=0)
        prototypes.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
        offset += len(ct.positives)
    return [(c.id, t.key) for c, t in zip(leaves, texts)], np.array(prototypes, dtype=np.float32)


def run_topics(store: Store, options: TopicOptions | None = None, embedder: Embedder | None = None,
               progress=None) -> dict:
    """Fit topics over the segments in scope, store the run, return the CLI contract's report."""
    started = time.perf_counter()
    options = options or TopicOptions()
    with store.read() as session:
        project = find_project(session)
        if project is None:
            raise QualcodeError("the project is empty: import transcripts first")
        corpus = load_corpus(session, project.id, options)
        if not corpus.in_scope.any():
            raise QualcodeError("no segments in scope (no participant segments match"
                                + (", or every one is already coded)" if options.uncoded_only else ")"))
        embedder = embedder or LazyEmbedder(project_model(session, project))
        codes, prototypes = _code_prototypes(store, embedder, session, project)
    vectors, _ = embed_texts(store, embedder, corpus.texts, progress)
    fitted = context_vectors(vectors, corpus.layout, options.window) if options.window else vectors
    rows = np.flatnonzero(corpus.in_scope)
    sizes = topics.scaled_sizes(len(rows), options.min_topic_size)
    guide, fit_vectors = None, fitted[rows]
    if options.guided:
        if not codes:
            raise QualcodeError("guided topics need a codebook: load one with `qualcode codebook load FILE`")
        guide, fit_vectors = topics.guide_labels(fit_vectors, prototypes)
    labels = topics.fit([corpus.texts[i] for i in rows], fit_vectors, sizes, options.seed,
                        options.reduce_outliers, guide)
    parameters = {"scope": options.scope(), **sizes.as_dict(), "seed": options.seed,
                  "context": options.window.as_dict() if options.window else None,
                  "reduce_outliers": options.reduce_outliers, "guided": options.guided, "model": embedder.model_id,
                  "versions": {p: version(p) for p in ("bertopic", "umap-learn", "hdbscan")}}
    return _store_run(store, project.id, [corpus.segment_ids[i] for i in rows], [corpus.texts[i] for i in rows],
                      vectors[rows], labels, corpus.codes_on, (codes, prototypes), parameters, started)


def _members(segment_ids: list[int], labels: np.ndarray) -> dict[int, list[int]]:
    members: dict[int, list[int]] = {}
    for segment_id, topic in zip(segment_ids, labels.tolist()):
        members.setdefault(topic, []).append(segment_id)
    return members


def _nearest_codes(members: dict[int, list[int]], vectors: np.ndarray, labels: np.ndarray,
                   codes_on: dict[int, set[int]], codebook: tuple[list, np.ndarray]) -> dict[int, list[dict]]:
    """Per topic, the three codes nearest its centroid, and how many of its segments a human coded with each."""
    codes, prototypes = codebook
    return {topic: [{"code": codes[j][1], "similarity": sim,
                     "covers": sum(codes[j][0] in codes_on.get(s, ()) for s in members[topic])} for j, sim in pairs]
            for topic, pairs in topics.nearest(topics.centroids(vectors, labels), prototypes).items()}


def _store_run(store: Store, project_id: int, segment_ids: list[int], texts: list[str], vectors: np.ndarray,
               labels: np.ndarray, codes_on: dict[int, set[int]], codebook: tuple[list, np.ndarray],
               parameters: dict, started: float) -> dict:
    """Describe the topics (keywords, quotes, nearest codes), write the run, return the report."""
    words = topics.keywords(texts, labels)
    quotes = topics.representatives(vectors, labels, texts)
    members = _members(segment_ids, labels)
    near = _nearest_codes(members, vectors, labels, codes_on, codebook)
    found = [{"id": topic, "size": len(members[topic]), "keywords": words[topic],
              "representative": [segment_ids[r] for r in quotes[topic]], "nearest_codes": near[topic]}
             for topic in sorted(words)]
    seconds = round(time.perf_counter() - started, 2)
    with store.write() as session:
        run = TopicRun(project_id=project_id, parameters=parameters, seconds=seconds, n_segments=len(segment_ids))
        session.add(run)
        session.flush()
        session.add_all(Topic(run_id=run.id, topic_id=t["id"], size=t["size"], keywords=t["keywords"],
                              representative=t["representative"]) for t in found)
        session.execute(insert(TopicAssignment), [{"run_id": run.id, "segment_id": s, "topic_id": int(t)}
                                                  for s, t in zip(segment_ids, labels.tolist())])
        record(session, project_id, "topics", "topic_run", run.id,
               after={"topics": len(found), "segments": len(segment_ids), "parameters": parameters})
    return {"run": run.id, "topics": found,
            "assignments": {s: int(t) for s, t in zip(segment_ids, labels.tolist())},
            "outliers": int((labels == -1).sum()), "seconds": seconds, "parameters": parameters}


def _run(session: Session, run_id: int) -> TopicRun:
    project = find_project(session)
    run = session.get(TopicRun, run_id)
    if run is None or project is None or run.project_id != project.id:
        raise QualcodeError(f"no topic run {run_id} (see `qualcode topic-runs`)")
    return run


def _topic(session: Session, run_id: int, topic_id: int) -> Topic:
    topic = session.get(Topic, (run_id, topic_id))
    if topic is None:
        hint = " (-1 holds the outliers)" if topic_id == -1 else ""
        raise QualcodeError(f"run {run_id} has no topic {topic_id}{hint}")
    return topic


def _assignments(session: Session, run_id: int) -> dict[int, int]:
    return dict(session.execute(select(TopicAssignment.segment_id, TopicAssignment.topic_id)
                                .where(TopicAssignment.run_id == run_id).order_by(TopicAssignment.segment_id)).all())


def list_runs(session: Session) -> list[dict]:
    """Every stored run of the project, newest first, with what it was fitted with."""
    project = find_project(session)
    if project is None:
        return []
    runs = session.scalars(select(TopicRun).where(TopicRun.project_id == project.id).order_by(TopicRun.id.desc()))
    return [{"run": r.id, "created_at": r.created_at.isoformat(), "segments": r.n_segments, "seconds": r.seconds,
             "topics": len(session.scalars(select(Topic.topic_id).where(Topic.run_id == r.id)).all()),
             "parameters": r.parameters} for r in runs]


def run_topics_table(session: Session, run_id: int) -> pd.DataFrame:
    """The topics of a stored run: id, size, keywords, label (for tables and charts)."""
    _run(session, run_id)
    rows = session.scalars(select(Topic).where(Topic.run_id == run_id).order_by(Topic.topic_id))
    return pd.DataFrame([{"topic": t.topic_id, "size": t.size, "keywords": ", ".join(t.keywords[:3]),
                          "label": t.label} for t in rows], columns=["topic", "size", "keywords", "label"])


def describe_run(store: Store, run_id: int, embedder: Embedder | None = None,
                 coders: set[str] | None = None) -> dict:
    """A stored run as `run_topics` reported it: its topics with keywords, quotes and the three nearest
    codes. The codes are today's codebook and `covers` counts today's human codings (so a run can be
    read again after coding); vectors come from the embedding cache, the model loads only for new texts."""
    with store.read() as session:
        project = find_project(session)
        run = _run(session, run_id)
        stored = session.scalars(select(Topic).where(Topic.run_id == run_id).order_by(Topic.topic_id)).all()
        docs = dict(session.execute(select(Document.id, Document.text).where(Document.project_id == project.id)).all())
        rows = session.execute(select(Segment.id, Segment.document_id, Segment.start, Segment.end,
                                      TopicAssignment.topic_id)
                               .join(TopicAssignment, TopicAssignment.segment_id == Segment.id)
                               .where(TopicAssignment.run_id == run_id).order_by(Segment.id)).all()
        codes_on = _human_codes(session, project.id, rows, coders)
        embedder = embedder or LazyEmbedder(run.parameters.get("model") or project_model(session, project))
        codebook = _code_prototypes(store, embedder, session, project)
        header = {"run": run.id, "created_at": run.created_at.isoformat(), "parameters": run.parameters,
                  "segments": run.n_segments, "seconds": run.seconds}
    segment_ids = [r.id for r in rows]
    labels = np.array([r.topic_id for r in rows], dtype=np.int64)
    vectors, _ = embed_texts(store, embedder, [docs[r.document_id][r.start:r.end] for r in rows])
    near = _nearest_codes(_members(segment_ids, labels), vectors, labels, codes_on, codebook) if rows else {}
    found = [{"id": t.topic_id, "size": t.size, "keywords": t.keywords, "label": t.label,
              "representative": t.representative, "nearest_codes": near.get(t.topic_id, [])} for t in stored]
    return {**header, "topics": found, "outliers": int((labels == -1).sum())}


def topic_quotes(session: Session, run_id: int, topic_id: int) -> list[dict]:
    """The representative quotes of a topic, most typical first: segment id, document, speaker, text."""
    _run(session, run_id)
    topic = _topic(session, run_id, topic_id)
    rows = {r.id: r for r in session.execute(
        select(Segment.id, Segment.start, Segment.end, Document.name, Document.text, Participant.label)
        .join(Document, Document.id == Segment.document_id)
        .join(Turn, Turn.id == Segment.turn_id)
        .outerjoin(Participant, Participant.id == Turn.participant_id)
        .where(Segment.id.in_(topic.representative)))}
    return [{"segment": s, "document": rows[s].name, "speaker": rows[s].label or "",
             "text": rows[s].text[rows[s].start:rows[s].end]} for s in topic.representative if s in rows]


def scope_attributes(session: Session) -> dict[str, list[str]]:
    """Attribute → its values among participants (not moderators) and documents, for choosing a scope
    or a prevalence breakdown; read as `attribute_value` reads them."""
    project = find_project(session)
    if project is None:
        return {}
    values: dict[str, set[str]] = {}
    sources = [*session.scalars(select(Document.attributes).where(Document.project_id == project.id)),
               *session.scalars(select(Participant.attributes).join(Document)
                                .where(Document.project_id == project.id, Participant.role != "moderator"))]
    for attributes in sources:
        for key, value in (attributes or {}).items():
            if value is not None and value != "" and not isinstance(value, (dict, list)):
                values.setdefault(str(key), set()).add(str(value))
    return {key: sorted(found) for key, found in sorted(values.items())}


def suggested_name(topic_id: int, keywords: list[str]) -> str:
    """A code name to start from: the topic's first three keywords ("Queue, ticket, long")."""
    name = ", ".join(keywords[:3]).replace(PATH_SEPARATOR, " ")
    return name[:1].upper() + name[1:] if name else f"Topic {topic_id}"


def code_with_suggestions(session: Session, project, path: str, definition: str, segments: list,
                          typical: list[int], reason: str, engine: str, owner: str | None = None) -> Code:
    """A new code drafted from a group of segments (rows with id, document_id, start, end and the document's
    text): its typical segments as examples, and every segment as a machine suggestion a person decides."""
    text = {s.id: s.text[s.start:s.end] for s in segments}
    code = add_code(session, project, path, definition=definition,
                    examples=[text[s] for s in typical[:PROMOTE_EXAMPLES] if s in text])
    coder = machine_coder(session, project.id, engine, owner)
    session.add_all(Coding(coder_id=coder.id, code_id=code.id, document_id=s.document_id, segment_id=s.id,
                           start=s.start, end=s.end, status="suggested", reason=reason) for s in segments)
    return code


def promote_topic(store: Store, run_id: int, topic_id: int, name: str, owner: str | None = None) -> dict:
    """Create a code (path `name`) drafted from the topic and suggest it for the topic's segments (to
    `owner` alone under blind coding: their own machine writes them)."""
    with store.write() as session:
        project = get_project(session, create=False)
        _run(session, run_id)
        topic = _topic(session, run_id, topic_id)
        members = [s for s, t in _assignments(session, run_id).items() if t == topic_id]
        segments = session.execute(select(Segment.id, Segment.document_id, Segment.start, Segment.end, Document.text)
                                   .join(Document).where(Segment.id.in_(members))).all()
        keywords = ", ".join(topic.keywords[:8]) or "no keywords"
        definition = (f"Draft from topic {topic_id} of topic run {run_id}: talk about {keywords}. "
                      "Rewrite this definition before relying on the code.")
        reason = f"topic {topic_id} of run {run_id} ({', '.join(topic.keywords[:3]) or 'no keywords'})"
        code = code_with_suggestions(session, project, name, definition, segments, topic.representative, reason,
                                     ENGINE, owner)
        topic.label = name
        result = {"code": name, "guid": code.guid, "run": run_id, "topic": topic_id, "suggestions": len(segments),
                  "definition": definition}
        record(session, project.id, "promote", "topic", topic_id, after=result)
    return result


def merge_topics(store: Store, run_id: int, topic_ids: list[int], embedder: Embedder | None = None) -> dict:
    """A new run in which the given topics of `run_id` are one (under the smallest id); the
    other topics keep their ids, keywords and quotes are described afresh."""
    started = time.perf_counter()
    wanted = sorted(set(topic_ids))
    if len(wanted) < 2 or -1 in wanted:
        raise QualcodeError("name two or more topics to merge (not the outliers, -1)")
    with store.read() as session:
        project = find_project(session)
        run = _run(session, run_id)
        for t in wanted:
            _topic(session, run_id, t)
        assigned = _assignments(session, run_id)
        corpus = load_corpus(session, project.id, TopicOptions())
        embedder = embedder or LazyEmbedder(project_model(session, project))
        codebook = _code_prototypes(store, embedder, session, project)
        parameters = {**run.parameters, "merged": {"run": run_id, "topics": wanted}}
    rows = [i for i, s in enumerate(corpus.segment_ids) if s in assigned]
    segment_ids = [corpus.segment_ids[i] for i in rows]
    texts = [corpus.texts[i] for i in rows]
    labels = np.array([wanted[0] if assigned[s] in wanted else assigned[s] for s in segment_ids], dtype=np.int64)
    vectors, _ = embed_texts(store, embedder, texts)
    return _store_run(store, project.id, segment_ids, texts, vectors, labels, corpus.codes_on, codebook, parameters,
                      started)


def prevalence(session: Session, run_id: int, by: str = "group") -> pd.DataFrame:
    """Topic × value of an attribute (participant's, else document's; `document:K` to be explicit;
    `document` alone is the document's name): segments, and their share of all the run's segments
    with that value. Long form, one row per cell."""
    _run(session, run_id)
    rows = session.execute(select(TopicAssignment.topic_id, Document.attributes, Participant.attributes, Document.name)
                           .join(Segment, Segment.id == TopicAssignment.segment_id)
                           .join(Document, Document.id == Segment.document_id)
                           .join(Turn, Turn.id == Segment.turn_id)
                           .outerjoin(Participant, Participant.id == Turn.participant_id)
                           .where(TopicAssignment.run_id == run_id)).all()
    frame = pd.DataFrame({"topic": [r[0] for r in rows],
                          by: [(r[3] if by == "document" else attribute_value(by, r[1] or {}, r[2] or {}))
                               or NOT_SET for r in rows]})
    if frame.empty or (frame[by] == NOT_SET).all():
        raise QualcodeError(f"no segment of run {run_id} has an attribute '{by}'")
    counts = frame.groupby(["topic", by]).size().rename("segments").reset_index()
    totals = frame.groupby(by).size()
    counts["share"] = (counts["segments"] / counts[by].map(totals)).round(4)
    labels = run_topics_table(session, run_id).set_index("topic")
    counts["keywords"] = counts["topic"].map(labels["keywords"]).fillna("outliers")
    return counts[["topic", "keywords", by, "segments", "share"]]
