"""How well cases are grouped into reforms: precision and recall of "same reform" pairs on hand labels.

The labels (data/eval/reform_groups.jsonl) name each case's reform, or none when no other labelled
case shares it; every pair of labelled cases is then "same" or "different". Part `tuning` (the
bundled samples' cases) chose `reforms.SAME_PRACTICE`; part `tuning2` (procurement and tendering
reports, data/eval/procurement_cases.jsonl, labelled before any scoring) guided a later attempt at
precision; part `held_out` (cases from outside the seed files) is scored, never tuned on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from .reforms import SAME_PRACTICE, Case, group, signals

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "data" / "eval" / "reform_groups.jsonl"


@dataclass
class PairScore:
    """Pair counts and the precision and recall of "same reform"."""

    cases: int
    true_pairs: int
    found_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        """Share of the pairs put together that the labels put together."""
        return self.correct_pairs / self.found_pairs if self.found_pairs else 1.0

    @property
    def recall(self) -> float:
        """Share of the labelled pairs that were put together."""
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


def read_labelled(part: str, path: Path = LABELS) -> list[tuple[Case, str | None]]:
    """The labelled cases of one part, each with its labelled reform (None: a reform of its own)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts: dict[str, dict] = {}
    for file in {row["file"] for row in rows}:
        for line in (ROOT / file).read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                texts[record["id"]] = record
    labelled = []
    for row in rows:
        if row["part"] != part:
            continue
        record = texts[row["id"]]
        title, text = record.get("title") or "", record["text"]
        labelled.append((Case(row["id"], record.get("primary"), signals(title, text)), row["reform"]))
    return labelled


def pair_score(labelled: list[tuple[Case, str | None]], threshold: float = SAME_PRACTICE) -> PairScore:
    """Group the cases (by their labelled indicators) and count pairs against the labels."""
    found = {frozenset(p) for members in group([c for c, _ in labelled], threshold) for p in combinations(members, 2)}
    true = {frozenset((a.id, b.id)) for (a, x), (b, y) in combinations(labelled, 2) if x is not None and x == y}
    return PairScore(len(labelled), len(true), len(found), len(found & true))
