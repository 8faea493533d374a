"""Plain data that every format reader returns, before anything is stored.

A reader turns bytes into a `Parsed` transcript: an ordered list of blocks,
each a speaker turn (speaker may be None for unattributed text) or a title
(a heading that belongs to no speaker). Offsets are computed later, when the
document text is assembled, so readers only deal with strings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from qualcode.ingest.decoding import decoded_text


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


@dataclass(frozen=True)
class Format:
    """One transcript format as a reader module declares it; `ingest/formats.py` lists them all.

    `parse` takes the decoded, normalised text (or the raw bytes when `binary`, e.g. a zip
    container) and the speaker labels the user declared. `sniff` recognises the format from
    its first bytes when the extension says nothing."""

    name: str
    extensions: tuple[str, ...]
    parse: Callable[..., Parsed]
    binary: bool = False
    normalize: bool = True        # False: the reader normalises each cell itself (a TSV keeps its tabs)
    sniff: Callable[[bytes], bool] | None = None

    def read(self, data: bytes, encoding: str | None = None, speakers: frozenset[str] = frozenset()) -> Parsed:
        if self.binary:
            return self.parse(data, speakers)
        text, used = decoded_text(data, encoding, self.normalize)
        parsed = self.parse(text, speakers)
        parsed.encoding = used
        return parsed
