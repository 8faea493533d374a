"""Drafts from recordings: `qualcode transcript confirm | speaker | rename | attach`.

The import itself is `qualcode import RECORDING` (cli/ingest.py); these finish the draft."""

from __future__ import annotations

from pathlib import Path

from qualcode.cli.common import emit, open_store


def _on_draft(args, change) -> int:
    from qualcode.documents import document_detail, get_document

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


def add_commands(sub, common) -> None:
    group = sub.add_parser("transcript", help="finish a transcribed recording: speakers, confirm; attach a recording")
    commands = group.add_subparsers(dest="transcript_command", required=True, metavar="ACTION")
    p = commands.add_parser("confirm", parents=[common], help="the draft becomes a codable document (offsets frozen)")
    p.add_argument("document")
    p.set_defaults(func=cmd_confirm)
    p = commands.add_parser("speaker", parents=[common], help="set one turn's speaker")
    p.add_argument("document")
    p.add_argument("turn", type=int, help="turn number, from 1")
    p.add_argument("speaker")
    p.set_defaults(func=cmd_speaker)
    p = commands.add_parser("rename", parents=[common], help="name a voice everywhere (Voice 2 → Модератор)")
    p.add_argument("document")
    p.add_argument("old")
    p.add_argument("new")
    p.set_defaults(func=cmd_rename)
    p = commands.add_parser("attach", parents=[common], help="attach the recording of a timed transcript (VTT, SRT …)")
    p.add_argument("document")
    p.add_argument("recording")
    p.set_defaults(func=cmd_attach)
