"""A team on one project at once: 16 coder processes decide, undo and reconcile for 60 s while an
auto-coding run and an import go on in two more processes; on PostgreSQL and on SQLite in turn.

Each coder is a process of its own (spawn), writing through the functions the app's coding room and
Agreement page call (`coding.decide`, `coding.apply_code`, `coding.undo_last`, `team.resolve`), each in
its own write transaction, with a think time between decisions. Meanwhile one process re-runs the
zero-shot auto-coder (MiniLM) over the shipped groups, and one imports copies of a shipped transcript.

Printed per backend: decisions attempted / stored / lost — lost is a decision its coder was told was
stored that is not in the store at the end (read back by id; a reconciliation by its settled segment);
refusals a person would see as one line (a suggestion removed by a re-run meanwhile); p50/p95 latency
of one decision (the write transaction, its wait for the write lock included); errors, counted, with the
first messages. Target: 0 lost, 0 errors, p95 < 300 ms on PostgreSQL on 2 cores.

    .venv/bin/python bench/team_load.py [--db both|postgresql|sqlite] [--seconds 60] [--coders 16]
                                        [--think 0.5] [--pg URL (default $QUALCODE_TEST_PG)]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sqlalchemy import create_engine, func, select, text

from qualcode.coding import apply_code, coder_named, decide, undo_last
from qualcode.common.errors import QualcodeError
from qualcode.store.model import Code, Coder, Coding, Segment
from qualcode.store import Store, get_project
from qualcode.team import CONSENSUS, resolve

GROUPS = ["fg03_rural_recipients_zoom.vtt", "fg04_shymkent_kk_ru.srt", "fg05_en_teams.vtt"]
IMPORTED = "fg01_recipients_almaty.txt"   # copied with a first line of its own each time (bench/ingest.py)
CODEBOOK = ROOT / "codebooks" / "public_services.yaml"
ACTIONS = [("accept", 30), ("reject", 15), ("manual", 25), ("undo", 15), ("resolve", 15)]
STALE = ("no suggestion", "no coder named")   # refusals a person sees when someone else was quicker


# --- the project ---------------------------------------------------------------------------------------

def _prepare(url: str) -> dict:
    """Import the shipped groups, load the codebook, auto-code once (every text embedded, suggestions open)."""
    from qualcode.refi.codebook_files import read_codebook_file
    from qualcode.codebook.codes import load_codebook
    from qualcode.autocode.embed import MINILM_MODEL_ID, load_embedder
    from qualcode.ingest.importer import ImportOptions, import_files
    from qualcode.autocode.suggest import run_autocode

    store = Store(url)
    import_files(store, [ROOT / "transcripts" / name for name in GROUPS], ImportOptions(unit="turn"))
    book, warnings = read_codebook_file(CODEBOOK)
    with store.write() as session:
        load_codebook(session, get_project(session), book, warnings)
    run = run_autocode(store, "zero-shot", embedder=load_embedder(MINILM_MODEL_ID))
    store.close()
    return {"segments": run["segments"], "suggestions": run["suggestions"]}


def _pg_database(admin_url: str, name: str, create: bool) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' if create else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


# --- the processes -------------------------------------------------------------------------------------

def _wait_for_start(ready, start) -> float:
    """Tell the conductor this process is loaded; block until everyone is; the deadline."""
    ready.put(os.getpid())
    return start.get()


def _open_suggestion(session, rng: random.Random) -> int | None:
    """A machine suggestion nobody has decided yet, picked at random (what a coder looks at next)."""
    decision = Coding.__table__.alias("decision")
    open_ = (select(Coding.id).join(Coder, Coder.id == Coding.coder_id)
             .where(Coder.kind == "machine", Coding.status == "suggested",
                    ~select(decision.c.id).where(decision.c.based_on_id == Coding.id).exists()))
    count = session.scalar(select(func.count()).select_from(open_.subquery()))
    return session.scalar(open_.order_by(Coding.id).offset(rng.randrange(count)).limit(1)) if count else None


class Ledger:
    """What a coder was told was stored: its codings by id, and the segments it reconciled."""

    def __init__(self):
        self.codings: dict[int, tuple] = {}
        self.settled: set[int] = set()

    def add(self, coding: Coding) -> None:
        self.codings[coding.id] = (coding.segment_id, coding.code_id, coding.status)

    def undone(self, snapshot: dict) -> str | None:
        """The newest coding leaves (undo_last's rule); a mismatch with what undo reported is an error."""
        newest = max(self.codings)
        expected = self.codings.pop(newest)
        if expected != (snapshot["segment_id"], snapshot["code_id"], snapshot["status"]):
            return f"undo removed {snapshot}, expected coding {newest} {expected}"
        return None


def _act(store: Store, name: str, partner: str, action: str, rng: random.Random, ledger: Ledger,
         segments: list[int], codes: list[int]) -> tuple[str, float, str | None]:
    """One decision as the coding room / Agreement page makes it (another when there is nothing to take,
    undo or reconcile); (the action, seconds in its write transaction, error or None)."""
    suggestion = None
    if action in ("accept", "reject"):
        with store.read() as session:
            suggestion = _open_suggestion(session, rng)
        if suggestion is None:
            action = "manual"
    mine = [s for s, _, _ in ledger.codings.values() if s is not None]
    if action == "resolve" and not mine:
        action = "manual"
    if action == "undo" and not ledger.codings:
        action = "manual"
    started = time.perf_counter()
    with store.write() as session:
        project = get_project(session, create=False)
        coder = coder_named(session, project, name)
        if action in ("accept", "reject"):
            done = decide(session, project, coder, suggestion, accept=action == "accept")
        elif action == "manual":
            done = apply_code(session, project, coder, rng.choice(segments), rng.choice(codes))
        elif action == "undo":
            done = undo_last(session, project, coder)
        else:
            done = rng.choice(mine)
            resolve(session, project, done, [name, partner], rng.choice(["a", "b", "both", "neither"]))
    seconds = time.perf_counter() - started   # committed: only now is the coder told it is stored
    if action == "undo":
        return action, seconds, ledger.undone(done) if done else "undo found nothing, the ledger had codings"
    if action == "resolve":
        ledger.settled.add(done)
    else:
        ledger.add(done)
    return action, seconds, None


def coder_process(url: str, number: int, coders: int, think: float, ready, start, results) -> None:
    """One person coding until the deadline."""
    name, partner = f"coder{number:02d}", f"coder{number ^ 1:02d}" if number ^ 1 < coders else "coder00"
    rng = random.Random(number)
    store = Store(url, migrate=False)
    with store.read() as session:
        segments = list(session.scalars(select(Segment.id).order_by(Segment.id)))
        codes = list(session.scalars(select(Code.id).where(Code.archived.is_(False))))
    ledger, latencies, errors, refused, attempted = Ledger(), [], [], 0, 0
    actions, weights = zip(*ACTIONS)
    deadline = _wait_for_start(ready, start)
    while time.time() < deadline:
        time.sleep(rng.uniform(0, 2 * think))
        attempted += 1
        try:
            action, seconds, problem = _act(store, name, partner, rng.choices(actions, weights)[0], rng, ledger,
                                            segments, codes)
            latencies.append((action, seconds))
            if problem:
                errors.append(problem)
        except QualcodeError as err:
            if str(err).startswith(STALE):
                refused += 1
            else:
                errors.append(f"{name}: {err}")
        except Exception as err:  # noqa: BLE001 — the bench counts what a person would have seen
            errors.append(f"{name}: {type(err).__name__}: {str(err).splitlines()[0]}")
    store.close()
    results.put({"name": name, "attempted": attempted, "refused": refused, "latencies": latencies,
                 "errors": errors, "codings": ledger.codings, "settled": sorted(ledger.settled)})


def autocode_process(url: str, ready, start, results) -> None:
    """The auto-coder re-run over the shipped groups until the deadline."""
    from qualcode.autocode.embed import MINILM_MODEL_ID, load_embedder
    from qualcode.autocode.suggest import Scope, run_autocode

    store, embedder = Store(url, migrate=False), load_embedder(MINILM_MODEL_ID)
    runs, errors = [], []
    deadline = _wait_for_start(ready, start)
    while time.time() < deadline:
        try:
            runs.append(run_autocode(store, "zero-shot", Scope(documents=GROUPS), embedder=embedder)["seconds"])
        except Exception as err:  # noqa: BLE001
            errors.append(f"autocode: {type(err).__name__}: {str(err).splitlines()[0]}")
    results.put({"name": "autocode", "runs": runs, "errors": errors})


def import_process(url: str, folder: str, ready, start, results) -> None:
    """Copies of a shipped transcript imported one after another until the deadline."""
    from bench.ingest import _variant
    from qualcode.ingest.importer import ImportOptions, import_files

    store, imported, errors = Store(url, migrate=False), 0, []
    deadline = _wait_for_start(ready, start)
    while time.time() < deadline:
        copy = _variant(ROOT / "transcripts" / IMPORTED, imported, Path(folder))
        for result in import_files(store, [copy], ImportOptions(unit="turn")):
            if result.status == "imported":
                imported += 1
            else:
                errors.append(f"import: {result.status}: {result.error}")
    results.put({"name": "import", "imported": imported, "errors": errors})


# --- the conductor -------------------------------------------------------------------------------------

def _lost(url: str, reports: list[dict]) -> tuple[int, int]:
    """(stored, lost): every coding a coder was told was stored, read back by id and coder; every
    reconciled segment in the consensus coder's settled list."""
    store = Store(url, migrate=False)
    with store.read() as session:
        coder_of = {c.name: c.id for c in session.scalars(select(Coder))}
        consensus = session.scalar(select(Coder).where(Coder.name == CONSENSUS))
        settled = set(consensus.settings.get("settled", [])) if consensus else set()
        stored = lost = 0
        for report in reports:
            ids = list(report["codings"])
            found = {i for chunk in range(0, len(ids), 500) for i in session.scalars(
                select(Coding.id).where(Coding.id.in_(ids[chunk:chunk + 500]),
                                        Coding.coder_id == coder_of.get(report["name"])))}
            reconciled = set(report["settled"])
            stored += len(found) + len(reconciled & settled)
            lost += len(ids) - len(found) + len(reconciled - settled)
    store.close()
    return stored, lost


def _percentiles(seconds: list[float]) -> str:
    """p50, p95 and max of sorted durations, in ms."""
    if not seconds:
        return "none"
    at = lambda q: seconds[int(q * (len(seconds) - 1))] * 1000
    return f"p50 {at(0.5):.0f} ms  p95 {at(0.95):.0f} ms  max {seconds[-1] * 1000:.0f} ms  (n={len(seconds)})"


def run_backend(label: str, url: str, args) -> None:
    print(f"== {label}: preparing the project …", flush=True)
    prepared = _prepare(url)
    ctx = mp.get_context("spawn")
    ready, start, results = ctx.Queue(), ctx.Queue(), ctx.Queue()
    with tempfile.TemporaryDirectory() as folder:
        processes = [ctx.Process(target=coder_process, args=(url, i, args.coders, args.think, ready, start, results))
                     for i in range(args.coders)]
        processes += [ctx.Process(target=autocode_process, args=(url, ready, start, results)),
                      ctx.Process(target=import_process, args=(url, folder, ready, start, results))]
        for p in processes:
            p.start()
        for _ in processes:
            ready.get(timeout=600)
        load = os.getloadavg()[0]   # the machine's other work, as the run starts
        deadline = time.time() + args.seconds
        for _ in processes:
            start.put(deadline)
        reports = [results.get(timeout=args.seconds + 900) for _ in processes]
        for p in processes:
            p.join()
    coders = [r for r in reports if r["name"].startswith("coder")]
    side = {r["name"]: r for r in reports if not r["name"].startswith("coder")}
    timed = [pair for r in coders for pair in r["latencies"]]
    latencies = sorted(s for _, s in timed)
    errors = [e for r in reports for e in r["errors"]]
    stored, lost = _lost(url, coders)
    attempted = sum(r["attempted"] for r in coders)
    runs = side["autocode"]["runs"]
    print(f"{label}: {args.coders} coders × {args.seconds:.0f} s (think {args.think} s mean), project "
          f"{prepared['segments']} segments, {prepared['suggestions']} suggestions at the start; "
          f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, {os.cpu_count()} CPUs")
    print(f"  decisions  attempted {attempted}  committed {len(latencies)}  refused {sum(r['refused'] for r in coders)}"
          f" (stale)  read back {stored} of {stored + lost} expected  lost {lost}")
    print(f"  latency    {_percentiles(latencies)}  ({len(latencies) / args.seconds:.1f} decisions/s)")
    for action, _ in ACTIONS:
        print(f"    {action:8s} {_percentiles(sorted(s for a, s in timed if a == action))}")
    print(f"  alongside  auto-coding runs {len(runs)} (median {statistics.median(runs) if runs else 0:.1f} s)"
          f"  imports {side['import']['imported']}")
    print(f"  errors     {len(errors)}" + "".join(f"\n    {e}" for e in errors[:5]), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["both", "postgresql", "sqlite"], default="both")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--coders", type=int, default=16)
    parser.add_argument("--think", type=float, default=0.5, help="mean seconds between one coder's decisions")
    parser.add_argument("--pg", default=os.environ.get("QUALCODE_TEST_PG"),
                        help="a PostgreSQL server URL where a throw-away database may be created")
    args = parser.parse_args()
    if args.db in ("both", "postgresql"):
        if not args.pg:
            sys.exit("PostgreSQL: give --pg URL or set QUALCODE_TEST_PG (or run with --db sqlite)")
        name = f"qc_team_load_{uuid.uuid4().hex[:8]}"
        url = _pg_database(args.pg, name, create=True)
        try:
            run_backend("PostgreSQL", url, args)
        finally:
            _pg_database(args.pg, name, create=False)
    if args.db in ("both", "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            run_backend("SQLite", f"sqlite:///{folder}/team.db", args)


if __name__ == "__main__":
    main()
