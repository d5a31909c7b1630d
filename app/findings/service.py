"""Findings, recommendations and the system action plan of a review (no HTTP here).

Findings are strengths and areas for improvement, each for a domain of the pinned
framework and/or a pathway stage, citing evidence. Recommendations are numbered
1, 2, 3... without gaps and owned by partner organisations. The action plan
follows publication: actions, each owned by one partner, with progress notes kept
as history. Every write is audited and marks the review's content as changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.permissions import Role
from app.core import audit
from app.core.errors import Conflict, Forbidden, Invalid, InvalidMany, NotFound
from app.core.models_base import aware
from app.core.text import render_markdown
from app.core.timeutil import utcnow
from app.evidence import service as evidence_service
from app.evidence.models import Evidence, EvidenceLine
from app.findings.models import (
    ACTION_STATUSES,
    FINDING_KINDS,
    PRIORITIES,
    ActionItem,
    ActionNote,
    Finding,
    Recommendation,
)
from app.findings.schemas import (
    ActionNotePublic,
    ActionPublic,
    EvidenceRef,
    FindingPublic,
    OrganisationRef,
    PersonRef,
    RecommendationPublic,
    RecommendationRef,
)
from app.frameworks.schema import Framework
from app.reviews import references
from app.reviews.access import ReviewScope
from app.reviews.changes import Write, check_accepts, review_framework, touch
from app.reviews.models import Organisation, Review

KIND_LABELS = {"strength": "Strength", "improvement": "Area for improvement"}
STATUS_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "done": "Done",
    "blocked": "Blocked",
}
# Long enough for any paragraph a report carries; short enough to refuse a pasted document.
MAX_TEXT = 20_000

FINDING_FIELDS = ("kind", "text", "domain_key", "stage", "cited_evidence", "position")
RECOMMENDATION_FIELDS = ("text", "domain_key", "owner_organisation_ids", "priority", "target_date", "number")
ACTION_FIELDS = ("text", "recommendation_id", "owner_organisation_id", "status", "due_date")


# Shared checks


def _text(value: str | None, *, field: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise Invalid(f"enter {what}", field=field)
    if len(text) > MAX_TEXT:
        raise Invalid(f"must be {MAX_TEXT:,} characters or fewer (it is {len(text):,})", field=field)
    return text


ASK = {
    "kind": "choose whether it is a strength or an area for improvement",
    "priority": "choose a priority: high, medium or low",
    "status": "choose a status: not started, in progress, done or blocked",
}

T = TypeVar("T")


class _Checks:
    """Runs several checks and reports every problem at once, so a form can show them all."""

    def __init__(self) -> None:
        self.problems: list[dict[str, str]] = []

    def run(self, check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return check(*args, **kwargs)
        except InvalidMany as exc:
            self.problems.extend({"field": str(e["field"]), "message": str(e["message"])} for e in exc.errors)
        except Invalid as exc:
            self.problems.append({"field": exc.field or "", "message": exc.message})
        return None

    def add(self, field: str, message: str) -> None:
        self.problems.append({"field": field, "message": message})

    def failed(self, field: str) -> bool:
        return any(p["field"] == field for p in self.problems)

    def done(self) -> None:
        """Raise Invalid for one problem, InvalidMany (naming every field) for several."""
        if len(self.problems) == 1:
            raise Invalid(self.problems[0]["message"], field=self.problems[0]["field"])
        if self.problems:
            detail = "; ".join(f"{p['field']}: {p['message']}" for p in self.problems)
            raise InvalidMany(detail, errors=list(self.problems))  # type: ignore[arg-type]


def _choice(value: str | None, allowed: Sequence[str], *, field: str) -> str:
    if not value and field in ASK:
        raise Invalid(ASK[field], field=field)
    if value not in allowed:
        raise Invalid(f"must be one of {', '.join(allowed)}", field=field)
    return value


def _domain(fw: Framework, key: str | None) -> str:
    key = (key or "").strip()
    if key and key not in {d.key for d in fw.domains}:
        raise Invalid(
            f"'{key}' is not a domain of {fw.title}; use one of {', '.join(d.key for d in fw.domains)}",
            field="domain_key",
        )
    return key


def _stage(fw: Framework, key: str | None) -> str:
    key = (key or "").strip()
    if key and key not in {s.key for s in fw.pathway_stages}:
        raise Invalid(
            f"'{key}' is not a pathway stage of {fw.title}; "
            f"use one of {', '.join(s.key for s in fw.pathway_stages)}",
            field="stage",
        )
    return key


def _not_past(value: date | None, *, field: str) -> date | None:
    if value is not None and value < utcnow().date():
        raise Invalid("must be today or later", field=field)
    return value


def check_cited_evidence(session: Session, review: Review, ids: Iterable[object]) -> list[str]:
    """The ids of the cited evidence in canonical form (the one rule lives in the evidence service)."""
    return [row.id for row in evidence_service.live_evidence(session, review, ids)]


def partner_organisations(session: Session, *, review: Review) -> list[Organisation]:
    """The review's partner organisations by name (the owners a recommendation or action may have)."""
    return list(
        session.exec(
            select(Organisation).where(Organisation.review_id == review.id).order_by(col(Organisation.name))
        )
    )


