"""Evaluation, in one place: figures against both labellers, cross-fitting, the corpus-held-out
figure, the naive baseline, ablations and compared variants. Imports the model; nothing in
the model imports this."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from wcwidth import wcswidth

from .corpus import section_units
from .data import TrainingSet, text_keys
from .examples import LABELS_DIR, Example, as_pairs, read_examples
from .features import Features
from .model import Classifier, Decision, Settings, article_text, split_chunks
from .taxonomy import BY_SLUG, SLUGS
from .text import DATA_DIR, normalise
from .train import fit_on, refit_without

log = logging.getLogger(__name__)

SECOND_DIR = LABELS_DIR / "second"
LABELLERS = ("first", "second", "either")
# The figures the model must beat the baseline on, and the quality floor is pinned on.
FIGURES = ("top1", "top1_primary_or_secondary", "top3", "macro_f1")
POLICY_SAMPLE = "003_*.txt"  # kept out of training: the check on policy text


@dataclass(frozen=True)
class Gold:
    """What a labeller (or either of two) accepts for one case: primaries and secondaries."""

    id: str
    primary: frozenset[str]  # empty: no indicator fits
    secondary: frozenset[str]


# -- labels ---------------------------------------------------------------------

def label_sets(labels_dir: Path = LABELS_DIR) -> dict[str, list[Example]]:
    """Each labels file's examples (the first labeller) by file stem."""
    return {p.stem: read_examples(p) for p in sorted(Path(labels_dir).glob("*.jsonl"))}


