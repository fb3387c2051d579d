"""The classifier: one TF-IDF + calibrated linear pipeline, chunk scoring, abstention, terms."""

from __future__ import annotations

import hashlib
import pickle
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from .taxonomy import SLUGS
from .text import normalise, tokenize

CODE_VERSION = "2"
_PARAGRAPHS = re.compile(r"\n+")
_SENTENCE_END = re.compile(r"(?<=[。；;！!？?])")


@dataclass
class Settings:
    """Everything that shapes a trained model; recorded in its metadata."""

    unit: str = "item"  # corpus unit size, see corpus.UNIT_SIZES
    model: str = "svm"  # "svm" (LinearSVC, one-vs-rest) or "logreg" (saga)
    c: float = 0.5  # inverse regularisation of the linear model
    word_ngrams: tuple[int, int] = (1, 1)
    char_ngrams: tuple[int, int] = (1, 3)
    calibration: str = "sigmoid"  # or "none" for raw logistic-regression probabilities
    title_repeat: int = 2  # a title says more per character than the body
    real_weight: float = 1.0  # sample weight of a real labelled article against a corpus unit
    real_groups: str = "case"  # inner CV holds out real articles one by one ("case") or by labels "file"
    chunk_chars: int = 200  # paragraphs are merged into chunks of at least this size
    doc_weight: float = 0.5  # weight of the whole-article score against the chunk average
    threshold: float = 0.3  # abstain below this confidence (chosen from data at training)
    target_precision: float = 0.92  # what the threshold is chosen to reach on held-out articles
    secondary_share: float = 0.3  # share of chunk text an indicator must lead to be secondary
    secondary_score: float = 0.25  # or the article score it must reach (both chosen at training)
    max_secondary: int = 3
    max_terms: int = 8


@dataclass
class Decision:
    """The classifier's answer for one article."""

    primary: str | None
    confidence: float
    scores: dict[str, float]
    secondary: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)

    def as_json(self, id: Any = None) -> dict[str, Any]:
        """The stable JSON contract: id, primary, scores (all 18), secondary, terms, confidence."""
        return {
            "id": id,
            "primary": self.primary,
            "confidence": round(self.confidence, 4),
            "scores": {slug: round(self.scores[slug], 4) for slug in SLUGS},
            "secondary": list(self.secondary),
            "terms": list(self.terms),
        }


def secondary_indices(scores: np.ndarray, share: np.ndarray, settings: Settings) -> list[int]:
    """Indicators besides the top one that lead enough chunk text or score high enough."""
    top = int(scores.argmax())
    order = np.argsort(-scores, kind="stable")
    return [
        int(i) for i in order
        if i != top and (share[i] >= settings.secondary_share or scores[i] >= settings.secondary_score)
    ][: settings.max_secondary]