def _organisations(session: Session, review: Review) -> dict[int, Organisation]:
    return {org.id: org for org in partner_organisations(session, review=review) if org.id is not None}


def _check_organisation(session: Session, review: Review, org_id: int | None, *, field: str) -> int | None:
    if org_id is not None and org_id not in _organisations(session, review):
        raise Invalid(f"organisation {org_id} is not a partner of this review", field=field)
    return org_id


def _lock_review(session: Session, review: Review) -> None:
    """Serialise numbering within one review: two writers must not both take number n+1.

    PostgreSQL takes a row lock; SQLite writers already hold the database lock
    (BEGIN IMMEDIATE), and its dialect leaves FOR UPDATE out."""
    session.exec(select(Review.id).where(Review.id == review.id).with_for_update()).one()


def _changed(session: Session, review: Review, row: Any, before: dict[str, Any]) -> None:
    """Stamp and store an edited row, unless the edit changed nothing."""
    if audit.diff(before, audit.snapshot(row)):
        row.updated_at = utcnow()
        session.add(row)


def _record(
    session: Session,
    review: Review,
    *,
    user_id: int,
    entity: str,
    row: Any,
    action: str,
    before: Mapping[str, Any] | None = None,
    reason: str = "",
) -> None:
    after = audit.snapshot(row) if action != "delete" else None
    audit.record(
        session,
        user_id=user_id,
        review_id=review.id,
        entity=entity,
        entity_id=row.id,
        action=action,
        before=before,
        after=after,
        reason=reason,
    )
    touch(session, review)


def _renumber(
    session: Session,
    review: Review,
    rows: list[Any],
    *,
    attr: str,
    user_id: int,
    entity: str,
    moved: Any | None = None,
) -> None:
    """Number `rows` 1..n in list order; every other row whose number changes gets its own audit
    row, so the trail explains why 'recommendation 4' became 'recommendation 3'."""
    for number, row in enumerate(rows, start=1):
        old = getattr(row, attr)
        if old == number:
            continue
        setattr(row, attr, number)
        session.add(row)
        if row is not moved:
            audit.record(
                session,
                user_id=user_id,
                review_id=review.id,
                entity=entity,
                entity_id=row.id,
                action="renumber",
                before={attr: old},
                after={attr: number},
            )


def _place(rows: list[Any], row: Any, wanted: int | None) -> list[Any]:
    """`rows` with `row` moved to 1-based place `wanted` (the end when None or beyond it)."""
    others = [r for r in rows if r is not row]
    index = len(others) if wanted is None else max(0, min(wanted - 1, len(others)))
    return [*others[:index], row, *others[index:]]


def _people(session: Session, ids: Iterable[int]) -> dict[int, PersonRef]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.exec(select(User).where(col(User.id).in_(wanted)))
    return {u.id: PersonRef(id=u.id, name=u.display_name) for u in rows if u.id is not None}


def _person(people: Mapping[int, PersonRef], user_id: int) -> PersonRef:
    return people.get(user_id) or PersonRef(id=user_id, name="(unknown)")


def _org_ref(org: Organisation) -> OrganisationRef:
    return OrganisationRef(id=org.id or 0, name=org.name, org_type=org.org_type)


# Findings


