"""E-mailing the digest against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import datetime
import email
import ipaddress
import socket
import ssl
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner

import digests
from casewatch.cli import cli
from digests import mail_settings, send_digest
from digests.mail import MailConfigError
from store import reports

WEEK = "2026-W48"
SUBJECT = "营商环境改革案例周报 · 2026年第48周（2026-W48）· 2 个案例"
PASSWORD = "s3cret-Passw0rd"


class Recorder:
    """An SMTP handler that keeps what it receives; `refuse` holds replies to give to the next DATA commands."""

    def __init__(self, refuse=()):
        self.messages: list[tuple[list[str], bytes]] = []
        self.refuse = list(refuse)

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse.pop(0)
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    """A plain SMTP server on 127.0.0.1; yields (handler, port)."""
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


def settings(port: int, **env) -> digests.MailSettings:
    base = {
        "CASEWATCH_SMTP_HOST": "127.0.0.1",
        "CASEWATCH_SMTP_PORT": str(port),
        "CASEWATCH_SMTP_TLS": "none",
        "CASEWATCH_SMTP_FROM": "casewatch@example.cn",
    }
    return mail_settings(["分析员 <analyst@example.cn>", "boss@example.cn"], {**base, **env})


@pytest.fixture
def stored(db):
    """A week's digest in the store, as write_digest leaves it."""
    reports.save_digest(
        db, WEEK, subject=SUBJECT, cases=2,
        markdown="# 周报\n", html="<p>本周案例：<strong>企业开办压缩至0.5个工作日</strong></p>", text="本周案例：企业开办压缩至0.5个工作日\n",
    )
    return db


def received(handler: Recorder, index: int = 0) -> email.message.EmailMessage:
    return email.message_from_bytes(handler.messages[index][1], policy=policy.default)


def test_digest_is_sent_as_multipart_text_and_html_with_chinese_intact(stored, smtp):
    handler, port = smtp
    outcome = send_digest(stored, WEEK, settings(port))
    assert (outcome.status, outcome.attempts) == ("sent", 1)
    assert len(handler.messages) == 1
    rcpts, _ = handler.messages[0]
    assert rcpts == ["analyst@example.cn", "boss@example.cn"]
    message = received(handler)
    assert message["Subject"] == SUBJECT
    assert message["From"] == "casewatch@example.cn"
    assert message["To"] == "分析员 <analyst@example.cn>, boss@example.cn"
    assert message["Message-ID"].endswith("@example.cn>") and message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.iter_parts()
    assert plain.get_content_type() == "text/plain" and plain.get_content().replace("\r\n", "\n") == "本周案例：企业开办压缩至0.5个工作日\n"
    assert html.get_content_type() == "text/html" and "<strong>企业开办压缩至0.5个工作日</strong>" in html.get_content()
    row = reports.digest(stored, WEEK)
    assert row["sent_at"] and row["recipients"] == ["分析员 <analyst@example.cn>", "boss@example.cn"]


def test_a_week_is_sent_once_unless_resend_is_asked(stored, smtp):
    handler, port = smtp
    assert send_digest(stored, WEEK, settings(port)).status == "sent"
    again = send_digest(stored, WEEK, settings(port))
    assert again.status == "already-sent" and "--resend" in again.message
    assert len(handler.messages) == 1
    assert send_digest(stored, WEEK, settings(port), resend=True).status == "sent"
    assert len(handler.messages) == 2


def test_a_refusing_server_is_retried_with_backoff_then_accepts(stored):
    handler = Recorder(refuse=["451 4.3.0 try again later", "421 4.7.0 too busy"])
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        waits = []
        outcome = send_digest(stored, WEEK, settings(controller.port), sleep=waits.append)
    finally:
        controller.stop()
    assert (outcome.status, outcome.attempts) == ("sent", 3)
    assert waits == [5.0, 30.0]
    assert len(handler.messages) == 1


def test_a_failed_send_is_reported_and_the_digest_is_sent_by_the_next_run(stored):
    handler = Recorder(refuse=["451 4.3.0 mailbox busy"] * 3)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        waits = []
        failed = send_digest(stored, WEEK, settings(controller.port), sleep=waits.append)
        assert (failed.status, failed.ok, failed.attempts) == ("failed", False, 3)
        assert "451" in failed.message and "mailbox busy" in failed.message and "next run" in failed.message
        row = reports.digest(stored, WEEK)
        assert row["sent_at"] is None and row["send_error"] == "server replied 451 4.3.0 mailbox busy"
        assert handler.messages == []
        retried = send_digest(stored, WEEK, settings(controller.port), sleep=waits.append)  # the server recovered
    finally:
        controller.stop()
    assert retried.status == "sent" and len(handler.messages) == 1
    assert reports.digest(stored, WEEK)["send_error"] is None


