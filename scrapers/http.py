"""One polite HTTP session: robots.txt, a rate limit per host, retries that mean it, a size cap.

`Session.fetch` never raises for a failure of one URL: it returns a `Response`
whose `outcome` says what happened, and appends every request it made to
`Session.log`, which the caller saves as the fetch log.

Requests go to the real URLs (credentials and tokens included); the log, error
messages and the validators are keyed by the redacted URL (`scrapers.redact`), which
is stable, so what is stored holds no secret and still maps back to the page.
"""

from __future__ import annotations

import copy
import ipaddress
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import requests

from . import deadlines
from .readers import GB_LABELS, decode_text
from .records import ScrapeError
from .redact import redact_text, redact_url
from .urls import site_key

USER_AGENT = "casewatch/0.1 (+weekly monitor of business-environment reform cases; contact: set user_agent in casewatch.toml)"

OUTCOMES = (
    "ok",
    "not_modified",
    "not_found",
    "http_error",
    "timeout",
    "too_large",
    "blocked",
    "robots_denied",
    "offsite",
    "redirect_loop",
    "stopped",
    "error",
)
# Statuses worth asking again: the server said "later", not "no".
RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
# A JavaScript cookie challenge (412) or a WAF interstitial (521): retrying is circumventing.
BLOCKED_STATUSES = {412, 521}
# Cookies and words that WAF pages carry (知道创宇, 360 网站卫士, 云锁, 安全狗…).
WAF_RE = re.compile(
    r"__jsluid|_waf_|wzws_cid|WZWS_|yunsuo_session|safedog-flow|jiasule|访问被拦截|请求被拦截|访问已被拦截|您的访问被阻断|疑似黑客攻击",
    re.I,
)
# A page that only sets a cookie by script and reloads itself is a challenge, not content.
JS_CHALLENGE_RE = re.compile(r"document\.cookie\s*=.*?(?:location|reload)", re.I | re.S)
# Below this size a page may be a WAF's; real article pages are larger.
CHALLENGE_MAX_BYTES = 30_000
MAX_REDIRECTS = 10
CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
HEADER_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
# Latin-1 is what some servers send by default, not a declaration of a Chinese page's encoding.
DEFAULT_LABELS = {"iso-8859-1", "latin-1", "latin1"}


class JsonBody(dict):
    """Form data to be sent as a JSON body (`Content-Type: application/json`) rather than urlencoded."""


@dataclass
class Response:
    """What fetching one URL gave: the outcome always, content when there is some."""

    url: str
    final_url: str
    outcome: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    elapsed: float = 0.0
    error: str | None = None
    attempts: int = 0
    _text: str | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True when the content is the page's (status 2xx, read whole)."""
        return self.outcome == "ok"

    @property
    def size(self) -> int:
        """Bytes of content read."""
        return len(self.content)

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-case ("text/html")."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        """The content decoded: HTTP charset, then `<meta>` charset, then detection."""
        if self._text is None:
            self._text = decode_body(self.content, self.headers.get("content-type"))
        return self._text


def decode_body(content: bytes, content_type: str | None = None) -> str:
    """Decode a page: BOM, HTTP header charset, `<meta>` charset, then detection (gb2312/gbk as gb18030)."""
    if content.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode_text(content)[0]
    header = HEADER_CHARSET_RE.search(content_type or "")
    meta = CHARSET_RE.search(content[:4096])
    labels = [header.group(1) if header else None, meta.group(1).decode("ascii", "ignore") if meta else None]
    if labels[0] and labels[0].lower() in DEFAULT_LABELS and labels[1]:
        labels[0] = None
    for label in filter(None, labels):
        label = label.strip().lower()
        try:
            return content.decode("gb18030" if label in GB_LABELS else label)
        except (UnicodeDecodeError, LookupError):  # a wrong declaration: try the next one
            continue
    try:
        return decode_text(content)[0]
    except ScrapeError:
        return content.decode("utf-8", errors="replace")


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks to wait (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def looks_blocked(status: int, content: bytes) -> bool:
    """True for a JS challenge or a WAF page, whatever status it came with."""
    if status in BLOCKED_STATUSES:
        return True
    if len(content) > CHALLENGE_MAX_BYTES:
        return False
    head = content.decode("utf-8", errors="ignore")
    return bool(WAF_RE.search(head)) or bool(JS_CHALLENGE_RE.search(head) and len(re.sub(r"<[^>]+>|\s", "", head)) < 2000)


# The longest wait between two tries of one request, whatever the backoff doubling says.
MAX_BACKOFF = 60.0


def is_private_host(url: str) -> bool:
    """Whether a URL's host is, or resolves to, a loopback, link-local, private or unspecified address."""
    host = (urlsplit(url).hostname or "").strip("[]")
    if not host:
        return False
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = _resolve(host)
    return any(a.is_loopback or a.is_link_local or a.is_private or a.is_unspecified or a.is_reserved for a in addresses)


