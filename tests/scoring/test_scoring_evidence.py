"""Evidence coverage, rating hints and readiness to moderate."""

from __future__ import annotations

from fractions import Fraction

import pytest
from scoring_builders import make_framework, shipped

from app.scoring import EvidenceSignal, coverage, nearest_level, readiness, suggest

FRAMEWORK = make_framework({"d": ["D1", "D2"]})


def signal(
    number: int, polarity: str, category: str, source: str = "interview", ref: str = "D1"
) -> EvidenceSignal:
    return EvidenceSignal(f"e{number}", ref, polarity, category, source)  # type: ignore[arg-type]


def signals(strengths: int, concerns: int, categories: list[str], context: int = 0) -> list[EvidenceSignal]:
    polarities = ["strength"] * strengths + ["concern"] * concerns + ["context"] * context
    return [signal(i, polarity, categories[i % len(categories)]) for i, polarity in enumerate(polarities)]


def test_coverage_counts_every_line() -> None:
    found = coverage(
        FRAMEWORK,
        [
            signal(1, "strength", "people", "interview"),
            signal(2, "concern", "people", "survey"),
            signal(3, "context", "outcomes", "survey"),
            signal(4, "strength", "processes", ref="D2"),
        ],
    )
    assert list(found) == ["D1", "D2"]
    d1 = found["D1"]
    assert d1.evidence_count == 3
    assert d1.by_polarity == {"strength": 1, "concern": 1, "context": 1}
    # Every category the framework lists appears, in its order, zero when absent.
    assert d1.by_category == {"people": 2, "staff": 0, "processes": 0, "outcomes": 1}
    assert d1.by_source_type == {"interview": 1, "survey": 2}
    assert d1.category_names == ["People's experience", "Outcomes"]
    assert not d1.no_evidence and not d1.not_triangulated
    assert d1.rule == (
        "3 pieces of evidence from 2 categories (People's experience, Outcomes): "
        "1 strength, 1 concern, 1 context"
    )
    d2 = found["D2"]
    assert d2.not_triangulated and "not triangulated" in d2.rule


def test_coverage_of_a_line_without_evidence() -> None:
    empty = coverage(FRAMEWORK, [])["D2"]
    assert empty.no_evidence and not empty.not_triangulated and empty.evidence_count == 0
    assert empty.rule == "no evidence linked yet"


def test_coverage_keeps_unknown_categories_and_refuses_unknown_lines() -> None:
    found = coverage(FRAMEWORK, [signal(1, "strength", "gossip", "rumour")])["D1"]
    assert found.by_category["gossip"] == 1 and found.category_names == ["gossip"]
    assert found.by_source_type["rumour"] == 1
    with pytest.raises(ValueError, match="not a line of this framework"):
        coverage(FRAMEWORK, [signal(1, "strength", "people", ref="XX1")])
    with pytest.raises(ValueError, match="polarity"):
        coverage(FRAMEWORK, [signal(1, "praise", "people")])


def test_suggestion_worked_example() -> None:
    # 6 strengths and 2 concerns: balance (6 - 2) / (6 + 2) = 0.5.
    # On the 1-4 scale: 1 + (0.5 + 1) / 2 x (4 - 1) = 1 + 2.25 = 3.25 -> nearest level 3.
    # 8 strengths and concerns from 3 categories: confidence high.
    hint = suggest(FRAMEWORK, signals(6, 2, ["people", "processes", "outcomes"]))
    assert hint.level == 3 and hint.label == "Good standard"
    assert hint.balance == 0.5 and hint.position == 3.25
    assert hint.confidence == "high"
    assert hint.is_hint
    assert hint.reasons[0] == (
        "6 strengths and 2 concerns from 3 evidence categories (People's experience, Processes, Outcomes)"
    )
    assert hint.reasons[1] == (
        "balance (6 - 2) / (6 + 2) = 0.5, which sits at 3.25 on the 1-4 scale; "
        "the nearest level is 3 (Good standard)"
    )
    assert "hint" in hint.reasons[-1] and "review team decides" in hint.reasons[-1]


@pytest.mark.parametrize(
    ("strengths", "concerns", "level"),
    [(5, 0, 4), (0, 5, 1), (3, 3, 2), (3, 1, 3), (1, 3, 2)],
)
def test_suggestion_maps_the_balance_onto_the_scale(strengths: int, concerns: int, level: int) -> None:
    # Even balance lands on 2.5, between 2 and 3: a tie goes to the lower level.
    # 3 vs 1: balance 0.5 -> 3.25 -> 3. 1 vs 3: balance -0.5 -> 1.75 -> 2.
    hint = suggest(FRAMEWORK, signals(strengths, concerns, ["people", "staff"]))
    assert hint.level == level


