"""The store on SQLite and PostgreSQL: schema, pragmas, transactions, serialised writers."""

from __future__ import annotations

import multiprocessing as mp
import sys
import types

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from qualcode.common.errors import QualcodeError
from qualcode.store.model import Base, Event, Project
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


def test_migrations_build_the_schema_the_models_declare(store_url):
    """A column, index or table added to model.py without a migration (or the reverse) fails here."""
    store = Store(store_url)
    with store.engine.connect() as conn:
        drift = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert drift == []


def test_every_foreign_key_is_indexed(sqlite_store):
    """Deleting a row scans every table referencing it through an unindexed key (quadratic re-runs)."""
    inspector = inspect(sqlite_store.engine)
    for table in inspector.get_table_names():
        indexed = {tuple(ix["column_names"][:1]) for ix in inspector.get_indexes(table)}
        indexed |= {tuple(u["column_names"][:1]) for u in inspector.get_unique_constraints(table)}
        indexed.add(tuple(inspector.get_pk_constraint(table)["constrained_columns"][:1]))
        for key in inspector.get_foreign_keys(table):
            assert tuple(key["constrained_columns"][:1]) in indexed, (table, key["constrained_columns"])


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


def test_concurrent_read_then_write_loses_nothing(store_url, monkeypatch):
    Store(store_url).close()
    # a spawned worker re-runs the parent's __main__ file; Streamlit's AppTest leaves a script there
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
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
