"""Listings a script loads from an endpoint: a JSON API, or Hanweb's `dataproxy.jsp` groups.

Many columns are an empty frame that a script fills: an avalon or Vue app asking a JSON
API page by page (often by POST), the jpaas `build/unit` endpoint answering JSON that
wraps an HTML list, gov.cn's policy library search API, or Hanweb's jpage asking
`dataproxy.jsp` for the next group of records. An `Endpoint` says where such a list is
and how it pages, from the source's configuration (`api_url` and friends) or from what
the page itself says (`endpoint_on_page`); `parse_endpoint_page` turns one answer into
listing links; `fetch_endpoint_pages` asks for the pages through the run's polite
session until one comes back empty or repeats, the stated total is reached, or
`max_pages`. Nothing here stores anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .dates import TIMEZONE, parse_date
from .http import JsonBody, Response, Session
from .listing import DATASTORE_RE, NAV_TEXT, NEXTGROUP_RE, RECORD_RE, Link, endpoint_rank, parse_listing
from .urls import absolute_url, canonical_url, site_key, strip_tracking

# Item fields as real endpoints name them, most telling first (gov.cn: title/url/pubtimeStr;
# Jinan's 文件库: title/publishdate; jpaas and Vue portals: name, linkUrl, publishTime …).
TITLE_KEYS = ("title", "doctitle", "articletitle", "showtitle", "maintitle", "name", "zcmc", "biaoti", "subject", "headline", "filename")
LINK_KEYS = ("url", "link", "href", "docurl", "puburl", "pageurl", "articleurl", "linkurl", "detailurl", "visiturl", "fileurl", "path")
DATE_KEYS = (
    "pubtimestr", "publishtime", "publishdate", "pubdate", "pubtime", "releasetime", "releasedate", "docdate",
    "fbrq", "fbsj", "fwrq", "publishedtime", "showtime", "createtime", "createdate", "date", "time",
)  # fmt: skip
# What an endpoint says about its size: pages, then records.
PAGES_KEYS = ("totalpage", "totalpages", "pagecount", "pages", "maxpagesize", "pagetotal")
RECORDS_KEYS = ("totalrecord", "totalcount", "total", "totalelements", "infocount", "recordcount", "totalnum", "count")
PAGE_PARAMS = ("page", "pageno", "pagenum", "pageindex", "pagenumber", "curpage", "currentpage", "current", "p", "pn")
SIZE_PARAMS = ("pagesize", "size", "rows", "limit", "perpage", "n", "pagecount")
JSONP_RE = re.compile(r"^\s*[\w.$]+\s*\(\s*(.*?)\s*\)\s*;?\s*$", re.S)
TAG_RE = re.compile(r"<[^>]+>")
# A script's call to an endpoint: $.ajax({url: …, type: "post", data: {…}}), axios.post("…", {…}), fetch("…").
AJAX_RE = re.compile(
    r"""(?P<call>\$\.(?:ajax|get|post|getJSON)|axios(?:\.(?:get|post))?|\bfetch)\s*\(\s*(?P<body>\{.*?\}\s*\)|["'][^"']+["'].*?\))""",
    re.S | re.I,
)
# The URL of a call: `url: "…"` (a context path before it is dropped), else the call's first string.
URL_KEY_RE = re.compile(r"""\burl\s*:\s*(?:[\w.]+\s*\+\s*)?["']([^"']+)["']""")
URL_FIRST_RE = re.compile(r"""^\s*\(?\s*["']([^"']+)["']""")
METHOD_RE = re.compile(r"""\b(?:type|method)\s*:\s*["'](get|post)["']""", re.I)
DATA_RE = re.compile(r"""\b(?:data|params)\s*:\s*(\{[^{}]*\})""", re.S)
# A body sent as JSON: `data: JSON.stringify({…})` ($.ajax), `body: JSON.stringify({…})` (fetch), or a
# `contentType: "application/json"` beside the data.
JSON_DATA_RE = re.compile(r"""\b(?:data|body)\s*:\s*JSON\.stringify\(\s*(\{[^{}]*\})""", re.S)
JSON_TYPE_RE = re.compile(r"""\bcontent-?type["']?\s*:\s*["']application/json""", re.I)
JS_PAIR_RE = re.compile(r"""["']?(\w+)["']?\s*:\s*(?:"([^"]*)"|'([^']*)'|(-?\d+(?:\.\d+)?))""")
DATA_ATTR_RE = re.compile(r"""\bdata-(?:url|api|src|source)\s*=\s*["']([^"']+)["']""", re.I)
# Hanweb's jpage settings beside the datastore: perPage, groupSize, and its form (ajaxParam / param_<unitid>).
JPAGE_RE = {key: re.compile(rf"""\b{key}\s*[:=]\s*["']?(\d+)""", re.I) for key in ("perPage", "groupSize", "totalRecord")}
HANWEB_FORM_RE = re.compile(r"(?:ajaxParam|param_\w+)\s*[:=]\s*(\{[^{}]*\})", re.S)
HANWEB_FORM_KEYS = ("col", "appid", "webid", "path", "columnid", "sourcecontenttype", "unitid", "webname", "permissiontype")


class EndpointError(Exception):
    """An endpoint's answer that is not a listing (HTML instead of JSON, broken JSON, no list in it)."""


@dataclass
class Endpoint:
    """Where a column's list comes from and how it pages.

    `kind` is "json" (an API answering JSON, or JSONP) or "hanweb" (dataproxy.jsp answering
    `<datastore>` XML). `page_param` names the parameter that carries the page number;
    `{page}`, `{start}` and `{end}` in the URL or in parameter values are filled per page
    too. Without either, the endpoint has one page. `origin` says who said where it is:
    "config" (api_url) or "page" (the listing page's script or datastore).
    """

    url: str
    method: str = "GET"
    params: dict[str, str] = field(default_factory=dict)
    kind: str = "json"
    items: str | None = None
    title: str | None = None
    link: str | None = None
    date: str | None = None
    page_param: str | None = None
    first_page: int = 1
    page_size: int = 20
    origin: str = "config"
    body: str = "form"  # how a POST sends its parameters: "form" (urlencoded) or "json"
    skip: int = 0  # records already read from the page itself (Hanweb's first group is embedded)
    perpage: int = 15  # Hanweb: records per page of its pager (a group is several pages)

    @property
    def pages(self) -> bool:
        """Whether the endpoint is asked for more than one page."""
        placeholders = self.url + "".join(self.params.values())
        return self.kind == "hanweb" or bool(self.page_param) or any(p in placeholders for p in ("{page}", "{start}", "{end}"))

    def request(self, n: int) -> tuple[str, str, dict[str, str] | None]:
        """The URL, method and form of the endpoint's n-th page (n from 0)."""
        page = self.first_page + n
        start = self.skip + n * self.page_size + 1
        end = start + self.page_size - 1

        def fill(text: str) -> str:
            return str(text).replace("{page}", str(page)).replace("{start}", str(start)).replace("{end}", str(end))

        url = fill(self.url)
        params = {k: fill(v) for k, v in self.params.items()}
        if self.page_param:
            params[self.page_param] = str(page)
        if self.kind == "hanweb":  # the group's records go in the query, the column in the form
            parts = urlsplit(url)
            query = urlencode({"startrecord": start, "endrecord": end, "perpage": self.perpage})
            return urlunsplit(parts._replace(query=query)), "POST", params
        if self.method == "POST":
            return url, "POST", JsonBody({k: _json_value(v) for k, v in params.items()}) if self.body == "json" else params
        if params:
            parts = urlsplit(url)
            query = urlencode(parse_qsl(parts.query, keep_blank_values=True) + list(params.items()))
            url = urlunsplit(parts._replace(query=query))
        return url, "GET", None

    def describe(self) -> str:
        """How the endpoint pages, in a few words."""
        return self._paging() + (" (POST body in JSON)" if self.method == "POST" and self.body == "json" else "")

    def _paging(self) -> str:
        if self.kind == "hanweb":
            return f"Hanweb groups of {self.page_size} records (startrecord/endrecord) until a group is empty or repeats"
        if self.page_param:
            return f"page number in `{self.page_param}` from {self.first_page}"
        if self.pages:
            return "page number in the URL or parameters ({page}/{start}/{end})"
        return "one page (no page parameter)"


def _json_value(text: str):
    """A parameter as a JSON body carries it: numbers, true/false and null as such, anything else a string."""
    if re.fullmatch(r"-?\d+(?:\.\d+)?|true|false|null", text):
        return json.loads(text)
    return text


def endpoint_from_source(source: dict) -> Endpoint | None:
    """The endpoint a source's configuration names (`api_url` and friends), or None."""
    if not source.get("api_url"):
        return None
    url = source["api_url"]
    hanweb = "dataproxy.jsp" in url
    return Endpoint(
        url=url,
        method=str(source.get("api_method", "POST" if hanweb else "GET")).upper(),
        params={k: str(v) for k, v in (source.get("api_params") or {}).items()},
        kind="hanweb" if hanweb else "json",
        items=source.get("api_items"),
        title=source.get("api_title"),
        link=source.get("api_link"),
        date=source.get("api_date"),
        page_param=source.get("api_page_param"),
        first_page=int(source.get("api_first_page", 1)),
        page_size=int(source.get("api_page_size", 45 if hanweb else 20)),
        origin="config",
        body=str(source.get("api_body", "form")).lower(),
    )


def endpoint_on_page(html: str, url: str, has_links: bool = False) -> Endpoint | None:
    """The endpoint a listing page says its list comes from: Hanweb's datastore, a script's call, a data attribute.

    A script's call counts only on a page without article links of its own: a column that
    lists its articles and also asks a visit counter or a weather API is not script-loaded.
    """
    return _hanweb_endpoint(html, url) or (None if has_links else _script_endpoint(html, url))


def _hanweb_endpoint(html: str, url: str) -> Endpoint | None:
    """Hanweb jpage: page 1's records are embedded; the next groups come from dataproxy.jsp by POST."""
    datastore = DATASTORE_RE.search(html)
    nextgroup = NEXTGROUP_RE.search(datastore.group(0)) if datastore else None
    if not nextgroup:
        return None
    proxy = absolute_url(nextgroup.group(1).replace("&amp;", "&"), url)
    if not proxy:
        return None
    parts = urlsplit(proxy)
    form = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in ("page", "startrecord", "endrecord", "perpage")}
    declared = HANWEB_FORM_RE.search(html)
    if declared:
        form.update({k: v for k, v in _js_object(declared.group(1)).items()})
    form.setdefault("col", "1")
    form.setdefault("appid", "1")
    numbers = {key: int(m.group(1)) for key, r in JPAGE_RE.items() if (m := r.search(html))}
    per_page = numbers.get("perPage", 15)
    return Endpoint(
        url=urlunsplit(parts._replace(query="")), method="POST", params=form, kind="hanweb",
        page_size=per_page * numbers.get("groupSize", 3), origin="page",
        skip=len(RECORD_RE.findall(datastore.group(0))), perpage=per_page,
    )  # fmt: skip


def _script_endpoint(html: str, url: str) -> Endpoint | None:
    """A script's $.ajax / axios / fetch call (its URL, method and literal data), else a data-url attribute."""
    scripts = " ".join(re.findall(r"<script[^>]*>(.*?)</script>", html, re.S | re.I))
    calls: list[Endpoint] = []
    for match in AJAX_RE.finditer(scripts):
        call, body = match.group("call").lower(), match.group("body")
        target = URL_KEY_RE.search(body) or URL_FIRST_RE.search(body)
        if not target or target.group(1).endswith((".js", ".css", ".html", ".htm", ".shtml")):
            continue
        method = METHOD_RE.search(body)
        verb = (method.group(1) if method else ("post" if call.endswith("post") else "get")).upper()
        stringified = JSON_DATA_RE.search(body)
        data = stringified or DATA_RE.search(body)
        params = _js_object(data.group(1)) if data else {}
        # axios posts an object as JSON; $.ajax and fetch do when the data is JSON.stringify'd or typed so
        sent = "json" if stringified or (JSON_TYPE_RE.search(body) and data) else "form"
        if call.startswith("axios.post") and not data:  # axios.post(url, {…})
            literal = re.search(r"""["'][^"']+["']\s*,\s*(\{[^{}]*\})""", body)
            params, sent = (_js_object(literal.group(1)) if literal else {}), "json"
        if call.startswith("axios") and verb == "POST":
            sent = "json"
        calls.append(_with_paging(Endpoint(absolute_url(target.group(1), url) or target.group(1), verb, params, origin="page", body=sent)))
    if calls:
        # The list's own call rather than a weather widget's or a counter's: the first of the
        # calls to the site's family of hosts with a path that searches or lists (endpoint_rank).
        return max(calls, key=lambda call: endpoint_rank(call.url, url))
    attribute = DATA_ATTR_RE.search(html)
    if attribute and not attribute.group(1).endswith((".js", ".css", ".png", ".jpg", ".gif")):
        return _with_paging(Endpoint(absolute_url(attribute.group(1), url) or attribute.group(1), origin="page"))
    return None


def _with_paging(endpoint: Endpoint) -> Endpoint:
    """Take the page and size parameters a page wrote into its call as the endpoint's paging."""
    for key, value in list(endpoint.params.items()):
        if key.lower() in PAGE_PARAMS and value.isdigit() and not endpoint.page_param:
            endpoint.page_param, endpoint.first_page = key, int(value)
        elif key.lower() in SIZE_PARAMS and value.isdigit():
            endpoint.page_size = int(value) or endpoint.page_size
    query = dict(parse_qsl(urlsplit(endpoint.url).query))
    for key, value in query.items():
        if key.lower() in PAGE_PARAMS and value.isdigit() and not endpoint.page_param:
            parts = urlsplit(endpoint.url)
            rest = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != key]
            endpoint.url = urlunsplit(parts._replace(query=urlencode(rest)))
            endpoint.page_param, endpoint.first_page = key, int(value)
    return endpoint


