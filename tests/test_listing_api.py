"""Listings a script loads from an endpoint, read from it: Hanweb's dataproxy.jsp groups, JSON APIs (GET and POST).

Real column pages and endpoint answers (tests/fixtures/endpoints/README.md says where each
comes from) are served on 127.0.0.1; the articles they lead to are real pages of the corpus.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sites import FixtureServer, Reply, Request

from casewatch import pipeline
from casewatch.cli import cli
from casewatch.config import ConfigError, load_config
from scrapers.http import Session
from scrapers.listing_api import Endpoint, EndpointError, endpoint_on_page, parse_endpoint_page
from scrapers.site import collect_site

ENDPOINTS = Path(__file__).parent / "fixtures" / "endpoints"
PAGES = Path(__file__).parent / "fixtures" / "real" / "pages"
UNTIL = date(2026, 12, 31)
COLUMN = "/col/col103585/index.html"
PROXY = "/module/web/jpage/dataproxy.jsp"
# Real Hanweb article pages of the corpus, served at every /art/ URL the groups list.
ARTICLE_PAGES = ["mltjyt.zj.gov.cn", "djjiangsu.gov.cn", "ycrjinan.gov.cn"]


def fast_session(**options) -> Session:
    """A session that does not wait: tests never assert on wall-clock time."""
    return Session(rate=1000.0, sleep=lambda s: None, **options)


def endpoint_file(name: str, root: str = "") -> bytes:
    """A saved page or answer, its real host moved onto the local server."""
    text = (ENDPOINTS / name).read_text(encoding="utf-8")
    return text.replace("http://kjt.shandong.gov.cn", root).encode("utf-8")


def article(request: Request) -> Reply:
    """The real article page of a URL of the corpus, else one of them picked by the URL."""
    own = {"art_1543973_58942886": "mltjyt.zj.gov.cn", "art_60085_11394426": "djjiangsu.gov.cn", "art_1861_4982441": "ycrjinan.gov.cn"}
    site = next((page for key, page in own.items() if key in request.path), None)
    site = site or ARTICLE_PAGES[sum(map(ord, request.path)) % len(ARTICLE_PAGES)]
    return Reply((PAGES / f"{site}.html").read_bytes())


def hanweb_routes(server_root: str, groups: list[str]) -> dict:
    """The kjt column page, and dataproxy.jsp answering each POST with the next of `groups` (then the last)."""
    answers = list(groups)

    def proxy(request: Request) -> Reply:
        name = answers.pop(0) if len(answers) > 1 else answers[0]
        return Reply(endpoint_file(name, server_root), content_type="text/xml;charset=UTF-8")

    routes = {COLUMN: Reply(endpoint_file("hanweb-kjt-col103585.html", server_root)), PROXY: proxy}
    return routes


def serve(routes_of) -> FixtureServer:
    server = FixtureServer({})
    server.routes.update(routes_of(server.root))
    server.routes.update({path: article for path in ARTICLE_PATHS})
    return server


ARTICLE_PATHS = [
    "/art/2026/9/4/art_103585_10328790.html", "/art/2026/8/21/art_103585_10327410.html",
    "/art/2024/10/21/art_1543973_58942886.html", "/art/2024/10/14/art_60085_11394426.html",
    "/art/2024/6/19/art_1861_4982441.html", "/art/2026/9/11/art_33718_11828204.html",
    "/art/2025/12/15/art_33718_11693505.html",
]  # fmt: skip


# --- parsers, on the saved answers ----------------------------------------------------


def test_the_hanweb_page_names_its_dataproxy_endpoint_and_the_records_it_embeds():
    html = endpoint_file("hanweb-kjt-col103585.html", "http://kjt.shandong.gov.cn").decode()
    found = endpoint_on_page(html, "http://kjt.shandong.gov.cn" + COLUMN)
    assert (found.kind, found.method, found.origin) == ("hanweb", "POST", "page")
    assert found.url == "http://kjt.shandong.gov.cn" + PROXY
    assert found.params == {"webid": "73", "columnid": "103585", "unitid": "764752", "col": "1", "appid": "1"}
    assert found.skip == 2  # the embedded group: the endpoint is asked from record 3 on
    url, method, form = found.request(0)
    assert (url, method) == ("http://kjt.shandong.gov.cn" + PROXY + "?startrecord=3&endrecord=47&perpage=15", "POST")
    assert form["columnid"] == "103585"
    assert found.request(1)[0].endswith("?startrecord=48&endrecord=92&perpage=15")


def test_a_govcn_search_answer_gives_titles_links_and_dates_without_telling_it_where_they_are():
    endpoint = Endpoint("https://sousuo.www.gov.cn/search-gov/data", page_param="p")
    page = parse_endpoint_page(endpoint_file("govcn-search-p1.json").decode(), endpoint, "https://sousuo.www.gov.cn/", UNTIL)
    assert [(link.title, link.url, link.date) for link in page.links][0] == (
        "国务院办公厅关于2026年部分节假日安排的通知",  # the <em> of the search highlight is gone
        "https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm",
        "2025-11-04",  # pubtimeStr "2025.11.04"
    )
    assert len(page.links) == 2 and page.total_records == 3


def test_an_answer_of_metadata_only_gets_its_links_from_a_template():
    endpoint = Endpoint("https://www.jinan.gov.cn/do-search", "POST", items="data.bean.results",
                        link="https://www.jinan.gov.cn/detail?iid={infoid}", date="publishdate")  # fmt: skip
    page = parse_endpoint_page(endpoint_file("jinan-wjk-p1.json").decode(), endpoint, "https://www.jinan.gov.cn/", UNTIL)
    assert [(link.url, link.date) for link in page.links] == [
        ("https://www.jinan.gov.cn/detail?iid=425296cff1094b02a69e01b82e92c051", "2026-09-09")
    ]
    assert page.links[0].title.startswith("济南市工业和信息化局关于组织开展")


def test_json_that_wraps_an_html_list_is_read_as_a_listing_page():
    # jpaas `build/unit` (samr, miit, mohurd) answers {"data": {"html": "<ul>…"}}; the list's
    # markup here follows samr's (li.nav04Left02_content, a date beside each link), written for the test
    answer = json.dumps({"success": True, "data": {"html": (
        '<ul><li class="nav04Left02_content"><a href="/zw/zh/art/2024/art_1.html" target="_blank">市场监管总局关于发布召回公告的通知</a>'
        '<span class="nav04Left02_contenttime">2024-03-05</span></li>'
        '<li class="nav04Left02_content"><a href="/zw/zh/art/2024/art_2.html" target="_blank">市场监管总局召回公告第二条</a>'
        '<span class="nav04Left02_contenttime">2024-02-28</span></li></ul>')}}, ensure_ascii=False)  # fmt: skip
    endpoint = Endpoint("https://www.samr.gov.cn/api-gateway/jpaas-publish-server/front/page/build/unit",
                        params={"paramJson": '{"pageNo":{page},"pageSize":20}'})  # fmt: skip
    page = parse_endpoint_page(answer, endpoint, "https://www.samr.gov.cn/zw/zh/index.html", UNTIL)
    assert [(link.url, link.date) for link in page.links] == [
        ("https://www.samr.gov.cn/zw/zh/art/2024/art_1.html", "2024-03-05"),
        ("https://www.samr.gov.cn/zw/zh/art/2024/art_2.html", "2024-02-28"),
    ]
    # the page number goes inside the JSON parameter
    assert endpoint.pages and endpoint.request(1)[0].endswith("paramJson=%7B%22pageNo%22%3A2%2C%22pageSize%22%3A20%7D")


def test_an_html_page_where_json_was_expected_is_an_error_that_says_so():
    with pytest.raises(EndpointError, match="answered an HTML page, not JSON"):
        parse_endpoint_page((PAGES / "ycrjinan.gov.cn.html").read_text("utf-8", "replace"), Endpoint("http://x/api"), "http://x/")


# --- whole columns over HTTP -------------------------------------------------------------


def test_hanweb_nextgroup_without_total_is_read_group_by_group_until_an_empty_one():
    server = serve(lambda root: hanweb_routes(root, ["hanweb-group-2.xml", "hanweb-group-3.xml", "hanweb-group-empty.xml"]))
    with server:
        source = {"name": "kjt", "url": server.url(COLUMN), "max_pages": 10}
        result = collect_site(source, fast_session(), set(), until=UNTIL)
        posts = [r for r in server.requests if r.method == "POST"]
    assert result.errors == []
    # three POSTs: two groups with records, then the empty group that ends the column
    assert [r.path for r in posts] == [
        PROXY + "?startrecord=3&endrecord=47&perpage=15",
        PROXY + "?startrecord=48&endrecord=92&perpage=15",
        PROXY + "?startrecord=93&endrecord=137&perpage=15",
    ]
    assert all(r.form["columnid"] == "103585" and r.form["unitid"] == "764752" for r in posts)
    assert result.endpoint.stopped == "an empty page"
    # the 2 embedded records and the 5 of the groups are the links; each article was read
    assert result.links_found == result.new_links == 7 and result.pages_fetched == 3
    assert sorted(a.url.replace(server.root, "") for a in result.articles) == sorted(ARTICLE_PATHS)


def test_a_group_that_repeats_the_one_before_ends_the_paging():
    # an endpoint that ignores startrecord answers group 2 again and again
    server = serve(lambda root: hanweb_routes(root, ["hanweb-group-2.xml"]))
    with server:
        result = collect_site({"name": "kjt", "url": server.url(COLUMN), "max_pages": 10}, fast_session(), set(), until=UNTIL)
    assert len([r for r in server.requests if r.method == "POST"]) == 2
    assert result.endpoint.stopped == "a page that repeats the ones before"
    assert result.new_links == 5 and result.errors == []


def test_paging_stops_at_max_pages_and_at_a_page_of_known_articles():
    server = serve(lambda root: hanweb_routes(root, ["hanweb-group-2.xml", "hanweb-group-3.xml", "hanweb-group-empty.xml"]))
    with server:
        limited = collect_site({"name": "kjt", "url": server.url(COLUMN), "max_pages": 2}, fast_session(), set(), until=UNTIL)
        known = {server.url(path) for path in ARTICLE_PATHS[:5]}  # page 1 and group 2 were read last week
        caught_up = collect_site({"name": "kjt", "url": server.url(COLUMN), "max_pages": 10}, fast_session(), known, until=UNTIL)
    assert limited.pages_fetched == 2 and limited.endpoint.stopped == "max_pages (1)" and limited.new_links == 5
    # page 1 holds only known articles: the endpoint is not asked at all
    assert caught_up.new_links == 0 and caught_up.endpoint is None


def govcn_routes(root: str) -> dict:
    def search(request: Request) -> Reply:
        page = dict(p.split("=", 1) for p in request.path.split("?", 1)[1].split("&"))["p"]
        body = endpoint_file(f"govcn-search-p{page}.json").decode().replace("https://www.gov.cn", root)
        return Reply(body.encode(), content_type="application/json;charset=UTF-8")

    return {"/search-gov/data": search, "/zhengce/zhengceku/": Reply(b"<html><body><div id='app'></div></body></html>")}


def test_a_configured_get_api_pages_by_its_page_parameter_until_the_stated_total():
    server = FixtureServer({})
    server.routes.update(govcn_routes(server.root))
    server.routes.update({p: article for p in ("/zhengce/zhengceku/202511/content_7047091.htm",
                                               "/zhengce/zhengceku/202511/content_7047090.htm",
                                               "/zhengce/zhengceku/202510/content_7046001.htm")})  # fmt: skip
    with server:
        source = {
            "name": "gov-policy", "url": server.url("/zhengce/zhengceku/"),
            "api_url": server.url("/search-gov/data"),
            "api_params": {"t": "zhengcelibrary_gw", "q": "", "sort": "pubtime", "sortType": "1", "n": "2"},
            "api_page_param": "p",
        }  # fmt: skip
        result = collect_site(source, fast_session(), set(), until=UNTIL)
        gets = [r.path for r in server.requests if r.path.startswith("/search-gov/")]
    assert gets == [
        "/search-gov/data?t=zhengcelibrary_gw&q=&sort=pubtime&sortType=1&n=2&p=1",
        "/search-gov/data?t=zhengcelibrary_gw&q=&sort=pubtime&sortType=1&n=2&p=2",
    ]
    assert result.endpoint.stopped == "all 3 records"  # totalCount 3: no third request
    assert "/zhengce/zhengceku/" not in server.paths()  # with api_url the column page itself is not needed
    assert [a.url.replace(server.root, "") for a in result.articles][0] == "/zhengce/zhengceku/202511/content_7047091.htm"
    assert len(result.articles) == 3 and result.errors == []


def jinan_routes(root: str) -> dict:
    def search(request: Request) -> Reply:
        name = {"1": "jinan-wjk-p1.json", "2": "jinan-wjk-p2.json"}.get(request.form.get("pageNum"), "jinan-wjk-empty.json")
        return Reply(endpoint_file(name), content_type="application/json")

    return {"/jpaas-jpolicy-web-server/front/info/do-search": search, "/api-gateway/detail": article}


def test_a_configured_post_api_sends_its_form_and_stops_at_an_empty_page():
    server = FixtureServer({})
    server.routes.update(jinan_routes(server.root))
    with server:
        source = {
            "name": "jinan-wjk", "url": server.url("/col/col4/index.html"),
            "api_url": server.url("/jpaas-jpolicy-web-server/front/info/do-search"), "api_method": "POST",
            "api_params": {"pageSize": "1", "infoType": "1"}, "api_page_param": "pageNum",
            "api_items": "data.bean.results", "api_link": server.url("/api-gateway/detail?iid={infoid}"),
        }  # fmt: skip
        result = collect_site(source, fast_session(), set(), until=UNTIL)
        posts = [r for r in server.requests if r.method == "POST"]
    assert [r.form for r in posts] == [{"pageSize": "1", "infoType": "1", "pageNum": str(n)} for n in (1, 2, 3)]
    assert result.endpoint.stopped == "an empty page"
    assert [a.url.replace(server.root, "") for a in result.articles] == [
        "/api-gateway/detail?iid=425296cff1094b02a69e01b82e92c051",
        "/api-gateway/detail?iid=9d186c7ab8034382abcd230e054573fb",
    ]
    assert result.errors == []


def avalon_routes(root: str) -> dict:
    def answer(request: Request) -> Reply:
        name = {"1": "avalon-list-p1.json", "2": "avalon-list-p2.json"}[request.form["pageNo"]]
        return Reply(endpoint_file(name), content_type="application/json")

    return {"/zcwj/index.html": Reply(endpoint_file("avalon-column.html")), "/api/content/list": answer}


def test_an_avalon_page_s_post_call_is_found_and_paged_until_the_stated_last_page():
    server = serve(avalon_routes)
    with server:
        result = collect_site({"name": "zcwj", "url": server.url("/zcwj/index.html")}, fast_session(), set(), until=UNTIL)
        posts = [r for r in server.requests if r.method == "POST"]
    endpoint = result.endpoint.endpoint
    assert (endpoint.url, endpoint.method, endpoint.origin, endpoint.page_param) == (server.url("/api/content/list"), "POST", "page", "pageNo")
    # the call's literal data is the form; the page number advances in it
    assert [r.form for r in posts] == [{"columnId": "1547", "pageNo": str(n), "pageSize": "2"} for n in (1, 2)]
    assert result.endpoint.stopped == "the last page (2 pages)"
    assert [(a.title, a.published) for a in result.articles] == [
        ("全省教育系统师德师风建设专题培训班举办", "2024-10-21"),
        ("“奋进新征程——庆祝中华人民共和国成立75周年江苏省美术书法展”开幕", "2024-10-14"),
        ("全市城市更新和乡村振兴现场推进会到高新区历下区考察", "2024-06-19"),
    ]
    # the answer's dates: text, and epoch milliseconds (1728871200000 is 2024-10-14 10:00 in Shanghai)
    answer = endpoint_file("avalon-list-p1.json").decode()
    assert [link.date for link in parse_endpoint_page(answer, endpoint, server.root, UNTIL).links] == ["2024-10-21", "2024-10-14"]
    assert result.errors == []


def test_a_broken_endpoint_is_the_source_s_recorded_failure_and_the_run_goes_on(tmp_path):
    server = FixtureServer({})
    server.routes.update(jinan_routes(server.root))
    # the endpoint answers its site's HTML error page instead of JSON
    server.routes["/api/broken"] = Reply((PAGES / "ycrjinan.gov.cn.html").read_bytes())
    with server:
        session = fast_session()
        broken = {"name": "broken", "kind": "site", "url": server.url("/col/col1/index.html"), "api_url": server.url("/api/broken")}
        good = {
            "name": "jinan-wjk", "kind": "site", "url": server.url("/col/col4/index.html"),
            "api_url": server.url("/jpaas-jpolicy-web-server/front/info/do-search"), "api_method": "POST",
            "api_page_param": "pageNum", "api_items": "data.bean.results", "api_link": server.url("/api-gateway/detail?iid={infoid}"),
        }  # fmt: skip
        first = pipeline.collect_web(broken, session, set())
        second = pipeline.collect_web(good, session, set())
    assert first.status == "failed"
    assert first.errors == [f"listing endpoint {server.url('/api/broken')}: answered an HTML page, not JSON"]
    # the request is in the fetch log, marked as an answer that could not be read
    assert [(e["url"], e["outcome"]) for e in first.fetch_log if "/api/" in e["url"]] == [(server.url("/api/broken"), "unreadable")]
    assert second.status == "ok" and len(second.articles) == 2


def test_a_page_that_only_says_a_script_loads_its_list_is_reported_with_the_way_out():
    page = b"<html><body><div ms-controller='list'><ul><li ms-for='el in @list'>{{el.title}}</li></ul></div></body></html>"
    with FixtureServer({"/col/index.html": Reply(page)}) as server:
        result = collect_site({"name": "x", "url": server.url("/col/index.html")}, fast_session(), set(), until=UNTIL)
    assert any("listing loaded by script; set `api_url`" in e for e in result.errors)


# --- configuration and check-source ---------------------------------------------------------


def test_endpoint_settings_are_checked_with_the_other_keys_of_a_site(tmp_path):
    config = tmp_path / "casewatch.toml"
    base = '[[sources]]\nname = "a"\nkind = "site"\nurl = "https://x.gov.cn/col/index.html"\n'
    config.write_text(base + 'api_url = "https://x.gov.cn/api"\napi_method = "POST"\napi_params = {columnId = "12", pageSize = 20}\napi_page_param = "pageNo"\n', "utf-8")
    assert load_config(config).sources[0]["api_params"] == {"columnId": "12", "pageSize": 20}
    for extra, message in (
        ('api_method = "PUT"\napi_url = "https://x.gov.cn/api"\n', "api_method must be GET or POST"),
        ('api_page_param = "p"\n', "api_page_param need api_url"),
        ('api_urll = "https://x.gov.cn/api"\n', "unknown key 'api_urll'; expected one of: name, kind, url, title"),
    ):
        config.write_text(base + extra, "utf-8")
        with pytest.raises(ConfigError, match=message):
            load_config(config)
    # a feed takes no endpoint: the registry gives each kind its own keys
    config.write_text(base.replace('"site"', '"feed"') + 'api_url = "https://x.gov.cn/api"\n', "utf-8")
    with pytest.raises(ConfigError, match="unknown key 'api_url'"):
        load_config(config)


def check(tmp_path, server, *args):
    config = tmp_path / "casewatch.toml"
    config.write_text(
        "[http]\nrate = 1000.0\nretries = 0\n\n[[sources]]\n"
        f'name = "jinan-wjk"\nkind = "site"\nurl = "{server.url("/col/col4/index.html")}"\n'
        f'api_url = "{server.url("/jpaas-jpolicy-web-server/front/info/do-search")}"\napi_method = "POST"\n'
        f'api_page_param = "pageNum"\napi_items = "data.bean.results"\napi_link = "{server.url("/api-gateway/detail?iid={infoid}")}"\n',
        "utf-8",
    )
    return CliRunner().invoke(cli, ["check-source", "--config", str(config), *args])


def test_check_source_shows_the_endpoint_read_and_how_it_paged(tmp_path):
    server = serve(lambda root: hanweb_routes(root, ["hanweb-group-2.xml", "hanweb-group-3.xml", "hanweb-group-empty.xml"]))
    with server:
        config = tmp_path / "casewatch.toml"
        config.write_text("[http]\nrate = 1000.0\nretries = 0\n", "utf-8")
        result = CliRunner().invoke(cli, ["check-source", server.url(COLUMN), "--config", str(config)])
    out = result.output
    assert result.exit_code == 0, out
    assert f"listing endpoint (named by the page): POST {server.url(PROXY)}" in out
    assert "paging: Hanweb groups of 45 records (startrecord/endrecord) until a group is empty or repeats" in out
    assert f"page 1: POST {server.url(PROXY)}?startrecord=3&endrecord=47&perpage=15" in out and "-> ok, 3 item(s)" in out
    assert "stopped at: an empty page" in out
    assert "article links picked: 7" in out
    # the README shows this very output (its port aside), up to the articles
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    shown = readme.split("$ casewatch check-source http://127.0.0.1:35361/col/col103585/index.html\n", 1)[1].split("…\n", 1)[0]
    assert out.startswith(shown.replace("http://127.0.0.1:35361", server.root))


def test_check_source_json_of_a_configured_source_names_its_endpoint(tmp_path):
    server = FixtureServer({})
    server.routes.update(jinan_routes(server.root))
    with server:
        result = check(tmp_path, server, "--source", "jinan-wjk", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    api = report["endpoint"]
    assert (api["from"], api["method"], api["paging"], api["stopped"]) == ("config", "POST", "page number in `pageNum` from 1", "an empty page")
    assert [(r["form"]["pageNum"], r["items"]) for r in api["requests"]] == [("1", 1), ("2", 1), ("3", 0)]
    assert report["links"]["count"] == 2 and report["errors"] == []
    assert len(report["articles"]) == 2 and all("title" in a for a in report["articles"])


def test_a_page_with_links_of_its_own_and_a_counter_call_is_not_script_loaded():
    # a real cac.gov.cn page: $.ajax({type:'POST', url: '/cms/cmsadmin/infopub/pagestat.jsp?…'}) counts visits
    html = (PAGES / "gjbcac.gov.cn.html").read_text("utf-8", "replace")
    assert endpoint_on_page(html, "https://www.cac.gov.cn/index.html", has_links=True) is None
    found = endpoint_on_page(html, "https://www.cac.gov.cn/index.html")  # a frame without links: its call is asked
    assert (found.url.split("?")[0], found.method) == ("https://www.cac.gov.cn/cms/cmsadmin/infopub/pagestat.jsp", "POST")


def test_the_stated_total_is_the_answer_s_not_an_item_s_count():
    answer = json.dumps({"data": {"list": [
        {"title": "第一条标题文字", "url": "/a/1.html", "count": 1},
        {"title": "第二条标题文字", "url": "/a/2.html", "count": 1},
    ]}, "pages": 7}, ensure_ascii=False)  # fmt: skip
    page = parse_endpoint_page(answer, Endpoint("http://x/api", page_param="p"), "http://x/", UNTIL)
    assert (len(page.links), page.total_pages, page.total_records) == (2, 7, None)


# --- backfills through an endpoint ------------------------------------------------------------


def backfill_in_batches(source: dict, since: date, pages: int = 1, batches: int = 10) -> tuple[list, list]:
    """A site backfill in batches of `pages` pages, as the backfill flow runs it: each batch's result, and the Backfill at the end."""
    from scrapers.site import backfill_site, start_backfill

    session, cursor, results = fast_session(), start_backfill(source, since, UNTIL), []
    while not cursor.done and len(results) < batches:
        results.append(backfill_site(source, session, set(), cursor, pages))
    return results, cursor


