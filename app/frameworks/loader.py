"""Read framework files: YAML to a validated `Framework`, with errors that name file, path and line."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from app.core.yamlfile import FileProblem, YamlInvalid, parse_yaml, read_text
from app.frameworks.schema import Framework, Path, cross_checks

# A framework problem is a file problem: file, path, line and message.
FrameworkError = FileProblem


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


def parse_framework(text: str, file: str = "<string>") -> ParsedFramework:
    """Parse and validate framework text; raise `FrameworkInvalid` listing every problem."""
    try:
        document = parse_yaml(text, file)
    except YamlInvalid as exc:
        raise FrameworkInvalid(exc.problems) from exc
    err = document.problem
    if not isinstance(document.data, dict):
        raise FrameworkInvalid([err((), "a framework file must be a mapping of fields")])
    try:
        framework = Framework.model_validate(document.data)
    except ValidationError as exc:
        raise FrameworkInvalid(document.validation_problems(exc, _schema_path)) from exc
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
        text = read_text(path)
    except YamlInvalid as exc:
        raise FrameworkInvalid(exc.problems) from exc
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
