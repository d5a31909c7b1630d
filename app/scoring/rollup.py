"""Roll-up: moderated line ratings into domain and overall results.

A result is the sum of ratings over the maximum possible, as a percentage,
rounded half up to a whole per cent to find its band; the band gives the
computed level. Limiters whose condition holds then cap that level (they
never raise it), and a recorded override may replace the outcome, with the
computed level kept beside it. Domain limiters look at the domain's lines;
overall limiters look at the domains' final levels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from fractions import Fraction
from typing import Any

from app.frameworks.schema import Band, Framework, PartsAtOrBelow, RequiresForLevel
from app.scoring._text import half_up, num, pct, plural
from app.scoring.types import (
    BandInfo,
    DomainScore,
    LimiterResult,
    OverallScore,
    OverrideApplied,
    PositionWord,
    ResultOverride,
)


def level_label(framework: Framework, level: int) -> str:
    """The word for a result level: the band's label (e.g. Good), else the scale's label."""
    if framework.rollup is not None:
        for band in framework.rollup.bands:
            if band.level == level:
                return band.label
    for scale_level in framework.scale.levels:
        if scale_level.value == level:
            return scale_level.label
    return str(level)


def scale_label(framework: Framework, value: int) -> str:
    """The scale's word for a line rating, e.g. 'Good standard'."""
    for scale_level in framework.scale.levels:
        if scale_level.value == value:
            return scale_level.label
    return str(value)


def check_moderated(framework: Framework, moderated: Mapping[str, int]) -> None:
    """Raise ValueError for a moderated rating on an unknown line or off the scale."""
    if not moderated:
        return
    if not framework.scale.rated:
        raise ValueError("a narrative framework takes no moderated ratings")
    refs = set(framework.refs())
    values = set(framework.scale.values)
    for ref, value in moderated.items():
        if ref not in refs:
            raise ValueError(f"moderated rating for '{ref}', which is not a line of this framework")
        if value not in values:
            raise ValueError(f"moderated rating {value} for '{ref}' is not on the scale")


def _check_overrides(framework: Framework, overrides: Sequence[ResultOverride]) -> None:
    if not overrides:
        return
    if not framework.scale.rated:
        raise ValueError("a narrative framework has no results to override")
    keys = {domain.key for domain in framework.domains}
    seen: set[str | None] = set()
    for override in overrides:
        target = override.domain_key if override.scope == "domain" else None
        if override.scope == "domain" and override.domain_key not in keys:
            raise ValueError(f"override for unknown domain '{override.domain_key}'")
        if override.level not in framework.scale.values:
            raise ValueError(f"override level {override.level} is not on the scale")
        if not override.justification.strip():
            raise ValueError("an override needs a justification")
        if target in seen:
            raise ValueError(f"more than one override for {target or 'the overall result'}")
        seen.add(target)


def band_for(framework: Framework, rounded_percent: int) -> Band:
    """The band holding a whole percentage (bands are inclusive at both ends)."""
    assert framework.rollup is not None
    for band in framework.rollup.bands:
        if band.from_ <= rounded_percent <= band.to:
            return band
    raise ValueError(f"no band covers {rounded_percent}%: the framework's bands are incomplete")


def band_position(percent: Fraction, band: Band) -> tuple[Fraction, PositionWord]:
    """Where an exact percentage sits in its band: 0 at the bottom, 1 at the top, and a word.

    The word splits the band in thirds (low, middle, high); a point on a
    boundary counts as middle. A percentage that only reached the band by
    rounding sits at its edge (clamped to 0 or 1).
    """
    width = band.to - band.from_
    fraction = Fraction(1, 2) if width == 0 else (percent - band.from_) / width
    fraction = min(Fraction(1), max(Fraction(0), fraction))
    if fraction < Fraction(1, 3):
        return fraction, "low"
    if fraction > Fraction(2, 3):
        return fraction, "high"
    return fraction, "middle"