def _js_object(text: str) -> dict[str, str]:
    """The literal key: value pairs of a JavaScript object (strings and numbers; expressions are left out)."""
    return {m.group(1): next(v for v in m.groups()[1:] if v is not None) for m in JS_PAIR_RE.finditer(text)}


# --- Parsing an answer ---------------------------------------------------------


@dataclass
class EndpointPage:
    """One page of an endpoint's list: its links, and what it says about the whole list."""

    links: list[Link] = field(default_factory=list)
    total_pages: int | None = None
    total_records: int | None = None


def parse_endpoint_page(text: str, endpoint: Endpoint, base_url: str, until: date | None = None) -> EndpointPage:
    """The listing links of one endpoint answer; EndpointError when it is not a listing."""
    if endpoint.kind == "hanweb":
        return _parse_hanweb(text, base_url, until)
    data = _load_json(text)
    page = EndpointPage(total_pages=_number(data, PAGES_KEYS), total_records=_number(data, RECORDS_KEYS))
    rows = _at(data, endpoint.items) if endpoint.items else _find_rows(data, endpoint)
    if endpoint.items and rows is None:
        raise EndpointError(f"no {endpoint.items!r} in the answer")
    if rows:
        page.links = [link for row in rows if isinstance(row, dict) and (link := _row_link(row, endpoint, base_url, until))]
        return page
    fragment = _html_in(data)  # jpaas build/unit: {"data": {"html": "<ul>…</ul>"}}
    if fragment is not None:
        page.links = _fragment_links(fragment, base_url, until)
        return page
    if rows is None and not _empty_answer(data):
        raise EndpointError("the JSON holds no list of items with a title and a link (set api_items, api_title, api_link)")
    return page  # an empty list: the end of the column


