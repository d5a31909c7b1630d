"""Helpers shared by the accounts tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import col, select

from app.core.audit import AuditEvent
from app.core.config import get_settings
from app.core.db import session_scope


def audit_rows(entity: str | None = None, **where: object) -> list[AuditEvent]:
    """Audit rows in the order written, optionally for one entity and matching column values."""
    with session_scope(read_only=True) as s:
        query = select(AuditEvent).order_by(col(AuditEvent.id))
        if entity is not None:
            query = query.where(AuditEvent.entity == entity)
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        return list(s.exec(query))


def hidden_value(html: str, name: str) -> str:
    """The value of the hidden input called `name` in a page."""
    import re

    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden input {name!r} in the page"
    return match.group(1)


async def web_sign_in(client, email: str, password: str, next_path: str = "/"):
    """Sign in through the web form as a browser would: fetch the form, post it back."""
    form = await client.get("/sign-in", params={"next": next_path})
    token = hidden_value(form.text, "csrf_token")
    return await client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": token, "next": next_path}
    )


def record_sign_in_sleeps(monkeypatch) -> list[float]:
    """Stand in for asyncio.sleep where sign-in waits; returns the delays it was asked for.

    Patched in the accounts deps module only: a live server thread elsewhere in the run keeps its
    own event loop ticking with asyncio.sleep, and must not be touched.
    """
    import types

    from app.accounts import deps

    requested: list[float] = []

    async def record_sleep(delay: float, *args, **kwargs) -> None:
        requested.append(delay)

    monkeypatch.setattr(deps, "asyncio", types.SimpleNamespace(sleep=record_sleep))
    return requested


@contextmanager
def settings_env(**values: str) -> Iterator[None]:
    """Run with some settings changed through the environment, then put everything back.

    The settings are cached; the cache is cleared on the way in and again after the old values
    are restored, so no later test (or app built later) sees the changed ones.
    """
    old = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()