def _finding_group(session: Session, review: Review, finding: Finding) -> list[Finding]:
    return list(
        session.exec(
            select(Finding)
            .where(
                Finding.review_id == review.id,
                Finding.domain_key == finding.domain_key,
                Finding.stage == finding.stage,
                Finding.kind == finding.kind,
            )
            .order_by(col(Finding.position), col(Finding.id))
        )
    )


def _finding_order(fw: Framework) -> Any:
    """Sort key: framework order of domains, strengths before improvements, then stages."""
    domains = {d.key: i for i, d in enumerate(fw.domains)}
    stages = {s.key: i for i, s in enumerate(fw.pathway_stages)}
    kinds = {k: i for i, k in enumerate(FINDING_KINDS)}

    def key(f: Finding) -> tuple[int, int, int, int, int]:
        # Findings with no domain (stage-only) come after every domain.
        return (
            domains.get(f.domain_key, len(domains)),
            kinds.get(f.kind, len(kinds)),
            stages.get(f.stage, -1),
            f.position,
            f.id or 0,
        )

    return key


def list_findings(
    session: Session,
    *,
    review: Review,
    domain_key: str | None = None,
    stage: str | None = None,
    kind: str | None = None,
) -> list[Finding]:
    """The review's findings in report order, optionally only one domain, stage or kind."""
    fw = review_framework(session, review)
    query = select(Finding).where(Finding.review_id == review.id)
    if domain_key:
        query = query.where(Finding.domain_key == _domain(fw, domain_key))
    if stage:
        query = query.where(Finding.stage == _stage(fw, stage))
    if kind:
        query = query.where(Finding.kind == _choice(kind, FINDING_KINDS, field="kind"))
    return sorted(session.exec(query), key=_finding_order(fw))


def get_finding(session: Session, *, review: Review, finding_id: int) -> Finding:
    finding = session.get(Finding, finding_id)
    if finding is None or finding.review_id != review.id:
        raise NotFound("finding not found")
    return finding


def _check_finding(session: Session, review: Review, fw: Framework, values: dict[str, Any]) -> dict[str, Any]:
    # In the order the form asks, so the error summary reads top to bottom.
    checks = _Checks()
    kind = checks.run(_choice, values.get("kind"), FINDING_KINDS, field="kind")
    domain_key = checks.run(_domain, fw, values.get("domain_key"))
    stage = checks.run(_stage, fw, values.get("stage"))
    if not (checks.failed("domain_key") or checks.failed("stage") or domain_key or stage):
        checks.add("domain_key", "choose a domain, a pathway stage or both")
    clean = {
        "kind": kind,
        "domain_key": domain_key,
        "stage": stage,
        "text": checks.run(_text, values.get("text"), field="text", what="the text of the finding"),
        "cited_evidence": checks.run(
            check_cited_evidence, session, review, values.get("cited_evidence") or []
        ),
    }
    checks.done()
    return clean


def create_finding(
    session: Session,
    *,
    review: Review,
    user_id: int,
    kind: str,
    text: str,
    domain_key: str = "",
    stage: str = "",
    cited_evidence: Sequence[str] = (),
    position: int | None = None,
) -> Finding:
    """Add a strength or area for improvement; it goes last in its group unless `position` says."""
    check_accepts(review, Write.findings)
    fw = review_framework(session, review)
    clean = _check_finding(
        session,
        review,
        fw,
        {
            "kind": kind,
            "text": text,
            "domain_key": domain_key,
            "stage": stage,
            "cited_evidence": cited_evidence,
        },
    )
    _lock_review(session, review)
    finding = Finding(review_id=review.id, created_by_id=user_id, **clean)
    session.add(finding)
    session.flush()
    _renumber(
        session,
        review,
        _place(_finding_group(session, review, finding), finding, position),
        attr="position",
        user_id=user_id,
        entity="finding",
        moved=finding,
    )
    _record(session, review, user_id=user_id, entity="finding", row=finding, action="create")
    return finding


