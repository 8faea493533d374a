"""Sentence boundaries and coding units (qualcode.ingest.segment)."""

import importlib.util
from pathlib import Path

import pytest

from qualcode.common.errors import QualcodeError
from qualcode.ingest.segment import parse_unit, sentence_spans, units

ROOT = Path(__file__).resolve().parent.parent

RUSSIAN = (
    "Мы переехали в 2015 г. в Алматы, т.е. поближе к работе. "
    "Платили 150 тыс. руб. в месяц, т.к. квартира большая. "
    "Жили на ул. Абая, д. 12, рядом со школой им. Пушкина. "
    "В 1990-х гг. еда, одежда и т.п. стоили копейки, а бюджет был 3,5 млн и др. расходы. "
    "Как писал А. С. Пушкин, «привычка свыше нам дана». "
    "Инфляция 3.5 процента... Серьёзно?! Да."
)
RUSSIAN_SENTENCES = [
    "Мы переехали в 2015 г. в Алматы, т.е. поближе к работе.",
    "Платили 150 тыс. руб. в месяц, т.к. квартира большая.",
    "Жили на ул. Абая, д. 12, рядом со школой им. Пушкина.",
    "В 1990-х гг. еда, одежда и т.п. стоили копейки, а бюджет был 3,5 млн и др. расходы.",
    "Как писал А. С. Пушкин, «привычка свыше нам дана».",
    "Инфляция 3.5 процента...",
    "Серьёзно?!",
    "Да.",
]

KAZAKH = (
    "Біз 2015 ж. Алматыға көштік. Б.з.б. 550 ж. парсылар келді. "
    "Бағасы 5 млрд. АҚШ доллары. Әкімдік қызметі ұнады ма? Иә, өте жақсы! "
    "Қазір көп нәрсе өзгерді, т.б. мәселелер бар. Һәм ғылым, өнер, ұлт."
)
KAZAKH_SENTENCES = [
    "Біз 2015 ж. Алматыға көштік.",
    "Б.з.б. 550 ж. парсылар келді.",
    "Бағасы 5 млрд. АҚШ доллары.",
    "Әкімдік қызметі ұнады ма?",
    "Иә, өте жақсы!",
    "Қазір көп нәрсе өзгерді, т.б. мәселелер бар.",
    "Һәм ғылым, өнер, ұлт.",
]

ENGLISH = (
    "We met Dr. Smith and Mr. Jones, e.g. Kaspi staff at the clinic. "
    "Prices rose 3.5 percent vs. last year, i.e. Prof. Lee was right. "
    "Call No. 5 etc. and wait... Really?! \"Yes,\" she said. J. R. R. Tolkien agreed."
)
ENGLISH_SENTENCES = [
    "We met Dr. Smith and Mr. Jones, e.g. Kaspi staff at the clinic.",
    "Prices rose 3.5 percent vs. last year, i.e. Prof. Lee was right.",
    "Call No. 5 etc. and wait...",
    "Really?!",
    '"Yes," she said.',
    "J. R. R. Tolkien agreed.",
]


def texts(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[start:end] for start, end in spans]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (RUSSIAN, "ru", RUSSIAN_SENTENCES),
        (KAZAKH, "kk", KAZAKH_SENTENCES),
        (ENGLISH, "en", ENGLISH_SENTENCES),
    ],
)
def test_abbreviations_do_not_split_sentences(text, language, expected):
    assert texts(text, sentence_spans(text, language)) == expected


