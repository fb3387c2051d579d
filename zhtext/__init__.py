"""Chinese text helpers shared by every stage: script conversion, numerals, section headings.

This is the lowest layer of the project: it imports nothing from casewatch's other
packages, so scrapers/, classify/, store/ and digests/ can all use it.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["DIGITS", "HEADING_RE", "NUMERAL_CHARS", "chinese_numeral", "is_heading", "to_simplified"]

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


def to_simplified(text: str) -> str:
    """Traditional to Simplified Chinese (OpenCC t2s)."""
    return _converter().convert(text)
