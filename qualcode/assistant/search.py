"""Ask the data: rank participants' segments by meaning, by words, or by both, and code the hits.

Meaning is the cosine between the query's embedding and each segment's cached one; words are
BM25 over language-aware stems (`words.py`). The blend rescales each to 0–1 over the segments in
scope and averages them with weight MEANING_WEIGHT, so a segment that shares the query's words
and its sense comes first; a turn of one or two words ("Ой.", "Рахмет.") is scaled down, since its
vector is near everything short. Hits are participants' own words with speaker, document and time, and
the turns around them; nothing is rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qualcode.codebook.codes import CodeTree
from qualcode.coding import apply_code, coder_named
from qualcode.autocode.embed import Embedder, LazyEmbedder
from qualcode.common.errors import QualcodeError
from qualcode.assistant.passages import Passages, context_turns, load_passages, passage_vectors
from qualcode.store import Store, find_project
from qualcode.assistant.words import bm25, stems

MODES = ("blend", "meaning", "words")
MEANING_WEIGHT = 0.7
DEFAULT_LIMIT = 20
SHORT_WORDS = 4   # the blend scales a turn of fewer content words ("Ой.", "Рахмет.") down: its vector says little


@dataclass
class Filters:
    documents: list[str] = field(default_factory=list)          # names; empty = all
    codes: list[str] = field(default_factory=list)              # code paths (with their subtrees); empty = any
    where: dict[str, str] = field(default_factory=dict)         # attribute → value, e.g. {"gender": "female"}


def _rescale(scores: np.ndarray) -> np.ndarray:
    span = float(scores.max() - scores.min()) if len(scores) else 0.0
    return (scores - scores.min()) / span if span > 0 else np.zeros_like(scores)


def rank(query_vector: np.ndarray | None, vectors: np.ndarray, query_stems: list[str], documents: list[list[str]],
         mode: str = "blend", weight: float = MEANING_WEIGHT) -> np.ndarray:
    """Scores of every row for the query (higher is nearer): the engine, with no store."""
    if mode not in MODES:
        raise QualcodeError(f"unknown ranking '{mode}' (use {', '.join(MODES)})")
    meaning = vectors @ query_vector if mode != "words" else None
    if mode == "meaning":
        return meaning
    lexical = bm25(query_stems, documents)
    if mode == "words":
        return lexical
    substance = np.minimum(1.0, (np.array([len(d) for d in documents]) + 1) / SHORT_WORDS)
    return (weight * _rescale(meaning) + (1 - weight) * _rescale(lexical)) * substance


def _subtree_ids(tree: CodeTree, paths: list[str]) -> set[int]:
    ids: set[int] = set()

    def visit(code) -> None:
        ids.add(code.id)
        for child in tree.children(code):
            visit(child)
    for path in paths:
        visit(tree.find(path))
    return ids


def _in_scope(store: Store, passages: Passages, filters: Filters) -> np.ndarray:
    items = passages.items
    known = {p.document for p in items}
    unknown = sorted(set(filters.documents) - known)
    if unknown:
        raise QualcodeError(f"no document named {', '.join(unknown)}")
    keep = np.array([p.role != "moderator" and (not filters.documents or p.document in filters.documents)
                     for p in items], dtype=bool)
    for key, value in filters.where.items():
        passages.check_key(key)
        keep &= np.array([p.value(key) == value for p in items], dtype=bool)
    if filters.codes:
        with store.read() as session:
            wanted = _subtree_ids(CodeTree(session, find_project(session)), filters.codes)
        keep &= np.array([bool(passages.codes.get(p.segment_id, set()) & wanted) for p in items], dtype=bool)
    return keep


def search(store: Store, query: str, filters: Filters | None = None, limit: int = DEFAULT_LIMIT,
           mode: str = "blend", coders: set[str] | None = None, embedder: Embedder | None = None) -> list[dict]:
    """The `limit` best segments for `query`, each cited with its score and context turns.

    `coders` limits the code filter to those coders' codings (blind coding)."""
    query = (query or "").strip()
    if not query:
        raise QualcodeError("type something to search for: a question, a phrase or a code's definition")
    if limit < 1:
        raise QualcodeError("--limit must be 1 or more")
    with store.read() as session:
        passages = load_passages(session, coders, include_moderator=True)
    keep = np.flatnonzero(_in_scope(store, passages, filters or Filters()))
    if len(keep) == 0:
        return []
    embedder = embedder or LazyEmbedder(passages.model)
    vectors = passage_vectors(store, passages, embedder)[keep] if mode != "words" else np.zeros((len(keep), 1))
    query_vector = embedder.encode([query])[0] if mode != "words" else None
    chosen = [passages.items[i] for i in keep]
    scores = rank(query_vector, vectors, stems(query), [stems(p.text, p.language) for p in chosen], mode)
    order = [j for j in np.argsort(-scores, kind="stable") if mode != "words" or scores[j] > 0][:limit]
    hits = []
    for j in order:
        p = chosen[j]
        hits.append({**p.cite(), "score": round(float(scores[j]), 4), "participant_id": p.participant_id,
                     "context": context_turns(passages, int(keep[j]))})
    return hits


def code_hits(store: Store, coder: str, code_path: str, segment_ids: list[int]) -> int:
    """Apply `code_path` to the chosen hits as `coder`'s own codings, in one transaction; returns how many."""
    if not segment_ids:
        raise QualcodeError("select at least one hit to code")
    with store.write() as session:
        project = find_project(session)
        code = CodeTree(session, project).find(code_path)
        person = coder_named(session, project, coder)
        for segment_id in segment_ids:
            apply_code(session, project, person, segment_id, code.id)
    return len(segment_ids)
