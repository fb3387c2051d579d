"""Collect a `site` source: a column of a website, its pages, articles and attachments.

`collect_site` takes from the store only what it needs as plain values (the
canonical URLs already stored) and returns plain records; the caller saves them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath
from urllib.parse import parse_qsl, unquote, urlsplit

from .article import Attachment, Page, is_html, parse_article
from .compilation import split_compilation
from .dates import date_from_url, today
from .documents import sha256
from .isolate import extract_document_isolated
from .readers import GB_LABELS
from .http import Response, Session
from .listing import Link, PageRequest, parse_listing
from .listing_api import Cursor, Endpoint, Trace, endpoint_from_source, endpoint_on_page, fetch_endpoint_pages
from .records import Article, Document, ScrapeError, SourceResult
from .redact import redact_result, redact_url
from .regions import find_region
from .urls import READABLE_TYPES, attachment_type, canonical_url, site_key

# Outcomes that asking again will not change.
PERMANENT = {"robots_denied", "offsite"}
# A 404 or 410 may be a page not published yet or moved back: asked again on later runs (the store backs off).
RETRY = {"not_found"}
# How the document readers' text is laid out, by type, until extract_document says so itself.


@dataclass
class SiteResult:
    """What collecting one site (or feed) produced, and enough to judge whether it still works.

    `links_found` counts article links on the listing pages, known or new: zero
    on a listing that answered is a redesigned or broken source, not a quiet
    week. `unchanged` is True when the first listing page answered 304.
    `fetched_urls` are the canonical URLs that yielded articles and `dead_urls` those
    that never will (404/410, robots.txt, not a readable type): remember both as
    known. Transient failures (timeouts, 5xx, blocked) are tried again next run.
    """

    source: str
    kind: str = "site"
    articles: list[Article] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pages_fetched: int = 0
    links_found: int = 0
    new_links: int = 0
    fetched_urls: list[str] = field(default_factory=list)
    dead_urls: list[str] = field(default_factory=list)
    retry_urls: list[str] = field(default_factory=list)
    furniture: list[str] = field(default_factory=list)  # lines found repeating across this site's articles
    unchanged: bool = False
    blocked: bool = False
    log: list[dict] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)  # fetched URL -> why its content could not be read
    endpoint: Trace | None = None  # the endpoint a script-loaded listing was read from, and how it paged

    @property
    def status(self) -> str:
        """`ok`, `partial` (some errors), `failed` (errors and nothing collected) or `blocked`."""
        return self.source_result().status

    def source_result(self) -> SourceResult:
        """The pipeline's common record of a collected source, with the secrets of its URLs redacted."""
        return redact_result(SourceResult(
            self.source,
            self.kind,
            self.articles,
            self.documents,
            self.errors,
            fetch_log=self.log,
            attachments=self.attachments,
            known_urls=self.fetched_urls + self.dead_urls,
            retry_urls=self.retry_urls,
            furniture_lines=self.furniture,
            blocked=self.blocked,
        ))


def collect_site(source: dict, session: Session, known_urls: set[str], until: date | None = None) -> SiteResult:
    """Listing pages, then every article not yet known, then its attachments."""
    result = SiteResult(source["name"], source.get("kind", "site"))
    start, mark = source["url"], len(session.log)
    hosts = source_hosts(source)
    known = {canonical_url(u) for u in known_urls}
    links = fetch_listings(source, session, hosts, known, result, until or today())
    for link in links:
        collect_link(link, source, session, hosts, result, until or today())
    result.furniture = strip_repeated_lines(result.articles, source.get("furniture_lines", ()))
    if not result.links_found and not result.unchanged and not result.blocked and not _first_failed(result):
        result.errors.append(f"no article links found on {start}: the site may have been redesigned")
    result.log = mark_unreadable(session.log[mark:], result.unreadable)
    return result


# A line is the site's furniture when it ends or opens this share of a run's articles (and at least 3 of them).
REPEAT_SHARE, REPEAT_MIN = 0.6, 3


