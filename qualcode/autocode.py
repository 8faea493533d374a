"""Suggestion engines: zero-shot from the codebook, learned from human decisions, and their blend.

Multi-label: every (segment, code) pair is scored on its own, and each code
gets its own threshold. The engines work on plain arrays so that the store
glue (`qualcode.suggest`) and the evaluation (`evaluate`) share them.

Zero-shot. A code's prototype texts are its name with definition, its
include criterion and each example; exclude and counter-examples are
prototypes that push away. A segment's raw score is its best similarity to
a positive prototype, lowered by how much closer it is to a negative one.
Raw cosines are not comparable across codes (a vague definition is close to
everything) nor across segments (the default model puts all Cyrillic text
close together), so the score matrix is double-centred (segment and code
means removed) and standardised; a pair is suggested when it stands out
and is near the segment's best code.

Learned. Per code, a logistic regression on the segment embedding plus
character n-grams (the default model knows English far better than Russian
or Kazakh; n-grams carry the words it does not know), trained on human
decisions: accepted and manual are positives, rejected ones negatives, and
other codes' positives count as negatives. Its probability is combined with the
zero-shot one by a noisy-or: either engine can propose a code.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

ENGINES = ("zero-shot", "learned", "auto")
Z_THRESHOLD = 2.0      # a zero-shot pair must stand this many SDs above what its segment and code explain …
TOP_MARGIN = 0.08      # … and lie within this cosine of the segment's best code
MIN_SCORE = 0.5


@dataclass
class CodeText:
    """What the engines know of one code."""

    key: str                      # the code path
    positives: list[str]
    negatives: list[str] = field(default_factory=list)

    @classmethod
    def from_fields(cls, key: str, name: str, definition: str, include: str, examples: list[str],
                    exclude: str = "", counter_examples: list[str] | None = None) -> "CodeText":
        head = f"{name}: {definition}" if definition else name
        positives = [t for t in [head, include, *examples] if t and t.strip()]
        negatives = [t for t in [exclude, *(counter_examples or [])] if t and t.strip()]
        return cls(key, positives, negatives)


@dataclass
class Scores:
    """Per segment × code: probability-like score in [0, 1], and the engine's reason inputs."""

    probability: np.ndarray       # (segments, codes)
    threshold: np.ndarray         # (codes,) per-code cut-off on `probability`
    evidence: np.ndarray          # (segments, codes) index of the prototype / example that matched best


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def zero_shot(segments: np.ndarray, prototypes: list[np.ndarray], anti: list[np.ndarray]) -> Scores:
    """Zero-shot scores from L2-normalised segment and prototype vectors."""
    n, k = segments.shape[0], len(prototypes)
    raw = np.zeros((n, k), dtype=np.float32)
    evidence = np.zeros((n, k), dtype=np.int32)
    for j, (pos, neg) in enumerate(zip(prototypes, anti)):
        sims = segments @ pos.T
        evidence[:, j] = sims.argmax(axis=1)
        best = sims.max(axis=1)
        if len(neg):
            push = segments @ neg.T
            best = best - np.clip(push.max(axis=1) - best, 0, None)
        raw[:, j] = best
    # Remove what a pair's cosine owes to its segment (a script or style the model places near
    # everything) and to its code (a vague definition), then standardise what is left.
    residual = raw - raw.mean(axis=1, keepdims=True) - raw.mean(axis=0) + raw.mean()
    # scale by the segment's own spread, floored by the corpus spread: a segment that fits no
    # code (flat row) must not see its best code inflated
    z = residual / (0.5 * (residual.std(axis=1, keepdims=True) + residual.std()) + 1e-6)
    near_top = raw >= raw.max(axis=1, keepdims=True) - TOP_MARGIN
    # a pair passes when z ≥ the cut and it is near the top: map that point to probability 0.5.
    # With k codes one standout can reach at most about √(k-1) SDs, so small codebooks get a lower cut.
    cut = min(Z_THRESHOLD, 0.7 * np.sqrt(max(k - 1, 1)))
    probability = _sigmoid(2.0 * (z - cut)) * np.where(near_top, 1.0, 0.6)
    return Scores(probability.astype(np.float32), np.full(k, MIN_SCORE, dtype=np.float32), evidence)


NGRAM_WEIGHT = 0.5     # n-gram columns are scaled by this against the (unit-length) embedding


class NgramFeatures:
    """Character n-grams fitted on the corpus being coded (cheap, and language-agnostic)."""

    def __init__(self, texts: list[str]):
        from sklearn.feature_extraction.text import TfidfVectorizer  # 3 s to import: only the learner needs it

        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, max_features=30000,
                                          sublinear_tf=True, lowercase=True, dtype=np.float32)
        self.matrix = self.vectorizer.fit_transform(texts) * NGRAM_WEIGHT if len(texts) >= 2 else None


