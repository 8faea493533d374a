"""Analysis commands: search, quote summaries, group contrasts, the consistency audit, sub-codes.

Each prints participants' own words with speaker, document and time; none writes anything but
`search --apply` (a person's codings) and `subcode-accept` (a code and machine suggestions).
"""

from __future__ import annotations

import sys

from qualcode.cli.common import emit, open_store


def _coders(args) -> set[str] | None:
    return set(args.coder) if getattr(args, "coder", None) else None


def _when(seconds) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    return f" [{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}]"


def _cite(q: dict) -> str:
    return f"{q['document']}{_when(q.get('time'))} {q['speaker'] or '?'}: {q['text']}"


def _listing(line, empty: str):
    """Human output: one entry per row (`line` may span lines), or `empty` on stderr when there are none."""
    def human(rows) -> None:
        for row in rows:
            print(line(row))
        if not rows:
            print(empty, file=sys.stderr)
    return human


def cmd_search(args) -> int:
    from qualcode.assistant.search import Filters, code_hits, search
    from qualcode.topics.topic_runs import parse_attribute

    where = dict(parse_attribute(a) for a in args.where or [])
    store = open_store(args)
    hits = search(store, args.query, Filters(args.document or [], args.code or [], where), args.limit, args.mode,
                  _coders(args))
    if args.apply:
        if not args.as_coder:
            from qualcode.common.errors import QualcodeError
            raise QualcodeError("--apply needs --as NAME: the person whose codings these become")
        n = code_hits(store, args.as_coder, args.apply, [h["segment"] for h in hits])
        print(f"applied {args.apply} to {n} segments as {args.as_coder}", file=sys.stderr)

    emit(hits, args.json, _listing(lambda h: f"{h['score']:.3f}  #{h['segment']}  {_cite(h)}", "no segment in scope"))
    return 0


def cmd_summary(args) -> int:
    from qualcode.assistant.summaries import code_summary

    result = code_summary(open_store(args), args.code, args.by, _coders(args), anonymise=args.anonymise)

    def human(r):
        for g in r["groups"]:
            head = f"{r['by']} = {g['group']}: " if r["by"] else ""
            print(f"{head}{g['segments']} segments, {g['participants']} participants, {g['documents']} documents "
                  f"(coverage {g['coverage']:.2f})")
            for q in g["quotes"]:
                print(f"  [{q['stands_for']}] {_cite(q)}")
        if not r["groups"]:
            print(f"no quotes coded {r['code']} yet", file=sys.stderr)
    emit(result, args.json, human)
    return 0


def cmd_contrast(args) -> int:
    from qualcode.assistant.contrasts import contrast

    result = contrast(open_store(args), args.attribute, _coders(args), args.alpha)

    def human(r):
        print(f"{r['attribute']}: {r['segments']} segments; {r['test']}")
        for g in r["groups"]:
            print(f"\n{r['attribute']} = {g['value']} ({g['segments']} segments, {g['participants']} participants)")
            for kind, key in (("codes", "code"), ("words", "word")):
                for row in g[kind]:
                    print(f"  {row['direction']:>4} {row[key]}: {row['in']} ({row['in_share']:.0%}) vs {row['out']} "
                          f"({row['out_share']:.0%}), {row['participants']} participants, p={row['p']}, q={row['q']}")
                    for q in row["quotes"]:
                        print(f"        {_cite(q)}")
    emit(result, args.json, human)
    return 0


def cmd_audit(args) -> int:
    from qualcode.assistant.audit import run_audit

    queue = run_audit(open_store(args), _coders(args), args.distance, args.limit, args.code)

    emit(queue, args.json, _listing(
        lambda q: f"{q['distance']:.2f}  #{q['segment']}  {q['kind']}: {q['code']}\n      {_cite(q)}\n      {q['reason']}",
        "nothing to review: every coding sits near its code's norm"))
    return 0


def cmd_subcodes(args) -> int:
    from qualcode.assistant.subcodes import suggest_subcodes

    candidates = suggest_subcodes(open_store(args), args.code, _coders(args))

    emit(candidates, args.json, _listing(
        lambda c: "\n    ".join([(f"candidate {c['candidate']}: {c['name']} ({c['segments']} segments; "
                                  f"{', '.join(c['keywords'][:6])})"), *(_cite(q) for q in c["quotes"])]),
        "no group stands out within this code"))
    return 0


