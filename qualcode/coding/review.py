"""One coder's view of one document: segments with their codes and the machine's pending suggestions.

This is the model behind the coding room. It is read fresh after every
decision (decisions are written at once through `qualcode.coding`), so a
browser refresh or a second tab never shows a stale state. Everything the
room needs to decide — what is pending for this coder, what blind mode hides,
which segments match the filters, what to code next, which suggestions a bulk
accept would take — is computed here, without Streamlit.
"""

from __future__ import annotations

import re
import zlib
from bisect import bisect_right
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qualcode.store.access import blind_mode
from qualcode import autocode
from qualcode.codebook.codes import CodeTree
from qualcode.coding import apply_code, decide
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Coder, Coding, Document, Participant, Project, Segment, Turn
from qualcode.store import find_project, record
from qualcode.autocode.suggest import machine_name
from qualcode.autocode.track_record import Trust, code_trust

POSITIVE = ("accepted", "manual")
STATUSES = ("pending", "coded", "uncoded", "decided")
# Category10-like colours for codes that have none of their own (nor an ancestor's).
FALLBACK_COLORS = ("#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F")


@dataclass(frozen=True)
class CodeInfo:
    id: int
    path: str
    color: str
    archived: bool


@dataclass(slots=True)
class Chip:
    """A code applied to (part of) a segment by a human coder."""

    coding_id: int
    code_id: int
    coder: str
    mine: bool
    status: str          # accepted | manual
    start: int
    end: int
    partial: bool        # the span differs from the segment's
    memo: str | None


@dataclass(slots=True)
class Suggestion:
    """A machine suggestion this coder has not decided on yet."""

    id: int
    code_id: int
    score: float
    reason: str


@dataclass(slots=True)
class ReviewSegment:
    id: int
    order: int
    speaker: str | None
    role: str | None
    time: float | None
    start: int
    end: int
    turn_start: int
    turn_end: int
    text: str
    chips: list[Chip] = field(default_factory=list)
    pending: list[Suggestion] = field(default_factory=list)   # best first
    rejected: list[int] = field(default_factory=list)         # code ids this coder rejected here
    touched: bool = False                                     # this coder decided or coded something here

    @property
    def decided(self) -> bool:
        """Reviewed by this coder: something decided and no suggestion left open."""
        return self.touched and not self.pending

    @property
    def status(self) -> str:
        if self.pending:
            return "pending"
        return "coded" if any(c.mine for c in self.chips) else "uncoded"


@dataclass(frozen=True)
class Progress:
    decided: int
    total: int
    pending: int          # open suggestions
    coded: int            # segments carrying at least one of this coder's codes

    @property
    def fraction(self) -> float:
        return self.decided / self.total if self.total else 0.0


@dataclass
class Filters:
    codes: set[int] = field(default_factory=set)       # applied or suggested
    speakers: set[str] = field(default_factory=set)
    status: str | None = None                          # one of STATUSES
    min_score: float = 0.0                             # a pending suggestion at least this good
    text: str = ""                                     # words the segment contains (case-insensitive)
    hide_moderator: bool = False


@dataclass
class Review:
    document: str
    document_id: int
    text: str
    coder: str
    blind: bool
    codes: dict[int, CodeInfo]
    segments: list[ReviewSegment]
    positives: dict[int, int]          # code id → human positive codings in the project (for the queue)
    trust: dict[int, Trust] = field(default_factory=dict)   # code id → estimate and track record
    _by_id: dict[int, ReviewSegment] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {s.id: s for s in self.segments}

    def __contains__(self, segment_id: object) -> bool:
        return segment_id in self._by_id

    def segment(self, segment_id: int) -> ReviewSegment:
        if segment_id not in self._by_id:
            raise QualcodeError(f"segment {segment_id} is not in {self.document}")
        return self._by_id[segment_id]

    @property
    def speakers(self) -> list[str]:
        return list(dict.fromkeys(s.speaker for s in self.segments if s.speaker))

    def trust_of(self, code_id: int) -> Trust:
        """The code's estimated precision and track record (empty before any run or decision)."""
        return self.trust.get(code_id, Trust())

    def progress(self) -> Progress:
        return Progress(decided=sum(s.decided for s in self.segments), total=len(self.segments),
                        pending=sum(len(s.pending) for s in self.segments),
                        coded=sum(any(c.mine for c in s.chips) for s in self.segments))


