"""Errors the services raise; the HTTP layer maps each kind to a status code.

Services know nothing of HTTP: they say what went wrong in domain terms, naming
the field at fault where there is one.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, object]:
        errors = [{"field": self.field, "message": self.message}] if self.field else []
        detail = f"{self.field}: {self.message}" if self.field else self.message
        return {"detail": detail, "errors": errors}


class Invalid(DomainError):
    """Input that names something wrong (unknown line of enquiry, bad move...)."""

    status_code = 422


class InvalidMany(Invalid):
    """Several problems at once (a bulk import, a framework file)."""

    def __init__(self, message: str, errors: list[dict[str, object]]):
        super().__init__(message)
        self.errors = errors

    def to_dict(self) -> dict[str, object]:
        return {"detail": self.message, "errors": self.errors}


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    """A stale write, or content that clashes with what is stored."""

    status_code = 409


class ReadOnly(DomainError):
    """The review is published (or otherwise closed) and cannot change."""

    status_code = 409


class TooLarge(DomainError):
    status_code = 413


class ErrorItem(BaseModel):
    """One problem, naming the field at fault ('' when none); a bulk import adds its row and column."""

    model_config = ConfigDict(extra="allow")

    field: str
    message: str


class ErrorBody(BaseModel):
    """The one shape of every error answer: a sentence, and the problems field by field."""

    model_config = ConfigDict(extra="allow")

    detail: str = Field(description="What went wrong, in plain English, naming the field where there is one.")
    # Absent where no field is at fault (not found, not signed in, too large).
    errors: list[ErrorItem] = Field(default_factory=list, description="Each problem with its field.")
