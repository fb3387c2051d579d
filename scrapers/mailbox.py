"""Collect compilations from an IMAP folder: each new message's attachments, links and own text, read once.

A message is known by its IMAP URL (RFC 5092: `imap://host:port/folder;UIDVALIDITY=v/;UID=u`),
kept with the source's other done-with URLs (`SourceResult.known_urls`, the store's
`known_urls`), which the store commits only after the message's documents: a run that dies
half-way reads the message again, and its documents already stored are skipped by their
content hash (`seen`). Nothing on the server is changed: the folder is opened read-only and
messages are fetched with BODY.PEEK, unless the source asks for `mark_seen`.
"""

from __future__ import annotations

import email
import email.policy
import imaplib
import os
import re
import ssl
from email.message import EmailMessage
from email.utils import parseaddr
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .article import Attachment
from .deadlines import stop_reason
from .documents import SUFFIXES, describe_failure, parse_document, sha256, unread_key
from .isolate import parse_document_isolated
from .limits import DEFAULT_LIMITS, Limits, describe_bytes
from .records import Document, SourceResult
from .redact import redact_url

__all__ = ["PASSWORD_ENV", "collect_mailbox", "message_url"]

PASSWORD_ENV = "CASEWATCH_IMAP_PASSWORD"
KIND = "mailbox"
TIMEOUT = 60.0
# A message body at least this long (characters, after stripping) with no readable attachment is
# read as a compilation itself (pasted into the mail); shorter bodies are covering notes.
BODY_MIN_CHARS = 1000
# Links in a message's text to a compilation file: the suffix of its path decides.
LINK_RE = re.compile(r"""https?://[^\s<>"'，。、）)\]]+""", re.IGNORECASE)
LINK_SUFFIXES = {".pdf", ".docx", ".txt", ".html", ".htm"}
UIDVALIDITY_RE = re.compile(rb"UIDVALIDITY (\d+)")
# A linked compilation that could not be fetched for one of these may be fetched later: its message
# is read again next run (documents already stored are skipped by content hash).
TRANSIENT_OUTCOMES = {"timeout", "error", "stopped"}
TRANSIENT_STATUSES = {408, 429}
# Fetches a link's whole file (the run's polite session: `Session.fetch_file`); raises on failure.
Fetch = Callable[..., bytes]


class MailboxError(Exception):
    """The mailbox cannot be opened or read; the message is one line without the password."""


def message_url(source: dict, uidvalidity: str, uid: str) -> str:
    """The message's IMAP URL (RFC 5092), without the user: its key in the store."""
    port = source.get("port") or default_port(source)
    return f"imap://{source['host']}:{port}/{source.get('folder') or 'INBOX'};UIDVALIDITY={uidvalidity}/;UID={uid}"


def default_port(source: dict) -> int:
    """993 for implicit TLS, 143 otherwise."""
    return 993 if source.get("tls", "ssl") == "ssl" else 143


def open_mailbox(source: dict, password: str, timeout: float = TIMEOUT) -> imaplib.IMAP4:
    """A logged-in IMAP connection (TLS checked against the system's certificates unless `tls = "none"`)."""
    host, port, tls = source["host"], int(source.get("port") or default_port(source)), source.get("tls", "ssl")
    context = ssl.create_default_context()
    if tls == "ssl":
        imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
    else:
        imap = imaplib.IMAP4(host, port, timeout=timeout)
        if tls == "starttls":
            imap.starttls(context)
    try:
        imap.login(source["user"], password)
    except BaseException:
        _close(imap)
        raise
    return imap


def collect_mailbox(
    source: dict, seen: set[str], known: set[str], limits: Limits | None = None, environ: dict | None = None,
    fetch: Fetch | None = None,
) -> SourceResult:
    """Every new message of the source's folder read once: its attachments, compilation links and long text.

    `seen`: content hashes of documents already read; `known`: URLs (here, messages) already done;
    `fetch`: how linked compilations are fetched (the run's polite session), or None to list them only.
    A message's failure is a failed document naming its subject and sender; only a mailbox that
    cannot be reached at all (or a password not set) is the source's error.
    """
    limits = limits or DEFAULT_LIMITS
    result = SourceResult(source["name"], KIND)
    variable = source.get("password_env") or PASSWORD_ENV
    password = (environ if environ is not None else os.environ).get(variable)
    if not password:
        result.errors.append(f"the mailbox's password is not set: put it in the environment variable {variable}")
        return result
    where = f"{source['host']}:{source.get('port') or default_port(source)}"
    try:
        imap = open_mailbox(source, password)
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
        result.errors.append(_hide(f"cannot open mailbox {source.get('user')}@{where}: {_one_line(exc)}", password))
        return result
    try:
        _read_folder(imap, source, seen, known, limits, result, fetch)
    except (OSError, imaplib.IMAP4.error, MailboxError) as exc:  # the connection's, not one message's
        result.errors.append(_hide(f"mailbox {where} stopped answering: {_one_line(exc)}; the other messages are read next run", password))
    finally:
        _close(imap)
    return result


