"""Format readers: bytes of a TXT, PDF, DOCX or HTML file to its text, keeping its structure.

Each reader returns an `Extracted` whose `layout` tells the splitter which line
breaks are real (see `records.Extracted`). Readers raise `ScrapeError` (or a
subclass) with one clear line; anything else escaping a reader is a bug that
`parse_document` still records against the document.
"""

from __future__ import annotations

import codecs
import html
import io
import re
import zipfile
from pathlib import Path

from .article import block_text, labelled_title
from .limits import DEFAULT_LIMITS, Limits, describe_bytes
from .records import Extracted, LimitExceeded, ScrapeError

SUFFIXES = {".txt", ".pdf", ".docx", ".html", ".htm"}
# GB2312 and GBK labels are decoded as their superset: real pages use characters beyond them.
GB_LABELS = {"gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936", "euc-cn", "csgb2312", "gb18030"}
BOMS = [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]


def one_line(exc: BaseException) -> str:
    """An exception's message as one short line (its class name when it has none)."""
    text = " ".join(str(exc).split())
    return (text[:300] + "…") if len(text) > 300 else text or type(exc).__name__


# --- Decoding ------------------------------------------------------------------------


def decode_text(data: bytes, declared: str | None = None) -> tuple[str, list[str]]:
    """Text of bytes and the problems met: BOM, then the declared encoding, then UTF-8, then line by line."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return _decode_after_bom(data[len(bom) :], encoding)
    problems: list[str] = []
    if declared:
        label = declared.strip().lower()
        try:
            return data.decode("gb18030" if label in GB_LABELS else label), problems
        except LookupError:
            problems.append(f"unknown declared encoding {declared!r}")
        except UnicodeDecodeError:
            pass  # declarations are often wrong; the bytes decide below
    try:
        return data.decode("utf-8"), problems
    except UnicodeDecodeError:
        return _decode_lines(data, problems)


def _decode_after_bom(body: bytes, encoding: str) -> tuple[str, list[str]]:
    try:
        return body.decode(encoding), []
    except UnicodeDecodeError:
        pass
    if encoding == "utf-8":
        # The BOM promises UTF-8, but files assembled from several sources carry GBK lines too.
        text, problems = _decode_lines(body, [])
        return text, ["invalid UTF-8 after a UTF-8 byte-order mark"] + problems
    text = body.decode(encoding, errors="replace")
    if len(body) % 2:
        return text, ["UTF-16 text with an odd number of bytes: the last byte was replaced"]
    return text, [f"invalid UTF-16: {text.count(chr(0xFFFD))} characters replaced"]


def _decode_lines(data: bytes, problems: list[str]) -> tuple[str, list[str]]:
    """Decode each line as UTF-8 or GB18030; a byte 0x0A never occurs inside a character of either.

    A short GB18030 line can also be valid UTF-8 ("目录" is C4BF C2BC): a line valid in
    both is read in the encoding that the file's unambiguous lines use most.
    """
    raws = data.split(b"\n")
    decoded: list[tuple[str | None, str | None]] = []
    damaged = 0
    for raw in raws:
        as_utf8 = as_gb = None
        try:
            as_utf8 = raw.decode("utf-8")
        except UnicodeDecodeError:
            as_utf8 = _damaged_utf8(raw)
            damaged += as_utf8 is not None
        try:
            as_gb = raw.decode("gb18030")
        except UnicodeDecodeError:
            pass
        decoded.append((as_utf8, as_gb))
    only_utf8 = sum(1 for raw, (u, g) in zip(raws, decoded) if u is not None and g is None and not raw.isascii())
    only_gb = sum(1 for u, g in decoded if g is not None and u is None)
    prefer_gb = only_gb > only_utf8
    lines, utf8, gb, replaced = [], 0, 0, 0
    for raw, (as_utf8, as_gb) in zip(raws, decoded):
        if as_utf8 is not None and (as_gb is None or not prefer_gb or raw.isascii()):
            lines.append(as_utf8)
            utf8 += not raw.isascii()
        elif as_gb is not None:
            lines.append(as_gb)
            gb += 1
        else:
            lines.append(raw.decode("gb18030", errors="replace"))
            replaced += 1
    if not utf8 and replaced:
        detected = _detect(data)
        if detected:
            return data.decode(detected, errors="replace"), problems + [f"encoding detected as {detected}"]
    if utf8 and gb:
        problems.append(f"mixed encodings: {gb} lines decoded as GB18030")
    if replaced:
        problems.append(f"undecodable bytes in {replaced} lines replaced with U+FFFD")
    if damaged:
        problems.append(f"invalid UTF-8 bytes in {damaged} otherwise UTF-8 lines replaced with U+FFFD")
    return "\n".join(lines), problems


def _damaged_utf8(raw: bytes) -> str | None:
    """A line of UTF-8 text with a few invalid bytes (a page cut off mid-character, a stray byte), decoded
    with those replaced; None when the line is not mostly UTF-8. GB18030 would decode such a line too,
    into nonsense (鍥藉姟闄…), and GB text read as UTF-8 gives a replacement for nearly every character."""
    text = raw.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    decoded = sum(1 for ch in text if ord(ch) > 127) - bad  # characters UTF-8 read whole
    return text if decoded >= 20 * bad else None


def _detect(data: bytes) -> str | None:
    """An encoding other than UTF-8 and GB18030, when statistics find one (Big5, Shift-JIS …)."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding.lower().replace("_", "") in GB_LABELS | {"utf8", "ascii"}:
        return None
    return best.encoding


