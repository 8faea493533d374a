"""Export and analysis commands: `qualcode export …` and `qualcode analyse …`.

Files are built in memory and written beside the target, then renamed, so a failure never
leaves half a report; the target folder is checked first, before seconds are spent building.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from qualcode.cli.common import emit, open_store
from qualcode.common.errors import QualcodeError

FORMATS = ("docx", "xlsx", "csv", "qdpx", "qdc")
TABLES = ("frequencies", "crosstab", "cooccurrence")


def _write(path: Path, data: bytes) -> None:
    from qualcode.common.files import write_atomically
    write_atomically(path, data)


def _check_target(out: Path) -> None:
    """Refuse a target that cannot be written before building anything."""
    folder = out.parent
    if out.is_dir():
        raise QualcodeError(f"{out}: is a folder; give a file name")
    if not folder.is_dir():
        raise QualcodeError(f"{out}: cannot be written (folder {folder} does not exist)")
    if not os.access(folder, os.W_OK):
        raise QualcodeError(f"{out}: cannot be written (folder {folder} is not writable)")


def export_other(fmt: str, out: Path, args) -> int:
    """The REFI-QDA formats: the whole project as .qdpx, or the codebook as .qdc."""
    if fmt == "qdpx":
        from qualcode.refi.qdpx_export import export_qdpx
        export_qdpx(open_store(args), out)
    else:
        from qualcode.codebook.codes import to_codebook
        from qualcode.refi.qdc import to_qdc
        from qualcode.store import get_project
        with open_store(args).read() as session:
            book = to_codebook(session, get_project(session, create=False))
        _write(out, to_qdc(book))
    emit({"files": [str(out)]}, args.json, lambda r: print(f"wrote {out}", file=sys.stderr))
    return 0


def cmd_export(args) -> int:
    out = Path(args.out)
    _check_target(out)
    if args.format in ("qdpx", "qdc"):
        return export_other(args.format, out, args)
    from qualcode.export.quotes import coded_quotes

    files: dict[Path, bytes] = {}
    with open_store(args).read() as session:
        if args.format == "docx":
            from qualcode.export.docx import ReportOptions, build_report
            options = ReportOptions(group_by=args.group_by or "code", max_quotes=args.max_quotes,
                                    language=args.language)
            if args.summaries:
                from dataclasses import replace

                from qualcode.assistant.summaries import report_picks
                picks = report_picks(open_store(args), coded_quotes(session, args.coder, args.codes).quotes)
                options = replace(options, summaries=picks)
            files[out], quoteset = build_report(session, args.coder, args.codes, args.anonymise, options)
        else:
            from qualcode.export import tables
            quoteset = coded_quotes(session, args.coder, args.codes, args.anonymise)
            if args.format == "xlsx":
                files[out] = tables.xlsx_bytes(quoteset)
            else:
                by = args.group_by if args.group_by not in (None, "code") else None
                if by:
                    quoteset.check_key(by)
                for name, data in tables.csv_tables(quoteset, by).items():
                    files[out if name == "quotes" else out.with_name(f"{out.stem}.{name}.csv")] = data
    for path, data in files.items():
        _write(path, data)
    result = {"files": [str(p) for p in files], "quotes": len(quoteset.quotes), "coder": args.coder}
    emit(result, args.json, lambda r: print(f"wrote {', '.join(r['files'])} ({r['quotes']} quotes, "
                                             f"coder: {r['coder']})", file=sys.stderr))
    return 0


def _records(frame) -> list[dict]:
    return [{"code": code, **{str(k): v for k, v in row.items()}} for code, row in
            zip(frame.index, frame.astype(object).to_dict("records"))]


def cmd_analyze(args) -> int:
    from qualcode.export import analysis
    from qualcode.export.quotes import coded_quotes

    if args.table == "crosstab" and not args.by:
        raise QualcodeError("crosstab needs --by ATTRIBUTE (e.g. --by type, --by document:site, --by document)")
    with open_store(args).read() as session:
        quoteset = coded_quotes(session, args.coder, args.codes)
    if args.table == "frequencies":
        frame = analysis.frequencies(quoteset)
    elif args.table == "crosstab":
        frame = analysis.crosstab(quoteset, args.by, args.measure)
    else:
        frame = analysis.cooccurrence(quoteset)
    shown = frame if args.all else analysis.nonzero(frame)
    result = {"table": args.table, "coder": args.coder, "by": args.by if args.table == "crosstab" else None,
              "measure": args.measure if args.table == "crosstab" else ("segments" if args.table == "cooccurrence"
                                                                         else None),
              "rows": _records(shown)}

    def human(_r):
        if shown.empty:
            print(f"no coded quotes (coder: {args.coder})")
            return
        table = shown
        if args.table == "cooccurrence":  # code paths as column headers would make it unreadably wide
            numbers = [str(i) for i in range(1, len(shown) + 1)]
            table = shown.set_axis(numbers, axis=1).set_axis([f"{n} {c}" for n, c in zip(numbers, shown.index)])
        print(table.to_string())
        hidden = len(frame) - len(shown)
        if hidden:
            print(f"codes without quotes not shown: {hidden} (--all shows them)", file=sys.stderr)
    emit(result, args.json, human)
    return 0


def _selection(p, common_help: str) -> None:
    p.add_argument("--coder", default="accepted",
                   help=f"a coder's name, 'consensus', or 'accepted' (default: {common_help})")
    p.add_argument("--codes", nargs="+", action="extend", metavar="PATH",
                   help="only these codes (each with the codes under it), e.g. 'Trust and integrity'")


def add_commands(sub, common) -> None:
    accepted = "every human coder's manual codings and accepted suggestions"
    p = sub.add_parser("export", parents=[common], help="coded quotes as Word, XLSX or CSV; the project as REFI-QDA")
    p.add_argument("format", choices=FORMATS)
    p.add_argument("out", metavar="OUT")
    _selection(p, accepted)
    p.add_argument("--group-by", metavar="ATTRIBUTE",
                   help="code (default), document, role, or an attribute: type, gender, document:site …")
    p.add_argument("--max-quotes", type=int, metavar="N", help="at most N quotes per code (the strongest)")
    p.add_argument("--summaries", action="store_true", help="docx: a Summary block per code (the quotes covering most)")
    p.add_argument("--anonymise", "--anonymize", action="store_true",
                   help="pseudonyms where set, else 'Participant N', instead of the speaker labels")
    p.add_argument("--language", choices=["en", "ru"], default="en", help="the Word report's own words")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("analyse", aliases=["analyze"], parents=[common],
                       help="code frequencies, crosstabs by attribute, co-occurrence")
    p.add_argument("table", choices=TABLES)
    p.add_argument("--by", metavar="ATTRIBUTE", help="crosstab columns: document, role, or an attribute")
    p.add_argument("--measure", choices=["segments", "participants", "documents", "quotes"], default="segments",
                   help="what a crosstab cell counts (default: distinct coded segments)")
    p.add_argument("--all", action="store_true", help="also list codes without quotes")
    _selection(p, accepted)
    p.set_defaults(func=cmd_analyze)

