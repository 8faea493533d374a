"""Limits checked before a file's content is read: its size, and a zip container's entries,
unpacked size and compression ratio (zip bombs: .docx, .xlsx and .qdpx are zips), and no XML
part declaring a DTD."""

from __future__ import annotations

import zipfile
from io import BytesIO

from qualcode.common import untrusted_xml
from qualcode.common.errors import IngestError

MAX_BYTES = 50 * 1024 * 1024

# Zip containers (.docx, .xlsx) are checked before any entry is read.
ZIP_MAX_ENTRIES = 2000
ZIP_MAX_TOTAL = 200 * 1024 * 1024
ZIP_MAX_RATIO = 200

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
    if part := untrusted_xml.part_declaring_dtd(archive):
        raise IngestError(f"{part} {untrusted_xml.REFUSED}")
    return archive