def read_second_labels(second_dir: Path = SECOND_DIR) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    """The second labeller's (primary, secondaries) by case id."""
    out = {}
    for path in sorted(Path(second_dir).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out[row["id"]] = (row.get("primary"), tuple(row.get("secondary") or ()))
    return out


def golds(examples: Sequence[Example], labeller: str, second: dict | None = None) -> list[Gold]:
    """Gold labels of `examples` by the first or second labeller, or accepting either."""
    second = read_second_labels() if second is None and labeller != "first" else second or {}
    out = []
    for e in examples:
        first = ({e.primary} - {None}, set(e.secondary))
        other = second.get(e.id, (e.primary, e.secondary))
        other = ({other[0]} - {None}, set(other[1]))
        chosen = {"first": first, "second": other}.get(labeller)
        if chosen is None:  # either: any primary either gave; secondaries of both
            chosen = (first[0] | other[0], first[1] | other[1])
        out.append(Gold(e.id or "", frozenset(chosen[0]), frozenset(chosen[1] - chosen[0])))
    return out


# -- figures --------------------------------------------------------------------

def _ranked(d: Decision) -> list[str]:
    """Slugs by descending score."""
    return sorted(SLUGS, key=lambda s: (-d.scores[s], s))  # ties by name: the same model, the same card


def primary_figures(decisions: Sequence[Decision], gold: Sequence[Gold]) -> dict[str, float]:
    """Top-1, top-1 in primary-or-secondary, top-3 over the cases with a primary."""
    rows = [(_ranked(d), g) for d, g in zip(decisions, gold) if g.primary]
    return {
        "top1": _mean([r[0] in g.primary for r, g in rows]),
        "top1_primary_or_secondary": _mean([r[0] in g.primary | g.secondary for r, g in rows]),
        "top3": _mean([bool(set(r[:3]) & g.primary) for r, g in rows]),
    }


def indicator_figures(decisions: Sequence[Decision], gold: Sequence[Gold]) -> dict[str, Any]:
    """Per-indicator precision/recall/F1 of the top-1 and macro-F1 over indicators present.

    With several accepted primaries ("either"), a case counts as the one predicted when
    it is accepted, else as its first accepted one.
    """
    pairs = []
    for d, g in zip(decisions, gold):
        if g.primary:
            top = _ranked(d)[0]
            pairs.append((top, top if top in g.primary else sorted(g.primary)[0]))
    per, f1s = {}, []
    for slug in SLUGS:
        tp = sum(p == slug == t for p, t in pairs)
        predicted = sum(p == slug for p, _ in pairs)
        support = sum(t == slug for _, t in pairs)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * tp / (predicted + support) if predicted + support else 0.0
        per[slug] = {"precision": precision, "recall": recall, "f1": f1, "support": support, "predicted": predicted}
        if support:
            f1s.append(f1)
    confusions = Counter((t, p) for p, t in pairs if p != t)
    return {
        "macro_f1": float(np.mean(f1s)) if f1s else 0.0,
        "per_indicator": per,
        "confusions": [(t, p, c) for (t, p), c in sorted(confusions.items(), key=lambda item: (-item[1], item[0]))],
    }


def abstention_figures(decisions: Sequence[Decision], gold: Sequence[Gold]) -> dict[str, Any]:
    """Coverage and precision on the kept cases; how the 'no indicator' cases fared."""
    rows = [(d, g) for d, g in zip(decisions, gold) if g.primary]
    kept = [d.primary in g.primary for d, g in rows if d.primary is not None]
    none = [d.primary is None for d, g in zip(decisions, gold) if not g.primary]
    return {
        "coverage": len(kept) / len(rows) if rows else 0.0,
        "precision_kept": _mean(kept),
        "none_abstained": _mean(none) if none else None,
    }


def secondary_figures(decisions: Sequence[Decision], gold: Sequence[Gold]) -> dict[str, Any]:
    """Secondary precision (named secondaries the labels accept) and recall (labelled
    secondaries the decision names, as primary or secondary)."""
    predicted = hit = labelled = found = 0
    for d, g in zip(decisions, gold):
        if not g.primary:
            continue
        named = set(d.secondary)
        predicted += len(named)
        hit += len(named & (g.primary | g.secondary))
        labelled += len(g.secondary)
        found += len(g.secondary & (named | {_ranked(d)[0]}))
    return {
        "secondary_precision": hit / predicted if predicted else None,
        "secondary_recall": found / labelled if labelled else None,
        "secondary_named": predicted,
        "secondary_labelled": labelled,
    }


def score_decisions(
    decisions: Sequence[Decision], gold: Sequence[Gold], threshold: float | None = None
) -> dict[str, Any]:
    """Every figure of `decisions` against `gold`."""
    errors = [
        {"id": g.id, "gold": "/".join(sorted(g.primary)), "predicted": _ranked(d)[0], "confidence": round(d.confidence, 3)}
        for d, g in zip(decisions, gold) if g.primary and _ranked(d)[0] not in g.primary
    ]
    return {
        "n": sum(bool(g.primary) for g in gold),
        "n_unlabelled": sum(not g.primary for g in gold),
        "threshold": threshold,
        **primary_figures(decisions, gold),
        **indicator_figures(decisions, gold),
        **abstention_figures(decisions, gold),
        **secondary_figures(decisions, gold),
        # Decisions explained by at least three terms (what the digest shows as keywords).
        "explained": _mean([len(d.terms) >= 3 for d in decisions]),
        "errors": errors,
    }


def _mean(values: Sequence[bool]) -> float:
    """Mean of booleans, 0 when empty."""
    return float(np.mean(values)) if len(values) else 0.0


# -- one labelled file: `casewatch evaluate --data` ---------------------------------

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


def evaluate(clf: Classifier, examples: Sequence[Example], labeller: str = "first") -> dict[str, Any]:
    """Predict every example with a model that did not train on it, and score the decisions."""
    model, seen = cross_fitted(clf, examples)
    decisions = model.predict_many(as_pairs(examples))
    report = score_decisions(decisions, golds(examples, labeller), model.settings.threshold)
    report["seen_in_training"] = seen
    report["refit_removed"] = model.metadata.get("refit_removed", 0) if seen else 0
    return report


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
        f"abstention threshold {fmt(report['threshold'])}: coverage {report['coverage']:.3f}, "
        f"precision on kept {report['precision_kept']:.3f}",
        f"secondary indicators: precision {fmt(report['secondary_precision'])}, "
        f"recall {fmt(report['secondary_recall'])}",
    ]
    if report["n_unlabelled"]:
        lines.append(f"labelled 'no indicator' cases abstained on: {fmt(report['none_abstained'])}")
    lines += ["", f"{'indicator':<24}{pad('名称', 14)}{'P':>7}{'R':>7}{'F1':>7}{'n':>5}"]
    for slug, row in report["per_indicator"].items():
        if row["support"] or row["predicted"]:
            lines.append(f"{slug:<24}{pad(BY_SLUG[slug].name[:6], 14)}{row['precision']:>7.2f}"
                         f"{row['recall']:>7.2f}{row['f1']:>7.2f}{row['support']:>5}")
    if report["confusions"]:
        lines += ["", "confusions (labelled -> predicted, count):"]
        lines += [f"  {g} -> {p}: {c}" for g, p, c in report["confusions"][:10]]
    return "\n".join(lines)