def test_a_backfill_pages_a_script_loaded_column_through_its_endpoint_one_batch_after_another():
    server = serve(lambda root: hanweb_routes(root, ["hanweb-group-2.xml", "hanweb-group-3.xml", "hanweb-group-empty.xml"]))
    with server:
        results, cursor = backfill_in_batches({"name": "kjt", "url": server.url(COLUMN)}, date(2024, 1, 1))
        posts = [r.path for r in server.requests if r.method == "POST"]
    # the column page (its 2 embedded records), group 2, group 3, then the empty group that ends it
    assert [len(r.articles) for r in results] == [2, 3, 2, 0] and cursor.done
    assert posts == [PROXY + f"?startrecord={a}&endrecord={b}&perpage=15" for a, b in ((3, 47), (48, 92), (93, 137))]
    assert sorted(a.url.replace(server.root, "") for r in results for a in r.articles) == sorted(ARTICLE_PATHS)
    assert all(r.errors == [] for r in results)


def test_an_endpoint_backfill_stops_at_the_page_that_reaches_back_before_since():
    server = serve(lambda root: hanweb_routes(root, ["hanweb-group-2.xml", "hanweb-group-3.xml", "hanweb-group-empty.xml"]))
    with server:
        results, cursor = backfill_in_batches({"name": "kjt", "url": server.url(COLUMN)}, date(2024, 7, 1), pages=5)
        posts = [r for r in server.requests if r.method == "POST"]
    # group 2 ends on 2024-06-19: its two later articles are read, the older one and group 3 are not asked for
    assert len(results) == 1 and cursor.done and len(posts) == 1
    assert [a.url.replace(server.root, "") for a in results[0].articles] == ARTICLE_PATHS[:4]
    assert results[0].endpoint.stopped == "a page reaching back before 2024-07-01"


