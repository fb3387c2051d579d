"""The `casewatch` command line: one command per verb, each a few library calls."""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

import click

from .config import ConfigError, load_config

# Offline, Prefect's telemetry logs an error at every start; opt out before it is imported.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

EXPECTED_ERRORS = (ConfigError, FileNotFoundError, KeyError, ValueError)


class Group(click.Group):
    """Report expected errors as one line, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except EXPECTED_ERRORS as exc:
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            click.echo(f"error: {message}", err=True)
            ctx.exit(1)


config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False),
    help="Configuration file (default: $CASEWATCH_CONFIG or ./casewatch.toml).",
)
db_option = click.option("--db", type=click.Path(dir_okay=False), help="SQLite database (default: from the configuration).")
week_option = click.option("--week", help="ISO week YYYY-Www (default: the current week in Asia/Shanghai).")


def current_week(config, week: str | None) -> str:
    from digests import parse_week, week_of

    if week:
        parse_week(week)
        return week
    return week_of(tz=config.timezone)


@click.group(cls=Group)
@click.version_option(package_name="casewatch")
def cli() -> None:
    """casewatch: weekly monitoring of business-environment (营商环境) reform cases."""


@cli.command()
@config_option
@db_option
@click.option("--digest-dir", type=click.Path(file_okay=False), help="Where digests are written (default: from the configuration).")
@week_option
def run(config_path, db, digest_dir, week) -> None:
    """Run the weekly flow once: collect, classify, store and write the digest."""
    config = load_config(config_path, db=db, digest_dir=digest_dir)
    week = current_week(config, week)
    from flows.weekly import weekly

    summary = weekly(config_path=str(config.path) if config.path else None, db=str(config.db), digest_dir=str(config.digest_dir), week=week)
    click.echo(
        f"week {summary['week']}: {summary['new_articles']} new article(s), "
        f"{summary['classified']} classified, {summary['errors']} source error(s)"
    )
    click.echo(f"database: {summary['db']}")
    click.echo(f"digest:   {summary['digest']}")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@config_option
@db_option
@click.option("--source", default="manual", show_default=True, help="Source name recorded for these files.")
@week_option
def ingest(paths, config_path, db, source, week) -> None:
    """Add compilation files (TXT, PDF, DOCX, HTML) to the store by hand."""
    from . import pipeline

    config = load_config(config_path, db=db)
    week = current_week(config, week)
    import store

    pipeline.prepare_store(config.db)
    run = uuid.uuid4().hex[:12]
    store.start_run(store.open_db(config.db), run, week)
    result = pipeline.ingest_files([Path(p) for p in paths], config.db, source)
    for document in result.documents:
        click.echo(f"{document.name}: {document.status}, {document.articles} article(s)" + (f" ({document.error})" if document.error else ""))
    new = pipeline.save(config.db, result, {"name": source}, run, week)
    classified = pipeline.classify_pending(config.db, config.model)
    store.finish_run(
        store.open_db(config.db), run, status="ok" if not result.errors else "partial",
        new_articles=len(new), classified=classified, errors=len(result.errors),
    )
    click.echo(f"{len(new)} new article(s), {classified} classified; database: {config.db}")
    if result.errors and not result.articles:
        sys.exit(1)


def main() -> None:
    """Entry point of the console script."""
    cli()
