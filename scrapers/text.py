"""Turn a document's raw text into lines and paragraphs, naming what is not content.

Text converted from PDF carries running page headers, page numbers and lines
broken by the layout; web pages carry share buttons, editor credits and a site
footer; some compilations end with an advert. These helpers take that furniture
out *and record it* (nothing is dropped silently), and join broken lines back
into paragraphs only where the layout shows hard wrapping.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from zhtext import is_heading

from .records import Furniture

# A paragraph that ends with one of these is complete.
TERMINAL = set("。！？；：!?;:…")
# Closing quotes and brackets usually end a heading or a sentence, not a broken line.
CLOSERS = set("”’」』）)】》\"'")
# A line ending with these continues on the next one.
OPENERS = set("，、,（(“‘「《【—")
# A line starting with these continues the previous one.
CONTINUATION = set("，。、；：）)”’》」』,.;:!?！？")

# Without hard wrapping, a line this long that lacks end punctuation is a paragraph
# cut in two (by a page break the text lost), not a heading: headings are shorter.
UNWRAPPED_BROKEN = 60
# Across a page break, a line this long without end punctuation continues on the next page.
BROKEN_AT_BREAK = 20
# A heading this short is never joined to what follows it.
SHORT_HEADING = 30

PAGE_NUMBER_RE = re.compile(
    r"^(?:[-—–－]\s*\d{1,4}\s*[-—–－]"
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|\d{1,4})$"
)
# Share widgets and navigation left by web pages: furniture wherever they stand.
BOILERPLATE_RE = re.compile(
    r"^(?:扫码|扫一扫|分享到|打印本页|【?打印】?$|关闭窗口|【?关闭】?$|【?字号|专题\s*[|｜]|上一篇|下一篇|相关链接|相关阅读)"
)
# A site footer or an editor's credit: furniture only in the block that ends a document.
FOOTER_RE = re.compile(
    r"版权所有|版權所有|Copyright|©|主办单位|主辦單位|承办单位|主办[:：]|承办[:：]|联系电话|聯繫電話|联系我们"
    r"|电话[:：]|地址[:：]|邮编|ICP|网站标识码|公网安备|技术支持|网站地图|责任编辑|責任編輯|编辑[:：]"
    r"|扫码|扫一扫|分享到|打印|关闭|字号|上一篇|下一篇|相关链接|返回顶部"
)
# Advertising that some compilations append after their last case: a price with a
# currency, or a call to buy. A sentence about retail prices in a case is not one.
ADVERT_RE = re.compile(r"立即抢购|欢迎垂询|扫码购买|订阅热线|零售价\s*[:：]?\s*\d+(?:\.\d+)?\s*元")
# How far from a document's end an advert may start.
ADVERT_WINDOW = 15
BOOK_TITLE_RE = re.compile(r"^《[^》]+》$")
DATE_RE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
SPACES_RE = re.compile(r"[ \t\u3000\u00a0\u200b\ufeff]+")
# A breadcrumb: "当前位置：首页 > 新闻动态 > 地方工作", "首页 > 新闻动态 > …", "网站首页 >> 政务公开 >> 综合信息".
# It names where a page sits, never what it says: it is no title.
CRUMB_SEPARATOR = r"(?:>>?|＞＞?|»|›|→)"
CRUMB_PLACE = r"(?:当前|您的|您现在的|您当前所在的?|您当前的|所在)位置\s*[:：]?"  # "当前位置：" before the trail
BREADCRUMB_RE = re.compile(
    r"^(?:" + CRUMB_PLACE + r"|(?:网站)?首页\s*" + CRUMB_SEPARATOR + r"|"
    r"[^>＞»›→。，]{1,16}\s*" + CRUMB_SEPARATOR + r"\s*[^>＞»›→。，]{1,16}\s*" + CRUMB_SEPARATOR + r")"
)


@dataclass
class Unit:
    """A line of the source text, and whether a page break came right before it."""

    text: str
    after_break: bool = False


@dataclass
class Lines:
    """A document's lines with page furniture taken out (and kept in `furniture`).

    `width` is the length of a full line when the text is hard-wrapped (learned from
    the document), else None; `layout` is the reader's ("wrapped", "lines", "blocks").
    """

    units: list[Unit]
    furniture: list[Furniture] = field(default_factory=list)
    width: int | None = None
    layout: str = "lines"


def clean_line(line: str) -> str:
    """Collapse runs of spaces and strip the line."""
    return SPACES_RE.sub(" ", line).strip()


def is_breadcrumb(line: str) -> bool:
    """Whether a line is a breadcrumb (当前位置：首页 > 栏目 > …), the trail to a page rather than its title."""
    line = clean_line(line)
    return 0 < len(line) <= 100 and bool(BREADCRUMB_RE.match(line))


def breadcrumb_tail(line: str) -> str:
    """The last segment of a breadcrumb: the column a page sits in ("首页 > 新闻动态 > 地方工作" → "地方工作")."""
    line = re.sub("^" + CRUMB_PLACE, "", clean_line(line))
    parts = [part.strip() for part in re.split(CRUMB_SEPARATOR, line) if part.strip()]
    return parts[-1] if parts else ""


def _is_page_marker(line: str) -> bool:
    return "\f" in line or bool(PAGE_NUMBER_RE.match(line))


def find_running_headers(lines: list[str], min_repeats: int = 3) -> set[str]:
    """Short lines repeated on many pages (a compilation's name and date range).

    A repeated line is a running header only where it stands like one: next to a
    page break or a page number, or cutting a sentence in two. Subheadings that
    many cases share ("主要做法") repeat too, but after complete sentences.
    """
    stripped = [line.replace("\f", "").strip() for line in lines]
    counts = Counter(line for line in stripped if 4 <= len(line) <= 60)
    candidates = {
        line
        for line, n in counts.items()
        if n >= min_repeats and not is_heading(line) and line[-1] not in TERMINAL and not PAGE_NUMBER_RE.match(line)
    }
    if not candidates:
        return set()
    content = [i for i, line in enumerate(stripped) if line]
    headers = set()
    for k, i in enumerate(content):
        line = stripped[i]
        if line not in candidates or line in headers:
            continue
        before = lines[content[k - 1]] if k > 0 else ""
        after = lines[content[k + 1]] if k + 1 < len(content) else ""
        gap_break = any("\f" in lines[j] for j in range(content[k - 1] if k > 0 else 0, i + 1))
        cuts_sentence = len(before.strip()) >= BROKEN_AT_BREAK and before.strip()[-1] not in TERMINAL | CLOSERS
        if gap_break or _is_page_marker(before.strip()) or _is_page_marker(after.strip()) or cuts_sentence:
            headers.add(line)
    return headers


def learn_width(units: list[Unit]) -> int | None:
    """The length of a full line if the text is hard-wrapped, else None.

    Hard-wrapped text has many lines of (nearly) the same, largest length: every
    line of a paragraph but its last. Text with one paragraph per line has no such peak.
    """
    lengths = [len(u.text) for u in units if len(u.text) >= 8]
    if len(lengths) < 8:
        return None
    counts = Counter(lengths)
    best, best_count = 0, 0
    for length in range(min(lengths), min(max(lengths), 120) + 1):
        in_band = sum(counts[n] for n in range(length - 2, length + 3))
        if in_band > best_count or (in_band == best_count and length > best):
            best, best_count = length, in_band
    if best_count < 0.3 * len(lengths) or best < 10:
        return None
    # Lines with wider (Latin) characters hold more; a full line is at least this long.
    return best - 2


def split_units(text: str, layout: str = "lines") -> Lines:
    """Lines without page furniture; form feeds, headers and page numbers mark breaks."""
    # A form feed ends a page wherever it stands, also in the middle of a line.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\f\n")
    raw = [clean_line(line) for line in text.split("\n")]
    paged = layout != "blocks"  # HTML and DOCX have no pages: a lone number there is content
    headers = find_running_headers(raw) if paged else set()
    lines = Lines(units=[], layout=layout)
    pending_break = False
    for line in raw:
        if "\f" in line:
            pending_break = paged
            line = line.replace("\f", "").strip()
        if not line:
            continue
        if line in headers:
            lines.furniture.append(Furniture("running_header", line))
            pending_break = True
        elif paged and PAGE_NUMBER_RE.match(line):
            lines.furniture.append(Furniture("page_number", line))
            pending_break = True
        else:
            lines.units.append(Unit(line, pending_break))
            pending_break = False
    if layout != "blocks":
        lines.width = learn_width(lines.units)
    return lines


def should_join(paragraph: list[str], unit: Unit, width: int | None) -> bool:
    """Whether `unit` continues the paragraph whose lines so far are `paragraph`."""
    last = paragraph[-1]
    end, start = last[-1], unit.text[0]
    if end in TERMINAL or end in CLOSERS or is_heading(unit.text):
        return False
    if len(paragraph) == 1 and is_heading(last) and len(last) < SHORT_HEADING:  # "一、实施时间"
        return False
    if start in CONTINUATION or end in OPENERS:
        return True
    if width:  # hard-wrapped: a line cut by the layout filled its line
        return len(last) >= (width // 2 if unit.after_break else width)
    # One paragraph per line: only a page break, or a cut no heading could be, splits one.
    return len(last) >= (BROKEN_AT_BREAK if unit.after_break else UNWRAPPED_BROKEN)


def separator(left: str, right: str) -> str:
    """What goes between two joined fragments: nothing between CJK text, a space between Latin words."""
    return " " if left[-1].isascii() and left[-1].isalnum() and right[0].isascii() and right[0].isalnum() else ""


def join_units(units: list[Unit], width: int | None = None, layout: str = "lines") -> list[str]:
    """Paragraphs from units, joining lines broken by the layout or a page break.

    Blocks (DOCX paragraphs, HTML blocks) are never joined. Linear in the text's size.
    """
    if layout == "blocks":
        return [u.text for u in units]
    paragraphs: list[list[str]] = []
    for unit in units:
        if paragraphs and should_join(paragraphs[-1], unit, width):
            paragraphs[-1] += [separator(paragraphs[-1][-1], unit.text), unit.text]
        else:
            paragraphs.append([unit.text])
    return ["".join(parts) for parts in paragraphs]


def render_body(units: list[Unit], lines: Lines) -> tuple[str, list[Furniture]]:
    """The body text of a case (paragraphs separated by blank lines) and the boilerplate taken out."""
    kept, furniture = [], []
    for unit in units:
        if BOILERPLATE_RE.match(unit.text):
            furniture.append(Furniture("boilerplate", unit.text))
        else:
            kept.append(unit)
    return "\n\n".join(join_units(kept, lines.width, lines.layout)), furniture


def find_tail(units: list[Unit]) -> tuple[int, list[Furniture]]:
    """Where a document's content ends, and the footer or advert block after it.

    Only the end of a document is searched: the same words inside a case are content.
    """
    end = len(units)
    furniture: list[Furniture] = []
    for i in range(max(0, end - ADVERT_WINDOW), end):
        if len(units[i].text) < 60 and ADVERT_RE.search(units[i].text):
            start = i - 1 if i > 0 and BOOK_TITLE_RE.match(units[i - 1].text) else i
            furniture = [Furniture("advert", u.text) for u in units[start:end]]
            end = start
            break
    start = end
    while start > 0 and _footer_like(units[start - 1].text):
        start -= 1
    # Short lines that open the block only belong to it if a footer line comes first.
    while start < end and not FOOTER_RE.search(units[start].text):
        start += 1
    if start < end:
        furniture = [Furniture("footer", u.text) for u in units[start:end]] + furniture
        end = start
    return end, furniture


def _footer_like(line: str) -> bool:
    if FOOTER_RE.search(line) and len(line) <= 80:
        return True
    # Navigation items ("• 联通", "首页") between footer lines.
    return len(line) <= 12 and line[-1] not in TERMINAL


def find_date(text: str) -> str | None:
    """The first plausible date in the text, as ISO `YYYY-MM-DD`."""
    for match in DATE_RE.finditer(text):
        year, month, day = (int(g) for g in match.groups())
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f"{year:04d}-{month:02d}-{day:02d}"
    return None