def update_finding(
    session: Session, *, review: Review, user_id: int, finding_id: int, changes: Mapping[str, Any]
) -> Finding:
    """Change some fields of a finding. A new domain, stage or kind moves it to the end of that
    group (or to `position` in it); `position` alone moves it within its group."""
    unknown = set(changes) - set(FINDING_FIELDS)
    if unknown:
        raise Invalid("cannot be changed", field=sorted(unknown)[0])
    check_accepts(review, Write.findings)
    _lock_review(session, review)
    finding = get_finding(session, review=review, finding_id=finding_id)
    fw = review_framework(session, review)
    before = audit.snapshot(finding)
    values = {name: getattr(finding, name) for name in FINDING_FIELDS if name != "position"}
    values.update({k: v for k, v in changes.items() if k != "position"})
    clean = _check_finding(session, review, fw, values)
    old_group = _finding_group(session, review, finding)
    regrouped = any(clean[k] != getattr(finding, k) for k in ("kind", "domain_key", "stage"))
    for name, value in clean.items():
        setattr(finding, name, value)
    session.add(finding)
    session.flush()
    if regrouped:
        _renumber(
            session,
            review,
            [f for f in old_group if f is not finding],
            attr="position",
            user_id=user_id,
            entity="finding",
        )
    if regrouped or changes.get("position") is not None:
        _renumber(
            session,
            review,
            _place(_finding_group(session, review, finding), finding, changes.get("position")),
            attr="position",
            user_id=user_id,
            entity="finding",
            moved=finding,
        )
    _changed(session, review, finding, before)
    if audit.diff(before, audit.snapshot(finding)):
        _record(
            session, review, user_id=user_id, entity="finding", row=finding, action="update", before=before
        )
    return finding


def delete_finding(session: Session, *, review: Review, user_id: int, finding_id: int) -> None:
    """Remove a finding; the rest of its group closes up."""
    check_accepts(review, Write.findings)
    _lock_review(session, review)
    finding = get_finding(session, review=review, finding_id=finding_id)
    before = audit.snapshot(finding)
    group = [f for f in _finding_group(session, review, finding) if f is not finding]
    session.delete(finding)
    session.flush()
    _renumber(session, review, group, attr="position", user_id=user_id, entity="finding")
    _record(session, review, user_id=user_id, entity="finding", row=finding, action="delete", before=before)


def cited_evidence_refs(session: Session, review: Review, ids: Iterable[str]) -> dict[str, EvidenceRef]:
    """Titles and polarity of cited evidence, deleted items included and marked (one query)."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.exec(
        select(Evidence.id, Evidence.title, Evidence.polarity, Evidence.deleted_at).where(
            Evidence.review_id == review.id, col(Evidence.id).in_(wanted)
        )
    )
    return {
        eid: EvidenceRef(id=eid, title=title, polarity=polarity, deleted=deleted_at is not None)
        for eid, title, polarity, deleted_at in rows
    }


@dataclass(frozen=True)
class CitableEvidence:
    """A live evidence item as the finding form offers it for citing."""

    id: str
    title: str
    polarity: str
    source_type: str
    collected_on: date
    refs: tuple[str, ...]
    domains: tuple[str, ...]


def citable_evidence(session: Session, *, review: Review) -> list[CitableEvidence]:
    """The review's live evidence with its lines of enquiry, in framework order of the first
    line it informs (two queries, whatever the number of items)."""
    fw = review_framework(session, review)
    line_order = {ref: i for i, ref in enumerate(fw.refs())}
    domain_of = {line.ref: domain.key for domain, line in fw.lines()}
    rows = list(
        session.exec(
            select(
                Evidence.id, Evidence.title, Evidence.polarity, Evidence.source_type, Evidence.collected_on
            ).where(Evidence.review_id == review.id, col(Evidence.deleted_at).is_(None))
        )
    )
    refs: dict[str, list[str]] = {}
    for evidence_id, ref in session.exec(
        select(EvidenceLine.evidence_id, EvidenceLine.ref)
        .join(Evidence, col(Evidence.id) == col(EvidenceLine.evidence_id))
        .where(Evidence.review_id == review.id, col(Evidence.deleted_at).is_(None))
    ):
        refs.setdefault(evidence_id, []).append(ref)
    items = []
    for evidence_id, title, polarity, source_type, collected_on in rows:
        ordered = tuple(sorted(refs.get(evidence_id, []), key=lambda r: line_order.get(r, len(line_order))))
        domains = tuple(dict.fromkeys(domain_of[r] for r in ordered if r in domain_of))
        items.append(
            CitableEvidence(evidence_id, title, polarity, source_type, collected_on, ordered, domains)
        )
    return sorted(
        items,
        key=lambda e: (line_order.get(e.refs[0], len(line_order)) if e.refs else len(line_order), e.title),
    )


def present_findings(session: Session, *, review: Review, findings: Sequence[Finding]) -> list[FindingPublic]:
    """Findings as the API and pages show them, with names and cited evidence (three queries)."""
    fw = review_framework(session, review)
    domains = {d.key: d.name for d in fw.domains}
    stages = {s.key: s.name for s in fw.pathway_stages}
    evidence = cited_evidence_refs(session, review, (e for f in findings for e in f.cited_evidence))
    people = _people(session, (f.created_by_id for f in findings))
    return [
        FindingPublic(
            id=f.id or 0,
            review_id=f.review_id,
            kind=f.kind,
            kind_label=KIND_LABELS.get(f.kind, f.kind),
            text=f.text,
            text_html=str(render_markdown(f.text)),
            domain_key=f.domain_key,
            domain_name=domains.get(f.domain_key, f.domain_key),
            stage=f.stage,
            stage_name=stages.get(f.stage, f.stage),
            cited_evidence=[
                evidence.get(e)
                or EvidenceRef(id=e, title="(evidence no longer available)", polarity="", deleted=True)
                for e in f.cited_evidence
            ],
            position=f.position,
            created_by=_person(people, f.created_by_id),
            created_at=aware(f.created_at),
            updated_at=aware(f.updated_at),
        )
        for f in findings
    ]


# Recommendations


def list_recommendations(session: Session, *, review: Review) -> list[Recommendation]:
    """The review's recommendations by number."""
    return list(
        session.exec(
            select(Recommendation)
            .where(Recommendation.review_id == review.id)
            .order_by(col(Recommendation.number), col(Recommendation.id))
        )
    )


