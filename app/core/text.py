"""Markdown for evidence narrative and report text, sanitised before it reaches any page."""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

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
