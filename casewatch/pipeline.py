"""The steps of a run as plain functions, and `Run`, which keeps a run's record.

flows/ wraps the steps as Prefect tasks; the CLI uses them directly. Each step
opens the store itself from a path, so a step can run in a task, a worker
process or a test without sharing a connection.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from types import TracebackType

import classify
import digests
import store
from scrapers import Article, SourceResult, collect_file, collect_source
from scrapers.feed import collect_feed
from scrapers.mailbox import collect_mailbox
from scrapers.deadlines import request_stop, reset_stop
from scrapers.deadlines import stop_reason as stop_requested
from scrapers.http import Session
from scrapers.documents import sha256
from scrapers.isolate import one_worker
from scrapers.redact import redact_result, redact_text, redact_url
from scrapers.kinds import collector, network_kinds
from scrapers.listing_api import endpoint_from_source, endpoint_on_page
from scrapers.site import Backfill, backfill_site, collect_site, start_backfill
from store import reports

from .config import HttpSettings
from .cores import a_core_is_idle
from .scoring import ScoreAhead, classify_pending, human_examples, load_classifier
from .week_digests import digest_basis, write_digest, write_digests

# What the flows and the CLI need from the stages below, handed over here so that they import
# nothing but this module (the one door): the records they pass between tasks and the helpers
# that name a week or read the mail settings.
Classifier = classify.Classifier
week_of = digests.week_of
parse_week = digests.parse_week
mail_settings = digests.mail_settings
__all__ = [
    "Backfill", "Classifier", "Run", "RunStopped", "Session", "SourceResult", "mail_settings", "parse_week", "week_of",
]
from .errors import RunFailed, RunStopped
from .logs import install_redaction


def prepare_store(db_path: Path) -> None:
    """Create the store's tables and the indicator lookup table."""
    with store.open_db(db_path) as db:
        store.save_indicators(db, classify.INDICATORS)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While a run is open, SIGTERM and SIGINT stop its requests and readers promptly, so that it
    saves what is complete and ends; a second signal acts as the first would have without this.

    Prefect's own SIGTERM handler (installed for a flow run) is put back on the way out.
    """
    previous: dict[int, object] = {}

    def handler(signum: int, frame) -> None:
        if stop_requested():  # asked twice: stop now, the way the signal would have
            signal.signal(signum, previous.get(signum) or signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        request_stop(f"stopped by {signal.Signals(signum).name}")

    reset_stop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            previous[signum] = signal.signal(signum, handler)
        except ValueError:  # not the main thread: the caller's handlers stay
            pass
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


# Network sources: collected through the run's polite session (the kinds the registry marks `network`).
WEB_COLLECTORS = {kind: collector(kind) for kind in network_kinds()}


def open_session(settings: HttpSettings, validators: dict | None = None) -> Session:
    """One polite HTTP session for a run's network sources, so that the rate limit holds per host across them."""
    return Session(
        user_agent=settings.user_agent,
        rate=settings.rate,
        timeout=(settings.connect_timeout, settings.read_timeout),
        max_bytes=settings.max_bytes,
        retries=settings.retries,
        robots=settings.robots,
        validators=validators,
        deadline=settings.deadline,
        source_budget=settings.source_budget,
    )


def collect(source: dict, db_path: Path, session: Session | None = None) -> SourceResult:
    """Collect one source, skipping documents and article URLs the store has already read."""
    with store.open_db(db_path) as db:
        if source.get("kind") == "mailbox":  # messages are known by their IMAP URL, documents by content
            if session is None:  # links to compilations are listed, not fetched
                return redact_result(collect_mailbox(source, store.known_documents(db), store.known_urls(db)))
            # Linked compilations through the polite session; private addresses only if the mail server is on one.
            view = session.for_source(f"imap://{source['host']}/")
            try:
                result = collect_mailbox(source, store.known_documents(db), store.known_urls(db), fetch=view.fetch_file)
            finally:
                view.close()
            result.fetch_log = view.log
            return redact_result(result)
        if source.get("kind") in WEB_COLLECTORS:
            if session is None:
                raise ValueError(f"source {source['name']!r} is a {source['kind']} and needs the run's HTTP session")
            # URLs that answered 404 lately wait their turn (backoff), as known ones do
            # the lines this site was found to repeat on its pages come back as furniture to remove
            source = dict(source, furniture_lines=store.site_furniture(db, source["name"]))
            return collect_web(source, session, store.known_urls(db) | store.waiting_urls(db))
        if source.get("url") and session is not None:  # a document on the web: through the polite session
            view = session.for_source(source["url"], None)
            try:
                result = collect_source(source, store.known_documents(db), fetch=view.fetch_file)
            finally:
                view.close()
            result.fetch_log = redact_result(SourceResult(source["name"], "document", fetch_log=view.log)).fetch_log
            return result
        return collect_source(source, store.known_documents(db))


