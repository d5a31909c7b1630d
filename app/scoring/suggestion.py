"""An evidence-based hint for a line's rating, from the balance of what the evidence says.

The hint maps the balance of strengths against concerns linearly onto the
scale: all strengths gives the top level, all concerns the lowest, an even
balance the middle. Context evidence describes rather than judges, so it does
not move the hint. It is only ever a hint: the review team decides ratings.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from app.frameworks.schema import Framework
from app.scoring._text import num, plural
from app.scoring.coverage import category_names
from app.scoring.rollup import scale_label
from app.scoring.types import Confidence, EvidenceSignal, Suggestion

HINT_NOTE = "this is a hint from the evidence only; the review team decides the rating"
RULE = (
    "hint: balance = (strengths - concerns) / (strengths + concerns), placed on the scale at "
    "lowest + (balance + 1) / 2 x (top - lowest), then the nearest level (a tie goes to the "
    "lower level, so a hint never overstates); confidence low with fewer than 3 strengths and "
    "concerns or a single category, high with 6 or more from 3 or more categories, else medium"
)


def _confidence(count: int, categories: list[str]) -> tuple[Confidence, str]:
    if len(categories) == 1:
        return "low", (f"confidence low: all from one evidence category ({categories[0]}), not triangulated")
    if count < 3:
        found = plural(count, "strength or concern", "strengths and concerns")
        return "low", f"confidence low: only {found}"
    if count >= 6 and len(categories) >= 3:
        return "high", (f"confidence high: {count} strengths and concerns from {len(categories)} categories")
    return "medium", (f"confidence medium: {count} strengths and concerns from {len(categories)} categories")


def nearest_level(values: Sequence[int], position: Fraction) -> int:
    """The scale value nearest to a position; ties go to the lower value."""
    return min(values, key=lambda v: (abs(Fraction(v) - position), v))


def suggest(framework: Framework, signals: Sequence[EvidenceSignal]) -> Suggestion:
    """A hint for one line's rating from the evidence linked to it (pass that line's signals).

    No evidence, or only context, gives no level and says why. A narrative
    framework gets reasons only, never a level or a number.
    """
    strengths = sum(1 for s in signals if s.polarity == "strength")
    concerns = sum(1 for s in signals if s.polarity == "concern")
    context = sum(1 for s in signals if s.polarity == "context")
    judging = strengths + concerns
    names = category_names(framework, {s.category for s in signals if s.polarity != "context"})

    def without_level(reasons: list[str], *, confidence: Confidence = "none", rule: str = RULE) -> Suggestion:
        return Suggestion(
            level=None,
            label=None,
            position=None,
            balance=None,
            strengths=strengths,
            concerns=concerns,
            context=context,
            categories=names,
            confidence=confidence,
            reasons=reasons,
            rule=rule,
        )

    def empty(reason: str) -> Suggestion:
        return without_level([reason, HINT_NOTE])

    if not signals:
        return empty("no evidence is linked to this line yet, so there is no hint")
    if judging == 0:
        return empty(
            f"only context evidence ({plural(context, 'piece')}), which describes rather than "
            "judges, so there is no hint"
        )
    summary = (
        f"{plural(strengths, 'strength')} and {plural(concerns, 'concern')} from "
        f"{plural(len(names), 'evidence category', 'evidence categories')} ({', '.join(names)})"
    )
    if context:
        summary += f", plus {plural(context, 'piece')} of context"
    confidence, confidence_reason = _confidence(judging, names)

    if not framework.scale.rated:
        leaning = (
            "more strengths than concerns"
            if strengths > concerns
            else "more concerns than strengths"
            if concerns > strengths
            else "as many strengths as concerns"
        )
        return without_level(
            [
                summary,
                f"the evidence shows {leaning}; a narrative framework has no levels",
                confidence_reason,
                "this is a hint from the evidence only; the review team writes the findings",
            ],
            confidence=confidence,
            rule="hint: the balance of strengths and concerns, described in words",
        )

    lowest, top = framework.scale.lowest, framework.scale.top
    balance = Fraction(strengths - concerns, judging)
    position = lowest + (balance + 1) / 2 * (top - lowest)
    level = nearest_level(framework.scale.values, position)
    label = scale_label(framework, level)
    placing = (
        f"balance ({strengths} - {concerns}) / ({strengths} + {concerns}) = {num(balance)}, "
        f"which sits at {num(position)} on the {lowest}-{top} scale; the nearest level is "
        f"{level} ({label})"
    )
    return Suggestion(
        level=level,
        label=label,
        position=float(position),
        balance=float(balance),
        strengths=strengths,
        concerns=concerns,
        context=context,
        categories=names,
        confidence=confidence,
        reasons=[summary, placing, confidence_reason, HINT_NOTE],
        rule=RULE,
    )
