"""Reforms and the cases that spread them, kept current with the cases' decisions.

Each case the model or an analyst has decided on gets its signals (the reform names it gives,
the words of what it did: `classify.reforms`) in `reform_signatures`; it joins the reform of
every earlier case it shares a name's key with, or that is of its indicator and alike enough
(`classify.reforms.SAME_PRACTICE`), and reforms it links are merged. A case with a name and no
match starts a reform; one with neither waits, unassigned, for a later case like it. Called
inside the transaction that stores the decisions (`db.save_decisions`, `db.save_label`), so a
reform never names a case whose decision was not stored, nor misses one that was.

A batch is grouped with what `_Grouping` reads of the store once (the names' cases in one scan, an
indicator's cases as one sparse matrix) rather than a query a case, and a reform's row is counted in
SQL: a backfill's batch costs little more on a store of 20,000 cases than on a small one
(bench/bench_reforms.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from collections.abc import Sequence

import numpy as np
import sqlite_utils
from scipy import sparse

REGION_PREFIX_RE = re.compile(r"^[^：:]{2,16}[：:]")


def case_date(row: dict) -> str | None:
    """The date a case was seen at: its publication date, else the day it was first stored."""
    return (row.get("published") or row.get("first_seen") or "")[:10] or None


def _ids(values: Sequence[str]) -> str:
    return ",".join("?" for _ in values)


def save_reforms(db: sqlite_utils.Database, article_ids: Sequence[str], known: dict | None = None) -> set[str]:
    """Assign these cases (their decisions just stored) to reforms; return the ids of the reforms changed.

    Cases are taken oldest first, so that a reform's first case is the earliest one seen. `known`
    holds cases' `classify.reforms.signals` worked out already (by the process that scored them),
    by article id: a stored case's title and body never change.
    """
    from classify.reforms import signals  # the tokenizer loads only when cases are decided

    if not article_ids:
        return set()
    rows = []
    for part in _chunks(article_ids):
        rows += db.query(
            f"select id, title, body, indicator, is_case, published, first_seen from articles where id in ({_ids(part)})", part
        )
    rows.sort(key=lambda r: (case_date(r) or "9999", r["id"]))
    changed: set[str] = set()
    # First every case's signature (so that words are weighed over all the cases, these included),
    # then each case's reform.
    for part in _chunks([r["id"] for r in rows]):
        changed |= {r[0] for r in db.execute(f"select distinct reform from reform_cases where article_id in ({_ids(part)})", part)}
        db.execute(f"delete from reform_cases where article_id in ({_ids(part)})", part)
    dropped = [r["id"] for r in rows if r["is_case"] == 0]  # not a reform case: it spreads nothing
    for part in _chunks(dropped):
        db.execute(f"delete from reform_signatures where article_id in ({_ids(part)})", part)
    signed, records = [], []
    for row in rows:
        if row["is_case"] == 0:
            continue
        found = (known or {}).get(row["id"]) or signals(row["title"] or "", row["body"] or "")
        records.append(
            {
                "article_id": row["id"],
                "indicator": row["indicator"],
                "names": json.dumps([n.text for n in found.names], ensure_ascii=False),
                "keys": json.dumps(found.keys, ensure_ascii=False),
                "terms": json.dumps(found.terms, ensure_ascii=False),
            }
        )
        signed.append((row, found.keys))
    db["reform_signatures"].upsert_all(records, pk="article_id")
    grouping = _Grouping(db, {k for _, keys in signed for k in keys}, {row["id"] for row, _ in signed})
    for row, keys in signed:
        matches = grouping.named(row["id"], keys) | grouping.practice_alike(row["id"], row["indicator"])
        if not matches and not keys:
            continue  # no name and nothing like it yet: it waits for a later case
        target, found_reforms = _join(db, row["id"], sorted(matches))
        grouping.joined(target, found_reforms, [row["id"], *matches])
        changed |= {target, *found_reforms}
    for reform in changed:
        refresh_reform(db, reform)
    return {r for r in changed if db["reforms"].count_where("id = ?", [r])}


def _chunks(values: Sequence[str], size: int = 500) -> list[list[str]]:
    return [list(values[start : start + size]) for start in range(0, len(values), size)]


# Each case's words as counts over one vocabulary, parsed once a process: a backfill weighs every case of an
# indicator again for each batch (the weights change with every case added), and reading the stored words
# again is what that costs. An entry holds the stored text it was parsed from, so a case whose words changed
# (or a case of another store with the same id) is parsed again.
_VOCABULARY: dict[str, int] = {}
_VOCABULARY_LOCK = threading.Lock()
_COUNTS: dict[str, tuple[str, np.ndarray, np.ndarray]] = {}
_COUNTS_KEPT = 200_000


def _term_counts(key: str, stored: str) -> tuple[np.ndarray, np.ndarray]:
    """A case's words (their vocabulary numbers) and how often each occurs."""
    cached = _COUNTS.get(key)
    if cached is not None and cached[0] == stored:
        return cached[1], cached[2]
    counts = Counter(json.loads(stored))
    with _VOCABULARY_LOCK:  # two threads saving decisions must not give two words one number
        terms = np.fromiter((_VOCABULARY.setdefault(w, len(_VOCABULARY)) for w in counts), dtype=np.int64, count=len(counts))
    values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    if len(_COUNTS) >= _COUNTS_KEPT:
        _COUNTS.clear()
    _COUNTS[key] = (stored, terms, values)
    return terms, values


