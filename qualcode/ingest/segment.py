"""Coding units from speaker turns: the whole turn, single sentences, or windows of N sentences.

Sentence boundaries are rule-based, because no model may be downloaded. On the UD test sets in
shared/data/ud (bench/segment_eval.py; boundary F1, sentences joined by one space):

    Russian (Taiga)  spaCy blank ru sentencizer 0.748, razdel 0.855, razdel + rules 0.855
    Kazakh (KTB)     spaCy blank xx sentencizer 0.865, razdel 0.983, razdel + rules 0.996

so Russian, Kazakh and English use razdel, followed by a merge over abbreviations razdel does not
know (Kazakh "ж." = year, "б.з.б.", "млрд." before "АҚШ"; English "e.g.", "i.e.", "Prof.").
Razdel is also 5-10x faster (~25,000 sentences/s against 2,500-5,000). Other languages fall
back to the spaCy sentencizer over a blank pipeline (the language's own where spaCy has it, else
"xx"), which knows sentence-final marks of many scripts (。 । ؟) that razdel does not. In every language a
newline ends a sentence: a line break inside a turn is a paragraph break, not a wrap.
"""

import functools
import re

import razdel

from qualcode.common.errors import QualcodeError

RAZDEL_LANGUAGES = frozenset({"ru", "kk", "en"})

# Abbreviations razdel splits after (it knows Russian ones well); a sentence that ends in one
# of these is joined to the next, whatever follows, because they never close a sentence.
JOINING_ABBREVIATIONS = {
    "ru": frozenset(),
    "kk": frozenset({"ж", "жж", "ғ", "ғғ", "б.з.б", "б.з", "млн", "млрд", "трлн"}),
    "en": frozenset({"e.g", "i.e", "cf", "viz", "prof", "approx", "fig"}),
}

_LINE = re.compile(r"[^\n]+")
_TRAILING_ABBREVIATION = re.compile(r"(?:^|[\s(\d])([^\W\d_]+(?:\.[^\W\d_]+)*)\.$")
_WINDOW = re.compile(r"window:(\d+)")

Span = tuple[int, int]


def sentence_spans(text: str, language: str) -> list[Span]:
    """Sentences of `text` as stripped, non-empty (start, end) offsets, in order."""
    language = _primary_subtag(language)
    spans: list[Span] = []
    for line in _LINE.finditer(text):
        found = _line_sentences(line.group(), language)
        spans.extend(_shift(found, line.start()))
    return spans


def units(text: str, start: int, end: int, unit: str, language: str) -> list[Span]:
    """Coding units of the turn text[start:end], as absolute offsets into `text`."""
    unit = parse_unit(unit)
    turn = text[start:end]
    if unit == "turn":
        whole = _stripped(turn, 0, len(turn))
        return _shift([whole], start) if whole else []
    sentences = _shift(sentence_spans(turn, language), start)
    if unit == "sentence":
        return sentences
    size = int(unit.removeprefix("window:"))
    return [
        (group[0][0], group[-1][1])
        for group in (sentences[i : i + size] for i in range(0, len(sentences), size))
    ]


def parse_unit(unit: str) -> str:
    """Validate a unit name ('turn', 'sentence', 'window:N') so a typo fails before any work."""
    if unit in ("turn", "sentence"):
        return unit
    window = _WINDOW.fullmatch(unit)
    if window is None:
        raise QualcodeError(f"unknown unit {unit!r} (use turn, sentence or window:N)")
    size = int(window.group(1))
    if size < 1:
        raise QualcodeError(f"window size must be at least 1, got {unit!r}")
    return f"window:{size}"


def _primary_subtag(language: str) -> str:
    """'ru-RU', 'kk_KZ', 'EN' → 'ru', 'kk', 'en': documents may carry regional tags."""
    return language.strip().lower().replace("_", "-").split("-")[0]


def _line_sentences(line: str, language: str) -> list[Span]:
    """Sentences of one line (no newline inside), relative to the line."""
    if language in RAZDEL_LANGUAGES:
        found = [(s.start, s.stop) for s in razdel.sentenize(line)]
        found = _join_after_abbreviations(line, found, JOINING_ABBREVIATIONS[language])
    else:
        found = [(s.start_char, s.end_char) for s in _pipeline(language)(line).sents]
    stripped = (_stripped(line, s, e) for s, e in found)
    return [span for span in stripped if span]


def _join_after_abbreviations(
    text: str, spans: list[Span], abbreviations: frozenset
) -> list[Span]:
    """Merge a sentence into the next when it ends in an abbreviation that cannot end one."""
    joined: list[Span] = []
    for start, end in spans:
        if joined and _ends_in(text[joined[-1][0] : joined[-1][1]], abbreviations):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def _ends_in(sentence: str, abbreviations: frozenset) -> bool:
    """True when the sentence's last word, before its final dot, is one of `abbreviations`."""
    last = _TRAILING_ABBREVIATION.search(sentence)
    return last is not None and last.group(1).lower() in abbreviations


@functools.lru_cache(maxsize=None)
def _pipeline(language: str):
    """A blank spaCy pipeline with a sentencizer; built once per language (it takes ~0.1–0.5 s).
    spaCy is imported here, not at module level: it costs seconds and en/ru/kk never need it."""
    import spacy

    try:
        nlp = spacy.blank(language)
    except ImportError:  # no spaCy class, or one that needs an extra tokenizer package
        nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    return nlp


def _stripped(text: str, start: int, end: int) -> Span | None:
    """(start, end) narrowed to exclude surrounding whitespace; None when nothing is left."""
    piece = text[start:end]
    left = len(piece) - len(piece.lstrip())
    right = len(piece.rstrip())
    return (start + left, start + right) if right > left else None


def _shift(spans: list[Span], offset: int) -> list[Span]:
    """Spans relative to a substring, made relative to the text that holds it."""
    return [(start + offset, end + offset) for start, end in spans]
