"""The learned engine: models fitted on the coders' decisions, the codebook's own words and the
conversation around each segment.

Features. A segment is its sentence vector, the previous and next turns' vectors
(`turn_context`), and character n-grams fitted on the corpus (the encoder knows some words of
Kazakh poorly; n-grams carry them). The codebook's definitions and examples join the training
rows as labelled texts (PROTOTYPE_WEIGHT each, no context), so a code with five decisions
still knows what its definition says.

Models. Codes that exclude each other (`exclusivity`) share one multinomial logistic regression
over the siblings, with a "none of them" class unless the group is exhaustive; every other code
has its own binary logistic regression in which accepted and manual codings are positives and
rejections and other codes' positives are negatives. Every model balances its classes.

Calibration. Each trained code is also fitted FOLDS times without a third of its decisions, and
the held-out scores set its threshold (`calibration.for_precision`); a binary code's estimate is
kept until its own decisions change.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from qualcode.autocode import calibration
from qualcode.autocode.exclusivity import Group, positives_by_row

NGRAM_WEIGHT = 0.3       # n-gram columns are scaled by this against the (unit-length) embedding
PROTOTYPE_WEIGHT = 2.0   # a codebook definition or example counts as two decisions
C_BINARY = 10.0          # inverse regularisation, chosen on the hand-coded set (many sparse codes)
C_GROUP = 1.0            # … and on AnnoMI for exclusive groups (few codes, many decisions)
FOLDS = 3
SEED = 0


class NgramFeatures:
    """Character n-grams fitted on the corpus being coded (cheap, and language-agnostic)."""

    def __init__(self, texts: list[str]):
        from sklearn.feature_extraction.text import TfidfVectorizer  # 3 s to import: only the learner needs it

        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, max_features=30000,
                                          sublinear_tf=True, lowercase=True, dtype=np.float32)
        self.matrix = self.vectorizer.fit_transform(texts) * NGRAM_WEIGHT if len(texts) >= 2 else None

    def transform(self, texts: list[str]):
        return self.vectorizer.transform(texts) * NGRAM_WEIGHT


@dataclass
class Prototypes:
    """The codebook's texts as training rows: which code each belongs to, and whether it is a positive
    (name, definition, include, examples) or a negative (exclude, counter-examples) of it."""

    vectors: np.ndarray
    texts: list[str]
    code: np.ndarray            # column per row
    positive: np.ndarray        # bool per row

    @classmethod
    def empty(cls, dim: int) -> "Prototypes":
        return cls(np.zeros((0, dim), np.float32), [], np.zeros(0, np.int64), np.zeros(0, bool))


class Features:
    """Design rows for the decided segments and the prototypes; logits for every segment."""

    def __init__(self, vectors: np.ndarray, context: np.ndarray | None, ngrams: NgramFeatures | None,
                 prototypes: Prototypes):
        self.dense = vectors if context is None else np.hstack([vectors, context]).astype(np.float32)
        self.ngrams = ngrams.matrix if ngrams is not None else None
        width = self.dense.shape[1] - vectors.shape[1]
        proto_dense = np.hstack([prototypes.vectors, np.zeros((len(prototypes.texts), width), np.float32)])
        proto_ngrams = ngrams.transform(prototypes.texts) if self.ngrams is not None and prototypes.texts else None
        self.prototype_rows = self._stack(proto_dense, proto_ngrams, len(prototypes.texts))

    def _stack(self, dense: np.ndarray, ngrams, n: int):
        parts = [sparse.csr_matrix(dense)]
        if self.ngrams is not None:
            parts.append(ngrams if ngrams is not None else sparse.csr_matrix((n, self.ngrams.shape[1])))
        rows = sparse.csr_matrix(sparse.hstack(parts), dtype=np.float64)
        rows.sort_indices()
        return rows

    def segment_rows(self, rows: np.ndarray):
        """Design rows of some segments only: the decided ones are a few hundred of tens of thousands."""
        return self._stack(self.dense[rows], self.ngrams[rows] if self.ngrams is not None else None, len(rows))

    def design(self, segment_rows: np.ndarray, prototype_rows: np.ndarray):
        return sparse.vstack([self.segment_rows(segment_rows), self.prototype_rows[prototype_rows]]).tocsr()

    def logits(self, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
        """All segments × models, the dense and n-gram parts each in one product."""
        dim = self.dense.shape[1]
        out = self.dense @ weights[:dim].astype(np.float32) + bias.astype(np.float32)
        if self.ngrams is not None:
            out += np.asarray(self.ngrams @ weights[dim:].astype(np.float32))
        return out


@dataclass
class Problem:
    """One model to fit: segment rows and prototype rows with their labels."""

    segments: np.ndarray
    segment_labels: np.ndarray
    prototypes: np.ndarray
    prototype_labels: np.ndarray
    group: bool                                   # multinomial over a group's classes

    def fit(self, features: Features, keep: np.ndarray | None = None):
        from sklearn.linear_model import LogisticRegression  # imported here: the coding UI loads this module

        segments, labels = (self.segments, self.segment_labels) if keep is None else (
            self.segments[keep], self.segment_labels[keep])
        x = features.design(segments, self.prototypes)
        y = np.r_[labels, self.prototype_labels]
        weight = np.r_[np.ones(len(segments)), np.full(len(self.prototypes), PROTOTYPE_WEIGHT)]
        if self.group:
            model = LogisticRegression(C=C_GROUP, class_weight="balanced", max_iter=1000)
        else:
            model = LogisticRegression(C=C_BINARY, class_weight="balanced", max_iter=300, solver="liblinear",
                                       dual=True)
        return model.fit(x, y, sample_weight=weight)

    def held_out(self, features: Features) -> np.ndarray:
        """Scores of the decided segments from models fitted without them (FOLDS-fold, stratified)."""
        rng = np.random.default_rng(SEED)
        fold = np.zeros(len(self.segments), dtype=np.int64)
        for label in np.unique(self.segment_labels):
            members = np.flatnonzero(self.segment_labels == label)
            fold[rng.permutation(members)] = np.arange(len(members)) % FOLDS
        classes = np.unique(np.r_[self.segment_labels, self.prototype_labels])
        scores = np.zeros((len(self.segments), len(classes)))
        for k in range(FOLDS):
            test = fold == k
            if not test.any() or len(np.unique(np.r_[self.segment_labels[~test], self.prototype_labels])) < 2:
                continue
            model = self.fit(features, ~test)
            proba = model.predict_proba(features.segment_rows(self.segments[test]))
            scores[np.ix_(test, np.searchsorted(classes, model.classes_))] = proba
        return scores


@dataclass
class Learned:
    """Probabilities (NaN where a code has no model), held-out calibrations, and per code the
    segments a person coded with it (for the suggestion's reason)."""

    probability: np.ndarray
    positives: np.ndarray
    examples: list[np.ndarray]
    calibration: dict[int, calibration.Calibration] = field(default_factory=dict)

    def nearest_example(self, embeddings: np.ndarray, row: int, code: int) -> int:
        """The human-coded segment most like `row` among `code`'s positives (-1 when there is none)."""
        examples = self.examples[code]
        if not len(examples):
            return -1
        return int(examples[(embeddings[examples] @ embeddings[row]).argmax()])


def _binary_problems(labels: dict[int, dict[int, bool]], columns: list[int], prototypes: Prototypes,
                     all_positive: set[int]) -> dict[int, Problem]:
    problems = {}
    for j in columns:
        own = labels.get(j, {})
        pos = sorted(s for s, yes in own.items() if yes)
        neg = sorted({s for s, yes in own.items() if not yes} | (all_positive - set(pos)))
        if not pos or not neg:
            continue
        proto_pos = np.flatnonzero((prototypes.code == j) & prototypes.positive)
        proto_neg = np.flatnonzero(((prototypes.code == j) & ~prototypes.positive)
                                   | ((prototypes.code != j) & prototypes.positive))
        problems[j] = Problem(np.array(pos + neg, dtype=np.int64), np.r_[np.ones(len(pos)), np.zeros(len(neg))],
                              np.r_[proto_pos, proto_neg].astype(np.int64),
                              np.r_[np.ones(len(proto_pos)), np.zeros(len(proto_neg))], group=False)
    return problems


NONE = -1   # the "none of the group's codes" class


def _group_problem(group: Group, positives: dict[int, set[int]], decided: set[int],
                   prototypes: Prototypes) -> Problem | None:
    """One multinomial model over an exclusive group, or None when fewer than two codes have positives."""
    members = set(group.columns)
    rows, labels = [], []
    for row in sorted(decided):
        mine = positives.get(row, set()) & members
        if len(mine) == 1:
            rows.append(row), labels.append(next(iter(mine)))
        elif not mine and not group.exhaustive:
            rows.append(row), labels.append(NONE)
    if len({label for label in labels if label != NONE}) < 2:
        return None
    proto = np.flatnonzero(np.isin(prototypes.code, group.columns) & prototypes.positive)
    return Problem(np.array(rows, dtype=np.int64), np.array(labels), proto.astype(np.int64),
                   prototypes.code[proto], group=True)


_calibrated: dict[bytes, calibration.Calibration] = {}
CALIBRATION_CACHE = 10000


def _calibrate_binary(problem: Problem, own: np.ndarray, features: Features, target: float) -> calibration.Calibration:
    """Held-out threshold for one code, re-estimated only when the code's own decisions change: a
    decision on another code alters this one's negatives by one row in hundreds, and refitting every
    code three more times after each decision would cost seconds. `own` marks the code's own rows."""
    truth = problem.segment_labels == 1
    if truth.sum() < calibration.MIN_POSITIVES:  # still learning: nothing to estimate yet
        return calibration.for_precision(np.zeros(len(truth)), truth, target)
    rows = problem.segments[own]
    key = hashlib.sha1(features.dense[rows].tobytes() + truth[own].tobytes()
                       + np.float64(target).tobytes()).digest()
    if key not in _calibrated:
        if len(_calibrated) >= CALIBRATION_CACHE:
            _calibrated.clear()
        _calibrated[key] = calibration.for_precision(problem.held_out(features)[:, -1], truth, target)
    return _calibrated[key]


def _calibrate_group(problem: Problem, group: Group, classes: np.ndarray, features: Features,
                     target: float) -> dict[int, calibration.Calibration]:
    held = problem.held_out(features)
    winner = classes[held.argmax(axis=1)]
    out = {}
    for j in group.columns:
        if j not in classes:
            continue
        score = np.where(winner == j, held[:, np.searchsorted(classes, j)], 0.0)
        truth = problem.segment_labels == j
        if group.exhaustive:  # every segment gets its most likely code: the threshold is the argmax itself
            shown = winner == j
            precision = float(calibration.smoothed_precision((shown & truth).sum(), shown.sum()))
            out[j] = calibration.Calibration(0.0, precision, int(truth.sum()) < calibration.MIN_POSITIVES,
                                             len(truth))
        else:
            out[j] = calibration.for_precision(score, truth, target)
    return out


def learned(features: Features, labels: dict[int, dict[int, bool]], n_codes: int, groups: list[Group],
            prototypes: Prototypes, target: float = calibration.TARGET_PRECISION, calibrate: bool = True) -> Learned:
    """Fit every trainable code from decisions {code: {segment row: positive?}}, groups first."""
    n = features.dense.shape[0]
    positives, decided = positives_by_row(labels)
    all_positive = set(positives)
    probability = np.full((n, n_codes), np.nan, dtype=np.float32)
    calibrations: dict[int, calibration.Calibration] = {}
    grouped: set[int] = set()
    group_problems = []
    for group in groups:
        if group.exclusive:
            problem = _group_problem(group, positives, decided, prototypes)
            if problem is not None:
                group_problems.append((group, problem))
                grouped.update(group.columns)
    binary = _binary_problems(labels, [j for j in range(n_codes) if j not in grouped], prototypes, all_positive)

    def fit_binary(item):
        j, problem = item
        model = problem.fit(features)
        own = np.isin(problem.segments, list(labels.get(j, {})))
        cal = _calibrate_binary(problem, own, features, target) if calibrate else None
        return j, model.coef_[0], model.intercept_[0], cal

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # liblinear lets go of the GIL
        fitted = list(pool.map(fit_binary, binary.items()))
    if fitted:
        weights = np.stack([w for _, w, _, _ in fitted], axis=1)
        bias = np.array([b for _, _, b, _ in fitted])
        columns = [j for j, _, _, _ in fitted]
        probability[:, columns] = 1.0 / (1.0 + np.exp(-features.logits(weights, bias)))
        calibrations.update({j: cal for j, _, _, cal in fitted if cal is not None})
    for group, problem in group_problems:
        model = problem.fit(features)
        logits = features.logits(model.coef_.T, model.intercept_)
        if len(model.classes_) == 2:  # sklearn keeps one row of weights for two classes
            logits = np.hstack([-logits / 2, logits / 2])
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        proba /= proba.sum(axis=1, keepdims=True)
        for c, label in enumerate(model.classes_):
            if label != NONE:
                probability[:, label] = proba[:, c]
        for j in group.columns:  # a member with no positives yet is still in the group: probability 0 so far
            if j not in model.classes_:
                probability[:, j] = 0.0
        if calibrate:
            calibrations.update(_calibrate_group(problem, group, model.classes_, features, target))
    examples = [np.array(sorted(s for s, yes in labels.get(j, {}).items() if yes), dtype=np.int64)
                for j in range(n_codes)]
    return Learned(probability, np.array([len(e) for e in examples], dtype=np.int32), examples, calibrations)
