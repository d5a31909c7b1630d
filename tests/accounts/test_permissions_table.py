"""`allows` for every role, every action, before and after publication.

The expected table is written out by hand from the role descriptions in docs/accounts.md, not
derived from permissions.py, so a change to the table there has to be made here on purpose too.
"""

from __future__ import annotations

import itertools

import pytest

from app.accounts.permissions import ALLOWED, Action, Role, allows

A = Action
READS_FOR_TEAM = {A.read_review, A.read_evidence, A.read_ratings, A.read_report}

BEFORE_PUBLICATION: dict[Role, set[Action]] = {
    Role.lead: {
        A.read_review, A.manage_review, A.read_evidence, A.write_evidence, A.restore_evidence, A.rate_team,
        A.read_ratings, A.moderate, A.write_findings, A.read_report, A.export_report, A.read_audit,
    },
    Role.reviewer: READS_FOR_TEAM | {A.write_evidence, A.rate_team},
    # Kept from the review team's evidence, draft ratings and report until publication.
    Role.self_assessor: {A.read_review, A.rate_self},
    Role.report_writer: READS_FOR_TEAM | {A.write_findings, A.export_report},
    Role.observer: set(READS_FOR_TEAM),
}  # fmt: skip

AFTER_PUBLICATION: dict[Role, set[Action]] = {
    # Published reviews are read-only, but for the action plan that follows them.
    Role.lead: READS_FOR_TEAM | {A.export_report, A.read_audit, A.write_action_plan},
    Role.reviewer: set(READS_FOR_TEAM),
    Role.self_assessor: READS_FOR_TEAM | {A.write_action_plan},
    Role.report_writer: READS_FOR_TEAM | {A.export_report, A.write_action_plan},
    Role.observer: set(READS_FOR_TEAM),
}

ADMIN_BEFORE = set(Action) - {A.write_action_plan}
ADMIN_AFTER = READS_FOR_TEAM | {A.export_report, A.read_audit, A.write_action_plan}


@pytest.mark.parametrize(
    ("role", "action", "published"), list(itertools.product(list(Role), list(Action), [False, True]))
)
def test_allows_matches_the_table(role: Role, action: Action, published: bool):
    table = AFTER_PUBLICATION if published else BEFORE_PUBLICATION
    assert allows(role, action, published=published) is (action in table[role])


@pytest.mark.parametrize(("action", "published"), list(itertools.product(list(Action), [False, True])))
def test_administrator_without_a_role(action: Action, published: bool):
    expected = ADMIN_AFTER if published else ADMIN_BEFORE
    assert allows(None, action, published=published, is_admin=True) is (action in expected)
    # An administrator's own role never narrows what they can do.
    for role in Role:
        assert allows(role, action, published=published, is_admin=True) is (action in expected)


@pytest.mark.parametrize(("action", "published"), list(itertools.product(list(Action), [False, True])))
def test_no_role_and_not_admin_allows_nothing(action: Action, published: bool):
    assert allows(None, action, published=published) is False


def test_every_action_has_a_row():
    assert set(ALLOWED) == set(Action)


def test_self_assessor_never_sees_team_material_before_publication():
    for action in (A.read_evidence, A.read_ratings, A.read_report, A.read_audit):
        assert not allows(Role.self_assessor, action, published=False)
        assert allows(Role.self_assessor, action, published=True) is (action is not A.read_audit)
