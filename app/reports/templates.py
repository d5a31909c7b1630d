"""Report template sets: finding them, hashing them, and turning a report context into HTML.

A template set is a folder holding `report.html`, `report.css` and whatever
partials, fonts and images they use. The shipped sets live in
`settings.report_templates_dir`; a report writer's own sets are the
sub-folders of `settings.extra_report_templates_dir`. A shipped set's name
cannot be taken by an extra one, so "default" always means the shipped report.

Templates run in Jinja's immutable sandbox with autoescape on for every file,
and may only load files inside their own folder (no `..`, no symlink out).
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from app.core.config import Settings, get_settings
from app.core.errors import Invalid
from app.reports.context import ReportContext

log = logging.getLogger("sysreview.reports")

SET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
REQUIRED_FILES = ("report.html", "report.css")
ENTRY_TEMPLATE = "report.html"
STYLESHEET = "report.css"


@dataclass(frozen=True)
class TemplateSet:
    name: str
    root: Path
    builtin: bool

    def css_text(self) -> str:
        return (self.root / STYLESHEET).read_text(encoding="utf-8")

    def digest(self) -> str:
        """A hash of every file in the set (part of the report cache key)."""
        return _digest(self.root)


def _is_set(folder: Path) -> bool:
    return (
        folder.is_dir()
        and SET_NAME.match(folder.name) is not None
        and all((folder / name).is_file() for name in REQUIRED_FILES)
    )


def template_sets(settings: Settings | None = None) -> dict[str, TemplateSet]:
    """Every usable template set by name: shipped sets first, then extra ones."""
    settings = settings or get_settings()
    found: dict[str, TemplateSet] = {}
    for base, builtin in (
        (settings.report_templates_dir, True),
        (settings.extra_report_templates_dir, False),
    ):
        if base is None or not Path(base).is_dir():
            continue
        for folder in sorted(Path(base).iterdir()):
            if not _is_set(folder):
                continue
            if folder.name in found:
                log.warning("report template set %s in %s ignored: the name is taken", folder.name, base)
                continue
            found[folder.name] = TemplateSet(name=folder.name, root=folder.resolve(), builtin=builtin)
    return found


def get_template_set(name: str, settings: Settings | None = None) -> TemplateSet:
    """The named set, or Invalid naming `template_set` and the names on offer."""
    sets = template_sets(settings)
    if name not in sets:
        offered = ", ".join(sorted(sets)) or "none"
        raise Invalid(
            f"there is no report template set called '{name}' (available: {offered})", field="template_set"
        )
    return sets[name]


# Hashing ----------------------------------------------------------------------------------------

_digest_memo: dict[Path, tuple[tuple[Any, ...], str]] = {}
_digest_lock = threading.Lock()


def _files(root: Path) -> list[Path]:
    files = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs.sort()
        files += [Path(folder) / name for name in sorted(names)]
    return files


def _digest(root: Path) -> str:
    """SHA-256 over every file's relative path and content, recomputed only when a file changes."""
    files = _files(root)
    stamp = tuple(
        (str(p.relative_to(root)), p.is_symlink(), st.st_size, st.st_mtime_ns)
        for p in files
        for st in [p.lstat()]
    )
    with _digest_lock:
        memo = _digest_memo.get(root)
        if memo and memo[0] == stamp:
            return memo[1]
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        # A symlink counts by where it points, never by what lies outside the set.
        digest.update(os.readlink(path).encode() if path.is_symlink() else path.read_bytes())
        digest.update(b"\0")
    value = digest.hexdigest()
    with _digest_lock:
        _digest_memo[root] = (stamp, value)
    return value


# Jinja ------------------------------------------------------------------------------------------


class ConfinedLoader(FileSystemLoader):
    """Loads templates from one folder only: resolved paths must stay inside it."""

    def __init__(self, root: Path):
        super().__init__(str(root))
        self.root = root.resolve()

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        path = (self.root / template).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise TemplateNotFound(template)
        return super().get_source(environment, template)


_SVG_FONT = re.compile(r'^(<svg\b[^>]*?\bfont-family=")([^"]*)(")')


def chart_font(svg: str, family: str) -> Markup:
    """A server-made chart drawn in the template set's own font.

    Inline SVG is drawn apart from the page's stylesheet, so the family named on the
    chart's root element decides its text; the charts say only "sans-serif", which would
    fall back to whatever the system has.
    """
    value = html.escape(family, quote=True)
    return Markup(_SVG_FONT.sub(lambda m: m.group(1) + value + m.group(3), str(svg), count=1))  # noqa: S704


_environments: dict[Path, ImmutableSandboxedEnvironment] = {}
_env_lock = threading.Lock()


def environment(template_set: TemplateSet) -> ImmutableSandboxedEnvironment:
    """The set's Jinja environment (kept, so templates compile once; reloaded when files change)."""
    with _env_lock:
        env = _environments.get(template_set.root)
        if env is None:
            env = ImmutableSandboxedEnvironment(
                loader=ConfinedLoader(template_set.root),
                autoescape=True,  # every file, whatever its name
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                auto_reload=True,
            )
            env.filters["chart_font"] = chart_font
            _environments[template_set.root] = env
        return env


def render_html(
    context: ReportContext,
    template_set: TemplateSet,
    *,
    mode: str = "pdf",
    stylesheet_href: str | None = None,
) -> str:
    """The report as HTML.

    `mode` is "pdf" (styles come separately, as a WeasyPrint stylesheet), "preview"
    (a page served by the app, linking `stylesheet_href`) or "html" (a file to keep,
    with the stylesheet inlined so it stands alone). Templates name their own files
    with `asset("logo.png")`, which gives the right address in each mode.
    """
    inline_css = None
    if mode == "html":
        # The set's own stylesheet, not user text; "</" is escaped so it cannot end the element.
        inline_css = Markup(template_set.css_text().replace("</", "<\\/"))  # noqa: S704
    if mode != "preview":
        stylesheet_href = None  # the PDF takes its stylesheet apart from the HTML; the file inlines it
    assets = stylesheet_href.rsplit("/", 1)[0] + "/" if stylesheet_href else ""
    template = environment(template_set).get_template(ENTRY_TEMPLATE)
    return template.render(
        report=context,
        mode=mode,
        stylesheet_href=stylesheet_href,
        inline_css=inline_css,
        asset=lambda path: assets + str(path).lstrip("/"),
    )
