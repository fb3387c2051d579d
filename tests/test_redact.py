"""Secrets in source URLs: fetched with, never shown or stored.

A source configured as `http://user:pw@host/feed.xml?token=s3cr3t` is fetched with its
credentials and token, while the store, the digest, the run's output and every log line
(casewatch's, Prefect's run logs, urllib3's debug lines, exceptions) hold only
`http://***@host/feed.xml?token=***`.
"""

from __future__ import annotations

import base64
import functools
import logging
import sqlite3
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import sqlite_utils
from click.testing import CliRunner

import store
from casewatch import pipeline
from casewatch.cli import cli
from casewatch.logs import install_redaction
from model_files import install_model
from scrapers import Article, SourceResult
from scrapers.documents import unread_key
from scrapers.http import Session
from scrapers.redact import is_secret_param, redact_text, redact_url
from scrapers.urls import canonical_url
from sites import FakeClock, FixtureServer, Reply, Request

SECRET, PASSWORD = "s3cr3t", "pw"
LEAKS = (SECRET, f"{PASSWORD}@", f"user:{PASSWORD}")
WEEK = "2026-W48"


def leaks(text: str) -> list[str]:
    """The secrets that `text` gives away."""
    return [secret for secret in LEAKS if secret in text]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://user:pw@example.gov.cn/feed.xml?token=s3cr3t", "http://***@example.gov.cn/feed.xml?token=***"),
        ("https://TOKEN123@api.example.org/x", "https://***@api.example.org/x"),
        ("http://u:p@ss@h.cn/a", "http://***@h.cn/a"),  # an unescaped "@" in the password
        ("not 'user:pw@a.gov.cn/rss'", "not '***@a.gov.cn/rss'"),  # no scheme: a mistyped URL
        ("https://h.cn/a?page=2&Access-Token=abc&id=7#top", "https://h.cn/a?page=2&Access-Token=***&id=7#top"),
        ("https://h.cn/a?API_KEY=1&sign=2&sig=3&pwd=4&ticket=ST-5&x=6", "https://h.cn/a?API_KEY=***&sign=***&sig=***&pwd=***&ticket=***&x=6"),
        ("https://h.cn/list.jsp;jsessionid=A1B2?col=3", "https://h.cn/list.jsp;jsessionid=***?col=3"),
        ("https://h.cn/cb#access_token=abc&state=1", "https://h.cn/cb#access_token=***&state=1"),
        ("https://s3.example.com/f.pdf?X-Amz-Security-Token=a%2Fb&X-Amz-Signature=c", "https://s3.example.com/f.pdf?X-Amz-Security-Token=***&X-Amz-Signature=***"),
        # requests' messages quote the path alone; HTML escapes "&"; Markdown wraps links; Chinese follows
        ("HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: /f.xml?token=s3cr3t (Caused by X)",
         "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: /f.xml?token=*** (Caused by X)"),
        ('<a href="https://h.cn/a?id=1&amp;token=s3cr3t">', '<a href="https://h.cn/a?id=1&amp;token=***">'),
        ("cannot fetch http://h.cn/f.pdf?token=s3cr3t: 404 Client Error", "cannot fetch http://h.cn/f.pdf?token=***: 404 Client Error"),
        ("see https://h.cn/?key=a:b.c.", "see https://h.cn/?key=***."),
        ("[案例](https://h.cn/a?key=s3cr3t)，另见", "[案例](https://h.cn/a?key=***)，另见"),
        # not secrets: page identities, empty values, e-mail addresses, text without URLs
        ("https://h.cn/a?id=5&sid=12&code=330100&token=", "https://h.cn/a?id=5&sid=12&code=330100&token="),
        ("请联系 ops@example.org，电话 0571-1234；联系人:张三@某局", "请联系 ops@example.org，电话 0571-1234；联系人:张三@某局"),
        ("mailto:ops@example.org", "mailto:ops@example.org"),
    ],
)  # fmt: skip
def test_credentials_and_secret_parameters_are_masked_and_the_rest_kept(text, shown):
    assert redact_text(text) == shown
    assert redact_text(shown) == shown  # idempotent: a redacted URL is a stable key


