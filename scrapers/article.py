"""Article pages: title, publication date, issuer, body text and attachment links.

Standard government `<meta>` tags first (ArticleTitle, PubDate, ContentSource…),
then the CMS containers practitioners converge on, then a main-content fallback.
Parsers only: nothing here fetches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .dates import date_from_url, parse_date, parse_shown_date
from .html import fragment as html_fragment
from .html import tree as html_tree
from .text import breadcrumb_tail, is_breadcrumb
from .urls import absolute_url, attachment_type

TITLE_METAS = ("articletitle", "title", "og:title")
DATE_METAS = ("pubdate", "firstpublishedtime", "publishdate", "article:published_time", "publishtime", "dc.date")
ISSUER_METAS = ("contentsource", "source")
# Body containers of the common CMSs, most specific first (SOURCES.md).
CONTAINERS = (
    ".TRS_Editor",
    ".TRS_UEDITOR",
    ".Custom_UnionStyle",
    "#zoom",
    "#UCAP-CONTENT",
    ".pages_content",
    ".easysite-news-peruse",
    "#content",
    ".content",
    ".article-content",
    "#mainText",
    "#articleContent",
    "article",
)
# Labels of a block that lists an article's files.
ATTACHMENT_LABELS = ("相关附件", "附件下载", "附件：", "附件:", "附件列表", "下载附件")
# Names any widget may carry: they count only when they hold prose.
GENERIC_CONTAINERS = {"#content", ".content", ".article-content", "#mainText", "#articleContent", "article"}
# Hanweb marks the body with comments rather than an element.
ZJEG_RE = re.compile(r"<!--\s*ZJEG_RSS\.content\.begin\s*-->(.*?)<!--\s*ZJEG_RSS\.content\.end\s*-->", re.S | re.I)
BLOCK_TAGS = {
    "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "section", "article",
    "blockquote", "pre", "dd", "dt", "dl", "center", "form", "header", "footer", "figure", "figcaption", "br", "hr",
}  # fmt: skip
SKIP_TAGS = {"script", "style", "noscript", "template", "iframe", "select", "button", "input", "textarea", "object"}
# An issuer label and its value, on the same line or the next; "来 源" is spaced on some templates.
ISSUER_LABELS = r"(?:来\s?源于|文章来源|信息来源|来\s?源|发布机构|发文机关|发布单位|作者单位)"
ISSUER_RE = re.compile(ISSUER_LABELS + r"\s*[:：]\s*([^\s|｜:：【】\[\]]{2,40})(?![^\s]*\s*[:：])")
# Words that are labels themselves: an empty 来源： followed by one of them has no issuer.
LABEL_WORDS = ("发布日期", "发布时间", "日期", "时间", "访问量", "浏览", "阅读", "字体", "字号", "作者", "分享", "点击", "责任编辑")
# Lines that end an article: its tails and the pager to other articles …
TAIL_RE = re.compile(
    r"^(?:【?\s*责任编辑|责编[:：]|编辑[:：]|扫一扫|【\s*(?:打印|关闭|纠错|返回顶部)|\[\s*打印|打印本页|关闭窗口|打印\s*[|｜]|(?:打印|关闭|返回顶部)$"
    r"|相关(?:附件|链接|文章|稿件|新闻|信息|阅读|解读)|附件下载|文件下载|(?:相关)?附件\s*[:：]?$|▪?\s*上一篇|▪?\s*下一篇|分享到"
    r"|【信息发布)"
)
# … and the page footer, which only ends it when no prose follows (a notice may name its 主办单位).
FOOTER_RE = re.compile(r"^(?:版权所有|主办单位|主办[:：]|网站标识码|.*ICP备|关于我们|网站地图)")
# Lines about the article rather than of it, at the head of a container: date, source, font size, share, views.
HEAD_RE = re.compile(
    r"^(?:[【\[]?\s*(?:来\s?源|信息来源|文章来源|发布(?:日期|时间|机构)|时间|日期|作者|字[体号]|浏览|阅读|点击|分享|更新时间|时间发布)"
    r"|[【\[]\s*(?:打印|扫一扫|收藏|关闭)\s*[】\]]$"  # the page's tools above the text: 【 打印 】【 扫一扫 】
    r"|\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}日?(?:\s*\d{1,2}\s*[:：时]\s*\d{1,2}\S*)?(?:\s+来\s?源.*|(?:\s+\S{1,8}[:：]\S*)*)$"
    r"|(?:当前位置|您的位置|您现在的位置|您当前所在位置)|[大中小\s]+$|[A-Za-z×x]$"
    r"|\S{0,8}(?:记者|通讯员)(?:\s*\S{2,4}){1,4}$"  # a byline alone on its line
    r"|\S{1,10}〔\d{4}〕\d+号$"  # the document number of a notice
    r"|[0-9A-Z]{6,}[-/]\d{4}-\d+$|索取号|索引号|文件编号|备注$)"  # a 信息公开 table's index number and labels
)
# Shorter than this after the furniture is gone, a page holds no article (a menu, a missing text).
MIN_ARTICLE = 20
# The label of a metadata table's title row, alone on its line or before the value.
TITLE_LABEL_RE = re.compile(r"^(?:标\s*题|文件名称|文章标题|信息名称|名\s*称)\s*[:：]\s*(.*)$")
# The byline under a title: a label (来源, 发布时间, 作者 …) or a date opening the line (新华网: "2024 07/22 14:52:26").
BYLINE_RE = re.compile(
    r"^[【\[(（]?\s*(?:来\s?源|信息来源|文章来源|稿件来源|发布(?:日期|时间|机构|者)|发表(?:时间|日期)|更新时间|时间|日期|作者|撰稿)\s*[:：]"
    r"|^[(（]?\s*(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}日?(?:\s+\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?\s*[)）]?(?:\s+\S.*)?$"
    r"|^(?:19|20)\d{2}\s+\d{2}/\d{2}\s+\d{1,2}:\d{2}"
)
# 新华网's date line: "2024 07/22 14:52:26".
SLASHED_DATE_RE = re.compile(r"^\s*((?:19|20)\d{2})\s+(\d{1,2})/(\d{1,2})\s+\d{1,2}:\d{2}")
# A heading that holds the byline as well as the title ("… 2023-08-19 来源：解放日报 字号：").
BYLINE_IN_HEADING_RE = re.compile(r"来\s?源\s*[:：]|发布(?:时间|日期)|(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}")
# Lines above a byline that are not a title: breadcrumbs, labels, counters, a document number, sentences.
NOT_TITLE_RE = re.compile(
    r"当前位置|您的位置|首页\s*[>＞»/]|[>＞»]\s*正文|^[>＞»]|[:：]$|\S{2,6}[:：]|。$|^(?:大\s*中\s*小|字号|字体|打印|关闭|分享)"
    r"|〔\d{4}〕\d+号$|第\d+号$|www\.|门户网站"
)
# A site name after the title in <title>: "标题_浙江省人民政府", "标题 - 中国政府网".
TITLE_SUFFIX_RE = re.compile(r"\s*(?:[_|｜]|\s[-—–]\s).*$")
# Below this many characters a container is empty chrome (a print button, a date line).
MIN_BODY = 20


@dataclass
class Attachment:
    """A file linked from an article, and what became of it."""

    url: str
    type: str
    name: str = ""
    parsed: bool = False
    error: str | None = None
    articles: int = 0
    page: str | None = None  # the article page that links it (the link itself when listed directly)


@dataclass
class Page:
    """What an article page says about itself."""

    title: str
    body: str
    published: str | None = None
    issuer: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    date_from: str | None = None
    body_from: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def no_text(self) -> bool:
        """True when the page holds no article text (a menu, a template whose text is missing)."""
        return not self.body


def parse_article(
    html: str,
    url: str,
    listing_title: str | None = None,
    listing_date: str | None = None,
    title_selector: str | None = None,
    date_selector: str | None = None,
    body_selector: str | None = None,
    until: date | None = None,
) -> Page:
    """Title, date (meta → 发布日期 → listing → URL), issuer, body and attachments of an article page."""
    root = html_tree(html)
    metas = {
        (m.get("name") or m.get("property") or "").strip().lower(): (m.get("content") or "").strip()
        for m in root.iter("meta")
        if m.get("content")
    }
    body, container, body_from = extract_body(root, html, body_selector)
    page_text = block_text(root.find("body") if root.find("body") is not None else root)

    # A 信息公开 page names its document in a labelled row ("标　　题：…") of its metadata table.
    title = _select_text(root, title_selector) or metas.get("articletitle") or labelled_title(page_text)
    if not title and listing_title and not listing_title.endswith(("...", "…")):
        title = listing_title
    if not title:
        # A heading that the <title> repeats is the article's; the first heading of a page is
        # often a menu's ("全部导航", "热点新闻"), so it comes only after the <title>'s shown part.
        head = _clean(re.sub(r"<br\s*/?>", " ", root.findtext(".//title") or "", flags=re.I))
        headings = [_clean(h.text_content()) for h in root.iter("h1", "h2", "h3")]
        headings = [h for h in headings if len(h) >= 4]
        title = next((h for h in headings if re.sub(r"\s+", "", h) in re.sub(r"\s+", "", head)), None)
        title = title or _title_from_head(head, page_text, fallback=False)
        # What the <title> and the headings give may be the site's or the column's name
        # ("广西壮族自治区人民政府门户网站 - www.gxzf.gov.cn", "工作动态_重庆市…"): unless it sits just
        # above the byline (来源：…, 发布时间：…), the line that does is the title.
        ranked = [(int(h.tag[1]), _clean(h.text_content())) for h in root.iter("h1", "h2", "h3")]
        under = byline_title(page_text, ranked, body)
        if under and not (title and (_above_byline(title, page_text) or under in title)):
            title = under
        title = title or (headings[0] if headings else None)
    if not title:
        title = _title_from_head(_clean(root.findtext(".//title") or ""), page_text) or (listing_title or "")
    if is_breadcrumb(title):
        # A breadcrumb is never a title: the <title> without the site's name, else the trail's last segment.
        shown = _title_from_head(_clean(root.findtext(".//title") or ""), page_text)
        title = next((t for t in (metas.get("title"), shown, listing_title) if t and not is_breadcrumb(t)), breadcrumb_tail(title))

    # The date shown with the title is what the publisher means; the meta tag is often the
    # time of a later republication (SOURCES.md), so it only fills in.
    meta_date = next((d for k in DATE_METAS if (d := parse_date(metas.get(k), until))), None)
    shown = parse_shown_date(page_text, title, until) or byline_date(page_text, title, until)
    candidates = [
        ("selector", parse_date(_select_text(root, date_selector), until)),
        ("page", shown),
        ("meta", meta_date),
        ("listing", parse_date(listing_date, until)),
        ("url", date_from_url(url, until)),
    ]
    date_from, published = next(((k, d) for k, d in candidates if d), (None, None))
    problems = []
    if shown and meta_date and shown != meta_date:
        problems.append(f"date: the page shows {shown}, its meta tag says {meta_date}")

    issuer = next((metas[k] for k in ISSUER_METAS if metas.get(k)), None) or find_issuer(page_text)
    body = trim_body(body, title, issuer)
    return Page(
        title=_clean(title),
        body=body,
        published=published,
        issuer=issuer,
        attachments=find_attachments(root, container, url),
        date_from=date_from,
        body_from=body_from,
        problems=problems,
    )


def _title_from_head(head: str, page_text: str, fallback: bool = True) -> str | None:
    """The article's part of a `<title>` ("站名-栏目-标题", "标题_站名"): the part the page shows as a line."""
    shown = {line.strip() for line in page_text.split("\n")}
    # "标题_站名", "站名-栏目-标题", or without those separators "站名 栏目 标题"
    parts = [p.strip() for p in re.split(r"\s*(?:[_|｜]|\s[-—–]\s|-)\s*", head) if p.strip()]
    if len(parts) == 1:
        parts = head.split()
    found = next((p for p in sorted(parts, key=len, reverse=True) if p in shown and len(p) >= 4), None)
    return found or (TITLE_SUFFIX_RE.sub("", head) if fallback else None)


