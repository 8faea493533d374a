"""Words as a search engine and a contrast counts them: tokens, a crude stem per language, BM25.

Russian and Kazakh inflect heavily ("очередь", "очереди", "очередях"), so a token is cut to its
first STEM_CHARS code points there; English drops a plural "s". That is cruder than a real
stemmer but needs no data, treats Kazakh as well as Russian, and is the same for every user.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import numpy as np

TOKEN = re.compile(r"\w+", re.UNICODE)
STEM_CHARS = {"ru": 5, "kk": 5}
MIN_CHARS = 3       # shorter tokens (и, в, of, a) carry little; BM25's idf would mute them anyway
BM25_K1, BM25_B = 1.2, 0.75


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    """spaCy's lists (and Kazakh's), loaded only when a contrast asks."""
    from qualcode.topics import stop_words
    return frozenset(stop_words())


def stems(text: str, language: str = "", content_only: bool = False) -> list[str]:
    """Lower-cased word stems of `text` for its language ('ru', 'kk', 'en', or a mix like 'kk-ru');
    `content_only` leaves out English, Russian and Kazakh stop words (и, это, мен, the, and)."""
    primary = (language or "").lower().split("-")[0].split("_")[0]
    cut = STEM_CHARS.get(primary, 0)
    stop = _stop_words() if content_only else frozenset()
    out = []
    for token in TOKEN.findall(text.casefold()):
        if len(token) < MIN_CHARS or token.isdigit() or token in stop:
            continue
        if cut == 0 and primary != "en" and re.search(r"[а-яёәғқңөұүһі]", token):
            cut_here = 5     # Cyrillic inside an unknown-language text: stem it as Russian/Kazakh
        else:
            cut_here = cut
        if cut_here:
            token = token[:cut_here]
        elif token.endswith("s") and not token.endswith("ss") and len(token) > 3:
            token = token[:-1]
        out.append(token)
    return out


def bm25(query: list[str], documents: list[list[str]]) -> np.ndarray:
    """Okapi BM25 of each tokenised document for the query's stems (0 where none occurs)."""
    n = len(documents)
    if n == 0:
        return np.zeros(0)
    lengths = np.array([len(d) for d in documents], dtype=float)
    mean_length = max(lengths.mean(), 1.0)
    counts = [Counter(d) for d in documents]
    scores = np.zeros(n)
    for term in set(query):
        df = sum(1 for c in counts if term in c)
        if df == 0:
            continue
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        tf = np.array([c.get(term, 0) for c in counts], dtype=float)
        scores += idf * tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * lengths / mean_length))
    return scores
