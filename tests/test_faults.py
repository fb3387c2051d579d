"""A save stopped between any two of its writes loses no case: the next run stores them all.

A run's writes are counted with SQLite's trace callback, which sees every statement
SQLite starts (the driver's and sqlite-utils' own BEGIN, SAVEPOINT, COMMIT included).
For every N (a spread of 24 of them unless CASEWATCH_FULL=1, tests/budget.py), a save is stopped when its N-th write starts: killed (`os._exit` in a
forked child, as `kill -9` or the OOM killer would) or failed (the statement is
interrupted and raises, as a full disk would; SQLite does not interrupt a SAVEPOINT
or RELEASE, so there the failure comes at the next write). Then the normal collect
and save run again on that store and must leave it as one uninterrupted save does.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from dataclasses import dataclass

import pytest
from budget import spread

import store
from casewatch import pipeline
from scrapers import Article, SourceResult

WEEK = "2026-W48"
WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|BEGIN|COMMIT|END|SAVEPOINT|RELEASE)\b", re.I)
# SQLite runs these to the end even when interrupted: a failure there happens at the next write.
UNINTERRUPTIBLE = re.compile(r"\s*(SAVEPOINT|RELEASE)\b", re.I)
KILLED, FINISHED, RAISED = 17, 0, 3  # exit codes of the child

# Articles that come without a document, as web pages will: saved in batches.
PAGES = SourceResult(
    "web",
    "site",
    articles=[
        Article(title=f"网上办事案例{i}", body=f"某市推行第{i}项改革，企业办事时间压缩一半。", url=f"https://example.org/{i}.html", source="web")
        for i in range(7)
    ],
)


@pytest.fixture
def inbox(tmp_path, samples_dir):
    """Two compilations (11 cases) and a file that cannot be read."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    for prefix in ("003", "004"):
        path = next(samples_dir.glob(f"{prefix}_*.txt"))
        shutil.copy(path, folder / path.name)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 nonsense")
    return {"name": "inbox", "kind": "inbox", "path": str(folder)}


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    """Three batches of pages, so a kill can fall between two of them."""
    from store import db

    monkeypatch.setattr(db, "BATCH", 3)


