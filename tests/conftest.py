"""Test set-up: a real database built by the migrations, cleaned between tests.

SQLite in a temporary folder by default; PostgreSQL when TEST_DATABASE_URL is set. Under
pytest-xdist (`-n 2`) each worker gets a database of its own: a SQLite file in its own folder, or
on PostgreSQL a database named after the one in TEST_DATABASE_URL plus the worker id
(`test_gw0`, `test_gw1`), created on the same server when missing.

Speed: the schema is migrated and the frameworks are parsed and loaded once per worker. Between
tests every table is emptied except the framework versions, and the audit rows their loading wrote
are put back; the framework rows are rewritten from a snapshot only when a test changed them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Table, create_engine, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _worker_database_url(url: str) -> str:
    """The worker's own PostgreSQL database: workers must never empty each other's tables."""
    if not WORKER or not url.startswith("postgresql"):
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{WORKER}").render_as_string(hide_password=False)


_TMP = Path(tempfile.mkdtemp(prefix=f"sysreview-test-{WORKER or 'main'}-"))
os.environ["ENVIRONMENT"] = "test"
os.environ["DATA_DIR"] = str(_TMP / "data")
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-1234")
os.environ["DATABASE_URL"] = _worker_database_url(os.environ.get("TEST_DATABASE_URL") or "") or (
    f"sqlite:///{_TMP / 'test.db'}"
)
os.environ["LOGIN_DELAY_AFTER_FAILURES"] = "1000"  # tests that need the slow-down set it themselves

from app.core.config import PROJECT_ROOT, get_settings  # noqa: E402
from app.core.db import make_engine, set_engine  # noqa: E402
from app.frameworks.models import FrameworkVersion  # noqa: E402
from app.models import metadata  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
FRAMEWORK_FIXTURES = FIXTURES / "frameworks"
FRAMEWORK_DIRS = [PROJECT_ROOT / "frameworks", FRAMEWORK_FIXTURES]
FRAMEWORKS: Table = FrameworkVersion.__table__  # type: ignore[attr-defined]
AUDIT: Table = metadata.tables["audit_event"]
# Stored versions are never edited, so these tell whether a test loaded, deleted or reloaded one.
FINGERPRINT = (FRAMEWORKS.c.id, FRAMEWORKS.c.content_hash, FRAMEWORKS.c.loaded_at)


def database_url() -> str:
    return os.environ["DATABASE_URL"]


def is_postgres() -> bool:
    return database_url().startswith("postgresql")


# The slow tier, besides browser and property tests (marked below by what they are): tests that
# render a PDF, seed the whole demo review or try every route, each a second or more on two cores.
# A node id here is a module, or a test with all its parameters.
SLOW = (
    "tests/reports/test_report_pdf.py",
    "tests/reports/test_report_export.py::test_export_queues_a_job_that_renders_and_downloads",
    "tests/reports/test_report_export.py::test_an_unchanged_review_is_served_from_the_cache",
    "tests/reports/test_report_export.py::test_a_published_report_is_kept_as_first_rendered",
    "tests/reports/test_report_export.py::test_a_render_over_the_time_limit_fails_cleanly",
    "tests/reports/test_report_export.py::test_the_command_line_renders_a_pdf",
    "tests/reports/test_report_page.py::test_a_report_writer_exports_without_javascript",
    "tests/reports/test_report_safety.py::test_planted_urls_in_evidence_are_never_fetched",
    "tests/reports/test_report_safety.py::test_a_hostile_template_set_cannot_reach_outside_its_folder",
    "tests/test_route_permissions.py::test_every_route_answers_each_kind_of_caller",
    "tests/test_route_permissions.py::test_every_review_route_after_publication",
    "tests/test_demo.py::test_seeding_makes_one_complete_review_and_only_once",
    "tests/test_demo.py::test_the_seed_command_says_how_to_sign_in",
    "tests/evidence/test_evidence_service.py::test_ten_writers_fifty_items_each_store_exactly",
)


def is_slow(item: pytest.Item) -> bool:
    """Whether a test belongs to the slow tier (`pytest -m "not slow"` runs the rest)."""
    return (
        item.get_closest_marker("browser") is not None
        or getattr(getattr(item, "obj", None), "is_hypothesis_test", False)
        or item.nodeid.startswith(SLOW)
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Marked here, in one place, so a test module needs no second mark beside `browser` and the
    # tier can be tuned from measured durations without touching the tests.
    for item in items:
        if is_slow(item):
            item.add_marker(pytest.mark.slow)


def _prepare_postgres_database(url: str) -> None:
    """Create the database on the server of TEST_DATABASE_URL if missing (a worker's own), and
    let its commits skip waiting for the disk: a test database need not survive a crash."""
    target = make_url(url)
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).first()
            if exists is None:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
            conn.execute(text(f'ALTER DATABASE "{target.database}" SET synchronous_commit TO off'))
    finally:
        server.dispose()


def _reset_postgres(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session", autouse=True)
def parse_each_framework_file_once() -> Iterator[None]:
    """Framework files are parsed and validated once per run however often a test loads them.

    Keyed by path and text, so a test that writes an edited file gets its own parse (and errors
    are never cached: `lru_cache` keeps only results).
    """
    from app.frameworks import loader, service

    @lru_cache(maxsize=64)
    def parse(source: str, file: str) -> loader.ParsedFramework:
        return loader.parse_framework(source, file)

    def read_framework_file(path: Path) -> loader.ParsedFramework:
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return loader.read_framework_file(path)  # the loader's own message for an unreadable file
        return parse(source, str(path))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service, "read_framework_file", read_framework_file)
        yield


@dataclass(frozen=True)
class Baseline:
    """The database a test starts from: the framework rows and the audit rows loading them wrote."""

    frameworks: list[dict[str, Any]]
    audit: list[dict[str, Any]]

    def fingerprint(self) -> list[tuple[Any, ...]]:
        return [tuple(row[c.name] for c in FINGERPRINT) for row in self.frameworks]


def _load_baseline(engine: Engine) -> Baseline:
    from app.core.db import session_scope
    from app.frameworks.service import load_files

    _empty(engine, keep_frameworks=False)
    with session_scope() as session:
        load_files(session, FRAMEWORK_DIRS)
    with engine.connect() as conn:
        frameworks = [dict(r._mapping) for r in conn.execute(select(FRAMEWORKS).order_by(FRAMEWORKS.c.id))]
        audit = [dict(r._mapping) for r in conn.execute(select(AUDIT).order_by(AUDIT.c.id))]
    return Baseline(frameworks, audit)


def _empty(engine: Engine, *, keep_frameworks: bool) -> None:
    """Delete every row (of every table but the frameworks' when kept) and restart the ids."""
    tables = [t for t in reversed(metadata.sorted_tables) if not (keep_frameworks and t is FRAMEWORKS)]
    with engine.begin() as conn:
        for table in tables:
            conn.execute(table.delete())
        if engine.dialect.name == "postgresql":
            # DELETE and restarting the sequences in one statement is ten times quicker here than
            # TRUNCATE ... RESTART IDENTITY, which makes new files for every table it empties.
            # (SQLite reuses ids by itself once a table is empty.)
            conn.execute(text("SELECT " + ", ".join(_next_id(t, after=None) for t in tables if "id" in t.c)))


def _frameworks_fingerprint(conn: Connection) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(select(*FINGERPRINT).order_by(FRAMEWORKS.c.id))]


def _next_id(table: Table, *, after: int | None) -> str:
    """SQL for PostgreSQL that makes the table's next id `after` + 1, or 1 when None."""
    last, called = (after, "true") if after else (1, "false")
    return f"setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), {last}, {called})"


def _restore(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(table.insert(), rows)
    if conn.dialect.name == "postgresql":
        # Rows put back with their ids leave the sequence behind; the next insert must follow them.
        conn.execute(text("SELECT " + _next_id(table, after=max((r["id"] for r in rows), default=None))))


def _clean(engine: Engine, baseline: Baseline) -> None:
    """Back to the baseline: no review data, the shipped frameworks and their load audit rows."""
    _empty(engine, keep_frameworks=True)
    with engine.begin() as conn:
        if _frameworks_fingerprint(conn) != baseline.fingerprint():
            # A test loaded, replaced or deleted a framework: put the snapshot back (no parsing).
            conn.execute(FRAMEWORKS.delete())
            _restore(conn, FRAMEWORKS, baseline.frameworks)
        _restore(conn, AUDIT, baseline.audit)


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """The database, built once per run by `alembic upgrade head` (never create_all)."""
    from app.cli import upgrade_database

    get_settings.cache_clear()
    if is_postgres():
        _prepare_postgres_database(database_url())
    eng = make_engine(database_url())
    if is_postgres():
        _reset_postgres(eng)
    upgrade_database(database_url())
    set_engine(eng)
    yield eng
    set_engine(None)
    eng.dispose()


@pytest.fixture(scope="session")
def baseline(engine: Engine) -> Baseline:
    """The shipped and the test frameworks, parsed and loaded once per worker."""
    return _load_baseline(engine)


@pytest.fixture
def db(engine: Engine, baseline: Baseline) -> Iterator[Engine]:
    """A clean database for one test, with the shipped frameworks loaded."""
    _clean(engine, baseline)
    yield engine
    _clean(engine, baseline)


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    """A session for arranging and checking data; committed on exit."""
    from app.core.db import session_scope

    with session_scope() as s:
        yield s


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def shared_app():  # type: ignore[no-untyped-def]
    """One app per worker: FastAPI works out each route's dependencies lazily, per app instance,
    which cost a new app ~0.15 s on its first requests in every test. Tests only read the app;
    one that needs other settings or extra routes builds its own with `create_app()`."""
    from app.main import create_app

    return create_app()


@pytest.fixture
def app(db: Engine, shared_app):  # type: ignore[no-untyped-def]
    """The app, over a clean database."""
    return shared_app


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