def get_recommendation(session: Session, *, review: Review, recommendation_id: int) -> Recommendation:
    rec = session.get(Recommendation, recommendation_id)
    if rec is None or rec.review_id != review.id:
        raise NotFound("recommendation not found")
    return rec


def _check_owners(session: Session, review: Review, ids: Iterable[int] | None) -> list[int]:
    owners = list(dict.fromkeys(ids or []))
    if not owners:
        raise Invalid(
            "choose at least one organisation to own the recommendation", field="owner_organisation_ids"
        )
    partners = _organisations(session, review)
    for org_id in owners:
        if org_id not in partners:
            raise Invalid(
                f"organisation {org_id} is not a partner of this review", field="owner_organisation_ids"
            )
    return owners


def create_recommendation(
    session: Session,
    *,
    review: Review,
    user_id: int,
    text: str,
    owner_organisation_ids: Sequence[int],
    priority: str = "medium",
    target_date: date | None = None,
    domain_key: str = "",
    number: int | None = None,
) -> Recommendation:
    """Add a recommendation, numbered last unless `number` places it (the rest renumber)."""
    check_accepts(review, Write.findings)
    fw = review_framework(session, review)
    checks = _Checks()
    clean = {
        "text": checks.run(_text, text, field="text", what="the recommendation"),
        "owner_organisation_ids": checks.run(_check_owners, session, review, owner_organisation_ids),
        "priority": checks.run(_choice, priority, PRIORITIES, field="priority"),
        "target_date": checks.run(_not_past, target_date, field="target_date"),
        "domain_key": checks.run(_domain, fw, domain_key),
    }
    checks.done()
    rec = Recommendation(review_id=review.id, number=0, created_by_id=user_id, **clean)
    _lock_review(session, review)
    existing = list_recommendations(session, review=review)
    session.add(rec)
    session.flush()
    _renumber(
        session,
        review,
        _place([*existing, rec], rec, number),
        attr="number",
        user_id=user_id,
        entity="recommendation",
        moved=rec,
    )
    _record(session, review, user_id=user_id, entity="recommendation", row=rec, action="create")
    return rec


