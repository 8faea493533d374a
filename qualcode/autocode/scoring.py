"""From vectors and decisions to the suggestions a person sees: one pipeline for the project
runner (`suggest`) and the evaluation (`evaluate`), so what is measured is what is shown.

1. Zero-shot scores for every code (`autocode.zero_shot`).
2. The codebook's structure: exclusive groups, declared or inferred (`exclusivity`).
3. With decisions, the learned engine (`learned`) with the conversation and the codebook's texts.
   `auto` takes a code's learned probability once it has enough examples to be calibrated,
   zero-shot where it has none, and the noisy-or of both while it is still learning (on the
   hand-coded set the definitions still find what five examples miss; on AnnoMI, where every
   code has dozens, the blend cost 0.08 κ, so it ends once a code is calibrated).
4. Thresholds: calibrated per code to the target precision; a still-learning code shows only its
   most confident segments; an exhaustive group gives each segment its most likely code. A code
   nobody has decided on yet is still learning too (zero-shot precision on the hand-coded set
   is 0.31 at its own cut), except inside an exclusive group, where choosing one of a few codes
   already filters (0.89 on AnnoMI).
5. At most one code of an exclusive group per segment. A segment of SHORT_WORDS words or fewer
   ("Согласен.", "Да, это правда.") takes its meaning from its context: it is suggested only codes
   that coders have given to a short segment before, or whose codebook examples include one
   ("Mm-hmm." for a back-channel code). Similarity alone never puts a topic on "Да.".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qualcode import autocode
from qualcode.autocode import calibration
from qualcode.autocode.exclusivity import Group, resolve_groups
from qualcode.autocode.learned import Features, Learned, NgramFeatures, Prototypes, learned
from qualcode.autocode.turn_context import neighbour_block

SHORT_WORDS = 3


@dataclass
class Task:
    vectors: np.ndarray                       # (rows, dim) L2-normalised, rows in conversation order
    texts: list[str]
    documents: np.ndarray                     # document key per row
    codes: list[autocode.CodeText]
    prototypes: list[np.ndarray]              # per code: vectors of its positive texts
    anti: list[np.ndarray]                    # per code: vectors of its negative texts
    decisions: dict[int, dict[int, bool]]     # code column → {row: positive?}
    scope: np.ndarray                         # bool per row: may receive a suggestion
    candidates: list[tuple[list[int], bool | None]] = field(default_factory=list)  # sibling columns, declared
    engine: str = "auto"
    target: float = calibration.TARGET_PRECISION
    context: bool = True
    ngrams: NgramFeatures | None = None       # pass a cached fit; fitted here when None


@dataclass
class Outcome:
    probability: np.ndarray                   # (rows, codes)
    predicted: np.ndarray                     # (rows, codes) bool: the suggestions shown
    calibration: list[dict]                   # per code: threshold, precision, learning, decisions, engine
    groups: list[Group]
    zero: autocode.Scores
    model: Learned | None


def code_vectors(codes: list[autocode.CodeText], encode) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per code, the vectors of its positive and of its negative texts, from one `encode` call."""
    vectors = encode([t for c in codes for t in c.positives + c.negatives])
    positives, negatives, offset = [], [], 0
    for c in codes:
        positives.append(vectors[offset:offset + len(c.positives)])
        offset += len(c.positives)
        negatives.append(vectors[offset:offset + len(c.negatives)])
        offset += len(c.negatives)
    return positives, negatives


def _prototypes(task: Task) -> Prototypes:
    dim = task.vectors.shape[1]
    parts = [(p, c.positives, j, True) for j, (p, c) in enumerate(zip(task.prototypes, task.codes))]
    parts += [(a, c.negatives, j, False) for j, (a, c) in enumerate(zip(task.anti, task.codes))]
    parts = [p for p in parts if len(p[1])]
    if not parts:
        return Prototypes.empty(dim)
    return Prototypes(np.vstack([v for v, _, _, _ in parts]).astype(np.float32),
                      [t for _, texts, _, _ in parts for t in texts],
                      np.concatenate([[j] * len(texts) for _, texts, j, _ in parts]).astype(np.int64),
                      np.concatenate([[yes] * len(texts) for _, texts, _, yes in parts]).astype(bool))