def strip_repeated_lines(articles: list[Article], known: tuple[str, ...] | list[str] = ()) -> list[str]:
    """Remove from the articles' bodies the lines a site repeats on its pages; return the lines learned.

    A template's line that the tail rules miss (a site's own disclaimer, a "本网讯" banner,
    a column name above every text) sits in most of a site's pages: a short line found in
    at least 60% (and 3) of the bodies of one run is furniture, and so is any line the store
    learned from earlier runs (`known`). An article left without text keeps its body.
    """
    counts: dict[str, int] = {}
    for article in articles:
        for line in {line.strip() for line in article.body.split("\n")}:
            if 2 <= len(line) <= 80:
                counts[line] = counts.get(line, 0) + 1
    learned = sorted(line for line, n in counts.items() if n >= REPEAT_MIN and n >= REPEAT_SHARE * len(articles))
    drop = set(learned) | set(known)
    if drop:
        for article in articles:
            kept = "\n".join(line for line in article.body.split("\n") if line.strip() not in drop).strip()
            article.body = kept or article.body
    return learned


def source_hosts(source: dict) -> set[str]:
    """The hosts a site source's links may lead to: its own and those of its `hosts` setting."""
    return {site_key(source["url"])} | {site_key(h if "//" in h else f"//{h}") for h in source.get("hosts", [])}


def read_listing(source: dict, response, until: date):
    """A fetched listing page parsed with the source's encoding, selector and URL filters."""
    return parse_listing(
        _decode(response, source.get("encoding")),
        response.final_url,
        source.get("link_selector"),
        source.get("include"),
        source.get("exclude"),
        until,
    )


def mark_unreadable(log: list[dict], unreadable: dict[str, str]) -> list[dict]:
    """The fetch log with each request whose content could not be read (a corrupt PDF) marked `unreadable`.

    The request itself succeeded; marking it keeps every failure of a source in one log.
    """
    for url, error in unreadable.items():
        url = redact_url(url)  # as the session logs it
        entry = next((e for e in reversed(log) if e["url"] == url and e["outcome"] == "ok"), None)
        if entry is not None:
            entry["outcome"], entry["error"] = "unreadable", error
    return log


def fetch_listings(
    source: dict, session: Session, hosts: set[str], known: set[str], result: SiteResult, until: date
) -> list[Link]:
    """New article links from the listing pages, up to `max_pages` or a page of known articles only.

    A column whose list a script loads is read from its endpoint: the one the source
    configures (`api_url`, and then the listing page is not fetched), else the one the
    first page names when its own pager leads nowhere (Hanweb's `nextgroup` without a
    `totalRecord`, an avalon/Vue page's API call).
    """
    queue, seen, new, taken = [PageRequest(source["url"])], set(), [], set(known)
    max_pages = int(source.get("max_pages", 5))
    endpoint, first, caught_up = endpoint_from_source(source), True, False
    if endpoint is not None:
        queue = []
    while queue and result.pages_fetched < max_pages:
        request = queue.pop(0)
        if request.key in seen:
            continue
        seen.add(request.key)
        response = session.fetch(request.url, request.method, request.data, hosts=hosts)
        if response.outcome == "not_modified":
            if first:  # the column is as it was: nothing new on it or after it
                result.unchanged = True
                break
            continue
        if not response.ok:
            result.errors.append(f"listing {request.url}: {_failure(response)}")
            result.blocked = result.blocked or (first and response.outcome == "blocked")
            if first:
                break
            continue
        listing = read_listing(source, response, until)
        if first and not listing.pages:
            endpoint = endpoint_on_page(_decode(response, source.get("encoding")), response.final_url, bool(listing.links))
            if endpoint is None and not listing.links and listing.script:
                result.errors.append(f"listing {request.url}: {listing.script}")
        first = False
        result.pages_fetched += 1
        result.links_found += len(listing.links)
        fresh = [link for link in listing.links if canonical_url(link.url) not in taken]
        taken.update(canonical_url(link.url) for link in fresh)
        new += fresh
        queue += [page for page in listing.pages if page.key not in seen]
        if listing.links and not fresh:  # a whole page of known articles: the rest is older
            caught_up = True
            break
    if endpoint is not None and not caught_up and not result.unchanged:
        new += read_endpoint(endpoint, session, hosts, taken, result, until, max_pages - result.pages_fetched)
    result.new_links = len(new)
    return new


