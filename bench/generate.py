"""A synthetic review of a chosen size, written through the service layer, deterministic from a seed.

N evidence items spread over the main framework's lines, stages, categories, source types and
partner organisations; ratings from 5 self-assessors and 3 reviewers; moderated ratings; findings;
recommendations; every indicator of the data profile.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.permissions import Action
from app.core.db import session_scope
from app.dataprofile import service as dataprofile
from app.evidence import service as evidence
from app.evidence.schemas import EvidenceUpdate
from app.findings import findings, recommendations
from app.ratings import moderation
from app.ratings import service as ratings
from app.reviews import service as reviews
from app.reviews.access import authorize, scope_for
from app.reviews.changes import review_framework
from app.reviews.models import Review

FRAMEWORK = "local-system-review"
PASSWORD = "benchmark-password"
BATCH = 250  # evidence items per unit of work

ORGANISATIONS = [
    ("Benchshire County Council", "local_authority"),
    ("Benchshire Integrated Care Board", "icb"),
    ("Benchshire Hospitals NHS Trust", "nhs_trust"),
    ("Benchshire Community NHS Trust", "nhs_trust"),
    ("Benchshire GP Federation", "primary_care"),
    ("Benchshire Care Association", "care_provider"),
    ("Benchshire Voluntary Action", "voluntary_sector"),
    ("Healthwatch Benchshire", "healthwatch"),
]
POLARITIES = ["strength", "concern", "context"]
WORDS = (
    "discharge",
    "reablement",
    "care",
    "home",
    "carers",
    "flow",
    "delay",
    "assessment",
    "referral",
    "shared",
    "record",
    "hospital",
    "ward",
    "community",
    "team",
    "council",
    "funding",
    "pooled",
    "budget",
    "workforce",
    "vacancy",
    "training",
    "meeting",
    "governance",
    "plan",
    "outcome",
    "experience",
    "family",
    "home",
    "support",
    "bed",
    "weekend",
    "therapy",
)


@dataclass
class GeneratedReview:
    review_id: int
    lead_id: int
    reviewer_ids: list[int]
    token: str  # a bearer token of the lead, for the load test
    evidence_ids: list[str]


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _user(session: Session, email: str, name: str, admin: bool = False) -> User:
    return accounts.create_user(session, email=email, display_name=name, password=PASSWORD, is_admin=admin)


def generate_review(n_items: int, *, seed: int = 2018) -> GeneratedReview:
    """Write a review with `n_items` evidence items; the same seed gives the same review."""
    rng = random.Random(seed)
    ids = uuid.UUID(int=rng.getrandbits(128))  # namespace for deterministic evidence ids
    with session_scope() as s:
        admin = _user(s, f"admin-{seed}-{n_items}@bench.invalid", "Bench Administrator", admin=True)
        lead = _user(s, f"lead-{seed}-{n_items}@bench.invalid", "Bench Lead")
        review = reviews.create_review_with_lead(
            s,
            user_id=admin.id,
            lead_user_id=lead.id,
            title=f"Benchmark review ({n_items} items)",
            place="Benchshire",
            kind="external_review",
            framework_key=FRAMEWORK,
        )
        review.fieldwork_start, review.fieldwork_end = date(2026, 3, 2), date(2026, 3, 6)
        lead_ctx = scope_for(s, review, lead)
        orgs = [
            reviews.add_organisation(s, ctx=lead_ctx, name=name, org_type=kind)
            for name, kind in ORGANISATIONS
        ]
        reviewers = []
        for i in range(3):
            person = _user(s, f"reviewer{i}-{seed}-{n_items}@bench.invalid", f"Reviewer {i + 1}")
            reviews.add_member(s, ctx=lead_ctx, email=person.email, role="reviewer")
            reviewers.append(person)
        assessors = []
        for i in range(5):
            person = _user(s, f"self{i}-{seed}-{n_items}@bench.invalid", f"Self-assessor {i + 1}")
            reviews.add_member(
                s,
                ctx=lead_ctx,
                email=person.email,
                role="self_assessor",
                organisation_id=orgs[i].id,
            )
            assessors.append(person)
        review_id, lead_id = review.id, lead.id
        framework = review_framework(s, review)
        token = accounts.issue_token(s, user=lead, kind="access", lifetime=timedelta(days=7)).token

    refs = framework.refs()
    stages = [st.key for st in framework.pathway_stages]
    categories = [c.key for c in framework.evidence_categories]
    sources = [st.key for st in framework.source_types]
    collectors = [lead_id, *(r.id for r in reviewers)]
    evidence_ids: list[str] = []
    by_ref: dict[str, list[str]] = {ref: [] for ref in refs}
    for start in range(0, n_items, BATCH):
        with session_scope() as s:
            review = s.get(Review, review_id)
            rules = evidence.evidence_rules(s, review)
            team = {u: scope_for(s, review, s.get(User, u)) for u in collectors}
            for i in range(start, min(start + BATCH, n_items)):
                item_refs = sorted({refs[i % len(refs)], rng.choice(refs)})
                data = EvidenceUpdate(
                    title=f"{rng.choice(sources).replace('-', ' ').capitalize()} note {i + 1}",
                    narrative="\n\n".join(
                        _sentence(rng, rng.randint(12, 30)) for _ in range(rng.randint(1, 3))
                    ),
                    source_type=sources[i % len(sources)],
                    category=categories[(i // len(refs)) % len(categories)],
                    lines=item_refs,
                    stages=[stages[i % len(stages)]],
                    organisations=[orgs[i % len(orgs)].id],
                    polarity=POLARITIES[rng.randrange(3)],
                    collected_on=date(2026, 3, 2) + timedelta(days=i % 5),
                    collected_by=collectors[i % len(collectors)],
                    quote=_sentence(rng, 10) if i % 7 == 0 else "",
                    tags=[rng.choice(WORDS)],
                )
                evidence_id = str(uuid.uuid5(ids, str(i)))
                evidence.put_evidence(
                    s,
                    ctx=team[collectors[i % len(collectors)]],
                    evidence_id=evidence_id,
                    data=data,
                    rules=rules,
                )
                evidence_ids.append(evidence_id)
                for ref in item_refs:
                    by_ref[ref].append(evidence_id)

    with session_scope() as s:
        review = s.get(Review, review_id)
        scale = framework.scale.values
        for person, org in zip(assessors, orgs, strict=False):
            scope = authorize(s, s.get(User, person.id), review_id, Action.rate_self)
            # NHS bodies rate a little higher than the council: a gap to find.
            lean = 1 if org.org_type in ("nhs_trust", "icb") else 0
            for ref in refs:
                value = min(scale[-1], max(scale[0], rng.choice(scale[1:3]) + lean * rng.randint(0, 1)))
                ratings.save_rating(s, ctx=scope, ref=ref, value=value, rationale=_sentence(rng, 8))
        for person in reviewers:
            scope = authorize(s, s.get(User, person.id), review_id, Action.rate_team)
            for ref in refs:
                cited = by_ref[ref][:3]
                if cited:
                    ratings.save_rating(
                        s,
                        ctx=scope,
                        ref=ref,
                        value=rng.choice(scale[1:]),
                        rationale=_sentence(rng, 12),
                        cited_evidence=cited,
                    )
        ratings.set_self_assessment_closed(
            s, ctx=authorize(s, s.get(User, lead_id), review_id, Action.manage_review), closed=True
        )
        lead_scope = authorize(s, s.get(User, lead_id), review_id, Action.moderate)
        for ref in refs:
            cited = by_ref[ref][:4]
            if cited:
                moderation.moderate(
                    s,
                    ctx=lead_scope,
                    ref=ref,
                    value=rng.choice(scale[1:]),
                    rationale=_sentence(rng, 20),
                    cited_evidence=cited,
                    expected_version=None,
                )
        for domain in framework.domains:
            for kind in ("strength", "improvement"):
                cited = by_ref[domain.lines[0].ref][:2]
                findings.create_finding(
                    s,
                    ctx=lead_scope,
                    kind=kind,
                    text=_sentence(rng, 30),
                    domain_key=domain.key,
                    cited_evidence=cited,
                )
        for stage in stages:
            findings.create_finding(
                s, ctx=lead_scope, kind="improvement", text=_sentence(rng, 30), stage=stage
            )
        for number in range(8):
            recommendations.create_recommendation(
                s,
                ctx=lead_scope,
                text=_sentence(rng, 25),
                owner_organisation_ids=[orgs[number % len(orgs)].id],
                priority=["high", "medium", "low"][number % 3],
                target_date=date.today() + timedelta(days=90 + 30 * number),
            )
        for indicator in framework.indicators:
            base = rng.uniform(10, 90)
            dataprofile.set_value(
                s,
                ctx=lead_scope,
                indicator_key=indicator.key,
                value=round(base, 1),
                period="2025-26",
                source=indicator.source,
                england=round(base * rng.uniform(0.8, 1.2), 1),
                similar_areas=round(base * rng.uniform(0.85, 1.15), 1),
            )
        reviews.set_report_text(
            s,
            ctx=scope_for(s, review, s.get(User, lead_id)),
            changes={
                "people_experience": _sentence(rng, 60),
                "summary": _sentence(rng, 80),
                "scope_note": _sentence(rng, 30),
            },
        )
    return GeneratedReview(review_id, lead_id, [r.id for r in reviewers], token, evidence_ids)
