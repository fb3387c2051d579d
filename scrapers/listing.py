"""Listing (column) pages: the article links on them and the listing pages that follow.

Pagination as government CMSs write it: TRS `createPageHTML(...)` in both its forms
(and `var countPage`), the count-down pager of `purl` + `maxPageNum` (`index_958_198` after
the index), Hanweb's `<datastore>` with `dataproxy.jsp` POST pages,
"下一页" links, `index_N.shtml` links and `?page=N`. Parsers only: nothing here fetches.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .dates import date_from_url, parse_date
from .html import tree as html_tree
from .urls import absolute_url, attachment_type, canonical_url, same_site, strip_tracking

# URLs that CMSs give articles (TRS, Hanweb, Kaipu, dated folders, numeric ids).
ARTICLE_URL_RE = re.compile(
    r"t\d{8}_\d+|/art/\d{4}/|art_\d+_\d+|content_\d+|/\d{6}/|/\d{8}/|/\d{4}-\d{2}/\d{2}/"
    r"|[?&](?:id|articleid|contentid|newsid|infoid)=\w{3,}|/[^/]*\d{4,}[^/]*\.(?:s?html?|jhtml|jsp|aspx?|php)$",
    re.I,
)
# Pages that list rather than hold an article: column indexes and list pages.
INDEX_URL_RE = re.compile(r"/(?:index|default|list|[\w]*_list)(?:_\d+)?\.(?:s?html?|jsp|aspx?|php)$|/col/col\d+/?$", re.I)
NAV_TEXT = {"首页", "上一页", "下一页", "尾页", "末页", "更多", "更多>>", "返回", "返回首页", "网站地图", "English", "无障碍"}
NEXT_TEXT_RE = re.compile(r"^\s*(?:下一页|下页|后一页|next|›|>)\s*$", re.I)
PAGE_PARAMS = ("page", "pageno", "pageindex", "pagenum", "curpage", "currentpage", "p", "pn")
# TRS: createPageHTML(10, 0, "index", "shtml") and createPageHTML('page_div', 10, 1, 'list', 'shtml', 189)
CREATE_PAGE_RE = re.compile(r"createPageHTML\s*\(([^)]*)\)")
VAR_RE = re.compile(r"""var\s+(\w+)\s*=\s*["']?([\w.]+)["']?\s*;""")
# Hanweb jpage
DATASTORE_RE = re.compile(r"<datastore>.*?</datastore>", re.S | re.I)
RECORD_RE = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
NEXTGROUP_RE = re.compile(r"<nextgroup>\s*<!\[CDATA\[.*?href=[\"']([^\"']+)[\"']", re.S | re.I)
JPAGE_NUMBER_RE = {
    key: re.compile(rf"""\b{key}\s*[:=]\s*["']?(\d+)""", re.I) for key in ("totalRecord", "perPage", "groupSize")
}
TOTAL_RECORD_TAG_RE = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)
AJAX_PARAM_RE = re.compile(r"ajaxParam\s*[:=]\s*(\{[^}]*\})", re.S)
LINK_CONTAINERS = ("li", "tr", "dd", "dt", "p", "div", "td", "span")
# Page furniture: a link inside one of these is navigation, a marquee of other columns' notices,
# a footer or a sidebar of links, never an article of the column.
FURNITURE_TAGS = {"marquee", "nav", "header", "footer", "aside", "select", "option"}
FURNITURE_NAME_RE = re.compile(
    r"(?:^|[-_\s])(?:nav|menu|header|head|top|footer|foot|bottom|marquee|scroll|gundong|roll|notice|tzgg_gd|"
    r"friend|yqlj|link|links|sidebar|side|breadcrumb|crumb|position|location|dh|daohang|share|banner)(?:$|[-_\s\d])",
    re.I,
)
# Links with these texts are services of the site, not articles, wherever they sit.
SERVICE_TEXT_RE = re.compile(r"^(?:联系我们|网站地图|在线举报|.*举报平台|.*举报中心|设为首页|加入收藏|关于我们|网站声明|隐私声明|English|无障碍|长者模式|登录|注册)$")
# A day printed without its year beside a link ("[11-07]", "10-19", "10月19日"); the year comes from the URL.
MONTH_DAY_RE = re.compile(r"^[\[(（【]?\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?\s*[\])）】]?$")
# A listing a script fills from an endpoint: ajax, fetch, axios, or a Vue/avalon app with an API path.
SCRIPT_API_RE = re.compile(
    r"""(?:\$\.(?:ajax|get|post|getJSON)\s*\(\s*\{?\s*(?:url\s*:\s*)?|axios(?:\.(?:get|post))?\s*\(\s*(?:\{\s*url\s*:\s*)?|fetch\s*\(\s*|\burl\s*:\s*)["']([^"']+)["']""",
    re.I,
)


