"""The shape of the store, as data: tables, keys, foreign keys, indexes and views.

Applied idempotently by `store.db.open_db` (missing tables, columns and indexes), then by
the versioned steps of `store.migrations` (what cannot be added in place: foreign keys on
existing tables, the full-text index, views). Datasette shows the labels of the lookup
tables (`indicators.name`, `sources.title`, `documents.name`, `runs.week`) through the
foreign keys.
"""

from __future__ import annotations

TABLES: dict[str, dict] = {
    "indicators": {
        "columns": {"slug": str, "number": int, "name": str, "description": str},
        "pk": "slug",
    },
    # China's administrative divisions with a point each, for the map (data/region_coords.csv).
    "regions": {
        "columns": {"adcode": str, "name": str, "province": str, "level": str, "longitude": float, "latitude": float},
        "pk": "adcode",
    },
    "sources": {
        "columns": {
            "name": str,
            "title": str,
            "kind": str,
            "location": str,
            "last_run": str,
            "last_run_id": str,  # the run of that save: a backfill saves a source once a batch, all in one run
            "last_status": str,
            "last_error": str,
        },
        "pk": "name",
    },
    "documents": {
        "columns": {
            "sha256": str,
            "name": str,
            "url": str,
            "source": str,
            "kind": str,
            "status": str,
            "error": str,
            "error_type": str,
            "articles": int,
            "problems": str,
            "furniture": str,
            "first_seen": str,
            # The document's own title (cover or first line), else its first heading: how the digest names it.
            "title": str,
            # A later version of the same file (same source and place, other content) that was read
            # since; its cases revised this one's (`article_revisions`).
            "superseded_by": str,
        },
        "pk": "sha256",
        "foreign_keys": [("source", "sources", "name")],
    },
    "articles": {
        "columns": {
            "id": str,
            "title": str,
            "body": str,
            "url": str,
            "source": str,
            "region": str,
            "province": str,
            "city": str,
            "issuer": str,
            "published": str,
            "week": str,
            "indicator": str,
            "confidence": float,
            # The relevance gate: 1 a reform case, 0 other government news (a meeting, a leader's
            # visit, statistics, a penalty, a notice), null not judged yet. A non-case is kept
            # with the reason it is not one (`relevance`, "会议报道", "统计公报" …) and no indicator.
            "is_case": int,
            "relevance": str,
            "secondary": str,
            "terms": str,
            "scores": str,
            "label_source": str,
            "classified_at": str,
            # The run that scores (then scored) the article: a claim while `classified_at` is
            # null, so two runs at once never score the same articles (store.claim_unclassified).
            "classified_by": str,
            "document": str,
            "position": int,
            "problems": str,
            "first_seen": str,
            # MinHash signature of the body (scrapers.fingerprint), for bodies long enough to compare
            "fingerprint": bytes,
            # The title in Simplified without spaces or punctuation: the same case reported
            # twice (two sources, two scripts) has the same key ("also reported by").
            "title_key": str,
        },
        "pk": "id",
        "foreign_keys": [
            ("source", "sources", "name"),
            ("indicator", "indicators", "slug"),
            ("document", "documents", "sha256"),
        ],
    },
    "labels": {
        "columns": {"article_id": str, "indicator": str, "labelled_at": str, "note": str},
        "pk": "article_id",
        "foreign_keys": [("article_id", "articles", "id"), ("indicator", "indicators", "slug")],
    },
    "runs": {
        "columns": {
            "id": str,
            "week": str,
            "started": str,
            "finished": str,
            "status": str,
            "new_articles": int,
            "classified": int,
            "errors": int,
            "digest": str,
            "error": str,
            # The process running it ("host:pid:start"): a row left `running` by a killed
            # process is marked failed by the next run on that host (store.mark_interrupted_runs).
            "owner": str,
        },
        "pk": "id",
    },
    "fetch_errors": {
        "columns": {"id": int, "run": str, "source": str, "error": str, "at": str},
        "pk": "id",
        "foreign_keys": [("source", "sources", "name"), ("run", "runs", "id")],
    },
    # Every place an article was seen: its first page or file, and each near duplicate that was
    # stored as this article instead of a second one (another site, another compilation).
    "sightings": {
        "columns": {
            "id": int,
            "article_id": str,
            "url": str,
            "source": str,
            "document": str,
            "position": int,
            "seen_at": str,
            "key": str,  # hash of (article_id, url, source, document, position): one row per place
            # A near duplicate folded into the article keeps its own title and text here, so that
            # folding never loses what was read (null where the place holds the article's own text).
            "title": str,
            "body": str,
        },
        "pk": "id",
        "foreign_keys": [("article_id", "articles", "id"), ("source", "sources", "name"), ("document", "documents", "sha256")],
    },
    # The earlier texts of a case: when a document is read again with new content (a file that was
    # still being copied when it was first read), a case it completes or corrects is revised in
    # place (its id, week and labels kept) and the text it had is kept here, with where it came from.
    "article_revisions": {
        "columns": {
            "id": int,
            "article_id": str,
            "title": str,
            "body": str,
            "issuer": str,
            "url": str,
            "document": str,
            "position": int,
            "first_seen": str,
            "replaced_at": str,
            "replaced_by": str,  # the document whose version of the case replaced this text
        },
        "pk": "id",
        "foreign_keys": [("article_id", "articles", "id"), ("document", "documents", "sha256"), ("replaced_by", "documents", "sha256")],
    },
    # Every HTTP request of a run's network sources, with what came of it (scrapers.http.OUTCOMES,
    # and `unreadable` for a file fetched whole that could not be read).
    "fetch_log": {
        "columns": {
            "id": int,
            "run": str,
            "source": str,
            "url": str,
            "status": int,
            "bytes": int,
            "elapsed": float,
            "outcome": str,
            "error": str,
            "at": str,
        },
        "pk": "id",
        "foreign_keys": [("run", "runs", "id"), ("source", "sources", "name")],
    },
    # ETag / Last-Modified of pages that answered whole, sent back as conditional requests next run.
    "http_cache": {
        "columns": {"url": str, "etag": str, "last_modified": str, "source": str, "updated": str},
        "pk": "url",
    },
    # Article URLs (canonical) that have been read (or never can be): not fetched again.
    "known_urls": {
        "columns": {"canonical_url": str, "source": str, "first_seen": str},
        "pk": "canonical_url",
        "foreign_keys": [("source", "sources", "name")],
    },
    # Article URLs that answered 404/410: asked again after 1, 2, 4 … days, then known as gone (`gone_at`).
    "retry_urls": {
        "columns": {"canonical_url": str, "source": str, "tries": int, "first_seen": str, "last_try": str, "next_try": str, "gone_at": str},
        "pk": "canonical_url",
    },
    # Lines a site repeats on its article pages (learned from a run's pages): removed from its bodies on later runs.
    "site_furniture": {
        "columns": {"id": str, "source": str, "line": str, "first_seen": str},
        "pk": "id",
    },
    # Files linked from articles: read (`parsed`), or why not (`error`: a type not read, a corrupt file).
    "attachments": {
        "columns": {
            "url": str,
            "type": str,
            "name": str,
            "parsed": int,
            "articles": int,
            "error": str,
            "article_url": str,
            "source": str,
            "seen_at": str,
        },
        "pk": "url",
        "foreign_keys": [("source", "sources", "name")],
    },
    # One row per weekly digest as rendered (Markdown, HTML, plain text) and its e-mail record.
    "digests": {
        "columns": {
            "week": str,
            "subject": str,
            "cases": int,
            "markdown": str,
            "html": str,
            "text": str,
            "created": str,
            "updated": str,
            "sent_at": str,
            "recipients": str,
            "send_attempts": int,
            "send_error": str,
            "sending_since": str,
            # The process sending it ("host:pid:start"), and when it began handing the message to
            # the server: a send interrupted after that point may have arrived, so it is not repeated.
            "sending_by": str,
            "handed_over": str,
            # What the digest was written from: its week's and the four weeks before's cases
            # (counts and latest changes), so a backfill knows which digests are behind the store.
            "basis": str,
        },
        "pk": "week",
    },
    # One row per reader and week: who was sent their part of the week's digest ([[readers]] in
    # casewatch.toml), to which addresses, how many cases, and how the send went. The row is the
    # reader's at-most-once record, claimed and marked as `digests` is for the single digest.
    # Its key is two columns, which `ensure_schema` cannot create: the versioned step named in
    # "migration" does.
    "deliveries": {
        "columns": {
            "reader": str,
            "week": str,
            "addresses": str,  # JSON list: the reader's addresses, then those the server accepted
            "cases": int,
            "subject": str,
            "articles": str,  # JSON list of the ids of the cases the reader's digest listed
            # pending (written, not sent), sending, sent, failed (sent again by the next run),
            # uncertain (interrupted while handing it over: may have arrived, sent again only with --resend)
            "status": str,
            "error": str,
            "attempts": int,
            "created": str,
            "updated": str,
            "sent_at": str,
            "sending_since": str,
            "sending_by": str,
            "handed_over": str,
        },
        "pk": ("reader", "week"),
        "migration": "0005_reader_deliveries",
    },
    # A reform: a practice that regions copy, found in the cases' names and practices (store/reforms.py).
    "reforms": {
        "columns": {
            "id": str,
            "name": str,
            "key": str,  # the name's key (classify.reforms.name_key); null for a reform found by practice alone
            "indicator": str,
            "first_article": str,
            "first_region": str,
            "first_date": str,
            "first_week": str,
            "last_date": str,
            "cases": int,
            "regions": int,
            "provinces": int,
        },
        "pk": "id",
        "foreign_keys": [("indicator", "indicators", "slug"), ("first_article", "articles", "id")],
    },
    # Each case of a reform, with where and when it was seen.
    "reform_cases": {
        "columns": {
            "article_id": str,
            "reform": str,
            "region": str,
            "province": str,
            "date": str,
            "week": str,
            "title": str,
            "url": str,
        },
        "pk": "article_id",
        "foreign_keys": [("article_id", "articles", "id"), ("reform", "reforms", "id")],
    },
    # What each decided case says about its reform: the names it gives and the words of what it did.
    "reform_signatures": {
        "columns": {"article_id": str, "indicator": str, "names": str, "keys": str, "terms": str},
        "pk": "article_id",
    },
}

