"""WebVTT and SRT subtitles → speaker turns with times.

Our own parser, because the common library gives a cue with two Teams voices
to the first speaker and leaves entities like &amp; escaped. Speakers come
from Teams voice spans (`<v Name>…</v>`, several per cue = several turns),
from a Zoom `Name: text` prefix, or in SRT also from `[Name] text`. A prefix
counts when evidence.weigh accepts it (voices and sidecar labels are known
speakers), so "The queue was long: almost two hours" stays speech. Captioners
name the speaker when it changes, so in a file with speakers a cue without one
continues the previous speaker. Consecutive cues of one speaker (unattributed
ones too) merge into one turn spanning their times.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from qualcode.common.errors import IngestError
from qualcode.ingest.base import Format, Parsed, RawTurn
from qualcode.ingest.times import to_seconds
from qualcode.ingest.evidence import Candidate, weigh
from qualcode.ingest.speakers import is_name_like

_STAMP = r"(?:\d+:)?[0-5]?\d:[0-5]\d(?:[.,]\d{1,3})?"
_TIMING = re.compile(rf"\s*(?P<start>{_STAMP})\s*-->\s*(?P<end>{_STAMP})(?:\s.*)?")
_SECONDS = re.compile(r"\d+(?:[.,]\d+)?")
# markup: WebVTT/SRT tags, and SRT's ASS overrides such as {\an8}
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")
# <v Name>, <v.loud Name> open a voice, </v> closes it; no name = unattributed
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:\s+(?P<name>[^>]*))?>|</v>")
_COLON_PREFIX = re.compile(r"(?P<label>[^:]{1,60}?)\s*:\s+(?P<text>.+)", re.S)
_BRACKET_PREFIX = re.compile(r"\[(?P<label>[^\]]{1,60})\]\s*(?P<text>.+)", re.S)


def parse_timestamp(stamp: str) -> float:
    """'01:02:03.500', '2:03,5' or '65.5' → seconds; ValueError for anything else."""
    stamp = stamp.strip()
    if not (re.fullmatch(_STAMP, stamp) or _SECONDS.fullmatch(stamp)):
        raise ValueError(f"not a time: {stamp!r}")
    return to_seconds(stamp)


@dataclass
class _Cue:
    start: float
    end: float
    payload: str  # the cue's lines joined with "\n", tags still in place


@dataclass
class _Piece:
    """Text of one voice (or of a whole cue) before prefixes are resolved."""

    text: str
    speaker: str | None
    start: float
    end: float
    voiced: bool = False  # its cue has voice spans: text outside them is nobody's


def _blocks(lines: list[str], first: int) -> Iterator[tuple[int, list[str]]]:
    """Runs of non-blank lines from index `first`, with the 1-based number of their first line."""
    block: list[str] = []
    for index in range(first, len(lines) + 1):
        line = lines[index] if index < len(lines) else ""
        if line.strip():
            block.append(line)
            continue
        if block:
            yield index - len(block) + 1, block
            block = []


def _timing(line: str, number: int) -> tuple[float, float]:
    match = _TIMING.fullmatch(line)
    if not match:
        raise IngestError(f"line {number}: malformed cue timing '{line.strip()}' "
                          "(expected hh:mm:ss.mmm --> hh:mm:ss.mmm)")
    start, end = parse_timestamp(match["start"]), parse_timestamp(match["end"])
    if end < start:
        raise IngestError(f"line {number}: the cue ends before it starts ('{line.strip()}')")
    return start, end


def _cue(number: int, block: list[str], timing_at: int) -> _Cue:
    start, end = _timing(block[timing_at], number + timing_at)
    return _Cue(start, end, "\n".join(block[timing_at + 1:]))


def _clean(fragment: str) -> str:
    """Tags out, entities resolved (in that order, so &lt;v&gt; stays text), whitespace collapsed."""
    return " ".join(html.unescape(_TAG.sub("", fragment)).split())


def _voices(cue: _Cue) -> list[_Piece]:
    """A cue split at its voice spans; text outside any voice has no speaker."""
    pieces: list[_Piece] = []
    speaker: str | None = None
    position = 0
    voiced = bool(_VOICE.search(cue.payload))
    for match in _VOICE.finditer(cue.payload):
        pieces.append(_Piece(_clean(cue.payload[position:match.start()]), speaker, cue.start, cue.end, voiced))
        speaker = _clean(match["name"] or "") or None
        position = match.end()
    pieces.append(_Piece(_clean(cue.payload[position:]), speaker, cue.start, cue.end, voiced))
    return [piece for piece in pieces if piece.text]


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02}:{secs:02}"


def _resolve_prefixes(pieces: list[_Piece], brackets: bool, declared: Iterable[str]) -> list[str]:
    """Give unattributed pieces the speaker named by their `Name:` (or `[Name]`) prefix when the evidence
    says it is one; returns the warnings about prefixes import was unsure of."""
    found: list[tuple[_Piece, Candidate]] = []
    for piece in pieces:
        if piece.speaker is not None:
            continue
        match = _COLON_PREFIX.fullmatch(piece.text) or (brackets and _BRACKET_PREFIX.fullmatch(piece.text))
        if match and is_name_like(match["label"]):
            found.append((piece, Candidate(match["label"].strip(), match["text"], f"cue at {_clock(piece.start)}")))
    voices = {piece.speaker for piece in pieces if piece.speaker}
    zoom_like = len(found) * 2 >= sum(1 for piece in pieces if piece.speaker is None) > 0
    verdict = weigh([candidate for _, candidate in found], voices.union(declared), labelled=zoom_like)
    for piece, candidate in found:
        if candidate.label in verdict.speakers:
            piece.speaker, piece.text = candidate.label, candidate.text
    return verdict.warnings


def _continue_speakers(pieces: list[_Piece]) -> None:
    """A whole cue without a speaker, after one with a speaker, is that speaker going on."""
    previous: str | None = None
    for piece in pieces:
        if piece.speaker is None and not piece.voiced:
            piece.speaker = previous
        previous = piece.speaker


def _turns(cues: list[_Cue], brackets: bool, declared: Iterable[str]) -> tuple[list[RawTurn], list[str]]:
    pieces = [piece for cue in cues for piece in _voices(cue)]
    warnings = _resolve_prefixes(pieces, brackets, declared)
    _continue_speakers(pieces)
    turns: list[RawTurn] = []
    for piece in pieces:
        if turns and turns[-1].speaker == piece.speaker:
            turns[-1].text += " " + piece.text
            turns[-1].end_time = piece.end
        else:
            turns.append(RawTurn(piece.text, piece.speaker, piece.start, piece.end))
    return turns, warnings


def _header_line(lines: list[str]) -> int:
    """Index of the WEBVTT line (blank lines before it are tolerated)."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or not re.fullmatch(r"WEBVTT(?:[ \t].*)?", lines[first].strip()):
        raise IngestError("not a WebVTT file (missing the WEBVTT header)")
    return first


