"""Consistency audit: codings that look unlike the rest of their code, and uncoded turns that look like it.

For every code people applied at least MIN_CODED times, a model of the learned engine's kind (a
class-balanced logistic regression over each segment's sentence vector and its neighbouring turns,
`turn_context`) is fitted FOLDS times, each time without a third of the segments, so every segment is
scored by a model that never saw its own label. The code's norm is the median held-out score of the
segments coded with it (and of those not coded with it). A coding whose score sits far below its
code's norm, or an uncoded segment far above the uncoded norm, enters the queue with the reason in
words. The audit only reads: a person keeps, removes, applies or dismisses each item.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from qualcode.codebook.codes import CodeTree
from qualcode.common.errors import QualcodeError
from qualcode.autocode.learned import C_BINARY, FOLDS, SEED
from qualcode.store.model import Coder, Coding
from qualcode.assistant.passages import Passages, load_passages, passage_vectors
from qualcode.store import Store, find_project
from qualcode.autocode.turn_context import neighbour_block

MIN_CODED = 5          # a code applied fewer times has no norm to compare with
DISTANCE = 0.9         # an item enters the queue this far from its norm (1.0 = as far as a score can go)
DIMENSIONS = 128       # principal components the models see
DISMISSED = "audit_dismissed"   # coder setting: [segment id, code id] pairs a person has looked at and kept


def held_out(features: np.ndarray, labels: np.ndarray, folds: int = FOLDS, seed: int = SEED) -> np.ndarray:
    """P(code) of every row from models fitted without that row's fold (stratified by label)."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    fold = np.zeros(len(labels), dtype=np.int64)
    for value in (False, True):
        members = np.flatnonzero(labels == value)
        fold[rng.permutation(members)] = np.arange(len(members)) % folds
    scores = np.zeros(len(labels))
    for k in range(folds):
        test = fold == k
        if test.any() and len(np.unique(labels[~test])) == 2:
            model = LogisticRegression(C=C_BINARY, class_weight="balanced", max_iter=300, solver="liblinear",
                                       dual=True).fit(features[~test], labels[~test])
            scores[test] = model.predict_proba(features[test])[:, 1]
    return scores


def distances(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, float, float]:
    """How far each row sits from its own side's norm, as a share of the room there is: a coded row's
    fall below its code's norm (1 = a score of 0), an uncoded row's rise above the uncoded norm (1 = a
    score of 1); and the two norms (median held-out score of the coded and of the uncoded rows)."""
    coded, uncoded = float(np.median(scores[labels])), float(np.median(scores[~labels]))
    far = np.where(labels, (coded - scores) / max(coded, 1e-6), (scores - uncoded) / max(1 - uncoded, 1e-6))
    return far, coded, uncoded


def compact(features: np.ndarray, dimensions: int = DIMENSIONS) -> np.ndarray:
    """The features' leading principal components: one projection for every code's models, which then
    fit in a fraction of the time at (on the bench) no loss of ranking."""
    centred = features - features.mean(axis=0)
    if min(centred.shape) <= dimensions:
        return centred
    if len(centred) < centred.shape[1]:      # through the rows' Gram matrix: n×n is cheaper than n×d
        values, vectors = np.linalg.eigh(centred @ centred.T)
        top = np.argsort(values)[::-1][:dimensions]
        return vectors[:, top] * np.sqrt(values[top].clip(0))
    _, _, basis = np.linalg.svd(centred, full_matrices=False)
    return centred @ basis[:dimensions].T


def audit_matrix(features: np.ndarray, labels: np.ndarray, min_coded: int = MIN_CODED) -> np.ndarray:
    """The engine: (rows, codes) distances from each code's norm; NaN for a code with too few codings."""
    out = np.full(labels.shape, np.nan)
    features = compact(features)
    for j in range(labels.shape[1]):
        if labels[:, j].sum() >= min_coded and (~labels[:, j]).sum() >= min_coded:
            out[:, j], _, _ = distances(held_out(features, labels[:, j]), labels[:, j])
    return out


def _features(store: Store, passages: Passages) -> np.ndarray:
    vectors = passage_vectors(store, passages)
    documents = np.array([p.document_id for p in passages.items])
    return np.hstack([vectors, neighbour_block(vectors, documents)])


def _dismissed(session, coders: set[str] | None) -> set[tuple[int, int]]:
    query = select(Coder.settings).where(Coder.kind == "human")
    if coders is not None:
        query = query.where(Coder.name.in_(coders))
    return {(int(s), int(c)) for settings in session.scalars(query) for s, c in (settings or {}).get(DISMISSED, [])}


