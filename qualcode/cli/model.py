"""Embedding-model commands: `qualcode model show` and `qualcode model set NAME`."""

from __future__ import annotations

from qualcode.cli.common import emit, open_store

SOURCES = {"project": "the project's setting", "environment": "$QUALCODE_EMBEDDING_MODEL",
           "default": "the default for its languages"}


def cmd_model_show(args) -> int:
    from qualcode.autocode.model_choice import model_status

    with open_store(args).read() as session:
        status = model_status(session)

    def human(s: dict) -> None:
        print(f"{s['model']}  ({SOURCES[s['source']]}; languages: {', '.join(s['languages']) or 'none yet'})")
        for model, n in s["cached"].items():
            print(f"  cached  {model}: {n} of {s['texts']} texts")
    emit(status, args.json, human)
    return 0


def cmd_model_set(args) -> int:
    from qualcode.autocode.model_choice import switch_model
    from qualcode.common.progress import step_bar

    with step_bar(f"embedding with {args.name}") as advance:  # the project keeps its model until all are done
        report = switch_model(open_store(args), args.name, progress=advance)

    def human(r: dict) -> None:
        kept = f"; the vectors of {r['previous']} stay cached" if r["previous"] != r["model"] else ""
        print(f"the project now uses {r['model']} ({SOURCES[r['source']]}): {r['texts']} texts, "
              f"{r['encoded']} newly encoded in {r['seconds']} s{kept}")
    emit(report, args.json, human)
    return 0


def add_commands(sub, common) -> None:
    p = sub.add_parser("model", help="the embedding model: show it, or switch it (re-embeds, keeps old vectors)")
    actions = p.add_subparsers(dest="model_command", required=True, metavar="ACTION")
    q = actions.add_parser("show", parents=[common], help="the model in use, why, and what each model has cached")
    q.set_defaults(func=cmd_model_show)
    q = actions.add_parser("set", parents=[common],
                           help="encode every text with NAME, then make it the project's model")
    q.add_argument("name", metavar="NAME", help="use-multilingual-v3, sentence-transformers/all-MiniLM-L6-v2, a "
                                                "local sentence-transformers folder, or 'default' (clear the setting)")
    q.set_defaults(func=cmd_model_set)
