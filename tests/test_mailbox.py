"""A mailbox source against a real IMAP server (pymap's in-memory backend, started per test on 127.0.0.1)."""

from __future__ import annotations

import imaplib
import logging
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from casewatch import pipeline
from casewatch.config import ConfigError, load_config
from scrapers.mailbox import collect_mailbox

from conftest import sample

PASSWORD = "imap-s3cret-Zq81"
USER = "demouser"
SAMPLE = sample("001")  # 30 cases, headed "案例1:" … "案例30:" (counted by eye and grep)
CORRUPT_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def imap_server(tmp_path):
    """A pymap IMAP server (dict backend, no TLS) for one test; its port."""
    yield from _serve(tmp_path, ["--no-tls"])


@pytest.fixture
def tls_server(tmp_path, monkeypatch):
    """A pymap IMAP server offering STARTTLS with a certificate for 127.0.0.1 that this test trusts."""
    cert, key = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # what ssl.create_default_context() trusts
    yield from _serve(tmp_path, ["--cert", str(cert), "--key", str(key)])


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def ssl_server(tmp_path, monkeypatch):
    """A pymap IMAP server speaking TLS from the first byte (implicit TLS, as on port 993), with a
    certificate for 127.0.0.1 that this test trusts.

    pymap offers only STARTTLS; its listening socket is given the TLS context here, so the same
    server speaks implicit TLS (asyncio's `start_server(ssl=…)`, which pymap calls to listen)."""
    cert, key = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    listen_tls = (
        "import asyncio, ssl\n"
        "context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)\n"
        f"context.load_cert_chain({str(cert)!r}, {str(key)!r})\n"
        "plain = asyncio.start_server\n"
        "async def start_server(*args, **kwargs):\n"
        "    return await plain(*args, ssl=context, **kwargs)\n"
        "asyncio.start_server = start_server\n"
    )
    yield from _serve(tmp_path, ["--no-tls"], prelude=listen_tls)


def _serve(tmp_path: Path, tls: list[str], prelude: str = ""):
    port = _free_port()
    log = open(tmp_path / "pymap.log", "wb")
    command = [sys.executable, "-c", prelude + "from pymap.main import main; main()", "--host", "127.0.0.1", "--port", str(port), *tls,
               "dict", "--demo-user", USER, "--demo-password", PASSWORD]  # fmt: skip
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):  # up to 30 s on a busy machine
            if process.poll() is not None:
                pytest.fail(f"pymap exited: {(tmp_path / 'pymap.log').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def deliver(
    port: int, subject: str, sender: str, text: str = "见附件。", attachments: list[tuple[str, bytes]] = (), tls: bool = False,
    implicit: bool = False,
) -> None:
    """Put a message in the server's INBOX with IMAP APPEND, as a mail delivery would."""
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, sender, f"{USER}@example.org"
    message.set_content(text)
    for name, data in attachments:
        maintype, subtype = ("text", "plain") if name.endswith(".txt") else ("application", "pdf")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    imap = imaplib.IMAP4_SSL("127.0.0.1", port) if implicit else imaplib.IMAP4("127.0.0.1", port)
    if tls:
        imap.starttls()
    imap.login(USER, PASSWORD)
    assert imap.append("INBOX", None, None, message.as_bytes())[0] == "OK"
    imap.logout()


def source(port: int, **extra) -> dict:
    return {"name": "mail", "kind": "mailbox", "host": "127.0.0.1", "port": port, "tls": "none", "user": USER, **extra}


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv("CASEWATCH_IMAP_PASSWORD", PASSWORD)


def test_a_compilation_attachment_becomes_its_cases_once(imap_server, tmp_path, password):
    deliver(imap_server, "营商环境典型案例汇编", "营商办 <yshb@example.gov.cn>", attachments=[(SAMPLE.name, SAMPLE.read_bytes())])
    db_path = tmp_path / "cw.db"
    pipeline.prepare_store(db_path)
    src = source(imap_server)
    with pipeline.Run(db_path, "2026-W48") as run:
        result = pipeline.collect(src, db_path)
        new = run.save(result, src)
    assert result.errors == []
    assert [(d.name, d.status, d.articles) for d in result.documents] == [(SAMPLE.name, "ok", 30)]
    assert len(new) == 30
    assert result.articles[0].title.endswith("寶雞市鳳縣打造企業便利化注銷“四辦”模式")
    # A second run reads no message: known by its UIDVALIDITY and UID.
    again = pipeline.collect(src, db_path)
    assert (again.documents, again.articles, again.known_urls, again.errors) == ([], [], [], [])
    # The same compilation in a new message (a forward) is not read again either: known by its content.
    deliver(imap_server, "Fwd: 营商环境典型案例汇编", "colleague@example.org", attachments=[("copy.txt", SAMPLE.read_bytes())])
    forwarded = pipeline.collect(src, db_path)
    assert forwarded.articles == [] and forwarded.errors == [] and len(forwarded.known_urls) == 1


