"""Every route that changes a review goes through the one change recorder.

The routes are read from the app itself (`app_routes`, as the permission test does). Each write
route under `/reviews/{review_id}` is sent a valid request, taken from `SAMPLES`, against a
prepared review, while `changes._mark_recorded` (which both `changes.record` and
`changes.batch` call) is patched with a counting spy. A route passes when it answers with a
success, the spy saw the recorder, and the review's audit trail grew.

A write route with no sample and no exemption fails the coverage test, so a route added later
must be given a sample here; a sample for a route the app no longer has fails too.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import select

from app.accounts import service as accounts
from app.accounts.models import User
from app.core import audit
from app.core.audit import AuditEvent
from app.core.db import session_scope
from app.core.timeutil import utcnow
from app.dataprofile import service as dataprofile
from app.evidence import attachments
from app.evidence import service as evidence
from app.findings import action_plan, findings, recommendations
from app.ratings import moderation
from app.ratings import service as ratings
from app.reviews import changes
from app.reviews.access import WriteContext, scope_for
from app.reviews.models import Membership, Organisation, Review
from tests.factories import add_member, add_organisation, auth, make_evidence, make_review, make_user
from tests.test_route_permissions import WRITE_METHODS, AppRoute, app_routes

pytestmark = pytest.mark.anyio

# Write routes under a review that change nothing of it, with the reason.
EXEMPT: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/reviews/{review_id}/report"): "reads the review and queues a render of its report",
    ("POST", "/reviews/{review_id}/report"): "the page's way to start the same export",
}

INDICATOR = "emergency-admissions-65"  # in the catalogue of the shipped local-system-review framework
NOTES = b"Interview notes: discharge delays at the weekend, carers not told.\n"
IMPORT_CSV = (
    b"title,Lines of enquiry,Category,Source type,Polarity,Collected on\n"
    b"Flow meeting,SV1,staff-leaders,interview,strength,2026-03-02\n"
)


# The world a sample runs against --------------------------------------------------------------


@dataclass
class People:
    """Accounts made once per test; each sample gets a fresh review they hold roles in."""

    admin: User
    lead: User
    reviewer: User
    writer: User
    assessor: User
    newcomer: User  # has an account but no role yet: the one a lead adds to the team


@dataclass
class World:
    """A review with one of each role, partners and one of everything a write route acts on."""

    review: Review
    people: People
    partner: Organisation  # the self-assessor's organisation, which owns recommendations
    spare_partner: Organisation  # nothing refers to it, so it can be changed or removed
    writer_membership: int
    evidence_id: str
    deleted_evidence_id: str
    attachment_id: int
    finding_ids: list[int]
    recommendation_ids: list[int]
    action_id: int | None

    def path_params(self) -> dict[str, str]:
        """The value each path parameter takes unless a sample says otherwise."""
        return {
            "review_id": str(self.review.id),
            "organisation_id": str(self.spare_partner.id),
            "membership_id": str(self.writer_membership),
            "evidence_id": self.evidence_id,
            "attachment_id": str(self.attachment_id),
            "indicator_key": INDICATOR,
            "ref": "SV2",  # a line with no rating or moderated rating yet
            "finding_id": str(self.finding_ids[-1]),
            "recommendation_id": str(self.recommendation_ids[-1]),
            "action_id": str(self.action_id),
        }


def _as(user: User, review: Review, act: Callable[[Any, WriteContext], Any]) -> Any:
    """Run a service call as `user`, in a unit of work of its own (as the command line does)."""
    with session_scope() as s:
        row, member = s.get(Review, review.id), s.get(User, user.id)
        assert row is not None and member is not None
        return act(s, scope_for(s, row, member))


def _finding(text: str, cited: list[str]) -> Callable[[Any, WriteContext], int]:
    def add(s: Any, c: WriteContext) -> int:
        made = findings.create_finding(
            s, ctx=c, kind="strength", text=text, domain_key="shared-vision", cited_evidence=cited
        )
        return made.id or 0

    return add


def _recommendation(text: str, owner: Organisation) -> Callable[[Any, WriteContext], int]:
    def add(s: Any, c: WriteContext) -> int:
        made = recommendations.create_recommendation(
            s, ctx=c, text=text, owner_organisation_ids=[owner.id or 0]
        )
        return made.id or 0

    return add


def _set_status(review: Review, status: str, *, closed: bool = False) -> None:
    with session_scope() as s:
        row = s.get(Review, review.id)
        assert row is not None
        row.status = status
        row.self_assessment_closed = closed
        if status == "published":
            row.published_at = utcnow()
        s.add(row)
    review.status = status


def build_world(people: People, *, status: str = "fieldwork", closed: bool = False) -> World:
    """A fresh review in `status` holding everything the samples name, made through the services."""
    review = make_review(admin=people.admin, status="fieldwork")
    partner = add_organisation(review, "Northshire County Council", "local_authority")
    spare = add_organisation(review, "Northshire Community Health", "nhs_trust")
    add_member(review, "lead", user=people.lead)
    add_member(review, "reviewer", user=people.reviewer)
    add_member(review, "report_writer", user=people.writer)
    add_member(review, "self_assessor", user=people.assessor, organisation=partner)
    with session_scope() as s:
        membership = s.exec(
            select(Membership).where(
                Membership.review_id == review.id, Membership.user_id == people.writer.id
            )
        ).one()
        writer_membership = membership.id or 0

    lead, reviewer = people.lead, people.reviewer
    item = make_evidence(review, reviewer, title="Discharge meeting observed")
    gone = make_evidence(review, reviewer, title="Entered twice")
    _as(lead, review, lambda s, c: evidence.delete_evidence(s, ctx=c, evidence_id=gone.id, reason="twice"))
    attachment_id = _as(
        reviewer,
        review,
        lambda s, c: (
            attachments.add_attachment(
                s, ctx=c, evidence_id=item.id, filename="notes.txt", source=io.BytesIO(NOTES)
            ).id
        ),
    )
    cited = [item.id]
    _as(
        reviewer,
        review,
        lambda s, c: ratings.save_rating(
            s, ctx=c, ref="SV1", value=2, rationale="Plans are not shared.", cited_evidence=cited
        ),
    )
    _as(
        lead,
        review,
        lambda s, c: moderation.moderate(
            s, ctx=c, ref="SV1", value=2, rationale="Agreed.", cited_evidence=cited, expected_version=None
        ),
    )
    _as(
        lead,
        review,
        lambda s, c: moderation.set_override(
            s,
            ctx=c,
            result_scope="overall",
            domain_key="",
            level=2,
            justification="The team agreed this on the final day.",
        ),
    )
    _as(
        reviewer,
        review,
        lambda s, c: dataprofile.set_value(s, ctx=c, indicator_key=INDICATOR, value=1450, period="2024-25"),
    )
    finding_ids = [_as(lead, review, _finding(f"Strength {n}.", cited)) for n in (1, 2)]
    recommendation_ids = [_as(lead, review, _recommendation(f"Recommendation {n}.", partner)) for n in (1, 2)]
    action_id = None
    _set_status(review, status, closed=closed)
    if status == "published":
        action_id = _as(
            lead,
            review,
            lambda s, c: (
                action_plan.create_action(
                    s, ctx=c, text="Share the discharge plan.", owner_organisation_id=partner.id
                ).id
            ),
        )
    return World(
        review=review,
        people=people,
        partner=partner,
        spare_partner=spare,
        writer_membership=writer_membership,
        evidence_id=item.id,
        deleted_evidence_id=gone.id,
        attachment_id=attachment_id,
        finding_ids=finding_ids,
        recommendation_ids=recommendation_ids,
        action_id=action_id,
    )


# The samples ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request: who sends it, what it carries, and any path parameters of its own."""

    who: str = "lead"  # a field of People
    json: Any = None
    data: Mapping[str, Any] | None = None
    files: Mapping[str, Any] | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Sample:
    """How to make a valid request of a route: the review's state, and the request itself."""

    call: Callable[[World], Call]
    status: str = "fieldwork"
    closed: bool = False  # the self-assessment is closed


