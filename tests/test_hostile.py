"""A hostile or unlucky web (issue: "A hostile web stalls nothing and loses nothing"): servers that
trickle, listings without end, feeds that point inside the machine, configurations that would
turn politeness off, and a run asked to stop while it waits on a slow server."""

from __future__ import annotations

import signal
import time

import pytest
import sqlite_utils

from casewatch.config import ConfigError, load_config
from processes import Command, environment
from scrapers import deadlines
from scrapers.http import Session, is_private_host
from sites import FixtureServer, Reply

SLOW_PAGE = "<html><head><title>慢</title></head><body>" + "营商环境" * 2000 + "</body></html>"
# One byte every 50 ms: every read returns well within any read timeout, the answer never ends.
TRICKLE = Reply(SLOW_PAGE.encode(), trickle=0.05)


def listing(n: int) -> bytes:
    """A column page that always has a next page: an endless pager."""
    links = "".join(f'<li><a href="/art/t20261120_{n * 10 + i}.html">某地推行企业开办一网通办改革第{n}-{i}篇</a></li>' for i in range(3))
    return (
        f'<html><body><ul class="list">{links}</ul><a href="/col/index_{n}.html">下一页</a></body></html>'
    ).encode()


def article(title: str) -> bytes:
    body = "某市推行企业开办全程网办，" * 40
    return f'<html><head><title>{title}</title></head><body><div class="TRS_Editor"><p>{body}</p></div></body></html>'.encode()


def session(**kwargs) -> Session:
    return Session(rate=1000.0, retries=2, timeout=(2.0, 5.0), robots=False, **kwargs)


# 1. A deadline for every answer and every source; a stop reaches requests in flight.


def test_a_trickling_answer_is_cut_at_its_deadline_and_recorded_as_a_timeout():
    with FixtureServer({"/slow.html": TRICKLE}) as server, session(deadline=1.0) as http:
        response = http.fetch(server.url("/slow.html"))
    assert response.outcome == "timeout" and "not complete within 1 s" in response.error
    assert response.content == b"" and response.attempts == 1  # a trickle is not asked again
    assert [entry["outcome"] for entry in http.log] == ["timeout"]


def test_a_source_past_its_budget_makes_no_more_requests():
    with FixtureServer({"/slow.html": TRICKLE, "/fast.html": Reply(article("快"))}) as server, session(deadline=60.0) as http:
        view = http.for_source(server.root + "/", budget=1.0)
        slow = view.fetch(server.url("/slow.html"))
        fast = view.fetch(server.url("/fast.html"))
    assert slow.outcome == "timeout" and "budget" in slow.error
    assert fast.outcome == "timeout" and "budget of 1 s is spent" in fast.error and view.spent
    assert server.paths() == ["/slow.html"]


def test_a_stop_cuts_a_request_in_flight_and_refuses_the_next():
    import threading

    with FixtureServer({"/slow.html": TRICKLE, "/fast.html": Reply(article("快"))}) as server, session(deadline=600.0) as http:
        threading.Timer(0.5, deadlines.request_stop, args=["stopped by SIGTERM"]).start()
        try:
            slow = http.fetch(server.url("/slow.html"))
            fast = http.fetch(server.url("/fast.html"))
        finally:
            deadlines.reset_stop()
    assert slow.outcome == "stopped" and slow.error == "stopped by SIGTERM"
    assert fast.outcome == "stopped" and server.paths() == ["/slow.html"]


