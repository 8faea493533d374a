"""The demo project: the shipped transcripts and codebook, built once and reused."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from qualcode.ingest.detect import FORMATS
from qualcode.ingest.importer import ImportOptions, import_files
from qualcode.ingest.sidecar import is_sidecar
from qualcode.model import Document
from qualcode.codebook import read_codebook_file
from qualcode.codes import load_codebook
from qualcode.store import Store, get_project

DEMO_CODEBOOK = "public_services.yaml"


def transcript_files(folder: Path) -> list[Path]:
    """Importable files in a folder, leaving out attribute sidecars and notes."""
    return sorted(p for p in folder.iterdir()
                  if p.suffix.lstrip(".").lower() in FORMATS and not is_sidecar(p))


def build_demo(store: Store, transcripts: Path, codebooks: Path) -> str:
    """Import the samples unless the database already holds documents; say what happened."""
    with store.read() as session:
        existing = session.scalar(select(func.count(Document.id)))
    if existing:
        return f"demo project already built ({existing} documents in {store.url}); reusing it"
    results = import_files(store, transcript_files(transcripts), ImportOptions())
    failed = [r.error for r in results if r.status == "error"]
    lines = [f"demo project: imported {len(results) - len(failed)} of {len(results)} files into {store.url}"]
    lines += [f"  {message}" for message in failed]
    codebook = codebooks / DEMO_CODEBOOK
    if codebook.exists():
        book, warnings = read_codebook_file(codebook)
        with store.write() as session:
            report = load_codebook(session, get_project(session), book, warnings)
        lines.append(f"codebook {codebook.name}: {report.codes} codes")
    return "\n".join(lines)
