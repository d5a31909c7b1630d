"""Read framework files: YAML to a validated `Framework`, with errors that name file, path and line."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

import yaml
from pydantic import ValidationError

from app.core.yamlsafe import GuardedLoader, YamlError, yaml_error
from app.frameworks.schema import Framework, Path, cross_checks


@dataclass(frozen=True)
class FrameworkError:
    file: str
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path or '(top)'}: {self.message}"


class FrameworkInvalid(Exception):
    """A framework file failed to parse or validate; `errors` lists every problem found."""

    def __init__(self, errors: list[FrameworkError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class ParsedFramework:
    framework: Framework
    source: str
    content_hash: str


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _walk(
    loader: GuardedLoader,
    node: yaml.Node,
    path: Path,
    lines: dict[Path, int],
    problems: list[tuple[Path, str]],
) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)  # type: ignore[no-untyped-call]
            if key in seen:
                problems.append(((*path, key), f"key '{key}' appears twice"))
            seen.add(key)
            _walk(loader, value_node, (*path, key), lines, problems)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(loader, item, (*path, index), lines, problems)


def _line_for(path: Path, lines: dict[Path, int]) -> int | None:
    # A missing field has no line of its own: report the nearest enclosing one.
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return None


def parse_framework(text: str, file: str = "<string>") -> ParsedFramework:
    """Parse and validate framework text; raise `FrameworkInvalid` listing every problem."""
    loader = GuardedLoader(text, file)
    try:
        node = loader.get_single_node()
        if node is None:
            raise FrameworkInvalid([FrameworkError(file, "", 1, "the file is empty")])
        data = loader.construct_document(node)
        lines: dict[Path, int] = {}
        problems: list[tuple[Path, str]] = []
        _walk(loader, node, (), lines, problems)
    except (yaml.YAMLError, YamlError) as exc:
        # Aliases, anchors and deep nesting are refused while composing, before anything is built.
        refused = exc if isinstance(exc, YamlError) else yaml_error(exc, file)
        raise FrameworkInvalid([FrameworkError(file, "", refused.line, refused.message)]) from exc
    finally:
        loader.dispose()

    def err(path: Path, message: str) -> FrameworkError:
        return FrameworkError(file, format_path(path), _line_for(path, lines), message)

    if problems:
        raise FrameworkInvalid([err(p, m) for p, m in problems])
    if not isinstance(data, dict):
        raise FrameworkInvalid([err((), "a framework file must be a mapping of fields")])
    try:
        framework = Framework.model_validate(data)
    except ValidationError as exc:
        raise FrameworkInvalid([err(_schema_path(e["loc"]), e["msg"]) for e in exc.errors()]) from exc
    checks = cross_checks(framework)
    if checks:
        raise FrameworkInvalid([err(p, m) for p, m in checks])
    return ParsedFramework(framework, text, content_hash(framework))


def _schema_path(loc: tuple[Any, ...]) -> Path:
    # pydantic names the variant of a tagged union in the location; the file has no such level.
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and part in ("parts_at_or_below", "requires_for_level"):
            continue
        out.append("from" if part == "from_" else part)
    return tuple(out)


def content_hash(framework: Framework) -> str:
    """Hash of the validated content, so reformatting a file does not count as a change."""
    canonical = json.dumps(framework.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def read_framework_file(path: FsPath) -> ParsedFramework:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FrameworkInvalid([FrameworkError(str(path), "", None, f"cannot read: {exc}")]) from exc
    return parse_framework(text, str(path))


def framework_files(paths: list[FsPath]) -> list[FsPath]:
    """Expand folders into the YAML files they hold, sorted for a stable order."""
    files: list[FsPath] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
        else:
            files.append(path)
    return files
