"""Reading compilation files: encodings, PDF, DOCX, HTML, and broken files."""

from __future__ import annotations

import io

import docx
import pytest

from scrapers import ScrapeError, collect_inbox, decode_text, extract_document, parse_document

CASES = "案例1：西安市推行“分阶段施工许可”改革\n西安市按照试点先行的原则推进改革。\n案例2：商洛市全面提升“获得电力”服务水平\n商洛市持续优化电力营商环境。\n"


def make_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF with one line of Latin text per page."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for n, text in enumerate(pages):
        page_id, content_id = 4 + 2 * n, 5 + 2 * n
        kids.append(f"{page_id} 0 R")
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
        objects += [
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_id} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>",
            f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        ]
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>"
    objects.insert(2, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def test_gbk_text_without_declaration_is_decoded():
    assert extract_document(CASES.encode("gb18030"), "汇编.txt").text == CASES


def test_gb2312_label_is_decoded_as_gb18030():
    text = "𠮷字不在GB2312里"  # a character outside GB2312 and GBK
    assert decode_text(text.encode("gb18030"), "gb2312") == (text, [])


def test_utf8_bom_is_removed():
    assert decode_text(b"\xef\xbb\xbf" + "案例".encode()) == ("案例", [])


def test_pdf_pages_are_separated_by_page_breaks():
    extracted = extract_document(make_pdf(["first page", "second page"]), "a.pdf")
    assert extracted.layout == "wrapped"
    assert extracted.text.split("\f") == ["first page", "second page"]


def test_corrupt_pdf_is_a_clear_error():
    with pytest.raises(ScrapeError, match="PDF"):
        extract_document(b"%PDF-1.4\nthis is not a pdf", "broken.pdf")


def test_docx_paragraphs_are_split_into_cases():
    document = docx.Document()
    for line in CASES.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    articles, record = parse_document(buffer.getvalue(), "汇编.docx", "/inbox/汇编.docx", "inbox")
    assert record.status == "ok" and record.articles == 2
    assert [(a.title, a.body, a.region) for a in articles] == [
        ("西安市推行“分阶段施工许可”改革", "西安市按照试点先行的原则推进改革。", "陕西省西安市"),
        ("商洛市全面提升“获得电力”服务水平", "商洛市持续优化电力营商环境。", "陕西省商洛市"),
    ]
    assert [a.position for a in articles] == [1, 2]


def test_html_page_text_with_gbk_meta_charset():
    paragraphs = "".join(f"<p>{line}</p>" for line in CASES.splitlines())
    html = f'<html><head><meta charset="gbk"><script>var x=1;</script></head><body>{paragraphs}</body></html>'
    articles, record = parse_document(html.encode("gbk"), "page.html", "http://127.0.0.1/page.html", "site")
    assert [a.title for a in articles] == ["西安市推行“分阶段施工许可”改革", "商洛市全面提升“获得电力”服务水平"]
    assert "var x" not in articles[0].body


def test_inbox_records_a_broken_file_and_keeps_going(tmp_path):
    (tmp_path / "good.txt").write_text(CASES, encoding="utf-8")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (tmp_path / "notes.xlsx").write_bytes(b"recorded as skipped: not a supported type")
    result = collect_inbox("mail", tmp_path, seen=set())
    assert len(result.articles) == 2
    assert result.status == "partial"
    assert len(result.errors) == 1 and result.errors[0].startswith("broken.pdf: corrupt or unreadable PDF")
    assert {d.name: d.status for d in result.documents} == {"broken.pdf": "failed", "good.txt": "ok", "notes.xlsx": "skipped"}


def test_inbox_skips_documents_already_read(tmp_path):
    (tmp_path / "good.txt").write_text(CASES, encoding="utf-8")
    first = collect_inbox("mail", tmp_path, seen=set())
    again = collect_inbox("mail", tmp_path, seen={first.documents[0].sha256})
    assert again.articles == [] and again.documents == [] and again.status == "ok"


def test_missing_inbox_folder_is_an_error_not_a_crash(tmp_path):
    result = collect_inbox("mail", tmp_path / "nowhere", seen=set())
    assert result.status == "failed" and "does not exist" in result.errors[0]


def test_a_splitter_bug_fails_one_document_not_the_inbox(tmp_path, monkeypatch):
    import scrapers.documents

    def explode(text, layout):
        if "炸" in text:
            raise IndexError("list index out of range")
        return scrapers.compilation.split_compilation(text, layout)

    monkeypatch.setattr(scrapers.documents, "split_compilation", explode)
    articles, good = parse_document(CASES.encode(), "a.txt", "/inbox/a.txt", "inbox")
    none, bad = parse_document("炸".encode(), "b.txt", "/inbox/b.txt", "inbox")
    assert len(articles) == 2 and good.status == "ok"
    assert none == [] and (bad.error, bad.error_type) == ("cannot split into cases: IndexError: list index out of range", "IndexError")


def test_cases_without_a_date_take_the_end_of_the_compilations_period(samples_dir):
    from datetime import date

    from scrapers.dates import today

    data = next(samples_dir.glob("002_*.txt")).read_bytes()  # running headers: 每周案例汇编（11.08-11.14）, no year
    articles, _ = parse_document(data, "002.txt", "002.txt", "s")
    year = today().year if date(today().year, 11, 14) <= today() else today().year - 1  # the run date's, never ahead
    assert {a.published for a in articles} == {f"{year}-11-14"}
    named, _ = parse_document(data, "营商周报2021年第45期.txt", "x.txt", "s")  # a year in the file name wins
    assert {a.published for a in named} == {"2021-11-14"}


def test_periods_as_compilations_write_them():
    from datetime import date

    from scrapers.dates import find_year, parse_date_range

    run_date = date(2027, 1, 5)
    assert parse_date_range("每周营商环境优秀案例（11月8日-11月14日）", [2021], run_date) == ("2021-11-08", "2021-11-14")
    assert parse_date_range("11.08-11.14", [], run_date) == ("2026-11-08", "2026-11-14")
    assert parse_date_range("12月27日-1月2日", [], run_date) == ("2026-12-27", "2027-01-02")
    assert parse_date_range("1月4日-1月10日", [], run_date) == ("2026-01-04", "2026-01-10")  # not ahead of the run
    assert parse_date_range("2021年11月8日至14日", [2019], run_date) == ("2021-11-08", "2021-11-14")
    assert parse_date_range("审批时限压缩1.5-2.0天", [], run_date) is None
    assert [find_year(n) for n in ("周报2021年第45期.pdf", "weekly_2021-11.pdf", "002_a99bfc4625f2ad4b.txt", "f2019a.pdf")] == [2021, 2021, None, None]
