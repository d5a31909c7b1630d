"""The system action plan of a published review: actions, each owned by one partner
organisation, from a recommendation or free-standing, with progress notes kept as history.

The plan opens at publication (the recorder's state table says so). A self-assessor acts for
their own organisation only; the other roles that may write the plan act for the whole system.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.accounts.permissions import Role
from app.core.errors import Forbidden, Invalid, NotFound
from app.core.models_base import aware
from app.core.text import render_markdown
from app.core.timeutil import utcnow
from app.findings import checks
from app.findings.models import ACTION_STATUSES, ActionItem, ActionNote, Recommendation
from app.findings.recommendations import list_recommendations
from app.findings.schemas import ActionNotePublic, ActionPublic, RecommendationRef
from app.reviews.access import WriteContext
from app.reviews.changes import Write, check_accepts, snapshot
from app.reviews.models import Review

STATUS_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "done": "Done",
    "blocked": "Blocked",
}
ACTION_FIELDS = ("text", "recommendation_id", "owner_organisation_id", "status", "due_date")
ENTITY = "action_item"


def acting_organisation(ctx: WriteContext) -> int | None:
    """The organisation a self-assessor acts for; None for everyone else (who act for the plan)."""
    return ctx.organisation_id if ctx.role is Role.self_assessor else None


def _check_own(ctx: WriteContext, owner_organisation_id: int | None) -> None:
    """A self-assessor answers for their own organisation's actions only."""
    if ctx.role is not Role.self_assessor:
        return
    own = acting_organisation(ctx)
    if own is None or owner_organisation_id != own:
        raise Forbidden("you can only update actions that your own organisation owns")


def ensure_may_update_action(ctx: WriteContext, action: ActionItem) -> None:
    """403 unless the caller may change this action (a self-assessor: their organisation's only)."""
    _check_own(ctx, action.owner_organisation_id)


def may_update_action(ctx: WriteContext, action: ActionItem) -> bool:
    """Whether the caller may change this action (pages use it to offer the forms)."""
    try:
        ensure_may_update_action(ctx, action)
    except Forbidden:
        return False
    return True


def list_actions(session: Session, *, review: Review) -> list[ActionItem]:
    """The action plan in recommendation order; free-standing actions last."""
    numbers = {r.id: r.number for r in list_recommendations(session, review=review)}
    rows = session.exec(select(ActionItem).where(ActionItem.review_id == review.id))
    return sorted(rows, key=lambda a: (numbers.get(a.recommendation_id, len(numbers) + 1), a.id or 0))


def get_action(session: Session, *, review: Review, action_id: int) -> ActionItem:
    """One action of this review's plan; NotFound otherwise."""
    action = session.get(ActionItem, action_id)
    if action is None or action.review_id != review.id:
        raise NotFound("action not found")
    return action


def _recommendation(session: Session, review: Review, rec_id: int | None) -> Recommendation | None:
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
    ctx: WriteContext,
    text: str = "",
    recommendation_id: int | None = None,
    owner_organisation_id: int | None = None,
    status: str = "not_started",
    due_date: date | None = None,
) -> ActionItem:
    """Add an action to the plan, from a recommendation or free-standing.

    The owner defaults to a self-assessor's own organisation, or to the recommendation's
    owner when it has only one."""
    review = ctx.review
    check_accepts(review, Write.action_plan)
    found = checks.Checks()
    rec = found.run(_recommendation, session, review, recommendation_id)
    if owner_organisation_id is None:
        own = acting_organisation(ctx)
        if own is not None:
            owner_organisation_id = own
        elif rec is not None and len(rec.owner_organisation_ids) == 1:
            owner_organisation_id = rec.owner_organisation_ids[0]
    if owner_organisation_id is None:
        found.add("owner_organisation_id", "choose the organisation that owns this action")
    else:
        found.run(checks.partner, session, review, owner_organisation_id, field="owner_organisation_id")
    clean: dict[str, Any] = {
        "text": found.run(checks.text, text or (rec.text if rec else ""), field="text", what="the action"),
        "status": found.run(checks.choice, status, ACTION_STATUSES, field="status"),
        "due_date": found.run(checks.not_past, due_date, field="due_date"),
    }
    found.done()
    _check_own(ctx, owner_organisation_id)
    review_id, author_id = checks.author(ctx)
    action = ActionItem(
        review_id=review_id,
        recommendation_id=rec.id if rec else None,
        owner_organisation_id=owner_organisation_id,
        created_by_id=author_id,
        **clean,
    )
    session.add(action)
    session.flush()
    checks.record_new(session, ctx, write=Write.action_plan, entity=ENTITY, row=action)
    return action


