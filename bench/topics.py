"""Topic discovery: turn-level quality against hand-labelled transcripts, and fit time and peak
memory at 2k, 10k and 50k segments with cached embeddings.

Quality. tests/data/topic_labels.csv tags every turn of three shipped groups (fg05, fg06 in
English, fg01 in Russian) with the block of the moderator's guide under discussion. For each
language the segments are fitted as `qualcode topics` fits them and each participant turn gets
its segments' majority topic; NMI and ARI against the labels (outliers count as one cluster),
mean ± sd over seeds, for stock BERTopic, ours on single segments, ours with context windows,
and k-means with k = the true number of topics on single-turn and context-window vectors.
Then context ablations: each setting of the window changed alone.

Scale. Synthetic groups of N turns, one segment each ("sentence sentence" drawn from the shipped
transcripts, a moderator every eighth turn). Their vectors are NOT encoded: each is the
normalised sum of its two sentences' cached vectors, written to the embedding cache, so a run
finds everything cached as it would after `qualcode autocode`. Each size runs in a fresh process
that never loads the embedding model; UMAP's JIT compile is warmed up first and reported apart.

The figures in the README were measured with the packaged MiniLM, which this script keeps using.

    .venv/bin/python bench/topics.py [--sizes 2000,10000,50000] [--seeds 3] [--skip-quality] [--skip-scale]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from qualcode import topics  # noqa: E402
from qualcode.topics.context import Window, context_vectors  # noqa: E402
from qualcode.autocode.embed import MINILM_MODEL_ID, embed_texts, load_embedder  # noqa: E402
from qualcode.ingest.importer import ImportOptions, import_files  # noqa: E402
from qualcode.store.model import Document, Segment, Turn  # noqa: E402
from qualcode.store import Store, find_project  # noqa: E402
from qualcode.topics.topic_runs import TopicOptions, load_corpus, run_topics  # noqa: E402

LABELS = ROOT / "tests" / "data" / "topic_labels.csv"
GROUPS = {"en": ["fg05_en_teams.vtt", "fg06_en_recipients.xlsx"], "ru": ["fg01_recipients_almaty.txt"]}
ABLATIONS = {"no moderator boundary": {"boundary": 1.0}, "hard boundary": {"boundary": 0.0},
             "every moderator turn a boundary (probes too)": {"question_words": 0},
             "no back-channel weighting": {"short_words": 1}, "±2 turns": {"turns": 2}, "±10 turns": {"turns": 10},
             "own segment weight 0 (context only)": {"own": 0.0}, "own segment weight 1": {"own": 1.0}}


class CachedOnly:
    """An embedder for runs whose every text is cached: it has the model id and refuses to encode."""

    model_id = MINILM_MODEL_ID

    def __init__(self, vectors: dict[str, np.ndarray] | None = None):
        self.vectors = vectors or {}

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self.vectors]
        if missing:
            raise RuntimeError(f"{len(missing)} texts were not cached, e.g. {missing[0][:60]!r}")
        return np.vstack([self.vectors[t] for t in texts])


# --- quality ------------------------------------------------------------------------------------

def shipped_store(folder: Path) -> Store:
    """The shipped focus groups (not the survey), imported as `qualcode import` would."""
    store = Store(str(folder / "shipped.db"))
    import_files(store, sorted(p for p in (ROOT / "transcripts").glob("fg0*") if "attributes" not in p.name),
                 ImportOptions())
    return store


def turn_keys(store: Store, segment_ids: list[int]) -> list[tuple[str, int]]:
    with store.read() as session:
        rows = {s: (d, o) for s, d, o in session.execute(
            select(Segment.id, Document.name, Turn.order).join(Document, Document.id == Segment.document_id)
            .join(Turn, Turn.id == Segment.turn_id).where(Segment.id.in_(segment_ids)))}
    return [rows[s] for s in segment_ids]


def by_turn(keys: list[tuple[str, int]], labels: np.ndarray) -> dict[tuple[str, int], int]:
    """A turn's topic: the most common non-outlier topic of its segments (else -1)."""
    votes: dict[tuple[str, int], Counter] = {}
    for key, label in zip(keys, labels.tolist()):
        votes.setdefault(key, Counter())[label] += 1
    return {k: next((t for t, _ in c.most_common() if t != -1), -1) for k, c in votes.items()}


def turn_means(keys: list[tuple[str, int]], vectors: np.ndarray) -> tuple[list[tuple[str, int]], np.ndarray]:
    order = list(dict.fromkeys(keys))
    index = {k: i for i, k in enumerate(order)}
    sums = np.zeros((len(order), vectors.shape[1]))
    np.add.at(sums, [index[k] for k in keys], vectors)
    return order, sums / np.linalg.norm(sums, axis=1, keepdims=True).clip(1e-12)


