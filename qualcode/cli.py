"""`qualcode …`: one sub-command per capability.

Every command takes `--db URL` (before or after the command name) and most
take `--json`, whose output on stdout is clean JSON; progress and messages
go to stderr. Errors are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qualcode.errors import QualcodeError


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
        print(f"{r['status']:<10} {r['file']}: {r['format']}, {r['encoding'] or '-'}, {r['language']}, "
              f"{r['turns']} turns, {r['segments']} {r['unit']} segments; moderator: {r['moderator'] or 'none'}")
        print(f"           speakers: {people}")


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
        print(f"# {d['name']} ({d['format']}, {d['language']}, {len(d['turns'])} turns)")
        for t in d["turns"]:
            print(f"{t['speaker'] or '—'}: {d['text'][t['start']:t['end']]}")
    _emit(detail, args.json, human)
    return 0


def cmd_demo(args) -> int:
    from qualcode.demo import build_demo

    report = build_demo(_open(args), Path(args.transcripts), Path(args.codebooks))
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
    p.add_argument("--language", help="en, ru or kk (default: detected)")
    p.add_argument("--unit", default="sentence", help="coding unit: turn, sentence or window:N (default sentence)")
    p.add_argument("--attributes", help="sidecar YAML/CSV with document and participant attributes")
    p.add_argument("--moderator", help="the speaker label of the moderator (default: recognised)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("documents", parents=[common], help="list documents")
    p.set_defaults(func=cmd_documents)

    p = sub.add_parser("show", parents=[common], help="one document: text, speakers, turns, segments")
    p.add_argument("document", help="the document name shown by `documents`")
    p.set_defaults(func=cmd_show)

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


if __name__ == "__main__":
    sys.exit(main())
