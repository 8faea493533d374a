"""`qualcode anonymise …`: detect identifiers, review them, apply pseudonyms, export the key.

    detect [--document NAME] [--json]   propose identifiers; print {document, start, end, text, type, …}
    review [--status S] [--document]    the review table
    accept ID… [--as TEXT] | --all      accept (--all: every proposal at --min-confidence or above)
    reject ID…                          reject
    add DOCUMENT START END TYPE         mark a missed span by hand
    pseudonym list | set LABEL NAME | generate
    term flag TERM… --type T | keep TERM… | list
    apply                               replacements for all accepted, consistent across the project
    show DOCUMENT                       the de-identified text
    key export FILE                     real → pseudonym (.csv or .json), kept apart from every other export
"""

from __future__ import annotations

import sys
from pathlib import Path

from qualcode.cli.common import emit, open_store
from qualcode.deid.candidate import TYPES
from qualcode.common.errors import QualcodeError


def _project(session):
    from qualcode.store import get_project
    return get_project(session, create=False)


def _print_detections(rows: list[dict]) -> None:
    for r in rows:
        note = f"  — {r['note']}" if r["note"] else ""
        print(f"#{r['id']:<5} {r['status']:<9} {r['confidence']:.2f} {r['type']:<12} {r['document']} "
              f"{r['start']}-{r['end']} «{r['text']}» ({r['source']}){note}")


def cmd_detect(args) -> int:
    from qualcode.deid.anonymize import detect
    from qualcode.common.progress import step_bar

    with step_bar("detecting") as advance:
        rows = detect(open_store(args), args.document, progress=advance)
    emit(rows, args.json, _print_detections)
    if not args.json:
        print(f"{sum(r['status'] == 'proposed' for r in rows)} proposals to review "
              "(`qualcode anonymise accept ID…` / `reject ID…`)", file=sys.stderr)
    return 0


def cmd_review(args) -> int:
    from qualcode.deid.anonymize import detection_rows

    with open_store(args).read() as session:
        rows = detection_rows(session, _project(session), args.document, args.status)
    emit(rows, args.json, _print_detections)
    return 0


def cmd_decide(args) -> int:
    from qualcode.deid.anonymize import CONFIDENT, accept_confident, decide

    with open_store(args).write() as session:
        project = _project(session)
        if getattr(args, "all", False):
            if args.ids:
                raise QualcodeError("give detection ids or --all, not both")
            minimum = CONFIDENT if args.min_confidence is None else args.min_confidence
            report = accept_confident(session, project, minimum, args.type, args.document)
        elif not args.ids:
            raise QualcodeError("which detections? give their ids (see `qualcode anonymise review`)"
                                + (" or --all" if args.status == "accepted" else ""))
        else:
            report = {args.status: decide(session, project, args.ids, args.status, getattr(args, "replacement", None))}
    emit(report, args.json, lambda r: print(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in r.items())))
    return 0


def cmd_add(args) -> int:
    from qualcode.deid.anonymize import add_detection

    with open_store(args).write() as session:
        row = add_detection(session, _project(session), args.document, args.start, args.end, args.type)
    emit(row, args.json, lambda r: _print_detections([r]))
    return 0


def cmd_pseudonym(args) -> int:
    from qualcode.deid import anonymize

    store = open_store(args)
    if args.action == "list":
        with store.read() as session:
            rows = anonymize.pseudonym_rows(session, _project(session))
    else:
        with store.write() as session:
            project = _project(session)
            if args.action == "set":
                anonymize.set_pseudonym(session, project, args.label, args.pseudonym, args.document)
            else:
                keys = [k.strip() for k in args.attributes.split(",") if k.strip()]
                anonymize.generate_pseudonyms(session, project, keys, args.overwrite)
            rows = anonymize.pseudonym_rows(session, project)

    def human(items):
        for r in items:
            print(f"{r['document']}\t{r['label']}\t{r['role']}\t{r['pseudonym'] or '(none yet)'}")
    emit(rows, args.json, human)
    return 0


def cmd_term(args) -> int:
    from qualcode.deid.anonymize import add_terms, term_rows

    store = open_store(args)
    if args.action == "list":
        with store.read() as session:
            rows = term_rows(session, _project(session))
    else:
        with store.write() as session:
            project = _project(session)
            add_terms(session, project, args.terms, args.action, getattr(args, "type", None))
            rows = term_rows(session, project)

    def human(items):
        for r in items:
            print(f"{r['action']}\t{r['type'] or '-'}\t{r['term']}")
    emit(rows, args.json, human)
    return 0


def cmd_apply(args) -> int:
    from qualcode.deid.anonymize import apply

    with open_store(args).write() as session:
        report = apply(session, _project(session))

    def human(r):
        print(f"{r['accepted']} accepted identifiers replaced ({r['replacements_changed']} changed, "
              f"{r['propagated']} more occurrences found), {r['rejected']} rejected")
        for p in r["generated_pseudonyms"]:
            print(f"pseudonym generated: {p['document']}: {p['label']} → {p['pseudonym']}")
        if r["undecided"]:
            print(f"warning: {r['undecided']} proposals are still undecided and stay as written "
                  "(`qualcode anonymise review --status proposed`)", file=sys.stderr)
    emit(report, args.json, human)
    return 0


