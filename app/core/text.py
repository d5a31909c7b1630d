"""Text the app takes in and shows: typed text checked against its limits, and Markdown for evidence
narrative and report text, sanitised before it reaches any page."""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from app.core.errors import Invalid

# Raw HTML in the source is not passed through; the output is cleaned again all the same.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

_ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre",
    "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip


def render_markdown(source: str) -> Markup:
    """Markdown to safe HTML: no links, images, scripts, styles or attributes survive."""
    html = _md.render(source or "")
    clean = nh3.clean(html, tags=_ALLOWED_TAGS, attributes={}, url_schemes=set(), link_rel=None)
    return Markup(clean)  # noqa: S704 - cleaned by nh3 above


def plain_excerpt(source: str, length: int = 200) -> str:
    """A short plain-text excerpt of Markdown, for lists."""
    # Strip every tag, then undo entities: the template escapes the result again.
    text = html.unescape(nh3.clean(_md.render(source or ""), tags=set())).replace("\n", " ").strip()
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def bounded_text(name: str, value: object, limit: int, *, ask: str = "") -> str:
    """Typed text, trimmed, at most `limit` characters; `ask` is what to ask for when it must
    not be empty. Refusals name the field."""
    if value is not None and not isinstance(value, str):
        raise Invalid("must be text", field=name)
    text = (value or "").strip()
    if ask and not text:
        raise Invalid(ask, field=name)
    if len(text) > limit:
        raise Invalid(f"must be {limit} characters or fewer", field=name)
    return text
