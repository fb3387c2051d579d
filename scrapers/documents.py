"""Parse one compilation document into articles and the record of the document, never raising."""

from __future__ import annotations

import hashlib

from zhtext import garbled

from .compilation import split_compilation, unaccounted
from .dates import find_year, parse_date_range
from .limits import Limits
from .readers import SUFFIXES, created_year, extract_document, one_line
from .records import Article, Document, Furniture, ScrapeError, Split
from .regions import find_region

__all__ = ["SUFFIXES", "describe_failure", "parse_document", "sha256", "unread_key"]


def sha256(data: bytes) -> str:
    """Hex SHA-256 of the bytes: the identity of a document."""
    return hashlib.sha256(data).hexdigest()


def unread_key(location: str) -> str:
    """The stable key of a document whose bytes could not be read: derived from where it is."""
    return sha256(("unread:" + location).encode())


def describe_failure(exc: BaseException) -> tuple[str, str]:
    """One clear line for the failure and the name of the exception type that caused it."""
    if isinstance(exc, MemoryError):
        return "ran out of memory", "MemoryError"
    if isinstance(exc, RecursionError):
        return "structure nested too deeply to read", "RecursionError"
    if isinstance(exc, ScrapeError):
        # A plain ScrapeError wraps the library error it explains; its type says more.
        cause = exc.__cause__ if type(exc) is ScrapeError and exc.__cause__ is not None else exc
        return str(exc), type(cause).__name__
    return f"{type(exc).__name__}: {one_line(exc)}", type(exc).__name__


def fail(document: Document, exc: BaseException) -> None:
    """Mark the document failed by this exception."""
    document.error, document.error_type = describe_failure(exc)
    document.status = "failed"


def parse_document(
    data: bytes, name: str, url: str, source: str, kind: str = "document", limits: Limits | None = None
) -> tuple[list[Article], Document]:
    """Articles cut out of one compilation, and the record of the document; any failure is recorded, not raised."""
    document = Document(sha256(data), name, url, source, kind)
    try:
        extracted = extract_document(data, name, limits)
    except Exception as exc:  # one bad document must never stop the others
        fail(document, exc)
        return [], document
    document.problems = list(extracted.problems)
    try:
        split = split_compilation(extracted.text, extracted.layout)
        lost = unaccounted(extracted.text, split)
        if lost:  # a splitter bug: say so rather than store a case with text missing unnoticed
            document.problems.append(f"{sum(lost.values())} character(s) placed in no case and no furniture")
        articles = articles_from_split(split, url, source, document)
        date_by_period(articles, split, name, data)
    except MemoryError as exc:
        fail(document, exc)
        return [], document
    except Exception as exc:  # a splitter bug meeting odd input
        document.status, document.error_type = "failed", type(exc).__name__
        document.error = f"cannot split into cases: {type(exc).__name__}: {one_line(exc)}"
        return [], document
    document.articles = len(articles)
    if not articles:
        document.status, document.error = "failed", "no article found in the document"
    return articles, document


def date_by_period(articles: list[Article], split: Split, name: str, data: bytes) -> None:
    """Cases without a date of their own take the last day of the compilation's period ("11月8日-11月14日").

    The period is read from the cover and running headers, else the file name;
    a period without a year takes it from those lines, the file name, the file's
    metadata or the run date, whichever first puts it in the past (Asia/Shanghai).
    """
    if all(a.published for a in articles):
        return
    lines = [f.text for f in split.furniture if f.kind in ("cover", "running_header")]
    years = [find_year(line) for line in lines] + [find_year(name), created_year(data)]
    for text in [*lines, name]:
        period = parse_date_range(text, years)
        if period:
            for article in articles:
                article.published = article.published or period[1]
            return


def articles_from_split(split: Split, url: str, source: str, document: Document) -> list[Article]:
    """Turn a document's cases into articles; the split's furniture and problems go to the document."""
    document.furniture = list(split.furniture)
    document.problems += split.problems
    document.title = split.title
    for case in split.cases:
        if not case.body:  # a heading with nothing under it: kept with the document, not as a case
            document.problems.append(f"heading without text: {case.title!r}")
            document.furniture.append(Furniture("empty_case", case.title))
    articles = []
    for position, case in enumerate((c for c in split.cases if c.title and c.body), start=1):
        sample = garbled(case.title + "\n" + case.body)
        if sample:  # the digest holds such a case for review instead of printing it
            document.problems.append(f"mojibake in case {position} {case.title[:40]!r}: {sample!r} (a wrong encoding?); held for review")
        region = find_region(case.title, case.issuer, case.body)
        articles.append(
            Article(
                title=case.title,
                body=case.body,
                url=url,
                source=source,
                published=case.published,
                region=region.label,
                province=region.province,
                city=region.city,
                issuer=case.issuer,
                document=document.sha256,
                position=position,
            )
        )
    return articles