def test_secret_parameter_names_are_matched_whatever_their_case_and_dashes():
    assert all(is_secret_param(name) for name in ("TOKEN", "csrf_token", "x-amz-security-token", "client_secret", "AppKey", "PHPSESSID"))
    assert not any(is_secret_param(name) for name in ("id", "sid", "page", "columnid", "keyword", "code", "uid"))
    assert redact_url(None) is None and redact_text("") == ""


def test_one_page_with_two_tokens_is_one_canonical_url_without_the_secret():
    first = canonical_url("http://user:pw@Example.gov.cn/art/1.html?b=2&token=s3cr3t&utm_source=x")
    assert first == canonical_url("https://example.gov.cn/art/1.html?token=rotated&b=2") == "https://example.gov.cn/art/1.html?b=2&token=***"
    assert canonical_url(first) == first


def test_the_session_fetches_with_the_secret_and_logs_and_keys_validators_without_it():
    def page(request: Request) -> Reply:
        query = dict(parse_qsl(urlsplit(request.path).query))
        authorised = request.headers.get("authorization") == "Basic " + base64.b64encode(b"user:pw").decode()
        return Reply(b"<html><body>ok</body></html>", etag='"v1"') if authorised and query.get("token") == SECRET else Reply(b"", 401)

    with FixtureServer({"/robots.txt": Reply(b"", 404), "/a.html": page}) as server:
        url = server.url("/a.html?token=s3cr3t").replace("http://", "http://user:pw@")
        clock = FakeClock()
        with Session(rate=1000, clock=clock.clock, sleep=clock.sleep) as session:
            assert session.fetch(url).ok
            assert session.fetch(url).outcome == "not_modified"  # the validator found under the redacted URL
        shown = server.url("/a.html?token=***").replace("http://", "http://***@")
        assert [(e["url"], e["outcome"]) for e in session.log] == [
            (shown.replace("/a.html?token=***", "/robots.txt"), "not_found"), (shown, "ok"), (shown, "not_modified"),
        ]
        assert session.validators == {shown: ('"v1"', None)}


@pytest.fixture
def record_factory():
    """Leaves the process's LogRecord factory as it found it."""
    before = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(before)


def test_every_log_record_is_redacted_whoever_logs_it(record_factory, caplog):
    install_redaction()
    factory = logging.getLogRecordFactory()
    install_redaction()
    assert logging.getLogRecordFactory() is factory  # installed once, not wrapped twice
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3.connectionpool").debug('%s://%s:%s "%s %s %s" %s %s', "http", "h.cn", 80, "GET", "/f.xml?token=s3cr3t", "HTTP/1.1", 200, 10)
    try:
        requests.get("http://user:pw@127.0.0.1:9/f.xml?token=s3cr3t", timeout=1)
    except requests.ConnectionError:
        logging.getLogger("casewatch.test").exception("collect failed")
    assert 'http://h.cn:80 "GET /f.xml?token=*** HTTP/1.1" 200 10' in caplog.text
    assert "Max retries exceeded with url: /f.xml?token=***" in caplog.text
    assert leaks(caplog.text) == []


# ---------------------------------------------------------------------------------------------
# A whole run against sources whose URLs carry credentials and a token


def guarded(reply: Reply, auth: bool = True):
    """A route that answers only a request carrying the token (and basic auth user:pw when `auth`)."""

    def answer(request: Request) -> Reply:
        query = dict(parse_qsl(urlsplit(request.path).query))
        if query.get("token") != SECRET:
            return Reply(b"<html><body>403 token required</body></html>", 403)
        if auth and request.headers.get("authorization") != "Basic " + base64.b64encode(f"user:{PASSWORD}".encode()).decode():
            return Reply(b"<html><body>401</body></html>", 401, headers={"WWW-Authenticate": 'Basic realm="x"'})
        return reply

    return answer


def article_page(title: str, body: str) -> Reply:
    html = (
        f"<html><head><meta name='ArticleTitle' content='{title}'><meta name='PubDate' content='2026-11-20'></head>"
        f"<body><div class='TRS_Editor'><p>{body}</p></div></body></html>"
    )
    return Reply(html.encode(), etag=f'"{len(html)}"')


