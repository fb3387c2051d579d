"""Site sources: parsers on saved pages, then whole fixture sites (TRS, Hanweb, plain) over HTTP."""

from __future__ import annotations

from datetime import date

import pytest

from scrapers.article import parse_article
from scrapers.dates import date_from_url, parse_published
from scrapers.fingerprint import near_duplicate
from scrapers.http import Session, decode_body
from scrapers.listing import PageRequest, parse_listing, trs_pages
from scrapers.site import collect_site
from scrapers.urls import attachment_type, canonical_url
from sites import FIXTURES, FixtureServer, Reply, hanweb_routes, plain_routes, trs_routes

UNTIL = date(2026, 1, 1)


def fixture(*parts: str) -> str:
    data = (FIXTURES.joinpath(*parts)).read_bytes()
    return decode_body(data, "text/html")


def relative(url: str, root: str) -> str:
    return url.replace(root, "")


def fast_session(**options) -> Session:
    """A session that does not wait: tests never assert on wall-clock time."""
    return Session(rate=1000.0, sleep=lambda s: None, **options)


# --- parsers, on saved pages ----------------------------------------------------------


def test_trs_listing_links_dates_and_create_page_html_pages():
    url = "http://fgw.example.gov.cn/xwzx/gzdt/index.shtml"
    listing = parse_listing(fixture("trs", "xwzx", "gzdt", "index.shtml"), url, until=UNTIL)
    assert [(relative(link.url, "http://fgw.example.gov.cn"), link.title, link.date) for link in listing.links] == [
        ("/xwzx/gzdt/202111/t20211108_3405871.shtml", "杭州市推行企业开办“一件事”集成改革", "2021-11-08"),
        ("/zcwj/tzgg/202111/t20211105_3405700.shtml", "关于印发全省优化营商环境典型案例汇编（第一批）的通知", "2021-11-05"),
        ("/private/202111/t20211104_3405650.shtml", "内部工作安排（不公开）", "2021-11-04"),
    ]
    assert listing.offsite == ["http://www.gov.cn/", "http://www.gov.cn/zhengce/2021-11/08/content_5649999.htm"]
    assert [p.url for p in listing.pages] == [
        "http://fgw.example.gov.cn/xwzx/gzdt/index_1.shtml",
        "http://fgw.example.gov.cn/xwzx/gzdt/index_2.shtml",
    ]


def test_trs_new_form_counts_pages_from_one():
    html = "<script>createPageHTML('page_div', 4, 1, 'fg', 'shtml', 89);</script>"
    assert [p.url for p in trs_pages(html, "http://www.example.gov.cn/csrc/c106256/fg.shtml")] == [
        f"http://www.example.gov.cn/csrc/c106256/fg_{n}.shtml" for n in (2, 3, 4)
    ]


def test_trs_count_page_variables_are_resolved():
    html = 'var countPage = 3;var currentPage = 0;var prefix = "index";var suffix = "html";createPageHTML(countPage, currentPage, prefix, suffix);'
    assert [p.url for p in trs_pages(html, "http://a.gov.cn/col/index.html")] == [
        "http://a.gov.cn/col/index_1.html",
        "http://a.gov.cn/col/index_2.html",
    ]


def test_hanweb_listing_reads_the_datastore_and_pages_by_post():
    url = "http://www.example.gov.cn/col/col1229001/index.html"
    listing = parse_listing(fixture("hanweb", "col", "col1229001", "index.html"), url, until=UNTIL)
    assert [(relative(link.url, "http://www.example.gov.cn"), link.date) for link in listing.links] == [
        ("/art/2021/11/12/art_1229001_59001.html", "2021-11-12"),
        ("/art/2021/11/10/art_1229001_59002.html", "2021-11-10"),
        ("/art/2021/11/9/art_1229001_59003.html", "2021-11-09"),
        ("/art/2021/11/8/art_1229001_59004.html", None),  # no date beside it: not its neighbour's
    ]
    assert listing.pages == [
        PageRequest(
            "http://www.example.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=5&endrecord=6&perpage=2",
            "POST",
            {
                "appid": "1",
                "webid": "3185",
                "path": "/",
                "columnid": "1229001",
                "unitid": "4952181",
                "webname": "某省人民政府",
                "permissiontype": "0",
                "col": "1",
                "sourceContentType": "1",
            },
        )
    ]


