"""The `casewatch` command line: one command per verb, each a few library calls."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from .config import ConfigError, check_schedule, load_config
from .errors import RunFailed
from .logs import install_redaction, redact_text

# Offline, Prefect's telemetry logs an error at every start; opt out before it is imported.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# Prefect's temporary server gives up after 20 s; on a loaded 2-core machine it needs 16-20 s.
STARTUP_TIMEOUT = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
os.environ.setdefault(STARTUP_TIMEOUT, "90")

# RunFailed: the run is recorded as failed with its error; the cause is in the flow's log.
EXPECTED_ERRORS = (ConfigError, FileNotFoundError, KeyError, ValueError, RunFailed)


class Group(click.Group):
    """Report expected errors as one line, not a traceback."""

    def invoke(self, ctx: click.Context):
        # Secrets in source URLs never reach a log line, from casewatch, Prefect, requests or urllib3.
        install_redaction()
        try:
            return super().invoke(ctx)
        except EXPECTED_ERRORS as exc:
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            click.echo(f"error: {shown(redact_text(str(message)))}", err=True)
            ctx.exit(1)


config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False),
    help="Configuration file (default: $CASEWATCH_CONFIG or ./casewatch.toml).",
)
db_option = click.option("--db", type=click.Path(dir_okay=False), help="SQLite database (default: from the configuration).")
digest_dir_option = click.option(
    "--digest-dir", type=click.Path(file_okay=False), help="Where digests are written (default: from the configuration)."
)
week_option = click.option("--week", help="ISO week YYYY-Www (default: the current week in Asia/Shanghai).")


def check_writable(*folders: Path) -> None:
    """Fail early, in one line, when an output folder cannot be created or written."""
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create {folder}: {exc.strerror or exc}") from exc
        if not os.access(folder, os.W_OK):
            raise ConfigError(f"cannot write to {folder}")


def show_progress(logger: str) -> None:
    """Print a library's progress messages (INFO and above) on stderr."""
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    log = logging.getLogger(logger)
    log.addHandler(handler)
    log.setLevel(logging.INFO)


