"""Versioned schema steps (sqlite-utils `Migrations`): what `ensure_schema` cannot add in place.

`ensure_schema` adds missing tables, columns and indexes from `schema.TABLES` on every
open; the steps here run once per store, in order, each in the transaction that records it
in `_sqlite_migrations` (set "casewatch"), and `PRAGMA user_version` is then the number of
steps applied. Never edit or reorder a released step: add a new one. A step that rebuilds
`articles` (a `transform`) renumbers its rowids and must end with `rebuild_search_index`.
"""

from __future__ import annotations

import csv
import re
import sqlite3
from pathlib import Path

import sqlite_utils

from scrapers.documents import unread_key
from scrapers.fingerprint import comparable_fingerprint
from scrapers.redact import redact_text
from zhtext import to_simplified

from .dedup import sighting_key
from .schema import TABLES, VIEWS
from .search import FTS_TABLE, create_search_index, rebuild_search_index, sync_search_index

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

MIGRATIONS = sqlite_utils.Migrations("casewatch")


class NotAStore(ValueError):
    """The file is not a casewatch store (or was written by a newer casewatch)."""


def title_key(title: str | None) -> str:
    """A title in Simplified, without spaces and punctuation: the same case reported twice has one key."""
    return re.sub(r"[\W_]+", "", to_simplified(title or ""))


def add_foreign_keys(db: sqlite_utils.Database) -> None:
    """Add the foreign keys `TABLES` declares that the store's tables lack (older stores)."""
    missing = []
    for table, spec in TABLES.items():
        if not db[table].exists():
            continue
        have = {(fk.column, fk.other_table, fk.other_column) for fk in db[table].foreign_keys}
        missing += [(table, *fk) for fk in spec.get("foreign_keys", []) if tuple(fk) not in have]
    if missing:
        db.add_foreign_keys(missing)


def save_regions(db: sqlite_utils.Database, path: Path = DATA_DIR / "region_coords.csv") -> None:
    """Upsert the administrative divisions and their points (the map's lookup table)."""
    with open(path, encoding="utf-8") as f:
        rows = [dict(row, longitude=float(row["longitude"]), latitude=float(row["latitude"])) for row in csv.DictReader(f)]
    db["regions"].upsert_all(rows, pk="adcode")


def create_views(db: sqlite_utils.Database, names: list[str]) -> None:
    """Create or replace the named views of `schema.VIEWS`."""
    for name in names:
        db.create_view(name, VIEWS[name], replace=True)


@MIGRATIONS(name="0001_foreign_keys")
def _foreign_keys(db: sqlite_utils.Database) -> None:
    # Stores made before a foreign key was declared (the lookup labels Datasette shows).
    add_foreign_keys(db)


@MIGRATIONS(name="0002_search_index")
def _search_index(db: sqlite_utils.Database) -> None:
    # Chinese full-text search on FTS5 bigrams replaces the Simplified copy of every body
    # (search_text, scanned with instr); title_key finds the same case reported twice.
    if db[FTS_TABLE].exists():
        rebuild_search_index(db)
    else:
        create_search_index(db)
        sync_search_index(db)
    keys = [(title_key(title), key) for key, title in db.execute("select id, title from articles")]
    db.conn.executemany("update articles set title_key = ? where id = ?", keys)
    if "search_text" in db["articles"].columns_dict:
        db.execute("alter table articles drop column search_text")


@MIGRATIONS(name="0003_regions_and_places")
def _regions(db: sqlite_utils.Database) -> None:
    save_regions(db)
    create_views(db, ["article_places"])