def test_hanweb_dataproxy_answer_is_a_listing():
    xml = (FIXTURES / "hanweb" / "dataproxy_5_6.xml").read_text(encoding="utf-8")
    listing = parse_listing(xml, "http://www.example.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=5", until=UNTIL)
    assert [(link.title, link.date) for link in listing.links] == [
        ("舟山市推行船舶登记“一次办”", "2021-11-05"),
        ("湖州市深化“证照分离”改革", "2021-11-01"),
    ]
    assert listing.pages == []


def test_trs_article_meta_tags_and_body():
    page = parse_article(fixture("trs", "xwzx", "gzdt", "202111", "t20211108_3405871.shtml"), "http://fgw.example.gov.cn/xwzx/gzdt/202111/t20211108_3405871.shtml", until=UNTIL)
    assert (page.title, page.published, page.issuer, page.date_from, page.body_from) == (
        "杭州市推行企业开办“一件事”集成改革",
        "2021-11-08",
        "杭州市市场监督管理局",
        "page",  # the 发布日期 shown under the title comes before the meta tag (issue 22)
        ".TRS_Editor",
    )
    assert page.body == (
        "为进一步优化营商环境，杭州市将企业开办涉及的设立登记、公章刻制、申领发票、社保登记等事项整合为“一件事”，实行一表申请、一窗发放。\n"
        "改革后，企业开办时间由原来的3个工作日压缩至1个工作日以内，全程网办率达到95%以上。企业代表李堃表示，新办企业当天即可领取营业执照和发票。\n"
        "下一步，杭州市将持续推进企业开办标准化、规范化、便利化建设。"
    )


def test_published_date_is_not_the_written_date():
    page = parse_article(fixture("trs", "zcwj", "tzgg", "202111", "t20211105_3405700.shtml"), "http://fgw.example.gov.cn/zcwj/tzgg/202111/t20211105_3405700.shtml", until=UNTIL)
    assert (page.published, page.date_from, page.issuer) == ("2021-11-05", "page", "某省发展和改革委员会")
    assert [(a.type, a.name) for a in page.attachments] == [
        ("pdf", "1.全省优化营商环境典型案例汇编（第一批）.pdf"),
        ("doc", "2.典型案例报送表.doc"),
    ]


def test_future_date_is_rejected_for_the_listing_date():
    html = fixture("trs", "xwzx", "gzdt", "202110", "t20211015_3405300.shtml")
    page = parse_article(html, "http://a.gov.cn/xwzx/gzdt/202110/t20211015_3405300.shtml", listing_date="2021-10-15", until=UNTIL)
    assert (page.published, page.date_from) == ("2021-10-15", "listing")


def test_date_from_the_url_when_nothing_else_has_one():
    html = fixture("hanweb", "art", "2021", "11", "8", "art_1229001_59004.html")
    page = parse_article(html, "http://www.example.gov.cn/art/2021/11/8/art_1229001_59004.html", until=UNTIL)
    assert (page.title, page.published, page.date_from) == ("金华市推行“信用+审批”模式", "2021-11-08", "url")
    assert date_from_url("http://a.gov.cn/xwzx/202111/t20211108_3405871.shtml") == "2021-11-08"
    assert date_from_url("https://www.gov.cn/zhengce/2021-11/08/content_5649999.htm") == "2021-11-08"
    assert date_from_url("http://a.gov.cn/t20991108_1.shtml", until=UNTIL) is None


def test_labelled_dates():
    assert parse_published("成文日期：2021年11月01日 发布日期：2021年11月05日") == "2021-11-05"
    assert parse_published("实施时间：2021年12月01日") is None


def test_hanweb_body_between_zjeg_comments_and_attachment_behind_downfile():
    html = fixture("hanweb", "art", "2021", "11", "12", "art_1229001_59001.html")
    page = parse_article(html, "http://www.example.gov.cn/art/2021/11/12/art_1229001_59001.html", until=UNTIL)
    assert page.body_from == "ZJEG_RSS"
    assert page.body == "各设区市人民政府，省级有关单位：\n经研究，决定推广湖州市、衢州市等地营商环境创新案例，请各地结合实际抓好复制推广。"
    assert [(a.url, a.type) for a in page.attachments] == [
        ("http://www.example.gov.cn/module/download/downfile.jsp?classid=0&filename=2111121030.docx", "docx")
    ]


