"""Canonical URLs, so that one page reached by two spellings is fetched and stored once."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from .redact import redact_url

# Query parameters that say how a visitor arrived, not which page they asked for.
TRACKING_PARAMS = {"spm", "from", "share_token", "isappinstalled", "scene", "clicktime", "gclid", "fbclid"}
TRACKING_PREFIXES = ("utm_",)
# Directory index pages: `/col/index.html` and `/col/` are one page.
INDEX_RE = re.compile(r"/(?:index|default)\.(?:html?|shtml|jsp|aspx?|php)$", re.I)
# Link targets that are not pages.
NOT_PAGE_RE = re.compile(r"^(?:javascript:|mailto:|tel:|#|data:)", re.I)

ATTACHMENT_TYPES = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".doc": "doc",
    ".wps": "wps",
    ".ofd": "ofd",
    ".xls": "xls",
    ".xlsx": "xlsx",
    ".zip": "zip",
    ".rar": "rar",
    ".txt": "txt",
}
# Types the document readers can turn into text; the others are recorded, not parsed.
READABLE_TYPES = {"pdf", "docx", "txt"}
CONTENT_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/zip": "zip",
    "application/ofd": "ofd",
    "text/plain": "txt",
}


def canonical_url(url: str) -> str:
    """One spelling per page: https, lower-case host, no credentials, fragment, tracking or index file.

    http and https are unified to https because government sites serve both and
    link to either; the scheme says nothing about which page it is. Secret parameters
    are masked (`token=***`): a secret is not the page's identity (a rotated token is the
    same page), and canonical URLs are stored (`known_urls`).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        scheme = "https"
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = parts.path or "/"
    # "./a/../b" in links that were joined by hand
    if "/." in path:
        path = posixpath.normpath(path) + ("/" if path.endswith("/") else "")
    path = INDEX_RE.sub("/", path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)]
    return redact_url(urlunsplit((scheme, host, path, urlencode(sorted(query)), "")))


def strip_tracking(url: str | None) -> str | None:
    """The URL without tracking parameters or fragment, otherwise as written (what to request)."""
    if not url:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)]
    return urlunsplit(parts._replace(query=urlencode(query), fragment=""))


def _tracking(key: str) -> bool:
    return key.lower() in TRACKING_PARAMS or key.lower().startswith(TRACKING_PREFIXES)


def absolute_url(href: str, base: str) -> str | None:
    """The absolute http(s) URL of a link, or None for javascript:, mailto: and the like."""
    href = (href or "").strip()
    if not href or NOT_PAGE_RE.match(href):
        return None
    url = urljoin(base, href)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    return urlunsplit(parts._replace(fragment=""))


def site_key(url: str) -> str:
    """The host a URL belongs to, without `www.` (which sites serve interchangeably) but with its port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    return f"{host}:{parts.port}" if parts.port and parts.port not in (80, 443) else host


def same_site(url: str, base: str) -> bool:
    """True when `url` is on the host of `base` (www. or not, http or https)."""
    return site_key(url) == site_key(base)


def attachment_type(url: str, content_type: str | None = None, name: str | None = None) -> str | None:
    """The attachment type of a link ("pdf", "docx", "doc" …), or None for a page.

    Hanweb serves files through `downfile.jsp?filename=….pdf`, so the query is
    searched too; a Content-Type settles it once the file has been fetched.
    """
    if content_type:
        kind = CONTENT_TYPES.get(content_type.split(";")[0].strip().lower())
        if kind:
            return kind
    candidates = [name or "", urlsplit(url).path]
    candidates += [v for _, v in parse_qsl(urlsplit(url).query)]
    for candidate in candidates:
        suffix = posixpath.splitext(candidate.lower().strip())[1]
        if suffix in ATTACHMENT_TYPES:
            return ATTACHMENT_TYPES[suffix]
    return None
