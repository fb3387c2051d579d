"""Feed sources: full-text entries as they are, summary-only entries read from their pages."""

from __future__ import annotations

from datetime import date

from scrapers.feed import collect_feed
from scrapers.http import Session
from sites import FixtureServer, Reply, plain_routes

UNTIL = date(2026, 1, 1)


def fast_session(**options) -> Session:
    return Session(rate=1000.0, sleep=lambda s: None, **options)


def test_feed_entries_become_articles_and_summaries_are_read_from_their_pages():
    with FixtureServer(plain_routes()) as server:
        known = {server.url("/news/2021/1101/1003.html")}
        result = collect_feed({"name": "nb-rss", "url": server.url("/feed/rss.xml")}, fast_session(), known, until=UNTIL)
        paths = server.paths()
    # the full-text entry's page is never asked for; the known entry is skipped
    assert paths == ["/robots.txt", "/feed/rss.xml", "/news/2021/1106/1002.html"]
    assert [(a.title, a.published, a.issuer, a.url.replace(server.root, "")) for a in result.articles] == [
        # 16:30 GMT on 8 November is 00:30 on 9 November in Asia/Shanghai
        ("宁波市推行企业注销“一网通办”", "2021-11-09", None, "/news/2021/1109/2001.html"),
        ("宁波市推出“甬易办”惠企政策直达平台", "2021-11-06", "宁波日报", "/news/2021/1106/1002.html"),
    ]
    assert result.articles[0].body.startswith("宁波市依托企业注销“一网通办”平台，将市场监管、税务")
    assert result.articles[0].body.count("\n\n") == 2
    assert result.articles[1].body == "宁波市上线“甬易办”惠企政策直达平台，将分散在各部门的惠企政策集中发布，企业免申即享、即申即享。\n\n平台上线以来，已兑付惠企资金35亿元，惠及企业2.1万家。"
    assert (result.links_found, result.new_links, result.errors, result.kind) == (3, 2, [], "feed")


def test_unchanged_feed_is_not_read_again():
    routes = plain_routes()
    routes["/feed/rss.xml"].etag = '"feed-v1"'
    with FixtureServer(routes) as server:
        http = fast_session()
        source = {"name": "nb-rss", "url": server.url("/feed/rss.xml")}
        collect_feed(source, http, set(), until=UNTIL)
        server.requests.clear()
        second = collect_feed(source, fast_session(validators=http.validators), set(), until=UNTIL)
        assert server.paths() == ["/robots.txt", "/feed/rss.xml"]
    assert second.unchanged and second.articles == [] and second.status == "ok"


def test_a_page_that_is_not_a_feed_is_an_error():
    with FixtureServer({"/feed": Reply(b"<html><body>404 page with status 200</body></html>")}) as server:
        result = collect_feed({"name": "x", "url": server.url("/feed")}, fast_session(), set(), until=UNTIL)
    assert result.status == "failed" and result.errors[0].startswith(f"feed {server.url('/feed')}: no entries")


def test_atom_feed_with_full_content():
    body = "<p>" + "衢州市推行“一件事”集成改革，平均减少材料55%。" * 12 + "</p>"
    atom = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:x</id><updated>2021-11-10T08:00:00+08:00</updated>
<entry><title>衢州市推行“一件事”集成改革</title><link href="http://www.example.gov.cn/art/2021/11/10/art_1_1.html"/>
<id>urn:1</id><published>2021-11-10T08:00:00+08:00</published><content type="html"><![CDATA[{body}]]></content></entry></feed>"""
    with FixtureServer({"/atom.xml": Reply(atom.encode(), content_type="application/atom+xml")}) as server:
        result = collect_feed({"name": "x", "url": server.url("/atom.xml")}, fast_session(), set(), until=UNTIL)
        assert server.paths() == ["/robots.txt", "/atom.xml"]
    assert [(a.title, a.published, a.region) for a in result.articles] == [("衢州市推行“一件事”集成改革", "2021-11-10", "浙江省衢州市")]
