"""Build the stored document text from a reader's blocks, with turn offsets.

Every format becomes the same plain text: one block per turn, written
`Speaker: utterance`, titles on their own, blocks separated by a blank line.
A turn's offsets cover only the utterance, so segments never include the
speaker label, and the text still reads as a transcript when exported.
Unattributed lines before the first speaker (a header such as "Focus group
3, Shymkent") are kept as titles, outside any turn.
"""

from __future__ import annotations

from dataclasses import dataclass

from qualcode.ingest.base import Parsed, RawTurn
from qualcode.ingest.decoding import normalize

BLOCK_SEPARATOR = "\n\n"


@dataclass
class PlacedTurn:
    speaker: str | None
    start: int
    end: int
    start_time: float | None
    end_time: float | None


def _clean(text: str) -> str:
    """Normalise a block and drop blank lines at its edges (inner paragraphs stay)."""
    lines = [line.strip() for line in normalize(text).split("\n")]
    return "\n".join(lines).strip("\n ")


def assemble(parsed: Parsed) -> tuple[str, list[PlacedTurn]]:
    """Document text and the span of each non-empty turn's utterance inside it."""
    parts: list[str] = []
    placed: list[PlacedTurn] = []
    length = 0

    def append(piece: str) -> int:
        nonlocal length
        if parts:
            parts.append(BLOCK_SEPARATOR)
            length += len(BLOCK_SEPARATOR)
        parts.append(piece)
        start = length
        length += len(piece)
        return start

    attributed = any(turn.speaker for turn in parsed.turns)
    preamble = True
    for turn in parsed.turns:
        body = _clean(turn.text)
        if not body:
            continue
        # text before the first speaker of a transcript is its heading, not somebody's turn
        preamble = preamble and not turn.speaker
        if turn.title or (attributed and preamble):
            append(body)
            continue
        speaker = _clean(turn.speaker or "") or None
        prefix = f"{speaker}: " if speaker else ""
        start = append(prefix + body) + len(prefix)
        placed.append(PlacedTurn(speaker, start, start + len(body), turn.start_time, turn.end_time))
    return "".join(parts), placed


def speaker_counts(turns: list[PlacedTurn] | list[RawTurn]) -> dict[str, int]:
    """label → number of turns, in order of first appearance."""
    counts: dict[str, int] = {}
    for turn in turns:
        if turn.speaker:
            counts[turn.speaker] = counts.get(turn.speaker, 0) + 1
    return counts
