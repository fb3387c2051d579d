"""The backfill flow: history in batches → save under each case's publication week → classify → one digest per week.

Two kinds of history: compilation files or URLs (`locations`), read a batch of
documents at a time, or a site source of the configuration read back from its
first listing page to `since`, a batch of listing pages at a time. Each batch is a
task (never an article); the next batch is read while the last one is saved and
classified. Interrupted and started again, a backfill goes on where it stopped:
documents read are known by content hash, article URLs by `known_urls`, and the
digests of the weeks the first part filled are written because they are behind
their cases (`pipeline.stale_weeks`). Past digests are written, never e-mailed.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from casewatch import pipeline
from casewatch.config import load_config
from casewatch.pipeline import Backfill, Session, SourceResult, week_of

# Two Prefect tasks a batch cost about 0.1 s of CPU each (the server's and this process's): a tenth of a
# batch of 8 compilations (~200 cases) once reading, saving and scoring became fast. 16 halves that share;
# a batch is still one transaction, and what an interruption loses is re-read next time.
DOCUMENTS_PER_BATCH = 16
PAGES_PER_BATCH = 5


@task(name="read", cache_policy=NO_CACHE, task_run_name="read-{number}")
def read_documents(locations: list[str], db_path: Path, session: Session, sources: list[dict], number: int) -> SourceResult:
    """Read one batch of compilation files or URLs (each in a worker process; a failure is the document's)."""
    result = pipeline.read_documents(locations, db_path, session=session, sources=sources)
    get_run_logger().info("batch %d: %d article(s) from %d new document(s)", number, len(result.articles), len(result.documents))
    return result


# No Prefect retries, as in the weekly flow: the session retries each request itself, and a
# listing page or article that still fails is recorded; the next backfill asks for it again.
@task(name="collect", cache_policy=NO_CACHE, task_run_name="collect-{source[name]}-{number}")
def collect_pages(source: dict, session: Session, db_path: Path, backfill: Backfill, pages: int, number: int) -> SourceResult:
    """Read the next listing pages of a site and their articles in the backfill's date range."""
    result = pipeline.collect_site_batch(source, session, db_path, backfill, pages)
    logger = get_run_logger()
    logger.info("batch %d: %d listing page(s), %d new article(s)", number, backfill.pages, len(result.articles))
    for error in result.errors:
        logger.warning("%s: %s", source["name"], error)
    return result


@task(name="save", cache_policy=NO_CACHE, task_run_name="save-{number}")
def save(run: pipeline.Run, result: SourceResult, source: dict, scoring: pipeline.RunScoring, number: int) -> int:
    """Save one batch, each case under the week it was published in; classify what it added (with a
    scoring worker: store the last batch's decisions and hand this one to the worker)."""
    new = run.save(result, source, week=pipeline.publication_weeks(run.week))
    classified = scoring.step()
    get_run_logger().info("batch %d: %d article(s) stored as new, %d classified", number, len(new), classified)
    return len(new)


@task(name="classify", cache_policy=NO_CACHE)
def classify_rest(scoring: pipeline.RunScoring) -> int:
    """Store the decisions of the last batch handed to the scoring worker; score whatever is left."""
    classified = scoring.finish()
    get_run_logger().info("%d article(s) classified after the last batch", classified)
    return classified


@task(name="digests", cache_policy=NO_CACHE)
def write_digests(
    run: pipeline.Run, digest_dir: Path, simplified: bool, tz: str, base_url: str | None = None, workers: int | None = None
) -> list[Path]:
    """Write the digest of every week whose cases changed since its digest was written; list them as an artifact."""
    logger = get_run_logger()
    weeks = pipeline.stale_weeks(run.db_path)
    paths = pipeline.write_digests(run.db_path, weeks, digest_dir, simplified=simplified, tz=tz, base_url=base_url, workers=workers)
    for path in paths:
        logger.info("digest written to %s", path)
    if paths:
        create_table_artifact(
            [{"week": path.stem, "digest": str(path)} for path in paths],
            key="backfill-digests",
            description=f"casewatch backfill {run.id}: the digests it wrote",
        )
    return paths


@flow(name="backfill", log_prints=True)
def backfill(
    config_path: str | None = None,
    db: str | None = None,
    digest_dir: str | None = None,
    locations: list[str] | None = None,
    source: str | None = None,
    since: date | None = None,
    until: date | None = None,
    batch: int | None = None,
) -> dict:
    """Store past compilations (`locations`: files, URLs or names of document sources) or a site source's
    articles since a date, and write each past week's digest."""
    check_inputs(locations, source, since)
    config = load_config(config_path, db=db, digest_dir=digest_dir)
    # Whether a second core is free is asked once, before this backfill's own processes load the machine:
    # then the cases are scored in a worker while the next batch is saved, and the digests written two at a time.
    workers = int(config.backfill_second_core and pipeline.a_core_is_idle())
    logger = get_run_logger()
    if workers:
        logger.info("a core is free: cases are scored in a worker process, digests written two at a time")
    elif not config.backfill_second_core:
        logger.info("the backfill runs in one process ([backfill] second_core = false)")
    else:
        logger.info("the backfill runs in one process (no core is free)")
    with pipeline.Run(config.db, week_of(tz=config.timezone)) as run:
        if source:
            found = pipeline.site_source(config.sources, source)
            with run.score_ahead(config.model, workers) as scoring:
                backfill_site(run, found, config, pipeline.start_site_backfill(found, since, until), batch or PAGES_PER_BATCH, scoring)
                classify_rest(scoring)
        else:
            locations = list(locations or [])
            size = batch or DOCUMENTS_PER_BATCH
            # One batch has nothing to overlap with: no worker to start.
            with run.score_ahead(config.model, workers if len(locations) > size else 0) as scoring:
                backfill_documents(run, locations, config, size, scoring)
                classify_rest(scoring)
        paths = write_digests(run, config.digest_dir, config.simplified, config.timezone, config.digest_base_url, workers)
    return run.summary() | {"digests": [str(path) for path in paths]}


USAGE = (
    'e.g. prefect deployment run backfill/casewatch-backfill --params \'{"locations": ["/srv/compilations/2025.pdf"]}\' '
    'or --params \'{"source": "zj-fgw", "since": "2025-01-01"}\''
)


def check_inputs(locations: list[str] | None, source: str | None, since: date | None) -> None:
    """Refuse a backfill without inputs (a deployment run without --params) instead of completing empty."""
    if bool(locations) == bool(source):
        raise ValueError(f"a backfill takes compilation files or URLs (locations) or a site source (source and since), one of the two; {USAGE}")
    if source and since is None:
        raise ValueError(f"a site backfill needs since (YYYY-MM-DD); {USAGE}")


def backfill_documents(run: pipeline.Run, locations: list[str], config, size: int, scoring: pipeline.RunScoring) -> None:
    """Read the files a batch at a time; the next batch is read while the last is saved and classified."""
    groups = list(pipeline.batches(locations, size))
    if not groups:
        return
    session = run.open_session(config.http, validators=False)
    pending = read_documents.submit(groups[0], config.db, session, config.sources, 1)
    for number in range(1, len(groups) + 1):
        result = pending.result()
        if number < len(groups):
            pending = read_documents.submit(groups[number], config.db, session, config.sources, number + 1)
        save(run, result, pipeline.BACKFILL_SOURCE, scoring, number)
        release(result)
        run.check_stopped()


def release(result: SourceResult) -> None:
    """Drop a saved batch's articles: Prefect keeps every task's result until the flow ends
    (`FlowRunContext.run_results`), which made the flow's memory grow with the backfill."""
    result.articles.clear()
    result.fetch_log.clear()
    pipeline.return_free_memory()


def backfill_site(run: pipeline.Run, source: dict, config, cursor: Backfill, pages: int, scoring: pipeline.RunScoring) -> None:
    """Page back through a site a batch of listing pages at a time, saving each batch before the next is read."""
    session = run.open_session(config.http, validators=False)  # a 304 on page 1 says nothing about older pages
    number, started = 0, time.monotonic()
    while not cursor.done:
        if cursor.pages >= config.backfill_max_pages or time.monotonic() - started > config.backfill_max_seconds:
            run.record_failure(source["name"], (
                f"backfill stopped after {cursor.pages} listing page(s) in {time.monotonic() - started:.0f} s, the limit of "
                f"[backfill] max_pages = {config.backfill_max_pages} or max_seconds = {config.backfill_max_seconds:g}; "
                "what it read is saved; raise the limit in casewatch.toml to read further back"
            ))
            get_run_logger().warning("%s", run.failures[-1][1])
            break
        number += 1
        pages = min(pages, config.backfill_max_pages - cursor.pages)
        result = collect_pages(source, session, config.db, cursor, pages, number)
        save(run, result, source, scoring, number)
        release(result)
        run.check_stopped()
