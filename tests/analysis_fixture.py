"""Three shipped groups — Russian (fg01), Kazakh–Russian (fg04), English (fg05) — one segment per turn,
the public-services codebook, and the expert coding of tests/data/eval_public_services.csv applied as the
human coder "Gold". A second coder, "Dana", coded only the first ten coded turns of fg05 (blind-mode tests).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import select

from qualcode.refi.codebook_files import read_codebook_file
from qualcode.codebook.codes import CodeTree, load_codebook
from qualcode.coding import apply_code, coder_named
from qualcode.common.files import read_csv_rows
from qualcode.ingest.importer import ImportOptions, import_files
from qualcode.store.model import Document, Segment
from qualcode.store import Store, get_project

ROOT = Path(__file__).resolve().parent.parent
GROUPS = ["fg01_recipients_almaty.txt", "fg04_shymkent_kk_ru.srt", "fg05_en_teams.vtt"]
GOLD = ROOT / "tests" / "data" / "eval_public_services.csv"


def gold_rows() -> list[dict]:
    return [r for r in read_csv_rows(GOLD) if r["document"] in GROUPS]


def build_analysis_store(path: Path) -> Store:
    store = Store(str(path))
    results = import_files(store, [ROOT / "transcripts" / name for name in GROUPS], ImportOptions(unit="turn"))
    assert all(r.status == "imported" for r in results), [r.error for r in results]
    book, warnings = read_codebook_file(ROOT / "codebooks" / "public_services.yaml")
    with store.write() as session:
        project = get_project(session)
        load_codebook(session, project, book, warnings)
        tree = CodeTree(session, project)
        docs = {d.id: d for d in session.scalars(select(Document))}
        segment = {(docs[s.document_id].name, docs[s.document_id].text[s.start:s.end]): s.id
                   for s in session.scalars(select(Segment))}
        gold, dana = coder_named(session, project, "Gold"), coder_named(session, project, "Dana")
        codes = {}
        dana_left = 10
        for row in gold_rows():
            for code_path in filter(None, (c.strip() for c in row["codes"].split(";"))):
                code_id = codes.setdefault(code_path, tree.find(code_path).id)
                apply_code(session, project, gold, segment[(row["document"], row["text"])], code_id)
                if row["document"] == "fg05_en_teams.vtt" and dana_left > 0:
                    apply_code(session, project, dana, segment[(row["document"], row["text"])], code_id)
                    dana_left -= 1
    return store


_master: Path | None = None   # built and embedded once per test process; every module works on a copy


def copy_store(source: Path, target: Path) -> Store:
    """A copy of a SQLite store (through SQLite's backup, so a write-ahead log is copied too)."""
    with sqlite3.connect(source) as old, sqlite3.connect(target) as new:
        old.backup(new)
    return Store(str(target))


def analysis_store(tmp_path_factory, name: str) -> Store:
    """A fresh copy of the analysis store, every segment already embedded with the packaged model."""
    global _master
    if _master is None:
        from qualcode.assistant.passages import load_passages, passage_vectors

        path = tmp_path_factory.mktemp("analysis_master") / "master.db"
        store = build_analysis_store(path)
        with store.read() as session:
            passages = load_passages(session, include_moderator=True)
        passage_vectors(store, passages)
        store.close()
        _master = path
    return copy_store(_master, tmp_path_factory.mktemp(name) / "a.db")


def store_fixture(name: str):
    """A module-scoped `store` fixture: that module's own copy of the analysis store."""
    import pytest

    @pytest.fixture(scope="module")
    def store(tmp_path_factory):
        s = analysis_store(tmp_path_factory, name)
        yield s
        s.close()
    return store
