"""Word error rate, real-time factor and speaker grouping of the offline transcription, per language.

The speech is synthesised with espeak-ng (tests/speech_fixture.py: two voices taking turns, a
known silence between turns), so the true words, times and speakers are exact. Synthetic speech
is clean and regular: it FLATTERS the speaker grouping and the turn boundaries, while espeak's
Russian and especially Kazakh pronunciation is poor enough to make the WER worse than on a real
speaker. Read the figures as a check that the pipeline works, not as the accuracy on a focus group.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/transcribe.py [--languages ru en kk] [--repeat 2] [--seed 0]

WER: detected language per utterance (as `qualcode import` does by default); WER_forced: with
`--language` given. RTF: transcription and grouping wall seconds per second of audio (detected
run); CPU_s/audio_s: the process's CPU seconds per audio second, which other work on the machine
does not inflate (on an idle 2-core machine RTF is about half of it).
Grouping: share of utterances given the right voice (--speakers 2), best pairing of voices.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from qualcode.recording import audio, transcribe, voices  # noqa: E402
from qualcode.recording.whisper_files import load_model  # noqa: E402
from speech_fixture import DIALOGUES, synthesise  # noqa: E402


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower().replace("ё", "е"))


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def grouping_accuracy(spoken, utterances, labels) -> float:
    """Share of utterances whose voice matches the true speaker, under the best voice↔speaker pairing."""
    truth_voice = {v: i for i, v in enumerate(dict.fromkeys(s.voice for s in spoken))}
    pairs = []
    for utterance, label in zip(utterances, labels):
        overlap = [max(0.0, min(utterance.end, s.end) - max(utterance.start, s.start)) for s in spoken]
        pairs.append((truth_voice[spoken[int(np.argmax(overlap))].voice], label))
    table = np.zeros((max(len(truth_voice), max(labels) + 1),) * 2)
    for truth, label in pairs:
        table[truth, label] += 1
    rows, cols = linear_sum_assignment(-table)
    return table[rows, cols].sum() / max(len(pairs), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", nargs="+", default=["ru", "en", "kk"])
    parser.add_argument("--repeat", type=int, default=2, help="the dialogue spoken this many times in a row")
    parser.add_argument("--seed", type=int, default=0, help="for the sampling Whisper falls back to on unsure pieces")
    args = parser.parse_args()
    model = load_model()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("language  audio_s  WER    WER_forced  RTF    CPU_s/audio_s  grouping  boundary_err_s  "
          "(espeak-ng speech: synthetic, see docstring)")
    with tempfile.TemporaryDirectory() as folder:
        for language in args.languages:
            path = Path(folder) / f"{language}.wav"
            spoken = synthesise(DIALOGUES[language] * args.repeat, path)
            samples = audio.decode(path)
            began, cpu_began = time.perf_counter(), time.process_time()
            # language detected, as `qualcode import` does by default
            utterances = transcribe.transcribe(samples, model=model, seed=args.seed)
            labels = voices.group([voices.features(samples[int(u.start * audio.RATE):int(u.end * audio.RATE)])
                                   for u in utterances], 2)
            elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
            ref = [w for s in spoken for w in words(s.text)]
            hyp = [w for u in utterances for w in words(u.text)]
            wer = edit_distance(ref, hyp) / len(ref)
            starts = [min(abs(u.start - s.start) for u in utterances) for s in spoken]
            seconds = len(samples) / audio.RATE
            forced_run = transcribe.transcribe(samples, language, model=model, seed=args.seed)
            forced = [w for u in forced_run for w in words(u.text)]
            wer_forced = edit_distance(ref, forced) / len(ref)
            print(f"{language:<9} {seconds:7.1f}  {wer:5.2f}  {wer_forced:10.2f}  {elapsed / seconds:5.2f}  "
                  f"{cpu / seconds:13.2f}  {grouping_accuracy(spoken, utterances, labels):8.2f}  {np.mean(starts):14.2f}")


if __name__ == "__main__":
    main()
