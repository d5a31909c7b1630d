"""The framework format as pydantic models: plain data the whole app reads.

Structural checks (types, required fields) live on the models; the checks that
relate one part of a file to another (unique refs, rubric levels, band gaps)
live in `cross_checks` so each error can name the exact path it concerns.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Ref = Annotated[str, Field(pattern=r"^[A-Z]{1,4}[0-9]{1,2}$")]
Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Level(_Strict):
    value: int
    label: Text
    descriptor: Text


class Scale(_Strict):
    mode: Literal["rated", "narrative"]
    levels: list[Level] = Field(default_factory=list)

    @property
    def rated(self) -> bool:
        return self.mode == "rated"

    @property
    def values(self) -> list[int]:
        return [level.value for level in self.levels]

    @property
    def lowest(self) -> int:
        return self.levels[0].value

    @property
    def top(self) -> int:
        return self.levels[-1].value

    def label(self, value: int) -> str:
        for level in self.levels:
            if level.value == value:
                return level.label
        raise KeyError(value)


class NamedItem(_Strict):
    key: Key
    name: Text
    description: str = ""


class LineOfEnquiry(_Strict):
    ref: Ref
    question: Text
    prompts: list[Text] = Field(min_length=1)
    rubric: dict[int, Text] = Field(default_factory=dict)


class Domain(_Strict):
    key: Key
    name: Text
    description: str = ""
    lines: list[LineOfEnquiry] = Field(min_length=1)


class Indicator(_Strict):
    key: Key
    name: Text
    definition: Text
    unit: Text
    better: Literal["lower", "higher"]
    source: Text
    risk_threshold: float | None = None


class Band(_Strict):
    level: int
    label: Text
    from_: int = Field(alias="from", ge=0, le=100)
    to: int = Field(ge=0, le=100)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PartsAtOrBelow(_Strict):
    """N or more parts at or below a level cap the whole at `cap`."""

    kind: Literal["parts_at_or_below"]
    scope: Literal["domain", "overall"]
    at_or_below: int
    min_count: int = Field(default=1, ge=1)
    cap: int
    description: Text


class RequiresForLevel(_Strict):
    """A result at `level` needs enough parts at that level and the rest high enough."""

    kind: Literal["requires_for_level"]
    scope: Literal["domain", "overall"]
    level: int
    min_count_at_or_above: int = Field(ge=1)
    others_at_or_above: int
    description: Text


Limiter = Annotated[PartsAtOrBelow | RequiresForLevel, Field(discriminator="kind")]


class Rollup(_Strict):
    overall_weighting: Literal["equal_domains", "equal_lines"] = "equal_domains"
    bands: list[Band] = Field(min_length=1)
    limiters: list[Limiter] = Field(default_factory=list)


class Agreement(_Strict):
    max_distance: float = Field(default=1, ge=0)
    split_share: Fraction = Fraction(1, 3)

    @field_validator("split_share", mode="before")
    @classmethod
    def _parse_share(cls, value: object) -> Fraction:
        try:
            share = Fraction(str(value))
        except (ValueError, ZeroDivisionError) as exc:
            raise ValueError("must be a fraction such as 1/3 or a number such as 0.25") from exc
        if not 0 <= share < 1:
            raise ValueError("must be at least 0 and less than 1")
        return share


class GlossaryEntry(_Strict):
    term: Text
    definition: Text


# The version of the file format itself (docs/framework-format.md), not of a framework. A file
# may leave it out; a format this code does not know is refused rather than half-read.
FORMAT_VERSION: Literal[1] = 1


class Framework(_Strict):
    format: Literal[1] = FORMAT_VERSION
    key: Key
    version: Annotated[str, Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]*$", max_length=32)]
    title: Text
    description: Text
    publisher: Text
    language: str = "en-GB"
    scale: Scale
    pathway_stages: list[NamedItem] = Field(min_length=1)
    evidence_categories: list[NamedItem] = Field(min_length=1)
    source_types: list[NamedItem] = Field(min_length=1)
    domains: list[Domain] = Field(min_length=1)
    indicators: list[Indicator] = Field(default_factory=list)
    rollup: Rollup | None = None
    agreement: Agreement = Agreement()
    glossary: list[GlossaryEntry] = Field(default_factory=list)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: object) -> object:
        # An unquoted `version: 1.0` arrives as a float; keep what the author wrote.
        return str(value) if isinstance(value, int | float) else value

    # Lookups used across the app.
    def lines(self) -> list[tuple[Domain, LineOfEnquiry]]:
        return [(domain, line) for domain in self.domains for line in domain.lines]

    def line(self, ref: str) -> LineOfEnquiry | None:
        return next((line for _, line in self.lines() if line.ref == ref), None)

    def domain_of(self, ref: str) -> Domain | None:
        return next((domain for domain, line in self.lines() if line.ref == ref), None)

    def refs(self) -> list[str]:
        return [line.ref for _, line in self.lines()]


Path = tuple[str | int, ...]


def _duplicates(items: list[str]) -> list[int]:
    seen: set[str] = set()
    dupes = []
    for index, item in enumerate(items):
        if item in seen:
            dupes.append(index)
        seen.add(item)
    return dupes


def cross_checks(fw: Framework) -> list[tuple[Path, str]]:
    """Checks that relate parts of a framework to each other; each error carries its path."""
    errors: list[tuple[Path, str]] = []

    def unique(field: str, keys: list[str], attr: str = "key") -> None:
        for index in _duplicates(keys):
            errors.append(((field, index, attr), f"duplicate {attr} '{keys[index]}'"))

    unique("pathway_stages", [s.key for s in fw.pathway_stages])
    unique("evidence_categories", [c.key for c in fw.evidence_categories])
    unique("source_types", [s.key for s in fw.source_types])
    unique("domains", [d.key for d in fw.domains])
    unique("indicators", [i.key for i in fw.indicators])

    seen_refs: dict[str, Path] = {}
    for d_index, domain in enumerate(fw.domains):
        for l_index, line in enumerate(domain.lines):
            path: Path = ("domains", d_index, "lines", l_index)
            if line.ref in seen_refs:
                first = ".".join(str(p) for p in seen_refs[line.ref])
                errors.append(((*path, "ref"), f"duplicate ref '{line.ref}' (first used at {first})"))
            else:
                seen_refs[line.ref] = path
            if fw.scale.rated:
                for value in line.rubric:
                    if value not in fw.scale.values:
                        errors.append(
                            ((*path, "rubric", value), f"rubric for level {value}, which the scale lacks")
                        )
                for value in fw.scale.values:
                    if value not in line.rubric:
                        errors.append(((*path, "rubric"), f"no rubric text for level {value}"))
            elif line.rubric:
                errors.append(((*path, "rubric"), "a narrative framework has no rubric"))

    if fw.scale.rated:
        errors.extend(_check_scale(fw))
    elif fw.rollup is not None:
        errors.append((("rollup",), "a narrative framework has no roll-up"))
    return errors


def _check_scale(fw: Framework) -> list[tuple[Path, str]]:
    errors: list[tuple[Path, str]] = []
    levels = fw.scale.levels
    if len(levels) < 2:
        return [(("scale", "levels"), "a rated scale needs at least two levels")]
    for index in range(1, len(levels)):
        if levels[index].value <= levels[index - 1].value:
            errors.append(
                (("scale", "levels", index, "value"), "level values must increase from worst to best")
            )
    if errors:
        return errors
    if levels[0].value < 0:
        return [(("scale", "levels", 0, "value"), "level values must be 0 or more")]
    if levels[-1].value <= 0:
        return [(("scale", "levels"), "the top level must be above 0")]
    if fw.rollup is None:
        return [(("rollup",), "a rated framework needs a roll-up with percentage bands")]

    values = fw.scale.values
    bands = fw.rollup.bands
    lowest_pct = int(Fraction(levels[0].value * 100, levels[-1].value))
    for index, band in enumerate(bands):
        path: Path = ("rollup", "bands", index)
        if band.level not in values:
            errors.append(((*path, "level"), f"level {band.level} is not on the scale"))
        if band.to < band.from_:
            errors.append(((*path, "to"), f"band ends ({band.to}) before it starts ({band.from_})"))
        if index == 0 and band.from_ > lowest_pct:
            errors.append(
                ((*path, "from"), f"bands must start at or below {lowest_pct}%, the lowest possible")
            )
        if index > 0:
            previous = bands[index - 1]
            if band.from_ > previous.to + 1:
                errors.append(
                    ((*path, "from"), f"gap between {previous.to}% and {band.from_}%: no band covers it")
                )
            elif band.from_ <= previous.to:
                errors.append(
                    ((*path, "from"), f"overlaps the band before ({previous.from_}-{previous.to}%)")
                )
            if band.level <= previous.level:
                errors.append(((*path, "level"), "bands must run from the lowest level to the highest"))
    if bands and bands[-1].to != 100:
        errors.append((("rollup", "bands", len(bands) - 1, "to"), "the last band must end at 100"))

    for index, limiter in enumerate(fw.rollup.limiters):
        path = ("rollup", "limiters", index)
        named = (
            {"at_or_below": limiter.at_or_below, "cap": limiter.cap}
            if isinstance(limiter, PartsAtOrBelow)
            else {"level": limiter.level, "others_at_or_above": limiter.others_at_or_above}
        )
        for field, value in named.items():
            if value not in values:
                errors.append(((*path, field), f"level {value} is not on the scale"))
        if isinstance(limiter, RequiresForLevel):
            if limiter.level == values[0]:
                errors.append(
                    (
                        (*path, "level"),
                        "the lowest level cannot require anything: there is no lower level to cap at",
                    )
                )
            if limiter.others_at_or_above > limiter.level:
                errors.append(
                    ((*path, "others_at_or_above"), f"must be at most the level it guards ({limiter.level})")
                )
    return errors