def score(truth: dict, predicted: dict) -> tuple[float, float, float, int]:
    """NMI, ARI, share of outlier turns, topics found."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    keys = [k for k in predicted if k in truth]
    y, p = [truth[k] for k in keys], [predicted[k] for k in keys]
    return (normalized_mutual_info_score(y, p), adjusted_rand_score(y, p), float(np.mean(np.array(p) == -1)),
            len(set(p) - {-1}))


def stock_bertopic(texts: list[str], vectors: np.ndarray, seed: int) -> np.ndarray:
    """BERTopic as its README runs it (UMAP 15 neighbours, HDBSCAN min size 10), given embeddings."""
    from bertopic import BERTopic
    from umap import UMAP

    umap = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels, _ = BERTopic(embedding_model=None, umap_model=umap).fit_transform(texts, embeddings=vectors)
    return np.asarray(labels)


def kmeans_turns(keys, vectors, k: int, seed: int) -> dict:
    from sklearn.cluster import KMeans

    order, means = turn_means(keys, vectors)
    return dict(zip(order, KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(means).tolist()))


def quality(store: Store, seeds: int) -> None:
    truth = {(r["document"], int(r["turn"])): r["topic"] for r in csv.DictReader(LABELS.open(encoding="utf-8"))}
    embedder = load_embedder(MINILM_MODEL_ID)
    for language, names in GROUPS.items():
        evaluate_group(store, embedder, truth, language, names, seeds)


def evaluate_group(store: Store, embedder, truth: dict, language: str, names: list[str], seeds: int) -> None:
    with store.read() as session:
        corpus = load_corpus(session, find_project(session).id, TopicOptions(documents=names))
    raw, _ = embed_texts(store, embedder, corpus.texts)
    rows = np.flatnonzero(corpus.in_scope)
    texts = [corpus.texts[i] for i in rows]
    keys = turn_keys(store, [corpus.segment_ids[i] for i in rows])
    k = len({truth[key] for key in keys})
    sizes = topics.scaled_sizes(len(rows))

    def context(**change) -> np.ndarray:
        window = Window(**{**Window().as_dict(), **change})
        return context_vectors(raw, corpus.layout, window)[rows]

    ctx = context()
    methods = {
        "BERTopic, stock settings, single segments": lambda s: by_turn(keys, stock_bertopic(texts, raw[rows], s)),
        "ours, single segments": lambda s: by_turn(keys, topics.fit(texts, raw[rows], sizes, s)),
        "ours + context windows": lambda s: by_turn(keys, topics.fit(texts, ctx, sizes, s)),
        "ours + context + outlier reduction":
            lambda s: by_turn(keys, topics.fit(texts, ctx, sizes, s, reduce_outliers=True)),
        f"k-means (k={k}), single-turn vectors": lambda s: kmeans_turns(keys, raw[rows], k, s),
        f"k-means (k={k}), context-window vectors": lambda s: kmeans_turns(keys, ctx, k, s),
    }
    print(f"\n{language}: {', '.join(names)} — {len(rows)} participant segments, "
          f"{len(set(keys))} turns, {k} labelled topics; ours: {sizes.as_dict()}")
    print(f"{'method':<48} {'NMI':>13} {'ARI':>13} {'outlier turns':>14} {'topics':>7}")
    for name, method in methods.items():
        results = np.array([score(truth, method(seed)) for seed in range(seeds)])
        mean, sd = results.mean(axis=0), results.std(axis=0)
        print(f"{name:<48} {mean[0]:.3f} ± {sd[0]:.3f} {mean[1]:.3f} ± {sd[1]:.3f} {mean[2]:>13.0%} "
              f"{mean[3]:>7.0f}")
    print(f"{'context ablation (mean over seeds)':<48} {'k-means NMI':>13} {'ours NMI':>13} {'ours ARI':>13}")
    for name, change in {"defaults": {}, **ABLATIONS}.items():
        variant = context(**change)
        kmeans = np.mean([score(truth, kmeans_turns(keys, variant, k, seed))[0] for seed in range(seeds)])
        ours = np.mean([score(truth, by_turn(keys, topics.fit(texts, variant, sizes, seed)))[:2]
                        for seed in range(seeds)], axis=0)
        print(f"{name:<48} {kmeans:>13.3f} {ours[0]:>13.3f} {ours[1]:>13.3f}")


# --- scale --------------------------------------------------------------------------------------

def sentence_pool(store: Store) -> tuple[list[str], np.ndarray]:
    """Participant segments of the shipped groups with their vectors (encoded once, cached)."""
    with store.read() as session:
        corpus = load_corpus(session, find_project(session).id, TopicOptions())
    texts = [t for t, inside in zip(corpus.texts, corpus.in_scope) if inside and len(t.split()) >= 4]
    vectors, _ = embed_texts(store, load_embedder(MINILM_MODEL_ID), texts)
    return texts, vectors


def synthetic_store(path: Path, n: int, pool: tuple[list[str], np.ndarray], per_file: int = 1000) -> None:
    texts, vectors = pool
    rng = random.Random(n)
    store = Store(str(path))
    folder = path.parent / f"synthetic_{n}"
    folder.mkdir()
    made, composed, files = 0, {}, []
    while made < n:
        lines = []
        for i in range(min(per_file, n - made)):
            if i % 8 == 0:
                lines.append(f"Moderator: Let us move on to question {made + i}, what do you think?")
            a, b = rng.randrange(len(texts)), rng.randrange(len(texts))
            text = f"{texts[a]} {texts[b]}"
            vector = vectors[a] + vectors[b]
            composed[text] = vector / np.linalg.norm(vector)
            lines.append(f"P{i % 7 + 1}: {text}")
        made += min(per_file, n - made)
        files.append(folder / f"group_{len(files):03d}.txt")
        files[-1].write_text("\n".join(lines), encoding="utf-8")
    import_files(store, files, ImportOptions(unit="turn", moderator="Moderator"))
    with store.read() as session:
        corpus = load_corpus(session, find_project(session).id, TopicOptions())
    moderator = [t for t, inside in zip(corpus.texts, corpus.in_scope) if not inside]
    rng_np = np.random.default_rng(0)
    for t in moderator:  # their turns give context only; any vector will do
        v = rng_np.normal(size=vectors.shape[1])
        composed[t] = v / np.linalg.norm(v)
    embed_texts(store, CachedOnly(composed), corpus.texts)
    store.close()


def memory_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak since the last reset) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def child(db: str) -> None:
    """One timed run in this fresh process: warm UMAP's JIT up, then fit everything in scope."""
    started = time.perf_counter()
    rng = np.random.default_rng(1)
    warm = rng.normal(size=(300, 384)).astype(np.float32)
    topics.fit(["word"] * 300, warm / np.linalg.norm(warm, axis=1, keepdims=True), topics.scaled_sizes(300), 0)
    warmup = time.perf_counter() - started
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to what is resident now
    before = memory_mb("VmRSS")
    started = time.perf_counter()
    report = run_topics(Store(db), TopicOptions(), embedder=CachedOnly())
    print(json.dumps({"seconds": time.perf_counter() - started, "warmup": warmup, "before_mb": before,
                      "peak_mb": memory_mb("VmHWM"), "segments": len(report["assignments"]),
                      "topics": len(report["topics"]), "outliers": report["outliers"],
                      "sizes": {k: report["parameters"][k] for k in ("min_topic_size", "min_samples", "n_neighbors")}}))