def _fragment_links(fragment: str, base_url: str, until: date | None) -> list[Link]:
    """The links of an HTML list an endpoint answers: all of them are the column's (samr's items sit in
    `li.nav04Left02_content`, which a whole page's furniture rules would take for navigation)."""
    links = parse_listing(fragment, base_url, "a", until=until).links
    return [link for link in links if len(link.title) >= 4 and link.title not in NAV_TEXT]


def _parse_hanweb(text: str, base_url: str, until: date | None) -> EndpointPage:
    if "<datastore" not in text.lower() and "<record" not in text.lower():
        raise EndpointError(_not_listing(text, "Hanweb <datastore> XML"))
    total = re.search(r"<totalrecord>\s*(\d+)\s*</totalrecord>", text, re.I)
    pages = re.search(r"<totalpage>\s*(\d+)\s*</totalpage>", text, re.I)
    records = RECORD_RE.findall(text)
    links = _fragment_links("<ul>" + "\n".join(records) + "</ul>", base_url, until) if records else []
    return EndpointPage(links, int(pages.group(1)) if pages else None, int(total.group(1)) if total else None)


def _load_json(text: str):
    stripped = text.strip().lstrip("\ufeff")
    wrapped = JSONP_RE.match(stripped) if not stripped.startswith(("{", "[")) else None
    try:
        return json.loads(wrapped.group(1) if wrapped else stripped)
    except ValueError as exc:
        raise EndpointError(_not_listing(text, "JSON", exc)) from None