def test_a_permanent_refusal_is_not_retried(stored):
    handler = Recorder(refuse=["554 5.7.1 rejected"])
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        waits = []
        outcome = send_digest(stored, WEEK, settings(controller.port), sleep=waits.append)
    finally:
        controller.stop()
    assert (outcome.status, outcome.attempts, waits) == ("failed", 1, [])


def test_an_unreachable_server_fails_after_retries_without_waiting(stored):
    waits = []
    outcome = send_digest(stored, WEEK, settings(free_port()), sleep=waits.append)
    assert outcome.status == "failed" and outcome.attempts == 3 and waits == [5.0, 30.0]
    assert "ConnectionRefusedError" in outcome.message


def test_without_a_host_nothing_is_sent_and_the_reason_is_given(stored):
    outcome = send_digest(stored, WEEK, mail_settings(["a@example.cn"], {}))
    assert (outcome.status, outcome.ok) == ("not-configured", True)
    assert outcome.message == "e-mail not sent: CASEWATCH_SMTP_HOST is not set"
    assert reports.digest(stored, WEEK)["sent_at"] is None


def test_settings_come_from_the_environment_and_email_to_overrides_the_configuration():
    env = {"CASEWATCH_SMTP_HOST": "smtp.example.cn", "CASEWATCH_SMTP_USER": "bot@example.cn", "CASEWATCH_SMTP_PASSWORD": PASSWORD,
           "CASEWATCH_EMAIL_TO": "x@example.cn, y@example.cn"}
    s = mail_settings(["configured@example.cn"], env)
    assert (s.host, s.port, s.tls, s.sender, s.to) == ("smtp.example.cn", 587, "starttls", "bot@example.cn", ("x@example.cn", "y@example.cn"))
    assert PASSWORD not in repr(s)
    assert mail_settings([], {"CASEWATCH_SMTP_TLS": "ssl"}).port == 465
    with pytest.raises(MailConfigError, match="CASEWATCH_SMTP_TLS"):
        mail_settings([], {"CASEWATCH_SMTP_TLS": "tls1.3"})
    with pytest.raises(MailConfigError, match="CASEWATCH_SMTP_PORT"):
        mail_settings([], {"CASEWATCH_SMTP_PORT": "smtp"})


def test_a_server_without_login_needs_only_a_host_and_a_sender(stored, smtp, monkeypatch, tmp_path):
    handler, port = smtp
    env = {"CASEWATCH_SMTP_HOST": "127.0.0.1", "CASEWATCH_SMTP_PORT": str(port), "CASEWATCH_SMTP_FROM": "casewatch@example.cn"}
    s = mail_settings(["analyst@example.cn"], env)
    assert (s.tls, s.user, s.password) == ("auto", None, None)
    assert mail_settings([], {"CASEWATCH_SMTP_HOST": "relay.example.cn"}).port == 25
    outcome = send_digest(stored, WEEK, s)
    assert outcome.status == "sent", outcome.message
    assert received(handler)["From"] == "casewatch@example.cn" and handler.messages[0][0] == ["analyst@example.cn"]


def test_without_login_starttls_is_used_when_the_server_offers_it(stored, tmp_path):
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True)
    controller.start()
    try:
        s = mail_settings(["analyst@example.cn"], {
            "CASEWATCH_SMTP_HOST": "127.0.0.1", "CASEWATCH_SMTP_PORT": str(controller.port),
            "CASEWATCH_SMTP_FROM": "casewatch@example.cn", "CASEWATCH_SMTP_CAFILE": str(cert),
        })
        outcome = send_digest(stored, WEEK, s)
    finally:
        controller.stop()
    assert outcome.status == "sent", outcome.message  # the server takes mail only after STARTTLS
    assert len(handler.messages) == 1


def test_a_second_send_names_the_command_that_sends_it_again(stored, smtp):
    handler, port = smtp
    assert send_digest(stored, WEEK, settings(port)).status == "sent"
    again = send_digest(stored, WEEK, settings(port))
    assert again.status == "already-sent"
    assert f"`casewatch digest --week {WEEK} --resend` sends it again" in again.message