def test_page_without_a_known_container_falls_back_to_main_content():
    html = fixture("plain", "news", "2021", "1108", "1001.html")
    page = parse_article(html, "http://news.example.cn/news/2021/1108/1001.html", "宁波“带押过户”让二手房交易省时省钱", "2021-11-08", until=UNTIL)
    assert page.body_from == "main_content"
    assert page.body.startswith("宁波市在二手房交易中推行“带押过户”模式") and page.body.endswith("惠及群众4000余户。")
    assert "热点推荐" not in page.body and "版权所有" not in page.body


def test_selectors_override_the_defaults():
    html = fixture("plain", "news", "2021", "1106", "1002.html")
    page = parse_article(html, "http://a.cn/x.html", title_selector="h1", date_selector=".meta", body_selector=".article-content p:last-child", until=UNTIL)
    assert (page.title, page.published, page.date_from, page.body) == (
        "宁波市推出“甬易办”惠企政策直达平台",
        "2021-11-06",
        "selector",
        "平台上线以来，已兑付惠企资金35亿元，惠及企业2.1万家。",
    )


def test_canonical_urls():
    assert canonical_url("HTTP://WWW.Example.gov.cn/col/index.html#top") == "https://www.example.gov.cn/col/"
    assert canonical_url("https://a.gov.cn/news/1.html?utm_source=weibo&spm=a.b&id=3") == "https://a.gov.cn/news/1.html?id=3"
    assert canonical_url("http://a.gov.cn/x/./y/../index.shtml") == canonical_url("https://a.gov.cn/x/")
    assert canonical_url("http://a.gov.cn:8080/a?b=2&a=1") == "https://a.gov.cn:8080/a?a=1&b=2"
    assert attachment_type("http://a.gov.cn/module/download/downfile.jsp?classid=0&filename=2111121030.docx") == "docx"
    assert attachment_type("http://a.gov.cn/P020211105.OFD") == "ofd"
    assert attachment_type("http://a.gov.cn/t20211105_1.shtml") is None


# --- whole sites over HTTP ------------------------------------------------------------


