import pytest

from qualcode.common.errors import IngestError
from qualcode.ingest.base import RawTurn
from qualcode.ingest.evidence import Candidate, weigh
from qualcode.ingest.speakers import (
    guess_moderator,
    is_moderator,
    is_name_like,
    role_of,
)


@pytest.mark.parametrize("label", [
    "Модератор", "P3", "R1", "М", "И", "Участник 5", "Респондент 2", "Speaker 1",
    "Д-р Ахметова", "Мод.", "А.Б. Иванова", "Участник №5", "Айгерим (модератор)",
    "Nurlanovna, Aigerim", "Әсел Қанатқызы", "Ұлан", "Гүлнұр", "Шыңғыс Өтегенұлы", "Һиба", "Іңкәр",
    "The queue was long",
])
def test_name_like(label):
    assert is_name_like(label)


@pytest.mark.parametrize("label", [
    "", "   ", "The queue was long today", "Да! Нет", "Что?", "12 участников", "x" * 41,
    "Итак, мы", "Ну, а потом, Мы", "Вопрос «что»", "Smith,", "- Да", "В общем; да",
])
def test_not_name_like(label):
    assert not is_name_like(label)


def confirm_speakers(labels, declared=frozenset(), text="Иә.", labelled=False):
    """The labels weigh accepts when each line goes on with `text`."""
    return weigh([Candidate(label, text) for label in labels], declared, labelled).speakers


def test_clauses_and_headings_are_not_speakers():
    candidates = ["Модератор", "Айгерим", "The queue was long", "Айгерим", "Итог", "Вопрос 1", "Note"]
    assert confirm_speakers(candidates) == {"Модератор", "Айгерим"}


def test_declared_and_moderator_labels_need_no_recurrence():
    assert confirm_speakers(["Ведущая", "Ерлан"], declared={"Ерлан"}) == {"Ведущая", "Ерлан"}
    assert confirm_speakers(["Жүргізуші", "Қанат"], text="жоқ") == {"Жүргізуші"}


def test_recurring_prefix_must_still_be_name_like():
    assert confirm_speakers(["Что было дальше? Ну", "Что было дальше? Ну"]) == set()


def test_numbered_label_joins_its_series():
    candidates = ["Участник 3", "Участник 3", "Участник 7", "P1", "P1", "P2", "Вопрос 1"]
    assert confirm_speakers(candidates) == {"Участник 3", "Участник 7", "P1", "P2"}


@pytest.mark.parametrize("label", ["Участник 7", "Respondent 3", "Қатысушы 2", "P7", "R12", "Респондент №4",
                                   "А.Б. Иванова", "Иванова А.Б.", "J. Smith"])
def test_roles_with_numbers_and_names_with_initials_are_speakers_once(label):
    verdict = weigh([Candidate(label, "сөйлейді")])
    assert verdict.speakers == {label} and verdict.warnings == []


def test_a_name_that_speaks_once_is_a_speaker_and_reported():
    candidates = [Candidate("Модератор", "Сұрақ?"), Candidate("Марина", "Да."), Candidate("Марина", "Нет."),
                  Candidate("Нұрлан", "Мен Нұрланмын, Қызылорда облысы…", "line 4"),
                  Candidate("Peter", "I'm Peter Collins from Almaty.", "line 5")]
    verdict = weigh(candidates)
    assert verdict.speakers == {"Модератор", "Марина", "Нұрлан", "Peter"}
    assert verdict.warnings[0].startswith("line 4: 'Нұрлан' speaks once: a speaker? Imported as one")
    assert verdict.warnings[1].startswith("line 5: 'Peter' speaks once: a speaker?")


def test_a_name_before_a_clause_or_in_prose_is_text_and_reported():
    doubtful = weigh([Candidate("Модератор", "Сұрақ?"), Candidate("Ерлан", "я тоже так думаю", "line 3")])
    assert doubtful.speakers == {"Модератор"}
    assert doubtful.warnings == ["line 3: 'Ерлан' speaks once: a speaker? Kept as text of the turn before "
                                 "(\"Ерлан: я тоже так думаю\"), since what follows reads as the rest of a "
                                 "sentence; declare it in the attributes sidecar if it is one"]
    prose = weigh([Candidate("Нұрлан", "Мен келдім.")])
    assert prose.speakers == set() and "no other line of the file opens with a speaker" in prose.warnings[0]
    assert weigh([Candidate("Нұрлан", "Мен келдім.")], labelled=True).speakers == {"Нұрлан"}


def test_another_spelling_of_a_known_speaker_counts():
    assert confirm_speakers(["АЙГЕРИМ"], declared={"Айгерим"}) == {"АЙГЕРИМ"}


@pytest.mark.parametrize("label", [
    "Модератор", "модератор 1", "Модератор 2:", "Ведущий", "Ведущая", "Фасилитатор", "Интервьюер",
    "М", "И", "Мод.", "М1", "Жүргізуші", "MODERATOR", "Moderator 2", "Facilitator", "Interviewer",
    "Mod", "Айгерим (модератор)", "Модератор (Айгерим)",
])
def test_moderator_labels(label):
    assert is_moderator(label)


@pytest.mark.parametrize("label", ["Айгерим", "Иван", "Мария", "Ведущий специалист", "Participant 1", "R1"])
def test_not_moderator_labels(label):
    assert not is_moderator(label)


def _turns(*speakers):
    return [RawTurn(text="?", speaker=s) for s in speakers]


@pytest.mark.parametrize("speakers, moderator", [
    (("Айгерим", "Ведущая", "Айгерим"), "Ведущая"),
    (("Жүргізуші", "Әсел", "Жүргізуші"), "Жүргізуші"),
    (("Interviewer", "R1", "Interviewer"), "Interviewer"),
    (("Модератор 2", "Модератор 1", "P1", "Модератор 1"), "Модератор 1"),
])
def test_guess_moderator_from_labels(speakers, moderator):
    assert guess_moderator(_turns(*speakers), None) == moderator


def test_no_label_no_guess_even_for_a_questioner():
    turns = [RawTurn(text="Как вы? Почему?", speaker="Айгерим")] * 4 + _turns("Ерлан")
    assert guess_moderator(turns, None) is None


def test_override_wins_and_matches_case_insensitively():
    turns = _turns("Модератор", "Айгерим", "Айгерим")
    assert guess_moderator(turns, "айгерим") == "Айгерим"


def test_override_that_is_no_speaker_is_refused():
    with pytest.raises(IngestError, match="'Ерлан' is not among the speakers found \\(Модератор, Айгерим\\)"):
        guess_moderator(_turns("Модератор", "Айгерим"), "Ерлан")


def test_titles_and_unattributed_turns_are_not_speakers():
    turns = [RawTurn(text="Модератор", title=True), RawTurn(text="intro")] + _turns("Әсел")
    assert guess_moderator(turns, None) is None


def test_role_of():
    assert role_of("Айгерим", "Айгерим") == "moderator"
    assert role_of("Модератор 2", "Айгерим") == "moderator"
    assert role_of("Ерлан", "Айгерим") == "participant"
    assert role_of("Ерлан", None) == "participant"
