"""Parameter types shared by the routes.

Ids are bounded where they enter: both databases store them as signed 64-bit integers, and a
larger number in a path or query used to reach the database and fail there with a 500.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ROW_ID = 2**63 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A record's id")]