def test_sigterm_stops_a_run_waiting_on_a_trickling_site_and_keeps_what_was_complete(project, prefect_harness):
    routes = {"/col/index.html": Reply(listing(1)), **{f"/art/t20261120_{10 + i}.html": TRICKLE for i in range(3)}}
    with FixtureServer(routes) as server:
        config = project / "casewatch.toml"
        config.write_text(
            config.read_text(encoding="utf-8")
            + f'[[sources]]\nname = "slow"\nkind = "site"\nurl = "{server.url("/col/index.html")}"\n'
            + "[http]\nrobots = false\nrate = 100.0\ndeadline = 3600\nsource_budget = 3600\n",
            encoding="utf-8",
        )
        command = Command(project, ["run", "--week", "2026-W48", "--no-send"], environment(), project / "run.log")
        deadline = time.monotonic() + 300
        while "/art/t20261120_10.html" not in server.paths():
            assert command.process.poll() is None and time.monotonic() < deadline, command.output()
            time.sleep(0.05)
        command.process.send_signal(signal.SIGTERM)
        code = command.finish(timeout=120)  # without the stop it would wait for 8,000 bytes at 20 a second
    output = command.output()
    assert code == 1 and "stopped by SIGTERM" in output, output
    db = sqlite_utils.Database(project / "cw.db")
    run = db.execute("select status, error from runs").fetchone()
    assert run[0] == "failed" and "stopped by SIGTERM" in run[1]
    # Every document stored is stored whole: its cases are all there.
    for name, count in db.execute("select name, articles from documents where status = 'ok'").fetchall():
        assert db.execute("select count(*) from articles where document = (select sha256 from documents where name = ?)", [name]).fetchone()[0] == count


# 2. One rule for following links: the source's hosts, never a private address from a public source.


