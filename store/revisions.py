"""A document read again with new content: its cases reconciled with those of its earlier version.

A compilation copied into an inbox while a run read it was stored cut short: its last case
stops mid-sentence. When the complete file is read (a new content hash, the same source and
place), each of its cases that completes or corrects a case of the earlier version is a
revision of that case, not a new case and not a near duplicate of it: the stored article
keeps its id, week, sightings and human label, takes the new title and text (and is scored
again), and the text it had is kept in `article_revisions`. A case of the earlier version
that the new one lacks stays as it was: nothing is deleted.
"""

from __future__ import annotations

import sqlite_utils

from scrapers import Article, Document
from scrapers.fingerprint import THRESHOLD, normalise, similarity
from scrapers.redact import redact_url

from .migrations import title_key
from .search import FTS_TABLE, index_articles, index_text

# A case whose normalised text starts with most of an earlier version's (all but its last
# characters, which a cut may have garbled) is that case completed.
PREFIX_SLACK = 3


def earlier_cases(db: sqlite_utils.Database, document: Document) -> list[dict]:
    """The stored cases of the earlier versions of `document` (same source and URL or path, other content)."""
    if document.status != "ok":
        return []
    rows = db.execute(
        "select sha256 from documents where source = ? and url = ? and sha256 != ? and status = 'ok'",
        [document.source, redact_url(document.url), document.sha256],
    ).fetchall()
    if not rows:
        return []
    shas = [r[0] for r in rows]
    db.conn.executemany("update documents set superseded_by = ? where sha256 = ?", [(document.sha256, sha) for sha in shas])
    placeholders = ",".join("?" for _ in shas)
    return list(db.query(f"select rowid, * from articles where document in ({placeholders}) order by position", shas))


def revised_case(article: Article, fingerprint: bytes | None, earlier: list[dict]) -> dict | None:
    """The earlier case `article` is a version of: the same title, and its text completes or nearly equals the earlier text."""
    key, text = title_key(article.title), normalise(article.body)
    for case in earlier:
        if case["title_key"] != key:
            continue
        old = normalise(case["body"])
        if text.startswith(old[: max(0, len(old) - PREFIX_SLACK)]):
            return case
        if fingerprint and case["fingerprint"] and similarity(fingerprint, case["fingerprint"]) >= THRESHOLD:
            return case
    return None


def save_revision(db: sqlite_utils.Database, case: dict, article: Article, fingerprint: bytes | None, seen_at: str) -> None:
    """Keep `case`'s text as a revision and give the stored article `article`'s (inside the caller's transaction)."""
    db["article_revisions"].insert(
        {
            "article_id": case["id"],
            "title": case["title"],
            "body": case["body"],
            "issuer": case["issuer"],
            "url": case["url"],
            "document": case["document"],
            "position": case["position"],
            "first_seen": case["first_seen"],
            "replaced_at": seen_at,
            "replaced_by": article.document,
        },
        pk="id",
    )
    # The index is contentless: a row's tokens are taken out by giving them back.
    db.execute(
        f"insert into {FTS_TABLE}({FTS_TABLE}, rowid, title, body) values ('delete', ?, ?, ?)",
        [case["rowid"], index_text(case["title"]), index_text(case["body"])],
    )
    changes = {
        "title": article.title,
        "body": article.body,
        "issuer": article.issuer,
        "region": article.region,
        "province": article.province,
        "city": article.city,
        "published": case["published"] or article.published,
        "url": redact_url(article.url),
        "document": article.document,
        "position": article.position,
        "fingerprint": fingerprint,
        "title_key": title_key(article.title),
    }
    if case["label_source"] != "human":  # the model scored the cut text: score the whole one
        changes |= dict.fromkeys(
            ["indicator", "confidence", "secondary", "terms", "scores", "label_source", "classified_at", "classified_by"]
        )
    db["articles"].update(case["id"], changes)
    index_articles(db, [case["id"]])
