"""Shared fixtures: a fresh store on SQLite, and on PostgreSQL when QUALCODE_TEST_PG is set.

CI (.ci/run) starts a PostgreSQL server and sets QUALCODE_TEST_PG, so every
test that takes `store_url` runs on both databases there.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from qualcode.store import Store

PG_URL = os.environ.get("QUALCODE_TEST_PG")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _pg_database(name: str, create: bool) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if create:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        else:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):
    """A URL to an empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    name = f"qc_{uuid.uuid4().hex[:12]}"
    _pg_database(name, create=True)
    yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    _pg_database(name, create=False)


@pytest.fixture
def store(store_url):
    s = Store(store_url)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path):
    s = Store(str(tmp_path / "test.db"))
    yield s
    s.close()
