"""Recordings decoded in-process with PyAV (no ffmpeg binary): any audio or video container
becomes 16 kHz mono float32 samples, the rate Whisper and the voice features work at."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qualcode.common.errors import IngestError

RATE = 16000
EXTENSIONS = (".wav", ".mp3", ".m4a", ".ogg", ".oga", ".opus", ".flac", ".mp4", ".webm", ".mov", ".mkv")


def is_recording(path: Path | str) -> bool:
    return Path(path).suffix.lower() in EXTENSIONS


def decode(path: Path) -> np.ndarray:
    """The first audio stream of `path` as 16 kHz mono samples in [-1, 1]; one-line error otherwise."""
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise IngestError("has no audio stream")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            chunks = []
            for frame in container.decode(audio=0):
                chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    except IngestError:
        raise
    except (av.FFmpegError, OSError, ValueError) as err:
        reason = getattr(err, "strerror", None) or str(err).splitlines()[0][:200]
        raise IngestError(f"cannot be decoded as audio ({reason})") from None
    if not chunks:
        raise IngestError("contains no audio samples")
    samples = np.concatenate(chunks).astype(np.float32) / 32768.0
    if samples.size < RATE // 2:
        raise IngestError("is shorter than half a second")
    return samples
