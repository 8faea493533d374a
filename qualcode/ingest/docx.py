"""Word (.docx) transcripts: paragraphs and tables become lines for text.build_turns.

Word adds layouts a .txt cannot have: headings (titles, never speakers), a
leading bold run as the speaker ("**Айгерим** Сәлем"), two-column tables
(speaker | text), and line breaks inside one paragraph (Teams' cue layout
"0:00:03.120 --> 0:00:07.400 / Name / text"). Everything else — "Name:",
timestamps, Otter/Teams "Name  0:03" headers — is the .txt grammar. Layout
speakers are confirmed like any other label: bold is also used for emphasis
and pseudo-headings ("**Вопрос 1**").
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterable
from io import BytesIO

import docx
from docx.exceptions import PythonDocxError
from docx.opc.exceptions import OpcError
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

from qualcode.common.errors import IngestError
from qualcode.ingest import safety
from qualcode.ingest.base import Format, Parsed
from qualcode.ingest.speakers import is_name_like
from qualcode.ingest.text import Line, build_turns, split_lines

# runs of the paragraph itself, of hyperlinks, tracked insertions, smart tags and content
# controls — python-docx's Paragraph.text misses all but hyperlinks
_RUNS = ("./w:r | ./w:hyperlink/w:r | ./w:ins/w:r | ./w:smartTag/w:r"
         " | ./w:sdt/w:sdtContent/w:r | ./w:fldSimple/w:r")
_TITLE_STYLES = ("heading", "title", "subtitle", "заголовок")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_WRONG_TYPE = re.compile(r"file '[^']*' is not a Word file, content type is '([^']*)'")
_BROKEN = (OpcError, PythonDocxError, KeyError, ValueError, AttributeError,
           etree.LxmlError, zipfile.BadZipFile, zlib.error, EOFError)


def _runs(paragraph: Paragraph) -> list[Run]:
    return [Run(r, paragraph) for r in paragraph._p.xpath(_RUNS)]


class _Styles:
    """Style facts looked up once per document: python-docx resolves `.style` by scanning every
    style on each access, which made a one-hour transcript take seconds."""

    def __init__(self, document):
        self.names = {style.style_id: style.name or "" for style in document.styles}
        self.bold = {style.style_id for style in document.styles
                     if getattr(style, "font", None) is not None and style.font.bold}

    def is_bold(self, run: Run) -> bool:
        if run.bold is not None:
            return run.bold
        return run._r.style in self.bold

    def is_title(self, paragraph: Paragraph) -> bool:
        return self.names.get(paragraph._p.style, "").casefold().startswith(_TITLE_STYLES)


def _bold_label(runs: list[Run], first_line: str, styles: _Styles) -> tuple[str, str] | None:
    """(label, rest of the line) when the line opens with a bold, name-like run."""
    bold = ""
    for run in runs:
        if not run.text:
            continue
        if not styles.is_bold(run):
            break
        bold += run.text
    bold = split_lines(bold)[0]
    label = bold.strip().removesuffix(":").strip()
    if not label or ":" in label or not is_name_like(label):
        return None
    rest = first_line[len(bold):].lstrip()
    return label, rest.removeprefix(":")


def _paragraph_lines(paragraph: Paragraph, styles: _Styles) -> list[Line]:
    runs = _runs(paragraph)
    lines = split_lines("".join(run.text for run in runs))
    if styles.is_title(paragraph):
        text = " ".join(line.strip() for line in lines if line.strip())
        return [Line(text, title=True)] if text else []
    found = _bold_label(runs, lines[0], styles)
    if found is None:
        return [Line(line) for line in lines]
    label, rest = found
    return [Line(lines[0], label=label, rest=rest), *(Line(line) for line in lines[1:])]


def _cell_text(cell) -> str:
    return "\n".join("".join(run.text for run in _runs(p)) for p in cell.paragraphs).strip()


def _table_lines(table: Table) -> list[Line]:
    """A row "speaker | text" of a two-column table is a turn; other rows are text."""
    lines: list[Line] = []
    for row in table.rows:
        cells = list({cell._tc: cell for cell in row.cells}.values())  # merged cells repeat
        texts = [_cell_text(cell) for cell in cells]
        joined = " | ".join(text for text in texts if text)
        if not joined:
            continue
        label = texts[0].removesuffix(":").strip() if len(texts) == 2 else ""
        if label and is_name_like(label):
            lines.append(Line(joined, label=label, rest=texts[1]))
        else:
            lines.extend(Line(line) for line in split_lines(joined))
    return lines


def _reason(err: Exception) -> str:
    """python-docx's message, minus quoting and the in-memory file's repr."""
    if isinstance(err, KeyError) and err.args:
        return str(err.args[0])
    text = (str(err).splitlines() or [type(err).__name__])[0]
    wrong = _WRONG_TYPE.search(text)
    return f"its main part is '{wrong[1]}'" if wrong else text[:200]


def _document_lines(data: bytes) -> list[Line]:
    document = docx.Document(BytesIO(data))
    styles = _Styles(document)
    lines: list[Line] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_table_lines(block))
        else:
            lines.extend(_paragraph_lines(block, styles))
    return lines


def parse_docx(data: bytes, declared: Iterable[str] = frozenset()) -> Parsed:
    """A .docx file's bytes → speaker turns, refusing damaged or empty documents;
    `declared` labels are speakers even when they speak once."""
    if data.startswith(_OLE_MAGIC):
        raise IngestError("this is an old .doc or a password-protected Word file; save it as .docx without a password")
    safety.open_zip(data, "Word document")
    try:
        lines = _document_lines(data)
    except _BROKEN as err:
        raise IngestError(f"not a valid Word document: {_reason(err)}") from None
    turns, warnings = build_turns(lines, declared, numbered=False)
    if not turns:
        raise IngestError("the Word document contains no text")
    return Parsed(format="docx", turns=turns, warnings=warnings)


DOCX = Format("docx", (".docx",), parse_docx, binary=True)