# Columns that may quote a source's URL (credentials, tokens) in stores written before redaction.
REDACTED_COLUMNS: dict[str, list[str]] = {
    "sources": ["location", "last_error"],
    "documents": ["url", "name", "error"],
    "articles": ["url"],
    "fetch_errors": ["error"],
    "fetch_log": ["url", "error"],
    "attachments": ["article_url", "name", "error"],
    "runs": ["error"],
    "digests": ["markdown", "html", "text", "send_error"],
}
# Keys that are redacted URLs: a row whose redacted key is taken already is the same page, dropped.
REDACTED_KEYS = {"attachments": "url", "known_urls": "canonical_url", "http_cache": "url"}


def redact_stored_secrets(db: sqlite_utils.Database) -> None:
    """Mask credentials and secret parameters of URLs already in the store, keys included."""
    if db["documents"].exists():  # first: the key of a document never read hashes its URL as it was
        _rekey_unread_documents(db)
    for table, columns in REDACTED_COLUMNS.items():
        for column in columns:
            if db[table].exists() and column in db[table].columns_dict:
                _redact_column(db, table, column)
    for table, column in REDACTED_KEYS.items():
        if db[table].exists():
            _redact_key(db, table, column)
    if db["sightings"].exists():
        _redact_sightings(db)


def _changed(db: sqlite_utils.Database, table: str, column: str, key: str = "rowid") -> list[tuple]:
    """(key, old, redacted) for the rows whose value redaction changes (only values with "@" or "=" can change)."""
    rows = db.execute(f"select [{key}], [{column}] from [{table}] where instr([{column}], '@') or instr([{column}], '=')")
    return [(k, old, new) for k, old in rows if isinstance(old, str) and (new := redact_text(old)) != old]


def _redact_column(db: sqlite_utils.Database, table: str, column: str) -> None:
    updates = [(new, key) for key, _, new in _changed(db, table, column)]
    db.conn.executemany(f"update [{table}] set [{column}] = ? where rowid = ?", updates)


def _redact_key(db: sqlite_utils.Database, table: str, column: str) -> None:
    for _, old, new in _changed(db, table, column, column):
        if db.execute(f"select 1 from [{table}] where [{column}] = ?", [new]).fetchone():
            db.execute(f"delete from [{table}] where [{column}] = ?", [old])
        else:
            db.execute(f"update [{table}] set [{column}] = ? where [{column}] = ?", [new, old])


def _redact_sightings(db: sqlite_utils.Database) -> None:
    """Sightings' URLs, and their keys, which hash the URL: one row per place, as the save would write it."""
    for rowid, _, url in _changed(db, "sightings", "url"):
        row = db.execute("select article_id, source, document, position from sightings where rowid = ?", [rowid]).fetchone()
        key = sighting_key(row[0], url, row[1], row[2], row[3])
        if db.execute("select 1 from sightings where key = ?", [key]).fetchone():
            db.execute("delete from sightings where rowid = ?", [rowid])
        else:
            db.execute("update sightings set url = ?, key = ? where rowid = ?", [url, key, rowid])


def _rekey_unread_documents(db: sqlite_utils.Database) -> None:
    """A document that could not be read is keyed by a hash of where it is: now of the redacted URL."""
    rows = db.execute("select sha256, url from documents where status != 'ok' and url is not null").fetchall()
    for sha, url in rows:
        if unread_key(url) != sha or redact_text(url) == url:
            continue
        new = unread_key(redact_text(url))
        if db.execute("select 1 from documents where sha256 = ?", [new]).fetchone():
            db.execute("delete from documents where sha256 = ?", [sha])
        else:
            db.execute("update documents set sha256 = ? where sha256 = ?", [new, sha])


@MIGRATIONS(name="0004_redact_secrets")
def _redact_secrets(db: sqlite_utils.Database) -> None:
    # casewatch stored source URLs as configured, credentials and tokens included (sources.location,
    # fetch_errors, fetch_log, article and document URLs, the digests); it now stores them redacted.
    redact_stored_secrets(db)


