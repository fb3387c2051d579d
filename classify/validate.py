"""Grouped cross-validation inside the training data, and the choices made from it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np

from .data import Unit, selector
from .model import Classifier, Settings, secondary_indices
from .taxonomy import SLUGS

# Share of an indicator's corpus weight its real articles carry (chosen at training). Not 0:
# the card's "share 0" row shows what the corpus alone does, and with two labels files left
# in an inner CV, 0 won by a case or two and then missed the labelled mix altogether.
LABEL_SHARES = (0.15, 0.3, 0.6)
# Fewest held-out real articles (with a primary) to choose the threshold on them alone.
MIN_REAL_FOR_THRESHOLD = 30
# Fewest labelled secondaries among held-out real articles to tune the secondary rule.
MIN_SECONDARIES_TO_TUNE = 8
SHARE_GRID = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 2.0)  # 2.0: rule off
SCORE_GRID = (0.06, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 2.0)
Select = Callable[[set[str]], tuple[list[str], list[str], np.ndarray]]


@dataclass
class OutOfFold:
    """Held-out predictions: per unit its label, group, real flag, scores and chunk shares."""

    units: list[Unit]
    scores: np.ndarray
    shares: np.ndarray
    labels: list[str] = field(init=False)
    groups: list[str] = field(init=False)

    def __post_init__(self) -> None:
        """Derive labels and groups from the units."""
        self.labels = [u.slug for u in self.units]
        self.groups = [u.group for u in self.units]

    @property
    def real(self) -> np.ndarray:
        """Mask of real articles (labelled cases and corrections)."""
        return np.array([u.real for u in self.units], dtype=bool)

    @property
    def confidence(self) -> np.ndarray:
        """Top score of each held-out unit."""
        return self.scores.max(axis=1) if len(self.scores) else np.zeros(0)

    @property
    def correct(self) -> np.ndarray:
        """Whether each held-out unit's top-1 is its label."""
        return np.array([SLUGS[int(i)] == y for i, y in zip(self.scores.argmax(axis=1), self.labels)], dtype=bool)

    def mask(self, kind: str | None = None) -> np.ndarray:
        """Units of a kind: None (all), "real", "corpus" or a group substring ("/case")."""
        if kind == "real":
            return self.real
        if kind == "corpus":
            return ~self.real
        return np.array([kind is None or kind in g for g in self.groups], dtype=bool)

    def accuracy(self, kind: str | None = None) -> float:
        """Top-1 accuracy on the units of a kind (0 when there are none)."""
        m = self.mask(kind)
        return float(self.correct[m].mean()) if m.any() else 0.0

    def balanced_accuracy(self, kind: str | None = None) -> float:
        """Mean over indicators of top-1 recall: a figure the class mix cannot inflate."""
        m = self.mask(kind)
        labels = np.array(self.labels)[m]
        correct = self.correct[m]
        recalls = [correct[labels == y].mean() for y in set(labels)]
        return float(np.mean(recalls)) if recalls else 0.0

    def top3(self, kind: str | None = None) -> float:
        """Share of units of a kind whose label is among the top three."""
        m = self.mask(kind)
        top = np.argsort(-self.scores, axis=1)[:, :3]
        hits = np.array([SLUGS.index(y) in row for y, row in zip(self.labels, top)])
        return float(hits[m].mean()) if m.any() else 0.0


def assign_folds(units: Sequence[Unit], folds: int, seed: int = 0) -> np.ndarray:
    """Fold of each unit, holding out whole groups.

    Whole labels files (a week's compilation each) go to different folds, so a fold's
    held-out real articles come from a compilation its model never saw; corpus practices,
    cases and corrections are shuffled over the folds.
    """
    groups = list(dict.fromkeys(u.group for u in units))
    files = [g for g in groups if g.startswith("labels/")]
    rest = [g for g in groups if g not in set(files)]
    rng = np.random.default_rng(seed)
    fold_of = {g: i % folds for i, g in enumerate(files)}
    for i, g in enumerate(rng.permutation(rest)):
        fold_of[str(g)] = (len(files) + i) % folds
    return np.array([fold_of[u.group] for u in units])


def out_of_fold(units: Sequence[Unit], select: Select, settings: Settings, folds: int = 5) -> OutOfFold:
    """Grouped k-fold: train on the other folds' groups (via `select`), score the held-out units."""
    fold = assign_folds(units, folds)
    scores = np.zeros((len(units), len(SLUGS)))
    shares = np.zeros((len(units), len(SLUGS)))
    for k in range(folds):
        test = np.flatnonzero(fold == k)
        if not len(test):
            continue
        texts, ys, weights = select({u.group for u, f in zip(units, fold) if f != k})
        clf = Classifier(settings).fit(texts, ys, weights)
        scores[test], shares[test], _ = clf.score_many([(units[i].title, units[i].body) for i in test])
    return OutOfFold(list(units), scores, shares)


