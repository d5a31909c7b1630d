"""Small frameworks built in code for the scoring tests, and the shipped ones loaded from disk."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from app.frameworks.loader import read_framework_file
from app.frameworks.schema import Framework, cross_checks

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = {
    "local-system-review": ROOT / "frameworks" / "local-system-review.yaml",
    "integration-maturity": ROOT / "frameworks" / "integration-maturity.yaml",
    "peer-challenge": ROOT / "tests" / "fixtures" / "frameworks" / "peer-challenge.yaml",
    "narrative-review": ROOT / "tests" / "fixtures" / "frameworks" / "narrative-review.yaml",
}

# The regulator's bands, as in the domain brief: whole per cent, inclusive.
CQC_BANDS = [
    (1, "Inadequate", 25, 38),
    (2, "Requires improvement", 39, 62),
    (3, "Good", 63, 87),
    (4, "Outstanding", 88, 100),
]
CQC_LEVELS = [
    (1, "Significant shortfalls"),
    (2, "Some shortfalls"),
    (3, "Good standard"),
    (4, "Exceptional standard"),
]
CATEGORIES = [
    ("people", "People's experience"),
    ("staff", "Feedback from staff"),
    ("processes", "Processes"),
    ("outcomes", "Outcomes"),
]


@cache
def shipped(name: str) -> Framework:
    """A shipped framework or test fixture, parsed and validated by the real loader."""
    return read_framework_file(SHIPPED[name]).framework


def parts_at_or_below(scope: str, at_or_below: int, cap: int, min_count: int = 1) -> dict[str, Any]:
    return {
        "kind": "parts_at_or_below",
        "scope": scope,
        "at_or_below": at_or_below,
        "min_count": min_count,
        "cap": cap,
        "description": f"{min_count} or more parts at or below {at_or_below} cap at {cap}",
    }


def requires_for_level(scope: str, level: int, min_count: int, others: int) -> dict[str, Any]:
    return {
        "kind": "requires_for_level",
        "scope": scope,
        "level": level,
        "min_count_at_or_above": min_count,
        "others_at_or_above": others,
        "description": f"level {level} needs {min_count} parts there and the rest at {others}",
    }


def make_framework(
    domains: dict[str, Sequence[str]],
    *,
    levels: Sequence[tuple[int, str]] = CQC_LEVELS,
    bands: Sequence[tuple[int, str, int, int]] = CQC_BANDS,
    limiters: Sequence[dict[str, Any]] = (),
    weighting: str = "equal_domains",
    narrative: bool = False,
    agreement: dict[str, Any] | None = None,
    check: bool = True,
) -> Framework:
    """A framework with the given domains (key -> line refs); rated unless `narrative`."""
    data: dict[str, Any] = {
        "key": "built-in-test",
        "version": "1",
        "title": "Test framework",
        "description": "Built in a test.",
        "publisher": "Tests",
        "scale": {"mode": "narrative"}
        if narrative
        else {
            "mode": "rated",
            "levels": [{"value": v, "label": label, "descriptor": label} for v, label in levels],
        },
        "pathway_stages": [{"key": "stage", "name": "Stage"}],
        "evidence_categories": [{"key": k, "name": n} for k, n in CATEGORIES],
        "source_types": [
            {"key": "interview", "name": "Interview"},
            {"key": "survey", "name": "Survey"},
        ],
        "domains": [
            {
                "key": key,
                "name": key.replace("-", " ").capitalize(),
                "lines": [
                    {
                        "ref": ref,
                        "question": f"How well does {ref} work?",
                        "prompts": ["Look for it."],
                        **({} if narrative else {"rubric": {v: "text" for v, _ in levels}}),
                    }
                    for ref in refs
                ],
            }
            for key, refs in domains.items()
        ],
    }
    if not narrative:
        data["rollup"] = {
            "overall_weighting": weighting,
            "bands": [{"level": lv, "label": lb, "from": f, "to": t} for lv, lb, f, t in bands],
            "limiters": list(limiters),
        }
    if agreement is not None:
        data["agreement"] = agreement
    framework = Framework.model_validate(data)
    if check:
        errors = cross_checks(framework)
        assert not errors, errors
    return framework
