"""Text normalisation (Traditional -> Simplified, NFKC) and jieba tokenisation."""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import rjieba

from zhtext import to_simplified

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DOMAIN_WORDS_PATH = DATA_DIR / "domain_words.txt"
STOPWORDS_PATH = DATA_DIR / "stopwords.txt"
REGIONS_PATH = DATA_DIR / "regions.csv"
# Suffixes of administrative names: 西安市 is also written 西安, 咸阳市兴平市 → 兴平.
_REGION_SUFFIX = re.compile(r"(?:特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|地区|新区|省|市|区|县|州|盟|旗)$")

_SPACES = re.compile(r"[ \t\u3000\xa0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# Tokens that carry no topic: punctuation, bare numbers, single Latin letters.
_NOISE = re.compile(r"^(?:[\W_]+|\d+(?:\.\d+)?|[a-zA-Z])$")


_remembered = threading.local()  # the text → normalised text memo of `remembering()`, per thread


@contextlib.contextmanager
def remembering() -> Iterator[None]:
    """Within the block, `normalise` answers a text it has seen in the block from memory: the
    relevance gate and the indicator model normalise the same page's body and head several
    times over. Hold it around one batch (the memo lives as long as the block)."""
    previous = getattr(_remembered, "texts", None)
    _remembered.texts = {} if previous is None else previous
    try:
        yield
    finally:
        _remembered.texts = previous


def normalise(text: str) -> str:
    """Return `text` in Simplified Chinese, NFKC-folded, with tidy whitespace."""
    memo = getattr(_remembered, "texts", None)
    if memo is None:
        return _normalise(text)
    out = memo.get(text)
    if out is None:
        out = memo[text] = _normalise(text)
    return out


@lru_cache(maxsize=1)
def _nfkc_singletons() -> tuple[re.Pattern, dict[str, str]]:
    """Every BMP character whose NFKC form alone differs from it (full-width forms, …, ①): a
    pattern that finds them and each one's form."""
    table = {}
    for code in range(0x10000):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF or unicodedata.combining(char):
            continue
        folded = unicodedata.normalize("NFKC", char)
        if folded != char:
            table[char] = folded
    return re.compile("[" + re.escape("".join(table)) + "]"), table


def nfkc(text: str) -> str:
    """`unicodedata.normalize("NFKC", text)`, about 5x faster on Chinese text.

    Replacing a character by its own NFKC form keeps the string's NFKC form (both have the same
    compatibility decomposition), so the full-width punctuation of Chinese text is folded by one
    regular expression; only a text that still is not in NFKC then (combining marks, Hangul
    jamo) goes through `unicodedata.normalize`.
    """
    pattern, table = _nfkc_singletons()
    folded = pattern.sub(lambda m: table[m.group()], text)
    return folded if unicodedata.is_normalized("NFKC", folded) else unicodedata.normalize("NFKC", folded)


def _normalise(text: str) -> str:
    """`normalise` without the memo."""
    text = nfkc(text or "")
    text = to_simplified(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def read_domain_words(path: Path = DOMAIN_WORDS_PATH) -> list[str]:
    """Read the domain dictionary: one term a line, `#` starts a comment."""
    if not path.exists():
        return []
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.append(normalise(word.split()[0]))
    return words


def read_word_list(path: Path) -> list[str]:
    """Words of a list file: whitespace-separated, `#` starts a comment."""
    if not path.exists():
        return []
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        words.extend(normalise(w) for w in line.split("#", 1)[0].split())
    return words


@lru_cache(maxsize=1)
def filler_words() -> frozenset[str]:
    """Words that never explain a decision: the stop-word list and place names."""
    return frozenset(set(read_word_list(STOPWORDS_PATH)) | place_names())


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """China's administrative divisions by name, with and without their suffix (西安市, 西安)."""
    words = set()
    if REGIONS_PATH.exists():
        for line in REGIONS_PATH.read_text(encoding="utf-8").splitlines()[1:]:
            name = line.rsplit(",", 1)[-1].strip()
            short = _REGION_SUFFIX.sub("", name)
            words.update(w for w in (name, short) if len(w) >= 2)
    return frozenset(words)


def is_filler(word: str) -> bool:
    """True for a stop word, a place name, or a token too short to mean anything alone."""
    return len(word) < 2 or word in filler_words()


def domain_words_hash(path: Path = DOMAIN_WORDS_PATH) -> str:
    """Hash of the domain dictionary, so a changed dictionary retrains the model."""
    return hashlib.sha256(path.read_bytes() if path.exists() else b"").hexdigest()[:16]


_lock = threading.Lock()
_jieba: rjieba.Jieba | None = None


def _segmenter() -> rjieba.Jieba:
    """A private rjieba instance with the domain dictionary loaded (built once)."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                seg = rjieba.Jieba()
                for word in read_domain_words():
                    # Weight domain terms above the words they would split into.
                    seg.add_word(word, max(seg.suggest_freq(word), 1000), None)
                _jieba = seg
    return _jieba


def cut(text: str) -> list[str]:
    """Segment already-normalised text into jieba words (punctuation included)."""
    return _segmenter().cut(text, True)


def tokenize(text: str) -> list[str]:
    """Jieba words of normalised text without punctuation and bare numbers.

    Module-level so a fitted TfidfVectorizer(tokenizer=tokenize) pickles.
    """
    return [w for w in _segmenter().cut(text, True) if not _NOISE.match(w) and not w.isspace()]


def constant_token(text: str) -> list[str]:
    """One constant token per text: the "constant tokeniser" ablation (words carry nothing)."""
    return ["词"]


TOKENIZERS = {"jieba": tokenize, "constant": constant_token}
# What counting over a fitted vocabulary needs: a word the tokeniser's filter drops is in no
# vocabulary (the vocabulary was built from the filtered words), so counting may skip the filter.
COUNTERS = {"jieba": cut, "constant": constant_token}