def test_trs_site_in_gb2312_with_pages_attachments_and_failures():
    with FixtureServer(trs_routes()) as server:
        source = {"name": "fgw", "url": server.url("/xwzx/gzdt/index.shtml")}
        result = collect_site(source, fast_session(), set(), until=UNTIL)
        paths = server.paths()
    root = server.root
    assert [(a.title, a.published, relative(a.url, root), a.position) for a in result.articles] == [
        ("杭州市推行企业开办“一件事”集成改革", "2021-11-08", "/xwzx/gzdt/202111/t20211108_3405871.shtml", None),
        ("关于印发全省优化营商环境典型案例汇编（第一批）的通知", "2021-11-05", "/zcwj/tzgg/202111/t20211105_3405700.shtml", None),
        ("温州市推行“个转企”一件事改革", "2021-11-05", "/zcwj/tzgg/202111/P020211105512345678901.pdf", 1),
        ("宁波市推行不动产登记“带押过户”", "2021-11-05", "/zcwj/tzgg/202111/P020211105512345678901.pdf", 2),
        ("嘉兴市推行“交地即发证”", "2021-11-05", "/zcwj/tzgg/202111/P020211105512345678901.pdf", 3),
        ("绍兴市推行“企业开办全程网办”", "2021-11-03", "/xwzx/gzdt/202111/t20211103_3405600.shtml", 1),
        ("台州市推行“证照联办”改革", "2021-11-03", "/xwzx/gzdt/202111/t20211103_3405600.shtml", 2),
        ("杭州市上线“亲清在线”惠企政策兑付平台", "2021-10-29", "/xwzx/gzdt/202110/t20211029_3405500.shtml", None),
        ("嘉兴市推行工程建设项目“拿地即开工”", "2021-10-15", "/xwzx/gzdt/202110/t20211015_3405300.shtml", None),
    ]
    first = result.articles[0]
    assert (first.issuer, first.region) == ("杭州市市场监督管理局", "浙江省杭州市")
    assert "企业代表李堃表示" in first.body and "打印本页" not in first.body
    # a PDF compilation's cases: running headers and page numbers gone, wrapped lines joined
    assert result.articles[3].body == (
        "宁波市在二手房交易中推行“带押过户”模式，买卖双方无需提前归还原有贷款即可完成转移登记，银行、不动产登记中心和公证机构在线协同办理抵押注销与新设。\n\n"
        "该模式实施以来，单笔交易平均节省过桥资金成本2万元以上，二手房交易办理时间由原来的10个工作日压缩至1个工作日，惠及群众4000余户。"
    )
    # a DOCX that is no compilation joins the article's body
    assert result.articles[7].body == (
        "杭州市上线“亲清在线”数字平台，企业可在线申请惠企政策兑付，符合条件的资金直达企业账户。\n\n"
        "企业登录“亲清在线”平台后，系统根据企业画像自动匹配可申报的惠企政策，企业确认后资金直达企业账户。\n\n"
        "截至目前，平台已累计兑付资金120亿元，惠及企业15万家，兑付时间由原来的1个月缩短至最快1天。"
    )
    assert [(a.type, a.parsed, a.articles, a.error) for a in result.attachments] == [
        ("pdf", True, 3, None),
        ("doc", False, 0, "not parsed: doc files are not read"),
        ("docx", True, 0, None),
    ]
    assert [(d.kind, d.articles, d.status) for d in result.documents] == [("attachment", 3, "ok"), ("page", 2, "ok"), ("attachment", 0, "ok")]
    assert result.errors == [
        f"article {root}/private/202111/t20211104_3405650.shtml: robots_denied (disallowed by robots.txt)",
        f"article {root}/xwzx/gzdt/202110/t20211020_3405400.shtml: not_found (HTTP 404)",
    ]
    assert "/private/202111/t20211104_3405650.shtml" not in paths
    assert not any(p.endswith(".doc") for p in paths)
    assert (result.pages_fetched, result.links_found, result.status) == (3, 7, "partial")
    assert paths[:4] == ["/robots.txt", "/xwzx/gzdt/index.shtml", "/xwzx/gzdt/index_1.shtml", "/xwzx/gzdt/index_2.shtml"]
    assert len(paths) == len(set(paths))  # every page fetched once


def test_hanweb_site_pages_through_dataproxy_and_records_a_blocked_article():
    with FixtureServer(hanweb_routes()) as server:
        source = {"name": "zj", "url": server.url("/col/col1229001/index.html")}
        result = collect_site(source, fast_session(), set(), until=UNTIL)
        posts = [r for r in server.requests if r.method == "POST"]
    assert [(r.path, r.form["columnid"], r.form["unitid"], r.form["webid"]) for r in posts] == [
        ("/module/web/jpage/dataproxy.jsp?startrecord=5&endrecord=6&perpage=2", "1229001", "4952181", "3185")
    ]
    assert [(a.title, a.published, a.issuer) for a in result.articles] == [
        ("关于推广第二批营商环境创新案例的通知", "2021-11-12", "某省发展和改革委员会"),
        ("湖州市：推行工业用地“标准地”改革", "2021-11-12", None),
        ("衢州市：推行“一件事”集成改革", "2021-11-12", None),
        ("丽水市推行“企业码”服务", "2021-11-10", "丽水市人民政府"),
        ("杭州市推行“非接触式”办税", "2021-11-09", "某省税务局"),
        ("温州市推行增值税留抵退税“即报即审”", "2021-11-09", "某省税务局"),
        ("金华市推行“信用+审批”模式", "2021-11-08", None),
        ("舟山市推行船舶登记“一次办”", "2021-11-05", None),
    ]
    assert result.articles[0].body == "各设区市人民政府，省级有关单位：\n\n经研究，决定推广湖州市、衢州市等地营商环境创新案例，请各地结合实际抓好复制推广。"
    assert result.articles[4].body == "杭州市税务部门推行电子税务局全程网上办，95%以上的涉税事项实现网上办理，纳税人足不出户即可完成申报缴税。"
    assert result.errors == [f"article {server.root}/art/2021/11/1/art_1229001_59006.html: blocked (HTTP 412: JavaScript challenge or WAF page)"]
    assert result.log[-1]["outcome"] == "blocked" and result.log[-1]["status"] == 412
    assert (result.pages_fetched, result.links_found) == (2, 6)


