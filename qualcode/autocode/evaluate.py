"""Honest evaluation of the auto-coder on items coded by people, with no project needed.

`ITEMS.csv` has `id,text,codes` (codes joined by ';', empty for none) and may add `document`,
`speaker` and `evaluate`. Rows of one `document` are one conversation in file order (the
learned engine reads each row with its neighbours); rows with `evaluate` = 0 are context only,
never trained on and never scored. A stratified fraction of the `evaluate` rows plays the part
of a coder's decisions; the same pipeline the app uses (`scoring`) predicts the rest, and each
code is scored as a present/absent decision: precision, recall, F1 and Cohen's κ, beside the
threshold it was shown at and the precision estimated before seeing the test items.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qualcode import autocode
from qualcode.autocode import calibration, scoring
from qualcode.codebook import Codebook
from qualcode.autocode.embed import Embedder
from qualcode.common.errors import QualcodeError
from qualcode.common.files import read_csv_rows


@dataclass
class Item:
    id: str
    text: str
    codes: set[str]
    document: str = ""        # empty: the item stands alone
    speaker: str = ""
    evaluate: bool = True     # False: context only


_NO = {"0", "false", "no", "n"}
_YES = {"1", "true", "yes", "y", ""}


def _flag(value: str | None, path: Path, row_id: str) -> bool:
    value = (value or "").strip().lower()
    if value not in _NO | _YES:
        raise QualcodeError(f"{path}: item {row_id}: 'evaluate' must be 1 or 0, not '{value}'")
    return value not in _NO


def read_items(path: Path) -> list[Item]:
    items = [Item(row["id"], row["text"] or "", {c.strip() for c in (row["codes"] or "").split(";") if c.strip()},
                  (row.get("document") or "").strip(), (row.get("speaker") or "").strip(),
                  _flag(row.get("evaluate"), path, row["id"]))
             for row in read_csv_rows(path, ("id", "text", "codes"))]
    items = [i for i in items if i.text.strip()]
    if not any(i.evaluate for i in items):
        raise QualcodeError(f"{path}: no items with text to evaluate")
    return _in_conversation_order(items)


def _in_conversation_order(items: list[Item]) -> list[Item]:
    """Each document's rows together, in file order; documents in order of first appearance."""
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        first.setdefault(item.document or f"\0{i}", i)
    return [item for _, item in sorted(((first[item.document or f"\0{i}"], i), item)
                                       for i, item in enumerate(items))]


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
    unknown = sorted({c for item in items if item.evaluate for c in item.codes if c not in lookup})
    if unknown:
        raise QualcodeError(f"items use codes that are not in the codebook: {', '.join(unknown)}")
    labels = np.zeros((len(items), len(codes)), dtype=bool)
    for i, item in enumerate(items):
        for c in item.codes if item.evaluate else ():
            labels[i, lookup[c]] = True
    return codes, labels


def sibling_groups(book: Codebook) -> list[tuple[list[int], bool | None]]:
    """Leaf siblings per parent (and at the top), with what the codebook declares of them."""
    columns = {path: j for j, (path, _) in enumerate(book.walk())}

    def leaves(codes, parent: str) -> list[int]:
        return [columns[f"{parent}/{c.name}" if parent else c.name] for c in codes if not c.children]

    groups = [(leaves(book.codes, ""), book.exclusive)]
    groups += [(leaves(code.children, path), code.exclusive) for path, code in book.walk() if code.children]
    return groups


def evaluate(items: list[Item], book: Codebook, embedder: Embedder, train_fraction: float = 0.0,
             seed: int = 0, engine: str = "auto", context: bool = True, exclusive: bool = True,
             target: float = calibration.TARGET_PRECISION) -> dict:
    started = time.perf_counter()
    if engine not in autocode.ENGINES:
        raise QualcodeError(f"unknown engine '{engine}' (choose from {', '.join(autocode.ENGINES)})")
    if not 0 <= train_fraction < 1:
        raise QualcodeError("--train-fraction must be at least 0 and below 1")
    codes, labels = label_matrix(items, book)
    scored = np.flatnonzero([item.evaluate for item in items])
    train = scored[stratified_split(labels[scored], train_fraction, seed)]
    test = np.setdiff1d(scored, train)
    if engine == "learned" and len(train) == 0:
        raise QualcodeError("the learned engine needs training items: use --train-fraction above 0")
    texts = [item.text for item in items]
    vectors = embedder.encode(texts)
    prototypes, anti = scoring.code_vectors(codes, embedder.encode)
    in_test = np.zeros(len(items), dtype=bool)
    in_test[test] = True
    outcome = scoring.run(scoring.Task(
        vectors, texts, np.array([item.document or f"\0{i}" for i, item in enumerate(items)]), codes,
        prototypes, anti,
        {j: {int(i): bool(labels[i, j]) for i in train} for j in range(len(codes))}, in_test,
        sibling_groups(book) if exclusive else [], engine, target, context))
    predicted = outcome.predicted[test]
    truth = labels[test]
    used = [j for j in range(len(codes)) if labels[scored, j].any()]
    per_code = {}
    for j in used:
        scores = binary_scores(truth[:, j], predicted[:, j])
        cal = outcome.calibration[j]
        per_code[codes[j].key] = {**{k: v for k, v in scores.items() if k in ("precision", "recall", "f1", "kappa",
                                                                             "support")},
                                  "threshold": cal["threshold"], "estimated_precision": cal["precision"],
                                  "learning": cal["learning"], "engine": cal["engine"]}
    pooled = binary_scores(truth[:, used].ravel(), predicted[:, used].ravel())
    macro = {m: _mean(s[m] for s in per_code.values()) for m in ("precision", "recall", "f1", "kappa")}
    names = [c.key for c in codes]
    return {"per_code": per_code, "macro": macro,
            "micro": {m: pooled[m] for m in ("precision", "recall", "f1", "kappa")},
            "n_train": int(len(train)), "n_test": int(len(test)), "n_context": int(len(items) - len(scored)),
            "seconds": round(time.perf_counter() - started, 2), "engine": engine, "model": embedder.model_id,
            "context": context, "target_precision": target,
            "groups": [g.describe(names) for g in outcome.groups]}