def shown(text: object) -> str:
    """Text from a file name or a server as one line of output: control characters escaped
    (a newline in a file name would otherwise forge a line of casewatch's own)."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in str(text))


def echo_failures(failures: list) -> None:
    """One line per failed document or source: `failed: <name>: <reason>`."""
    for name, reason in failures:
        click.echo(f"failed: {shown(name)}: {shown(reason)}")


def run_flow(name, **parameters):
    """Call the flow `name` (weekly, backfill, retrain; or a flow itself): the one place the commands reach Prefect.

    With no Prefect server to report to, start Prefect's temporary server first and import the flow
    while it starts; if it does not answer in time, try once more, then say so in one line.
    """
    import importlib

    from flows.serve import ServerDidNotStart, TemporaryServer, api_for_flows

    found = api_for_flows(Path(parameters["db"]) if parameters.get("db") else None)
    server = None if found else TemporaryServer().start()
    flow = getattr(importlib.import_module(f"flows.{name}"), name) if isinstance(name, str) else name
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL, temporary_settings

    if found:  # a running server: no temporary one to start
        click.echo(f"Prefect: using {found[1]} at {found[0]}", err=True)
        with temporary_settings({PREFECT_API_URL: found[0]}):
            return flow(**parameters)
    timeout = float(os.environ[STARTUP_TIMEOUT])
    for attempt in (1, 2):
        server = server or TemporaryServer().start()
        try:
            url = server.wait(timeout)
            # No UI, and gone when the command ends: no "View at" link to it.
            with temporary_settings({PREFECT_API_URL: url, PREFECT_UI_URL: ""}):
                return flow(**parameters)
        except ServerDidNotStart:
            if attempt == 1:
                click.echo("Prefect's temporary server did not start in time; trying once more", err=True)
        finally:
            server.stop()
            server = None
    raise ConfigError(
        f"Prefect's temporary server did not start within {os.environ[STARTUP_TIMEOUT]} s, twice; "
        f"set {STARTUP_TIMEOUT} higher, or PREFECT_API_URL to a running Prefect server"
    )


def current_week(config, week: str | None) -> str:
    from .pipeline import parse_week, week_of

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
@digest_dir_option
@week_option
@click.option("--no-send", is_flag=True, help="Do not e-mail the digest, even if SMTP is configured.")
def run(config_path, db, digest_dir, week, no_send) -> None:
    """Run the weekly flow once: collect, classify, store, write the digest and e-mail it."""
    config = load_config(config_path, db=db, digest_dir=digest_dir)
    week = current_week(config, week)
    check_writable(config.db.parent, config.digest_dir, config.model.parent)
    if not config.sources:
        click.echo(f"warning: no [[sources]] in {config.path or 'the configuration'}; the digest will be empty", err=True)
    summary = run_flow(
        "weekly", config_path=str(config.path) if config.path else None, db=str(config.db),
        digest_dir=str(config.digest_dir), week=week, send=not no_send,
    )
    click.echo(
        f"week {summary['week']}: {summary['new_articles']} new article(s), "
        f"{summary['classified']} classified, {summary['errors']} source error(s)"
    )
    click.echo(f"database: {summary['db']}")
    click.echo(f"digest:   {summary['digest']}")
    if summary["mail"]:
        click.echo(f"e-mail:   {summary['mail']}")
    for path in summary.get("reader_digests", []):
        click.echo(f"reader:   {path}")
    for name, _, message in summary.get("deliveries", []):
        click.echo(f"e-mail:   {name}: {message}")
    for name, reason in summary.get("waiting", []):  # not failures: files still being written
        click.echo(f"waiting: {name}: {reason}")
    echo_failures(summary["failures"])
    if summary.get("mail_failed"):
        sys.exit(1)  # the digest is written and kept; the e-mail line says which command sends it


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@config_option
@db_option
@digest_dir_option
@click.option("--source", default="manual", show_default=True, help="Source name recorded for these files.")
@week_option
def ingest(paths, config_path, db, digest_dir, source, week) -> None:
    """Add compilation files (TXT, PDF, DOCX, HTML) to the store by hand and rewrite the week's digest."""
    from . import pipeline

    config = load_config(config_path, db=db, digest_dir=digest_dir)
    run, result, skipped = pipeline.ingest(
        [Path(p) for p in paths], config.db, config.model, config.digest_dir, current_week(config, week), source,
        simplified=config.simplified, tz=config.timezone, base_url=config.digest_base_url,
    )
    for path in skipped:
        click.echo(f"{shown(path.name)}: already read, skipped")
    for document in result.documents:
        click.echo(f"{shown(document.name)}: {document.status}, {document.articles} article(s)")
    click.echo(f"{run.new_articles} new article(s), {run.classified} classified; database: {config.db}")
    click.echo(f"digest: {run.digest}")
    echo_failures(run.failures)
    if run.failures and not skipped and not any(document.status == "ok" for document in result.documents):
        sys.exit(1)  # nothing given could be read