def read_endpoint(
    endpoint: Endpoint, session: Session, hosts: set[str], taken: set[str], result: SiteResult, until: date, max_pages: int
) -> list[Link]:
    """New article links from a script-loaded listing's endpoint; its failure is the source's error, not the run's."""
    trace = result.endpoint = Trace(endpoint)
    new: list[Link] = []
    for links in fetch_endpoint_pages(endpoint, session, hosts, max(max_pages, 0), until, trace):
        result.pages_fetched += 1
        result.links_found += len(links)
        fresh = [link for link in links if canonical_url(link.url) not in taken]
        taken.update(canonical_url(link.url) for link in fresh)
        new += fresh
        if not fresh:  # a whole page of known articles: the rest is older
            trace.stopped = "a page of articles seen before"
            break
    if trace.error:
        last = trace.requests[-1]
        result.errors.append(f"listing endpoint {last['url']}: {trace.error}")
        if last["outcome"] == "unreadable":
            result.unreadable[last["url"]] = trace.error
    if not result.pages_fetched and result.unchanged is False and trace.stopped.startswith("unchanged"):
        result.unchanged = True
    return new


@dataclass
class Backfill:
    """Where a site's backfill stands between batches: the listing pages still to read, the links taken.

    A backfill reads a column back in time, past `max_pages` and past pages of known
    articles, until a listing page reaches back before `since`. A column whose list a
    script loads is paged through its endpoint (`api_url`, or the one its first page names),
    `cursor` saying where.
    """

    since: date
    until: date
    queue: list[PageRequest]
    seen: set[str] = field(default_factory=set)
    taken: set[str] = field(default_factory=set)
    pages: int = 0
    done: bool = False
    endpoint: Endpoint | None = None
    cursor: Cursor = field(default_factory=Cursor)


def start_backfill(source: dict, since: date, until: date | None = None) -> Backfill:
    """A backfill of a site source from its first listing page (or its `api_url`), for articles published from `since` to `until`."""
    endpoint = endpoint_from_source(source)
    if endpoint is not None:  # as a run does: the endpoint only, not the listing page
        return Backfill(since, until or today(), [], endpoint=endpoint)
    return Backfill(since, until or today(), [PageRequest(source["url"])])


def backfill_site(source: dict, session: Session, known_urls: set[str], backfill: Backfill, pages: int) -> SiteResult:
    """The next `pages` listing pages of a backfill, and each article on them published in its range and not known.

    A link's date is the one beside it, else the one in its URL; a link without either
    is read. Listing pages are read without validators (a 304 would say nothing about
    older pages); an empty page, or one whose last dated link is older than `since`, ends it.
    """
    result = SiteResult(source["name"], source.get("kind", "site"))
    hosts = source_hosts(source)
    taken = backfill.taken | {canonical_url(u) for u in known_urls}
    mark, read = len(session.log), 0
    while backfill.queue and read < pages:
        request = backfill.queue.pop(0)
        if request.key in backfill.seen:
            continue
        backfill.seen.add(request.key)
        response = session.fetch(request.url, request.method, request.data, hosts=hosts)
        if not response.ok:
            result.errors.append(f"listing {request.url}: {_failure(response)}")
            backfill.done = not backfill.pages  # without its first page there is nothing to page through
            if backfill.done:
                break
            continue
        read += 1
        first = not backfill.pages
        backfill.pages += 1
        result.pages_fetched += 1
        listing = read_listing(source, response, today())
        if first and not listing.pages:  # a list a script loads: paged through its endpoint, below
            backfill.endpoint = endpoint_on_page(_decode(response, source.get("encoding")), response.final_url, bool(listing.links))
            if backfill.endpoint is None and not listing.links and listing.script:
                result.errors.append(f"listing {request.url}: {listing.script}")
        result.links_found += len(listing.links)
        backfill.queue += [page for page in listing.pages if page.key not in backfill.seen]
        reaches_back = _backfill_links(listing.links, source, session, hosts, taken, backfill, result)
        if reaches_back and (backfill.endpoint is None or listing.links):
            backfill.done = True
            break
    if backfill.endpoint is not None:
        if not backfill.done and read < pages:
            read += _backfill_endpoint(source, session, hosts, taken, backfill, result, pages - read)
    elif not backfill.queue:
        backfill.done = True
    if result.pages_fetched and backfill.pages == result.pages_fetched and not result.links_found and not _first_failed(result):
        result.errors.append(f"no article links found on {source['url']}: the site may have been redesigned")
    result.log = mark_unreadable(session.log[mark:], result.unreadable)
    return result


