"""`qualcode import RECORDING`: transcribe, group voices, keep the recording, store a draft —
the write one transaction, after the slow part. Transcripts go on to the ordinary importer."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from qualcode.ingest import segment
from qualcode.common.errors import IngestError, QualcodeError
from qualcode.common.files import sha256_of
from qualcode.ingest.importer import ImportOptions, ImportResult, document_summary, import_one
from qualcode.store.model import Document
from qualcode.recording import audio, draft, transcribe
from qualcode.store import Store, find_project, get_project, record

Progress = Callable[[float, float], None]


def recordings_dir(store: Store) -> Path:
    """Where recordings are kept: $QUALCODE_RECORDINGS, else `recordings/` beside a SQLite project,
    else `recordings/` in the working folder. Never uploaded anywhere."""
    if os.environ.get("QUALCODE_RECORDINGS"):
        return Path(os.environ["QUALCODE_RECORDINGS"])
    path = store.url.split("///", 1)[-1] if store.is_sqlite else ""
    return (Path(path).resolve().parent if path and path != ":memory:" else Path.cwd()) / "recordings"


def keep(store: Store, path: Path, sha: str) -> Path:
    """A copy of the recording beside the project, named by its hash (written whole or not at all)."""
    folder = recordings_dir(store)
    target = folder / f"{sha[:16]}{path.suffix.lower()}"
    if not target.exists():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(f".{os.getpid()}.part")
            shutil.copyfile(path, partial)
            os.replace(partial, target)
        except OSError as err:
            raise IngestError(f"cannot be kept in {folder} ({err.strerror})") from None
    return target


def _existing(store: Store, path: Path, sha: str) -> dict | None:
    """The import entry of a recording already in the project (the same bytes): `unchanged`."""
    with store.read() as session:
        project = find_project(session)
        doc = project and session.scalars(select(Document).where(Document.project_id == project.id,
                                                                Document.sha256 == sha)).first()
        return doc and {**ImportResult(file=str(path), status="unchanged").as_dict(), **document_summary(doc),
                        "duration": doc.duration, "seconds": 0.0, "recording": doc.recording_path}


def _store_draft(store: Store, path: Path, sha: str, pieces: list[draft.Piece], kept: Path, duration: float,
                 options: ImportOptions, source_name: str) -> dict:
    """The draft document, its voices and turns, and the import event: one transaction."""
    with store.write() as session:
        project = get_project(session)
        if session.scalars(select(Document).where(Document.project_id == project.id,
                                                  Document.name == path.name)).first():
            raise IngestError(f"a different document named '{path.name}' is already in the project "
                              "(rename the file to import it as a new document)")
        doc = Document(project_id=project.id, name=path.name, source_name=source_name, format="audio",
                       encoding=None, sha256=sha, text="", language=pieces[0].language, unit=options.unit,
                       attributes={}, status="draft", recording_path=str(kept), recording_sha256=sha,
                       duration=duration)
        session.add(doc)
        session.flush()
        draft.write_pieces(session, doc, pieces)
        record(session, project.id, "import", "document", doc.id,
               after={"name": doc.name, "sha256": sha, "format": "audio", "status": "draft",
                      "turns": len(pieces), "recording": str(kept)})
        return {**document_summary(doc), "duration": duration}


def import_recording(store: Store, path: Path, options: ImportOptions, speakers: int | None = None,
                     progress: Progress | None = None, source_name: str | None = None) -> dict:
    """Transcribe one recording into a draft document; every problem is an `error` entry naming the file."""
    began = time.perf_counter()
    try:
        if not path.is_file():
            raise IngestError("no such file" if not path.exists() else "not a regular file")
        if speakers is not None and not 1 <= speakers <= 20:
            raise IngestError(f"--speakers must be between 1 and 20, not {speakers}")
        language = None if options.language in (None, "", "auto") else options.language
        if language not in (None, *transcribe.LANGUAGES):
            raise IngestError(f"unknown language '{options.language}' (choose ru, kk, en or auto)")
        sha = sha256_of(path)
        if known := _existing(store, path, sha):
            return known
        samples = audio.decode(path)
        utterances = transcribe.transcribe(samples, language, progress=progress)
        if not utterances:
            raise IngestError("no speech was found in the recording")
        pieces = draft.pieces_from(samples, utterances, speakers)
        kept = keep(store, path, sha)
        summary = _store_draft(store, path, sha, pieces, kept, round(len(samples) / audio.RATE, 2), options,
                               source_name or str(path))
        return {**ImportResult(file=str(path), status="draft").as_dict(), **summary, "status": "draft",
                "seconds": round(time.perf_counter() - began, 2), "recording": str(kept)}
    except IntegrityError:  # another process stored the same recording meanwhile
        return _existing(store, path, sha) or ImportResult(
            file=str(path), status="error", error=f"{path}: could not be stored (written at the same time)").as_dict()
    except QualcodeError as err:
        return ImportResult(file=str(path), status="error", error=f"{path}: {err}").as_dict()


def import_paths(store: Store, paths: Iterable[Path], options: ImportOptions, speakers: int | None = None,
                 progress: Progress | None = None, done: Callable[[dict], None] | None = None) -> list[dict]:
    """Every path imported in order: recordings transcribed into drafts, transcripts as always."""
    segment.parse_unit(options.unit)
    results = []
    for path in map(Path, paths):
        result = (import_recording(store, path, options, speakers, progress) if audio.is_recording(path)
                  else import_one(store, path, options).as_dict())
        results.append(result)
        if done:
            done(result)
    return results


def import_upload(store: Store, name: str, data: bytes, options: ImportOptions, speakers: int | None = None,
                  progress: Progress | None = None) -> dict:
    """A recording uploaded in the app: staged in a private folder only while it is transcribed
    (the kept copy beside the project is what stays)."""
    with tempfile.TemporaryDirectory(prefix="qualcode-recording-") as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(data)
        result = import_recording(store, path, options, speakers, progress, source_name=f"upload:{path.name}")
    if result["error"]:
        result["error"] = result["error"].replace(str(path), path.name)   # not the staging folder's path
    return {**result, "file": path.name}
