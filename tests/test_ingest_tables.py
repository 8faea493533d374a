"""CSV and Excel tables: transcript tables, survey tables, and what is refused."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook

from qualcode.common.errors import IngestError
from qualcode.ingest.decoding import decode
from qualcode.ingest.tables import parse_csv, parse_rows, parse_xlsx

TRANSCRIPT_CSV = """Время;Говорящий;Реплика;Комментарий
00:00:05;Модератор;"Здравствуйте; начнём.";
00:01:05;Иван;"Очередь была длинной,
но персонал вежливый.";важно
1:10;Иван;Согласен.;
;;;
65.5;Мария;Да.;
"""

SURVEY_CSV = """respondent_id,Возраст,Пол,Регион,What would you improve in public services?,Комментарий
R-01,34,ж,Алматы,"Онлайн-запись, чтобы не стоять в очереди",Нет
R-02,52,м,Шымкент,,
R-03,25,ж,Астана,Көбірек қызметкерлер керек және кезек қысқа болсын,Спасибо за опрос
"""


def _turns(parsed):
    return [(t.speaker, t.text, t.start_time, t.end_time) for t in parsed.turns]


def _xlsx(sheets: dict[str, list[tuple]]) -> bytes:
    """A workbook whose sheets hold the given rows (None = empty cell, () = empty row)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                sheet.cell(row=r, column=c, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_semicolon_csv_in_cp1251_with_russian_headers_and_multiline_cell():
    text, encoding = decode(TRANSCRIPT_CSV.replace("\n", "\r\n").encode("cp1251"))
    parsed = parse_csv(text)
    assert encoding == "cp1251"
    assert parsed.format == "csv"
    assert _turns(parsed) == [
        ("Модератор", "Здравствуйте; начнём.", 5.0, None),
        ("Иван", "Очередь была длинной,\nно персонал вежливый.", 65.0, None),
        ("Иван", "Согласен.", 70.0, None),  # same speaker again: still its own row, not merged
        ("Мария", "Да.", 65.5, None),
    ]
    assert parsed.participant_attributes == {}


def test_tab_separated_with_start_and_end_in_kazakh():
    text = ("Speaker Name\tStart time\tEnd_time\tUtterance\n"
            "Әйгерім\t0:01\t0:04.5\tҚызмет көрсету өте жақсы.\n"
            "Нұрлан\t00:00:05\t00:00:09,250\tМен келіспеймін, кезек ұзақ.\n")
    assert _turns(parse_csv(text)) == [
        ("Әйгерім", "Қызмет көрсету өте жақсы.", 1.0, 4.5),
        ("Нұрлан", "Мен келіспеймін, кезек ұзақ.", 5.0, 9.25),
    ]


def test_survey_csv_answers_and_attributes():
    parsed = parse_csv(SURVEY_CSV)
    assert _turns(parsed) == [
        ("R-01", "What would you improve in public services? Онлайн-запись, чтобы не стоять в очереди\n"
                 "Комментарий: Нет", None, None),
        ("R-03", "What would you improve in public services? Көбірек қызметкерлер керек және кезек "
                 "қысқа болсын\nКомментарий: Спасибо за опрос", None, None),
    ]
    assert parsed.participant_attributes == {
        "R-01": {"Возраст": "34", "Пол": "ж", "Регион": "Алматы"},
        "R-03": {"Возраст": "25", "Пол": "ж", "Регион": "Астана"},
    }


def test_survey_without_id_labels_rows_and_ignores_unparseable_time_column():
    text = ("Timestamp,Age,Сколько времени вы ждали?,Answer\n"
            "2026/03/14 10:00:00,34,30,Очень долго ждали в очереди\n"
            ",,,\n"
            "2026/03/14 11:00:00,41,5,Всё прошло быстро и удобно\n")
    parsed = parse_csv(text)
    assert _turns(parsed) == [("R1", "Очень долго ждали в очереди", None, None),
                              ("R3", "Всё прошло быстро и удобно", None, None)]
    assert parsed.participant_attributes["R3"] == {
        "Timestamp": "2026/03/14 11:00:00", "Age": "41", "Сколько времени вы ждали?": "5"}


def test_fallback_text_column_and_per_speaker_attributes():
    rows = [["Айгерим", "calm", "first", "Мне понравилось обслуживание в ЦОНе"],
            ["Ерлан", "angry", "x", "Очередь была слишком длинной"],
            ["Айгерим", "calm", "second", "Но запись онлайн не работала"]]
    parsed = parse_rows(["Speaker", "Mood", "Note", "Said"], rows, "csv")
    assert [t.text for t in parsed.turns] == [r[3] for r in rows]
    # Mood has one value per speaker, Note changes within Айгерим: only Mood is an attribute
    assert parsed.participant_attributes == {"Айгерим": {"Mood": "calm"}, "Ерлан": {"Mood": "angry"}}


def test_text_only_table_is_unattributed():
    parsed = parse_csv('Text\n"Hello, there"\nSecond line\n')
    assert _turns(parsed) == [(None, "Hello, there", None, None), (None, "Second line", None, None)]


@pytest.mark.parametrize("text, message", [
    ("", "the table is empty"),
    (";;\n;;\n", "the table is empty"),
    ("Speaker,Text\n", "the table has a header but no rows"),
    ("ID,Age,Gender\n1,34,f\n2,40,m\n", "no text column found (looked for headers such as Text, Реплика"),
    ("Speaker,Text\nA,\nB,\n", "no row has text in the text column (Text)"),
])
def test_csv_refusals(text, message):
    with pytest.raises(IngestError) as err:
        parse_csv(text)
    assert str(err.value).startswith(message)


def test_xlsx_transcript_on_second_sheet_with_time_cells():
    data = _xlsx({
        "Обложка": [],
        "Стенограмма": [
            (),
            ("Спикер", "Начало", "Конец", "Текст", "Группа"),
            ("Модератор", dt.time(0, 1, 5), dt.timedelta(seconds=70.5), "Расскажите о ЦОНе.", 1.0),
            ("Ғалия", "1:11", None, "Үлкен кезек болды & бәрі ұзақ.", 2.0),
        ],
    })
    parsed = parse_xlsx(data)
    assert parsed.format == "xlsx"
    assert _turns(parsed) == [("Модератор", "Расскажите о ЦОНе.", 65.0, 70.5),
                              ("Ғалия", "Үлкен кезек болды & бәрі ұзақ.", 71.0, None)]
    assert parsed.participant_attributes == {"Модератор": {"Группа": "1"}, "Ғалия": {"Группа": "2"}}


def test_xlsx_survey_with_numbers_and_dates():
    data = _xlsx({"Лист1": [
        ("№ респондента", "Возраст", "Дата", "Ответ"),
        (7, 34.0, dt.datetime(2026, 3, 14), "Хочу меньше бумаг и больше онлайн-услуг"),
    ]})
    parsed = parse_xlsx(data)
    assert _turns(parsed) == [("7", "Хочу меньше бумаг и больше онлайн-услуг", None, None)]
    assert parsed.participant_attributes == {"7": {"Возраст": "34", "Дата": "2026-03-14"}}


def test_truncated_xlsx_is_refused():
    data = _xlsx({"Sheet": [("Speaker", "Text"), ("A", "hello")]})
    with pytest.raises(IngestError, match="^not a valid Excel workbook"):
        parse_xlsx(data[: len(data) // 2])


def test_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a spreadsheet")
    with pytest.raises(IngestError, match="^not a valid Excel workbook: "):
        parse_xlsx(buffer.getvalue())


def test_empty_workbook_is_refused():
    with pytest.raises(IngestError, match="^the workbook has no filled cells$"):
        parse_xlsx(_xlsx({"Sheet": []}))


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_ragged_survey_row_is_rejoined_into_the_answer_and_reported(delimiter):
    question = "Что бы вы улучшили в работе госуслуг?"
    rows = [["ID", "Регион", "Пол", question],
            ["R1", "Қызылорда облысы", "м", "В селе нет ЦОНа", " приходится ехать 60 км."],
            ["R2", "Алматы", "ж", '"Запись онлайн' + delimiter + ' без очередей."'],
            ["R3", "Шымкент", "ж", "Көбірек қызметкерлер керек", "", ""]]  # a delimiter at the line's end
    parsed = parse_csv("\n".join(delimiter.join(row) for row in rows) + "\n")
    # the answer as written: the delimiter back in its place (a tab reads as a space, as in every cell)
    written = {",": ",", ";": ";", "\t": " "}[delimiter]
    assert [(t.speaker, t.text) for t in parsed.turns] == [
        ("R1", f"В селе нет ЦОНа{written} приходится ехать 60 км."),
        ("R2", f"Запись онлайн{written} без очередей."),
        ("R3", "Көбірек қызметкерлер керек")]
    assert parsed.participant_attributes["R1"] == {"Регион": "Қызылорда облысы", "Пол": "м"}
    assert parsed.warnings == [f"row 2: more fields than the header (an unquoted '{delimiter}' in the text?), "
                               f"rejoined into '{question}'"]


def test_ragged_row_whose_text_is_not_the_last_column_is_refused_with_its_row():
    text = "ID,Ответ,Пол\nR1,Долго,м\nR2,Да, конечно,ж\n"
    with pytest.raises(IngestError, match="^row 3 has 4 fields for 3 columns, and the text column is not the last"):
        parse_csv(text)
