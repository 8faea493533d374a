"""The auto-coder in a project: score segments in scope, write the machine's suggestions.

The machine is a coder of its own. It never writes or changes a human's
coding: a re-run replaces only its own suggestions that nobody has decided
on yet, and skips (segment, code) pairs a human already coded or rejected.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, aliased

from qualcode import autocode
from qualcode.autocode import calibration, scoring
from qualcode.store.access import blind_mode
from qualcode.codebook.codes import CodeTree
from qualcode.autocode.embed import Embedder, LazyEmbedder, embed_texts
from qualcode.common.errors import QualcodeError
from qualcode.autocode.learned import NgramFeatures
from qualcode.autocode.model_choice import project_model
from qualcode.store.model import Code, Coder, Coding, Document, Participant, Segment, Turn, utcnow
from qualcode.store import Store, find_coder, find_project, get_project, record

MACHINE_CODER = "machine"
QUEUE_SIZE = 200
DELETE_CHUNK = 500   # segment ids per DELETE … IN (…): well under every database's parameter limit
POSITIVE = ("accepted", "manual")
TARGET_SETTING = "target_precision"   # project setting: the precision suggestions are calibrated to
REASON_CHARS = 90


@dataclass
class Scope:
    documents: list[str] = field(default_factory=list)   # names; empty = all
    include_moderator: bool = False
    coder: str | None = None      # blind coding: learn from this coder's decisions only, suggest to them only


@dataclass
class Corpus:
    """Segments to score plus those carrying human decisions, with their texts."""

    segment_ids: list[int]
    texts: list[str]
    in_scope: np.ndarray                      # bool per segment
    document_ids: list[int]
    spans: list[tuple[int, int]]              # (start, end) per segment, to write codings without a lookup
    decisions: dict[int, dict[int, bool]]     # code column → {row: positive?}
    decided: set[tuple[int, int]]             # (segment id, code id) a human already settled
    owner: str | None = None                  # whose own machine writes the suggestions (blind coding)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= REASON_CHARS else text[:REASON_CHARS - 1] + "…"


def load_corpus(session: Session, project_id: int, scope: Scope, code_ids: list[int]) -> Corpus:
    docs = {d.id: d for d in session.scalars(select(Document).where(Document.project_id == project_id))}
    if scope.documents:
        unknown = set(scope.documents) - {d.name for d in docs.values()}
        if unknown:
            raise QualcodeError(f"no document named {', '.join(sorted(unknown))}")
    wanted = {d.id for d in docs.values() if not scope.documents or d.name in scope.documents}
    rows = session.execute(select(Segment.id, Segment.document_id, Segment.start, Segment.end, Participant.role)
                           .join(Turn, Turn.id == Segment.turn_id)
                           .outerjoin(Participant, Participant.id == Turn.participant_id)
                           .where(Segment.document_id.in_(docs.keys()))
                           .order_by(Segment.document_id, Segment.order)).all()
    human = aliased(Coder)
    whose = human.kind == "human" if scope.coder is None else human.name == scope.coder
    coded = session.execute(select(Coding.segment_id, Coding.code_id, Coding.status)
                            .join(human, human.id == Coding.coder_id)
                            .where(whose, human.project_id == project_id, Coding.segment_id.is_not(None),
                                   Coding.code_id.in_(code_ids))).all()
    decided_segments = {s for s, _, _ in coded}
    column = {cid: j for j, cid in enumerate(code_ids)}
    # whole documents, in order, so that every segment has its neighbouring turns as context
    with_decisions = {r.document_id for r in rows if r.id in decided_segments}
    keep = [r for r in rows if r.document_id in wanted or r.document_id in with_decisions]
    position = {r.id: i for i, r in enumerate(keep)}
    decisions: dict[int, dict[int, bool]] = {}
    for segment_id, code_id, status in coded:
        if segment_id in position:
            decisions.setdefault(column[code_id], {})[position[segment_id]] = status in POSITIVE
    return Corpus(segment_ids=[r.id for r in keep],
                  texts=[docs[r.document_id].text[r.start:r.end] for r in keep],
                  in_scope=np.array([r.document_id in wanted and (scope.include_moderator or r.role != "moderator")
                                     for r in keep], dtype=bool),
                  document_ids=[r.document_id for r in keep], spans=[(r.start, r.end) for r in keep],
                  decisions=decisions,
                  decided={(s, c) for s, c, _ in coded}, owner=scope.coder)


def target_precision(project) -> float:
    """The precision the auto-coder calibrates each code's threshold to (a project setting)."""
    return float(project.settings.get(TARGET_SETTING, calibration.TARGET_PRECISION))