@pytest.mark.parametrize("language", ["ru", "kk", "en", "de", "xx", "zz"])
@pytest.mark.parametrize(
    "text",
    [RUSSIAN, KAZAKH, ENGLISH, "  \n Да.\t\n\n  Нет!  \r\n", "one  two   three", "", " \n\t "],
)
def test_spans_are_stripped_non_empty_and_cover_all_text_in_order(text, language):
    spans = sentence_spans(text, language)
    for start, end in spans:
        piece = text[start:end]
        assert piece and piece == piece.strip()
    assert spans == sorted(spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    covered = "".join(text[start:end] for start, end in spans)
    assert "".join(covered.split()) == "".join(text.split())


def test_newline_ends_a_sentence():
    text = "Ну как сказать\nВ целом нормально\n\nНо дорого"
    assert texts(text, sentence_spans(text, "ru")) == [
        "Ну как сказать",
        "В целом нормально",
        "Но дорого",
    ]


def test_regional_language_tag_uses_the_language_rules():
    assert sentence_spans(KAZAKH, "kk-KZ") == sentence_spans(KAZAKH, "kk")


def test_other_languages_fall_back_to_the_sentencizer():
    text = "今天下雨了。我们在家。"
    assert texts(text, sentence_spans(text, "zh")) == ["今天下雨了。", "我们在家。"]


def test_fallback_uses_spacys_own_language_where_it_has_one():
    text = "Das kostet z.B. zehn Euro. Wie geht es Dr. Müller?"
    expected = ["Das kostet z.B. zehn Euro.", "Wie geht es Dr. Müller?"]
    assert texts(text, sentence_spans(text, "de")) == expected


DOCUMENT_HEAD = "Модератор: Здравствуйте.\nP1: "
TURN = "  Первое. Второе! Третье? Четвёртое. Пятое.  "
DOCUMENT = DOCUMENT_HEAD + TURN + "\nP2: Следующий ответ."
TURN_START = len(DOCUMENT_HEAD)
TURN_END = TURN_START + len(TURN)


def test_units_give_absolute_offsets_for_a_turn_inside_a_document():
    spans = units(DOCUMENT, TURN_START, TURN_END, "sentence", "ru")
    assert texts(DOCUMENT, spans) == ["Первое.", "Второе!", "Третье?", "Четвёртое.", "Пятое."]
    assert all(TURN_START <= start < end <= TURN_END for start, end in spans)


def test_turn_unit_is_the_stripped_turn():
    (span,) = units(DOCUMENT, TURN_START, TURN_END, "turn", "ru")
    assert DOCUMENT[span[0] : span[1]] == TURN.strip()


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("window:1", ["Первое.", "Второе!", "Третье?", "Четвёртое.", "Пятое."]),
        ("window:2", ["Первое. Второе!", "Третье? Четвёртое.", "Пятое."]),
        ("window:3", ["Первое. Второе! Третье?", "Четвёртое. Пятое."]),
        ("window:9", ["Первое. Второе! Третье? Четвёртое. Пятое."]),
    ],
)
def test_windows_group_consecutive_sentences(unit, expected):
    assert texts(DOCUMENT, units(DOCUMENT, TURN_START, TURN_END, unit, "ru")) == expected


@pytest.mark.parametrize("unit", ["turn", "sentence", "window:2"])
def test_whitespace_only_turn_has_no_units(unit):
    text = "P1: Да.\nP2:   \n\t \nP3: Нет."
    start = text.index("P2:") + 3
    assert units(text, start, text.index("P3:"), unit, "ru") == []


def test_parse_unit_accepts_and_normalises():
    assert parse_unit("turn") == "turn"
    assert parse_unit("sentence") == "sentence"
    assert parse_unit("window:03") == "window:3"


@pytest.mark.parametrize(
    "unit",
    ["para", "", "Sentence", "window", "window:", "window:0", "window:-1", "window:x",
     "window:2.5"],
)
def test_bad_units_raise(unit):
    with pytest.raises(QualcodeError, match="unit|window"):
        parse_unit(unit)
    with pytest.raises(QualcodeError):
        units("Да.", 0, 3, unit, "ru")


def test_unknown_unit_message_names_the_choices():
    message = r"unknown unit 'para' \(use turn, sentence or window:N\)"
    with pytest.raises(QualcodeError, match=message):
        parse_unit("para")


def load_bench():
    path = ROOT / "bench" / "segment_eval.py"
    spec = importlib.util.spec_from_file_location("segment_eval", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Measured on the first 200 sentences: ru 0.837, kk 0.992 (bench/segment_eval.py --limit 200).
F1_FLOOR = {"ru": 0.83, "kk": 0.985}


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_ud_gold_f1_stays_above_floor(language):
    bench = load_bench()
    gold = [d / bench.TREEBANKS[language] for d in bench.DEFAULT_UD_DIRS]
    gold = [path for path in gold if path.is_file()]
    assert gold, "UD gold data not found: expected ../shared/data/ud beside the repository"
    documents = bench.read_documents(gold[0], limit=200)
    assert sum(map(len, documents)) == 200
    score = bench.evaluate(documents, bench.qualcode_segmenter(language))
    assert score.f1 >= F1_FLOOR[language]
