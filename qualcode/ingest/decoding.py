"""Bytes → text, and text → the normalised form every offset counts in.

The encoding comes from a BOM, strict UTF-8, then the Cyrillic single-byte code pages
our users' Windows tools write, scored by how much the result looks like Russian or
Kazakh prose; it can be overridden. Stored text is NFC with `\n` newlines and no control
or zero-width characters, so a code point offset means the same thing everywhere.
"""

from __future__ import annotations

import re
import unicodedata

from qualcode.common.errors import IngestError

ENCODING_ALIASES = {
    "utf8": "utf-8", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig",
    "utf16": "utf-16", "utf-16": "utf-16", "utf-16-le": "utf-16-le", "utf-16-be": "utf-16-be",
    "cp1251": "cp1251", "windows-1251": "cp1251", "win1251": "cp1251",
    "koi8-r": "koi8-r", "koi8r": "koi8-r", "koi8-u": "koi8-u",
    "cp866": "cp866", "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff\u2028\u2029]")


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


def decoded_text(data: bytes, encoding: str | None, normalized: bool = True) -> tuple[str, str]:
    """A text format's bytes → (text, encoding used); normalised unless the reader does it per cell."""
    text, used = decode(data, encoding)
    if normalized:
        text = normalize(text)
    if not text.strip():
        raise IngestError("the file contains no text")
    return text, used
