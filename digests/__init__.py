"""The weekly digest: Markdown and HTML grouped by the 18 indicators, in Chinese, e-mailed once.

`write_digest` builds a week's digest from the store, writes `<week>.md` and
`<week>.html` and keeps all three renderings in the `digests` table; `send_digest`
e-mails the stored digest once (see `digests.mail`). With `[[readers]]`, `write_reader_digests`
renders each reader's part of the same week (`digests.readers`) and `send_reader_digest` sends
it once per reader and week (the `deliveries` table).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

import store
from store import reports

from .build import Digest, EarlierCases, Entry, FailedDocument, Section, SourceStatus, build_digest, previous_weeks
from .errors import explain_error
from .mail import MailConfigError, MailSettings, SendOutcome, mail_settings, send_digest, send_reader_digest
from .readers import Reader, reader_digest, row_wanted
from .render import escape_markdown, render_html, render_markdown, render_text, subject
from .summary import Summary, find_figures, summarise
from .weeks import parse_week, week_of, week_range

__all__ = [
    "Digest",
    "EarlierCases",
    "Entry",
    "FailedDocument",
    "MailConfigError",
    "MailSettings",
    "Reader",
    "ReaderDigest",
    "Section",
    "SendOutcome",
    "SourceStatus",
    "Summary",
    "build_digest",
    "escape_markdown",
    "explain_error",
    "find_figures",
    "mail_settings",
    "parse_week",
    "render_html",
    "render_markdown",
    "render_text",
    "save_digest",
    "send_digest",
    "send_reader_digest",
    "subject",
    "summarise",
    "week_of",
    "week_range",
    "write_digest",
    "write_reader_digests",
]


def save_digest(db: sqlite_utils.Database, digest: Digest, directory: str | Path) -> Path:
    """Render a digest, write `<directory>/<week>.md` and `.html`, keep them in the store; return the Markdown path."""
    markdown, html = render_markdown(digest), render_html(digest)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{digest.week}.md"
    path.write_text(markdown, encoding="utf-8")
    path.with_suffix(".html").write_text(html, encoding="utf-8")
    reports.save_digest(
        db, digest.week, subject=subject(digest), cases=digest.cases, markdown=markdown, html=html, text=render_text(digest)
    )
    return path


def write_digest(
    db: sqlite_utils.Database,
    week: str,
    directory: str | Path,
    *,
    simplified: bool = False,
    tz: str = "Asia/Shanghai",
    base_url: str | None = None,
    earlier: EarlierCases | None = None,
) -> Path:
    """Build the digest of a week from the store, write its Markdown and HTML files; return the Markdown path.

    The HTML file is beside it (`path.with_suffix(".html")`). Safe to call again: an
    unchanged digest changes nothing, and a digest already e-mailed stays marked sent.
    `earlier` is the store's cases read once for many weeks' digests (see `build_digest`).
    """
    return save_digest(db, build_digest(db, week, simplified=simplified, tz=tz, base_url=base_url, earlier=earlier), directory)


@dataclass
class ReaderDigest:
    """A reader's part of a week's digest, rendered, and where its files are."""

    reader: Reader
    digest: Digest
    path: Path
    subject: str
    markdown: str
    html: str
    text: str

    @property
    def articles(self) -> list[str]:
        """The ids of the cases it lists (under an indicator, for review, or held)."""
        d = self.digest
        return [e.id for s in d.sections for e in s.entries] + [e.id for e in d.unclassified + d.held]

    @property
    def rendered(self) -> tuple[str, str, str]:
        """Subject, plain text and HTML: what the e-mail carries."""
        return self.subject, self.text, self.html


def reader_path(directory: str | Path, reader: str, week: str) -> Path:
    """Where a reader's digest of a week is written: `<directory>/readers/<reader>/<week>.md` (and `.html`)."""
    return Path(directory) / "readers" / reader / f"{week}.md"


def write_reader_digests(
    db: sqlite_utils.Database,
    week: str,
    readers: list[Reader],
    directory: str | Path,
    *,
    simplified: bool = False,
    tz: str = "Asia/Shanghai",
    base_url: str | None = None,
) -> list[ReaderDigest]:
    """Each reader's part of the week's digest, built once from the store; their Markdown and HTML written beside the digest's."""
    if not readers:
        return []
    whole = build_digest(db, week, simplified=simplified, tz=tz, base_url=base_url)
    names = {i["slug"]: i["name"] for i in store.indicators(db)}
    earlier = previous_weeks(week)
    facets = reports.week_facets(db, earlier)
    written = []
    for reader in readers:
        counts = Counter(row["week"] for row in facets if row_wanted(reader, row))
        digest = reader_digest(whole, reader, names, [(w, counts.get(w, 0)) for w in earlier])
        markdown, html, text = render_markdown(digest), render_html(digest), render_text(digest)
        path = reader_path(directory, reader.name, week)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(markdown, encoding="utf-8")
        path.with_suffix(".html").write_text(html, encoding="utf-8")
        written.append(ReaderDigest(reader, digest, path, subject(digest), markdown, html, text))
    return written
