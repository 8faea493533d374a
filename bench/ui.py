"""The coding room's speed on a one-hour document: 500 segments, 40 codes, 3 open suggestions a segment.

Prints, as medians over --decisions accepts (target: one accept under 300 ms of server time):

- handler: the store work behind the Accept button — `coding.decide` in a write transaction plus
  `review.load_review`, the read-back the room's fragment does before drawing;
- AppTest rerun: the Accept click through Streamlit's AppTest, which reruns the whole page script (the
  browser reruns only the room's fragment, so this is an upper bound of the server's time);

and the time to first render of the document on the Code page: a new session in a warm server
process, and a cold one that also pays the imports (as the first visitor after `make run` does).

    .venv/bin/python bench/ui.py [--decisions 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qualcode.codebook import Codebook  # noqa: E402
from qualcode.refi.codebook_files import read_codebook_file  # noqa: E402
from qualcode.codebook.codes import CodeTree, load_codebook  # noqa: E402
from qualcode.coding import coder_named, decide  # noqa: E402
from qualcode.ingest.importer import ImportOptions, import_files  # noqa: E402
from qualcode.store.model import Coding, Document, Segment  # noqa: E402
from qualcode.coding.review import load_review  # noqa: E402
from qualcode.store import Store, get_project  # noqa: E402
from qualcode.autocode.suggest import machine_coder  # noqa: E402

SEGMENTS, CODES, PER_SEGMENT = 500, 40, 3
DOCUMENT = "one_hour.txt"
CODER = "bench"


def _transcript(folder: Path) -> Path:
    """500 turns, cycled from the shipped Almaty group (real Russian sentences and speakers)."""
    lines = [line.split("] ", 1)[-1] for line in (ROOT / "transcripts" / "fg01_recipients_almaty.txt")
             .read_text(encoding="utf-8").splitlines() if line.startswith("[")]
    path = folder / DOCUMENT
    path.write_text("\n".join(lines[i % len(lines)] for i in range(SEGMENTS)) + "\n", encoding="utf-8")
    return path


def _codebook() -> Codebook:
    """The shipped public-services codebook cut to its first 40 codes (parents before children)."""
    book, _ = read_codebook_file(ROOT / "codebooks" / "public_services.yaml")
    kept = {id(code) for _, code in list(book.walk())[:CODES]}

    def prune(codes):
        return [c for c in codes if id(c) in kept and not setattr(c, "children", prune(c.children))]
    book.codes = prune(book.codes)
    return book


def build(folder: Path) -> Store:
    store = Store(str(folder / "bench.db"))
    [result] = import_files(store, [_transcript(folder)], ImportOptions(unit="turn"))
    assert result.segments == SEGMENTS, result
    rng = np.random.default_rng(0)
    with store.write() as session:
        project = get_project(session)
        load_codebook(session, project, _codebook(), [])
        tree = CodeTree(session, project)
        assert len(tree.codes) == CODES
        leaves = [c for c in tree.codes if not tree.children(c)]
        machine = machine_coder(session, project.id, "zero-shot")
        doc = session.query(Document).one()
        for segment in session.query(Segment).filter(Segment.document_id == doc.id):
            for code in rng.choice(len(leaves), PER_SEGMENT, replace=False):
                session.add(Coding(coder_id=machine.id, code_id=leaves[code].id, document_id=doc.id,
                                   segment_id=segment.id, start=segment.start, end=segment.end, status="suggested",
                                   score=round(float(rng.uniform(0.5, 1.0)), 4), reason="bench"))
    return store


def _open_suggestions(store: Store, count: int) -> list[int]:
    with store.read() as session:
        review = load_review(session, DOCUMENT, CODER)
    return [s.pending[0].id for s in review.segments if s.pending][:count]


def time_handler(store: Store, count: int) -> list[float]:
    times = []
    for suggestion in _open_suggestions(store, count):
        started = time.perf_counter()
        with store.write() as session:
            project = get_project(session)
            decide(session, project, coder_named(session, project, CODER), suggestion, accept=True)
        with store.read() as session:
            load_review(session, DOCUMENT, CODER)
        times.append(time.perf_counter() - started)
    return times


def _page() -> None:
    from qualcode.ui import code_page
    from qualcode.ui.pages import framed

    framed(code_page.render)()


def _app(url: str):
    from streamlit.testing.v1 import AppTest

    os.environ["QUALCODE_DB"] = url
    at = AppTest.from_function(_page, default_timeout=120)
    at.query_params["coder"], at.query_params["doc"] = CODER, DOCUMENT
    return at


def time_apptest(store: Store, count: int) -> tuple[float, list[float]]:
    _app(store.url).run()                      # the server process is warm: imports done, store opened
    at = _app(store.url)                       # a new browser session opens the document
    started = time.perf_counter()
    at.run()
    first = time.perf_counter() - started
    assert not at.exception, at.exception
    times = []
    for _ in range(count):
        at.button(key="code.accept").click()
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
        assert not at.exception, at.exception
    return first, times


def cold_first_render(url: str) -> float:
    """A fresh interpreter: imports plus the first run of the Code page on the document."""
    script = (f"import time; t = time.perf_counter(); import sys; sys.path.insert(0, {str(ROOT)!r}); "
              f"from bench.ui import _app; at = _app({url!r}); at.run(); assert not at.exception; "
              "print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = build(Path(folder))
        cold = cold_first_render(store.url)
        handler = time_handler(store, args.decisions)
        first, rerun = time_apptest(store, args.decisions)
        ms = lambda xs: f"median {statistics.median(xs) * 1000:.0f} ms, p90 {np.percentile(xs, 90) * 1000:.0f} ms"  # noqa: E731
        print(f"document: {SEGMENTS} segments, {CODES} codes, {PER_SEGMENT} open suggestions a segment")
        print(f"accept, handler (decide + load_review):  {ms(handler)} over {len(handler)} decisions")
        print(f"accept, AppTest rerun of the Code page:  {ms(rerun)} over {len(rerun)} decisions "
              f"(target < 300 ms)")
        print(f"first render of the document: {first * 1000:.0f} ms in a warm process, "
              f"{cold:.1f} s cold (imports included)")
        store.close()


if __name__ == "__main__":
    main()
