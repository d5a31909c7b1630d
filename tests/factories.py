"""Test data made through the services, so tests exercise the real rules."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlmodel import Session

from app.accounts import service as accounts
from app.accounts.models import User
from app.core.db import session_scope
from app.reviews.models import Membership, Organisation, Review

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def make_user(
    session: Session | None = None, *, name: str | None = None, admin: bool = False, email: str | None = None
) -> User:
    n = next(_counter)
    email = email or f"user{n}@example.org"
    if session is None:
        with session_scope() as s:
            return accounts.create_user(
                s, email=email, display_name=name or f"User {n}", password=PASSWORD, is_admin=admin
            )
    return accounts.create_user(
        session, email=email, display_name=name or f"User {n}", password=PASSWORD, is_admin=admin
    )


def token_for(user: User) -> str:
    with session_scope() as s:
        return accounts.issue_token(s, user=user, kind="access", lifetime=timedelta(hours=1)).token


def auth(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}


def make_review(
    *,
    admin: User | None = None,
    framework_key: str = "local-system-review",
    status: str = "planning",
    title: str = "Review of Northshire",
) -> Review:
    """A review with an admin creator; status set directly (the workflow is tested elsewhere)."""
    from app.reviews.service import create_review

    admin = admin or make_user(admin=True)
    with session_scope() as s:
        review = create_review(
            s,
            user_id=admin.id,
            title=title,
            place="Northshire",
            kind="external_review",
            framework_key=framework_key,
        )
        review.status = status
        s.add(review)
    return review


def add_organisation(review: Review, name: str, org_type: str) -> Organisation:
    with session_scope() as s:
        org = Organisation(review_id=review.id, name=name, org_type=org_type)
        s.add(org)
        s.flush()
        return org


def add_member(
    review: Review, role: str, *, user: User | None = None, organisation: Organisation | None = None
) -> User:
    """A user holding `role` in `review` (a self-assessor gets an organisation if none given)."""
    user = user or make_user()
    if role == "self_assessor" and organisation is None:
        organisation = add_organisation(review, f"Org for {user.display_name}", "local_authority")
    with session_scope() as s:
        s.add(
            Membership(
                review_id=review.id,
                user_id=user.id,
                role=role,
                organisation_id=organisation.id if organisation else None,
            )
        )
    return user


def evidence_fields(review: Review, **overrides: object) -> dict[str, object]:
    """A valid evidence body for `review`: the first source type, category and line of its
    framework unless overridden (so it suits any framework)."""
    from app.frameworks import service as frameworks

    with session_scope(read_only=True) as s:
        fw = frameworks.get_framework(s, review.framework_key, review.framework_version)
    fields: dict[str, object] = {
        "title": "Discharge meeting observed",
        "narrative": "The ward and the council's team agreed a plan in ten minutes.",
        "source_type": fw.source_types[0].key,
        "category": fw.evidence_categories[0].key,
        "lines": [fw.refs()[0]],
        "stages": [],
        "organisations": [],
        "polarity": "strength",
    }
    fields.update(overrides)
    return fields


def make_evidence(review: Review, user: User, *, evidence_id: str | None = None, **overrides: object):  # type: ignore[no-untyped-def]
    """An item of evidence stored through the evidence service; returns its public view."""
    import uuid

    from app.evidence import service as evidence
    from app.evidence.schemas import EvidenceUpdate
    from app.reviews.access import scope_for

    data = EvidenceUpdate(**evidence_fields(review, **overrides))
    with session_scope() as s:
        item, _ = evidence.put_evidence(
            s,
            ctx=scope_for(s, s.get(Review, review.id), s.get(User, user.id)),
            evidence_id=evidence_id or str(uuid.uuid4()),
            data=data,
        )
        return item


def add_evidence_row(
    review: Review,
    collector: User,
    *,
    refs: tuple[str, ...] = ("SV1",),
    stages: tuple[str, ...] = (),
    organisation_ids: tuple[int, ...] = (),
    title: str = "Interview with the director of adult social care",
    narrative: str = "Notes taken during the visit.",
    polarity: str = "strength",
    category: str = "voices",
    source_type: str = "peer-conversation",
    collected_on: date = date(2026, 3, 2),
    deleted: bool = False,
) -> str:
    """One evidence item stored straight through the models, for tests of what reads evidence
    (the evidence rules themselves are tested through the service)."""
    import uuid

    from app.core.timeutil import utcnow
    from app.evidence.models import Evidence, EvidenceLine, EvidenceOrganisation, EvidenceStage

    evidence_id = str(uuid.uuid4())
    with session_scope() as s:
        s.add(
            Evidence(
                id=evidence_id,
                review_id=review.id,
                title=title,
                narrative=narrative,
                source_type=source_type,
                category=category,
                polarity=polarity,
                collected_on=collected_on,
                collected_by_id=collector.id,
                content_hash=uuid.uuid4().hex,
                deleted_at=utcnow() if deleted else None,
                deleted_by_id=collector.id if deleted else None,
            )
        )
        s.flush()
        s.add_all(EvidenceLine(evidence_id=evidence_id, ref=ref) for ref in refs)
        s.add_all(EvidenceStage(evidence_id=evidence_id, stage=stage) for stage in stages)
        s.add_all(EvidenceOrganisation(evidence_id=evidence_id, organisation_id=o) for o in organisation_ids)
    return evidence_id


def signed_in(page, base: str, user: User) -> None:  # type: ignore[no-untyped-def]
    """Give the page's browser a web session for `user` without going through the sign-in form."""
    from app.accounts.deps import SESSION_COOKIE

    with session_scope() as s:
        token = accounts.issue_token(s, user=user, kind="session", lifetime=timedelta(hours=1)).token
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": base}])