def set_blind_mode(session: Session, project: Project, on: bool, actor: str | None = None) -> None:
    before = blind_mode(project)
    project.settings = {**project.settings, "blind": bool(on)}
    record(session, project.id, "update", "project", project.id, before={"blind": before},
           after={"blind": bool(on)}, actor=actor)


def code_infos(tree: CodeTree) -> dict[int, CodeInfo]:
    """Every code with its path and display colour: its own, else its nearest ancestor's, else a stable one."""
    def color(code) -> str:
        seen = set()
        while code is not None and code.id not in seen:
            if code.color:
                return code.color
            seen.add(code.id)
            code = tree.by_id.get(code.parent_id)
        return ""
    infos = {}
    for code in tree.codes:
        path = tree.path(code)
        fallback = FALLBACK_COLORS[zlib.crc32(path.encode()) % len(FALLBACK_COLORS)]
        infos[code.id] = CodeInfo(code.id, path, color(code) or fallback, code.archived)
    return infos


def palette(review: Review) -> list[CodeInfo]:
    """The codes a coder can apply, by path."""
    return _applicable(review.codes)


def _applicable(codes: dict[int, CodeInfo]) -> list[CodeInfo]:
    return sorted((c for c in codes.values() if not c.archived), key=lambda c: c.path.casefold())


def _positive_counts(session: Session, project: Project, owner: str | None = None) -> dict[int, int]:
    """Human positive codings per code id: everyone's, or only `owner`'s under blind coding."""
    whose = Coder.kind == "human" if owner is None else Coder.name == owner
    rows = session.execute(select(Coding.code_id, func.count()).join(Coder, Coder.id == Coding.coder_id)
                           .where(Coder.project_id == project.id, whose,
                                  Coding.status.in_(POSITIVE)).group_by(Coding.code_id))
    return {code_id: n for code_id, n in rows}


def _segments(session: Session, doc: Document) -> list[ReviewSegment]:
    rows = session.execute(
        select(Segment.id, Segment.order, Segment.start, Segment.end, Turn.start, Turn.end, Turn.start_time,
               Participant.label, Participant.role)
        .join(Turn, Turn.id == Segment.turn_id).outerjoin(Participant, Participant.id == Turn.participant_id)
        .where(Segment.document_id == doc.id).order_by(Segment.order))
    text = doc.text
    return [ReviewSegment(id, order, label, role, at, start, end, turn_start, turn_end, text[start:end], [], [], [])
            for id, order, start, end, turn_start, turn_end, at, label, role in rows]


def load_review(session: Session, document: str, coder: str, blind: bool | None = None) -> Review:
    """The document as `coder` reviews it; `blind` defaults to the project's setting."""
    project = find_project(session)
    doc = project and session.scalars(select(Document).where(Document.project_id == project.id,
                                                             Document.name == document)).first()
    if doc is None:
        raise QualcodeError(f"no document named '{document}'")
    blind = blind_mode(project) if blind is None else blind
    tree = CodeTree(session, project)
    codes = code_infos(tree)
    segments = _segments(session, doc)
    by_id = {s.id: s for s in segments}
    starts = [s.start for s in segments]
    rows = session.execute(
        select(Coding.id, Coding.code_id, Coding.segment_id, Coding.start, Coding.end, Coding.status, Coding.score,
               Coding.reason, Coding.memo, Coding.based_on_id, Coder.name, Coder.kind)
        .join(Coder, Coder.id == Coding.coder_id).where(Coding.document_id == doc.id).order_by(Coding.id)).all()
    decided_on = {r.based_on_id for r in rows if r.name == coder and r.based_on_id is not None}
    owner = coder if blind else None
    machine = machine_name(owner)                   # blind coding: the coder's own machine, no one else's
    mine_codes: set[tuple[int, int]] = set()
    suggestions = []
    for (coding_id, code_id, segment_id, start, end, status, score, reason, memo, _, name, kind) in rows:
        segment = by_id.get(segment_id)
        if segment is None:                       # a coding stored by span only: the segment it starts in
            index = bisect_right(starts, start) - 1
            if index < 0:
                continue
            segment = segments[index]
        if kind == "machine":
            if name == machine and status == "suggested" and coding_id not in decided_on \
                    and not codes[code_id].archived:
                suggestions.append((segment, coding_id, code_id, score, reason))
            continue
        mine = name == coder
        if mine:
            segment.touched = True
        if status == "rejected":
            if mine:
                segment.rejected.append(code_id)
        elif status in POSITIVE and (mine or not blind):
            segment.chips.append(Chip(coding_id, code_id, name, mine, status, start, end,
                                      (start, end) != (segment.start, segment.end), memo))
            if mine:
                mine_codes.add((segment.id, code_id))
    for segment, coding_id, code_id, score, reason in suggestions:
        if (segment.id, code_id) not in mine_codes:
            segment.pending.append(Suggestion(coding_id, code_id, float(score or 0.0), reason or ""))
    for segment in segments:
        if len(segment.pending) > 1:
            segment.pending.sort(key=lambda s: -s.score)
    return Review(document=doc.name, document_id=doc.id, text=doc.text, coder=coder, blind=blind, codes=codes,
                  segments=segments, positives=_positive_counts(session, project, owner),
                  trust=code_trust(session, project, owner=owner))


