"""Pseudonymisation: pseudonyms for participants, proposals for what they mention, a derived view.

The stored text is never changed, so offsets, segments and codings stay valid.
Detection stores proposals (status `proposed`); a researcher accepts or
rejects each; `apply` gives every accepted one its replacement, the same one
for every form of one name across the project, and fills missing participant
pseudonyms. `deidentified_text(document)` derives the replaced text and maps
offsets into it. The key (real → pseudonym) is exported on its own and is in
no other output. Every change is an Event.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session, selectinload

from qualcode.deid import lexicon
from qualcode.deid.candidate import TYPES, Candidate
from qualcode.deid.detect import Gazetteer, detect_text
from qualcode.deid.names import canonical, inflects
from qualcode.deid.view import DeidentifiedText, replace_spans
from qualcode.common.errors import QualcodeError
from qualcode.common.files import csv_bytes
from qualcode.store.model import DeidTerm, Detection, Document, Participant, Project, PseudonymKey
from qualcode.store import Store, atomic, find_project, record

STATUSES = ("proposed", "accepted", "rejected")
CONFIDENT = 0.5
PSEUDONYM_ATTRIBUTES = ("type", "settlement")
_ROLE_NAMES = {"moderator": "Moderator", "observer": "Observer"}


# --- participants --------------------------------------------------------------------------

def speaker_labels(document: Document) -> list[tuple[int, int, int]]:
    """(start, end, participant id) of every "Label: " in front of a turn: the pseudonym goes there."""
    labels = {p.id: p.label for p in document.participants}
    found = []
    for turn in document.turns:
        label = labels.get(turn.participant_id)
        start = turn.start - len(label or "") - 2
        if label and start >= 0 and document.text[start:turn.start] == f"{label}: ":
            found.append((start, start + len(label), turn.participant_id))
    return found


def _participants(session: Session, project: Project) -> list[tuple[Participant, Document]]:
    return list(session.execute(select(Participant, Document).join(Document)
                                .where(Document.project_id == project.id).order_by(Document.id, Participant.id)))


def pseudonym_rows(session: Session, project: Project) -> list[dict]:
    """The pseudonym table: every participant of every document."""
    return [{"document": d.name, "label": p.label, "role": p.role, "attributes": p.attributes,
             "pseudonym": p.pseudonym} for p, d in _participants(session, project)]


def _check_pseudonym(participant: Participant, document: Document, pseudonym: str) -> str:
    pseudonym = (pseudonym or "").strip()
    where = f"participant '{participant.label}' in {document.name}"
    if not pseudonym:
        raise QualcodeError(f"empty pseudonym refused for {where}: "
                            "give a name such as 'Participant 3 (recipient, rural)'")
    if pseudonym.casefold() == participant.label.casefold() and Gazetteer.name_words(participant.label):
        raise QualcodeError(f"the pseudonym of {where} is their own name")
    for other in document.participants:
        if other.id != participant.id and pseudonym.casefold() in ((other.pseudonym or "").casefold(),
                                                                   other.label.casefold()):
            raise QualcodeError(f"'{pseudonym}' already names participant '{other.label}' in {document.name}")
    return pseudonym


@atomic
def set_pseudonym(session: Session, project: Project, label: str, pseudonym: str,
                  document: str | None = None) -> int:
    """Give the participant(s) labelled `label` (in one document, or in all) a pseudonym."""
    rows = [(p, d) for p, d in _participants(session, project)
            if p.label == label and (document is None or d.name == document)]
    if not rows:
        raise QualcodeError(f"no participant '{label}'" + (f" in {document}" if document else "")
                            + " (see `qualcode anonymise pseudonym list`)")
    for participant, doc in rows:
        before = participant.pseudonym
        participant.pseudonym = _check_pseudonym(participant, doc, pseudonym)
        session.flush()
        record(session, project.id, "pseudonym", "participant", participant.id,
               before={"pseudonym": before}, after={"pseudonym": participant.pseudonym})
    return len(rows)


@atomic
def generate_pseudonyms(session: Session, project: Project, keys=PSEUDONYM_ATTRIBUTES,
                        overwrite: bool = False) -> list[dict]:
    """"Participant 3 (recipient, rural)" from attributes, numbered across the project, for those without one."""
    rows = _participants(session, project)
    used: dict[str, set[int]] = defaultdict(set)
    for p, _ in rows:
        m = re.match(r"(\w+) (\d+)\b", p.pseudonym or "")
        if m and not overwrite:
            used[m.group(1)].add(int(m.group(2)))
    made = []
    for participant, doc in rows:
        if participant.pseudonym and not overwrite:
            continue
        base = _ROLE_NAMES.get(participant.role, "Participant")
        number = next(n for n in range(1, len(rows) + len(used[base]) + 2) if n not in used[base])
        used[base].add(number)
        attrs = {**doc.attributes, **participant.attributes}
        values = [str(attrs[k]) for k in keys if attrs.get(k) not in (None, "")]
        name = f"{base} {number}" + (f" ({', '.join(values)})" if values and base == "Participant" else "")
        before = participant.pseudonym
        participant.pseudonym = name
        session.flush()
        record(session, project.id, "pseudonym", "participant", participant.id,
               before={"pseudonym": before}, after={"pseudonym": name, "generated": True})
        made.append({"document": doc.name, "label": participant.label, "pseudonym": name})
    return made


# --- user lists -----------------------------------------------------------------------------

@atomic
def add_terms(session: Session, project: Project, terms: list[str], action: str, kind: str | None = None) -> int:
    """Always flag these terms as `kind` (action "flag"), or never flag them ("keep")."""
    if action == "flag" and kind not in TYPES:
        raise QualcodeError(f"unknown type '{kind}' (use {', '.join(TYPES)})")
    added = 0
    for term in (t.strip() for t in terms):
        if not term:
            raise QualcodeError("an empty term cannot be listed")
        row = session.scalars(select(DeidTerm).where(DeidTerm.project_id == project.id, DeidTerm.term == term)).first()
        before = {"action": row.action, "type": row.type} if row else None
        row = row or DeidTerm(project_id=project.id, term=term)
        row.action, row.type = action, kind if action == "flag" else None
        session.add(row)
        session.flush()
        record(session, project.id, "term", "deid_term", row.id, before=before,
               after={"term": term, "action": action, "type": row.type})
        added += 1
    return added


def term_rows(session: Session, project: Project) -> list[dict]:
    return [{"term": t.term, "action": t.action, "type": t.type}
            for t in session.scalars(select(DeidTerm).where(DeidTerm.project_id == project.id).order_by(DeidTerm.term))]


# --- detection ------------------------------------------------------------------------------

def detection_row(det: Detection, document: str) -> dict:
    """The CLI contract's fields first: document, start, end, text, type."""
    return {"document": document, "start": det.start, "end": det.end, "text": det.text, "type": det.type,
            "id": det.id, "status": det.status, "confidence": round(det.confidence, 2), "source": det.source,
            "note": det.note, "replacement": det.replacement}


