"""Team-coding commands: agreement, coders and their documents, imported codings, reconciliation."""

from __future__ import annotations

import sys
from pathlib import Path

from qualcode.cli.common import emit, open_store
from qualcode.common.errors import QualcodeError
from qualcode.common.files import read_csv_rows


def _print_report(report: dict) -> None:
    fmt = lambda v: f"{v:.3f}" if isinstance(v, float) else "undefined"  # noqa: E731
    print(f"unit: {report['unit']}; {report['units']} units; coders: {', '.join(report['coders'])}")
    print(f"{'code':<48} {'%agree':>7} {'kappa':>9} {'alpha':>9} {'BP':>9} {'prev':>6} {'n':>5}")
    for code, s in report["per_code"].items():
        print(f"{code[:48]:<48} {fmt(s['percent_agreement']):>7} {fmt(s['cohen_kappa'] if s['cohen_kappa'] is not None else s['fleiss_kappa']):>9} "
              f"{fmt(s['krippendorff_alpha']):>9} {fmt(s['brennan_prediger']):>9} {fmt(s['prevalence']):>6} {s['n_units']:>5}")
    o = report["overall"]
    print(f"{'overall (macro)':<48} {fmt(o['percent_agreement']):>7} {fmt(o.get('cohen_kappa') or o.get('fleiss_kappa')):>9} "
          f"{fmt(o['krippendorff_alpha']):>9} {fmt(o['brennan_prediger']):>9}")
    for note in report["notes"]:
        print(f"note: {note}", file=sys.stderr)


def cmd_agreement(args) -> int:
    from qualcode.team.agreement import (
        agreement_report,
        methods_paragraph,
        ratings_from_rows,
    )

    if args.data:
        ratings, notes = ratings_from_rows([(r["unit"], r["coder"], r["code"])
                                            for r in read_csv_rows(Path(args.data), ("unit", "coder", "code"))])
        unit = "unit"
    else:
        if not args.coders:
            raise QualcodeError("give --data CODINGS.csv, or --coders A B … on a project")
        from qualcode.store import get_project
        from qualcode.team import project_ratings
        with open_store(args).read() as session:
            ratings = project_ratings(session, get_project(session, create=False), args.coders, args.unit)
        notes, unit = [], args.unit
    report = agreement_report(ratings, bootstrap=args.bootstrap)
    report["notes"] = notes + report["notes"]
    report["unit"] = unit
    report["methods"] = methods_paragraph(report, f"{unit}s")
    emit(report, args.json, _print_report)
    return 0


def cmd_coders(args) -> int:
    from qualcode.store import get_project
    from qualcode.team import assign_documents

    with open_store(args).write() as session:
        names = assign_documents(session, get_project(session, create=False), args.name, args.document)
    emit({"coder": args.name, "documents": names}, args.json,
          lambda r: print(f"{r['coder']} codes: {', '.join(r['documents'])}"))
    return 0


def cmd_codings_import(args) -> int:
    from qualcode.store import get_project
    from qualcode.team import import_codings

    with open_store(args).write() as session:
        report = import_codings(session, get_project(session, create=False), Path(args.file), args.coder)
    emit(report, args.json, lambda r: print(f"{r['added']} codings added for {r['coder']} ({r['rows']} rows)"))
    return 0


def cmd_disagreements(args) -> int:
    from qualcode.store import get_project
    from qualcode.team import reconciliation_queue

    with open_store(args).read() as session:
        queue = reconciliation_queue(session, get_project(session, create=False), args.coders)

    def human(items):
        done = sum(i["resolved"] for i in items)
        print(f"{len(items)} disagreements, {done} resolved")
        for i in items:
            mark = "✓" if i["resolved"] else " "
            print(f"[{mark}] segment {i['unit']} ({i['document']}): {i['text'][:80]}")
            for coder, codes in i["codes"].items():
                print(f"      {coder}: {', '.join(codes) if codes else '—'}")
    emit(queue, args.json, human)
    return 0


def cmd_resolve(args) -> int:
    from qualcode.store import get_project
    from qualcode.team import resolve

    with open_store(args).write() as session:
        chosen = resolve(session, get_project(session, create=False), args.segment, args.coders, args.take,
                         args.code)
    emit({"segment": args.segment, "codes": chosen}, args.json,
          lambda r: print(f"segment {r['segment']}: consensus = {', '.join(r['codes']) or 'no code'}"))
    return 0


def add_commands(sub, common) -> None:
    p = sub.add_parser("agreement", parents=[common], help="inter-coder agreement (from a CSV or the project)")
    p.add_argument("--data", help="long-format CSV with unit,coder,code (no project needed)")
    p.add_argument("--coders", nargs="+", help="coders to compare on the project")
    p.add_argument("--unit", choices=["segment", "turn", "document", "span"], default="segment",
                   help="span: MAXQDA-style, codings agree when they overlap by ≥ 90%% of their union")
    p.add_argument("--bootstrap", type=int, default=1000, help="resamples for α's 95%% interval (0: none)")
    p.set_defaults(func=cmd_agreement)

    p = sub.add_parser("coders", parents=[common], help="assign documents to a coder (blind parallel coding)")
    p.add_argument("name")
    p.add_argument("--document", action="append", required=True)
    p.set_defaults(func=cmd_coders)

    p = sub.add_parser("codings", help="bring in codings made elsewhere")
    q = p.add_subparsers(dest="codings_command", required=True, metavar="ACTION")
    r = q.add_parser("import", parents=[common], help="CSV with document,start,end,code or segment,code")
    r.add_argument("file")
    r.add_argument("--coder", required=True)
    r.set_defaults(func=cmd_codings_import)

    p = sub.add_parser("disagreements", parents=[common], help="the reconciliation queue of two coders")
    p.add_argument("--coders", nargs=2, required=True, metavar=("A", "B"))
    p.set_defaults(func=cmd_disagreements)

    p = sub.add_parser("resolve", parents=[common], help="settle one disagreement into the consensus coder")
    p.add_argument("segment", type=int)
    p.add_argument("--coders", nargs=2, required=True, metavar=("A", "B"))
    p.add_argument("--take", choices=["a", "b", "both", "neither", "edit"], required=True)
    p.add_argument("--code", action="append", help="with --take edit: a code path to keep (repeatable)")
    p.set_defaults(func=cmd_resolve)
