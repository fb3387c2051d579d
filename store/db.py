"""The SQLite store: open it, save what a run collected, read what a digest needs."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from scrapers import Article, Document, SourceResult
from scrapers.documents import unread_key
from scrapers.redact import redact_text, redact_url

from . import processes
from .dedup import Signatures, body_fingerprint, same_stored_case, save_sightings, sighting
from .migrations import check_store, pending, title_key, upgrade
from .revisions import earlier_cases, revised_case, save_revision
from .schema import INDEXES, TABLES
from .search import index_articles, search_index_gap, sync_search_index

# Articles per transaction (a savepoint when the caller has opened one, as for a document).
BATCH = 500
# The week a new article is listed under: one week for all (a live run's), or one per article
# (a backfill's: the week it was published in).
Week = str | Callable[[Article], str]

# How long a connection waits for another's write lock before SQLITE_BUSY ("database is locked").
# Python's sqlite3 waits 5 s. Two runs, `casewatch ingest` and Datasette share the store; a
# writer holds the lock for one document's cases or one batch of decisions, the longest a batch
# of 500 cases with their index rows (about 1.6 s at bench/README.md's 307 cases/s). A loaded
# machine may be many times slower; a weekly job can wait, it should not fail.
BUSY_TIMEOUT_MS = 120_000


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (and if needed create or upgrade) the store, in WAL mode, with its schema applied.

    Raises `NotAStore` (a ValueError) for a file that is not a casewatch store.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    check_store(db, path)
    db.enable_wal()
    # In WAL mode NORMAL syncs at checkpoints, not at every commit. A power cut can then undo
    # the last commits, but whole: a document and its cases go together and are read again.
    db.execute("PRAGMA synchronous = NORMAL")
    # sqlite-utils finds out whether SQLite can upsert by writing to a scratch table the first
    # time it upserts, and takes any error there for "no". Inside one of our transactions such
    # an error (a full disk) would end the transaction unseen, and the writes after it would
    # commit one by one. So it asks here, outside any transaction.
    _ = db.supports_on_conflict
    ensure_schema(db)
    return db


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One explicit transaction: the block's writes are committed together or not at all."""
    if db.conn.in_transaction:
        # Inside a caller's transaction: a savepoint, so the caller's COMMIT or ROLLBACK decides.
        with db.atomic():
            yield db
        return
    # IMMEDIATE takes the write lock at BEGIN: a deferred transaction that has read cannot
    # wait for another writer (scheduled run and `casewatch ingest`), it fails with SQLITE_BUSY.
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        # Some errors (an interrupt, a full disk) have already rolled the transaction back.
        db.rollback()
        raise


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create missing tables, columns and indexes, apply pending migrations, catch the search index up.

    Existing rows are kept.
    """
    if not schema_gaps(db) and not pending(db) and not search_index_gap(db):
        return  # no write lock needed, so a read-only store can still be opened
    # Several steps of a run open the store at once: look again under the write lock.
    with transaction(db):
        for kind, table, what in schema_gaps(db):
            spec = TABLES.get(table, {})
            if kind == "table":
                db[table].create(
                    spec["columns"],
                    pk=spec["pk"],
                    foreign_keys=spec.get("foreign_keys", []),
                    not_null={spec["pk"]},
                    if_not_exists=True,
                )
            elif kind == "column":
                # Added columns start empty; a column that needs a foreign key or another
                # type waits for versioned migrations.
                db[table].add_column(what, spec["columns"][what])
            else:
                db[table].create_index(what, if_not_exists=True)
        upgrade(db)
        # Articles another tool inserted since the last write of ours.
        sync_search_index(db)


def schema_gaps(db: sqlite_utils.Database) -> list[tuple[str, str, str | list[str] | None]]:
    """What the store lacks of `TABLES` and `INDEXES`: ("table" | "column" | "index", table, column(s))."""
    gaps: list[tuple[str, str, str | list[str] | None]] = []
    tables = set(db.table_names())
    for name, spec in TABLES.items():
        if name not in tables:
            if "migration" not in spec:  # a table its versioned step creates (a key of two columns)
                gaps.append(("table", name, None))
        else:
            existing = db[name].columns_dict
            gaps += [("column", name, column) for column in spec["columns"] if column not in existing]
    for table, columns in INDEXES:
        if table not in tables or not any(index.columns == columns for index in db[table].indexes):
            gaps.append(("index", table, columns))
    return gaps


def article_id(title: str, body: str) -> str:
    """A stable id from the content: the same case from two files is one article."""
    text = re.sub(r"\s+", "", title) + "\n" + re.sub(r"\s+", "", body)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def save_indicators(db: sqlite_utils.Database, indicators: Iterable) -> None:
    """Upsert the lookup table of the 18 indicators."""
    rows = [
        {"slug": i.slug, "number": i.number, "name": i.name, "description": i.description}
        for i in indicators
    ]
    with transaction(db):
        db["indicators"].upsert_all(rows, pk="slug")


def indicators(db: sqlite_utils.Database) -> list[dict]:
    """The indicators in their official order."""
    return list(db["indicators"].rows_where(order_by="number"))


def known_documents(db: sqlite_utils.Database) -> set[str]:
    """Hashes of documents already read successfully: they are not read again."""
    return {row["sha256"] for row in db["documents"].rows_where("status = 'ok'", select="sha256")}


def known_urls(db: sqlite_utils.Database) -> set[str]:
    """Canonical URLs of articles already read (or never readable): not fetched again."""
    return {row[0] for row in db.execute("select canonical_url from known_urls")}


# A URL that answered 404/410 this many runs is gone: known, reported once, never asked again.
GONE_AFTER = 4


def waiting_urls(db: sqlite_utils.Database, at: str | None = None) -> set[str]:
    """Article URLs that answered 404/410 and are not due to be asked again yet (backing off)."""
    if not db["retry_urls"].exists():
        return set()
    return {row[0] for row in db.execute("select canonical_url from retry_urls where gone_at is null and next_try > ?", [at or now()])}


def save_retries(db: sqlite_utils.Database, result: SourceResult, seen_at: str) -> None:
    """Count another 404/410 for each URL of `result.retry_urls`; after `GONE_AFTER`, the URL is gone.

    The first miss is reported as the collector wrote it; the misses between are not
    reported again; the last says once that the article is gone, and the URL joins
    `known_urls`. A URL read at last leaves the table.
    """
    from datetime import timedelta

    urls = list(dict.fromkeys(map(redact_url, result.retry_urls)))
    found = {redact_url(u) for u in result.known_urls}
    if found and db["retry_urls"].exists():
        db.execute(f"delete from retry_urls where canonical_url in ({','.join('?' for _ in found)})", list(found))
    if not urls:
        return
    stamp = datetime.fromisoformat(seen_at)
    rows, quiet, gone = [], set(), []
    for url in urls:
        old = next(db["retry_urls"].rows_where("canonical_url = ?", [url]), None) if db["retry_urls"].exists() else None
        tries = (old["tries"] if old else 0) + 1
        row = {"canonical_url": url, "source": result.source, "tries": tries, "first_seen": old["first_seen"] if old else seen_at,
               "last_try": seen_at, "next_try": (stamp + timedelta(days=2 ** (tries - 1))).isoformat(), "gone_at": None}  # fmt: skip
        if tries >= GONE_AFTER:
            row["gone_at"] = seen_at
            gone.append((url, row["first_seen"], tries))
        elif old:
            quiet.add(url)
        rows.append(row)
    db["retry_urls"].upsert_all(rows, pk="canonical_url")
    db["known_urls"].insert_all(
        ({"canonical_url": url, "source": result.source, "first_seen": seen_at} for url, _, _ in gone), pk="canonical_url", ignore=True
    )
    # One line a URL: its first miss (as the collector said it) and, at the end, that it is gone.
    result.errors[:] = [e for e in result.errors if not any(e.startswith(f"article {u}: ") for u in quiet | {g[0] for g in gone})]
    result.errors += [f"article {url}: gone (not found on {tries} runs since {first[:10]})" for url, first, tries in gone]


def site_furniture(db: sqlite_utils.Database, source: str) -> list[str]:
    """The lines a site was found to repeat on its pages in earlier runs."""
    if not db["site_furniture"].exists():
        return []
    return [row[0] for row in db.execute("select line from site_furniture where source = ? order by line", [source])]


def http_cache(db: sqlite_utils.Database) -> dict[str, tuple[str | None, str | None]]:
    """Each cached URL's (ETag, Last-Modified), for conditional requests."""
    return {row[0]: (row[1], row[2]) for row in db.execute("select url, etag, last_modified from http_cache")}