def byline_title(text: str, headings: list[tuple[int, str]] = (), body: str = "") -> str | None:
    """The title above a page's byline (来源：…, 发布时间：…, a date line): where templates put it.

    The byline is the one nearest above the article's text (else the page's first); of the
    three lines above it (a source or a subtitle may come between), the heading that holds the
    nearest is the title, else the longest of them.
    """
    lines = [line.strip() for line in text.split("\n")]
    bylines = [i for i, line in enumerate(lines) if i and BYLINE_RE.match(line)]
    first = next((line for line in body.split("\n") if len(line) >= 10), None)
    start = next((i for i, line in enumerate(lines) if first and line == first), None)
    if start is not None:
        bylines = [i for i in bylines if start - 15 <= i <= start][-1:] + bylines
    for i in bylines:
        # up from the byline, past the rest of it ("来源：", its value) and short lines, to three lines
        candidates = [
            line for line in reversed(lines[max(0, i - 6) : i])
            if 5 <= len(line) <= 100 and not BYLINE_RE.match(line) and not NOT_TITLE_RE.search(line)
            and re.search(r"[\u4e00-\u9fff]{2}|[A-Za-z]{4}", line)
        ][:3]
        if candidates:
            # a kicker (引题) above the title and a subtitle (副题) under it are headings too, of a
            # lower rank: the highest-ranked heading holding a candidate, without the byline in it
            held = [
                (level, h) for level, h in headings
                if any(c in h for c in candidates) and len(h) <= 120 and not BYLINE_IN_HEADING_RE.search(h)
            ]
            return min(held, key=lambda pair: pair[0])[1] if held else max(candidates, key=len)
    return None


