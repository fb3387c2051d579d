"""The data of a weekly digest, read from the store: entries by indicator, review list, source status.

Which week: a digest lists the articles whose `week` is its week. The store gives an
article the week of the run that first saw it (live runs and `casewatch ingest`);
a backfill gives it the week it was published in. Each article has one week, so
every stored case appears in exactly one weekly digest; the same case seen twice in
a week (two compilations, two sites) is one entry with "另见".
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, time, timedelta
from pathlib import PurePath
from zoneinfo import ZoneInfo

import sqlite_utils

import store
from store import reports
from zhtext import garbled, to_simplified

from .errors import explain_error
from .summary import Figure, Summary, best_figures, comparable, find_figures, summarise, summarise_all
from .weeks import parse_week, week_range

# Classified cases below this confidence are listed for review too (they stay in their indicator).
REVIEW_BELOW = 0.6
REGION_PREFIX_RE = re.compile(r"^[^：:]{2,16}[：:]")
TITLE_NOISE_RE = re.compile(r"[\s\W_]+")
DATE_RANGE_RE = re.compile(r"\d{1,2}月\d{1,2}日\s*[-—~至]\s*(?:\d{1,2}月)?\d{1,2}日")
BOOK_TITLE_RE = re.compile(r"《([^《》]{4,40})》")
# A name that is a file's, not a title: "001_213e3ce8f5cd92cf.txt", "汇编.pdf", a bare hash.
FILE_NAME_RE = re.compile(r"\.(?:txt|pdf|docx?|wps|html?|xlsx?|ofd|zip)$|^[0-9a-f]{12,}$|_[0-9a-f]{12,}", re.I)
# How many characters of an article's id the digest shows: enough for `casewatch label` (16 in all).
SHORT_ID = 8


@dataclass
class Sighting:
    """Another place where a case was seen: a source and compilation, or an earlier digest."""

    label: str
    url: str | None = None


@dataclass
class KeyFigure:
    """A figure a case states, with the corpus's best figure of the same measure where there is one."""

    text: str
    best: str | None = None


@dataclass
class Entry:
    """One case as the digest shows it."""

    id: str
    title: str
    url: str | None
    region: str | None
    source: str
    compilation: str | None
    published: str | None
    indicator: str | None
    indicator_name: str | None
    confidence: float | None
    human: bool
    summary: Summary
    secondary: list[str] = field(default_factory=list)
    figures: list[KeyFigure] = field(default_factory=list)
    also: list[Sighting] = field(default_factory=list)
    guesses: list[tuple[str, float]] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    short_id: str = ""
    # The article's page in Datasette, when `[digest] base_url` is set.
    link: str | None = None
    # A stretch of the title or body that reads as mojibake: the entry is held for review, not shown.
    garbled: str | None = None
    # Where the case is and the model's top guess (slug): what a reader's filters look at.
    province: str | None = None
    city: str | None = None
    top: str | None = None

    @property
    def readable_title(self) -> str | None:
        """The title, unless it is itself mojibake."""
        return None if garbled(self.title) else self.title

    @property
    def doubtful(self) -> bool:
        """Classified by the model with low confidence."""
        return self.indicator is not None and not self.human and (self.confidence or 0) < REVIEW_BELOW


@dataclass
class Section:
    """One indicator's part of the digest."""

    number: int
    slug: str
    name: str
    entries: list[Entry]
    best: list[str]


@dataclass
class SourceStatus:
    """A source's latest outcome in the week, in plain Chinese, with the technical detail apart."""

    title: str
    state: str
    ok: bool
    details: list[str] = field(default_factory=list)


@dataclass
class FailedDocument:
    """A file that could not be read: its name, its source, why in plain Chinese, and the detail."""

    name: str
    source: str
    reason: str
    detail: str


@dataclass
class Spread:
    """A reform that reached new regions this week (the section 改革扩散)."""

    name: str
    new: int
    new_regions: str
    provinces: int
    regions: int
    first_region: str | None
    first_date: str | None
    indicator: str | None = None
    places: list[tuple[str, str | None]] = field(default_factory=list)  # the new regions with their provinces


