"""Benchmark: the archive in Datasette at scale — search latency, the other canned queries, size per 1,000 cases.

Run: python bench/bench_browse.py [--cases 100000] [--queries 100] [--keep PATH]
A store of `--cases` cases of real length is generated: each case a sample case's title and
region, its body of that case's length made of clauses of the samples and corpus drawn at random
(as bench_backfill.py does, so hardly any two are near duplicates), spread over 104 weeks and the
18 indicators, and written by `store.save_articles` in its batches (the search index included).
Then, on the finished file, through Datasette's own client:
- search: `--queries` queries (domain words, phrases and their Traditional forms, one per
  query) through the canned query `search` and the articles table's search box, each as HTML
  and as JSON, median and p95; Datasette's own table view on the issue's three words, with
  suggested facets off and on, for comparison;
- the `trend`, `this_week`, `review` and `similar` canned queries, best of 5;
- file size per 1,000 cases, and what the search index takes of it;
- "similar cases" on the 79 sample cases: how many of the 5 nearest cases by TF-IDF
  cosine (character 2-grams of the Simplified text, scikit-learn) the FTS query also
  returns in its first 5.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import classify  # noqa: E402
import store  # noqa: E402
from scrapers import Article, collect_inbox  # noqa: E402
from store.browse import datasette_app, load_metadata  # noqa: E402
from store.search import match_query  # noqa: E402
from zhtext import to_simplified  # noqa: E402

SAMPLES = ROOT / "data" / "samples"
QUERIES = [
    "纳税", "納稅", "破产", "破產", "一网通办", "一網通辦", "不动产登记", "不動產登記", "获得电力", "知识产权",
    "跨境贸易", "招标投标", "政府采购", "企业开办", "电子税务局", "办理时间", "压缩", "工作日", "融资", "信用",
    "营商环境", "审批", "注销", "执行合同", "中小投资者", "用水用气", "容缺受理", "最多跑一次", "免申即享", "承诺制",
]


def sample_cases() -> list[dict]:
    """The bundled sample cases (title, body, region, province, city)."""
    result = collect_inbox("samples", SAMPLES, set())
    return [
        {"title": a.title, "body": a.body, "region": a.region, "province": a.province, "city": a.city}
        for a in result.articles
    ]


def generate(cases: list[dict], count: int, seed: int = 15) -> list[Article]:
    """`count` distinct cases of real length: a sample case's title, region and body length,
    the body made of sentences of clauses of the samples and corpus drawn at random.

    Recombining whole sentences of two sample cases (as this bench did first) makes most
    cases near duplicates of one another at this size: the store rightly folds them, and
    writing slows to a crawl comparing each against every stored one.
    """
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_backfill import material

    clauses = material()[0]
    rng = random.Random(seed)
    articles = []
    for n in range(count):
        a, b = rng.choice(cases), rng.choice(cases)
        body: list[str] = []
        while sum(map(len, body)) < len(a["body"]):
            body.append("，".join(rng.sample(clauses, rng.randint(2, 4))) + "。")
        articles.append(
            Article(
                title=f"{a['title']}（{n}）", body="".join(body), url=f"https://example.org/{n}.html", source="bench",
                region=b["region"], province=b["province"], city=b["city"],
            )
        )
    return articles


def weeks(count: int) -> list[str]:
    """`count` ISO weeks ending 2026-W48."""
    out, year, week = [], 2026, 48
    for _ in range(count):
        out.append(f"{year}-W{week:02d}")
        week -= 1
        if week == 0:
            year, week = year - 1, 52
    return out[::-1]


def build(path: Path, count: int) -> dict:
    """Write `count` generated cases into a new store; return timings."""
    db = store.open_db(path)
    store.save_indicators(db, classify.INDICATORS)
    slugs = [i.slug for i in classify.INDICATORS]
    articles = generate(sample_cases(), count)
    all_weeks = weeks(104)
    per_week = -(-count // len(all_weeks))
    started = time.perf_counter()
    ids: list[str] = []
    for w, week in enumerate(all_weeks):
        store.start_run(db, f"run-{week}", week)
        monday = datetime.date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
        ids += store.save_articles(db, articles[w * per_week : (w + 1) * per_week], week, f"{monday}T00:00:00+00:00")
        store.finish_run(db, f"run-{week}", status="ok")
        if w % 10 == 9:
            print(f"build: {len(ids)} cases stored, {time.perf_counter() - started:.0f} s", flush=True)
    write = time.perf_counter() - started
    rng = random.Random(7)
    decisions = {}
    for key in ids:
        primary = rng.choice(slugs + [None])
        scores = {slug: round(rng.random() / 18, 4) for slug in slugs}
        confidence = rng.uniform(0.3, 1.0)
        if primary:
            scores[primary] = confidence
        decisions[key] = {"primary": primary, "confidence": confidence, "secondary": [], "terms": rng.sample(QUERIES, 6), "scores": scores}
    store.save_decisions(db, decisions)
    db.execute("pragma wal_checkpoint(truncate)")
    db.close()
    return {"cases": len(ids), "write_s": round(write, 1), "write_cases_per_s": round(len(ids) / write)}


def sizes(path: Path, count: int) -> dict:
    """File size per 1,000 cases, and the search index's share of it (dbstat)."""
    db = store.open_db(path)
    total = path.stat().st_size
    by_table = dict(db.execute("select name, sum(pgsize) from dbstat group by name").fetchall())
    fts = sum(v for k, v in by_table.items() if k.startswith("articles_fts"))
    text = db.execute("select sum(length(cast(title as blob)) + length(cast(body as blob))) from articles").fetchone()[0]
    return {
        "file_mib": round(total / 2**20, 1),
        "mib_per_1000_cases": round(total / 2**20 / count * 1000, 2),
        "search_index_mib_per_1000": round(fts / 2**20 / count * 1000, 2),
        "title_and_body_text_mib_per_1000": round(text / 2**20 / count * 1000, 2),
    }


