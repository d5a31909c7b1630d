"""Agreement between raters, and the gap between kinds of partner organisation.

Following the consensus method the product models, a set of ratings is
"split" when more than a set share of them lie further than a set distance
from the median; the framework's `agreement` block gives both numbers.
Comparisons use exact fractions, so "exactly one third" is never misjudged
through floating point.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Sequence
from fractions import Fraction

from app.frameworks.schema import Agreement
from app.scoring._text import num, plural, signed
from app.scoring.types import AgreementResult, OrgGap, RatingInput

# The app's fixed partner organisation types (not framework data): the pair the
# brief singles out, NHS bodies against councils.
DEFAULT_ORG_PAIRS: tuple[tuple[frozenset[str], frozenset[str], str], ...] = (
    (
        frozenset({"nhs_trust", "icb", "primary_care"}),
        frozenset({"local_authority"}),
        "NHS bodies against councils",
    ),
)


def _distance_text(distance: Fraction) -> str:
    if distance == 0:
        return "away from"
    unit = "level" if distance == 1 else "levels"
    return f"more than {num(distance)} {unit} from"


def agreement(values: Sequence[float | int], rule: Agreement, *, noun: str = "rating") -> AgreementResult:
    """Spread and agreement of a set of ratings.

    Quartiles use the 'inclusive' method of `statistics.quantiles` (the data
    are treated as the whole population, as for the raters of one review);
    with one value the IQR is 0. A rating counts as far when it lies more than
    `rule.max_distance` from the median; the set is split when the share of
    far ratings is strictly more than `rule.split_share`. `noun` names one
    rating in the rule text ("self-assessment rating").
    """
    ordered = sorted(float(v) for v in values)
    n = len(ordered)
    nouns = noun + "s"
    if n == 0:
        return AgreementResult(
            n=0,
            values=[],
            median=None,
            minimum=None,
            maximum=None,
            range=None,
            q1=None,
            q3=None,
            iqr=None,
            far_count=0,
            flag="none",
            rule=f"no {nouns} yet",
        )
    median = Fraction(statistics.median(ordered))
    if n == 1:
        only = ordered[0]
        return AgreementResult(
            n=1,
            values=ordered,
            median=only,
            minimum=only,
            maximum=only,
            range=0.0,
            q1=only,
            q3=only,
            iqr=0.0,
            far_count=0,
            flag="single",
            rule=f"only 1 {noun} ({num(only)}): agreement needs at least two",
        )
    q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    distance = Fraction(rule.max_distance)
    far = sum(1 for v in ordered if abs(Fraction(v) - median) > distance)
    share = Fraction(far, n)
    is_split = share > rule.split_share
    verb = "lies" if far == 1 else "lie"
    comparison = "more than" if is_split else "no more than"
    spread = (
        f"median of {n} {nouns} = {num(median)} (range {num(ordered[0])}-{num(ordered[-1])}, "
        f"IQR {num(q3 - q1)})"
    )
    verdict = (
        f"{'split' if is_split else 'agreed'}: {far} of {n} {nouns} ({comparison} "
        f"{rule.split_share}) {verb} {_distance_text(distance)} the median {num(median)}"
    )
    return AgreementResult(
        n=n,
        values=ordered,
        median=float(median),
        minimum=ordered[0],
        maximum=ordered[-1],
        range=ordered[-1] - ordered[0],
        q1=float(q1),
        q3=float(q3),
        iqr=float(q3 - q1),
        far_count=far,
        flag="split" if is_split else "agreed",
        rule=f"{spread}; {verdict}",
    )


def org_gap(
    ratings: Sequence[RatingInput],
    types_a: Collection[str],
    types_b: Collection[str],
    *,
    name: str = "",
    max_distance: float = 1,
) -> OrgGap:
    """Median self-assessment of organisations of `types_a` minus that of `types_b`.

    Only self-assessment ratings count (the review team rates as one team, not
    as partners). Pass one line's ratings for a line gap, or more for a wider
    one. The gap is None when either side has no rating; `far_apart` is set
    when the medians differ by more than `max_distance` levels, the same
    distance that counts a single rater as far from the rest.
    """
    own = [r for r in ratings if r.group == "self_assessment" and r.org_type is not None]
    side_a = [r.value for r in own if r.org_type in types_a]
    side_b = [r.value for r in own if r.org_type in types_b]
    label = name or f"{'/'.join(sorted(types_a))} against {'/'.join(sorted(types_b))}"
    gap: Fraction | None = None
    far_apart = False
    if not side_a or not side_b:
        missing = " and ".join(
            text for text, side in (("the first group", side_a), ("the second group", side_b)) if not side
        )
        rule = f"{label}: no gap, as {missing} gave no self-assessment rating"
    else:
        median_a = Fraction(statistics.median(side_a))
        median_b = Fraction(statistics.median(side_b))
        gap = median_a - median_b
        far_apart = abs(gap) > Fraction(max_distance)
        rule = (
            f"{label}: median {num(median_a)} ({plural(len(side_a), 'rating')}) minus median "
            f"{num(median_b)} ({plural(len(side_b), 'rating')}) = {signed(gap)}"
        )
        if far_apart:
            rule += f", more than {num(max_distance)} apart"
    return OrgGap(
        name=label,
        types_a=sorted(types_a),
        types_b=sorted(types_b),
        n_a=len(side_a),
        n_b=len(side_b),
        median_a=_median(side_a),
        median_b=_median(side_b),
        gap=None if gap is None else float(gap),
        far_apart=far_apart,
        rule=rule,
    )


def _median(values: Sequence[int]) -> float | None:
    return float(statistics.median(values)) if values else None
