from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.models_base import created_at_field, datetime_field


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
