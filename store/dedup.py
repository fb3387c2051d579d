"""Near-duplicate matching against the stored articles, and the sightings it leaves.

The same case reaches us from two sites, a site and a compilation, or two
compilations, in different words around the same text: it is stored once, and each
place it was seen is a row of `sightings`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import sqlite_utils

from scrapers import Article
from scrapers.fingerprint import PERMUTATIONS, THRESHOLD, comparable_fingerprint, same_case, signature
from scrapers.redact import redact_url


_BYTES = np.uint64(0x0101010101010101)  # adds the 8 bytes of a word into its top byte


def body_fingerprint(body: str) -> bytes | None:
    """The body's MinHash signature, or None when it is too short to compare."""
    return comparable_fingerprint(body)


class Signatures:
    """The stored articles' signatures as one matrix, grown as a save stores new articles.

    Beside it, each signature's values cut to their low byte: two values that are equal have equal low
    bytes, so a row whose low bytes agree with a signature's in fewer than the threshold's positions
    cannot agree in more of its full values. Each new article is compared with every stored one (a
    backfill of 20,000 cases compares 200 million pairs): the low bytes are a quarter of the memory to
    read, and only the rows they let through are compared in full (of 6 million pairs of different
    generated cases in a 20,000-case store, none was let through). The rows found and their order are
    the same as comparing every row in full.
    """

    def __init__(self, ids: list[str], rows: list[bytes]) -> None:
        self.ids = list(ids)
        capacity = max(64, 2 * len(rows))
        self.matrix = np.zeros((capacity, PERMUTATIONS), dtype=np.uint32)
        self.low = np.zeros((capacity, PERMUTATIONS), dtype=np.uint8)
        if rows:
            self._set(slice(0, len(rows)), np.frombuffer(b"".join(rows), dtype="<u4").reshape(len(rows), PERMUTATIONS))

    @classmethod
    def load(cls, db: sqlite_utils.Database) -> Signatures:
        """Every stored signature."""
        rows = db.execute("select id, fingerprint from articles where fingerprint is not null").fetchall()
        return cls([r[0] for r in rows], [r[1] for r in rows])

    def match(self, value: bytes) -> str | None:
        """The id of the stored article most like `value`, if their signatures are near duplicates."""
        found = self.candidates(value, 1)
        return found[0] if found else None

    def candidates(self, value: bytes, limit: int = 5) -> list[str]:
        """Ids of the stored articles whose signatures are near duplicates of `value`, most alike first."""
        if not self.ids:
            return []
        wanted = signature(value)
        need = int(np.ceil(THRESHOLD * PERMUTATIONS))
        # An upper bound of each row's agreement from the low bytes, then the exact count of the rows it lets through.
        maybe = np.flatnonzero(_agreements(self.low[: len(self.ids)] == wanted.astype(np.uint8)) >= need)
        if not len(maybe):
            return []
        counts = _agreements(self.matrix[maybe] == wanted)
        keep = counts >= need
        # The same decision as the mean: count / PERMUTATIONS is that mean exactly.
        above, counts = maybe[keep], counts[keep]
        ranked = above[np.argsort(-counts, kind="stable")][:limit]
        return [self.ids[int(i)] for i in ranked]

    def replace(self, key: str, value: bytes | None) -> None:
        """A revised article's new signature (or none, when its text is now too short to compare)."""
        if key in self.ids:
            self._set(self.ids.index(key), signature(value) if value else 0)
        elif value:
            self.add(key, value)

    def add(self, key: str, value: bytes) -> None:
        """Remember a newly stored article's signature."""
        if len(self.ids) == len(self.matrix):
            self.matrix = np.vstack([self.matrix, np.zeros_like(self.matrix)])
            self.low = np.vstack([self.low, np.zeros_like(self.low)])
        self._set(len(self.ids), signature(value))
        self.ids.append(key)

    def _set(self, rows: int | slice, values) -> None:
        """Store signatures at `rows`, and their values' low bytes beside them (a cast to uint8 keeps the low byte)."""
        self.matrix[rows] = values
        self.low[rows] = self.matrix[rows]


def _agreements(equal: np.ndarray) -> np.ndarray:
    """Each row's count of True among its PERMUTATIONS positions, without a float per position: the row's
    bytes (0 or 1) added as 8-byte words (each byte then at most PERMUTATIONS / 8), whose bytes one
    multiplication adds into the top byte."""
    words = equal.view(np.uint64).sum(axis=1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return ((words * _BYTES) >> np.uint64(56)).astype(np.int64)


def same_stored_case(
    db: sqlite_utils.Database, signatures: Signatures, article: Article, value: bytes, pending: dict[str, tuple[str, str]]
) -> str | None:
    """The stored article that `article` is a copy of: a near-duplicate signature, then `same_case` on the texts.

    `pending` holds the title and body of articles of the current batch not inserted yet.
    """
    for key in signatures.candidates(value):
        row = pending.get(key) or db.execute("select title, body from articles where id = ?", [key]).fetchone()
        if row and same_case(article.title, article.body, row[0], row[1]):
            return key
    return None


def sighting(article_id: str, article: Article, seen_at: str, folded: bool = False) -> dict:
    """The row recording that `article` (as collected) was seen as the stored article `article_id` (URL redacted).

    A `folded` article (a near duplicate stored as another) keeps its own title and text in the row.
    """
    url = redact_url(article.url)
    text = {"title": article.title, "body": article.body} if folded else {"title": None, "body": None}
    return text | {
        "article_id": article_id,
        "url": url,
        "source": article.source,
        "document": article.document,
        "position": article.position,
        "seen_at": seen_at,
        "key": sighting_key(article_id, url, article.source, article.document, article.position),
    }


def sighting_key(article_id: str, url: str | None, source: str, document: str | None, position: int | None) -> str:
    """One key per place an article was seen: a hash of where, so a place is recorded once."""
    parts = [article_id, url or "", source, document or "", str(position or "")]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]


def save_sightings(db: sqlite_utils.Database, rows: Iterable[dict]) -> None:
    """Insert the sightings not recorded yet (inside the caller's transaction)."""
    rows = {row["key"]: row for row in rows}
    keys = list(rows)
    for start in range(0, len(keys), 500):
        batch = keys[start : start + 500]
        placeholders = ",".join("?" for _ in batch)
        known = {r[0] for r in db.execute(f"select key from sightings where key in ({placeholders})", batch)}
        db["sightings"].insert_all((rows[key] for key in batch if key not in known), pk="id")
