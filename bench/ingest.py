"""Import 100 one-hour transcripts into a fresh SQLite project; print throughput and peak memory.

The transcripts are variants of the shipped one-hour groups (each gets a
distinct first line so that its bytes, and so its document, are new).
Target: all 100 imported and segmented in under 60 s on 2 cores.

    .venv/bin/python bench/ingest.py [--count 100] [--unit sentence]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

import docx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qualcode.ingest.importer import ImportOptions, import_files  # noqa: E402
from qualcode.store import Store  # noqa: E402

ONE_HOUR_WORDS = 6000


def _word_count(path: Path) -> int:
    if path.suffix == ".docx":
        return sum(len(p.text.split()) for p in docx.Document(str(path)).paragraphs)
    return len(path.read_text(encoding="utf-8", errors="replace").split())


def one_hour_sources() -> list[Path]:
    return [p for p in sorted((ROOT / "transcripts").glob("*"))
            if p.suffix in (".txt", ".docx") and ".attributes." not in p.name
            and _word_count(p) >= ONE_HOUR_WORDS]


def _variant(source: Path, number: int, folder: Path) -> Path:
    target = folder / f"{source.stem}_{number:03d}{source.suffix}"
    if source.suffix == ".docx":
        document = docx.Document(str(source))
        document.paragraphs[0].insert_paragraph_before(f"Копия для замера №{number}")
        buffer = BytesIO()
        document.save(buffer)
        target.write_bytes(buffer.getvalue())
    else:
        target.write_text(f"Копия для замера №{number}\n" + source.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--unit", default="sentence")
    args = parser.parse_args()
    sources = one_hour_sources()
    if not sources:
        sys.exit("no one-hour transcripts (≥ 6,000 words) in transcripts/")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = [_variant(sources[i % len(sources)], i, folder) for i in range(args.count)]
        words = sum(_word_count(f) for f in files)
        store = Store(str(folder / "bench.db"))
        started = time.perf_counter()
        results = import_files(store, files, ImportOptions(unit=args.unit))
        elapsed = time.perf_counter() - started
    imported = [r for r in results if r.status == "imported"]
    segments = sum(r.segments for r in imported)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"sources:        {', '.join(s.name for s in sources)}")
    print(f"documents:      {len(imported)} of {len(files)} imported ({words:,} words, unit={args.unit})")
    print(f"time:           {elapsed:.1f} s  (target < 60 s)")
    print(f"documents/s:    {len(imported) / elapsed:.2f}")
    print(f"segments/s:     {segments / elapsed:,.0f}  ({segments:,} segments)")
    print(f"peak memory:    {peak_mb:,.0f} MB (max RSS of this process)")
    for r in results:
        if r.status == "error":
            print(f"error: {r.error}")


if __name__ == "__main__":
    main()