class _Grouping:
    """What one call of `save_reforms` knows of the store, kept current as it joins cases to reforms.

    The cases that give each of the batch's names' keys (one scan of the signatures, not one a case); each
    reform's first case and each case's reform (a case is a seed, one a later case may be like, while it is
    in no reform or is the first of its own); and for each indicator its cases' TF-IDF vectors as one sparse
    matrix, weighed over all of them once a call, and the likeness of the batch's cases to its seeds, computed
    in one product. What it answers is what asking the store case by case answered.
    """

    def __init__(self, db: sqlite_utils.Database, keys: set[str], batch: set[str]):
        self.db, self.batch = db, batch
        # A name's cases in a reform are all found through one of them (joining it joins its reform): one a
        # reform, so that the thousandth case of a name does not join a thousand cases one by one.
        self.cases_named: dict[str, set[str]] = {}
        for part in _chunks(sorted(keys)):
            for key, reform, article in db.execute(
                "select k.value, rc.reform, min(s.article_id) from reform_signatures s join json_each(s.keys) k "
                "left join reform_cases rc on rc.article_id = s.article_id "
                f"where k.value in ({_ids(part)}) group by k.value, coalesce(rc.reform, s.article_id)",
                part,
            ):
                self.cases_named.setdefault(key, set()).add(article)
        self.first: dict[str, str] = dict(db.execute("select id, first_article from reforms").fetchall())
        self.reform_of: dict[str, str] = {}
        self.likeness: dict[str | None, tuple[dict[str, int], list[str], np.ndarray]] = {}

    def named(self, key: str, keys: list[str]) -> set[str]:
        """Other cases that give one of these names' keys."""
        return set().union(*(self.cases_named.get(k, set()) for k in keys)) - {key}

    def is_seed(self, article: str) -> bool:
        """True for a case in no reform or the first of its reform."""
        reform = self.reform_of.get(article)
        return reform is None or self.first.get(reform) == article

    def practice_alike(self, key: str, indicator: str | None) -> set[str]:
        """Seeds of the indicator whose action words are alike enough to this case's."""
        from classify.reforms import SAME_PRACTICE

        if indicator is None:
            return set()
        if indicator not in self.likeness:
            self.likeness[indicator] = self._likeness(indicator)
        rows, seeds, likeness = self.likeness[indicator]
        if key not in rows:
            return set()
        alike = np.flatnonzero(likeness[rows[key]] >= SAME_PRACTICE)
        return {seeds[i] for i in alike if seeds[i] != key and self.is_seed(seeds[i])}

    def _likeness(self, indicator: str) -> tuple[dict[str, int], list[str], np.ndarray]:
        """The batch's cases of the indicator (their rows), its seeds (columns) and the cosine of each pair."""
        found = self.db.execute(
            "select s.article_id, s.terms, rc.reform from reform_signatures s "
            "left join reform_cases rc on rc.article_id = s.article_id where s.indicator = ?",
            [indicator],
        ).fetchall()
        for article, _terms, reform in found:
            if reform is not None:
                self.reform_of.setdefault(article, reform)
        counted = [_term_counts(article, terms or "[]") for article, terms, _reform in found]
        lengths = np.fromiter((len(t) for t, _ in counted), dtype=np.int64, count=len(counted))
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        terms = np.concatenate([t for t, _ in counted]) if counted else np.zeros(0, dtype=np.int64)
        counts = np.concatenate([c for _, c in counted]) if counted else np.zeros(0)
        # As classify.reforms.idf and .vector: smoothed idf over the indicator's cases, sublinear tf, unit rows.
        frequency = np.bincount(terms, minlength=len(_VOCABULARY))
        weights = np.log((1 + len(found)) / (1 + frequency)) + 1
        values = (1 + np.log(counts)) * weights[terms]
        norms = np.sqrt(np.add.reduceat(values * values, indptr[:-1])) if len(values) else np.zeros(len(found))
        norms[(lengths == 0) | (norms == 0)] = 1.0
        values /= np.repeat(norms, lengths)
        matrix = sparse.csr_matrix((values, terms, indptr), shape=(len(found), len(_VOCABULARY)))
        # Seeds only become fewer during a call: the ones now are all that may be alike later.
        rows = {article: i for i, (article, _t, _r) in enumerate(found) if article in self.batch}
        seeds = [i for i, (article, _t, _r) in enumerate(found) if self.is_seed(article)]
        likeness = (matrix[list(rows.values())] @ matrix[seeds].T).toarray()
        return {article: n for n, article in enumerate(rows)}, [found[i][0] for i in seeds], likeness

    def joined(self, target: str, reforms: list[str], members: list[str]) -> None:
        """The members and the reforms found are now one reform, `target` (new when no reform was found)."""
        if not reforms:
            self.first[target] = members[0]
        for other in reforms[1:]:
            first = self.first.pop(other, None)
            if first is not None:
                self.reform_of[first] = target
        for member in members:
            self.reform_of[member] = target


