"""Topic commands: discover topics, list runs, promote a topic to a code, merge topics, prevalence."""

from __future__ import annotations

import sys

from qualcode.cli.common import emit, open_store


def _print_topics(report: dict) -> None:
    p = report["parameters"]
    context = f"context ±{p['context']['turns']} turns" if p["context"] else "no context"
    print(f"run {report['run']}: {len(report['assignments'])} segments, {len(report['topics'])} topics, "
          f"{report['outliers']} outliers, {report['seconds']} s "
          f"(min topic size {p['min_topic_size']}, seed {p['seed']}, {context})")
    for t in report["topics"]:
        near = t["nearest_codes"][0] if t["nearest_codes"] else None
        code = f"  ~ {near['code']} ({near['similarity']:.2f}, covers {near['covers']})" if near else ""
        print(f"{t['id']:>4} {t['size']:>6}  {', '.join(t['keywords'][:6])}{code}")
    if not report["topics"]:
        print("no topics found: every segment is an outlier (try a smaller --min-topic-size)", file=sys.stderr)


def cmd_topics(args) -> int:
    from qualcode.topics.context import Window
    from qualcode.common.progress import step_bar
    from qualcode.topics.topic_runs import TopicOptions, parse_attribute, run_topics

    options = TopicOptions(documents=args.document or [], uncoded_only=args.uncoded_only,
                           attribute=parse_attribute(args.attribute) if args.attribute else None,
                           min_topic_size=args.min_topic_size, seed=args.seed,
                           window=None if args.no_context else Window(), reduce_outliers=args.reduce_outliers,
                           guided=args.guided)
    with step_bar("embedding segments") as advance:
        report = run_topics(open_store(args), options, progress=advance)
    emit(report, args.json, _print_topics)
    return 0


def cmd_topic_runs(args) -> int:
    from qualcode.topics.topic_runs import list_runs

    with open_store(args).read() as session:
        runs = list_runs(session)

    def human(rows):
        for r in rows:
            scope = {k: v for k, v in r["parameters"]["scope"].items() if v}
            merged = f", merged from run {r['parameters']['merged']['run']}" if "merged" in r["parameters"] else ""
            print(f"run {r['run']}  {r['created_at'][:19]}  {r['segments']} segments, {r['topics']} topics, "
                  f"seed {r['parameters']['seed']}, scope {scope or 'all'}{merged}")
    emit(runs, args.json, human)
    return 0


def cmd_topic_promote(args) -> int:
    from qualcode.topics.topic_runs import promote_topic

    result = promote_topic(open_store(args), args.run, args.topic, args.name)
    emit(result, args.json, lambda r: print(f"added code {r['code']} with {r['suggestions']} suggestions "
                                             f"to review (`qualcode suggestions`)"))
    return 0


def cmd_topic_merge(args) -> int:
    from qualcode.topics.topic_runs import merge_topics

    report = merge_topics(open_store(args), args.run, args.topics)
    emit(report, args.json, _print_topics)
    return 0


def cmd_topic_prevalence(args) -> int:
    from qualcode.topics.topic_runs import prevalence

    with open_store(args).read() as session:
        frame = prevalence(session, args.run, args.by)

    def human(_rows):
        table = frame.pivot_table(index=["topic", "keywords"], columns=args.by, values="share", fill_value=0)
        print(table.map(lambda v: f"{v:.0%}").to_string())
    emit(frame.to_dict(orient="records"), args.json, human)
    return 0


def add_commands(sub, common) -> None:
    p = sub.add_parser("topics", parents=[common], help="discover topics (BERTopic) in participants' segments")
    p.add_argument("--document", action="append", help="only this document (repeatable)")
    p.add_argument("--uncoded-only", action="store_true", help="only segments no human coding covers yet")
    p.add_argument("--attribute", metavar="KEY=VALUE", help="only speakers/documents with this attribute value")
    p.add_argument("--min-topic-size", type=int, help="smallest topic in segments (default: scaled to the corpus)")
    p.add_argument("--seed", type=int, default=42, help="random seed: the same seed gives the same topics")
    p.add_argument("--no-context", action="store_true", help="embed each segment alone, without its turns around")
    p.add_argument("--reduce-outliers", action="store_true", help="give outliers their nearest topic")
    p.add_argument("--guided", action="store_true", help="seed topics from the codebook")
    p.set_defaults(func=cmd_topics)

    p = sub.add_parser("topic-runs", parents=[common], help="list stored topic runs with their parameters")
    p.set_defaults(func=cmd_topic_runs)

    p = sub.add_parser("topic-promote", parents=[common],
                       help="make a topic a code; its segments become suggestions to review")
    p.add_argument("run", type=int)
    p.add_argument("topic", type=int)
    p.add_argument("--name", required=True, help="code path, e.g. 'Service quality/Rude staff'")
    p.set_defaults(func=cmd_topic_promote)

    p = sub.add_parser("topic-merge", parents=[common], help="merge topics of a run (stored as a new run)")
    p.add_argument("run", type=int)
    p.add_argument("topics", type=int, nargs="+", metavar="TOPIC")
    p.set_defaults(func=cmd_topic_merge)

    p = sub.add_parser("topic-prevalence", parents=[common], help="topic shares by an attribute's values")
    p.add_argument("run", type=int)
    p.add_argument("--by", default="group", help="attribute (participant's, else document's; default group)")
    p.set_defaults(func=cmd_topic_prevalence)
