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