def _join(db: sqlite_utils.Database, key: str, matches: list[str]) -> tuple[str, list[str]]:
    """Put the case, its matches and their reforms in one reform (the oldest); return it and the reforms they were in."""
    members = [key, *matches]
    reforms = [
        r[0]
        for r in db.execute(
            f"select distinct rc.reform from reform_cases rc join reforms f on f.id = rc.reform "
            f"where rc.article_id in ({_ids(members)}) order by f.first_date is null, f.first_date, f.id",
            members,
        )
    ]
    # The oldest reform keeps its id (Datasette's links to it hold); one begun in this call is dated when refreshed.
    target = reforms[0] if reforms else new_reform_id(db, key)
    if not reforms:
        db.execute("insert into reforms (id, first_article) values (?, ?)", [target, key])
    for other in reforms[1:]:
        db.execute("update reform_cases set reform = ? where reform = ?", [target, other])
        db.execute("delete from reforms where id = ?", [other])
    assigned = {r[0] for r in db.execute(f"select article_id from reform_cases where article_id in ({_ids(members)})", members)}
    db.conn.executemany(
        "insert or replace into reform_cases (article_id, reform) values (?, ?)", [(m, target) for m in members if m not in assigned]
    )
    return target, reforms


def new_reform_id(db: sqlite_utils.Database, key: str) -> str:
    """A new reform's id, from the case that starts it (another when that case started one before and left it)."""
    for attempt in range(1000):
        candidate = "r" + hashlib.sha1(f"{key}:{attempt}".encode() if attempt else key.encode()).hexdigest()[:11]
        if not db.execute("select 1 from reforms where id = ?", [candidate]).fetchone():
            return candidate
    raise RuntimeError(f"no free reform id for {key}")


# A case's date in SQL, as `case_date` gives it: its publication date, else the day it was first stored.
CASE_DATE_SQL = "nullif(substr(coalesce(nullif(a.published, ''), nullif(a.first_seen, ''), ''), 1, 10), '')"


