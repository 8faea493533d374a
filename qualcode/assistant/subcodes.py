"""Sub-code suggestions: the groups within one code's segments, as candidate child codes.

The code's distinct coded segments are clustered by meaning (average-linkage agglomerative clustering
on cosine distance, the number of groups — 2 to MAX_GROUPS — chosen by silhouette; HDBSCAN after UMAP,
as for topics, finds nothing in the few dozen segments a code holds). Each group is described with
the topic machinery: c-TF-IDF keywords, its most typical quotes and a name drafted from the keywords.
Accepting a candidate creates the child code and suggests it, as the machine, for the group's
segments; the person then decides each one.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from qualcode import topics
from qualcode.codebook import PATH_SEPARATOR
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Document, Segment
from qualcode.export.quotes import ACCEPTED, coded_quotes
from qualcode.store import Store, find_project, record
from qualcode.assistant.summaries import _distinct, quote_vectors
from qualcode.topics.topic_runs import code_with_suggestions, suggested_name

ENGINE = "subcodes"
MIN_SEGMENTS = 12     # fewer coded segments than this are read, not clustered
MIN_GROUP = 4         # a candidate holds at least this many segments
MAX_GROUPS = 6


def clusters(vectors: np.ndarray, min_group: int = MIN_GROUP) -> np.ndarray:
    """A group per row (-1: in no group large enough), groups numbered by size; the engine, no store."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import silhouette_score

    best, best_score = np.full(len(vectors), -1), -1.0
    for k in range(2, min(MAX_GROUPS, len(vectors) // min_group) + 1):
        labels = AgglomerativeClustering(n_clusters=k, metric="cosine", linkage="average").fit_predict(vectors)
        sizes = np.bincount(labels)
        if (sizes >= min_group).sum() < 2:
            continue
        score = silhouette_score(vectors, labels, metric="cosine")
        if score > best_score:
            best, best_score = labels, score
    out = np.full(len(vectors), -1)
    kept = [g for g in np.argsort(-np.bincount(best[best >= 0], minlength=1), kind="stable")
            if (best == g).sum() >= min_group] if (best >= 0).any() else []
    for number, group in enumerate(kept):
        out[best == group] = number
    return out


def suggest_subcodes(store: Store, code: str, coders: set[str] | None = None) -> list[dict]:
    """Candidate sub-codes of `code`: id, drafted name, keywords, size, typical quotes and segment ids.

    `coders` keeps only those coders' codings (blind coding: a coder's own)."""
    with store.read() as session:
        quoteset = coded_quotes(session, ACCEPTED, [code])
    quotes = _distinct([q for q in quoteset.quotes if coders is None or set(q.coders) & coders])
    if len(quotes) < MIN_SEGMENTS:
        raise QualcodeError(f"'{code}' has {len(quotes)} coded segments; sub-codes need at least {MIN_SEGMENTS}")
    vectors = quote_vectors(store, quotes)
    labels = clusters(vectors)
    texts = [q.text for q in quotes]
    words = topics.keywords(texts, labels)
    typical = topics.representatives(vectors, labels, texts, top=3)
    return [{"candidate": group, "name": suggested_name(group, words.get(group, [])),
             "keywords": words.get(group, []), "segments": int((labels == group).sum()),
             "segment_ids": [quotes[r].segment_id for r in np.flatnonzero(labels == group)],
             "quotes": [{"segment": quotes[r].segment_id, "document": quotes[r].document,
                         "speaker": quotes[r].participant, "time": quotes[r].time, "text": quotes[r].text}
                        for r in typical.get(group, [])]}
            for group in sorted(set(labels.tolist()) - {-1})]


def accept_subcode(store: Store, code: str, candidate: dict, name: str, owner: str | None = None) -> dict:
    """Create `code/name` from a candidate, its segments becoming machine suggestions (to `owner` alone
    under blind coding), in one transaction."""
    name = (name or "").strip()
    if not name or PATH_SEPARATOR in name:
        raise QualcodeError(f"a sub-code needs a name without '{PATH_SEPARATOR}'")
    path = f"{code}{PATH_SEPARATOR}{name}"
    keywords = ", ".join(candidate["keywords"][:8]) or "no keywords"
    definition = (f"Draft from {candidate['segments']} segments of '{code}' that talk about {keywords}. "
                  "Rewrite this definition before relying on the code.")
    reason = f"sub-code candidate of '{code}' ({', '.join(candidate['keywords'][:3]) or 'no keywords'})"
    with store.write() as session:
        project = find_project(session)
        segments = session.execute(select(Segment.id, Segment.document_id, Segment.start, Segment.end, Document.text)
                                   .join(Document).where(Segment.id.in_(candidate["segment_ids"]))).all()
        child = code_with_suggestions(session, project, path, definition, segments,
                                      [q["segment"] for q in candidate["quotes"]], reason, ENGINE, owner)
        result = {"code": path, "guid": child.guid, "suggestions": len(segments), "definition": definition}
        record(session, project.id, "accept", "subcode", child.id, after=result)
    return result
