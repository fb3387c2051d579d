"""Versioned schema steps, refusing files that are not stores, and the Chinese search index."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
import sqlite_utils

import store
from scrapers import Article, SourceResult
from store import migrations, search

from pathlib import Path

# A store written by main at 59aaf3b, before versioned migrations (tests/fixtures/README.md).
OLD_STORE = Path(__file__).resolve().parent / "fixtures" / "stores" / "main-59aaf3b.db"


def rows_by_table(path) -> dict[str, list[dict]]:
    db = sqlite_utils.Database(path)
    tables = [t for t in db.table_names() if not t.startswith(("articles_fts", "_sqlite"))]
    return {t: [dict(r) for r in db.query(f"select * from [{t}] order by rowid")] for t in tables}


def test_a_store_from_before_migrations_is_upgraded_in_place_with_every_row_kept(tmp_path):
    path = tmp_path / "casewatch.db"
    shutil.copy(OLD_STORE, path)
    before = rows_by_table(path)
    assert migrations.MIGRATIONS.applied(sqlite_utils.Database(path)) == []

    db = store.open_db(path)

    assert [m.name for m in migrations.MIGRATIONS.applied(db)] == [
        "0001_foreign_keys", "0002_search_index", "0003_regions_and_places", "0004_redact_secrets", "0005_reader_deliveries",
        "0006_reform_spread", "0007_fingerprints_v2",
    ]
    assert migrations.schema_version(db) == 7 == db.execute("pragma user_version").fetchone()[0]
    # The deliveries of readers are keyed by reader and week (a key ensure_schema cannot make in place).
    assert db["deliveries"].pks == ["reader", "week"]
    after = rows_by_table(path)
    for table, rows in before.items():
        expected = [{k: v for k, v in row.items() if k != "search_text"} for row in rows]
        # Columns added since (title_key, fingerprint, …) are new; every old value is kept.
        kept = [{k: v for k, v in row.items() if not rows or k in rows[0]} for row in after[table]]
        assert kept == expected, table
    assert len(after["articles"]) == 8 and "search_text" not in db["articles"].columns_dict
    assert db["articles"].get("496d4fd92199ba61")["title_key"] == "铜川市构建税费服务矩阵助推营商环境突破提升"
    assert {fk.column for fk in db["articles"].foreign_keys} == {"source", "indicator", "document"}
    # The upgraded store is searchable in either script and placed on the map.
    assert {r["id"] for r in search.search(db, "納稅")} == {"f2af9ed8d7d6f84c", "9176c1a761eb621a", "496d4fd92199ba61"}
    assert {r["id"] for r in search.search(db, "一网通办")} == {"0b93eb2b5767d9de", "703d2d421cb03a85", "cd47acf845e6160c"}
    place = db.execute("select latitude, longitude from article_places where id = 'cd47acf845e6160c'").fetchone()
    assert place == pytest.approx((30.63, 120.57), abs=0.01)  # 桐乡市, a county-level city
    db.close()

    # Opening it again changes nothing.
    again = store.open_db(path)
    assert migrations.pending(again) == [] and store.schema_gaps(again) == []
    assert rows_by_table(path) == after


def test_a_file_that_is_not_a_store_is_refused_and_left_alone(tmp_path):
    text = tmp_path / "notes.db"
    text.write_text("not a database", encoding="utf-8")
    with pytest.raises(ValueError, match=r"notes.db is not a casewatch store: file is not a database"):
        store.open_db(text)
    assert text.read_text(encoding="utf-8") == "not a database"

    other = tmp_path / "people.db"
    sqlite_utils.Database(other)["people"].insert({"id": 1, "name": "x"}, pk="id")
    with pytest.raises(ValueError, match=r"it has tables \(people\) but none of casewatch's"):
        store.open_db(other)
    assert sqlite_utils.Database(other).table_names() == ["people"]

    clash = tmp_path / "clash.db"
    sqlite_utils.Database(clash)["articles"].insert({"rowid_like": 1})
    with pytest.raises(ValueError, match="its table articles has no column id"):
        store.open_db(clash)


def test_a_store_upgraded_by_a_newer_casewatch_is_refused(tmp_path):
    path = tmp_path / "casewatch.db"
    store.open_db(path).close()
    sqlite_utils.Database(path)["_sqlite_migrations"].insert(
        {"migration_set": "casewatch", "name": "9999_future", "applied_at": "2030-01-01"}
    )
    with pytest.raises(ValueError, match="upgraded by a newer casewatch"):
        store.open_db(path)


def version_1_fingerprint(text: str) -> bytes:
    """The near-duplicate signature as casewatch stored it before version 2 (a blake2b call per shingle)."""
    import hashlib

    import numpy as np

    from scrapers.fingerprint import PERMUTATIONS, normalise

    chars = normalise(text)
    rng = np.random.RandomState(20211108)
    a = rng.randint(1, 1 << 61, PERMUTATIONS, dtype=np.uint64)
    b = rng.randint(0, 1 << 61, PERMUTATIONS, dtype=np.uint64)
    shingles = {chars[i : i + 5] for i in range(max(1, len(chars) - 4))}
    values = np.array([int.from_bytes(hashlib.blake2b(s.encode(), digest_size=4).digest(), "big") for s in shingles], dtype=np.uint64)
    with np.errstate(over="ignore"):
        hashed = (np.multiply.outer(a, values) + b[:, None]) % np.uint64((1 << 61) - 1)
    return (hashed & np.uint64(0xFFFFFFFF)).min(axis=1).astype("<u4").tobytes()


def test_a_case_stored_with_version_1_fingerprints_is_still_found_as_a_near_duplicate(tmp_path):
    import opencc

    from store.dedup import Signatures, body_fingerprint

    path = tmp_path / "casewatch.db"
    db = store.open_db(path)
    body = "某区推行企业开办一日办结改革，申请人通过一网通办平台一次提交全部材料，" * 3 + "为企业节省开办费用共计120万元。"
    store.save_articles(db, [Article(title="某区企业开办一日办结", body=body, url="https://a.example/1", source="a")], "2026-W40", "t0")
    # As a casewatch before version 2 left it: its own signature, and no step 0007.
    db.execute("update articles set fingerprint = ?", [version_1_fingerprint(body)])
    db.execute("delete from _sqlite_migrations where name = '0007_fingerprints_v2'")
    db.conn.commit()
    copy = opencc.OpenCC("s2t").convert(body) + "\n责任编辑：张三"
    copy_value = body_fingerprint(copy)
    assert Signatures.load(db).candidates(copy_value) == []  # an old signature agrees with no new one
    db.close()

    db = store.open_db(path)  # the step recomputes every stored signature
    assert db.execute("select fingerprint from articles").fetchone()[0] == body_fingerprint(body)
    store.save_articles(db, [Article(title="某區企業開辦一日辦結", body=copy, url="https://b.example/2", source="b")], "2026-W41", "t1")
    assert db["articles"].count == 1
    assert [r["source"] for r in db.query("select source from sightings order by id")] == ["a", "b"]


def test_an_older_store_gets_its_foreign_keys_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    old["sources"].insert({"name": "web", "title": "网站"}, pk="name")
    old["runs"].insert({"id": "r1", "week": "2026-W40"}, pk="id")
    old["fetch_errors"].insert({"id": 1, "run": "r1", "source": "web", "error": "timeout"}, pk="id")
    old.close()
    db = store.open_db(path)
    assert {(fk.column, fk.other_table) for fk in db["fetch_errors"].foreign_keys} == {("run", "runs"), ("source", "sources")}
    assert list(db["fetch_errors"].rows) == [{"id": 1, "run": "r1", "source": "web", "error": "timeout", "at": None}]


def test_the_search_index_follows_every_write(tmp_path):
    path = tmp_path / "casewatch.db"
    db = store.open_db(path)
    pages = [Article(title="推行纳税缴费便利化", body="电子税务局全程网上办。", url="https://example.org/1", source="web")]
    store.save_source_result(db, SourceResult("web", "site", articles=pages), "https://example.org/", "r", "2026-W48")
    assert [r["title"] for r in search.search(db, "納稅")] == ["推行纳税缴费便利化"]
    db.close()
    # A row another tool inserted is indexed the next time the store is opened.
    sqlite_utils.Database(path)["articles"].insert({"id": "x1", "title": "破產案件快速審理", "body": "府院联动。"})
    db = store.open_db(path)
    assert [r["id"] for r in search.search(db, "破产")] == ["x1"]
    assert search.search_index_gap(db) == 0


@pytest.mark.parametrize(
    ("query", "expression"),
    [
        ("纳税", '"纳税"'),
        ("納稅", '"纳税"'),
        ("一网通办", '"一网 网通 通办"'),
        ("纳税 一网通办", '"纳税" "一网 网通 通办"'),
        ('"不动产登记"', '"不动 动产 产登 登记"'),
        ("税", '"税" *'),
        ("5G网络", '"5g 网络"'),
        ("AND OR", '""'),
        ("", '""'),
        ('引号"', '"引号"'),
    ],
)
def test_queries_become_bigram_phrases(query, expression):
    assert search.match_query(query) == expression


def test_index_text_holds_bigrams_and_each_runs_last_character():
    assert search.index_text("推行納稅，5G网").split() == ["推行", "行纳", "纳税", "税", "，5G", "网"]
    assert search.index_text("税").split() == ["税"] and search.index_text("") == "" and search.index_text("ab 12") == "ab 12"
    body = Path("data/samples").glob("*.txt").__next__().read_text(encoding="utf-8")
    runs = search._RUN_RE.split(search.to_simplified(body))  # the index's definition, spelled out
    assert search.index_text(body) == " ".join(
        run if i % 2 == 0 else " ".join([run[j : j + 2] for j in range(len(run) - 1)] + [run[-1]]) for i, run in enumerate(runs)
    )
    with sqlite3.connect(":memory:") as conn:
        conn.execute("create virtual table t using fts5(x)")
        conn.execute("insert into t values (?)", [search.index_text("全面推行“一网通办”改革")])
        for query in ("一网通办", "通办", "办", "改革", "推行"):
            assert conn.execute("select count(*) from t where t match ?", [search.match_query(query)]).fetchone() == (1,), query
        assert conn.execute("select count(*) from t where t match ?", [search.match_query("网办")]).fetchone() == (0,)
