"""A REFI-QDA `.qdpx` read into plain data (a `Package`) before `qdpx_import` opens its write transaction.

Everything that can refuse a file runs here, outside the transaction. The reader is lenient with
what other tools write (no namespace, empty containers, braced upper-case GUIDs, #RGB,
PlainTextContent instead of a file, `\\r\\n` counted as one character, another .qde name) and
refuses, naming the file, what it cannot trust: not a zip, no .qde, schema errors, a path out of
its folder, a zip bomb.
"""

from __future__ import annotations

import json
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path

from lxml import etree

from qualcode.common import untrusted_xml
from qualcode.codebook import Codebook, CodebookError, normalize_guid
from qualcode.common.errors import IngestError, QualcodeError
from qualcode.refi.qdc import META_PI, parse_qdc
from qualcode.refi.positions import map_positions, normalise
from qualcode.refi.xml_helpers import (PI, QDE_NAME, child_elements, local_name, qname, schema_errors,
                                      syntax_problem)
from qualcode.ingest import decoding, safety

# containers the schema wants non-empty; other tools (Taguette) write them empty
_CONTAINERS = ("Users", "Codes", "Variables", "Cases", "Sources", "Notes", "Links", "Sets", "Graphs")


def _child(element: etree._Element, name: str) -> etree._Element | None:
    found = child_elements(element, name)
    return found[0] if found else None


def _meta(element: etree._Element) -> dict:
    """Our processing instruction inside an element; anything malformed counts as absent."""
    for node in element:
        if isinstance(node, etree._ProcessingInstruction) and node.target == PI:
            try:
                data = json.loads(node.text or "")
            except ValueError:
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def _guid_of(element: etree._Element, attribute: str = "guid") -> str | None:
    value = element.get(attribute)
    return normalize_guid(value) if value else None


