"""The weekly flow: collect → save → classify → digest, as Prefect tasks.

Tasks are per source or per batch, never per article. `pipeline.Run` keeps the
run's record; a source whose collection raises is recorded as failed and the
others go on. What failed is published as the table artifact `failures-<week>`
and named by the flow's final state (`Partial`); the digest is the Markdown
artifact `digest-<week>`. The schedule is not here: it is given where the flow
is served (`casewatch serve`, `prefect.yaml`).
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.states import Completed, State

from casewatch import pipeline
from casewatch.config import load_config
from casewatch.pipeline import Session, SourceResult, mail_settings, week_of


# No Prefect retries: the session retries each request that failed for a transient reason
# (timeouts, 429, 5xx, with backoff and Retry-After), and a source that still fails is recorded
# and asked again next run. A task retry would repeat every request of the source, multiplying
# the load on a host that is already struggling; a collection that raises is a bug, not weather.
@task(name="collect", cache_policy=NO_CACHE, task_run_name="collect-{source[name]}")
def collect(source: dict, db_path: Path, session: Session | None = None) -> SourceResult:
    """Collect one source (sites and feeds through the run's shared polite session)."""
    logger = get_run_logger()
    result = pipeline.collect(source, db_path, session)
    logger.info("%s: %d new article(s) from %d document(s)", source["name"], len(result.articles), len(result.documents))
    for error in result.errors:
        logger.warning("%s: %s", source["name"], error)
    return result


@task(name="save", cache_policy=NO_CACHE, task_run_name="save-{source[name]}")
def save(run: pipeline.Run, result: SourceResult, source: dict) -> list[str]:
    """Save one source's documents, each with its articles in one transaction."""
    new = run.save(result, source)
    get_run_logger().info("%s: %d article(s) stored as new", source["name"], len(new))
    return new


@task(name="classify", cache_policy=NO_CACHE)
def classify_pending(run: pipeline.Run, model_path: Path) -> int:
    """Score the articles the model has not seen, in batches."""
    logger = get_run_logger()
    count = run.classify(model_path, progress=lambda done, total: logger.info("classified %d/%d", done, total))
    logger.info("%d article(s) classified", count)
    return count


@task(name="digest", cache_policy=NO_CACHE)
def write_digest(run: pipeline.Run, digest_dir: Path, simplified: bool, tz: str, base_url: str | None = None) -> Path:
    """Write the week's digest and publish it as a Markdown artifact."""
    path = run.write_digest(digest_dir, simplified=simplified, tz=tz, base_url=base_url)
    get_run_logger().info("digest written to %s", path)
    create_markdown_artifact(
        path.read_text(encoding="utf-8"), key=f"digest-{run.week.lower()}", description=f"casewatch digest {run.week}"
    )
    return path


# No Prefect retries: a send retries with backoff by itself and keeps a failure for the next run.
@task(name="send", cache_policy=NO_CACHE)
def send_digest(run: pipeline.Run, settings) -> str:
    """E-mail the week's digest once."""
    outcome = run.send_digest(settings)
    (get_run_logger().info if outcome.ok else get_run_logger().warning)("e-mail: %s", outcome.message)
    return outcome.status


# No Prefect retries, as for `send`. One task for all readers: a batch, not a task per reader.
@task(name="reader-digests", cache_policy=NO_CACHE)
def reader_digests(run: pipeline.Run, config, settings) -> list[dict]:
    """Write each reader's part of the week's digest and, when e-mail is on, send each once."""
    logger = get_run_logger()
    written = run.write_reader_digests(
        config.readers, config.digest_dir, simplified=config.simplified, tz=config.timezone, base_url=config.digest_base_url
    )
    logger.info("%d reader digest(s) written", len(written))
    if settings is None:
        return []
    rows = []
    for name, outcome in run.send_reader_digests(settings):
        (logger.info if outcome.ok else logger.warning)("e-mail to %s: %s", name, outcome.message)
        if outcome.status == "failed":
            rows.append({"source": "e-mail", "document": name, "reason": outcome.message})
    return rows


def collected(future: PrefectFuture, source: dict) -> SourceResult:
    """A source's result; when its collection raised, a failed result, so the other sources go on."""
    try:
        return future.result()
    except Exception as exc:
        get_run_logger().error("%s: collection failed: %s", source["name"], pipeline.describe(exc))
        return pipeline.failed_collection(source, exc)


def failure_rows(result: SourceResult, source: dict) -> list[dict]:
    """One row per failed document or error of a source: what the failures artifact shows."""
    return [
        {"source": source["name"], "document": "" if name == source["name"] else name, "reason": reason}
        for name, reason in pipeline.failures(result)
    ]


@task(name="report-failures", cache_policy=NO_CACHE)
def report_failures(week: str, rows: list[dict]) -> None:
    """Publish the run's failures as a table artifact, `failures-<week>`, empty when nothing failed.

    Published on every run, so that the key's latest version is the latest run's word: a
    failure that a later run cleared is not left standing.
    """
    create_table_artifact(
        rows or [{"source": "", "document": "", "reason": "nothing failed"}],
        key=f"failures-{week.lower()}",
        description=f"casewatch {week}: the sources, documents and e-mail that failed in the latest run",
    )


def final_state(summary: dict, rows: list[dict]) -> dict | State:
    """The flow's end: its summary, or a Completed state named Partial that says what failed.

    Calling the flow still returns the summary (Prefect returns a returned state's data), so
    `casewatch run` reads the same dict either way.
    """
    if not rows:
        return summary
    sources = [name for name in dict.fromkeys(row["source"] for row in rows) if name != "e-mail"]
    parts = [f"{len(sources)} source(s) failed: {', '.join(sources)}"] if sources else []
    if len(sources) < len({row["source"] for row in rows}):
        parts.append("the e-mail was not sent")
    message = f"{'; '.join(parts)} (artifact failures-{summary['week'].lower()})"
    return Completed(name="Partial", message=message, data=summary)


@flow(name="weekly", log_prints=True)
def weekly(
    config_path: str | None = None,
    db: str | None = None,
    digest_dir: str | None = None,
    week: str | None = None,
    send: bool = True,
) -> dict | State:
    """Collect every configured source, classify what is new, write the week's digest and e-mail it."""
    config = load_config(config_path, db=db, digest_dir=digest_dir)
    mail = mail_settings(config.email_to) if send else None  # a bad SMTP setting fails before any work
    rows: list[dict] = []
    with pipeline.Run(config.db, week or week_of(tz=config.timezone)) as run:
        session = run.open_session(config.http)  # one per run: hosts are paced across sources
        futures = [(source, collect.submit(source, config.db, session)) for source in config.sources]
        for source, future in futures:
            result = collected(future, source)
            save(run, result, source)
            rows += failure_rows(result, source)
        run.check_stopped()  # SIGTERM or Ctrl-C: what was collected is saved; stop before classifying
        classify_pending(run, config.model)
        write_digest(run, config.digest_dir, config.simplified, config.timezone, config.digest_base_url)
        if config.readers:  # each reader their part; the single digest goes to no one
            rows += reader_digests(run, config, mail)
        elif mail is not None and send_digest(run, mail) == "failed":
            rows.append({"source": "e-mail", "document": "", "reason": run.mail.message})
    report_failures(run.week, rows)
    return final_state(run.summary(), rows)


def weekly_deployment(
    config_path: Path | None,
    cron: str = "0 7 * * 1",
    timezone: str = "Asia/Shanghai",
    db: Path | None = None,
):
    """The weekly flow as a deployment on a cron schedule, for `serve` or a work pool.

    The flow is found by its module path, so a run started by the runner finds it from
    any working directory (casewatch is installed).
    """
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    parameters = {"config_path": str(Path(config_path).resolve()) if config_path else None}
    if db is not None:
        parameters["db"] = str(Path(db).resolve())
    return weekly.to_deployment(
        name="casewatch-weekly",
        schedules=[Cron(cron, timezone=timezone)],
        parameters=parameters,
        description="Collect, classify, store and digest the week's business-environment cases.",
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
