"""Collect one configured source: a folder inbox or a single document, recording every entry it finds."""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import requests

from .deadlines import stop_reason
from .documents import SUFFIXES, describe_failure, parse_document, sha256, unread_key
from .isolate import one_worker, parse_document_isolated
from .limits import DEFAULT_LIMITS, Limits, describe_bytes
from .records import Document, LimitExceeded, NotRegularFile, ScrapeError, SourceResult
from .redact import redact_result, redact_text, redact_url

USER_AGENT = "casewatch/0.1 (weekly monitor of business-environment reform cases)"
CHUNK = 1 << 16
FILE_KINDS = {
    stat.S_ISDIR: "a directory",
    stat.S_ISFIFO: "a FIFO (named pipe)",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISSOCK: "a socket",
}


def fetch_bytes(location: str, timeout: float = 30, max_bytes: int = DEFAULT_LIMITS.max_bytes) -> bytes:
    """Bytes of a regular local file or an http(s) URL, read in chunks and never more than `max_bytes`."""
    if location.startswith(("http://", "https://")):
        return _fetch_url(location, timeout, max_bytes)
    return _fetch_file(location, max_bytes)


def _too_large(size: int | None, max_bytes: int) -> LimitExceeded:
    """The error for a document over the size limit; `size` is None when reading was stopped at the limit."""
    if size is None:
        return LimitExceeded(f"is larger than the limit of {describe_bytes(max_bytes)} (reading stopped there)")
    return LimitExceeded(f"is {describe_bytes(size)}, larger than the limit of {describe_bytes(max_bytes)}")


def _fetch_url(url: str, timeout: float, max_bytes: int) -> bytes:
    try:
        with requests.get(url, timeout=timeout, headers={"User-Agent": USER_AGENT}, stream=True) as response:
            response.raise_for_status()
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _too_large(int(declared), max_bytes)
            return _read_capped(response.iter_content(CHUNK), max_bytes)
    except requests.RequestException as exc:  # requests' messages name the URL, token and all
        raise ScrapeError(redact_text(f"cannot fetch {url}: {exc}")) from exc


def _fetch_file(path: str, max_bytes: int) -> bytes:
    # Check what the path is before opening it: opening a FIFO blocks, reading a device never ends.
    try:
        info = os.stat(path)
    except OSError as exc:
        raise ScrapeError(_stat_error(path, exc)) from exc
    _check_regular(info, max_bytes)
    try:
        # Non-blocking, in case the path was swapped for a FIFO since the check.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ScrapeError(f"cannot read: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb", buffering=0) as handle:
        _check_regular(os.fstat(fd), max_bytes)
        try:
            return _read_capped(iter(lambda: handle.read(CHUNK), b""), max_bytes)
        except OSError as exc:
            raise ScrapeError(f"cannot read: {exc.strerror or exc}") from exc


