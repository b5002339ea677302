"""Markdown to safe HTML: the one place article text becomes markup.

Articles store the rendered HTML next to the Markdown (rendered on save), so pages never
render Markdown per request. Whatever an editor or an import types, only the allow-listed
tags, attributes and URL schemes below can reach a public page.
"""

import re
from html import unescape as html_unescape

import markdown
import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i",
    "ul", "ol", "li", "a", "blockquote", "code", "pre", "abbr", "sub", "sup",
    "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd",
}  # fmt: skip

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "ol": {"start"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}

# Relative links (to other NeckInfo pages) stay allowed; any other scheme, javascript:
# and data: among them, is dropped with the href.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}

LEVEL_ONE_HEADING = re.compile(r"<(/?)h1\b", re.IGNORECASE)


def render_markdown(text: str) -> str:
    """Render an editor's Markdown to sanitised HTML.

    Headings get ids so that a contents list or a shared link can point at a section, and
    a level-one heading becomes h2: the page's title is its only h1.
    """
    if not text.strip():
        return ""
    html = markdown.markdown(text, extensions=["toc", "tables", "sane_lists"], output_format="html")
    html = LEVEL_ONE_HEADING.sub(r"<\1h2", html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


HEADING_2 = re.compile(r'<h2 id="([^"]+)">(.*?)</h2>', re.DOTALL)
TAG = re.compile(r"<[^>]+>")


def section_headings(html: str) -> list[dict[str, str]]:
    """The level-two headings of rendered HTML, for an "On this page" list."""
    return [
        {"id": anchor, "name": html_unescape(TAG.sub("", name)).strip()}
        for anchor, name in HEADING_2.findall(html)
    ]
