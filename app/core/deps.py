"""Request-level dependencies shared by every router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlmodel import Session

from app.core.db import session_scope


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; safe methods read without taking the write lock."""
    with session_scope(read_only=request.method in ("GET", "HEAD"), request=True) as session:
        yield session


# scope="function": commit when the endpoint returns, before the response is sent, so a
# failed commit is an error answer rather than a success the client has already been told of.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


# Ids are bounded where they enter: the id columns are INTEGER, which PostgreSQL keeps in 32 bits
# (SQLite in 64), and a larger number in a path or query would reach the database and fail there
# with a 500. The bound is the smaller of the two.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A record's id")]
