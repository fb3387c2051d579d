"""Collect case articles from configured sources and split compilations into cases."""

from .compilation import split_compilation
from .documents import SUFFIXES, extract_text, parse_document, sha256
from .records import Article, Case, Document, Extracted, Furniture, ScrapeError, SourceResult, Split
from .regions import Region, find_region
from .sources import collect_file, collect_inbox, collect_source

__all__ = [
    "SUFFIXES",
    "Article",
    "Case",
    "Document",
    "Extracted",
    "Furniture",
    "Region",
    "ScrapeError",
    "SourceResult",
    "Split",
    "collect_file",
    "collect_inbox",
    "collect_source",
    "extract_text",
    "find_region",
    "parse_document",
    "sha256",
    "split_compilation",
]
