"""Spreadsheets (.csv, .xlsx) → turns: transcript tables and survey tables.

Columns are found by their headers in English, Russian and Kazakh, however
they are spelt ("Speaker", "speaker_name", "№ респондента", "Ответ"); a
header is split into lower-case words and each word is compared with a list
of words or stems.

Every non-empty row with text becomes one turn. Which kind of table it is
decides how:

* transcript — the table has a speaker column ("Speaker", "Говорящий",
  "Участник") or a start/end time column. The label column names the turn's
  speaker (None where the cell is empty); the first text column is the text.
* survey — otherwise, when there is a respondent column ("ID", "Respondent",
  "№ респондента", "Имя"), several text columns, or other columns (age,
  region…). The label is the respondent id ("R<n>", n = data row, when there
  is none); every free-text column is an answer, and with several answers the
  turn is "Header: answer" lines.
* a table with nothing but one text column is a transcript of unattributed turns.

Text columns: headers such as Text, Реплика, Ответ, Comment, or a question
("What would you improve…?", five words or more) over free text (cells of
three words or more on average); failing both, the column with the longest
cells if it holds free text. Time columns count only when every value is a
time ("00:01:05", "1:05", "65.5"). In both kinds, a remaining column is a
participant attribute when each participant has one value in it (a survey's
age, gender, region; a transcript's group); columns whose value changes
within a participant (notes) are not attributes.

A CSV row with more fields than the header is an answer with an unquoted
delimiter ("В селе нет ЦОНа, приходится ехать 60 км."). When the text column is
the last one, the extra fields follow it and are rejoined into the text, with
the delimiter, and reported; otherwise the split cannot be undone with
certainty and the file is refused with the row number. An answer is never
split silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
import zlib
from dataclasses import dataclass

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from qualcode.common.errors import IngestError
from qualcode.ingest.base import Format, Parsed, RawTurn
from qualcode.ingest.decoding import normalize
from qualcode.ingest.safety import open_zip
from qualcode.ingest.subtitles import parse_timestamp

# a trailing "*" marks a stem (matches any word it begins); others match whole words
_SPEAKER = ("speaker*", "говорящ*", "спикер*", "выступающ*", "сөйлеуші*",
            "participant*", "участник*", "қатысушы*", "who", "кто")
_RESPONDENT = ("respondent*", "респондент*", "id", "№", "#", "номер*", "анкет*", "name", "names",
               "имя", "фио", "person", "interviewee*", "информант*")
_ID = ("id", "№", "#", "номер*")
_TEXT = ("text", "texts", "текст*", "мәтін*", "utterance*", "transcript*", "транскрипт*",
         "реплик*", "высказыван*", "ответ*", "answer*", "жауап*", "response*", "comment*",
         "комментар*", "пікір*", "quote*", "цитат*", "statement*", "verbatim", "speech", "речь")
_START = ("time", "times", "start*", "timestamp*", "timecode*", "begin*", "врем*", "начал*",
          "таймкод*", "уақыт*")
_END = ("end", "ends", "stop", "finish*", "конец", "конц*", "оконч*")
_FREE_TEXT_WORDS = 3
_QUESTION_WORDS = 5

_BAD_WORKBOOK = (InvalidFileException, zipfile.BadZipFile, zlib.error, KeyError, ValueError,
                 TypeError, OSError, EOFError, SyntaxError)


def _words(header: str) -> list[str]:
    """'respondentID', '№ респондента', 'Speaker_name' → lower-case words (ё read as е)."""
    spaced = re.sub(r"(?<=[a-zа-яё])(?=[A-ZА-ЯЁ])", " ", header)
    return re.findall(r"[^\W_]+|[№#]", spaced.casefold().replace("ё", "е"))


def _matches(header: str, vocabulary: tuple[str, ...]) -> bool:
    return any(word == entry or (entry.endswith("*") and word.startswith(entry[:-1]))
               for word in _words(header) for entry in vocabulary)


def _is_question(header: str) -> bool:
    return header.endswith("?") or len(header.split()) >= _QUESTION_WORDS


def _mean(values: list[str], measure) -> float:
    filled = [measure(value) for value in values if value]
    return sum(filled) / len(filled) if filled else 0.0


def _is_free_text(values: list[str]) -> bool:
    return _mean(values, lambda value: len(value.split())) >= _FREE_TEXT_WORDS


def _is_time_column(values: list[str]) -> bool:
    filled = [value for value in values if value]
    try:
        for value in filled:
            parse_timestamp(value)
    except ValueError:
        return False
    return bool(filled)


@dataclass
class _Columns:
    label: int | None
    texts: list[int]
    start: int | None
    end: int | None
    others: list[int]
    survey: bool


def _find_columns(header: list[str], columns: list[list[str]]) -> _Columns:
    """Which column plays which part, and which kind of table this is (see the module doc)."""
    def first(indexes, test):
        return next((i for i in indexes if test(i)), None)

    def timed(i, words):  # a question ("How much time…?") is never a time column
        return not _is_question(header[i]) and _matches(header[i], words) and _is_time_column(columns[i])

    free = list(range(len(header)))
    end = first(free, lambda i: timed(i, _END))
    start = first(free, lambda i: i != end and timed(i, _START))
    free = [i for i in free if i not in (start, end)]
    named = [i for i in free if _matches(header[i], _TEXT)]
    free = [i for i in free if i not in named]
    short = [i for i in free if not _is_question(header[i])]
    speaker = first(short, lambda i: _matches(header[i], _SPEAKER) and not _matches(header[i], _ID))
    label = speaker if speaker is not None else first(
        short, lambda i: _matches(header[i], _SPEAKER + _RESPONDENT))
    free = [i for i in free if i != label]
    texts = sorted(named + [i for i in free if _is_question(header[i]) and _is_free_text(columns[i])])
    if not texts:
        longest = max(free, key=lambda i: _mean(columns[i], len), default=None)
        if longest is None or not _is_free_text(columns[longest]):
            raise IngestError("no text column found (looked for headers such as Text, Реплика, "
                              "Ответ, Answer, a question, or a column of free text)")
        texts = [longest]
    others = [i for i in free if i not in texts]
    transcript = speaker is not None or start is not None or end is not None
    survey = not transcript and (label is not None or len(texts) > 1 or bool(others))
    return _Columns(label, texts if survey else texts[:1], start, end, others, survey)


def _attributes(header: list[str], rows: list[list[str]], labels: list[str | None],
                others: list[int]) -> dict[str, dict[str, str]]:
    """Columns holding one value per participant become that participant's attributes."""
    attributes: dict[str, dict[str, str]] = {}
    for i in others:
        values: dict[str, set[str]] = {}
        for row, label in zip(rows, labels):
            if label is not None and row[i]:
                values.setdefault(label, set()).add(row[i])
        if all(len(found) == 1 for found in values.values()):
            for label, (value,) in values.items():
                attributes.setdefault(label, {})[header[i]] = value
    return attributes