def detection_rows(session: Session, project: Project, documents: list[str] | None = None,
                   status: str | None = None) -> list[dict]:
    query = (select(Detection, Document.name).join(Document, Detection.document_id == Document.id)
             .where(Detection.project_id == project.id).order_by(Document.id, Detection.start))
    if documents:
        query = query.where(Document.name.in_(documents))
    if status:
        query = query.where(Detection.status == status)
    return [detection_row(det, name) for det, name in session.execute(query)]


def _project(session: Session) -> Project:
    project = find_project(session)
    if project is None:
        raise QualcodeError("the database has no project yet (import something first)")
    return project


def _documents(session: Session, project: Project, names: list[str] | None) -> list[Document]:
    query = (select(Document).where(Document.project_id == project.id).order_by(Document.id)
             .options(selectinload(Document.participants), selectinload(Document.turns)))
    docs = list(session.scalars(query))
    if names:
        unknown = sorted(set(names) - {d.name for d in docs})
        if unknown:
            raise QualcodeError(f"no document named '{unknown[0]}' (see `qualcode documents`)")
        docs = [d for d in docs if d.name in names]
    return docs


def detect(store: Store, documents: list[str] | None = None,
           progress: Callable[[int, int], None] | None = None) -> list[dict]:
    """Propose identifiers in the documents (all by default) and return the documents' detections.

    Recognition runs outside any transaction; proposals are then stored in one.
    Decided detections are kept as they are and never re-proposed over; old
    proposals that are no longer found are withdrawn.
    """
    with store.read() as session:
        project = _project(session)
        docs = _documents(session, project, documents)
        every_label = {p.label for p, _ in _participants(session, project)}
        terms = term_rows(session, project)
        jobs = [(d.id, d.text, [p.label for p in d.participants],
                 [(s, e) for s, e, _ in speaker_labels(d)]) for d in docs]
    flags = [(t["term"], t["type"]) for t in terms if t["action"] == "flag"]
    keeps = [t["term"] for t in terms if t["action"] == "keep"]
    found = {}
    for number, (doc_id, text, labels, labels_at) in enumerate(jobs, 1):
        gazetteer = Gazetteer.of(labels, every_label - set(labels), flags, keeps)
        found[doc_id] = detect_text(text, gazetteer, skip=labels_at)
        if progress:
            progress(number, len(jobs))
    with store.write() as session:
        project = _project(session)
        for doc in _documents(session, project, documents):
            if doc.id in found:
                _store_proposals(session, project, doc, found[doc.id])
        return detection_rows(session, project, [d.name for d in docs])


