"""Which `Label:` prefixes are speakers: the evidence weighed, label by label.

Counting repetitions alone missed the participant who speaks once — "Нұрлан: Мен
Нұрланмын…" became part of the previous speaker's turn, and a quote was then
attributed to the wrong person. A lone colon in speech ("The queue was long:
almost two hours") must still not create a speaker. So a label is

* a speaker, without doubt, when it is declared (a sidecar, a voice tag, an
  unambiguous layout), a moderator label, recurring, a role word with a number
  ("Участник 7", "Respondent 3", "Қатысушы 2", "P7"), a name with initials
  ("А.Б. Иванова"), another spelling of an accepted label, or a numbered label of
  an accepted series;
* a speaker, reported, when it speaks once but reads as a name (one to three
  capitalised words, no heading word such as "Итог", "Вопрос", "Note"), what
  follows reads as speech (not a lower-case clause), and the file is laid out
  as labelled turns;
* text, reported, when it is name-shaped but what follows starts in lower case
  or the file has no labelled turns — the researcher is told, never left to find
  a merged turn;
* text, silently, when it reads as a sentence clause or a heading.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from qualcode.ingest.speakers import is_moderator, is_name_like, series

_ROLES = frozenset(
    "участник участница респондент респондентка информант спикер собеседник гость говорящий "
    "қатысушы сөйлеуші participant respondent speaker interviewee informant guest person".split())
_CODE = re.compile(r"[^\W\d_]{1,2}\s*[№#]?\s*\d{1,3}")  # "P7", "R12", "У3"
_ROLE_NUMBER = re.compile(r"(?P<role>[^\W\d_]+)\s*[№#]?\s*\d{1,3}")
_INITIALS = re.compile(r"(?:[^\W\d_]\.\s?){1,2}[^\W\d_][\w\-'’]+|[^\W\d_][\w\-'’]+\s(?:[^\W\d_]\.\s?){1,2}")
# lower-case words a name may hold: particles and Kazakh/Turkic patronymic words
_PARTICLES = frozenset("van von de der den da di du la le bin ibn ибн ван фон де ди дю ла ле "
                       "қызы кызы ұлы улы оглы уулу kyzy qyzy uly ogly".split())
# first words that make a heading, a discourse marker or a sound note, never a person
_NOT_NAMES = frozenset((
    # ru
    "итог итоги итого вывод выводы вопрос вопросы ответ ответы примечание примечания комментарий "
    "пример например ссылка время дата место тема цитата кстати короче значит смотрите представляете "
    "слушайте важно проблема причина результат суть главное плюс минус итак правда факт совет пункт "
    "шаг задача цель внимание источник адрес телефон сайт заметка резюме раздел часть блок этап "
    "вариант условие задание тезис рекомендация рекомендации предложение минусы плюсы да нет вот так ну "
    "смех смеётся смеется музыка аплодисменты пауза шум неразборчиво помехи тишина "
    # kk
    "қорытынды сұрақ жауап ескерту мысалы мысал тақырып уақыт күні мекенжай сілтеме түйін мәселе себебі "
    "нәтиже иә жоқ яғни мәселен айтпақшы ұсыныс күлкі "
    # en
    "note notes summary question questions answer answers example update result results total "
    "conclusion topic time date place location link source comment comments problem reason issue point "
    "step tip warning yes no so well basically honestly actually anyway also plus important fact quote "
    "agenda address phone website email key ps nb re subject task goal bottom laughter laughs laughing "
    "music applause crosstalk inaudible silence pause noise unclear").split())
MAX_NAME_WORDS = 3
SNIPPET = 40


@dataclass(frozen=True)
class Candidate:
    """One line that opens with a label, as a reader found it."""

    label: str
    text: str  # what follows the label ("" when the turn goes on below it)
    where: str | None = None  # "line 14", "cue at 0:01:02": where the researcher finds it
    certain: bool = False  # the layout leaves no doubt (a timestamp before it, a Rev header)


@dataclass
class Verdict:
    speakers: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


def _without_trailing_parens(label: str) -> str:
    return re.sub(r"\s*\([^()]*\)$", "", label).strip()


def _is_role_number(label: str) -> bool:
    if _CODE.fullmatch(label):
        return True
    match = _ROLE_NUMBER.fullmatch(label)
    return bool(match) and match["role"].casefold() in _ROLES


def _certain_shape(label: str) -> bool:
    """A role with a number or a name with initials: nobody writes a clause like that."""
    core = _without_trailing_parens(label)
    return _is_role_number(core) or bool(_INITIALS.fullmatch(core))


def _name_shaped(label: str) -> bool:
    """One to three capitalised words (particles aside), not opening with a heading word or a bare role
    ("Спикер | Реплика" is a table's header row)."""
    words = _without_trailing_parens(label).replace(",", " ").split()
    first = words[0].casefold().strip(".") if words else ""
    if not is_name_like(label) or len(words) > MAX_NAME_WORDS or first in _NOT_NAMES or first in _ROLES:
        return False
    return all(word[0].isupper() or word.casefold() in _PARTICLES for word in words) and not any(
        ch.isdigit() for ch in label)


def _reads_as_speech(text: str) -> bool:
    """What follows a label: nothing (the turn goes on below), or not a lower-case clause."""
    first = next((ch for ch in text if ch.isalnum()), "")
    return not first.islower()


def _snippet(label: str, text: str) -> str:
    body = " ".join(text.split())
    return f"{label}: {body[:SNIPPET]}{'…' if len(body) > SNIPPET else ''}"


def weigh(candidates: Sequence[Candidate], declared: Iterable[str] = frozenset(),
          labelled: bool = False) -> Verdict:
    """The labels accepted as speakers, with a warning for each decision import is unsure of.
    `labelled`: the reader saw a file laid out as labelled turns (most lines open with a label)."""
    counts = Counter(candidate.label for candidate in candidates)
    known = {label.casefold() for label in declared}
    sure = {c.label for c in candidates if c.certain and is_name_like(c.label)}
    for label, count in counts.items():
        if is_name_like(label) and (count >= 2 or is_moderator(label) or label.casefold() in known
                                    or _certain_shape(label)):
            sure.add(label)
    stems = {series(label) for label in sure} - {None}
    sure |= {label for label in counts if is_name_like(label) and series(label) in stems}
    spellings = {label.casefold() for label in sure} | known
    sure |= {label for label in counts if label.casefold() in spellings}

    verdict = Verdict(set(sure))
    labelled = labelled or bool(sure)
    for candidate in candidates:
        label = candidate.label
        if label in sure or not _name_shaped(label):
            continue
        where = f"{candidate.where}: " if candidate.where else ""
        quoted = _snippet(label, candidate.text)
        if not _reads_as_speech(candidate.text):
            reason = "what follows reads as the rest of a sentence"
        elif not labelled:
            reason = "no other line of the file opens with a speaker"
        else:
            verdict.speakers.add(label)
            verdict.warnings.append(f"{where}'{label}' speaks once: a speaker? Imported as one "
                                    f"(\"{quoted}\"); rename or merge it before import if not")
            continue
        verdict.warnings.append(f"{where}'{label}' speaks once: a speaker? Kept as text of the turn before "
                                f"(\"{quoted}\"), since {reason}; declare it in the attributes sidecar if "
                                "it is one")
    return verdict