def parse_vtt(text: str, declared: Iterable[str] = frozenset()) -> Parsed:
    """Decoded, normalised WebVTT text → turns (Teams voices, Zoom prefixes, plain captions);
    `declared` labels (a sidecar's) are speakers even when they speak once."""
    lines = text.split("\n")
    header = _header_line(lines)
    cues = []
    for number, block in _blocks(lines, header):
        if number == header + 1 or re.match(r"(NOTE|STYLE|REGION)(\s|$)", block[0]):
            continue  # the header block, comments, style sheets and region definitions
        if "-->" in block[0]:
            cues.append(_cue(number, block, 0))
        elif len(block) > 1 and "-->" in block[1]:
            cues.append(_cue(number, block, 1))  # an id line first (Teams: "<guid>/12-0")
        else:
            raise IngestError(f"line {number}: text outside a cue: '{block[0][:60]}' "
                              "(expected a cue timing line hh:mm:ss.mmm --> hh:mm:ss.mmm)")
    turns, warnings = _turns(cues, brackets=False, declared=declared)
    if not turns:
        raise IngestError("the WebVTT file contains no cues")
    return Parsed(format="vtt", turns=turns, warnings=warnings)


def parse_srt(text: str, declared: Iterable[str] = frozenset()) -> Parsed:
    """Decoded, normalised SRT text → turns (speakers from `Name:`, `[Name]` or `<v Name>`)."""
    cues = []
    for number, block in _blocks(text.split("\n"), 0):
        if "-->" in block[0]:
            cues.append(_cue(number, block, 0))  # the cue number is missing: tolerated
        elif block[0].strip().isdigit() and len(block) > 1:
            cues.append(_cue(number, block, 1))
        else:
            raise IngestError(f"line {number}: expected a cue number and a timing line "
                              f"(00:00:01,000 --> 00:00:04,000), found '{block[0][:60]}'")
    turns, warnings = _turns(cues, brackets=True, declared=declared)
    if not turns:
        raise IngestError("the SRT file contains no cues")
    return Parsed(format="srt", turns=turns, warnings=warnings)


def _is_webvtt(data: bytes) -> bool:
    return data.removeprefix(b"\xef\xbb\xbf").startswith(b"WEBVTT")


VTT = Format("vtt", (".vtt",), parse_vtt, sniff=_is_webvtt)
SRT = Format("srt", (".srt",), parse_srt)
