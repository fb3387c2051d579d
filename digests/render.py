"""Render a digest as Markdown, HTML (for e-mail) and plain text from Jinja2 templates.

Scraped and configured text never becomes markup: the HTML template is autoescaped,
the Markdown one escapes every character CommonMark gives a meaning, and links are
made only from http(s) URLs.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined

from .build import Digest

BAR = "█"
# Every ASCII character that can start markup in CommonMark/GFM (inline or HTML).
MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]<>|#~&!]")
# At the start of a line these open a list, heading underline or break.
MARKDOWN_LINE_START = re.compile(r"^(\d{1,9})([.)])|^([-+=])")


def escape_markdown(text: object) -> str:
    """Text shown literally in Markdown: whitespace collapsed, markup characters escaped."""
    escaped = MARKDOWN_SPECIAL.sub(r"\\\g<0>", " ".join(str(text).split()))
    return MARKDOWN_LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else f"\\{m.group(3)}", escaped)


def markdown_url(url: str) -> str:
    """A URL safe inside `(…)` of a Markdown link."""
    return quote(url, safe=":/?#@!$&'*+,;=%~-._")


def bar(count: int, largest: int, width: int = 20) -> str:
    """A text bar for the overview chart."""
    if not count:
        return ""
    return BAR * max(1, round(width * count / max(largest, 1)))


def bar_width(count: int, largest: int, width: int = 240) -> int:
    """Pixel width of a bar in the HTML overview."""
    return max(4, round(width * count / max(largest, 1))) if count else 0


def percent(value: float | None) -> str:
    """A confidence as a two-decimal number."""
    return "—" if value is None else f"{value:.2f}"


def subject(digest: Digest) -> str:
    """The e-mail subject: the week and how many cases."""
    return f"营商环境改革案例周报 · {digest.year}年第{digest.number}周（{digest.week}）· {digest.cases} 个案例"


@lru_cache(maxsize=2)
def _environment(html: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("digests", "templates"),
        undefined=StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(bar=bar, bar_width=bar_width, subject=subject)
    env.filters.update(md=escape_markdown, md_url=markdown_url, pct=percent, oneline=lambda t: " ".join(str(t).split()))
    return env


def render_markdown(digest: Digest) -> str:
    """The digest as Markdown (Chinese)."""
    return _environment(False).get_template("digest.md.j2").render(d=digest)


def render_html(digest: Digest) -> str:
    """The digest as an HTML e-mail body: inline styles and table bars, no scripts or external images."""
    return _environment(True).get_template("digest.html.j2").render(d=digest)


def render_text(digest: Digest) -> str:
    """The digest as plain text, the alternative part of the e-mail."""
    return _environment(False).get_template("digest.txt.j2").render(d=digest)