def objective(oof: OutOfFold) -> float:
    """What the label share is chosen for: held-out corpus units and held-out real articles
    alike, the real ones by balanced accuracy so the weekly mix of topics cannot decide."""
    if not oof.real.any():
        return oof.accuracy("corpus")
    return 0.5 * oof.accuracy("corpus") + 0.5 * oof.balanced_accuracy("real")


def choose_label_share(units: Sequence[Unit], settings: Settings) -> tuple[Settings, OutOfFold, list]:
    """Settings with the best label share on held-out units, its out-of-fold scores, and the trials."""
    has_real = any(u.real for u in units)
    trials = []
    for share in LABEL_SHARES if has_real else (0.0,):
        trial = replace(settings, label_share=share)
        oof = out_of_fold(units, selector(units, trial), trial)
        trials.append((share, objective(oof), oof))
    share, _, oof = max(trials, key=lambda t: t[1] + 1e-9 * (t[0] == settings.label_share))
    return replace(settings, label_share=share), oof, [(s, v) for s, v, _ in trials]


def choose_threshold(confidence: np.ndarray, correct: np.ndarray, target: float) -> float:
    """Lowest confidence threshold whose kept predictions reach `target` precision.

    Falls back to the threshold with the best precision when none reaches it.
    """
    order = np.argsort(-confidence, kind="stable")
    conf, ok = confidence[order], correct[order].astype(float)
    precision = np.cumsum(ok) / np.arange(1, len(ok) + 1)
    # Keep-the-top-k prefixes, only where the next confidence is strictly lower.
    valid = np.r_[conf[1:] < conf[:-1], True]
    meets = np.flatnonzero(valid & (precision >= target))
    if len(meets):
        return float(conf[meets[-1]])
    best = np.flatnonzero(valid)[np.argmax(precision[valid])]
    return float(conf[best])


def threshold_from(oof: OutOfFold, target: float) -> tuple[float, str]:
    """The abstention threshold and what it was chosen on (held-out real articles if enough)."""
    real = oof.real
    if real.sum() >= MIN_REAL_FOR_THRESHOLD:
        basis, m = f"held-out real articles (n={int(real.sum())})", real
    else:
        basis, m = f"all held-out units (n={len(real)}; too few real articles)", np.ones(len(real), bool)
    return choose_threshold(oof.confidence[m], oof.correct[m], target), basis


def secondary_counts(
    scores: np.ndarray, shares: np.ndarray, units: Sequence[Unit], settings: Settings
) -> tuple[int, int, int, int]:
    """(predicted, right, labelled, found) secondaries of the rule in `settings`."""
    predicted = hit = gold = found = 0
    for s, sh, u in zip(scores, shares, units):
        top = int(s.argmax())
        kept = s[top] >= settings.threshold
        secondary = {SLUGS[i] for i in secondary_indices(s, sh, settings)} if kept else set()
        predicted += len(secondary)
        hit += len(secondary & {u.slug, *u.secondary})
        gold += len(u.secondary)
        found += len(set(u.secondary) & (secondary | {SLUGS[top]}))
    return predicted, hit, gold, found


def _smoothed_f1(scores: np.ndarray, shares: np.ndarray, units: Sequence[Unit], settings: Settings) -> float:
    """F1 with add-one smoothed precision, so a rule naming one lucky secondary does not win."""
    predicted, hit, gold, found = secondary_counts(scores, shares, units, settings)
    precision = (hit + 1) / (predicted + 2)
    recall = found / gold if gold else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def secondary_rule_from(oof: OutOfFold, settings: Settings) -> tuple[float, float, str]:
    """(share, score) of the secondary rule with the best F1 on held-out real articles.

    Keeps the settings' rule when too few secondaries are labelled among them.
    """
    idx = np.flatnonzero(oof.real)
    units = [oof.units[i] for i in idx]
    n_gold = sum(len(u.secondary) for u in units)
    if n_gold < MIN_SECONDARIES_TO_TUNE:
        return settings.secondary_share, settings.secondary_score, f"default ({n_gold} labelled secondaries held out)"
    best = (settings.secondary_share, settings.secondary_score, -1.0)
    # Strictest rules first, so a tie keeps the rule that names fewer secondaries.
    for share in sorted(SHARE_GRID, reverse=True):
        for score in sorted(SCORE_GRID, reverse=True):
            trial = replace(settings, secondary_share=share, secondary_score=score)
            f1 = _smoothed_f1(oof.scores[idx], oof.shares[idx], units, trial)
            if f1 > best[2] + 1e-12:
                best = (share, score, f1)
    share, score, f1 = best
    return share, score, f"best smoothed F1 {f1:.3f} on held-out real articles ({n_gold} labelled secondaries)"


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