def pad(text: str, width: int) -> str:
    """`text` padded with spaces to `width` terminal columns (a Chinese character takes two)."""
    return text + " " * max(0, width - wcswidth(text))


def fmt(value: float | None) -> str:
    """Three decimals, or n/a."""
    return "n/a" if value is None else f"{value:.3f}"


# -- cross-fitting over the labelled files and the corpus -----------------------------

Fit = Callable[[TrainingSet], Any]  # a training set -> something with predict_many


def model_fit(settings: Settings, choose: bool) -> Fit:
    """Fit the model with `settings`, choosing the learnt settings inside (or not)."""
    return lambda data: fit_on(data, settings, choose=choose)


def title_items(examples: Sequence[Example]) -> list[tuple[str | None, str]]:
    """Each case by its title alone, as a listing page or a bare feed entry gives it."""
    return [(e.title, "") for e in examples]


def leave_one_file_out(
    data: TrainingSet, fit: Fit, sets: dict[str, list[Example]]
) -> tuple[list[Decision], list[Decision]]:
    """Decisions on every labelled case, and on its title alone, each file's by a model
    trained without that file."""
    decisions, titles = [], []
    for name, examples in sets.items():
        log.info("  refit without %s.jsonl (%d cases)", name, len(examples))
        model = fit(data.without(set().union(*(text_keys(e.text) for e in examples))))
        decisions += model.predict_many(as_pairs(examples))
        titles += model.predict_many(title_items(examples))
    return decisions, titles


def corpus_held_out(data: TrainingSet, fit: Fit, folds: int = 5) -> dict[str, float]:
    """Top-1 on corpus units scored by models that never saw them (grouped folds; the real
    articles stay in every training set): corpus-style text cannot regress unnoticed."""
    units = [(g, s.slug, t) for s in data.sections for g, t in section_units(s, "item")]
    groups = sorted({g for g, _, _ in units})
    fold_of = {g: i % folds for i, g in enumerate(np.random.default_rng(1).permutation(groups))}
    correct = []
    for k in range(folds):
        held = {g for g in groups if fold_of[g] == k}
        log.info("  corpus fold %d/%d (%d units held out)", k + 1, folds, len(held))
        model = fit(data.without_groups(held))
        test = [(slug, text) for g, slug, text in units if g in held]
        found = model.predict_many([(None, text) for _, text in test])
        correct += [_ranked(d)[0] == slug for d, (slug, _) in zip(found, test)]
    return {"corpus_top1": _mean(correct), "corpus_n": len(correct)}


def measure(
    data: TrainingSet, fit: Fit, sets: dict[str, list[Example]], second: dict, corpus: bool = True
) -> dict[str, Any]:
    """Every figure of one way of fitting: per labeller (with "title_top1", the top-1 from
    the titles alone), and the corpus-held-out top-1 unless `corpus` is False."""
    started = time.perf_counter()
    decisions, titles = leave_one_file_out(data, fit, sets)
    examples = [e for ex in sets.values() for e in ex]
    out: dict[str, Any] = {}
    for lab in LABELLERS:
        gold = golds(examples, lab, second)
        out[lab] = score_decisions(decisions, gold)
        out[lab]["title_top1"] = primary_figures(titles, gold)["top1"]
    if corpus:
        out.update(corpus_held_out(data, fit))
    out["decisions"] = decisions
    out["seconds"] = time.perf_counter() - started
    return out


# -- the naive baseline -----------------------------------------------------------

