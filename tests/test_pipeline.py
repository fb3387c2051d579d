"""pipeline.Run: every run's row ends ok, partial or failed, with what happened."""

from __future__ import annotations

import pytest

import store
from casewatch import pipeline
from casewatch.errors import RunFailed
from scrapers import Document, SourceResult


@pytest.fixture
def samples(samples_dir):
    return {"name": "samples", "kind": "inbox", "path": str(samples_dir)}


def run_row(db_path) -> dict:
    rows = list(store.open_db(db_path)["runs"].rows)
    assert len(rows) == 1
    return rows[0]


def test_a_clean_run_ends_ok(tmp_path, samples):
    db_path = tmp_path / "cw.db"
    with pipeline.Run(db_path, "2026-W48") as run:
        assert run_row(db_path)["status"] == "running"
        new = run.save(pipeline.collect(samples, db_path), samples)
    row = run_row(db_path)
    assert len(new) == 79
    assert (row["id"], row["status"], row["error"], row["new_articles"], row["errors"]) == (run.id, "ok", None, 79, 0)
    assert row["finished"] >= row["started"]
    assert run.summary() | {"db": None} == {
        "run": run.id, "week": "2026-W48", "status": "ok", "error": None, "new_articles": 79, "classified": 0,
        "errors": 0, "failures": [], "waiting": [], "db": None, "digest": None, "mail": None, "mail_failed": False,
        "deliveries": [], "reader_digests": [],
    }


def test_a_failed_document_or_source_makes_the_run_partial(tmp_path):
    broken = Document("b" * 64, "broken.pdf", "/in/broken.pdf", "inbox", "inbox", "failed", "corrupt PDF")
    inbox = SourceResult("inbox", "inbox", documents=[broken], errors=["broken.pdf: corrupt PDF"])
    db_path = tmp_path / "cw.db"
    with pipeline.Run(db_path, "2026-W48") as run:
        run.save(inbox, {"name": "inbox"})
        run.save(pipeline.failed_collection({"name": "site", "kind": "site"}, TimeoutError("no answer")), {"name": "site"})
    assert run.failures == [("broken.pdf", "corrupt PDF"), ("site", "collection failed: TimeoutError: no answer")]
    row = run_row(db_path)
    assert (row["status"], row["errors"]) == ("partial", 2)
    assert row["error"] == "broken.pdf: corrupt PDF\ncollection failed: TimeoutError: no answer"
    assert store.open_db(db_path)["sources"].get("site")["last_status"] == "failed"


def test_a_step_that_raises_fails_the_run_with_its_error(tmp_path, samples):
    db_path = tmp_path / "cw.db"
    with pytest.raises(RunFailed, match=r"^run \w{12} failed: ZeroDivisionError: division by zero$") as raised:
        with pipeline.Run(db_path, "2026-W48") as run:
            run.save(pipeline.collect(samples, db_path), samples)
            1 / 0
    assert isinstance(raised.value.__cause__, ZeroDivisionError)
    row = run_row(db_path)
    assert (row["status"], row["error"], row["new_articles"]) == ("failed", "ZeroDivisionError: division by zero", 79)
    assert row["finished"]


def test_an_interrupted_run_is_recorded_and_the_interrupt_goes_on(tmp_path):
    db_path = tmp_path / "cw.db"
    with pytest.raises(KeyboardInterrupt):
        with pipeline.Run(db_path, "2026-W48"):
            raise KeyboardInterrupt
    assert (run_row(db_path)["status"], run_row(db_path)["error"]) == ("failed", "KeyboardInterrupt")


def test_failures_name_each_failed_document_once_and_the_source_for_other_errors():
    documents = [
        Document("a" * 64, "a.pdf", "/in/a.pdf", "inbox", "inbox", "failed", "corrupt PDF"),
        Document("b" * 64, "b.txt", "/in/b.txt", "inbox", "inbox", "failed", "cannot read /in/b.txt: Permission denied"),
        Document("c" * 64, "c.txt", "/in/c.txt", "inbox", "inbox"),
    ]
    errors = ["a.pdf: corrupt PDF", "cannot read /in/b.txt: Permission denied", "robots.txt forbids /in"]
    assert pipeline.failures(SourceResult("inbox", "inbox", documents=documents, errors=errors)) == [
        ("a.pdf", "corrupt PDF"),
        ("b.txt", "cannot read /in/b.txt: Permission denied"),
        ("inbox", "robots.txt forbids /in"),
    ]