def collect_and_save(db_path, inbox: dict) -> None:
    """What a run does with the store, source by source: collect (skipping documents already read), save."""
    pipeline.save(db_path, pipeline.collect(inbox, db_path), inbox, "run", WEEK)
    pipeline.save(db_path, PAGES, {"name": "web"}, "run", WEEK)


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory):
    """A store with its schema and nothing else, as a run finds it once the run has started."""
    path = tmp_path_factory.mktemp("template") / "empty.db"
    db = store.open_db(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, so a copy is whole
    db.conn.close()
    return path


def fresh_store(empty_store, path):
    """A copy of the empty store (cheaper than creating one for every kill)."""
    shutil.copy(empty_store, path)
    return path


class Writes:
    """Counts the write statements SQLite starts on every connection the store opens; acts on the N-th.

    `not_at` matches statements the action is put off past (to the next write).
    """

    def __init__(self, stop_at: int | None = None, action=None, not_at: re.Pattern | None = None) -> None:
        self.count = 0
        self.stop_at = stop_at
        self.action = action
        self.not_at = not_at
        self.done = False
        self.connections: list[sqlite3.Connection] = []
        self.closed_in_transaction = 0  # connections closed with a transaction still open (closing discards it)

    def open_db(self, path):
        db = real_open_db(path)
        self.connections.append(db.conn)
        db.conn.set_trace_callback(lambda sql, conn=db.conn: self.statement(sql, conn))
        close = db.close

        def close_and_count() -> None:
            self.closed_in_transaction += db.conn.in_transaction
            close()

        db.close = close_and_count
        return db

    def transactions_left_open(self) -> int:
        """Connections whose transaction the code left open: still open now, or open when closed."""
        still = 0
        for conn in self.connections:
            try:
                still += conn.in_transaction
            except sqlite3.ProgrammingError:  # closed
                pass
        return still + self.closed_in_transaction

    def statement(self, sql: str, conn: sqlite3.Connection) -> None:
        if not WRITE.match(sql):
            return
        self.count += 1
        if self.stop_at and self.count >= self.stop_at and not self.done:
            if not (self.not_at and self.not_at.match(sql)):
                self.done = True
                self.action(conn)


real_open_db = store.open_db


@dataclass
class Outcome:
    """What a store holds after a save, in the terms that matter here."""

    articles: set[str]
    documents: dict[str, str]
    # A source's last_status describes its latest collection only (the rerun's), so not compared.
    sources: set[str]

    @classmethod
    def of(cls, path) -> Outcome:
        db = real_open_db(path)
        return cls(
            {row["id"] for row in db["articles"].rows},
            {row["sha256"]: row["status"] for row in db["documents"].rows},
            {row["name"] for row in db["sources"].rows},
        )


@pytest.fixture
def reference(tmp_path, inbox, empty_store, monkeypatch):
    """An uninterrupted save: its outcome, the cases of each document and how many writes it takes."""
    path = fresh_store(empty_store, tmp_path / "reference.db")
    writes = Writes()
    with monkeypatch.context() as patch:
        patch.setattr(store, "open_db", writes.open_db)
        collect_and_save(path, inbox)
    db = real_open_db(path)
    cases = {sha: {r["id"] for r in db["articles"].rows_where("document = ?", [sha])} for sha in Outcome.of(path).documents}
    return Outcome.of(path), cases, writes.count


def assert_no_document_is_ok_without_its_cases(path, cases) -> set[str]:
    db = real_open_db(path)
    stored = {row["id"] for row in db["articles"].rows}
    for sha in store.known_documents(db):
        assert cases[sha] <= stored, f"document {sha[:8]} is ok but {len(cases[sha] - stored)} of its cases are missing"
    return stored


def test_the_reference_save_stores_every_case_and_the_failure(reference):
    outcome, cases, writes = reference
    assert len(outcome.articles) == 11 + 7
    assert sorted(outcome.documents.values()) == ["failed", "ok", "ok"]
    assert sorted(len(ids) for ids in cases.values()) == [0, 1, 10]
    assert outcome.sources == {"inbox", "web"}
    assert writes >= 3 * 2 + 3 * 2  # at least BEGIN and COMMIT per document and per batch of pages


def test_a_save_killed_at_any_write_loses_no_case(tmp_path, inbox, empty_store, reference):
    outcome, cases, writes = reference
    stored_when_killed = []
    for n in spread(writes, 24):  # every write with CASEWATCH_FULL=1 (tests/budget.py)
        path = fresh_store(empty_store, tmp_path / f"killed-{n}.db")
        pid = os.fork()
        if pid == 0:  # the child never returns into pytest
            code = RAISED
            try:
                store.open_db = Writes(n, lambda conn: os._exit(KILLED)).open_db  # this process only
                collect_and_save(path, inbox)
                code = FINISHED
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == KILLED, f"not killed at write {n} (0: finished, 3: raised)"
        stored_when_killed.append(len(assert_no_document_is_ok_without_its_cases(path, cases)))

        collect_and_save(path, inbox)
        assert Outcome.of(path) == outcome, f"killed at write {n} of {writes}"
    # The kills fell before, between and inside the transactions, not all at one place.
    assert stored_when_killed[0] == 0 and len(set(stored_when_killed)) >= 4


def test_a_save_failing_at_any_write_rolls_back_and_loses_no_case(tmp_path, inbox, empty_store, reference, monkeypatch):
    outcome, cases, writes = reference
    for n in spread(writes, 24):  # every write with CASEWATCH_FULL=1 (tests/budget.py)
        path = fresh_store(empty_store, tmp_path / f"failed-{n}.db")
        failing = Writes(n, lambda conn: conn.interrupt(), not_at=UNINTERRUPTIBLE)
        with monkeypatch.context() as patch:
            patch.setattr(store, "open_db", failing.open_db)
            with pytest.raises(sqlite3.OperationalError, match="interrupted"):
                collect_and_save(path, inbox)
        assert not failing.transactions_left_open(), f"write {n} left a transaction open"
        assert_no_document_is_ok_without_its_cases(path, cases)

        collect_and_save(path, inbox)
        assert Outcome.of(path) == outcome, f"failed at write {n} of {writes}"