@dataclass
class Link:
    """An article (or document) link found on a listing page."""

    url: str
    title: str
    date: str | None = None


@dataclass
class PageRequest:
    """A listing page to fetch: a URL, and form data for Hanweb's POST pages."""

    url: str
    method: str = "GET"
    data: dict[str, str] | None = None

    @property
    def key(self) -> str:
        """What makes two requests the same page."""
        return canonical_url(self.url) + ("?" + urlencode(sorted(self.data.items())) if self.data else "")


@dataclass
class Listing:
    """What one listing page holds: article links, further listing pages, links off the site."""

    links: list[Link] = field(default_factory=list)
    pages: list[PageRequest] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)
    skipped: list[Link] = field(default_factory=list)  # same-site links taken for furniture, not articles
    paging: list[str] = field(default_factory=list)  # the rules that gave `pages`
    script: str | None = None  # said when the list seems to be filled by a script from an endpoint


def parse_listing(
    html: str,
    url: str,
    link_selector: str | None = None,
    include: str | None = None,
    exclude: str | None = None,
    until: date | None = None,
) -> Listing:
    """Article links and further listing pages of one listing page (HTML or Hanweb XML)."""
    listing = Listing()
    datastore = DATASTORE_RE.search(html)
    records = RECORD_RE.findall(datastore.group(0)) if datastore else []
    fragments = ["<ul>" + "\n".join(records) + "</ul>"] if records else []
    if not fragments or "<html" in html[:2000].lower():
        fragments.append(DATASTORE_RE.sub("", html))
    pagers: dict[str, bool] = {}  # pager link -> whether it says "next page"
    candidates: list[tuple[Link, object, bool, bool]] = []  # link, anchor, in furniture, dated
    for fragment in fragments:
        if not fragment.strip():
            continue
        root = html_tree(fragment)
        anchors = root.cssselect(link_selector) if link_selector else root.iter("a")
        for anchor in anchors:
            if anchor.tag != "a":
                anchor = next(anchor.iter("a"), None)
                if anchor is None:
                    continue
            found = strip_tracking(absolute_url(anchor.get("href", ""), url))
            if not found:
                # 下一页 as `javascript:gotoCurrentPage('2')`: the page the function sends the browser to
                target = _script_next_page(anchor.get("href", ""), anchor.text_content(), html, url)
                if target:
                    pagers[target] = True
                continue
            if is_pagination(found, url, anchor.text_content()):
                pagers[found] = pagers.get(found, False) or bool(NEXT_TEXT_RE.match(anchor.text_content()))
                continue
            if not same_site(found, url):
                listing.offsite.append(found)
                continue
            if include and not re.search(include, found) or exclude and re.search(exclude, found):
                continue
            inside = _date_inside(anchor, until)
            beside = inside or _date_beside(anchor, until)
            text = _clean(anchor.get("title") or _anchor_text(anchor, inside))
            link = Link(found, text, _with_year(beside, found, until))
            if link_selector:
                listing.links.append(link)
            elif SERVICE_TEXT_RE.match(text):
                listing.skipped.append(link)
            elif is_article_link(found, text, beside, url):
                candidates.append((link, anchor, in_furniture(anchor), beside is not None))
            elif in_furniture(anchor):
                listing.skipped.append(link)
    listing.links += _the_list(candidates, listing.skipped, url)
    listing.links = _unique(listing.links)
    listing.skipped = _unique(listing.skipped)
    here = canonical_url(url)
    # "下一页" names the next page whatever its URL looks like (a court's "…-down-2-" on page 2);
    # other pager links count when their number is past this page's.
    later = sorted((p for p, says_next in pagers.items() if canonical_url(p) != here and (says_next or _later(p, url))), key=_page_number)
    listing.pages, listing.paging = paging(html, url, later)
    if not listing.links:
        listing.script = script_listing(html, url)
    return listing


JS_CALL_RE = re.compile(r"""^\s*javascript:\s*(\w+)\s*\(\s*["']?(\d+)["']?\s*\)\s*;?\s*$""", re.I)