# --- TXT and PDF ---------------------------------------------------------------------


def extract_txt(data: bytes) -> Extracted:
    """Text of a plain-text file; lines may or may not be hard-wrapped."""
    text, problems = decode_text(data)
    return Extracted(text, "lines", problems)


def extract_pdf(data: bytes) -> Extracted:
    """Layout lines of a PDF, pages separated by form feeds."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except MemoryError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files; all mean the same here
        raise ScrapeError(f"corrupt or unreadable PDF: {one_line(exc)}") from exc
    if not any(p.strip() for p in pages):
        raise ScrapeError("PDF has no extractable text (scanned images?)")
    return Extracted("\f".join(pages), "wrapped")


# --- DOCX ----------------------------------------------------------------------------

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Run content and its text equivalent; w:delText (deleted text) and w:instrText (field codes) are left out.
RUN_TEXT = {W + "t": None, W + "tab": "\t", W + "br": "\n", W + "cr": "\n", W + "noBreakHyphen": "-"}
# Containers whose children are blocks in their own right (content controls, custom XML).
BLOCK_WRAPPERS = {W + "sdt", W + "sdtContent", W + "customXml"}


def check_zip(data: bytes, limits: Limits, kind: str = "DOCX") -> None:
    """Refuse an archive whose declared unpacked size is over the limits, before anything is unpacked."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise ScrapeError(f"corrupt or unreadable {kind}: not a zip archive ({one_line(exc)})") from exc
    total = sum(m.file_size for m in members)
    if total > limits.max_unpacked:
        raise LimitExceeded(f"{kind} unpacks to {describe_bytes(total)}, more than the limit of {describe_bytes(limits.max_unpacked)}")
    biggest = max(members, key=lambda m: m.file_size, default=None)
    if biggest and biggest.file_size > limits.max_member:
        raise LimitExceeded(
            f"{kind} member {biggest.filename} unpacks to {describe_bytes(biggest.file_size)}, "
            f"more than the limit of {describe_bytes(limits.max_member)}"
        )


