"""The store as Datasette shows it (`casewatch browse`): facets, labels, search, canned queries, map, feed."""

from __future__ import annotations

import asyncio
import shutil
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

import classify
import store
from casewatch.cli import cli
from scrapers import Article, SourceResult, collect_inbox
from store.browse import datasette_app
from zhtext import to_simplified

ATOM = "{http://www.w3.org/2005/Atom}"


def decide(article: dict) -> dict:
    """A stand-in for the model: taxes for 纳税, property for 不动产, else unclassified with low scores."""
    text = to_simplified(article["title"] + article["body"])
    scores = {i.slug: 0.01 for i in classify.INDICATORS}
    if "纳税" in text:
        primary, confidence = "taxes", 0.95
    elif "不动产" in text:
        primary, confidence = "property_registration", 0.55  # below 0.60: to review
    else:
        primary, confidence = None, 0.3
        scores.update(government_services=0.3, starting_business=0.2, credit=0.1)
    if primary:
        scores[primary] = confidence
    return {"primary": primary, "confidence": confidence, "secondary": [], "terms": ["纳税人", "税费"] if primary == "taxes" else [], "scores": scores}


@pytest.fixture(scope="module")
def archive(tmp_path_factory, samples_dir):
    """A store of the bundled samples (any file name will do), classified by `decide`, with a failed source."""
    path = tmp_path_factory.mktemp("browse") / "archive-2026.db"
    db = store.open_db(path)
    store.save_indicators(db, classify.INDICATORS)
    store.start_run(db, "r1", "2026-W47")
    store.save_source_result(db, collect_inbox("samples", samples_dir, set()), "data/samples", "r1", "2026-W47")
    store.finish_run(db, "r1", status="ok")
    # The next week: one case reported again in Traditional, a scraped page with markup, a failing source.
    store.start_run(db, "r2", "2026-W48")
    again = Article(title="銅川市構建稅費服務矩陣助推營商環境突破提升", body="另一來源的轉載：便利納稅人繳費。", url="https://example.org/a", source="web")
    hostile = Article(
        title="<script>alert('t')</script>标题", body="第一段<script>alert(1)</script>\n第二段",
        url="javascript:alert(2)", source="web",
    )
    store.save_source_result(db, SourceResult("web", "site", articles=[again, hostile]), "https://example.org/", "r2", "2026-W48")
    store.save_source_result(db, SourceResult("gone", "site", errors=["HTTP 503"]), "https://gone.example/", "r2", "2026-W48")
    store.finish_run(db, "r2", status="partial")
    rows = list(db.query("select id, title, body from articles"))
    store.save_decisions(db, {row["id"]: decide(row) for row in rows})
    db.close()
    return path


def get(path, url: str, **params):
    async def fetch():
        return await datasette_app(path).client.get(url, params=params or None)

    response = asyncio.run(fetch())
    assert response.status_code == 200, (url, response.text[:500])
    return response


def rows(path, url: str, **params) -> list[dict]:
    return get(path, url, _shape="array", **params).json()


def articles_with(path, word: str) -> list[dict]:
    db = store.open_db(path)
    return [r for r in db["articles"].rows if word in to_simplified(r["title"] + "\n" + r["body"])]


def titles_with(path, word: str) -> set[str]:
    return {r["title"] for r in articles_with(path, word)}


def test_the_database_page_lists_the_tables_and_the_analysts_queries(archive):
    page = get(archive, "/casewatch").text
    for name in ("articles", "article_places", "indicators", "全文搜索", "本周案例（按指标）", "近 12 周趋势", "待复核", "相似案例"):
        assert name in page, name
    assert "articles_fts" not in page and "_sqlite_migrations" not in page


def test_articles_have_facets_and_chinese_indicator_labels(archive):
    data = get(archive, "/casewatch/articles.json", _labels="on", _shape="objects", indicator="taxes").json()
    assert data["rows"][0]["indicator"] == {"value": "taxes", "label": "纳税"}
    facets = data["facet_results"]
    assert list(facets) == ["indicator", "region", "source", "week"]
    weeks = get(archive, "/casewatch/articles.json", _size="0").json()["facet_results"]["week"]["results"]
    assert [(w["value"], w["count"]) for w in weeks] == [("2026-W47", 79), ("2026-W48", 2)]