def _evidence_body(**fields: object) -> dict[str, object]:
    return {
        "title": "Discharge meeting observed again",
        "narrative": "The ward and the council's team agreed a plan.",
        "source_type": "interview",
        "category": "staff-leaders",
        "lines": ["SV1"],
        "polarity": "strength",
        **fields,
    }


def _evidence_form(**fields: object) -> dict[str, object]:
    """The evidence page's form: the API's fields, with the date the form asks for."""
    return _evidence_body(collected_on="2026-03-02", **fields)


def _new_finding(w: World) -> dict[str, object]:
    return {
        "kind": "improvement",
        "domain_key": "workforce",
        "text": "Plans are not shared.",
        "cited_evidence": [w.evidence_id],
    }


def _recommendation_form(w: World, text: str, priority: str) -> dict[str, object]:
    return {"text": text, "owner_organisation_ids": [str(w.partner.id)], "priority": priority}


def _review_form(w: World) -> dict[str, str]:
    review = w.review
    return {
        "title": "Review of Northshire, renamed",
        "place": review.place,
        "icb": review.icb,
        "councils": "\n".join(review.councils),
        "kind": review.kind,
        "framework": f"{review.framework_key}:{review.framework_version}",
    }


def _upload(content: bytes = NOTES, name: str = "notes.txt", kind: str = "text/plain") -> dict[str, Any]:
    return {"file": (name, content, kind)}


