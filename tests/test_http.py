"""The polite session against a real local server: retries, blocking, robots, caps, pacing, encodings."""

from __future__ import annotations

import socket

import pytest

from scrapers.http import Session, decode_body, retry_after
from sites import FIXTURES, FakeClock, FixtureServer, Reply, sequence

PAGE = "<html><head><title>t</title></head><body><p>杭州市推行企业开办“一件事”改革。</p></body></html>"


def session(clock: FakeClock, **options) -> Session:
    options.setdefault("robots", False)
    options.setdefault("rate", 1000.0)
    return Session(clock=clock.clock, sleep=clock.sleep, **options)


@pytest.fixture
def clock():
    return FakeClock()


def test_requests_to_one_host_are_spaced_by_the_rate(clock):
    with FixtureServer({"/a": Reply(PAGE.encode())}) as server:
        http = session(clock, rate=2.0)
        outcomes = [http.fetch(server.url("/a")).outcome for _ in range(3)]
    assert outcomes == ["ok", "ok", "ok"]
    assert clock.sleeps == [0.5, 0.5]


def test_two_hosts_are_paced_apart(clock):
    with FixtureServer({"/a": Reply(PAGE.encode())}) as server:
        other = server.root.replace("127.0.0.1", "localhost")
        http = session(clock, rate=1.0)
        for url in (server.url("/a"), other + "/a", server.url("/a")):
            assert http.fetch(url).ok
    assert clock.sleeps == [1.0]  # only the second request to 127.0.0.1 waited


def test_429_waits_as_long_as_retry_after_says(clock):
    routes = {"/busy": sequence(Reply(b"slow down", 429, headers={"Retry-After": "7"}), Reply(PAGE.encode()))}
    with FixtureServer(routes) as server:
        response = session(clock).fetch(server.url("/busy"))
        assert server.paths() == ["/busy", "/busy"]
    assert response.outcome == "ok" and response.attempts == 2
    assert clock.sleeps == [7.0]


def test_retry_after_longer_than_the_cap_is_not_waited_for(clock):
    with FixtureServer({"/busy": Reply(b"", 429, headers={"Retry-After": "3600"})}) as server:
        response = session(clock, max_retry_after=60).fetch(server.url("/busy"))
        assert server.paths() == ["/busy"]
    assert response.outcome == "http_error" and "3600" in response.error
    assert clock.sleeps == []


def test_500_then_200_is_retried_with_exponential_backoff(clock):
    routes = {"/flaky": sequence(Reply(b"", 500), Reply(b"", 502), Reply(PAGE.encode()))}
    with FixtureServer(routes) as server:
        http = session(clock, backoff=1.0)
        response = http.fetch(server.url("/flaky"))
    assert response.outcome == "ok" and response.attempts == 3
    assert clock.sleeps == [1.0, 2.0]
    assert [entry["status"] for entry in http.log] == [500, 502, 200]


def test_persistent_503_gives_up_after_the_retries(clock):
    with FixtureServer({"/down": Reply(b"", 503)}) as server:
        response = session(clock, retries=3).fetch(server.url("/down"))
        assert len(server.paths()) == 4
    assert (response.outcome, response.status, response.error) == ("http_error", 503, "HTTP 503")
    assert clock.sleeps == [1.0, 2.0, 4.0]


@pytest.mark.parametrize(("status", "outcome"), [(404, "not_found"), (410, "not_found"), (403, "http_error"), (400, "http_error")])
def test_client_errors_are_not_retried(clock, status, outcome):
    with FixtureServer({"/x": Reply(b"<html>no</html>", status)}) as server:
        response = session(clock).fetch(server.url("/x"))
        assert server.paths() == ["/x"]
    assert response.outcome == outcome and response.status == status


def test_412_javascript_challenge_is_blocked_and_not_retried(clock):
    challenge = (FIXTURES / "errors" / "challenge_412.html").read_bytes()
    with FixtureServer({"/x": Reply(challenge, 412, headers={"Set-Cookie": "__jsluid_h=abc; path=/"})}) as server:
        response = session(clock).fetch(server.url("/x"))
        assert server.paths() == ["/x"]
    assert response.outcome == "blocked" and response.status == 412


def test_521_waf_interstitial_is_blocked_not_retried_as_a_5xx(clock):
    waf = (FIXTURES / "errors" / "waf_521.html").read_bytes()
    with FixtureServer({"/x": Reply(waf, 521, headers={"Set-Cookie": "__jsluid_s=abc; path=/"})}) as server:
        response = session(clock).fetch(server.url("/x"))
        assert server.paths() == ["/x"]
    assert response.outcome == "blocked"
    assert clock.sleeps == []