def feed(*links: str) -> bytes:
    items = "".join(
        f"<item><title>条目{i}</title><link>{link}</link><description>摘要…</description></item>" for i, link in enumerate(links)
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def test_a_feed_does_not_follow_entries_to_other_hosts_or_ports():
    from scrapers.feed import collect_feed

    with FixtureServer({"/internal.html": Reply(article("内部页面"))}) as internal, FixtureServer() as public:
        public.routes["/feed.xml"] = Reply(
            feed(internal.url("/internal.html"), f"http://localhost:{public.server_address[1]}/art/1.html"),
            content_type="application/rss+xml",
        )
        public.routes["/moved.html"] = Reply(b"", 302, headers={"Location": internal.url("/internal.html")})
        with session() as http:
            source = {"name": "f", "kind": "feed", "url": public.url("/feed.xml")}
            result = collect_feed(source, http.for_source(source["url"]), set())
    assert internal.paths() == [] and not result.articles
    assert sum("leaves the site" in error for error in result.errors) == 2


def test_a_public_source_never_reaches_a_private_address_even_through_its_hosts():
    assert is_private_host("http://127.0.0.1:8080/") and is_private_host("http://localhost/") and is_private_host("http://10.1.2.3/")
    assert is_private_host("http://169.254.169.254/latest/meta-data/") and is_private_host("http://[::1]/")
    assert not is_private_host("http://8.8.8.8/")
    with FixtureServer({"/x.html": Reply(article("内部"))}) as internal, session() as http:
        view = http.for_source("https://8.8.8.8/col/index.html")
        response = view.fetch(internal.url("/x.html"), hosts={"8.8.8.8", f"127.0.0.1:{internal.server_address[1]}"})
        assert response.outcome == "offsite" and "private address" in response.error and internal.paths() == []
        own = http.for_source(internal.url("/col/index.html"))  # a source on the machine itself may read it
        assert own.fetch(internal.url("/x.html")).ok


# 8. Endless pagination ends: max_pages is bounded and a backfill has its own page budget.


def test_a_backfill_of_an_endless_column_stops_at_its_page_limit_and_says_so(project, prefect_harness):
    from click.testing import CliRunner

    from casewatch.cli import cli

    def page(request):
        n = int(request.path.rsplit("_", 1)[1].split(".")[0]) + 1 if request.path != "/col/index.html" else 1
        return Reply(listing(n))

    with FixtureServer() as server:
        server.routes.update({f"/col/index_{n}.html": page for n in range(1, 200)})
        server.routes["/col/index.html"] = page
        for n in range(1, 200):
            for i in range(3):
                server.routes[f"/art/t20261120_{n * 10 + i}.html"] = Reply(article(f"某地推行企业开办一网通办改革第{n}-{i}篇"))
        config = project / "casewatch.toml"
        config.write_text(
            config.read_text(encoding="utf-8")
            + f'[[sources]]\nname = "endless"\nkind = "site"\nurl = "{server.url("/col/index.html")}"\n'
            + "[http]\nrobots = false\nrate = 1000.0\n[backfill]\nmax_pages = 4\n",
            encoding="utf-8",
        )
        result = CliRunner().invoke(
            cli, ["backfill", "--config", str(config), "--source", "endless", "--since", "2000-01-01"], catch_exceptions=False
        )
    listings = [p for p in server.paths() if p.startswith("/col/")]
    assert len(listings) == 4, result.output
    assert "backfill stopped after 4 listing page(s)" in result.output, result.output


# 9. Every number of the configuration has bounds; addresses and the time zone are checked at start.


@pytest.mark.parametrize(
    "text, error",
    [
        ("[http]\nrate = nan\n", "rate must be a number from 0.001 to 1000, not nan"),
        ("[http]\nread_timeout = inf\n", "read_timeout must be a number from 0.1 to 600"),
        ("[http]\nread_timeout = nan\n", "read_timeout must be a number"),
        ("[http]\nretries = 1000000\n", "retries must be a number from 0 to 10"),
        ("[http]\ndeadline = 0\n", "deadline must be a number from 1 to 3600"),
        ("[http]\nmax_bytes = -1\n", "max_bytes must be a number"),
        ('[[sources]]\nname = "s"\nkind = "site"\nurl = "https://a.gov.cn/"\nmax_pages = 1000000000\n', "max_pages must be a number from 1 to 1000"),
        ("[backfill]\nmax_pages = 0\n", "[backfill]: max_pages must be a number from 1 to 100000"),
        ('[email]\nto = ["a@b.org\\r\\nBcc: evil@x.org"]\n', "is not an e-mail address"),
        ('[email]\nto = ["not an address"]\n', "is not an e-mail address"),
        ('[digest]\ntimezone = "Mars/Olympus"\n', "timezone must be an IANA time zone"),
        ('[schedule]\ntimezone = "Mars/Olympus"\n', "timezone must be an IANA time zone"),
    ],
)
def test_a_number_or_address_that_would_break_the_run_is_refused_at_start(tmp_path, text, error):
    path = tmp_path / "casewatch.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert error in str(raised.value)


def test_named_addresses_and_sane_numbers_are_accepted(tmp_path):
    path = tmp_path / "casewatch.toml"
    path.write_text('[email]\nto = ["办公室 <office@example.org>", "a@b.org"]\n[http]\nrate = 0.5\nretries = 0\n', encoding="utf-8")
    config = load_config(path)
    assert config.email_to == ["办公室 <office@example.org>", "a@b.org"] and config.http.rate == 0.5


def test_backoff_between_tries_is_capped():
    from scrapers.http import MAX_BACKOFF
    from sites import FakeClock

    clock = FakeClock()
    start = clock.now
    with FixtureServer({"/down.html": Reply(b"down", 503)}) as server:
        http = Session(rate=1000.0, retries=10, backoff=30.0, robots=False, clock=clock.clock, sleep=clock.sleep)
        response = http.fetch(server.url("/down.html"))
    assert response.attempts == 11 and response.outcome == "http_error"
    assert clock.now - start == 30 + 9 * MAX_BACKOFF  # doubling from 30 s would have waited 30 * (2**10 - 1) s


# 3. Secrets never reach Prefect: the backfill flow gets URLs redacted, the task fetches with the secret.


def test_a_backfill_url_with_a_password_and_token_reaches_prefect_redacted(project, prefect_harness, sample_text):
    from click.testing import CliRunner
    from prefect.client.orchestration import get_client

    from casewatch.cli import cli

    compilation = sample_text("004").encode("utf-8")

    def document(request):
        # Only a request with the credentials gets the file: the fetch used the real URL.
        if request.headers.get("authorization") and "SECRETTOKEN42" in request.path:
            return Reply(compilation, content_type="text/plain; charset=utf-8")
        return Reply(b"no", 401)

    with FixtureServer({"/files/cases.txt": document}) as server:
        url = f"http://analyst:PASSWORD42@127.0.0.1:{server.server_address[1]}/files/cases.txt?token=SECRETTOKEN42"
        config = project / "casewatch.toml"
        config.write_text(config.read_text(encoding="utf-8") + "[http]\nrobots = false\n", encoding="utf-8")
        result = CliRunner().invoke(cli, ["backfill", "--config", str(config), url], catch_exceptions=False)
    assert result.exit_code == 0 and "backfill: 10 new article(s)" in result.output, result.output
    with get_client(sync_client=True) as client:
        runs = [run for run in client.read_flow_runs() if run.parameters.get("locations")]
        stored = [repr(run.parameters) for run in runs]
        stored += [repr(task.model_dump()) for task in client.read_task_runs()]
        stored += [log.message for log in client.read_logs()]
    assert runs and any("***" in text for text in stored[: len(runs)])
    leaks = [text for text in stored if "PASSWORD42" in text or "SECRETTOKEN42" in text]
    assert leaks == []


# 7. A web page's attachment is parsed in the limited worker, as an inbox file is.


def docx_bomb(paragraphs: int) -> bytes:
    """A small DOCX (about 30 KB per 300,000 paragraphs) whose parse takes hundreds of MB."""
    import io
    import zipfile

    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    xml = f'<?xml version="1.0" encoding="UTF-8"?><w:document {ns}><w:body>' + "<w:p><w:r><w:t>某</w:t></w:r></w:p>" * paragraphs
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
        ))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>'
        ))
        archive.writestr("word/document.xml", xml + "</w:body></w:document>")
    return out.getvalue()


