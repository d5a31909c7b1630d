"""The shape of the demo's data files (`app/demo/data/*.yaml`), checked when they are loaded.

One model per file; every field is named and no other field is allowed, so a misspelt field
is refused rather than ignored. Keys of the framework (lines, stages, categories...) are not
checked here: the services check them against the review's framework as the demo is seeded.
`cross_checks` checks what the files say about each other (a finding cites evidence that
exists, a rating is given by a self-assessor who exists...).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.accounts.permissions import Role
from app.core.yamlfile import Path

# Evidence ids are made from their keys, so a demo database always has the same ids.
EVIDENCE_NAMESPACE = uuid.UUID("6f1d3a52-8c1e-4b7e-9a55-2f0c4d1e7b90")

Key = Annotated[str, Field(min_length=1)]
Text = Annotated[str, Field(min_length=1)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# people.yaml -------------------------------------------------------------------------------------


class Partner(_Entry):
    key: Key
    name: Text
    type: Key


class Person(_Entry):
    key: Key
    name: Text
    email: Text


class TeamMember(Person):
    role: Role


class SelfAssessor(Person):
    organisation: Key  # a partner key


class PeopleFile(_Entry):
    partners: list[Partner]
    team: list[TeamMember]
    self_assessors: list[SelfAssessor]


# review.yaml -------------------------------------------------------------------------------------


class ReportText(_Entry):
    people_experience: Text
    summary: Text
    scope_note: Text


class ReviewFile(_Entry):
    place: Text
    icb: Text
    councils: list[Text]
    kind: Key
    framework: Key
    report: ReportText


# evidence.yaml -----------------------------------------------------------------------------------


class EvidenceItem(_Entry):
    key: Key
    title: Text
    collected_by: Key  # a team key
    day: int  # days after the first day of fieldwork
    source: Key
    category: Key
    polarity: Literal["strength", "concern", "context"]
    lines: list[Key] = Field(min_length=1)
    stages: list[Key]
    organisations: list[Key]
    tags: list[Key] = []
    narrative: Text
    quote: str = ""

    @property
    def id(self) -> str:
        """The evidence id: the same for the same key on every seeding."""
        return str(uuid.uuid5(EVIDENCE_NAMESPACE, self.key))


class EvidenceFile(_Entry):
    evidence: list[EvidenceItem]


# ratings.yaml ------------------------------------------------------------------------------------


class LineRatings(_Entry):
    self_assessment: dict[str, int]  # self-assessor key: rating
    self_assessment_reasons: dict[str, Text] = {}
    review_team: dict[str, int]  # reviewer key: rating
    moderated: int
    rationale: Text


class RatingsFile(_Entry):
    lines: dict[str, LineRatings]  # line reference: how each group rated it


# findings.yaml -----------------------------------------------------------------------------------


class Finding(_Entry):
    kind: Literal["strength", "improvement"]
    domain: str = ""
    stage: str = ""
    written_by: Key  # a team key
    evidence: list[Key] = Field(min_length=1)  # evidence keys
    text: Text


class Recommendation(_Entry):
    priority: Literal["high", "medium", "low"]
    domain: str = ""
    owners: list[Key] = Field(min_length=1)  # partner keys
    target_in_months: int = Field(ge=1)
    written_by: Key
    text: Text


class FindingsFile(_Entry):
    findings: list[Finding]
    recommendations: list[Recommendation]


# indicators.yaml ---------------------------------------------------------------------------------


class Indicator(_Entry):
    value: float
    england: float | None = None
    similar_areas: float | None = None
    period: Text
    source: str = ""
    note: str = ""


class IndicatorsFile(_Entry):
    entered_by: Key  # a team key
    indicators: dict[str, Indicator]  # indicator key: its figures


# The files, by name, and the model each must match.
FILES: dict[str, type[_Entry]] = {
    "review.yaml": ReviewFile,
    "people.yaml": PeopleFile,
    "evidence.yaml": EvidenceFile,
    "ratings.yaml": RatingsFile,
    "findings.yaml": FindingsFile,
    "indicators.yaml": IndicatorsFile,
}


@dataclass(frozen=True)
class DemoData:
    """The demo review's content, every file validated."""

    review: ReviewFile
    people: PeopleFile
    evidence: list[EvidenceItem]
    lines: dict[str, LineRatings]
    findings: list[Finding]
    recommendations: list[Recommendation]
    indicators: IndicatorsFile

    @property
    def everyone(self) -> list[Person]:
        """The team, then the self-assessors, in file order (the order accounts are made)."""
        return [*self.people.team, *self.people.self_assessors]

    def with_role(self, role: Role) -> list[TeamMember]:
        """The team members with this role, in file order."""
        return [member for member in self.people.team if member.role is role]

    @property
    def lead(self) -> TeamMember:
        """The review lead, who opens, runs and moderates the review."""
        return self.with_role(Role.lead)[0]

    @property
    def writer(self) -> TeamMember:
        """The report writer, who writes the report's opening text."""
        return self.with_role(Role.report_writer)[0]

    @property
    def reviewers(self) -> list[TeamMember]:
        """The reviewers, in file order: the order in which they rate each line."""
        return self.with_role(Role.reviewer)

    @cached_property
    def evidence_ids(self) -> dict[str, str]:
        """Evidence key: evidence id."""
        return {item.key: item.id for item in self.evidence}