def collect_web(source: dict, session: Session, known_urls: set[str]) -> SourceResult:
    """Collect a site or feed through its own view of the run's session (sources run in parallel threads)."""
    view = session.for_source(source["url"], None)
    try:
        collected = WEB_COLLECTORS[source["kind"]](source, view, known_urls)
    finally:
        view.close()
    result = collected.source_result()
    if view.spent:  # one line for the source, not one per request it could not make
        result.errors = [e for e in result.errors if "budget of" not in e]
        result.errors.append(f"stopped: the source's budget of {view.budget:g} s ([http] source_budget) was spent")
    if stop_requested():
        result.errors = [e for e in result.errors if "not requested:" not in e]
        result.errors.append(f"stopped: {stop_requested()}")
    # Validators are kept only from a source collected without a failure: after a failure, an
    # unchanged listing would answer 304 next run and the failed article would never be asked again.
    if not result.errors:
        fetched = {entry["url"] for entry in result.fetch_log if entry["outcome"] == "ok"}
        result.validators = {url: view.validators[url] for url in fetched if url in view.validators}
    return result


def failed_collection(source: dict, exc: BaseException) -> SourceResult:
    """The result of a source whose collection raised: nothing collected, the error kept against it."""
    return redact_result(SourceResult(source["name"], source.get("kind", ""), errors=[f"collection failed: {describe(exc)}"]))


def save(db_path: Path, result: SourceResult, source: dict, run: str, week: store.db.Week) -> list[str]:
    """Save a source's result; return the ids of the new articles (`week`: one for all, or a function of each)."""
    # The configured URL may carry credentials or a token: only the configuration keeps them.
    location = redact_url(str(source.get("url") or source.get("path") or ""))
    with store.open_db(db_path) as db:
        return store.save_source_result(db, result, location, run, week, source.get("title"))


def known_documents(db_path: Path) -> set[str]:
    """The hashes of the documents the store has read (`store.known_documents`), the store closed after."""
    with store.open_db(db_path) as db:
        return store.known_documents(db)


def known_urls(db_path: Path) -> set[str]:
    """The canonical URLs the store has read (`store.known_urls`), the store closed after."""
    with store.open_db(db_path) as db:
        return store.known_urls(db)


def failures(result: SourceResult) -> list[tuple[str, str]]:
    """(name, reason) for each document of a result that failed, and for the source's other errors."""
    documents = [(d.name, d.error or d.status) for d in result.documents if d.status not in ("ok", "waiting")]
    # A document's error is also in `result.errors`, alone or as "name: error": say it once.
    explained = {error for _, error in documents} | {f"{name}: {error}" for name, error in documents}
    return documents + [(result.source, error) for error in result.errors if error not in explained]


def waiting(result: SourceResult) -> list[tuple[str, str]]:
    """(name, reason) for each file of a result left for the next run because it was still being written."""
    return [(d.name, d.error or d.status) for d in result.documents if d.status == "waiting"]


def describe(exc: BaseException) -> str:
    """An exception in one line: its type and message."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def retrain_model(db_path: Path, model_path: Path) -> classify.Classifier:
    """Train the model on the corpus and the analysts' labels in the store, and save it."""
    return classify.train_model(model_path, human_examples(db_path))


def model_card(model: classify.Classifier, measure: bool = True) -> str:
    """The model card in Markdown: every figure measured (minutes), or what training itself measured (seconds)."""
    from classify.card import measure_card, render_card

    return render_card(measure_card(model)) if measure else render_training_summary(model)


def evaluation_report(model: classify.Classifier, data: Path) -> str:
    """The model's figures on a labelled JSONL file, as the table `casewatch evaluate --data` prints."""
    return classify.render_report(classify.evaluate(model, classify.read_examples(data)))


def write_model_card(model: classify.Classifier, path: Path) -> Path:
    """Measure every figure of the model card and write it to `path` (minutes)."""
    from classify.card import write_card

    return write_card(model, path)


def browse(db_path: Path, host: str = "127.0.0.1", port: int = 8001, ready: Callable[[], None] | None = None) -> None:
    """Serve the store in Datasette (upgraded first if an older casewatch made it) until stopped."""
    from store.browse import prepare, serve

    datasette = prepare(db_path)
    if ready is not None:
        ready()
    serve(datasette, host=host, port=port)


