"""Reforms and the cases that spread them, kept current with the cases' decisions.

Each case the model or an analyst has decided on gets its signals (the reform names it gives,
the words of what it did: `classify.reforms`) in `reform_signatures`; it joins the reform of
every earlier case it shares a name's key with, or that is of its indicator and alike enough
(`classify.reforms.SAME_PRACTICE`), and reforms it links are merged. A case with a name and no
match starts a reform; one with neither waits, unassigned, for a later case like it. Called
inside the transaction that stores the decisions (`db.save_decisions`, `db.save_label`), so a
reform never names a case whose decision was not stored, nor misses one that was.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence

import sqlite_utils

REGION_PREFIX_RE = re.compile(r"^[^：:]{2,16}[：:]")


def case_date(row: dict) -> str | None:
    """The date a case was seen at: its publication date, else the day it was first stored."""
    return (row.get("published") or row.get("first_seen") or "")[:10] or None


def _ids(values: Sequence[str]) -> str:
    return ",".join("?" for _ in values)


def save_reforms(db: sqlite_utils.Database, article_ids: Sequence[str]) -> set[str]:
    """Assign these cases (their decisions just stored) to reforms; return the ids of the reforms changed.

    Cases are taken oldest first, so that a reform's first case is the earliest one seen.
    """
    from classify.reforms import signals  # the tokenizer loads only when cases are decided

    if not article_ids:
        return set()
    rows = []
    for start in range(0, len(article_ids), 500):
        part = list(article_ids[start : start + 500])
        rows += db.query(
            f"select id, title, body, indicator, is_case, published, first_seen from articles where id in ({_ids(part)})", part
        )
    rows.sort(key=lambda r: (case_date(r) or "9999", r["id"]))
    changed: set[str] = set()
    # First every case's signature (so that words are weighed over all the cases, these included),
    # then each case's reform.
    signed = []
    for row in rows:
        old = db.execute("select reform from reform_cases where article_id = ?", [row["id"]]).fetchone()
        if old:
            db.execute("delete from reform_cases where article_id = ?", [row["id"]])
            changed.add(old[0])
        if row["is_case"] == 0:  # not a reform case: it spreads nothing
            db.execute("delete from reform_signatures where article_id = ?", [row["id"]])
            continue
        found = signals(row["title"] or "", row["body"] or "")
        db["reform_signatures"].upsert(
            {
                "article_id": row["id"],
                "indicator": row["indicator"],
                "names": json.dumps([n.text for n in found.names], ensure_ascii=False),
                "keys": json.dumps(found.keys, ensure_ascii=False),
                "terms": json.dumps(found.terms, ensure_ascii=False),
            },
            pk="article_id",
        )
        signed.append((row, found.keys))
    vectors: dict[str, dict[str, dict[str, float]]] = {}  # indicator → its cases' vectors, weighed once a call
    for row, keys in signed:
        matches = _named_alike(db, row["id"], keys) | _practice_alike(db, row["id"], row["indicator"], vectors)
        if not matches and not keys:
            continue  # no name and nothing like it yet: it waits for a later case
        changed |= _join(db, row["id"], sorted(matches))
    for reform in changed:
        refresh_reform(db, reform)
    return {r for r in changed if db["reforms"].count_where("id = ?", [r])}


def _named_alike(db: sqlite_utils.Database, key: str, keys: list[str]) -> set[str]:
    """Other cases that give one of these names' keys."""
    if not keys:
        return set()
    return {
        r[0]
        for r in db.execute(
            f"select distinct s.article_id from reform_signatures s, json_each(s.keys) k where k.value in ({_ids(keys)}) and s.article_id != ?",
            [*keys, key],
        )
    }


def _practice_alike(db: sqlite_utils.Database, key: str, indicator: str | None, cache: dict) -> set[str]:
    """Cases of the indicator that begin a reform (or may) and whose action words are alike enough to this one's."""
    from classify.reforms import SAME_PRACTICE, idf, similarity, vector

    if indicator is None:
        return set()
    if indicator not in cache:
        terms = {r[0]: json.loads(r[1]) for r in db.execute("select article_id, terms from reform_signatures where indicator = ?", [indicator])}
        weights = idf(terms.values())
        cache[indicator] = {k: vector(t, weights) for k, t in terms.items()}
    known = cache[indicator]
    own = known.get(key)
    if not own:
        return set()
    # Alike to a reform's first case, or to a case in no reform yet (the first of one to come): not to any
    # member, so that a chain of each-a-little-alike cases does not become one reform.
    seeds = {r[0] for r in db.execute(
        "select s.article_id from reform_signatures s left join reform_cases rc on rc.article_id = s.article_id "
        "where s.indicator = ? and (rc.reform is null or s.article_id in (select first_article from reforms where id = rc.reform))",
        [indicator],
    )}  # fmt: skip
    return {other for other in seeds & known.keys() if other != key and similarity(own, known[other]) >= SAME_PRACTICE}


