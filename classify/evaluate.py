"""Figures for a classifier on labelled examples, and their text report."""

from __future__ import annotations

from collections import Counter
from typing import Any, Sequence

import numpy as np

from .data import text_keys
from .examples import Example, as_pairs
from .model import Classifier, Decision
from .taxonomy import BY_SLUG, SLUGS
from .train import refit_without


def score_decisions(
    decisions: Sequence[Decision], examples: Sequence[Example], threshold: float | None = None
) -> dict[str, Any]:
    """Accuracy, top-3, macro-F1, per-indicator P/R, confusions and abstention figures."""
    rows = [(d, e) for d, e in zip(decisions, examples) if e.primary is not None]
    n = len(rows)
    ranked = [sorted(SLUGS, key=lambda s: -d.scores[s]) for d, _ in rows]
    top1 = [r[0] for r in ranked]
    gold = [e.primary for _, e in rows]
    correct = [p == g for p, g in zip(top1, gold)]
    acceptable = [p == e.primary or p in e.secondary for p, (_, e) in zip(top1, rows)]
    top3 = [g in r[:3] for g, r in zip(gold, ranked)]

    per: dict[str, dict[str, float]] = {}
    f1s = []
    for slug in SLUGS:
        tp = sum(p == slug and g == slug for p, g in zip(top1, gold))
        fp = sum(p == slug and g != slug for p, g in zip(top1, gold))
        fn = sum(p != slug and g == slug for p, g in zip(top1, gold))
        support = tp + fn
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per[slug] = {"precision": precision, "recall": recall, "f1": f1, "support": support,
                     "predicted": tp + fp}
        if support:  # macro-F1 over the indicators present in the labels
            f1s.append(f1)
    confusions = Counter((g, p) for g, p in zip(gold, top1) if g != p)

    # Kept = not abstained; pooled decisions of several models each used their own threshold.
    kept = np.array([d.primary is not None for d, _ in rows], dtype=bool)
    kept_correct = np.array(correct)[kept] if n else np.array([])
    none_rows = [d for d, e in zip(decisions, examples) if e.primary is None]
    # Secondary indicators: predicted ones that are labelled (primary or secondary),
    # and labelled secondaries that the decision names (as primary or secondary).
    sec_pred = sum(len(d.secondary) for d, _ in rows)
    sec_hit = sum(len(set(d.secondary) & {e.primary, *e.secondary}) for d, e in rows)
    sec_gold = sum(len(e.secondary) for _, e in rows)
    sec_found = sum(
        len(set(e.secondary) & {p, *d.secondary}) for (d, e), p in zip(rows, top1)
    )
    return {
        "n": n,
        "n_unlabelled": len(none_rows),
        "top1": _mean(correct),
        "top1_primary_or_secondary": _mean(acceptable),
        "top3": _mean(top3),
        "macro_f1": float(np.mean(f1s)) if f1s else 0.0,
        "per_indicator": per,
        "confusions": [(g, p, c) for (g, p), c in confusions.most_common()],
        "threshold": threshold,
        "coverage": float(kept.mean()) if n else 0.0,
        "precision_kept": float(kept_correct.mean()) if len(kept_correct) else 0.0,
        "acceptable_kept": float(np.array(acceptable)[kept].mean()) if kept.any() else 0.0,
        "secondary_precision": sec_hit / sec_pred if sec_pred else None,
        "secondary_recall": sec_found / sec_gold if sec_gold else None,
        "none_abstained": _mean([d.primary is None for d in none_rows]) if none_rows else None,
        "errors": [
            {"id": e.id, "gold": e.primary, "predicted": p, "confidence": round(d.confidence, 3)}
            for (d, e), p, ok in zip(rows, top1, correct) if not ok
        ],
    }


def _mean(values: Sequence[bool]) -> float:
    """Mean of booleans, 0 when empty."""
    return float(np.mean(values)) if len(values) else 0.0


def _fmt(value: float | None) -> str:
    """Three decimals, or n/a."""
    return "n/a" if value is None else f"{value:.3f}"