def _design(embeddings: np.ndarray, ngrams: NgramFeatures | None, index: np.ndarray):
    """Feature rows for the decided segments only: embedding beside its n-grams."""
    dense = sparse.csr_matrix(embeddings[index])
    rows = dense if ngrams is None or ngrams.matrix is None else sparse.hstack([dense, ngrams.matrix[index]])
    rows = sparse.csr_matrix(rows, dtype=np.float64)  # what liblinear wants: converted once, not per code
    rows.sort_indices()
    return rows


@dataclass
class Learned:
    """What the learned engine returns: probabilities and, per code, the segments a human coded with it."""

    probability: np.ndarray       # (segments, codes), NaN where a code cannot be trained
    positives: np.ndarray         # (codes,) how many positive decisions each code has
    examples: list[np.ndarray]    # per code: row indices of its positive segments

    def nearest_example(self, embeddings: np.ndarray, row: int, code: int) -> int:
        """The human-coded segment most like `row` among `code`'s positives (-1 when there is none)."""
        examples = self.examples[code]
        if not len(examples):
            return -1
        return int(examples[(embeddings[examples] @ embeddings[row]).argmax()])


def learned(embeddings: np.ndarray, labels: dict[int, dict[int, bool]], n_codes: int,
            ngrams: NgramFeatures | None = None) -> Learned:
    """Per-code classifiers from decisions {code: {segment: positive?}}.

    The decided rows are cut out once and each code's model is fitted on its
    share of them, in the dual (a few hundred decisions against tens of
    thousands of n-gram columns); all codes are then applied at once, the
    embedding and n-gram parts each in one matrix product.
    """
    from sklearn.linear_model import LogisticRegression  # imported here: the coding UI loads this module

    dim = embeddings.shape[1]
    decided = np.array(sorted({s for decisions in labels.values() for s in decisions}), dtype=np.int64)
    train = _design(embeddings, ngrams, decided)
    local = {int(s): i for i, s in enumerate(decided)}
    weights = np.zeros((train.shape[1], n_codes), dtype=np.float32)
    bias = np.zeros(n_codes, dtype=np.float32)
    trained = np.zeros(n_codes, dtype=bool)
    examples = [np.zeros(0, dtype=np.int64)] * n_codes
    all_positive = {s for decisions in labels.values() for s, yes in decisions.items() if yes}
    problems = []
    for j in range(n_codes):
        own = labels.get(j, {})
        pos = [s for s, yes in own.items() if yes]
        neg = {s for s, yes in own.items() if not yes} | (all_positive - set(pos))
        examples[j] = np.array(pos, dtype=np.int64)
        if pos and neg:
            problems.append((j, [local[s] for s in pos + sorted(neg)], np.array([1] * len(pos) + [0] * len(neg))))

    def fit(problem: tuple) -> None:
        j, rows, y = problem
        model = LogisticRegression(C=10.0, class_weight="balanced", max_iter=300, solver="liblinear", dual=True)
        model.fit(train[rows], y)
        weights[:, j], bias[j], trained[j] = model.coef_[0], model.intercept_[0], True

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # liblinear lets go of the GIL
        list(pool.map(fit, problems))
    logits = embeddings @ weights[:dim] + bias
    if train.shape[1] > dim:
        logits += np.asarray(ngrams.matrix @ weights[dim:])
    probability = _sigmoid(logits).astype(np.float32)
    probability[:, ~trained] = np.nan
    return Learned(probability, np.array([len(e) for e in examples], dtype=np.int32), examples)


def blend(zero: np.ndarray, learned_p: np.ndarray) -> np.ndarray:
    """Either engine may find a code: a noisy-or of the two probabilities (zero-shot alone where a
    code has no trained model). On the hand-coded evaluation set this beat weighted averages at
    every training fraction, because the learned model adds recall only where it has examples."""
    learned_or_nothing = np.nan_to_num(learned_p, nan=0.0)
    return (1.0 - (1.0 - learned_or_nothing) * (1.0 - zero)).astype(np.float32)


def uncertainty(probability: np.ndarray, positives: np.ndarray) -> np.ndarray:
    """Per segment: how much a human decision would teach, favouring codes with few examples."""
    closeness = 1.0 - np.abs(2.0 * probability - 1.0)          # 1 at p = 0.5
    need = 1.0 / np.sqrt(1.0 + positives)                        # rare codes count more
    return (closeness * need).max(axis=1)
