"""The `sysreview` command line."""

from __future__ import annotations

import getpass
import importlib
import sys
from pathlib import Path
from typing import Annotated

import typer

import app.models  # noqa: F401  every table known before the first flush, or foreign keys cannot resolve
from app.core.config import PROJECT_ROOT, get_settings
from app.demo import demo_cli
from app.reports.cli import report_command

# Packages above reviews tell it what refers to a partner or a framework when their services
# are imported; the app's routers import them, and the command line imports them here.
for _module in ("dataprofile.service", "evidence.service", "findings.checks", "ratings.service"):
    importlib.import_module(f"app.{_module}")

cli = typer.Typer(
    help="sysreview: review how a local health and social care system works together.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
frameworks_cli = typer.Typer(help="Framework files: validate and load.", no_args_is_help=True)
users_cli = typer.Typer(help="User accounts.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(frameworks_cli, name="frameworks")
cli.add_typer(users_cli, name="users")
cli.add_typer(demo_cli, name="demo")
cli.command("report")(report_command)


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(envvar="HOST", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development).")] = False,
) -> None:
    """Serve the web app and API."""
    import uvicorn

    typer.echo(f"sysreview on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        log_level="info",
    )


def upgrade_database(url: str | None = None) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration (the only way the schema changes)."""
    upgrade_database()
    typer.echo(f"database at head: {_safe_url(get_settings().effective_database_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@frameworks_cli.command("validate")
def frameworks_validate(paths: Annotated[list[Path], typer.Argument(help="Files or folders.")]) -> None:
    """Check framework files; exit 1 listing every error (file, path, line)."""
    from app.frameworks.loader import FrameworkInvalid, framework_files, read_framework_file

    files = framework_files(paths)
    if not files:
        fail("no framework files found in " + ", ".join(str(p) for p in paths))
    bad = 0
    for file in files:
        try:
            parsed = read_framework_file(file)
        except FrameworkInvalid as exc:
            bad += 1
            for error in exc.errors:
                typer.echo(str(error), err=True)
            continue
        fw = parsed.framework
        typer.echo(f"{file}: ok ({fw.key} {fw.version}, {len(fw.domains)} domains, {len(fw.refs())} lines)")
    if bad:
        fail(f"{bad} of {len(files)} framework files are invalid")


@frameworks_cli.command("load")
def frameworks_load(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: frameworks/).")
    ] = None,
) -> None:
    """Load framework files into the database (idempotent; nothing stored if any file is bad)."""
    from app.core.db import session_scope
    from app.core.errors import DomainError
    from app.frameworks.loader import FrameworkInvalid
    from app.frameworks.service import load_files

    targets = paths or [get_settings().frameworks_dir]
    try:
        with session_scope() as session:
            outcomes = load_files(session, list(targets))
    except FrameworkInvalid as exc:
        for error in exc.errors:
            typer.echo(str(error), err=True)
        fail("no framework was loaded")
    except DomainError as exc:
        fail(exc.message)
    for outcome in outcomes:
        typer.echo(f"{outcome.key} {outcome.version}: {outcome.status} ({outcome.file})")


@users_cli.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Sign-in email address.")],
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    admin: Annotated[bool, typer.Option("--admin", help="Make a global administrator.")] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user account (the password is asked for, or read from standard input)."""
    from app.accounts.service import create_user
    from app.core.db import session_scope
    from app.core.errors import DomainError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password again: "):
            fail("the passwords do not match")
    try:
        with session_scope() as session:
            user = create_user(
                session,
                email=email,
                display_name=name or email.split("@")[0],
                password=password,
                is_admin=admin,
            )
            typer.echo(f"created {'administrator' if admin else 'user'} {user.email} (id {user.id})")
    except DomainError as exc:
        fail(f"{exc.field + ': ' if exc.field else ''}{exc.message}")


def main() -> None:
    from pydantic import ValidationError

    from app.core.config import settings_problem

    # Bad settings are a person's mistake: one line saying which, not a traceback.
    try:
        get_settings()
    except ValidationError as exc:
        typer.echo(f"error: {settings_problem(exc)}", err=True)
        raise SystemExit(2) from None
    cli()


if __name__ == "__main__":
    main()
