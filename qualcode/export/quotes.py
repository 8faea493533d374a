"""Coded quotes as plain rows: what the Word report, the tables and the analysis all start from.

One gathering step decides whose codings count (one coder, the consensus coder, or every
human coder's manual codings and accepted suggestions), which codes, and who said each quote,
so every output agrees on the same rows. The unit a quote is counted by is its segment (a
coding without one falls back to the segment holding its start), and co-occurring codes
are the other codes the same choice of coders put on that segment.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.codebook.codes import CodeTree
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Code, Coder, Coding, Detection, Document, Participant, Project, Segment, Turn
from qualcode.store import find_project

ACCEPTED = "accepted"
CONSENSUS = "consensus"
APPLIED = ("manual", "accepted")
ANONYMOUS = {"participant": "Participant", "moderator": "Moderator", "observer": "Observer"}
# XML 1.0 refuses C0 controls except tab/newline, lone surrogates and U+FFFE/FFFF; C1 controls are invisible noise.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_UNPRINTABLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """Text safe for Word and Excel XML: vertical tabs and odd line ends become "\\n", controls go."""
    return _UNPRINTABLE.sub("", _LINE_BREAKS.sub("\n", text))


@dataclass(frozen=True)
class CodeInfo:
    """A selected code; `depth` counts from the top of the selection, not of the codebook."""

    id: int
    path: str
    name: str
    depth: int
    definition: str
    tags: tuple[str, ...]
    translations: Mapping[str, Mapping[str, str]]
    has_children: bool

    def label(self, language: str | None = None) -> str:
        return (self.translations.get(language) or {}).get("name") or self.name

    def describe(self, language: str | None = None) -> str:
        return (self.translations.get(language) or {}).get("definition") or self.definition

    def tag_values(self, framework: str) -> list[str]:
        """Values of `framework: value` tags, e.g. ["strength"] for framework "swot"."""
        values = []
        for tag in self.tags:
            key, sep, value = tag.partition(":")
            if sep and key.strip().casefold() == framework and value.strip():
                values.append(value.strip().casefold())
        return values


@dataclass(frozen=True)
class Quote:
    """One coded passage with everything needed to cite, count and cross-tabulate it."""

    coding_id: int
    code_id: int
    code: str
    document_id: int
    document: str
    language: str
    document_attributes: Mapping[str, object]
    start: int
    end: int
    text: str
    segment_id: int | None
    participant_id: int | None
    participant: str | None  # the label, or the pseudonym / "Participant N" when anonymised
    pseudonym: str | None
    role: str | None
    participant_attributes: Mapping[str, object]
    time: float | None
    coders: tuple[str, ...]
    statuses: tuple[str, ...]
    score: float | None
    cooccurring: tuple[str, ...] = ()

    @property
    def unit(self) -> tuple:
        """What a count counts: the segment, or the span when the coding has none."""
        return ("segment", self.segment_id) if self.segment_id is not None else \
            ("span", self.document_id, self.start, self.end)

    @property
    def coder(self) -> str:
        return ", ".join(self.coders)

    @property
    def status(self) -> str:
        return ", ".join(self.statuses)

    def value(self, key: str) -> str | None:
        """An attribute by name: document, role, participant, code, coder, `document:K`, `participant:K`,
        or a bare K (the participant's value first, it is the more specific)."""
        if key in _FIELDS:
            return _FIELDS[key](self)
        scope, sep, name = key.partition(":")
        if sep and scope == "document":
            value = self.document_attributes.get(name)
        elif sep and scope == "participant":
            value = self.participant_attributes.get(name)
        else:
            value = self.participant_attributes.get(key, self.document_attributes.get(key))
        return None if value is None or value == "" else str(value)


_FIELDS = {"document": lambda q: q.document, "role": lambda q: q.role, "participant": lambda q: q.participant,
           "code": lambda q: q.code, "coder": lambda q: q.coder, "language": lambda q: q.language}


@dataclass
class QuoteSet:
    """The quotes of one selection, in codebook order, with what a report says about the selection."""

    project: str
    codebook: str
    coder: str
    coder_kind: str  # accepted | consensus | human | machine
    codes: list[CodeInfo] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    documents: int = 0
    anonymised: bool = False
    selected: list[str] = field(default_factory=list)  # the code paths asked for; empty = all
    outline: list[CodeInfo] = field(default_factory=list)  # every active code, for co-occurring codes' names

    def attributes(self) -> list[str]:
        """Every `document:K` and `participant:K` the quotes carry, sorted."""
        keys = {f"document:{k}" for q in self.quotes for k in q.document_attributes}
        keys |= {f"participant:{k}" for q in self.quotes for k in q.participant_attributes}
        return sorted(keys)

    def check_key(self, key: str) -> None:
        """Refuse a grouping key that no quote carries, naming the ones that exist."""
        if key in _FIELDS or not self.quotes:
            return
        bare = {k.partition(":")[2] for k in self.attributes()}
        if key not in bare and key not in self.attributes():
            known = ", ".join(sorted(bare | set(_FIELDS))) or "none"
            raise QualcodeError(f"no quote has an attribute '{key}' (known: {known})")


def code_outline(tree: CodeTree, selected: list[str] | None = None) -> list[CodeInfo]:
    """Active codes depth-first in codebook order; with `selected` paths, those codes and their subtrees."""
    roots = {tree.find(path).id for path in selected or []}
    infos: list[CodeInfo] = []

    def visit(parent: Code | None, depth: int | None) -> None:
        for code in tree.children(parent):
            if code.archived:
                continue
            inside = depth is not None or not roots or code.id in roots
            level = (0 if depth is None else depth + 1) if inside else None
            if inside:
                infos.append(CodeInfo(code.id, tree.path(code), code.name, level, code.definition or "",
                                      tuple(code.tags or ()), dict(code.translations or {}),
                                      any(not c.archived for c in tree.children(code))))
            visit(code, level)
    visit(None, None)
    return infos


def _coders(session: Session, project: Project, choice: str) -> tuple[list[Coder], str]:
    known = list(session.scalars(select(Coder).where(Coder.project_id == project.id).order_by(Coder.id)))
    if choice == ACCEPTED:
        return [c for c in known if c.kind == "human" and c.name != CONSENSUS], ACCEPTED
    chosen = next((c for c in known if c.name == choice), None)
    if chosen is None and choice == CONSENSUS:
        raise QualcodeError("there is no consensus coder yet: settle disagreements first "
                            "(`qualcode disagreements`, `qualcode resolve`), or choose a coder")
    if chosen is None:
        names = ", ".join(c.name for c in known) or "none yet"
        raise QualcodeError(f"no coder named '{choice}' (coders: {names}; or use 'accepted' or 'consensus')")
    kind = CONSENSUS if choice == CONSENSUS else chosen.kind
    return [chosen], kind


def anonymous_names(session: Session, project: Project, words: Mapping[str, str] = ANONYMOUS) -> dict[int, str]:
    """Pseudonym where set, else "<Role> N" numbered per role over the whole project, so a name
    stays the same whichever codes or coders a report selects."""
    rows = session.execute(select(Participant.id, Participant.role, Participant.pseudonym).join(Document)
                           .where(Document.project_id == project.id).order_by(Document.id, Participant.id))
    names, counters = {}, {}
    for pid, role, pseudonym in rows:
        role = role or "participant"
        counters[role] = counters.get(role, 0) + 1
        word = words.get(role) or words.get("participant", "Participant")
        names[pid] = pseudonym or f"{word} {counters[role]}"
    return names


class _Places:
    """Segments, turns and speakers of the documents the codings touch, to place each coding."""

    def __init__(self, session: Session, document_ids: set[int]):
        ids = sorted(document_ids)
        self.documents = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))}
        self.segment_turn: dict[int, int] = {}
        self.segments: dict[int, tuple[list[int], list[int]]] = {}
        for sid, doc, turn, start in session.execute(
                select(Segment.id, Segment.document_id, Segment.turn_id, Segment.start)
                .where(Segment.document_id.in_(ids)).order_by(Segment.document_id, Segment.start)):
            self.segment_turn[sid] = turn
            starts, sids = self.segments.setdefault(doc, ([], []))
            starts.append(start)
            sids.append(sid)
        self.turns = {t.id: t for t in session.scalars(select(Turn).where(Turn.document_id.in_(ids)))}
        self.people = {p.id: p for p in session.scalars(select(Participant).where(Participant.document_id.in_(ids)))}
        self.views: dict = {}

    def deidentify(self, session: Session) -> None:
        """Quote texts from the de-identified view of every document with accepted identifiers, so a
        name said inside a quote is replaced as well as the speaker's (refuses if `apply` is stale)."""
        from qualcode.deid.anonymize import deidentified_text  # the detectors' lexicons load only when asked

        accepted = set(session.scalars(select(Detection.document_id).where(
            Detection.document_id.in_(list(self.documents)), Detection.status == "accepted")))
        self.views = {d: deidentified_text(self.documents[d]) for d in sorted(accepted)}

    def text(self, document_id: int, start: int, end: int) -> str:
        view = self.views.get(document_id)
        if view is None:
            return self.documents[document_id].text[start:end]
        new_start, new_end = view.span(start, end)
        return view.text[new_start:new_end]

    def segment_at(self, document_id: int, offset: int) -> int | None:
        starts, sids = self.segments.get(document_id, ([], []))
        i = bisect.bisect_right(starts, offset) - 1
        return sids[i] if i >= 0 else None


