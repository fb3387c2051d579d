"""Scoring stored articles: the relevance gate and the indicator model over a claimed batch, in the
calling process or in a worker process beside it.

A backfill saves a batch of cases, then scores them, then saves the next. The scoring needs only
the cases' titles and bodies and the model, so `ScoreAhead` hands a claimed batch to a worker
process (the second core) and saves the next batch meanwhile; the decisions are stored, with their
reform grouping, by the calling process in the same batches, in the same order, as
`classify_pending` would store them. The worker imports this module, the classifier and the store
only (spawned, not forked from a process holding threads and Prefect).

`casewatch.pipeline` hands these over; the flows and the CLI call them there.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import classify
import store
from classify.text import remembering

from .cores import a_core_is_idle, start_worker, start_workers

BATCH = 256
# Cases scored together: each case's decision is its own (1,200 cases scored in batches of 200 and
# in parts of 64: every field equal), and the part's arrays peak at 23 MiB instead of 60 for 200
# (tracemalloc); the claim and the decisions' saving (with their reform grouping) stay a BATCH.
PREDICT_PART = 64


def human_examples(db_path: Path) -> list[classify.Example]:
    """The analysts' labels in the store, as training examples (none if there is no store yet)."""
    if not Path(db_path).exists():
        return []
    with store.open_db(db_path) as db:
        labels = store.human_labels(db)
    return [classify.Example(text=r["body"], primary=r["indicator"], title=r["title"]) for r in labels]


def load_classifier(db_path: Path, model_path: Path) -> classify.Classifier:
    """The model, retrained first if the corpus, the code or the analysts' labels changed."""
    return classify.load_model(model_path, human_examples(db_path))


def score(model: classify.Classifier, rows: Sequence[dict]) -> dict[str, dict]:
    """Each row's decision as the store keeps it (`Decision.as_json` and its confidence), by article id."""
    decisions = []
    for start in range(0, len(rows), PREDICT_PART):
        decisions += model.predict_many([(row["title"], row["body"]) for row in rows[start : start + PREDICT_PART]])
    return {row["id"]: d.as_json(row["id"]) | {"confidence": d.confidence} for row, d in zip(rows, decisions)}


def classify_pending(
    db_path: Path,
    model_path: Path,
    progress: Callable[[int, int], None] | None = None,
    run: str | None = None,
    poll: float = 0.5,
    wait: float = 1800.0,
) -> int:
    """Score every article the model has not seen, a claimed batch at a time; return how many this call scored.

    Another run scoring at the same time claims its own batches: none is scored twice, and this
    call returns once those are scored too (or their run has died), so the digest that follows
    lists every article classified; after `wait` seconds of waiting on a run that is alive but
    stuck, it returns and leaves them to that run.
    """
    with store.open_db(db_path) as db:
        claimer = run or f"classify-{uuid.uuid4().hex[:12]}"  # without a run the claim holds only for this call
        total = len(store.unclassified(db))
        model = None
        scored = 0
        deadline = time.monotonic() + wait
        while True:
            batch = store.claim_unclassified(db, claimer, BATCH)
            if not batch:
                if store.mark_interrupted_runs(db):
                    continue  # a run that died while scoring: its claim is free now
                if not store.claimed_elsewhere(db, claimer) or time.monotonic() > deadline:
                    return scored
                time.sleep(poll)
                continue
            model = model or load_classifier(db_path, model_path)
            with remembering():  # a body normalised for the model is not normalised again for its reform's signals
                store.save_decisions(db, score(model, batch), claimer)
            scored += len(batch)  # scored, even if someone wrote a decision first: the count shows double work
            if progress:
                progress(scored, max(total, scored))


# The worker's model, loaded at its first batch (the pool lives for one ScoreAhead).
_WORKER: dict = {}