def render_training_summary(model: classify.Classifier) -> str:
    """A short card from what training measured: when, on what, the settings it chose, the top terms."""
    meta, settings = model.metadata, model.settings
    lines = [
        "# Model card (training summary): casewatch indicator classifier",
        "",
        "Measured by training alone; `casewatch retrain` without `--quick` (or `casewatch evaluate --card`)",
        "measures every figure of the full card.",
        "",
        f"- trained {meta['trained_at']}; code version `{meta['code_version']}`; training took {meta['fit_seconds']:.1f} s",
        f"- training rows: {meta['n_train']} ({meta['n_labels']} labelled real cases, {meta['n_extra']} analysts' corrections)",
        f"- corpus `{meta['corpus_hash']}`, labels `{meta['labels_hash']}`, analysts' corrections `{meta['extra_hash']}`",
        f"- label share {settings.label_share}, abstention below confidence {settings.threshold:.3f}",
        "",
        "| indicator | top terms |",
        "|---|---|",
    ]
    names = {indicator.slug: indicator.name for indicator in classify.INDICATORS}
    lines += [f"| {names[slug]} | {'、'.join(terms)} |" for slug, terms in model.top_terms(8).items()]
    return "\n".join(lines) + "\n"


def read_corrections(path: Path) -> list[tuple[str, str]]:
    """(article id, indicator slug) pairs from a JSONL or CSV file of corrections."""
    import csv
    import json

    text = Path(path).read_text(encoding="utf-8-sig")
    if Path(path).suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
    else:
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: not JSON: {exc.msg}") from exc
    pairs = []
    for number, row in enumerate(rows, start=1):
        key, slug = row.get("id") or row.get("article_id"), row.get("indicator") or row.get("slug")
        if not key or not slug:
            raise ValueError(f"{path}: row {number} needs an id and an indicator")
        pairs.append((str(key), str(slug)))
    return pairs


def save_labels(db_path: Path, pairs: Sequence[tuple[str, str]], note: str | None = None) -> int:
    """Record human labels after checking every slug and id; return how many were saved."""
    with store.open_db(db_path) as db:
        resolved = []
        for key, slug in pairs:
            if slug not in classify.SLUGS:
                raise ValueError(f"unknown indicator {slug!r}; expected one of: {', '.join(classify.SLUGS)}")
            # The digest shows ids shortened to 8 characters: a prefix that names one article is enough.
            resolved.append((store.find_article_id(db, key) or key, slug))
            if not db["articles"].count_where("id = ?", [resolved[-1][0]]):
                raise KeyError(f"no article with id {key!r} in {db_path}")
        pairs = resolved
        for key, slug in pairs:
            store.save_label(db, key, slug, note)
        return len(pairs)


def send_digest(db_path: Path, week: str, settings: digests.MailSettings, resend: bool = False) -> digests.SendOutcome:
    """E-mail the week's stored digest once (it retries by itself; a failure is kept for the next run)."""
    with store.open_db(db_path) as db:
        return digests.send_digest(db, week, settings, resend=resend)


def readers(configured: Sequence[dict]) -> list[digests.Reader]:
    """The configuration's [[readers]] as the digest's readers."""
    return [
        digests.Reader(
            name=r["name"], to=tuple(r["to"]), indicators=tuple(r.get("indicators", ())), provinces=tuple(r.get("provinces", ())),
            cities=tuple(r.get("cities", ())), min_confidence=float(r.get("min_confidence", 0.0)),
            review=bool(r.get("review", True)), reforms=bool(r.get("reforms", True)),
        )  # fmt: skip
        for r in configured
    ]


def write_reader_digests(
    db_path: Path, week: str, configured: Sequence[dict], digest_dir: Path, *, simplified: bool = False,
    tz: str = "Asia/Shanghai", base_url: str | None = None,
) -> list[digests.ReaderDigest]:
    """Each reader's part of the week's digest, written to `<digest_dir>/readers/<name>/<week>.md` and `.html`."""
    with store.open_db(db_path) as db:
        return digests.write_reader_digests(
            db, week, readers(configured), digest_dir, simplified=simplified, tz=tz, base_url=base_url
        )


def send_reader_digests(
    db_path: Path, week: str, written: Sequence[digests.ReaderDigest], settings: digests.MailSettings, resend: bool = False
) -> list[tuple[str, digests.SendOutcome]]:
    """E-mail each reader their part once; a reader whose send fails (whatever the reason) is recorded and the others go on."""
    with store.open_db(db_path) as db:
        outcomes = []
        for part in written:
            try:
                outcome = digests.send_reader_digest(
                    db, week, part.reader.name, part.reader.to, part.rendered, part.articles, settings, resend=resend
                )
            except Exception as exc:  # not the mail server's answer (that is recorded by the send): this reader's failure alone
                outcome = digests.SendOutcome("failed", f"e-mail to {part.reader.name} not sent: {describe(exc)}")
            outcomes.append((part.reader.name, outcome))
        return outcomes


def ingest_files(paths: Sequence[Path], db_path: Path, source: str = "manual") -> tuple[SourceResult, list[Path]]:
    """Read compilation files given by hand; return the result and the files already read before."""
    seen = known_documents(db_path)
    result = SourceResult(source, "document")
    skipped = []
    with one_worker():
        for path in paths:
            before = len(result.documents)
            collect_file(result, str(Path(path).resolve()), seen)
            if len(result.documents) == before:
                skipped.append(Path(path))
    return result, skipped


