"""The turns around a segment, as features for the learned engine.

What a turn means depends on what was said just before and after it: "Да, это правда." agrees
with the previous speaker, a reflection repeats the client's last words. Each segment row gets,
beside its own vector, the vectors of the previous and the next segment of the same document
(any speaker, the moderator included; zeros at a document's edges), scaled by NEIGHBOUR_WEIGHT
so that the segment itself dominates. The weight was chosen on AnnoMI counsellor turns with a
class-balanced logistic regression (5 % and 30 % coded, seeds 0 and 1): ±1 turn at 0.3 beat ±1
at 0.5 and at 1.0, and beat averaging the neighbours into the segment's own vector, which lost
0.02–0.04 κ. Ablation of the whole engine: bench/autocode_eval.py --ablate.
"""

from __future__ import annotations

import numpy as np

NEIGHBOUR_WEIGHT = 0.3


def neighbour_block(vectors: np.ndarray, documents: np.ndarray, weight: float = NEIGHBOUR_WEIGHT) -> np.ndarray:
    """(rows, 2·dim): the previous and the next row's vector of the same document, times `weight`.

    Rows must be in conversation order within each document (documents may interleave only as
    contiguous runs)."""
    documents = np.asarray(documents)
    n, dim = vectors.shape
    block = np.zeros((n, 2 * dim), dtype=np.float32)
    if n < 2:
        return block
    same = documents[1:] == documents[:-1]                      # row i+1 follows row i in one document
    after = np.flatnonzero(same) + 1
    block[after, :dim] = weight * vectors[after - 1]
    block[after - 1, dim:] = weight * vectors[after]
    return block
