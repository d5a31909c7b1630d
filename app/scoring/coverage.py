"""Evidence coverage per line of enquiry, and whether a line is ready to be moderated."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from app.frameworks.schema import Framework
from app.scoring._text import plural
from app.scoring.types import POLARITIES, EvidenceSignal, LineCoverage, Readiness


def category_names(framework: Framework, keys: Iterable[str]) -> list[str]:
    """Names of evidence categories in framework order; an unknown key stands for itself."""
    wanted = set(keys)
    known = [c.name for c in framework.evidence_categories if c.key in wanted]
    extra = sorted(wanted - {c.key for c in framework.evidence_categories})
    return known + extra


def check_signals(framework: Framework, signals: Sequence[EvidenceSignal]) -> None:
    """Raise ValueError for a signal on an unknown line or with an unknown polarity."""
    refs = set(framework.refs())
    for signal in signals:
        if signal.ref not in refs:
            raise ValueError(
                f"evidence '{signal.evidence_id}' is linked to '{signal.ref}', "
                "which is not a line of this framework"
            )
        if signal.polarity not in POLARITIES:
            raise ValueError(f"evidence '{signal.evidence_id}' has polarity '{signal.polarity}'")


def _ordered_counts(counts: Counter[str], keys: Sequence[str]) -> dict[str, int]:
    # Every key the framework lists (zero when absent), then any others it does not.
    out = {key: counts.get(key, 0) for key in keys}
    out.update({key: counts[key] for key in sorted(counts) if key not in out})
    return out


def _line_coverage(framework: Framework, ref: str, signals: Sequence[EvidenceSignal]) -> LineCoverage:
    polarity = Counter(s.polarity for s in signals)
    category = Counter(s.category for s in signals)
    source = Counter(s.source_type for s in signals)
    names = category_names(framework, category)
    count = len(signals)
    if count == 0:
        rule = "no evidence linked yet"
    else:
        rule = (
            f"{plural(count, 'piece')} of evidence from "
            f"{plural(len(names), 'category', 'categories')} ({', '.join(names)}): "
            f"{plural(polarity['strength'], 'strength')}, "
            f"{plural(polarity['concern'], 'concern')}, "
            f"{polarity['context']} context"
        )
        if len(names) == 1:
            rule += "; a single category, so not triangulated"
    return LineCoverage(
        ref=ref,
        evidence_count=count,
        by_polarity={p: polarity.get(p, 0) for p in POLARITIES},
        by_category=_ordered_counts(category, [c.key for c in framework.evidence_categories]),
        by_source_type=_ordered_counts(source, [t.key for t in framework.source_types]),
        category_names=names,
        no_evidence=count == 0,
        not_triangulated=len(names) == 1,
        rule=rule,
    )


def coverage(framework: Framework, signals: Sequence[EvidenceSignal]) -> dict[str, LineCoverage]:
    """Evidence coverage for every line of the framework, in framework order.

    Counts are by polarity, evidence category and source type (every category
    and source type the framework lists appears, with 0 when absent). A line
    with evidence from one category only is flagged `not_triangulated`. Each
    signal counts once: pass one signal per link of an evidence item to a line.
    Raises ValueError for a signal on a line the framework lacks.
    """
    check_signals(framework, signals)
    by_ref: dict[str, list[EvidenceSignal]] = {ref: [] for ref in framework.refs()}
    for signal in signals:
        by_ref[signal.ref].append(signal)
    return {ref: _line_coverage(framework, ref, found) for ref, found in by_ref.items()}


def readiness(framework: Framework, cited: Sequence[EvidenceSignal]) -> Readiness:
    """Whether a line can be moderated on the evidence cited for it.

    A line cannot be moderated with no cited evidence. Cited evidence from a
    single evidence category is allowed but warned about as not triangulated,
    as is cited evidence that is all context (it shows neither a strength nor
    a concern).
    """
    names = category_names(framework, {s.category for s in cited})
    rule = (
        "moderation needs at least one piece of cited evidence; evidence from two or more "
        "categories counts as triangulated"
    )
    if not cited:
        return Readiness(
            can_moderate=False,
            reason="a line cannot be moderated with no cited evidence",
            warnings=[],
            cited_count=0,
            categories=[],
            rule=rule,
        )
    warnings = []
    if len(names) == 1:
        warnings.append(f"all cited evidence comes from one evidence category ({names[0]}): not triangulated")
    if all(s.polarity == "context" for s in cited):
        warnings.append("the cited evidence is all context: none of it shows a strength or concern")
    return Readiness(
        can_moderate=True,
        reason=None,
        warnings=warnings,
        cited_count=len(cited),
        categories=names,
        rule=rule,
    )
