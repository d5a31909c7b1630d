"""What findings, recommendations and the action plan share: input checks, numbering, the
partner organisations that may own them, recording a change and the people and owners they show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, select

from app.accounts.models import User
from app.core import audit
from app.core.errors import Forbidden, Invalid, InvalidMany
from app.core.timeutil import utcnow
from app.findings.models import ActionItem, Finding, Recommendation
from app.findings.schemas import OrganisationRef, PersonRef
from app.frameworks.schema import Framework
from app.reviews import changes, references
from app.reviews.access import WriteContext
from app.reviews.changes import Write
from app.reviews.models import Organisation, Review

# Long enough for any paragraph a report carries; short enough to refuse a pasted document.
MAX_TEXT = 20_000

ASK = {
    "kind": "choose whether it is a strength or an area for improvement",
    "priority": "choose a priority: high, medium or low",
    "status": "choose a status: not started, in progress, done or blocked",
}

T = TypeVar("T")


class Checks:
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

    def each(self, checkers: Mapping[str, Callable[[Any], Any]], values: Mapping[str, Any]) -> dict[str, Any]:
        """Check the fields of a partial change that are present; raise for every problem found."""
        clean = {name: self.run(check, values[name]) for name, check in checkers.items() if name in values}
        self.done()
        return clean

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


def author(ctx: WriteContext) -> tuple[int, int]:
    """The review a new row belongs to and the account that writes it. Findings,
    recommendations and actions are written by members with an account, never anonymously."""
    if ctx.review.id is None or ctx.user_id is None:
        raise Forbidden("only a member of the review team with an account can write this")
    return ctx.review.id, ctx.user_id


def only_fields(change: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Refuse a change naming a field that cannot be changed, naming the first such field."""
    unknown = set(change) - set(allowed)
    if unknown:
        raise Invalid("cannot be changed", field=sorted(unknown)[0])


def text(value: str | None, *, field: str, what: str) -> str:
    """Trimmed text that must be there and must not be a whole pasted document."""
    cleaned = (value or "").strip()
    if not cleaned:
        raise Invalid(f"enter {what}", field=field)
    if len(cleaned) > MAX_TEXT:
        raise Invalid(f"must be {MAX_TEXT:,} characters or fewer (it is {len(cleaned):,})", field=field)
    return cleaned


def choice(value: str | None, allowed: Sequence[str], *, field: str) -> str:
    """One of `allowed`; an empty answer is asked for in words where the form has them."""
    if not value and field in ASK:
        raise Invalid(ASK[field], field=field)
    if value is None or value not in allowed:
        raise Invalid(f"must be one of {', '.join(allowed)}", field=field)
    return value


def domain(fw: Framework, key: str | None) -> str:
    """A domain key of the review's framework, or empty for none."""
    key = (key or "").strip()
    if key and key not in {d.key for d in fw.domains}:
        raise Invalid(
            f"'{key}' is not a domain of {fw.title}; use one of {', '.join(d.key for d in fw.domains)}",
            field="domain_key",
        )
    return key


def stage(fw: Framework, key: str | None) -> str:
    """A pathway stage key of the review's framework, or empty for none."""
    key = (key or "").strip()
    if key and key not in {s.key for s in fw.pathway_stages}:
        raise Invalid(
            f"'{key}' is not a pathway stage of {fw.title}; "
            f"use one of {', '.join(s.key for s in fw.pathway_stages)}",
            field="stage",
        )
    return key


def not_past(value: date | None, *, field: str) -> date | None:
    """A date that is today or later (or none)."""
    if value is not None and value < utcnow().date():
        raise Invalid("must be today or later", field=field)
    return value


def partner_organisations(session: Session, *, review: Review) -> list[Organisation]:
    """The review's partner organisations by name (the owners a recommendation or action may have)."""
    return list(
        session.exec(
            select(Organisation).where(Organisation.review_id == review.id).order_by(col(Organisation.name))
        )
    )


def organisations(session: Session, review: Review) -> dict[int, Organisation]:
    """The review's partner organisations by id."""
    return {org.id: org for org in partner_organisations(session, review=review) if org.id is not None}


def partner(session: Session, review: Review, org_id: int | None, *, field: str) -> int | None:
    """An organisation id that is a partner of this review (or none)."""
    if org_id is not None and org_id not in organisations(session, review):
        raise Invalid(f"organisation {org_id} is not a partner of this review", field=field)
    return org_id


def lock_review(session: Session, review: Review) -> None:
    """Serialise numbering within one review: two writers must not both take number n+1.

    PostgreSQL takes a row lock; SQLite writers already hold the database lock
    (BEGIN IMMEDIATE), and its dialect leaves FOR UPDATE out."""
    session.exec(select(Review.id).where(Review.id == review.id).with_for_update()).one()


