"""Split a compilation's text into its cases, accounting for every line.

Shapes recognised, tried in this order:
- a table of contents (目录 with dot leaders and page numbers): each entry is a case,
  found in the body by its heading, which may differ slightly from the entry;
- "案例N：标题" headings;
- a policy document ("关于…的实施意见"): one article, whatever its sections;
- "一、" "二、" … headings that title cases (naming places or reforms, or followed by
  issuing bodies), as opposed to the numbered sections of one case (一、基本情况 …);
- "省份（市）：标题" headings;
anything else is one article, and the split says that no case heading was found.

Every line of the text ends up in exactly one place: a case's title, header or
body, or a piece of named furniture (cover, table of contents, running header, page
number, footer, advert…). `unaccounted` checks that, character by character.
"""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher

from zhtext import NUMERAL_CHARS, chinese_numeral, is_heading, to_simplified

from .records import Case, Furniture, Split
from .regions import find_region
from .text import TERMINAL, Lines, Unit, breadcrumb_tail, find_date, find_tail, is_breadcrumb, render_body, split_units

TOC_TITLE_RE = re.compile(r"^目\s*录$")
TOC_ENTRY_RE = re.compile(r"^(?P<title>.*?\S)(?:\s*[.．…·]{2,}\s*|\s+)(?P<page>\d{1,4})$")
TOC_LEADERS_RE = re.compile(r"^(?P<title>.*?\S)\s*[.．…·]{3,}$")
CASE_RE = re.compile(r"^案例\s*(\d+)\s*[:：]\s*(?P<title>\S.*)$")
NUMBERED_RE = re.compile(r"^(?P<num>[一二三四五六七八九十百千零〇]+)、\s*(?P<title>\S.{0,60})$")
POLICY_RE = re.compile(
    r"^关于.+的.{0,6}(意见|通知|决定|方案|办法|规定|措施|细则|规划)$|实施意见$|若干措施$|行动方案$|工作方案$"
)
ISSUER_RE = re.compile(r"^[^\s，。,；;：:！？]{2,30}(局|委员会|办公室|法院|检察院|中心|厅|委|政府|公司|银行|协会)$")
SOURCE_LINE_RE = re.compile(r"^[(（]?\s*来源\s*[:：]\s*(?P<issuer>[^\s\d)）]{2,30})")
REGION_HEADING_RE = re.compile(r"^\S{2,14}[:：]\S.{2,60}$")
# Words of the sections of one case or one policy, not of cases ("主要做法及成效" joins two).
SECTION_WORDS = (
    "基本情况|主要做法|具体做法|工作做法|经验做法|基本做法|创新做法|典型做法|特色做法|做法|取得成效|工作成效|主要成效"
    "|改革成效|实施成效|案例成效|成效|经验启示|启示|典型经验|经验|下一步(?:工作)?(?:打算|计划|安排)?|下步打算|背景"
    "|改革背景|案例背景|背景情况|存在问题|存在的问题|主要问题|问题|总体要求|主要目标|工作目标|基本原则|指导思想"
    "|主要内容|改革内容|实施时间|工作措施|主要措施|具体措施|改革举措|主要举措|工作举措|创新举措|重点任务|主要任务"
    "|保障措施|组织保障|组织实施|工作要求|附则|亮点|工作亮点|特色亮点|推广价值|复制推广|推广情况|案例简介|简介|概况"
    "|意义|主要成果|成果|案例介绍"
)
SECTION_RE = re.compile(rf"^[【\[]?(?:{SECTION_WORDS})(?:(?:及|和|与|、)(?:{SECTION_WORDS}))*[】\]]?[。：:]?$")
# A section name under a numbering of any level: 一、基本情况 （一）主要做法 1.取得成效 【经验启示】.
SUBSECTION_RE = re.compile(
    rf"^(?:[{NUMERAL_CHARS}]+[、.．]|[（(][{NUMERAL_CHARS}\d]+[）)]|\d{{1,2}}\s*[、.．]|[{NUMERAL_CHARS}]+是)?\s*(?P<name>\S.*)$"
)
# Words of a compilation's title: a document titled so holds several cases.
COMPILATION_TITLE_RE = re.compile(
    r"汇编|彙編|案例|经验做法|經驗做法|典型|选编|選編|集锦|集錦|专刊|專刊|专报|專報|十佳|榜单|榜單|做法清单|"
    rf"第\s*[{NUMERAL_CHARS}\d]+\s*期"
)
# Words that name a reform or a practice: such titles head cases.
CASE_WORD_RE = re.compile(r"改革|模式|机制|平台|一件事|集成|创新|试点|服务|办|“")
# A heading that names the body that acted ("桐庐县人民法院…", "…税务局推行…"); places are found by the gazetteer.
BODY_RE = re.compile(r"(?:局|法院|检察院|委员会|管委会|海关|银行|公司|办公室)(?![长面势部限])")
# A heading that wraps onto a second line: the second line is short and no sentence.
WRAPPED_TITLE_MAX = 40
TITLE_MAX = 90
# How far ahead a table-of-contents entry's heading is searched for.
TOC_SEARCH_WINDOW = 3000


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def unaccounted(text: str, split: Split) -> Counter:
    """Characters of `text` found in no case and no furniture (empty when nothing was lost).

    Whitespace is not counted: joining lines and paragraphs changes it by design.
    """
    placed = Counter()
    for case in split.cases:
        if not case.derived_title:
            placed.update(_compact(case.title))
        placed.update(_compact("".join(case.header)))
        placed.update(_compact(case.body))
    for piece in split.furniture:
        placed.update(_compact(piece.text))
    source = Counter(_compact(text.replace("\f", "")))
    return (source - placed) + (placed - source)


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


