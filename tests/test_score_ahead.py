"""A backfill's cases scored in a worker process while the next batch is saved (`Run.score_ahead`).

The bundled compilations are backfilled one document a batch through the pipeline's steps, as
the backfill flow calls them: with every batch scored in the run's own process, with a real
worker process (spawned, loading the model itself), and with that worker killed while it holds
a batch. The store must end the same every time: the decisions in every field, the reforms
grouped from them, the run's count.
"""

from __future__ import annotations


import pytest
import sqlite_utils

from casewatch import pipeline
from conftest import sample
from processes import running

DOCUMENTS = ["001", "002", "003", "004"]


def backfill(db_path, model_path, workers: int, kill: bool = False) -> pipeline.Run:
    handed = []
    with pipeline.Run(db_path, "2026-W01") as run, run.score_ahead(model_path, workers) as scoring:
        for prefix in DOCUMENTS:
            result = pipeline.read_documents([str(sample(prefix))], db_path)
            run.save(result, pipeline.BACKFILL_SOURCE, week=pipeline.publication_weeks(run.week))
            scoring.step()
            handed.append(sum(len(batch) for batch, _ in scoring.pending))
            if kill and scoring.pool is not None:
                for process in list(scoring.pool._processes.values()):
                    process.kill()
                    process.join()
        scoring.finish()
        run.handed = handed
        run.loaded_here = scoring.model is not None
    return run


def outcome(db_path) -> dict:
    db = sqlite_utils.Database(db_path)
    return {
        "articles": db.execute(
            "select id, indicator, confidence, is_case, relevance, secondary, terms, scores, label_source "
            "from articles order by id"
        ).fetchall(),
        "unscored": db.execute("select count(*) from articles where classified_at is null").fetchone()[0],
        "reform_cases": db.execute("select reform, article_id from reform_cases order by 1, 2").fetchall(),
        "reforms": db.execute("select id, name, indicator, cases from reforms order by id").fetchall(),
        "signatures": db.execute("select article_id, names, keys, terms from reform_signatures order by 1").fetchall(),
    }


@pytest.fixture(scope="module")
def in_process(tmp_path_factory, model_path) -> dict:
    db_path = tmp_path_factory.mktemp("one") / "cw.db"
    run = backfill(db_path, model_path, workers=0)
    assert run.classified == 79 and run.handed == [0, 0, 0, 0]
    return outcome(db_path)


def test_a_worker_scores_each_batch_and_the_store_ends_as_without_one(in_process, tmp_path, model_path):
    run = backfill(tmp_path / "cw.db", model_path, workers=1)
    assert run.handed == [30, 38, 1, 10]  # each document's cases went to the worker
    assert not run.loaded_here  # the run's own process never loaded the model
    assert run.classified == 79
    got = outcome(tmp_path / "cw.db")
    assert got["unscored"] == 0 and len(got["articles"]) == 79
    assert got == in_process
    assert len(got["reforms"]) > 0


def test_a_worker_killed_holding_a_batch_costs_only_time(in_process, tmp_path, model_path):
    run = backfill(tmp_path / "cw.db", model_path, workers=1, kill=True)
    assert run.handed[0] == 30
    assert run.loaded_here  # its batch was scored here instead
    assert run.classified == 79
    assert outcome(tmp_path / "cw.db") == in_process


def test_a_worker_that_cannot_start_leaves_every_batch_to_the_run(in_process, tmp_path, model_path, monkeypatch):
    import multiprocessing.context

    def refuse(self):
        raise OSError(11, "Resource temporarily unavailable")  # what fork says at a process limit

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", refuse)
    run = backfill(tmp_path / "cw.db", model_path, workers=1)
    assert run.handed == [0, 0, 0, 0]  # nothing went to a worker
    assert outcome(tmp_path / "cw.db") == in_process


WORKER_PARENT = """
import sys
from pathlib import Path
from casewatch.scoring import ScoreAhead

if __name__ == "__main__":
    scoring = ScoreAhead(Path(sys.argv[1]), Path(sys.argv[2]), "run", workers=1).__enter__()
    import os
    print(scoring.pool.submit(os.getpid).result(), flush=True)
    import time
    time.sleep(600)
"""


def test_the_scoring_worker_dies_with_a_parent_killed_outright(tmp_path, model_path):
    import subprocess
    import sys
    import time

    parent = subprocess.Popen(
        [sys.executable, "-c", WORKER_PARENT, str(tmp_path / "cw.db"), str(model_path)], stdout=subprocess.PIPE, text=True
    )
    worker = int(parent.stdout.readline())
    assert running(worker)
    parent.kill()  # SIGKILL: no clean-up of its own runs
    parent.wait()
    deadline = time.monotonic() + 20
    while running(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running(worker), "the scoring worker outlived its killed parent"


def test_no_core_is_idle_while_every_cpu_runs_a_busy_process():
    import os
    import subprocess
    import sys

    from casewatch import cores

    busy = [
        subprocess.Popen(["taskset", "-c", str(cpu), sys.executable, "-c", "while True: pass"])
        for cpu in sorted(os.sched_getaffinity(0))
    ]
    try:
        import time

        time.sleep(0.3)  # the interpreters are up and spinning
        assert cores.a_core_is_idle(window=0.5) is False
    finally:
        for process in busy:
            process.kill()
            process.wait()
    idle, total = cores._idle_and_total(os.sched_getaffinity(0))
    assert 0 < idle < total


def _sigint_disposition() -> str:
    import signal

    return {signal.SIG_IGN: "ignored", signal.default_int_handler: "KeyboardInterrupt"}.get(signal.getsignal(signal.SIGINT), "other")


def test_workers_started_deaf_to_ctrl_c_ignore_it_before_their_first_import():
    """A spawned worker runs its pool's initializer (which ignores SIGINT) only after its imports: a
    Ctrl-C before then printed a KeyboardInterrupt traceback under the run's one-line stop."""
    import multiprocessing
    import signal
    from concurrent.futures import ProcessPoolExecutor

    from casewatch.cores import deaf_to_ctrl_c

    spawn = multiprocessing.get_context("spawn")
    # Python's own handler, whatever this test run inherited: a shell starts a background job with
    # SIGINT ignored, and every worker would then ignore it without deaf_to_ctrl_c.
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            with deaf_to_ctrl_c():
                started = pool.submit(_sigint_disposition)
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the parent's own handler is back
            assert started.result() == "ignored"
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            assert pool.submit(_sigint_disposition).result() == "KeyboardInterrupt"  # what it guards against
    finally:
        signal.signal(signal.SIGINT, inherited)
