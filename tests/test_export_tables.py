"""The long table and code matrices as CSV and XLSX, read back."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from export_fixture import BROKER, KAZAKH_QUOTE, OUTAGE_RU, C, build_project

from qualcode import cli
from qualcode.export import tables
from qualcode.export.quotes import CodeInfo, Quote, QuoteSet, coded_quotes
from qualcode.store import Store


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tables")
    store = Store(str(folder / "project.db"))
    build_project(store, folder)
    yield store
    store.close()


def quoteset(store, **kwargs):
    with store.read() as session:
        return coded_quotes(session, **kwargs)


def read_csv(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_long_table_columns_and_rows(project):
    frame = tables.long_table(quoteset(project))
    assert list(frame.columns) == [
        "document", "document:group", "document:language", "document:site", "participant", "pseudonym", "role",
        "participant:gender", "participant:type", "time_s", "code", "coder", "status", "score", "cooccurring",
        "segment", "start", "end", "text"]
    assert len(frame) == 11
    row = frame[(frame["code"] == C["outages"]) & (frame["text"] == OUTAGE_RU)].iloc[0]
    assert (row["document"], row["document:site"], row["participant"], row["participant:type"], row["coder"],
            row["status"], row["time_s"], row["cooccurring"]) == (
        "fg_almaty.txt", "Almaty", "Ерлан", "recipient", "Aigerim, Bolat", "manual", 140.0, C["waiting"])
    anonymous = tables.long_table(quoteset(project, anonymise=True))
    assert "pseudonym" not in anonymous.columns and "Ерлан" not in set(anonymous["participant"])


def test_csv_files(project):
    files = tables.csv_tables(quoteset(project), by="type")
    assert list(files) == ["quotes", "code_x_document", "code_x_type"]
    rows = read_csv(files["quotes"])
    kazakh = next(r for r in rows if r["text"] == KAZAKH_QUOTE)
    assert (kazakh["participant"], kazakh["segment"], kazakh["score"], kazakh["pseudonym"]) == ("Әсел", kazakh["segment"], "", "")
    assert kazakh["segment"].isdigit()  # not "7.0"
    accepted = next(r for r in rows if r["code"] == C["kazakh"])
    assert (accepted["status"], accepted["score"]) == ("accepted", "0.77")
    by_type = {r["code"]: r for r in read_csv(files["code_x_type"])}
    assert list(next(iter(by_type.values()))) == ["code", "provider", "recipient"]
    assert (by_type[C["outages"]]["provider"], by_type[C["outages"]]["recipient"]) == ("1", "1")
    by_doc = {r["code"]: r for r in read_csv(files["code_x_document"])}
    assert by_doc[C["brokers"]] == {"code": C["brokers"], "fg_almaty.txt": "1", "fg_shymkent.txt": "0"}
    assert len(by_doc) == 44


def test_xlsx_workbook(project):
    book = openpyxl.load_workbook(io.BytesIO(tables.xlsx_bytes(quoteset(project))), read_only=True)
    assert book.sheetnames == ["Quotes", "Frequencies", "Co-occurrence", "Code × document", "Code × group",
                               "Code × language", "Code × site", "Code × gender", "Code × type"]
    quotes = list(book["Quotes"].values)
    header = quotes[0]
    rows = [dict(zip(header, r)) for r in quotes[1:]]
    assert len(rows) == 11
    broker = next(r for r in rows if r["text"] == BROKER)
    assert (broker["participant"], broker["participant:gender"], broker["time_s"], broker["score"]) == (
        "Айгерим", "female", 210.0, None)
    freq = {r[0]: r[1:] for r in list(book["Frequencies"].values)[1:]}
    assert freq[C["outages"]] == (2, 2, 2, 2)
    site = {r[0]: r[1:] for r in book["Code × site"].values}
    assert site["code"] == ("Almaty", "Shymkent") and site[C["outages"]] == (1, 1)
    co = {r[0]: r for r in book["Co-occurrence"].values}
    codes = co["code"]
    assert co[C["outages"]][codes.index(C["waiting"])] == 1


def test_text_that_looks_like_a_formula_stays_text():
    code = CodeInfo(1, "Code", "Code", 0, "", (), {}, False)
    quote = Quote(coding_id=1, code_id=1, code="Code", document_id=1, document="=HYPERLINK(\"x\")", language="ru",
                  document_attributes={}, start=0, end=5, text="=1+2\x0b- Да\x01", segment_id=None,
                  participant_id=None, participant=None, pseudonym=None, role=None, participant_attributes={},
                  time=None, coders=("A",), statuses=("manual",), score=None)
    qs = QuoteSet(project="p", codebook="", coder="A", coder_kind="human", codes=[code], quotes=[quote])
    sheet = openpyxl.load_workbook(io.BytesIO(tables.xlsx_bytes(qs)))["Quotes"]
    header = [c.value for c in sheet[1]]
    cells = {h: c for h, c in zip(header, sheet[2])}
    assert cells["text"].value == "=1+2\n- Да" and cells["text"].data_type == "s"
    assert cells["document"].data_type == "s"


def test_cli_csv_and_xlsx(project, tmp_path, monkeypatch, capsys):
    out = tmp_path / "quotes.csv"
    assert cli.main(["--db", project.url, "export", "csv", str(out), "--group-by", "document:site"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quotes.code_x_document.csv", "quotes.code_x_site.csv",
                                                          "quotes.csv"]
    assert len(read_csv(out.read_bytes())) == 11
    assert cli.main(["--db", project.url, "export", "xlsx", str(tmp_path / "q.xlsx"), "--coder", "machine"]) == 0
    assert "(2 quotes, coder: machine)" in capsys.readouterr().err
    assert cli.main(["--db", project.url, "export", "csv", str(out), "--group-by", "region"]) == 1
    assert "no quote has an attribute 'region'" in capsys.readouterr().err