def _script_next_page(href: str, text: str, html: str, url: str) -> str | None:
    """The URL a "下一页" link of the form `javascript:fn('2')` leads to, read from `function fn(n)` on the page.

    The function sets `window.location` (or `location.href`) to a string plus its argument
    (`"Column.shtml?p5=28&p7="+pageNo`); a branch for page 1 without the argument is not the next page's.
    """
    call = JS_CALL_RE.match(href or "")
    if not call or not NEXT_TEXT_RE.match(text or ""):
        return None
    name, number = call.groups()
    body = re.search(rf"function\s+{re.escape(name)}\s*\(\s*(\w+)\s*\)\s*\{{(.*?)\n\s*\}}", html, re.S)
    if not body:
        return None
    param = re.escape(body.group(1))
    targets = re.findall(rf"""location(?:\.href)?\s*=\s*["']([^"']*)["']\s*\+\s*{param}\b""", body.group(2))
    return absolute_url(targets[-1] + number, url) if targets else None


def in_furniture(anchor) -> bool:
    """Whether a link sits in navigation, a marquee, a header, footer or sidebar (by tag, class or id)."""
    for element in anchor.iterancestors():
        if not isinstance(element.tag, str):
            continue
        if element.tag in FURNITURE_TAGS:
            return True
        name = f"{element.get('class', '')} {element.get('id', '')}"
        if name.strip() and FURNITURE_NAME_RE.search(name):
            return True
    return False


def _the_list(candidates: list, skipped: list[Link], url: str) -> list[Link]:
    """The column's own list: the block holding the most links into the column's own directory, then the most dated links.

    A block is a list when three of its links have a date beside them or lead into the
    column's own directory (TRS `./202111/t20211108_….html`); the own directory counts first,
    so that a longer box of other columns' dated notices (`../../wsfw/tdgg/…`) does not win. A
    list the CMS prints in several blocks of the same kind (groups of five rows) is one list.
    Article-shaped links elsewhere (a marquee, a "hot news" sidebar, a footer) are skipped,
    even when dated; a list inside an element whose class looks like furniture
    (`ul.position2`) still wins when it is the page's dated list. A page without dated blocks
    keeps every article-shaped link outside the furniture.
    """
    path = urlsplit(canonical_url(url)).path
    home = path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"
    dated: dict = {}
    own: dict = {}
    for link, anchor, _, is_dated in candidates:
        block = _block(anchor)
        if block is None or any(e.tag in FURNITURE_TAGS for e in anchor.iterancestors()):
            continue
        dated[block] = dated.get(block, 0) + is_dated
        own[block] = own.get(block, 0) + (len(home) > 1 and urlsplit(canonical_url(link.url)).path.startswith(home))
    # a list: three dated rows, or three articles of the column's own directory (dated or not)
    lists = [block for block in dated if dated[block] >= 3 or own[block] >= 3]
    if not lists:
        kept = []
        for link, _, furniture, _ in candidates:
            (skipped if furniture else kept).append(link)
        return kept
    best = max(lists, key=lambda b: (own[b], dated[b] / (2 if _furniture_named(b) else 1), dated[b]))
    chosen = {b for b in lists if b is best or _same_kind(b, best)}
    kept = []
    for link, anchor, _, _ in candidates:
        (kept if _block(anchor) in chosen else skipped).append(link)
    return kept


def _same_kind(block, best) -> bool:
    """Blocks of one list: same tag and class, side by side in one container."""
    return block.tag == best.tag and block.get("class") == best.get("class") and block.getparent() is best.getparent()


def _furniture_named(element) -> bool:
    """Whether an element or one of its ancestors has a furniture-like class or id."""
    for e in [element, *element.iterancestors()]:
        name = f"{e.get('class', '')} {e.get('id', '')}" if isinstance(e.tag, str) else ""
        if name.strip() and FURNITURE_NAME_RE.search(name):
            return True
    return False


def _block(anchor):
    """The list element a link belongs to: its nearest ul/ol/table/dl, else the div around its row."""
    row = None
    for element in anchor.iterancestors():
        if element.tag in ("ul", "ol", "table", "tbody", "dl"):
            return element if element.tag != "tbody" else (element.getparent() if element.getparent() is not None else element)
        if element.tag in ("li", "tr", "p", "dd", "dt") and row is None:
            row = element
        elif element.tag == "div" and row is not None:
            return element
        elif element.tag == "div" and row is None:
            row = element
    return None


