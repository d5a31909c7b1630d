"""The evidence rules on their own: a framework and plain values in, content or problems out.

No database: the framework is read from its file and the partners and team are plain values.
"""

from __future__ import annotations

import ast
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.core.errors import Invalid, InvalidMany
from app.core.timeutil import utcnow
from app.evidence import rules as rules_module
from app.evidence.rules import (
    PERSONAL_FIELDS,
    TAGS_MAX,
    TITLE_MAX,
    EvidenceRules,
    check_evidence,
    evidence_problems,
    framework_order,
    latest_date,
    split_personal,
)
from app.evidence.schemas import EvidenceBase
from app.frameworks.loader import read_framework_file
from app.frameworks.schema import Framework

ROOT = Path(__file__).resolve().parents[2]
ME, COLLEAGUE, FORMER = 10, 11, 12


@dataclass(frozen=True)
class Partner:
    id: int
    name: str
    org_type: str


@dataclass(frozen=True)
class Stored:
    collected_on: dt.date
    collected_by_id: int


@pytest.fixture(scope="module")
def framework() -> Framework:
    return read_framework_file(ROOT / "frameworks" / "local-system-review.yaml").framework


@pytest.fixture
def rules(framework: Framework) -> EvidenceRules:
    partners = {1: Partner(1, "Northshire County Council", "local_authority")}
    return EvidenceRules(
        review_id=7, framework=framework, partners=partners, team={ME: "Ann", COLLEAGUE: "Bo"}
    )


def item(rules: EvidenceRules, **overrides: Any) -> EvidenceBase:
    fw = rules.framework
    fields: dict[str, Any] = {
        "title": "Bed meeting",
        "source_type": fw.source_types[0].key,
        "category": fw.evidence_categories[0].key,
        "lines": [fw.refs()[0]],
        "polarity": "strength",
    }
    return EvidenceBase(**{**fields, **overrides})


def test_a_valid_item_is_normalised_into_framework_order(rules: EvidenceRules) -> None:
    refs, stages = rules.line_keys(), rules.stage_keys()
    data = item(
        rules,
        title="  Bed   meeting\tWard 7 ",
        narrative="First line  \r\nSecond\r\n\r\n",
        lines=[refs[2].lower(), refs[0], " "],
        stages=[stages[1].upper(), stages[0]],
        organisations=[1, 1],
        tags=["Flow", "beds", "flow", " "],
        polarity=" Concern ",
        category=rules.category_keys()[1].upper(),
    )

    content = check_evidence(rules, data, actor_id=ME)

    assert content.title == "Bed meeting Ward 7"
    assert content.narrative == "First line\nSecond"
    assert content.lines == (refs[0], refs[2])
    assert content.stages == (stages[0], stages[1])
    assert content.organisations == (1,)
    assert content.tags == ("beds", "flow")
    assert (content.polarity, content.category) == ("concern", rules.category_keys()[1])
    # A new item was collected today by the person entering it, unless they say otherwise.
    assert content.collected_by == ME and content.collected_on == utcnow().date()


def test_equal_content_in_any_order_has_one_digest(rules: EvidenceRules) -> None:
    refs = rules.line_keys()
    one = check_evidence(
        rules, item(rules, lines=[refs[0], refs[1]], tags=["a", "B"], narrative="x\r\n"), actor_id=ME
    )
    two = check_evidence(
        rules, item(rules, lines=[refs[1], refs[0]], tags=["b", "A"], narrative="x  "), actor_id=ME
    )
    other = check_evidence(rules, item(rules, title="Another"), actor_id=ME)
    assert one.digest() == two.digest() != other.digest()


def test_an_empty_item_lists_every_required_field(rules: EvidenceRules) -> None:
    empty = EvidenceBase(title="", source_type="", category="", lines=[], polarity="")
    problems = evidence_problems(rules, empty, actor_id=ME)
    assert [p["field"] for p in problems] == ["title", "source_type", "category", "polarity", "lines"]
    assert all(p["message"] for p in problems)


