"""`qualcode …`: one sub-command per capability, one module per group of commands.

Every command takes `--db URL` (before or after the command name) and most take `--json`, whose
output on stdout is clean JSON; progress and messages go to stderr. Errors are one line, never a
traceback: `main` is the one place that turns a QualcodeError into `qualcode: error: …`.
Command modules import only `qualcode.cli.common`, never this package.

Package `cli`. It may import `common`, `store`, `ingest`, `recording`, `codebook`, `autocode`,
`coding`, `team`, `deid`, `export`, `topics`, `refi`, `assistant` (tests/test_layout.py checks it).
"""

from __future__ import annotations

import argparse
import os
import sys

from qualcode.cli import (analysis, anonymize, autocode, codebook, export, ingest, members, model, refi, team, topics,
                          transcript)
from qualcode.cli.common import DB_HELP, common_options
from qualcode.common.errors import QualcodeError

# in the order `qualcode --help` lists them: the pipeline's order
GROUPS = (ingest, transcript, codebook, autocode, team, topics, analysis, model, export, refi, anonymize, members)


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = argparse.ArgumentParser(prog="qualcode", description="Qualitative coding of focus-group transcripts.")
    parser.add_argument("--db", default=None, help=DB_HELP)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.add_commands(sub, common)
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