def code_version() -> str:
    """CODE_VERSION plus a hash of this package's source, so code edits retrain the model."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return f"{CODE_VERSION}+{digest.hexdigest()[:12]}"


def build_features(settings: Settings) -> FeatureUnion:
    """TF-IDF on jieba words and on character n-grams, side by side."""
    words = TfidfVectorizer(
        tokenizer=tokenize, token_pattern=None, lowercase=False,
        ngram_range=tuple(settings.word_ngrams), sublinear_tf=True,
    )
    chars = TfidfVectorizer(
        analyzer="char", ngram_range=tuple(settings.char_ngrams), lowercase=False, sublinear_tf=True,
    )
    return FeatureUnion([("words", words), ("chars", chars)])


def build_estimator(settings: Settings, n_per_class: int) -> Any:
    """A class-balanced linear model, calibrated when there is data enough."""
    if settings.model == "svm":
        base: Any = LinearSVC(C=settings.c, class_weight="balanced", random_state=0)
    else:
        # saga converges here in a third of lbfgs's time on sparse TF-IDF.
        base = LogisticRegression(
            C=settings.c, class_weight="balanced", solver="saga", max_iter=3000, random_state=0
        )
    if settings.calibration == "none" or n_per_class < 3:
        return base
    folds = min(3, n_per_class)
    return CalibratedClassifierCV(base, method=settings.calibration, cv=folds, ensemble=False)


def article_text(title: str | None, text: str, repeat: int = 2) -> str:
    """Normalised article text with the title repeated in front."""
    title = normalise(title or "")
    body = normalise(text or "")
    return "\n".join([title] * repeat + [body]) if title else body


def split_chunks(text: str, min_chars: int) -> list[str]:
    """Split normalised text into paragraph chunks of at least `min_chars` characters."""
    chunks: list[str] = []
    current = ""
    for para in _PARAGRAPHS.split(text):
        para = para.strip()
        if not para:
            continue
        current = f"{current}\n{para}" if current else para
        if len(current) >= min_chars:
            chunks.append(current)
            current = ""
    if current:
        if chunks and len(current) < min_chars / 2:
            chunks[-1] += "\n" + current
        else:
            chunks.append(current)
    return chunks


class Classifier:
    """Predicts an indicator for an article; one picklable object with its metadata."""

    def __init__(self, settings: Settings | None = None) -> None:
        """Create an untrained classifier."""
        self.settings = settings or Settings()
        self.features: FeatureUnion | None = None
        self.estimator: Any = None
        self.metadata: dict[str, Any] = {}
        # The TrainingSet it was fitted on (set by train.fit_on), so `evaluate` can refit
        # without the articles it is asked to score.
        self.training: Any = None
        self.base_settings: Settings | None = None  # settings before the threshold etc. were chosen
        self._coef: np.ndarray | None = None
        self._names: np.ndarray | None = None
        self._columns: np.ndarray | None = None

    # -- training ------------------------------------------------------------
    def fit(
        self, texts: Sequence[str], labels: Sequence[str], weights: Sequence[float] | None = None
    ) -> "Classifier":
        """Fit on normalised texts, their slugs and optional sample weights."""
        self.features = build_features(self.settings)
        X = self.features.fit_transform(texts)
        counts = np.unique(np.asarray(labels), return_counts=True)[1]
        self.estimator = build_estimator(self.settings, int(counts.min()))
        if weights is not None and len(set(weights)) > 1:
            self.estimator.fit(X, labels, sample_weight=np.asarray(weights, dtype=float))
        else:
            self.estimator.fit(X, labels)
        classes = list(self.estimator.classes_)
        # Column of each official slug in predict_proba's output (-1: never seen).
        self._columns = np.array([classes.index(s) if s in classes else -1 for s in SLUGS])
        base = self._linear()
        # float32 halves the artefact; the explanations use the same array (no second copy).
        base.coef_ = np.asarray(base.coef_, dtype=np.float32)
        self._coef = base.coef_
        seen = self._columns[self._columns >= 0]
        self._coef_mean = self._coef[seen].sum(axis=0) / len(SLUGS)
        self._names = self.features.get_feature_names_out()
        self._is_word = np.char.startswith(self._names.astype(str), "words__")
        return self

    # -- prediction ----------------------------------------------------------
    def _proba(self, X: Any) -> np.ndarray:
        """Probabilities with one column per official slug, rows summing to 1."""
        if hasattr(self.estimator, "predict_proba"):
            raw = self.estimator.predict_proba(X)
        else:  # an uncalibrated margin model: softmax of its decision values
            margin = self.estimator.decision_function(X)
            raw = np.exp(margin - margin.max(axis=1, keepdims=True))
        out = np.zeros((raw.shape[0], len(SLUGS)))
        seen = self._columns >= 0
        out[:, seen] = raw[:, self._columns[seen]]
        return out / np.clip(out.sum(axis=1, keepdims=True), 1e-12, None)

    def predict(self, text: str, title: str | None = None) -> Decision:
        """Classify one article."""
        return self.predict_many([(title, text)])[0]

    def predict_many(self, items: Sequence[tuple[str | None, str]]) -> list[Decision]:
        """Classify (title, text) pairs in one batch."""
        scores, shares, X = self.score_many(items)
        return [self.decide(scores[i], shares[i], X[i]) for i in range(len(scores))]

    def score_many(self, items: Sequence[tuple[str | None, str]]) -> tuple[np.ndarray, np.ndarray, Any]:
        """Combined scores, chunk-text shares (one row per article) and the articles' vectors."""
        s = self.settings
        docs, owners, chunks = [], [], []
        for index, (title, text) in enumerate(items):
            body = normalise(text or "")
            head = normalise(title or "")
            docs.append("\n".join([head] * s.title_repeat + [body]) if head else body)
            body_chunks = split_chunks(body, s.chunk_chars)
            if len(body_chunks) > 1:
                chunks.extend(body_chunks)
                owners.extend([index] * len(body_chunks))
        if not docs:
            return np.zeros((0, len(SLUGS))), np.zeros((0, len(SLUGS))), None
        X = self.features.transform(docs + chunks)
        P = self._proba(X)
        scores, chunk_p = P[: len(docs)].copy(), P[len(docs):]
        shares = np.zeros_like(scores)
        owners_arr = np.asarray(owners, dtype=int)
        lengths = np.asarray([len(c) for c in chunks], dtype=float)
        for index in np.unique(owners_arr):
            mine = np.flatnonzero(owners_arr == index)
            weights = lengths[mine] / lengths[mine].sum()
            scores[index] = s.doc_weight * scores[index] + (1 - s.doc_weight) * weights @ chunk_p[mine]
            np.add.at(shares[index], chunk_p[mine].argmax(axis=1), weights)
        return scores, shares, X[: len(docs)]

    def decide(self, scores: np.ndarray, share: np.ndarray, x: Any) -> Decision:
        """Turn combined scores into primary, secondary, abstention and terms."""
        s = self.settings
        top = int(scores.argmax())
        confidence = float(scores[top])
        primary = SLUGS[top] if confidence >= s.threshold else None
        secondary = []
        if primary is not None:
            secondary = [SLUGS[i] for i in secondary_indices(scores, share, s)]
        return Decision(
            primary=primary,
            confidence=confidence,
            scores={slug: float(v) for slug, v in zip(SLUGS, scores)},
            secondary=secondary,
            terms=self.explain(x, top),
        )

    def _weights(self, row: int) -> np.ndarray:
        """The linear model's weights for official indicator `row` (zeros if never trained on)."""
        col = self._columns[row]
        return self._coef[col] if col >= 0 else np.zeros(self._coef.shape[1], dtype=np.float32)

    def explain(self, x: Any, row: int) -> list[str]:
        """Words of one vectorised article that pushed it most towards indicator `row`.

        A word's push is its TF-IDF value times how much more indicator `row` weighs it
        than the average indicator does, so words every indicator uses drop out.
        """
        x = x.tocsr() if hasattr(x, "tocsr") else x
        idx = x.indices[self._is_word[x.indices]]
        vals = x[0, idx].toarray().ravel() if len(idx) else np.zeros(0)
        contrib = vals * (self._weights(row)[idx] - self._coef_mean[idx])
        terms: list[str] = []
        for k in np.argsort(-contrib):
            if contrib[k] <= 0 or len(terms) >= self.settings.max_terms:
                break
            name = str(self._names[idx[k]]).split("__", 1)[1].replace(" ", "")
            if len(name) < 2 or any(name in t or t in name for t in terms):
                continue
            terms.append(name)
        return terms

    def top_terms(self, n: int = 10) -> dict[str, list[str]]:
        """The highest-weighted word features per indicator (what the model learned)."""
        out = {}
        for row, slug in enumerate(SLUGS):
            weights = np.where(self._is_word, self._weights(row), -np.inf)
            best = np.argsort(-weights)
            names = [str(self._names[i]).split("__", 1)[1] for i in best[: 3 * n] if weights[i] > 0]
            out[slug] = [w for w in names if len(w) > 1][:n]
        return out

    # -- persistence ---------------------------------------------------------
    def _linear(self) -> Any:
        """The fitted linear model (inside the calibration wrapper, if any)."""
        base = self.estimator
        if isinstance(base, CalibratedClassifierCV):
            base = base.calibrated_classifiers_[0].estimator
        return base

    def __getstate__(self) -> dict[str, Any]:
        """Pickle state without training-time diagnostics or a second copy of the weights."""
        state = dict(self.__dict__)
        state.pop("out_of_fold", None)
        state.pop("_coef", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore the state and point the explanations at the linear model's weights."""
        self.__dict__.update(state)
        if self.estimator is not None:
            self._coef = self._linear().coef_

    def save(self, path: str | Path) -> None:
        """Write the classifier and its metadata as one artefact."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        # Plain pickle, not joblib: joblib unpickles in pure Python, which takes ~1 s for the
        # ~90k vocabulary strings; the C unpickler reads them in a few hundredths.
        with open(tmp, "wb") as handle:
            pickle.dump(self, handle, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> "Classifier":
        """Read a classifier written by `save`."""
        with open(path, "rb") as handle:
            obj = pickle.load(handle)
        if not isinstance(obj, cls):
            raise TypeError(f"{path} does not hold a Classifier")
        return obj


def new_metadata(settings: Settings, **hashes: Any) -> dict[str, Any]:
    """Metadata recorded with a trained model."""
    return {
        **hashes,
        "code_version": code_version(),
        "sklearn": sklearn.__version__,
        "settings": asdict(settings),
        "threshold": settings.threshold,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
