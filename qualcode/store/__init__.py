"""Engine, sessions, migrations and the repository functions the rest calls.

One SQLite file by default (WAL, foreign keys, busy timeout); a team points
every instance at one PostgreSQL database. Write transactions are serialised
on both: SQLite starts them with BEGIN IMMEDIATE (a read-then-write under a
deferred BEGIN loses updates when processes race), PostgreSQL takes a
transaction-scoped advisory lock. Readers never wait for writers.

Package `store`: the engine and sessions (here), the schema (`model.py`), its migrations
(`migrations/`), and what a viewer may see under blind coding (`access.py`). It may import `common`
(tests/test_layout.py checks it).
"""

from __future__ import annotations

import functools
import getpass
import os
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from qualcode.common.errors import QualcodeError
from qualcode.store.model import Coder, Event, Project

DEFAULT_DB = "qualcode.db"
_MIGRATIONS = Path(__file__).parent / "migrations"
_PG_WRITE_LOCK = 0x5155414C  # "QUAL": the advisory lock that serialises writers
F = TypeVar("F", bound=Callable)


def resolve_url(url: str | None = None) -> str:
    """--db URL, else QUALCODE_DB, else ./qualcode.db; a bare path means SQLite."""
    url = url or os.environ.get("QUALCODE_DB") or DEFAULT_DB
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser()}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


# the password in user:password@host, up to the last "@" (a password may hold "@", "/" or spaces)
_USERINFO_PASSWORD = re.compile(r"(://[^:/@\s]*:)(.*)@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)([^&\s]*)", re.IGNORECASE)
_BUSY_SQLSTATES = {"55P03", "40001", "40P01"}  # lock not available, serialization failure, deadlock


def display_url(url: str) -> str:
    """The URL as shown and logged: the password replaced by ***, whether or not the URL parses
    (read as text, not by the driver); Cyrillic and Kazakh names as written, not percent-encoded."""
    hidden = _QUERY_PASSWORD.sub(r"\1***", _USERINFO_PASSWORD.sub(r"\1***@", url))
    return unquote(hidden)


def _hide_secrets(text: str, url: str) -> str:
    """A driver's message with the raw URL and its password, as written or decoded, taken out."""
    text = text.replace(url, display_url(url))
    found = [m.group(2) for pattern in (_USERINFO_PASSWORD, _QUERY_PASSWORD) for m in pattern.finditer(url)]
    for secret in {s for raw in found for s in (raw, unquote(raw)) if s}:
        text = text.replace(secret, "***")
    return text


def _busy_timeout(seconds: float | None) -> float:
    """The wait before "busy": given, else $QUALCODE_BUSY_TIMEOUT, else 60 s."""
    if seconds is not None:
        return seconds
    setting = os.environ.get("QUALCODE_BUSY_TIMEOUT", "60")
    try:
        return float(setting)
    except ValueError:
        raise QualcodeError(f"QUALCODE_BUSY_TIMEOUT={setting!r}: give a number of seconds") from None


def _is_busy(err: BaseException) -> bool:
    """SQLite past its busy timeout, or PostgreSQL past lock_timeout / a serialization failure."""
    if not isinstance(err, DBAPIError):
        return False
    if getattr(err.orig, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    return "database is locked" in str(err.orig) or "database table is locked" in str(err.orig)


_actor_lookups: list[Callable[[], str | None]] = []


def add_actor_lookup(lookup: Callable[[], str | None]) -> None:
    """Let the app say who is logged in (per browser session), ahead of the operating-system user."""
    if lookup not in _actor_lookups:
        _actor_lookups.append(lookup)


def current_actor() -> str:
    """Who is making a change, for the event log: the logged-in member in the app, else $QUALCODE_USER
    or the operating-system user."""
    for lookup in _actor_lookups:
        if name := lookup():
            return name
    return os.environ.get("QUALCODE_USER") or getpass.getuser() or "unknown"


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        write = conn.get_execution_options().get("qualcode_write", True)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _configure_postgres(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get("qualcode_write", True):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_WRITE_LOCK})")