def save_source_result(
    db: sqlite_utils.Database,
    result: SourceResult,
    location: str,
    run: str,
    week: Week,
    title: str | None = None,
) -> list[str]:
    """Save one source's documents, new articles, sightings and errors (and what a network source fetched).

    Each document is committed with its articles and sightings in one transaction: a
    document is `ok` (and skipped by the next run) only once every case of it is
    stored. The URLs a network source is done with are committed last, with its fetch
    log and validators, so a URL is never known while its articles are not stored.
    Every URL and error is stored redacted (`scrapers.redact`): the store never holds a
    source's credentials or tokens, whoever built the result. Returns the ids of the new articles.
    """
    seen_at = now()
    signatures = Signatures.load(db)
    by_document: dict[str | None, list[Article]] = {}
    for article in result.articles:
        by_document.setdefault(article.document, []).append(article)
    new_ids: list[str] = []
    for document in result.documents:
        if not document.sha256:
            continue
        with transaction(db):
            _save_document(db, document, seen_at)
            earlier = earlier_cases(db, document)  # a file read again with new content: revise its cases
            new_ids += save_articles(db, by_document.pop(document.sha256, []), week, seen_at, signatures, earlier)
    # Articles without a document of this result (pages, feed entries) are saved in batches.
    new_ids += save_articles(db, [a for articles in by_document.values() for a in articles], week, seen_at, signatures)
    with transaction(db):
        save_retries(db, result, seen_at)
        db["site_furniture"].insert_all(
            ({"id": hashlib.sha1(f"{result.source}\n{line}".encode()).hexdigest()[:16], "source": result.source, "line": line,
              "first_seen": seen_at} for line in result.furniture_lines),
            pk="id",
            ignore=True,
        )  # fmt: skip
        db["sources"].upsert(
            {
                "name": result.source,
                "title": title or result.source,
                "kind": result.kind,
                "location": redact_url(location),
                "last_run": seen_at,
                "last_run_id": run,
                "last_status": result.status,
                "last_error": redact_text(result.errors[-1]) if result.errors else None,
            },
            pk="name",
        )
        db["fetch_errors"].insert_all(
            ({"run": run, "source": result.source, "error": redact_text(error), "at": seen_at} for error in result.errors),
            pk="id",
        )
        save_fetched(db, result, run, seen_at)
    return new_ids


