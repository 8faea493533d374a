"""The store on SQLite and PostgreSQL: schema, pragmas, transactions, serialised writers."""

from __future__ import annotations

import multiprocessing as mp

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from qualcode.errors import QualcodeError
from qualcode.model import Event, Project
from qualcode.store import Store, get_project, resolve_url

TABLES = {"projects", "participants", "documents", "turns", "segments", "codes", "coders",
          "codings", "memos", "events", "embeddings", "alembic_version"}


def test_migration_creates_every_table_once(store_url):
    Store(store_url).close()
    store = Store(store_url)  # second open: already at head, nothing re-run
    assert TABLES <= set(inspect(store.engine).get_table_names())
    with store.read() as session:
        head = ScriptDirectory.from_config(Store._alembic_config()).get_current_head()
        assert session.execute(text("SELECT version_num FROM alembic_version")).scalar() == head


def test_sqlite_pragmas(sqlite_store):
    with sqlite_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_failed_write_leaves_nothing(store):
    with pytest.raises(RuntimeError):
        with store.write() as session:
            get_project(session, "lost")
            raise RuntimeError("boom")
    with store.read() as session:
        assert session.scalars(select(Project)).all() == []
        assert session.scalars(select(Event)).all() == []


def test_project_creation_is_logged(store):
    with store.write() as session:
        project = get_project(session, "Study")
    with store.read() as session:
        events = session.scalars(select(Event)).all()
    assert [(e.action, e.target_kind, e.target_id) for e in events] == [("create", "project", project.id)]


def _increment(url: str, times: int) -> None:
    store = Store(url)
    for _ in range(times):
        with store.write() as session:
            project = get_project(session, "counter")
            project.settings = {"n": project.settings.get("n", 0) + 1}
    store.close()


def test_concurrent_read_then_write_loses_nothing(store_url):
    Store(store_url).close()
    ctx = mp.get_context("spawn")
    workers = [ctx.Process(target=_increment, args=(store_url, 60)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    with Store(store_url).read() as session:
        assert get_project(session, "counter", create=False).settings["n"] == 240


def test_resolve_url(monkeypatch, tmp_path):
    monkeypatch.delenv("QUALCODE_DB", raising=False)
    assert resolve_url() == "sqlite:///qualcode.db"
    monkeypatch.setenv("QUALCODE_DB", str(tmp_path / "x.db"))
    assert resolve_url() == f"sqlite:///{tmp_path / 'x.db'}"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(QualcodeError, match="does not exist"):
        Store(str(tmp_path / "nope" / "x.db"))