def _moment(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


@dataclass
class _Coding:
    start: int  # positions as the file gives them, until Reader.source maps them into the stored text
    end: int
    code: str
    user: str | None
    created: datetime | None
    extra: dict
    notes: list[str]
    name: str = ""


@dataclass
class Source:
    guid: str
    name: str
    text: str  # normalised as every stored text is
    encoding: str
    created: datetime | None
    meta: dict
    attributes: dict[str, str]
    codings: list[_Coding]
    notes: list[str]
    positions: str = "code points"


@dataclass
class Case:
    name: str
    sources: list[str]
    values: dict[str, str]
    notes: list[str] = field(default_factory=list)


@dataclass
class Package:
    """Everything a .qdpx holds that we store, read and checked before the write transaction."""

    qde: str
    codebook: Codebook | None
    users: dict[str, tuple[str, dict]]  # guid → (name, our data)
    sources: list[Source]
    cases: list[Case]
    notes: dict[str, tuple[str, str | None, datetime | None]]  # guid → (text, user guid, created)
    project_notes: list[str]
    code_notes: dict[str, list[str]]
    warnings: list[str]


class Reader:
    """Reads one .qdpx; every refusal names the file."""

    def __init__(self, path: Path):
        self.path = path
        try:
            size = path.stat().st_size
            if size > safety.ZIP_MAX_TOTAL:  # it could only unpack to more: refused before it is read
                raise QualcodeError(f"{path}: the file is {size / 1e6:.0f} MB, over the "
                                    f"{safety.ZIP_MAX_TOTAL / 1e6:.0f} MB limit")
            data = path.read_bytes()
        except OSError as err:
            raise QualcodeError(f"{path}: cannot be read ({err.strerror})") from None
        if not zipfile.is_zipfile(BytesIO(data)):
            raise QualcodeError(f"{path}: not a zip file (a .qdpx is a zip holding a .qde project file)")
        try:
            self.archive = safety.open_zip(data, "REFI-QDA project")
        except IngestError as err:
            raise QualcodeError(f"{path}: {err}") from None
        self.names = {name.lower(): name for name in self.archive.namelist()}

    def fail(self, message: str) -> QualcodeError:
        return QualcodeError(f"{self.path}: {message}")

    def member(self, name: str) -> bytes:
        try:
            return self.archive.read(name)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as err:
            raise self.fail(f"{name} cannot be unpacked ({err})") from None

    def qde(self) -> tuple[str, etree._Element]:
        """The project file, whatever its name; the shallowest, then alphabetically first, when several."""
        found = sorted((n for n in self.archive.namelist() if n.lower().endswith(".qde") and not n.endswith("/")),
                       key=lambda n: (n.count("/"), n.lower() != QDE_NAME, n))
        if not found:
            raise self.fail("no .qde project file inside")
        name = found[0]
        try:
            root = untrusted_xml.parse(self.member(name))
        except etree.XMLSyntaxError as err:
            raise self.fail(f"{name}:{err.lineno}: not XML: {syntax_problem(err)}") from None
        except untrusted_xml.DeclaresDTD:
            raise self.fail(f"{name} {untrusted_xml.REFUSED}") from None
        if local_name(root) != "Project":
            raise self.fail(f"{name}: not a REFI-QDA project: the root element is <{local_name(root)}>, "
                            "expected <Project>")
        _tolerate(root)
        errors = schema_errors(root, "Project.xsd")
        if errors:
            more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
            raise self.fail(f"{name} does not follow the REFI-QDA project schema: {'; '.join(errors[:3])}{more}")
        return name, root

    def text(self, element: etree._Element, what: str) -> tuple[str, str]:
        """A source's or note's text and its encoding: its file inside the archive, else its PlainTextContent."""
        path = (element.get("plainTextPath") or "").strip()
        content = _child(element, "PlainTextContent")
        if ".." in re.split(r"[/\\]", path):
            raise self.fail(f"{what}: plainTextPath '{path}' points outside its own folder")
        if path.startswith("internal://"):
            inside = path[len("internal://"):].replace("\\", "/")
            if inside.startswith("/") or re.match(r"[A-Za-z]:", inside):
                raise self.fail(f"{what}: plainTextPath '{path}' points outside its own folder")
            name = self.names.get(posixpath.normpath(f"sources/{inside}").lower())
            if name is None:
                raise self.fail(f"{what}: sources/{inside} is not in the archive")
            try:
                return decoding.decode(self.member(name))
            except IngestError as err:
                raise self.fail(f"{what}: sources/{inside} {err}") from None
        if content is not None:
            return "".join(content.itertext()), "utf-8"
        if path:
            raise self.fail(f"{what}: plainTextPath '{path}' is a file outside the .qdpx (export it with its "
                            "sources embedded)")
        raise self.fail(f"{what}: no plainTextPath and no PlainTextContent")

    def read(self) -> Package:
        qde, root = self.qde()
        users = {}
        for element in child_elements(root, "Users"):
            kinds = _meta(element)
            for user in child_elements(element, "User"):
                guid = _guid_of(user)
                name = (user.get("name") or user.get("id") or "").strip() or f"user {guid}"
                users[guid] = (name, kinds.get(guid) or {})
        variables = {_guid_of(v): v.get("name", "").strip()
                     for vs in child_elements(root, "Variables") for v in child_elements(vs, "Variable")}
        notes = {}
        for note in (n for ns in child_elements(root, "Notes") for n in child_elements(ns, "Note")):
            text, _ = self.text(note, f"note '{note.get('name') or note.get('guid')}'")
            notes[_guid_of(note)] = (text, _guid_of(note, "creatingUser"), _moment(note.get("creationDateTime")))
        referenced: set[str] = set()

        def refs(element: etree._Element) -> list[str]:
            found = [_guid_of(ref, "targetGUID") for ref in child_elements(element, "NoteRef")]
            found = [guid for guid in found if guid in notes]
            referenced.update(found)
            return found

        code_notes = {_guid_of(code): refs(code) for code in root.iter(qname("Code"))}
        sources, warnings = [], []
        for element in (s for container in child_elements(root, "Sources")
                        for s in container if isinstance(s.tag, str)):
            if local_name(element) == "TextSource":
                sources.append(self.source(element, variables, refs))
            else:
                warnings.append(f"{local_name(element)} '{element.get('name')}' was left out "
                                "(only text sources are read)")
        cases = {}
        for element in (c for cs in child_elements(root, "Cases") for c in child_elements(cs, "Case")):
            cases[_guid_of(element)] = Case(
                name=(element.get("name") or "").strip(),
                sources=[_guid_of(ref, "targetGUID") for ref in child_elements(element, "SourceRef")],
                values=_values(element, variables))
        for link in (k for ks in child_elements(root, "Links") for k in child_elements(ks, "Link")):
            note, case = _guid_of(link, "originGUID"), _guid_of(link, "targetGUID")
            if note in notes and case in cases:
                cases[case].notes.append(note)
                referenced.add(note)
        project_notes = refs(root) + [guid for guid in notes if guid not in referenced]
        return Package(qde, _codebook(root, qde, self), users, sources, list(cases.values()), notes,
                        project_notes, {guid: found for guid, found in code_notes.items() if found}, warnings)

    def source(self, element: etree._Element, variables: dict[str, str], refs) -> Source:
        guid = _guid_of(element)
        name = (element.get("name") or "").strip() or f"source {guid}"
        raw, encoding = self.text(element, f"source '{name}'")
        codings = []
        for selection in child_elements(element, "PlainTextSelection"):
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            shared = refs(selection)
            codings += [_coding(coding, start, end, selection, shared + refs(coding))
                        for coding in child_elements(selection, "Coding")]
        text, offsets = normalise(raw)
        source = Source(guid, name, text, encoding, _moment(element.get("creationDateTime")), _meta(element),
                         _values(element, variables), codings, refs(element))
        if codings:
            try:
                selections = [(coding.start, coding.end, coding.name) for coding in codings]
                source.positions, mapping = map_positions(text, raw, offsets, selections)
            except QualcodeError as err:
                raise self.fail(f"source '{name}': {err}") from None
            for coding in codings:
                coding.start, coding.end = mapping[coding.start], mapping[coding.end]
        # a Coding of the TextSource itself codes all of it
        source.codings += [_coding(coding, 0, len(text), element, refs(coding))
                           for coding in child_elements(element, "Coding")]
        return source


def _coding(element: etree._Element, start: int, end: int, selection: etree._Element, notes: list[str]) -> _Coding:
    ref = _child(element, "CodeRef")
    return _Coding(start=start, end=end, code=_guid_of(ref, "targetGUID"),
                   user=_guid_of(element, "creatingUser") or _guid_of(selection, "creatingUser"),
                   created=_moment(element.get("creationDateTime") or selection.get("creationDateTime")),
                   extra=_meta(element), notes=notes, name=selection.get("name") or "")


def _values(element: etree._Element, variables: dict[str, str]) -> dict[str, str]:
    values = {}
    for value in child_elements(element, "VariableValue"):
        name = variables.get(_guid_of(_child(value, "VariableRef"), "targetGUID"))
        content = [child for child in value if isinstance(child.tag, str) and local_name(child) != "VariableRef"]
        if name and content:
            values[name] = "".join(content[0].itertext()).strip()
    return values


def _tolerate(root: etree._Element) -> None:
    """What other tools write that the schema refuses but that means no harm: no namespace, empty containers."""
    if etree.QName(root).namespace is None:
        for element in root.iter(tag=etree.Element):
            if etree.QName(element).namespace is None:
                element.tag = qname(element.tag)
    for name in _CONTAINERS + ("CodeBook",):
        for element in list(root.iter(qname(name))):
            if not any(isinstance(child.tag, str) for child in element):
                element.getparent().remove(element)


def _codebook(root: etree._Element, qde: str, reader: Reader) -> Codebook | None:
    """The CodeBook and Sets read by parse_qdc, with its errors' line numbers those of the .qde."""
    codes = root.find(f"{qname('CodeBook')}/{qname('Codes')}")
    if codes is None:
        return None
    meta = next((node for node in root.itersiblings(preceding=True) if isinstance(node, etree._ProcessingInstruction)
                 and node.target == META_PI), None)
    sets = [etree.fromstring(etree.tostring(s)) for s in child_elements(root, "Sets")]
    for member in (m for s in sets for m in s.iter(qname("MemberCode"))):
        member.set("guid", member.get("targetGUID", ""))
    data = ((etree.tostring(meta, with_tail=False) if meta is not None else b"") + b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0">'
            + etree.tostring(codes, with_tail=False) + b"".join(etree.tostring(s, with_tail=False) for s in sets)
            + b"</CodeBook>")
    try:
        return parse_qdc(data, qde)
    except CodebookError as err:
        def shifted(match: re.Match) -> str:  # the Codes element began line 1 of what parse_qdc read
            return f"{match[1]}{int(match[2]) + codes.sourceline - 1}"
        lines = [re.sub(rf"(^{re.escape(qde)}:|first at line )(\d+)", shifted, e) for e in err.errors]
        more = f" (and {len(lines) - 3} more)" if len(lines) > 3 else ""
        raise reader.fail(f"codebook: {'; '.join(lines[:3])}{more}") from None
