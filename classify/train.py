"""Build training data from the corpus and analysts' labels; train, cache and reload models."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

from .corpus import corpus_path, file_hash, read_corpus, section_units
from .examples import LABELS_DIR, Example, examples_hash, labels_hash
from .model import Classifier, Settings, article_text, code_version, new_metadata
from .text import domain_words_hash

log = logging.getLogger(__name__)


def training_data(
    extra: Sequence[Example] = (), settings: Settings | None = None, corpus: Path | None = None
) -> tuple[list[str], list[str], list[str]]:
    """Normalised texts, slugs and group ids from the corpus units plus labelled extras."""
    settings = settings or Settings()
    texts, labels, groups = [], [], []
    for section in read_corpus(corpus):
        for group, text in section_units(section, settings.unit):
            texts.append(article_text(None, text))
            labels.append(section.slug)
            groups.append(group)
    for number, example in enumerate(extra):
        if example.primary is None:
            continue  # "fits no indicator" cannot teach any indicator
        texts.append(article_text(example.title, example.text, settings.title_repeat))
        labels.append(example.primary)
        groups.append(f"extra/{number}")
    return texts, labels, groups


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
    """Train a classifier on the corpus plus `extra` (not saved)."""
    settings = settings or Settings()
    texts, labels, _ = training_data(extra, settings, corpus)
    clf = Classifier(settings).fit(texts, labels)
    clf.metadata = new_metadata(
        settings,
        **expected_metadata(extra, corpus),
        n_train=len(texts),
        n_extra=sum(e.primary is not None for e in extra),
    )
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