def ingest(
    paths: Sequence[Path],
    db_path: Path,
    model_path: Path,
    digest_dir: Path,
    week: str,
    source: str = "manual",
    *,
    simplified: bool = False,
    tz: str = "Asia/Shanghai",
    base_url: str | None = None,
) -> tuple[Run, SourceResult, list[Path]]:
    """`casewatch ingest`: read files given by hand, save, classify and rewrite the week's digest, in one
    recorded run (the bookkeeping `Run` keeps for every run); return the run, what was read and the files
    read before. The digest is not e-mailed again (`digest --resend` does that)."""
    with Run(db_path, week) as run:
        result, skipped = ingest_files(paths, db_path, source)
        run.save(result, MANUAL_SOURCE if source == MANUAL_SOURCE["name"] else {"name": source})
        run.classify(model_path)
        run.write_digest(digest_dir, simplified=simplified, tz=tz, base_url=base_url)
    return run, result, skipped


# Backfill: history in batches, each article under the week it was published in.
BACKFILL_SOURCE = {"name": "backfill", "title": "历史汇编"}  # where files given to `casewatch backfill` are recorded
MANUAL_SOURCE = {"name": "manual", "title": "手动导入"}  # files given to `casewatch ingest` (unless named otherwise)


def publication_week(article: Article, fallback: str) -> str:
    """The ISO week of an article's publication date (dates are local, Asia/Shanghai); `fallback` without one."""
    try:
        year, number, _ = date.fromisoformat((article.published or "")[:10]).isocalendar()
    except ValueError:
        return fallback
    return f"{year}-W{number:02d}"


def publication_weeks(fallback: str) -> Callable[[Article], str]:
    """`publication_week` with its fallback set: the `week` a backfill saves with."""
    return functools.partial(publication_week, fallback=fallback)


def return_free_memory() -> None:
    """Give the memory freed by a saved batch back to the system (glibc's `malloc_trim`; elsewhere nothing).

    A batch's transient peak (the classifier's arrays, SQLite's pages) is freed but kept by the
    allocator, so a long backfill's resident memory crept up with each batch (bench/README.md).
    """
    import ctypes
    import ctypes.util

    global _trim
    if _trim is None:
        try:
            _trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _trim = False
    if _trim:
        _trim(0)


_trim = None


def batches(items: Sequence, size: int) -> Iterator[list]:
    """`items` in lists of `size` (the last may be shorter)."""
    for start in range(0, len(items), max(1, size)):
        yield list(items[start : start + max(1, size)])


# Locations given to `casewatch backfill` with their secrets, by their redacted form: a flow's
# parameters are stored by the Prefect server, so the flow gets the redacted URL and the task
# that fetches finds the real one here (in this process only; a deployment run has none).
_held: dict[str, str] = {}


def hold_secrets(locations: Sequence[str]) -> list[str]:
    """The locations as a flow's parameters may carry them: redacted, their secrets kept in this process."""
    shown = []
    for location in locations:
        redacted = redact_url(str(location))
        if redacted != location:
            _held[redacted] = str(location)
        shown.append(redacted)
    return shown


def resolve_location(location: str, sources: Sequence[dict] = ()) -> str:
    """What to read for a backfill location: a `document` source's URL or path by its name, a held URL with its secrets."""
    named = next((s for s in sources if s["name"] == location and s.get("kind") == "document"), None)
    if named is not None:
        return str(named.get("url") or named["path"])
    return _held.get(location, location)


def read_documents(
    locations: Sequence[str],
    db_path: Path,
    source: str = BACKFILL_SOURCE["name"],
    session: Session | None = None,
    sources: Sequence[dict] = (),
) -> SourceResult:
    """Read compilation files or URLs not read before (by content hash), each in a worker process;
    URLs through the polite `session` when there is one."""
    seen = known_documents(db_path)
    result = SourceResult(source, "document")
    with one_worker():  # the batch's documents share a worker process, each still timed and failed alone
        _read_each(locations, result, seen, session, sources)
    return redact_result(result)


def _read_each(locations: Sequence[str], result: SourceResult, seen: set[str], session: Session | None, sources: Sequence[dict]) -> None:
    for location in locations:
        location = resolve_location(str(location), sources)
        if not location.startswith(("http://", "https://")):
            location = str(Path(location).resolve())
        elif "***" in location:
            result.errors.append(
                f"{location}: its credentials are not available to this run; "
                "name a document source of casewatch.toml that holds the URL instead"
            )
            continue
        if session is not None and location.startswith(("http://", "https://")):
            view = session.for_source(location)
            try:
                collect_file(result, location, seen, fetch=view.fetch_file)
            finally:
                view.close()
            result.fetch_log += view.log
        else:
            collect_file(result, location, seen)


