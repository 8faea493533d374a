"""Shared fixtures: a fresh store on SQLite, and on PostgreSQL when QUALCODE_TEST_PG is set.

CI (.ci/run) starts a PostgreSQL server and sets QUALCODE_TEST_PG, so every
test that takes `store_url` runs on both databases there. `shipped` is a copy of two shipped
groups with the codebook, embedded and fitted once per session (the topic tests and the topics page).
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from qualcode.store import Store, get_project

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ["fg05_en_teams.vtt", "fg06_en_recipients.xlsx"]

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


@pytest.fixture(scope="session")
def shipped_db(tmp_path_factory) -> Path:
    """Two shipped English groups and the public-services codebook, every text embedded, topic run 1 stored."""
    from qualcode.refi.codebook_files import read_codebook_file
    from qualcode.codebook.codes import load_codebook
    from qualcode.autocode.embed import load_embedder
    from qualcode.ingest.importer import ImportOptions, import_files
    from qualcode.topics.topic_runs import TopicOptions, run_topics

    path = tmp_path_factory.mktemp("shipped") / "shipped.db"
    store = Store(str(path))
    results = import_files(store, [ROOT / "transcripts" / name for name in SHIPPED], ImportOptions())
    assert all(r.status == "imported" for r in results)
    book, warnings = read_codebook_file(ROOT / "codebooks" / "public_services.yaml")
    with store.write() as session:
        load_codebook(session, get_project(session), book, warnings)
    run_topics(store, TopicOptions(min_topic_size=8), embedder=load_embedder())  # embeds and caches everything
    store.close()
    return path


@pytest.fixture
def shipped(shipped_db, tmp_path) -> Store:
    """A copy of `shipped_db` to write on."""
    copy = tmp_path / "copy.db"
    shutil.copy(shipped_db, copy)
    store = Store(str(copy))
    yield store
    store.close()
