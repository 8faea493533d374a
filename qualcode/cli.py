"""`qualcode …`: one sub-command per capability.

Every command takes `--db URL` (before or after the command name) and most
take `--json`, whose output on stdout is clean JSON; progress and messages
go to stderr. Errors are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from qualcode import calibration
from qualcode.errors import QualcodeError
from qualcode.files import write_atomically


BLIND_CODER_HELP = "under blind coding: the coder whose own machine this is (it learns from their decisions only)"


def _emit(data, as_json: bool, human) -> None:
    if as_json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        human(data)


def _open(args):
    from qualcode.store import Store
    return Store(args.db)


def _print_import(results: list[dict]) -> None:
    for r in results:
        if r["status"] == "error":
            print(f"error      {r['error']}")
            continue
        people = ", ".join(f"{k} ({v})" for k, v in r["speakers"].items())
        languages = "+".join(r["languages"]) or r["language"]
        print(f"{r['status']:<10} {r['file']}: {r['format']}, {r['encoding'] or '-'}, {languages}, "
              f"{r['turns']} turns, {r['segments']} {r['unit']} segments; moderator: {r['moderator'] or 'none'}")
        print(f"           speakers: {people}")
        for warning in r["warnings"]:
            print(f"warning: {warning}", file=sys.stderr)


def cmd_import(args) -> int:
    from qualcode.ingest.importer import ImportOptions, import_files
    from qualcode.progress import progress_bar

    options = ImportOptions(format=args.format, encoding=args.encoding, language=args.language,
                            unit=args.unit, attributes=Path(args.attributes) if args.attributes else None,
                            moderator=args.moderator)
    store = _open(args)
    paths = [Path(p) for p in args.paths]
    with progress_bar(len(paths), "importing") as advance:
        results = [r.as_dict() for r in import_files(store, paths, options, progress=lambda _r: advance())]
    _emit(results, args.json, _print_import)
    return 1 if any(r["status"] == "error" for r in results) else 0


def cmd_documents(args) -> int:
    from qualcode.documents import list_documents

    with _open(args).read() as session:
        docs = list_documents(session)

    def human(rows):
        for d in rows:
            print(f"{d['name']}\t{d['format']}\t{d['language']}\t{d['turns']} turns\t{d['segments']} segments")
    _emit(docs, args.json, human)
    return 0


def cmd_show(args) -> int:
    from qualcode.documents import document_detail, get_document

    with _open(args).read() as session:
        detail = document_detail(get_document(session, args.document))

    def human(d):
        several = len(d["languages"]) > 1
        print(f"# {d['name']} ({d['format']}, {'+'.join(d['languages'])}, {len(d['turns'])} turns)")
        for t in d["turns"]:
            language = f"[{t['language']}] " if several else ""
            print(f"{language}{t['speaker'] or '—'}: {d['text'][t['start']:t['end']]}")
    _emit(detail, args.json, human)
    return 0


def _print_load(report: dict) -> None:
    print(f"{report['codes']} codes: {len(report['added'])} added, {len(report['updated'])} updated, "
          f"{len(report['archived'])} archived, {len(report['removed'])} removed")
    for path in report["archived"]:
        print(f"archived (it has codings and is no longer in the file): {path}")
    for warning in report["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)


def cmd_codebook_load(args) -> int:
    from qualcode.codebook import CodebookError, read_codebook_file
    from qualcode.codes import load_codebook
    from qualcode.store import get_project

    try:
        book, warnings = read_codebook_file(Path(args.file))
        with _open(args).write() as session:
            report = load_codebook(session, get_project(session), book, warnings).as_dict()
    except CodebookError as err:
        if args.json:
            _emit({"error": str(err).splitlines()[0], "errors": err.errors}, True, None)
        for line in err.errors:
            print(f"qualcode: error: {line}", file=sys.stderr)
        return 1
    _emit(report, args.json, _print_load)
    return 0


def cmd_codebook_show(args) -> int:
    from qualcode.codes import code_rows
    from qualcode.store import find_project

    with _open(args).read() as session:
        project = find_project(session)
        rows = code_rows(session, project, args.archived) if project else []

    def human(items):
        for row in items:
            depth = row["path"].count("/")
            flag = " [archived]" if row["archived"] else ""
            print(f"{'  ' * depth}{row['name']}{flag}  ({row['codings']} codings)")
    _emit(rows, args.json, human)
    return 0


def cmd_codebook_export(args) -> int:
    from qualcode.codebook import to_yaml
    from qualcode.codes import to_codebook
    from qualcode.export.refi_codebook import to_qdc
    from qualcode.store import get_project

    out = Path(args.out)
    with _open(args).read() as session:
        book = to_codebook(session, get_project(session, create=False))
    if out.suffix.lower() == ".qdc":
        data = to_qdc(book)
    elif out.suffix.lower() in (".yaml", ".yml"):
        data = to_yaml(book).encode("utf-8")
    else:
        raise QualcodeError(f"{out}: export to .yaml, .yml or .qdc")
    write_atomically(out, data)
    print(f"wrote {out} ({sum(1 for _ in book.walk())} codes)", file=sys.stderr)
    return 0


def cmd_code_edit(args) -> int:
    from qualcode import codes
    from qualcode.store import get_project

    with _open(args).write() as session:
        project = get_project(session, create=False)
        if args.action == "add":
            code = codes.add_code(session, project, args.path, definition=args.definition or "")
            message = f"added {args.path} ({code.guid})"
        elif args.action == "rename":
            codes.rename_code(session, project, args.path, args.new_name)
            message = f"renamed {args.path} to {args.new_name}"
        elif args.action == "move":
            codes.move_code(session, project, args.path, args.parent)
            message = f"moved {args.path} under {args.parent or 'the top level'}"
        elif args.action == "merge":
            result = codes.merge_codes(session, project, args.path, args.into)
            message = (f"merged {args.path} into {args.into}: {result['moved']} codings moved, "
                       f"{result['duplicates']} identical codings folded")
        else:
            codes.archive_code(session, project, args.path)
            message = f"archived {args.path}"
    print(message)
    return 0


def cmd_autocode(args) -> int:
    from qualcode.progress import step_bar
    from qualcode.suggest import Scope, run_autocode

    with step_bar("embedding segments") as advance:
        report = run_autocode(_open(args), args.engine, Scope(documents=args.document or [],
                                                              include_moderator=args.include_moderator,
                                                              coder=args.coder),
                              args.min_score, progress=advance)

    def human(r):
        print(f"{r['suggestions']} suggestions for {r['segments']} segments in {r['seconds']} s "
              f"({r['engine']}, {r['model']})")
        for warning in r["warnings"]:
            print(f"warning: {warning}", file=sys.stderr)
    _emit(report, args.json, human)
    return 0


def cmd_suggestions(args) -> int:
    from qualcode.suggest import pending_suggestions

    with _open(args).read() as session:
        rows = pending_suggestions(session, args.document, args.coder)

    def human(items):
        for r in items:
            print(f"{r['document']} #{r['segment']}  {r['score']:.2f}  {r['code']}  — {r['reason']}")
    _emit(rows, args.json, human)
    return 0


def cmd_next(args) -> int:
    from qualcode.suggest import next_to_code

    with _open(args).read() as session:
        rows = next_to_code(session, args.limit, args.document, args.coder)

    def human(items):
        if not items:
            print("nothing queued: run `qualcode autocode` first")
        for r in items:
            print(f"{r['document']} #{r['segment']}  ({r['code']}, uncertainty {r['uncertainty']:.2f})  {r['text'][:90]}")
    _emit(rows, args.json, human)
    return 0


def cmd_evaluate(args) -> int:
    from qualcode.codebook import read_codebook_file
    from qualcode.embed import load_embedder
    from qualcode.evaluate import evaluate, label_matrix, read_items

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
    _emit(report, args.json, human)
    return 0


def cmd_demo(args) -> int:
    from qualcode.demo import build_demo

    report = build_demo(_open(args), Path(args.transcripts), Path(args.codebooks),
                        say=lambda line: print(line, file=sys.stderr, flush=True))
    print(report, file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    db_help = "database URL or SQLite path (default: $QUALCODE_DB or ./qualcode.db)"
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=db_help)
    common.add_argument("--json", action="store_true", help="print JSON on stdout")

    parser = argparse.ArgumentParser(prog="qualcode", description="Qualitative coding of focus-group transcripts.")
    parser.add_argument("--db", default=None, help=db_help)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("import", parents=[common], help="import transcripts and survey files")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=["txt", "docx", "vtt", "srt", "csv", "xlsx"], help="override format detection")
    p.add_argument("--encoding", help="override encoding detection (utf-8, cp1251, koi8-r, utf-16 …)")
    p.add_argument("--language", help="en, ru or kk for every turn (default: detected per turn)")
    p.add_argument("--unit", default="sentence", help="coding unit: turn, sentence or window:N (default sentence)")
    p.add_argument("--attributes", help="sidecar YAML/CSV with document and participant attributes")
    p.add_argument("--moderator", help="the speaker label of the moderator (default: recognised)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("documents", parents=[common], help="list documents")
    p.set_defaults(func=cmd_documents)

    p = sub.add_parser("show", parents=[common], help="one document: text, speakers, turns, segments")
    p.add_argument("document", help="the document name shown by `documents`")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("codebook", help="load, show, export and edit the codebook")
    cb = p.add_subparsers(dest="codebook_command", required=True, metavar="ACTION")
    q = cb.add_parser("load", parents=[common], help="load a YAML or REFI-QDA .qdc codebook (reload updates in place)")
    q.add_argument("file")
    q.set_defaults(func=cmd_codebook_load)
    q = cb.add_parser("show", parents=[common], help="list the codes")
    q.add_argument("--archived", action="store_true", help="include archived codes")
    q.set_defaults(func=cmd_codebook_show)
    q = cb.add_parser("export", parents=[common], help="write the codebook as OUT.yaml or OUT.qdc")
    q.add_argument("out")
    q.set_defaults(func=cmd_codebook_export)
    for action, helptext in (("add", "add a code at PATH (Parent/Child)"), ("rename", "rename a code"),
                             ("move", "move a code under another parent"),
                             ("merge", "merge a code into another (codings become the union)"),
                             ("archive", "archive a code (its codings stay)")):
        q = cb.add_parser(action, parents=[common], help=helptext)
        q.add_argument("path", help="code path, e.g. 'Service quality/Waiting time'")
        if action == "add":
            q.add_argument("--definition")
        if action == "rename":
            q.add_argument("new_name")
        if action == "move":
            q.add_argument("--parent", default="", help="new parent path (empty: top level)")
        if action == "merge":
            q.add_argument("--into", required=True, help="path of the code that stays")
        q.set_defaults(func=cmd_code_edit, action=action)

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

    from qualcode import cli_anonymise, cli_export, cli_members, cli_model, cli_refi, cli_team, cli_topics
    cli_team.add_commands(sub, common)
    cli_topics.add_commands(sub, common)
    cli_model.add_commands(sub, common)
    cli_export.add_commands(sub, common)
    cli_refi.add_commands(sub, common)
    cli_anonymise.add_commands(sub, common)
    cli_members.add_commands(sub, common)

    p = sub.add_parser("demo", parents=[common], help="build the demo project from shipped files (once)")
    p.add_argument("--transcripts", default="transcripts")
    p.add_argument("--codebooks", default="codebooks")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except QualcodeError as err:
        print(f"qualcode: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("qualcode: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `qualcode … | head`: the reader left; that is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