@pytest.mark.parametrize("query", ["纳税", "納稅", "一网通办"])
def test_search_box_and_canned_query_find_words_and_phrases_in_either_script(archive, query):
    expected = titles_with(archive, to_simplified(query))
    assert len(expected) >= 5
    box = {r["title"] for r in rows(archive, "/casewatch/articles.json", _search=query, _size="max")}
    canned = {r["标题"] for r in rows(archive, "/casewatch/search.json", q=query)}
    assert box == canned == expected
    if query != "一网通办":
        assert "銅川市構建稅費服務矩陣助推營商環境突破提升" in box  # a Traditional case
    assert "search matches" in get(archive, "/casewatch/articles", _search=query).text


def test_suggested_facets_are_off_and_the_table_keeps_its_four_facets(archive):
    data = get(archive, "/casewatch/articles.json").json()
    assert data["suggested_facets"] == []
    assert list(data["facet_results"]) == ["indicator", "region", "source", "week"]


def exact(path, query: str, **params) -> dict:
    """Datasette's own table page for a search (an option casewatch's search view leaves to it: `_sort_desc`)."""
    return get(path, "/casewatch/articles.json", _search=query, _sort_desc="first_seen", _size="max", _shape="objects", **params).json()


@pytest.mark.parametrize("query", ["纳税", "一网通办"])
def test_the_search_box_lists_the_newest_matches_with_the_count_and_the_four_facets(archive, query):
    mine = get(archive, "/casewatch/articles.json", _search=query, _size="max").json()
    theirs = exact(archive, query)
    assert mine["count"] == theirs["filtered_table_rows_count"] == len(theirs["rows"]) and not mine["count_truncated"]
    matches = {r["id"] for r in theirs["rows"]}
    newest_first = [key for (key,) in store.open_db(archive).execute("select id from articles order by rowid desc") if key in matches]
    assert [r["id"] for r in mine["rows"]] == newest_first
    assert mine["facets_of"] == mine["count"]  # under FACET_SAMPLE matches: the facets are exact
    assert list(mine["facet_results"]) == ["indicator", "region", "source", "week"]
    for name, facet in mine["facet_results"].items():
        expected = {(v["value"], v["count"]) for v in theirs["facet_results"][name]["results"]}
        assert {(v["value"], v["count"]) for v in facet["results"]} == expected, name
    labels = {v["value"]: v["label"] for v in mine["facet_results"]["indicator"]["results"]}
    assert labels.get("taxes") == "纳税"
    page = get(archive, "/casewatch/articles", _search=query).text
    assert f'{mine["count"]} rows where search matches' in page and 'id="facet-indicator"' in page


def test_the_search_box_pages_through_every_match_without_repeating_one(archive):
    seen, url, params = [], "/casewatch/articles.json", {"_search": "纳税", "_size": "2"}
    while url:
        data = get(archive, url, **params).json()
        seen += [r["id"] for r in data["rows"]]
        url, params = data["next_url"], {}
    assert len(seen) == len(set(seen)) == get(archive, "/casewatch/articles.json", _search="纳税").json()["count"]


def test_a_search_counts_up_to_the_cap_and_facets_the_newest_matches(archive, monkeypatch):
    import store.browse as browse

    monkeypatch.setattr(browse, "COUNT_CAP", 3)
    monkeypatch.setattr(browse, "FACET_SAMPLE", 4)
    monkeypatch.setattr(browse, "FACETS_SQL", browse.FACETS_SQL.replace("limit 1000)", "limit 4)"))
    data = get(archive, "/casewatch/articles.json", _search="纳税", _size="max").json()
    assert data["count"] == 3 and data["count_truncated"] and len(data["rows"]) > 4
    assert data["facets_of"] == 4
    newest = data["rows"][:4]
    assert {(v["value"], v["count"]) for v in data["facet_results"]["week"]["results"]} == {
        (w, sum(r["week"] == w for r in newest)) for w in {r["week"] for r in newest}
    }
    assert "3+ rows where search matches" in get(archive, "/casewatch/articles", _search="纳税").text


def test_a_facet_value_of_the_search_leads_to_datasettes_exact_page(archive):
    facet = get(archive, "/casewatch/articles.json", _search="纳税").json()["facet_results"]["indicator"]["results"][0]
    assert facet["toggle_url"].startswith("/casewatch/articles?")
    response = get(archive, facet["toggle_url"].replace("/articles?", "/articles.json?", 1) + "&_shape=objects")
    data = response.json()
    assert data["filtered_table_rows_count"] == facet["count"]  # Datasette's own answer, exact
    assert {r["indicator"] for r in data["rows"]} == {facet["value"]}


