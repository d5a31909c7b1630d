"""Who may do what in a review: the one table every endpoint and page consults.

A pure function of role, action and review state, so it can be tested alone.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    lead = "lead"
    reviewer = "reviewer"
    self_assessor = "self_assessor"
    report_writer = "report_writer"
    observer = "observer"


class Action(StrEnum):
    read_review = "read_review"  # review details, framework, partners, team
    manage_review = "manage_review"  # edit review, status, team, partners, invitations
    read_evidence = "read_evidence"  # evidence, attachments, coverage, data profile
    write_evidence = "write_evidence"  # evidence, attachments, import, data profile
    restore_evidence = "restore_evidence"  # undelete
    rate_self = "rate_self"  # own self-assessment ratings
    rate_team = "rate_team"  # own review-team ratings
    read_ratings = "read_ratings"  # everyone's ratings, scores, moderation
    moderate = "moderate"  # moderated ratings, overrides
    write_findings = "write_findings"  # findings, recommendations, report text
    read_report = "read_report"  # report preview and download
    export_report = "export_report"  # start a render
    read_audit = "read_audit"
    write_action_plan = "write_action_plan"  # after publication


_TEAM = {Role.lead, Role.reviewer, Role.report_writer, Role.observer}

ALLOWED: dict[Action, set[Role]] = {
    Action.read_review: set(Role),
    Action.manage_review: {Role.lead},
    Action.read_evidence: _TEAM,
    Action.write_evidence: {Role.lead, Role.reviewer},
    Action.restore_evidence: {Role.lead},
    Action.rate_self: {Role.self_assessor},
    Action.rate_team: {Role.lead, Role.reviewer},
    Action.read_ratings: _TEAM,
    Action.moderate: {Role.lead},
    Action.write_findings: {Role.lead, Role.report_writer},
    Action.read_report: _TEAM,
    Action.export_report: {Role.lead, Role.report_writer},
    Action.read_audit: {Role.lead},
    Action.write_action_plan: {Role.lead, Role.report_writer, Role.self_assessor},
}

# Once published, what was kept from self-assessors becomes public to them too.
_OPEN_AFTER_PUBLICATION = {Action.read_evidence, Action.read_ratings, Action.read_report}
_READS = {
    Action.read_review,
    Action.read_evidence,
    Action.read_ratings,
    Action.read_report,
    Action.read_audit,
    Action.export_report,
}


def allows(role: Role | None, action: Action, *, published: bool, is_admin: bool = False) -> bool:
    """True when a member with `role` may take `action` on a review in this state."""
    if published and action not in _READS and action is not Action.write_action_plan:
        return False  # published reviews are read-only, but for the action plan
    if not published and action is Action.write_action_plan:
        return False  # the action plan follows publication
    if is_admin:
        return True
    if role is None:
        return False
    if role in ALLOWED[action]:
        return True
    return published and role is Role.self_assessor and action in _OPEN_AFTER_PUBLICATION
