"""Split a compilation's text into its cases.

Four shapes are recognised, tried in this order:
- a table of contents (目录 with dot leaders and page numbers): each entry is a case,
  found in the body by its heading, which may differ slightly from the entry;
- "案例N：标题" headings;
- a policy document ("关于…的实施意见"): one article, whatever its sections;
- sequential "一、" … "十、" headings, each with optional issuing-body lines;
- "省份（市）：标题" headings;
anything else is one article.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from .records import Case, Split
from .regions import find_region
from zhtext import chinese_numeral, is_heading

from .text import TERMINAL, Unit, find_date, render_body, split_units

TOC_TITLE_RE = re.compile(r"^目\s*录$")
TOC_ENTRY_RE = re.compile(r"^(?P<title>.*?\S)(?:\s*[.．…·]{2,}\s*|\s+)(?P<page>\d{1,4})$")
TOC_LEADERS_RE = re.compile(r"^(?P<title>.*?\S)\s*[.．…·]{3,}$")
CASE_RE = re.compile(r"^案例\s*(\d{1,3})\s*[:：]\s*(?P<title>\S.*)$")
NUMBERED_RE = re.compile(r"^(?P<num>[一二三四五六七八九十]{1,3})、\s*(?P<title>\S.{1,60})$")
POLICY_RE = re.compile(
    r"^关于.+的.{0,6}(意见|通知|决定|方案|办法|规定|措施|细则|规划)$|实施意见$|若干措施$|行动方案$|工作方案$"
)
ISSUER_RE = re.compile(r"^\S{2,30}(局|委员会|办公室|法院|检察院|中心|厅|委|政府|公司|银行|协会)$")
SOURCE_LINE_RE = re.compile(r"^[(（]?\s*来源\s*[:：]\s*(?P<issuer>[^\s\d)）]{2,30})")
REGION_HEADING_RE = re.compile(r"^\S{2,14}[:：]\S.{2,60}$")


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def heading_score(entry: str, line: str) -> float:
    """How well a body line matches a TOC entry (1.0 = the same words)."""
    a, b = _compact(entry), _compact(line)
    if not a or not b:
        return 0.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    score = matcher.ratio()
    if len(b) >= 0.5 * len(a):  # headings in the body may drop words of the entry
        matched = sum(block.size for block in matcher.get_matching_blocks())
        score = max(score, matched / len(b) - 0.05)
    return score


def parse_toc(units: list[Unit]) -> tuple[list[str], int] | None:
    """The TOC entries and the index of the first unit after the TOC."""
    limit = max(40, len(units) // 4)
    start = next((i for i, u in enumerate(units[:limit]) if TOC_TITLE_RE.match(u.text)), None)
    if start is None:
        return None
    entries: list[str] = []
    i = start + 1
    while i < len(units):
        match = TOC_ENTRY_RE.match(units[i].text) or TOC_LEADERS_RE.match(units[i].text)
        if not match:
            break
        entries.append(re.sub(r"[.．…·]+$", "", match.group("title")).strip())
        i += 1
    return (entries, i) if len(entries) >= 2 else None


def locate_headings(
    entries: list[str], units: list[Unit], start: int
) -> tuple[list[tuple[str, int, int]], list[str]]:
    """For each entry found in the body: (entry, first unit, last unit of its heading)."""
    found: list[tuple[str, int, int]] = []
    problems: list[str] = []
    cursor = start
    for entry in entries:
        hit = None
        for i in range(cursor, len(units)):
            text = units[i].text
            if len(_compact(text)) > 2 * len(_compact(entry)) + 10:
                continue
            alone = heading_score(entry, text)
            wrapped = heading_score(entry, text + units[i + 1].text) if i + 1 < len(units) else 0.0
            if alone >= 0.8:  # a heading wrapped over two lines scores higher with both
                hit = (entry, i, i + 1) if wrapped > alone else (entry, i, i)
            elif wrapped >= 0.8 and wrapped > heading_score(entry, units[i + 1].text) + 0.05:
                hit = (entry, i, i + 1)
            if hit:
                break
        if hit is None:
            problems.append(f"heading not found for table-of-contents entry {entry!r}")
            continue
        found.append(hit)
        cursor = hit[2] + 1
    return found, problems


def split_by_toc(units: list[Unit], entries: list[str], body_start: int) -> tuple[list[Case], list[str]]:
    """Cases titled by the TOC entries, cut at their headings in the body."""
    headings, problems = locate_headings(entries, units, body_start)
    cases = []
    for n, (title, _, last) in enumerate(headings):
        end = headings[n + 1][1] if n + 1 < len(headings) else len(units)
        cases.append(Case(title=title, body=render_body(units[last + 1 : end])))
    return cases, problems


def split_at(units: list[Unit], starts: list[int], titles: list[str]) -> list[Case]:
    """Cases from heading positions; issuing-body lines under a heading go to `issuer`."""
    cases = []
    for n, (start, title) in enumerate(zip(starts, titles)):
        end = starts[n + 1] if n + 1 < len(starts) else len(units)
        body_start = start + 1
        issuers = []
        while body_start < end and ISSUER_RE.match(units[body_start].text):
            issuers.append(units[body_start].text)
            body_start += 1
        cases.append(Case(title, render_body(units[body_start:end]), "、".join(issuers) or None))
    return cases


def case_headings(units: list[Unit]) -> tuple[list[int], list[str]]:
    """Positions and titles of "案例N：" headings."""
    hits = [(i, CASE_RE.match(u.text)) for i, u in enumerate(units)]
    hits = [(i, m.group("title").strip()) for i, m in hits if m]
    return [i for i, _ in hits], [t for _, t in hits]


def numbered_headings(units: list[Unit]) -> tuple[list[int], list[str]]:
    """Positions and titles of the top-level "一、" "二、" … sequence."""
    starts, titles, expected = [], [], 1
    for i, unit in enumerate(units):
        match = NUMBERED_RE.match(unit.text)
        if match and match.group("title")[-1] not in TERMINAL and chinese_numeral(match.group("num")) == expected:
            starts.append(i)
            titles.append(match.group("title").strip())
            expected += 1
    return starts, titles


def region_headings(units: list[Unit]) -> tuple[list[int], list[str]]:
    """Positions of "省份（市）：标题" headings that name a real place."""
    starts, titles = [], []
    for i, unit in enumerate(units):
        text = unit.text
        if REGION_HEADING_RE.match(text) and text[-1] not in TERMINAL and not is_heading(text):
            prefix = re.split(r"[:：]", text, maxsplit=1)[0]
            if find_region(prefix).province:
                starts.append(i)
                titles.append(text)
    return starts, titles


def single_article(units: list[Unit]) -> Case:
    """The whole text as one article: the first line is its title if it looks like one."""
    if not units:
        return Case(title="", body="")
    head = units[0].text
    title_like = len(head) <= 80 and head[-1] not in "。；;"
    title = head if title_like else head[:40]
    rest = units[1:] if title_like else units
    published = next((d for u in rest[:3] if (d := find_date(u.text))), None)
    credit = next((m for u in rest[:3] if (m := SOURCE_LINE_RE.match(u.text))), None)
    issuer = credit.group("issuer").strip() if credit else None
    return Case(title=title, body=render_body(rest), issuer=issuer, published=published)


def split_compilation(text: str, layout: str = "lines") -> Split:
    """Cut a compilation into cases, naming the furniture left over and the problems met."""
    cases, problems = _split(split_units(text))
    return Split(cases=cases, problems=problems)


def _split(units: list[Unit]) -> tuple[list[Case], list[str]]:
    toc = parse_toc(units)
    if toc:
        entries, body_start = toc
        return split_by_toc(units, entries, body_start)
    starts, titles = case_headings(units)
    if len(starts) >= 2:
        return split_at(units, starts, titles), []
    if units and POLICY_RE.search(units[0].text):
        return [single_article(units)], []
    for finder in (numbered_headings, region_headings):
        starts, titles = finder(units)
        if len(starts) >= 3:
            return split_at(units, starts, titles), []
    return [single_article(units)], []