def run_audit(store: Store, coders: set[str] | None = None, distance: float = DISTANCE,
              limit: int | None = None, codes: list[str] | None = None) -> list[dict]:
    """The review queue, farthest first: each item cited, with its code, kind, score, norm and reason.

    Only documents someone has coded are read (an uncoded transcript is not yet a disagreement);
    `coders` limits whose codings count (blind coding: a coder's own); `codes` (paths) audits only those
    codes and the codes below them."""
    with store.read() as session:
        passages = load_passages(session, coders, include_moderator=True)
        tree = CodeTree(session, find_project(session))
        dismissed = _dismissed(session, coders)
    coded_docs = {p.document_id for p in passages.items if passages.codes.get(p.segment_id)}
    keep = [i for i, p in enumerate(passages.items) if p.document_id in coded_docs]
    rows = [i for i in keep if passages.items[i].role != "moderator"]
    leaves = [c for c in tree.codes if not c.archived and not any(not k.archived for k in tree.children(c))]
    if codes:
        wanted = [tree.path(tree.find(path)) for path in codes]
        leaves = [c for c in leaves if any(tree.path(c) == w or tree.path(c).startswith(w + "/") for w in wanted)]
    if not rows or not leaves:
        return []
    features = compact(_features(store, passages)[rows])
    items = [passages.items[i] for i in rows]
    labels = np.array([[c.id in passages.codes.get(p.segment_id, set()) for c in leaves] for p in items])
    queue = []
    for j, code in enumerate(leaves):
        if labels[:, j].sum() < MIN_CODED or (~labels[:, j]).sum() < MIN_CODED:
            continue
        scores = held_out(features, labels[:, j])
        far, coded_norm, uncoded_norm = distances(scores, labels[:, j])
        path = tree.path(code)
        for r in np.flatnonzero(far >= distance):
            if (items[r].segment_id, code.id) in dismissed:
                continue
            kind = "coded, unlike the code" if labels[r, j] else "uncoded, like the code"
            if labels[r, j]:
                reason = (f"coded '{path}', but a model trained on the other codings scores it {scores[r]:.2f} "
                          f"where the code's segments score {coded_norm:.2f} (typical) and uncoded ones "
                          f"{uncoded_norm:.2f}")
            else:
                reason = (f"not coded '{path}', but a model trained on its codings scores it {scores[r]:.2f}, "
                          f"near the code's segments ({coded_norm:.2f}), far from uncoded ones ({uncoded_norm:.2f})")
            queue.append({**items[r].cite(), "code": path, "code_id": code.id, "kind": kind,
                          "coded": bool(labels[r, j]), "score": round(float(scores[r]), 4),
                          "distance": round(float(far[r]), 4), "reason": reason})
    queue.sort(key=lambda item: -item["distance"])
    return queue[:limit] if limit else queue


ACTIONS = ("keep", "remove", "apply")


def decide_item(store: Store, coder: str, segment_id: int, code_id: int, action: str) -> str:
    """A person's decision on one audit item, in one transaction: `keep` (things stay as they are; the item
    leaves their queue), `remove` (their own coding of that code on that segment) or `apply` (the code, as
    their coding). The audit itself never writes a coding."""
    from qualcode.coding import apply_code, coder_named, remove_coding

    if action not in ACTIONS:
        raise QualcodeError(f"unknown decision '{action}' (use {', '.join(ACTIONS)})")
    with store.write() as session:
        project = find_project(session)
        person = coder_named(session, project, coder)
        if action == "apply":
            apply_code(session, project, person, segment_id, code_id)
        elif action == "remove":
            own = session.scalars(select(Coding.id).where(
                Coding.coder_id == person.id, Coding.segment_id == segment_id, Coding.code_id == code_id,
                Coding.status.in_(("manual", "accepted")))).all()
            if not own:
                raise QualcodeError(f"{coder} has no coding of this code on this segment: only the coder who "
                                    "applied it can remove it")
            for coding_id in own:
                remove_coding(session, project, person, coding_id)
        else:
            pairs = [list(p) for p in (person.settings or {}).get(DISMISSED, [])]
            if [segment_id, code_id] not in pairs:
                person.settings = {**(person.settings or {}), DISMISSED: [*pairs, [segment_id, code_id]]}
    return action
