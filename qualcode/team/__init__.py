"""Team coding on a project: who coded what, as agreement ratings; assignments; reconciliation.

A coder "saw" a unit when it lies in a document assigned to them (Coder.settings
"documents") or, without assignments, in a document where they coded anything.
What a human applied is every manual or accepted coding; the machine's are its
suggestions, so it is compared like any human. Units: the segment (default),
the turn, or the document. Settling a disagreement writes the chosen codes as
the `consensus` coder's codings, each resolution an Event.

Package `team`: ratings, assignments and reconciliation (here), the statistics (`agreement.py`),
members and logins (`members.py`). It may import `common`, `store`, `ingest`, `recording`,
`codebook`, `autocode`, `coding` (tests/test_layout.py checks it).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.team.agreement import Ratings, disagreements
from qualcode.codebook.codes import CodeTree
from qualcode.coding import apply_code, coder_named, remove_coding
from qualcode.common.errors import QualcodeError
from qualcode.common.files import read_csv_rows
from qualcode.store.model import Coder, Coding, Document, Project, Segment
from qualcode.store import atomic, find_coder, record

UNITS = ("segment", "turn", "document", "span")
SPAN_THRESHOLD = 0.9
CONSENSUS = "consensus"
APPLIED = ("manual", "accepted")


def _coder(session: Session, project: Project, name: str) -> Coder:
    coder = find_coder(session, project.id, name)
    if coder is None:
        known = session.scalars(select(Coder.name).where(Coder.project_id == project.id)).all()
        raise QualcodeError(f"no coder named '{name}' (coders: {', '.join(known) or 'none yet'})")
    return coder


def _applied(session: Session, coder: Coder) -> list[Coding]:
    statuses = ("suggested",) if coder.kind == "machine" else APPLIED
    return list(session.scalars(select(Coding).where(Coding.coder_id == coder.id, Coding.status.in_(statuses))))


def _unit_of(unit: str, segment: Segment) -> object:
    return {"segment": segment.id, "turn": segment.turn_id, "document": segment.document_id}[unit]


def project_ratings(session: Session, project: Project, coder_names: list[str], unit: str = "segment") -> Ratings:
    """Ratings of the named coders over the units of the documents each of them saw."""
    if unit not in UNITS:
        raise QualcodeError(f"unknown unit '{unit}' (use {', '.join(UNITS)})")
    if len(set(coder_names)) < 2:
        raise QualcodeError("agreement needs at least two different coders")
    if unit == "span":
        return span_ratings(session, project, coder_names)
    tree = CodeTree(session, project)
    coders = [_coder(session, project, name) for name in coder_names]
    codings = {c.name: _applied(session, c) for c in coders}
    seen_docs = {c.name: set(c.settings.get("documents") or {k.document_id for k in codings[c.name]}) for c in coders}
    documents = set().union(*seen_docs.values())
    segments = list(session.scalars(select(Segment).join(Document).where(Document.id.in_(documents))
                                    .order_by(Segment.document_id, Segment.order)))
    by_segment = {s.id: s for s in segments}
    assigned: dict[tuple, set[str]] = {}
    for segment in segments:
        for coder in coders:
            if segment.document_id in seen_docs[coder.name]:
                assigned.setdefault((_unit_of(unit, segment), coder.name), set())
    for coder in coders:
        for coding in codings[coder.name]:
            segment = by_segment.get(coding.segment_id)
            if segment is not None:
                assigned[(_unit_of(unit, segment), coder.name)].add(tree.path(tree.by_id[coding.code_id]))
    units = list(dict.fromkeys(_unit_of(unit, s) for s in segments))
    codes = [tree.path(c) for c in tree.codes if not c.archived]
    used = set().union(*assigned.values()) if assigned else set()
    return Ratings(units, [c.name for c in coders], codes + sorted(used - set(codes)),
                   {key: frozenset(v) for key, v in assigned.items()})


def _overlap(a: Coding, b: Coding) -> float:
    """Characters both spans cover, as a share of the characters either covers."""
    both = min(a.end, b.end) - max(a.start, b.start)
    return max(0, both) / (max(a.end, b.end) - min(a.start, b.start))


def span_ratings(session: Session, project: Project, coder_names: list[str],
                 threshold: float = SPAN_THRESHOLD) -> Ratings:
    """MAXQDA-style units: every coded span is a unit; another coder agrees when they gave the
    same code to a span in the same document overlapping it by ≥ `threshold` of the union.

    Spans that match across coders become one unit; a unit exists only where someone coded, so
    "neither coded" never inflates agreement (unlike counting uncoded text as agreement).
    """
    tree = CodeTree(session, project)
    coders = [_coder(session, project, name) for name in coder_names]
    pending = [(c.name, k) for c in coders for k in sorted(_applied(session, c), key=lambda k: (k.document_id, k.start))]
    assigned: dict[tuple, set[str]] = {}
    units: list[str] = []
    unit_code: dict[str, str] = {}
    used: set[int] = set()
    for name, coding in pending:
        if coding.id in used:
            continue
        used.add(coding.id)
        unit = f"{coding.document_id}:{coding.start}-{coding.end}:{coding.code_id}"
        units.append(unit)
        path = tree.path(tree.by_id[coding.code_id])
        unit_code[unit] = path
        assigned[(unit, name)] = {path}
        for other, candidate in pending:
            if other == name or (unit, other) in assigned or candidate.id in used:
                continue
            if (candidate.code_id == coding.code_id and candidate.document_id == coding.document_id
                    and _overlap(coding, candidate) >= threshold):
                used.add(candidate.id)
                assigned[(unit, other)] = {path}
        for other in coder_names:
            assigned.setdefault((unit, other), set())
    codes = list(dict.fromkeys(p for v in assigned.values() for p in v))
    return Ratings(units, list(coder_names), codes, {key: frozenset(v) for key, v in assigned.items()}, unit_code)


@atomic
def assign_documents(session: Session, project: Project, coder_name: str, document_names: list[str]) -> list[str]:
    """Give a coder their documents (blind parallel coding: each codes only these)."""
    coder = coder_named(session, project, coder_name)
    docs = {d.name: d.id for d in session.scalars(select(Document).where(Document.project_id == project.id))}
    missing = [n for n in document_names if n not in docs]
    if missing:
        raise QualcodeError(f"no document named {', '.join(missing)}")
    before = dict(coder.settings)
    ids = sorted(set(coder.settings.get("documents", [])) | {docs[n] for n in document_names})
    coder.settings = {**coder.settings, "documents": ids}
    record(session, project.id, "assign", "coder", coder.id, before=before, after=coder.settings)
    return sorted(n for n, i in docs.items() if i in ids)


@atomic
def import_codings(session: Session, project: Project, path: Path, coder_name: str) -> dict:
    """A coder's work done elsewhere: CSV `document,start,end,code` or `segment,code`; all rows or none."""
    rows = read_csv_rows(path)
    if not rows:
        raise QualcodeError(f"{path}: no rows")
    columns = set(rows[0])
    by_span = {"document", "start", "end", "code"} <= columns
    if not by_span and not {"segment", "code"} <= columns:
        raise QualcodeError(f"{path}: needs columns document,start,end,code or segment,code")
    tree = CodeTree(session, project)
    lookup = {}
    for code in tree.codes:
        if not code.archived:
            lookup.setdefault(tree.path(code), code.id)
            lookup.setdefault(code.name, code.id)
    coder = coder_named(session, project, coder_name)
    docs = {d.name: d for d in session.scalars(select(Document).where(Document.project_id == project.id))}
    errors = []
    count = lambda: len(session.scalars(select(Coding.id).where(Coding.coder_id == coder.id)).all())  # noqa: E731
    before = count()
    for line, row in enumerate(rows, start=2):
        code_id = lookup.get((row.get("code") or "").strip())
        if code_id is None:
            errors.append(f"{path}:{line}: unknown code '{row.get('code')}'")
            continue
        try:
            segment = _segment_for(session, docs, row, by_span)
            start = int(row["start"]) if by_span else None
            end = int(row["end"]) if by_span else None
            apply_code(session, project, coder, segment.id, code_id, start, end)
        except (QualcodeError, ValueError, KeyError) as err:
            errors.append(f"{path}:{line}: {err}")
    if errors:
        raise QualcodeError("; ".join(errors[:5]) + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""))
    return {"coder": coder.name, "rows": len(rows), "added": count() - before}