@dataclass
class Digest:
    """Everything a digest shows, ready for the templates."""

    week: str
    year: int
    number: int
    dates: str
    articles: int
    regions: int
    sources: int
    compilations: int
    previous: list[tuple[str, int]]
    sections: list[Section]
    quiet: list[str]
    unclassified: list[Entry]
    doubtful: list[Entry]
    statuses: list[SourceStatus]
    simplified: bool = False
    held: list[Entry] = field(default_factory=list)
    failed_documents: list[FailedDocument] = field(default_factory=list)
    non_cases: int = 0  # articles the relevance gate found not to be reform cases: counted, never listed
    spread: list[Spread] = field(default_factory=list)  # reforms that reached new regions this week
    # A reader's part of the week ([[readers]]): their name and filters in words, and which
    # sections their filters switch off (待复核; 改革扩散, whose template honours `show_reforms`).
    reader: str | None = None
    scope: str = ""
    show_review: bool = True
    show_reforms: bool = True

    @property
    def cases(self) -> int:
        """Entries after folding duplicates (those held as mojibake included)."""
        return self.classified + len(self.unclassified) + len(self.held)

    @property
    def classified(self) -> int:
        """Entries listed under an indicator."""
        return sum(len(s.entries) for s in self.sections)

    @property
    def largest(self) -> int:
        """The largest indicator's number of cases (the overview's full bar)."""
        return max((len(s.entries) for s in self.sections), default=0)

    @property
    def trend(self) -> str:
        """The week against the average of the previous four, in words."""
        counts = [count for _, count in self.previous]
        if not any(counts):
            return "前四周无收录"
        average = sum(counts) / len(counts)
        change = (self.articles - average) / average * 100
        direction = "持平" if abs(change) < 0.5 else f"增加 {change:.0f}%" if change > 0 else f"减少 {-change:.0f}%"
        return f"较前四周平均（每周 {average:.1f} 篇）{direction}"

    @property
    def failing(self) -> int:
        """Sources whose latest outcome this week is a failure."""
        return sum(not s.ok for s in self.statuses)

    @property
    def review(self) -> int:
        """Entries the analyst should look at: unclassified, low confidence, or held as mojibake."""
        return len(self.unclassified) + len(self.doubtful) + len(self.held)


# Each week's digest looks up every earlier week's titles (a case seen before): remembered, each
# title is reduced once per process, not once per later week (86,000 times for 80 weeks of 2,000 cases).
@lru_cache(maxsize=1 << 16)
def title_key(title: str) -> str:
    """A title reduced to compare sightings: Simplified, no "省份：" prefix, no punctuation or spaces."""
    simple = to_simplified(title or "")
    return TITLE_NOISE_RE.sub("", REGION_PREFIX_RE.sub("", simple)) or simple


def web_url(url: str | None) -> str | None:
    """The URL if a reader can open it (http or https), else None: file paths and javascript: are not links."""
    return url if url and re.match(r"(?i)^https?://[^\s]+$", url) else None


def compilation_title(name: str | None, covers: list[dict], title: str | None = None) -> str | None:
    """A compilation's own title (its cover, a 《title》 in its preamble, or the title read with it), never a file name."""
    cover = [c["text"].strip() for c in covers if c.get("kind") == "cover" and c.get("text", "").strip()]
    named = next((line for line in cover if not re.search(r"@|电\s*话|tel|http|^\W*$", line, re.I) and len(line) <= 40), None)
    if named:
        dates = next((line for line in cover if DATE_RANGE_RE.search(line) and line != named), None)
        return f"《{named}》（{dates}）" if dates else f"《{named}》"
    for line in (c.get("text", "") for c in covers if c.get("kind") == "preamble"):
        match = BOOK_TITLE_RE.search(line)
        if match:
            return f"《{match.group(1)}》"
    if title:
        return f"《{title.strip('《》')}》"
    # A page read as a document is named by its page title; a file name or hash is no name.
    name = PurePath(name).name if name else None
    return name if name and not FILE_NAME_RE.search(name) else None