def _store_proposals(session: Session, project: Project, doc: Document, found: list[Candidate]) -> None:
    existing = list(session.scalars(select(Detection).where(Detection.document_id == doc.id)))
    spans = {(c.start, c.end) for c in found}
    withdrawn = [d for d in existing if d.status == "proposed" and (d.start, d.end) not in spans]
    for det in withdrawn:
        session.delete(det)
    kept = {(d.start, d.end): d for d in existing if d not in withdrawn}
    people = {p.label: p.id for p in doc.participants}
    added = updated = 0
    for cand in found:
        fields = {"type": cand.type, "source": cand.source, "confidence": cand.confidence, "note": cand.note,
                  "participant_id": people.get(cand.participant), "text": doc.text[cand.start:cand.end]}
        same = kept.get((cand.start, cand.end))
        if same is not None:
            if same.status == "proposed" and any(getattr(same, k) != v for k, v in fields.items()):
                for key, value in fields.items():
                    setattr(same, key, value)
                updated += 1
        elif not any(d.start < cand.end and cand.start < d.end for d in kept.values()):
            session.add(Detection(project_id=project.id, document_id=doc.id, start=cand.start, end=cand.end,
                                  status="proposed", **fields))
            added += 1
    session.flush()
    record(session, project.id, "detect", "document", doc.id,
           after={"proposed": added, "updated": updated, "withdrawn": len(withdrawn)})


# --- review ---------------------------------------------------------------------------------

def _snapshot(det: Detection) -> dict:
    return {"status": det.status, "replacement": det.replacement, "type": det.type}


@atomic
def decide(session: Session, project: Project, ids: list[int], status: str, replacement: str | None = None) -> int:
    """Accept or reject detections by id; `replacement` names what stands for this name everywhere."""
    if status not in STATUSES:
        raise QualcodeError(f"unknown status '{status}' (use {', '.join(STATUSES)})")
    rows = list(session.scalars(select(Detection).where(Detection.project_id == project.id, Detection.id.in_(ids))))
    missing = sorted(set(ids) - {d.id for d in rows})
    if missing:
        raise QualcodeError(f"no detection #{missing[0]} (see `qualcode anonymise review`)")
    if replacement is not None:
        replacement = replacement.strip()
        if not replacement:
            raise QualcodeError("an empty replacement is refused: give the text that should stand there")
        if status != "accepted":
            raise QualcodeError("a replacement goes with accepting a detection")
    for det in rows:
        before = _snapshot(det)
        det.status = status
        if status != "accepted":
            det.replacement = None
        elif replacement is not None:
            if det.participant_id is not None:
                raise QualcodeError(f"detection #{det.id} is a participant's name: set their pseudonym with "
                                    "`qualcode anonymise pseudonym set`")
            _key(session, project, det, replacement)
            det.replacement = replacement
        session.flush()
        record(session, project.id, "review", "detection", det.id, before=before, after=_snapshot(det))
    return len(rows)


@atomic
def accept_confident(session: Session, project: Project, min_confidence: float = CONFIDENT,
                     kind: str | None = None, documents: list[str] | None = None) -> dict:
    """Accept every proposal at or above `min_confidence`; the doubtful ones stay for a person to decide."""
    rows = detection_rows(session, project, documents, "proposed")
    chosen = [r["id"] for r in rows if r["confidence"] >= min_confidence and (kind is None or r["type"] == kind)]
    if chosen:
        decide(session, project, chosen, "accepted")
    return {"accepted": len(chosen), "still_proposed": len(rows) - len(chosen)}