def _segment_for(session: Session, docs: dict[str, Document], row: dict, by_span: bool) -> Segment:
    """The segment a row refers to: by id, or the one holding the span's start."""
    if not by_span:
        segment = session.get(Segment, int(row["segment"]))
        if segment is None:
            raise QualcodeError(f"no segment {row['segment']}")
        return segment
    doc = docs.get(row["document"])
    if doc is None:
        raise QualcodeError(f"no document named '{row['document']}'")
    start = int(row["start"])
    segment = session.scalars(select(Segment).where(Segment.document_id == doc.id, Segment.start <= start,
                                                    Segment.end > start)).first()
    if segment is None:
        segment = session.scalars(select(Segment).where(Segment.document_id == doc.id, Segment.start >= start)
                                  .order_by(Segment.start)).first()
    if segment is None:
        raise QualcodeError(f"offset {start} is outside every segment of {doc.name}")
    return segment


def reconciliation_queue(session: Session, project: Project, coder_names: list[str]) -> list[dict]:
    """Segment-level disagreements with their text and whether the consensus coder settled them."""
    ratings = project_ratings(session, project, coder_names, "segment")
    consensus = find_coder(session, project.id, CONSENSUS)
    settled = set(consensus.settings.get("settled", [])) if consensus is not None else set()
    texts = {s.id: (d.name, d.text[s.start:s.end]) for s, d in session.execute(
        select(Segment, Document).join(Document).where(Segment.id.in_([r["unit"] for r in disagreements(ratings)])))}
    return [{**item, "document": texts[item["unit"]][0], "text": texts[item["unit"]][1],
             "resolved": item["unit"] in settled} for item in disagreements(ratings)]