def check_limiters(
    framework: Framework,
    scope: str,
    computed: int,
    parts: Sequence[int],
    noun: str,
    part_label: Callable[[int], str],
) -> list[LimiterResult]:
    """The limiters of `scope` whose condition holds for a result and its parts.

    parts_at_or_below holds when at least `min_count` parts are at or below
    `at_or_below`. requires_for_level holds when the result is at `level` or
    above but fewer than `min_count_at_or_above` parts are, or a part below
    `level` is also below `others_at_or_above`; it caps at the highest scale
    level under `level` (and cannot apply when `level` is the lowest).
    """
    if framework.rollup is None:
        return []
    results: list[LimiterResult] = []
    for limiter in framework.rollup.limiters:
        if limiter.scope != scope:
            continue
        if isinstance(limiter, PartsAtOrBelow):
            low = sum(1 for p in parts if p <= limiter.at_or_below)
            if low < limiter.min_count:
                continue
            cap = limiter.cap
            rule = (
                f"{plural(low, noun)} at or below {limiter.at_or_below} "
                f"({part_label(limiter.at_or_below)}); {limiter.min_count} or more cap the "
                f"result at {cap} ({level_label(framework, cap)})"
            )
        elif isinstance(limiter, RequiresForLevel):
            if computed < limiter.level:
                continue
            below = [v for v in framework.scale.values if v < limiter.level]
            if not below:
                continue  # nothing lower to cap at (the schema does not forbid this)
            at_level = sum(1 for p in parts if p >= limiter.level)
            too_low = sum(1 for p in parts if p < limiter.level and p < limiter.others_at_or_above)
            if at_level >= limiter.min_count_at_or_above and too_low == 0:
                continue
            cap = max(below)
            shortfalls = []
            if at_level < limiter.min_count_at_or_above:
                shortfalls.append(
                    f"needs {plural(limiter.min_count_at_or_above, noun)} at {limiter.level} or "
                    f"above and has {at_level}"
                )
            if too_low:
                shortfalls.append(
                    f"needs every other {noun} at {limiter.others_at_or_above} or above and "
                    f"{too_low} {'is' if too_low == 1 else 'are'} below"
                )
            rule = (
                f"a result of {limiter.level} ({level_label(framework, limiter.level)}) "
                f"{' and '.join(shortfalls)}; capped at {cap} ({level_label(framework, cap)})"
            )
        else:  # pragma: no cover - the schema admits only the two kinds
            continue
        results.append(
            LimiterResult(
                kind=limiter.kind,
                description=limiter.description,
                cap=cap,
                cap_label=level_label(framework, cap),
                lowered=cap < computed,
                rule=rule,
            )
        )
    return results


