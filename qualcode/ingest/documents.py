"""Read-side views of stored documents, as plain dicts for the CLI, UI and tests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from qualcode.common.errors import QualcodeError
from qualcode.ingest.importer import document_languages, document_summary
from qualcode.store.model import Document
from qualcode.store import find_project


def _with_children():
    return (selectinload(Document.turns), selectinload(Document.segments), selectinload(Document.participants))


def list_documents(session: Session) -> list[dict]:
    """Every document with its import figures, in import order."""
    project = find_project(session)
    if project is None:
        return []
    docs = session.scalars(select(Document).where(Document.project_id == project.id)
                           .options(*_with_children()).order_by(Document.id)).all()
    return [{"name": d.name, "file": d.source_name, "status": "draft" if d.status == "draft" else "imported",
             **document_summary(d),
             "attributes": d.attributes, "sha256": d.sha256} for d in docs]


def document_names(session: Session) -> list[str]:
    """The project's document names in import order (for pickers), without loading any text."""
    project = find_project(session)
    if project is None:
        return []
    return list(session.scalars(select(Document.name).where(Document.project_id == project.id)
                                .order_by(Document.id)))


def get_document(session: Session, name: str) -> Document:
    project = find_project(session)
    doc = project and session.scalars(select(Document).where(Document.project_id == project.id,
                                                            Document.name == name)
                                      .options(*_with_children())).first()
    if not doc:
        raise QualcodeError(f"no document named '{name}' (see `qualcode documents`)")
    return doc


def document_detail(doc: Document) -> dict:
    """Everything about one document: text, speakers, turns (with their language) and segments with
    offsets; `language` is the majority, `languages` all of them."""
    people = {p.id: p for p in doc.participants}
    turn_index = {t.id: i for i, t in enumerate(doc.turns)}
    speakers = {p.label: {"turns": 0, "role": p.role, "attributes": p.attributes} for p in doc.participants}
    turns = []
    for t in doc.turns:
        label = people[t.participant_id].label if t.participant_id in people else None
        if label:
            speakers[label]["turns"] += 1
        turns.append({"speaker": label, "start": t.start, "end": t.end,
                      "start_time": t.start_time, "end_time": t.end_time, "language": t.language or doc.language,
                      "confidence": t.confidence})
    segments = [{"id": s.id, "turn": turn_index[s.turn_id], "start": s.start, "end": s.end,
                 "text": doc.text[s.start:s.end], "unit": s.unit} for s in doc.segments]
    return {"name": doc.name, "format": doc.format, "status": doc.status, "recording": doc.recording_path,
            "duration": doc.duration, "encoding": doc.encoding, "language": doc.language,
            "languages": document_languages(doc), "attributes": doc.attributes, "unit": doc.unit, "text": doc.text,
            "speakers": speakers, "turns": turns, "segments": segments}
