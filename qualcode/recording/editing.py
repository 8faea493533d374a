"""Corrections to a draft transcript, each one transaction with its event: a turn's text, its
speaker, a voice's name, splitting and merging turns; and attaching a recording to any document
whose turns have times (a VTT/SRT/Otter/Rev transcript) so that its turns can be played."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.common.errors import QualcodeError
from qualcode.ingest.decoding import normalize
from qualcode.store.model import Document
from qualcode.recording import audio, transcribe
from qualcode.recording.draft import Piece, join, pieces_of, write_pieces
from qualcode.store import Store, atomic, record


def _turn(pieces: list[Piece], number: int, doc: Document) -> Piece:
    if not 0 <= number < len(pieces):
        raise QualcodeError(f"'{doc.name}' has no turn {number + 1} (it has {len(pieces)})")
    return pieces[number]


def _change(session: Session, doc: Document, pieces: list[Piece], action: str, before: dict, after: dict) -> None:
    write_pieces(session, doc, pieces)
    record(session, doc.project_id, action, "document", doc.id, before=before, after=after)


@atomic
def edit_text(session: Session, doc: Document, number: int, text: str) -> None:
    pieces = pieces_of(doc)
    piece = _turn(pieces, number, doc)
    new = normalize(text).strip()
    if not new:
        raise QualcodeError("a turn's text cannot be empty (merge the turn with its neighbour instead)")
    if new == piece.text:
        return
    before = piece.text
    piece.text, piece.words = new, []
    _change(session, doc, pieces, "edit-turn", {"turn": number, "text": before}, {"turn": number, "text": new})


@atomic
def set_speaker(session: Session, doc: Document, number: int, speaker: str) -> None:
    pieces = pieces_of(doc)
    piece = _turn(pieces, number, doc)
    label = normalize(speaker).strip()
    if not label or ":" in label or "\n" in label:
        raise QualcodeError("a speaker name must be one line without ':'")
    if label == piece.speaker:
        return
    before = piece.speaker
    piece.speaker = label
    _change(session, doc, pieces, "set-speaker", {"turn": number, "speaker": before}, {"turn": number, "speaker": label})


@atomic
def rename_voice(session: Session, doc: Document, old: str, new: str) -> None:
    """Every turn of voice `old` now says `new` ("Voice 2" → "Модератор"); an existing name merges."""
    pieces = pieces_of(doc)
    if not any(p.speaker == old for p in pieces):
        raise QualcodeError(f"'{doc.name}' has no speaker '{old}'")
    label = normalize(new).strip()
    if not label or ":" in label or "\n" in label:
        raise QualcodeError("a speaker name must be one line without ':'")
    for piece in pieces:
        if piece.speaker == old:
            piece.speaker = label
    _change(session, doc, pieces, "rename-speaker", {"speaker": old}, {"speaker": label})


def _split_time(piece: Piece, at: int) -> float:
    """When the text at offset `at` was spoken: the next word's start, else the end of the word
    before it, else in proportion to the text."""
    following = [w for w in piece.words if w[0] >= at]
    if following:
        return following[0][3]
    if piece.words and piece.words[-1][1] <= at:
        return piece.words[-1][4]
    share = at / max(len(piece.text), 1)
    return round(piece.start_time + share * (piece.end_time - piece.start_time), 2)


@atomic
def split(session: Session, doc: Document, number: int, at: int) -> None:
    """Turn `number` becomes two at code point `at` of its text (both keep its speaker)."""
    pieces = pieces_of(doc)
    piece = _turn(pieces, number, doc)
    head, tail = piece.text[:at].strip(), piece.text[at:].strip()
    if not 0 < at < len(piece.text) or not head or not tail:
        raise QualcodeError(f"turn {number + 1} can only be split inside its text, between two words")
    moment = _split_time(piece, at)
    lead = len(piece.text[at:]) - len(piece.text[at:].lstrip())
    first = Piece(piece.speaker, head, piece.start_time, moment, piece.language, piece.confidence,
                  [w for w in piece.words if w[1] <= len(head)])
    second = Piece(piece.speaker, tail, moment, piece.end_time, piece.language, piece.confidence,
                   [[w[0] - at - lead, w[1] - at - lead, *w[2:]] for w in piece.words if w[0] >= at + lead])
    pieces[number:number + 1] = [first, second]
    _change(session, doc, pieces, "split-turn", {"turn": number, "text": piece.text},
            {"turn": number, "texts": [head, tail], "time": moment})


@atomic
def merge(session: Session, doc: Document, number: int) -> None:
    """Turn `number` and the next one become one turn (the first one's speaker)."""
    pieces = pieces_of(doc)
    first, second = _turn(pieces, number, doc), _turn(pieces, number + 1, doc)
    pieces[number:number + 2] = [join(first, second)]
    _change(session, doc, pieces, "merge-turns", {"turn": number, "texts": [first.text, second.text]},
            {"turn": number})


def attach_recording(store: Store, document: str, path: Path) -> str:
    """Keep `path` beside the project as the recording of a document whose turns have times."""
    from qualcode.ingest.documents import get_document
    from qualcode.common.files import sha256_of
    from qualcode.recording.importing import keep

    if not path.is_file():
        raise QualcodeError(f"{path}: no such file")
    if not audio.is_recording(path):
        raise QualcodeError(f"{path}: not a recording ({', '.join(audio.EXTENSIONS)})")
    audio.decode(path)  # refuse what cannot be played before keeping it
    sha = sha256_of(path)
    kept = keep(store, path, sha)
    with store.write() as session:
        doc = get_document(session, document)
        if not any(t.start_time is not None for t in doc.turns):
            raise QualcodeError(f"'{document}' has no turn times, so a recording cannot be followed")
        before = {"recording": doc.recording_path}
        doc.recording_path, doc.recording_sha256 = str(kept), sha
        record(session, doc.project_id, "attach-recording", "document", doc.id, before=before,
               after={"recording": str(kept), "sha256": sha})
    return str(kept)


def drafts(session: Session, project_id: int) -> list[str]:
    """Names of the project's drafts, oldest first."""
    return list(session.scalars(select(Document.name).where(Document.project_id == project_id,
                                                            Document.status == "draft").order_by(Document.id)))


@dataclass
class DraftView:
    """What the editor page shows: the draft's turns, its voices, and the recording to play."""

    name: str
    status: str
    recording: str | None
    pieces: list[Piece]

    @property
    def voices(self) -> list[str]:
        return list(dict.fromkeys(p.speaker for p in self.pieces))


def load_draft(session: Session, name: str) -> DraftView:
    from qualcode.ingest.documents import get_document

    doc = get_document(session, name)
    return DraftView(doc.name, doc.status, playable(doc), pieces_of(doc))


def playable(doc: Document) -> str | None:
    """The kept recording of a document, when it is still there to be played."""
    return doc.recording_path if doc.recording_path and Path(doc.recording_path).is_file() else None


def recording_of(session: Session, name: str) -> str | None:
    from qualcode.ingest.documents import get_document
    return playable(get_document(session, name))


def marked(piece: Piece) -> list[tuple[str, bool]]:
    """The turn's text in runs, True for a word the speech model was unsure of."""
    runs, at = [], 0
    for start, end, probability, *_times in piece.words:
        if transcribe.is_low(probability):
            runs += [(piece.text[at:start], False), (piece.text[start:end], True)]
            at = end
    runs.append((piece.text[at:], False))
    return [run for run in runs if run[0]]
