"""Findings: the strengths and areas for improvement of a review, each for a domain of the
pinned framework and/or a pathway stage, citing evidence. Within its group (same domain, stage
and kind) each finding has a place, counted from 1 without gaps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from app.core.errors import NotFound
from app.core.models_base import aware
from app.core.text import render_markdown
from app.evidence import service as evidence_service
from app.evidence.models import Evidence, EvidenceLine
from app.findings import checks
from app.findings.models import FINDING_KINDS, Finding
from app.findings.schemas import EvidenceRef, FindingPublic
from app.frameworks.schema import Framework
from app.reviews.access import WriteContext
from app.reviews.changes import Write, check_accepts, review_framework, snapshot
from app.reviews.models import Review

KIND_LABELS = {"strength": "Strength", "improvement": "Area for improvement"}
FINDING_FIELDS = ("kind", "text", "domain_key", "stage", "cited_evidence", "position")
ENTITY = "finding"


def check_cited_evidence(session: Session, review: Review, ids: Iterable[object]) -> list[str]:
    """The ids of the cited evidence in canonical form (the one rule lives in the evidence service)."""
    return [row.id for row in evidence_service.live_evidence(session, review, ids)]


def _group(session: Session, review: Review, finding: Finding) -> list[Finding]:
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


def _report_order(fw: Framework) -> Any:
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
        query = query.where(Finding.domain_key == checks.domain(fw, domain_key))
    if stage:
        query = query.where(Finding.stage == checks.stage(fw, stage))
    if kind:
        query = query.where(Finding.kind == checks.choice(kind, FINDING_KINDS, field="kind"))
    return sorted(session.exec(query), key=_report_order(fw))


def get_finding(session: Session, *, review: Review, finding_id: int) -> Finding:
    """One finding of this review; NotFound otherwise."""
    finding = session.get(Finding, finding_id)
    if finding is None or finding.review_id != review.id:
        raise NotFound("finding not found")
    return finding


def _check(session: Session, review: Review, fw: Framework, values: Mapping[str, Any]) -> dict[str, Any]:
    # In the order the form asks, so the error summary reads top to bottom.
    found = checks.Checks()
    kind = found.run(checks.choice, values.get("kind"), FINDING_KINDS, field="kind")
    domain_key = found.run(checks.domain, fw, values.get("domain_key"))
    stage = found.run(checks.stage, fw, values.get("stage"))
    if not (found.failed("domain_key") or found.failed("stage") or domain_key or stage):
        found.add("domain_key", "choose a domain, a pathway stage or both")
    clean = {
        "kind": kind,
        "domain_key": domain_key,
        "stage": stage,
        "text": found.run(checks.text, values.get("text"), field="text", what="the text of the finding"),
        "cited_evidence": found.run(
            check_cited_evidence, session, review, values.get("cited_evidence") or []
        ),
    }
    found.done()
    return clean


def create_finding(
    session: Session,
    *,
    ctx: WriteContext,
    kind: str,
    text: str,
    domain_key: str = "",
    stage: str = "",
    cited_evidence: Sequence[str] = (),
    position: int | None = None,
) -> Finding:
    """Add a strength or area for improvement; it goes last in its group unless `position` says."""
    review = ctx.review
    check_accepts(review, Write.findings)
    fw = review_framework(session, review)
    values = {
        "kind": kind,
        "text": text,
        "domain_key": domain_key,
        "stage": stage,
        "cited_evidence": cited_evidence,
    }
    clean = _check(session, review, fw, values)
    checks.lock_review(session, review)
    review_id, author_id = checks.author(ctx)
    finding = Finding(review_id=review_id, created_by_id=author_id, **clean)
    session.add(finding)
    session.flush()
    group = checks.place(_group(session, review, finding), finding, position)
    checks.renumber(session, ctx, group, attr="position", entity=ENTITY, moved=finding)
    checks.record_new(session, ctx, write=Write.findings, entity=ENTITY, row=finding)
    return finding


def update_finding(
    session: Session, *, ctx: WriteContext, finding_id: int, changes: Mapping[str, Any]
) -> Finding:
    """Change some fields of a finding. A new domain, stage or kind moves it to the end of that
    group (or to `position` in it); `position` alone moves it within its group."""
    checks.only_fields(changes, FINDING_FIELDS)
    review = checks.review_for_numbering(session, ctx)
    finding = get_finding(session, review=review, finding_id=finding_id)
    fw = review_framework(session, review)
    before = snapshot(finding)
    values = {name: getattr(finding, name) for name in FINDING_FIELDS if name != "position"}
    values.update({k: v for k, v in changes.items() if k != "position"})
    clean = _check(session, review, fw, values)
    old_group = _group(session, review, finding)
    regrouped = any(clean[k] != getattr(finding, k) for k in ("kind", "domain_key", "stage"))
    for name, value in clean.items():
        setattr(finding, name, value)
    session.add(finding)
    session.flush()
    if regrouped:
        # The group it left closes up.
        checks.renumber(
            session, ctx, [f for f in old_group if f is not finding], attr="position", entity=ENTITY
        )
    if regrouped or changes.get("position") is not None:
        group = checks.place(_group(session, review, finding), finding, changes.get("position"))
        checks.renumber(session, ctx, group, attr="position", entity=ENTITY, moved=finding)
    checks.record_edit(session, ctx, write=Write.findings, entity=ENTITY, row=finding, before=before)
    return finding


def delete_finding(session: Session, *, ctx: WriteContext, finding_id: int) -> None:
    """Remove a finding; the rest of its group closes up."""
    review = checks.review_for_numbering(session, ctx)
    finding = get_finding(session, review=review, finding_id=finding_id)
    rest = [f for f in _group(session, review, finding) if f is not finding]
    checks.remove_numbered(session, ctx, finding, rest, attr="position", entity=ENTITY)


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
    # Five columns: more than sqlmodel's typed select takes, so SQLAlchemy's own.
    columns = (Evidence.id, Evidence.title, Evidence.polarity, Evidence.source_type, Evidence.collected_on)
    rows = session.execute(
        select_columns(*(col(c) for c in columns)).where(
            col(Evidence.review_id) == review.id, col(Evidence.deleted_at).is_(None)
        )
    ).all()
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
    people = checks.people(session, (f.created_by_id for f in findings))
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
            created_by=checks.person(people, f.created_by_id),
            created_at=aware(f.created_at) or f.created_at,
            updated_at=aware(f.updated_at),
        )
        for f in findings
    ]
