"""The schema: one ORM class per entity of ARCHITECTURE.md ("The data"), in one place.

Offsets (`start`, `end`) are Unicode code points into `Document.text`, end
exclusive. A machine suggestion and a human decision on it are separate
`Coding` rows linked by `based_on_id`: nothing is overwritten. `Event` is an
append-only log of every change.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import (
    JSON, Boolean, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text,
    UniqueConstraint, Index,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_guid() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    embedding_model: Mapped[str | None] = mapped_column(String(300))
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("project_id", "name", name="uq_document_name"),
        UniqueConstraint("project_id", "sha256", name="uq_document_sha256"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    source_name: Mapped[str] = mapped_column(String(1000))
    format: Mapped[str] = mapped_column(String(20))
    encoding: Mapped[str | None] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(40))
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # a transcribed recording stays a `draft` (no segments, not codable) until a person confirms it
    status: Mapped[str] = mapped_column(String(20), default="confirmed", server_default="confirmed")
    recording_path: Mapped[str | None] = mapped_column(String(1000))
    recording_sha256: Mapped[str | None] = mapped_column(String(64))
    duration: Mapped[float | None] = mapped_column(Float)

    turns: Mapped[list[Turn]] = relationship(order_by="Turn.order", cascade="all, delete-orphan",
                                             passive_deletes=True)
    segments: Mapped[list[Segment]] = relationship(order_by="Segment.order", cascade="all, delete-orphan",
                                                   passive_deletes=True)
    participants: Mapped[list[Participant]] = relationship(order_by="Participant.id",
                                                           cascade="all, delete-orphan", passive_deletes=True)


class Participant(Base):
    """A speaker as labelled in one document ("P3" in two groups is two people)."""

    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("document_id", "label", name="uq_participant_label"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="participant")
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    pseudonym: Mapped[str | None] = mapped_column(String(200))


class Turn(Base):
    __tablename__ = "turns"
    __table_args__ = (UniqueConstraint("document_id", "order", name="uq_turn_order"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    order: Mapped[int] = mapped_column(Integer)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[float | None] = mapped_column(Float)
    end_time: Mapped[float | None] = mapped_column(Float)
    # ru, kk, en or other, detected per turn (groups switch language); NULL for turns stored before 0006
    language: Mapped[str | None] = mapped_column(String(20))
    # transcribed turns: mean word probability, and the words ([start, end] offsets in the turn's
    # text, probability) the speech model was unsure of; None once a person edited the text
    confidence: Mapped[float | None] = mapped_column(Float)
    words: Mapped[list | None] = mapped_column(JSON)

    participant: Mapped[Participant | None] = relationship()


class Segment(Base):
    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("document_id", "order", name="uq_segment_order"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("turns.id", ondelete="CASCADE"), index=True)
    order: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(40))


class Code(Base):
    __tablename__ = "codes"
    __table_args__ = (UniqueConstraint("project_id", "guid", name="uq_code_guid"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("codes.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    definition: Mapped[str] = mapped_column(Text, default="")
    include: Mapped[str] = mapped_column(Text, default="")
    exclude: Mapped[str] = mapped_column(Text, default="")
    examples: Mapped[list] = mapped_column(JSON, default=list)
    counter_examples: Mapped[list] = mapped_column(JSON, default=list)
    color: Mapped[str | None] = mapped_column(String(9))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    order: Mapped[int] = mapped_column(Integer, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    exclusive: Mapped[bool | None] = mapped_column(Boolean)  # its children exclude each other; None: not said
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Coder(Base):
    __tablename__ = "coders"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_coder_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="human")  # human | machine
    engine: Mapped[str | None] = mapped_column(String(100))
    settings: Mapped[dict] = mapped_column(JSON, default=dict)


class Coding(Base):
    __tablename__ = "codings"
    __table_args__ = (Index("ix_codings_doc_coder", "document_id", "coder_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("codes.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # suggested | accepted | rejected | manual
    score: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    memo: Mapped[str | None] = mapped_column(Text)
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("codings.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Memo(Base):
    __tablename__ = "memos"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    target_kind: Mapped[str] = mapped_column(String(20))  # project | document | code | participant | coding
    target_id: Mapped[int | None] = mapped_column(Integer)
    author: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Event(Base):
    """Append-only: who did what to which row, with the row before and after."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    target_kind: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


