"""What every command module shares: the options every command takes, printing JSON or lines, the store.

Command modules import from here and never from `qualcode.cli` itself, so the package has no cycle.
"""

from __future__ import annotations

import argparse
import json
import sys

DB_HELP = "database URL or SQLite path (default: $QUALCODE_DB or ./qualcode.db)"


def common_options() -> argparse.ArgumentParser:
    """`--db` (also accepted after the command name) and `--json`, as a parent parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=DB_HELP)
    common.add_argument("--json", action="store_true", help="print JSON on stdout")
    return common


def emit(data, as_json: bool, human) -> None:
    """Clean JSON on stdout with --json, else the command's own lines."""
    if as_json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        human(data)


def open_store(args):
    """The store named by --db (else $QUALCODE_DB, else ./qualcode.db)."""
    from qualcode.store import Store
    return Store(args.db)