def test_unknown_keys_are_named_with_what_the_framework_allows(rules: EvidenceRules) -> None:
    fw = rules.framework
    data = item(rules, lines=["ZZ9"], stages=["nowhere"], source_type="gossip", organisations=[99])
    messages = {p["field"]: p["message"] for p in evidence_problems(rules, data, actor_id=ME)}
    assert messages["lines"] == (
        f"ZZ9 is not a line of enquiry of the framework this review uses ({fw.title}, version {fw.version})"
    )
    assert "nowhere is not a pathway stage" in messages["stages"]
    assert ", ".join(rules.stage_keys()) in messages["stages"]
    assert messages["source_type"].startswith("'gossip' is not a source type of this framework")
    assert messages["organisations"] == "organisation 99 is not a partner in this review"


def test_dates_people_and_lengths_are_checked(rules: EvidenceRules) -> None:
    data = item(
        rules,
        title="x" * (TITLE_MAX + 1),
        collected_on=latest_date() + dt.timedelta(days=1),
        collected_by=999,
        tags=[f"tag{n}" for n in range(TAGS_MAX + 1)],
    )
    messages = {p["field"]: p["message"] for p in evidence_problems(rules, data, actor_id=ME)}
    assert messages["title"] == f"the title must be {TITLE_MAX} characters or fewer (it has {TITLE_MAX + 1})"
    assert messages["collected_on"] == "the date collected cannot be in the future"
    assert messages["collected_by"] == "user 999 is not a member of this review's team"
    assert messages["tags"] == f"use {TAGS_MAX} tags or fewer (there are {TAGS_MAX + 1})"


def test_today_anywhere_in_the_world_is_not_the_future(rules: EvidenceRules) -> None:
    content = check_evidence(rules, item(rules, collected_on=latest_date()), actor_id=ME)
    assert content.collected_on == latest_date()


def test_replacing_keeps_the_stored_date_and_collector_even_one_who_left(rules: EvidenceRules) -> None:
    stored = Stored(collected_on=dt.date(2024, 5, 3), collected_by_id=FORMER)
    content = check_evidence(rules, item(rules), actor_id=ME, existing=stored)
    assert (content.collected_on, content.collected_by) == (dt.date(2024, 5, 3), FORMER)
    # Naming the former member again is no change; naming someone else outside the team is refused.
    named = check_evidence(rules, item(rules, collected_by=FORMER), actor_id=ME, existing=stored)
    assert named.collected_by == FORMER
    with pytest.raises(Invalid) as refused:
        check_evidence(rules, item(rules, collected_by=FORMER + 1), actor_id=ME, existing=stored)
    assert refused.value.field == "collected_by"


def test_one_problem_is_invalid_and_several_name_every_field(rules: EvidenceRules) -> None:
    with pytest.raises(Invalid) as one:
        check_evidence(rules, item(rules, title=""), actor_id=ME)
    assert not isinstance(one.value, InvalidMany) and one.value.field == "title"
    with pytest.raises(InvalidMany) as many:
        check_evidence(rules, item(rules, title="", polarity="maybe"), actor_id=ME)
    assert [e["field"] for e in many.value.errors] == ["title", "polarity"]
    assert many.value.message.startswith("title: enter a title; polarity: 'maybe' is not a polarity")


def test_the_personal_free_text_is_split_from_the_rest(rules: EvidenceRules) -> None:
    content = check_evidence(rules, item(rules, narrative="Mrs B said", quote="I waited"), actor_id=ME)
    rest, personal = split_personal(content.as_dict())
    assert set(PERSONAL_FIELDS) == {"narrative", "quote"}
    assert personal == {"narrative": "Mrs B said", "quote": "I waited"}
    assert not set(rest) & set(PERSONAL_FIELDS) and {**rest, **personal} == content.as_dict()


def test_stored_keys_keep_framework_order_and_keys_the_framework_dropped_follow(rules: EvidenceRules) -> None:
    refs = rules.line_keys()
    assert framework_order(["OLD2", refs[3], "OLD1", refs[1]], refs) == (refs[1], refs[3], "OLD1", "OLD2")


def test_the_rules_module_needs_no_database_and_no_web() -> None:
    tree = ast.parse(Path(rules_module.__file__).read_text())
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    forbidden = (
        "sqlmodel",
        "sqlalchemy",
        "fastapi",
        "starlette",
        "app.core.db",
        "app.web",
        "app.evidence.models",
    )
    assert not [name for name in imported if name and name.startswith(forbidden)]
