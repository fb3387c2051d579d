"""Publication dates as government pages write them, in Asia/Shanghai, never in the future."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Asia/Shanghai")

# 2021-11-08, 2021/11/8, 2021.11.08, 2021年11月8日, 2021-11-08-10:30:00 (the central portal)
DATE_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
# A labelled publication date in a 信息公开 table or under the title. 成文日期 (the day
# it was written) and 生效日期 are other dates and are not matched.
# A bare 时间 or 日期 counts only as a label of its own (实施时间 is not a publication).
PUBLISHED_RE = re.compile(
    r"(?:发布日期|发布时间|发表时间|发表日期|发文日期|公开日期|发布于|更新时间|时间发布|(?<![\u4e00-\u9fff])时间|(?<![\u4e00-\u9fff])日期)\s*[:：]?\s*"
    + DATE_RE.pattern
)
# A date alone on the line under a title ("2025年06月03日 13时44分", "2022-05-07 00:00 来源：…").
BARE_DATE_LINE_RE = re.compile(r"^\s*" + DATE_RE.pattern + r"日?(?:\s*\d{1,2}\s*[:：时]\s*\d{1,2}(?:\s*[:：分]\s*\d{0,2}秒?)?)?(?:\s|$)")
# Dates in article URLs: t20211108_…, /art/2021/11/8/, /2021-11/08/content_…
URL_DATE_RES = [
    re.compile(r"[/_]t((?:19|20)\d{2})(\d{2})(\d{2})_"),
    re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),
    re.compile(r"/((?:19|20)\d{2})-(\d{2})/(\d{2})/"),
    re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})/"),
]


def today() -> date:
    """Today's date in Asia/Shanghai."""
    return datetime.now(TIMEZONE).date()


def _valid(year: int, month: int, day: int, until: date | None) -> str | None:
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    if value > (until or today()):
        return None
    return value.isoformat()


def parse_date(text: str | None, until: date | None = None) -> str | None:
    """The first valid, not future date in `text`, as ISO `YYYY-MM-DD`."""
    for match in DATE_RE.finditer(text or ""):
        found = _valid(*(int(g) for g in match.groups()), until)
        if found:
            return found
    return None


def parse_published(text: str, until: date | None = None) -> str | None:
    """The date labelled as the publication date (发布日期, not 成文日期) in a page's text."""
    for match in PUBLISHED_RE.finditer(text):
        found = _valid(*(int(g) for g in match.groups()), until)
        if found:
            return found
    return None


def parse_shown_date(text: str, title: str | None, until: date | None = None) -> str | None:
    """The publication date the page shows with its title: labelled, or alone on a line just under it.

    Looked for in the few lines after the title (where 发布日期 sits), so that a 报名时间
    in the text or a date in the footer is not taken; the whole text is the fallback.
    """
    lines = text.split("\n")
    key = re.sub(r"\s+", "", title or "")[:12]
    start = next((i for i, line in enumerate(lines) if key and key in re.sub(r"\s+", "", line)), None)
    if start is not None:
        window = lines[start + 1 : start + 8]
        for offset, line in enumerate(window):
            found = parse_published(line, until)
            # a bare date only right under the title (or its second line), never after another date's label
            bare = offset <= 2 and not (offset and re.search(r"日期|时间|[:：]\s*$", window[offset - 1]))
            if not found and bare and BARE_DATE_LINE_RE.match(line):
                found = parse_date(line, until)
            if found:
                return found
    return parse_published(text, until)


def date_from_url(url: str, until: date | None = None) -> str | None:
    """The date a CMS wrote into an article's URL, if any."""
    for pattern in URL_DATE_RES:
        match = pattern.search(url)
        if match:
            found = _valid(*(int(g) for g in match.groups()), until)
            if found:
                return found
    return None


# A compilation's period: "11月8日-11月14日", "11.08-11.14", "2021年11月8日至14日" (often without a year).
# The dotted form needs two-digit days ("11.08"), so that figures like "1.5-2.0" are not periods.
RANGE_RE = re.compile(
    r"(?<![\d.])(?:((?:19|20)\d{2})\s*年\s*)?(\d{1,2})\s*(?:月\s*(\d{1,2})\s*日?|\.(\d{2}))\s*[-—–~～至到]\s*"
    r"(?:((?:19|20)\d{2})\s*年\s*)?(?:(\d{1,2})\s*(?:月|\.(?=\d{2})))?\s*(\d{1,2})(?![\d.])\s*日?"
)
# A year in a file name or a cover line ("2021年第45期", "周报_2021-11.pdf"), not a piece of a longer number or hash.
YEAR_RE = re.compile(r"(?<![0-9A-Za-z])((?:19|20)\d{2})(?=年|[-_.\s)）]|\d{4}(?!\d)|$)")


def find_year(text: str | None) -> int | None:
    """The first year written in `text` (a file name, a cover line), if any."""
    match = YEAR_RE.search(text or "")
    return int(match.group(1)) if match else None


def parse_date_range(text: str | None, years: list[int | None] = (), until: date | None = None) -> tuple[str, str] | None:
    """The first period in `text` as ISO (start, end), never ending in the future.

    A period without a year takes the first of `years` (the document's own hints) that
    puts it in the past, else the year of `until` (the run date) or the year before.
    """
    until = until or today()
    for match in RANGE_RE.finditer(text or ""):
        start_year, start_month, day, dotted_day, end_year, end_month, end_day = match.groups()
        start_month, start_day, end_day = int(start_month), int(day or dotted_day), int(end_day)
        end_month = int(end_month) if end_month else start_month
        written = end_year or start_year
        candidates = [int(written)] if written else [y for y in years if y] + [until.year, until.year - 1]
        for year in candidates:
            # a period over New Year ("12.27-1.2") starts in the year before it ends
            first_year = int(start_year) if start_year else year - (start_month > end_month)
            try:
                start, end = date(first_year, start_month, start_day), date(year, end_month, end_day)
            except ValueError:
                break
            if start <= end <= until:
                return start.isoformat(), end.isoformat()
    return None