def _without_empty_tail(row: list[str], width: int) -> list[str]:
    """A row's trailing empty fields beyond the header's width dropped (a delimiter at the end of a line)."""
    end = len(row)
    while end > width and not row[end - 1].strip():
        end -= 1
    return row[:end]


def _rejoin(rows: list[list[str]], width: int, texts: list[int], delimiter: str, names: list[str],
            first_row: int) -> tuple[list[list[str]], list[str]]:
    """Rows longer than the header, their extra fields rejoined into the last column when it is a text
    column; a refusal naming the row otherwise. Returns the rows and a warning line (if any were rejoined)."""
    rejoined: list[int] = []
    fixed = []
    for index, row in enumerate(rows):
        if len(row) > width:
            if width - 1 not in texts:
                raise IngestError(f"row {first_row + index} has {len(row)} fields for {width} columns, and the "
                                  f"text column is not the last one: an unquoted '{delimiter}' cannot be placed; "
                                  "quote the text or fix the row")
            row = row[:width - 1] + [delimiter.join(row[width - 1:])]
            rejoined.append(first_row + index)
        fixed.append(row)
    if not rejoined:
        return fixed, []
    shown = ", ".join(map(str, rejoined[:5])) + (f" and {len(rejoined) - 5} more" if len(rejoined) > 5 else "")
    return fixed, [f"row{'s' if len(rejoined) > 1 else ''} {shown}: more fields than the header (an unquoted "
                   f"'{delimiter}' in the text?), rejoined into '{names[width - 1]}'"]