def update_recommendation(
    session: Session, *, review: Review, user_id: int, recommendation_id: int, changes: Mapping[str, Any]
) -> Recommendation:
    """Change some fields; `number` moves it in the list and the others renumber around it."""
    unknown = set(changes) - set(RECOMMENDATION_FIELDS)
    if unknown:
        raise Invalid("cannot be changed", field=sorted(unknown)[0])
    check_accepts(review, Write.findings)
    fw = review_framework(session, review)
    _lock_review(session, review)
    rec = get_recommendation(session, review=review, recommendation_id=recommendation_id)
    before = audit.snapshot(rec)
    checks = _Checks()
    checkers: dict[str, Callable[[Any], Any]] = {
        "text": lambda v: _text(v, field="text", what="the recommendation"),
        "owner_organisation_ids": lambda v: _check_owners(session, review, v),
        "priority": lambda v: _choice(v, PRIORITIES, field="priority"),
        # A target already set may lie in the past by now; only a new date has to be in the future.
        "target_date": lambda v: v if v == rec.target_date else _not_past(v, field="target_date"),
        "domain_key": lambda v: _domain(fw, v),
    }
    clean = {name: checks.run(check, changes[name]) for name, check in checkers.items() if name in changes}
    checks.done()
    for name, value in clean.items():
        setattr(rec, name, value)
    if changes.get("number") is not None:
        _renumber(
            session,
            review,
            _place(list_recommendations(session, review=review), rec, changes["number"]),
            attr="number",
            user_id=user_id,
            entity="recommendation",
            moved=rec,
        )
    _changed(session, review, rec, before)
    if audit.diff(before, audit.snapshot(rec)):
        _record(
            session, review, user_id=user_id, entity="recommendation", row=rec, action="update", before=before
        )
    return rec


def delete_recommendation(session: Session, *, review: Review, user_id: int, recommendation_id: int) -> None:
    """Remove a recommendation; those after it move up a number."""
    check_accepts(review, Write.findings)
    _lock_review(session, review)
    rec = get_recommendation(session, review=review, recommendation_id=recommendation_id)
    linked = session.exec(select(ActionItem.id).where(ActionItem.recommendation_id == rec.id)).first()
    if linked is not None:
        raise Conflict(
            f"recommendation {rec.number} has actions in the action plan; remove or unlink them first",
            field="recommendation_id",
        )
    before = audit.snapshot(rec)
    rest = [r for r in list_recommendations(session, review=review) if r is not rec]
    session.delete(rec)
    session.flush()
    _renumber(session, review, rest, attr="number", user_id=user_id, entity="recommendation")
    _record(
        session, review, user_id=user_id, entity="recommendation", row=rec, action="delete", before=before
    )


def present_recommendations(
    session: Session, *, review: Review, recommendations: Sequence[Recommendation]
) -> list[RecommendationPublic]:
    """Recommendations with owner organisations and domain names (two queries)."""
    fw = review_framework(session, review)
    domains = {d.key: d.name for d in fw.domains}
    orgs = _organisations(session, review)
    people = _people(session, (r.created_by_id for r in recommendations))
    return [
        RecommendationPublic(
            id=r.id or 0,
            review_id=r.review_id,
            number=r.number,
            text=r.text,
            text_html=str(render_markdown(r.text)),
            domain_key=r.domain_key,
            domain_name=domains.get(r.domain_key, r.domain_key),
            owners=[_org_ref(orgs[o]) for o in r.owner_organisation_ids if o in orgs],
            priority=r.priority,
            target_date=r.target_date,
            created_by=_person(people, r.created_by_id),
            created_at=aware(r.created_at),
            updated_at=aware(r.updated_at),
        )
        for r in recommendations
    ]


# The action plan


def _plan_open(review: Review) -> None:
    if review.status != "published":
        raise Conflict("the action plan starts once the review is published")


def _acting_organisation(scope: ReviewScope) -> int | None:
    """The organisation a self-assessor acts for; None for everyone else (who act for the plan)."""
    if scope.role is Role.self_assessor and not scope.user.is_admin:
        return scope.membership.organisation_id if scope.membership else None
    return None


def _check_own(scope: ReviewScope, owner_id: int | None) -> None:
    """A self-assessor answers for their own organisation's actions only."""
    if scope.role is not Role.self_assessor or scope.user.is_admin:
        return
    own = _acting_organisation(scope)
    if own is None or owner_id != own:
        raise Forbidden("you can only update actions that your own organisation owns")


def list_actions(session: Session, *, review: Review) -> list[ActionItem]:
    """The action plan in recommendation order; free-standing actions last."""
    numbers = {r.id: r.number for r in list_recommendations(session, review=review)}
    rows = session.exec(select(ActionItem).where(ActionItem.review_id == review.id))
    return sorted(rows, key=lambda a: (numbers.get(a.recommendation_id, len(numbers) + 1), a.id or 0))


