"""The lead's coder report: each coder (the machine as one more) against the team's reconciled result.

Units are segments; a coder "saw" the documents they coded. For each coder against the reference
coder (`consensus` by default): Cohen's κ per code on the segments both saw, its mean over the codes
either applied (macro κ), percent agreement, and the same per document in the order the coder first
coded it, so a drift or a learning curve shows. The machine's suggestions count as its codings.
The codes with the lowest κ come with example disagreements — the segment, who applied the code and
who did not — in participants' own words.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.team.agreement import cohen_kappa, contingency, ratings_from_rows
from qualcode.codebook.codes import CodeTree
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Coder, Coding, Document, Participant, Segment, Turn
from qualcode.export.quotes import CONSENSUS
from qualcode.store import find_project

LOWEST = 5      # codes listed with their disagreements
EXAMPLES = 3    # disagreements shown per code


def _codings(session: Session, project_id: int) -> tuple[dict[str, list], dict[str, str]]:
    """Per coder name: (segment id, document id, code id, created_at) of what they applied; and each kind."""
    rows = session.execute(select(Coder.name, Coder.kind, Coding.segment_id, Coding.document_id, Coding.code_id,
                                  Coding.created_at, Coding.status).join(Coder)
                           .where(Coder.project_id == project_id, Coding.segment_id.is_not(None))).all()
    found: dict[str, list] = {}
    kinds: dict[str, str] = {}
    for name, kind, segment, document, code, created, status in rows:
        if status in (("suggested",) if kind == "machine" else ("manual", "accepted")):
            found.setdefault(name, []).append((segment, document, code, created))
            kinds[name] = kind
    return found, kinds


def _macro(ratings, coder: str, reference: str) -> tuple[float | None, dict[str, float | None]]:
    per_code = {}
    for code in ratings.codes:
        table = contingency(ratings, code, coder, reference)
        if table[0, 0] + table[0, 1] + table[1, 0] > 0:      # someone applied it
            per_code[code] = cohen_kappa(table)
    defined = [k for k in per_code.values() if k is not None]
    return (float(np.mean(defined)) if defined else None), per_code


def _rows(codings: dict[str, list], names: list[str], segments: dict[int, int], paths: dict[int, str],
          documents: set[int] | None = None) -> list[tuple]:
    rows = []
    for name in names:
        seen = {d for _, d, _, _ in codings[name]}
        applied = {}
        for segment, _, code, _ in codings[name]:
            applied.setdefault(segment, set()).add(paths[code])
        for segment, document in segments.items():
            if document in seen and (documents is None or document in documents):
                rows += [(segment, name, c) for c in applied.get(segment, ())] or [(segment, name, None)]
    return rows


def coder_report(session: Session, reference: str = CONSENSUS) -> dict:
    """Per coder: macro κ and agreement with `reference`, per document in coding order; lowest-κ codes."""
    project = find_project(session)
    if project is None:
        raise QualcodeError("the database has no project yet (import something first)")
    codings, kinds = _codings(session, project.id)
    if reference not in codings:
        raise QualcodeError(f"no codings by '{reference}' to compare with: settle disagreements first "
                            "(`qualcode resolve`) or name another reference coder")
    tree = CodeTree(session, project)
    paths = {c.id: tree.path(c) for c in tree.codes}
    segments = dict(session.execute(select(Segment.id, Segment.document_id).join(Document)
                                    .where(Document.project_id == project.id)).all())
    names = {d.id: d.name for d in session.scalars(select(Document).where(Document.project_id == project.id))}
    coders, per_code_all = [], {}
    for name in sorted(n for n in codings if n != reference):
        ratings, _ = ratings_from_rows(_rows(codings, [name, reference], segments, paths), coders=[name, reference])
        macro, per_code = _macro(ratings, name, reference)
        for code, kappa in per_code.items():
            per_code_all.setdefault(code, []).append((name, kappa))
        first_coded = {}
        for _, document, _, created in sorted(codings[name], key=lambda r: r[3]):
            first_coded.setdefault(document, created)
        timeline = []
        for document, created in first_coded.items():
            one, _ = ratings_from_rows(_rows(codings, [name, reference], segments, paths, {document}),
                                       coders=[name, reference])
            timeline.append({"document": names[document], "first_coded": created.isoformat(),
                             "kappa": _round(_macro(one, name, reference)[0])})
        coders.append({"coder": name, "kind": kinds[name], "macro_kappa": _round(macro),
                       "percent_agreement": _round(_percent(ratings, name, reference)), "codes": len(per_code),
                       "by_document": timeline})
    lowest = sorted(((code, np.mean([k for _, k in ks if k is not None]))
                     for code, ks in per_code_all.items() if any(k is not None for _, k in ks)),
                    key=lambda pair: pair[1])[:LOWEST]
    return {"reference": reference, "unit": "segment", "statistic": "Cohen's κ per code, macro mean over codes",
            "coders": coders,
            "lowest": [{"code": code, "mean_kappa": _round(kappa),
                        "disagreements": _disagreements(session, codings, reference, code, paths)}
                       for code, kappa in lowest]}


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def _percent(ratings, first: str, second: str) -> float | None:
    both = [u for u in ratings.units if (u, first) in ratings.assigned and (u, second) in ratings.assigned]
    if not both:
        return None
    return sum(ratings.assigned[(u, first)] == ratings.assigned[(u, second)] for u in both) / len(both)


def _disagreements(session: Session, codings: dict[str, list], reference: str, code: str,
                   paths: dict[int, str]) -> list[dict]:
    """Up to EXAMPLES segments where the reference and a coder differ on `code`, cited."""
    applied = {name: {s for s, _, c, _ in rows if paths[c] == code} for name, rows in codings.items()}
    seen = {name: {d for _, d, _, _ in rows} for name, rows in codings.items()}
    out = []
    for name in sorted(n for n in codings if n != reference):
        for segment_id in sorted(applied[name] ^ applied[reference]):
            segment = session.get(Segment, segment_id)
            if segment.document_id not in seen[name] or segment.document_id not in seen[reference]:
                continue
            document = session.get(Document, segment.document_id)
            turn = session.get(Turn, segment.turn_id)
            person = session.get(Participant, turn.participant_id) if turn.participant_id else None
            out.append({"segment": segment_id, "document": document.name, "time": turn.start_time,
                        "speaker": person.label if person else None,
                        "text": document.text[segment.start:segment.end],
                        "applied_by": name if segment_id in applied[name] else reference,
                        "not_by": reference if segment_id in applied[name] else name})
            if len(out) == EXAMPLES:
                return out
    return out
