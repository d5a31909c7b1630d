"""Report snapshots built by hand, for tests of the report context that need no database."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from app.core.config import PROJECT_ROOT
from app.frameworks.loader import read_framework_file
from app.frameworks.schema import Framework
from app.reports.snapshot import (
    ActionInfo,
    EvidenceItem,
    FindingItem,
    IndicatorFigure,
    ModeratedLine,
    PartnerInfo,
    RecommendationItem,
    ReportSnapshot,
    ReviewInfo,
    TeamMember,
)
from app.scoring import EvidenceSignal, RatingInput

FIXTURES = Path(__file__).parent.parent / "fixtures" / "frameworks"


def framework(name: str = "local-system-review") -> Framework:
    """A framework file parsed straight from disk."""
    for folder in (PROJECT_ROOT / "frameworks", FIXTURES):
        path = folder / f"{name}.yaml"
        if path.exists():
            return read_framework_file(path).framework
    raise FileNotFoundError(name)


def review_info(**changes: object) -> ReviewInfo:
    values: dict[str, object] = {
        "id": 1,
        "title": "Local system review: Northshire",
        "place": "Northshire",
        "icb": "Northshire and Wyebridge ICB",
        "councils": ("Northshire County Council",),
        "kind": "external_review",
        "status": "reporting",
        "fieldwork_start": date(2025, 3, 3),
        "fieldwork_end": date(2025, 3, 7),
        "published_at": None,
        "people_experience": "People told us they **repeat their story** many times.",
        "summary": "Leaders share a vision, but discharge is slow.",
        "scope_note": "The review looked at care for people aged 65 and over.",
    }
    values.update(changes)
    return ReviewInfo(**values)  # type: ignore[arg-type]


def rich_snapshot(fw: Framework | None = None, *, seed: int = 7, **review_changes: object) -> ReportSnapshot:
    """A full, deterministic snapshot: evidence on every line, ratings, findings, data."""
    fw = fw or framework()
    rng = random.Random(seed)
    partners = (
        PartnerInfo(1, "Northshire County Council", "local_authority"),
        PartnerInfo(2, "Northshire and Wyebridge ICB", "icb"),
        PartnerInfo(3, "Northshire Hospitals NHS Foundation Trust", "nhs_trust"),
        PartnerInfo(4, "Northshire Healthwatch", "healthwatch"),
    )
    team = (
        TeamMember("Priya Lead (demo)", "lead"),
        TeamMember("Sam Reviewer (demo)", "reviewer"),
        TeamMember("Alex Reviewer (demo)", "reviewer"),
        TeamMember("Robin Writer (demo)", "report_writer"),
    )
    refs = fw.refs()
    stages = [s.key for s in fw.pathway_stages]
    categories = [c.key for c in fw.evidence_categories]
    sources = [s.key for s in fw.source_types]
    evidence = []
    for n in range(len(refs) * 3):
        ref = refs[n % len(refs)]
        evidence.append(
            EvidenceItem(
                id=f"00000000-0000-4000-8000-{n:012d}",
                title=f"Evidence item {n + 1} about {ref}",
                quote=f"I told my story {n % 5 + 2} times." if n % 4 == 0 else "",
                source_type=sources[n % len(sources)],
                category=categories[n % len(categories)],
                polarity=("strength", "concern", "context")[n % 3],
                collected_on=date(2025, 3, 3) + timedelta(days=n % 5),
                refs=(ref,),
                stages=(stages[n % len(stages)],),
                organisation_ids=(partners[n % len(partners)].id,),
            )
        )
    by_ref = {ref: [e.id for e in evidence if ref in e.refs] for ref in refs}
    signals = tuple(
        EvidenceSignal(e.id, ref, e.polarity, e.category, e.source_type)  # type: ignore[arg-type]
        for e in evidence
        for ref in e.refs
    )
    rated = fw.scale.rated
    ratings: list[RatingInput] = []
    moderated: list[ModeratedLine] = []
    if rated:
        values = fw.scale.values
        for index, ref in enumerate(refs):
            base = values[min(len(values) - 1, 1 + index % (len(values) - 1))]
            raters = ((11, "local_authority"), (12, "icb"), (13, "nhs_trust"), (14, "nhs_trust"))
            for rater, org_type in raters:
                # Every seventh line splits the council and the ICB from the trusts.
                spread = rng.choice((-1, 0, 0, 1)) if index % 7 else (-2 if rater in (11, 12) else 1)
                value = min(max(base + spread, values[0]), values[-1])
                ratings.append(RatingInput(ref, value, rater, "self_assessment", org_type))
            for rater in (21, 22):
                ratings.append(RatingInput(ref, base, rater, "review_team", None))
            rationale = f"The team saw **consistent** practice on {ref}."
            moderated.append(ModeratedLine(ref, base, rationale, tuple(by_ref[ref][:2])))
    findings = []
    position = 0
    for domain in fw.domains:
        ids = by_ref[domain.lines[0].ref]
        strength = f"Leaders in {domain.name} work well."
        improvement = f"Gaps remain in {domain.name}."
        key = domain.key
        findings.append(FindingItem(position, "strength", key, "", strength, tuple(ids[:1]), 0))
        findings.append(FindingItem(position + 1, "improvement", key, "", improvement, tuple(ids[1:2]), 1))
        position += 2
    for stage in fw.pathway_stages:
        text = f"At {stage.name}, teams cooperate."
        findings.append(FindingItem(position, "strength", "", stage.key, text, (), 0))
        position += 1
    recommendations = tuple(
        RecommendationItem(
            id=100 + n,
            number=n,
            text=f"Agree a joint plan for area {n}.",
            domain_key=fw.domains[n % len(fw.domains)].key,
            owner_organisation_ids=(1, 2),
            priority=("high", "medium", "low")[n % 3],
            target_date=date(2026, 3, 31),
        )
        for n in range(1, 11)
    )
    indicators = tuple(
        IndicatorFigure(
            key=indicator.key,
            value=40.0 + i * 3.5,
            period="2024-25",
            source="Test source",
            england=42.0 + i * 3,
            similar_areas=None if i % 5 == 0 else 39.0 + i * 3.2,
            note="",
        )
        for i, indicator in enumerate(fw.indicators)
    )
    due = date(2026, 1, 31)
    actions = (ActionInfo(1, 101, "Set up a discharge hub.", 1, "in_progress", due, "Hub staffed."),)
    info = review_info(**review_changes)
    if info.status == "published" and info.published_at is None:
        info = review_info(**{**review_changes, "published_at": datetime(2025, 6, 2, 10, tzinfo=UTC)})
    return ReportSnapshot(
        framework=fw,
        review=info,
        partners=partners,
        team=team,
        evidence=tuple(evidence),
        ratings=tuple(ratings),
        signals=signals,
        moderated=tuple(moderated),
        findings=tuple(findings),
        recommendations=recommendations,
        actions=actions if info.status == "published" else (),
        indicators=indicators,
    )