def _read_folder(
    imap: imaplib.IMAP4, source: dict, seen: set[str], known: set[str], limits: Limits, result: SourceResult, fetch: Fetch | None = None
) -> None:
    folder = source.get("folder") or "INBOX"
    mark = bool(source.get("mark_seen", False))
    status, data = imap.select(_quote(folder), readonly=not mark)
    if status != "OK":
        raise MailboxError(f"cannot open folder {folder!r}: {_one_line(data)}")
    uidvalidity = _uidvalidity(imap, folder)
    status, data = imap.uid("SEARCH", *_criteria(source))
    if status != "OK":
        raise MailboxError(f"cannot search folder {folder!r}: {_one_line(data)}")
    uids = [u.decode() for u in (data[0] or b"").split()]
    for uid in uids:
        url = message_url(source, uidvalidity, uid)
        if url in known or redact_url(url) in known:  # the store keeps URLs redacted
            continue
        if stop_reason():
            result.errors.append(f"{stop_reason()}: the mailbox's other messages are read next run")
            return
        raw = _fetch_message(imap, uid, source, limits, result, url)
        if raw is None:
            continue
        if _read_message(raw, url, source, seen, limits, result, fetch) == "read":
            result.known_urls.append(url)
            if mark:
                imap.uid("STORE", uid, "+FLAGS", r"(\Seen)")


def _fetch_message(imap: imaplib.IMAP4, uid: str, source: dict, limits: Limits, result: SourceResult, url: str) -> bytes | None:
    """The message's bytes; None for one the filters leave (unread, asked again next run) or one over the size limit
    (recorded failed with its subject and sender, and known). Its header and size are asked first, so neither is downloaded."""
    status, data = imap.uid("FETCH", uid, "(RFC822.SIZE BODY.PEEK[HEADER])")
    if status != "OK" or not any(isinstance(item, tuple) for item in data):
        raise MailboxError(f"cannot fetch message {uid}: {_one_line(data)}")
    header = next(item[1] for item in data if isinstance(item, tuple))
    meta = b" ".join(item[0] if isinstance(item, tuple) else item for item in data if isinstance(item, (tuple, bytes)))
    size = re.search(rb"RFC822\.SIZE (\d+)", meta)  # in the response's own text, never in the header's
    subject, sender = _names(email.message_from_bytes(header, policy=email.policy.default))
    if not _passes(source, subject, sender):
        return None
    # Attachments are base64 (4 bytes per 3): a message may be a third larger than its largest document.
    cap = limits.max_bytes * 4 // 3 + 65536
    if size and int(size.group(1)) > cap:
        error = _about(subject, sender, f"is {describe_bytes(int(size.group(1)))}, larger than the limit of {describe_bytes(cap)}")
        _record(result, Document(unread_key(url), _safe_name(subject), url, result.source, KIND, "failed", error, "LimitExceeded"))
        result.known_urls.append(url)
        return None
    status, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
    parts = [item[1] for item in data if isinstance(item, tuple)] if status == "OK" else []
    if not parts:
        raise MailboxError(f"cannot fetch message {uid}: {_one_line(data)}")
    return parts[0]


def _read_message(
    raw: bytes, url: str, source: dict, seen: set[str], limits: Limits, result: SourceResult, fetch: Fetch | None = None
) -> str:
    """Read one message into `result`: `read` (done with), `filtered` (it does not pass the source's
    filters: left unread) or `retry` (a linked compilation may be fetched later: read again next run)."""
    subject, sender = "(no subject)", "(unknown sender)"
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        subject, sender = _names(message)
        if not _passes(source, subject, sender):
            return "filtered"
        body_chars = int(source.get("body_chars", BODY_MIN_CHARS))
        if _read_parts(message, url, subject, sender, seen, limits, result, body_chars, fetch):
            return "retry"
    except Exception as exc:  # whatever the message holds, it is this message's failure
        error, error_type = describe_failure(exc)
        _record(result, Document(unread_key(url), subject, url, result.source, KIND, "failed", _about(subject, sender, error), error_type))
    return "read"


