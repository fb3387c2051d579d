"""The pipeline closes every store connection it opens.

A connection left to the garbage collector stayed open until a collection found it: with its
page cache and its three open files (the store, its WAL and its shared memory) a backfill's
process held up to 60 descriptors of the store at once and grew by about 60 MiB over 8,000 cases
(bench/README.md). With the collector off, nothing but the step itself can close them.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

from casewatch import pipeline
from conftest import sample


def open_store_files(db_path: Path) -> list[str]:
    """The files of the store at `db_path` (the store, -wal, -shm) this process holds open."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(db_path)):
            found.append(target)
    return found


def test_a_backfill_leaves_no_store_connection_open(tmp_path, model_path):
    db_path = (tmp_path / "cw.db").resolve()
    gc.collect()
    gc.disable()
    try:
        with pipeline.Run(db_path, "2026-W01") as run, run.score_ahead(model_path, 0) as scoring:
            for prefix in ["001", "002"]:
                result = pipeline.read_documents([str(sample(prefix))], db_path)
                run.save(result, pipeline.BACKFILL_SOURCE, week=pipeline.publication_weeks(run.week))
                scoring.step()
                assert open_store_files(db_path) == []  # closed after each batch, not at the end only
            scoring.finish()
        weeks = pipeline.stale_weeks(db_path)
        assert weeks
        pipeline.write_digests(db_path, weeks, tmp_path / "out", workers=0)
        assert pipeline.weeks(db_path) and pipeline.unread_locations(db_path, [str(sample("003"))])
        assert open_store_files(db_path) == []
    finally:
        gc.enable()