def _not_listing(text: str, wanted: str, exc: Exception | None = None) -> str:
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype", "<html")) or "<body" in head or "<head" in head:
        return f"answered an HTML page, not {wanted}"
    if not text.strip():
        return f"answered nothing, not {wanted}"
    return f"answered something that is not {wanted}" + (f" ({exc})" if exc else "")


def _at(data, path: str | None):
    """The value at a dotted path ("data.bean.results", "searchVO.catMap.gongwen.listVO", "list.0.items")."""
    for part in (path or "").split("."):
        if not part:
            continue
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _find_rows(data, endpoint: Endpoint) -> list | None:
    """The longest list of objects that have a title and a link field (searched breadth-first)."""
    best, queue = None, [data]
    while queue:
        value = queue.pop(0)
        if isinstance(value, dict):
            queue += list(value.values())
        elif isinstance(value, list):
            rows = [row for row in value if isinstance(row, dict)]
            if rows and sum(1 for row in rows if _field(row, endpoint.title, TITLE_KEYS) and _has_link(row, endpoint)) * 2 >= len(rows):
                best = value if best is None or len(value) > len(best) else best
            else:
                queue += rows
    if best is None and isinstance(data, dict):
        empty = next((v for v in _values(data) if isinstance(v, list) and not v), None)
        return empty
    return best