def coded_quotes(session: Session, coder: str = ACCEPTED, codes: list[str] | None = None,
                 anonymise: bool = False, anonymous_words: Mapping[str, str] = ANONYMOUS) -> QuoteSet:
    """The quotes of the project for a coder choice and optional code paths (each with its subtree).

    `coder` is a coder's name, "consensus", or "accepted" (every human coder but the consensus
    one: manual codings and accepted suggestions). A human coder counts with their manual and
    accepted codings, the machine with its suggestions. The same code on the same span from
    several coders is one quote listing them all. Archived codes are left out.
    """
    project = find_project(session)
    if project is None:
        if coder != ACCEPTED:
            raise QualcodeError("the database has no project yet (import something first)")
        return QuoteSet(project="", codebook="", coder=coder, coder_kind=ACCEPTED, anonymised=anonymise,
                        selected=list(codes or []))
    tree = CodeTree(session, project)
    outline = code_outline(tree, codes)
    coders, kind = _coders(session, project, coder)
    statuses = ("suggested",) if kind == "machine" else APPLIED
    names = {c.id: c.name for c in coders}
    active = {c.id for c in tree.codes if not c.archived}
    rows = session.execute(select(Coding.id, Coding.coder_id, Coding.code_id, Coding.document_id, Coding.segment_id,
                                  Coding.start, Coding.end, Coding.status, Coding.score)
                           .where(Coding.coder_id.in_(list(names)), Coding.status.in_(statuses),
                                  Coding.code_id.in_(active))
                           .order_by(Coding.document_id, Coding.start, Coding.end, Coding.id)).all()
    places = _Places(session, {r.document_id for r in rows})
    anonymous = anonymous_names(session, project, anonymous_words) if anonymise else {}
    if anonymise:
        places.deidentify(session)
    paths = {c.id: tree.path(c) for c in tree.codes}
    merged: dict[tuple, list] = {}
    for row in rows:
        merged.setdefault((row.code_id, row.document_id, row.start, row.end), []).append(row)
    everything = code_outline(tree)
    order = {c.id: i for i, c in enumerate(everything)}
    units: dict[tuple, set[int]] = {}
    drafts = []
    for (code_id, doc_id, start, end), group in merged.items():
        segment_id = next((r.segment_id for r in group if r.segment_id is not None), None)
        if segment_id is None or segment_id not in places.segment_turn:
            segment_id = places.segment_at(doc_id, start)
        unit = ("segment", segment_id) if segment_id is not None else ("span", doc_id, start, end)
        units.setdefault(unit, set()).add(code_id)
        drafts.append((code_id, doc_id, start, end, group, segment_id, unit))
    wanted = {c.id for c in outline}
    quotes = []
    for code_id, doc_id, start, end, group, segment_id, unit in drafts:
        if code_id not in wanted:
            continue
        doc = places.documents[doc_id]
        turn = places.turns.get(places.segment_turn.get(segment_id)) if segment_id is not None else None
        person = places.people.get(turn.participant_id) if turn is not None else None
        scores = [r.score for r in group if r.score is not None]
        others = sorted(units[unit] - {code_id}, key=lambda c: order.get(c, len(order)))
        quotes.append(Quote(
            coding_id=min(r.id for r in group), code_id=code_id, code=paths[code_id],
            document_id=doc_id, document=doc.name, language=doc.language, document_attributes=doc.attributes or {},
            start=start, end=end, text=places.text(doc_id, start, end), segment_id=segment_id,
            participant_id=person.id if person else None,
            participant=(anonymous.get(person.id) if anonymise else person.label) if person else None,
            pseudonym=person.pseudonym if person else None, role=person.role if person else None,
            participant_attributes=(person.attributes or {}) if person else {},
            time=turn.start_time if turn is not None else None,
            coders=tuple(sorted({names[r.coder_id] for r in group})),
            statuses=tuple(sorted({r.status for r in group})), score=max(scores) if scores else None,
            cooccurring=tuple(paths[c] for c in others)))
    quotes.sort(key=lambda q: (order[q.code_id], q.document_id, q.start, q.end))
    documents = len(session.scalars(select(Document.id).where(Document.project_id == project.id)).all())
    book = (project.settings or {}).get("codebook", {}).get("name") or ""
    return QuoteSet(project=project.name, codebook=book, coder=coder, coder_kind=kind, codes=outline,
                    quotes=quotes, documents=documents, anonymised=anonymise, selected=list(codes or []),
                    outline=everything)
