"""Grouped cross-validation on the corpus and the data-driven abstention threshold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from sklearn.model_selection import GroupKFold

from .model import Classifier, Settings
from .taxonomy import SLUGS


@dataclass
class OutOfFold:
    """Held-out predictions: for each unit its label, group, top-3 slugs and confidence."""

    labels: list[str]
    groups: list[str]
    ranked: list[list[str]]
    confidence: np.ndarray

    @property
    def correct(self) -> np.ndarray:
        """Whether each held-out unit's top-1 is its label."""
        return np.array([r[0] == y for r, y in zip(self.ranked, self.labels)])

    def accuracy(self, kind: str | None = None) -> float:
        """Top-1 accuracy, optionally only on units whose group contains `kind` ("/case")."""
        mask = np.array([kind is None or kind in g for g in self.groups])
        return float(self.correct[mask].mean()) if mask.any() else 0.0

    def top3(self) -> float:
        """Share of units whose label is among the top three."""
        return float(np.mean([y in r[:3] for r, y in zip(self.ranked, self.labels)]))


def out_of_fold(
    test: Sequence[tuple[str, str, str]],
    train_units,
    settings: Settings,
    folds: int = 5,
    seed: int = 0,
) -> OutOfFold:
    """Grouped k-fold: hold out whole practices/cases, train on the rest, predict them.

    `test` holds (group, slug, text) units to predict; `train_units(groups)` returns
    the (texts, labels) to train on for a set of kept groups, at the settings' unit size.
    """
    groups = np.array([g for g, _, _ in test])
    labels = np.array([y for _, y, _ in test])
    ranked: list[list[str]] = [[] for _ in test]
    confidence = np.zeros(len(test))
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(groups, labels, groups):
        texts, ys = train_units(set(groups[train_idx]))
        clf = Classifier(settings).fit(texts, ys)
        decisions = clf.predict_many([(None, test[i][2]) for i in test_idx])
        for i, d in zip(test_idx, decisions):
            ranked[i] = sorted(SLUGS, key=lambda s: -d.scores[s])[:3]
            confidence[i] = d.confidence
    return OutOfFold(list(labels), list(groups), ranked, confidence)


def choose_threshold(confidence: np.ndarray, correct: np.ndarray, target: float) -> float:
    """Lowest confidence threshold whose kept predictions reach `target` precision.

    Falls back to the threshold with the best precision when none reaches it.
    """
    order = np.argsort(-confidence)
    conf, ok = confidence[order], correct[order].astype(float)
    precision = np.cumsum(ok) / np.arange(1, len(ok) + 1)
    # Keep-the-top-k prefixes, only where the next confidence is strictly lower.
    valid = np.r_[conf[1:] < conf[:-1], True]
    meets = np.flatnonzero(valid & (precision >= target))
    if len(meets):
        return float(conf[meets[-1]])
    best = np.flatnonzero(valid)[np.argmax(precision[valid])]
    return float(conf[best])


def abstention_curve(
    confidence: np.ndarray, correct: np.ndarray, thresholds: Sequence[float]
) -> list[tuple[float, float, float]]:
    """(threshold, coverage, precision on kept) for each threshold."""
    out = []
    for t in thresholds:
        kept = confidence >= t
        precision = float(correct[kept].mean()) if kept.any() else 0.0
        out.append((float(t), float(kept.mean()) if len(kept) else 0.0, precision))
    return out
