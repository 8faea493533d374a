"""Editing who the participants are and what a document is: the attributes crosstabs are made of.

Values are kept as the researcher typed them (strings), a participant's role
is checked, and every change is an Event. `apply_edits` turns a table editor's
change set (edited, added and deleted rows) into the new rows, so the UI only
hands over what the person did; a write applies only the keys changed from what
the editor saw, so two people editing at once keep each other's changes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.common.errors import QualcodeError
from qualcode.store.model import Document, Participant, Project
from qualcode.store import atomic, record

ROLES = ("moderator", "participant", "observer")
FIXED_COLUMNS = ("label", "role", "pseudonym")


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _snapshot(participant: Participant) -> dict:
    return {"label": participant.label, "role": participant.role, "pseudonym": participant.pseudonym,
            "attributes": dict(participant.attributes)}


def participant_table(doc: Document) -> list[dict]:
    """One row per participant: label, role, pseudonym, then every attribute any of them has."""
    keys = list(dict.fromkeys(k for p in doc.participants for k in p.attributes))
    return [{"label": p.label, "role": p.role, "pseudonym": p.pseudonym or "",
             **{k: _text(p.attributes.get(k)) for k in keys}} for p in doc.participants]


@atomic
def update_participant(session: Session, project: Project, document_id: int, label: str, changes: dict,
                       actor: str | None = None) -> Participant:
    """Change a participant's role, pseudonym or attributes (an empty value keeps the key, blank)."""
    participant = _locked(session, select(Participant).where(Participant.document_id == document_id,
                                                             Participant.label == label))
    if participant is None:
        raise QualcodeError(f"no participant '{label}' in this document")
    before = _snapshot(participant)
    attributes = dict(participant.attributes)
    for key, value in changes.items():
        value = _text(value)
        if key == "label":
            raise QualcodeError("a speaker label is part of the transcript; fix it when importing")
        if key == "role":
            if value not in ROLES:
                raise QualcodeError(f"'{value}' is not a role (use {', '.join(ROLES)})")
            participant.role = value
        elif key == "pseudonym":
            participant.pseudonym = value or None
        else:
            attributes[_attribute_key(key)] = value
    participant.attributes = attributes
    session.flush()
    record(session, project.id, "update", "participant", participant.id, before=before,
           after=_snapshot(participant), actor=actor)
    return participant


def _attribute_key(key) -> str:
    key = _text(key)
    if not key:
        raise QualcodeError("an attribute needs a name")
    if key in FIXED_COLUMNS:
        raise QualcodeError(f"'{key}' is a column of its own, not an attribute")
    return key


@atomic
def add_participant_attribute(session: Session, project: Project, document_id: int, key: str,
                              actor: str | None = None) -> None:
    """A new attribute column, blank for every participant of the document."""
    key = _attribute_key(key)
    for participant in session.scalars(select(Participant).where(Participant.document_id == document_id)):
        if key not in participant.attributes:
            update_participant(session, project, document_id, participant.label, {key: ""}, actor)


def _cleaned(attributes: dict) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for key, value in attributes.items():
        key = _text(key)
        if not key:
            raise QualcodeError("an attribute needs a name")
        cleaned[key] = _text(value)
    return cleaned


def merge_edit(current: dict, seen: dict, wanted: dict) -> dict:
    """`current` with only what an editor changed from `seen` to `wanted` (keys added, changed or
    removed): two people editing at once keep each other's keys."""
    seen, wanted = _cleaned(seen), _cleaned(wanted)
    merged = {k: v for k, v in current.items() if not (k in seen and k not in wanted)}
    merged.update({k: v for k, v in wanted.items() if k not in seen or seen[k] != v})
    return merged


def _locked(session: Session, query):
    """The row read afresh and locked until the transaction ends (FOR UPDATE on PostgreSQL; a SQLite
    write transaction is already exclusive)."""
    return session.scalars(query.with_for_update().execution_options(populate_existing=True)).first()


@atomic
def set_document_attributes(session: Session, project: Project, document_id: int, attributes: dict,
                            actor: str | None = None, seen: dict | None = None) -> Document:
    """A document's attributes (group, date, site …); keys must be unique and named. With `seen` (what
    the editor was shown) only the keys changed from it are written; without, the whole set is replaced."""
    doc = _locked(session, select(Document).where(Document.id == document_id))
    if doc is None or doc.project_id != project.id:
        raise QualcodeError(f"no document {document_id}")
    before = dict(doc.attributes)
    cleaned = _cleaned(attributes) if seen is None else merge_edit(before, seen, attributes)
    doc.attributes = cleaned
    session.flush()
    record(session, project.id, "update", "document", doc.id, before={"attributes": before},
           after={"attributes": cleaned}, actor=actor)
    return doc


def apply_edits(rows: list[dict], edits: dict) -> list[dict]:
    """Rows after a table editor's change set: {"edited_rows": {index: {column: value}},
    "added_rows": [{column: value}], "deleted_rows": [index]} (indexes into `rows`)."""
    deleted = {int(i) for i in edits.get("deleted_rows", [])}
    edited = {int(i): cells for i, cells in edits.get("edited_rows", {}).items()}
    result = []
    for index, row in enumerate(rows):
        if index not in deleted:
            result.append({**row, **edited.get(index, {})})
    return result + [dict(row) for row in edits.get("added_rows", [])]


def changed_cells(rows: list[dict], edits: dict) -> dict[int, dict]:
    """Only the cells a table edit changed, by row index (a rerun replays unchanged ones)."""
    changed = {}
    for index, cells in edits.get("edited_rows", {}).items():
        index = int(index)
        diff = {k: v for k, v in cells.items() if _text(rows[index].get(k)) != _text(v)}
        if diff:
            changed[index] = diff
    return changed
