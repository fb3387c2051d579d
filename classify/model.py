"""The classifier: one TF-IDF + calibrated linear pipeline, chunk scoring, abstention, terms."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import joblib
import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from .taxonomy import SLUGS
from .text import normalise, tokenize

CODE_VERSION = "1"
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
    chunk_chars: int = 200  # paragraphs are merged into chunks of at least this size
    doc_weight: float = 0.5  # weight of the whole-article score against the chunk average
    threshold: float = 0.3  # abstain below this confidence (chosen from data at training)
    target_precision: float = 0.92  # what the threshold is chosen to reach on held-out units
    secondary_share: float = 0.3  # share of chunk text an indicator must lead to be secondary
    secondary_score: float = 0.25  # or the article score it must reach
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
        base: Any = LinearSVC(C=settings.c, class_weight="balanced")
    else:
        # saga converges here in a third of lbfgs's time on sparse TF-IDF.
        base = LogisticRegression(C=settings.c, class_weight="balanced", solver="saga", max_iter=3000)
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
        self._coef: np.ndarray | None = None
        self._names: np.ndarray | None = None
        self._columns: np.ndarray | None = None

    # -- training ------------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> "Classifier":
        """Fit on normalised texts and their slugs."""
        self.features = build_features(self.settings)
        X = self.features.fit_transform(texts)
        counts = np.unique(np.asarray(labels), return_counts=True)[1]
        self.estimator = build_estimator(self.settings, int(counts.min()))
        self.estimator.fit(X, labels)
        classes = list(self.estimator.classes_)
        # Column of each official slug in predict_proba's output (-1: never seen).
        self._columns = np.array([classes.index(s) if s in classes else -1 for s in SLUGS])
        base = self.estimator
        if isinstance(base, CalibratedClassifierCV):
            base = base.calibrated_classifiers_[0].estimator
        coef = np.zeros((len(SLUGS), X.shape[1]), dtype=np.float32)
        for row, col in enumerate(self._columns):
            if col >= 0:
                coef[row] = base.coef_[col]
        self._coef = coef
        self._coef_mean = coef.mean(axis=0)
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
            return []
        X = self.features.transform(docs + chunks)
        P = self._proba(X)
        doc_p, chunk_p = P[: len(docs)], P[len(docs):]
        owners_arr = np.asarray(owners, dtype=int)
        lengths = np.asarray([len(c) for c in chunks], dtype=float)
        decisions = []
        for index in range(len(docs)):
            mine = np.flatnonzero(owners_arr == index)
            scores = doc_p[index]
            share = np.zeros(len(SLUGS))
            if len(mine):
                weights = lengths[mine] / lengths[mine].sum()
                scores = s.doc_weight * scores + (1 - s.doc_weight) * weights @ chunk_p[mine]
                np.add.at(share, chunk_p[mine].argmax(axis=1), weights)
            decisions.append(self._decide(scores, share, X[index]))
        return decisions

    def _decide(self, scores: np.ndarray, share: np.ndarray, x: Any) -> Decision:
        """Turn combined scores into primary, secondary, abstention and terms."""
        s = self.settings
        top = int(scores.argmax())
        confidence = float(scores[top])
        primary = SLUGS[top] if confidence >= s.threshold else None
        secondary = []
        if primary is not None:
            order = np.argsort(-scores)
            secondary = [
                SLUGS[i] for i in order
                if i != top and (share[i] >= s.secondary_share or scores[i] >= s.secondary_score)
            ][: s.max_secondary]
        return Decision(
            primary=primary,
            confidence=confidence,
            scores={slug: float(v) for slug, v in zip(SLUGS, scores)},
            secondary=secondary,
            terms=self.explain(x, top),
        )

    def explain(self, x: Any, row: int) -> list[str]:
        """Words of one vectorised article that pushed it most towards indicator `row`.

        A word's push is its TF-IDF value times how much more indicator `row` weighs it
        than the average indicator does, so words every indicator uses drop out.
        """
        x = x.tocsr() if hasattr(x, "tocsr") else x
        idx = x.indices[self._is_word[x.indices]]
        vals = x[0, idx].toarray().ravel() if len(idx) else np.zeros(0)
        contrib = vals * (self._coef[row, idx] - self._coef_mean[idx])
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
            weights = np.where(self._is_word, self._coef[row], -np.inf)
            best = np.argsort(-weights)
            names = [str(self._names[i]).split("__", 1)[1] for i in best[: 3 * n] if weights[i] > 0]
            out[slug] = [w for w in names if len(w) > 1][:n]
        return out

    # -- persistence ---------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """Pickle state without training-time diagnostics (out-of-fold predictions)."""
        state = dict(self.__dict__)
        state.pop("out_of_fold", None)
        return state

    def save(self, path: str | Path) -> None:
        """Write the classifier and its metadata as one artefact."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        joblib.dump(self, tmp)
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> "Classifier":
        """Read a classifier written by `save`."""
        obj = joblib.load(path)
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
