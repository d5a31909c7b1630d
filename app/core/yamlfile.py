"""YAML files read with the line of every key and value, so that a problem found later (by a
pydantic schema or a cross-check) is reported as file, path and line, which is where the
person who wrote the file will look. Used by the framework loader and the demo's data files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

import yaml
from pydantic import ValidationError

# Where a value sits in a document: mapping keys and list indexes from the top.
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class FileProblem:
    """One problem in a file: the file, the dotted path to the value, its line and what is wrong."""

    file: str
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path or '(top)'}: {self.message}"


class YamlInvalid(Exception):
    """A file is not usable YAML (unreadable, empty, malformed or with a repeated key)."""

    def __init__(self, problems: list[FileProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def format_path(path: Path) -> str:
    """A path as a reader writes it: `domains[0].lines[2].ref`."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True)
class YamlDocument:
    """A parsed file: its data and the line of every path in it."""

    file: str
    data: Any
    lines: dict[Path, int]

    def line_for(self, path: Path) -> int | None:
        # A missing field has no line of its own: report the nearest enclosing one.
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.lines:
                return self.lines[path[:cut]]
        return None

    def problem(self, path: Path, message: str) -> FileProblem:
        """A problem at `path` in this file, with its line."""
        return FileProblem(self.file, format_path(path), self.line_for(path), message)

    def validation_problems(
        self, exc: ValidationError, file_path: Callable[[tuple[Any, ...]], Path] = tuple
    ) -> list[FileProblem]:
        """Each pydantic error as a problem at its place in the file; `file_path` maps a pydantic
        location to the file's path where the schema's shape differs from the file's."""
        return [self.problem(file_path(tuple(error["loc"])), error["msg"]) for error in exc.errors()]


def parse_yaml(text: str, file: str = "<string>") -> YamlDocument:
    """Parse one YAML document, recording lines; raise `YamlInvalid` if it is empty, malformed or
    repeats a key (which plain YAML loading would silently resolve to the last value)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise YamlInvalid([FileProblem(file, "", 1, "the file is empty")])
        data = loader.construct_document(node)
        lines: dict[Path, int] = {}
        repeated: list[Path] = []
        _walk(loader, node, (), lines, repeated)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise YamlInvalid([FileProblem(file, "", line, f"not valid YAML: {exc}")]) from exc
    finally:
        loader.dispose()
    document = YamlDocument(file, data, lines)
    if repeated:
        raise YamlInvalid([document.problem(path, f"key '{path[-1]}' appears twice") for path in repeated])
    return document


def read_text(path: FsPath) -> str:
    """A file's text; a file that cannot be read is a `YamlInvalid` naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlInvalid([FileProblem(str(path), "", None, f"cannot read: {exc}")]) from exc


def _walk(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: Path,
    lines: dict[Path, int],
    repeated: list[Path],
) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)  # type: ignore[no-untyped-call]
            if key in seen:
                repeated.append((*path, key))
            seen.add(key)
            _walk(loader, value_node, (*path, key), lines, repeated)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(loader, item, (*path, index), lines, repeated)
