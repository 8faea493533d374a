"""Dialogues spoken by espeak-ng with two voices taking turns, joined with known silences, so the
true turn boundaries, speakers and words are known exactly (shared by the tests and bench/)."""

from __future__ import annotations

import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GAP_S = 1.2        # silence between turns
LEAD_S = 0.5       # silence before the first turn

RU = [("ru+m3", "Добрый день. Расскажите, пожалуйста, как вы получаете медицинскую помощь."),
      ("ru+f3", "Обычно я хожу в поликлинику рядом с домом, но очередь очень длинная."),
      ("ru+m3", "А сколько времени вы ждёте приёма у врача?"),
      ("ru+f3", "Иногда две недели, поэтому мы часто платим за частную клинику.")]
EN = [("en+m3", "Good afternoon. How do you usually get to the clinic?"),
      ("en+f3", "I take the bus, it takes about forty minutes each way."),
      ("en+m3", "Is that a problem for your family?"),
      ("en+f3", "Yes, because my mother cannot travel alone any more.")]
KK = [("kk+m3", "Сәлеметсіздер ме. Емханаға қалай барасыздар?"),
      ("kk+f3", "Мен автобуспен барамын, жол қырық минут алады."),
      ("kk+m3", "Дәрігерді қанша күтесіздер?"),
      ("kk+f3", "Кейде екі апта күтеміз, сондықтан жеке клиникаға барамыз.")]
DIALOGUES = {"ru": RU, "en": EN, "kk": KK}


@dataclass
class Spoken:
    voice: str
    text: str
    start: float
    end: float


def _speak(voice: str, text: str, folder: Path, rate: int) -> np.ndarray:
    out = folder / "turn.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(out), text], check=True)
    with wave.open(str(out)) as w:
        assert w.getframerate() == rate and w.getnchannels() == 1
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    # espeak pads its output with silence: trim it so the turn's true times are the speech's
    loud = np.flatnonzero(np.abs(samples) > 300)
    return samples[loud[0]:loud[-1] + 1]


def synthesise(turns: list[tuple[str, str]], path: Path, rate: int = 22050) -> list[Spoken]:
    """Write a WAV of the turns with GAP_S between them; return each turn's true times."""
    pieces, spoken, clock = [np.zeros(int(LEAD_S * rate), np.int16)], [], LEAD_S
    with tempfile.TemporaryDirectory() as folder:
        for voice, text in turns:
            samples = _speak(voice, text, Path(folder), rate)
            spoken.append(Spoken(voice, text, clock, clock + len(samples) / rate))
            pieces += [samples, np.zeros(int(GAP_S * rate), np.int16)]
            clock += (len(samples) + int(GAP_S * rate)) / rate
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.concatenate(pieces).tobytes())
    return spoken


def draft_project(folder: Path, url: str | None = None):
    """A project whose one draft, `group.wav`, holds the first two English turns as spoken (one word
    marked unsure): the editor's tests, without waiting for the speech model."""
    from qualcode.store.model import Document
    from qualcode.recording.draft import Piece, write_pieces
    from qualcode.store import Store, get_project

    wav = folder / "group.wav"
    spoken = synthesise(EN[:2], wav)
    store = Store(url or str(folder / "draft.db"))
    with store.write() as session:
        project = get_project(session)
        doc = Document(project_id=project.id, name=wav.name, source_name=str(wav), format="audio", sha256="0" * 64,
                       text="", language="en", unit="sentence", attributes={}, status="draft",
                       recording_path=str(wav), recording_sha256="0" * 64, duration=spoken[-1].end)
        session.add(doc)
        session.flush()
        first = Piece("Voice 1", spoken[0].text, spoken[0].start, spoken[0].end, "en", 0.8,
                      [[0, 4, 0.9, 0.5, 0.8], [5, 15, 0.3, 0.8, 1.4]])
        second = Piece("Voice 2", spoken[1].text, spoken[1].start, spoken[1].end, "en", 0.9)
        write_pieces(session, doc, [first, second])
    return store
