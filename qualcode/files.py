"""Writing output files so that a failure never leaves half a file behind."""

from __future__ import annotations

from pathlib import Path

from qualcode.errors import QualcodeError


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target and rename over it; one clear error when the folder is not writable."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise QualcodeError(f"{path}: cannot be written ({err.strerror})") from None