def script_listing(html: str, url: str) -> str | None:
    """What to tell the user when a listing page has no links of its own because a script loads them."""
    scripts = " ".join(re.findall(r"<script[^>]*>(.*?)</script>", html, re.S | re.I))
    endpoints = [m.group(1) for m in SCRIPT_API_RE.finditer(scripts) if not m.group(1).endswith((".js", ".css"))]
    app = re.search(
        r"new\s+Vue\s*\(|createApp\s*\(|avalon\.define|ms-controller|v-for=|ms-for=|text/x-(?:handlebars-)?template|\{\{#each",
        html,
    )
    if not endpoints and not app:
        return None
    # The list's own endpoint rather than a weather widget's or a counter's: one of the
    # site's family of hosts (haiyun.jl.gov.cn for www.ggzyzx.jl.gov.cn), with a path that searches or lists.
    ranked = sorted((absolute_url(e, url) or e for e in endpoints), key=lambda e: -endpoint_rank(e, url))
    where = f" from {ranked[0]}" if ranked else ""
    return f"listing loaded by script{where}; set `api_url`"


def endpoint_rank(endpoint: str, page: str) -> int:
    """How likely an endpoint named in a page's scripts is the one that fills its list."""
    host, home = urlsplit(endpoint).hostname or "", urlsplit(page).hostname or ""
    family = ".".join(home.split(".")[-3:])
    near = host == home or (home.count(".") >= 2 and host.endswith("." + family))
    listing = bool(re.search(r"search|list|query|page|data|column|channel|article|info", urlsplit(endpoint).path, re.I))
    return 2 * near + listing


def is_pagination(link: str, listing_url: str, text: str) -> bool:
    """True for a link to another page of the same listing."""
    if not same_site(link, listing_url):
        return False
    if NEXT_TEXT_RE.match(text) or _clean(text) in {"上一页", "尾页", "末页"}:
        return True
    a, b = urlsplit(link), urlsplit(listing_url)
    if a.path == b.path and _page_param(a.query) is not None:
        return True
    stem = re.sub(r"(?:_\d+)?\.(\w+)$", "", posixpath.basename(b.path) or "index.html")
    base = posixpath.basename(a.path)
    return posixpath.dirname(a.path) == posixpath.dirname(b.path) and bool(re.fullmatch(rf"{re.escape(stem)}_\d+\.\w+", base))


def is_article_link(url: str, text: str, beside: str | None, listing_url: str) -> bool:
    """Whether a same-site link on a listing page leads to an article (or a document)."""
    if canonical_url(url) == canonical_url(listing_url) or text in NAV_TEXT or len(text) < 2:
        return False
    if attachment_type(url):
        return True
    path = urlsplit(url).path
    if INDEX_URL_RE.search(path) or path in ("", "/"):
        return False
    # A URL shaped like an article's is enough; otherwise a title-like text beside a date.
    return bool(ARTICLE_URL_RE.search(url)) or (beside is not None and len(text) >= 4)


def pagination(html: str, url: str, pagers: list[str] | None = None) -> list[PageRequest]:
    """The listing pages that follow this one, in order, from every pager form it carries."""
    return paging(html, url, pagers)[0]


def paging(html: str, url: str, pagers: list[str] | None = None) -> tuple[list[PageRequest], list[str]]:
    """The listing pages that follow this one, and the rules that found them."""
    down = count_down_pages(html, url)
    if down:  # its pages count down: a pager link with a higher number is an earlier page (the highest is page 1)
        prefix = down[0].url.rsplit("_", 1)[0] + "_"
        pagers = [link for link in pagers or [] if not link.startswith(prefix)]
    found = [
        ("createPageHTML", trs_pages(html, url)),
        ("countPage", count_page(html, url) if "createPageHTML" not in html else []),
        ("maxPageNum", down),
        ("dataproxy.jsp", hanweb_pages(html, url)),
        ("next-page links", [PageRequest(link) for link in pagers or []]),
    ]
    pages, rules, seen = [], [], set()
    for rule, requests in found:
        fresh = [r for r in requests if r.key not in seen]
        seen.update(r.key for r in fresh)
        pages += fresh
        if fresh:
            rules.append(rule)
    return pages, rules


COUNT_PAGE_RE = re.compile(r"var\s+countPage\s*=\s*(\d+)")
CURRENT_PAGE_RE = re.compile(r"var\s+currentPage\s*=\s*(\d+)")


