"""The demo project: the shipped transcripts and codebook with the machine's suggestions, built once."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from sqlalchemy import func, select

from qualcode.refi.codebook_files import read_codebook_file
from qualcode.codebook.codes import load_codebook
from qualcode.ingest.formats import FORMATS
from qualcode.ingest.importer import ImportOptions, import_files
from qualcode.ingest.sidecar import is_sidecar
from qualcode.store.model import Code, Coder, Coding, Document
from qualcode.store import Store, get_project
from qualcode.autocode.suggest import run_autocode

DEMO_CODEBOOK = "public_services.yaml"
DEMO_PROJECT = "Public services focus groups (demo)"


def transcript_files(folder: Path) -> list[Path]:
    """Importable files in a folder, leaving out attribute sidecars and notes."""
    return sorted(p for p in folder.iterdir()
                  if p.suffix.lstrip(".").lower() in FORMATS and not is_sidecar(p))


def build_demo(store: Store, transcripts: Path, codebooks: Path, say: Callable[[str], None] = lambda line: None) -> str:
    """Import the samples unless the database already holds documents, then compute the machine's
    suggestions once (so the coding room opens with something to decide); say what happened."""
    with store.read() as session:
        existing = session.scalar(select(func.count(Document.id)))
    lines = ([f"demo project already built ({existing} documents in {store.shown_url}); reusing it"] if existing
             else _import(store, transcripts, codebooks))
    return "\n".join(lines + _suggest(store, say))


def _import(store: Store, transcripts: Path, codebooks: Path) -> list[str]:
    with store.write() as session:
        get_project(session, DEMO_PROJECT).languages = ["ru", "kk", "en"]
    results = import_files(store, transcript_files(transcripts), ImportOptions())
    failed = [r.error for r in results if r.status == "error"]
    lines = [f"demo project: imported {len(results) - len(failed)} of {len(results)} files into {store.shown_url}"]
    lines += [f"  {message}" for message in failed]
    codebook = codebooks / DEMO_CODEBOOK
    if codebook.exists():
        book, warnings = read_codebook_file(codebook)
        with store.write() as session:
            report = load_codebook(session, get_project(session), book, warnings)
        lines.append(f"codebook {codebook.name}: {report.codes} codes")
    return lines


def _suggest(store: Store, say: Callable[[str], None]) -> list[str]:
    """Run the auto-coder when the project has codes but no suggestions yet (the first `make run`)."""
    with store.read() as session:
        codes = session.scalar(select(func.count(Code.id)).where(Code.archived.is_(False)))
        suggested = session.scalar(select(func.count(Coding.id)).join(Coder, Coder.id == Coding.coder_id)
                                   .where(Coder.kind == "machine"))
    if not codes or suggested:
        return []
    say("auto-coding the demo once: embedding every segment takes a few minutes on 2 cores …")
    report = run_autocode(store, progress=lambda done, total: say(f"  embedded {done} of {total} segment texts"))
    summary = (f"auto-coding: {report['suggestions']} suggestions for {report['segments']} segments "
               f"in {report['seconds']} s ({report['model']})")
    return [summary]