def fit_learned(task: Task, groups: list[Group]) -> Learned:
    context = neighbour_block(task.vectors, task.documents) if task.context else None
    ngrams = task.ngrams if task.ngrams is not None else NgramFeatures(task.texts)
    prototypes = _prototypes(task)
    features = Features(task.vectors, context, ngrams, prototypes)
    return learned(features, task.decisions, len(task.codes), groups, prototypes, task.target)


def _one_per_group(probability: np.ndarray, predicted: np.ndarray, groups: list[Group]) -> None:
    """Within each exclusive group keep only the most likely code (every row of an exhaustive one)."""
    for group in groups:
        if not group.exclusive:
            continue
        cols = np.array(group.columns)
        best = probability[:, cols].argmax(axis=1)
        winner = np.zeros((len(best), len(cols)), dtype=bool)
        winner[np.arange(len(best)), best] = True
        predicted[:, cols] &= winner


def _short_allowed(task: Task, short: np.ndarray) -> np.ndarray:
    """Per code: may it go on a short segment? (coders gave it to one, or the codebook shows one)"""
    def allowed(j: int, code: autocode.CodeText) -> bool:
        coded = any(yes and short[row] for row, yes in task.decisions.get(j, {}).items())
        return coded or any(len(t.split()) <= SHORT_WORDS for t in code.positives[1:])
    return np.array([allowed(j, code) for j, code in enumerate(task.codes)], dtype=bool)


def run(task: Task) -> Outcome:
    zero = autocode.zero_shot(task.vectors, task.prototypes, task.anti)
    groups = resolve_groups(task.candidates, task.decisions)
    k = len(task.codes)
    model = fit_learned(task, groups) if task.engine != "zero-shot" and task.decisions else None
    probability = zero.probability.copy()
    trained = np.zeros(k, dtype=bool)
    exhaustive = {j for g in groups if g.exhaustive for j in g.columns}
    if model is not None:
        trained = ~np.isnan(model.probability).all(axis=0)
        probability[:, trained] = model.probability[:, trained]
        if task.engine == "auto":  # until a code has enough examples, its definition may still propose it
            young = np.array([trained[j] and model.calibration[j].learning and j not in exhaustive
                              for j in range(k)], dtype=bool)
            probability[:, young] = 1.0 - (1.0 - model.probability[:, young]) * (1.0 - zero.probability[:, young])
    if task.engine == "learned":
        probability[:, ~trained] = 0.0
    thresholds, report = np.empty(k, dtype=np.float32), []
    grouped = {j for g in groups if g.exclusive for j in g.columns}
    for j in range(k):
        if trained[j]:
            cal = model.calibration[j]
            cut = cal.threshold if j in exhaustive else max(cal.threshold, calibration.MIN_SCORE)
            if cal.learning and j not in exhaustive:
                cut = calibration.learning_cut(probability[task.scope, j], cut)
            report.append({**cal.as_dict(), "threshold": round(float(cut), 4), "engine": "learned"})
        elif task.engine == "learned":
            cut = np.inf
            report.append({"threshold": None, "precision": None, "learning": True, "decisions": 0,
                           "engine": "none"})
        else:  # no decisions yet: still learning, unless one-of-a-few within an exclusive group filters it
            cut = float(zero.threshold[j])
            if j not in grouped:
                cut = calibration.learning_cut(probability[task.scope, j], cut)
            report.append({"threshold": round(cut, 4), "precision": None, "learning": True,
                           "decisions": len(task.decisions.get(j, {})), "engine": "zero-shot"})
        thresholds[j] = cut
    predicted = probability >= thresholds
    for group in groups:  # an exhaustive group with a model gives every row its most likely code
        if group.exhaustive and trained[group.columns].all():
            predicted[:, group.columns] = True
    _one_per_group(probability, predicted, groups)
    short = np.array([len(t.split()) <= SHORT_WORDS for t in task.texts])
    predicted[short] &= _short_allowed(task, short)
    predicted &= task.scope[:, None]
    return Outcome(probability, predicted, report, groups, zero, model)
