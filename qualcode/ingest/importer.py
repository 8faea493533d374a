"""Import files into a project: read, assemble, segment, store — one transaction per file.

A failing file is reported with one line and stores nothing; the rest of the
batch goes on. The same bytes imported again are reported `unchanged`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qualcode.ingest import segment
from qualcode.common.errors import IngestError, QualcodeError
from qualcode.ingest import formats, safety, sidecar, speakers
from qualcode.ingest.assemble import assemble, speaker_counts
from qualcode.ingest.base import Parsed
from qualcode.ingest.language import majority, transcript_languages
from qualcode.store.model import Document, Participant, Segment, Turn
from qualcode.store import Store, find_project, get_project, record


@dataclass
class ImportOptions:
    format: str | None = None
    encoding: str | None = None
    language: str | None = None
    unit: str = "sentence"
    attributes: Path | None = None
    moderator: str | None = None
    max_bytes: int = safety.MAX_BYTES
    # label as found → label to store (fixes a misspelt or split speaker before anything is stored)
    rename: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportResult:
    file: str
    status: str  # imported | unchanged | error
    format: str | None = None
    encoding: str | None = None
    turns: int = 0
    segments: int = 0
    speakers: dict[str, int] = field(default_factory=dict)
    moderator: str | None = None
    error: str | None = None
    document: str | None = None
    language: str | None = None
    languages: list[str] = field(default_factory=list)
    unit: str | None = None
    # what import was unsure of, one line each, naming the file (a label that speaks once, a rejoined row)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def document_summary(doc: Document) -> dict:
    """The import-report fields of a stored document (for `unchanged` and `documents`)."""
    labels = {p.id: p for p in doc.participants}
    counts: dict[str, int] = {}
    for turn in doc.turns:
        if turn.participant_id is not None:
            label = labels[turn.participant_id].label
            counts[label] = counts.get(label, 0) + 1
    moderator = next((p.label for p in doc.participants if p.role == "moderator"), None)
    return {"format": doc.format, "encoding": doc.encoding, "turns": len(doc.turns),
            "segments": len(doc.segments), "speakers": counts, "moderator": moderator,
            "document": doc.name, "language": doc.language, "languages": document_languages(doc), "unit": doc.unit}


def document_languages(doc: Document) -> list[str]:
    """The languages of a stored document's turns, the one with most words first (turns stored before
    languages per turn count as the document's language)."""
    texts = [doc.text[t.start:t.end] for t in doc.turns]
    return majority(texts, [t.language or doc.language for t in doc.turns]) or [doc.language]


def _read_bytes(path: Path, limit: int) -> bytes:
    try:
        if not path.is_file():
            raise IngestError("no such file" if not path.exists() else "not a regular file")
        size = path.stat().st_size
        if size > limit:
            raise IngestError(f"the file is {size / 1e6:.1f} MB, over the {limit / 1e6:.0f} MB limit")
        data = path.read_bytes()
    except OSError as err:
        raise IngestError(f"cannot be read ({err.strerror})") from None
    safety.check_size(data, limit)
    return data


def choose_moderator(parsed: Parsed, options: ImportOptions, doc_attrs: dict, people: dict) -> str | None:
    """The moderator import will store: the option, else a declared one, else the label rule."""
    labels = speaker_counts(parsed.turns)
    if options.moderator:
        if options.moderator not in labels:
            raise IngestError(f"moderator '{options.moderator}' is not a speaker in this file")
        return options.moderator
    declared = doc_attrs.get("moderator") or next(
        (label for label, attrs in people.items() if str(attrs.get("role", "")).lower() == "moderator"), None)
    if declared in labels:
        return declared
    return speakers.guess_moderator(parsed.turns, None) or parsed.moderator