def parse_toc(units: list[Unit]) -> tuple[int, list[str], int] | None:
    """Index of the TOC heading, the TOC entries, and the index of the first unit after the TOC."""
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
    return (start, entries, i) if len(entries) >= 2 else None


def locate_headings(
    entries: list[str], units: list[Unit], start: int
) -> tuple[list[tuple[int, int, int]], list[str]]:
    """For each entry found in the body: (entry index, first unit, last unit of its heading)."""
    found: list[tuple[int, int, int]] = []
    problems: list[str] = []
    cursor = start
    for n, entry in enumerate(entries):
        hit = None
        size = len(_compact(entry))
        for i in range(cursor, min(len(units), cursor + TOC_SEARCH_WINDOW)):
            text = units[i].text
            if len(_compact(text)) > 2 * size + 10:
                continue
            alone = heading_score(entry, text)
            wrapped = heading_score(entry, text + units[i + 1].text) if i + 1 < len(units) else 0.0
            if alone >= 0.8:  # a heading wrapped over two lines scores higher with both
                hit = (n, i, i + 1) if wrapped > alone else (n, i, i)
            elif wrapped >= 0.8 and wrapped > heading_score(entry, units[i + 1].text) + 0.05:
                hit = (n, i, i + 1)
            if hit:
                break
        if hit is None:
            problems.append(f"heading not found for table-of-contents entry {entry!r}")
            continue
        found.append(hit)
        cursor = hit[2] + 1
    return found, problems