def get_action(session: Session, *, review: Review, action_id: int) -> ActionItem:
    action = session.get(ActionItem, action_id)
    if action is None or action.review_id != review.id:
        raise NotFound("action not found")
    return action


def _check_recommendation(session: Session, review: Review, rec_id: int | None) -> Recommendation | None:
    if rec_id is None:
        return None
    rec = session.get(Recommendation, rec_id)
    if rec is None or rec.review_id != review.id:
        raise Invalid(
            f"recommendation {rec_id} is not a recommendation of this review", field="recommendation_id"
        )
    return rec


def create_action(
    session: Session,
    *,
    scope: ReviewScope,
    text: str = "",
    recommendation_id: int | None = None,
    owner_organisation_id: int | None = None,
    status: str = "not_started",
    due_date: date | None = None,
) -> ActionItem:
    """Add an action to the plan, from a recommendation or free-standing.

    The owner defaults to a self-assessor's own organisation, or to the recommendation's
    owner when it has only one. Takes the caller's scope because who may own what depends
    on their role and organisation."""
    review = scope.review
    _plan_open(review)
    checks = _Checks()
    rec = checks.run(_check_recommendation, session, review, recommendation_id)
    if owner_organisation_id is None:
        own = _acting_organisation(scope)
        if own is not None:
            owner_organisation_id = own
        elif rec is not None and len(rec.owner_organisation_ids) == 1:
            owner_organisation_id = rec.owner_organisation_ids[0]
    if owner_organisation_id is None:
        checks.add("owner_organisation_id", "choose the organisation that owns this action")
    else:
        checks.run(_check_organisation, session, review, owner_organisation_id, field="owner_organisation_id")
    clean = {
        "text": checks.run(_text, text or (rec.text if rec else ""), field="text", what="the action"),
        "status": checks.run(_choice, status, ACTION_STATUSES, field="status"),
        "due_date": checks.run(_not_past, due_date, field="due_date"),
    }
    checks.done()
    _check_own(scope, owner_organisation_id)
    action = ActionItem(
        review_id=review.id,
        recommendation_id=rec.id if rec else None,
        owner_organisation_id=owner_organisation_id,
        created_by_id=scope.user.id,
        **clean,
    )
    session.add(action)
    session.flush()
    _record(session, review, user_id=scope.user.id, entity="action_item", row=action, action="create")
    return action


def update_action(
    session: Session, *, scope: ReviewScope, action_id: int, changes: Mapping[str, Any]
) -> ActionItem:
    """Change an action's text, status, due date, owner or recommendation."""
    unknown = set(changes) - set(ACTION_FIELDS)
    if unknown:
        raise Invalid("cannot be changed", field=sorted(unknown)[0])
    review = scope.review
    _plan_open(review)
    action = get_action(session, review=review, action_id=action_id)
    _check_own(scope, action.owner_organisation_id)
    before = audit.snapshot(action)
    checks = _Checks()

    def owner(value: int | None) -> int:
        if value is None:
            raise Invalid("choose the organisation that owns this action", field="owner_organisation_id")
        _check_organisation(session, review, value, field="owner_organisation_id")
        return value

    def recommendation(value: int | None) -> int | None:
        rec = _check_recommendation(session, review, value)
        return rec.id if rec else None

    checkers: dict[str, Callable[[Any], Any]] = {
        "text": lambda v: _text(v, field="text", what="the action"),
        "recommendation_id": recommendation,
        "owner_organisation_id": owner,
        "status": lambda v: _choice(v, ACTION_STATUSES, field="status"),
        "due_date": lambda v: v if v == action.due_date else _not_past(v, field="due_date"),
    }
    clean = {name: checks.run(check, changes[name]) for name, check in checkers.items() if name in changes}
    checks.done()
    if "owner_organisation_id" in clean:
        # A self-assessor cannot hand their organisation's action to another organisation.
        _check_own(scope, clean["owner_organisation_id"])
    for name, value in clean.items():
        setattr(action, name, value)
    _changed(session, review, action, before)
    if audit.diff(before, audit.snapshot(action)):
        _record(
            session,
            review,
            user_id=scope.user.id,
            entity="action_item",
            row=action,
            action="update",
            before=before,
        )
    return action


