"""Readers for every transcript format, behind one function.

`read_source` turns a file's bytes into a `Parsed` transcript; the importer
(`qualcode.ingest.importer`) assembles, segments and stores it.
"""

from __future__ import annotations

from qualcode.errors import IngestError
from qualcode.ingest import detect
from qualcode.ingest.base import Parsed


def _read_text(data: bytes, encoding: str | None, normalise: bool = True) -> tuple[str, str]:
    text, used = detect.decode(data, encoding)
    if normalise:
        text = detect.normalize(text)
    if not text.strip():
        raise IngestError("the file contains no text")
    return text, used


def read_source(data: bytes, fmt: str, encoding: str | None = None,
                speakers: frozenset[str] = frozenset()) -> Parsed:
    """Parse bytes already known to be of format `fmt`; `speakers` are declared labels."""
    from qualcode.ingest import docx, subtitles, tables, text as plain

    if fmt == "docx":
        return docx.parse_docx(data, declared=speakers)
    if fmt == "xlsx":
        return tables.parse_xlsx(data)
    # tables keep their tabs (a TSV delimiter); their reader normalises each cell
    decoded, used = _read_text(data, encoding, normalise=fmt != "csv")
    if fmt == "txt":
        parsed = plain.parse_txt(decoded, declared=speakers)
    elif fmt == "vtt":
        parsed = subtitles.parse_vtt(decoded, declared=speakers)
    elif fmt == "srt":
        parsed = subtitles.parse_srt(decoded, declared=speakers)
    elif fmt == "csv":
        parsed = tables.parse_csv(decoded)
    else:
        raise IngestError(f"no reader for format '{fmt}'")
    parsed.encoding = used
    return parsed
