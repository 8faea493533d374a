"""The whole project as a REFI-QDA `.qdpx`, so that NVivo, ATLAS.ti, MAXQDA and QualCoder open our coding.

A `.qdpx` is a zip of `project.qde` (XML, urn:QDA-XML:project:1.0) and the sources'
plain texts under `sources/`. Our entities map onto it as

    coder → User                 code → Code (tags → Sets)
    document → TextSource        participant → Case with a SourceRef; attributes → Variables
    coding → Coding inside a PlainTextSelection (one selection per span and coder)
    memo → Note, referenced from its target (from a Case by a Link, which has no NoteRef)

The codebook part is written by `refi_codebook.to_qdc` and read by `parse_qdc`, only moved
between the two namespaces, so a code's Description and its tag Sets are the same in a `.qdc`
and a `.qdpx`. What the schema has no place for (a document's turns, unit and language, a
machine coder, a suggestion's score) rides in `<?qualcode {json}?>` processing instructions,
which validators and other tools ignore; they make our own files round-trip. The GUIDs of
everything but codes are derived (uuid5) from what identifies a row in any database (a
document's sha256, a coder's name, a span), and the only dates are those stored with documents,
codings and memos, so the same project state always gives the same bytes.

Import is one write transaction. It is lenient with what other tools write (no namespace,
empty containers, braced upper-case GUIDs, #RGB, PlainTextContent instead of a file, `\\r\\n`
counted as one character, another .qde name) and refuses, naming the file, what it cannot
trust: not a zip, no .qde, schema errors, a path out of its folder, a zip bomb.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import posixpath
import re
import unicodedata
import uuid
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from io import BytesIO
from pathlib import Path

from lxml import etree
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from qualcode import segment
from qualcode.codebook import PATH_SEPARATOR, Codebook, CodebookError, CodeSpec, normalize_guid
from qualcode.codes import SPEC_FIELDS, CodeTree, snapshot, to_codebook
from qualcode.coding import coder_named, coding_snapshot
from qualcode.errors import IngestError, QualcodeError
from qualcode.export.refi_codebook import GUID_NAMESPACE, META_PI, ORIGIN, parse_qdc, to_qdc
from qualcode.ingest import detect, speakers
from qualcode.ingest.assemble import PlacedTurn, assemble
from qualcode.ingest.language import guess_language
from qualcode.ingest.text import parse_txt
from qualcode.model import Code, Coder, Coding, Document, Memo, Participant, Project, Segment, Turn
from qualcode.files import write_atomically
from qualcode.store import Store, find_project, get_project, record

NAMESPACE = "urn:QDA-XML:project:1.0"
PI = "qualcode"
QDE_NAME = "project.qde"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so that the same state gives the same zip
HUMAN_STATUSES = ("manual", "accepted")
DEFAULT_CODER = "imported"  # codings whose file names no user
ROLES = ("moderator", "participant", "observer")
FIXED_COLUMNS = ("label", "role", "pseudonym")  # participant fields that are not attributes
# containers the schema wants non-empty; other tools (Taguette) write them empty
_CONTAINERS = ("Users", "Codes", "Variables", "Cases", "Sources", "Notes", "Links", "Sets", "Graphs")
_LINE_BREAK = re.compile(r"\r\n|[\r\n\x0b\x0c]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff\u2028\u2029]")  # as detect.normalize
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # no XML 1.0 file may hold them


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, ":".join(str(p) for p in parts)))


def _q(tag: str) -> str:
    return f"{{{NAMESPACE}}}{tag}"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _parser(**options) -> etree.XMLParser:
    """No DTD entities expanded, nothing fetched: a .qdpx may come from anyone."""
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, **options)


# ---------------------------------------------------------------- writing

def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str | None) -> etree._Element:
    """A child element; characters XML cannot hold (a control character typed into a memo) are dropped."""
    element = etree.SubElement(parent, _q(tag), {k: _NOT_XML.sub("", v) for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = _NOT_XML.sub("", text)
    return element


def _add_pi(element: etree._Element, data: dict) -> None:
    """Our own data as the element's first child; '>' escaped so that '?>' cannot end it."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True).replace(">", "\\u003e")
    element.insert(0, etree.ProcessingInstruction(PI, text))


def _stamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _adopt(parent: etree._Element, element: etree._Element) -> etree._Element:
    """A copy of a codebook element under `parent`, in the project namespace (Set members say targetGUID)."""
    attrs = dict(element.attrib)
    if _local(element) == "MemberCode":
        attrs = {"targetGUID": attrs["guid"]}
    copy = _el(parent, _local(element), element.text, **attrs)
    for child in element:
        if isinstance(child.tag, str):
            _adopt(copy, child)
    return copy