def _score_in_worker(db_path: Path, model_path: Path, rows: list[dict]) -> tuple[dict[str, dict], dict]:
    """The rows' decisions, and the reform signals of those that are cases (their grouping needs them next)."""
    from classify.reforms import signals

    if _WORKER.get("key") != (db_path, model_path):
        _WORKER.update(key=(db_path, model_path), model=load_classifier(db_path, model_path))
    with remembering():  # the body normalised for the model is not normalised again for the signals
        decisions = score(_WORKER["model"], rows)
        found = {
            row["id"]: signals(row["title"] or "", row["body"] or "")
            for row in rows
            if decisions[row["id"]].get("is_case", True) is not False
        }
    return decisions, found


class ScoreAhead:
    """Score a run's new articles in a worker process while the run saves its next batch.

    Call `step()` after each batch is saved: it stores the decisions the worker made for the
    batch before (waiting for them if need be) and hands it the articles unscored now, claimed by
    the run in batches of BATCH as `classify_pending` claims them. `finish()` stores the last ones
    and scores what is left in this process. With `workers` 0 (by default, when no core is idle)
    `step()` is `classify_pending` itself. A worker that fails or dies costs nothing but time:
    its batch is scored in this process.
    """

    def __init__(self, db_path: Path, model_path: Path, run: str, workers: int | None = None) -> None:
        self.db_path = Path(db_path)
        self.model_path = Path(model_path)
        self.run = run
        self.workers = (1 if a_core_is_idle() else 0) if workers is None else workers
        self.pool: ProcessPoolExecutor | None = None
        self.pending: list[tuple[list[dict], Future | None]] = []
        self.model: classify.Classifier | None = None

    def __enter__(self) -> ScoreAhead:
        if self.workers > 0:
            context = multiprocessing.get_context("spawn")  # not forked from a process holding the flow's threads
            self.pool = ProcessPoolExecutor(1, mp_context=context, initializer=start_worker, initargs=(os.getpid(),))
            try:
                start_workers(self.pool)  # now, before the run reads anything, so a Ctrl-C then is not lost midway
            except Exception:  # no process could be started (a limit, a sandbox): every batch is scored here
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = None
        return self

    def __exit__(self, *exc_info) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)  # a batch handed over and not stored stays claimed by
            self.pool = None  # this run: once the run has ended, the next run claims and scores it

    def step(self) -> int:
        """Store the decisions of the batches handed over before; hand over what is unscored now. Return how many were stored."""
        stored = self._store_pending()
        if self.pool is None:  # no worker (or it died): score here, as a run without one does
            return stored + classify_pending(self.db_path, self.model_path, run=self.run)
        with store.open_db(self.db_path) as db:
            while batch := store.claim_unclassified(db, self.run, BATCH):
                try:
                    future = self.pool.submit(_score_in_worker, self.db_path, self.model_path, batch)
                except BrokenProcessPool:  # the worker died with an earlier batch: this one is scored here
                    future = None
                self.pending.append((batch, future))
        return stored

    def finish(self) -> int:
        """Store what was handed over and score, in this process, whatever is still unscored; return how many."""
        stored = self._store_pending()
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None
        return stored + classify_pending(self.db_path, self.model_path, run=self.run)

    def _store_pending(self) -> int:
        stored = 0
        with store.open_db(self.db_path) as db:
            for batch, future in self.pending:
                decisions, signals = self._scored(batch, future)
                store.save_decisions(db, decisions, self.run, signals)
                stored += len(batch)
        self.pending = []
        return stored

    def _scored(self, batch: list[dict], future: Future | None) -> tuple[dict[str, dict], dict | None]:
        """The batch's decisions and reform signals from the worker; from this process if the worker died or failed."""
        if future is not None:
            try:
                return future.result()
            except BrokenProcessPool:
                if self.pool is not None:
                    self.pool.shutdown(wait=False, cancel_futures=True)  # no further batch is handed to a dead worker
                    self.pool = None
            except Exception:  # a failure of the worker's own: the same batch scored here says so, or scores it
                pass
        self.model = self.model or load_classifier(self.db_path, self.model_path)
        with remembering():
            return score(self.model, batch), None
