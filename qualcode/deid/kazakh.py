"""Names in Kazakh sentences, where Natasha does not read: after a title, before "деген", before a surname.

Kazakh news and speech name a person after a title or a role ("Президент
Қасым-Жомарт Тоқаев", "облысының әкімі Асайын Байханов"), before a word that
introduces a name ("Марат деген жігіт", "Айжан есімді"), or as a first name
before a surname ("Асайын Байханов", "Гүлшат Әбдірахманқызы"). Russian
sentences are left to Natasha, which reads them better.
"""

from __future__ import annotations

import re

from qualcode.deid import listed
from qualcode.deid.candidate import Candidate
from qualcode.deid.ner import cyrillic_sentences
from qualcode.deid.rules import CAP, LEADING_WORDS, SURNAME

TITLES = ("президент премьер-министр министр министрі вице-министр әкім әкімі депутат депутаты сенатор ақын жазушы "
          "әнші ғалым журналист журналисті дәрігер дәрігері мұғалім мұғалімі директор директоры төраға төрағасы "
          "басшы басшысы бастығы спортшы футболшы боксшы суретші актер актриса профессор академик тренер тренері "
          "маман хатшы хатшысы орынбасары қызметкер қызметкері батыр").split()
TITLED = re.compile(rf"(?<![^\W\d_])(?i:{'|'.join(TITLES)})\s+({CAP}(?:\s+{CAP}){{0,2}})")
# "есімді" (named) introduces a person; "деген", "атты" (called) only before a word for one ("деген жігіт").
PERSON_WORDS = ("жігіт кісі адам қыз әйел бала апай ағай әпке тәте дәрігер мұғалім қызметкер маман көрші дос "
                "бастық жүргізуші курьер").split()
INTRODUCED = re.compile(rf"(?<![^\W\d_])({CAP})(?=\s+(?:есімді\s|(?:деген|атты)\s+(?:{'|'.join(PERSON_WORDS)})))")
BEFORE_SURNAME = re.compile(rf"(?<![^\W\d_])({CAP})\s+$")


def find(text: str) -> list[Candidate]:
    """PERSON candidates in the Kazakh sentences of `text`."""
    found = []
    for offset, sentence, language in cyrillic_sentences(text):
        if language == "kk":
            found += [Candidate(offset + s, offset + e, "PERSON", source, confidence)
                      for s, e, source, confidence in _names(sentence)]
    return found


def _names(sentence: str):
    for m in TITLED.finditer(sentence):
        end = _name_end(sentence, m.start(1), m.end(1))
        if end > m.start(1):
            yield m.start(1), end, "pattern:title", 0.8
    for m in INTRODUCED.finditer(sentence):
        if not _listed(m.group(1)):
            yield m.start(1), m.end(1), "pattern:introduced", 0.7
    for m in SURNAME.finditer(sentence):
        first = BEFORE_SURNAME.search(sentence[:m.start()])
        if first and not _listed(first.group(1)) and first.group(1).casefold() not in LEADING_WORDS:
            yield first.start(1), m.end(), "pattern:surname", 0.7


def _listed(word: str) -> bool:
    """A listed place or organisation, which a title or a surname pattern must not take for a name."""
    return any(lex.find(word) for lex in (listed.lexicon("places_kz.txt", True),
                                          listed.lexicon("organizations_kz.txt", False)))


def _name_end(sentence: str, start: int, end: int) -> int:
    """The end of a titled name: its capitalised words up to the first listed place or organisation."""
    stop = start
    for word in re.finditer(r"\S+", sentence[start:end]):
        if _listed(word.group()):
            break
        stop = start + word.end()
    return stop