def test_plain_site_pages_by_query_and_fetches_one_page_under_two_urls_once():
    with FixtureServer(plain_routes()) as server:
        source = {"name": "nb", "url": server.url("/news/list")}
        result = collect_site(source, fast_session(), set(), until=UNTIL)
        paths = server.paths()
    assert paths == [
        "/robots.txt",
        "/news/list",
        "/news/list?page=2",
        "/news/list?page=3",
        "/news/2021/1108/1001.html",
        "/news/2021/1106/1002.html",
        "/news/2021/1101/1003.html",
        "/news/2021/1020/1004.html",
        "/news/2021/1015/1005.html",
    ]
    assert [(a.title, a.published, a.issuer) for a in result.articles] == [
        ("宁波“带押过户”让二手房交易省时省钱", "2021-11-08", None),
        ("宁波市推出“甬易办”惠企政策直达平台", "2021-11-06", "宁波日报"),
        ("宁波市推行“一件事”集成服务", "2021-11-01", None),
        ("宁波市推行工程建设项目“多测合一”", "2021-10-15", None),
    ]
    assert result.articles[1].body == "宁波市上线“甬易办”惠企政策直达平台，将分散在各部门的惠企政策集中发布，企业免申即享、即申即享。\n\n平台上线以来，已兑付惠企资金35亿元，惠及企业2.1万家。"
    # a link to a corrupt PDF: recorded, and the run went on
    assert result.errors == [f"attachment {server.root}/news/2021/1020/1004.html: corrupt or unreadable PDF: Stream has ended unexpectedly"]
    assert [(d.status, d.error_type) for d in result.documents] == [("failed", "unreadable")]


def test_second_run_fetches_only_the_first_listing_page():
    with FixtureServer(trs_routes()) as server:
        source = {"name": "fgw", "url": server.url("/xwzx/gzdt/index.shtml")}
        first = collect_site(source, fast_session(), set(), until=UNTIL)
        server.requests.clear()
        second = collect_site(source, fast_session(), set(first.fetched_urls + first.dead_urls + first.retry_urls), until=UNTIL)
        assert server.paths() == ["/robots.txt", "/xwzx/gzdt/index.shtml"]
    assert first.dead_urls == [canonical_url(server.url("/private/202111/t20211104_3405650.shtml"))]
    assert first.retry_urls == [canonical_url(server.url("/xwzx/gzdt/202110/t20211020_3405400.shtml"))]  # 404: asked again later
    assert second.articles == [] and second.errors == [] and second.links_found == 3 and second.new_links == 0


def test_unchanged_listing_answers_not_modified_and_nothing_else_is_asked():
    routes = trs_routes()
    for path, reply in routes.items():
        reply.etag = f'"{len(reply.body)}"'
    with FixtureServer(routes) as server:
        source = {"name": "fgw", "url": server.url("/xwzx/gzdt/index.shtml")}
        http = fast_session()
        first = collect_site(source, http, set(), until=UNTIL)
        server.requests.clear()
        second = collect_site(source, fast_session(validators=http.validators), set(first.fetched_urls), until=UNTIL)
        assert server.paths() == ["/robots.txt", "/xwzx/gzdt/index.shtml"]
    assert second.unchanged and second.errors == [] and second.status == "ok"
    assert second.log[-1]["outcome"] == "not_modified"


def test_new_article_on_a_known_listing_is_the_only_article_fetched():
    with FixtureServer(plain_routes()) as server:
        known = {server.url(f"/news/2021/{p}.html") for p in ("1106/1002", "1101/1003", "1020/1004", "1015/1005")}
        result = collect_site({"name": "nb", "url": server.url("/news/list")}, fast_session(), known, until=UNTIL)
        # page 2 holds only known articles: paging stops there
        assert server.paths() == ["/robots.txt", "/news/list", "/news/list?page=2", "/news/2021/1108/1001.html"]
    assert [a.title for a in result.articles] == ["宁波“带押过户”让二手房交易省时省钱"]
    assert (result.links_found, result.new_links) == (4, 1)


def test_max_pages_limits_the_listing_pages():
    with FixtureServer(trs_routes()) as server:
        result = collect_site({"name": "fgw", "url": server.url("/xwzx/gzdt/index.shtml"), "max_pages": 1}, fast_session(), set(), until=UNTIL)
        assert "/xwzx/gzdt/index_1.shtml" not in server.paths()
    assert result.pages_fetched == 1 and len(result.articles) == 5


