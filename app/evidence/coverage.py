"""Evidence coverage of a review: which lines of enquiry have evidence, of what kinds.

The rule for a line (counts, no evidence, not triangulated) is the scoring engine's
(`app.scoring.coverage`); this module gathers the signals in a fixed number of queries and
adds what the matrix page and the report need on top: counts by pathway stage and totals of
distinct items per domain and overall.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, func, select

from app.evidence.models import Evidence, EvidenceLine, EvidenceStage
from app.evidence.rules import POLARITIES
from app.evidence.schemas import (
    CoveragePublic,
    CoverageSummary,
    CoverageTotals,
    DomainCoveragePublic,
    LineCoveragePublic,
    NamedKey,
)
from app.frameworks.schema import Framework
from app.reviews import changes
from app.reviews.models import Review
from app.scoring import EvidenceSignal, LineCoverage, coverage


def _signals(session: Session, review: Review, framework: Framework) -> list[EvidenceSignal]:
    """One signal per link of a live item to a line of the framework (one query)."""
    rows = session.exec(
        select(  # type: ignore[call-overload]  # sqlmodel types a select of up to four columns
            EvidenceLine.evidence_id,
            EvidenceLine.ref,
            Evidence.polarity,
            Evidence.category,
            Evidence.source_type,
        )
        .join(Evidence, col(Evidence.id) == col(EvidenceLine.evidence_id))
        .where(
            Evidence.review_id == review.id,
            col(Evidence.deleted_at).is_(None),
            col(EvidenceLine.ref).in_(framework.refs()),
        )
    ).all()
    return [
        EvidenceSignal(evidence_id=eid, ref=ref, polarity=polarity, category=category, source_type=source)  # type: ignore[arg-type]
        for eid, ref, polarity, category, source in rows
    ]


def _stages(session: Session, review: Review) -> dict[str, list[str]]:
    """Pathway stages of every live item of the review (one query)."""
    found: dict[str, list[str]] = defaultdict(list)
    for eid, stage in session.exec(
        select(EvidenceStage.evidence_id, EvidenceStage.stage)
        .join(Evidence, col(Evidence.id) == col(EvidenceStage.evidence_id))
        .where(Evidence.review_id == review.id, col(Evidence.deleted_at).is_(None))
    ):
        found[eid].append(stage)
    return found


def _ordered(counts: Counter[str], keys: Sequence[str]) -> dict[str, int]:
    out = {key: counts.get(key, 0) for key in keys}
    out.update({key: counts[key] for key in sorted(counts) if key not in out})
    return out


def _totals(
    framework: Framework,
    signals: Iterable[EvidenceSignal],
    stages: dict[str, list[str]],
    lines: Sequence[LineCoverage],
) -> CoverageTotals:
    """Totals of distinct items: an item linked to several lines counts once."""
    items: dict[str, EvidenceSignal] = {}
    for signal in signals:
        items.setdefault(signal.evidence_id, signal)
    stage_counts: Counter[str] = Counter(stage for eid in items for stage in set(stages.get(eid, [])))
    return CoverageTotals(
        evidence_count=len(items),
        by_category=_ordered(
            Counter(s.category for s in items.values()), [c.key for c in framework.evidence_categories]
        ),
        by_polarity={p: sum(1 for s in items.values() if s.polarity == p) for p in POLARITIES},
        by_stage=_ordered(stage_counts, [s.key for s in framework.pathway_stages]),
        lines_total=len(lines),
        lines_with_no_evidence=sum(1 for line in lines if line.no_evidence),
        lines_not_triangulated=sum(1 for line in lines if line.not_triangulated),
    )


def review_coverage(session: Session, review: Review) -> CoveragePublic:
    """Coverage of every line of the review's framework, with domain and overall totals.

    Three queries whatever the amount of evidence: the framework, the line links, the stages.
    """
    framework = changes.review_framework(session, review)
    signals = _signals(session, review, framework)
    stages = _stages(session, review)
    by_line = coverage(framework, signals)
    stage_keys = [s.key for s in framework.pathway_stages]

    per_line_signals: dict[str, list[EvidenceSignal]] = defaultdict(list)
    for signal in signals:
        per_line_signals[signal.ref].append(signal)

    lines: list[LineCoveragePublic] = []
    domains: list[DomainCoveragePublic] = []
    for domain in framework.domains:
        domain_lines = [by_line[line.ref] for line in domain.lines]
        for line, found in zip(domain.lines, domain_lines, strict=True):
            stage_counts = Counter(
                stage for s in per_line_signals[line.ref] for stage in set(stages.get(s.evidence_id, []))
            )
            lines.append(
                LineCoveragePublic(
                    ref=line.ref,
                    question=line.question,
                    domain_key=domain.key,
                    evidence_count=found.evidence_count,
                    by_category=found.by_category,
                    by_source_type=found.by_source_type,
                    by_polarity=found.by_polarity,
                    by_stage=_ordered(stage_counts, stage_keys),
                    category_names=found.category_names,
                    no_evidence=found.no_evidence,
                    not_triangulated=found.not_triangulated,
                    rule=found.rule,
                )
            )
        domain_signals = [s for line in domain.lines for s in per_line_signals[line.ref]]
        totals = _totals(framework, domain_signals, stages, domain_lines)
        domains.append(
            DomainCoveragePublic(
                key=domain.key,
                name=domain.name,
                refs=[line.ref for line in domain.lines],
                **totals.model_dump(),
            )
        )
    return CoveragePublic(
        framework_key=framework.key,
        framework_version=framework.version,
        categories=[NamedKey(key=c.key, name=c.name) for c in framework.evidence_categories],
        source_types=[NamedKey(key=s.key, name=s.name) for s in framework.source_types],
        stages=[NamedKey(key=s.key, name=s.name) for s in framework.pathway_stages],
        lines=lines,
        domains=domains,
        totals=_totals(framework, signals, stages, list(by_line.values())),
    )


def coverage_summary(session: Session, review: Review) -> CoverageSummary:
    """Coverage at a glance for the review home page (two queries, whatever the number of items).

    The flags depend on which categories a line's evidence comes from, not on how many items
    there are, so the engine is given one signal per distinct line, polarity, category and
    source type rather than one per item: the same answer from a few hundred rows at most.
    """
    framework = changes.review_framework(session, review)
    live = (
        col(Evidence.id) == col(EvidenceLine.evidence_id),
        Evidence.review_id == review.id,
        col(Evidence.deleted_at).is_(None),
        col(EvidenceLine.ref).in_(framework.refs()),
    )
    kinds = session.exec(
        select(EvidenceLine.ref, Evidence.polarity, Evidence.category, Evidence.source_type)
        .where(*live)
        .distinct()
    ).all()
    signals = [
        EvidenceSignal(evidence_id="", ref=ref, polarity=polarity, category=category, source_type=source)  # type: ignore[arg-type]
        for ref, polarity, category, source in kinds
    ]
    evidence_count = session.exec(
        select(func.count(func.distinct(EvidenceLine.evidence_id))).where(*live)
    ).one()
    by_line = coverage(framework, signals).values()
    return CoverageSummary(
        evidence_count=evidence_count,
        lines_total=len(by_line),
        lines_with_no_evidence=sum(1 for line in by_line if line.no_evidence),
        lines_not_triangulated=sum(1 for line in by_line if line.not_triangulated),
    )
