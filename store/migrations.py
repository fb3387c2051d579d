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

from zhtext import to_simplified

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
        if TABLES[table]["pk"] not in db[table].columns_dict:
            raise NotAStore(f"{path} is not a casewatch store: its table {table} has no column {TABLES[table]['pk']}")
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