def _read_parts(
    message: EmailMessage, url: str, subject: str, sender: str, seen: set[str], limits: Limits, result: SourceResult,
    body_chars: int, fetch: Fetch | None = None,
) -> bool:
    """A message's attachments, then the compilations it links to, then its own text when it is a compilation.

    A message with none of these (a covering note, a reply) leaves no record: it is ordinary mail, not a failure.
    Return whether a link failed in a way that may pass later (then the message is read again next run).
    """
    read = 0
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if not filename or part.get_content_disposition() not in ("attachment", "inline", None):
            continue
        name = Path(filename.replace("\\", "/")).name or "attachment"
        suffix = Path(name).suffix.lower()
        if suffix not in SUFFIXES:
            why = _about(subject, sender, f"attachment of unsupported type {suffix or '(no suffix)'!r}")
            result.documents.append(Document(unread_key(f"{url}/{name}"), name, url, result.source, KIND, "skipped", why))
            continue
        data = part.get_payload(decode=True) or b""
        _read_document(data, name, url, subject, sender, seen, limits, result)
        read += 1
    text, html = _body(message)
    retry = False
    for link in _links(text + "\n" + html):
        name = _link_name(link)
        if fetch is None:
            result.attachments.append(Attachment(
                link, Path(name).suffix.lower().lstrip("."), name, page=url,
                error=_about(subject, sender, "linked from the message; not fetched (read it with a document source)"),
            ))  # fmt: skip
            continue
        count, again = _read_link(link, name, url, subject, sender, seen, limits, result, fetch)
        read += count
        retry |= again
    body, body_name = (text, f"{subject}.txt") if len(text.strip()) >= len(_strip_tags(html).strip()) else (html, f"{subject}.html")
    if not read and len(_strip_tags(body).strip()) >= body_chars:
        _read_document(body.encode("utf-8"), _safe_name(body_name), url, subject, sender, seen, limits, result)
        read += 1
    return retry


def _read_link(
    link: str, name: str, url: str, subject: str, sender: str, seen: set[str], limits: Limits, result: SourceResult, fetch: Fetch
) -> tuple[int, bool]:
    """A compilation the message links to, fetched and read as an attachment would be; its failure is the
    message's. Return (1 if it was fetched, whether a failure may pass later)."""
    kind = Path(name).suffix.lower().lstrip(".")
    try:
        data = fetch(link, limits.max_bytes)
    except Exception as exc:  # whatever the fetch met: this message's failure, recorded with the link
        error, error_type = describe_failure(exc)
        outcome, status = getattr(exc, "outcome", None), getattr(exc, "status", None) or 0
        again = outcome in TRANSIENT_OUTCOMES or (outcome == "http_error" and (status >= 500 or status in TRANSIENT_STATUSES))
        why = _about(subject, sender, f"linked compilation {name}: {error}" + ("; tried again next run" if again else ""))
        _record(result, Document(unread_key(link), name, link, result.source, KIND, "failed", why, error_type))
        result.attachments.append(Attachment(link, kind, name, error=why, page=url))
        return 0, again
    before = len(result.documents)
    _read_document(data, name, link, subject, sender, seen, limits, result)
    document = result.documents[before] if len(result.documents) > before else None
    result.attachments.append(Attachment(
        link, kind, name, parsed=document is None or document.status == "ok", articles=document.articles if document else 0,
        error=document.error if document else None, page=url,
    ))  # fmt: skip
    return 1, False


def _link_name(link: str) -> str:
    """A linked file's name: the last segment of its path, decoded ("2026年第48期.pdf")."""
    return _safe_name(unquote(urlsplit(link).path.rsplit("/", 1)[-1])) or "document.html"


