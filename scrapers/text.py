"""Turn raw document text into clean paragraphs.

Text converted from PDF carries running page headers, page numbers and lines
broken by the layout; web pages carry share buttons and editor credits. These
helpers remove the furniture and join broken lines back into paragraphs.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from zhtext import is_heading

# A paragraph that ends with one of these is complete.
TERMINAL = set("。！？；：!?;:…")
# Closing quotes and brackets usually end a heading or a sentence, not a broken line.
CLOSERS = set("”’」』）)】》\"'")
# A line ending with these continues on the next one.
OPENERS = set("，、,（(“‘「《【—")
# A line starting with these continues the previous one.
CONTINUATION = set("，。、；：）)”’》」』,.;:!?！？")

# A full line of text in Chinese PDFs is about 26 characters; the first line of a
# paragraph is indented by two. A fragment at least that long was cut by the layout.
FULL_LINE = 24

PAGE_NUMBER_RE = re.compile(
    r"^(?:[-—–－]\s*\d{1,4}\s*[-—–－]"
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|\d{1,4})$"
)
# Share widgets, editor credits and navigation left by web pages.
BOILERPLATE_RE = re.compile(
    r"^(?:扫码|扫一扫|分享到|打印本页|关闭窗口|【?字号|责任编辑|責任編輯|编辑[:：]"
    r"|[(（【]?\s*来源[:：]|专题\s*[|｜]|上一篇|下一篇|相关链接|[•·]\s*\S{1,6}$)"
)
# Advertising that some compilations append after their last case.
ADVERT_RE = re.compile(r"零售价|立即抢购|欢迎垂询|扫码购买|订阅热线")
DATE_RE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
SPACES_RE = re.compile(r"[ \t\u3000\u00a0\u200b\ufeff]+")


@dataclass
class Unit:
    """A line of the source text, and whether a page break came right before it."""

    text: str
    after_break: bool = False


def clean_line(line: str) -> str:
    """Collapse runs of spaces and strip the line."""
    return SPACES_RE.sub(" ", line).strip()


def find_running_headers(lines: list[str], min_repeats: int = 3) -> set[str]:
    """Short lines repeated on many pages (a compilation's name and date range)."""
    counts = Counter(line for line in lines if 4 <= len(line) <= 60)
    return {
        line
        for line, n in counts.items()
        if n >= min_repeats and not is_heading(line) and line[-1] not in TERMINAL
    }


def split_units(text: str) -> list[Unit]:
    """Lines without page furniture; form feeds, headers and page numbers mark breaks."""
    raw = [clean_line(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    headers = find_running_headers([line.replace("\f", "") for line in raw])
    units: list[Unit] = []
    pending_break = False
    for line in raw:
        if "\f" in line:
            pending_break = True
            line = line.replace("\f", "").strip()
        if not line:
            continue
        if line in headers or PAGE_NUMBER_RE.match(line):
            pending_break = True
            continue
        units.append(Unit(line, pending_break))
        pending_break = False
    return units


def should_join(previous: str, last_line: str, unit: Unit) -> bool:
    """Whether `unit` continues the paragraph ending with `previous`."""
    end, start = previous[-1], unit.text[0]
    if end in TERMINAL or end in CLOSERS or is_heading(unit.text):
        return False
    if is_heading(previous) and len(previous) < FULL_LINE:  # "一、实施时间" before a page break
        return False
    if start in CONTINUATION or end in OPENERS:
        return True
    # A line cut by a page break filled the page's last line; a short one is a heading.
    return len(last_line) >= (FULL_LINE // 2 if unit.after_break else FULL_LINE)


def join_text(left: str, right: str) -> str:
    """Join two fragments: no space between CJK text, one between Latin words."""
    if left[-1].isascii() and left[-1].isalnum() and right[0].isascii() and right[0].isalnum():
        return f"{left} {right}"
    return left + right


def join_units(units: list[Unit]) -> list[str]:
    """Paragraphs from units, joining lines broken by the layout or a page break."""
    paragraphs: list[str] = []
    last_line = ""
    for unit in units:
        if paragraphs and should_join(paragraphs[-1], last_line, unit):
            paragraphs[-1] = join_text(paragraphs[-1], unit.text)
        else:
            paragraphs.append(unit.text)
        last_line = unit.text
    return paragraphs


def drop_advert(paragraphs: list[str]) -> list[str]:
    """Remove an advert after the last case (and the book title that announces it)."""
    for i in range(max(0, len(paragraphs) - 20), len(paragraphs)):
        if ADVERT_RE.search(paragraphs[i]) and len(paragraphs[i]) < 60:
            cut = i - 1 if i > 0 and re.fullmatch(r"《[^》]+》", paragraphs[i - 1]) else i
            return paragraphs[:cut]
    return paragraphs


def render_body(units: list[Unit]) -> str:
    """The body text of a case: clean paragraphs separated by blank lines."""
    units = [u for u in units if not BOILERPLATE_RE.match(u.text)]
    return "\n\n".join(drop_advert(join_units(units)))


def find_date(text: str) -> str | None:
    """The first plausible date in the text, as ISO `YYYY-MM-DD`."""
    for match in DATE_RE.finditer(text):
        year, month, day = (int(g) for g in match.groups())
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f"{year:04d}-{month:02d}-{day:02d}"
    return None
