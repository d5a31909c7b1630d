"""The report as plain data: what each section of the system review report says.

`build_report_context` is a pure function of a `ReportSnapshot` and the export
options: no database, no web, no template. It decides the report's content and
order (the templates decide only how it looks), so it can be tested without
rendering anything.

Text written by people (findings, quotes, rationales, the summary) is Markdown
and leaves here already sanitised by `render_markdown`; everything else is
plain strings that the templates escape. Charts are SVG made by `app.charts`
from numbers, with their text escaped there.

Evidence is cited by reference numbers E1, E2... given in reading order: the
first place in the report that cites an item gives it its number, and the
appendix lists exactly the items cited (never a deleted one, since the
snapshot holds none).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from markupsafe import Markup

from app import charts
from app.core.text import render_markdown
from app.dataprofile.compare import at_risk, compare
from app.frameworks.schema import Domain, Framework, Indicator, NamedItem
from app.reports.options import ReportOptions
from app.reports.snapshot import EvidenceItem, FindingItem, ReportSnapshot
from app.scoring import AgreementResult, DomainScore, LineScore, OverallScore, ReviewScores, score_review

# The app's own fixed vocabularies (not framework data): review kinds, statuses, roles and
# organisation types are defined by the app's models.
KIND_LABELS = {
    "external_review": "External review",
    "peer_review": "Peer review",
    "self_assessment": "Self-assessment",
    "progress_review": "Progress review",
}
STATUS_LABELS = {
    "planning": "Planning",
    "fieldwork": "Fieldwork under way",
    "moderation": "Ratings in moderation",
    "reporting": "Report in preparation",
    "published": "Published",
}
ROLE_LABELS = {
    "lead": "Review lead",
    "reviewer": "Reviewer",
    "report_writer": "Report writer",
    "observer": "Observer",
}
ORG_TYPE_LABELS = {
    "nhs_trust": "NHS trust",
    "icb": "Integrated care board",
    "local_authority": "Council",
    "primary_care": "Primary care",
    "care_provider": "Care provider",
    "voluntary_sector": "Voluntary sector",
    "healthwatch": "Healthwatch",
    "other": "Other",
}
PRIORITY_LABELS = {"high": "High", "medium": "Medium", "low": "Low"}
ACTION_STATUS_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "done": "Done",
    "blocked": "Blocked",
}
POSITION_WORDS = {"low": "the lower part", "middle": "the middle", "high": "the upper part"}
PLACE_LABELS = {"low": "Lower part", "middle": "Middle", "high": "Upper part"}
# Symbols that are in the report font, always with words beside them: colour is never the only cue.
COMPARISON_MARKS = {"better": ("+", "Better"), "worse": ("−", "Worse"), "same": ("=", "Same")}

DRAFT_LABEL = "DRAFT"


# The context -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Citation:
    label: str  # E1, E2...
    anchor: str  # the id of its entry in the appendix


@dataclass(frozen=True)
class DocumentMeta:
    title: str
    author: str
    subject: str
    keywords: tuple[str, ...]
    lang: str
    draft: bool
    created: str  # ISO 8601 date, for dcterms.created


@dataclass(frozen=True)
class Cover:
    title: str
    place: str
    icb: str
    councils: tuple[str, ...]
    kind_label: str
    fieldwork: str
    status_label: str
    framework_title: str
    framework_version: str
    publisher: str
    draft: bool
    date_label: str
    archive_note: str


@dataclass(frozen=True)
class ContentsEntry:
    anchor: str
    title: str
    level: int  # 1 for a section, 2 for a part of one


@dataclass(frozen=True)
class ResultView:
    """A rolled-up result (a domain's or the overall) in words."""

    label: str | None  # the band label, e.g. "Good"; None when there is no result yet
    level: int | None
    percent: int | None
    band_range: str
    position: str  # "the lower part" (of the band), for sentences
    place: str  # "Lower part", for tables
    sentence: str
    limiters: tuple[str, ...] = ()
    override: str = ""


@dataclass(frozen=True)
class GlanceRow:
    anchor: str
    name: str
    result: ResultView
    lines_rated: int
    lines_total: int


@dataclass(frozen=True)
class Figure:
    svg: Markup
    caption: str
    summary: str  # the data in words, printed under the chart


@dataclass(frozen=True)
class AtAGlance:
    rows: tuple[GlanceRow, ...]
    overall: ResultView | None
    radar: Figure | None
    bands: tuple[tuple[str, str], ...]  # (label, "63–87%")


@dataclass(frozen=True)
class FindingView:
    text: Markup
    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class QuoteView:
    text: Markup
    citation: Citation
    source: str


@dataclass(frozen=True)
class LineRow:
    ref: str
    question: str
    self_median: str
    team_median: str
    moderated: str  # "3 Good standard" or "Not rated"
    split: str  # "" or which groups of raters were split
    evidence_count: int


@dataclass(frozen=True)
class Rationale:
    ref: str
    label: str
    text: Markup
    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class Comparison:
    sentence: str
    gaps: tuple[str, ...]  # lines whose self-assessment and moderated rating differ most
    org_gaps: tuple[str, ...]  # lines where kinds of partner saw things far apart


@dataclass(frozen=True)
class DomainSection:
    anchor: str
    key: str
    name: str
    description: str
    result: ResultView | None
    strengths: tuple[FindingView, ...]
    improvements: tuple[FindingView, ...]
    lines: tuple[LineRow, ...]
    rationales: tuple[Rationale, ...]
    comparison: Comparison | None
    splits: tuple[str, ...]
    quotes: tuple[QuoteView, ...]
    cited: tuple[Citation, ...]
    recommendations: tuple[int, ...]


@dataclass(frozen=True)
class StageSection:
    anchor: str
    key: str
    name: str
    description: str
    evidence_count: int
    strengths: tuple[FindingView, ...]
    improvements: tuple[FindingView, ...]
    quotes: tuple[QuoteView, ...]


@dataclass(frozen=True)
class Mark:
    symbol: str
    word: str

    @property
    def text(self) -> str:
        return f"{self.symbol} {self.word}"


@dataclass(frozen=True)
class IndicatorView:
    anchor: str
    name: str
    definition: str
    unit: str
    better: str
    period: str
    value: str
    england: str
    similar_areas: str
    vs_england: Mark | None
    vs_similar: Mark | None
    risk: str
    source: str
    note: str
    chart: Figure


@dataclass(frozen=True)
class DataProfile:
    indicators: tuple[IndicatorView, ...]
    missing: tuple[str, ...]
    area_label: str


@dataclass(frozen=True)
class RecommendationView:
    anchor: str
    number: int
    text: Markup
    domain: str
    owners: str
    priority: str
    target_date: str


@dataclass(frozen=True)
class ActionView:
    recommendation: str
    text: Markup
    owner: str
    status: str
    due_date: str
    latest_note: Markup


@dataclass(frozen=True)
class Count:
    name: str
    count: int


@dataclass(frozen=True)
class Method:
    framework_title: str
    framework_version: str
    framework_description: str
    fieldwork: str
    evidence_total: int
    cited_total: int
    by_source_type: tuple[Count, ...]
    by_category: tuple[Count, ...]
    levels: tuple[tuple[int, str, str], ...]  # value, label, descriptor
    bands: tuple[tuple[str, str], ...]
    rules: tuple[str, ...]  # limiters and the agreement rule, in words
    agreement: str


@dataclass(frozen=True)
class CoverageRow:
    ref: str
    counts: tuple[int, ...]
    total: int


@dataclass(frozen=True)
class CoverageGroup:
    name: str
    rows: tuple[CoverageRow, ...]


@dataclass(frozen=True)
class Coverage:
    categories: tuple[str, ...]
    groups: tuple[CoverageGroup, ...]
    lines_without_evidence: int


@dataclass(frozen=True)
class CitedEvidence:
    label: str
    anchor: str
    title: str
    source: str
    category: str
    collected_on: str


@dataclass(frozen=True)
class Appendix:
    anchor: str
    letter: str
    title: str

    @property
    def heading(self) -> str:
        return f"Appendix {self.letter}: {self.title}"


@dataclass(frozen=True)
class Appendices:
    method: Appendix
    team: Appendix
    coverage: Appendix
    evidence: Appendix
    glossary: Appendix | None

    def all(self) -> list[Appendix]:
        present = [self.method, self.team, self.coverage, self.evidence, self.glossary]
        return [appendix for appendix in present if appendix is not None]


@dataclass(frozen=True)
class ReportContext:
    meta: DocumentMeta
    cover: Cover
    contents: tuple[ContentsEntry, ...]
    rated: bool
    scope_note: Markup
    framework_description: str
    people_experience: Markup
    summary: Markup
    overall: ResultView | None
    at_a_glance: AtAGlance | None
    domains: tuple[DomainSection, ...]
    stages: tuple[StageSection, ...]
    data_profile: DataProfile | None
    recommendations: tuple[RecommendationView, ...]
    action_plan: tuple[ActionView, ...]
    appendices: Appendices
    method: Method
    team: tuple[tuple[str, str], ...]  # (name, role)
    partners: tuple[tuple[str, str], ...]  # (name, type)
    coverage: Coverage
    evidence_cited: tuple[CitedEvidence, ...]
    glossary: tuple[tuple[str, str], ...]
    scores: ReviewScores = field(repr=False)

    @property
    def draft(self) -> bool:
        return self.meta.draft


# Small helpers ----------------------------------------------------------------------------------


def long_date(value: date | datetime | None) -> str:
    """'4 March 2025'."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def fieldwork_text(start: date | None, end: date | None) -> str:
    if start and end:
        if start == end:
            return long_date(start)
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.day} to {end.day} {end:%B %Y}"
        return f"{long_date(start)} to {long_date(end)}"
    if start:
        return f"from {long_date(start)}"
    if end:
        return f"until {long_date(end)}"
    return "dates not recorded"


def number(value: float | None, places: int = 2) -> str:
    """A figure as a reader writes it: 3, 2.5, 1,234.5; a dash for none."""
    if value is None:
        return "–"
    text = f"{value:,.{places}f}".rstrip("0").rstrip(".") if places else f"{value:,.0f}"
    return "0" if text in ("-0", "") else text.replace("-", "−")


def _names(items: Sequence[NamedItem]) -> dict[str, str]:
    return {item.key: item.name for item in items}


def _org_type(value: str) -> str:
    return ORG_TYPE_LABELS.get(value, value.replace("_", " ").capitalize())


class _Citations:
    """Hands out E-numbers in the order the report first cites each evidence item."""

    def __init__(self, evidence: Iterable[EvidenceItem]):
        self.items = {item.id: item for item in evidence}
        self.order: list[str] = []
        self.numbers: dict[str, int] = {}

    def cite(self, ids: Iterable[str]) -> tuple[Citation, ...]:
        """Citations for the ids that name live evidence of this review, numbering new ones."""
        found: list[Citation] = []
        for evidence_id in ids:
            if evidence_id not in self.items:
                continue  # deleted since it was cited, or never part of this review
            if evidence_id not in self.numbers:
                self.order.append(evidence_id)
                self.numbers[evidence_id] = len(self.order)
            citation = self.citation(evidence_id)
            if citation not in found:
                found.append(citation)
        return tuple(found)

    def citation(self, evidence_id: str) -> Citation:
        n = self.numbers[evidence_id]
        return Citation(label=f"E{n}", anchor=f"evidence-e{n}")

    def item(self, citation: Citation) -> EvidenceItem:
        return self.items[self.order[int(citation.label[1:]) - 1]]


# Results ----------------------------------------------------------------------------------------


def _result(score: DomainScore | OverallScore, whole: str) -> ResultView:
    if score.percent is None or score.final_label is None:
        return ResultView(
            label=None,
            level=None,
            percent=None,
            band_range="",
            position="",
            place="",
            sentence=f"No result yet: {score.reason or 'no line has a moderated rating'}.",
        )
    band = score.band
    band_range = f"{band.from_pct}–{band.to_pct}%" if band else ""
    position = POSITION_WORDS.get(score.band_position_word or "", "")
    computed = score.computed_label
    sentence = f"The ratings of {whole} add up to {score.rounded_percent}% of the maximum"
    if band is not None and position and computed == band.label:
        sentence += f", in {position} of the {band.label} band ({band_range})"
    elif band is not None:
        sentence += f", in the {band.label} band ({band_range})"
    sentence += "."
    limiters = tuple(
        f"{limiter.description} This limits the result to {limiter.cap_label}."
        for limiter in score.limiters
        if limiter.lowered
    )
    override = ""
    if score.override is not None:
        replaced = score.override.replaces_label
        override = (
            f"The review team set this result to {score.override.label}"
            + (f" in place of the calculated {replaced}" if replaced else "")
            + f": {score.override.justification}"
        )
    return ResultView(
        label=score.final_label,
        level=score.final_level,
        percent=score.rounded_percent,
        band_range=band_range,
        position=position,
        place=PLACE_LABELS.get(score.band_position_word or "", "") if position else "",
        sentence=sentence,
        limiters=limiters,
        override=override,
    )


def _median_text(result: AgreementResult) -> str:
    return number(result.median) if result.n else "–"


def _split_text(line: LineScore) -> str:
    """Which groups of raters were split on the line, or "" when none was."""
    groups = [
        name
        for name, result in (("self-assessment", line.self_assessment), ("review team", line.review_team))
        if result.split
    ]
    return " and ".join(groups).capitalize()


def _split_sentences(framework: Framework, lines: Sequence[LineScore]) -> tuple[str, ...]:
    sentences = []
    for line in lines:
        for noun, result in (("self-assessment", line.self_assessment), ("review team", line.review_team)):
            if not result.split:
                continue
            values = ", ".join(number(v) for v in result.values)
            sentences.append(
                f"{line.ref}: the {noun} ratings were split ({values}; median {number(result.median)}). "
                f"{result.far_count} of {result.n} lay more than "
                f"{number(framework.agreement.max_distance)} level"
                f"{'' if framework.agreement.max_distance == 1 else 's'} from the median."
            )
    return tuple(sentences)


def _comparison(score: DomainScore, lines: Sequence[LineScore]) -> Comparison | None:
    gaps = tuple(
        f"{line.ref}: self-assessment median {number(line.self_assessment.median)}, "
        f"moderated rating {line.moderated} ({_signed(line.gap)})"
        for line in sorted(lines, key=lambda item: -abs(item.gap or 0))
        if line.gap is not None and abs(line.gap) >= 1
    )
    org_gaps = tuple(
        f"{line.ref}: {gap.name}: medians {number(gap.median_a)} and {number(gap.median_b)} "
        f"({_signed(gap.gap)})"
        for line in lines
        for gap in line.org_gaps
        if gap.far_apart
    )
    if score.gap is None:
        if not gaps and not org_gaps:
            return None
        sentence = "No line has both self-assessment ratings and a moderated rating yet."
    else:
        direction = "higher than" if score.gap > 0 else "lower than" if score.gap < 0 else "the same as"
        sentence = (
            f"Across the {score.gap_lines} line{'s' if score.gap_lines != 1 else ''} with both, system "
            f"leaders' self-assessment averaged {number(score.self_assessment_mean)} against a moderated "
            f"average of {number(score.moderated_mean)}: the self-assessment was "
            + (f"{number(abs(score.gap))} of a level {direction}" if score.gap else "the same as")
            + " the review's rating."
        )
    return Comparison(sentence=sentence, gaps=gaps, org_gaps=org_gaps)


def _signed(value: float | None) -> str:
    if value is None:
        return "–"
    text = number(abs(value))
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else "0"


# Sections ---------------------------------------------------------------------------------------


def _finding_views(
    findings: Iterable[FindingItem], kind: str, citations: _Citations
) -> tuple[FindingView, ...]:
    return tuple(
        FindingView(text=render_markdown(f.text), citations=citations.cite(f.cited_evidence))
        for f in findings
        if f.kind == kind
    )


def _quotes(
    citations_used: Iterable[Citation], citations: _Citations, source_names: dict[str, str]
) -> tuple[QuoteView, ...]:
    """The anonymised quotes of the evidence a section cites, in citation order."""
    quotes = []
    for citation in citations_used:
        item = citations.item(citation)
        if item.quote.strip():
            quotes.append(
                QuoteView(
                    text=render_markdown(item.quote),
                    citation=citation,
                    source=source_names.get(item.source_type, item.source_type),
                )
            )
    return tuple(quotes)


def _unique(citations: Iterable[Citation]) -> tuple[Citation, ...]:
    seen: list[Citation] = []
    for citation in citations:
        if citation not in seen:
            seen.append(citation)
    return tuple(seen)


def _domain_section(
    snapshot: ReportSnapshot,
    scores: ReviewScores,
    domain: Domain,
    citations: _Citations,
    source_names: dict[str, str],
) -> DomainSection:
    framework = snapshot.framework
    rated = framework.scale.rated
    findings = [f for f in _ordered_findings(snapshot.findings) if f.domain_key == domain.key]
    strengths = _finding_views(findings, "strength", citations)
    improvements = _finding_views(findings, "improvement", citations)
    line_scores = [scores.line(line.ref) for line in domain.lines]
    moderated = {m.ref: m for m in snapshot.moderated}
    rows = []
    rationales = []
    for line, score in zip(domain.lines, line_scores, strict=True):
        label = f"{score.moderated} {score.moderated_label}" if score.moderated is not None else "Not rated"
        rows.append(
            LineRow(
                ref=line.ref,
                question=line.question,
                self_median=_median_text(score.self_assessment),
                team_median=_median_text(score.review_team),
                moderated=label,
                split=_split_text(score),
                evidence_count=score.evidence_count,
            )
        )
        entry = moderated.get(line.ref)
        if rated and entry is not None:
            rationales.append(
                Rationale(
                    ref=line.ref,
                    label=label,
                    text=render_markdown(entry.rationale),
                    citations=citations.cite(entry.cited_evidence),
                )
            )
    domain_score = scores.domain(domain.key)
    cited = _unique(
        [c for view in (*strengths, *improvements) for c in view.citations]
        + [c for rationale in rationales for c in rationale.citations]
    )
    return DomainSection(
        anchor=f"domain-{domain.key}",
        key=domain.key,
        name=domain.name,
        description=domain.description,
        result=_result(domain_score, "this domain's lines") if rated else None,
        strengths=strengths,
        improvements=improvements,
        lines=tuple(rows),
        rationales=tuple(rationales),
        comparison=_comparison(domain_score, line_scores) if rated else None,
        splits=_split_sentences(framework, line_scores),
        quotes=_quotes(cited, citations, source_names),
        cited=cited,
        recommendations=tuple(r.number for r in snapshot.recommendations if r.domain_key == domain.key),
    )


def _ordered_findings(findings: Iterable[FindingItem]) -> list[FindingItem]:
    return sorted(findings, key=lambda f: (f.position, f.id))


def _stage_section(
    snapshot: ReportSnapshot, stage: NamedItem, citations: _Citations, source_names: dict[str, str]
) -> StageSection:
    findings = [f for f in _ordered_findings(snapshot.findings) if f.stage == stage.key]
    strengths = _finding_views(findings, "strength", citations)
    improvements = _finding_views(findings, "improvement", citations)
    cited = _unique(c for view in (*strengths, *improvements) for c in view.citations)
    return StageSection(
        anchor=f"stage-{stage.key}",
        key=stage.key,
        name=stage.name,
        description=stage.description,
        evidence_count=sum(1 for item in snapshot.evidence if stage.key in item.stages),
        strengths=strengths,
        improvements=improvements,
        quotes=_quotes(cited, citations, source_names),
    )


def _at_a_glance(framework: Framework, scores: ReviewScores, domains: Sequence[DomainSection]) -> AtAGlance:
    rows = tuple(
        GlanceRow(
            anchor=section.anchor,
            name=section.name,
            result=section.result or _result(scores.domain(section.key), "this domain's lines"),
            lines_rated=scores.domain(section.key).lines_rated,
            lines_total=scores.domain(section.key).lines_total,
        )
        for section in domains
    )
    overall = _result(scores.overall, "all domains") if scores.overall else None
    return AtAGlance(rows=rows, overall=overall, radar=_radar(framework, scores), bands=_bands(framework))


def _bands(framework: Framework) -> tuple[tuple[str, str], ...]:
    bands = framework.rollup.bands if framework.rollup else []
    return tuple((band.label, f"{band.from_}–{band.to}%") for band in bands)


def _radar(framework: Framework, scores: ReviewScores) -> Figure | None:
    domains = scores.domains
    if not 3 <= len(domains) <= 12:
        return None  # a radar needs 3 to 12 axes; the table says it all otherwise
    self_values = [d.self_assessment_mean for d in domains]
    moderated_values = [d.moderated_mean for d in domains]
    if all(v is None for v in self_values + moderated_values):
        return None
    title = "Self-assessment against moderated rating, by domain"
    svg = charts.radar_chart(
        [d.name for d in domains],
        [("Self-assessment (average)", self_values), ("Moderated rating (average)", moderated_values)],
        minimum=framework.scale.lowest,
        maximum=framework.scale.top,
        title=title,
        levels=[(level.value, level.label) for level in framework.scale.levels],
    )
    summary = "; ".join(
        f"{d.name}: self-assessment {number(d.self_assessment_mean)}, moderated {number(d.moderated_mean)}"
        for d in domains
    )
    return Figure(
        svg=Markup(svg),  # noqa: S704 - app.charts escapes every piece of text it draws
        caption=title,
        summary=(
            "Averages over the lines that have both a self-assessment and a moderated rating "
            f"(scale {framework.scale.lowest} to {framework.scale.top}). {summary}."
        ),
    )


def _mark(result: str | None) -> Mark | None:
    if result is None:
        return None
    symbol, word = COMPARISON_MARKS[result]
    return Mark(symbol=symbol, word=word)


def _indicator_view(indicator: Indicator, figure, area_label: str) -> IndicatorView:  # type: ignore[no-untyped-def]
    comparators = [("England", figure.england), ("Similar areas", figure.similar_areas)]
    svg = charts.indicator_chart(
        indicator.name, indicator.unit, figure.value, comparators, indicator.better, area_label=area_label
    )
    vs_england = _mark(compare(figure.value, figure.england, indicator.better))
    vs_similar = _mark(compare(figure.value, figure.similar_areas, indicator.better))
    risk = ""
    if at_risk(figure.value, indicator.risk_threshold, indicator.better):
        side = "above" if indicator.better == "lower" else "below"
        risk = f"Risk: {side} the threshold of {number(indicator.risk_threshold)}"
    readings = "; ".join(
        f"{name} {number(value)}"
        for name, value in [(area_label, figure.value), *comparators]
        if value is not None
    )
    return IndicatorView(
        anchor=f"indicator-{indicator.key}",
        name=indicator.name,
        definition=indicator.definition,
        unit=indicator.unit,
        better=f"{indicator.better.capitalize()} is better",
        period=figure.period,
        value=number(figure.value),
        england=number(figure.england),
        similar_areas=number(figure.similar_areas),
        vs_england=vs_england,
        vs_similar=vs_similar,
        risk=risk,
        source=figure.source or indicator.source,
        note=figure.note,
        chart=Figure(
            svg=Markup(svg),  # noqa: S704 - app.charts escapes every piece of text it draws
            caption=indicator.name,
            summary=f"{indicator.unit}, {indicator.better} is better: {readings}.",
        ),
    )


def _data_profile(snapshot: ReportSnapshot) -> DataProfile | None:
    framework = snapshot.framework
    if not framework.indicators:
        return None
    figures = {figure.key: figure for figure in snapshot.indicators}
    area = snapshot.review.place or "This area"
    views = tuple(
        _indicator_view(indicator, figures[indicator.key], area)
        for indicator in framework.indicators
        if indicator.key in figures
    )
    missing = tuple(indicator.name for indicator in framework.indicators if indicator.key not in figures)
    return DataProfile(indicators=views, missing=missing, area_label=area)


def _recommendations(snapshot: ReportSnapshot) -> tuple[RecommendationView, ...]:
    partners = {p.id: p.name for p in snapshot.partners}
    domains = {d.key: d.name for d in snapshot.framework.domains}
    return tuple(
        RecommendationView(
            anchor=f"recommendation-{r.number}",
            number=r.number,
            text=render_markdown(r.text),
            domain=domains.get(r.domain_key, ""),
            owners=", ".join(partners[i] for i in r.owner_organisation_ids if i in partners),
            priority=PRIORITY_LABELS.get(r.priority, r.priority.capitalize()),
            target_date=long_date(r.target_date),
        )
        for r in sorted(snapshot.recommendations, key=lambda r: (r.number, r.id))
    )


def _action_plan(snapshot: ReportSnapshot) -> tuple[ActionView, ...]:
    partners = {p.id: p.name for p in snapshot.partners}
    numbers = {r.id: r.number for r in snapshot.recommendations}
    return tuple(
        ActionView(
            recommendation=str(numbers[a.recommendation_id]) if a.recommendation_id in numbers else "",
            text=render_markdown(a.text),
            owner=partners.get(a.owner_organisation_id or 0, ""),
            status=ACTION_STATUS_LABELS.get(a.status, a.status),
            due_date=long_date(a.due_date),
            latest_note=render_markdown(a.latest_note),
        )
        for a in snapshot.actions
    )


def _method(snapshot: ReportSnapshot, cited_total: int) -> Method:
    framework = snapshot.framework
    review = snapshot.review
    sources = Counter(item.source_type for item in snapshot.evidence)
    categories = Counter(item.category for item in snapshot.evidence)
    source_names = _names(framework.source_types)
    category_names = _names(framework.evidence_categories)
    # Framework order first; anything recorded under a key the framework lacks comes last.
    by_source = [Count(s.name, sources[s.key]) for s in framework.source_types] + [
        Count(key, n) for key, n in sorted(sources.items()) if key not in source_names
    ]
    by_category = [Count(c.name, categories[c.key]) for c in framework.evidence_categories] + [
        Count(key, n) for key, n in sorted(categories.items()) if key not in category_names
    ]
    rated = framework.scale.rated
    rollup = framework.rollup
    agreement = framework.agreement
    distance = number(agreement.max_distance)
    return Method(
        framework_title=framework.title,
        framework_version=framework.version,
        framework_description=framework.description,
        fieldwork=fieldwork_text(review.fieldwork_start, review.fieldwork_end),
        evidence_total=len(snapshot.evidence),
        cited_total=cited_total,
        by_source_type=tuple(by_source),
        by_category=tuple(by_category),
        levels=tuple((level.value, level.label, level.descriptor) for level in framework.scale.levels)
        if rated
        else (),
        bands=_bands(framework),
        rules=tuple(limiter.description for limiter in rollup.limiters) if rollup else (),
        agreement=(
            f"A set of ratings is called split when more than {agreement.split_share.numerator} in "
            f"{agreement.split_share.denominator} of them lie more than {distance} "
            f"level{'' if agreement.max_distance == 1 else 's'} from the median."
        ),
    )


def _coverage(snapshot: ReportSnapshot, scores: ReviewScores) -> Coverage:
    categories = snapshot.framework.evidence_categories
    groups = []
    empty = 0
    for domain in snapshot.framework.domains:
        rows = []
        for line in domain.lines:
            covered = scores.line(line.ref).coverage
            counts = tuple(covered.by_category.get(c.key, 0) for c in categories)
            empty += covered.evidence_count == 0
            rows.append(CoverageRow(ref=line.ref, counts=counts, total=covered.evidence_count))
        groups.append(CoverageGroup(name=domain.name, rows=tuple(rows)))
    return Coverage(
        categories=tuple(c.name for c in categories), groups=tuple(groups), lines_without_evidence=empty
    )


def _appendices(has_glossary: bool) -> Appendices:
    titles = [
        ("appendix-method", "Method and evidence sources"),
        ("appendix-team", "The review team and partners"),
        ("appendix-coverage", "Evidence coverage"),
        ("appendix-evidence", "Evidence cited"),
    ]
    if has_glossary:
        titles.append(("appendix-glossary", "Glossary"))
    made = [Appendix(anchor=a, letter=chr(ord("A") + i), title=t) for i, (a, t) in enumerate(titles)]
    return Appendices(
        method=made[0],
        team=made[1],
        coverage=made[2],
        evidence=made[3],
        glossary=made[4] if has_glossary else None,
    )


def _meta(snapshot: ReportSnapshot, draft: bool) -> DocumentMeta:
    review = snapshot.review
    framework = snapshot.framework
    title = review.title + (f" ({DRAFT_LABEL})" if draft else "")
    keywords = [
        review.place,
        review.icb,
        *review.councils,
        KIND_LABELS.get(review.kind, review.kind),
        framework.title,
        "health and social care",
        "integration",
    ]
    created = review.published_at.date() if review.published_at else None
    return DocumentMeta(
        title=title,
        author=f"{review.place} review team" if review.place else "The review team",
        subject=f"{framework.title}: {review.place}",
        keywords=tuple(dict.fromkeys(k.replace(",", " ").strip() for k in keywords if k and k.strip())),
        lang=framework.language or "en-GB",
        draft=draft,
        created=created.isoformat() if created else "",
    )


def build_report_context(snapshot: ReportSnapshot, *, options: ReportOptions) -> ReportContext:
    """Everything the report says, section by section, from one snapshot of the review."""
    framework = snapshot.framework
    review = snapshot.review
    rated = framework.scale.rated
    draft = not review.published
    scores = score_review(
        framework,
        ratings=snapshot.ratings,
        moderated={m.ref: m.value for m in snapshot.moderated},
        evidence=snapshot.signals,
        overrides=snapshot.overrides,
    )
    citations = _Citations(snapshot.evidence)
    source_names = _names(framework.source_types)
    category_names = _names(framework.evidence_categories)

    # Built in reading order, so evidence numbers run E1, E2... down the report.
    domains = tuple(_domain_section(snapshot, scores, d, citations, source_names) for d in framework.domains)
    stages = tuple(_stage_section(snapshot, s, citations, source_names) for s in framework.pathway_stages)
    at_a_glance = _at_a_glance(framework, scores, domains) if rated else None
    data_profile = _data_profile(snapshot)
    recommendations = _recommendations(snapshot)
    action_plan = _action_plan(snapshot)
    appendices = _appendices(bool(framework.glossary))
    evidence_cited = tuple(
        CitedEvidence(
            label=citations.citation(eid).label,
            anchor=citations.citation(eid).anchor,
            title=citations.items[eid].title,
            source=source_names.get(citations.items[eid].source_type, citations.items[eid].source_type),
            category=category_names.get(citations.items[eid].category, citations.items[eid].category),
            collected_on=long_date(citations.items[eid].collected_on),
        )
        for eid in citations.order
    )

    contents: list[ContentsEntry] = [
        ContentsEntry("about", "About this review", 1),
        ContentsEntry("summary", "Summary of findings", 1),
    ]
    if at_a_glance is not None:
        contents.append(ContentsEntry("at-a-glance", "Ratings at a glance", 1))
    contents.append(ContentsEntry("domains", "Key findings", 1))
    contents += [ContentsEntry(d.anchor, d.name, 2) for d in domains]
    contents.append(ContentsEntry("stages", "Findings along the pathway", 1))
    contents += [ContentsEntry(s.anchor, s.name, 2) for s in stages]
    if data_profile is not None:
        contents.append(ContentsEntry("data-profile", "Data profile", 1))
    contents.append(ContentsEntry("recommendations", "Areas for improvement", 1))
    if action_plan:
        contents.append(ContentsEntry("action-plan", "Action plan", 1))
    contents += [ContentsEntry(a.anchor, a.heading, 1) for a in appendices.all()]

    if review.published_at is not None and not draft:
        date_label = f"Published {long_date(review.published_at)}"
    else:
        date_label = f"Draft for checking: {STATUS_LABELS.get(review.status, review.status).lower()}"
    cover = Cover(
        title=review.title,
        place=review.place,
        icb=review.icb,
        councils=review.councils,
        kind_label=KIND_LABELS.get(review.kind, review.kind),
        fieldwork=fieldwork_text(review.fieldwork_start, review.fieldwork_end),
        status_label=STATUS_LABELS.get(review.status, review.status),
        framework_title=framework.title,
        framework_version=framework.version,
        publisher=framework.publisher,
        draft=draft,
        date_label=date_label,
        archive_note=(
            "Archive copy: the scores are attached to this file as machine-readable data (scores.json)."
            if options.archive
            else ""
        ),
    )
    return ReportContext(
        meta=_meta(snapshot, draft),
        cover=cover,
        contents=tuple(contents),
        rated=rated,
        scope_note=render_markdown(review.scope_note),
        framework_description=framework.description,
        people_experience=render_markdown(review.people_experience),
        summary=render_markdown(review.summary),
        overall=_result(scores.overall, "all domains") if rated and scores.overall else None,
        at_a_glance=at_a_glance,
        domains=domains,
        stages=stages,
        data_profile=data_profile,
        recommendations=recommendations,
        action_plan=action_plan,
        appendices=appendices,
        method=_method(snapshot, len(citations.order)),
        team=tuple((m.name, ROLE_LABELS.get(m.role, m.role)) for m in snapshot.team),
        partners=tuple((p.name, _org_type(p.org_type)) for p in snapshot.partners),
        coverage=_coverage(snapshot, scores),
        evidence_cited=evidence_cited,
        glossary=tuple((g.term, g.definition) for g in framework.glossary),
        scores=scores,
    )