class Splitter:
    """Cuts one document's lines into cases and furniture; every unit is placed once."""

    def __init__(self, lines: Lines) -> None:
        self.lines = lines
        self.end, tail = find_tail(lines.units)
        self.units = lines.units[: self.end]
        self.split = Split(furniture=list(lines.furniture))
        self.tail = tail

    def furnish(self, kind: str, units: list[Unit]) -> None:
        """Record units as furniture of one kind."""
        self.split.furniture.extend(Furniture(kind, u.text) for u in units)

    def add_case(self, title: str, units: list[Unit], header: list[str] | None = None, **fields) -> None:
        """A case from its title and body units (boilerplate among them becomes furniture)."""
        body, boilerplate = render_body(units, self.lines)
        self.split.furniture.extend(boilerplate)
        self.split.cases.append(Case(title=title, body=body, header=header or [], **fields))

    def finish(self, problems: list[str] = ()) -> Split:
        """The split, with the tail furniture, any problems and the document's title."""
        self.split.furniture.extend(self.tail)
        self.split.problems.extend(problems)
        self.split.title = own_title(self.split)
        return self.split

    def run(self) -> Split:
        """Try each shape in turn."""
        units = self.units
        toc = parse_toc(units)
        if toc:
            return self.by_toc(*toc)
        starts = case_headings(units)
        if len(starts) >= 2:
            return self.at(starts, lambda u: CASE_RE.match(u.text).group("title").strip())
        if units and POLICY_RE.search(units[0].text):
            return self.single()
        starts = numbered_headings(units)
        if len(starts) >= 2 and self.numbered_are_cases(starts):
            return self.at(starts, lambda u: NUMBERED_RE.match(u.text).group("title").strip())
        starts = region_headings(units)
        if len(starts) >= 2:
            return self.at(starts, lambda u: u.text)
        return self.single(searched=True)

    def by_toc(self, toc_start: int, entries: list[str], body_start: int) -> Split:
        """Cases titled by the TOC entries, cut at their headings in the body."""
        units = self.units
        self.furnish("cover", units[:toc_start])
        self.furnish("toc", units[toc_start : toc_start + 1])
        headings, problems = locate_headings(entries, units, body_start)
        titled = {n for n, _, _ in headings}
        for n, entry in enumerate(entries):
            line = units[toc_start + 1 + n].text
            # The entry becomes the case's title; the dot leaders and page number stay furniture.
            self.split.furniture.append(Furniture("toc", line.replace(entry, "", 1) if n in titled else line))
        first = headings[0][1] if headings else len(units)
        self.furnish("preamble", units[body_start:first])
        for k, (n, first_unit, last_unit) in enumerate(headings):
            end = headings[k + 1][1] if k + 1 < len(headings) else len(units)
            # The heading as printed in the body: the TOC entry stands for it as title.
            self.furnish("heading", units[first_unit : last_unit + 1])
            self.add_case(entries[n], units[last_unit + 1 : end])
        return self.finish(problems)

    def at(self, starts: list[int], title_of) -> Split:
        """Cases from heading positions; a title wrapped onto a second line is made whole,
        and issuing-body lines under a heading become the case's issuer."""
        units = self.units
        self.furnish("preamble", units[: starts[0]])
        for n, start in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(units)
            title = title_of(units[start])
            title_prefix = units[start].text[: len(units[start].text) - len(title)]
            body_start = start + 1
            if wraps_onto(units, start, end, self.lines.width):  # as the publishers' TOCs write it: "标题 副标题"
                title += " " + units[body_start].text
                body_start += 1
            if title_prefix:
                self.split.furniture.append(Furniture("numbering", title_prefix))
            header = []
            while body_start < end and ISSUER_RE.match(units[body_start].text):
                header.append(units[body_start].text)
                body_start += 1
            self.add_case(title, units[body_start:end], header, issuer="、".join(header) or None)
        return self.finish()

    def single(self, searched: bool = False) -> Split:
        """The whole text as one article: the first line is its title if it looks like one."""
        units = self.units
        # A saved page's breadcrumb ("首页 > 新闻动态 > 地方工作"), above its title or under it, is
        # furniture, never the title; its last segment names the page when no line does.
        crumbs = self.breadcrumbs(units, keep=1)
        units = units[len(crumbs):]
        if not units:
            return self.finish()
        head = units[0].text
        title_like = len(head) <= 80 and head[-1] not in "。；;"
        # Without a title line, the first words of the text stand for one (a copy, not a move).
        title = head if title_like else (breadcrumb_tail(crumbs[-1].text) if crumbs else "") or head[:40]
        rest = units[1:] if title_like else units
        rest = rest[len(self.breadcrumbs(rest)):]
        header, issuer, published = [], None, None
        while rest and len(header) < 3 and (credit := SOURCE_LINE_RE.match(rest[0].text) or _date_line(rest[0].text)):
            header.append(rest[0].text)
            if isinstance(credit, re.Match):
                issuer = issuer or credit.group("issuer").strip()
            published = published or find_date(rest[0].text)
            rest = rest[1:]
        published = published or next((d for u in rest[:3] if (d := find_date(u.text))), None)
        self.add_case(title, rest, header, issuer=issuer, published=published, derived_title=not title_like)
        problems = ["no case headings found: the document is kept as one case"] if searched and len(rest) > 3 else []
        return self.finish(problems)

    def breadcrumbs(self, units: list[Unit], keep: int = 0) -> list[Unit]:
        """The breadcrumb lines (at most three) that open `units`, recorded as furniture; `keep` units stay."""
        count = 0
        while count < min(3, len(units) - keep) and is_breadcrumb(units[count].text):
            count += 1
        self.furnish("boilerplate", units[:count])
        return units[:count]

    def numbered_are_cases(self, starts: list[int]) -> bool:
        """Whether "一、…" headings title cases of a compilation, not sections of one text.

        Decided from the document: its title (汇编, 案例, 经验做法 … or a single article's
        title), what the headings name (a place, a body, a reform, or a generic section),
        and what stands under them (issuing bodies, or sections of their own: 基本情况,
        主要做法 …, which only a case has).
        """
        units = self.units
        titles = [NUMBERED_RE.match(units[i].text).group("title") for i in starts]
        if any(is_section(t) or len(t) <= 4 for t in titles):
            return False
        ends = starts[1:] + [len(units)]
        with_issuer = [i + 1 < len(units) and bool(ISSUER_RE.match(units[i + 1].text)) for i in starts]
        with_sections = [has_sections(units[i + 1 : end]) for i, end in zip(starts, ends)]
        actors = [names_actor(t) for t in titles]
        reforms = [bool(CASE_WORD_RE.search(to_simplified(t))) for t in titles]
        # Measures of one text read as clauses ("肯定成绩、总结经验，坚定…的信心决心"); case titles use spaces.
        clauses = [bool(re.search(r"[，,；;]", t)) for t in titles]
        n = len(starts)
        strong = sum(a or i or s for a, i, s in zip(actors, with_issuer, with_sections))
        if sum(with_sections) >= 2 or strong == n:
            return True
        if sum(clauses) > n // 2:
            return False
        title = document_title(units[: starts[0]])
        if title is not None and COMPILATION_TITLE_RE.search(title):
            return True  # a compilation's title, headings that are neither sections nor clauses
        if title is not None:
            # A single article's title ("某市探索“一件事”集成改革"): its headings are its measures
            # unless most of them name who acted or carry their own issuing bodies.
            return strong >= n - n // 3 and strong >= 2
        case_like = sum(a or r for a, r in zip(actors, reforms))
        if n >= 3:
            return case_like + sum(with_issuer) >= n // 2 + 1 or n >= 5
        return case_like == n or all(with_issuer)