def test_challenge_served_with_200_is_blocked(clock):
    challenge = (FIXTURES / "errors" / "challenge_412.html").read_bytes()
    with FixtureServer({"/x": Reply(challenge)}) as server:
        assert session(clock).fetch(server.url("/x")).outcome == "blocked"


def test_slow_response_times_out_and_is_retried(clock):
    with FixtureServer({"/slow": Reply(PAGE.encode(), delay=1.5)}) as server:
        http = session(clock, timeout=(2.0, 0.2), retries=1)
        response = http.fetch(server.url("/slow"))
        assert server.paths() == ["/slow", "/slow"]
    assert response.outcome == "timeout" and "timed out" in response.error
    assert [entry["outcome"] for entry in http.log] == ["timeout", "timeout"]


def test_declared_huge_response_is_refused_before_reading(clock):
    with FixtureServer({"/huge": Reply(b"x" * 65536, repeat=64)}) as server:
        response = session(clock, max_bytes=1_000_000).fetch(server.url("/huge"))
    assert response.outcome == "too_large" and response.content == b""
    assert "4194304" in response.error


def test_undeclared_huge_response_is_cut_while_streaming(clock):
    with FixtureServer({"/huge": Reply(b"x" * 65536, repeat=64, length=False)}) as server:
        response = session(clock, max_bytes=1_000_000).fetch(server.url("/huge"))
    assert response.outcome == "too_large" and response.content == b""


def test_redirect_loop_is_detected(clock):
    routes = {"/a": Reply(b"", 302, headers={"Location": "/b"}), "/b": Reply(b"", 302, headers={"Location": "/a"})}
    with FixtureServer(routes) as server:
        response = session(clock).fetch(server.url("/a"))
        assert server.paths() == ["/a", "/b"]
    assert response.outcome == "redirect_loop"


def test_redirect_is_followed_to_the_final_url(clock):
    routes = {"/old": Reply(b"", 301, headers={"Location": "/new"}), "/new": Reply(PAGE.encode())}
    with FixtureServer(routes) as server:
        response = session(clock).fetch(server.url("/old"), hosts={f"127.0.0.1:{server.server_address[1]}"})
    assert response.ok and response.final_url == server.url("/new") and response.url == server.url("/old")


def test_redirect_off_the_site_is_not_followed(clock):
    with FixtureServer({"/old": Reply(b"", 302, headers={"Location": "http://localhost:1/elsewhere"})}) as server:
        response = session(clock).fetch(server.url("/old"), hosts={f"127.0.0.1:{server.server_address[1]}"})
        assert server.paths() == ["/old"]
    assert response.outcome == "offsite"


def test_offsite_url_is_never_requested(clock):
    with FixtureServer({"/a": Reply(PAGE.encode())}) as server:
        http = session(clock)
        response = http.fetch(server.url("/a"), hosts={"fgw.example.gov.cn"})
        assert server.paths() == []
    assert response.outcome == "offsite" and http.log[-1]["outcome"] == "offsite"


