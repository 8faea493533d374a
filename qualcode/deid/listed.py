"""Listed names (places, organisations) found in any case form and spelling.

A list says "Талдыкорган"; speakers say "из Талдыкоргана", "Талдықорғанда",
"Талдыкорганданмын", "Kaspi-ден". Every listed form gets its stem and the
endings it may take (Russian declension chosen by how the word ends, every
Kazakh suffix of `names.KAZAKH_ENDINGS`), with Kazakh letters folded onto
Russian ones, so that one lookup per split point of a word finds it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qualcode.deid.names import KAZAKH_ENDINGS, is_capitalised

DATA = Path(__file__).resolve().parent.parent / "data"
# Letters and digits, joined by a hyphen, an apostrophe or a dot ("Усть-Каменогорск", "Kaspi.kz", "Tele2").
TOKEN = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*")
_FOLD = str.maketrans("әғқңөұүһіё", "агкноууhие")
_ADJECTIVE = re.compile(r"[а-я]{3}(?:ий|ый|ой|ая|яя|ое|ее)$")
_NUMBERED = re.compile(r"-\d+$")  # "Самал-2", "Аксай-4"
_ADJ_ENDINGS = {"ий": "ий ого ому им ом ие их", "ый": "ый ого ому ым ом ые ых", "ой": "ой ого ому ым ом",
                "ая": "ая ой ую ою", "яя": "яя ей юю", "ое": "ое ого ому ым ом", "ее": "ее его ему им ем"}
_NOUN_ENDINGS = {"а": "а ы и е у ой ою", "я": "я и е ю ей ею", "й": "й я ю ем е и", "ь": "ь и ью я ю ем е"}
_CONSONANT_ENDINGS = " а у ом е ы".split(" ")
_RUSSIAN = re.compile(r"^[а-яё-]+$")
_KAZAKH_OR_POSSESSIVE = frozenset(e.translate(_FOLD) for e in KAZAKH_ENDINGS) | {"'s"}


def fold(word: str) -> str:
    """Case and Kazakh letters folded: "Талдықорған" and "талдыкорган" are one key."""
    return word.casefold().translate(_FOLD).replace("’", "'")


def russian_forms(word: str) -> tuple[str, frozenset[str]]:
    """The stem of a (folded) Russian word and the endings its cases add to it."""
    if not _RUSSIAN.match(word) or word[-1] in "оеиыуюэ" and not _ADJECTIVE.search(word):
        return word, frozenset({""})  # Latin, or indeclinable ("Актобе", "Алматы", "Кокшетау")
    if _ADJECTIVE.search(word):
        return word[:-2], frozenset(_ADJ_ENDINGS[word[-2:]].split())
    if word[-1] in _NOUN_ENDINGS:
        return word[:-1], frozenset(_NOUN_ENDINGS[word[-1]].split())
    return word, frozenset(_CONSONANT_ENDINGS)


def is_adjective(word: str) -> bool:
    return bool(_ADJECTIVE.search(fold(word)))


@dataclass(frozen=True)
class Listed:
    """One form of a listed name; `payload` is what the list says about it (a kind, a type)."""

    form: str
    payload: object
    ambiguous: bool  # "!" in the list: also a common word or a first name


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    entry: Listed
    numbered: bool  # "Самал-2": the number says it is the place


class Lexicon:
    """Multi-word forms match their earlier words exactly and decline their last word."""

    def __init__(self, entries: list[Listed]):
        self._stems: dict[str, list[tuple[frozenset[str], tuple[str, ...], Listed]]] = defaultdict(list)
        for entry in entries:
            *fixed, last = [fold(w) for w in entry.form.split()]
            stem, endings = russian_forms(last)
            self._stems[stem].append((endings, tuple(fixed), entry))
            self._stems[last].append((_KAZAKH_OR_POSSESSIVE, tuple(fixed), entry))

    def _last_words(self, word: str):
        key = fold(word)
        for cut in range(len(key), 1, -1):
            rest = key[cut:]
            for endings, fixed, entry in self._stems.get(key[:cut], ()):
                if rest in endings or rest[:1] == "-" and rest[1:] in endings:
                    yield fixed, entry

    def find(self, text: str) -> list[Hit]:
        """Every listed name in `text` whose first word is capitalised, longest first at each place."""
        words = list(TOKEN.finditer(text))
        hits = []
        for i, m in enumerate(words):
            word, numbered = m.group(), bool(_NUMBERED.search(m.group()))
            word = _NUMBERED.sub("", word)
            for fixed, entry in self._last_words(word):
                first = i - len(fixed)
                if first < 0 or [fold(w.group()) for w in words[first:i]] != list(fixed):
                    continue
                if any(text[a.end():b.start()].strip() for a, b in zip(words[first:i], words[first + 1:i + 1])):
                    continue
                if is_capitalised(words[first].group()) or words[first].group()[:1].isdigit():
                    hits.append(Hit(words[first].start(), m.end(), entry, numbered))
        return sorted(hits, key=lambda h: (h.start, -h.end))


def read(name: str, columns: bool) -> list[tuple[str, list[tuple[str, bool]]]]:
    """(first column or "", [(form, ambiguous)]) per line of a list in `qualcode/data`."""
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, _, forms = line.partition("|") if columns else ("", "", line)
        found = [f.strip() for f in forms.replace("|", ";").split(";") if f.strip()]
        rows.append((kind.strip(), [(f.lstrip("!").strip(), f.startswith("!")) for f in found]))
    return rows


@lru_cache(maxsize=None)
def lexicon(name: str, columns: bool) -> Lexicon:
    return Lexicon([Listed(form, kind, ambiguous) for kind, forms in read(name, columns) for form, ambiguous in forms])