@cli.command()
@click.argument("locations", nargs=-1, metavar="[PATH_OR_URL]...")
@click.option("--source", help="A site source of the configuration, read back to --since instead of files.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="With --source: the oldest publication date (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="With --source: the newest publication date (default: today).")
@click.option("--batch", type=click.IntRange(1), help="Documents (or listing pages) per batch (default: 16 documents, 5 pages).")
@config_option
@db_option
@digest_dir_option
def backfill(locations, source, since, until, batch, config_path, db, digest_dir) -> None:
    """Store past compilations, or a site's articles since a date, each under its publication week; write those weeks' digests."""
    if bool(locations) == bool(source):
        raise click.UsageError("give compilation files or URLs, or --source NAME --since YYYY-MM-DD")
    if source and since is None:
        raise click.UsageError("--source needs --since YYYY-MM-DD")
    if locations and (since or until):
        raise click.UsageError("--since and --until go with --source (files are dated by their contents)")
    if until and since and until < since:
        raise click.UsageError("--until is before --since")
    config = load_config(config_path, db=db, digest_dir=digest_dir)
    documents = {s["name"] for s in config.sources if s.get("kind") == "document"}
    for location in locations:
        if not location.startswith(("http://", "https://")) and location not in documents and not Path(location).is_file():
            raise FileNotFoundError(f"{location} is not a file (nor a document source of the configuration)")
    from . import pipeline

    if source:
        pipeline.site_source(config.sources, source)  # a wrong name or kind in one line, before Prefect starts
    check_writable(config.db.parent, config.digest_dir, config.model.parent)
    if not source and pipeline.nothing_to_backfill(config.db, locations, config.sources):
        # Decided from the store, without starting Prefect: the summary a flow run would print.
        click.echo(f"backfill: 0 new article(s), 0 classified, 0 error(s); database: {config.db}")
        click.echo("nothing new: every file was read before and every digest is up to date (no flow run)")
        return
    summary = run_flow(
        "backfill", config_path=str(config.path) if config.path else None, db=str(config.db),
        # The flow's parameters are stored by Prefect: URLs go redacted, their secrets stay in this process.
        digest_dir=str(config.digest_dir), locations=pipeline.hold_secrets(locations) or None, source=source,
        since=since.date() if since else None, until=until.date() if until else None, batch=batch,
    )
    click.echo(
        f"backfill: {summary['new_articles']} new article(s), {summary['classified']} classified, "
        f"{summary['errors']} error(s); database: {summary['db']}"
    )
    for path in summary["digests"]:
        click.echo(f"digest: {path}")
    echo_failures(summary["failures"])


@cli.command("check-source")
@click.argument("url", required=False)
@click.option("--kind", type=click.Choice(["site", "feed", "document"]), default=None, help="What the URL is (default: site).")
@click.option("--source", "source_name", help="A configured source: its URL, kind and settings (api_url …).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@config_option
def check_source(url, kind, source_name, as_json, config_path) -> None:
    """Show what a run would take from a source (pages, links, first articles), storing nothing."""
    from . import pipeline

    config = load_config(config_path)
    source = None
    if source_name:
        source = next((s for s in config.sources if s["name"] == source_name), None)
        if source is None:
            raise click.UsageError(f"no source named {source_name!r} in the configuration")
        if source.get("kind") not in ("site", "feed", "document"):
            raise click.UsageError(f"source {source_name!r} is of kind {source.get('kind')!r}: check-source reads a site, feed or document")
        url, kind = url or source.get("url"), kind or source.get("kind")
    if not url:
        raise click.UsageError("give a URL or --source NAME")
    report = pipeline.check_source(url, kind or "site", config.http, source=source)
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else pipeline.render_check(report))


@cli.command()
@config_option
@db_option
@digest_dir_option
@week_option
@click.option("--send", is_flag=True, help="E-mail the digest, unless it was sent already (SMTP settings from the environment).")
@click.option("--resend", is_flag=True, help="E-mail the digest even if it was sent already.")
@click.option("--reader", help="Only this reader's part ([[readers]] in the configuration): preview it, or --send it to them.")
def digest(config_path, db, digest_dir, week, send, resend, reader) -> None:
    """Write the Markdown and HTML digest of a week again from the store; e-mail it with --send."""
    from . import pipeline

    config = load_config(config_path, db=db, digest_dir=digest_dir)
    if not config.db.exists():
        raise FileNotFoundError(f"no database at {config.db}: run `casewatch run` first")
    week = current_week(config, week)
    if reader is not None:
        configured = config.reader(reader)
        settings = pipeline.mail_settings(configured["to"]) if send or resend else None
        [part] = pipeline.write_reader_digests(
            config.db, week, [configured], config.digest_dir, simplified=config.simplified, tz=config.timezone,
            base_url=config.digest_base_url,
        )  # fmt: skip
        click.echo(part.path)
        click.echo(part.path.with_suffix(".html"))
        click.echo(f"{len(part.articles)} case(s) for {reader}: {part.digest.scope}")
        if settings is not None:
            [(_, outcome)] = pipeline.send_reader_digests(config.db, week, [part], settings, resend=resend)
            click.echo(outcome.message, err=not outcome.ok)
            if not outcome.ok:
                sys.exit(1)
        return
    settings = pipeline.mail_settings(config.email_to) if send or resend else None  # a bad setting before any work
    path = pipeline.write_digest(
        config.db, week, config.digest_dir, simplified=config.simplified, tz=config.timezone, base_url=config.digest_base_url
    )
    click.echo(path)
    click.echo(path.with_suffix(".html"))
    if settings is not None:
        outcome = pipeline.send_digest(config.db, week, settings, resend=resend)
        click.echo(outcome.message, err=not outcome.ok)
        if not outcome.ok:
            sys.exit(1)


@cli.command()
@config_option
@db_option
def weeks(config_path, db) -> None:
    """List the weeks in the store, oldest first, with their case counts and whether their digest was sent (to each reader)."""
    from . import pipeline

    config = load_config(config_path, db=db)
    rows = pipeline.weeks(config.db)
    if not rows:
        click.echo(f"no cases in {config.db} yet")
    for row in rows:
        sent = f" {row['sent_at'][:10]}" if row["sent_at"] else ""
        click.echo(f"{row['week']}  {row['cases']:>6} case(s)  digest {row['digest']}{sent}")
        for send in row["readers"]:
            click.echo(f"          reader {send['reader']}: {send['status']}{' ' + send['sent_at'][:10] if send['sent_at'] else ''}")


@cli.command()
@config_option
@db_option
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only reforms seen in a case since this date (YYYY-MM-DD).")
@click.option("--indicator", help="Only the reforms of this indicator (its slug, e.g. construction_permits).")
@click.option("--all", "every", is_flag=True, help="Also the reforms seen in one case only.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of reforms, each with its cases in date order.")
def reforms(config_path, db, since, indicator, every, as_json) -> None:
    """List the reforms that spread between regions: where each was first seen and who followed."""
    from . import pipeline

    config = load_config(config_path, db=db)
    found = pipeline.reforms(config.db, since.date() if since else None, indicator, 1 if every else 2)
    if as_json:
        keys = ("name", "indicator", "first_region", "first_date", "regions", "provinces")
        shown_reforms = [
            {k: r[k] for k in keys} | {"cases": [{k: c[k] for k in ("id", "region", "date", "title")} for c in r["cases"]]}
            for r in found
        ]
        click.echo(json.dumps(shown_reforms, ensure_ascii=False, indent=2))
    else:
        click.echo(pipeline.render_reforms(found))


@cli.command()
@config_option
@db_option
@click.option("--cron", help='When to run, e.g. "30 6 * * 1" (default: [schedule] cron, Mondays 07:00 Asia/Shanghai).')
def serve(config_path, db, cron) -> None:
    """Serve the weekly flow on its cron schedule until stopped (Ctrl-C or SIGTERM)."""
    from flows import serve as serving
    from flows.weekly import weekly_deployment

    config = load_config(config_path, db=db)
    schedule = check_schedule(cron, config.schedule.timezone, "--cron:") if cron else config.schedule
    serving.check_cron(schedule.cron, schedule.timezone)
    check_writable(config.db.parent, config.digest_dir, config.model.parent)
    deployment = weekly_deployment(config.path, schedule.cron, schedule.timezone, db=Path(db) if db else None)

    def scheduled(name, when, by_server) -> None:
        if not by_server:
            click.echo("warning: the Prefect server has scheduled no run yet; is its scheduler running?", err=True)
        local = when.astimezone(ZoneInfo(schedule.timezone)).strftime("%Y-%m-%d %H:%M")
        click.echo(f"serving {name} on \"{schedule.cron}\" ({schedule.timezone}); next run {local} {schedule.timezone}")

    try:
        with serving.prefect_api(config.db) as (url, started_here):
            click.echo(f"Prefect API: {url}" + (" (a local server, stopped with casewatch serve)" if started_here else ""))
            serving.serve(deployment, scheduled)
    except serving.ServerDidNotStart as exc:
        raise ConfigError(str(exc)) from None
    click.echo("stopped")


@cli.command()
@config_option
@db_option
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 to serve other machines).")
def browse(config_path, db, port, host) -> None:
    """Browse, search and map the store in Datasette until stopped (Ctrl-C)."""
    from . import pipeline

    config = load_config(config_path, db=db)
    if not config.db.exists():
        raise FileNotFoundError(f"no database at {config.db}; `casewatch run` makes one")
    pipeline.browse(config.db, host, port, ready=lambda: click.echo(f"serving {config.db} at http://{host}:{port}/casewatch (Ctrl-C stops)"))
    click.echo("stopped")