def document_progress(session: Session, project: Project, coder: str | None) -> dict[str, dict[str, int]]:
    """Per document name: the machine's suggestions, and this coder's decisions and coded segments."""
    result: dict[str, dict[str, int]] = {}
    base = (select(Document.name).join(Coding, Coding.document_id == Document.id)
            .join(Coder, Coder.id == Coding.coder_id).where(Coder.project_id == project.id).group_by(Document.name))
    machine = machine_name(coder if blind_mode(project) else None)
    queries = {"suggestions": base.add_columns(func.count()).where(Coder.name == machine,
                                                                  Coding.status == "suggested")}
    if coder:
        mine = base.where(Coder.name == coder)
        queries["decisions"] = mine.add_columns(func.count()).where(Coding.based_on_id.is_not(None))
        queries["coded segments"] = mine.add_columns(func.count(Coding.segment_id.distinct())).where(
            Coding.status.in_(POSITIVE))
    for figure, query in queries.items():
        for name, n in session.execute(query):
            result.setdefault(name, {})[figure] = n
    return result


def filter_segments(review: Review, filters: Filters) -> list[ReviewSegment]:
    """The segments that pass every filter that is set, in transcript order."""
    words = filters.text.casefold().split()

    def keep(s: ReviewSegment) -> bool:
        if filters.speakers and s.speaker not in filters.speakers:
            return False
        if filters.hide_moderator and s.role == "moderator":
            return False
        if filters.status == "decided" and not s.decided:
            return False
        if filters.status in ("pending", "coded", "uncoded") and s.status != filters.status:
            return False
        if filters.codes and not filters.codes & ({c.code_id for c in s.chips} | {p.code_id for p in s.pending}):
            return False
        if filters.min_score > 0 and not any(p.score >= filters.min_score for p in s.pending):
            return False
        folded = s.text.casefold()
        return all(w in folded for w in words)
    return [s for s in review.segments if keep(s)]


def code_next(review: Review, segments: list[ReviewSegment]) -> list[ReviewSegment]:
    """Active learning: segments with open suggestions, those whose decision teaches the model most first
    (scores near 0.5, for codes with few human examples — `autocode.uncertainty`)."""
    open_ = [s for s in segments if s.pending]
    if not open_:
        return []
    columns = {code_id: j for j, code_id in enumerate(sorted({p.code_id for s in open_ for p in s.pending}))}
    probability = np.zeros((len(open_), len(columns)))
    for i, s in enumerate(open_):
        for p in s.pending:
            probability[i, columns[p.code_id]] = p.score
    positives = np.array([review.positives.get(code_id, 0) for code_id in columns])
    scores = autocode.uncertainty(probability, positives)
    return [open_[i] for i in np.argsort(-scores, kind="stable")]


def step(order: list[int], current: int | None, offset: int) -> int | None:
    """The segment `offset` places from `current` in `order`, clamped at both ends."""
    if not order:
        return None
    if current not in order:
        return order[0]
    return order[min(max(order.index(current) + offset, 0), len(order) - 1)]