def test_nearest_level_ties_go_down() -> None:
    assert nearest_level([0, 1, 2, 3, 4, 5], Fraction(5, 2)) == 2
    assert nearest_level([1, 2, 3], Fraction(2)) == 2
    assert nearest_level([1, 3], Fraction(2)) == 1


def test_suggestion_on_other_scales() -> None:
    # 0-5: 2 strengths 2 concerns -> 0 + 0.5 x 5 = 2.5 -> 2; all strengths -> 5.
    maturity = shipped("integration-maturity")
    ref = maturity.refs()[0]
    balanced = [
        EvidenceSignal(f"e{i}", ref, p, maturity.evidence_categories[i % 2].key, "workshop")
        for i, p in enumerate(["strength", "strength", "concern", "concern"])
    ]
    assert suggest(maturity, balanced).level == 2
    assert suggest(maturity, [s for s in balanced if s.polarity == "strength"]).level == 5
    # 1-3: an even balance sits exactly on 2, Partly.
    peer = shipped("peer-challenge")
    hint = suggest(
        peer,
        [
            EvidenceSignal("a", "PC1", "strength", "voices", "file-audit"),
            EvidenceSignal("b", "PC1", "concern", "records", "file-audit"),
        ],
    )
    assert hint.level == 2 and hint.label == "Partly"


def test_confidence_levels() -> None:
    one_category = suggest(FRAMEWORK, signals(5, 3, ["processes"]))
    assert one_category.confidence == "low"
    assert "all from one evidence category (Processes), not triangulated" in (one_category.reasons[2])
    few = suggest(FRAMEWORK, signals(1, 1, ["people", "staff"]))
    assert few.confidence == "low" and "only 2 strengths and concerns" in few.reasons[2]
    medium = suggest(FRAMEWORK, signals(3, 1, ["people", "staff"]))
    assert medium.confidence == "medium"


def test_no_evidence_or_only_context_gives_no_level() -> None:
    none = suggest(FRAMEWORK, [])
    assert none.level is None and none.confidence == "none" and none.is_hint
    assert "no evidence is linked" in none.reasons[0]
    context = suggest(FRAMEWORK, signals(0, 0, ["people"], context=3))
    assert context.level is None and context.balance is None
    assert context.reasons[0].startswith("only context evidence (3 pieces)")


def test_context_is_mentioned_but_does_not_move_the_hint() -> None:
    with_context = suggest(FRAMEWORK, signals(3, 1, ["people", "staff"], context=4))
    without = suggest(FRAMEWORK, signals(3, 1, ["people", "staff"]))
    assert with_context.level == without.level
    assert with_context.reasons[0].endswith("plus 4 pieces of context")


def test_narrative_suggestion_has_reasons_only() -> None:
    framework = shipped("narrative-review")
    hint = suggest(
        framework,
        [
            EvidenceSignal("a", "WT1", "strength", "people-experience", "interview"),
            EvidenceSignal("b", "WT1", "strength", "processes", "interview"),
            EvidenceSignal("c", "WT1", "concern", "processes", "case-tracking"),
        ],
    )
    assert hint.level is None and hint.position is None and hint.balance is None
    assert hint.is_hint
    assert "more strengths than concerns" in hint.reasons[1]
    assert "no levels" in hint.reasons[1]


def test_readiness_needs_cited_evidence() -> None:
    ready = readiness(FRAMEWORK, [])
    assert not ready.can_moderate
    assert ready.reason == "a line cannot be moderated with no cited evidence"


def test_readiness_warns_when_not_triangulated() -> None:
    ready = readiness(FRAMEWORK, signals(2, 0, ["outcomes"]))
    assert ready.can_moderate and ready.reason is None
    assert ready.warnings == [
        "all cited evidence comes from one evidence category (Outcomes): not triangulated"
    ]
    triangulated = readiness(FRAMEWORK, signals(1, 1, ["outcomes", "people"]))
    assert triangulated.warnings == [] and triangulated.cited_count == 2
    assert triangulated.categories == ["People's experience", "Outcomes"]


def test_readiness_warns_when_all_context() -> None:
    ready = readiness(FRAMEWORK, signals(0, 0, ["outcomes", "people"], context=2))
    assert ready.can_moderate
    assert ready.warnings == ["the cited evidence is all context: none of it shows a strength or concern"]