class Baseline:
    """The issue's naive model: jieba words + char 1-3-gram TF-IDF, LinearSVC, trained on the
    corpus units alone (no labelled cases), title and body read once, never abstains."""

    def fit(self, data: TrainingSet) -> "Baseline":
        """Fit on the corpus units of `data` (real articles ignored)."""
        units = [u for u in data.units() if not u.real]
        texts = [article_text(None, u.body, 1) for u in units]
        self.features = Features().fit(texts)
        from sklearn.svm import LinearSVC

        self.svm = LinearSVC().fit(self.features.transform(texts), [u.slug for u in units])
        return self

    def predict_many(self, items: Sequence[tuple[str | None, str]]) -> list[Decision]:
        """Top-1 decisions; scores are the softmax of the margins (only their order matters)."""
        if not items:
            return []
        margins = self.svm.decision_function(self.features.transform([article_text(t, x, 1) for t, x in items]))
        cols = [list(self.svm.classes_).index(s) if s in self.svm.classes_ else None for s in SLUGS]
        out = []
        for m in margins:
            z = np.exp(m - m.max())
            scores = {s: float(z[c] / z.sum()) if c is not None else 0.0 for s, c in zip(SLUGS, cols)}
            top = max(scores, key=scores.get)
            out.append(Decision(primary=top, confidence=scores[top], scores=scores))
        return out


# -- ablations and compared variants -------------------------------------------------

def ablations(settings: Settings) -> dict[str, tuple[Callable[[TrainingSet], TrainingSet], Settings]]:
    """Each part broken in turn: (how the data changes, the settings)."""
    same = lambda data: data  # noqa: E731
    return {
        "constant tokeniser": (same, replace(settings, tokenizer="constant")),
        "no titles": (same, replace(settings, title_repeat=0)),
        "no chunks": (same, replace(settings, doc_weight=1.0, secondary_share=2.0)),
        "shuffled labels": (lambda data: data.shuffled(0), settings),
    }


def variants(settings: Settings) -> dict[str, Settings]:
    """Ideas tried, each one change from the chosen settings (label share fixed at its choice)."""
    return {
        "labelled cases as plain rows (weight 1, their own prior)": replace(settings, label_share=None),
        "labelled cases weigh as much as the corpus (share 1.0)": replace(settings, label_share=1.0),
        "no labelled cases in training (share 0)": replace(settings, label_share=0.0),
        "title once": replace(settings, title_repeat=1),
        "chunks only (no whole-article score)": replace(settings, doc_weight=0.0),
        "C = 2": replace(settings, c=2.0),
    }


# -- the policy document: a label-free check -------------------------------------------

def policy_tasks(corpus_dir: Path = DATA_DIR / "samples") -> list[str]:
    """The numbered tasks of the policy sample (seed 003), which no model here trains on."""
    paths = sorted(Path(corpus_dir).glob(POLICY_SAMPLE))
    if not paths:
        return []
    text = normalise(paths[0].read_text(encoding="utf-8"))
    return [p for p in split_chunks(text, 1) if p[:3].rstrip(".．、").isdigit() or p[:2].rstrip(".．、").isdigit()]


def indicator_counts(decisions: Sequence[Decision]) -> list[tuple[str, int]]:
    """How often each indicator is the top-1, most frequent first."""
    return sorted(Counter(_ranked(d)[0] for d in decisions).items(), key=lambda item: (-item[1], item[0]))


# -- held-out pages and cases from outside the seed files (data/eval/, never trained on) --

EVAL_DIR = DATA_DIR / "eval"
RELEVANCE_EVAL = EVAL_DIR / "relevance.jsonl"
OUTSIDE_CASES = EVAL_DIR / "outside_cases.jsonl"
PAIR_CASES = EVAL_DIR / "pair_cases.jsonl"  # the two untested pairs: joint water-gas-power, "no indicator"
# The evaluation pages' batches, in the order they were gathered (data/eval/README.md says what each is).
RELEVANCE_BATCHES = ("first", "confirmation", "holdout", "tuning2", "holdout2", "holdout3", "holdout4", "holdout5",
                     "holdout6", "holdout7", "holdout8", "holdout9",
                     "holdout10", "holdout11", "holdout12")