_resolved: dict[str, list] = {}


def _resolve(host: str) -> list:
    """The addresses a host name resolves to (none when it does not resolve), once per process."""
    if host not in _resolved:
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
            _resolved[host] = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
        except (OSError, UnicodeError, ValueError):
            _resolved[host] = []
    return _resolved[host]


class Session:
    """A polite HTTP client shared by every network source of a run.

    One request at a time per host, `rate` requests per second per host at most
    (robots.txt's Crawl-delay wins when it asks for more), connect and read
    timeouts, a deadline for each whole answer (`deadline`: a server that trickles
    bytes is cut off, see `scrapers.deadlines`), a size cap while streaming, retries
    with exponential backoff only on connection errors, timeouts, 408, 429 and 5xx
    (Retry-After honoured up to `max_retry_after` seconds), conditional requests
    from `validators`. `clock` and `sleep` are injectable so that tests never wait.

    Sources collected in parallel threads each take a `share()` or a `for_source()`:
    the views pace each host together (one lock and one slot grid per host, one
    robots.txt per host, one set of validators) while each keeps its own log and
    connections, and a source's view has its own time budget and address rule.
    """

    def __init__(
        self,
        user_agent: str = USER_AGENT,
        rate: float = 1.0,
        timeout: tuple[float, float] = (10.0, 30.0),
        max_bytes: int = 20_000_000,
        retries: int = 3,
        backoff: float = 1.0,
        max_retry_after: float = 120.0,
        robots: bool = True,
        validators: dict[str, tuple[str | None, str | None]] | None = None,
        deadline: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = deadlines.wait,
        allow_private: bool = True,
        source_budget: float | None = None,
    ):
        self.user_agent = user_agent
        self.rate = rate
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.robots = robots
        self.validators: dict[str, tuple[str | None, str | None]] = dict(validators or {})
        self.deadline = deadline
        self.clock, self.sleep = clock, sleep
        # Loopback, link-local and private addresses: refused unless the source itself is on one.
        self.allow_private = allow_private
        self.source_budget = source_budget  # what for_source gives each source unless told otherwise
        self.budget: float | None = None  # a source's whole time, in seconds (for_source)
        self.expires: float | None = None
        self.spent = False  # a request was refused because the budget was spent
        self.log: list[dict] = []
        self.http = _http_session()
        self.http.headers.update({"User-Agent": user_agent, "Accept-Language": "zh-CN,zh;q=0.9"})
        self._next: dict[str, float] = {}
        self._delay: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._robots: dict[str, RobotFileParser | Response] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def share(self) -> Session:
        """A view for one more caller (a thread): the same per-host pacing, robots.txt and validators, its own log.

        requests.Session is not documented as thread-safe, so each view has its own
        connection pool; the politeness state is what must be shared, and its dicts
        are only changed under the host's lock or `_guard`.
        """
        view = copy.copy(self)
        view.log = []
        view.http = _http_session()
        view.http.headers.update(self.http.headers)
        return view

    def for_source(self, url: str, budget: float | None = None) -> Session:
        """A view for one source: loopback and private addresses only if the source's URL is on one,
        and every request of it done within `budget` seconds from now (then refused as `timeout`)."""
        view = self.share()
        view.allow_private = is_private_host(url)
        budget = self.source_budget if budget is None else budget
        view.budget, view.spent = budget, False
        view.expires = self.clock() + budget if budget else None
        return view

    def set_rate(self, host_url: str, rate: float) -> None:
        """A rate for one host (requests per second), e.g. from a source's configuration."""
        self._delay[_host(host_url)] = 1.0 / rate

    def fetch(self, url: str, method: str = "GET", data: dict | None = None, hosts: set[str] | None = None) -> Response:
        """Fetch a URL politely; `hosts` (site keys) limits where it and its redirects may go."""
        started = time.perf_counter()
        stopped = deadlines.stop_reason()
        if stopped:
            return Response(url, url, "stopped", error=f"not requested: {stopped}")
        if self.expires is not None and self.clock() >= self.expires:
            self.spent = True
            return Response(url, url, "timeout", error=f"not requested: the source's budget of {self.budget:g} s is spent")
        visited = {url}
        current, first = url, None
        for _ in range(MAX_REDIRECTS + 1):
            denied = self._refuse(current, hosts)
            if denied:
                return self._finish(url, current, denied, started)
            response = self._fetch_retrying(current, method, data)
            if response.outcome != "redirect":
                return self._finish(url, current, response, started)
            first = first or response
            location = urljoin(current, response.headers.get("location", ""))
            if location in visited:
                return self._finish(url, current, Response(url, location, "redirect_loop", response.status, error=f"redirect loop at {location}"), started)
            visited.add(location)
            if response.status in (301, 302, 303) and method == "POST":
                method, data = "GET", None
            current = location
        return self._finish(url, current, Response(url, current, "redirect_loop", error=f"more than {MAX_REDIRECTS} redirects"), started)

    def fetch_file(self, url: str, max_bytes: int | None = None) -> bytes:
        """A whole file on the URL's own host (a document source, a backfill URL); ScrapeError when it fails."""
        view = copy.copy(self)  # the size cap of documents, not of pages; the same log
        view.max_bytes = max_bytes or self.max_bytes
        response = view.fetch(url, hosts={site_key(url)})
        if not response.ok:
            detail = f" ({response.error})" if response.error else ""
            error = ScrapeError(f"cannot fetch {redact_url(url)}: {response.outcome}{detail}")
            # What went wrong, for a caller that asks again later only when it may pass (a timeout, a 503).
            error.outcome, error.status = response.outcome, response.status
            raise error
        return response.content

    def _finish(self, url: str, final_url: str, response: Response, started: float) -> Response:
        response.url = url
        if response.outcome != "redirect_loop":
            response.final_url = final_url
        response.elapsed = time.perf_counter() - started
        if response.outcome in ("offsite", "robots_denied", "redirect_loop") or (response.outcome == "blocked" and not response.attempts):
            # refused before any request (or a loop found between requests): logged all the same
            self._record(final_url, response, 0.0)
        return response

    def _refuse(self, url: str, hosts: set[str] | None) -> Response | None:
        """A response for a URL that must not be requested, or None."""
        if hosts is not None and site_key(url) not in hosts:
            return Response(url, url, "offsite", error=f"link leaves the site ({site_key(url)} is not among the source's hosts)")
        if not self.allow_private and is_private_host(url):
            return Response(url, url, "offsite", error=f"{urlsplit(url).hostname} is a loopback or private address")
        if not self.robots:
            return None
        robots = self._robots_for(url)
        if isinstance(robots, Response):
            return Response(url, url, robots.outcome if robots.outcome == "blocked" else "robots_denied", error=robots.error)
        if not robots.can_fetch(self.user_agent, url):
            return Response(url, url, "robots_denied", error="disallowed by robots.txt")
        return None

    def _robots_for(self, url: str) -> RobotFileParser | Response:
        """The host's robots.txt, fetched once per host (RFC 9309: 4xx allows all, 5xx disallows)."""
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        with self._guard:
            lock = self._robots_locks.setdefault(key, threading.Lock())
        with lock:  # two sources of one host starting together ask for robots.txt once
            with self._guard:
                cached = self._robots.get(key)
            if cached is not None:
                return cached
            return self._read_robots(url, key)

    def _read_robots(self, url: str, key: str) -> RobotFileParser | Response:
        """Fetch and parse a host's robots.txt and remember it."""
        parser = RobotFileParser(f"{key}/robots.txt")
        response = self._fetch_robots(f"{key}/robots.txt")
        if response.outcome == "ok":
            parser.parse(response.text.splitlines())
            delay = parser.crawl_delay(self.user_agent)
            if delay:
                host = _host(url)
                self._delay[host] = max(self._delay.get(host, 1.0 / self.rate), min(float(delay), 60.0))
        elif response.outcome == "blocked":
            parser = Response(url, url, "blocked", error=f"robots.txt answered with a challenge (HTTP {response.status})")
        elif response.status and 400 <= response.status < 500:
            parser.allow_all = True
        else:
            parser = Response(url, url, "robots_denied", error=f"robots.txt unreachable ({response.error or response.status})")
        with self._guard:
            self._robots[key] = parser
        return parser

    def _fetch_robots(self, url: str) -> Response:
        """robots.txt, following up to five redirects (RFC 9309)."""
        for _ in range(5):
            response = self._fetch_retrying(url, "GET", None, conditional=False)
            if response.outcome != "redirect":
                return response
            url = urljoin(url, response.headers["location"])
        return Response(url, url, "redirect_loop", error="robots.txt redirects too often")

    def _pace(self, host: str) -> None:
        """Wait until the host may be asked again, then reserve the next slot.

        Slots are counted from the slot waited for, not from when sleep returned:
        otherwise every oversleep of the OS would be added to every interval and
        a long crawl would run measurably slower than its configured rate.
        """
        now = self.clock()
        slot = self._next.get(host, now)
        if slot > now:
            self.sleep(slot - now)
        self._next[host] = max(slot, now) + self._delay.get(host, 1.0 / self.rate)

    def _fetch_retrying(self, url: str, method: str, data: dict | None, conditional: bool = True) -> Response:
        """One URL without following redirects, retried on transient failures."""
        host = _host(url)
        with self._guard:
            lock = self._locks.setdefault(host, threading.Lock())
        with lock:
            for attempt in range(1, self.retries + 2):
                self._pace(host)
                started = time.perf_counter()
                response, retryable = self._request(url, method, data, conditional)
                response.attempts = attempt
                self._record(url, response, time.perf_counter() - started)
                if not retryable or attempt > self.retries or deadlines.stop_reason():
                    return response
                wait = retry_after(response.headers.get("retry-after"))
                if wait is not None and wait > self.max_retry_after:
                    response.error = f"Retry-After {wait:.0f} s is longer than {self.max_retry_after:.0f} s: not retried"
                    return response
                wait = max(wait or 0.0, min(self.backoff * 2 ** (attempt - 1), MAX_BACKOFF))
                if self.expires is not None and self.clock() + wait >= self.expires:
                    return response  # the source's budget ends before the next try could
                self._next[host] = max(self._next.get(host, 0.0), self.clock() + wait)
        return response

    def _request(self, url: str, method: str, data: dict | None, conditional: bool) -> tuple[Response, bool]:
        """Send one request; the response and whether it is worth retrying."""
        headers = {}
        key = redact_url(url)  # validators come from the store, which keeps no secret
        if conditional and method == "GET" and key in self.validators:
            etag, modified = self.validators[key]
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
        seconds = self.deadline
        if self.expires is not None:
            seconds = min(seconds, max(0.0, self.expires - self.clock()))
        why = f"answer not complete within {seconds:g} s" + (" (the source's budget)" if seconds < self.deadline else "")
        with deadlines.guard(seconds, why) as guard:
            response, retryable = self._send(url, method, data, headers, key)
        if guard.expired:  # cut by the watchdog: whatever was read is incomplete
            self.validators.pop(key, None)
            stopped = guard.expired == deadlines.stop_reason()
            response.outcome, response.error = ("stopped" if stopped else "timeout"), guard.expired
            response.content = b""
            return response, False
        return response, retryable

    def _send(self, url: str, method: str, data: dict | None, headers: dict, key: str) -> tuple[Response, bool]:
        """Send one request and read its answer (under the caller's guard)."""
        try:
            body = {"json": data} if isinstance(data, JsonBody) else {"data": data}
            raw = self.http.request(
                method, url, **body, headers=headers, timeout=self.timeout, stream=True, allow_redirects=False
            )
        except requests.Timeout as exc:
            return Response(url, url, "timeout", error=_message(exc)), True
        except requests.ConnectionError as exc:
            return Response(url, url, "error", error=_message(exc)), True
        except requests.RequestException as exc:
            return Response(url, url, "error", error=_message(exc)), False
        with raw:
            response = Response(url, url, "ok", raw.status_code, {k.lower(): v for k, v in raw.headers.items()})
            status = raw.status_code
            if 300 <= status < 400 and status != 304 and "location" in response.headers:
                response.outcome = "redirect"
                return response, False
            if status == 304:
                response.outcome = "not_modified"
                return response, False
            retryable = status in RETRY_STATUSES or (500 <= status < 600 and status not in BLOCKED_STATUSES)
            failure = self._read(raw, response)
            if failure:
                return response, failure == "timeout" or failure == "error"
        if looks_blocked(status, response.content):
            response.outcome, response.error = "blocked", f"HTTP {status}: JavaScript challenge or WAF page"
            return response, False
        if status in (404, 410):
            response.outcome, response.error = "not_found", f"HTTP {status}"
        elif not 200 <= status < 300:
            response.outcome, response.error = "http_error", f"HTTP {status}"
            return response, retryable
        elif method == "GET" and ("etag" in response.headers or "last-modified" in response.headers):
            self.validators[key] = (response.headers.get("etag"), response.headers.get("last-modified"))
        return response, False

    def _read(self, raw: requests.Response, response: Response) -> str | None:
        """Stream the body into `response` under the size cap and deadline; the failure outcome, if any."""
        declared = raw.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response.outcome, response.error = "too_large", f"Content-Length {declared} > {self.max_bytes} bytes"
            return "too_large"
        chunks, total = [], 0
        try:
            for chunk in raw.iter_content(65536):
                total += len(chunk)
                if total > self.max_bytes:
                    response.outcome, response.error = "too_large", f"more than {self.max_bytes} bytes"
                    return "too_large"
                chunks.append(chunk)
        except requests.RequestException as exc:
            timed_out = "timed out" in str(exc).lower()
            response.outcome, response.error = ("timeout" if timed_out else "error"), _message(exc)
            return response.outcome
        response.content = b"".join(chunks)
        return None

    def _record(self, url: str, response: Response, elapsed: float) -> None:
        """Append a request to the log, its URL and error redacted (the log is stored)."""
        self.log.append(
            {
                "url": redact_url(url),
                "status": response.status,
                "bytes": response.size,
                "elapsed": round(elapsed, 4),
                "outcome": response.outcome,
                "error": redact_text(response.error),
                "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
        )


def _http_session() -> requests.Session:
    """A requests session whose connections a deadline or a stop can cut (`scrapers.deadlines`)."""
    http = requests.Session()
    http.mount("http://", deadlines.WatchedAdapter())
    http.mount("https://", deadlines.WatchedAdapter())
    return http


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _message(exc: Exception) -> str:
    """One line naming the failure, without urllib3's nested reprs or the secrets of its URL."""
    text = redact_text(str(exc))
    match = re.search(r"\(Caused by (\w+)\(", text)
    kind = match.group(1) if match else type(exc).__name__
    if "timed out" in text.lower():
        return f"{kind}: timed out"
    return f"{kind}: {text[:200]}"
