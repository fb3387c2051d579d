"""What the weekly digest reads from the store, and the `digests` table it keeps.

A digest lists the articles whose `week` is its week: each article has exactly one
week, so each stored case appears in exactly one weekly digest.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone

import sqlite_utils

from scrapers.redact import redact_text, redact_url

from . import processes
from .db import now, transaction

# A send by a process of another host (whose life cannot be checked from here) that started this
# long ago and never finished may be claimed again; on this host, a claim holds while its process lives.
STALE_SEND = timedelta(minutes=15)


def digest_articles(db: sqlite_utils.Database, week: str) -> list[dict]:
    """The week's articles with their source's title and compilation, best-scored first."""
    rows = db.query(
        "select a.id, a.title, a.body, a.url, a.source, a.region, a.published, a.week, a.indicator, a.confidence, "
        "a.secondary, a.terms, a.scores, a.label_source, a.document, a.position, a.first_seen, a.is_case, a.relevance, a.province, a.city, "
        "s.title as source_title, s.kind as source_kind, d.name as document_name, d.title as document_title, d.url as document_url "
        "from articles a left join sources s on s.name = a.source left join documents d on d.sha256 = a.document "
        "where a.week = ? order by coalesce(a.confidence, 0) desc, a.source, a.document, a.position, a.id",
        [week],
    )
    return [
        dict(
            row,
            # Redacted on the way out too: a row another tool wrote may hold a URL as configured.
            url=redact_url(row["url"]),
            document_url=redact_url(row["document_url"]),
            secondary=json.loads(row["secondary"] or "[]"),
            terms=json.loads(row["terms"] or "[]"),
            scores=json.loads(row["scores"] or "{}"),
        )
        for row in rows
    ]


def document_covers(db: sqlite_utils.Database, hashes: list[str]) -> dict[str, list[dict]]:
    """The cover and preamble lines of documents, by hash: where a compilation states its own title."""
    covers: dict[str, list[dict]] = {}
    for start in range(0, len(hashes), 500):
        batch = hashes[start : start + 500]
        placeholders = ",".join("?" for _ in batch)
        for row in db.query(f"select sha256, furniture from documents where sha256 in ({placeholders})", batch):
            furniture = json.loads(row["furniture"] or "[]")
            covers[row["sha256"]] = [f for f in furniture if f.get("kind") in ("cover", "preamble")]
    return covers


def earlier_cases(db: sqlite_utils.Database, week: str) -> list[dict]:
    """Title, week and source of every article of an earlier week (to recognise a case seen before)."""
    rows = db.query(
        "select a.id, a.title, a.week, a.url, coalesce(s.title, a.source) as source_title "
        "from articles a left join sources s on s.name = a.source where a.week < ? order by a.week, a.id",
        [week],
    )
    return [dict(row, url=redact_url(row["url"])) for row in rows]


def sightings(db: sqlite_utils.Database, ids: list[str]) -> dict[str, list[dict]]:
    """Other places each article was seen (url, source title), from a `sightings` table when the store has one.

    Expects `sightings(article_id, url, source)`; until the store keeps sightings this returns {}.
    """
    table = db["sightings"]
    if not table.exists() or not {"article_id", "url", "source"} <= set(table.columns_dict):
        return {}
    found: dict[str, list[dict]] = {}
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        placeholders = ",".join("?" for _ in batch)
        for row in db.query(
            "select g.article_id, g.url, coalesce(s.title, g.source) as source_title from sightings g "
            f"left join sources s on s.name = g.source where g.article_id in ({placeholders}) order by g.rowid",
            batch,
        ):
            found.setdefault(row["article_id"], []).append(dict(row, url=redact_url(row["url"])))
    return found


def week_counts(db: sqlite_utils.Database, weeks: list[str]) -> dict[str, int]:
    """How many articles each of the given weeks holds (0 for weeks with none), not counting
    the ones the relevance gate found to be no reform case (the digest counts those apart)."""
    placeholders = ",".join("?" for _ in weeks)
    counts = dict(db.execute(
        f"select week, count(*) from articles where week in ({placeholders}) and coalesce(is_case, 1) != 0 group by week", weeks
    ).fetchall())
    return {week: counts.get(week, 0) for week in weeks}


def week_facets(db: sqlite_utils.Database, weeks: list[str]) -> list[dict]:
    """What a reader's filters look at, for each reform case of the given weeks (no bodies): to count a reader's part."""
    placeholders = ",".join("?" for _ in weeks)
    rows = db.query(
        "select week, indicator, confidence, scores, label_source, region, province, city from articles "
        f"where week in ({placeholders}) and coalesce(is_case, 1) != 0",
        weeks,
    )
    return [dict(row, scores=json.loads(row["scores"] or "{}")) for row in rows]


def case_weeks(db: sqlite_utils.Database) -> list[dict]:
    """Every week that holds cases, oldest first: its case count and its digest's state (none, written, sent)."""
    return [
        dict(row)
        for row in db.query(
            "select a.week, count(*) as cases, case when d.sent_at is not null then 'sent' "
            "when d.week is not null then 'written' else 'none' end as digest, d.sent_at "
            "from articles a left join digests d on d.week = a.week where a.week is not null "
            "group by a.week order by a.week"
        )
    ]


