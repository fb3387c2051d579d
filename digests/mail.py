"""Send a week's digest by e-mail over SMTP, at most once.

A send is claimed in the store, and recorded as handed over just before the message goes
to the server. A process killed after that point may or may not have delivered it (SMTP
cannot tell), so such a send is not repeated by itself: an analyst checks and resends. A send
that failed before that point, or with the server's refusal, is tried again by the next run.

Settings come from the environment (credentials are never stored or logged):
CASEWATCH_SMTP_HOST, _PORT, _USER, _PASSWORD, _FROM, _TLS (starttls, ssl, none; without it, starttls
with a login and STARTTLS-if-offered without one, so a server without login needs only host and _FROM),
_CAFILE (a CA bundle for a private server); recipients from `[email] to` in
casewatch.toml, overridden by CASEWATCH_EMAIL_TO (comma-separated).
"""

from __future__ import annotations

import os
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import sqlite_utils

from store import reports

# "auto" (the default without a login): STARTTLS when the server offers it, else plain, as a relay
# on an office network that takes mail without login often offers no TLS. With a login the default is
# "starttls", which refuses to go on without TLS, so that a password never crosses the network in clear.
TLS_MODES = ("starttls", "ssl", "none", "auto")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25, "auto": 25}
# Waits before the 2nd and 3rd attempt: a server that is briefly down or busy gets a minute.
BACKOFF = (5.0, 30.0)


class MailConfigError(ValueError):
    """The e-mail settings cannot be used; the message says which variable to fix."""


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send; `password` never appears in a repr, log or the store."""

    host: str | None
    port: int
    tls: str
    sender: str | None
    to: tuple[str, ...]
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    cafile: str | None = None
    timeout: float = 30.0

    @property
    def missing(self) -> str | None:
        """Why nothing can be sent, or None when host, sender and recipients are set."""
        if not self.host:
            return "CASEWATCH_SMTP_HOST is not set"
        if not self.to:
            return "no recipients ([email] to in casewatch.toml, or CASEWATCH_EMAIL_TO)"
        if not self.sender:
            return "no sender (CASEWATCH_SMTP_FROM or CASEWATCH_SMTP_USER)"
        return None


@dataclass
class SendOutcome:
    """What a send did: `status` is sent, already-sent, not-configured, busy, uncertain (it may have
    arrived: not repeated without --resend) or failed."""

    status: str
    message: str
    recipients: list[str] = field(default_factory=list)
    attempts: int = 0

    @property
    def ok(self) -> bool:
        """False when a send was tried and failed, or may have failed."""
        return self.status not in ("failed", "uncertain")


def mail_settings(to: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> MailSettings:
    """SMTP settings from the environment; recipients from the configuration unless CASEWATCH_EMAIL_TO is set."""
    env = os.environ if environ is None else environ
    user = env.get("CASEWATCH_SMTP_USER") or None
    tls = (env.get("CASEWATCH_SMTP_TLS") or ("starttls" if user else "auto")).strip().lower()
    if tls not in TLS_MODES:
        raise MailConfigError(f"CASEWATCH_SMTP_TLS is {tls!r}; expected one of {', '.join(TLS_MODES)}")
    port = env.get("CASEWATCH_SMTP_PORT") or str(DEFAULT_PORTS[tls])
    if not port.strip().isdigit():
        raise MailConfigError(f"CASEWATCH_SMTP_PORT is {port!r}; expected a number")
    override = env.get("CASEWATCH_EMAIL_TO")
    recipients = [a.strip() for a in override.split(",")] if override is not None else list(to)
    return MailSettings(
        host=(env.get("CASEWATCH_SMTP_HOST") or "").strip() or None,
        port=int(port),
        tls=tls,
        sender=env.get("CASEWATCH_SMTP_FROM") or user,
        to=tuple(a for a in recipients if a),
        user=user,
        password=env.get("CASEWATCH_SMTP_PASSWORD") or None,
        cafile=env.get("CASEWATCH_SMTP_CAFILE") or None,
    )


def compose_message(subject: str, text: str, html: str, sender: str, to: Sequence[str]) -> EmailMessage:
    """A multipart/alternative message: plain text first, then HTML, both UTF-8."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def deliver(
    message: EmailMessage, settings: MailSettings, handing_over: Callable[[], None] = lambda: None
) -> dict[str, tuple[int, bytes]]:
    """Hand a message to the SMTP server; return the recipients it refused (the others got it).

    `handing_over` is called once the connection is ready, just before the message is sent.
    """
    context = ssl.create_default_context(cafile=settings.cafile) if settings.tls != "none" else None
    if settings.tls == "ssl":
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.tls == "starttls":
            client.starttls(context=context)
        elif settings.tls == "auto":
            client.ehlo_or_helo_if_needed()
            if client.has_extn("starttls"):
                client.starttls(context=context)
        if settings.user and settings.password:
            client.login(settings.user, settings.password)
        handing_over()
        return client.send_message(message)
    finally:
        # Not `with client`: its QUIT raises on an odd reply, after the message was accepted.
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            pass
        client.close()