def extract_docx(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Extracted:
    """Paragraphs and table rows of a Word document in document order, one block per line."""
    check_zip(data, limits)
    import docx

    try:
        body = docx.Document(io.BytesIO(data)).element.body
    except MemoryError:
        raise
    except Exception as exc:  # zip, XML and package errors alike: the file is damaged
        raise ScrapeError(f"corrupt or unreadable DOCX: {one_line(exc)}") from exc
    lines: list[str] = []
    for block in _docx_blocks(body):
        lines.extend(line.strip() for line in block.split("\n"))
    return Extracted("\n".join(line for line in lines if line), "blocks")


def _docx_blocks(container) -> list[str]:
    """Text of each paragraph and table row directly in `container`, in order.

    python-docx's `document.paragraphs` and `document.tables` are two separate lists
    (their order is lost), its `row.cells` repeats merged cells, and its paragraph text
    skips runs inside w:ins or w:smartTag; walking the XML keeps all of it.
    """
    blocks = []
    for child in container.iterchildren():
        if child.tag == W + "p":
            blocks.append(_paragraph_text(child))
        elif child.tag == W + "tbl":
            blocks.extend(_row_text(row) for row in child.iterchildren(W + "tr"))
        elif child.tag in BLOCK_WRAPPERS:
            blocks.extend(_docx_blocks(child))
    return blocks


def _row_text(row) -> str:
    # One line per row: a cell's own paragraphs and nested tables are joined by spaces.
    cells = [" ".join(" ".join(b.split("\n")) for b in _docx_blocks(cell)).strip() for cell in row.iterchildren(W + "tc")]
    return "\t".join(cells).strip()


def _paragraph_text(paragraph) -> str:
    parts, stack = [], [paragraph]
    while stack:
        element = stack.pop()
        if element.tag == MC_FALLBACK:
            continue  # the same text box again, for old readers
        if element.tag in RUN_TEXT:
            parts.append(element.text or "" if RUN_TEXT[element.tag] is None else RUN_TEXT[element.tag])
            continue
        stack.extend(reversed(element))
    return "".join(parts)


# --- HTML ----------------------------------------------------------------------------

# Content containers of Chinese government CMSs (SOURCES.md), most specific first.
CONTAINERS = [
    ("class", "TRS_Editor"),
    ("class", "TRS_UEDITOR"),
    ("class", "Custom_UnionStyle"),
    ("id", "zoom"),
    ("id", "UCAP-CONTENT"),
    ("class", "pages_content"),
    ("class", "easysite-news-peruse"),
    ("id", "mainText"),
    ("id", "articleContent"),
    ("class", "article-content"),
    ("id", "content"),
    ("class", "content"),
    ("tag", "article"),
]
# Of those, the names any widget may carry (<article> too): they count only when they hold prose.
GENERIC_CONTAINERS = {"mainText", "articleContent", "article-content", "content"}
# Elements that are never article text. <form> is kept: ASP.NET pages wrap everything in one.
DROPPED_TAGS = {
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "head",
    "nav", "header", "footer", "aside", "button", "select", "input", "textarea", "menu",
}  # fmt: skip
# Class or id words that mark page furniture: navigation, share widgets (bdshare…), footers.
FURNITURE_RE = re.compile(r"(?:^|[\s_-])(?:bd)?(?:share|footer|nav|menu|breadcrumb|crumb|bread|sidebar|toolbar|fontsize|related)", re.I)
BLOCK_TAGS = {
    "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "dir", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "form", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "html",
    "legend", "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "ul",
}  # fmt: skip
CHARSET_RE = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?\s*([\w.:-]+)""", re.I)
HTML_SPACE = re.compile(r"[ \t\n\r\f\xa0]+")
WIDE = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
# A line break in the source between two Chinese characters is no space (CSS Text, segment breaks).
WIDE_BREAK = re.compile(rf"(?<=[{WIDE}])[ \t\r\f]*\n\s*(?=[{WIDE}])")


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in its first bytes (<meta charset>, http-equiv, XML declaration)."""
    match = CHARSET_RE.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def extract_html(data: bytes) -> Extracted:
    """Text of an article page: its content container (or whole body), one block per line, furniture removed."""
    import lxml.html
    from lxml import etree

    from .html import parser as html_parser

    text, problems = decode_text(data, declared_charset(data))
    # huge_tree (scrapers/html.py): the document is capped (Limits.max_bytes) and parsed in a
    # worker limited in time and memory.
    parser = html_parser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError):  # nothing but whitespace or comments
        return Extracted("", "blocks", problems)
    check_parsed_text(text, root)
    title = page_title(root)
    roots = content_roots(root)
    for element in roots:
        _drop_furniture(element)
    lines = _Lines()
    for element in roots:
        _render(element, lines)
        lines.flush()
    title = shown_title(title, lines.lines)
    join_wrapped_title(title, lines.lines)
    compact = ["".join(line.split()) for line in lines.lines[:10]]
    compact_title = "".join(title.split())
    if title and compact_title not in compact:
        lines.lines.insert(0, title)
    elif title and compact.index(compact_title) > 0:
        # the splitter takes the first line for the title: the lines above it (a breadcrumb, a column's
        # name, a site's name, a date) follow it instead, none dropped (a breadcrumb is never a title)
        lines.lines.insert(0, lines.lines.pop(compact.index(compact_title)))
    return Extracted("\n".join(lines.lines), "blocks", problems)