BEFORE_WEEK_BY_SOURCE = "select source, count(*) from articles where week < ? group by +source"


def source_outcomes(db: sqlite_utils.Database, week: str, since: str) -> list[dict]:
    """Each source that ran since `since` (UTC ISO) or has articles this week: its latest outcome this week.

    `errors` holds the source's errors from its latest failing run of the week (every save of that
    run: a backfill saves a source once a batch), and only while they still hold: a successful save
    by a later run clears them. `failed_documents` are its documents that could not be read (with
    their `error_type`).
    """
    new = Counter(dict(db.execute("select source, count(*) from articles where week = ? group by source", [week]).fetchall()))
    # `+source`: grouped after a range scan of the (week, source) index, not by walking every article's
    # row in source order (the planner's choice otherwise): a backfill's 100 digests of 20,000 cases
    # read each article 50 times over.
    before = Counter(dict(db.execute(BEFORE_WEEK_BY_SOURCE, [week]).fetchall()))
    errors: dict[str, dict] = {}
    for row in db.query(
        "select e.source, e.run, e.error, e.at from fetch_errors e join runs r on r.id = e.run where r.week = ? order by e.at, e.id",
        [week],
    ):
        # The rows come in the order they were written, so another run's errors replace the earlier
        # run's, even within the same second (two quick runs); a run's own saves add up.
        latest = errors.get(row["source"])
        error = redact_text(row["error"])
        if latest is None or row["run"] != latest["run"]:
            errors[row["source"]] = {"at": row["at"], "run": row["run"], "errors": [error]}
        else:
            latest["at"] = row["at"]
            if error not in latest["errors"]:
                latest["errors"].append(error)
    failed_documents: dict[str, list[dict]] = {}
    for row in db.query("select source, name, error, error_type from documents where status = 'failed' order by name"):
        failed_documents.setdefault(row["source"], []).append(dict(row, name=redact_text(row["name"]), error=redact_text(row["error"])))
    outcomes = []
    for source in db["sources"].rows_where(order_by="name"):
        name = source["name"]
        if not new[name] and (source["last_run"] or "") < since and name not in errors:
            continue
        latest = errors.get(name)
        # A later batch of the same run that read well clears nothing (a store from before the run was
        # recorded with the save: by time alone).
        cleared = (latest and source["last_status"] == "ok" and (source["last_run"] or "") > latest["at"]
                   and source.get("last_run_id") != latest["run"])
        outcomes.append(
            {
                "name": name,
                "title": source["title"] or name,
                "kind": source["kind"],
                "last_run": source["last_run"],
                "status": source["last_status"],
                "new": new[name],
                "before": before[name],
                "errors": [] if not latest or cleared else latest["errors"],
                "failed_documents": failed_documents.get(name, []),
            }
        )
    return outcomes


def digest(db: sqlite_utils.Database, week: str) -> dict | None:
    """The stored digest of a week, or None."""
    rows = list(db["digests"].rows_where("week = ?", [week]))
    return dict(rows[0], recipients=json.loads(rows[0]["recipients"] or "[]")) if rows else None


