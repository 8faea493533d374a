"""What import would store from a file, computed without storing anything.

The upload screen shows this before the researcher confirms: format, encoding,
languages, speakers with their turn counts and roles, the moderator, the first
turns, and what import is unsure of (a label that speaks once, a rejoined row).
The researcher then fixes speaker labels and the moderator
(`ImportOptions.rename`, `ImportOptions.moderator`) and the preview is run
again with those options, so what is confirmed is exactly what gets imported.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.common.errors import QualcodeError
from qualcode.ingest import safety, sidecar, speakers
from qualcode.ingest.assemble import assemble, speaker_counts
from qualcode.ingest.importer import ImportOptions, choose_moderator, detect_transcript_format, parse_transcript
from qualcode.ingest.language import transcript_languages
from qualcode.store.model import Document
from qualcode.store import find_project

FIRST_TURNS = 8
SNIPPET_CHARS = 240


@dataclass
class Preview:
    file: str
    error: str | None = None
    format: str | None = None
    encoding: str | None = None
    language: str | None = None
    languages: list[str] = field(default_factory=list)        # every language of the turns, majority first
    turns: int = 0
    words: int = 0
    speakers: dict[str, int] = field(default_factory=dict)      # label → turns, in order of appearance
    roles: dict[str, str] = field(default_factory=dict)         # label → moderator | participant | observer
    moderator: str | None = None
    first_turns: list[dict] = field(default_factory=list)       # speaker, start_time, text
    document_attributes: dict[str, str] = field(default_factory=dict)
    sidecar: str | None = None
    duplicate_of: str | None = None                             # a stored document with the same bytes
    warnings: list[str] = field(default_factory=list)           # what import is unsure of, naming the file

    @property
    def ok(self) -> bool:
        return self.error is None


def _snippet(text: str) -> str:
    return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS - 1] + "…"


def _stored_copy(session: Session | None, data: bytes) -> str | None:
    project = session and find_project(session)
    if not project:
        return None
    sha = hashlib.sha256(data).hexdigest()
    return session.scalars(select(Document.name).where(Document.project_id == project.id,
                                                       Document.sha256 == sha)).first()


def preview_file(path: Path, data: bytes, options: ImportOptions | None = None,
                 session: Session | None = None) -> Preview:
    """Parse `data` as the file `path` would be imported with `options`; nothing is written."""
    options = options or ImportOptions()
    result = Preview(file=path.name)
    try:
        safety.check_size(data, options.max_bytes)
        result.duplicate_of = _stored_copy(session, data)
        result.format = detect_transcript_format(path, data, options)
        parsed, doc_attrs, people = parse_transcript(path, data, result.format, options)
        text, placed = assemble(parsed)
        if not placed:
            raise QualcodeError("no speaker turns with text were found")
        moderator = choose_moderator(parsed, options, doc_attrs, people)
    except QualcodeError as err:
        result.error = str(err)
        return result
    found = options.attributes or sidecar.find_sidecar(path)
    result.sidecar = found.name if found else None
    result.encoding = parsed.encoding
    _, result.languages = transcript_languages([text[t.start:t.end] for t in placed], options.language)
    result.language = result.languages[0]
    result.warnings = [f"{path.name}: {warning}" for warning in parsed.warnings]
    result.turns = len(placed)
    result.words = sum(len(text[t.start:t.end].split()) for t in placed)
    result.speakers = speaker_counts(placed)
    result.moderator = moderator
    declared = {label: {**parsed.participant_attributes.get(label, {}), **people.get(label, {})}.get("role")
                for label in result.speakers}
    result.roles = {label: str(declared[label] or speakers.role_of(label, moderator)) for label in result.speakers}
    result.first_turns = [{"speaker": t.speaker, "start_time": t.start_time, "text": _snippet(text[t.start:t.end])}
                          for t in placed[:FIRST_TURNS]]
    result.document_attributes = {**parsed.document_attributes, **doc_attrs}
    return result
