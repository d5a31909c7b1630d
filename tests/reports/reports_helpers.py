"""A rich review in the database, for report tests: team, partners, evidence on every line,
self-assessment and review-team ratings (with splits and an NHS-against-council gap),
moderated ratings citing evidence, findings, recommendations, figures and (after
publication) an action plan. Built straight through the models, deterministically.
"""

from __future__ import annotations

import itertools
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from pypdf import PdfReader
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.service import issue_token
from app.core.db import session_scope
from app.core.security import hash_password
from app.dataprofile.models import IndicatorValue
from app.evidence.models import Evidence, EvidenceLine, EvidenceOrganisation, EvidenceStage
from app.findings.models import ActionItem, ActionNote, Finding, Recommendation
from app.ratings.models import ModeratedRating, Rating
from app.reviews.changes import review_framework
from app.reviews.models import Membership, Organisation, Review
from tests.factories import PASSWORD

_ids = itertools.count(1)

PARTNERS = (
    ("Northshire County Council", "local_authority"),
    ("Northshire and Wyebridge ICB", "icb"),
    ("Northshire Hospitals NHS Foundation Trust", "nhs_trust"),
    ("Wyebridge Community Health NHS Trust", "nhs_trust"),
    ("Northshire Healthwatch", "healthwatch"),
)
QUOTES = (
    "I told my story five times before anyone listened.",
    "The reablement team got me back on my feet in a fortnight.",
    "Nobody told my daughter I was coming home that day.",
    "The nurse from the GP practice knew the whole plan already.",
)


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return hash_password(PASSWORD)  # Argon2 is slow by design: hash the shared test password once


@dataclass
class SeededReview:
    review_id: int
    lead: User
    writer: User
    reviewers: list[User]
    assessors: list[User]
    observer: User
    evidence_ids: list[str] = field(default_factory=list)


def _user(session: Session, name: str) -> User:
    n = next(_ids)
    user = User(email=f"report{n}@example.org", display_name=name, password_hash=_password_hash())
    session.add(user)
    session.flush()
    return user


def _member(session: Session, review: Review, user: User, role: str, org: Organisation | None = None) -> None:
    org_id = org.id if org else None
    session.add(Membership(review_id=review.id, user_id=user.id, role=role, organisation_id=org_id))


