import io
import zipfile

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from qualcode.common.errors import IngestError
from qualcode.ingest.docx import parse_docx


def _bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _turns(document):
    return [(t.speaker, t.text) for t in parse_docx(_bytes(document)).turns]


def _bold_paragraph(document, bold: str, rest: str = ""):
    paragraph = document.add_paragraph()
    paragraph.add_run(bold).bold = True
    if rest:
        paragraph.add_run(rest)
    return paragraph


def test_name_prefix_headings_and_non_speaker_colon_lines():
    document = docx.Document()
    document.add_heading("Фокус-топ: Алматы, 2024", level=0)
    document.add_paragraph("Кіріспе мәтін.")
    document.add_heading("Модератор: блок 1", level=1)
    document.add_paragraph("Модератор: Қызмет сапасы қалай?")
    document.add_paragraph("Әсел: Жақсы, бірақ кезек ұзын.")
    document.add_paragraph("Итог: всё плохо")
    document.add_paragraph("")
    document.add_paragraph("Өтінішті онлайн бердім.")
    document.add_paragraph("Әсел: Тағы бір нәрсе.")
    parsed = parse_docx(_bytes(document))
    assert parsed.format == "docx" and parsed.encoding is None
    assert [(t.title, t.speaker, t.text) for t in parsed.turns] == [
        (True, None, "Фокус-топ: Алматы, 2024"),
        (False, None, "Кіріспе мәтін."),
        (True, None, "Модератор: блок 1"),
        (False, "Модератор", "Қызмет сапасы қалай?"),
        (False, "Әсел", "Жақсы, бірақ кезек ұзын.\nИтог: всё плохо\n\nӨтінішті онлайн бердім."),
        (False, "Әсел", "Тағы бір нәрсе."),
    ]


