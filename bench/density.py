"""A text- and symbol-density body extractor in the style of GeneralNewsExtractor.

Written here from the published method (洪鸿辉 等,《基于文本及符号密度的网页正文提取方法》,
2019), not from that project's code: for each element, text density is its non-link text
per non-link tag, symbol density its non-link text per punctuation mark; the element with
the highest `density · ln(symbol density) · log10(paragraphs + 2)` holds the article.
Used by bench/compare_real_extractors.py only.
"""

from __future__ import annotations

import math
import re

import lxml.html

PUNCTUATION = set("，。！？；：、“”‘’（）《》,.!?;:")
DROP = ("script", "style", "noscript", "iframe", "select", "textarea", "button")


def _text(element) -> str:
    return re.sub(r"\s+", "", element.text_content() or "")


def extract(html: str) -> str:
    """The text of the densest element of a page, one block a line."""
    from scrapers.article import block_text

    root = lxml.html.fromstring(html)
    for bad in list(root.iter(*DROP)):
        bad.drop_tree()
    body = root.find("body") if root.find("body") is not None else root
    best, best_score = body, -1.0
    for element in body.iter("div", "td", "article", "section", "main"):
        text = _text(element)
        if len(text) < 20:
            continue
        link_text = sum(len(_text(a)) for a in element.iter("a"))
        tags = sum(1 for _ in element.iter()) or 1
        link_tags = sum(1 for _ in element.iter("a"))
        plain = max(len(text) - link_text, 0)
        density = plain / max(tags - link_tags, 1)
        symbols = sum(1 for c in text if c in PUNCTUATION)
        symbol_density = plain / (symbols + 1)
        paragraphs = sum(1 for _ in element.iter("p"))
        score = density * math.log(symbol_density + 1) * math.log10(paragraphs + 2)
        if score > best_score:
            best, best_score = element, score
    return block_text(best)