# What separates a page's title from the site's and the column's names in a <title>.
TITLE_PARTS_RE = re.compile(r"\s*(?:[_|｜]|\s[-—–]+\s|-{1,3}|—{1,2})\s*")
# The separators a title itself never holds ("标题_站名", "标题 | 站名", "标题---站名", "标题 - 站名"): a
# single "-" or a "——" may be the title's own ("2018—2035年", "破解难题——某市的做法").
SITE_SEPARATOR_RE = re.compile(r"\s*(?:[_|｜]|\s[-—–]+\s|-{2,3})\s*")
# A site's name: "南昌文明网", "中国政府网", "北京市人民政府门户网站", "www.gov.cn".
SITE_NAME_RE = re.compile(r"(?:网|网站|门户|官网|人民政府|政府|客户端|频道)$|www\.|\.(?:gov|com|cn|net|org)\b", re.I)


def shown_title(title: str, lines: list[str]) -> str:
    """A <title>'s own part ("标题 - 栏目 - 站名", "站名-栏目-标题"): the longest part the page shows as a
    line of its own near the top; the title as it is when it is shown whole; when no part is shown,
    the title without the site's name that opens or closes it ("标题---南昌文明网")."""
    compact = {"".join(line.split()) for line in lines[:15]}
    if not title or "".join(title.split()) in compact:
        return title
    parts = [part for part in TITLE_PARTS_RE.split(title) if len(part) >= 4]
    shown = [part for part in parts if "".join(part.split()) in compact]
    if len(parts) > 1 and shown:
        return max(shown, key=len)
    return without_site_name(title)


def without_site_name(title: str) -> str:
    """A <title> without the site's name before or after it ("标题---南昌文明网" → "标题"); as it is when
    nothing of it is a site's name, or the name is all there is."""
    parts = [part for part in SITE_SEPARATOR_RE.split(title) if part]
    while len(parts) > 1 and SITE_NAME_RE.search(parts[-1]):
        parts.pop()
    while len(parts) > 1 and SITE_NAME_RE.search(parts[0]):
        parts.pop(0)
    if len(parts) == len(SITE_SEPARATOR_RE.split(title)):
        return title
    # what is left is a run of the title; cut it out of the title as written (its separators kept)
    start = title.index(parts[0])
    return title[start : title.index(parts[-1], start) + len(parts[-1])].strip()


def join_wrapped_title(title: str, lines: list[str]) -> None:
    """Join the lines a title is wrapped over near the top ("国务院关于在市场监管领域全面推行" /
    "部门联合“双随机、一公开”监管的意见") into one, written as the page's title names it.

    Only spaces differ between the lines joined and the title: no character is dropped.
    """
    target = "".join(title.split())
    if not target:
        return
    for start in range(min(8, len(lines))):
        joined = ""
        for end in range(start, min(start + 4, len(lines))):
            joined += "".join(lines[end].split())
            if not target.startswith(joined):
                break
            if joined == target:
                if end > start:
                    lines[start : end + 1] = [" ".join(title.split())]
                return