def save_fetched(db: sqlite_utils.Database, result: SourceResult, run: str, seen_at: str) -> None:
    """What a network source fetched: its requests, attachments, the URLs it is done with, validators."""
    source = result.source
    db["fetch_log"].insert_all(
        ({"run": run, "source": source} | entry | {"url": redact_url(entry["url"]), "error": redact_text(entry.get("error"))}
         for entry in result.fetch_log),
        pk="id",
    )  # fmt: skip
    db["attachments"].upsert_all(
        (
            {
                "url": redact_url(a.url),
                "type": a.type,
                "name": redact_text(a.name),
                "parsed": int(a.parsed),
                "articles": a.articles,
                "error": redact_text(a.error),
                "article_url": redact_url(a.page),
                "source": source,
                "seen_at": seen_at,
            }
            for a in result.attachments
        ),
        pk="url",
    )
    # The first source to read a URL keeps it (and when).
    db["known_urls"].insert_all(
        ({"canonical_url": url, "source": source, "first_seen": seen_at} for url in dict.fromkeys(map(redact_url, result.known_urls))),
        pk="canonical_url",
        ignore=True,
    )
    db["http_cache"].upsert_all(
        (
            {"url": redact_url(url), "etag": etag, "last_modified": modified, "source": source, "updated": seen_at}
            for url, (etag, modified) in result.validators.items()
        ),
        pk="url",
    )


def _save_document(db: sqlite_utils.Database, document: Document, seen_at: str) -> None:
    """Upsert a document's row; a document read again keeps the time it was first seen."""
    row = asdict(document)
    row["url"], row["name"], row["error"] = redact_url(row["url"]), redact_text(row["name"]), redact_text(row["error"])
    for key in ("problems", "furniture"):
        row[key] = json.dumps(row[key], ensure_ascii=False) if row[key] else None
    first = db.execute("select first_seen from documents where sha256 = ?", [document.sha256]).fetchone()
    row["first_seen"] = first[0] if first and first[0] else seen_at
    db["documents"].upsert(row, pk="sha256")
    if document.status == "ok":  # the file waited for a run while it was being written: it is read now
        db.execute("delete from documents where sha256 = ? and status = 'waiting'", [unread_key(row["url"])])