def test_a_site_attachment_that_blows_up_fails_alone_in_the_worker(monkeypatch):
    from scrapers import isolate
    from scrapers.limits import Limits
    from scrapers.site import collect_site

    # The worker's limits, lowered so that a 300,000-paragraph DOCX (fine in 200 MB) runs out.
    monkeypatch.setattr(isolate, "DEFAULT_LIMITS", Limits(memory=256 * 1024**2))
    page = article("某市推行企业开办全程网办").replace(
        b"</p></div>", '</p><p><a href="/files/t20261120_9.docx">附件：典型案例汇编.docx</a></p></div>'.encode()
    )
    routes = {"/col/index.html": Reply(listing(1)), "/art/t20261120_10.html": Reply(page),
              "/files/t20261120_9.docx": Reply(docx_bomb(300_000), content_type="application/octet-stream")}
    with FixtureServer(routes) as server, session() as http:
        source = {"name": "s", "kind": "site", "url": server.url("/col/index.html"), "max_pages": 1}
        result = collect_site(source, http.for_source(source["url"]), set())
    bomb = next(a for a in result.attachments if a.url.endswith(".docx"))
    assert bomb.error == "ran out of memory (limit 268.4 MB)" and not bomb.parsed
    assert len(result.articles) == 1 and "全程网办" in result.articles[0].body  # the page itself is stored


# 10. A killed run leaves no server behind.


