"""A codebook file, YAML or REFI-QDA `.qdc`, read by its extension.

It sits above both readers (`codebook.parse_yaml`, `refi.qdc.parse_qdc`) so that
neither imports the other.
"""

from __future__ import annotations

from pathlib import Path

from qualcode.codebook import Codebook, CodebookError, parse_yaml
from qualcode.refi.qdc import parse_qdc


def read_codebook_file(path: Path) -> tuple[Codebook, list[str]]:
    """A YAML or REFI-QDA .qdc file → (codebook, warnings); errors name the file."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise CodebookError([f"{path}: cannot be read ({err.strerror})"]) from None
    return read_codebook_bytes(data, str(path))


def read_codebook_bytes(data: bytes, source: str) -> tuple[Codebook, list[str]]:
    """A codebook's bytes (an upload) → (codebook, warnings); `source` is the file name, whose
    extension tells .qdc from YAML."""
    if source.lower().endswith(".qdc"):
        return parse_qdc(data, source), []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CodebookError([f"{source}: not UTF-8 text (save the codebook as UTF-8)"]) from None
    return parse_yaml(text, source)