def save_articles(
    db: sqlite_utils.Database,
    articles: Sequence[Article],
    week: Week,
    seen_at: str,
    signatures: Signatures | None = None,
    earlier: list[dict] | None = None,
) -> list[str]:
    """Insert articles not stored yet, a batch per transaction, each with its sighting; return the new ids.

    An article is stored already when its id (title and text) is, or when its body is a
    near duplicate of a stored article's (the same case from another source or
    compilation): then only its sighting is added. Stored articles keep their week and labels.
    `week` is the week of every new article, or a function giving each its own. `earlier`
    are the cases of an earlier version of the articles' document (`revisions.earlier_cases`):
    an article that completes or corrects one of them revises it, before any near-duplicate test.
    """
    week_of = week if callable(week) else lambda _article: week
    signatures = signatures if signatures is not None else Signatures.load(db)
    new_ids: list[str] = []
    for start in range(0, len(articles), BATCH):
        batch = articles[start : start + BATCH]
        keys = [article_id(a.title, a.body) for a in batch]
        with transaction(db):
            placeholders = ",".join("?" for _ in keys)
            existing = {r[0] for r in db.execute(f"select id from articles where id in ({placeholders})", keys)}
            new, seen, pending = [], [], {}
            for article, key in zip(batch, keys):
                folded = False
                if key not in existing:
                    value = body_fingerprint(article.body)
                    revised = revised_case(article, value, earlier) if earlier else None
                    match = same_stored_case(db, signatures, article, value, pending) if value and not revised else None
                    if revised:
                        save_revision(db, revised, article, value, seen_at)
                        earlier.remove(revised)  # one case, one version of it in a document
                        signatures.replace(revised["id"], value)
                        key = revised["id"]
                    elif match:
                        key, folded = match, True  # its own text stays in the sighting
                    else:
                        row = asdict(article) | {"id": key, "title_key": title_key(article.title), "url": redact_url(article.url)}
                        new.append(row | {"fingerprint": value, "week": week_of(article), "first_seen": seen_at})
                        existing.add(key)
                        pending[key] = (article.title, article.body)
                        if value:
                            signatures.add(key, value)
                seen.append(sighting(key, article, seen_at, folded))
            db["articles"].insert_all(new, pk="id", alter=True)
            save_sightings(db, seen)
            index_articles(db, [row["id"] for row in new])
        new_ids += [row["id"] for row in new]
    return new_ids


def unclassified(db: sqlite_utils.Database) -> list[dict]:
    """Articles the model has not scored yet (human labels are left alone)."""
    return list(db["articles"].rows_where(UNSCORED, select="id, title, body"))


UNSCORED = "classified_at is null and coalesce(label_source, '') != 'human'"
# A claim holds while its run is running; the claim of a run that ended (or was found
# interrupted) without scoring its batch is free again.
UNCLAIMED = "(classified_by is null or classified_by not in (select id from runs where status = 'running'))"


def claim_unclassified(db: sqlite_utils.Database, run: str, limit: int) -> list[dict]:
    """Claim up to `limit` unscored articles no running run has claimed, for `run` to score; return them.

    The select and the claim are one write transaction, so two runs never claim the same article.
    """
    with transaction(db):
        rows = list(
            db.query(f"select id, title, body from articles where {UNSCORED} and {UNCLAIMED} order by rowid limit ?", [limit])
        )
        db.conn.executemany("update articles set classified_by = ? where id = ?", [(run, row["id"]) for row in rows])
    return rows


def claimed_elsewhere(db: sqlite_utils.Database, run: str) -> int:
    """How many unscored articles other running runs have claimed (and are scoring now)."""
    return db.execute(
        f"select count(*) from articles where {UNSCORED} and classified_by != ? and not {UNCLAIMED}", [run]
    ).fetchone()[0]