@atomic
def add_detection(session: Session, project: Project, document: str, start: int, end: int, kind: str) -> dict:
    """A span the detectors missed, marked by hand (accepted at once)."""
    if kind not in TYPES:
        raise QualcodeError(f"unknown type '{kind}' (use {', '.join(TYPES)})")
    (doc,) = _documents(session, project, [document])
    if not 0 <= start < end <= len(doc.text) or not doc.text[start:end].strip():
        raise QualcodeError(f"{start}-{end} is not a span of text in {document} (0-{len(doc.text)})")
    clash = session.scalars(select(Detection).where(Detection.document_id == doc.id, Detection.start < end,
                                                    Detection.end > start)).first()
    if clash is not None:
        raise QualcodeError(f"{start}-{end} overlaps detection #{clash.id} «{clash.text}» ({clash.status}); "
                            "reject it first or choose another span")
    det = Detection(project_id=project.id, document_id=doc.id, start=start, end=end, text=doc.text[start:end],
                    type=kind, status="accepted", source="manual", confidence=1.0)
    session.add(det)
    session.flush()
    record(session, project.id, "add", "detection", det.id, after={**_snapshot(det), "start": start, "end": end})
    return detection_row(det, doc.name)


# --- apply ----------------------------------------------------------------------------------

def _canonical(det: Detection) -> str:
    if det.type in ("PHONE", "ID"):
        return re.sub(r"\D", "", det.text)
    return det.text.casefold().strip() if det.type == "EMAIL" else canonical(det.text)


def _key(session: Session, project: Project, det: Detection, pseudonym: str | None = None) -> PseudonymKey:
    """The key entry for this detection's name, created as "[PERSON 4]" when new."""
    found = session.scalars(select(PseudonymKey).where(PseudonymKey.project_id == project.id,
                                                       PseudonymKey.type == det.type,
                                                       PseudonymKey.canonical == _canonical(det))).first()
    if found is None:
        taken = session.scalar(select(func.count()).where(PseudonymKey.project_id == project.id,
                                                          PseudonymKey.type == det.type))
        found = PseudonymKey(project_id=project.id, type=det.type, canonical=_canonical(det),
                             pseudonym=pseudonym or f"[{det.type} {taken + 1}]")
        session.add(found)
        session.flush()
        record(session, project.id, "add", "deid_key", found.id, after={"type": det.type, "pseudonym": found.pseudonym})
    elif pseudonym and pseudonym != found.pseudonym:
        record(session, project.id, "edit", "deid_key", found.id,
               before={"pseudonym": found.pseudonym}, after={"pseudonym": pseudonym})
        found.pseudonym = pseudonym
    return found


def _is_common_word(text: str) -> bool:
    return any(inflects(text, name) for name in lexicon.COMMON_WORD_NAMES)


def _propagate(session: Session, project: Project, docs: list[Document]) -> int:
    """Every other occurrence of an accepted mention, in any document, gets the same treatment."""
    rows = list(session.scalars(select(Detection).where(Detection.project_id == project.id)))
    accepted = {}
    for det in rows:
        if det.status == "accepted" and det.participant_id is None:
            accepted.setdefault(det.text, det)
    taken = defaultdict(list)
    for det in rows:
        taken[det.document_id].append((det.start, det.end))
    added = 0
    for doc in docs:
        blocked = taken[doc.id] + [(s, e) for s, e, _ in speaker_labels(doc)]
        for surface, origin in sorted(accepted.items()):
            for m in re.finditer(rf"(?<!\w){re.escape(surface)}(?!\w)", doc.text):
                if any(s < m.end() and m.start() < e for s, e in blocked):
                    continue
                doubtful = origin.type == "PERSON" and _is_common_word(surface)
                det = Detection(project_id=project.id, document_id=doc.id, start=m.start(), end=m.end(),
                                text=surface, type=origin.type, status="proposed" if doubtful else "accepted",
                                source="propagated", confidence=0.3 if doubtful else origin.confidence,
                                note=f"same text as accepted detection #{origin.id}"
                                     + ("; also a common word: check it" if doubtful else ""))
                session.add(det)
                session.flush()
                record(session, project.id, "add", "detection", det.id, after=_snapshot(det))
                blocked.append((m.start(), m.end()))
                added += 1
    return added


