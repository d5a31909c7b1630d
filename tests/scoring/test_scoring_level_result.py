"""Domain and overall results share one set of level fields, and their JSON keeps its shape."""

from __future__ import annotations

from dataclasses import fields

from scoring_builders import make_framework

from app.scoring import DomainScore, LevelResult, OverallScore, score_review

LEVEL_FIELDS = {
    "score_sum",
    "max_sum",
    "percent",
    "rounded_percent",
    "band",
    "band_position",
    "band_position_word",
    "computed_level",
    "computed_label",
    "limiters",
    "limited_level",
    "final_level",
    "final_label",
    "override",
    "rule",
    "level_rule",
    "reason",
}


def test_domain_and_overall_results_are_level_results() -> None:
    assert {f.name for f in fields(LevelResult)} == LEVEL_FIELDS
    assert issubclass(DomainScore, LevelResult) and issubclass(OverallScore, LevelResult)


def test_the_results_json_keeps_every_field_at_the_top_level() -> None:
    framework = make_framework({"vision": ["V1", "V2"], "people": ["P1"]})
    scores = score_review(framework, ratings=[], moderated={"V1": 3, "V2": 2}, evidence=[])
    data = scores.to_dict()
    domain, overall = data["domains"][0], data["overall"]
    assert set(domain) == LEVEL_FIELDS | {
        "key",
        "name",
        "lines_rated",
        "lines_total",
        "complete",
        "self_assessment_mean",
        "moderated_mean",
        "gap",
        "gap_lines",
        "gap_rule",
    }
    assert set(overall) == LEVEL_FIELDS | {"weighting", "domains_with_result", "domains_total", "complete"}
    assert domain["score_sum"] == 5 and domain["band"]["level"] == scores.domains[0].final_level
    # A domain with no moderated line has no result and says why.
    assert data["domains"][1]["percent"] is None and data["domains"][1]["reason"]
