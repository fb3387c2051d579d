"""The store: schema, idempotent saves, classifications and human labels."""

from __future__ import annotations

import json

import pytest

import classify
import store
from scrapers import Article, SourceResult, collect_inbox


@pytest.fixture
def samples_result(samples_dir):
    return collect_inbox("samples", samples_dir, seen=set())


def rows(db):
    return {r["id"]: r for r in db["articles"].rows}


def test_schema_has_the_stable_article_columns(db):
    stable = {"id", "title", "body", "url", "source", "region", "published", "week", "indicator", "confidence", "first_seen"}
    assert stable <= set(db["articles"].columns_dict)
    assert {fk.column: fk.other_table for fk in db["articles"].foreign_keys}["indicator"] == "indicators"


def test_saving_the_same_sources_twice_adds_and_changes_nothing(db, samples_result):
    store.save_indicators(db, classify.INDICATORS)
    first = store.save_source_result(db, samples_result, "data/samples", "run1", "2026-W48")
    before = rows(db)
    second = store.save_source_result(db, samples_result, "data/samples", "run2", "2026-W49")
    assert len(first) == 79 and second == []
    assert rows(db) == before  # same rows, same week and first_seen
    assert db["articles"].count == 79
    assert store.known_documents(db) == {d.sha256 for d in samples_result.documents}


def test_article_ids_are_stable_and_content_based():
    a = store.article_id("标题", "正文 第一段\n\n第二段")
    assert a == store.article_id("标题", "正文第一段 第二段")  # whitespace does not matter
    assert a != store.article_id("标题", "正文第一段第三段")
    assert len(a) == 16


def test_the_same_case_in_two_files_is_one_article(db):
    article = Article(title="案例", body="正文。", url="a.txt", source="inbox")
    twin = Article(title="案例", body="正文。", url="b.txt", source="inbox")
    new = store.save_articles(db, [article, twin], "2026-W48", "2026-11-23T00:00:00+00:00")
    assert len(new) == 1 and db["articles"].count == 1


def test_failed_source_errors_are_recorded(db):
    result = SourceResult("site", "inbox", errors=["inbox folder /x does not exist"])
    store.start_run(db, "r1", "2026-W48")
    store.save_source_result(db, result, "/x", "r1", "2026-W48")
    assert db["sources"].get("site")["last_status"] == "failed"
    assert [r["error"] for r in store.week_failures(db, "2026-W48")] == ["inbox folder /x does not exist"]


def test_decisions_are_stored_and_human_labels_override_them(db, samples_result):
    store.save_indicators(db, classify.INDICATORS)
    ids = store.save_source_result(db, samples_result, "data/samples", "r", "2026-W48")
    decision = {"primary": "taxes", "confidence": 0.9, "secondary": ["credit"], "terms": ["纳税"], "scores": {"taxes": 0.9}}
    store.save_decisions(db, {ids[0]: decision})
    row = db["articles"].get(ids[0])
    assert (row["indicator"], row["confidence"], json.loads(row["secondary"])) == ("taxes", 0.9, ["credit"])
    assert len(store.unclassified(db)) == 78

    store.save_label(db, ids[1], "electricity")
    assert db["articles"].get(ids[1])["indicator"] == "electricity"
    assert db["articles"].get(ids[1])["label_source"] == "human"
    assert ids[1] not in {r["id"] for r in store.unclassified(db)}
    assert [r["indicator"] for r in store.human_labels(db)] == ["electricity"]
    with pytest.raises(KeyError):
        store.save_label(db, "no-such-id", "taxes")