def create_table(db: sqlite_utils.Database, name: str) -> None:
    """Create a table of `schema.TABLES` as declared (its key may be several columns), unless it exists."""
    spec = TABLES[name]
    keys = (spec["pk"],) if isinstance(spec["pk"], str) else tuple(spec["pk"])
    db[name].create(
        spec["columns"], pk=keys[0] if len(keys) == 1 else keys, foreign_keys=spec.get("foreign_keys", []),
        not_null=set(keys), if_not_exists=True,
    )


@MIGRATIONS(name="0005_reader_deliveries")
def _reader_deliveries(db: sqlite_utils.Database) -> None:
    # A digest per reader ([[readers]]): each reader's send of each week is recorded once, keyed
    # by (reader, week), so that it is sent at most once and a failure of one reader is kept apart.
    create_table(db, "deliveries")


@MIGRATIONS(name="0006_reform_spread")
def _reform_spread(db: sqlite_utils.Database) -> None:
    # Reforms were not kept before: find them in every case already decided.
    from .reforms import rebuild_reforms

    rebuild_reforms(db)


def recompute_fingerprints(db: sqlite_utils.Database, batch: int = 2000) -> int:
    """Give every stored case the near-duplicate signature of the current `scrapers.fingerprint.VERSION`; return how many."""
    if not db["articles"].exists() or "fingerprint" not in db["articles"].columns_dict:
        return 0
    done, last = 0, 0
    while True:  # by rowid, a batch at a time: a store of 100,000 cases is never all in memory
        rows = db.execute("select rowid, body from articles where rowid > ? order by rowid limit ?", [last, batch]).fetchall()
        if not rows:
            return done
        db.conn.executemany("update articles set fingerprint = ? where rowid = ?", [(comparable_fingerprint(b or ""), r) for r, b in rows])
        done, last = done + len(rows), rows[-1][0]


@MIGRATIONS(name="0007_fingerprints_v2")
def _fingerprints_v2(db: sqlite_utils.Database) -> None:
    # The signature's shingle hash changed (version 2: numpy instead of a blake2b call per
    # shingle), so a stored version-1 signature agrees with no new one: each is recomputed
    # from the case's body, and a case stored before is still found as a near duplicate.
    recompute_fingerprints(db)


def schema_version(db: sqlite_utils.Database) -> int:
    """How many versioned steps the store has had (also its `PRAGMA user_version`)."""
    return len(MIGRATIONS.applied(db))


def pending(db: sqlite_utils.Database) -> list[str]:
    """Names of the steps the store has not had yet."""
    return [m.name for m in MIGRATIONS.pending(db)]


def check_store(db: sqlite_utils.Database, path: str | Path) -> None:
    """Refuse a file that is not a casewatch store, or one written by a newer casewatch."""
    try:
        tables = set(db.table_names())
    except sqlite3.DatabaseError as exc:
        raise NotAStore(f"{path} is not a casewatch store: {exc}") from exc
    if not tables:
        return  # a new (or empty) file becomes a store
    known = {m.name for m in MIGRATIONS._migrations}
    unknown = [m.name for m in MIGRATIONS.applied(db) if m.name not in known]
    if unknown:
        raise NotAStore(f"{path} was upgraded by a newer casewatch (schema step {unknown[0]}); upgrade casewatch to open it")
    ours = tables & set(TABLES)
    for table in sorted(ours):
        keys = TABLES[table]["pk"]
        for key in (keys,) if isinstance(keys, str) else keys:
            if key not in db[table].columns_dict:
                raise NotAStore(f"{path} is not a casewatch store: its table {table} has no column {key}")
    if not ours:
        shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
        raise NotAStore(
            f"{path} is not a casewatch store: it has tables ({shown}) but none of casewatch's "
            "(articles, runs, sources, …); give another --db"
        )


def upgrade(db: sqlite_utils.Database) -> list[str]:
    """Apply the pending steps under the write lock; return their names."""
    names = pending(db)
    if names:
        MIGRATIONS.apply(db)
        db.execute(f"PRAGMA user_version = {schema_version(db)}")
    return names
