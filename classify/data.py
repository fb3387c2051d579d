"""Training data: corpus units plus labelled real articles, with fingerprints to find overlaps."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .corpus import read_corpus, section_units
from .examples import LABELS_DIR, Example, read_examples
from .model import Settings, article_text
from .text import normalise

_WHITESPACE = re.compile(r"\s+")
CORPUS, LABELS, EXTRA = "corpus", "labels", "extra"


def text_keys(text: str) -> frozenset[str]:
    """Fingerprints of an article's text: whole, and without its first or its last line.

    Whitespace is dropped before hashing, so the same article with other line breaks
    matches; the shortened variants match a copy that lacks an issuer line at the top
    (labels files keep it, the store does not) or an editor's credit at the bottom.
    """
    lines = [line for line in normalise(text or "").split("\n") if line.strip()]
    variants = [lines, lines[1:], lines[:-1]] if len(lines) > 2 else [lines]
    keys = set()
    for variant in variants:
        flat = _WHITESPACE.sub("", "".join(variant))
        if flat:
            keys.add(hashlib.sha256(flat.encode("utf-8")).hexdigest()[:16])
    return frozenset(keys)


@dataclass(frozen=True)
class Unit:
    """One training unit: its CV group, label, title and body, and text fingerprints."""

    group: str
    slug: str
    title: str | None
    body: str
    keys: frozenset[str]
    source: str  # CORPUS, LABELS or EXTRA
    secondary: tuple[str, ...] = ()

    @property
    def real(self) -> bool:
        """Whether this is a real article (a labelled case or an analyst's correction)."""
        return self.source != CORPUS


@dataclass(frozen=True)
class Labelled:
    """A real labelled article in the training set: where it came from and its CV group."""

    example: Example
    source: str  # LABELS or EXTRA
    group: str  # labels/<file stem> (grouped by file) or extra/<n>
    keys: frozenset[str]


class TrainingSet:
    """Corpus sections plus labelled real articles; picklable, so a model can refit itself."""

    def __init__(self, sections: list, real: Sequence[Labelled] = ()) -> None:
        """Hold parsed corpus sections and the real labelled articles (primary set)."""
        self.sections = sections
        self.real = [r for r in real if r.example.primary is not None]

    @classmethod
    def build(
        cls,
        extra: Sequence[Example] = (),
        corpus: Path | None = None,
        labels_dir: Path | None = LABELS_DIR,
    ) -> "TrainingSet":
        """Corpus, the labels files in `labels_dir` (None: none), and analysts' `extra` examples.

        An extra example whose text matches a labelled case replaces it: the analyst's
        correction is the newer judgement.
        """
        extras = [Labelled(e, EXTRA, f"extra/{n}", text_keys(e.text)) for n, e in enumerate(extra)]
        taken = set().union(*(r.keys for r in extras)) if extras else set()
        labelled = []
        for path in sorted(Path(labels_dir).glob("*.jsonl")) if labels_dir else []:
            for example in read_examples(path):
                keys = text_keys(example.text)
                if not keys & taken:
                    labelled.append(Labelled(example, LABELS, f"labels/{path.stem}", keys))
        return cls(read_corpus(corpus), labelled + extras)

    def without(self, keys: Iterable[str]) -> "TrainingSet":
        """The same training set without the real articles matching any of `keys`."""
        drop = set(keys)
        return TrainingSet(self.sections, [r for r in self.real if not r.keys & drop])

    def only_corpus(self) -> "TrainingSet":
        """The corpus part alone (the round-1 training set)."""
        return TrainingSet(self.sections, [r for r in self.real if r.source == EXTRA])

    def keys(self) -> list[str]:
        """Sorted fingerprints of every real training article (recorded in model metadata)."""
        return sorted(set().union(*(r.keys for r in self.real))) if self.real else []

    def count(self, source: str) -> int:
        """Number of real training articles from LABELS or EXTRA."""
        return sum(r.source == source for r in self.real)

    def units(self, size: str = "item", real_groups: str = "file") -> list[Unit]:
        """Corpus units at `size`, then one unit per real article.

        `real_groups` "file" keeps a labels file's articles in one CV group; "case"
        gives each real article a group of its own.
        """
        out = []
        for section in self.sections:
            for group, text in section_units(section, size):
                out.append(Unit(group, section.slug, None, text, frozenset(), CORPUS))
        for n, r in enumerate(self.real):
            e = r.example
            group = r.group if real_groups == "file" else f"{r.group}/{n}"
            out.append(Unit(group, e.primary, e.title, e.text, r.keys, r.source, e.secondary))
        return out

    def selector(self, settings: Settings) -> Callable[[set[str]], tuple[list[str], list[str], list[float]]]:
        """A function giving (texts, labels, weights) of the units in a set of kept groups."""
        whole_sections = settings.unit == "section"
        units = self.units("item" if whole_sections else settings.unit, settings.real_groups)
        texts = [article_text(u.title, u.body, settings.title_repeat) for u in units]

        def select(groups: set[str]) -> tuple[list[str], list[str], list[float]]:
            """Texts, labels and sample weights of the units in `groups`."""
            kept = [(t, u) for t, u in zip(texts, units) if u.group in groups]
            rows = [(t, u.slug, settings.real_weight if u.real else 1.0) for t, u in kept]
            if whole_sections:  # one text per indicator from its kept corpus items
                joined: dict[str, list[str]] = {}
                for t, u in kept:
                    if not u.real:
                        joined.setdefault(u.slug, []).append(t)
                rows = [("\n".join(ts), y, 1.0) for y, ts in joined.items()]
                rows += [(t, u.slug, settings.real_weight) for t, u in kept if u.real]
            return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]

        return select