def scale(store: Store, folder: Path, sizes: list[int]) -> None:
    pool = sentence_pool(store)
    print(f"\nscale: synthetic segments = two of {len(pool[0]):,} shipped participant sentences; their vectors "
          "are the normalised sum of the two sentences' cached vectors (not re-encoded)")
    print("RSS before = resident after imports and JIT warm-up (bertopic imports torch); peak = during the run")
    print(f"{'segments':>9} {'build s':>8} {'fit s':>7} {'topics':>7} {'outliers':>9} {'RSS before':>11} "
          f"{'peak RSS':>9}  sizes")
    for n in sizes:
        started = time.perf_counter()
        db = folder / f"scale_{n}.db"
        synthetic_store(db, n, pool)
        build = time.perf_counter() - started
        out = subprocess.run([sys.executable, __file__, "--child", str(db)], capture_output=True, text=True,
                             check=False)
        if out.returncode:
            print(f"{n:>9,} failed: {out.stderr.strip().splitlines()[-1]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['segments']:>9,} {build:>8.0f} {r['seconds']:>7.1f} {r['topics']:>7} {r['outliers']:>9,} "
              f"{r['before_mb']:>8.0f} MB {r['peak_mb']:>6.0f} MB  {r['sizes']} (JIT warm-up {r['warmup']:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,10000,50000", help="segment counts, comma-separated")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        store = shipped_store(Path(tmp))
        if not args.skip_quality:
            quality(store, args.seeds)
        if not args.skip_scale:
            scale(store, Path(tmp), [int(s) for s in args.sizes.split(",")])
    print(f"\nbench time {time.perf_counter() - started:.0f} s on {len(os.sched_getaffinity(0))} CPUs")


if __name__ == "__main__":
    main()
