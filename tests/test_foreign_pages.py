"""A page in another language is no case (issue 25): real English pages saved by someone else, ingested
beside Chinese ones, passed the gate as cases of no indicator. Kept out as 非中文页面 now; Chinese pages
whose head is mostly Latin letters (gov.cn leaders' pages: menus and scripts) keep their own reason."""

from __future__ import annotations

import json
from pathlib import Path

import classify
from classify.relevance import NOT_CHINESE, is_not_chinese, strong_reason
from scrapers.documents import parse_document

FOREIGN = sorted((Path(__file__).parent / "fixtures" / "pages" / "foreign").glob("*.html"))
DATA = Path(__file__).resolve().parent.parent / "data"


def title_and_text(path: Path) -> tuple[str, str]:
    """The page as `casewatch ingest` reads it: one article, its title and body."""
    [article], _ = parse_document(path.read_bytes(), path.name, f"file:{path.name}", "manual")
    return article.title, article.body


def test_english_pages_are_kept_out_as_pages_in_another_language(model_path):
    assert len(FOREIGN) == 2
    pages = [title_and_text(path) for path in FOREIGN]
    assert all(is_not_chinese(title, text) for title, text in pages)
    gate = classify.load_model(model_path).gate
    assert [(case, reason) for case, _, reason in gate.judge(pages)] == [(False, NOT_CHINESE)] * 2


def test_no_chinese_page_of_the_data_reads_as_another_language():
    pages = []
    for name in ("relevance/negatives.jsonl", "eval/relevance.jsonl", "eval/outside_cases.jsonl"):
        pages += [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
    assert len(pages) > 1500
    assert [p["title"] for p in pages if is_not_chinese(p.get("title"), p.get("body") or p.get("text") or "")] == []
    # Among them, leaders' pages whose head is mostly Latin letters: their Chinese title keeps them Chinese.
    latin_heads = [p for p in pages if (p.get("title") or "").startswith("李强结束出访回到北京")]
    assert latin_heads and strong_reason(None, latin_heads[0].get("body") or latin_heads[0].get("text")) == NOT_CHINESE
    assert strong_reason(latin_heads[0]["title"], latin_heads[0].get("body") or latin_heads[0].get("text")) != NOT_CHINESE
