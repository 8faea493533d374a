"""Plain data that every format reader returns, before anything is stored.

A reader turns bytes into a `Parsed` transcript: an ordered list of blocks,
each a speaker turn (speaker may be None for unattributed text) or a title
(a heading that belongs to no speaker). Offsets are computed later, when the
document text is assembled, so readers only deal with strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RawTurn:
    """One block of a transcript: a speaker's utterance or a title line."""

    text: str
    speaker: str | None = None
    start_time: float | None = None
    end_time: float | None = None
    title: bool = False


@dataclass
class Parsed:
    """What a reader found in one file."""

    format: str
    turns: list[RawTurn]
    encoding: str | None = None
    document_attributes: dict[str, str] = field(default_factory=dict)
    # label -> attributes found inside the file itself (survey columns, etc.)
    participant_attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    # the reader's own moderator guess (e.g. declared in the file); None = let speakers.py decide
    moderator: str | None = None
    # what the reader was unsure of (a label that speaks once, a row rejoined), one line each
    warnings: list[str] = field(default_factory=list)
