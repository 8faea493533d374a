"""XML that comes from outside (a .qdc, a .qdpx's project, every XML part of a .docx) is refused
when it declares a DTD.

No file these tools exchange needs one, and a DTD is how XML attacks arrive: entities that expand
a kilobyte into gigabytes, or that pull in a local file or a URL. lxml is told never to expand,
load or fetch anything, and a DOCTYPE is refused outright, so nothing depends on the parser's limits.
"""

from __future__ import annotations

import zipfile
import zlib

from lxml import etree

REFUSED = "declares a DTD; refused"
_CHUNK = 64 * 1024
_XML_PARTS = (".xml", ".rels", ".qde", ".qdc")
_UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, ValueError)


class DeclaresDTD(ValueError):
    """The XML has a DOCTYPE; the caller names the file in its own one-line error."""


def parser(**options) -> etree.XMLParser:
    """A parser that expands no entity, loads no DTD and fetches nothing."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, **options)


def parse(data: bytes, **options) -> etree._Element:
    """The root element; etree.XMLSyntaxError when not XML, DeclaresDTD when it has a DOCTYPE."""
    root = etree.fromstring(data, parser(**options))
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise DeclaresDTD(REFUSED)
    return root


def _prolog_declares_dtd(stream) -> bool:
    """Reads only up to the root element: a DOCTYPE can stand nowhere else. Not XML → False
    (the reader that parses the part says what is wrong with it)."""
    pull = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True, load_dtd=False)
    try:
        while chunk := stream.read(_CHUNK):
            pull.feed(chunk)
            for _event, element in pull.read_events():
                info = element.getroottree().docinfo
                return bool(info.doctype) or info.internalDTD is not None
        root = pull.close()
    except etree.XMLSyntaxError:
        return False
    info = root.getroottree().docinfo
    return bool(info.doctype) or info.internalDTD is not None


def part_declaring_dtd(archive: zipfile.ZipFile) -> str | None:
    """The first XML part of a zip container (.docx, .xlsx, .qdpx) that declares a DTD, if any."""
    for name in archive.namelist():
        if not name.lower().endswith(_XML_PARTS):
            continue
        try:
            with archive.open(name) as stream:
                if _prolog_declares_dtd(stream):
                    return name
        except _UNREADABLE:  # a damaged part: the reader that needs it says so
            continue
    return None