def refresh_reform(db: sqlite_utils.Database, reform: str) -> None:
    """Recompute a reform's row and its cases' columns from its cases; drop it when it has none.

    Counted in SQL, so that a reform of thousands of cases that gains a few costs no row by row reading.
    """
    # The cases' columns first (only the rows that changed): the counts below read them.
    db.execute(
        f"update reform_cases set region = a.region, province = a.province, date = {CASE_DATE_SQL}, week = a.week, "
        "title = a.title, url = a.url from articles a where a.id = reform_cases.article_id and reform_cases.reform = ? "
        "and (reform_cases.region is not a.region or reform_cases.province is not a.province "
        f"or reform_cases.date is not {CASE_DATE_SQL} or reform_cases.week is not a.week or reform_cases.title is not a.title "
        "or reform_cases.url is not a.url)",
        [reform],
    )
    # Cases in date order (undated last), then by id: the first and last case, and which comes first on a tie.
    order = "coalesce(rc.date, '9999') || char(31) || rc.article_id"
    counts = db.execute(
        "select count(*), count(distinct nullif(region, '')), count(distinct nullif(province, '')) from reform_cases rc where reform = ?",
        [reform],
    ).fetchone()
    if not counts[0]:
        db.execute("delete from reforms where id = ?", [reform])
        return
    first, last = (
        db.execute(
            f"select rc.article_id, rc.region, rc.date, rc.week, a.title from reform_cases rc join articles a on a.id = rc.article_id "
            f"where rc.reform = ? order by {order} {direction} limit 1",
            [reform],
        ).fetchone()
        for direction in ("asc", "desc")
    )
    # The key most cases give, the earliest (case, then place in its names) on a tie, as that case spelt it.
    named = db.execute(
        f"select k.value, count(*) as n, min({order} || char(31) || printf('%04d', k.key)) as earliest "
        "from reform_cases rc join reform_signatures s on s.article_id = rc.article_id, json_each(s.keys) k "
        "where rc.reform = ? group by k.value order by n desc, earliest limit 1",
        [reform],
    ).fetchone()
    if named:
        article, position = named[2].split("\x1f")[1:]
        spelt = db.execute(
            "select json_extract(names, '$[' || ? || ']') from reform_signatures where article_id = ?", [int(position), article]
        ).fetchone()[0]
    indicator = db.execute(
        f"select a.indicator, count(*) as n, min({order}) as earliest from reform_cases rc join articles a on a.id = rc.article_id "
        "where rc.reform = ? and a.indicator is not null and a.indicator != '' group by a.indicator order by n desc, earliest limit 1",
        [reform],
    ).fetchone()
    db["reforms"].upsert(
        {
            "id": reform,
            # A reform found by practice alone is named by its first title.
            "name": spelt if named else REGION_PREFIX_RE.sub("", first[4] or "")[:30],
            "key": named[0] if named else None,
            "indicator": indicator[0] if indicator else None,
            "first_article": first[0],
            "first_region": first[1],
            "first_date": first[2],
            "first_week": first[3],
            "last_date": last[2],
            "cases": counts[0],
            "regions": counts[1],
            "provinces": counts[2],
        },
        pk="id",
    )


def rebuild_reforms(db: sqlite_utils.Database) -> int:
    """Assign every decided case again from nothing (a store made before reforms were kept); return the reforms."""
    db.execute("delete from reform_cases")
    db.execute("delete from reforms")
    db.execute("delete from reform_signatures")
    ids = [r[0] for r in db.execute("select id from articles where classified_at is not null or label_source = 'human'")]
    save_reforms(db, ids)
    return db["reforms"].count


def reform_list(
    db: sqlite_utils.Database, since: str | None = None, indicator: str | None = None, min_cases: int = 2
) -> list[dict]:
    """Reforms with their cases in date order (`id`, `region`, `date`, `title`, `url`): those of `indicator`,
    seen in a case since `since` (a date), with at least `min_cases` cases; the widest spread first."""
    where, params = ["r.cases >= ?"], [min_cases]
    if indicator:
        where.append("r.indicator = ?")
        params.append(indicator)
    if since:
        where.append("r.last_date >= ?")
        params.append(since)
    reforms = list(
        db.query(
            "select r.id, r.name, r.indicator, i.name as indicator_name, r.first_region, r.first_date, r.cases, r.regions, r.provinces "
            f"from reforms r left join indicators i on i.slug = r.indicator where {' and '.join(where)} "
            "order by r.provinces desc, r.regions desc, r.first_date, r.id",
            params,
        )
    )
    for reform in reforms:
        reform["cases"] = [
            {"id": c["article_id"], "region": c["region"], "date": c["date"], "title": c["title"], "url": c["url"]}
            for c in db.query("select * from reform_cases where reform = ? order by date, article_id", [reform["id"]])
        ]
    return reforms


def week_spread(db: sqlite_utils.Database, week: str) -> list[dict]:
    """Reforms that reached regions in `week` where they had not been seen before, seen in two regions or more
    by the end of it: `name`, `indicator`, `new` and `new_regions` (the regions new this week, and as `new_places`
    a JSON list of [region, province]), `regions` and `provinces`
    (reached by the end of the week: a past week's digest counts what was known then), `first_region`, `first_date`."""
    rows = db.query(
        """
        with firsts as (
          select reform, region, min(province) as province, min(week) as week, min(date) as date
          from reform_cases where region is not null and week is not null group by reform, region
        ),
        upto as (
          select reform, count(*) as regions, count(distinct province) as provinces, sum(week = :week) as new,
                 group_concat(case when week = :week then region end, '、') as new_regions,
                 json_group_array(json_array(region, province)) filter (where week = :week) as new_places
          from (select * from firsts where week <= :week order by reform, date, region)
          group by reform
        )
        select r.id, r.name, r.indicator, r.first_region, r.first_date, u.new, u.new_regions, u.new_places, u.regions, u.provinces
        from upto u join reforms r on r.id = u.reform
        where u.new > 0 and u.regions >= 2
        order by u.new desc, u.provinces desc, r.name
        """,
        {"week": week},
    )
    return list(rows)
