"""score_review: everything the engine works out for one review, in one call."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from fractions import Fraction

from app.frameworks.schema import Framework
from app.scoring._text import num, plural, signed
from app.scoring.agreement import DEFAULT_ORG_PAIRS, agreement, org_gap
from app.scoring.coverage import check_signals, coverage, readiness
from app.scoring.rollup import check_moderated, rollup_domains, rollup_overall, scale_label
from app.scoring.suggestion import suggest
from app.scoring.types import (
    GROUPS,
    DomainScore,
    EvidenceSignal,
    GapItem,
    LineScore,
    RatingInput,
    ResultOverride,
    ReviewScores,
)

GROUP_NOUNS = {"self_assessment": "self-assessment rating", "review_team": "review team rating"}


def check_ratings(framework: Framework, ratings: Sequence[RatingInput]) -> None:
    """Raise ValueError for a rating on an unknown line, off the scale, or given twice."""
    refs = set(framework.refs())
    values = set(framework.scale.values)
    seen: set[tuple[str, int, str]] = set()
    for rating in ratings:
        if rating.ref not in refs:
            raise ValueError(f"rating for '{rating.ref}', which is not a line of this framework")
        if rating.group not in GROUPS:
            raise ValueError(f"rating in unknown group '{rating.group}'")
        if framework.scale.rated and rating.value not in values:
            raise ValueError(f"rating {rating.value} for '{rating.ref}' is not on the scale")
        key = (rating.ref, rating.rater_id, rating.group)
        if key in seen:
            # Two values from one person would make the result depend on their order.
            raise ValueError(f"rater {rating.rater_id} rated '{rating.ref}' twice as {rating.group}")
        seen.add(key)


def _line_gap(self_median: float | None, moderated: int | None) -> tuple[float | None, str]:
    if self_median is None and moderated is None:
        return None, "no gap: no self-assessment ratings and no moderated rating yet"
    if self_median is None:
        return None, "no gap: no self-assessment ratings yet"
    if moderated is None:
        return None, "no gap: no moderated rating yet"
    gap = Fraction(self_median) - moderated
    return float(gap), (
        f"self-assessment median {num(self_median)} minus moderated rating {moderated} = {signed(gap)}"
    )


def _domain_gap(domain: DomainScore, lines: Sequence[LineScore]) -> DomainScore:
    both = [
        (line.self_assessment.median, line.moderated)
        for line in lines
        if line.self_assessment.median is not None and line.moderated is not None
    ]
    if not both:
        return replace(
            domain,
            gap_rule="no gap: no line has both self-assessment ratings and a moderated rating",
        )
    self_mean = sum((Fraction(s) for s, _ in both), Fraction(0)) / len(both)
    moderated_mean = Fraction(sum(m for _, m in both), len(both))
    gap = self_mean - moderated_mean
    return replace(
        domain,
        self_assessment_mean=float(self_mean),
        moderated_mean=float(moderated_mean),
        gap=float(gap),
        gap_lines=len(both),
        gap_rule=(
            f"mean of line self-assessment medians {num(self_mean)} minus mean of moderated "
            f"ratings {num(moderated_mean)} = {signed(gap)}, over the "
            f"{plural(len(both), 'line that has', 'lines that have')} both"
        ),
    )


def score_review(
    framework: Framework,
    *,
    ratings: Sequence[RatingInput],
    moderated: Mapping[str, int],
    evidence: Sequence[EvidenceSignal],
    overrides: Sequence[ResultOverride] = (),
    org_pairs: Sequence[tuple[frozenset[str], frozenset[str], str]] = DEFAULT_ORG_PAIRS,
    cited: Mapping[str, Collection[str]] | None = None,
    top_gaps: int = 5,
) -> ReviewScores:
    """Score one review against its framework.

    `moderated` maps line refs to the agreed rating. `evidence` holds one
    signal per link of an evidence item to a line. `cited` maps a ref to the
    evidence ids cited for its moderated rating; without it, readiness looks
    at all evidence linked to the line (what could be cited). `largest_gaps`
    keeps the `top_gaps` lines with the largest non-zero gap, ties in
    framework order. Raises ValueError for input that does not fit the
    framework (unknown refs or domains, values off the scale, a rater rating
    a line twice in one group); a narrative framework takes no moderated
    ratings or overrides.
    """
    check_ratings(framework, ratings)
    check_moderated(framework, moderated)
    check_signals(framework, evidence)
    by_line: dict[str, list[RatingInput]] = {ref: [] for ref in framework.refs()}
    for rating in ratings:
        by_line[rating.ref].append(rating)
    signals: dict[str, list[EvidenceSignal]] = {ref: [] for ref in framework.refs()}
    for signal in evidence:
        signals[signal.ref].append(signal)
    covered = coverage(framework, evidence)

    lines: list[LineScore] = []
    for domain, line in framework.lines():
        own = by_line[line.ref]
        spread = {
            group: agreement(
                [r.value for r in own if r.group == group],
                framework.agreement,
                noun=GROUP_NOUNS[group],
            )
            for group in GROUPS
        }
        value = moderated.get(line.ref)
        gap, gap_rule = _line_gap(spread["self_assessment"].median, value)
        line_signals = signals[line.ref]
        if cited is None:
            cited_signals = line_signals
        else:
            ids = cited.get(line.ref, ())
            cited_signals = [s for s in line_signals if s.evidence_id in ids]
        lines.append(
            LineScore(
                ref=line.ref,
                domain_key=domain.key,
                self_assessment=spread["self_assessment"],
                review_team=spread["review_team"],
                moderated=value,
                moderated_label=None if value is None else scale_label(framework, value),
                gap=gap,
                gap_rule=gap_rule,
                org_gaps=[
                    org_gap(
                        own,
                        types_a,
                        types_b,
                        name=name,
                        max_distance=framework.agreement.max_distance,
                    )
                    for types_a, types_b, name in org_pairs
                ],
                suggestion=suggest(framework, line_signals),
                readiness=readiness(framework, cited_signals),
                coverage=covered[line.ref],
                evidence_count=len(line_signals),
            )
        )

    domains = rollup_domains(framework, moderated, overrides=overrides)
    domains = [
        _domain_gap(score, [line for line in lines if line.domain_key == score.key]) for score in domains
    ]
    overall = (
        rollup_overall(framework, domains, moderated, overrides=overrides) if framework.scale.rated else None
    )
    with_gap = [line for line in lines if line.gap]  # None and zero are not gaps
    ranked = sorted(with_gap, key=lambda line: -abs(line.gap or 0))[: max(0, top_gaps)]
    return ReviewScores(
        framework_key=framework.key,
        framework_version=framework.version,
        rated=framework.scale.rated,
        lines=lines,
        domains=domains,
        overall=overall,
        splits=[line.ref for line in lines if line.self_assessment.split or line.review_team.split],
        largest_gaps=[
            GapItem(
                ref=line.ref,
                domain_key=line.domain_key,
                self_median=line.self_assessment.median or 0.0,
                moderated=line.moderated or 0,
                gap=line.gap or 0.0,
                rule=line.gap_rule,
            )
            for line in ranked
        ],
    )