def coded_leaves(tree: CodeTree) -> list:
    """The codes the machine suggests: coders apply the leaves of a hierarchy (a parent is a theme
    unless it has no live children), in codebook order; their positions are the engines' columns."""
    active = [c for c in tree.codes if not c.archived]
    parents = {c.parent_id for c in active}
    return [c for c in active if c.id not in parents]


def group_candidates(tree: CodeTree, leaves: list) -> list[tuple]:
    """(parent or None, sibling leaf columns, declared flag) for every set of two or more sibling leaves."""
    column = {c.id: j for j, c in enumerate(leaves)}
    candidates = [(parent, [column[c.id] for c in children if c.id in column], declared)
                  for parent, children, declared in tree.exclusive_groups()]
    return [c for c in candidates if len(c[1]) >= 2]


def machine_name(owner: str | None = None) -> str:
    """The shared machine coder's name, or the name of one coder's own machine under blind coding."""
    return MACHINE_CODER if owner is None else f"{MACHINE_CODER} for {owner}"


def machine_coder(session: Session, project_id: int, engine: str, owner: str | None = None) -> Coder:
    """The machine coder that writes suggestions: shared, or `owner`'s own (trained on their decisions only)."""
    name = machine_name(owner)
    coder = find_coder(session, project_id, name)
    if coder is None:
        coder = Coder(project_id=project_id, name=name, kind="machine", engine=engine,
                      settings={} if owner is None else {"for": owner})
        session.add(coder)
        session.flush()
    coder.engine = engine
    return coder


def _owned(project, scope: Scope) -> Scope:
    """Under blind coding every run is one coder's: their decisions teach it, only they see its suggestions."""
    if not blind_mode(project):
        return Scope(scope.documents, scope.include_moderator)
    if not scope.coder:
        raise QualcodeError("blind coding is on: auto-code for one coder (--coder NAME), so that the machine "
                            "learns from that coder's decisions only")
    return scope


@dataclass
class Scored:
    """The scoring phase's outcome, nothing written yet: scoring takes a while, so the write phase
    filters `rows` again against the store as it is by then (`_still_open`)."""

    engine: str
    corpus: Corpus
    rows: list[tuple[int, int, float, str]]   # (segment id, code id, probability, reason)
    state: dict                               # the machine coder's settings of this run
    report: dict                              # what run_autocode returns, less the number written
    started: float


def run_autocode(store: Store, engine: str = "auto", scope: Scope | None = None, min_score: float | None = None,
                 embedder: Embedder | None = None, progress=None) -> dict:
    """Score every segment in scope against every active code; store the suggestions that pass."""
    return write_scored(store, score_autocode(store, engine, scope, min_score, embedder, progress))


