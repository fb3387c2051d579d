"""The records that scrapers hand to the rest of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field


class ScrapeError(Exception):
    """A source or document could not be read; the message is one clear line."""


@dataclass
class Extracted:
    """The text of a document as its reader found it, before splitting.

    `layout` tells the splitter which line breaks are real:
    - "wrapped": lines are the layout's lines (PDF); a paragraph may be broken
      over several of them and `\f` marks a page break;
    - "lines": plain text, where lines may or may not be hard-wrapped (TXT);
    - "blocks": every line is a block of the source (a DOCX paragraph or table
      row, an HTML block element) and is never joined to the next.
    """

    text: str
    layout: str = "lines"
    problems: list[str] = field(default_factory=list)


@dataclass
class Furniture:
    """Text of a document that belongs to no case, and what it is.

    kind: "running_header", "page_number", "toc", "cover", "footer", "advert",
    "boilerplate" (share widgets, editor credits) or "preamble" (text before the
    first case that is not a cover).
    """

    kind: str
    text: str


@dataclass
class Case:
    """One case cut out of a compilation, before source details are attached.

    `header` holds the lines between the title and the body that were read as
    metadata (issuing bodies, a source or date line): they are part of the case.
    `derived_title` is set when the document had no title line and the title is
    the first words of the body (a copy, not text of its own).
    """

    title: str
    body: str
    issuer: str | None = None
    published: str | None = None
    header: list[str] = field(default_factory=list)
    derived_title: bool = False


@dataclass
class Split:
    """A document's text cut into cases; every character is in a case or in `furniture`."""

    cases: list[Case] = field(default_factory=list)
    furniture: list[Furniture] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # The document's own title (its cover or first line), else its first heading; None when it has neither.
    title: str | None = None


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
    problems: str | None = None  # what the reader doubted, one a line (a shown date against the meta tag's)


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
    error_type: str | None = None
    articles: int = 0
    problems: list[str] = field(default_factory=list)
    furniture: list[Furniture] = field(default_factory=list)
    # What the document calls itself (Split.title): the digest names a compilation by it, never by its file name.
    title: str | None = None


@dataclass
class SourceResult:
    """What collecting one source produced: articles, documents and errors.

    Network sources (site, feed) also hand over what the store keeps for the next
    run: every request made (`fetch_log`, as `Session.log` has it), the attachments
    met, the canonical URLs done with (`known_urls`: stored, or never readable),
    the conditional-request validators worth keeping, and whether the site blocked us.
    """

    source: str
    kind: str
    articles: list[Article] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    fetch_log: list[dict] = field(default_factory=list)
    attachments: list = field(default_factory=list)
    known_urls: list[str] = field(default_factory=list)
    retry_urls: list[str] = field(default_factory=list)  # answered 404/410: asked again on later runs, with backoff
    furniture_lines: list[str] = field(default_factory=list)  # lines a site repeats on its pages, learned this run
    validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    blocked: bool = False

    @property
    def status(self) -> str:
        """`ok`, `partial` (some errors), `failed` (errors and nothing collected) or `blocked`."""
        if self.blocked:
            return "blocked"
        if not self.errors:
            return "ok"
        return "partial" if self.articles else "failed"


class LimitExceeded(ScrapeError):
    """A document is larger (on disk, downloaded or unpacked) than its configured limit."""


class NotRegularFile(ScrapeError):
    """A path names a directory, FIFO, device or socket, not a file that can be read."""


class WorkerDied(ScrapeError):
    """The process parsing a document ended without an answer (a crash in a C extension, a kill)."""