def children(pid: int) -> list[tuple[int, str]]:
    """The processes whose parent is `pid`, with their command lines (from /proc)."""
    from pathlib import Path

    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append((int(stat.parent.name), (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()))
        except (OSError, IndexError, ValueError):
            continue
    return found


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_killed_run_takes_prefects_temporary_server_with_it(project, migrated_prefect_home):
    import os

    env = {k: v for k, v in environment().items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(project / ".prefect-home")
    migrated_prefect_home(project / ".prefect-home")
    command = Command(project, ["run", "--week", "2026-W48", "--no-send"], env, project / "run.log")
    try:
        assert command.wait_for("Beginning flow run", timeout=300), command.output()
        servers = [pid for pid, line in children(command.process.pid) if "uvicorn" in line]
        assert len(servers) == 1, children(command.process.pid)
        os.kill(command.process.pid, signal.SIGKILL)  # the run alone, as the OOM killer would
        command.process.wait()
        deadline = time.monotonic() + 60
        while os.path.exists(f"/proc/{servers[0]}") and time.monotonic() < deadline:
            time.sleep(0.2)
        state = open(f"/proc/{servers[0]}/stat").read().rsplit(")", 1)[1].split()[0] if os.path.exists(f"/proc/{servers[0]}") else "gone"
        assert state in ("gone", "Z"), f"the temporary server {servers[0]} outlived its run ({state})"
    finally:
        command.kill()


# 11. A file name cannot forge a line of the command's output.


def test_a_newline_in_a_file_name_is_shown_escaped(project, prefect_harness):
    from click.testing import CliRunner

    from casewatch.cli import cli

    forged = project / "inbox" / "x.pdf\nfailed: 每周案例汇编.pdf: forged.pdf"
    forged.write_bytes(b"%PDF-1.4 broken")
    result = CliRunner().invoke(cli, ["ingest", "--config", str(project / "casewatch.toml"), str(forged)])
    lines = result.output.splitlines()
    assert not any(line.startswith("failed: 每周案例汇编.pdf") for line in lines), result.output
    assert any(line.startswith("failed: x.pdf\\nfailed: 每周案例汇编.pdf: forged.pdf: ") for line in lines), result.output


# The whole week: a trickling site, an endless column and an off-host feed beside the samples.


def test_a_week_with_three_hostile_sources_ends_in_its_budgets_and_keeps_the_samples(project, prefect_harness):
    from click.testing import CliRunner

    from casewatch.cli import cli

    def endless(request):
        n = int(request.path.rsplit("_", 1)[1].split(".")[0]) + 1 if "index_" in request.path else 1
        return Reply(listing(n).replace(b'href="/', b'href="/endless/'))

    with FixtureServer({"/internal.html": Reply(article("内部页面"))}) as internal, FixtureServer() as server:
        server.routes["/slow/col/index.html"] = Reply(listing(1).replace(b'href="/', b'href="/slow/'))
        for i in range(3):
            server.routes[f"/slow/art/t20261120_{10 + i}.html"] = TRICKLE
        server.routes["/endless/col/index.html"] = endless
        for n in range(1, 5000):
            server.routes[f"/endless/col/index_{n}.html"] = endless
        # (its articles answer 404: the listing alone never ends)
        server.routes["/feed.xml"] = Reply(feed(internal.url("/internal.html")), content_type="application/rss+xml")
        config = project / "casewatch.toml"
        config.write_text(
            config.read_text(encoding="utf-8")
            + f'[[sources]]\nname = "slow"\nkind = "site"\nurl = "{server.url("/slow/col/index.html")}"\n'
            + f'[[sources]]\nname = "endless"\nkind = "site"\nurl = "{server.url("/endless/col/index.html")}"\nmax_pages = 1000\n'
            + f'[[sources]]\nname = "offsite"\nkind = "feed"\nurl = "{server.url("/feed.xml")}"\n'
            + "[http]\nrobots = false\nrate = 1000.0\ndeadline = 2\nsource_budget = 8\n",
            encoding="utf-8",
        )
        result = CliRunner().invoke(cli, ["run", "--config", str(config), "--week", "2026-W48", "--no-send"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    db = sqlite_utils.Database(project / "cw.db")
    assert db.execute("select count(*) from articles where source = 'inbox'").fetchone()[0] == 79
    failed = {line.split(":")[1].strip() for line in result.output.splitlines() if line.startswith("failed: ")}
    assert {"slow", "endless", "offsite"} <= failed, result.output
    assert "budget of 8 s" in result.output and "not complete within 2 s" in result.output and "leaves the site" in result.output
    assert internal.paths() == []
    assert db.execute("select status from runs").fetchone()[0] == "partial"
