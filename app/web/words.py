"""Plain words for the stored codes of the app's own vocabulary (never a framework's).

Shared by every web module, so a status or a role reads the same on every page.
"""

from __future__ import annotations

from collections.abc import Mapping

STATUS_WORDS = {
    "planning": "Planning",
    "fieldwork": "Fieldwork",
    "moderation": "Moderation",
    "reporting": "Reporting",
    "published": "Published",
}
KIND_WORDS = {
    "external_review": "External review",
    "peer_review": "Peer review",
    "self_assessment": "Self-assessment",
    "progress_review": "Progress review",
}
ROLE_WORDS = {
    "lead": "Lead",
    "reviewer": "Reviewer",
    "self_assessor": "Self-assessor",
    "report_writer": "Report writer",
    "observer": "Observer",
}
ORG_TYPE_WORDS = {
    "nhs_trust": "NHS trust",
    "icb": "Integrated care board",
    "local_authority": "Council (local authority)",
    "primary_care": "Primary care",
    "care_provider": "Care provider",
    "voluntary_sector": "Voluntary sector",
    "healthwatch": "Healthwatch",
    "other": "Other",
}
# By kind of code, as templates look them up: words.status[review.status].
WORDS = {"status": STATUS_WORDS, "kind": KIND_WORDS, "role": ROLE_WORDS, "org_type": ORG_TYPE_WORDS}


def word(codes: Mapping[str, str], code: str) -> str:
    """The plain words for a code, or the code made readable when it has none."""
    return codes.get(code, code.replace("_", " ").capitalize())


def options(codes: tuple[str, ...], words: Mapping[str, str]) -> list[tuple[str, str]]:
    """(code, words) pairs for a select or radios, in the order of `codes`."""
    return [(code, word(words, code)) for code in codes]
