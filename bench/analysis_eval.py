"""Figures for the analysis tools on items coded by people (the evaluation-set format of `qualcode evaluate`).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/analysis_eval.py search|audit|summaries \
        [--data tests/data/eval_public_services.csv] [--codebook codebooks/public_services.yaml] [--seeds 0 1]

search     each leaf's name and definition as the query (English, and the Russian translation where the
           codebook has one), items ranked by meaning, by words and blended: macro precision@10 and @50
           over codes with at least 10 items, beside a random order (precision = the code's prevalence).
audit      10 % of the applied codes moved to a random other item (each move: one wrong coding and one
           missing coding); the audit's own queue and its top 10 % (as many cells as 10 % of the coded
           cells): the share of flipped cells found (recall) and the share of the list that is flipped
           (precision), beside a random order and a plain baseline (cosine to the code's mean coded vector).
summaries  per code with at least 8 items: coverage (mean cosine of each item to its nearest chosen quote)
           of the chosen quotes against as many random quotes (20 draws per seed) and the most central ones.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qualcode.assistant import audit, search, summaries
from qualcode.refi.codebook_files import read_codebook_file
from qualcode.autocode.embed import load_embedder
from qualcode.autocode.evaluate import label_matrix, read_items
from qualcode.autocode.turn_context import neighbour_block
from qualcode.assistant.words import stems


def load(args):
    items = read_items(Path(args.data))
    book, _ = read_codebook_file(Path(args.codebook))
    codes, labels = label_matrix(items, book)
    specs = {path: spec for path, spec in book.walk()}
    embedder = load_embedder(args.model)
    vectors = embedder.encode([i.text for i in items])
    return items, codes, labels, specs, embedder, vectors


def bench_search(args) -> None:
    items, codes, labels, specs, embedder, vectors = load(args)
    documents = [stems(i.text) for i in items]
    rows = {}
    for j, code in enumerate(codes):
        if labels[:, j].sum() < 10:
            continue
        spec = specs[code.key]
        queries = {"en": f"{spec.name}. {spec.definition}"}
        ru = spec.translations.get("ru") or {}
        if ru.get("definition"):
            queries["ru"] = f"{ru.get('name', '')}. {ru['definition']}"
        for language, query in queries.items():
            qv = embedder.encode([query])[0]
            for mode in search.MODES:
                order = np.argsort(-search.rank(qv, vectors, stems(query), documents, mode), kind="stable")
                for k in (10, 50):
                    rows.setdefault((language, mode, k), []).append(labels[order[:k], j].mean())
            for k in (10, 50):
                rows.setdefault((language, "random", k), []).append(labels[:, j].mean())
    print(f"{len(items)} items, model {embedder.model_id}; macro over codes with ≥10 items")
    print("query  ranking   codes  P@10   P@50")
    for language in ("en", "ru"):
        for mode in (*search.MODES, "random"):
            if (language, mode, 10) in rows:
                p10, p50 = rows[(language, mode, 10)], rows[(language, mode, 50)]
                print(f"{language:<6} {mode:<9} {len(p10):>5}  {np.mean(p10):.3f}  {np.mean(p50):.3f}")


def flip(labels: np.ndarray, audited: list[int], share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Move `share` of the applied codes (of audited codes) to a random item that lacks them."""
    rng = np.random.default_rng(seed)
    noisy, flipped = labels.copy(), np.zeros_like(labels)
    cells = [(i, j) for j in audited for i in np.flatnonzero(labels[:, j])]
    for n in rng.choice(len(cells), size=round(share * len(cells)), replace=False):
        i, j = cells[n]
        target = rng.choice(np.flatnonzero(~noisy[:, j]))
        noisy[i, j], noisy[target, j] = False, True
        flipped[i, j] = flipped[target, j] = True
    return noisy, flipped


