"""The report's content as plain data: no database, no rendering."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

from app.reports.context import build_report_context
from app.reports.options import ReportOptions
from app.reports.snapshot import FindingItem
from tests.reports.snapshots import framework, rich_snapshot

OPTIONS = ReportOptions()


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every element start tag in `html`, with its attributes."""
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def test_sections_follow_the_shape_of_a_system_review_report():
    context = build_report_context(rich_snapshot(), options=OPTIONS)
    top = [entry.title for entry in context.contents if entry.level == 1]
    assert top == [
        "About this review",
        "Summary of findings",
        "Ratings at a glance",
        "Key findings",
        "Findings along the pathway",
        "Data profile",
        "Areas for improvement",
        "Appendix A: Method and evidence sources",
        "Appendix B: The review team and partners",
        "Appendix C: Evidence coverage",
        "Appendix D: Evidence cited",
        "Appendix E: Glossary",
    ]
    fw = framework()
    parts = [entry.title for entry in context.contents if entry.level == 2]
    assert parts == [d.name for d in fw.domains] + [s.name for s in fw.pathway_stages]
    # Every contents entry points at a section that exists.
    anchors = {"about", "summary", "at-a-glance", "domains", "stages", "data-profile", "recommendations"}
    anchors |= {d.anchor for d in context.domains} | {s.anchor for s in context.stages}
    anchors |= {a.anchor for a in context.appendices.all()}
    assert {entry.anchor for entry in context.contents} <= anchors


def test_summary_opens_with_what_people_experience_then_the_summary():
    context = build_report_context(rich_snapshot(), options=OPTIONS)
    assert "<strong>repeat their story</strong>" in context.people_experience
    assert "discharge is slow" in context.summary
    assert context.overall is not None and context.overall.label is not None


def test_evidence_is_numbered_in_reading_order_and_only_cited_items_are_listed():
    snapshot = rich_snapshot()
    context = build_report_context(snapshot, options=OPTIONS)
    labels_in_order: list[str] = []
    for domain in context.domains:
        for view in (*domain.strengths, *domain.improvements):
            labels_in_order += [c.label for c in view.citations]
        for rationale in domain.rationales:
            labels_in_order += [c.label for c in rationale.citations]
    for stage in context.stages:
        for view in (*stage.strengths, *stage.improvements):
            labels_in_order += [c.label for c in view.citations]
    first_seen = list(dict.fromkeys(labels_in_order))
    assert first_seen == [f"E{n}" for n in range(1, len(first_seen) + 1)]
    assert [item.label for item in context.evidence_cited] == first_seen
    cited_titles = {item.title for item in context.evidence_cited}
    all_titles = {item.title for item in snapshot.evidence}
    assert cited_titles < all_titles  # uncited evidence stays out of the appendix
    assert context.method.cited_total == len(first_seen)
    assert context.method.evidence_total == len(snapshot.evidence)


def test_a_citation_of_evidence_that_is_gone_is_dropped_not_numbered():
    snapshot = rich_snapshot()
    domain = snapshot.framework.domains[0]
    ghost = "99999999-0000-4000-8000-000000000000"  # deleted evidence never reaches the snapshot
    findings = (
        FindingItem(1, "strength", domain.key, "", "Ghost-backed finding.", (ghost,), 0),
        *[f for f in snapshot.findings if f.domain_key != domain.key],
    )
    context = build_report_context(dataclasses.replace(snapshot, findings=findings), options=OPTIONS)
    (strength,) = context.domains[0].strengths
    assert strength.citations == ()
    assert ghost not in {item.anchor for item in context.evidence_cited}
    assert context.evidence_cited[0].label == "E1"


def test_quotes_come_from_cited_evidence_with_their_reference():
    context = build_report_context(rich_snapshot(), options=OPTIONS)
    quotes = [q for d in context.domains for q in d.quotes]
    assert quotes, "the rich snapshot cites evidence with quotes"
    cited = {item.label for item in context.evidence_cited}
    for quote in quotes:
        assert quote.citation.label in cited
        assert "I told my story" in quote.text


