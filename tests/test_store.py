"""The store: schema, idempotent saves, classifications and human labels."""

from __future__ import annotations

import json
import sqlite3

import pytest
import sqlite_utils

import classify
import store
from scrapers import Article, Document, SourceResult, collect_inbox


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
    assert [r["error"] for r in db["fetch_errors"].rows_where("run = ?", ["r1"])] == ["inbox folder /x does not exist"]


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


def test_a_transaction_commits_together_or_not_at_all(db):
    with pytest.raises(RuntimeError):
        with store.transaction(db):
            db["runs"].insert({"id": "r1", "status": "running"}, pk="id")
            db["runs"].insert({"id": "r2", "status": "running"}, pk="id")
            raise RuntimeError("crash between two writes")
    assert db["runs"].count == 0 and not db.conn.in_transaction
    with store.transaction(db):
        db["runs"].insert({"id": "r1", "status": "running"}, pk="id")
        with pytest.raises(RuntimeError):
            with store.transaction(db):  # nested: a savepoint, undone alone
                db["runs"].insert({"id": "r2", "status": "running"}, pk="id")
                raise RuntimeError
        assert db.conn.in_transaction
    assert [r["id"] for r in db["runs"].rows] == ["r1"]


def test_a_write_the_database_refuses_rolls_back_the_whole_transaction(db):
    store.start_run(db, "r1", "2026-W48")
    with pytest.raises(sqlite3.IntegrityError):
        with store.transaction(db):
            db["runs"].insert({"id": "r2", "status": "running"}, pk="id")
            db.execute("insert into runs (id) values ('r1')")  # duplicate key: only this statement fails
    assert [r["id"] for r in db["runs"].rows] == ["r1"] and not db.conn.in_transaction