def score_autocode(store: Store, engine: str = "auto", scope: Scope | None = None, min_score: float | None = None,
                   embedder: Embedder | None = None, progress=None) -> Scored:
    """The reading and scoring phase of a run (seconds to minutes), in read transactions only."""
    started = time.perf_counter()
    scope = scope or Scope()
    if engine not in autocode.ENGINES:
        raise QualcodeError(f"unknown engine '{engine}' (choose from {', '.join(autocode.ENGINES)})")
    with store.read() as session:
        project = find_project(session)
        if project is None:
            raise QualcodeError("the project is empty: import transcripts first")
        scope = _owned(project, scope)
        tree = CodeTree(session, project)
        codes = coded_leaves(tree)
        if not codes:
            raise QualcodeError("the codebook is empty: load one with `qualcode codebook load FILE`")
        code_texts = [autocode.CodeText.from_fields(tree.path(c), c.name, c.definition, c.include, c.examples,
                                                    c.exclude, c.counter_examples) for c in codes]
        corpus = load_corpus(session, project.id, scope, [c.id for c in codes])
        model_setting = project_model(session, project)
        target = target_precision(project)
        groups = [(columns, declared) for _, columns, declared in group_candidates(tree, codes)]
    warnings = [f'code "{t.key}" has no definition or examples: zero-shot suggestions rest on its name alone'
                for t, c in zip(code_texts, codes) if not (c.definition or c.examples)]
    if not corpus.in_scope.any():
        raise QualcodeError("no segments in scope (is the project empty, or are all turns the moderator's?)")
    if engine == "learned" and not corpus.decisions:  # refused before seconds of encoding
        raise QualcodeError("the learned engine needs human decisions first (accept, reject or code some segments)")
    embedder = embedder or LazyEmbedder(model_setting)
    vectors, _ = embed_texts(store, embedder, corpus.texts, progress)
    prototypes, anti = scoring.code_vectors(code_texts, lambda texts: embed_texts(store, embedder, texts)[0])
    outcome = scoring.run(scoring.Task(
        vectors, corpus.texts, np.array(corpus.document_ids), code_texts, prototypes, anti, corpus.decisions,
        corpus.in_scope, groups, engine, target,
        ngrams=_ngram_features(corpus.texts) if engine != "zero-shot" and corpus.decisions else None))
    predicted = outcome.predicted
    if min_score is not None:
        predicted = predicted & (outcome.probability >= min_score)
    model, zero, probability = outcome.model, outcome.zero, outcome.probability
    positives = model.positives if model is not None else np.zeros(len(codes), dtype=np.int32)
    rows = []
    for i, j in zip(*np.nonzero(predicted)):
        segment_id, code = corpus.segment_ids[i], codes[j]
        if (segment_id, code.id) in corpus.decided:
            continue
        example = model.nearest_example(vectors, i, j) if model is not None else -1
        if example >= 0:
            reason = f"like coded segment «{_short(corpus.texts[example])}»"
        else:
            matched = code_texts[j].positives[zero.evidence[i, j]]
            what = "definition" if zero.evidence[i, j] == 0 else ("include criterion" if matched == code.include
                                                                  else "example")
            reason = f"matches the {what} «{_short(matched)}»"
        rows.append((segment_id, code.id, float(probability[i, j]), reason))
    names = [t.key for t in code_texts]
    state = {"calibration": {str(c.id): cal for c, cal in zip(codes, outcome.calibration)},
             "groups": [g.describe(names) for g in outcome.groups], "target_precision": target}
    learning = [names[j] for j, cal in enumerate(outcome.calibration) if cal["learning"]]
    return Scored(engine, corpus, rows, {**state, "queue": _queue(corpus, probability, positives, codes, tree)},
                  {"segments": int(corpus.in_scope.sum()), "model": embedder.model_id, "engine": engine,
                   "warnings": warnings, "groups": state["groups"], "learning": learning, "target_precision": target},
                  started)


def write_scored(store: Store, scored: Scored) -> dict:
    """The write phase of a run: the suggestions still open, in one transaction; the run's report."""
    written = _write_suggestions(store, scored.engine, scored.corpus, scored.rows, scored.state)
    return {"suggestions": written, **scored.report, "seconds": round(time.perf_counter() - scored.started, 2)}


_ngrams: dict[str, NgramFeatures] = {}


def _ngram_features(texts: list[str]) -> NgramFeatures:
    """Fitting character n-grams on 20,000 segments takes seconds: a re-run on the same corpus (the app
    retraining after each decision) reuses the last fit. One corpus is kept, keyed by its texts."""
    key = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()
    if key not in _ngrams:
        _ngrams.clear()
        _ngrams[key] = NgramFeatures(texts)
    return _ngrams[key]