def save_digest(db: sqlite_utils.Database, week: str, **content) -> bool:
    """Store a week's rendered digest; keep its send record. Return whether the content changed."""
    stored = digest(db, week)
    if stored and all(stored.get(key) == value for key, value in content.items()):
        return False
    with db.conn:
        if stored:
            db["digests"].update(week, dict(content, updated=now()))
        else:
            db["digests"].insert(dict(content, week=week, created=now(), updated=now()), pk="week")
    return True


def claim_send(db: sqlite_utils.Database, week: str, resend: bool = False) -> str:
    """Claim a week's digest for this process to send: return `claimed`, or why not.

    `sent` (and `resend` is false), `busy` (another live process is sending it) or `handed-over`
    (a send was interrupted after the message was handed to the server, so it may have arrived:
    it is sent again only with `resend`, so that a digest is sent at most once).
    """
    return _claim(db, "digests", {"week": week}, resend)


def _where(key: dict) -> tuple[str, list]:
    return " and ".join(f"[{column}] = ?" for column in key), list(key.values())


def _claim(db: sqlite_utils.Database, table: str, key: dict, resend: bool, extra: dict | None = None) -> str:
    """The at-most-once claim of `claim_send` on a row of `digests` or `deliveries` (`extra`: columns set with it)."""
    where, values = _where(key)
    with transaction(db):
        row = db.execute(f"select sent_at, sending_since, sending_by, handed_over from [{table}] where {where}", values).fetchone()
        if row is None:
            raise KeyError(f"no {table} row for {', '.join(map(str, values))} in the store")
        sent_at, since, by, handed_over = row
        if sent_at and not resend:
            return "sent"
        if since and sender_alive(since, by):
            return "busy"
        if handed_over and not resend:
            return "handed-over"
        fields = {"sending_since": now(), "sending_by": str(processes.current()), "handed_over": None, **(extra or {})}
        db.execute(
            f"update [{table}] set {', '.join(f'[{c}] = ?' for c in fields)} where {where}", [*fields.values(), *values]
        )
    return "claimed"


def sender_alive(since: str, by: str | None) -> bool:
    """Whether the process that claimed a send still runs (by age, when it ran on another host)."""
    owner = processes.Owner.parse(by)
    alive = processes.alive(owner) if owner else None
    if alive is None:
        return since >= (datetime.now(timezone.utc) - STALE_SEND).replace(microsecond=0).isoformat()
    return alive


def _update(db: sqlite_utils.Database, table: str, key: dict, fields: dict) -> None:
    where, values = _where(key)
    with transaction(db):
        db.execute(f"update [{table}] set {', '.join(f'[{c}] = ?' for c in fields)} where {where}", [*fields.values(), *values])


def mark_handed_over(db: sqlite_utils.Database, week: str) -> None:
    """Record, before the message goes to the server, that from now on it may arrive."""
    _update(db, "digests", {"week": week}, {"handed_over": now()})


def mark_sent(db: sqlite_utils.Database, week: str, recipients: list[str], attempts: int) -> None:
    """Record that a week's digest was sent, to whom."""
    _update(db, "digests", {"week": week}, {
        "sent_at": now(), "recipients": json.dumps(recipients, ensure_ascii=False), "send_attempts": attempts,
        "send_error": None, "sending_since": None, "sending_by": None, "handed_over": None,
    })  # fmt: skip


def mark_send_failed(db: sqlite_utils.Database, week: str, error: str, attempts: int, *, maybe_sent: bool = False) -> None:
    """Record a failed send: the digest stays unsent for the next try, unless it may have reached the server."""
    fields = {"send_error": error, "send_attempts": attempts, "sending_since": None, "sending_by": None}
    _update(db, "digests", {"week": week}, fields if maybe_sent else fields | {"handed_over": None})


# Deliveries: one reader's part of a week's digest, sent at most once (the `digests` claim, per reader).


