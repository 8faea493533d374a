"""Group contrasts: the codes and words one group raised more (or less) than the others, with the quotes.

For each value of an attribute (recipients, civil servants; urban, rural …) against all other
values, every code (a parent counts its subtree) and every content word (stop words left out) said
in at least MIN_SEGMENTS segments is tested with Fisher's exact test, two-sided, on segment counts — exact, so it holds for
the small counts of a few focus groups. Words are compared within one language at a time (a
Russian word against the other groups' Russian segments), so a group that spoke English is not
"more" for every English word. q is the Benjamini–Hochberg adjustment over every test of
the contrast. A segment count treats one talkative person's turns as separate, so each row also says
how many participants raised it: read a difference carried by one person as that.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from scipy.stats import fisher_exact

from qualcode.codebook.codes import CodeTree
from qualcode.assistant.passages import Passage, Passages, load_passages
from qualcode.store import Store, find_project
from qualcode.assistant.words import TOKEN, stems

MIN_SEGMENTS = 5     # a word said in fewer segments is not tested
ALPHA = 0.05
QUOTES = 3
TEST = ("Fisher's exact test, two-sided, on segment counts (this value against all others); "
        "q: Benjamini–Hochberg over every code and word tested")


def benjamini_hochberg(p: list[float]) -> list[float]:
    """Adjusted p-values (false discovery rate), in the input's order."""
    n = len(p)
    if n == 0:
        return []
    order = np.argsort(p)
    ranked = np.array(p)[order] * n / np.arange(1, n + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    out = np.empty(n)
    out[order] = adjusted
    return out.tolist()


def _quotes(items: list[Passage], rows: list[int]) -> list[dict]:
    """Up to QUOTES of the rows, one per speaker first, in transcript order."""
    chosen, speakers = [], set()
    for r in rows:
        if items[r].speaker not in speakers:
            speakers.add(items[r].speaker)
            chosen.append(r)
        if len(chosen) == QUOTES:
            break
    return [items[r].cite() for r in sorted(chosen)]


def _surface(items: list[Passage]) -> dict[str, str]:
    """Each stem's commonest spelled-out word, so a reader sees the participants' word, not a stem."""
    forms: dict[str, Counter] = {}
    for p in items:
        for word in TOKEN.findall(p.text.casefold()):
            for stem in stems(word, p.language, content_only=True):
                forms.setdefault(stem, Counter())[word] += 1
    return {stem: counter.most_common(1)[0][0] for stem, counter in forms.items()}


def _primary(language: str) -> str:
    return (language or "?").lower().split("-")[0].split("_")[0]


def _test(label: dict, inside: np.ndarray, has: np.ndarray, items: list[Passage]) -> dict:
    a, b = int((has & inside).sum()), int((~has & inside).sum())
    c, d = int((has & ~inside).sum()), int((~has & ~inside).sum())
    ratio, p = fisher_exact([[a, b], [c, d]], alternative="two-sided")
    rows = np.flatnonzero(has & inside).tolist()
    return {**label, "in": a, "in_share": round(a / max(a + b, 1), 4), "out": c,
            "out_share": round(c / max(c + d, 1), 4),
            "participants": len({items[r].participant_id for r in rows if items[r].participant_id is not None}),
            "odds_ratio": None if not np.isfinite(ratio) else round(float(ratio), 3), "p": float(p),
            "direction": "more" if a / max(a + b, 1) > c / max(c + d, 1) else "less",
            "quotes": _quotes(items, rows)}


def contrast_passages(passages: Passages, attribute: str, code_sets: dict[str, set[int]],
                      alpha: float = ALPHA) -> dict:
    """The engine on loaded passages: `code_sets` maps a code path to the code ids that count as it."""
    passages.check_key(attribute)
    items = [p for p in passages.items if p.value(attribute) is not None]
    values = sorted({p.value(attribute) for p in items})
    result = {"attribute": attribute, "test": TEST, "alpha": alpha, "segments": len(items), "groups": []}
    if len(values) < 2:
        return result
    value_of = np.array([p.value(attribute) for p in items])
    on = [passages.codes.get(p.segment_id, set()) for p in items]
    code_has = {path: np.array([bool(ids & s) for s in on]) for path, ids in code_sets.items()}
    said = [set(stems(p.text, p.language, content_only=True)) for p in items]
    language = np.array([_primary(p.language) for p in items])
    surface = _surface(items)
    tests = []
    for value in values:
        inside = value_of == value
        for path, has in code_has.items():
            if has.any():
                tests.append((value, "codes", _test({"code": path}, inside, has, items)))
        for lang in sorted(set(language.tolist())):
            here = language == lang
            if not (inside & here).any() or not (~inside & here).any():
                continue      # only one side spoke this language: nothing to compare its words with
            rows = np.flatnonzero(here)
            frequency = Counter(s for r in rows for s in said[r])
            for w in sorted(s for s, n in frequency.items() if n >= MIN_SEGMENTS):
                has = np.array([w in said[r] for r in rows])
                label = {"word": surface.get(w, w), "stem": w, "language": lang}
                tests.append((value, "words", _test(label, inside[rows], has, [items[r] for r in rows])))
    for (_, _, row), q in zip(tests, benjamini_hochberg([row["p"] for _, _, row in tests])):
        row["q"] = round(q, 4)
        row["p"] = round(row["p"], 4)
    for value in values:
        inside = value_of == value
        group = {"value": value, "segments": int(inside.sum()),
                 "participants": len({p.participant_id for p, i in zip(items, inside) if i}), "codes": [], "words": []}
        for v, kind, row in tests:
            if v == value and row["p"] < alpha:
                group[kind].append(row)
        for kind in ("codes", "words"):
            group[kind].sort(key=lambda r: (r["direction"] != "more", r["p"]))
        result["groups"].append(group)
    return result


def contrast(store: Store, attribute: str, coders: set[str] | None = None, alpha: float = ALPHA) -> dict:
    """Codes and words over- and under-represented per value of `attribute` (blind: `coders`' codings only)."""
    with store.read() as session:
        passages = load_passages(session, coders)
        tree = CodeTree(session, find_project(session))
        code_sets: dict[str, set[int]] = {}
        for code in tree.codes:
            if code.archived:
                continue
            ids, todo = set(), [code]
            while todo:
                current = todo.pop()
                ids.add(current.id)
                todo.extend(tree.children(current))
            code_sets[tree.path(code)] = ids
    return contrast_passages(passages, attribute, code_sets, alpha)