def byline_date(text: str, title: str | None, until: date | None = None) -> str | None:
    """The date in the byline under the title when no label names it: "来源：宣教中心 2022-11-14 14:59",
    "来源：光明网-《光明日报》2024-01-29 04:35", 新华网's "2024 07/22 14:52:26"."""
    lines = text.split("\n")
    key = re.sub(r"\s+", "", title or "")[:12]
    start = next((i for i, line in enumerate(lines) if key and key in re.sub(r"\s+", "", line)), None)
    if start is None:
        return None
    for line in lines[start + 1 : start + 8]:
        match = SLASHED_DATE_RE.match(line)
        if match:
            return parse_date("-".join(match.groups()), until)
        if re.match(r"^[【\[(（]?\s*(?:来\s?源|信息来源|文章来源|稿件来源|作者|撰稿)\s*[:：]", line) and not re.search(r"成文|实施|生效", line):
            found = parse_date(line, until)
            if found:
                return found
    return None


def _above_byline(line: str, text: str) -> bool:
    """True when `line` is shown right above a byline, or two lines above (a source or a subtitle
    between) when it is longer than a column's name."""
    lines = [item.strip() for item in text.split("\n")]
    reach = 3 if len(line) >= 8 else 2
    return any(lines[i] == line and any(BYLINE_RE.match(after) for after in lines[i + 1 : i + reach]) for i in range(len(lines)))


