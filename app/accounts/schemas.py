"""Request and response shapes for accounts, tokens and users."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.accounts.models import User
from app.core.models_base import aware
from app.core.security import MIN_PASSWORD_LENGTH


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Tokens


class TokenResponse(BaseModel):
    """The OAuth2 password-flow answer."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")
    expires_at: datetime


class PersonalTokenCreate(BaseModel):
    name: str = Field(
        min_length=1, max_length=200, description="What the token is for, e.g. 'evidence import'"
    )
    expires_in_days: int | None = Field(
        default=None,
        ge=1,
        le=366,
        description="Days until it stops working; leave out to keep it until revoked",
    )


class PersonalTokenPublic(_Read):
    id: int
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class PersonalTokenCreated(PersonalTokenPublic):
    token: str = Field(description="The secret: shown this once only, so keep it safe now")


# Users


class UserBase(BaseModel):
    email: str = Field(max_length=320)
    display_name: str = Field(min_length=1, max_length=200)


class UserCreate(UserBase):
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=500)
    is_admin: bool = False


class UserUpdate(BaseModel):
    """Fields left out stay as they are. Setting `password` resets it and signs the person out."""

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    is_active: bool | None = None
    is_admin: bool | None = None
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=500)


class UserPublic(_Read):
    id: int
    email: str
    display_name: str
    is_active: bool
    is_admin: bool
    created_at: datetime


def user_public(user: User) -> UserPublic:
    """An account as the API shows it."""
    public = UserPublic.model_validate(user)
    # SQLite hands datetimes back without their zone; they were stored as UTC.
    return public.model_copy(update={"created_at": aware(public.created_at)})