def count_page(html: str, url: str) -> list[PageRequest]:
    """TRS pages written by a script from `var countPage = N` (index_1 … index_{N-1} after index)."""
    count, current = COUNT_PAGE_RE.search(html), CURRENT_PAGE_RE.search(html)
    if not count:
        return []
    directory, name = url.rsplit("/", 1) if "/" in urlsplit(url).path else (url.rstrip("/"), "")
    stem, _, suffix = (name or "index.html").partition(".")
    stem = re.sub(r"_\d+$", "", stem) or "index"
    first = int(current.group(1)) + 1 if current else 1
    return [PageRequest(f"{directory}/{stem}_{n}.{suffix or 'html'}") for n in range(first, int(count.group(1)))]


PURL_RE = re.compile(r"""var\s+purl\s*=\s*["']([^"']+)["']""")
MAX_PAGE_NUM_RE = re.compile(r"\bmaxPageNum\s*=\s*(\d+)\s*;")


def count_down_pages(html: str, url: str) -> list[PageRequest]:
    """Pages of a pager that counts down: `var purl="../../n3/n13/index_958"` and `maxPageNum = 199`.

    Its `writePaging()` names page K `purl_{N-K+1}.html`: after the index (page 1) comes
    `index_958_198`, and `index_958_1` is the last page, so the pages after this one are
    the lower numbers, highest first (a run that stops early reads the newest pages).
    """
    base, counts = PURL_RE.search(html), [int(n) for n in MAX_PAGE_NUM_RE.findall(html)]
    if not base or not counts or max(counts) < 2:
        return []
    prefix = absolute_url(base.group(1), url) or base.group(1)
    here = re.search(rf"{re.escape(posixpath.basename(prefix))}_(\d+)\.html?$", urlsplit(url).path)
    current = int(here.group(1)) if here else max(counts)  # the index is page `maxPageNum`
    return [PageRequest(f"{prefix}_{n}.html") for n in range(current - 1, 0, -1)]


def trs_pages(html: str, url: str) -> list[PageRequest]:
    """The pages after this one from TRS `createPageHTML` (old form: 0-based `current`; new: 1-based)."""
    # The call, not the definition: some templates define `function createPageHTML(_nPageCount, …)`
    # inline before calling it with the numbers; a call commented out (`//createPageHTML(9, …)`) is not one.
    match = next((m for m in CREATE_PAGE_RE.finditer(html) if not _definition_or_comment(html, m.start())), None)
    if not match:
        return []
    variables = dict(VAR_RE.findall(html))
    args = [a.strip().strip("\"'") for a in match.group(1).split(",")]
    args = [variables.get(a, a) for a in args]
    new_form = bool(args) and not args[0].isdigit()  # the pager's element id comes first
    if new_form:
        args = args[1:]
    if len(args) < 4 or not args[0].isdigit() or not args[1].isdigit():
        return []
    count, current, prefix, suffix = int(args[0]), int(args[1]), args[2], args[3]
    directory = url.rsplit("/", 1)[0]
    # The old form counts pages from 0 (index.shtml, index_1 … index_{N-1}); the new
    # form, which names its element first, from 1 (list.shtml, list_2 … list_N). The
    # pages to follow are those after the current one (page 118 of 500 goes on at index_118).
    first, last = (max(current + 1, 2), count) if new_form else (max(current + 1, 1), count - 1)
    return [PageRequest(f"{directory}/{prefix}_{n}.{suffix}") for n in range(first, last + 1)]


def _definition_or_comment(html: str, start: int) -> bool:
    """Whether `createPageHTML(` at `start` is the function's definition or sits in a `//` comment."""
    line = html[html.rfind("\n", 0, start) + 1 : start]
    return bool(re.search(r"function\s*$", html[max(0, start - 40) : start]) or re.search(r"(?:^|[\s;])//", line))


