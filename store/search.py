"""Chinese full-text search on SQLite FTS5: overlapping bigrams of Simplified text.

FTS5's default tokenizer (unicode61) takes a run of Chinese characters for one token, and
the trigram tokenizer never matches fewer than three characters, so neither finds 纳税 in
"推行纳税缴费". The index therefore holds each run of Chinese characters as its
overlapping bigrams (纳税 税缴 缴费 费), in Simplified characters, and a query is turned into
the same bigrams as an FTS5 phrase: 一网通办 → "一网 网通 通办", 納稅 → "纳税". A run's last
character is indexed alone too, so a one-character query (税*) finds it at the end of a run.

The index is contentless (`content=''`): it stores only the tokens, keyed by the article's
rowid. It is written with each batch of articles (`index_articles`) and caught up from
`articles` by `sync_search_index` when the store is opened (rows another tool inserted).
"""

from __future__ import annotations

import operator
import re

import sqlite_utils

from zhtext import to_simplified

FTS_TABLE = "articles_fts"
FTS_COLUMNS = ("title", "body")
# An FTS5 expression that matches no row.
NOTHING = '""'

# Chinese characters (CJK unified ideographs, extension A, compatibility, and the extension planes).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f〇"
_RUN_RE = re.compile(f"([{_HAN}]+)")
_TERM_RE = re.compile(r'"([^"]*)"|(\S+)')
# What FTS5's unicode61 tokenizer keeps as a token outside Chinese runs (letters and digits).
_WORD_RE = re.compile(r"\w+")


def index_text(text: str | None) -> str:
    """The text as the index holds it: Simplified, each Chinese run as overlapping bigrams plus its last character."""
    if not text:
        return ""
    parts = []
    for i, piece in enumerate(_RUN_RE.split(to_simplified(text))):
        if i % 2 == 0:
            parts.append(piece)  # not Chinese: unicode61 splits it into words itself
        else:
            parts.append(" ".join([*map(operator.add, piece, piece[1:]), piece[-1]]))  # bigrams, last character
    return " ".join(parts)


def _phrases(term: str) -> list[str]:
    """One query term (no spaces) as FTS5 phrases that must all match, in index tokens."""
    tokens: list[str] = []  # tokens of the current phrase
    phrases: list[str] = []
    pieces = _RUN_RE.split(to_simplified(term))
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            tokens += [w.lower() for w in _WORD_RE.findall(piece)]
        elif len(piece) >= 2:
            tokens += [piece[j : j + 2] for j in range(len(piece) - 1)]
        else:
            # One character: the start of a bigram or a run's last character, so a prefix,
            # which FTS5 allows only at the end of a phrase.
            phrases.append('"' + " ".join(tokens + [piece]) + '" *')
            tokens = []
    if tokens:
        phrases.append('"' + " ".join(tokens) + '"')
    return phrases


def match_query(query: str | None) -> str:
    """A user's query as an FTS5 MATCH expression: every word or "quoted phrase" must be found.

    A query with nothing to look for gives '""', which finds no row (MATCH '' is an error).
    """
    phrases: list[str] = []
    for quoted, bare in _TERM_RE.findall(query or ""):
        term = quoted or bare
        if bare and bare.upper() in ("AND", "OR", "NOT"):
            continue  # operators are words to look for in Datasette's escaped mode; drop them
        phrases += _phrases(term)
    return " ".join(phrases) or NOTHING


def any_query(words: list[str]) -> str:
    """An FTS5 expression that matches text holding any of the words (for "similar cases")."""
    parts = [" ".join(_phrases(word)) for word in words if word and word.strip()]
    return " OR ".join(f"({p})" for p in parts if p) or NOTHING


def index_articles(db: sqlite_utils.Database, ids: list[str]) -> None:
    """Write the index rows of these articles (replacing any they had); call inside the batch's transaction."""
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        placeholders = ",".join("?" for _ in batch)
        rows = db.execute(f"select rowid, title, body from articles where id in ({placeholders})", batch).fetchall()
        _write(db, rows)


def _write(db: sqlite_utils.Database, rows) -> None:
    # A contentless table cannot delete a row without its old tokens; ids are content hashes,
    # so an article's text never changes and a rowid is written once (see sync_search_index).
    db.conn.executemany(
        f"insert into {FTS_TABLE}(rowid, title, body) values (?, ?, ?)",
        [(rowid, index_text(title), index_text(body)) for rowid, title, body in rows],
    )
    # FTS5 keeps new rows in memory and writes them when a savepoint opens or at COMMIT. A
    # COMMIT that fails while writing them (interrupted, disk full) leaves FTS5's statement
    # active and the connection unable even to roll back; written here, a failure raises from
    # this statement and the caller's ROLLBACK works.
    db.execute("SAVEPOINT casewatch_fts")
    db.execute("RELEASE casewatch_fts")


def create_search_index(db: sqlite_utils.Database) -> None:
    """Create the (empty) FTS5 index of articles, if it does not exist."""
    db.execute(
        f"create virtual table if not exists {FTS_TABLE} using fts5({', '.join(FTS_COLUMNS)}, "
        "content='', tokenize='unicode61 remove_diacritics 2')"
    )


def rebuild_search_index(db: sqlite_utils.Database) -> None:
    """Drop and refill the whole index (after anything that renumbers rowids, such as VACUUM or a table rebuild)."""
    db.execute(f"drop table if exists {FTS_TABLE}")
    create_search_index(db)
    sync_search_index(db)


def search_index_gap(db: sqlite_utils.Database) -> int:
    """How many articles have a rowid above the index's highest (rows written by another tool), 0 when in step."""
    if not db[FTS_TABLE].exists() or not db["articles"].exists():
        return 0
    indexed = db.execute(f"select coalesce(max(id), 0) from {FTS_TABLE}_docsize").fetchone()[0]
    return db.execute("select count(*) from articles where rowid > ?", [indexed]).fetchone()[0]


def sync_search_index(db: sqlite_utils.Database) -> int:
    """Index the articles the index does not hold yet; return how many."""
    indexed = db.execute(f"select coalesce(max(id), 0) from {FTS_TABLE}_docsize").fetchone()[0]
    count = 0
    cursor = db.execute("select rowid, title, body from articles where rowid > ? order by rowid", [indexed])
    while rows := cursor.fetchmany(1000):
        _write(db, rows)
        count += len(rows)
    return count


def search(db: sqlite_utils.Database, query: str, limit: int = 50) -> list[dict]:
    """Articles matching a query (either script), best first: id, title, region, week, indicator."""
    expression = match_query(query)
    if expression == NOTHING:
        return []
    return list(
        db.query(
            f"select a.id, a.title, a.region, a.week, a.indicator from {FTS_TABLE} f "
            f"join articles a on a.rowid = f.rowid where {FTS_TABLE} match ? order by f.rank limit ?",
            [expression, limit],
        )
    )
