"""Topic discovery with BERTopic over cached segment embeddings: the engine, on plain arrays.

BERTopic gets the vectors (it never embeds anything: no embedding model) and runs UMAP and
HDBSCAN sized to the corpus. Two things are done here rather than inside them, for speed
and robustness on a laptop:

- the k nearest neighbours for UMAP are exact cosine neighbours from one matrix product
  (chunked); UMAP's own approximate search costs far more on a CPU than the embedding it serves;
- identical vectors are fitted once and share a topic (UMAP breaks on duplicate points, and
  "Да." forty times is one thing said, not a theme);
- HDBSCAN selects leaf clusters: its default ("excess of mass") put single-sentence embeddings
  of two shipped groups into 2 giant topics (bench/topics.py), leaves give the finest clusters
  that still hold `min_topic_size` segments.

Keywords are class-based TF-IDF over the final topics with stop words for English, Russian
(spaCy's lists) and Kazakh (ours, `data/stopwords_kk.txt`), all at once because speakers switch
language mid-turn; for any other language the c-TF-IDF down-weighting of frequent words is the
fallback. Representative quotes are the segments nearest their topic's centroid. The store
glue (scopes, runs, codes) is `qualcode.topics.topic_runs`.

Package `topics`: the engine (here), conversation context (`context.py`), stored runs
(`topic_runs.py`) and charts (`topic_charts.py`). It may import `common`, `store`, `ingest`,
`recording`, `codebook`, `autocode`, `coding`, `team`, `deid`, `export` (tests/test_layout.py checks
it).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from qualcode.common.errors import QualcodeError

MIN_SEGMENTS = 40        # fewer distinct segments than this give no topics worth reading
KEYWORDS = 10
QUOTES = 5
QUOTE_MIN_WORDS = 5      # shorter quotes are used only when a topic has nothing longer
KNN_CHUNK = 256          # rows per block of the exact neighbour search (bounds memory: ~16 bytes × rows × n)
TOKEN = r"(?u)\b[^\W\d_]{2,}\b"   # words of two letters or more, no numbers or timestamps
NOTE = re.compile(r"\[[^\]]{0,40}\]|\([^)]{0,40}\)")   # transcriber's notes: [laughter], (смех), (пауза)
_STOPWORDS_KK = Path(__file__).parent.parent / "data" / "stopwords_kk.txt"


@dataclass(frozen=True)
class Sizes:
    """UMAP and HDBSCAN settings for one corpus."""

    min_topic_size: int
    min_samples: int
    n_neighbors: int
    n_components: int = 5
    n_epochs: int = 200

    def as_dict(self) -> dict:
        return asdict(self)


def scaled_sizes(n: int, min_topic_size: int | None = None) -> Sizes:
    """Sizes that grow with the corpus: a theme in 300 segments is a handful of them, in 30,000
    it is dozens; the UMAP neighbourhood grows slowly so that clusters stay local."""
    size = min_topic_size or int(np.clip(round(np.sqrt(n) / 2), 5, 100))
    if size < 2:
        raise QualcodeError("the smallest topic size (--min-topic-size) must be at least 2")
    return Sizes(min_topic_size=size, min_samples=max(2, size // 3),
                 n_neighbors=int(np.clip(round(n ** (1 / 3)), 10, 40)))


def check_corpus(n_distinct: int, sizes: Sizes) -> None:
    """Refuse, in one line, a scope too small to hold two topics."""
    needed = max(MIN_SEGMENTS, 2 * sizes.min_topic_size)
    if n_distinct < needed:
        raise QualcodeError(f"too few segments for topics: {n_distinct} distinct segment(s) in scope, at least "
                            f"{needed} needed (minimum {MIN_SEGMENTS}, and twice the minimum topic size "
                            f"{sizes.min_topic_size}); widen the scope or lower the smallest topic size (--min-topic-size)")


@lru_cache(maxsize=1)
def stop_words() -> tuple[str, ...]:
    """English, Russian and Kazakh stop words that the tokenizer can produce."""
    from spacy.lang.en.stop_words import STOP_WORDS as EN
    from spacy.lang.ru.stop_words import STOP_WORDS as RU

    kk = [w.strip() for w in _STOPWORDS_KK.read_text(encoding="utf-8").splitlines()
          if w.strip() and not w.startswith("#")]
    token = re.compile(TOKEN)
    return tuple(sorted({w.lower() for w in [*EN, *RU, *kk] if token.fullmatch(w)}))


def vectorizer():
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(stop_words=list(stop_words()), token_pattern=TOKEN, ngram_range=(1, 2), lowercase=True)


def distinct_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each distinct vector in original order, row → index into those)."""
    _, first, inverse = np.unique(np.round(vectors, 5), axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order], rank[inverse.ravel()]


def exact_knn(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosine distances of each row's k nearest rows (itself first), for UMAP."""
    n = len(vectors)
    index = np.empty((n, k), dtype=np.int64)
    distance = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, KNN_CHUNK):
        sims = vectors[start:start + KNN_CHUNK] @ vectors.T
        rows = np.arange(len(sims))
        sims[rows, rows + start] = np.inf  # a row is its own nearest neighbour, whatever rounding says
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(sims, top, axis=1)
        order = np.argsort(-top_sims, axis=1, kind="stable")
        index[start:start + KNN_CHUNK] = np.take_along_axis(top, order, axis=1)
        distance[start:start + KNN_CHUNK] = np.clip(1 - np.take_along_axis(top_sims, order, axis=1), 0, 2)
    return index, distance