def test_nothing_on_the_server_is_changed(imap_server, password):
    deliver(imap_server, "案例汇编", "a@example.org", attachments=[(SAMPLE.name, SAMPLE.read_bytes())])
    collect_mailbox(source(imap_server), set(), set())
    imap = imaplib.IMAP4("127.0.0.1", imap_server)
    imap.login(USER, PASSWORD)
    imap.select("INBOX", readonly=True)
    status, data = imap.uid("SEARCH", "UNSEEN")
    imap.logout()
    assert status == "OK" and len(data[0].split()) == 1  # still there, still unread


def test_a_broken_attachment_is_the_message_failure_with_its_subject_and_sender(imap_server, password):
    deliver(imap_server, "第47周案例汇编", "sender@example.org", attachments=[("汇编.pdf", CORRUPT_PDF)])
    deliver(imap_server, "第48周案例汇编", "other@example.org", attachments=[(SAMPLE.name, SAMPLE.read_bytes())])
    result = collect_mailbox(source(imap_server), set(), set())
    broken, good = result.documents
    assert (broken.name, broken.status) == ("汇编.pdf", "failed")
    assert "«第47周案例汇编»" in broken.error and "sender@example.org" in broken.error
    assert (good.status, good.articles) == ("ok", 30)  # the next message is read all the same
    assert len(result.known_urls) == 2  # the broken one is recorded, not retried every run
    assert result.status == "partial"


def test_starttls_is_verified_and_read(tls_server, password, monkeypatch):
    deliver(tls_server, "案例汇编", "a@example.org", attachments=[(SAMPLE.name, SAMPLE.read_bytes())], tls=True)
    result = collect_mailbox(source(tls_server, tls="starttls"), set(), set())
    assert (result.errors, [d.articles for d in result.documents]) == ([], [30])
    # A certificate nobody vouches for is refused, not accepted quietly.
    monkeypatch.delenv("SSL_CERT_FILE")
    refused = collect_mailbox(source(tls_server, tls="starttls"), set(), set()).errors
    assert len(refused) == 1 and "CERTIFICATE_VERIFY_FAILED" in refused[0]


def test_implicit_tls_is_verified_and_read(ssl_server, password, monkeypatch):
    deliver(ssl_server, "案例汇编", "a@example.org", attachments=[(SAMPLE.name, SAMPLE.read_bytes())], implicit=True)
    result = collect_mailbox(source(ssl_server, tls="ssl"), set(), set())
    assert (result.errors, [d.articles for d in result.documents], len(result.known_urls)) == ([], [30], 1)
    # A certificate nobody vouches for is refused, not accepted quietly.
    monkeypatch.delenv("SSL_CERT_FILE")
    refused = collect_mailbox(source(ssl_server, tls="ssl"), set(), set()).errors
    assert len(refused) == 1 and "CERTIFICATE_VERIFY_FAILED" in refused[0]


def test_a_message_over_the_size_limit_is_not_downloaded_and_is_named(imap_server, password):
    from scrapers.limits import Limits

    deliver(imap_server, "大汇编", "big@example.org", attachments=[("big.txt", "案例".encode() * 50_000)])
    result = collect_mailbox(source(imap_server), set(), set(), limits=Limits(max_bytes=1000))
    [document] = result.documents
    assert (document.status, document.error_type) == ("failed", "LimitExceeded")
    assert document.error.startswith("message «大汇编» from big@example.org: is ")
    assert len(result.known_urls) == 1


def test_filters_leave_other_mail_unread(imap_server, password):
    deliver(imap_server, "周报：案例汇编", "yshb@example.gov.cn", attachments=[(SAMPLE.name, SAMPLE.read_bytes())])
    deliver(imap_server, "午餐", "friend@example.org", attachments=[("menu.txt", "今天吃面".encode())])
    result = collect_mailbox(source(imap_server, **{"from": "example.gov.cn", "subject": "案例汇编"}), set(), set())
    assert [d.name for d in result.documents] == [SAMPLE.name]
    assert len(result.known_urls) == 1
    # A filter the server is not asked (not ASCII) is checked here, on the header alone.
    only_lunch = collect_mailbox(source(imap_server, subject="午餐"), set(), set())
    assert [d.name for d in only_lunch.documents] == ["menu.txt"]