async def latency(datasette, urls: list[str]) -> list[float]:
    """Milliseconds per request, one request at a time."""
    times = []
    for url in urls:
        started = time.perf_counter()
        response = await datasette.client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.text[:300])
    return times


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 1),
        "max_ms": round(ordered[-1], 1),
    }


# The issue's words: common enough that Datasette's own table page took seconds on them.
ISSUE_WORDS = ["纳税", "一网通办", "企业开办"]


def query_times(path: Path, count: int) -> dict:
    from urllib.parse import quote

    datasette = datasette_app(path)
    queries = [QUERIES[i % len(QUERIES)] for i in range(count)]
    results: dict = {}
    loop = asyncio.new_event_loop()
    loop.run_until_complete(latency(datasette, ["/casewatch/search.json?q=纳税"]))  # warm the page cache
    searches = {
        "canned query 全文搜索, HTML": "/casewatch/search?q={}",
        "canned query 全文搜索, JSON": "/casewatch/search.json?q={}",
        "search box (table page), HTML": "/casewatch/articles?_search={}",
        "search box (table page), JSON": "/casewatch/articles.json?_search={}",
    }
    for name, url in searches.items():
        results[name] = summary(loop.run_until_complete(latency(datasette, [url.format(quote(q)) for q in queries])))
        print(name, results[name], flush=True)
    # For comparison, in the same run: Datasette's own table view answering the same search (any option
    # casewatch's search view leaves to it sends it there; `_sort_desc` is the default sort anyway), with
    # suggested facets off (casewatch's setting) and on (Datasette's default), on the issue's words.
    for label, settings in (("suggested facets off", {}), ("suggested facets on", {"suggest_facets": True})):
        native = datasette_app(path, **settings)
        for fmt in ("", ".json"):
            urls = [f"/casewatch/articles{fmt}?_search={quote(q)}&_sort_desc=first_seen" for q in ISSUE_WORDS]
            times = loop.run_until_complete(latency(native, urls))
            key = f"Datasette's table view, {'JSON' if fmt else 'HTML'}, {label}"
            results[key] = {q: round(t, 1) for q, t in zip(ISSUE_WORDS, times)}
            print(key, results[key], flush=True)
    db = store.open_db(path)
    some = db.execute("select id from articles where rowid % 997 = 0 limit 5").fetchall()
    hits = {q: db.execute("select count(*) from articles_fts where articles_fts match ?", [match_query(q)]).fetchone()[0] for q in QUERIES}
    results["matches_per_query"] = {"min": min(hits.values()), "median": statistics.median(hits.values()), "max": max(hits.values())}
    results["matches_of_issue_words"] = {q: hits[q] for q in ISSUE_WORDS}
    for name, url in [
        ("trend", "/casewatch/trend.json"),
        ("this_week", "/casewatch/this_week.json?_size=max"),
        ("review", "/casewatch/review.json"),
        ("by_region", "/casewatch/by_region.json"),
        ("similar", f"/casewatch/similar.json?id={some[0][0]}"),
        ("feed_atom", "/casewatch/feed.atom?indicator=taxes"),
    ]:
        best = min(loop.run_until_complete(latency(datasette, [url] * 5)))
        results[f"{name}_ms"] = round(best, 1)
    loop.close()
    return results


