"""Speaker turns without a diarization model: utterances grouped into voices by how they sound.

Each utterance becomes a vector of MFCC statistics (mean and spread of 13 cepstral coefficients
and their deltas over its voiced frames); the vectors are standardised and clustered (Ward
agglomerative). With no number of voices given, the count with the best silhouette wins, and one
voice when no split separates well. The labels are suggestions the researcher corrects.
"""

from __future__ import annotations

import numpy as np
from scipy.fft import dct

from qualcode.recording.audio import RATE

FRAME = 400      # 25 ms
HOP = 160        # 10 ms
MELS = 26
COEFFS = 13
MAX_VOICES = 8
MIN_SILHOUETTE = 0.15


def _mel_filters() -> np.ndarray:
    def to_mel(hz):
        return 2595 * np.log10(1 + hz / 700)
    points = 700 * (10 ** (np.linspace(to_mel(60), to_mel(RATE / 2 - 200), MELS + 2) / 2595) - 1)
    bins = np.floor((512 + 1) * points / RATE).astype(int)
    filters = np.zeros((MELS, 257))
    for m in range(1, MELS + 1):
        left, centre, right = bins[m - 1], bins[m], bins[m + 1]
        filters[m - 1, left:centre] = (np.arange(left, centre) - left) / max(centre - left, 1)
        filters[m - 1, centre:right] = (right - np.arange(centre, right)) / max(right - centre, 1)
    return filters


FILTERS = _mel_filters()


def mfcc(samples: np.ndarray) -> np.ndarray:
    """(frames, COEFFS) cepstra of the louder half of the frames (the voiced ones)."""
    if len(samples) < FRAME:
        samples = np.pad(samples, (0, FRAME - len(samples)))
    emphasised = np.append(samples[0], samples[1:] - 0.97 * samples[:-1])
    count = 1 + (len(emphasised) - FRAME) // HOP
    index = np.arange(FRAME)[None, :] + HOP * np.arange(count)[:, None]
    frames = emphasised[index] * np.hamming(FRAME)
    power = np.abs(np.fft.rfft(frames, 512)) ** 2 / 512
    energy = power.sum(axis=1)
    voiced = energy >= np.median(energy)
    log_mel = np.log(power[voiced] @ FILTERS.T + 1e-10)
    return dct(log_mel, type=2, axis=1, norm="ortho")[:, :COEFFS]


def features(samples: np.ndarray) -> np.ndarray:
    """One vector per piece of speech: mean and spread of cepstra and deltas (c0, loudness, left out)."""
    cepstra = mfcc(samples)[:, 1:]
    deltas = np.diff(cepstra, axis=0) if len(cepstra) > 1 else np.zeros_like(cepstra)
    return np.concatenate([cepstra.mean(0), cepstra.std(0), deltas.std(0)])


def group(vectors: list[np.ndarray], voices: int | None = None) -> list[int]:
    """A voice number (0-based, in order of first appearance) for each vector."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import silhouette_score

    count = len(vectors)
    if count < 2 or voices == 1:
        return [0] * count
    matrix = np.asarray(vectors)
    matrix = (matrix - matrix.mean(0)) / (matrix.std(0) + 1e-8)
    if voices:
        labels = AgglomerativeClustering(n_clusters=min(voices, count)).fit_predict(matrix)
    else:
        best, labels = MIN_SILHOUETTE, np.zeros(count, dtype=int)
        for k in range(2, min(MAX_VOICES, count - 1) + 1):
            candidate = AgglomerativeClustering(n_clusters=k).fit_predict(matrix)
            score = silhouette_score(matrix, candidate)
            if score > best:
                best, labels = score, candidate
    first_seen: dict[int, int] = {}
    for label in labels:
        first_seen.setdefault(int(label), len(first_seen))
    return [first_seen[int(label)] for label in labels]