def seed_review(
    *,
    framework_key: str = "local-system-review",
    status: str = "reporting",
    title: str = "Local system review: Northshire",
    evidence_per_line: int = 2,
) -> SeededReview:
    """Create the review and everything in it; returns who is who."""
    with session_scope() as s:
        from app.frameworks.service import get_version

        version = get_version(s, framework_key, None)
        review = Review(
            title=title,
            place="Northshire",
            icb="Northshire and Wyebridge ICB",
            councils=["Northshire County Council"],
            kind="external_review",
            framework_key=version.key,
            framework_version=version.version,
            fieldwork_start=date(2025, 3, 3),
            fieldwork_end=date(2025, 3, 7),
            status=status,
            self_assessment_closed=True,
            people_experience=(
                "Older people in Northshire told us that **getting help at home** is quick, but that "
                "leaving hospital is slow and that they repeat their story many times."
            ),
            summary="Leaders share a clear vision. Discharge from hospital is the system's weakest point.",
            scope_note="The review looked at how health and social care work together for people aged 65+.",
            published_at=datetime(2025, 6, 2, 10, tzinfo=UTC) if status == "published" else None,
        )
        s.add(review)
        s.flush()
        fw = review_framework(s, review)
        orgs = []
        for name, org_type in PARTNERS:
            org = Organisation(review_id=review.id, name=name, org_type=org_type)
            s.add(org)
            orgs.append(org)
        s.flush()
        lead = _user(s, "Priya Lead (demo)")
        writer = _user(s, "Robin Writer (demo)")
        observer = _user(s, "Olu Observer (demo)")
        reviewers = [_user(s, f"Reviewer {n} (demo)") for n in (1, 2)]
        assessors = [_user(s, f"Leader of {org.name}") for org in orgs[:4]]
        _member(s, review, lead, "lead")
        _member(s, review, writer, "report_writer")
        _member(s, review, observer, "observer")
        for user in reviewers:
            _member(s, review, user, "reviewer")
        for user, org in zip(assessors, orgs[:4], strict=True):
            _member(s, review, user, "self_assessor", org)

        seeded = SeededReview(review.id, lead, writer, reviewers, assessors, observer)
        stages = [stage.key for stage in fw.pathway_stages]
        categories = [c.key for c in fw.evidence_categories]
        sources = [t.key for t in fw.source_types]
        by_ref: dict[str, list[str]] = {}
        n = 0
        for _, line in fw.lines():
            for _ in range(evidence_per_line):
                evidence_id = f"10000000-0000-4000-8000-{review.id:04d}{n:08d}"
                s.add(
                    Evidence(
                        id=evidence_id,
                        review_id=review.id,
                        title=f"{sources[n % len(sources)].capitalize()} note {n + 1} on {line.ref}",
                        narrative="Working notes that name Mrs Example: never printed in the report.",
                        source_type=sources[n % len(sources)],
                        category=categories[n % len(categories)],
                        polarity=("strength", "concern", "context")[n % 3],
                        collected_on=date(2025, 3, 3) + timedelta(days=n % 5),
                        collected_by_id=reviewers[n % 2].id,
                        quote=QUOTES[n % len(QUOTES)] if n % 5 == 0 else "",
                        content_hash=f"{n:064d}",
                    )
                )
                s.flush()
                s.add(EvidenceLine(evidence_id=evidence_id, ref=line.ref))
                s.add(EvidenceStage(evidence_id=evidence_id, stage=stages[n % len(stages)]))
                s.add(EvidenceOrganisation(evidence_id=evidence_id, organisation_id=orgs[n % len(orgs)].id))
                by_ref.setdefault(line.ref, []).append(evidence_id)
                seeded.evidence_ids.append(evidence_id)
                n += 1

        if fw.scale.rated:
            values = fw.scale.values
            for index, (_, line) in enumerate(fw.lines()):
                base = values[min(len(values) - 1, 1 + index % (len(values) - 1))]
                for k, (user, org) in enumerate(zip(assessors, orgs[:4], strict=True)):
                    # Every third line splits the council from the NHS bodies.
                    shift = (-2 if k == 0 else 1) if index % 3 == 0 else (0, 0, 1, -1)[(index + k) % 4]
                    value = min(max(base + shift, values[0]), values[-1])
                    s.add(Rating(review_id=review.id, ref=line.ref, rater_id=user.id, group="self_assessment",
                                 organisation_id=org.id, value=value))  # fmt: skip
                for user in reviewers:
                    s.add(Rating(review_id=review.id, ref=line.ref, rater_id=user.id, group="review_team",
                                 value=base, cited_evidence=by_ref[line.ref][:1]))  # fmt: skip
                s.add(
                    ModeratedRating(
                        review_id=review.id,
                        ref=line.ref,
                        value=base,
                        rationale=f"Evidence on {line.ref} shows **consistent** practice across partners.",
                        cited_evidence=by_ref[line.ref][:2],
                        updated_by_id=lead.id,
                    )
                )
        for position, domain in enumerate(fw.domains):
            first = by_ref[domain.lines[0].ref]
            s.add(Finding(review_id=review.id, domain_key=domain.key, kind="strength", position=position,
                          text=f"Partners in *{domain.name}* share plans openly.", cited_evidence=first[:1],
                          created_by_id=lead.id))  # fmt: skip
            s.add(Finding(review_id=review.id, domain_key=domain.key, kind="improvement", position=position,
                          text=f"Plans for {domain.name} are not yet tested with people who use services.",
                          cited_evidence=first[1:2], created_by_id=writer.id))  # fmt: skip
        for position, stage in enumerate(fw.pathway_stages):
            s.add(Finding(review_id=review.id, stage=stage.key, kind="improvement", position=position,
                          text=f"At the {stage.name} stage, information does not follow the person.",
                          cited_evidence=seeded.evidence_ids[position * 3: position * 3 + 1],
                          created_by_id=writer.id))  # fmt: skip
        recs = []
        for number in range(1, 6):
            rec = Recommendation(
                review_id=review.id,
                number=number,
                text=f"Agree one discharge plan per person, recommendation {number}.",
                domain_key=fw.domains[number % len(fw.domains)].key,
                owner_organisation_ids=[orgs[0].id, orgs[1].id],
                priority=("high", "medium", "low")[number % 3],
                target_date=date(2026, 3, 31),
                created_by_id=writer.id,
            )
            s.add(rec)
            recs.append(rec)
        s.flush()
        for i, indicator in enumerate(fw.indicators):
            s.add(IndicatorValue(review_id=review.id, indicator_key=indicator.key, value=40 + i * 3.5,
                                 period="2024-25", source="Test figures", england=42 + i * 3,
                                 similar_areas=None if i % 5 == 0 else 39 + i * 3.2))  # fmt: skip
        if status == "published":
            action = ActionItem(review_id=review.id, recommendation_id=recs[0].id,
                                text="Open a joint discharge hub.", owner_organisation_id=orgs[0].id,
                                status="in_progress", due_date=date(2026, 1, 31),
                                created_by_id=lead.id)  # fmt: skip
            s.add(action)
            s.flush()
            s.add(ActionNote(action_item_id=action.id, note="Hub staffed.", status="in_progress",
                             created_by_id=lead.id))  # fmt: skip
        return seeded