# The text a browser would show, read from the source without a parser: comments, scripts and
# styles out, then every tag; "<" not followed by a tag's first character is text in HTML.
SOURCE_HIDDEN_RE = re.compile(r"<!--.*?(?:-->|$)|<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.S | re.I)
# A tag ends at the first ">" outside its quoted attribute values: onclick="…indexOf(x)>=0?…",
# v-if="list.length>2" hold one.
SOURCE_TAG_RE = re.compile(r"""<[A-Za-z/!?](?:=\s*"[^"]*"|=\s*'[^']*'|[^>])*>?""")
# Characters the parser may lose before a document fails: a few for markup it had to repair
# (an entity it reads otherwise, a stray "<"), never a paragraph.
LOST_TEXT_ALLOWED = 50


def source_text_size(text: str) -> int:
    """Non-space characters of the text an HTML source shows, counted on the source itself."""
    visible = SOURCE_TAG_RE.sub(" ", SOURCE_HIDDEN_RE.sub(" ", text))
    return len("".join(html.unescape(visible).split()))


def parsed_text_size(root) -> int:
    """Non-space characters of the text in the parsed tree, scripts and styles left out."""
    return sum(len("".join(t.split())) for t in root.xpath("//text()[not(ancestor::script) and not(ancestor::style)]"))


def check_parsed_text(text: str, root) -> None:
    """Raise when the parser produced less text than the source shows (a parser limit, markup it gave up on)."""
    source, parsed = source_text_size(text), parsed_text_size(root)
    if source - parsed > max(LOST_TEXT_ALLOWED, source // 1000):
        raise ScrapeError(
            f"the HTML parser kept {parsed:,} of the {source:,} characters of text in the page: "
            f"{source - parsed:,} went missing (broken markup or a parser limit)"
        )


def page_title(root) -> str:
    """The article's title as the page names it: <meta name="ArticleTitle">, a metadata table's labelled
    row (标　　题：…), the <h1> its <title> repeats, og:title, the first <h1>, else the <title>.

    The first <h1> of a page may be a menu's ("全部导航"): one the <title> repeats comes before it.
    """
    metas = {
        (meta.get("name") or meta.get("property") or "").strip().lower(): " ".join((meta.get("content") or "").split())
        for meta in root.iter("meta")
    }
    if metas.get("articletitle"):
        return metas["articletitle"]
    body = root.find("body")
    labelled = labelled_title(block_text(body if body is not None else root))
    if labelled:
        return " ".join(labelled.split())
    head = next((" ".join(e.text_content().split()) for e in root.iter("title") if e.text_content().strip()), "")
    headings = [" ".join(h.text_content().split()) for h in root.iter("h1")]
    headings = [h for h in headings if h]
    repeated = next((h for h in headings if len(h) >= 4 and "".join(h.split()) in "".join(head.split())), None)
    return repeated or metas.get("og:title") or (headings[0] if headings else head)


def content_roots(root) -> list:
    """The elements holding the article: the first kind of known container that has text, else <body>."""
    for kind, name in CONTAINERS:
        if kind == "tag":
            found = list(root.iter(name))
        elif kind == "id":
            found = root.xpath("//*[@id=$name]", name=name)
        else:
            found = root.xpath("//*[contains(concat(' ', normalize-space(@class), ' '), $name)]", name=f" {name} ")
        outermost = [e for e in found if not any(a in found for a in e.iterancestors())]
        if (kind == "tag" or name in GENERIC_CONTAINERS) and not any(_is_prose(e.text_content()) for e in outermost):
            continue  # a name any widget may carry (a login box's .content): it counts only when one holds prose
        if any(e.text_content().strip() for e in outermost):
            return outermost
    body = root.find("body")
    return [body if body is not None else root]


def _is_prose(text: str) -> bool:
    """Whether a container's text reads as an article: two sentences or 200 characters (as `parse_article`)."""
    return text.count("。") >= 2 or len("".join(text.split())) >= 200


def _drop_furniture(root) -> None:
    doomed = [
        e for e in root.iterdescendants()
        if not isinstance(e.tag, str) or e.tag in DROPPED_TAGS or FURNITURE_RE.search(f"{e.get('class', '')} {e.get('id', '')}")
    ]  # fmt: skip
    total = _text_size(root)
    for element in doomed:
        # Names lie ("main-nav-wrapper" around a whole page): furniture never holds most of the text.
        if isinstance(element.tag, str) and element.tag not in ("script", "style") and _text_size(element) * 2 > total:
            continue
        if element.getparent() is not None:
            element.drop_tree()  # keeps the tail text, which belongs to the parent


def _text_size(element) -> int:
    return sum(len("".join(text.split())) for text in element.itertext())


class _Lines:
    """Lines being built from inline text, broken at block boundaries."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.parts: list[str] = []

    def add(self, text: str | None) -> None:
        if text:
            self.parts.append(HTML_SPACE.sub(" ", WIDE_BREAK.sub("", text)))

    def add_raw(self, text: str) -> None:
        self.parts.append(text)

    def flush(self) -> None:
        line = "".join(self.parts).strip()
        self.parts = []
        if line:
            self.lines.append(line)


def _render(element, out: _Lines) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag == "br":
        out.flush()
    elif tag == "tr":
        out.flush()
        cells = []
        for cell in element.iterchildren("td", "th"):
            inner = _Lines()
            _render(cell, inner)
            inner.flush()
            cells.append(" ".join(inner.lines))
        out.add_raw("\t".join(cells).strip())
        out.flush()
    elif tag == "pre":
        out.flush()
        for line in element.text_content().split("\n"):
            out.add_raw(line.replace("\xa0", " "))
            out.flush()
    else:
        block = tag in BLOCK_TAGS or tag in ("td", "th")
        if block:
            out.flush()
        out.add(element.text)
        for child in element:
            _render(child, out)
            out.add(child.tail)
        if block:
            out.flush()


# --- By type -------------------------------------------------------------------------


def sniff_suffix(data: bytes) -> str | None:
    """The suffix a document's first bytes show, for URLs and files named without one."""
    head = data[:1024].lstrip().lower()
    if head.startswith(b"%pdf-"):
        return ".pdf"
    if head.startswith(b"pk\x03\x04"):
        return ".docx"
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in head:
        return ".html"
    return None


def extract_document(data: bytes, name: str, limits: Limits | None = None) -> Extracted:
    """Text of a document, read by its file name's suffix (or by its first bytes when the name has none)."""
    limits = limits or DEFAULT_LIMITS
    if len(data) > limits.max_bytes:
        raise LimitExceeded(f"document is {describe_bytes(len(data))}, larger than the limit of {describe_bytes(limits.max_bytes)}")
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        suffix = sniff_suffix(data) or suffix
    if suffix == ".pdf":
        return extract_pdf(data)
    if suffix == ".docx":
        return extract_docx(data, limits)
    if suffix in (".html", ".htm"):
        return extract_html(data)
    if suffix == ".txt":
        return extract_txt(data)
    raise ScrapeError(f"unsupported document type {suffix or '(none)'!r}")


PDF_CREATED_RE = re.compile(rb"/CreationDate\s*\(\s*D:((?:19|20)\d{2})")
DOCX_CREATED_RE = re.compile(rb"<dcterms:created[^>]*>\s*((?:19|20)\d{2})-")


def created_year(data: bytes) -> int | None:
    """The year a PDF or DOCX says it was made (its metadata), when it says so plainly."""
    if data[:5].lower() == b"%pdf-":
        match = PDF_CREATED_RE.search(data[:1_000_000]) or PDF_CREATED_RE.search(data[-100_000:])
        return int(match.group(1)) if match else None
    if data[:4] == b"PK\x03\x04":
        try:
            core = zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml")[:100_000]
        except (KeyError, zipfile.BadZipFile, ValueError, EOFError, OSError):
            return None
        match = DOCX_CREATED_RE.search(core)
        return int(match.group(1)) if match else None
    return None