def cmd_show(args) -> int:
    from qualcode.deid.anonymize import deidentified_text
    from qualcode.ingest.documents import get_document

    with open_store(args).read() as session:
        view = deidentified_text(get_document(session, args.document))
    data = {"document": args.document, "text": view.text, "undecided": view.undecided,
            "replacements": [r.__dict__ for r in view.replacements]}
    emit(data, args.json, lambda d: print(d["text"]))
    if view.undecided:
        print(f"warning: {view.undecided} undecided proposals are shown as written", file=sys.stderr)
    return 0


def cmd_key_export(args) -> int:
    from qualcode.deid.anonymize import key_file_bytes, key_rows
    from qualcode.common.files import write_atomically

    path = Path(args.file)
    with open_store(args).read() as session:
        rows = key_rows(session, _project(session))
    write_atomically(path, key_file_bytes(rows, path), mode=0o600)
    print(f"wrote {path} ({len(rows)} entries). It links real names to pseudonyms: keep it apart from the data.",
          file=sys.stderr)
    return 0


def add_commands(sub, common) -> None:
    """Register `anonymise` and its actions on the CLI's sub-parsers."""
    p = sub.add_parser("anonymise", aliases=["anonymize"], help="pseudonyms and de-identified views")
    an = p.add_subparsers(dest="anonymise_command", required=True, metavar="ACTION")

    q = an.add_parser("detect", parents=[common], help="propose identifiers in the documents")
    q.add_argument("--document", action="append", help="only this document (repeatable)")
    q.set_defaults(func=cmd_detect)

    q = an.add_parser("review", parents=[common], help="list detections with their status")
    q.add_argument("--document", action="append", help="only this document (repeatable)")
    q.add_argument("--status", choices=["proposed", "accepted", "rejected"])
    q.set_defaults(func=cmd_review)

    q = an.add_parser("accept", parents=[common], help="accept detections by id, or --all confident ones")
    q.add_argument("ids", nargs="*", type=int, metavar="ID")
    q.add_argument("--as", dest="replacement", help="what stands for this name everywhere (default [TYPE n])")
    q.add_argument("--all", action="store_true", help="every proposal at --min-confidence or above")
    q.add_argument("--min-confidence", type=float, help="with --all (default 0.5)")
    q.add_argument("--type", choices=TYPES, help="with --all: only this type")
    q.add_argument("--document", action="append", help="with --all: only this document (repeatable)")
    q.set_defaults(func=cmd_decide, status="accepted")
    q = an.add_parser("reject", parents=[common], help="reject detections by id (the text stays as written)")
    q.add_argument("ids", nargs="+", type=int, metavar="ID")
    q.set_defaults(func=cmd_decide, status="rejected")

    q = an.add_parser("add", parents=[common], help="mark a span the detectors missed")
    q.add_argument("document")
    q.add_argument("start", type=int)
    q.add_argument("end", type=int)
    q.add_argument("type", choices=TYPES)
    q.set_defaults(func=cmd_add)

    q = an.add_parser("pseudonym", help="the participants' pseudonyms")
    ps = q.add_subparsers(dest="pseudonym_command", required=True, metavar="ACTION")
    r = ps.add_parser("list", parents=[common], help="every participant and pseudonym")
    r.set_defaults(func=cmd_pseudonym, action="list")
    r = ps.add_parser("set", parents=[common], help="set the pseudonym of a participant label")
    r.add_argument("label")
    r.add_argument("pseudonym")
    r.add_argument("--document", help="only in this document (default: every document with that label)")
    r.set_defaults(func=cmd_pseudonym, action="set")
    r = ps.add_parser("generate", parents=[common], help="'Participant 3 (recipient, rural)' for those without one")
    r.add_argument("--attributes", default="type,settlement", help="attributes to show (default type,settlement)")
    r.add_argument("--overwrite", action="store_true", help="also replace pseudonyms set before")
    r.set_defaults(func=cmd_pseudonym, action="generate")

    q = an.add_parser("term", help="your lists: terms always flagged, or never")
    ts = q.add_subparsers(dest="term_command", required=True, metavar="ACTION")
    r = ts.add_parser("flag", parents=[common], help="always propose these terms")
    r.add_argument("terms", nargs="+", metavar="TERM")
    r.add_argument("--type", required=True, choices=TYPES)
    r.set_defaults(func=cmd_term, action="flag")
    r = ts.add_parser("keep", parents=[common], help="never propose these terms (public names)")
    r.add_argument("terms", nargs="+", metavar="TERM")
    r.set_defaults(func=cmd_term, action="keep")
    r = ts.add_parser("list", parents=[common], help="the lists")
    r.set_defaults(func=cmd_term, action="list")

    q = an.add_parser("apply", parents=[common], help="replacements for every accepted detection")
    q.set_defaults(func=cmd_apply)

    q = an.add_parser("show", parents=[common], help="print a document de-identified")
    q.add_argument("document")
    q.set_defaults(func=cmd_show)

    q = an.add_parser("key", help="the key: real → pseudonym")
    ks = q.add_subparsers(dest="key_command", required=True, metavar="ACTION")
    r = ks.add_parser("export", parents=[common], help="write the key to FILE (.csv or .json)")
    r.add_argument("file")
    r.set_defaults(func=cmd_key_export)