def test_markdown_from_people_is_sanitised():
    hostile = (
        "Look ![x](file:///etc/hostname) and [link](http://127.0.0.1/x) "
        '<img src="file:///etc/hostname"><style>@import "file:///etc/hostname";</style>'
        '<link rel="attachment" href="file:///etc/hostname"><script>alert(1)</script>'
    )
    snapshot = rich_snapshot(summary=hostile, people_experience=hostile, scope_note=hostile)
    context = build_report_context(snapshot, options=OPTIONS)
    for html in (context.summary, context.people_experience, context.scope_note):
        tags = _tags(html)
        assert {name for name, _ in tags} <= {"p", "strong", "em"}
        assert all(attrs == [] for _, attrs in tags)  # what is left of the URLs is inert, escaped text


def test_a_narrative_framework_has_no_ratings_anywhere():
    snapshot = rich_snapshot(framework("narrative-review"))
    context = build_report_context(snapshot, options=OPTIONS)
    assert not context.rated
    assert context.at_a_glance is None and context.overall is None
    assert "Ratings at a glance" not in [e.title for e in context.contents]
    for domain in context.domains:
        assert domain.result is None and domain.rationales == () and domain.comparison is None
        assert domain.strengths  # narrative findings are still there
    assert context.method.levels == () and context.method.bands == ()
    assert context.data_profile is None  # the narrative fixture has no indicator catalogue


def test_draft_until_published():
    draft = build_report_context(rich_snapshot(), options=OPTIONS)
    assert draft.draft and "DRAFT" in draft.meta.title and draft.cover.draft
    published = build_report_context(rich_snapshot(status="published"), options=OPTIONS)
    assert not published.draft and "DRAFT" not in published.meta.title
    assert published.cover.date_label == "Published 2 June 2025"
    assert published.meta.created == "2025-06-02"
    assert published.action_plan and published.action_plan[0].recommendation == "1"


def test_metadata_names_the_review_for_the_pdf():
    context = build_report_context(rich_snapshot(), options=OPTIONS)
    meta = context.meta
    assert meta.lang == "en-GB"
    assert meta.author == "Northshire review team"
    assert meta.subject.endswith(": Northshire")
    assert {"Northshire", "Northshire and Wyebridge ICB", "Northshire County Council"} <= set(meta.keywords)


def test_ratings_at_a_glance_has_every_domain_and_a_radar_with_words():
    context = build_report_context(rich_snapshot(), options=OPTIONS)
    glance = context.at_a_glance
    assert glance is not None
    assert [row.name for row in glance.rows] == [d.name for d in framework().domains]
    assert all(row.result.percent is not None for row in glance.rows)
    assert glance.radar is not None
    assert 'role="img"' in glance.radar.svg and "<title" in glance.radar.svg and "<desc" in glance.radar.svg
    assert framework().domains[0].name in glance.radar.summary


def test_domain_sections_show_lines_splits_and_the_self_assessment_gap():
    context = build_report_context(rich_snapshot(), options=OPTIONS)
    domain = context.domains[0]
    assert [line.ref for line in domain.lines] == [line.ref for line in framework().domains[0].lines]
    assert all(line.moderated != "Not rated" for line in domain.lines)
    assert domain.comparison is not None and "self-assessment averaged" in domain.comparison.sentence
    assert any("split" in split for d in context.domains for split in d.splits)


def test_data_profile_compares_in_words_and_symbols_with_a_chart_each():
    snapshot = rich_snapshot()
    context = build_report_context(snapshot, options=OPTIONS)
    profile = context.data_profile
    assert profile is not None
    assert len(profile.indicators) == len(snapshot.indicators)
    first = profile.indicators[0]  # 40 against England 42, lower is better
    assert first.vs_england is not None and first.vs_england.text == "+ Better"
    assert first.vs_similar is None  # no similar-areas figure for this one
    assert all("<svg" in row.chart.svg and row.chart.summary for row in profile.indicators)


def test_recommendations_are_numbered_with_owners():
    context = build_report_context(rich_snapshot(), options=OPTIONS)
    assert [r.number for r in context.recommendations] == list(range(1, 11))
    assert context.recommendations[0].owners == "Northshire County Council, Northshire and Wyebridge ICB"


def test_the_archive_variant_says_the_scores_are_attached():
    context = build_report_context(rich_snapshot(), options=ReportOptions(variant="pdf/a-3b"))
    assert "scores.json" in context.cover.archive_note
    assert build_report_context(rich_snapshot(), options=OPTIONS).cover.archive_note == ""