def web_session(user: User) -> tuple[str, str]:
    """A signed-in browser session for `user`: (cookie value, CSRF secret)."""
    with session_scope() as s:
        issued = issue_token(s, user=user, kind="session", lifetime=timedelta(hours=1))
        return issued.token, issued.record.csrf_secret


def pdf_text(path: Path, *, first: int | None = None, last: int | None = None) -> str:
    """Text of the PDF (or some pages of it) by poppler's pdftotext, in reading layout."""
    args = ["pdftotext", "-layout"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    return subprocess.run([*args, str(path), "-"], check=True, capture_output=True, text=True).stdout


def page_texts(path: Path) -> list[str]:
    """Text of each page."""
    pages = len(PdfReader(str(path)).pages)
    return [pdf_text(path, first=n, last=n) for n in range(1, pages + 1)]


def outline_titles(reader: PdfReader) -> list[tuple[int, str, int]]:
    """The PDF's bookmarks as (depth, title, page number from 1), in order."""
    found: list[tuple[int, str, int]] = []

    def walk(items: list, depth: int) -> None:  # type: ignore[type-arg]
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 1)
    return found


def embedded_files(reader: PdfReader) -> dict[str, bytes]:
    """Every file embedded in the PDF, by name."""
    return {name: data for name, contents in reader.attachments.items() for data in contents}


def fresh_database(engine) -> None:  # type: ignore[no-untyped-def]
    """What the `db` fixture does, for module-scoped fixtures: a clean database with frameworks."""
    from sqlalchemy import text

    from app.core.config import PROJECT_ROOT
    from app.frameworks.service import load_files
    from app.models import metadata

    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
    with session_scope() as s:
        load_files(s, [PROJECT_ROOT / "frameworks", Path(__file__).parent.parent / "fixtures" / "frameworks"])


def export_file(review_id: int, options, *, timeout: float = 900) -> tuple[bytes, object]:  # type: ignore[no-untyped-def]
    """Prepare, build and render one review's report the way a job does; (file bytes, built report)."""
    from app.reports import service

    with session_scope(read_only=True) as s:
        review = s.get(Review, review_id)
        prepared = service.prepare(s, review, options)
    built = service.build(prepared)
    return service.render_document(built, timeout=timeout).data, built
