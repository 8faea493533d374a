"""The machine coder: `qualcode autocode`, `suggestions`, `next`, and `evaluate` on hand-coded items."""

from __future__ import annotations

import sys
from pathlib import Path

from qualcode.autocode import calibration
from qualcode.cli.common import emit, open_store

BLIND_CODER_HELP = "under blind coding: the coder whose own machine this is (it learns from their decisions only)"


def cmd_autocode(args) -> int:
    from qualcode.common.progress import step_bar
    from qualcode.autocode.suggest import Scope, run_autocode

    with step_bar("embedding segments") as advance:
        report = run_autocode(open_store(args), args.engine, Scope(documents=args.document or [],
                                                              include_moderator=args.include_moderator,
                                                              coder=args.coder),
                              args.min_score, progress=advance)

    def human(r):
        print(f"{r['suggestions']} suggestions for {r['segments']} segments in {r['seconds']} s "
              f"({r['engine']}, {r['model']})")
        for warning in r["warnings"]:
            print(f"warning: {warning}", file=sys.stderr)
    emit(report, args.json, human)
    return 0


def cmd_suggestions(args) -> int:
    from qualcode.autocode.suggest import pending_suggestions

    with open_store(args).read() as session:
        rows = pending_suggestions(session, args.document, args.coder)

    def human(items):
        for r in items:
            print(f"{r['document']} #{r['segment']}  {r['score']:.2f}  {r['code']}  — {r['reason']}")
    emit(rows, args.json, human)
    return 0


def cmd_next(args) -> int:
    from qualcode.autocode.suggest import next_to_code

    with open_store(args).read() as session:
        rows = next_to_code(session, args.limit, args.document, args.coder)

    def human(items):
        if not items:
            print("nothing queued: run `qualcode autocode` first")
        for r in items:
            print(f"{r['document']} #{r['segment']}  ({r['code']}, uncertainty {r['uncertainty']:.2f})  {r['text'][:90]}")
    emit(rows, args.json, human)
    return 0


def cmd_evaluate(args) -> int:
    from qualcode.refi.codebook_files import read_codebook_file
    from qualcode.autocode.embed import load_embedder
    from qualcode.autocode.evaluate import evaluate, label_matrix, read_items

    items = read_items(Path(args.data))
    book, _ = read_codebook_file(Path(args.codebook))
    label_matrix(items, book)  # refuse bad items before spending seconds on loading the model
    report = evaluate(items, book, load_embedder(args.model, languages=book.languages), args.train_fraction,
                      args.seed, args.engine, context=args.context, exclusive=args.exclusive,
                      target=args.target_precision)

    def human(r):
        print(f"{r['engine']} on {r['n_test']} items (trained on {r['n_train']}, {r['n_context']} context only), "
              f"model {r['model']}")
        print(f"{'code':<44} {'P':>6} {'R':>6} {'F1':>6} {'kappa':>6} {'n':>5} {'cut':>6} {'est.P':>6}")
        fmt = lambda v: f"{v:6.2f}" if v is not None else "     –"  # noqa: E731
        for code, m in r["per_code"].items():
            print(f"{code[:44]:<44} {fmt(m['precision'])} {fmt(m['recall'])} {fmt(m['f1'])} {fmt(m['kappa'])} "
                  f"{m['support']:>5} {fmt(m['threshold'])} {fmt(m['estimated_precision'])}"
                  + ("  learning" if m["learning"] else ""))
        for name in ("macro", "micro"):
            m = r[name]
            print(f"{name:<44} {fmt(m['precision'])} {fmt(m['recall'])} {fmt(m['f1'])} {fmt(m['kappa'])}")
        for line in r["groups"]:
            print(f"group: {line}")
    emit(report, args.json, human)
    return 0


def add_commands(sub, common) -> None:
    engines = ["zero-shot", "learned", "auto"]
    p = sub.add_parser("autocode", parents=[common], help="write machine suggestions for segments")
    p.add_argument("--engine", choices=engines, default="auto")
    p.add_argument("--document", action="append", help="only this document (repeatable)")
    p.add_argument("--min-score", type=float, default=None, help="lowest score to keep (default 0.5)")
    p.add_argument("--include-moderator", action="store_true", help="also code the moderator's turns")
    p.add_argument("--coder", help=BLIND_CODER_HELP)
    p.set_defaults(func=cmd_autocode)

    p = sub.add_parser("suggestions", parents=[common], help="list pending machine suggestions")
    p.add_argument("--document")
    p.add_argument("--coder", help=BLIND_CODER_HELP)
    p.set_defaults(func=cmd_suggestions)

    p = sub.add_parser("next", parents=[common], help="what to code next (active learning queue)")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--document")
    p.add_argument("--coder", help=BLIND_CODER_HELP)
    p.set_defaults(func=cmd_next)

    p = sub.add_parser("evaluate", parents=[common], help="evaluate the auto-coder on coded items (no project)")
    p.add_argument("--data", required=True, help="CSV with id,text,codes (codes joined by ';'); optional document, "
                                                 "speaker, evaluate (0 = context only)")
    p.add_argument("--codebook", required=True, help="YAML or .qdc codebook whose codes the items use")
    p.add_argument("--train-fraction", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--engine", choices=engines, default="auto")
    p.add_argument("--model", help="embedding model (default: $QUALCODE_EMBEDDING_MODEL or the measured default "
                                   "for the codebook's languages, use-multilingual-v3)")
    p.add_argument("--no-context", dest="context", action="store_false",
                   help="score each item alone, without its neighbouring rows (ablation)")
    p.add_argument("--no-exclusive", dest="exclusive", action="store_false",
                   help="ignore exclusive groups, declared or inferred (ablation)")
    p.add_argument("--target-precision", type=float, default=calibration.TARGET_PRECISION,
                   help="the precision per-code thresholds are calibrated to (default %(default)s)")
    p.set_defaults(func=cmd_evaluate)
