"""Hypothesis strategies that build compilation documents from real case texts.

A generated document knows its cases (title and content), so a test can check that
reading and splitting it gives back exactly those cases and accounts for every
other character as furniture. Formats: TXT (one paragraph per line, or hard-wrapped
with page furniture), HTML (inline markup, navigation, scripts, a site footer), DOCX
(a table inside a case), PDF (reportlab's built-in STSong-Light font, hard-wrapped,
running headers and page numbers).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from pathlib import Path

from hypothesis import strategies as st

LABELS = Path(__file__).resolve().parent.parent / "data" / "labels"
PROVINCES = ["浙江省", "陕西省", "湖北省", "贵州省", "四川省", "福建省", "山东省", "吉林省"]
NUMERALS = "一二三四五六七八九十"
COVER = ["每周营商环境优秀案例", "11月8日-11月14日", "营商智库"]
RUNNING_HEADER = "营商智库：每周案例汇编（11.08-11.14）"
FOOTER = ["责任编辑：张三", "版权所有：某某市人民政府办公室", "联系电话：0571-88888888"]
ADVERT = ["《营商环境国家政策汇编(2019-2021)》", "统一零售价299元,欢迎垂询。", "扫码立即抢购"]
ISSUERS = ["杭州市市场监督管理局", "宁波市发展和改革委员会", "桐庐县人民法院"]
STYLES = ["case", "numbered", "region", "toc"]
FORMATS = ["txt", "html", "docx", "pdf"]


@dataclass
class SourceCase:
    """A real case: its title and paragraphs."""

    title: str
    paragraphs: list[str]


@dataclass
class Generated:
    """A document and the cases it holds."""

    data: bytes
    name: str
    titles: list[str]
    contents: list[str]  # each case's text, every block in order
    style: str
    format: str
    furniture: list[str] = field(default_factory=list)

    def __repr__(self) -> str:  # the bytes are long; the shape is what a failing example needs
        return f"Generated({self.format}, {self.style}, {len(self.data)} bytes, titles={self.titles!r})"


def _usable(paragraph: str) -> bool:
    # Lines that would be read as headings of the generated styles, or as page numbers.
    return not re.match(rf"^(?:[{NUMERALS}]+、|案例\s*\d|\d+$|目\s*录$)", paragraph)


def _content(paragraph: str) -> bool:
    # The labellers copied some pages with their editor's credit: that is a footer, not the case.
    return not re.match(r"^(?:责任编辑|責任編輯)", paragraph)


@lru_cache(maxsize=1)
def source_cases() -> list[SourceCase]:
    """Real cases from the labelled seed compilations, first paragraphs only (documents stay small).

    Left out: cases whose first paragraph is a short line without end punctuation.
    Under a heading, such a line reads as a subtitle that wraps the title (seed 001
    has twelve); no layout-free rule can tell the two apart.
    """
    cases = []
    for path in sorted(LABELS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            paragraphs = [p.strip() for p in row["text"].split("\n") if p.strip() and _content(p.strip())][:6]
            if not paragraphs or not all(_usable(p) for p in paragraphs):
                continue
            if len(paragraphs[0]) <= 40 and paragraphs[0][-1] not in "。！？；：":
                continue
            cases.append(SourceCase(row["title"].strip(), paragraphs))
    return cases


def heading(style: str, n: int, title: str) -> str:
    """The heading line of case `n` (1-based) in a style."""
    if style == "case":
        return f"案例{n}：{title}"
    if style == "numbered":
        return f"{NUMERALS[n - 1] if n <= 10 else '十' + NUMERALS[n - 11]}、{title}"
    return title  # region titles carry their province; TOC headings repeat the entry


def wrap(text: str, width: int) -> list[str]:
    """Hard-wrap a paragraph at `width` characters."""
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


@st.composite
def documents(draw, fmt: str | None = None) -> Generated:
    """A compilation document in a random format, style and layout."""
    fmt = fmt or draw(st.sampled_from(FORMATS))
    style = draw(st.sampled_from(STYLES))
    pool = source_cases()
    picks = draw(st.lists(st.integers(0, len(pool) - 1), min_size=2, max_size=7, unique=True))
    cases = [pool[i] for i in picks]
    titles = [
        f"{draw(st.sampled_from(PROVINCES))}：{c.title}" if style in ("region", "toc") else c.title for c in cases
    ]
    issuers = [draw(st.sampled_from(ISSUERS)) if style == "numbered" and draw(st.booleans()) else None for _ in cases]
    table_in = draw(st.integers(0, len(cases) - 1)) if fmt == "docx" else None
    cover = draw(st.booleans())
    footer = draw(st.booleans())
    advert = draw(st.booleans())
    layout = {"wrap": draw(st.integers(22, 40)), "page": draw(st.integers(20, 45)), "ff": draw(st.booleans())}

    blocks: list[tuple[str, str]] = []  # (role, text); role: cover, toc, heading, issuer, para, table, footer, advert
    if cover or style == "toc":
        blocks += [("cover", line) for line in COVER]
    if style == "toc":
        blocks.append(("toc", "目录"))
        blocks += [("toc", f"{t}{'.' * draw(st.integers(3, 8))}{3 + 2 * n}") for n, t in enumerate(titles)]
    contents = []
    for n, (case, title, issuer) in enumerate(zip(cases, titles, issuers), start=1):
        blocks.append(("heading", heading(style, n, title)))
        if issuer:
            blocks.append(("issuer", issuer))
        content = []
        for k, paragraph in enumerate(case.paragraphs):
            blocks.append(("para", paragraph))
            content.append(paragraph)
            if table_in == n - 1 and k == 0:
                cells = ["事项", "改革前", "改革后", "压缩至0.5个工作日", "3个环节", "1个环节"]
                blocks.append(("table", "\t".join(cells)))
                content += cells
        contents.append("".join(content))
    if footer:
        blocks += [("footer", line) for line in FOOTER]
    if advert:
        blocks += [("advert", line) for line in ADVERT]

    render = {"txt": render_txt, "html": render_html, "docx": render_docx, "pdf": render_pdf}[fmt]
    data = render(blocks, layout, draw)
    return Generated(data, f"汇编.{fmt}", titles, contents, style, fmt)


def paged_lines(blocks, layout, hard_wrap: bool) -> list[list[str]]:
    """Lines of the document cut into pages; paragraphs hard-wrapped if asked."""
    lines = []
    for role, text in blocks:
        if role == "para" and hard_wrap:
            lines += wrap(text, layout["wrap"])
        else:
            lines.append(text.replace("\t", " "))
    size = layout["page"]
    return [lines[i : i + size] for i in range(0, len(lines), size)]


def with_page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Each page but the first with a running header on top, if it repeats three times or more, and its number below."""
    header = len(pages) >= 4
    return [([RUNNING_HEADER] if header and n else []) + page + [f"- {n + 1} -"] for n, page in enumerate(pages)]