# A problem found by a cross-check: the file, the path in it and what is wrong.
Problem = tuple[str, Path, str]


def cross_checks(data: DemoData) -> list[Problem]:
    """What the files say about each other; an empty list when they agree."""
    return [*_people_checks(data), *_evidence_checks(data), *_rating_checks(data), *_report_checks(data)]


def _unique(file: str, entries: Iterable[tuple[Path, str]]) -> Iterator[Problem]:
    """A problem for each key (at its path) that an earlier entry already used."""
    seen: set[str] = set()
    for path, key in entries:
        if key in seen:
            yield (file, path, f"the key '{key}' is used twice")
        seen.add(key)


def _keys(section: str, entries: Sequence[Partner | Person | EvidenceItem]) -> list[tuple[Path, str]]:
    return [((section, index, "key"), entry.key) for index, entry in enumerate(entries)]


def _refers(file: str, path: Path, key: str, known: Collection[str], what: str) -> Iterator[Problem]:
    """A problem at `path` unless `key` names one of the `known` keys of `what`."""
    if key not in known:
        yield (file, path, f"there is no {what} '{key}' in the demo")


def _refers_all(
    file: str, path: Path, keys: Sequence[str], known: Collection[str], what: str
) -> Iterator[Problem]:
    """`_refers` for each key of a list."""
    for index, key in enumerate(keys):
        yield from _refers(file, (*path, index), key, known, what)


def _people_checks(data: DemoData) -> Iterator[Problem]:
    people = data.people
    yield from _unique("people.yaml", _keys("partners", people.partners))
    # Team and self-assessors share one set of keys: ratings and evidence name people by them.
    yield from _unique(
        "people.yaml", [*_keys("team", people.team), *_keys("self_assessors", people.self_assessors)]
    )
    partners = [p.key for p in people.partners]
    for index, assessor in enumerate(people.self_assessors):
        yield from _refers(
            "people.yaml",
            ("self_assessors", index, "organisation"),
            assessor.organisation,
            partners,
            "partner",
        )
    for index, member in enumerate(people.team):
        if member.role is Role.self_assessor:
            yield ("people.yaml", ("team", index, "role"), "self-assessors belong under self_assessors")
    for role in (Role.lead, Role.report_writer):
        if len(data.with_role(role)) != 1:
            yield ("people.yaml", ("team",), f"the team needs exactly one {role.value.replace('_', ' ')}")
    if not data.reviewers:
        yield ("people.yaml", ("team",), "the team needs at least one reviewer")


def _evidence_checks(data: DemoData) -> Iterator[Problem]:
    file = "evidence.yaml"
    yield from _unique(file, _keys("evidence", data.evidence))
    partners = [p.key for p in data.people.partners]
    team = [p.key for p in data.people.team]
    for index, item in enumerate(data.evidence):
        yield from _refers(file, ("evidence", index, "collected_by"), item.collected_by, team, "team member")
        yield from _refers_all(
            file, ("evidence", index, "organisations"), item.organisations, partners, "partner"
        )


def _rating_checks(data: DemoData) -> Iterator[Problem]:
    file = "ratings.yaml"
    assessors = [p.key for p in data.people.self_assessors]
    reviewers = [p.key for p in data.reviewers]
    cited = {ref for item in data.evidence for ref in item.lines}
    for ref, line in data.lines.items():
        where: Path = ("lines", ref)
        if sorted(line.self_assessment) != sorted(assessors):
            yield (file, (*where, "self_assessment"), f"give a rating from each of {', '.join(assessors)}")
        for key in line.self_assessment_reasons:
            yield from _refers(
                file, (*where, "self_assessment_reasons", key), key, assessors, "self-assessor"
            )
        if sorted(line.review_team) != sorted(reviewers):
            yield (file, (*where, "review_team"), f"give a rating from each of {', '.join(reviewers)}")
        if ref not in cited:
            # Reviewers' rationales and the moderated rating cite the line's evidence.
            yield (file, where, f"no evidence in evidence.yaml bears on {ref}")


def _report_checks(data: DemoData) -> Iterator[Problem]:
    file = "findings.yaml"
    team = [p.key for p in data.people.team]
    partners = [p.key for p in data.people.partners]
    for index, finding in enumerate(data.findings):
        yield from _refers(file, ("findings", index, "written_by"), finding.written_by, team, "team member")
        yield from _refers_all(
            file, ("findings", index, "evidence"), finding.evidence, data.evidence_ids, "evidence item"
        )
    for index, rec in enumerate(data.recommendations):
        yield from _refers(
            file, ("recommendations", index, "written_by"), rec.written_by, team, "team member"
        )
        yield from _refers_all(file, ("recommendations", index, "owners"), rec.owners, partners, "partner")
    entered_by = data.indicators.entered_by
    yield from _refers("indicators.yaml", ("entered_by",), entered_by, team, "team member")