def test_a_document_is_committed_with_its_articles(db, samples_result, monkeypatch):
    from store import db as store_db

    real = store_db.save_articles
    calls = []

    def fail_on_the_second_document(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(store_db, "save_articles", fail_on_the_second_document)
    with pytest.raises(OSError):
        store.save_source_result(db, samples_result, "data/samples", "r", "2026-W48")
    first = samples_result.documents[0]
    assert store.known_documents(db) == {first.sha256}
    assert db["documents"].count == 1
    assert db["articles"].count_where("document = ?", [first.sha256]) == first.articles > 0


def test_articles_without_a_document_are_saved_in_batches(db, monkeypatch):
    from store import db as store_db

    monkeypatch.setattr(store_db, "BATCH", 3)
    pages = [Article(title=f"案例{i}", body=f"正文{i}。", url=f"https://example.org/{i}.html", source="web") for i in range(7)]
    statements = []
    db.conn.set_trace_callback(statements.append)
    new = store.save_source_result(db, SourceResult("web", "site", articles=pages), "https://example.org/", "r", "2026-W48")
    db.conn.set_trace_callback(None)
    assert len(new) == 7 and db["articles"].count == 7
    assert statements.count("BEGIN IMMEDIATE") == 3 + 1  # three batches, then the source's row


def test_reading_a_document_again_keeps_when_it_was_first_seen(db):
    broken = Document("f" * 64, "broken.pdf", "/in/broken.pdf", "inbox", "inbox", "failed", "corrupt PDF")
    result = SourceResult("inbox", "inbox", documents=[broken], errors=["broken.pdf: corrupt PDF"])
    store.save_source_result(db, result, "/in", "r1", "2026-W48")
    db.execute("update documents set first_seen = '2026-01-01T00:00:00+00:00'")
    store.save_source_result(db, result, "/in", "r2", "2026-W49")
    assert db["documents"].get("f" * 64)["first_seen"] == "2026-01-01T00:00:00+00:00"


def test_an_older_store_gets_the_missing_columns_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    old["runs"].insert({"id": "r1", "week": "2026-W40", "status": "ok"}, pk="id")
    old["documents"].insert({"sha256": "a" * 64, "name": "x.pdf", "status": "ok", "articles": 3}, pk="sha256")
    old.close()
    db = store.open_db(path)
    assert store.schema_gaps(db) == []
    assert {"error"} <= set(db["runs"].columns_dict)
    assert {"error_type", "furniture", "first_seen"} <= set(db["documents"].columns_dict)
    assert db["runs"].get("r1") == dict.fromkeys(store.TABLES["runs"]["columns"]) | {"id": "r1", "week": "2026-W40", "status": "ok"}
    assert db["documents"].get("a" * 64)["articles"] == 3
    store.finish_run(db, "r1", status="failed", error="RuntimeError: boom")
    assert db["runs"].get("r1")["error"] == "RuntimeError: boom"


def test_a_sources_errors_in_the_digest_are_its_latest_runs_even_within_the_same_second(db, monkeypatch):
    """Two quick runs can save a source's errors within one second (the store's clock): the second
    run's errors must replace the first's, not be listed with them (seen once in CI)."""
    from store import reports

    monkeypatch.setattr(store.db, "now", lambda: "2026-11-24T08:00:00+00:00")
    for run, error in (("r1", "1004.pdf: corrupt or unreadable PDF: EOF marker not found"), ("r2", "no article links found on http://x/list")):
        store.start_run(db, run, "2026-W48")
        store.save_source_result(db, SourceResult("nb", "site", errors=[error]), "http://x/list", run, "2026-W48")
    [outcome] = reports.source_outcomes(db, "2026-W48", since="2026-11-23T00:00:00+00:00")
    assert outcome["errors"] == ["no article links found on http://x/list"]


def test_a_sources_errors_in_the_digest_are_all_its_runs_saves_and_a_later_run_clears_them(db, monkeypatch):
    """A backfill saves its source once a batch, in one run: every batch's failed files are the run's
    outcome, whatever second each was saved in, and a later batch that read well clears none of them (a
    backfill of 13 real files listed 2 of its 5 failed files with a scoring worker, all 5 without one)."""
    from itertools import count

    from store import reports

    clock = count()
    monkeypatch.setattr(store.db, "now", lambda: f"2026-11-24T08:00:{next(clock):02d}+00:00")
    store.start_run(db, "r1", "2026-W48")
    for errors in (["a.pdf: corrupt or unreadable PDF"], ["b.docx: corrupt or unreadable DOCX"], []):
        store.save_source_result(db, SourceResult("backfill", "document", errors=errors), "", "r1", "2026-W48")
    [outcome] = reports.source_outcomes(db, "2026-W48", since="2026-11-23T00:00:00+00:00")
    assert outcome["errors"] == ["a.pdf: corrupt or unreadable PDF", "b.docx: corrupt or unreadable DOCX"]
    store.start_run(db, "r2", "2026-W48")
    store.save_source_result(db, SourceResult("backfill", "document"), "", "r2", "2026-W48")
    [outcome] = reports.source_outcomes(db, "2026-W48", since="2026-11-23T00:00:00+00:00")
    assert outcome["errors"] == []  # read well by a later run


def test_a_digests_count_of_earlier_cases_by_source_reads_an_index_not_every_article(db):
    """A backfill writes a digest per week, and each counts every source's cases of the weeks before: walking
    every article's row for it made the digests of a 20,000-case backfill read each article 50 times."""
    from store.reports import BEFORE_WEEK_BY_SOURCE

    db["articles"].insert_all(
        [{"id": f"a{n}", "title": "t", "body": "正文" * 500, "source": f"s{n % 3}", "week": f"2024-W{n % 50 + 1:02d}"} for n in range(300)]
    )
    db.execute("analyze")
    plan = " ".join(row[-1] for row in db.execute("explain query plan " + BEFORE_WEEK_BY_SOURCE, ["2024-W30"]).fetchall())
    assert "COVERING INDEX" in plan and "(week<?)" in plan, plan
    assert dict(db.execute(BEFORE_WEEK_BY_SOURCE, ["2024-W03"]).fetchall()) == {"s0": 4, "s1": 4, "s2": 4}
