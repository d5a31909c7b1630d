"""The dependency rules of docs/architecture.md, read from the code's imports with `ast`."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"

# Modules that wire the application together: they may import anything and nothing imports them.
COMPOSITION_ROOTS = {"main", "cli", "demo", "models"}
WEB_LAYER = ("api", "web", "files_api", "files_web", "deps", "middleware")
FRAMEWORK_MODULES = ("fastapi", "starlette")
DATABASE_MODULES = ("sqlmodel", "sqlalchemy", "app.core.db")
# Pure domain logic: plain data in, plain data out.
PURE = ["scoring", "reports/context.py", "charts.py", "frameworks/schema.py"]


def _module_name(path: Path) -> str:
    parts = ("app", *path.relative_to(_root_of(path)).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _root_of(path: Path) -> Path:
    """The `app` folder a file sits in (the real one, or a test's own small tree)."""
    return next(parent for parent in path.parents if parent.name == "app")


def _imports(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            for alias in node.names:
                yield f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _package(module: str) -> str:
    """`app.evidence.service` -> `evidence`; `app.main` -> `main`."""
    return module.split(".")[1]


def import_graph(root: Path = APP) -> dict[str, set[str]]:
    """Which top-level parts of `app` each part imports."""
    graph: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        if path == root / "__init__.py":
            continue
        source = _package(_module_name(path))
        for module in _imports(path):
            if module.startswith("app.") and (target := _package(module)) != source:
                graph.setdefault(source, set()).add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """Groups of parts that reach one another (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[tuple[str, ...]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                item = stack.pop()
                group.append(item)
                if item == node:
                    break
            if len(group) > 1:
                found.append(tuple(sorted(group)))

    for node in sorted(set(graph) | {t for ts in graph.values() for t in ts}):
        if node not in index:
            visit(node)
    return found


def _is_web_layer(path: Path) -> bool:
    return path.stem in WEB_LAYER or path.stem.endswith(("_api", "_web")) or path.parent.name == "web"


def service_violations(root: Path = APP) -> list[str]:
    """Services and domain modules that reach into the web layer or the web framework."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path)
        if module == "app" or _is_web_layer(path) or _package(module) in COMPOSITION_ROOTS:
            continue
        for imported in _imports(path):
            last = imported.split(".")[-1]
            if imported.startswith(FRAMEWORK_MODULES) or (
                imported.startswith("app.") and (last in WEB_LAYER or imported.startswith("app.web"))
            ):
                problems.append(f"{module} imports {imported}")
    return problems


def pure_violations(root: Path = APP) -> list[str]:
    problems = []
    for entry in PURE:
        target = root / entry
        for path in [target] if target.suffix else sorted(target.rglob("*.py")):
            for imported in _imports(path):
                if imported.startswith(DATABASE_MODULES + FRAMEWORK_MODULES) or imported.startswith(
                    "app.web"
                ):
                    problems.append(f"{_module_name(path)} imports {imported}")
    return problems


def test_no_two_parts_of_the_app_import_each_other() -> None:
    graph = import_graph()
    assert cycles(graph) == []
    importers_of_roots = {part for part, targets in graph.items() if targets & COMPOSITION_ROOTS}
    assert importers_of_roots <= COMPOSITION_ROOTS


def test_services_never_import_the_web_layer() -> None:
    assert service_violations() == []


def test_pure_domain_logic_imports_no_database_or_web() -> None:
    assert pure_violations() == []


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    for package in ("evidence", "reviews", "web"):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    return root


def test_the_rules_catch_a_service_importing_a_web_module(tree: Path) -> None:
    (tree / "evidence" / "service.py").write_text("from app.evidence.web import router\n")
    (tree / "evidence" / "web.py").write_text("from app.evidence import service\n")
    assert "app.evidence.service imports app.evidence.web" in service_violations(tree)
    (tree / "evidence" / "service.py").write_text("from fastapi import Request\n")
    assert "app.evidence.service imports fastapi" in service_violations(tree)
    (tree / "evidence" / "service.py").write_text("from app.reviews import service\n")
    assert service_violations(tree) == []


def test_the_rules_catch_two_packages_importing_each_other(tree: Path) -> None:
    (tree / "evidence" / "service.py").write_text("from app.reviews import service\n")
    (tree / "reviews" / "service.py").write_text("from app.evidence.models import Evidence\n")
    assert cycles(import_graph(tree)) == [("evidence", "reviews")]
    (tree / "reviews" / "service.py").write_text("from app.core import audit\n")
    assert cycles(import_graph(tree)) == []