def test_localised_heading_style_is_a_title():
    document = docx.Document()
    style = document.styles.add_style("Заголовок 2", docx.enum.style.WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("Блок 2. Доступность услуг", style=style)
    document.add_paragraph("Модератор: Начнём.")
    parsed = parse_docx(_bytes(document))
    assert [(t.title, t.text) for t in parsed.turns] == [(True, "Блок 2. Доступность услуг"), (False, "Начнём.")]


def test_bold_run_speakers():
    document = docx.Document()
    _bold_paragraph(document, "Ведущая:", " Добрый день!")
    _bold_paragraph(document, "Айгерим Нурлановна")
    document.add_paragraph("Сәлеметсіздер ме.")
    document.add_paragraph("Бәрі жақсы.")
    _bold_paragraph(document, "Ведущая", ": Спасибо.")
    _bold_paragraph(document, "Айгерим Нурлановна", " Рақмет.")
    _bold_paragraph(document, "Вопрос 1")
    document.add_paragraph("Ответ продолжается.")
    _bold_paragraph(document, "Важно", " учесть сроки.")
    assert _turns(document) == [
        ("Ведущая", "Добрый день!"),
        ("Айгерим Нурлановна", "Сәлеметсіздер ме.\nБәрі жақсы."),
        ("Ведущая", "Спасибо."),
        ("Айгерим Нурлановна", "Рақмет.\nВопрос 1\nОтвет продолжается.\nВажно учесть сроки."),
    ]


def test_teams_name_and_time_paragraphs():
    document = docx.Document()
    document.add_paragraph("Transcript")
    for name, time, text in [
        ("Nurlanovna, Aigerim", "0:03", "Қош келдіңіздер."),
        ("Smith, John", "1:15", "Thanks."),
        ("Nurlanovna, Aigerim", "1:02:03", "Келесі сұрақ."),
        ("Smith, John", "1:02:09", "Sure."),
    ]:
        document.add_paragraph(f"{name}   {time}")
        document.add_paragraph(text)
    parsed = parse_docx(_bytes(document))
    assert [(t.speaker, t.text, t.start_time, t.end_time) for t in parsed.turns] == [
        (None, "Transcript", None, None),
        ("Nurlanovna, Aigerim", "Қош келдіңіздер.", 3.0, 75.0),
        ("Smith, John", "Thanks.", 75.0, 3723.0),
        ("Nurlanovna, Aigerim", "Келесі сұрақ.", 3723.0, 3729.0),
        ("Smith, John", "Sure.", 3729.0, None),
    ]


def test_teams_cues_with_line_breaks_inside_a_paragraph():
    document = docx.Document()
    document.add_paragraph("0:0:0.0 --> 0:0:5.160\nАйгерим Нурлановна\nСәлеметсіздер ме!")
    document.add_paragraph("0:0:5.160 --> 0:0:9.120\nЕрлан\nСәлем.\nҚалайсыз?")
    parsed = parse_docx(_bytes(document))
    assert [(t.speaker, t.text, t.start_time, t.end_time) for t in parsed.turns] == [
        ("Айгерим Нурлановна", "Сәлеметсіздер ме!", 0.0, 5.16),
        ("Ерлан", "Сәлем.\nҚалайсыз?", 5.16, 9.12),
    ]


def test_line_break_inside_a_paragraph_splits_speakers():
    document = docx.Document()
    document.add_paragraph("Модератор: Вопрос?\nP1: Ответ.\nпродолжение")
    document.add_paragraph("P1: Ещё.")
    assert _turns(document) == [("Модератор", "Вопрос?"), ("P1", "Ответ.\nпродолжение"), ("P1", "Ещё.")]


def test_two_column_table_is_speaker_and_text():
    document = docx.Document()
    document.add_paragraph("Стенограмма")
    table = document.add_table(rows=0, cols=2)
    for speaker, text in [("Спикер", "Реплика"), ("Модератор", "Как вам ЦОН?"),
                          ("Қанат:", "Жақсы.\nБірақ кезек бар."), ("Модератор", "Ясно."), ("Қанат", "Иә.")]:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = speaker, text
    wide = document.add_table(rows=1, cols=3)
    for cell, text in zip(wide.rows[0].cells, ["Регион", "Алматы", "2024"]):
        cell.text = text
    assert _turns(document) == [
        (None, "Стенограмма\nСпикер | Реплика"),
        ("Модератор", "Как вам ЦОН?"),
        ("Қанат", "Жақсы.\nБірақ кезек бар."),
        ("Модератор", "Ясно."),
        ("Қанат", "Иә.\nРегион | Алматы | 2024"),
    ]


def test_tracked_insertions_and_hyperlinks_keep_their_text():
    document = docx.Document()
    paragraph = document.add_paragraph("Модератор: Сайт ")
    for tag, text in [("w:hyperlink", "egov.kz"), ("w:ins", " очень")]:
        wrapper, run, content = OxmlElement(tag), OxmlElement("w:r"), OxmlElement("w:t")
        content.text = text
        content.set(qn("xml:space"), "preserve")
        run.append(content)
        wrapper.append(run)
        paragraph._p.append(wrapper)
    paragraph.add_run(" удобный?")
    document.add_paragraph("Модератор: Да.")
    assert _turns(document) == [("Модератор", "Сайт egov.kz очень удобный?"), ("Модератор", "Да.")]


def test_truncated_docx_is_refused():
    document = docx.Document()
    document.add_paragraph("Модератор: Сәлем.")
    data = _bytes(document)
    with pytest.raises(IngestError, match="damaged or truncated"):
        parse_docx(data[: len(data) // 2])


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_zip_that_is_not_a_docx_is_refused():
    with pytest.raises(IngestError, match=r"^not a valid Word document: .*\[Content_Types\]\.xml"):
        parse_docx(_zip({"notes.txt": "Модератор: привет".encode()}))


def test_control_character_inside_document_xml_is_refused():
    document = docx.Document()
    document.add_paragraph("Модератор: Вопрос. Ответ.")
    with zipfile.ZipFile(io.BytesIO(_bytes(document))) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["word/document.xml"] = entries["word/document.xml"].replace(b". ", b".\x0b")
    with pytest.raises(IngestError, match="^not a valid Word document: PCDATA invalid Char value 11"):
        parse_docx(_zip(entries))


def test_old_doc_is_refused():
    with pytest.raises(IngestError, match="old .doc"):
        parse_docx(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))


@pytest.mark.parametrize("paragraphs", [[], ["", "   ", "\n"]])
def test_document_without_text_is_refused(paragraphs):
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    with pytest.raises(IngestError, match="^the Word document contains no text$"):
        parse_docx(_bytes(document))


def test_declared_speaker_counts_on_first_appearance():
    document = docx.Document()
    document.add_paragraph("Модератор: Сұрақ бар ма?")
    _bold_paragraph(document, "Қанат", " Жоқ.")
    parsed = parse_docx(_bytes(document), declared={"Қанат"})
    assert [(t.speaker, t.text) for t in parsed.turns] == [("Модератор", "Сұрақ бар ма?"), ("Қанат", "Жоқ.")]


def test_merged_cells_count_once():
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    for row, text in enumerate(["Сұрақ бар ма?", "Тағы?"]):
        table.cell(row, 0).merge(table.cell(row, 1)).text = "Жүргізуші"
        table.cell(row, 2).text = text
    assert _turns(document) == [("Жүргізуші", "Сұрақ бар ма?"), ("Жүргізуші", "Тағы?")]
