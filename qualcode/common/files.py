"""Reading and writing the project's plain files: a clear line on failure, never half a file behind,
and CSV a spreadsheet shows but never evaluates."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
from pathlib import Path

from qualcode.common.errors import QualcodeError

# what makes Excel, LibreOffice or Sheets read a cell as a formula (OWASP "CSV injection")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_atomically(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write `data` to `path` whole or not at all: a temporary file of its own in the same folder
    (two writers never share one), flushed to disk, then renamed over the target. `mode` (e.g. 0o600
    for the pseudonym key) is set before any byte is written. One clear line when it cannot be written."""
    path = Path(path)
    tmp: str | None = None
    try:
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            if mode is not None:
                os.fchmod(out.fileno(), mode)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as err:
        raise QualcodeError(f"{path}: cannot be written ({err.strerror or err})") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def read_csv_rows(path: Path, required: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """A UTF-8 CSV (with or without BOM) as dicts; one line naming the file when it cannot be read or a
    `required` column is missing."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = set(required) - set(reader.fieldnames or [])
            if missing:
                raise QualcodeError(f"{path}: missing column(s) {', '.join(sorted(missing))} "
                                    f"(need {','.join(required)})")
            return list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise QualcodeError(f"{path}: cannot be read as a UTF-8 CSV ({err})") from None


def spreadsheet_text(value):
    """A text cell that starts like a formula gets a leading ' so no spreadsheet evaluates it;
    anything else (numbers too, negative ones included) is returned as it is."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_bytes(header: list, rows: list[list]) -> bytes:
    """A CSV for people: UTF-8 with a BOM (Excel then reads Cyrillic and Kazakh right), CRLF rows,
    every text cell through `spreadsheet_text`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in [header, *rows]:
        writer.writerow([spreadsheet_text(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")



def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read a megabyte at a time (a recording may be larger than memory likes)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