@atomic
def apply(session: Session, project: Project) -> dict:
    """Replacements for every accepted detection, consistent across the project; pseudonyms for all."""
    generated = generate_pseudonyms(session, project)
    docs = _documents(session, project, None)
    propagated = _propagate(session, project, docs)
    people = {p.id: p for d in docs for p in d.participants}
    changed = 0
    for det in session.scalars(select(Detection).where(Detection.project_id == project.id)
                               .order_by(Detection.document_id, Detection.start)):
        if det.status != "accepted":
            new = None
        elif det.participant_id is not None:
            new = people[det.participant_id].pseudonym
        else:
            new = _key(session, project, det).pseudonym
        if det.replacement != new:
            det.replacement = new
            changed += 1
    counts = dict(session.execute(select(Detection.status, func.count()).where(Detection.project_id == project.id)
                                  .group_by(Detection.status)).all())
    report = {"accepted": counts.get("accepted", 0), "rejected": counts.get("rejected", 0),
              "undecided": counts.get("proposed", 0), "replacements_changed": changed, "propagated": propagated,
              "generated_pseudonyms": generated}
    record(session, project.id, "apply", "project", project.id, after={k: v for k, v in report.items()
                                                                         if k != "generated_pseudonyms"})
    return report


# --- the de-identified view -------------------------------------------------------------------

def deidentified_text(document: Document) -> DeidentifiedText:
    """The document with speaker labels and accepted identifiers replaced; `offset()` maps positions.

    Refuses (rather than showing a real name) when a participant has no
    pseudonym or a detection was accepted after the last `apply`.
    """
    session = object_session(document)
    if session is None:
        raise QualcodeError("deidentified_text needs a document loaded in a session")
    labels = speaker_labels(document)
    people = {p.id: p for p in document.participants}
    spans = []
    for start, end, pid in labels:
        if not people[pid].pseudonym:
            raise QualcodeError(f"participant '{people[pid].label}' in {document.name} has no pseudonym: "
                                "run `qualcode anonymise apply` or `anonymise pseudonym set`")
        spans.append((start, end, people[pid].pseudonym, "SPEAKER"))
    dets = list(session.scalars(select(Detection).where(Detection.document_id == document.id)))
    for det in (d for d in dets if d.status == "accepted"):
        if det.replacement is None:
            raise QualcodeError(f"detection #{det.id} in {document.name} was accepted after the last apply: "
                                "run `qualcode anonymise apply`")
        if not any(s < det.end and det.start < e for s, e, _ in labels):
            spans.append((det.start, det.end, det.replacement, det.type))
    return replace_spans(document.text, spans, sum(d.status == "proposed" for d in dets))


# --- the key --------------------------------------------------------------------------------

def key_rows(session: Session, project: Project) -> list[dict]:
    """Real → pseudonym, participants first, then every accepted mention with all its forms."""
    rows = [{"kind": "participant", "type": "PERSON", "real": r["label"], "pseudonym": r["pseudonym"],
             "forms": [], "documents": [r["document"]]} for r in pseudonym_rows(session, project)]
    linked = defaultdict(set)
    mentions: dict[tuple, dict] = {}
    query = (select(Detection, Document.name).join(Document, Detection.document_id == Document.id)
             .where(Detection.project_id == project.id, Detection.status == "accepted")
             .order_by(Document.id, Detection.start))
    by_label = {(r["documents"][0], r["real"]): r for r in rows}
    names = {p.id: (d.name, p.label) for p, d in _participants(session, project)}
    for det, doc in session.execute(query):
        if det.participant_id is not None and det.participant_id in names:
            linked[names[det.participant_id]].add(det.text)
            continue
        entry = mentions.setdefault((det.type, _canonical(det)), {
            "kind": "mention", "type": det.type, "real": det.text, "pseudonym": det.replacement,
            "forms": set(), "documents": []})
        entry["forms"].add(det.text)
        if doc not in entry["documents"]:
            entry["documents"].append(doc)
    for where, forms in linked.items():
        by_label[where]["forms"] = sorted(forms)
    for entry in mentions.values():
        entry["forms"] = sorted(entry["forms"])
    return rows + sorted(mentions.values(), key=lambda e: (e["type"], e["pseudonym"] or "", e["real"]))


def key_file_bytes(rows: list[dict], path: Path) -> bytes:
    """The key as CSV (opens in Excel, Cyrillic intact) or JSON, chosen by the file's extension."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return (json.dumps(rows, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if suffix != ".csv":
        raise QualcodeError(f"{path}: export the key to .csv or .json")
    return csv_bytes(["kind", "type", "real", "pseudonym", "forms", "documents"],
                     [[r["kind"], r["type"], r["real"], r["pseudonym"] or "", " | ".join(r["forms"]),
                       " | ".join(r["documents"])] for r in rows])