def labelled_title(text: str) -> str | None:
    """The title a metadata table labels (标题, 信息名称, 文件名称, 名称), the value on the label's line or the next."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        match = TITLE_LABEL_RE.match(line)
        if not match:
            continue
        value = match.group(1).strip() or (lines[i + 1].strip() if i + 1 < len(lines) else "")
        if 4 <= len(value) <= 120 and not re.search(r"[:：]$", value) and not TITLE_LABEL_RE.match(value):
            return value
    return None


def find_issuer(text: str) -> str | None:
    """The issuer a page labels (来源, 信息来源, 发布机构 …), label stripped; an empty label is none."""
    # the value on the label's line (the spaces after the colon never run on to the next line)
    for match in re.finditer(ISSUER_LABELS + r"\s*[:：][ \t\u3000]*([^\n|｜【】\[\]]*?)\s*(?=$|\n|[|｜【\[]|\s\S{2,6}[:：])", text, re.M):
        value = match.group(1).strip()
        if not value:  # the value may sit on the next line ("来源:\n四川日报")
            rest = text[match.end():].lstrip("\n").split("\n", 1)[0].strip()
            value = rest if rest and not re.search(r"[:：]", rest) and len(rest) <= 40 else ""
        # cut at a date, a next field ("… 作者", "…发布日期：" glued on) or the page's tools ("教育部 下载 收藏")
        value = re.split(
            r"\s*\d{4}[-/.年]\d|\s+(?:发布|时间|日期|作者|记者|责任编辑|浏览|阅读|字号|字体|下载|收藏|打印|分享)"
            r"|(?:发布日期|发布时间|发文日期|日期|时间|作者|浏览次数|点击数|阅读数)\s*[:：]",
            value,
        )[0].strip()
        if len(value) >= 2 and not value.startswith(LABEL_WORDS) and not re.search(r"[:：]", value):
            return value
    return None


def trim_body(body: str, title: str | None = None, issuer: str | None = None) -> str:
    """The article's text without the lines about it at its head and the tails after it.

    Containers hold the column name, title, date, source and font-size lines, and end
    with 责任编辑, 扫一扫, print and close links, related links, the pager to other
    articles and, on some templates, a share summary repeating the text: the article
    ends at the first tail. What is left shorter than a real article (a menu, a footer)
    is no text at all.
    """
    lines = body.split("\n")
    key = re.sub(r"\s+", "", title or "")

    def is_title(line: str) -> bool:
        flat = re.sub(r"\s+", "", line)
        # the title, or a piece of a title broken over lines; not a lead paragraph that quotes it;
        # without a title no line is one (every short line would "contain" the empty title)
        return bool(key) and len(flat) >= 4 and (flat in key or (key in flat and len(flat) <= len(key) + 12))

    # Whatever precedes the title near the top of a container is the column's name or a breadcrumb.
    prose = next((i for i, line in enumerate(lines) if len(line) > 60 or "。" in line), len(lines))
    start = next((i + 1 for i, line in enumerate(lines[: min(6, prose)]) if is_title(line)), 0)
    subtitle_at = start if start else -1
    while start < len(lines) and start < 16:
        line = lines[start].strip()
        label_value = start > 0 and re.match(r"^(?:来\s?源|信息来源|责任编辑)\s*[:：]?$", lines[start - 1].strip())
        if HEAD_RE.match(line) or (start < prose and is_title(line)) or label_value or (issuer and line == issuer):
            start += 1
            continue
        # a subtitle straight under the title: short, no sentence in it, not the addressees of a
        # notice ("各省、自治区、直辖市人民政府，国务院各部委、各直属机构：")
        if start == subtitle_at and len(line) <= 40 and not re.search(r"[。；！？]|[:：]$", line):
            start += 1
            continue
        break
    end = len(lines)
    for i in range(start, len(lines)):
        line = lines[i].strip()
        if TAIL_RE.match(line) or (FOOTER_RE.match(line) and not any("。" in later for later in lines[i + 1 :])):
            end = i
            break
    # a title repeated under the text, a stray bracket of a "[ 责编：… ]"
    while end > start and (is_title(lines[end - 1]) or re.fullmatch(r"[\W_]{0,3}", lines[end - 1].strip())):
        end -= 1
    kept = "\n".join(lines[start:end]).strip()
    size = len(re.sub(r"\s+", "", kept))
    # a short text that is a sentence is an article still ("宁波市推行企业注销一网通办。"); a menu is not
    return kept if size >= MIN_ARTICLE or (size >= 6 and re.search(r"[。！？]", kept)) else ""



def extract_body(root, html: str, body_selector: str | None = None) -> tuple[str, object, str]:
    """The body's text (one block a line), the element it came from, and which rule found it."""
    selectors = ([body_selector] if body_selector else []) + list(CONTAINERS)
    for selector in selectors:
        if selector == "#zoom":  # Hanweb: the comment-marked body is tighter than #zoom
            marked = ZJEG_RE.search(html)
            if marked:
                fragment = html_fragment(marked.group(1))
                text = block_text(fragment)
                if len(text) >= MIN_BODY:
                    return text, root.cssselect("#zoom")[0] if root.cssselect("#zoom") else root, "ZJEG_RSS"
        found = [(block_text(e), e) for e in root.cssselect(selector)]
        found = [(t, e) for t, e in found if len(t) >= MIN_BODY]
        if selector in GENERIC_CONTAINERS:  # a class any widget may use (a login box's .content): prose only
            found = [(t, e) for t, e in found if t.count("。") >= 2 or len(t) >= 200]
        if found:
            text, element = max(found, key=lambda pair: len(pair[0]))
            return text, element, selector
    element = main_content(root)
    return block_text(element), element, "main_content"


