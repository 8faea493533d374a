"""The auto-coder against people on held-out items, beside a careful plain baseline on the same
vectors and the same split, with the ablations of context and exclusivity.

For each fraction and seed: `qualcode.autocode.evaluate.evaluate` (the app's pipeline: the engine, the
codebook's structure, calibrated thresholds) and the baseline the issue names — a
class-balanced logistic regression on the same sentence vectors, one multinomial model choosing
exactly one code per item when every scored item has exactly one code, else one binary model per
code at 0.5. Prints macro κ (each code a present/absent decision) and the precision of the
suggestions shown (micro). `--ablate` adds the engine without the neighbouring turns and without
exclusive groups.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/autocode_eval.py --data ITEMS.csv --codebook CB.yaml \
        [--fractions 0 0.05 0.1 0.3] [--seeds 0 1] [--model use-multilingual-v3] [--ablate] [--baseline]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qualcode.refi.codebook_files import read_codebook_file  # noqa: E402
from qualcode.autocode.embed import load_embedder  # noqa: E402
from qualcode.autocode.evaluate import binary_scores, evaluate, label_matrix, read_items, stratified_split  # noqa: E402


class Remembering:
    """An embedder that encodes each text once for the whole bench run."""

    def __init__(self, inner):
        self.inner, self.model_id, self.known = inner, inner.model_id, {}

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.known))
        if missing:
            self.known.update(zip(missing, self.inner.encode(missing)))
        return np.array([self.known[t] for t in texts], dtype=np.float32).reshape(len(texts), -1)


def baseline(vectors: np.ndarray, labels: np.ndarray, scored: np.ndarray, fraction: float, seed: int) -> dict:
    """Class-balanced logistic regression on the same vectors and split as `evaluate`."""
    from sklearn.linear_model import LogisticRegression

    train = scored[stratified_split(labels[scored], fraction, seed)]
    test = np.setdiff1d(scored, train)
    used = [j for j in range(labels.shape[1]) if labels[scored, j].any()]
    predicted = np.zeros((len(test), labels.shape[1]), dtype=bool)
    single = bool((labels[scored].sum(axis=1) == 1).all())
    if single:
        model = LogisticRegression(class_weight="balanced", max_iter=2000).fit(vectors[train],
                                                                              labels[train].argmax(axis=1))
        predicted[np.arange(len(test)), model.classes_[model.predict_proba(vectors[test]).argmax(axis=1)]] = True
    else:
        for j in used:
            y = labels[train, j]
            if y.min() != y.max():
                model = LogisticRegression(class_weight="balanced", max_iter=2000).fit(vectors[train], y)
                predicted[:, j] = model.predict(vectors[test]).astype(bool)
    truth = labels[test]
    kappas = [binary_scores(truth[:, j], predicted[:, j])["kappa"] for j in used]
    pooled = binary_scores(truth[:, used].ravel(), predicted[:, used].ravel())
    return {"kappa": float(np.mean([k for k in kappas if k is not None])), "precision": pooled["precision"],
            "n_train": len(train), "kind": "one of k" if single else "binary per code"}


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--codebook", type=Path, required=True)
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.0, 0.05, 0.1, 0.3])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--model", help="embedding model (default: the measured default for the codebook's languages)")
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--ablate", action="store_true", help="also without context and without exclusive groups")
    parser.add_argument("--baseline", action="store_true", help="also the class-balanced logistic regression")
    args = parser.parse_args()

    items = read_items(args.data)
    book, _ = read_codebook_file(args.codebook)
    embedder = Remembering(load_embedder(args.model, languages=book.languages))
    started = time.perf_counter()
    vectors = embedder.encode([item.text for item in items])
    _, labels = label_matrix(items, book)
    scored = np.flatnonzero([item.evaluate for item in items])
    print(f"{args.data.name}: {len(scored)} scored items, {len(items) - len(scored)} context rows; model "
          f"{embedder.model_id} ({time.perf_counter() - started:.1f} s to encode)")
    print(f"{'fraction':>8} {'seed':>4} {'train':>5}  {'method':34} {'macro κ':>7} {'precision':>9} {'seconds':>7}")
    variants = [("qualcode " + args.engine, {})]
    if args.ablate:
        variants += [("  without context", {"context": False}), ("  without exclusive groups", {"exclusive": False})]
    for fraction in args.fractions:
        for seed in args.seeds:
            for name, options in variants:
                r = evaluate(items, book, embedder, fraction, seed, args.engine if fraction else "zero-shot", **options)
                print(f"{fraction:>8g} {seed:>4} {r['n_train']:>5}  {name:34} {_fmt(r['macro']['kappa']):>7} "
                      f"{_fmt(r['micro']['precision']):>9} {r['seconds']:>7.1f}", flush=True)
            if args.baseline and fraction:
                started = time.perf_counter()
                b = baseline(vectors, labels, scored, fraction, seed)
                print(f"{fraction:>8g} {seed:>4} {b['n_train']:>5}  {'baseline LR, ' + b['kind']:34} "
                      f"{_fmt(b['kappa']):>7} {_fmt(b['precision']):>9} {time.perf_counter() - started:>7.1f}",
                      flush=True)


if __name__ == "__main__":
    main()
