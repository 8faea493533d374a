"""Coded quotes as tables for statistics: a long table (one row per quote) and code matrices.

CSV holds one table per file, so a CSV export is the long table plus sibling files for the
code × document matrix and one code × attribute matrix; an XLSX workbook holds them all, with
a sheet per attribute. Both are UTF-8 (CSV with a BOM, so Excel reads Cyrillic and Kazakh
right). Every text cell is written as text: a quote that starts with "=" or "-" must never
turn into a spreadsheet formula (XLSX: string cells; CSV: a leading ' as `files.spreadsheet_text` says).
"""

from __future__ import annotations

import io
import re

import pandas as pd

from qualcode.export import analysis
from qualcode.common.files import csv_bytes
from qualcode.export.quotes import QuoteSet, printable

MATRIX_MEASURE = "segments"
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FILE_UNSAFE = re.compile(r"[^\w.-]+")


def _long_rows(quoteset: QuoteSet) -> tuple[list[str], list[dict]]:
    keys = quoteset.attributes()
    doc_keys = [k for k in keys if k.startswith("document:")]
    person_keys = [k for k in keys if k.startswith("participant:")]
    columns = (["document", *doc_keys, "participant"] + ([] if quoteset.anonymised else ["pseudonym"])
               + ["role", *person_keys, "time_s", "code", "coder", "status", "score", "cooccurring", "segment",
                  "start", "end", "text"])
    rows = [{"document": q.document, **{k: q.value(k) for k in doc_keys}, "participant": q.participant,
             "pseudonym": q.pseudonym, "role": q.role, **{k: q.value(k) for k in person_keys}, "time_s": q.time,
             "code": q.code, "coder": q.coder, "status": q.status, "score": q.score,
             "cooccurring": "; ".join(q.cooccurring), "segment": q.segment_id, "start": q.start, "end": q.end,
             "text": q.text} for q in quoteset.quotes]
    return columns, rows


def long_table(quoteset: QuoteSet) -> pd.DataFrame:
    """One row per coded quote with every document and participant attribute as its own column
    (`document:K`, `participant:K`); no pseudonym column when anonymised (`participant` is it)."""
    columns, rows = _long_rows(quoteset)
    return pd.DataFrame(rows, columns=columns)


def _cell(value):
    """None → empty; text cleaned of characters XML and spreadsheets refuse; numpy numbers as Python's."""
    if value is None:
        return None
    if isinstance(value, str):
        return printable(value)
    return value.item() if hasattr(value, "item") else value


def _matrix_rows(frame: pd.DataFrame) -> tuple[list, list[list]]:
    header = [frame.index.name or "code", *[str(c) for c in frame.columns]]
    return header, [[code, *values] for code, values in zip(frame.index, frame.to_numpy().tolist())]


def _attribute_label(key: str, keys: list[str]) -> str:
    """`gender` when only one scope has it, else `participant gender` / `document settlement`."""
    scope, _, name = key.partition(":")
    clash = sum(1 for k in keys if k.partition(":")[2] == name) > 1
    return f"{scope} {name}" if clash else name


def matrices(quoteset: QuoteSet, by: list[str]) -> dict[str, pd.DataFrame]:
    """Code × document and code × each attribute in `by`, counting distinct coded segments."""
    found = {"document": analysis.crosstab(quoteset, "document", MATRIX_MEASURE)}
    for key in by:
        label = _attribute_label(key, by) if ":" in key else key
        found[label] = analysis.crosstab(quoteset, key, MATRIX_MEASURE)
    return found


def _csv_bytes(header: list, rows: list[list]) -> bytes:
    return csv_bytes(header, [[_cell(v) for v in row] for row in rows])


def csv_tables(quoteset: QuoteSet, by: str | None = None) -> dict[str, bytes]:
    """{"quotes": long table, "code_x_document": …, "code_x_<by>": …} as CSV bytes."""
    columns, rows = _long_rows(quoteset)
    tables = {"quotes": _csv_bytes(columns, [[row[c] for c in columns] for row in rows])}
    for label, frame in matrices(quoteset, [by] if by and by != "document" else []).items():
        tables[f"code_x_{_FILE_UNSAFE.sub('_', label)}"] = _csv_bytes(*_matrix_rows(frame))
    return tables


def _sheet_title(label: str, used: set[str]) -> str:
    base = _SHEET_FORBIDDEN.sub("_", label)[:31]
    title, n = base, 1
    while title.casefold() in used:
        n += 1
        title = f"{base[:31 - len(str(n)) - 1]}~{n}"
    used.add(title.casefold())
    return title


def _sheet(book, used: set[str], label: str, header: list, rows: list[list]) -> None:
    """One sheet, header frozen; every text cell a string cell, never a formula, whatever it starts with."""
    from openpyxl.cell import WriteOnlyCell

    ws = book.create_sheet(_sheet_title(label, used))
    ws.freeze_panes = "B2"
    for values in [header, *rows]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(ws, _cell(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"
            cells.append(cell)
        ws.append(cells)


def _workbook_bytes(sheets: list[tuple[str, list, list[list]]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    used: set[str] = set()
    for label, header, rows in sheets:
        _sheet(book, used, label, header, rows)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _frame_table(frame: pd.DataFrame) -> tuple[list[str], list[list]]:
    """A pandas table's columns and rows (no index), missing values as empty cells."""
    values = frame.astype(object).where(frame.notna(), None)
    return [str(c) for c in frame.columns], values.values.tolist()


def frame_csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table a page shows, as a download: the same safe CSV as the exports."""
    return _csv_bytes(*_frame_table(frame))


def frame_xlsx_bytes(frame: pd.DataFrame, sheet: str) -> bytes:
    """A table a page shows as a one-sheet workbook, text as string cells."""
    return _workbook_bytes([(sheet, *_frame_table(frame))])


def xlsx_bytes(quoteset: QuoteSet) -> bytes:
    """A workbook: Quotes, Frequencies, Co-occurrence, Code × document, and Code × every attribute."""
    columns, rows = _long_rows(quoteset)
    sheets = [("Quotes", columns, [[row[c] for c in columns] for row in rows]),
              ("Frequencies", *_matrix_rows(analysis.frequencies(quoteset))),
              ("Co-occurrence", *_matrix_rows(analysis.cooccurrence(quoteset)))]
    sheets += [(f"Code × {label}", *_matrix_rows(frame))
               for label, frame in matrices(quoteset, quoteset.attributes()).items()]
    return _workbook_bytes(sheets)
