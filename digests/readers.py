"""A digest per reader: each reader's part of the week's digest, by their filters ([[readers]]).

The week's digest is built once; a reader's part keeps the cases of their indicators (a case
under review by the model's top guess), provinces and cities, at or above their confidence,
and drops the sections they switched off (待复核, 改革扩散). Of the reforms that spread, a reader
sees those of their indicators, with only the new regions in their provinces and cities. A reader
with no filters gets the whole digest.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .build import Digest, Entry, Spread


@dataclass(frozen=True)
class Reader:
    """One `[[readers]]` entry: who, where to, and which part of the digest."""

    name: str
    to: tuple[str, ...]
    indicators: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    min_confidence: float = 0.0
    review: bool = True
    reforms: bool = True

    @property
    def whole(self) -> bool:
        """Whether the reader gets the whole digest (no filter set)."""
        return not (self.indicators or self.provinces or self.cities or self.min_confidence) and self.review and self.reforms


def in_region(reader: Reader, province: str | None, city: str | None, region: str | None) -> bool:
    """Whether a case is in one of the reader's provinces or cities (either list; none set: anywhere)."""
    if not reader.provinces and not reader.cities:
        return True
    region = region or ""
    if any(p == province or region.startswith(p) for p in reader.provinces):
        return True
    return any(c == city or (c and c in region) for c in reader.cities)


def wanted(
    reader: Reader, *, indicator: str | None, top: str | None, confidence: float | None, human: bool,
    province: str | None, city: str | None, region: str | None,
) -> bool:
    """Whether a case belongs to the reader's part. A case without an indicator is under review: it
    counts by its top guess, and only for a reader who takes 待复核."""
    if not in_region(reader, province, city, region):
        return False
    if indicator is None:
        return reader.review and (not reader.indicators or top in reader.indicators)
    if reader.indicators and indicator not in reader.indicators:
        return False
    return human or (confidence or 0) >= reader.min_confidence


def entry_wanted(reader: Reader, entry: Entry) -> bool:
    """`wanted` for a digest entry (one held as mojibake counts as under review)."""
    return wanted(
        reader, indicator=None if entry.garbled else entry.indicator, top=entry.indicator or entry.top,
        confidence=entry.confidence, human=entry.human, province=entry.province, city=entry.city, region=entry.region,
    )  # fmt: skip


def row_wanted(reader: Reader, row: dict) -> bool:
    """`wanted` for an article row of the store (`store.reports.week_facets`)."""
    scores = row.get("scores") or {}
    return wanted(
        reader, indicator=row.get("indicator"), top=max(scores, key=scores.get) if scores else None,
        confidence=row.get("confidence"), human=row.get("label_source") == "human",
        province=row.get("province"), city=row.get("city"), region=row.get("region"),
    )  # fmt: skip


def spread_wanted(reader: Reader, spread: list[Spread]) -> list[Spread]:
    """The reforms of the reader's indicators that reached one of their provinces or cities this week, each
    with only those new regions (the reform's provinces reached so far stay: they say how far it spread)."""
    kept = []
    for reform in spread:
        if reader.indicators and reform.indicator not in reader.indicators:
            continue
        if reader.provinces or reader.cities:
            places = [(region, province) for region, province in reform.places if in_region(reader, province, None, region)]
            if not places:
                continue
            reform = replace(reform, new=len(places), new_regions="、".join(r for r, _ in places), places=places)
        kept.append(reform)
    return kept


def describe_scope(reader: Reader, names: dict[str, str]) -> str:
    """The reader's filters in words, for the head of their digest (Chinese)."""
    parts = []
    if reader.indicators:
        parts.append("指标 " + "、".join(names.get(slug, slug) for slug in reader.indicators))
    if reader.provinces or reader.cities:
        parts.append("地区 " + "、".join([*reader.provinces, *reader.cities]))
    if reader.min_confidence:
        parts.append(f"置信度不低于 {reader.min_confidence:.2f}")
    if not reader.review:
        parts.append("不含待复核")
    if not reader.reforms:
        parts.append("不含改革扩散")
    return "；".join(parts) or "全部内容"


def reader_digest(
    digest: Digest, reader: Reader, names: dict[str, str], previous: list[tuple[str, int]] | None = None
) -> Digest:
    """The reader's part of a week's digest. `names`: every indicator's name by slug, in the official order;
    `previous`: the reader's count of each of the four weeks before.

    Source status and failed files stay: they say whether the week's collection is complete.
    """
    scope = describe_scope(reader, names)
    if reader.whole:
        return replace(digest, reader=reader.name, scope=scope)
    sections = [replace(s, entries=[e for e in s.entries if entry_wanted(reader, e)]) for s in digest.sections]
    kept = [s for s in sections if s.entries]
    listed = {s.slug for s in kept}
    # An indicator the reader did not ask for is not "without cases" for them.
    quiet = [name for slug, name in names.items() if slug not in listed and (not reader.indicators or slug in reader.indicators)]
    unclassified = [e for e in digest.unclassified if entry_wanted(reader, e)]
    held = [e for e in digest.held if entry_wanted(reader, e)]
    entries = [e for s in kept for e in s.entries] + unclassified + held
    return replace(
        digest,
        articles=len(entries),
        regions=len({e.region for e in entries if e.region}),
        sources=len({e.source for e in entries}),
        compilations=len({e.compilation for e in entries if e.compilation}),
        previous=previous if previous is not None else digest.previous,
        sections=kept,
        quiet=quiet,
        unclassified=unclassified,
        doubtful=[e for s in kept for e in s.entries if e.doubtful] if reader.review else [],
        held=held,
        non_cases=0,  # other news has no indicator and is never listed: a filtered part does not count it
        reader=reader.name,
        scope=scope,
        show_review=reader.review,
        show_reforms=reader.reforms,
        spread=spread_wanted(reader, digest.spread) if reader.reforms else [],
    )
