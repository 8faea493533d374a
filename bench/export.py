"""A Word quotes report of 5,000 coded quotes; print its time and peak memory.

Builds a project from the shipped transcripts and codebook, gives 5,000 (segment, code) codings
to two human coders (so quotes merge and agreement is computed), then times the export in a
fresh process, so the memory figure is the export's own and not the import's.
Target: under 20 s on 2 cores.

    .venv/bin/python bench/export.py [--quotes 5000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(db: Path, quotes: int) -> int:
    from sqlalchemy import insert, select

    from qualcode.demo import build_demo
    from qualcode.store.model import Code, Coder, Coding, Segment
    from qualcode.store import Store, get_project

    store = Store(str(db))
    build_demo(store, ROOT / "transcripts", ROOT / "codebooks")
    rng = random.Random(0)
    with store.write() as session:
        project = get_project(session)
        codes = list(session.scalars(select(Code).where(Code.project_id == project.id)))
        parents = {c.parent_id for c in codes}
        leaves = [c.id for c in codes if c.id not in parents]
        segments = session.execute(select(Segment.id, Segment.document_id, Segment.start, Segment.end)).all()
        pairs = set()
        while len(pairs) < quotes:
            pairs.add((rng.randrange(len(segments)), rng.choice(leaves)))
        coders = []
        for name in ("Aigerim", "Bolat"):
            coder = Coder(project_id=project.id, name=name, kind="human", settings={})
            session.add(coder)
            session.flush()
            coders.append(coder.id)
        rows = []
        for i, (s, code) in enumerate(sorted(pairs)):
            seg = segments[s]
            base = {"code_id": code, "document_id": seg.document_id, "segment_id": seg.id, "start": seg.start,
                    "end": seg.end, "status": "manual"}
            rows.append({**base, "coder_id": coders[0]})
            if i % 4:  # the second coder agrees on three quotes in four
                rows.append({**base, "coder_id": coders[1]})
        session.execute(insert(Coding), rows)
    store.close()
    return len(pairs)


def measure(db: Path, out: Path) -> None:
    """Run in a fresh process: one export as `qualcode export docx` does it, then the figures."""
    from qualcode.export.docx import ReportOptions, agreement_summary, render
    from qualcode.export.quotes import coded_quotes
    from qualcode.store import Store

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu = time.perf_counter(), time.process_time()
    with Store(str(db)).read() as session:
        quoteset = coded_quotes(session)
        gathered = time.perf_counter()
        agreement = agreement_summary(session)
    agreed = time.perf_counter()
    data = render(quoteset, ReportOptions(agreement=agreement))
    rendered = time.perf_counter()
    out.write_bytes(data)
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"quotes in report   {len(quoteset.quotes):>8,}")
    print(f"gather quotes      {gathered - started:8.2f} s")
    print(f"agreement          {agreed - gathered:8.2f} s")
    print(f"render .docx       {rendered - agreed:8.2f} s")
    print(f"total (+ write)    {done - started:8.2f} s   (target < 20 s; CPU {time.process_time() - cpu:.2f} s)")
    print(f"file size          {len(data) / 2**20:8.2f} MiB")
    print(f"peak RSS           {peak / 1024:8.0f} MiB   ({(peak - baseline) / 1024:.0f} MiB above the "
          f"{baseline / 1024:.0f} MiB after imports)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=5000)
    parser.add_argument("--keep", help="build (or reuse) the project and report in this folder")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(Path(args.measure), Path(args.measure).with_suffix(".docx"))
        return
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="qualcode-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "bench.db"
    if not db.exists():
        started = time.perf_counter()
        n = build(db, args.quotes)
        print(f"project: {n:,} coded quotes over the shipped transcripts, built in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    subprocess.run([sys.executable, __file__, "--measure", str(db)], check=True)


if __name__ == "__main__":
    main()
