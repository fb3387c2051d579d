"""The store as Datasette shows it: facets and readable indicator labels."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml
from datasette.app import Datasette

import classify
import store
from scrapers import collect_inbox

METADATA = Path(__file__).resolve().parent.parent / "store" / "metadata.yml"


def test_articles_have_facets_and_chinese_indicator_labels(tmp_path, samples_dir):
    db = store.open_db(tmp_path / "casewatch.db")
    store.save_indicators(db, classify.INDICATORS)
    ids = store.save_source_result(db, collect_inbox("samples", samples_dir, set()), "data/samples", "r", "2026-W48")
    decision = {"primary": "starting_business", "confidence": 0.9, "secondary": [], "terms": [], "scores": {}}
    store.save_decisions(db, {ids[0]: decision})

    async def fetch(path):
        datasette = Datasette([str(tmp_path / "casewatch.db")], metadata=yaml.safe_load(METADATA.read_text(encoding="utf-8")))
        response = await datasette.client.get(path)
        assert response.status_code == 200, path
        return response.json()

    data = asyncio.run(fetch("/casewatch/articles.json?_labels=on&_shape=objects&indicator__notblank=1"))
    assert data["rows"][0]["indicator"] == {"value": "starting_business", "label": "企业开办"}
    facets = data["facet_results"]
    assert list(facets) == ["indicator", "region", "source", "week"]
    weeks = asyncio.run(fetch("/casewatch/articles.json?_size=0"))["facet_results"]["week"]["results"]
    assert [(w["value"], w["count"]) for w in weeks] == [("2026-W48", 79)]


def test_search_finds_two_character_words_and_phrases_in_either_script(tmp_path, samples_dir):
    db = store.open_db(tmp_path / "casewatch.db")
    store.save_indicators(db, classify.INDICATORS)
    store.save_source_result(db, collect_inbox("samples", samples_dir, set()), "data/samples", "r", "2026-W48")

    async def search(q):
        datasette = Datasette([str(tmp_path / "casewatch.db")], metadata=yaml.safe_load(METADATA.read_text(encoding="utf-8")))
        response = await datasette.client.get("/casewatch/search.json", params={"q": q, "_shape": "objects"})
        assert response.status_code == 200
        return {row["标题"] for row in response.json()["rows"]}

    tax = asyncio.run(search("纳税"))
    assert "銅川市構建稅費服務矩陣助推營商環境突破提升" in tax  # a Traditional case, found in Simplified
    assert "重庆市两江新区：扩大税收共治“朋友圈” 持续优化营商环境" in tax
    one_stop = asyncio.run(search("一网通办"))
    assert "企业简易注销“一件事”改革" in one_stop
    expected = {r["title"] for r in db["articles"].rows if "一网通办" in store.search_text(r["title"], r["body"])}
    assert one_stop == expected and len(expected) > 5
    assert asyncio.run(search("")) == set()