def delivery(db: sqlite_utils.Database, reader: str, week: str) -> dict | None:
    """A reader's delivery record of a week, or None when nothing was sent (or tried) to them."""
    rows = list(db["deliveries"].rows_where("reader = ? and week = ?", [reader, week]))
    if not rows:
        return None
    return dict(rows[0], addresses=json.loads(rows[0]["addresses"] or "[]"), articles=json.loads(rows[0]["articles"] or "[]"))


def deliveries(db: sqlite_utils.Database, week: str | None = None) -> list[dict]:
    """Every delivery record (of one week), by week and reader."""
    where, values = ("week = ?", [week]) if week else (None, [])
    return [
        dict(row, addresses=json.loads(row["addresses"] or "[]"), articles=json.loads(row["articles"] or "[]"))
        for row in db["deliveries"].rows_where(where, values, order_by="week, reader")
    ]


def claim_delivery(
    db: sqlite_utils.Database, reader: str, week: str, *, addresses: list[str], subject: str, articles: list[str], resend: bool = False
) -> str:
    """Claim a reader's digest of a week for this process to send (`claim_send`'s answers), recording what it holds."""
    with transaction(db):
        if delivery(db, reader, week) is None:
            db["deliveries"].insert({
                "reader": reader, "week": week, "status": "pending", "created": now(), "updated": now(),
                "addresses": json.dumps(addresses, ensure_ascii=False), "cases": len(articles), "subject": subject,
                "articles": json.dumps(articles), "attempts": 0,
            })  # fmt: skip
        # What the claimed send will carry, so that the row says what was sent (a sent one keeps its own).
        content = {
            "addresses": json.dumps(addresses, ensure_ascii=False), "cases": len(articles), "subject": subject,
            "articles": json.dumps(articles), "status": "sending", "updated": now(),
        }  # fmt: skip
        return _claim(db, "deliveries", {"reader": reader, "week": week}, resend, content)


def mark_delivery_handed_over(db: sqlite_utils.Database, reader: str, week: str) -> None:
    """`mark_handed_over` for a reader's delivery."""
    _update(db, "deliveries", {"reader": reader, "week": week}, {"handed_over": now(), "updated": now()})


def mark_delivered(db: sqlite_utils.Database, reader: str, week: str, recipients: list[str], attempts: int) -> None:
    """Record that a reader's digest was sent, to which of their addresses."""
    _update(db, "deliveries", {"reader": reader, "week": week}, {
        "status": "sent", "sent_at": now(), "updated": now(), "addresses": json.dumps(recipients, ensure_ascii=False),
        "attempts": attempts, "error": None, "sending_since": None, "sending_by": None, "handed_over": None,
    })  # fmt: skip


def mark_delivery_failed(
    db: sqlite_utils.Database, reader: str, week: str, error: str, attempts: int, *, maybe_sent: bool = False
) -> None:
    """Record a reader's failed send: `failed` (the next run tries again) or `uncertain` (it may have arrived)."""
    fields = {"status": "uncertain" if maybe_sent else "failed", "error": error, "attempts": attempts,
              "sending_since": None, "sending_by": None, "updated": now()}  # fmt: skip
    _update(db, "deliveries", {"reader": reader, "week": week}, fields if maybe_sent else fields | {"handed_over": None})


def week_states(db: sqlite_utils.Database) -> dict[str, str]:
    """Each week with cases, as the state of its cases: how many, how many scored, and their latest changes.

    A count changes with every case added or scored, even within the second of the last change,
    which the timestamps alone (to the second) would miss.
    """
    rows = db.execute(
        "select week, count(*), count(classified_at), max(first_seen), max(coalesce(classified_at, '')) "
        "from articles where week is not null group by week order by week"
    )
    return {row[0]: "/".join(str(value) for value in row[1:]) for row in rows}


def digest_bases(db: sqlite_utils.Database) -> dict[str, str | None]:
    """Each stored digest's basis: the state of the cases it was written from (None for a digest written before bases)."""
    return {row[0]: row[1] for row in db.execute("select week, basis from digests")}


def set_digest_basis(db: sqlite_utils.Database, week: str, basis: str) -> None:
    """Record what a week's digest was written from (also when its content did not change)."""
    with transaction(db):
        db.execute("update digests set basis = ? where week = ?", [basis, week])