def main_content(root):
    """The element holding the page's running text: most paragraph text, least link text.

    A fallback for pages without a known container: each block's own text (not its
    descendants') is credited to its parent, so the element directly above the
    paragraphs wins over the page wrapper that holds navigation as well.
    """
    scores: dict = {}
    for element in root.iter("p", "div", "td", "section", "span", "font"):
        text = _clean("".join(_own_text(element)))
        if len(text) < 10:
            continue
        punctuation = sum(text.count(c) for c in "，。；：、！？")
        parent = element.getparent()
        if parent is None:
            continue
        score = len(text) * (1 + punctuation / 10)
        scores[parent] = scores.get(parent, 0) + score
        grandparent = parent.getparent()
        if grandparent is not None:
            scores[grandparent] = scores.get(grandparent, 0) + score / 2
    if not scores:
        body = root.find("body")
        return body if body is not None else root
    for element in scores:
        links = sum(len(_clean(a.text_content())) for a in element.iter("a"))
        total = len(_clean(element.text_content())) or 1
        scores[element] *= 1 - min(links / total, 1)
    # <body> and <html> collect the credit of every block a template leaves loose at the top
    # (a menu of spans, a login bar): they are the page, never its running text
    inner = {element: score for element, score in scores.items() if element.tag not in ("body", "html")}
    best = max(inner or scores, key=(inner or scores).get)
    # An editor's layout (135编辑器, 秀米) wraps each group of paragraphs in nested, unnamed <section>s
    # of its own depth: the text is the element that holds the outermost of them, not one group.
    # A template's own <section class="…"> is left as it is.
    while (
        best.tag == "section"
        and not (best.get("class") or best.get("id"))
        and best.getparent() is not None
        and best.getparent().tag not in ("body", "html")
    ):
        best = best.getparent()
    return best


