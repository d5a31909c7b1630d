"""The demo's data files: read and checked without a database, refused with file, path and line."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from app.demo.loader import DATA_DIR, DemoDataInvalid, load_demo_data


def broken_copy(tmp_path: Path, name: str, edit: Callable[[str], str]) -> Path:
    """A copy of the shipped data files with one file edited; returns the edited file's path."""
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    path = folder / name
    text = path.read_text()
    edited = edit(text)
    assert edited != text, "the edit did not apply"
    path.write_text(edited)
    return path


def problems(folder: Path) -> list[str]:
    with pytest.raises(DemoDataInvalid) as caught:
        load_demo_data(folder)
    return [str(p) for p in caught.value.problems]


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_the_shipped_files_are_valid_and_agree():
    data = load_demo_data()
    assert len(data.evidence) == 86
    assert (len(data.findings), len(data.recommendations), len(data.indicators.indicators)) == (26, 12, 20)
    assert (data.lead.key, data.writer.key, [r.key for r in data.reviewers]) == (
        "lead",
        "writer",
        ["r1", "r2", "r3"],
    )
    # Ids come from keys, so a demo database always has the same ones.
    assert data.evidence_ids["strategy"] == "ecc254ae-1108-5a85-bdd3-29659535a1d9"


def test_an_unknown_field_is_refused_with_file_and_line(tmp_path):
    path = broken_copy(
        tmp_path,
        "evidence.yaml",
        lambda t: t.replace("    collected_by: r1\n", "    collected_by: r1\n    colour: blue\n", 1),
    )
    found = problems(path.parent)
    line = line_of(path, "colour: blue")
    assert found == [f"{path}:{line}: evidence[0].colour: Extra inputs are not permitted"]


def test_a_value_of_the_wrong_type_is_refused_with_file_and_line(tmp_path):
    path = broken_copy(tmp_path, "ratings.yaml", lambda t: t.replace("moderated: 3", "moderated: good", 1))
    found = problems(path.parent)
    line = line_of(path, "moderated: good")
    assert len(found) == 1
    assert found[0].startswith(f"{path}:{line}: lines.SV1.moderated: Input should be a valid integer")


def test_a_missing_field_is_reported_at_its_entry(tmp_path):
    path = broken_copy(tmp_path, "people.yaml", lambda t: t.replace("    type: icb\n", "", 1))
    line = line_of(path, "- key: icb")
    assert problems(path.parent) == [f"{path}:{line}: partners[1].type: Field required"]


def test_every_file_is_checked_before_giving_up(tmp_path):
    path = broken_copy(
        tmp_path, "findings.yaml", lambda t: t.replace("priority: high", "priority: urgent", 1)
    )
    other = path.parent / "indicators.yaml"
    other.write_text(other.read_text().replace("value: 22\n", "value: many\n", 1))
    found = problems(path.parent)
    # Files are read in a fixed order: findings before indicators.
    assert [p.split(":")[0] for p in found] == [str(path), str(other)]
    assert any("recommendations[0].priority" in p for p in found)
    assert any("indicators.long-stays-65.value" in p for p in found)


def test_a_reference_to_nothing_is_refused_where_it_is_made(tmp_path):
    path = broken_copy(
        tmp_path,
        "findings.yaml",
        lambda t: t.replace("[strategy, delivery-plan", "[strategie, delivery-plan", 1),
    )
    line = line_of(path, "[strategie, delivery-plan")
    assert problems(path.parent) == [
        f"{path}:{line}: findings[0].evidence[0]: there is no evidence item 'strategie' in the demo"
    ]


def test_ratings_must_come_from_every_reviewer(tmp_path):
    path = broken_copy(
        tmp_path, "ratings.yaml", lambda t: t.replace("{r1: 3, r2: 3, r3: 3}", "{r1: 3, r2: 3}", 1)
    )
    line = line_of(path, "{r1: 3, r2: 3}")
    assert problems(path.parent) == [
        f"{path}:{line}: lines.SV1.review_team: give a rating from each of r1, r2, r3"
    ]


def test_a_repeated_key_and_broken_yaml_are_refused(tmp_path):
    path = broken_copy(
        tmp_path, "review.yaml", lambda t: t.replace("kind: external_review\n", "kind: a\nkind: b\n")
    )
    assert problems(path.parent) == [f"{path}:{line_of(path, 'kind: b')}: kind: key 'kind' appears twice"]
    path.write_text("place: [Northshire\n")
    (found,) = problems(path.parent)
    assert found.startswith(f"{path}:2: (top): not valid YAML")


def test_a_person_key_is_unique_across_team_and_self_assessors(tmp_path):
    path = broken_copy(tmp_path, "people.yaml", lambda t: t.replace("- key: sa_icb", "- key: r1", 1))
    line = line_of(path, "name: Owen Board") - 1  # the entry starts on the line above its name
    found = problems(path.parent)
    assert f"{path}:{line}: self_assessors[1].key: the key 'r1' is used twice" in found


def test_the_team_needs_one_lead_and_no_self_assessor(tmp_path):
    path = broken_copy(
        tmp_path, "people.yaml", lambda t: t.replace("    role: lead\n", "    role: self_assessor\n", 1)
    )
    line = line_of(path, "role: self_assessor")
    found = problems(path.parent)
    assert f"{path}:{line}: team[0].role: self-assessors belong under self_assessors" in found
    assert any(p.endswith("team: the team needs exactly one lead") for p in found)