def guide_labels(vectors: np.ndarray, prototypes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Guided mode: label segments closer to a code prototype than to the corpus mean with that
    code (semi-supervised UMAP target, -1 = free) and pull them a quarter of the way towards it."""
    anchors = np.vstack([prototypes, vectors.mean(axis=0, keepdims=True)])
    anchors = anchors / np.linalg.norm(anchors, axis=1, keepdims=True).clip(1e-12)
    best = (vectors @ anchors.T).argmax(axis=1)
    y = np.where(best == len(prototypes), -1, best)
    nudged = vectors.copy()
    seeded = y >= 0
    nudged[seeded] = 0.75 * vectors[seeded] + 0.25 * anchors[y[seeded]]
    return y, nudged / np.linalg.norm(nudged, axis=1, keepdims=True).clip(1e-12)


def fit(texts: list[str], vectors: np.ndarray, sizes: Sizes, seed: int, reduce_outliers: bool = False,
        guide: np.ndarray | None = None) -> np.ndarray:
    """A topic per row (-1 = outlier), topics numbered by size, the same for the same seed."""
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from hdbscan import HDBSCAN
    from umap import UMAP

    first, inverse = distinct_rows(vectors)
    check_corpus(len(first), sizes)
    unique = np.ascontiguousarray(vectors[first], dtype=np.float32)
    docs = [texts[i] for i in first]
    if not any(re.search(TOKEN, d) for d in docs):
        raise QualcodeError("the segments in scope contain no words to describe topics with")
    umap = UMAP(n_neighbors=sizes.n_neighbors, n_components=sizes.n_components, min_dist=0.0, metric="cosine",
                n_epochs=sizes.n_epochs, random_state=seed,
                precomputed_knn=exact_knn(unique, sizes.n_neighbors) + (None,))
    hdbscan = HDBSCAN(min_cluster_size=sizes.min_topic_size, min_samples=sizes.min_samples,
                      cluster_selection_method="leaf", prediction_data=False)
    model = BERTopic(embedding_model=None, umap_model=umap, hdbscan_model=hdbscan, vectorizer_model=vectorizer(),
                     ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True), top_n_words=KEYWORDS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # UMAP: "n_jobs overridden by random_state", spectral-init notices
        labels, _ = model.fit_transform(docs, embeddings=unique, y=None if guide is None else guide[first])
        if reduce_outliers and -1 in labels and len(set(labels)) > 1:
            labels = model.reduce_outliers(docs, labels, strategy="embeddings", embeddings=unique)
    return np.asarray(labels, dtype=np.int64)[inverse]


def keywords(texts: list[str], labels: np.ndarray, top: int = KEYWORDS) -> dict[int, list[str]]:
    """c-TF-IDF keywords per topic (outliers take part as a class, so their words are not
    everyone's, but get none)."""
    from bertopic.vectorizers import ClassTfidfTransformer

    classes = sorted(set(labels.tolist()))
    joined = [NOTE.sub(" ", " ".join(texts[i] for i in np.flatnonzero(labels == c))) for c in classes]
    try:
        counts = vectorizer().fit(joined)
        matrix = ClassTfidfTransformer(reduce_frequent_words=True).fit_transform(counts.transform(joined)).toarray()
    except ValueError:  # nothing but stop words
        return {c: [] for c in classes if c != -1}
    words = counts.get_feature_names_out()
    return {c: [str(words[j]) for j in np.argsort(-row, kind="stable")[:top] if row[j] > 0]
            for c, row in zip(classes, matrix) if c != -1}


def centroids(vectors: np.ndarray, labels: np.ndarray) -> dict[int, np.ndarray]:
    """Unit mean vector of each topic."""
    out = {}
    for topic in sorted(set(labels.tolist()) - {-1}):
        mean = vectors[labels == topic].mean(axis=0)
        out[topic] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return out


def representatives(vectors: np.ndarray, labels: np.ndarray, texts: list[str],
                    top: int = QUOTES) -> dict[int, list[int]]:
    """Rows of each topic's most typical quotes: nearest the centroid, distinct, long enough to read."""
    out = {}
    for topic, centre in centroids(vectors, labels).items():
        rows = np.flatnonzero(labels == topic)
        sims = vectors[rows] @ centre
        ranked = sorted(range(len(rows)), key=lambda r: (len(texts[rows[r]].split()) < QUOTE_MIN_WORDS, -sims[r]))
        picked, seen = [], set()
        for r in ranked:
            text = " ".join(texts[rows[r]].lower().split())
            if text not in seen:
                seen.add(text)
                picked.append(int(rows[r]))
            if len(picked) == top:
                break
        out[topic] = picked
    return out


def nearest(centres: dict[int, np.ndarray], prototypes: np.ndarray, top: int = 3) -> dict[int, list[tuple[int, float]]]:
    """Per topic, the `top` closest prototypes as (prototype row, cosine)."""
    if not len(prototypes):
        return {t: [] for t in centres}
    out = {}
    for topic, centre in centres.items():
        sims = prototypes @ centre
        out[topic] = [(int(j), round(float(sims[j]), 4)) for j in np.argsort(-sims, kind="stable")[:top]]
    return out