class Store:
    """A database: `write()` and `read()` give sessions inside one transaction.

    `busy_timeout` (seconds; else $QUALCODE_BUSY_TIMEOUT, else 60) is how long a writer waits for
    another before the one clear line "the database … is busy"; on PostgreSQL it is the lock_timeout."""

    def __init__(self, url: str | None = None, migrate: bool = True, busy_timeout: float | None = None):
        self.url = resolve_url(url)
        busy_timeout = _busy_timeout(busy_timeout)
        self.shown_url = display_url(self.url)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            path = self.url.split("///", 1)[-1]
            if path and path != ":memory:":
                parent = Path(path).parent
                if not parent.exists():
                    raise QualcodeError(f"{path}: folder {parent} does not exist")
            self.engine = create_engine(self.url, connect_args={"timeout": busy_timeout})
            _configure_sqlite(self.engine, busy_timeout)
        else:
            try:
                self.engine = create_engine(self.url, pool_pre_ping=True, connect_args={
                    "options": f"-c lock_timeout={int(busy_timeout * 1000)}"})
            except Exception as err:  # bad URL, missing driver
                raise QualcodeError(f"cannot use database {self.shown_url!r}: "
                                    f"{_hide_secrets(str(err), self.url)}") from None
            _configure_postgres(self.engine)
        self._writer = sessionmaker(self.engine, expire_on_commit=False)
        self._reader = sessionmaker(self.engine.execution_options(qualcode_write=False),
                                    expire_on_commit=False)
        if migrate:
            self.migrate()

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (inside a write transaction)."""
        head = ScriptDirectory.from_config(self._alembic_config()).get_current_head()
        try:
            with self.engine.begin() as conn:
                if MigrationContext.configure(conn).get_current_revision() == head:
                    return
                cfg = self._alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except QualcodeError:
            raise
        except Exception as err:
            if _is_busy(err):
                raise self._busy() from None
            first_line = _hide_secrets(str(err), self.url).splitlines()[0]
            raise QualcodeError(f"cannot open database {self.shown_url}: {first_line}") from None

    def _busy(self) -> QualcodeError:
        return QualcodeError(f"the database {self.shown_url} is busy (another user is writing); try again")

    @staticmethod
    def _alembic_config() -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        return cfg

    def write(self) -> AbstractContextManager[Session]:
        """A session in one serialised write transaction, committed on success."""
        return self._session(self._writer)

    def read(self) -> AbstractContextManager[Session]:
        """A session in one read transaction; it never waits for writers."""
        return self._session(self._reader)

    @contextmanager
    def _session(self, maker: sessionmaker) -> Iterator[Session]:
        """One transaction; waiting past the busy timeout is one clear line, not a driver's traceback."""
        try:
            with maker() as session, session.begin():
                yield session
        except DBAPIError as err:
            if _is_busy(err):
                raise self._busy() from None
            raise

    def close(self) -> None:
        self.engine.dispose()


def find_project(session: Session, name: str | None = None) -> Project | None:
    """The project of this database (the first one, or the one named), if any."""
    query = select(Project).order_by(Project.id)
    if name:
        query = query.where(Project.name == name)
    return session.scalars(query.limit(1)).first()


def get_project(session: Session, name: str | None = None, create: bool = True) -> Project:
    """Like find_project, creating the project when asked to (in a write session)."""
    project = find_project(session, name)
    if project is None:
        if not create:
            raise QualcodeError("the database has no project yet (import something first)")
        project = Project(name=name or "default", languages=[], settings={})
        session.add(project)
        session.flush()
        record(session, project.id, "create", "project", project.id, after={"name": project.name})
    return project


def find_coder(session: Session, project_id: int, name: str) -> Coder | None:
    """The project's coder (human or machine) of this name, if there is one: the one lookup by name."""
    return session.scalars(select(Coder).where(Coder.project_id == project_id, Coder.name == name)).first()


def last_change(session: Session) -> int | None:
    """The newest event's id: every write appends one, so a cache keyed on it is fresh."""
    return session.scalar(select(func.max(Event.id)))


def record(session: Session, project_id: int, action: str, target_kind: str, target_id: int | None,
           before: dict | None = None, after: dict | None = None, actor: str | None = None) -> Event:
    """Append one event to the audit log, in the caller's transaction."""
    ev = Event(project_id=project_id, actor=actor or current_actor(), action=action,
               target_kind=target_kind, target_id=target_id, before=before, after=after)
    session.add(ev)
    return ev



def atomic(operation: F) -> F:
    """Run a repository operation (session first) inside a savepoint: all of it or none of it,
    even when the caller catches its error and commits the rest of the transaction."""

    @functools.wraps(operation)
    def wrapper(session: Session, *args, **kwargs):
        with session.begin_nested():
            return operation(session, *args, **kwargs)
    return wrapper  # type: ignore[return-value]
