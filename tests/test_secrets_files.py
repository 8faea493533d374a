"""Secrets and files: passwords never shown, exports written whole by one helper, the key private,
upload staging folders gone when the upload is done with."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from qualcode.common.errors import QualcodeError
from qualcode.common.files import write_atomically
from qualcode.ingest.staging import UploadStaging
from qualcode.store import Store, display_url

SECRET_URL = "postgresql+psycopg://u:secretpw@127.0.0.1:1/x"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("QUALCODE_DB", None)
    return subprocess.run([sys.executable, "-m", "qualcode.cli", *args], check=False, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("url, shown", [
    (SECRET_URL, "postgresql+psycopg://u:***@127.0.0.1:1/x"),
    ("postgresql+psycopg://қазақ:сәлем%40ә@host/db", "postgresql+psycopg://қазақ:***@host/db"),
    ("postgresql+psycopg://u:secretpw@127.0.0.1:notaport/x", "postgresql+psycopg://u:***@127.0.0.1:notaport/x"),
    ("postgresql+psycopg://u@h/x?password=secretpw&sslmode=require",
     "postgresql+psycopg://u@h/x?password=***&sslmode=require"),
    ("postgresql+psycopg://u:p@ss wörd/ө@host/db", "postgresql+psycopg://u:***@host/db"),  # not encoded
    ("sqlite:////tmp/Сауалнама.db", "sqlite:////tmp/Сауалнама.db"),
    ("sqlite:////tmp/a:b@c.db", "sqlite:////tmp/a:b@c.db"),
    ("postgresql+psycopg://u@h/x", "postgresql+psycopg://u@h/x"),
])
def test_display_url_hides_the_password(url, shown):
    assert display_url(url) == shown


@pytest.mark.parametrize("url", [SECRET_URL, "postgresql+psycopg://u:secretpw@127.0.0.1:notaport/x",
                                 "nosuchdriver://u:secretpw@h/x"])
def test_store_errors_hide_the_password(url):
    with pytest.raises(QualcodeError) as caught:
        Store(url)
    message = str(caught.value)
    assert "secretpw" not in message and "***" in message and "\n" not in message


@pytest.mark.parametrize("url", [SECRET_URL, "nosuchdriver://u:secretpw@h/x"])
def test_cli_error_never_shows_the_password(url, tmp_path):
    done = _cli("--db", url, "documents", cwd=tmp_path)
    both = done.stdout + done.stderr
    assert done.returncode == 1
    assert "secretpw" not in both and "Traceback" not in both
    assert done.stderr.startswith("qualcode: error: cannot ") and done.stderr.count("\n") == 1


def test_write_atomically_replaces_whole_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "цитаты.csv"
    target.write_text("old")
    write_atomically(target, "Сәлем, әңгіме".encode())
    assert target.read_text() == "Сәлем, әңгіме"
    assert [p.name for p in tmp_path.iterdir()] == ["цитаты.csv"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path, monkeypatch):
    target = tmp_path / "report.docx"
    target.write_bytes(b"old report")

    def disk_full(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(QualcodeError, match=r"report\.docx: cannot be written \(No space left on device\)"):
        write_atomically(target, b"new report")
    assert target.read_bytes() == b"old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.docx"]


def test_a_folder_that_is_not_there_is_one_line(tmp_path):
    with pytest.raises(QualcodeError, match="cannot be written"):
        write_atomically(tmp_path / "нет" / "x.csv", b"x")


def test_two_exports_to_one_path_at_once_do_not_share_a_temporary(tmp_path, monkeypatch):
    """Both writers are held after writing their temporary file, so both exist at the same moment."""
    target = tmp_path / "quotes.xlsx"
    both_written = threading.Barrier(2)
    temporaries: list[str] = []
    real_replace = os.replace

    def replace_when_both_wrote(src, dst):
        temporaries.append(os.fspath(src))
        both_written.wait(timeout=10)
        real_replace(src, dst)
    monkeypatch.setattr(os, "replace", replace_when_both_wrote)
    payloads = [b"A" * 100_000, b"B" * 100_000]
    errors: list[BaseException] = []

    def export(data: bytes) -> None:
        try:
            write_atomically(target, data)
        except BaseException as err:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(err)
    threads = [threading.Thread(target=export, args=(data,)) for data in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors
    assert len(set(temporaries)) == 2
    assert all(Path(t).parent == tmp_path and Path(t).name.startswith(".quotes.xlsx.") for t in temporaries)
    assert target.read_bytes() in payloads
    assert [p.name for p in tmp_path.iterdir()] == ["quotes.xlsx"]


def test_mode_is_set_on_the_new_file(tmp_path):
    target = tmp_path / "key.csv"
    write_atomically(target, b"real,pseudonym\n", mode=0o600)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


# --- upload staging -------------------------------------------------------------------------

TRANSCRIPT = "Модератор: Сәлеметсіздер ме!\nНұрлан: Мен Қызылордадан келдім, ұзақ күттім.\n".encode()
SIDECAR = "document:\n  site: Қызылорда\n".encode()


def test_staged_uploads_go_once_imported(tmp_path):
    from qualcode.ingest.importer import ImportOptions, import_one

    staging = UploadStaging()
    paths = staging.sync({"fg01.txt": TRANSCRIPT, "fg01.attributes.yaml": SIDECAR, "fg02.txt": TRANSCRIPT + b"!"})
    folder = staging.folder
    assert sorted(p.name for p in folder.iterdir()) == ["fg01.attributes.yaml", "fg01.txt", "fg02.txt"]
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    store = Store(str(tmp_path / "p.db"))
    first = next(p for p in paths if p.name == "fg01.txt")
    result = import_one(store, first, ImportOptions())
    assert result.status == "imported"
    staging.done(first, result.document)
    assert sorted(p.name for p in folder.iterdir()) == ["fg01.attributes.yaml", "fg02.txt"]
    # the uploader still lists the imported file on the next rerun: it is not written back
    staging.sync({"fg01.txt": TRANSCRIPT, "fg01.attributes.yaml": SIDECAR, "fg02.txt": TRANSCRIPT + b"!"})
    assert sorted(p.name for p in folder.iterdir()) == ["fg01.attributes.yaml", "fg02.txt"]
    assert staging.imported == {"fg01.txt": result.document}
    second = folder / "fg02.txt"
    staging.done(second, import_one(store, second, ImportOptions()).document)
    assert not folder.exists() and staging.folder is None


def test_a_cancelled_upload_leaves_nothing(tmp_path):
    staging = UploadStaging()
    staging.sync({"fg01.txt": TRANSCRIPT, "fg02.txt": TRANSCRIPT})
    folder = staging.folder
    staging.sync({"fg02.txt": TRANSCRIPT})  # one file taken off the list
    assert [p.name for p in folder.iterdir()] == ["fg02.txt"]
    staging.sync({"fg02.attributes.yaml": SIDECAR})  # only a sidecar left: nothing to import
    assert not folder.exists()
    staging.sync({"fg03.txt": TRANSCRIPT})
    again = staging.folder
    staging.sync({})  # the upload cancelled
    assert not again.exists()


def test_a_session_that_ends_takes_its_folder_with_it():
    import gc

    staging = UploadStaging()
    staging.sync({"fg01.txt": TRANSCRIPT})
    folder = staging.folder
    del staging
    gc.collect()
    assert not folder.exists()


def test_the_pseudonym_key_is_written_private(tmp_path, capsys):
    from qualcode import cli
    from qualcode.store import get_project

    db = tmp_path / "p.db"
    with Store(str(db)).write() as session:
        get_project(session, "Сауалнама")
    key = tmp_path / "кілт.csv"
    key.write_text("an older key")
    os.chmod(key, 0o644)
    assert cli.main(["--db", str(db), "anonymise", "key", "export", str(key)]) == 0
    assert "keep it apart" in capsys.readouterr().err
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert key.read_bytes().startswith("\ufeffkind,type,real,pseudonym".encode())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
