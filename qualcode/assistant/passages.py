"""Every participant's segment with who said it, where and when: what the analysis tools rank and count.

Search, summaries, contrasts, sub-codes and the audit all select among these rows, so every
output cites the same speaker, document and time. `codes` holds the codes people applied
(manual or accepted) to each segment — only the codings of `coders` when given, which is how
blind coding keeps a coder to their own work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.autocode.embed import Embedder, LazyEmbedder, embed_texts
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Document, Participant, Segment, Turn
from qualcode.autocode.model_choice import project_model
from qualcode.store import Store, find_project
from qualcode.topics.topic_runs import _human_codes, attribute_value


@dataclass(frozen=True)
class Passage:
    segment_id: int
    document_id: int
    document: str
    language: str
    turn_id: int
    start: int
    end: int
    text: str
    speaker: str | None
    participant_id: int | None
    role: str | None
    time: float | None
    document_attributes: Mapping[str, object]
    participant_attributes: Mapping[str, object]

    def value(self, key: str) -> str | None:
        """`document`, `role`, `speaker`, `language`, or an attribute as the tables name it."""
        fixed = {"document": self.document, "role": self.role, "speaker": self.speaker, "participant": self.speaker,
                 "language": self.language}
        if key in fixed:
            return fixed[key]
        return attribute_value(key, dict(self.document_attributes), dict(self.participant_attributes))

    def cite(self) -> dict:
        """What a reader needs to trace the words: the segment, document, speaker and time."""
        return {"segment": self.segment_id, "document": self.document, "speaker": self.speaker,
                "time": self.time, "language": self.language, "text": self.text}


@dataclass
class Passages:
    items: list[Passage]
    codes: dict[int, set[int]] = field(default_factory=dict)   # segment id → code ids people applied
    model: str = ""                                            # the project's embedding model id

    def keys(self) -> list[str]:
        """Every attribute a passage carries, as `document:K` / `participant:K`, plus the fixed ones."""
        found = {f"document:{k}" for p in self.items for k in p.document_attributes}
        found |= {f"participant:{k}" for p in self.items for k in p.participant_attributes}
        return ["document", "role", "speaker", "language"] + sorted(found)

    def values(self) -> dict[str, list[str]]:
        """Each attribute with the values its passages carry (for pickers), sorted."""
        found: dict[str, set[str]] = {}
        for key in self.keys():
            for p in self.items:
                value = p.value(key)
                if value is not None:
                    found.setdefault(key, set()).add(value)
        return {key: sorted(values) for key, values in found.items()}

    def check_key(self, key: str) -> None:
        """Refuse a grouping key no passage carries, naming those that exist."""
        bare = {k.partition(":")[2] for k in self.keys()}
        if key not in self.keys() and key not in bare:
            raise QualcodeError(f"no segment has an attribute '{key}' (known: {', '.join(self.keys())})")


def load_passages(session: Session, coders: set[str] | None = None, include_moderator: bool = False) -> Passages:
    """The project's segments in document order (moderators' left out unless asked)."""
    project = find_project(session)
    if project is None:
        raise QualcodeError("the database has no project yet (import something first)")
    docs = {d.id: d for d in session.scalars(select(Document).where(Document.project_id == project.id))}
    people = {p.id: p for p in session.scalars(select(Participant).where(Participant.document_id.in_(docs)))}
    rows = session.execute(select(Segment.id, Segment.document_id, Segment.start, Segment.end, Segment.turn_id,
                                  Turn.participant_id, Turn.start_time, Turn.language)
                           .join(Turn, Turn.id == Segment.turn_id)
                           .where(Segment.document_id.in_(docs))
                           .order_by(Segment.document_id, Segment.order)).all()
    items = []
    for r in rows:
        person = people.get(r.participant_id)
        if person is not None and person.role == "moderator" and not include_moderator:
            continue
        doc = docs[r.document_id]
        items.append(Passage(r.id, doc.id, doc.name, r.language or doc.language, r.turn_id, r.start, r.end,
                             doc.text[r.start:r.end], person.label if person else None,
                             person.id if person else None, person.role if person else None, r.start_time,
                             doc.attributes or {}, (person.attributes or {}) if person else {}))
    return Passages(items, _human_codes(session, project.id, rows, coders), project_model(session, project))


def passage_vectors(store: Store, passages: Passages, embedder: Embedder | None = None) -> np.ndarray:
    """One unit vector per passage, from the embedding cache (a model loads only for new texts)."""
    embedder = embedder or LazyEmbedder(passages.model)
    vectors, _ = embed_texts(store, embedder, [p.text for p in passages.items])
    return vectors if len(passages.items) else np.zeros((0, 1), dtype=np.float32)


def context_turns(passages: Passages, index: int, around: int = 1) -> list[dict]:
    """The passages just before and after `index` in the same document (its conversation context)."""
    here = passages.items[index]
    lo, hi = max(0, index - around), min(len(passages.items), index + around + 1)
    return [p.cite() for i, p in enumerate(passages.items[lo:hi], lo)
            if i != index and p.document_id == here.document_id]
