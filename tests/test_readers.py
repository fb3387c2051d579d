"""Readers keep the source's text and structure: HTML, DOCX, and bytes in odd encodings."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest

from scrapers import parse_document

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "html"
CASES = "案例1：西安市推行“分阶段施工许可”改革\n西安市按照试点先行的原则推进改革。\n案例2：商洛市全面提升“获得电力”服务水平\n商洛市持续优化电力营商环境。\n"
FOOTER_MARKERS = ["版权所有", "联系电话", "分享到", "打印", "当前位置", "您当前的位置", "相关链接", "TRS_Editor", "设为首页", "字号", "_hmt"]


def extracted(data: bytes, name: str):
    from scrapers.readers import extract_document

    return extract_document(data, name)


def lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def docx_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- HTML ---------------------------------------------------------------------------


def test_number_in_an_inline_span_stays_in_its_sentence():
    html = "<html><body><p>案例1：西安市压减施工许可时限</p><p>审批时限压减至<span>1</span>个工作日。</p><p>案例2：商洛市提升获得电力水平</p><p>办电时间压减至<b>3</b>天。</p></body></html>"
    articles, document = parse_document(html.encode(), "page.html", "http://127.0.0.1/page.html", "site")
    assert document.status == "ok"
    assert [a.body for a in articles] == ["审批时限压减至1个工作日。", "办电时间压减至3天。"]


def test_html_blocks_are_lines_and_inline_tags_are_not():
    html = (
        "<body><h2>标题<em>一</em></h2><div>甲<span>乙</span>丙<div>丁</div>戊</div>"
        "<p>第一行<br>第二行</p><ul><li>条目<a href='#'>一</a></li><li>条目二</li></ul>"
        "<table><tr><th>环节</th><th>时限</th></tr><tr><td><p>施工许可</p></td><td><span>1</span>个工作日</td></tr></table>"
        "</body>"
    )
    text = extracted(html.encode(), "a.html")
    assert text.layout == "blocks"
    assert lines_of(text.text) == ["标题一", "甲乙丙", "丁", "戊", "第一行", "第二行", "条目一", "条目二", "环节\t时限", "施工许可\t1个工作日"]


def test_scripts_styles_and_page_furniture_are_removed():
    html = (
        "<html><head><title>页面</title><style>p{color:red}</style><script>var x=1;</script></head><body>"
        "<header>网站头部</header><nav><a>首页</a><a>政务公开</a></nav>"
        "<div class='bdsharebuttonbox'>分享到：微信</div><p>正文第一段。</p><noscript>请启用脚本</noscript>"
        "<footer>版权所有：某市人民政府 联系电话：12345</footer></body></html>"
    )
    assert lines_of(extracted(html.encode(), "a.html").text) == ["页面", "正文第一段。"]


def test_trs_page_in_gb2312_keeps_the_article_and_drops_the_furniture():
    """A TRS WCM page: GBK bytes declared gb2312, a <style> inside .TRS_Editor, a table, <br> lines."""
    text = extracted((FIXTURES / "trs_article_gbk.html").read_bytes(), "t20211108_3405871.html").text
    expected = (FIXTURES / "trs_article_gbk.expected.txt").read_text(encoding="utf-8").splitlines()
    assert lines_of(text) == expected
    assert "吕喆" in text  # outside GB2312, inside GB18030
    assert not [marker for marker in FOOTER_MARKERS if marker in text]


def test_thirty_case_compilation_page_keeps_every_block():
    data = (FIXTURES / "hanweb_compilation.html").read_bytes()
    expected = (FIXTURES / "hanweb_compilation.expected.txt").read_text(encoding="utf-8").splitlines()
    text = extracted(data, "art_1229_5678.html").text
    assert lines_of(text) == expected
    assert not [marker for marker in FOOTER_MARKERS if marker in text]
    articles, document = parse_document(data, "art_1229_5678.html", "http://127.0.0.1/art_1229_5678.html", "site")
    assert document.status == "ok" and len(articles) == 30


def test_page_without_a_known_container_is_read_whole_without_furniture():
    html = (
        "<html><head><meta name='ArticleTitle' content='某区推行开办企业一日办结'></head><body>"
        "<div class='menu'><a>首页</a></div><div class='main'><p>某区将开办企业时间压缩至<span>1</span>日。</p>"
        "<p>企业满意度达到<span>99.5</span>%。</p></div><div id='footer'>版权所有</div></body></html>"
    )
    assert lines_of(extracted(html.encode(), "a.html").text) == [
        "某区推行开办企业一日办结", "某区将开办企业时间压缩至1日。", "企业满意度达到99.5%。",
    ]


def test_furniture_names_never_drop_most_of_the_page():
    html = "<body><div class='main-nav-wrapper'><p>案例1：某市推行改革</p><p>某市推进改革。</p></div><div class='nav'>首页</div></body>"
    assert lines_of(extracted(html.encode(), "a.html").text) == ["案例1：某市推行改革", "某市推进改革。"]


# --- DOCX ---------------------------------------------------------------------------


def test_docx_table_stays_inside_the_case_it_belongs_to():
    document = docx.Document()
    document.add_paragraph("案例1：西安市推行“分阶段施工许可”改革")
    document.add_paragraph("西安市按照试点先行的原则推进改革，时限对比如下：")
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, [("环节", "改革后"), ("施工许可", "1个工作日")]):
        for cell, value in zip(row.cells, cells):
            cell.text = value
    document.add_paragraph("案例2：商洛市全面提升“获得电力”服务水平")
    document.add_paragraph("商洛市持续优化电力营商环境。")
    articles, record = parse_document(docx_bytes(document), "汇编.docx", "/inbox/汇编.docx", "inbox")
    assert record.status == "ok"
    assert "施工许可" in articles[0].body and "1个工作日" in articles[0].body
    assert "施工许可" not in articles[1].body


def test_docx_reads_paragraphs_and_table_rows_in_document_order():
    document = docx.Document()
    document.add_paragraph("前言")
    table = document.add_table(rows=1, cols=3)
    table.rows[0].cells[0].text = "甲"
    table.rows[0].cells[1].text = "乙\n丙"  # two paragraphs in one cell: still one row, one line
    table.rows[0].cells[2].text = "丁"
    paragraph = document.add_paragraph("压减至")
    paragraph.add_run("1").bold = True
    paragraph.add_run("个工作日")
    text = extracted(docx_bytes(document), "a.docx")
    assert text.layout == "blocks"
    assert lines_of(text.text) == ["前言", "甲\t乙 丙\t丁", "压减至1个工作日"]


def test_docx_horizontally_merged_cells_are_read_once():
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 2))
    merged.text = "合并标题"
    for cell, value in zip(table.rows[1].cells, "一二三"):
        cell.text = value
    assert lines_of(extracted(docx_bytes(document), "a.docx").text) == ["合并标题", "一\t二\t三"]


def test_docx_with_malformed_xml_is_a_failed_document_not_a_crash():
    good = docx_bytes(docx.Document())
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item)
            if item.filename == "word/document.xml":
                body = body.replace(b"</w:body>", b"<w:p><w:r><w:t>unclosed</w:r></w:p></w:body>")
            target.writestr(item, body)
    articles, document = parse_document(out.getvalue(), "bad.docx", "/inbox/bad.docx", "inbox")
    assert articles == [] and document.status == "failed"
    assert document.error.startswith("corrupt or unreadable DOCX")
    assert document.error_type == "XMLSyntaxError"


# --- Decoding -----------------------------------------------------------------------


def test_utf8_bom_then_an_invalid_byte_is_decoded_with_replacement_and_flagged():
    data = b"\xef\xbb\xbf" + CASES.encode() + b"\xff\n"
    articles, document = parse_document(data, "a.txt", "/inbox/a.txt", "inbox")
    assert document.status == "ok" and len(articles) == 2
    assert any("replaced" in problem for problem in document.problems)


def test_utf16_with_an_odd_byte_count_is_decoded_with_replacement_and_flagged():
    data = CASES.encode("utf-16") + b"\x00"
    articles, document = parse_document(data, "a.txt", "/inbox/a.txt", "inbox")
    assert document.status == "ok" and len(articles) == 2
    assert any("UTF-16" in problem for problem in document.problems)


def test_file_mixing_utf8_and_gbk_lines_is_decoded_line_by_line():
    lines = CASES.splitlines()
    data = "\n".join(lines[:2]).encode() + b"\n" + "\n".join(lines[2:]).encode("gbk") + b"\n"
    articles, document = parse_document(data, "a.txt", "/inbox/a.txt", "inbox")
    assert document.status == "ok"
    assert [a.title for a in articles] == ["西安市推行“分阶段施工许可”改革", "商洛市全面提升“获得电力”服务水平"]
    assert "mixed encodings: 2 lines decoded as GB18030" in document.problems


def test_declared_gbk_label_is_decoded_as_gb18030():
    from scrapers.readers import decode_text

    text, problems = decode_text("吕喆与𠮷".encode("gb18030"), "GBK")
    assert (text, problems) == ("吕喆与𠮷", [])


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xff\xfe\x00"])
def test_empty_and_truncated_text_never_raises(data):
    articles, document = parse_document(data, "a.txt", "/inbox/a.txt", "inbox")
    assert articles == [] and document.status == "failed" and document.error