def site_source(sources: Sequence[dict], name: str) -> dict:
    """The configured site source of that name; ValueError, in one line, for any other."""
    found = next((source for source in sources if source["name"] == name), None)
    if found is None:
        names = ", ".join(s["name"] for s in sources if s.get("kind") == "site") or "none"
        raise ValueError(f"no source named {name!r} in the configuration (site sources: {names})")
    if found.get("kind") != "site":
        raise ValueError(f"source {name!r} is of kind {found.get('kind')!r}: only a site is backfilled by date (give files as arguments)")
    return found


def start_site_backfill(source: dict, since: date, until: date | None = None) -> Backfill:
    """Where a site source's backfill begins: its first listing page, for articles from `since` to `until`."""
    if until is not None and until < since:
        raise ValueError(f"--until {until} is before --since {since}")
    return start_backfill(source, since, until)


def collect_site_batch(source: dict, session: Session, db_path: Path, backfill: Backfill, pages: int) -> SourceResult:
    """The next `pages` listing pages of a site backfill and their new articles in its date range."""
    view = session.for_source(source["url"])  # a log of this batch's requests only
    try:
        collected = backfill_site(source, view, known_urls(db_path), backfill, pages)
    finally:
        view.close()
    return collected.source_result()


def reforms(db_path: Path, since: date | None = None, indicator: str | None = None, min_cases: int = 2) -> list[dict]:
    """The reforms in the store, the widest spread first, each with its cases in date order (see `store.reform_list`)."""
    if not Path(db_path).exists():
        raise FileNotFoundError(f"no database at {db_path}: run `casewatch run` first")
    if indicator is not None and indicator not in classify.SLUGS:
        raise ValueError(f"unknown indicator {indicator!r}; expected one of: {', '.join(classify.SLUGS)}")
    with store.open_db(db_path) as db:
        return store.reform_list(db, since.isoformat() if since else None, indicator, min_cases)


def render_reforms(found: list[dict]) -> str:
    """Reforms as the lines a person reads: name, indicator, reach and first sighting, then each case."""
    if not found:
        return "no reform seen in two cases or more"
    lines = []
    for reform in found:
        lines.append(
            f"{reform['name']}  [{reform['indicator'] or 'unclassified'}]  {len(reform['cases'])} case(s), "
            f"{reform['regions']} region(s), {reform['provinces']} province(s); first {reform['first_region'] or '?'} {reform['first_date'] or '?'}"
        )
        lines += [f"  {c['date'] or '?':10}  {c['region'] or '?'}  {c['id'][:8]}  {c['title']}" for c in reform["cases"]]
    return "\n".join(lines)


def unread_locations(db_path: Path, locations: Sequence[str], sources: Sequence[dict] = ()) -> list[str]:
    """The backfill locations whose content the store has not read: URLs (known only once fetched), files
    whose content hash is not a stored document's, and paths that cannot be read (their reader records why)."""
    seen = known_documents(db_path) if Path(db_path).exists() else set()
    unread = []
    for location in locations:
        path = resolve_location(str(location), sources)
        if path.startswith(("http://", "https://")):
            unread.append(location)
            continue
        try:
            digest = sha256(Path(path).read_bytes())
        except OSError:
            digest = None
        if digest not in seen:
            unread.append(location)
    return unread


def nothing_to_backfill(db_path: Path, locations: Sequence[str], sources: Sequence[dict] = ()) -> bool:
    """True when a backfill of these files would store nothing and write no digest (so needs no flow run)."""
    return bool(locations) and Path(db_path).exists() and not unread_locations(db_path, locations, sources) and not stale_weeks(db_path)


def stale_weeks(db_path: Path) -> list[str]:
    """Weeks whose digest is behind the store, oldest first: it has none, or the cases of the week or of
    the four before it (which its comparison counts) changed since it was written.

    Found from the store, not from what one run did, so that a backfill interrupted and started
    again writes the digests of the weeks its first part filled.
    """
    with store.open_db(db_path) as db:
        states, bases = reports.week_states(db), reports.digest_bases(db)
    return [week for week in states if bases.get(week) is None or bases[week] != digest_basis(states, week)]


def weeks(db_path: Path) -> list[dict]:
    """The weeks in the store, oldest first: `week`, `cases`, `digest` (none, written, sent), `sent_at`, and
    `readers`: each reader's delivery of the week (`reader`, `status`, `sent_at`)."""
    if not Path(db_path).exists():
        raise FileNotFoundError(f"no database at {db_path}: run `casewatch run` first")
    with store.open_db(db_path) as db:
        sends: dict[str, list[dict]] = {}
        for row in reports.deliveries(db):
            sends.setdefault(row["week"], []).append({k: row[k] for k in ("reader", "status", "sent_at")})
        return [row | {"readers": sends.get(row["week"], [])} for row in reports.case_weeks(db)]


