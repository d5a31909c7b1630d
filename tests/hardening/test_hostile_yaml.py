"""Issue 11, defect 2: hostile YAML is refused with file and line, quickly, never built."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.core.yamlfile import YamlError, load_yaml
from app.frameworks.loader import FrameworkInvalid, parse_framework

# Small enough that an unguarded loader survives it in a test; the guard refuses it on line 2
# whatever the size.
LAUGHS = """key: laughs
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]
"""
SELF_REFERENCE = "key: loop\nversion: '1.0'\nloop: &x [1, *x]\n"
DEEP = "key: deep\nnested: " + "[" * 5000 + "]" * 5000 + "\n"


def _validate(tmp_path: Path, text: str) -> tuple[int, str]:
    file = tmp_path / "hostile.yaml"
    file.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["frameworks", "validate", str(file)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [(LAUGHS, 2, "anchors"), (SELF_REFERENCE, 3, "anchors"), (DEEP, 2, "nested more than")],
    ids=["billion-laughs", "self-reference", "deep-nesting"],
)
def test_validate_refuses_hostile_yaml_with_file_and_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    code, output = _validate(tmp_path, text)
    assert code == 1
    assert f"hostile.yaml:{line}:" in output
    assert words in output
    assert "Traceback" not in output


@pytest.mark.parametrize("text", [LAUGHS, SELF_REFERENCE, DEEP], ids=["laughs", "self", "deep"])
def test_loader_raises_framework_invalid_naming_the_line(text: str) -> None:
    with pytest.raises(FrameworkInvalid) as caught:
        parse_framework(text, "hostile.yaml")
    [error] = caught.value.errors
    assert error.file == "hostile.yaml" and error.line is not None and error.line >= 2


def test_an_alias_alone_is_refused_where_it_stands() -> None:
    with pytest.raises(YamlError) as caught:
        load_yaml("a: 1\nb: *nowhere\n", "data.yaml")
    assert (caught.value.file, caught.value.line) == ("data.yaml", 2)
    assert "aliases" in caught.value.message


def test_plain_yaml_still_loads() -> None:
    assert load_yaml("a: [1, 2]\nb: {c: d}\n", "ok.yaml") == {"a": [1, 2], "b": {"c": "d"}}


def test_syntax_errors_name_the_line() -> None:
    with pytest.raises(YamlError) as caught:
        load_yaml("a: 1\nb: [unclosed\n", "bad.yaml")
    assert caught.value.line is not None and caught.value.line >= 2