@cli.command("classify")
@click.option("--jsonl", is_flag=True, help='Read JSON lines {"id", "title"?, "text"}; write one decision per line.')
@config_option
@db_option
def classify_text(jsonl, config_path, db) -> None:
    """Classify text from stdin and print the decision as JSON."""
    from . import pipeline

    config = load_config(config_path, db=db)
    model = pipeline.load_classifier(config.db, config.model)
    if not jsonl:
        decision = model.predict(sys.stdin.read())
        click.echo(json.dumps(decision.as_json(), ensure_ascii=False, indent=2))
        return
    for batch in read_jsonl_batches(sys.stdin):
        for item, decision in zip(batch, model.predict_many([(i.get("title"), i["text"]) for i in batch])):
            click.echo(json.dumps(decision.as_json(item.get("id")), ensure_ascii=False))


def read_jsonl_batches(stream, size: int = 512):
    """Batches of JSON objects with a "text", read line by line from `stream`."""
    batch = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"stdin line {number}: not JSON: {exc.msg}") from exc
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ValueError(f'stdin line {number}: expected an object with a "text" string')
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@cli.command()
@config_option
@db_option
def train(config_path, db) -> None:
    """Retrain the indicator model with the analysts' labels (the model card is `evaluate --card`)."""
    from . import pipeline

    config = load_config(config_path, db=db)
    show_progress("classify")
    model = pipeline.retrain_model(config.db, config.model)
    click.echo(f"model: {config.model} ({model.metadata['n_extra']} analyst label(s) added to the corpus)")


