"""The classifier: TF-IDF + calibrated linear model, bounded chunk scoring, abstention, terms."""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:  # scikit-learn is imported where a model is fitted or loaded, not by every command
    from sklearn.svm import LinearSVC

from .features import Features, shared_tokens
from .taxonomy import SLUGS
from .text import normalise

CODE_VERSION = "3"
_PARAGRAPHS = re.compile(r"\n+")
MAX_TITLE_CHARS = 300


@dataclass
class Settings:
    """Everything that shapes a trained model; recorded in its metadata."""

    c: float = 0.5  # inverse regularisation of the linear SVM
    char_ngrams: tuple[int, int] = (1, 3)
    tokenizer: str = "jieba"  # a name in text.TOKENIZERS ("constant" is an ablation)
    title_repeat: int = 2  # a title says more per character than the body; 0 drops titles
    # Labelled real articles of an indicator together weigh this share of its corpus units
    # (chosen at training from LABEL_SHARES): they refine the corpus, never set the prior.
    label_share: float | None = 0.3  # None: real articles as plain rows (a compared variant)
    chunk_chars: int = 60  # paragraphs are merged into chunks of at least this size
    doc_weight: float = 0.5  # weight of the whole-article score against the chunk average
    max_chars: int = 20_000  # characters of an article's body scored at most
    head_chars: int = 6_000  # of which the head, the rest evenly spaced windows
    window_chars: int = 1_400
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
    is_case: bool = True  # the relevance gate's answer: a reform case, or other government news
    relevance: float | None = None  # the gate's probability that it is a case (None: no gate)
    reason: str | None = None  # why it is not a case ("会议报道", "统计公报" …)

    def as_json(self, id: Any = None) -> dict[str, Any]:
        """The stable JSON contract: id, is_case, relevance, then for a case primary, confidence,
        scores (all 18), secondary, terms; for a non-case its reason and no indicator."""
        relevance = None if self.relevance is None else round(self.relevance, 4)
        if not self.is_case:
            return {"id": id, "is_case": False, "reason": self.reason, "relevance": relevance}
        return {
            "id": id,
            "is_case": True,
            "relevance": relevance,
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
    """CODE_VERSION plus a hash of the package's model-making source, so code edits retrain."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.name not in ("evaluation.py", "card.py"):  # measuring a model does not change it
            digest.update(path.read_bytes())
    return f"{CODE_VERSION}+{digest.hexdigest()[:12]}"


def article_text(title: str | None, text: str, repeat: int = 2) -> str:
    """Normalised article text with the title repeated in front (`repeat` 0: no title)."""
    title = normalise((title or "")[:MAX_TITLE_CHARS])
    body = normalise(text or "")
    return "\n".join([title] * repeat + [body]) if title and repeat else body


def bounded_text(text: str, settings: Settings) -> str:
    """At most `max_chars` of `text`: the head, then evenly spaced windows of the rest.

    A compilation pasted as one "article" can run to millions of characters; scoring
    all of it costs memory and time for no better decision.
    """
    if len(text) <= settings.max_chars:
        return text
    head, size = settings.head_chars, settings.window_chars
    count = max((settings.max_chars - head) // size, 1)
    span = len(text) - head - size
    starts = [head + round(span * k / max(count - 1, 1)) for k in range(count)]
    return "\n".join([text[:head]] + [text[s : s + size] for s in starts])


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


@dataclass
class LinearMargins:
    """A fitted linear model's margins as scikit-learn's linear models compute them (X @ coef.T +
    intercept, one column when there are two classes), kept in place of the fitted model when a model
    is pickled: loading and using a model then imports no scikit-learn (75 MiB, most of a second)."""

    coef_: np.ndarray
    intercept_: np.ndarray
    classes_: np.ndarray

    @classmethod
    def of(cls, fitted: Any) -> LinearMargins:
        return cls(np.asarray(fitted.coef_), np.asarray(fitted.intercept_), np.asarray(fitted.classes_))

    def decision_function(self, X: Any) -> np.ndarray:
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores.reshape(-1) if scores.shape[1] == 1 else scores


class TemperedSVM:
    """A linear SVM whose margins become probabilities through one softmax temperature,
    fitted on the margins of held-out folds (3-fold) by weighted log loss.

    One parameter instead of CalibratedClassifierCV's 18 Platt fits: a fifth of the time,
    and the scores keep the SVM's ranking.
    """

    def __init__(self, c: float, folds: int = 3) -> None:
        self.c, self.folds = c, folds

    def _svm(self) -> LinearSVC:
        from sklearn.svm import LinearSVC

        # tol 1e-2: the same decisions as the default 1e-4 here, in a quarter of the time.
        return LinearSVC(C=self.c, tol=1e-2, random_state=0)

    def fit(self, X: Any, y: Sequence[str], sample_weight: np.ndarray) -> "TemperedSVM":
        """Fit the SVM on everything and the temperature on out-of-fold margins."""
        y = np.asarray(y)
        self.estimator = self._svm().fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.estimator.classes_
        self.temperature_ = 1.0
        if self.folds < 2:
            return self
        from sklearn.model_selection import StratifiedKFold

        margins = np.zeros((len(y), len(self.classes_)))
        split = StratifiedKFold(self.folds, shuffle=True, random_state=0).split(np.zeros(len(y)), y)
        for train, test in split:
            fold = self._svm().fit(X[train], y[train], sample_weight=sample_weight[train])
            margins[np.ix_(test, np.searchsorted(self.classes_, fold.classes_))] = fold.decision_function(X[test])
        target = np.searchsorted(self.classes_, y)
        grid = np.exp(np.linspace(np.log(0.3), np.log(30), 60))
        losses = [_log_loss(t * margins, target, sample_weight) for t in grid]
        self.temperature_ = float(grid[int(np.argmin(losses))])
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """The SVM's margins."""
        return self.estimator.decision_function(X)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled with the SVM's coefficients only (`LinearMargins`)."""
        return dict(self.__dict__, estimator=LinearMargins.of(self.estimator))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Softmax of the tempered margins."""
        z = self.temperature_ * self.decision_function(X)
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)


def _log_loss(z: np.ndarray, target: np.ndarray, weight: np.ndarray) -> float:
    """Weighted mean negative log softmax probability of the target class."""
    z = z - z.max(axis=1, keepdims=True)
    log_p = z[np.arange(len(target)), target] - np.log(np.exp(z).sum(axis=1))
    return float(-(weight * log_p).sum() / weight.sum())


class Classifier:
    """Predicts an indicator for an article; one picklable object with its metadata."""

    def __init__(self, settings: Settings | None = None) -> None:
        """Create an untrained classifier."""
        self.settings = settings or Settings()
        self.features: Features | None = None
        self.estimator: Any = None
        self.metadata: dict[str, Any] = {}
        # The TrainingSet it was fitted on (set by train.fit_on), so evaluation can refit
        # without the articles it is asked to score.
        self.training: Any = None
        self.gate: Any = None  # a relevance.RelevanceGate, or None: every text is taken for a case
        self.base_settings: Settings | None = None  # settings before the threshold etc. were chosen

    # -- training ------------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Sequence[str], weights: Sequence[float]) -> "Classifier":
        """Fit on normalised article texts, their slugs and sample weights."""
        s = self.settings
        self.features = Features(s.tokenizer, s.char_ngrams).fit(texts)
        X = self.features.transform(texts)
        counts = np.unique(np.asarray(labels), return_counts=True)[1]
        # Too few examples of a class to calibrate on (tiny test sets): softmax of raw margins.
        self.estimator = TemperedSVM(s.c, folds=3 if counts.min() >= 3 else 1)
        self.estimator.fit(X, labels, sample_weight=np.asarray(weights, dtype=float))
        classes = list(self.estimator.classes_)
        # Column of each official slug in the estimator's output (-1: never seen).
        self._columns = np.array([classes.index(slug) if slug in classes else -1 for slug in SLUGS])
        base = self._linear()
        # float32 halves the artefact; the explanations read the same array.
        base.coef_ = np.asarray(base.coef_, dtype=np.float32)
        self._explaining = self.features.explaining_words()
        self._names = self._mean_coef = None  # caches of the previous fit
        return self

    # -- prediction ----------------------------------------------------------
    def _proba(self, X: Any) -> np.ndarray:
        """Probabilities with one column per official slug, rows summing to 1."""
        raw = self.estimator.predict_proba(X)
        out = np.zeros((raw.shape[0], len(SLUGS)))
        seen = self._columns >= 0
        out[:, seen] = raw[:, self._columns[seen]]
        return out / np.clip(out.sum(axis=1, keepdims=True), 1e-12, None)

    def predict(self, text: str, title: str | None = None) -> Decision:
        """Classify one article."""
        return self.predict_many([(title, text)])[0]

    def predict_many(self, items: Sequence[tuple[str | None, str]]) -> list[Decision]:
        """Classify (title, text) pairs in one batch: the relevance gate first, then the indicator.

        A non-case keeps its scores (for whoever looks into it) but gets no primary or
        secondary indicator.
        """
        with shared_tokens():  # the gate and the model cut and normalise each text once between them
            return self._predict_many(items)

    def _predict_many(self, items: Sequence[tuple[str | None, str]]) -> list[Decision]:
        """`predict_many` inside one `shared_tokens()` block."""
        scores, shares, X = self.score_many(items)
        X = X.tocsr() if X is not None else X
        decisions = [
            self.decide(scores[i], shares[i], X.indices[X.indptr[i] : X.indptr[i + 1]], X.data[X.indptr[i] : X.indptr[i + 1]])
            for i in range(len(scores))
        ]
        if getattr(self, "gate", None) is not None and decisions:
            bounded = [(title, bounded_text(text or "", self.settings)) for title, text in items]
            for d, (is_case, p, reason) in zip(decisions, self.gate.judge(bounded)):
                d.is_case, d.relevance, d.reason = is_case, p, reason
                if not is_case:
                    d.primary, d.secondary = None, []
        return decisions

    def score_many(self, items: Sequence[tuple[str | None, str]]) -> tuple[np.ndarray, np.ndarray, Any]:
        """Combined scores, chunk-text shares (one row per article) and the articles' vectors.

        Each article is cut into a title row and bounded body chunks; every row is
        counted once, an article's whole-text row is the sum of its rows' counts.
        """
        s = self.settings
        pieces: list[tuple[str, int, float, bool]] = []  # text, article, weight, is body
        for index, (title, text) in enumerate(items):
            head = normalise((title or "")[:MAX_TITLE_CHARS]) if s.title_repeat else ""
            if head:
                pieces.append((head, index, float(s.title_repeat), False))
            for chunk in split_chunks(normalise(bounded_text(text or "", s)), s.chunk_chars):
                pieces.append((chunk, index, 1.0, True))
        n = len(items)
        if not n:
            return np.zeros((0, len(SLUGS))), np.zeros((0, len(SLUGS))), None
        rows = [p[0] for p in pieces]
        owner_arr = np.asarray([p[1] for p in pieces], dtype=int)
        weight_arr = np.asarray([p[2] for p in pieces])
        body = np.asarray([p[3] for p in pieces], dtype=bool)
        counts = self.features.counts(rows) if rows else sp.csr_matrix((0, self._width()))
        gather = sp.csr_matrix((weight_arr, (owner_arr, np.arange(len(rows)))), shape=(n, len(rows)))
        X = self.features.weigh(gather @ counts)
        scores = self._proba(X)
        shares = np.zeros_like(scores)
        # Chunks: body rows of articles with more than one of them.
        per_article = np.bincount(owner_arr[body], minlength=n)
        chunked = np.flatnonzero(body & (per_article[owner_arr] > 1))
        if len(chunked) and s.doc_weight < 1:
            chunk_p = self._proba(self.features.weigh(counts[chunked]))
            lengths = np.asarray([len(rows[i]) for i in chunked], dtype=float)
            mine = owner_arr[chunked]
            share = lengths / np.bincount(mine, weights=lengths, minlength=n)[mine]
            mean = np.zeros_like(scores)
            np.add.at(mean, mine, share[:, None] * chunk_p)
            np.add.at(shares, (mine, chunk_p.argmax(axis=1)), share)
            has = np.unique(mine)
            scores[has] = s.doc_weight * scores[has] + (1 - s.doc_weight) * mean[has]
        return scores, shares, X

    def _width(self) -> int:
        """Number of feature columns."""
        return self.features.n_words + len(self.features.chars.vocabulary_)

    def decide(self, scores: np.ndarray, share: np.ndarray, indices: np.ndarray, values: np.ndarray) -> Decision:
        """Turn combined scores into primary, secondary, abstention and terms (the article's vector given as
        its column indices and values)."""
        s = self.settings
        top = int(scores.argmax())
        confidence = float(scores[top])
        primary = SLUGS[top] if confidence >= s.threshold else None
        secondary = [SLUGS[i] for i in secondary_indices(scores, share, s)] if primary else []
        return Decision(
            primary=primary,
            confidence=confidence,
            scores={slug: float(v) for slug, v in zip(SLUGS, scores)},
            secondary=secondary,
            terms=self.explain(indices, values, top),
        )

    def _weights(self, row: int) -> np.ndarray:
        """The linear model's word weights for official indicator `row` (zeros if never trained on)."""
        col = self._columns[row]
        coef = self._linear().coef_
        n = self.features.n_words
        return coef[col, :n] if col >= 0 else np.zeros(n, dtype=np.float32)

    def explain(self, indices: np.ndarray, values: np.ndarray, row: int) -> list[str]:
        """Words of one vectorised article (its column indices and values) that pushed it most towards
        indicator `row`.

        A word's push is its TF-IDF value times how much more indicator `row` weighs it
        than the average indicator does, so words every indicator uses drop out; stop
        words and place names are never shown.
        """
        n = self.features.n_words
        keep = indices < n
        keep[keep] = self._explaining[indices[keep]]
        idx, vals = indices[keep], values[keep]
        if not len(idx):
            return []
        contrib = vals * (self._weights(row)[idx] - self._mean_weights()[idx])
        names = self._word_names()
        terms: list[str] = []
        for k in np.argsort(-contrib, kind="stable"):  # ties by column (by word)
            if contrib[k] <= 0 or len(terms) >= self.settings.max_terms:
                break
            name = names[idx[k]]
            if not any(name in t or t in name for t in terms):
                terms.append(name)
        return terms

    def _mean_weights(self) -> np.ndarray:
        """Every indicator's mean weight of each word column (computed once per process, not pickled)."""
        if getattr(self, "_mean_coef", None) is None:
            self._mean_coef = self._linear().coef_[:, : self.features.n_words].mean(axis=0)
        return self._mean_coef

    def _word_names(self) -> list[str]:
        """Word of each word column (built once per process, not pickled)."""
        if getattr(self, "_names", None) is None:
            self._names = list(self.features.word_names())
        return self._names

    def top_terms(self, n: int = 10) -> dict[str, list[str]]:
        """The highest-weighted explaining words per indicator (what the model learned)."""
        names = self._word_names()
        out = {}
        for row, slug in enumerate(SLUGS):
            weights = np.where(self._explaining, self._weights(row), -np.inf)
            best = np.lexsort((names, -weights))[:n]  # ties by name: the same model, the same card
            out[slug] = [names[i] for i in best if weights[i] > 0]
        return out

    # -- persistence ---------------------------------------------------------
    def _linear(self) -> Any:
        """The fitted linear SVM."""
        return self.estimator.estimator

    def __getstate__(self) -> dict[str, Any]:
        """Pickle state without caches and training-time diagnostics."""
        state = dict(self.__dict__)
        state.pop("out_of_fold", None)
        state.pop("_names", None)
        state.pop("_mean_coef", None)
        return state

    def save(self, path: str | Path) -> None:
        """Write the classifier and its metadata as one artefact, with the hash it is loaded by."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Plain pickle, not joblib: the C unpickler reads the vocabulary in a few hundredths.
        data = pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)
        _write_atomically(path, data)
        _write_atomically(hash_path(path), hashlib.sha256(data).hexdigest().encode() + b"\n")

    @classmethod
    def load(cls, path: str | Path) -> "Classifier":
        """Read a classifier written by `save`; refuse a file whose hash is not the one recorded with it.

        A pickle runs code when it is read: only the bytes this project wrote are unpickled.
        """
        path = Path(path)
        data = path.read_bytes()
        recorded = hash_path(path).read_text(encoding="ascii").strip() if hash_path(path).exists() else None
        if recorded != hashlib.sha256(data).hexdigest():
            raise ModelIntegrityError(f"{path} does not match the hash recorded when it was trained ({hash_path(path).name})")
        obj = pickle.loads(data)
        if not isinstance(obj, cls):
            raise TypeError(f"{path} does not hold a Classifier")
        return obj


class ModelIntegrityError(Exception):
    """A model file whose bytes are not those written by `Classifier.save`."""


def hash_path(path: Path) -> Path:
    """Where the SHA-256 of a saved model is kept."""
    return path.with_name(path.name + ".sha256")


def _write_atomically(path: Path, data: bytes) -> None:
    """Write under a unique temporary name in the same folder, then rename: readers see old or new, never half."""
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def new_metadata(settings: Settings, **hashes: Any) -> dict[str, Any]:
    """Metadata recorded with a trained model."""
    import sklearn

    return {
        **hashes,
        "code_version": code_version(),
        "sklearn": sklearn.__version__,
        "settings": asdict(settings),
        "threshold": settings.threshold,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
