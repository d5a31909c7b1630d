"""score_review end to end on built and shipped frameworks."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from scoring_builders import SHIPPED, make_framework, parts_at_or_below, shipped

from app.scoring import (
    EvidenceSignal,
    RatingInput,
    ResultOverride,
    ReviewScores,
    score_review,
)

ENGINE = Path(__file__).resolve().parents[2] / "app" / "scoring"


def self_rating(ref: str, value: int, rater: int, org: str | None = None) -> RatingInput:
    return RatingInput(ref, value, rater, "self_assessment", org)


def team_rating(ref: str, value: int, rater: int) -> RatingInput:
    return RatingInput(ref, value, rater, "review_team")


def test_small_review_by_hand() -> None:
    framework = make_framework(
        {"vision": ["V1", "V2"], "people": ["P1"]},
        limiters=[parts_at_or_below("domain", at_or_below=1, cap=2)],
    )
    ratings = [
        # V1: NHS rate 4, 4, 3; councils 2, 1. Median of all five = 3.
        self_rating("V1", 4, 1, "nhs_trust"),
        self_rating("V1", 4, 2, "icb"),
        self_rating("V1", 3, 3, "primary_care"),
        self_rating("V1", 2, 4, "local_authority"),
        self_rating("V1", 1, 5, "local_authority"),
        team_rating("V1", 2, 10),
        team_rating("V1", 2, 11),
        # V2: one self-assessment rating only.
        self_rating("V2", 2, 1, "nhs_trust"),
    ]
    evidence = [
        EvidenceSignal("e1", "V1", "strength", "people", "interview"),
        EvidenceSignal("e2", "V1", "concern", "processes", "survey"),
        EvidenceSignal("e3", "V1", "concern", "outcomes", "survey"),
    ]
    scores = score_review(
        framework,
        ratings=ratings,
        moderated={"V1": 2, "V2": 3},
        evidence=evidence,
    )
    assert scores.rated and [line.ref for line in scores.lines] == ["V1", "V2", "P1"]
    v1 = scores.line("V1")
    assert v1.domain_key == "vision"
    # Self: 1, 2, 3, 4, 4: median 3; 1 lies 2 away: 1 of 5, not more than 1/3: agreed.
    assert v1.self_assessment.median == 3 and v1.self_assessment.flag == "agreed"
    assert v1.review_team.n == 2 and v1.review_team.median == 2
    # Gap: self median 3 minus moderated 2 = +1.
    assert v1.gap == 1 and v1.gap_rule == "self-assessment median 3 minus moderated rating 2 = +1"
    assert v1.moderated_label == "Some shortfalls"
    # NHS median of 4, 4, 3 = 4; councils median of 2, 1 = 1.5: gap 2.5.
    [nhs] = v1.org_gaps
    assert (nhs.name, nhs.median_a, nhs.median_b, nhs.gap) == (
        "NHS bodies against councils",
        4,
        1.5,
        2.5,
    )
    # One strength, two concerns: balance -1/3 -> 1 + (2/3)/2 x 3 = 2 -> level 2.
    assert v1.suggestion.level == 2 and v1.evidence_count == 3
    assert v1.readiness.can_moderate and v1.coverage.evidence_count == 3
    v2 = scores.line("V2")
    assert v2.self_assessment.flag == "single" and v2.gap == -1
    assert not v2.readiness.can_moderate
    p1 = scores.line("P1")
    assert p1.gap is None and p1.gap_rule == (
        "no gap: no self-assessment ratings and no moderated rating yet"
    )

    vision, people = scores.domains
    # vision: 2 + 3 = 5 / 8 = 62.5% -> 63, Good; no line at 1.
    assert vision.percent == 62.5 and vision.final_level == 3
    # Domain gap over V1 and V2: mean self medians (3 + 2) / 2 = 2.5, mean moderated
    # (2 + 3) / 2 = 2.5: gap 0.
    assert vision.gap == 0 and vision.gap_lines == 2
    assert vision.gap_rule == (
        "mean of line self-assessment medians 2.5 minus mean of moderated ratings 2.5 = 0, "
        "over the 2 lines that have both"
    )
    assert people.final_level is None and people.gap is None
    assert scores.overall is not None and scores.overall.final_level == 3
    assert scores.splits == []
    # Largest gaps: V1 (+1) and V2 (-1), equal size, framework order.
    assert [(g.ref, g.gap) for g in scores.largest_gaps] == [("V1", 1), ("V2", -1)]


def test_splits_list_any_group() -> None:
    framework = make_framework({"d": ["D1", "D2", "D3"]})
    ratings = [
        # D1 self-assessment 1, 1, 4, 4: median 2.5, all four lie 1.5 away: split.
        *[self_rating("D1", v, i) for i, v in enumerate([1, 1, 4, 4])],
        # D2 review team split the same way; self-assessment agreed.
        *[team_rating("D2", v, i) for i, v in enumerate([1, 1, 4, 4])],
        *[self_rating("D2", 3, i) for i in range(3)],
        # D3 agreed.
        *[self_rating("D3", v, i) for i, v in enumerate([2, 3, 3])],
    ]
    scores = score_review(framework, ratings=ratings, moderated={}, evidence=[])
    assert scores.splits == ["D1", "D2"]


def test_largest_gaps_sorted_and_cut() -> None:
    framework = make_framework({"d": ["D1", "D2", "D3", "D4"]})
    ratings = [self_rating(ref, 4, 1) for ref in ["D1", "D2", "D3", "D4"]]
    moderated = {"D1": 3, "D2": 1, "D3": 4, "D4": 2}
    scores = score_review(framework, ratings=ratings, moderated=moderated, evidence=[], top_gaps=2)
    # Gaps 1, 3, 0, 2: the zero is no gap; sorted by size, top 2.
    assert [(g.ref, g.gap) for g in scores.largest_gaps] == [("D2", 3), ("D4", 2)]
    assert scores.largest_gaps[0].self_median == 4 and scores.largest_gaps[0].moderated == 1


def test_cited_evidence_drives_readiness() -> None:
    framework = make_framework({"d": ["D1"]})
    evidence = [
        EvidenceSignal("e1", "D1", "strength", "people", "interview"),
        EvidenceSignal("e2", "D1", "concern", "outcomes", "survey"),
    ]
    linked = score_review(framework, ratings=[], moderated={}, evidence=evidence)
    assert linked.line("D1").readiness.can_moderate
    cited = score_review(framework, ratings=[], moderated={}, evidence=evidence, cited={"D1": {"e2"}})
    readiness = cited.line("D1").readiness
    assert readiness.can_moderate and readiness.cited_count == 1
    assert "not triangulated" in readiness.warnings[0]
    none = score_review(framework, ratings=[], moderated={}, evidence=evidence, cited={})
    assert not none.line("D1").readiness.can_moderate


def test_custom_org_pairs() -> None:
    framework = make_framework({"d": ["D1"]})
    ratings = [self_rating("D1", 4, 1, "voluntary_sector"), self_rating("D1", 2, 2, "icb")]
    pairs = [(frozenset({"voluntary_sector"}), frozenset({"icb"}), "charities against the ICB")]
    scores = score_review(framework, ratings=ratings, moderated={}, evidence=[], org_pairs=pairs)
    [gap] = scores.line("D1").org_gaps
    assert gap.name == "charities against the ICB" and gap.gap == 2


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        ([self_rating("D9", 3, 1)], "not a line"),
        ([self_rating("D1", 9, 1)], "not on the scale"),
        ([self_rating("D1", 3, 1), self_rating("D1", 2, 1)], "twice"),
    ],
)
def test_bad_ratings_are_refused(ratings: list[RatingInput], message: str) -> None:
    framework = make_framework({"d": ["D1"]})
    with pytest.raises(ValueError, match=message):
        score_review(framework, ratings=ratings, moderated={}, evidence=[])


def test_same_rater_may_rate_in_both_groups() -> None:
    framework = make_framework({"d": ["D1"]})
    ratings = [self_rating("D1", 3, 1), team_rating("D1", 2, 1)]
    scores = score_review(framework, ratings=ratings, moderated={}, evidence=[])
    assert scores.line("D1").self_assessment.n == 1 and scores.line("D1").review_team.n == 1


def assert_json_safe(scores: ReviewScores) -> dict[str, object]:
    data = scores.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    return data


def full_review(name: str) -> ReviewScores:
    """Every line rated by three partners and the team, moderated, with evidence."""
    framework = shipped(name)
    values = framework.scale.values or [1, 2, 3]
    categories = [c.key for c in framework.evidence_categories]
    sources = [s.key for s in framework.source_types]
    ratings: list[RatingInput] = []
    evidence: list[EvidenceSignal] = []
    moderated: dict[str, int] = {}
    for index, ref in enumerate(framework.refs()):
        pick = [values[(index + k) % len(values)] for k in range(4)]
        ratings += [
            self_rating(ref, pick[0], 1, "nhs_trust"),
            self_rating(ref, pick[1], 2, "local_authority"),
            self_rating(ref, pick[2], 3, "icb"),
            team_rating(ref, pick[3], 4),
        ]
        for k, polarity in enumerate(["strength", "concern", "context"][: 1 + index % 3]):
            evidence.append(
                EvidenceSignal(
                    f"e{index}-{k}",
                    ref,
                    polarity,  # type: ignore[arg-type]
                    categories[(index + k) % len(categories)],
                    sources[k % len(sources)],
                )
            )
        if framework.scale.rated:
            moderated[ref] = pick[1]
    return score_review(framework, ratings=ratings, moderated=moderated, evidence=evidence)


@pytest.mark.parametrize("name", ["local-system-review", "integration-maturity", "peer-challenge"])
def test_shipped_rated_frameworks(name: str) -> None:
    framework = shipped(name)
    scores = full_review(name)
    assert scores.rated and scores.framework_key == framework.key
    assert [line.ref for line in scores.lines] == framework.refs()
    assert [d.key for d in scores.domains] == [d.key for d in framework.domains]
    assert all(d.complete and d.final_level in framework.scale.values for d in scores.domains)
    assert scores.overall is not None and scores.overall.complete
    assert scores.overall.final_level in framework.scale.values
    assert scores.overall.weighting == (framework.rollup.overall_weighting if framework.rollup else None)
    for line in scores.lines:
        assert line.self_assessment.n == 3 and line.review_team.n == 1
        assert line.moderated_label is not None and line.readiness.can_moderate
        assert line.suggestion.is_hint and line.org_gaps[0].gap is not None
        for phrase in (line.self_assessment.rule, line.gap_rule, line.suggestion.rule):
            assert phrase
    for domain in scores.domains:
        assert domain.rule and domain.level_rule and domain.gap_rule
    assert_json_safe(scores)


def test_shipped_review_framework_labels_and_overall_rule() -> None:
    framework = shipped("local-system-review")
    moderated = {ref: 3 for ref in framework.refs()}
    scores = score_review(framework, ratings=[], moderated=moderated, evidence=[])
    # Every line Good standard: each domain 75%, Good; overall the mean, 75%, Good.
    assert all(d.final_label == "Good" and d.percent == 75.0 for d in scores.domains)
    assert scores.overall is not None
    assert scores.overall.percent == 75.0 and scores.overall.final_label == "Good"
    assert "each domain weighing the same" in scores.overall.rule
    # One domain overridden to Outstanding keeps its computed Good beside it.
    key = framework.domains[0].key
    scores = score_review(
        framework,
        ratings=[],
        moderated=moderated,
        evidence=[],
        overrides=[ResultOverride("domain", key, 4, "exceptional practice seen on site")],
    )
    domain = scores.domain(key)
    assert domain.final_label == "Outstanding" and domain.computed_label == "Good"


def test_narrative_fixture() -> None:
    framework = shipped("narrative-review")
    scores = full_review("narrative-review")
    assert not scores.rated and scores.overall is None
    assert all(d.final_level is None and d.reason for d in scores.domains)
    for line in scores.lines:
        # Agreement and coverage still work; no numbers are suggested.
        assert line.self_assessment.n == 3
        assert line.coverage.evidence_count == line.evidence_count > 0
        assert line.suggestion.level is None and line.suggestion.balance is None
        assert line.moderated is None and line.gap is None
    assert_json_safe(scores)
    with pytest.raises(ValueError, match="narrative"):
        score_review(framework, ratings=[], moderated={"WT1": 1}, evidence=[])
    with pytest.raises(ValueError, match="narrative"):
        score_review(
            framework,
            ratings=[],
            moderated={},
            evidence=[],
            overrides=[ResultOverride("overall", None, 1, "x")],
        )


def test_empty_review_is_fine() -> None:
    scores = score_review(shipped("local-system-review"), ratings=[], moderated={}, evidence=[])
    assert scores.overall is not None and scores.overall.final_level is None
    assert all(not d.has_result for d in scores.domains)
    assert all(line.suggestion.level is None for line in scores.lines)
    assert scores.splits == [] and scores.largest_gaps == []
    assert_json_safe(scores)


def _framework_words() -> set[str]:
    words: set[str] = set()
    for name in SHIPPED:
        framework = shipped(name)
        words |= {framework.key, framework.title, *framework.refs()}
        words |= {d.key for d in framework.domains} | {d.name for d in framework.domains}
        words |= {c.key for c in framework.evidence_categories}
        words |= {c.name for c in framework.evidence_categories}
        words |= {s.key for s in framework.source_types}
        words |= {level.label for level in framework.scale.levels}
        if framework.rollup:
            words |= {band.label for band in framework.rollup.bands}
    return words


def test_engine_code_names_no_framework() -> None:
    # String constants in the engine (docstrings aside) must not be any
    # framework's keys, refs, names or labels: those come from the Framework.
    words = _framework_words()
    for path in sorted(ENGINE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) in docstrings:
                    continue
                assert node.value not in words, f"{path.name} names '{node.value}'"


def test_framework_words_are_collected() -> None:
    words = _framework_words()
    assert {"Good", "local-system-review", "Processes"} <= words
