"""Near-duplicate fingerprints: the same case from two sources or two compilations, stored once.

A MinHash signature of the text's character 5-shingles, taken on the Simplified
text without whitespace, punctuation or symbols, so that the script, line wrapping,
page furniture and small edits change few shingles. Two signatures agree in about
the Jaccard similarity of the two shingle sets.

Why MinHash and not SimHash: on the bundled samples (bench/README.md, "Near-duplicate
fingerprints") a 64-bit SimHash put some copies of one case further apart (16 bits)
than some different cases (19 bits); MinHash keeps them far apart (different cases
at most 0.03, copies at least 0.55).

The shingles of a text are hashed all at once in numpy (version 2 of the signature; version
1 made a blake2b call per shingle, about 80% of the signature's time): stores made before are
recomputed by the schema step `0005_speed_fingerprints_v2` (store/migrations.py).
"""

from __future__ import annotations

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
# Version of the signature: the store's fingerprints were made by this version, and a
# store whose fingerprints an earlier version made recomputes them (store/migrations.py).
# Version 1 hashed each shingle with blake2b (one Python call per shingle) and permuted by
# (a·x + b) mod 2^61−1; version 2 hashes all shingles of a text at once in numpy.
VERSION = 2
_RANDOM = np.random.RandomState(20211108)  # fixed: signatures must be comparable across runs
# Odd multipliers and any offsets: (a·x + b) mod 2^64, its high 32 bits, is a multiply-shift
# hash family (Dietzfelbinger), universal enough for estimating similarity.
_A = _RANDOM.randint(0, 1 << 63, PERMUTATIONS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_B = _RANDOM.randint(0, 1 << 63, PERMUTATIONS, dtype=np.uint64)
# Polynomial base for a shingle's code points, and splitmix64's finaliser to spread the bits.
_BASE = np.uint64(0x100000001B3)
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)


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
    return np.min(_permuted(_shingle_hashes(chars)), axis=1)


def _shingle_hashes(chars: str) -> np.ndarray:
    """A 64-bit hash of every character 5-shingle of `chars` (of the whole text when shorter), all at once.

    A shingle's value is the polynomial of its code points modulo 2^64, mixed by splitmix64's
    finaliser. A shingle that occurs twice gives its value twice, which changes no minimum.
    """
    points = np.frombuffer(chars.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint64)
    width = min(SHINGLE, len(points))
    if width == 0:
        points, width = np.zeros(1, dtype=np.uint64), 1
    count = len(points) - width + 1
    with np.errstate(over="ignore"):
        value = points[:count].copy()
        for offset in range(1, width):
            value *= _BASE
            value += points[offset : offset + count]
        value ^= value >> _S30
        value *= _MIX1
        value ^= value >> _S27
        value *= _MIX2
        value ^= value >> _S31
    return value


def _permuted(values: np.ndarray) -> np.ndarray:
    """The high 32 bits of (a·x + b) mod 2^64 for each of the PERMUTATIONS (a, b): one row a permutation."""
    with np.errstate(over="ignore"):
        hashed = np.multiply.outer(_A, values)
        hashed += _B[:, None]
    # The high 32 bits: every other uint32 of the array, starting at the second, on a little-endian machine.
    return hashed.view(np.uint32)[:, 1::2] if sys.byteorder == "little" else (hashed >> np.uint64(32)).astype(np.uint32)


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


# --- Whether two near-duplicate texts are one case ---------------------------------------
#
# MinHash finds texts that share much of their wording; two different cases can too: two pages
# that share a paragraph (a policy's boilerplate), two penalty decisions of one regulator written
# from one template. bench/measure_near_duplicates.py measures the rule below on such pairs.

