"""Read compilation files (TXT, PDF, DOCX, HTML) and cut them into articles."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from .compilation import split_compilation
from .records import Article, Document, ScrapeError
from .regions import find_region

SUFFIXES = {".txt", ".pdf", ".docx", ".html", ".htm"}
# GB2312 and GBK labels are decoded as their superset: real pages use characters beyond them.
GB_LABELS = {"gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936", "euc-cn"}


def sha256(data: bytes) -> str:
    """Hex SHA-256 of the bytes: the identity of a document."""
    return hashlib.sha256(data).hexdigest()


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode bytes: BOM, then the declared encoding, then UTF-8, then detection."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    candidates = []
    if declared:
        declared = declared.strip().lower()
        candidates.append("gb18030" if declared in GB_LABELS else declared)
    candidates.append("utf-8")
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ScrapeError("cannot detect the text encoding")
    encoding = "gb18030" if best.encoding.lower() in GB_LABELS else best.encoding
    return data.decode(encoding, errors="replace")


def extract_pdf(data: bytes) -> str:
    """Text of a PDF, pages separated by form feeds (page breaks)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ScrapeError(f"corrupt or unreadable PDF: {exc}") from exc
    if not any(p.strip() for p in pages):
        raise ScrapeError("PDF has no extractable text (scanned images?)")
    return "\f".join(pages)


def extract_docx(data: bytes) -> str:
    """Paragraphs and table cells of a Word document, one per line."""
    import zipfile

    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ScrapeError(f"corrupt or unreadable DOCX: {exc}") from exc
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" ".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def extract_html(data: bytes) -> str:
    """Visible text of an HTML page, one block per line."""
    from bs4 import BeautifulSoup

    head = data[:2048].decode("ascii", errors="ignore")
    match = re.search(r"charset=[\"']?([\w-]+)", head, re.I)
    soup = BeautifulSoup(decode_text(data, match.group(1) if match else None), "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer"]):
        tag.decompose()
    return soup.get_text("\n")


def extract_text(data: bytes, name: str) -> str:
    """Text of a document, by its file name's suffix."""
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        return extract_pdf(data)
    if suffix == ".docx":
        return extract_docx(data)
    if suffix in (".html", ".htm"):
        return extract_html(data)
    if suffix == ".txt":
        return decode_text(data)
    raise ScrapeError(f"unsupported document type {suffix or '(none)'!r}")


def parse_document(data: bytes, name: str, url: str, source: str, kind: str = "document") -> tuple[list[Article], Document]:
    """Articles cut out of one compilation, and the record of the document."""
    document = Document(sha256(data), name, url, source, kind)
    try:
        text = extract_text(data, name)
    except ScrapeError as exc:
        document.status, document.error = "failed", str(exc)
        return [], document
    try:
        articles = articles_from_text(text, url, source, document)
    except Exception as exc:  # a bug meeting odd input must not stop the other documents
        document.status, document.error = "failed", f"cannot split into cases: {type(exc).__name__}: {exc}"
        return [], document
    document.articles = len(articles)
    if not articles:
        document.status, document.error = "failed", "no article found in the document"
    return articles, document


def articles_from_text(text: str, url: str, source: str, document: Document) -> list[Article]:
    """Split a document's text into cases and turn them into articles."""
    split = split_compilation(text)
    cases, document.problems, document.furniture = split.cases, split.problems, split.furniture
    articles = []
    for position, case in enumerate((c for c in cases if c.title and c.body), start=1):
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
