"""Every transcript format import knows, in one list: a new format is a reader module that
declares a `Format` (name, extensions, sniffing, parser) and one entry in `REGISTRY` below.

`read_source`, format detection, the CLI's `--format` choices and the upload widget all read
this registry.
"""

from __future__ import annotations

from pathlib import Path

from qualcode.common.errors import IngestError
from qualcode.ingest import docx, subtitles, tables, text
from qualcode.ingest.base import Format, Parsed

REGISTRY: dict[str, Format] = {f.name: f for f in (
    text.TXT, docx.DOCX, subtitles.VTT, subtitles.SRT, tables.CSV, tables.XLSX,
)}
FORMATS = tuple(REGISTRY)
EXTENSIONS = tuple(ext for f in REGISTRY.values() for ext in f.extensions)


def detect_format(path: Path, data: bytes, override: str | None = None) -> str:
    """Format name from an override, the extension, or the first bytes; refusing what we cannot read."""
    if override:
        name = override.lower().lstrip(".")
        if name not in REGISTRY:
            raise IngestError(f"unknown format '{override}' (choose from {', '.join(FORMATS)})")
        return name
    suffix = path.suffix.lower()
    for fmt in REGISTRY.values():
        if suffix in fmt.extensions:
            return fmt.name
    for fmt in REGISTRY.values():
        if fmt.sniff is not None and fmt.sniff(data):
            return fmt.name
    raise IngestError(f"unsupported file type '{path.suffix or '(none)'}'")


def read_source(data: bytes, fmt: str, encoding: str | None = None,
                speakers: frozenset[str] = frozenset()) -> Parsed:
    """Parse bytes already known to be of format `fmt`; `speakers` are declared labels."""
    if fmt not in REGISTRY:
        raise IngestError(f"no reader for format '{fmt}'")
    return REGISTRY[fmt].read(data, encoding, speakers)
