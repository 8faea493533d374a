"""`qualcode import-project FILE.qdpx`: a REFI-QDA project from NVivo, ATLAS.ti, MAXQDA, QualCoder or QualCode.

(`qualcode export qdpx OUT` lives with the other exports in cli_export.)
"""

from __future__ import annotations

import sys
from pathlib import Path

from qualcode.cli.common import emit


def _print_import(result: dict) -> None:
    for doc in result["documents"]:
        print(f"imported   {doc['name']}: {doc['turns']} turns ({doc['structure']}), {doc['segments']} {doc['unit']} "
              f"segments, {doc['language']}; positions counted as {doc['positions']}")
    codes = result["codes"]
    print(f"{codes['in_file']} codes in the file ({len(codes['added'])} added); coders: "
          f"{', '.join(result['coders']) or 'none'}; {result['codings']} codings; {result['memos']} memos")
    for warning in result["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)


def cmd_import_project(args) -> int:
    from qualcode.refi.qdpx_import import import_qdpx
    from qualcode.store import Store

    result = import_qdpx(Store(args.db), Path(args.file))
    emit(result, args.json, _print_import)
    return 0


def add_commands(sub, common) -> None:
    p = sub.add_parser("import-project", parents=[common],
                       help="import a REFI-QDA .qdpx project (sources, codebook, cases, coders, codings, notes)")
    p.add_argument("file", metavar="FILE.qdpx")
    p.set_defaults(func=cmd_import_project)
