"""A transcribed recording as a draft document, and the draft confirmed into a normal one.

The draft's truth is its list of turns (speaker, text, times, language, confidence, words); the
document text ("Voice 1: …" blocks) and every offset are re-assembled from it after each change,
which is safe only because a draft has no segments and so no codings. Confirming cuts the turns
into coding units; from then on offsets are frozen like any imported transcript's.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from qualcode.ingest import segment
from qualcode.common.errors import QualcodeError
from qualcode.ingest.assemble import assemble
from qualcode.ingest import speakers
from qualcode.ingest.base import Parsed, RawTurn
from qualcode.ingest.language import majority
from qualcode.store.model import Document, Participant, Segment, Turn
from qualcode.recording import transcribe, voices
from qualcode.recording.audio import RATE
from qualcode.store import atomic, record

VOICE = "Voice {}"


@dataclass
class Piece:
    """One draft turn. `words`: [start, end, probability, start_time, end_time] per word, the
    offsets into `text`; empty once a person rewrote the text."""

    speaker: str
    text: str
    start_time: float
    end_time: float
    language: str
    confidence: float | None = None
    words: list[list] = field(default_factory=list)


def _piece(utterance: transcribe.Utterance, speaker: str) -> Piece:
    text, words = "", []
    for word in utterance.words:
        piece = unicodedata.normalize("NFC", word.text)
        stripped = piece.strip()
        if not stripped:
            continue
        if text and piece[:1].isspace():
            text += " "
        words.append([len(text), len(text) + len(stripped), round(word.probability, 3),
                      round(word.start, 2), round(word.end, 2)])
        text += stripped
    return Piece(speaker, text, round(utterance.start, 2), round(utterance.end, 2), utterance.language,
                 round(utterance.confidence, 3), words)


def join(first: Piece, second: Piece) -> Piece:
    """Two neighbouring turns as one (the first one's speaker)."""
    shift = len(first.text) + 1
    span = (first.end_time - first.start_time) + (second.end_time - second.start_time)
    confidence = None
    if first.confidence is not None and second.confidence is not None and span > 0:
        confidence = round((first.confidence * (first.end_time - first.start_time)
                            + second.confidence * (second.end_time - second.start_time)) / span, 3)
    words = first.words + [[w[0] + shift, w[1] + shift, *w[2:]] for w in second.words]
    return Piece(first.speaker, f"{first.text} {second.text}", first.start_time, second.end_time,
                 first.language, confidence, words if first.words and second.words else [])


def pieces_from(samples, utterances: list[transcribe.Utterance], speakers: int | None) -> list[Piece]:
    """Utterances grouped into voices, neighbours with the same voice joined into one turn."""
    vectors = [voices.features(samples[int(u.start * RATE):int(u.end * RATE)]) for u in utterances]
    labels = voices.group(vectors, speakers)
    pieces: list[Piece] = []
    for utterance, label in zip(utterances, labels):
        piece = _piece(utterance, VOICE.format(label + 1))
        if pieces and pieces[-1].speaker == piece.speaker:
            pieces[-1] = join(pieces[-1], piece)
        else:
            pieces.append(piece)
    return pieces


def pieces_of(doc: Document) -> list[Piece]:
    """The stored draft's turns as pieces."""
    labels = {p.id: p.label for p in doc.participants}
    return [Piece(labels.get(t.participant_id, VOICE.format(1)), doc.text[t.start:t.end], t.start_time or 0.0,
                  t.end_time or 0.0, t.language or doc.language, t.confidence, list(t.words or []))
            for t in doc.turns]


def write_pieces(session: Session, doc: Document, pieces: list[Piece]) -> None:
    """Replace a draft's text, turns and speakers with `pieces` (in the caller's transaction)."""
    if doc.status != "draft":
        raise QualcodeError(f"'{doc.name}' is confirmed: its turns can no longer change")
    if not pieces:
        raise QualcodeError(f"'{doc.name}': a transcript needs at least one turn")
    text, placed = assemble(Parsed("audio", [RawTurn(p.text, p.speaker, p.start_time, p.end_time) for p in pieces]))
    if len(placed) != len(pieces):
        raise QualcodeError(f"'{doc.name}': a turn cannot be empty (merge it with its neighbour instead)")
    people = {p.label: p for p in doc.participants}
    for label in dict.fromkeys(p.speaker for p in pieces):
        if label not in people:
            people[label] = Participant(document_id=doc.id, label=label, role=speakers.role_of(label, None),
                                        attributes={})
            session.add(people[label])
    session.flush()
    session.execute(delete(Turn).where(Turn.document_id == doc.id))
    session.execute(insert(Turn), [
        {"document_id": doc.id, "order": number, "start": spot.start, "end": spot.end,
         "start_time": piece.start_time, "end_time": piece.end_time, "language": piece.language,
         "participant_id": people[piece.speaker].id, "confidence": piece.confidence,
         # words keep their offsets only while the stored text is exactly the transcribed one
         "words": (piece.words or None) if text[spot.start:spot.end] == piece.text else None}
        for number, (piece, spot) in enumerate(zip(pieces, placed))])
    used = {p.speaker for p in pieces}
    for label, person in people.items():
        if label not in used:
            session.delete(person)
    doc.text = text
    doc.language = (majority([p.text for p in pieces], [p.language for p in pieces]) or [doc.language])[0]
    session.flush()
    session.expire(doc)


@atomic
def confirm(session: Session, doc: Document) -> Document:
    """The draft becomes a normal document: its turns are cut into coding units, offsets frozen."""
    if doc.status != "draft":
        raise QualcodeError(f"'{doc.name}' is already confirmed")
    rows = [{"document_id": doc.id, "turn_id": turn.id, "start": start, "end": end, "unit": doc.unit}
            for turn in doc.turns
            for start, end in segment.units(doc.text, turn.start, turn.end, doc.unit, turn.language or doc.language)]
    for order, row in enumerate(rows):
        row["order"] = order
    if rows:
        session.execute(insert(Segment), rows)
    doc.status = "confirmed"
    record(session, doc.project_id, "confirm", "document", doc.id, before={"status": "draft"},
           after={"status": "confirmed", "turns": len(doc.turns), "segments": len(rows)})
    session.flush()
    session.expire(doc)
    return doc
