"""A small project for the coding-room tests: one focus group coded by turn, the test codebook, and
machine suggestions with known scores (written directly: no embedding model needed).

    segment  speaker   text                                     suggestions
    0        Модератор question                                 —   (moderator)
    1        Айгерим   WAITING                                  Waiting time 0.91, Portal failures 0.55
    2        Ерлан     PORTAL                                   Portal failures 0.88
    3        Айгерим   HOSTILE (markup that must stay text)     Informal payments 0.62
    4        Ерлан     BRIBE                                    Informal payments 0.95, Waiting time 0.51
    5        Модератор thanks                                   —
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from qualcode.refi.codebook_files import read_codebook_file
from qualcode.codebook.codes import CodeTree, load_codebook
from qualcode.ingest.importer import ImportOptions, import_files
from qualcode.store.model import Coding, Document, Segment
from qualcode.store import Store, get_project
from qualcode.autocode.suggest import machine_coder

DATA = Path(__file__).parent / "data"
DOCUMENT = "group.txt"
WAITING = "В ЦОН я простояла в очереди почти три часа."
PORTAL = "Портал eGov часто зависает, сайт не открывается."
HOSTILE = "<script>alert(1)</script> [link](http://x) ![img](x.png) $x$ сотрудник просил деньги."
BRIBE = "Someone asked me for a bribe to speed things up."
TRANSCRIPT = f"""Модератор: Расскажите, как вы получаете государственные услуги.
Айгерим: {WAITING}
Ерлан: {PORTAL}
Айгерим: {HOSTILE}
Ерлан: {BRIBE}
Модератор: Спасибо всем.
"""
SUGGESTIONS = [(1, "Waiting time", 0.91), (1, "Portal failures", 0.55), (2, "Portal failures", 0.88),
               (3, "Informal payments", 0.62), (4, "Informal payments", 0.95), (4, "Waiting time", 0.51)]


def write_suggestions(store: Store, document: str, rows: list[tuple[int, str, float]]) -> None:
    """Machine suggestions (segment order, code path, score) as the auto-coder stores them."""
    with store.write() as session:
        project = get_project(session)
        tree = CodeTree(session, project)
        coder = machine_coder(session, project.id, "zero-shot")
        doc = session.scalars(select(Document).where(Document.name == document)).one()
        segments = {s.order: s for s in session.scalars(select(Segment).where(Segment.document_id == doc.id))}
        session.add_all(Coding(coder_id=coder.id, code_id=tree.find(path).id, document_id=doc.id,
                               segment_id=segments[order].id, start=segments[order].start, end=segments[order].end,
                               status="suggested", score=score, reason=f"matches the definition of {path}")
                        for order, path, score in rows)


def review_project(folder: Path, name: str = "review.db") -> Store:
    """The project above in a fresh SQLite file under `folder`."""
    source = folder / DOCUMENT
    source.write_text(TRANSCRIPT, encoding="utf-8")
    store = Store(str(folder / name))
    [result] = import_files(store, [source], ImportOptions(unit="turn"))
    assert result.status == "imported", result.error
    book, warnings = read_codebook_file(DATA / "autocode_codebook.yaml")
    with store.write() as session:
        load_codebook(session, get_project(session), book, warnings)
    write_suggestions(store, DOCUMENT, SUGGESTIONS)
    return store