@dataclass(frozen=True)
class _Levels:
    """The level fields shared by domain and overall results."""

    rounded_percent: int
    band: BandInfo
    band_position: float
    band_position_word: PositionWord
    computed_level: int
    computed_label: str
    limiters: list[LimiterResult] = field(default_factory=list)
    limited_level: int = 0
    final_level: int = 0
    final_label: str = ""
    override: OverrideApplied | None = None
    band_rule: str = ""
    level_rule: str = ""

    def result_fields(self) -> dict[str, Any]:
        """The fields a `LevelResult` takes from these levels (the band rule goes into its rule)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "band_rule"}


def _levels(
    framework: Framework,
    percent: Fraction,
    *,
    scope: str,
    parts: Sequence[int],
    noun: str,
    part_label: Callable[[int], str],
    override: ResultOverride | None,
) -> _Levels:
    rounded = half_up(percent)
    band = band_for(framework, rounded)
    position, word = band_position(percent, band)
    computed = band.level
    limiters = check_limiters(framework, scope, computed, parts, noun, part_label)
    limited = min([computed, *(limiter.cap for limiter in limiters)])
    steps = [f"band {band.label} gives level {computed} ({level_label(framework, computed)})"]
    for limiter in limiters:
        note = "" if limiter.lowered else " (the result is already at or below that)"
        steps.append(f"limiter '{limiter.description}': {limiter.rule}{note}")
    if limited < computed:
        steps.append(f"level after limiters {limited} ({level_label(framework, limited)})")
    final = limited
    applied = None
    if override is not None:
        final = override.level
        applied = OverrideApplied(
            level=override.level,
            label=level_label(framework, override.level),
            justification=override.justification.strip(),
            replaces_level=limited,
            replaces_label=level_label(framework, limited),
        )
        steps.append(
            f"the review team set level {final} ({applied.label}) in place of {limited} "
            f"({applied.replaces_label}): {applied.justification}"
        )
    else:
        steps.append(f"final level {final} ({level_label(framework, final)})")
    return _Levels(
        rounded_percent=rounded,
        band=BandInfo(level=band.level, label=band.label, from_pct=band.from_, to_pct=band.to),
        band_position=float(position),
        band_position_word=word,
        computed_level=computed,
        computed_label=level_label(framework, computed),
        limiters=limiters,
        limited_level=limited,
        final_level=final,
        final_label=level_label(framework, final),
        override=applied,
        band_rule=(
            f"rounded half up to {rounded}%; band {band.label} ({band.from_}-{band.to}%), "
            f"{_position_text(position, word)}"
        ),
        level_rule="; ".join(steps),
    )


def _position_text(position: Fraction, word: str) -> str:
    if position == 0:
        return "at the bottom of the band"
    if position == 1:
        return "at the top of the band"
    return f"{word} in the band ({num(position)} of the way up)"


def _find_override(
    overrides: Sequence[ResultOverride], scope: str, domain_key: str | None
) -> ResultOverride | None:
    for override in overrides:
        if override.scope == scope and (scope == "overall" or override.domain_key == domain_key):
            return override
    return None


def rollup_domains(
    framework: Framework,
    moderated: Mapping[str, int],
    *,
    overrides: Sequence[ResultOverride] = (),
) -> list[DomainScore]:
    """Each domain's result from its lines' moderated ratings, in framework order.

    Lines without a moderated rating are left out of both the sum and the
    maximum (the result says how many lines it rests on). A domain with no
    rated line has no result, and says so. For a narrative framework every
    domain comes back without levels. Raises ValueError for ratings or
    overrides that do not fit the framework.
    """
    check_moderated(framework, moderated)
    _check_overrides(framework, overrides)
    scores: list[DomainScore] = []
    for domain in framework.domains:
        refs = [line.ref for line in domain.lines]
        values = [moderated[ref] for ref in refs if ref in moderated]
        base = DomainScore(
            key=domain.key,
            name=domain.name,
            lines_rated=len(values),
            lines_total=len(refs),
            complete=len(values) == len(refs),
        )
        if not framework.scale.rated:
            scores.append(
                replace(
                    base,
                    complete=False,
                    reason="a narrative framework: domains are described in findings, not rated",
                )
            )
            continue
        override = _find_override(overrides, "domain", domain.key)
        if not values:
            reason = "no line in this domain has a moderated rating yet"
            if override is not None:
                reason += "; the recorded override waits until there is a result to override"
            scores.append(replace(base, reason=reason))
            continue
        top = framework.scale.top
        total, maximum = sum(values), len(values) * top
        percent = Fraction(100 * total, maximum)
        levels = _levels(
            framework,
            percent,
            scope="domain",
            parts=values,
            noun="line",
            part_label=lambda v: scale_label(framework, v),
            override=override,
        )
        rule = (
            f"sum of moderated ratings {total} over maximum {maximum} "
            f"({plural(len(values), 'rated line')} × top level {top}) = {pct(percent)}, "
            f"{levels.band_rule}"
        )
        if len(values) < len(refs):
            rule += f"; {len(values)} of {len(refs)} lines rated, the others left out"
        scores.append(
            replace(
                base,
                score_sum=total,
                max_sum=maximum,
                percent=float(percent),
                rule=rule,
                **levels.result_fields(),
            )
        )
    return scores


def rollup_overall(
    framework: Framework,
    domains: Sequence[DomainScore],
    moderated: Mapping[str, int],
    *,
    overrides: Sequence[ResultOverride] = (),
) -> OverallScore:
    """The overall result of a rated framework.

    `equal_lines` sums every moderated line rating over the maximum;
    `equal_domains` takes the mean of the domains' exact percentages, so each
    domain weighs the same whatever its number of lines. Overall limiters look
    at the domains' final levels (after their limiters and overrides).
    Raises ValueError for a narrative framework, which has no overall result.
    """
    if not framework.scale.rated or framework.rollup is None:
        raise ValueError("a narrative framework has no overall result")
    check_moderated(framework, moderated)
    _check_overrides(framework, overrides)
    weighting = framework.rollup.overall_weighting
    with_result = [d for d in domains if d.score_sum is not None and d.max_sum is not None]
    base = OverallScore(
        weighting=weighting,
        domains_with_result=len(with_result),
        domains_total=len(domains),
        complete=bool(domains) and all(d.complete for d in domains),
    )
    override = _find_override(overrides, "overall", None)
    if not with_result:
        reason = "no line has a moderated rating yet"
        if override is not None:
            reason += "; the recorded override waits until there is a result to override"
        return replace(base, reason=reason)

    refs = set(framework.refs())
    values = [value for ref, value in moderated.items() if ref in refs]
    top = framework.scale.top
    score_sum: int | None
    max_sum: int | None
    if weighting == "equal_lines":
        score_sum, max_sum = sum(values), len(values) * top
        percent = Fraction(100 * score_sum, max_sum)
        rule = (
            f"sum of moderated ratings {score_sum} over maximum {max_sum} across all domains "
            f"({plural(len(values), 'rated line')} × top level {top}; each line weighs the "
            f"same) = {pct(percent)}"
        )
    else:
        score_sum = max_sum = None
        shares = [
            Fraction(100 * d.score_sum, d.max_sum)
            for d in with_result
            if d.score_sum is not None and d.max_sum is not None
        ]
        percent = sum(shares, Fraction(0)) / len(shares)
        terms = " + ".join(pct(share) for share in shares)
        rule = (
            f"mean of the percentages of {plural(len(shares), 'domain')} with a result, each "
            f"domain weighing the same whatever its number of lines: ({terms}) / {len(shares)} "
            f"= {pct(percent)}"
        )
    parts = [d.final_level for d in with_result if d.final_level is not None]
    levels = _levels(
        framework,
        percent,
        scope="overall",
        parts=parts,
        noun="domain",
        part_label=lambda v: level_label(framework, v),
        override=override,
    )
    rule += f", {levels.band_rule}"
    if len(with_result) < len(domains):
        rule += f"; {len(with_result)} of {len(domains)} domains have a result"
    return replace(
        base,
        score_sum=score_sum,
        max_sum=max_sum,
        percent=float(percent),
        rule=rule,
        **levels.result_fields(),
    )
