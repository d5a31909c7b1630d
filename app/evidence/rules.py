"""The rules of an evidence item: normalising what a client sends and checking it against the
review's framework, partners and team.

Pure: plain values and a `Framework` in, normalised content or field problems out, so the API,
the web form and the bulk import give the same answers and the rules are tested without a
database. `app.evidence.service.evidence_rules` loads an `EvidenceRules` for a review.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from app.core.errors import Invalid, InvalidMany
from app.core.timeutil import utcnow
from app.evidence.schemas import EvidenceBase
from app.frameworks.schema import Framework
from app.scoring.types import POLARITIES

__all__ = [
    "POLARITIES",
    "PERSONAL_FIELDS",
    "EvidenceContent",
    "EvidenceRules",
    "check_evidence",
    "evidence_problems",
    "framework_order",
    "invalid",
    "latest_date",
    "split_personal",
]

TITLE_MAX = 300
NARRATIVE_MAX = 50_000
QUOTE_MAX = 5_000
TAG_MAX = 50
TAGS_MAX = 30

# The latest calendar date anywhere (UTC+14): a team member entering today's date late in the
# evening, in any time zone, is not refused as "in the future".
_AHEAD_OF_UTC = dt.timedelta(hours=14)

T = TypeVar("T")


class Partner(Protocol):
    """A partner organisation of the review, as the rules and the pages need it."""

    @property
    def id(self) -> int | None: ...

    @property
    def name(self) -> str: ...

    @property
    def org_type(self) -> str: ...


class StoredItem(Protocol):
    """What the rules need of an item already stored: its date and collector, the defaults when
    replacing it (an `Evidence` row is one)."""

    @property
    def collected_on(self) -> dt.date: ...

    @property
    def collected_by_id(self) -> int: ...


# The free text of an item that can hold people's names and identifiable stories. Audit rows and
# the history keep these apart from the rest, so that retention can empty them in one place.
PERSONAL_FIELDS = ("narrative", "quote")


def split_personal(content: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A content mapping as (the rest, the personal part)."""
    rest = {key: value for key, value in content.items() if key not in PERSONAL_FIELDS}
    personal = {key: value for key, value in content.items() if key in PERSONAL_FIELDS}
    return rest, personal


@dataclass(frozen=True)
class EvidenceContent:
    """An item's content after normalising: what is hashed, kept in history and audited."""

    title: str
    narrative: str
    source_type: str
    category: str
    polarity: str
    collected_on: dt.date
    collected_by: int
    quote: str
    tags: tuple[str, ...]
    lines: tuple[str, ...]  # framework order
    stages: tuple[str, ...]  # framework order
    organisations: tuple[int, ...]  # ascending ids

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "narrative": self.narrative,
            "source_type": self.source_type,
            "category": self.category,
            "polarity": self.polarity,
            "collected_on": self.collected_on.isoformat(),
            "collected_by": self.collected_by,
            "quote": self.quote,
            "tags": list(self.tags),
            "lines": list(self.lines),
            "stages": list(self.stages),
            "organisations": list(self.organisations),
        }

    def digest(self) -> str:
        """SHA-256 of the canonical JSON: equal content, equal digest, whatever order it came in."""
        canonical = json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class EvidenceRules:
    """What an item is checked against for one review, loaded once (reuse it for many items)."""

    review_id: int
    framework: Framework
    partners: Mapping[int, Partner]
    team: dict[int, str]  # user id -> name of the members who may be named as collector

    def line_keys(self) -> list[str]:
        return self.framework.refs()

    def stage_keys(self) -> list[str]:
        return [stage.key for stage in self.framework.pathway_stages]

    def category_keys(self) -> list[str]:
        return [category.key for category in self.framework.evidence_categories]

    def source_type_keys(self) -> list[str]:
        return [source.key for source in self.framework.source_types]


def latest_date() -> dt.date:
    """The latest date that is not yet in the future somewhere."""
    return (utcnow() + _AHEAD_OF_UTC).date()


