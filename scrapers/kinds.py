"""The source kinds casewatch reads, each with the configuration keys it takes, in one place.

A `[[sources]]` table names a `kind`; the kind says which keys the table may hold (their
types, defaults and meaning), which of them must be set, whether it is fetched through the
run's polite session, and which function collects it. `casewatch.config` checks sources
against this registry and `casewatch.pipeline` dispatches on it. Nothing here imports a
collector: they are named as "module:function" and resolved by `collector()` when used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import Callable


@dataclass(frozen=True)
class Key:
    """One configuration key of a source kind: its type, its default (None: unset) and what it means."""

    type: type | tuple[type, ...]
    help: str
    default: object = None


@dataclass(frozen=True)
class Kind:
    """A source kind: its keys, the keys of which one must be set, and how it is collected."""

    name: str
    help: str
    needs: tuple[str, ...]
    keys: dict[str, Key] = field(default_factory=dict)
    network: bool = False  # collected through the run's polite session (`collector(source, session, known_urls)`)
    collector: str = ""  # "module:function"

    def types(self) -> dict[str, type | tuple[type, ...]]:
        """The kind's keys and their types, as config validation wants them."""
        return {name: key.type for name, key in self.keys.items()}

    def defaults(self) -> dict[str, object]:
        """The keys that have a default, and the default."""
        return {name: key.default for name, key in self.keys.items() if key.default is not None}


COMMON = {
    "name": Key(str, "the source's name: unique, shown in the digest and the store"),
    "kind": Key(str, "one of the kinds below"),
    "title": Key(str, "the name the digest shows (default: the source's name)"),
}
WEB = {
    "name": COMMON["name"],
    "kind": COMMON["kind"],
    "url": Key(str, "the column's listing page (site) or the feed's address (feed): http:// or https://"),
    "title": COMMON["title"],
    "max_pages": Key(int, "listing pages (or endpoint pages) read per run, 1 to 1000; paging also stops at a page of articles seen before", 5),
    "link_selector": Key(str, "CSS selector of the article links on a listing page"),
    "title_selector": Key(str, "CSS selector of an article page's title"),
    "date_selector": Key(str, "CSS selector of an article page's date"),
    "body_selector": Key(str, "CSS selector of an article page's body"),
    "encoding": Key(str, "the pages' encoding, when a site declares it wrongly"),
    "include": Key(str, "regular expression: only article URLs matching it are read"),
    "exclude": Key(str, "regular expression: article URLs matching it are left out"),
    "hosts": Key(list, "further hosts the source's links may lead to; other hosts are never requested"),
}
# A column whose list a script loads from an endpoint (JSON, or Hanweb's dataproxy.jsp XML).
API = {
    "api_url": Key(str, "the endpoint that lists the column's articles; `{page}`, `{start}`, `{end}` in it are filled per page"),
    "api_method": Key(str, "GET or POST (POST sends api_params as a form)", "GET"),
    "api_body": Key(str, "how a POST sends api_params: form (urlencoded) or json (a JSON body, as axios and many Vue portals do)", "form"),
    "api_params": Key(dict, "query (GET) or form (POST) parameters; `{page}`, `{start}`, `{end}` in values are filled per page"),
    "api_items": Key(str, "dotted path to the list of items in the JSON (e.g. data.bean.results); default: found by its fields"),
    "api_title": Key(str, "the item field holding the title; default: title, name, …"),
    "api_link": Key(str, "the item field holding the article URL, or a template such as https://…/detail?id={id}; default: url, link, …"),
    "api_date": Key(str, "the item field holding the publication date; default: pubtime, publishTime, …"),
    "api_page_param": Key(str, "the parameter that carries the page number (e.g. p, pageNo); without it or a {page}, one page is read"),
    "api_first_page": Key(int, "the number of the first page (some endpoints count from 0)", 1),
    "api_page_size": Key(int, "items per page, for `{start}`/`{end}` and to know a short page is the last", 20),
}
MAILBOX = {
    **COMMON,
    "host": Key(str, "the IMAP server"),
    "port": Key(int, "the IMAP port (default 993 for ssl, else 143)"),
    "tls": Key(str, "ssl, starttls or none", "ssl"),
    "user": Key(str, "the IMAP login name"),
    "folder": Key(str, "the folder to read", "INBOX"),
    "password_env": Key(str, "the environment variable holding the password", "CASEWATCH_IMAP_PASSWORD"),
    "from": Key(str, "only messages whose sender contains this"),
    "subject": Key(str, "only messages whose subject contains this"),
    "mark_seen": Key(bool, "flag read messages \\Seen (default false: the server is never changed)", False),
    "body_chars": Key(int, "a message text this long with no attachment is read as a compilation", 1000),
}
FILE = {
    **COMMON,
    "path": Key(str, "a file (document) or folder (inbox), relative to the configuration file"),
    "url": Key(str, "a compilation on the web (document)"),
}

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("inbox", "a folder: every TXT/PDF/DOCX/HTML file in it, each read once", ("path",), FILE,
             collector="scrapers.sources:collect_source"),
        Kind("document", "one compilation file or URL, split into its cases", ("path", "url"), FILE,
             collector="scrapers.sources:collect_source"),
        Kind("site", "a column of a website: its listing pages (or endpoint), each new article, its attachments", ("url",),
             {**WEB, **API}, network=True, collector="scrapers.site:collect_site"),
        Kind("feed", "an RSS or Atom feed; entries holding only a summary have their page read", ("url",), WEB,
             network=True, collector="scrapers.feed:collect_feed"),
        Kind("mailbox", "an IMAP folder: each new message read once, its attachments or its own text", ("host",), MAILBOX,
             collector="scrapers.mailbox:collect_mailbox"),
    )
}  # fmt: skip


def kind_of(source: dict) -> Kind | None:
    """The registered kind of a source table, or None when its kind is not one."""
    return KINDS.get(source.get("kind") or "")


def collector(kind: str) -> Callable:
    """The function that collects a kind's sources (imported on first use)."""
    module, _, name = KINDS[kind].collector.partition(":")
    return getattr(import_module(module), name)


def network_kinds() -> list[str]:
    """The kinds fetched through the run's polite session."""
    return [name for name, kind in KINDS.items() if kind.network]