def feed_xml(root: str) -> bytes:
    full = "宁波市依托企业注销“一网通办”平台，将市场监管、税务、人力社保、商务、海关等部门的注销业务整合办理，企业只需登录一个平台、填报一次信息，即可同步办理各部门注销手续。" * 3
    items = (
        f"<item><title>宁波市推行企业注销“一网通办”</title><link>{root}/news/1.html?token={SECRET}</link>"
        f"<pubDate>Fri, 20 Nov 2026 02:00:00 GMT</pubDate><content:encoded><![CDATA[<p>{full}</p>]]></content:encoded></item>"
        f"<item><title>宁波市推出惠企政策直达平台</title><link>{root}/news/2.html?token={SECRET}</link>"
        "<pubDate>Thu, 19 Nov 2026 02:00:00 GMT</pubDate><description>宁波市上线惠企政策直达平台……</description></item>"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>营商动态</title><link>{root}/</link>{items}</channel></rss>"
    ).encode()


COMPILATION = (
    "营商环境典型案例汇编\n\n"
    "案例1：杭州市推行企业开办“一件事”集成改革\n杭州市将企业开办涉及的设立登记、公章刻制、申领发票、社保登记等事项整合为“一件事”，实行一表申请、一窗发放，企业开办时间压缩至1个工作日以内。\n\n"
    "案例2：宁波市推行不动产登记“带押过户”\n宁波市在二手房交易中推行“带押过户”模式，买卖双方无需提前归还原有贷款即可完成转移登记，办理时间压缩至1个工作日。\n"
)


def secret_site(root: str) -> dict:
    """A column, its articles (signed links), a feed and a compilation, all behind the token and basic auth."""
    listing = "".join(
        f'<li><a href="art/t2026112{n}_{n}.html?token={SECRET}">营商环境案例{n}</a><span>2026-11-2{n}</span></li>' for n in (1, 2)
    )
    listing_page = f"<html><body><ul>{listing}</ul></body></html>".encode()
    return {
        "/robots.txt": Reply(b"User-agent: *\nAllow: /\n", content_type="text/plain"),
        "/col/index.html": guarded(Reply(listing_page, etag='"list-1"')),
        "/col/art/t20261121_1.html": guarded(article_page("温州市推行“个转企”一件事改革", "温州市推行个体工商户转型为企业“一件事”改革，变更登记、税务、社保等事项一次办结，办理时间压缩至1个工作日。")),
        "/col/art/t20261122_2.html": guarded(article_page("嘉兴市推行“交地即发证”", "嘉兴市推行工业用地“交地即发证”，企业在签订土地出让合同、缴清出让价款后当天即可领取不动产权证书。")),
        "/feed.xml": guarded(Reply(feed_xml(root), content_type="application/rss+xml; charset=utf-8", etag='"feed-1"')),
        "/news/1.html": guarded(article_page("宁波市推行企业注销“一网通办”", "宁波市推行企业注销一网通办。"), auth=False),
        "/news/2.html": guarded(article_page("宁波市推出惠企政策直达平台", "宁波市上线惠企政策直达平台，将分散在各部门的惠企政策集中发布，企业免申即享、即申即享，已兑付惠企资金35亿元。"), auth=False),
        "/files/compilation.txt": guarded(Reply(COMPILATION.encode(), content_type="text/plain; charset=utf-8")),
    }


def with_secrets(url: str) -> str:
    """The URL with the credentials and the token a configuration would give it."""
    return url.replace("http://", f"http://user:{PASSWORD}@") + ("&" if "?" in url else "?") + f"token={SECRET}"


def write_config(path, *sources: dict) -> None:
    text = (
        '[store]\ndb = "cw.db"\n[digest]\ndir = "out"\n[classify]\nmodel = "models/indicators.pkl"\n'
        "[http]\nrate = 1000.0\nretries = 1\nread_timeout = 2.0\n"
    )
    for source in sources:
        text += "[[sources]]\n" + "".join(f'{key} = "{value}"\n' for key, value in source.items())
    (path / "casewatch.toml").write_text(text, encoding="utf-8")


