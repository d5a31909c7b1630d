"""The demo review: made through the services, once, complete enough for the report."""

from __future__ import annotations

from functools import lru_cache

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from app.accounts import service as accounts
from app.accounts.models import User
from app.core.audit import AuditEvent
from app.core.db import session_scope
from app.core.timeutil import utcnow
from app.dataprofile.models import IndicatorValue
from app.demo import ADMIN_EMAIL, DEMO_PASSWORD, REVIEW_TITLE, seed_demo
from app.demo.plan import target_date
from app.evidence.models import Evidence, EvidenceLine, EvidenceOrganisation, EvidenceStage
from app.findings.models import Finding, Recommendation
from app.ratings.models import ModeratedRating, Rating
from app.ratings.results import review_scores
from app.reviews.changes import review_framework
from app.reviews.models import Membership, Organisation, Review


@pytest.fixture(autouse=True)
def hash_each_password_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every demo account shares one password; hashing it once keeps the test quick.
    monkeypatch.setattr(accounts, "hash_password", lru_cache(maxsize=4)(accounts.hash_password))


def count(session, model, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_seeding_makes_one_complete_review_and_only_once(db):
    today = utcnow().date()
    with session_scope() as s:
        first = seed_demo(s)
    with session_scope() as s:
        second = seed_demo(s)
    assert first.created and not second.created

    with session_scope() as s:
        (review,) = s.exec(select(Review)).all()
        fw = review_framework(s, review)
        assert (review.title, review.status, review.kind) == (REVIEW_TITLE, "reporting", "external_review")
        assert review.self_assessment_closed
        assert review.fieldwork_start < review.fieldwork_end < today
        assert review.people_experience and review.summary and review.scope_note

        # Every line moderated, with a rationale and cited evidence.
        moderated = s.exec(select(ModeratedRating).where(ModeratedRating.review_id == review.id)).all()
        assert sorted(m.ref for m in moderated) == sorted(fw.refs())
        assert all(m.rationale and m.cited_evidence for m in moderated)

        # Evidence across every line, stage, category and source type.
        items = s.exec(select(Evidence).where(Evidence.review_id == review.id)).all()
        assert len(items) >= 75
        assert {e.category for e in items} == {c.key for c in fw.evidence_categories}
        assert {e.source_type for e in items} == {t.key for t in fw.source_types}
        assert {e.polarity for e in items} == {"strength", "concern", "context"}

        # Five self-assessors and three reviewers rated every line.
        rows = s.exec(
            select(Rating.group, func.count()).where(Rating.review_id == review.id).group_by(Rating.group)
        ).all()
        per_group = {group: n for group, n in rows}
        assert per_group == {"self_assessment": 5 * len(fw.refs()), "review_team": 3 * len(fw.refs())}

        # Findings for every domain and every stage.
        found = s.exec(select(Finding).where(Finding.review_id == review.id)).all()
        assert {f.domain_key for f in found} >= {d.key for d in fw.domains}
        assert {f.stage for f in found} >= {st.key for st in fw.pathway_stages}
        assert {f.kind for f in found} == {"strength", "improvement"}
        assert all(f.cited_evidence for f in found)

        recs = s.exec(
            select(Recommendation)
            .where(Recommendation.review_id == review.id)
            .order_by(Recommendation.number)
        ).all()
        assert [r.number for r in recs] == list(range(1, len(recs) + 1))
        assert 10 <= len(recs) <= 12
        assert all(r.owner_organisation_ids and r.target_date and r.target_date > today for r in recs)

        assert count(s, IndicatorValue, IndicatorValue.review_id == review.id) == len(fw.indicators)
        assert count(s, Membership, Membership.review_id == review.id) == 11

        # The spread of views is part of the story: split lines and a visible NHS-council gap.
        scores = review_scores(s, review).to_dict()
        assert len(scores["splits"]) >= 3
        assert any(
            abs(g["gap"]) >= 2 for line in scores["lines"] for g in line["org_gaps"] if g["gap"] is not None
        )
        assert scores["overall"]["final_label"] == "Requires improvement"

        # Made through the services: each write is in the audit trail under the person who made it.
        collectors = {e.collected_by_id for e in items}
        evidence_authors = set(
            s.exec(
                select(AuditEvent.user_id).where(
                    AuditEvent.entity == "evidence", AuditEvent.action == "create"
                )
            )
        )
        assert evidence_authors == collectors
        admin = s.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
        assert admin.is_admin
        assert accounts.authenticate(s, email=ADMIN_EMAIL, password=DEMO_PASSWORD) is not None


def test_the_seeded_review_holds_exactly_what_the_data_files_say(db):
    with session_scope() as s:
        result = seed_demo(s)
    assert result.counts == {
        "partners": 8,
        "evidence": 86,
        "findings": 26,
        "recommendations": 12,
        "indicators": 20,
    }
    with session_scope() as s:
        review = s.exec(select(Review)).one()
        refs = review_framework(s, review).refs()
        assert len(refs) == 43
        assert count(s, User) == 12 and count(s, Membership) == 11 and count(s, Organisation) == 8
        assert count(s, Evidence) == 86
        assert count(s, EvidenceLine) == 175 and count(s, EvidenceStage) == 168
        assert count(s, EvidenceOrganisation) == 197
        assert (count(s, Finding), count(s, Recommendation), count(s, IndicatorValue)) == (26, 12, 20)

        # Every line rated by five self-assessors and three reviewers, and moderated once.
        rated = s.exec(select(Rating.ref, func.count()).group_by(Rating.ref)).all()
        assert dict(rated) == {ref: 8 for ref in refs}
        moderated = {m.ref: m for m in s.exec(select(ModeratedRating))}
        assert sorted(moderated) == sorted(refs)
        assert (moderated["LG7"].value, moderated["SV1"].value) == (1, 3)

        # Ids and authors as the files say: evidence ids from keys, one finding in four by the lead.
        strategy = s.get(Evidence, "ecc254ae-1108-5a85-bdd3-29659535a1d9")
        assert strategy is not None and strategy.title == "Joint older people's strategy 2025 to 2030"
        lead = s.exec(select(User).where(User.email == "lead@demo.sysreview.local")).one()
        assert count(s, Finding, Finding.created_by_id == lead.id) == 6
        first = s.exec(select(Recommendation).where(Recommendation.number == 1)).one()
        assert first.priority == "high" and first.target_date == target_date(utcnow().date(), 3)


def test_the_seed_command_says_how_to_sign_in(db):
    from app.cli import cli

    runner = CliRunner()
    first = runner.invoke(cli, ["demo", "seed", "--url", "http://localhost:9000"])
    assert first.exit_code == 0, first.output
    assert "http://localhost:9000/sign-in" in first.output
    assert ADMIN_EMAIL in first.output and DEMO_PASSWORD in first.output
    again = runner.invoke(cli, ["demo", "seed"])
    assert again.exit_code == 0
    assert "demo review already present" in again.output
    with session_scope() as s:
        assert count(s, Review) == 1


def test_the_seed_command_refuses_without_the_framework(db):
    from app.cli import cli
    from app.frameworks.models import FrameworkVersion

    with session_scope() as s:
        for row in s.exec(select(FrameworkVersion).where(FrameworkVersion.key == "local-system-review")):
            s.delete(row)
    result = CliRunner().invoke(cli, ["demo", "seed"])
    assert result.exit_code == 1
    assert "sysreview frameworks load" in result.output


def test_the_seed_command_names_a_broken_data_file_and_adds_nothing(db, tmp_path, monkeypatch):
    import shutil

    from app.cli import cli
    from app.demo import load_demo_data, seed
    from app.demo.loader import DATA_DIR

    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    evidence = folder / "evidence.yaml"
    evidence.write_text(evidence.read_text().replace("    day: -18\n", "    day: soon\n", 1))
    monkeypatch.setattr(seed, "load_demo_data", lambda: load_demo_data(folder))

    result = CliRunner().invoke(cli, ["demo", "seed"])
    assert result.exit_code == 1
    assert f"{evidence}:" in result.output and "evidence[0].day" in result.output
    with session_scope() as s:
        assert count(s, Review) == 0 and count(s, User) == 0
