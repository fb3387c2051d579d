"""A weekly run over an inbox holding every kind of bad file: it exits 0, keeps the good files' cases
and lists each bad file with its reason (issue: nothing lost between a document and the store)."""

from __future__ import annotations

import io
import os
import zipfile

import sqlite_utils
from click.testing import CliRunner

from casewatch.cli import cli

CASES = "案例1：西安市推行“分阶段施工许可”改革\n西安市按照试点先行的原则推进改革。\n案例2：商洛市全面提升“获得电力”服务水平\n商洛市持续优化电力营商环境。\n"


def zip_bomb() -> bytes:
    """A small DOCX whose XML unpacks to more than the default limit of 200 MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"<w:p><w:r><w:t>" + b"a" * 1_000_000 + b"</w:t></w:r></w:p>"
            for _ in range(210):
                member.write(chunk)
    return buffer.getvalue()


def bad_files(inbox) -> dict[str, str]:
    """Create the bad entries; return each name with a word its reason must contain."""
    (inbox / "bom-then-invalid.txt").write_bytes(b"\xef\xbb\xbf" + CASES.encode() + b"\xff\xfe\x00")
    (inbox / "utf16-odd.txt").write_bytes(b"\xff\xfe" + CASES.encode("utf-16-le") + b"\x00")
    (inbox / "malformed.docx").write_bytes(_docx_with_xml(b"<w:document><w:body><w:p>unclosed"))
    (inbox / "bomb.docx").write_bytes(zip_bomb())
    (inbox / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage")
    (inbox / "zero.txt").symlink_to("/dev/zero")
    os.mkfifo(inbox / "pipe.txt")
    (inbox / "loop.pdf").symlink_to(inbox / "loop.pdf")
    (inbox / "folder.pdf").mkdir()
    with open(inbox / "sparse.txt", "wb") as sparse:
        sparse.truncate(3 * 1024**3)
    return {
        "malformed.docx": "DOCX", "bomb.docx": "unpacks", "corrupt.pdf": "PDF", "zero.txt": "regular file",
        "pipe.txt": "regular file", "loop.pdf": "link", "folder.pdf": "directory", "sparse.txt": "larger than",
    }


def _docx_with_xml(xml: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        archive.writestr("word/document.xml", xml)
    return buffer.getvalue()


def test_a_run_over_an_inbox_of_bad_files_keeps_the_good_ones_and_names_each_bad_one(project, prefect_harness, monkeypatch):
    monkeypatch.chdir(project)
    inbox = project / "inbox"
    expected = bad_files(inbox)
    result = CliRunner().invoke(cli, ["run", "--week", "2026-W48"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    db = sqlite_utils.Database(project / "cw.db")
    # The four samples (79 cases) and the two readable-with-a-warning files (2 cases each, one shared) are kept.
    titles = {row["title"] for row in db["articles"].rows}
    assert "西安市推行“分阶段施工许可”改革" in titles
    assert db["articles"].count_where("url like '%/data/samples/%' or url like '%/inbox/0%'") >= 79
    documents = {row["name"]: row for row in db["documents"].rows}
    for name in ("bom-then-invalid.txt", "utf16-odd.txt"):
        assert documents[name]["status"] == "ok" and documents[name]["problems"], name  # decoded, flagged
    failed_lines = [line for line in result.output.splitlines() if line.startswith("failed: ")]
    for name, reason in expected.items():
        assert documents[name]["status"] == "failed", name
        assert reason.lower() in (documents[name]["error"] or "").lower(), (name, documents[name]["error"])
        assert any(line.startswith(f"failed: {name}: ") for line in failed_lines), (name, failed_lines)
    run = next(db["runs"].rows)
    assert run["status"] == "partial" and run["errors"] == len(expected)
