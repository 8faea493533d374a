"""Plain-text transcripts, and the line → turn builder the Word reader shares.

Transcription tools and typists write speakers in a handful of layouts:

    Модератор: текст                      [00:01:02] Модератор: текст   (00:01) ...
    Модератор [00:01:02]: текст           Rev:   Speaker 1 (00:00:01):   + text below
    Otter/Teams:  Aigerim  0:03  + text below
    Teams cues:   0:00:03.120 --> 0:00:07.400 / Name / text

A label only counts once evidence.weigh accepts it: "Итог: всё плохо" stays in
the current turn, "Нұрлан: Мен Нұрланмын…" from a participant who speaks once
starts a turn, and either is reported when import is unsure. A label after a
leading timestamp, a Rev header and a Teams cue name are unambiguous layouts.
Lines without a label continue the current turn; a timestamp without a
confirmed label starts an unattributed turn, since the time marks a new
utterance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

from qualcode.common.errors import IngestError
from qualcode.ingest.times import to_seconds
from qualcode.ingest.base import Format, Parsed, RawTurn
from qualcode.ingest.evidence import Candidate, weigh
from qualcode.ingest.speakers import is_name_like

TIME = r"\d{1,3}(?::[0-5]?\d){1,2}(?:[.,]\d{1,3})?"
# a label is short and ends in a non-space: bounded so that long lines cannot backtrack for long
_LABEL = r"(?P<label>[^:\[\]]{0,79}?[^:\[\]\s])"
_ARROW = re.compile(rf"(?P<start>{TIME})\s*-->\s*(?P<end>{TIME})")
_LEADING_STAMP = re.compile(rf"[\[(](?P<time>{TIME})[\])]\s*(?P<rest>.*)", re.S)
_LABEL_STAMP = re.compile(rf"{_LABEL}\s*[\[(](?P<time>{TIME})[\])]\s*(?:(?P<colon>:)\s*(?P<text>.*))?", re.S)
_LABEL_TIME = re.compile(rf"{_LABEL}\s+(?P<time>{TIME})")
# markdown emphasis around the label ("**Модератор:**") is tolerated; a colon followed
# by a digit or "/" is a clock time or a URL, not a label
_LABEL_COLON = re.compile(rf"[*_]*{_LABEL}[*_]*\s*:(?![\d/])[*_]*\s*(?P<text>.*)", re.S)
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\u2028\u2029]")


def split_lines(text: str) -> list[str]:
    """Physical lines, whatever line or paragraph separator the source used."""
    return _LINE_BREAKS.split(text)


@dataclass(frozen=True)
class Line:
    """One line as a reader hands it to build_turns.

    `label`/`rest` carry a speaker that layout suggests (a bold run, a table
    cell); it still has to be confirmed, and `text` is kept if it is not.
    """

    text: str
    label: str | None = None
    rest: str = ""
    title: bool = False


@dataclass
class _Head:
    """A line shaped like the start of a turn."""

    label: str | None  # candidate speaker; None for a bare timestamp
    text: str  # what follows the label
    fallback: str  # the line's text if the label is not confirmed
    start: float | None = None
    end: float | None = None
    timed: bool = False  # starts a turn even without a confirmed label
    certain: bool = False  # the layout leaves no doubt that this is a speaker
    name_line: int | None = None  # index of a Teams cue's name line


def _clean_label(label: str) -> str:
    return " ".join(label.split())


def _labelled(line: str) -> tuple[str, str, float | None, bool] | None:
    """(label, text, time, certain) when the line starts with a label in any layout.

    Rev's "Name (00:00:01):" is certain; "Name 0:03" or "Name:" may be prose.
    (A label after a leading "[00:01:02]" is certain too: see _head.)
    """
    for pattern in (_LABEL_STAMP, _LABEL_TIME, _LABEL_COLON):
        match = pattern.fullmatch(line)
        if match:
            found = match.groupdict()
            time = to_seconds(found["time"]) if found.get("time") else None
            return _clean_label(found["label"]), (found.get("text") or "").strip(), time, bool(found.get("colon"))
    return None


def _head(line: Line) -> _Head | None:
    if line.label is not None:
        return _Head(_clean_label(line.label), line.rest.strip(), line.text)
    text = line.text.strip()
    arrow = _ARROW.fullmatch(text)
    if arrow:
        return _Head(None, "", "", to_seconds(arrow["start"]), to_seconds(arrow["end"]), timed=True)
    stamp = _LEADING_STAMP.fullmatch(text)
    if stamp:
        text = stamp["rest"].strip()
    start = to_seconds(stamp["time"]) if stamp else None
    found = _labelled(text)
    if found:
        label, rest, time, certain = found
        return _Head(label, rest, text, start if stamp else time, timed=bool(stamp), certain=certain or bool(stamp))
    return _Head(None, text, text, start, timed=True) if stamp else None


def _attach_cue_names(lines: list[Line], heads: list[_Head | None]) -> None:
    """A Teams cue "start --> end" is followed by a name line and then the text."""
    for i, head in enumerate(heads):
        if head is None or head.label is not None or head.end is None:
            continue
        following = islice((j for j in range(i + 1, len(lines)) if lines[j].text.strip()), 2)
        name_at, text_at = (list(following) + [None, None])[:2]
        if name_at is None or text_at is None or heads[name_at] is not None or lines[name_at].title:
            continue
        after = heads[text_at]
        if lines[text_at].title or (after is not None and after.end is not None):
            continue
        name = _clean_label(lines[name_at].text)
        if is_name_like(name):
            head.label, head.name_line, head.certain = name, name_at, True


def _tidy(parts: list[str]) -> str:
    """Strip lines, drop outer blank lines and keep one blank line between paragraphs."""
    text = "\n".join(line.strip() for part in parts for line in part.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _chain_end_times(turns: list[RawTurn]) -> None:
    """A timed turn without an end ends where the next turn starts, if that is timed."""
    timed = [turn for turn in turns if not turn.title]
    for turn, after in zip(timed, timed[1:]):
        if turn.end_time is None and None not in (turn.start_time, after.start_time) and (
            after.start_time >= turn.start_time
        ):
            turn.end_time = after.start_time


def _speakers(lines: list[Line], heads: list[_Head | None], declared: Iterable[str],
              numbered: bool) -> tuple[set[str], list[str]]:
    """The confirmed labels, and what import is unsure of ("line 14: …" when lines are the file's lines)."""
    def said(i: int, head: _Head) -> str:  # a label alone on its line: the turn goes on below it
        below = (line.text for line in lines[i + 1:] if line.text.strip())
        return head.text or next(below, "")

    candidates = [Candidate(head.label, said(i, head), f"line {i + 1}" if numbered else None, head.certain)
                  for i, head in enumerate(heads) if head and head.label]
    filled = sum(1 for line in lines if line.text.strip() and not line.title)
    named = sum(1 for candidate in candidates if is_name_like(candidate.label))
    verdict = weigh(candidates, declared, labelled=named * 2 >= filled > 0)
    return verdict.speakers, verdict.warnings


def build_turns(lines: list[Line], declared: Iterable[str] = frozenset(),
                numbered: bool = True) -> tuple[list[RawTurn], list[str]]:
    """Turns from lines in order — confirmed labels and timestamps start turns, other lines continue
    the current one, titles stand on their own — and the warnings about labels import was unsure of.
    `numbered`: the lines are the file's own, so a warning can name the line."""
    heads = [None if line.title else _head(line) for line in lines]
    _attach_cue_names(lines, heads)
    speakers, warnings = _speakers(lines, heads, declared, numbered)

    blocks: list[tuple[RawTurn, list[str]]] = []
    current: list[str] | None = None
    skip: set[int] = set()
    for i, (line, head) in enumerate(zip(lines, heads)):
        if i in skip:
            continue
        if line.title:
            blocks.append((RawTurn(text="", title=True), [line.text]))
            current = None
        elif head and (head.label in speakers or head.timed):
            confirmed = head.label in speakers
            if confirmed and head.name_line is not None:
                skip.add(head.name_line)
            current = [head.text if confirmed else head.fallback]
            turn = RawTurn(text="", speaker=head.label if confirmed else None,
                           start_time=head.start, end_time=head.end)
            blocks.append((turn, current))
        elif current is not None:
            current.append(line.text)
        elif line.text.strip():
            current = [line.text]
            blocks.append((RawTurn(text=""), current))

    turns = [turn for turn, _ in blocks]
    _chain_end_times(turns)
    for turn, parts in blocks:
        turn.text = _tidy(parts)
    return [turn for turn in turns if turn.text], warnings


def parse_txt(text: str, declared: Iterable[str] = frozenset()) -> Parsed:
    """A decoded, normalised .txt transcript → speaker turns; `declared` labels
    (e.g. from an attribute sidecar) are speakers even when they speak once."""
    turns, warnings = build_turns([Line(line) for line in split_lines(text)], declared)
    if not turns:
        raise IngestError("the text file contains no text")
    return Parsed(format="txt", turns=turns, warnings=warnings)


TXT = Format("txt", (".txt", ".text", ".md"), parse_txt)
