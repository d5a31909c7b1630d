"""`sysreview demo seed`: add the demo review to an empty database and say how to sign in."""

from __future__ import annotations

from typing import Annotated

import typer

from app.demo.seed import ADMIN_EMAIL, DEMO_PASSWORD, REVIEW_TITLE, admin_exists, seed_demo

demo_cli = typer.Typer(help="The demonstration review (fictional data).", no_args_is_help=True)


@demo_cli.command("seed")
def seed_command(
    url: Annotated[
        str, typer.Option(help="Where the app is served, for the sign-in hint (default: from HOST and PORT).")
    ] = "",
) -> None:
    """Add the demo review and its accounts to an empty database (does nothing if any review exists)."""
    from app.core.config import get_settings
    from app.core.db import session_scope

    url = url or get_settings().served_url
    from app.core.errors import DomainError
    from app.demo.loader import DemoDataInvalid

    try:
        with session_scope() as session:
            result = seed_demo(session)
            admin_present = admin_exists(session)
    except DomainError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    except DemoDataInvalid as exc:
        typer.echo(f"error: the demo's data files are not valid:\n{exc}", err=True)
        raise typer.Exit(1) from None
    if not result.created:
        typer.echo("demo review already present: nothing added")
        if admin_present:
            typer.echo(f"sign in at {url}/sign-in as {ADMIN_EMAIL} with the password {DEMO_PASSWORD}")
        return
    counts = ", ".join(f"{n} {what}" for what, n in result.counts.items())
    typer.echo(f"demo review created: {REVIEW_TITLE} ({counts})")
    typer.echo(f"sign in at {url}/sign-in")
    typer.echo(f"  email:    {ADMIN_EMAIL}")
    typer.echo(f"  password: {DEMO_PASSWORD}")
    typer.echo("every demo account below uses the same password (demonstration data only):")
    for account in result.accounts:
        typer.echo(f"  {account.role:<14} {account.name:<28} {account.email}")
