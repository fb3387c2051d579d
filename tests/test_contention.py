"""Several writers and a reader on one store at once: two runs, a run and `casewatch ingest`, Datasette.

Real processes on one SQLite file; Datasette through its own client. No "database is
locked", no case stored twice, no article scored by two runs.
"""

from __future__ import annotations

import asyncio
import socket
import threading

import sqlite_utils
from processes import WEEK, Command, environment, search_index_problems

import digests
import store
from casewatch import pipeline
from store import processes
from store.browse import datasette_app

CASES = 79


def check_store(path, runs: int) -> list[dict]:
    """Assert every case is stored once, indexed, scored once; return the runs' rows."""
    db = sqlite_utils.Database(path)
    ids = [r[0] for r in db.execute("select id from articles")]
    assert len(ids) == len(set(ids)) == CASES
    assert db.execute("select count(*) from articles where classified_at is null").fetchone()[0] == 0
    assert [r[0] for r in db.execute("select distinct status from documents")] == ["ok"]
    assert search_index_problems(path) == []
    rows = list(db.query("select id, status, new_articles, classified from runs order by started"))
    assert len(rows) == runs and {r["status"] for r in rows} == {"ok"}, rows
    # Each article was scored by exactly one run: the runs' counts of articles scored add up.
    assert sum(r["classified"] for r in rows) == CASES, rows
    assert {r[0] for r in db.execute("select distinct classified_by from articles")} <= {r["id"] for r in rows}
    return rows


def test_two_runs_at_once_store_and_score_every_case_once(project, prefect_harness, tmp_path_factory):
    env = environment()
    commands = [Command(project, ["run", "--week", WEEK, "--no-send"], env, project / f"run-{n}.log") for n in (1, 2)]
    for command in commands:
        assert command.finish() == 0, command.output()
        assert "locked" not in command.output()
    rows = check_store(project / "cw.db", runs=2)
    assert sum(r["new_articles"] for r in rows) == CASES
    # Whichever wrote the digest last, it is the digest of the final store (every case, classified).
    digest = (project / "out" / f"{WEEK}.md").read_text(encoding="utf-8")
    again = digests.write_digest(store.open_db(project / "cw.db"), WEEK, tmp_path_factory.mktemp("again"))
    assert digest == again.read_text(encoding="utf-8") and f"本周新收录 **{CASES}** 篇" in digest


def test_ingest_beside_a_run_stores_each_case_once(project, prefect_harness):
    env = environment()
    sample = next((project / "inbox").glob("001_*.txt"))
    run = Command(project, ["run", "--week", WEEK, "--no-send"], env, project / "run.log")
    ingest = Command(project, ["ingest", str(sample), "--week", WEEK], env, project / "ingest.log")
    assert ingest.finish() == 0, ingest.output()
    assert run.finish() == 0, run.output()
    assert "locked" not in run.output() + ingest.output()
    check_store(project / "cw.db", runs=2)


def test_datasette_reads_while_a_run_writes(project, prefect_harness):
    path = project / "cw.db"
    pipeline.prepare_store(path)  # the tables Datasette lists exist before the run
    datasette = datasette_app(path)
    run = Command(project, ["run", "--week", WEEK, "--no-send"], environment(), project / "run.log")
    counts, failures = [], []

    async def read() -> None:
        """Read the articles and search them until the run ends."""
        await datasette.invoke_startup()
        while True:
            done = run.process.poll() is not None
            for url, params in (("/casewatch/articles.json", {}), ("/casewatch/search.json", {"q": "纳税"})):
                response = await datasette.client.get(url, params={"_shape": "array", "_size": "max", **params})
                if response.status_code != 200:
                    failures.append((url, response.status_code, response.text[:300]))
                elif url.endswith("articles.json"):
                    counts.append(len(response.json()))
            if done:
                return
            await asyncio.sleep(0.05)

    asyncio.run(read())
    assert run.finish() == 0, run.output()
    assert failures == []
    # Readers saw the store grow a document at a time, and the end of it.
    assert counts == sorted(counts) and counts[-1] == CASES
    assert len(counts) > 10 and len(set(counts)) > 2


