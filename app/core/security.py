"""Password hashing and token secrets."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.core.config import get_settings


@lru_cache
def _hasher() -> PasswordHasher:
    # The test suite creates hundreds of accounts: it gets argon2's cheapest settings. The
    # parameters are stored in each hash, so verification works whatever made the hash.
    if get_settings().environment == "test":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


@lru_cache
def _dummy_hash() -> str:
    # Verifying against this keeps timing the same whether or not the account exists.
    return _hasher().hash("not-a-real-password")


MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A fresh random secret for a bearer token, session or CSRF value."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database keeps of a token: a SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