def is_temporary(error: Exception) -> bool:
    """Worth another try: a network failure or a 4xx reply; a 5xx reply (bad address, refused login) is not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, (OSError, smtplib.SMTPServerDisconnected))


def refused(error: Exception) -> bool:
    """Whether the server answered the send with a refusal, so the message surely did not arrive."""
    return isinstance(error, (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused))


def describe(error: Exception) -> str:
    """One line about a send failure, without anything from the settings but the server's words."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "all recipients refused: " + "; ".join(f"{a} ({code})" for a, (code, _) in error.recipients.items())
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
        return f"server replied {error.smtp_code} {' '.join(reply.split())}"
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


@dataclass
class SendRecord:
    """Where one send is claimed and recorded at most once: the week's digest (`digests`) or a reader's
    part of it (`deliveries`); `what` and `command` name it in messages."""

    claim: Callable[[bool], str]
    stored: Callable[[], dict]
    handed_over: Callable[[], None]
    sent: Callable[[list[str], int], None]
    failed: Callable[..., None]
    what: str  # "the 2026-W48 digest"
    label: str  # "digest 2026-W48"
    command: str  # "casewatch digest --week 2026-W48"


def digest_record(db: sqlite_utils.Database, week: str) -> SendRecord:
    """The week's single digest, recorded in its `digests` row."""
    return SendRecord(
        claim=lambda resend: reports.claim_send(db, week, resend),
        stored=lambda: reports.digest(db, week),
        handed_over=lambda: reports.mark_handed_over(db, week),
        sent=lambda recipients, attempts: reports.mark_sent(db, week, recipients, attempts),
        failed=lambda error, attempts, maybe_sent=False: reports.mark_send_failed(db, week, error, attempts, maybe_sent=maybe_sent),
        what=f"the {week} digest", label=f"digest {week}", command=f"casewatch digest --week {week}",
    )  # fmt: skip


def send_digest(
    db: sqlite_utils.Database,
    week: str,
    settings: MailSettings,
    resend: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    backoff: Sequence[float] | None = None,
) -> SendOutcome:
    """E-mail the stored digest of `week` at most once; a failed send is retried with backoff and left for the next run."""
    stored = reports.digest(db, week)
    if stored is None:
        raise KeyError(f"no digest of {week} in the store: write it first (casewatch digest --week {week})")
    record = digest_record(db, week)
    if stored["sent_at"] and not resend:
        return already_sent(record, stored)
    if settings.missing:
        return SendOutcome("not-configured", f"e-mail not sent: {settings.missing}")
    message = compose_message(stored["subject"], stored["text"], stored["html"], settings.sender, settings.to)
    return send_once(record, message, settings, resend, sleep, backoff)


