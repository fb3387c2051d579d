"""Collect case articles from configured sources and split compilations into cases."""

from .compilation import split_compilation
from .documents import SUFFIXES, parse_document, sha256, unread_key
from .isolate import parse_document_isolated
from .limits import Limits
from .readers import decode_text, extract_document
from .records import (
    Article,
    Case,
    Document,
    Extracted,
    Furniture,
    LimitExceeded,
    NotRegularFile,
    ScrapeError,
    SourceResult,
    Split,
    WorkerDied,
)
from .redact import redact_text, redact_url
from .regions import Region, find_region
from .sources import collect_file, collect_inbox, collect_source, fetch_bytes

__all__ = [
    "SUFFIXES",
    "Article",
    "Case",
    "Document",
    "Extracted",
    "Furniture",
    "LimitExceeded",
    "Limits",
    "NotRegularFile",
    "Region",
    "ScrapeError",
    "SourceResult",
    "Split",
    "WorkerDied",
    "collect_file",
    "collect_inbox",
    "collect_source",
    "decode_text",
    "extract_document",
    "fetch_bytes",
    "find_region",
    "parse_document",
    "parse_document_isolated",
    "redact_text",
    "redact_url",
    "sha256",
    "split_compilation",
    "unread_key",
]
