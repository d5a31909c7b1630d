"""The home page's coverage summary gives the same answer as the line-by-line coverage."""

from __future__ import annotations

from app.core.db import session_scope
from app.evidence.coverage import _signals, coverage_summary
from app.reviews import changes as reviews
from app.reviews.models import Review
from app.scoring import coverage
from tests.factories import add_member, make_evidence, make_review


def test_summary_matches_the_full_coverage(db):
    review = make_review(status="fieldwork")
    lead = add_member(review, "lead")
    # SV1: two categories (triangulated); SV2: one category twice (not); LG1: one item; deleted ignored.
    make_evidence(review, lead, lines=["SV1"], category="people-experience")
    make_evidence(review, lead, lines=["SV1", "SV2"], category="processes")
    make_evidence(review, lead, lines=["SV2"], category="processes", polarity="concern")
    make_evidence(review, lead, lines=["LG1"], category="outcomes")
    with session_scope() as s:
        row = s.get(Review, review.id)
        framework = reviews.review_framework(s, row)
        summary = coverage_summary(s, row)
        full = coverage(framework, _signals(s, row, framework))
    assert summary.evidence_count == 4
    assert summary.lines_total == len(full) == 43
    assert summary.lines_with_no_evidence == sum(1 for c in full.values() if c.no_evidence) == 40
    assert summary.lines_not_triangulated == sum(1 for c in full.values() if c.not_triangulated) == 2