def review_for_numbering(session: Session, ctx: WriteContext) -> Review:
    """The review of a change to numbered findings or recommendations: checked to accept the
    change, then locked (`lock_review`) for the renumbering that follows."""
    changes.check_accepts(ctx.review, Write.findings)
    lock_review(session, ctx.review)
    return ctx.review


def place(rows: list[Any], row: Any, wanted: int | None) -> list[Any]:
    """`rows` with `row` moved to 1-based place `wanted` (the end when None or beyond it)."""
    others = [r for r in rows if r is not row]
    index = len(others) if wanted is None else max(0, min(wanted - 1, len(others)))
    return [*others[:index], row, *others[index:]]


def renumber(
    session: Session,
    ctx: WriteContext,
    rows: list[Any],
    *,
    attr: str,
    entity: str,
    moved: Any | None = None,
) -> None:
    """Number `rows` 1..n in list order. Every row whose number changes, other than the one the
    caller `moved` (recorded with its own change), is recorded as a renumbering, so the trail
    explains why 'recommendation 4' became 'recommendation 3'."""
    for number, row in enumerate(rows, start=1):
        old = getattr(row, attr)
        if old == number:
            continue
        setattr(row, attr, number)
        session.add(row)
        if row is not moved:
            # One record per row rather than a batch: the trail keeps each old and new number.
            # Only findings and recommendations are numbered, so this is a findings write.
            changes.record(
                session,
                ctx,
                write=Write.findings,
                entity=entity,
                entity_id=row.id,
                action="renumber",
                before={attr: old},
                after={attr: number},
            )


def record_new(session: Session, ctx: WriteContext, *, write: Write, entity: str, row: SQLModel) -> None:
    """Record a row just added (it has its id)."""
    _record(session, ctx, write=write, entity=entity, row=row, action="create")


def record_edit(
    session: Session,
    ctx: WriteContext,
    *,
    write: Write,
    entity: str,
    row: SQLModel,
    before: Mapping[str, Any],
    reason: str = "",
) -> None:
    """Stamp, store and record an edited row, unless the edit changed nothing (which leaves no trace)."""
    if not audit.diff(before, changes.snapshot(row)):
        return
    row.updated_at = utcnow()  # type: ignore[attr-defined]
    session.add(row)
    _record(session, ctx, write=write, entity=entity, row=row, action="update", before=before, reason=reason)


def remove_numbered(
    session: Session, ctx: WriteContext, row: SQLModel, rest: list[Any], *, attr: str, entity: str
) -> None:
    """Delete a numbered row, close up the numbers of the `rest` of its list and record both."""
    before = changes.snapshot(row)
    session.delete(row)
    session.flush()
    renumber(session, ctx, rest, attr=attr, entity=entity)
    _record(session, ctx, write=Write.findings, entity=entity, row=row, action="delete", before=before)


def _record(
    session: Session,
    ctx: WriteContext,
    *,
    write: Write,
    entity: str,
    row: SQLModel,
    action: str,
    before: Mapping[str, Any] | None = None,
    reason: str = "",
) -> None:
    changes.record(
        session,
        ctx,
        write=write,
        entity=entity,
        entity_id=getattr(row, "id", None),
        action=action,
        before=before,
        after=None if action == "delete" else changes.snapshot(row),
        reason=reason,
    )


def people(session: Session, ids: Iterable[int]) -> dict[int, PersonRef]:
    """The named people among `ids` (one query)."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.exec(select(User).where(col(User.id).in_(wanted)))
    return {u.id: PersonRef(id=u.id, name=u.display_name) for u in rows if u.id is not None}


def person(known: Mapping[int, PersonRef], user_id: int) -> PersonRef:
    """One person from `people`; an account since removed is shown as "(unknown)" with its id."""
    return known.get(user_id) or PersonRef(id=user_id, name="(unknown)")


def organisation_ref(org: Organisation) -> OrganisationRef:
    """An owner organisation as the API shows it."""
    return OrganisationRef(id=org.id or 0, name=org.name, org_type=org.org_type)


# What refers to a review's partners and framework, counted for the reviews package (which
# must not import this one).


def _count_recommendations_of(session: Session, review: Review, organisation_id: int) -> int:
    # Owners are a list held in one column, so they are counted here rather than in SQL.
    owners = session.exec(
        select(Recommendation.owner_organisation_ids).where(Recommendation.review_id == review.id)
    ).all()
    return sum(1 for ids in owners if organisation_id in (ids or []))


def _register_counters() -> None:
    references.register_organisation_counter("recommendations", _count_recommendations_of)
    references.register_organisation_counter(
        "actions",
        lambda s, review, org_id: references.count(s, ActionItem, ActionItem.owner_organisation_id == org_id),
    )
    references.register_content_counter(
        "findings", lambda s, review: references.count(s, Finding, Finding.review_id == review.id)
    )


_register_counters()