def own_title(split: Split) -> str | None:
    """What a document calls itself: a title line of its cover or preamble, a 《compilation》 its
    preamble names, or else its first heading when it is one article (that article's title).

    A compilation without a title of its own has none: its first case's heading is no name for it.
    """
    front = [f.text for f in split.furniture if f.kind in ("cover", "preamble")]
    for line in front:
        if len(line) <= 60 and line[-1] not in TERMINAL and not is_heading(line) and not _date_line(line) and find_date(line) is None:
            return line
    for line in front:
        named = re.search(r"《([^《》]{4,40})》", line)
        if named and COMPILATION_TITLE_RE.search(named.group(1)):
            return named.group(1)
    if len(split.cases) == 1 and split.cases[0].title and not split.cases[0].derived_title:
        return split.cases[0].title
    return None


def is_section(text: str) -> bool:
    """Whether a heading's words are a generic section name (基本情况, 主要做法及成效, 下一步打算 …)."""
    return bool(SECTION_RE.match(to_simplified(text.strip())))


def has_sections(units: list[Unit]) -> bool:
    """Whether these units hold at least two section headings of their own (基本情况, （二）主要做法 …)."""
    found = 0
    for unit in units:
        if len(unit.text) <= 20 and unit.text[-1] not in "。；;":
            match = SUBSECTION_RE.match(unit.text)
            if match and is_section(match.group("name")):
                found += 1
                if found >= 2:
                    return True
    return False


