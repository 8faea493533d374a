"""Quote summaries: the few quotes that best cover what was said under a code, chosen, never written.

Selection is maximal marginal relevance over the quotes' embeddings: each next quote is the one
most central to the code (cosine to the mean) less its likeness to the quotes already chosen, so
the set spreads over what people said instead of repeating the commonest point. Each chosen quote
says how many of the code's segments are nearer to it than to any other chosen quote.
"""

from __future__ import annotations

import math

import numpy as np

from qualcode.export.analysis import NOT_SET, group_values
from qualcode.autocode.embed import Embedder, LazyEmbedder, embed_texts
from qualcode.autocode.model_choice import project_model
from qualcode.export.quotes import ACCEPTED, Quote, coded_quotes
from qualcode.store import Store, find_project

MIN_QUOTES, MAX_QUOTES = 3, 7
DIVERSITY = 0.5      # MMR trade-off: 0 = the most central quotes only, 1 = the most spread-out only


def quote_count(n: int) -> int:
    """How many quotes a summary of n segments shows: about √n, 3 to 7, never more than n."""
    return min(n, max(MIN_QUOTES, min(MAX_QUOTES, round(math.sqrt(n)))))


def pick(vectors: np.ndarray, k: int, diversity: float = DIVERSITY) -> list[int]:
    """Rows chosen by maximal marginal relevance, most central first (the engine, no store)."""
    n = len(vectors)
    if n == 0 or k <= 0:
        return []
    centre = vectors.mean(axis=0)
    centre = centre / max(float(np.linalg.norm(centre)), 1e-12)
    centrality = vectors @ centre
    chosen = [int(np.argmax(centrality))]
    nearest = vectors @ vectors[chosen[0]]
    while len(chosen) < min(k, n):
        score = (1 - diversity) * centrality - diversity * nearest
        score[chosen] = -np.inf
        best = int(np.argmax(score))
        chosen.append(best)
        nearest = np.maximum(nearest, vectors @ vectors[best])
    return chosen


def coverage(vectors: np.ndarray, chosen: list[int]) -> float:
    """Mean cosine of every row to its nearest chosen row: how well the choice stands for all of them."""
    if not chosen or not len(vectors):
        return 0.0
    return float((vectors @ vectors[chosen].T).max(axis=1).mean())


def _distinct(quotes: list[Quote]) -> list[Quote]:
    """One quote per coded unit (two coders on one segment are one thing said)."""
    seen, out = set(), []
    for q in quotes:
        if q.unit not in seen and q.text.strip():
            seen.add(q.unit)
            out.append(q)
    return out


def summarise(quotes: list[Quote], vectors: np.ndarray, k: int | None = None) -> dict:
    """The summary of one set of quotes (`vectors` row-aligned): chosen quotes with what each stands for."""
    k = quote_count(len(quotes)) if k is None else min(k, len(quotes))
    rows = pick(vectors, k)
    nearest = (vectors @ vectors[rows].T).argmax(axis=1) if rows else np.zeros(0, dtype=int)
    return {"segments": len(quotes),
            "participants": len({q.participant_id for q in quotes if q.participant_id is not None}),
            "documents": len({q.document_id for q in quotes}),
            "coverage": round(coverage(vectors, rows), 4),
            "quotes": [{"segment": quotes[r].segment_id, "coding": quotes[r].coding_id,
                        "document": quotes[r].document, "speaker": quotes[r].participant, "time": quotes[r].time,
                        "language": quotes[r].language, "text": quotes[r].text,
                        "stands_for": int((nearest == i).sum())} for i, r in enumerate(rows)]}


def quote_vectors(store: Store, quotes: list[Quote], embedder: Embedder | None = None) -> np.ndarray:
    if embedder is None:
        with store.read() as session:
            embedder = LazyEmbedder(project_model(session, find_project(session)))
    vectors, _ = embed_texts(store, embedder, [q.text for q in quotes])
    return vectors


def code_summary(store: Store, code: str, by: str | None = None, coders: set[str] | None = None,
                 coder: str = ACCEPTED, anonymise: bool = False, embedder: Embedder | None = None) -> dict:
    """A code's summary (its subtree's quotes), overall or one per value of `by` (any attribute).

    `coders` keeps only quotes those coders applied (blind coding: a coder's own)."""
    with store.read() as session:
        quoteset = coded_quotes(session, coder, [code], anonymise)
    quotes = [q for q in quoteset.quotes if coders is None or set(q.coders) & coders]
    if by:
        quoteset.check_key(by)
    quotes = _distinct(quotes)
    result = {"code": code, "by": by, "groups": []}
    if not quotes:
        return result
    vectors = quote_vectors(store, quotes, embedder)
    values = group_values(quotes, by) if by else [None]
    for value in values:
        rows = [i for i, q in enumerate(quotes) if value is None or (q.value(by) or NOT_SET) == value]
        part = summarise([quotes[i] for i in rows], vectors[rows])
        result["groups"].append({"group": value, **part})
    return result


def report_picks(store: Store, quotes: list[Quote], embedder: Embedder | None = None) -> dict[str, list[int]]:
    """For the Word report: code path → coding ids of its summary quotes, from already gathered quotes."""
    by_code: dict[str, list[Quote]] = {}
    for q in quotes:
        by_code.setdefault(q.code, []).append(q)
    distinct = {path: _distinct(qs) for path, qs in by_code.items()}
    everything = [q for qs in distinct.values() for q in qs]
    if not everything:
        return {}
    vectors = quote_vectors(store, everything, embedder)
    picks, offset = {}, 0
    for path, qs in distinct.items():
        rows = pick(vectors[offset:offset + len(qs)], quote_count(len(qs)))
        picks[path] = [qs[r].coding_id for r in rows]
        offset += len(qs)
    return picks

