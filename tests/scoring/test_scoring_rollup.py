"""Roll-up of moderated ratings into domain and overall results: worked examples by hand."""

from __future__ import annotations

import pytest
from scoring_builders import (
    make_framework,
    parts_at_or_below,
    requires_for_level,
    shipped,
)

from app.frameworks.schema import cross_checks
from app.scoring import (
    ResultOverride,
    band_position,
    level_label,
    rollup_domains,
    rollup_overall,
)

FIVE = {"vision": ["V1", "V2", "V3", "V4", "V5"]}
# A line at 1 caps its domain at 2, as in the regulator's rules.
ANY_LINE_AT_ONE = parts_at_or_below("domain", at_or_below=1, cap=2)


def ratings(refs: list[str], values: list[int]) -> dict[str, int]:
    return dict(zip(refs, values, strict=True))


def test_worked_example_good_in_the_middle_of_its_band() -> None:
    framework = make_framework(FIVE, limiters=[ANY_LINE_AT_ONE])
    # Moderated 3, 3, 2, 4, 3: sum 15 over 5 lines x top 4 = 20 -> 15/20 = 75%.
    # 75% falls in Good (63-87%); position (75 - 63) / (87 - 63) = 12/24 = 0.5: middle.
    # No line at 1, so the limiter does not hold: final level 3, Good.
    [domain] = rollup_domains(framework, ratings(FIVE["vision"], [3, 3, 2, 4, 3]))
    assert (domain.score_sum, domain.max_sum) == (15, 20)
    assert domain.percent == 75.0 and domain.rounded_percent == 75
    assert domain.band is not None
    assert (domain.band.label, domain.band.from_pct, domain.band.to_pct) == ("Good", 63, 87)
    assert domain.band_position == 0.5 and domain.band_position_word == "middle"
    assert domain.computed_level == 3 and domain.computed_label == "Good"
    assert domain.limiters == []
    assert domain.final_level == 3 and domain.final_label == "Good"
    assert domain.complete and (domain.lines_rated, domain.lines_total) == (5, 5)
    assert domain.rule.startswith(
        "sum of moderated ratings 15 over maximum 20 (5 rated lines × top level 4) = 75.0%"
    )
    assert "band Good (63-87%)" in domain.rule and "middle in the band" in domain.rule
    assert domain.level_rule == "band Good gives level 3 (Good); final level 3 (Good)"


def test_worked_example_a_line_at_one_triggers_the_domain_limiter() -> None:
    framework = make_framework(FIVE, limiters=[ANY_LINE_AT_ONE])
    # Moderated 3, 3, 2, 4, 1: sum 13 / 20 = 65% -> still Good by percentage,
    # position (65 - 63) / 24 = 1/12: low in the band.
    # But one line is at 1: the limiter caps the domain at 2, Requires improvement.
    [domain] = rollup_domains(framework, ratings(FIVE["vision"], [3, 3, 2, 4, 1]))
    assert domain.percent == 65.0 and domain.computed_level == 3
    assert domain.band_position == pytest.approx(1 / 12)
    assert domain.band_position_word == "low"
    [limiter] = domain.limiters
    assert limiter.kind == "parts_at_or_below" and limiter.cap == 2 and limiter.lowered
    assert limiter.cap_label == "Requires improvement"
    assert limiter.description == ANY_LINE_AT_ONE["description"]
    assert "1 line at or below 1 (Significant shortfalls)" in limiter.rule
    assert domain.limited_level == 2 and domain.final_level == 2
    assert domain.final_label == "Requires improvement"
    assert "level after limiters 2 (Requires improvement)" in domain.level_rule


def test_rounding_is_half_up_not_to_even() -> None:
    refs = [f"R{i}" for i in range(1, 9)]
    framework = make_framework({"d": refs})
    # 20 over 8 x 4 = 32 -> 62.5%. Half up gives 63 (Good); round() would give 62.
    [domain] = rollup_domains(framework, ratings(refs, [3, 3, 3, 3, 2, 2, 2, 2]))
    assert domain.percent == 62.5 and domain.rounded_percent == 63
    assert domain.band is not None and domain.band.label == "Good"
    # The exact 62.5 sits below the band's start: clamped to its bottom.
    assert domain.band_position == 0 and domain.band_position_word == "low"
    assert "rounded half up to 63%" in domain.rule and "at the bottom of the band" in domain.rule