def previous_weeks(week: str, count: int = 4) -> list[str]:
    """The `count` ISO weeks before `week`, oldest first."""
    monday, _ = week_range(week)
    weeks = []
    for back in range(count, 0, -1):
        year, number, _ = (monday - timedelta(weeks=back)).isocalendar()
        weeks.append(f"{year}-W{number:02d}")
    return weeks


def week_start_utc(week: str, tz: str = "Asia/Shanghai") -> str:
    """Monday 00:00 of the week in `tz`, as a UTC ISO timestamp (comparable with the store's times)."""
    monday, _ = week_range(week)
    return datetime.combine(monday, time(0), ZoneInfo(tz)).astimezone(ZoneInfo("UTC")).isoformat()


def _dates(week: str) -> str:
    start, end = week_range(week)
    tail = f"{end.month}月{end.day}日" if end.year == start.year else f"{end.year}年{end.month}月{end.day}日"
    return f"{start.year}年{start.month}月{start.day}日至{tail}"


def key_figures(figures: list[Figure], best: list[Figure], slug: str | None = None, limit: int = 4) -> list[KeyFigure]:
    """A case's first figures; the first of each measure set beside the corpus's best of the same measure.

    Same measure: the same kind, the same unit (working days beside working days) and the
    same procedure (the words before the figure name the one the best figure times).
    """
    shown, measured = [], set()
    for figure in figures[:limit]:
        same = [b for b in best if b.value is not None and comparable(figure, b, slug)]
        top = min(same, key=lambda b: b.value) if same and figure.kind not in measured else None
        if top:
            measured.add(figure.kind)
        shown.append(KeyFigure(figure.text, top.text if top else None))
    return shown


def short_ids(ids: list[str], length: int = SHORT_ID) -> dict[str, str]:
    """Each id's shortest prefix of at least `length` characters that no other id in the list shares."""
    shown = {}
    for key in ids:
        size = length
        while size < len(key) and any(other != key and other.startswith(key[:size]) for other in ids):
            size += 1
        shown[key] = key[:size]
    return shown


def article_link(base_url: str | None, key: str) -> str | None:
    """The article's row page in Datasette under `base_url` (`{base_url}/casewatch/articles/{id}`)."""
    return f"{base_url.rstrip('/')}/casewatch/articles/{key}" if base_url else None


def make_entry(
    row: dict, names: dict[str, str], covers: dict[str, list[dict]], simplified: bool = False, base_url: str | None = None,
    summary: Summary | None = None,
) -> Entry:
    """An article row as a digest entry: summary, figures against the best, top guesses, id and link.

    `summary` is the row's `summarise` when already made (`build_digest` makes a week's together).
    """
    script = to_simplified if simplified else (lambda text: text)
    summary = summarise(row["body"] or "", row["title"] or "") if summary is None else summary
    if simplified:
        summary = Summary(tuple((to_simplified(text), figure) for text, figure in summary.parts))
    scores = sorted((row.get("scores") or {}).items(), key=lambda item: -item[1])[:3]
    return Entry(
        id=row["id"],
        title=script(" ".join((row["title"] or "（无标题）").split())),
        url=web_url(row.get("url")),
        region=row.get("region"),
        source=script(row.get("source_title") or row["source"]),
        compilation=script(
            compilation_title(row.get("document_name"), covers.get(row.get("document"), []), row.get("document_title")) or ""
        ) or None,
        published=row.get("published"),
        indicator=row.get("indicator"),
        indicator_name=names.get(row.get("indicator")),
        confidence=row.get("confidence"),
        human=row.get("label_source") == "human",
        summary=summary,
        secondary=[names.get(slug, slug) for slug in row.get("secondary") or []],
        figures=key_figures(find_figures(row["body"] or ""), best_figures().get(row.get("indicator"), []), row.get("indicator")),
        guesses=[(names.get(slug, slug), score) for slug, score in scores],
        terms=list(row.get("terms") or [])[:6],
        short_id=row["id"][:SHORT_ID],
        link=article_link(base_url, row["id"]),
        garbled=garbled(f"{row['title'] or ''}\n{row['body'] or ''}"),
        province=row.get("province"),
        city=row.get("city"),
        top=scores[0][0] if scores else None,
    )


