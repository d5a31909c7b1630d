"""The one way the service reads YAML (framework files, demo data, survey instruments).

Plain `yaml.safe_load` builds whatever the text describes: nested repeated aliases ("billion
laughs") grow a few hundred bytes into gigabytes, a self-referencing alias builds a cycle, and
deep nesting runs out of stack. Our files need none of these, so anchors and aliases are refused
outright and nesting is limited; what is left grows no larger than the text. Every refusal names
the file and the line.
"""

from __future__ import annotations

from typing import Any

import yaml

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
    """Parse one YAML document with the guards above; raise `YamlError` naming file and line."""
    loader = GuardedLoader(text, file, max_depth)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise yaml_error(exc, file) from exc
    finally:
        loader.dispose()
