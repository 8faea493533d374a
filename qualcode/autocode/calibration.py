"""Per-code thresholds that a researcher can trust: the lowest score at which the machine's
suggestions were right often enough, measured on scores the model did not train on.

The scores come from the learned engine's cross-validation over the coders' decisions (each
decided segment scored by a model fitted without it). The precision of "score ≥ t" is
smoothed towards one half by one right and one wrong imagined suggestion, so that three lucky
hits do not count as certainty. A code whose decisions never reach the target, or that has fewer
than MIN_POSITIVES positives, is still learning: it suggests only its LEARNING_TOP most
confident segments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qualcode.autocode import MIN_SCORE  # no suggestion below this probability, whatever the estimate

TARGET_PRECISION = 0.8   # the project setting's default
MIN_POSITIVES = 5        # positive decisions before a threshold is estimated
LEARNING_TOP = 10        # suggestions a still-learning code may make in one run


@dataclass
class Calibration:
    threshold: float
    precision: float | None     # estimated precision at the threshold (None: not estimated)
    learning: bool              # too little evidence: only the most confident suggestions
    decisions: int              # decisions the estimate rests on

    def as_dict(self) -> dict:
        return {"threshold": round(self.threshold, 4),
                "precision": None if self.precision is None else round(self.precision, 4),
                "learning": self.learning, "decisions": self.decisions}


def smoothed_precision(right: np.ndarray, shown: np.ndarray) -> np.ndarray:
    return (right + 1.0) / (shown + 2.0)


def for_precision(scores: np.ndarray, truth: np.ndarray, target: float = TARGET_PRECISION,
                  floor: float = MIN_SCORE) -> Calibration:
    """The lowest threshold whose held-out precision reaches `target` (learning when none does)."""
    truth = np.asarray(truth, dtype=bool)
    if int(truth.sum()) < MIN_POSITIVES or truth.all():
        return Calibration(floor, None, True, int(len(truth)))
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], np.cumsum(truth[order])
    precision = smoothed_precision(hits, np.arange(1, len(ranked) + 1))
    # a cut may only fall between distinct scores: the last row of each run of ties
    last_of_tie = np.r_[ranked[1:] < ranked[:-1], True]
    ok = np.flatnonzero((precision >= target) & last_of_tie & (ranked >= floor))
    if not len(ok):
        best = int(np.argmax(np.where(last_of_tie, precision, -1)))
        return Calibration(max(floor, float(ranked[best])), float(precision[best]), True, int(len(truth)))
    k = int(ok[-1])
    return Calibration(float(ranked[k]), float(precision[k]), False, int(len(truth)))


def learning_cut(probability: np.ndarray, threshold: float, top: int = LEARNING_TOP) -> float:
    """For a still-learning code: the threshold that lets only its `top` best segments through."""
    if len(probability) <= top:
        return threshold
    kth = float(np.partition(probability, -top)[-top])
    return max(threshold, kth)