class Run:
    """One run's record in the store, kept in one place for `casewatch run`, `ingest` and the flow.

        with Run(db_path, week) as run:   # the store is prepared, the run recorded as running
            run.save(result, source)       # once per source
            run.classify(model_path)
            run.write_digest(digest_dir)
        run.summary()

    Leaving the block ends the run's row as `ok`, `partial` (some source or document
    failed) or `failed` (a step raised: the error is recorded and RunFailed raised from it).
    """

    def __init__(self, db_path: Path, week: str) -> None:
        self.db_path = Path(db_path)
        self.week = week
        self.id = uuid.uuid4().hex[:12]
        self.status = "running"
        self.error: str | None = None
        self.new_articles = 0
        self.classified = 0
        self.errors: list[str] = []
        self.failures: list[tuple[str, str]] = []
        self.waiting: list[tuple[str, str]] = []
        self.digest: Path | None = None
        self.mail: digests.SendOutcome | None = None
        self.readers: list[digests.ReaderDigest] = []
        self.deliveries: list[tuple[str, digests.SendOutcome]] = []
        self.session: Session | None = None

    def __enter__(self) -> Run:
        install_redaction()  # a flow run served by Prefect starts in a process of its own, without the CLI
        prepare_store(self.db_path)
        with store.open_db(self.db_path) as db:
            store.start_run(db, self.id, self.week)
        self._signals = stop_on_signals()
        self._signals.__enter__()
        return self

    def check_stopped(self) -> None:
        """Raise RunStopped when a signal asked the run to stop (after what was complete is saved)."""
        reason = stop_requested()
        if reason:
            raise RunStopped(f"{reason}; what was collected before is saved, the next run goes on from there")

    def open_session(self, settings: HttpSettings, validators: bool = True) -> Session:
        """The run's polite HTTP session, with the validators the store kept (unless not wanted); closed when the run ends."""
        with store.open_db(self.db_path) as db:
            self.session = open_session(settings, store.http_cache(db) if validators else None)
        return self.session

    def save(self, result: SourceResult, source: dict, week: store.db.Week | None = None) -> list[str]:
        """Save one source's result and count it in the run; return the new article ids.

        New articles get the run's week, or `week` (a backfill gives each its publication week).
        """
        new = save(self.db_path, result, source, self.id, week or self.week)
        self.new_articles += len(new)
        self.errors += result.errors
        self.failures += failures(result)
        self.waiting += waiting(result)
        return new

    def record_failure(self, name: str, reason: str) -> None:
        """A failure that is the run's own (a backfill that hit its limit), counted like a source's."""
        self.errors.append(f"{name}: {reason}")
        self.failures.append((name, reason))

    def classify(self, model_path: Path, progress: Callable[[int, int], None] | None = None) -> int:
        """Score the articles the model has not seen; return how many were scored."""
        count = classify_pending(self.db_path, model_path, progress, run=self.id)
        self.classified += count
        return count

    def score_ahead(self, model_path: Path, workers: int | None = None) -> RunScoring:
        """Scoring of the run's batches in a worker process while the next is saved (`scoring.ScoreAhead`)."""
        return RunScoring(self, model_path, workers)

    def write_digest(
        self, digest_dir: Path, *, simplified: bool = False, tz: str = "Asia/Shanghai", base_url: str | None = None
    ) -> Path:
        """Write the week's digest and remember where."""
        self.digest = write_digest(self.db_path, self.week, digest_dir, simplified=simplified, tz=tz, base_url=base_url)
        return self.digest

    def send_digest(self, settings: digests.MailSettings) -> digests.SendOutcome:
        """E-mail the week's digest unless it was sent already; a failed send is recorded, not raised."""
        self.mail = send_digest(self.db_path, self.week, settings)
        if not self.mail.ok:
            self.errors.append(f"e-mail: {self.mail.message}")
        return self.mail

    def write_reader_digests(
        self, configured: Sequence[dict], digest_dir: Path, *, simplified: bool = False, tz: str = "Asia/Shanghai",
        base_url: str | None = None,
    ) -> list[digests.ReaderDigest]:
        """Write each configured reader's part of the week's digest."""
        self.readers = write_reader_digests(self.db_path, self.week, configured, digest_dir, simplified=simplified, tz=tz, base_url=base_url)
        return self.readers

    def send_reader_digests(self, settings: digests.MailSettings) -> list[tuple[str, digests.SendOutcome]]:
        """E-mail each reader their part unless it was sent already; each failed send is recorded, not raised."""
        self.deliveries = send_reader_digests(self.db_path, self.week, self.readers, settings)
        self.errors += [f"e-mail to {name}: {outcome.message}" for name, outcome in self.deliveries if not outcome.ok]
        return self.deliveries

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.session is not None:
            self.session.close()
        self._signals.__exit__(None, None, None)
        if exc is None and stop_requested():
            exc = RunStopped(stop_requested())  # a stop that came after the last check still ends the run so
        if exc is None:
            self.status = "partial" if self.errors else "ok"
            self.error = "\n".join(self.errors) or None
        else:
            self.status, self.error = "failed", redact_text(describe(exc))
        with store.open_db(self.db_path) as db:
            store.finish_run(
                db,
                self.id,
                status=self.status,
                new_articles=self.new_articles,
                classified=self.classified,
                errors=len(self.errors),
                digest=str(self.digest) if self.digest else None,
                error=self.error,
            )
        reset_stop()
        if isinstance(exc, Exception):  # KeyboardInterrupt and the like go on as they are
            raise RunFailed(f"run {self.id} failed: {self.error}") from exc

    def summary(self) -> dict:
        """What the run did, as plain data (the flow's return value)."""
        return {
            "run": self.id,
            "week": self.week,
            "status": self.status,
            "error": self.error,
            "new_articles": self.new_articles,
            "classified": self.classified,
            "errors": len(self.errors),
            "failures": [list(failure) for failure in self.failures],
            "waiting": [list(entry) for entry in self.waiting],
            "db": str(self.db_path),
            "digest": str(self.digest) if self.digest else None,
            "mail": self.mail.message if self.mail else None,
            # A configured send that failed (or may not have arrived): `casewatch run` exits 1, the digest kept.
            "mail_failed": bool(self.mail and not self.mail.ok) or any(not o.ok for _, o in self.deliveries),
            # With [[readers]]: each reader's send, [name, status, message].
            "deliveries": [[name, outcome.status, outcome.message] for name, outcome in self.deliveries],
            "reader_digests": [str(part.path) for part in self.readers],
        }