REASONED = "The team agreed this on the final day."
API = "/api/v1/reviews/{review_id}"
PAGES = "/reviews/{review_id}"

SAMPLES: dict[tuple[str, str], Sample] = {
    # The review, its partners and team
    ("PATCH", API): Sample(lambda w: Call(json={"title": "Review of Northshire, renamed"})),
    ("POST", f"{PAGES}/edit"): Sample(lambda w: Call(data=_review_form(w))),
    ("POST", f"{API}/status"): Sample(lambda w: Call(json={"status": "moderation"})),
    ("POST", f"{PAGES}/status"): Sample(lambda w: Call(data={"status": "moderation"})),
    ("PUT", f"{API}/report-text"): Sample(
        lambda w: Call(who="writer", json={"summary": "A system that talks."})
    ),
    ("POST", f"{PAGES}/report-text"): Sample(
        lambda w: Call(who="writer", data={"people_experience": "", "summary": "A system.", "scope_note": ""})
    ),
    ("POST", f"{API}/organisations"): Sample(
        lambda w: Call(json={"name": "Northshire Hospitals", "org_type": "nhs_trust"})
    ),
    ("PATCH", f"{API}/organisations/{{organisation_id}}"): Sample(
        lambda w: Call(json={"name": "Northshire Community Health Trust"})
    ),
    ("DELETE", f"{API}/organisations/{{organisation_id}}"): Sample(lambda w: Call()),
    ("POST", f"{PAGES}/team/organisations"): Sample(
        lambda w: Call(data={"name": "Northshire Hospitals", "org_type": "nhs_trust"})
    ),
    ("POST", f"{PAGES}/team/organisations/{{organisation_id}}"): Sample(
        lambda w: Call(data={"name": "Northshire Community Health Trust", "org_type": "nhs_trust"})
    ),
    ("POST", f"{PAGES}/team/organisations/{{organisation_id}}/remove"): Sample(lambda w: Call(data={})),
    ("POST", f"{API}/members"): Sample(
        lambda w: Call(json={"email": w.people.newcomer.email, "role": "reviewer"})
    ),
    ("PATCH", f"{API}/members/{{membership_id}}"): Sample(lambda w: Call(json={"role": "observer"})),
    ("DELETE", f"{API}/members/{{membership_id}}"): Sample(lambda w: Call()),
    ("POST", f"{PAGES}/team/members"): Sample(
        lambda w: Call(data={"email": w.people.newcomer.email, "role": "reviewer"})
    ),
    ("POST", f"{PAGES}/team/members/{{membership_id}}"): Sample(lambda w: Call(data={"role": "observer"})),
    ("POST", f"{PAGES}/team/members/{{membership_id}}/remove"): Sample(lambda w: Call(data={})),
    # Evidence, its files, imports and the data profile
    ("POST", f"{API}/evidence"): Sample(
        lambda w: Call(who="reviewer", json={"id": str(uuid.uuid4()), **_evidence_body()})
    ),
    ("PUT", f"{API}/evidence/{{evidence_id}}"): Sample(lambda w: Call(who="reviewer", json=_evidence_body())),
    ("DELETE", f"{API}/evidence/{{evidence_id}}"): Sample(lambda w: Call(who="reviewer")),
    ("POST", f"{API}/evidence/{{evidence_id}}/restore"): Sample(
        lambda w: Call(params={"evidence_id": w.deleted_evidence_id})
    ),
    ("POST", f"{API}/evidence/{{evidence_id}}/attachments"): Sample(
        lambda w: Call(who="reviewer", files=_upload())
    ),
    ("DELETE", f"{API}/evidence/{{evidence_id}}/attachments/{{attachment_id}}"): Sample(
        lambda w: Call(who="reviewer")
    ),
    ("POST", f"{API}/evidence/import"): Sample(
        lambda w: Call(who="reviewer", files=_upload(IMPORT_CSV, "visit.csv", "text/csv"), data={})
    ),
    ("POST", f"{PAGES}/evidence/new"): Sample(
        lambda w: Call(who="reviewer", data=_evidence_form(id=str(uuid.uuid4())))
    ),
    ("POST", f"{PAGES}/evidence/{{evidence_id}}/edit"): Sample(
        lambda w: Call(who="reviewer", data=_evidence_form(version="1", reason="agreed wording"))
    ),
    ("POST", f"{PAGES}/evidence/{{evidence_id}}/delete"): Sample(
        lambda w: Call(who="reviewer", data={"reason": "entered twice"})
    ),
    ("POST", f"{PAGES}/evidence/{{evidence_id}}/restore"): Sample(
        lambda w: Call(data={}, params={"evidence_id": w.deleted_evidence_id})
    ),
    ("POST", f"{PAGES}/evidence/{{evidence_id}}/attachments"): Sample(
        lambda w: Call(who="reviewer", files=_upload(), data={})
    ),
    ("POST", f"{PAGES}/evidence/{{evidence_id}}/attachments/{{attachment_id}}/remove"): Sample(
        lambda w: Call(who="reviewer", data={})
    ),
    ("POST", f"{PAGES}/evidence/import"): Sample(
        lambda w: Call(
            who="reviewer", files=_upload(IMPORT_CSV, "visit.csv", "text/csv"), data={"action": "import"}
        )
    ),
    ("PUT", f"{API}/indicators/{{indicator_key}}"): Sample(
        lambda w: Call(who="reviewer", json={"value": 1500, "period": "2025-26"})
    ),
    ("DELETE", f"{API}/indicators/{{indicator_key}}"): Sample(lambda w: Call(who="reviewer")),
    ("POST", f"{PAGES}/data-profile/{{indicator_key}}"): Sample(
        lambda w: Call(who="reviewer", data={"value": "1500", "period": "2025-26"})
    ),
    ("POST", f"{PAGES}/data-profile/{{indicator_key}}/remove"): Sample(
        lambda w: Call(who="reviewer", data={})
    ),
    # Ratings, moderation and overrides
    ("PUT", f"{API}/ratings/{{ref}}"): Sample(
        lambda w: Call(
            who="reviewer",
            json={"value": 3, "rationale": "Shared plans.", "cited_evidence": [w.evidence_id]},
        )
    ),
    ("POST", f"{PAGES}/self-assessment/{{ref}}"): Sample(
        lambda w: Call(who="assessor", data={"value": "3", "rationale": "We share our plans."})
    ),
    ("POST", f"{PAGES}/ratings/{{ref}}/rate"): Sample(
        lambda w: Call(
            who="reviewer",
            data={"value": "3", "rationale": "Shared plans.", "cited_evidence": [w.evidence_id]},
        )
    ),
    ("POST", f"{API}/self-assessment/close"): Sample(lambda w: Call()),
    ("POST", f"{API}/self-assessment/reopen"): Sample(lambda w: Call(), closed=True),
    ("POST", f"{PAGES}/self-assessment/close"): Sample(lambda w: Call(data={})),
    ("POST", f"{PAGES}/self-assessment/reopen"): Sample(lambda w: Call(data={}), closed=True),
    ("PUT", f"{API}/moderated/{{ref}}"): Sample(
        lambda w: Call(json={"value": 3, "rationale": "Agreed.", "cited_evidence": [w.evidence_id]})
    ),
    ("POST", f"{PAGES}/moderation/{{ref}}"): Sample(
        lambda w: Call(data={"value": "3", "rationale": "Agreed.", "cited_evidence": [w.evidence_id]})
    ),
    ("PUT", f"{API}/overrides"): Sample(
        lambda w: Call(
            json={"scope": "domain", "domain_key": "shared-vision", "level": 3, "justification": REASONED}
        )
    ),
    ("DELETE", f"{API}/overrides"): Sample(lambda w: Call(query={"scope": "overall"})),
    ("POST", f"{PAGES}/scores/overrides"): Sample(
        lambda w: Call(data={"target": "domain:shared-vision", "level": "3", "justification": REASONED})
    ),
    ("POST", f"{PAGES}/scores/overrides/remove"): Sample(lambda w: Call(data={"target": "overall"})),
    # Findings and recommendations
    ("POST", f"{API}/findings"): Sample(lambda w: Call(json=_new_finding(w))),
    ("PATCH", f"{API}/findings/{{finding_id}}"): Sample(lambda w: Call(json={"text": "Strength, reworded."})),
    ("DELETE", f"{API}/findings/{{finding_id}}"): Sample(lambda w: Call()),
    ("POST", f"{PAGES}/findings/new"): Sample(lambda w: Call(data=_new_finding(w))),
    ("POST", f"{PAGES}/findings/{{finding_id}}/edit"): Sample(
        lambda w: Call(
            data={
                "kind": "strength",
                "domain_key": "shared-vision",
                "text": "Strength, reworded.",
                "cited_evidence": [w.evidence_id],
            }
        )
    ),
    ("POST", f"{PAGES}/findings/{{finding_id}}/move"): Sample(lambda w: Call(data={"direction": "up"})),
    ("POST", f"{PAGES}/findings/{{finding_id}}/delete"): Sample(lambda w: Call(data={})),
    ("POST", f"{API}/recommendations"): Sample(
        lambda w: Call(json={"text": "Share the plans.", "owner_organisation_ids": [w.partner.id]})
    ),
    ("PATCH", f"{API}/recommendations/{{recommendation_id}}"): Sample(
        lambda w: Call(json={"priority": "high"})
    ),
    ("DELETE", f"{API}/recommendations/{{recommendation_id}}"): Sample(lambda w: Call()),
    ("POST", f"{PAGES}/recommendations/new"): Sample(
        lambda w: Call(data=_recommendation_form(w, "Share the plans.", "medium"))
    ),
    ("POST", f"{PAGES}/recommendations/{{recommendation_id}}/edit"): Sample(
        lambda w: Call(data=_recommendation_form(w, "Share the plans widely.", "high"))
    ),
    ("POST", f"{PAGES}/recommendations/{{recommendation_id}}/move"): Sample(
        lambda w: Call(data={"direction": "up"})
    ),
    ("POST", f"{PAGES}/recommendations/{{recommendation_id}}/delete"): Sample(lambda w: Call(data={})),
    # The action plan, once the review is published
    ("POST", f"{API}/actions"): Sample(
        lambda w: Call(json={"text": "Meet weekly.", "owner_organisation_id": w.partner.id}),
        status="published",
    ),
    ("PATCH", f"{API}/actions/{{action_id}}"): Sample(
        lambda w: Call(json={"status": "in_progress"}), status="published"
    ),
    ("POST", f"{API}/actions/{{action_id}}/notes"): Sample(
        lambda w: Call(json={"note": "First meeting held.", "status": "in_progress"}), status="published"
    ),
    ("POST", f"{PAGES}/action-plan"): Sample(
        lambda w: Call(
            data={"text": "Meet weekly.", "owner_organisation_id": str(w.partner.id), "status": "not_started"}
        ),
        status="published",
    ),
    ("POST", f"{PAGES}/action-plan/{{action_id}}/edit"): Sample(
        lambda w: Call(
            data={
                "text": "Meet every week.",
                "owner_organisation_id": str(w.partner.id),
                "status": "in_progress",
            }
        ),
        status="published",
    ),
    ("POST", f"{PAGES}/action-plan/{{action_id}}/progress"): Sample(
        lambda w: Call(
            data={f"note-{w.action_id}": "First meeting held.", f"status-{w.action_id}": "in_progress"}
        ),
        status="published",
    ),
}


