"""The codebook: `qualcode codebook load|show|export|add|rename|move|merge|archive`."""

from __future__ import annotations

import sys
from pathlib import Path

from qualcode.cli.common import emit, open_store
from qualcode.common.errors import QualcodeError
from qualcode.common.files import write_atomically


def _print_load(report: dict) -> None:
    print(f"{report['codes']} codes: {len(report['added'])} added, {len(report['updated'])} updated, "
          f"{len(report['archived'])} archived, {len(report['removed'])} removed")
    for path in report["archived"]:
        print(f"archived (it has codings and is no longer in the file): {path}")
    for warning in report["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)


def cmd_codebook_load(args) -> int:
    from qualcode.codebook import CodebookError
    from qualcode.refi.codebook_files import read_codebook_file
    from qualcode.codebook.codes import load_codebook
    from qualcode.store import get_project

    try:
        book, warnings = read_codebook_file(Path(args.file))
        with open_store(args).write() as session:
            report = load_codebook(session, get_project(session), book, warnings).as_dict()
    except CodebookError as err:
        if args.json:
            emit({"error": str(err).splitlines()[0], "errors": err.errors}, True, None)
        for line in err.errors:
            print(f"qualcode: error: {line}", file=sys.stderr)
        return 1
    emit(report, args.json, _print_load)
    return 0


def cmd_codebook_show(args) -> int:
    from qualcode.codebook.codes import code_rows
    from qualcode.store import find_project

    with open_store(args).read() as session:
        project = find_project(session)
        rows = code_rows(session, project, args.archived) if project else []

    def human(items):
        for row in items:
            depth = row["path"].count("/")
            flag = " [archived]" if row["archived"] else ""
            print(f"{'  ' * depth}{row['name']}{flag}  ({row['codings']} codings)")
    emit(rows, args.json, human)
    return 0


def cmd_codebook_export(args) -> int:
    from qualcode.codebook import to_yaml
    from qualcode.codebook.codes import to_codebook
    from qualcode.refi.qdc import to_qdc
    from qualcode.store import get_project

    out = Path(args.out)
    with open_store(args).read() as session:
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
    from qualcode.codebook import codes
    from qualcode.store import get_project

    with open_store(args).write() as session:
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


def add_commands(sub, common) -> None:
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
