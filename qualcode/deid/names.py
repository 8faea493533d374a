"""Names in any script and case form: one spelling-free skeleton, then endings.

Transcripts spell one person as "Айгерим", "Айгерім", "Aigerim", and inflect
the name in Russian ("Ерлана", "Ерланом") and Kazakh ("Айгерімге",
"Айгерим-нің"). Comparing skeletons (Latin, Kazakh letters folded onto Russian
ones, vowels y/i merged, doubled letters collapsed) and then allowing a known
ending makes every such form match the participant's label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_CYRILLIC = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "і": "i", "к": "k", "қ": "k", "л": "l", "м": "m", "н": "n", "ң": "n",
    "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f",
    "х": "h", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "i", "ь": "", "э": "e",
    "ю": "iu", "я": "ia",
}
_LATIN = (("kh", "h"), ("y", "i"), ("q", "k"), ("w", "u"), ("j", "zh"), ("x", "ks"))

# Kazakh case, plural and possessive-derived suffixes (both vowel harmonies and voicings).
KAZAKH_SUFFIXES = (
    "ға ге қа ке а е на не ның нің дың дің тың тің ды ді ны ні ты ті н да де та те нда нде "
    "дан ден тан тен нан нен ндан нден мен бен пен дай дей тай тей ша ше дікі тікі нікі "
    "лар лер дар дер тар тер ым ім м ың ің ң"
).split()
_KAZAKH_CHAINS = ("лар лер дар дер тар тер дікі тікі нікі ым ім").split()
# "I am / we are / you are X" on a name or a place: "Нұрланмын", "Талдықорғанданмын", "Шиеліденбіз".
KAZAKH_PERSONAL = "мын мін бын бін пын пін мыз міз быз біз пыз піз сың сің сыз сіз".split()
# "the one in X" and "a person from X" on a place: "Тараздағы", "шымкенттік".
KAZAKH_PLACE = "ғы гі дағы дегі тағы тегі ндағы ндегі лық лік дық дік тық тік".split()
# Russian case endings of first names: added to a consonant stem, or replacing -а/-я/-й/-ь.
RUSSIAN_ADDED = "а у ом е ым ой ою ы и ем ей ею".split()
RUSSIAN_SOFT = "я ю ем е и ей ью ия ию ием ии".split()
RUSSIAN_REPLACING = "ы и е у ой ою ей ею ю я".split()

WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")


@lru_cache(maxsize=1 << 16)
def skeleton(word: str) -> str:
    """A spelling-free key: Latin letters, Kazakh folded, i/y merged, no doubled letters."""
    word = word.casefold().replace("’", "'")
    out = "".join(_CYRILLIC.get(ch, ch) for ch in word)
    if out.startswith("ye") or out.startswith("ie"):
        out = out[1:]
    for old, new in _LATIN:
        out = out.replace(old, new)
    out = re.sub(r"[^a-z]", "", out)
    return re.sub(r"(.)\1+", r"\1", out)


def _skeletons(words) -> frozenset[str]:
    return frozenset(skeleton(w) for w in words)


_CASES = frozenset(KAZAKH_SUFFIXES) | {a + b for a in _KAZAKH_CHAINS for b in KAZAKH_SUFFIXES}
# Every Kazakh ending of a name or a place as written, the case (if any) before the person.
KAZAKH_ENDINGS = frozenset({""} | _CASES | set(KAZAKH_PLACE)) | {a + b for a in _CASES | {""} for b in KAZAKH_PERSONAL}
_KK = _skeletons(KAZAKH_ENDINGS - {""})
_RU_ADDED = _skeletons(RUSSIAN_ADDED)
_RU_SOFT = _skeletons(RUSSIAN_SOFT)
_RU_REPLACING = _skeletons(RUSSIAN_REPLACING)
ENDINGS = _KK | _RU_ADDED | _RU_SOFT | _RU_REPLACING
MIN_STEM = 3


def inflects(token: str, name: str) -> bool:
    """Whether `token` (one word, any script) is `name` in some case form."""
    tok, base = skeleton(token), skeleton(name)
    if not base or not tok:
        return False
    if tok == base:
        return True
    if len(base) < MIN_STEM or not tok.startswith(base[:MIN_STEM]):
        return False
    if tok.startswith(base):
        soft = name.casefold()[-1:] in ("ь", "й", "я")
        # a suffix that starts with the name's last letter lost it to the skeleton ("Айгеріммен")
        for rest in {tok[len(base):], base[-1] + tok[len(base):]}:
            if rest in _KK or rest in _RU_ADDED or (soft and rest in _RU_SOFT):
                return True
    # -а/-я/-й names lose their last vowel: Светлана → Светланой, Дмитрий → Дмитрия
    for cut in ("ia", "a", "i", "e"):
        if base.endswith(cut) and len(base) - len(cut) >= MIN_STEM:
            stem = base[: -len(cut)]
            if tok.startswith(stem) and tok[len(stem):] in (_RU_REPLACING | _RU_SOFT) and tok != stem:
                return True
    return False


def strip_ending(word: str) -> str:
    """A word's skeleton without its case ending, to tell "Сапарова" and "Сапаровым" are one."""
    base = skeleton(word)
    for size in range(min(6, len(base) - 4), 0, -1):
        if base[-size:] in ENDINGS:
            return base[:-size]
    return base


def canonical(text: str) -> str:
    """The key under which every form of one name or place gets one pseudonym."""
    return " ".join(strip_ending(w) for w in WORD.findall(text)) or text.casefold().strip()


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str

    @property
    def head(self) -> str:
        """The word before a hyphen or apostrophe ("Айгерим" of "Айгерим-ге", "Aigerim" of "Aigerim's")."""
        return re.split(r"[-'’]", self.text, maxsplit=1)[0]


def tokens(text: str) -> list[Token]:
    return [Token(m.start(), m.end(), m.group()) for m in WORD.finditer(text)]


def name_match(token: Token, name: str) -> tuple[int, int] | None:
    """The span of `token` that is a form of `name`, or None.

    A hyphenated form counts whole when its tail is an ending ("Айгерим-ге"),
    otherwise only its head does ("Ерлан-аға": the name, not the honorific).
    """
    if inflects(token.text.replace("-", ""), name) and token.text.count("-") <= 1:
        return token.start, token.end
    head = token.head
    if head != token.text and inflects(head, name):
        tail = skeleton(token.text[len(head) + 1:])
        whole = tail in ENDINGS or tail == "s"
        return token.start, token.end if whole else token.start + len(head)
    return None


def is_capitalised(word: str) -> bool:
    return word[:1].isupper()
