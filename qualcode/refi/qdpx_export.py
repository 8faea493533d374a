"""The whole project as a REFI-QDA `.qdpx`, so that NVivo, ATLAS.ti, MAXQDA and QualCoder open our coding.

A `.qdpx` is a zip of `project.qde` (XML, urn:QDA-XML:project:1.0) and the sources'
plain texts under `sources/`. Our entities map onto it as

    coder → User                 code → Code (tags → Sets)
    document → TextSource        participant → Case with a SourceRef; attributes → Variables
    coding → Coding inside a PlainTextSelection (one selection per span and coder)
    memo → Note, referenced from its target (from a Case by a Link, which has no NoteRef)

The codebook part is written by `qdc.to_qdc` and read by `parse_qdc`, only moved
between the two namespaces, so a code's Description and its tag Sets are the same in a `.qdc`
and a `.qdpx`. What the schema has no place for (a document's turns, unit and language, a
machine coder, a suggestion's score) rides in `<?qualcode {json}?>` processing instructions,
which validators and other tools ignore; they make our own files round-trip. The GUIDs of
everything but codes are derived (uuid5) from what identifies a row in any database (a
document's sha256, a coder's name, a span), and the only dates are those stored with documents,
codings and memos, so the same project state always gives the same bytes.

Reading a `.qdpx` back is `qdpx_read` (the file) and `qdpx_import` (the project).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
import zipfile
from collections import Counter
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from qualcode.codebook.codes import CodeTree, to_codebook
from qualcode.common.errors import QualcodeError
from qualcode.refi.qdc import GUID_NAMESPACE, META_PI, ORIGIN, to_qdc
from qualcode.refi.xml_helpers import NAMESPACE, PI, QDE_NAME, local_name, qname, safe_parser, validate
from qualcode.common.files import write_atomically
from qualcode.store.model import Coder, Coding, Document, Memo, Project
from qualcode.store import Store, find_project

ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so that the same state gives the same zip
HUMAN_STATUSES = ("manual", "accepted")
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # no XML 1.0 file may hold them


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, ":".join(str(p) for p in parts)))


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str | None) -> etree._Element:
    """A child element; characters XML cannot hold (a control character typed into a memo) are dropped."""
    element = etree.SubElement(parent, qname(tag), {k: _NOT_XML.sub("", v) for k, v in attrs.items() if v is not None})
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
    if local_name(element) == "MemberCode":
        attrs = {"targetGUID": attrs["guid"]}
    copy = _el(parent, local_name(element), element.text, **attrs)
    for child in element:
        if isinstance(child.tag, str):
            _adopt(copy, child)
    return copy


class _Writer:
    """Builds project.qde from one read session; `texts` are the files for sources/."""

    def __init__(self, session: Session, project: Project, suggestions: bool):
        self.session, self.project = session, project
        self.root = etree.Element(qname("Project"), {"name": project.name, "origin": ORIGIN}, nsmap={None: NAMESPACE})
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
        qdc = etree.fromstring(to_qdc(book), safe_parser(remove_blank_text=True))
        meta = next((node for node in qdc.itersiblings(preceding=True) if isinstance(node, etree._ProcessingInstruction)
                     and node.target == META_PI), None)
        tree = CodeTree(self.session, self.project)
        exported = {spec.guid for _, spec in book.walk()}
        codes = {c.id: c.guid for c in tree.codes if c.guid in exported}
        containers = {local_name(child): child for child in qdc if isinstance(child.tag, str)}
        if codes:
            adopted = _adopt(_el(self.root, "CodeBook"), containers["Codes"])
            by_guid = {element.get("guid"): element for element in adopted.iter(qname("Code"))}
            for code in tree.codes:
                memos = self.memos.get(("code", code.id), [])
                if code.id in codes and memos:
                    element = by_guid[code.guid]
                    at = sum(1 for child in element if local_name(child) == "Description")
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


def validate_qde(data: bytes) -> list[str]:
    """Schema errors as 'line N: message'; empty when the bytes are a valid REFI-QDA project."""
    return validate(data, "Project.xsd")
