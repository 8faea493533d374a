"""Human coding: apply a code to a segment (or part of it), decide on suggestions, undo.

Every decision is a new row written at once, with an Event: a suggestion
stays as the machine wrote it and a human's accept or reject points at it
(`based_on_id`). Undo removes the coder's newest decision and logs that too.

Package `coding`: a person's decisions (here), one coder's view of a document (`review.py`),
participants and attributes (`attributes.py`). It may import `common`, `store`, `ingest`,
`recording`, `codebook`, `autocode` (tests/test_layout.py checks it).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.common.errors import QualcodeError
from qualcode.store.model import Coder, Coding, Document, Project, Segment
from qualcode.store import atomic, find_coder, record

HUMAN_STATUSES = ("accepted", "rejected", "manual")


def coder_named(session: Session, project: Project, name: str, create: bool = True) -> Coder:
    """A human coder by name (created on first use)."""
    name = name.strip()
    if not name:
        raise QualcodeError("a coder needs a name")
    coder = find_coder(session, project.id, name)
    if coder is None:
        if not create:
            raise QualcodeError(f"no coder named '{name}'")
        coder = Coder(project_id=project.id, name=name, kind="human", settings={})
        session.add(coder)
        session.flush()
        record(session, project.id, "add", "coder", coder.id, after={"name": name, "kind": "human"})
    elif coder.kind != "human":
        raise QualcodeError(f"'{name}' is the software's own coder: a person's codings cannot be stored under it")
    return coder


def human_coder_names(session: Session, project: Project) -> list[str]:
    """The people who have coded in the project (the consensus coder among them once it exists)."""
    return list(session.scalars(select(Coder.name).where(Coder.project_id == project.id, Coder.kind == "human")
                                .order_by(Coder.name)))


def coders_with_kind(session: Session, project: Project) -> list[tuple[str, str]]:
    """(name, kind) of every coder in the project, people first, then machines, by name."""
    return [(c.name, c.kind) for c in session.scalars(
        select(Coder).where(Coder.project_id == project.id).order_by(Coder.kind, Coder.name))]


def coding_snapshot(coding: Coding) -> dict:
    return {"coder_id": coding.coder_id, "code_id": coding.code_id, "document_id": coding.document_id,
            "segment_id": coding.segment_id, "start": coding.start, "end": coding.end, "status": coding.status,
            "based_on_id": coding.based_on_id, "memo": coding.memo}


def _span(session: Session, segment: Segment, start: int | None, end: int | None) -> tuple[int, int]:
    """The segment's span, or a narrower/wider one checked against its document (only then is the
    document's text read: a decision on a whole segment is the common case)."""
    if start is None and end is None:
        return segment.start, segment.end
    start = segment.start if start is None else start
    end = segment.end if end is None else end
    length = len(session.get(Document, segment.document_id).text)
    if not 0 <= start < end <= length:
        raise QualcodeError(f"span {start}–{end} is outside the document (0–{length}) or empty")
    return start, end


@atomic
def apply_code(session: Session, project: Project, coder: Coder, segment_id: int, code_id: int,
               start: int | None = None, end: int | None = None, memo: str | None = None) -> Coding:
    """A manual coding by a human; idempotent for the same coder, code and span."""
    segment = session.get(Segment, segment_id)
    if segment is None:
        raise QualcodeError(f"no segment {segment_id}")
    start, end = _span(session, segment, start, end)
    existing = session.scalars(select(Coding).where(
        Coding.coder_id == coder.id, Coding.code_id == code_id, Coding.document_id == segment.document_id,
        Coding.start == start, Coding.end == end, Coding.status.in_(("manual", "accepted")))).first()
    if existing:
        return existing
    coding = Coding(coder_id=coder.id, code_id=code_id, document_id=segment.document_id, segment_id=segment.id,
                    start=start, end=end, status="manual", memo=memo)
    session.add(coding)
    session.flush()
    record(session, project.id, "code", "coding", coding.id, after=coding_snapshot(coding), actor=coder.name)
    return coding


@atomic
def decide(session: Session, project: Project, coder: Coder, suggestion_id: int, accept: bool,
           code_id: int | None = None, start: int | None = None, end: int | None = None) -> Coding:
    """Accept (optionally with another code or span) or reject a machine suggestion."""
    suggestion = session.get(Coding, suggestion_id)
    if suggestion is None or suggestion.status != "suggested":
        raise QualcodeError(f"no suggestion {suggestion_id}")
    earlier = session.scalars(select(Coding).where(Coding.based_on_id == suggestion.id,
                                                   Coding.coder_id == coder.id)).first()
    if earlier is not None:
        raise QualcodeError(f"suggestion {suggestion_id} was already {earlier.status} by {coder.name}")
    segment = session.get(Segment, suggestion.segment_id) if suggestion.segment_id else None
    span = _span(session, segment, start, end) if segment else (suggestion.start, suggestion.end)
    decision = Coding(coder_id=coder.id, code_id=code_id or suggestion.code_id, document_id=suggestion.document_id,
                      segment_id=suggestion.segment_id, start=span[0], end=span[1],
                      status="accepted" if accept else "rejected", score=suggestion.score,
                      based_on_id=suggestion.id)
    session.add(decision)
    session.flush()
    record(session, project.id, "accept" if accept else "reject", "coding", decision.id,
           after=coding_snapshot(decision), actor=coder.name)
    return decision


@atomic
def remove_coding(session: Session, project: Project, coder: Coder, coding_id: int) -> None:
    """Take back one of the coder's own codings or decisions (the event keeps what it was)."""
    coding = session.get(Coding, coding_id)
    if coding is None or coding.coder_id != coder.id:
        raise QualcodeError(f"coding {coding_id} is not {coder.name}'s")
    record(session, project.id, "remove", "coding", coding.id, before=coding_snapshot(coding), actor=coder.name)
    session.delete(coding)


def undo_last(session: Session, project: Project, coder: Coder) -> dict | None:
    """Remove the coder's most recent coding or decision; None when there is nothing to undo."""
    last = session.scalars(select(Coding).where(Coding.coder_id == coder.id, Coding.status.in_(HUMAN_STATUSES))
                           .order_by(Coding.id.desc()).limit(1)).first()
    if last is None:
        return None
    snapshot = coding_snapshot(last)
    remove_coding(session, project, coder, last.id)
    return snapshot


@atomic
def set_memo(session: Session, project: Project, coder: Coder, coding_id: int, memo: str) -> Coding:
    """Write (or clear, with blank text) the memo on one of the coder's own codings."""
    coding = session.get(Coding, coding_id)
    if coding is None or coding.coder_id != coder.id:
        raise QualcodeError(f"coding {coding_id} is not {coder.name}'s")
    before = coding_snapshot(coding)
    coding.memo = memo.strip() or None
    session.flush()
    record(session, project.id, "memo", "coding", coding.id, before=before, after=coding_snapshot(coding),
           actor=coder.name)
    return coding
