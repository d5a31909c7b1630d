"""SVG charts: well-formed, accessible, self-contained, and safe with hostile text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.charts import indicator_chart, radar_chart, spread_chart

HOSTILE = '<script>alert(1)</script>" onload="alert(2)'
LEVELS = [(1, "Inadequate"), (2, "Requires improvement"), (3, "Good"), (4, "Outstanding")]
SCALE_WORDS = {
    1: "Significant shortfalls",
    2: "Some shortfalls",
    3: "Good standard",
    4: "Exceptional standard",
}


def parse(svg: str) -> ET.Element:
    """Parse the markup and check what every chart must have."""
    root = ET.fromstring(svg)
    assert root.tag == "svg"
    assert root.get("role") == "img"
    assert root.get("viewBox", "").startswith("0 0 ")
    assert root.get("width") and root.get("height")
    title, desc = root.find("title"), root.find("desc")
    assert title is not None and title.text
    assert desc is not None and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    for element in root.iter():
        assert element.tag not in {"script", "foreignObject", "a", "image", "use", "style"}
        for name in element.attrib:
            assert not name.lower().startswith("on"), name
    lowered = svg.lower()
    assert "http" not in lowered and "href" not in lowered and "url(" not in lowered
    assert "<script" not in lowered
    return root


def all_text(root: ET.Element) -> str:
    return " ".join("".join(element.itertext()) for element in root if element.tag == "text")


def radar(axes: list[str], series: list[tuple[str, list[float | None]]], **kw: object) -> str:
    options: dict[str, object] = {"minimum": 1, "maximum": 4, "title": "Domains", **kw}
    return radar_chart(axes, series, **options)  # type: ignore[arg-type]


def test_radar_chart_self_assessment_against_moderated() -> None:
    axes = [
        "Shared vision",
        "Leadership",
        "Relationships",
        "Funding",
        "Workforce",
        "Information sharing",
        "Learning culture",
    ]
    svg = radar(
        axes,
        [("Self-assessment", [3, 3.5, 2, 4, 3, 3, 2.5]), ("Moderated", [2, 3, 2, 3, 2, 3, 2])],
        title="Self-assessment against moderated level",
        levels=LEVELS,
    )
    root = parse(svg)
    desc = root.findtext("desc") or ""
    assert "Shared vision: Self-assessment 3, Moderated 2" in desc
    assert "Leadership: Self-assessment 3.5, Moderated 3" in desc
    assert "3 Good" in desc
    # Two closed shapes; solid for the first series, dashed for the second.
    shapes = [p for p in root.iter("polygon") if p.get("stroke-width") == "2.5"]
    assert len(shapes) == 2
    assert shapes[0].get("stroke-dasharray") is None
    assert shapes[1].get("stroke-dasharray")
    text = all_text(root)
    assert "Self-assessment" in text and "Outstanding" in text


@pytest.mark.parametrize("count", [3, 12])
def test_radar_chart_handles_3_to_12_axes(count: int) -> None:
    axes = [f"Dimension {i}" for i in range(count)]
    parse(radar(axes, [("Consensus", [float(i % 6) for i in range(count)])], minimum=0, maximum=5))


@pytest.mark.parametrize("count", [2, 13])
def test_radar_chart_refuses_other_axis_counts(count: int) -> None:
    with pytest.raises(ValueError, match="3 to 12 axes"):
        radar([f"A{i}" for i in range(count)], [])


def test_radar_chart_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="has 2 values for 3 axes"):
        radar(["a", "b", "c"], [("s", [1, 2])])
    with pytest.raises(ValueError, match="maximum"):
        radar(["a", "b", "c"], [], minimum=4, maximum=4)


def test_radar_chart_leaves_gaps_for_missing_values() -> None:
    svg = radar(["a", "b", "c", "d", "e"], [("Moderated", [2, None, 3, 4, None])])
    root = parse(svg)
    # No closed shape; one line through c and d; a marker for each of the 3 values,
    # and one in the legend.
    assert not [p for p in root.iter("polygon") if p.get("stroke-width") == "2.5"]
    lines = list(root.iter("polyline"))
    assert len(lines) == 1 and len(lines[0].get("points", "").split()) == 2
    assert len(list(root.iter("circle"))) == 3 + 1
    assert "b: Moderated no value" in (root.findtext("desc") or "")


def test_radar_chart_joins_across_the_seam() -> None:
    # Values at e, a and b form one run across the last-to-first seam.
    root = parse(radar(["a", "b", "c", "d", "e"], [("S", [2, 3, None, None, 4])]))
    [line] = root.iter("polyline")
    assert len(line.get("points", "").split()) == 3


def test_radar_chart_wraps_long_labels_onto_two_lines() -> None:
    long = "A common vision and purpose shared by leaders across the whole system"
    root = parse(radar([long, "b", "c"], [("S", [1, 2, 3])]))
    label = next(t for t in root.iter("text") if "common" in "".join(t.itertext()))
    spans = list(label.iter("tspan"))
    assert len(spans) == 2 and spans[1].text and spans[1].text.endswith("…")
    # The full text is still in the description.
    assert long in (root.findtext("desc") or "")


def test_radar_chart_escapes_hostile_text() -> None:
    svg = radar([HOSTILE, "b", "c"], [(HOSTILE, [1, 2, 3])], title=HOSTILE, levels=[(2, HOSTILE)])
    root = parse(svg)
    assert root.findtext("title") == HOSTILE
    assert HOSTILE in (root.findtext("desc") or "")


def test_indicator_chart() -> None:
    svg = indicator_chart(
        "Emergency admissions, 65 and over",
        "per 100,000 population 65+",
        25432.5,
        [("England", 22010), ("Similar areas", None)],
        "lower",
    )
    root = parse(svg)
    text = all_text(root)
    assert "25,432.5" in text and "22,010" in text and "no data" in text
    assert "lower is better" in text
    assert (root.findtext("desc") or "").endswith(
        "Lower is better. This area: 25,432.5; England: 22,010; Similar areas: no data."
    )
    assert len(list(root.iter("rect"))) == 2


def test_indicator_chart_with_negative_values_and_custom_area() -> None:
    root = parse(indicator_chart("Change", "%", -3.5, [("England", 2)], "higher", area_label="Northtown"))
    text = all_text(root)
    assert "-3.5" in text and "Northtown" in text and "higher is better" in text


def test_indicator_chart_with_no_values_at_all() -> None:
    root = parse(indicator_chart("Rate", "%", None, [], "higher"))
    assert "no data" in all_text(root)


def test_indicator_chart_refuses_unknown_direction() -> None:
    with pytest.raises(ValueError, match="better"):
        indicator_chart("x", "y", 1, [], "sideways")  # type: ignore[arg-type]


def test_indicator_chart_escapes_hostile_text() -> None:
    root = parse(indicator_chart(HOSTILE, HOSTILE, 1, [(HOSTILE, 2)], "lower", area_label=HOSTILE))
    assert root.findtext("title") == HOSTILE
    assert HOSTILE in all_text(root)


def test_spread_chart_dot_per_rating() -> None:
    svg = spread_chart(
        {"Self-assessment": [2, 3, 3, 4, 4], "Review team": [2, 2], "Partners": []},
        [1, 2, 3, 4],
        SCALE_WORDS,
        "Ratings of SV1",
    )
    root = parse(svg)
    # First group draws circles, second squares: one marker per rating.
    assert len(list(root.iter("circle"))) == 5
    assert len(list(root.iter("rect"))) == 2
    desc = root.findtext("desc") or ""
    assert "Self-assessment: 5 ratings, median 3; ratings 2, 3, 3, 4, 4" in desc
    assert "Partners: no ratings" in desc
    assert "1 Significant shortfalls" in desc
    text = all_text(root)
    assert "2 ratings, median 2" in text and "Good standard" in text


def test_spread_chart_half_median_and_zero_based_scale() -> None:
    root = parse(spread_chart({"All": [0, 5]}, [0, 1, 2, 3, 4, 5], {}, "Dimension"))
    assert "median 2.5" in (root.findtext("desc") or "")


def test_spread_chart_refuses_ratings_off_the_scale() -> None:
    with pytest.raises(ValueError, match="not on the scale"):
        spread_chart({"All": [7]}, [1, 2, 3], {}, "x")


def test_spread_chart_escapes_hostile_text() -> None:
    root = parse(spread_chart({HOSTILE: [1]}, [1, 2], {1: HOSTILE}, HOSTILE))
    assert root.findtext("title") == HOSTILE
    assert HOSTILE in (root.findtext("desc") or "")


def test_charts_are_deterministic_with_distinct_ids() -> None:
    first = radar(["a", "b", "c"], [("S", [1, 2, 3])])
    assert first == radar(["a", "b", "c"], [("S", [1, 2, 3])])
    other = radar(["a", "b", "c"], [("S", [1, 2, 4])])
    assert ET.fromstring(first).findtext("title") == ET.fromstring(other).findtext("title")
    first_id = ET.fromstring(first).find("title")
    other_id = ET.fromstring(other).find("title")
    assert first_id is not None and other_id is not None
    assert first_id.get("id") != other_id.get("id")