def after_decision(review: Review, order: list[int], current: int) -> int:
    """Where the cursor goes after a decision: it stays while the segment has open suggestions, else
    moves to the next segment in `order` (the order the coder was working in) that has some."""
    if review.segment(current).pending or current not in order:
        return current
    later = order[order.index(current) + 1:]
    return next((s for s in later if s in review and review.segment(s).pending), current)


def place_cursor(order: list[int], previous: list[int], target: int | None) -> int | None:
    """`target` if the current filters show it, else the first segment after it (in the order it was
    chosen from) that they show, else the first one they show."""
    if target in order or not order:
        return target if order else None
    if target in previous:
        shown = set(order)
        following = [s for s in previous[previous.index(target):] if s in shown]
        if following:
            return following[0]
    return order[0]


def filter_options(session: Session, document: str) -> tuple[list[str], list[CodeInfo]]:
    """What the filters offer for a document: its speakers, and the codes that can be applied."""
    project = find_project(session)
    speakers = list(session.scalars(select(Participant.label).join(Document)
                                    .where(Document.project_id == project.id, Document.name == document)
                                    .order_by(Participant.id)))
    return speakers, _applicable(code_infos(CodeTree(session, project)))


def bulk_candidates(review: Review, code_id: int, min_score: float) -> list[tuple[ReviewSegment, Suggestion]]:
    """One code's open suggestions at or above `min_score` in this document, best first: what a bulk
    accept would take, shown to the coder before anything is written."""
    found = [(s, p) for s in review.segments for p in s.pending if p.code_id == code_id and p.score >= min_score]
    return sorted(found, key=lambda pair: -pair[1].score)


def code_segment(session: Session, project: Project, coder: Coder, segment: ReviewSegment, code_id: int,
                 span: tuple[int, int] | None = None) -> Coding:
    """Apply a code to a segment: by accepting the machine's open suggestion of that code when there is one
    (the learner then sees the agreement), else as a manual coding."""
    start, end = span or (None, None)
    suggestion = next((p for p in segment.pending if p.code_id == code_id), None)
    if suggestion is not None:
        return decide(session, project, coder, suggestion.id, accept=True, start=start, end=end)
    return apply_code(session, project, coder, segment.id, code_id, start, end)


def accept_all(session: Session, project: Project, coder: Coder, suggestion_ids: list[int]) -> dict:
    """Accept exactly the previewed suggestions; ones decided meanwhile (another tab) are skipped."""
    accepted, skipped = 0, []
    for suggestion_id in suggestion_ids:
        try:
            decide(session, project, coder, suggestion_id, accept=True)
            accepted += 1
        except QualcodeError:
            skipped.append(suggestion_id)
    return {"accepted": accepted, "skipped": skipped}


def recent_codes(session: Session, review: Review, limit: int = 9) -> list[int]:
    """Code ids for the number keys: the coder's most recently used codes, then the codebook's leaves in order."""
    used = session.scalars(select(Coding.code_id).join(Coder, Coder.id == Coding.coder_id)
                           .where(Coder.name == review.coder, Coder.kind == "human", Coding.status.in_(POSITIVE))
                           .order_by(Coding.id.desc()).limit(200))
    applicable = palette(review)
    active = {c.id for c in applicable}
    parents = {c.path.rpartition("/")[0] for c in applicable}
    leaves = [c.id for c in applicable if c.path not in parents]
    return list(dict.fromkeys([c for c in used if c in active] + leaves))[:limit]


def span_for_quote(review: Review, segment: ReviewSegment, quote: str) -> tuple[int, int]:
    """Document offsets of `quote` inside the segment — or, to widen the span, inside the segment's turn.
    Any run of whitespace in the text matches a space in the quote (pasted text loses line breaks)."""
    words = quote.split()
    if not words:
        raise QualcodeError("type or paste the words to code")
    pattern = re.compile(r"\s+".join(re.escape(word) for word in words))
    for start, end in ((segment.start, segment.end), (segment.turn_start, segment.turn_end)):
        match = pattern.search(review.text, start, end)
        if match:
            return match.start(), match.end()
    raise QualcodeError("those words are not in this segment or its turn")
