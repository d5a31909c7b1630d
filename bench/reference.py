"""The same report content laid out as plain auto-width tables: the reference the real layout must beat."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import jinja2

HERE = Path(__file__).parent / "reference"


def _cells(value: Any) -> list[str]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [str(v) for v in _flat(dataclasses.asdict(value))]
    if isinstance(value, dict):
        return [str(v) for v in _flat(value)]
    return [str(value)]


def _flat(value: Any) -> list[Any]:
    """Every scalar inside a nested structure, in order (SVG markup is left out: no charts here)."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in _flat(v)]
    if isinstance(value, list | tuple):
        return [x for v in value for x in _flat(v)]
    if isinstance(value, str) and value.lstrip().startswith("<svg"):
        return []
    return [value]


def sections_of(context: Any) -> list[dict[str, Any]]:
    """One table per top-level part of the report context, one row per item in it."""
    sections = []
    for field in dataclasses.fields(context):
        value = getattr(context, field.name)
        if isinstance(value, list | tuple) and value:
            rows = [_cells(item) for item in value]
        elif dataclasses.is_dataclass(value):
            data = dataclasses.asdict(value)
            rows = []
            for name, part in data.items():
                if isinstance(part, list | tuple):
                    rows.extend([_cells(item) for item in part])
                else:
                    rows.append([name, *(_cells(part))])
        else:
            continue
        sections.append({"title": field.name.replace("_", " ").capitalize(), "rows": rows})
    return sections


def reference_html(context: Any) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE), autoescape=True)
    return env.get_template("report.html").render(
        r=context,
        sections=sections_of(context),
        rows=lambda obj: [
            (k, v) for k, v in dataclasses.asdict(obj).items() if not isinstance(v, list | dict)
        ],
    )


def reference_css() -> str:
    return (HERE / "reference.css").read_text()
