"""A file still being written into the inbox is never stored cut short for good.

The failing case (issue 21): a compilation copied into the inbox while a run read it was
stored with its last case cut mid-sentence, and when the file was complete the next run took
the full case for a near duplicate of the cut one and never stored it.
"""

from __future__ import annotations

import os
import re
import threading
import time

import pytest

import store
from casewatch import pipeline
from scrapers import collect_inbox, parse_document
from scrapers.fingerprint import normalise

from conftest import sample

WEEK = "2026-W48"
SETTLE = 0.5


def sample_cases(prefix: str) -> list[tuple[str, str]]:
    """(title, body) of every case of a bundled compilation, read whole."""
    data = sample(prefix).read_bytes()
    articles, document = parse_document(data, sample(prefix).name, "", "inbox")
    assert document.status == "ok"
    return [(a.title, a.body) for a in articles]


def first_half(prefix: str) -> bytes:
    """The first half of a sample's bytes, cut after a whole UTF-8 character (as a copy stops)."""
    data = sample(prefix).read_bytes()
    cut = len(data) // 2
    while data[cut] & 0xC0 == 0x80:
        cut += 1
    return data[:cut]


class SlowCopy(threading.Thread):
    """A copy into the inbox that writes a little every 20 ms until told to finish, then writes the rest."""

    def __init__(self, target, data: bytes, start: int) -> None:
        super().__init__(daemon=True)
        self.target, self.data, self.position = target, data, start
        self.finish = threading.Event()
        target.write_bytes(data[:start])

    def run(self) -> None:
        with open(self.target, "ab") as f:
            while not self.finish.is_set() and self.position < len(self.data) - 64:
                f.write(self.data[self.position : self.position + 64])
                f.flush()
                self.position += 64
                time.sleep(0.02)
            f.write(self.data[self.position :])


def save(db_path, result) -> list[str]:
    return store.save_source_result(store.open_db(db_path), result, "inbox", "run", WEEK)


