"""The weekly flow: collect → save → classify → digest, as Prefect tasks.

Tasks are per source or per batch, never per article. The schedule is not here:
it is given where the flow is served (`casewatch serve`).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

import store
from casewatch import pipeline
from casewatch.config import load_config
from digests import week_of
from scrapers import SourceResult


@task(name="prepare-store", cache_policy=NO_CACHE)
def prepare_store(db_path: Path) -> None:
    """Create the store's tables."""
    pipeline.prepare_store(db_path)


@task(name="collect", retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE, task_run_name="collect-{source[name]}")
def collect(source: dict, db_path: Path) -> SourceResult:
    """Collect one source (network work: retried)."""
    logger = get_run_logger()
    result = pipeline.collect(source, db_path)
    logger.info("%s: %d new article(s) from %d document(s)", source["name"], len(result.articles), len(result.documents))
    for error in result.errors:
        logger.warning("%s: %s", source["name"], error)
    return result


@task(name="save", cache_policy=NO_CACHE, task_run_name="save-{source[name]}")
def save(db_path: Path, result: SourceResult, source: dict, run: str, week: str) -> list[str]:
    """Save one source's articles in one transaction."""
    new = pipeline.save(db_path, result, source, run, week)
    get_run_logger().info("%s: %d article(s) stored as new", source["name"], len(new))
    return new


@task(name="classify", cache_policy=NO_CACHE)
def classify_pending(db_path: Path, model_path: Path) -> int:
    """Score the articles the model has not seen, in batches."""
    logger = get_run_logger()
    count = pipeline.classify_pending(
        db_path, model_path, progress=lambda done, total: logger.info("classified %d/%d", done, total)
    )
    logger.info("%d article(s) classified", count)
    return count


@task(name="digest", cache_policy=NO_CACHE)
def write_digest(db_path: Path, week: str, digest_dir: Path) -> Path:
    """Write the week's digest."""
    path = pipeline.write_digest(db_path, week, digest_dir)
    get_run_logger().info("digest written to %s", path)
    return path


@flow(name="weekly", log_prints=True)
def weekly(
    config_path: str | None = None,
    db: str | None = None,
    digest_dir: str | None = None,
    week: str | None = None,
) -> dict:
    """Collect every configured source, classify what is new and write the week's digest."""
    config = load_config(config_path, db=db, digest_dir=digest_dir)
    week = week or week_of(tz=config.timezone)
    run = uuid.uuid4().hex[:12]
    prepare_store(config.db)
    store.start_run(store.open_db(config.db), run, week)
    futures = [(source, collect.submit(source, config.db)) for source in config.sources]
    new_ids: list[str] = []
    errors = 0
    for source, future in futures:
        result = future.result()
        errors += len(result.errors)
        new_ids += save(config.db, result, source, run, week)
    classified = classify_pending(config.db, config.model)
    digest = write_digest(config.db, week, config.digest_dir)
    status = "ok" if not errors else "partial"
    store.finish_run(
        store.open_db(config.db), run, status=status, new_articles=len(new_ids), classified=classified,
        errors=errors, digest=str(digest),
    )
    return {
        "run": run,
        "week": week,
        "status": status,
        "new_articles": len(new_ids),
        "classified": classified,
        "errors": errors,
        "db": str(config.db),
        "digest": str(digest),
    }


def weekly_deployment(config_path: Path | None, cron: str = "0 7 * * 1", timezone: str = "Asia/Shanghai"):
    """The weekly flow as a deployment on a cron schedule, for `serve` or a work pool."""
    from prefect.schedules import Cron

    return weekly.to_deployment(
        name="casewatch-weekly",
        schedules=[Cron(cron, timezone=timezone)],
        parameters={"config_path": str(Path(config_path).resolve()) if config_path else None},
        description="Collect, classify, store and digest the week's business-environment cases.",
    )