def similar_agreement() -> dict:
    """On the sample cases: overlap of the FTS "similar" top 5 with the TF-IDF cosine top 5."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    model = classify.load_model(ROOT / "models" / "indicators.pkl")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "samples.db"
        db = store.open_db(path)
        store.save_indicators(db, classify.INDICATORS)
        store.save_source_result(db, collect_inbox("samples", SAMPLES, set()), "data/samples", "r", "2026-W48")
        rows = list(db.query("select id, title, body from articles order by rowid"))
        decisions = {}
        for row, decision in zip(rows, model.predict_many([(r["title"], r["body"]) for r in rows])):
            d = decision.as_json()
            decisions[row["id"]] = dict(d, confidence=max(d["scores"].values()))
        store.save_decisions(db, decisions)
        texts = [to_simplified(r["title"] + "\n" + r["body"]) for r in rows]
        matrix = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True).fit_transform(texts)
        cosine = (matrix @ matrix.T).toarray()
        np.fill_diagonal(cosine, -1)
        sql = load_metadata()["databases"]["casewatch"]["queries"]["similar"]["sql"]
        datasette = datasette_app(path)
        loop = asyncio.new_event_loop()
        overlaps, random_overlaps = [], []
        rng = random.Random(3)
        for i, row in enumerate(rows):
            truth = {rows[j]["id"] for j in np.argsort(-cosine[i])[:5]}
            response = loop.run_until_complete(datasette.client.get(f"/casewatch/similar.json?id={row['id']}&_shape=array"))
            found = [r["id"] for r in response.json()][:5]
            overlaps.append(len(truth & set(found)))
            random_overlaps.append(len(truth & set(rng.sample([r["id"] for r in rows if r["id"] != row["id"]], 5))))
        loop.close()
        assert sql  # the measured query is the metadata's
    return {
        "cases": len(rows),
        "fts_top5_in_tfidf_top5_mean": round(statistics.mean(overlaps), 2),
        "random_top5_in_tfidf_top5_mean": round(statistics.mean(random_overlaps), 2),
        "cases_with_at_least_one_shared": sum(1 for o in overlaps if o) ,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--keep", type=Path, help="Write the generated store here (and reuse it if it exists).")
    args = parser.parse_args()
    report: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "bench.db"
        if not path.exists():
            report["build"] = build(path, args.cases)
            print("build:", report["build"], flush=True)
        count = store.open_db(path)["articles"].count
        report["size"] = sizes(path, count)
        print("size:", report["size"], flush=True)
        report["queries"] = query_times(path, args.queries)
        print("queries:", report["queries"], flush=True)
    report["similar_vs_tfidf"] = similar_agreement()
    print("similar vs TF-IDF:", report["similar_vs_tfidf"])
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