def test_a_backfill_of_a_configured_api_never_asks_the_column_page_and_goes_on_at_its_next_page():
    server = FixtureServer({})
    server.routes.update(govcn_routes(server.root))
    server.routes.update({p: article for p in ("/zhengce/zhengceku/202511/content_7047091.htm",
                                               "/zhengce/zhengceku/202511/content_7047090.htm",
                                               "/zhengce/zhengceku/202510/content_7046001.htm")})  # fmt: skip
    source = {
        "name": "gov-policy", "url": server.url("/zhengce/zhengceku/"), "api_url": server.url("/search-gov/data"),
        "api_params": {"t": "zhengcelibrary_gw", "q": "", "sort": "pubtime", "sortType": "1", "n": "2"}, "api_page_param": "p",
    }  # fmt: skip
    with server:
        results, cursor = backfill_in_batches(source, date(2020, 1, 1))
        gets = [r.path.rsplit("&", 1)[1] for r in server.requests if r.path.startswith("/search-gov/")]
    assert gets == ["p=1", "p=2"] and [len(r.articles) for r in results] == [2, 1] and cursor.done
    assert "/zhengce/zhengceku/" not in server.paths()
    assert results[-1].endpoint.stopped == "all 3 records"


def json_routes(root: str) -> dict:
    """The avalon column's answers from an endpoint that takes its page only in a JSON body (as axios sends it)."""

    def answer(request: Request) -> Reply:
        if "application/json" not in request.headers.get("content-type", ""):
            return Reply(b'{"code":415,"msg":"Content type not supported"}', status=415, content_type="application/json")
        page = json.loads(request.body)["pageNo"]
        return Reply(endpoint_file({1: "avalon-list-p1.json", 2: "avalon-list-p2.json"}[page]), content_type="application/json")

    return {"/api/content/list": answer}


