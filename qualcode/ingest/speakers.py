"""What a speaker label looks like, and which speaker is the moderator.

Every reader meets the same question: is "Итог:" a speaker or the start of a
sentence? Here is the shape a label must have (short, no sentence punctuation)
and the moderator's labels; `evidence.weigh` decides which of a file's
name-like prefixes are speakers.
"""

from __future__ import annotations

import re
from collections import Counter

from qualcode.common.errors import IngestError
from qualcode.ingest.base import Parsed, RawTurn

MAX_WORDS = 4
MAX_CHARS = 40

# One word of a label: initials "А.Б.", an abbreviation "Мод." / "Dr.", a number "№3",
# or a word with inner hyphens/apostrophes "Д-р", "O'Neil", "P3"; optionally in
# parentheses "(модератор)" and followed by one comma ("Smith, John" in Teams).
_WORD = re.compile(
    r"\(?(?:(?:[^\W\d_]\.){2,3}|[^\W\d_]{1,4}\.|[№#]\d*|\w+(?:[-'’]\w+)*)\)?,?"
)

# Casefolded labels that name the person running the group (ru, kk, en).
MODERATOR_LABELS = frozenset({
    "moderator", "facilitator", "interviewer", "host", "mod", "int", "i",
    "модератор", "ведущий", "ведущая", "фасилитатор", "интервьюер", "мод", "вед", "м", "и",
    "жүргізуші",
})
_TRAILER = re.compile(r"[\s\d.:;,#№()\-]+$")
_NUMBERED = re.compile(r"(?P<stem>[^\W\d_]+(?:\s+[^\W\d_]+)?)\s*[№#]?\s*\d+")
_PARENS = re.compile(r"\(([^()]*)\)")


def is_name_like(prefix: str) -> bool:
    """Could this text before a ':' be a speaker label (not proof: see evidence.weigh)?"""
    label = prefix.strip()
    if not label or len(label) > MAX_CHARS or not label[0].isalpha():
        return False
    words = label.split()
    if len(words) > MAX_WORDS or not all(_WORD.fullmatch(word) for word in words):
        return False
    commas = [i for i, word in enumerate(words) if word.endswith(",")]
    # a comma is only "Surname, Given name": once, and followed by a capitalised word
    return not commas or (
        len(commas) == 1 and commas[0] + 1 < len(words) and words[commas[0] + 1][0].isupper()
    )


def series(label: str) -> str | None:
    """"Участник 7" → "участник", "P3" → "p": the stem of a numbered label."""
    match = _NUMBERED.fullmatch(label)
    return match["stem"].casefold() if match else None


def _core(label: str) -> str:
    return _TRAILER.sub("", label.casefold()).strip()


def is_moderator(label: str) -> bool:
    """True for "Модератор 2", "Мод.", "И:", "Aigerim (moderator)" and the like."""
    without_parens = _PARENS.sub(" ", label)
    if _core(without_parens) in MODERATOR_LABELS:
        return True
    return any(_core(inner) in MODERATOR_LABELS for inner in _PARENS.findall(label))


def guess_moderator(turns: list[RawTurn], override: str | None = None) -> str | None:
    """The moderator's label: the override (must be a speaker), else the most frequent
    speaker with a moderator label, else None. Question marks are not used: a wrong
    silent guess would mislabel every coding by role."""
    speakers = [turn.speaker for turn in turns if turn.speaker and not turn.title]
    if override:
        wanted = override.strip().casefold()
        for speaker in speakers:
            if speaker.casefold() == wanted:
                return speaker
        found = ", ".join(dict.fromkeys(speakers)) or "none"
        raise IngestError(f"moderator '{override}' is not among the speakers found ({found})")
    counts = Counter(speaker for speaker in speakers if is_moderator(speaker))
    return max(counts, key=counts.__getitem__) if counts else None


def role_of(label: str, moderator: str | None) -> str:
    """'moderator' for the chosen moderator and any other moderator-labelled speaker."""
    return "moderator" if label == moderator or is_moderator(label) else "participant"


def rename_speakers(parsed: Parsed, doc_attrs: dict, people: dict, rename: dict[str, str]) -> tuple[dict, dict]:
    """Apply a researcher's fixes to speaker labels before import: rename, or merge two labels by giving
    them one name. Changes the parsed turns in place; returns the sidecar attributes under the new labels."""
    wanted = {old: new.strip() for old, new in rename.items() if new and new.strip() and new.strip() != old}
    if not wanted:
        return doc_attrs, people
    for label, new in wanted.items():
        if not is_name_like(new):
            raise IngestError(f"'{new}' (for '{label}') does not look like a speaker label")
    relabel = lambda label: wanted.get(label, label)  # noqa: E731
    for turn in parsed.turns:
        if turn.speaker:
            turn.speaker = relabel(turn.speaker)
    if parsed.moderator:
        parsed.moderator = relabel(parsed.moderator)

    def merged(by_label: dict) -> dict:
        result: dict = {}
        for label, attrs in by_label.items():
            result[relabel(label)] = {**attrs, **result.get(relabel(label), {})}
        return result
    parsed.participant_attributes = merged(parsed.participant_attributes)
    moderator = doc_attrs.get("moderator")
    doc_attrs = {**doc_attrs, "moderator": relabel(moderator)} if moderator else doc_attrs
    return doc_attrs, merged(people)
