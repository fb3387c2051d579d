"""Logging with the secrets of source URLs redacted from every record, whoever logs it (and a stopped
run's traceback left out).

casewatch's own messages are built from redacted URLs already; this guards the lines of
the libraries under it: urllib3's debug lines (`"GET /feed.xml?token=… HTTP/1.1" 200`),
requests' exceptions in tracebacks, Prefect's task and flow logs (its console and the
run logs it sends to its API). A record factory, not a filter on some handlers: it
applies to every logger and every handler, those Prefect configures after us included.
"""

from __future__ import annotations

import logging
import traceback

from scrapers.redact import redact_text

from .errors import stopped

__all__ = ["install_redaction", "redact_text", "redacted_record_factory"]


def redacted_record_factory(factory):
    """A LogRecord factory that builds records with `factory` and redacts their message and traceback."""

    def make(*args, **kwargs) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging reports it itself when it formats the record
            return record
        if record.exc_info and stopped(record.exc_info[1]):
            # A run stopped by the user (Ctrl-C, SIGTERM): Prefect logs the flow's exception with its
            # traceback, 30 lines for what the message says in one.
            record.exc_info, record.exc_text = None, None
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            # Formatters use exc_text when it is set: the traceback's messages quote URLs.
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            if redact_text(text) != text:
                record.exc_text = redact_text(text)
        return record

    make.redacts = True  # type: ignore[attr-defined]
    return make


def install_redaction() -> None:
    """Redact every log record of this process from now on (idempotent)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "redacts", False):
        logging.setLogRecordFactory(redacted_record_factory(current))
