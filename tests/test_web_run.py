"""Sites and feeds through `casewatch run`: fixture servers on 127.0.0.1, assertions on the stored rows.

The run's session is given a fake clock (it moves only when the session sleeps), so
backoff, Retry-After and the rate limit never make a test wait; the only real waits
are the read timeouts of the one slow page.
"""

from __future__ import annotations

import functools

import pytest
import sqlite_utils
from click.testing import CliRunner

from casewatch import pipeline
from casewatch.cli import cli
from model_files import install_model
from scrapers.http import Session
from scrapers.urls import canonical_url
from sites import FIXTURES, FakeClock, FixtureServer, Reply, hanweb_routes, plain_routes, sequence, trs_routes

WEEK = "2026-W48"
HTTP = "[http]\nrate = 1000.0\nretries = 1\nread_timeout = 0.3\nmax_bytes = 200000\n"


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    """The run's session on a fake clock."""
    fake = FakeClock()
    monkeypatch.setattr(pipeline, "Session", functools.partial(Session, clock=fake.clock, sleep=fake.sleep))
    return fake


class Project:
    """A working directory with a trained model; `config(*sources)` writes its casewatch.toml."""

    def __init__(self, path) -> None:
        self.path = path

    def __truediv__(self, name: str):
        return self.path / name

    def config(self, *sources: dict, http: str = HTTP) -> None:
        text = '[store]\ndb = "cw.db"\n[digest]\ndir = "out"\n[classify]\nmodel = "models/indicators.pkl"\n' + http
        for source in sources:
            text += "[[sources]]\n" + "".join(f"{key} = {toml(value)}\n" for key, value in source.items())
        (self.path / "casewatch.toml").write_text(text, encoding="utf-8")


@pytest.fixture
def project(tmp_path, model_path, monkeypatch, clock) -> Project:
    """A project directory, the current directory for the test."""
    install_model(model_path, tmp_path / "models")
    monkeypatch.chdir(tmp_path)
    return Project(tmp_path)


