"""Test set-up: a real database built by the migrations, cleaned between tests.

SQLite in a temporary folder by default; PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

_TMP = Path(tempfile.mkdtemp(prefix="sysreview-test-"))
os.environ["ENVIRONMENT"] = "test"
os.environ["DATA_DIR"] = str(_TMP / "data")
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-1234")
os.environ["DATABASE_URL"] = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"
os.environ["LOGIN_DELAY_AFTER_FAILURES"] = "1000"  # tests that need the slow-down set it themselves

from app.core.config import PROJECT_ROOT, get_settings  # noqa: E402
from app.core.db import make_engine, set_engine  # noqa: E402
from app.models import metadata  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
FRAMEWORK_FIXTURES = FIXTURES / "frameworks"


def database_url() -> str:
    return os.environ["DATABASE_URL"]


def is_postgres() -> bool:
    return database_url().startswith("postgresql")


def _reset_postgres(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """The database, built once per run by `alembic upgrade head` (never create_all)."""
    from app.cli import upgrade_database

    get_settings.cache_clear()
    eng = make_engine(database_url())
    if is_postgres():
        _reset_postgres(eng)
    upgrade_database(database_url())
    set_engine(eng)
    yield eng
    set_engine(None)
    eng.dispose()


def _clean(engine: Engine) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if is_postgres():
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    """A clean database for one test, with the shipped frameworks loaded."""
    from app.core.db import session_scope
    from app.frameworks.service import load_files

    _clean(engine)
    with session_scope() as session:
        load_files(session, [PROJECT_ROOT / "frameworks", FRAMEWORK_FIXTURES])
    yield engine
    _clean(engine)


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    """A session for arranging and checking data; committed on exit."""
    from app.core.db import session_scope

    with session_scope() as s:
        yield s


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def app(db: Engine):  # type: ignore[no-untyped-def]
    from app.main import create_app

    return create_app()


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
