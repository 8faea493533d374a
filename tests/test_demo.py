"""The demo project is built once, with the machine's suggestions computed once."""

from __future__ import annotations

import shutil

from sqlalchemy import func, select

from qualcode.demo import DEMO_CODEBOOK, build_demo
from qualcode.store.model import Coding
from qualcode.store import Store
from tests.review_fixture import DATA


def test_demo_is_imported_and_auto_coded_once(tmp_path):
    transcripts, codebooks = tmp_path / "transcripts", tmp_path / "codebooks"
    transcripts.mkdir(), codebooks.mkdir()
    shutil.copy(DATA / "autocode_group.txt", transcripts)
    shutil.copy(DATA / "autocode_codebook.yaml", codebooks / DEMO_CODEBOOK)
    store = Store(str(tmp_path / "demo.db"))
    said: list[str] = []
    report = build_demo(store, transcripts, codebooks, said.append)
    assert "imported 1 of 1 files" in report and "auto-coding:" in report
    assert said[0].startswith("auto-coding the demo once") and "embedded" in said[-1]
    with store.read() as session:
        suggestions = session.scalar(select(func.count(Coding.id)).where(Coding.status == "suggested"))
    assert suggestions > 0
    again = build_demo(store, transcripts, codebooks, said.append)
    assert "reusing it" in again and "auto-coding" not in again
    with store.read() as session:
        assert session.scalar(select(func.count(Coding.id))) == suggestions
