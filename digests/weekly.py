"""Build and render the weekly digest: articles grouped by the 18 indicators."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

import store
from zhtext import is_heading

from .weeks import parse_week, week_range

BAR = "█"
MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]<>|#]")
# Optional fields of an article as the template reads them.
ENTRY_DEFAULTS = {"secondary": [], "terms": [], "label_source": None, "region": None, "confidence": None}
SENTENCE_RE = re.compile(r"^(.+?[。！？；])")


@dataclass
class Section:
    """One indicator's part of the digest."""

    number: int | None
    slug: str | None
    name: str
    articles: list[dict] = field(default_factory=list)


@dataclass
class Digest:
    """Everything a digest shows, ready for a template."""

    week: str
    year: int
    number: int
    start: str
    end: str
    sections: list[Section]
    review: Section
    failures: list[dict]
    total: int
    sources: int
    names: dict[str, str] = field(default_factory=dict)

    @property
    def classified(self) -> int:
        """Articles with an indicator."""
        return self.total - len(self.review.articles)


def summarise(body: str, limit: int = 70) -> str:
    """A one-line summary: the first real sentence of the body, at most `limit` characters."""
    paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
    # Skip subtitles and section headings ("一、主要做法") that open many cases.
    first = next((p for p in paragraphs if len(p) >= 20 and not is_heading_like(p)), paragraphs[0] if paragraphs else "")
    match = SENTENCE_RE.match(first)
    sentence = match.group(1) if match else first
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def is_heading_like(paragraph: str) -> bool:
    """Short numbered lines such as "一、主要做法" or "（一）共享数据"."""
    return len(paragraph) < 30 and is_heading(paragraph)


def build_digest(
    week: str, articles: Sequence[dict], indicators: Sequence[dict], failures: Sequence[dict]
) -> Digest:
    """Group a week's articles by indicator, in the official order; unclassified ones for review."""
    year, number = parse_week(week)
    start, end = week_range(week)
    sections = {i["slug"]: Section(i["number"], i["slug"], i["name"]) for i in indicators}
    review = Section(None, None, "待复核")
    for article in articles:
        item = {**ENTRY_DEFAULTS, **article, "summary": summarise(article["body"])}
        sections.get(article["indicator"], review).articles.append(item)
    return Digest(
        week=week,
        year=year,
        number=number,
        start=f"{start.year}年{start.month}月{start.day}日",
        end=f"{end.month}月{end.day}日" if end.year == start.year else f"{end.year}年{end.month}月{end.day}日",
        sections=list(sections.values()),
        review=review,
        failures=list(failures),
        total=len(articles),
        sources=len({a["source"] for a in articles}),
        names={i["slug"]: i["name"] for i in indicators},
    )


def bar(count: int, largest: int, width: int = 20) -> str:
    """A text bar for the overview chart."""
    if not count:
        return ""
    return BAR * max(1, round(width * count / max(largest, 1)))


def escape_markdown(text: str) -> str:
    """Escape the characters that would turn a title into Markdown markup."""
    return MARKDOWN_SPECIAL.sub(r"\\\g<0>", " ".join(str(text).split()))


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("digests", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["bar"] = bar
    env.filters["md"] = escape_markdown
    return env


def render_markdown(digest: Digest) -> str:
    """The digest as Markdown (Chinese)."""
    return _environment().get_template("digest.md.j2").render(d=digest)


def save_digest(digest: Digest, directory: str | Path) -> Path:
    """Write `<directory>/<YYYY-Www>.md`; return its path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{digest.week}.md"
    path.write_text(render_markdown(digest), encoding="utf-8")
    return path


def write_digest(db, week: str, directory: str | Path) -> Path:
    """Build the digest of a week from the store and write its Markdown file."""
    digest = build_digest(week, store.week_articles(db, week), store.indicators(db), store.week_failures(db, week))
    return save_digest(digest, directory)
