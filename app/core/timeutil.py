from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timezone-aware UTC now (SQLModel datetime columns reject naive values)."""
    return datetime.now(UTC)
