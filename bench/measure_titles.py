"""The titles that saved article pages get when ingested as files, against their gold titles.

Usage: python bench/measure_titles.py
Reads every article page of tests/fixtures/real through `parse_document` (what `casewatch
ingest` and the inbox do with a saved .html file) and prints how many titles equal the gold
title (spaces aside), then each page that differs or gives no article.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from real_corpus import ingested_titles, title_is_gold  # noqa: E402


def main() -> None:
    rows = ingested_titles()
    read = [(record, title) for record, title in rows if title is not None]
    equal = sum(title_is_gold(record, title) for record, title in read)
    print(f"titles equal to the gold: {equal} of {len(read)} pages read ({len(rows)} article pages, {len(rows) - len(read)} gave no article)")
    for record, title in rows:
        if not title_is_gold(record, title):
            print(f"- {record['file']}\n    gold: {record['title']}\n    got:  {title}")


if __name__ == "__main__":
    main()