def prototype_distance(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    out = np.full(labels.shape, np.nan)
    for j in range(labels.shape[1]):
        if labels[:, j].sum() >= audit.MIN_CODED:
            centre = vectors[labels[:, j]].mean(axis=0)
            cosine = vectors @ (centre / np.linalg.norm(centre))
            out[:, j] = np.where(labels[:, j], -cosine, cosine)
    return out


def found(score: np.ndarray, flipped: np.ndarray, size: int) -> tuple[float, float]:
    cells = np.flatnonzero(~np.isnan(score.ravel()))
    top = cells[np.argsort(-score.ravel()[cells], kind="stable")[:size]]
    hits = flipped.ravel()[top].sum()
    return hits / max(flipped.sum(), 1), hits / max(len(top), 1)


def bench_audit(args) -> None:
    items, _codes, labels, _specs, embedder, vectors = load(args)
    documents = np.array([i.document for i in items])
    features = np.hstack([vectors, neighbour_block(vectors, documents)])
    audited = [j for j in range(labels.shape[1]) if labels[:, j].sum() >= audit.MIN_CODED]
    print(f"{len(items)} items, {len(audited)} codes audited, model {embedder.model_id}, 10 % of codings moved")
    print("seed  list                 size   recall  precision")
    for seed in args.seeds:
        noisy, flipped = flip(labels, audited, 0.10, seed)
        flipped[:, [j for j in range(labels.shape[1]) if j not in audited]] = False
        distance = audit.audit_matrix(features, noisy)
        size = round(0.10 * noisy[:, audited].sum())
        rng = np.random.default_rng(seed)
        scores = {"audit": distance, "prototype cosine": prototype_distance(vectors, noisy),
                  "random": np.where(np.isnan(distance), np.nan, rng.random(distance.shape))}
        for threshold in sorted({0.5, 0.7, 0.9, audit.DISTANCE}):
            queue = int(np.nansum(distance >= threshold))
            r, p = found(distance, flipped, queue)
            mark = " (default)" if threshold == audit.DISTANCE else ""
            print(f"{seed:<5} {f'audit queue ≥{threshold}{mark}':<20} {queue:>5}   {r:.3f}   {p:.3f}")
        for name, score in scores.items():
            r, p = found(score, flipped, size)
            print(f"{seed:<5} {name + ' top 10 %':<20} {size:>5}   {r:.3f}   {p:.3f}")


def bench_summaries(args) -> None:
    items, _codes, labels, _specs, embedder, vectors = load(args)
    used = [j for j in range(labels.shape[1]) if labels[:, j].sum() >= 8]
    print(f"{len(items)} items, {len(used)} codes with ≥8 items, model {embedder.model_id}")
    print("seed  chosen (MMR)  most central  random (20 draws)  codes where MMR beats random")
    for seed in args.seeds:
        rng = np.random.default_rng(seed)
        mmr, central, random, wins = [], [], [], 0
        for j in used:
            rows = vectors[labels[:, j]]
            k = summaries.quote_count(len(rows))
            mmr.append(summaries.coverage(rows, summaries.pick(rows, k)))
            central.append(summaries.coverage(rows, summaries.pick(rows, k, diversity=0.0)))
            draws = [summaries.coverage(rows, list(rng.choice(len(rows), size=k, replace=False))) for _ in range(20)]
            random.append(float(np.mean(draws)))
            wins += mmr[-1] > random[-1]
        print(f"{seed:<5} {np.mean(mmr):.3f}         {np.mean(central):.3f}         {np.mean(random):.3f}"
              f"              {wins}/{len(used)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=("search", "audit", "summaries"))
    parser.add_argument("--data", default=str(ROOT / "tests" / "data" / "eval_public_services.csv"))
    parser.add_argument("--codebook", default=str(ROOT / "codebooks" / "public_services.yaml"))
    parser.add_argument("--model", default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    {"search": bench_search, "audit": bench_audit, "summaries": bench_summaries}[args.part](args)


if __name__ == "__main__":
    main()