def test_a_file_being_copied_in_waits_for_the_next_run_then_is_read_whole(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    name = sample("001").name
    data = sample("001").read_bytes()
    copy = SlowCopy(inbox / name, data, len(first_half("001")))
    copy.start()
    try:
        result = collect_inbox("inbox", inbox, set(), settle=SETTLE)
    finally:
        copy.finish.set()
        copy.join()
    # Not read, not failed: recorded as waiting, and no error for the source.
    assert result.articles == [] and result.errors == [] and result.status == "ok"
    [document] = result.documents
    assert (document.name, document.status) == (name, "waiting")
    assert document.error.startswith("still being written") and document.error.endswith("it is read on the next run")
    with pipeline.Run(tmp_path / "cw.db", WEEK) as run:
        run.save(result, {"name": "inbox", "path": str(inbox)})
    summary = run.summary()
    assert summary["status"] == "ok" and summary["failures"] == []
    assert summary["waiting"] == [[name, document.error]]

    # The copy has finished: the next run reads the whole file, the last case as the sample has it.
    assert (inbox / name).read_bytes() == data
    again = collect_inbox("inbox", inbox, set(), settle=SETTLE)
    assert [(a.title, a.body) for a in again.articles] == sample_cases("001")
    save(tmp_path / "cw.db", again)
    db = store.open_db(tmp_path / "cw.db")
    assert db["articles"].count == 30
    assert [r["status"] for r in db["documents"].rows] == ["ok"]  # the waiting row gave way to the document


def test_a_file_that_changes_while_it_is_read_waits(tmp_path, monkeypatch):
    """Settled when looked at, changed by the time its bytes were read: not stored."""
    import scrapers.sources as sources

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = inbox / sample("004").name
    path.write_bytes(first_half("004"))
    os.utime(path, (time.time() - 3600, time.time() - 3600))
    fetch = sources.fetch_bytes

    def fetch_then_append(location, *args, **kwargs):
        data = fetch(location, *args, **kwargs)
        with open(location, "ab") as f:  # the copy resumes while the reader holds the first part
            f.write(sample("004").read_bytes()[len(data) :])
        return data

    monkeypatch.setattr(sources, "fetch_bytes", fetch_then_append)
    result = collect_inbox("inbox", inbox, set(), settle=SETTLE)
    assert result.articles == [] and [d.status for d in result.documents] == ["waiting"]
    assert "changed while it was read" in result.documents[0].error


def test_a_cut_file_stored_before_is_revised_when_complete_and_the_cut_text_kept(tmp_path):
    """Write half, run, finish writing, run: every case whole, the cut one kept as a revision."""
    inbox, db_path = tmp_path / "inbox", tmp_path / "cw.db"
    inbox.mkdir()
    path = inbox / sample("001").name
    # A copy that stalled longer than the settle time (or a store from before it): the half is read.
    path.write_bytes(first_half("001"))
    os.utime(path, (time.time() - 3600, time.time() - 3600))
    first = collect_inbox("inbox", inbox, set(), settle=SETTLE)
    assert [d.status for d in first.documents] == ["ok"]
    save(db_path, first)
    db = store.open_db(db_path)
    expected = sample_cases("001")
    stored = list(db.query("select id, title, body from articles order by position"))
    cut = stored[-1]
    full_title, full_body = expected[len(stored) - 1]
    assert cut["title"] == full_title and normalise(full_body).startswith(normalise(cut["body"]))
    assert len(cut["body"]) < len(full_body)  # the failing case: the last case stops mid-sentence
    # An analyst's label on the cut case, and the model's scores on another.
    store.save_label(db, cut["id"], "taxes", "labelled before the file was complete")

    path.write_bytes(sample("001").read_bytes())  # the copy finishes
    second = collect_inbox("inbox", inbox, store.known_documents(db), settle=SETTLE)
    new = save(db_path, second)

    rows = list(db.query("select id, title, body, document, indicator, label_source from articles order by position"))
    assert [(r["title"], r["body"]) for r in rows] == expected  # 30 whole cases, none twice, none cut
    assert len(new) == 30 - len(stored)
    revised = next(r for r in rows if r["id"] == cut["id"])  # the cut case completed in place
    assert revised["body"] == full_body and (revised["indicator"], revised["label_source"]) == ("taxes", "human")
    [revision] = db["article_revisions"].rows
    assert (revision["article_id"], revision["title"], revision["body"]) == (cut["id"], cut["title"], cut["body"])
    assert revision["document"] == first.documents[0].sha256 and revision["replaced_by"] == second.documents[0].sha256
    assert db["documents"].get(first.documents[0].sha256)["superseded_by"] == second.documents[0].sha256
    # The search finds words of the part the cut text lacked.
    words = re.findall(r"[\u4e00-\u9fff]{6,}", full_body[len(cut["body"]) :])[-1]
    assert cut["id"] in [f["id"] for f in store.search.search(db, words)]
    # Seen in both versions of the file.
    assert db["sightings"].count_where("article_id = ?", [cut["id"]]) == 2


def test_a_revised_case_scored_by_the_model_is_scored_again(tmp_path):
    inbox, db_path = tmp_path / "inbox", tmp_path / "cw.db"
    inbox.mkdir()
    path = inbox / sample("004").name
    path.write_bytes(first_half("004"))
    save(db_path, collect_inbox("inbox", inbox, set()))
    db = store.open_db(db_path)
    ids = [r[0] for r in db.execute("select id from articles order by position")]
    store.save_decisions(db, {key: {"primary": "taxes", "confidence": 0.9, "secondary": [], "terms": [], "scores": {}} for key in ids})
    path.write_bytes(sample("004").read_bytes())
    save(db_path, collect_inbox("inbox", inbox, store.known_documents(db)))
    # The cut case lost the model's decision on its cut text; the cases that did not change kept theirs.
    pending = [r["id"] for r in store.unclassified(db)]
    assert pending[0] == ids[-1] and not set(ids[:-1]) & set(pending)
    assert db["articles"].count == 10 and db["article_revisions"].count == 1


@pytest.mark.parametrize("settle", ["nan", "-1", "301"])
def test_settle_time_out_of_bounds_is_one_line(tmp_path, settle):
    from casewatch.config import ConfigError, load_config

    (tmp_path / "casewatch.toml").write_text(f"[inbox]\nsettle = {settle}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[inbox\] settle must be between 0 and 300 seconds"):
        load_config(tmp_path / "casewatch.toml")


def test_inbox_sources_take_the_configured_settle_time(tmp_path):
    from casewatch.config import load_config

    (tmp_path / "casewatch.toml").write_text('[[sources]]\nname = "mail"\nkind = "inbox"\npath = "in"\n', encoding="utf-8")
    assert load_config(tmp_path / "casewatch.toml").sources[0]["settle"] == 5.0


class Growing(threading.Thread):
    """A file that grows every 20 ms until told to stop: a copy that never settles while the run looks."""

    def __init__(self, target) -> None:
        super().__init__(daemon=True)
        self.target, self.stop = target, threading.Event()
        target.write_text("案例1：某市推行企业开办一日办结\n", encoding="utf-8")

    def run(self) -> None:
        with open(self.target, "a", encoding="utf-8") as f:
            while not self.stop.is_set():
                f.write("某市将企业开办压缩至一个工作日。\n")
                f.flush()
                time.sleep(0.02)


def test_casewatch_run_says_which_file_waits_and_stores_the_others(project, prefect_harness, monkeypatch):
    from click.testing import CliRunner

    from casewatch.cli import cli

    monkeypatch.chdir(project)
    growing = Growing(project / "inbox" / "正在复制.txt")
    growing.start()
    try:
        result = CliRunner().invoke(cli, ["run", "--week", WEEK, "--no-send"], catch_exceptions=False)
    finally:
        growing.stop.set()
        growing.join()
    assert result.exit_code == 0, result.output
    assert "week 2026-W48: 79 new article(s), 79 classified, 0 source error(s)" in result.output
    assert "waiting: 正在复制.txt: still being written (its size or modification time changed within 0.2 s); it is read on the next run" in result.output
    assert "failed:" not in result.output
    db = store.open_db(project / "cw.db")
    assert [(r["name"], r["status"]) for r in db.query("select name, status from documents where status != 'ok'")] == [("正在复制.txt", "waiting")]
    assert db["runs"].count_where("status = 'ok'") == 1
