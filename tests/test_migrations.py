"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

from app.core.config import PROJECT_ROOT
from app.models import metadata

VERSIONS = PROJECT_ROOT / "migrations" / "versions"


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _fresh_urls(tmp_path: Path) -> list[str]:
    urls = [f"sqlite:///{tmp_path / 'migrate.db'}"]
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        urls.append(os.environ["TEST_DATABASE_URL"])
    return urls


@pytest.fixture
def scratch_postgres_schema():
    """On PostgreSQL, migrate into a schema of its own so the shared test schema is untouched."""
    yield f"migrate_{uuid.uuid4().hex[:8]}"


def test_upgrade_then_check_finds_no_difference(tmp_path, scratch_postgres_schema):
    for url in _fresh_urls(tmp_path):
        if url.startswith("postgresql"):
            schema = scratch_postgres_schema
            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            url_with_schema = url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
        else:
            engine, schema, url_with_schema = None, None, url
        try:
            config = alembic_config(url_with_schema)
            command.upgrade(config, "head")
            command.check(config)  # raises if models and migrations differ
            inspector = inspect(create_engine(url_with_schema))
            tables = set(inspector.get_table_names())
            assert set(metadata.tables) <= tables
            command.downgrade(config, "base")
            leftover = set(inspect(create_engine(url_with_schema)).get_table_names()) - {"alembic_version"}
            assert leftover == set()
        finally:
            if engine is not None:
                with engine.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def test_migration_files_do_not_import_sqlmodel():
    for path in VERSIONS.glob("*.py"):
        source = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+sqlmodel", source, re.M), path.name
        assert "sqlmodel." not in source, path.name


def test_sqlite_runs_with_wal_and_foreign_keys(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