def _own_compilation(entry: Entry) -> Entry:
    # A document that is one article is named by that article's title: saying it twice says nothing.
    if entry.compilation and title_key(entry.compilation.strip("《》")) == title_key(entry.title):
        entry.compilation = None
    return entry


def fold_duplicates(entries: list[Entry], rows: list[dict]) -> list[Entry]:
    """One entry per case: a case seen in several sources or compilations keeps its best-scored sighting."""
    first: dict[str, Entry] = {}
    kept = []
    for entry, row in zip(entries, rows):
        key = title_key(row["title"])
        if key in first:
            primary = first[key]
            label = entry.source + (f" · {entry.compilation}" if entry.compilation else "")
            if all(s.label != label or s.url != entry.url for s in primary.also):
                primary.also.append(Sighting(label, entry.url))
            continue
        first[key] = entry
        kept.append(entry)
    return kept


def _order(entries: list[Entry]) -> list[Entry]:
    # Human labels first, then the model's confidence: the entries the analyst can trust most lead.
    return sorted(entries, key=lambda e: (not e.human, -(e.confidence or 0)))


def source_statuses(outcomes: list[dict]) -> list[SourceStatus]:
    """Each source's latest outcome in plain Chinese: 正常, 无法访问, 被拦截, 本周无新内容, N 个文件未能读取 …

    A file that could not be read is listed apart (`failed_documents`); its source says how many.
    """
    statuses = []
    for o in outcomes:
        files = [d for d in o["failed_documents"] if any(e.startswith(f"{d['name']}: ") for e in o["errors"])]
        errors = [e for e in o["errors"] if not any(e.startswith(f"{d['name']}: ") for d in files)]
        got = f"本周新增 {o['new']} 篇" if o["new"] else ""
        if errors or files:
            kinds = []
            for error in errors:
                kind = explain_error(error, o["failed_documents"])
                if kind not in kinds:
                    kinds.append(kind)
            if files:
                kinds.append(f"{len(files)} 个文件未能读取")
            state = "、".join(kinds) + (f"；{got}" if got else "")
            statuses.append(SourceStatus(o["title"], state, False, list(errors)))
        elif o["new"]:
            statuses.append(SourceStatus(o["title"], f"正常，{got}", True))
        elif o["before"]:
            statuses.append(SourceStatus(o["title"], f"本周无新内容（以往共收录 {o['before']} 篇）", True))
        else:
            statuses.append(SourceStatus(o["title"], "本周无新内容，尚未收录过案例", True))
    return statuses


def failed_documents(outcomes: list[dict]) -> list[FailedDocument]:
    """The files of this week's failing sources that could not be read, with the reason in plain Chinese."""
    failed = []
    for o in outcomes:
        for d in o["failed_documents"]:
            error = next((e for e in o["errors"] if e.startswith(f"{d['name']}: ")), None)
            if error is None:
                continue  # read since, or failed in another week: not this week's failure
            detail = d["error"] or error.split(": ", 1)[1]
            failed.append(FailedDocument(PurePath(d["name"]).name, o["title"], explain_error(error, [d]), detail))
    return failed


class EarlierCases:
    """The store's cases by title key, read once, handing out each week's earlier cases as
    `reports.earlier_cases` reads them (in the order of week and id).

    For the digests of many weeks in a row (a backfill): the weeks' queries read every earlier
    case again, 80 queries of 1,000 rows on average for 2,000 cases over 80 weeks (0.7 s, growing
    with the square of the weeks). Cases stored after it was made are not in it: made after the
    weeks' states were read, it misses only what makes their digests stale anyway.
    """

    def __init__(self, db: sqlite_utils.Database) -> None:
        # Every case of a week before any ISO week ("9999-W99" sorts after them all): all cases with a week.
        self.rows = reports.earlier_cases(db, "9999-W99")
        self.weeks = [row["week"] for row in self.rows]
        self.week: str | None = None
        self.upto = 0
        self.by_title: dict[str, list[dict]] = {}

    def before(self, week: str) -> dict[str, list[dict]]:
        """The cases of the weeks before `week`, by title key (don't change it: the next week's adds to it)."""
        if self.week is not None and week < self.week:
            self.upto, self.by_title = 0, {}
        self.week = week
        end = bisect.bisect_left(self.weeks, week)
        for row in self.rows[self.upto : end]:
            self.by_title.setdefault(title_key(row["title"]), []).append(row)
        self.upto = max(self.upto, end)
        return self.by_title