def test_the_search_query_shows_where_the_word_occurs_and_nothing_for_an_empty_query(archive):
    found = rows(archive, "/casewatch/search.json", q="一网通办")
    assert all("一网通办" in to_simplified(r["摘录"]) for r in found)
    assert rows(archive, "/casewatch/search.json", q="") == []


def test_this_weeks_cases_by_indicator(archive):
    latest = rows(archive, "/casewatch/this_week.json")
    assert [(r["指标"], r["本指标案例数"], r["标题"]) for r in latest] == [
        ("13. 纳税", 1, "銅川市構建稅費服務矩陣助推營商環境突破提升"),
        ("未能归类", 1, "<script>alert('t')</script>标题"),
    ]
    earlier = rows(archive, "/casewatch/this_week.json", week="2026-W47", _size="max")
    assert len(earlier) == 79 and earlier[0]["指标"] == "8. 登记财产"
    assert earlier[-1]["指标"] == "未能归类"


def test_the_trend_counts_cases_per_indicator_per_week(archive):
    trend = {r["指标"]: r for r in rows(archive, "/casewatch/trend.json")}
    assert len(trend) == 19
    taxes = articles_with(archive, "纳税")
    assert trend["纳税"]["每周案例数"] == f"{len(taxes) - 1} 1" and trend["纳税"]["合计"] == len(taxes)
    assert (trend["纳税"]["自"], trend["纳税"]["至"]) == ("2026-W47", "2026-W48")
    assert trend["获得电力"]["近12周"] == "··"
    long = rows(archive, "/casewatch/trend_weekly.json", _size="max")
    assert sum(r["案例数"] for r in long) == 81


def test_cases_by_province_and_city_and_on_the_map(archive):
    regions = rows(archive, "/casewatch/by_region.json", _size="max")
    assert sum(r["案例数"] for r in regions) == 81
    assert {"省份": "陕西省", "城市": "西安市"}.items() <= regions[0].items()
    places = rows(archive, "/casewatch/article_places.json", _size="max")
    placed = [p for p in places if p["latitude"] is not None]
    assert len(placed) >= 70 and all(18 < p["latitude"] < 54 and 73 < p["longitude"] < 135 for p in placed)
    page = get(archive, "/casewatch/article_places").text
    assert "datasette-cluster-map" in page


def test_the_review_list_shows_the_top_three_guesses(archive):
    review = rows(archive, "/casewatch/review.json", _size="max")
    unclassified = [r for r in review if r["模型判断"] == "未能归类"]
    assert unclassified and unclassified[0]["前三猜测"] == "政务服务 0.30；企业开办 0.20；获得信贷 0.10"
    assert {r["模型判断"] for r in review} == {"未能归类", "登记财产"}


def test_a_case_reported_again_is_listed_as_also_reported(archive):
    [group] = rows(archive, "/casewatch/also_reported.json")
    assert group["报道次数"] == 2 and (group["首见周"], group["最近周"]) == ("2026-W47", "2026-W48")
    assert set(group["来源"].split(",")) == {"samples", "web"}


def test_a_case_seen_at_two_addresses_is_listed_as_also_reported(archive, tmp_path):
    # A near duplicate is stored once, with a sighting per place it was seen.
    path = tmp_path / "copy.db"
    shutil.copy(archive, path)
    db = store.open_db(path)
    case = db.execute("select id, title, url from articles where source = 'samples' order by id limit 1").fetchone()
    with store.transaction(db):
        db["sightings"].insert({"article_id": case[0], "url": "https://mirror.example.cn/a.html", "source": "web",
                                "seen_at": "2026-11-24T00:00:00+00:00", "key": "k-mirror"})
    db.close()
    groups = {g["标题"]: g for g in rows(path, "/casewatch/also_reported.json")}
    assert len(groups) == 2 and groups[case[1]]["报道次数"] == 2
    assert set(groups[case[1]]["来源"].split(",")) == {"samples", "web"}


def test_the_latest_runs_failed_sources(archive):
    assert [(r["来源"], r["错误"], r["运行"]) for r in rows(archive, "/casewatch/failed_sources.json")] == [("gone", "HTTP 503", "r2")]