def _backfill_links(
    links: list[Link], source: dict, session: Session, hosts: set[str], taken: set[str], backfill: Backfill, result: SiteResult
) -> bool:
    """Read the links of one listing page that fall in the backfill's range; True when the page reaches back before it."""
    dates = {link.url: link.date or date_from_url(link.url) for link in links}
    wanted = [
        link for link in links
        if canonical_url(link.url) not in taken and _within(dates[link.url], backfill.since, backfill.until)
    ]  # fmt: skip
    taken.update(canonical_url(link.url) for link in wanted)
    backfill.taken.update(canonical_url(link.url) for link in wanted)
    result.new_links += len(wanted)
    for link in wanted:
        collect_link(link, source, session, hosts, result, today())
    # Columns list the newest first, after any pinned (置顶) items: the page's last dated link
    # says how far back it reaches. Older than `since`: the pages after it are older still.
    last = next((dates[link.url] for link in reversed(links) if dates[link.url]), None)
    return not links or (last is not None and last[:10] < backfill.since.isoformat())


def _backfill_endpoint(
    source: dict, session: Session, hosts: set[str], taken: set[str], backfill: Backfill, result: SiteResult, pages: int
) -> int:
    """The next `pages` pages of a script-loaded column's endpoint, from where the backfill's cursor stands; how many were read."""
    trace = result.endpoint = Trace(backfill.endpoint)
    read = 0
    for links in fetch_endpoint_pages(backfill.endpoint, session, hosts, pages, today(), trace, backfill.cursor):
        read += 1
        backfill.pages += 1
        result.pages_fetched += 1
        result.links_found += len(links)
        if _backfill_links(links, source, session, hosts, taken, backfill, result):
            trace.stopped = f"a page reaching back before {backfill.since.isoformat()}"
            backfill.cursor.done = True
            break
    if trace.error:
        last = trace.requests[-1]
        result.errors.append(f"listing endpoint {last['url']}: {trace.error}")
        if last["outcome"] == "unreadable":
            result.unreadable[last["url"]] = trace.error
    backfill.done = backfill.cursor.done
    return read


def _within(published: str | None, since: date, until: date) -> bool:
    """Whether a link's date falls in a backfill's range; a link without a date is read to find out."""
    return published is None or since.isoformat() <= published[:10] <= until.isoformat()


def collect_link(link: Link, source: dict, session: Session, hosts: set[str] | None, result: SiteResult, until: date) -> None:
    """Fetch one article (or document) link and add what it holds to `result`."""
    response = session.fetch(link.url, hosts=hosts)
    if not response.ok:
        result.errors.append(f"article {link.url}: {_failure(response)}")
        if response.outcome in PERMANENT:
            result.dead_urls.append(canonical_url(link.url))
        elif response.outcome in RETRY:
            result.retry_urls.append(canonical_url(link.url))
        return
    if not is_html(response.content, response.content_type):
        kind = attachment_type(response.final_url, response.content_type)
        if kind in READABLE_TYPES:
            attachment = Attachment(link.url, kind, link.title, page=link.url)
            result.attachments.append(attachment)
            articles = read_attachment(attachment, response, source["name"], result, None)
            for article in articles:
                article.published = article.published or link.date
            result.articles += articles
            result.fetched_urls.append(canonical_url(link.url))
        else:
            result.errors.append(f"article {link.url}: not an HTML page ({response.content_type or 'no type'})")
            result.dead_urls.append(canonical_url(link.url))
        return
    page = parse_article(
        _decode(response, source.get("encoding")),
        response.final_url,
        link.title,
        link.date,
        source.get("title_selector"),
        source.get("date_selector"),
        source.get("body_selector"),
        until,
    )
    result.articles += page_articles(page, response.final_url, response.content, source, session, hosts, result)
    result.fetched_urls.append(canonical_url(link.url))


