"""Which language each turn is in: ru, kk, en or other — offline, by counting.

Focus groups in Kazakhstan switch between Russian and Kazakh within one
conversation, so a document-wide guess mislabels whole turns (and a single
Kazakh line used to make a Russian document "kk"). Each turn is judged on
its own words: Kazakh has nine letters Russian lacks (ә ғ қ ң ө ұ ү һ і),
and a few frequent words without them; Russian is recognised by its
function words, English by Latin script and its function words. A name
or a place with a Kazakh letter in a Russian sentence is outweighed by the
sentence's Russian words. A turn too short to judge ("Да.", "Иә, солай")
takes its neighbours' language rather than a guess. The document's language
is the majority by words, and all of them are listed.
"""

from __future__ import annotations

import re
from collections import Counter

KAZAKH_LETTERS = frozenset("әғқңөұүһі")
# letters of other Cyrillic alphabets (Ukrainian, Uzbek, Tajik, Tatar): not ru, not kk
OTHER_CYRILLIC = frozenset("ўҳїєґҗҷӣӯ")
# frequent Kazakh words written without a Kazakh-only letter
KAZAKH_WORDS = frozenset(
    "мен сен ол олар бар бе ба ма ме па пе та те де деп деген дейді керек емес екен еді болды болады "
    "болса сол осы мына рет жерде сосын содан онда бала балалар апа ата жыл сияқты туралы бойынша "
    "алып барып келеді береді алады жатыр отыр жоқ рахмет рақмет".split())
RUSSIAN_WORDS = frozenset(
    "и в во на что это я с со как а по но так все всё у мы они было был была были очень есть нет он "
    "она вот же бы только уже если или когда там тоже надо нужно можно меня мне нас нам для из за от "
    "до чтобы потому просто даже ещё еще раз к ко о об про то этот эта эти его её их вы вас вам ты при "
    "без через после где здесь тут сейчас ну ли ни какой какие который которые потом тогда всегда "
    "вообще сам сама себя своё свой".split())
ENGLISH_WORDS = frozenset(
    "the a an and or but is are was were be been i you we they he she it to of in on at for with that "
    "this not have has had do does did my our your there what yes no so if can from by "
    "about just very because when how would will".split())
# the winning cue words: at least two, more than the other side's, and this share of the Cyrillic words
SHARE = 0.1

MIN_WORDS = 4  # fewer words than this: too short to judge, inherit
_WORD = re.compile(r"[^\W\d_]+")


def _script(word: str) -> str:
    letter = word[0]
    if "\u0400" <= letter <= "\u04ff":
        return "cyrillic"
    return "latin" if letter.isascii() else "other"


def by_letters(text: str) -> str:
    """The fallback for text too short to judge by words: Latin letters → en, Kazakh letters → kk, else ru."""
    cyrillic = sum(1 for ch in text if "\u0400" <= ch <= "\u04ff")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    if cyrillic < latin:
        return "en"
    kazakh = sum(1 for ch in text.lower() if ch in KAZAKH_LETTERS)
    return "kk" if kazakh > 0.01 * max(cyrillic, 1) else "ru"


def detect(text: str) -> str | None:
    """ru, kk, en or other for a piece of text; None when it is too short or too mixed to tell."""
    words = [word.lower() for word in _WORD.findall(text)]
    if len(words) < MIN_WORDS:
        return None
    scripts = Counter(_script(word) for word in words)
    script, count = scripts.most_common(1)[0]
    if script == "other":
        return "other"
    if script == "latin":
        # plain ASCII without a single English function word is still more likely English than not
        if any(word in ENGLISH_WORDS for word in words) or all(word.isascii() for word in words):
            return "en"
        return "other"
    cyrillic = [word for word in words if _script(word) == "cyrillic"]
    if any(letter in OTHER_CYRILLIC for word in cyrillic for letter in word):
        return "other"
    kazakh = sum(bool(KAZAKH_LETTERS.intersection(word)) or word in KAZAKH_WORDS for word in cyrillic)
    russian = sum(word in RUSSIAN_WORDS for word in cyrillic)
    if max(kazakh, russian) < max(2, SHARE * len(cyrillic)) or kazakh == russian:
        return None
    return "kk" if kazakh > russian else "ru"


def _weight(text: str) -> int:
    return len(_WORD.findall(text))


def majority(texts: list[str], languages: list[str]) -> list[str]:
    """The languages present, the one with the most words first (ties: first seen)."""
    words: Counter[str] = Counter()
    for text, language in zip(texts, languages):
        words[language] += _weight(text)
    return [language for language, count in words.most_common() if count] or list(dict.fromkeys(languages))


def turn_languages(texts: list[str], default: str | None = None) -> list[str]:
    """One language per turn text. Undecided turns take the nearest decided neighbours' language when
    those on both sides agree (or only one side has any); between two languages, the one its letters
    point to, else the document's majority; with nothing decided at all, `default` or what the letters
    of all the texts suggest."""
    found = [detect(text) for text in texts]
    decided = [(text, language) for text, language in zip(texts, found) if language]
    ranked = majority(*zip(*decided)) if decided else []
    document = ranked[0] if ranked else (default or by_letters(" ".join(texts)))
    result: list[str] = []
    for i, language in enumerate(found):
        if language is None:
            before = next((found[j] for j in range(i - 1, -1, -1) if found[j]), None)
            after = next((found[j] for j in range(i + 1, len(found)) if found[j]), None)
            sides = {side for side in (before, after) if side}
            letters = by_letters(texts[i])
            language = sides.pop() if len(sides) == 1 else letters if letters in sides else document
        result.append(language)
    return result


def guess_language(text: str) -> str:
    """The main language of a whole text: the majority over its paragraphs (lines), each judged alone."""
    lines = [line for line in text.split("\n") if line.strip()] or [text]
    return majority(lines, turn_languages(lines))[0]


def transcript_languages(texts: list[str], given: str | None = None) -> tuple[list[str], list[str]]:
    """(each turn's language, the document's languages with the majority first); a language `given`
    by the researcher (import --language) holds for every turn."""
    turns = [given] * len(texts) if given else turn_languages(texts)
    return turns, majority(texts, turns) or [given or "ru"]