def test_robots_txt_is_obeyed_and_read_once_per_host(clock):
    routes = {"/robots.txt": Reply(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"), "/open": Reply(PAGE.encode())}
    with FixtureServer(routes) as server:
        http = session(clock, robots=True)
        denied = http.fetch(server.url("/private/x.html"))
        allowed = http.fetch(server.url("/open"))
        assert server.paths() == ["/robots.txt", "/open"]
    assert denied.outcome == "robots_denied" and allowed.ok


def test_robots_txt_for_our_user_agent(clock):
    robots = b"User-agent: casewatch\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    with FixtureServer({"/robots.txt": Reply(robots, content_type="text/plain"), "/a": Reply(PAGE.encode())}) as server:
        assert session(clock, robots=True).fetch(server.url("/a")).outcome == "robots_denied"
        assert session(clock, robots=True, user_agent="other-bot/1.0").fetch(server.url("/a")).ok


def test_missing_robots_txt_allows_and_unreachable_robots_txt_denies(clock):
    with FixtureServer({"/a": Reply(PAGE.encode())}) as server:
        assert session(clock, robots=True).fetch(server.url("/a")).ok
    with FixtureServer({"/robots.txt": Reply(b"", 503), "/a": Reply(PAGE.encode())}) as server:
        response = session(clock, robots=True, retries=0).fetch(server.url("/a"))
        assert "/a" not in server.paths()
    assert response.outcome == "robots_denied" and "unreachable" in response.error


def test_robots_crawl_delay_slows_the_host_down(clock):
    robots = b"User-agent: *\nCrawl-delay: 5\n"
    with FixtureServer({"/robots.txt": Reply(robots, content_type="text/plain"), "/a": Reply(PAGE.encode())}) as server:
        http = session(clock, robots=True, rate=1.0)
        http.fetch(server.url("/a"))
        http.fetch(server.url("/a"))
    assert clock.sleeps == [1.0, 5.0]  # robots.txt itself went at the configured rate


def test_conditional_request_answers_not_modified(clock):
    with FixtureServer({"/list": Reply(PAGE.encode(), etag='"v1"')}) as server:
        first = session(clock)
        assert first.fetch(server.url("/list")).ok
        assert first.validators == {server.url("/list"): ('"v1"', None)}
        second = session(clock, validators=first.validators)
        response = second.fetch(server.url("/list"))
        assert server.requests[-1].headers["if-none-match"] == '"v1"'
    assert response.outcome == "not_modified" and response.content == b""


def test_connection_refused_is_an_error_after_retries(clock):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http = session(clock, retries=2, timeout=(0.5, 0.5))
    response = http.fetch(f"http://127.0.0.1:{port}/x")
    assert response.outcome == "error" and response.attempts == 3
    assert clock.sleeps == [1.0, 2.0]


def test_every_request_is_logged_with_its_outcome(clock):
    routes = {"/ok": Reply(PAGE.encode()), "/flaky": sequence(Reply(b"", 500), Reply(b"fine"))}
    with FixtureServer(routes) as server:
        http = session(clock)
        http.fetch(server.url("/ok"))
        http.fetch(server.url("/flaky"))
        http.fetch(server.url("/missing"))
    assert [(e["url"].rsplit("/", 1)[1], e["status"], e["outcome"]) for e in http.log] == [
        ("ok", 200, "ok"),
        ("flaky", 500, "http_error"),
        ("flaky", 200, "ok"),
        ("missing", 404, "not_found"),
    ]
    assert http.log[0]["bytes"] == len(PAGE.encode()) and set(http.log[0]) == {"url", "status", "bytes", "elapsed", "outcome", "error", "at"}


def test_user_agent_is_sent(clock):
    with FixtureServer({"/a": Reply(PAGE.encode())}) as server:
        session(clock, user_agent="casewatch-test/1.0 (ops@example.org)").fetch(server.url("/a"))
        assert server.requests[0].headers["user-agent"] == "casewatch-test/1.0 (ops@example.org)"


def test_post_sends_form_fields(clock):
    with FixtureServer({"/proxy": Reply(b"<datastore/>", content_type="text/xml")}) as server:
        session(clock).fetch(server.url("/proxy?startrecord=1"), "POST", {"columnid": "1229001", "unitid": "4952181"})
        assert server.requests[0].form == {"columnid": "1229001", "unitid": "4952181"}


def test_gb2312_meta_decodes_characters_outside_gb2312():
    page = (FIXTURES / "trs" / "xwzx" / "gzdt" / "202111" / "t20211108_3405871.shtml").read_bytes()
    assert "企业代表李堃表示" in decode_body(page, "text/html")


def test_gbk_page_without_any_declaration_is_decoded():
    text = "<html><body><p>为进一步优化营商环境，杭州市将企业开办涉及的设立登记、公章刻制、申领发票等事项整合为“一件事”。</p></body></html>"
    assert decode_body(text.encode("gbk"), "text/html") == text


def test_header_charset_wins_over_meta():
    text = '<html><head><meta charset="utf-8"></head><body>营商环境</body></html>'
    assert decode_body(text.encode("gb18030"), "text/html; charset=GBK") == text


def test_wrong_header_charset_gives_way_to_meta():
    text = '<html><head><meta charset="gb2312"></head><body>营商环境，企业开办“一件事”。</body></html>'
    assert decode_body(text.encode("gb18030"), "text/html; charset=utf-8") == text


def test_latin1_default_header_gives_way_to_meta():
    text = '<html><head><meta charset="gb2312"></head><body>营商环境</body></html>'
    assert decode_body(text.encode("gb18030"), "text/html; charset=ISO-8859-1") == text


def test_retry_after_accepts_seconds_and_http_dates():
    from datetime import datetime, timezone

    now = datetime(2021, 11, 8, 10, 0, 0, tzinfo=timezone.utc)
    assert retry_after("120") == 120.0
    assert retry_after("Mon, 08 Nov 2021 10:00:30 GMT", now) == 30.0
    assert retry_after("soon") is None


def test_shared_views_pace_one_host_together_and_keep_their_own_logs(clock):
    import threading

    with FixtureServer({"/a": Reply(PAGE.encode()), "/b": Reply(PAGE.encode())}) as server:
        http = session(clock, rate=2.0)
        views = [http.share(), http.share()]
        threads = [threading.Thread(target=lambda v=v, p=p: [v.fetch(server.url(p)) for _ in range(3)]) for v, p in zip(views, ("/a", "/b"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert clock.sleeps == [0.5] * 5  # six requests to one host, one slot every half second
    assert [[e["url"].rsplit("/", 1)[1] for e in v.log] for v in views] == [["a"] * 3, ["b"] * 3]
    assert http.log == []