# A copy of a case carries (nearly) all of the shorter text: the share of the shorter text's
# shingles found in the longer one. Two different pages sharing a paragraph stay well below it.
CONTAINMENT = 0.7
# With titles that share little, the bodies must be (nearly) the same text.
CONTAINMENT_OTHER_TITLE = 0.85
# Titles sharing at least this share of the shorter one's character pairs name the same case.
TITLE_OVERLAP = 0.5
# Identifiers that tell cases of one template apart: a document number (文号: 〔2019〕64号,
# [2020]第3号, 2021-015号), an amount of money, a party named after 当事人 and its kin.
DOCUMENT_NUMBER_RE = re.compile(r"[〔\[（(【]\s*((?:19|20)\d{2})\s*[〕\]）)】]\s*第?\s*(\d{1,6})\s*号")
AMOUNT_RE = re.compile(r"(\d+(?:[.,]\d+)*(?:\.\d+)?)\s*(万元|亿元|元)")
PARTY_RE = re.compile(
    r"(?:当事人|被处罚人(?:姓名|名称)?|被处罚(?:单位|机构)(?:名称)?|受处罚(?:人|机构|单位)(?:姓名|名称)?|单位名称|个人姓名)"
    r"\s*[:：]\s*([^\s，,。；;：:（(]{2,40}?)"
    r"(?=住址|地址|住所|身份证|统一社会信用代码|注册号|法定代表人|负责人|主要负责人|年龄|性别|职务|[\s，,。；;：:（(]|$)"
)


def identifiers(text: str) -> dict[str, set[str]]:
    """The document numbers, amounts of money and parties a text names (Simplified, without spaces)."""
    flat = re.sub(r"\s+", "", to_simplified(text or ""))
    return {
        "number": {f"{y}-{int(n)}" for y, n in DOCUMENT_NUMBER_RE.findall(flat)},
        "amount": {re.sub(r"\.0+$", "", v.replace(",", "")) + unit for v, unit in AMOUNT_RE.findall(flat)},
        "party": set(PARTY_RE.findall(flat)),
    }


def conflicting_identifiers(a: str, b: str) -> list[str]:
    """Which kinds of identifier the two texts both name and disagree on.

    A copy may drop a sentence, so one text naming fewer amounts than the other is no
    conflict; two sets of which neither holds the other are. Document numbers and parties
    must be the same when both name them.
    """
    ids_a, ids_b = identifiers(a), identifiers(b)
    found = []
    for kind in ("number", "party"):
        if ids_a[kind] and ids_b[kind] and not ids_a[kind] & ids_b[kind]:
            found.append(kind)
    amounts_a, amounts_b = ids_a["amount"], ids_b["amount"]
    if amounts_a and amounts_b and not (amounts_a <= amounts_b or amounts_b <= amounts_a):
        found.append("amount")
    return found


def containment(a: str, b: str) -> float:
    """The share of the shorter text's shingles that the longer text holds (exact, 0–1)."""
    sa, sb = shingles(a), shingles(b)
    small, large = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
    return len(small & large) / len(small) if small else 0.0


def title_overlap(a: str, b: str) -> float:
    """The share of the shorter title's character pairs found in the other (0–1; 1 when either is empty)."""
    pa, pb = (_pairs(normalise(t)) for t in (a, b))
    if not pa or not pb:
        return 1.0
    small, large = (pa, pb) if len(pa) <= len(pb) else (pb, pa)
    return len(small & large) / len(small)


def _pairs(chars: str) -> set[str]:
    return {chars[i : i + 2] for i in range(len(chars) - 1)} or ({chars} if chars else set())


def same_case(title_a: str, body_a: str, title_b: str, body_b: str) -> bool:
    """Whether two texts whose signatures are near duplicates are one case (bench/README.md).

    Not when they name different document numbers, parties or amounts (titles included);
    else when the shorter text is (nearly) contained in the longer, more strictly when
    the titles share little.
    """
    if conflicting_identifiers(f"{title_a}\n{body_a}", f"{title_b}\n{body_b}"):
        return False
    needed = CONTAINMENT if title_overlap(title_a, title_b) >= TITLE_OVERLAP else CONTAINMENT_OTHER_TITLE
    return containment(body_a, body_b) >= needed


def best_match(value: bytes | np.ndarray, stored: list[bytes | np.ndarray]) -> tuple[int, float] | None:
    """The stored signature most similar to `value`, if one is a near duplicate: (index, similarity)."""
    if not stored:
        return None
    matrix = np.vstack([signature(s) for s in stored])
    scores = (matrix == signature(value)).mean(axis=1)
    index = int(scores.argmax())
    return (index, float(scores[index])) if scores[index] >= THRESHOLD else None