def add_action_note(
    session: Session, *, scope: ReviewScope, action_id: int, note: str, status: str
) -> ActionNote:
    """Record progress on an action: the note is kept as history and sets the action's status."""
    review = scope.review
    _plan_open(review)
    action = get_action(session, review=review, action_id=action_id)
    _check_own(scope, action.owner_organisation_id)
    checks = _Checks()
    clean = {
        "note": checks.run(_text, note, field="note", what="what has happened since the last update"),
        "status": checks.run(_choice, status, ACTION_STATUSES, field="status"),
    }
    checks.done()
    entry = ActionNote(action_item_id=action.id, created_by_id=scope.user.id, **clean)
    session.add(entry)
    session.flush()
    audit.record(
        session,
        user_id=scope.user.id,
        review_id=review.id,
        entity="action_note",
        entity_id=entry.id,
        action="create",
        after=audit.snapshot(entry),
    )
    if action.status != entry.status:
        before = audit.snapshot(action)
        action.status = entry.status
        action.updated_at = utcnow()
        session.add(action)
        audit.record(
            session,
            user_id=scope.user.id,
            review_id=review.id,
            entity="action_item",
            entity_id=action.id,
            action="update",
            before=before,
            after=audit.snapshot(action),
            reason=f"progress note {entry.id}",
        )
    touch(session, review)
    return entry


def ensure_may_update_action(scope: ReviewScope, action: ActionItem) -> None:
    """403 unless the caller may change this action (a self-assessor: their organisation's only)."""
    _check_own(scope, action.owner_organisation_id)


def may_update_action(scope: ReviewScope, action: ActionItem) -> bool:
    """Whether the caller may change this action (pages use it to offer the forms)."""
    try:
        ensure_may_update_action(scope, action)
    except Forbidden:
        return False
    return True


def present_actions(session: Session, *, review: Review, actions: Sequence[ActionItem]) -> list[ActionPublic]:
    """Actions with their notes (oldest first), owners and recommendation numbers (four queries)."""
    ids = [a.id for a in actions]
    notes: dict[int, list[ActionNote]] = {}
    if ids:
        for n in session.exec(
            select(ActionNote)
            .where(col(ActionNote.action_item_id).in_(ids))
            .order_by(col(ActionNote.created_at), col(ActionNote.id))
        ):
            notes.setdefault(n.action_item_id, []).append(n)
    orgs = _organisations(session, review)
    numbers = {r.id: r.number for r in list_recommendations(session, review=review)}
    people = _people(
        session, [a.created_by_id for a in actions] + [n.created_by_id for ns in notes.values() for n in ns]
    )
    today = utcnow().date()
    return [
        ActionPublic(
            id=a.id or 0,
            review_id=a.review_id,
            text=a.text,
            text_html=str(render_markdown(a.text)),
            recommendation=(
                RecommendationRef(id=a.recommendation_id, number=numbers[a.recommendation_id])
                if a.recommendation_id in numbers
                else None
            ),
            owner=_org_ref(orgs[a.owner_organisation_id]) if a.owner_organisation_id in orgs else None,
            status=a.status,
            due_date=a.due_date,
            overdue=a.due_date is not None and a.due_date < today and a.status != "done",
            notes=[
                ActionNotePublic(
                    id=n.id or 0,
                    note=n.note,
                    note_html=str(render_markdown(n.note)),
                    status=n.status,
                    created_by=_person(people, n.created_by_id),
                    created_at=aware(n.created_at),
                )
                for n in notes.get(a.id or 0, [])
            ],
            created_by=_person(people, a.created_by_id),
            created_at=aware(a.created_at),
            updated_at=aware(a.updated_at),
        )
        for a in actions
    ]


# What refers to a review's partners and framework, counted for the reviews package.


def _count_recommendations_of(session: Session, review: Review, organisation_id: int) -> int:
    # Owners are a list held in one column, so they are counted here rather than in SQL.
    owners = session.exec(
        select(Recommendation.owner_organisation_ids).where(Recommendation.review_id == review.id)
    ).all()
    return sum(1 for ids in owners if organisation_id in (ids or []))


references.register_organisation_counter("recommendations", _count_recommendations_of)
references.register_organisation_counter(
    "actions",
    lambda s, review, org_id: references.count(s, ActionItem, ActionItem.owner_organisation_id == org_id),
)
references.register_content_counter(
    "findings", lambda s, review: references.count(s, Finding, Finding.review_id == review.id)
)