def _queue(corpus: Corpus, probability: np.ndarray, positives: np.ndarray, codes: list, tree: CodeTree) -> list:
    """The segments a human decision would teach most (active learning), most useful first."""
    scores = autocode.uncertainty(probability, positives)
    decided = {s for s, _ in corpus.decided}
    order = [i for i in np.argsort(-scores, kind="stable")
             if corpus.in_scope[i] and corpus.segment_ids[i] not in decided][:QUEUE_SIZE]
    closest = np.abs(probability - 0.5).argmin(axis=1)
    return [[int(corpus.segment_ids[i]), round(float(scores[i]), 4), tree.path(codes[closest[i]])] for i in order]


def _write_suggestions(store: Store, engine: str, corpus: Corpus, rows: list[tuple[int, int, float, str]],
                       state: dict) -> int:
    """Replace the machine's undecided suggestions on the scoped segments, set-wise (no ORM objects). One
    predicted again keeps its row (and id), with the new score and reason: a coder about to accept it
    while the run writes still can."""
    row_of = {segment_id: i for i, segment_id in enumerate(corpus.segment_ids)}
    scoped = [s for s, inside in zip(corpus.segment_ids, corpus.in_scope) if inside]
    with store.write() as session:
        project = get_project(session)
        coder = machine_coder(session, project.id, engine, corpus.owner)
        coder.settings = {**coder.settings, **state}  # the queue, calibrations and groups of this run
        rows = _still_open(session, project.id, coder, corpus.owner, rows)
        kept, stale = _undecided(session, coder, scoped, {(s, c) for s, c, _, _ in rows})
        for chunk in range(0, len(stale), DELETE_CHUNK):
            session.execute(delete(Coding).where(Coding.id.in_(stale[chunk:chunk + DELETE_CHUNK]))
                            .execution_options(synchronize_session=False))
        now = utcnow()
        again = [{"id": kept[(s, c)], "score": round(score, 4), "reason": reason, "updated_at": now}
                 for s, c, score, reason in rows if (s, c) in kept]
        if again:
            session.execute(update(Coding), again)
        new = [{"coder_id": coder.id, "code_id": code_id, "document_id": corpus.document_ids[row_of[segment_id]],
                "segment_id": segment_id, "start": corpus.spans[row_of[segment_id]][0],
                "end": corpus.spans[row_of[segment_id]][1], "status": "suggested", "score": round(score, 4),
                "reason": reason, "created_at": now, "updated_at": now}
               for segment_id, code_id, score, reason in rows if (segment_id, code_id) not in kept]
        if new:
            session.execute(insert(Coding), new)
        record(session, project.id, "autocode", "coder", coder.id,
               after={"engine": engine, "segments": len(scoped), "suggestions": len(rows)})
    return len(rows)


def _undecided(session: Session, machine: Coder, scoped: list[int],
               wanted: set[tuple[int, int]]) -> tuple[dict[tuple[int, int], int], list[int]]:
    """The machine's undecided suggestions on the scoped segments: {(segment, code): id} of those this run
    suggests again (one per pair), and the ids of the rest, to delete."""
    decision = aliased(Coding)
    kept: dict[tuple[int, int], int] = {}
    stale: list[int] = []
    for chunk in range(0, len(scoped), DELETE_CHUNK):
        for coding_id, segment_id, code_id in session.execute(
                select(Coding.id, Coding.segment_id, Coding.code_id).where(
                    Coding.coder_id == machine.id, Coding.status == "suggested",
                    Coding.segment_id.in_(scoped[chunk:chunk + DELETE_CHUNK]),
                    ~select(decision.id).where(decision.based_on_id == Coding.id).exists())
                .order_by(Coding.id)):
            if (segment_id, code_id) in wanted and (segment_id, code_id) not in kept:
                kept[(segment_id, code_id)] = coding_id
            else:
                stale.append(coding_id)
    return kept, stale


