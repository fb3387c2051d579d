"""Chinese text helpers shared by every stage: script conversion, numerals, section headings.

This is the lowest layer of the project: it imports nothing from casewatch's other
packages, so scrapers/, classify/, store/ and digests/ can all use it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

__all__ = ["DIGITS", "HEADING_RE", "NUMERAL_CHARS", "chinese_numeral", "garbled", "is_heading", "to_simplified"]

DIGITS = "零一二三四五六七八九"
UNITS = {"十": 10, "百": 100, "千": 1000}
# Characters of a Chinese numeral (〇 and 两 as they appear in dates and counts).
NUMERAL_CHARS = "〇零一二两三四五六七八九十百千"

# A line that opens a numbered section: 一、 （一） 1、 一是 第一章 案例1 …
HEADING_RE = re.compile(
    rf"^(?:[{NUMERAL_CHARS}]+[、.．]"
    rf"|[（(][{NUMERAL_CHARS}\d]+[）)]"
    r"|\d{1,3}\s*[、.．](?!\d)"
    rf"|[{NUMERAL_CHARS}]+是"
    rf"|第[{NUMERAL_CHARS}\d]+[章节条部分篇]"
    r"|案例\s*\d+)"
)


def is_heading(text: str) -> bool:
    """True for lines that open a numbered section (一、 （一） 1. 一是 案例1 …)."""
    return bool(HEADING_RE.match(text))


def chinese_numeral(text: str) -> int:
    """Value of a Chinese numeral below ten thousand: 一 → 1, 十二 → 12, 一百零五 → 105.

    Raises ValueError for text that is not a numeral.
    """
    if not text or any(ch not in NUMERAL_CHARS for ch in text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    total, digit = 0, None
    for ch in text:
        if ch in UNITS:
            total += (1 if digit is None else digit) * UNITS[ch]
            digit = None
        else:
            digit = 0 if ch in "〇零" else 2 if ch == "两" else DIGITS.index(ch)
    return total + (digit or 0)


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


# The same text is converted by several stages in a row (a sentence by the summary, then by its
# figures; a body by the signature, the search index and the classifier): remembered, each is
# converted once. A few thousand entries are a few MB, whatever the size of the archive.
@lru_cache(maxsize=2048)
def to_simplified(text: str) -> str:
    """Traditional to Simplified Chinese (OpenCC t2s)."""
    return _converter().convert(text)


# Mojibake (text decoded with the wrong encoding: UTF-8 read as GBK, Big5 as GBK …) is mostly
# characters outside the 3,000 most frequent; real Chinese text has under 1% of them, place
# and person names included. A stretch of this many characters with this many rare ones is garbled.
GARBLED_WINDOW = 12
GARBLED_RARE = 5
# UTF-8 read as Latin-1 or cp1252: "ä¸­å›½" for 中国.
LATIN1_UTF8_RE = re.compile(r"[\u00c0-\u00ef][\u0080-\u00bf\u2018-\u203a\u0152-\u0178]{1,2}")
CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=1)
def _common_chars() -> frozenset[str]:
    path = Path(__file__).with_name("common_chars.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset("".join(line for line in lines if not line.startswith("#")))


@lru_cache(maxsize=1)
def _rare_table():
    """For every code point of the Basic Multilingual Plane, whether it is a CJK character outside the common list."""
    import numpy as np

    points = np.arange(0x10000)
    cjk = ((points >= 0x3400) & (points <= 0x9FFF)) | ((points >= 0xF900) & (points <= 0xFAFF))
    common = np.zeros(0x10000, dtype=bool)
    common[[ord(ch) for ch in _common_chars() if ord(ch) < 0x10000]] = True
    return cjk, cjk & ~common


def garbled(text: str) -> str | None:
    """The first stretch of `text` that reads as mojibake ("绊椖抗芗摇比鞒虆"), or None if it reads as Chinese."""
    import numpy as np

    mangled = list(LATIN1_UTF8_RE.finditer(text))
    if len(mangled) >= 3:
        return text[mangled[0].start() : mangled[0].start() + 20]
    simple = to_simplified(text)  # Traditional characters are rare in the list, not in Traditional text
    shown = text if len(simple) == len(text) else simple
    # Every character at once (a character per Python step cost a digest of 80 weeks 10 s):
    # the CJK characters' positions, and for each window of GARBLED_WINDOW of them ending
    # at the k-th how many are rare; the first window with GARBLED_RARE is the stretch.
    points = np.frombuffer(simple.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    points = np.minimum(points, 0xFFFF)  # above the BMP: neither CJK (by CJK_RE's ranges) nor common
    is_cjk, is_rare = _rare_table()
    positions = np.flatnonzero(is_cjk[points])
    if len(positions) < GARBLED_RARE:
        return None
    rare = np.cumsum(is_rare[points[positions]], dtype=np.int64)
    window = rare.copy()
    window[GARBLED_WINDOW:] -= rare[:-GARBLED_WINDOW]
    hits = np.flatnonzero(window >= GARBLED_RARE)
    if not len(hits):
        return None
    k = int(hits[0])
    start = int(positions[max(0, k - GARBLED_WINDOW + 1)])
    return shown[start : int(positions[k]) + 1]
