"""Vectorisers: character n-grams counted with numpy, jieba words, and their TF-IDF union."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from itertools import repeat
from typing import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from .text import COUNTERS, TOKENIZERS, is_filler, remembering

_WHITESPACE = re.compile(r"\s+")
_BITS = 21  # every Unicode code point fits in 21 bits
_BMP = 1 << 16  # code points of the Basic Multilingual Plane
_SEP = "\x00"  # joins texts; an n-gram containing it crosses a text boundary
_shared = threading.local()  # the line → tokens memo of `shared_tokens()`, per thread


@contextlib.contextmanager
def shared_tokens() -> Iterator[None]:
    """Within the block, every `Words` of this thread tokenises a line once: the indicator model and
    the relevance gate read the same titles and paragraphs (cut into other chunks), and each
    paragraph is cut by jieba once for both.

    A text's words are its lines' words one after another (jieba never joins a word across a line
    break, and line breaks are dropped as whitespace), so the counts are the same as without it.
    The memo lives as long as the block: hold it around one batch.
    """
    previous = getattr(_shared, "lines", None)
    _shared.lines = {} if previous is None else previous
    try:
        with remembering():  # and each text is normalised once
            yield
    finally:
        _shared.lines = previous


def _tokens(tokenize, name: str, text: str) -> list[str]:
    """`tokenize(text)`, through the memo of `shared_tokens()` when one is open (for jieba words)."""
    lines = getattr(_shared, "lines", None)
    if lines is None or name != "jieba":
        return tokenize(text)
    out: list[str] = []
    for line in text.split("\n"):
        words = lines.get(line)
        if words is None:
            words = lines[line] = tokenize(line)
        out += words
    return out


def char_codes(texts: Sequence[str], ngram_range: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Integer code and text index of every character n-gram in `texts`.

    An n-gram of code points c1..cn is c1 << 21(n-1) | ... | cn. Codes of different
    lengths cannot collide, because no code point is 0 (the separator). Whitespace runs
    count as one space, as in scikit-learn's char analyzer.
    """
    blocks = char_code_blocks(texts, ngram_range)
    if not blocks:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate([codes for _, codes, _ in blocks]), np.concatenate([owners for _, _, owners in blocks])


def char_code_blocks(texts: Sequence[str], ngram_range: tuple[int, int]) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """`char_codes` one n-gram length at a time: (n, codes, text indices) for each n present.

    The codes of length n lie in [2**(21(n-1)), 2**(21n)): a sorted vocabulary holds each
    length's codes in one run of its own.
    """
    joined = _WHITESPACE.sub(" ", _SEP.join(t.replace(_SEP, " ") for t in texts)) + _SEP
    cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    owner = np.cumsum(cps == 0)
    lo, hi = ngram_range
    blocks = []
    for n in range(lo, hi + 1):
        if len(cps) < n:
            continue
        size = len(cps) - n + 1
        code = cps[:size].copy()
        ok = code != 0
        for k in range(1, n):
            nxt = cps[k : k + size]
            code = (code << _BITS) | nxt
            ok &= nxt != 0
        blocks.append((n, code[ok], owner[:size][ok]))
    return blocks


def decode(code: int) -> str:
    """The n-gram text of a code made by `char_codes`."""
    chars = []
    while code:
        chars.append(chr(code & ((1 << _BITS) - 1)))
        code >>= _BITS
    return "".join(reversed(chars))


def tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear TF times IDF, rows scaled to unit length (TfidfVectorizer's sublinear_tf=True)."""
    out = counts.astype(np.float64)
    np.log(out.data, out=out.data)
    out.data += 1.0
    out = out @ sp.diags(idf) if out.nnz else out
    return unit_rows(out.tocsr())


def unit_rows(m: sp.csr_matrix) -> sp.csr_matrix:
    """Each row scaled to unit length in place, bit for bit as scikit-learn's `normalize` does it: a row's
    squares summed in stored order (a sparse product with ones sums each row in order), empty rows left.

    Here rather than scikit-learn's, whose import (75 MiB, most of a second) a model's user then skips."""
    squares = sp.csr_matrix((m.data * m.data, m.indices, m.indptr), shape=m.shape)
    norms = np.sqrt(squares @ np.ones(m.shape[1]))
    norms[norms == 0.0] = 1.0
    m.data /= np.repeat(norms, np.diff(m.indptr))
    return m


class CharNgrams:
    """TF-IDF of character n-grams; the same figures as TfidfVectorizer(analyzer="char",
    sublinear_tf=True), counted with numpy instead of a Python loop (about 20x faster)."""

    def __init__(self, ngram_range: tuple[int, int] = (1, 3), min_df: int = 1) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Raw n-gram counts of `texts` over the fitted vocabulary."""
        vocabulary, columns, rows = self.vocabulary_, [], []
        for n, codes, owners in char_code_blocks(texts, tuple(self.ngram_range)):
            if n == 1:  # a character's column straight from a table of the BMP's code points
                col = self._characters()[np.minimum(codes, _BMP - 1)]
                astral = codes >= _BMP
                if astral.any():
                    col[astral] = self._search(vocabulary, codes[astral])
            else:  # a binary search in the run of n-grams of this length only
                start, end = np.searchsorted(vocabulary, [1 << (_BITS * (n - 1)), 1 << (_BITS * n)])
                col = self._search(vocabulary[start:end], codes)
                col[col >= 0] += start
            hit = col >= 0
            columns.append(col[hit])
            rows.append(owners[hit])
        col = np.concatenate(columns) if columns else np.zeros(0, np.int64)
        row = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        shape = (len(texts), len(vocabulary))
        return sp.csr_matrix((np.ones(len(col), dtype=np.float64), (row, col)), shape=shape)

    @staticmethod
    def _search(vocabulary: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Column of each code in a sorted vocabulary, -1 where it is not there."""
        if not len(vocabulary):
            return np.full(len(codes), -1, dtype=np.int64)
        col = np.searchsorted(vocabulary, codes)
        col[col == len(vocabulary)] = 0
        return np.where(vocabulary[col] == codes, col, -1)

    def _characters(self) -> np.ndarray:
        """Column of each BMP code point's 1-gram, -1 where none (built once per process, not pickled)."""
        if getattr(self, "_bmp", None) is None:
            bmp = np.full(_BMP, -1, dtype=np.int64)
            single = np.flatnonzero(self.vocabulary_ < _BMP)
            bmp[self.vocabulary_[single]] = single
            bmp[0] = -1  # the separator (code point 0) is never a character of a text
            self._bmp = bmp
        return self._bmp

    def __getstate__(self) -> dict:
        """Pickled without the character table."""
        state = super().__getstate__()
        state.pop("_bmp", None)
        return state

    def fit(self, texts: Sequence[str], y: Iterable | None = None) -> "CharNgrams":
        """Learn the vocabulary and the smoothed IDF."""
        codes, owners = char_codes(texts, tuple(self.ngram_range))
        vocabulary = np.unique(codes)
        col = np.searchsorted(vocabulary, codes)
        pairs = np.unique(owners * len(vocabulary) + col)
        df = np.bincount(pairs % len(vocabulary), minlength=len(vocabulary))
        keep = df >= self.min_df
        self.vocabulary_ = vocabulary[keep]
        self._bmp = None  # the character table of `counts`, built on first use
        self.idf_ = np.log((1 + len(texts)) / (1 + df[keep])) + 1.0
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows of `texts`."""
        return tfidf(self.counts(texts), self.idf_)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """The n-grams as strings, in column order."""
        return np.array([decode(int(c)) for c in self.vocabulary_], dtype=object)


class Words:
    """TF-IDF of jieba words (unigrams): a dict lookup per token, no n-gram machinery.

    `tokenizer` names a function in text.TOKENIZERS, so the fitted object pickles.
    """

    def __init__(self, tokenizer: str = "jieba") -> None:
        self.tokenizer = tokenizer

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Raw word counts of `texts` over the fitted vocabulary."""
        vocab, cols, lengths = self.vocabulary_, [], []
        tokenize = COUNTERS[self.tokenizer]  # unfiltered: what the filter drops is in no vocabulary
        for text in texts:
            words = _tokens(tokenize, self.tokenizer, text)
            cols.extend(map(vocab.get, words, repeat(-1, len(words))))  # -1: not in the vocabulary
            lengths.append(len(words))
        col = np.asarray(cols, dtype=np.int64)
        known = col >= 0
        row = np.repeat(np.arange(len(texts)), lengths)[known]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=len(texts)))])
        matrix = sp.csr_matrix((np.ones(int(known.sum()), dtype=np.float64), col[known], indptr),
                               shape=(len(texts), len(vocab)))
        matrix.sum_duplicates()
        return matrix

    def fit(self, texts: Sequence[str], y: Iterable | None = None) -> "Words":
        """Learn the vocabulary (sorted, as scikit-learn's) and the smoothed IDF."""
        tokenize = TOKENIZERS[self.tokenizer]
        docs = [set(tokenize(t)) for t in texts]
        words = sorted(set().union(*docs)) if docs else []
        self.vocabulary_ = {w: i for i, w in enumerate(words)}
        df = np.zeros(len(words))
        for doc in docs:
            df[[self.vocabulary_[w] for w in doc]] += 1
        self.idf_ = np.log((1 + len(texts)) / (1 + df)) + 1.0
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows of `texts`."""
        return tfidf(self.counts(texts), self.idf_)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """The words, in column order."""
        return np.array(sorted(self.vocabulary_, key=self.vocabulary_.get), dtype=object)


class Features:
    """Words and character n-grams side by side. Counts add up, so an article's row is the
    sum of its title's and its chunks' counts: the text is tokenised once, not twice."""

    def __init__(self, tokenizer: str = "jieba", char_ngrams: tuple[int, int] = (1, 3)) -> None:
        self.words = Words(tokenizer)
        self.chars = CharNgrams(tuple(char_ngrams))

    def fit(self, texts: Sequence[str]) -> "Features":
        """Learn both vocabularies and IDFs."""
        self.words.fit(texts)
        self.chars.fit(texts)
        self.n_words = len(self.words.vocabulary_)
        return self

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Raw counts, words then characters."""
        return sp.hstack([self.words.counts(texts), self.chars.counts(texts)], format="csr")

    def weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """TF-IDF of count rows: each block weighted and scaled to unit length on its own.

        The same figures as `tfidf` of each block side by side, computed on the rows' stored
        values in place of slicing the matrix by columns and stacking it again.
        """
        out = counts.tocsr().astype(np.float64)  # a copy
        np.log(out.data, out=out.data)
        out.data += 1.0
        out.data *= np.concatenate([self.words.idf_, self.chars.idf_])[out.indices]
        rows = np.repeat(np.arange(out.shape[0]), np.diff(out.indptr))
        part = 2 * rows + (out.indices >= self.n_words)  # (row, block) of each stored value
        norms = np.sqrt(np.bincount(part, weights=out.data * out.data, minlength=2 * out.shape[0]))
        norms[norms == 0] = 1.0
        out.data /= norms[part]
        return out

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows of `texts`."""
        return self.weigh(self.counts(texts))

    def word_names(self) -> np.ndarray:
        """The words, in column order (the first `n_words` columns)."""
        return self.words.get_feature_names_out()

    def explaining_words(self) -> np.ndarray:
        """Mask of word columns that may explain a decision (no stop words or place names)."""
        return np.array([not is_filler(w) for w in self.word_names()], dtype=bool)