INDEXES: list[tuple[str, list[str]]] = [
    ("articles", ["week"]),
    ("articles", ["week", "source"]),  # a digest's count of each source's earlier cases, from the index alone
    ("articles", ["indicator"]),
    ("articles", ["source"]),
    ("articles", ["region"]),
    ("fetch_errors", ["run"]),
    ("sightings", ["article_id"]),
    ("sightings", ["key"]),
    ("article_revisions", ["article_id"]),
    ("documents", ["source", "url"]),
    ("fetch_log", ["run"]),
    ("articles", ["title_key"]),
    ("regions", ["province", "name"]),
    ("reform_cases", ["reform"]),
    ("reform_signatures", ["indicator"]),
]

# Views, created (or replaced) by the migration that names them.
VIEWS: dict[str, str] = {
    # Each article with a point: its city (or county-level city), else its province.
    "article_places": """
        select a.id, a.title, a.indicator, i.name as indicator_name, a.region, a.province, a.city,
               a.week, a.source, a.published, a.first_seen,
               coalesce(c.latitude, p.latitude) as latitude, coalesce(c.longitude, p.longitude) as longitude
        from articles a
        left join indicators i on i.slug = a.indicator
        left join regions c on c.adcode = (
            select r.adcode from regions r
            where r.province = a.province and r.name = a.city and r.level != 'province'
            order by r.level = 'county', r.adcode limit 1)
        left join regions p on p.level = 'province' and p.name = a.province
    """,
}
