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


def count_matrix(row: np.ndarray, col: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """How often each (row, col) pair occurs, as a CSR matrix with sorted, unique indices.

    The same matrix as scipy's `csr_matrix((ones, (row, col)))`, built from one sort of the
    pairs' keys instead of its per-row sort of each row's indices (about half the time).
    """
    key = row * shape[1] + col
    key.sort()
    first = np.empty(len(key), dtype=bool)
    first[:1] = True
    np.not_equal(key[1:], key[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, len(key))).astype(np.float64)
    unique = key[starts]
    rows = unique // shape[1]
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    return sp.csr_matrix((counts, unique - rows * shape[1], indptr), shape=shape)


class CodeTable:
    """A set of n-gram codes as an open-addressing hash table: the index of each code in one lookup.

    Looking up every n-gram of a batch by binary search in the sorted vocabulary took a quarter of
    the classification's time; here each code is a multiply, a shift and (mostly) one probe, done for
    all codes at once with numpy. The table is at most half full: 24-48 bytes per code (9 MiB for the
    gate's and the model's vocabularies together).
    """

    _MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: 2^64 / the golden ratio

    def __init__(self, codes: np.ndarray) -> None:
        codes = np.asarray(codes, dtype=np.int64)
        bits = max(4, (2 * len(codes) - 1).bit_length())
        self._shift = np.uint64(64 - bits)
        self._mask = (1 << bits) - 1
        self._keys = np.full(1 << bits, -1, dtype=np.int64)  # -1: an empty slot (no code is negative)
        self._values = np.full(1 << bits, -1, dtype=np.int32)
        pending, slot = np.arange(len(codes)), self._slots(codes)
        while len(pending):  # linear probing: the first code to claim an empty slot takes it
            empty = np.flatnonzero(self._keys[slot] == -1)
            taken, first = np.unique(slot[empty], return_index=True)
            won = pending[empty[first]]
            self._keys[taken], self._values[taken] = codes[won], won
            left = np.ones(len(pending), dtype=bool)
            left[empty[first]] = False
            pending, slot = pending[left], (slot[left] + 1) & self._mask

    def _slots(self, codes: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return ((codes.view(np.uint64) * self._MULTIPLIER) >> self._shift).astype(np.int64)

    def columns(self, codes: np.ndarray) -> np.ndarray:
        """Index of each code among the table's codes, -1 where it is not one of them."""
        codes = np.ascontiguousarray(codes, dtype=np.int64)
        out = np.full(len(codes), -1, dtype=np.int64)
        active, slot = np.arange(len(codes)), self._slots(codes)
        while len(active):
            key = self._keys[slot]
            found = key == codes[active]
            out[active[found]] = self._values[slot[found]]
            go = ~found & (key != -1)  # an occupied slot of another code: probe the next
            active, slot = active[go], (slot[go] + 1) & self._mask
        return out


class CharNgrams:
    """TF-IDF of character n-grams; the same figures as TfidfVectorizer(analyzer="char",
    sublinear_tf=True), counted with numpy instead of a Python loop (about 20x faster)."""

    def __init__(self, ngram_range: tuple[int, int] = (1, 3), min_df: int = 1) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Raw n-gram counts of `texts` over the fitted vocabulary."""
        columns, rows = [], []
        for n, codes, owners in char_code_blocks(texts, tuple(self.ngram_range)):
            if n == 1:  # a character's column straight from a table of the BMP's code points
                col = self._characters()[np.minimum(codes, _BMP - 1)]
                astral = codes >= _BMP
                if astral.any():
                    col[astral] = self._table().columns(codes[astral])
            else:
                col = self._table().columns(codes)
            hit = col >= 0
            columns.append(col[hit])
            rows.append(owners[hit])
        col = np.concatenate(columns) if columns else np.zeros(0, np.int64)
        row = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        return count_matrix(row, col, (len(texts), len(self.vocabulary_)))

    def _characters(self) -> np.ndarray:
        """Column of each BMP code point's 1-gram, -1 where none (built once per process, not pickled)."""
        if getattr(self, "_bmp", None) is None:
            bmp = np.full(_BMP, -1, dtype=np.int64)
            single = np.flatnonzero(self.vocabulary_ < _BMP)
            bmp[self.vocabulary_[single]] = single
            bmp[0] = -1  # the separator (code point 0) is never a character of a text
            self._bmp = bmp
        return self._bmp

    def _table(self) -> "CodeTable":
        """The vocabulary as a hash table (built once per process, not pickled)."""
        if getattr(self, "_codes", None) is None:
            self._codes = CodeTable(self.vocabulary_)
        return self._codes

    def __getstate__(self) -> dict:
        """Pickled without the lookup tables."""
        state = super().__getstate__()
        state.pop("_bmp", None)
        state.pop("_codes", None)
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
        self._bmp = self._codes = None  # the lookup tables of `counts`, built on first use
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
        return count_matrix(row, col[known], (len(texts), len(vocab)))

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
