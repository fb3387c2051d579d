"""Nothing read from an inbox or a path can hang, exhaust memory or stop the run: every entry is recorded."""

from __future__ import annotations

import io
import os
import zipfile

import docx
import pytest

from scrapers import SourceResult, collect_file, collect_inbox, sha256
from scrapers.limits import Limits

CASES = "案例1：西安市推行“分阶段施工许可”改革\n西安市按照试点先行的原则推进改革。\n案例2：商洛市全面提升“获得电力”服务水平\n商洛市持续优化电力营商环境。\n"


def by_name(result: SourceResult) -> dict:
    return {d.name: (d.status, d.error) for d in result.documents}


def test_fifo_in_the_inbox_is_recorded_and_never_read(tmp_path):
    (tmp_path / "good.txt").write_text(CASES, encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.txt")  # no writer: a blocking open would hang the run
    result = collect_inbox("mail", tmp_path, seen=set())
    assert len(result.articles) == 2
    status, error = by_name(result)["pipe.txt"]
    assert status == "failed" and "FIFO" in error


def test_symlink_loop_broken_symlink_and_directory_are_each_recorded(tmp_path):
    (tmp_path / "loop.pdf").symlink_to(tmp_path / "loop.pdf")
    (tmp_path / "gone.docx").symlink_to(tmp_path / "nowhere.docx")
    (tmp_path / "folder.pdf").mkdir()
    (tmp_path / "good.txt").write_text(CASES, encoding="utf-8")
    result = collect_inbox("mail", tmp_path, seen=set())
    found = by_name(result)
    assert found["good.txt"] == ("ok", None)
    assert found["loop.pdf"][0] == "failed" and "symbolic link" in found["loop.pdf"][1]
    assert found["gone.docx"][0] == "failed" and "broken symbolic link" in found["gone.docx"][1]
    assert found["folder.pdf"][0] == "failed" and "directory" in found["folder.pdf"][1]
    assert {d.error_type for d in result.documents if d.status == "failed"} <= {"NotRegularFile", "FileNotFoundError", "OSError"}


def test_hidden_files_are_skipped_and_unsupported_types_recorded_as_skipped(tmp_path):
    (tmp_path / ".~lock.a.docx#").write_bytes(b"lock")
    (tmp_path / "notes.xlsx").write_bytes(b"a spreadsheet")
    (tmp_path / "sub").mkdir()
    result = collect_inbox("mail", tmp_path, seen=set())
    assert by_name(result) == {"notes.xlsx": ("skipped", "unsupported type '.xlsx'")}
    assert result.errors == [] and result.status == "ok"


def test_unreadable_file_gets_a_failed_document_with_a_stable_key(tmp_path, monkeypatch):
    path = tmp_path / "secret.pdf"
    path.write_bytes(b"%PDF-1.4")
    real_open = os.open

    def deny(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    result = SourceResult("mail", "inbox")
    collect_file(result, str(path), seen=set())
    [document] = result.documents
    assert (document.status, document.error_type) == ("failed", "PermissionError")
    assert document.error == "cannot read: Permission denied"
    assert document.sha256 == sha256(("unread:" + str(path)).encode())
    assert result.errors == ["secret.pdf: cannot read: Permission denied"]


def test_unread_document_is_saved_in_the_store(tmp_path, db):
    import store

    result = SourceResult("mail", "inbox")
    collect_file(result, str(tmp_path / "missing.pdf"), seen=set())
    store.save_source_result(db, result, str(tmp_path), run="r1", week="2026-W01")
    assert [(r["name"], r["status"], r["error_type"]) for r in db["documents"].rows] == [("missing.pdf", "failed", "FileNotFoundError")]


def test_dev_zero_is_refused_before_reading():
    result = SourceResult("manual", "document")
    collect_file(result, "/dev/zero", seen=set())
    [document] = result.documents
    assert document.status == "failed" and "character device" in document.error


def test_sparse_file_larger_than_the_limit_is_refused_without_reading(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as handle:
        handle.truncate(3 * 1024**3)  # 3 GB that take no disk space
    result = collect_inbox("mail", tmp_path, seen=set())
    [document] = result.documents
    assert document.status == "failed" and document.error_type == "LimitExceeded"
    assert "larger than the limit" in document.error


def test_size_is_checked_while_reading_not_only_before():
    """Files in /proc report a size of 0: the cap must hold on the bytes actually read."""
    from scrapers.records import LimitExceeded
    from scrapers.sources import fetch_bytes

    with pytest.raises(LimitExceeded):
        fetch_bytes("/proc/self/maps", max_bytes=16)


@pytest.mark.parametrize(
    "limits, reason",
    [(Limits(max_unpacked=5_000_000), "DOCX unpacks to 24.3 MB, more than the limit of 5 MB"),
     (Limits(max_member=1_000_000), "DOCX member word/document.xml unpacks to 24.3 MB, more than the limit of 1 MB")],
)
def test_docx_zip_bomb_is_refused_before_parsing(tmp_path, limits, reason):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        body = b"<w:p><w:r><w:t>" + b"\xe6\xa1\x88" * 1000 + b"</w:t></w:r></w:p>"
        archive.writestr("word/document.xml", b"<w:document><w:body>" + body * 8000 + b"</w:body></w:document>")
    path = tmp_path / "bomb.docx"
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size < 200_000  # 24 MB of XML in a small zip
    result = collect_inbox("mail", tmp_path, seen=set(), limits=limits)
    [document] = result.documents
    assert (document.status, document.error, document.error_type) == ("failed", reason, "LimitExceeded")


def test_several_files_the_good_ones_survive_a_bad_one(tmp_path):
    (tmp_path / "a.txt").write_text(CASES, encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"\xef\xbb\xbf" + CASES.encode() + b"\xff")
    (tmp_path / "c.pdf").write_bytes(b"%PDF-1.4\ngarbage")
    (tmp_path / "d.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "e.txt").write_text(CASES.replace("西安", "延安"), encoding="utf-8")
    result = SourceResult("manual", "document")
    for name in ["a.txt", "b.txt", "c.pdf", "d.docx", "e.txt"]:
        collect_file(result, str(tmp_path / name), seen=set())
    assert [d.status for d in result.documents] == ["ok", "ok", "failed", "failed", "ok"]
    assert len(result.articles) == 6


def test_docx_document_read_in_a_worker_matches_in_process(tmp_path):
    from scrapers import parse_document, parse_document_isolated

    document = docx.Document()
    for line in CASES.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    args = (buffer.getvalue(), "汇编.docx", "/inbox/汇编.docx", "inbox")
    assert parse_document_isolated(*args) == parse_document(*args)


@pytest.fixture
def server():
    """An HTTP server on 127.0.0.1: /endless streams bytes without a length, /declared announces 3 GB."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # the body ends when the connection closes

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            if self.path == "/declared":
                self.send_header("Content-Length", str(3 * 1024**3))
            self.end_headers()
            try:
                for _ in range(64):  # 4 MB at most, in case the client does not stop
                    self.wfile.write(b"%" * 65536)
            except OSError:
                pass  # the client hung up, as it should

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_is_capped_while_streaming_and_by_its_declared_length(server):
    result = SourceResult("site", "document")
    collect_file(result, f"{server}/endless", seen=set(), limits=Limits(max_bytes=1_000_000))
    collect_file(result, f"{server}/declared", seen=set(), limits=Limits(max_bytes=1_000_000))
    assert [(d.name, d.status, d.error_type) for d in result.documents] == [
        ("endless", "failed", "LimitExceeded"),
        ("declared", "failed", "LimitExceeded"),
    ]
    assert result.documents[0].error == "is larger than the limit of 1 MB (reading stopped there)"
    assert result.documents[1].error == "is 3 GiB, larger than the limit of 1 MB"


# --- Text the HTML parser would drop --------------------------------------------------

HANWEB_PAGE = os.path.join(os.path.dirname(__file__), "fixtures", "html", "hanweb_compilation.html")
# Over libxml2's 10 MB cap on one text node (XML_MAX_TEXT_LENGTH): 11 MB of UTF-8 in one <p>.
HUGE_RUN = "统计数据表明办理时限压缩" * (11_000_000 // 36 + 1)


def page_with_a_huge_run() -> bytes:
    """The real 30-case compilation page with an 11 MB paragraph between its cases 1 and 2."""
    page = open(HANWEB_PAGE, encoding="utf-8").read()
    heading = '<p style="text-indent:2em"><strong><span style="font-family:黑体">案例2:'
    assert page.count(heading) == 1
    return page.replace(heading, f"<p>{HUGE_RUN}</p>\n{heading}").encode("utf-8")


def test_html_text_run_over_ten_megabytes_is_kept_whole_in_the_worker():
    from scrapers.isolate import parse_document_isolated

    articles, document = parse_document_isolated(page_with_a_huge_run(), "art_1229_5678.html", "http://127.0.0.1/a.html", "site")
    assert document.status == "ok", document.error
    # The one problem is sample 001's own: case 9 holds real mojibake, flagged for review.
    assert len(articles) == 30 and [p.split(" ")[0] for p in document.problems] == ["mojibake"]
    # Both cases around the run are whole: the run ends case 1's body, case 2 follows unchanged.
    assert articles[0].title == "宝鸡市凤县打造企业便利化注销“四办”模式"
    assert articles[0].body.endswith(HUGE_RUN)
    assert articles[1].title == "商洛市推行审判活动全流程网上办理模式" and HUGE_RUN[:12] not in articles[1].body


def test_html_parser_losing_text_fails_the_document_with_the_reason():
    """The conservation check on HTML: lxml's default parser silently drops the 11 MB run; that is caught."""
    import lxml.html

    from scrapers.readers import check_parsed_text
    from scrapers.records import ScrapeError

    text = page_with_a_huge_run().decode("utf-8")
    capped = lxml.html.document_fromstring(text.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8", remove_comments=True))
    with pytest.raises(ScrapeError, match=r"the HTML parser kept .* went missing"):
        check_parsed_text(text, capped)
    check_parsed_text(text, lxml.html.document_fromstring(text.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8", huge_tree=True)))


def test_site_pages_with_a_text_run_over_ten_megabytes_are_read_whole():
    """A real article page and a real column page, each with an 11 MB paragraph: nothing of either is dropped."""
    import json

    from scrapers.article import parse_article
    from scrapers.listing import parse_listing

    real = os.path.join(os.path.dirname(__file__), "fixtures", "real")
    gold = {row["file"]: row for row in map(json.loads, open(os.path.join(real, "gold.jsonl"), encoding="utf-8"))}
    article = gold["pages/cxwxa.gov.cn.html"]
    page = open(os.path.join(real, article["file"]), encoding="utf-8").read()
    start = page.index(article["body_start"][:12])
    page = page[:start] + f"{HUGE_RUN}</p><p>" + page[start:]
    read = parse_article(page, article["url"])
    assert read.title == article["title"] and read.body.startswith(HUGE_RUN)
    assert read.body.endswith(article["body_end"])

    column = gold["columns/ordos-egb-xxgknb.html"]
    page = open(os.path.join(real, column["file"]), encoding="utf-8").read()
    cut = page.index("<table")
    page = page[:cut] + f"<p>{HUGE_RUN}</p>" + page[cut:]
    assert [link.url for link in parse_listing(page, column["url"]).links] == column["links"]
