"""Findings tests make many accounts but never sign in with a password: hash it once."""

from __future__ import annotations

from functools import lru_cache

import pytest

from app.accounts import service as accounts


@pytest.fixture(autouse=True)
def hash_each_password_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Argon2 is slow by design; these tests authenticate with bearer tokens instead.
    monkeypatch.setattr(accounts, "hash_password", lru_cache(maxsize=8)(accounts.hash_password))