def _join(db: sqlite_utils.Database, key: str, matches: list[str]) -> set[str]:
    """Put the case, its matches and their reforms in one reform (the oldest); return the reforms touched."""
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
        db["reforms"].insert({"id": target, "first_article": key}, pk="id")
    for other in reforms[1:]:
        db.execute("update reform_cases set reform = ? where reform = ?", [target, other])
        db.execute("delete from reforms where id = ?", [other])
    assigned = {r[0] for r in db.execute(f"select article_id from reform_cases where article_id in ({_ids(members)})", members)}
    db["reform_cases"].insert_all(
        ({"article_id": m, "reform": target} for m in members if m not in assigned), pk="article_id", replace=True
    )
    return {target, *reforms}


def new_reform_id(db: sqlite_utils.Database, key: str) -> str:
    """A new reform's id, from the case that starts it (another when that case started one before and left it)."""
    for attempt in range(1000):
        candidate = "r" + hashlib.sha1(f"{key}:{attempt}".encode() if attempt else key.encode()).hexdigest()[:11]
        if not db.execute("select 1 from reforms where id = ?", [candidate]).fetchone():
            return candidate
    raise RuntimeError(f"no free reform id for {key}")


def refresh_reform(db: sqlite_utils.Database, reform: str) -> None:
    """Recompute a reform's row and its cases' columns from its cases; drop it when it has none."""
    cases = list(
        db.query(
            "select a.id, a.title, a.url, a.region, a.province, a.week, a.indicator, a.published, a.first_seen, s.keys, s.names "
            "from reform_cases rc join articles a on a.id = rc.article_id "
            "left join reform_signatures s on s.article_id = a.id where rc.reform = ?",
            [reform],
        )
    )
    if not cases:
        db.execute("delete from reforms where id = ?", [reform])
        return
    cases.sort(key=lambda r: (case_date(r) or "9999", r["id"]))
    first = cases[0]
    keys: Counter[str] = Counter()
    spelt: dict[str, str] = {}
    for case in cases:
        for k, text in zip(json.loads(case["keys"] or "[]"), json.loads(case["names"] or "[]")):
            keys[k] += 1
            spelt.setdefault(k, text)
    order = {k: i for i, k in enumerate(spelt)}
    name = min(keys, key=lambda k: (-keys[k], order[k])) if keys else None
    indicators = Counter(c["indicator"] for c in cases if c["indicator"])
    db["reforms"].upsert(
        {
            "id": reform,
            # The key most cases give, as the first case spelt it; a reform found by practice alone is named by its first title.
            "name": spelt[name] if name else REGION_PREFIX_RE.sub("", first["title"] or "")[:30],
            "key": name,
            "indicator": indicators.most_common(1)[0][0] if indicators else None,
            "first_article": first["id"],
            "first_region": first["region"],
            "first_date": case_date(first),
            "first_week": first["week"],
            "last_date": case_date(cases[-1]),
            "cases": len(cases),
            "regions": len({c["region"] for c in cases if c["region"]}),
            "provinces": len({c["province"] for c in cases if c["province"]}),
        },
        pk="id",
    )
    db["reform_cases"].upsert_all(
        (
            {"article_id": c["id"], "reform": reform, "region": c["region"], "province": c["province"], "date": case_date(c),
             "week": c["week"], "title": c["title"], "url": c["url"]}
            for c in cases
        ),
        pk="article_id",
    )  # fmt: skip


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
    by the end of it: `name`, `new` and `new_regions` (the regions new this week), `regions` and `provinces`
    (reached by the end of the week: a past week's digest counts what was known then), `first_region`, `first_date`."""
    rows = db.query(
        """
        with firsts as (
          select reform, region, min(province) as province, min(week) as week, min(date) as date
          from reform_cases where region is not null and week is not null group by reform, region
        ),
        upto as (
          select reform, count(*) as regions, count(distinct province) as provinces, sum(week = :week) as new,
                 group_concat(case when week = :week then region end, '、') as new_regions
          from (select * from firsts where week <= :week order by reform, date, region)
          group by reform
        )
        select r.id, r.name, r.indicator, r.first_region, r.first_date, u.new, u.new_regions, u.regions, u.provinces
        from upto u join reforms r on r.id = u.reform
        where u.new > 0 and u.regions >= 2
        order by u.new desc, u.provinces desc, r.name
        """,
        {"week": week},
    )
    return list(rows)
