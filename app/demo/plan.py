"""What the demo seed works out without a database: its dates, and which evidence each rating cites."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from app.demo.schema import EvidenceItem


def fieldwork_dates(today: date) -> tuple[date, date]:
    """Monday to Friday about two months before today: the review is now being written up,
    and the content reads the same whichever day it is seeded."""
    start = today - timedelta(days=today.weekday() + 63)
    return start, start + timedelta(days=4)


def target_date(today: date, months: int) -> date:
    """The last day of the month `months` months after today (targets fall at a month's end)."""
    year, month = divmod(today.month - 1 + months + 1, 12)
    return date(today.year + year, month + 1, 1) - timedelta(days=1)


def evidence_by_line(items: Sequence[EvidenceItem]) -> dict[str, list[EvidenceItem]]:
    """The items bearing on each line of enquiry, in file order."""
    by_line: dict[str, list[EvidenceItem]] = {}
    for item in items:
        for ref in item.lines:
            by_line.setdefault(ref, []).append(item)
    return by_line


def triangulated(items: Sequence[EvidenceItem], count: int) -> list[EvidenceItem]:
    """Up to `count` items, one per evidence category first, so a moderated rating triangulates."""
    chosen: list[EvidenceItem] = []
    for item in items:
        if len(chosen) < count and item.category not in {c.category for c in chosen}:
            chosen.append(item)
    chosen += [item for item in items if item not in chosen][: count - len(chosen)]
    return chosen


def weighed_by_reviewer(items: Sequence[EvidenceItem], index: int) -> list[EvidenceItem]:
    """The two items the `index`th reviewer cites: each leans on a different slice of the
    line's evidence, as on a real visit."""
    start = index % len(items)
    return [*items[start:], *items[:start]][:2]


def team_rationale(label: str, weighed: Sequence[EvidenceItem]) -> str:
    """A reviewer's rationale: the scale label and the titles of the evidence weighed."""
    titles = " and ".join(f"'{item.title}'" for item in weighed)
    return f"{label}: weighed {titles}."
