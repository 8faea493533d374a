"""Getting transcripts in and looking at them: `qualcode import`, `documents`, `show`, and the demo project."""

from __future__ import annotations

import sys
from pathlib import Path

from qualcode.cli.common import emit, open_store
from qualcode.ingest.formats import FORMATS


def print_import(results: list[dict]) -> None:
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
    from qualcode.ingest.importer import ImportOptions
    from qualcode.common.progress import progress_bar, step_bar
    from qualcode.recording.importing import import_paths

    options = ImportOptions(format=args.format, encoding=args.encoding, language=args.language,
                            unit=args.unit, attributes=Path(args.attributes) if args.attributes else None,
                            moderator=args.moderator)
    store = open_store(args)
    paths = [Path(p) for p in args.paths]
    with progress_bar(len(paths), "importing") as advance, step_bar("transcribing, seconds of audio") as heard:
        results = import_paths(store, paths, options, args.speakers, progress=lambda d, t: heard(int(d), int(t)),
                               done=lambda _r: advance())
    emit(results, args.json, print_import)
    return 1 if any(r["status"] == "error" for r in results) else 0


def cmd_documents(args) -> int:
    from qualcode.ingest.documents import list_documents

    with open_store(args).read() as session:
        docs = list_documents(session)

    def human(rows):
        for d in rows:
            print(f"{d['name']}\t{d['format']}\t{d['language']}\t{d['turns']} turns\t{d['segments']} segments")
    emit(docs, args.json, human)
    return 0


def cmd_show(args) -> int:
    from qualcode.ingest.documents import document_detail, get_document

    with open_store(args).read() as session:
        detail = document_detail(get_document(session, args.document))

    def human(d):
        several = len(d["languages"]) > 1
        print(f"# {d['name']} ({d['format']}, {'+'.join(d['languages'])}, {len(d['turns'])} turns)")
        for t in d["turns"]:
            language = f"[{t['language']}] " if several else ""
            print(f"{language}{t['speaker'] or '—'}: {d['text'][t['start']:t['end']]}")
    emit(detail, args.json, human)
    return 0


def cmd_demo(args) -> int:
    from qualcode.demo import build_demo

    report = build_demo(open_store(args), Path(args.transcripts), Path(args.codebooks),
                        say=lambda line: print(line, file=sys.stderr, flush=True))
    print(report, file=sys.stderr)
    return 0


def add_commands(sub, common) -> None:
    p = sub.add_parser("import", parents=[common], help="import transcripts, survey files and recordings (a draft to confirm)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=FORMATS, help="override format detection")
    p.add_argument("--encoding", help="override encoding detection (utf-8, cp1251, koi8-r, utf-16 …)")
    p.add_argument("--language", help="en, ru or kk for every turn (default: detected per turn; auto for recordings)")
    p.add_argument("--speakers", type=int, help="recordings: how many voices to group the speech into (default: estimated)")
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
