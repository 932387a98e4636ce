"""The rule pages' Markdown as HTML, for the classroom report.

Only what the pages use: headings, paragraphs, fenced code, bullet and numbered lists,
block quotes, code spans, **bold**, *italic* and links. Everything is HTML-escaped
before any markup is added, so a page can never inject markup into the report.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![A-Za-z0-9_*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![A-Za-z0-9_*])")
_LIST_ITEM = re.compile(r"^(?:[-*]|(\d+)\.)\s+")
_FENCE = "```"

# A link target (as written in the page) -> an href, or None to show the text alone.
LinkResolver = Callable[[str], str | None]


def inline_html(text: str, resolve_link: LinkResolver) -> str:
    """One run of Markdown prose as HTML."""
    spans: list[str] = []

    def hide(match: re.Match[str]) -> str:
        spans.append(f"<code>{escape(match.group(2).strip())}</code>")
        return f"\ue000{len(spans) - 1}\ue001"

    def link(match: re.Match[str]) -> str:
        href = resolve_link(match.group(2))
        label = match.group(1)
        return label if href is None else f'<a href="{escape(href)}">{label}</a>'

    html = escape(_CODE_SPAN.sub(hide, text), quote=False)
    html = _LINK.sub(link, html)
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    html = _ITALIC.sub(r"<em>\1</em>", html)
    return re.sub("\ue000(\\d+)\ue001", lambda m: spans[int(m.group(1))], html)


def markdown_html(text: str, resolve_link: LinkResolver, *, heading_offset: int = 2) -> str:
    """A whole page as HTML; ``# Title`` becomes ``<h{1 + heading_offset}>``."""
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    ordered = False
    quote: list[str] = []
    lines = text.splitlines()
    index = 0

    def flush() -> None:
        nonlocal ordered
        if paragraph:
            out.append(f"<p>{inline_html(' '.join(paragraph), resolve_link)}</p>")
            paragraph.clear()
        if items:
            tag = "ol" if ordered else "ul"
            body = "".join(f"<li>{inline_html(item, resolve_link)}</li>" for item in items)
            out.append(f"<{tag}>{body}</{tag}>")
            items.clear()
        if quote:
            out.append(f"<blockquote>{inline_html(' '.join(quote), resolve_link)}</blockquote>")
            quote.clear()

    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        index += 1
        if stripped.startswith(_FENCE):
            flush()
            code: list[str] = []
            while index < len(lines) and not lines[index].strip().startswith(_FENCE):
                code.append(lines[index])
                index += 1
            index += 1  # the closing fence
            out.append(f"<pre><code>{escape(chr(10).join(code))}</code></pre>")
        elif not stripped:
            flush()
        elif heading := re.match(r"^(#{1,6})\s+(.*)$", stripped):
            flush()
            level = min(6, len(heading.group(1)) + heading_offset)
            out.append(f"<h{level}>{inline_html(heading.group(2), resolve_link)}</h{level}>")
        elif item := _LIST_ITEM.match(stripped):
            if paragraph or quote or (items and ordered != bool(item.group(1))):
                flush()
            ordered = bool(item.group(1))
            items.append(stripped[item.end() :])
        elif stripped.startswith(">"):
            if paragraph or items:
                flush()
            quote.append(stripped.lstrip(">").strip())
        elif items and line.startswith((" ", "\t")):
            items[-1] += " " + stripped  # a list item's continuation line
        elif quote:
            quote.append(stripped)
        else:
            if items:
                flush()
            paragraph.append(stripped)
    flush()
    return "\n".join(out)