def _stat_error(path: str, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (too many levels of symbolic links)"
    if exc.errno == errno.ENOENT:
        return "broken symbolic link" if os.path.islink(path) else "no such file"
    return f"cannot read: {exc.strerror or exc}"


def _check_regular(info: os.stat_result, max_bytes: int) -> None:
    for test, kind in FILE_KINDS.items():
        if test(info.st_mode):
            raise NotRegularFile(f"is {kind}, not a regular file")
    if not stat.S_ISREG(info.st_mode):
        raise NotRegularFile("is not a regular file")
    if info.st_size > max_bytes:
        raise _too_large(info.st_size, max_bytes)


def _read_capped(chunks, max_bytes: int) -> bytes:
    """Join chunks, stopping as soon as they exceed `max_bytes` (sizes on disk or in headers can lie)."""
    parts, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(None, max_bytes)
        parts.append(chunk)
    return b"".join(parts)


def document_name(location: str) -> str:
    """The file name of a path or URL, as documents are listed (a URL's host, never its credentials)."""
    if location.startswith(("http://", "https://")):
        parts = urlparse(location)
        return Path(parts.path).name or (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return Path(location).name


def collect_file(
    result: SourceResult,
    location: str,
    seen: set[str],
    limits: Limits | None = None,
    expect: Snapshot | None = None,
    fetch: Callable[[str, int], bytes] | None = None,
) -> None:
    """Read one document into `result` in a worker process, unless a document with its content was seen.

    A document that cannot be read at all is recorded as failed under `unread_key(location)`,
    so that it appears in the store and is tried again on the next run. A URL is fetched as
    configured and recorded redacted (`http://***@host/file.pdf?token=***`), by `fetch(url, max_bytes)`
    when given (the run's polite session), else by a plain request. With `expect`
    (the file's size and modification time when it was found settled), a file that changed
    while it was read is recorded as waiting, not read.
    """
    limits = limits or DEFAULT_LIMITS
    name, shown = document_name(location), redact_url(location)
    try:
        if fetch is not None and location.startswith(("http://", "https://")):
            data = fetch(location, limits.max_bytes)
        else:
            data = fetch_bytes(location, max_bytes=limits.max_bytes)
    except Exception as exc:  # whatever the path or server did, it is this document's failure
        error, error_type = describe_failure(exc)
        error = redact_text(error)
        document = Document(unread_key(shown), name, shown, result.source, result.kind, "failed", error, error_type)
        result.documents.append(document)
        result.errors.append(f"{name}: {error}")
        return
    if expect is not None and (len(data) != expect.size or snapshot(location) != expect):
        result.documents.append(waiting(result, location, "it changed while it was read"))
        return
    if sha256(data) in seen:
        return
    # parse_document is looked up here, not bound at import, so a test can swap the parser the worker runs.
    articles, document = parse_document_isolated(data, name, shown, result.source, result.kind, limits, parse=parse_document)
    result.articles.extend(articles)
    result.documents.append(document)
    if document.error:
        result.errors.append(f"{document.name}: {document.error}")


# --- Files still being written -------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """What says a file is still being written: its size and modification time (ns)."""

    size: int
    mtime_ns: int


def snapshot(path: str) -> Snapshot | None:
    """The file's size and modification time, or None for anything but a regular file one can stat."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return Snapshot(info.st_size, info.st_mtime_ns) if stat.S_ISREG(info.st_mode) else None


def unsettled(paths: list[str], settle: float) -> tuple[dict[str, Snapshot], dict[str, str]]:
    """Which files have been left alone for `settle` seconds: ({path: snapshot} settled, {path: why not}).

    A file modified less than `settle` seconds ago (or, by a clock that disagrees, in the future)
    is watched until it is that old: one wait for all of them, of at most `settle` seconds. A
    file whose size or modification time changed meanwhile is still being written (copied,
    downloaded, saved by a mail client) and waits for the next run. Paths that are not regular
    files are left to the reader, which records why it cannot read them.
    """
    first = {path: snapshot(path) for path in paths}
    found = {path: s for path, s in first.items() if s is not None}
    if settle <= 0:
        return found, {}
    now = time.time()
    ages = {path: now - s.mtime_ns / 1e9 for path, s in found.items()}
    young = [path for path, age in ages.items() if not 0 <= age < float("inf") or age < settle]
    if not young:
        return found, {}
    time.sleep(max(settle - max(ages[path], 0.0) for path in young))
    busy = {}
    for path in young:
        now_seen = snapshot(path)
        if now_seen != found[path]:
            busy[path] = f"still being written (its size or modification time changed within {settle:g} s)"
            found.pop(path)
    return found, busy


def waiting(result: SourceResult, location: str, why: str) -> Document:
    """The record of a file left for the next run: not read, not failed."""
    return Document(
        unread_key(location), document_name(location), location, result.source, result.kind, "waiting",
        f"{why}; it is read on the next run",
    )  # fmt: skip


def collect_inbox(name: str, folder: str | Path, seen: set[str], limits: Limits | None = None, settle: float = 0.0) -> SourceResult:
    """Every document in the folder whose content has not been processed yet; each entry read or recorded.

    Hidden entries (".name") and Office lock files ("~$name") are left alone; files of an
    unsupported type are recorded as "skipped" (never read), so that the store lists them;
    subfolders are not documents. A file is read only once it has stayed unchanged for `settle`
    seconds (`unsettled`); one still being written is recorded as "waiting" and read next run.
    """
    result = SourceResult(name, "inbox")
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except FileNotFoundError:
        result.errors.append(f"inbox folder {folder} does not exist")
        return result
    except OSError as exc:
        result.errors.append(f"cannot list inbox folder {folder}: {exc.strerror or exc}")
        return result
    documents = []
    for entry in entries:
        if stop_reason():  # SIGTERM: the documents read so far are saved; the rest wait for the next run
            result.errors.append(f"{stop_reason()}: the inbox's other documents are read next run")
            break
        if entry.name.startswith((".", "~$")):
            continue
        location = os.path.abspath(entry.path)  # not resolved: a symlink keeps its own name, a loop cannot raise
        suffix = Path(entry.name).suffix.lower()
        if suffix in SUFFIXES:
            documents.append(location)
        elif not _is_dir(entry):
            why = f"unsupported type {suffix!r}" if suffix else "unsupported type (no suffix)"
            result.documents.append(Document(unread_key(location), entry.name, location, name, result.kind, "skipped", why))
    settled, busy = unsettled(documents, settle)
    with one_worker():  # the folder's documents share a worker process, each still timed and failed alone
        for location in documents:
            if location in busy:
                result.documents.append(waiting(result, location, busy[location]))
            else:
                collect_file(result, location, seen, limits, settled.get(location) if settle > 0 else None)
    return result


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symlink loop
        return False


def collect_source(
    source: dict, seen: set[str], limits: Limits | None = None, fetch: Callable[[str, int], bytes] | None = None
) -> SourceResult:
    """Collect a `[[sources]]` entry of the configuration (`fetch`: how a document's URL is fetched)."""
    name, kind = source["name"], source.get("kind", "")
    if kind == "inbox":
        return redact_result(collect_inbox(name, source["path"], seen, limits, float(source.get("settle", 0))))
    if kind == "document":
        result = SourceResult(name, kind)
        collect_file(result, str(source.get("url") or source["path"]), seen, limits, fetch=fetch)
        return redact_result(result)
    return SourceResult(name, kind, errors=[f"source kind {kind!r} is not supported (supported: inbox, document)"])