def test_unrated_lines_are_left_out_and_said_so() -> None:
    framework = make_framework(FIVE)
    # Only V1 and V2 rated: 4 + 4 = 8 over 2 x 4 = 8 -> 100%.
    [domain] = rollup_domains(framework, {"V1": 4, "V2": 4})
    assert (domain.score_sum, domain.max_sum, domain.percent) == (8, 8, 100.0)
    assert not domain.complete and domain.lines_rated == 2
    assert "2 of 5 lines rated, the others left out" in domain.rule
    assert domain.band_position == 1 and "at the top of the band" in domain.rule


def test_domain_with_no_rated_line_has_no_result() -> None:
    framework = make_framework({"a": ["A1"], "b": ["B1"]})
    a, b = rollup_domains(framework, {"A1": 3})
    assert a.has_result
    assert not b.has_result
    assert b.percent is None and b.final_level is None and b.band is None
    assert b.reason == "no line in this domain has a moderated rating yet"


def test_requires_for_level_caps_outstanding_without_enough_top_lines() -> None:
    rule = requires_for_level("domain", level=4, min_count=2, others=3)
    framework = make_framework({"d": ["D1", "D2"]}, limiters=[rule])
    # 4 + 3 = 7 / 8 = 87.5% -> rounds to 88: Outstanding computed, but only
    # 1 line at 4 where 2 are needed: capped at 3, the highest level below 4.
    [domain] = rollup_domains(framework, {"D1": 4, "D2": 3})
    assert domain.rounded_percent == 88 and domain.computed_level == 4
    [limiter] = domain.limiters
    assert limiter.cap == 3 and limiter.kind == "requires_for_level"
    assert "needs 2 lines at 4 or above and has 1" in limiter.rule
    assert domain.final_level == 3


def test_requires_for_level_checks_the_other_parts() -> None:
    rule = requires_for_level("domain", level=4, min_count=2, others=3)
    framework = make_framework({"d": ["D1", "D2", "D3", "D4"]}, limiters=[rule])
    # 4 + 4 + 4 + 2 = 14 / 16 = 87.5% -> 88, Outstanding; three lines at 4 but
    # the other line is at 2, below 3: capped at 3.
    [capped] = rollup_domains(framework, ratings(["D1", "D2", "D3", "D4"], [4, 4, 4, 2]))
    assert capped.computed_level == 4 and capped.final_level == 3
    assert "1 is below" in capped.limiters[0].rule
    # 4 + 3 + 3 + 4 = 14 / 16 -> 88 again; two at 4 and the others at 3: stays 4.
    [kept] = rollup_domains(framework, ratings(["D1", "D2", "D3", "D4"], [4, 3, 3, 4]))
    assert kept.computed_level == 4 and kept.limiters == [] and kept.final_level == 4


def test_requires_for_level_at_the_lowest_level_cannot_cap() -> None:
    rule = requires_for_level("domain", level=1, min_count=2, others=1)
    # The framework checks refuse such a limiter; the engine given one anyway must not misbehave.
    framework = make_framework({"d": ["D1"]}, limiters=[rule], check=False)
    assert any("lowest level" in message for _, message in cross_checks(framework))
    [domain] = rollup_domains(framework, {"D1": 1})
    assert domain.limiters == [] and domain.final_level == 1


