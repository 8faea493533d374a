"""Where the app keeps uploaded files while a person previews them, and when they go.

An upload is written to a private temporary folder (the importer and the sidecar lookup read
files beside each other), and removed as soon as it is no longer needed: a file taken off the
upload list (a cancelled upload) at once, a transcript once it is imported, and the whole folder
when no transcript is left to import, or when the browser session that owns it ends. So copies
of transcripts do not pile up on a shared server.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from pathlib import Path

from qualcode.common.files import write_atomically
from qualcode.ingest.sidecar import is_sidecar

PREFIX = "qualcode-upload-"


class UploadStaging:
    """One browser session's uploads on disk."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.imported: dict[str, str] = {}  # file name → the document it became
        self._cleanup: weakref.finalize | None = None

    def sync(self, uploads: dict[str, bytes]) -> list[Path]:
        """Make the folder hold exactly the uploads not yet imported; returns the staged paths.
        A file no longer uploaded is deleted (and may be uploaded and imported again)."""
        names = {Path(name).name: data for name, data in uploads.items()}
        self.imported = {name: doc for name, doc in self.imported.items() if name in names}
        pending = {name: data for name, data in names.items() if name not in self.imported}
        if not any(not is_sidecar(Path(name)) for name in pending):
            self.close()
            return []
        folder = self._folder()
        for path in folder.iterdir():
            if path.name not in pending:
                path.unlink(missing_ok=True)
        paths = []
        for name, data in pending.items():
            path = folder / name
            if not path.exists() or path.read_bytes() != data:
                write_atomically(path, data)
            paths.append(path)
        return paths

    def done(self, path: Path, document: str) -> None:
        """A transcript is in the store: its staged copy goes; the folder too when nothing is left to import."""
        self.imported[path.name] = document
        path.unlink(missing_ok=True)
        if self.folder is not None and not any(not is_sidecar(p) for p in self.folder.iterdir()):
            self.close()

    def close(self) -> None:
        """Remove the folder and everything in it (also run when this object is garbage-collected)."""
        if self._cleanup is not None:
            self._cleanup()
        self.folder, self._cleanup = None, None

    def _folder(self) -> Path:
        if self.folder is None or not self.folder.is_dir():
            self.close()
            self.folder = Path(tempfile.mkdtemp(prefix=PREFIX))
            self._cleanup = weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)
        return self.folder