class RunScoring(ScoreAhead):
    """`ScoreAhead` for a run: its claims are the run's, and what it stores is counted in the run."""

    def __init__(self, run: Run, model_path: Path, workers: int | None = None) -> None:
        super().__init__(run.db_path, model_path, run.id, workers)
        self.owner = run

    def step(self) -> int:
        count = super().step()
        self.owner.classified += count
        return count

    def finish(self) -> int:
        count = super().finish()
        self.owner.classified += count
        return count


def check_source(url: str, kind: str, settings: HttpSettings, articles: int = 3, source: dict | None = None) -> dict:
    """What a run would do with a source, fetched politely and stored nowhere: pages, links, the first articles.

    `source` (a configured source) brings its endpoint settings (`api_url` …); a column whose
    list a script loads is read from that endpoint, or from the one its page names.
    """
    from urllib.parse import unquote, urlsplit

    from scrapers.compilation import split_compilation
    from scrapers.dates import today
    from scrapers.feed import full_text
    from scrapers.listing import parse_listing
    from scrapers.readers import extract_document

    import feedparser

    report: dict = {"url": url, "kind": kind, "errors": []}
    configured = endpoint_from_source(source or {}) if kind == "site" else None
    with open_session(settings) as session:
        if configured is not None:  # as a run does: the endpoint only, not the listing page
            links = _check_endpoint(report, configured, session, source or {})
            report["listing_pages"] = []
            report["links"] = {"count": len(links), "examples": [_link(x.title, x.url, x.date) for x in links[:3]]}
            report["skipped"] = {"count": 0, "examples": []}
            _check_articles(report, session, [(x.url, x.title, None) for x in links[:articles]])
            return report
        response = session.fetch(url)
        if not response.ok:
            report["errors"].append(f"{url}: {response.outcome}" + (f" ({response.error})" if response.error else ""))
            return report
        if kind == "document":
            name = unquote(urlsplit(response.final_url).path.rsplit("/", 1)[-1]) or "document.html"
            extracted = extract_document(response.content, name)
            split = split_compilation(extracted.text, extracted.layout)
            cases = [c for c in split.cases if c.title and c.body]
            report["document"] = {"name": name, "cases": len(cases), "titles": [c.title for c in cases[:articles]],
                                  "problems": extracted.problems + split.problems}  # fmt: skip
            return report
        if kind == "feed":
            parsed = feedparser.parse(response.content)
            entries = [e for e in parsed.entries if e.get("link")]
            report["listing_pages"] = [{"url": response.final_url, "paging": [], "entries": len(entries)}]
            report["links"] = {"count": len(entries), "examples": [_link(e.get("title", ""), e["link"], None) for e in entries[:3]]}
            report["skipped"] = {"count": 0, "examples": []}
            picked = [(e["link"], e.get("title", ""), full_text(e)) for e in entries[:articles]]
        else:
            listing = parse_listing(response.text, response.final_url, until=today())
            report["listing_pages"] = [{
                "url": response.final_url, "paging": listing.paging, "next_pages": len(listing.pages),
                "examples": [p.url for p in listing.pages[:3]],
            }]  # fmt: skip
            declared = endpoint_on_page(response.text, response.final_url, bool(listing.links)) if not listing.pages else None
            links = listing.links
            if declared is not None:
                links = links + _check_endpoint(report, declared, session, source or {}, 1)
            elif listing.script and not listing.links:
                report["errors"].append(listing.script)
            report["links"] = {"count": len(links), "examples": [_link(x.title, x.url, x.date) for x in links[:3]]}
            report["skipped"] = {"count": len(listing.skipped), "examples": [_link(x.title, x.url, x.date) for x in listing.skipped[:3]]}
            picked = [(x.url, x.title, None) for x in links[:articles]]
        _check_articles(report, session, picked)
    return report


