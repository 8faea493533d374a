"""Which format a file is in and how its bytes become normalised text.

Import never guesses silently: the format comes from the extension (checked
against the content), the encoding from BOMs, strict UTF-8, then the Cyrillic
single-byte code pages our users' Windows tools write, scored by how much the
result looks like Russian/Kazakh text. Both can be overridden.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from io import BytesIO
from pathlib import Path

from qualcode.errors import IngestError

FORMATS = ("txt", "docx", "vtt", "srt", "csv", "xlsx")
_EXTENSIONS = {
    ".txt": "txt", ".text": "txt", ".md": "txt",
    ".docx": "docx",
    ".vtt": "vtt",
    ".srt": "srt",
    ".csv": "csv", ".tsv": "csv",
    ".xlsx": "xlsx",
}
ENCODING_ALIASES = {
    "utf8": "utf-8", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig",
    "utf16": "utf-16", "utf-16": "utf-16", "utf-16-le": "utf-16-le", "utf-16-be": "utf-16-be",
    "cp1251": "cp1251", "windows-1251": "cp1251", "win1251": "cp1251",
    "koi8-r": "koi8-r", "koi8r": "koi8-r", "koi8-u": "koi8-u",
    "cp866": "cp866", "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1",
}
MAX_BYTES = 50 * 1024 * 1024

# Zip containers (.docx, .xlsx) are checked before any entry is read.
ZIP_MAX_ENTRIES = 2000
ZIP_MAX_TOTAL = 200 * 1024 * 1024
ZIP_MAX_RATIO = 200

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff\u2028\u2029]")


def detect_format(path: Path, data: bytes, override: str | None = None) -> str:
    """Format name from an override or the extension, refusing what we cannot read."""
    if override:
        fmt = override.lower().lstrip(".")
        if fmt not in FORMATS:
            raise IngestError(f"unknown format '{override}' (choose from {', '.join(FORMATS)})")
        return fmt
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        if data.startswith(b"WEBVTT") or data.startswith(b"\xef\xbb\xbfWEBVTT"):
            return "vtt"
        raise IngestError(f"unsupported file type '{path.suffix or '(none)'}'")
    return fmt


def check_size(data: bytes, limit: int = MAX_BYTES) -> None:
    if not data:
        raise IngestError("the file is empty")
    if len(data) > limit:
        raise IngestError(f"the file is {len(data) / 1e6:.1f} MB, over the {limit / 1e6:.0f} MB limit")


def open_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """Open a zip container after checking entry count, total size and ratio (zip bombs)."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError) as err:
        raise IngestError(f"not a valid {what} (damaged or truncated zip: {err})") from None
    if len(infos) > ZIP_MAX_ENTRIES:
        raise IngestError(f"{what} has {len(infos)} entries, over the limit of {ZIP_MAX_ENTRIES}")
    total = sum(i.file_size for i in infos)
    if total > ZIP_MAX_TOTAL:
        raise IngestError(f"{what} unpacks to {total / 1e6:.0f} MB, over the limit of {ZIP_MAX_TOTAL / 1e6:.0f} MB")
    packed = max(1, sum(i.compress_size for i in infos))
    if total / packed > ZIP_MAX_RATIO:
        raise IngestError(f"{what} has a compression ratio of {total / packed:.0f}:1 (suspected zip bomb)")
    return archive


def looks_binary(data: bytes) -> bool:
    """NUL bytes outside UTF-16, or many control bytes, mean this is not text."""
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in head:
        # UTF-16 without BOM has a NUL in every other byte of ASCII text
        even, odd = head[0::2].count(0), head[1::2].count(0)
        return not (max(even, odd) > 0.3 * len(head) / 2 and min(even, odd) < 0.05 * len(head) / 2)
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > 0.05 * len(head)


def _cyrillic_score(text: str) -> float:
    """How much a decoded string looks like natural Cyrillic/Latin prose (higher is better)."""
    letters = sum(1 for ch in text if ch.isalpha())
    lower_cyr = sum(1 for ch in text if "а" <= ch <= "я" or ch in "ёәғқңөұүһі")
    upper_cyr = sum(1 for ch in text if "А" <= ch <= "Я")
    odd = sum(1 for ch in text if not (ch.isalnum() or ch.isspace() or ch in ".,:;!?-–—()\"'«»[]/%№…*+=#@&_"))
    # natural text is mostly lower case; a wrong code page flips case or yields symbols
    return lower_cyr + 0.3 * upper_cyr + 0.5 * (letters - lower_cyr - upper_cyr) - 3 * odd


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Bytes → (text, encoding name), refusing what no supported encoding reads."""
    if encoding:
        name = ENCODING_ALIASES.get(encoding.lower(), encoding.lower())
        try:
            return data.decode(name), name
        except LookupError:
            raise IngestError(f"unknown encoding '{encoding}'") from None
        except UnicodeDecodeError as err:
            raise IngestError(f"cannot be decoded as {name} (byte {err.start})") from None
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise IngestError("has a UTF-16 byte-order mark but is not valid UTF-16") from None
    if looks_binary(data):
        if b"\x00" in data[:8192]:
            for name in ("utf-16-le", "utf-16-be"):
                try:
                    text = data.decode(name)
                except UnicodeDecodeError:
                    continue
                if not looks_binary(text.encode("utf-8")):
                    return text, name
        raise IngestError("is a binary file, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = []
    for name in ("cp1251", "koi8-r"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        candidates.append((_cyrillic_score(text), name, text))
    if not candidates:
        raise IngestError("cannot be decoded (not UTF-8, UTF-16, cp1251 or KOI8-R); pass --encoding")
    _, name, text = max(candidates)
    if _plausible_share(text) < 0.9:
        raise IngestError("cannot be decoded (not UTF-8, UTF-16, cp1251 or KOI8-R text); pass --encoding")
    return text, name


def _plausible_share(text: str) -> float:
    """Share of characters that ordinary prose uses; a wrong code page yields box drawings and symbols."""
    sample = text[:20000]
    usual = sum(1 for ch in sample if ch.isalnum() or ch.isspace() or ch in ".,:;!?-–—()\"'«»[]/%№…")
    return usual / max(1, len(sample))


def normalize(text: str) -> str:
    """NFC, '\\n' newlines, no control or zero-width characters, no trailing spaces per line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n").replace("\x0c", "\n")
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00a0", " ").replace("\t", " ")
    text = _CONTROL.sub("", text)
    return "\n".join(line.rstrip() for line in text.split("\n"))
