"""Two human coders on the turns of one small focus group, shared by the team-coding tests."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from qualcode.refi.codebook_files import read_codebook_file
from qualcode.codebook.codes import load_codebook
from qualcode.coding import apply_code, coder_named
from qualcode.ingest.importer import ImportOptions, import_files
from qualcode.store.model import Code, Segment
from qualcode.store import Store, get_project

DATA = Path(__file__).parent / "data"
# turns 1, 2: both say Waiting; turn 4: A Portal, B Portal + Waiting; turn 8: only A Payments
CODINGS = [("Aigerim", 1, "Waiting time"), ("Bolat", 1, "Waiting time"), ("Aigerim", 2, "Waiting time"),
           ("Bolat", 2, "Waiting time"), ("Aigerim", 4, "Portal failures"), ("Bolat", 4, "Portal failures"),
           ("Bolat", 4, "Waiting time"), ("Aigerim", 8, "Informal payments")]


def build_team(store: Store) -> tuple[list[int], dict[str, int]]:
    """Import, load the test codebook, write CODINGS; returns segment ids by turn and code ids by name."""
    import_files(store, [DATA / "autocode_group.txt"], ImportOptions(unit="turn"))
    book, warnings = read_codebook_file(DATA / "autocode_codebook.yaml")
    with store.write() as session:
        project = get_project(session)
        load_codebook(session, project, book, warnings)
        codes = {c.name: c.id for c in session.scalars(select(Code))}
        segs = [s.id for s in session.scalars(select(Segment).order_by(Segment.order))]
        for name, seg, code in CODINGS:
            apply_code(session, project, coder_named(session, project, name), segs[seg], codes[code])
    return segs, codes