def _check_endpoint(report: dict, endpoint, session: Session, source: dict, pages_read: int = 0) -> list:
    """Read a script-loaded listing's endpoint as a run would; say in `report` what was asked and how it paged."""
    from scrapers.dates import today
    from scrapers.listing_api import Trace, fetch_endpoint_pages

    trace = Trace(endpoint)
    max_pages = int(source.get("max_pages", 5)) - pages_read
    links = [link for page in fetch_endpoint_pages(endpoint, session, None, max_pages, today(), trace) for link in page]
    report["endpoint"] = trace.as_dict()
    if trace.error:
        report["errors"].append(f"listing endpoint {trace.requests[-1]['url']}: {trace.error}")
    return links


def _check_articles(report: dict, session: Session, picked: list) -> None:
    """The first articles of a check-source report, read as a run reads them."""
    from scrapers.article import parse_article

    report["articles"] = []
    for link, title, _ in picked:
        page = session.fetch(link)
        if not page.ok:
            report["articles"].append({"url": link, "error": page.outcome})
            continue
        read = parse_article(page.text, page.final_url, title)
        report["articles"].append({
            "url": page.final_url, "title": read.title, "date": read.published, "date_from": read.date_from,
            "issuer": read.issuer, "body_from": read.body_from, "no_text": read.no_text, "length": len(read.body),
            "first": read.body[:60], "last": read.body[-60:], "problems": read.problems,
            "attachments": [{"url": a.url, "type": a.type, "name": a.name} for a in read.attachments],
        })  # fmt: skip


def _link(title: str, url: str, published: str | None) -> dict:
    return {"title": title, "url": url, "date": published}


def render_check(report: dict) -> str:
    """A check-source report as the lines a person reads."""
    lines = [f"{report['kind']} {report['url']}"]
    for page in report.get("listing_pages", []):
        rules = ", ".join(page.get("paging") or []) or "none"
        lines.append(f"listing page {page['url']}: {page.get('next_pages', 0)} more page(s) (paging: {rules})")
        lines += [f"  next: {u}" for u in page.get("examples", [])]
    if "endpoint" in report:
        api = report["endpoint"]
        lines.append(f"listing endpoint ({'named by the page' if api['from'] == 'page' else 'api_url'}): {api['method']} {api['url']}")
        lines.append(f"  paging: {api['paging']}")
        for n, asked in enumerate(api["requests"], start=1):
            form = " form " + "&".join(f"{k}={v}" for k, v in asked["form"].items()) if asked.get("form") else ""
            lines.append(f"  page {n}: {asked['method']} {asked['url']}{form} -> {asked['outcome']}, {asked['items']} item(s)")
        lines.append(f"  stopped at: {api['stopped']}")
    for key, label in (("links", "article links picked"), ("skipped", "links skipped as furniture")):
        if key in report:
            lines.append(f"{label}: {report[key]['count']}")
            lines += [f"  {x['date'] or '':10} {x['title'][:40]}  {x['url']}" for x in report[key]["examples"]]
    if "document" in report:
        doc = report["document"]
        lines.append(f"document {doc['name']}: {doc['cases']} case(s)")
        lines += [f"  {t}" for t in doc["titles"]]
    for article in report.get("articles", []):
        if "error" in article:
            lines.append(f"article {article['url']}: {article['error']}")
            continue
        lines.append(f"article {article['url']}")
        lines.append(f"  title: {article['title']}")
        lines.append(f"  date: {article['date']} (from {article['date_from']})   issuer: {article['issuer']}")
        if article["no_text"]:
            lines.append("  no_text: the page holds no article text")
        else:
            lines.append(f"  body ({article['length']} chars, {article['body_from']}): {article['first']!r} … {article['last']!r}")
        lines += [f"  attachment ({a['type']}): {a['name'] or a['url']}" for a in article["attachments"]]
        lines += [f"  problem: {p}" for p in article["problems"]]
    lines += [f"error: {e}" for e in report["errors"]]
    return "\n".join(lines)
