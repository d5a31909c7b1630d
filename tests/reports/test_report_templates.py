"""The default template set renders every kind of review, in every mode, as well-formed HTML."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

import pytest

from app.reports.context import build_report_context
from app.reports.options import ReportOptions
from app.reports.snapshot import ReportSnapshot
from app.reports.templates import get_template_set, render_html
from tests.reports.snapshots import framework, review_info, rich_snapshot


def empty_snapshot(name: str) -> ReportSnapshot:
    """A review just opened: no evidence, ratings, findings or figures yet."""
    return ReportSnapshot(framework=framework(name), review=review_info(status="planning", summary=""))


class Outline(HTMLParser):
    """Headings, table structure and ids, to check the page hangs together."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self.th_without_scope = 0
        self.tables = 0
        self.captions = 0
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang") or ""
        if tag in ("h1", "h2"):
            self.headings.append(tag)
        if values.get("id"):
            self.ids.append(values["id"] or "")
        if tag == "a" and (values.get("href") or "").startswith("#"):
            self.links.append((values.get("href") or "")[1:])
        if tag == "th" and "scope" not in values:
            self.th_without_scope += 1
        self.tables += tag == "table"
        self.captions += tag == "caption"


CASES = {
    "rated": lambda: rich_snapshot(),
    "rated, published": lambda: rich_snapshot(status="published"),
    "maturity scale 0-5": lambda: rich_snapshot(framework("integration-maturity")),
    "narrative": lambda: rich_snapshot(framework("narrative-review")),
    "empty rated": lambda: empty_snapshot("local-system-review"),
    "empty narrative": lambda: empty_snapshot("narrative-review"),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("mode", ["pdf", "preview", "html"])
def test_renders_with_sound_structure(case, mode):
    snapshot = CASES[case]()
    context = build_report_context(snapshot, options=ReportOptions())
    html = render_html(context, get_template_set("default"), mode=mode, stylesheet_href="/x/report.css")
    outline = Outline()
    outline.feed(html)
    assert outline.lang == "en-GB"
    assert outline.th_without_scope == 0  # every header cell says what it heads
    assert outline.tables == outline.captions  # every table has a caption
    assert len(outline.ids) == len(set(outline.ids))  # ids are unique
    assert set(outline.links) <= set(outline.ids)  # every internal link has a target
    assert ("<style>" in html) == (mode == "html")
    assert ('<link rel="stylesheet" href="/x/report.css">' in html) == (mode == "preview")
    if not snapshot.framework.scale.rated:
        assert "Ratings at a glance" not in html and "Moderated rating" not in html


def test_an_empty_review_says_what_is_missing_rather_than_failing():
    context = build_report_context(empty_snapshot("local-system-review"), options=ReportOptions())
    html = render_html(context, get_template_set("default"))
    assert "The review team has not yet written the summary." in html
    assert "This report does not yet cite any evidence." in html
    assert "No recommendations have been recorded yet." in html
    assert context.at_a_glance is not None and context.at_a_glance.radar is None
    assert all(row.result.label is None for row in context.at_a_glance.rows)
    assert "No result yet" in context.at_a_glance.rows[0].result.sentence


def test_the_snapshot_hash_ignores_nothing_that_shows_and_nothing_else_changes_it():
    first = rich_snapshot()
    assert first.digest() == rich_snapshot().digest()  # equal content, equal key
    changed = dataclasses.replace(first, review=dataclasses.replace(first.review, summary="Changed."))
    assert changed.digest() != first.digest()