def toml(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return str(value) if isinstance(value, int) else '"' + str(value).replace("\\", "\\\\") + '"'


def run(*args: str):
    result = CliRunner().invoke(cli, ["run", "--week", WEEK, "--no-send", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def store(project) -> sqlite_utils.Database:
    return sqlite_utils.Database(project / "cw.db")


def articles(db, root: str) -> list[tuple]:
    rows = db.query("select title, published, url, position from articles order by published desc, url, position")
    return [(r["title"], r["published"], r["url"].replace(root, ""), r["position"]) for r in rows]


def outcomes(db, source: str, root: str) -> list[tuple]:
    rows = db.query("select url, status, outcome from fetch_log where source = ? order by id", [source])
    return [(r["url"].replace(root, ""), r["status"], r["outcome"]) for r in rows]


def article_requests(server: FixtureServer) -> list[str]:
    return [p for p in server.paths() if "/t20" in p or "/art/" in p or "/news/20" in p or p.endswith((".pdf", ".docx"))]


def test_trs_column_in_gb2312_is_stored_once_with_titles_dates_and_bodies(project, prefect_harness):
    with FixtureServer(trs_routes()) as server:
        project.config({"name": "fgw", "title": "某省发改委", "kind": "site", "url": server.url("/xwzx/gzdt/index.shtml")})
        first = run()
        db = store(project)
        assert "week 2026-W48: 9 new article(s), 9 classified, 2 source error(s)" in first.output
        assert articles(db, server.root) == [
            ("杭州市推行企业开办“一件事”集成改革", "2021-11-08", "/xwzx/gzdt/202111/t20211108_3405871.shtml", None),
            ("温州市推行“个转企”一件事改革", "2021-11-05", "/zcwj/tzgg/202111/P020211105512345678901.pdf", 1),
            ("宁波市推行不动产登记“带押过户”", "2021-11-05", "/zcwj/tzgg/202111/P020211105512345678901.pdf", 2),
            ("嘉兴市推行“交地即发证”", "2021-11-05", "/zcwj/tzgg/202111/P020211105512345678901.pdf", 3),
            ("关于印发全省优化营商环境典型案例汇编（第一批）的通知", "2021-11-05", "/zcwj/tzgg/202111/t20211105_3405700.shtml", None),
            ("绍兴市推行“企业开办全程网办”", "2021-11-03", "/xwzx/gzdt/202111/t20211103_3405600.shtml", 1),
            ("台州市推行“证照联办”改革", "2021-11-03", "/xwzx/gzdt/202111/t20211103_3405600.shtml", 2),
            ("杭州市上线“亲清在线”惠企政策兑付平台", "2021-10-29", "/xwzx/gzdt/202110/t20211029_3405500.shtml", None),
            ("嘉兴市推行工程建设项目“拿地即开工”", "2021-10-15", "/xwzx/gzdt/202110/t20211015_3405300.shtml", None),
        ]
        bodies = {r["title"]: r["body"] for r in db["articles"].rows}
        assert bodies["杭州市推行企业开办“一件事”集成改革"] == (
            "为进一步优化营商环境，杭州市将企业开办涉及的设立登记、公章刻制、申领发票、社保登记等事项整合为“一件事”，实行一表申请、一窗发放。\n\n"
            "改革后，企业开办时间由原来的3个工作日压缩至1个工作日以内，全程网办率达到95%以上。企业代表李堃表示，新办企业当天即可领取营业执照和发票。\n\n"
            "下一步，杭州市将持续推进企业开办标准化、规范化、便利化建设。"
        )
        assert bodies["宁波市推行不动产登记“带押过户”"] == (
            "宁波市在二手房交易中推行“带押过户”模式，买卖双方无需提前归还原有贷款即可完成转移登记，银行、不动产登记中心和公证机构在线协同办理抵押注销与新设。\n\n"
            "该模式实施以来，单笔交易平均节省过桥资金成本2万元以上，二手房交易办理时间由原来的10个工作日压缩至1个工作日，惠及群众4000余户。"
        )
        first_requests = server.paths()
        assert len(first_requests) == len(set(first_requests))  # every page and file asked for once

        server.requests.clear()
        second = run()
        assert "0 new article(s)" in second.output
        assert server.paths() == ["/robots.txt", "/xwzx/gzdt/index.shtml"]  # no article page, no further listing page
    assert db["articles"].count == 9
    assert (db["sources"].get("fgw")["last_status"], db["sources"].get("fgw")["kind"]) == ("ok", "site")
    root = server.root
    assert outcomes(db, "fgw", root)[:4] == [
        ("/robots.txt", 200, "ok"),
        ("/xwzx/gzdt/index.shtml", 200, "ok"),
        ("/xwzx/gzdt/index_1.shtml", 200, "ok"),
        ("/xwzx/gzdt/index_2.shtml", 200, "ok"),
    ]
    assert ("/private/202111/t20211104_3405650.shtml", None, "robots_denied") in outcomes(db, "fgw", root)
    assert ("/xwzx/gzdt/202110/t20211020_3405400.shtml", 404, "not_found") in outcomes(db, "fgw", root)
    known = {r["canonical_url"] for r in db["known_urls"].rows}
    assert canonical_url(server.url("/xwzx/gzdt/202111/t20211108_3405871.shtml")) in known
    # 404: not known yet, but waiting its turn (asked again after a day, then 2, 4; gone after 4 misses)
    assert canonical_url(server.url("/xwzx/gzdt/202110/t20211020_3405400.shtml")) not in known
    assert [(r["canonical_url"], r["tries"]) for r in db["retry_urls"].rows] == [(canonical_url(server.url("/xwzx/gzdt/202110/t20211020_3405400.shtml")), 1)]
    assert len(known) == 6
    assert [(a["type"], a["parsed"], a["articles"], a["error"]) for a in db.query("select * from attachments order by url")] == [
        ("docx", 1, 0, None),
        ("pdf", 1, 3, None),
        ("doc", 0, 0, "not parsed: doc files are not read"),
    ]
    # every article has where it was seen; the compilation's cases name it and their place in it
    assert db["sightings"].count == 9
    pdf = db.execute("select count(*) from sightings where document is not null and position is not null").fetchone()[0]
    assert pdf == 5


def test_hanweb_column_pages_through_dataproxy_and_logs_the_blocked_article(project, prefect_harness):
    with FixtureServer(hanweb_routes()) as server:
        project.config({"name": "zj", "title": "某省人民政府", "kind": "site", "url": server.url("/col/col1229001/index.html")})
        run()
        db = store(project)
        assert articles(db, server.root) == [
            ("关于推广第二批营商环境创新案例的通知", "2021-11-12", "/art/2021/11/12/art_1229001_59001.html", None),
            ("湖州市：推行工业用地“标准地”改革", "2021-11-12", "/module/download/downfile.jsp?classid=0&filename=2111121030.docx", 1),
            ("衢州市：推行“一件事”集成改革", "2021-11-12", "/module/download/downfile.jsp?classid=0&filename=2111121030.docx", 2),
            ("丽水市推行“企业码”服务", "2021-11-10", "/art/2021/11/10/art_1229001_59002.html", None),
            ("杭州市推行“非接触式”办税", "2021-11-09", "/art/2021/11/9/art_1229001_59003.html", 1),
            ("温州市推行增值税留抵退税“即报即审”", "2021-11-09", "/art/2021/11/9/art_1229001_59003.html", 2),
            ("金华市推行“信用+审批”模式", "2021-11-08", "/art/2021/11/8/art_1229001_59004.html", None),
            ("舟山市推行船舶登记“一次办”", "2021-11-05", "/art/2021/11/5/art_1229001_59005.html", None),
        ]
        body = db.execute("select body from articles where title = '杭州市推行“非接触式”办税'").fetchone()[0]
        assert body == "杭州市税务部门推行电子税务局全程网上办，95%以上的涉税事项实现网上办理，纳税人足不出户即可完成申报缴税。"
        assert [r.method for r in server.requests].count("POST") == 1
        assert ("/art/2021/11/1/art_1229001_59006.html", 412, "blocked") in outcomes(db, "zj", server.root)

        server.requests.clear()
        run()
        assert article_requests(server) == [] and server.paths() == ["/robots.txt", "/col/col1229001/index.html"]
    assert db["articles"].count == 8


def test_feed_entries_are_stored_once_and_a_second_run_fetches_no_page(project, prefect_harness):
    with FixtureServer(plain_routes()) as server:
        project.config({"name": "nb-rss", "title": "宁波营商动态", "kind": "feed", "url": server.url("/feed/rss.xml")})
        run()
        db = store(project)
        assert server.paths() == ["/robots.txt", "/feed/rss.xml", "/news/2021/1106/1002.html", "/news/2021/1101/1003.html"]
        assert articles(db, server.root) == [
            ("宁波市推行企业注销“一网通办”", "2021-11-09", "/news/2021/1109/2001.html", None),
            ("宁波市推出“甬易办”惠企政策直达平台", "2021-11-06", "/news/2021/1106/1002.html", None),
            ("宁波市推行“一件事”集成服务", "2021-11-01", "/news/2021/1101/1003.html", None),
        ]
        body = db.execute("select body from articles where url like '%/1002.html'").fetchone()[0]
        assert body == "宁波市上线“甬易办”惠企政策直达平台，将分散在各部门的惠企政策集中发布，企业免申即享、即申即享。\n\n平台上线以来，已兑付惠企资金35亿元，惠及企业2.1万家。"

        server.requests.clear()
        run()
        assert server.paths() == ["/robots.txt", "/feed/rss.xml"]
    assert db["sources"].get("nb-rss")["last_status"] == "ok" and db["articles"].count == 3


def test_validators_are_kept_from_a_clean_run_and_an_unchanged_column_answers_304(project, prefect_harness):
    routes = trs_routes()
    for path, reply in routes.items():
        reply.etag = f'"{len(reply.body)}"'
    with FixtureServer(routes) as server:
        project.config({"name": "fgw", "kind": "site", "url": server.url("/xwzx/gzdt/index.shtml")})
        run()  # a 404 and a robots.txt refusal: no validator is kept, the column is read whole next time
        db = store(project)
        assert db["http_cache"].count == 0
        run()  # the failed URLs are known now: a clean run, whose validators are kept
        cached = {r["url"].replace(server.root, ""): r["etag"] for r in db["http_cache"].rows}
        assert cached == {"/robots.txt": f'"{len(routes["/robots.txt"].body)}"', "/xwzx/gzdt/index.shtml": f'"{len(routes["/xwzx/gzdt/index.shtml"].body)}"'}
        server.requests.clear()
        run()
        assert server.requests[-1].headers["if-none-match"] == cached["/xwzx/gzdt/index.shtml"]
    assert outcomes(db, "fgw", server.root)[-1] == ("/xwzx/gzdt/index.shtml", 304, "not_modified")
    assert db["sources"].get("fgw")["last_status"] == "ok"


def failing_site() -> dict:
    """A column whose links fail in every way a site fails, beside three that work."""
    article = "<html><head><meta name='ArticleTitle' content='{title}'><meta name='PubDate' content='2021-11-01'></head><body><div class='TRS_Editor'><p>{body}</p></div></body></html>"

    def page(n: int, city: str) -> Reply:
        body = f"{city}推行第{n}项营商环境改革，企业办事材料减少一半，办理时间压缩至1个工作日。"
        return Reply(article.format(title=f"{city}营商环境改革{n}", body=body).encode())

    links = [f"/col/202111/t20211101_{n}.shtml" for n in range(1, 9)] + ["/private/202111/t20211101_9.shtml", "/col/202111/P020211101_10.pdf"]
    listing = "<html><body><ul>" + "".join(f'<li><a href="{link}">营商环境案例{n}</a><span>2021-11-01</span></li>' for n, link in enumerate(links, 1)) + "</ul></body></html>"
    challenge = (FIXTURES / "errors" / "challenge_412.html").read_bytes()
    return {
        "/robots.txt": Reply(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
        "/col/index.html": Reply(listing.encode()),
        links[0]: page(1, "杭州市"),
        # links[1]: no route, 404
        links[2]: Reply(page(3, "宁波市").body, delay=1.0),  # slower than the read timeout, twice
        links[3]: sequence(Reply(b"", 500), page(4, "温州市")),
        links[4]: sequence(Reply(b"", 429, headers={"Retry-After": "7"}), page(5, "嘉兴市")),
        links[5]: Reply(challenge, 412, headers={"Set-Cookie": "__jsluid_h=0a1b; path=/"}),
        links[6]: Reply(b"x" * 65536, repeat=8),  # 512 KiB, over max_bytes
        links[7]: Reply(b"", 302, headers={"Location": "/col/202111/loop.shtml"}),
        "/col/202111/loop.shtml": Reply(b"", 302, headers={"Location": links[7]}),
        links[9]: Reply(b"%PDF-1.4 nonsense", content_type="application/pdf"),
    }


def test_every_failure_kind_is_logged_and_the_other_sources_are_stored(project, prefect_harness, clock):
    challenge = (FIXTURES / "errors" / "challenge_412.html").read_bytes()
    with FixtureServer(failing_site()) as bad, FixtureServer(plain_routes()) as good, FixtureServer({"/col/index.html": Reply(challenge, 412)}) as waf:
        project.config(
            {"name": "bad", "title": "问题网站", "kind": "site", "url": bad.url("/col/index.html")},
            {"name": "nb", "title": "宁波网站", "kind": "site", "url": good.url("/news/list")},
            {"name": "waf", "title": "设防网站", "kind": "site", "url": waf.url("/col/index.html")},
        )
        result = run()
        assert waf.paths() == ["/robots.txt", "/col/index.html"]  # a block is not retried
    db = store(project)
    log = outcomes(db, "bad", bad.root)
    assert log == [
        ("/robots.txt", 200, "ok"),
        ("/col/index.html", 200, "ok"),
        ("/col/202111/t20211101_1.shtml", 200, "ok"),
        ("/col/202111/t20211101_2.shtml", 404, "not_found"),
        ("/col/202111/t20211101_3.shtml", 200, "timeout"),
        ("/col/202111/t20211101_3.shtml", 200, "timeout"),
        ("/col/202111/t20211101_4.shtml", 500, "http_error"),
        ("/col/202111/t20211101_4.shtml", 200, "ok"),
        ("/col/202111/t20211101_5.shtml", 429, "http_error"),
        ("/col/202111/t20211101_5.shtml", 200, "ok"),
        ("/col/202111/t20211101_6.shtml", 412, "blocked"),
        ("/col/202111/t20211101_7.shtml", 200, "too_large"),
        ("/col/202111/t20211101_8.shtml", 302, "redirect"),
        ("/col/202111/loop.shtml", 302, "redirect"),
        ("/col/202111/loop.shtml", 302, "redirect_loop"),
        ("/private/202111/t20211101_9.shtml", None, "robots_denied"),
        ("/col/202111/P020211101_10.pdf", 200, "unreadable"),
    ]
    assert 7.0 in clock.sleeps  # Retry-After honoured (on the session's clock)
    assert [r["title"] for r in db.query("select title from articles where source = 'bad' order by title")] == [
        "嘉兴市营商环境改革5", "杭州市营商环境改革1", "温州市营商环境改革4",
    ]
    assert db["articles"].count_where("source = 'nb'") == 4
    statuses = {r["name"]: r["last_status"] for r in db["sources"].rows}
    assert statuses == {"bad": "partial", "nb": "partial", "waf": "blocked"}
    assert db.execute("select outcome, status from fetch_log where source = 'waf' order by id").fetchall() == [("not_found", 404), ("blocked", 412)]
    assert db.execute("select error from attachments where url like '%P020211101_10.pdf'").fetchone()[0].startswith("corrupt or unreadable PDF")

    lines = result.output.splitlines()
    assert f"failed: waf: listing {waf.url('/col/index.html')}: blocked (HTTP 412: JavaScript challenge or WAF page)" in lines
    assert f"failed: bad: article {bad.url('/col/202111/t20211101_2.shtml')}: not_found (HTTP 404)" in lines
    digest = (project / "out" / f"{WEEK}.md").read_text(encoding="utf-8")
    status = digest[digest.index("## 采集失败的来源") :]
    line = next(line for line in status.splitlines() if line.startswith("- 问题网站："))
    for kind in ("页面不存在", "无法访问", "被拦截", "文件过大", "文件损坏"):
        assert kind in line, line
    assert line.endswith("；本周新增 3 篇\\")
    assert "- 设防网站：被拦截\\" in status
    assert "- 宁波网站：文件损坏；本周新增 4 篇\\" in status


def test_the_same_case_from_a_site_and_a_compilation_is_stored_once_with_both_sightings(project, prefect_harness):
    with FixtureServer(trs_routes()) as trs, FixtureServer(plain_routes()) as plain:
        project.config(
            {"name": "fgw", "title": "某省发改委", "kind": "site", "url": trs.url("/xwzx/gzdt/index.shtml")},
            {"name": "nb", "title": "宁波网站", "kind": "site", "url": plain.url("/news/list")},
        )
        run()
    db = store(project)
    rows = list(db.query("select id, title, source from articles where title like '%带押过户%'"))
    assert len(rows) == 1  # whichever source was saved first holds the article
    seen = db.execute("select source, url, position from sightings where article_id = ? order by source", [rows[0]["id"]]).fetchall()
    assert seen == [
        ("fgw", trs.url("/zcwj/tzgg/202111/P020211105512345678901.pdf"), 2),
        ("nb", plain.url("/news/2021/1108/1001.html"), None),
    ]
    assert db["articles"].count == 9 + 4 - 1
    digest = (project / "out" / f"{WEEK}.md").read_text(encoding="utf-8")
    other = ("宁波网站", plain.url("/news/2021/1108/1001.html")) if rows[0]["source"] == "fgw" else ("某省发改委", trs.url("/zcwj/tzgg/202111/P020211105512345678901.pdf"))
    assert f"另见：[{other[0]}]({other[1]})" in digest


def test_a_site_that_yielded_articles_and_now_has_no_links_is_a_failure(project, prefect_harness):
    with FixtureServer(plain_routes()) as server:
        project.config({"name": "nb", "title": "宁波网站", "kind": "site", "url": server.url("/news/list")})
        run()
        server.routes["/news/list"] = Reply(b"<html><body><div id='app'></div><script src='/app.js'></script></body></html>")
        result = run()
    db = store(project)
    assert db["sources"].get("nb")["last_status"] == "failed"
    assert f"failed: nb: no article links found on {server.url('/news/list')}: the site may have been redesigned" in result.output
    digest = (project / "out" / f"{WEEK}.md").read_text(encoding="utf-8")
    assert "- 宁波网站：找不到文章（网站可能已改版）；本周新增 4 篇\\" in digest


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('[http]\nrate = "fast"\n', "error: casewatch.toml: [http]: rate must be a number, not 'fast'"),
        ("[http]\nrobot = true\n", "error: casewatch.toml: [http]: unknown key 'robot'; expected one of: user_agent, rate, connect_timeout, read_timeout, max_bytes, retries, robots, deadline, source_budget"),
        ("[http]\nretries = -1\n", "error: casewatch.toml: [http]: retries must be a number from 0 to 10, not -1"),
        ('[[sources]]\nname = "x"\nkind = "site"\nurl = "http://a.gov.cn/"\nmax_pages = "5"\n', "error: casewatch.toml: source 'x': max_pages must be an integer, not '5'"),
        ('[[sources]]\nname = "x"\nkind = "site"\nurl = "http://a.gov.cn/"\nbody_selektor = "#zoom"\n', "error: casewatch.toml: source 'x': unknown key 'body_selektor'; expected one of: name, kind, url, title, max_pages, link_selector, title_selector, date_selector, body_selector, encoding, include, exclude, hosts, api_url, api_method, api_body, api_params, api_items, api_title, api_link, api_date, api_page_param, api_first_page, api_page_size"),
        ('[[sources]]\nname = "x"\nkind = "feed"\nurl = "http://a.gov.cn/rss"\ninclude = "("\n', "error: casewatch.toml: source 'x': include is not a valid regular expression: missing ), unterminated subpattern at position 0"),
        ('[[sources]]\nname = "x"\nkind = "site"\nurl = "a.gov.cn/col"\n', "error: casewatch.toml: source 'x': url must start with http:// or https://, not 'a.gov.cn/col'"),
        ('[[sources]]\nname = "x"\nkind = "site"\nurl = "http://a.gov.cn/"\nencoding = "gb9999"\n', "error: casewatch.toml: source 'x': unknown encoding 'gb9999'"),
    ],
)
def test_a_wrong_web_setting_is_one_line_naming_it(tmp_path, monkeypatch, text, error):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "casewatch.toml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "--week", WEEK])
    assert (result.exit_code, result.output.strip()) == (1, error)