def cross_fitted(clf: Classifier, examples: Sequence[Example]) -> tuple[Classifier, int]:
    """The model to score `examples` with, and how many of them it was trained on.

    When some examples are among the model's training articles (by text fingerprint),
    the model is refitted without them, with the same settings and selection procedure,
    so no figure comes from a model that saw the cases it is scored on.
    """
    trained = set(clf.metadata.get("training_keys") or ())
    keys = [text_keys(e.text) for e in examples]
    seen = sum(bool(k & trained) for k in keys)
    if not seen:
        return clf, 0
    return refit_without(clf, set().union(*keys)), seen


def cross_fitted_decisions(clf: Classifier, examples: Sequence[Example]) -> tuple[list[Decision], dict[str, Any]]:
    """Decisions on `examples` from a model that did not train on them, and the report."""
    model, seen = cross_fitted(clf, examples)
    decisions = model.predict_many(as_pairs(examples))
    report = score_decisions(decisions, examples, model.settings.threshold)
    report["model"] = {k: clf.metadata.get(k) for k in ("code_version", "corpus_hash", "trained_at")}
    report["seen_in_training"] = seen
    report["refit_removed"] = model.metadata.get("refit_removed", 0) if seen else 0
    report["secondary_rule"] = (model.settings.secondary_share, model.settings.secondary_score)
    return decisions, report


def evaluate(clf: Classifier, examples: Sequence[Example]) -> dict[str, Any]:
    """Predict every example with a model that did not train on it, and score the decisions."""
    return cross_fitted_decisions(clf, examples)[1]


def evaluate_by_file(
    clf: Classifier, files: dict[str, Sequence[Example]]
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Cross-fitted reports per labels file (as `evaluate` gives them) and pooled over the files.

    Each file is scored by a model refitted without that file (leave one file out);
    the pooled report scores all those decisions together.
    """
    per_file, decisions, examples = {}, [], []
    for name, file_examples in files.items():
        found, per_file[name] = cross_fitted_decisions(clf, file_examples)
        decisions += found
        examples += list(file_examples)
    pooled = score_decisions(decisions, examples, None)
    pooled["seen_in_training"] = sum(r["seen_in_training"] for r in per_file.values())
    pooled["decisions"] = decisions
    return per_file, pooled


def render_report(report: dict[str, Any]) -> str:
    """Human-readable text of an evaluation report."""
    seen = report.get("seen_in_training", 0)
    lines = [
        f"cross-fitted: {seen} of these {report['n'] + report['n_unlabelled']} cases were in the model's "
        f"training data; scored with a model refitted without them (same settings and selection)"
        if seen else "the model did not train on any of these cases; scored with it directly",
        f"labelled cases: {report['n']} (plus {report['n_unlabelled']} labelled as no indicator)",
        f"top-1 accuracy: {report['top1']:.3f}",
        f"top-1 is primary or secondary: {report['top1_primary_or_secondary']:.3f}",
        f"top-3 accuracy: {report['top3']:.3f}",
        f"macro-F1: {report['macro_f1']:.3f}",
        f"abstention threshold {_fmt(report['threshold'])}: coverage {report['coverage']:.3f}, "
        f"precision on kept {report['precision_kept']:.3f}",
        f"secondary indicators: precision {_fmt(report['secondary_precision'])}, "
        f"recall {_fmt(report['secondary_recall'])}",
        "",
        f"{'indicator':<24}{'名称':<14}{'P':>7}{'R':>7}{'F1':>7}{'n':>5}",
    ]
    for slug, row in report["per_indicator"].items():
        if row["support"] or row["predicted"]:
            lines.append(
                f"{slug:<24}{BY_SLUG[slug].name[:6]:<14}{row['precision']:>7.2f}"
                f"{row['recall']:>7.2f}{row['f1']:>7.2f}{row['support']:>5}"
            )
    if report["n_unlabelled"]:
        lines.insert(7, f"labelled 'no indicator' cases abstained on: {_fmt(report['none_abstained'])}")
    if report["confusions"]:
        lines += ["", "confusions (labelled -> predicted, count):"]
        lines += [f"  {g} -> {p}: {c}" for g, p, c in report["confusions"][:10]]
    return "\n".join(lines)
