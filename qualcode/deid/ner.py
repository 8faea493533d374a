"""Natasha's Russian NER, loaded once, from the model files inside its PyPI package (no download)."""

from __future__ import annotations

import re
from functools import lru_cache

from qualcode.deid.candidate import Candidate
from qualcode.common.errors import QualcodeError

_TYPES = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"}
_CONFIDENCE = {"PER": 0.8, "LOC": 0.7, "ORG": 0.6}
KAZAKH_SHARE = 0.15  # a sentence with more words spelled with Kazakh letters is Kazakh
# Natasha reads a capitalised verb opening a sentence as a name ("Пишите Ерлану", "Перезвоните мне");
# no Russian or Kazakh name ends like an imperative or an infinitive.
_VERB = re.compile(r"(?:ите|йте|ться|тся|ть)$", re.IGNORECASE)
_WORD = re.compile(r"\S+")
_KAZAKH_LETTERS = re.compile(r"[әғқңөұүһі]", re.IGNORECASE)
_CYRILLIC_WORD = re.compile(r"[а-яёәғқңөұүһі]{2,}", re.IGNORECASE)
# Kazakh words spelled with Russian letters only, frequent enough to tell a short Kazakh sentence.
_KAZAKH_WORDS = frozenset("ол мен сен неге керек деп емес сол осы енді екен жатыр болды болса берді келді деді "
                          "мына бе ма ме па пе де".split())


@lru_cache(maxsize=1)
def _pipeline():
    try:
        from natasha import NewsEmbedding, NewsNERTagger, Segmenter
    except ImportError:
        raise QualcodeError("Russian name recognition needs the natasha package (pip install natasha)") from None
    return Segmenter(), NewsNERTagger(NewsEmbedding())


def cyrillic_sentences(text: str):
    """(offset, sentence, "ru" or "kk") for every sentence written in Cyrillic.

    Participants switch language mid-turn, so the choice is made per sentence;
    on Kazakh, Natasha mistakes capitalised words for names and places.
    """
    from razdel import sentenize

    for sentence in sentenize(text):
        words = _CYRILLIC_WORD.findall(sentence.text)
        kazakh = sum(1 for w in words if _KAZAKH_LETTERS.search(w) or w.casefold() in _KAZAKH_WORDS)
        if words:
            yield sentence.start, sentence.text, "kk" if kazakh > len(words) * KAZAKH_SHARE else "ru"


def russian_sentences(text: str):
    """(offset, sentence) for every sentence Natasha should read: Cyrillic, and not Kazakh."""
    return ((start, sentence) for start, sentence, language in cyrillic_sentences(text) if language == "ru")


def ner_candidates(text: str) -> list[Candidate]:
    """PERSON, LOCATION and ORGANIZATION spans Natasha finds in the Russian sentences of `text`."""
    from natasha import Doc

    segmenter, tagger = _pipeline()
    found = []
    for offset, sentence in russian_sentences(text):
        doc = Doc(sentence)
        doc.segment(segmenter)
        doc.tag_ner(tagger)
        for span in doc.spans:
            start, stop = _without_verbs(sentence, span.start, span.stop) if span.type == "PER" else (span.start,
                                                                                                      span.stop)
            if start < stop:
                found.append(Candidate(offset + start, offset + stop, _TYPES[span.type], "natasha",
                                       _CONFIDENCE[span.type]))
    return found


def _without_verbs(text: str, start: int, stop: int) -> tuple[int, int]:
    """The span less any verb-shaped words at its edges (possibly nothing)."""
    words = [m for m in _WORD.finditer(text, start, stop)]
    while words and _VERB.search(words[0].group().strip(",.!?")):
        words.pop(0)
    while words and _VERB.search(words[-1].group().strip(",.!?")):
        words.pop()
    return (words[0].start(), words[-1].end()) if words else (start, start)