def send_once(
    record: SendRecord,
    message: EmailMessage,
    settings: MailSettings,
    resend: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    backoff: Sequence[float] | None = None,
) -> SendOutcome:
    """Claim the send in its record, hand the message over (retrying with backoff), record how it went."""
    backoff = BACKOFF if backoff is None else backoff
    claim = record.claim(resend)
    if claim == "sent":
        return already_sent(record, record.stored())
    if claim == "busy":
        return SendOutcome("busy", f"{record.what} is being sent by another run")
    if claim == "handed-over":
        return SendOutcome("uncertain", maybe_sent(record, record.stored()["handed_over"]))
    attempts, error, handed = 0, None, False

    def hand_over() -> None:
        nonlocal handed
        record.handed_over()
        handed = True

    try:
        for attempts in range(1, len(backoff) + 2):
            handed = False
            try:
                refusals = deliver(message, settings, hand_over)
            except (smtplib.SMTPException, OSError) as exc:
                error = exc
                if handed and not refused(exc):  # lost while the server was taking it: it may have arrived
                    record.failed(describe(exc), attempts, maybe_sent=True)
                    return SendOutcome("uncertain", maybe_sent(record, describe(exc)), attempts=attempts)
                if not is_temporary(exc) or attempts > len(backoff):
                    break
                sleep(backoff[attempts - 1])
                continue
            accepted = [a for a in settings.to if a not in refusals]
            record.sent(accepted, attempts)
            note = f"; refused: {', '.join(refusals)}" if refusals else ""
            return SendOutcome("sent", f"{record.label} sent to {len(accepted)} recipient(s){note}", accepted, attempts)
    except BaseException as exc:  # interrupted: release the claim (kept as handed over if it got that far)
        reason = describe(exc) if isinstance(exc, Exception) else type(exc).__name__
        record.failed(reason, attempts, maybe_sent=handed)
        raise
    reason = describe(error)
    record.failed(reason, attempts)
    return SendOutcome(
        "failed",
        f"e-mail not sent after {attempts} attempt(s): {reason}; the digest is kept: "
        f"`{record.command} --send` sends it (the next run tries again)",
        attempts=attempts,
    )


def already_sent(record: SendRecord, stored: dict) -> SendOutcome:
    """The outcome for a digest sent before."""
    recipients = stored.get("recipients", stored.get("addresses", []))
    return SendOutcome("already-sent", f"{record.what} was sent at {stored['sent_at']}; `{record.command} --resend` sends it again", recipients)


def maybe_sent(record: SendRecord, when: str) -> str:
    """Why a send that may have arrived is not repeated, and what to do."""
    return (
        f"{record.what} may have been sent ({when}): a send was interrupted while handing it to the server, "
        f"so it is not sent again by itself; check the inbox, then `{record.command} --resend`"
    )


def delivery_record(db: sqlite_utils.Database, week: str, reader: str, *, addresses: list[str], subject: str, articles: list[str]) -> SendRecord:
    """A reader's part of the week's digest, recorded in its `deliveries` row (created by the claim)."""
    return SendRecord(
        claim=lambda resend: reports.claim_delivery(db, reader, week, addresses=addresses, subject=subject, articles=articles, resend=resend),
        stored=lambda: reports.delivery(db, reader, week),
        handed_over=lambda: reports.mark_delivery_handed_over(db, reader, week),
        sent=lambda recipients, attempts: reports.mark_delivered(db, reader, week, recipients, attempts),
        failed=lambda error, attempts, maybe_sent=False: reports.mark_delivery_failed(db, reader, week, error, attempts, maybe_sent=maybe_sent),
        what=f"the {week} digest for {reader}", label=f"digest {week} for {reader}",
        command=f"casewatch digest --week {week} --reader {reader}",
    )  # fmt: skip


def send_reader_digest(
    db: sqlite_utils.Database,
    week: str,
    reader: str,
    to: Sequence[str],
    rendered: tuple[str, str, str],
    articles: list[str],
    settings: MailSettings,
    resend: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    backoff: Sequence[float] | None = None,
) -> SendOutcome:
    """E-mail a reader their part of the week's digest (`rendered`: subject, text, HTML) at most once.

    The reader's own addresses replace the settings' recipients (CASEWATCH_EMAIL_TO is the single digest's).
    """
    settings = replace(settings, to=tuple(to))
    stored = reports.delivery(db, reader, week)
    record = delivery_record(db, week, reader, addresses=list(to), subject=rendered[0], articles=articles)
    if stored and stored["sent_at"] and not resend:
        return already_sent(record, stored)
    if settings.missing:
        return SendOutcome("not-configured", f"e-mail not sent: {settings.missing}")
    subject, text, html = rendered
    message = compose_message(subject, text, html, settings.sender, settings.to)
    return send_once(record, message, settings, resend, sleep, backoff)