def _store(session: Session, project_id: int, path: Path, sha: str, parsed, options: ImportOptions,
           doc_attrs: dict, people: dict, source_name: str) -> Document:
    text, placed = assemble(parsed)
    if not placed:
        raise IngestError("no speaker turns with text were found")
    languages, ranked = transcript_languages([text[turn.start:turn.end] for turn in placed], options.language)
    language = ranked[0]
    moderator = choose_moderator(parsed, options, doc_attrs, people)
    doc = Document(project_id=project_id, name=path.name, source_name=source_name, format=parsed.format,
                   encoding=parsed.encoding, sha256=sha, text=text, language=language, unit=options.unit,
                   attributes={**parsed.document_attributes, **doc_attrs})
    session.add(doc)
    session.flush()
    participants: dict[str, Participant] = {}
    for label in speaker_counts(placed):
        attrs = {**parsed.participant_attributes.get(label, {}), **people.get(label, {})}
        role = str(attrs.pop("role", "") or speakers.role_of(label, moderator))
        participants[label] = Participant(document_id=doc.id, label=label, role=role, attributes=attrs)
    session.add_all(participants.values())
    session.flush()
    turn_ids = session.scalars(
        insert(Turn).returning(Turn.id, sort_by_parameter_order=True),
        [{"document_id": doc.id, "order": number, "start": turn.start, "end": turn.end,
          "start_time": turn.start_time, "end_time": turn.end_time, "language": turn_language,
          "participant_id": participants[turn.speaker].id if turn.speaker else None}
         for number, (turn, turn_language) in enumerate(zip(placed, languages))]).all()
    segments = [{"document_id": doc.id, "turn_id": turn_id, "start": start, "end": end, "unit": options.unit}
                for turn_id, turn, turn_language in zip(turn_ids, placed, languages)
                for start, end in segment.units(text, turn.start, turn.end, options.unit, turn_language)]
    for order, row in enumerate(segments):
        row["order"] = order
    if segments:
        session.execute(insert(Segment), segments)
    session.expire(doc)  # its turns and segments were inserted behind the ORM's back
    order = len(segments)
    record(session, project_id, "import", "document", doc.id,
           after={"name": doc.name, "sha256": sha, "format": doc.format, "turns": len(placed), "segments": order})
    return doc


def detect_transcript_format(path: Path, data: bytes, options: ImportOptions) -> str:
    """The format of a transcript file, refusing attribute sidecars."""
    if sidecar.is_sidecar(path):
        raise IngestError("is an attributes sidecar, not a transcript (it is applied to its transcript "
                          "automatically, or pass it with --attributes)")
    return formats.detect_format(path, data, options.format)


def parse_transcript(path: Path, data: bytes, fmt: str, options: ImportOptions) -> tuple[Parsed, dict, dict]:
    """The parsed transcript with its sidecar's document and participant attributes, speakers renamed
    as asked: everything import stores, computed without a store (the upload preview shows it)."""
    found = options.attributes or sidecar.find_sidecar(path)
    doc_attrs, people = sidecar.attributes_for(sidecar.load_sidecar(found), path.name) if found else ({}, {})
    parsed = formats.read_source(data, fmt, options.encoding, frozenset(people))
    if options.rename:
        doc_attrs, people = speakers.rename_speakers(parsed, doc_attrs, people, options.rename)
    return parsed, doc_attrs, people


def import_one(store: Store, path: Path, options: ImportOptions, source_name: str | None = None) -> ImportResult:
    """Import one file; every problem becomes an `error` result naming the file. `source_name` records
    where the file came from when `path` is only where it was staged (an upload)."""
    result = ImportResult(file=str(path), status="error")
    try:
        data = _read_bytes(path, options.max_bytes)
        sha = hashlib.sha256(data).hexdigest()
        with store.read() as session:
            project = find_project(session)
            existing = project and session.scalars(
                select(Document).where(Document.project_id == project.id, Document.sha256 == sha)).first()
            if existing:
                return ImportResult(file=str(path), status="unchanged", **document_summary(existing))
        result.format = detect_transcript_format(path, data, options)
        parsed, doc_attrs, people = parse_transcript(path, data, result.format, options)
        result.encoding = parsed.encoding
        with store.write() as session:
            project = get_project(session)
            clash = session.scalars(select(Document).where(Document.project_id == project.id,
                                                          Document.name == path.name)).first()
            if clash and clash.sha256 == sha:  # imported by another process meanwhile
                return ImportResult(file=str(path), status="unchanged", **document_summary(clash))
            if clash:
                raise IngestError(f"a different document named '{path.name}' is already in the project "
                                  "(rename the file to import it as a new document)")
            doc = _store(session, project.id, path, sha, parsed, options, doc_attrs, people, source_name or str(path))
            summary = document_summary(doc)
        return ImportResult(file=str(path), status="imported", warnings=[f"{path}: {w}" for w in parsed.warnings],
                            **summary)
    except IntegrityError:
        return _after_race(store, path, sha, result)
    except QualcodeError as err:
        result.error = f"{path}: {err}"
        return result


def _after_race(store: Store, path: Path, sha: str, result: ImportResult) -> ImportResult:
    """Another process stored the same bytes between our check and our write."""
    with store.read() as session:
        doc = session.scalars(select(Document).where(Document.sha256 == sha)).first()
        if doc:
            return ImportResult(file=str(path), status="unchanged", **document_summary(doc))
    result.error = f"{path}: could not be stored (a conflicting document was written at the same time)"
    return result


def import_files(store: Store, paths: Iterable[Path], options: ImportOptions,
                 progress: Callable[[ImportResult], None] | None = None) -> list[ImportResult]:
    segment.parse_unit(options.unit)
    results = []
    for path in paths:
        result = import_one(store, Path(path), options)
        results.append(result)
        if progress:
            progress(result)
    return results
