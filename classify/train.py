"""Train on the corpus and labelled real articles, choosing the learnt settings inside the training data."""

from __future__ import annotations

import fcntl
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Sequence

from .corpus import corpus_path, file_hash
from .data import EXTRA, LABELS, TrainingSet, selector
from .examples import LABELS_DIR, Example, examples_hash, labels_hash
from .model import Classifier, Settings, code_version, new_metadata
from .relevance import NEGATIVES, RelevanceGate, gate_training, negatives_hash, policy_texts, read_pages
from .text import domain_words_hash
from .validate import choose_label_share, secondary_rule_from, threshold_from

log = logging.getLogger(__name__)


def expected_metadata(extra: Sequence[Example] = (), corpus: Path | None = None) -> dict[str, str]:
    """The hashes a cached model must have been trained with to be reused."""
    return {
        "corpus_hash": file_hash(corpus or corpus_path()),
        "labels_hash": labels_hash(LABELS_DIR),
        "extra_hash": examples_hash(extra),
        "domain_words_hash": domain_words_hash(),
        "negatives_hash": negatives_hash(),
        "code_version": code_version(),
    }


def fit_gate(data: TrainingSet, negatives: Path = NEGATIVES) -> RelevanceGate:
    """The relevance gate fitted on the corpus, the labelled cases, seed 003 and the negatives file."""
    texts, labels, groups = gate_training(data.sections, data.real, read_pages(negatives), policy_texts())
    return RelevanceGate().fit(texts, labels, groups)


def fit_on(data: TrainingSet, settings: Settings | None = None, choose: bool = True, gate: bool = False) -> Classifier:
    """Fit on `data`, with every setting learnt from data chosen inside it.

    Grouped 5-fold CV over the training units (corpus practices and city cases held out
    whole, real articles a labels file at a time) picks the label share, then on the
    chosen share's held-out predictions the abstention threshold (precision target on
    held-out real articles when there are enough) and the secondary rule. The final
    model is fitted on all of `data`. `choose=False` fits `settings` as given (one fit:
    for ablations and quick checks). `gate` fits the relevance gate too (the shipped model;
    the indicator figures of evaluation refit without it).
    """
    base = replace(settings or Settings())
    units = data.units()
    chosen, meta = replace(base), {}
    if choose:
        chosen, oof, trials = choose_label_share(units, base)
        threshold, basis = threshold_from(oof, chosen.target_precision)
        chosen.threshold = round(threshold, 4)
        share, score, secondary_basis = secondary_rule_from(oof, chosen)
        chosen.secondary_share, chosen.secondary_score = share, score
        meta = {
            "threshold_basis": basis,
            "secondary_basis": secondary_basis,
            "label_share_trials": trials,
            "cv_accuracy": round(oof.accuracy(), 4),
            "cv_corpus_accuracy": round(oof.accuracy("corpus"), 4),
            "cv_real_accuracy": round(oof.accuracy("real"), 4),
        }
    texts, labels, weights = selector(units, chosen)({u.group for u in units})
    clf = Classifier(chosen).fit(texts, labels, weights)
    clf.metadata = {
        "n_train": len(texts),
        "n_labels": data.count(LABELS),
        "n_extra": data.count(EXTRA),
        **meta,
        "training_keys": data.keys(),
    }
    clf.training, clf.base_settings = data, base
    if gate:
        clf.gate = fit_gate(data)
        clf.metadata["gate_cv"] = clf.gate.cv
    if choose:
        clf.out_of_fold = oof
    return clf


def fit_classifier(
    extra: Sequence[Example] = (), settings: Settings | None = None, corpus: Path | None = None
) -> Classifier:
    """Train on the corpus, the labels files and `extra`, with its metadata (not saved)."""
    started = time.perf_counter()
    clf = fit_on(TrainingSet.build(extra, corpus), settings, gate=True)
    clf.metadata = new_metadata(
        clf.settings, **expected_metadata(extra, corpus), **clf.metadata,
        fit_seconds=round(time.perf_counter() - started, 2),
    )
    return clf


def refit_without(clf: Classifier, keys: Iterable[str]) -> Classifier:
    """The same model refitted, with the same settings and selection, without articles matching `keys`."""
    if clf.training is None:
        raise ValueError("this model does not carry its training set; retrain it to refit")
    data = clf.training.without(keys)
    refit = fit_on(data, clf.base_settings)
    hashes = {k: clf.metadata.get(k) for k in ("corpus_hash", "labels_hash", "extra_hash", "domain_words_hash")}
    refit.metadata = new_metadata(
        refit.settings, **hashes, **refit.metadata, refit_removed=len(clf.training.real) - len(data.real)
    )
    return refit


def train_model(path: str | Path, extra: Sequence[Example] = (), corpus: Path | None = None) -> Classifier:
    """Always retrain and save to `path` (the model card is `evaluate`'s job)."""
    log.info("training the indicator model (%d analyst label(s) added)", len(extra))
    clf = fit_classifier(extra, corpus=corpus)
    clf.save(path)
    log.info("trained in %.1f s; label share %.2f, threshold %.3f", clf.metadata["fit_seconds"],
             clf.settings.label_share, clf.settings.threshold)
    return clf


def load_model(path: str | Path, extra: Sequence[Example] = (), corpus: Path | None = None) -> Classifier:
    """Load the cached model if it matches the corpus, labels, code and `extra`; else retrain.

    Two processes that find the model stale do not both train: the second waits for the
    first (a lock file beside the model) and then loads what it wrote.
    """
    path = Path(path)
    expected = expected_metadata(extra, corpus)
    clf = _current(path, expected)
    if clf is not None:
        return clf
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            clf = _current(path, expected, quiet=True)
            return clf if clf is not None else train_model(path, extra, corpus=corpus)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _current(path: Path, expected: dict[str, str], quiet: bool = False) -> Classifier | None:
    """The model at `path` if it loads and matches `expected`, else None (and why, in the log)."""
    if not path.exists():
        return None
    try:
        clf = Classifier.load(path)
    except Exception as error:  # corrupt, incompatible or not ours: rebuilt, never trusted
        if not quiet:
            log.warning("cannot load %s (%s); retraining", path, error)
        return None
    stale = [k for k, v in expected.items() if clf.metadata.get(k) != v]
    if stale:
        if not quiet:
            log.info("model %s is stale (%s); retraining", path, ", ".join(stale))
        return None
    return clf
