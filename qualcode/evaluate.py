"""Honest evaluation of the auto-coder on items coded by people, with no project needed.

`ITEMS.csv` has `id,text,codes` (codes joined by ';', empty for none). A
stratified fraction of the items plays the part of a coder's decisions; the
engine predicts the rest, and each code is scored as a binary
present/absent decision: precision, recall, F1 and Cohen's κ.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qualcode import autocode
from qualcode.codebook import Codebook
from qualcode.embed import Embedder
from qualcode.errors import QualcodeError
from qualcode.files import read_csv_rows


@dataclass
class Item:
    id: str
    text: str
    codes: set[str]


def read_items(path: Path) -> list[Item]:
    items = [Item(row["id"], row["text"] or "", {c.strip() for c in (row["codes"] or "").split(";") if c.strip()})
             for row in read_csv_rows(path, ("id", "text", "codes"))]
    items = [i for i in items if i.text.strip()]
    if not items:
        raise QualcodeError(f"{path}: no items with text")
    return items


def code_texts(book: Codebook) -> tuple[list[autocode.CodeText], dict[str, int]]:
    """Engine inputs for every code, and a lookup from name or path to its column."""
    texts, lookup = [], {}
    for path, code in book.walk():
        lookup.setdefault(path, len(texts))
        lookup.setdefault(code.name, len(texts))
        texts.append(autocode.CodeText.from_fields(path, code.name, code.definition, code.include, code.examples,
                                                   code.exclude, code.counter_examples))
    if not texts:
        raise QualcodeError("the codebook has no codes")
    return texts, lookup


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Indices of training items: the same fraction of each stratum (items grouped by their rarest code)."""
    if fraction <= 0:
        return np.array([], dtype=int)
    rng = np.random.default_rng(seed)
    frequency = labels.sum(axis=0)
    strata: dict[int, list[int]] = {}
    for i, row in enumerate(labels):
        present = np.flatnonzero(row)
        key = int(present[np.argmin(frequency[present])]) if len(present) else -1
        strata.setdefault(key, []).append(i)
    chosen = []
    for members in strata.values():
        take = int(round(fraction * len(members)))
        if take == 0 and rng.random() < fraction * len(members):
            take = 1
        chosen.extend(rng.choice(members, size=min(take, len(members)), replace=False).tolist())
    return np.array(sorted(chosen), dtype=int)


def binary_scores(truth: np.ndarray, predicted: np.ndarray) -> dict:
    """Precision, recall, F1 and Cohen's κ of one binary decision (None where undefined)."""
    tp = int((truth & predicted).sum())
    fp = int((~truth & predicted).sum())
    fn = int((truth & ~predicted).sum())
    tn = int((~truth & ~predicted).sum())
    n = tp + fp + fn + tn
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    observed = (tp + tn) / n if n else None
    chance = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n) if n else None
    kappa = (observed - chance) / (1 - chance) if n and chance < 1 else None
    return {"precision": precision, "recall": recall, "f1": f1, "kappa": kappa, "support": tp + fn,
            "tp": tp, "fp": fp, "fn": fn, "tn": tn}


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def label_matrix(items: list[Item], book: Codebook) -> tuple[list[autocode.CodeText], np.ndarray]:
    """The codes and an items × codes truth matrix; refuses codes the codebook lacks."""
    codes, lookup = code_texts(book)
    unknown = sorted({c for item in items for c in item.codes if c not in lookup})
    if unknown:
        raise QualcodeError(f"items use codes that are not in the codebook: {', '.join(unknown)}")
    labels = np.zeros((len(items), len(codes)), dtype=bool)
    for i, item in enumerate(items):
        for c in item.codes:
            labels[i, lookup[c]] = True
    return codes, labels


def evaluate(items: list[Item], book: Codebook, embedder: Embedder, train_fraction: float = 0.0,
             seed: int = 0, engine: str = "auto") -> dict:
    started = time.perf_counter()
    if engine not in autocode.ENGINES:
        raise QualcodeError(f"unknown engine '{engine}' (choose from {', '.join(autocode.ENGINES)})")
    if not 0 <= train_fraction < 1:
        raise QualcodeError("--train-fraction must be at least 0 and below 1")
    codes, labels = label_matrix(items, book)
    train = stratified_split(labels, train_fraction, seed)
    test = np.setdiff1d(np.arange(len(items)), train)
    if engine == "learned" and len(train) == 0:
        raise QualcodeError("the learned engine needs training items: use --train-fraction above 0")
    texts = [item.text for item in items]
    vectors = embedder.encode(texts)
    probability, threshold = predict(vectors, texts, codes, embedder,
                                     {j: {int(i): bool(labels[i, j]) for i in train} for j in range(len(codes))},
                                     engine)
    predicted = probability[test] >= threshold
    truth = labels[test]
    used = [j for j in range(len(codes)) if labels[:, j].any()]
    per_code = {codes[j].key: {k: v for k, v in binary_scores(truth[:, j], predicted[:, j]).items()
                               if k in ("precision", "recall", "f1", "kappa", "support")} for j in used}
    pooled = binary_scores(truth[:, used].ravel(), predicted[:, used].ravel())
    macro = {m: _mean(s[m] for s in per_code.values()) for m in ("precision", "recall", "f1", "kappa")}
    return {"per_code": per_code, "macro": macro,
            "micro": {m: pooled[m] for m in ("precision", "recall", "f1", "kappa")},
            "n_train": int(len(train)), "n_test": int(len(test)), "seconds": round(time.perf_counter() - started, 2),
            "engine": engine, "model": embedder.model_id}


def predict(vectors: np.ndarray, texts: list[str], codes: list[autocode.CodeText], embedder: Embedder,
            decisions: dict[int, dict[int, bool]], engine: str) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities (items × codes) and per-code thresholds for the chosen engine."""
    prototypes = [embedder.encode(c.positives) for c in codes]
    anti = [embedder.encode(c.negatives) if c.negatives else np.zeros((0, vectors.shape[1]), np.float32)
            for c in codes]
    zero = autocode.zero_shot(vectors, prototypes, anti)
    has_decisions = any(decisions.get(j) for j in range(len(codes)))
    if engine == "zero-shot" or not has_decisions:
        return zero.probability, zero.threshold
    model = autocode.learned(vectors, decisions, len(codes), autocode.NgramFeatures(texts))
    if engine == "learned":
        return np.nan_to_num(model.probability, nan=0.0), np.full(len(codes), autocode.MIN_SCORE)
    return autocode.blend(zero.probability, model.probability), zero.threshold
