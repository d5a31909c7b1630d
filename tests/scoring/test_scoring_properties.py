"""Rules that must hold for every framework and every set of ratings (property tests)."""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations_with_replacement
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from scoring_builders import make_framework, parts_at_or_below, requires_for_level, shipped

from app.frameworks.schema import Agreement, Framework
from app.scoring import (
    EvidenceSignal,
    RatingInput,
    agreement,
    check_limiters,
    rollup_domains,
    rollup_overall,
    score_review,
    suggest,
)

SETTINGS = settings(max_examples=150, deadline=None)
SHIPPED_RATED = ["local-system-review", "integration-maturity", "peer-challenge"]


def requirements(scope: st.SearchStrategy[str], values: list[int]) -> st.SearchStrategy[dict[str, Any]]:
    """requires_for_level limiters the schema accepts: a level above the lowest, and the
    others' floor at or below that level."""
    return st.sampled_from(values[1:]).flatmap(
        lambda lv: st.builds(
            requires_for_level,
            scope,
            st.just(lv),
            st.integers(1, 3),
            st.sampled_from([v for v in values if v <= lv]),
        )
    )


@st.composite
def built_frameworks(draw: st.DrawFn) -> Framework:
    """A valid rated framework: any scale, contiguous bands, any mix of limiters."""
    lowest = draw(st.sampled_from([0, 1]))
    values = list(range(lowest, lowest + draw(st.integers(2, 6))))
    banded = sorted(draw(st.lists(st.sampled_from(values), unique=True, min_size=1)))
    cuts = sorted(draw(st.sets(st.integers(1, 100), min_size=len(banded) - 1, max_size=len(banded) - 1)))
    starts = [0, *cuts]
    ends = [c - 1 for c in cuts] + [100]
    bands = [(level, f"Band {level}", f, t) for level, f, t in zip(banded, starts, ends, strict=True)]
    level = st.sampled_from(values)
    scope = st.sampled_from(["domain", "overall"])
    limiter = st.one_of(
        st.builds(parts_at_or_below, scope, level, level, st.integers(1, 3)),
        requirements(scope, values),
    )
    sizes = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    domains = {f"d{i}": [f"{chr(65 + i)}{n}" for n in range(1, size + 1)] for i, size in enumerate(sizes)}
    return make_framework(
        domains,
        levels=[(v, f"Level {v}") for v in values],
        bands=bands,
        limiters=draw(st.lists(limiter, max_size=4)),
        weighting=draw(st.sampled_from(["equal_domains", "equal_lines"])),
    )


@st.composite
def rated_cases(draw: st.DrawFn) -> tuple[Framework, dict[str, int]]:
    # Mostly built frameworks (they vary the most), sometimes a shipped one.
    framework = draw(
        st.one_of(
            built_frameworks(),
            built_frameworks(),
            built_frameworks(),
            st.sampled_from(SHIPPED_RATED).map(shipped),
        )
    )
    values = framework.scale.values
    moderated: dict[str, int] = {}
    for ref in framework.refs():
        # An unrated line is one choice among the levels, so most lines are rated.
        value = draw(st.sampled_from([None, *values]))
        if value is not None:
            moderated[ref] = value
    return framework, moderated


def results(framework: Framework, moderated: dict[str, int]) -> tuple[list[Any], Any]:
    domains = rollup_domains(framework, moderated)
    return domains, rollup_overall(framework, domains, moderated)


@SETTINGS
@given(rated_cases())
def test_results_stay_on_the_scale_and_limiters_never_raise(
    case: tuple[Framework, dict[str, int]],
) -> None:
    framework, moderated = case
    lowest_pct = Fraction(100 * framework.scale.lowest, framework.scale.top)
    domains, overall = results(framework, moderated)
    for result in [*domains, overall]:
        if result.percent is None:
            assert result.final_level is None
            continue
        assert float(lowest_pct) <= result.percent <= 100
        assert result.final_level in framework.scale.values
        assert result.final_level == result.limited_level <= result.computed_level
        assert all(limiter.cap < result.computed_level or not limiter.lowered for limiter in result.limiters)
        assert 0 <= result.band_position <= 1


@SETTINGS
@given(rated_cases())
def test_raising_one_rating_never_lowers_a_result(
    case: tuple[Framework, dict[str, int]],
) -> None:
    # Every single-step raise of every rated line is tried, so each example
    # checks many neighbouring inputs rather than one.
    framework, moderated = case
    values = framework.scale.values
    before_domains, before = results(framework, moderated)
    for ref, value in sorted(moderated.items()):
        if value == framework.scale.top:
            continue
        higher = values[values.index(value) + 1]
        after_domains, after = results(framework, {**moderated, ref: higher})
        for old, new in zip(before_domains, after_domains, strict=True):
            if old.percent is None:
                assert new.percent is None
                continue
            assert new.percent >= old.percent, (ref, old.key)
            assert new.final_level >= old.final_level, (ref, old.key, old.level_rule)
        assert after.percent >= before.percent
        assert after.final_level >= before.final_level, (ref, before.level_rule)


LIMITER_VALUES = st.sampled_from([0, 1]).map(lambda low: list(range(low, 5)))


@st.composite
def single_limiters(draw: st.DrawFn) -> tuple[list[int], dict[str, Any]]:
    values = draw(LIMITER_VALUES)
    level = st.sampled_from(values)
    limiter = draw(
        st.one_of(
            st.builds(parts_at_or_below, st.just("domain"), level, level, st.integers(1, 3)),
            requirements(st.just("domain"), values),
        )
    )
    return values, limiter