def test_a_configured_post_api_can_send_its_parameters_as_a_json_body():
    server = serve(json_routes)
    with server:
        source = {
            "name": "zcwj", "url": server.url("/zcwj/index.html"), "api_url": server.url("/api/content/list"),
            "api_method": "POST", "api_body": "json", "api_params": {"columnId": "1547", "pageSize": 2}, "api_page_param": "pageNo",
        }  # fmt: skip
        result = collect_site(source, fast_session(), set(), until=UNTIL)
        posts = [r for r in server.requests if r.method == "POST"]
    # numbers go as numbers, the page number too
    assert [json.loads(r.body) for r in posts] == [{"columnId": 1547, "pageSize": 2, "pageNo": n} for n in (1, 2)]
    assert result.endpoint.stopped == "the last page (2 pages)" and len(result.articles) == 3 and result.errors == []
    assert "JSON" in result.endpoint.endpoint.describe()


@pytest.mark.parametrize(
    "script",
    [
        "axios.post('/api/content/list', {columnId: '1547', pageNo: 1, pageSize: 2}).then(function (r) { vm.list = r.data; });",
        "$.ajax({url: '/api/content/list', type: 'POST', contentType: 'application/json', "
        "data: JSON.stringify({columnId: '1547', pageNo: 1, pageSize: 2}), success: function (r) { render(r); }});",
    ],
)
def test_a_page_whose_script_posts_json_is_read_with_a_json_body(script):
    page = f"<html><body><div id='app'><ul><li v-for='x in list'>{{{{x.title}}}}</li></ul></div><script>{script}</script></body></html>"
    server = serve(json_routes)
    server.routes["/zcwj/index.html"] = Reply(page.encode())
    with server:
        result = collect_site({"name": "zcwj", "url": server.url("/zcwj/index.html")}, fast_session(), set(), until=UNTIL)
    endpoint = result.endpoint.endpoint
    assert (endpoint.method, endpoint.body, endpoint.page_param) == ("POST", "json", "pageNo")
    assert len(result.articles) == 3 and result.errors == []


def test_a_failing_endpoint_that_a_page_names_is_said_once_and_not_as_a_redesign():
    server = serve(avalon_routes)
    server.routes["/api/content/list"] = Reply(b"<html><body>500 Internal Server Error</body></html>", status=500)
    with server:
        result = collect_site({"name": "zcwj", "url": server.url("/zcwj/index.html")}, fast_session(retries=0), set(), until=UNTIL)
    assert result.errors == [f"listing endpoint {server.url('/api/content/list')}: http_error (HTTP 500)"]