def cmd_subcode_accept(args) -> int:
    from qualcode.common.errors import QualcodeError
    from qualcode.assistant.subcodes import accept_subcode, suggest_subcodes

    store = open_store(args)
    candidates = {c["candidate"]: c for c in suggest_subcodes(store, args.code, _coders(args))}
    if args.candidate not in candidates:
        raise QualcodeError(f"no candidate {args.candidate} (candidates: {', '.join(map(str, candidates)) or 'none'})")
    result = accept_subcode(store, args.code, candidates[args.candidate], args.name)
    emit(result, args.json, lambda r: print(f"added code {r['code']} with {r['suggestions']} suggestions to review",
                                            file=sys.stderr))
    return 0


def cmd_coder_report(args) -> int:
    from qualcode.assistant.coder_report import coder_report

    with open_store(args).read() as session:
        report = coder_report(session, args.reference)

    def human(r):
        print(f"against {r['reference']} ({r['statistic']}, unit: {r['unit']})")
        for c in r["coders"]:
            print(f"  {c['coder']} ({c['kind']}): κ {c['macro_kappa']}, agreement {c['percent_agreement']}, "
                  f"{c['codes']} codes; by document: "
                  + ", ".join(f"{d['document']} {d['kappa']}" for d in c["by_document"]))
        for row in r["lowest"]:
            print(f"  lowest: {row['code']} (mean κ {row['mean_kappa']})")
            for d in row["disagreements"]:
                print(f"      {d['applied_by']} applied it, {d['not_by']} did not: {_cite(d)}")
    emit(report, args.json, human)
    return 0


def add_commands(sub, common) -> None:
    p = sub.add_parser("search", parents=[common], help="rank participants' segments by meaning and words")
    p.add_argument("query", help="a question, a phrase or a code's definition (any language)")
    p.add_argument("--document", action="append", help="only this document (repeatable)")
    p.add_argument("--code", action="append", help="only segments coded with this code path or below (repeatable)")
    p.add_argument("--where", action="append", metavar="KEY=VALUE", help="only speakers/documents with this value")
    p.add_argument("--limit", type=int, default=20, help="how many hits (default 20)")
    p.add_argument("--mode", choices=("blend", "meaning", "words"), default="blend", help="ranking (default blend)")
    p.add_argument("--coder", action="append", help="the code filter reads only this coder's codings (repeatable)")
    p.add_argument("--apply", metavar="CODE", help="apply this code to every hit listed, as --as")
    p.add_argument("--as", dest="as_coder", metavar="NAME", help="the person --apply codes as")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("summary", parents=[common], help="the 3–7 quotes that best cover what was said under a code")
    p.add_argument("code", help="code path (its subtree counts too)")
    p.add_argument("--by", metavar="ATTRIBUTE", help="one summary per value: document, role, group, gender …")
    p.add_argument("--coder", action="append", help="only this coder's codings (repeatable; default every person)")
    p.add_argument("--anonymise", "--anonymize", action="store_true", help="pseudonyms instead of speaker labels")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("contrast", parents=[common], help="codes and words one group raised more or less than others")
    p.add_argument("attribute", help="document, role, group, type, gender, settlement, document:site …")
    p.add_argument("--alpha", type=float, default=0.05, help="show rows with p below this (default 0.05)")
    p.add_argument("--coder", action="append", help="only this coder's codings (repeatable; default every person)")
    p.set_defaults(func=cmd_contrast)

    p = sub.add_parser("audit", parents=[common], help="codings unlike the rest of their code, uncoded turns like it")
    p.add_argument("--distance", type=float, default=0.9, help="how far from the norm an item must be (default 0.9)")
    p.add_argument("--limit", type=int, help="at most this many items, farthest first")
    p.add_argument("--code", action="append", help="audit only this code and those below it (repeatable)")
    p.add_argument("--coder", action="append", help="only this coder's codings (repeatable; default every person)")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("subcodes", parents=[common], help="candidate sub-codes: groups within one code's segments")
    p.add_argument("code", help="code path")
    p.add_argument("--coder", action="append", help="only this coder's codings (repeatable; default every person)")
    p.set_defaults(func=cmd_subcodes)

    p = sub.add_parser("subcode-accept", parents=[common],
                       help="create a candidate as a child code; its segments become suggestions to review")
    p.add_argument("code", help="code path")
    p.add_argument("candidate", type=int, help="the candidate's number from `qualcode subcodes`")
    p.add_argument("--name", required=True, help="the child code's name")
    p.add_argument("--coder", action="append", help="as in `qualcode subcodes`")
    p.set_defaults(func=cmd_subcode_accept)

    p = sub.add_parser("coder-report", parents=[common],
                       help="each coder (and the machine) against the consensus: κ, over time, lowest codes")
    p.add_argument("--reference", default="consensus", help="the coder to compare with (default consensus)")
    p.set_defaults(func=cmd_coder_report)
