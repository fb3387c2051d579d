"""The titles that saved article pages get when ingested as files, against their gold titles.

Usage: python bench/measure_titles.py
Reads every article page of tests/fixtures/real through `parse_document` (what `casewatch
ingest` and the inbox do with a saved .html file) and prints how many titles equal the gold
title (spaces aside) and how many first bodies begin and end as the gold says, then each page
whose title differs or that gives no article.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from real_corpus import _norm, ingested_pages, title_is_gold  # noqa: E402


def main() -> None:
    pages = ingested_pages()
    rows = [(record, articles[0].title if articles else None) for record, articles in pages]
    read = [(record, title) for record, title in rows if title is not None]
    equal = sum(title_is_gold(record, title) for record, title in read)
    print(f"titles equal to the gold: {equal} of {len(read)} pages read ({len(rows)} article pages, {len(rows) - len(read)} gave no article)")
    with_text = [(record, articles) for record, articles in pages if articles and not record.get("no_text")]
    starts = sum(_norm(articles[0].body).startswith(_norm(record["body_start"])) for record, articles in with_text)
    ends = sum(_norm(articles[0].body).endswith(_norm(record["body_end"])) for record, articles in with_text)
    print(f"first body begins as the gold: {starts}, ends as the gold: {ends}, of {len(with_text)} pages with text")
    for record, title in rows:
        if not title_is_gold(record, title):
            print(f"- {record['file']}\n    gold: {record['title']}\n    got:  {title}")


if __name__ == "__main__":
    main()
