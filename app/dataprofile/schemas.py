"""Request and response shapes for the data profile."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ComparisonWord = Literal["better", "worse", "same"]


class IndicatorValueIn(BaseModel):
    """A figure for one indicator. Comparators are optional; a finite number is required."""

    model_config = ConfigDict(extra="forbid")

    value: float = Field(description="This area's figure, in the indicator's unit")
    period: str = Field(max_length=60, description="The period it covers, such as 2024-25 or Q3 2024")
    source: str = Field(
        default="", max_length=300, description="Where the figure came from, if not the usual source"
    )
    england: float | None = Field(default=None, description="The England figure for the same period")
    similar_areas: float | None = Field(default=None, description="The average of similar areas")
    note: str = Field(default="", max_length=2000)


class StoredValue(BaseModel):
    value: float
    period: str
    source: str
    england: float | None
    similar_areas: float | None
    note: str
    updated_at: dt.datetime


class IndicatorPublic(BaseModel):
    """A catalogue indicator with the review's figure and how it reads against each comparator."""

    key: str
    name: str
    definition: str
    unit: str
    better: Literal["lower", "higher"]
    source: str = Field(description="The catalogue's usual source")
    risk_threshold: float | None
    value: StoredValue | None = Field(description="Null until a figure is entered")
    comparisons: dict[str, ComparisonWord | None] = Field(
        description="For england and similar_areas: better, worse or same; null with no comparator"
    )
    risk: bool = Field(description="True when the figure is past the risk threshold in the bad direction")
