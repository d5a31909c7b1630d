"""Render the rich review to PDF and read it back: sections, outline, metadata, tags, marks, fonts."""

from __future__ import annotations

import html
import json
import re
import subprocess

import pytest
from pypdf import PdfReader
from sqlmodel import select

from app.core.db import session_scope
from app.demo import REVIEW_TITLE, seed_demo
from app.evidence.models import Evidence
from app.reports.options import ReportOptions
from tests.reports.reports_helpers import (
    embedded_files,
    export_file,
    fresh_database,
    outline_titles,
    page_texts,
    pdf_text,
    seed_review,
)

SECTIONS = [
    "About this review",
    "Summary of findings",
    "Ratings at a glance",
    "Key findings",
    "A shared vision and purpose",
    "A learning culture",
    "Findings along the pathway",
    "Data profile",
    "Areas for improvement",
    "Appendix A: Method and evidence sources",
    "Appendix B: The review team and partners",
    "Appendix C: Evidence coverage",
    "Appendix D: Evidence cited",
    "Appendix E: Glossary",
]


@pytest.fixture(scope="module")
def draft(engine, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The demo review (reporting stage) exported as the accessible PDF."""
    fresh_database(engine)
    with session_scope() as s:
        review_id = seed_demo(s).review_id
    data, built = export_file(review_id, ReportOptions())
    path = tmp_path_factory.mktemp("report") / "draft.pdf"
    path.write_bytes(data)
    return path, built


@pytest.fixture(scope="module")
def small(engine):  # type: ignore[no-untyped-def]
    """A small rated review, published, exported as the accessible and the archive PDF."""
    fresh_database(engine)
    return seed_review(framework_key="peer-challenge", status="published", title="Peer challenge: Wyebridge")


def test_sections_are_all_there_in_order(draft):
    path, _ = draft
    reader = PdfReader(str(path))
    marks = {title: page for _, title, page in outline_titles(reader)}
    pages = [marks[title] for title in SECTIONS]
    assert pages == sorted(pages)
    texts = page_texts(path)
    for title, page in zip(SECTIONS, pages, strict=True):
        assert title in texts[page - 1]
    assert 30 <= len(reader.pages) <= 80


def test_contents_gives_page_numbers_that_match_the_pages(draft):
    path, _ = draft
    pages = page_texts(path)
    contents = pages[1]
    for title in ("Data profile", "Appendix D: Evidence cited"):
        match = re.search(re.escape(title) + r"[ .]*?(\d+)\s*$", contents, re.M)
        assert match, f"{title} is in the contents with a page number"
        number = int(match.group(1))
        assert title in pages[number - 1]


def test_bookmarks_follow_the_headings(draft):
    path, _ = draft
    titles = outline_titles(PdfReader(str(path)))
    top = [title for depth, title, _ in titles if depth == 1]
    assert top[0] == REVIEW_TITLE  # the cover
    assert top[1] == "Contents"
    for section in ("About this review", "Ratings at a glance", "Data profile", "Appendix E: Glossary"):
        assert section in top
    nested = [title for depth, title, _ in titles if depth == 2]
    assert "Moderated rating" in nested and "What people who use services experience" in nested


def test_metadata_title_author_subject_keywords_and_language(draft):
    path, _ = draft
    reader = PdfReader(str(path))
    info = reader.metadata
    assert info.title == f"{REVIEW_TITLE} (DRAFT)"
    assert info.author == "Northshire review team"
    assert info.subject == "Local system review of health and social care for older people: Northshire"
    assert "Northshire County Council" in info["/Keywords"]
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"


def test_tagged_for_accessibility(draft):
    path, _ = draft
    root = PdfReader(str(path)).trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    metadata = root["/Metadata"].get_object().get_data().decode()
    assert "pdfuaid:part" in metadata and 'pdfuaid:part="1"' in metadata or "<pdfuaid:part>1<" in metadata
    tree = _struct_types(root["/StructTreeRoot"])
    for tag in ("/H1", "/H2", "/Table", "/TH", "/TD", "/Figure", "/Caption", "/L", "/LI"):
        assert tag in tree


def test_every_chart_has_alternative_text(draft):
    path, built = draft
    figures = _struct_elements(PdfReader(str(path)).trailer["/Root"]["/StructTreeRoot"], "/Figure")
    assert figures
    assert all("/Alt" in figure and str(figure["/Alt"]).strip() for figure in figures)
    alts = {str(figure["/Alt"]) for figure in figures}
    assert built.context.at_a_glance.radar.caption in alts


def test_draft_mark_on_every_page(draft):
    path, _ = draft
    for number, text in enumerate(page_texts(path), start=1):
        assert "DRAFT" in text, f"page {number} has no DRAFT mark"


def test_fonts_are_the_shipped_lato_only(draft):
    path, _ = draft
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    names = [line.split()[0] for line in fonts.splitlines()[2:] if line.strip()]
    assert names and all("Lato" in name for name in names), names
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:] if line.strip())  # embedded


def test_cites_evidence_by_number_and_never_prints_working_notes(draft):
    path, built = draft
    text = " ".join(pdf_text(path).split())
    first = built.context.evidence_cited[0]
    assert first.label == "E1" and " ".join(first.title.split()) in text
    quote = next(q for d in built.context.domains for q in d.quotes)
    words = html.unescape(re.sub(r"<[^>]+>", "", str(quote.text))).split()[:6]
    assert " ".join(words) in text  # quotes from cited evidence are printed
    with session_scope(read_only=True) as s:
        rows = s.exec(select(Evidence).where(Evidence.review_id == built.prepared.review_id))
        notes = [e.narrative for e in rows]
    # Evidence narratives are the team's working notes, never report text.
    distinctive = [" ".join(n.split()[:12]) for n in notes if len(n.split()) >= 12]
    assert distinctive and not any(snippet in text for snippet in distinctive)


def test_published_report_has_no_draft_mark(small, tmp_path):
    data, built = export_file(small.review_id, ReportOptions())
    assert not built.context.draft
    path = tmp_path / "published.pdf"
    path.write_bytes(data)
    texts = page_texts(path)
    assert all("DRAFT" not in text for text in texts)
    assert "Published 2 June 2025" in texts[0]
    assert "Action plan" in "".join(texts)  # published, with an action plan
    reader = PdfReader(str(path))
    assert reader.metadata.title == "Peer challenge: Wyebridge"
    assert embedded_files(reader) == {}


def test_archive_variant_carries_the_scores_as_json(small, tmp_path):
    data, built = export_file(small.review_id, ReportOptions(variant="pdf/a-3b"))
    path = tmp_path / "archive.pdf"
    path.write_bytes(data)
    reader = PdfReader(str(path))
    files = embedded_files(reader)
    assert set(files) == {"scores.json"}
    scores = json.loads(files["scores.json"])
    assert scores["review"]["id"] == small.review_id
    assert scores["review"]["status"] == "published"
    assert scores["framework"]["key"] == "peer-challenge"
    assert scores["scores"] == json.loads(json.dumps(built.context.scores.to_dict()))
    assert [line["ref"] for line in scores["scores"]["lines"]]
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "pdfaid" in metadata and ("pdfaid:part>3<" in metadata or 'pdfaid:part="3"' in metadata)
    assert "/AF" in reader.trailer["/Root"]  # the attachment is declared as associated data


def _walk(node, seen=None):  # type: ignore[no-untyped-def]
    seen = set() if seen is None else seen
    node = node.get_object() if hasattr(node, "get_object") else node
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, dict):
        yield node
        kids = node.get("/K")
        if kids is not None:
            kids = kids.get_object() if hasattr(kids, "get_object") else kids
            for kid in kids if isinstance(kids, list) else [kids]:
                if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                    yield from _walk(kid, seen)


def _struct_types(root) -> set[str]:  # type: ignore[no-untyped-def]
    return {str(node.get("/S")) for node in _walk(root) if "/S" in node}


def _struct_elements(root, tag: str) -> list:  # type: ignore[no-untyped-def, type-arg]
    return [node for node in _walk(root) if node.get("/S") == tag]