class _Writer:
    """Builds project.qde from one read session; `texts` are the files for sources/."""

    def __init__(self, session: Session, project: Project, suggestions: bool):
        self.session, self.project = session, project
        self.root = etree.Element(_q("Project"), {"name": project.name, "origin": ORIGIN}, nsmap={None: NAMESPACE})
        self.texts: dict[str, str] = {}
        self.notes: list[tuple[str, Memo | Coding]] = []  # (note guid, what it holds)
        self.links: list[tuple[str, str]] = []  # (note guid, case guid)
        self.skipped = 0
        self.memos: dict[tuple[str, int | None], list[Memo]] = {}
        for memo in session.scalars(select(Memo).where(Memo.project_id == project.id).order_by(Memo.id)):
            self.memos.setdefault((memo.target_kind, memo.target_id), []).append(memo)
        # sorted here, not in SQL: collations differ between databases, the bytes must not
        self.coders = sorted(session.scalars(select(Coder).where(Coder.project_id == project.id)), key=lambda c: c.name)
        self.user = {c.id: _guid("coder", c.name) for c in self.coders}
        self.codings: dict[int, list[Coding]] = {}
        for coding in self._codings(suggestions):
            self.codings.setdefault(coding.document_id, []).append(coding)
        self.exported = 0

    def _codings(self, suggestions: bool) -> list[Coding]:
        query = select(Coding).join(Coder).where(Coder.project_id == self.project.id)
        human = query.where(Coder.kind == "human", Coding.status.in_(HUMAN_STATUSES))
        rows = list(self.session.scalars(human))
        if suggestions:
            decided = select(Coding.based_on_id).where(Coding.based_on_id.is_not(None))
            rows += self.session.scalars(query.where(Coder.kind == "machine", Coding.status == "suggested",
                                                     Coding.id.not_in(decided)))
        return rows

    def _note_refs(self, parent: etree._Element, target_guid: str, held: list[Memo | Coding]) -> None:
        for number, item in enumerate(held):
            note = _guid("note", target_guid, number)
            _el(parent, "NoteRef", targetGUID=note)
            self.notes.append((note, item))

    def build(self) -> bytes:
        if self.coders:
            users = _el(self.root, "Users")
            for coder in self.coders:
                _el(users, "User", guid=self.user[coder.id], name=coder.name)
            machines = {self.user[c.id]: {"kind": c.kind, "engine": c.engine} for c in self.coders if c.kind != "human"}
            if machines:  # a User may hold nothing, not even the instruction
                _add_pi(users, machines)
        codes, sets, meta = self._codebook()
        docs = sorted(self.session.scalars(select(Document).where(Document.project_id == self.project.id).options(
            selectinload(Document.participants), selectinload(Document.turns))), key=lambda d: d.name)
        variables = self._variables(docs)
        self._cases(docs, variables)
        if docs:
            sources = _el(self.root, "Sources")
            for doc in docs:
                self._source(sources, doc, codes, variables)
        project_refs = etree.Element("holder")
        self._note_refs(project_refs, _guid("project", self.project.name), self.memos.get(("project", None), []))
        self._notes()
        if sets is not None:
            _adopt(self.root, sets)
        self.root.extend(list(project_refs))
        tree = self.root.getroottree()
        if meta is not None:
            self.root.addprevious(meta)
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(tree, encoding="UTF-8", pretty_print=True)

    def _codebook(self) -> tuple[dict[int, str], etree._Element | None, etree._Element | None]:
        """Code id → GUID of the exported codes, and the codebook's Sets and meta instruction."""
        book = to_codebook(self.session, self.project)
        qdc = etree.fromstring(to_qdc(book), _parser(remove_blank_text=True))
        meta = next((node for node in qdc.itersiblings(preceding=True) if isinstance(node, etree._ProcessingInstruction)
                     and node.target == META_PI), None)
        tree = CodeTree(self.session, self.project)
        exported = {spec.guid for _, spec in book.walk()}
        codes = {c.id: c.guid for c in tree.codes if c.guid in exported}
        containers = {_local(child): child for child in qdc if isinstance(child.tag, str)}
        if codes:
            adopted = _adopt(_el(self.root, "CodeBook"), containers["Codes"])
            by_guid = {element.get("guid"): element for element in adopted.iter(_q("Code"))}
            for code in tree.codes:
                memos = self.memos.get(("code", code.id), [])
                if code.id in codes and memos:
                    element = by_guid[code.guid]
                    at = sum(1 for child in element if _local(child) == "Description")
                    holder = etree.Element("holder")
                    self._note_refs(holder, code.guid, memos)
                    for offset, ref in enumerate(list(holder)):
                        element.insert(at + offset, ref)
        return codes, containers.get("Sets"), meta

    def _variables(self, docs: list[Document]) -> dict[str, str]:
        """Variable name → GUID, for every document and participant attribute, role and pseudonym."""
        names = {key for doc in docs for key in doc.attributes}
        for participant in (p for doc in docs for p in doc.participants):
            names.update(participant.attributes)
            names.add("role")
            if participant.pseudonym:
                names.add("pseudonym")
        if not names:
            return {}
        variables = _el(self.root, "Variables")
        guids = {}
        for name in sorted(names):
            guids[name] = _guid("variable", name)
            _el(variables, "Variable", guid=guids[name], name=name, typeOfVariable="Text")
        return guids

    @staticmethod
    def _values(parent: etree._Element, values: dict, variables: dict[str, str]) -> None:
        for name in sorted(values):
            if values[name] is None:
                continue
            value = _el(parent, "VariableValue")
            _el(value, "VariableRef", targetGUID=variables[name])
            _el(value, "TextValue", str(values[name]))

    def _cases(self, docs: list[Document], variables: dict[str, str]) -> None:
        """A Case per participant, named by the label; a label several documents share gets the document's name."""
        labels = Counter(p.label for doc in docs for p in doc.participants)
        if not labels:
            return
        cases = _el(self.root, "Cases")
        for doc in docs:
            for participant in doc.participants:
                name = participant.label if labels[participant.label] == 1 else f"{participant.label} ({doc.name})"
                guid = _guid("participant", doc.sha256, participant.label)
                case = _el(cases, "Case", guid=guid, name=name)
                values = {**participant.attributes, "role": participant.role}
                if participant.pseudonym:
                    values["pseudonym"] = participant.pseudonym
                self._values(case, values, variables)
                _el(case, "SourceRef", targetGUID=_guid("document", doc.sha256))
                for number, memo in enumerate(self.memos.get(("participant", participant.id), [])):
                    self.notes.append((_guid("note", guid, number), memo))
                    self.links.append((_guid("note", guid, number), guid))

    def _source(self, sources: etree._Element, doc: Document, codes: dict[int, str], variables: dict[str, str]) -> None:
        guid = _guid("document", doc.sha256)
        self.texts[guid] = doc.text
        source = _el(sources, "TextSource", guid=guid, name=doc.name, plainTextPath=f"internal://{guid}.txt",
                     creationDateTime=_stamp(doc.created_at))
        labels = {p.id: p.label for p in doc.participants}
        _add_pi(source, {"language": doc.language, "unit": doc.unit, "sha256": doc.sha256,
                         "text": hashlib.sha256(doc.text.encode("utf-8")).hexdigest(),
                         "turns": [[t.start, t.end, labels.get(t.participant_id), t.start_time, t.end_time]
                                   for t in doc.turns]})
        spans: dict[tuple[int, int, str], dict[str, list[Coding]]] = {}
        for coding in self.codings.get(doc.id, []):
            if coding.code_id not in codes:
                self.skipped += 1
                continue
            key = (coding.start, coding.end, self.user[coding.coder_id])
            spans.setdefault(key, {}).setdefault(codes[coding.code_id], []).append(coding)
        for (start, end, user), by_code in sorted(spans.items()):
            selection_guid = _guid("selection", guid, start, end, user)
            selection = _el(source, "PlainTextSelection", guid=selection_guid, name=doc.text[start:end][:60],
                            startPosition=str(start), endPosition=str(end), creatingUser=user)
            for code_guid, rows in sorted(by_code.items()):
                self._coding(selection, selection_guid, code_guid, user, rows)
        self._note_refs(source, guid, self.memos.get(("document", doc.id), []))
        self._values(source, doc.attributes, variables)

    def _coding(self, selection: etree._Element, selection_guid: str, code_guid: str, user: str,
                rows: list[Coding]) -> None:
        rows = sorted(rows, key=lambda c: c.id)
        first = rows[0]
        guid = _guid("coding", selection_guid, code_guid)
        coding = _el(selection, "Coding", guid=guid, creatingUser=user, creationDateTime=_stamp(first.created_at))
        self.exported += 1
        if first.status == "suggested":
            _add_pi(coding, {"score": first.score, "reason": first.reason})
        _el(coding, "CodeRef", targetGUID=code_guid)
        held: list[Memo | Coding] = [row for row in rows if row.memo]
        for row in rows:
            held += self.memos.get(("coding", row.id), [])
        self._note_refs(coding, guid, held)

    def _notes(self) -> None:
        if self.notes:
            notes = _el(self.root, "Notes")
            authors = {c.name: self.user[c.id] for c in self.coders}
            for guid, item in sorted(self.notes, key=lambda pair: pair[0]):
                if isinstance(item, Coding):
                    author, text = self.user[item.coder_id], item.memo
                else:
                    author, text = authors.get(item.author or ""), item.text
                note = _el(notes, "Note", guid=guid, name="Memo", creatingUser=author,
                           creationDateTime=_stamp(item.created_at))
                _el(note, "PlainTextContent", text)
        if self.links:
            links = _el(self.root, "Links")
            for note, case in sorted(self.links):
                _el(links, "Link", guid=_guid("link", note, case), direction="OneWay", originGUID=note, targetGUID=case)


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def build_qdpx(session: Session, project: Project, suggestions: bool = False) -> tuple[bytes, dict]:
    """The .qdpx bytes and a summary; human codings only, pending machine suggestions when asked."""
    writer = _Writer(session, project, suggestions)
    qde = writer.build()
    files = {QDE_NAME: qde, **{f"sources/{guid}.txt": text.encode("utf-8") for guid, text in writer.texts.items()}}
    summary = {"documents": len(writer.texts), "codings": writer.exported,
               "coders": [c.name for c in writer.coders], "notes": len(writer.notes),
               "skipped_codings": writer.skipped}
    return _zip(files), summary


