"""The speech-to-text engine: samples → timed utterances with language, confidence and words.

The recording is cut at pauses with the Silero voice-activity model that faster-whisper ships;
each piece of speech (an utterance) gets its own language (ru, kk or en — Whisper's scores
restricted to the project's languages, so a Kazakh turn is never called Tatar) and is transcribed
on its own, so that a turn boundary can only fall at a pause. Knows nothing of the store.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from qualcode.common.errors import QualcodeError
from qualcode.recording.audio import RATE

LANGUAGES = ("ru", "kk", "en")
PAUSE_MS = 500              # a silence at least this long ends an utterance
MAX_UTTERANCE_S = 28        # one Whisper window (30 s) with room for padding
LOW_CONFIDENCE = 0.5        # a word below this probability is marked for a second look


@dataclass
class Word:
    text: str
    start: float
    end: float
    probability: float


@dataclass
class Utterance:
    start: float
    end: float
    text: str
    language: str
    confidence: float           # mean word probability
    words: list[Word] = field(default_factory=list)


def speech_spans(samples: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) sample indices of speech, split at pauses of PAUSE_MS or longer."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=PAUSE_MS, speech_pad_ms=120, min_speech_duration_ms=200,
                         max_speech_duration_s=MAX_UTTERANCE_S)
    return [(c["start"], c["end"]) for c in get_speech_timestamps(samples, options)]


def language_scores(model, piece: np.ndarray, allowed: tuple[str, ...]) -> dict[str, float]:
    """Whisper's probability for each allowed language on this piece of speech."""
    _best, _p, scores = model.detect_language(piece)
    ranked = dict(scores)
    return {code: ranked.get(code, 0.0) for code in allowed}


def choose_languages(scores: list[dict[str, float]], switch_ratio: float = 2.0, sure: float = 0.3) -> list[str]:
    """Each piece's language: the recording's main language unless another is clearly more likely
    (switch_ratio times, and at least `sure`), so one mumbled piece does not become English in a
    Russian group while an English answer in it stays English."""
    if not scores:
        return []
    votes = {code: (sum(max(s, key=s.get) == code for s in scores), sum(s[code] for s in scores)) for code in scores[0]}
    main = max(votes, key=votes.get)            # top in most pieces; summed probability breaks a tie
    chosen = []
    for s in scores:
        best = max(s, key=s.get)
        chosen.append(best if s[best] >= sure and s[best] > switch_ratio * s[main] else main)
    return chosen


def transcribe_piece(model, piece: np.ndarray, offset: float, language: str) -> Utterance | None:
    segments, _info = model.transcribe(piece, language=language, word_timestamps=True, beam_size=5,
                                       vad_filter=False, condition_on_previous_text=False)
    words = [Word(w.word, offset + w.start, offset + w.end, w.probability)
             for s in segments for w in (s.words or [])]
    text = "".join(w.text for w in words).strip()
    if not text:
        return None
    confidence = float(np.mean([w.probability for w in words]))
    return Utterance(offset, offset + len(piece) / RATE, text, language, confidence, words)


def transcribe(samples: np.ndarray, language: str | None = None, allowed: tuple[str, ...] = LANGUAGES,
               progress: Callable[[float, float], None] | None = None, model=None, seed: int = 0) -> list[Utterance]:
    """Every utterance of the recording in time order; `language` forces one for all of them.
    `progress(done_seconds, total_seconds)` is called after each utterance. The seed fixes the
    sampling Whisper falls back to on unsure pieces, so the same recording gives the same draft."""
    import ctranslate2

    from qualcode.recording.whisper_files import load_model

    ctranslate2.set_random_seed(seed)

    if language and language not in LANGUAGES:
        raise QualcodeError(f"unknown language '{language}' (choose ru, kk, en or auto)")
    model = model or load_model()
    total = len(samples) / RATE
    spans = speech_spans(samples)
    pieces = [samples[start:end] for start, end in spans]
    chosen = ([language] * len(pieces) if language
              else choose_languages([language_scores(model, piece, allowed) for piece in pieces]))
    found = []
    for (start, end), piece, piece_language in zip(spans, pieces, chosen):
        utterance = transcribe_piece(model, piece, start / RATE, piece_language)
        if utterance:
            found.append(utterance)
        if progress:
            progress(end / RATE, total)
    return found


def is_low(probability: float) -> bool:
    return not math.isnan(probability) and probability < LOW_CONFIDENCE


def time_left(done: float, total: float, elapsed: float) -> float | None:
    """Seconds of work left at the pace so far (None before there is a pace to go by)."""
    if done <= 0 or elapsed <= 0:
        return None
    return max(0.0, (total - done) * elapsed / done)
