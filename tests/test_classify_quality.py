"""The quality gate: pinned floors on cross-fitted figures, and ablations showing each floor
is sensitive to the part it guards. Settings are the session model's chosen ones, fixed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import classify
from classify import evaluation as ev

FLOOR = json.loads((Path(__file__).parent / "fixtures" / "classify" / "quality_floor.json").read_text("utf-8"))


@pytest.fixture(scope="session")
def trained(model_path):
    """The session's model (trained once in conftest), its data and the label sets."""
    clf = classify.load_model(model_path)
    return clf, ev.label_sets(), ev.read_second_labels()


def below_floor(result: dict) -> list[str]:
    """The floored figures of a `measure` result that fall below their floor."""
    out = []
    for key, floor in FLOOR.items():
        if isinstance(floor, dict):
            out += [f"{key} {k} {result[key][k] or 0:.3f} < {v}" for k, v in floor.items() if (result[key][k] or 0) < v]
        elif not key.startswith("_") and key in result and result[key] < floor:
            out.append(f"{key} {result[key]:.3f} < {floor}")
    return out


@pytest.fixture(scope="session")
def fixed(trained):
    """Cross-fitted figures of the chosen settings, fixed, with the corpus-held-out figure."""
    clf, sets, second = trained
    return ev.measure(clf.training, ev.model_fit(clf.settings, choose=False), sets, second)


def test_cross_fitted_quality_does_not_drop_below_the_pinned_floor(fixed):
    assert below_floor(fixed) == []
    assert fixed["first"]["n"] == 67 and fixed["second"]["n"] == 72 and fixed["corpus_n"] >= 150


def test_the_model_beats_the_naive_corpus_only_baseline(trained, fixed):
    clf, sets, second = trained
    baseline = ev.measure(clf.training, lambda data: ev.Baseline().fit(data), sets, second)
    for labeller in ev.LABELLERS:
        for figure in ("top1", "top1_primary_or_secondary", "macro_f1"):
            assert fixed[labeller][figure] > baseline[labeller][figure], (labeller, figure)
    assert fixed["corpus_top1"] > baseline["corpus_top1"]


@pytest.mark.parametrize("name, broken", [
    ("constant tokeniser", "first explained"),
    ("no titles", "first title_top1"),
    ("no chunks", "first secondary_recall"),
    ("shuffled labels", "first top1"),
])
def test_each_ablation_breaks_a_floor(trained, name, broken):
    clf, sets, second = trained
    change, settings = ev.ablations(clf.settings)[name]
    result = ev.measure(change(clf.training), ev.model_fit(settings, choose=False), sets, second, corpus=False)
    failed = below_floor(result)
    assert any(f.startswith(broken + " ") for f in failed), failed


def test_figures_count_either_labeller_as_the_lenient_figure():
    examples = classify.read_examples(ev.LABELS_DIR / "001.jsonl")
    second = ev.read_second_labels()
    first, other, either = (ev.golds(examples, lab, second) for lab in ev.LABELLERS)
    for a, b, e in zip(first, other, either):
        assert e.primary == a.primary | b.primary
    disagree = [a.id for a, b in zip(first, other) if a.primary != b.primary]
    assert "001-09" in disagree and len(disagree) == 5


def test_score_decisions_counts_secondaries_both_ways():
    scores = {s: 0.0 for s in classify.SLUGS} | {"taxes": 0.6, "credit": 0.3}
    decision = classify.Decision("taxes", 0.6, scores, secondary=["credit", "insolvency"])
    gold = [ev.Gold("x", frozenset({"taxes"}), frozenset({"credit", "labor_market"}))]
    report = ev.score_decisions([decision], gold)
    assert report["top1"] == 1.0
    assert report["secondary_precision"] == 0.5  # credit right, insolvency wrong
    assert report["secondary_recall"] == 0.5  # credit found, labor_market missed