def test_a_long_message_text_is_read_and_links_are_listed(imap_server, password):
    body = SAMPLE.read_text(encoding="utf-8") + "\n原文：https://yshb.example.gov.cn/files/huibian.pdf 。\n"
    deliver(imap_server, "本周案例", "a@example.org", text=body)
    deliver(imap_server, "你好", "b@example.org", text="下载：https://example.gov.cn/a/b/2026-48.docx")
    deliver(imap_server, "谢谢", "c@example.org", text="收到，谢谢。")
    result = collect_mailbox(source(imap_server), set(), set())
    assert [(d.name, d.status, d.articles) for d in result.documents] == [("本周案例.txt", "ok", 30)]
    assert [a.url for a in result.attachments] == ["https://yshb.example.gov.cn/files/huibian.pdf", "https://example.gov.cn/a/b/2026-48.docx"]
    assert (len(result.known_urls), result.errors) == (3, [])  # the thank-you note is read, and is no failure


def test_no_password_is_the_source_error_and_a_wrong_one_is_not_echoed(imap_server, monkeypatch):
    monkeypatch.delenv("CASEWATCH_IMAP_PASSWORD", raising=False)
    result = collect_mailbox(source(imap_server), set(), set())
    assert result.errors == ["the mailbox's password is not set: put it in the environment variable CASEWATCH_IMAP_PASSWORD"]
    monkeypatch.setenv("MY_IMAP", "wrong-pass-987")
    result = collect_mailbox(source(imap_server, password_env="MY_IMAP"), set(), set())
    assert len(result.errors) == 1 and "cannot open mailbox" in result.errors[0]
    assert "wrong-pass-987" not in result.errors[0]


def test_the_password_is_never_in_the_store_or_the_logs(imap_server, tmp_path, password, caplog):
    deliver(imap_server, "汇编", "a@example.org", attachments=[(SAMPLE.name, SAMPLE.read_bytes()), ("x.pdf", CORRUPT_PDF)])
    db_path = tmp_path / "cw.db"
    pipeline.prepare_store(db_path)
    src = source(imap_server)
    caplog.set_level(logging.DEBUG)
    with pipeline.Run(db_path, "2026-W48") as run:
        run.save(pipeline.collect(src, db_path), src)
    import sqlite3

    conn = sqlite3.connect(db_path)
    tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")]
    found = []
    for table in tables:
        columns = [r[1] for r in conn.execute(f"pragma table_info([{table}])")]
        for column in columns:
            hits = conn.execute(f"select count(*) from [{table}] where cast([{column}] as text) like ?", [f"%{PASSWORD}%"]).fetchone()[0]
            if hits:
                found.append((table, column))
    assert found == []
    assert conn.execute("select count(*) from documents where source = 'mail' and status = 'failed'").fetchone()[0] == 1
    assert PASSWORD not in caplog.text
    assert PASSWORD not in Path(db_path).read_bytes().decode("latin-1")


def test_configuration_of_a_mailbox(tmp_path):
    def load(extra: str):
        path = tmp_path / "casewatch.toml"
        path.write_text('[[sources]]\nname = "mail"\nkind = "mailbox"\nhost = "imap.example.org"\n' + extra, encoding="utf-8")
        return load_config(path)

    config = load('user = "me"\ntls = "starttls"\nport = 143\nfolder = "汇编"\nfrom = "gov.cn"\n')
    assert config.sources[0]["folder"] == "汇编"
    with pytest.raises(ConfigError, match="password is never kept in the configuration"):
        load('user = "me"\npassword = "x"\n')
    with pytest.raises(ConfigError, match="tls must be one of ssl, starttls, none"):
        load('user = "me"\ntls = "yes"\n')
    with pytest.raises(ConfigError, match="needs user"):
        load("")
    with pytest.raises(ConfigError, match="port must be a number from 1 to 65535"):
        load('user = "me"\nport = 0\n')
    with pytest.raises(ConfigError, match="unknown key 'folders'"):
        load('user = "me"\nfolders = "x"\n')