def save_decisions(db: sqlite_utils.Database, decisions: dict[str, dict], run: str | None = None, signals: dict | None = None) -> int:
    """Store the model's decisions, keyed by article id, for articles still unscored; return how many were written.

    A decision is a `Decision.as_json` (plus its confidence): a case gets its indicator,
    scores, secondaries and terms; a non-case gets `is_case` 0, its reason in `relevance`,
    no indicator, and as confidence the gate's certainty that it is not a case.
    An article another process scored (or an analyst labelled) meanwhile keeps that decision.
    `signals`: the cases' reform signals worked out already, by id (`reforms.save_reforms`).
    """
    at = now()
    written = 0
    with transaction(db):
        for key, d in decisions.items():
            is_case = d.get("is_case", True) is not False
            confidence = d["confidence"] if is_case else 1 - float(d.get("relevance") or 0.0)
            cursor = db.execute(
                "update articles set indicator = ?, confidence = ?, is_case = ?, relevance = ?, secondary = ?, "
                "terms = ?, scores = ?, "
                f"label_source = 'model', classified_at = ?, classified_by = ? where id = ? and {UNSCORED}",
                [
                    d.get("primary") if is_case else None,
                    round(float(confidence), 4),
                    int(is_case),
                    None if is_case else d.get("reason"),
                    json.dumps(d.get("secondary", []) if is_case else [], ensure_ascii=False),
                    json.dumps(d.get("terms", []) if is_case else [], ensure_ascii=False),
                    json.dumps({k: round(v, 4) for k, v in d["scores"].items()}) if d.get("scores") else None,
                    at,
                    run,
                    key,
                ],
            )
            written += cursor.rowcount
        # Reforms follow the decisions in the same transaction (imported here: it loads the tokenizer).
        from .reforms import save_reforms

        save_reforms(db, list(decisions), signals)
    return written


def find_article_id(db: sqlite_utils.Database, prefix: str) -> str | None:
    """The id of the one article whose id starts with `prefix` (8 characters or more), else None."""
    if len(prefix) < 8 or not re.fullmatch(r"[0-9a-f]+", prefix):
        return None
    found = [row[0] for row in db.execute("select id from articles where id >= ? and id < ? limit 2", [prefix, prefix + "g"])]
    return found[0] if len(found) == 1 else None


def save_label(db: sqlite_utils.Database, key: str, slug: str, note: str | None = None) -> None:
    """Record a human label; it overrides the model's decision from now on."""
    if not db["articles"].count_where("id = ?", [key]):
        raise KeyError(key)
    with transaction(db):
        db["labels"].upsert(
            {"article_id": key, "indicator": slug, "labelled_at": now(), "note": note}, pk="article_id"
        )
        # An analyst who names an indicator says it is a case.
        db["articles"].update(key, {"indicator": slug, "confidence": 1.0, "label_source": "human", "is_case": 1, "relevance": None})
        from .reforms import save_reforms

        save_reforms(db, [key])  # its indicator changed: so may its reform


def human_labels(db: sqlite_utils.Database) -> list[dict]:
    """Labelled articles (title, body, indicator): training data from analysts."""
    return list(
        db.query(
            "select a.id, a.title, a.body, l.indicator from labels l join articles a on a.id = l.article_id "
            "order by l.article_id"
        )
    )


def start_run(db: sqlite_utils.Database, run: str, week: str) -> None:
    """Record the start of a run and the process running it (after marking runs whose process died)."""
    mark_interrupted_runs(db)
    with transaction(db):
        db["runs"].insert(
            {"id": run, "week": week, "started": now(), "status": "running", "owner": str(processes.current())}, pk="id"
        )


def mark_interrupted_runs(db: sqlite_utils.Database) -> list[str]:
    """Mark `failed` the runs left `running` by a process of this host that no longer runs; return their ids.

    A run killed outright (SIGKILL, power cut) never records its end. Runs of other hosts, and
    rows written before runs named their process, are left as they are: nothing here can tell.
    """
    marked = []
    for row in db.query("select id, owner from runs where status = 'running' and owner is not null"):
        owner = processes.Owner.parse(row["owner"])
        if owner is not None and processes.alive(owner) is False:
            marked.append((row["id"], owner.pid))
    if not marked:
        return []
    with transaction(db):
        for key, pid in marked:
            db.execute(
                "update runs set status = 'failed', finished = ?, error = ? where id = ? and status = 'running'",
                [now(), f"interrupted (process {pid} no longer running)", key],
            )
    return [key for key, _ in marked]


def finish_run(db: sqlite_utils.Database, run: str, **fields) -> None:
    """Record how a run ended (its error redacted: it may quote a source's URL)."""
    if fields.get("error"):
        fields["error"] = redact_text(fields["error"])
    with transaction(db):
        db["runs"].update(run, dict(fields, finished=now()))
