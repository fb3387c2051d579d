"""Labelled examples: the record type, JSONL reading, and content hashes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from .taxonomy import SLUGS
from .text import DATA_DIR

LABELS_DIR = DATA_DIR / "labels"


@dataclass
class Example:
    """A text with its human label: primary slug (None = fits no indicator) and secondaries."""

    text: str
    primary: str | None
    title: str | None = None
    secondary: tuple[str, ...] = ()
    id: str | None = None

    def __post_init__(self) -> None:
        """Check slugs so a typo in a label file fails loudly."""
        self.secondary = tuple(self.secondary or ())
        for slug in (self.primary, *self.secondary):
            if slug is not None and slug not in SLUGS:
                raise ValueError(f"unknown indicator slug {slug!r}")


def read_examples(path: str | Path) -> list[Example]:
    """Read a labelled JSONL file: text, primary (slug or null), optional title, secondary, id."""
    examples = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not row.get("text"):
                raise ValueError(
                    f'{path}:{number}: no "text"; a file of labels only (such as a second labeller\'s) '
                    "needs the cases' texts beside them to be evaluated"
                )
            examples.append(
                Example(
                    text=row["text"],
                    primary=row.get("primary"),
                    title=row.get("title"),
                    secondary=tuple(row.get("secondary") or ()),
                    id=row.get("id") or f"{Path(path).stem}:{number}",
                )
            )
    return examples


def examples_hash(examples: Iterable[Example]) -> str:
    """Order-independent hash of examples' content and labels."""
    rows = sorted(
        json.dumps([e.title, e.text, e.primary, sorted(e.secondary)], ensure_ascii=False)
        for e in examples
    )
    return hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()[:16]


def labels_hash(labels_dir: Path = LABELS_DIR) -> str:
    """Hash of every `*.jsonl` file in the labels folder (names and bytes)."""
    digest = hashlib.sha256()
    for path in sorted(Path(labels_dir).glob("*.jsonl")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def read_label_files(labels_dir: Path = LABELS_DIR) -> list[Example]:
    """All labelled evaluation examples in the labels folder."""
    out: list[Example] = []
    for path in sorted(Path(labels_dir).glob("*.jsonl")):
        out.extend(read_examples(path))
    return out


def as_pairs(examples: Sequence[Example]) -> list[tuple[str | None, str]]:
    """(title, text) pairs for Classifier.predict_many."""
    return [(e.title, e.text) for e in examples]
