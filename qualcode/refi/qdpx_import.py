"""A REFI-QDA `.qdpx` brought into the current project in one write transaction: all of it, or nothing.

`qdpx_read` reads and checks the file; this stores what it read. Codes the project lacks are
added and those it has never changed; users become coders; each source becomes a document with
turns and segments as the importer makes them, cases its participants; codings and notes follow.
Our own `<?qualcode?>` data gives back turns (when the text is unchanged), unit and language,
machine coders and their suggestions' scores.
"""

from __future__ import annotations

import bisect
import hashlib
from collections import Counter
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from qualcode.ingest import segment
from qualcode.codebook import PATH_SEPARATOR, Codebook, CodeSpec
from qualcode.codebook.codes import SPEC_FIELDS, CodeTree, set_book_exclusive, snapshot
from qualcode.coding import coder_named, coding_snapshot
from qualcode.common.errors import IngestError, QualcodeError
from qualcode.refi.qdpx_read import Case, Package, Reader, Source
from qualcode.ingest import speakers
from qualcode.ingest.assemble import PlacedTurn, assemble
from qualcode.ingest.language import guess_language
from qualcode.ingest.text import parse_txt
from qualcode.store.model import Code, Coder, Coding, Document, Memo, Participant, Project, Segment, Turn
from qualcode.store import Store, find_coder, get_project, record

DEFAULT_CODER = "imported"  # codings whose file names no user
ROLES = ("moderator", "participant", "observer")
FIXED_COLUMNS = ("label", "role", "pseudonym")  # participant fields that are not attributes


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
        set_book_exclusive(session, project, book.exclusive)
    return ids, added


def _coders(session: Session, project: Project, package: Package) -> dict[str | None, Coder]:
    """User GUID → coder, found or made by name; None → the coder of codings no user claims."""
    coders: dict[str | None, Coder] = {}
    for guid, (name, meta) in package.users.items():
        if meta.get("kind") == "machine":
            coder = find_coder(session, project.id, name)
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

    def __init__(self, session: Session, project: Project, package: Package, path: Path):
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

    def _cases_by_source(self) -> dict[str, list[tuple[str, Case]]]:
        """Source GUID → (participant label, case); a name 'label (source name)' is ours for a shared label."""
        names = {s.guid: s.name for s in self.package.sources}
        found: dict[str, list[tuple[str, Case]]] = {}
        for case in self.package.cases:
            targets = [guid for guid in case.sources if guid in names]
            if not case.name or not targets:
                self.warnings.append(f"case '{case.name or '(no name)'}' was left out: it has no name or no source")
            for guid in targets if case.name else []:
                label = case.name.removesuffix(f" ({names[guid]})") or case.name
                found.setdefault(guid, []).append((label, case))
        return found

    def _name(self, source: Source) -> str:
        """The source's name, numbered when the file holds several of that name."""
        taken = {doc.name for doc in self.documents.values()}
        name, number = source.name, 1
        while name in taken:
            number += 1
            name = f"{source.name} ({number})"
        return name

    def _sha256(self, source: Source) -> str:
        """Ours as it was when the text is unchanged (so the source keeps its GUID), else the text's."""
        digest = hashlib.sha256(source.text.encode("utf-8")).hexdigest()
        kept = source.meta.get("sha256")
        sha = kept if isinstance(kept, str) and source.meta.get("text") == digest else digest
        if sha in {doc.sha256 for doc in self.documents.values()}:  # the same text twice in one file
            sha = hashlib.sha256(f"{source.guid}\n{source.text}".encode("utf-8")).hexdigest()
        return sha

    def _document(self, source: Source, unit: str, cases: list[tuple[str, Case]]) -> None:
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

    def _participants(self, doc: Document, source: Source, turns: list[PlacedTurn], moderator: str | None,
                      cases: list[tuple[str, Case]]) -> None:
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

    def _turns_and_segments(self, doc: Document, source: Source, turns: list[PlacedTurn]) -> int:
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

    def _segment_at(self, source: Source, start: int) -> int | None:
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
               cases: dict[str, list[tuple[str, Case]]]) -> int:
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
    package = Reader(path).read()
    with store.write() as session:
        project = get_project(session)
        return _Store(session, project, package, path).run()