def test_parts_at_or_below_needs_min_count() -> None:
    rule = parts_at_or_below("domain", at_or_below=2, cap=2, min_count=2)
    framework = make_framework({"d": ["D1", "D2", "D3", "D4"]}, limiters=[rule])
    # One line at 2: 4+4+4+2 = 14/16 -> 88, Outstanding, the limiter needs two.
    [one] = rollup_domains(framework, ratings(["D1", "D2", "D3", "D4"], [4, 4, 4, 2]))
    assert one.limiters == [] and one.final_level == 4
    # Two lines at or below 2: 4+4+2+1 = 11/16 = 68.75% -> 69, Good; capped at 2.
    [two] = rollup_domains(framework, ratings(["D1", "D2", "D3", "D4"], [4, 4, 2, 1]))
    assert two.computed_level == 3 and two.final_level == 2
    assert "2 lines at or below 2 (Some shortfalls)" in two.limiters[0].rule


def test_a_limiter_never_raises_a_result() -> None:
    rule = parts_at_or_below("domain", at_or_below=2, cap=3)
    framework = make_framework({"d": ["D1", "D2"]}, limiters=[rule])
    # 2 + 2 = 4/8 = 50%: Requires improvement (2). The limiter holds (cap 3) but
    # the result is already below it: reported, not applied upwards.
    [domain] = rollup_domains(framework, {"D1": 2, "D2": 2})
    assert domain.computed_level == 2
    [limiter] = domain.limiters
    assert not limiter.lowered
    assert domain.final_level == 2
    assert "already at or below that" in domain.level_rule


def test_override_keeps_computed_and_limited_levels() -> None:
    framework = make_framework(FIVE, limiters=[ANY_LINE_AT_ONE])
    override = ResultOverride(
        scope="domain",
        domain_key="vision",
        level=3,
        justification="  The one weak line is already being fixed.  ",
    )
    [domain] = rollup_domains(framework, ratings(FIVE["vision"], [3, 3, 2, 4, 1]), overrides=[override])
    assert domain.computed_level == 3 and domain.limited_level == 2
    assert domain.final_level == 3 and domain.final_label == "Good"
    assert domain.override is not None
    assert domain.override.justification == "The one weak line is already being fixed."
    assert (domain.override.replaces_level, domain.override.replaces_label) == (
        2,
        "Requires improvement",
    )
    assert domain.level_rule.endswith(
        "the review team set level 3 (Good) in place of 2 (Requires improvement): "
        "The one weak line is already being fixed."
    )


def test_override_of_a_domain_without_result_waits() -> None:
    framework = make_framework({"a": ["A1"], "b": ["B1"]})
    override = ResultOverride(scope="domain", domain_key="b", level=4, justification="why")
    _, b = rollup_domains(framework, {"A1": 3}, overrides=[override])
    assert b.final_level is None and b.override is None
    assert b.reason is not None and "waits until there is a result" in b.reason


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (ResultOverride("domain", "nowhere", 3, "x"), "unknown domain"),
        (ResultOverride("domain", "vision", 7, "x"), "not on the scale"),
        (ResultOverride("domain", "vision", 3, "   "), "needs a justification"),
    ],
)
def test_bad_overrides_are_refused(override: ResultOverride, message: str) -> None:
    framework = make_framework(FIVE)
    with pytest.raises(ValueError, match=message):
        rollup_domains(framework, {"V1": 3}, overrides=[override])


def test_two_overrides_for_one_domain_are_refused() -> None:
    framework = make_framework(FIVE)
    twice = [ResultOverride("domain", "vision", 3, "a"), ResultOverride("domain", "vision", 2, "b")]
    with pytest.raises(ValueError, match="more than one override"):
        rollup_domains(framework, {"V1": 3}, overrides=twice)


