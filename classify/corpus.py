"""Parse the training corpus (18 indicator sections) into labelled training units."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from zhtext import chinese_numeral
from zhtext.national_best import national_best

from .taxonomy import INDICATORS
from .text import DATA_DIR, normalise

CORPUS_DIR = DATA_DIR / "corpus"
UNIT_SIZES = ("section", "item", "subitem", "line", "item+subitem")

_SECTION = re.compile(r"(?m)^([一二三四五六七八九十]+)、\n")
_PART = re.compile(r"^[一二三四五六]、\s*(最佳实践城市|最佳指标|创新做法|典型案例)\s*$")
_ITEM = re.compile(r"^\d+、\s*(.+)$")
# A city case whose number was lost ("南昌市—提速增效…").
_UNNUMBERED_CASE = re.compile(r"^\S{1,12}[市区县省州]\s*[—-]")
# "银川市—" in front of a case heading names a best-practice city, not a topic.
_CITY_PREFIX = re.compile(r"^\S{1,12}?[市区县省州]\s*[—-]\s*")
_SUBITEM = re.compile(r"^\(\d+\)\s*(.*)$")
_BULLET = re.compile(r"^[●•·]\s*(.*)$")
_TRAILER = re.compile(r"(?m)^(更多内容|最新汇编|免责声明)")


@dataclass
class Unit:
    """One innovative practice or typical case: a heading and its sub-items."""

    kind: str  # "practice" or "case"
    heading: str
    subitems: list[list[str]] = field(default_factory=list)  # each: its line, then bullets

    def text(self) -> str:
        """The unit as one text: heading, then each sub-item with its bullets."""
        lines = [self.heading]
        for sub in self.subitems:
            lines.extend(line for line in sub if line)
        return "\n".join(lines)


@dataclass
class Section:
    """One indicator's section of the corpus."""

    number: int
    name: str
    definition: str
    best_cities: str = ""
    best_figures: str = ""
    practices: list[Unit] = field(default_factory=list)
    cases: list[Unit] = field(default_factory=list)

    @property
    def slug(self) -> str:
        """The indicator slug of this section."""
        return INDICATORS[self.number - 1].slug

    def overview(self) -> str:
        """Name, definition, best-practice cities and best figures as one text."""
        parts = [self.name, self.definition, self.best_cities, self.best_figures]
        return "\n".join(p for p in parts if p)


def corpus_path(corpus_dir: Path = CORPUS_DIR) -> Path:
    """The corpus file (`000_*.txt`) in `corpus_dir`."""
    found = sorted(Path(corpus_dir).glob("000_*.txt"))
    if not found:
        raise FileNotFoundError(f"no 000_*.txt corpus in {corpus_dir}")
    return found[0]


def file_hash(path: Path) -> str:
    """Short sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _parse_section(number: int, body: str) -> Section:
    """Parse one section body (everything after its `N、` line)."""
    lines = [line for line in body.split("\n") if line.strip()]
    name, rest = lines[0], lines[1:]
    definition: list[str] = []
    section = Section(number=number, name=name, definition="")
    part = "definition"
    current: Unit | None = None
    for line in rest:
        heading = _PART.match(line)
        if heading:
            part = heading.group(1)
            current = None
            continue
        if part == "definition":
            definition.append(line)
        elif part == "最佳实践城市":
            section.best_cities = (section.best_cities + " " + line).strip()
        elif part == "最佳指标":
            continue  # the national best figures' home is data/national_best.tsv (below)
        else:
            units = section.practices if part == "创新做法" else section.cases
            item = _ITEM.match(line)
            if item or (part == "典型案例" and _UNNUMBERED_CASE.match(line)):
                kind = "practice" if part == "创新做法" else "case"
                heading = (item.group(1) if item else line).strip()
                current = Unit(kind=kind, heading=_CITY_PREFIX.sub("", heading))
                units.append(current)
                continue
            if current is None:
                continue
            sub, bullet = _SUBITEM.match(line), _BULLET.match(line)
            if sub or not current.subitems:
                current.subitems.append([(sub.group(1) if sub else line).strip()])
            else:
                current.subitems[-1].append((bullet.group(1) if bullet else line).strip())
    section.definition = "\n".join(definition)
    section.best_figures = national_best().get(section.slug, "")
    return section


def parse_corpus(text: str) -> list[Section]:
    """Parse the corpus text (Traditional or Simplified) into its 18 sections."""
    text = normalise(text)
    trailer = _TRAILER.search(text)
    if trailer:
        text = text[: trailer.start()]
    pieces = _SECTION.split(text)
    sections = [
        _parse_section(chinese_numeral(pieces[i]), pieces[i + 1]) for i in range(1, len(pieces) - 1, 2)
    ]
    if [s.number for s in sections] != list(range(1, len(INDICATORS) + 1)):
        raise ValueError(f"corpus has sections {[s.number for s in sections]}, expected 1..18")
    return sections


def read_corpus(path: Path | None = None) -> list[Section]:
    """Read and parse the corpus file."""
    return parse_corpus(Path(path or corpus_path()).read_text(encoding="utf-8"))


def section_units(section: Section, size: str = "item") -> list[tuple[str, str]]:
    """Training units of one section as (group id, text) pairs at the given unit size.

    The group id names the practice or case a unit came from, so cross-validation
    can hold out whole cases.
    """
    if size not in UNIT_SIZES:
        raise ValueError(f"unit size must be one of {UNIT_SIZES}")
    if size == "item+subitem":
        return section_units(section, "item") + [
            unit for unit in section_units(section, "subitem") if not unit[0].endswith("/overview")
        ]
    slug = section.slug
    items = [(f"{slug}/overview", None, section.overview())]
    items += [(f"{slug}/practice{i}", u, "") for i, u in enumerate(section.practices)]
    items += [(f"{slug}/case{i}", u, "") for i, u in enumerate(section.cases)]
    if size == "section":
        return [(slug, "\n".join([section.overview()] + [u.text() for _, u, _ in items[1:]]))]
    out: list[tuple[str, str]] = []
    for group, unit, text in items:
        if unit is None:
            out.append((group, text))
        elif size == "item" or not unit.subitems:
            out.append((group, unit.text()))
        elif size == "subitem":
            out.append((group, unit.heading))
            out.extend((group, "\n".join(sub)) for sub in unit.subitems)
        else:
            out.append((group, unit.heading))
            out.extend((group, line) for sub in unit.subitems for line in sub)
    return out
