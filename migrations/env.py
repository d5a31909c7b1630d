"""Alembic environment: URL from the app's settings, metadata from the app's models."""

from alembic import context
from sqlmodel.sql.sqltypes import AutoString

from app.core.config import get_settings
from app.core.db import make_engine
from app.core.models_base import UtcDateTime
from app.models import metadata

config = context.config


def _url() -> str:
    # `sysreview db upgrade` and the tests pass a URL through the Alembic config.
    x_url = context.get_x_argument(as_dictionary=True).get("url")
    return x_url or config.get_main_option("sqlalchemy.url") or get_settings().effective_database_url


def render_item(type_, obj, autogen_context):  # type: ignore[no-untyped-def]
    # Keep sqlmodel out of migration files: its AutoString is a plain String.
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"  # the zone handling is Python's; the column is plain
    return False


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch operations copy tables; foreign keys must be off while they do. The pragma
            # is a no-op inside a transaction, so it goes to the driver before any begins.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,
            render_item=render_item,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