def test_casewatch_run_reads_a_mailbox_into_cases_once(imap_server, project, prefect_harness, password, monkeypatch, capfd):
    from click.testing import CliRunner

    from casewatch.cli import cli

    deliver(imap_server, "第48周案例汇编", "yshb@example.gov.cn", attachments=[(SAMPLE.name, SAMPLE.read_bytes()), ("坏.pdf", CORRUPT_PDF)])
    (project / "casewatch.toml").write_text(
        '[store]\ndb = "cw.db"\n[digest]\ndir = "out"\n[classify]\nmodel = "models/indicators.pkl"\n'
        f'[[sources]]\nname = "mail"\nkind = "mailbox"\nhost = "127.0.0.1"\nport = {imap_server}\ntls = "none"\nuser = "{USER}"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, ["run", "--week", "2026-W48", "--no-send"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "week 2026-W48: 30 new article(s), 30 classified, 1 source error(s)" in result.output
    assert "failed: 坏.pdf: message «第48周案例汇编» from yshb@example.gov.cn: " in result.output
    digest = (project / "out" / "2026-W48.md").read_text(encoding="utf-8")
    assert "坏.pdf" in digest
    again = CliRunner().invoke(cli, ["run", "--week", "2026-W48", "--no-send"], catch_exceptions=False)
    assert "week 2026-W48: 0 new article(s), 0 classified, 0 source error(s)" in again.output
    assert PASSWORD not in result.output + again.output + "".join(capfd.readouterr())


def test_linked_compilations_are_fetched_through_the_polite_session_and_split(imap_server, tmp_path, password):
    from scrapers.http import Session
    from sites import FixtureServer, Reply, sequence

    other = sample("004")  # 10 cases headed "一、" … "十、"
    text = "text/plain; charset=utf-8"
    routes = {
        "/files/huibian.txt": Reply(SAMPLE.read_bytes(), content_type=text),
        "/files/gone.pdf": Reply(b"<html>404</html>", status=404),
        # Busy on the first run, there on the second: a 503 may pass, so its message is read again.
        "/files/%E7%AC%AC48%E6%9C%9F.txt": sequence(Reply(b"busy", status=503), Reply(other.read_bytes(), content_type=text)),
    }
    with FixtureServer(routes) as server:
        deliver(imap_server, "本周汇编（链接）", "营商办 <yshb@example.gov.cn>",
                text=f"汇编下载：{server.url('/files/huibian.txt')} ，旧链接：{server.url('/files/gone.pdf')}")  # fmt: skip
        deliver(imap_server, "补充", "b@example.org", text=f"第48期：{server.url('/files/%E7%AC%AC48%E6%9C%9F.txt')}")
        db_path = tmp_path / "cw.db"
        pipeline.prepare_store(db_path)
        src = source(imap_server)
        session = Session(user_agent="casewatch-test/1 (+ops@example.org)", rate=1000, retries=0)

        def run_once():
            with pipeline.Run(db_path, "2026-W48") as run:
                result = pipeline.collect(src, db_path, session)
                run.save(result, src)
            return result

        first = run_once()
        by_name = {d.name: d for d in first.documents}
        assert (by_name["huibian.txt"].status, by_name["huibian.txt"].articles) == ("ok", 30)
        assert by_name["huibian.txt"].url == server.url("/files/huibian.txt")
        gone, busy = by_name["gone.pdf"], by_name["第48期.txt"]
        assert gone.status == busy.status == "failed"
        assert gone.error.startswith("message «本周汇编（链接）» from 营商办 <yshb@example.gov.cn>: linked compilation gone.pdf: ")
        assert "not_found" in gone.error and "tried again" not in gone.error
        assert busy.error.startswith("message «补充» from b@example.org: ") and busy.error.endswith("; tried again next run")
        assert len(first.known_urls) == 1  # the message whose link may pass later is not done with
        assert {e["outcome"] for e in first.fetch_log} >= {"ok", "not_found", "http_error"}
        assert {r.headers["user-agent"] for r in server.requests} == {"casewatch-test/1 (+ops@example.org)"}
        assert "/robots.txt" in server.paths()  # asked as every polite fetch does

        second = run_once()
        assert [(d.name, d.status, d.articles) for d in second.documents] == [("第48期.txt", "ok", 10)]
        assert len(second.known_urls) == 1
        third = run_once()
        assert (third.documents, third.known_urls, third.errors) == ([], [], [])

    import sqlite3

    conn = sqlite3.connect(db_path)
    assert conn.execute("select count(*) from articles where source = 'mail'").fetchone()[0] == 40
    attachments = dict(conn.execute("select name, parsed from attachments where source = 'mail'").fetchall())
    assert attachments == {"huibian.txt": 1, "gone.pdf": 0, "第48期.txt": 1}
    logged = conn.execute("select count(*) from fetch_log where source = 'mail' and outcome = 'ok'").fetchone()[0]
    assert logged >= 2
