"""Drafts from recordings: `qualcode transcript confirm | speaker | rename | attach`.

The import itself is `qualcode import RECORDING` (cli/ingest.py); these finish the draft."""

from __future__ import annotations

from pathlib import Path

from qualcode.cli.common import emit, open_store


def _on_draft(args, change) -> int:
    from qualcode.ingest.documents import document_detail, get_document

    with open_store(args).write() as session:
        doc = get_document(session, args.document)
        change(session, doc)
        detail = document_detail(get_document(session, args.document))
    emit(detail, args.json, lambda d: print(f"{d['name']}: {d['status']}, {len(d['turns'])} turns, "
                                            f"{len(d['segments'])} segments"))
    return 0


def cmd_confirm(args) -> int:
    from qualcode.recording.draft import confirm
    return _on_draft(args, confirm)


def cmd_speaker(args) -> int:
    from qualcode.recording.editing import set_speaker
    return _on_draft(args, lambda session, doc: set_speaker(session, doc, args.turn - 1, args.speaker))


def cmd_rename(args) -> int:
    from qualcode.recording.editing import rename_voice
    return _on_draft(args, lambda session, doc: rename_voice(session, doc, args.old, args.new))


def cmd_attach(args) -> int:
    from qualcode.recording.editing import attach_recording

    kept = attach_recording(open_store(args), args.document, Path(args.recording))
    emit({"document": args.document, "recording": kept}, args.json, lambda d: print(f"{d['document']}: {d['recording']}"))
    return 0


# action, what it does, its positional arguments (name, argparse options), the command
ACTIONS = (
    ("confirm", "the draft becomes a codable document (offsets frozen)", (("document", {}),), cmd_confirm),
    ("speaker", "set one turn's speaker",
     (("document", {}), ("turn", {"type": int, "help": "turn number, from 1"}), ("speaker", {})), cmd_speaker),
    ("rename", "name a voice everywhere (Voice 2 → Модератор)", (("document", {}), ("old", {}), ("new", {})), cmd_rename),
    ("attach", "attach the recording of a timed transcript (VTT, SRT …)", (("document", {}), ("recording", {})),
     cmd_attach),
)


def add_commands(sub, common) -> None:
    group = sub.add_parser("transcript", help="finish a transcribed recording: speakers, confirm; attach a recording")
    actions = group.add_subparsers(dest="transcript_command", required=True, metavar="ACTION")
    for name, help_text, arguments, command in ACTIONS:
        p = actions.add_parser(name, parents=[common], help=help_text)
        for argument, options in arguments:
            p.add_argument(argument, **options)
        p.set_defaults(func=command)
