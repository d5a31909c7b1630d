"""One engine per process; one session per request, committed in one place (`session_scope`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, create_engine

from app.core.config import get_settings

_engine: Engine | None = None
Row = TypeVar("Row")
READ_ONLY_OPTION = "sysreview_read_only"
# Marks the session of an HTTP request (session.info), so checks that apply to requests only
# (such as "every change to a review goes through the recorder") can tell it apart.
REQUEST_SESSION = "sysreview_request"


def make_engine(url: str) -> Engine:
    """Build an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # Take over transaction control so BEGIN IMMEDIATE can serialise writers.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            # Writers take the lock up front: a read-then-write upgrade under WAL fails with
            # SQLITE_BUSY at once instead of waiting. Readers begin deferred and never block.
            if conn.get_execution_options().get(READ_ONLY_OPTION):
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        _engine = make_engine(get_settings().effective_database_url)
    return _engine


def set_engine(engine: Engine | None) -> None:
    """Point the app at another engine (tests, benchmarks)."""
    global _engine
    _engine = engine


@contextmanager
def session_scope(*, read_only: bool = False, request: bool = False) -> Iterator[Session]:
    """The one place a unit of work commits: on success; rolls back on any error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        session.info[REQUEST_SESSION] = request
        if read_only:
            session.connection(execution_options={READ_ONLY_OPTION: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def insert_or_twin(session: Session, row: Row, twin: Callable[[], Row | None]) -> tuple[Row, bool]:
    """Insert `row`, or take the twin a concurrent writer stored first; True when `row` went in.

    Two saves of the same new thing can cross (a double tap, a retry on a slow network). Under
    PostgreSQL the second insert then breaks a unique constraint. The insert runs in a savepoint,
    so losing that race keeps the rest of the unit of work usable and `twin()` can read what the
    other writer stored. An integrity error with no twin to find is some other fault: re-raised.
    """
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        found = twin()
        if found is None:
            raise
        return found, False
    return row, True