def self_signed(tmp_path):
    """A certificate and key for 127.0.0.1, made for the test."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def test_starttls_with_login_keeps_the_password_out_of_the_store(stored, tmp_path):
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == PASSWORD.encode())

    handler = Recorder()
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True,
        authenticator=authenticator, auth_require_tls=True,
    )
    controller.start()
    try:
        s = settings(controller.port, CASEWATCH_SMTP_TLS="starttls", CASEWATCH_SMTP_CAFILE=str(cert),
                     CASEWATCH_SMTP_USER="bot@example.cn", CASEWATCH_SMTP_PASSWORD=PASSWORD)
        outcome = send_digest(stored, WEEK, s)
    finally:
        controller.stop()
    assert outcome.status == "sent"
    assert logins == [(b"bot@example.cn", PASSWORD.encode())]
    assert received(handler)["Subject"] == SUBJECT
    dump = "\n".join(stored.conn.iterdump())
    assert PASSWORD not in dump and PASSWORD not in outcome.message


def test_cli_digest_send_sends_once_and_resend_again(db, smtp, tmp_path, monkeypatch):
    from test_digest import add_cases

    handler, port = smtp
    add_cases(db, [{"title": "开办企业一日办结"}])
    monkeypatch.chdir(tmp_path)
    for key, value in {"CASEWATCH_SMTP_HOST": "127.0.0.1", "CASEWATCH_SMTP_PORT": str(port), "CASEWATCH_SMTP_TLS": "none",
                       "CASEWATCH_SMTP_FROM": "casewatch@example.cn", "CASEWATCH_EMAIL_TO": "analyst@example.cn"}.items():
        monkeypatch.setenv(key, value)
    args = ["digest", "--week", WEEK, "--db", str(tmp_path / "test.db"), "--digest-dir", str(tmp_path / "out")]
    first = CliRunner().invoke(cli, args + ["--send"])
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [str(tmp_path / "out" / "2026-W48.md"), str(tmp_path / "out" / "2026-W48.html"), "digest 2026-W48 sent to 1 recipient(s)"]
    second = CliRunner().invoke(cli, args + ["--send"])
    assert second.exit_code == 0 and "was sent at" in second.output
    third = CliRunner().invoke(cli, args + ["--resend"])
    assert third.exit_code == 0 and "sent to 1 recipient(s)" in third.output
    assert len(handler.messages) == 2
    assert received(handler)["Subject"] == "营商环境改革案例周报 · 2026年第48周（2026-W48）· 1 个案例"


def test_recipients_and_script_setting_are_read_from_the_configuration(tmp_path):
    from casewatch.config import ConfigError, load_config

    path = tmp_path / "casewatch.toml"
    path.write_text('[digest]\nsimplified = true\n[email]\nto = ["分析员 <analyst@example.cn>"]\n', encoding="utf-8")
    config = load_config(path)
    assert (config.email_to, config.simplified) == (["分析员 <analyst@example.cn>"], True)
    assert load_config(tmp_path / "casewatch.toml").email_to == ["分析员 <analyst@example.cn>"]
    path.write_text('[email]\nto = ["not an address"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[email\] to"):
        load_config(path)
    path.write_text('[digest]\nsimplified = "yes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="simplified"):
        load_config(path)


def smtp_env(monkeypatch, port: int) -> None:
    for key, value in {"CASEWATCH_SMTP_HOST": "127.0.0.1", "CASEWATCH_SMTP_PORT": str(port), "CASEWATCH_SMTP_TLS": "none",
                       "CASEWATCH_SMTP_FROM": "casewatch@example.cn", "CASEWATCH_EMAIL_TO": "analyst@example.cn"}.items():
        monkeypatch.setenv(key, value)


def test_weekly_run_sends_the_digest_once_and_a_second_run_sends_none(project, prefect_harness, smtp, monkeypatch):
    handler, port = smtp
    monkeypatch.chdir(project)
    smtp_env(monkeypatch, port)
    first = CliRunner().invoke(cli, ["run", "--week", WEEK], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "e-mail:   digest 2026-W48 sent to 1 recipient(s)" in first.output
    assert len(handler.messages) == 1
    assert received(handler)["Subject"].endswith("· 79 个案例")
    second = CliRunner().invoke(cli, ["run", "--week", WEEK], catch_exceptions=False)
    assert second.exit_code == 0 and "was sent at" in second.output
    assert len(handler.messages) == 1
    skipped = CliRunner().invoke(cli, ["run", "--week", WEEK, "--no-send"], catch_exceptions=False)
    assert skipped.exit_code == 0 and "e-mail" not in skipped.output


def test_a_run_whose_mail_server_is_down_keeps_the_digest_for_the_next_run(project, prefect_harness, monkeypatch):
    monkeypatch.chdir(project)
    monkeypatch.setattr(digests.mail, "BACKOFF", (0, 0))
    smtp_env(monkeypatch, free_port())  # nothing listens there
    down = CliRunner().invoke(cli, ["run", "--week", WEEK], catch_exceptions=False)
    assert down.exit_code == 1, down.output  # a configured send that failed fails the run ...
    assert (project / "out" / f"{WEEK}.md").exists()  # ... with the digest kept
    assert f"e-mail:   e-mail not sent after 3 attempt(s)" in down.output
    assert f"`casewatch digest --week {WEEK} --send` sends it" in down.output
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        smtp_env(monkeypatch, controller.port)
        up = CliRunner().invoke(cli, ["run", "--week", WEEK], catch_exceptions=False)
    finally:
        controller.stop()
    assert "sent to 1 recipient(s)" in up.output
    assert len(handler.messages) == 1