def hanweb_pages(html: str, url: str) -> list[PageRequest]:
    """Hanweb jpage: the POST pages of `dataproxy.jsp` after the records embedded in page 1."""
    datastore = DATASTORE_RE.search(html)
    if not datastore:
        return []
    nextgroup = NEXTGROUP_RE.search(datastore.group(0))
    numbers = {k: int(m.group(1)) for k, r in JPAGE_NUMBER_RE.items() if (m := r.search(html))}
    total = numbers.get("totalRecord") or _int(TOTAL_RECORD_TAG_RE.search(html))
    if not nextgroup or not total:
        return []
    proxy = absolute_url(nextgroup.group(1).replace("&amp;", "&"), url)
    parts = urlsplit(proxy)
    form = {k: v for k, v in parse_qsl(parts.query) if k.lower() not in ("page", "startrecord", "endrecord", "perpage")}
    ajax = AJAX_PARAM_RE.search(html)
    if ajax:
        try:
            form.update({k: str(v) for k, v in json.loads(ajax.group(1)).items()})
        except ValueError:
            pass
    form.setdefault("col", "1")
    per_page = numbers.get("perPage", 15)
    group = per_page * numbers.get("groupSize", 3)
    already = len(RECORD_RE.findall(datastore.group(0)))
    base = urlunsplit(parts._replace(query=""))
    pages = []
    for start in range(already + 1, total + 1, group):
        query = urlencode({"startrecord": start, "endrecord": min(start + group - 1, total), "perpage": per_page})
        pages.append(PageRequest(f"{base}?{query}", "POST", dict(form)))
    return pages


def _date_beside(anchor, until: date | None) -> str | None:
    """The date printed next to a link ("<span>2021-11-08</span>", "[2021-11-08]"); "--MM-DD" for a day without its year."""
    for parent in anchor.iterancestors():
        if parent.tag in LINK_CONTAINERS:
            titles = [a for a in parent.iter("a") if len(_clean(a.text_content())) >= 4]
            text = _clean(parent.text_content()).replace(_clean(anchor.text_content()), " ", 1)
            if len(titles) > 1 or len(text) > 200:  # a date here may be another link's
                return None
            found = parse_date(text, until) or _month_day(text)
            if found:
                return found
        if parent.tag in ("ul", "table", "body", "ol"):
            return None
    return None


def _date_inside(anchor, until: date | None) -> str | None:
    """A date printed inside the link in an element of its own (`<a>title<span class="date">2016-07-28</span></a>`)."""
    for element in anchor.iterdescendants():
        text = _clean(element.text_content()) if isinstance(element.tag, str) else ""
        if text and len(text) <= 20:
            found = parse_date(text, until) or _month_day(text)
            if found:
                return found
    return None


def _anchor_text(anchor, inner_date: str | None) -> str:
    """A link's text without the date printed inside it."""
    if not inner_date:
        return anchor.text_content()
    parts = [anchor.text or ""]
    for child in anchor:
        text = child.text_content() if isinstance(child.tag, str) else ""
        dated = len(_clean(text)) <= 20 and (parse_date(_clean(text)) or _month_day(_clean(text)))
        parts += ["" if dated else text, child.tail or ""]
    return "".join(parts)


def _month_day(text: str) -> str | None:
    """"--MM-DD" for a day printed alone without its year ("[11-07]", "10-19")."""
    match = MONTH_DAY_RE.match(_clean(text))
    if not match:
        return None
    month, day = int(match.group(1)), int(match.group(2))
    return f"--{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else None


def _with_year(found: str | None, url: str, until: date | None) -> str | None:
    """A listing date as ISO: a day without its year takes the year of the date in the article's URL, else stays unknown."""
    if not found or not found.startswith("--"):
        return found
    from_url = date_from_url(url, until)
    if not from_url:
        return None
    try:
        day = date(int(from_url[:4]), int(found[2:4]), int(found[5:7]))
    except ValueError:
        return None
    return day.isoformat() if until is None or day <= until else None


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _page_param(query: str) -> int | None:
    for key, value in parse_qsl(query):
        if key.lower() in PAGE_PARAMS and value.isdigit():
            return int(value)
    return None


def _page_number(url: str) -> int:
    """The page a listing URL shows: `?page=N`, `index_N.shtml`; the first page when neither."""
    parts = urlsplit(url)
    number = _page_param(parts.query)
    if number is not None:
        return number
    match = re.search(r"_(\d+)\.\w+$", parts.path)
    return int(match.group(1)) if match else 0


def _later(link: str, here: str) -> bool:
    """Whether a pager link goes forward: `?page=N` counts from 1, `index_N` from 0 (index.shtml)."""
    number = _page_number(link)
    if _page_param(urlsplit(link).query) is not None:
        current = _page_param(urlsplit(here).query)
        return number > (current if current is not None else 1)
    return number > _page_number(here)


def _int(match) -> int | None:
    return int(match.group(1)) if match else None


def _unique(links: list[Link]) -> list[Link]:
    seen, unique = set(), []
    for link in links:
        key = canonical_url(link.url)
        if key not in seen:
            seen.add(key)
            unique.append(link)
    return unique