def render_txt(blocks, layout, draw) -> bytes:
    """Plain text: one paragraph per line, or hard-wrapped pages with headers and page numbers."""
    if not draw(st.booleans()):
        text = "\n".join(text for _, text in blocks)
    else:
        pages = with_page_furniture(paged_lines(blocks, layout, hard_wrap=True))
        text = ("\f" if layout["ff"] else "\n").join("\n".join(page) for page in pages)
    encoding = draw(st.sampled_from(["utf-8", "gb18030", "utf-8-sig"]))
    return text.encode(encoding)


def _inline(text: str, draw) -> str:
    """Escape text and wrap a few random spans of it in inline tags (numbers included)."""
    cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=6))))
    pieces, last = [], 0
    for i, cut in enumerate(cuts):
        pieces.append((i % 2 == 0, text[last:cut]))
        last = cut
    pieces.append((False, text[last:]))
    tags = ["span", "strong", "em", "b", 'a href="/x.html"', 'font color="red"']
    out = []
    for marked, piece in pieces:
        if marked and piece:
            tag = draw(st.sampled_from(tags))
            out.append(f"<{tag}>{escape(piece)}</{tag.split()[0]}>")
        else:
            out.append(escape(piece))
    return "".join(out)


def render_html(blocks, layout, draw) -> bytes:
    """A government-style article page holding the compilation."""
    body = []
    for role, text in blocks:
        if role == "heading":
            body.append(f"<p><strong>{escape(text)}</strong></p>" if draw(st.booleans()) else f"<h3>{escape(text)}</h3>")
        else:
            body.append(f"<p>{_inline(text, draw)}</p>")
    encoding = draw(st.sampled_from(["utf-8", "gbk"]))
    page = (
        f'<!DOCTYPE html><html><head><meta charset="{encoding}"><title>营商环境典型案例</title>'
        "<style>p{margin:0}</style><script>var t='案例9：不是正文';</script></head><body>"
        '<nav><a href="/">首页</a> &gt; <a href="/yshj/">营商环境</a></nav>'
        f'<div class="TRS_Editor">{"".join(body)}</div>'
        "<footer><p>主办单位：某某市人民政府办公室</p></footer></body></html>"
    )
    # Pages declaring GBK often hold characters beyond it: the bytes are GB18030.
    return page.encode("gb18030" if encoding == "gbk" else encoding)


def render_docx(blocks, layout, draw) -> bytes:
    """A Word document; a case's table stands between its paragraphs."""
    import docx

    document = docx.Document()
    for role, text in blocks:
        if role == "table":
            cells = text.split("\t")
            table = document.add_table(rows=2, cols=3)
            for i, cell in enumerate(cells):
                table.cell(i // 3, i % 3).text = cell
            continue
        paragraph = document.add_paragraph()
        cut = draw(st.integers(0, len(text)))
        paragraph.add_run(text[:cut]).bold = role == "heading"
        paragraph.add_run(text[cut:])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def render_pdf(blocks, layout, draw) -> bytes:
    """A PDF in STSong-Light, hard-wrapped, with running headers and page numbers."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pageCompression=0)
    for page in with_page_furniture(paged_lines(blocks, layout, hard_wrap=True)):
        pdf.setFont("STSong-Light", 10)
        y = 800
        for line in page:
            pdf.drawString(40, y, line)
            y -= 15
        pdf.showPage()
    pdf.save()
    return out.getvalue()
