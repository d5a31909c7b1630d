"""Framework files: the shipped ones validate; broken copies fail with file, path and line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from app.core.config import PROJECT_ROOT
from app.frameworks.loader import FrameworkInvalid, parse_framework, read_framework_file

SHIPPED = sorted((PROJECT_ROOT / "frameworks").glob("*.yaml"))
MAIN = PROJECT_ROOT / "frameworks" / "local-system-review.yaml"


def sysreview(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "sysreview"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=PROJECT_ROOT)


def line_of(text: str, needle: str, start: int = 0) -> int:
    """1-based line number of the first line containing `needle` at or after line `start`."""
    for number, line in enumerate(text.splitlines(), 1):
        if number >= start and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def test_shipped_frameworks_validate():
    assert {p.name for p in SHIPPED} >= {"local-system-review.yaml", "integration-maturity.yaml"}
    result = sysreview("frameworks", "validate", "frameworks")
    assert result.returncode == 0, result.stderr
    assert "local-system-review 1.0" in result.stdout and "integration-maturity 1.0" in result.stdout


def test_main_framework_has_the_seven_ingredients_and_the_brief_catalogues():
    fw = read_framework_file(MAIN).framework
    assert len(fw.domains) == 7
    assert all(5 <= len(d.lines) <= 7 for d in fw.domains)
    assert fw.scale.values == [1, 2, 3, 4]
    assert len(fw.pathway_stages) == 3 and len(fw.evidence_categories) == 6
    assert len(fw.indicators) >= 18
    assert [(b.from_, b.to) for b in fw.rollup.bands] == [(25, 38), (39, 62), (63, 87), (88, 100)]
    assert all(set(line.rubric) == {1, 2, 3, 4} for _, line in fw.lines())


def test_maturity_framework_is_a_different_shape():
    fw = read_framework_file(PROJECT_ROOT / "frameworks" / "integration-maturity.yaml").framework
    assert fw.scale.values == [0, 1, 2, 3, 4, 5]
    assert len(fw.refs()) == 12


def _broken_copy(tmp_path: Path, mutate) -> tuple[Path, str]:  # type: ignore[no-untyped-def]
    """Apply a text edit to a copy of the main framework; return its path and text."""
    text = mutate(MAIN.read_text())
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    return path, text


def _errors(path: Path) -> list[str]:
    with pytest.raises(FrameworkInvalid) as caught:
        read_framework_file(path)
    return [str(e) for e in caught.value.errors]


def test_missing_ref_names_file_path_and_line(tmp_path):
    text = MAIN.read_text()
    second_domain_start = line_of(text, "  - key:", line_of(text, "domains:") + 2)
    first_ref_line = line_of(text, "- ref:", second_domain_start)
    ref_text = text.splitlines()[first_ref_line - 1]
    path, broken = _broken_copy(tmp_path, lambda t: t.replace(ref_text, ref_text.replace("ref:", "reff:"), 1))
    errors = _errors(path)
    assert any(str(path) in e and "domains[1].lines[0].ref" in e and "Field required" in e for e in errors), (
        errors
    )
    assert any(f":{first_ref_line}:" in e for e in errors), errors

    result = sysreview("frameworks", "validate", str(path))
    assert result.returncode == 1
    assert "domains[1].lines[0]" in result.stderr and str(path) in result.stderr


def test_duplicate_ref(tmp_path):
    fw_text = MAIN.read_text()
    refs = [line.split("ref:")[1].strip() for line in fw_text.splitlines() if "- ref:" in line]
    path, broken = _broken_copy(tmp_path, lambda t: t.replace(f"ref: {refs[1]}", f"ref: {refs[0]}", 1))
    errors = _errors(path)
    dupe_line = line_of(broken, f"ref: {refs[0]}", line_of(broken, f"ref: {refs[0]}") + 1)
    assert any(
        "domains[0].lines[1].ref" in e and "duplicate ref" in e and f":{dupe_line}:" in e for e in errors
    ), errors


def test_rubric_for_a_level_the_scale_lacks(tmp_path):
    data = yaml.safe_load(MAIN.read_text())
    data["domains"][2]["lines"][3]["rubric"][5] = "Beyond exceptional"
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    errors = _errors(path)
    assert any("domains[2].lines[3].rubric[5]" in e and "scale lacks" in e for e in errors), errors
    assert all(":" in e.split(" ")[0] for e in errors)  # every error carries a line number


def test_band_that_leaves_a_gap(tmp_path):
    path, broken = _broken_copy(tmp_path, lambda t: t.replace("from: 63", "from: 65", 1))
    errors = _errors(path)
    assert any("rollup.bands[2].from" in e and "gap between 62% and 65%" in e for e in errors), errors
    assert any(f":{line_of(broken, 'from: 65')}:" in e for e in errors)


def test_invalid_yaml_and_non_mapping(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("key: x\n  version: [unclosed\n")
    assert "not valid YAML" in _errors(bad)[0]
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    assert "mapping" in _errors(listy)[0]


def test_duplicate_yaml_key_is_reported():
    text = MAIN.read_text().replace("publisher:", "title: Again\npublisher:", 1)
    with pytest.raises(FrameworkInvalid) as caught:
        parse_framework(text, "dup.yaml")
    assert any("appears twice" in str(e) for e in caught.value.errors)


def test_content_hash_ignores_formatting():
    text = MAIN.read_text()
    reformatted = yaml.safe_dump(yaml.safe_load(text), sort_keys=True, width=200)
    assert parse_framework(text).content_hash == parse_framework(reformatted).content_hash


def test_limiters_that_cannot_mean_anything_are_refused(tmp_path):
    data = yaml.safe_load(MAIN.read_text())
    data["rollup"]["limiters"].append(
        {
            "kind": "requires_for_level",
            "scope": "overall",
            "level": 1,
            "min_count_at_or_above": 1,
            "others_at_or_above": 2,
            "description": "Nonsense",
        }
    )
    path = tmp_path / "limiter.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    errors = _errors(path)
    index = len(data["rollup"]["limiters"]) - 1
    assert any(f"rollup.limiters[{index}].level" in e and "lowest level" in e for e in errors), errors
    assert any(f"rollup.limiters[{index}].others_at_or_above" in e for e in errors), errors
