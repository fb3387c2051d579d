"""The weekly digest: Markdown and HTML grouped by the 18 indicators, in Chinese, e-mailed once.

`write_digest` builds a week's digest from the store, writes `<week>.md` and
`<week>.html` and keeps all three renderings in the `digests` table; `send_digest`
e-mails the stored digest once (see `digests.mail`).
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from store import reports

from .build import Digest, Entry, FailedDocument, Section, SourceStatus, build_digest
from .errors import explain_error
from .mail import MailConfigError, MailSettings, SendOutcome, mail_settings, send_digest
from .render import escape_markdown, render_html, render_markdown, render_text, subject
from .summary import Summary, find_figures, summarise
from .weeks import parse_week, week_of, week_range

__all__ = [
    "Digest",
    "Entry",
    "FailedDocument",
    "MailConfigError",
    "MailSettings",
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
    "subject",
    "summarise",
    "week_of",
    "week_range",
    "write_digest",
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
) -> Path:
    """Build the digest of a week from the store, write its Markdown and HTML files; return the Markdown path.

    The HTML file is beside it (`path.with_suffix(".html")`). Safe to call again: an
    unchanged digest changes nothing, and a digest already e-mailed stays marked sent.
    """
    return save_digest(db, build_digest(db, week, simplified=simplified, tz=tz, base_url=base_url), directory)