def _text(value: str) -> str:
    # Forms send CRLF and tablets add trailing spaces; neither should count as a change.
    lines = (value or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _one_line(value: str) -> str:
    return " ".join((value or "").split())


def _in_order(values: Iterable[T], order: Sequence[T]) -> tuple[T, ...]:
    wanted = set(values)
    return tuple(item for item in order if item in wanted)


def framework_order(values: Iterable[str], order: Sequence[str]) -> tuple[str, ...]:
    """Stored keys in the framework's order; any the framework no longer lists follow, sorted
    (they still belong in the history)."""
    values = list(values)
    return _in_order(values, order) + tuple(sorted(set(values) - set(order)))


def _choice(
    problems: list[dict[str, str]], field: str, raw: str, allowed: list[str], noun: str, ask: str
) -> str:
    value = raw.strip().lower()
    if not value:
        problems.append({"field": field, "message": ask})
    elif value not in allowed:
        message = f"'{raw.strip()}' is not {noun} of this framework; use one of: {', '.join(allowed)}"
        problems.append({"field": field, "message": message})
    return value


def _are(items: list[str]) -> str:
    return "is" if len(items) == 1 else "are"


def _normalise(
    rules: EvidenceRules, data: EvidenceBase, *, actor_id: int, existing: StoredItem | None
) -> tuple[EvidenceContent | None, list[dict[str, str]]]:
    problems: list[dict[str, str]] = []

    def bad(field: str, message: str) -> None:
        problems.append({"field": field, "message": message})

    title = _one_line(data.title)
    if not title:
        bad("title", "enter a title")
    elif len(title) > TITLE_MAX:
        bad("title", f"the title must be {TITLE_MAX} characters or fewer (it has {len(title)})")
    narrative = _text(data.narrative)
    if len(narrative) > NARRATIVE_MAX:
        bad(
            "narrative",
            f"the notes must be {NARRATIVE_MAX:,} characters or fewer (they have {len(narrative):,})",
        )
    quote = _text(data.quote)
    if len(quote) > QUOTE_MAX:
        bad("quote", f"the quote must be {QUOTE_MAX:,} characters or fewer (it has {len(quote):,})")

    source_type = _choice(
        problems,
        "source_type",
        data.source_type,
        rules.source_type_keys(),
        "a source type",
        "choose the type of source",
    )
    category = _choice(
        problems,
        "category",
        data.category,
        rules.category_keys(),
        "an evidence category",
        "choose the evidence category",
    )
    polarity = data.polarity.strip().lower()
    if polarity not in POLARITIES:
        bad(
            "polarity",
            "choose whether this is a strength, a concern or context"
            if not polarity
            else f"'{data.polarity.strip()}' is not a polarity; use one of: {', '.join(POLARITIES)}",
        )

    refs = [ref.strip().upper() for ref in data.lines if ref.strip()]
    known_refs = set(rules.line_keys())
    unknown_refs = sorted({ref for ref in refs if ref not in known_refs})
    fw = rules.framework
    if not refs:
        bad("lines", "choose at least one line of enquiry")
    elif unknown_refs:
        bad(
            "lines",
            f"{', '.join(unknown_refs)} {_are(unknown_refs)} not a line of enquiry of the framework "
            f"this review uses ({fw.title}, version {fw.version})",
        )

    stages = [stage.strip().lower() for stage in data.stages if stage.strip()]
    unknown_stages = sorted({stage for stage in stages if stage not in rules.stage_keys()})
    if unknown_stages:
        bad(
            "stages",
            f"{', '.join(unknown_stages)} {_are(unknown_stages)} not a pathway stage of this framework; "
            f"use any of: {', '.join(rules.stage_keys())}",
        )

    unknown_orgs = sorted({org for org in data.organisations if org not in rules.partners})
    if unknown_orgs:
        bad(
            "organisations",
            f"organisation {', '.join(str(o) for o in unknown_orgs)} {_are([str(o) for o in unknown_orgs])} "
            "not a partner in this review",
        )

    collected_on = data.collected_on or (existing.collected_on if existing else utcnow().date())
    if collected_on > latest_date():
        bad("collected_on", "the date collected cannot be in the future")

    collected_by = data.collected_by or (existing.collected_by_id if existing else actor_id)
    # The caller (an administrator may have no role) and a collector already stored (who may
    # since have left the team) stay valid, so editing an old item never fails on a field
    # nobody touched.
    if (
        collected_by not in rules.team
        and collected_by != actor_id
        and (existing is None or collected_by != existing.collected_by_id)
    ):
        bad("collected_by", f"user {collected_by} is not a member of this review's team")

    tags = sorted({_one_line(tag).lower() for tag in data.tags if _one_line(tag)})
    long_tags = [tag for tag in tags if len(tag) > TAG_MAX]
    if long_tags:
        bad("tags", f"each tag must be {TAG_MAX} characters or fewer ('{long_tags[0][:TAG_MAX]}…' is longer)")
    elif len(tags) > TAGS_MAX:
        bad("tags", f"use {TAGS_MAX} tags or fewer (there are {len(tags)})")

    if problems:
        return None, problems
    content = EvidenceContent(
        title=title,
        narrative=narrative,
        source_type=source_type,
        category=category,
        polarity=polarity,
        collected_on=collected_on,
        collected_by=collected_by,
        quote=quote,
        tags=tuple(tags),
        lines=_in_order(refs, rules.line_keys()),
        stages=_in_order(stages, rules.stage_keys()),
        organisations=tuple(sorted(set(data.organisations))),
    )
    return content, []


def evidence_problems(
    rules: EvidenceRules, data: EvidenceBase, *, actor_id: int, existing: StoredItem | None = None
) -> list[dict[str, str]]:
    """Every problem with an item, as [{"field", "message"}] (empty when it is valid)."""
    return _normalise(rules, data, actor_id=actor_id, existing=existing)[1]


def check_evidence(
    rules: EvidenceRules, data: EvidenceBase, *, actor_id: int, existing: StoredItem | None = None
) -> EvidenceContent:
    """The normalised content of a valid item; raises Invalid (one problem) or InvalidMany.

    Defaults: the date collected is today for a new item and the stored date when replacing;
    the collector is the caller for a new item and the stored collector when replacing.
    """
    content, problems = _normalise(rules, data, actor_id=actor_id, existing=existing)
    if problems:
        raise invalid(problems)
    assert content is not None
    return content


def invalid(problems: list[dict[str, str]]) -> Invalid:
    """One error for a list of field problems; the detail names every field."""
    if len(problems) == 1:
        return Invalid(problems[0]["message"], field=problems[0]["field"])
    detail = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return InvalidMany(detail, errors=list(problems))  # type: ignore[arg-type]