class Embedding(Base):
    __tablename__ = "embeddings"
    __table_args__ = (UniqueConstraint("model_id", "text_hash", name="uq_embedding_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[str] = mapped_column(String(300))
    text_hash: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


# --- De-identification (issue 9) -------------------------------------------------------------
# Proposals of identifiers in a document's stored text; the text itself is never changed, the
# de-identified view is derived from the accepted ones (qualcode.deid.anonymize.deidentified_text).


class Detection(Base):
    """One proposed identifier: proposed → accepted | rejected by a researcher; `replacement` set by apply."""

    __tablename__ = "deid_detections"
    __table_args__ = (UniqueConstraint("document_id", "start", "end", name="uq_detection_span"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(20))  # PERSON | LOCATION | ORGANIZATION | PHONE | EMAIL | ID | ADDRESS
    status: Mapped[str] = mapped_column(String(20), default="proposed")  # proposed | accepted | rejected
    replacement: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(100))
    confidence: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class PseudonymKey(Base):
    """The key: one pseudonym for every form of one real name, place, number … across the project."""

    __tablename__ = "deid_keys"
    __table_args__ = (UniqueConstraint("project_id", "type", "canonical", name="uq_deid_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    canonical: Mapped[str] = mapped_column(String(500))
    pseudonym: Mapped[str] = mapped_column(String(300))


class DeidTerm(Base):
    """A researcher's list entry: always flag this term (as `type`), or never flag it (`keep`)."""

    __tablename__ = "deid_terms"
    __table_args__ = (UniqueConstraint("project_id", "term", name="uq_deid_term"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    term: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(10))  # flag | keep
    type: Mapped[str | None] = mapped_column(String(20))


# --- Topic runs (issue 5) ---------------------------------------------------------------------
# A topic-model run is kept with its parameters so that a researcher can compare and cite it;
# merging topics writes a new run, so a stored run never changes.


class TopicRun(Base):
    __tablename__ = "topic_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    seconds: Mapped[float] = mapped_column(Float)
    n_segments: Mapped[int] = mapped_column(Integer)


class TopicAssignment(Base):
    """One segment's topic in a run (-1: outlier)."""

    __tablename__ = "topic_assignments"
    run_id: Mapped[int] = mapped_column(ForeignKey("topic_runs.id", ondelete="CASCADE"), primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    topic_id: Mapped[int] = mapped_column(Integer)


class Topic(Base):
    """A topic of a run: c-TF-IDF keywords, representative segment ids, a label once named."""

    __tablename__ = "topics"
    run_id: Mapped[int] = mapped_column(ForeignKey("topic_runs.id", ondelete="CASCADE"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    representative: Mapped[list] = mapped_column(JSON, default=list)
    label: Mapped[str | None] = mapped_column(String(300))


class Member(Base):
    """A person who may log in to a team server: a lead compares and reconciles, a coder codes.

    No member at all means a single-user install. `password_hash` is an argon2 hash (None for a
    member who logs in only through the identity provider, matched by its stable `oidc_subject`).
    Raising `token_version` ends every login session the member has open."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_member_name"),
                      UniqueConstraint("project_id", "oidc_subject", name="uq_member_subject"))
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # lead | coder
    password_hash: Mapped[str | None] = mapped_column(String(300))
    oidc_subject: Mapped[str | None] = mapped_column(String(300))
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ServerKey(Base):
    """Random keys the server keeps for itself, e.g. the one that signs login tokens."""

    __tablename__ = "server_keys"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