@cli.command()
@config_option
@db_option
@click.option("--quick", is_flag=True, help="Publish what training measured instead of measuring the full card (seconds, not minutes).")
@click.option("--card", "card_path", type=click.Path(dir_okay=False), help="Also write the model card to this file.")
def retrain(config_path, db, quick, card_path) -> None:
    """Run the retrain flow: rebuild the model with the analysts' labels and publish its model card."""
    config = load_config(config_path, db=db)
    check_writable(config.model.parent, *([Path(card_path).resolve().parent] if card_path else []))
    summary = run_flow(
        "retrain", config_path=str(config.path) if config.path else None, db=str(config.db),
        measure=not quick, card_path=str(Path(card_path).resolve()) if card_path else None,
    )
    click.echo(f"model: {summary['model']} ({summary['analyst_labels']} analyst label(s) added to the corpus)")
    click.echo(f"model card: artifact {summary['artifact']}" + (f", {summary['card']}" if summary["card"] else ""))


@cli.command()
@click.option("--data", type=click.Path(exists=True, dir_okay=False), help="Labelled JSONL: text, primary, optional title and secondary.")
@click.option("--card", type=click.Path(dir_okay=False), help="Measure everything and write the model card here (a few minutes).")
@config_option
@db_option
def evaluate(data, card, config_path, db) -> None:
    """Print the model's figures on a labelled JSONL file, or write the model card."""
    from . import pipeline

    if not data and not card:
        raise click.UsageError("give --data FILE, --card PATH, or both")
    config = load_config(config_path, db=db)
    model = pipeline.load_classifier(config.db, config.model)
    if data:
        click.echo(pipeline.evaluation_report(model, Path(data)))
    if card:
        check_writable(Path(card).resolve().parent)
        show_progress("classify")
        click.echo(f"model card: {pipeline.write_model_card(model, Path(card))}")


@cli.command()
@click.argument("article_id", required=False)
@click.argument("slug", required=False)
@click.option("--import", "import_path", type=click.Path(exists=True, dir_okay=False), help="A JSONL or CSV file of corrections (id, indicator).")
@click.option("--note", help="Why the label was changed.")
@config_option
@db_option
def label(article_id, slug, import_path, note, config_path, db) -> None:
    """Record an analyst's indicator for an article; it overrides the model and trains the next one."""
    from . import pipeline

    config = load_config(config_path, db=db)
    if import_path:
        pairs = pipeline.read_corrections(Path(import_path))
    elif article_id and slug:
        pairs = [(article_id, slug)]
    else:
        raise click.UsageError("give ARTICLE_ID SLUG, or --import FILE")
    if not config.db.exists():
        raise FileNotFoundError(f"no database at {config.db}")
    count = pipeline.save_labels(config.db, pairs, note)
    click.echo(f"{count} label(s) saved; the next run retrains the model with them")


def main() -> None:
    """Entry point of the console script."""
    cli()


if __name__ == "__main__":
    main()
