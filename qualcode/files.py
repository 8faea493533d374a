"""Reading and writing the project's plain files: a clear line on failure, never half a file behind."""

from __future__ import annotations

import csv
from pathlib import Path

from qualcode.errors import QualcodeError


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target and rename over it; one clear error when the folder is not writable."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise QualcodeError(f"{path}: cannot be written ({err.strerror})") from None


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