def update_action(
    session: Session, *, ctx: WriteContext, action_id: int, changes: Mapping[str, Any]
) -> ActionItem:
    """Change an action's text, status, due date, owner or recommendation."""
    checks.only_fields(changes, ACTION_FIELDS)
    review = ctx.review
    check_accepts(review, Write.action_plan)
    action = get_action(session, review=review, action_id=action_id)
    ensure_may_update_action(ctx, action)
    before = snapshot(action)

    def owner(value: int | None) -> int:
        if value is None:
            raise Invalid("choose the organisation that owns this action", field="owner_organisation_id")
        checks.partner(session, review, value, field="owner_organisation_id")
        return value

    def recommendation(value: int | None) -> int | None:
        rec = _recommendation(session, review, value)
        return rec.id if rec else None

    checkers: dict[str, Callable[[Any], Any]] = {
        "text": lambda v: checks.text(v, field="text", what="the action"),
        "recommendation_id": recommendation,
        "owner_organisation_id": owner,
        "status": lambda v: checks.choice(v, ACTION_STATUSES, field="status"),
        "due_date": lambda v: v if v == action.due_date else checks.not_past(v, field="due_date"),
    }
    clean = checks.Checks().each(checkers, changes)
    if "owner_organisation_id" in clean:
        # A self-assessor cannot hand their organisation's action to another organisation.
        _check_own(ctx, clean["owner_organisation_id"])
    for name, value in clean.items():
        setattr(action, name, value)
    checks.record_edit(session, ctx, write=Write.action_plan, entity=ENTITY, row=action, before=before)
    return action


def add_action_note(
    session: Session, *, ctx: WriteContext, action_id: int, note: str, status: str
) -> ActionNote:
    """Record progress on an action: the note is kept as history and sets the action's status."""
    review = ctx.review
    check_accepts(review, Write.action_plan)
    action = get_action(session, review=review, action_id=action_id)
    ensure_may_update_action(ctx, action)
    found = checks.Checks()
    clean: dict[str, Any] = {
        "note": found.run(checks.text, note, field="note", what="what has happened since the last update"),
        "status": found.run(checks.choice, status, ACTION_STATUSES, field="status"),
    }
    found.done()
    _, author_id = checks.author(ctx)
    entry = ActionNote(action_item_id=action.id or 0, created_by_id=author_id, **clean)
    session.add(entry)
    session.flush()
    checks.record_new(session, ctx, write=Write.action_plan, entity="action_note", row=entry)
    before = snapshot(action)
    action.status = entry.status
    checks.record_edit(
        session,
        ctx,
        write=Write.action_plan,
        entity=ENTITY,
        row=action,
        before=before,
        reason=f"progress note {entry.id}",
    )
    return entry


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
    orgs = checks.organisations(session, review)
    numbers = {r.id: r.number for r in list_recommendations(session, review=review)}
    people = checks.people(
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
                RecommendationRef(id=a.recommendation_id or 0, number=numbers[a.recommendation_id])
                if a.recommendation_id in numbers
                else None
            ),
            owner=checks.organisation_ref(orgs[a.owner_organisation_id])
            if a.owner_organisation_id in orgs
            else None,
            status=a.status,
            due_date=a.due_date,
            overdue=a.due_date is not None and a.due_date < today and a.status != "done",
            notes=[
                ActionNotePublic(
                    id=n.id or 0,
                    note=n.note,
                    note_html=str(render_markdown(n.note)),
                    status=n.status,
                    created_by=checks.person(people, n.created_by_id),
                    created_at=aware(n.created_at) or n.created_at,
                )
                for n in notes.get(a.id or 0, [])
            ],
            created_by=checks.person(people, a.created_by_id),
            created_at=aware(a.created_at) or a.created_at,
            updated_at=aware(a.updated_at),
        )
        for a in actions
    ]
