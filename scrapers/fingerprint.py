"""Near-duplicate fingerprints: the same case from two sources or two compilations, stored once.

A MinHash signature of the text's character 5-shingles, taken on the Simplified
text without whitespace, punctuation or symbols, so that the script, line wrapping,
page furniture and small edits change few shingles. Two signatures agree in about
the Jaccard similarity of the two shingle sets.

Why MinHash and not SimHash: on the bundled samples (bench/README.md, "Near-duplicate
fingerprints") a 64-bit SimHash put some copies of one case further apart (16 bits)
than some different cases (19 bits); MinHash keeps them far apart (different cases
at most 0.03, copies at least 0.55).
"""

from __future__ import annotations

import hashlib
import re
import sys

import numpy as np

from zhtext import to_simplified

SHINGLE = 5
PERMUTATIONS = 128
# Estimated Jaccard similarity at or above which two texts are one case (measured:
# copies >= 0.55, different cases <= 0.03; the threshold sits between, nearer the
# different cases because a missed duplicate costs more than a false one here).
THRESHOLD = 0.25
# The threshold was measured on cases of at least this many characters (normalised). Shorter
# texts have too few shingles: two short notices from one template share most of them.
MIN_LENGTH = 100
NOISE_RE = re.compile(r"[\s\W_]+", re.UNICODE)
_PRIME = np.uint64((1 << 61) - 1)
_RANDOM = np.random.RandomState(20211108)  # fixed: signatures must be comparable across runs
_A = _RANDOM.randint(1, 1 << 61, PERMUTATIONS, dtype=np.uint64)
_B = _RANDOM.randint(0, 1 << 61, PERMUTATIONS, dtype=np.uint64)
_SHIFT = np.uint64(61)


def normalise(text: str) -> str:
    """Simplified script, lower case, without whitespace, punctuation or symbols."""
    return NOISE_RE.sub("", to_simplified(text or "")).lower()


def shingles(text: str) -> set[str]:
    """The character 5-shingles of the normalised text (the whole text when shorter)."""
    return _shingles(normalise(text))


def _shingles(chars: str) -> set[str]:
    return {chars[i : i + SHINGLE] for i in range(max(1, len(chars) - SHINGLE + 1))}


def minhash(text: str) -> np.ndarray:
    """The MinHash signature of the text: PERMUTATIONS 32-bit values."""
    return _minhash(normalise(text))


def _minhash(chars: str) -> np.ndarray:
    """The MinHash signature of an already normalised text."""
    # Each shingle's 4-byte blake2b digest read as a big-endian number, all at once.
    digests = b"".join([hashlib.blake2b(s.encode("utf-8"), digest_size=4).digest() for s in _shingles(chars)])
    values = np.frombuffer(digests, dtype=">u4").astype(np.uint64)
    # Universal hashing (a·x + b) mod p; the product wraps modulo 2^64 first, which
    # keeps the permutations independent enough for estimating similarity.
    with np.errstate(over="ignore"):
        hashed = np.multiply.outer(_A, values)
        hashed += _B[:, None]
    # y mod (2^61 - 1) without a division, the same values as `%`: y = hi·2^61 + lo is
    # congruent to hi + lo, which is below 2^61 + 8, so at most one p is taken off.
    folded = hashed >> _SHIFT
    hashed &= _PRIME
    hashed += folded
    np.subtract(hashed, _PRIME, out=hashed, where=hashed >= _PRIME)
    # The low 32 bits: every other uint32 of the array on a little-endian machine.
    low = hashed.view(np.uint32)[:, ::2] if sys.byteorder == "little" else hashed & np.uint64(0xFFFFFFFF)
    return low.min(axis=1).astype(np.uint32)


def fingerprint(text: str) -> bytes:
    """The signature as bytes (512), as the store keeps it in a BLOB column."""
    return minhash(text).astype("<u4").tobytes()


def comparable_fingerprint(text: str) -> bytes | None:
    """`fingerprint(text)` when `comparable(text)`, else None, normalising the text once."""
    chars = normalise(text)
    return _minhash(chars).astype("<u4").tobytes() if len(chars) >= MIN_LENGTH else None


def signature(value: bytes | np.ndarray) -> np.ndarray:
    """A signature from its stored bytes (or itself)."""
    return np.frombuffer(value, dtype="<u4") if isinstance(value, (bytes, bytearray, memoryview)) else value


def similarity(a: bytes | np.ndarray, b: bytes | np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures (0–1)."""
    return float(np.mean(signature(a) == signature(b)))


def comparable(text: str) -> bool:
    """True when a text is long enough for its signature to tell cases apart."""
    return len(normalise(text)) >= MIN_LENGTH


def near_duplicate(a: str, b: str, threshold: float = THRESHOLD) -> bool:
    """True when two texts are the same case."""
    return similarity(minhash(a), minhash(b)) >= threshold


def best_match(value: bytes | np.ndarray, stored: list[bytes | np.ndarray]) -> tuple[int, float] | None:
    """The stored signature most similar to `value`, if one is a near duplicate: (index, similarity)."""
    if not stored:
        return None
    matrix = np.vstack([signature(s) for s in stored])
    scores = (matrix == signature(value)).mean(axis=1)
    index = int(scores.argmax())
    return (index, float(scores[index])) if scores[index] >= THRESHOLD else None