def _still_open(session: Session, project_id: int, machine: Coder, owner: str | None,
                rows: list[tuple[int, int, float, str]]) -> list[tuple[int, int, float, str]]:
    """The rows still worth writing, read inside the write transaction: people decide, and codes are
    archived or removed, while a run scores. Drops a (segment, code) a person (under blind coding: the
    owner) has coded or decided meanwhile, or that holds a decided suggestion of this machine; a code no
    longer active; a segment no longer there."""
    human = aliased(Coder)
    whose = human.kind == "human" if owner is None else human.name == owner
    pairs = select(Coding.segment_id, Coding.code_id)
    settled = {tuple(r) for r in session.execute(pairs.join(human, human.id == Coding.coder_id).where(
        whose, human.project_id == project_id, Coding.segment_id.is_not(None)))}
    decision = aliased(Coding)
    settled |= {tuple(r) for r in session.execute(pairs.where(   # a decided suggestion is not suggested twice
        Coding.coder_id == machine.id, select(decision.id).where(decision.based_on_id == Coding.id).exists()))}
    active = set(session.scalars(select(Code.id).where(Code.project_id == project_id, Code.archived.is_(False))))
    wanted = sorted({segment_id for segment_id, _, _, _ in rows})
    present = {s for chunk in range(0, len(wanted), DELETE_CHUNK)
               for s in session.scalars(select(Segment.id).where(Segment.id.in_(wanted[chunk:chunk + DELETE_CHUNK])))}
    return [r for r in rows if r[1] in active and r[0] in present and (r[0], r[1]) not in settled]


def _reader_machine(project, coder: str | None) -> str:
    """Whose machine a reader sees: their own under blind coding (which needs a name), else the shared one."""
    if blind_mode(project) and not coder:
        raise QualcodeError("blind coding is on: say whose suggestions to list (--coder NAME)")
    return machine_name(coder if blind_mode(project) else None)


def pending_suggestions(session: Session, document: str | None = None, coder: str | None = None) -> list[dict]:
    """The machine's suggestions nobody has decided on, best first within each segment."""
    project = find_project(session)
    if project is None:
        return []
    machine = _reader_machine(project, coder)
    tree = CodeTree(session, project)
    decision = aliased(Coding)
    query = (select(Coding, Document.name, Document.text).join(Coder, Coder.id == Coding.coder_id)
             .join(Document, Document.id == Coding.document_id)
             .where(Coder.project_id == project.id, Coder.name == machine, Coding.status == "suggested",
                    ~select(decision.id).where(decision.based_on_id == Coding.id).exists())
             .order_by(Document.id, Coding.start, Coding.score.desc()))
    if document:
        query = query.where(Document.name == document)
    return [{"id": c.id, "segment": c.segment_id, "code": tree.path(tree.by_id[c.code_id]), "score": c.score,
             "reason": c.reason, "document": name, "start": c.start, "end": c.end, "text": text[c.start:c.end]}
            for c, name, text in session.execute(query)]


def next_to_code(session: Session, limit: int = 10, document: str | None = None,
                 coder: str | None = None) -> list[dict]:
    """"What to code next": the last run's most uncertain segments that no human (under blind coding:
    that coder) has decided on yet."""
    project = find_project(session)
    machine = project and find_coder(session, project.id, _reader_machine(project, coder))
    if machine is None:
        return []
    human = aliased(Coder)
    whose = human.kind == "human" if not blind_mode(project) else human.name == coder
    decided = set(session.scalars(select(Coding.segment_id).join(human, human.id == Coding.coder_id)
                                  .where(whose, human.project_id == project.id)))
    queue = [(s, u, c) for s, u, c in machine.settings.get("queue", []) if s not in decided]
    rows = {seg.id: (seg, doc) for seg, doc in session.execute(
        select(Segment, Document).join(Document).where(Segment.id.in_([s for s, _, _ in queue])))}
    picked = [(s, u, c) for s, u, c in queue if s in rows and (document is None or rows[s][1].name == document)]
    return [{"segment": s, "document": rows[s][1].name, "uncertainty": u, "code": c,
             "text": rows[s][1].text[rows[s][0].start:rows[s][0].end]} for s, u, c in picked[:limit]]