@SETTINGS
@given(single_limiters())
def test_each_limiter_alone_is_monotone(case: tuple[list[int], dict[str, Any]]) -> None:
    # The roll-up test above meets a given limiter only now and then. Here
    # hypothesis picks one limiter and every set of up to 3 parts and every
    # computed level is tried against each of its one-step raises (monotone one
    # step at a time in each argument is monotone overall).
    values, limiter = case
    framework = make_framework(
        {"d": ["D1"]},
        levels=[(v, f"Level {v}") for v in values],
        bands=[(values[0], "All", 0, 100)],
        limiters=[limiter],
    )

    def limited(result: int, parts: list[int]) -> int:
        caps = check_limiters(framework, "domain", result, parts, "line", str)
        assert all(cap.cap in values for cap in caps)
        return min([result, *(cap.cap for cap in caps)])

    top = values[-1]
    for size in (1, 2, 3):
        for combo in combinations_with_replacement(values, size):
            parts = list(combo)
            for computed in values:
                now = limited(computed, parts)
                assert now <= computed
                if computed < top:
                    assert limited(computed + 1, parts) >= now, (parts, computed)
                for index, value in enumerate(parts):
                    if value < top:
                        raised = [*parts]
                        raised[index] = value + 1
                        assert limited(computed, raised) >= now, (parts, computed, index)


@st.composite
def review_inputs(
    draw: st.DrawFn,
) -> tuple[Framework, list[RatingInput], dict[str, int], list[EvidenceSignal]]:
    framework, moderated = draw(rated_cases())
    refs = framework.refs()
    values = framework.scale.values
    keys = draw(
        st.lists(
            st.tuples(
                st.sampled_from(refs),
                st.integers(1, 6),
                st.sampled_from(["self_assessment", "review_team"]),
            ),
            unique=True,
            max_size=30,
        )
    )
    orgs = st.sampled_from([None, "nhs_trust", "icb", "local_authority", "primary_care"])
    ratings = [
        RatingInput(ref, draw(st.sampled_from(values)), rater, group, draw(orgs))
        for ref, rater, group in keys
    ]
    categories = [c.key for c in framework.evidence_categories]
    evidence = draw(
        st.lists(
            st.builds(
                EvidenceSignal,
                st.text("abc", min_size=1, max_size=3),
                st.sampled_from(refs),
                st.sampled_from(["strength", "concern", "context"]),
                st.sampled_from(categories),
                st.sampled_from([s.key for s in framework.source_types]),
            ),
            max_size=20,
        )
    )
    return framework, ratings, moderated, evidence


@settings(max_examples=60, deadline=None)
@given(review_inputs(), st.randoms(use_true_random=False))
def test_order_of_inputs_does_not_matter(
    inputs: tuple[Framework, list[RatingInput], dict[str, int], list[EvidenceSignal]],
    rng: Any,
) -> None:
    framework, ratings, moderated, evidence = inputs
    first = score_review(framework, ratings=ratings, moderated=moderated, evidence=evidence)
    shuffled_ratings, shuffled_evidence = list(ratings), list(evidence)
    rng.shuffle(shuffled_ratings)
    rng.shuffle(shuffled_evidence)
    moderated_reversed = dict(reversed(list(moderated.items())))
    second = score_review(
        framework,
        ratings=shuffled_ratings,
        moderated=moderated_reversed,
        evidence=shuffled_evidence,
    )
    assert first.to_dict() == second.to_dict()


@SETTINGS
@given(
    st.lists(st.integers(0, 5), max_size=15),
    st.randoms(use_true_random=False),
    st.sampled_from([0, 0.5, 1, 2]),
    st.sampled_from(["0", "1/4", "1/3", "1/2"]),
)
def test_agreement_matches_its_definition(values: list[int], rng: Any, distance: float, share: str) -> None:
    rule = Agreement.model_validate({"max_distance": distance, "split_share": share})
    result = agreement(values, rule)
    shuffled = list(values)
    rng.shuffle(shuffled)
    assert agreement(shuffled, rule) == result
    if len(values) < 2:
        assert result.flag == {0: "none", 1: "single"}[len(values)]
        return
    assert result.median is not None and result.iqr is not None
    assert result.minimum is not None and result.maximum is not None
    assert result.minimum <= result.median <= result.maximum
    assert 0 <= result.iqr <= result.maximum - result.minimum
    # Counted another way: in halves, so a median of 2.5 stays a whole number.
    twice_median = round(2 * result.median)
    far = sum(1 for v in values if abs(2 * v - twice_median) > 2 * distance)
    assert result.far_count == far
    assert result.split == (far * Fraction(share).denominator > Fraction(share).numerator * len(values))


@SETTINGS
@given(st.sampled_from(SHIPPED_RATED), st.integers(0, 6), st.integers(0, 6), st.integers(1, 4))
def test_another_strength_never_lowers_the_hint(
    name: str, strengths: int, concerns: int, spread: int
) -> None:
    framework = shipped(name)
    ref = framework.refs()[0]
    categories = [c.key for c in framework.evidence_categories][:spread]

    def signals(n_strengths: int) -> list[EvidenceSignal]:
        polarities = ["strength"] * n_strengths + ["concern"] * concerns
        return [
            EvidenceSignal(str(i), ref, p, categories[i % len(categories)], "x")  # type: ignore[arg-type]
            for i, p in enumerate(polarities)
        ]

    before, after = (
        suggest(framework, signals(strengths)),
        suggest(framework, signals(strengths + 1)),
    )
    assert after.level is not None and after.level in framework.scale.values
    if before.level is not None:
        assert after.level >= before.level