@pytest.mark.parametrize(
    ("moderated", "message"),
    [({"ZZ9": 3}, "not a line of this framework"), ({"V1": 5}, "not on the scale")],
)
def test_bad_moderated_ratings_are_refused(moderated: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rollup_domains(make_framework(FIVE), moderated)


TWO_DOMAINS = {"small": ["S1", "S2"], "large": ["L1", "L2", "L3", "L4", "L5", "L6"]}
TWO_DOMAIN_RATINGS = {"S1": 4, "S2": 4, "L1": 1, "L2": 1, "L3": 1, "L4": 1, "L5": 2, "L6": 2}


def test_overall_equal_lines() -> None:
    framework = make_framework(TWO_DOMAINS, weighting="equal_lines")
    domains = rollup_domains(framework, TWO_DOMAIN_RATINGS)
    overall = rollup_overall(framework, domains, TWO_DOMAIN_RATINGS)
    # Every line weighs the same: (4 + 4 + 1 + 1 + 1 + 1 + 2 + 2) = 16 over 8 x 4 = 32: 50%,
    # Requires improvement.
    assert (overall.score_sum, overall.max_sum, overall.percent) == (16, 32, 50.0)
    assert overall.final_level == 2 and overall.final_label == "Requires improvement"
    assert "each line weighs the same" in overall.rule


def test_overall_equal_domains() -> None:
    framework = make_framework(TWO_DOMAINS, weighting="equal_domains")
    domains = rollup_domains(framework, TWO_DOMAIN_RATINGS)
    overall = rollup_overall(framework, domains, TWO_DOMAIN_RATINGS)
    # small: 8/8 = 100%; large: 8/24 = 33.3%. Each domain weighs the same:
    # (100 + 33.33) / 2 = 66.67% -> 67, Good (where equal lines gave 50%).
    assert overall.percent == pytest.approx(200 / 3)
    assert overall.rounded_percent == 67 and overall.final_level == 3
    assert overall.score_sum is None
    assert "each domain weighing the same" in overall.rule
    assert "(100.0% + 33.3%) / 2 = 66.7%" in overall.rule


def test_overall_limiters_use_domains_final_levels() -> None:
    domains_spec = {"a": ["A1", "A2"], "b": ["B1", "B2"], "c": ["C1", "C2"]}
    framework = make_framework(
        domains_spec,
        limiters=[
            ANY_LINE_AT_ONE,
            parts_at_or_below("overall", at_or_below=2, cap=2, min_count=2),
        ],
    )
    # a: 4 + 1 = 5/8 = 62.5% -> 63 Good, but a line at 1: capped at 2.
    # b: the same, capped at 2. c: 4 + 4 = 100%, Outstanding.
    moderated = {"A1": 4, "A2": 1, "B1": 4, "B2": 1, "C1": 4, "C2": 4}
    domains = rollup_domains(framework, moderated)
    assert [d.computed_level for d in domains] == [3, 3, 4]
    assert [d.final_level for d in domains] == [2, 2, 4]
    overall = rollup_overall(framework, domains, moderated)
    # Mean of 62.5, 62.5, 100 = 75% -> Good (3); two domains at or below 2
    # (by their final levels) cap the whole at 2.
    assert overall.percent == 75.0 and overall.computed_level == 3
    assert overall.final_level == 2
    assert "2 domains at or below 2 (Requires improvement)" in overall.limiters[0].rule

    # Override b to Good: now only one domain is at or below 2 and the cap goes.
    override = ResultOverride("domain", "b", 3, "fixed since the visit")
    domains = rollup_domains(framework, moderated, overrides=[override])
    overall = rollup_overall(framework, domains, moderated, overrides=[override])
    assert overall.limiters == [] and overall.final_level == 3


def test_overall_override_keeps_computed() -> None:
    framework = make_framework(FIVE)
    moderated = ratings(FIVE["vision"], [3, 3, 2, 4, 3])
    override = ResultOverride("overall", None, 2, "leaders disagree on the basics")
    overall = rollup_overall(framework, rollup_domains(framework, moderated), moderated, overrides=[override])
    assert overall.computed_level == 3 and overall.final_level == 2
    assert overall.override is not None and overall.override.replaces_level == 3


def test_overall_with_nothing_rated() -> None:
    framework = make_framework(FIVE)
    overall = rollup_overall(framework, rollup_domains(framework, {}), {})
    assert overall.percent is None and overall.final_level is None
    assert overall.reason == "no line has a moderated rating yet"
    assert overall.domains_with_result == 0 and not overall.complete


def test_labels_come_from_bands_then_the_scale() -> None:
    levels = [(0, "None"), (1, "Some"), (2, "Half"), (3, "Most"), (4, "All")]
    # Bands name only levels 0, 2 and 4.
    bands = [(0, "Starting", 0, 39), (2, "Halfway", 40, 79), (4, "Done", 80, 100)]
    framework = make_framework(
        {"d": ["D1"]},
        levels=levels,
        bands=bands,
        limiters=[parts_at_or_below("domain", at_or_below=1, cap=3)],
    )
    assert level_label(framework, 2) == "Halfway"
    assert level_label(framework, 3) == "Most"
    # 1/4 = 25% -> band Starting (0); a line at 1 caps at 3, which is higher: no effect.
    [domain] = rollup_domains(framework, {"D1": 1})
    assert domain.computed_label == "Starting" and domain.final_level == 0
    assert domain.limiters[0].cap_label == "Most"


def test_band_position_of_a_single_point_band() -> None:
    framework = make_framework(
        {"d": ["D1"]},
        bands=[(1, "Low", 0, 99), (4, "Full", 100, 100)],
    )
    assert framework.rollup is not None
    position, word = band_position(100, framework.rollup.bands[1])
    assert (position, word) == (0.5, "middle")


def test_narrative_framework_has_domains_without_levels() -> None:
    framework = shipped("narrative-review")
    domains = rollup_domains(framework, {})
    assert [d.key for d in domains] == [d.key for d in framework.domains]
    assert all(d.final_level is None and d.percent is None for d in domains)
    assert all(d.reason and "narrative" in d.reason for d in domains)
    with pytest.raises(ValueError, match="narrative"):
        rollup_overall(framework, domains, {})
    with pytest.raises(ValueError, match="narrative"):
        rollup_domains(framework, {framework.refs()[0]: 1})


def test_shipped_review_framework_domain() -> None:
    framework = shipped("local-system-review")
    domain = framework.domains[0]
    refs = [line.ref for line in domain.lines]
    # All lines at 3: 3n / 4n = 75% -> Good, middle.
    moderated = {ref: 3 for ref in refs}
    first = rollup_domains(framework, moderated)[0]
    assert first.percent == 75.0 and first.final_label == "Good"
    # All at 4 is Outstanding. All at 4 but one at 2 still reaches the Outstanding
    # band (6 lines: 22/24 = 91.7%), but the domain's requires-for-level limiter
    # wants every other line at 3 or above: capped at 3, Good.
    all_four = {ref: 4 for ref in refs}
    top = rollup_domains(framework, all_four)[0]
    assert top.final_level == 4 and top.final_label == "Outstanding"
    dipped = rollup_domains(framework, {**all_four, refs[0]: 2})[0]
    assert len(refs) == 6 and dipped.rounded_percent == 92
    assert dipped.computed_level == 4 and dipped.final_level == 3


def test_shipped_maturity_framework_zero_caps_a_domain() -> None:
    framework = shipped("integration-maturity")
    domain = framework.domains[0]
    refs = [line.ref for line in domain.lines]
    # 5, 5, 0 = 10 / 15 = 66.7% -> 67, Under way (3); a dimension at 0 caps at 2.
    [first, *_] = rollup_domains(framework, ratings(refs, [5, 5, 0]))
    assert first.rounded_percent == 67 and first.computed_level == 3
    assert first.final_level == 2 and first.final_label == "Early steps"


def test_shipped_peer_challenge_needs_two_low_lines() -> None:
    framework = shipped("peer-challenge")
    refs = [line.ref for line in framework.domains[0].lines]
    # 3, 3, 1 = 7/9 = 77.8% -> 78, Partly (2); one line at 1 is not enough to cap.
    [one, _] = rollup_domains(framework, ratings(refs, [3, 3, 1]))
    assert one.final_level == 2 and one.limiters == []
    # 3, 1, 1 = 5/9 = 55.6% -> 56, Partly; two lines at 1 cap at 1, Not yet.
    [two, _] = rollup_domains(framework, ratings(refs, [3, 1, 1]))
    assert two.rounded_percent == 56 and two.computed_level == 2 and two.final_level == 1
