"""Collect case articles from configured sources and split compilations into cases."""

from .compilation import split_compilation
from .documents import SUFFIXES, extract_text, parse_document, sha256
from .records import Article, Case, Document, ScrapeError, SourceResult
from .regions import Region, find_region
from .sources import collect_file, collect_inbox, collect_source

__all__ = [
    "SUFFIXES",
    "Article",
    "Case",
    "Document",
    "Region",
    "ScrapeError",
    "SourceResult",
    "collect_file",
    "collect_inbox",
    "collect_source",
    "extract_text",
    "find_region",
    "parse_document",
    "sha256",
    "split_compilation",
]