def test_include_and_exclude_filter_article_urls():
    with FixtureServer(trs_routes()) as server:
        source = {"name": "fgw", "url": server.url("/xwzx/gzdt/index.shtml"), "include": r"/xwzx/", "exclude": r"t2021110[35]", "max_pages": 2}
        result = collect_site(source, fast_session(), set(), until=UNTIL)
    assert [a.title for a in result.articles] == ["杭州市推行企业开办“一件事”集成改革", "杭州市上线“亲清在线”惠企政策兑付平台"]


def test_link_selector_overrides_link_detection():
    with FixtureServer(plain_routes()) as server:
        source = {"name": "nb", "url": server.url("/news/list"), "link_selector": ".news-list li:first-child a", "max_pages": 1}
        result = collect_site(source, fast_session(), set(), until=UNTIL)
    assert [a.title for a in result.articles] == ["宁波“带押过户”让二手房交易省时省钱"]


def test_redesigned_site_without_article_links_is_reported():
    page = "<html><body><div id='app'></div><script src='/static/app.js'></script></body></html>"
    with FixtureServer({"/col/index.html": Reply(page.encode())}) as server:
        result = collect_site({"name": "spa", "url": server.url("/col/index.html")}, fast_session(), set(), until=UNTIL)
    assert (result.links_found, result.status) == (0, "failed")
    assert result.errors == [f"no article links found on {server.url('/col/index.html')}: the site may have been redesigned"]


def test_blocked_listing_makes_the_source_blocked():
    challenge = (FIXTURES / "errors" / "challenge_412.html").read_bytes()
    with FixtureServer({"/col/index.html": Reply(challenge, 412)}) as server:
        result = collect_site({"name": "waf", "url": server.url("/col/index.html")}, fast_session(), set(), until=UNTIL)
        assert server.paths() == ["/robots.txt", "/col/index.html"]
    assert result.status == "blocked" and len(result.errors) == 1


def test_same_case_on_a_site_and_in_a_compilation_is_a_near_duplicate():
    with FixtureServer(trs_routes()) as trs, FixtureServer(plain_routes()) as plain:
        compiled = collect_site({"name": "fgw", "url": trs.url("/xwzx/gzdt/index.shtml")}, fast_session(), set(), until=UNTIL)
        published = collect_site({"name": "nb", "url": plain.url("/news/list")}, fast_session(), set(), until=UNTIL)
    in_pdf = next(a for a in compiled.articles if a.title == "宁波市推行不动产登记“带押过户”")
    on_site = next(a for a in published.articles if a.title == "宁波“带押过户”让二手房交易省时省钱")
    assert in_pdf.url != on_site.url and in_pdf.title != on_site.title
    assert near_duplicate(in_pdf.body, on_site.body)
    others = [a for a in compiled.articles + published.articles if a not in (in_pdf, on_site)]
    assert not any(near_duplicate(on_site.body, other.body) for other in others)


@pytest.mark.parametrize(("encoding", "title"), [(None, "º¼ÖÝ"), ("gbk", "杭州市推行“一件事”改革"), ("GB2312", "杭州市推行“一件事”改革")])
def test_configured_encoding_overrides_a_wrong_declaration(encoding, title):
    head = '<html><head><meta charset="iso-8859-1"><title>杭州市推行“一件事”改革</title></head>'
    listing = head + '<body><ul><li><a href="/a/t20211108_1.shtml">杭州市推行“一件事”改革</a><span>2021-11-08</span></li></ul></body></html>'
    article = head + '<body><div class="TRS_Editor"><p>杭州市将企业开办涉及的事项整合为“一件事”，一次办结。</p></div></body></html>'
    routes = {"/col/index.html": Reply(listing.encode("gb18030"), content_type="text/html"), "/a/t20211108_1.shtml": Reply(article.encode("gb18030"), content_type="text/html")}
    with FixtureServer(routes) as server:
        source = {"name": "x", "url": server.url("/col/index.html"), "max_pages": 1} | ({"encoding": encoding} if encoding else {})
        result = collect_site(source, fast_session(), set(), until=UNTIL)
    assert result.articles[0].title.startswith(title)
