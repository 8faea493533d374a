"""Auto-coder against experts: therapist behaviour in AnnoMI (motivational-interviewing transcripts).

AnnoMI (github.com/uccollab/AnnoMI) codes each therapist utterance with one main behaviour:
question, reflection, therapist_input or other. Its experts agree at about α = 0.74. This
script turns the therapist rows of AnnoMI's dataset.csv (or any subset with the same columns)
into items, runs `qualcode.evaluate.evaluate` at several training fractions and prints macro
and micro Cohen's κ, macro F1 and per-code κ, each code scored as a present/absent decision.

With --baseline it adds the plain-notebook numbers on the same items and the same split:
zero-shot = cosine of each item to each code's definition with the one global threshold that
gives the best macro κ on the test items (an oracle, so optimistic); learned = scikit-learn's
LogisticRegression on MiniLM embeddings, one binary model per code, trained on the same items.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/annomi_eval.py --data dataset.csv [--baseline]
        [--codebook codebooks/mi_therapist.yaml] [--fractions 0 0.05 0.1 0.3] [--seed 0]
        [--model use-multilingual-v3] [--engine auto]

The data are not in the repository: fetch dataset.csv from the AnnoMI repository.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a checkout, without installing qualcode

from qualcode import autocode
from qualcode.codebook import Codebook, read_codebook_file
from qualcode.embed import MINILM_MODEL_ID, Embedder, load_embedder
from qualcode.evaluate import (
    Item,
    binary_scores,
    evaluate,
    label_matrix,
    stratified_split,
)
from qualcode.files import read_csv_rows

CODES = ("question", "reflection", "therapist_input", "other")


def therapist_items(data: Path) -> list[Item]:
    """AnnoMI's therapist rows as evaluation items: id transcript_utterance, one behaviour code each."""
    return [Item(f"{r['transcript_id']}_{r['utterance_id']}", r["utterance_text"], {r["main_therapist_behaviour"]})
            for r in read_csv_rows(data, ("transcript_id", "utterance_id", "interlocutor", "utterance_text",
                                          "main_therapist_behaviour"))
            if r["interlocutor"] == "therapist" and r["utterance_text"].strip()]


def summary(per_code: dict[str, dict], micro_kappa: float | None) -> dict:
    """The printed numbers; macro means skip undefined values, as `evaluate` does."""
    def mean(metric: str) -> float | None:
        values = [s[metric] for s in per_code.values() if s[metric] is not None]
        return float(np.mean(values)) if values else None

    return {"macro_kappa": mean("kappa"), "macro_f1": mean("f1"), "micro_kappa": micro_kappa,
            "kappa": {c: s["kappa"] for c, s in per_code.items()}}


def baseline_rows(items: list[Item], book: Codebook, embedder: Embedder, fraction: float, seed: int):
    """The notebook's zero-shot and (with training items) learned baselines on evaluate()'s split."""
    from sklearn.linear_model import LogisticRegression

    codes, labels = label_matrix(items, book)
    train = stratified_split(labels, fraction, seed)
    test = np.setdiff1d(np.arange(len(items)), train)
    started = time.perf_counter()
    vectors = embedder.encode([item.text for item in items])
    definitions = embedder.encode([code.definition for _, code in book.walk()])
    cosine = vectors[test] @ definitions.T
    truth = labels[test]

    def scored(predicted: np.ndarray) -> dict:
        per_code = {codes[j].key: binary_scores(truth[:, j], predicted[:, j]) for j in range(len(codes))}
        return summary(per_code, binary_scores(truth.ravel(), predicted.ravel())["kappa"])

    # the notebook's "best global threshold" is picked on the test items themselves: an upper bound
    zero = max((scored(cosine >= t) for t in np.unique(np.round(cosine, 3))),
               key=lambda r: r["macro_kappa"] if r["macro_kappa"] is not None else -1.0)
    rows = [("baseline zero-shot (oracle threshold)", zero, time.perf_counter() - started)]
    if len(train):
        started = time.perf_counter()
        predicted = np.zeros_like(truth)
        for j in range(len(codes)):
            y = labels[train, j]
            if y.min() == y.max():  # one class among few training items: predict it
                predicted[:, j] = y[0]
            else:
                predicted[:, j] = LogisticRegression(max_iter=1000).fit(vectors[train], y).predict(vectors[test])
        rows.append(("baseline MiniLM + logistic regression", scored(predicted), time.perf_counter() - started))
    return len(train), len(test), rows


def print_row(method: str, n_train: int, n_test: int, result: dict, seconds: float) -> None:
    per_code = " ".join(f"{_fmt(result['kappa'].get(c)):>9}" for c in CODES)
    print(f"{method:40} {n_train:>5} {n_test:>5} {_fmt(result['macro_kappa']):>7} {_fmt(result['macro_f1']):>7} "
          f"{_fmt(result['micro_kappa']):>7} {seconds:>7.1f}  {per_code}", flush=True)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="AnnoMI dataset.csv or a subset with its columns")
    parser.add_argument("--codebook", type=Path, default=ROOT / "codebooks" / "mi_therapist.yaml")
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.0, 0.05, 0.1, 0.3])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", help="embedding model (default: $QUALCODE_EMBEDDING_MODEL or the packaged use-multilingual-v3)")
    parser.add_argument("--engine", choices=autocode.ENGINES, default="auto")
    parser.add_argument("--baseline", action="store_true", help="add the plain-notebook rows (MiniLM)")
    args = parser.parse_args()

    items = therapist_items(args.data)
    book, _ = read_codebook_file(args.codebook)
    codes, labels = label_matrix(items, book)
    counts = ", ".join(f"{c.key} {n}" for c, n in zip(codes, labels.sum(axis=0)))
    embedder = load_embedder(args.model)
    print(f"{len(items)} therapist utterances ({counts}); model {embedder.model_id}, engine {args.engine}, "
          f"seed {args.seed}")
    print(f"{'method':40} {'train':>5} {'test':>5} {'macro κ':>7} {'mac F1':>7} {'micro κ':>7} {'seconds':>7}  "
          + " ".join(f"{'κ ' + c[:7]:>9}" for c in CODES))
    for fraction in args.fractions:
        report = evaluate(items, book, embedder, fraction, args.seed, args.engine)
        result = summary(report["per_code"], report["micro"]["kappa"])
        engine = report["engine"] if report["n_train"] else "zero-shot"
        print_row(f"qualcode {engine} @ {fraction:g}", report["n_train"], report["n_test"], result,
                  report["seconds"])
        if args.baseline:
            n_train, n_test, rows = baseline_rows(items, book, load_embedder(MINILM_MODEL_ID), fraction, args.seed)
            for method, row, seconds in rows:
                print_row(method, n_train, n_test, row, seconds)


if __name__ == "__main__":
    main()