def build_digest(
    db: sqlite_utils.Database, week: str, simplified: bool = False, tz: str = "Asia/Shanghai", base_url: str | None = None,
    earlier: EarlierCases | None = None,
) -> Digest:
    """Read a week's cases, sightings and source outcomes from the store and arrange them by indicator.

    `base_url` is where Datasette serves the store: each case then links to its row there.
    `earlier` holds the store's cases for many weeks' digests in a row (else the week's are read).
    """
    year, number = parse_week(week)
    indicators = store.indicators(db)
    names = {i["slug"]: i["name"] for i in indicators}
    every = reports.digest_articles(db, week)
    # Not reform cases (meetings, statistics, notices …): stored, counted in one line, never listed.
    rows = [r for r in every if r.get("is_case") != 0]
    covers = reports.document_covers(db, sorted({r["document"] for r in rows if r["document"]}))
    summaries = summarise_all([(r["body"] or "", r["title"] or "") for r in rows])
    entries = fold_duplicates(
        [_own_compilation(make_entry(r, names, covers, simplified, base_url, s)) for r, s in zip(rows, summaries)], rows
    )
    ids = short_ids([e.id for e in entries])
    for entry in entries:
        entry.short_id = ids[entry.id]
    # Mojibake is held for review, never printed as a case.
    held = [e for e in entries if e.garbled]
    entries = [e for e in entries if not e.garbled]
    seen_elsewhere = reports.sightings(db, [e.id for e in entries])
    if earlier is None:
        before: dict[str, list[dict]] = {}
        for row in reports.earlier_cases(db, week):
            before.setdefault(title_key(row["title"]), []).append(row)
    else:
        before = earlier.before(week)
    titles = {r["id"]: r["title"] for r in rows}
    for entry in entries:
        for sighting in seen_elsewhere.get(entry.id, []):
            if web_url(sighting["url"]) != entry.url:
                entry.also.append(Sighting(sighting["source_title"] or "", web_url(sighting["url"])))
        for old in before.get(title_key(titles[entry.id]), [])[:3]:
            entry.also.append(Sighting(f"往期周报 {old['week']}（{old['source_title']}）", web_url(old["url"])))
    best = best_figures()
    outcomes = reports.source_outcomes(db, week, week_start_utc(week, tz))
    sections = [
        Section(i["number"], i["slug"], i["name"], _order([e for e in entries if e.indicator == i["slug"]]), [f.text for f in best.get(i["slug"], [])])
        for i in indicators
    ]
    return Digest(
        week=week,
        year=year,
        number=number,
        dates=_dates(week),
        articles=len(rows),
        regions=len({r["region"] for r in rows if r["region"]}),
        sources=len({r["source"] for r in rows}),
        compilations=len({r["document"] for r in rows if r["document"]}),
        previous=list(reports.week_counts(db, previous_weeks(week)).items()),
        sections=[s for s in sections if s.entries],
        quiet=[s.name for s in sections if not s.entries],
        unclassified=[e for e in entries if e.indicator is None],
        doubtful=[e for s in sections for e in s.entries if e.doubtful],
        statuses=source_statuses(outcomes),
        simplified=simplified,
        held=held,
        failed_documents=failed_documents(outcomes),
        non_cases=len(every) - len(rows),
        spread=reform_spread(db, week, simplified),
    )


def reform_spread(db: sqlite_utils.Database, week: str, simplified: bool = False) -> list[Spread]:
    """The reforms that reached regions this week where they had not been seen, seen in two regions or more."""
    script = to_simplified if simplified else (lambda text: text)
    fields = ("new", "new_regions", "provinces", "regions", "first_region", "first_date", "indicator")
    return [
        Spread(script(r["name"] or ""), **{k: r[k] for k in fields}, places=[tuple(p) for p in json.loads(r["new_places"] or "[]")])
        for r in store.week_spread(db, week)
    ]
