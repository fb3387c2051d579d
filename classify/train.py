"""Build training data from the corpus and analysts' labels; train, cache and reload models."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from .corpus import corpus_path, file_hash, read_corpus, section_units
from .examples import LABELS_DIR, Example, examples_hash, labels_hash
from .model import Classifier, Settings, article_text, code_version, new_metadata
from .text import domain_words_hash
from .validate import choose_threshold, out_of_fold

log = logging.getLogger(__name__)


class TrainingSet:
    """Corpus sections plus analysts' examples, cut into units of any size."""

    def __init__(self, extra: Sequence[Example] = (), corpus: Path | None = None) -> None:
        """Read the corpus once; keep the labelled extras (those with a primary)."""
        self.sections = read_corpus(corpus)
        self.extra = [e for e in extra if e.primary is not None]

    def units(self, size: str, title_repeat: int = 2) -> list[tuple[str, str, str]]:
        """(group, slug, normalised text) units; each extra example is its own group."""
        out = [
            (group, section.slug, article_text(None, text))
            for section in self.sections
            for group, text in section_units(section, size)
        ]
        out += [
            (f"extra/{n}", e.primary, article_text(e.title, e.text, title_repeat))
            for n, e in enumerate(self.extra)
        ]
        return out

    def for_groups(self, settings: Settings):
        """A function giving (texts, labels) of the units in a set of groups."""
        whole_sections = settings.unit == "section"
        units = self.units("item" if whole_sections else settings.unit, settings.title_repeat)

        def select(groups: set[str]) -> tuple[list[str], list[str]]:
            kept = [(t, y) for g, y, t in units if g in groups]
            if whole_sections:  # one text per indicator from its kept items
                joined: dict[str, list[str]] = {}
                for t, y in kept:
                    joined.setdefault(y, []).append(t)
                kept = [("\n".join(ts), y) for y, ts in joined.items()]
            return [t for t, _ in kept], [y for _, y in kept]

        return select


def expected_metadata(extra: Sequence[Example] = (), corpus: Path | None = None) -> dict[str, str]:
    """The hashes a cached model must have been trained with to be reused."""
    return {
        "corpus_hash": file_hash(corpus or corpus_path()),
        "labels_hash": labels_hash(LABELS_DIR),
        "extra_hash": examples_hash(extra),
        "domain_words_hash": domain_words_hash(),
        "code_version": code_version(),
    }


def fit_classifier(
    extra: Sequence[Example] = (), settings: Settings | None = None, corpus: Path | None = None
) -> Classifier:
    """Train on the corpus plus `extra`, with the threshold chosen by grouped CV (not saved)."""
    settings = replace(settings or Settings())
    data = TrainingSet(extra, corpus)
    held_out = data.units("item", settings.title_repeat)
    oof = out_of_fold(held_out, data.for_groups(settings), settings)
    settings.threshold = round(choose_threshold(oof.confidence, oof.correct, settings.target_precision), 4)
    texts, labels = data.for_groups(settings)({g for g, _, _ in held_out})
    clf = Classifier(settings).fit(texts, labels)
    clf.metadata = new_metadata(
        settings,
        **expected_metadata(extra, corpus),
        n_train=len(texts),
        n_extra=len(data.extra),
        cv_accuracy=round(oof.accuracy(), 4),
        cv_case_accuracy=round(oof.accuracy("/case"), 4),
    )
    clf.out_of_fold = oof
    return clf


def train_model(
    path: str | Path,
    extra: Sequence[Example] = (),
    card_path: str | Path | None = None,
    corpus: Path | None = None,
) -> Classifier:
    """Always retrain, save to `path`, and write the model card to `card_path` if given."""
    clf = fit_classifier(extra, corpus=corpus)
    clf.save(path)
    if card_path is not None:
        from .card import write_model_card

        write_model_card(clf, card_path, extra=extra, corpus=corpus)
    return clf


def load_model(path: str | Path, extra: Sequence[Example] = (), corpus: Path | None = None) -> Classifier:
    """Load the cached model if it matches the corpus, labels, code and `extra`; else retrain."""
    path = Path(path)
    expected = expected_metadata(extra, corpus)
    if path.exists():
        try:
            clf = Classifier.load(path)
        except Exception as error:  # a corrupt or incompatible artefact is just rebuilt
            log.warning("cannot load %s (%s); retraining", path, error)
        else:
            stale = [k for k, v in expected.items() if clf.metadata.get(k) != v]
            if not stale:
                return clf
            log.info("model %s is stale (%s); retraining", path, ", ".join(stale))
    return train_model(path, extra, corpus=corpus)