def test_similar_cases_share_the_cases_terms(archive):
    db = store.open_db(archive)
    case = db.execute("select id from articles where title = '銅川市構建稅費服務矩陣助推營商環境突破提升' and week = '2026-W47'").fetchone()[0]
    similar = rows(archive, "/casewatch/similar.json", id=case)
    assert similar and case not in {r["id"] for r in similar}
    assert similar[0]["指标"] == "纳税"
    texts = {r["id"]: to_simplified(r["title"] + r["body"]) for r in db["articles"].rows}
    assert all("纳税人" in texts[r["id"]] or "税费" in texts[r["id"]] for r in similar)  # the case's terms
    assert rows(archive, "/casewatch/similar.json", id="") == []


def test_an_atom_feed_of_new_cases_per_indicator(archive):
    feed = ET.fromstring(get(archive, "/casewatch/feed.atom", indicator="taxes").content)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == len(articles_with(archive, "纳税"))
    assert all("纳税" in e.find(f"{ATOM}content").text.split("\n")[0].split(" · ") for e in entries)
    assert entries[0].find(f"{ATOM}link").get("href") == "https://example.org/a"  # newest first
    everything = ET.fromstring(get(archive, "/casewatch/feed.atom").content)
    assert len(everything.findall(f"{ATOM}entry")) == 50


def test_scraped_markup_is_shown_as_text_and_bodies_keep_their_line_breaks(archive):
    db = store.open_db(archive)
    key = db.execute("select id from articles where url = 'javascript:alert(2)'").fetchone()[0]
    page = get(archive, f"/casewatch/articles/{key}").text
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;script&gt;alert(&#39;t&#39;)" in page
    assert 'href="javascript:' not in page and "javascript:alert(2)" in page
    assert '<div class="casewatch-body" style="white-space: pre-wrap">第一段' in page
    listing = get(archive, "/casewatch/articles", _search="第二段").text
    assert "<script>alert(" not in listing and "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;标题" in listing


def test_browse_refuses_a_file_that_is_not_a_store(tmp_path):
    other = tmp_path / "notes.db"
    other.write_text("hello", encoding="utf-8")
    result = CliRunner().invoke(cli, ["browse", "--db", str(other)])
    assert result.exit_code == 1
    assert "is not a casewatch store" in result.output


def test_canned_queries_in_the_metadata_are_all_tested():
    from store.browse import load_metadata

    queries = set(load_metadata()["databases"]["casewatch"]["queries"])
    tested = {"search", "this_week", "trend", "trend_weekly", "by_region", "review", "also_reported", "failed_sources", "similar", "feed", "non_cases",
              "reform_timeline", "reforms_spreading", "reform_map"}  # non_cases: tests/test_relevance.py; reform_*: tests/test_reforms.py
    assert queries == tested
    assert json.dumps(load_metadata(), ensure_ascii=False)  # plain data


def test_browse_serves_an_older_store_under_the_name_casewatch(tmp_path, monkeypatch):
    import shutil

    import store.browse

    path = tmp_path / "whatever-name.db"
    shutil.copy(Path(__file__).parent / "fixtures" / "stores" / "main-59aaf3b.db", path)
    served = {}
    monkeypatch.setattr(store.browse, "serve", lambda datasette, host, port: served.update(datasette=datasette, port=port))
    result = CliRunner().invoke(cli, ["browse", "--db", str(path), "--port", "8765"])
    assert result.exit_code == 0, result.output
    assert result.output == f"serving {path} at http://127.0.0.1:8765/casewatch (Ctrl-C stops)\nstopped\n"

    async def search():
        response = await served["datasette"].client.get("/casewatch/search.json", params={"q": "納稅", "_shape": "array"})
        return {row["id"] for row in response.json()}

    assert asyncio.run(search()) == {"f2af9ed8d7d6f84c", "9176c1a761eb621a", "496d4fd92199ba61"}
    assert served["port"] == 8765


@pytest.mark.parametrize("url", ["/casewatch/search?q=纳税", "/casewatch/this_week", "/casewatch/articles", "/casewatch"])
def test_a_post_is_refused_with_405_not_a_server_error(archive, url):
    async def post():
        return await datasette_app(archive).client.post(url, data={"q": "纳税"})

    response = asyncio.run(post())
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD, OPTIONS"
    get(archive, "/casewatch/search.json", q="纳税")  # reading still works (get asserts 200)
