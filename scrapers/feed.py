"""Collect a `feed` source (RSS or Atom, read by feedparser): entries become articles.

An entry that carries its full text becomes an article as it is; an entry that
carries only a summary has its page fetched and read as a `site` article is.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timezone
from urllib.parse import urljoin

import feedparser

from .article import Page, block_text, find_attachments
from .dates import TIMEZONE, parse_date, today
from .html import fragment as html_fragment
from .http import Session
from .listing import Link
from .site import SiteResult, collect_link, mark_unreadable, page_articles, source_hosts
from .urls import canonical_url

# A description (no content element) shorter than this, or ending in an ellipsis, is a summary.
FULL_TEXT_MIN = 300


def collect_feed(source: dict, session: Session, known_urls: set[str], until: date | None = None) -> SiteResult:
    """Entries of a feed not yet known, as articles (fetching the page of summary-only entries)."""
    result = SiteResult(source["name"], source.get("kind", "feed"))
    mark, until = len(session.log), until or today()
    hosts = source_hosts(source)  # entries, their redirects and attachments: the feed's host and those it names
    known = {canonical_url(u) for u in known_urls}
    response = session.fetch(source["url"], hosts=hosts)
    if response.outcome == "not_modified":
        result.unchanged = True
    elif not response.ok:
        result.blocked = response.outcome == "blocked"
        result.errors.append(f"feed {source['url']}: {response.outcome}" + (f" ({response.error})" if response.error else ""))
    else:
        result.pages_fetched = 1
        parsed = feedparser.parse(response.content, response_headers={"content-type": response.headers.get("content-type", "")})
        if not parsed.entries:
            problem = f": {parsed.bozo_exception}" if parsed.bozo else ""
            result.errors.append(f"feed {source['url']}: no entries{problem}")
        for entry in parsed.entries:
            collect_entry(entry, response.final_url, source, session, hosts, known, result, until)
    result.log = mark_unreadable(session.log[mark:], result.unreadable)
    return result


def collect_entry(
    entry, feed_url: str, source: dict, session: Session, hosts, known: set[str], result: SiteResult, until: date
) -> None:
    """One feed entry: skipped when known, else an article from its text or from its page."""
    url = urljoin(feed_url, entry["link"]) if entry.get("link") else None
    if not url:
        result.errors.append(f"feed entry {entry.get('title', '')!r} has no link")
        return
    result.links_found += 1
    key = canonical_url(url)
    if key in known:
        return
    known.add(key)
    result.new_links += 1
    title = re.sub(r"\s+", " ", entry.get("title", "")).strip()
    published = entry_date(entry, until)
    html = full_text(entry)
    if html is None:
        collect_link(Link(url, title, published), source, session, hosts, result, until)
        return
    fragment = html_fragment(html)
    page = Page(title, block_text(fragment), published, None, find_attachments(fragment, fragment, url), "feed", "feed")
    result.articles += page_articles(page, url, html.encode("utf-8"), source, session, hosts, result)
    result.fetched_urls.append(key)


def full_text(entry) -> str | None:
    """The entry's HTML when it holds the whole article, None when it is only a summary."""
    summary = entry.get("summary", "")
    for content in entry.get("content", []):
        # content:encoded / Atom <content> is the article itself unless it repeats the summary
        if content.get("value") and content["value"] != summary and not _ellipsis(content["value"]):
            return content["value"]
    if _text_length(summary) >= FULL_TEXT_MIN and not _ellipsis(summary):
        return summary
    return None


def _ellipsis(html: str) -> bool:
    return re.sub(r"<[^>]+>|\s", "", html).endswith(("...", "…"))


def entry_date(entry, until: date) -> str | None:
    """The entry's publication date in Asia/Shanghai (feeds give UTC), never in the future."""
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            moment = datetime.fromtimestamp(calendar.timegm(value), timezone.utc).astimezone(TIMEZONE)
            return parse_date(moment.date().isoformat(), until)
    return parse_date(entry.get("published") or entry.get("updated"), until)


def _text_length(html: str) -> int:
    return len(re.sub(r"<[^>]+>|\s", "", html or ""))
