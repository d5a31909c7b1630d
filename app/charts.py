"""Charts as SVG markup: pure functions from numbers and words to a string.

The markup is meant to be placed inline in an HTML page or report, where the
HTML parser puts it in the SVG namespace; it therefore carries no namespace
declaration and no reference to anything outside itself (no links, images,
fonts, scripts or event handlers). Every piece of text is escaped. Each chart
has role="img", a <title> and a <desc> that states the data in words, so a
screen reader (or a reader of the PDF's text) gets what the picture shows.
Series differ by line pattern and marker shape as well as by colour.
"""

from __future__ import annotations

import hashlib
import html
import math
import statistics
import textwrap
from collections.abc import Mapping, Sequence
from typing import Literal

TEXT = "#1a1a1a"
MUTED = "#595959"  # 7:1 on white, for axis text and grid labels
GRID = "#b3b3b3"
# Colour, dash pattern and marker for each series in turn: each colour has at
# least 6:1 contrast on white, and no two series share a pattern or a shape.
STYLES: tuple[tuple[str, str | None, str], ...] = (
    ("#1d4f91", None, "circle"),
    ("#a33b00", "7 4", "square"),
    ("#2f6b2f", "2 3", "diamond"),
    ("#6a3d9a", "10 3 2 3", "triangle"),
)
FONT = "sans-serif"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _n(value: float) -> str:
    """A coordinate, short and stable."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _fmt(value: float, places: int = 1) -> str:
    """A value as printed on a chart: thousands separators, at most `places` decimals."""
    text = f"{value:,.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _chart_id(kind: str, *parts: object) -> str:
    # Deterministic, so the same data always gives the same markup, and distinct
    # enough that two charts on one page do not share title/desc ids.
    digest = hashlib.sha256(repr((kind, parts)).encode()).hexdigest()[:10]
    return f"{kind}-{digest}"


def _svg(chart_id: str, width: int, height: int, title: str, desc: str, body: list[str]) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="{FONT}" '
        f'font-size="13" fill="{TEXT}">'
        f'<title id="{chart_id}-title">{_e(title)}</title>'
        f'<desc id="{chart_id}-desc">{_e(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _wrap(text: str, width: int, max_lines: int = 2) -> list[str]:
    """Break text into at most `max_lines` lines of about `width` characters."""
    lines = textwrap.wrap(text, width=width, break_long_words=True) or [""]
    if len(lines) > max_lines:
        rest = " ".join(lines[max_lines - 1 :])
        lines = lines[: max_lines - 1] + [rest[: max(1, width - 1)].rstrip() + "…"]
    return lines


def _text_block(
    x: float,
    y: float,
    lines: Sequence[str],
    *,
    anchor: str = "start",
    size: int = 13,
    weight: str | None = None,
    fill: str = TEXT,
    line_height: float = 15,
) -> str:
    spans = "".join(
        f'<tspan x="{_n(x)}" dy="{0 if i == 0 else _n(line_height)}">{_e(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    bold = f' font-weight="{weight}"' if weight else ""
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{size}"'
        f'{bold} fill="{fill}">{spans}</text>'
    )


def _marker(shape: str, x: float, y: float, colour: str, size: float = 4.5, hollow: bool = False) -> str:
    fill = "#ffffff" if hollow else colour
    paint = f'fill="{fill}" stroke="{colour}" stroke-width="1.5"'
    if shape == "circle":
        return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(size)}" {paint}/>'
    if shape == "square":
        s = size * 0.9
        return f'<rect x="{_n(x - s)}" y="{_n(y - s)}" width="{_n(2 * s)}" height="{_n(2 * s)}" {paint}/>'
    if shape == "diamond":
        s = size * 1.25
        points = [(x, y - s), (x + s, y), (x, y + s), (x - s, y)]
    else:
        s = size * 1.3
        points = [(x, y - s), (x + s, y + s * 0.8), (x - s, y + s * 0.8)]
    coords = " ".join(f"{_n(px)},{_n(py)}" for px, py in points)
    return f'<polygon points="{coords}" {paint}/>'


def _dash(pattern: str | None) -> str:
    return f' stroke-dasharray="{pattern}"' if pattern else ""


def _legend(names: Sequence[str], top: float, width: int) -> tuple[list[str], float]:
    """A legend of line samples with markers; returns the markup and the height used."""
    body: list[str] = []
    per_row = max(1, min(len(names), 3))
    column = (width - 40) / per_row
    for index, name in enumerate(names):
        colour, dash, shape = STYLES[index % len(STYLES)]
        x = 20 + (index % per_row) * column
        y = top + (index // per_row) * 22
        body.append(
            f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + 34)}" y2="{_n(y)}" stroke="{colour}" '
            f'stroke-width="2.5"{_dash(dash)}/>'
        )
        body.append(_marker(shape, x + 17, y, colour))
        label = _wrap(name, max(8, int(column / 7.5) - 6), 1)
        body.append(_text_block(x + 42, y + 4.5, label))
    rows = math.ceil(len(names) / per_row) if names else 0
    return body, rows * 22


def radar_chart(
    axes: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    minimum: float,
    maximum: float,
    title: str,
    levels: Sequence[tuple[float, str]] = (),
) -> str:
    """A radar chart of one or more series over 3 to 12 axes (e.g. self-assessment against
    moderated level per domain).

    Values run from `minimum` at the centre to `maximum` at the rim (values
    outside are drawn at the nearest end). A None value leaves a gap: the
    line stops either side of it. `levels` draws a labelled ring at each
    value (for instance each scale level and its word); without it four
    evenly spaced numbered rings are drawn. Long axis labels wrap onto two
    lines. Raises ValueError for fewer than 3 or more than 12 axes, a series
    of the wrong length, or `maximum` not above `minimum`.
    """
    count = len(axes)
    if not 3 <= count <= 12:
        raise ValueError(f"a radar chart needs 3 to 12 axes, not {count}")
    if maximum <= minimum:
        raise ValueError("maximum must be above minimum")
    for name, values in series:
        if len(values) != count:
            raise ValueError(f"series '{name}' has {len(values)} values for {count} axes")

    width, radius, cx, cy = 640, 165.0, 320.0, 280.0

    def angle(index: int) -> float:
        return -math.pi / 2 + 2 * math.pi * index / count

    def point(index: int, value: float) -> tuple[float, float]:
        share = (min(max(value, minimum), maximum) - minimum) / (maximum - minimum)
        return (
            cx + radius * share * math.cos(angle(index)),
            cy + radius * share * math.sin(angle(index)),
        )

    body = [_text_block(width / 2, 26, _wrap(title, 70, 1), anchor="middle", size=16, weight="bold")]
    rings = list(levels) or [
        (minimum + (maximum - minimum) * k / 4, _fmt(minimum + (maximum - minimum) * k / 4, 2))
        for k in range(1, 5)
    ]
    for value, label in rings:
        if value <= minimum or value > maximum:
            continue  # a ring at the centre is a point; one beyond the rim has no place
        corners = " ".join(f"{_n(x)},{_n(y)}" for x, y in (point(i, value) for i in range(count)))
        body.append(f'<polygon points="{corners}" fill="none" stroke="{GRID}" stroke-width="1"/>')
        _, ring_y = point(0, value)
        body.append(_text_block(cx + 5, ring_y + 11, _wrap(label, 24, 1), size=10, fill=MUTED))
    lowest_text = max(point(i, maximum)[1] for i in range(count))
    for index, axis in enumerate(axes):
        rim_x, rim_y = point(index, maximum)
        body.append(
            f'<line x1="{_n(cx)}" y1="{_n(cy)}" x2="{_n(rim_x)}" y2="{_n(rim_y)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        cos, sin = math.cos(angle(index)), math.sin(angle(index))
        lines = _wrap(axis, 20 if abs(cos) > 0.3 else 26, 2)
        anchor = "start" if cos > 0.3 else "end" if cos < -0.3 else "middle"
        x = cx + (radius + 12) * cos
        y = cy + (radius + 12) * sin
        # Above the chart the block grows upwards; below it, downwards; at the
        # sides it is centred on the axis.
        if sin < -0.3:
            y -= 15 * (len(lines) - 1) + 2
        elif sin > 0.3:
            y += 11
        else:
            y += 4 - 7.5 * (len(lines) - 1)
        body.append(_text_block(x, y, lines, anchor=anchor))
        lowest_text = max(lowest_text, y + 15 * (len(lines) - 1) + 4)

    for index, (_, values) in enumerate(series):
        colour, dash, shape = STYLES[index % len(STYLES)]
        stroke = f'stroke="{colour}" stroke-width="2.5"{_dash(dash)}'
        present = [i for i, v in enumerate(values) if v is not None]
        points = {i: point(i, float(v)) for i, v in enumerate(values) if v is not None}
        if len(present) == count:
            coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in (points[i] for i in present))
            body.append(f'<polygon points="{coords}" fill="{colour}" fill-opacity="0.08" {stroke}/>')
        else:
            for run in _runs(present, count):
                if len(run) > 1:
                    coords = " ".join(f"{_n(points[i][0])},{_n(points[i][1])}" for i in run)
                    body.append(f'<polyline points="{coords}" fill="none" {stroke}/>')
        body.extend(_marker(shape, *points[i], colour) for i in present)

    legend_top = lowest_text + 30
    legend, used = _legend([name for name, _ in series], legend_top, width)
    body.extend(legend)
    height = int(legend_top + used + 8)

    scale = f"Scale from {_fmt(minimum, 2)} (centre) to {_fmt(maximum, 2)} (rim)"
    if levels:
        scale += ": " + ", ".join(f"{_fmt(v, 2)} {label}" for v, label in levels)
    readings = "; ".join(
        f"{axis}: "
        + ", ".join(
            f"{name} {'no value' if values[i] is None else _fmt(float(values[i] or 0), 2)}"
            for name, values in series
        )
        for i, axis in enumerate(axes)
    )
    desc = f"Radar chart. {scale}. {readings or 'No series'}."
    chart_id = _chart_id("radar", tuple(axes), tuple((n, tuple(v)) for n, v in series), title)
    return _svg(chart_id, width, height, title, desc, body)


def _runs(present: Sequence[int], count: int) -> list[list[int]]:
    """Runs of consecutive axes that have values, joined across the last-to-first seam."""
    runs: list[list[int]] = []
    for index in present:
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][-1] == count - 1:
        runs[0] = runs.pop() + runs[0]
    return runs


def indicator_chart(
    name: str,
    unit: str,
    value: float | None,
    comparators: Sequence[tuple[str, float | None]],
    better: Literal["lower", "higher"],
    *,
    area_label: str = "This area",
) -> str:
    """A small horizontal bar chart of one indicator: this area against comparators
    (England, similar areas), with every value printed and "lower/higher is better" stated.

    The area's bar is dark and its label bold; comparators are grey. A None
    value prints "no data" instead of a bar. Raises ValueError when `better`
    is neither "lower" nor "higher".
    """
    if better not in ("lower", "higher"):
        raise ValueError("better must be 'lower' or 'higher'")
    rows: list[tuple[str, float | None, bool]] = [(area_label, value, True)]
    rows += [(label, v, False) for label, v in comparators]
    known = [v for _, v, _ in rows if v is not None]
    low, high = min([0.0, *known]), max([0.0, *known])
    if high == low:
        high = low + 1
    width, left, bar_space, row_height, top = 560, 170.0, 290.0, 30, 64

    def x_of(v: float) -> float:
        return left + bar_space * (v - low) / (high - low)

    body = [
        _text_block(10, 22, _wrap(name, 72, 1), size=15, weight="bold"),
        _text_block(10, 42, _wrap(f"{unit}; {better} is better", 84, 1), size=12, fill=MUTED),
    ]
    for index, (label, v, own) in enumerate(rows):
        y = top + index * row_height
        body.append(
            _text_block(left - 10, y + 15, _wrap(label, 22, 1), anchor="end", weight="bold" if own else None)
        )
        if v is None:
            body.append(_text_block(left + 4, y + 15, ["no data"], fill=MUTED))
            continue
        start, end = sorted((x_of(0), x_of(v)))
        colour = STYLES[0][0] if own else "#6b6b6b"
        body.append(
            f'<rect x="{_n(start)}" y="{_n(y + 3)}" width="{_n(max(end - start, 1))}" '
            f'height="18" fill="{colour}"/>'
        )
        # A negative bar grows left from zero, so its value goes on the right of zero.
        text_x = end + 6 if v >= 0 else x_of(0) + 6
        body.append(_text_block(text_x, y + 16, [_fmt(v)], weight="bold" if own else None))
    zero = x_of(0)
    bottom = top + len(rows) * row_height
    body.append(
        f'<line x1="{_n(zero)}" y1="{top - 2}" x2="{_n(zero)}" y2="{bottom}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    )
    height = bottom + 10
    readings = "; ".join(f"{label}: {'no data' if v is None else _fmt(v)}" for label, v, _ in rows)
    desc = f"{name}, {unit}. {better.capitalize()} is better. {readings}."
    chart_id = _chart_id("indicator", name, unit, value, tuple(comparators), better, area_label)
    return _svg(chart_id, width, height, name, desc, body)


def spread_chart(
    values_by_group: Mapping[str, Sequence[int]],
    scale_values: Sequence[int],
    labels: Mapping[int, str],
    title: str,
) -> str:
    """A dot plot of individual ratings, one row per group, one dot per rating.

    Equal ratings stack; a short vertical bar marks each group's median and
    the row's label states the count and median in words. Scale values are
    spaced evenly (a rating scale is ordered, not measured). Raises
    ValueError when a rating is not one of `scale_values`.
    """
    scale = sorted(scale_values)
    if not scale:
        raise ValueError("a spread chart needs the scale's values")
    for group, values in values_by_group.items():
        for v in values:
            if v not in scale:
                raise ValueError(f"rating {v} in '{group}' is not on the scale")
    width, left, right = 560, 180.0, 530.0
    step = (right - left) / max(1, len(scale) - 1)

    def x_of(value: float) -> float:
        # Medians can fall between two scale values: interpolate between them.
        if len(scale) == 1:
            return (left + right) / 2
        for i in range(len(scale) - 1):
            if scale[i] <= value <= scale[i + 1]:
                return left + step * (i + (value - scale[i]) / (scale[i + 1] - scale[i]))
        return left if value < scale[0] else right

    body = [_text_block(10, 24, _wrap(title, 72, 1), size=15, weight="bold")]
    y = 46.0
    summaries = []
    for index, (group, values) in enumerate(values_by_group.items()):
        colour, _, shape = STYLES[index % len(STYLES)]
        counts = {v: values.count(v) for v in scale}
        row_height = max(44.0, max(counts.values(), default=0) * 12 + 20)
        centre = y + row_height / 2
        body.append(
            f'<line x1="{_n(left)}" y1="{_n(centre)}" x2="{_n(right)}" y2="{_n(centre)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        if values:
            median = statistics.median(values)
            note = f"{len(values)} rating{'s' if len(values) != 1 else ''}, median {_fmt(median)}"
            summaries.append(f"{group}: {note}; ratings {', '.join(str(v) for v in sorted(values))}")
            body.append(
                f'<line x1="{_n(x_of(median))}" y1="{_n(y + 4)}" x2="{_n(x_of(median))}" '
                f'y2="{_n(y + row_height - 4)}" stroke="{TEXT}" stroke-width="2"/>'
            )
        else:
            note = "no ratings"
            summaries.append(f"{group}: no ratings")
        body.append(_text_block(left - 14, centre - 3, _wrap(group, 22, 1), anchor="end", weight="bold"))
        body.append(_text_block(left - 14, centre + 12, [note], anchor="end", size=11, fill=MUTED))
        for v, n in counts.items():
            for k in range(n):
                offset = (k - (n - 1) / 2) * 12
                # Every other group is drawn hollow, so groups differ in fill and shape.
                body.append(_marker(shape, x_of(v), centre + offset, colour, 5, hollow=index % 2 == 1))
        y += row_height
    body.append(
        f'<line x1="{_n(left)}" y1="{_n(y + 4)}" x2="{_n(right)}" y2="{_n(y + 4)}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    )
    wrap_at = max(6, int(step / 6.5)) if len(scale) > 1 else 20
    for v in scale:
        body.append(_text_block(x_of(v), y + 20, [str(v)], anchor="middle", weight="bold"))
        if v in labels:
            body.append(
                _text_block(
                    x_of(v),
                    y + 35,
                    _wrap(labels[v], wrap_at, 2),
                    anchor="middle",
                    size=11,
                    fill=MUTED,
                    line_height=13,
                )
            )
    height = int(y + 70)
    words = ", ".join(f"{v} {labels[v]}" if v in labels else str(v) for v in scale)
    desc = (
        f"Dot plot of individual ratings on the scale {words}. " + (". ".join(summaries) or "No groups") + "."
    )
    chart_id = _chart_id(
        "spread",
        tuple((g, tuple(v)) for g, v in values_by_group.items()),
        tuple(scale),
        tuple(sorted(labels.items())),
        title,
    )
    return _svg(chart_id, width, height, title, desc, body)