@pytest.fixture
def workdir(tmp_path, model_path, monkeypatch):
    """A project directory with a trained model, the run's session on a fake clock."""
    install_model(model_path, tmp_path / "models")
    monkeypatch.chdir(tmp_path)
    fake = FakeClock()
    monkeypatch.setattr(pipeline, "Session", functools.partial(Session, clock=fake.clock, sleep=fake.sleep))
    return tmp_path


def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens (a source whose server is down)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def text_values(path) -> list[tuple[str, str, str]]:
    """(table, column, value) for every text value of every table of a SQLite file."""
    conn = sqlite3.connect(path)
    found = []
    for (table,) in conn.execute("select name from sqlite_master where type = 'table'"):
        cursor = conn.execute(f"select * from [{table}]")
        columns = [c[0] for c in cursor.description]
        found += [(table, column, value) for row in cursor for column, value in zip(columns, row) if isinstance(value, str)]
    conn.close()
    return found


def prefect_logs(since: datetime) -> str:
    """Every run log the Prefect API received since `since`, one message a line."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterTimestamp
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    messages: list[str] = []
    with get_client(sync_client=True) as client:
        while True:  # the API answers at most 200 at a time
            page = client.read_logs(LogFilter(timestamp=LogFilterTimestamp(after_=since)), limit=200, offset=len(messages))
            messages += [log.message for log in page]
            if len(page) < 200:
                return "\n".join(messages)


class Collect(logging.Handler):
    """A handler that keeps every record it is given, formatted (tracebacks included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def library_logs(monkeypatch):
    """Every record of urllib3 (at DEBUG: its request lines quote the query) and requests.

    (Prefect's loggers do not propagate: their lines are read from the run's output and its API.)
    """
    collect = Collect()
    for name in ("urllib3", "requests"):
        logger = logging.getLogger(name)
        logger.addHandler(collect)
        monkeypatch.setattr(logger, "level", logger.level)  # restored after the test
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    yield collect
    for name in ("urllib3", "requests"):
        logging.getLogger(name).removeHandler(collect)


def test_a_run_with_secret_bearing_sources_shows_and_stores_none_of_their_secrets(workdir, prefect_harness, record_factory, library_logs):
    started = datetime.now(timezone.utc)
    with FixtureServer() as server:
        server.routes.update(secret_site(server.root))
        down = f"http://127.0.0.1:{free_port()}"
        write_config(
            workdir,
            {"name": "fgw", "title": "某省发改委", "kind": "site", "url": with_secrets(server.url("/col/index.html"))},
            {"name": "nb-rss", "title": "宁波营商动态", "kind": "feed", "url": with_secrets(server.url("/feed.xml"))},
            {"name": "pdf", "title": "案例汇编", "kind": "document", "url": with_secrets(server.url("/files/compilation.txt"))},
            {"name": "gone", "title": "已下线的汇编", "kind": "document", "url": with_secrets(server.url("/files/missing.pdf"))},
            {"name": "down-site", "title": "停机网站", "kind": "site", "url": with_secrets(f"{down}/col/index.html")},
            {"name": "down-pdf", "title": "停机汇编", "kind": "document", "url": with_secrets(f"{down}/files/c.pdf")},
        )
        first = CliRunner().invoke(cli, ["run", "--week", WEEK, "--no-send"], catch_exceptions=False)
        assert first.exit_code == 0, first.output
        assert "week 2026-W48: 6 new article(s), 6 classified" in first.output  # 2 pages, 2 entries, 2 cases
        assert server.paths() and all(SECRET in p for p in server.paths() if p != "/robots.txt")  # fetched with the token

        server.requests.clear()
        second = CliRunner().invoke(cli, ["run", "--week", WEEK, "--no-send"], catch_exceptions=False)
        assert "0 new article(s)" in second.output
        # No article is asked for again: the column and the feed answer 304 to the validators kept under
        # their redacted URLs, and their articles are known by redacted canonical URLs.
        assert sorted({urlsplit(p).path for p in server.paths()}) == ["/col/index.html", "/feed.xml", "/files/compilation.txt", "/files/missing.pdf", "/robots.txt"]

    db = sqlite_utils.Database(workdir / "cw.db")
    shown = server.url("/feed.xml?token=***").replace("http://", "http://***@")
    assert db["sources"].get("nb-rss")["location"] == shown
    assert db.execute("select outcome from fetch_log where url = ? order by id", [shown]).fetchall() == [("ok",), ("not_modified",)]
    assert db["articles"].count_where("url like '%token=***'") == 6
    failures = {row[0]: row[1] for row in db.execute("select source, error from fetch_errors")}
    # Documents on the web are fetched through the run's polite session, as sites and feeds are.
    assert f"cannot fetch {down}/files/c.pdf?token=***: ".replace("http://", "http://***@") in failures["down-pdf"]
    assert f"cannot fetch {server.url('/files/missing.pdf?token=***')}: not_found (HTTP 404)".replace("http://", "http://***@") in failures["gone"]
    assert f"listing {down}/col/index.html?token=***".replace("http://", "http://***@") in failures["down-site"]

    stored = [(table, column) for table, column, value in text_values(workdir / "cw.db") if leaks(value)]
    assert stored == []
    for path in sorted((workdir / "out").iterdir()):
        assert leaks(path.read_text(encoding="utf-8")) == [], path.name
    shown_down = down.replace("http://", "http://***@")
    assert f"failed: c.pdf: cannot fetch {shown_down}/files/c.pdf?token=***: robots_denied (robots.txt unreachable" in first.output
    assert leaks(first.output + second.output) == []
    logged = "\n".join(library_logs.lines)
    assert '"GET /feed.xml?token=*** HTTP/1.1" 200' in logged
    assert leaks(logged) == []
    run_logs = prefect_logs(started)
    assert "token=***" in run_logs and leaks(run_logs) == []


# ---------------------------------------------------------------------------------------------
# Stores written before redaction


def test_a_store_written_before_redaction_has_its_secrets_masked_in_place(tmp_path):
    path = tmp_path / "cw.db"
    db = store.open_db(path)
    page, rotated = "http://user:pw@a.gov.cn/art/1.html?token=s3cr3t", "http://user:pw@a.gov.cn/art/1.html?token=old"
    feed = "http://user:pw@a.gov.cn/feed.xml?token=s3cr3t"
    # What casewatch stored before it redacted: the URLs as configured and fetched.
    db["sources"].insert({"name": "a", "kind": "feed", "location": feed, "last_error": f"feed {feed}: timeout"}, pk="name")
    db["runs"].insert({"id": "r1", "week": WEEK, "status": "partial", "error": f"feed {feed}: timeout"}, pk="id")
    db["fetch_errors"].insert({"run": "r1", "source": "a", "error": "error (ConnectionError: Max retries exceeded with url: /feed.xml?token=s3cr3t)"})
    db["fetch_log"].insert_all([{"run": "r1", "source": "a", "url": feed, "outcome": "ok"}, {"run": "r1", "source": "a", "url": page, "outcome": "ok"}])
    db["http_cache"].insert_all([{"url": feed, "etag": '"1"'}, {"url": "https://b.gov.cn/x", "etag": '"2"'}], pk="url")
    db["known_urls"].insert_all([{"canonical_url": "https://a.gov.cn/art/1.html?token=s3cr3t"}, {"canonical_url": "https://a.gov.cn/art/1.html?token=old"}], pk="canonical_url")
    db["attachments"].insert({"url": "http://user:pw@a.gov.cn/f.pdf?sig=s3cr3t", "article_url": page, "source": "a"}, pk="url")
    never_read = "http://user:pw@a.gov.cn/c.pdf?token=s3cr3t"
    db["documents"].insert({"sha256": unread_key(never_read), "name": "c.pdf", "url": never_read, "status": "failed", "error": f"cannot fetch {never_read}: 404"}, pk="sha256")
    store.save_articles(db, [Article("案例", "正文。", page, "a"), Article("案例二", "正文二。", rotated, "a")], WEEK, "2026-11-23T00:00:00+00:00")
    db.conn.execute("update articles set url = ?", [page])
    db.conn.executemany("update sightings set url = ?, key = ? where article_id = ?", [
        (u, store.dedup.sighting_key(a, u, "a", None, None), a) for a, u in zip(sorted(r[0] for r in db.execute("select id from articles")), (page, rotated))
    ])  # fmt: skip
    db["digests"].insert({"week": WEEK, "markdown": f"[案例]({page})", "html": f'<a href="{page}&amp;sig=s3cr3t">案例</a>'}, pk="week")
    db.conn.execute("delete from _sqlite_migrations where name = '0004_redact_secrets'")
    db.conn.execute("pragma user_version = 3")
    db.conn.commit()
    db.close()
    assert [t for t, _, v in text_values(path) if leaks(v)]  # the secrets are there before

    db = store.open_db(path)
    assert store.schema_version(db) == 7 and [(t, c) for t, c, v in text_values(path) if leaks(v)] == []
    assert db["sources"].get("a")["location"] == "http://***@a.gov.cn/feed.xml?token=***"
    assert [r["url"] for r in db["http_cache"].rows_where(order_by="url")] == ["http://***@a.gov.cn/feed.xml?token=***", "https://b.gov.cn/x"]
    # One page known once (the two tokens were one page), under the key a collector computes now.
    assert [r[0] for r in db.execute("select canonical_url from known_urls")] == [canonical_url(page)]
    # A document never read is keyed by its redacted URL, as the next failed read records it.
    assert [r["sha256"] for r in db["documents"].rows] == [unread_key(redact_url(never_read))]
    # Sightings are re-keyed: saving the same places again adds none.
    before = db["sightings"].count
    store.save_source_result(db, SourceResult("a", "feed", articles=[Article("案例", "正文。", page, "a")]), feed, "r2", WEEK)
    assert db["sightings"].count == before
    assert db["digests"].get(WEEK)["html"] == '<a href="http://***@a.gov.cn/art/1.html?token=***&amp;sig=***">案例</a>'


def test_a_configuration_error_quoting_a_secret_url_shows_it_redacted(tmp_path, monkeypatch, record_factory):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "casewatch.toml").write_text('[[sources]]\nname = "x"\nkind = "feed"\nurl = "user:pw@a.gov.cn/rss?token=s3cr3t"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "--week", WEEK])
    assert (result.exit_code, result.output.strip()) == (
        1, "error: casewatch.toml: source 'x': url must start with http:// or https://, not '***@a.gov.cn/rss?token=***'",
    )


def test_the_digest_shows_no_secret_even_from_rows_another_tool_wrote(tmp_path):
    import digests

    db = store.open_db(tmp_path / "cw.db")
    page = "http://user:pw@a.gov.cn/art/1.html?token=s3cr3t"
    db["sources"].insert({"name": "a", "title": "某网站", "kind": "site", "location": page, "last_run": "2026-11-23T00:00:00+00:00"}, pk="name")
    db["runs"].insert({"id": "r1", "week": WEEK, "status": "partial"}, pk="id")
    db["fetch_errors"].insert({"run": "r1", "source": "a", "error": f"article {page}: timeout", "at": "2026-11-23T00:00:00+00:00"})
    db["articles"].insert({"id": "x1", "title": "杭州市推行企业开办一件事", "body": "企业开办时间压缩至1个工作日。", "url": page, "source": "a", "week": WEEK}, pk="id")
    db["sightings"].insert({"article_id": "x1", "url": page.replace("/1.html", "/2.html"), "source": "a", "key": "k"})
    path = digests.write_digest(db, WEEK, tmp_path / "out")
    for text in (path.read_text(encoding="utf-8"), path.with_suffix(".html").read_text(encoding="utf-8")):
        assert "a.gov.cn/art/1.html?token=***" in text and leaks(text) == []
    assert leaks(" ".join(str(v) for v in db["digests"].get(WEEK).values())) == []