def _values(data, into_lists: bool = True) -> Iterator:
    """Every value of a JSON answer, breadth-first; without `into_lists`, not those inside lists (the items)."""
    queue = [data]
    while queue:
        value = queue.pop(0)
        yield value
        if isinstance(value, dict):
            queue += list(value.values())
        elif isinstance(value, list) and into_lists:
            queue += value


def _empty_answer(data) -> bool:
    """An answer that says it has no items: a list key that is empty or null, or a total of 0."""
    return _number(data, RECORDS_KEYS) == 0 or data in ([], {}, None)


def _has_link(row: dict, endpoint: Endpoint) -> bool:
    if endpoint.link and "{" in endpoint.link:
        return True
    return bool(_field(row, endpoint.link, LINK_KEYS))


def _field(row: dict, name: str | None, candidates: tuple[str, ...]):
    """The row's value for the configured field, else for the first candidate name (any case) it has."""
    if name:
        return row.get(name)
    lowered = {str(k).lower(): v for k, v in row.items()}
    return next((lowered[key] for key in candidates if lowered.get(key) not in (None, "")), None)


def _row_link(row: dict, endpoint: Endpoint, base_url: str, until: date | None) -> Link | None:
    title = TAG_RE.sub("", str(_field(row, endpoint.title, TITLE_KEYS) or "")).strip()
    if endpoint.link and "{" in endpoint.link:
        href = re.sub(r"\{(\w+)\}", lambda m: str(row.get(m.group(1), "")), endpoint.link)
    else:
        href = str(_field(row, endpoint.link, LINK_KEYS) or "")
    url = strip_tracking(absolute_url(href.strip(), base_url)) if href.strip() else None
    if not url or not title:
        return None
    return Link(url, title, _row_date(_field(row, endpoint.date, DATE_KEYS), until))