def names_actor(title: str) -> bool:
    """Whether a heading names who acted: a real place, or a body (…法院, …税务局)."""
    region = find_region(title)
    return bool(region.province or region.city or BODY_RE.search(title))


def document_title(units: list[Unit]) -> str | None:
    """The title a document gives itself before its first heading (short lines, no sentence), if any."""
    lines = [u.text for u in units[:4] if len(u.text) <= 60 and u.text[-1] not in TERMINAL and not is_heading(u.text)]
    return " ".join(lines) if lines else None


def _date_line(text: str) -> bool:
    """A line that is little more than a date (and a time or a source)."""
    return len(text) <= 40 and find_date(text) is not None and text[-1] not in TERMINAL


def wraps_onto(units: list[Unit], start: int, end: int, width: int | None = None) -> bool:
    """Whether the heading at `start` continues on the next line (a title wrapped in two).

    The next line must read as a title: short, no sentence in it, and in hard-wrapped
    text shorter than a full line (a full line is the body's first line).
    """
    if start + 2 >= end:
        return False
    heading, nxt, after = units[start].text, units[start + 1].text, units[start + 2].text
    return (
        heading[-1] not in TERMINAL | set("”’」』）)】》")
        and len(nxt) <= WRAPPED_TITLE_MAX
        and nxt[-1] not in TERMINAL
        and not any(mark in nxt for mark in "。！？；")
        and not (width and len(nxt) >= width)
        and not is_heading(nxt)
        and not is_section(nxt)
        and not ISSUER_RE.match(nxt)
        and not SOURCE_LINE_RE.match(nxt)
        and len(heading) + len(nxt) <= TITLE_MAX
        and len(after) > len(nxt)  # what follows is the body, not another short line
    )


def case_headings(units: list[Unit]) -> list[int]:
    """Positions of "案例N：" headings."""
    return [i for i, u in enumerate(units) if CASE_RE.match(u.text)]


def numbered_headings(units: list[Unit]) -> list[int]:
    """Positions of the top-level "一、" "二、" … sequence of short headings."""
    starts, expected = [], 1
    for i, unit in enumerate(units):
        match = NUMBERED_RE.match(unit.text)
        if not match:
            continue
        title = match.group("title")
        # A heading that runs on into its paragraph ("一、积极推进改革。自2018年…") is no title;
        # a section name ("一、基本情况") under a case's heading restarts the numbering of that case.
        if title[-1] in TERMINAL or "。" in title or (expected > 1 and is_section(title)):
            continue
        try:
            number = chinese_numeral(match.group("num"))
        except ValueError:
            continue
        if number == expected:
            starts.append(i)
            expected += 1
    return starts


def region_headings(units: list[Unit]) -> list[int]:
    """Positions of "省份（市）：标题" headings that name a real place."""
    starts = []
    for i, unit in enumerate(units):
        text = unit.text
        if REGION_HEADING_RE.match(text) and text[-1] not in TERMINAL and not is_heading(text):
            prefix = re.split(r"[:：]", text, maxsplit=1)[0]
            if find_region(prefix).province:
                starts.append(i)
    return starts


def split_compilation(text: str, layout: str = "lines") -> Split:
    """Cut a compilation into cases, naming the furniture left over and the problems met."""
    return Splitter(split_units(text, layout)).run()