def parse_rows(header: list[str], rows: list[list[str]], format: str, delimiter: str | None = None,
               first_row: int = 2) -> Parsed:
    """A table's header and data rows (cells as strings) → one turn per row with text. `delimiter`: the
    CSV's, for rejoining rows longer than the header; `first_row`: the first data row's number, for
    messages."""
    if delimiter:
        rows = [_without_empty_tail(row, len(header)) for row in rows]
    ragged = bool(delimiter) and any(len(row) > len(header) for row in rows)
    width = len(header) if ragged else max([len(header)] + [len(row) for row in rows])
    names = [" ".join(normalize(name).split()) for name in header]
    names = [name or f"column {i + 1}" for i, name in enumerate(names + [""] * (width - len(names)))]

    def cells(selected: list[list[str]]) -> list[tuple[int, list[str]]]:
        numbered = [(number, [normalize(cell).strip() for cell in row[:width]] + [""] * (width - len(row)))
                    for number, row in enumerate(selected, start=1)]
        return [(number, row) for number, row in numbered if any(row)]

    numbered = cells(rows)
    if not numbered:
        raise IngestError("the table has a header but no rows")
    found = _find_columns(names, [list(column) for column in zip(*(row for _, row in numbered))])
    warnings: list[str] = []
    if ragged:
        rows, warnings = _rejoin(rows, width, found.texts, delimiter, names, first_row)
        numbered = cells(rows)
    turns, kept, labels = [], [], []
    for number, row in numbered:
        answers = [(names[i], row[i]) for i in found.texts if row[i]]
        if not answers:
            continue
        text = answers[0][1] if len(found.texts) == 1 else "\n".join(_labelled(*answer) for answer in answers)
        label = (row[found.label] if found.label is not None else "") or (
            f"R{number}" if found.survey else None)
        turns.append(RawTurn(text, label, _time(row, found.start), _time(row, found.end)))
        kept.append(row)
        labels.append(label)
    if not turns:
        raise IngestError(f"no row has text in the text column ({', '.join(names[i] for i in found.texts)})")
    return Parsed(format=format, turns=turns, warnings=warnings,
                  participant_attributes=_attributes(names, kept, labels, found.others))


def _labelled(header: str, answer: str) -> str:
    """'Comment: answer', but 'What would you improve? answer' after a question."""
    return f"{header} {answer}" if header[-1] in "?:." else f"{header}: {answer}"


def _time(row: list[str], column: int | None) -> float | None:
    return parse_timestamp(row[column]) if column is not None and row[column] else None


def _from_grid(grid: list[list[str]], format: str, delimiter: str | None = None) -> Parsed:
    """The first non-empty row is the header."""
    top = next((i for i, row in enumerate(grid) if any(cell.strip() for cell in row)), None)
    if top is None:
        raise IngestError("the table is empty")
    return parse_rows(grid[top], grid[top + 1:], format, delimiter, first_row=top + 2)


def _delimiter(text: str) -> str:
    """',' ';' or tab: the one that splits the first rows into the most equal-width columns."""
    def score(delimiter: str) -> tuple[int, int]:
        reader = csv.reader(io.StringIO(text[:65536]), delimiter=delimiter)
        try:
            rows = [row for _, row in zip(range(20), reader)]
        except csv.Error:
            return (0, 0)
        width = len(rows[0]) if rows else 0
        return (sum(len(row) == width for row in rows) if width > 1 else 0, width)

    return max((",", ";", "\t"), key=score)


def read_csv_rows(text: str, delimiter: str | None = None) -> list[list[str]]:
    """Decoded CSV text → rows of cells, delimiter sniffed (unless given), quoted multi-line cells kept."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter or _delimiter(text))
    try:
        return list(reader)
    except csv.Error as err:
        raise IngestError(f"malformed CSV at line {reader.line_num}: {err}") from None


def parse_csv(text: str) -> Parsed:
    """Decoded CSV text → turns. Pass it un-normalised: normalize() turns tabs into spaces,
    which would erase a TSV's delimiter; cells are normalised here."""
    delimiter = _delimiter(text)
    return _from_grid(read_csv_rows(text, delimiter), "csv", delimiter)


def _clock(seconds: float) -> str:
    """65.25 → '0:01:05.250', as parse_timestamp reads it."""
    whole, fraction = divmod(round(seconds * 1000), 1000)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{secs:02}" + (f".{fraction:03}" if fraction else "")


def _cell(value) -> str:
    """An Excel cell value as the text a person sees (34.0 → '34', dates ISO, times h:mm:ss)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _clock(value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6)
    if isinstance(value, dt.timedelta):
        return _clock(value.total_seconds())
    return str(value)


def parse_xlsx(data: bytes) -> Parsed:
    """An .xlsx workbook → turns from its first sheet that has any cells filled."""
    open_zip(data, "Excel workbook").close()
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                grid = [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
                if any(any(row) for row in grid):
                    break
            else:
                raise IngestError("the workbook has no filled cells")
        finally:
            workbook.close()
    except _BAD_WORKBOOK as err:
        raise IngestError(f"not a valid Excel workbook: {err}") from None
    return _from_grid(grid, "xlsx")


CSV = Format("csv", (".csv", ".tsv"), lambda text, _speakers: parse_csv(text), normalize=False)
XLSX = Format("xlsx", (".xlsx",), lambda data, _speakers: parse_xlsx(data), binary=True)
