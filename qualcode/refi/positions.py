"""Character positions between a REFI-QDA source's plain text and the text we store.

We store every text normalised (line breaks, NFC, spaces, control characters: `decoding.normalize`),
while another tool's selections count positions in its file as written, and some count `\\r\\n`
as one character. This maps the one onto the other, for `qdpx_read`.
"""

from __future__ import annotations

import re
import unicodedata

from qualcode.common.errors import QualcodeError
from qualcode.ingest import decoding

_LINE_BREAK = re.compile(r"\r\n|[\r\n\x0b\x0c]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff\u2028\u2029]")  # as decoding.normalize


def normalise(raw: str) -> tuple[str, list[int]]:
    """decoding.normalize(raw) and, for every offset into `raw`, the offset it becomes.

    Line by line: breaks become '\\n', each base character with its combining marks is
    composed (NFC) on its own, NBSP and tabs become spaces, control characters go and
    trailing spaces are dropped; an offset inside a unit maps to the unit's start.
    """
    if decoding.normalize(raw) == raw:  # our own files: nothing moves
        return raw, list(range(len(raw) + 1))
    out: list[str] = []
    offsets = [0] * (len(raw) + 1)
    length = start = 0
    for brk in [*_LINE_BREAK.finditer(raw), None]:
        stop = brk.start() if brk else len(raw)
        pieces = []
        i = start
        while i < stop:
            j = i + 1
            while j < stop and unicodedata.combining(raw[j]):
                j += 1
            piece = unicodedata.normalize("NFC", raw[i:j]).replace("\u00a0", " ").replace("\t", " ")
            pieces.append((i, j, _CONTROL.sub("", piece)))
            i = j
        kept = len(pieces)
        while kept and not pieces[kept - 1][2].strip():
            kept -= 1
        for number, (i, j, piece) in enumerate(pieces):
            offsets[i:j] = [length] * (j - i)
            if number < kept:
                out.append(piece)
                length += len(piece)
        if brk:
            offsets[brk.start():brk.end()] = [length] * (brk.end() - brk.start())
            out.append("\n")
            length += 1
            start = brk.end()
    offsets[len(raw)] = length
    return "".join(out), offsets


def _squash(text: str) -> str:
    return " ".join(text.split())


def _fit(text: str, start: int, end: int, name: str) -> int:
    """How plausible a selection is: it neither cuts a word nor begins or ends in spaces or stray
    punctuation, and it starts with the text the tool named it by."""
    def whole(at: int) -> bool:
        return at in (0, len(text)) or not (text[at - 1].isalnum() and text[at].isalnum())
    first, last = text[start:start + 1], text[end - 1:end] if end > start else ""
    starts = whole(start) and bool(first.strip()) and first not in ".,:;!?)]}»"
    ends = whole(end) and bool(last.strip()) and last not in "([{«"
    named = bool(name.strip()) and _squash(text[start:end]).startswith(_squash(name)[:40])
    return starts + ends + 2 * named


def map_positions(text: str, raw: str, offsets: list[int],
                  selections: list[tuple[int, int, str]]) -> tuple[str, list[int]]:
    """How the file counts the positions of its selections (start, end, name) and, for each of its
    offsets, the offset in the stored `text`: code points (the standard), or `\\r\\n` as one
    character (some tools) when that fits the selections better."""
    candidates = [("code points", offsets)]
    if "\r\n" in raw:
        candidates.append(("\\r\\n as one character", normalise(raw.replace("\r\n", "\n"))[1]))

    def score(mapping: list[int]) -> int:
        if any(not 0 <= start <= end < len(mapping) for start, end, _ in selections):
            return -1
        return sum(_fit(text, mapping[start], mapping[end], name) for start, end, name in selections)
    scored = [(score(mapping), how, mapping) for how, mapping in candidates]
    best, how, mapping = max(scored, key=lambda item: item[0])  # a tie: the first, code points
    if best < 0:
        start, end, _ = next(s for s in selections if not 0 <= s[0] <= s[1] <= len(raw))
        raise QualcodeError(f"selection {start}–{end} lies outside its text ({len(raw)} characters)")
    return how, mapping
