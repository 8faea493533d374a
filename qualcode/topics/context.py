"""Conversation context for segment embeddings: a focus group moves through its question guide
topic by topic, so a segment means more together with the turns around it.

A segment's context vector is its own embedding plus a decaying average of the turns within
±`turns` of its own in the same document. A moderator's question opens a new block of the guide:
reaching back to the question that opened the block is free, but every further question crossed
(backwards or forwards) multiplies the weight by `boundary`. A moderator's turn shorter than
`question_words` ("Tell me more.", "А сосед платил?") is a probe inside the block, not a
boundary. Short back-channel turns ("Mm-hmm", "Да-да", "Exactly.") weigh in proportion to their
words, so they borrow meaning from their neighbours instead of lending their own. Long turns are
cut into blocks of at most `block` segments so that a monologue is not one averaged blur. A document in which nobody speaks twice
(a survey: one answer per respondent) is no conversation: there the window stays inside a turn.
Everything works on cached vectors; nothing is re-encoded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Window:
    """How far and how strongly a segment borrows meaning from the turns around it."""

    turns: int = 5            # ±turns (blocks) around the segment's own
    decay: float = 0.8        # weight factor per step away
    boundary: float = 0.3     # weight factor per moderator question crossed
    question_words: int = 10  # a moderator turn this long is a question that opens a block
    short_words: int = 6      # a turn with fewer words weighs words / short_words
    block: int = 8            # segments per block of a long turn
    own: float = 0.5          # weight of the segment's own embedding against its (unit) context

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Layout:
    """Where each segment sits, rows in document then segment order (one row per segment)."""

    document: np.ndarray      # document id
    turn: np.ndarray          # turn id
    speaker: np.ndarray       # participant id (-1 when unknown)
    moderator: np.ndarray     # bool: the turn is the moderator's
    words: np.ndarray         # words in the segment


def _unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True).clip(1e-12)


def _is_conversation(speaker: np.ndarray, turn: np.ndarray) -> bool:
    """Somebody holds at least two turns (a survey gives each respondent one)."""
    pairs = np.unique(np.stack([speaker, turn]), axis=1)
    return bool(len(pairs[0]) > len(np.unique(pairs[0])))


def _blocks(turn: np.ndarray, size: int) -> np.ndarray:
    """Block index per segment: a new block at each new turn and every `size` segments within one."""
    block, count, ids = -1, 0, np.empty(len(turn), dtype=np.int64)
    for i, t in enumerate(turn):
        if i == 0 or t != turn[i - 1] or count == size:
            block, count = block + 1, 0
        ids[i] = block
        count += 1
    return ids


def _document(vectors: np.ndarray, layout: Layout, rows: np.ndarray, window: Window) -> np.ndarray:
    turn, words = layout.turn[rows], layout.words[rows].astype(np.float64)
    blocks = _blocks(turn, window.block)
    n = int(blocks[-1]) + 1
    means = np.zeros((n, vectors.shape[1]))
    np.add.at(means, blocks, vectors)
    means = _unit(means)
    weight = np.minimum(1.0, np.bincount(blocks, weights=words, minlength=n) / window.short_words)
    first = np.r_[True, blocks[1:] != blocks[:-1]]
    turn_index = np.unique(turn, return_inverse=True)[1].ravel()
    turn_words = np.bincount(turn_index, weights=words)[turn_index]
    question = layout.moderator[rows] & (turn_words >= window.question_words)
    opens = np.zeros(n)
    new_turn = np.r_[True, turn[1:] != turn[:-1]]
    opens[blocks[first & new_turn & question]] = 1.0                   # a moderator's question starts here
    crossed = np.cumsum(opens)                                          # opens in (lo, hi] = c[hi] − c[lo]
    group = turn[first] if not _is_conversation(layout.speaker[rows], turn) else np.zeros(n)
    context = np.zeros_like(means)
    for offset in range(-window.turns, window.turns + 1):
        i = np.arange(max(0, -offset), min(n, n - offset))
        j = i + offset
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        w = (window.decay ** abs(offset)) * weight[j] * window.boundary ** (crossed[hi] - crossed[lo])
        context[i] += (w * (group[i] == group[j]))[:, None] * means[j]
    own = window.own * np.minimum(1.0, words / window.short_words)[:, None] * vectors
    return _unit(own + _unit(context)[blocks])


def context_vectors(vectors: np.ndarray, layout: Layout, window: Window) -> np.ndarray:
    """One L2-normalised context vector per segment row (rows as in `layout`)."""
    out = np.empty(vectors.shape, dtype=np.float32)
    for doc in np.unique(layout.document):
        rows = np.flatnonzero(layout.document == doc)
        out[rows] = _document(vectors[rows].astype(np.float64), layout, rows, window)
    return out
