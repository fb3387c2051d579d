"""The records that scrapers hand to the rest of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field


class ScrapeError(Exception):
    """A source or document could not be read; the message is one clear line."""


@dataclass
class Case:
    """One case cut out of a compilation, before source details are attached."""

    title: str
    body: str
    issuer: str | None = None
    published: str | None = None


@dataclass
class Article:
    """A case article as stored: the contract between scrapers and store."""

    title: str
    body: str
    url: str
    source: str
    published: str | None = None
    region: str | None = None
    province: str | None = None
    city: str | None = None
    issuer: str | None = None
    document: str | None = None
    position: int | None = None


@dataclass
class Document:
    """A compilation file that was read (or failed to be read)."""

    sha256: str
    name: str
    url: str
    source: str
    kind: str
    status: str = "ok"
    error: str | None = None
    articles: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class SourceResult:
    """What collecting one source produced: articles, documents and errors."""

    source: str
    kind: str
    articles: list[Article] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """`ok`, `partial` (some errors) or `failed` (errors and nothing collected)."""
        if not self.errors:
            return "ok"
        return "partial" if self.articles else "failed"