def fake_decision(slug: str = "taxes") -> dict:
    """A model decision as save_decisions takes it."""
    return {"primary": slug, "confidence": 0.9, "secondary": [], "terms": [], "scores": {slug: 0.9}}


def stored_cases(path) -> list[str]:
    """A store holding the 30 cases of sample 001; return their ids."""
    result, _ = pipeline.ingest_files([next((path.parent / "inbox").glob("001_*.txt"))], path)
    return store.save_source_result(store.open_db(path), result, "inbox", "setup", WEEK)


def test_a_batch_claimed_by_a_running_run_is_left_to_it(project, model_path):
    path = project / "cw.db"
    db = store.open_db(path)
    ids = stored_cases(path)
    store.start_run(db, "first", WEEK)  # this process: alive
    assert len(store.claim_unclassified(db, "first", 1000)) == len(ids)
    scored = []
    second = threading.Thread(
        target=lambda: scored.append(pipeline.classify_pending(path, model_path, run="second", poll=0.02))
    )
    second.start()
    # The first run writes its decisions; the second, which waited for them, scored none.
    assert store.save_decisions(db, {key: fake_decision() for key in ids}, "first") == len(ids)
    second.join(60)
    assert scored == [0]
    assert {r[0] for r in db.execute("select distinct classified_by from articles")} == {"first"}
    assert store.save_decisions(db, {ids[0]: fake_decision("credit")}, "second") == 0  # scored: kept


def test_a_run_stuck_with_its_claim_is_waited_for_only_so_long(project, model_path):
    path = project / "cw.db"
    db = store.open_db(path)
    ids = stored_cases(path)
    store.start_run(db, "stuck", WEEK)  # this process: alive, and it never scores
    store.claim_unclassified(db, "stuck", 1000)
    assert pipeline.classify_pending(path, model_path, run="second", poll=0.01, wait=0.1) == 0
    assert db.execute("select count(*) from articles where classified_at is null").fetchone()[0] == len(ids)


def test_the_claim_of_a_run_whose_process_died_is_scored_by_the_next(project, model_path):
    path = project / "cw.db"
    db = store.open_db(path)
    ids = stored_cases(path)
    dead = processes.Owner(socket.gethostname(), dead_pid(), None)
    db["runs"].insert({"id": "killed", "week": WEEK, "status": "running", "owner": str(dead)}, pk="id")
    store.claim_unclassified(db, "killed", 10)
    assert pipeline.classify_pending(path, model_path, run="next") == len(ids)
    run = db["runs"].get("killed")
    assert (run["status"], run["error"]) == ("failed", f"interrupted (process {dead.pid} no longer running)")
    assert db.execute("select count(*) from articles where classified_by = 'next' and classified_at is not null").fetchone()[0] == len(ids)


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_process_is_alive_only_while_it_runs_with_the_same_start():
    me = processes.current()
    assert processes.alive(me) is True
    assert processes.Owner.parse(str(me)) == me
    assert processes.alive(processes.Owner(me.host, dead_pid(), None)) is False
    if me.started is not None:  # Linux: a pid reused by another program is not the run's
        assert processes.alive(processes.Owner(me.host, me.pid, str(int(me.started) + 1))) is False
    assert processes.alive(processes.Owner("another-host", me.pid, me.started)) is None
    assert processes.Owner.parse("written by hand") is None


def test_a_run_row_left_running_by_a_dead_process_is_marked_failed_by_the_next_run(db):
    owner = processes.Owner(socket.gethostname(), dead_pid(), None)
    db["runs"].insert({"id": "killed", "week": WEEK, "status": "running", "owner": str(owner)}, pk="id")
    db["runs"].insert({"id": "elsewhere", "week": WEEK, "status": "running", "owner": "other-host:1:"}, pk="id")
    db["runs"].insert({"id": "old", "week": WEEK, "status": "running"}, pk="id")  # before runs named their process
    store.start_run(db, "new", WEEK)
    statuses = {r["id"]: (r["status"], r["error"]) for r in db["runs"].rows}
    assert statuses == {
        "killed": ("failed", f"interrupted (process {owner.pid} no longer running)"),
        "elsewhere": ("running", None),
        "old": ("running", None),
        "new": ("running", None),
    }
