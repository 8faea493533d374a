"""Zero-shot scores from the codebook, and what a human decision would teach (active learning).

Multi-label: every (segment, code) pair is scored on its own, and each code
gets its own threshold. The engines work on plain arrays so that the store
glue (`qualcode.autocode.suggest`) and the evaluation (`evaluate`) share them.

Zero-shot. A code's prototype texts are its name with definition, its
include criterion and each example; exclude and counter-examples are
prototypes that push away. A segment's raw score is its best similarity to
a positive prototype, lowered by how much closer it is to a negative one.
Raw cosines are not comparable across codes (a vague definition is close to
everything) nor across segments (the default model puts all Cyrillic text
close together), so the score matrix is double-centred (segment and code
means removed) and standardised; a pair is suggested when it stands out
and is near the segment's best code.

The learned engine (`qualcode.autocode.learned`) and the pipeline that turns scores into the
suggestions shown (`qualcode.autocode.scoring`) build on these.

Package `autocode`: the engines (zero-shot here; `learned.py`, `turn_context.py`, `exclusivity.py`,
`calibration.py`, `scoring.py`), embeddings (`embed.py`, `model_choice.py`), the runner that writes
suggestions (`suggest.py`), `evaluate.py` and `track_record.py`. It may import `common`, `store`,
`ingest`, `recording`, `codebook` (tests/test_layout.py checks it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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


def uncertainty(probability: np.ndarray, positives: np.ndarray) -> np.ndarray:
    """Per segment: how much a human decision would teach, favouring codes with few examples."""
    closeness = 1.0 - np.abs(2.0 * probability - 1.0)          # 1 at p = 0.5
    need = 1.0 / np.sqrt(1.0 + positives)                        # rare codes count more
    return (closeness * need).max(axis=1)