def page_articles(
    page: Page, url: str, data: bytes, source: dict, session: Session, hosts: set[str] | None, result: SiteResult
) -> list[Article]:
    """One article under the page's title, or the cases of a page that is a compilation; plus attachments."""
    name = source["name"]
    extra = []  # text of attachments that are not compilations joins the body
    articles: list[Article] = []
    for attachment in page.attachments:
        attachment.page = url
        result.attachments.append(attachment)
        if attachment.type not in READABLE_TYPES:
            attachment.error = f"not parsed: {attachment.type} files are not read"
            continue
        fetched = session.fetch(attachment.url, hosts=hosts)
        if fetched.outcome == "not_modified":
            attachment.error = "unchanged since the last run"
            continue
        if not fetched.ok:
            attachment.error = _failure(fetched)
            result.errors.append(f"attachment {attachment.url}: {attachment.error}")
            continue
        found = read_attachment(attachment, fetched, name, result, page.published, extra)
        articles += found
    split = split_compilation(page.body, "blocks")
    cases = [c for c in split.cases if c.title and c.body]
    if len(cases) >= 2:
        document = Document(sha256(data), page.title, url, name, "page", articles=len(cases))
        document.problems, document.furniture = split.problems, split.furniture
        result.documents.append(document)
        return [_article(c.title, c.body, url, name, c.published or page.published, c.issuer or page.issuer, document.sha256, i)
                for i, c in enumerate(cases, start=1)] + articles  # fmt: skip
    body = _one_case_body(split, page.body)
    if not body and not extra:
        result.errors.append(f"article {url}: no_text (no article text on the page, only its furniture)")
        return articles
    body = "\n\n".join(part for part in [body, *extra] if part)
    article = _article(page.title, body, url, name, page.published, page.issuer)
    article.problems = "\n".join(page.problems) or None
    return [article] + articles


def read_attachment(
    attachment: Attachment,
    response: Response,
    source: str,
    result: SiteResult,
    published: str | None,
    extra: list[str] | None = None,
) -> list[Article]:
    """A fetched attachment: its cases when it is a compilation, else its text added to `extra`."""
    name = file_name(attachment.url, attachment.name, attachment.type)
    document = Document(sha256(response.content), name, attachment.url, source, "attachment")
    result.documents.append(document)
    try:
        extracted = extract_document_isolated(response.content, name)  # the limits of every document
    except ScrapeError as exc:
        attachment.error = document.error = str(exc)
        document.status, document.error_type = "failed", "unreadable"
        result.errors.append(f"attachment {attachment.url}: {exc}")
        result.unreadable[response.final_url] = str(exc)
        return []
    attachment.parsed = True
    split = split_compilation(extracted.text, extracted.layout)
    document.problems = extracted.problems + split.problems
    document.furniture = split.furniture
    cases = [c for c in split.cases if c.title and c.body]
    if len(cases) >= 2 or extra is None:
        attachment.articles = document.articles = len(cases)
        return [_article(c.title, c.body, attachment.url, source, c.published or published, c.issuer, document.sha256, i)
                for i, c in enumerate(cases, start=1)]  # fmt: skip
    extra.append(_one_case_body(split, extracted.text))
    return []


def file_name(url: str, text: str, kind: str) -> str:
    """A file name with the right suffix for an attachment (Hanweb's names sit in the query)."""
    candidates = [text, PurePosixPath(unquote(urlsplit(url).path)).name]
    candidates += [unquote(v) for _, v in parse_qsl(urlsplit(url).query)]
    for candidate in candidates:
        candidate = re.sub(r"^附件\s*\d*\s*[:：.、]?\s*", "", candidate.strip())
        if candidate.lower().endswith(f".{kind}"):
            return candidate
    stem = re.sub(r"^附件\s*\d*\s*[:：.、]?\s*", "", text.strip()) or "attachment"
    return f"{stem}.{kind}"


def _one_case_body(split, text: str) -> str:
    """The text of a page or file that is one case: its body, with a title line it opened with."""
    if not split.cases:
        return text.strip()
    case = split.cases[0]
    parts = [] if case.derived_title or not case.title else [case.title]
    parts += case.header + [case.body]
    return "\n\n".join(p for p in parts if p)


def _article(title, body, url, source, published, issuer, document=None, position=None) -> Article:
    region = find_region(title, issuer, body)
    return Article(
        title=title,
        body=body,
        url=url,
        source=source,
        published=published,
        region=region.label,
        province=region.province,
        city=region.city,
        issuer=issuer,
        document=document,
        position=position,
    )


def _decode(response: Response, encoding: str | None) -> str:
    """The page's text, in the encoding the configuration names if it names one."""
    if not encoding:
        return response.text
    label = "gb18030" if encoding.lower() in GB_LABELS else encoding
    return response.content.decode(label, errors="replace")


def _failure(response: Response) -> str:
    return f"{response.outcome}" + (f" ({response.error})" if response.error else "")


def _first_failed(result: SiteResult) -> bool:
    """Whether the listing's failure is already said: its first page failed, or the endpoint its list comes from did."""
    endpoint_failed = result.endpoint is not None and result.endpoint.error is not None
    return endpoint_failed or (bool(result.errors) and result.errors[0].startswith("listing ") and not result.pages_fetched)