def block_text(element) -> str:
    """Visible text with one line per block element (a paragraph is never cut by inline tags)."""
    parts: list[str] = []

    def walk(node) -> None:
        tag = node.tag if isinstance(node.tag, str) else None
        if tag is None or tag in SKIP_TAGS:  # comments, processing instructions, scripts
            return
        block = tag in BLOCK_TAGS
        if block:
            parts.append("\n")
        if tag in ("td", "th"):
            parts.append(" ")
        parts.append(node.text or "")
        for child in node:
            walk(child)
            parts.append(child.tail or "")
        if block:
            parts.append("\n")

    walk(element)
    lines = (_clean(line) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def find_attachments(root, container, url: str) -> list[Attachment]:
    """Files linked from the body, from the block around it, or by a link labelled 附件."""
    scope = container.getparent() if container is not None and container.getparent() is not None else root
    anchors = list(scope.iter("a")) + [a for a in root.iter("a") if "附件" in (a.text_content() or "")]
    # TRS templates list files in a 相关附件 / 附件下载 block of their own, away from .TRS_Editor.
    for block in root.iter("div", "ul", "table", "dl", "p", "td"):
        head = _clean(block.text_content())[:12]
        if head.startswith(ATTACHMENT_LABELS) and len(_clean(block.text_content())) < 2000:
            anchors += list(block.iter("a"))
    found, seen = [], set()
    for anchor in anchors:
        link = absolute_url(anchor.get("href", ""), url)
        kind = attachment_type(link, name=anchor.text_content()) if link else None
        if kind and link not in seen:
            seen.add(link)
            found.append(Attachment(link, kind, _clean(anchor.text_content())))
    return found


def _own_text(element):
    yield element.text or ""
    for child in element:
        if isinstance(child.tag, str) and child.tag in ("a", "b", "strong", "span", "font", "em", "i", "u", "br"):
            yield child.text_content() if child.tag != "br" else ""
        yield child.tail or ""


def _select_text(root, selector: str | None) -> str | None:
    if not selector:
        return None
    found = root.cssselect(selector)
    return _clean(found[0].text_content()) if found else None


def _clean(text: str | None) -> str:
    return re.sub(r"[\s\u3000\u00a0]+", " ", text or "").strip()


def is_html(content: bytes, content_type: str) -> bool:
    """True when fetched bytes are a web page (by type, or by their first bytes when untyped)."""
    if content_type in ("text/html", "application/xhtml+xml"):
        return True
    if content_type and content_type not in ("application/octet-stream", "text/plain"):
        return False
    head = content[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<head" in head

