"""The one way the service reads YAML files (frameworks, the demo's data, survey instruments).

Each file is read with the line of every key and value, so that a problem found later (by a
pydantic schema or a cross-check) is reported as file, path and line, which is where the person
who wrote the file will look.

Plain `yaml.safe_load` builds whatever the text describes: nested repeated aliases ("billion
laughs") grow a few hundred bytes into gigabytes, a self-referencing alias builds a cycle, and
deep nesting runs out of stack. Our files need none of these, so anchors and aliases are refused
outright and nesting is limited; what is left grows no larger than the text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

import yaml
from pydantic import ValidationError

# Where a value sits in a document: mapping keys and list indexes from the top.
Path = tuple[str | int, ...]

# Deeper than any framework or data file needs (a framework is about six levels), far short of
# the interpreter's recursion limit.
MAX_DEPTH = 40
WRITE_OUT = "write the value out in full"


class YamlError(ValueError):
    """Text that is not YAML we accept; `file` and `line` (1-based, when known) say where."""

    def __init__(self, file: str, line: int | None, message: str):
        self.file = file
        self.line = line
        self.message = message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")


class GuardedLoader(yaml.SafeLoader):
    """A safe loader that refuses anchors and aliases and nesting past `max_depth`."""

    def __init__(self, text: str, file: str = "<string>", max_depth: int = MAX_DEPTH):
        super().__init__(text)
        self.file = file
        self.max_depth = max_depth
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise YamlError(self.file, line, f"aliases (*{event.anchor}) are not accepted; {WRITE_OUT}")
        if getattr(event, "anchor", None):
            raise YamlError(self.file, line, f"anchors (&{event.anchor}) are not accepted; {WRITE_OUT}")
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise YamlError(self.file, line, f"nested more than {self.max_depth} levels deep")
            node: yaml.Node | None = super().compose_node(parent, index)  # type: ignore[no-untyped-call]
            return node
        finally:
            self._depth -= 1


def yaml_error(exc: yaml.YAMLError, file: str) -> YamlError:
    """A PyYAML syntax error as a `YamlError` carrying file and line."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return YamlError(file, mark.line + 1 if mark else None, f"not valid YAML: {exc}")


def load_yaml(text: str, file: str = "<string>", *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse one YAML document with the guards above; raise `YamlError` naming file and line.
    For data whose later checks need lines, use `parse_yaml`."""
    loader = GuardedLoader(text, file, max_depth)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise yaml_error(exc, file) from exc
    finally:
        loader.dispose()


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
    loader = GuardedLoader(text, file)
    try:
        node = loader.get_single_node()
        if node is None:
            raise YamlInvalid([FileProblem(file, "", 1, "the file is empty")])
        data = loader.construct_document(node)
        lines: dict[Path, int] = {}
        repeated: list[Path] = []
        _walk(loader, node, (), lines, repeated)
    except (yaml.YAMLError, YamlError) as exc:
        # Aliases, anchors and deep nesting are refused while composing, before anything is built.
        refused = exc if isinstance(exc, YamlError) else yaml_error(exc, file)
        raise YamlInvalid([FileProblem(file, "", refused.line, refused.message)]) from exc
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
    loader: GuardedLoader,
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
