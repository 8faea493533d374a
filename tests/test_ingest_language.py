"""Language per turn: ru, kk, en or other by counting letters and words; short turns inherit."""

from __future__ import annotations

import pytest

from qualcode.ingest.language import detect, guess_language, transcript_languages, turn_languages


@pytest.mark.parametrize("text, language", [
    ("Мен ауылда тұрамын, интернет өте нашар, сондықтан ЦОН-ға барамын.", "kk"),
    ("Мен ЦОН-ға бардым, очередь үлкен болды, бірақ қызметкерлер көмектесті.", "kk"),  # code-switching
    ("Я обычно всё делаю через eGov, но иногда приходится ехать в ЦОН.", "ru"),
    # a Kazakh name and place in a Russian sentence do not make it Kazakh
    ("Мы с Нұрланом ездили в Қызылорда облысы, и там тоже была очередь.", "ru"),
    ("I'm Peter Collins from the Almaty office, and I use eGov every week.", "en"),
    ("Said every cafe owner ever, honestly.", "en"),
    ("Men auylda turamyn, ınternet óte nashar, sondyqtan baramyn.", "other"),  # Kazakh in Latin letters
    ("Мен Қызылорда облысынан келдім, бірақ зараз у Києві живу, ї є.", "other"),  # Ukrainian letters
    ("Ҳамма жойда навбат ўзоқ бўлди, хизмат секин.", "other"),  # Uzbek Cyrillic
])
def test_detect(text, language):
    assert detect(text) == language


@pytest.mark.parametrize("text", ["Да.", "Иә, солай.", "OK", "Апа, интерфейс меняется, бумажка устареет."])
def test_short_or_undecided_turns_are_not_guessed(text):
    assert detect(text) is None


def test_short_turns_inherit_agreeing_neighbours_else_the_document():
    texts = ["Мен ауылда тұрамын, интернет өте нашар.", "Иә.", "Бізде де солай, кезек өте ұзын болды.",
             "Жоқ.", "Я всё делаю онлайн, и это очень удобно, и быстро.", "Да.", "Согласна.",
             "А что с ЭЦП, у вас она есть на телефоне или нет?", "OK", "Мен де келісемін, бәрі жақсы болды."]
    # "Иә." and "Согласна." sit between turns that agree; between kk and ru, "Жоқ." has a Kazakh letter,
    # "OK" has none of either language's letters and takes the document's (ru)
    assert turn_languages(texts) == ["kk", "kk", "kk", "kk", "ru", "ru", "ru", "ru", "ru", "kk"]


def test_mostly_russian_document_with_one_kazakh_line_is_russian_and_lists_both():
    lines = ["Я обычно всё делаю через портал, но иногда приходится ехать в ЦОН.",
             "Мен ауылда тұрамын, интернет өте нашар, сондықтан ЦОН-ға барамын.",
             "А у нас в городе очередь была огромная, ждали почти три часа.",
             "И с ЭЦП тоже были проблемы, телефон её не видел."]
    assert guess_language("\n".join(lines)) == "ru"
    turns, ranked = transcript_languages(lines)
    assert turns == ["ru", "kk", "ru", "ru"] and ranked == ["ru", "kk"]
    assert transcript_languages(lines, "kk") == (["kk"] * 4, ["kk"])


def test_nothing_to_go_on_falls_back_to_the_letters():
    assert turn_languages(["Hi", "OK"]) == ["en", "en"]
    assert turn_languages(["Иә.", "Жоқ."]) == ["kk", "kk"]
    assert turn_languages(["Да.", "Нет."]) == ["ru", "ru"]