def _row_date(value, until: date | None) -> str | None:
    """A date from an item: a string as pages write it, or epoch seconds or milliseconds (gov.cn's pubtime)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        seconds = value / 1000 if value > 1e11 else value
        try:
            value = datetime.fromtimestamp(seconds, TIMEZONE).date().isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    return parse_date(str(value), until) if value not in (None, "") else None


def _number(data, keys: tuple[str, ...]) -> int | None:
    """The first count an answer states under one of `keys` (any case, at any depth but inside its items)."""
    for value in _values(data, into_lists=False):
        if isinstance(value, dict):
            lowered = {str(k).lower(): v for k, v in value.items()}
            for key in keys:
                found = lowered.get(key)
                if isinstance(found, (int, str)) and not isinstance(found, bool) and str(found).isdigit():
                    return int(found)
    return None


def _html_in(data) -> str | None:
    """An HTML list inside a JSON answer (a string value holding links)."""
    return next((v for v in _values(data) if isinstance(v, str) and "<a " in v and "href" in v), None)


# --- Fetching the pages ----------------------------------------------------------


@dataclass
class Trace:
    """What was read from an endpoint and why it stopped: for the run's errors and `check-source`."""

    endpoint: Endpoint
    requests: list[dict] = field(default_factory=list)
    stopped: str = ""
    error: str | None = None

    def as_dict(self) -> dict:
        """The trace as plain data."""
        return {
            "url": self.endpoint.url, "method": "POST" if self.endpoint.kind == "hanweb" else self.endpoint.method,
            "kind": self.endpoint.kind, "from": self.endpoint.origin, "paging": self.endpoint.describe(),
            "requests": self.requests, "stopped": self.stopped, "error": self.error,
        }  # fmt: skip


@dataclass
class Cursor:
    """Where the paging of an endpoint stands, so that a backfill goes on in its next batch where the last one stopped."""

    page: int = 0  # the next page to ask for, counted from 0
    seen: set[str] = field(default_factory=set)
    counted: int = 0
    done: bool = False


def fetch_endpoint_pages(
    endpoint: Endpoint, session: Session, hosts: set[str] | None, max_pages: int, until: date | None, trace: Trace,
    cursor: Cursor | None = None,
) -> Iterator[list[Link]]:
    """The links of each page of an endpoint, in order, fetched politely; `trace` says what was asked and why it stopped.

    Paging stops at a page that is empty or holds only links already given (an endpoint
    that ignores the page number answers the same page again), at the total the answer
    states (totalPage, totalRecord …), at `max_pages`, or at the first failure, which
    `trace.error` keeps (the caller records it against the source). With a `cursor`, it
    starts at the cursor's page, goes on from it, and marks it done unless `max_pages` ended it.
    """
    cursor = cursor if cursor is not None else Cursor()
    start = cursor.page
    cursor.done = True  # unless only max_pages stops it, below
    for n in range(start, start + max_pages):
        cursor.page = n + 1
        url, method, form = endpoint.request(n)
        response = session.fetch(url, method, form, hosts=_hosts(hosts, endpoint.url))
        entry = {"url": url, "method": method, "form": form, "outcome": response.outcome, "items": 0}
        trace.requests.append(entry)
        if response.outcome == "not_modified":
            trace.stopped = "unchanged since the last run (304)"
            return
        if not response.ok:
            trace.error = f"{response.outcome}" + (f" ({response.error})" if response.error else "")
            trace.stopped = "the endpoint failed"
            return
        try:
            page = parse_endpoint_page(_text(response), endpoint, response.final_url, until)
        except EndpointError as exc:
            trace.error, trace.stopped = str(exc), "the endpoint's answer is not a listing"
            entry["outcome"] = "unreadable"
            return
        fresh = [link for link in page.links if canonical_url(link.url) not in cursor.seen]
        entry["items"] = len(page.links)
        if not page.links:
            trace.stopped = "an empty page"
            return
        if not fresh:
            trace.stopped = "a page that repeats the ones before"
            return
        cursor.seen.update(canonical_url(link.url) for link in fresh)
        cursor.counted += len(page.links)
        yield fresh
        if not endpoint.pages:
            trace.stopped = "the endpoint has one page"
            return
        if page.total_pages is not None and endpoint.kind != "hanweb" and n + 1 >= page.total_pages:
            trace.stopped = f"the last page ({page.total_pages} pages)"
            return
        if page.total_records is not None and cursor.counted + endpoint.skip >= page.total_records:
            trace.stopped = f"all {page.total_records} records"
            return
    cursor.done = False
    trace.stopped = f"max_pages ({max_pages})"


def _hosts(hosts: set[str] | None, url: str) -> set[str] | None:
    """The source's hosts and the endpoint's own: the configuration or the page named it."""
    return None if hosts is None else hosts | {site_key(url)}


def _text(response: Response) -> str:
    # JSON is UTF-8 unless it says otherwise; Hanweb's XML declares its encoding like a page.
    if "json" in response.content_type or response.content[:1] in (b"{", b"["):
        try:
            return response.content.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    return response.text
