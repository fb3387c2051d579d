"""Writing week digests, apart from the rest of the pipeline so that a worker process writing them
imports the store and the digests only (55 MiB imported, 95-112 MiB while writing in a 20,000-case
backfill), not the classifier (180 MiB imported).

`casewatch.pipeline` hands these over (`write_digest`, `write_digests`, `digest_basis`); the flows
and the CLI call them there.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import sqlite_utils

import digests
import store
from digests.build import previous_weeks
from store import reports

from .cores import a_core_is_idle, start_worker, start_workers

DIGEST_WORKERS = 1  # worker processes writing digests beside the calling process (a backfill's second core), when a core is free
DIGESTS_FOR_A_WORKER = 8  # fewer weeks than this are written in-process: a worker's start-up would cost more


def digest_basis(states: dict[str, str], week: str) -> str:
    """What a week's digest shows depends on: the state of its cases and of the four weeks' before it."""
    return ";".join(f"{w}={states[w]}" for w in [week, *previous_weeks(week)] if w in states)


def write_digest(
    db_path: Path, week: str, digest_dir: Path, *, simplified: bool = False, tz: str = "Asia/Shanghai", base_url: str | None = None,
    db: sqlite_utils.Database | None = None, states: dict[str, str] | None = None, earlier: digests.EarlierCases | None = None,
) -> Path:
    """Write the week's Markdown and HTML digest, recording what it was written from; return the Markdown path.

    `db` is the store at `db_path` already open, and `states` its `reports.week_states` read before
    this call: `write_digests` reads them once for all its weeks (opening the store, with its schema
    check, and reading every week's state took 19 ms a week under the profiler: 1.5 s for 80 weeks);
    `earlier` the store's cases, read once (`digests.EarlierCases`).
    """
    if db is None:
        with store.open_db(db_path) as db:
            return write_digest(db_path, week, digest_dir, simplified=simplified, tz=tz, base_url=base_url, db=db,
                                states=states, earlier=earlier)  # fmt: skip
    # Read before writing: a case added meanwhile makes the digest stale.
    basis = digest_basis(reports.week_states(db) if states is None else states, week)
    path = digests.write_digest(db, week, digest_dir, simplified=simplified, tz=tz, base_url=base_url, earlier=earlier)
    reports.set_digest_basis(db, week, basis)
    return path


# A worker process's store, weeks' states and cases, read at its first week (the pool lives for one
# write_digests call, so they are as old as the calling process's own, or younger).
_WORKER: dict = {}


def _write_in_worker(db_path: Path, week: str, digest_dir: Path, **options) -> Path:
    """`write_digest` in a worker process, the store opened and read once for all the weeks it writes."""
    if _WORKER.get("path") != db_path:
        db = store.open_db(db_path)
        _WORKER.update(path=db_path, db=db, states=reports.week_states(db), earlier=digests.EarlierCases(db))
    return write_digest(db_path, week, digest_dir, **options, db=_WORKER["db"], states=_WORKER["states"], earlier=_WORKER["earlier"])


def write_digests(
    db_path: Path, weeks: Sequence[str], digest_dir: Path, *, simplified: bool = False, tz: str = "Asia/Shanghai",
    base_url: str | None = None, workers: int | None = None,
) -> list[Path]:
    """Write the digests of these weeks (each as `write_digest` does); return their Markdown paths, in `weeks`' order.

    A backfill writes a hundred or more: the calling process and `workers` worker processes (started
    fresh, importing this module only) take the next week one at a time. A week's digest reads the
    store's cases and writes its own files and row only, so the digests do not depend on which
    process writes them, nor in what order. By default (`workers` None) a worker is started only when
    a core is idle (`cores.a_core_is_idle`): on 2 cores kept busy by other
    jobs (load average 5), 83 weeks took 39-43 s with a worker against 33-39 s without
    (bench/README.md), the worker's start-up and a process more to share the cores for nothing.
    """
    weeks = list(weeks)
    if not weeks:
        return []
    if workers is None:
        workers = DIGEST_WORKERS if len(weeks) >= DIGESTS_FOR_A_WORKER and a_core_is_idle() else 0
    options = {"simplified": simplified, "tz": tz, "base_url": base_url}
    # This process opens the store and reads the weeks' states once: read before any digest below
    # is written, the states are as old as write_digest's own would be, or older (then stale, not wrong).
    with store.open_db(db_path) as db:
        mine = {**options, "db": db, "states": reports.week_states(db)}
        mine["earlier"] = digests.EarlierCases(db)  # read after the states: a case stored between is in it, its digest stale
        if workers < 1 or len(weeks) < DIGESTS_FOR_A_WORKER:
            return [write_digest(db_path, week, digest_dir, **mine) for week in weeks]
        return _write_shared(db_path, weeks, digest_dir, workers, options, mine)


def _write_shared(db_path: Path, weeks: list[str], digest_dir: Path, workers: int, options: dict, mine: dict) -> list[Path]:
    """`write_digests` with `workers` worker processes beside this one, each taking the next week."""
    import functools
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    paths: dict[str, Path] = {}
    take = functools.partial(next, iter(weeks), None)  # next() of a list iterator is atomic under the GIL
    context = multiprocessing.get_context("spawn")  # not forked from a process holding the classifier and threads
    with ProcessPoolExecutor(workers, mp_context=context, initializer=start_worker, initargs=(os.getpid(),)) as pool, ThreadPoolExecutor(workers) as feeders:
        start_workers(pool, workers)  # here, not by the feeders' first weeks

        def feed() -> None:
            while (week := take()) is not None:
                paths[week] = pool.submit(_write_in_worker, db_path, week, digest_dir, **options).result()

        fed = [feeders.submit(feed) for _ in range(workers)]
        while (week := take()) is not None:
            paths[week] = write_digest(db_path, week, digest_dir, **mine)
        for future in fed:
            future.result()
    return [paths[week] for week in weeks]
