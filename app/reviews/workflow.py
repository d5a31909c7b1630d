"""The review status workflow as a pure rule: which status may follow which.

A review moves planning -> fieldwork -> moderation -> reporting -> published one step
at a time. The lead may step back one status to reopen work (say, moderation back to
fieldwork when a gap in the evidence turns up), but publication is final: a published
review is read-only for everything but its action plan.
"""

from __future__ import annotations

from app.core.errors import Invalid
from app.reviews.models import REVIEW_STATUSES

FINAL_STATUS = REVIEW_STATUSES[-1]


def status_index(status: str) -> int:
    """Position of a status in the workflow; Invalid (naming `status`) for an unknown one."""
    try:
        return REVIEW_STATUSES.index(status)
    except ValueError:
        raise Invalid(
            f"'{status}' is not a review status: use one of {', '.join(REVIEW_STATUSES)}", field="status"
        ) from None


def next_status(status: str) -> str | None:
    """The status one step forward, or None at the end of the workflow."""
    index = status_index(status)
    return REVIEW_STATUSES[index + 1] if index + 1 < len(REVIEW_STATUSES) else None


def previous_status(status: str) -> str | None:
    """The status one step back, or None at the start, and None out of publication (it is final)."""
    index = status_index(status)
    if status == FINAL_STATUS or index == 0:
        return None
    return REVIEW_STATUSES[index - 1]


def allowed_moves(status: str) -> list[str]:
    """Statuses a review may move to from `status`: forward first, then back."""
    return [move for move in (next_status(status), previous_status(status)) if move is not None]


def check_move(current: str, target: str) -> None:
    """Raise Invalid naming `status` unless moving from `current` to `target` is allowed."""
    status_index(target)
    if target == current:
        raise Invalid(f"the review is already in {target}", field="status")
    if current == FINAL_STATUS:
        raise Invalid("a published review is final and its status cannot change", field="status")
    allowed = allowed_moves(current)
    if target not in allowed:
        raise Invalid(
            f"a review in {current} can only move to {' or '.join(allowed)}, one step at a time",
            field="status",
        )