def _read_document(data: bytes, name: str, url: str, subject: str, sender: str, seen: set[str], limits: Limits, result: SourceResult) -> None:
    """One attachment (or the message's text) through the inbox's readers, in a worker process."""
    if len(data) > limits.max_bytes:
        error = _about(subject, sender, f"is {describe_bytes(len(data))}, larger than the limit of {describe_bytes(limits.max_bytes)}")
        _record(result, Document(unread_key(f"{url}/{name}"), name, url, result.source, KIND, "failed", error, "LimitExceeded"))
        return
    if sha256(data) in seen:
        return
    articles, document = parse_document_isolated(data, name, url, result.source, KIND, limits, parse=parse_document)
    if document.error:
        document.error = _about(subject, sender, document.error)
    result.articles.extend(articles)
    _record(result, document)


def _record(result: SourceResult, document: Document) -> None:
    result.documents.append(document)
    if document.error and document.status == "failed":
        result.errors.append(f"{document.name}: {document.error}")


def _names(message: EmailMessage) -> tuple[str, str]:
    """The message's subject and sender as its reader sees them (decoded, one line)."""
    try:
        subject = " ".join(str(message.get("Subject", "") or "").split())
        sender = " ".join(str(message.get("From", "") or "").split())
    except Exception:  # a header that cannot be decoded: the message is still read, under a placeholder
        subject, sender = "", ""
    return subject or "(no subject)", sender or "(unknown sender)"


def _about(subject: str, sender: str, error: str) -> str:
    """An error of a message, naming it as its reader knows it: subject and sender."""
    return f"message «{subject}» from {sender}: {error}"


def _body(message: EmailMessage) -> tuple[str, str]:
    """The message's own plain text and HTML (parts without a file name), each joined."""
    plain, html = [], []
    for part in message.walk():
        if part.is_multipart() or part.get_filename() or part.get_content_maintype() != "text":
            continue
        try:
            content = part.get_content()
        except (LookupError, UnicodeError):  # an unknown charset: read as the readers would, leniently
            content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
        (html if part.get_content_subtype() == "html" else plain).append(content)
    return "\n".join(plain), "\n".join(html)


def _links(text: str) -> list[str]:
    """URLs in the text whose path ends like a compilation file, each once, in order."""
    found = []
    for match in LINK_RE.finditer(text):
        link = match.group(0).rstrip(".,;")
        if Path(link.split("?")[0].split("#")[0]).suffix.lower() in LINK_SUFFIXES and link not in found:
            found.append(link)
    return found


def _strip_tags(html: str) -> str:
    return re.sub(r"<[^>]*>", " ", html)


def _safe_name(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name)[:200] or "message"


def _passes(source: dict, subject: str, sender: str) -> bool:
    """Whether the message matches the source's `from` and `subject` filters (case-insensitive parts)."""
    wanted_from, wanted_subject = source.get("from"), source.get("subject")
    if wanted_from and wanted_from.lower() not in (sender.lower() + " " + parseaddr(sender)[1].lower()):
        return False
    return not wanted_subject or wanted_subject.lower() in subject.lower()


def _criteria(source: dict) -> list[str]:
    """IMAP SEARCH keys: the filters that are ASCII are asked of the server, the others checked here."""
    keys = []
    for name, key in (("from", "FROM"), ("subject", "SUBJECT")):
        value = source.get(name)
        if value and value.isascii():
            keys += [key, _quote(value)]
    return keys or ["ALL"]


def _quote(value: str) -> str:
    """An IMAP quoted string (folder names with spaces, filters)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(imap: imaplib.IMAP4, folder: str) -> str:
    _, data = imap.response("UIDVALIDITY")
    value = data[0] if data and data[0] else None
    if value is None:
        status, data = imap.status(_quote(folder), "(UIDVALIDITY)")
        match = UIDVALIDITY_RE.search(_flatten(data)) if status == "OK" else None
        value = match.group(1) if match else b"0"
    return value.decode() if isinstance(value, bytes) else str(value)


def _flatten(data) -> bytes:
    out = []
    for item in data or []:
        if isinstance(item, tuple):
            out += [x for x in item if isinstance(x, bytes)]
        elif isinstance(item, bytes):
            out.append(item)
    return b" ".join(out)


def _one_line(value) -> str:
    if isinstance(value, list):
        value = b" ".join(v for v in value if isinstance(v, bytes)).decode("utf-8", "replace")
    return " ".join(str(value).split())


def _hide(text: str, password: str) -> str:
    """The text with the password masked, should a server or library ever echo it."""
    return text.replace(password, "***") if password else text


def _close(imap: imaplib.IMAP4) -> None:
    try:
        imap.logout()
    except Exception:  # already gone: nothing left to close
        pass
