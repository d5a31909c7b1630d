from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models_base import created_at_field, datetime_field


def stored_id(row: SQLModel) -> int:
    """The id of a row that has been stored (flushed): typed as a plain int."""
    value = getattr(row, "id", None)
    assert isinstance(value, int), f"{type(row).__name__} has not been stored yet"
    return value


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    display_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=300)
    is_active: bool = True
    is_admin: bool = False
    created_at: datetime = created_at_field()


class AuthToken(SQLModel, table=True):
    """A stored credential: API bearer token, personal access token or web session.

    Only a SHA-256 of the secret is kept, so a leaked table reveals no usable token.
    """

    __tablename__ = "auth_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=16)  # access | personal | session
    name: str = Field(default="", max_length=200)
    token_hash: str = Field(max_length=64, unique=True)
    csrf_secret: str = Field(default="", max_length=64)
    created_at: datetime = created_at_field()
    expires_at: datetime | None = datetime_field()
    revoked_at: datetime | None = datetime_field()
    last_used_at: datetime | None = datetime_field()


class SignInAttempt(SQLModel, table=True):
    """Failed sign-ins, kept to slow down guessing."""

    __tablename__ = "sign_in_attempt"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, index=True)
    client: str = Field(default="", max_length=64)
    at: datetime = created_at_field()


class SignInLockout(SQLModel, table=True):
    """An account or a client address that may not try to sign in until `locked_until`.

    `level` counts the lockouts in a row: each lasts twice as long as the one before, and the
    count starts again once the subject has been quiet for a day.
    """

    __tablename__ = "sign_in_lockout"
    __table_args__ = (UniqueConstraint("scope", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=16)  # account | client
    subject: str = Field(max_length=320)  # the email address or the client address
    level: int = 0
    locked_until: datetime = datetime_field(nullable=False)


class TwoFactor(SQLModel, table=True):
    """A person's authenticator app (TOTP). Kept apart from `User` so the secret never reaches
    an audit snapshot of the account.

    `enabled_at` stays empty until the person has proved their app works by entering a code.
    `last_step` is the 30-second step of the last code accepted, so a code works only once.
    """

    __tablename__ = "two_factor"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", unique=True)
    secret: str = Field(max_length=64)
    enabled_at: datetime | None = datetime_field()
    last_step: int = 0
    created_at: datetime = created_at_field()


class RecoveryCode(SQLModel, table=True):
    """A single-use code for signing in without the authenticator app; only its SHA-256 is kept."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = datetime_field()


class AccountPolicy(SQLModel, table=True):
    """Sign-in rules an administrator sets for the whole service: one row, id 1."""

    __tablename__ = "account_policy"

    id: int | None = Field(default=None, primary_key=True)
    two_factor_for_leads: bool = False