def relevance_figures(gate: Any, pages: Sequence[Any]) -> dict[str, Any]:
    """How the relevance gate fares on held-out pages: the share of real cases that pass,
    the share of non-case pages kept out (overall, by kind and by source), and each miss."""
    judged = gate.judge([(p.title, p.text) for p in pages])
    cases = [(p, j) for p, j in zip(pages, judged) if p.is_case]
    others = [(p, j) for p, j in zip(pages, judged) if not p.is_case]
    passed = sum(j[0] for _, j in cases)
    let_in = sum(j[0] for _, j in others)
    by_reason: dict[str, list[int]] = {}
    for p, j in others:
        counts = by_reason.setdefault(p.reason or "其他新闻", [0, 0])
        counts[0] += not j[0]
        counts[1] += 1
    by_source: dict[str, list[int]] = {}
    for p, j in cases + others:
        counts = by_source.setdefault(_repository(p.source), [0, 0, 0, 0])  # cases passed/all, others kept/all
        k = 0 if p.is_case else 2
        counts[k] += j[0] if p.is_case else not j[0]
        counts[k + 1] += 1
    reasons_right = [j[2] == p.reason for p, j in others if not j[0] and p.reason]
    return {
        "n_cases": len(cases),
        "n_non_cases": len(others),
        "case_recall": passed / len(cases) if cases else None,
        "non_case_kept_out": 1 - let_in / len(others) if others else None,
        "case_precision": passed / (passed + let_in) if passed + let_in else None,
        "reason_agreement": _mean(reasons_right) if reasons_right else None,
        "by_reason": sorted(((r, k, n) for r, (k, n) in by_reason.items()), key=lambda x: -x[2]),
        "by_source": sorted(((s, *c) for s, c in by_source.items()), key=lambda x: x[0]),
        "threshold": gate.threshold,
        "errors": [
            {"id": p.id, "title": (p.title or p.text)[:40].replace("\n", " "), "is_case": p.is_case,
             "probability": round(j[1], 3), "reason": j[2]}
            for p, j in cases + others if j[0] != p.is_case
        ],
    }


def _repository(source: str | None) -> str:
    """The repository a page came from (the first word of its source)."""
    return (source or "?").split()[0].removeprefix("github:")


def outside_figures(clf: Classifier, data: TrainingSet, cases: Sequence[Example] | None = None) -> dict[str, Any]:
    """The shipped model (gate off: these are all cases) and the naive baseline on cases from
    outside the seed files; neither ever trained on them."""
    cases = read_examples(OUTSIDE_CASES) if cases is None else cases
    gold = golds(cases, "first", {})
    gate, clf.gate = getattr(clf, "gate", None), None
    try:
        model = score_decisions(clf.predict_many(as_pairs(cases)), gold)
    finally:
        clf.gate = gate
    baseline = score_decisions(Baseline().fit(data).predict_many(as_pairs(cases)), gold)
    groups = Counter((c.id or "").split("-")[0] for c in cases)
    return {"model": model, "baseline": baseline, "n": len(cases), "groups": sorted(groups.items())}


def pair_figures(clf: Classifier, data: TrainingSet, cases: Sequence[Example]) -> list[dict[str, Any]]:
    """Each case of the pair sets with the shipped model's answer (gate off) and the naive baseline's:
    top-1, whether the model abstained, and whether either named the gold primary first."""
    if not cases:
        return []
    gate, clf.gate = getattr(clf, "gate", None), None
    try:
        model = clf.predict_many(as_pairs(cases))
    finally:
        clf.gate = gate
    baseline = Baseline().fit(data).predict_many(as_pairs(cases))
    return [
        {"id": c.id, "gold": c.primary or "none", "model": _ranked(m)[0], "model_confidence": round(m.confidence, 3),
         "model_abstains": m.primary is None, "baseline": _ranked(b)[0],
         "model_right": (m.primary is None) if c.primary is None else _ranked(m)[0] == c.primary,
         "baseline_right": False if c.primary is None else _ranked(b)[0] == c.primary}
        for c, m, b in zip(cases, model, baseline)
    ]