def _check_segment(session: Session, project: Project, segment_id: int) -> None:
    """A segment of this project, else one line (an id typed on the CLI, a stale page, another project's)."""
    found = session.scalar(select(Segment.id).join(Document, Document.id == Segment.document_id)
                           .where(Segment.id == segment_id, Document.project_id == project.id))
    if found is None:
        raise QualcodeError(f"no segment {segment_id} in project '{project.name}'")


@atomic
def resolve(session: Session, project: Project, segment_id: int, coder_names: list[str], take: str,
            codes: list[str] | None = None) -> list[str]:
    """Settle one segment: take coder A's codes, B's, both, neither, or an edited list (`codes`)."""
    _check_segment(session, project, segment_id)
    ratings = project_ratings(session, project, coder_names, "segment")
    given = {c: set(ratings.assigned.get((segment_id, c), set())) for c in coder_names}
    choices = {"a": given[coder_names[0]], "b": given[coder_names[1]], "both": set().union(*given.values()),
               "neither": set()}
    if take == "edit":
        chosen = set(codes or [])
    elif take in choices:
        chosen = choices[take]
    else:
        raise QualcodeError(f"unknown choice '{take}' (use a, b, both, neither or edit)")
    tree = CodeTree(session, project)
    paths = {tree.path(c): c.id for c in tree.codes if not c.archived}
    unknown = chosen - set(paths)
    if unknown:
        raise QualcodeError(f"unknown code(s): {', '.join(sorted(unknown))}")
    consensus = coder_named(session, project, CONSENSUS)
    for old in session.scalars(select(Coding).where(Coding.coder_id == consensus.id, Coding.segment_id == segment_id)):
        remove_coding(session, project, consensus, old.id)
    for path in sorted(chosen):
        apply_code(session, project, consensus, segment_id, paths[path])
    consensus.settings = {**consensus.settings,
                          "settled": sorted(set(consensus.settings.get("settled", [])) | {segment_id})}
    record(session, project.id, "resolve", "segment", segment_id,
           before={c: sorted(v) for c, v in given.items()}, after={"take": take, "codes": sorted(chosen)})
    return sorted(chosen)
