"""Training data: corpus units plus labelled real articles, their weights, and fingerprints."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

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

    def __init__(
        self, sections: list, real: Sequence[Labelled] = (), dropped: frozenset[str] = frozenset(),
        shuffle_seed: int | None = None,
    ) -> None:
        """Hold parsed corpus sections, the real labelled articles (primary set), the corpus
        groups left out, and a seed when labels are to be shuffled (an ablation)."""
        self.sections = sections
        self.real = [r for r in real if r.example.primary is not None]
        self.dropped = frozenset(dropped)
        self.shuffle_seed = shuffle_seed

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
        return TrainingSet(self.sections, [r for r in self.real if not r.keys & drop], self.dropped, self.shuffle_seed)

    def without_groups(self, groups: Iterable[str]) -> "TrainingSet":
        """The same training set without the corpus units of `groups`."""
        return TrainingSet(self.sections, self.real, self.dropped | set(groups), self.shuffle_seed)

    def only_corpus(self) -> "TrainingSet":
        """The corpus part alone (and analysts' corrections)."""
        return TrainingSet(self.sections, [r for r in self.real if r.source == EXTRA], self.dropped, self.shuffle_seed)

    def shuffled(self, seed: int = 0) -> "TrainingSet":
        """The same training set with its labels permuted (the "shuffled labels" ablation)."""
        return TrainingSet(self.sections, self.real, self.dropped, seed)

    def keys(self) -> list[str]:
        """Sorted fingerprints of every real training article (recorded in model metadata)."""
        return sorted(set().union(*(r.keys for r in self.real))) if self.real else []

    def count(self, source: str) -> int:
        """Number of real training articles from LABELS or EXTRA."""
        return sum(r.source == source for r in self.real)

    def units(self) -> list[Unit]:
        """Corpus units (each practice, case and section overview), then one per real article.

        A real article's CV group is its labels file (a week's compilation) or its own
        correction, so held-out real articles come from a compilation the model never saw.
        """
        out = []
        for section in self.sections:
            for group, text in section_units(section, "item"):
                if group not in self.dropped:
                    out.append(Unit(group, section.slug, None, text, frozenset(), CORPUS))
        for r in self.real:
            e = r.example
            out.append(Unit(r.group, e.primary, e.title, e.text, r.keys, r.source, e.secondary))
        if self.shuffle_seed is not None:
            slugs = np.random.default_rng(self.shuffle_seed).permutation([u.slug for u in out])
            out = [replace(u, slug=str(s), secondary=()) for u, s in zip(out, slugs)]
        return out


def unit_weights(units: Sequence[Unit], label_share: float | None) -> np.ndarray:
    """Sample weights: the corpus sets the prior, real articles refine it.

    Every indicator weighs the same in all (class-balanced on the corpus's terms); within
    an indicator, its real articles together weigh `label_share` of its corpus units, so
    thirty broad service write-ups cannot make 政务服务 the default answer.
    """
    slugs = np.array([u.slug for u in units])
    real = np.array([u.real for u in units], dtype=bool)
    weights = np.ones(len(units))
    if label_share is None:  # "labels as plain rows": every unit weighs 1, the data's own prior
        return weights
    for slug in set(slugs):
        mine = slugs == slug
        n_corpus, n_real = int((mine & ~real).sum()), int((mine & real).sum())
        if n_real:
            weights[mine & real] = label_share * max(n_corpus, 1) / n_real
        mass = weights[mine].sum()
        weights[mine] /= mass if mass > 0 else 1.0
    return weights * len(units) / max(weights.sum(), 1e-12)


def selector(
    units: Sequence[Unit], settings: Settings
) -> Callable[[set[str]], tuple[list[str], list[str], np.ndarray]]:
    """A function giving (texts, labels, weights) of the units in a set of kept groups."""
    texts = [article_text(u.title, u.body, settings.title_repeat) for u in units]

    def select(groups: set[str]) -> tuple[list[str], list[str], np.ndarray]:
        """Texts, labels and sample weights of the units in `groups`."""
        kept = [i for i, u in enumerate(units) if u.group in groups]
        weights = unit_weights([units[i] for i in kept], settings.label_share)
        kept, weights = [i for i, w in zip(kept, weights) if w > 0], weights[weights > 0]
        return [texts[i] for i in kept], [units[i].slug for i in kept], weights

    return select

