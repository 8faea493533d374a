"""The Word quotes report read back with python-docx, converted to PDF by LibreOffice, and the export CLI."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime

import docx
import pytest
from export_fixture import (
    BROKER,
    KAZAKH_LETTERS,
    KAZAKH_QUOTE,
    OUTAGE_KK,
    OUTAGE_RU,
    PROACTIVE,
    VILLAGE,
    C,
    build_project,
)

from sqlalchemy import select

from qualcode import cli
from qualcode.deid import anonymize
from qualcode.common.errors import QualcodeError
from qualcode.export.docx import ReportOptions, build_report, render
from qualcode.export.quotes import Quote, QuoteSet
from qualcode.store.model import Document
from qualcode.store import Store, find_project

WHEN = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    store = Store(str(folder / "project.db"))
    build_project(store, folder)
    yield store
    store.close()


def report(store: Store, coder="accepted", codes=None, anonymise=False, **options) -> docx.document.Document:
    options.setdefault("generated_at", WHEN)
    with store.read() as session:
        data, _ = build_report(session, coder, codes, anonymise, ReportOptions(**options))
    return docx.Document(io.BytesIO(data))


def paragraphs(document, style: str | None = None) -> list[str]:
    return [p.text for p in document.paragraphs if style is None or p.style.name == style]


def section(document, heading: str) -> list:
    """The paragraphs after a heading up to the next heading of any level."""
    found, out = False, []
    for p in document.paragraphs:
        if p.style.name.startswith("Heading"):
            if found:
                break
            found = p.text == heading
        elif found:
            out.append(p)
    return out


def test_title_block_headings_and_hierarchy(project):
    document = report(project)
    assert paragraphs(document, "Title") == ["Coded quotes: default"]
    text = paragraphs(document)
    assert "Coder: all human coders (manual codings and accepted suggestions)" in text
    assert "Codebook: Citizen-centred public services in a digitising state" in text
    assert "Quotes: 11 from 2 of 2 documents" in text
    agreement = next(t for t in text if t.startswith("Agreement: "))
    assert "Krippendorff's α" in agreement and "Cohen's κ" in agreement and "coders: Aigerim, Bolat" in agreement
    assert "Date: 2026-05-01" in text
    headings = {p.text: p.style.name for p in document.paragraphs if p.style.name.startswith("Heading")}
    assert headings["Channels and access"] == "Heading 1"
    assert headings["Proactive services"] == "Heading 2"
    assert headings["Paid intermediaries"] == "Heading 3"
    order = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert order.index("Code frequencies") < order.index("SWOT matrix") < order.index("PEST analysis") \
        < order.index("Channels and access") < order.index("Groups at risk")


def test_quotes_attributions_counts_and_empty_codes(project):
    document = report(project)
    outages = section(document, "Outages and technical failures")
    assert outages[0].text.startswith("Definition: ")
    assert outages[1].text == "Quotes: 2; participants: 2; documents: 2; groups: 2"
    quotes = [p.text for p in outages if p.style.name == "Quote"]
    assert quotes == [(f"{OUTAGE_RU}\n— Ерлан (participant, recipients), fg_almaty.txt, 0:02:20; "
                       "also coded: Waiting time and queues"),
                      f"{OUTAGE_KK}\n— Әсел (participant, providers), fg_shymkent.txt, 0:00:40; also coded: Training"]
    assert [p.text for p in section(document, "Call centre 1414")][-1] == "No quotes for this code."
    assert "No quotes coded directly; see the codes below." in [p.text for p in section(document, "Groups at risk")]
    kazakh = [p.text for p in section(document, "eGov portal") if p.style.name == "Quote"]
    assert kazakh == [f"{KAZAKH_QUOTE}\n— Әсел (participant, providers), fg_shymkent.txt, 0:02:00"]
    assert all(letter in kazakh[0] for letter in KAZAKH_LETTERS)


def test_frequency_table_code_by_group(project):
    table = report(project).tables[0]
    assert [c.text for c in table.rows[0].cells] == ["Code", "providers", "recipients", "Total"]
    rows = {r.cells[0].text.strip("\u2003"): [c.text for c in r.cells[1:]] for r in table.rows[1:]}
    assert rows["Outages and technical failures"] == ["1", "1", "2"]
    assert rows["Proactive services"] == ["0", "1", "1"]
    assert rows["Call centre 1414"] == ["0", "0", "0"]
    assert len(table.rows) == 1 + 44


def test_swot_matrix_and_pest_table(project):
    document = report(project)
    swot, pest = document.tables[1], document.tables[2]
    cells = [[c.text for c in row.cells] for row in swot.rows]
    assert len(cells) == 2 and all(len(row) == 2 for row in cells)
    strengths, weaknesses = cells[0]
    opportunities, threats = cells[1]
    assert strengths.startswith("Strengths\nCodes: Proactive services")
    assert f"«{PROACTIVE}»\n— Айгерим, fg_almaty.txt (Proactive services)" in strengths
    assert OUTAGE_RU in weaknesses and OUTAGE_KK in weaknesses
    assert opportunities == "Opportunities\nNo code carries this tag."
    assert BROKER in threats and VILLAGE in threats
    factors = {row.cells[0].text: row.cells[1].text for row in pest.rows[1:]}
    assert list(factors) == ["Political", "Economic", "Social", "Technological"]
    assert factors["Political"].endswith("No quotes yet.")
    assert BROKER in factors["Economic"]
    assert VILLAGE in factors["Social"]
    technological = factors["Technological"]  # 6 tagged codes with quotes, the 3 strongest shown: agreed ones first
    assert technological.count("«") == 3 and PROACTIVE in technological and KAZAKH_QUOTE not in technological


def test_options_group_max_language_anonymise(project):
    grouped = report(project, group_by="type", max_quotes=1, codes=[C["outages"]])
    body = section(grouped, "Outages and technical failures")
    assert "Showing 1 of 2 quotes: the strongest, spread over type." in [p.text for p in body]
    assert [p.text for p in grouped.paragraphs if p.style.name == "Heading 4"] == ["type: recipient"]
    assert "Codes: Digital experience/Outages and technical failures" in paragraphs(grouped)
    assert [p.text for p in grouped.paragraphs if p.style.name == "Heading 1"][-1] == \
        "Outages and technical failures"  # the selected code heads its own hierarchy

    russian = report(project, language="ru", anonymise=True)
    assert paragraphs(russian, "Title") == ["Цитаты по кодам: default"]
    assert "Проактивные услуги" in paragraphs(russian, "Heading 2")
    quotes = "\n".join(paragraphs(russian, "Quote"))
    assert "— Е. (предприниматель) (участник, recipients)" in quotes
    assert "— Участник 1 (участник, recipients)" in quotes
    assert "Айгерим" not in quotes and "Ерлан" not in quotes
    assert "Для этого кода нет цитат." in paragraphs(russian)


def test_anonymised_quotes_replace_accepted_identifiers_inside_the_text(tmp_path):
    store = Store(str(tmp_path / "deid.db"))
    build_project(store, tmp_path)
    start = OUTAGE_RU.index("ЦОН")
    with store.write() as session:
        project = find_project(session)
        doc = session.scalars(select(Document).where(Document.name == "fg_almaty.txt")).one()
        at = doc.text.index(OUTAGE_RU) + start
        anonymize.add_detection(session, project, doc.name, at, at + 3, "ORGANIZATION")
    with pytest.raises(QualcodeError, match="anonymise apply"):
        report(store, anonymise=True)
    with store.write() as session:
        anonymize.apply(session, find_project(session))
    quotes = "\n".join(paragraphs(report(store, anonymise=True), "Quote"))
    assert "ЦОН" not in quotes and OUTAGE_RU[:start] in quotes and OUTAGE_RU[start + 3:] in quotes
    assert "ЦОН" in "\n".join(paragraphs(report(store), "Quote"))  # only the anonymised report changes


def test_coder_choices(project):
    machine = report(project, coder="machine")
    assert "Coder: machine (machine suggestions, not reviewed)" in paragraphs(machine)
    assert len(paragraphs(machine, "Quote")) == 2
    bolat = report(project, coder="Bolat")
    assert len(paragraphs(bolat, "Quote")) == 5
    nothing = paragraphs(report(project, coder="Bolat", codes=[C["brokers"]]))
    assert "No coded quotes yet for this selection (coder: Bolat)." in nothing
    assert nothing[-1] == "No quotes for this code."
    with pytest.raises(QualcodeError, match="no consensus coder yet"):
        report(project, coder="consensus")
    with pytest.raises(QualcodeError, match="no coder named 'Nobody'"):
        report(project, coder="Nobody")
    with pytest.raises(QualcodeError, match="no quote has an attribute 'region'"):
        report(project, group_by="region")


def test_empty_project_gives_a_note(tmp_path):
    store = Store(str(tmp_path / "empty.db"))
    document = report(store)
    assert paragraphs(document, "Title") == ["Coded quotes"]
    assert "The project has no codebook yet: load one with `qualcode codebook load`." in paragraphs(document)
    store.close()


def test_reproducible_except_timestamps(project):
    with project.read() as session:
        first, _ = build_report(session, options=ReportOptions(generated_at=WHEN))
        again, _ = build_report(session, options=ReportOptions(generated_at=WHEN))
        later, _ = build_report(session, options=ReportOptions(generated_at=datetime(2027, 1, 2, tzinfo=UTC)))
    part = lambda data: zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    assert part(first) == part(again)
    assert part(first).replace(b"2026-05-01", b"2027-01-02") == part(later)


def _quote(text: str) -> Quote:
    return Quote(coding_id=1, code_id=1, code="Code", document_id=1, document="doc.txt", language="ru",
                 document_attributes={}, start=0, end=len(text), text=text, segment_id=1, participant_id=1,
                 participant="P\x011", pseudonym=None, role="participant", participant_attributes={}, time=None,
                 coders=("A",), statuses=("manual",), score=None)


def test_control_characters_are_cleaned():
    from qualcode.export.quotes import CodeInfo
    code = CodeInfo(1, "Code", "Code\x0c", 0, "def\x00inition", (), {}, False)
    quoteset = QuoteSet(project="p\x1b", codebook="", coder="A", coder_kind="human", codes=[code],
                        quotes=[_quote("строка\x0bвторая\x07 ә\ud800 \ufffe")], documents=1)
    document = docx.Document(io.BytesIO(render(quoteset, ReportOptions(generated_at=WHEN))))
    assert paragraphs(document, "Quote") == ["строка\nвторая ә \n— P1 (participant), doc.txt"]
    assert paragraphs(document, "Title") == ["Coded quotes: p"]


def test_pdf_keeps_cyrillic_and_kazakh(project, tmp_path):
    assert shutil.which("soffice") and shutil.which("pdftotext"), \
        "needs Debian libreoffice-writer and poppler-utils (installed by .ci/run)"
    with project.read() as session:
        (tmp_path / "report.docx").write_bytes(build_report(session, options=ReportOptions(generated_at=WHEN))[0])
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "report.docx")],
                   check=True, capture_output=True, timeout=120)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "report.pdf"), "-"], check=True,
                          capture_output=True, timeout=60).stdout.decode("utf-8")
    flat = " ".join(text.split())
    assert KAZAKH_QUOTE in flat
    assert OUTAGE_RU in flat and "— Ерлан (participant, recipients)" in flat


# ---------------------------------------------------------------- CLI


@pytest.fixture
def qualcode(monkeypatch, capsys):

    def run(*argv):
        code = cli.main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def test_cli_export_docx(project, qualcode, tmp_path):
    out = tmp_path / "quotes.docx"
    db = project.url
    code, _, err = qualcode("--db", db, "export", "docx", out, "--codes", C["outages"], C["proactive"],
                            "--coder", "Aigerim", "--group-by", "document", "--max-quotes", "5", "--anonymise")
    assert code == 0, err
    assert f"wrote {out} (3 quotes, coder: Aigerim)" in err
    document = docx.Document(str(out))
    # Proactive services (Almaty), then Outages (Almaty, Shymkent): codebook order, then documents
    assert paragraphs(document, "Heading 4") == ["document: fg_almaty.txt", "document: fg_almaty.txt",
                                                 "document: fg_shymkent.txt"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_cli_export_refuses_bad_targets(project, qualcode, tmp_path):
    db = project.url
    code, _, err = qualcode("--db", db, "export", "docx", tmp_path / "missing" / "r.docx")
    assert code == 1 and err.strip() == (f"qualcode: error: {tmp_path / 'missing' / 'r.docx'}: cannot be written "
                                         f"(folder {tmp_path / 'missing'} does not exist)")
    (tmp_path / "file").write_text("x")
    code, _, err = qualcode("--db", db, "export", "xlsx", tmp_path / "file" / "r.xlsx")
    assert code == 1 and "cannot be written" in err and len(err.strip().splitlines()) == 1
    code, _, err = qualcode("--db", db, "export", "csv", tmp_path)
    assert code == 1 and "is a folder" in err
    code, _, err = qualcode("--db", db, "export", "docx", tmp_path / "c.docx", "--coder", "consensus")
    assert code == 1 and "no consensus coder yet" in err and not (tmp_path / "c.docx").exists()