# The walk ---------------------------------------------------------------------------------------


class RecorderSpy:
    """Counts calls of `changes._mark_recorded`, which `record` and `batch` both make."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = changes._mark_recorded

        def counting(session: Any) -> None:
            self.calls += 1
            original(session)

        monkeypatch.setattr(changes, "_mark_recorded", counting)


def write_routes(app: FastAPI) -> list[AppRoute]:
    """The routes that may change a review: a write method and a review in the path."""
    return [r for r in app_routes(app) if r.method in WRITE_METHODS and r.is_review_route]


def audit_count(review_id: int) -> int:
    with session_scope(read_only=True) as s:
        return s.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.review_id == review_id)
        ).one()


def _url(path: str, params: Mapping[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: params[m.group(1)], path)


def _detail(response: Any) -> str:
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.text[:300]
    found = re.search(r'class="[^"]*error-summary[^"]*".*?</div>', response.text, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))[:300] if found else ""


async def recorder_problems(
    client: Any, spy: RecorderSpy, route: AppRoute, review_id: int, user: User, call: Call, url: str
) -> list[str]:
    """Send one request and say what, if anything, shows it bypassed the change recorder."""
    before_calls, before_rows = spy.calls, audit_count(review_id)
    headers = {**auth(user), "Accept": "text/html" if route.is_page else "application/json"}
    response = await client.request(
        route.method,
        url,
        headers=headers,
        json=call.json,
        data=call.data,
        files=call.files,
        params=call.query,
    )
    status = response.status_code
    if route.is_page:
        location = response.headers.get("location", "")
        if status != 303:
            return [f"{route.name}: answered {status}, not 303 {_detail(response)!r}"]
        if "error" in location or location.startswith("/sign-in"):
            return [f"{route.name}: sent back to {location}"]
    elif not 200 <= status < 300:
        return [f"{route.name}: answered {status} {_detail(response)!r}"]
    problems = []
    if spy.calls == before_calls:
        problems.append(f"{route.name}: succeeded ({status}) without going through app.reviews.changes")
    if audit_count(review_id) <= before_rows:
        problems.append(f"{route.name}: succeeded ({status}) but added no audit row for the review")
    return problems


@pytest.fixture
def people(db, monkeypatch: pytest.MonkeyPatch) -> People:
    # Argon2 is slow by design and these tests authenticate with bearer tokens: hash once.
    monkeypatch.setattr(accounts, "hash_password", lru_cache(maxsize=8)(accounts.hash_password))
    return People(
        admin=make_user(admin=True, name="Ada Admin"),
        lead=make_user(name="Lena Lead"),
        reviewer=make_user(name="Ravi Reviewer"),
        writer=make_user(name="Wren Writer"),
        assessor=make_user(name="Carla Council"),
        newcomer=make_user(name="Nico Newcomer"),
    )


def unsampled(routes: list[AppRoute]) -> list[str]:
    """Write routes with neither a sample nor an exemption."""
    return [r.name for r in routes if (r.method, r.path) not in SAMPLES.keys() | EXEMPT.keys()]


def stale_entries(routes: list[AppRoute]) -> list[str]:
    """Samples and exemptions naming routes that are not among `routes`."""
    present = {(r.method, r.path) for r in routes}
    return [f"{m} {p}" for m, p in sorted((SAMPLES.keys() | EXEMPT.keys()) - present)]


def test_every_write_route_has_a_sample_or_an_exemption(app) -> None:
    missing = unsampled(write_routes(app))
    assert not missing, (
        "write routes with no sample (add one to SAMPLES, or to EXEMPT saying why):\n" + "\n".join(missing)
    )


def test_the_tables_name_no_missing_routes(app) -> None:
    stale = stale_entries(write_routes(app))
    assert not stale, "SAMPLES or EXEMPT name routes the app does not have:\n" + "\n".join(stale)
    assert not SAMPLES.keys() & EXEMPT.keys(), "a route is both sampled and exempt"


async def test_every_write_route_goes_through_the_change_recorder(app, client, people, monkeypatch) -> None:
    spy = RecorderSpy(monkeypatch)
    problems: list[str] = []
    checked = 0
    for route in write_routes(app):
        sample = SAMPLES.get((route.method, route.path))
        if sample is None:
            continue  # an exemption, or a gap the coverage test names
        world = build_world(people, status=sample.status, closed=sample.closed)
        call = sample.call(world)
        url = _url(route.path, {**world.path_params(), **call.params})
        user = getattr(people, call.who)
        problems += await recorder_problems(client, spy, route, world.review.id or 0, user, call, url)
        checked += 1
    assert checked == len(SAMPLES)
    assert not problems, f"{len(problems)} write routes not shown to use the recorder:\n" + "\n".join(
        problems
    )


# The walk can fail ------------------------------------------------------------------------------


def _tiny_app() -> FastAPI:
    """Two writes to a review: one through the recorder, one writing its audit row by hand."""
    tiny = FastAPI()

    def change(review_id: int, *, recorded: bool) -> dict[str, bool]:
        with session_scope() as s:
            review = s.get(Review, review_id)
            assert review is not None
            review.title = "Renamed"
            ctx = WriteContext(review=review, user_id=None, role=None, organisation_id=None, actor="test")
            if recorded:
                changes.record(
                    s, ctx, write=changes.Write.setup, entity="review", entity_id=review_id, action="update"
                )
            else:
                audit.record(
                    s,
                    user_id=None,
                    review_id=review_id,
                    entity="review",
                    entity_id=review_id,
                    action="update",
                )
        return {"ok": True}

    @tiny.post("/api/v1/reviews/{review_id}/recorded")
    def recorded(review_id: int) -> dict[str, bool]:
        return change(review_id, recorded=True)

    @tiny.post("/api/v1/reviews/{review_id}/by-hand")
    def by_hand(review_id: int) -> dict[str, bool]:
        return change(review_id, recorded=False)

    return tiny


async def test_the_walk_reports_a_write_that_bypasses_the_recorder(db, monkeypatch) -> None:
    spy = RecorderSpy(monkeypatch)
    admin = make_user(admin=True)
    review = make_review(admin=admin, status="fieldwork")
    tiny = _tiny_app()
    transport = httpx.ASGITransport(app=tiny, raise_app_exceptions=False)
    found: dict[str, list[str]] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as tiny_client:
        for route in write_routes(tiny):
            url = _url(route.path, {"review_id": str(review.id)})
            found[route.path.rsplit("/", 1)[-1]] = await recorder_problems(
                tiny_client, spy, route, review.id or 0, admin, Call(), url
            )
    assert found["recorded"] == []
    # And the coverage tests would name the app's routes as unsampled, and every sample as stale.
    assert sorted(unsampled(write_routes(tiny))) == [
        "POST /api/v1/reviews/{review_id}/by-hand",
        "POST /api/v1/reviews/{review_id}/recorded",
    ]
    assert len(stale_entries(write_routes(tiny))) == len(SAMPLES) + len(EXEMPT)
    assert found["by-hand"] == [
        "POST /api/v1/reviews/{review_id}/by-hand: succeeded (200) without going through app.reviews.changes"
    ]
