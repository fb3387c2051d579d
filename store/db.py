"""The SQLite store: open it, save what a run collected, read what a digest needs."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from scrapers import Article, SourceResult
from zhtext import to_simplified

from .schema import INDEXES, TABLES


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (and if needed create) the store, in WAL mode, with its schema applied."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.enable_wal()
    ensure_schema(db)
    return db


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create missing tables and indexes; existing ones are left as they are."""
    for name, spec in TABLES.items():
        db[name].create(
            spec["columns"],
            pk=spec["pk"],
            foreign_keys=spec.get("foreign_keys", []),
            not_null={spec["pk"]},
            if_not_exists=True,
        )
    for table, columns in INDEXES:
        db[table].create_index(columns, if_not_exists=True)


def article_id(title: str, body: str) -> str:
    """A stable id from the content: the same case from two files is one article."""
    text = re.sub(r"\s+", "", title) + "\n" + re.sub(r"\s+", "", body)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def search_text(title: str, body: str) -> str:
    """Title and body in Simplified Chinese, for substring search (纳税 finds 納稅 too)."""
    return to_simplified(f"{title}\n{body}")


def save_indicators(db: sqlite_utils.Database, indicators: Iterable) -> None:
    """Upsert the lookup table of the 18 indicators."""
    rows = [
        {"slug": i.slug, "number": i.number, "name": i.name, "description": i.description}
        for i in indicators
    ]
    with db.conn:
        db["indicators"].upsert_all(rows, pk="slug")


def indicators(db: sqlite_utils.Database) -> list[dict]:
    """The indicators in their official order."""
    return list(db["indicators"].rows_where(order_by="number"))


def known_documents(db: sqlite_utils.Database) -> set[str]:
    """Hashes of documents already read successfully: they are not read again."""
    return {row["sha256"] for row in db["documents"].rows_where("status = 'ok'", select="sha256")}


def save_source_result(
    db: sqlite_utils.Database,
    result: SourceResult,
    location: str,
    run: str,
    week: str,
    title: str | None = None,
) -> list[str]:
    """Save one source's documents, new articles and errors; return the new article ids."""
    seen_at = now()
    with db.conn:
        db["sources"].upsert(
            {
                "name": result.source,
                "title": title or result.source,
                "kind": result.kind,
                "location": location,
                "last_run": seen_at,
                "last_status": result.status,
                "last_error": result.errors[-1] if result.errors else None,
            },
            pk="name",
        )
        for document in result.documents:
            if not document.sha256:
                continue
            row = asdict(document)
            for key in ("problems", "furniture"):
                row[key] = json.dumps(row[key], ensure_ascii=False) if row[key] else None
            row["first_seen"] = seen_at
            db["documents"].upsert(row, pk="sha256")
        new_ids = save_articles(db, result.articles, week, seen_at)
        db["fetch_errors"].insert_all(
            ({"run": run, "source": result.source, "error": error, "at": seen_at} for error in result.errors),
            pk="id",
        )
    return new_ids


def save_articles(db: sqlite_utils.Database, articles: Sequence[Article], week: str, seen_at: str) -> list[str]:
    """Insert articles not stored yet; stored ones keep their week and labels."""
    rows = {}
    for article in articles:
        row = asdict(article)
        row["id"] = article_id(article.title, article.body)
        row["search_text"] = search_text(article.title, article.body)
        rows.setdefault(row["id"], row)
    if not rows:
        return []
    placeholders = ",".join("?" for _ in rows)
    existing = {r[0] for r in db.execute(f"select id from articles where id in ({placeholders})", list(rows))}
    new = [dict(row, week=week, first_seen=seen_at) for key, row in rows.items() if key not in existing]
    db["articles"].insert_all(new, pk="id", alter=True)
    return [row["id"] for row in new]


def unclassified(db: sqlite_utils.Database) -> list[dict]:
    """Articles the model has not scored yet (human labels are left alone)."""
    return list(
        db["articles"].rows_where(
            "classified_at is null and coalesce(label_source, '') != 'human'",
            select="id, title, body",
        )
    )


def save_decisions(db: sqlite_utils.Database, decisions: dict[str, dict]) -> None:
    """Store the model's decisions, keyed by article id."""
    at = now()
    with db.conn:
        for key, d in decisions.items():
            db["articles"].update(
                key,
                {
                    "indicator": d["primary"],
                    "confidence": round(float(d["confidence"]), 4),
                    "secondary": json.dumps(d["secondary"], ensure_ascii=False),
                    "terms": json.dumps(d["terms"], ensure_ascii=False),
                    "scores": json.dumps({k: round(v, 4) for k, v in d["scores"].items()}),
                    "label_source": "model",
                    "classified_at": at,
                },
            )


def save_label(db: sqlite_utils.Database, key: str, slug: str, note: str | None = None) -> None:
    """Record a human label; it overrides the model's decision from now on."""
    if not db["articles"].count_where("id = ?", [key]):
        raise KeyError(key)
    with db.conn:
        db["labels"].upsert(
            {"article_id": key, "indicator": slug, "labelled_at": now(), "note": note}, pk="article_id"
        )
        db["articles"].update(key, {"indicator": slug, "confidence": 1.0, "label_source": "human"})


def human_labels(db: sqlite_utils.Database) -> list[dict]:
    """Labelled articles (title, body, indicator): training data from analysts."""
    return list(
        db.query(
            "select a.id, a.title, a.body, l.indicator from labels l join articles a on a.id = l.article_id "
            "order by l.article_id"
        )
    )


def week_articles(db: sqlite_utils.Database, week: str) -> list[dict]:
    """The articles that belong to a digest week, best-scored first."""
    rows = db.query(
        "select a.*, s.kind as source_kind from articles a left join sources s on s.name = a.source "
        "where a.week = ? order by coalesce(a.confidence, 0) desc, a.source, a.position",
        [week],
    )
    return [
        dict(row, secondary=json.loads(row["secondary"] or "[]"), terms=json.loads(row["terms"] or "[]"))
        for row in rows
    ]


def start_run(db: sqlite_utils.Database, run: str, week: str) -> None:
    """Record the start of a run."""
    with db.conn:
        db["runs"].insert({"id": run, "week": week, "started": now(), "status": "running"}, pk="id")


def finish_run(db: sqlite_utils.Database, run: str, **fields) -> None:
    """Record how a run ended."""
    with db.conn:
        db["runs"].update(run, dict(fields, finished=now()))


def week_failures(db: sqlite_utils.Database, week: str) -> list[dict]:
    """Errors recorded by the runs of a week, latest run per source."""
    return list(
        db.query(
            "select e.source, e.error, max(e.at) as at from fetch_errors e join runs r on r.id = e.run "
            "where r.week = ? group by e.source, e.error order by e.source",
            [week],
        )
    )