def export_qdpx(store: Store, out: Path, suggestions: bool = False) -> dict:
    """Write the project as a REFI-QDA .qdpx; the summary says what went in (and what was left out)."""
    out = Path(out)
    with store.read() as session:
        project = find_project(session)
        if project is None:
            raise QualcodeError("the database has no project yet (import something first)")
        data, summary = build_qdpx(session, project, suggestions)
    write_atomically(out, data)
    return {"file": str(out), **summary}


# ---------------------------------------------------------------- validation

@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    """The REFI-QDA 1.0 project schema shipped in qualcode/data (MIT licence)."""
    xsd = resources.files("qualcode").joinpath("data/Project.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(xsd, _parser()))


def _schema_errors(root: etree._Element) -> list[str]:
    schema = _schema()
    if schema.validate(root):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


def _syntax_problem(err: etree.XMLSyntaxError) -> str:
    return re.sub(r", line \d+, column \d+$", "", err.msg or str(err))


def validate_qde(data: bytes) -> list[str]:
    """Schema errors as 'line N: message'; empty when the bytes are a valid REFI-QDA project."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as err:
        return [f"line {err.lineno}: not XML: {_syntax_problem(err)}"]
    return _schema_errors(root)


# ---------------------------------------------------------------- reading

def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str) and _local(child) == name]


def _child(element: etree._Element, name: str) -> etree._Element | None:
    found = _children(element, name)
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
    start: int  # positions as the file gives them, until _map_positions puts them into the stored text
    end: int
    code: str
    user: str | None
    created: datetime | None
    extra: dict
    notes: list[str]
    name: str = ""


@dataclass
class _Source:
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
class _Case:
    name: str
    sources: list[str]
    values: dict[str, str]
    notes: list[str] = field(default_factory=list)


@dataclass
class _Package:
    """Everything a .qdpx holds that we store, read and checked before the write transaction."""

    qde: str
    codebook: Codebook | None
    users: dict[str, tuple[str, dict]]  # guid → (name, our data)
    sources: list[_Source]
    cases: list[_Case]
    notes: dict[str, tuple[str, str | None, datetime | None]]  # guid → (text, user guid, created)
    project_notes: list[str]
    code_notes: dict[str, list[str]]
    warnings: list[str]


class _Reader:
    """Reads one .qdpx; every refusal names the file."""

    def __init__(self, path: Path):
        self.path = path
        try:
            size = path.stat().st_size
            if size > detect.ZIP_MAX_TOTAL:  # it could only unpack to more: refused before it is read
                raise QualcodeError(f"{path}: the file is {size / 1e6:.0f} MB, over the "
                                    f"{detect.ZIP_MAX_TOTAL / 1e6:.0f} MB limit")
            data = path.read_bytes()
        except OSError as err:
            raise QualcodeError(f"{path}: cannot be read ({err.strerror})") from None
        if not zipfile.is_zipfile(BytesIO(data)):
            raise QualcodeError(f"{path}: not a zip file (a .qdpx is a zip holding a .qde project file)")
        try:
            self.archive = detect.open_zip(data, "REFI-QDA project")
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
            root = etree.fromstring(self.member(name), _parser())
        except etree.XMLSyntaxError as err:
            raise self.fail(f"{name}:{err.lineno}: not XML: {_syntax_problem(err)}") from None
        if _local(root) != "Project":
            raise self.fail(f"{name}: not a REFI-QDA project: the root element is <{_local(root)}>, expected <Project>")
        _tolerate(root)
        errors = _schema_errors(root)
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
                return detect.decode(self.member(name))
            except IngestError as err:
                raise self.fail(f"{what}: sources/{inside} {err}") from None
        if content is not None:
            return "".join(content.itertext()), "utf-8"
        if path:
            raise self.fail(f"{what}: plainTextPath '{path}' is a file outside the .qdpx (export it with its "
                            "sources embedded)")
        raise self.fail(f"{what}: no plainTextPath and no PlainTextContent")

    def read(self) -> _Package:
        qde, root = self.qde()
        users = {}
        for element in _children(root, "Users"):
            kinds = _meta(element)
            for user in _children(element, "User"):
                guid = _guid_of(user)
                name = (user.get("name") or user.get("id") or "").strip() or f"user {guid}"
                users[guid] = (name, kinds.get(guid) or {})
        variables = {_guid_of(v): v.get("name", "").strip()
                     for vs in _children(root, "Variables") for v in _children(vs, "Variable")}
        notes = {}
        for note in (n for ns in _children(root, "Notes") for n in _children(ns, "Note")):
            text, _ = self.text(note, f"note '{note.get('name') or note.get('guid')}'")
            notes[_guid_of(note)] = (text, _guid_of(note, "creatingUser"), _moment(note.get("creationDateTime")))
        referenced: set[str] = set()

        def refs(element: etree._Element) -> list[str]:
            found = [_guid_of(ref, "targetGUID") for ref in _children(element, "NoteRef")]
            found = [guid for guid in found if guid in notes]
            referenced.update(found)
            return found

        code_notes = {_guid_of(code): refs(code) for code in root.iter(_q("Code"))}
        sources, warnings = [], []
        for element in (s for container in _children(root, "Sources") for s in container if isinstance(s.tag, str)):
            if _local(element) == "TextSource":
                sources.append(self.source(element, variables, refs))
            else:
                warnings.append(f"{_local(element)} '{element.get('name')}' was left out (only text sources are read)")
        cases = {}
        for element in (c for cs in _children(root, "Cases") for c in _children(cs, "Case")):
            cases[_guid_of(element)] = _Case(
                name=(element.get("name") or "").strip(),
                sources=[_guid_of(ref, "targetGUID") for ref in _children(element, "SourceRef")],
                values=_values(element, variables))
        for link in (k for ks in _children(root, "Links") for k in _children(ks, "Link")):
            note, case = _guid_of(link, "originGUID"), _guid_of(link, "targetGUID")
            if note in notes and case in cases:
                cases[case].notes.append(note)
                referenced.add(note)
        project_notes = refs(root) + [guid for guid in notes if guid not in referenced]
        return _Package(qde, _codebook(root, qde, self), users, sources, list(cases.values()), notes,
                        project_notes, {guid: found for guid, found in code_notes.items() if found}, warnings)

    def source(self, element: etree._Element, variables: dict[str, str], refs) -> _Source:
        guid = _guid_of(element)
        name = (element.get("name") or "").strip() or f"source {guid}"
        raw, encoding = self.text(element, f"source '{name}'")
        codings = []
        for selection in _children(element, "PlainTextSelection"):
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            shared = refs(selection)
            codings += [_coding(coding, start, end, selection, shared + refs(coding))
                        for coding in _children(selection, "Coding")]
        text, offsets = _normalise(raw)
        source = _Source(guid, name, text, encoding, _moment(element.get("creationDateTime")), _meta(element),
                         _values(element, variables), codings, refs(element))
        if codings:
            try:
                _map_positions(source, raw, offsets)
            except QualcodeError as err:
                raise self.fail(str(err)) from None
        # a Coding of the TextSource itself codes all of it
        source.codings += [_coding(coding, 0, len(text), element, refs(coding))
                           for coding in _children(element, "Coding")]
        return source


def _coding(element: etree._Element, start: int, end: int, selection: etree._Element, notes: list[str]) -> _Coding:
    ref = _child(element, "CodeRef")
    return _Coding(start=start, end=end, code=_guid_of(ref, "targetGUID"),
                   user=_guid_of(element, "creatingUser") or _guid_of(selection, "creatingUser"),
                   created=_moment(element.get("creationDateTime") or selection.get("creationDateTime")),
                   extra=_meta(element), notes=notes, name=selection.get("name") or "")


def _values(element: etree._Element, variables: dict[str, str]) -> dict[str, str]:
    values = {}
    for value in _children(element, "VariableValue"):
        name = variables.get(_guid_of(_child(value, "VariableRef"), "targetGUID"))
        content = [child for child in value if isinstance(child.tag, str) and _local(child) != "VariableRef"]
        if name and content:
            values[name] = "".join(content[0].itertext()).strip()
    return values


def _tolerate(root: etree._Element) -> None:
    """What other tools write that the schema refuses but that means no harm: no namespace, empty containers."""
    if etree.QName(root).namespace is None:
        for element in root.iter(tag=etree.Element):
            if etree.QName(element).namespace is None:
                element.tag = _q(element.tag)
    for name in _CONTAINERS + ("CodeBook",):
        for element in list(root.iter(_q(name))):
            if not any(isinstance(child.tag, str) for child in element):
                element.getparent().remove(element)


def _codebook(root: etree._Element, qde: str, reader: _Reader) -> Codebook | None:
    """The CodeBook and Sets read by parse_qdc, with its errors' line numbers those of the .qde."""
    codes = root.find(f"{_q('CodeBook')}/{_q('Codes')}")
    if codes is None:
        return None
    meta = next((node for node in root.itersiblings(preceding=True) if isinstance(node, etree._ProcessingInstruction)
                 and node.target == META_PI), None)
    sets = [etree.fromstring(etree.tostring(s)) for s in _children(root, "Sets")]
    for member in (m for s in sets for m in s.iter(_q("MemberCode"))):
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


# ---------------------------------------------------------------- positions

def _normalise(raw: str) -> tuple[str, list[int]]:
    """detect.normalize(raw) and, for every offset into `raw`, the offset it becomes.

    Line by line: breaks become '\\n', each base character with its combining marks is
    composed (NFC) on its own, NBSP and tabs become spaces, control characters go and
    trailing spaces are dropped; an offset inside a unit maps to the unit's start.
    """
    if detect.normalize(raw) == raw:  # our own files: nothing moves
        return raw, list(range(len(raw) + 1))
    out: list[str] = []
    offsets = [0] * (len(raw) + 1)
    length = start = 0
    for brk in [*_LINE_BREAK.finditer(raw), None]:
        stop = brk.start() if brk else len(raw)
        pieces = []
        i = start
        while i < stop:
            j = i + 1
            while j < stop and unicodedata.combining(raw[j]):
                j += 1
            piece = unicodedata.normalize("NFC", raw[i:j]).replace("\u00a0", " ").replace("\t", " ")
            pieces.append((i, j, _CONTROL.sub("", piece)))
            i = j
        kept = len(pieces)
        while kept and not pieces[kept - 1][2].strip():
            kept -= 1
        for number, (i, j, piece) in enumerate(pieces):
            offsets[i:j] = [length] * (j - i)
            if number < kept:
                out.append(piece)
                length += len(piece)
        if brk:
            offsets[brk.start():brk.end()] = [length] * (brk.end() - brk.start())
            out.append("\n")
            length += 1
            start = brk.end()
    offsets[len(raw)] = length
    return "".join(out), offsets


def _squash(text: str) -> str:
    return " ".join(text.split())


def _fit(text: str, start: int, end: int, name: str) -> int:
    """How plausible a selection is: it neither cuts a word nor begins or ends in spaces or stray
    punctuation, and it starts with the text the tool named it by."""
    def whole(at: int) -> bool:
        return at in (0, len(text)) or not (text[at - 1].isalnum() and text[at].isalnum())
    first, last = text[start:start + 1], text[end - 1:end] if end > start else ""
    starts = whole(start) and bool(first.strip()) and first not in ".,:;!?)]}»"
    ends = whole(end) and bool(last.strip()) and last not in "([{«"
    named = bool(name.strip()) and _squash(text[start:end]).startswith(_squash(name)[:40])
    return starts + ends + 2 * named


def _map_positions(source: _Source, raw: str, offsets: list[int]) -> None:
    """Put the codings' positions into the stored text, counting as the file does: code points (the
    standard), or `\\r\\n` as one character (some tools) when that fits the selections better."""
    candidates = [("code points", offsets)]
    if "\r\n" in raw:
        candidates.append(("\\r\\n as one character", _normalise(raw.replace("\r\n", "\n"))[1]))

    def score(mapping: list[int]) -> int:
        if any(not 0 <= c.start <= c.end < len(mapping) for c in source.codings):
            return -1
        return sum(_fit(source.text, mapping[c.start], mapping[c.end], c.name) for c in source.codings)
    scored = [(score(mapping), how, mapping) for how, mapping in candidates]
    best, source.positions, mapping = max(scored, key=lambda item: item[0])  # a tie: the first, code points
    if best < 0:
        bad = next(c for c in source.codings if not 0 <= c.start <= c.end <= len(raw))
        raise QualcodeError(f"source '{source.name}': selection {bad.start}–{bad.end} lies outside its text "
                            f"({len(raw)} characters)")
    for coding in source.codings:
        coding.start, coding.end = mapping[coding.start], mapping[coding.end]


# ---------------------------------------------------------------- storing

def _add_codes(session: Session, project: Project, book: Codebook) -> tuple[dict[str, int], list[str]]:
    """File GUID → code id. Codes the project lacks (by GUID, else by path) are added with their GUIDs;
    codes it has are never changed, so an import cannot undo a researcher's edits."""
    tree = CodeTree(session, project)
    by_guid = {code.guid: code for code in tree.codes}
    ids: dict[str, int] = {}
    added: list[str] = []

    def place(specs: list[CodeSpec], parent: Code | None, parent_path: str) -> None:
        for spec in specs:
            path = f"{parent_path}{PATH_SEPARATOR}{spec.name}" if parent_path else spec.name
            code = by_guid.get(spec.guid) or next(
                (c for c in tree.children(parent) if c.name.casefold() == spec.name.casefold()), None)
            if code is None:
                code = Code(project_id=project.id, guid=spec.guid, name=spec.name, archived=False,
                            parent_id=parent.id if parent else None, order=len(tree.children(parent)),
                            **{key: getattr(spec, key) for key in SPEC_FIELDS})
                tree.add(code)
                by_guid[code.guid] = code
                record(session, project.id, "add", "code", code.id, after=snapshot(code))
                added.append(path)
            ids[spec.guid] = code.id
            place(spec.children, code, path)

    place(book.codes, None, "")
    tree.check_names()
    if "codebook" not in project.settings:
        project.settings = {**project.settings, "codebook": {"name": book.name, "description": book.description,
                                                             "languages": book.languages}}
    return ids, added


def _coders(session: Session, project: Project, package: _Package) -> dict[str | None, Coder]:
    """User GUID → coder, found or made by name; None → the coder of codings no user claims."""
    coders: dict[str | None, Coder] = {}
    for guid, (name, meta) in package.users.items():
        if meta.get("kind") == "machine":
            coder = session.scalars(select(Coder).where(Coder.project_id == project.id, Coder.name == name)).first()
            if coder is None:
                coder = Coder(project_id=project.id, name=name, kind="machine", engine=meta.get("engine"), settings={})
                session.add(coder)
                session.flush()
                record(session, project.id, "add", "coder", coder.id, after={"name": name, "kind": "machine"})
        else:
            coder = coder_named(session, project, name)
        coders[guid] = coder
    needed = {c.user for s in package.sources for c in s.codings} - set(coders)
    for guid in sorted(needed, key=str):
        coders[guid] = coder_named(session, project, DEFAULT_CODER if guid is None else f"user {guid}")
    return coders


def _turns(text: str, meta: dict, declared: set[str]) -> tuple[list[PlacedTurn], str, str | None]:
    """(turns, how they were found, moderator): our own turns when the text is unchanged, else the
    text reader's when it rebuilds the same text, else one turn."""
    if meta.get("text") == hashlib.sha256(text.encode("utf-8")).hexdigest():
        try:
            turns = [PlacedTurn(label, int(start), int(end), t0, t1) for start, end, label, t0, t1 in meta["turns"]]
            if all(0 <= t.start <= t.end <= len(text) and (t.speaker is None or isinstance(t.speaker, str))
                   and all(v is None or isinstance(v, (int, float)) for v in (t.start_time, t.end_time))
                   for t in turns):
                return turns, "qualcode", None
        except (KeyError, TypeError, ValueError):
            pass
    body = text.strip()
    lead = text.find(body)
    try:
        parsed = parse_txt(body, declared)
        assembled, placed = assemble(parsed)
        if assembled == body and any(turn.speaker for turn in placed):
            for turn in placed:
                turn.start, turn.end = turn.start + lead, turn.end + lead
            return placed, "speaker turns", speakers.guess_moderator(parsed.turns)
    except IngestError:
        pass
    return [PlacedTurn(None, lead, lead + len(body), None, None)], "one turn", None


def _project_unit(session: Session, project: Project) -> str:
    units = Counter(session.scalars(select(Document.unit).where(Document.project_id == project.id)))
    return units.most_common(1)[0][0] if units else "sentence"


class _Store:
    """Writes a read package into the project, inside the caller's transaction."""

    def __init__(self, session: Session, project: Project, package: _Package, path: Path):
        self.session, self.project, self.package, self.path = session, project, package, path
        self.documents: dict[str, Document] = {}  # source GUID → document
        self.segments: dict[str, tuple[list[int], list[int]]] = {}  # source GUID → segment starts, ids
        self.participants: dict[tuple[str, str], Participant] = {}  # (source GUID, label) → participant
        self.report: list[dict] = []
        self.warnings: list[str] = list(package.warnings)

    def fail(self, message: str) -> QualcodeError:
        return QualcodeError(f"{self.path}: {message}")

    def run(self) -> dict:
        book = self.package.codebook
        code_ids, added = _add_codes(self.session, self.project, book) if book else ({}, [])
        coders = _coders(self.session, self.project, self.package)
        unit = _project_unit(self.session, self.project)
        cases = self._cases_by_source()
        for source in self.package.sources:
            if source.text.strip():
                self._document(source, unit, cases.get(source.guid, []))
            else:
                self.warnings.append(f"source '{source.name}' has no text; it was left out")
        codings = self._codings(code_ids, coders)
        memos = self._memos(code_ids, coders, cases)
        record(self.session, self.project.id, "import", "project", self.project.id,
               after={"file": str(self.path), "documents": len(self.documents), "codings": codings})
        return {"file": str(self.path), "qde": self.package.qde, "documents": self.report,
                "codes": {"in_file": len(code_ids), "added": added},
                "coders": sorted({c.name for c in coders.values()}), "codings": codings, "memos": memos,
                "warnings": self.warnings}

    def _cases_by_source(self) -> dict[str, list[tuple[str, _Case]]]:
        """Source GUID → (participant label, case); a name 'label (source name)' is ours for a shared label."""
        names = {s.guid: s.name for s in self.package.sources}
        found: dict[str, list[tuple[str, _Case]]] = {}
        for case in self.package.cases:
            targets = [guid for guid in case.sources if guid in names]
            if not case.name or not targets:
                self.warnings.append(f"case '{case.name or '(no name)'}' was left out: it has no name or no source")
            for guid in targets if case.name else []:
                label = case.name.removesuffix(f" ({names[guid]})") or case.name
                found.setdefault(guid, []).append((label, case))
        return found

    def _name(self, source: _Source) -> str:
        """The source's name, numbered when the file holds several of that name."""
        taken = {doc.name for doc in self.documents.values()}
        name, number = source.name, 1
        while name in taken:
            number += 1
            name = f"{source.name} ({number})"
        return name

    def _sha256(self, source: _Source) -> str:
        """Ours as it was when the text is unchanged (so the source keeps its GUID), else the text's."""
        digest = hashlib.sha256(source.text.encode("utf-8")).hexdigest()
        kept = source.meta.get("sha256")
        sha = kept if isinstance(kept, str) and source.meta.get("text") == digest else digest
        if sha in {doc.sha256 for doc in self.documents.values()}:  # the same text twice in one file
            sha = hashlib.sha256(f"{source.guid}\n{source.text}".encode("utf-8")).hexdigest()
        return sha

    def _document(self, source: _Source, unit: str, cases: list[tuple[str, _Case]]) -> None:
        name, sha = self._name(source), self._sha256(source)
        clash = self.session.scalars(select(Document.name).where(
            Document.project_id == self.project.id, (Document.name == name) | (Document.sha256 == sha))).first()
        if clash is not None:
            raise self.fail(f"document '{clash}' is already in the project (import the .qdpx into a fresh "
                            "database, e.g. --db new.db)")
        turns, how, moderator = _turns(source.text, source.meta, {label for label, _ in cases})
        meta = source.meta
        language = meta["language"] if isinstance(meta.get("language"), str) else guess_language(source.text)
        try:
            doc_unit = segment.parse_unit(meta["unit"]) if isinstance(meta.get("unit"), str) else unit
        except QualcodeError:
            doc_unit = unit
        doc = Document(project_id=self.project.id, name=name, source_name=str(self.path), format="qdpx",
                       encoding=source.encoding, sha256=sha, text=source.text, language=language, unit=doc_unit,
                       attributes=dict(source.attributes))
        if source.created:
            doc.created_at = source.created
        self.session.add(doc)
        self.session.flush()
        self.documents[source.guid] = doc
        self._participants(doc, source, turns, moderator, cases)
        segments = self._turns_and_segments(doc, source, turns)
        self.report.append({"name": name, "turns": len(turns), "segments": segments, "structure": how,
                            "positions": source.positions, "language": language, "unit": doc_unit})
        record(self.session, self.project.id, "import", "document", doc.id,
               after={"name": name, "sha256": sha, "format": "qdpx", "turns": len(turns), "segments": segments})

    def _participants(self, doc: Document, source: _Source, turns: list[PlacedTurn], moderator: str | None,
                      cases: list[tuple[str, _Case]]) -> None:
        """One per speaker and per case; a case's role and pseudonym variables fill those fields."""
        values = {label: case.values for label, case in cases}
        for label in dict.fromkeys([t.speaker for t in turns if t.speaker] + [label for label, _ in cases]):
            attrs = dict(values.get(label, {}))
            role, pseudonym = attrs.pop("role", None), attrs.pop("pseudonym", None)
            if role and role not in ROLES:
                attrs["role_variable"] = role
            attrs = {(f"{key}_variable" if key in FIXED_COLUMNS else key): value for key, value in attrs.items()}
            person = Participant(document_id=doc.id, label=label, attributes=attrs, pseudonym=pseudonym or None,
                                 role=role if role in ROLES else speakers.role_of(label, moderator))
            self.session.add(person)
            self.participants[(source.guid, label)] = person
        self.session.flush()

    def _turns_and_segments(self, doc: Document, source: _Source, turns: list[PlacedTurn]) -> int:
        """Turns, and segments of the document's unit, as the importer stores them."""
        turn_ids = self.session.scalars(insert(Turn).returning(Turn.id, sort_by_parameter_order=True), [
            {"document_id": doc.id, "order": number, "start": t.start, "end": t.end, "start_time": t.start_time,
             "end_time": t.end_time,
             "participant_id": self.participants[(source.guid, t.speaker)].id if t.speaker else None}
            for number, t in enumerate(turns)]).all()
        rows = [{"document_id": doc.id, "turn_id": turn_id, "start": start, "end": end, "unit": doc.unit}
                for turn_id, turn in zip(turn_ids, turns)
                for start, end in segment.units(doc.text, turn.start, turn.end, doc.unit, doc.language)]
        for order, row in enumerate(rows):
            row["order"] = order
        ids = self.session.scalars(insert(Segment).returning(Segment.id, sort_by_parameter_order=True),
                                   rows).all() if rows else []
        self.segments[source.guid] = ([row["start"] for row in rows], list(ids))
        self.session.expire(doc)
        return len(rows)

    def _segment_at(self, source: _Source, start: int) -> int | None:
        """The segment holding the span's start, else the first one (as `codings import` places spans)."""
        starts, ids = self.segments[source.guid]
        return ids[max(bisect.bisect_right(starts, start) - 1, 0)] if ids else None

    def _codings(self, code_ids: dict[str, int], coders: dict[str | None, Coder]) -> int:
        """Human codings become manual ones, a machine's pending suggestions; repeats are stored once."""
        seen: set[tuple] = set()
        made: list[Coding] = []
        for source in (s for s in self.package.sources if s.guid in self.documents):
            doc = self.documents[source.guid]
            for coding in source.codings:
                if coding.code not in code_ids:
                    raise self.fail(f"source '{source.name}': a coding refers to code {coding.code}, which is not "
                                    "in the codebook")
                if coding.start >= coding.end:
                    self.warnings.append(f"source '{source.name}': an empty selection at {coding.start} was left out")
                    continue
                coder = coders[coding.user]
                key = (coder.id, code_ids[coding.code], coding.start, coding.end)
                if (doc.id, *key) in seen:
                    continue
                seen.add((doc.id, *key))
                machine = coder.kind == "machine"
                score, reason = coding.extra.get("score"), coding.extra.get("reason")
                row = Coding(coder_id=coder.id, code_id=key[1], document_id=doc.id, start=coding.start,
                             end=coding.end, segment_id=self._segment_at(source, coding.start),
                             status="suggested" if machine else "manual",
                             score=score if machine and isinstance(score, (int, float)) else None,
                             reason=reason if machine and isinstance(reason, str) else None,
                             memo="\n\n".join(self.package.notes[n][0] for n in coding.notes) or None)
                if coding.created:
                    row.created_at = row.updated_at = coding.created
                made.append(row)
        self.session.add_all(made)
        self.session.flush()
        for row in made:
            record(self.session, self.project.id, "import", "coding", row.id, after=coding_snapshot(row))
        return len(made)

    def _memos(self, code_ids: dict[str, int], coders: dict[str | None, Coder],
               cases: dict[str, list[tuple[str, _Case]]]) -> int:
        """Notes on the project, documents, codes and participants (those on codings became coding memos)."""
        package = self.package
        targets: list[tuple[str, int | None, list[str]]] = [("project", None, package.project_notes)]
        targets += [("document", self.documents[s.guid].id, s.notes) for s in package.sources
                    if s.guid in self.documents]
        targets += [("code", code_ids[guid], notes) for guid, notes in package.code_notes.items() if guid in code_ids]
        targets += [("participant", self.participants[(guid, label)].id, case.notes)
                    for guid, found in cases.items() for label, case in found if (guid, label) in self.participants]
        memos = []
        for kind, target, notes in targets:
            for note in notes:
                text, user, created = package.notes[note]
                memo = Memo(project_id=self.project.id, target_kind=kind, target_id=target, text=text,
                            author=coders[user].name if user in coders else None)
                if created:
                    memo.created_at = memo.updated_at = created
                memos.append(memo)
        self.session.add_all(memos)
        self.session.flush()
        for memo in memos:
            record(self.session, self.project.id, "import", "memo", memo.id,
                   after={"target_kind": memo.target_kind, "target_id": memo.target_id})
        return len(memos)


def import_qdpx(store: Store, path: Path) -> dict:
    """Bring a REFI-QDA .qdpx into the current project in one transaction: all of it, or nothing."""
    path = Path(path)
    if not path.is_file():
        raise QualcodeError(f"{path}: no such file")
    package = _Reader(path).read()
    with store.write() as session:
        project = get_project(session)
        return _Store(session, project, package, path).run()
